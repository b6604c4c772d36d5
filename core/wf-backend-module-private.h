/* SPDX-License-Identifier: MIT */
/* wf-backend-module-private.h: one opened, validated backend module. */
#pragma once

#include <gmodule.h>

#include "wf-backend.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  char *filename;
  GModule *module;
  const WfBackendVTable *vtable;
} WfBackendModule;

/* Opens @filename, checks its entry symbol and vtable, and makes it
 * resident.  The result lives as long as the process. */
WfBackendModule *wf_backend_module_open (const char *filename, GError **error);

/* The vtable's flags (0 for a vtable too short to have them). */
WfBackendFlags wf_backend_module_get_flags (const WfBackendModule *module);

G_END_DECLS
