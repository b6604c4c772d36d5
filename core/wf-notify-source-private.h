/* SPDX-License-Identifier: MIT */
/* wf-notify-source-private.h: the GSource that delivers WfNotify's batches
 * in a GMainContext (watch_async and the "changes" signal). */
#pragma once

#include <gio/gio.h>

#include "wf-notify.h"
#include "wf-sink-private.h"

G_BEGIN_DECLS

/* Called in the source's context when a wait ends.  @result is
 * WF_WATCH_RESULT_CHANGES (@changes: the batch, transfer full),
 * _TIMEOUT, _STOP or _ERROR (@error: the backend's failure, WF_ERROR_CLOSED
 * or G_IO_ERROR_CANCELLED).  Return G_SOURCE_CONTINUE after a batch to
 * start waiting for the next one, as a new watch() call would. */
typedef gboolean (*WfNotifySourceFunc) (WfNotify *notify,
                                        WfWatchResult result,
                                        GPtrArray *changes,
                                        const GError *error,
                                        gpointer user_data);

/* A source waiting, like one watch() call, on @sink for @notify (held by a
 * weak reference: once it is gone the source dispatches nothing).  @stop
 * and @cancellable may be NULL; @timeout_ms 0 waits for ever.  Set the
 * callback with g_source_set_callback (G_SOURCE_FUNC (func), ...). */
GSource *wf_notify_source_new (WfNotify *notify,
                               WfSink *sink,
                               guint debounce_ms,
                               guint step_ms,
                               guint timeout_ms,
                               GCancellable *stop,
                               GCancellable *cancellable);

G_END_DECLS
