/* SPDX-License-Identifier: MIT */
/* bench-proc.h: what the benchmarks read about their own process from
 * /proc (peak RSS, CPU ticks, per-thread context switches), and a monotonic
 * clock.  Plain libc so the raw inotify baseline can share it without GLib. */
#pragma once

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline int64_t
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void
bench_sleep_ns (int64_t ns)
{
  struct timespec ts = { ns / 1000000000, ns % 1000000000 };

  while (clock_nanosleep (CLOCK_MONOTONIC, 0, &ts, &ts) != 0)
    ;
}

/* A "Key:   123 kB" field of a status file, in KiB; -1 if absent. */
static inline long
bench_status_field (const char *status_path, const char *key)
{
  char line[256];
  size_t key_len = strlen (key);
  long value = -1;
  FILE *f = fopen (status_path, "re");

  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, key, key_len) == 0 && line[key_len] == ':')
      {
        value = strtol (line + key_len + 1, NULL, 10);
        break;
      }
  fclose (f);
  return value;
}

static inline long
bench_self_kib (const char *key)
{
  return bench_status_field ("/proc/self/status", key);
}

/* utime + stime in clock ticks (fields 14 and 15 of a stat file, counted
 * after the parenthesised command name). */
static inline long long
bench_stat_ticks (const char *stat_path)
{
  char buf[1024];
  unsigned long utime = 0, stime = 0;
  char *p;
  size_t n;
  FILE *f = fopen (stat_path, "re");

  if (f == NULL)
    return -1;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL)
    return -1;
  /* After ") " come field 3 (state) ... field 13; utime is field 14. */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return -1;
  return (long long) (utime + stime);
}

/* The whole process, every thread included. */
static inline long long
bench_process_ticks (void)
{
  return bench_stat_ticks ("/proc/self/stat");
}

typedef struct {
  pid_t tid;
  long long switches;   /* voluntary + nonvoluntary */
  long long run_ns;     /* time on CPU, first field of schedstat */
  long long ticks;      /* utime + stime */
  char comm[32];
} BenchThread;

typedef struct {
  BenchThread threads[256];
  int n;
} BenchThreads;

static inline void
bench_threads_snapshot (BenchThreads *snap)
{
  DIR *dir = opendir ("/proc/self/task");
  struct dirent *e;

  snap->n = 0;
  if (dir == NULL)
    return;
  while ((e = readdir (dir)) != NULL && snap->n < (int) (sizeof snap->threads / sizeof snap->threads[0]))
    {
      BenchThread *t = &snap->threads[snap->n];
      char path[128];
      FILE *f;

      if (e->d_name[0] == '.')
        continue;
      memset (t, 0, sizeof *t);
      t->tid = (pid_t) atoi (e->d_name);
      snprintf (path, sizeof path, "/proc/self/task/%d/status", (int) t->tid);
      t->switches = bench_status_field (path, "voluntary_ctxt_switches") +
                    bench_status_field (path, "nonvoluntary_ctxt_switches");
      snprintf (path, sizeof path, "/proc/self/task/%d/stat", (int) t->tid);
      t->ticks = bench_stat_ticks (path);
      snprintf (path, sizeof path, "/proc/self/task/%d/schedstat", (int) t->tid);
      if ((f = fopen (path, "re")) != NULL)
        {
          if (fscanf (f, "%lld", &t->run_ns) != 1)
            t->run_ns = 0;
          fclose (f);
        }
      snprintf (path, sizeof path, "/proc/self/task/%d/comm", (int) t->tid);
      if ((f = fopen (path, "re")) != NULL)
        {
          if (fgets (t->comm, sizeof t->comm, f) != NULL)
            t->comm[strcspn (t->comm, "\n")] = '\0';
          fclose (f);
        }
      snap->n++;
    }
  closedir (dir);
}

typedef struct {
  long long other_switches;   /* every thread but the main one */
  long long other_run_ns;
  long long other_ticks;
  long long main_switches;
  int threads;
} BenchIdle;

/* Differences between two snapshots.  A thread born in between counts from
 * zero; per-thread lines for any thread that woke go to stderr. */
static inline BenchIdle
bench_threads_diff (const BenchThreads *before, const BenchThreads *after)
{
  BenchIdle idle = { 0, 0, 0, 0, after->n };
  pid_t main_tid = getpid ();

  for (int i = 0; i < after->n; i++)
    {
      const BenchThread *a = &after->threads[i];
      long long switches = a->switches, run_ns = a->run_ns, ticks = a->ticks;

      for (int j = 0; j < before->n; j++)
        if (before->threads[j].tid == a->tid)
          {
            switches -= before->threads[j].switches;
            run_ns -= before->threads[j].run_ns;
            ticks -= before->threads[j].ticks;
            break;
          }
      if (a->tid == main_tid)
        {
          idle.main_switches = switches;
          continue;
        }
      idle.other_switches += switches;
      idle.other_run_ns += run_ns;
      idle.other_ticks += ticks;
      if (switches != 0 || ticks != 0)
        fprintf (stderr, "  thread %d (%s): %lld context switches, %lld ticks, %lld ns on CPU\n",
                 (int) a->tid, a->comm, switches, ticks, run_ns);
    }
  return idle;
}

static int
bench_cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of @n sorted values. */
static inline int64_t
bench_percentile (const int64_t *sorted, int n, double p)
{
  int rank;

  if (n == 0)
    return -1;
  rank = (int) (p / 100.0 * n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return sorted[rank - 1];
}

static inline void
bench_sort_i64 (int64_t *values, int n)
{
  qsort (values, (size_t) n, sizeof *values, bench_cmp_i64);
}
