/* SPDX-License-Identifier: MIT */
/* test-scenarios.c: the scenario matrix (DESIGN rule 10).  Every
 * behavioural scenario is written once and registered as
 * /matrix/BACKEND/SCENARIO for each backend of wf_test_backends() (those
 * built whose probe passes; a new backend joins by its name in that one
 * list), through the public WfNotify API, on real files.
 *
 * Each step asserts an exact set.  What a backend legitimately cannot do is
 * an explicit exception beside the expectation (unless_on(), or a change
 * that may_on() come, GIO's "optional" mask in gio/tests/testfilemonitor.c),
 * with the reason; no scenario is skipped for one backend.  A difference
 * that is a bug is a failure: the backend is fixed, not the expectation.
 *
 * The RustNotify contract (file add/modify/delete/move at the top of a
 * tree, non-recursive files, debounce, ignore rules seen through the API)
 * is tests/core/test-notify.c's; what only one backend does (inotify's
 * kernel watches and queue, poll's pacing) is in test-inotify-backend.c and
 * test-poll-backend.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#ifdef G_OS_WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include "wf-test-util.h"

/* Windows has no close-on-exec flag for open(), and wants binary mode. */
#ifdef G_OS_WIN32
#define O_PORTABLE O_BINARY
#else
#define O_PORTABLE O_CLOEXEC
#endif

typedef WfTestFixture Fixture;

/* ---- expectations ------------------------------------------------------- */

static gboolean
is_backend (Fixture *f, const char *backend)
{
  return g_strcmp0 (f->backend, backend) == 0;
}

/* (WfChange, relative path) pairs ended by 0, as a canonical set. */
#define expect wf_test_expect_changes

/* The set on @backend only: there, changes that may or may not come (an
 * optional mask; say why where it is used). */
static char *
may_on (Fixture *f, const char *backend, ...)
{
  va_list args;
  char *set;

  if (!is_backend (f, backend))
    return g_strdup ("");
  va_start (args, backend);
  set = wf_test_expect_changes_valist (f, args);
  va_end (args);
  return set;
}

/* The set, except on Windows, where it is empty: what no backend there
 * can see (say why where it is used). */
static char *
unless_on_windows (Fixture *f, ...)
{
#ifdef G_OS_WIN32
  return g_strdup ("");
#else
  va_list args;
  char *set;

  va_start (args, f);
  set = wf_test_expect_changes_valist (f, args);
  va_end (args);
  return set;
#endif
}

/* Does @f's backend learn every change from the kit's snapshot diff?  poll
 * by its scans; kqueue because a note names no entry, only that a
 * directory changed, and the diff says what; fsevents because its adapter
 * takes an event only as a reason to rescan the directory holding the item
 * it names (the whole root after lost events; never run here: macOS
 * only).  The kit's rules then hold: a directory's own times are not
 * a change of it, a link to a file changes with its target, a state that
 * comes and goes between two reads of the tree may not be seen.  Not
 * win32: a record names its entry, the adapter reports an entry that came
 * and went from the records and the rest from a rescan of each directory
 * they name, so it is held to what inotify reports (Windows' own limits
 * are unless_on_windows()). */
static gboolean
by_diff (Fixture *f)
{
  return is_backend (f, "poll") || is_backend (f, "kqueue") || is_backend (f, "fsevents");
}

/* unless_on() and may_on() for the backends of by_diff(). */
static char *
unless_by_diff (Fixture *f, ...)
{
  va_list args;
  char *set;

  if (by_diff (f))
    return g_strdup ("");
  va_start (args, f);
  set = wf_test_expect_changes_valist (f, args);
  va_end (args);
  return set;
}

static char *
may_by_diff (Fixture *f, ...)
{
  va_list args;
  char *set;

  if (!by_diff (f))
    return g_strdup ("");
  va_start (args, f);
  set = wf_test_expect_changes_valist (f, args);
  va_end (args);
  return set;
}

/* rename() sets the moved entry's ctime before the old name is gone, and a
 * poll scan landing in between sees the old name changed just before its
 * deletion (test-notify.c measured 54 of 302 tries).  inotify reports no
 * such event.  The optional mask of every rename below. */
#define poll_may_see_rename_ctime(f, ...) may_on (f, "poll", __VA_ARGS__)

/* Asserts that exactly @expected came, apart from @optional (NULL for
 * none); takes both. */
static void
assert_changes (WfNotify *notify, char *expected, char *optional)
{
  g_autofree char *owned_expected = expected;
  g_autofree char *owned_optional = optional;

  wf_test_assert_changes_apart_from (notify, owned_expected, owned_optional);
}

/* ---- watchers ------------------------------------------------------------ */

static WfNotify *
watch_paths_with (Fixture *f, const char *const *paths, const WfTestOptions *options)
{
  g_autoptr(GError) error = NULL;
  WfNotify *notify = wf_test_notify_new_with_options (f->backend, paths, options, &error);

  g_assert_no_error (error);
  /* The matrix is only worth something if each case gets its backend. */
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, f->backend);
  return notify;
}

static WfNotify *
watch_with (Fixture *f, const char *relative_root, const WfTestOptions *options)
{
  g_autofree char *root = wf_test_fixture_path (f, relative_root);
  const char *paths[] = { root, NULL };

  return watch_paths_with (f, paths, options);
}

/* A recursive watch on @relative_root, with the defaults.  Roots are below
 * the fixture's directory, never it: wf_test_fixture_place() stages there. */
static WfNotify *
watch (Fixture *f, const char *relative_root)
{
  WfTestOptions defaults = { 0 };

  return watch_with (f, relative_root, &defaults);
}

static WfNotify *
watch_with_rules (Fixture *f, const char *relative_root, WfIgnoreRules *rules)
{
  WfTestOptions options = { .rules = rules };

  return watch_with (f, relative_root, &options);
}

/* Short names for the changes made below the fixture's directory. */
#define mkdir_in   wf_test_fixture_mkdir
#define touch_in   wf_test_fixture_touch
#define write_in   wf_test_fixture_write
#define place_in   wf_test_fixture_place
#define rename_in  wf_test_fixture_rename
#define chmod_in   wf_test_fixture_chmod
#define symlink_in wf_test_fixture_symlink
#define remove_in  wf_test_fixture_remove
#define rm_rf_in   wf_test_fixture_rm_rf

/* ---- files and directories ------------------------------------------------ */

/* A file's life in a directory made while watching: what a change of its
 * data, mode, size and link count is. */
static void
test_file_lifecycle (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *file = wf_test_fixture_path (f, "w/d/f");
  g_autofree char *hard = wf_test_fixture_path (f, "w/d/hard");

  mkdir_in (f, "w");
  notify = watch (f, "w");

  mkdir_in (f, "w/d");
  place_in (f, "w/d/f", "one");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/d", WF_CHANGE_ADDED, "w/d/f", 0), NULL);

  write_in (f, "w/d/f", "two, longer");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/d/f", 0), NULL);

  /* Read-only and back: the one mode bit Windows keeps (g_chmod() there
   * sets FILE_ATTRIBUTE_READONLY when the owner may not write). */
  chmod_in (f, "w/d/f", 0400);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/d/f", 0), NULL);
  chmod_in (f, "w/d/f", 0644);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/d/f", 0), NULL);

  wf_test_truncate (file, 0);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/d/f", 0), NULL);

  /* A second name: new, and the first one's link count (so its ctime)
   * changed.  The kernel tells inotify of a link count change only through
   * a watch on the file itself (IN_ATTRIB); a directory's watch, all the
   * backend has here, hears nothing.  Poll sees the ctime.  Windows: the
   * kit reads GetFileAttributesExW there, which has neither a link count
   * nor a change time, so no backend sees it. */
  wf_test_hard_link (file, hard);
  assert_changes (notify,
                  wf_test_union (expect (f, WF_CHANGE_ADDED, "w/d/hard", 0),
                                 is_backend (f, "inotify") ? g_strdup ("")
                                                           : unless_on_windows (f, WF_CHANGE_MODIFIED, "w/d/f", 0)),
                  NULL);

  /* And the same for the other name when one goes. */
  remove_in (f, "w/d/f");
  assert_changes (notify,
                  wf_test_union (expect (f, WF_CHANGE_DELETED, "w/d/f", 0),
                                 is_backend (f, "inotify") ? g_strdup ("")
                                                           : unless_on_windows (f, WF_CHANGE_MODIFIED, "w/d/hard", 0)),
                  NULL);

  remove_in (f, "w/d/hard");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w/d/hard", 0), NULL);
}

