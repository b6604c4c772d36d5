/* SPDX-License-Identifier: MIT */
/* inotify-backend-private.h: the inotify backend instance, shared by the
 * module's files (lifecycle and events, walks, resync, roots that go and
 * come back). */
#pragma once

#include <sys/inotify.h>
#include <time.h>

#include "watchfiles-backend.h"
#include "inotify-tree.h"
#include "wf-kit-pace.h"
#include "wf-kit-snapshot.h"

/* What the kernel tells about a watched directory.  No IN_OPEN or
 * IN_CLOSE_*: watchfiles drops them, and they would only fill the queue. */
#define WF_INOTIFY_WATCH_MASK \
  (IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | \
   IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK)

/* A pipe whose watched inode marks a place in the kernel queue; -1: none. */
typedef struct {
  int pipe[2];
  int wd;
} WfQueueMarker;

struct _WfBackendInstance {
  WfSink *sink;
  gboolean recursive;
  gboolean follow_symlinks;
  gboolean ignore_permission_denied;
  /* Sealed; NULL when they ignore nothing, so that walks then pay not
   * even a call per entry. */
  WfIgnoreRules *ignore_rules;

  int inotify_fd;
  /* An eventfd that wakes the reader: to stop (stopping set), or to look
   * at the polled subtrees again (one added by another thread). */
  int wake_fd;
  gboolean stopping;  /* under lock */
  GThread *reader;

  /* Guards everything below: add_root(), remove_root() and status queries
   * run on the caller's thread while the reader thread handles events. */
  GMutex lock;
  WfWatchTable table;
  GPtrArray *roots;           /* WfWatchNode*, in the order they were added */
  GHashTable *removed_wds;    /* wds we removed whose IN_IGNORED is still to come */
  /* Watches nodes gave up, and wds whose owner went while aliases remain:
   * wf_inotify_settle() lets an alias take each over, or removes it. */
  GArray *dropped_wds;
  GArray *orphaned_wds;
  /* WfParkedRoot*: roots that are gone, waiting to come back. */
  GPtrArray *parked;
  /* Paths skipped after errors (polled subtrees not included): a chmod
   * that makes one readable lets it be watched and leave the set. */
  GHashTable *unwatched;
  /* WfPolledTree*: subtrees the watch limit left unwatched, rescanned by
   * the reader thread at poll's pace (inotify-polled-subtrees.c); the timer runs only
   * while there is one.  next_poll: g_get_monotonic_time(). */
  GPtrArray *polled;
  WfKitPace poll_pace;
  gint64 next_poll;
  WfWatchLimitPolicy watch_limit_policy;
  GStrv polled_filesystems;   /* filesystem types also polled (NULL: none) */
  /* WfPollRequest*: subtrees a walk could not watch for the limit, to
   * start polling at the next settle; NULL when empty. */
  GPtrArray *poll_queue;
  /* WfWatchNode* (an alias) -> WfKitSnapshot*: what a resync reported
   * below it (inotify-alias-reports.c). */
  GHashTable *alias_reports;
  guint n_rescans;
  /* After a rebuild's walk, a byte written to a pipe whose inode we watch
   * marks the place in the kernel queue where the rescan began: the
   * events before it are older than what the rescan read, and are dropped
   * (skipping) until the marker comes.  A second marks where the rebuild
   * ended: the events before it are checked against the tree (checking,
   * wf_inotify_event_holds()), for the table may be ahead of them. */
  WfQueueMarker rescan_marker;
  WfQueueMarker settled_marker;
  gboolean skipping;
  gboolean checking;
  /* A walk took over a watch that nobody owned but had events queued
   * (wf_inotify_watch_reused()): they are checked as well.  highest_wd:
   * the highest the kernel gave. */
  gboolean watch_reused;
  int highest_wd;
  /* Markers written so far: a read that empties the queue holds those
   * written before it. */
  guint n_markers_written;
  /* A read emptied the queue and no marker was in it: this kernel does
   * not report writes to a pipe, and no marker is set again. */
  gboolean marker_unsupported;
  gboolean watch_limit_reported;
  /* Every change made before this moment has been read from the kernel
   * (CLOCK_REALTIME_COARSE, the clock file timestamps come from). */
  struct timespec complete_since;

