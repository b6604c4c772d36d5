/* SPDX-License-Identifier: MIT */
/* test-notify.c: the WfNotify contract, i.e. RustNotify's (spec sections
 * 1.2-1.5) and its upstream tests (spec 3.2), checked on real kernels.
 *
 * Every behaviour case is registered once per backend, as
 * /notify/BACKEND/CASE, and asserts an exact set of changes.  Where a
 * backend may legitimately differ, the expectation says so (as the
 * "optional" mask of GIO's gio/tests/testfilemonitor.c does); no case is
 * skipped for one backend.  The few cases about choosing a backend run once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "wf-test-util.h"

#define MS(n) ((gint64) (n) * 1000)

/* How long to wait for expected changes: far above any real latency, so
 * that a slow machine (or valgrind) does not fail a correct backend. */
#define COLLECT_TIMEOUT_MS 5000

typedef struct {
  char *dir;
  const char *backend;   /* "inotify", "poll", or NULL for backend-agnostic cases */
} Fixture;

/* Only the subprocess children set it; unsetenv() is not thread-safe,
 * and GLib's worker threads exist by now. */
static void
clear_backend_env (void)
{
  if (g_getenv ("WATCHFILES_BACKEND") != NULL)
    g_unsetenv ("WATCHFILES_BACKEND");
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = wf_test_tmpdir_new ();
  f->backend = data;
  clear_backend_env ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  wf_test_tmpdir_free (f->dir);
  clear_backend_env ();
}

/* ---------------------------------------------------------------------- */
/* Paths and expectations, relative to the fixture's directory. */

static char *
path_in (Fixture *f, const char *relative)
{
  return g_build_filename (f->dir, relative, NULL);
}

static void
write_in (Fixture *f, const char *relative, const char *contents)
{
  g_autofree char *path = path_in (f, relative);
  wf_test_write (path, contents);
}

static void
mkdir_in (Fixture *f, const char *relative)
{
  g_autofree char *path = path_in (f, relative);
  wf_test_mkdir (path);
}

static void
rename_in (Fixture *f, const char *from, const char *to)
{
  g_autofree char *from_path = path_in (f, from);
  g_autofree char *to_path = path_in (f, to);

  g_assert_cmpint (g_rename (from_path, to_path), ==, 0);
}

static void
unlink_in (Fixture *f, const char *relative)
{
  g_autofree char *path = path_in (f, relative);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The canonical form of wf_test_expect(): distinct lines, sorted, joined
 * by '\n'.  Takes any number of strings, each one or more such lines. */
static char *
canonical_from_lines (GPtrArray *lines)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree const char **keys = NULL;
  guint n;

  for (guint i = 0; i < lines->len; i++)
    {
      g_auto(GStrv) split = g_strsplit (g_ptr_array_index (lines, i), "\n", -1);
      for (guint j = 0; split[j] != NULL; j++)
        if (*split[j] != '\0')
          g_hash_table_add (set, g_strdup (split[j]));
    }
  keys = (const char **) g_hash_table_get_keys_as_array (set, &n);
  qsort (keys, n, sizeof (char *), compare_strings);
  return g_strjoinv ("\n", (char **) keys);
}

static char *
expect_in_valist (Fixture *f, const char *first, va_list args)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  for (const char *item = first; item != NULL; item = va_arg (args, const char *))
    {
      const char *colon = strchr (item, ':');

      g_assert_nonnull (colon);
      g_ptr_array_add (lines, g_strdup_printf ("%.*s:%s/%s", (int) (colon - item), item, f->dir, colon + 1));
    }
  return canonical_from_lines (lines);
}

/* wf_test_expect() with paths relative to the fixture's directory:
 * expect_in (f, "1:new.txt", "3:dir_a/c.txt", NULL). */
static char *
expect_in (Fixture *f, const char *first, ...) G_GNUC_NULL_TERMINATED;

static char *
expect_in (Fixture *f, const char *first, ...)
{
  va_list args;
  char *result;

  va_start (args, first);
  result = expect_in_valist (f, first, args);
  va_end (args);
  return result;
}

static gboolean
is_poll (Fixture *f)
{
  return g_strcmp0 (f->backend, "poll") == 0;
}

/* The optional mask of a file created with content while watched.  poll
 * may scan between the creation and the write (a few microseconds, within
 * a 20 ms cycle): it then reports the write as a modification in a later
 * batch, once the "added" was taken, as RustNotify's PollWatcher would.
 * inotify queues both events before any batch can be cut. */
static char *
poll_may_also (Fixture *f, const char *first, ...) G_GNUC_NULL_TERMINATED;

static char *
poll_may_also (Fixture *f, const char *first, ...)
{
  va_list args;
  char *result;

  if (!is_poll (f))
    return g_strdup ("");
  va_start (args, first);
  result = expect_in_valist (f, first, args);
  va_end (args);
  return result;
}

/* The optional mask of names renamed away.  rename() sets the file's ctime
 * before the old name is gone, and a stat of the old name in between sees
 * it (54 of 302 tries here): a poll scan landing there reports that change
 * of the old name before its deletion.  inotify reports no such event. */
#define poll_may_see_rename_ctime poll_may_also

/* Waits for @expected and returns what came, less the @optional lines
 * (the shared optional mask). */
#define collect wf_test_collect_apart_from

/* Waits for @expected and asserts that exactly it came, less the lines of
 * @optional (may be NULL).  Takes both, so that a case states them inline:
 * assert_collected (notify, expect_in (f, ...), poll_may_also (f, ...)). */
static void
assert_collected (WfNotify *notify, char *expected, char *optional)
{
  g_autofree char *owned_expected = expected;
  g_autofree char *owned_optional = optional;
  g_autofree char *seen = collect (notify, owned_expected, owned_optional);

  g_assert_cmpstr (seen, ==, owned_expected);
}

/* Asserts that @changes, one batch, is exactly @expected; takes @expected. */
static void
assert_batch (GPtrArray *changes, char *expected)
{
  g_autofree char *owned_expected = expected;
  g_autofree char *seen = wf_test_format_changes (changes);

  g_assert_cmpstr (seen, ==, owned_expected);
}

/* ---------------------------------------------------------------------- */
/* Watchers. */

static WfNotify *
notify_new (Fixture *f, const char *const *paths, gboolean recursive, gboolean ignore_permission_denied)
{
  g_autoptr(GError) error = NULL;
  WfNotify *notify = wf_test_notify_new (f->backend, paths, recursive, ignore_permission_denied, &error);

  g_assert_no_error (error);
  g_assert_nonnull (notify);
  /* The matrix is only worth something if each case gets its backend. */
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, f->backend);
  return notify;
}

/* A watcher on the fixture's directory, or on @relative inside it. */
static WfNotify *
notify_new_in (Fixture *f, const char *relative, gboolean recursive)
{
  g_autofree char *path = relative != NULL ? path_in (f, relative) : g_strdup (f->dir);
  const char *paths[] = { path, NULL };

  return notify_new (f, paths, recursive, FALSE);
}

