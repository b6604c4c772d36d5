/* SPDX-License-Identifier: MIT */
/* test-debounce.c: the release rule alone, on made-up clocks (µs). */
#include "config.h"

#include "wf-debounce-private.h"

#define MS 1000

static void
test_timeout_only_while_empty (void)
{
  WfDebounce d;
  gint64 wake_at = 0;

  wf_debounce_init (&d, 0, 100, 10, 50);
  g_assert_cmpint (wf_debounce_observe (&d, 0, 0, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 50 * MS);
  g_assert_cmpint (wf_debounce_observe (&d, 49 * MS, 0, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wf_debounce_observe (&d, 50 * MS, 0, &wake_at), ==, WF_DEBOUNCE_TIMEOUT);

  /* Once something is pending the timeout no longer applies. */
  wf_debounce_init (&d, 0, 100, 50, 20);
  g_assert_cmpint (wf_debounce_observe (&d, 0, 1, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 50 * MS);
  g_assert_cmpint (wf_debounce_observe (&d, 50 * MS, 1, &wake_at), ==, WF_DEBOUNCE_RELEASE);
}

static void
test_no_timeout_sleeps_forever (void)
{
  WfDebounce d;
  gint64 wake_at = 0;

  wf_debounce_init (&d, 0, 1600, 50, 0);
  g_assert_cmpint (wf_debounce_observe (&d, 0, 0, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, -1);
}

static void
test_quiet_step_releases (void)
{
  WfDebounce d;
  gint64 wake_at = 0;

  wf_debounce_init (&d, 0, 1600, 50, 0);
  /* A change at 200 ms, another at 230 ms: release 50 ms after the last. */
  g_assert_cmpint (wf_debounce_observe (&d, 200 * MS, 1, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 250 * MS);
  g_assert_cmpint (wf_debounce_observe (&d, 230 * MS, 2, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 280 * MS);
  /* Woken early with no growth: same deadline. */
  g_assert_cmpint (wf_debounce_observe (&d, 260 * MS, 2, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 280 * MS);
  g_assert_cmpint (wf_debounce_observe (&d, 280 * MS, 2, &wake_at), ==, WF_DEBOUNCE_RELEASE);
}

static void
test_debounce_caps_growth (void)
{
  WfDebounce d;
  gint64 wake_at = 0;
  gsize size = 0;
  gint64 now;

  /* A change every 10 ms for ever: released at first change + debounce. */
  wf_debounce_init (&d, 0, 300, 50, 0);
  for (now = 100 * MS; ; now += 10 * MS)
    {
      WfDebounceVerdict verdict = wf_debounce_observe (&d, now, ++size, &wake_at);
      if (verdict == WF_DEBOUNCE_RELEASE)
        break;
      g_assert_cmpint (verdict, ==, WF_DEBOUNCE_WAIT);
      g_assert_cmpint (wake_at, <=, 400 * MS);
    }
  g_assert_cmpint (now, ==, 400 * MS);
}

static void
test_not_before_one_step (void)
{
  WfDebounce d;
  gint64 wake_at = 0;

  /* Changes already pending when the call begins wait one step, as
   * RustNotify's sleep-first loop does. */
  wf_debounce_init (&d, 1000 * MS, 0, 50, 500);
  g_assert_cmpint (wf_debounce_observe (&d, 1000 * MS, 3, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 1050 * MS);
  g_assert_cmpint (wf_debounce_observe (&d, 1050 * MS, 3, &wake_at), ==, WF_DEBOUNCE_RELEASE);
}

static void
test_zero_step (void)
{
  WfDebounce d;
  gint64 wake_at = 0;

  wf_debounce_init (&d, 0, 0, 0, 0);
  g_assert_cmpint (wf_debounce_observe (&d, 5, 1, &wake_at), ==, WF_DEBOUNCE_RELEASE);
}

static void
test_taken_elsewhere_restarts (void)
{
  WfDebounce d;
  gint64 wake_at = 0;

  wf_debounce_init (&d, 0, 300, 50, 0);
  g_assert_cmpint (wf_debounce_observe (&d, 10 * MS, 1, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wf_debounce_observe (&d, 20 * MS, 0, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, -1);
  /* A new first change: the debounce cap counts from it. */
  g_assert_cmpint (wf_debounce_observe (&d, 500 * MS, 1, &wake_at), ==, WF_DEBOUNCE_WAIT);
  g_assert_cmpint (wake_at, ==, 550 * MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/debounce/timeout-only-while-empty", test_timeout_only_while_empty);
  g_test_add_func ("/debounce/no-timeout-sleeps-forever", test_no_timeout_sleeps_forever);
  g_test_add_func ("/debounce/quiet-step-releases", test_quiet_step_releases);
  g_test_add_func ("/debounce/debounce-caps-growth", test_debounce_caps_growth);
  g_test_add_func ("/debounce/not-before-one-step", test_not_before_one_step);
  g_test_add_func ("/debounce/zero-step", test_zero_step);
  g_test_add_func ("/debounce/taken-elsewhere-restarts", test_taken_elsewhere_restarts);
  return g_test_run ();
}