  /* Scratch space of walks, reused so that a walk allocates per directory
   * only what it keeps. */
  GString *walk_path;
  GString *walk_entry_path;
  GByteArray *walk_listing;
  GPtrArray *walk_names;
  GPtrArray *walk_pending;
  GPtrArray *walk_deferred;   /* followed symlinks, walked after every real directory */
  GString *event_path;
};

typedef struct {
  char *root;       /* the root it lies below */
  char *path;
  gboolean report_existing;
} WfPollRequest;

typedef enum {
  /* add_root(): silent; a failing subdirectory fails the root unless
   * ignore_permission_denied, the watch limit always does. */
  WF_WALK_ADD_ROOT,
  /* A directory created or moved in, or a root back: every entry found
   * is pushed as created (SCAN); failures are reported and skipped. */
  WF_WALK_NEW_DIRECTORY,
  /* Rebuilding a tree to compare with the old one, or a path taking a
   * watch over from another: silent, lenient. */
  WF_WALK_RESYNC,
} WfWalkMode;

/* Watches @root (a node without a parent, its name the absolute path) and,
 * for a directory, what lies below it.  On failure (WF_WALK_ADD_ROOT only)
 * @root is left detached with wd -1, and once wf_inotify_settle() has run
 * nothing of it stays watched. */
gboolean wf_inotify_walk_root (WfBackendInstance *self, WfWatchTable *table,
                               WfWatchNode *root, WfWalkMode mode, GError **error);

/* Watch-then-scan of @name, a new directory in @parent (@is_link: a
 * symlink to one). */
void wf_inotify_walk_new_directory (WfBackendInstance *self, WfWatchNode *parent, const char *name,
                                    gboolean is_link);

/* @path could not be watched for an error (not the limit). */
void wf_inotify_note_unwatched (WfBackendInstance *self, const char *path);

/* Notes the permission bits of @node's directory, read through @fd (or,
 * with @fd -1, at @path). */
void wf_inotify_note_mode (WfWatchNode *node, int fd, const char *path);

/* Removes a watch ourselves, remembering the wd so that its late events
 * and IN_IGNORED are not taken for an unknown descriptor. */
void wf_inotify_remove_watch (WfBackendInstance *self, int wd);
/* Gives a watch up: wf_inotify_settle() removes it unless a node owns it
 * or a parked root uses it by then. */
void wf_inotify_drop_watch (WfBackendInstance *self, int wd);

/* Detaches and frees @node (not a root) and everything below it, dropping
 * their watches.  @watch_alive: FALSE when the kernel has already dropped
 * @node's (IN_IGNORED). */
void wf_inotify_forget_node (WfBackendInstance *self, WfWatchNode *node, gboolean watch_alive);
/* Same for what a root watches; the root stays, unwatched (wd -1). */
void wf_inotify_forget_root_tree (WfBackendInstance *self, WfWatchNode *root, gboolean watch_alive);

/* Of the aliases of a watch whose owner went, the one to take it over: a
 * real path before one through a symlink. */
WfWatchNode *wf_inotify_best_heir (GPtrArray *aliases);
/* Walks @heir (not a root), an alias detached to take a watch over,
 * silently. */
void wf_inotify_walk_heir (WfBackendInstance *self, WfWatchNode *heir);

/* Pushes @kind for every entry known below @node, whose path is in @path
 * (restored on return).  Looks children up in @table. */
void wf_inotify_report_subtree (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node,
                                GString *path, WfRawKind kind, WfRawFlags flags);

/* Walks every root again and reports the difference with what we knew. */
void wf_inotify_resync (WfBackendInstance *self, const char *reason);
/* TRUE if @event came before the first marker of the last resync (and is
 * to be dropped: the rescan read what it changed); the markers too. */
gboolean wf_inotify_skip_stale (WfBackendInstance *self, const struct inotify_event *event);
/* Closes what the markers hold. */
void wf_inotify_marker_clear (WfBackendInstance *self);
/* Marks where a rebuild, or a polled subtree's hand-over to watches, has
 * taken a rescan's names: the events queued before it are checked
 * (wf_inotify_event_holds()), for the table may be ahead of them. */
