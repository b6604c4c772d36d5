/* SPDX-License-Identifier: MIT */
/* wf-backend-status-private.h: the core's side of WfBackendStatus, whose
 * public half (the struct and wf_backend_status_add_polled_subtree()) is
 * in wf-backend.h. */
#pragma once

#include "wf-backend.h"

G_BEGIN_DECLS

/* Zeroes @status, sets struct_size and allocates its private part. */
void wf_backend_status_init (WfBackendStatus *status);

/* Frees what wf_backend_status_init() and query_status() put in @status. */
void wf_backend_status_clear (WfBackendStatus *status);

/* The polled subtrees in the order they were added.
 * Returns: (transfer none) (element-type filename) */
GPtrArray *wf_backend_status_get_polled_paths (WfBackendStatus *status);
/* Returns: (transfer none) (element-type WfPollReason) */
GArray *wf_backend_status_get_polled_reasons (WfBackendStatus *status);

G_END_DECLS
