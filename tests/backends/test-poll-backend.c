/* test-poll-backend.c: what only the poll backend promises, through the
 * public WfNotify API with polling forced: nanosecond fingerprints (same
 * second writes, chmod, size-preserving rewrites), whole subtrees coming
 * and going, roots that vanish and return, per-path errors that do not
 * stop a scan, symlink loops, a zero delay that does not spin, and
 * ignored trees that are never listed nor stat'ed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wf-test-util.h"

/* Generous: a loaded CI machine may take long between scans. */
#define COLLECT_TIMEOUT_MS 5000
#define TEST_POLL_DELAY_MS 20

typedef WfTestFixture Fixture;

static void
assert_no_changes (WfNotify *notify)
{
  wf_test_assert_changes (notify, "");
}

static WfNotify *
poll_notify_new (Fixture *fixture, const char *relative_root, gboolean recursive,
                 gboolean ignore_permission_denied, GError **error)
{
  g_autofree char *root = wf_test_fixture_path (fixture, relative_root);
  const char *paths[] = { root, NULL };

  return wf_notify_new (paths, g_getenv ("WF_TEST_DEBUG") != NULL, TRUE,
                        TEST_POLL_DELAY_MS, recursive, ignore_permission_denied, error);
}

/* A watcher the test needs, not one it expects to be refused. */
static WfNotify *
poll_notify_new_ok (Fixture *fixture, const char *relative_root, gboolean recursive,
                    gboolean ignore_permission_denied)
{
  g_autoptr(GError) error = NULL;
  WfNotify *notify = poll_notify_new (fixture, relative_root, recursive, ignore_permission_denied, &error);

  g_assert_no_error (error);
  return notify;
}

/* Mode 0700, which wf_test_rm_rf() sets before emptying a directory: a
 * mode change while a tree is deleted would be a real (racy) "modified". */
static void
make_dir_path (const char *path)
{
  g_assert_no_errno (g_mkdir_with_parents (path, 0700));
}

static void
make_dir (Fixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  make_dir_path (path);
}

/* Rewrites an existing file in place.  Creates the missing parents too, so
 * a tree is set up in few lines. */
static void
write_file (Fixture *fixture, const char *relative, const char *contents)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  g_autofree char *parent = g_path_get_dirname (path);

  make_dir_path (parent);
  wf_test_write (path, contents);
}

/* Makes a new file appear with its contents at once.  A file created and
 * then written may be seen empty by one scan and written by the next, which
 * is a real "added" then "modified" and would make the expected set racy.
 * The file is staged beside the watched roots, never inside them. */
static void
create_file (Fixture *fixture, const char *relative, const char *contents)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *staged = wf_test_fixture_path (fixture, "staged");

  make_dir_path (parent);
  wf_test_write (staged, contents);
  g_assert_no_errno (g_rename (staged, path));
}

/* Same size, same inode: only the file's times change, so nothing but
 * the time stamps can tell the change. */
static void
overwrite_in_place (const char *path, const char *contents)
{
  int fd = open (path, O_WRONLY);
  gssize length = strlen (contents);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, contents, length), ==, length);
  g_assert_no_errno (close (fd));
}

static void
change_mode (Fixture *fixture, const char *relative, mode_t mode)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  g_assert_no_errno (g_chmod (path, mode));
}

static void
remove_tree (Fixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  wf_test_rm_rf (path);
}

static void
make_symlink (Fixture *fixture, const char *target, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  g_assert_no_errno (symlink (target, path));
}

/* ---- unreadable paths: where chmod 000 bites ------------------------------- */

#define EXIT_NO_USER_NAMESPACE 77

typedef void (*UnreadableBody) (Fixture *fixture);

