/* SPDX-License-Identifier: MIT */
/* test-inotify-backend.c: what only the inotify backend promises, through
 * the public WfNotify API with the backend forced to "inotify": the watch
 * limit as a typed error that leaks no watch, subtrees past it polled by a
 * timer that runs only while needed, no watch left by a refused root, the
 * mechanics of a resync after the kernel queue overflows, the real path
 * owning a directory also reached through symlinks (one watch per inode),
 * what waiting for a missing root costs in watches, and ignored trees that
 * cost no watch.  Counted in the kernel's own terms (fdinfo's watches, the
 * reader thread's wake-ups).  What every backend does is in the scenario
 * matrix (test-scenarios.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wf-test-util.h"

/* Generous: a loaded CI machine may be slow to schedule the reader. */
#define COLLECT_TIMEOUT_MS 5000

typedef WfTestFixture Fixture;

#define touch        wf_test_touch
#define make_symlink wf_test_symlink
#define move         wf_test_rename
#define touch_in     wf_test_fixture_touch
#define move_in      wf_test_fixture_rename
#define mkdir_in     wf_test_fixture_mkdir
#define chmod_in     wf_test_fixture_chmod

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

/* ---- the watch limit -------------------------------------------------------- */

#define SMALL_WATCH_LIMIT 10

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

static const char *
watch_limit_in_child (Fixture *fixture, gconstpointer data)
{
  g_autofree char *big = wf_test_fixture_path (fixture, "big");
  g_autofree char *small = wf_test_fixture_path (fixture, "small");
  g_autofree char *limit = g_strdup_printf ("%d\n", SMALL_WATCH_LIMIT);
  const char *big_only[] = { big, NULL };
  const char *small_then_big[] = { small, big, NULL };
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  /* The namespace's own limit; the machine's stays as it is. */
  if (!wf_test_write_sysctl ("/proc/sys/user/max_inotify_watches", limit))
    return "cannot lower the namespace's inotify watch limit";

  /* With the policy "error", the limit is a typed error naming it. */
  notify = wf_test_notify_new_with_policy ("inotify", big_only, WF_WATCH_LIMIT_POLICY_ERROR, &error);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  g_assert_nonnull (strstr (error->message, "fs.inotify.max_user_watches"));
  g_assert_nonnull (strstr (error->message, "user.max_inotify_watches is 10"));
  g_printerr ("# %s\n", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  /* The big root fails half way; none of its watches may stay behind. */
  notify = wf_test_notify_new_with_policy ("inotify", small_then_big, WF_WATCH_LIMIT_POLICY_ERROR, &error);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  g_clear_error (&error);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);
  return NULL;
}

/* The default policy degrades instead (DESIGN rule 3): the watcher starts,
 * watches what it can, polls the rest, and shows it in the status; every
 * change in the polled part is still reported. */
static const char *
watch_limit_degrades_in_child (Fixture *fixture, gconstpointer data)
{
  g_autofree char *big = wf_test_fixture_path (fixture, "big");
  g_autofree char *limit = g_strdup_printf ("%d\n", SMALL_WATCH_LIMIT);
  const char *big_only[] = { big, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (WfNotify) notify = NULL;
  g_autoptr (WfStatus) status = NULL;
  guint n_polled;

  if (!wf_test_write_sysctl ("/proc/sys/user/max_inotify_watches", limit))
    return "cannot lower the namespace's inotify watch limit";

  notify = wf_test_notify_new_with_policy ("inotify", big_only, WF_WATCH_LIMIT_POLICY_POLL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_kernel_watches (), ==, SMALL_WATCH_LIMIT);
  status = wf_notify_get_status (notify);
  /* 30 directories: 10 watched, the other 20 polled, each its own subtree. */
  g_assert_cmpuint (wf_status_get_n_directories (status), ==, SMALL_WATCH_LIMIT);
  g_assert_cmpuint (wf_status_get_n_polled_directories (status), ==, 30 - SMALL_WATCH_LIMIT);
  n_polled = g_strv_length ((GStrv) wf_status_get_polled_subtrees (status));
  g_assert_cmpuint (n_polled, ==, 30 - SMALL_WATCH_LIMIT);
  for (guint i = 0; i < n_polled; i++)
    g_assert_cmpint (wf_status_get_polled_reason (status, i), ==, WF_POLL_REASON_WATCH_LIMIT);
  g_assert_cmpuint (wf_status_get_n_unwatched (status), ==, 0);

  /* A new file and an append, in a polled directory and a watched one. */
  {
    const char *polled_dir = wf_status_get_polled_subtrees (status)[0];
    g_autofree char *polled_file = g_build_filename (polled_dir, "log", NULL);
    g_autofree char *staged = wf_test_fixture_path (fixture, "staged-log");
    g_autofree char *expected = NULL;
    FILE *file;

    /* Written outside the root and renamed in: a scan landing between the
     * create and the write (valgrind makes that likely) would see an
     * "added" and then a "modified". */
    wf_test_write (staged, "1");
    g_assert_no_errno (rename (staged, polled_file));
    expected = g_strdup_printf ("1:%s", polled_file);
    wf_test_assert_changes (notify, expected);

    file = fopen (polled_file, "a");
    g_assert_nonnull (file);
    fputs ("more", file);
    fclose (file);
    g_free (expected);
    expected = g_strdup_printf ("2:%s", polled_file);
    wf_test_assert_changes (notify, expected);
  }
  return NULL;
}

/* Every watch taken (a limit of 0 here; elsewhere other programs hold
 * them all): not even the root has its own.  Chosen automatically on the
 * default policy, the watcher polls it all with the poll backend and says
 * why in the status; asked for by name, or on the error policy, inotify
 * fails with the limit, never substituted. */
static const char *
no_watch_left_in_child (Fixture *fixture, gconstpointer data)
{
  g_autofree char *big = wf_test_fixture_path (fixture, "big");
  g_autofree char *polled_file = wf_test_fixture_path (fixture, "big/d01/new");
  g_autofree char *expected = g_strdup_printf ("1:%s", polled_file);
  const char *big_only[] = { big, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(WfStatus) status = NULL;

  if (!wf_test_write_sysctl ("/proc/sys/user/max_inotify_watches", "0\n"))
    return "cannot lower the namespace's inotify watch limit";

  notify = wf_test_notify_new_with_policy ("inotify", big_only, WF_WATCH_LIMIT_POLICY_POLL, &error);
  wf_test_assert_refused (notify, &error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  notify = wf_test_notify_new_with_policy (NULL, big_only, WF_WATCH_LIMIT_POLICY_ERROR, &error);
  wf_test_assert_refused (notify, &error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  notify = wf_test_notify_new_with_policy (NULL, big_only, WF_WATCH_LIMIT_POLICY_POLL, &error);
  g_assert_no_error (error);
  status = wf_notify_get_status (notify);
  g_assert_cmpstr (wf_status_get_backend_name (status), ==, "poll");
  g_assert_nonnull (strstr (wf_status_get_fallback_reason (status), "the inotify backend could not start: "));
  g_assert_nonnull (strstr (wf_status_get_fallback_reason (status), "user.max_inotify_watches is 0"));
  wf_test_touch (polled_file);
  wf_test_assert_changes (notify, expected);
  return NULL;
}

static void
test_no_watch_left (Fixture *fixture, gconstpointer user_data)
{
  {
    g_autofree char *big = wf_test_fixture_path (fixture, "big");
    make_tree_of_directories (big, 3);
  }
  wf_test_run_in_user_namespace (fixture, NULL, no_watch_left_in_child);
}

static void
test_watch_limit_degrades (Fixture *fixture, gconstpointer user_data)
{
  {
    g_autofree char *big = wf_test_fixture_path (fixture, "big");
    make_tree_of_directories (big, 30);
  }
  wf_test_run_in_user_namespace (fixture, NULL, watch_limit_degrades_in_child);
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
  wf_test_run_in_user_namespace (fixture, NULL, watch_limit_in_child);
}

/* Waits until the status shows @expected subtrees polled for the limit. */
static void
await_limit_polled_subtrees (WfNotify *notify, guint expected)
{
  gint64 deadline = g_get_monotonic_time () + COLLECT_TIMEOUT_MS * 1000;

  /* A status, not an event: nothing to block on but the clock. */
  while (wf_test_status_polled_subtrees (notify, WF_POLL_REASON_WATCH_LIMIT) != expected)
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

static const char *
watch_limit_at_run_time_in_child (Fixture *fixture, gconstpointer data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *limit = g_strdup_printf ("%d\n", RUN_TIME_WATCH_LIMIT);
  g_autofree char *spare = wf_test_fixture_path (fixture, "spare");
  WfNotify *notify;

  if (!wf_test_write_sysctl ("/proc/sys/user/max_inotify_watches", limit))
    return "cannot lower the namespace's inotify watch limit";

  notify = notify_new (paths, FALSE);
  g_assert_cmpuint (count_kernel_watches (), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 0);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_polled_directories), ==, 0);
  /* Nothing degraded, no timer: the reader sleeps. */
  g_assert_cmpuint (reader_wakeups_in_300_ms (), <=, 1);

  /* Past the limit: reported (the new directory and what it holds), and
   * counted as degraded. */
  mkdir_in (fixture, "new");
  touch_in (fixture, "new/old");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new",
                                WF_CHANGE_ADDED, "new/old", 0);
  g_assert_cmpuint (count_kernel_watches (), ==, RUN_TIME_WATCH_LIMIT);
  {
    g_autoptr(WfStatus) status = wf_notify_get_status (notify);
    g_autofree char *new_dir = wf_test_fixture_path (fixture, "new");

    g_assert_cmpuint (wf_status_get_n_unwatched (status), ==, 0);
    g_assert_cmpuint (wf_status_get_n_polled_directories (status), ==, 1);
    g_assert_cmpuint (g_strv_length ((GStrv) wf_status_get_polled_subtrees (status)), ==, 1);
    g_assert_cmpstr (wf_status_get_polled_subtrees (status)[0], ==, new_dir);
    g_assert_cmpint (wf_status_get_polled_reason (status, 0), ==, WF_POLL_REASON_WATCH_LIMIT);
  }
  /* The timer runs while a subtree is polled. */
  g_assert_cmpuint (reader_wakeups_in_300_ms (), >=, 3);

  /* Every change in the polled part is reported (the matrix's
   * watch-limit-degradation); here a second polled directory, for the two
   * watches that free up below. */
  mkdir_in (fixture, "new/sub");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new/sub", 0);

  /* Two watches free: new and new/sub take them, silently, and the
   * polling (and its timer) stops. */
  wf_test_rm_rf (spare);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "spare",
                                WF_CHANGE_DELETED, "spare/inner", 0);
  await_limit_polled_subtrees (notify, 0);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_polled_directories), ==, 0);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 0);
  g_assert_cmpuint (count_kernel_watches (), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, RUN_TIME_WATCH_LIMIT);
  g_assert_cmpuint (reader_wakeups_in_300_ms (), <=, 1);

  /* Real watches now. */
  touch_in (fixture, "new/sub/after");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "new/sub/after", 0);

  g_object_unref (notify);
  return NULL;
}

