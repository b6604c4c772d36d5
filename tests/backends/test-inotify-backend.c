/* test-inotify-backend.c: what only the inotify backend promises, through
 * the public WfNotify API with the backend forced to "inotify": new
 * directories watched then scanned (no file created right after mkdir is
 * missed), trees moved in fully reported and watched, trees moved out
 * silenced, symlink loops, any file name, the watch limit as a typed error
 * that leaks no watch, a resync after the kernel queue overflows, the real
 * path owning a directory also reached through symlinks or another root,
 * roots that go and come back, directories deeper than PATH_MAX, and
 * ignored trees that cost no watch and are never reported.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wf-test-util.h"

/* Generous: a loaded CI machine may be slow to schedule the reader. */
#define COLLECT_TIMEOUT_MS 5000

typedef WfTestFixture Fixture;

/* Creates an empty file: one IN_CREATE and nothing else (no write, so no
 * IN_MODIFY that could land in a later batch as "modified"). */
static void
touch (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

static void
make_symlink (const char *target, const char *path)
{
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
move (const char *from, const char *to)
{
  g_assert_cmpint (g_rename (from, to), ==, 0);
}

/* The same, and a mkdir and a chmod, below the fixture's directory. */
static void
touch_in (Fixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  touch (path);
}

static void
move_in (Fixture *fixture, const char *from, const char *to)
{
  g_autofree char *from_path = wf_test_fixture_path (fixture, from);
  g_autofree char *to_path = wf_test_fixture_path (fixture, to);

  move (from_path, to_path);
}

static void
mkdir_in (Fixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  wf_test_mkdir (path);
}

static void
chmod_in (Fixture *fixture, const char *relative, mode_t mode)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Sorted, newline-joined, as wf_test_collect() returns them; takes @lines. */
static char *
join_lines (GPtrArray *lines)
{
  char *joined;

  g_ptr_array_sort (lines, compare_lines);
  g_ptr_array_add (lines, NULL);
  joined = g_strjoinv ("\n", (char **) lines->pdata);
  g_ptr_array_unref (lines);
  return joined;
}

/* Asserts that exactly @expected came, leaving out the lines that match
 * any of the glob @pattern ... (NULL-ended): what a race or a resync may or
 * may not add.  Collects until @awaited came, or @expected if NULL. */
static void
assert_changes_apart_from (WfNotify *notify, const char *expected, const char *awaited,
                           const char *pattern, ...) G_GNUC_NULL_TERMINATED;

static void
assert_changes_apart_from (WfNotify *notify, const char *expected, const char *awaited,
                           const char *pattern, ...)
{
  g_autofree char *seen = wf_test_collect (notify, COLLECT_TIMEOUT_MS, awaited != NULL ? awaited : expected);
  g_auto (GStrv) lines = g_strsplit (seen, "\n", -1);
  GPtrArray *kept = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *kept_text = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean left_out = FALSE;
      va_list args;

      va_start (args, pattern);
      for (const char *p = pattern; p != NULL && !left_out; p = va_arg (args, const char *))
        left_out = g_pattern_match_simple (p, lines[i]);
      va_end (args);
      if (!left_out)
        g_ptr_array_add (kept, g_strdup (lines[i]));
    }
  kept_text = join_lines (kept);
  g_assert_cmpstr (kept_text, ==, expected);
}

static WfNotify *
notify_new (const char *const *paths, gboolean ignore_permission_denied)
{
  g_autoptr (GError) error = NULL;
  WfNotify *notify = wf_test_notify_new ("inotify", paths, TRUE, ignore_permission_denied, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "inotify");
  return notify;
}

static WfNotify *
notify_new_with_rules (const char *const *paths, WfIgnoreRules *rules,
                       gboolean ignore_permission_denied, GError **error)
{
  return wf_test_notify_new_with_rules ("inotify", paths, rules, ignore_permission_denied, error);
}

static WfNotify *
notify_new_default_rules (const char *const *paths)
{
  g_autoptr (WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr (GError) error = NULL;
  WfNotify *notify = notify_new_with_rules (paths, rules, FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "inotify");
  return notify;
}

/* ---- new directories ------------------------------------------------------ */

/* The race that loses files in other watchers: a file created right after
 * mkdir, before the watch on the new directory exists. */
static void
test_new_directory_race (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = notify_new (paths, FALSE);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *expected = NULL;

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/d%04u", fixture->tmpdir, i);
      g_autofree char *file = g_strdup_printf ("%s/f", dir);

      g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
      touch (file);
      g_ptr_array_add (lines, g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, dir));
      g_ptr_array_add (lines, g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, file));
    }
  expected = join_lines (lines);
  wf_test_assert_changes (notify, expected);
}

static void
test_mkdir_parents (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = notify_new (paths, FALSE);

  mkdir_in (fixture, "a/b/c");
  touch_in (fixture, "a/b/c/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a", WF_CHANGE_ADDED, "a/b",
                                WF_CHANGE_ADDED, "a/b/c", WF_CHANGE_ADDED, "a/b/c/f", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 4);
}

/* ---- trees moved in and out ----------------------------------------------- */

static void
test_tree_moved_in (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "root");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  mkdir_in (fixture, "outside");
  mkdir_in (fixture, "outside/tree/sub/deeper");
  touch_in (fixture, "outside/tree/a");
  touch_in (fixture, "outside/tree/sub/b");
  touch_in (fixture, "outside/tree/sub/deeper/c");
  notify = notify_new (paths, FALSE);

  move_in (fixture, "outside/tree", "root/tree");
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_ADDED, "root/tree",
                                WF_CHANGE_ADDED, "root/tree/a",
                                WF_CHANGE_ADDED, "root/tree/sub",
                                WF_CHANGE_ADDED, "root/tree/sub/b",
                                WF_CHANGE_ADDED, "root/tree/sub/deeper",
                                WF_CHANGE_ADDED, "root/tree/sub/deeper/c",
                                0);

  /* The moved-in tree is watched to the bottom. */
  touch_in (fixture, "root/tree/sub/deeper/later");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "root/tree/sub/deeper/later", 0);
}

static void
test_tree_moved_out (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "root");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  mkdir_in (fixture, "root/dir/sub");
  mkdir_in (fixture, "outside");
  notify = notify_new (paths, FALSE);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);

  move_in (fixture, "root/dir", "outside/dir");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "root/dir", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);

  /* Stale watches would report these under root/dir/...; the marker,
   * created last, shows the reader has seen everything before it. */
  touch_in (fixture, "outside/dir/f");
  touch_in (fixture, "outside/dir/sub/g");
  chmod_in (fixture, "outside/dir/sub/g", 0600);
  touch_in (fixture, "root/marker");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "root/marker", 0);
}

/* A rename inside the tree: the old name is gone for good, the new one is
 * watched (its watch follows the inode, so it must not report the old path). */
static void
test_directory_renamed_inside (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;

  mkdir_in (fixture, "old/sub");
  notify = notify_new (paths, FALSE);
  move_in (fixture, "old", "new");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "old", WF_CHANGE_ADDED, "new",
                                WF_CHANGE_ADDED, "new/sub", 0);

  touch_in (fixture, "new/sub/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new/sub/f", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
}