/* The tree of watchfiles' tests/test_files (spec 3.1), fresh per case. */
static void
make_test_tree (Fixture *f)
{
  static const char *const files[] = {
    "a.txt", "a_non_recursive.txt", "b.txt", "c.txt", "c_non_recursive.txt", "README.md",
    "dir_a/a.txt", "dir_a/a_non_recursive.txt", "dir_a/b.txt", "dir_a/c.txt",
    "dir_a/c_non_recursive.txt", "dir_a/d.txt", "dir_a/e.txt", "dir_a/f.txt",
    "dir_b/.gitkeep",
  };

  mkdir_in (f, "dir_a");
  mkdir_in (f, "dir_b");
  /* Longer than "hello", so a rewrite changes the size even when the
   * kernel's coarse clock leaves the mtime unchanged. */
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    write_in (f, files[i], "original contents\n");
}

/* WfNotify offers no way to look at the pending set without taking it.
 * The cases about changes that are already pending when a call begins
 * (kept between calls, ignored timeout, kept across stop and signal) must
 * therefore let them arrive first: 200 ms is ten poll cycles, and
 * thousands of times inotify's latency.  This is the state under test, not
 * a wait for an event the test could await. */
static void
let_changes_arrive (void)
{
  g_usleep (MS (200));
}

/* ---------------------------------------------------------------------- */
/* Spec 3.2: the upstream test table. */

static void
test_add (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, TRUE);
  write_in (f, "new_file.txt", "hello");

  assert_collected (notify, expect_in (f, "1:new_file.txt", NULL), poll_may_also (f, "2:new_file.txt", NULL));
}

static void
test_add_non_recursive (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, FALSE);
  write_in (f, "new_file_non_recursive.txt", "hello");
  write_in (f, "dir_a/new_file_non_recursive.txt", "hello");

  assert_collected (notify,
                    expect_in (f, "1:new_file_non_recursive.txt", NULL),
                    poll_may_also (f, "2:new_file_non_recursive.txt", NULL));
}

static void
test_modify_write (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, TRUE);
  write_in (f, "a.txt", "hello");

  assert_collected (notify, expect_in (f, "2:a.txt", NULL), NULL);
}

static void
test_modify_write_non_recursive (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, FALSE);
  write_in (f, "a_non_recursive.txt", "hello");
  write_in (f, "dir_a/a_non_recursive.txt", "hello");

  assert_collected (notify, expect_in (f, "2:a_non_recursive.txt", NULL), NULL);
}

static void
test_modify_chmod (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *path = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, TRUE);
  path = path_in (f, "b.txt");
  g_assert_cmpint (g_chmod (path, 0444), ==, 0);

  /* inotify sees IN_ATTRIB; our poll compares mode and ctime (notify's
   * PollWatcher misses chmod: here we do better, spec section 7). */
  assert_collected (notify, expect_in (f, "2:b.txt", NULL), NULL);
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, TRUE);
  unlink_in (f, "c.txt");

  assert_collected (notify, expect_in (f, "3:c.txt", NULL), NULL);
}

static void
test_delete_non_recursive (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, FALSE);
  unlink_in (f, "c_non_recursive.txt");
  unlink_in (f, "dir_a/c_non_recursive.txt");

  assert_collected (notify, expect_in (f, "3:c_non_recursive.txt", NULL), NULL);
}

static void
test_move_in (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, "dir_b", TRUE);
  rename_in (f, "dir_a/a.txt", "dir_b/a.txt");
  rename_in (f, "dir_a/b.txt", "dir_b/b.txt");

  assert_collected (notify, expect_in (f, "1:dir_b/a.txt", "1:dir_b/b.txt", NULL), NULL);
}

static void
test_move_out (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, "dir_a", TRUE);
  rename_in (f, "dir_a/c.txt", "dir_b/c.txt");
  rename_in (f, "dir_a/d.txt", "dir_b/d.txt");

  assert_collected (notify,
                    expect_in (f, "3:dir_a/c.txt", "3:dir_a/d.txt", NULL),
                    poll_may_see_rename_ctime (f, "2:dir_a/c.txt", "2:dir_a/d.txt", NULL));
}

static void
test_move_internal (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, TRUE);
  rename_in (f, "dir_a/e.txt", "dir_b/e.txt");
  rename_in (f, "dir_a/f.txt", "dir_b/f.txt");

  /* No (2, dir_b): that one is Windows-only upstream, and our poll ignores
   * a directory's times as inotify does. */
  assert_collected (notify,
                    expect_in (f, "3:dir_a/e.txt", "3:dir_a/f.txt", "1:dir_b/e.txt", "1:dir_b/f.txt", NULL),
                    poll_may_see_rename_ctime (f, "2:dir_a/e.txt", "2:dir_a/f.txt", NULL));
}

static void
test_rename (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  make_test_tree (f);
  notify = notify_new_in (f, NULL, TRUE);
  rename_in (f, "a.txt", "a.new");

  assert_collected (notify,
                    expect_in (f, "3:a.txt", "1:a.new", NULL),
                    poll_may_see_rename_ctime (f, "2:a.txt", NULL));
}

static void
test_rename_multiple_inside (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "d1");
  mkdir_in (f, "d2");
  write_in (f, "d1/1.txt", "1");
  write_in (f, "d1/2.txt", "2");
  write_in (f, "d1/3.txt", "3");
  notify = notify_new_in (f, NULL, TRUE);
  rename_in (f, "d1/1.txt", "d2/1.txt");
  rename_in (f, "d1/2.txt", "d2/2.txt");
  rename_in (f, "d1/3.txt", "d2/3.txt");

  assert_collected (notify,
                    expect_in (f, "3:d1/1.txt", "3:d1/2.txt", "3:d1/3.txt",
                               "1:d2/1.txt", "1:d2/2.txt", "1:d2/3.txt", NULL),
                    poll_may_see_rename_ctime (f, "2:d1/1.txt", "2:d1/2.txt", "2:d1/3.txt", NULL));
}