static void
test_watch_limit_at_run_time (Fixture *fixture, gconstpointer user_data)
{
  mkdir_in (fixture, "keep");
  mkdir_in (fixture, "spare");
  mkdir_in (fixture, "spare/inner");
  wf_test_run_in_user_namespace (fixture, NULL, watch_limit_at_run_time_in_child);
}

/* ---- permissions ------------------------------------------------------------- */

/* A root refused for an unreadable subdirectory (the matrix's
 * unreadable-directory has the behaviour) leaves no watch behind; one
 * watched with the gap spends a watch on each readable directory only. */
static const char *
permission_denied_in_child (Fixture *fixture, gconstpointer data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  notify = wf_test_notify_new ("inotify", paths, TRUE, FALSE, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);

  notify = notify_new (paths, TRUE);
  g_assert_cmpuint (count_kernel_watches (), ==, 3);
  g_object_unref (notify);
  g_assert_cmpuint (count_kernel_watches (), ==, 0);
  return NULL;
}

static void
test_permission_denied (Fixture *fixture, gconstpointer user_data)
{
  mkdir_in (fixture, "locked/inside");
  mkdir_in (fixture, "open/inside");
  chmod_in (fixture, "locked", 0);
  wf_test_run_in_user_namespace (fixture, NULL, permission_denied_in_child);
}

/* ---- queue overflow ---------------------------------------------------------- */

#define BURST_FILES 2000

static void
test_queue_overflow_resync (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autoptr (GHashTable) seen = NULL;
  g_auto (GStrv) seen_lines = NULL;
  g_autofree char *seen_text = NULL;
  WfTestOverflow overflow = { 0 };

  if (!wf_test_overflow_begin (&overflow, "inotify", paths, NULL, &notify))
    return;
  /* Far more than 16 events while the reader cannot take them. */
  wf_test_overflow_burst_begin (&overflow);
  for (guint i = 0; i < BURST_FILES; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/f%04u", fixture->tmpdir, i);

      touch (file);
    }
  wf_test_overflow_end (&overflow);

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
  wf_test_overflow_assert_resynced (&overflow, notify);
}

/* A directory moved into a new one while the reader cannot run: the new
 * one's walk finds it under the watch its old path still holds, its
 * IN_MOVED_FROM unread, and claims that watch (reporting nothing below it
 * yet); when the queue then overflows before that IN_MOVED_FROM, the
 * resync must report what it holds added under its new path and what the
 * old path held deleted.  Found by the torture suite: the claim was taken
 * for an alias whose entries were reported through its owner, and its
 * children were never named.  The queue holds 16 events: @n_noise
 * attribute changes, then the mkdir (the 16th when @n_noise is 15: the
 * claim, then the lost move), the move.  Run for 13 to 16, so that the
 * move's events are read (the claim taking the watch over), lost, or the
 * mkdir lost too (no claim), each of which must give the same changes. */
