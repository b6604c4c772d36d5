/* poll-backend.c: the "poll" backend module, the twin of notify's PollWatcher.
 *
 * One thread rescans every root, compares what it finds with a snapshot and
 * reports the difference.  It works on any filesystem, so it is the fallback
 * when no kernel facility serves.  It improves on PollWatcher: fingerprints
 * use nanosecond times, size, inode and mode (same-second writes and chmod
 * are seen), per-path errors never stop a scan, symlink loops terminate,
 * a zero delay does not spin a core, and ignored paths are never stat'ed
 * nor listed.
 *
 * The snapshot is a tree of per-directory hash tables, so a vanished or
 * unreadable directory is handled as one subtree, and a scan works relative
 * to directory descriptors with a single path buffer.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"

#define POLL_DEFAULT_DELAY_MS 300

typedef struct {
  gint64 mtime_ns;
  gint64 ctime_ns;
  gint64 size;
  guint64 ino;
  guint64 dev;
  guint32 mode;
} PollFingerprint;

typedef struct _PollEntry PollEntry;
struct _PollEntry {
  PollFingerprint fingerprint;
  /* Name -> PollEntry.  NULL for non-directories and for directories never
   * listed (not recursing, unreadable, or a symlink back to an ancestor). */
  GHashTable *children;
  /* Equal to the parent's listing_mark when the last listing of the parent
   * saw this entry; entries left behind are gone. */
  guint seen_mark;
  guint listing_mark;
};

typedef struct {
  char *path;                 /* exactly as the caller gave it */
  PollEntry *entry;           /* NULL while the root does not exist */
  /* Paths whose failure was already reported; forgotten once they work
   * again, so that a later failure is reported again. */
  GHashTable *failed_paths;
  guint n_directories;        /* listed during the last scan */
  guint n_entries;            /* stat'ed during the last scan */
} PollRoot;

typedef struct {
  dev_t dev;
  ino_t ino;
} PollDirId;

struct _WfBackendInstance {
  WfSink *sink;
  gboolean recursive;
  gboolean follow_symlinks;
  gboolean ignore_permission_denied;
  guint poll_delay_ms;
  /* Sealed; NULL when they ignore nothing, so a scan then pays not even a
   * call per entry. */
  WfIgnoreRules *ignore_rules;

  GMutex lock;
  GCond wake;                 /* signalled by stop() only */
  gboolean stopping;          /* under lock */
  GPtrArray *roots;           /* PollRoot, under lock */
  GThread *thread;
  guint n_scans;              /* completed cycles, under lock: shows the delay is kept */

  /* Reused by every scan of the poll thread, so a scan allocates nothing
   * but the entries it discovers. */
  GString *scan_path;
  GArray *scan_ancestors;
};

/* One traversal: the initial snapshot of add_root() (nothing reported) or a
 * rescan by the poll thread (differences reported). */
typedef struct {
  WfBackendInstance *self;
  PollRoot *root;
  GString *path;
  /* Directories being listed, outermost first.  A directory that is its own
   * ancestor (a symlink or bind mount loop) is not entered again; unlike a
   * set of every directory seen, it keeps which path reaches a directory
   * independent of readdir order, so rescans never shift a subtree from one
   * path to another. */
  GArray *ancestors;
  gboolean report;
  GError *error;              /* snapshot only: why add_root() fails */
  guint n_directories;
  guint n_entries;
} PollWalk;

typedef enum {
  POLL_CHANGE_NONE,
  POLL_CHANGE_DATA,
  POLL_CHANGE_METADATA,
  POLL_CHANGE_REPLACED,       /* another kind of file, or another directory */
} PollChange;

static void
fingerprint_from_stat (PollFingerprint *fingerprint, const struct stat *st)
{
  fingerprint->mtime_ns = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
  fingerprint->ctime_ns = (gint64) st->st_ctim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_ctim.tv_nsec;
  fingerprint->size = st->st_size;
  fingerprint->ino = st->st_ino;
  fingerprint->dev = st->st_dev;
  fingerprint->mode = st->st_mode;
}