static void
test_watch_multiple (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *foo = path_in (f, "foo");
  g_autofree char *bar = path_in (f, "bar");
  const char *paths[] = { foo, bar, NULL };

  mkdir_in (f, "foo");
  mkdir_in (f, "bar");
  notify = notify_new (f, paths, TRUE, FALSE);
  write_in (f, "not_included.txt", "x");
  write_in (f, "foo/foo.txt", "x");
  write_in (f, "bar/foo.txt", "x");

  /* Exact, where upstream checks a subset: that is for macOS's directory
   * events, which neither backend here produces. */
  assert_collected (notify,
                    expect_in (f, "1:foo/foo.txt", "1:bar/foo.txt", NULL),
                    poll_may_also (f, "2:foo/foo.txt", "2:bar/foo.txt", NULL));
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = path_in (f, "missing");
  const char *paths[] = { missing, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  notify = wf_test_notify_new (f->backend, paths, TRUE, FALSE, &error);
  wf_test_assert_not_found (notify, error);
}

static void
test_missing_ignore_permission_denied (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = path_in (f, "missing");
  const char *paths[] = { missing, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  notify = wf_test_notify_new (f->backend, paths, TRUE, TRUE, &error);
  if (is_poll (f))
    {
      /* RustNotify checks that every path exists before it creates a poll
       * watcher, whatever ignore_permission_denied says (spec 1.2). */
      wf_test_assert_not_found (notify, error);
    }
  else
    {
      /* With a native watcher, ignore_permission_denied skips every error,
       * a missing path included: the watcher is built, watching nothing. */
      g_autoptr(GPtrArray) changes = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (notify);
      g_assert_cmpint (wf_notify_watch (notify, 20, 1, 50, NULL, -1, &changes, &error), ==,
                       WF_WATCH_RESULT_TIMEOUT);
      g_assert_no_error (error);
      g_assert_null (changes);
    }
}

static void
test_missing_force_polling (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = path_in (f, "missing");
  const char *paths[] = { missing, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  notify = wf_notify_new (paths, FALSE, TRUE, 20, TRUE, FALSE, &error);
  wf_test_assert_not_found (notify, error);
}

static void
test_non_utf8_name (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  const char *name = "caf\xe9.txt";   /* Latin-1, not UTF-8 */

  g_assert_false (g_utf8_validate (name, -1, NULL));
  notify = notify_new_in (f, NULL, TRUE);
  write_in (f, name, "x");

  /* Reported with its exact bytes, where RustNotify fails to decode it. */
  assert_collected (notify, expect_in (f, "1:caf\xe9.txt", NULL), poll_may_also (f, "2:caf\xe9.txt", NULL));
}

/* ---------------------------------------------------------------------- */
/* Set semantics. */

static void
test_same_file_written_often (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rest = NULL;

  write_in (f, "same.txt", "");
  notify = notify_new_in (f, NULL, TRUE);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *contents = g_strdup_printf ("hello %u", i);
      write_in (f, "same.txt", contents);
    }

  /* One batch with one change: every write was done before the call, and
   * a 100 ms step outlasts any poll cycle that could still see one. */
  g_assert_cmpint (wf_notify_watch (notify, 1000, 100, COLLECT_TIMEOUT_MS, NULL, -1, &changes, &error), ==,
                   WF_WATCH_RESULT_CHANGES);
  g_assert_no_error (error);
  assert_batch (changes, expect_in (f, "2:same.txt", NULL));
  g_assert_cmpuint (changes->len, ==, 1);

  rest = collect (notify, "", NULL);
  g_assert_cmpstr (rest, ==, "");
}

static void
test_created_then_written (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  notify = notify_new_in (f, NULL, TRUE);
  write_in (f, "fresh.txt", "");
  /* Both backends must have reported the creation before the write, so
   * that the write meets a pending "added" (which poll would otherwise
   * only see by chance). */
  let_changes_arrive ();
  write_in (f, "fresh.txt", "hello");
  /* And the write before the call: poll scans every 20 ms, and a scan
   * after the call took the batch would see a modification of nothing
   * pending (failed 6 times in 10 here). */
  let_changes_arrive ();

  /* The modification adds nothing to a pending "added". */
  assert_collected (notify, expect_in (f, "1:fresh.txt", NULL), NULL);
}

/* A short call: with a 50 ms timeout only changes already pending when the
 * call begins can come back. */
static char *
watch_pending (WfNotify *notify)
{
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  WfWatchResult result;

  result = wf_notify_watch (notify, 50, 10, 50, NULL, -1, &changes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_CHANGES);
  return wf_test_format_changes (changes);
}

/* Asserts that exactly @expected was pending; takes @expected. */
static void
assert_pending (WfNotify *notify, char *expected)
{
  g_autofree char *owned_expected = expected;
  g_autofree char *seen = watch_pending (notify);

  g_assert_cmpstr (seen, ==, owned_expected);
}

static void
test_changes_before_first_watch (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  notify = notify_new_in (f, NULL, TRUE);
  write_in (f, "early.txt", "x");
  let_changes_arrive ();

  assert_pending (notify, expect_in (f, "1:early.txt", NULL));
}

static void
test_changes_between_calls (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  notify = notify_new_in (f, NULL, TRUE);
  write_in (f, "one.txt", "x");
  assert_collected (notify, expect_in (f, "1:one.txt", NULL), poll_may_also (f, "2:one.txt", NULL));

  write_in (f, "two.txt", "x");
  let_changes_arrive ();
  assert_pending (notify, expect_in (f, "1:two.txt", NULL));
}

/* ---------------------------------------------------------------------- */
/* How watch() ends. */

static void
test_return_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  WfWatchResult result;
  gint64 took;

  result = wf_notify_watch (notify, 20, 1, 50, NULL, -1, &changes, &error);
  took = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_TIMEOUT);
  g_assert_null (changes);
  g_assert_cmpint (took, >=, MS (50));
  g_assert_cmpint (took, <, MS (1000));
}

static void
test_return_stop_set (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  WfWatchResult result;

  g_cancellable_cancel (stop);
  start = g_get_monotonic_time ();
  result = wf_notify_watch (notify, 100, 1, 500, stop, -1, &changes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_STOP);
  g_assert_null (changes);
  /* Upstream allows 0-20 ms; the check comes before any wait. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, MS (500));
}

static gpointer
cancel_later_thread (gpointer data)
{
  /* A delay, not a synchronisation: the call should be waiting by then,
   * and returns STOP either way. */
  g_usleep (MS (100));
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_return_stop_from_thread (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  WfWatchResult result;

  thread = g_thread_new ("canceller", cancel_later_thread, stop);
  /* No timeout: only the cancellation can end this call. */
  result = wf_notify_watch (notify, 100, 1, 0, stop, -1, &changes, &error);
  g_thread_join (thread);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_STOP);
  g_assert_null (changes);
}

static void
test_return_debounce_no_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  WfWatchResult result;
  gint64 start, took;

  write_in (f, "debounce.txt", "x");
  /* The timeout only runs while nothing is pending: the change must be
   * pending when the call begins, or a 20 ms timeout would be right. */
  let_changes_arrive ();

  start = g_get_monotonic_time ();
  result = wf_notify_watch (notify, 100, 50, 20, NULL, -1, &changes, &error);
  took = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_CHANGES);
  assert_batch (changes, expect_in (f, "1:debounce.txt", NULL));
  /* Not before one step after the call began (upstream: 50-130 ms). */
  g_assert_cmpint (took, >=, MS (50));
  g_assert_cmpint (took, <, MS (1000));
}

static gpointer
write_pipe_later_thread (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);

  g_usleep (MS (100));
  g_assert_cmpint (write (fd, "s", 1), ==, 1);
  return NULL;
}

static void
test_return_signal (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  WfWatchResult result;
  int fds[2];
  char byte;

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  thread = g_thread_new ("signaller", write_pipe_later_thread, GINT_TO_POINTER (fds[1]));
  result = wf_notify_watch (notify, 50, 10, 0, NULL, fds[0], &changes, &error);
  g_thread_join (thread);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_SIGNAL);
  g_assert_null (changes);

  /* The descriptor is only polled: its byte is still there for the
   * caller's signal handling. */
  g_assert_true (g_unix_set_fd_nonblocking (fds[0], TRUE, NULL));
  g_assert_cmpint (read (fds[0], &byte, 1), ==, 1);
  g_assert_cmpint (byte, ==, 's');
  g_close (fds[0], NULL);
  g_close (fds[1], NULL);
}