/* Directories: made (with parents, at once), changed, removed; each one
 * made is watched to the bottom. */
static void
test_directory_lifecycle (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w");
  notify = watch (f, "w");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);

  mkdir_in (f, "w/a/b/c");
  touch_in (f, "w/a/b/c/f");
  assert_changes (notify,
                  expect (f, WF_CHANGE_ADDED, "w/a", WF_CHANGE_ADDED, "w/a/b", WF_CHANGE_ADDED, "w/a/b/c",
                          WF_CHANGE_ADDED, "w/a/b/c/f", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 4);

  touch_in (f, "w/a/b/c/g");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/a/b/c/g", 0), NULL);

  /* A directory's mode is a change of it; its times are not.  Windows:
   * a directory's only mode bit is FILE_ATTRIBUTE_READONLY, which this
   * mode leaves clear (and which the kit there does not read for a
   * directory: Explorer takes it for "customised", not for read-only). */
  chmod_in (f, "w/a/b", 0711);
  assert_changes (notify, unless_on_windows (f, WF_CHANGE_MODIFIED, "w/a/b", 0), NULL);

  remove_in (f, "w/a/b/c/f");
  remove_in (f, "w/a/b/c/g");
  remove_in (f, "w/a/b/c");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/a/b/c/f", WF_CHANGE_DELETED, "w/a/b/c/g",
                          WF_CHANGE_DELETED, "w/a/b/c", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
}

/* A directory touched (times only), then chowned to its own owner (ctime
 * only).  Exception, poll and kqueue (by_diff): a directory's times move
 * whenever an entry comes or goes, and those entries are reported
 * themselves, so the kit judges a directory by its mode alone
 * (wf_kit_fingerprint_compare) and cannot tell a touch from an entry's
 * change (kqueue's NOTE_ATTRIB on a directory would, on a BSD, but
 * libkqueue raises it for a child's change too).  inotify hears the
 * directory's own IN_ATTRIB, which entries coming and going do not raise,
 * and reports it as RustNotify does on Linux. */
static void
test_directory_touched (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *dir = wf_test_fixture_path (f, "w/d");

  mkdir_in (f, "w/d");
  notify = watch (f, "w");

  /* Windows: a directory's times and mode are not read there (above), so
   * no backend reports either. */
  wf_test_set_times_now (dir);
  assert_changes (notify, by_diff (f) ? g_strdup ("") : unless_on_windows (f, WF_CHANGE_MODIFIED, "w/d", 0),
                  NULL);

#ifndef G_OS_WIN32
  /* Windows has no chown: an owner there is a security descriptor's SID,
   * which a test cannot set to itself without privilege. */
  {
    struct stat st;

    g_assert_no_errno (stat (dir, &st));
    g_assert_no_errno (chown (dir, st.st_uid, st.st_gid));
    assert_changes (notify, unless_by_diff (f, WF_CHANGE_MODIFIED, "w/d", 0), NULL);
  }
#endif

  /* Its mode is a change of it everywhere (test_directory_lifecycle),
   * but on Windows. */
  chmod_in (f, "w/d", 0700);
  assert_changes (notify, unless_on_windows (f, WF_CHANGE_MODIFIED, "w/d", 0), NULL);
}

/* A directory made and removed (or moved out and back) between two looks.
 * Exception, poll and kqueue (by_diff): they see the tree only at each
 * scan (kqueue's note names no entry: it makes its directory's listing be
 * read, after the fact), so a state that begins and ends
 * between two scans may never be seen (or be seen, if a scan lands in
 * between: optional there).  inotify hears each step. */
static void
test_directory_between_scans (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/back");
  mkdir_in (f, "outside");
  notify = watch (f, "w");

  mkdir_in (f, "w/brief");
  remove_in (f, "w/brief");
  assert_changes (notify,
                  unless_by_diff (f, WF_CHANGE_ADDED, "w/brief", WF_CHANGE_DELETED, "w/brief", 0),
                  may_by_diff (f, WF_CHANGE_ADDED, "w/brief", WF_CHANGE_DELETED, "w/brief", 0));

  rename_in (f, "w/back", "outside/back");
  rename_in (f, "outside/back", "w/back");
  assert_changes (notify,
                  unless_by_diff (f, WF_CHANGE_DELETED, "w/back", WF_CHANGE_ADDED, "w/back", 0),
                  may_by_diff (f, WF_CHANGE_DELETED, "w/back", WF_CHANGE_ADDED, "w/back", 0));
}

/* The race that loses files in other watchers: a file made right after
 * mkdir, before the new directory can be watched (DESIGN rule 1). */
#define RACE_DIRECTORIES 300

static void
test_new_directory_race (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *expected = g_strdup ("");

  mkdir_in (f, "w");
  notify = watch (f, "w");
  for (guint i = 0; i < RACE_DIRECTORIES; i++)
    {
      g_autofree char *dir = g_strdup_printf ("w/d%03u", i);
      g_autofree char *file = g_strdup_printf ("w/d%03u/f", i);

      mkdir_in (f, dir);
      touch_in (f, file);
      expected = wf_test_union (expected, expect (f, WF_CHANGE_ADDED, dir, WF_CHANGE_ADDED, file, 0));
    }
  assert_changes (notify, g_steal_pointer (&expected), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1 + RACE_DIRECTORIES);
}

/* rm -r: every path below is reported deleted (DESIGN rule 9), whichever
 * of its events a backend gets first. */
static void
test_directory_deleted_recursively (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/d/sub/deeper");
  write_in (f, "w/d/f", "1");
  write_in (f, "w/d/sub/g", "2");
  write_in (f, "w/d/sub/deeper/h", "3");
  write_in (f, "w/kept", "4");
  notify = watch (f, "w");

  rm_rf_in (f, "w/d");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/d", WF_CHANGE_DELETED, "w/d/f", WF_CHANGE_DELETED, "w/d/sub",
                          WF_CHANGE_DELETED, "w/d/sub/g", WF_CHANGE_DELETED, "w/d/sub/deeper",
                          WF_CHANGE_DELETED, "w/d/sub/deeper/h", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);

  /* And the same name made again is a new directory, watched. */
  mkdir_in (f, "w/d");
  touch_in (f, "w/d/new");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/d", WF_CHANGE_ADDED, "w/d/new", 0), NULL);
}

/* A file replaced by a directory of the same name, and back. */
static void
test_file_replaced_by_directory (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  write_in (f, "w/x", "file");
  notify = watch (f, "w");

  remove_in (f, "w/x");
  mkdir_in (f, "w/x");
  touch_in (f, "w/x/y");
  /* Whether or not anything is read between the steps, the set is this. */
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/x", WF_CHANGE_ADDED, "w/x", WF_CHANGE_ADDED, "w/x/y", 0),
                  NULL);
  touch_in (f, "w/x/z");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/x/z", 0), NULL);

  rm_rf_in (f, "w/x");
  place_in (f, "w/x", "a file again");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/x", WF_CHANGE_DELETED, "w/x/y", WF_CHANGE_DELETED, "w/x/z",
                          WF_CHANGE_ADDED, "w/x", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);
}

/* A file rewritten in place at the same size, then replaced by a rename
 * over it (an editor's atomic save, its temporary file outside the tree):
 * the path existed before and after, so both are a modification. */
