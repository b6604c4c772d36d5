/* SPDX-License-Identifier: MIT */
/* inotify-resync.c: getting back in step after losing events.
 *
 * When the kernel queue overflows, or an event names a watch we never made,
 * some changes were not told to us.  What we knew (the names of each
 * watched directory, and which are directories) becomes a kit snapshot
 * known by names; every root is walked again into a fresh table
 * (watch-then-scan, so nothing changing meanwhile slips through); then the
 * kit rescans that snapshot against the live tree and pushes the difference
 * with WF_RAW_FLAG_RESYNC, by the same rules as every other backend (DESIGN
 * rule 10): new names added with all they hold, lost names deleted with all
 * they held, another kind under a name deleted and added, and names whose
 * ctime moved since the last complete read modified.  Then the fresh table
 * replaces the old one and watches only the old one had are removed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"
#include "wf-kit-snapshot.h"

#define RESYNC_FLAGS (WF_RAW_FLAG_SCAN | WF_RAW_FLAG_RESYNC)

static void
describe_children (WfBackendInstance *self, WfKitSnapshot *snapshot, WfKitEntry *entry,
                   WfWatchNode *dir, GString *path)
{
  gsize dir_len = path->len;
  WfNameIter iter;
  const char *name;

  wf_name_set_compact (&dir->entries);
  wf_name_iter_init (&iter, &dir->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    {
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, dir, name);
      WfKitKnown known;

      wf_kit_path_append_name (path, name);
      if (child != NULL)
        known = child->is_alias ? WF_KIT_KNOWN_OPAQUE : WF_KIT_KNOWN_DIRECTORY;
      else if (wf_inotify_is_limit_polled (self, path->str))
        /* Its own snapshot reports it, from the limit poller. */
        known = WF_KIT_KNOWN_OPAQUE;
      else
        /* A file, or a directory left unwatched: which one was not kept. */
        known = WF_KIT_KNOWN_NAME;

      {
        WfKitEntry *child_entry = wf_kit_snapshot_add_known (snapshot, entry, name, known);
        if (known == WF_KIT_KNOWN_DIRECTORY)
          describe_children (self, snapshot, child_entry, child, path);
      }
      g_string_truncate (path, dir_len);
    }
}

/* What we knew of @root, as a kit snapshot to rescan. */
static WfKitSnapshot *
describe_root (WfBackendInstance *self, WfWatchNode *root, gint64 since_ns)
{
  WfKitScanOptions options = {
    .recursive = self->recursive,
    .follow_symlinks = self->follow_symlinks,
    .ignore_permission_denied = TRUE,
    .ignore_rules = self->ignore_rules,
  };
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (root->name, root->name, &options);

  wf_kit_snapshot_set_known_since (snapshot, since_ns);
  if (root->wd >= 0)
    {
      WfKitKnown known = root->is_file ? WF_KIT_KNOWN_FILE
                         : root->is_alias ? WF_KIT_KNOWN_OPAQUE
                         : WF_KIT_KNOWN_DIRECTORY;
      WfKitEntry *entry = wf_kit_snapshot_add_known (snapshot, NULL, NULL, known);

      if (known == WF_KIT_KNOWN_DIRECTORY)
        {
          g_autoptr (GString) path = g_string_new (root->name);
          describe_children (self, snapshot, entry, root, path);
        }
    }
  return snapshot;
}

/* Walks every root again into a fresh table, reports how the live trees
 * differ from what we knew, and makes the fresh table current.  Roots
 * found gone wait to come back, roots found back stop waiting. */
static void
rebuild (WfBackendInstance *self)
{
  gint64 since_ns = (gint64) self->complete_since.tv_sec * G_GINT64_CONSTANT (1000000000)
                    + self->complete_since.tv_nsec;
  GPtrArray *known = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_kit_snapshot_free);
  GPtrArray *fresh_roots = g_ptr_array_new ();
  GPtrArray *old_roots;
  WfWatchTable fresh;
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < self->roots->len; i++)
    g_ptr_array_add (known, describe_root (self, self->roots->pdata[i], since_ns));

  wf_watch_table_init (&fresh);
  /* Counted again by the walks below. */
  g_hash_table_remove_all (self->unwatched);
  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *old_root = self->roots->pdata[i];
      WfWatchNode *new_root = wf_watch_node_new (NULL, old_root->name);

      wf_inotify_walk_root (self, &fresh, new_root, WF_WALK_RESYNC, NULL);
      g_ptr_array_add (fresh_roots, new_root);
    }

  /* After the watches: whatever changes from now on is an event too. */
  for (guint i = 0; i < known->len; i++)
    wf_kit_snapshot_rescan (known->pdata[i], self->sink, RESYNC_FLAGS);
  g_ptr_array_unref (known);

  /* The same wd in both tables is one watch: a directory moved within the
   * tree keeps its watch under its new name.  Only leftovers go (unless a
   * parked root uses one, wf_inotify_settle() sees to that). */
  g_hash_table_iter_init (&iter, self->table.by_wd);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      WfWatchNode *old_node = key;

      if (wf_watch_table_lookup_wd (&fresh, old_node->wd) == NULL)
        wf_inotify_drop_watch (self, old_node->wd);
    }

  wf_watch_table_clear (&self->table);
  old_roots = self->roots;
  self->roots = fresh_roots;
  self->table = fresh;
  wf_inotify_parked_rebuilt (self, old_roots);
  for (guint i = 0; i < old_roots->len; i++)
    wf_watch_node_free (old_roots->pdata[i]);
  g_ptr_array_unref (old_roots);
  wf_inotify_settle (self);
}

void
wf_inotify_resync (WfBackendInstance *self, const char *reason)
{
  struct timespec started;

  clock_gettime (CLOCK_REALTIME_COARSE, &started);
  self->n_rescans++;
  wf_sink_debug (self->sink, "inotify: %s; rescanning %u root(s) to find what changed",
                 reason, self->roots->len);
  rebuild (self);
  self->complete_since = started;
  wf_sink_debug (self->sink, "inotify: resync done, %u directories watched",
                 g_hash_table_size (self->table.by_wd));
}
