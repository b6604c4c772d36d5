/* SPDX-License-Identifier: MIT */
/* wf-types.h: public enums shared by the application API (WfNotify, WfStatus)
 * and the backend ABI (wf-backend.h): what to do at a watch limit, and why
 * a subtree is polled. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>

#include "wf-version-macros.h"

G_BEGIN_DECLS

/**
 * WfWatchLimitPolicy:
 * @WF_WATCH_LIMIT_POLICY_POLL: watch what the limit allows and poll the
 *   rest every poll delay; the degradation shows in
 *   [method@Watchfiles.Notify.get_status] and in debug output.
 * @WF_WATCH_LIMIT_POLICY_ERROR: fail with `WF_ERROR_WATCH_LIMIT`, whose
 *   message names the limit (such as `fs.inotify.max_user_watches`) and its
 *   value.
 *
 * What a native backend does when a kernel limit on watches (inotify
 * watches, kqueue descriptors) is reached, at start or while running: the
 * [property@Watchfiles.Notify:watch-limit-policy].
 *
 * Since: 1.0
 */
typedef enum {
  WF_WATCH_LIMIT_POLICY_POLL,
  WF_WATCH_LIMIT_POLICY_ERROR,
} WfWatchLimitPolicy;

/**
 * WfPollReason:
 * @WF_POLL_REASON_WATCH_LIMIT: a kernel limit on watches was reached
 *   (with [enum@Watchfiles.WatchLimitPolicy] `POLL`).
 * @WF_POLL_REASON_FILESYSTEM: the subtree lies on a filesystem where
 *   kernel notifications miss changes made remotely or beneath the mount
 *   (NFS, SMB, 9P, FUSE, ...: see
 *   [property@Watchfiles.Notify:polled-filesystems]); it is polled in
 *   addition to its watches.
 *
 * Why a native backend polls a subtree, as
 * [method@Watchfiles.Status.get_polled_reason] reports it.  New values
 * are only appended.
 *
 * Since: 1.0
 */
typedef enum {
  WF_POLL_REASON_WATCH_LIMIT,
  WF_POLL_REASON_FILESYSTEM,
} WfPollReason;

G_END_DECLS
