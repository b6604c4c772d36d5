/* SPDX-License-Identifier: MIT */
/* inotify-backend.c: the inotify backend module (Linux).
 *
 * The module's entry point, probe, instance lifecycle, and the reader
 * thread that turns kernel events into raw events for the sink.  One
 * thread per instance sleeps in poll() on the inotify fd and an eventfd
 * that stop() or add_root() signals: no timeout, so no wakeup while nothing
 * changes, unless a subtree is polled (inotify-polled-subtrees.c: past the
 * watch limit, or on a filesystem where inotify is silent): then it wakes
 * at poll's pace to rescan it.
 * Files, from the bottom up: packed names (inotify-names.c) and watch
 * nodes (inotify-tree.c); walks and forgetting watches
 * (inotify-watches.c); roots that go and come back
 * (inotify-missing-roots.c) and polled subtrees; recovering from lost
 * events (inotify-resync.c); and, after each event or call, settling what
 * it started (inotify-settle.c), for which the lower files mostly record
 * work.  Not all: a walk asks the missing roots and the reports kept for
 * aliases, a polled subtree's hand-over reconciles and marks the queue
 * with the resync's code, and a resync settles at its end (issue 8 point
 * 7, still open).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"
#include "inotify-backend-private.h"
#include "inotify-events.h"
#include "wf-kit-path.h"
#include "wf-kit-status.h"

/* Room for many events per read(); whatever exceeds it waits for the next. */
#define EVENT_BUFFER_SIZE (32 * 1024)
#define LARGEST_EVENT (sizeof (struct inotify_event) + NAME_MAX + 1)

/* ---- probe ---------------------------------------------------------------- */

static gboolean
probe (G_GNUC_UNUSED const char *path, int *priority, GError **error)
{
  int fd = inotify_init1 (IN_CLOEXEC);

  if (fd < 0)
    {
      int err = errno;

      /* Out of instances or descriptors is a limit that start() names;
       * anything else means the facility is missing or forbidden. */
      if (err != EMFILE && err != ENFILE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "inotify is not available: %s", g_strerror (err));
          return FALSE;
        }
    }
  else
    {
      close (fd);
    }

  /* Any path: where inotify is deaf to changes made elsewhere (NFS, SMB,
   * 9P, FUSE), the subtrees are polled as well (polled_filesystems), so
   * local changes stay immediate and every root keeps inotify. */
  if (priority != NULL)
    *priority = WF_BACKEND_PRIORITY_NATIVE;
  return TRUE;
}

/* ---- events --------------------------------------------------------------- */

static void
fail_backend (WfBackendInstance *self, const char *what, int err)
{
  g_autoptr (GError) error = g_error_new (G_IO_ERROR, g_io_error_from_errno (err),
                                          "inotify: %s failed: %s", what, g_strerror (err));

  wf_sink_fail (self->sink, error);
}

/* Is @path (an entry that is not itself a directory) a symlink we follow
 * into a directory? */