static void
test_file_replaced_by_rename (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *path = wf_test_fixture_path (f, "w/a");
  int fd;

  write_in (f, "w/a", "hello");
  mkdir_in (f, "out");
  notify = watch (f, "w");

  fd = g_open (path, O_WRONLY | O_PORTABLE, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "world", 5), ==, 5);
  close (fd);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/a", 0), NULL);

  write_in (f, "out/a.new", "HELLO");
  rename_in (f, "out/a.new", "w/a");
  /* Exception, inotify: IN_MOVED_TO does not say that it replaced a file,
   * and finding out would cost a search of the directory's packed names
   * per rename, so the path is reported added (as watchfiles reports
   * notify's Name(To)); poll sees the same path with new contents:
   * modified.  Either way a consumer re-reads w/a. */
  assert_changes (notify, expect (f, is_backend (f, "inotify") ? WF_CHANGE_ADDED : WF_CHANGE_MODIFIED, "w/a", 0),
                  NULL);
}

/* Two entries renamed over one another's place: a directory over an empty
 * one.  The old directory there is gone (with what it held, nothing), the
 * moved one arrives with what it holds. */
static void
test_directory_renamed_over_empty_directory (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  if (wf_test_skip_on_windows ("MoveFileExW replaces no directory (ERROR_ACCESS_DENIED), "
                               "MOVEFILE_REPLACE_EXISTING or not"))
    return;

  mkdir_in (f, "w/a");
  touch_in (f, "w/a/x");
  mkdir_in (f, "w/b");
  notify = watch (f, "w");

  rename_in (f, "w/a", "w/b");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/a", WF_CHANGE_DELETED, "w/a/x", WF_CHANGE_DELETED, "w/b",
                          WF_CHANGE_ADDED, "w/b", WF_CHANGE_ADDED, "w/b/x", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/a", WF_CHANGE_MODIFIED, "w/a/x", 0));
  touch_in (f, "w/b/y");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/b/y", 0), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
}

/* ---- trees moving --------------------------------------------------------- */

static void
test_tree_moved_in (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w");
  mkdir_in (f, "out/tree/sub/deeper");
  touch_in (f, "out/tree/a");
  touch_in (f, "out/tree/sub/b");
  touch_in (f, "out/tree/sub/deeper/c");
  notify = watch (f, "w");

  rename_in (f, "out/tree", "w/tree");
  assert_changes (notify,
                  expect (f, WF_CHANGE_ADDED, "w/tree", WF_CHANGE_ADDED, "w/tree/a", WF_CHANGE_ADDED, "w/tree/sub",
                          WF_CHANGE_ADDED, "w/tree/sub/b", WF_CHANGE_ADDED, "w/tree/sub/deeper",
                          WF_CHANGE_ADDED, "w/tree/sub/deeper/c", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 4);

  /* Watched to the bottom. */
  touch_in (f, "w/tree/sub/deeper/later");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/tree/sub/deeper/later", 0), NULL);
}

static void
test_tree_moved_out (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/dir/sub");
  touch_in (f, "w/dir/f");
  mkdir_in (f, "out");
  notify = watch (f, "w");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);

  rename_in (f, "w/dir", "out/dir");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/dir", WF_CHANGE_DELETED, "w/dir/sub",
                          WF_CHANGE_DELETED, "w/dir/f", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/dir", 0));
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);

  /* Not ours any more: nothing of it is reported under its old path.  The
   * marker, made last, shows everything before it was seen. */
  touch_in (f, "out/dir/g");
  touch_in (f, "out/dir/sub/h");
  chmod_in (f, "out/dir/f", 0600);
  touch_in (f, "w/marker");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/marker", 0), NULL);
}

/* Renamed inside the tree: the old paths are gone for good (with all
 * below), the new ones arrive (with all below) and are watched. */
static void
test_tree_renamed_inside (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/old/sub");
  touch_in (f, "w/old/sub/f");
  notify = watch (f, "w");

  rename_in (f, "w/old", "w/new");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/old", WF_CHANGE_DELETED, "w/old/sub",
                          WF_CHANGE_DELETED, "w/old/sub/f", WF_CHANGE_ADDED, "w/new", WF_CHANGE_ADDED, "w/new/sub",
                          WF_CHANGE_ADDED, "w/new/sub/f", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/old", 0));

  touch_in (f, "w/new/sub/g");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/new/sub/g", 0), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
}

/* A directory moved from one subdirectory into another. */
static void
test_tree_moved_between_directories (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/a/tree/sub");
  touch_in (f, "w/a/tree/sub/f");
  mkdir_in (f, "w/b");
  notify = watch (f, "w");

  rename_in (f, "w/a/tree", "w/b/tree");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/a/tree", WF_CHANGE_DELETED, "w/a/tree/sub",
                          WF_CHANGE_DELETED, "w/a/tree/sub/f", WF_CHANGE_ADDED, "w/b/tree",
                          WF_CHANGE_ADDED, "w/b/tree/sub", WF_CHANGE_ADDED, "w/b/tree/sub/f", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/a/tree", 0));

  /* The old parent and the moved tree are both still watched. */
  touch_in (f, "w/b/tree/sub/g");
  touch_in (f, "w/a/h");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/b/tree/sub/g", WF_CHANGE_ADDED, "w/a/h", 0), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 5);
}

/* Roots [w/sub, w] or [w, w/sub]: one directory reached from two roots.
 * Moving sub within w leaves sub2 watched, whichever root owned it; the
 * root w/sub, gone, comes back when the path exists again. */
static void
test_overlapping_roots_subtree_moved (Fixture *f, gconstpointer data)
{
  gboolean sub_first = GPOINTER_TO_INT (data);
  g_autofree char *root = wf_test_fixture_path (f, "w");
  g_autofree char *sub = wf_test_fixture_path (f, "w/sub");
  const char *sub_then_root[] = { sub, root, NULL };
  const char *root_then_sub[] = { root, sub, NULL };
  WfTestOptions defaults = { 0 };
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/sub");
  touch_in (f, "w/sub/x");
  notify = watch_paths_with (f, sub_first ? sub_then_root : root_then_sub, &defaults);

  rename_in (f, "w/sub", "w/sub2");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/sub", WF_CHANGE_DELETED, "w/sub/x",
                          WF_CHANGE_ADDED, "w/sub2", WF_CHANGE_ADDED, "w/sub2/x", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/sub", 0));
  touch_in (f, "w/sub2/f");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/sub2/f", 0), NULL);

  mkdir_in (f, "w/sub");
  touch_in (f, "w/sub/y");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/sub", WF_CHANGE_ADDED, "w/sub/y", 0), NULL);
  touch_in (f, "w/sub/z");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/sub/z", 0), NULL);
}

/* Not recursive: the root's own entries, a new directory among them, and
 * nothing below. */
static void
test_non_recursive_directories (Fixture *f, gconstpointer data)
{
  WfTestOptions options = { .not_recursive = TRUE };
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/sub");
  notify = watch_with (f, "w", &options);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);

  place_in (f, "w/sub/grandchild", "1");
  mkdir_in (f, "w/newdir");
  touch_in (f, "w/newdir/grandchild");
  place_in (f, "w/direct", "2");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/direct", WF_CHANGE_ADDED, "w/newdir", 0), NULL);

  rm_rf_in (f, "w/sub");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w/sub", 0), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);
}

/* ---- symlinks and names --------------------------------------------------- */

/* Links that lead back up, and one to itself: each directory once, and
 * watching works. */
static void
test_symlink_loop (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  if (wf_test_skip_on_windows ("a symbolic link needs SeCreateSymbolicLinkPrivilege or developer mode, "
                               "and the kit there describes a link as itself, following none"))
    return;
  mkdir_in (f, "w/a");
  symlink_in (f, "..", "w/a/up");        /* back to the root */
  symlink_in (f, "self", "w/self");      /* ELOOP on stat() */
  notify = watch (f, "w");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  touch_in (f, "w/a/f");
  symlink_in (f, "nowhere", "w/dangling");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/a/f", WF_CHANGE_ADDED, "w/dangling", 0), NULL);

  remove_in (f, "w/self");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w/self", 0), NULL);
}

/* A second path into a directory of the tree (w/b -> a): what is made
 * there is a change of each path that reaches it. */
