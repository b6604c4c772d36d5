/* SPDX-License-Identifier: MIT */
/* wf-file-change.c: the boxed (change, path) pair handed to callers. */
#include "config.h"

#include "wf-file-change.h"

struct _WfFileChange {
  WfChange change;
  char *path;
};

/**
 * WfFileChange:
 *
 * One reported change: what happened ([enum@Watchfiles.Change]) and to
 * which path.  The twin of an `(int, str)` tuple in RustNotify's set.
 *
 * Since: 1.0
 */
G_DEFINE_BOXED_TYPE (WfFileChange, wf_file_change, wf_file_change_copy, wf_file_change_free)

/**
 * wf_file_change_new:
 * @change: the kind of change
 * @path: (type filename): the path that changed
 *
 * Creates a change.
 *
 * Returns: (transfer full): a new change
 *
 * Since: 1.0
 */
WfFileChange *
wf_file_change_new (WfChange change, const char *path)
{
  WfFileChange *self;

  g_return_val_if_fail (change >= WF_CHANGE_ADDED && change <= WF_CHANGE_DELETED, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_new (WfFileChange, 1);
  self->change = change;
  self->path = g_strdup (path);
  return self;
}

/**
 * wf_file_change_copy:
 * @self: a change
 *
 * Copies a change.
 *
 * Returns: (transfer full): a copy of @self
 *
 * Since: 1.0
 */
WfFileChange *
wf_file_change_copy (const WfFileChange *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return wf_file_change_new (self->change, self->path);
}

/**
 * wf_file_change_free:
 * @self: (transfer full) (nullable): a change, or %NULL
 *
 * Frees a change; does nothing given %NULL, as g_free() does.
 *
 * Since: 1.0
 */
void
wf_file_change_free (WfFileChange *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self);
}

/**
 * wf_file_change_get_change:
 * @self: a change
 *
 * Gets the kind of the change.
 *
 * Returns: what happened to the path
 *
 * Since: 1.0
 */
WfChange
wf_file_change_get_change (const WfFileChange *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->change;
}

/**
 * wf_file_change_get_path:
 * @self: a change
 *
 * Gets the path that changed.
 *
 * Returns: (type filename): the path, absolute when the watched root was
 *   absolute, in the file system's own bytes
 *
 * Since: 1.0
 */
const char *
wf_file_change_get_path (const WfFileChange *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}
