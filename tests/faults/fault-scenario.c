/* SPDX-License-Identifier: MIT */
/* fault-scenario.c BACKEND: one representative watch, run by run-faults.sh
 * with wf-fault-inject.so preloaded and one system call of the library
 * made to fail.  A tree (a/, b/x, c/f) is watched; then a file is renamed
 * into a/, c/f is appended to, d/ is made with d/g renamed into it, and b/x
 * and b are removed.  Prints one verdict line and exits 0 when the run
 * ended in one of the acceptable ways:
 *   correct     every change reported, nothing else
 *   degraded    the status shows a degradation (polled, unwatched,
 *               rescanned or a fallback); what it missed is named
 *   error       watching stopped with a GError that has a message
 * and exits 1 for the others: a change lost with no error and no
 * degradation (LOST), a change reported that did not happen (PHANTOM), a
 * descriptor left open after the watcher is gone (LEAK).  A crash is a
 * signal and a hang an alarm; run-faults.sh reports both. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <watchfiles.h>

#include "wf-test-util.h"

static guint
count_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((entry = readdir (dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir (dir);
  return n - 1;  /* the one this listing holds */
}

static char *
path_in (const char *root, const char *relative)
{
  return g_build_filename (root, relative, NULL);
}

/* Written outside the root and renamed in: one "added", never "modified". */
static void
put_file (const char *outside, const char *root, const char *relative)
{
  g_autofree char *staged = path_in (outside, "staged");
  g_autofree char *target = path_in (root, relative);

  wf_test_write (staged, "new");
  wf_test_rename (staged, target);
}

static void
append (const char *path)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "more", 4), ==, 4);
  close (fd);
}

static gboolean
degraded (WfNotify *notify)
{
  g_autoptr(WfStatus) status = wf_notify_get_status (notify);

  return status != NULL &&
         (wf_status_get_n_unwatched (status) > 0 || wf_status_get_n_polled_directories (status) > 0 ||
          wf_status_get_n_rescans (status) > 0 || wf_status_get_fallback_reason (status) != NULL);
}

static WfNotify *
notify_new (const char *backend, const char *root, GError **error)
{
  const char *paths[] = { root, NULL };

  return wf_test_notify_new (backend, paths, TRUE, FALSE, error);
}

int
main (int argc, char **argv)
{
  void (*arm) (void) = (void (*) (void)) dlsym (RTLD_DEFAULT, "wf_fault_arm");
  g_autofree char *work = NULL, *root = NULL, *outside = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) possible = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) phantom = g_string_new (NULL);
  g_autoptr(GString) lost = g_string_new (NULL);
  WfNotify *notify;
  gboolean was_degraded = FALSE, start_failed = FALSE;
  guint fds_before, fds_after;
  gint64 deadline;

  if (argc != 2)
    {
      g_printerr ("usage: fault-scenario BACKEND\n");
      return 2;
    }
  alarm (60);
  work = wf_test_tmpdir_new ();
  root = path_in (work, "root");
  outside = path_in (work, "outside");
  wf_test_mkdir (outside);
  {
    g_autofree char *a = path_in (root, "a"), *b = path_in (root, "b"), *c = path_in (root, "c");
    g_autofree char *x = path_in (root, "b/x"), *f = path_in (root, "c/f");

    wf_test_mkdir (root);
    wf_test_mkdir (a);
    wf_test_mkdir (b);
    wf_test_mkdir (c);
    wf_test_write (x, "x");
    wf_test_write (f, "f");
  }

  /* The warm-up: GLib's lazily opened descriptors, the modules loaded. */
  notify = notify_new (argv[1], root, &error);
  g_assert_no_error (error);
  g_object_unref (notify);
  fds_before = count_fds ();
  if (arm != NULL)
    arm ();

  notify = notify_new (argv[1], root, &error);
  if (notify == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->message != NULL && *error->message != '\0');
      g_print ("error (at start): %s\n", error->message);
      start_failed = TRUE;
      goto check_leaks;
    }

  put_file (outside, root, "a/new");
  {
    g_autofree char *f = path_in (root, "c/f"), *d = path_in (root, "d");
    g_autofree char *x = path_in (root, "b/x"), *b = path_in (root, "b");

    append (f);
    wf_test_mkdir (d);
    put_file (outside, root, "d/g");
    g_assert_no_errno (unlink (x));
    g_assert_no_errno (rmdir (b));
  }
  for (const char *const *line = (const char *const[]) { "1:a/new", "2:c/f", "1:d", "1:d/g", "3:b/x", "3:b", NULL };
       *line != NULL; line++)
    {
      g_autofree char *full = g_strdup_printf ("%.2s%s/%s", *line, root, *line + 2);

      g_hash_table_add (expected, g_strdup (full));
      g_hash_table_add (possible, g_steal_pointer (&full));
    }
  /* Also true, in some orders of the kernel's events and the scans. */
  for (const char *const *line = (const char *const[]) { "2:a", "2:c", "2:d", "2:b", "2:d/g", "2:a/new", NULL };
       *line != NULL; line++)
    g_hash_table_add (possible, g_strdup_printf ("%.2s%s/%s", *line, root, *line + 2));
  g_hash_table_add (possible, g_strdup_printf ("2:%s", root));

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GPtrArray) changes = NULL;
      WfWatchResult result = wf_notify_watch (notify, 50, 10, 300, NULL, -1, &changes, &error);
      gboolean all = TRUE;
      GHashTableIter iter;
      gpointer key;

      if (result == WF_WATCH_RESULT_ERROR)
        break;
      for (guint i = 0; changes != NULL && i < changes->len; i++)
        g_hash_table_add (reported, g_strdup_printf ("%d:%s", wf_file_change_get_change (changes->pdata[i]),
                                                     wf_file_change_get_path (changes->pdata[i])));
      g_hash_table_iter_init (&iter, expected);
      while (all && g_hash_table_iter_next (&iter, &key, NULL))
        all = g_hash_table_contains (reported, key);
      if (all)
        break;
    }
  was_degraded = degraded (notify);
  wf_notify_close (notify);
  g_object_unref (notify);

  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, reported);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_hash_table_contains (possible, key))
        g_string_append_printf (phantom, " %s", (const char *) key);
    g_hash_table_iter_init (&iter, expected);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_hash_table_contains (reported, key))
        g_string_append_printf (lost, " %s", (const char *) key);
  }

check_leaks:
  fds_after = count_fds ();
  wf_test_rm_rf (work);
  if (phantom->len > 0)
    {
      g_print ("PHANTOM:%s\n", phantom->str);
      return 1;
    }
  if (fds_after != fds_before)
    {
      g_print ("LEAK: %u descriptors before the watcher, %u after it\n", fds_before, fds_after);
      return 1;
    }
  if (start_failed)
    return 0;
  if (error != NULL)
    {
      g_assert_true (error->message != NULL && *error->message != '\0');
      g_print ("error: %s\n", error->message);
      return 0;
    }
  /* What the status owns up to (a directory left unwatched, with the
   * error pushed) is a degradation, not a silent loss. */
  if (lost->len > 0 && was_degraded)
    {
      g_print ("degraded, missed:%s\n", lost->str);
      return 0;
    }
  if (lost->len > 0)
    {
      g_print ("LOST:%s\n", lost->str);
      return 1;
    }
  g_print ("%s\n", was_degraded ? "degraded" : "correct");
  return 0;
}
