/* SPDX-License-Identifier: MIT */
/* test-kqueue-backend.c: what only the kqueue backend promises, through
 * the public WfNotify API with kqueue forced: a directory's descriptor and
 * its knote are given back when the directory goes, a directory that gets
 * a descriptor number given back is heard by its own notes (not only by
 * the periodic rescan), so is a single-file root, a note rescans its own
 * directory and not the whole roots, and the watch-limit policy "error".
 * Built where kqueue.so is: the BSDs and macOS, or Linux with libkqueue
 * (by hand, README "emulated (libkqueue)"), where the first failed before
 * the knote was deleted ahead of close(): libkqueue keeps a knote, and its
 * inotify instance, past close() (20 directories removed left 22
 * descriptors open).
 * What every backend does is in the scenario matrix (test-scenarios.c).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "wf-test-util.h"

#define N_DIRECTORIES 20
/* How long descriptors may take to be given back after the deletions are
 * reported (the scan thread drops watches at its next pass). */
#define GIVE_BACK_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define TRANSIENT_DESCRIPTORS 4

typedef WfTestFixture Fixture;

static WfNotify *
kqueue_notify_new_ok (Fixture *fixture, const char *relative_root)
{
  g_autofree char *root = wf_test_fixture_path (fixture, relative_root);
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  WfNotify *notify = wf_test_notify_new ("kqueue", paths, TRUE, FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "kqueue");
  return notify;
}

/* The process's open descriptors (Linux /proc, FreeBSD's fdescfs /dev/fd),
 * or 0 when neither lists them. */
static guint
count_descriptors (void)
{
  const char *const dirs[] = { "/proc/self/fd", "/dev/fd" };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      GDir *dir = g_dir_open (dirs[i], 0, NULL);
      guint n = 0;

      if (dir == NULL)
        continue;
      while (g_dir_read_name (dir) != NULL)
        n++;
      g_dir_close (dir);
      if (n > 3)
        return n - 1;   /* the listing's own */
    }
  return 0;
}

