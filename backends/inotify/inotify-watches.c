/* SPDX-License-Identifier: MIT */
/* inotify-watches.c: watch-then-scan walks of directory trees, and forgetting
 * them again.
 *
 * Every directory is watched first and read afterwards: whatever appears
 * before the watch is in the listing, whatever appears after it is an event,
 * so nothing created in a new directory is missed (duplicates are harmless,
 * the core deduplicates).  The walk keeps one directory open at a time and
 * stats only entries whose type the directory listing leaves open.
 *
 * A directory reached a second time (its wd is known) becomes an alias of
 * the node that owns the watch; or, found by the walk of a new directory
 * while the owner's path leads elsewhere (it was moved there, the events
 * of the move not read yet), a claim: an alias that reports nothing and
 * takes the watch over, with a listing of its own, once the move's
 * events have made the owner forgotten.  The real path must be the owner,
 * or its changes would be reported under a symlink's name and removing the
 * link would remove the watch: so a walk enters followed symlinks only after
 * every real directory it can reach, and a real path that meets a watch
 * owned through a symlink (made by an earlier walk) takes it over.
 * Forgetting nodes does not remove their watches on the spot: they are
 * dropped, and wf_inotify_settle() lets an alias take each over or removes
 * what nobody took; a subtree the watch limit leaves unwatched is queued
 * for it to poll.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "inotify-backend-private.h"
#include "wf-kit-dir-reader.h"
#include "wf-kit-limit.h"

typedef enum {
  STEP_WATCHED,
  STEP_SKIPPED,
  STEP_FAILED,
} WalkStep;

typedef struct {
  WfBackendInstance *self;
  WfWatchTable *table;
  WfWalkMode mode;
  GError *error;
  guint pending_peak;
} Walk;

#define LISTED_DIRECTORY 'd'
#define LISTED_LINK      'l'   /* a followed symlink to a directory */
#define LISTED_OTHER     '-'

static const WfKitLimit inotify_watch_limit = {
  .name = "fs.inotify.max_user_watches",
  .proc_file = "/proc/sys/fs/inotify/max_user_watches",
  .raise_hint = "raise it, e.g. “sysctl fs.inotify.max_user_watches=524288”",
  .namespace_name = "user.max_inotify_watches",
  .namespace_proc_file = "/proc/sys/user/max_inotify_watches",
};

GError *
wf_inotify_watch_limit_error (const char *path)
{
  return wf_kit_limit_error (&inotify_watch_limit, "inotify watch", path);
}

void
wf_inotify_note_mode (WfWatchNode *node, int fd, const char *path)
{
  struct stat st;

  if ((fd >= 0 ? fstat (fd, &st) : stat (path, &st)) == 0 && S_ISDIR (st.st_mode))
    {
      node->mode = st.st_mode & 07777;
      node->mode_known = TRUE;
    }
}

void
wf_inotify_note_unwatched (WfBackendInstance *self, const char *path)
{
  g_hash_table_add (self->unwatched, g_strdup (path));
}

static void
poll_request_free (gpointer data)
{
  WfPollRequest *request = data;

  g_free (request->root);
  g_free (request->path);
  g_free (request);
}

/* wf_inotify_settle() starts polling it: a walk never calls up. */
static void
queue_poll (WfBackendInstance *self, const char *root, const char *path, gboolean report_existing)
{
  WfPollRequest *request = g_new (WfPollRequest, 1);

  request->root = g_strdup (root);
  request->path = g_strdup (path);
  request->report_existing = report_existing;
  if (self->poll_queue == NULL)
    self->poll_queue = g_ptr_array_new_with_free_func (poll_request_free);
  g_ptr_array_add (self->poll_queue, request);
}

static GError *
path_error (const char *path, int err)
{
  g_autofree char *display = g_filename_display_name (path);

  return g_error_new (G_IO_ERROR, g_io_error_from_errno (err),
                      "Cannot watch “%s”: %s", display, g_strerror (err));
}

static void
free_unless_root (WfWatchNode *node)
{
  if (node->parent != NULL)
    wf_watch_node_free (node);
}

/* @node could not be watched or read; self->walk_path holds its path.
 * Decides, by mode and errno, whether that fails the walk or is skipped. */
