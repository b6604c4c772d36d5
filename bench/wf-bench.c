/* SPDX-License-Identifier: MIT */
/* wf-bench.c: the measures of Watchfiles, one subcommand each.
 *
 *   wf-bench setup TREE               time wf_notify_new() (or g_initable_new()
 *                                     with ignore rules), directories watched,
 *                                     peak RSS while holding the watch
 *   wf-bench idle TREE SECONDS        a thread waits in watch(step 1 ms, no
 *                                     timeout); CPU ticks and wakeups meanwhile
 *   wf-bench latency TREE N [DEBOUNCE] N single-file writes, each timed from
 *                                     before open() to watch() returning it
 *   wf-bench newdir DIR N             N x (mkdir -p rI/a/b/c; create rI/a/b/c/f):
 *                                     how many f are reported
 *   wf-bench burst DIR [DIRS FILES]   DIRS new directories x FILES new files
 *                                     (200 x 100), as fast as possible: how many
 *                                     are reported
 *
 * The inotify backend is used unless WATCHFILES_BACKEND names another.
 * WF_BENCH_IGNORE=default gives every watcher wf_ignore_rules_new_default()
 * through the "ignore-rules" property (unset or "none": no rules).  The
 * last line of output is "RESULT key=value ...", which bench/run.sh reads;
 * details go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <watchfiles.h>

#include "bench-proc.h"

/* WF_BENCH_IGNORE: "default" for watchfiles' DefaultFilter rules, unset,
 * empty or "none" for none. */
static const char *
ignore_mode (void)
{
  const char *mode = g_getenv ("WF_BENCH_IGNORE");

  if (mode == NULL || *mode == '\0' || strcmp (mode, "none") == 0)
    return "none";
  if (strcmp (mode, "default") == 0)
    return "default";
  g_printerr ("WF_BENCH_IGNORE=%s: expected \"default\" or \"none\"\n", mode);
  exit (2);
}

/* @seconds, if given, gets the time the caller pays: making the rules
 * (compiling their patterns) and the constructor; @rules_seconds, the
 * first part alone. */
static WfNotify *
make_notify (const char *root, double *seconds, double *rules_seconds)
{
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfIgnoreRules) rules = NULL;
  gboolean with_rules = strcmp (ignore_mode (), "default") == 0;
  WfNotify *notify;
  int64_t t0, t1, t2;

  t0 = bench_now_ns ();
  if (with_rules)
    rules = wf_ignore_rules_new_default ();
  t1 = bench_now_ns ();
  if (rules == NULL)
    notify = wf_notify_new (paths, FALSE, FALSE, 300, TRUE, FALSE, &error);
  else
    /* The same settings as wf_notify_new() above, plus the rules. */
    notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
                             "paths", paths,
                             "poll-delay-ms", 300,
                             "ignore-rules", rules,
                             NULL);
  t2 = bench_now_ns ();
  if (notify == NULL)
    {
      g_printerr ("%s(%s): %s\n", with_rules ? "g_initable_new" : "wf_notify_new", root, error->message);
      exit (1);
    }
  if (seconds != NULL)
    *seconds = (t2 - t0) / 1e9;
  if (rules_seconds != NULL)
    *rules_seconds = (t1 - t0) / 1e9;
  return notify;
}

static char *
real_path_or_die (const char *path)
{
  char *real = realpath (path, NULL);

  if (real == NULL)
    {
      g_printerr ("%s: %s\n", path, g_strerror (errno));
      exit (1);
    }
  return real;
}

/* ---- setup ------------------------------------------------------------ */

typedef struct {
  char *name;
  long kib;
} Mapping;

static int
cmp_mapping (gconstpointer a, gconstpointer b)
{
  const Mapping *x = a, *y = b;

  return (y->kib > x->kib) - (y->kib < x->kib);
}

/* Resident KiB per mapped file (or [heap], [anon], ...), largest first, on
 * stderr: where the peak RSS goes. */