/* Runs @body where a mode of 000 makes a directory unreadable.  Not root:
 * right here.  Root, whose CAP_DAC_OVERRIDE ignores permissions: in a
 * forked child that first enters a new user namespace, as the inotify
 * tests do.  The child keeps its kernel uid 0, the owner of the temporary
 * tree (its chmods still work), but its capabilities now hold only in the
 * new namespace, and CAP_DAC_OVERRIDE covers no inode whose owner that
 * namespace does not map.  No uid_map is written, so it maps none and the
 * owner's permission bits apply: writing "0 0 1" would map root again and
 * give the override back.
 *
 * fork() rather than g_test_trap_subprocess(): unshare (CLONE_NEWUSER)
 * needs a single-threaded process, which a forked copy is, while
 * g_test_trap_subprocess() leaves a GLib worker thread that valgrind then
 * reports.  @body must free all it allocates before returning: the child
 * _exit()s, and valgrind would call anything left lost there.  The child's
 * stdout goes to stderr, so the TAP stream stays the parent's and a failed
 * assertion (which aborts the child) is told in the error log; the parent
 * then fails the test with the child's status.  Where no user namespace
 * can be made (a container forbidding them), the test is skipped. */
static void
run_unprivileged (Fixture *fixture, UnreadableBody body)
{
  int reason[2];
  int unshare_errno = 0;
  ssize_t n_read;
  int status;
  pid_t pid;

  if (geteuid () != 0)
    {
      body (fixture);
      return;
    }

  g_assert_no_errno (pipe2 (reason, O_CLOEXEC));
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      const struct rlimit no_core = { 0, 0 };

      close (reason[0]);
      if (unshare (CLONE_NEWUSER) != 0)
        {
          int saved_errno = errno;

          if (write (reason[1], &saved_errno, sizeof saved_errno) < 0)
            _exit (EXIT_FAILURE);
          _exit (EXIT_NO_USER_NAMESPACE);
        }
      close (reason[1]);
      if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
        _exit (EXIT_FAILURE);
      /* An assertion failing here is reported by the parent; no core. */
      setrlimit (RLIMIT_CORE, &no_core);
      body (fixture);
      _exit (g_test_failed () ? EXIT_FAILURE : EXIT_SUCCESS);
    }

  close (reason[1]);
  do
    n_read = read (reason[0], &unshare_errno, sizeof unshare_errno);
  while (n_read < 0 && errno == EINTR);
  close (reason[0]);
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);

  if (WIFEXITED (status) && WEXITSTATUS (status) == EXIT_NO_USER_NAMESPACE &&
      n_read == sizeof unshare_errno)
    g_test_skip_printf ("running as root: chmod 000 does not make a directory unreadable, "
                        "and no user namespace can be made here (unshare: %s)",
                        g_strerror (unshare_errno));
  else if (WIFSIGNALED (status))
    g_test_fail_printf ("the test's child process (in a user namespace) was killed by signal %d (%s)",
                        WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != EXIT_SUCCESS)
    g_test_fail_printf ("the test's child process (in a user namespace) exited with status %d",
                        WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

static void
test_create_tree (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/existing");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  make_dir (fixture, "w/d/sub");
  create_file (fixture, "w/d/f", "1");
  create_file (fixture, "w/d/sub/g", "2");
  create_file (fixture, "w/existing/h", "3");

  /* The parents' own mtime changes are not modifications: the entries are
   * what changed, as with inotify. */
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_ADDED, "w/d",
                                WF_CHANGE_ADDED, "w/d/f",
                                WF_CHANGE_ADDED, "w/d/sub",
                                WF_CHANGE_ADDED, "w/d/sub/g",
                                WF_CHANGE_ADDED, "w/existing/h",
                                0);
}

static void
test_delete_tree (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/d/sub/deeper");
  write_file (fixture, "w/d/f", "1");
  write_file (fixture, "w/d/sub/g", "2");
  write_file (fixture, "w/d/sub/deeper/h", "3");
  write_file (fixture, "w/kept", "4");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  remove_tree (fixture, "w/d");

  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_DELETED, "w/d",
                                WF_CHANGE_DELETED, "w/d/f",
                                WF_CHANGE_DELETED, "w/d/sub",
                                WF_CHANGE_DELETED, "w/d/sub/g",
                                WF_CHANGE_DELETED, "w/d/sub/deeper",
                                WF_CHANGE_DELETED, "w/d/sub/deeper/h",
                                0);
}

