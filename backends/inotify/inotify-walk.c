/* inotify-walk.c: watch-then-scan walks of directory trees, and forgetting
 * them again.
 *
 * Every directory is watched first and read afterwards: whatever appears
 * before the watch is in the listing, whatever appears after it is an event,
 * so nothing created in a new directory is missed (duplicates are harmless,
 * the core deduplicates).  The walk keeps one directory open at a time and
 * stats only entries whose type the directory listing leaves open.
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
#define LISTED_OTHER     '-'

static char *
read_sysctl (const char *file)
{
  char *contents = NULL;

  if (!g_file_get_contents (file, &contents, NULL, NULL))
    return NULL;
  return g_strstrip (contents);
}

GError *
wf_inotify_watch_limit_error (const char *path)
{
  g_autofree char *system_limit = read_sysctl ("/proc/sys/fs/inotify/max_user_watches");
  g_autofree char *namespace_limit = read_sysctl ("/proc/sys/user/max_inotify_watches");
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr (GString) message = g_string_new (NULL);

  g_string_append_printf (message,
                          "Cannot watch “%s”: the inotify watch limit is reached "
                          "(fs.inotify.max_user_watches is %s",
                          display, system_limit != NULL ? system_limit : "unknown");
  /* A user namespace (a container) has a limit of its own, which may be the
   * one that was hit. */
  if (namespace_limit != NULL && g_strcmp0 (namespace_limit, system_limit) != 0)
    g_string_append_printf (message, "; in this user namespace user.max_inotify_watches is %s",
                            namespace_limit);
  g_string_append (message, "); raise it, e.g. “sysctl fs.inotify.max_user_watches=524288”");

  return g_error_new_literal (WF_ERROR, WF_ERROR_WATCH_LIMIT, message->str);
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
      error = wf_inotify_watch_limit_error (path);
      if (w->mode == WF_WALK_ADD_ROOT)
        {
          g_propagate_error (&w->error, error);
          free_unless_root (node);
          return STEP_FAILED;
        }
      self->n_unwatched++;
      if (!self->watch_limit_reported)
        wf_sink_push_error (self->sink, path, error);
      self->watch_limit_reported = TRUE;
      g_error_free (error);
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
      self->n_unwatched++;
      wf_sink_debug (self->sink, "inotify: not watching %s: %s", path, error->message);
    }
  else
    {
      self->n_unwatched++;
      wf_sink_push_error (self->sink, path, error);
    }
  g_error_free (error);
  free_unless_root (node);
  return STEP_SKIPPED;
}

static gboolean
entry_is_directory (WfBackendInstance *self, int dir_fd, const struct dirent64 *entry)
{
  struct stat st;
  int flags;

  switch (entry->d_type)
    {
    case DT_DIR:
      return TRUE;
    case DT_LNK:
      if (!self->follow_symlinks)
        return FALSE;
      flags = 0;
      break;
    case DT_UNKNOWN:
      flags = self->follow_symlinks ? 0 : AT_SYMLINK_NOFOLLOW;
      break;
    default:
      return FALSE;
    }
  return fstatat (dir_fd, entry->d_name, &st, flags) == 0 && S_ISDIR (st.st_mode);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Large enough for a typical directory in one call. */
#define DIRENT_BUFFER_SIZE (16 * 1024)

/* Records the names in @dir_fd (already watched) as @node's entries, queues
 * its subdirectories, and in WF_WALK_NEW_DIRECTORY reports every entry.
 * getdents64() straight into a stack buffer, not readdir(): fdopendir()
 * costs three more system calls per directory (fstat, two fcntl) and a
 * 32 KiB allocation, a quarter of the walk. */
static void
list_directory (Walk *w, WfWatchNode *node, int dir_fd)
{
  WfBackendInstance *self = w->self;
  GByteArray *listing = self->walk_listing;
  GPtrArray *names = self->walk_names;
  GString *entry_path = self->walk_entry_path;
  gboolean report = w->mode == WF_WALK_NEW_DIRECTORY;
  gboolean want_types = self->recursive || report;
  union {
    struct dirent64 first;
    char bytes[DIRENT_BUFFER_SIZE];
  } buffer;
  ssize_t length;
  guint n_unique = 0;

  g_byte_array_set_size (listing, 0);
  g_ptr_array_set_size (names, 0);

  /* A read error ends the listing: it means the directory went away, and
   * its events say so. */
  while ((length = getdents64 (dir_fd, buffer.bytes, sizeof buffer)) > 0)
    for (ssize_t offset = 0; offset < length;)
      {
        const struct dirent64 *entry = (const struct dirent64 *) (buffer.bytes + offset);
        const char *name = entry->d_name;
        guint8 type;

        offset += entry->d_reclen;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
          continue;

        type = want_types && entry_is_directory (self, dir_fd, entry) ? LISTED_DIRECTORY : LISTED_OTHER;
        /* Offsets for now: the listing moves as it grows. */
        g_ptr_array_add (names, GUINT_TO_POINTER (listing->len + 1));
        g_byte_array_append (listing, &type, 1);
        g_byte_array_append (listing, (const guint8 *) name, strlen (name) + 1);
      }

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

  if (report)
    {
      g_string_truncate (entry_path, 0);
      wf_watch_node_append_path (node, entry_path);
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      gboolean is_directory = name[-1] == LISTED_DIRECTORY;

      if (report)
        {
          gsize dir_len = entry_path->len;

          wf_path_append_name (entry_path, name);
          wf_sink_push (self->sink, WF_RAW_CREATED, entry_path->str,
                        WF_RAW_FLAG_SCAN | (is_directory ? WF_RAW_FLAG_IS_DIR : 0));
          g_string_truncate (entry_path, dir_len);
        }
      if (is_directory && self->recursive)
        g_ptr_array_add (self->walk_pending, wf_watch_node_new (node, name));
    }
  w->pending_peak = MAX (w->pending_peak, self->walk_pending->len);
}

static const WfWatchNode *
top_of (const WfWatchNode *node)
{
  while (node->parent != NULL)
    node = node->parent;
  return node;
}

static void
unwatch (Walk *w, WfWatchNode *node)
{
  wf_watch_table_detach (w->table, node);
  wf_inotify_remove_watch (w->self, node->wd);
  node->wd = -1;
}

/* Watches @node's directory, then lists it.  A non-root node is attached
 * to the table on success and freed otherwise. */
static WalkStep
watch_directory (Walk *w, WfWatchNode *node)
{
  WfBackendInstance *self = w->self;
  GString *path = self->walk_path;
  gboolean is_root = node->parent == NULL;
  guint32 mask = WF_INOTIFY_WATCH_MASK | IN_ONLYDIR;
  int open_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  WfWatchNode *known;
  int wd;
  int fd;

  /* A root is always resolved: the caller named it. */
  if (!self->follow_symlinks && !is_root)
    {
      mask |= IN_DONT_FOLLOW;
      open_flags |= O_NOFOLLOW;
    }

  g_string_truncate (path, 0);
  wf_watch_node_append_path (node, path);

  wd = inotify_add_watch (self->inotify_fd, path->str, mask);
  if (wd < 0)
    return give_up (w, node, errno);

  /* The kernel keeps one watch per inode and hands its wd back when asked
   * again, so a wd we know already is a directory reached a second time
   * (a symlink loop, a bind mount, overlapping roots): the visited set keyed
   * by inode, kept by the kernel for free. */
  known = wf_watch_table_lookup_wd (w->table, wd);
  if (known != NULL)
    {
      if (top_of (known) != top_of (node))
        self->roots_overlap = TRUE;
      if (is_root)
        node->is_alias = TRUE;
      free_unless_root (node);
      return STEP_SKIPPED;
    }
  node->wd = wd;
  wf_watch_table_attach (w->table, node);

  fd = open (path->str, open_flags);
  if (fd < 0)
    {
      int err = errno;

      unwatch (w, node);
      return give_up (w, node, err);
    }

  list_directory (w, node, fd);
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
      w->self->roots_overlap = TRUE;
      root->is_alias = TRUE;
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
      g_assert (self->walk_pending->len == 0);
      g_ptr_array_unref (self->walk_pending);
      self->walk_pending = g_ptr_array_new ();
    }
}