static gboolean
is_symlink_to_directory (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0 && S_ISLNK (st.st_mode)
         && stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* The directory @known (its path in self->event_path) was replaced by
 * what a rename put at its name: it is gone with all it held, as when
 * deleted (DESIGN rule 9); what arrived is reported by the caller. */
static void
report_replaced_directory (WfBackendInstance *self, WfWatchNode *known)
{
  wf_inotify_report_subtree (self, &self->table, known, self->event_path, WF_RAW_DELETED, WF_RAW_FLAG_NONE);
  wf_sink_push (self->sink, WF_RAW_DELETED, self->event_path->str, WF_RAW_FLAG_IS_DIR);
  wf_inotify_forget_node (self, known, TRUE);
}

/* @name appeared in @dir (created or moved in).  If it is a directory to
 * descend into, watch it, then scan it. */
static void
watch_new_entry (WfBackendInstance *self, WfWatchNode *dir, const char *name,
                 const char *path, gboolean is_directory)
{
  WfWatchNode *known = wf_watch_table_lookup_child (&self->table, dir, name);
  int probe = -1;

  if (!is_directory && !(self->follow_symlinks && is_symlink_to_directory (path)))
    {
      /* A directory by that name was replaced by something else (a
       * rename over it): what it held is gone. */
      if (known != NULL)
        report_replaced_directory (self, known);
      return;
    }

  if (known != NULL)
    {
      guint32 mask = WF_INOTIFY_WATCH_MASK | IN_ONLYDIR | (self->follow_symlinks ? 0 : IN_DONT_FOLLOW);

      int wd = inotify_add_watch (self->inotify_fd, path, mask);

      /* Already found by the scan of its parent: same inode, same wd. */
      if (wd == known->wd)
        return;
      probe = wd;
      /* Gone again, or replaced by a file: the parent's event for that
       * follows, and reports what the node knows below it; forgotten
       * now, that subtree would never be said deleted. */
      if (wd < 0 && (errno == ENOENT || errno == ENOTDIR))
        return;
      /* Another directory took the name: the old one's entries are gone,
       * the new one's are reported by its walk.  Another failure says
       * nothing of the sort (a path beyond PATH_MAX: the walk below opens
       * it piecewise). */
      if (wd >= 0)
        report_replaced_directory (self, known);
      else
        wf_inotify_forget_node (self, known, TRUE);
    }
  wf_inotify_walk_new_directory (self, dir, name, !is_directory);
  /* The walk takes that watch again, unless the directory went meanwhile:
   * then nobody owns it, and its events would come for a wd unknown to
   * us (a resync).  Settling removes it if so. */
  if (probe >= 0)
    wf_inotify_drop_watch (self, probe);
}

static void
handle_entry_event (WfBackendInstance *self, WfWatchNode *dir, const struct inotify_event *event)
{
  GString *path = self->event_path;
  WfRawFlags dir_flag = (event->mask & IN_ISDIR) ? WF_RAW_FLAG_IS_DIR : 0;

  if (dir->is_file)
    return;

  g_string_truncate (path, 0);
  wf_watch_node_append_path (dir, path);
  wf_kit_path_append_name (path, event->name);

  /* The walks left it out: no node, no entry, nothing to watch.  The sink
   * would drop its events anyway; a new ignored tree is not even looked
   * at. */
  if (wf_inotify_ignores (self, dir, path->str))
    return;
  if (self->checking && !wf_inotify_event_holds (self, dir, event, path->str))
    return;

  if (event->mask & (IN_DELETE | IN_MOVED_FROM))
    {
      /* Whatever it held is out of reach now: no stale watch may go on
       * reporting under the old path. */
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, dir, event->name);

      /* Everything known below it left with it (DESIGN rule 9): what an
       * rm -r deleted first was reported by its own watch already. */
      if (child != NULL)
        {
          wf_inotify_report_subtree (self, &self->table, child, path, WF_RAW_DELETED, WF_RAW_FLAG_NONE);
          wf_inotify_forget_node (self, child, TRUE);
        }
      wf_name_set_remove (&dir->entries, event->name);
      if (dir_flag != 0)
        g_hash_table_remove (self->unwatched, path->str);
      wf_sink_push (self->sink, (event->mask & IN_DELETE) ? WF_RAW_DELETED : WF_RAW_MOVED_FROM,
                    path->str, dir_flag);
    }

  if (event->mask & (IN_CREATE | IN_MOVED_TO))
    {
      wf_name_set_add (&dir->entries, event->name);
      wf_sink_push (self->sink, (event->mask & IN_CREATE) ? WF_RAW_CREATED : WF_RAW_MOVED_TO,
                    path->str, dir_flag);
      if (self->recursive)
        watch_new_entry (self, dir, event->name, path->str, dir_flag != 0);
    }

  /* Named to the caller now, so known: its creation may have been lost
   * (an overflow), or dropped in a checking window (the name gone by
   * then), and its deletion, lost or checked in turn, is said only for a
   * known name.  A repeat costs nothing (wf_name_set_add()). */
  if (event->mask & (IN_MODIFY | IN_ATTRIB))
    wf_name_set_add (&dir->entries, event->name);
  if (event->mask & IN_MODIFY)
    wf_sink_push (self->sink, WF_RAW_MODIFIED, path->str, dir_flag);
  if (event->mask & IN_ATTRIB)
    {
      WfWatchNode *child = dir_flag != 0 ? wf_watch_table_lookup_child (&self->table, dir, event->name) : NULL;

      if (child != NULL && !child->is_alias)
        wf_inotify_note_mode (child, -1, path->str);
      wf_sink_push (self->sink, WF_RAW_ATTRIB, path->str, dir_flag);
      /* A directory left unwatched for an error (unreadable) may be
       * readable now: watched, then read, what it holds is new to us. */
      if (dir_flag != 0 && self->recursive && g_hash_table_contains (self->unwatched, path->str)
          && access (path->str, R_OK | X_OK) == 0)
        {
          g_hash_table_remove (self->unwatched, path->str);
          watch_new_entry (self, dir, event->name, path->str, TRUE);
        }
    }
}

