/* SPDX-License-Identifier: MIT */
/* wf-backend-info.h: what the backends installed here can do, for listings. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib-object.h>

#include "wf-version-macros.h"

G_BEGIN_DECLS

#define WF_TYPE_BACKEND_INFO (wf_backend_info_get_type ())

typedef struct _WfBackendInfo WfBackendInfo;

WF_AVAILABLE_IN_ALL
GType wf_backend_info_get_type (void) G_GNUC_CONST;
WF_AVAILABLE_IN_ALL
WfBackendInfo *wf_backend_info_copy (const WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
void wf_backend_info_free (WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
const char *wf_backend_info_get_name (const WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
const char *wf_backend_info_get_filename (const WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
const char *wf_backend_info_get_description (const WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
gboolean wf_backend_info_get_available (const WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
int wf_backend_info_get_priority (const WfBackendInfo *self);
WF_AVAILABLE_IN_ALL
const char *wf_backend_info_get_reason (const WfBackendInfo *self);

WF_AVAILABLE_IN_ALL
GPtrArray *wf_backend_info_list_all (void);

WF_AVAILABLE_IN_ALL
char *wf_backend_info_format_list (void);
WF_AVAILABLE_IN_ALL
char *wf_backend_info_format_list_full (const char *backend, gboolean force_polling);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfBackendInfo, wf_backend_info_free)

G_END_DECLS
