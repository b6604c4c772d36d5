/* SPDX-License-Identifier: MIT */
/* kqueue-backend.c: the "kqueue" backend module's adapter to the plugin
 * vtable, thin on purpose: the OS calls are in wf-kq-os.c, what a note
 * means in wf-kq-translate.c, what changed is the kit's snapshot.
 *
 * One descriptor per directory of the tree.  A note on one of them queues
 * that directory (its parent too for a note that it went); the scan
 * thread diffs each queued directory's listing against the kit's snapshot
 * (wf_kit_snapshot_rescan_directory(): creations, deletions, renames and,
 * by fingerprints, its files' modifications; a directory listed below it
 * is not read), then watches every directory not yet watched and rescans
 * each new one once more after its watch (watch-then-scan).  A note on a
 * root's own descriptor diffs that root's listing, and one saying it went
 * queues its parent, outside the snapshot: that root is rescanned whole,
 * which is what reports it gone with its tree.  Directories only, no
 * descriptor per file, except a single-file root (its own, reopened after
 * an atomic save, and its parent's): so on a real BSD a write to a file
 * that changes no directory's listing raises no note, and is seen at the
 * periodic whole rescan (KQ_RESCAN_US), which is also how directories
 * past the descriptor budget are covered (the watch-limit policy "poll":
 * they are counted as polled in the status, and listed as polled
 * subtrees; policy "error": add_root fails with WF_ERROR_WATCH_LIMIT, and
 * while running each directory left unwatched is pushed as that error).
 * add_root places the new tree's watches itself, then reads its snapshot
 * (watch, then scan).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"
#include "wf-kit-dir-reader.h"
#include "wf-kit-limit.h"
#include "wf-kit-path.h"
#include "wf-kit-snapshot.h"
#include "wf-kit-status.h"
#include "wf-kq-os.h"
#include "wf-kq-translate.h"

/* Descriptors kept for the process itself out of RLIMIT_NOFILE. */
#define KQ_RESERVED_FDS 64
/* The whole roots are rescanned at least this often, notes or not: a
 * file's write raises no directory note on a real BSD (only libkqueue's
 * inotify raises one on the parent), and directories past the descriptor
 * budget have no note at all. */
#define KQ_RESCAN_US (2 * G_USEC_PER_SEC)

/* A descriptor placed, and the number its notes carry (never reused, unlike
 * the descriptor, so a note still queued for a watch removed names no
 * other directory). */
typedef struct {
  int fd;
  guint id;
} Watch;

struct _WfBackendInstance {
  WfSink *sink;
  WfKitScanOptions scan_options;
  WfKqLoop *loop;
  guint64 nofile;
  guint64 budget;
  WfWatchLimitPolicy policy;

  GMutex watch_lock;          /* watches and the loop's knotes change under it (before lock) */
  GMutex lock;
  GCond wake;
  gboolean stopping;          /* under lock */
  gboolean rescan_all;        /* under lock: roots added or removed, or the periodic rescan is due */
  GHashTable *dirty;          /* under lock: directories whose note came (paths) */
  GHashTable *note_paths;     /* under lock: Watch.id -> the directory's path */
  guint next_id;              /* under watch_lock */
  GPtrArray *placed;          /* under watch_lock: directories watched since the scan took them */
  GPtrArray *roots;           /* WfKitSnapshot*, under lock */
  GHashTable *watches;        /* path -> Watch, under watch_lock */
  GHashTable *unwatched;      /* under lock: directories past the budget (polled), path -> errno */
  guint n_wakeups;            /* under lock */
  guint n_directory_rescans;  /* under lock */
  guint n_whole_rescans;      /* under lock */
  GThread *kevent_thread;
  GThread *scan_thread;
};

#define OPTIONS_HAVE(options, field) WF_STRUCT_HAS_FIELD (options, WfBackendOptions, field)

static void
on_note (void *data, void *udata, uint32_t fflags)
{
  WfBackendInstance *self = data;
  unsigned act = wf_kq_translate (WF_KQ_WATCH_DIRECTORY, fflags);
  const char *path;

  if (act == WF_KQ_ACT_NONE)
    return;
  g_mutex_lock (&self->lock);
  /* NULL: its watch was removed meanwhile (its directory went, which its
   * parent's note or diff says). */
  path = g_hash_table_lookup (self->note_paths, udata);
  if (path != NULL)
    {
      /* A file root's own descriptor too: its path rescans that root. */
      g_hash_table_add (self->dirty, g_strdup (path));
      /* Went (deleted, renamed): its parent's listing says where to. */
      if (act & WF_KQ_ACT_DIFF_PARENT)
        g_hash_table_add (self->dirty, g_path_get_dirname (path));
    }
  self->n_wakeups++;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
}