static void
test_same_second_write (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *path = wf_test_fixture_path (fixture, "w/a");
  g_autofree char *expected = NULL;
  struct timespec times[2];
  struct stat before, after;

  write_file (fixture, "w/a", "1111");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);
  expected = wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "w/a", 0);

  overwrite_in_place (path, "2222");
  wf_test_assert_changes (notify, expected);

  /* Same size, and an mtime in the same whole second as the write already
   * reported: what notify's second-resolution comparison misses (#319).
   * The clock may have crossed a second since, so the mtime is pinned. */
  g_assert_no_errno (stat (path, &before));
  overwrite_in_place (path, "3333");
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = before.st_mtim.tv_sec;
  times[1].tv_nsec = before.st_mtim.tv_nsec >= 500000000 ? before.st_mtim.tv_nsec - 1 : before.st_mtim.tv_nsec + 1;
  g_assert_no_errno (utimensat (AT_FDCWD, path, times, 0));
  g_assert_no_errno (stat (path, &after));
  g_assert_cmpint (after.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);
  g_assert_cmpint (after.st_size, ==, before.st_size);

  wf_test_assert_changes (notify, expected);
}

static void
test_chmod (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  write_file (fixture, "w/a", "data");
  make_dir (fixture, "w/d");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  change_mode (fixture, "w/a", 0600);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/a", 0);

  change_mode (fixture, "w/d", 0711);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/d", 0);
}

static void
test_size_preserving_rewrite (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *path = wf_test_fixture_path (fixture, "w/a");
  g_autofree char *outside = wf_test_fixture_path (fixture, "a.tmp");
  g_autofree char *expected = NULL;

  write_file (fixture, "w/a", "hello");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);
  expected = wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "w/a", 0);

  overwrite_in_place (path, "world");
  wf_test_assert_changes (notify, expected);

  /* An editor's atomic save: same size, a new inode.  The temporary file
   * lives outside the root so the expected set is exact. */
  wf_test_write (outside, "HELLO");
  g_assert_no_errno (g_rename (outside, path));
  wf_test_assert_changes (notify, expected);
}

static void
test_replace_file_with_directory (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  write_file (fixture, "w/x", "file");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  remove_tree (fixture, "w/x");
  make_dir (fixture, "w/x");
  create_file (fixture, "w/x/y", "inside");

  /* Whether or not a scan falls between the two steps, the set is the same. */
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_DELETED, "w/x",
                                WF_CHANGE_ADDED, "w/x",
                                WF_CHANGE_ADDED, "w/x/y",
                                0);
}

static void
test_missing_root (Fixture *fixture, gconstpointer user_data)
{
  for (int ignore = FALSE; ignore <= TRUE; ignore++)
    {
      g_autoptr(WfNotify) notify = NULL;
      g_autoptr(GError) error = NULL;

      /* RustNotify checks existence before polling, whatever
       * ignore_permission_denied says. */
      notify = poll_notify_new (fixture, "missing", TRUE, ignore, &error);
      wf_test_assert_not_found (notify, error);
    }
}

static void
test_root_deleted_and_recreated (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/sub");
  write_file (fixture, "w/f", "1");
  write_file (fixture, "w/sub/g", "2");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  remove_tree (fixture, "w");
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_DELETED, "w",
                                WF_CHANGE_DELETED, "w/f",
                                WF_CHANGE_DELETED, "w/sub",
                                WF_CHANGE_DELETED, "w/sub/g",
                                0);

  make_dir (fixture, "w/new");
  create_file (fixture, "w/new/h", "3");
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_ADDED, "w",
                                WF_CHANGE_ADDED, "w/new",
                                WF_CHANGE_ADDED, "w/new/h",
                                0);

  /* Watched again as before, not just reported once. */
  write_file (fixture, "w/new/h", "changed");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/new/h", 0);
}

static void
test_file_root_deleted_and_recreated (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  write_file (fixture, "only", "1");
  write_file (fixture, "sibling", "1");
  notify = poll_notify_new_ok (fixture, "only", TRUE, FALSE);

  remove_tree (fixture, "only");
  write_file (fixture, "sibling", "not watched");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "only", 0);

  create_file (fixture, "only", "back");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "only", 0);
}

static void
unreadable_subdirectory_ignored (Fixture *fixture)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/locked");
  write_file (fixture, "w/locked/secret", "1");
  write_file (fixture, "w/open", "2");
  change_mode (fixture, "w/locked", 0);

  notify = poll_notify_new_ok (fixture, "w", TRUE, TRUE);

  /* The rest of the tree is watched. */
  write_file (fixture, "w/open", "changed");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/open", 0);

  /* Once readable, its entries are seen for the first time. */
  change_mode (fixture, "w/locked", 0700);
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_MODIFIED, "w/locked",
                                WF_CHANGE_ADDED, "w/locked/secret",
                                0);
}

