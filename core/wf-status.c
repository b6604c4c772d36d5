/* SPDX-License-Identifier: MIT */
/* wf-status.c: WfStatus, a snapshot of what a watcher is doing (backend,
 * roots, directories watched and polled, and why, rescans), taken by
 * wf_notify_get_status() from the backend's WfBackendStatus.  Immutable,
 * so copying is taking a reference. */
#include "config.h"

#include "wf-backend-status-private.h"
#include "wf-status-private.h"

struct _WfStatus {
  gatomicrefcount ref_count;
  char *backend_name;
  char *fallback_reason;
  GStrv roots;
  guint n_directories;
  guint n_polled_directories;
  GStrv polled_subtrees;
  WfPollReason *polled_reasons;
  guint n_rescans;
  guint n_unwatched;
};

/**
 * WfStatus:
 *
 * What a [class@Watchfiles.Notify] is doing, as
 * [method@Watchfiles.Notify.get_status] saw it: the backend, the roots,
 * how many directories are watched and how many polled instead (past a
 * watch limit) or as well (on a filesystem whose notifications miss remote
 * changes), which subtrees are polled and why, and how often the backend
 * lost sync and rescanned.  Degradation is visible here, not only in debug
 * output.
 *
 * A status is an immutable snapshot: take a new one to see later changes.
 *
 * ```c
 * g_autoptr(WfStatus) status = wf_notify_get_status (notify);
 * const char *const *polled = wf_status_get_polled_subtrees (status);
 *
 * for (guint i = 0; polled[i] != NULL; i++)
 *   if (wf_status_get_polled_reason (status, i) == WF_POLL_REASON_WATCH_LIMIT)
 *     g_warning ("%s is polled: raise fs.inotify.max_user_watches", polled[i]);
 * ```
 *
 * Since: 1.0
 */
G_DEFINE_BOXED_TYPE (WfStatus, wf_status, wf_status_ref, wf_status_unref)

WfStatus *
wf_status_new (const char *backend_name,
               const char *const *roots,
               const char *fallback_reason,
               WfBackendStatus *backend_status)
{
  WfStatus *self = g_new0 (WfStatus, 1);
  GPtrArray *paths = backend_status != NULL ? wf_backend_status_get_polled_paths (backend_status) : NULL;
  GArray *reasons = backend_status != NULL ? wf_backend_status_get_polled_reasons (backend_status) : NULL;
  guint n_polled = paths != NULL ? paths->len : 0;

  g_atomic_ref_count_init (&self->ref_count);
  self->backend_name = g_strdup (backend_name);
  self->fallback_reason = g_strdup (fallback_reason);
  self->roots = g_strdupv ((GStrv) roots);
  if (self->roots == NULL)
    self->roots = g_new0 (char *, 1);
  self->polled_subtrees = g_new0 (char *, n_polled + 1);
  self->polled_reasons = g_new0 (WfPollReason, n_polled);
  for (guint i = 0; i < n_polled; i++)
    {
      self->polled_subtrees[i] = g_strdup (g_ptr_array_index (paths, i));
      self->polled_reasons[i] = g_array_index (reasons, WfPollReason, i);
    }
  if (backend_status != NULL)
    {
      self->n_directories = backend_status->n_directories;
      self->n_polled_directories = backend_status->n_polled_directories;
      self->n_rescans = backend_status->n_rescans;
      self->n_unwatched = backend_status->n_unwatched;
    }
  return self;
}

/**
 * wf_status_ref:
 * @self: a status
 *
 * Takes a reference to a status.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
WfStatus *
wf_status_ref (WfStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * wf_status_unref:
 * @self: (transfer full): a status
 *
 * Drops a reference to a status, freeing it with the last one.
 *
 * Since: 1.0
 */
void
wf_status_unref (WfStatus *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->backend_name);
  g_free (self->fallback_reason);
  g_strfreev (self->roots);
  g_strfreev (self->polled_subtrees);
  g_free (self->polled_reasons);
  g_free (self);
}