/* An event about the watched inode itself. */
static void
handle_self_event (WfBackendInstance *self, WfWatchNode *node, guint32 mask)
{
  const char *path = node->name;
  WfRawFlags dir_flag = node->is_file ? 0 : WF_RAW_FLAG_IS_DIR;

  /* Below a root, the parent's named event already said it. */
  if (node->parent != NULL)
    return;

  if (mask & IN_MODIFY)
    wf_sink_push (self->sink, WF_RAW_MODIFIED, path, dir_flag);
  if (mask & IN_ATTRIB)
    {
      if (!node->is_file)
        wf_inotify_note_mode (node, -1, path);
      wf_sink_push (self->sink, WF_RAW_ATTRIB, path, dir_flag);
      /* Maybe its link count: unlinked, or replaced by a rename. */
      if (node->is_file)
        {
          wf_inotify_file_root_attrib (self, node);
          return;
        }
    }
  if (mask & IN_DELETE_SELF)
    {
      wf_inotify_root_gone (self, node, WF_RAW_DELETED, FALSE);
    }
  else if (mask & IN_MOVE_SELF)
    {
      /* The watches follow the inodes: left alone they would go on
       * reporting changes of the moved tree under the root's path. */
      wf_inotify_root_gone (self, node, WF_RAW_MOVED_FROM, TRUE);
    }
}

/* The file system under @node was unmounted: as if its subtree was deleted. */
static void
handle_unmount (WfBackendInstance *self, WfWatchNode *node)
{
  g_autoptr (GString) path = g_string_new (NULL);
  WfRawFlags dir_flag = node->is_file ? 0 : WF_RAW_FLAG_IS_DIR;

  wf_watch_node_append_path (node, path);
  wf_inotify_report_subtree (self, &self->table, node, path, WF_RAW_DELETED, WF_RAW_FLAG_NONE);
  wf_sink_push (self->sink, WF_RAW_DELETED, path->str, dir_flag);

  if (node->parent == NULL)
    {
      wf_inotify_forget_root_tree (self, node, TRUE);
      wf_inotify_park_root (self, node);
      return;
    }
  wf_name_set_remove (&node->parent->entries, node->name);
  wf_inotify_forget_node (self, node, TRUE);
}

/* @node's directory is gone (its watch dropped by the kernel).  Whatever
 * its names still hold is gone too: usually nothing, an rm -r reported
 * them one by one, but the events of a resync's window may have been
 * dropped as stale, and the parent's event for it may be among them. */
