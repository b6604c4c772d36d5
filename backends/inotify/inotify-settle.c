/* SPDX-License-Identifier: MIT */
/* inotify-settle.c: finishing, after each event or call, what it started.
 *
 * The lower files never call up: a walk that gives a watch up, forgets a
 * node whose aliases remain, or meets the watch limit only records it
 * (dropped_wds, orphaned_wds, the poll queue), and this step, above
 * watches, missing roots and polled subtrees, settles it: aliases take
 * orphaned watches over, missing roots look again, subtrees the limit left
 * unwatched start being polled, and the watches nobody took are removed.
 */
#include "config.h"

#include "inotify-backend-private.h"

/* Each round may find roots back or orphans to adopt, which may make more. */
#define SETTLE_ROUNDS 16
/* A burst of drops grows the array: above this it is given back. */
#define DROPPED_KEPT_BYTES (64 * 1024)

/* @heir (not a root) takes the watch over.  One a resync reported
 * things below lists silently, then says what differs from that report:
 * what it finds new, what is gone (nothing, if nothing changed, so that
 * remove_root() taking a watch over this way pushes nothing). */
static void
take_watch_over (WfBackendInstance *self, WfWatchNode *heir)
{
  WfKitSnapshot *kept = wf_inotify_alias_report_take (self, heir);
  WfWatchNode *parent = heir->parent;
  g_autofree char *name = kept != NULL ? g_strdup (heir->name) : NULL;
  g_autoptr (GString) path = NULL;

  if (kept != NULL)
    heir->is_claim = FALSE;
  wf_inotify_walk_heir (self, heir);
  if (kept == NULL)
    return;
  /* The walk frees @heir if its path is gone: look it up again. */
  heir = wf_watch_table_lookup_child (&self->table, parent, name);
  path = g_string_new (wf_kit_snapshot_get_path (kept));
  wf_inotify_report_found_since (self, heir, wf_kit_snapshot_get_root (kept), path,
                                 WF_RAW_FLAG_SCAN | WF_RAW_FLAG_RESYNC);
  wf_inotify_report_lost_since (self, heir, wf_kit_snapshot_get_root (kept), path,
                                WF_RAW_FLAG_SCAN | WF_RAW_FLAG_RESYNC);
  wf_kit_snapshot_free (kept);
}

/* Aliases whose owner was forgotten walk their path again, the first
 * taking the watch over. */
static void
adopt_orphans (WfBackendInstance *self)
{
  GArray *orphaned = self->orphaned_wds;

  while (orphaned->len > 0)
    {
      int wd = g_array_index (orphaned, int, orphaned->len - 1);
      GPtrArray *aliases = wf_watch_table_lookup_aliases (&self->table, wd);
      WfWatchNode *heir;

      g_array_set_size (orphaned, orphaned->len - 1);
      /* Taken over already, or nobody left to. */
      if (aliases == NULL || wf_watch_table_lookup_wd (&self->table, wd) != NULL)
        continue;

      /* Walked again, the alias finds the watch its owner left (or, its path
       * leading elsewhere now, another one); silently, for what lies there
       * was known and reported through the owner's path. */
      heir = wf_inotify_best_heir (aliases);
      wf_watch_table_detach (&self->table, heir);
      heir->is_alias = FALSE;
      heir->wd = -1;
      if (heir->parent == NULL)
        wf_inotify_root_rewalk (self, heir);
      else
        take_watch_over (self, heir);

      /* That path went elsewhere: the next alias tries. */
      if (wf_watch_table_lookup_wd (&self->table, wd) == NULL
          && wf_watch_table_lookup_aliases (&self->table, wd) != NULL)
        g_array_append_val (orphaned, wd);
    }
}

/* Removes the dropped watches nobody took. */
static void
release_dropped (WfBackendInstance *self)
{
  GArray *dropped = self->dropped_wds;
  gboolean grown = dropped->len * sizeof (int) > DROPPED_KEPT_BYTES;

  for (guint i = 0; i < dropped->len; i++)
    {
      int wd = g_array_index (dropped, int, i);

      if (wf_watch_table_lookup_wd (&self->table, wd) == NULL && !wf_inotify_parked_uses (self, wd)
          && !g_hash_table_contains (self->removed_wds, GINT_TO_POINTER (wd)))
        wf_inotify_remove_watch (self, wd);
    }
  g_array_set_size (dropped, 0);
  if (grown)
    {
      g_array_unref (self->dropped_wds);
      self->dropped_wds = g_array_new (FALSE, FALSE, sizeof (int));
    }
}

/* Subtrees the walks could not watch for the limit are polled from now on. */
static void
start_polling_queued (WfBackendInstance *self)
{
  g_autoptr (GPtrArray) queue = g_steal_pointer (&self->poll_queue);

  for (guint i = 0; queue != NULL && i < queue->len; i++)
    {
      WfPollRequest *request = queue->pdata[i];
      wf_inotify_poll_subtree (self, request->root, request->path, request->report_existing);
    }
}

void
wf_inotify_settle (WfBackendInstance *self)
{
  for (guint round = 0; round < SETTLE_ROUNDS; round++)
    {
      gboolean looked;

      adopt_orphans (self);
      looked = wf_inotify_parked_look_again (self);
      if (!looked && self->orphaned_wds->len == 0)
        break;
    }
  start_polling_queued (self);
  release_dropped (self);
}

void
wf_inotify_settle_clear (WfBackendInstance *self)
{
  g_clear_pointer (&self->poll_queue, g_ptr_array_unref);
}
