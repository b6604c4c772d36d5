/* wf-backend-registry-private.h: where backend modules are found, and which
 * one watches a given set of roots. */
#pragma once

#include "wf-backend-module-private.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  char *filename;
} WfBackendCandidate;

/* WATCHFILES_BACKEND_DIR (a search path, ignored when setuid), then the
 * compiled-in directory. */
GStrv wf_backend_registry_get_search_path (void);

/* Every NAME.G_MODULE_SUFFIX (NAME.so) in the search path; the first directory holding a name wins.
 * Returns: (element-type WfBackendCandidate) sorted by name. */
GPtrArray *wf_backend_registry_list_candidates (void);

/* Loads (once per process) the module called @name. */
const WfBackendModule *wf_backend_registry_load (const char *name, GError **error);

/* The backend for @roots: "poll" when @force_polling; else @requested (or
 * WATCHFILES_BACKEND when @requested is NULL), which must exist and pass its
 * probe for every root; else the highest-priority module whose probe passes
 * for every root.  *explicit_choice says whether the caller or the
 * environment named it (then it must not be substituted).  *rejected gets
 * why better-ranked modules were passed over ("name: reason; ..."), or NULL. */
const WfBackendModule *wf_backend_registry_choose (const char *const *roots,
                                                   gboolean force_polling,
                                                   const char *requested,
                                                   gboolean *explicit_choice,
                                                   char **rejected,
                                                   GError **error);

/* Probes @module for every root (NULL roots: for this machine). */
gboolean wf_backend_registry_probe (const WfBackendModule *module,
                                    const char *const *roots,
                                    int *priority,
                                    GError **error);

G_END_DECLS