static void
test_unreadable_subdirectory_ignored (Fixture *fixture, gconstpointer user_data)
{
  run_unprivileged (fixture, unreadable_subdirectory_ignored);
}

static void
unreadable_subdirectory_fatal (Fixture *fixture)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;

  make_dir (fixture, "w/locked");
  change_mode (fixture, "w/locked", 0);

  notify = poll_notify_new (fixture, "w", TRUE, FALSE, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_null (notify);
}

static void
test_unreadable_subdirectory_fatal (Fixture *fixture, gconstpointer user_data)
{
  run_unprivileged (fixture, unreadable_subdirectory_fatal);
}

static void
unreadable_while_watching (Fixture *fixture)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/d");
  write_file (fixture, "w/d/inside", "1");
  write_file (fixture, "w/other", "2");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  /* The subtree keeps its snapshot: nothing in it is reported deleted,
   * and scanning the rest goes on. */
  change_mode (fixture, "w/d", 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/d", 0);

  write_file (fixture, "w/other", "changed");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/other", 0);

  /* Readable again: the old snapshot still holds, nothing new to say. */
  change_mode (fixture, "w/d", 0700);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/d", 0);
}

static void
test_unreadable_while_watching (Fixture *fixture, gconstpointer user_data)
{
  run_unprivileged (fixture, unreadable_while_watching);
}

static void
unreadable_root (Fixture *fixture)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;

  write_file (fixture, "w/f", "1");
  change_mode (fixture, "w", 0);

  notify = poll_notify_new (fixture, "w", TRUE, FALSE, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  /* Skipped, the root is still watched from its path. */
  notify = poll_notify_new_ok (fixture, "w", TRUE, TRUE);
  change_mode (fixture, "w", 0700);
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_MODIFIED, "w",
                                WF_CHANGE_ADDED, "w/f",
                                0);
}

static void
test_unreadable_root (Fixture *fixture, gconstpointer user_data)
{
  run_unprivileged (fixture, unreadable_root);
}

static void
test_symlink_loop (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/a");
  make_symlink (fixture, "..", "w/a/up");      /* back to the root */
  make_symlink (fixture, "a", "w/b");          /* a second way into a */
  make_symlink (fixture, "self", "w/self");    /* ELOOP on stat() */

  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);
  /* w, w/a and w/b (which is a again, under another path); every "up"
   * leads back to a directory being listed and is not entered. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);

  /* A file in a is seen through both of its paths, as walkdir does. */
  create_file (fixture, "w/a/f", "1");
  make_symlink (fixture, "nowhere", "w/dangling");
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_ADDED, "w/a/f",
                                WF_CHANGE_ADDED, "w/b/f",
                                WF_CHANGE_ADDED, "w/dangling",
                                0);
}

static void
test_symlinks_not_followed (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = wf_test_fixture_path (fixture, "w");
  const char *paths[] = { root, NULL };

  make_dir (fixture, "w");
  make_dir (fixture, "target");
  make_symlink (fixture, "../target", "w/link");

  notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
                           "paths", paths,
                           "force-polling", TRUE,
                           "poll-delay-ms", TEST_POLL_DELAY_MS,
                           "follow-symlinks", FALSE,
                           NULL);
  g_assert_no_error (error);

  create_file (fixture, "target/hidden", "1");
  assert_no_changes (notify);

  create_file (fixture, "w/seen", "2");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "w/seen", 0);
}

static void
test_non_recursive (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_dir (fixture, "w/sub");
  notify = poll_notify_new_ok (fixture, "w", FALSE, FALSE);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);

  create_file (fixture, "w/direct", "1");
  create_file (fixture, "w/sub/grandchild", "2");
  make_dir (fixture, "w/newdir");
  create_file (fixture, "w/newdir/grandchild", "3");
  wf_test_assert_changes_below (notify, fixture,
                                WF_CHANGE_ADDED, "w/direct",
                                WF_CHANGE_ADDED, "w/newdir",
                                0);
}