static WalkStep
give_up (Walk *w, WfWatchNode *node, int err)
{
  WfBackendInstance *self = w->self;
  const char *path = self->walk_path->str;
  gboolean is_root = node->parent == NULL;
  GError *error;

  /* Gone, or replaced by a file, or a symlink loop, while we walked. */
  if (!is_root && (err == ENOENT || err == ENOTDIR || err == ELOOP || err == ESTALE))
    {
      free_unless_root (node);
      return STEP_SKIPPED;
    }

  if (err == ENOSPC)
    {
      gboolean degrade = self->watch_limit_policy == WF_WATCH_LIMIT_POLICY_POLL && !is_root;

      error = wf_inotify_watch_limit_error (path);
      /* A root that cannot have even its own watch fails: there would be
       * nothing to hear its subtrees' polling through. */
      if (w->mode == WF_WALK_ADD_ROOT && !degrade)
        {
          g_propagate_error (&w->error, error);
          free_unless_root (node);
          return STEP_FAILED;
        }
      /* Said once: while running as an error, at start in debug output
       * (the status shows every polled subtree). */
      if (!self->watch_limit_reported)
        {
          if (w->mode == WF_WALK_ADD_ROOT)
            wf_sink_debug (self->sink, "inotify: %s; polling the directories left unwatched", error->message);
          else
            wf_sink_push_error (self->sink, path, error);
        }
      self->watch_limit_reported = TRUE;
      g_error_free (error);
      /* Deaf for good otherwise: polled until a watch frees up. */
      if (degrade)
        queue_poll (self, wf_watch_node_get_root (node)->name, path, w->mode == WF_WALK_NEW_DIRECTORY);
      else
        wf_inotify_note_unwatched (self, path);
      free_unless_root (node);
      return STEP_SKIPPED;
    }

  error = path_error (path, err);
  if (w->mode == WF_WALK_ADD_ROOT && (is_root || !self->ignore_permission_denied))
    {
      g_propagate_error (&w->error, error);
      free_unless_root (node);
      return STEP_FAILED;
    }

  if (is_root)
    {
      /* A resync finding a root gone: the comparison reports it. */
      if (err != ENOENT && err != ENOTDIR)
        wf_sink_push_error (self->sink, path, error);
    }
  else if (w->mode == WF_WALK_ADD_ROOT)
    {
      wf_inotify_note_unwatched (self, path);
      wf_sink_debug (self->sink, "inotify: not watching %s: %s", path, error->message);
    }
  else
    {
      wf_inotify_note_unwatched (self, path);
      wf_sink_push_error (self->sink, path, error);
    }
  g_error_free (error);
  free_unless_root (node);
  return STEP_SKIPPED;
}

/* LISTED_DIRECTORY, LISTED_LINK or LISTED_OTHER, for the entry @name of
 * @dir_fd that the listing says is of @d_type. */
static guint8
entry_type (WfBackendInstance *self, int dir_fd, const char *name, guint8 d_type)
{
  struct stat st;

  switch (d_type)
    {
    case DT_DIR:
      return LISTED_DIRECTORY;
    case DT_LNK:
      break;
    case DT_UNKNOWN:
      /* A file system that does not say: ask it. */
      if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return LISTED_OTHER;
      if (S_ISDIR (st.st_mode))
        return LISTED_DIRECTORY;
      if (!S_ISLNK (st.st_mode))
        return LISTED_OTHER;
      break;
    default:
      return LISTED_OTHER;
    }
  if (self->follow_symlinks && fstatat (dir_fd, name, &st, 0) == 0 && S_ISDIR (st.st_mode))
    return LISTED_LINK;
  return LISTED_OTHER;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Is the directory open as @dir_fd still at @path (in a walk that
 * reports what it lists)?  One renamed while it was read holds names that
 * were never at @path.  Beyond PATH_MAX it cannot be told: taken as there. */
static gboolean
still_at_path (int dir_fd, const char *path, gboolean follow)
{
  struct stat here, there;

  if (fstat (dir_fd, &here) != 0)
    return FALSE;
  /* Asked twice before it is taken for gone: dropping a listing that was
   * right loses what it holds for good (nothing else reports it), so one
   * failing call (an interrupted one, a fault) must not decide. */
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      if ((follow ? stat (path, &there) : lstat (path, &there)) != 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            return TRUE;
          continue;
        }
      return here.st_dev == there.st_dev && here.st_ino == there.st_ino;
    }
  return FALSE;
}

