/* SPDX-License-Identifier: MIT */
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

/* One module of the search path, loaded and probed for this machine. */
typedef struct {
  char *name;
  char *filename;
  char *description;   /* (nullable): NULL when it could not be loaded */
  gboolean available;
  int priority;
  char *reason;        /* (nullable): why it is not available */
} WfBackendProbe;

void wf_backend_probe_free (WfBackendProbe *probe);

/* Every module of the search path, sorted by name.
 * Returns: (element-type WfBackendProbe) */
GPtrArray *wf_backend_registry_probe_all (void);

/* What WATCHFILES_BACKEND=help and `watchfiles --list-backends` print: each
 * module, whether its probe passes here, its priority, and the one chosen
 * for @requested (or WATCHFILES_BACKEND when %NULL) and @force_polling, as
 * wf_backend_registry_choose() chooses it. */
char *wf_backend_registry_format_help (const char *requested, gboolean force_polling);

/* Adds the watcher's roots to @instance of @module (all or, as the
 * watcher's options say, those that can be). */
typedef gboolean (*WfBackendRootsAdder) (const WfBackendModule *module,
                                         WfBackendInstance *instance,
                                         gpointer user_data,
                                         GError **error);

/* Chooses the backend for @roots as wf_backend_registry_choose() does and
 * starts it on @sink with @options, then @add_roots: the whole policy of
 * DESIGN section 4.
 * WATCHFILES_BACKEND=help prints the listing on stderr first.  A backend
 * whose vtable says WF_BACKEND_FLAG_ROOTS_MUST_EXIST gets G_IO_ERROR_NOT_FOUND
 * for a missing root instead of an instance.  When an automatically chosen
 * backend cannot start (WF_ERROR_BACKEND_UNAVAILABLE: ENOSYS; or
 * WF_ERROR_WATCH_LIMIT for a root's own watch, when the policy is to
 * poll), or better ones were passed over, poll serves, the debug line says
 * why and so does *@fallback_reason (else %NULL).  *@module is the module
 * whose instance is returned. */
WfBackendInstance *wf_backend_registry_start (const char *const *roots,
                                              gboolean force_polling,
                                              const char *requested,
                                              WfSink *sink,
                                              const WfBackendOptions *options,
                                              WfBackendRootsAdder add_roots,
                                              gpointer user_data,
                                              const WfBackendModule **module,
                                              char **fallback_reason,
                                              GError **error);

G_END_DECLS
