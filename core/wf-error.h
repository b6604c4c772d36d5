/* SPDX-License-Identifier: MIT */
/* wf-error.h: the WF_ERROR domain. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>

#include "wf-version-macros.h"

G_BEGIN_DECLS

/**
 * WF_ERROR:
 *
 * Error domain of Watchfiles.  Errors in it use [enum@Watchfiles.Error];
 * a missing path or a permission problem uses `G_IO_ERROR` instead.
 *
 * Since: 1.0
 */
#define WF_ERROR (wf_error_quark ())

/**
 * WfError:
 * @WF_ERROR_BACKEND_NOT_FOUND: no backend module of that name, or no module
 *   at all in the module directories (the message names each directory and
 *   what was found there).
 * @WF_ERROR_BACKEND_INVALID: a module that is not a usable backend (missing
 *   entry symbol, unknown ABI, malformed vtable).
 * @WF_ERROR_BACKEND_UNAVAILABLE: the backend cannot serve here (its probe
 *   failed, or its kernel facility is missing).
 * @WF_ERROR_WATCH_LIMIT: a kernel limit on watches was reached; the message
 *   names the limit and its value.
 * @WF_ERROR_CLOSED: the watcher was closed.
 * @WF_ERROR_BACKEND_FAILED: the backend died while watching (the twin of
 *   watchfiles' `WatchfilesRustInternalError`).
 * @WF_ERROR_INVALID_ARGUMENT: a bad argument or property value, such as a
 *   signal descriptor that is not open or a `poll-cpu-percent` of 0.
 * @WF_ERROR_BUSY: the watcher's changes already go to another consumer:
 *   it is started ([method@Watchfiles.Notify.start]), or a watch() or
 *   watch_async() call is under way when start() is called.
 * @WF_ERROR_NOT_INITIALIZED: the watcher was made with g_object_new() and
 *   never initialised (g_initable_init()).
 * @WF_ERROR_STATE_INVALID: a state file that cannot be trusted: not a
 *   state file, truncated, or corrupted (a checksum does not match).
 * @WF_ERROR_STATE_VERSION: a state file written by a newer version of
 *   Watchfiles, in a format this one does not read.
 * @WF_ERROR_STATE_MISMATCH: a state file saved for other roots, another
 *   recursive or symlink setting, or other ignore rules; the message says
 *   which.
 *
 * Error codes in the `WF_ERROR` domain.  New values are only appended.
 *
 * Since: 1.0
 */
typedef enum {
  WF_ERROR_BACKEND_NOT_FOUND,
  WF_ERROR_BACKEND_INVALID,
  WF_ERROR_BACKEND_UNAVAILABLE,
  WF_ERROR_WATCH_LIMIT,
  WF_ERROR_CLOSED,
  WF_ERROR_BACKEND_FAILED,
  WF_ERROR_INVALID_ARGUMENT,
  WF_ERROR_BUSY,
  WF_ERROR_NOT_INITIALIZED,
  WF_ERROR_STATE_INVALID,
  WF_ERROR_STATE_VERSION,
  WF_ERROR_STATE_MISMATCH,
} WfError;

WF_AVAILABLE_IN_ALL
GQuark wf_error_quark (void);

G_END_DECLS