/* Records the names in @dir_fd (already watched) as @node's entries, queues
 * its subdirectories, and in WF_WALK_NEW_DIRECTORY reports every entry.
 * Listed by the kit's reader (ignored entries left out before anything is
 * spent on them, not even a stat to learn their type): an ignored entry is
 * neither watched, nor reported, nor remembered, so a resync has nothing
 * to say about it either.
 * FALSE: the directory was renamed while a walk that reports was reading
 * it, and the listing is dropped. */
static gboolean
list_directory (Walk *w, WfWatchNode *node, int dir_fd)
{
  WfBackendInstance *self = w->self;
  GByteArray *listing = self->walk_listing;
  GPtrArray *names = self->walk_names;
  GString *entry_path = self->walk_entry_path;
  WfIgnoreRules *rules = self->ignore_rules;
  const char *root_path = rules != NULL ? wf_watch_node_get_root (node)->name : NULL;
  gboolean report = w->mode == WF_WALK_NEW_DIRECTORY;
  gboolean want_types = self->recursive || report;
  WfKitDirReader reader;
  const char *entry_name;
  gsize dir_len;
  guint n_unique = 0;
  int errsv;

  g_byte_array_set_size (listing, 0);
  g_ptr_array_set_size (names, 0);
  g_string_truncate (entry_path, 0);
  wf_watch_node_append_path (node, entry_path);
  dir_len = entry_path->len;

  /* A read error ends the listing: it means the directory went away, and
   * its events say so. */
  if (wf_kit_dir_reader_open_borrowed (&reader, dir_fd, entry_path, rules, root_path) == 0)
    {
      while ((entry_name = wf_kit_dir_reader_next (&reader, &errsv)) != NULL)
        {
          guint8 type = want_types ? entry_type (self, dir_fd, entry_name, wf_kit_dir_reader_get_type (&reader))
                                   : LISTED_OTHER;

          /* Offsets for now: the listing moves as it grows. */
          g_ptr_array_add (names, GUINT_TO_POINTER (listing->len + 1));
          g_byte_array_append (listing, &type, 1);
          g_byte_array_append (listing, (const guint8 *) entry_name, strlen (entry_name) + 1);
        }
      wf_kit_dir_reader_close (&reader);
    }

  /* Names first, then where the directory is: its parent's events say
   * where it went. */
  if (report && node->parent != NULL && !still_at_path (dir_fd, entry_path->str, node->is_link))
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    names->pdata[i] = listing->data + GPOINTER_TO_UINT (names->pdata[i]);
  if (names->len > 1)
    qsort (names->pdata, names->len, sizeof (gpointer), compare_names);
  /* A listing may show an entry renamed while it was read twice. */
  for (guint i = 0; i < names->len; i++)
    if (n_unique == 0 || strcmp (names->pdata[n_unique - 1], names->pdata[i]) != 0)
      names->pdata[n_unique++] = names->pdata[i];
  g_ptr_array_set_size (names, n_unique);

  wf_name_set_init_sorted (&node->entries, (const char *const *) names->pdata, names->len);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      gboolean is_directory = name[-1] != LISTED_OTHER;

      if (report)
        {
          wf_kit_path_append_name (entry_path, name);
          wf_sink_push (self->sink, WF_RAW_CREATED, entry_path->str,
                        WF_RAW_FLAG_SCAN | (is_directory ? WF_RAW_FLAG_IS_DIR : 0));
          g_string_truncate (entry_path, dir_len);
        }
      if (is_directory && self->recursive)
        {
          WfWatchNode *child = wf_watch_node_new (node, name);

          /* Symlinks wait until every real directory has its watch. */
          child->is_link = name[-1] == LISTED_LINK;
          g_ptr_array_add (child->is_link ? self->walk_deferred : self->walk_pending, child);
        }
    }
  w->pending_peak = MAX (w->pending_peak, self->walk_pending->len + self->walk_deferred->len);
  return TRUE;
}

static gboolean
reached_through_link (const WfWatchNode *node)
{
  for (; node != NULL; node = node->parent)
    if (node->is_link)
      return TRUE;
  return FALSE;
}

static gboolean
is_ancestor (const WfWatchNode *ancestor, const WfWatchNode *node)
{
  for (node = node->parent; node != NULL; node = node->parent)
    if (node == ancestor)
      return TRUE;
  return FALSE;
}

static void
unwatch (Walk *w, WfWatchNode *node)
{
  wf_watch_table_detach (w->table, node);
  wf_inotify_drop_watch (w->self, node->wd);
  node->wd = -1;
}

