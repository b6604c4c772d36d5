/* SPDX-License-Identifier: MIT */
/* inotify-claims.c: what a resync reported below a claim, kept until the
 * claim takes its watch over.
 *
 * A resync's rescan reads the live tree: a directory moved while it ran
 * is read, and reported, at its new path, though the table still holds it
 * at the old one, the move's events unread.  The walk that finds it there
 * makes a claim (inotify-watches.c), which knows no names of its own: so
 * what the rescan reported below it is kept here.  When the claim takes
 * the watch over, what its own listing no longer finds is reported
 * deleted; when it is forgotten, or a subtree report passes through it,
 * what is kept stands for what it holds.  A rescan reporting more than
 * the table knows is the one way a claim comes to hold reported names:
 * a claim made by an event's walk has reported nothing yet.
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
wf_inotify_claims_init (WfBackendInstance *self)
{
  self->claims = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) wf_kit_snapshot_free);
}

void
wf_inotify_claims_clear (WfBackendInstance *self)
{
  g_clear_pointer (&self->claims, g_hash_table_unref);
}

void
wf_inotify_claims_forget_all (WfBackendInstance *self)
{
  g_hash_table_remove_all (self->claims);
}

static void
remember (WfBackendInstance *self, WfWatchNode *claim, const WfKitEntry *entry, const char *path)
{
  g_hash_table_replace (self->claims, claim, wf_kit_snapshot_new_holding (path, entry));
}

WfKitSnapshot *
wf_inotify_claim_take (WfBackendInstance *self, WfWatchNode *claim)
{
  WfKitSnapshot *reported = NULL;

  if (claim->is_claim)
    g_hash_table_steal_extended (self->claims, claim, NULL, (gpointer *) &reported);
  return reported;
}

WfKitEntry *
wf_inotify_claim_lookup (WfBackendInstance *self, const WfWatchNode *claim)
{
  WfKitSnapshot *reported = claim->is_claim ? g_hash_table_lookup (self->claims, claim) : NULL;

  return reported != NULL ? wf_kit_snapshot_get_root (reported) : NULL;
}

void
wf_inotify_report_entry_tree (WfBackendInstance *self, const WfKitEntry *entry, GString *path,
                              WfRawKind kind, WfRawFlags flags)
{
  GHashTable *children = wf_kit_entry_get_children (entry);
  gsize dir_len = path->len;
  GHashTableIter iter;
  gpointer key, value;

  if (children == NULL)
    return;
  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      WfRawFlags entry_flags = flags | (wf_kit_entry_is_dir (value) ? WF_RAW_FLAG_IS_DIR : 0);

      wf_kit_path_append_name (path, key);
      /* Parents first for what appears, deepest first for what goes. */
      if (kind == WF_RAW_CREATED)
        wf_sink_push (self->sink, kind, path->str, entry_flags);
      wf_inotify_report_entry_tree (self, value, path, kind, flags);
      if (kind != WF_RAW_CREATED)
        wf_sink_push (self->sink, kind, path->str, entry_flags);
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

  if (children == NULL || (node != NULL && node->is_alias && !node->is_claim))
    /* An alias shows its owner's entries, which its owner reports. */
    return;
  if (node != NULL && node->is_claim)
    {
      /* Not listed yet: it reports what it lost once it takes the
       * watch over. */
      if (wf_inotify_claim_lookup (self, node) == NULL)
        remember (self, node, entry, path->str);
      return;
    }
  if (node == NULL)
    {
      struct stat st;

      /* Still a directory, but unwatched (the watch limit, an error, a
       * path beyond PATH_MAX): whoever polls it or the error report
       * says what it holds. */
      if (stat (path->str, &st) == 0 ? S_ISDIR (st.st_mode) : (errno != ENOENT && errno != ENOTDIR))
        return;
      wf_inotify_report_entry_tree (self, entry, path, WF_RAW_DELETED, flags);
      return;
    }
  found = wf_inotify_names_of (node);
  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      wf_kit_path_append_name (path, key);
      if (!g_hash_table_contains (found, key))
        {
          wf_inotify_report_entry_tree (self, value, path, WF_RAW_DELETED, flags);
          wf_sink_push (self->sink, WF_RAW_DELETED, path->str,
                        flags | (wf_kit_entry_is_dir (value) ? WF_RAW_FLAG_IS_DIR : 0));
        }
      else if (wf_kit_entry_is_dir (value))
        wf_inotify_report_lost_since (self, wf_watch_table_lookup_child (&self->table, node, key), value,
                                      path, flags);
      g_string_truncate (path, dir_len);
    }
}