static void
test_non_utf8_name (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *expected = NULL;
  const char *name = "w/caf\xe9";   /* Latin-1, invalid as UTF-8 */

  make_dir (fixture, "w");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  create_file (fixture, name, "1");
  expected = wf_test_expect_changes (fixture, WF_CHANGE_ADDED, name, 0);
  g_assert_false (g_utf8_validate (expected, -1, NULL));
  wf_test_assert_changes (notify, expected);

  write_file (fixture, name, "22");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, name, 0);

  remove_tree (fixture, name);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, name, 0);
}

static void
test_relative_root (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_cwd = g_get_current_dir ();
  g_autofree char *seen = NULL;
  const char *paths[] = { "w", NULL };

  make_dir (fixture, "w");
  g_assert_no_errno (g_chdir (fixture->tmpdir));
  notify = wf_notify_new (paths, FALSE, TRUE, TEST_POLL_DELAY_MS, TRUE, FALSE, &error);
  g_assert_no_error (error);

  /* Reported exactly as given, as notify's PollWatcher does. */
  create_file (fixture, "w/x", "1");
  seen = wf_test_collect (notify, COLLECT_TIMEOUT_MS, "1:w/x");
  g_assert_no_errno (g_chdir (old_cwd));
  g_assert_cmpstr (seen, ==, "1:w/x");
}

static void
test_describe (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *description = NULL;

  make_dir (fixture, "w/a/b");
  write_file (fixture, "w/a/f", "1");
  write_file (fixture, "w/a/b/g", "2");
  notify = poll_notify_new_ok (fixture, "w", TRUE, FALSE);

  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
  /* Entries: w, w/a, w/a/b, w/a/f, w/a/b/g. */
  description = wf_notify_describe (notify);
  g_assert_true (g_str_has_prefix (description,
                                   "PollBackend { delay: 20ms, roots: 1, directories: 3, entries: 5, scans: "));
}

static void
test_delay_honoured (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = wf_test_fixture_path (fixture, "w");
  const char *paths[] = { root, NULL };
  guint before, after;

  make_dir (fixture, "w");
  notify = wf_notify_new (paths, FALSE, TRUE, 200, TRUE, FALSE, &error);
  g_assert_no_error (error);

  /* Counting cycles, not timing one: 2 s at one scan per 200 ms is about
   * 10; the bounds only refuse a delay ignored (dozens) or much too long. */
  before = wf_test_describe_field (notify, "scans");
  g_usleep (2 * G_USEC_PER_SEC);
  after = wf_test_describe_field (notify, "scans");
  g_test_message ("scans in 2 s with poll_delay_ms=200: %u", after - before);
  g_assert_cmpuint (after - before, >=, 5);
  g_assert_cmpuint (after - before, <=, 11);
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  g_assert_no_errno (getrusage (RUSAGE_SELF, &usage));
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static void
test_zero_delay_does_not_spin (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = wf_test_fixture_path (fixture, "w");
  const char *paths[] = { root, NULL };
  gint64 wall_start, wall_end;
  double cpu_start, cpu_end, cpu_per_wall;

  /* Small, so that even under valgrind a scan stays well below the 1 ms
   * minimum pause and the figure measures the pacing, not the tree. */
  for (int i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("w/d%d/f%d", i % 2, i);
      write_file (fixture, name, "x");
    }
  notify = wf_notify_new (paths, FALSE, TRUE, 0, TRUE, FALSE, &error);
  g_assert_no_error (error);

  /* Still polling, and promptly. */
  write_file (fixture, "w/d0/f0", "changed");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "w/d0/f0", 0);

  /* Nothing to wait for here: the thread is left alone for a second. */
  cpu_start = cpu_seconds ();
  wall_start = g_get_monotonic_time ();
  g_usleep (G_USEC_PER_SEC);
  cpu_end = cpu_seconds ();
  wall_end = g_get_monotonic_time ();

  cpu_per_wall = (cpu_end - cpu_start) / ((wall_end - wall_start) / 1e6);
  g_test_message ("idle CPU with poll_delay_ms=0: %.3f s per wall second", cpu_per_wall);
  g_assert_cmpfloat (cpu_per_wall, <, 0.5);
}

/* ---- ignore rules: ignored trees are never scanned (DESIGN rule 5) --------- */

