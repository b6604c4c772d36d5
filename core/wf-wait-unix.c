/* SPDX-License-Identifier: MIT */
/* wf-wait-unix.c: the POSIX side of wf-wait-private.h: fcntl() to tell an
 * open descriptor, poll() to look, ppoll() (Linux: sub-millisecond) or
 * poll() to block, and g_source_add_unix_fd() for a GMainContext. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <time.h>

#include "wf-wait-private.h"

gboolean
wf_wait_fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

gboolean
wf_wait_fd_is_ready (int fd)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  int res;

  do
    res = poll (&pfd, 1, 0);
  while (res < 0 && errno == EINTR);
  return res > 0;
}

gboolean
wf_wait_set_init (WfWaitSet *set, int wakeup_fd, GCancellable *stop, int signal_fd, GError **error)
{
  *set = (WfWaitSet) { 0 };
  set->fds[set->n_fds++] = (GPollFD) { .fd = wakeup_fd, .events = G_IO_IN };
  if (stop != NULL)
    {
      GPollFD cancel_pollfd;

      /* Without its descriptor a cancel could go unnoticed until some
       * change came: fail now rather than maybe never return. */
      if (!g_cancellable_make_pollfd (stop, &cancel_pollfd))
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot wait on the stop cancellable: %s", g_strerror (saved_errno));
          return FALSE;
        }
      set->stop = stop;
      set->fds[set->n_fds++] = (GPollFD) { .fd = cancel_pollfd.fd, .events = G_IO_IN };
    }
  if (signal_fd >= 0)
    set->fds[set->n_fds++] = (GPollFD) { .fd = signal_fd, .events = G_IO_IN };
  return TRUE;
}

void
wf_wait_set_wait (WfWaitSet *set, gint64 wake_at)
{
  struct pollfd fds[G_N_ELEMENTS (set->fds)];
  gint64 remaining = wake_at < 0 ? -1 : MAX (0, wake_at - g_get_monotonic_time ());

  for (guint i = 0; i < set->n_fds; i++)
    fds[i] = (struct pollfd) { .fd = set->fds[i].fd, .events = POLLIN };

#ifdef __linux__
  {
    /* Sub-millisecond precision: a 1 ms step must not become 2 ms. */
    struct timespec ts = { remaining / G_USEC_PER_SEC, (remaining % G_USEC_PER_SEC) * 1000 };

    if (ppoll (fds, set->n_fds, remaining < 0 ? NULL : &ts, NULL) < 0 && errno != EINTR)
      g_warning ("ppoll failed: %s", g_strerror (errno));
  }
#else
  {
    int timeout_ms = remaining < 0 ? -1 : (int) MIN ((remaining + 999) / 1000, G_MAXINT);

    if (poll (fds, set->n_fds, timeout_ms) < 0 && errno != EINTR)
      g_warning ("poll failed: %s", g_strerror (errno));
  }
#endif
}

void
wf_wait_set_clear (WfWaitSet *set)
{
  if (set->stop != NULL)
    g_cancellable_release_fd (set->stop);
  set->stop = NULL;
  set->n_fds = 0;
}

void
wf_wait_source_add_fd (GSource *source, int fd)
{
  g_source_add_unix_fd (source, fd, G_IO_IN);
}
