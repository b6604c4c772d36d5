/* SPDX-License-Identifier: MIT */
/* wf-ignore-rules.h: WfIgnoreRules, what a watcher never watches nor reports. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib-object.h>

#include "wf-version-macros.h"

G_BEGIN_DECLS

#define WF_TYPE_IGNORE_RULES (wf_ignore_rules_get_type ())

WF_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (WfIgnoreRules, wf_ignore_rules, WF, IGNORE_RULES, GObject)

WF_AVAILABLE_IN_ALL
WfIgnoreRules *wf_ignore_rules_new (void);

WF_AVAILABLE_IN_ALL
WfIgnoreRules *wf_ignore_rules_new_default (void);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_add_dir_name (WfIgnoreRules *self,
                                       const char *name,
                                       GError **error);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_add_entity_pattern (WfIgnoreRules *self,
                                             const char *pattern,
                                             GError **error);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_add_path_prefix (WfIgnoreRules *self,
                                          const char *prefix,
                                          GError **error);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_add_glob (WfIgnoreRules *self,
                                   const char *glob,
                                   GError **error);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_matches (WfIgnoreRules *self,
                                  const char *root,
                                  const char *path);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_matches_entry (WfIgnoreRules *self,
                                        const char *root,
                                        const char *path);

WF_AVAILABLE_IN_ALL
void wf_ignore_rules_seal (WfIgnoreRules *self);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_is_sealed (WfIgnoreRules *self);

WF_AVAILABLE_IN_ALL
gboolean wf_ignore_rules_is_empty (WfIgnoreRules *self);

G_END_DECLS
