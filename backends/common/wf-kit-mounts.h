/* SPDX-License-Identifier: MIT */
/* wf-kit-mounts.h: which parts of a watched tree lie on filesystems whose
 * kernel notifications are silent about changes made elsewhere (NFS, SMB,
 * 9P, FUSE: another machine, the VM's host, or the FUSE daemon's own
 * source), so that a native backend polls them in addition to watching.
 *
 * Found from the mount table (Linux: /proc/self/mountinfo), read once per
 * root: a mount point below the root, or the mount that holds the root
 * itself, whose type matches.  No stat per directory is spent on it.
 */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/* Does @fs_type ("fuse", "fuse.sshfs", "nfs4") match one of @patterns?  A
 * pattern is a type, or "prefix.*" for every subtype of prefix. */
gboolean wf_kit_fs_type_matches (const char *fs_type, const char *const *patterns);

/* The paths, in @root's own spelling (@root followed by the rest of the
 * mount point), of the subtrees of @root on a filesystem matching
 * @patterns: @root itself when it lies on one, and every such mount point
 * below it.  @recursive FALSE: @root only.  Each entry of the returned
 * array is a newly allocated "path\0type" pair: the type follows the path's
 * NUL.  Empty when nothing matches or the table cannot be read. */
GPtrArray *wf_kit_mounts_find_polled (const char *root, const char *const *patterns, gboolean recursive);

/* The filesystem type stored after the path in an entry of the array above. */
static inline const char *
wf_kit_mounts_entry_type (const char *entry)
{
  return entry + strlen (entry) + 1;
}

G_END_DECLS
