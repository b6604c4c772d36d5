/* SPDX-License-Identifier: MIT */
/* wf-backend-module.c: opening a backend module and refusing anything that
 * is not one we know how to drive (no entry symbol, another ABI, a vtable too
 * short or with holes).  The checks happen before the first call into it. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "wf-error.h"
#include "wf-backend-module-private.h"

/* The vtable as of ABI 1.0: anything shorter is malformed. */
#define WF_BACKEND_VTABLE_MIN_SIZE (offsetof (WfBackendVTable, stop) + sizeof (gpointer))

static char *
module_name_from_filename (const char *filename)
{
  g_autofree char *base = g_path_get_basename (filename);
  const char *dot = strrchr (base, '.');

  return dot != NULL ? g_strndup (base, dot - base) : g_steal_pointer (&base);
}

static gboolean
validate_vtable (const WfBackendVTable *vtable, const char *name, const char *filename, GError **error)
{
  if (vtable->abi_major != WF_BACKEND_ABI_MAJOR)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "Backend module “%s” was built for backend ABI %u, this library speaks ABI %u",
                   filename, vtable->abi_major, WF_BACKEND_ABI_MAJOR);
      return FALSE;
    }
  if (vtable->struct_size < WF_BACKEND_VTABLE_MIN_SIZE)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "Backend module “%s” has a vtable of %u bytes, at least %zu are needed",
                   filename, vtable->struct_size, (size_t) WF_BACKEND_VTABLE_MIN_SIZE);
      return FALSE;
    }
  if (vtable->name == NULL || g_strcmp0 (vtable->name, name) != 0)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "Backend module “%s” calls itself “%s”; its file must be named after it",
                   filename, vtable->name ? vtable->name : "(null)");
      return FALSE;
    }
  if (vtable->probe == NULL || vtable->start == NULL || vtable->add_root == NULL ||
      vtable->remove_root == NULL || vtable->describe == NULL ||
      vtable->query_status == NULL || vtable->stop == NULL)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "Backend module “%s” leaves a required vtable function empty", filename);
      return FALSE;
    }
  return TRUE;
}

WfBackendModule *
wf_backend_module_open (const char *filename, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = module_name_from_filename (filename);
  GModule *module;
  WfBackendEntryFunc entry = NULL;
  const WfBackendVTable *vtable;
  WfBackendModule *result;

  /* Bind now so a missing symbol fails here, not in the middle of a watch;
   * local so two modules' private symbols never clash. */
  module = g_module_open_full (filename, G_MODULE_BIND_LOCAL, &local_error);
  if (module == NULL)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "Cannot load backend module “%s”: %s", filename, local_error->message);
      return NULL;
    }

  if (!g_module_symbol (module, WF_BACKEND_ENTRY_SYMBOL, (gpointer *) &entry) || entry == NULL)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "“%s” is not a Watchfiles backend: it has no %s symbol",
                   filename, WF_BACKEND_ENTRY_SYMBOL);
      g_module_close (module);
      return NULL;
    }

  vtable = entry (WF_BACKEND_ABI_MAJOR);
  if (vtable == NULL)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_INVALID,
                   "Backend module “%s” refuses backend ABI %u", filename, WF_BACKEND_ABI_MAJOR);
      g_module_close (module);
      return NULL;
    }
  if (!validate_vtable (vtable, name, filename, error))
    {
      g_module_close (module);
      return NULL;
    }

  /* Backend threads and vtables must outlive any watcher: never unload. */
  g_module_make_resident (module);

  result = g_new0 (WfBackendModule, 1);
  result->name = g_steal_pointer (&name);
  result->filename = g_strdup (filename);
  result->module = module;
  result->vtable = vtable;
  return result;
}

WfBackendFlags
wf_backend_module_get_flags (const WfBackendModule *module)
{
  return WF_STRUCT_HAS_FIELD (module->vtable, WfBackendVTable, flags) ? module->vtable->flags : 0;
}