static void
print_rss_by_mapping (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (Mapping));
  GHashTableIter iter;
  gpointer key, value;
  const char *current = "[anon]";
  g_autofree char *current_owned = NULL;

  if (!g_file_get_contents ("/proc/self/smaps", &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      long kib;

      if (g_ascii_isxdigit (line[0]) && strchr (line, '-') != NULL && strchr (line, ' ') != NULL)
        {
          /* "start-end perms offset dev inode   pathname" */
          g_auto(GStrv) fields = g_strsplit_set (line, " ", -1);
          guint n = 0;
          const char *name = "[anon]";

          for (guint j = 0; fields[j] != NULL; j++)
            if (fields[j][0] != '\0' && ++n == 6)
              name = fields[j];
          g_free (current_owned);
          current = current_owned = g_path_get_basename (name);
        }
      else if (sscanf (line, "Rss: %ld kB", &kib) == 1 && kib > 0)
        {
          long sum = GPOINTER_TO_SIZE (g_hash_table_lookup (by_name, current)) + kib;

          g_hash_table_replace (by_name, g_strdup (current), GSIZE_TO_POINTER (sum));
        }
    }
  g_hash_table_iter_init (&iter, by_name);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Mapping m = { key, (long) GPOINTER_TO_SIZE (value) };
      g_array_append_val (list, m);
    }
  g_array_sort (list, cmp_mapping);
  g_printerr ("resident KiB by mapping:");
  for (guint i = 0; i < list->len && i < 10; i++)
    g_printerr (" %s %ld%s", g_array_index (list, Mapping, i).name, g_array_index (list, Mapping, i).kib,
                i + 1 < MIN (list->len, 10) ? "," : "\n");
}


static int
cmd_setup (const char *tree)
{
  g_autofree char *root = real_path_or_die (tree);
  long hwm_before = bench_self_kib ("VmHWM");
  long anon_before = bench_self_kib ("RssAnon"), file_before = bench_self_kib ("RssFile");
  g_autoptr(WfNotify) notify = NULL;
  long hwm, anon, file;
  double seconds, rules_seconds;

  notify = make_notify (root, &seconds, &rules_seconds);
  /* Hold the watch a moment: a backend that finishes work in the
   * background after the constructor returned shows it in the peak. */
  bench_sleep_ns (300 * 1000000LL);
  hwm = bench_self_kib ("VmHWM");
  anon = bench_self_kib ("RssAnon");
  file = bench_self_kib ("RssFile");
  /* Only now: reading smaps allocates, and must not count in the peak. */
  print_rss_by_mapping ();
  printf ("RESULT mode=setup backend=%s ignore=%s setup_s=%.4f rules_s=%.6f dirs=%u hwm_kib=%ld hwm_before_kib=%ld "
          "rss_anon_kib=%ld rss_file_kib=%ld rss_anon_before_kib=%ld rss_file_before_kib=%ld threads=%ld\n",
          wf_notify_get_backend_name (notify), ignore_mode (), seconds, rules_seconds,
          wf_notify_get_watched_directories (notify),
          hwm, hwm_before, anon, file, anon_before, file_before,
          bench_status_field ("/proc/self/status", "Threads"));
  return 0;
}

/* ---- a watcher thread shared by idle, latency, newdir, burst --------- */

typedef struct {
  WfNotify *notify;
  guint debounce_ms, step_ms;
  GCancellable *stop;
  GThread *thread;

  GMutex lock;
  GCond cond;
  guint batches;
  guint64 changes;
  gboolean failed;

  /* latency: the expected path, armed by the writer */
  const char *expected;
  gboolean armed;
  int64_t write_ns, latency_ns;

  /* newdir, burst: the paths to see (path -> index + 1), and which were
   * seen (0, or the first WfChange reported for it) */
  GHashTable *wanted;
  guint8 *seen;
  guint n_wanted, n_seen, n_seen_added, n_unexpected;
  int64_t last_progress_ns;
} Watcher;

static void
watcher_handle_batch (Watcher *w, GPtrArray *changes, int64_t now)
{
  g_mutex_lock (&w->lock);
  w->batches++;
  w->changes += changes->len;
  for (guint i = 0; i < changes->len; i++)
    {
      WfFileChange *change = g_ptr_array_index (changes, i);
      const char *path = wf_file_change_get_path (change);

      if (w->armed && strcmp (path, w->expected) == 0)
        {
          w->latency_ns = now - w->write_ns;
          w->armed = FALSE;
          g_cond_broadcast (&w->cond);
        }
      if (w->wanted != NULL)
        {
          guint index = GPOINTER_TO_UINT (g_hash_table_lookup (w->wanted, path));

          if (index == 0)
            {
              /* New directories are expected too; show a few other paths
               * (a mismatch in how paths are spelt would show here). */
              if (w->n_unexpected < 3 && !g_file_test (path, G_FILE_TEST_IS_DIR))
                {
                  w->n_unexpected++;
                  g_printerr ("  unexpected change %d %s\n", wf_file_change_get_change (change), path);
                }
            }
          else if (w->seen[index - 1] == 0)
            {
              w->seen[index - 1] = (guint8) wf_file_change_get_change (change);
              w->n_seen++;
              if (w->seen[index - 1] == WF_CHANGE_ADDED)
                w->n_seen_added++;
              w->last_progress_ns = now;
              if (w->n_seen == w->n_wanted)
                g_cond_broadcast (&w->cond);
            }
        }
    }
  g_mutex_unlock (&w->lock);
}