static PollChange
fingerprint_compare (const PollFingerprint *old, const PollFingerprint *now)
{
  gboolean same_file = old->ino == now->ino && old->dev == now->dev;

  if ((old->mode & S_IFMT) != (now->mode & S_IFMT))
    return POLL_CHANGE_REPLACED;

  if (S_ISDIR (now->mode))
    {
      /* A directory's times and size change whenever entries come or go;
       * those entries are reported themselves, as inotify does. */
      if (!same_file)
        return POLL_CHANGE_REPLACED;
      return old->mode != now->mode ? POLL_CHANGE_METADATA : POLL_CHANGE_NONE;
    }

  /* A new inode under the same name is an editor's atomic save: report it
   * as the modification the user made. */
  if (old->mtime_ns != now->mtime_ns || old->size != now->size || !same_file)
    return POLL_CHANGE_DATA;
  if (old->ctime_ns != now->ctime_ns || old->mode != now->mode)
    return POLL_CHANGE_METADATA;
  return POLL_CHANGE_NONE;
}

static PollEntry *
entry_new (const struct stat *st)
{
  PollEntry *entry = g_new0 (PollEntry, 1);

  fingerprint_from_stat (&entry->fingerprint, st);
  return entry;
}

static void
entry_free (gpointer data)
{
  PollEntry *entry = data;

  if (entry == NULL)
    return;
  g_clear_pointer (&entry->children, g_hash_table_unref);
  g_free (entry);
}

static gboolean
entry_is_dir (const PollEntry *entry)
{
  return S_ISDIR (entry->fingerprint.mode);
}

static PollRoot *
root_new (const char *path)
{
  PollRoot *root = g_new0 (PollRoot, 1);

  root->path = g_strdup (path);
  root->failed_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return root;
}

static void
root_free (gpointer data)
{
  PollRoot *root = data;

  g_free (root->path);
  entry_free (root->entry);
  g_hash_table_unref (root->failed_paths);
  g_free (root);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PollRoot, root_free)

static void
walk_push (PollWalk *walk, WfRawKind kind, const PollEntry *entry)
{
  if (walk->report)
    wf_sink_push (walk->self->sink, kind, walk->path->str,
                  entry_is_dir (entry) ? WF_RAW_FLAG_IS_DIR : WF_RAW_FLAG_NONE);
}

/* Extends the path buffer by one component; returns the length to truncate
 * back to. */
static gsize
walk_enter (PollWalk *walk, const char *name)
{
  gsize parent_len = walk->path->len;

  if (parent_len == 0 || walk->path->str[parent_len - 1] != '/')
    g_string_append_c (walk->path, '/');
  g_string_append (walk->path, name);
  return parent_len;
}

static void
walk_leave (PollWalk *walk, gsize parent_len)
{
  g_string_truncate (walk->path, parent_len);
}

/* Reports @entry (whose path is in the buffer) and everything known below
 * it as deleted, deepest first, as a kernel would. */
static void
walk_report_deleted (PollWalk *walk, PollEntry *entry)
{
  if (!walk->report)
    return;

  if (entry->children != NULL)
    {
      GHashTableIter iter;
      gpointer name, child;

      g_hash_table_iter_init (&iter, entry->children);
      while (g_hash_table_iter_next (&iter, &name, &child))
        {
          gsize parent_len = walk_enter (walk, name);
          walk_report_deleted (walk, child);
          walk_leave (walk, parent_len);
        }
    }
  walk_push (walk, WF_RAW_DELETED, entry);
}

static void
walk_forget_failure (PollWalk *walk)
{
  if (g_hash_table_size (walk->root->failed_paths) > 0)
    g_hash_table_remove (walk->root->failed_paths, walk->path->str);
}

/* The path in the buffer cannot be read.  The snapshot keeps what it knew
 * of it, so that nothing is reported deleted that may still be there.
 * During add_root() this fails the call unless ignore_permission_denied
 * says to skip whatever fails (as RustNotify does with every error). */
static void
walk_fail (PollWalk *walk, int errsv, const char *what)
{
  WfBackendInstance *self = walk->self;
  g_autofree char *display = g_filename_display_name (walk->path->str);
  g_autoptr(GError) error = NULL;

  error = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                       "%s %s: %s", what, display, g_strerror (errsv));

  if (!walk->report && !self->ignore_permission_denied)
    {
      if (walk->error == NULL)
        walk->error = g_steal_pointer (&error);
      return;
    }

  if (!g_hash_table_add (walk->root->failed_paths, g_strdup (walk->path->str)))
    return;

  if (walk->report)
    wf_sink_push_error (self->sink, walk->path->str, error);
  else
    wf_sink_debug (self->sink, "poll: skipping %s: %s", display, g_strerror (errsv));
}

