/* SPDX-License-Identifier: MIT */
/* raw-inotify.c: the baseline the issue measures Watchfiles against.
 *
 * A minimal C program without GLib: walk a tree (openat, fdopendir, readdir
 * with d_type, recursion), add one inotify watch per directory, print the
 * elapsed time and the peak RSS.  It keeps no table of watch descriptors
 * and does no event mapping, so it approximates the physical limit.
 *
 *   raw-inotify TREE                 setup time and peak RSS
 *   raw-inotify TREE --latency N     then N single-file writes, each timed from
 *                                    before open() to read() returning its event
 *   raw-inotify TREE --idle SECONDS  then a thread blocked in read(); CPU ticks
 *                                    and wakeups of the other threads meanwhile
 *
 * The last line of output is "RESULT key=value ...", which bench/run.sh reads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "bench-proc.h"

/* The kinds the notify crate (and so RustNotify) subscribes to. */
#define WATCH_MASK (IN_ATTRIB | IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | \
                    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

#define MAX_TARGETS 1024
#define TARGET_STRIDE 499   /* every 499th file is a latency target: spread over the tree */

typedef struct {
  char path[PATH_MAX];
  char name[NAME_MAX + 1];
  int wd;
} Target;

static int inotify_fd = -1;
static unsigned n_dirs;
static unsigned long n_files_seen;
static Target *targets;
static int n_targets;

