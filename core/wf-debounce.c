/* SPDX-License-Identifier: MIT */
/* wf-debounce.c: the release rule of RustNotify's watch loop, made
 * event-driven.
 *
 * RustNotify sleeps one step, looks at the set, and returns it when a step
 * added nothing, or when debounce_ms have passed since it first saw a change.
 * Here the waiter is woken by each growth of the set instead of every step,
 * and this file says when to wake next, so a quiet watcher never wakes:
 *
 *   release at max (call_start + step,
 *                   min (last_growth + step, first_seen + max (debounce, step)))
 *
 * which keeps the envelope of DESIGN.md section 6: never sooner than one
 * step after the call began, one step of quiet after the last growth (unless
 * growth goes on past the debounce), and no later than debounce + step after
 * the first change.  The timeout only runs while nothing is pending.
 */
#include "config.h"

#include "wf-debounce-private.h"

void
wf_debounce_init (WfDebounce *debounce, gint64 now, guint debounce_ms, guint step_ms, guint timeout_ms)
{
  debounce->call_start = now;
  debounce->step = (gint64) step_ms * 1000;
  debounce->debounce = (gint64) debounce_ms * 1000;
  debounce->timeout_at = timeout_ms == 0 ? -1 : now + (gint64) timeout_ms * 1000;
  debounce->first_seen = -1;
  debounce->last_growth = -1;
  debounce->last_size = 0;
}

WfDebounceVerdict
wf_debounce_observe (WfDebounce *debounce, gint64 now, gsize pending, gint64 *wake_at)
{
  gint64 quiet_at, cap_at, release_at;

  if (pending == 0)
    {
      /* Someone else took the changes (or none came yet): start over. */
      debounce->first_seen = -1;
      debounce->last_size = 0;
      if (debounce->timeout_at >= 0 && now >= debounce->timeout_at)
        return WF_DEBOUNCE_TIMEOUT;
      *wake_at = debounce->timeout_at;
      return WF_DEBOUNCE_WAIT;
    }

  if (debounce->first_seen < 0)
    debounce->first_seen = now;
  if (pending != debounce->last_size)
    {
      debounce->last_size = pending;
      debounce->last_growth = now;
    }

  quiet_at = debounce->last_growth + debounce->step;
  cap_at = debounce->first_seen + MAX (debounce->debounce, debounce->step);
  release_at = MAX (debounce->call_start + debounce->step, MIN (quiet_at, cap_at));

  if (now >= release_at)
    return WF_DEBOUNCE_RELEASE;
  *wake_at = release_at;
  return WF_DEBOUNCE_WAIT;
}