void wf_inotify_mark_settled (WfBackendInstance *self);
/* Makes @node (at @path, just watched) hold what a rescan reported there
 * (@entry): the names the walk read are replaced, directories only the
 * rescan found are watched and report what went since, an alias keeps
 * what was reported below it. */
void wf_inotify_reconcile (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry,
                           const char *path);
/* Between a rebuild and its second marker, where the table may be ahead
 * of @event (on @dir, for @path): does it still hold?  What it adds must
 * exist; what it removes must be gone and have been known to the caller.
 * Otherwise it happened before the rescan or the walk read @dir, which
 * reported its outcome, and it is dropped. */
gboolean wf_inotify_event_holds (WfBackendInstance *self, WfWatchNode *dir,
                                 const struct inotify_event *event, const char *path);

/* ---- what a resync reported below an alias (inotify-alias-reports.c) ---- */

void wf_inotify_alias_reports_init (WfBackendInstance *self);
void wf_inotify_alias_reports_clear (WfBackendInstance *self);
/* Drops what every alias kept: their nodes are about to be freed, and a
 * rescan described what they kept. */
void wf_inotify_alias_reports_forget_all (WfBackendInstance *self);
/* Keeps what a rescan reported below @alias (@entry, at @path), in place
 * of anything kept before, unless @entry was not listed. */
void wf_inotify_alias_report_keep (WfBackendInstance *self, WfWatchNode *alias, const WfKitEntry *entry,
                                   const char *path);
/* What a rescan reported below @alias: its root entry, or NULL. */
WfKitEntry *wf_inotify_alias_report_lookup (WfBackendInstance *self, const WfWatchNode *alias);
/* Takes what @alias kept (NULL: nothing), which the caller frees: the
 * alias takes its watch over, or is forgotten. */
WfKitSnapshot *wf_inotify_alias_report_take (WfBackendInstance *self, WfWatchNode *alias);
/* The names in @node's entries, as a set. */
GHashTable *wf_inotify_names_of (WfWatchNode *node);
/* Pushes created for what @node (just listed, at @path) holds and @entry,
 * what a rescan reported there, did not, with all below it. */
void wf_inotify_report_found_since (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry,
                                    GString *path, WfRawFlags flags);
/* A directory a rescan read (@entry, at @path) was watched only
 * afterwards, as @node (NULL: gone, or no longer a directory): what the
 * rescan reported and @node's listing did not find is pushed deleted;
 * an alias keeps it until it lists for itself. */
void wf_inotify_report_lost_since (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry,
                                   GString *path, WfRawFlags flags);

/* ---- roots that go and come back (inotify-missing-roots.c) ---- */

typedef struct _WfParkedRoot WfParkedRoot;
void wf_parked_root_free (WfParkedRoot *parked);

/* @root's watch reported a change of its own: its link count (IN_ATTRIB),
 * its deletion (@kind WF_RAW_DELETED) or its move (WF_RAW_MOVED_FROM).
 * Reports the root gone and waits for it to come back, or, for a file
 * root already replaced by another file (an editor's atomic save),
 * reports it modified and watches the new file.  @watch_alive: FALSE when
 * the kernel dropped the watch. */
void wf_inotify_file_root_attrib (WfBackendInstance *self, WfWatchNode *root);
void wf_inotify_root_gone (WfBackendInstance *self, WfWatchNode *root, WfRawKind kind,
                           gboolean watch_alive);
/* Waits for @root, unwatched now, to come back (reported nothing). */
void wf_inotify_park_root (WfBackendInstance *self, WfWatchNode *root);
/* Waits for @root, there but unreadable (skipped with
 * ignore_permission_denied), to become readable: then reported modified,
 * with all it holds added. */
void wf_inotify_park_unreadable_root (WfBackendInstance *self, WfWatchNode *root);
/* Stops waiting for @root (remove_root()). */
void wf_inotify_unpark_root (WfBackendInstance *self, WfWatchNode *root);
/* @root was an alias whose owner went: walked again, silently; if gone,
 * reported deleted and parked. */