static void
test_subtree_deleted (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *deep = wf_test_fixture_path (fixture, "a/b");
  g_autofree char *file = wf_test_fixture_path (fixture, "a/b/f");
  g_autofree char *top = wf_test_fixture_path (fixture, "a");
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (deep);
  touch (file);
  notify = notify_new (paths, FALSE);
  /* As rm -r does it (wf_test_rm_rf would chmod first: a change too). */
  g_assert_cmpint (g_unlink (file), ==, 0);
  g_assert_cmpint (g_rmdir (deep), ==, 0);
  g_assert_cmpint (g_rmdir (top), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a", WF_CHANGE_DELETED, "a/b",
                                WF_CHANGE_DELETED, "a/b/f", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);
}

/* ---- what a change is ------------------------------------------------------ */

static void
test_chmod_is_a_change (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;

  touch_in (fixture, "f");
  notify = notify_new (paths, FALSE);
  chmod_in (fixture, "f", 0600);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "f", 0);
}

static void
test_single_file_root (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *file = wf_test_fixture_path (fixture, "only");
  const char *paths[] = { file, NULL };
  g_autoptr (WfNotify) notify = NULL;

  touch (file);
  notify = notify_new (paths, FALSE);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 0);

  wf_test_write (file, "changed");
  touch_in (fixture, "sibling");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "only", 0);

  /* The link count changing is an IN_ATTRIB on the file itself before its
   * IN_DELETE_SELF: RustNotify reports both, and so do we. */
  g_assert_cmpint (g_unlink (file), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "only", WF_CHANGE_DELETED, "only", 0);
}

/* watchfiles reports "/cwd/./x" for a root of "."; so do we. */
static void
test_relative_root_kept_as_given (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { ".", NULL };
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr (WfNotify) notify = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpint (g_chdir (fixture->tmpdir), ==, 0);
  notify = notify_new (paths, FALSE);
  touch ("x");
  expected = g_strdup_printf ("%d:%s/./x", WF_CHANGE_ADDED, fixture->tmpdir);
  wf_test_assert_changes (notify, expected);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
}

/* ---- symlinks and names ---------------------------------------------------- */

static void
test_symlink_loop (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *loop = wf_test_fixture_path (fixture, "a/loop");
  g_autofree char *self_loop = wf_test_fixture_path (fixture, "a/self");
  g_autoptr (WfNotify) notify = NULL;

  mkdir_in (fixture, "a");
  make_symlink ("..", loop);
  make_symlink ("self", self_loop);
  notify = notify_new (paths, FALSE);
  /* Each directory once, whichever way it is reached. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  touch_in (fixture, "a/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a/f", 0);
}

/* Followed symlinks to directories are watched through the link. */
static void
test_symlinked_directory_followed (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "root");
  g_autofree char *target = wf_test_fixture_path (fixture, "target");
  g_autofree char *link = wf_test_fixture_path (fixture, "root/link");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  wf_test_mkdir (target);
  make_symlink (target, link);
  notify = notify_new (paths, FALSE);
  touch_in (fixture, "target/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "root/link/f", 0);
}

static void
test_non_utf8_name (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = notify_new (paths, FALSE);
  /* "café" in Latin-1: not valid UTF-8. */
  g_autofree char *file = g_strdup_printf ("%s/caf\xe9", fixture->tmpdir);
  g_autofree char *expected = NULL;

  touch (file);
  expected = g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, file);
  wf_test_assert_changes (notify, expected);
}

/* ---- the watch limit -------------------------------------------------------- */

#define SMALL_WATCH_LIMIT 10

static gboolean
write_text (const char *path, const char *text)
{
  FILE *file = fopen (path, "w");
  gboolean ok;

  if (file == NULL)
    return FALSE;
  ok = fputs (text, file) >= 0;
  return fclose (file) == 0 && ok;
}

static void
make_tree_of_directories (const char *root, guint n_directories)
{
  wf_test_mkdir (root);
  for (guint i = 1; i < n_directories; i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/d%02u", root, i);

      wf_test_mkdir (dir);
    }
}

/* The "inotify wd:" lines of every inotify descriptor of this process. */
static guint
count_kernel_watches (void)
{
  g_autoptr (GDir) fds = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint watches = 0;

  g_assert_nonnull (fds);
  while ((name = g_dir_read_name (fds)) != NULL)
    {
      g_autofree char *link_path = g_strdup_printf ("/proc/self/fd/%s", name);
      g_autofree char *target = g_file_read_link (link_path, NULL);
      g_autofree char *info_path = NULL;
      g_autofree char *info = NULL;

      if (g_strcmp0 (target, "anon_inode:inotify") != 0)
        continue;
      info_path = g_strdup_printf ("/proc/self/fdinfo/%s", name);
      g_assert_true (g_file_get_contents (info_path, &info, NULL, NULL));
      for (const char *line = strstr (info, "inotify wd:"); line != NULL;
           line = strstr (line + 1, "inotify wd:"))
        watches++;
    }
  return watches;
}

#define EXIT_SKIP 77

typedef int (*ChildFunc) (Fixture *fixture);

/* Runs @func in a forked child inside a new user namespace: a forked copy
 * of this process has one thread, which unshare (CLONE_NEWUSER) needs, and
 * nothing done there touches this process.  There root owns no capability
 * over the machine's files, so permissions apply to it, and the namespace's
 * own inotify watch limit can be lowered.  Failed assertions abort the
 * child; it exits EXIT_SKIP when the namespace cannot be had. */
