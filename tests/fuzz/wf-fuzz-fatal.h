/* SPDX-License-Identifier: MIT */
/* wf-fuzz-fatal.h: makes every GLib failure in a fuzz target one libFuzzer
 * can report.  g_error() and fatal criticals end in G_BREAKPOINT, a SIGTRAP
 * libFuzzer does not handle: the run stops with no input saved and no
 * statistics.  Turning the trap into abort() gets both. */
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <glib.h>

static void
wf_fuzz_trap_to_abort (int signum)
{
  (void) signum;
  abort ();
}

/* Called from each target's LLVMFuzzerInitialize. */
static inline void
wf_fuzz_make_failures_fatal (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  signal (SIGTRAP, wf_fuzz_trap_to_abort);
}