static void
overflow_after_claim (Fixture *fixture, guint n_noise)
{
  g_autofree char *root = g_strdup_printf ("%s/run%u", fixture->tmpdir, n_noise);
  g_autofree char *noise1 = g_strdup_printf ("%s/noise1", root);
  g_autofree char *noise2 = g_strdup_printf ("%s/noise2", root);
  g_autofree char *a = g_strdup_printf ("%s/A", root);
  g_autofree char *p = g_strdup_printf ("%s/P", root);
  g_autofree char *b = g_strdup_printf ("%s/P/B", root);
  const char *paths[] = { root, NULL };
  const char *below[] = { "", "/x", "/y", "/sub", "/sub/z" };
  g_autoptr (WfNotify) notify = NULL;
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *expected = NULL;
  WfTestOverflow overflow = { 0 };

  wf_test_mkdir (root);
  wf_test_touch (noise1);
  wf_test_touch (noise2);
  for (guint i = 0; i < G_N_ELEMENTS (below); i++)
    {
      g_autofree char *path = g_strconcat (a, below[i], NULL);

      if (i == 0 || i == 3)
        wf_test_mkdir (path);
      else
        wf_test_touch (path);
    }
  if (!wf_test_overflow_begin (&overflow, "inotify", paths, NULL, &notify))
    {
      g_ptr_array_unref (lines);
      return;
    }
  wf_test_overflow_burst_begin (&overflow);
  for (guint i = 0; i < n_noise; i++)
    wf_test_chmod (i % 2 ? noise1 : noise2, i % 4 < 2 ? 0600 : 0644);
  wf_test_mkdir (p);
  wf_test_rename (a, b);
  wf_test_overflow_end (&overflow);

  g_ptr_array_add (lines, g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, p));
  for (guint i = 0; i < G_N_ELEMENTS (below); i++)
    {
      g_ptr_array_add (lines, g_strdup_printf ("%d:%s%s", WF_CHANGE_ADDED, b, below[i]));
      g_ptr_array_add (lines, g_strdup_printf ("%d:%s%s", WF_CHANGE_DELETED, a, below[i]));
    }
  expected = join_lines (lines);
  /* The noise, and "modified" for what a resync finds changed since its
   * last complete read (the moved tree's ctime), may or may not come. */
  assert_changes_apart_from (notify, expected, NULL, "*/noise?", "2:*", NULL);
}

static void
test_queue_overflow_after_claim (Fixture *fixture, gconstpointer user_data)
{
  for (guint n_noise = 13; n_noise <= 16; n_noise++)
    overflow_after_claim (fixture, n_noise);
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
    wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a_dir", WF_CHANGE_DELETED, "a_dir/old",
                                  WF_CHANGE_DELETED, "a_dir/f", WF_CHANGE_DELETED, "a_dir/f2",
                                  WF_CHANGE_ADDED, "b_dir",
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
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a_dir", WF_CHANGE_DELETED, "a_dir/old",
                                WF_CHANGE_ADDED, "b_dir", WF_CHANGE_ADDED, "b_dir/old", 0);
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

/* ---- roots come and go --------------------------------------------------------- */

/* Root a/b/c (the matrix has the behaviour of roots that go): waiting
 * for it costs a watch on each directory from "/" down to its nearest
 * existing ancestor, climbing as a/b goes too, and nothing once it is
 * back. */
static void
test_root_missing_watches (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *top = wf_test_fixture_path (fixture, "a");
  g_autofree char *middle = wf_test_fixture_path (fixture, "a/b");
  g_autofree char *root = wf_test_fixture_path (fixture, "a/b/c");
  const char *paths[] = { root, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_mkdir (root);
  notify = notify_new (paths, FALSE);
  assert_kernel_watches (notify, 1);

  g_assert_cmpint (g_rmdir (root), ==, 0);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_DELETED, "a/b/c", 0);
  assert_kernel_watches (notify, path_levels (middle));

  g_assert_cmpint (g_rmdir (middle), ==, 0);
  touch_in (fixture, "a/marker");
  /* The wait's own directories are not roots: nothing to report. */
  wf_test_assert_changes_apart_from (notify, "", NULL);
  assert_kernel_watches (notify, path_levels (top));

  wf_test_mkdir (root);
  touch_in (fixture, "a/b/c/f");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "a/b/c", WF_CHANGE_ADDED, "a/b/c/f", 0);
  assert_kernel_watches (notify, 1);
}

/* A file root saved atomically again and again keeps one watch: the new
 * inode's, the old one's given back. */
static void
test_file_root_atomic_save_watch (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *file = wf_test_fixture_path (fixture, "f");
  g_autofree char *temporary = wf_test_fixture_path (fixture, ".f.swp");
  const char *paths[] = { file, NULL };
  g_autoptr (WfNotify) notify = NULL;

  wf_test_write (file, "version 0");
  notify = notify_new (paths, FALSE);
  for (guint i = 1; i <= 3; i++)
    {
      wf_test_write (temporary, "new version");
      move (temporary, file);
      wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "f", 0);
      assert_kernel_watches (notify, 1);
    }
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
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 0);

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

/* ---- filesystems where inotify is silent ----------------------------------- */

static gboolean
run_quietly (const char *const *argv)
{
  int status = -1;

  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                       G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

static void
unmount_fuse (gpointer mount_point)
{
  const char *argv[] = { "fusermount", "-u", "-z", mount_point, NULL };

  if (!run_quietly (argv))
    g_printerr ("# could not unmount %s\n", (const char *) mount_point);
  g_free (mount_point);
}

static WfNotify *
notify_with_polled_filesystems (const char *root, const char *const *types)
{
  const char *paths[] = { root, NULL };
  g_autoptr (GError) error = NULL;
  WfNotify *notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
                                     "paths", paths,
                                     "backend", "inotify",
                                     "poll-delay-ms", 20,
                                     "polled-filesystems", types,
                                     NULL);

  g_assert_no_error (error);
  return notify;
}

/* A FUSE mount (bindfs) below a watched root: a file written into
 * bindfs's source directory changes what the mount shows, and inotify on
 * the mount never hears of it; polled as well (fuse is in the default
 * polled_filesystems), it is reported under the mount's path, while a
 * change made through the mount is heard at once. */