/* With watch_lock held: drops the watch at @iter (its descriptor, its
 * knote and the path its notes name). */
static void
remove_watch (WfBackendInstance *self, GHashTableIter *iter, Watch *watch)
{
  wf_kq_loop_remove (self->loop, watch->fd);
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->note_paths, GUINT_TO_POINTER (watch->id));
  g_mutex_unlock (&self->lock);
  g_hash_table_iter_remove (iter);
}

static gpointer
kevent_thread (gpointer data)
{
  WfBackendInstance *self = data;

  (void) wf_kq_loop_run (self->loop, on_note, self);
  return NULL;
}

/* With watch_lock held: a descriptor for @path (a directory unless
 * @is_file), unless the budget is spent; TRUE when placed. */
static gboolean
add_watch (WfBackendInstance *self, const char *path, gboolean is_file, GHashTable *unwatched)
{
  int fd = -1;
  int err = 0;
  guint id = ++self->next_id;

  if (id == 0)
    id = ++self->next_id;
  if (g_hash_table_size (self->watches) < self->budget)
    {
      /* Named before the knote exists: its first note finds the path. */
      g_mutex_lock (&self->lock);
      g_hash_table_insert (self->note_paths, GUINT_TO_POINTER (id), g_strdup (path));
      g_mutex_unlock (&self->lock);
      fd = wf_kq_loop_add (self->loop, path, !is_file, GUINT_TO_POINTER (id));
      err = fd < 0 ? errno : 0;
      if (fd < 0)
        {
          g_mutex_lock (&self->lock);
          g_hash_table_remove (self->note_paths, GUINT_TO_POINTER (id));
          g_mutex_unlock (&self->lock);
        }
    }
  if (fd >= 0)
    {
      Watch *watch = g_new (Watch, 1);

      *watch = (Watch) { .fd = fd, .id = id };
      g_hash_table_insert (self->watches, g_strdup (path), watch);
      if (!is_file && self->placed != NULL)
        g_ptr_array_add (self->placed, g_strdup (path));
    }
  else if (err == 0 || err == EMFILE || err == ENFILE)
    g_hash_table_insert (unwatched, g_strdup (path), GINT_TO_POINTER (err));
  return fd >= 0;
}

/* A directory entered by a walk placing watches: one reached again
 * through a followed symlink (a loop) is not entered twice. */
typedef struct {
  dev_t dev;
  ino_t ino;
} DirId;

typedef struct {
  char *path;
  DirId id;
} Subdirectory;

static void
subdirectory_free (Subdirectory *subdirectory)
{
  g_free (subdirectory->path);
  g_free (subdirectory);
}

static gboolean
is_ancestor (GArray *ancestors, const struct stat *st)
{
  for (guint i = 0; i < ancestors->len; i++)
    {
      const DirId *id = &g_array_index (ancestors, DirId, i);
      if (id->dev == st->st_dev && id->ino == st->st_ino)
        return TRUE;
    }
  return FALSE;
}

/* The subdirectories of @path (below the root @root) that no ignore rule
 * hides, listed by the kit's reader, so that no descriptor is spent on
 * an ignored tree (DESIGN rule 5); symlinks to directories too when the
 * options follow them.  Listed whole before any is entered: a deep tree
 * holds one listing's descriptor at a time, not one per level. */
static GPtrArray *
list_subdirectories (WfBackendInstance *self, const char *path, const char *root)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) subdirectory_free);
  g_autoptr (GString) buffer = g_string_new (path);
  WfKitDirReader reader;
  const char *name;
  int errsv;

  if (!self->scan_options.recursive ||
      wf_kit_dir_reader_open (&reader, AT_FDCWD, path, FALSE, buffer, self->scan_options.ignore_rules, root) != 0)
    return found;
  while ((name = wf_kit_dir_reader_next (&reader, &errsv)) != NULL)
    {
      struct stat st;

      if (wf_kit_stat_entry (wf_kit_dir_reader_get_fd (&reader), name, self->scan_options.follow_symlinks, &st) &&
          S_ISDIR (st.st_mode))
        {
          Subdirectory *subdirectory = g_new (Subdirectory, 1);

          *subdirectory = (Subdirectory) { g_strdup (buffer->str), { st.st_dev, st.st_ino } };
          g_ptr_array_add (found, subdirectory);
        }
    }
  wf_kit_dir_reader_close (&reader);
  return found;
}