static void
test_stop_keeps_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;

  write_in (f, "kept.txt", "x");
  let_changes_arrive ();
  g_cancellable_cancel (stop);
  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 1000, stop, -1, &changes, &error), ==,
                   WF_WATCH_RESULT_STOP);
  g_assert_no_error (error);
  g_assert_null (changes);

  /* RustNotify drops them; keeping them is DESIGN.md's contract. */
  assert_pending (notify, expect_in (f, "1:kept.txt", NULL));
}

static void
test_signal_keeps_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  g_assert_cmpint (write (fds[1], "s", 1), ==, 1);
  write_in (f, "kept.txt", "x");
  let_changes_arrive ();
  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 1000, NULL, fds[0], &changes, &error), ==,
                   WF_WATCH_RESULT_SIGNAL);
  g_assert_no_error (error);
  g_assert_null (changes);
  g_close (fds[0], NULL);
  g_close (fds[1], NULL);

  assert_pending (notify, expect_in (f, "1:kept.txt", NULL));
}

/* ---------------------------------------------------------------------- */
/* close(). */

static void
test_close (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  before = wf_notify_describe (notify);
  g_assert_nonnull (before);
  g_assert_cmpstr (before, !=, "None");
  g_assert_false (wf_notify_is_closed (notify));

  wf_notify_close (notify);
  wf_notify_close (notify);   /* idempotent */
  g_assert_true (wf_notify_is_closed (notify));
  after = wf_notify_describe (notify);
  g_assert_cmpstr (after, ==, "None");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 0);

  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 100, NULL, -1, &changes, &error), ==,
                   WF_WATCH_RESULT_ERROR);
  g_assert_error (error, WF_ERROR, WF_ERROR_CLOSED);
  g_assert_null (changes);
}

static gpointer
close_later_thread (gpointer data)
{
  g_usleep (MS (100));
  wf_notify_close (data);
  return NULL;
}

static void
test_close_from_thread (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  WfWatchResult result;

  thread = g_thread_new ("closer", close_later_thread, notify);
  /* No timeout and nothing pending: without the close this never ends
   * (RustNotify's loop would keep sleeping; we return). */
  result = wf_notify_watch (notify, 50, 10, 0, NULL, -1, &changes, &error);
  g_thread_join (thread);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_ERROR);
  g_assert_error (error, WF_ERROR, WF_ERROR_CLOSED);
  g_assert_null (changes);
}

typedef struct {
  WfNotify *notify;
  WfWatchResult result;
  GError *error;
} CloseWaiter;

static gpointer
close_waiter_thread (gpointer data)
{
  CloseWaiter *waiter = data;
  g_autoptr(GPtrArray) changes = NULL;

  waiter->result = wf_notify_watch (waiter->notify, 50, 10, 0, NULL, -1, &changes, &waiter->error);
  return NULL;
}

static void
test_close_wakes_every_waiter (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  CloseWaiter waiters[3] = { { notify }, { notify }, { notify } };
  GThread *threads[G_N_ELEMENTS (waiters)];

  /* Each waiter must see the close, not only the first one to wake
   * (a close used to be one edge on the wake-up descriptor). */
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    threads[i] = g_thread_new ("waiter", close_waiter_thread, &waiters[i]);
  g_usleep (MS (100));
  wf_notify_close (notify);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (waiters[i].result, ==, WF_WATCH_RESULT_ERROR);
      g_assert_error (waiters[i].error, WF_ERROR, WF_ERROR_CLOSED);
      g_clear_error (&waiters[i].error);
    }
}

static void
test_close_hands_over_pending (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *seen = NULL;
  GThread *thread;

  mkdir_in (f, "made");
  expected = expect_in (f, "1:made", NULL);
  /* Let the change arrive, then close while a watch with a long debounce
   * waits: it returns the pending change at once, not an error. */
  g_usleep (MS (200));
  thread = g_thread_new ("closer", close_later_thread, notify);
  g_assert_cmpint (wf_notify_watch (notify, 5000, 3000, 0, NULL, -1, &changes, &error), ==,
                   WF_WATCH_RESULT_CHANGES);
  g_thread_join (thread);
  g_assert_no_error (error);
  seen = wf_test_format_changes (changes);
  g_assert_cmpstr (seen, ==, expected);
}

static void
test_empty_path (Fixture *f, gconstpointer data)
{
  const char *paths[] = { "", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = wf_test_notify_new (f->backend, paths, TRUE, FALSE, &error);

  /* Not the working directory: no path at all. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (notify);
}

static void
test_bad_signal_fd (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  int bad_fd = (int) sysconf (_SC_OPEN_MAX) - 1;

  /* A closed descriptor would poll as ready (POLLNVAL) for ever.  The
   * highest one: a just-closed low number is soon reused by the backend's
   * thread (a directory it opens polls readable, seen as 'signal'). */
  g_assert_cmpint (bad_fd, >, 2);
  g_assert_cmpint (fcntl (bad_fd, F_GETFD), ==, -1);
  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 100, NULL, bad_fd, &changes, &error), ==,
                   WF_WATCH_RESULT_ERROR);
  g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
  g_assert_null (changes);
}

static void
test_uninitialised (void)
{
  g_autoptr(WfNotify) notify = g_object_new (WF_TYPE_NOTIFY, NULL);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;

  /* What a binding can make: an error, not a crash. */
  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 100, NULL, -1, &changes, &error), ==,
                   WF_WATCH_RESULT_ERROR);
  g_assert_error (error, WF_ERROR, WF_ERROR_NOT_INITIALIZED);
  wf_notify_close (notify);
  g_assert_true (wf_notify_is_closed (notify));
}

/* ---------------------------------------------------------------------- */
/* Timing envelope under continuous growth. */

typedef struct {
  char *dir;
  gint64 end_at;
  GPtrArray *created;   /* "1:path" lines */
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;

  for (guint n = 0; g_get_monotonic_time () < writer->end_at; n++)
    {
      g_autofree char *path = g_strdup_printf ("%s/f%04u", writer->dir, n);
      /* Empty files: a creation, nothing a backend could also call a
       * modification in a later batch. */
      int fd = g_open (path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

      g_assert_cmpint (fd, >=, 0);
      g_close (fd, NULL);
      g_ptr_array_add (writer->created, g_strdup_printf ("1:%s", path));
      g_usleep (MS (5));
    }
  return NULL;
}

static void
test_batch_envelope (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first_lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) all_lines = g_ptr_array_new ();
  g_autoptr(GHashTable) in_first = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) rest_lines = g_ptr_array_new ();
  g_autofree char *expected_all = NULL;
  g_autofree char *expected_rest = NULL;
  g_autofree char *seen_rest = NULL;
  g_autofree char *seen_all = NULL;
  Writer writer = { f->dir, 0, g_ptr_array_new_with_free_func (g_free) };
  GThread *thread;
  WfWatchResult result;
  gint64 start, took;

  start = g_get_monotonic_time ();
  writer.end_at = start + MS (1500);
  thread = g_thread_new ("writer", writer_thread, &writer);
  result = wf_notify_watch (notify, 300, 50, 0, NULL, -1, &changes, &error);
  took = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_CHANGES);
  g_thread_join (thread);

  /* A new file every 5 ms never leaves a 50 ms step quiet: the batch is
   * cut by the debounce, no sooner than 300 ms after its first change and
   * long before the writer stops at 1500 ms. */
  g_assert_cmpint (took, >=, MS (300));
  g_assert_cmpint (took, <, MS (1000));
  g_assert_cmpuint (changes->len, >, 1);
  g_assert_cmpuint (changes->len, <, writer.created->len);

  /* Nothing is lost or invented: the first batch and the rest make up
   * exactly the files written. */
  for (guint i = 0; i < changes->len; i++)
    {
      WfFileChange *change = g_ptr_array_index (changes, i);
      char *line = g_strdup_printf ("%d:%s", wf_file_change_get_change (change), wf_file_change_get_path (change));

      g_ptr_array_add (first_lines, line);
      g_hash_table_add (in_first, line);
    }
  for (guint i = 0; i < writer.created->len; i++)
    if (!g_hash_table_contains (in_first, g_ptr_array_index (writer.created, i)))
      g_ptr_array_add (rest_lines, g_ptr_array_index (writer.created, i));
  expected_rest = canonical_from_lines (rest_lines);
  seen_rest = collect (notify, expected_rest, NULL);

  g_ptr_array_extend (all_lines, first_lines, NULL, NULL);
  g_ptr_array_add (all_lines, seen_rest);
  seen_all = canonical_from_lines (all_lines);
  expected_all = canonical_from_lines (writer.created);
  g_assert_cmpstr (seen_all, ==, expected_all);

  g_ptr_array_unref (writer.created);
}

