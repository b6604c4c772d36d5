/* SPDX-License-Identifier: MIT */
/* wf-kit-missing-root.h: the way back of a root that is gone (DESIGN rule 4).
 *
 * A root deleted or moved away is waited for through its nearest existing
 * ancestor: that directory is watched for entries created or moved in, and
 * every directory above it for its own move or deletion (moving any of
 * them breaks the path, and only the moved one hears of it).  When the
 * next component of the root's path appears, waiting moves one level
 * down; when the root's path exists again, the backend watches and scans
 * it.  This holds the path arithmetic of that climb, the same for every
 * backend; the backend spends its own kind of watch on each level.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *path;          /* the root, without trailing slashes ("/" stays) */
  gsize path_len;
  /* path[0..nearest_len) is the nearest existing ancestor directory, once
   * wf_kit_missing_root_climb() found it; 0 before. */
  gsize nearest_len;
} WfKitMissingRoot;

void wf_kit_missing_root_init (WfKitMissingRoot *root, const char *path);
void wf_kit_missing_root_clear (WfKitMissingRoot *root);

/* Does the root's path exist now? */
gboolean wf_kit_missing_root_exists (const WfKitMissingRoot *root);

/* Finds the nearest existing ancestor directory, climbing from the root's
 * path ("/" at worst), and returns it as a new string. */
char *wf_kit_missing_root_climb (WfKitMissingRoot *root);

/* The levels to watch, from "/" down to the nearest ancestor: the i-th is
 * path[0..ends[i]).  Returns how many (ends: a new array). */
guint wf_kit_missing_root_levels (const WfKitMissingRoot *root, gsize **ends);

/* Waiting at @level_end instead (its own directory could not be watched:
 * its parent hears of a chmod of it). */
void wf_kit_missing_root_set_nearest (WfKitMissingRoot *root, gsize level_end);

/* Is @name the component after the nearest ancestor (the one whose
 * creation in the nearest ancestor means: climb again)? */
gboolean wf_kit_missing_root_is_next (const WfKitMissingRoot *root, const char *name);

/* Is the component after the nearest ancestor there now (a directory,
 * unless it is the root itself)?  Then the climb must be done again. */
gboolean wf_kit_missing_root_next_exists (const WfKitMissingRoot *root);

G_END_DECLS