static void
run_in_user_namespace (Fixture *fixture, ChildFunc func)
{
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (unshare (CLONE_NEWUSER) == 0 ? func (fixture) : EXIT_SKIP);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

  if (WIFEXITED (status) && WEXITSTATUS (status) == EXIT_SKIP)
    {
      g_test_skip ("cannot create a user namespace here");
      return;
    }
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

static int
watch_limit_in_child (Fixture *fixture)
{
  g_autofree char *big = wf_test_fixture_path (fixture, "big");
  g_autofree char *small = wf_test_fixture_path (fixture, "small");
  g_autofree char *limit = g_strdup_printf ("%d\n", SMALL_WATCH_LIMIT);
  const char *big_only[] = { big, NULL };
  const char *small_then_big[] = { small, big, NULL };
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  /* The namespace's own limit; the machine's stays as it is. */
  if (!write_text ("/proc/sys/user/max_inotify_watches", limit))
    return EXIT_SKIP;

  notify = wf_test_notify_new ("inotify", big_only, TRUE, FALSE, &error);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  g_assert_nonnull (strstr (error->message, "fs.inotify.max_user_watches"));
  g_printerr ("# %s\n", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  /* The big root fails half way; none of its watches may stay behind. */
  notify = wf_test_notify_new ("inotify", small_then_big, TRUE, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_kernel_watches (), ==, 3);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
  g_object_unref (notify);
  return 0;
}

static void
test_watch_limit (Fixture *fixture, gconstpointer user_data)
{
  /* Nothing allocated may live across fork(): the child _exit()s without
   * freeing, and valgrind would call it lost there. */
  {
    g_autofree char *big = wf_test_fixture_path (fixture, "big");
    g_autofree char *small = wf_test_fixture_path (fixture, "small");

    make_tree_of_directories (big, 30);
    make_tree_of_directories (small, 3);
  }
  run_in_user_namespace (fixture, watch_limit_in_child);
}

/* Waits until wf_notify_describe() shows @field at @expected. */
static void
await_describe_field (WfNotify *notify, const char *field, guint expected)
{
  gint64 deadline = g_get_monotonic_time () + COLLECT_TIMEOUT_MS * 1000;

  /* A status, not an event: nothing to block on but the clock. */
  while (wf_test_describe_field (notify, field) != expected)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
}

/* The voluntary context switches of the backend's reader thread. */
static gboolean
find_reader_switches (guint64 *switches)
{
  g_autoptr (GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  g_assert_nonnull (tasks);
  while ((tid = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *comm_path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
      g_autofree char *status_path = g_strdup_printf ("/proc/self/task/%s/status", tid);
      g_autofree char *comm = NULL;
      g_autofree char *status = NULL;
      const char *line;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) || strcmp (g_strstrip (comm), "wf-inotify") != 0)
        continue;
      g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
      line = strstr (status, "\nvoluntary_ctxt_switches:");
      g_assert_nonnull (line);
      *switches = g_ascii_strtoull (line + strlen ("\nvoluntary_ctxt_switches:"), NULL, 10);
      return TRUE;
    }
  return FALSE;
}

static guint64
reader_thread_switches (void)
{
  gint64 deadline = g_get_monotonic_time () + COLLECT_TIMEOUT_MS * 1000;
  guint64 switches;

  /* The thread names itself once it runs. */
  while (!find_reader_switches (&switches))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
  return switches;
}

static guint64
reader_wakeups_in_300_ms (void)
{
  guint64 before = reader_thread_switches ();

  g_usleep (300 * 1000);
  return reader_thread_switches () - before;
}

/* Root, keep, spare, spare/inner: the limit is reached, then a directory
 * appears that cannot be watched.  It is polled (every 20 ms in tests), so
 * its changes still come, until rm -r spare frees two watches. */
#define RUN_TIME_WATCH_LIMIT 4

static int
watch_limit_at_run_time_in_child (Fixture *fixture)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *limit = g_strdup_printf ("%d\n", RUN_TIME_WATCH_LIMIT);
  g_autofree char *spare = wf_test_fixture_path (fixture, "spare");
  g_autofree char *old = wf_test_fixture_path (fixture, "new/old");
  WfNotify *notify;

  if (!write_text ("/proc/sys/user/max_inotify_watches", limit))
    return EXIT_SKIP;

  notify = notify_new (paths, FALSE);
  g_assert_cmpuint (count_kernel_watches (), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (wf_test_describe_field (notify, "unwatched"), ==, 0);
  /* Nothing degraded, no timer: the reader sleeps. */
  g_assert_cmpuint (reader_wakeups_in_300_ms (), <=, 1);

  /* Past the limit: reported (the new directory and what it holds), and
   * counted as degraded. */
  mkdir_in (fixture, "new");
  touch_in (fixture, "new/old");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new",
                                WF_CHANGE_ADDED, "new/old", 0);
  g_assert_cmpuint (count_kernel_watches (), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (wf_test_describe_field (notify, "unwatched"), ==, 1);
  g_assert_cmpuint (wf_test_describe_field (notify, "polled"), ==, 1);
  /* The timer runs while a subtree is polled. */
  g_assert_cmpuint (reader_wakeups_in_300_ms (), >=, 3);

  /* No watch sees these: the polling does. */
  touch_in (fixture, "new/created");
  wf_test_write (old, "modified");
  mkdir_in (fixture, "new/sub");
  touch_in (fixture, "new/sub/deep");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new/created",
                                WF_CHANGE_MODIFIED, "new/old",
                                WF_CHANGE_ADDED, "new/sub",
                                WF_CHANGE_ADDED, "new/sub/deep", 0);
  g_assert_cmpint (g_unlink (old), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "new/old", 0);

  /* Two watches free: new and new/sub take them, silently, and the
   * polling (and its timer) stops. */
  wf_test_rm_rf (spare);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "spare",
                                WF_CHANGE_DELETED, "spare/inner", 0);
  await_describe_field (notify, "unwatched", 0);
  g_assert_cmpuint (wf_test_describe_field (notify, "polled"), ==, 0);
  g_assert_cmpuint (count_kernel_watches (), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (reader_wakeups_in_300_ms (), <=, 1);

  /* Real watches now. */
  touch_in (fixture, "new/sub/after");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new/sub/after", 0);

  g_object_unref (notify);
  return 0;
}

static void
test_watch_limit_at_run_time (Fixture *fixture, gconstpointer user_data)
{
  mkdir_in (fixture, "keep");
  mkdir_in (fixture, "spare");
  mkdir_in (fixture, "spare/inner");
  run_in_user_namespace (fixture, watch_limit_at_run_time_in_child);
}

/* ---- permissions ------------------------------------------------------------- */

static int
permission_denied_in_child (Fixture *fixture)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *locked = wf_test_fixture_path (fixture, "locked");
  g_autofree char *locked_later = wf_test_fixture_path (fixture, "locked-later");
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  /* Without ignore_permission_denied an unreadable subdirectory fails
   * the whole root, and leaves no watch behind. */
  notify = wf_test_notify_new ("inotify", paths, TRUE, FALSE, &error);
  g_assert_null (notify);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, locked));
  g_clear_error (&error);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  /* With it, the rest of the tree is watched and the gap is counted. */
  notify = notify_new (paths, TRUE);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
  g_assert_cmpuint (wf_test_describe_field (notify, "unwatched"), ==, 1);

  /* An unreadable directory appearing later is skipped too, and watching
   * goes on. */
  g_assert_cmpint (g_mkdir (locked_later, 0), ==, 0);
  touch_in (fixture, "open/after");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "locked-later",
                                WF_CHANGE_ADDED, "open/after", 0);
  g_assert_cmpuint (wf_test_describe_field (notify, "unwatched"), ==, 2);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);

  g_object_unref (notify);
  return 0;
}

static void
test_permission_denied (Fixture *fixture, gconstpointer user_data)
{
  mkdir_in (fixture, "locked/inside");
  mkdir_in (fixture, "open/inside");
  chmod_in (fixture, "locked", 0);
  run_in_user_namespace (fixture, permission_denied_in_child);
}

/* ---- queue overflow ---------------------------------------------------------- */

#define MAX_QUEUED_EVENTS "/proc/sys/fs/inotify/max_queued_events"
#define BURST_FILES 2000

typedef struct {
  char *saved_limit;
  cpu_set_t saved_cpus;
  gboolean real_time;
} Overflow;

/* Makes a watcher whose kernel queue holds 16 events, and pins this thread
 * and the watcher's reader to one CPU.  FALSE (and the test skipped) when
 * that needs a root this process is not. */
static gboolean
overflow_begin_with_rules (Overflow *overflow, const char *const *paths, WfIgnoreRules *rules,
                           WfNotify **notify)
{
  g_autoptr (GError) error = NULL;
  cpu_set_t one_cpu;
  gboolean lowered;

  if (getuid () != 0 || !g_file_get_contents (MAX_QUEUED_EVENTS, &overflow->saved_limit, NULL, NULL))
    {
      g_test_skip ("lowering fs.inotify.max_queued_events needs root");
      return FALSE;
    }

  /* The reader thread inherits this thread's CPU: sharing one, it cannot
   * run while this thread, real-time during the burst, makes changes. */
  g_assert_cmpint (sched_getaffinity (0, sizeof overflow->saved_cpus, &overflow->saved_cpus), ==, 0);
  CPU_ZERO (&one_cpu);
  CPU_SET (sched_getcpu (), &one_cpu);
  g_assert_cmpint (sched_setaffinity (0, sizeof one_cpu, &one_cpu), ==, 0);

  /* The limit is read when the inotify instance is made: lower it just
   * around construction, and put it back before any assertion can fail. */
  lowered = write_text (MAX_QUEUED_EVENTS, "16\n");
  *notify = notify_new_with_rules (paths, rules, FALSE, &error);
  if (lowered)
    g_assert_true (write_text (MAX_QUEUED_EVENTS, overflow->saved_limit));
  g_clear_pointer (&overflow->saved_limit, g_free);
  if (!lowered)
    {
      g_assert_cmpint (sched_setaffinity (0, sizeof overflow->saved_cpus, &overflow->saved_cpus), ==, 0);
      g_test_skip ("cannot write " MAX_QUEUED_EVENTS);
      return FALSE;
    }
  g_assert_no_error (error);
  return TRUE;
}

