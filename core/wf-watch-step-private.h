/* SPDX-License-Identifier: MIT */
/* wf-watch-step-private.h: one turn of a watch, the part the blocking
 * wf_notify_watch_full() and the main-loop WfNotifySource share. */
#pragma once

#include <gio/gio.h>

#include "wf-debounce-private.h"
#include "wf-notify.h"
#include "wf-sink-private.h"

G_BEGIN_DECLS

/* A caller's own look during a turn: returns how the call ends (with
 * @error set for WF_WATCH_RESULT_ERROR), or -1 to go on. */
typedef int (*WfWatchStepCheck) (gpointer user_data, GError **error);

typedef struct {
  WfSink *sink;               /* borrowed for the call */
  GCancellable *stop;         /* (nullable), borrowed */
  guint debounce_ms;
  guint step_ms;
  guint timeout_ms;
  WfDebounce debounce;
  /* Where the caller looks too: @before_failure first (the signal, in
   * RustNotify's order), @after_stop once the stop was looked at (the step
   * check, or the async call's cancellable).  Either may be NULL. */
  WfWatchStepCheck before_failure;
  WfWatchStepCheck after_stop;
  gpointer check_data;
} WfWatchStep;

/* A new call: its debounce state starts now. */
void wf_watch_step_init (WfWatchStep *step,
                         WfSink *sink,
                         GCancellable *stop,
                         guint debounce_ms,
                         guint step_ms,
                         guint timeout_ms);

/* The next call on the same step (a GSource emitting batch after batch). */
void wf_watch_step_restart (WfWatchStep *step);

/* Looks at everything in RustNotify's order: the sink's descriptor is
 * quieted first, so any growth after the look wakes the next wait; then
 * before_failure, the backend's failure, the stop cancellable, after_stop,
 * @notify being closed, and the debounce engine.  TRUE when the call is
 * over: *@result says how (*@changes gets the batch if @changes is not
 * NULL; @error is set for WF_WATCH_RESULT_ERROR).  FALSE to wait until
 * the sink's descriptor or another of the caller's is readable, or until
 * *@wake_at (monotonic µs; -1: no timer at all). */
gboolean wf_watch_step_run (WfWatchStep *step,
                            WfNotify *notify,
                            WfWatchResult *result,
                            GPtrArray **changes,
                            gint64 *wake_at,
                            GError **error);

G_END_DECLS
