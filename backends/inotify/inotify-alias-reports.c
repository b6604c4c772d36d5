/* SPDX-License-Identifier: MIT */
/* inotify-alias-reports.c: what a resync reported below an alias, kept
 * until the alias takes its watch over or is forgotten.
 *
 * A resync's rescan reads the live tree, and knows nothing of watches: a
 * directory moved while the walk ran is found twice (the walk makes the
 * second path an alias), one moved while the rescan ran is read at its
 * new path while the table still holds it at the old one (the walk of
 * the missed directory makes a claim), and the rescan reports what it
 * finds below either.  An alias knows no names of its own, so what the
 * rescan reported below it is kept here.  When the alias takes the watch
 * over, it lists silently and says how its listing differs from what was
 * kept; when a subtree report passes through it, what is kept stands for
 * what it holds; the next resync describes it so.
 *
 * Also here, as they serve the same end: saying how what a rescan
 * reported at a path differs from what was watched there afterwards
 * (the directories a resync's walk missed use them too).
 */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"

GHashTable *
wf_inotify_names_of (WfWatchNode *node)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  WfNameIter iter;
  const char *name;

  wf_name_set_compact (&node->entries);
  wf_name_iter_init (&iter, &node->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    g_hash_table_add (names, g_strdup (name));
  return names;
}

void
wf_inotify_alias_reports_init (WfBackendInstance *self)
{
  self->alias_reports = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) wf_kit_snapshot_free);
}

void
wf_inotify_alias_reports_clear (WfBackendInstance *self)
{
  g_clear_pointer (&self->alias_reports, g_hash_table_unref);
}

void
wf_inotify_alias_reports_forget_all (WfBackendInstance *self)
{
  g_hash_table_remove_all (self->alias_reports);
}

void
wf_inotify_alias_report_keep (WfBackendInstance *self, WfWatchNode *alias, const WfKitEntry *entry,
                              const char *path)
{
  /* The latest report is what the caller was told last. */
  if (wf_kit_entry_get_children (entry) != NULL)
    g_hash_table_replace (self->alias_reports, alias, wf_kit_snapshot_new_holding (path, entry));
}

WfKitSnapshot *
wf_inotify_alias_report_take (WfBackendInstance *self, WfWatchNode *alias)
{
  WfKitSnapshot *reported = NULL;

  /* Not by is_alias: a heir is no longer one when it takes this. */
  g_hash_table_steal_extended (self->alias_reports, alias, NULL, (gpointer *) &reported);
  return reported;
}

WfKitEntry *
wf_inotify_alias_report_lookup (WfBackendInstance *self, const WfWatchNode *alias)
{
  WfKitSnapshot *reported = alias->is_alias ? g_hash_table_lookup (self->alias_reports, alias) : NULL;

  return reported != NULL ? wf_kit_snapshot_get_root (reported) : NULL;
}

void
wf_inotify_report_found_since (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry,
                               GString *path, WfRawFlags flags)
{
  GHashTable *children = wf_kit_entry_get_children (entry);
  gsize dir_len = path->len;
  WfNameIter iter;
  const char *name;

  if (node == NULL || node->is_alias || node->is_file || children == NULL)
    return;
  wf_name_set_compact (&node->entries);
  wf_name_iter_init (&iter, &node->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    {
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, node, name);
      const WfKitEntry *reported = g_hash_table_lookup (children, name);

      wf_kit_path_append_name (path, name);
      if (reported == NULL)
        {
          wf_sink_push (self->sink, WF_RAW_CREATED, path->str, flags | (child != NULL ? WF_RAW_FLAG_IS_DIR : 0));
          if (child != NULL)
            wf_inotify_report_subtree (self, &self->table, child, path, WF_RAW_CREATED, flags);
        }
      else if (child != NULL)
        wf_inotify_report_found_since (self, child, reported, path, flags);
      g_string_truncate (path, dir_len);
    }
}

void
wf_inotify_report_lost_since (WfBackendInstance *self, WfWatchNode *node, const WfKitEntry *entry,
                              GString *path, WfRawFlags flags)
{
  GHashTable *children = wf_kit_entry_get_children (entry);
  g_autoptr (GHashTable) found = NULL;
  gsize dir_len = path->len;
  GHashTableIter iter;
  gpointer key, value;

  if (children == NULL)
    return;
  if (node != NULL && node->is_alias)
    {
      /* No names of its own: it says what it lost once it takes the
       * watch over. */
      wf_inotify_alias_report_keep (self, node, entry, path->str);
      return;
    }
  if (node == NULL)
    {
      struct stat st;
      gboolean exists;

      /* Still a directory, but unwatched (the watch limit, an error, a
       * path beyond PATH_MAX): whoever polls it, starting from what was
       * reported, or the error report says what it holds. */
      if ((self->follow_symlinks ? stat (path->str, &st) : lstat (path->str, &st)) == 0
            ? S_ISDIR (st.st_mode)
            : (errno != ENOENT && errno != ENOTDIR))
        {
          wf_inotify_poll_start_from (self, path->str, entry);
          return;
        }
      /* Gone, or something else now: its parent's event for that may
       * have been dropped as older than the rescan. */
      exists = lstat (path->str, &st) == 0;
      wf_kit_entry_report_below (entry, path, self->sink, WF_RAW_DELETED, flags);
      wf_sink_push (self->sink, WF_RAW_DELETED, path->str, flags | WF_RAW_FLAG_IS_DIR);
      if (exists)
        wf_sink_push (self->sink, WF_RAW_CREATED, path->str, flags);
      return;
    }
  found = wf_inotify_names_of (node);
  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      wf_kit_path_append_name (path, key);
      if (!g_hash_table_contains (found, key))
        {
          wf_kit_entry_report_below (value, path, self->sink, WF_RAW_DELETED, flags);
          wf_sink_push (self->sink, WF_RAW_DELETED, path->str,
                        flags | (wf_kit_entry_is_dir (value) ? WF_RAW_FLAG_IS_DIR : 0));
        }
      else if (wf_kit_entry_is_dir (value))
        wf_inotify_report_lost_since (self, wf_watch_table_lookup_child (&self->table, node, key), value,
                                      path, flags);
      g_string_truncate (path, dir_len);
    }
}