static gboolean
overflow_begin (Overflow *overflow, const char *const *paths, WfNotify **notify)
{
  return overflow_begin_with_rules (overflow, paths, NULL, notify);
}

/* From here to overflow_end() the reader thread cannot run. */
static void
overflow_burst_begin (Overflow *overflow)
{
  overflow->real_time = sched_setscheduler (0, SCHED_FIFO, &(struct sched_param) { .sched_priority = 1 }) == 0;
}

static void
overflow_end (Overflow *overflow, WfNotify *notify)
{
  if (overflow->real_time)
    g_assert_cmpint (sched_setscheduler (0, SCHED_OTHER, &(struct sched_param) { 0 }), ==, 0);
  g_assert_cmpint (sched_setaffinity (0, sizeof overflow->saved_cpus, &overflow->saved_cpus), ==, 0);
}

/* Mode changes alternating between two files, so that the kernel cannot
 * merge them: the queue is full long before the changes that matter. */
static void
overflow_noise (const char *noise1, const char *noise2)
{
  for (guint i = 0; i < 40; i++)
    g_assert_cmpint (g_chmod (i % 2 ? noise1 : noise2, i % 4 < 2 ? 0600 : 0644), ==, 0);
}

/* valgrind runs one thread at a time on its own schedule, whatever the
 * kernel's priorities say. */
static gboolean
running_under_valgrind (void)
{
  g_autofree char *maps = NULL;

  return g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL) && strstr (maps, "vgpreload") != NULL;
}

/* Without real-time scheduling (no CAP_SYS_NICE, or valgrind) the reader
 * may keep up, and the events tell what the resync would have. */
static void
overflow_assert_resynced (Overflow *overflow, WfNotify *notify)
{
  if (!overflow->real_time || running_under_valgrind ())
    {
      g_test_message ("the reader could run during the burst: the queue may not have overflowed");
      return;
    }
  g_assert_cmpuint (wf_test_describe_field (notify, "rescans"), >, 0);
}

static void
test_queue_overflow_resync (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autoptr (GHashTable) seen = NULL;
  g_auto (GStrv) seen_lines = NULL;
  g_autofree char *seen_text = NULL;
  Overflow overflow = { 0 };

  if (!overflow_begin (&overflow, paths, &notify))
    return;
  /* Far more than 16 events while the reader cannot take them. */
  overflow_burst_begin (&overflow);
  for (guint i = 0; i < BURST_FILES; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/f%04u", fixture->tmpdir, i);

      touch (file);
    }
  overflow_end (&overflow, notify);

  {
    GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *expected = NULL;

    for (guint i = 0; i < BURST_FILES; i++)
      g_ptr_array_add (lines, g_strdup_printf ("%d:%s/f%04u", WF_CHANGE_ADDED, fixture->tmpdir, i));
    expected = join_lines (lines);
    seen_text = wf_test_collect (notify, COLLECT_TIMEOUT_MS, expected);
  }

  /* Every file is reported as added; a resync may also call one modified
   * (its ctime is after the last complete read), never deleted. */
  seen_lines = g_strsplit (seen_text, "\n", -1);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; seen_lines[i] != NULL; i++)
    {
      g_assert_false (g_str_has_prefix (seen_lines[i], "3:"));
      g_hash_table_add (seen, seen_lines[i]);
    }
  for (guint i = 0; i < BURST_FILES; i++)
    {
      g_autofree char *line = g_strdup_printf ("%d:%s/f%04u", WF_CHANGE_ADDED, fixture->tmpdir, i);

      if (!g_hash_table_contains (seen, line))
        g_error ("not reported: %s", line);
    }
  overflow_assert_resynced (&overflow, notify);
}

/* What a resync reports is the difference between the tree it knew and the
 * tree it finds: deletions (with what a deleted directory held), new trees,
 * renames, and metadata changes, all made while the events were lost. */
static void
test_queue_overflow_differences (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  const char *existing_dirs[] = { "keep", "gone", "old", NULL };
  const char *existing_files[] = { "keep/k1", "gone/g1", "old/o1", "chm", "del", "noise1", "noise2", NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autofree char *expected = NULL;
  Overflow overflow = { 0 };

  for (guint i = 0; existing_dirs[i] != NULL; i++)
    {
      g_autofree char *dir = wf_test_fixture_path (fixture, existing_dirs[i]);

      wf_test_mkdir (dir);
    }
  for (guint i = 0; existing_files[i] != NULL; i++)
    {
      g_autofree char *file = wf_test_fixture_path (fixture, existing_files[i]);

      touch (file);
    }
  if (!overflow_begin (&overflow, paths, &notify))
    return;

  /* A complete read, well after the setup, after which every change is
   * news.  A resync calls "modified" whatever changed at or after the
   * start of the last complete read, judged by ctime, which may run a
   * clock tick ahead of that start: a change made in the same tick just
   * before it can be reported again, never one after it missed.  So the
   * last read before the burst comes a round (300 ms) after the setup, and
   * is about a change expected again anyway. */
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *noise1 = wf_test_fixture_path (fixture, "noise1");

      g_assert_cmpint (g_chmod (noise1, round == 0 ? 0640 : 0600), ==, 0);
      wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "noise1", 0);
    }

  overflow_burst_begin (&overflow);
  {
    g_autofree char *noise1 = wf_test_fixture_path (fixture, "noise1");
    g_autofree char *noise2 = wf_test_fixture_path (fixture, "noise2");
    g_autofree char *del = wf_test_fixture_path (fixture, "del");
    g_autofree char *g1 = wf_test_fixture_path (fixture, "gone/g1");
    g_autofree char *gone = wf_test_fixture_path (fixture, "gone");
    g_autofree char *sub = wf_test_fixture_path (fixture, "new/sub");

    overflow_noise (noise1, noise2);
    g_assert_cmpint (g_unlink (del), ==, 0);
    g_assert_cmpint (g_unlink (g1), ==, 0);
    g_assert_cmpint (g_rmdir (gone), ==, 0);
    g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
    touch_in (fixture, "new/sub/n1");
    move_in (fixture, "old", "renamed");
    chmod_in (fixture, "chm", 0600);
  }
  overflow_end (&overflow, notify);

  expected = wf_test_expect_changes (fixture,
                             WF_CHANGE_MODIFIED, "noise1",
                             WF_CHANGE_MODIFIED, "noise2",
                             WF_CHANGE_DELETED, "del",
                             WF_CHANGE_DELETED, "gone",
                             WF_CHANGE_DELETED, "gone/g1",
                             WF_CHANGE_ADDED, "new",
                             WF_CHANGE_ADDED, "new/sub",
                             WF_CHANGE_ADDED, "new/sub/n1",
                             WF_CHANGE_DELETED, "old",
                             WF_CHANGE_ADDED, "renamed",
                             WF_CHANGE_ADDED, "renamed/o1",
                             WF_CHANGE_MODIFIED, "chm",
                             0);
  /* A resync that finds "old" gone reports what it held too; the rename's
   * own event, had it got through, reports the directory only. */
  assert_changes_apart_from (notify, expected, NULL, "3:*/old/o1", NULL);
  overflow_assert_resynced (&overflow, notify);

  /* The fresh tree is watched: the new and the renamed directories. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 5);
  touch_in (fixture, "renamed/late");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "renamed/late", 0);
}

/* ---- one directory, several paths ---------------------------------------------- */

