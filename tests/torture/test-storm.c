/* SPDX-License-Identifier: MIT */
/* test-storm.c: a bounded storm against every backend (issue 11, "proof
 * under abuse").  While a thread drives a blocking wf_notify_watch() loop,
 * the test makes 200,000 changes (create, modify, delete) cycling over a few
 * thousand names, some left existing at the end, then waits for a quiet
 * period and checks what the batches said: no batch holds a (change, path)
 * twice or more pairs than there are distinct ones (the pending set is a
 * set, whatever the event rate), every path that exists at the end was last
 * reported added or modified, every path reported and gone at the end was
 * last reported deleted, nothing was reported that never existed, and the
 * peak RSS grew by a bounded amount.  The inotify variant with a tiny
 * kernel queue (root only) checks the same end result after the resyncs
 * that the overflows force.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wf-test-util.h"

#define N_EVENTS 200000
#define N_DIRS 8
#define N_NAMES 3000
/* After the burst, the batches are over once none came for this long. */
#define QUIET_US (2 * G_USEC_PER_SEC)
/* ... and the test gives up waiting for that after this long. */
#define SETTLE_MAX_US (40 * G_USEC_PER_SEC)
#define MAX_QUEUED_EVENTS "/proc/sys/fs/inotify/max_queued_events"
#define TINY_QUEUE "64\n"

/* AddressSanitizer keeps up to 256 MiB of freed memory in quarantine: the
 * peak RSS then says more about the sanitizer than about the library. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_MAX_KIB (384 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_GROWTH_MAX_KIB (384 * 1024)
#endif
#endif
#ifndef RSS_GROWTH_MAX_KIB
#define RSS_GROWTH_MAX_KIB (64 * 1024)
#endif

typedef struct {
  WfTestFixture base;
  /* The kernel's queue limit while lowered, to put back in any case. */
  char *saved_queue_limit;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer backend)
{
  wf_test_backend_fixture_set_up (&fixture->base, backend);
  fixture->saved_queue_limit = NULL;
}

static void
restore_queue_limit (Fixture *fixture)
{
  if (fixture->saved_queue_limit == NULL)
    return;
  if (!wf_test_write_sysctl (MAX_QUEUED_EVENTS, fixture->saved_queue_limit))
    g_printerr ("could not restore " MAX_QUEUED_EVENTS " to %s", fixture->saved_queue_limit);
  g_clear_pointer (&fixture->saved_queue_limit, g_free);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer backend)
{
  restore_queue_limit (fixture);
  wf_test_fixture_tear_down (&fixture->base, backend);
}

/* ---- the watcher's thread ------------------------------------------------ */

typedef struct {
  WfNotify *notify;
  GCancellable *stop;
  GMutex lock;
  /* Each a GPtrArray of WfFileChange, in the order they came. */
  GPtrArray *batches;
  gint64 last_batch;
  GError *error;
} Watcher;

static gpointer
watch_thread (gpointer data)
{
  Watcher *watcher = data;

  for (;;)
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GError) error = NULL;
      /* RustNotify's defaults (and the CLI's): 1600 ms debounce, 50 ms step. */
      WfWatchResult result = wf_notify_watch (watcher->notify, 1600, 50, 200, watcher->stop, -1, &changes, &error);

      if (result == WF_WATCH_RESULT_TIMEOUT)
        continue;
      g_mutex_lock (&watcher->lock);
      if (result == WF_WATCH_RESULT_CHANGES)
        {
          g_ptr_array_add (watcher->batches, g_steal_pointer (&changes));
          watcher->last_batch = g_get_monotonic_time ();
        }
      else if (result == WF_WATCH_RESULT_ERROR)
        watcher->error = g_steal_pointer (&error);
      g_mutex_unlock (&watcher->lock);
      if (result != WF_WATCH_RESULT_CHANGES)
        return NULL;
    }
}

/* ---- memory ---------------------------------------------------------------- */

static guint64
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, field);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
}

/* Resets VmHWM to the current RSS (Linux >= 4.0), so one test's peak is not
 * the one before it; FALSE where it cannot, and VmHWM is then the process's. */
static gboolean
reset_peak_rss (void)
{
  return wf_test_write_sysctl ("/proc/self/clear_refs", "5\n");
}

/* ---- the storm --------------------------------------------------------------- */

static char *
name_path (Fixture *fixture, guint i)
{
  return g_strdup_printf ("%s/d%u/f%04u", fixture->base.tmpdir, i % N_DIRS, i);
}

typedef struct {
  guint events;
  gboolean *exists;
  gint64 start;
  gint64 end;
} Burst;

static void
create_file (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (close (fd), ==, 0);
}

static void
append_file (const char *path)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "storm\n", 6), ==, 6);
  g_assert_cmpint (close (fd), ==, 0);
}

/* Rounds of create, modify, delete over every name; in the last round one
 * name in four is not deleted; a few more modifies of those make the count. */