/* ---------------------------------------------------------------------- */
/* Idle means no wake-ups. */

typedef struct {
  WfNotify *notify;
  GCancellable *stop;
  gint tid;
  WfWatchResult result;
  GError *error;
} Waiter;

static gpointer
waiter_thread (gpointer data)
{
  Waiter *waiter = data;

  g_atomic_int_set (&waiter->tid, (gint) gettid ());
  waiter->result = wf_notify_watch (waiter->notify, 50, 10, 0, waiter->stop, -1, NULL, &waiter->error);
  return NULL;
}

static char *
task_file (gint tid, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/%s", tid, name);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

/* Whether the thread sits in a blocking wait for descriptors (rather than,
 * say, on a lock on its way there). */
static gboolean
thread_is_polling (gint tid)
{
  g_autofree char *syscall_line = task_file (tid, "syscall");
  long nr;

  if (syscall_line == NULL)
    return FALSE;
  nr = strtol (syscall_line, NULL, 10);
  return nr == __NR_ppoll
#ifdef __NR_poll
         || nr == __NR_poll
#endif
         || nr == __NR_epoll_pwait || nr == __NR_pselect6;
}

static guint64
voluntary_switches (gint tid)
{
  g_autofree char *status = task_file (tid, "status");
  const char *line;

  g_assert_nonnull (status);
  /* Not "nonvoluntary_ctxt_switches", which ends the same way. */
  line = strstr (status, "\nvoluntary_ctxt_switches:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nvoluntary_ctxt_switches:"), NULL, 10);
}

/* Awaits the observable state: the thread whose id lands in *@tid blocked
 * in the wait.  Returns that id. */
static gint
await_thread_polling (gint *tid)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC * 10;
  gint id;

  while ((id = g_atomic_int_get (tid)) == 0 || !thread_is_polling (id))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (MS (1));
    }
  return id;
}

/* Asserts that the thread @tid sleeps through an idle second. */
static void
assert_sleeps_for_a_second (gint tid)
{
  guint64 before = voluntary_switches (tid);

  g_usleep (G_USEC_PER_SEC);
  g_assert_cmpuint (voluntary_switches (tid) - before, <=, 1);
}

static void
test_idle_no_wakeups (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  Waiter waiter = { notify, stop, 0, WF_WATCH_RESULT_ERROR, NULL };
  GThread *thread;

  thread = g_thread_new ("waiter", waiter_thread, &waiter);
  /* The poll backend's scanner wakes every 20 ms; the waiting thread must
   * not, as long as the scans find nothing. */
  assert_sleeps_for_a_second (await_thread_polling (&waiter.tid));

  g_cancellable_cancel (stop);
  g_thread_join (thread);
  g_assert_no_error (waiter.error);
  g_assert_cmpint (waiter.result, ==, WF_WATCH_RESULT_STOP);
}

/* ---------------------------------------------------------------------- */
/* Debug output. */

static void
test_debug_output (Fixture *f, gconstpointer data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(WfNotify) notify = NULL;
      g_autoptr(GCancellable) stop = g_cancellable_new ();
      g_autoptr(GError) error = NULL;

      /* wf_test_notify_new turns debug on from the environment. */
      g_setenv ("WF_TEST_DEBUG", "1", TRUE);
      notify = notify_new_in (f, NULL, TRUE);
      write_in (f, "debug.txt", "x");
      assert_collected (notify, expect_in (f, "1:debug.txt", NULL), poll_may_also (f, "2:debug.txt", NULL));

      g_cancellable_cancel (stop);
      g_assert_cmpint (wf_notify_watch (notify, 50, 10, 100, stop, -1, NULL, &error), ==,
                       WF_WATCH_RESULT_STOP);
      g_assert_no_error (error);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*watcher: *");
  g_test_trap_assert_stderr ("*raw-event=*");
  g_test_trap_assert_stderr ("*change=1*");
  g_test_trap_assert_stderr ("*stop event set, stopping...*");
}

/* ---------------------------------------------------------------------- */
/* ignore_permission_denied. */

#define PROTECTED_ENV "WF_TEST_PROTECTED_PATH"
#define NOBODY 65534

static void
check_protected (Fixture *f, const char *protected_path)
{
  const char *paths[] = { protected_path, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) refused = NULL;
  g_autoptr(WfNotify) ignored = NULL;

  refused = wf_test_notify_new (f->backend, paths, TRUE, FALSE, &error);
  wf_test_assert_refused (refused, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  ignored = wf_test_notify_new (f->backend, paths, TRUE, TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ignored);
  g_assert_cmpstr (wf_notify_get_backend_name (ignored), ==, f->backend);
}

static void
test_permission_denied (Fixture *f, gconstpointer data)
{
  g_autofree char *protected_path = NULL;
  g_autofree char *inside = NULL;

  if (g_test_subprocess ())
    {
      const char *path = g_getenv (PROTECTED_ENV);
      g_autoptr(WfNotify) warm_up = NULL;

      g_assert_nonnull (path);
      /* Load the backend module while still root (the registry keeps it),
       * and drop this child's own directory, which nobody could remove. */
      warm_up = notify_new_in (f, NULL, TRUE);
      g_clear_object (&warm_up);
      g_clear_pointer (&f->dir, wf_test_tmpdir_free);

      g_assert_cmpint (setgroups (0, NULL), ==, 0);
      g_assert_cmpint (setgid (NOBODY), ==, 0);
      g_assert_cmpint (setuid (NOBODY), ==, 0);
      g_assert_cmpint (geteuid (), ==, NOBODY);
      check_protected (f, path);
      return;
    }

  /* The layout of upstream's CI: a root-owned 0700 directory with a
   * subdirectory, next to which the caller may look but not inside. */
  protected_path = path_in (f, "protected");
  inside = path_in (f, "protected/test");
  wf_test_mkdir (inside);
  g_assert_cmpint (g_chmod (protected_path, 0700), ==, 0);

  if (getuid () != 0)
    {
      /* Not root: making it unreadable to ourselves is the same test. */
      g_assert_cmpint (g_chmod (protected_path, 0), ==, 0);
      check_protected (f, protected_path);
      return;
    }

  /* Permissions do not bite root: a child drops to nobody.  It must be
   * able to reach the directory, just not read it. */
  g_assert_cmpint (g_chmod (f->dir, 0755), ==, 0);
  g_setenv (PROTECTED_ENV, protected_path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (PROTECTED_ENV);
  g_test_trap_assert_passed ();
}

/* ---------------------------------------------------------------------- */
/* ENOSYS: falling back to poll when inotify is refused (watchfiles #167). */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_AUDIT_ARCH
/* Makes inotify_init1 (and inotify_init where it exists) fail with ENOSYS
 * for the rest of this process, as some container runtimes do. */
static void
refuse_inotify (void)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
#ifdef __NR_inotify_init
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_inotify_init, 2, 0),
#endif
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_inotify_init1, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
  };
  struct sock_fprog prog = { .len = G_N_ELEMENTS (filter), .filter = filter };

  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), ==, 0);

  g_assert_cmpint (inotify_init1 (IN_CLOEXEC), ==, -1);
  g_assert_cmpint (errno, ==, ENOSYS);
}
#endif

