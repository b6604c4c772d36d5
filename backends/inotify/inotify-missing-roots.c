/* SPDX-License-Identifier: MIT */
/* inotify-missing-roots.c: roots that go and come back (DESIGN rule 4).
 *
 * A root deleted or moved away is reported, then its path is watched for
 * its return: the nearest existing ancestor directory gets a watch for
 * entries created or moved in, and every directory above it one for its
 * own move or deletion (moving any of them away breaks the path, and only
 * the moved directory hears of it).  When the next component of the root's
 * path appears, the watch moves down to it; once the root's path exists
 * again it is watched, then scanned, and reported added with all it holds.
 * No timer: the kernel says when to look again.  Those watches share the
 * kernel's one-per-inode watch with the trees we watch, and go when the
 * root comes back or is removed.
 *
 * A single-file root replaced by another file, as an editor's atomic save
 * does (write a temporary file, rename it over the root), is reported
 * modified and the new file is watched: the rename drops the old inode's
 * link count (IN_ATTRIB, then IN_DELETE_SELF), and by then the path names
 * the new file.  Whenever a file root's watch reports it gone and a file
 * stands at its path again, that is a replacement; if the path is empty,
 * the root is reported deleted now and added when it comes back.
 *
 * Limits: a symlink on the way to a root is watched through (its target
 * is), so a link replaced by another one is not seen.  While a root is
 * there, only its own watch says it went: a directory above it moved away
 * takes the root's inode along without a word to it, and the root goes on
 * being watched there.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"
#include "wf-kit-missing-root.h"

/* IN_ATTRIB: a chmod may make the next component watchable. */
#define NEAREST_MASK  (IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | \
                       IN_MASK_ADD)
#define ANCESTOR_MASK (IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_MASK_ADD)
/* What makes a watched ancestor useless: look again from the top. */
#define GONE_MASK     (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)

/* A path changing faster than we climb it: stop after this many tries,
 * the next event on the watches we have says when to try again. */
#define LOOK_ATTEMPTS 16

struct _WfParkedRoot {
  WfWatchNode *root;
  WfKitMissingRoot way_back;
  gboolean look_again;
  /* It was there, but could not be read (ignore_permission_denied): once
   * it can, it is reported modified, not added. */
  gboolean unreadable;
  guint n_wds;
  int *wds;               /* from "/" down to the nearest ancestor; -1: none (or dropped by the kernel) */
};

void
wf_parked_root_free (WfParkedRoot *parked)
{
  wf_kit_missing_root_clear (&parked->way_back);
  g_free (parked->wds);
  g_free (parked);
}

static WfParkedRoot *
find_parked (WfBackendInstance *self, WfWatchNode *root, guint *index)
{
  for (guint i = 0; i < self->parked->len; i++)
    {
      WfParkedRoot *parked = self->parked->pdata[i];

      if (parked->root == root)
        {
          if (index != NULL)
            *index = i;
          return parked;
        }
    }
  return NULL;
}

gboolean
wf_inotify_parked_uses (WfBackendInstance *self, int wd)
{
  for (guint i = 0; i < self->parked->len; i++)
    {
      WfParkedRoot *parked = self->parked->pdata[i];

      for (guint j = 0; j < parked->n_wds; j++)
        if (parked->wds[j] == wd)
          return TRUE;
    }
  return FALSE;
}

static void
drop_ancestors (WfBackendInstance *self, WfParkedRoot *parked)
{
  for (guint i = 0; i < parked->n_wds; i++)
    if (parked->wds[i] >= 0)
      wf_inotify_drop_watch (self, parked->wds[i]);
  g_clear_pointer (&parked->wds, g_free);
  parked->n_wds = 0;
  wf_kit_missing_root_set_nearest (&parked->way_back, 0);
}

typedef enum {
  ANCESTORS_WATCHED,
  /* The nearest existing ancestor vanished meanwhile: climb again. */
  ANCESTORS_VANISHED,
  /* It cannot be watched (permission): its parent waits for it to change. */
  ANCESTORS_BLOCKED,
} AncestorsWatch;

/* Watches the nearest existing ancestor of the root, and the directories
 * above it. */