static void
burst (Burst *burst, GPtrArray *paths)
{
  guint last_round = 3 * N_NAMES - (N_NAMES + 3) / 4;
  guint cycle;

  burst->exists = g_new0 (gboolean, N_NAMES);
  burst->events = 0;
  burst->start = g_get_monotonic_time ();
  for (cycle = 0; burst->events + 3 + last_round <= N_EVENTS; cycle++)
    {
      const char *path = paths->pdata[cycle % N_NAMES];

      create_file (path);
      append_file (path);
      g_assert_cmpint (unlink (path), ==, 0);
      burst->events += 3;
    }
  for (guint i = 0; i < N_NAMES; i++)
    {
      create_file (paths->pdata[i]);
      append_file (paths->pdata[i]);
      burst->events += 2;
      if (i % 4 == 0)
        burst->exists[i] = TRUE;
      else
        {
          g_assert_cmpint (unlink (paths->pdata[i]), ==, 0);
          burst->events++;
        }
    }
  for (guint i = 0; burst->events < N_EVENTS; i = (i + 4) % N_NAMES)
    {
      append_file (paths->pdata[i]);
      burst->events++;
    }
  burst->end = g_get_monotonic_time ();
}

/* Waits for QUIET_US without a batch after the burst. */
static void
await_quiet (Watcher *watcher, gint64 burst_end)
{
  gint64 deadline = burst_end + SETTLE_MAX_US;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 last;
      gboolean failed;

      g_mutex_lock (&watcher->lock);
      last = MAX (watcher->last_batch, burst_end);
      failed = watcher->error != NULL;
      g_mutex_unlock (&watcher->lock);
      if (failed || now - last >= QUIET_US)
        return;
      g_assert_cmpint (now, <, deadline);
      g_usleep (50 * 1000);
    }
}

typedef struct {
  guint last_batch;
  guint mask;  /* the changes in that batch, 1 << WfChange */
} Seen;

static void
check_batches (Fixture *fixture, GPtrArray *batches, GPtrArray *paths, const Burst *burst, guint *changes_total,
               guint *max_batch)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  /* Each name can be added, modified and deleted; so can a directory be
   * modified (or even more, on a backend that says so): the set's bound. */
  guint distinct = 3 * (N_NAMES + N_DIRS + 1);
  guint misses = 0;

  for (guint i = 0; i < N_NAMES; i++)
    g_hash_table_add (known, paths->pdata[i]);
  g_hash_table_add (known, fixture->base.tmpdir);
  for (guint d = 0; d < N_DIRS; d++)
    {
      char *dir = g_strdup_printf ("%s/d%u", fixture->base.tmpdir, d);

      g_ptr_array_add (dirs, dir);
      g_hash_table_add (known, dir);
    }

  *changes_total = 0;
  *max_batch = 0;
  for (guint b = 0; b < batches->len; b++)
    {
      GPtrArray *batch = batches->pdata[b];
      g_autoptr(GHashTable) pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      g_assert_cmpuint (batch->len, <=, distinct);
      *changes_total += batch->len;
      *max_batch = MAX (*max_batch, batch->len);
      for (guint c = 0; c < batch->len; c++)
        {
          WfFileChange *change = batch->pdata[c];
          const char *path = wf_file_change_get_path (change);
          WfChange kind = wf_file_change_get_change (change);
          char *pair = g_strdup_printf ("%d:%s", kind, path);
          Seen *entry;

          if (!g_hash_table_add (pairs, pair))
            g_error ("batch %u holds %s twice", b, pair);
          if (!g_hash_table_contains (known, path))
            g_error ("batch %u reports %s, which never existed", b, pair);
          entry = g_hash_table_lookup (seen, path);
          if (entry == NULL)
            {
              entry = g_new0 (Seen, 1);
              g_hash_table_insert (seen, (gpointer) g_hash_table_lookup (known, path), entry);
              entry->last_batch = b;
            }
          if (entry->last_batch != b)
            {
              entry->last_batch = b;
              entry->mask = 0;
            }
          entry->mask |= 1u << kind;
        }
    }

  for (guint i = 0; i < N_NAMES; i++)
    {
      const char *path = paths->pdata[i];
      Seen *entry = g_hash_table_lookup (seen, path);

      if (burst->exists[i])
        {
          /* It exists: the last batch naming it said so. */
          if (entry == NULL || (entry->mask & (1u << WF_CHANGE_ADDED | 1u << WF_CHANGE_MODIFIED)) == 0)
            {
              if (misses++ < 10)
                g_test_message ("exists at the end, not reported so: %s (last batch %d, mask 0x%x)", path,
                                entry != NULL ? (int) entry->last_batch : -1, entry != NULL ? entry->mask : 0);
            }
        }
      else if (entry != NULL && (entry->mask & 1u << WF_CHANGE_DELETED) == 0)
        {
          /* Reported, and gone: the last batch naming it said it went. */
          if (misses++ < 10)
            g_test_message ("gone at the end, last reported present: %s (batch %u, mask 0x%x)", path,
                            entry->last_batch, entry->mask);
        }
    }
  g_assert_cmpuint (misses, ==, 0);
}