static void
test_symlink_alias (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  if (wf_test_skip_on_windows ("a symbolic link needs SeCreateSymbolicLinkPrivilege or developer mode, "
                               "and the kit there describes a link as itself, following none"))
    return;
  mkdir_in (f, "w/a");
  symlink_in (f, "a", "w/b");
  notify = watch (f, "w");

  touch_in (f, "w/a/f");
  /* Exception, inotify: the kernel keeps one watch per inode and an event
   * names the path it was added by, so a directory reached twice inside
   * the tree is reported under its real path only (the link is an alias;
   * DESIGN rule 6's visited set by device and inode).  poll lists it
   * through both paths. */
  if (is_backend (f, "inotify"))
    {
      assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/a/f", 0), NULL);
      return;
    }
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/a/f", WF_CHANGE_ADDED, "w/b/f", 0), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
}

/* A link to a file inside the tree.  Exception, poll and kqueue (by_diff):
 * the kit follows the link
 * (DESIGN rule 6), so the link's fingerprint is its target's and a write
 * to the target is a change of both names; when the target goes, the
 * link it followed is gone and a dangling link takes its place.  inotify
 * watches directories, not what links name, so it reports the target's
 * path only (the alias rule of test_symlink_alias). */
static void
test_symlink_to_file (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  if (wf_test_skip_on_windows ("a symbolic link needs SeCreateSymbolicLinkPrivilege or developer mode, "
                               "and the kit there describes a link as itself, following none"))
    return;
  place_in (f, "w/target", "one");
  symlink_in (f, "target", "w/link");
  notify = watch (f, "w");

  write_in (f, "w/target", "two, longer");
  if (by_diff (f))
    assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/target", WF_CHANGE_MODIFIED, "w/link", 0), NULL);
  else
    assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/target", 0), NULL);

  remove_in (f, "w/target");
  if (by_diff (f))
    assert_changes (notify,
                    expect (f, WF_CHANGE_DELETED, "w/target", WF_CHANGE_DELETED, "w/link", WF_CHANGE_ADDED, "w/link", 0),
                    NULL);
  else
    assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w/target", 0), NULL);
}

/* Followed by default: a directory outside, reached by a link, is watched
 * under the link's path; with following off, it is not. */
static void
test_symlinked_directory (Fixture *f, gconstpointer data)
{
  WfTestOptions not_followed = { .no_follow_symlinks = TRUE };
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(WfNotify) literal = NULL;

  if (wf_test_skip_on_windows ("a symbolic link needs SeCreateSymbolicLinkPrivilege or developer mode, "
                               "and the kit there describes a link as itself, following none"))
    return;
  mkdir_in (f, "w");
  mkdir_in (f, "target");
  symlink_in (f, "../target", "w/link");
  notify = watch (f, "w");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  literal = watch_with (f, "w", &not_followed);
  g_assert_cmpuint (wf_notify_get_watched_directories (literal), ==, 1);

  touch_in (f, "target/f");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/link/f", 0), NULL);
  assert_changes (literal, g_strdup (""), NULL);

  touch_in (f, "w/seen");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/seen", 0), NULL);
  assert_changes (literal, expect (f, WF_CHANGE_ADDED, "w/seen", 0), NULL);
}

/* Names that are not UTF-8 (DESIGN rule 7), for a directory and what it
 * holds: made, renamed, removed. */
static void
test_non_utf8_names (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  /* Latin-1 "café" and "naïve": not valid UTF-8. */
  const char *dir = "w/caf\xe9";
  const char *file = "w/caf\xe9/\xe9t\xe9";
  const char *renamed = "w/na\xefve";
  const char *renamed_file = "w/na\xefve/\xe9t\xe9";
  g_autofree char *added = NULL;

  if (wf_test_skip_on_windows ("names are UTF-16 there: bytes that are not UTF-8 cannot be a name "
                               "(unpaired surrogates, the one case, are test-w32-parse's)"))
    return;
  mkdir_in (f, "w");
  notify = watch (f, "w");

  mkdir_in (f, dir);
  touch_in (f, file);
  added = expect (f, WF_CHANGE_ADDED, dir, WF_CHANGE_ADDED, file, 0);
  g_assert_false (g_utf8_validate (added, -1, NULL));
  assert_changes (notify, g_steal_pointer (&added), NULL);

  rename_in (f, dir, renamed);
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, dir, WF_CHANGE_DELETED, file, WF_CHANGE_ADDED, renamed,
                          WF_CHANGE_ADDED, renamed_file, 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, dir, 0));

  write_in (f, renamed_file, "x");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, renamed_file, 0), NULL);

  rm_rf_in (f, renamed);
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, renamed, WF_CHANGE_DELETED, renamed_file, 0), NULL);
}

/* A relative root: RustNotify reports inotify's paths made absolute
 * ("/cwd/w/x", notify's inotify watcher does that) and poll's as given
 * ("w/x", its PollWatcher keeps them), and we keep its observable
 * behaviour (spec 1.3): the one difference of form the contract asks for. */
static void
test_relative_root (Fixture *f, gconstpointer data)
{
  g_autofree char *old_cwd = g_get_current_dir ();
  const char *paths[] = { "w", NULL };
  WfTestOptions defaults = { 0 };
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *seen = NULL;

  mkdir_in (f, "w");
  g_assert_no_errno (g_chdir (f->tmpdir));
  notify = watch_paths_with (f, paths, &defaults);
  wf_test_touch ("w/x");
  if (is_backend (f, "poll"))
    expected = g_strdup_printf ("%d:w/x", WF_CHANGE_ADDED);
  else
    expected = g_strdup_printf ("%d:%s/w/x", WF_CHANGE_ADDED, f->tmpdir);
  seen = wf_test_collect_apart_from (notify, expected, NULL);
  g_assert_no_errno (g_chdir (old_cwd));
  g_assert_cmpstr (seen, ==, expected);
}

/* Directories made by mkdirat() deeper than PATH_MAX bytes of path:
 * watched all the same, and what happens at the bottom is reported. */
#define DEEP_LEVELS 25

static void
test_deeper_than_path_max (Fixture *f, gconstpointer data)
{
#ifdef G_OS_WIN32
  /* No openat family there; a path past MAX_PATH is a \\?\ one, which
   * tests/win32/test-w32-os.c watches. */
  g_test_skip ("Windows: no mkdirat/openat to build a tree deeper than the path limit");
#else
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *root = wf_test_fixture_path (f, "w");
  g_autoptr(GString) path = g_string_new (root);
  g_autofree char *expected = g_strdup ("");
  char names[DEEP_LEVELS][201];
  int fds[DEEP_LEVELS + 1];

  wf_test_mkdir (root);
  notify = watch (f, "w");
  fds[0] = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (fds[0], >=, 0);
  for (guint i = 0; i < DEEP_LEVELS; i++)
    {
      memset (names[i], 'x', 200);
      names[i][200] = '\0';
      names[i][0] = (char) ('a' + i);
      g_assert_no_errno (mkdirat (fds[i], names[i], 0755));
      fds[i + 1] = openat (fds[i], names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      g_assert_cmpint (fds[i + 1], >=, 0);
      g_string_append_printf (path, "/%s", names[i]);
      expected = wf_test_union (expected, g_strdup_printf ("%d:%s", WF_CHANGE_ADDED, path->str));
    }
  g_assert_cmpuint (path->len, >, PATH_MAX);
  close (openat (fds[DEEP_LEVELS], "leaf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  expected = wf_test_union (expected, g_strdup_printf ("%d:%s/leaf", WF_CHANGE_ADDED, path->str));
  assert_changes (notify, g_steal_pointer (&expected), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, DEEP_LEVELS + 1);

  g_assert_no_errno (unlinkat (fds[DEEP_LEVELS], "leaf", 0));
  assert_changes (notify, g_strdup_printf ("%d:%s/leaf", WF_CHANGE_DELETED, path->str), NULL);

  /* Paths too long for the fixture's cleanup. */
  for (guint i = DEEP_LEVELS; i > 0; i--)
    {
      close (fds[i]);
      g_assert_no_errno (unlinkat (fds[i - 1], names[i - 1], AT_REMOVEDIR));
    }
  close (fds[0]);
#endif
}

/* ---- roots come and go (DESIGN rule 4) ------------------------------------ */

static void
test_root_deleted_and_recreated (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/sub");
  write_in (f, "w/f", "1");
  write_in (f, "w/sub/g", "2");
  notify = watch (f, "w");

  rm_rf_in (f, "w");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w", WF_CHANGE_DELETED, "w/f", WF_CHANGE_DELETED, "w/sub",
                          WF_CHANGE_DELETED, "w/sub/g", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 0);

  /* The same race as for a new directory: entries made right after mkdir. */
  mkdir_in (f, "w/new");
  touch_in (f, "w/new/h");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w", WF_CHANGE_ADDED, "w/new", WF_CHANGE_ADDED, "w/new/h", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  /* Watched again as before, not just reported once. */
  write_in (f, "w/new/h", "changed");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/new/h", 0), NULL);
}

static void
test_root_moved_away_and_back (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w");
  touch_in (f, "w/f");
  notify = watch (f, "w");

  rename_in (f, "w", "away");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w", WF_CHANGE_DELETED, "w/f", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w", 0));

  /* Not ours while away: what happens there is only seen as its state
   * when it is back. */
  chmod_in (f, "away/f", 0600);
  touch_in (f, "away/x");
  rename_in (f, "away", "w");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w", WF_CHANGE_ADDED, "w/f", WF_CHANGE_ADDED, "w/x", 0), NULL);

  touch_in (f, "w/later");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/later", 0), NULL);
}