/* Waits until this process holds @expected inotify watches: the reader
 * removes the watches it gave up after the event that made it do so, and
 * what a test just did may still be in the kernel queue. */
static void
assert_kernel_watches (WfNotify *notify, guint expected)
{
  gint64 deadline = g_get_monotonic_time () + COLLECT_TIMEOUT_MS * 1000;
  guint watches;

  /* Takes the backend's lock: whatever the reader was doing is done. */
  wf_notify_get_watched_directories (notify);
  while ((watches = count_kernel_watches ()) != expected && g_get_monotonic_time () < deadline)
    {
      g_usleep (10 * 1000);
      wf_notify_get_watched_directories (notify);
    }
  g_assert_cmpuint (watches, ==, expected);
}

/* The directories from "/" down to @path: what waits for a root below it. */
static guint
path_levels (const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint levels = 1;

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      levels++;
  return levels;
}

/* A symlink to a directory of the tree, named to sort after it or before
 * it: either way the real path owns the watch, reports its changes, and
 * keeps it when the link goes. */
static void
test_symlink_alias_real_path_owns (Fixture *fixture, gconstpointer user_data)
{
  const char *link_name = user_data;
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *dir = wf_test_fixture_path (fixture, "a_dir");
  g_autofree char *link = wf_test_fixture_path (fixture, link_name);
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (dir);
  touch_in (fixture, "a_dir/old");
  make_symlink ("a_dir", link);
  notify = notify_new (paths, FALSE);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  touch_in (fixture, "a_dir/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a_dir/f", 0);

  /* Removing the link leaves the directory's watch alone. */
  g_assert_cmpint (g_unlink (link), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, link_name, 0);
  touch_in (fixture, "a_dir/f2");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a_dir/f2", 0);

  {
    g_autofree char *renamed = wf_test_fixture_path (fixture, "b_dir");

    move (dir, renamed);
    wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a_dir", WF_CHANGE_ADDED, "b_dir",
                                  WF_CHANGE_ADDED, "b_dir/old", WF_CHANGE_ADDED, "b_dir/f",
                                  WF_CHANGE_ADDED, "b_dir/f2", 0);
    touch_in (fixture, "b_dir/new");
    wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "b_dir/new", 0);
  }
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  assert_kernel_watches (notify, 2);
}

/* The link stays, dangling, when its target is renamed: the new name is
 * scanned and reports what happens in it. */
static void
test_symlink_target_renamed (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *dir = wf_test_fixture_path (fixture, "a_dir");
  g_autofree char *link = wf_test_fixture_path (fixture, "z_link");
  g_autofree char *renamed = wf_test_fixture_path (fixture, "b_dir");
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (dir);
  touch_in (fixture, "a_dir/old");
  make_symlink ("a_dir", link);
  notify = notify_new (paths, FALSE);

  move (dir, renamed);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a_dir", WF_CHANGE_ADDED, "b_dir",
                                WF_CHANGE_ADDED, "b_dir/old", 0);
  touch_in (fixture, "b_dir/new");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "b_dir/new", 0);
}

/* A directory watched through a symlink (the only path to it then) and
 * later moved into the tree: the real path takes the watch over. */
static void
test_real_path_takes_over_from_symlink (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "r");
  g_autofree char *outside = wf_test_fixture_path (fixture, "out/d");
  g_autofree char *link = wf_test_fixture_path (fixture, "r/l");
  g_autofree char *inside = wf_test_fixture_path (fixture, "r/d");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  wf_test_mkdir (outside);
  touch_in (fixture, "out/d/x");
  notify = notify_new (paths, FALSE);

  make_symlink (outside, link);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/l", WF_CHANGE_ADDED, "r/l/x", 0);

  move (outside, inside);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/d", WF_CHANGE_ADDED, "r/d/x", 0);
  touch_in (fixture, "r/d/z");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/d/z", 0);

  /* The dangling link goes; the watch is the real path's. */
  g_assert_cmpint (g_unlink (link), ==, 0);
  touch_in (fixture, "r/d/w");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "r/l", WF_CHANGE_ADDED, "r/d/w", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  assert_kernel_watches (notify, 2);
}

/* Roots [r/sub, r] or [r, r/sub]: one watch for sub, owned by one of them.
 * Moving sub within r must leave sub2 watched, whichever owned it; the
 * root r/sub, gone, comes back when the path exists again. */
static void
test_overlapping_roots_subtree_moved (Fixture *fixture, gconstpointer user_data)
{
  gboolean sub_first = GPOINTER_TO_INT (user_data);
  g_autofree char *root = wf_test_fixture_path (fixture, "r");
  g_autofree char *sub = wf_test_fixture_path (fixture, "r/sub");
  g_autofree char *sub2 = wf_test_fixture_path (fixture, "r/sub2");
  const char *sub_then_root[] = { sub, root, NULL };
  const char *root_then_sub[] = { root, sub, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (sub);
  touch_in (fixture, "r/sub/x");
  notify = notify_new (sub_first ? sub_then_root : root_then_sub, FALSE);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  move (sub, sub2);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "r/sub", WF_CHANGE_ADDED, "r/sub2",
                                WF_CHANGE_ADDED, "r/sub2/x", 0);
  touch_in (fixture, "r/sub2/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/sub2/f", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  wf_test_mkdir (sub);
  touch_in (fixture, "r/sub/y");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/sub", WF_CHANGE_ADDED, "r/sub/y", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
  assert_kernel_watches (notify, 3);
}

/* ---- roots come and go --------------------------------------------------------- */

static void
test_root_deleted_and_recreated (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "r");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  notify = notify_new (paths, FALSE);

  g_assert_cmpint (g_rmdir (root), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "r", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 0);
  /* Waiting costs a watch on each directory above it, nothing else. */
  assert_kernel_watches (notify, path_levels (fixture->tmpdir));

  /* The same race as for a new directory: a file made right after mkdir. */
  wf_test_mkdir (root);
  touch_in (fixture, "r/new");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/new", 0);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);
  assert_kernel_watches (notify, 1);

  touch_in (fixture, "r/later");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/later", 0);
}

static void
test_root_moved_away_and_back (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "r");
  g_autofree char *away = wf_test_fixture_path (fixture, "away");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  touch_in (fixture, "r/f");
  notify = notify_new (paths, FALSE);

  move (root, away);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "r", 0);

  /* Not ours while away: a stale watch would report "modified r/f". */
  chmod_in (fixture, "away/f", 0600);
  touch_in (fixture, "away/x");
  move (away, root);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/f",
                                WF_CHANGE_ADDED, "r/x", 0);

  touch_in (fixture, "r/later");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r/later", 0);
  assert_kernel_watches (notify, 1);
}

