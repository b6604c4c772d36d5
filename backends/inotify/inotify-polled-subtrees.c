/* SPDX-License-Identifier: MIT */
/* inotify-polled-subtrees.c: subtrees polled while the watch limit keeps them
 * unwatched (DESIGN rule 3).
 *
 * A directory that cannot be watched once the backend runs (ENOSPC) would
 * otherwise be deaf for good.  It is kept here by path, with a snapshot of
 * everything below it; at poll's pace (wf-kit-pace.h: every poll_delay_ms,
 * stretched to stay within the poll CPU budget) the reader thread tries to watch
 * it again (watch first, so nothing slips between the scan and the watch),
 * then rescans it and pushes the difference with the snapshot as a resync
 * would.  Once the watch holds, or the subtree is gone, it stops being
 * polled.  No timer runs while no subtree is polled.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"

#include "wf-kit-mounts.h"
#include "wf-kit-snapshot.h"

#define POLL_FLAGS WF_RAW_FLAG_RESYNC

struct _WfPolledTree {
  WfKitSnapshot *snapshot;  /* of the subtree, its path absolute */
  char *root;               /* the root it lies below */
  /* WATCH_LIMIT: unwatched until a watch frees up.  FILESYSTEM: watched
   * too, but inotify is deaf to changes made elsewhere there; polled as
   * long as its root is watched. */
  WfPollReason reason;
};

static void
polled_tree_free (WfPolledTree *tree)
{
  wf_kit_snapshot_free (tree->snapshot);
  g_free (tree->root);
  g_free (tree);
}

static const char *
polled_tree_path (const WfPolledTree *tree)
{
  return wf_kit_snapshot_get_path (tree->snapshot);
}

void
wf_inotify_polled_init (WfBackendInstance *self)
{
  self->polled = g_ptr_array_new_with_free_func ((GDestroyNotify) polled_tree_free);
}

void
wf_inotify_polled_clear (WfBackendInstance *self)
{
  g_clear_pointer (&self->polled, g_ptr_array_unref);
}

static WfPolledTree *
find_polled (WfBackendInstance *self, const char *path)
{
  for (guint i = 0; i < self->polled->len; i++)
    {
      WfPolledTree *tree = self->polled->pdata[i];

      if (strcmp (polled_tree_path (tree), path) == 0)
        return tree;
    }
  return NULL;
}

gboolean
wf_inotify_is_polled (WfBackendInstance *self, const char *path)
{
  return find_polled (self, path) != NULL;
}

gboolean
wf_inotify_is_limit_polled (WfBackendInstance *self, const char *path)
{
  WfPolledTree *tree = find_polled (self, path);

  return tree != NULL && tree->reason == WF_POLL_REASON_WATCH_LIMIT;
}

void
wf_inotify_polled_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  for (guint i = 0; i < self->polled->len; i++)
    {
      WfPolledTree *tree = self->polled->pdata[i];
      wf_backend_status_add_polled_subtree (status, polled_tree_path (tree), tree->reason);
    }
}

guint
wf_inotify_count_polled_directories (WfBackendInstance *self)
{
  guint n = 0;

  for (guint i = 0; i < self->polled->len; i++)
    n += wf_kit_snapshot_get_n_directories (((WfPolledTree *) self->polled->pdata[i])->snapshot);
  return n;
}

static WfPolledTree *
polled_tree_new (WfBackendInstance *self, const char *root, const char *path, WfPollReason reason)
{
  /* Lenient: what cannot be read is reported once by a rescan, and
   * watching goes on (DESIGN rule 8). */
  WfKitScanOptions options = {
    .recursive = self->recursive,
    .follow_symlinks = self->follow_symlinks,
    .ignore_permission_denied = TRUE,
    .ignore_rules = self->ignore_rules,
  };
  WfPolledTree *tree = g_new0 (WfPolledTree, 1);

  tree->root = g_strdup (root);
  tree->reason = reason;
  tree->snapshot = wf_kit_snapshot_new (path, root, &options);
  if (self->polled->len == 0)
    self->next_poll = g_get_monotonic_time () + (gint64) self->poll_pace.delay_ms * G_TIME_SPAN_MILLISECOND;
  g_ptr_array_add (self->polled, tree);
  return tree;
}

