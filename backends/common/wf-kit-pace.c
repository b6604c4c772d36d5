/* SPDX-License-Identifier: MIT */
/* wf-kit-pace.c: the pause between scans, from the thread's CPU time. */
#include "config.h"

#include <time.h>

#include "wf-kit-pace.h"

/* The calling thread's CPU time: a machine busy elsewhere (a slow scan in
 * wall time) must not stretch the pause further. */
static gint64
thread_cpu_time_us (void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) == 0)
    return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
#endif
  return g_get_monotonic_time ();
}

void
wf_kit_pace_init (WfKitPace *pace, guint delay_ms, guint cpu_percent)
{
  *pace = (WfKitPace) {
    .delay_ms = delay_ms,
    .cpu_percent = cpu_percent > 0 ? MIN (cpu_percent, 100) : WF_KIT_PACE_DEFAULT_CPU_PERCENT,
  };
}

void
wf_kit_pace_scan_started (WfKitPace *pace)
{
  pace->scan_started_cpu_us = thread_cpu_time_us ();
}

gint64
wf_kit_pace_scan_done (WfKitPace *pace, gboolean found_changes)
{
  gint64 scan_cpu_us = thread_cpu_time_us () - pace->scan_started_cpu_us;
  gint64 delay_us = (gint64) pace->delay_ms * G_TIME_SPAN_MILLISECOND;
  gint64 budget_us = found_changes ? 0 : scan_cpu_us * (100 - pace->cpu_percent) / pace->cpu_percent;

  /* Never back to back, even at a delay of 0 (a poll_delay_ms of 0 asks
   * for the fastest pace, which the budget then sets): a core would spin
   * for nothing. */
  pace->last_pause_us = MAX (MAX (delay_us, budget_us), G_TIME_SPAN_MILLISECOND);
  return pace->last_pause_us;
}
