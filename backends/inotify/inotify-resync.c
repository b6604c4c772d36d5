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
 *
 * The rescan reads the tree after the walk did, and what it reported is
 * what the caller now believes: so the fresh table takes the rescan's
 * names (reconcile_*), or a change between the two reads would be lost
 * for good if its event is lost too (a directory reported added, then
 * moved away, never reported deleted).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"
#include "wf-kit-snapshot.h"

#define RESYNC_FLAGS (WF_RAW_FLAG_SCAN | WF_RAW_FLAG_RESYNC)

/* What an alias kept of an earlier rescan is what the caller was told is
 * below it. */
static void
describe_kept (WfKitSnapshot *snapshot, WfKitEntry *entry, const WfKitEntry *kept)
{
  GHashTable *children = wf_kit_entry_get_children (kept);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      /* A directory never listed is a name: its kind is judged anew. */
      WfKitKnown known = wf_kit_entry_is_dir (value) && wf_kit_entry_get_children (value) != NULL
                         ? WF_KIT_KNOWN_DIRECTORY : WF_KIT_KNOWN_NAME;
      WfKitEntry *child_entry = wf_kit_snapshot_add_known (snapshot, entry, key, known);

      if (known == WF_KIT_KNOWN_DIRECTORY)
        describe_kept (snapshot, child_entry, value);
    }
}

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
      WfKitEntry *kept = child != NULL ? wf_inotify_alias_report_lookup (self, child) : NULL;
      WfKitKnown known;

      wf_kit_path_append_name (path, name);
      if (kept != NULL)
        known = WF_KIT_KNOWN_DIRECTORY;
      else if (child != NULL && child->is_claim)
        /* Moved here, its move unread: nothing below it was reported yet
         * (the claim waits for the IN_MOVED_FROM to list it): a listed
         * directory holding nothing, so that the rescan reports all it
         * holds as added.  Taken for an alias (opaque), its entries were
         * never named once the overflow lost that IN_MOVED_FROM. */
        known = WF_KIT_KNOWN_DIRECTORY;
      else if (child != NULL)
        known = child->is_alias ? WF_KIT_KNOWN_OPAQUE : WF_KIT_KNOWN_DIRECTORY;
      else if (wf_inotify_is_limit_polled (self, path->str))
        /* Its own snapshot reports it, from the limit poller. */
        known = WF_KIT_KNOWN_OPAQUE;
      else
        /* A file, or a directory left unwatched: which one was not kept. */
        known = WF_KIT_KNOWN_NAME;

      {
        WfKitEntry *child_entry = wf_kit_snapshot_add_known (snapshot, entry, name, known);
        if (child != NULL && !child->is_alias && child->mode_known)
          wf_kit_entry_set_known_mode (child_entry, child->mode);
        if (kept != NULL)
          describe_kept (snapshot, child_entry, kept);
        else if (known == WF_KIT_KNOWN_DIRECTORY && !child->is_claim)
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

      if (known == WF_KIT_KNOWN_DIRECTORY && root->mode_known)
        wf_kit_entry_set_known_mode (entry, root->mode);
      if (known == WF_KIT_KNOWN_DIRECTORY)
        {
          g_autoptr (GString) path = g_string_new (root->name);
          describe_children (self, snapshot, entry, root, path);
        }
    }
  return snapshot;
}

/* A directory the rescan found where the table has none: watched once
 * every name the rescan lost is forgotten, so that a directory renamed
 * between the two reads keeps its watch under the new name. */
typedef struct {
  WfWatchNode *parent;
  char *name;
  const WfKitEntry *entry;  /* what the rescan read there */
} WfMissedDirectory;

static void
missed_directory_free (WfMissedDirectory *missed)
{
  g_free (missed->name);
  g_free (missed);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Makes @node's names those of @entry (the rescan's listing of the same
 * directory, its path in @path): names only the table had are forgotten,
 * with their watches, silently (they were never reported); directories
 * only the rescan found go to @missed.  Then the same below. */