/**
 * wf_status_get_backend_name:
 * @self: a status
 *
 * Gets the name of the backend the watcher uses.
 *
 * Returns: (nullable): "inotify", "poll", ..., or %NULL if the watcher was
 *   never initialised
 *
 * Since: 1.0
 */
const char *
wf_status_get_backend_name (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->backend_name;
}

/**
 * wf_status_get_roots:
 * @self: a status
 *
 * Gets the paths the watcher was asked to watch, as they were given
 * (relative ones stay relative), including those skipped with
 * [property@Watchfiles.Notify:ignore-permission-denied].
 *
 * Returns: (array zero-terminated=1) (element-type filename) (transfer none):
 *   the watched paths
 *
 * Since: 1.0
 */
const char *const *
wf_status_get_roots (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->roots;
}

/**
 * wf_status_get_n_directories:
 * @self: a status
 *
 * Counts the directories watched.
 *
 * Returns: the directories with a kernel watch (a native backend such as
 *   inotify) or scanned (poll); 0 once the watcher is closed
 *
 * Since: 1.0
 */
guint
wf_status_get_n_directories (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_directories;
}

/**
 * wf_status_get_n_polled_directories:
 * @self: a status
 *
 * Counts the directories a native backend polls: instead of watching them
 * (past a watch limit) or in addition (on a silent filesystem).  The poll
 * backend itself reports 0: all it does is polling, counted by
 * [method@Watchfiles.Status.get_n_directories].
 *
 * Returns: the directories polled below the subtrees of
 *   [method@Watchfiles.Status.get_polled_subtrees]
 *
 * Since: 1.0
 */
guint
wf_status_get_n_polled_directories (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_polled_directories;
}

/**
 * wf_status_get_polled_subtrees:
 * @self: a status
 *
 * Gets the subtrees a native backend polls; each one's reason is
 * [method@Watchfiles.Status.get_polled_reason] of its index.
 *
 * Returns: (array zero-terminated=1) (element-type filename) (transfer none):
 *   the top directories of the polled subtrees, absolute; empty when
 *   nothing is polled
 *
 * Since: 1.0
 */
const char *const *
wf_status_get_polled_subtrees (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->polled_subtrees;
}

/**
 * wf_status_get_polled_reason:
 * @self: a status
 * @index: an index in [method@Watchfiles.Status.get_polled_subtrees]
 *
 * Gets why a subtree is polled.
 *
 * Returns: why the subtree at @index is polled
 *
 * Since: 1.0
 */
WfPollReason
wf_status_get_polled_reason (const WfStatus *self, guint index)
{
  g_return_val_if_fail (self != NULL, WF_POLL_REASON_WATCH_LIMIT);
  g_return_val_if_fail (index < g_strv_length (self->polled_subtrees), WF_POLL_REASON_WATCH_LIMIT);
  return self->polled_reasons[index];
}

/**
 * wf_status_get_n_rescans:
 * @self: a status
 *
 * Counts the times the backend lost sync with the kernel (a queue
 * overflow) and rescanned a tree, reporting the difference.
 *
 * Returns: the rescans since the watcher started
 *
 * Since: 1.0
 */
guint
wf_status_get_n_rescans (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_rescans;
}

/**
 * wf_status_get_n_unwatched:
 * @self: a status
 *
 * Counts the directories neither watched nor polled after a per-path
 * error (permission denied, for example), each reported once in debug
 * output.
 *
 * Returns: the directories skipped after errors
 *
 * Since: 1.0
 */
guint
wf_status_get_n_unwatched (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_unwatched;
}

/**
 * wf_status_get_fallback_reason:
 * @self: a status
 *
 * Gets why the watcher polls with the poll backend instead of using the
 * native one it chose: that backend could not start (the kernel refused
 * inotify with ENOSYS, or every inotify watch is taken, so not even a
 * root could have its own and [enum@Watchfiles.WatchLimitPolicy] `POLL`
 * polls it all) or its probe refused the paths.
 *
 * Returns: (nullable): the reason, or %NULL when the backend in use is
 *   the one chosen
 *
 * Since: 1.0
 */
const char *
wf_status_get_fallback_reason (const WfStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->fallback_reason;
}