static void
test_fuse_mount_polled (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *source = wf_test_fixture_path (fixture, "source");
  g_autofree char *tree = wf_test_fixture_path (fixture, "tree");
  char *mount_point = wf_test_fixture_path (fixture, "tree/mnt");
  const char *mount_argv[] = { "bindfs", source, mount_point, NULL };
  const char *const none[] = { NULL };
  g_autoptr (WfNotify) notify = NULL;
  g_autoptr (WfStatus) status = NULL;
  g_autofree char *unheard = NULL;
  g_autofree char *bindfs = g_find_program_in_path ("bindfs");

  mkdir_in (fixture, "source");
  mkdir_in (fixture, "tree/mnt");
  if (bindfs == NULL || !run_quietly (mount_argv))
    {
      g_free (mount_point);
      g_test_skip ("no FUSE here: bindfs is missing or cannot mount (needs /dev/fuse and root)");
      return;
    }
  g_test_queue_destroy (unmount_fuse, mount_point);

  notify = notify_with_polled_filesystems (tree, NULL);
  status = wf_notify_get_status (notify);
  g_assert_cmpuint (g_strv_length ((GStrv) wf_status_get_polled_subtrees (status)), ==, 1);
  g_assert_cmpstr (wf_status_get_polled_subtrees (status)[0], ==, mount_point);
  g_assert_cmpint (wf_status_get_polled_reason (status, 0), ==, WF_POLL_REASON_FILESYSTEM);
  /* Watched by inotify too: local changes stay immediate. */
  g_assert_cmpuint (wf_status_get_n_directories (status), ==, 2);

  touch_in (fixture, "source/from-elsewhere");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "tree/mnt/from-elsewhere", 0);
  touch_in (fixture, "tree/mnt/through-mount");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "tree/mnt/through-mount", 0);
  g_clear_object (&notify);

  /* inotify alone, measured: the same write is never reported. */
  notify = notify_with_polled_filesystems (tree, none);
  touch_in (fixture, "source/unheard");
  unheard = wf_test_collect (notify, 1000, "");
  g_assert_cmpstr (unheard, ==, "");
}

/* What an ignored tree costs is nothing, so even one larger than the
 * watch limit does not stop a watch (watchfiles#207, #288). */
static const char *
ignore_watch_limit_in_child (Fixture *fixture, gconstpointer data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autofree char *limit = g_strdup_printf ("%d\n", SMALL_WATCH_LIMIT);
  g_autoptr (GError) error = NULL;
  WfNotify *notify;

  if (!wf_test_write_sysctl ("/proc/sys/user/max_inotify_watches", limit))
    return "cannot lower the namespace's inotify watch limit";

  /* Without rules the limit is hit: the test could fail. */
  notify = wf_test_notify_new_with_policy ("inotify", paths, WF_WATCH_LIMIT_POLICY_ERROR, &error);
  wf_test_assert_refused (notify, &error, WF_ERROR, WF_ERROR_WATCH_LIMIT);

  notify = notify_new_default_rules (paths);
  g_assert_cmpuint (count_kernel_watches (), ==, 2);
  g_object_unref (notify);
  return NULL;
}

static void
test_ignore_watch_limit (Fixture *fixture, gconstpointer user_data)
{
  {
    g_autofree char *modules = wf_test_fixture_path (fixture, "node_modules");

    mkdir_in (fixture, "src");
    make_tree_of_directories (modules, 30);
  }
  wf_test_run_in_user_namespace (fixture, NULL, ignore_watch_limit_in_child);
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
  WfTestOverflow overflow = { 0 };

  if (!wf_test_in_debug_subprocess ())
    return;

  make_project (fixture->tmpdir);
  touch (noise1);
  touch (noise2);
  if (!wf_test_overflow_begin (&overflow, "inotify", paths, rules, &notify))
    return;
  assert_kernel_watches (notify, PROJECT_WATCHED);

  /* Seen while watching, and left out of what the backend knows. */
  touch (pyc);
  touch_in (fixture, "src/b/first");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "src/b/first", 0);

  wf_test_overflow_burst_begin (&overflow);
  wf_test_overflow_noise (noise1, noise2);
  g_assert_cmpint (g_unlink (pyc), ==, 0);
  {
    g_autofree char *new_module = wf_test_fixture_path (fixture, "node_modules/late/lib");
    g_autofree char *new_git = wf_test_fixture_path (fixture, "src/b/.git");

    g_assert_cmpint (g_mkdir_with_parents (new_module, 0755), ==, 0);
    g_assert_cmpint (g_mkdir (new_git, 0755), ==, 0);
  }
  touch_in (fixture, "src/a/control");
  wf_test_overflow_end (&overflow);

  /* The noise is reported too, as far as it got through, and a resync may
   * call "modified" what changed in the clock tick of the last complete
   * read (see the matrix's lost-events/differences).  The debug output says
   * that nothing at all was pushed about ignored paths. */
  expected = wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "src/a/control", 0);
  assert_changes_apart_from (notify, expected, NULL, "*/src/noise*", "2:*", NULL);
  wf_test_overflow_assert_resynced (&overflow, notify);
  assert_kernel_watches (notify, PROJECT_WATCHED);
}

/* ---- directory moves racing the backend's own scans ----------------------------
 *
 * The reader thread scans a directory when it handles the event that made
 * it, by which time the tree may have moved on: a directory moved into a
 * new directory whose IN_CREATE is still queued, a paired rename of a
 * subtree, entries gone before their events are read.  Each sequence is
 * made in a burst, then a sync file (outside the checked directory) is
 * created and awaited: the backend handles events in order, so once it is
 * reported, every earlier event was handled.  What came is then checked
 * against a model of what existed:
 *  - no line names a path that never existed;
 *  - the last batch naming a path that exists at the end says added or
 *    modified, the last naming one that is gone says deleted;
 *  - every path there at the end and not at the start was reported, every
 *    path there at the start and gone at the end was reported deleted.
 * Half the iterations run the burst with this thread real-time on the
 * reader thread's CPU (root only), so that the reader handles nothing
 * before the burst is over: its scans then see the end state, the case the
 * races are about; the other half leave the interleaving to chance. */

typedef struct {
  char *root;            /* the watched directory */
  char *base;            /* the directory checked: its paths only */
  GHashTable *now;       /* path -> GINT_TO_POINTER (is_dir), below base */
  GHashTable *initial;   /* now, when the checked part starts */
  GHashTable *ever;      /* every path that existed below base since then */
  GPtrArray *batches;    /* GHashTable sets of "N:path", below base */
  GPtrArray *log;        /* the operations done since then, in order */
  WfNotify *notify;
  guint n_syncs;
} Model;

static gboolean
below (const char *path, const char *dir)
{
  gsize len = strlen (dir);

  return strncmp (path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

static void
model_init (Model *m, const char *root, WfNotify *notify)
{
  m->root = g_strdup (root);
  m->base = NULL;
  m->now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->initial = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->ever = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  m->log = g_ptr_array_new_with_free_func (g_free);
  m->notify = notify;
  m->n_syncs = 0;
}

static void
model_clear (Model *m)
{
  g_free (m->root);
  g_free (m->base);
  g_hash_table_unref (m->now);
  g_hash_table_unref (m->initial);
  g_hash_table_unref (m->ever);
  g_ptr_array_unref (m->batches);
  g_ptr_array_unref (m->log);
}

static void
model_log (Model *m, const char *op, const char *path, const char *to)
{
  if (m->base != NULL)
    g_ptr_array_add (m->log, g_strdup_printf ("%s %s%s%s", op, path, to != NULL ? " -> " : "", to != NULL ? to : ""));
}

static void
model_add (Model *m, const char *path, gboolean is_dir)
{
  g_hash_table_insert (m->now, g_strdup (path), GINT_TO_POINTER (is_dir));
  g_hash_table_add (m->ever, g_strdup (path));
}

static gboolean
model_is_dir (Model *m, const char *path)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (m->now, path));
}