/* Root a/b/c with a/b deleted: the wait climbs to a, and comes down again
 * as a/b and a/b/c are made. */
static void
test_root_missing_chain (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *top = wf_test_fixture_path (fixture, "a");
  g_autofree char *middle = wf_test_fixture_path (fixture, "a/b");
  g_autofree char *root = wf_test_fixture_path (fixture, "a/b/c");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  notify = notify_new (paths, FALSE);

  g_assert_cmpint (g_rmdir (root), ==, 0);
  g_assert_cmpint (g_rmdir (middle), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a/b/c", 0);
  assert_kernel_watches (notify, path_levels (top));

  wf_test_mkdir (root);
  touch_in (fixture, "a/b/c/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a/b/c", WF_CHANGE_ADDED, "a/b/c/f", 0);
  assert_kernel_watches (notify, 1);

  touch_in (fixture, "a/b/c/g");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a/b/c/g", 0);
}

/* An editor's atomic save: write a temporary file, rename it over the
 * root.  Each one is a change of the root, and the new file is watched. */
static void
test_file_root_atomic_save (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *file = wf_test_fixture_path (fixture, "f");
  g_autofree char *temporary = wf_test_fixture_path (fixture, ".f.swp");
  const char *paths[] = { file, NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autofree char *expected = wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "f", 0);

  wf_test_write (file, "version 0");
  notify = notify_new (paths, FALSE);

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *contents = g_strdup_printf ("version %u", i);

      wf_test_write (temporary, contents);
      move (temporary, file);
      wf_test_assert_changes (notify, expected);
    }
  wf_test_write (file, "plain write");
  wf_test_assert_changes (notify, expected);
  assert_kernel_watches (notify, 1);
}

/* The root's parent goes too: the wait climbs above it, and nothing of it
 * is left once the root is back. */
static void
test_root_parent_removed (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *parent = wf_test_fixture_path (fixture, "p");
  g_autofree char *root = wf_test_fixture_path (fixture, "p/r");
  g_autofree char *file = wf_test_fixture_path (fixture, "p/r/f");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  touch (file);
  notify = notify_new (paths, FALSE);

  /* As rm -r does it. */
  g_assert_cmpint (g_unlink (file), ==, 0);
  g_assert_cmpint (g_rmdir (root), ==, 0);
  g_assert_cmpint (g_rmdir (parent), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "p/r/f", WF_CHANGE_DELETED, "p/r", 0);
  assert_kernel_watches (notify, path_levels (fixture->tmpdir));

  wf_test_mkdir (root);
  touch_in (fixture, "p/r/x");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "p/r", WF_CHANGE_ADDED, "p/r/x", 0);
  assert_kernel_watches (notify, 1);
}

static int
root_back_unreadable_in_child (Fixture *fixture)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "r");
  g_autofree char *marker_root = wf_test_fixture_path (fixture, "m");
  const char *paths[] = { root, marker_root, NULL };
  WfNotify *notify = notify_new (paths, FALSE);

  g_assert_cmpint (g_rmdir (root), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "r", 0);

  /* Back, but unreadable: it cannot be watched yet.  The marker, made
   * after it, shows the reader has been through that. */
  g_assert_cmpint (g_mkdir (root, 0), ==, 0);
  touch_in (fixture, "m/seen");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "m/seen", 0);

  /* A chmod is what it waits for. */
  g_assert_cmpint (g_chmod (root, 0755), ==, 0);
  touch_in (fixture, "r/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/f", 0);
  assert_kernel_watches (notify, 2);

  g_object_unref (notify);
  return 0;
}

/* A root back unreadable is waited for until it can be watched. */
static void
test_root_back_unreadable (Fixture *fixture, gconstpointer user_data)
{
  mkdir_in (fixture, "r");
  mkdir_in (fixture, "m");
  run_in_user_namespace (fixture, root_back_unreadable_in_child);
}

/* ---- deeper than PATH_MAX ------------------------------------------------------ */

#define DEEP_LEVELS 25

/* Directories made by mkdirat() deeper than PATH_MAX bytes of path:
 * watched all the same, and what happens at the bottom is reported. */
