/* inotify-backend.c: the inotify backend module (Linux).
 *
 * The module's entry point, probe, instance lifecycle, and the reader
 * thread that turns kernel events into raw events for the sink.  One
 * thread per instance sleeps in poll() on the inotify fd and an eventfd
 * that stop() signals: no timeout, so no wakeup while nothing changes,
 * unless the watch limit left a subtree polled (inotify-poll.c): then it
 * wakes every poll_delay_ms to rescan it.
 * Walking trees lives in inotify-walk.c, recovering from lost events in
 * inotify-resync.c, roots that go and come back in inotify-roots.c.  After
 * each event, wf_inotify_settle() finishes what it started: watches given
 * up are taken over by another path to the same directory or removed, and
 * roots gone look for their way back.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"
#include "inotify-backend-private.h"

/* Room for many events per read(); whatever exceeds it waits for the next. */
#define EVENT_BUFFER_SIZE (32 * 1024)
#define LARGEST_EVENT (sizeof (struct inotify_event) + NAME_MAX + 1)

/* ---- probe ---------------------------------------------------------------- */

/* File systems whose changes are made by other machines (or the host of a
 * VM), which the local kernel never hears about. */
static const struct {
  unsigned long magic;
  const char *name;
} remote_file_systems[] = {
  { 0x6969, "NFS" },
  { 0x517B, "SMB" },
  { 0xFF534D42, "CIFS" },
  { 0xFE534D42, "SMB2" },
  { 0x01021997, "9P" },
  { 0x00C36400, "Ceph" },
  { 0x73757245, "Coda" },
  { 0x5346414F, "AFS" },
  { 0x6B414653, "AFS" },
  { 0x564C, "NCP" },
  { 0x0BD00BD0, "Lustre" },
  { 0x47504653, "GPFS" },
  { 0x01161970, "GFS2" },
  { 0x7461636F, "OCFS2" },
  { 0x20030528, "OrangeFS" },
  { 0x786F4256, "VirtualBox shared folder" },
};

static gboolean
probe (const char *path, int *priority, GError **error)
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

  if (path != NULL)
    {
      struct statfs fs;

      /* A missing path is add_root()'s to report. */
      if (statfs (path, &fs) == 0)
        for (gsize i = 0; i < G_N_ELEMENTS (remote_file_systems); i++)
          if ((unsigned long) (guint32) fs.f_type == remote_file_systems[i].magic)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "inotify does not see changes made by other machines on %s file systems",
                           remote_file_systems[i].name);
              return FALSE;
            }
    }

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

/* @name appeared in @dir (created or moved in).  If it is a directory to
 * descend into, watch it, then scan it. */
