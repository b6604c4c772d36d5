/* SPDX-License-Identifier: MIT */
/* wf-kit-pace.h: how long a poller rests after a scan, the same for the
 * poll backend and for what a native backend polls: at least the poll
 * delay, and long enough that scanning stays within a CPU budget
 * (scan CPU time / (scan wall time + pause) <= budget), so a large polled
 * tree costs a bounded share of one core and a small one is scanned every
 * delay.  A scan that found changes is followed after the delay alone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WF_KIT_PACE_DEFAULT_DELAY_MS 300
#define WF_KIT_PACE_DEFAULT_CPU_PERCENT 10

typedef struct {
  guint delay_ms;
  guint cpu_percent;          /* 1..100 */
  gint64 scan_started_cpu_us; /* the polling thread's CPU clock at the scan's start */
  gint64 last_pause_us;
} WfKitPace;

/* @delay_ms 0 leaves the pace to the budget; @cpu_percent 0 takes the
 * default. */
void wf_kit_pace_init (WfKitPace *pace, guint delay_ms, guint cpu_percent);

/* Call on the polling thread before a scan. */
void wf_kit_pace_scan_started (WfKitPace *pace);

/* Call on the polling thread after it; returns the pause before the next
 * scan, in microseconds (also kept in last_pause_us). */
gint64 wf_kit_pace_scan_done (WfKitPace *pace, gboolean found_changes);

G_END_DECLS