static void
test_enosys_fallback (Fixture *f, gconstpointer data)
{
  /* inotify refused by the kernel: only where inotify is built. */
  if (wf_test_skip_unless_backend ("inotify"))
    return;
#ifdef TEST_AUDIT_ARCH
  if (g_test_subprocess ())
    {
      const char *paths[] = { f->dir, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(WfNotify) notify = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *optional = NULL;
      g_autofree char *seen = NULL;

      refuse_inotify ();
      g_unsetenv ("WATCHFILES_BACKEND");
      notify = wf_notify_new (paths, TRUE, FALSE, 20, TRUE, FALSE, &error);
      g_assert_no_error (error);
      g_assert_nonnull (notify);
      g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");

      write_in (f, "fallback.txt", "x");
      expected = expect_in (f, "1:fallback.txt", NULL);
      /* Polling: the optional mask of poll_may_also(). */
      optional = expect_in (f, "2:fallback.txt", NULL);
      seen = collect (notify, expected, optional);
      g_assert_cmpstr (seen, ==, expected);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*falling back*");
#else
  g_test_skip ("no seccomp architecture constant for this build");
#endif
}

static void
test_enosys_explicit (Fixture *f, gconstpointer data)
{
  /* inotify refused by the kernel: only where inotify is built. */
  if (wf_test_skip_unless_backend ("inotify"))
    return;
#ifdef TEST_AUDIT_ARCH
  if (g_test_subprocess ())
    {
      const char *paths[] = { f->dir, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(WfNotify) by_env = NULL;
      g_autoptr(WfNotify) by_property = NULL;

      refuse_inotify ();

      /* An explicit choice is never replaced by another backend. */
      g_setenv ("WATCHFILES_BACKEND", "inotify", TRUE);
      by_env = wf_notify_new (paths, TRUE, FALSE, 20, TRUE, FALSE, &error);
      wf_test_assert_refused (by_env, &error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE);

      g_unsetenv ("WATCHFILES_BACKEND");
      by_property = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
                                    "paths", paths, "debug", TRUE, "backend", "inotify", NULL);
      g_assert_error (error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE);
      g_assert_null (by_property);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*falling back*");
#else
  g_test_skip ("no seccomp architecture constant for this build");
#endif
}

/* ---------------------------------------------------------------------- */
/* Ignore rules (DESIGN rule 5), given through WfNotify:ignore-rules. */

static WfNotify *
notify_new_ignoring (Fixture *f, const char *const *paths, WfIgnoreRules *rules)
{
  g_autoptr(GError) error = NULL;
  WfNotify *notify = wf_test_notify_new_with_rules (f->backend, paths, rules, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (notify);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, f->backend);
  g_assert_true (wf_ignore_rules_is_sealed (rules));
  g_assert_true (wf_notify_get_ignore_rules (notify) == rules);
  return notify;
}

/* A directory name, a pattern, a path prefix, a name glob and a path glob:
 * nothing they match is reported, whatever happens to it. */
static void
test_ignore_rules_custom (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = path_in (f, "prefixed");
  const char *paths[] = { f->dir, NULL };

  make_test_tree (f);
  mkdir_in (f, "skipdir");
  mkdir_in (f, "prefixed");
  mkdir_in (f, "out");
  mkdir_in (f, "dir_a/out");
  write_in (f, "old.tmp", "x");

  wf_ignore_rules_add_dir_name (rules, "skipdir", NULL);
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "\\.tmp$", &error));
  wf_ignore_rules_add_path_prefix (rules, prefix, NULL);
  g_assert_true (wf_ignore_rules_add_glob (rules, "*.log", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "out/*.o", &error));
  g_assert_no_error (error);
  notify = notify_new_ignoring (f, paths, rules);

  /* Ignored. */
  write_in (f, "skipdir/a.txt", "x");
  mkdir_in (f, "skipdir/sub");
  write_in (f, "skipdir/sub/b.txt", "x");
  write_in (f, "x.tmp", "x");
  write_in (f, "dir_a/y.tmp", "x");
  unlink_in (f, "old.tmp");
  write_in (f, "prefixed/c.txt", "x");
  write_in (f, "prefixed2.txt", "x");
  write_in (f, "build.log", "x");
  write_in (f, "dir_a/d.log", "x");
  mkdir_in (f, "logs.log/inner");
  write_in (f, "logs.log/inner/e.txt", "x");
  write_in (f, "out/a.o", "x");
  /* Reported: beside them, a path glob anchored at the root, exact names. */
  write_in (f, "out/keep.c", "x");
  write_in (f, "dir_a/out/a.o", "x");
  write_in (f, "new_file.txt", "x");
  mkdir_in (f, "skipdir2");
  write_in (f, "dir_a/a.txt", "hello");
  /* Renamed to an ignored name: only the old name's deletion is seen. */
  rename_in (f, "b.txt", "b.tmp");

  assert_collected (notify,
                    expect_in (f, "1:out/keep.c", "1:dir_a/out/a.o", "1:new_file.txt", "1:skipdir2",
                               "2:dir_a/a.txt", "3:b.txt", NULL),
                    poll_may_also (f, "2:out/keep.c", "2:dir_a/out/a.o", "2:new_file.txt", "2:b.txt", NULL));
}

/* watchfiles' DefaultFilter: its directories and its seven patterns. */
static void
test_ignore_rules_default (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(WfNotify) notify = NULL;
  const char *paths[] = { f->dir, NULL };

  make_test_tree (f);
  mkdir_in (f, ".git");
  notify = notify_new_ignoring (f, paths, rules);

  mkdir_in (f, "node_modules/pkg");
  write_in (f, "node_modules/pkg/index.js", "x");
  write_in (f, ".git/HEAD", "x");
  mkdir_in (f, "dir_a/__pycache__");
  write_in (f, "dir_a/__pycache__/m.cpython-311.pyc", "x");
  write_in (f, "a.pyc", "x");
  write_in (f, "a.py.___jb_tmp___", "x");
  write_in (f, ".a.txt.swp", "x");
  write_in (f, "a.txt~", "x");
  write_in (f, ".#a.txt", "x");
  write_in (f, "dir_b/.DS_Store", "x");
  write_in (f, "flycheck_main.py", "x");
  write_in (f, "main.py", "x");

  assert_collected (notify, expect_in (f, "1:main.py", NULL), poll_may_also (f, "2:main.py", NULL));
}

/* A relative root below a directory of an ignored name: the rules apply
 * below the root however a backend spells its paths, so nothing is lost. */
static void
test_ignore_rules_relative_root (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *old_cwd = g_get_current_dir ();
  g_autofree char *venv = path_in (f, ".venv");
  g_autofree char *expected = NULL;
  g_autofree char *optional = NULL;
  g_autofree char *seen = NULL;
  const char *paths[] = { "proj", NULL };

  mkdir_in (f, ".venv/proj/node_modules");
  g_assert_no_errno (g_chdir (venv));
  notify = notify_new_ignoring (f, paths, rules);

  write_in (f, ".venv/proj/new.txt", "x");
  write_in (f, ".venv/proj/node_modules/x.js", "x");

  /* poll reports the root as given, inotify joined to the directory. */
  if (is_poll (f))
    {
      expected = g_strdup_printf ("%d:proj/new.txt", WF_CHANGE_ADDED);
      optional = g_strdup_printf ("%d:proj/new.txt", WF_CHANGE_MODIFIED);
    }
  else
    {
      expected = g_strdup_printf ("%d:%s/proj/new.txt", WF_CHANGE_ADDED, venv);
      optional = g_strdup ("");
    }
  seen = collect (notify, expected, optional);
  g_assert_no_errno (g_chdir (old_cwd));
  g_assert_cmpstr (seen, ==, expected);
}

/* ---------------------------------------------------------------------- */
/* watch_full(): a check function, as RustNotify's loop runs Python's signal
 * handlers and is_set() on the calling thread. */

typedef struct {
  GThread *caller;
  gboolean wrong_thread;
  int signal_fd;          /* drained on check (TRUE) */
  guint n_ready_calls;
  guint n_step_calls;
  GArray *step_times;     /* gint64 monotonic times of check (FALSE) */
  guint stop_at_step;     /* return STOP at this step call (0: never) */
  WfWatchCheck on_ready;  /* what check (TRUE) returns */
} Checker;

static WfWatchCheck
checker_check (gboolean signal_ready, gpointer user_data)
{
  Checker *checker = user_data;
  char buf[64];

  if (g_thread_self () != checker->caller)
    checker->wrong_thread = TRUE;
  if (signal_ready)
    {
      checker->n_ready_calls++;
      while (read (checker->signal_fd, buf, sizeof buf) > 0)
        ;
      return checker->on_ready;
    }
  checker->n_step_calls++;
  if (checker->step_times != NULL)
    {
      gint64 now = g_get_monotonic_time ();
      g_array_append_val (checker->step_times, now);
    }
  if (checker->stop_at_step != 0 && checker->n_step_calls >= checker->stop_at_step)
    return WF_WATCH_CHECK_STOP;
  return WF_WATCH_CHECK_CONTINUE;
}

static void
checker_init (Checker *checker, int signal_fd)
{
  *checker = (Checker) { .caller = g_thread_self (), .signal_fd = signal_fd, .on_ready = WF_WATCH_CHECK_CONTINUE };
}

static void
open_signal_pipe (int fds[2])
{
  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  g_assert_true (g_unix_set_fd_nonblocking (fds[0], TRUE, NULL));
}

static void
test_check_each_step (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  Checker checker;
  gint64 start;
  WfWatchResult result;

  checker_init (&checker, -1);
  checker.step_times = times;
  start = g_get_monotonic_time ();
  result = wf_notify_watch_full (notify, 50, 40, 600, NULL, -1, TRUE, checker_check, &checker, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_TIMEOUT);
  g_assert_false (checker.wrong_thread);
  g_assert_cmpuint (checker.n_ready_calls, ==, 0);

  /* RustNotify's cadence: one step in, then a step after each check. */
  g_assert_cmpuint (times->len, >=, 5);
  g_assert_cmpuint (times->len, <=, 15);
  g_assert_cmpint (g_array_index (times, gint64, 0) - start, >=, MS (40));
  for (guint i = 1; i < times->len; i++)
    g_assert_cmpint (g_array_index (times, gint64, i) - g_array_index (times, gint64, i - 1), >=, MS (40));
}

typedef struct {
  int fd;
  gint stop;
  guint n_writes;
} Pinger;

/* A signal every 5 ms: far more often than a step. */
static gpointer
pinger_thread (gpointer data)
{
  Pinger *pinger = data;
  gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC * 5;

  while (!g_atomic_int_get (&pinger->stop) && g_get_monotonic_time () < end)
    {
      g_assert_cmpint (write (pinger->fd, "s", 1), ==, 1);
      pinger->n_writes++;
      g_usleep (MS (5));
    }
  return NULL;
}

static void
test_check_continue_keeps_debounce (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  Checker checker;
  Pinger pinger = { 0 };
  GThread *thread;
  WfWatchResult result;
  gint64 start, took;
  int fds[2];

  open_signal_pipe (fds);
  write_in (f, "a.txt", "x");
  let_changes_arrive ();
  checker_init (&checker, fds[0]);
  pinger.fd = fds[1];
  thread = g_thread_new ("pinger", pinger_thread, &pinger);

  /* Each signal is handled and the wait goes on with its debounce state:
   * the batch still comes within debounce + step, not after the signals
   * stop (5 s). */
  start = g_get_monotonic_time ();
  result = wf_notify_watch_full (notify, 200, 50, 3000, NULL, fds[0], FALSE, checker_check, &checker,
                                 &changes, &error);
  took = g_get_monotonic_time () - start;
  g_atomic_int_set (&pinger.stop, 1);
  g_thread_join (thread);

  g_assert_no_error (error);
  g_assert_cmpint (result, ==, WF_WATCH_RESULT_CHANGES);
  assert_batch (changes, expect_in (f, "1:a.txt", NULL));
  g_assert_cmpint (took, >=, MS (50));
  g_assert_cmpint (took, <, MS (1000));
  g_assert_cmpuint (checker.n_ready_calls, >=, 2);
  g_assert_cmpuint (checker.n_step_calls, ==, 0);
  g_assert_false (checker.wrong_thread);
  g_close (fds[0], NULL);
  g_close (fds[1], NULL);
}

static void
test_check_stop_keeps_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  Checker checker;

  write_in (f, "kept.txt", "x");
  let_changes_arrive ();
  checker_init (&checker, -1);
  checker.stop_at_step = 1;
  /* The check comes before the set: the first step stops, with the batch
   * due at that very step kept for the next call. */
  g_assert_cmpint (wf_notify_watch_full (notify, 50, 20, 1000, NULL, -1, TRUE, checker_check, &checker,
                                         &changes, &error), ==, WF_WATCH_RESULT_STOP);
  g_assert_no_error (error);
  g_assert_null (changes);
  g_assert_cmpuint (checker.n_step_calls, ==, 1);

  assert_pending (notify, expect_in (f, "1:kept.txt", NULL));
}