static void
directory_gone (WfBackendInstance *self, WfWatchNode *node)
{
  GString *path = self->event_path;
  struct stat st;

  g_string_truncate (path, 0);
  wf_watch_node_append_path (node, path);
  wf_inotify_report_subtree (self, &self->table, node, path, WF_RAW_DELETED, WF_RAW_FLAG_NONE);
  if (lstat (path->str, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
    {
      wf_sink_push (self->sink, WF_RAW_DELETED, path->str, WF_RAW_FLAG_IS_DIR);
      wf_name_set_remove (&node->parent->entries, node->name);
    }
  wf_inotify_forget_node (self, node, FALSE);
}

/* Returns why events were lost (NULL if they were not). */
static const char *
handle_event (WfBackendInstance *self, const struct inotify_event *event)
{
  WfWatchNode *node;
  gboolean parked;

  if (event->mask & IN_Q_OVERFLOW)
    return "the kernel event queue overflowed";
  if ((self->skipping || self->checking) && wf_inotify_skip_stale (self, event))
    return NULL;

  /* A way back for a root that is gone: what it means is looked at once
   * the event is handled (wf_inotify_settle()). */
  parked = self->parked->len > 0 && wf_inotify_parked_uses (self, event->wd);
  if (parked)
    wf_inotify_parked_event (self, event);

  node = wf_watch_table_lookup_wd (&self->table, event->wd);
  if (node == NULL)
    {
      gpointer wd_key = GINT_TO_POINTER (event->wd);

      if (parked)
        return NULL;

      /* Late events of a watch we removed ourselves, or the last word of a
       * watch we had already forgotten. */
      if (g_hash_table_contains (self->removed_wds, wd_key))
        {
          if (event->mask & IN_IGNORED)
            g_hash_table_remove (self->removed_wds, wd_key);
          return NULL;
        }
      if (event->mask & IN_IGNORED)
        return NULL;
      wf_sink_debug (self->sink, "inotify: event 0x%x for unknown watch descriptor %d",
                     event->mask, event->wd);
      return "an event came for an unknown watch";
    }

  if (event->mask & IN_IGNORED)
    {
      /* The kernel dropped the watch: the inode is gone. */
      if (node->parent == NULL)
        wf_inotify_root_gone (self, node, WF_RAW_DELETED, FALSE);
      else
        directory_gone (self, node);
      return NULL;
    }
  if (event->mask & IN_UNMOUNT)
    {
      handle_unmount (self, node);
      return NULL;
    }

  if (event->len > 0 && event->name[0] != '\0')
    handle_entry_event (self, node, event);
  else
    handle_self_event (self, node, event->mask);
  return NULL;
}

static void
handle_events (WfBackendInstance *self, const char *buffer, gsize length,
               const struct timespec *read_started)
{
  const char *lost_sync = NULL;
  gboolean overflowed = FALSE;
  /* A marker awaited, written before this read. */
  gboolean awaiting = self->skipping || self->checking;
  guint n_markers_written = self->n_markers_written;

  /* A walk between reads (add_root(), a poll pass) took over a watch:
   * what this read holds of it may be older than that walk. */
  if (self->watch_reused)
    wf_inotify_mark_settled (self);
  const struct inotify_event *event;
  gboolean malformed = FALSE;
  gsize offset = 0;

  while ((event = wf_inotify_next_event (buffer, length, &offset, &malformed)) != NULL)
    {
      const char *lost;

      lost = handle_event (self, event);
      /* Before the next event: it may concern a watch this one gave up. */
      wf_inotify_settle (self);
      /* The events still queued for a watch a walk took over may be
       * older than its listing: checked until a marker says they are
       * past. */
      if (self->watch_reused)
        wf_inotify_mark_settled (self);
      if (lost != NULL && lost_sync == NULL)
        lost_sync = lost;
      if (event->mask & IN_Q_OVERFLOW)
        {
          overflowed = TRUE;
          lost_sync = lost;
        }
    }

  if (malformed)
    {
      overflowed = TRUE;
      lost_sync = "a malformed event record was read";
    }

  /* Room left for another event means the queue was empty: everything
   * that happened before this read() is now known. */
  if (!overflowed && length + LARGEST_EVENT <= EVENT_BUFFER_SIZE)
    {
      self->complete_since = *read_started;
      /* A read that empties the queue holds the markers written before
       * it, unless writes to a pipe raise no event here: then nothing is
       * dropped or checked again.  (One written while this read's events
       * were handled is still to come.) */
      if (awaiting && (self->skipping || self->checking) && self->n_markers_written == n_markers_written)
        {
          wf_sink_debug (self->sink, "inotify: the queue marker never came; no marker from now on");
          wf_inotify_marker_clear (self);
          self->marker_unsupported = TRUE;
        }
    }

  if (lost_sync != NULL)
    wf_inotify_resync (self, lost_sync);
}

static gpointer
read_events (gpointer data)
{
  WfBackendInstance *self = data;
  char *buffer = g_malloc (EVENT_BUFFER_SIZE);
  struct pollfd fds[2] = {
    { .fd = self->inotify_fd, .events = POLLIN },
    { .fd = self->wake_fd, .events = POLLIN },
  };

  for (;;)
    {
      struct timespec read_started;
      ssize_t length;
      int timeout = -1;
      int ready;

      /* add_root() wakes this thread when it adds a polled subtree. */
      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      if (self->polled->len > 0)
        {
          gint64 now = g_get_monotonic_time ();

          if (now >= self->next_poll)
            {
              self->next_poll = now + wf_inotify_poll_pass (self);
              /* Its walks may have given watches up (a path through a
               * symlink demoted), or met the limit deeper down. */
              wf_inotify_settle (self);
            }
          if (self->polled->len > 0)
            timeout = (int) MAX ((self->next_poll - now + 999) / 1000, 1);
        }
      g_mutex_unlock (&self->lock);

      ready = poll (fds, G_N_ELEMENTS (fds), timeout);
      if (ready < 0)
        {
          if (errno == EINTR)
            continue;
          fail_backend (self, "poll()", errno);
          break;
        }
      if (fds[1].revents != 0)
        {
          guint64 count;

          if (read (self->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
            {
              fail_backend (self, "read() of the wake-up eventfd", errno);
              break;
            }
          continue;
        }
      if (ready == 0)
        continue;
      if (fds[0].revents & (POLLERR | POLLNVAL))
        {
          fail_backend (self, "poll()", EIO);
          break;
        }
      if (!(fds[0].revents & POLLIN))
        continue;

      clock_gettime (CLOCK_REALTIME_COARSE, &read_started);
      length = read (self->inotify_fd, buffer, EVENT_BUFFER_SIZE);
      if (length < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          fail_backend (self, "read()", errno);
          break;
        }
      if (length == 0)
        {
          fail_backend (self, "read()", EIO);
          break;
        }

      g_mutex_lock (&self->lock);
      handle_events (self, buffer, (gsize) length, &read_started);
      g_mutex_unlock (&self->lock);
    }

  g_free (buffer);
  return NULL;
}

/* ---- instance ------------------------------------------------------------- */

/* Reads a field of @options only if the caller's struct has it. */
#define OPTION(options, field, fallback) \
  (WF_STRUCT_HAS_FIELD (options, WfBackendOptions, field) ? (options)->field : (fallback))

static GError *
instance_limit_error (int err)
{
  g_autofree char *system_limit = NULL;
  g_autofree char *namespace_limit = NULL;

  if (err != EMFILE)
    return g_error_new (G_IO_ERROR, g_io_error_from_errno (err),
                        "Cannot create an inotify instance: %s", g_strerror (err));

  g_file_get_contents ("/proc/sys/fs/inotify/max_user_instances", &system_limit, NULL, NULL);
  g_file_get_contents ("/proc/sys/user/max_inotify_instances", &namespace_limit, NULL, NULL);
  if (system_limit != NULL)
    g_strstrip (system_limit);
  if (namespace_limit != NULL)
    g_strstrip (namespace_limit);

  return g_error_new (WF_ERROR, WF_ERROR_WATCH_LIMIT,
                      "Cannot create an inotify instance: the limit fs.inotify.max_user_instances (%s%s%s) "
                      "is reached, or the process has no file descriptor left",
                      system_limit != NULL ? system_limit : "unknown",
                      namespace_limit != NULL && g_strcmp0 (namespace_limit, system_limit) != 0
                        ? "; user.max_inotify_instances in this user namespace: " : "",
                      namespace_limit != NULL && g_strcmp0 (namespace_limit, system_limit) != 0
                        ? namespace_limit : "");
}

static void
free_instance (WfBackendInstance *self)
{
  /* Closing the inotify descriptor removes the markers' watches. */
  self->rescan_marker.wd = self->settled_marker.wd = -1;
  wf_inotify_marker_clear (self);
  wf_inotify_alias_reports_clear (self);
  wf_watch_table_clear (&self->table);
  if (self->roots != NULL)
    {
      for (guint i = 0; i < self->roots->len; i++)
        wf_watch_node_free (self->roots->pdata[i]);
      g_ptr_array_unref (self->roots);
    }
  g_clear_pointer (&self->removed_wds, g_hash_table_unref);
  g_clear_pointer (&self->unwatched, g_hash_table_unref);
  g_clear_pointer (&self->parked, g_ptr_array_unref);
  wf_inotify_polled_clear (self);
  g_strfreev (self->polled_filesystems);
  wf_inotify_settle_clear (self);
  g_array_unref (self->dropped_wds);
  g_array_unref (self->orphaned_wds);
  if (self->inotify_fd >= 0)
    close (self->inotify_fd);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_string_free (self->walk_path, TRUE);
  g_string_free (self->walk_entry_path, TRUE);
  g_string_free (self->event_path, TRUE);
  g_byte_array_unref (self->walk_listing);
  g_ptr_array_unref (self->walk_names);
  g_ptr_array_unref (self->walk_pending);
  g_ptr_array_unref (self->walk_deferred);
  g_mutex_clear (&self->lock);
  g_clear_object (&self->ignore_rules);
  wf_sink_unref (self->sink);
  g_free (self);
}

static WfBackendInstance *
start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  WfBackendInstance *self = g_new0 (WfBackendInstance, 1);

  self->sink = wf_sink_ref (sink);
  self->recursive = OPTION (options, recursive, TRUE);
  self->follow_symlinks = OPTION (options, follow_symlinks, TRUE);
  self->ignore_permission_denied = OPTION (options, ignore_permission_denied, FALSE);
  /* What the watch limit leaves unwatched is polled at poll's pace. */
  wf_kit_pace_init (&self->poll_pace, OPTION (options, poll_delay_ms, WF_KIT_PACE_DEFAULT_DELAY_MS),
                    OPTION (options, poll_cpu_percent, WF_KIT_PACE_DEFAULT_CPU_PERCENT));
  self->watch_limit_policy = OPTION (options, watch_limit_policy, WF_WATCH_LIMIT_POLICY_POLL);
  self->polled_filesystems = g_strdupv ((GStrv) OPTION (options, polled_filesystems, NULL));
  self->ignore_rules = OPTION (options, ignore_rules, NULL);
  if (self->ignore_rules != NULL && wf_ignore_rules_is_empty (self->ignore_rules))
    self->ignore_rules = NULL;
  if (self->ignore_rules != NULL)
    g_object_ref (self->ignore_rules);
  self->inotify_fd = -1;
  self->wake_fd = -1;
  self->rescan_marker = self->settled_marker = (WfQueueMarker) { { -1, -1 }, -1 };
  g_mutex_init (&self->lock);
  wf_watch_table_init (&self->table);
  self->roots = g_ptr_array_new ();
  self->removed_wds = g_hash_table_new (NULL, NULL);
  self->unwatched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dropped_wds = g_array_new (FALSE, FALSE, sizeof (int));
  self->orphaned_wds = g_array_new (FALSE, FALSE, sizeof (int));
  self->parked = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_parked_root_free);
  wf_inotify_polled_init (self);
  wf_inotify_alias_reports_init (self);
  self->walk_path = g_string_new (NULL);
  self->walk_entry_path = g_string_new (NULL);
  self->event_path = g_string_new (NULL);
  self->walk_listing = g_byte_array_new ();
  self->walk_names = g_ptr_array_new ();
  self->walk_pending = g_ptr_array_new ();
  self->walk_deferred = g_ptr_array_new ();
  clock_gettime (CLOCK_REALTIME_COARSE, &self->complete_since);

  self->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (self->inotify_fd < 0)
    {
      int err = errno;

      if (err == ENOSYS || err == EPERM || err == EACCES)
        g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE,
                     "inotify is not available: %s", g_strerror (err));
      else
        g_propagate_error (error, instance_limit_error (err));
      free_instance (self);
      return NULL;
    }

  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->wake_fd < 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   "Cannot create an eventfd: %s", g_strerror (err));
      free_instance (self);
      return NULL;
    }

  self->reader = g_thread_try_new ("wf-inotify", read_events, self, error);
  if (self->reader == NULL)
    {
      free_instance (self);
      return NULL;
    }

  wf_sink_debug (sink, "inotify: started (fd %d, recursive: %s, follow symlinks: %s, ignore rules: %s)",
                 self->inotify_fd, self->recursive ? "yes" : "no",
                 self->follow_symlinks ? "yes" : "no", self->ignore_rules != NULL ? "yes" : "no");
  return self;
}