/* With watch_lock held: watches @path and, if recursive, every directory
 * below it (the ignore rules relative to @root; @ancestors, the
 * directories being entered, outermost first); @seen gets every directory
 * found, @unwatched (path -> errno) those past the budget.  Returns how
 * many watches are new. */
static guint
watch_tree (WfBackendInstance *self, const char *path, const char *root, GArray *ancestors,
            GHashTable *seen, GHashTable *unwatched)
{
  g_autoptr (GPtrArray) subdirectories = NULL;
  struct stat st;
  guint n_new = 0;
  DirId id;

  if (g_hash_table_contains (seen, path) || stat (path, &st) != 0 || is_ancestor (ancestors, &st))
    return 0;
  g_hash_table_add (seen, g_strdup (path));
  if (!g_hash_table_contains (self->watches, path) && add_watch (self, path, FALSE, unwatched))
    n_new++;
  subdirectories = list_subdirectories (self, path, root);
  id = (DirId) { st.st_dev, st.st_ino };
  g_array_append_val (ancestors, id);
  for (guint i = 0; i < subdirectories->len; i++)
    n_new += watch_tree (self, ((Subdirectory *) subdirectories->pdata[i])->path, root, ancestors, seen, unwatched);
  g_array_set_size (ancestors, ancestors->len - 1);
  return n_new;
}

static gboolean
is_file_root (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && !S_ISDIR (st.st_mode);
}

/* With watch_lock held: a single-file root gets a descriptor of its own,
 * opened again when another inode is under the name (an editor's atomic
 * save: the old descriptor would hear nothing more), and
 * its parent directory one (which hears a rename over it).  Returns how
 * many directory watches are new. */
static guint
watch_file_root (WfBackendInstance *self, const char *path, GHashTable *seen, GHashTable *unwatched)
{
  g_autofree char *parent = g_path_get_dirname (path);
  Watch *watch;
  guint n_new = 0;

  g_hash_table_add (seen, g_strdup (path));
  watch = g_hash_table_lookup (self->watches, path);
  if (watch != NULL)
    {
      struct stat held, now;

      if (fstat (watch->fd, &held) != 0 || stat (path, &now) != 0
          || held.st_dev != now.st_dev || held.st_ino != now.st_ino)
        {
          GHashTableIter iter;
          gpointer key, value;

          g_hash_table_iter_init (&iter, self->watches);
          while (g_hash_table_iter_next (&iter, &key, &value))
            if (value == watch)
              {
                remove_watch (self, &iter, watch);
                break;
              }
        }
    }
  if (!g_hash_table_contains (self->watches, path))
    (void) add_watch (self, path, TRUE, unwatched);
  if (!g_hash_table_contains (seen, parent))
    {
      g_hash_table_add (seen, g_strdup (parent));
      if (!g_hash_table_contains (self->watches, parent) && add_watch (self, parent, FALSE, unwatched))
        n_new++;
    }
  return n_new;
}

/* With watch_lock held: watches each subdirectory of @path (below the
 * root @root) not watched as the directory it is now (new, or a new one
 * under an old name), and all below it.  Returns how many watches are
 * new. */
