/* SPDX-License-Identifier: MIT */
/* wf-wakeup-unix.c: an eventfd (a pipe where there is none) that a backend
 * thread makes readable so a waiter blocked in poll() wakes up.  GLib has
 * GWakeup for this, but keeps it private. */
#include "config.h"

#include "wf-wakeup-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

struct _WfWakeup {
  int read_fd;
  int write_fd;
};

WfWakeup *
wf_wakeup_new (GError **error)
{
  WfWakeup *wakeup = g_new (WfWakeup, 1);

#ifdef __linux__
  wakeup->read_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeup->read_fd >= 0)
    {
      wakeup->write_fd = wakeup->read_fd;
      return wakeup;
    }
#endif
  {
    int fds[2];

    /* GLib 2.74 takes FD_CLOEXEC only here; O_NONBLOCK is set after. */
    if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
      {
        g_free (wakeup);
        return NULL;
      }
    if (!g_unix_set_fd_nonblocking (fds[0], TRUE, error) ||
        !g_unix_set_fd_nonblocking (fds[1], TRUE, error))
      {
        close (fds[0]);
        close (fds[1]);
        g_free (wakeup);
        return NULL;
      }
    wakeup->read_fd = fds[0];
    wakeup->write_fd = fds[1];
  }
  return wakeup;
}

void
wf_wakeup_free (WfWakeup *wakeup)
{
  if (wakeup == NULL)
    return;
  close (wakeup->read_fd);
  if (wakeup->write_fd != wakeup->read_fd)
    close (wakeup->write_fd);
  g_free (wakeup);
}

int
wf_wakeup_get_fd (WfWakeup *wakeup)
{
  return wakeup->read_fd;
}

void
wf_wakeup_signal (WfWakeup *wakeup)
{
  guint64 one = 1;
  ssize_t res;

  /* EAGAIN means it is readable already, which is all we want. */
  do
    res = write (wakeup->write_fd, &one, wakeup->write_fd == wakeup->read_fd ? sizeof one : 1);
  while (res < 0 && errno == EINTR);
}

void
wf_wakeup_acknowledge (WfWakeup *wakeup)
{
  char buf[64];
  ssize_t res;

  do
    res = read (wakeup->read_fd, buf, sizeof buf);
  while (res > 0 || (res < 0 && errno == EINTR));
}