void
wf_inotify_wake_reader (WfBackendInstance *self)
{
  guint64 one = 1;

  /* Only a counter at its maximum refuses, and then a wake-up is pending. */
  if (write (self->wake_fd, &one, sizeof one) != sizeof one && errno != EAGAIN)
    g_error ("inotify: cannot wake the reader thread: %s", g_strerror (errno));
}

static void
stop (WfBackendInstance *self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_mutex_unlock (&self->lock);
  wf_inotify_wake_reader (self);
  g_thread_join (self->reader);
  /* Closing the inotify fd drops every watch at once. */
  free_instance (self);
}

static WfWatchNode *
find_root (WfBackendInstance *self, const char *path, guint *index)
{
  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *root = self->roots->pdata[i];

      if (strcmp (root->name, path) == 0)
        {
          if (index != NULL)
            *index = i;
          return root;
        }
    }
  return NULL;
}

static gboolean
add_root (WfBackendInstance *self, const char *path, GError **error)
{
  g_autofree char *absolute = wf_kit_path_make_absolute (path);
  WfWatchNode *root;
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  if (find_root (self, absolute, NULL) == NULL)
    {
      root = wf_watch_node_new (NULL, absolute);
      guint n_polled = self->polled->len;
      GError *local_error = NULL;

      ok = wf_inotify_walk_root (self, &self->table, root, WF_WALK_ADD_ROOT, &local_error);
      if (!ok && self->ignore_permission_denied &&
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        {
          /* Skipped, as RustNotify skips it, but not forgotten: watched
           * and read once it can be (as poll does). */
          wf_sink_debug (self->sink, "inotify: skipping root %s for now: %s", absolute, local_error->message);
          g_clear_error (&local_error);
          wf_inotify_park_unreadable_root (self, root);
          ok = TRUE;
        }
      if (ok)
        g_ptr_array_add (self->roots, root);
      else
        {
          g_propagate_error (error, local_error);
          wf_watch_node_free (root);
        }
      if (ok && root->is_alias)
        wf_sink_debug (self->sink, "inotify: %s is watched already through another path", absolute);
      if (ok)
        wf_inotify_poll_silent_filesystems (self, root);
      wf_inotify_settle (self);
      /* Past the watch limit, or on a silent filesystem: the reader
       * polls from now on. */
      if (self->polled->len > n_polled)
        wf_inotify_wake_reader (self);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
remove_root (WfBackendInstance *self, const char *path)
{
  g_autofree char *absolute = wf_kit_path_make_absolute (path);
  WfWatchNode *root;
  guint index;

  g_mutex_lock (&self->lock);
  root = find_root (self, absolute, &index);
  if (root != NULL)
    {
      g_ptr_array_remove_index (self->roots, index);
      wf_inotify_unpark_root (self, root);
      wf_inotify_unpoll_root (self, root->name);
      /* Where other paths (roots, symlinks) reach what it watched, they
       * take the watches over before the rest is removed. */
      wf_inotify_forget_root_tree (self, root, TRUE);
      wf_watch_node_free (root);
      wf_inotify_settle (self);
    }
  g_mutex_unlock (&self->lock);
}

static guint
count_directories (WfBackendInstance *self)
{
  guint watched_files = 0;

  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *root = self->roots->pdata[i];

      if (root->is_file && root->wd >= 0 && !root->is_alias)
        watched_files++;
    }
  return g_hash_table_size (self->table.by_wd) - watched_files;
}

/* Called with the lock held.  Directories the watch limit left unwatched
 * are polled, not counted unwatched. */
static void
count (WfBackendInstance *self, WfKitCounts *counts)
{
  *counts = (WfKitCounts) {
    .n_roots = self->roots->len,
    .n_directories = count_directories (self),
    .n_unwatched = g_hash_table_size (self->unwatched),
    .n_rescans = self->n_rescans,
    .n_polled_directories = wf_inotify_count_polled_directories (self),
  };
}

static char *
describe (WfBackendInstance *self)
{
  g_autofree char *own_fields = NULL;
  WfKitCounts counts;

  g_mutex_lock (&self->lock);
  count (self, &counts);
  own_fields = g_strdup_printf ("fd: %d, polled subtrees: %u", self->inotify_fd, self->polled->len);
  g_mutex_unlock (&self->lock);
  return wf_kit_describe ("InotifyBackend", own_fields, &counts);
}

static void
query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  WfKitCounts counts;

  g_mutex_lock (&self->lock);
  count (self, &counts);
  wf_inotify_polled_query_status (self, status);
  g_mutex_unlock (&self->lock);
  wf_kit_status_fill (status, &counts);
}

/* ---- module --------------------------------------------------------------- */

static const WfBackendVTable inotify_vtable = {
  .abi_major = WF_BACKEND_ABI_MAJOR,
  .struct_size = sizeof (WfBackendVTable),
  .name = "inotify",
  .description = "Linux inotify: one kernel watch per directory, polling only past the watch limit",
  .probe = probe,
  .start = start,
  .add_root = add_root,
  .remove_root = remove_root,
  .describe = describe,
  .query_status = query_status,
  .stop = stop,
};

WF_BACKEND_MODULE_EXPORT (inotify_vtable)
