/* SPDX-License-Identifier: MIT */
/* wf-cli-signals-win32.c: the Windows side of wf-cli.h's signals.  A
 * console control handler (Ctrl+C, Ctrl+Break, the console closed, logoff,
 * shutdown) counts what came and sets a manual-reset event, and so does a
 * thread-pool wait on the command's process handle when it exits (what
 * SIGCHLD is on Linux).  The event's HANDLE, carried in an int as the
 * core's Windows waiting expects (core/wf-wait-win32.c), is the signal
 * descriptor wf_notify_watch() waits on; the main loop reads the counts
 * outside of the handler, which runs in a thread of its own.
 *
 * Ctrl+C is SIGINT, Ctrl+Break SIGTERM, and the console closing, a logoff
 * or a shutdown SIGHUP's stop request, told as SIGTERM (Windows has no
 * SIGHUP). */
#include "config.h"

#include <signal.h>
#include <windows.h>

#include "wf-cli.h"

static HANDLE signal_event;
static volatile LONG n_interrupts;   /* Ctrl+C */
static volatile LONG n_terminations; /* everything else that stops us */
static volatile LONG child_exited;
static HANDLE child_wait;

static BOOL WINAPI
on_console_event (DWORD type)
{
  switch (type)
    {
    case CTRL_C_EVENT:
      InterlockedIncrement (&n_interrupts);
      break;
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      InterlockedIncrement (&n_terminations);
      break;
    default:
      return FALSE;
    }
  SetEvent (signal_event);
  return TRUE;
}

gboolean
wf_cli_signals_install (gboolean want_sigchld, GError **error)
{
  signal_event = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (signal_event == NULL || !SetConsoleCtrlHandler (on_console_event, TRUE))
    {
      g_autofree char *message = g_win32_error_message ((gint) GetLastError ());

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot handle console events: %s", message);
      return FALSE;
    }
  return TRUE;
}

int
wf_cli_signals_get_fd (void)
{
  return (int) (gintptr) signal_event;
}

void
wf_cli_signals_drain (WfCliSignals *received)
{
  LONG interrupts, terminations;

  /* Reset before reading: what comes after is seen by the next wait. */
  ResetEvent (signal_event);
  interrupts = InterlockedExchange (&n_interrupts, 0);
  terminations = InterlockedExchange (&n_terminations, 0);
  if (interrupts > 0)
    received->last_stop = SIGINT;
  if (terminations > 0)
    received->last_stop = SIGTERM;
  received->stop_requests += (guint) (interrupts + terminations);
  if (InterlockedExchange (&child_exited, 0))
    received->child = TRUE;
}

gboolean
wf_cli_signals_wait (int timeout_ms)
{
  return WaitForSingleObject (signal_event, timeout_ms < 0 ? INFINITE : (DWORD) timeout_ms) == WAIT_OBJECT_0;
}

static VOID CALLBACK
on_child_exit (PVOID context, BOOLEAN timed_out)
{
  InterlockedExchange (&child_exited, 1);
  SetEvent (signal_event);
}

void
wf_cli_signals_watch_child (GPid child)
{
  wf_cli_signals_unwatch_child ();
  if (!RegisterWaitForSingleObject (&child_wait, child, on_child_exit, NULL, INFINITE,
                                    WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD))
    {
      /* Then its exit is seen by looking (wait_for_exit()'s 20 ms), or on
       * the next change. */
      child_wait = NULL;
      wf_cli_log (WF_CLI_LOG_WARNING, "cannot wait for the command's exit: error %lu",
                  (unsigned long) GetLastError ());
    }
}

void
wf_cli_signals_unwatch_child (void)
{
  /* INVALID_HANDLE_VALUE: returns once a callback running has ended, so
   * the process handle can be closed after. */
  if (child_wait != NULL)
    UnregisterWaitEx (child_wait, INVALID_HANDLE_VALUE);
  child_wait = NULL;
}
