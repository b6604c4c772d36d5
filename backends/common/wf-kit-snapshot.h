/* SPDX-License-Identifier: MIT */
/* wf-kit-snapshot.h: what a tree looked like, and what changed since.
 *
 * A snapshot is a tree of entries (one hash table of names per listed
 * directory) with a fingerprint each.  A rescan walks the live tree,
 * compares, pushes the difference to the sink and becomes the new state.
 * The rules live here once for every backend:
 *   - a new entry is added, and so is everything below a new directory;
 *   - an entry that is gone is deleted, and so is everything known below
 *     it, deepest first (DESIGN rule 9);
 *   - an entry of another kind or another directory under the same name
 *     is deleted (with its subtree) and added (with its subtree);
 *   - contents, size, inode: modified (data); mode, ctime: modified
 *     (attributes); a directory's own times are not a change of it;
 *   - a path that cannot be read is reported once (DESIGN rule 8), and
 *     what was known below it is kept, not reported deleted;
 *   - a directory that is its own ancestor (a symlink or bind-mount loop)
 *     is not entered again; ignored entries are never stat'ed nor listed.
 * Used by the poll backend for every scan, and by native backends to
 * resync after lost events and to poll what they cannot watch.
 */
#pragma once

#include <glib.h>

#include "watchfiles-backend.h"
#include "wf-kit-fingerprint.h"
#include "wf-kit-status.h"

G_BEGIN_DECLS

typedef struct {
  gboolean recursive;
  gboolean follow_symlinks;
  /* build() skips what fails instead of failing. */
  gboolean ignore_permission_denied;
  WfIgnoreRules *ignore_rules;  /* sealed, or NULL */
} WfKitScanOptions;

/* @scan from the backend @options a core handed to start() (NULL, or of
 * an older core lacking fields: their defaults, recursive and following
 * symlinks, as RustNotify); the rules referenced until _clear(). */
void wf_kit_scan_options_init (WfKitScanOptions *scan, const WfBackendOptions *options);
void wf_kit_scan_options_clear (WfKitScanOptions *scan);

typedef struct _WfKitSnapshot WfKitSnapshot;
typedef struct _WfKitEntry WfKitEntry;

/* A snapshot of @path (reported as is), nothing read yet.  @rules_root:
 * the watch root the ignore rules are relative to (@path when NULL);
 * @options are copied (the rules referenced). */
WfKitSnapshot *wf_kit_snapshot_new (const char *path, const char *rules_root,
                                    const WfKitScanOptions *options);
void wf_kit_snapshot_free (WfKitSnapshot *snapshot);

const char *wf_kit_snapshot_get_path (WfKitSnapshot *snapshot);

/* Reads the tree, reporting nothing.  Fails with G_IO_ERROR_NOT_FOUND when
 * @path does not exist, and, unless ignore_permission_denied, with the
 * first path that cannot be read (the snapshot then holds what it read). */
gboolean wf_kit_snapshot_build (WfKitSnapshot *snapshot, GError **error);

/* Compares the live tree with the snapshot, pushes every difference to
 * @sink with @flags added, and keeps the live state.  A root that went is
 * reported deleted with its subtree; one that came back, added with it.
 * Returns how many raw events were pushed. */
guint wf_kit_snapshot_rescan (WfKitSnapshot *snapshot, WfSink *sink, WfRawFlags flags);

/* Rescans the one directory @path (at or below the snapshot's path, in
 * the same form) against what is known of it: entries new there are
 * reported created (a new directory with everything below it), entries
 * gone are reported deleted with everything known below them, entries
 * whose fingerprint changed modified / attrib / replaced, by the same
 * rules as wf_kit_snapshot_rescan(); directories already listed below it
 * are not entered.  A @path not listed in the snapshot (unknown, not a
 * directory any more, or gone) rescans the nearest listed ancestor
 * instead, the whole snapshot at worst.  Returns the number of pushes. */
guint wf_kit_snapshot_rescan_directory (WfKitSnapshot *snapshot, const char *path, WfSink *sink, WfRawFlags flags);

/* Pushes @kind for the root (if it exists) and everything known below
 * it: parents first for WF_RAW_CREATED, deepest first otherwise. */
void wf_kit_snapshot_report (WfKitSnapshot *snapshot, WfSink *sink, WfRawKind kind, WfRawFlags flags);
/* Pushes @kind for everything known below @entry, whose path is in @path
 * (left as it was): parents first for a creation, deepest first
 * otherwise.  For a backend that keeps what it reported below a path as
 * an entry of its own (inotify's reports below an alias). */
void wf_kit_entry_report_below (const WfKitEntry *entry, GString *path, WfSink *sink, WfRawKind kind,
                                WfRawFlags flags);

/* Does the root exist, as of the last build or rescan? */
gboolean wf_kit_snapshot_has_root (WfKitSnapshot *snapshot);

/* Makes @dest (empty or not) hold a copy of what @src knows at @dest's
 * path, below @src's: a subtree handed from one poller to another starts
 * from what was reported, not from a new read (which would make what
 * changed in between unreported for good).  FALSE if @src knows nothing
 * there. */