static AncestorsWatch
watch_ancestors (WfBackendInstance *self, WfParkedRoot *parked)
{
  g_autofree char *nearest = wf_kit_missing_root_climb (&parked->way_back);
  g_autofree gsize *ends = NULL;
  guint n_levels = wf_kit_missing_root_levels (&parked->way_back, &ends);
  const char *path = parked->way_back.path;
  gsize previous_end = 0;

  parked->wds = g_new (int, n_levels);
  for (guint i = 0; i < n_levels; i++)
    {
      g_autofree char *level = g_strndup (path, ends[i]);
      gboolean is_nearest = i + 1 == n_levels;
      int wd = inotify_add_watch (self->inotify_fd, level, is_nearest ? NEAREST_MASK : ANCESTOR_MASK);

      if (wd < 0 && is_nearest)
        {
          int err = errno;
          g_autofree char *parent = NULL;

          if (err == ENOENT || err == ENOTDIR)
            return ANCESTORS_VANISHED;
          wf_sink_debug (self->sink, "inotify: cannot watch %s for %s to come back: %s",
                         nearest, parked->root->name, g_strerror (err));
          if (parked->n_wds == 0 || parked->wds[parked->n_wds - 1] < 0)
            return ANCESTORS_BLOCKED;
          /* Its parent hears of a chmod of it (IN_ATTRIB). */
          parent = g_strndup (path, previous_end);
          wf_kit_missing_root_set_nearest (&parked->way_back, previous_end);
          parked->wds[parked->n_wds - 1] = inotify_add_watch (self->inotify_fd, parent, NEAREST_MASK);
          return ANCESTORS_BLOCKED;
        }
      parked->wds[parked->n_wds++] = wd;
      previous_end = ends[i];
    }
  return ANCESTORS_WATCHED;
}

/* Watch, then scan: the root and all it holds are reported added. */
static gboolean
root_returns (WfBackendInstance *self, WfParkedRoot *parked)
{
  WfWatchNode *root = parked->root;

  wf_inotify_forget_root_tree (self, root, TRUE);
  root->is_file = FALSE;
  wf_inotify_walk_root (self, &self->table, root, WF_WALK_NEW_DIRECTORY, NULL);
  if (root->wd < 0)
    return FALSE;
  wf_sink_push (self->sink, parked->unreadable ? WF_RAW_ATTRIB : WF_RAW_CREATED, root->name,
                root->is_file ? 0 : WF_RAW_FLAG_IS_DIR);
  wf_sink_debug (self->sink, "inotify: root %s is back", root->name);
  return TRUE;
}

/* TRUE once the root is back; else it waits, watching its way back. */
static gboolean
look_again (WfBackendInstance *self, WfParkedRoot *parked)
{
  WfWatchNode *root = parked->root;

  for (guint attempt = 0; attempt < LOOK_ATTEMPTS; attempt++)
    {
      gboolean blocked = FALSE;
      struct stat st;

      /* Dropped, not removed: watched again just below, they stay. */
      drop_ancestors (self, parked);
      if (stat (root->name, &st) == 0)
        {
          if (root_returns (self, parked))
            return TRUE;
          /* There, but it cannot be watched (and that was reported): wait
           * for it to be replaced. */
          blocked = stat (root->name, &st) == 0;
        }
      switch (watch_ancestors (self, parked))
        {
        case ANCESTORS_VANISHED:
          continue;
        case ANCESTORS_BLOCKED:
          return FALSE;
        case ANCESTORS_WATCHED:
          break;
        }
      /* Watch, then look: what appeared before the watch is seen here. */
      if (blocked || !wf_kit_missing_root_next_exists (&parked->way_back))
        return FALSE;
    }
  return FALSE;
}

void
wf_inotify_park_root (WfBackendInstance *self, WfWatchNode *root)
{
  WfParkedRoot *parked = find_parked (self, root, NULL);

  if (parked == NULL)
    {
      parked = g_new0 (WfParkedRoot, 1);
      parked->root = root;
      wf_kit_missing_root_init (&parked->way_back, root->name);
      g_ptr_array_add (self->parked, parked);
      wf_sink_debug (self->sink, "inotify: root %s is gone; watching for it to come back", root->name);
    }
  parked->look_again = TRUE;
}

void
wf_inotify_park_unreadable_root (WfBackendInstance *self, WfWatchNode *root)
{
  WfParkedRoot *parked;

  wf_inotify_park_root (self, root);
  parked = find_parked (self, root, NULL);
  parked->unreadable = TRUE;
}

void
wf_inotify_unpark_root (WfBackendInstance *self, WfWatchNode *root)
{
  guint index;
  WfParkedRoot *parked = find_parked (self, root, &index);

  if (parked == NULL)
    return;
  drop_ancestors (self, parked);
  g_ptr_array_remove_index_fast (self->parked, index);
}

