/* SPDX-License-Identifier: MIT */
/* wf-wakeup-private.h: a descriptor one thread makes readable to wake another
 * (POSIX: wf-wakeup-unix.c; a Windows core adds its own file). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _WfWakeup WfWakeup;

WfWakeup *wf_wakeup_new (GError **error);
void wf_wakeup_free (WfWakeup *wakeup);
int wf_wakeup_get_fd (WfWakeup *wakeup);
void wf_wakeup_signal (WfWakeup *wakeup);
void wf_wakeup_acknowledge (WfWakeup *wakeup);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfWakeup, wf_wakeup_free)

G_END_DECLS