static void forget_descendants_in (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node);

/* @owner, reached through a symlink, hands its watch to a real path being
 * walked, which finds again the watches of what lies below; @owner stays
 * as an alias. */
static void
demote (Walk *w, WfWatchNode *owner)
{
  int wd = owner->wd;

  forget_descendants_in (w->self, w->table, owner);
  wf_name_set_clear (&owner->entries);
  wf_watch_table_detach (w->table, owner);
  wf_watch_table_attach_alias (w->table, owner, wd);
}

/* Was the directory that @owner watches moved to @path, @node's path
 * (@here: what stat() just said of it), the events of the move still
 * unread?  Then the owner's path leads elsewhere or nowhere now; only a
 * second path to the same directory (a bind mount) leads to it as well.
 * Neither may be reached through a symlink: that is a genuine alias. */
static gboolean
moved_here (WfWatchNode *node, WfWatchNode *owner, const char *path, const struct stat *here)
{
  g_autoptr (GString) owner_path = NULL;
  struct stat there;

  if (reached_through_link (owner) || reached_through_link (node) || is_ancestor (owner, node))
    return FALSE;
  owner_path = g_string_new (NULL);
  wf_watch_node_append_path (owner, owner_path);
  if (stat (owner_path->str, &there) != 0)
    return errno == ENOENT || errno == ENOTDIR;
  if (there.st_dev != here->st_dev || there.st_ino != here->st_ino)
    return TRUE;
  /* Both lead to it, unless it moved back between the two calls. */
  return stat (path, &there) != 0 || there.st_dev != here->st_dev || there.st_ino != here->st_ino;
}

/* @node reaches the directory @owner watches: it becomes an alias.  What
 * appears (a directory created or moved in) is reported with what it holds,
 * as the owner knows it, unless it leads back up its own path (a loop).
 * Unless it was moved here from the owner's path, its events still
 * queued: what the owner knows is stale then (entries gone before the
 * move, whose deletions are unread, would be reported added, those made
 * just before it never), and events still to come on the watch happened
 * under the owner's path.  It claims the watch instead, reporting
 * nothing yet: once the move's IN_MOVED_FROM is read, the owner's subtree
 * is reported deleted and forgotten, and the claim takes the watch over
 * with a listing of its own (wf_inotify_walk_heir()).  If @node's path
 * is gone, @node is freed: its parent's events say what became of it. */
static void
alias (Walk *w, WfWatchNode *node, WfWatchNode *owner)
{
  WfBackendInstance *self = w->self;
  struct stat here;

  if (w->mode == WF_WALK_NEW_DIRECTORY && !is_ancestor (owner, node))
    {
      if (stat (self->walk_path->str, &here) != 0)
        {
          if (errno == ENOENT || errno == ENOTDIR)
            {
              give_up (w, node, errno);
              return;
            }
        }
      else if (moved_here (node, owner, self->walk_path->str, &here))
        {
          wf_sink_debug (self->sink, "inotify: %s was moved here, its move unread: it claims watch %d",
                         self->walk_path->str, owner->wd);
          wf_watch_table_attach_alias (w->table, node, owner->wd);
          node->is_claim = TRUE;
          return;
        }
    }
  wf_watch_table_attach_alias (w->table, node, owner->wd);
  if (w->mode == WF_WALK_NEW_DIRECTORY && !is_ancestor (owner, node))
    wf_inotify_report_subtree (self, w->table, owner, self->walk_path, WF_RAW_CREATED, WF_RAW_FLAG_SCAN);
}

