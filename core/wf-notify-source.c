/* wf-notify-source.c: one watch() loop turned inside out, for a GMainContext.
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

#include "wf-debounce-private.h"
#include "wf-error.h"
#include "wf-notify-source-private.h"

typedef struct {
  GSource source;

  GWeakRef notify;
  WfSink *sink;
  GCancellable *stop;
  GCancellable *cancellable;
  guint debounce_ms;
  guint step_ms;
  guint timeout_ms;
  WfDebounce debounce;
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

/* One turn of wf_notify_watch()'s loop; returns the result when the wait
 * is over, WF_WATCH_RESULT_ERROR with @error unset while it goes on. */
static WfWatchResult
wf_notify_source_step (WfNotifySource *self, WfNotify *notify, GPtrArray **changes, GError **error)
{
  GSource *source = (GSource *) self;

  for (;;)
    {
      gint64 wake_at = -1;
      gsize pending;

      /* Quiet the descriptor before looking, so any growth after the look
       * makes this source ready again. */
      wf_sink_acknowledge (self->sink);

      /* The order of wf_notify_watch(): error, stop, then the set. */
      if (wf_sink_get_failure (self->sink, error))
        return WF_WATCH_RESULT_ERROR;
      if (self->stop != NULL && g_cancellable_is_cancelled (self->stop))
        {
          wf_sink_debug (self->sink, "stop event set, stopping...");
          return WF_WATCH_RESULT_STOP;
        }
      if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
        return WF_WATCH_RESULT_ERROR;

      pending = wf_sink_get_size (self->sink);
      if (wf_notify_is_closed (notify))
        {
          /* As in watch(): what is pending now, then the error (the
           * descriptor stays readable, so waiting would spin). */
          g_autoptr(GPtrArray) batch = pending > 0 ? wf_sink_take_changes (self->sink) : NULL;

          if (batch == NULL || batch->len == 0)
            {
              g_set_error_literal (error, WF_ERROR, WF_ERROR_CLOSED, "Watchfiles watcher closed");
              return WF_WATCH_RESULT_ERROR;
            }
          *changes = g_steal_pointer (&batch);
          return WF_WATCH_RESULT_CHANGES;
        }

      switch (wf_debounce_observe (&self->debounce, g_get_monotonic_time (), pending, &wake_at))
        {
        case WF_DEBOUNCE_RELEASE:
          {
            g_autoptr(GPtrArray) batch = wf_sink_take_changes (self->sink);

            /* Empty only if a concurrent watch took them: keep waiting. */
            if (batch->len == 0)
              continue;
            *changes = g_steal_pointer (&batch);
            return WF_WATCH_RESULT_CHANGES;
          }
        case WF_DEBOUNCE_TIMEOUT:
          return WF_WATCH_RESULT_TIMEOUT;
        case WF_DEBOUNCE_WAIT:
        default:
          /* -1 while nothing is pending and no timeout runs: no timer. */
          g_source_set_ready_time (source, wake_at);
          return WF_WATCH_RESULT_ERROR;
        }
    }
}

static gboolean
wf_notify_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  WfNotifySource *self = (WfNotifySource *) source;
  g_autoptr(WfNotify) notify = g_weak_ref_get (&self->notify);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  WfWatchResult result;
  gboolean again;

  /* Disposed, or stopped from another thread while this dispatch was
   * being prepared: no late callback, and no batch taken from the sink. */
  if (notify == NULL || callback == NULL || g_source_is_destroyed (source))
    return G_SOURCE_REMOVE;

  result = wf_notify_source_step (self, notify, &changes, &error);
  if (result == WF_WATCH_RESULT_ERROR && error == NULL)
    return G_SOURCE_CONTINUE;

  /* The batch goes to the callback: a binding taking a (transfer full)
   * array from finish() frees its elements, so nobody else may hold it. */
  again = ((WfNotifySourceFunc) (void (*) (void)) callback) (notify, result, g_steal_pointer (&changes),
                                                              error, user_data);
  if (again)
    {
      /* The next batch is a new call: it starts now, and the callback may
       * have run long enough for changes to be pending already. */
      wf_debounce_init (&self->debounce, g_get_monotonic_time (),
                        self->debounce_ms, self->step_ms, self->timeout_ms);
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
  self->debounce_ms = debounce_ms;
  self->step_ms = step_ms;
  self->timeout_ms = timeout_ms;
  wf_debounce_init (&self->debounce, g_get_monotonic_time (), debounce_ms, step_ms, timeout_ms);

  add_cancellable (source, stop);
  add_cancellable (source, cancellable);
  g_source_add_unix_fd (source, wf_sink_get_wakeup_fd (sink), G_IO_IN);
  /* Look once at once: changes may be pending from before the call. */
  g_source_set_ready_time (source, 0);
  return source;
}