/* Brings an existing @entry up to date with @st, reporting what changed. */
static void
walk_update_entry (PollWalk *walk, PollEntry *entry, const struct stat *st)
{
  PollFingerprint now;

  fingerprint_from_stat (&now, st);
  switch (fingerprint_compare (&entry->fingerprint, &now))
    {
    case POLL_CHANGE_NONE:
      break;
    case POLL_CHANGE_DATA:
      walk_push (walk, WF_RAW_MODIFIED, entry);
      break;
    case POLL_CHANGE_METADATA:
      walk_push (walk, WF_RAW_ATTRIB, entry);
      break;
    case POLL_CHANGE_REPLACED:
      /* The old subtree is gone; the new one is listed as new. */
      walk_report_deleted (walk, entry);
      g_clear_pointer (&entry->children, g_hash_table_unref);
      entry->fingerprint = now;
      walk_push (walk, WF_RAW_CREATED, entry);
      break;
    }
  entry->fingerprint = now;
}

/* stat() of an entry of the directory @dir_fd.  A dangling or looping
 * symlink is still an entry: it is tracked as the link itself.  Returns
 * FALSE with errno set. */
static gboolean
walk_stat_entry (PollWalk *walk, int dir_fd, const char *name, struct stat *st)
{
  if (!walk->self->follow_symlinks)
    return fstatat (dir_fd, name, st, AT_SYMLINK_NOFOLLOW) == 0;

  if (fstatat (dir_fd, name, st, 0) == 0)
    return TRUE;
  if (errno != ENOENT && errno != ELOOP)
    return FALSE;
  return fstatat (dir_fd, name, st, AT_SYMLINK_NOFOLLOW) == 0;
}

static gboolean
walk_is_ancestor (PollWalk *walk, const struct stat *st)
{
  for (guint i = 0; i < walk->ancestors->len; i++)
    {
      const PollDirId *id = &g_array_index (walk->ancestors, PollDirId, i);
      if (id->dev == st->st_dev && id->ino == st->st_ino)
        return TRUE;
    }
  return FALSE;
}

static void walk_directory (PollWalk *walk, PollEntry *dir, int parent_fd, const char *name,
                            const struct stat *st, gboolean is_root);

/* After @entry (in the buffer) was stat'ed as @st: lists it if it is a
 * directory to follow.  A failure is forgotten only after the last step
 * that can fail, or an unreadable directory would be reported each scan. */
static void
walk_descend (PollWalk *walk, PollEntry *entry, int parent_fd, const char *name,
              const struct stat *st, gboolean is_root)
{
  walk->n_entries++;
  if (S_ISDIR (st->st_mode) && (is_root || walk->self->recursive))
    walk_directory (walk, entry, parent_fd, name, st, is_root);
  else
    walk_forget_failure (walk);
}

/* One entry found while listing a directory, whose path is in the buffer. */
static void
walk_directory_entry (PollWalk *walk, PollEntry *dir, int dir_fd, const char *name)
{
  PollEntry *child = g_hash_table_lookup (dir->children, name);
  struct stat st;

  if (!walk_stat_entry (walk, dir_fd, name, &st))
    {
      /* Gone between readdir() and stat(): the sweep reports it. */
      if (errno == ENOENT || errno == ENOTDIR)
        return;
      if (child != NULL)
        child->seen_mark = dir->listing_mark;
      walk_fail (walk, errno, "Cannot stat");
      return;
    }

  if (child == NULL)
    {
      child = entry_new (&st);
      g_hash_table_insert (dir->children, g_strdup (name), child);
      walk_push (walk, WF_RAW_CREATED, child);
    }
  else
    {
      walk_update_entry (walk, child, &st);
    }
  child->seen_mark = dir->listing_mark;
  walk_descend (walk, child, dir_fd, name, &st, FALSE);
}

/* Lists the directory @name of @parent_fd (whose path is in the buffer)
 * into @dir, reporting new, changed and vanished entries. */
