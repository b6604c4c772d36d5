/* SPDX-License-Identifier: MIT */
/* test-poll-backend.c: what only the poll backend promises, through the
 * public WfNotify API with polling forced: nanosecond fingerprints (same
 * second writes), its description, a delay honoured and a zero delay that
 * does not spin, and ignored trees that are never listed nor stat'ed.
 * What every backend does is in the scenario matrix (test-scenarios.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wf-test-util.h"

#define TEST_POLL_DELAY_MS 20

typedef WfTestFixture Fixture;

static WfNotify *
poll_notify_new_ok (Fixture *fixture, const char *relative_root)
{
  g_autofree char *root = wf_test_fixture_path (fixture, relative_root);
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  WfNotify *notify = wf_test_notify_new ("poll", paths, TRUE, FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");
  return notify;
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

/* Makes a new file appear with its contents at once: a scan could see a
 * file created then written empty first. */
#define create_file wf_test_fixture_place
#define write_file  wf_test_fixture_write
#define make_dir    wf_test_fixture_mkdir
#define change_mode wf_test_fixture_chmod
#define remove_tree wf_test_fixture_rm_rf

static void
test_same_second_write (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *path = wf_test_fixture_path (fixture, "w/a");
  g_autofree char *expected = NULL;
  struct timespec times[2];
  struct stat before, after;

  write_file (fixture, "w/a", "1111");
  notify = poll_notify_new_ok (fixture, "w");
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
test_describe (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *description = NULL;

  make_dir (fixture, "w/a/b");
  write_file (fixture, "w/a/f", "1");
  write_file (fixture, "w/a/b/g", "2");
  notify = poll_notify_new_ok (fixture, "w");

  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 3);
  /* Entries: w, w/a, w/a/b, w/a/f, w/a/b/g. */
  description = wf_notify_describe (notify);
  g_assert_true (g_str_has_prefix (description,
                                   "PollBackend { delay: 20ms, cpu budget: 10%, pause: "));
  g_assert_nonnull (strstr (description, ", entries: 5, roots: 1, directories: 3, unwatched: 0, "
                                         "polled: 0, rescans: 0 }"));
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
  before = wf_test_describe_field (notify, "cycles");
  g_usleep (2 * G_USEC_PER_SEC);
  after = wf_test_describe_field (notify, "cycles");
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
/* A directory that can be listed but not searched (mode r--): every
 * stat() of its entries fails.  Ignored entries are never stat'ed, so
 * holding only those, it is watched without error. */
static const char *
ignore_no_stat (Fixture *fixture, gconstpointer data)
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
  return NULL;
}

static void
test_ignore_no_stat (Fixture *fixture, gconstpointer user_data)
{
  /* Where a mode bites root too. */
  wf_test_run_in_user_namespace (fixture, NULL, ignore_no_stat);
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

  add_test ("/poll/same-second-write", test_same_second_write);
  add_test ("/poll/describe", test_describe);
  add_test ("/poll/zero-delay-does-not-spin", test_zero_delay_does_not_spin);
  add_test ("/poll/delay-honoured", test_delay_honoured);
  add_test ("/poll/ignore/not-scanned", test_ignore_not_scanned);
  add_test ("/poll/ignore/no-stat", test_ignore_no_stat);

  return g_test_run ();
}