static void
reconcile_node (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry, GString *path,
                GPtrArray *missed)
{
  GHashTable *children = wf_kit_entry_get_children (entry);
  g_autoptr (GHashTable) had = NULL;
  g_autoptr (GPtrArray) names = NULL;
  gsize dir_len = path->len;
  GHashTableIter iter;
  gpointer key, value;

  /* The mode the rescan read (or knew): an IN_ATTRIB dropped as older
   * than it would leave the walk's. */
  if (!node->is_file && !node->is_alias && S_ISDIR (wf_kit_entry_get_fingerprint (entry)->mode))
    {
      node->mode = wf_kit_entry_get_fingerprint (entry)->mode & 07777;
      node->mode_known = TRUE;
    }
  /* Not listed (unreadable, opaque, not recursing): the walk's names stay. */
  if (children == NULL || node->is_file)
    return;
  if (node->is_alias)
    {
      wf_inotify_alias_report_keep (self, node, entry, path->str);
      return;
    }

  had = wf_inotify_names_of (node);

  g_hash_table_iter_init (&iter, had);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const WfKitEntry *now = g_hash_table_lookup (children, key);
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, node, key);

      if (now != NULL && wf_kit_entry_is_dir (now))
        continue;
      /* Gone, or no longer a directory, when the rescan read it. */
      if (child == NULL)
        {
          wf_kit_path_append_name (path, key);
          g_hash_table_remove (self->unwatched, path->str);
          g_string_truncate (path, dir_len);
        }
      else
        wf_inotify_forget_node (self, child, TRUE);
    }

  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, node, key);

      g_ptr_array_add (names, key);
      if (!wf_kit_entry_is_dir (value) || !self->recursive)
        continue;
      wf_kit_path_append_name (path, key);
      if (child != NULL)
        reconcile_node (self, child, value, path, missed);
      else if (!g_hash_table_contains (self->unwatched, path->str) && !wf_inotify_is_polled (self, path->str))
        {
          WfMissedDirectory *directory = g_new (WfMissedDirectory, 1);
          directory->parent = node;
          directory->name = g_strdup (key);
          directory->entry = value;
          g_ptr_array_add (missed, directory);
        }
      g_string_truncate (path, dir_len);
    }

  g_ptr_array_sort (names, compare_names);
  wf_name_set_clear (&node->entries);
  wf_name_set_init_sorted (&node->entries, (const char *const *) names->pdata, names->len);
}

/* Watches the directories the rescan found where the table had none,
 * then reports what they lost since the rescan read them. */
static void
walk_missed (WfBackendInstance *self, GPtrArray *missed, GString *path)
{
  for (guint i = 0; i < missed->len; i++)
    {
      WfMissedDirectory *directory = missed->pdata[i];
      WfWatchNode *node = NULL;
      gboolean is_dir = FALSE, is_link = FALSE;
      struct stat st;

      g_string_truncate (path, 0);
      wf_watch_node_append_path (directory->parent, path);
      wf_kit_path_append_name (path, directory->name);
      if (lstat (path->str, &st) == 0)
        {
          is_dir = S_ISDIR (st.st_mode);
          is_link = S_ISLNK (st.st_mode) && self->follow_symlinks && stat (path->str, &st) == 0 &&
                    S_ISDIR (st.st_mode);
        }
      /* Its contents are reported as created, as for a directory created:
       * the rescan reported most already, and the debouncer keeps one. */
      if (is_dir || is_link)
        {
          wf_inotify_walk_new_directory (self, directory->parent, directory->name, is_link);
          node = wf_watch_table_lookup_child (&self->table, directory->parent, directory->name);
        }
      wf_inotify_report_lost_since (self, node, directory->entry, path, RESYNC_FLAGS);
    }
}

/* The fresh table, made to hold what the rescans (@known, one per root)
 * reported. */
static void
reconcile (WfBackendInstance *self, GPtrArray *known)
{
  g_autoptr (GPtrArray) missed = g_ptr_array_new_with_free_func ((GDestroyNotify) missed_directory_free);
  g_autoptr (GString) path = g_string_new (NULL);

  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *root = self->roots->pdata[i];
      WfKitEntry *entry = wf_kit_snapshot_get_root (known->pdata[i]);

      if (root->wd < 0 || root->is_file || root->is_alias || entry == NULL || !wf_kit_entry_is_dir (entry))
        continue;
      g_string_assign (path, root->name);
      reconcile_node (self, root, entry, path, missed);
    }
  walk_missed (self, missed, path);
}

void
wf_inotify_reconcile (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry, const char *path)
{
  g_autoptr (GPtrArray) missed = g_ptr_array_new_with_free_func ((GDestroyNotify) missed_directory_free);
  g_autoptr (GString) buffer = g_string_new (path);

  if (!wf_kit_entry_is_dir (entry))
    return;
  reconcile_node (self, node, entry, buffer, missed);
  walk_missed (self, missed, buffer);
}

static void
marker_close (WfBackendInstance *self, WfQueueMarker *marker)
{
  if (marker->wd >= 0 && self->inotify_fd >= 0)
    wf_inotify_remove_watch (self, marker->wd);
  marker->wd = -1;
  for (guint i = 0; i < 2; i++)
    if (marker->pipe[i] >= 0)
      {
        close (marker->pipe[i]);
        marker->pipe[i] = -1;
      }
}

void
wf_inotify_marker_clear (WfBackendInstance *self)
{
  marker_close (self, &self->rescan_marker);
  marker_close (self, &self->settled_marker);
  self->skipping = FALSE;
  self->checking = FALSE;
}

/* A pipe whose inode is watched: write() on it raises IN_MODIFY, queued
 * after every event before it. */