static void
test_check_signal_keeps_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  Checker checker;
  int fds[2];

  open_signal_pipe (fds);
  write_in (f, "kept.txt", "x");
  let_changes_arrive ();
  checker_init (&checker, fds[0]);
  checker.on_ready = WF_WATCH_CHECK_SIGNAL;
  g_assert_cmpint (write (fds[1], "s", 1), ==, 1);
  g_cancellable_cancel (stop);

  /* The signal comes before the stop, as in RustNotify's loop. */
  g_assert_cmpint (wf_notify_watch_full (notify, 50, 20, 1000, stop, fds[0], TRUE, checker_check, &checker,
                                         &changes, &error), ==, WF_WATCH_RESULT_SIGNAL);
  g_assert_no_error (error);
  g_assert_null (changes);
  g_assert_cmpuint (checker.n_ready_calls, ==, 1);

  /* A signal the check lets pass: then the stop. */
  g_assert_cmpint (write (fds[1], "s", 1), ==, 1);
  checker.on_ready = WF_WATCH_CHECK_CONTINUE;
  g_assert_cmpint (wf_notify_watch_full (notify, 50, 20, 1000, stop, fds[0], TRUE, checker_check, &checker,
                                         &changes, &error), ==, WF_WATCH_RESULT_STOP);
  g_assert_no_error (error);
  g_assert_null (changes);
  g_assert_cmpuint (checker.n_ready_calls, ==, 2);
  g_assert_false (checker.wrong_thread);
  g_close (fds[0], NULL);
  g_close (fds[1], NULL);

  assert_pending (notify, expect_in (f, "1:kept.txt", NULL));
}