static int
walk (int dir_fd, char *path, size_t len)
{
  int wd = inotify_add_watch (inotify_fd, path, WATCH_MASK);
  struct dirent *e;
  DIR *dir;

  if (wd < 0)
    {
      fprintf (stderr, "inotify_add_watch %s: %s\n", path, strerror (errno));
      close (dir_fd);
      return -1;
    }
  n_dirs++;

  dir = fdopendir (dir_fd);
  if (dir == NULL)
    {
      close (dir_fd);
      return -1;
    }
  while ((e = readdir (dir)) != NULL)
    {
      size_t name_len;
      int is_dir;

      if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
        continue;
      is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN)
        {
          struct stat st;

          is_dir = fstatat (dirfd (dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
        }
      name_len = strlen (e->d_name);
      if (len + 1 + name_len >= PATH_MAX)
        continue;

      if (is_dir)
        {
          int sub = openat (dirfd (dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (sub < 0)
            continue;
          path[len] = '/';
          memcpy (path + len + 1, e->d_name, name_len + 1);
          if (walk (sub, path, len + 1 + name_len) < 0)
            {
              closedir (dir);
              return -1;
            }
          path[len] = '\0';
        }
      else if (targets != NULL && n_targets < MAX_TARGETS && ++n_files_seen % TARGET_STRIDE == 0)
        {
          Target *t = &targets[n_targets];

          memcpy (t->path, path, len);
          t->path[len] = '/';
          memcpy (t->path + len + 1, e->d_name, name_len + 1);
          memcpy (t->name, e->d_name, name_len + 1);
          t->wd = wd;
          n_targets++;
        }
    }
  closedir (dir);
  return 0;
}

/* Latency: the reader thread sits in read(); the main thread arms the
 * expected (wd, name), stamps the time and appends one byte to the file. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t answered;
static int armed;
static const Target *expected;
static int64_t write_ns, latency_ns;

static void *
reader (void *data)
{
  (void) data;
  char buf[64 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));

  for (;;)
    {
      ssize_t n = read (inotify_fd, buf, sizeof buf);
      int64_t now = bench_now_ns ();

      if (n <= 0)
        {
          if (n < 0 && errno == EINTR)
            continue;
          return NULL;
        }
      pthread_mutex_lock (&lock);
      for (char *p = buf; p < buf + n; )
        {
          const struct inotify_event *ev = (const struct inotify_event *) p;

          if (armed && (ev->mask & IN_MODIFY) && ev->wd == expected->wd && ev->len > 0 &&
              strcmp (ev->name, expected->name) == 0)
            {
              latency_ns = now - write_ns;
              armed = 0;
              sem_post (&answered);
            }
          p += sizeof *ev + ev->len;
        }
      pthread_mutex_unlock (&lock);
    }
}

static int
touch_file (const char *path)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);

  if (fd < 0 || write (fd, "x", 1) != 1)
    {
      fprintf (stderr, "write %s: %s\n", path, strerror (errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return close (fd);
}

static int
measure_latency (int reps)
{
  int64_t *lat = calloc ((size_t) reps, sizeof *lat);
  int n_ok = 0, lost = 0;

  if (n_targets == 0)
    {
      fprintf (stderr, "no files in the tree to write to\n");
      return 1;
    }
  bench_sleep_ns (100 * 1000000LL);   /* let the reader block */
  for (int i = 0; i < reps; i++)
    {
      const Target *t = &targets[i % n_targets];
      struct timespec deadline;

      pthread_mutex_lock (&lock);
      expected = t;
      armed = 1;
      write_ns = bench_now_ns ();
      pthread_mutex_unlock (&lock);
      if (touch_file (t->path) < 0)
        return 1;

      clock_gettime (CLOCK_REALTIME, &deadline);
      deadline.tv_sec += 2;
      if (sem_timedwait (&answered, &deadline) == 0)
        lat[n_ok++] = latency_ns;
      else
        {
          pthread_mutex_lock (&lock);
          armed = 0;
          pthread_mutex_unlock (&lock);
          lost++;
        }
      bench_sleep_ns (10 * 1000000LL);   /* one isolated modification at a time */
    }
  bench_sort_i64 (lat, n_ok);
  printf ("RESULT mode=latency reps=%d received=%d lost=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
          reps, n_ok, lost,
          bench_percentile (lat, n_ok, 50) / 1e6, bench_percentile (lat, n_ok, 99) / 1e6,
          n_ok > 0 ? lat[n_ok - 1] / 1e6 : -1.0);
  free (lat);
  return 0;
}

static int
measure_idle (double seconds)
{
  static BenchThreads before, after;
  long long ticks0, ticks1;
  BenchIdle idle;

  bench_sleep_ns (500 * 1000000LL);   /* let the reader block */
  /* The process's ticks are read inside the thread snapshots so that the
   * main thread's own reading of /proc stays outside that window. */
  bench_threads_snapshot (&before);
  ticks0 = bench_process_ticks ();
  bench_sleep_ns ((int64_t) (seconds * 1e9));
  ticks1 = bench_process_ticks ();
  bench_threads_snapshot (&after);
  idle = bench_threads_diff (&before, &after);
  printf ("RESULT mode=idle seconds=%g ticks=%lld other_ticks=%lld other_wakeups=%lld other_cpu_us=%lld "
          "main_wakeups=%lld threads=%d\n",
          seconds, ticks1 - ticks0, idle.other_ticks, idle.other_switches, idle.other_run_ns / 1000,
          idle.main_switches, idle.threads);
  return 0;
}

int
main (int argc, char **argv)
{
  static char path[PATH_MAX];
  int latency_reps = 0, root_fd;
  double idle_seconds = 0;
  int64_t t0, t1;
  pthread_t thread;

  if (argc == 4 && strcmp (argv[2], "--latency") == 0)
    latency_reps = atoi (argv[3]);
  else if (argc == 4 && strcmp (argv[2], "--idle") == 0)
    idle_seconds = atof (argv[3]);
  else if (argc != 2)
    {
      fprintf (stderr, "usage: %s TREE [--latency N | --idle SECONDS]\n", argv[0]);
      return 2;
    }
  if (realpath (argv[1], path) == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[1], strerror (errno));
      return 1;
    }
  if (latency_reps > 0)
    targets = calloc (MAX_TARGETS, sizeof *targets);

  t0 = bench_now_ns ();
  inotify_fd = inotify_init1 (IN_CLOEXEC);
  root_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (inotify_fd < 0 || root_fd < 0 || walk (root_fd, path, strlen (path)) < 0)
    {
      fprintf (stderr, "setup failed\n");
      return 1;
    }
  t1 = bench_now_ns ();

  if (latency_reps == 0 && idle_seconds == 0)
    {
      printf ("RESULT mode=setup setup_s=%.4f dirs=%u hwm_kib=%ld rss_anon_kib=%ld rss_file_kib=%ld\n",
              (t1 - t0) / 1e9, n_dirs, bench_self_kib ("VmHWM"),
              bench_self_kib ("RssAnon"), bench_self_kib ("RssFile"));
      return 0;
    }

  sem_init (&answered, 0, 0);
  if (pthread_create (&thread, NULL, reader, NULL) != 0)
    return 1;
  /* The reader stays blocked in read(); exit() ends it. */
  return latency_reps > 0 ? measure_latency (latency_reps) : measure_idle (idle_seconds);
}
