/* SPDX-License-Identifier: MIT */
/* wf-file-change.h: one reported change, (added|modified|deleted, path). */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib-object.h>

#include "wf-version-macros.h"

G_BEGIN_DECLS

/**
 * WfChange:
 * @WF_CHANGE_ADDED: the path appeared (created, or moved in).
 * @WF_CHANGE_MODIFIED: its content or metadata changed.
 * @WF_CHANGE_DELETED: the path disappeared (deleted, or moved away).
 *
 * The kind of a change.  The values equal those of watchfiles' `Change`.
 *
 * Since: 1.0
 */
typedef enum {
  WF_CHANGE_ADDED = 1,
  WF_CHANGE_MODIFIED = 2,
  WF_CHANGE_DELETED = 3,
} WfChange;

#define WF_TYPE_FILE_CHANGE (wf_file_change_get_type ())

typedef struct _WfFileChange WfFileChange;

WF_AVAILABLE_IN_ALL
GType wf_file_change_get_type (void) G_GNUC_CONST;
WF_AVAILABLE_IN_ALL
WfFileChange *wf_file_change_new (WfChange change, const char *path);
WF_AVAILABLE_IN_ALL
WfFileChange *wf_file_change_copy (const WfFileChange *self);
WF_AVAILABLE_IN_ALL
void wf_file_change_free (WfFileChange *self);
WF_AVAILABLE_IN_ALL
WfChange wf_file_change_get_change (const WfFileChange *self);
WF_AVAILABLE_IN_ALL
const char *wf_file_change_get_path (const WfFileChange *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfFileChange, wf_file_change_free)

G_END_DECLS