void wf_inotify_root_rewalk (WfBackendInstance *self, WfWatchNode *root);
/* Does a parked root watch through @wd? */
gboolean wf_inotify_parked_uses (WfBackendInstance *self, int wd);
/* Notes what @event (on a wd that wf_inotify_parked_uses()) means for the
 * parked roots. */
void wf_inotify_parked_event (WfBackendInstance *self, const struct inotify_event *event);
/* After a rebuild replaced the root nodes (@old_roots[i] by
 * self->roots[i]): parks the roots found gone, releases those found back. */
void wf_inotify_parked_rebuilt (WfBackendInstance *self, GPtrArray *old_roots);
/* Parked roots that an event concerned look again; TRUE if any did.  Part
 * of wf_inotify_settle(). */
gboolean wf_inotify_parked_look_again (WfBackendInstance *self);

GError *wf_inotify_watch_limit_error (const char *path);

/* Wakes the reader thread (from another thread), e.g. so that it starts
 * polling a subtree add_root() could not watch. */
void wf_inotify_wake_reader (WfBackendInstance *self);

/* ---- subtrees polled: past the watch limit, or on a filesystem where
 * inotify is silent (inotify-polled-subtrees.c) ---- */

typedef struct _WfPolledTree WfPolledTree;
void wf_inotify_polled_init (WfBackendInstance *self);
void wf_inotify_polled_clear (WfBackendInstance *self);
/* @path, below the root named @root, could not be watched for the watch
 * limit: polls it from now on (nothing if it is already).
 * @report_existing: push what it holds now as created (a new directory). */
void wf_inotify_poll_subtree (WfBackendInstance *self, const char *root, const char *path,
                              gboolean report_existing);
/* @path, polled or queued to be, starts from @entry, what a rescan
 * reported there: its next pass says what changed since.  FALSE if
 * nothing polls it. */
gboolean wf_inotify_poll_start_from (WfBackendInstance *self, const char *path, const WfKitEntry *entry);
/* Tries to watch each polled subtree again, rescans it and pushes what
 * changed; stops polling those watched again or gone.  Returns the pause
 * before the next pass, in microseconds. */
gint64 wf_inotify_poll_pass (WfBackendInstance *self);
/* Adds the polled subtrees to @status (query_status(), under the lock). */
void wf_inotify_polled_query_status (WfBackendInstance *self, WfBackendStatus *status);
/* Is the subtree at @path (absolute) polled for the watch limit? */
gboolean wf_inotify_is_limit_polled (WfBackendInstance *self, const char *path);
/* Is @path polled, for any reason? */
gboolean wf_inotify_is_polled (WfBackendInstance *self, const char *path);
/* Polls, in addition to watching them, the subtrees of @root (just added)
 * that lie on a filesystem of the polled_filesystems option. */
void wf_inotify_poll_silent_filesystems (WfBackendInstance *self, const WfWatchNode *root);
/* Directories listed by the last scans of the polled subtrees. */
guint wf_inotify_count_polled_directories (WfBackendInstance *self);
/* Stops polling below the root named @root (remove_root()). */
void wf_inotify_unpoll_root (WfBackendInstance *self, const char *root);
/* Walks @name, an entry of @parent, silently (a polled subtree trying its
 * watch again); ENOSPC keeps it polled. */
void wf_inotify_walk_polled (WfBackendInstance *self, WfWatchNode *parent, const char *name);

/* Does an ignore rule hide @path, an entry of the watched directory @dir?
 * Ignored entries are never watched, listed in a node's entries nor
 * reported (DESIGN rule 5). */
static inline gboolean
wf_inotify_ignores (WfBackendInstance *self, const WfWatchNode *dir, const char *path)
{
  return self->ignore_rules != NULL &&
         wf_ignore_rules_matches_entry (self->ignore_rules, wf_watch_node_get_root (dir)->name, path);
}

/* ---- finishing what events and calls started (inotify-settle.c) ---- */

/* After anything that forgot nodes, found roots gone or met the limit:
 * aliases take over orphaned watches, parked roots look again, queued
 * subtrees start being polled, dropped watches nobody took are removed. */
void wf_inotify_settle (WfBackendInstance *self);
void wf_inotify_settle_clear (WfBackendInstance *self);
