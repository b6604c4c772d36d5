/* SPDX-License-Identifier: MIT */
/* state-bench.c: the changes-since measures (bench/README.md, "Changes
 * since a state"): on one tree, warm, alternating RUNS times,
 *   walk   a raw walk, openat/fdopendir/readdir and one fstatat per entry
 *          (no GLib): the floor for anything that looks at every file;
 *   save   wf_state_save(): walk, encode, write, fsync, rename;
 *   since  wf_state_changes_since() with nothing changed, no write: read
 *          and decode the state, walk and compare;
 *   since+update  the same, then the state written anew (what
 *          `watchfiles --since` does);
 * then once more with CHANGED files modified (every Nth file), to show the
 * changes are all found.  Prints the medians, their ratios to the walk, and
 * the state's size per entry; ends with a RESULT line.  Each measure is
 * also taken in CPU time (CLOCK_PROCESS_CPUTIME_ID: user + system, this
 * process only), which a machine shared with other work disturbs far less
 * than the wall clock; it leaves out what save waits for the disk.
 *
 *   state-bench TREE STATE_FILE [RUNS [CHANGED]]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <watchfiles.h>

#include "bench-proc.h"

/* One directory: every entry fstatat'ed, directories descended into. */
static long
raw_walk (int dir_fd)
{
  DIR *dir = fdopendir (dir_fd);
  struct dirent *entry;
  long n = 0;

  if (dir == NULL)
    {
      close (dir_fd);
      return 0;
    }
  while ((entry = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd (dir), entry->d_name, &st, 0) != 0)
        continue;
      n++;
      if (S_ISDIR (st.st_mode))
        {
          int child = openat (dirfd (dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (child >= 0)
            n += raw_walk (child);
        }
    }
  closedir (dir);
  return n;
}

static int64_t
cpu_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *values, int n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void
die (const char *what, GError *error)
{
  fprintf (stderr, "state-bench: %s: %s\n", what, error != NULL ? error->message : g_strerror (errno));
  exit (1);
}

/* Modifies every @step-th regular file of @path (appends a byte), in walk
 * order; returns how many. */
static long
touch_every (const char *path, long step, long *counter)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;
  long n = 0;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        n += touch_every (child, step, counter);
      else if ((*counter)++ % step == 0)
        {
          FILE *f = fopen (child, "a");
          if (f != NULL)
            {
              fputc ('x', f);
              fclose (f);
              n++;
            }
        }
    }
  g_dir_close (dir);
  return n;
}