gboolean wf_kit_snapshot_copy_subtree (WfKitSnapshot *dest, const WfKitSnapshot *src);

/* A snapshot of @path holding a copy of @entry (of another snapshot) and
 * all below it, as its root: what was reported there, kept. */
WfKitSnapshot *wf_kit_snapshot_new_holding (const char *path, const WfKitEntry *entry);

/* Directories listed, entries stat'ed, and paths failing, as of the last
 * build or rescan. */
guint wf_kit_snapshot_get_n_directories (WfKitSnapshot *snapshot);
guint wf_kit_snapshot_get_n_entries (WfKitSnapshot *snapshot);
guint wf_kit_snapshot_get_n_failed (WfKitSnapshot *snapshot);

/* ---- the roots of a scanning backend: one snapshot each -------------------
 * @roots is a GPtrArray of snapshots that frees them; callers hold the lock
 * that guards it. */

/* A snapshot of @path, built (see wf_kit_snapshot_build()); NULL on error. */
WfKitSnapshot *wf_kit_snapshot_new_built (const char *path, const WfKitScanOptions *options, GError **error);

/* Adds @snapshot (taken) to @roots; one of the same path is replaced: a
 * path watched again starts afresh, as notify's watch() does, instead of
 * being scanned (and reported) twice. */
void wf_kit_root_snapshots_put (GPtrArray *roots, WfKitSnapshot *snapshot);

/* Drops the snapshot of @path, if any. */
void wf_kit_root_snapshots_remove (GPtrArray *roots, const char *path);

/* The counts of @roots (roots, directories, paths failing) and, if
 * @n_entries is not NULL, the entries they hold. */
void wf_kit_root_snapshots_count (GPtrArray *roots, WfKitCounts *counts, guint *n_entries);
/* Adds one root, @snapshot, to @counts (roots, directories, paths failing),
 * for a backend that keeps its roots' snapshots in records of its own. */
void wf_kit_counts_add_root (WfKitCounts *counts, WfKitSnapshot *snapshot);

/* ---- a state known by names only -----------------------------------------
 * A native backend that keeps no fingerprints describes what it knew with
 * these, then rescans: the same rules apply, except that an entry known by
 * name and kind only is judged by its ctime against @since_ns (the moment
 * from which every kernel event was read), see
 * wf_kit_fingerprint_compare_since(). */

typedef enum {
  WF_KIT_KNOWN_FILE,        /* not a directory */
  WF_KIT_KNOWN_DIRECTORY,   /* a directory whose entries are all added below it */
  /* A directory whose entries are reported through another path (an
   * alias): never listed. */
  WF_KIT_KNOWN_OPAQUE,
  /* A name whose kind was not kept (an unwatched directory or a file):
   * whatever it is now, it is judged by ctime, and a directory there is
   * listed as new. */
  WF_KIT_KNOWN_NAME,
} WfKitKnown;

/* The root (@parent NULL), or an entry @name of the directory @parent,
 * known as @known. */
WfKitEntry *wf_kit_snapshot_add_known (WfKitSnapshot *snapshot, WfKitEntry *parent, const char *name,
                                       WfKitKnown known);
void wf_kit_snapshot_set_known_since (WfKitSnapshot *snapshot, gint64 since_ns);
/* The permission bits (07777) a directory known by name (add_known
 * WF_KIT_KNOWN_DIRECTORY or _OPAQUE) had: a rescan finding others reports
 * it changed, which its ctime alone cannot tell once entries came or went
 * in it afterwards. */
void wf_kit_entry_set_known_mode (WfKitEntry *entry, guint mode);

/* ---- a state kept on disk -------------------------------------------------
 * What a state file (core/wf-state.c) needs to write a snapshot out and to
 * read one back: the rescan of a loaded snapshot is then the diff. */

/* The root entry, or NULL while the root does not exist. */
WfKitEntry *wf_kit_snapshot_get_root (WfKitSnapshot *snapshot);
/* The entry known at @path (the snapshot's path, or below it in the same
 * form), or NULL. */
WfKitEntry *wf_kit_snapshot_lookup (WfKitSnapshot *snapshot, const char *path);

const WfKitFingerprint *wf_kit_entry_get_fingerprint (const WfKitEntry *entry);
void wf_kit_entry_set_fingerprint (WfKitEntry *entry, const WfKitFingerprint *fingerprint);

/* The entries listed in directory @entry (name -> WfKitEntry; removing one
 * forgets it), or NULL when it was not listed (a file, not recursing,
 * unreadable). */
GHashTable *wf_kit_entry_get_children (const WfKitEntry *entry);
/* Is @entry a directory: as of its last stat, or as known (add_known) if
 * a rescan left it unread (its directory's listing dropped or failed)? */
gboolean wf_kit_entry_is_dir (const WfKitEntry *entry);

/* The root (@parent NULL, replacing any) or the entry @name of the listed
 * directory @parent, with a full fingerprint; @listed: a directory whose
 * entries follow (all of them: what a rescan does not find there is gone). */
WfKitEntry *wf_kit_snapshot_add_entry (WfKitSnapshot *snapshot, WfKitEntry *parent, const char *name,
                                       const WfKitFingerprint *fingerprint, gboolean listed);

G_END_DECLS