static void
test_deeper_than_path_max (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = notify_new (paths, FALSE);
  g_autoptr (GString) path = g_string_new (fixture->tmpdir);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *expected = NULL;
  char names[DEEP_LEVELS][201];
  int fds[DEEP_LEVELS + 1];

  fds[0] = open (fixture->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (fds[0], >=, 0);
  for (guint i = 0; i < DEEP_LEVELS; i++)
    {
      memset (names[i], 'x', 200);
      names[i][200] = '\0';
      names[i][0] = (char) ('a' + i);
      g_assert_cmpint (mkdirat (fds[i], names[i], 0755), ==, 0);
      fds[i + 1] = openat (fds[i], names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      g_assert_cmpint (fds[i + 1], >=, 0);
      g_string_append_printf (path, "/%s", names[i]);
      g_ptr_array_add (lines, g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, path->str));
    }
  g_assert_cmpuint (path->len, >, PATH_MAX);
  close (openat (fds[DEEP_LEVELS], "leaf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  g_ptr_array_add (lines, g_strdup_printf ("%d:%s/leaf", WF_CHANGE_ADDED, path->str));
  expected = join_lines (lines);
  wf_test_assert_changes (notify, expected);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, DEEP_LEVELS + 1);

  close (openat (fds[DEEP_LEVELS], "later", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  g_free (expected);
  expected = g_strdup_printf ("%d:%s/later", WF_CHANGE_ADDED, path->str);
  wf_test_assert_changes (notify, expected);

  /* Paths too long for the fixture's cleanup. */
  g_assert_cmpint (unlinkat (fds[DEEP_LEVELS], "leaf", 0), ==, 0);
  g_assert_cmpint (unlinkat (fds[DEEP_LEVELS], "later", 0), ==, 0);
  for (guint i = DEEP_LEVELS; i > 0; i--)
    {
      close (fds[i]);
      g_assert_cmpint (unlinkat (fds[i - 1], names[i - 1], AT_REMOVEDIR), ==, 0);
    }
  close (fds[0]);
}

/* The root itself goes while events are lost: the resync reports it gone
 * (with what it held), and it is waited for like any root that goes. */
static void
test_queue_overflow_root_gone (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "r");
  g_autofree char *noise1 = wf_test_fixture_path (fixture, "r/noise1");
  g_autofree char *noise2 = wf_test_fixture_path (fixture, "r/noise2");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autofree char *expected = NULL;
  Overflow overflow = { 0 };

  wf_test_mkdir (root);
  touch (noise1);
  touch (noise2);
  if (!overflow_begin (&overflow, paths, &notify))
    return;

  overflow_burst_begin (&overflow);
  overflow_noise (noise1, noise2);
  g_assert_cmpint (g_unlink (noise1), ==, 0);
  g_assert_cmpint (g_unlink (noise2), ==, 0);
  g_assert_cmpint (g_rmdir (root), ==, 0);
  overflow_end (&overflow, notify);

  /* The chmods that got through before the overflow are reported too. */
  expected = wf_test_expect_changes (fixture, WF_CHANGE_DELETED, "r", WF_CHANGE_DELETED, "r/noise1",
                             WF_CHANGE_DELETED, "r/noise2", 0);
  assert_changes_apart_from (notify, expected, NULL, "2:*", NULL);
  overflow_assert_resynced (&overflow, notify);

  wf_test_mkdir (root);
  touch_in (fixture, "r/back");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/back", 0);
  assert_kernel_watches (notify, 1);
}

/* ---- ignore rules: ignored trees cost nothing (DESIGN rule 5) -------------- */

/* Directories of the project tree; only the first four are not ignored by
 * the default rules. */
static const char *const project_dirs[] = {
  "src", "src/a", "src/b",
  "node_modules/p1/lib", "node_modules/p2/lib/deep", "node_modules/p3",
  ".git/objects/ab", ".git/refs/heads",
  "src/node_modules/x/y", "src/__pycache__",
};
#define PROJECT_WATCHED 4    /* the root, src, src/a, src/b */
#define PROJECT_ALL     20   /* every directory, the root included */

static const char *const project_files[] = {
  "src/a/main.c", "src/m.pyc", "src/__pycache__/m.cpython-311.pyc",
  "node_modules/p1/lib/index.js", "node_modules/p3/package.json", ".git/HEAD",
};

static void
make_project (const char *root)
{
  for (gsize i = 0; i < G_N_ELEMENTS (project_dirs); i++)
    {
      g_autofree char *dir = g_build_filename (root, project_dirs[i], NULL);

      wf_test_mkdir (dir);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (project_files); i++)
    {
      g_autofree char *file = g_build_filename (root, project_files[i], NULL);

      wf_test_write (file, "original\n");
    }
}

/* The initial walk spends no watch on an ignored tree, and nothing done in
 * one is reported, while a change beside it is. */
static void
test_ignore_initial_walk (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;

  if (!wf_test_in_debug_subprocess ())
    return;

  make_project (fixture->tmpdir);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  /* The count tells them apart: without rules, every directory. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WfNotify) unfiltered = notify_new_with_rules (paths, NULL, FALSE, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (count_kernel_watches (), ==, PROJECT_ALL);
    g_assert_cmpuint (wf_notify_get_watched_directories (unfiltered), ==, PROJECT_ALL);
  }
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  notify = notify_new_default_rules (paths);
  g_assert_cmpuint (count_kernel_watches (), ==, PROJECT_WATCHED);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, PROJECT_WATCHED);
  g_assert_cmpuint (wf_test_describe_field (notify, "unwatched"), ==, 0);

  {
    static const char *const ignored_writes[] = {
      "node_modules/p1/lib/index.js", "node_modules/p2/lib/deep/new.js", "node_modules/new.js",
      "node_modules/newpkg/dist/bundle.js", ".git/HEAD", ".git/objects/ab/cdef", ".git/index",
      "src/n.pyc", "src/m.pyc", "src/__pycache__/n.pyc", "src/node_modules/x/y/z.js",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (ignored_writes); i++)
      {
        g_autofree char *file = wf_test_fixture_path (fixture, ignored_writes[i]);
        g_autofree char *parent = g_path_get_dirname (file);

        wf_test_mkdir (parent);
        wf_test_write (file, "changed\n");
      }
  }
  touch_in (fixture, "src/a/control.txt");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "src/a/control.txt", 0);
  assert_kernel_watches (notify, PROJECT_WATCHED);
}

/* A directory of an ignored name made while watching is not walked, at
 * any depth, nor is one moved in; a directory beside it is. */
static void
test_ignore_new_directory (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autofree char *awaited = NULL;
  g_autofree char *expected = NULL;

  if (!wf_test_in_debug_subprocess ())
    return;

  make_project (fixture->tmpdir);
  notify = notify_new_default_rules (paths);
  g_assert_cmpuint (count_kernel_watches (), ==, PROJECT_WATCHED);

  {
    g_autofree char *staged = wf_test_fixture_path (fixture, "staging");
    g_autofree char *moved = wf_test_fixture_path (fixture, "src/node_modules");

    mkdir_in (fixture, "src/b/node_modules/pkg/lib");
    touch_in (fixture, "src/b/node_modules/pkg/lib/i.js");
    mkdir_in (fixture, "src/a/.git/objects");
    /* src/node_modules existed: replace it by a moved-in tree. */
    wf_test_rm_rf (moved);
    mkdir_in (fixture, "staging/inner");
    move (staged, moved);
    mkdir_in (fixture, "src/b/control/f");
  }
  /* The staging directory's mkdir and move are changes of the root, and
   * awaited; whether the staging tree was seen before it moved away is a
   * race.  The watched control directory is not. */
  awaited = wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "src/b/control", WF_CHANGE_ADDED, "src/b/control/f",
                                    WF_CHANGE_ADDED, "staging", WF_CHANGE_DELETED, "staging", 0);
  expected = wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "src/b/control",
                                     WF_CHANGE_ADDED, "src/b/control/f", 0);
  assert_changes_apart_from (notify, expected, awaited, "*/staging*", NULL);
  assert_kernel_watches (notify, PROJECT_WATCHED + 2);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, PROJECT_WATCHED + 2);
}

/* A project moved in is reported and watched, all but its ignored parts. */
static void
test_ignore_tree_moved_in (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "root");
  g_autofree char *project = wf_test_fixture_path (fixture, "outside/proj");
  g_autofree char *moved = wf_test_fixture_path (fixture, "root/proj");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  if (!wf_test_in_debug_subprocess ())
    return;

  wf_test_mkdir (root);
  mkdir_in (fixture, "outside");
  make_project (project);
  notify = notify_new_default_rules (paths);
  assert_kernel_watches (notify, 1);

  move (project, moved);
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_ADDED, "root/proj",
                                WF_CHANGE_ADDED, "root/proj/src",
                                WF_CHANGE_ADDED, "root/proj/src/a",
                                WF_CHANGE_ADDED, "root/proj/src/a/main.c",
                                WF_CHANGE_ADDED, "root/proj/src/b",
                                0);
  assert_kernel_watches (notify, 1 + PROJECT_WATCHED);

  /* And what is watched of it works. */
  touch_in (fixture, "root/proj/control");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "root/proj/control", 0);
}

/* A root is watched whatever its name; its own ignored entries are not. */
static void
test_ignore_root_of_ignored_name (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *root = wf_test_fixture_path (fixture, "node_modules");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  mkdir_in (fixture, "node_modules/pkg/node_modules/dep");
  notify = notify_new_default_rules (paths);
  /* node_modules and pkg; not pkg/node_modules nor what it holds. */
  assert_kernel_watches (notify, 2);

  touch_in (fixture, "node_modules/pkg/index.js");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "node_modules/pkg/index.js", 0);
}

/* Custom rules: a name glob, a path glob, a prefix and a pattern each
 * keep their directory unwatched. */
static void
test_ignore_custom_rules (Fixture *fixture, gconstpointer user_data)
{
  static const char *const dirs[] = {
    "keep/sub", "build/obj", "web/dist/js", "logs.d/old", "vendor/lib", "tmp9/x",
  };
  g_autofree char *vendor = wf_test_fixture_path (fixture, "vendor");
  g_autoptr (WfIgnoreRules) rules = wf_test_custom_rules (vendor);
  g_autoptr (GError) error = NULL;
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    mkdir_in (fixture, dirs[i]);
  notify = notify_new_with_rules (paths, rules, FALSE, &error);
  g_assert_no_error (error);
  /* The root, keep, keep/sub, web. */
  assert_kernel_watches (notify, 4);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 4);
}

