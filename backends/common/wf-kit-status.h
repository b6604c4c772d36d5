/* SPDX-License-Identifier: MIT */
/* wf-kit-status.h: the counts every backend reports, written out once:
 * into the ABI's WfBackendStatus, and as the describe() line of debug
 * output ("PollBackend { roots: 1, directories: 3, ... }").
 */
#pragma once

#include <glib.h>

#include "watchfiles-backend.h"

G_BEGIN_DECLS

typedef struct {
  guint n_roots;
  guint n_directories;          /* with a kernel watch (native) or scanned (poll) */
  guint n_unwatched;            /* skipped after per-path errors */
  guint n_rescans;              /* times sync was lost and a tree rescanned */
  guint n_polled_directories;   /* polled by a native backend */
} WfKitCounts;

/* Copies @counts into whichever fields of @status its struct_size holds. */
void wf_kit_status_fill (WfBackendStatus *status, const WfKitCounts *counts);

/* "@type_name { @own_fields, roots: N, directories: N, unwatched: N,
 * polled: N, rescans: N }"; @own_fields may be NULL. */
char *wf_kit_describe (const char *type_name, const char *own_fields, const WfKitCounts *counts);

G_END_DECLS