static guint
watch_new_children (WfBackendInstance *self, const char *path, const char *root, GHashTable *seen,
                    GHashTable *unwatched)
{
  g_autoptr (GPtrArray) subdirectories = list_subdirectories (self, path, root);
  g_autoptr (GArray) ancestors = g_array_new (FALSE, FALSE, sizeof (DirId));
  gsize root_len = strlen (root);
  guint n_new = 0;

  if (subdirectories->len == 0)
    return 0;
  /* The directories from the root down to @path itself, for the loop
   * check. */
  for (const char *end = path + root_len;; end = strchr (end + 1, '/'))
    {
      g_autofree char *step = NULL;
      struct stat st;
      DirId id;

      if (end == NULL)
        end = path + strlen (path);
      step = g_strndup (path, (gsize) (end - path));
      if (stat (step, &st) != 0)
        return 0;
      id = (DirId) { st.st_dev, st.st_ino };
      g_array_append_val (ancestors, id);
      if (*end == '\0')
        break;
    }

  for (guint i = 0; i < subdirectories->len; i++)
    {
      Subdirectory *subdirectory = subdirectories->pdata[i];
      Watch *watch = g_hash_table_lookup (self->watches, subdirectory->path);
      struct stat held;

      if (watch != NULL && fstat (watch->fd, &held) == 0 && held.st_dev == subdirectory->id.dev &&
          held.st_ino == subdirectory->id.ino)
        continue;
      if (watch != NULL)
        {
          GHashTableIter iter;
          gpointer value;

          g_hash_table_iter_init (&iter, self->watches);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            if (value == watch)
              {
                remove_watch (self, &iter, watch);
                break;
              }
        }
      n_new += watch_tree (self, subdirectory->path, root, ancestors, seen, unwatched);
    }
  return n_new;
}

/* With watch_lock held, lock not: what is new in the directories @scope
 * gets its watches (and a file root replaced a new descriptor); those of
 * directories gone stay until the next whole sync (with libkqueue no note
 * says a directory went while its descriptor is open). */
static guint
sync_watches_in (WfBackendInstance *self, GPtrArray *paths, GPtrArray *scope, GHashTable *unwatched)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_new = 0;

  for (guint i = 0; i < paths->len; i++)
    if (is_file_root (paths->pdata[i]))
      n_new += watch_file_root (self, paths->pdata[i], seen, unwatched);
  for (guint i = 0; i < scope->len; i++)
    for (guint j = 0; j < paths->len; j++)
      if (wf_kit_path_is_within (scope->pdata[i], paths->pdata[j]))
        {
          n_new += watch_new_children (self, scope->pdata[i], paths->pdata[j], seen, unwatched);
          break;
        }
  return n_new;
}

/* With watch_lock held, lock not: the watches of the roots @paths, and no
 * other; @unwatched gets the directories past the budget. */
static guint
sync_watches (WfBackendInstance *self, GPtrArray *paths, GHashTable *unwatched)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key, value;
  guint n_new = 0;

  /* Directory roots first: a file root's parent may be one of them. */
  for (guint i = 0; i < paths->len; i++)
    if (!is_file_root (paths->pdata[i]))
      {
        g_autoptr (GArray) ancestors = g_array_new (FALSE, FALSE, sizeof (DirId));
        n_new += watch_tree (self, paths->pdata[i], paths->pdata[i], ancestors, seen, unwatched);
      }
  for (guint i = 0; i < paths->len; i++)
    if (is_file_root (paths->pdata[i]))
      n_new += watch_file_root (self, paths->pdata[i], seen, unwatched);
  /* Directories gone (or no longer directories): their descriptors go. */
  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      remove_watch (self, &iter, value);
  return n_new;
}

/* The limit @path ran into: on Linux (libkqueue) a knote is an inotify
 * instance, elsewhere the descriptor budget. */
static GError *
limit_error (WfBackendInstance *self, const char *path, int err)
{
#ifdef __linux__
  static const WfKitLimit libkqueue_limit = {
    .name = "fs.inotify.max_user_instances",
    .proc_file = "/proc/sys/fs/inotify/max_user_instances",
    .raise_hint = "raise it (libkqueue spends an inotify instance per directory), "
                  "e.g. “sysctl fs.inotify.max_user_instances=8192”",
    .namespace_name = "user.max_inotify_instances",
    .namespace_proc_file = "/proc/sys/user/max_inotify_instances",
  };

  if (err == EMFILE)
    return wf_kit_limit_error (&libkqueue_limit, "libkqueue knote (inotify instance)", path);
#endif
  g_autofree char *display = g_filename_display_name (path);

  return g_error_new (WF_ERROR, WF_ERROR_WATCH_LIMIT,
                      "Cannot watch “%s”: the kqueue descriptor limit is reached (%s; RLIMIT_NOFILE is %"
                      G_GUINT64_FORMAT ", %d of them kept for the process); raise the hard limit "
                      "(ulimit -Hn; on FreeBSD also kern.maxfilesperproc)",
                      display, err != 0 ? g_strerror (err) : "budget spent", self->nofile, KQ_RESERVED_FDS);
}