/* Watches the queued subdirectories, depth first, until none is left. */
static gboolean
walk_pending (Walk *w)
{
  GPtrArray *pending = w->self->walk_pending;

  while (pending->len > 0)
    {
      WfWatchNode *node = g_ptr_array_steal_index_fast (pending, pending->len - 1);

      if (watch_directory (w, node) == STEP_FAILED)
        {
          for (guint i = 0; i < pending->len; i++)
            wf_watch_node_free (pending->pdata[i]);
          g_ptr_array_set_size (pending, 0);
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
      step = watch_directory (&w, root);
      if (step == STEP_WATCHED && !walk_pending (&w))
        step = STEP_FAILED;
    }

  trim_scratch (self, w.pending_peak);
  if (step != STEP_FAILED)
    return TRUE;

  /* Only an add_root() walk fails, and it leaves nothing behind. */
  g_assert (table == &self->table);
  wf_inotify_forget_descendants (self, root);
  if (root->wd >= 0)
    unwatch (&w, root);
  wf_name_set_clear (&root->entries);
  g_propagate_error (error, w.error);
  return FALSE;
}

void
wf_inotify_walk_new_directory (WfBackendInstance *self, WfWatchNode *parent, const char *name)
{
  Walk w = { self, &self->table, WF_WALK_NEW_DIRECTORY, NULL, 0 };

  if (watch_directory (&w, wf_watch_node_new (parent, name)) == STEP_WATCHED)
    walk_pending (&w);
  trim_scratch (self, w.pending_peak);
  g_assert (w.error == NULL);
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
wf_inotify_forget_descendants (WfBackendInstance *self, WfWatchNode *node)
{
  WfNameIter iter;
  const char *name;

  if (g_hash_table_size (self->table.by_name) == 0)
    return;

  wf_name_set_compact (&node->entries);
  wf_name_iter_init (&iter, &node->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    {
      WfWatchNode *child = wf_watch_table_lookup_child (&self->table, node, name);

      if (child != NULL)
        wf_inotify_forget_node (self, child, TRUE);
    }
}

void
wf_inotify_forget_node (WfBackendInstance *self, WfWatchNode *node, gboolean remove_own_watch)
{
  g_assert (node->parent != NULL);

  /* Recursion depth is bounded by the tree's, which PATH_MAX bounds. */
  wf_inotify_forget_descendants (self, node);
  wf_watch_table_detach (&self->table, node);
  if (remove_own_watch)
    wf_inotify_remove_watch (self, node->wd);
  wf_watch_node_free (node);
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
  WfNameIter iter;
  const char *name;

  wf_name_set_compact (&node->entries);
  wf_name_iter_init (&iter, &node->entries);
  while ((name = wf_name_iter_next (&iter)) != NULL)
    {
      WfWatchNode *child = wf_watch_table_lookup_child (table, node, name);

      wf_path_append_name (path, name);
      wf_sink_push (self->sink, kind, path->str, flags | (child != NULL ? WF_RAW_FLAG_IS_DIR : 0));
      if (child != NULL)
        wf_inotify_report_subtree (self, table, child, path, kind, flags);
      g_string_truncate (path, dir_len);
    }
}
