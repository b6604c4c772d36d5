/* SPDX-License-Identifier: MIT */
/* poll-backend.c: the "poll" backend module, the twin of notify's PollWatcher.
 *
 * One thread rescans every root with the backend kit's snapshot and pushes
 * the difference; it works on any filesystem, so it is the fallback when no
 * kernel facility serves.  What a scan sees and how it is reported is the
 * kit's (wf-kit-snapshot.h), and so is its pace (wf-kit-pace.h: at least
 * poll_delay_ms between scans, and scanning within poll_cpu_percent of one
 * core); what lives here is the thread.
 */
#include "config.h"


#include <gio/gio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"
#include "wf-kit-pace.h"
#include "wf-kit-snapshot.h"
#include "wf-kit-status.h"

struct _WfBackendInstance {
  WfSink *sink;
  WfKitScanOptions scan_options;
  WfKitPace pace;             /* used by the thread only, but for describe() */

  GMutex lock;
  GCond wake;                 /* signalled by stop() only */
  gboolean stopping;          /* under lock */
  GPtrArray *roots;           /* WfKitSnapshot*, under lock */
  GThread *thread;
  guint n_scans;              /* completed cycles, under lock: shows the pace */
};

/* Options of an older core lack the fields appended since: those keep
 * their defaults. */
#define OPTIONS_HAVE(options, field) WF_STRUCT_HAS_FIELD (options, WfBackendOptions, field)

static gpointer
poll_thread (gpointer data)
{
  WfBackendInstance *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      guint n_changes = 0;
      gint64 deadline;

      wf_kit_pace_scan_started (&self->pace);
      /* The lock is dropped between roots so add_root() and remove_root()
       * never wait for a whole cycle; a root shifted by a removal is only
       * scanned one cycle later. */
      for (guint i = 0; i < self->roots->len && !self->stopping; i++)
        {
          n_changes += wf_kit_snapshot_rescan (self->roots->pdata[i], self->sink, WF_RAW_FLAG_NONE);
          g_mutex_unlock (&self->lock);
          g_mutex_lock (&self->lock);
        }

      self->n_scans++;
      deadline = g_get_monotonic_time () + wf_kit_pace_scan_done (&self->pace, n_changes > 0);
      while (!self->stopping)
        {
          if (!g_cond_wait_until (&self->wake, &self->lock, deadline))
            break;
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Everything poll_start() made, once no thread uses it. */
static void
poll_instance_free (WfBackendInstance *self)
{
  g_ptr_array_unref (self->roots);
  g_cond_clear (&self->wake);
  g_mutex_clear (&self->lock);
  wf_kit_scan_options_clear (&self->scan_options);
  wf_sink_unref (self->sink);
  g_free (self);
}

static WfBackendInstance *
poll_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  guint delay_ms = WF_KIT_PACE_DEFAULT_DELAY_MS;
  guint cpu_percent = WF_KIT_PACE_DEFAULT_CPU_PERCENT;
  WfBackendInstance *self;

  g_return_val_if_fail (sink != NULL, NULL);

  self = g_new0 (WfBackendInstance, 1);
  wf_kit_scan_options_init (&self->scan_options, options);
  if (options != NULL)
    {
      if (OPTIONS_HAVE (options, poll_delay_ms))
        delay_ms = options->poll_delay_ms;
      if (OPTIONS_HAVE (options, poll_cpu_percent))
        cpu_percent = options->poll_cpu_percent;
    }
  wf_kit_pace_init (&self->pace, delay_ms, cpu_percent);

  self->sink = wf_sink_ref (sink);
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_kit_snapshot_free);

  self->thread = g_thread_try_new ("wf-poll", poll_thread, self, error);
  if (self->thread == NULL)
    {
      poll_instance_free (self);
      return NULL;
    }
  return self;
}

static gboolean
poll_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  WfKitSnapshot *snapshot;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* Built without the lock, so the thread keeps scanning the other roots
   * meanwhile; changes made while it is built show up in the next scan.
   * RustNotify checks existence before anything else, and never skips it;
   * other failures were already skipped if asked to. */
  snapshot = wf_kit_snapshot_new_built (path, &self->scan_options, error);
  if (snapshot == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  wf_kit_root_snapshots_put (self->roots, snapshot);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
poll_remove_root (WfBackendInstance *self, const char *path)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  g_mutex_lock (&self->lock);
  wf_kit_root_snapshots_remove (self->roots, path);
  g_mutex_unlock (&self->lock);
}

/* A poller never loses sync: every scan is a full one, so it has no
 * rescans to count (wf_kit_root_snapshots_count() leaves them 0). */

static char *
poll_describe (WfBackendInstance *self)
{
  g_autofree char *own_fields = NULL;
  WfKitCounts counts;
  guint n_entries;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  wf_kit_root_snapshots_count (self->roots, &counts, &n_entries);
  own_fields = g_strdup_printf ("delay: %ums, cpu budget: %u%%, pause: %" G_GINT64_FORMAT "ms, "
                                "cycles: %u, entries: %u",
                                self->pace.delay_ms, self->pace.cpu_percent,
                                self->pace.last_pause_us / G_TIME_SPAN_MILLISECOND, self->n_scans, n_entries);
  g_mutex_unlock (&self->lock);
  return wf_kit_describe ("PollBackend", own_fields, &counts);
}

static void
poll_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  WfKitCounts counts;

  g_return_if_fail (self != NULL);
  g_return_if_fail (status != NULL);

  g_mutex_lock (&self->lock);
  wf_kit_root_snapshots_count (self->roots, &counts, NULL);
  g_mutex_unlock (&self->lock);
  wf_kit_status_fill (status, &counts);
}

static void
poll_stop (WfBackendInstance *self)
{
  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  poll_instance_free (self);
}

static gboolean
poll_probe (G_GNUC_UNUSED const char *path, int *priority, G_GNUC_UNUSED GError **error)
{
  /* stat() works everywhere, so polling can always serve, last. */
  if (priority != NULL)
    *priority = WF_BACKEND_PRIORITY_POLL;
  return TRUE;
}

static const WfBackendVTable poll_vtable = {
  .abi_major = WF_BACKEND_ABI_MAJOR,
  .struct_size = sizeof (WfBackendVTable),
  .name = "poll",
  .description = "Rescans the watched trees within a CPU budget and compares file fingerprints",
  .probe = poll_probe,
  .start = poll_start,
  .add_root = poll_add_root,
  .remove_root = poll_remove_root,
  .describe = poll_describe,
  .query_status = poll_query_status,
  .stop = poll_stop,
  .flags = WF_BACKEND_FLAG_ROOTS_MUST_EXIST | WF_BACKEND_FLAG_REPORTS_GIVEN_PATHS,
};

WF_BACKEND_MODULE_EXPORT (poll_vtable)