/* The root's parent goes too: the wait climbs above it, and comes down as
 * the path is made again. */
static void
test_root_parent_removed (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "p/w");
  touch_in (f, "p/w/f");
  notify = watch (f, "p/w");

  rm_rf_in (f, "p");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "p/w", WF_CHANGE_DELETED, "p/w/f", 0), NULL);

  mkdir_in (f, "p");
  touch_in (f, "p/beside");
  mkdir_in (f, "p/w");
  touch_in (f, "p/w/x");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "p/w", WF_CHANGE_ADDED, "p/w/x", 0), NULL);
  touch_in (f, "p/w/y");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "p/w/y", 0), NULL);
}

/* A single file as the root: changed, deleted, made again. */
static void
test_file_root_deleted_and_recreated (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  write_in (f, "only", "1");
  write_in (f, "sibling", "1");
  notify = watch (f, "only");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 0);

  write_in (f, "only", "changed");
  write_in (f, "sibling", "not watched");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "only", 0), NULL);

  remove_in (f, "only");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "only", 0),
                  /* inotify watches the file itself, and the kernel says its
                   * link count changed (IN_ATTRIB) before it is gone; RustNotify
                   * reports that too.  Poll finds it gone, nothing between. */
                  may_on (f, "inotify", WF_CHANGE_MODIFIED, "only", 0));

  place_in (f, "only", "back");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "only", 0), NULL);
  write_in (f, "only", "changed again");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "only", 0), NULL);
}

/* An editor's atomic save of the file that is the root: a temporary file
 * renamed over it, each time a change of the root, which stays watched. */
static void
test_file_root_atomic_save (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;

  write_in (f, "f", "version 0");
  notify = watch (f, "f");

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *contents = g_strdup_printf ("version %u", i);

      write_in (f, ".f.swp", contents);
      rename_in (f, ".f.swp", "f");
      assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "f", 0), NULL);
    }
  write_in (f, "f", "plain write");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "f", 0), NULL);
}

/* ---- permissions (DESIGN rule 8), where a mode of 000 bites ------------------ */

/* Run in a user namespace (see wf_test_run_in_user_namespace), so they
 * hold as root too. */
#define UNPRIVILEGED(name) \
  static const char *name##_unprivileged (Fixture *f, gconstpointer data); \
  static void name (Fixture *f, gconstpointer data) \
  { \
    wf_test_run_in_user_namespace (f, data, name##_unprivileged); \
  } \
  static const char *name##_unprivileged (Fixture *f, gconstpointer data)

/* Windows: g_chmod() there sets or clears FILE_ATTRIBUTE_READONLY and
 * nothing else; a mode of 0 denies its owner nothing (that would take an
 * ACL), so the scenarios where a mode of 000 bites cannot be expressed. */
#ifdef G_OS_WIN32
#define SKIP_ON_WINDOWS_MODE_0() \
  return "Windows: a mode of 0 denies nothing there (only FILE_ATTRIBUTE_READONLY is set)"
#else
#define SKIP_ON_WINDOWS_MODE_0() do { } while (0)
#endif

/* An unreadable directory at the start: fatal unless permission errors are
 * ignored; then the rest is watched, one appearing later is reported once
 * (added, never again while it stays unreadable), and each is read once it
 * can be. */
UNPRIVILEGED (test_unreadable_directory)
{
  SKIP_ON_WINDOWS_MODE_0 ();
  WfTestOptions ignoring = { .ignore_permission_denied = TRUE };
  WfTestOptions defaults = { 0 };
  g_autofree char *root = wf_test_fixture_path (f, "w");
  g_autofree char *locked = wf_test_fixture_path (f, "w/locked");
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  WfNotify *notify;

  mkdir_in (f, "w/locked/inside");
  touch_in (f, "w/locked/secret");
  mkdir_in (f, "w/open");
  chmod_in (f, "w/locked", 0);

  notify = wf_test_notify_new_with_options (f->backend, paths, &defaults, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, locked));
  g_assert_null (notify);
  g_clear_error (&error);

  notify = watch_with (f, "w", &ignoring);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 1);

  touch_in (f, "w/open/after");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/open/after", 0), NULL);

  /* Made unreadable: reported once, and watching goes on. */
  {
    g_autofree char *later = wf_test_fixture_path (f, "w/later");

    g_assert_no_errno (g_mkdir (later, 0));
  }
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/later", 0), NULL);
  touch_in (f, "w/open/control");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/open/control", 0), NULL);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 2);

  /* Readable: a change of its mode, and what it holds is new. */
  chmod_in (f, "w/locked", 0755);
  assert_changes (notify,
                  expect (f, WF_CHANGE_MODIFIED, "w/locked", WF_CHANGE_ADDED, "w/locked/inside",
                          WF_CHANGE_ADDED, "w/locked/secret", 0),
                  NULL);
  touch_in (f, "w/locked/inside/new");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/locked/inside/new", 0), NULL);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 1);

  g_object_unref (notify);
  return NULL;
}

/* A watched directory made unreadable: its mode changed, nothing in it is
 * reported deleted, the rest goes on; readable again, nothing new. */
UNPRIVILEGED (test_directory_made_unreadable)
{
  SKIP_ON_WINDOWS_MODE_0 ();
  WfNotify *notify;

  mkdir_in (f, "w/d");
  write_in (f, "w/d/inside", "1");
  write_in (f, "w/other", "2");
  notify = watch (f, "w");

  chmod_in (f, "w/d", 0);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/d", 0), NULL);
  write_in (f, "w/other", "changed");
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/other", 0), NULL);

  chmod_in (f, "w/d", 0755);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/d", 0), NULL);
  touch_in (f, "w/d/new");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/d/new", 0), NULL);

  g_object_unref (notify);
  return NULL;
}

/* An unreadable root: fatal unless permission errors are ignored; then it
 * is read once it can be. */