typedef struct {
  WfNotify *notify;
  GCancellable *stop;
  int signal_fd;
  gint tid;
  guint n_calls;
  WfWatchResult result;
  GError *error;
} CheckWaiter;

static WfWatchCheck
count_check (gboolean signal_ready, gpointer user_data)
{
  CheckWaiter *waiter = user_data;

  g_atomic_int_inc (&waiter->n_calls);
  return WF_WATCH_CHECK_CONTINUE;
}

static gpointer
check_waiter_thread (gpointer data)
{
  CheckWaiter *waiter = data;

  g_atomic_int_set (&waiter->tid, (gint) gettid ());
  waiter->result = wf_notify_watch_full (waiter->notify, 50, 10, 0, waiter->stop, waiter->signal_fd, FALSE,
                                         count_check, waiter, NULL, &waiter->error);
  return NULL;
}

static void
test_check_idle_no_wakeups (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new_in (f, NULL, TRUE);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  CheckWaiter waiter = { notify, stop, -1, 0, 0, WF_WATCH_RESULT_ERROR, NULL };
  GThread *thread;
  int fds[2];

  open_signal_pipe (fds);
  waiter.signal_fd = fds[0];
  thread = g_thread_new ("waiter", check_waiter_thread, &waiter);
  /* With a check but no check_each_step, no signal and no change, the
   * wait stays event-driven: no step timer. */
  assert_sleeps_for_a_second (await_thread_polling (&waiter.tid));
  g_assert_cmpuint (g_atomic_int_get (&waiter.n_calls), ==, 0);

  g_cancellable_cancel (stop);
  g_thread_join (thread);
  g_assert_no_error (waiter.error);
  g_assert_cmpint (waiter.result, ==, WF_WATCH_RESULT_STOP);
  g_assert_cmpuint (waiter.n_calls, ==, 0);
  g_close (fds[0], NULL);
  g_close (fds[1], NULL);
}

/* ---------------------------------------------------------------------- */

typedef void (*FixtureTest) (Fixture *f, gconstpointer data);

static const struct {
  const char *name;
  FixtureTest func;
} backend_cases[] = {
  { "add", test_add },
  { "add-non-recursive", test_add_non_recursive },
  { "modify-write", test_modify_write },
  { "modify-write-non-recursive", test_modify_write_non_recursive },
  { "modify-chmod", test_modify_chmod },
  { "delete", test_delete },
  { "delete-non-recursive", test_delete_non_recursive },
  { "move-in", test_move_in },
  { "move-out", test_move_out },
  { "move-internal", test_move_internal },
  { "rename", test_rename },
  { "rename-multiple-inside", test_rename_multiple_inside },
  { "watch-multiple", test_watch_multiple },
  { "missing", test_missing },
  { "missing-ignore-permission-denied", test_missing_ignore_permission_denied },
  { "non-utf8-name", test_non_utf8_name },
  { "same-file-written-often", test_same_file_written_often },
  { "created-then-written", test_created_then_written },
  { "changes-before-first-watch", test_changes_before_first_watch },
  { "changes-between-calls", test_changes_between_calls },
  { "return-timeout", test_return_timeout },
  { "return-stop-set", test_return_stop_set },
  { "return-stop-from-thread", test_return_stop_from_thread },
  { "return-debounce-no-timeout", test_return_debounce_no_timeout },
  { "return-signal", test_return_signal },
  { "stop-keeps-changes", test_stop_keeps_changes },
  { "signal-keeps-changes", test_signal_keeps_changes },
  { "close", test_close },
  { "close-from-thread", test_close_from_thread },
  { "close-wakes-every-waiter", test_close_wakes_every_waiter },
  { "close-hands-over-pending", test_close_hands_over_pending },
  { "empty-path", test_empty_path },
  { "bad-signal-fd", test_bad_signal_fd },
  { "batch-envelope", test_batch_envelope },
  { "idle-no-wakeups", test_idle_no_wakeups },
  { "debug-output", test_debug_output },
  { "permission-denied", test_permission_denied },
  { "ignore-rules-custom", test_ignore_rules_custom },
  { "ignore-rules-default", test_ignore_rules_default },
  { "ignore-rules-relative-root", test_ignore_rules_relative_root },
  { "check-each-step", test_check_each_step },
  { "check-continue-keeps-debounce", test_check_continue_keeps_debounce },
  { "check-stop-keeps-changes", test_check_stop_keeps_changes },
  { "check-signal-keeps-changes", test_check_signal_keeps_changes },
  { "check-idle-no-wakeups", test_check_idle_no_wakeups },
};

int
main (int argc, char **argv)
{
  const char *const *backends = wf_test_backends ();

  g_test_init (&argc, &argv, NULL);

  for (guint b = 0; backends[b] != NULL; b++)
    for (guint i = 0; i < G_N_ELEMENTS (backend_cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/notify/%s/%s", backends[b], backend_cases[i].name);
        g_test_add (path, Fixture, backends[b], fixture_setup, backend_cases[i].func, fixture_teardown);
      }

  g_test_add_func ("/notify/uninitialised", test_uninitialised);
  g_test_add ("/notify/missing-force-polling", Fixture, NULL,
              fixture_setup, test_missing_force_polling, fixture_teardown);
  g_test_add ("/notify/enosys/explicit", Fixture, NULL,
              fixture_setup, test_enosys_explicit, fixture_teardown);
  g_test_add ("/notify/enosys/fallback", Fixture, NULL,
              fixture_setup, test_enosys_fallback, fixture_teardown);

  return g_test_run ();
}
