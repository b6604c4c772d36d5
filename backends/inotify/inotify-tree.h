/* SPDX-License-Identifier: MIT */
/* inotify-tree.h: what the inotify backend knows about the watched trees.
 *
 * One node per watched directory (and per root, file or directory), holding
 * its watch descriptor, its entry names and a link to its parent.  A node stores only its own name: paths are rebuilt from
 * the parent chain when an event needs one, which keeps 5,000 directories
 * cheap and means nothing has to be renamed when a tree moves.
 *
 * A table indexes the nodes of one generation of trees by watch descriptor
 * and by (parent, name).  A resync builds a fresh table beside the current
 * one and compares the two.
 *
 * The kernel keeps one watch per inode, so a directory reached by several
 * paths (a followed symlink, overlapping roots, a bind mount) has one wd.
 * One node owns it (indexed by wd); every other path to it is an alias: a
 * node with the same wd, no entries and no watch of its own, indexed by
 * (parent, name) like any node and listed by wd among the table's aliases,
 * so that removing an alias path never removes the owner's watch, and an
 * alias can take the watch over when its owner goes.
 */
#pragma once

#include <glib.h>

#include "inotify-names.h"
#include "wf-kit-path.h"

typedef struct _WfWatchNode WfWatchNode;

/* No child or sibling links: the watched subdirectories of a node are the
 * names in its entries that (node, name) finds in the table, and the 32
 * bytes saved per directory matter at 5,000 directories. */
struct _WfWatchNode {
  WfWatchNode *parent;        /* NULL for a root */
  WfNameSet entries;          /* names in this directory, watched or not */
  int wd;                     /* -1: not watched (root gone, walk pending); an alias: its owner's */
  guint is_file : 1;          /* a root that is not a directory */
  guint is_alias : 1;         /* its directory is watched through another node (the owner) */
  guint is_link : 1;          /* its entry in the parent (a root: its path) is a followed symlink */
  /* An alias that a walk of a new directory found holding its owner's
   * directory, moved there while the move's events were still queued: it
   * takes the watch over once they are read (the owner is forgotten then)
   * and reports what it holds from a listing of its own. */
  guint is_claim : 1;
  /* The directory's permission bits as last read (by its walk, or after
   * an IN_ATTRIB): a resync after lost events sees a chmod by them. */
  guint mode_known : 1;
  guint mode : 12;
  char name[];                /* entry name in parent; for a root its absolute path */
};

typedef struct {
  GHashTable *by_wd;      /* set of nodes owning a watch */
  GHashTable *by_name;    /* set of non-root nodes (owners and aliases), keyed by (parent, name) */
  GHashTable *aliases;    /* wd -> GPtrArray of alias nodes (roots too); NULL until one exists */
} WfWatchTable;

WfWatchNode *wf_watch_node_new (WfWatchNode *parent, const char *name);
/* Frees @node alone; it must be detached. */
void wf_watch_node_free (WfWatchNode *node);

void wf_watch_table_init (WfWatchTable *table);
/* Frees every node in the table except roots, then the table itself. */
void wf_watch_table_clear (WfWatchTable *table);

/* Indexes @node as the owner of its wd (which must be set). */
void wf_watch_table_attach (WfWatchTable *table, WfWatchNode *node);
/* Indexes @node as an alias of the owner of @wd. */
void wf_watch_table_attach_alias (WfWatchTable *table, WfWatchNode *node, int wd);
/* Undoes either attach; safe on a node that was never attached.  An alias
 * keeps its wd and is_alias (for the caller to look at), no index has it. */
void wf_watch_table_detach (WfWatchTable *table, WfWatchNode *node);
/* The aliases of @wd's owner, or NULL: the table's own array, which
 * attaching or detaching an alias of @wd changes. */
GPtrArray *wf_watch_table_lookup_aliases (WfWatchTable *table, int wd);

WfWatchNode *wf_watch_table_lookup_wd (WfWatchTable *table, int wd);
WfWatchNode *wf_watch_table_lookup_child (WfWatchTable *table, WfWatchNode *parent, const char *name);

/* The root @node lies below (@node itself for a root). */
const WfWatchNode *wf_watch_node_get_root (const WfWatchNode *node);
/* Appends the node's absolute path to @out. */
void wf_watch_node_append_path (const WfWatchNode *node, GString *out);
