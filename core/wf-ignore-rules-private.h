/* SPDX-License-Identifier: MIT */
/* wf-ignore-rules-private.h: what the core knows of WfIgnoreRules beyond
 * the public API. */
#pragma once

#include "wf-ignore-rules.h"

G_BEGIN_DECLS

/* The rules in one canonical form, the same for the same rules added in any
 * order: one NUL-terminated line per rule, "name ", "pattern ",
 * "prefix " or "glob " then the rule, sorted.  Empty for NULL or empty rules.  A state file
 * (wf-state.c) keeps it to refuse a state saved with other rules. */
GBytes *wf_ignore_rules_describe_canonical (WfIgnoreRules *rules);

G_END_DECLS