static WfNotify *
poll_notify_new_with_rules (Fixture *fixture, const char *relative_root, WfIgnoreRules *rules,
                            gboolean ignore_permission_denied, GError **error)
{
  g_autofree char *root = wf_test_fixture_path (fixture, relative_root);
  const char *paths[] = { root, NULL };

  return wf_test_notify_new_with_rules ("poll", paths, rules, ignore_permission_denied, error);
}

static WfNotify *
poll_notify_new_default_rules (Fixture *fixture, const char *relative_root,
                               gboolean ignore_permission_denied, GError **error)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  return poll_notify_new_with_rules (fixture, relative_root, rules, ignore_permission_denied, error);
}

/* A project: "w", "w/src", "w/src/a" and "w/src/b" are scanned with the
 * default rules, the other 16 directories are not. */
#define PROJECT_SCANNED 4
#define PROJECT_ALL     20

static void
make_project (Fixture *fixture)
{
  static const char *const dirs[] = {
    "w/src/a", "w/src/b",
    "w/node_modules/p1/lib", "w/node_modules/p2/lib/deep", "w/node_modules/p3",
    "w/.git/objects/ab", "w/.git/refs/heads",
    "w/src/node_modules/x/y", "w/src/__pycache__",
  };
  static const char *const files[] = {
    "w/src/a/main.c", "w/src/m.pyc", "w/src/__pycache__/m.cpython-311.pyc",
    "w/node_modules/p1/lib/index.js", "w/node_modules/p3/package.json", "w/.git/HEAD",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    make_dir (fixture, dirs[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    write_file (fixture, files[i], "original");
}

static void
test_ignore_not_scanned (Fixture *fixture, gconstpointer user_data)
{
  static const char *const ignored_writes[] = {
    "w/node_modules/p1/lib/index.js", "w/node_modules/p2/lib/deep/new.js", "w/node_modules/new.js",
    "w/node_modules/newpkg/dist/bundle.js", "w/.git/HEAD", "w/.git/objects/ab/cdef",
    "w/src/n.pyc", "w/src/m.pyc", "w/src/__pycache__/n.pyc", "w/src/b/node_modules/new/i.js",
    "w/src/a/.git/config",
  };
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;

  if (!wf_test_in_debug_subprocess ())
    return;

  make_project (fixture);

  /* The count tells them apart: without rules, every directory. */
  notify = poll_notify_new_with_rules (fixture, "w", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, PROJECT_ALL);
  g_clear_object (&notify);

  notify = poll_notify_new_default_rules (fixture, "w", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, PROJECT_SCANNED);

  for (gsize i = 0; i < G_N_ELEMENTS (ignored_writes); i++)
    create_file (fixture, ignored_writes[i], "changed");
  create_file (fixture, "w/src/a/control", "1");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "w/src/a/control", 0);
  /* Later scans keep to the same directories. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, PROJECT_SCANNED);
}

/* An ignored directory that cannot be opened is never tried: no error,
 * even without ignore_permission_denied. */
static void
ignore_unreadable (Fixture *fixture)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;

  make_dir (fixture, "w/node_modules/pkg");
  make_dir (fixture, "w/src");
  change_mode (fixture, "w/node_modules", 0);

  /* Without rules it fails: the test can. */
  notify = poll_notify_new_with_rules (fixture, "w", NULL, FALSE, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  notify = poll_notify_new_default_rules (fixture, "w", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  g_assert_cmpuint (wf_test_describe_field (notify, "directories"), ==, 2);

  /* Scans go on without a word about it. */
  create_file (fixture, "w/src/control", "1");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "w/src/control", 0);
}

static void
test_ignore_unreadable (Fixture *fixture, gconstpointer user_data)
{
  run_unprivileged (fixture, ignore_unreadable);
}

/* A directory that can be listed but not searched (mode r--): every
 * stat() of its entries fails.  Ignored entries are never stat'ed, so
 * holding only those, it is watched without error. */
static void
ignore_no_stat (Fixture *fixture)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;

  write_file (fixture, "w/listed/x.pyc", "1");
  write_file (fixture, "w/listed/.#lock", "2");
  make_dir (fixture, "w/listed/.git");
  write_file (fixture, "w/other/kept.txt", "3");
  change_mode (fixture, "w/listed", 0400);
  change_mode (fixture, "w/other", 0400);

  /* With an entry to stat, it fails: the test can. */
  notify = poll_notify_new_default_rules (fixture, "w", FALSE, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  change_mode (fixture, "w/other", 0700);
  remove_tree (fixture, "w/other");
  notify = poll_notify_new_default_rules (fixture, "w", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  g_assert_cmpuint (wf_test_describe_field (notify, "entries"), ==, 2);
  g_clear_object (&notify);
  change_mode (fixture, "w/listed", 0700);
}

static void
test_ignore_no_stat (Fixture *fixture, gconstpointer user_data)
{
  run_unprivileged (fixture, ignore_no_stat);
}

/* A root is scanned whatever its name; its own ignored entries are not. */
static void
test_ignore_root_of_ignored_name (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;

  make_dir (fixture, "node_modules/pkg/node_modules/dep");
  notify = poll_notify_new_default_rules (fixture, "node_modules", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  create_file (fixture, "node_modules/pkg/index.js", "1");
  create_file (fixture, "node_modules/pkg/node_modules/dep/index.js", "1");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "node_modules/pkg/index.js", 0);
}

/* Custom rules: a dir name, a name glob, a path glob, a prefix and a
 * pattern each keep their directory out of the scans. */
static void
test_ignore_custom_rules (Fixture *fixture, gconstpointer user_data)
{
  static const char *const dirs[] = {
    "w/keep/sub", "w/build/obj", "w/web/dist/js", "w/logs.d/old", "w/vendor/lib", "w/tmp9/x",
  };
  g_autofree char *vendor = wf_test_fixture_path (fixture, "w/vendor");
  g_autoptr(WfIgnoreRules) rules = wf_test_custom_rules (vendor);
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    make_dir (fixture, dirs[i]);

  notify = poll_notify_new_with_rules (fixture, "w", rules, FALSE, &error);
  g_assert_no_error (error);
  /* w, keep, keep/sub, web. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 4);

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/new", dirs[i]);

      create_file (fixture, file, "1");
    }
  create_file (fixture, "w/web/new", "1");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "w/keep/sub/new",
                                WF_CHANGE_ADDED, "w/web/new", 0);
}

static void
add_test (const char *name, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (name, Fixture, NULL, wf_test_fixture_set_up, func, wf_test_fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  add_test ("/poll/create-tree", test_create_tree);
  add_test ("/poll/delete-tree", test_delete_tree);
  add_test ("/poll/same-second-write", test_same_second_write);
  add_test ("/poll/chmod", test_chmod);
  add_test ("/poll/size-preserving-rewrite", test_size_preserving_rewrite);
  add_test ("/poll/replace-file-with-directory", test_replace_file_with_directory);
  add_test ("/poll/missing-root", test_missing_root);
  add_test ("/poll/root-deleted-and-recreated", test_root_deleted_and_recreated);
  add_test ("/poll/file-root-deleted-and-recreated", test_file_root_deleted_and_recreated);
  add_test ("/poll/unreadable-subdirectory/ignored", test_unreadable_subdirectory_ignored);
  add_test ("/poll/unreadable-subdirectory/fatal", test_unreadable_subdirectory_fatal);
  add_test ("/poll/unreadable-subdirectory/while-watching", test_unreadable_while_watching);
  add_test ("/poll/unreadable-root", test_unreadable_root);
  add_test ("/poll/symlink-loop", test_symlink_loop);
  add_test ("/poll/symlinks-not-followed", test_symlinks_not_followed);
  add_test ("/poll/non-recursive", test_non_recursive);
  add_test ("/poll/non-utf8-name", test_non_utf8_name);
  add_test ("/poll/relative-root", test_relative_root);
  add_test ("/poll/describe", test_describe);
  add_test ("/poll/zero-delay-does-not-spin", test_zero_delay_does_not_spin);
  add_test ("/poll/delay-honoured", test_delay_honoured);
  add_test ("/poll/ignore/not-scanned", test_ignore_not_scanned);
  add_test ("/poll/ignore/unreadable", test_ignore_unreadable);
  add_test ("/poll/ignore/no-stat", test_ignore_no_stat);
  add_test ("/poll/ignore/root-of-ignored-name", test_ignore_root_of_ignored_name);
  add_test ("/poll/ignore/custom-rules", test_ignore_custom_rules);

  return g_test_run ();
}