static void
watch_new_entry (WfBackendInstance *self, WfWatchNode *dir, const char *name,
                 const char *path, gboolean is_directory)
{
  WfWatchNode *known = wf_watch_table_lookup_child (&self->table, dir, name);

  if (!is_directory && !(self->follow_symlinks && is_symlink_to_directory (path)))
    {
      /* A directory by that name was replaced by something else. */
      if (known != NULL)
        wf_inotify_forget_node (self, known, TRUE);
      return;
    }

  if (known != NULL)
    {
      guint32 mask = WF_INOTIFY_WATCH_MASK | IN_ONLYDIR | (self->follow_symlinks ? 0 : IN_DONT_FOLLOW);

      /* Already found by the scan of its parent: same inode, same wd. */
      if (inotify_add_watch (self->inotify_fd, path, mask) == known->wd)
        return;
      wf_inotify_forget_node (self, known, TRUE);
    }
  wf_inotify_walk_new_directory (self, dir, name, !is_directory);
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
  wf_path_append_name (path, event->name);

  /* The walks left it out: no node, no entry, nothing to watch.  The sink
   * would drop its events anyway; a new ignored tree is not even looked
   * at. */
  if (wf_inotify_ignores (self, dir, path->str))
    return;

  if (event->mask & (IN_DELETE | IN_MOVED_FROM))
    {
      /* Whatever it held is out of reach now: no stale watch may go on
       * reporting under the old path. */
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, dir, event->name);

      if (child != NULL)
        wf_inotify_forget_node (self, child, TRUE);
      wf_name_set_remove (&dir->entries, event->name);
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

  if (event->mask & IN_MODIFY)
    wf_sink_push (self->sink, WF_RAW_MODIFIED, path->str, dir_flag);
  if (event->mask & IN_ATTRIB)
    wf_sink_push (self->sink, WF_RAW_ATTRIB, path->str, dir_flag);
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

/* Returns why events were lost (NULL if they were not). */
static const char *
handle_event (WfBackendInstance *self, const struct inotify_event *event)
{
  WfWatchNode *node;
  gboolean parked;

  if (event->mask & IN_Q_OVERFLOW)
    return "the kernel event queue overflowed";

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
        wf_inotify_forget_node (self, node, FALSE);
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

  for (gsize offset = 0; offset + sizeof (struct inotify_event) <= length;)
    {
      const struct inotify_event *event = (const struct inotify_event *) (buffer + offset);
      const char *lost;

      offset += sizeof (struct inotify_event) + event->len;
      lost = handle_event (self, event);
      /* Before the next event: it may concern a watch this one gave up. */
      wf_inotify_settle (self);
      if (lost != NULL && lost_sync == NULL)
        lost_sync = lost;
      if (event->mask & IN_Q_OVERFLOW)
        {
          overflowed = TRUE;
          lost_sync = lost;
        }
    }

  /* Room left for another event means the queue was empty: everything
   * that happened before this read() is now known. */
  if (!overflowed && length + LARGEST_EVENT <= EVENT_BUFFER_SIZE)
    self->complete_since = *read_started;

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
    { .fd = self->stop_fd, .events = POLLIN },
  };

  for (;;)
    {
      struct timespec read_started;
      ssize_t length;
      int timeout = -1;
      int ready;

      /* Only this thread adds polled subtrees, so no wakeup is needed when
       * the first one comes. */
      g_mutex_lock (&self->lock);
      if (self->polled->len > 0)
        {
          gint64 now = g_get_monotonic_time ();

          if (now >= self->next_poll)
            {
              wf_inotify_poll_pass (self);
              self->next_poll = now + (gint64) self->poll_delay_ms * 1000;
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
        break;
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
#define OPTION(options, field, fallback)                                          \
  ((options) != NULL                                                              \
   && (options)->struct_size >= offsetof (WfBackendOptions, field) + sizeof ((options)->field) \
     ? (options)->field : (fallback))

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
  wf_watch_table_clear (&self->table);
  if (self->roots != NULL)
    {
      for (guint i = 0; i < self->roots->len; i++)
        wf_watch_node_free (self->roots->pdata[i]);
      g_ptr_array_unref (self->roots);
    }
  g_clear_pointer (&self->removed_wds, g_hash_table_unref);
  g_clear_pointer (&self->parked, g_ptr_array_unref);
  wf_inotify_polled_clear (self);
  g_array_unref (self->dropped_wds);
  g_array_unref (self->orphaned_wds);
  if (self->inotify_fd >= 0)
    close (self->inotify_fd);
  if (self->stop_fd >= 0)
    close (self->stop_fd);
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
  self->poll_delay_ms = OPTION (options, poll_delay_ms, 0);
  if (self->poll_delay_ms == 0)
    self->poll_delay_ms = 300;
  self->ignore_rules = OPTION (options, ignore_rules, NULL);
  if (self->ignore_rules != NULL && wf_ignore_rules_is_empty (self->ignore_rules))
    self->ignore_rules = NULL;
  if (self->ignore_rules != NULL)
    g_object_ref (self->ignore_rules);
  self->inotify_fd = -1;
  self->stop_fd = -1;
  g_mutex_init (&self->lock);
  wf_watch_table_init (&self->table);
  self->roots = g_ptr_array_new ();
  self->removed_wds = g_hash_table_new (NULL, NULL);
  self->dropped_wds = g_array_new (FALSE, FALSE, sizeof (int));
  self->orphaned_wds = g_array_new (FALSE, FALSE, sizeof (int));
  self->parked = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_parked_root_free);
  wf_inotify_polled_init (self);
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

  self->stop_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->stop_fd < 0)
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

static void
stop (WfBackendInstance *self)
{
  guint64 one = 1;

  if (write (self->stop_fd, &one, sizeof one) != sizeof one)
    g_error ("inotify: cannot wake the reader thread to stop it: %s", g_strerror (errno));
  g_thread_join (self->reader);
  /* Closing the inotify fd drops every watch at once. */
  free_instance (self);
}

/* Joins @path to the working directory without normalising it, as notify
 * does: watching "." reports "/cwd/./x". */
static char *
absolute_path (const char *path)
{
  g_autofree char *cwd = NULL;

  if (g_path_is_absolute (path))
    return g_strdup (path);
  cwd = g_get_current_dir ();
  return g_str_has_suffix (cwd, "/") ? g_strconcat (cwd, path, NULL)
                                     : g_strconcat (cwd, "/", path, NULL);
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
  g_autofree char *absolute = absolute_path (path);
  WfWatchNode *root;
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  if (find_root (self, absolute, NULL) == NULL)
    {
      root = wf_watch_node_new (NULL, absolute);
      ok = wf_inotify_walk_root (self, &self->table, root, WF_WALK_ADD_ROOT, error);
      if (ok)
        g_ptr_array_add (self->roots, root);
      else
        wf_watch_node_free (root);
      if (ok && root->is_alias)
        wf_sink_debug (self->sink, "inotify: %s is watched already through another path", absolute);
      wf_inotify_settle (self);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
remove_root (WfBackendInstance *self, const char *path)
{
  g_autofree char *absolute = absolute_path (path);
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

static char *
describe (WfBackendInstance *self)
{
  char *description;

  g_mutex_lock (&self->lock);
  description = g_strdup_printf ("InotifyBackend { fd: %d, roots: %u, directories: %u, "
                                 "unwatched: %u, polled: %u, rescans: %u }",
                                 self->inotify_fd, self->roots->len, count_directories (self),
                                 self->n_unwatched + self->polled->len, self->polled->len,
                                 self->n_rescans);
  g_mutex_unlock (&self->lock);
  return description;
}

#define STATUS_HAS(status, field) \
  ((status)->struct_size >= offsetof (WfBackendStatus, field) + sizeof ((status)->field))

static void
query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  g_mutex_lock (&self->lock);
  if (STATUS_HAS (status, n_roots))
    status->n_roots = self->roots->len;
  if (STATUS_HAS (status, n_directories))
    status->n_directories = count_directories (self);
  if (STATUS_HAS (status, n_unwatched))
    status->n_unwatched = self->n_unwatched + self->polled->len;
  if (STATUS_HAS (status, n_rescans))
    status->n_rescans = self->n_rescans;
  g_mutex_unlock (&self->lock);
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

G_MODULE_EXPORT const WfBackendVTable *wf_backend_module_get_vtable (guint host_abi_major);

/* The core compares abi_major itself, so that a mismatch gets a clear
 * message rather than a module that looks broken. */
G_MODULE_EXPORT const WfBackendVTable *
wf_backend_module_get_vtable (guint host_abi_major)
{
  return &inotify_vtable;
}