UNPRIVILEGED (test_unreadable_root)
{
  SKIP_ON_WINDOWS_MODE_0 ();
  WfTestOptions ignoring = { .ignore_permission_denied = TRUE };
  WfTestOptions defaults = { 0 };
  g_autofree char *root = wf_test_fixture_path (f, "w");
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  WfNotify *notify;

  mkdir_in (f, "w");
  touch_in (f, "w/f");
  chmod_in (f, "w", 0);

  notify = wf_test_notify_new_with_options (f->backend, paths, &defaults, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  notify = watch_with (f, "w", &ignoring);
  chmod_in (f, "w", 0755);
  assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w", WF_CHANGE_ADDED, "w/f", 0), NULL);
  touch_in (f, "w/g");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/g", 0), NULL);
  g_object_unref (notify);
  return NULL;
}

/* A root back unreadable is waited for until it can be read. */
UNPRIVILEGED (test_root_back_unreadable)
{
  SKIP_ON_WINDOWS_MODE_0 ();
  g_autofree char *root = wf_test_fixture_path (f, "w");
  g_autofree char *marker_root = wf_test_fixture_path (f, "m");
  const char *paths[] = { root, marker_root, NULL };
  WfTestOptions defaults = { 0 };
  WfNotify *notify;

  mkdir_in (f, "w");
  mkdir_in (f, "m");
  notify = watch_paths_with (f, paths, &defaults);

  remove_in (f, "w");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w", 0), NULL);

  /* Back, but unreadable.  The marker, made after it, shows the backend
   * has been through that. */
  g_assert_no_errno (g_mkdir (root, 0));
  touch_in (f, "m/seen");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "m/seen", 0),
                  /* Poll and kqueue (the kit's diff) see the root itself
                   * back (they can stat it), and say so; inotify waits until
                   * it can watch it.  Either way it is reported added once,
                   * here or below. */
                  may_by_diff (f, WF_CHANGE_ADDED, "w", 0));

  chmod_in (f, "w", 0755);
  touch_in (f, "w/f");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/f", 0),
                  wf_test_union (expect (f, WF_CHANGE_ADDED, "w", 0),
                                 may_by_diff (f, WF_CHANGE_MODIFIED, "w", 0)));
  touch_in (f, "w/g");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/g", 0), NULL);

  g_object_unref (notify);
  return NULL;
}

/* ---- ignore rules (DESIGN rule 5) ------------------------------------------- */

/* Whatever happens in an ignored directory (made, written, moved in,
 * renamed inside, removed) is never reported; a directory renamed to an
 * ignored name leaves (with all below), one renamed from an ignored name
 * arrives (with all below). */
static void
test_ignored_directory (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w/src");
  touch_in (f, "w/src/main.c");
  mkdir_in (f, "out/.git/objects");
  notify = watch_with_rules (f, "w", rules);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  mkdir_in (f, "w/node_modules/pkg/lib");
  touch_in (f, "w/node_modules/pkg/lib/index.js");
  write_in (f, "w/node_modules/pkg/lib/index.js", "changed");
  rename_in (f, "w/node_modules/pkg", "w/node_modules/pkg2");
  rename_in (f, "out/.git", "w/src/.git");
  touch_in (f, "w/src/.git/objects/ab");
  mkdir_in (f, "w/src/__pycache__");
  touch_in (f, "w/src/__pycache__/m.pyc");
  rm_rf_in (f, "w/src/__pycache__");
  touch_in (f, "w/src/control");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/src/control", 0), NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  /* Out of view, and back into it. */
  rename_in (f, "w/src", "w/node_modules/src");
  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w/src", WF_CHANGE_DELETED, "w/src/main.c",
                          WF_CHANGE_DELETED, "w/src/control", 0),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/src", 0));
  rename_in (f, "w/node_modules", "w/lib");
  assert_changes (notify,
                  expect (f, WF_CHANGE_ADDED, "w/lib", WF_CHANGE_ADDED, "w/lib/pkg2", WF_CHANGE_ADDED, "w/lib/pkg2/lib",
                          WF_CHANGE_ADDED, "w/lib/pkg2/lib/index.js", WF_CHANGE_ADDED, "w/lib/src",
                          WF_CHANGE_ADDED, "w/lib/src/main.c", WF_CHANGE_ADDED, "w/lib/src/control", 0),
                  NULL);
  /* Its ignored parts stay out. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 5);
  touch_in (f, "w/lib/src/.git/objects/cd");
  touch_in (f, "w/lib/src/new");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/lib/src/new", 0), NULL);
}

/* Directories of a project; with the default rules only "src", "src/a"
 * and "src/b" (and the root) are watched. */
static void
make_project (Fixture *f, const char *root)
{
  static const char *const dirs[] = {
    "src/a", "src/b", "node_modules/p1/lib", "node_modules/p2/lib/deep", "node_modules/p3",
    ".git/objects/ab", ".git/refs/heads", "src/node_modules/x/y", "src/__pycache__",
  };
  static const char *const files[] = {
    "src/a/main.c", "src/m.pyc", "src/__pycache__/m.cpython-311.pyc",
    "node_modules/p1/lib/index.js", "node_modules/p3/package.json", ".git/HEAD",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (root, dirs[i], NULL);

      mkdir_in (f, dir);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *file = g_build_filename (root, files[i], NULL);

      write_in (f, file, "original\n");
    }
}

/* A project moved in: reported and watched, all but its ignored parts. */
static void
test_ignored_parts_of_tree_moved_in (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "w");
  make_project (f, "out/proj");
  notify = watch_with_rules (f, "w", rules);

  rename_in (f, "out/proj", "w/proj");
  assert_changes (notify,
                  expect (f, WF_CHANGE_ADDED, "w/proj", WF_CHANGE_ADDED, "w/proj/src", WF_CHANGE_ADDED, "w/proj/src/a",
                          WF_CHANGE_ADDED, "w/proj/src/a/main.c", WF_CHANGE_ADDED, "w/proj/src/b", 0),
                  NULL);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 5);

  touch_in (f, "w/proj/node_modules/p3/new.js");
  touch_in (f, "w/proj/control");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/proj/control", 0), NULL);
}

/* A root is watched whatever its name; its own ignored entries are not. */
static void
test_ignore_root_of_ignored_name (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(WfNotify) notify = NULL;

  mkdir_in (f, "node_modules/pkg/node_modules/dep");
  notify = watch_with_rules (f, "node_modules", rules);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);

  touch_in (f, "node_modules/pkg/node_modules/dep/index.js");
  touch_in (f, "node_modules/pkg/index.js");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "node_modules/pkg/index.js", 0), NULL);
}

/* Custom rules (wf_test_custom_rules): a directory name, a path glob, a
 * name glob, a pattern and a prefix each keep their directory out. */
static void
test_ignore_custom_rules (Fixture *f, gconstpointer data)
{
  static const char *const dirs[] = {
    "w/keep/sub", "w/build/obj", "w/web/dist/js", "w/logs.d/old", "w/vendor/lib", "w/tmp9/x",
  };
  g_autofree char *vendor = wf_test_fixture_path (f, "w/vendor");
  g_autoptr(WfIgnoreRules) rules = wf_test_custom_rules (vendor);
  g_autoptr(WfNotify) notify = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    mkdir_in (f, dirs[i]);
  notify = watch_with_rules (f, "w", rules);
  /* w, keep, keep/sub, web. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 4);

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/new", dirs[i]);

      touch_in (f, file);
    }
  touch_in (f, "w/web/new");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/keep/sub/new", WF_CHANGE_ADDED, "w/web/new", 0), NULL);
}

/* An ignored directory that cannot be read is never tried: no error, even
 * without ignore_permission_denied, and nothing unwatched. */
UNPRIVILEGED (test_ignore_unreadable)
{
  SKIP_ON_WINDOWS_MODE_0 ();
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autofree char *root = wf_test_fixture_path (f, "w");
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  WfTestOptions no_rules = { 0 };
  WfNotify *notify;

  mkdir_in (f, "w/.git/objects");
  mkdir_in (f, "w/src");
  chmod_in (f, "w/.git", 0);

  /* Without rules it fails: the test can. */
  notify = wf_test_notify_new_with_options (f->backend, paths, &no_rules, &error);
  wf_test_assert_refused (notify, &error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  notify = watch_with_rules (f, "w", rules);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 2);
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_unwatched), ==, 0);
  touch_in (f, "w/src/control");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/src/control", 0), NULL);

  g_object_unref (notify);
  return NULL;
}

/* ---- lost events (DESIGN rule 2) -------------------------------------------- */

/* Where the backend has a kernel queue, it is made to overflow during the
 * changes (wf_test_overflow_*: a 16-event queue and a reader that cannot
 * run), so the backend must resync from the tree.  Poll has no queue: it
 * meets the same changes with its ordinary scans, which are what a resync
 * is, and must find the same difference. */