static void
test_descriptors_given_back (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *added = g_strdup ("");
  g_autofree char *deleted = g_strdup ("");
  g_autofree char *started = NULL;
  guint base, now;
  gint64 deadline;

  if (wf_test_skip_unless_backend ("kqueue"))
    return;
  wf_test_fixture_mkdir (f, "w");
  notify = kqueue_notify_new_ok (f, "w");
  /* The scan thread watches a new root's tree after add_root (then
   * rescans it): once a change in it is reported, its watch is there. */
  wf_test_fixture_touch (f, "w/started");
  started = wf_test_expect_changes (f, WF_CHANGE_ADDED, "w/started", 0);
  wf_test_assert_changes (notify, started);
  base = count_descriptors ();
  if (base == 0)
    {
      g_test_skip ("neither /proc/self/fd nor /dev/fd lists descriptors here");
      return;
    }

  for (guint i = 0; i < N_DIRECTORIES; i++)
    {
      g_autofree char *name = g_strdup_printf ("w/d%u", i);

      wf_test_fixture_mkdir (f, name);
      added = wf_test_union (added, wf_test_expect_changes (f, WF_CHANGE_ADDED, name, 0));
      deleted = wf_test_union (deleted, wf_test_expect_changes (f, WF_CHANGE_DELETED, name, 0));
    }
  wf_test_assert_changes (notify, added);
  /* Reported once watched: one descriptor each (and, with libkqueue, an
   * inotify instance each). */
  g_assert_cmpuint (count_descriptors (), >=, base + N_DIRECTORIES);

  for (guint i = 0; i < N_DIRECTORIES; i++)
    {
      g_autofree char *name = g_strdup_printf ("w/d%u", i);
      wf_test_fixture_remove (f, name);
    }
  wf_test_assert_changes (notify, deleted);
  /* No event says the watches went: wait for the count, bounded.  The
   * scan thread's directory reads hold a descriptor or two at any moment
   * (GDir, the kit's walk), so "given back" is within that of base, far
   * below the N_DIRECTORIES (twice that with libkqueue) a leak keeps. */
  deadline = g_get_monotonic_time () + GIVE_BACK_TIMEOUT_US;
  while ((now = count_descriptors ()) > base + TRANSIENT_DESCRIPTORS && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_cmpuint (now, <=, base + TRANSIENT_DESCRIPTORS);
}

static void
test_reused_descriptor_heard (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *a_deleted = NULL;
  g_autofree char *b_added = NULL;
  g_autofree char *f_added = NULL;
  guint before;

  if (wf_test_skip_unless_backend ("kqueue"))
    return;
  wf_test_fixture_mkdir (f, "w/a");
  notify = kqueue_notify_new_ok (f, "w");

  wf_test_fixture_remove (f, "w/a");
  a_deleted = wf_test_expect_changes (f, WF_CHANGE_DELETED, "w/a", 0);
  wf_test_assert_changes (notify, a_deleted);
  /* The lowest free number, given back by w/a's watch, is b's. */
  wf_test_fixture_mkdir (f, "w/b");
  b_added = wf_test_expect_changes (f, WF_CHANGE_ADDED, "w/b", 0);
  wf_test_assert_changes (notify, b_added);

  /* Only b's own knote hears a name made in b (w's lists only w). */
  before = wf_test_describe_field (notify, "wake-ups");
  wf_test_fixture_touch (f, "w/b/f");
  f_added = wf_test_expect_changes (f, WF_CHANGE_ADDED, "w/b/f", 0);
  wf_test_assert_changes (notify, f_added);
  g_assert_cmpuint (wf_test_describe_field (notify, "wake-ups"), >, before);
}

/* A single-file root is watched by its own notes (a descriptor of its own,
 * and its parent's), not only by the periodic rescan, also after an
 * editor's atomic save put another inode under its name. */
static void
test_file_root_heard (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *root = wf_test_fixture_path (f, "d/f");
  g_autofree char *temporary = wf_test_fixture_path (f, "d/.f.tmp");
  g_autofree char *modified = NULL;
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  guint before;

  if (wf_test_skip_unless_backend ("kqueue"))
    return;
  wf_test_fixture_place (f, "d/f", "one");
  notify = wf_test_notify_new ("kqueue", paths, TRUE, FALSE, &error);
  g_assert_no_error (error);
  modified = wf_test_expect_changes (f, WF_CHANGE_MODIFIED, "d/f", 0);
  /* The scan thread's first pass follows add_root: once a change is
   * reported, it is done. */
  wf_test_fixture_write (f, "d/f", "two");
  wf_test_assert_changes (notify, modified);

  before = wf_test_describe_field (notify, "wake-ups");
  wf_test_fixture_write (f, "d/f", "two, longer");
  wf_test_assert_changes (notify, modified);
  g_assert_cmpuint (wf_test_describe_field (notify, "wake-ups"), >, before);

  wf_test_write (temporary, "three, saved atomically");
  wf_test_rename (temporary, root);
  wf_test_assert_changes (notify, modified);

  before = wf_test_describe_field (notify, "wake-ups");
  wf_test_fixture_write (f, "d/f", "four, written in place again");
  wf_test_assert_changes (notify, modified);
  g_assert_cmpuint (wf_test_describe_field (notify, "wake-ups"), >, before);
}

/* A note rescans its own directory, not the roots: a file made two levels
 * down in a small directory, beside a big one, is reported by directory
 * rescans alone (the whole rescan, periodic, is not what found it).  The
 * change is made right after a whole rescan, so the next is KQ_RESCAN_US
 * (2 s) away, far more than a note takes. */
#define N_BIG 200

static void
test_note_rescans_its_directory (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *added = NULL;
  guint whole, directory;
  gint64 deadline;

  if (wf_test_skip_unless_backend ("kqueue"))
    return;
  wf_test_fixture_mkdir (f, "w/small/deeper");
  wf_test_fixture_mkdir (f, "w/big");
  for (guint i = 0; i < N_BIG; i++)
    {
      g_autofree char *name = g_strdup_printf ("w/big/f%u", i);
      wf_test_fixture_touch (f, name);
    }
  notify = kqueue_notify_new_ok (f, "w");
  wf_test_fixture_touch (f, "w/started");
  added = wf_test_expect_changes (f, WF_CHANGE_ADDED, "w/started", 0);
  wf_test_assert_changes (notify, added);

  whole = wf_test_describe_field (notify, "whole rescans");
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (wf_test_describe_field (notify, "whole rescans") == whole && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  whole = wf_test_describe_field (notify, "whole rescans");
  directory = wf_test_describe_field (notify, "directory rescans");

  wf_test_fixture_touch (f, "w/small/deeper/f");
  g_free (added);
  added = wf_test_expect_changes (f, WF_CHANGE_ADDED, "w/small/deeper/f", 0);
  wf_test_assert_changes (notify, added);
  g_assert_cmpuint (wf_test_describe_field (notify, "whole rescans"), ==, whole);
  g_assert_cmpuint (wf_test_describe_field (notify, "directory rescans"), >, directory);
}

/* With the policy "error", a tree past the limit fails the watcher with
 * WF_ERROR_WATCH_LIMIT naming it (with libkqueue: an inotify instance
 * per directory, whose namespace limit is lowered here; on a BSD that
 * write fails and the case says so), and nothing of it stays watched. */
static const char *
policy_error_unprivileged (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *root = wf_test_fixture_path (f, "w");
  g_autofree char *y = wf_test_fixture_path (f, "y");
  const char *paths[] = { root, NULL };
  const char *y_paths[] = { y, NULL };
  GError *error = NULL;
  WfNotify *notify;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("w/d%u", i);
          wf_test_fixture_mkdir (f, name);
    }
  if (!wf_test_write_sysctl ("/proc/sys/user/max_inotify_instances", "3\n"))
    return "cannot lower the namespace's inotify instance limit (not libkqueue on Linux?)";
  notify = wf_test_notify_new_with_policy ("kqueue", paths, WF_WATCH_LIMIT_POLICY_ERROR, &error);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  g_assert_nonnull (strstr (error->message, "fs.inotify.max_user_instances"));
  g_clear_error (&error);

  /* No leaked watch: a tree that fits in the limit (y and y/a: 2 of 3)
   * is watched after it, which it would not be if the 3 knotes spent on
   * w had stayed.  (Descriptors are not counted here: in this forked
   * child libkqueue's own bookkeeping of a closed kqueue lags.) */
  wf_test_fixture_mkdir (f, "y/a");
  notify = wf_test_notify_new_with_policy ("kqueue", y_paths, WF_WATCH_LIMIT_POLICY_ERROR, &error);
  g_assert_no_error (error);
  g_object_unref (notify);
  return NULL;
}

static void
test_policy_error (Fixture *f, gconstpointer data)
{
  if (wf_test_skip_unless_backend ("kqueue"))
    return;
  wf_test_run_in_user_namespace (f, data, policy_error_unprivileged);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/kqueue/descriptors-given-back", Fixture, NULL, wf_test_fixture_set_up,
              test_descriptors_given_back, wf_test_fixture_tear_down);
  g_test_add ("/kqueue/reused-descriptor-heard", Fixture, NULL, wf_test_fixture_set_up,
              test_reused_descriptor_heard, wf_test_fixture_tear_down);
  g_test_add ("/kqueue/file-root-heard", Fixture, NULL, wf_test_fixture_set_up, test_file_root_heard,
              wf_test_fixture_tear_down);
  g_test_add ("/kqueue/note-rescans-its-directory", Fixture, NULL, wf_test_fixture_set_up,
              test_note_rescans_its_directory, wf_test_fixture_tear_down);
  g_test_add ("/kqueue/policy-error", Fixture, NULL, wf_test_fixture_set_up, test_policy_error,
              wf_test_fixture_tear_down);
  return g_test_run ();
}
