/* inotify-backend-private.h: the inotify backend instance, shared by the
 * module's files (lifecycle and events, walks, resync, roots that go and
 * come back). */
#pragma once

#include <sys/inotify.h>
#include <time.h>

#include "watchfiles-backend.h"
#include "inotify-tree.h"

/* What the kernel tells about a watched directory.  No IN_OPEN or
 * IN_CLOSE_*: watchfiles drops them, and they would only fill the queue. */
#define WF_INOTIFY_WATCH_MASK \
  (IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | \
   IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK)

struct _WfBackendInstance {
  WfSink *sink;
  gboolean recursive;
  gboolean follow_symlinks;
  gboolean ignore_permission_denied;
  /* Sealed; NULL when they ignore nothing, so that walks then pay not
   * even a call per entry. */
  WfIgnoreRules *ignore_rules;

  int inotify_fd;
  int stop_fd;        /* an eventfd: readable once stop() wants the reader gone */
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
  guint n_unwatched;           /* skipped after errors; polled subtrees not included */
  /* WfPolledTree*: subtrees the watch limit left unwatched, rescanned
   * every poll_delay_ms by the reader thread (inotify-poll.c); the timer
   * runs only while there is one.  next_poll: g_get_monotonic_time(). */
  GPtrArray *polled;
  guint poll_delay_ms;
  gint64 next_poll;
  guint n_rescans;
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

/* Aliases whose owner was forgotten walk their path again, the first
 * taking the watch over.  Part of wf_inotify_settle(). */
void wf_inotify_adopt_orphans (WfBackendInstance *self);
/* Removes the dropped watches nobody took.  Part of wf_inotify_settle(). */
void wf_inotify_release_dropped (WfBackendInstance *self);

/* Pushes @kind for every entry known below @node, whose path is in @path
 * (restored on return).  Looks children up in @table. */
void wf_inotify_report_subtree (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node,
                                GString *path, WfRawKind kind, WfRawFlags flags);

/* Walks every root again and reports the difference with what we knew. */
void wf_inotify_resync (WfBackendInstance *self, const char *reason);

/* ---- roots that go and come back (inotify-roots.c) ---- */

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
/* After anything that forgot nodes or found roots gone: aliases take over
 * orphaned watches, parked roots look again, dropped watches nobody took
 * are removed. */
void wf_inotify_settle (WfBackendInstance *self);

GError *wf_inotify_watch_limit_error (const char *path);

/* ---- subtrees polled past the watch limit (inotify-poll.c) ---- */

typedef struct _WfPolledTree WfPolledTree;
void wf_inotify_polled_init (WfBackendInstance *self);
void wf_inotify_polled_clear (WfBackendInstance *self);
/* @path, an entry of the directory @parent, could not be watched for the
 * watch limit: polls it from now on (nothing if it is already).
 * @report_existing: push what it holds now as created (a new directory). */
void wf_inotify_poll_subtree (WfBackendInstance *self, const WfWatchNode *parent, const char *path,
                              gboolean report_existing);
/* Tries to watch each polled subtree again, rescans it and pushes what
 * changed; stops polling those watched again or gone. */
void wf_inotify_poll_pass (WfBackendInstance *self);
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