static gboolean
marker_open (WfBackendInstance *self, WfQueueMarker *marker)
{
  char proc_path[64];

  if (pipe2 (marker->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    {
      marker->pipe[0] = marker->pipe[1] = -1;
      return FALSE;
    }
  g_snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", marker->pipe[1]);
  marker->wd = inotify_add_watch (self->inotify_fd, proc_path, IN_MODIFY);
  /* No watch to spare (the limit), or no /proc: the stale events are
   * handled, as they would be without the marker. */
  if (marker->wd < 0)
    {
      wf_sink_debug (self->sink, "inotify: no queue marker (%s): events older than the rescan are "
                     "handled too", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
marker_write (WfBackendInstance *self, WfQueueMarker *marker)
{
  char byte = 0;

  self->n_markers_written++;
  return write (marker->pipe[1], &byte, 1) == 1 && read (marker->pipe[0], &byte, 1) == 1;
}

/* Marks the place in the kernel queue the rescan begins at (skipping
 * until it is read; wf_inotify_mark_settled() marks where it ends).  The
 * pipes and their watches exist only until the markers are read, so that
 * watches and descriptors stay those of the trees.  Each rescan has pipes
 * of its own: were an earlier rescan's marker still queued (another
 * overflow came before it), reading that one must not end the skipping,
 * and the kernel would merge two markers of one watch queued in a row. */
static void
mark_queue (WfBackendInstance *self)
{
  if (self->marker_unsupported)
    return;
  /* Their events, still queued, are dropped as stale: the watches are gone. */
  wf_inotify_marker_clear (self);
  if (!marker_open (self, &self->rescan_marker) || !marker_write (self, &self->rescan_marker))
    {
      wf_inotify_marker_clear (self);
      return;
    }
  self->skipping = TRUE;
}

void
wf_inotify_mark_settled (WfBackendInstance *self)
{
  self->watch_reused = FALSE;
  if (self->marker_unsupported)
    return;
  /* A later end replaces an earlier one still queued: until it is read,
   * all is checked. */
  marker_close (self, &self->settled_marker);
  if (!marker_open (self, &self->settled_marker) || !marker_write (self, &self->settled_marker))
    {
      marker_close (self, &self->settled_marker);
      return;
    }
  self->checking = TRUE;
}

gboolean
wf_inotify_event_holds (WfBackendInstance *self, WfWatchNode *dir, const struct inotify_event *event,
                        const char *path)
{
  struct stat st;
  gboolean exists = lstat (path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);

  if (event->mask & (IN_DELETE | IN_MOVED_FROM))
    /* Gone, and the caller was told it was there. */
    return !exists && (wf_watch_table_lookup_child (&self->table, dir, event->name) != NULL ||
                       wf_name_set_contains (&dir->entries, event->name));
  return exists;
}

gboolean
wf_inotify_skip_stale (WfBackendInstance *self, const struct inotify_event *event)
{
  if (event->wd == self->rescan_marker.wd)
    {
      marker_close (self, &self->rescan_marker);
      self->skipping = FALSE;
      return TRUE;
    }
  /* Past it, the table is behind the events again (and were the first
   * lost in an overflow, nothing is older than this either). */
  if (event->wd == self->settled_marker.wd)
    {
      wf_inotify_marker_clear (self);
      return TRUE;
    }
  if (!self->skipping)
    return FALSE;
  /* The kernel's word that a watch is gone is not stale: the table may
   * still hold it.  Nor is a root's about itself (moved, deleted, a file
   * root's attributes): no rescan of names would see that. */
  if (event->mask & (IN_IGNORED | IN_UNMOUNT))
    return FALSE;
  if (event->len == 0)
    {
      WfWatchNode *node = wf_watch_table_lookup_wd (&self->table, event->wd);
      return node == NULL || node->parent != NULL;
    }
  /* A change of contents or attributes is kept if its path is still
   * there: a directory's chmod is nothing a rescan of names can see. */
  if ((event->mask & (IN_MODIFY | IN_ATTRIB)) && event->len > 0)
    {
      WfWatchNode *node = wf_watch_table_lookup_wd (&self->table, event->wd);
      g_autoptr (GString) path = NULL;
      struct stat st;

      if (node == NULL || node->is_file)
        return TRUE;
      path = g_string_new (NULL);
      wf_watch_node_append_path (node, path);
      wf_kit_path_append_name (path, event->name);
      /* Kept, it makes its name known (handle_entry_event()): the
       * rescan may have missed it, a listing need not show an entry made
       * while it runs. */
      return wf_inotify_ignores (self, node, path->str) || lstat (path->str, &st) != 0;
    }
  return TRUE;
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
  /* Described: the rescan reports what became of what aliases kept. */
  wf_inotify_alias_reports_forget_all (self);

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

  /* After the watches: whatever changes from now on is an event too, and
   * what changed before is read by the rescan. */
  mark_queue (self);
  for (guint i = 0; i < known->len; i++)
    wf_kit_snapshot_rescan (known->pdata[i], self->sink, RESYNC_FLAGS);

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
  reconcile (self, known);
  g_ptr_array_unref (known);
  wf_inotify_settle (self);
  wf_inotify_mark_settled (self);
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