static void
walk_directory (PollWalk *walk, PollEntry *dir, int parent_fd, const char *name,
                const struct stat *st, gboolean is_root)
{
  PollDirId id = { st->st_dev, st->st_ino };
  int open_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY;
  gboolean complete = TRUE;
  struct dirent *dirent;
  DIR *stream;
  int fd;

  if (walk_is_ancestor (walk, st))
    {
      walk_forget_failure (walk);
      return;
    }

  /* The root is always followed, as walkdir does; below it, a directory
   * swapped for a symlink since fstatat() must not be entered. */
  if (!walk->self->follow_symlinks && !is_root)
    open_flags |= O_NOFOLLOW;

  fd = openat (parent_fd, name, open_flags);
  if (fd < 0)
    {
      /* Vanished or replaced since fstatat(): the next scan sees it. */
      if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
        walk_fail (walk, errno, "Cannot open directory");
      return;
    }
  stream = fdopendir (fd);
  if (stream == NULL)
    {
      int errsv = errno;
      close (fd);
      walk_fail (walk, errsv, "Cannot open directory");
      return;
    }

  walk_forget_failure (walk);
  walk->n_directories++;
  g_array_append_val (walk->ancestors, id);
  if (dir->children == NULL)
    dir->children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  dir->listing_mark++;

  for (;;)
    {
      gsize parent_len;

      errno = 0;
      dirent = readdir (stream);
      if (dirent == NULL)
        {
          if (errno != 0)
            {
              complete = FALSE;
              walk_fail (walk, errno, "Cannot read directory");
            }
          break;
        }
      if (dirent->d_name[0] == '.' &&
          (dirent->d_name[1] == '\0' || (dirent->d_name[1] == '.' && dirent->d_name[2] == '\0')))
        continue;

      parent_len = walk_enter (walk, dirent->d_name);
      /* Ignored: never stat'ed nor listed, nor kept in the snapshot. */
      if (walk->self->ignore_rules == NULL ||
          !wf_ignore_rules_matches_entry (walk->self->ignore_rules, walk->root->path, walk->path->str))
        walk_directory_entry (walk, dir, dirfd (stream), dirent->d_name);
      walk_leave (walk, parent_len);

      if (walk->error != NULL)
        {
          complete = FALSE;
          break;
        }
    }

  closedir (stream);
  g_array_set_size (walk->ancestors, walk->ancestors->len - 1);

  /* After a failed listing, unseen entries may still exist: keep them. */
  if (complete)
    {
      GHashTableIter iter;
      gpointer child_name, child;

      g_hash_table_iter_init (&iter, dir->children);
      while (g_hash_table_iter_next (&iter, &child_name, &child))
        {
          if (((PollEntry *) child)->seen_mark == dir->listing_mark)
            continue;
          gsize parent_len = walk_enter (walk, child_name);
          walk_report_deleted (walk, child);
          walk_leave (walk, parent_len);
          g_hash_table_iter_remove (&iter);
        }
    }
}

static void
walk_init (PollWalk *walk, WfBackendInstance *self, PollRoot *root,
           GString *path, GArray *ancestors, gboolean report)
{
  *walk = (PollWalk) {
    .self = self,
    .root = root,
    .path = path,
    .ancestors = ancestors,
    .report = report,
  };
  g_string_assign (path, root->path);
  g_array_set_size (ancestors, 0);
}

/* One rescan of @root, started from its path again, so that a root that
 * vanished is reported back with its entries when it returns. */
static void
scan_root (WfBackendInstance *self, PollRoot *root)
{
  PollWalk walk;
  struct stat st;

  walk_init (&walk, self, root, self->scan_path, self->scan_ancestors, TRUE);

  if (stat (root->path, &st) == 0)
    {
      if (root->entry == NULL)
        {
          root->entry = entry_new (&st);
          walk_push (&walk, WF_RAW_CREATED, root->entry);
        }
      else
        {
          walk_update_entry (&walk, root->entry, &st);
        }
      walk_descend (&walk, root->entry, AT_FDCWD, root->path, &st, TRUE);
    }
  else if (errno == ENOENT || errno == ENOTDIR)
    {
      if (root->entry != NULL)
        walk_report_deleted (&walk, root->entry);
      g_clear_pointer (&root->entry, entry_free);
    }
  else
    {
      walk_fail (&walk, errno, "Cannot stat");
    }

  root->n_directories = walk.n_directories;
  root->n_entries = walk.n_entries;
}

static gint64
next_scan_time (WfBackendInstance *self, gint64 scan_start, gint64 scan_end)
{
  gint64 pause;

  /* A delay of 0 asks for scans back to back, which would spin a core for
   * nothing: rest as long as the last scan took (at least 1 ms), so the
   * thread never uses more than about half a core. */
  if (self->poll_delay_ms > 0)
    pause = (gint64) self->poll_delay_ms * G_TIME_SPAN_MILLISECOND;
  else
    pause = MAX (G_TIME_SPAN_MILLISECOND, scan_end - scan_start);

  return scan_end + pause;
}