static gpointer
watcher_thread (gpointer data)
{
  Watcher *w = data;

  for (;;)
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GError) error = NULL;
      WfWatchResult result = wf_notify_watch (w->notify, w->debounce_ms, w->step_ms, 0, w->stop, -1,
                                              &changes, &error);
      int64_t now = bench_now_ns ();

      switch (result)
        {
        case WF_WATCH_RESULT_CHANGES:
          watcher_handle_batch (w, changes, now);
          continue;
        case WF_WATCH_RESULT_TIMEOUT:
          continue;
        case WF_WATCH_RESULT_ERROR:
          g_printerr ("wf_notify_watch: %s\n", error->message);
          g_mutex_lock (&w->lock);
          w->failed = TRUE;
          g_cond_broadcast (&w->cond);
          g_mutex_unlock (&w->lock);
          return NULL;
        case WF_WATCH_RESULT_SIGNAL:
        case WF_WATCH_RESULT_STOP:
        default:
          return NULL;
        }
    }
}

static void
watcher_start (Watcher *w, WfNotify *notify, guint debounce_ms, guint step_ms)
{
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->notify = notify;
  w->debounce_ms = debounce_ms;
  w->step_ms = step_ms;
  w->stop = g_cancellable_new ();
  w->thread = g_thread_new ("wf-bench-watch", watcher_thread, w);
}

static void
watcher_stop (Watcher *w)
{
  g_cancellable_cancel (w->stop);
  g_thread_join (w->thread);
  g_clear_object (&w->stop);
}

/* ---- idle ------------------------------------------------------------- */

static int
cmd_idle (const char *tree, double seconds)
{
  g_autofree char *root = real_path_or_die (tree);
  g_autoptr(WfNotify) notify = make_notify (root, NULL, NULL);
  static BenchThreads before, after;
  long long ticks0, ticks1;
  Watcher w = { 0 };
  BenchIdle idle;

  watcher_start (&w, notify, 50, 1);
  bench_sleep_ns (500 * 1000000LL);   /* let everything settle and block */

  /* The process's ticks are read inside the thread snapshots so that the
   * main thread's own reading of /proc stays outside that window. */
  bench_threads_snapshot (&before);
  ticks0 = bench_process_ticks ();
  bench_sleep_ns ((int64_t) (seconds * 1e9));
  ticks1 = bench_process_ticks ();
  bench_threads_snapshot (&after);

  /* The main thread's one wakeup is the end of its own sleep: counted
   * apart.  other_cpu_us is the other threads' time on CPU (schedstat),
   * finer than ticks. */
  idle = bench_threads_diff (&before, &after);
  watcher_stop (&w);
  printf ("RESULT mode=idle backend=%s seconds=%g ticks=%lld other_ticks=%lld other_wakeups=%lld other_cpu_us=%lld "
          "main_wakeups=%lld threads=%d batches=%u\n",
          wf_notify_get_backend_name (notify), seconds, ticks1 - ticks0,
          idle.other_ticks, idle.other_switches, idle.other_run_ns / 1000, idle.main_switches, idle.threads, w.batches);
  return 0;
}

/* ---- latency ---------------------------------------------------------- */

#define TARGET_STRIDE 499
#define MAX_TARGETS 1024

/* Every 499th file of the tree, in readdir order: spread over the tree. */
static void
collect_targets (const char *dir_path, GPtrArray *targets, guint *counter)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL && targets->len < MAX_TARGETS)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_targets (path, targets, counter);
      else if (++*counter % TARGET_STRIDE == 0)
        g_ptr_array_add (targets, g_steal_pointer (&path));
    }
}

