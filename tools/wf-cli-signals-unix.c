/* SPDX-License-Identifier: MIT */
/* wf-cli-signals-unix.c: SIGINT, SIGTERM, SIGHUP and SIGCHLD turned into bytes
 * on a self-pipe, whose read end is the signal descriptor wf_notify_watch()
 * polls: a signal ends the wait at once (the pending changes are kept for
 * the next call), and the main loop then reads what arrived outside of any
 * handler.  SIGHUP (the terminal hung up) is a stop request like SIGTERM:
 * the command, in a session of its own, would not get it otherwise.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "wf-cli.h"

static int signal_pipe[2] = { -1, -1 };

static void
on_signal (int signum, siginfo_t *info, void *context)
{
  int saved_errno = errno;
  char byte;

  /* Only async-signal-safe work here. */
  switch (signum)
    {
    case SIGINT: byte = 'I'; break;
    case SIGTERM: byte = 'T'; break;
    case SIGHUP: byte = 'H'; break;
    case SIGCHLD: byte = 'C'; break;
    default: byte = '?'; break;
    }
  /* A full pipe already says "look"; losing this byte loses nothing. */
  if (write (signal_pipe[1], &byte, 1) < 0)
    {
    }
  errno = saved_errno;
}

gboolean
wf_cli_signals_install (gboolean want_sigchld, GError **error)
{
  struct sigaction action = { 0 };

  /* GLib 2.74 takes FD_CLOEXEC only here; O_NONBLOCK is set after. */
  if (!g_unix_open_pipe (signal_pipe, FD_CLOEXEC, error) ||
      !g_unix_set_fd_nonblocking (signal_pipe[0], TRUE, error) ||
      !g_unix_set_fd_nonblocking (signal_pipe[1], TRUE, error))
    return FALSE;

  action.sa_sigaction = on_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGHUP, &action, NULL);
  if (want_sigchld)
    {
      action.sa_flags |= SA_NOCLDSTOP;
      sigaction (SIGCHLD, &action, NULL);
    }
  return TRUE;
}

int
wf_cli_signals_get_fd (void)
{
  return signal_pipe[0];
}

void
wf_cli_signals_drain (WfCliSignals *received)
{
  char bytes[64];
  ssize_t n;

  while ((n = read (signal_pipe[0], bytes, sizeof bytes)) > 0 || (n < 0 && errno == EINTR))
    for (ssize_t i = 0; i < n; i++)
      switch (bytes[i])
        {
        case 'I': received->last_stop = SIGINT; received->stop_requests++; break;
        case 'T': received->last_stop = SIGTERM; received->stop_requests++; break;
        case 'H': received->last_stop = SIGHUP; received->stop_requests++; break;
        case 'C': received->child = TRUE; break;
        default: break;
        }
}

/* Waits up to @timeout_ms (-1: for ever) for a signal; TRUE if one came. */
gboolean
wf_cli_signals_wait (int timeout_ms)
{
  struct pollfd pfd = { .fd = signal_pipe[0], .events = POLLIN };

  return poll (&pfd, 1, timeout_ms) > 0;
}

/* Holds SIGINT, SIGTERM, SIGHUP and SIGCHLD back in the calling thread while it
 * forks a child: one arriving between fork and exec would otherwise run
 * our handler in the child, whose byte lands on our pipe while the command
 * never sees it.  (Another thread of ours may still take the signal: the
 * caller looks at the pipe after the spawn.) */
void
wf_cli_signals_block (gboolean block)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigaddset (&set, SIGCHLD);
  pthread_sigmask (block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* Runs in the child between fork and exec: the command starts with the
 * dispositions and mask a shell would give it.  An ignored SIGINT survives
 * exec, and `cmd &` in a script starts us with SIGINT ignored, so without
 * this the child could not be stopped by SIGINT.  The dispositions are
 * reset before the mask is cleared: a Ctrl+C held back since the fork then
 * acts as it would on the command (it ends it), not as on us. */
void
wf_cli_signals_reset_in_child (void)
{
  static const int reset[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT, SIGPIPE };
  sigset_t none;

  for (gsize i = 0; i < G_N_ELEMENTS (reset); i++)
    signal (reset[i], SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}