/* With lock held: @unwatched becomes the set past the budget (@whole) or
 * joins it; what is new in it is said (policy poll) or pushed as the
 * limit's error (policy error). */
static void
set_unwatched (WfBackendInstance *self, GHashTable *unwatched, gboolean whole)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, unwatched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (self->unwatched, key))
      {
        g_autoptr (GError) error = limit_error (self, key, GPOINTER_TO_INT (value));

        if (self->policy == WF_WATCH_LIMIT_POLICY_ERROR)
          wf_sink_push_error (self->sink, key, error);
        else
          wf_sink_debug (self->sink, "kqueue: polled instead: %s", error->message);
      }
  if (!whole)
    {
      g_hash_table_iter_init (&iter, unwatched);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (self->unwatched, g_strdup (key), value);
      return;
    }
  g_hash_table_unref (self->unwatched);
  self->unwatched = g_hash_table_ref (unwatched);
}

static GPtrArray *
root_paths (WfBackendInstance *self)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->roots->len; i++)
    g_ptr_array_add (paths, g_strdup (wf_kit_snapshot_get_path (self->roots->pdata[i])));
  return paths;
}

/* With lock held (dropped meanwhile): the watches of the roots now, and
 * the set past the budget; or (@scope not NULL) only what is new in the
 * directories @scope (keys of a set of paths): reading every directory of
 * the tree for its watches would undo what one directory's rescan saves.
 * Returns how many watches are new. */
static guint
sync_roots (WfBackendInstance *self, GHashTable *scope)
{
  g_autoptr (GPtrArray) paths = root_paths (self);
  g_autoptr (GHashTable) unwatched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) placed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) scope_paths = NULL;
  guint n_new;

  if (scope != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      scope_paths = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_iter_init (&iter, scope);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (scope_paths, g_strdup (key));
    }
  g_mutex_unlock (&self->lock);
  g_mutex_lock (&self->watch_lock);
  self->placed = placed;
  n_new = scope_paths != NULL ? sync_watches_in (self, paths, scope_paths, unwatched)
                              : sync_watches (self, paths, unwatched);
  self->placed = NULL;
  g_mutex_unlock (&self->watch_lock);
  g_mutex_lock (&self->lock);
  set_unwatched (self, unwatched, scope_paths == NULL);
  /* Watch, then scan: each directory watched now is read once more, for
   * what came into it before its watch. */
  for (guint i = 0; i < placed->len; i++)
    g_hash_table_add (self->dirty, g_steal_pointer (&placed->pdata[i]));
  return n_new;
}

/* With lock held: rescans each of @dirty's directories in the roots that
 * hold it; a root below one (a file root's parent, a root's own parent
 * after it went) is rescanned whole. */
static guint
rescan_dirty (WfBackendInstance *self, GHashTable *dirty)
{
  GHashTableIter iter;
  gpointer key;
  guint pushed = 0;

  g_hash_table_iter_init (&iter, dirty);
  while (g_hash_table_iter_next (&iter, &key, NULL) && !self->stopping)
    for (guint i = 0; i < self->roots->len; i++)
      {
        WfKitSnapshot *snapshot = self->roots->pdata[i];
        const char *root = wf_kit_snapshot_get_path (snapshot);

        if (wf_kit_path_is_within (key, root))
          pushed += wf_kit_snapshot_rescan_directory (snapshot, key, self->sink, WF_RAW_FLAG_NONE);
        else if (wf_kit_path_is_within (root, key))
          pushed += wf_kit_snapshot_rescan (snapshot, self->sink, WF_RAW_FLAG_NONE);
        else
          continue;
        self->n_directory_rescans++;
      }
  return pushed;
}