/* The operations do what they say, and FALSE when the system refused
 * (random ones may name what is not there, or not empty). */
static gboolean
model_mkdir (Model *m, const char *path)
{
  if (g_mkdir (path, 0755) != 0)
    return FALSE;
  model_log (m, "mkdir", path, NULL);
  model_add (m, path, TRUE);
  return TRUE;
}

static gboolean
model_create (Model *m, const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

  if (fd < 0)
    return FALSE;
  close (fd);
  model_log (m, "create", path, NULL);
  model_add (m, path, FALSE);
  return TRUE;
}

static gboolean
model_write (Model *m, const char *path)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, "x", 1) == 1;
  close (fd);
  model_log (m, "write", path, NULL);
  return ok;
}

static gboolean
model_remove (Model *m, const char *path)
{
  if (g_remove (path) != 0)
    return FALSE;
  model_log (m, "remove", path, NULL);
  g_hash_table_remove (m->now, path);
  return TRUE;
}

static int
compare_longest_first (gconstpointer a, gconstpointer b)
{
  gsize la = strlen (*(const char *const *) a);
  gsize lb = strlen (*(const char *const *) b);

  return la < lb ? 1 : la > lb ? -1 : strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The paths of now below @dir, itself included, deepest first. */
static GPtrArray *
model_subtree (Model *m, const char *dir)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, m->now);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (below (key, dir))
      g_ptr_array_add (paths, g_strdup (key));
  g_ptr_array_sort (paths, compare_longest_first);
  return paths;
}

/* rm -r: entry by entry, as the tool does. */
static void
model_remove_tree (Model *m, const char *dir)
{
  g_autoptr (GPtrArray) paths = model_subtree (m, dir);

  for (guint i = 0; i < paths->len; i++)
    model_remove (m, paths->pdata[i]);
}

static gboolean
model_rename (Model *m, const char *from, const char *to)
{
  g_autoptr (GPtrArray) moved = NULL;
  gsize from_len = strlen (from);

  if (below (to, from) || rename (from, to) != 0)
    return FALSE;
  model_log (m, "rename", from, to);
  /* Replaced: a file, or an empty directory. */
  g_hash_table_remove (m->now, to);
  moved = model_subtree (m, from);
  for (guint i = 0; i < moved->len; i++)
    {
      const char *path = moved->pdata[i];
      g_autofree char *new_path = g_strconcat (to, path + from_len, NULL);
      gboolean is_dir = model_is_dir (m, path);

      g_hash_table_remove (m->now, path);
      model_add (m, new_path, is_dir);
    }
  return TRUE;
}

/* What is below base on disk, to check the model against. */
static void
list_tree (const char *dir, GHashTable *out)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      if (lstat (path, &st) != 0)
        continue;
      g_hash_table_insert (out, g_strdup (path), GINT_TO_POINTER (S_ISDIR (st.st_mode)));
      if (S_ISDIR (st.st_mode))
        list_tree (path, out);
    }
}

/* Makes a file beside base and collects batches until it is reported:
 * then every earlier event was handled.  Keeps the lines below base. */
static void
model_sync (Model *m)
{
  g_autofree char *sync = g_strdup_printf ("%s/sync-%u", m->root, m->n_syncs++);
  g_autofree char *line = g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, sync);
  gint64 deadline = g_get_monotonic_time () + 4 * COLLECT_TIMEOUT_MS * 1000;
  gboolean seen = FALSE;

  wf_test_touch (sync);
  while (!seen)
    {
      g_autoptr (GPtrArray) changes = NULL;
      g_autoptr (GError) error = NULL;
      GHashTable *batch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      WfWatchResult result;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      result = wf_notify_watch (m->notify, 20, 5, COLLECT_TIMEOUT_MS, NULL, -1, &changes, &error);
      g_assert_no_error (error);
      if (result != WF_WATCH_RESULT_CHANGES)
        {
          g_hash_table_unref (batch);
          continue;
        }
      for (guint i = 0; i < changes->len; i++)
        {
          WfFileChange *change = changes->pdata[i];
          const char *path = wf_file_change_get_path (change);
          g_autofree char *text = g_strdup_printf ("%d:%s", wf_file_change_get_change (change), path);

          if (strcmp (text, line) == 0)
            seen = TRUE;
          if (m->base != NULL && below (path, m->base))
            g_hash_table_add (batch, g_steal_pointer (&text));
        }
      if (g_hash_table_size (batch) > 0)
        g_ptr_array_add (m->batches, batch);
      else
        g_hash_table_unref (batch);
    }
}