/* What an ignored tree costs is nothing, so even one larger than the
 * watch limit does not stop a watch (watchfiles#207, #288). */
static int
ignore_watch_limit_in_child (Fixture *fixture)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *limit = g_strdup_printf ("%d\n", SMALL_WATCH_LIMIT);
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  if (!write_text ("/proc/sys/user/max_inotify_watches", limit))
    return EXIT_SKIP;

  /* Without rules the limit is hit: the test could fail. */
  notify = notify_new_with_rules (paths, NULL, FALSE, &error);
  wf_test_assert_refused (notify, &error, WF_ERROR, WF_ERROR_WATCH_LIMIT);

  notify = notify_new_default_rules (paths);
  g_assert_cmpuint (count_kernel_watches (), ==, 2);
  g_object_unref (notify);
  return 0;
}

static void
test_ignore_watch_limit (Fixture *fixture, gconstpointer user_data)
{
  {
    g_autofree char *modules = wf_test_fixture_path (fixture, "node_modules");

    mkdir_in (fixture, "src");
    make_tree_of_directories (modules, 30);
  }
  run_in_user_namespace (fixture, ignore_watch_limit_in_child);
}

/* An unreadable ignored directory is never tried: no permission error,
 * even without ignore_permission_denied. */
static int
ignore_unreadable_in_child (Fixture *fixture)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  notify = notify_new_with_rules (paths, NULL, FALSE, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  notify = notify_new_default_rules (paths);
  g_assert_cmpuint (count_kernel_watches (), ==, 1);
  g_assert_cmpuint (wf_test_describe_field (notify, "unwatched"), ==, 0);
  g_object_unref (notify);
  return 0;
}

static void
test_ignore_unreadable (Fixture *fixture, gconstpointer user_data)
{
  mkdir_in (fixture, ".git/objects");
  chmod_in (fixture, ".git", 0);
  run_in_user_namespace (fixture, ignore_unreadable_in_child);
}

/* A resync walks the tree again: it watches no ignored directory either,
 * and reports nothing about ignored names, not even one it was told
 * about while watching (the events were lost in between). */
static void
test_ignore_queue_overflow (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr (WfNotify) notify = NULL;
  g_autofree char *pyc = wf_test_fixture_path (fixture, "src/a/x.pyc");
  g_autofree char *noise1 = wf_test_fixture_path (fixture, "src/noise1");
  g_autofree char *noise2 = wf_test_fixture_path (fixture, "src/noise2");
  g_autofree char *expected = NULL;
  Overflow overflow = { 0 };

  if (!wf_test_in_debug_subprocess ())
    return;

  make_project (fixture->tmpdir);
  touch (noise1);
  touch (noise2);
  if (!overflow_begin_with_rules (&overflow, paths, rules, &notify))
    return;
  assert_kernel_watches (notify, PROJECT_WATCHED);

  /* Seen while watching, and left out of what the backend knows. */
  touch (pyc);
  touch_in (fixture, "src/b/first");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "src/b/first", 0);

  overflow_burst_begin (&overflow);
  overflow_noise (noise1, noise2);
  g_assert_cmpint (g_unlink (pyc), ==, 0);
  {
    g_autofree char *new_module = wf_test_fixture_path (fixture, "node_modules/late/lib");
    g_autofree char *new_git = wf_test_fixture_path (fixture, "src/b/.git");

    g_assert_cmpint (g_mkdir_with_parents (new_module, 0755), ==, 0);
    g_assert_cmpint (g_mkdir (new_git, 0755), ==, 0);
  }
  touch_in (fixture, "src/a/control");
  overflow_end (&overflow, notify);

  /* The noise is reported too, as far as it got through, and a resync may
   * call "modified" what changed in the clock tick of the last complete
   * read (see test_queue_overflow_differences).  The debug output says
   * that nothing at all was pushed about ignored paths. */
  expected = wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "src/a/control", 0);
  assert_changes_apart_from (notify, expected, NULL, "*/src/noise*", "2:*", NULL);
  overflow_assert_resynced (&overflow, notify);
  assert_kernel_watches (notify, PROJECT_WATCHED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/inotify/" name, Fixture, NULL, wf_test_fixture_set_up, func, wf_test_fixture_tear_down)

  ADD ("new-directory-race", test_new_directory_race);
  ADD ("mkdir-parents", test_mkdir_parents);
  ADD ("tree-moved-in", test_tree_moved_in);
  ADD ("tree-moved-out", test_tree_moved_out);
  ADD ("directory-renamed-inside", test_directory_renamed_inside);
  ADD ("subtree-deleted", test_subtree_deleted);
  ADD ("chmod-is-a-change", test_chmod_is_a_change);
  ADD ("single-file-root", test_single_file_root);
  ADD ("relative-root-kept-as-given", test_relative_root_kept_as_given);
  ADD ("symlink-loop", test_symlink_loop);
  ADD ("symlinked-directory-followed", test_symlinked_directory_followed);
  ADD ("non-utf8-name", test_non_utf8_name);
  ADD ("queue-overflow-resync", test_queue_overflow_resync);
  ADD ("queue-overflow-differences", test_queue_overflow_differences);
  ADD ("watch-limit", test_watch_limit);
  ADD ("watch-limit-at-run-time", test_watch_limit_at_run_time);
  ADD ("permission-denied", test_permission_denied);
  ADD ("symlink-target-renamed", test_symlink_target_renamed);
  ADD ("real-path-takes-over-from-symlink", test_real_path_takes_over_from_symlink);
  ADD ("root-deleted-and-recreated", test_root_deleted_and_recreated);
  ADD ("root-moved-away-and-back", test_root_moved_away_and_back);
  ADD ("root-missing-chain", test_root_missing_chain);
  ADD ("file-root-atomic-save", test_file_root_atomic_save);
  ADD ("root-parent-removed", test_root_parent_removed);
  ADD ("root-back-unreadable", test_root_back_unreadable);
  ADD ("deeper-than-path-max", test_deeper_than_path_max);
  ADD ("queue-overflow-root-gone", test_queue_overflow_root_gone);
  ADD ("ignore/initial-walk", test_ignore_initial_walk);
  ADD ("ignore/new-directory", test_ignore_new_directory);
  ADD ("ignore/tree-moved-in", test_ignore_tree_moved_in);
  ADD ("ignore/root-of-ignored-name", test_ignore_root_of_ignored_name);
  ADD ("ignore/custom-rules", test_ignore_custom_rules);
  ADD ("ignore/watch-limit", test_ignore_watch_limit);
  ADD ("ignore/unreadable", test_ignore_unreadable);
  ADD ("ignore/queue-overflow", test_ignore_queue_overflow);

#undef ADD

#define ADD_WITH(name, data, func) \
  g_test_add ("/inotify/" name, Fixture, data, wf_test_fixture_set_up, func, wf_test_fixture_tear_down)

  ADD_WITH ("symlink-after-target", "z_link", test_symlink_alias_real_path_owns);
  ADD_WITH ("symlink-before-target", "0_link", test_symlink_alias_real_path_owns);
  ADD_WITH ("overlapping-roots-subtree-moved/sub-first", GINT_TO_POINTER (TRUE),
            test_overlapping_roots_subtree_moved);
  ADD_WITH ("overlapping-roots-subtree-moved/root-first", GINT_TO_POINTER (FALSE),
            test_overlapping_roots_subtree_moved);

#undef ADD_WITH

  return g_test_run ();
}
