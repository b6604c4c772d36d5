/* SPDX-License-Identifier: MIT */
/* wf-status-private.h: making a WfStatus from what a backend reported. */
#pragma once

#include "wf-backend.h"
#include "wf-status.h"

G_BEGIN_DECLS

/* @backend_status as filled by query_status() (its polled subtrees are
 * copied); NULL for a watcher with no backend instance (closed): zeros. */
WfStatus *wf_status_new (const char *backend_name,
                         const char *const *roots,
                         const char *fallback_reason,
                         WfBackendStatus *backend_status);

G_END_DECLS