/* Opens @path, longer than PATH_MAX, in steps shorter than it from "/". */
static int
open_long_path (const char *path, int flags)
{
  const char *rest = path;
  int dir_fd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd;
  int err;

  while (dir_fd >= 0 && strlen (rest) >= PATH_MAX)
    {
      const char *slash = rest + PATH_MAX - 1;
      g_autofree char *step = NULL;
      int next;

      while (slash > rest && *slash != '/')
        slash--;
      if (slash == rest)
        {
          close (dir_fd);
          errno = ENAMETOOLONG;
          return -1;
        }
      step = g_strndup (rest, (gsize) (slash - rest));
      next = openat (dir_fd, step[0] == '/' ? step + 1 : step, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      err = errno;
      close (dir_fd);
      errno = err;
      dir_fd = next;
      rest = slash + 1;
    }
  if (dir_fd < 0)
    return -1;
  fd = openat (dir_fd, rest[0] == '/' ? rest + 1 : rest, flags);
  err = errno;
  close (dir_fd);
  errno = err;
  return fd;
}

/* inotify_add_watch() takes a path, and refuses one longer than PATH_MAX;
 * the directory an fd names has a short one.  @mask without IN_DONT_FOLLOW:
 * that link is the kernel's, opening @fd said whether to follow ours. */
static int
watch_fd (WfBackendInstance *self, int fd, guint32 mask)
{
  char proc_path[64];

  g_snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
  return inotify_add_watch (self->inotify_fd, proc_path, mask & ~(guint32) IN_DONT_FOLLOW);
}

/* Watches @node's directory, then lists it.  A non-root node is attached
 * to the table on success, kept as an alias if another node watches its
 * directory, and freed otherwise. */
static WalkStep
watch_directory (Walk *w, WfWatchNode *node)
{
  WfBackendInstance *self = w->self;
  GString *path = self->walk_path;
  gboolean is_root = node->parent == NULL;
  guint32 mask = WF_INOTIFY_WATCH_MASK | IN_ONLYDIR;
  int open_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  WfWatchNode *known;
  int fd = -1;
  int wd;

  /* A root is always resolved: the caller named it. */
  if (!self->follow_symlinks && !is_root)
    {
      mask |= IN_DONT_FOLLOW;
      open_flags |= O_NOFOLLOW;
    }

  g_string_truncate (path, 0);
  wf_watch_node_append_path (node, path);

  wd = inotify_add_watch (self->inotify_fd, path->str, mask);
  if (wd < 0 && errno == ENAMETOOLONG)
    {
      /* Deeper than PATH_MAX (made by relative paths or openat()): open it
       * first, then watch it through its fd; listing after the watch is
       * what matters. */
      fd = open_long_path (path->str, open_flags);
      if (fd >= 0)
        {
          wd = watch_fd (self, fd, mask);
          if (wd < 0)
            {
              int err = errno;

              close (fd);
              errno = err;
            }
        }
    }
  if (wd < 0)
    return give_up (w, node, errno);

  /* The kernel keeps one watch per inode and hands its wd back when asked
   * again, so a wd we know already is a directory reached a second time
   * (a symlink loop, a bind mount, overlapping roots): the visited set keyed
   * by inode, kept by the kernel for free. */
  known = wf_watch_table_lookup_wd (w->table, wd);
  /* The kernel numbers new watches upwards: a lower wd nobody owns is a
   * watch given up but still there (a directory moved, its old node
   * forgotten first), and its queued events are older than this walk. */
  if (known == NULL && wd <= self->highest_wd && w->mode != WF_WALK_RESYNC && !wf_inotify_parked_uses (self, wd))
    self->watch_reused = TRUE;
  self->highest_wd = MAX (self->highest_wd, wd);
  if (known != NULL)
    {
      if (!reached_through_link (known) || reached_through_link (node))
        {
          if (fd >= 0)
            close (fd);
          alias (w, node, known);
          return STEP_SKIPPED;
        }
      wf_sink_debug (self->sink, "inotify: %s takes over the watch of a path through a symlink", path->str);
      demote (w, known);
    }
  node->wd = wd;
  wf_watch_table_attach (w->table, node);

  if (fd < 0)
    fd = open (path->str, open_flags);
  if (fd < 0)
    {
      int err = errno;

      unwatch (w, node);
      return give_up (w, node, err);
    }

  wf_inotify_note_mode (node, fd, NULL);
  if (!list_directory (w, node, fd))
    {
      close (fd);
      unwatch (w, node);
      return give_up (w, node, ENOENT);
    }
  close (fd);
  return STEP_WATCHED;
}

static WalkStep
watch_file (Walk *w, WfWatchNode *root)
{
  int wd;

  g_string_assign (w->self->walk_path, root->name);
  wd = inotify_add_watch (w->self->inotify_fd, root->name, WF_INOTIFY_WATCH_MASK);
  if (wd < 0)
    return give_up (w, root, errno);
  if (wf_watch_table_lookup_wd (w->table, wd) != NULL)
    {
      /* Another root names the same file. */
      wf_watch_table_attach_alias (w->table, root, wd);
      return STEP_SKIPPED;
    }
  root->wd = wd;
  wf_watch_table_attach (w->table, root);
  return STEP_WATCHED;
}

/* A directory of 100,000 entries grows the listing buffers to megabytes;
 * do not keep that after the walk. */
#define SCRATCH_KEPT_BYTES (64 * 1024)

static void
trim_scratch (WfBackendInstance *self, guint pending_peak)
{
  if (self->walk_listing->len > SCRATCH_KEPT_BYTES)
    {
      g_byte_array_unref (self->walk_listing);
      self->walk_listing = g_byte_array_new ();
    }
  if (self->walk_names->len * sizeof (gpointer) > SCRATCH_KEPT_BYTES)
    {
      g_ptr_array_unref (self->walk_names);
      self->walk_names = g_ptr_array_new ();
    }
  if (pending_peak * sizeof (gpointer) > SCRATCH_KEPT_BYTES)
    {
      g_assert (self->walk_pending->len == 0 && self->walk_deferred->len == 0);
      g_ptr_array_unref (self->walk_pending);
      self->walk_pending = g_ptr_array_new ();
      g_ptr_array_unref (self->walk_deferred);
      self->walk_deferred = g_ptr_array_new ();
    }
}

static void
free_queue (GPtrArray *queue)
{
  for (guint i = 0; i < queue->len; i++)
    wf_watch_node_free (queue->pdata[i]);
  g_ptr_array_set_size (queue, 0);
}

/* Watches the queued subdirectories, depth first, until none is left;
 * symlinks only once no real directory is left to watch (what lies below
 * a symlink is queued as real, but reached through it). */
static gboolean
walk_pending (Walk *w)
{
  GPtrArray *pending = w->self->walk_pending;
  GPtrArray *deferred = w->self->walk_deferred;

  while (pending->len > 0 || deferred->len > 0)
    {
      GPtrArray *queue = pending->len > 0 ? pending : deferred;
      WfWatchNode *node = g_ptr_array_steal_index_fast (queue, queue->len - 1);

      if (watch_directory (w, node) == STEP_FAILED)
        {
          free_queue (pending);
          free_queue (deferred);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
wf_inotify_walk_root (WfBackendInstance *self,
                      WfWatchTable *table,
                      WfWatchNode *root,
                      WfWalkMode mode,
                      GError **error)
{
  Walk w = { self, table, mode, NULL, 0 };
  WalkStep step;
  struct stat st;

  g_assert (root->parent == NULL && root->wd < 0);

  if (stat (root->name, &st) < 0)
    {
      g_string_assign (self->walk_path, root->name);
      step = give_up (&w, root, errno);
    }
  else if (!S_ISDIR (st.st_mode))
    {
      root->is_file = TRUE;
      step = watch_file (&w, root);
    }
  else
    {
      struct stat link_st;

      /* A root named through a symlink is watched through it, but a path
       * of another root that reaches its directory without one owns it. */
      root->is_link = lstat (root->name, &link_st) == 0 && S_ISLNK (link_st.st_mode);
      step = watch_directory (&w, root);
      if (step == STEP_WATCHED && !walk_pending (&w))
        step = STEP_FAILED;
    }

  trim_scratch (self, w.pending_peak);
  if (step != STEP_FAILED)
    return TRUE;

  /* Only an add_root() walk fails, and it leaves nothing behind. */
  g_assert (table == &self->table);
  wf_inotify_forget_root_tree (self, root, TRUE);
  g_propagate_error (error, w.error);
  return FALSE;
}

static void
walk_below (WfBackendInstance *self, WfWatchNode *node, WfWalkMode mode)
{
  Walk w = { self, &self->table, mode, NULL, 0 };

  if (watch_directory (&w, node) == STEP_WATCHED)
    walk_pending (&w);
  trim_scratch (self, w.pending_peak);
  g_assert (w.error == NULL);
}

void
wf_inotify_walk_new_directory (WfBackendInstance *self, WfWatchNode *parent, const char *name,
                               gboolean is_link)
{
  WfWatchNode *node = wf_watch_node_new (parent, name);

  node->is_link = is_link;
  walk_below (self, node, WF_WALK_NEW_DIRECTORY);
}

void
wf_inotify_walk_polled (WfBackendInstance *self, WfWatchNode *parent, const char *name)
{
  struct stat st;
  WfWatchNode *node = wf_watch_node_new (parent, name);
  GString *path = g_string_new (NULL);

  wf_watch_node_append_path (node, path);
  node->is_link = lstat (path->str, &st) == 0 && S_ISLNK (st.st_mode);
  g_string_free (path, TRUE);
  walk_below (self, node, WF_WALK_RESYNC);
}

void
wf_inotify_remove_watch (WfBackendInstance *self, int wd)
{
  /* EINVAL means the kernel dropped it first; its IN_IGNORED may still be
   * queued all the same. */
  inotify_rm_watch (self->inotify_fd, wd);
  g_hash_table_add (self->removed_wds, GINT_TO_POINTER (wd));
}

void
wf_inotify_drop_watch (WfBackendInstance *self, int wd)
{
  g_array_append_val (self->dropped_wds, wd);
}

/* @node's watch is no longer its: if other paths reach its directory, one
 * of them is to take the watch over (or find the path gone). */
static void
release_node (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node, gboolean watch_alive)
{
  int wd = node->wd;

  wf_watch_table_detach (table, node);
  if (node->is_alias)
    return;
  if (watch_alive)
    wf_inotify_drop_watch (self, wd);
  if (wf_watch_table_lookup_aliases (table, wd) != NULL)
    g_array_append_val (self->orphaned_wds, wd);
}

static void
forget_node_in (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node, gboolean watch_alive)
{
  g_assert (node->parent != NULL);

  /* Recursion depth is bounded by the tree's, which PATH_MAX bounds. */
  if (!node->is_alias)
    forget_descendants_in (self, table, node);
  release_node (self, table, node, watch_alive);
  wf_kit_snapshot_free (wf_inotify_alias_report_take (self, node));
  wf_watch_node_free (node);
}

static void
forget_descendants_in (WfBackendInstance *self, WfWatchTable *table, WfWatchNode *node)
{
  WfNameIter iter;
  const char *name;

  if (g_hash_table_size (table->by_name) == 0)
    return;

  wf_name_set_compact (&node->entries);
  wf_name_iter_init (&iter, &node->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    {
      WfWatchNode *child = wf_watch_table_lookup_child (table, node, name);

      if (child != NULL)
        forget_node_in (self, table, child, TRUE);
    }
}

void
wf_inotify_forget_node (WfBackendInstance *self, WfWatchNode *node, gboolean watch_alive)
{
  forget_node_in (self, &self->table, node, watch_alive);
}

void
wf_inotify_forget_root_tree (WfBackendInstance *self, WfWatchNode *root, gboolean watch_alive)
{
  if (!root->is_alias)
    forget_descendants_in (self, &self->table, root);
  wf_name_set_clear (&root->entries);
  if (root->wd >= 0)
    release_node (self, &self->table, root, watch_alive);
  root->wd = -1;
  root->is_alias = FALSE;
}

/* The alias of @aliases to take the watch over: a real path before one
 * through a symlink. */
WfWatchNode *
wf_inotify_best_heir (GPtrArray *aliases)
{
  for (guint i = 0; i < aliases->len; i++)
    if (!reached_through_link (aliases->pdata[i]))
      return aliases->pdata[i];
  return aliases->pdata[0];
}

void
wf_inotify_walk_heir (WfBackendInstance *self, WfWatchNode *heir)
{
  /* A claim has reported nothing of what it holds yet. */
  WfWalkMode mode = heir->is_claim ? WF_WALK_NEW_DIRECTORY : WF_WALK_RESYNC;

  heir->is_claim = FALSE;
  walk_below (self, heir, mode);
}

void
wf_inotify_report_subtree (WfBackendInstance *self,
                           WfWatchTable *table,
                           WfWatchNode *node,
                           GString *path,
                           WfRawKind kind,
                           WfRawFlags flags)
{
  gsize dir_len = path->len;
  WfKitEntry *kept = wf_inotify_alias_report_lookup (self, node);
  WfNameIter iter;
  const char *name;

  /* An alias holds, as far as the caller knows, what a resync said. */
  if (kept != NULL)
    {
      wf_kit_entry_report_below (kept, path, self->sink, kind, flags);
      return;
    }
  wf_name_set_compact (&node->entries);
  wf_name_iter_init (&iter, &node->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    {
      WfWatchNode *child = wf_watch_table_lookup_child (table, node, name);

      wf_kit_path_append_name (path, name);
      wf_sink_push (self->sink, kind, path->str, flags | (child != NULL ? WF_RAW_FLAG_IS_DIR : 0));
      if (child != NULL)
        wf_inotify_report_subtree (self, table, child, path, kind, flags);
      g_string_truncate (path, dir_len);
    }
}