static gpointer
poll_thread (gpointer data)
{
  WfBackendInstance *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      gint64 scan_start = g_get_monotonic_time ();
      gint64 deadline;

      /* The lock is dropped between roots so add_root() and remove_root()
       * never wait for a whole cycle; a root shifted by a removal is only
       * scanned one cycle later. */
      for (guint i = 0; i < self->roots->len && !self->stopping; i++)
        {
          scan_root (self, g_ptr_array_index (self->roots, i));
          g_mutex_unlock (&self->lock);
          g_mutex_lock (&self->lock);
        }

      self->n_scans++;
      deadline = next_scan_time (self, scan_start, g_get_monotonic_time ());
      while (!self->stopping)
        {
          if (!g_cond_wait_until (&self->wake, &self->lock, deadline))
            break;
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Options of an older core lack the fields appended since; those keep
 * their defaults. */
#define OPTIONS_HAVE(options, field) \
  ((options)->struct_size >= G_STRUCT_OFFSET (WfBackendOptions, field) + sizeof ((options)->field))

/* Everything poll_start() made, once no thread uses it. */
static void
poll_instance_free (WfBackendInstance *self)
{
  g_ptr_array_unref (self->roots);
  g_string_free (self->scan_path, TRUE);
  g_array_unref (self->scan_ancestors);
  g_cond_clear (&self->wake);
  g_mutex_clear (&self->lock);
  g_clear_object (&self->ignore_rules);
  wf_sink_unref (self->sink);
  g_free (self);
}

static WfBackendInstance *
poll_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  WfBackendInstance *self;

  g_return_val_if_fail (sink != NULL, NULL);

  self = g_new0 (WfBackendInstance, 1);
  self->recursive = TRUE;
  self->follow_symlinks = TRUE;
  self->poll_delay_ms = POLL_DEFAULT_DELAY_MS;
  if (options != NULL)
    {
      if (OPTIONS_HAVE (options, recursive))
        self->recursive = options->recursive;
      if (OPTIONS_HAVE (options, follow_symlinks))
        self->follow_symlinks = options->follow_symlinks;
      if (OPTIONS_HAVE (options, ignore_permission_denied))
        self->ignore_permission_denied = options->ignore_permission_denied;
      if (OPTIONS_HAVE (options, poll_delay_ms))
        self->poll_delay_ms = options->poll_delay_ms;
      if (OPTIONS_HAVE (options, ignore_rules) && options->ignore_rules != NULL &&
          !wf_ignore_rules_is_empty (options->ignore_rules))
        self->ignore_rules = g_object_ref (options->ignore_rules);
    }

  self->sink = wf_sink_ref (sink);
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->roots = g_ptr_array_new_with_free_func (root_free);
  self->scan_path = g_string_sized_new (PATH_MAX);
  self->scan_ancestors = g_array_new (FALSE, FALSE, sizeof (PollDirId));

  self->thread = g_thread_try_new ("wf-poll", poll_thread, self, error);
  if (self->thread == NULL)
    {
      poll_instance_free (self);
      return NULL;
    }
  return self;
}

/* Called with the lock held.  Returns -1 when @path is not a root. */
static int
find_root (WfBackendInstance *self, const char *path)
{
  for (guint i = 0; i < self->roots->len; i++)
    {
      PollRoot *root = g_ptr_array_index (self->roots, i);
      if (strcmp (root->path, path) == 0)
        return (int) i;
    }
  return -1;
}

static gboolean
poll_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  g_autoptr(PollRoot) root = NULL;
  g_autoptr(GString) walk_path = NULL;
  g_autoptr(GArray) walk_ancestors = NULL;
  PollWalk walk;
  struct stat st;
  int index;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* The snapshot is taken without the lock, so the poll thread keeps
   * scanning the other roots meanwhile; changes made while it is taken
   * show up in the first scan that follows. */
  root = root_new (path);
  walk_path = g_string_sized_new (PATH_MAX);
  walk_ancestors = g_array_new (FALSE, FALSE, sizeof (PollDirId));
  walk_init (&walk, self, root, walk_path, walk_ancestors, FALSE);

  if (stat (path, &st) == 0)
    {
      root->entry = entry_new (&st);
      walk_descend (&walk, root->entry, AT_FDCWD, path, &st, TRUE);
    }
  else if (errno == ENOENT || errno == ENOTDIR)
    {
      g_autofree char *display = g_filename_display_name (path);

      /* Worded like watchfiles' poll pre-check, whatever the locale, and
       * never skipped: RustNotify checks existence before anything else. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No such file or directory: %s", display);
      return FALSE;
    }
  else
    {
      /* Skipped (with ignore_permission_denied), the root is watched
       * from its path: it is reported added once it can be read. */
      walk_fail (&walk, errno, "Cannot stat");
    }

  if (walk.error != NULL)
    {
      g_propagate_error (error, walk.error);
      return FALSE;
    }
  root->n_directories = walk.n_directories;
  root->n_entries = walk.n_entries;

  /* Watching a path again starts it afresh, as notify's watch() does,
   * instead of scanning (and reporting) it twice. */
  g_mutex_lock (&self->lock);
  index = find_root (self, path);
  if (index >= 0)
    {
      root_free (self->roots->pdata[index]);
      self->roots->pdata[index] = g_steal_pointer (&root);
    }
  else
    g_ptr_array_add (self->roots, g_steal_pointer (&root));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
poll_remove_root (WfBackendInstance *self, const char *path)
{
  int index;

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  g_mutex_lock (&self->lock);
  index = find_root (self, path);
  if (index >= 0)
    g_ptr_array_remove_index (self->roots, index);
  g_mutex_unlock (&self->lock);
}

static void
poll_count (WfBackendInstance *self, guint *n_directories, guint *n_entries, guint *n_unwatched)
{
  *n_directories = *n_entries = *n_unwatched = 0;
  for (guint i = 0; i < self->roots->len; i++)
    {
      PollRoot *root = g_ptr_array_index (self->roots, i);
      *n_directories += root->n_directories;
      *n_entries += root->n_entries;
      *n_unwatched += g_hash_table_size (root->failed_paths);
    }
}

static char *
poll_describe (WfBackendInstance *self)
{
  guint n_directories, n_entries, n_unwatched, n_roots, n_scans;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  poll_count (self, &n_directories, &n_entries, &n_unwatched);
  n_roots = self->roots->len;
  n_scans = self->n_scans;
  g_mutex_unlock (&self->lock);

  return g_strdup_printf ("PollBackend { delay: %ums, roots: %u, directories: %u, entries: %u, scans: %u }",
                          self->poll_delay_ms, n_roots, n_directories, n_entries, n_scans);
}

#define STATUS_HAS(status, field) \
  ((status)->struct_size >= G_STRUCT_OFFSET (WfBackendStatus, field) + sizeof ((status)->field))

static void
poll_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  guint n_directories, n_entries, n_unwatched, n_roots;

  g_return_if_fail (self != NULL);
  g_return_if_fail (status != NULL);

  g_mutex_lock (&self->lock);
  poll_count (self, &n_directories, &n_entries, &n_unwatched);
  n_roots = self->roots->len;
  g_mutex_unlock (&self->lock);

  if (STATUS_HAS (status, n_roots))
    status->n_roots = n_roots;
  if (STATUS_HAS (status, n_directories))
    status->n_directories = n_directories;
  if (STATUS_HAS (status, n_unwatched))
    status->n_unwatched = n_unwatched;
  /* A poller never loses sync: every scan is a full one. */
  if (STATUS_HAS (status, n_rescans))
    status->n_rescans = 0;
}

