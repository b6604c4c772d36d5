/* SPDX-License-Identifier: MIT */
/* wf-tap.h: a few lines of TAP for the GLib-free tests of tests/win32,
 * which build for Linux (the parser) and for Windows with mingw-w64 (run
 * under wine), where there is no GLib and so no g_test.  One "ok"/"not ok"
 * line per case, diagnostics as "# " lines, the plan at the end. */
#pragma once

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed, tap_case_failed;
static const char *tap_case_skip;  /* why the current case's point could not be checked */

static void
tap_diag (const char *format, ...)
{
  va_list ap;

  fputs ("# ", stdout);
  va_start (ap, format);
  vprintf (format, ap);
  va_end (ap);
  fputc ('\n', stdout);
  fflush (stdout);
}

/* Fails the current case (and goes on with it). */
#define TAP_CHECK(cond, ...)                                                \
  do                                                                        \
    {                                                                       \
      if (!(cond))                                                          \
        {                                                                   \
          tap_case_failed = 1;                                              \
          tap_diag ("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);  \
          tap_diag (__VA_ARGS__);                                           \
        }                                                                   \
    }                                                                       \
  while (0)

/* The current case could not check what it is for (and says why): it
 * is reported "ok ... # SKIP why", counted as skipped, unless a check
 * failed too. */
static inline void
tap_skip_case (const char *why)
{
  tap_case_skip = why;
}

static void
tap_run (const char *name, void (*func) (void))
{
  tap_case_failed = 0;
  tap_case_skip = NULL;
  func ();
  tap_n++;
  if (tap_case_failed)
    tap_failed++;
  if (!tap_case_failed && tap_case_skip != NULL)
    printf ("ok %d - %s # SKIP %s\n", tap_n, name, tap_case_skip);
  else
    printf ("%s %d - %s\n", tap_case_failed ? "not ok" : "ok", tap_n, name);
  fflush (stdout);
}

static int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  fflush (stdout);
  return tap_failed ? 1 : 0;
}