/* From here on what happens below @base is checked. */
static void
model_start_checking (Model *m, const char *base)
{
  GHashTableIter iter;
  gpointer key, value;

  g_free (m->base);
  m->base = g_strdup (base);
  g_hash_table_remove_all (m->initial);
  g_hash_table_remove_all (m->ever);
  g_ptr_array_set_size (m->batches, 0);
  g_ptr_array_set_size (m->log, 0);
  g_hash_table_iter_init (&iter, m->now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (below (key, base))
      {
        g_hash_table_insert (m->initial, g_strdup (key), value);
        g_hash_table_add (m->ever, g_strdup (key));
      }
}

enum {
  SAID_ADDED = 1 << WF_CHANGE_ADDED,
  SAID_MODIFIED = 1 << WF_CHANGE_MODIFIED,
  SAID_DELETED = 1 << WF_CHANGE_DELETED,
};

/* Every batch, with the lines naming @paths marked; all of it if small. */
static void
describe_batches (Model *m, GString *out, GHashTable *paths)
{
  for (guint i = 0; i < m->batches->len; i++)
    {
      g_autofree const char **lines =
        (const char **) g_hash_table_get_keys_as_array (m->batches->pdata[i], NULL);
      guint n = g_hash_table_size (m->batches->pdata[i]);

      qsort (lines, n, sizeof (char *), compare_lines);
      g_string_append_printf (out, "  batch %u (%u changes):\n", i, n);
      for (guint j = 0; j < n; j++)
        {
          const char *path = strchr (lines[j], ':') + 1;
          gboolean marked = g_hash_table_contains (paths, path);

          if (marked || n <= 40)
            g_string_append_printf (out, "   %s %s\n", marked ? "*" : " ", lines[j]);
        }
    }
}

/* The checks above, on what came since model_start_checking(); TRUE if
 * they hold, else says what failed with g_test_message() and fails. */
static gboolean
model_check (Model *m, const char *what)
{
  g_autoptr (GHashTable) last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) disk = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) wrong = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) failures = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  /* The model is right about the end state, or the test is wrong. */
  list_tree (m->base, disk);
  g_hash_table_insert (disk, g_strdup (m->base), GINT_TO_POINTER (TRUE));
  g_hash_table_iter_init (&iter, m->now);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (below (key, m->base))
      g_assert_true (g_hash_table_contains (disk, key));
  g_hash_table_iter_init (&iter, disk);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_true (g_hash_table_contains (m->now, key));

  /* What the last batch naming each path said of it. */
  for (guint i = 0; i < m->batches->len; i++)
    {
      g_autoptr (GHashTable) said = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      g_hash_table_iter_init (&iter, m->batches->pdata[i]);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          const char *line = key;
          const char *path = strchr (line, ':') + 1;
          guint bits = GPOINTER_TO_UINT (g_hash_table_lookup (said, path));

          g_hash_table_insert (said, g_strdup (path), GUINT_TO_POINTER (bits | 1u << (line[0] - '0')));
        }
      g_hash_table_iter_init (&iter, said);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (last, g_strdup (key), value);
    }

  g_hash_table_iter_init (&iter, last);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint bits = GPOINTER_TO_UINT (value);
      gboolean exists = g_hash_table_contains (disk, key);

      if (!g_hash_table_contains (m->ever, key))
        g_string_append_printf (failures, "  %s: reported, never existed\n", (char *) key);
      else if (exists && bits == SAID_DELETED)
        g_string_append_printf (failures, "  %s: exists, last reported deleted\n", (char *) key);
      else if (!exists && !(bits & SAID_DELETED))
        g_string_append_printf (failures, "  %s: gone, last reported %s, never deleted after\n",
                                (char *) key, (bits & SAID_ADDED) ? "added" : "modified");
      else
        continue;
      g_hash_table_add (wrong, g_strdup (key));
    }
  g_hash_table_iter_init (&iter, disk);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (m->initial, key) && !g_hash_table_contains (last, key))
      {
        g_string_append_printf (failures, "  %s: new, never reported\n", (char *) key);
        g_hash_table_add (wrong, g_strdup (key));
      }
  g_hash_table_iter_init (&iter, m->initial);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (disk, key) && !g_hash_table_contains (last, key))
      {
        g_string_append_printf (failures, "  %s: gone, never reported\n", (char *) key);
        g_hash_table_add (wrong, g_strdup (key));
      }

  if (failures->len == 0)
    return TRUE;
  g_string_prepend (failures, ":\n");
  g_string_prepend (failures, what);
  g_string_append (failures, "  operations on those paths or their parents:\n");
  for (guint i = 0; i < m->log->len; i++)
    {
      g_auto (GStrv) words = g_strsplit (m->log->pdata[i], " ", -1);
      gboolean related = FALSE;

      g_hash_table_iter_init (&iter, wrong);
      while (!related && g_hash_table_iter_next (&iter, &key, NULL))
        for (guint w = 1; words[w] != NULL && !related; w++)
          related = below (key, words[w]) || below (words[w], key);
      if (related || m->log->len <= 40)
        g_string_append_printf (failures, "   %5u %s\n", i, (char *) m->log->pdata[i]);
    }
  describe_batches (m, failures, wrong);
  g_test_message ("%s", failures->str);
  g_test_fail ();
  return FALSE;
}

/* One watch per directory, the root's included: none leaked, none lost. */
static void
model_assert_watches (Model *m)
{
  GHashTableIter iter;
  gpointer value;
  guint directories = 1;

  g_hash_table_iter_init (&iter, m->now);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    directories += GPOINTER_TO_INT (value);
  assert_kernel_watches (m->notify, directories);
}

