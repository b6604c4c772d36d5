/* SPDX-License-Identifier: MIT */
/* wf-watch-step.c: one turn of a watch (what both the blocking wait and
 * the main-loop source do each time their descriptors wake them): look at
 * the failure, the stop, the close and the pending set in RustNotify's
 * order, ask the debounce engine, and hand over a batch or say when to
 * look again.  No waiting here: that is the caller's, through
 * wf-wait-private.h (blocking) or its GMainContext (source).
 */
#include "config.h"

#include "wf-error.h"
#include "wf-watch-step-private.h"

void
wf_watch_step_init (WfWatchStep *step,
                    WfSink *sink,
                    GCancellable *stop,
                    guint debounce_ms,
                    guint step_ms,
                    guint timeout_ms)
{
  *step = (WfWatchStep) {
    .sink = sink,
    .stop = stop,
    .debounce_ms = debounce_ms,
    .step_ms = step_ms,
    .timeout_ms = timeout_ms,
  };
  wf_watch_step_restart (step);
}

void
wf_watch_step_restart (WfWatchStep *step)
{
  wf_debounce_init (&step->debounce, g_get_monotonic_time (), step->debounce_ms, step->step_ms, step->timeout_ms);
}

static gboolean
hand_over (GPtrArray *batch, GPtrArray **changes, WfWatchResult *result)
{
  if (changes != NULL)
    *changes = batch;
  else
    g_ptr_array_unref (batch);
  *result = WF_WATCH_RESULT_CHANGES;
  return TRUE;
}

gboolean
wf_watch_step_run (WfWatchStep *step,
                   WfNotify *notify,
                   WfWatchResult *result,
                   GPtrArray **changes,
                   gint64 *wake_at,
                   GError **error)
{
  for (;;)
    {
      gsize pending;
      int verdict;

      *wake_at = -1;
      /* Quiet the descriptor before looking, so any growth after the look
       * wakes the next wait. */
      wf_sink_acknowledge (step->sink);

      /* RustNotify's order: signal, then error, then stop, then the set. */
      if (step->before_failure != NULL && (verdict = step->before_failure (step->check_data, error)) >= 0)
        {
          *result = verdict;
          return TRUE;
        }
      if (wf_sink_get_failure (step->sink, error))
        {
          *result = WF_WATCH_RESULT_ERROR;
          return TRUE;
        }
      if (step->stop != NULL && g_cancellable_is_cancelled (step->stop))
        {
          wf_sink_debug (step->sink, "stop event set, stopping...");
          *result = WF_WATCH_RESULT_STOP;
          return TRUE;
        }
      if (step->after_stop != NULL && (verdict = step->after_stop (step->check_data, error)) >= 0)
        {
          *result = verdict;
          return TRUE;
        }

      pending = wf_sink_get_size (step->sink);
      if (wf_notify_is_closed (notify))
        {
          /* No more changes can come: hand over what is pending now (the
           * wake-up descriptor stays readable, so waiting would spin). */
          GPtrArray *batch = pending > 0 ? wf_sink_take_changes (step->sink) : NULL;

          if (batch != NULL && batch->len > 0)
            return hand_over (batch, changes, result);
          g_clear_pointer (&batch, g_ptr_array_unref);
          g_set_error_literal (error, WF_ERROR, WF_ERROR_CLOSED, "Watchfiles watcher closed");
          *result = WF_WATCH_RESULT_ERROR;
          return TRUE;
        }

      switch (wf_debounce_observe (&step->debounce, g_get_monotonic_time (), pending, wake_at))
        {
        case WF_DEBOUNCE_RELEASE:
          {
            GPtrArray *batch = wf_sink_take_changes (step->sink);

            /* Empty only if a concurrent watch took them: keep waiting. */
            if (batch->len > 0)
              return hand_over (batch, changes, result);
            g_ptr_array_unref (batch);
            continue;
          }
        case WF_DEBOUNCE_TIMEOUT:
          *result = WF_WATCH_RESULT_TIMEOUT;
          return TRUE;
        case WF_DEBOUNCE_WAIT:
        default:
          return FALSE;
        }
    }
}
