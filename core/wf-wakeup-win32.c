/* SPDX-License-Identifier: MIT */
/* wf-wakeup-win32.c: the Windows side of wf-wakeup-private.h: a
 * manual-reset event object that a backend thread sets so that a waiter
 * blocked in WaitForMultipleObjects() (wf-wait-win32.c) or a GMainContext
 * (GLib polls HANDLEs on Windows) wakes up.  Its "descriptor" is the
 * HANDLE as an int: Windows handles keep their meaning in 32 bits
 * ("it is safe to truncate the handle", Microsoft Learn, Interprocess
 * Communication Between 32-bit and 64-bit Applications), which keeps the
 * int of the POSIX interface. */
#include "config.h"

#include "wf-wakeup-private.h"

#include <windows.h>

#include <gio/gio.h>

struct _WfWakeup {
  HANDLE event;
};

WfWakeup *
wf_wakeup_new (GError **error)
{
  HANDLE event = CreateEventW (NULL, TRUE, FALSE, NULL);
  WfWakeup *wakeup;

  if (event == NULL)
    {
      g_autofree char *message = g_win32_error_message ((gint) GetLastError ());
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create the wake-up event: %s", message);
      return NULL;
    }
  wakeup = g_new (WfWakeup, 1);
  wakeup->event = event;
  return wakeup;
}

void
wf_wakeup_free (WfWakeup *wakeup)
{
  if (wakeup == NULL)
    return;
  CloseHandle (wakeup->event);
  g_free (wakeup);
}

int
wf_wakeup_get_fd (WfWakeup *wakeup)
{
  return (int) (gintptr) wakeup->event;
}

void
wf_wakeup_signal (WfWakeup *wakeup)
{
  SetEvent (wakeup->event);
}

void
wf_wakeup_acknowledge (WfWakeup *wakeup)
{
  /* As reading the POSIX eventfd dry: a signal after this sets it again. */
  ResetEvent (wakeup->event);
}