/* A file stands at @path (the replacement of a file root)? */
static gboolean
file_stands_at (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && !S_ISDIR (st.st_mode);
}

void
wf_inotify_root_gone (WfBackendInstance *self, WfWatchNode *root, WfRawKind kind, gboolean watch_alive)
{
  gboolean was_file = root->is_file;

  /* A tree that leaves is reported with everything known below it
   * (DESIGN rule 9). */
  if (!was_file && !root->is_alias)
    {
      g_autoptr (GString) path = g_string_new (root->name);
      wf_inotify_report_subtree (self, &self->table, root, path, kind, WF_RAW_FLAG_NONE);
    }
  wf_inotify_forget_root_tree (self, root, watch_alive);
  root->is_file = FALSE;
  if (was_file && file_stands_at (root->name))
    {
      /* Replaced: the new file is the root now. */
      wf_inotify_walk_root (self, &self->table, root, WF_WALK_RESYNC, NULL);
      if (root->wd >= 0)
        {
          wf_sink_push (self->sink, WF_RAW_MODIFIED, root->name, root->is_file ? 0 : WF_RAW_FLAG_IS_DIR);
          return;
        }
    }
  wf_sink_push (self->sink, kind, root->name, was_file ? 0 : WF_RAW_FLAG_IS_DIR);
  wf_inotify_park_root (self, root);
}

void
wf_inotify_file_root_attrib (WfBackendInstance *self, WfWatchNode *root)
{
  /* Asking for the path's watch again costs nothing when it still names
   * our file (same inode, same wd, same mask). */
  int wd = inotify_add_watch (self->inotify_fd, root->name, WF_INOTIFY_WATCH_MASK);

  if (wd == root->wd)
    return;
  if (wd >= 0)
    {
      /* Another file: the walk of the replacement takes this watch. */
      wf_inotify_drop_watch (self, wd);
    }
  else if (errno != ENOENT && errno != ENOTDIR)
    {
      return;
    }
  /* Unlinked, or replaced: its link count changed because of it. */
  wf_inotify_root_gone (self, root, WF_RAW_DELETED, TRUE);
}

void
wf_inotify_root_rewalk (WfBackendInstance *self, WfWatchNode *root)
{
  gboolean was_file = root->is_file;

  root->is_file = FALSE;
  wf_inotify_walk_root (self, &self->table, root, WF_WALK_RESYNC, NULL);
  if (root->wd >= 0)
    return;
  wf_sink_push (self->sink, WF_RAW_DELETED, root->name, was_file ? 0 : WF_RAW_FLAG_IS_DIR);
  wf_inotify_park_root (self, root);
}

void
wf_inotify_parked_event (WfBackendInstance *self, const struct inotify_event *event)
{
  for (guint i = 0; i < self->parked->len; i++)
    {
      WfParkedRoot *parked = self->parked->pdata[i];

      for (guint j = 0; j < parked->n_wds; j++)
        {
          if (parked->wds[j] != event->wd)
            continue;
          if (event->mask & GONE_MASK)
            {
              parked->look_again = TRUE;
              /* Nothing left to remove. */
              if (event->mask & IN_IGNORED)
                parked->wds[j] = -1;
            }
          else if (j == parked->n_wds - 1 && (event->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB))
                   && event->len > 0)
            {
              if (wf_kit_missing_root_is_next (&parked->way_back, event->name))
                parked->look_again = TRUE;
            }
        }
    }
}

void
wf_inotify_parked_rebuilt (WfBackendInstance *self, GPtrArray *old_roots)
{
  for (guint i = 0; i < self->parked->len; i++)
    {
      WfParkedRoot *parked = self->parked->pdata[i];

      for (guint j = 0; j < old_roots->len; j++)
        if (old_roots->pdata[j] == parked->root)
          parked->root = self->roots->pdata[j];
    }

  /* The comparison reported roots found gone or back. */
  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *root = self->roots->pdata[i];

      if (root->wd < 0)
        wf_inotify_park_root (self, root);
      else
        wf_inotify_unpark_root (self, root);
    }
}

gboolean
wf_inotify_parked_look_again (WfBackendInstance *self)
{
  gboolean looked = FALSE;

  for (guint i = 0; i < self->parked->len;)
    {
      WfParkedRoot *parked = self->parked->pdata[i];

      if (!parked->look_again)
        {
          i++;
          continue;
        }
      parked->look_again = FALSE;
      looked = TRUE;
      if (look_again (self, parked))
        g_ptr_array_remove_index_fast (self->parked, i);
      else
        i++;
    }
  return looked;
}
