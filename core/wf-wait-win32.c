/* SPDX-License-Identifier: MIT */
/* wf-wait-win32.c: the Windows side of wf-wait-private.h.  The "fds" are
 * HANDLEs of event objects carried in an int (see wf-wakeup-win32.c): the
 * sink's wake-up event, the stop GCancellable's (g_cancellable_make_pollfd()
 * gives an event HANDLE on Windows) and the caller's signal event.
 * WaitForMultipleObjects() blocks on them; a high-resolution waitable
 * timer, where Windows has one (10 1803 and later), keeps a 1 ms step from
 * becoming the 15.6 ms of the default clock tick.  A GMainContext waits on
 * the handle through a child source holding its GPollFD. */
#include "config.h"

#include <windows.h>

#include "wf-wait-private.h"

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002
#endif

static HANDLE
handle_of (int fd)
{
  return (HANDLE) (gintptr) fd;
}

gboolean
wf_wait_fd_is_open (int fd)
{
  DWORD flags;

  return fd >= 0 && GetHandleInformation (handle_of (fd), &flags);
}

gboolean
wf_wait_fd_is_ready (int fd)
{
  return WaitForSingleObject (handle_of (fd), 0) == WAIT_OBJECT_0;
}

gboolean
wf_wait_set_init (WfWaitSet *set, int wakeup_fd, GCancellable *stop, int signal_fd, GError **error)
{
  *set = (WfWaitSet) { 0 };
  set->fds[set->n_fds++] = (GPollFD) { .fd = wakeup_fd, .events = G_IO_IN };
  if (stop != NULL)
    {
      GPollFD cancel_pollfd;

      if (!g_cancellable_make_pollfd (stop, &cancel_pollfd))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot wait on the stop cancellable");
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
  HANDLE handles[G_N_ELEMENTS (set->fds) + 1];
  DWORD n = 0, timeout_ms = INFINITE;
  HANDLE timer = NULL;

  for (guint i = 0; i < set->n_fds; i++)
    handles[n++] = (HANDLE) (gintptr) set->fds[i].fd;
  if (wake_at >= 0)
    {
      gint64 remaining = MAX (0, wake_at - g_get_monotonic_time ());
      LARGE_INTEGER due;

      timer = CreateWaitableTimerExW (NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS);
      due.QuadPart = -(remaining * 10);  /* relative, in 100 ns */
      if (timer != NULL && SetWaitableTimer (timer, &due, 0, NULL, NULL, FALSE))
        handles[n++] = timer;
      else
        timeout_ms = (DWORD) MIN ((remaining + 999) / 1000, (gint64) INFINITE - 1);
    }
  if (WaitForMultipleObjects (n, handles, FALSE, timeout_ms) == WAIT_FAILED)
    g_warning ("WaitForMultipleObjects failed: error %lu", (unsigned long) GetLastError ());
  if (timer != NULL)
    CloseHandle (timer);
}

void
wf_wait_set_clear (WfWaitSet *set)
{
  if (set->stop != NULL)
    g_cancellable_release_fd (set->stop);
  set->stop = NULL;
  set->n_fds = 0;
}

/* A source that holds one GPollFD (GLib polls only what a source owns)
 * and makes its parent dispatch when the handle is signalled. */
typedef struct {
  GSource source;
  GPollFD pollfd;
} HandleSource;

static gboolean
handle_source_check (GSource *source)
{
  return (((HandleSource *) source)->pollfd.revents & G_IO_IN) != 0;
}

static gboolean
handle_source_dispatch (G_GNUC_UNUSED GSource *source, G_GNUC_UNUSED GSourceFunc callback,
                        G_GNUC_UNUSED gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs handle_source_funcs = {
  .check = handle_source_check,
  .dispatch = handle_source_dispatch,
};

void
wf_wait_source_add_fd (GSource *source, int fd)
{
  GSource *child = g_source_new (&handle_source_funcs, sizeof (HandleSource));
  HandleSource *handle_source = (HandleSource *) child;

  handle_source->pollfd.fd = (gintptr) handle_of (fd);
  handle_source->pollfd.events = G_IO_IN;
  g_source_add_poll (child, &handle_source->pollfd);
  g_source_add_child_source (source, child);
  g_source_unref (child);
}