/* The reader thread's id, once it named itself. */
static pid_t
reader_thread_id (void)
{
  gint64 deadline = g_get_monotonic_time () + COLLECT_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr (GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
      const char *tid;

      while ((tid = g_dir_read_name (tasks)) != NULL)
        {
          g_autofree char *comm_path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
          g_autofree char *comm = NULL;

          if (g_file_get_contents (comm_path, &comm, NULL, NULL) && strcmp (g_strstrip (comm), "wf-inotify") == 0)
            return (pid_t) g_ascii_strtoll (tid, NULL, 10);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

typedef struct {
  pid_t reader;
  cpu_set_t saved;
  gboolean real_time;
} Burst;

/* Keeps the reader thread from running until burst_end() where it can:
 * this thread real-time (root, not under valgrind), both on one CPU. */
static void
burst_begin (Burst *burst, pid_t reader)
{
  cpu_set_t one_cpu;

  burst->reader = reader;
  burst->real_time = FALSE;
  if (getuid () != 0 || wf_test_under_valgrind ())
    return;
  g_assert_cmpint (sched_getaffinity (0, sizeof burst->saved, &burst->saved), ==, 0);
  CPU_ZERO (&one_cpu);
  CPU_SET (sched_getcpu (), &one_cpu);
  if (sched_setaffinity (0, sizeof one_cpu, &one_cpu) != 0 || sched_setaffinity (reader, sizeof one_cpu, &one_cpu) != 0)
    return;
  burst->real_time = sched_setscheduler (0, SCHED_FIFO, &(struct sched_param) { .sched_priority = 1 }) == 0;
}

static void
burst_end (Burst *burst)
{
  if (getuid () != 0 || wf_test_under_valgrind ())
    return;
  if (burst->real_time)
    g_assert_cmpint (sched_setscheduler (0, SCHED_OTHER, &(struct sched_param) { 0 }), ==, 0);
  sched_setaffinity (0, sizeof burst->saved, &burst->saved);
  sched_setaffinity (burst->reader, sizeof burst->saved, &burst->saved);
}

typedef void (*RaceStep) (Model *m, const char *base);

typedef struct {
  RaceStep set_up;
  RaceStep burst;
  guint iterations;
} Race;

/* Runs @race's burst in a fresh directory each iteration, until a check
 * fails. */
static void
run_race (Fixture *fixture, gconstpointer data)
{
  const Race *race = data;
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = notify_new (paths, FALSE);
  pid_t reader = reader_thread_id ();
  Model m;

  /* Valgrind runs one thread at a time: the races are for the other runs. */
  guint iterations = wf_test_under_valgrind () ? 10 : race->iterations;

  model_init (&m, fixture->tmpdir, notify);
  for (guint i = 0; i < iterations; i++)
    {
      g_autofree char *base = g_strdup_printf ("%s/i%03u", fixture->tmpdir, i);
      g_autofree char *what = NULL;
      Burst burst;

      model_mkdir (&m, base);
      race->set_up (&m, base);
      model_sync (&m);
      model_start_checking (&m, base);
      if (i % 2 == 0)
        burst_begin (&burst, reader);
      race->burst (&m, base);
      if (i % 2 == 0)
        burst_end (&burst);
      model_sync (&m);
      what = g_strdup_printf ("iteration %u (%s)", i, i % 2 == 0 && burst.real_time ? "one burst" : "free");
      if (!model_check (&m, what))
        break;
      model_assert_watches (&m);
    }
  model_clear (&m);
}

static char *
in (const char *base, const char *relative)
{
  return g_build_filename (base, relative, NULL);
}

#define MKDIR(rel)       G_STMT_START { g_autofree char *p_ = in (base, rel); g_assert_true (model_mkdir (m, p_)); } G_STMT_END
#define CREATE(rel)      G_STMT_START { g_autofree char *p_ = in (base, rel); g_assert_true (model_create (m, p_)); } G_STMT_END
#define REMOVE(rel)      G_STMT_START { g_autofree char *p_ = in (base, rel); g_assert_true (model_remove (m, p_)); } G_STMT_END
#define RENAME(from, to) G_STMT_START { g_autofree char *f_ = in (base, from); g_autofree char *t_ = in (base, to); \
                                        g_assert_true (model_rename (m, f_, t_)); } G_STMT_END

/* D, watched, with files and a subdirectory. */
static void
set_up_d (Model *m, const char *base)
{
  MKDIR ("D");
  CREATE ("D/x");
  CREATE ("D/y");
  MKDIR ("D/S");
  CREATE ("D/S/f");
}

/* D moved into N, made just before: N's IN_CREATE is queued when the
 * rename happens, so N's scan meets D's watch.  Files changed in D before
 * the move (their events queued behind N's scan) and after it. */
static void
burst_move_into_new (Model *m, const char *base)
{
  MKDIR ("N");
  REMOVE ("D/x");
  CREATE ("D/w");
  RENAME ("D", "N/D");
  REMOVE ("N/D/y");
  CREATE ("N/D/z");
  REMOVE ("N/D/S/f");
}

/* Only the move, then a file removed at the new path. */
static void
burst_move_into_new_then_remove (Model *m, const char *base)
{
  MKDIR ("N");
  RENAME ("D", "N/D");
  REMOVE ("N/D/x");
}

/* A file removed just before the move: its deletion is queued behind N's
 * scan, which must not report it under N. */
static void
burst_remove_then_move_into_new (Model *m, const char *base)
{
  MKDIR ("N");
  REMOVE ("D/x");
  REMOVE ("D/S/f");
  RENAME ("D", "N/D");
}

/* Moved into a new directory, then on into another. */
static void
burst_move_twice_into_new (Model *m, const char *base)
{
  MKDIR ("N");
  RENAME ("D", "N/D");
  MKDIR ("M");
  CREATE ("N/D/z");
  RENAME ("N/D", "M/E");
  REMOVE ("M/E/x");
}

/* Into a directory two levels down a new tree, then changed there. */
static void
burst_move_into_new_tree (Model *m, const char *base)
{
  MKDIR ("N");
  MKDIR ("N/M");
  RENAME ("D", "N/M/D");
  CREATE ("N/M/D/z");
  REMOVE ("N/M/D/x");
  CREATE ("N/M/D/S/g");
}

/* A subdirectory moved into a new directory beside it, and the new
 * directory renamed before its events are read. */
static void
burst_move_subdirectory_into_new (Model *m, const char *base)
{
  MKDIR ("D/N");
  RENAME ("D/S", "D/N/S");
  REMOVE ("D/N/S/f");
  CREATE ("D/N/S/g");
  RENAME ("D/N", "D/O");
}

/* Moved into a new directory and straight back; the new one removed. */
static void
burst_move_into_new_and_back (Model *m, const char *base)
{
  MKDIR ("N");
  RENAME ("D", "N/D");
  REMOVE ("N/D/x");
  RENAME ("N/D", "D");
  CREATE ("D/z");
  REMOVE ("N");
}

/* A paired rename within the tree (both parents watched), with the
 * subtree changed right before and after it. */
static void
burst_paired_rename (Model *m, const char *base)
{
  MKDIR ("D/T");
  CREATE ("D/T/g");
  RENAME ("D", "E");
  REMOVE ("E/S/f");
  CREATE ("E/T/h");
  RENAME ("E/S", "E/T/S");
}

/* Renamed back and forth, then the old name made again. */
static void
burst_paired_rename_back (Model *m, const char *base)
{
  RENAME ("D", "E");
  CREATE ("E/z");
  RENAME ("E", "D");
  REMOVE ("D/z");
  RENAME ("D", "E");
  MKDIR ("D");
  CREATE ("D/x");
}

/* New directories that are gone or replaced by a file before their
 * events are read (inotify_add_watch() fails with ENOENT or ENOTDIR). */
static void
burst_vanishing_new (Model *m, const char *base)
{
  MKDIR ("A");
  CREATE ("A/f");
  MKDIR ("A/B");
  REMOVE ("A/B");
  REMOVE ("A/f");
  REMOVE ("A");
  CREATE ("A");
  MKDIR ("C");
  MKDIR ("C/K");
  RENAME ("C/K", "D/K");
  REMOVE ("C");
  CREATE ("C");
}

/* A subtree removed entry by entry, then the same names made again. */
static void
burst_remove_and_remake (Model *m, const char *base)
{
  g_autofree char *d = in (base, "D");

  model_remove_tree (m, d);
  MKDIR ("D");
  MKDIR ("D/S");
  CREATE ("D/S/f");
}

static const Race race_move_into_new = { set_up_d, burst_move_into_new, 100 };
static const Race race_move_into_new_then_remove = { set_up_d, burst_move_into_new_then_remove, 100 };
static const Race race_remove_then_move_into_new = { set_up_d, burst_remove_then_move_into_new, 100 };
static const Race race_move_twice_into_new = { set_up_d, burst_move_twice_into_new, 100 };
static const Race race_move_into_new_tree = { set_up_d, burst_move_into_new_tree, 100 };
static const Race race_move_subdirectory_into_new = { set_up_d, burst_move_subdirectory_into_new, 100 };
static const Race race_move_into_new_and_back = { set_up_d, burst_move_into_new_and_back, 100 };
static const Race race_paired_rename = { set_up_d, burst_paired_rename, 100 };
static const Race race_paired_rename_back = { set_up_d, burst_paired_rename_back, 100 };
static const Race race_vanishing_new = { set_up_d, burst_vanishing_new, 100 };
static const Race race_remove_and_remake = { set_up_d, burst_remove_and_remake, 100 };

/* ---- a random stress: one writer, moves among a few directories ---- */

#define STRESS_SECONDS 5

static const char *const stress_names[] = { "a", "b", "c", "d" };

typedef struct {
  Model *model;
  GRand *rand;
  pid_t reader;
  guint seconds;
  volatile gint done;
  guint n_ops;
} Stress;

/* A random path below base, at most three levels down (existing or not). */
static char *
random_path (Stress *s)
{
  GString *path = g_string_new (s->model->base);
  guint depth = (guint) g_rand_int_range (s->rand, 1, 4);

  for (guint i = 0; i < depth; i++)
    g_string_append_printf (path, "/%s", stress_names[g_rand_int_range (s->rand, 0, G_N_ELEMENTS (stress_names))]);
  return g_string_free (path, FALSE);
}

static void
stress_step (Stress *s)
{
  Model *m = s->model;
  g_autofree char *path = random_path (s);
  g_autofree char *other = NULL;

  switch (g_rand_int_range (s->rand, 0, 10))
    {
    case 0:
    case 1:
      {
        /* mkdir -p */
        g_autofree char *step = g_strdup (m->base);
        g_auto (GStrv) parts = g_strsplit (path + strlen (m->base) + 1, "/", -1);

        for (guint i = 0; parts[i] != NULL; i++)
          {
            char *next = g_strdup_printf ("%s/%s", step, parts[i]);

            g_free (step);
            step = next;
            if (!g_hash_table_contains (m->now, step))
              model_mkdir (m, step);
          }
        break;
      }
    case 2:
      model_create (m, path);
      break;
    case 3:
      model_write (m, path);
      break;
    case 4:
    case 5:
      other = random_path (s);
      model_rename (m, path, other);
      break;
    case 6:
      if (model_is_dir (m, path))
        model_remove_tree (m, path);
      else
        model_remove (m, path);
      break;
    case 7:
      model_remove (m, path);
      break;
    case 8:
    case 9:
      {
        /* Into a directory made just now (the race of a move into a new
         * directory whose IN_CREATE is still queued). */
        g_autofree char *fresh = NULL;

        other = random_path (s);
        fresh = g_path_get_dirname (other);
        if (g_hash_table_contains (m->now, fresh) || !model_mkdir (m, fresh))
          break;
        model_rename (m, path, other);
        break;
      }
    }
  s->n_ops++;
}

static gpointer
stress_writer (gpointer data)
{
  Stress *s = data;
  gint64 end = g_get_monotonic_time () + s->seconds * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      guint n_steps = (guint) g_rand_int_range (s->rand, 1, 30);
      gboolean held = g_rand_boolean (s->rand);
      Burst burst;

      /* Every other burst with the reader kept off the CPU. */
      if (held)
        burst_begin (&burst, s->reader);
      for (guint i = 0; i < n_steps; i++)
        stress_step (s);
      if (held)
        burst_end (&burst);
      g_usleep ((gulong) g_rand_int_range (s->rand, 0, 3000));
    }
  g_atomic_int_set (&s->done, 1);
  return NULL;
}

/* A single writer thread doing random mkdir -p, create, write, rename
 * (directories too, into new ones) and delete among a few names while the
 * test thread collects batches, half its bursts with the reader thread
 * kept off the CPU; then the checks of the race tests.  Seeded
 * by WF_TEST_STRESS_SEED if set, else at random; the seed is printed.
 * WF_TEST_STRESS_SECONDS makes it run longer. */
static void
test_race_stress (Fixture *fixture, gconstpointer user_data)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr (WfNotify) notify = notify_new (paths, FALSE);
  g_autofree char *base = g_build_filename (fixture->tmpdir, "s", NULL);
  g_autofree char *what = NULL;
  const char *seed_text = g_getenv ("WF_TEST_STRESS_SEED");
  guint32 seed = seed_text != NULL ? (guint32) g_ascii_strtoull (seed_text, NULL, 10) : g_random_int ();
  Stress s = { 0 };
  GThread *writer;
  Model m;

  g_test_message ("seed %u (WF_TEST_STRESS_SEED=%u repeats it)", seed, seed);
  model_init (&m, fixture->tmpdir, notify);
  model_mkdir (&m, base);
  model_sync (&m);
  model_start_checking (&m, base);
  s.model = &m;
  s.rand = g_rand_new_with_seed (seed);
  s.reader = reader_thread_id ();
  s.seconds = g_getenv ("WF_TEST_STRESS_SECONDS") != NULL
                ? (guint) g_ascii_strtoull (g_getenv ("WF_TEST_STRESS_SECONDS"), NULL, 10) : STRESS_SECONDS;
  writer = g_thread_new ("stress-writer", stress_writer, &s);

  /* Batches are collected meanwhile, so that they come in their order. */
  while (!g_atomic_int_get (&s.done))
    {
      g_autoptr (GPtrArray) changes = NULL;
      GHashTable *batch;

      if (wf_notify_watch (notify, 20, 5, 50, NULL, -1, &changes, NULL) != WF_WATCH_RESULT_CHANGES)
        continue;
      batch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < changes->len; i++)
        {
          const char *path = wf_file_change_get_path (changes->pdata[i]);

          if (below (path, base))
            g_hash_table_add (batch, g_strdup_printf ("%d:%s", wf_file_change_get_change (changes->pdata[i]), path));
        }
      g_ptr_array_add (m.batches, batch);
    }
  g_thread_join (writer);
  model_sync (&m);

  what = g_strdup_printf ("stress, seed %u, %u operations, %u rescans", seed, s.n_ops,
                          wf_test_status (notify, wf_status_get_n_rescans));
  g_test_message ("%s", what);
  if (model_check (&m, what))
    model_assert_watches (&m);
  g_rand_free (s.rand);
  model_clear (&m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/inotify/" name, Fixture, NULL, wf_test_fixture_set_up, func, wf_test_fixture_tear_down)

  ADD ("queue-overflow-resync", test_queue_overflow_resync);
  ADD ("queue-overflow-after-claim", test_queue_overflow_after_claim);
  ADD ("watch-limit", test_watch_limit);
  ADD ("watch-limit-degrades", test_watch_limit_degrades);
  ADD ("no-watch-left", test_no_watch_left);
  ADD ("fuse-mount-polled", test_fuse_mount_polled);
  ADD ("watch-limit-at-run-time", test_watch_limit_at_run_time);
  ADD ("permission-denied-leaves-no-watch", test_permission_denied);
  ADD ("symlink-target-renamed", test_symlink_target_renamed);
  ADD ("real-path-takes-over-from-symlink", test_real_path_takes_over_from_symlink);
  ADD ("root-missing-watches", test_root_missing_watches);
  ADD ("file-root-atomic-save-watch", test_file_root_atomic_save_watch);
  ADD ("ignore/initial-walk", test_ignore_initial_walk);
  ADD ("ignore/new-directory", test_ignore_new_directory);
  ADD ("ignore/watch-limit", test_ignore_watch_limit);
  ADD ("ignore/queue-overflow", test_ignore_queue_overflow);

#undef ADD

#define ADD_WITH(name, data, func) \
  g_test_add ("/inotify/" name, Fixture, data, wf_test_fixture_set_up, func, wf_test_fixture_tear_down)

  ADD_WITH ("symlink-after-target", "z_link", test_symlink_alias_real_path_owns);
  ADD_WITH ("symlink-before-target", "0_link", test_symlink_alias_real_path_owns);

  ADD_WITH ("race/move-into-new-directory", &race_move_into_new, run_race);
  ADD_WITH ("race/move-into-new-directory-then-remove", &race_move_into_new_then_remove, run_race);
  ADD_WITH ("race/remove-then-move-into-new-directory", &race_remove_then_move_into_new, run_race);
  ADD_WITH ("race/move-twice-into-new-directories", &race_move_twice_into_new, run_race);
  ADD_WITH ("race/move-into-new-tree", &race_move_into_new_tree, run_race);
  ADD_WITH ("race/move-subdirectory-into-new-directory", &race_move_subdirectory_into_new, run_race);
  ADD_WITH ("race/move-into-new-directory-and-back", &race_move_into_new_and_back, run_race);
  ADD_WITH ("race/paired-rename", &race_paired_rename, run_race);
  ADD_WITH ("race/paired-rename-back", &race_paired_rename_back, run_race);
  ADD_WITH ("race/vanishing-new-directories", &race_vanishing_new, run_race);
  ADD_WITH ("race/remove-and-remake", &race_remove_and_remake, run_race);

  ADD_WITH ("race/stress", NULL, test_race_stress);

#undef ADD_WITH

  return g_test_run ();
}
