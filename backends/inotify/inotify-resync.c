/* inotify-resync.c: getting back in step after losing events.
 *
 * When the kernel queue overflows, or an event names a watch we never made,
 * some changes were not told to us.  Every root is walked again into a fresh
 * table (watch-then-scan, so nothing changing meanwhile slips through), the
 * fresh trees are compared with the old ones name by name, and the
 * differences are pushed with WF_RAW_FLAG_RESYNC: new names as created, lost
 * names (with all they held) as deleted, and names whose inode changed since
 * the last complete read as modified.  Then the fresh table replaces the old
 * one and watches only the old one had are removed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"

#define RESYNC_FLAGS (WF_RAW_FLAG_SCAN | WF_RAW_FLAG_RESYNC)

typedef struct {
  WfBackendInstance *self;
  WfWatchTable *fresh;
  struct timespec since;
  GString *path;
} Comparison;

static gboolean
timespec_at_or_after (const struct timespec *t, const struct timespec *reference)
{
  return t->tv_sec > reference->tv_sec
         || (t->tv_sec == reference->tv_sec && t->tv_nsec >= reference->tv_nsec);
}

/* A directory's ctime moves with every entry added or removed, and those
 * are reported one by one; only a ctime newer than the mtime (chmod, chown,
 * rename of the directory itself) is a change of the directory. */
static void
report_if_changed (Comparison *c, WfRawFlags flags)
{
  struct stat st;

  if (lstat (c->path->str, &st) < 0)
    return;
  if (!timespec_at_or_after (&st.st_ctim, &c->since))
    return;
  if (S_ISDIR (st.st_mode)
      && st.st_ctim.tv_sec == st.st_mtim.tv_sec && st.st_ctim.tv_nsec == st.st_mtim.tv_nsec)
    return;
  wf_sink_push (c->self->sink, WF_RAW_MODIFIED, c->path->str, flags | RESYNC_FLAGS);
}

static void compare_directories (Comparison *c, WfWatchNode *old_dir, WfWatchNode *new_dir);

/* c->path is the entry's path; @old_child / @new_child its watched
 * directory in the old / fresh tree, if any. */
static void
compare_entry (Comparison *c, gboolean in_old, gboolean in_new,
               WfWatchNode *old_child, WfWatchNode *new_child)
{
  WfBackendInstance *self = c->self;

  if (in_old && !in_new)
    {
      wf_sink_push (self->sink, WF_RAW_DELETED, c->path->str,
                    RESYNC_FLAGS | (old_child != NULL ? WF_RAW_FLAG_IS_DIR : 0));
      if (old_child != NULL)
        wf_inotify_report_subtree (self, &self->table, old_child, c->path, WF_RAW_DELETED, RESYNC_FLAGS);
      return;
    }
  if (!in_old && in_new)
    {
      wf_sink_push (self->sink, WF_RAW_CREATED, c->path->str,
                    RESYNC_FLAGS | (new_child != NULL ? WF_RAW_FLAG_IS_DIR : 0));
      if (new_child != NULL)
        wf_inotify_report_subtree (self, c->fresh, new_child, c->path, WF_RAW_CREATED, RESYNC_FLAGS);
      return;
    }

  report_if_changed (c, new_child != NULL ? WF_RAW_FLAG_IS_DIR : 0);
  /* What lies below an alias is reported through the path that owns it. */
  if ((old_child != NULL && old_child->is_alias) || (new_child != NULL && new_child->is_alias))
    return;
  if (old_child != NULL && new_child != NULL)
    compare_directories (c, old_child, new_child);
  else if (old_child != NULL)
    wf_inotify_report_subtree (self, &self->table, old_child, c->path, WF_RAW_DELETED, RESYNC_FLAGS);
  else if (new_child != NULL)
    wf_inotify_report_subtree (self, c->fresh, new_child, c->path, WF_RAW_CREATED, RESYNC_FLAGS);
}

/* Merges the two sorted name lists; c->path is the directory's path. */
static void
compare_directories (Comparison *c, WfWatchNode *old_dir, WfWatchNode *new_dir)
{
  WfWatchTable *old_table = &c->self->table;
  gsize dir_len = c->path->len;
  WfNameIter old_iter;
  WfNameIter new_iter;
  const char *old_name;
  const char *new_name;

  wf_name_set_compact (&old_dir->entries);
  wf_name_set_compact (&new_dir->entries);
  wf_name_iter_init (&old_iter, &old_dir->entries);
  wf_name_iter_init (&new_iter, &new_dir->entries);
  old_name = wf_name_iter_next (&old_iter);
  new_name = wf_name_iter_next (&new_iter);

  while (old_name != NULL || new_name != NULL)
    {
      int order = old_name == NULL ? 1 : new_name == NULL ? -1 : strcmp (old_name, new_name);
      const char *name = order <= 0 ? old_name : new_name;

      wf_path_append_name (c->path, name);
      compare_entry (c, order <= 0, order >= 0,
                     order <= 0 ? wf_watch_table_lookup_child (old_table, old_dir, name) : NULL,
                     order >= 0 ? wf_watch_table_lookup_child (c->fresh, new_dir, name) : NULL);
      g_string_truncate (c->path, dir_len);

      if (order <= 0)
        old_name = wf_name_iter_next (&old_iter);
      if (order >= 0)
        new_name = wf_name_iter_next (&new_iter);
    }
}

static void
compare_roots (Comparison *c, WfWatchNode *old_root, WfWatchNode *new_root)
{
  gboolean was_there = old_root->wd >= 0;
  gboolean is_there = new_root->wd >= 0;
  WfRawFlags dir_flag = (is_there ? new_root->is_file : old_root->is_file) ? 0 : WF_RAW_FLAG_IS_DIR;

  g_string_assign (c->path, new_root->name);
  if (was_there && !is_there)
    wf_sink_push (c->self->sink, WF_RAW_DELETED, c->path->str, RESYNC_FLAGS | dir_flag);
  else if (!was_there && is_there)
    wf_sink_push (c->self->sink, WF_RAW_CREATED, c->path->str, RESYNC_FLAGS | dir_flag);

  /* Another path watches the same directory and reports for it. */
  if (old_root->is_alias || new_root->is_alias)
    return;
  if (was_there && is_there)
    report_if_changed (c, dir_flag);

  /* A root that is gone, or a file, has no entries: the merge then reports
   * everything on the other side. */
  compare_directories (c, old_root, new_root);
}

/* Walks every root again into a fresh table, reports how the fresh trees
 * differ from the old ones, and makes it current.  Roots found gone wait
 * to come back, roots found back stop waiting. */
static void
rebuild (WfBackendInstance *self)
{
  Comparison c = { self, NULL, self->complete_since, g_string_new (NULL) };
  GPtrArray *fresh_roots = g_ptr_array_new ();
  GPtrArray *old_roots;
  WfWatchTable fresh;
  GHashTableIter iter;
  gpointer key;

  wf_watch_table_init (&fresh);
  c.fresh = &fresh;
  /* Counted again by the walks below. */
  self->n_unwatched = 0;
  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *old_root = self->roots->pdata[i];
      WfWatchNode *new_root = wf_watch_node_new (NULL, old_root->name);

      wf_inotify_walk_root (self, &fresh, new_root, WF_WALK_RESYNC, NULL);
      g_ptr_array_add (fresh_roots, new_root);
    }

  for (guint i = 0; i < self->roots->len; i++)
    compare_roots (&c, self->roots->pdata[i], fresh_roots->pdata[i]);

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
  g_string_free (c.path, TRUE);
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
