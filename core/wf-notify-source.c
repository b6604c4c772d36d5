/* SPDX-License-Identifier: MIT */
/* wf-notify-source.c: watch()'s step (wf-watch-step.c) driven by a
 * GMainContext instead of a blocking wait.
 *
 * GIO's GFileMonitorSource pattern (gio/glocalfilemonitor.c): the backends
 * push into the thread-safe sink from their own threads and make its wake-up
 * descriptor readable; this source polls that descriptor in the context it
 * is attached to, and keeps the debounce deadline as its ready time, so
 * every callback runs in that context and no timer is armed while nothing
 * is pending and no timeout is due.  The watcher is held by a weak
 * reference: a source outliving it dispatches nothing.
 */
#include "config.h"

#include "wf-notify-source-private.h"
#include "wf-wait-private.h"
#include "wf-watch-step-private.h"

typedef struct {
  GSource source;

  GWeakRef notify;
  WfSink *sink;
  GCancellable *stop;
  GCancellable *cancellable;
  WfWatchStep step;       /* borrows sink and stop from above */
} WfNotifySource;

/* The cancellables' own sources are children of this one: their readiness
 * dispatches it, and it looks at both. */
static gboolean
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
add_cancellable (GSource *source, GCancellable *cancellable)
{
  g_autoptr(GSource) child = NULL;

  if (cancellable == NULL)
    return;
  child = g_cancellable_source_new (cancellable);
  g_source_set_callback (child, G_SOURCE_FUNC (cancelled_cb), NULL, NULL);
  g_source_add_child_source (source, child);
}

/* The call's own cancellable, after the stop (watch() has none). */
static int
check_cancellable (gpointer data, GError **error)
{
  WfNotifySource *self = data;

  return g_cancellable_set_error_if_cancelled (self->cancellable, error) ? WF_WATCH_RESULT_ERROR : -1;
}

static gboolean
wf_notify_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  WfNotifySource *self = (WfNotifySource *) source;
  g_autoptr(WfNotify) notify = g_weak_ref_get (&self->notify);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  WfWatchResult result;
  gint64 wake_at;
  gboolean again;

  /* Disposed, or stopped from another thread while this dispatch was
   * being prepared: no late callback, and no batch taken from the sink. */
  if (notify == NULL || callback == NULL || g_source_is_destroyed (source))
    return G_SOURCE_REMOVE;

  if (!wf_watch_step_run (&self->step, notify, &result, &changes, &wake_at, &error))
    {
      /* -1 while nothing is pending and no timeout runs: no timer. */
      g_source_set_ready_time (source, wake_at);
      return G_SOURCE_CONTINUE;
    }

  /* The batch goes to the callback: a binding taking a (transfer full)
   * array from finish() frees its elements, so nobody else may hold it. */
  again = ((WfNotifySourceFunc) (void (*) (void)) callback) (notify, result, g_steal_pointer (&changes),
                                                              error, user_data);
  if (again)
    {
      /* The next batch is a new call: it starts now, and the callback may
       * have run long enough for changes to be pending already. */
      wf_watch_step_restart (&self->step);
      g_source_set_ready_time (source, 0);
    }
  return again;
}

static void
wf_notify_source_finalize (GSource *source)
{
  WfNotifySource *self = (WfNotifySource *) source;

  g_weak_ref_clear (&self->notify);
  g_clear_pointer (&self->sink, wf_sink_unref);
  g_clear_object (&self->stop);
  g_clear_object (&self->cancellable);
}

static GSourceFuncs wf_notify_source_funcs = {
  .dispatch = wf_notify_source_dispatch,
  .finalize = wf_notify_source_finalize,
};

GSource *
wf_notify_source_new (WfNotify *notify,
                      WfSink *sink,
                      guint debounce_ms,
                      guint step_ms,
                      guint timeout_ms,
                      GCancellable *stop,
                      GCancellable *cancellable)
{
  GSource *source = g_source_new (&wf_notify_source_funcs, sizeof (WfNotifySource));
  WfNotifySource *self = (WfNotifySource *) source;

  g_source_set_static_name (source, "WfNotifySource");
  g_weak_ref_init (&self->notify, notify);
  self->sink = wf_sink_ref (sink);
  self->stop = stop != NULL ? g_object_ref (stop) : NULL;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  wf_watch_step_init (&self->step, self->sink, self->stop, debounce_ms, step_ms, timeout_ms);
  self->step.after_stop = check_cancellable;
  self->step.check_data = self;

  add_cancellable (source, stop);
  add_cancellable (source, cancellable);
  wf_wait_source_add_fd (source, wf_sink_get_wakeup_fd (sink));
  /* Look once at once: changes may be pending from before the call. */
  g_source_set_ready_time (source, 0);
  return source;
}
