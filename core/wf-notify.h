/* SPDX-License-Identifier: MIT */
/* wf-notify.h: WfNotify, the C/GObject twin of watchfiles' RustNotify. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <gio/gio.h>

#include "wf-version-macros.h"
#include "wf-file-change.h"
#include "wf-ignore-rules.h"
#include "wf-status.h"
#include "wf-types.h"

G_BEGIN_DECLS

/**
 * WfWatchResult:
 * @WF_WATCH_RESULT_ERROR: the call failed; the error says why.
 * @WF_WATCH_RESULT_CHANGES: a batch of changes is returned.
 * @WF_WATCH_RESULT_SIGNAL: the signal descriptor became readable.
 * @WF_WATCH_RESULT_STOP: the stop cancellable was cancelled.
 * @WF_WATCH_RESULT_TIMEOUT: nothing changed within the timeout.
 *
 * How [method@Watchfiles.Notify.watch] ended: the twin of RustNotify's set,
 * `'signal'`, `'stop'` and `'timeout'` results.
 *
 * Since: 1.0
 */
typedef enum {
  WF_WATCH_RESULT_ERROR,
  WF_WATCH_RESULT_CHANGES,
  WF_WATCH_RESULT_SIGNAL,
  WF_WATCH_RESULT_STOP,
  WF_WATCH_RESULT_TIMEOUT,
} WfWatchResult;

/**
 * WfWatchCheck:
 * @WF_WATCH_CHECK_CONTINUE: go on waiting, keeping the debounce state.
 * @WF_WATCH_CHECK_STOP: end the call with %WF_WATCH_RESULT_STOP.
 * @WF_WATCH_CHECK_SIGNAL: end the call with %WF_WATCH_RESULT_SIGNAL.
 *
 * What a [callback@Watchfiles.WatchCheckFunc] tells
 * [method@Watchfiles.Notify.watch_full] to do.
 *
 * Since: 1.0
 */
typedef enum {
  WF_WATCH_CHECK_CONTINUE,
  WF_WATCH_CHECK_STOP,
  WF_WATCH_CHECK_SIGNAL,
} WfWatchCheck;

/**
 * WfWatchCheckFunc:
 * @signal_ready: %TRUE when called because the signal descriptor became
 *   readable, %FALSE for a check once a step
 * @user_data: (closure): the data given to
 *   [method@Watchfiles.Notify.watch_full]
 *
 * Called by [method@Watchfiles.Notify.watch_full] on its calling thread
 * while it waits: where RustNotify runs Python's signal handlers and calls
 * `stop_event.is_set()`.  When @signal_ready is %TRUE the function must
 * empty the signal descriptor (watch_full() only polls it), or return
 * %WF_WATCH_CHECK_SIGNAL.
 *
 * Returns: whether the call goes on, stops or reports a signal
 *
 * Since: 1.0
 */
typedef WfWatchCheck (*WfWatchCheckFunc) (gboolean signal_ready,
                                          gpointer user_data);

#define WF_TYPE_NOTIFY (wf_notify_get_type ())

WF_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (WfNotify, wf_notify, WF, NOTIFY, GObject)

WF_AVAILABLE_IN_ALL
WfNotify *wf_notify_new (const char *const *paths,
                         gboolean debug,
                         gboolean force_polling,
                         guint poll_delay_ms,
                         gboolean recursive,
                         gboolean ignore_permission_denied,
                         GError **error);

WF_AVAILABLE_IN_ALL
WfWatchResult wf_notify_watch (WfNotify *self,
                               guint debounce_ms,
                               guint step_ms,
                               guint timeout_ms,
                               GCancellable *stop,
                               int signal_fd,
                               GPtrArray **changes,
                               GError **error);

WF_AVAILABLE_IN_ALL
WfWatchResult wf_notify_watch_full (WfNotify *self,
                                    guint debounce_ms,
                                    guint step_ms,
                                    guint timeout_ms,
                                    GCancellable *stop,
                                    int signal_fd,
                                    gboolean check_each_step,
                                    WfWatchCheckFunc check,
                                    gpointer user_data,
                                    GPtrArray **changes,
                                    GError **error);

WF_AVAILABLE_IN_ALL
void wf_notify_watch_async (WfNotify *self,
                            guint debounce_ms,
                            guint step_ms,
                            guint timeout_ms,
                            GCancellable *stop,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);

WF_AVAILABLE_IN_ALL
WfWatchResult wf_notify_watch_finish (WfNotify *self,
                                      GAsyncResult *result,
                                      GPtrArray **changes,
                                      GError **error);

WF_AVAILABLE_IN_ALL
gboolean wf_notify_start (WfNotify *self,
                          guint debounce_ms,
                          guint step_ms,
                          GError **error);

WF_AVAILABLE_IN_ALL
void wf_notify_stop (WfNotify *self);

WF_AVAILABLE_IN_ALL
gboolean wf_notify_is_started (WfNotify *self);

WF_AVAILABLE_IN_ALL
void wf_notify_close (WfNotify *self);

WF_AVAILABLE_IN_ALL
gboolean wf_notify_is_closed (WfNotify *self);

WF_AVAILABLE_IN_ALL
const char *wf_notify_get_backend_name (WfNotify *self);

WF_AVAILABLE_IN_ALL
char *wf_notify_describe (WfNotify *self);

WF_AVAILABLE_IN_ALL
guint wf_notify_get_watched_directories (WfNotify *self);

WF_AVAILABLE_IN_ALL
WfStatus *wf_notify_get_status (WfNotify *self);

WF_AVAILABLE_IN_ALL
WfIgnoreRules *wf_notify_get_ignore_rules (WfNotify *self);

WF_AVAILABLE_IN_ALL
gboolean wf_notify_save_state (WfNotify *self,
                               GError **error);

G_END_DECLS
