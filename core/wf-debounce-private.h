/* SPDX-License-Identifier: MIT */
/* wf-debounce-private.h: when a batch of changes is released.  Pure
 * arithmetic on monotonic times (microseconds), so it is tested alone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  WF_DEBOUNCE_WAIT,     /* sleep until *wake_at (-1: until something happens) */
  WF_DEBOUNCE_RELEASE,  /* hand the pending changes to the caller */
  WF_DEBOUNCE_TIMEOUT,  /* nothing arrived within the timeout */
} WfDebounceVerdict;

typedef struct {
  gint64 call_start;
  gint64 step;
  gint64 debounce;
  gint64 timeout_at;    /* -1: no timeout */
  gint64 first_seen;    /* -1: nothing seen in this call yet */
  gint64 last_growth;
  gsize last_size;
} WfDebounce;

void wf_debounce_init (WfDebounce *debounce,
                       gint64 now,
                       guint debounce_ms,
                       guint step_ms,
                       guint timeout_ms);

WfDebounceVerdict wf_debounce_observe (WfDebounce *debounce,
                                       gint64 now,
                                       gsize pending,
                                       gint64 *wake_at);

G_END_DECLS