void
wf_inotify_poll_subtree (WfBackendInstance *self, const char *root, const char *path,
                         gboolean report_existing)
{
  WfPolledTree *tree;

  /* A pass trying to watch it again failed once more: still polled. */
  if (find_polled (self, path) != NULL)
    return;

  tree = polled_tree_new (self, root, path, WF_POLL_REASON_WATCH_LIMIT);
  /* A new directory's entries are new (DESIGN rule 1), watched or not:
   * scanned against nothing, they are all reported. */
  if (report_existing)
    wf_kit_snapshot_rescan (tree->snapshot, self->sink, POLL_FLAGS);
  else
    wf_kit_snapshot_build (tree->snapshot, NULL);
  wf_sink_debug (self->sink, "inotify: watch limit reached, polling %s every %u ms instead "
                 "(%u subtree(s) polled)", path, self->poll_pace.delay_ms, self->polled->len);
}

gboolean
wf_inotify_poll_start_from (WfBackendInstance *self, const char *path, const WfKitEntry *entry)
{
  WfPolledTree *tree = find_polled (self, path);
  WfKitSnapshot *reported;

  /* Queued by the walk just made: polled from now, silently, for what it
   * holds is said against what was reported. */
  for (guint i = 0; tree == NULL && self->poll_queue != NULL && i < self->poll_queue->len; i++)
    {
      WfPollRequest *request = self->poll_queue->pdata[i];

      if (strcmp (request->path, path) == 0)
        {
          wf_inotify_poll_subtree (self, request->root, request->path, FALSE);
          tree = find_polled (self, path);
        }
    }
  if (tree == NULL)
    return FALSE;
  reported = wf_kit_snapshot_new_holding (path, entry);
  wf_kit_snapshot_copy_subtree (tree->snapshot, reported);
  wf_kit_snapshot_free (reported);
  return TRUE;
}

void
wf_inotify_poll_silent_filesystems (WfBackendInstance *self, const WfWatchNode *root)
{
  g_autoptr (GPtrArray) silent = NULL;

  if (root->is_file || root->wd < 0 || self->polled_filesystems == NULL)
    return;
  silent = wf_kit_mounts_find_polled (root->name, (const char *const *) self->polled_filesystems,
                                      self->recursive);
  for (guint i = 0; i < silent->len; i++)
    {
      const char *path = silent->pdata[i];
      WfPolledTree *tree;

      if (find_polled (self, path) != NULL || wf_inotify_ignores (self, root, path))
        continue;
      tree = polled_tree_new (self, root->name, path, WF_POLL_REASON_FILESYSTEM);
      wf_kit_snapshot_build (tree->snapshot, NULL);
      wf_sink_debug (self->sink, "inotify: %s is on a %s filesystem, where inotify does not hear "
                     "changes made elsewhere: polling it as well", path, wf_kit_mounts_entry_type (path));
    }
}

void
wf_inotify_unpoll_root (WfBackendInstance *self, const char *root)
{
  for (guint i = self->polled->len; i-- > 0;)
    {
      WfPolledTree *tree = self->polled->pdata[i];

      if (strcmp (tree->root, root) == 0)
        g_ptr_array_remove_index (self->polled, i);
    }
}

/* The watched directory whose path is @path, or NULL. */
static WfWatchNode *
find_directory (WfBackendInstance *self, const char *path)
{
  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *node = self->roots->pdata[i];
      gsize root_len = strlen (node->name);
      g_auto (GStrv) names = NULL;

      if (node->wd < 0 || node->is_file || node->is_alias || strncmp (path, node->name, root_len) != 0)
        continue;
      if (path[root_len] == '\0')
        return node;
      if (path[root_len] != '/' && root_len > 0 && node->name[root_len - 1] != '/')
        continue;

      names = g_strsplit (path + root_len, "/", -1);
      for (guint n = 0; node != NULL && names[n] != NULL; n++)
        if (names[n][0] != '\0')
          node = wf_watch_table_lookup_child (&self->table, node, names[n]);
      if (node != NULL && !node->is_alias)
        return node;
    }
  return NULL;
}

typedef enum {
  TREE_POLLED,
  TREE_WATCHED,
  TREE_GONE,     /* gone, or its parent is no longer watched */
} TreeState;