static gboolean
backend_has_queue (Fixture *f)
{
  return is_backend (f, "inotify");
}

typedef struct {
  WfTestOverflow overflow;
  gboolean forced;
} LostEvents;

/* FALSE when the scenario cannot run here (skipped, with the reason). */
static gboolean
lost_events_begin (LostEvents *lost, Fixture *f, const char *relative_root, WfNotify **notify)
{
  g_autofree char *root = wf_test_fixture_path (f, relative_root);
  const char *paths[] = { root, NULL };

  lost->forced = backend_has_queue (f);
  if (!lost->forced)
    {
      *notify = watch (f, relative_root);
      return TRUE;
    }
  return wf_test_overflow_begin (&lost->overflow, f->backend, paths, NULL, notify);
}

static void
lost_events_burst_begin (LostEvents *lost)
{
  if (lost->forced)
    wf_test_overflow_burst_begin (&lost->overflow);
}

static void
lost_events_end (LostEvents *lost)
{
  if (lost->forced)
    wf_test_overflow_end (&lost->overflow);
}

static void
lost_events_assert_resynced (LostEvents *lost, WfNotify *notify)
{
  if (lost->forced)
    wf_test_overflow_assert_resynced (&lost->overflow, notify);
}

/* What a resync reports is the difference between the tree known and the
 * tree found: deletions (with what a deleted directory held), new trees,
 * renames, and metadata changes, all made while the events were lost. */
static void
test_lost_events_differences (Fixture *f, gconstpointer data)
{
  static const char *const dirs[] = { "w/keep", "w/gone", "w/old" };
  static const char *const files[] = { "w/keep/k1", "w/gone/g1", "w/old/o1", "w/chm", "w/del", "w/noise1", "w/noise2" };
  g_autoptr(WfNotify) notify = NULL;
  LostEvents lost = { 0 };

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    mkdir_in (f, dirs[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    touch_in (f, files[i]);
  if (!lost_events_begin (&lost, f, "w", &notify))
    return;

  /* A complete read, well after the setup, after which every change is
   * news.  A resync calls "modified" whatever changed at or after the
   * start of the last complete read, judged by ctime, which may run a clock
   * tick ahead of that start: a change made in the same tick just before
   * it can be reported again, never one after it missed.  So the last read
   * before the burst comes a round after the setup, and is about a change
   * expected again anyway. */
  for (guint round = 0; round < 2; round++)
    {
      /* Read-only, then not: Windows keeps that bit of a mode. */
      chmod_in (f, "w/noise1", round == 0 ? 0400 : 0600);
      assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/noise1", 0), NULL);
    }

  lost_events_burst_begin (&lost);
  {
    g_autofree char *noise1 = wf_test_fixture_path (f, "w/noise1");
    g_autofree char *noise2 = wf_test_fixture_path (f, "w/noise2");

    wf_test_overflow_noise (noise1, noise2);
  }
  remove_in (f, "w/del");
  remove_in (f, "w/gone/g1");
  remove_in (f, "w/gone");
  mkdir_in (f, "w/new/sub");
  touch_in (f, "w/new/sub/n1");
  rename_in (f, "w/old", "w/renamed");
  chmod_in (f, "w/chm", 0400);
  lost_events_end (&lost);

  /* Windows: the noise's modes all leave a file writable, the one bit
   * of a mode there, so it changes nothing a backend there can see. */
  assert_changes (notify,
                  wf_test_union (unless_on_windows (f, WF_CHANGE_MODIFIED, "w/noise1", WF_CHANGE_MODIFIED, "w/noise2", 0),
                  expect (f, WF_CHANGE_DELETED, "w/del", WF_CHANGE_DELETED, "w/gone", WF_CHANGE_DELETED, "w/gone/g1",
                          WF_CHANGE_ADDED, "w/new", WF_CHANGE_ADDED, "w/new/sub", WF_CHANGE_ADDED, "w/new/sub/n1",
                          WF_CHANGE_DELETED, "w/old", WF_CHANGE_DELETED, "w/old/o1", WF_CHANGE_ADDED, "w/renamed",
                          WF_CHANGE_ADDED, "w/renamed/o1", WF_CHANGE_MODIFIED, "w/chm", 0)),
                  poll_may_see_rename_ctime (f, WF_CHANGE_MODIFIED, "w/old", 0));
  lost_events_assert_resynced (&lost, notify);

  /* The fresh tree is watched: the new and the renamed directories. */
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 5);
  touch_in (f, "w/renamed/late");
  touch_in (f, "w/new/sub/late");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/renamed/late", WF_CHANGE_ADDED, "w/new/sub/late", 0), NULL);
}

/* The root itself goes while events are lost: reported gone with what it
 * held, and waited for like any root that goes. */
static void
test_lost_events_root_gone (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  LostEvents lost = { 0 };

  mkdir_in (f, "w");
  touch_in (f, "w/noise1");
  touch_in (f, "w/noise2");
  if (!lost_events_begin (&lost, f, "w", &notify))
    return;

  lost_events_burst_begin (&lost);
  {
    g_autofree char *noise1 = wf_test_fixture_path (f, "w/noise1");
    g_autofree char *noise2 = wf_test_fixture_path (f, "w/noise2");

    wf_test_overflow_noise (noise1, noise2);
  }
  remove_in (f, "w/noise1");
  remove_in (f, "w/noise2");
  remove_in (f, "w");
  lost_events_end (&lost);

  assert_changes (notify,
                  expect (f, WF_CHANGE_DELETED, "w", WF_CHANGE_DELETED, "w/noise1", WF_CHANGE_DELETED, "w/noise2", 0),
                  /* The mode changes that were read (inotify: those queued
                   * before the overflow; poll: those a scan met) are real. */
                  expect (f, WF_CHANGE_MODIFIED, "w/noise1", WF_CHANGE_MODIFIED, "w/noise2", 0));
  lost_events_assert_resynced (&lost, notify);

  mkdir_in (f, "w");
  touch_in (f, "w/back");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w", WF_CHANGE_ADDED, "w/back", 0), NULL);
}

/* ---- watch limit (DESIGN rule 3) ----------------------------------------------- */

/* w, keep, spare, spare/inner fill a limit of 4 inotify watches; the
 * namespace's own limit is lowered, the machine's stays.  The limit means
 * nothing to poll, which meets the same changes the same way. */
#define RUN_TIME_WATCH_LIMIT "4\n"

/* Backends that spend a kernel resource per directory: inotify watches;
 * kqueue descriptors, and with libkqueue (Linux) an inotify instance per
 * knote, whose namespace limit the test lowers (on a BSD that write fails
 * and the case says so). */
static gboolean
backend_has_watch_limit (Fixture *f)
{
  return is_backend (f, "inotify") || is_backend (f, "kqueue");
}

static const char *
watch_limit_sysctl (Fixture *f)
{
  return is_backend (f, "kqueue") ? "/proc/sys/user/max_inotify_instances" : "/proc/sys/user/max_inotify_watches";
}

/* A directory made past the watch limit is polled (DESIGN rule 3): every
 * change in it is reported, each append to a file one by one, until
 * watches free up and it is watched. */
UNPRIVILEGED (test_watch_limit_degradation)
{
  WfNotify *notify;

  mkdir_in (f, "w/keep");
  mkdir_in (f, "w/spare/inner");
  if (!wf_test_write_sysctl (watch_limit_sysctl (f), RUN_TIME_WATCH_LIMIT) && backend_has_watch_limit (f))
    return "cannot lower the namespace's inotify watch (libkqueue: instance) limit";
  notify = watch (f, "w");

  mkdir_in (f, "w/new");
  touch_in (f, "w/new/log");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/new", WF_CHANGE_ADDED, "w/new/log", 0), NULL);
  /* So that what follows is the polled path where there is a limit. */
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_polled_directories), ==, backend_has_watch_limit (f) ? 1 : 0);

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *log = wf_test_fixture_path (f, "w/new/log");
      FILE *file = fopen (log, "a");

      g_assert_nonnull (file);
      g_assert_cmpint (fprintf (file, "line %u\n", i), >, 0);
      g_assert_cmpint (fclose (file), ==, 0);
      assert_changes (notify, expect (f, WF_CHANGE_MODIFIED, "w/new/log", 0), NULL);
    }

  touch_in (f, "w/new/created");
  mkdir_in (f, "w/new/sub");
  touch_in (f, "w/new/sub/deep");
  chmod_in (f, "w/new/log", 0400);
  assert_changes (notify,
                  expect (f, WF_CHANGE_ADDED, "w/new/created", WF_CHANGE_ADDED, "w/new/sub",
                          WF_CHANGE_ADDED, "w/new/sub/deep", WF_CHANGE_MODIFIED, "w/new/log", 0),
                  NULL);
  rm_rf_in (f, "w/new/sub");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w/new/sub", WF_CHANGE_DELETED, "w/new/sub/deep", 0), NULL);

  /* Watches free up: new is watched again, as quietly as it was polled. */
  rm_rf_in (f, "w/spare");
  assert_changes (notify, expect (f, WF_CHANGE_DELETED, "w/spare", WF_CHANGE_DELETED, "w/spare/inner", 0), NULL);
  wf_test_await_status (notify, wf_status_get_n_polled_directories, 0);
  touch_in (f, "w/new/after");
  assert_changes (notify, expect (f, WF_CHANGE_ADDED, "w/new/after", 0), NULL);

  g_object_unref (notify);
  return NULL;
}