int
main (int argc, char **argv)
{
  const char *tree, *state;
  int runs = 5;
  long changed_step = 100;
  double *walk_s, *save_s, *since_s, *update_s;
  double *walk_c, *save_c, *since_c, *update_c;
  long n_entries = 0;
  struct stat st;

  if (argc < 3)
    {
      fprintf (stderr, "usage: state-bench TREE STATE_FILE [RUNS [EVERY_NTH_CHANGED]]\n");
      return 2;
    }
  tree = argv[1];
  state = argv[2];
  if (argc > 3)
    runs = atoi (argv[3]);
  if (argc > 4)
    changed_step = atol (argv[4]);
  if (runs < 1 || changed_step < 1)
    return 2;
  walk_s = g_new (double, runs);
  save_s = g_new (double, runs);
  since_s = g_new (double, runs);
  update_s = g_new (double, runs);
  walk_c = g_new (double, runs);
  save_c = g_new (double, runs);
  since_c = g_new (double, runs);
  update_c = g_new (double, runs);

  {
    const char *paths[] = { tree, NULL };
    g_autoptr(GError) error = NULL;

    /* Warm the caches, and a state to start from. */
    n_entries = raw_walk (open (tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!wf_state_save (state, paths, WF_STATE_FLAGS_NONE, NULL, &error))
      die ("save", error);

    for (int i = 0; i < runs; i++)
      {
        g_autoptr(GPtrArray) changes = NULL;
        g_autoptr(GPtrArray) updated = NULL;
        int64_t t0, t1, c0, c1;

        c0 = cpu_now_ns ();
        t0 = bench_now_ns ();
        raw_walk (open (tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        t1 = bench_now_ns ();
        c1 = cpu_now_ns ();
        walk_s[i] = (t1 - t0) / 1e9;
        walk_c[i] = (c1 - c0) / 1e9;

        c0 = cpu_now_ns ();
        t0 = bench_now_ns ();
        if (!wf_state_save (state, paths, WF_STATE_FLAGS_NONE, NULL, &error))
          die ("save", error);
        t1 = bench_now_ns ();
        c1 = cpu_now_ns ();
        save_s[i] = (t1 - t0) / 1e9;
        save_c[i] = (c1 - c0) / 1e9;

        c0 = cpu_now_ns ();
        t0 = bench_now_ns ();
        changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_NONE, NULL, &error);
        t1 = bench_now_ns ();
        c1 = cpu_now_ns ();
        since_c[i] = (c1 - c0) / 1e9;
        if (changes == NULL)
          die ("changes since", error);
        if (changes->len != 0)
          fprintf (stderr, "state-bench: %u changes in an unchanged tree\n", changes->len);
        since_s[i] = (t1 - t0) / 1e9;

        c0 = cpu_now_ns ();
        t0 = bench_now_ns ();
        updated = wf_state_changes_since (state, paths, WF_STATE_FLAGS_UPDATE, NULL, &error);
        t1 = bench_now_ns ();
        c1 = cpu_now_ns ();
        update_c[i] = (c1 - c0) / 1e9;
        if (updated == NULL)
          die ("changes since (update)", error);
        update_s[i] = (t1 - t0) / 1e9;
      }

    if (stat (state, &st) != 0)
      die ("stat", NULL);

    {
      long counter = 0;
      long n_changed = touch_every (tree, changed_step, &counter);
      g_autoptr(GPtrArray) changes = NULL;
      int64_t t0 = bench_now_ns (), t1;
      guint n_modified = 0;

      changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_UPDATE, NULL, &error);
      t1 = bench_now_ns ();
      if (changes == NULL)
        die ("changes since (modified)", error);
      for (guint i = 0; i < changes->len; i++)
        n_modified += wf_file_change_get_change (changes->pdata[i]) == WF_CHANGE_MODIFIED;

      double walk = median (walk_s, runs), save = median (save_s, runs);
      double since = median (since_s, runs), update = median (update_s, runs);
      double walk_cpu = median (walk_c, runs), save_cpu = median (save_c, runs);
      double since_cpu = median (since_c, runs), update_cpu = median (update_c, runs);

      printf ("entries            %ld (below the root)\n", n_entries);
      printf ("raw fstatat walk   %.1f ms (median of %d)\n", walk * 1e3, runs);
      printf ("save               %.1f ms  %.2f x walk\n", save * 1e3, save / walk);
      printf ("changes since      %.1f ms  %.2f x walk (nothing changed, no write)\n", since * 1e3, since / walk);
      printf ("since + update     %.1f ms  %.2f x walk\n", update * 1e3, update / walk);
      printf ("in CPU time        walk %.1f ms, save %.1f ms (%.2f x), since %.1f ms (%.2f x), "
              "since + update %.1f ms (%.2f x)\n", walk_cpu * 1e3, save_cpu * 1e3, save_cpu / walk_cpu,
              since_cpu * 1e3, since_cpu / walk_cpu, update_cpu * 1e3, update_cpu / walk_cpu);
      printf ("state file         %lld bytes, %.1f bytes per entry\n", (long long) st.st_size,
              (double) st.st_size / (double) (n_entries + 1));
      printf ("%ld files modified: %u reported modified, %u changes, in %.1f ms\n", n_changed, n_modified,
              changes->len, (t1 - t0) / 1e6);
      printf ("RESULT entries=%ld walk_ms=%.1f save_ms=%.1f since_ms=%.1f update_ms=%.1f save_ratio=%.2f "
              "since_ratio=%.2f update_ratio=%.2f state_bytes=%lld bytes_per_entry=%.1f changed=%ld "
              "reported=%u walk_cpu_ms=%.1f save_cpu_ms=%.1f since_cpu_ms=%.1f update_cpu_ms=%.1f "
              "save_cpu_ratio=%.2f since_cpu_ratio=%.2f update_cpu_ratio=%.2f\n",
              n_entries, walk * 1e3, save * 1e3, since * 1e3, update * 1e3, save / walk, since / walk,
              update / walk, (long long) st.st_size, (double) st.st_size / (double) (n_entries + 1),
              n_changed, n_modified, walk_cpu * 1e3, save_cpu * 1e3, since_cpu * 1e3, update_cpu * 1e3,
              save_cpu / walk_cpu, since_cpu / walk_cpu, update_cpu / walk_cpu);
    }
  }
  g_free (walk_s);
  g_free (save_s);
  g_free (since_s);
  g_free (update_s);
  g_free (walk_c);
  g_free (save_c);
  g_free (since_c);
  g_free (update_c);
  return 0;
}
