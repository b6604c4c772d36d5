/* SPDX-License-Identifier: MIT */
/* wf-backend-info.c: a listing of the backends installed here, what their
 * probe says on this machine, and which one is chosen (the one text that
 * WATCHFILES_BACKEND=help and `watchfiles --list-backends` print). */
#include "config.h"

#include "wf-backend-info.h"
#include "wf-backend-registry-private.h"

struct _WfBackendInfo {
  char *name;
  char *filename;
  char *description;
  gboolean available;
  int priority;
  char *reason;
};

/**
 * WfBackendInfo:
 *
 * One installed backend module, as [func@Watchfiles.BackendInfo.list_all]
 * found it: its name, file, description, and whether its probe passes on
 * this machine.
 *
 * Since: 1.0
 */
G_DEFINE_BOXED_TYPE (WfBackendInfo, wf_backend_info, wf_backend_info_copy, wf_backend_info_free)

/**
 * wf_backend_info_copy:
 * @self: a backend description
 *
 * Copies a backend description.
 *
 * Returns: (transfer full): a copy of @self
 *
 * Since: 1.0
 */
WfBackendInfo *
wf_backend_info_copy (const WfBackendInfo *self)
{
  WfBackendInfo *copy;

  g_return_val_if_fail (self != NULL, NULL);
  copy = g_new0 (WfBackendInfo, 1);
  copy->name = g_strdup (self->name);
  copy->filename = g_strdup (self->filename);
  copy->description = g_strdup (self->description);
  copy->available = self->available;
  copy->priority = self->priority;
  copy->reason = g_strdup (self->reason);
  return copy;
}

/**
 * wf_backend_info_free:
 * @self: (transfer full) (nullable): a backend description, or %NULL
 *
 * Frees a backend description; does nothing given %NULL, as g_free() does.
 *
 * Since: 1.0
 */
void
wf_backend_info_free (WfBackendInfo *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->filename);
  g_free (self->description);
  g_free (self->reason);
  g_free (self);
}

/**
 * wf_backend_info_get_name:
 * @self: a backend description
 *
 * Gets the name of the backend.
 *
 * Returns: the name that `WATCHFILES_BACKEND` takes
 *
 * Since: 1.0
 */
const char *
wf_backend_info_get_name (const WfBackendInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * wf_backend_info_get_filename:
 * @self: a backend description
 *
 * Gets the path of the module file.
 *
 * Returns: (type filename): the module file
 *
 * Since: 1.0
 */
const char *
wf_backend_info_get_filename (const WfBackendInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->filename;
}

/**
 * wf_backend_info_get_description:
 * @self: a backend description
 *
 * Gets the description the module gives of itself.
 *
 * Returns: (nullable): what the module says it is, or %NULL when it could
 *   not be loaded
 *
 * Since: 1.0
 */
const char *
wf_backend_info_get_description (const WfBackendInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->description;
}

/**
 * wf_backend_info_get_available:
 * @self: a backend description
 *
 * Tells whether the backend can serve on this machine.
 *
 * Returns: whether the module loads and its probe passes on this machine
 *
 * Since: 1.0
 */
gboolean
wf_backend_info_get_available (const WfBackendInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->available;
}

/**
 * wf_backend_info_get_priority:
 * @self: a backend description
 *
 * Gets the priority that decides the default backend.
 *
 * Returns: the priority the probe gave (higher wins); meaningless when not
 *   available
 *
 * Since: 1.0
 */
int
wf_backend_info_get_priority (const WfBackendInfo *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->priority;
}

/**
 * wf_backend_info_get_reason:
 * @self: a backend description
 *
 * Gets why the backend cannot serve on this machine.
 *
 * Returns: (nullable): why the backend is not available, or %NULL
 *
 * Since: 1.0
 */
const char *
wf_backend_info_get_reason (const WfBackendInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->reason;
}

/**
 * wf_backend_info_list_all:
 *
 * Loads every backend module in the search path (`WATCHFILES_BACKEND_DIR`,
 * then the installed directory) and probes it for this machine.
 *
 * Returns: (transfer container) (element-type WfBackendInfo): one entry per
 *   module, sorted by name
 *
 * Since: 1.0
 */
GPtrArray *
wf_backend_info_list_all (void)
{
  g_autoptr(GPtrArray) probes = wf_backend_registry_probe_all ();
  GPtrArray *infos = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_backend_info_free);

  for (guint i = 0; i < probes->len; i++)
    {
      WfBackendProbe *probe = g_ptr_array_index (probes, i);
      WfBackendInfo *info = g_new0 (WfBackendInfo, 1);

      info->name = g_strdup (probe->name);
      info->filename = g_strdup (probe->filename);
      info->description = g_strdup (probe->description);
      info->available = probe->available;
      info->priority = probe->priority;
      info->reason = g_strdup (probe->reason);
      g_ptr_array_add (infos, info);
    }
  return infos;
}

/**
 * wf_backend_info_format_list_full:
 * @backend: (nullable): the backend asked for by name, as the
 *   [property@Watchfiles.Notify:backend] property takes it, or %NULL to use
 *   `WATCHFILES_BACKEND`
 * @force_polling: whether polling is forced, as the `force_polling`
 *   argument of [ctor@Watchfiles.Notify.new]
 *
 * The text that lists each backend module found, whether its probe passes
 * on this machine, its priority and its file (or why it fails), and which
 * one a watcher created with these arguments would use, and why; chosen
 * as [class@Watchfiles.Notify] chooses.  `WATCHFILES_BACKEND=help` prints
 * it (with the defaults), and so does `watchfiles --list-backends` (with
 * its options):
 *
 * |[
 * Watchfiles backends (choose one with WATCHFILES_BACKEND=NAME):
 *   BACKEND    PROBE   PRIORITY  MODULE
 * * inotify    passes  100       /usr/lib/x86_64-linux-gnu/watchfiles-1.0/backends/inotify.so
 *   poll       passes  0         /usr/lib/x86_64-linux-gnu/watchfiles-1.0/backends/poll.so
 * Chosen here: inotify (the highest priority whose probe passes)
 * ]|
 *
 * Returns: (transfer full): a multi-line text
 *
 * Since: 1.0
 */
char *
wf_backend_info_format_list_full (const char *backend, gboolean force_polling)
{
  return wf_backend_registry_format_help (backend, force_polling);
}

/**
 * wf_backend_info_format_list:
 *
 * The text that `WATCHFILES_BACKEND=help` prints:
 * [func@Watchfiles.BackendInfo.format_list_full] for a watcher created
 * with the default arguments.
 *
 * Returns: (transfer full): a multi-line text
 *
 * Since: 1.0
 */
char *
wf_backend_info_format_list (void)
{
  return wf_backend_info_format_list_full (NULL, FALSE);
}