static int
touch_file (const char *path)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);

  if (fd < 0 || write (fd, "x", 1) != 1)
    {
      g_printerr ("write %s: %s\n", path, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return close (fd);
}

static int
cmd_latency (const char *tree, int reps, guint debounce_ms)
{
  g_autofree char *root = real_path_or_die (tree);
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autofree int64_t *lat = g_new0 (int64_t, MAX (reps, 1));
  g_autoptr(WfNotify) notify = NULL;
  Watcher w = { 0 };
  guint counter = 0;
  int n_ok = 0, lost = 0;
  guint batches;

  collect_targets (root, targets, &counter);
  if (targets->len == 0)
    {
      g_printerr ("no files in %s to write to\n", root);
      return 1;
    }
  notify = make_notify (root, NULL, NULL);
  watcher_start (&w, notify, debounce_ms, 1);
  bench_sleep_ns (100 * 1000000LL);   /* let the watcher block */

  for (int i = 0; i < reps; i++)
    {
      const char *path = g_ptr_array_index (targets, (guint) i % targets->len);
      gint64 deadline;
      gboolean answered = TRUE;

      g_mutex_lock (&w.lock);
      w.expected = path;
      w.armed = TRUE;
      w.write_ns = bench_now_ns ();
      g_mutex_unlock (&w.lock);
      if (touch_file (path) < 0)
        return 1;

      deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
      g_mutex_lock (&w.lock);
      while (w.armed && !w.failed && answered)
        answered = g_cond_wait_until (&w.cond, &w.lock, deadline);
      if (w.armed)
        {
          w.armed = FALSE;
          lost++;
        }
      else
        lat[n_ok++] = w.latency_ns;
      g_mutex_unlock (&w.lock);
      if (w.failed)
        break;
      /* One isolated modification at a time; longer than any debounce. */
      bench_sleep_ns ((int64_t) (debounce_ms + 10) * 1000000LL);
    }
  watcher_stop (&w);
  batches = w.batches;

  bench_sort_i64 (lat, n_ok);
  printf ("RESULT mode=latency backend=%s debounce_ms=%u step_ms=1 reps=%d received=%d lost=%d batches=%u "
          "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
          wf_notify_get_backend_name (notify), debounce_ms, reps, n_ok, lost, batches,
          bench_percentile (lat, n_ok, 50) / 1e6, bench_percentile (lat, n_ok, 99) / 1e6,
          n_ok > 0 ? lat[n_ok - 1] / 1e6 : -1.0);
  return w.failed ? 1 : 0;
}

/* ---- newdir and burst: create, then count what was reported ------------ */

/* Waits until every wanted path was seen, the watcher failed, @quiet_s
 * passed without progress, or @max_s passed in all. */
static double
wait_for_all (Watcher *w, double quiet_s, double max_s)
{
  int64_t start = bench_now_ns ();

  g_mutex_lock (&w->lock);
  w->last_progress_ns = MAX (w->last_progress_ns, start);
  while (w->n_seen < w->n_wanted && !w->failed)
    {
      int64_t now = bench_now_ns ();

      if (now - w->last_progress_ns > (int64_t) (quiet_s * 1e9) || now - start > (int64_t) (max_s * 1e9))
        break;
      g_cond_wait_until (&w->cond, &w->lock, g_get_monotonic_time () + 100 * 1000);
    }
  g_mutex_unlock (&w->lock);
  return (bench_now_ns () - start) / 1e9;
}

static void
want (Watcher *w, GPtrArray *paths)
{
  w->wanted = g_hash_table_new (g_str_hash, g_str_equal);
  w->seen = g_new0 (guint8, paths->len);
  w->n_wanted = paths->len;
  for (guint i = 0; i < paths->len; i++)
    g_hash_table_insert (w->wanted, g_ptr_array_index (paths, i), GUINT_TO_POINTER (i + 1));
}

static int
make_dir (const char *path)
{
  if (mkdir (path, 0755) < 0 && errno != EEXIST)
    {
      g_printerr ("mkdir %s: %s\n", path, g_strerror (errno));
      return -1;
    }
  return 0;
}

static int
create_file (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      g_printerr ("create %s: %s\n", path, g_strerror (errno));
      return -1;
    }
  return close (fd);
}

static int
report_counts (const char *mode, WfNotify *notify, Watcher *w, double create_s, double wait_s)
{
  watcher_stop (w);
  printf ("RESULT mode=%s backend=%s created=%u seen=%u seen_added=%u create_s=%.3f wait_s=%.3f "
          "batches=%u changes=%" G_GUINT64_FORMAT " watched_dirs=%u\n",
          mode, wf_notify_get_backend_name (notify), w->n_wanted, w->n_seen, w->n_seen_added,
          create_s, wait_s, w->batches, w->changes, wf_notify_get_watched_directories (notify));
  g_hash_table_unref (w->wanted);
  g_free (w->seen);
  return w->failed ? 1 : 0;
}