static gpointer
scan_thread (gpointer data)
{
  WfBackendInstance *self = data;
  /* When the whole roots are next rescanned: at once, for the first. */
  gint64 next_whole = 0;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      gboolean whole = self->rescan_all || g_get_monotonic_time () >= next_whole;

      self->rescan_all = FALSE;
      if (whole)
        (void) sync_roots (self, NULL);
      /* Watch, then scan: what a new directory got before its watch is in
       * the scan after it, what it gets after raises a note.  So a scan
       * that found something is followed by watching what it found (the
       * status is then right by the time its changes are delivered) and
       * by one more scan of each directory that placed a watch. */
      while (!self->stopping)
        {
          g_autoptr (GHashTable) dirty = g_steal_pointer (&self->dirty);
          guint pushed;

          self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          if (whole)
            {
              /* The notes queued until now are in it. */
              pushed = 0;
              for (guint i = 0; i < self->roots->len && !self->stopping; i++)
                pushed += wf_kit_snapshot_rescan (self->roots->pdata[i], self->sink, WF_RAW_FLAG_NONE);
              self->n_whole_rescans++;
              next_whole = g_get_monotonic_time () + KQ_RESCAN_US;
            }
          else
            {
              pushed = rescan_dirty (self, dirty);
            }
          if (self->stopping)
            break;
          if (pushed > 0)
            (void) sync_roots (self, whole ? NULL : dirty);
          whole = FALSE;
          /* Notes without a pause do not put the whole rescan off. */
          if (self->rescan_all || g_hash_table_size (self->dirty) == 0 || g_get_monotonic_time () >= next_whole)
            break;
        }

      while (!self->stopping && !self->rescan_all && g_hash_table_size (self->dirty) == 0)
        if (!g_cond_wait_until (&self->wake, &self->lock, next_whole))
          break;
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
kq_instance_free (WfBackendInstance *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    wf_kq_loop_remove (self->loop, ((Watch *) value)->fd);
  g_hash_table_unref (self->watches);
  g_hash_table_unref (self->dirty);
  g_hash_table_unref (self->note_paths);
  g_hash_table_unref (self->unwatched);
  wf_kq_loop_free (self->loop);
  g_ptr_array_unref (self->roots);
  g_cond_clear (&self->wake);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->watch_lock);
  wf_kit_scan_options_clear (&self->scan_options);
  wf_sink_unref (self->sink);
  g_free (self);
}

static WfBackendInstance *
kq_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  WfBackendInstance *self;

  g_return_val_if_fail (sink != NULL, NULL);

  self = g_new0 (WfBackendInstance, 1);
  wf_kit_scan_options_init (&self->scan_options, options);
  if (options != NULL)
    {
      if (OPTIONS_HAVE (options, watch_limit_policy))
        self->policy = options->watch_limit_policy;
    }
  self->nofile = wf_kq_raise_nofile ();
  self->budget = wf_kq_budget (self->nofile, KQ_RESERVED_FDS);
  self->sink = wf_sink_ref (sink);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->watch_lock);
  g_cond_init (&self->wake);
  self->unwatched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_kit_snapshot_free);
  self->watches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->note_paths = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->loop = wf_kq_loop_new ();
  if (self->loop == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "kqueue: %s", g_strerror (saved));
      kq_instance_free (self);
      return NULL;
    }
  self->kevent_thread = g_thread_try_new ("wf-kevent", kevent_thread, self, error);
  if (self->kevent_thread == NULL)
    {
      kq_instance_free (self);
      return NULL;
    }
  self->scan_thread = g_thread_try_new ("wf-kqueue", scan_thread, self, error);
  if (self->scan_thread == NULL)
    {
      wf_kq_loop_stop (self->loop);
      g_thread_join (self->kevent_thread);
      kq_instance_free (self);
      return NULL;
    }
  return self;
}

static gboolean
kq_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GHashTable) unwatched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  WfKitSnapshot *snapshot = NULL;
  gboolean limited = FALSE;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* Watch, then scan: the new tree's watches first, then its snapshot. */
  g_mutex_lock (&self->watch_lock);
  g_mutex_lock (&self->lock);
  paths = root_paths (self);
  g_mutex_unlock (&self->lock);
  g_ptr_array_add (paths, g_strdup (path));
  (void) sync_watches (self, paths, unwatched);
  if (self->policy == WF_WATCH_LIMIT_POLICY_ERROR)
    {
      g_hash_table_iter_init (&iter, unwatched);
      while (!limited && g_hash_table_iter_next (&iter, &key, &value))
        if (wf_kit_path_is_within (key, path))
          {
            g_propagate_error (error, limit_error (self, key, GPOINTER_TO_INT (value)));
            limited = TRUE;
          }
    }
  if (!limited)
    snapshot = wf_kit_snapshot_new_built (path, &self->scan_options, error);
  if (snapshot == NULL)
    {
      /* Nothing of @path stays watched (but what other roots need). */
      g_hash_table_remove_all (unwatched);
      g_ptr_array_set_size (paths, paths->len - 1);
      (void) sync_watches (self, paths, unwatched);
      g_mutex_unlock (&self->watch_lock);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  wf_kit_root_snapshots_put (self->roots, snapshot);
  set_unwatched (self, unwatched, TRUE);
  /* The scan thread rescans it: what changed since the snapshot. */
  self->rescan_all = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->watch_lock);
  return TRUE;
}