/* A tree larger than the watch limit at the start: with the default
 * policy the watcher starts all the same (DESIGN rule 3), and every append
 * to every file is reported, round after round, wherever it is watched or
 * polled. */
#define START_DIRECTORIES 8
#define START_WATCH_LIMIT "4\n"

UNPRIVILEGED (test_watch_limit_at_start)
{
  g_autofree char *expected = g_strdup ("");
  WfNotify *notify;

  for (guint i = 0; i < START_DIRECTORIES; i++)
    {
      g_autofree char *log = g_strdup_printf ("w/d%u/log", i);

      write_in (f, log, "start\n");
      expected = wf_test_union (expected, expect (f, WF_CHANGE_MODIFIED, log, 0));
    }
  if (!wf_test_write_sysctl (watch_limit_sysctl (f), START_WATCH_LIMIT) && backend_has_watch_limit (f))
    return "cannot lower the namespace's inotify watch (libkqueue: instance) limit";
  notify = watch (f, "w");
  /* The root and three more watched, five polled, where there is a limit. */
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_polled_directories), ==,
                    backend_has_watch_limit (f) ? START_DIRECTORIES + 1 - 4 : 0);

  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < START_DIRECTORIES; i++)
        {
          g_autofree char *log = g_strdup_printf ("%s/w/d%u/log", f->tmpdir, i);
          FILE *file = fopen (log, "a");

          g_assert_nonnull (file);
          g_assert_cmpint (fprintf (file, "round %u\n", round), >, 0);
          g_assert_cmpint (fclose (file), ==, 0);
        }
      assert_changes (notify, g_strdup (expected), NULL);
    }

  g_object_unref (notify);
  return NULL;
}

/* ---------------------------------------------------------------------------- */

typedef void (*ScenarioFunc) (Fixture *f, gconstpointer data);

/* Scenarios with a variant take it as their data; the backend comes with
 * the fixture. */
static const struct {
  const char *name;
  ScenarioFunc func;
  gconstpointer variant;
} scenarios[] = {
  { "file-lifecycle", test_file_lifecycle, NULL },
  { "directory-lifecycle", test_directory_lifecycle, NULL },
  { "directory-touched", test_directory_touched, NULL },
  { "directory-between-scans", test_directory_between_scans, NULL },
  { "new-directory-race", test_new_directory_race, NULL },
  { "directory-deleted-recursively", test_directory_deleted_recursively, NULL },
  { "file-replaced-by-directory", test_file_replaced_by_directory, NULL },
  { "file-replaced-by-rename", test_file_replaced_by_rename, NULL },
  { "directory-renamed-over-empty-directory", test_directory_renamed_over_empty_directory, NULL },
  { "tree-moved-in", test_tree_moved_in, NULL },
  { "tree-moved-out", test_tree_moved_out, NULL },
  { "tree-renamed-inside", test_tree_renamed_inside, NULL },
  { "tree-moved-between-directories", test_tree_moved_between_directories, NULL },
  { "overlapping-roots-subtree-moved/sub-first", test_overlapping_roots_subtree_moved, GINT_TO_POINTER (TRUE) },
  { "overlapping-roots-subtree-moved/root-first", test_overlapping_roots_subtree_moved, GINT_TO_POINTER (FALSE) },
  { "non-recursive-directories", test_non_recursive_directories, NULL },
  { "symlink-loop", test_symlink_loop, NULL },
  { "symlink-alias", test_symlink_alias, NULL },
  { "symlink-to-file", test_symlink_to_file, NULL },
  { "symlinked-directory", test_symlinked_directory, NULL },
  { "non-utf8-names", test_non_utf8_names, NULL },
  { "relative-root", test_relative_root, NULL },
  { "deeper-than-path-max", test_deeper_than_path_max, NULL },
  { "root-deleted-and-recreated", test_root_deleted_and_recreated, NULL },
  { "root-moved-away-and-back", test_root_moved_away_and_back, NULL },
  { "root-parent-removed", test_root_parent_removed, NULL },
  { "file-root-deleted-and-recreated", test_file_root_deleted_and_recreated, NULL },
  { "file-root-atomic-save", test_file_root_atomic_save, NULL },
  { "unreadable-directory", test_unreadable_directory, NULL },
  { "directory-made-unreadable", test_directory_made_unreadable, NULL },
  { "unreadable-root", test_unreadable_root, NULL },
  { "root-back-unreadable", test_root_back_unreadable, NULL },
  { "ignore/ignored-directory", test_ignored_directory, NULL },
  { "ignore/tree-moved-in", test_ignored_parts_of_tree_moved_in, NULL },
  { "ignore/root-of-ignored-name", test_ignore_root_of_ignored_name, NULL },
  { "ignore/custom-rules", test_ignore_custom_rules, NULL },
  { "ignore/unreadable", test_ignore_unreadable, NULL },
  { "lost-events/differences", test_lost_events_differences, NULL },
  { "lost-events/root-gone", test_lost_events_root_gone, NULL },
  { "watch-limit-degradation", test_watch_limit_degradation, NULL },
  { "watch-limit-at-start", test_watch_limit_at_start, NULL },
};

/* A scenario's registration: its backend and its variant. */
typedef struct {
  const char *backend;
  ScenarioFunc func;
  gconstpointer variant;
} Case;

static void
case_set_up (Fixture *f, gconstpointer data)
{
  const Case *c = data;

  wf_test_backend_fixture_set_up (f, c->backend);
}

static void
case_run (Fixture *f, gconstpointer data)
{
  const Case *c = data;

  c->func (f, c->variant);
}

static void
backend_unavailable (gconstpointer data)
{
  g_test_skip (wf_test_backend_unavailable (data));
}

int
main (int argc, char **argv)
{
  const char *const *names = wf_test_backend_names ();
  g_autofree Case *cases = g_new0 (Case, g_strv_length ((char **) names) * G_N_ELEMENTS (scenarios));
  guint n_cases = 0;

  g_test_init (&argc, &argv, NULL);

  for (guint b = 0; names[b] != NULL; b++)
    {
      if (wf_test_backend_unavailable (names[b]) != NULL)
        {
          /* Said, not silent: the whole backend is missing here. */
          g_autofree char *path = g_strdup_printf ("/matrix/%s/unavailable", names[b]);

          g_test_add_data_func (path, names[b], backend_unavailable);
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
        {
          g_autofree char *path = g_strdup_printf ("/matrix/%s/%s", names[b], scenarios[i].name);
          Case *c = &cases[n_cases++];

          c->backend = names[b];
          c->func = scenarios[i].func;
          c->variant = scenarios[i].variant;
          g_test_add (path, Fixture, c, case_set_up, case_run, wf_test_fixture_tear_down);
        }
    }

  return g_test_run ();
}
