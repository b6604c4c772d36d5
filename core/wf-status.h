/* SPDX-License-Identifier: MIT */
/* wf-status.h: WfStatus, what a watcher is doing, as an immutable snapshot. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib-object.h>

#include "wf-version-macros.h"
#include "wf-types.h"

G_BEGIN_DECLS

#define WF_TYPE_STATUS (wf_status_get_type ())

typedef struct _WfStatus WfStatus;

WF_AVAILABLE_IN_ALL
GType wf_status_get_type (void) G_GNUC_CONST;
WF_AVAILABLE_IN_ALL
WfStatus *wf_status_ref (WfStatus *self);
WF_AVAILABLE_IN_ALL
void wf_status_unref (WfStatus *self);
WF_AVAILABLE_IN_ALL
const char *wf_status_get_backend_name (const WfStatus *self);
WF_AVAILABLE_IN_ALL
const char *const *wf_status_get_roots (const WfStatus *self);
WF_AVAILABLE_IN_ALL
guint wf_status_get_n_directories (const WfStatus *self);
WF_AVAILABLE_IN_ALL
guint wf_status_get_n_polled_directories (const WfStatus *self);
WF_AVAILABLE_IN_ALL
const char *const *wf_status_get_polled_subtrees (const WfStatus *self);
WF_AVAILABLE_IN_ALL
WfPollReason wf_status_get_polled_reason (const WfStatus *self, guint index);
WF_AVAILABLE_IN_ALL
guint wf_status_get_n_rescans (const WfStatus *self);
WF_AVAILABLE_IN_ALL
const char *wf_status_get_fallback_reason (const WfStatus *self);
WF_AVAILABLE_IN_ALL
guint wf_status_get_n_unwatched (const WfStatus *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfStatus, wf_status_unref)

G_END_DECLS
