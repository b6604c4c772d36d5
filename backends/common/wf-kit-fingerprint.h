/* SPDX-License-Identifier: MIT */
/* wf-kit-fingerprint.h: what a scan remembers of a file to tell whether it
 * changed, and the one rule that says how.
 *
 * Nanosecond times, size, inode and mode: same-second writes, chmod and an
 * editor's atomic save (a new inode under the old name) are all seen.  The
 * spellings of stat fields differ per OS (st_mtim, st_mtimespec, Windows'
 * seconds): they are read in wf_kit_fingerprint_from_stat() alone.
 */
#pragma once

#include <sys/stat.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint64 mtime_ns;
  gint64 ctime_ns;
  gint64 size;
  guint64 ino;
  guint64 dev;
  guint32 mode;
} WfKitFingerprint;

typedef enum {
  WF_KIT_CHANGE_NONE,
  WF_KIT_CHANGE_DATA,       /* contents (or a new file under the name): modified */
  WF_KIT_CHANGE_METADATA,   /* mode, owner, times: modified (attributes) */
  WF_KIT_CHANGE_REPLACED,   /* another kind of file, or another directory: deleted + added */
} WfKitChange;

void wf_kit_fingerprint_from_stat (WfKitFingerprint *fingerprint, const struct stat *st);

static inline gboolean
wf_kit_fingerprint_is_dir (const WfKitFingerprint *fingerprint)
{
  return S_ISDIR (fingerprint->mode);
}

WfKitChange wf_kit_fingerprint_compare (const WfKitFingerprint *old, const WfKitFingerprint *now);

/* The rule for an entry known only by name and kind (a backend that keeps
 * no fingerprints, after it lost events): changed when its ctime is at or
 * after @since_ns, the moment from which every event was read. */
WfKitChange wf_kit_fingerprint_compare_since (gboolean was_dir, gint64 since_ns,
                                              const WfKitFingerprint *now);

G_END_DECLS