static void
run_storm (Fixture *fixture, gboolean tiny_queue)
{
  const char *backend = fixture->base.backend;
  const char *const roots[] = { fixture->base.tmpdir, NULL };
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Watcher watcher = { 0 };
  Burst storm = { 0 };
  GThread *thread;
  gboolean reset;
  guint64 rss_before, hwm_before, hwm_after;
  guint changes_total, max_batch, n_rescans;
  gint64 start = g_get_monotonic_time ();

  for (guint d = 0; d < N_DIRS; d++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/d%u", fixture->base.tmpdir, d);
      wf_test_mkdir (dir);
    }
  for (guint i = 0; i < N_NAMES; i++)
    g_ptr_array_add (paths, name_path (fixture, i));

  if (tiny_queue)
    {
      /* The kernel reads the limit when an inotify instance is made: it is
       * lowered just around the watcher's construction, not for the whole
       * burst, which would also starve other processes' new instances. */
      g_assert_true (g_file_get_contents (MAX_QUEUED_EVENTS, &fixture->saved_queue_limit, NULL, NULL));
      if (!wf_test_write_sysctl (MAX_QUEUED_EVENTS, TINY_QUEUE))
        {
          g_clear_pointer (&fixture->saved_queue_limit, g_free);
          g_test_skip ("cannot write " MAX_QUEUED_EVENTS);
          return;
        }
    }
  watcher.notify = wf_test_notify_new (backend, roots, TRUE, FALSE, &error);
  restore_queue_limit (fixture);
  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (watcher.notify), ==, backend);
  watcher.stop = g_cancellable_new ();
  watcher.batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_mutex_init (&watcher.lock);
  thread = g_thread_new ("storm-watcher", watch_thread, &watcher);

  reset = reset_peak_rss ();
  rss_before = status_kib ("VmRSS:");
  hwm_before = status_kib ("VmHWM:");
  burst (&storm, paths);
  await_quiet (&watcher, storm.end);
  hwm_after = status_kib ("VmHWM:");

  g_cancellable_cancel (watcher.stop);
  g_thread_join (thread);
  g_assert_no_error (watcher.error);
  n_rescans = wf_test_status (watcher.notify, wf_status_get_n_rescans);

  check_batches (fixture, watcher.batches, paths, &storm, &changes_total, &max_batch);

  g_test_message ("storm %s%s: %u events over %u names (%u distinct (change, path) pairs at most) in %.2f s; "
                  "%u batches, %u changes reported, largest batch %u; rescans %u",
                  backend, tiny_queue ? " (queue " "64" ")" : "", storm.events, N_NAMES, 3 * (N_NAMES + N_DIRS + 1),
                  (storm.end - storm.start) / 1e6, watcher.batches->len, changes_total, max_batch, n_rescans);
  g_test_message ("storm %s: RSS %" G_GUINT64_FORMAT " KiB before; peak %" G_GUINT64_FORMAT " KiB before, %"
                  G_GUINT64_FORMAT " KiB after (growth %" G_GINT64_FORMAT " KiB, bound %d KiB%s); total %.2f s",
                  backend, rss_before, hwm_before, hwm_after, (gint64) hwm_after - (gint64) hwm_before,
                  RSS_GROWTH_MAX_KIB, reset ? "" : ", peak not reset: the process's", (g_get_monotonic_time () - start) / 1e6);

  g_assert_cmpuint (storm.events, ==, N_EVENTS);
  g_assert_cmpuint (watcher.batches->len, >, 0);
  g_assert_cmpint ((gint64) hwm_after - (gint64) hwm_before, <, RSS_GROWTH_MAX_KIB);
  if (tiny_queue)
    {
      /* 200,000 changes through a 64-event queue while the reader shares
       * the machine: it overflowed, and the resync reported the difference. */
      g_assert_cmpuint (n_rescans, >, 0);
    }

  g_free (storm.exists);
  g_ptr_array_unref (watcher.batches);
  g_mutex_clear (&watcher.lock);
  g_object_unref (watcher.stop);
  wf_notify_close (watcher.notify);
  g_object_unref (watcher.notify);
}

static void
test_storm (Fixture *fixture, gconstpointer backend)
{
  run_storm (fixture, FALSE);
}

static void
test_storm_overflow (Fixture *fixture, gconstpointer backend)
{
  if (wf_test_skip_unless_backend ("inotify"))
    return;
  if (getuid () != 0)
    {
      g_test_skip ("lowering fs.inotify.max_queued_events needs root");
      return;
    }
  run_storm (fixture, TRUE);
}

int
main (int argc, char **argv)
{
  const char *const *backends;

  g_test_init (&argc, &argv, NULL);
  backends = wf_test_backends ();
  for (guint i = 0; backends[i] != NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("/storm/%s", backends[i]);
      g_test_add (name, Fixture, backends[i], fixture_set_up, test_storm, fixture_tear_down);
    }
  g_test_add ("/storm/inotify/queue-overflow", Fixture, "inotify", fixture_set_up, test_storm_overflow,
              fixture_tear_down);
  return g_test_run ();
}