static int
cmd_newdir (const char *dir, int reps)
{
  g_autofree char *root = real_path_or_die (dir);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(WfNotify) notify = make_notify (root, NULL, NULL);
  Watcher w = { 0 };
  int64_t t0;
  double create_s;

  for (int i = 0; i < reps; i++)
    g_ptr_array_add (files, g_strdup_printf ("%s/r%d/a/b/c/f", root, i));
  want (&w, files);
  /* watchfiles' default debounce and step: this counts, it does not time. */
  watcher_start (&w, notify, 1600, 50);
  bench_sleep_ns (100 * 1000000LL);

  t0 = bench_now_ns ();
  for (int i = 0; i < reps; i++)
    {
      char path[PATH_MAX];
      int n = snprintf (path, sizeof path, "%s/r%d", root, i);

      /* mkdir -p rI/a/b/c, then create rI/a/b/c/f, back to back */
      if (make_dir (path) < 0)
        return 1;
      for (const char *part = "abc"; *part != '\0'; part++)
        {
          n += snprintf (path + n, sizeof path - (size_t) n, "/%c", *part);
          if (make_dir (path) < 0)
            return 1;
        }
      snprintf (path + n, sizeof path - (size_t) n, "/f");
      if (create_file (path) < 0)
        return 1;
    }
  create_s = (bench_now_ns () - t0) / 1e9;
  return report_counts ("newdir", notify, &w, create_s, wait_for_all (&w, 5, 30));
}

static int
cmd_burst (const char *dir, int n_dirs, int n_files)
{
  g_autofree char *root = real_path_or_die (dir);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(WfNotify) notify = make_notify (root, NULL, NULL);
  Watcher w = { 0 };
  int64_t t0;
  double create_s;

  for (int i = 0; i < n_dirs; i++)
    for (int j = 0; j < n_files; j++)
      g_ptr_array_add (files, g_strdup_printf ("%s/d%d/f%d", root, i, j));
  want (&w, files);
  watcher_start (&w, notify, 1600, 50);
  bench_sleep_ns (100 * 1000000LL);

  t0 = bench_now_ns ();
  for (int i = 0; i < n_dirs; i++)
    {
      char path[PATH_MAX];
      int n = snprintf (path, sizeof path, "%s/d%d", root, i);

      if (make_dir (path) < 0)
        return 1;
      for (int j = 0; j < n_files; j++)
        {
          snprintf (path + n, sizeof path - (size_t) n, "/f%d", j);
          if (create_file (path) < 0)
            return 1;
        }
    }
  create_s = (bench_now_ns () - t0) / 1e9;
  return report_counts ("burst", notify, &w, create_s, wait_for_all (&w, 5, 60));
}

static int
usage (void)
{
  g_printerr ("usage: wf-bench setup TREE\n"
              "       wf-bench idle TREE SECONDS\n"
              "       wf-bench latency TREE N [DEBOUNCE_MS]\n"
              "       wf-bench newdir EMPTY_DIR N\n"
              "       wf-bench burst EMPTY_DIR [DIRS FILES_PER_DIR]\n"
              "environment: WATCHFILES_BACKEND (inotify), WF_BENCH_IGNORE=default|none (none)\n");
  return 2;
}

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "";

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (g_getenv ("WATCHFILES_BACKEND") == NULL)
    g_setenv ("WATCHFILES_BACKEND", "inotify", TRUE);

  if (strcmp (cmd, "setup") == 0 && argc == 3)
    return cmd_setup (argv[2]);
  if (strcmp (cmd, "idle") == 0 && argc == 4)
    return cmd_idle (argv[2], g_ascii_strtod (argv[3], NULL));
  if (strcmp (cmd, "latency") == 0 && (argc == 4 || argc == 5))
    return cmd_latency (argv[2], atoi (argv[3]), argc == 5 ? (guint) atoi (argv[4]) : 50);
  if (strcmp (cmd, "newdir") == 0 && argc == 4)
    return cmd_newdir (argv[2], atoi (argv[3]));
  if (strcmp (cmd, "burst") == 0 && (argc == 3 || argc == 5))
    return cmd_burst (argv[2], argc == 5 ? atoi (argv[3]) : 200, argc == 5 ? atoi (argv[4]) : 100);
  return usage ();
}