/* Tries to watch @tree again. */
static TreeState
try_watch (WfBackendInstance *self, WfPolledTree *tree)
{
  g_autofree char *parent_path = g_path_get_dirname (polled_tree_path (tree));
  g_autofree char *name = g_path_get_basename (polled_tree_path (tree));
  WfWatchNode *parent = find_directory (self, parent_path);
  struct stat st;

  if (tree->reason == WF_POLL_REASON_FILESYSTEM)
    return TREE_POLLED;
  if (parent == NULL)
    return TREE_GONE;
  /* Watched already, by a resync that found a watch free. */
  if (wf_watch_table_lookup_child (&self->table, parent, name) != NULL)
    return TREE_WATCHED;
  if (stat (polled_tree_path (tree), &st) < 0 || !S_ISDIR (st.st_mode))
    return TREE_GONE;
  wf_inotify_walk_polled (self, parent, name);
  return wf_watch_table_lookup_child (&self->table, parent, name) != NULL ? TREE_WATCHED : TREE_POLLED;
}

/* @tree is watched again, but its walk left parts of it unwatched for the
 * limit (queued, wf_inotify_settle() would start polling them): they are
 * polled on their own from now on, starting from what @tree's last rescan
 * reported, as the walk's read came before it and no watch saw what
 * changed in between. */
static void
hand_over_unwatched_parts (WfBackendInstance *self, WfPolledTree *tree)
{
  g_autoptr (GPtrArray) queue = g_steal_pointer (&self->poll_queue);

  for (guint i = 0; queue != NULL && i < queue->len; i++)
    {
      WfPollRequest *request = queue->pdata[i];
      WfPolledTree *part;

      wf_inotify_poll_subtree (self, request->root, request->path, request->report_existing);
      part = find_polled (self, request->path);
      if (part != NULL && part != tree && !request->report_existing)
        wf_kit_snapshot_copy_subtree (part->snapshot, tree->snapshot);
    }
}

/* @tree is watched again, its last rescan after the walk: what that
 * reported is what the caller believes, so the watched nodes take its
 * names (as a resync's table takes its rescan's). */
static void
take_reported_names (WfBackendInstance *self, WfPolledTree *tree)
{
  const char *path = polled_tree_path (tree);
  g_autofree char *parent_path = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  WfWatchNode *parent = find_directory (self, parent_path);
  WfWatchNode *node = parent != NULL ? wf_watch_table_lookup_child (&self->table, parent, name) : NULL;
  WfKitEntry *entry = wf_kit_snapshot_get_root (tree->snapshot);

  if (node == NULL || entry == NULL)
    return;
  wf_inotify_reconcile (self, node, entry, path);
  wf_inotify_mark_settled (self);
}

gint64
wf_inotify_poll_pass (WfBackendInstance *self)
{
  guint n = self->polled->len;
  guint n_changes = 0;
  gboolean *done;

  if (n == 0)
    return wf_kit_pace_scan_done (&self->poll_pace, FALSE);
  wf_kit_pace_scan_started (&self->poll_pace);
  done = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      WfPolledTree *tree = self->polled->pdata[i];
      TreeState state = try_watch (self, tree);

      /* After the watch: whatever changes from now on is an event too. */
      n_changes += wf_kit_snapshot_rescan (tree->snapshot, self->sink, POLL_FLAGS);
      if (state == TREE_WATCHED)
        {
          hand_over_unwatched_parts (self, tree);
          take_reported_names (self, tree);
        }

      if (state != TREE_POLLED)
        {
          done[i] = TRUE;
          wf_sink_debug (self->sink, "inotify: %s is %s, no longer polled", polled_tree_path (tree),
                         state == TREE_WATCHED ? "watched again" : "gone");
        }
    }

  /* Backwards: the walks may have appended trees after the first n. */
  for (guint i = n; i-- > 0;)
    if (done[i])
      g_ptr_array_remove_index (self->polled, i);
  g_free (done);
  if (self->polled->len == 0)
    wf_sink_debug (self->sink, "inotify: no subtree is polled any more");
  return wf_kit_pace_scan_done (&self->poll_pace, n_changes > 0);
}