static void
kq_remove_root (WfBackendInstance *self, const char *path)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  g_mutex_lock (&self->lock);
  wf_kit_root_snapshots_remove (self->roots, path);
  self->rescan_all = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
}

static void
kq_count (WfBackendInstance *self, WfKitCounts *counts)
{
  wf_kit_root_snapshots_count (self->roots, counts, NULL);
  /* Past the budget: covered by the periodic rescan, i.e. polled. */
  counts->n_polled_directories = g_hash_table_size (self->unwatched);
}

static char *
kq_describe (WfBackendInstance *self)
{
  g_autofree char *own_fields = NULL;
  WfKitCounts counts;

  g_return_val_if_fail (self != NULL, NULL);
  g_mutex_lock (&self->lock);
  kq_count (self, &counts);
  own_fields = g_strdup_printf ("descriptor budget: %" G_GUINT64_FORMAT ", past it: %u, wake-ups: %u, "
                                "directory rescans: %u, whole rescans: %u, stop by: %s",
                                self->budget, g_hash_table_size (self->unwatched), self->n_wakeups,
                                self->n_directory_rescans, self->n_whole_rescans,
                                wf_kq_loop_uses_user_event (self->loop) ? "EVFILT_USER" : "pipe");
  g_mutex_unlock (&self->lock);
  return wf_kit_describe ("KqueueBackend", own_fields, &counts);
}

static void
kq_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  WfKitCounts counts;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (self != NULL);
  g_return_if_fail (status != NULL);
  g_mutex_lock (&self->lock);
  kq_count (self, &counts);
  /* Each polled subtree once: by its top directory. */
  g_hash_table_iter_init (&iter, self->unwatched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *parent = g_path_get_dirname (key);

      if (!g_hash_table_contains (self->unwatched, parent))
        wf_backend_status_add_polled_subtree (status, key, WF_POLL_REASON_WATCH_LIMIT);
    }
  g_mutex_unlock (&self->lock);
  wf_kit_status_fill (status, &counts);
}

static void
kq_stop (WfBackendInstance *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  wf_kq_loop_stop (self->loop);
  g_thread_join (self->kevent_thread);
  g_thread_join (self->scan_thread);
  kq_instance_free (self);
}

static gboolean
kq_probe (G_GNUC_UNUSED const char *path, int *priority, G_GNUC_UNUSED GError **error)
{
  /* Below a platform's own (fsevents on macOS), above poll. */
  if (priority != NULL)
    *priority = WF_BACKEND_PRIORITY_NATIVE - 10;
  return TRUE;
}

static const WfBackendVTable kq_vtable = {
  .abi_major = WF_BACKEND_ABI_MAJOR,
  .struct_size = sizeof (WfBackendVTable),
  .name = "kqueue",
  .description = "kqueue(2) EVFILT_VNODE on every directory; the kit's snapshot tells what changed",
  .probe = kq_probe,
  .start = kq_start,
  .add_root = kq_add_root,
  .remove_root = kq_remove_root,
  .describe = kq_describe,
  .query_status = kq_query_status,
  .stop = kq_stop,
  /* No flag: notify's kqueue watcher joins a relative root to the working
   * directory (as its inotify watcher does), so RustNotify reports
   * "/cwd/x/y" there, where only its PollWatcher keeps "x/y"; and a
   * missing root is add_root's G_IO_ERROR_NOT_FOUND (which
   * ignore_permission_denied skips, as RustNotify does for a native
   * watcher), not refused before start as for poll. */
  .flags = WF_BACKEND_FLAG_NONE,
};

WF_BACKEND_MODULE_EXPORT (kq_vtable)
