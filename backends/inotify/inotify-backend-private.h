/* inotify-backend-private.h: the inotify backend instance, shared by the
 * module's files (lifecycle and events, walks, resync). */
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

  int inotify_fd;
  int stop_fd;        /* an eventfd: readable once stop() wants the reader gone */
  GThread *reader;

  /* Guards everything below: add_root(), remove_root() and status queries
   * run on the caller's thread while the reader thread handles events. */
  GMutex lock;
  WfWatchTable table;
  GPtrArray *roots;           /* WfWatchNode*, in the order they were added */
  GHashTable *removed_wds;    /* wds we removed whose IN_IGNORED is still to come */
  guint n_unwatched;
  guint n_rescans;
  gboolean watch_limit_reported;
  /* A walk met a directory another root watches already. */
  gboolean roots_overlap;
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
  GString *event_path;
};

typedef enum {
  /* add_root(): silent; a failing subdirectory fails the root unless
   * ignore_permission_denied, the watch limit always does. */
  WF_WALK_ADD_ROOT,
  /* A directory created or moved in: every entry found is pushed as
   * created (SCAN); failures are reported and skipped. */
  WF_WALK_NEW_DIRECTORY,
  /* Rebuilding a tree to compare with the old one: silent, lenient. */
  WF_WALK_RESYNC,
} WfWalkMode;

/* Watches @root (a node without a parent, its name the absolute path) and,
 * for a directory, what lies below it.  On failure (WF_WALK_ADD_ROOT only)
 * nothing of it stays watched and @root is left detached with wd -1. */
gboolean wf_inotify_walk_root (WfBackendInstance *self, WfWatchTable *table,
                               WfWatchNode *root, WfWalkMode mode, GError **error);

/* Watch-then-scan of @name, a new directory in @parent. */
void wf_inotify_walk_new_directory (WfBackendInstance *self, WfWatchNode *parent, const char *name);

/* Removes a watch ourselves, remembering the wd so that its late events
 * and IN_IGNORED are not taken for an unknown descriptor. */
void wf_inotify_remove_watch (WfBackendInstance *self, int wd);

/* Detaches and frees everything below @node, removing its watches. */
void wf_inotify_forget_descendants (WfBackendInstance *self, WfWatchNode *node);
/* Same for @node itself too (not a root).  @remove_own_watch: FALSE when the
 * kernel has already dropped it (IN_IGNORED). */
void wf_inotify_forget_node (WfBackendInstance *self, WfWatchNode *node, gboolean remove_own_watch);

/* Pushes @kind for every entry known below @node, whose path is in @path
 * (restored on return).  Looks children up in @table. */
void wf_inotify_report_subtree (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node,
                                GString *path, WfRawKind kind, WfRawFlags flags);

/* Walks every root again and reports the difference with what we knew. */
void wf_inotify_resync (WfBackendInstance *self, const char *reason);
/* Walks every root again, reporting nothing: after a root that others
 * overlapped is gone, they watch what it used to watch for them. */
void wf_inotify_rebuild_silently (WfBackendInstance *self);

GError *wf_inotify_watch_limit_error (const char *path);