static void
poll_stop (WfBackendInstance *self)
{
  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  poll_instance_free (self);
}

static gboolean
poll_probe (G_GNUC_UNUSED const char *path, int *priority, G_GNUC_UNUSED GError **error)
{
  /* stat() works everywhere, so polling can always serve, last. */
  if (priority != NULL)
    *priority = WF_BACKEND_PRIORITY_POLL;
  return TRUE;
}

static const WfBackendVTable poll_vtable = {
  .abi_major = WF_BACKEND_ABI_MAJOR,
  .struct_size = sizeof (WfBackendVTable),
  .name = "poll",
  .description = "Rescans the watched trees every poll delay and compares file fingerprints",
  .probe = poll_probe,
  .start = poll_start,
  .add_root = poll_add_root,
  .remove_root = poll_remove_root,
  .describe = poll_describe,
  .query_status = poll_query_status,
  .stop = poll_stop,
};

G_MODULE_EXPORT const WfBackendVTable *wf_backend_module_get_vtable (guint host_abi_major);

/* The vtable is returned whatever @host_abi_major says: its header carries
 * our ABI, and the core turns a mismatch into a clear error. */
G_MODULE_EXPORT const WfBackendVTable *
wf_backend_module_get_vtable (G_GNUC_UNUSED guint host_abi_major)
{
  return &poll_vtable;
}
