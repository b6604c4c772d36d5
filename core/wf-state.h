/* SPDX-License-Identifier: MIT */
/* wf-state.h: state files, and the changes since one was saved. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <gio/gio.h>

#include "wf-version-macros.h"
#include "wf-ignore-rules.h"

G_BEGIN_DECLS

/**
 * WfStateFlags:
 * @WF_STATE_FLAGS_NONE: whole trees, symlinks followed, the state file
 *   must exist and is left as it is: the defaults of a watcher.
 * @WF_STATE_FLAGS_NON_RECURSIVE: a directory root stands for its direct
 *   entries only, as [property@Watchfiles.Notify:recursive] %FALSE.
 * @WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS: symlinks are entries of their own,
 *   as [property@Watchfiles.Notify:follow-symlinks] %FALSE.
 * @WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED: a path that cannot be read is
 *   skipped instead of failing the call.
 * @WF_STATE_FLAGS_UPDATE: [func@Watchfiles.state_changes_since] writes the
 *   state file anew once the changes are known, so that the next call
 *   reports what changed after this one.
 * @WF_STATE_FLAGS_ALLOW_MISSING: [func@Watchfiles.state_changes_since]
 *   treats a state file that does not exist as a state with no changes
 *   since (with %WF_STATE_FLAGS_UPDATE, it is written): the first run of a
 *   program.
 *
 * How a state is taken and compared.  The first two are part of the state:
 * a state saved with other ones is refused (`WF_ERROR_STATE_MISMATCH`).
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  WF_STATE_FLAGS_NONE = 0,
  WF_STATE_FLAGS_NON_RECURSIVE = 1 << 0,
  WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS = 1 << 1,
  WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED = 1 << 2,
  WF_STATE_FLAGS_UPDATE = 1 << 3,
  WF_STATE_FLAGS_ALLOW_MISSING = 1 << 4,
} WfStateFlags;

WF_AVAILABLE_IN_ALL
gboolean wf_state_save (const char *state_file,
                        const char *const *paths,
                        WfStateFlags flags,
                        WfIgnoreRules *ignore_rules,
                        GError **error);

WF_AVAILABLE_IN_ALL
GPtrArray *wf_state_changes_since (const char *state_file,
                                   const char *const *paths,
                                   WfStateFlags flags,
                                   WfIgnoreRules *ignore_rules,
                                   GError **error);

G_END_DECLS
