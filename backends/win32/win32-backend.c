/* SPDX-License-Identifier: MIT */
/* win32-backend.c: the "win32" backend module's adapter to the plugin
 * vtable, thin on purpose: the Windows calls are in wf-w32-os.c, what a
 * record means in wf-w32-parse.c, what changed is the kit's snapshot.
 *
 * Every root has a snapshot (built at add_root) and watches from the OS
 * loop:
 *   - a directory root: the directory itself (bWatchSubtree when
 *     recursive), and a guard on its parent filtered by the root's name,
 *     which hears the root renamed away or (once our handle is closed)
 *     deleted;
 *   - a single-file root: its parent, not recursive, filtered by its name
 *     (an atomic save renames a file over it: the parent sees that);
 *   - a root that is gone: a guard on its nearest existing ancestor
 *     (wf-kit-missing-root), climbed down as components come back.
 * Records of a root's own watch are translated on the scan thread, a
 * batch at a time (translate()): the directories they name (each
 * record's parent, a directory added or renamed here, a directory
 * itself modified) are rescanned one by one with the kit
 * (wf_kit_snapshot_rescan_directory(): new entries with all below them,
 * gone ones with all known below them, changed fingerprints), and the
 * records themselves report what no rescan can see (an entry that came
 * and went between two reads).  Per directory, not per root: a
 * directory made and removed at once is reported, and wine's blind
 * spots (what happens in a subdirectory older than the watch or moved
 * in, README) are read when a record names that directory.  Records of
 * a guard (the root itself or an ancestor came, went or changed), a
 * dead watch and lost events (overflow: RESYNC) rescan the whole root.
 * No timer: the scan thread sleeps until a record comes.
 *
 * Not built on Linux (no <windows.h>), and CI cannot build it for
 * Windows (Debian has no GLib for mingw): the main build compiles this
 * file for Linux only to check it (backends/meson.build).  It was built
 * for Windows against a hand-built GLib and run under wine by hand
 * (README, "Other systems"), which lists what a Windows build still needs.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"
#include "wf-kit-dir-reader.h"
#include "wf-kit-missing-root.h"
#include "wf-kit-path.h"
#include "wf-kit-snapshot.h"
#include "wf-kit-status.h"
#include "wf-w32-os.h"

typedef struct _Root Root;

/* What a watch's udata points at: which root, and whether it is the
 * root's own watch (its records name entries below it) or its guard. */
typedef struct {
  Root *root;
  gboolean is_guard;
} WatchTag;

/* One record of the root's own watch, its path joined to the root's. */
typedef struct {
  WfW32EventKind kind;
  char *path;
} Record;

struct _Root {
  WfBackendInstance *self;
  char *path;                 /* as given */
  WfKitSnapshot *snapshot;    /* under lock */
  gboolean is_file;           /* a single-file root (as of add_root) */
  WfW32Watch *watch;          /* watch_lock: the root's own watch, or NULL */
  WfW32Watch *guard;          /* watch_lock: the parent's, or the nearest ancestor's */
  char *guard_dir;            /* watch_lock: what guard watches */
  WfKitMissingRoot missing;   /* under lock */
  WatchTag own_tag, guard_tag;
  GArray *records;            /* under lock: Record, not yet translated */
  /* Under lock: paths a record said were added and that were gone by the
   * rescan (reported added by us, unknown to the snapshot): their
   * deletion's record is the one to report it. */
  GHashTable *announced;
  /* Under lock: a directory renamed within the root, old path -> new
   * (wine goes on naming its entries under the old path). */
  GHashTable *renamed_dirs;
  gboolean dirty;             /* under lock: a record came */
  gboolean full;              /* under lock: rescan the whole root (guard records, a new watch) */
  gboolean resync;            /* under lock: events were lost */
  gboolean dead;              /* under lock: the root's own watch failed */
};

struct _WfBackendInstance {
  WfSink *sink;
  WfKitScanOptions scan_options;
  WfW32Loop *loop;

  GMutex watch_lock;          /* watches change under it: never taken by the loop thread */
  GMutex lock;                /* roots' state; the loop thread's callback takes it */
  GCond wake;
  gboolean stopping;          /* under lock */
  GPtrArray *roots;           /* Root*, under lock (and watch_lock to add or remove) */
  guint n_rescans;            /* under lock */
  guint n_records;            /* under lock */
  GThread *scan_thread;
};

static void
record_clear (gpointer data)
{
  g_free (((Record *) data)->path);
}

static void
root_free (Root *root)
{
  g_array_unref (root->records);
  g_hash_table_unref (root->announced);
  g_hash_table_unref (root->renamed_dirs);
  g_free (root->path);
  g_free (root->guard_dir);
  g_clear_pointer (&root->snapshot, wf_kit_snapshot_free);
  wf_kit_missing_root_clear (&root->missing);
  g_free (root);
}

/* From the loop thread. */
static void
on_event (void *data, void *udata, WfW32EventKind kind, const char *name, unsigned long error)
{
  WfBackendInstance *self = data;
  WatchTag *tag = udata;
  Root *root = tag->root;

  g_mutex_lock (&self->lock);
  self->n_records++;
  root->dirty = TRUE;
  if (kind <= WF_W32_EV_MOVED_TO && !tag->is_guard && !root->is_file)
    {
      GString *path = g_string_new (root->path);
      Record record = { kind, NULL };

      wf_kit_path_append_name (path, name);
      record.path = g_string_free (path, FALSE);
      g_array_append_val (root->records, record);
    }
  else
    {
      /* The root itself (or an ancestor, or a single-file root's name)
       * came, went or changed: the whole root is read again. */
      root->full = TRUE;
    }
  if (kind == WF_W32_EV_OVERFLOW)
    root->resync = TRUE;
  if (kind == WF_W32_EV_FAILED)
    {
      root->dead = TRUE;
      wf_sink_debug (self->sink, "win32: the watch of %s failed (Win32 error %lu)", root->path, error);
    }
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
}

static unsigned long
add_watch (WfBackendInstance *self, Root *root, const char *dir, gboolean recursive, const char *name,
           WfW32Watch **watch)
{
  WatchTag *tag = watch == &root->guard ? &root->guard_tag : &root->own_tag;
  unsigned long error = wf_w32_loop_add (self->loop, dir, recursive, name, tag, watch);

  if (error != 0)
    wf_sink_debug (self->sink, "win32: cannot watch %s%s%s: Win32 error %lu", dir, name ? " for " : "",
                   name ? name : "", error);
  return error;
}

static void
drop_watch (WfBackendInstance *self, WfW32Watch **watch)
{
  wf_w32_loop_remove (self->loop, *watch);
  *watch = NULL;
}

/* The guard on @dir (filtered by @name unless NULL), kept if it is
 * already there: replacing it would open a gap. */
static void
set_guard (WfBackendInstance *self, Root *root, const char *dir, const char *name)
{
  if (root->guard != NULL && g_strcmp0 (root->guard_dir, dir) == 0)
    return;
  if (root->guard != NULL)
    drop_watch (self, &root->guard);
  g_free (root->guard_dir);
  root->guard_dir = NULL;
  if (add_watch (self, root, dir, FALSE, name, &root->guard) == 0)
    root->guard_dir = g_strdup (dir);
}

/* With watch_lock held: the watches @root needs now.  Returns TRUE when
 * a new own watch was placed (its tree must then be scanned again: what
 * came before the watch is only seen by a scan). */
static gboolean
place_watches (WfBackendInstance *self, Root *root)
{
  g_autofree char *parent = g_path_get_dirname (root->path);
  g_autofree char *base = g_path_get_basename (root->path);
  gboolean exists = g_file_test (root->path, G_FILE_TEST_EXISTS);
  gboolean is_dir = g_file_test (root->path, G_FILE_TEST_IS_DIR);
  gboolean placed = FALSE;

  if (root->watch != NULL && !is_dir)
    drop_watch (self, &root->watch);
  if (root->is_file || !exists)
    {
      /* A file root: its parent with its name.  A root that is gone: its
       * nearest existing ancestor, whatever comes there (the next
       * component, or a move of an upper level). */
      if (root->is_file && g_file_test (parent, G_FILE_TEST_IS_DIR))
        set_guard (self, root, parent, base);
      else
        {
          g_autofree char *nearest = NULL;
          g_mutex_lock (&self->lock);
          nearest = wf_kit_missing_root_climb (&root->missing);
          g_mutex_unlock (&self->lock);
          set_guard (self, root, nearest, NULL);
        }
      return FALSE;
    }
  if (root->watch == NULL && is_dir)
    placed = add_watch (self, root, root->path, self->scan_options.recursive, NULL, &root->watch) == 0;
  if (g_strcmp0 (parent, root->path) != 0)
    set_guard (self, root, parent, base);
  return placed;
}

/* ---- records to raw events ----------------------------------------------
 * Under lock (the snapshot's).  Each fact is reported once, by whichever
 * of the two can see it:
 *   - what is still there when the directory is read again (an entry
 *     added, renamed here or moved in with all below it; one gone with
 *     all known below it; a changed fingerprint: modified, or attributes;
 *     the same name of another kind: deleted + added) is the kit's, from
 *     the rescan of each directory a record named;
 *   - what the rescan cannot see is the records': an entry added and
 *     gone again (created, then deleted), and one gone before its
 *     directory was read (created now, deleted at its own record).
 * So a record's creation and the rescan finding the same entry never
 * both push it, whichever batches of the core they fall into.  A record
 * of MODIFIED pushes nothing itself: Windows raises it for a directory
 * whenever an entry comes or goes, and for a file's link count, which
 * no backend reports on Windows (the matrix); the fingerprint judges. */

/* The snapshot's entry at @path, or NULL. */
static WfKitEntry *
lookup (Root *root, const char *path)
{
  return wf_kit_snapshot_lookup (root->snapshot, path);
}

static gboolean
is_listed (Root *root, const char *path)
{
  WfKitEntry *entry = lookup (root, path);
  return entry != NULL && wf_kit_entry_get_children (entry) != NULL;
}

/* The directory wine means when it names @dir, a directory renamed
 * away within the root (or below one): the new path, or NULL. */
static char *
follow_rename (Root *root, const char *dir)
{
  gsize n = strlen (root->path);
  g_autofree char *upper = g_strdup (dir);

  while (strlen (upper) > n)
    {
      const char *to = g_hash_table_lookup (root->renamed_dirs, upper);
      char *cut;

      if (to != NULL)
        return g_strconcat (to, dir + strlen (upper), NULL);
      cut = strrchr (upper, '/');
      if (cut == NULL)
        break;
      *cut = '\0';
    }
  return NULL;
}

/* Is @dir, or a directory between it and the root, ignored? */
static gboolean
below_ignored (WfBackendInstance *self, Root *root, const char *dir)
{
  g_autofree char *upper = g_strdup (dir);
  gsize n = strlen (root->path);

  while (strlen (upper) > n)
    {
      char *cut;

      if (wf_kit_ignores (self->scan_options.ignore_rules, root->path, upper))
        return TRUE;
      cut = strrchr (upper, '/');
      if (cut == NULL)
        break;
      *cut = '\0';
    }
  return FALSE;
}

static WfRawKind
raw_kind (WfW32EventKind kind)
{
  switch (kind)
    {
    case WF_W32_EV_CREATED: return WF_RAW_CREATED;
    case WF_W32_EV_DELETED: return WF_RAW_DELETED;
    case WF_W32_EV_MOVED_FROM: return WF_RAW_MOVED_FROM;
    case WF_W32_EV_MOVED_TO: return WF_RAW_MOVED_TO;
    default: return WF_RAW_MODIFIED;
    }
}

static gint
shallower_first (gconstpointer a, gconstpointer b)
{
  const char *pa = *(const char *const *) a, *pb = *(const char *const *) b;
  gsize la = strlen (pa), lb = strlen (pb);

  return la != lb ? (la < lb ? -1 : 1) : strcmp (pa, pb);
}

/* Translates @records (in order), rescans the directories they named
 * (the whole root when @full), then reports what the rescan could not
 * see. */
static void
translate (WfBackendInstance *self, Root *root, GArray *records, gboolean full, WfRawFlags flags)
{
  g_autoptr (GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Paths added by a record of this batch (whatever came of them), and
   * those whose creation is not reported yet: path -> WfRawKind + 1. */
  g_autoptr (GHashTable) made = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) pending = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) sorted = NULL;
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < records->len; i++)
    {
      Record *record = &g_array_index (records, Record, i);
      g_autofree char *parent = g_path_get_dirname (record->path);
      WfKitEntry *entry;

      wf_sink_debug (self->sink, "win32: record %d %s", (int) record->kind, record->path);
      /* Wine may name entries of a renamed directory under its old path
       * (README, "Wine differences"); on Windows this does not happen.
       * Such a path is neither listed nor made here, so nothing is pushed
       * for it (no name that is not there is ever reported): what it
       * means is read instead, the directory under its new name when the
       * rename's records were seen, else the whole root, and the rescan
       * reports only what really differs.  Below an ignored directory
       * (never listed) there is nothing to read. */
      if (strcmp (parent, root->path) != 0 && !is_listed (root, parent) && !g_hash_table_contains (made, parent))
        {
          char *renamed = follow_rename (root, parent);

          if (renamed != NULL)
            {
              char *itself = follow_rename (root, record->path);

              g_hash_table_add (dirs, renamed);
              if (itself != NULL && g_file_test (itself, G_FILE_TEST_IS_DIR))
                g_hash_table_add (dirs, itself);
              else
                g_free (itself);
            }
          else if (!below_ignored (self, root, parent))
            full = TRUE;
          continue;
        }
      g_hash_table_add (dirs, g_steal_pointer (&parent));
      entry = lookup (root, record->path);

      switch (record->kind)
        {
        case WF_W32_EV_CREATED:
        case WF_W32_EV_MOVED_TO:
          g_hash_table_remove (root->renamed_dirs, record->path);  /* the name is taken again */
          g_hash_table_add (made, record->path);
          if (record->kind == WF_W32_EV_MOVED_TO && i > 0 &&
              g_array_index (records, Record, i - 1).kind == WF_W32_EV_MOVED_FROM &&
              g_file_test (record->path, G_FILE_TEST_IS_DIR))
            g_hash_table_replace (root->renamed_dirs, g_strdup (g_array_index (records, Record, i - 1).path),
                                  g_strdup (record->path));
          if (!g_hash_table_contains (pending, record->path))
            g_hash_table_insert (pending, record->path, GINT_TO_POINTER (raw_kind (record->kind) + 1));
          /* What it holds: wine reports nothing of a directory moved in. */
          if (g_file_test (record->path, G_FILE_TEST_IS_DIR))
            g_hash_table_add (dirs, g_strdup (record->path));
          break;

        case WF_W32_EV_DELETED:
        case WF_W32_EV_MOVED_FROM:
          if (g_hash_table_lookup (pending, record->path) != NULL)
            {
              /* Came and went within the batch: no rescan sees it (but
               * the end of what the snapshot knew there, if anything). */
              WfRawKind made_as = GPOINTER_TO_INT (g_hash_table_lookup (pending, record->path)) - 1;

              wf_sink_push (self->sink, made_as, record->path, WF_RAW_FLAG_NONE);
              if (entry == NULL)
                wf_sink_push (self->sink, raw_kind (record->kind), record->path, WF_RAW_FLAG_NONE);
              g_hash_table_remove (pending, record->path);
            }
          else if (entry == NULL && g_hash_table_remove (root->announced, record->path))
            {
              wf_sink_push (self->sink, raw_kind (record->kind), record->path, WF_RAW_FLAG_NONE);
            }
          if (entry != NULL && wf_kit_entry_is_dir (entry))
            {
              /* Whatever directory has the name by the rescan is another
               * one (moved out and back, or replaced): an inode that
               * cannot be live makes the kit report the old one deleted
               * with all known below it and the new one added with all
               * below (on Windows every inode is 0 and could not tell). */
              WfKitFingerprint gone = *wf_kit_entry_get_fingerprint (entry);

              gone.ino = G_MAXUINT64;
              wf_kit_entry_set_fingerprint (entry, &gone);
            }
          /* A file's name gone and back (an editor's atomic save) is
           * the kit's to judge: modified, as a poll sees it. */
          break;

        default:
          /* Wine reports changes in a directory older than the watch
           * only as that directory's MODIFIED: read it. */
          if (entry != NULL && wf_kit_entry_get_children (entry) != NULL)
            g_hash_table_add (dirs, g_strdup (record->path));
          break;
        }
    }

  if (full)
    {
      wf_kit_snapshot_rescan (root->snapshot, self->sink, flags);
    }
  else
    {
      sorted = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, dirs);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (sorted, key);
      g_ptr_array_sort (sorted, shallower_first);
      for (guint i = 0; i < sorted->len; i++)
        wf_kit_snapshot_rescan_directory (root->snapshot, sorted->pdata[i], self->sink, flags);
    }

  /* Added, and gone before the rescan read it: reported now, and its
   * deletion when its record comes.  (An ignored name is never in the
   * snapshot: not that.) */
  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (lookup (root, key) == NULL && !wf_kit_ignores (self->scan_options.ignore_rules, root->path, key))
      {
        wf_sink_push (self->sink, GPOINTER_TO_INT (value) - 1, key, WF_RAW_FLAG_NONE);
        g_hash_table_add (root->announced, g_strdup (key));
      }

  /* After lost events, what was announced and is gone is deleted: its
   * record may have been lost. */
  if (flags & WF_RAW_FLAG_RESYNC)
    {
      g_hash_table_iter_init (&iter, root->announced);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (lookup (root, key) == NULL && !g_file_test (key, G_FILE_TEST_EXISTS))
          wf_sink_push (self->sink, WF_RAW_DELETED, key, flags);
      g_hash_table_remove_all (root->announced);
    }
}

static gpointer
scan_thread (gpointer data)
{
  WfBackendInstance *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      Root *root = NULL;

      for (guint i = 0; i < self->roots->len && root == NULL; i++)
        if (((Root *) self->roots->pdata[i])->dirty)
          root = self->roots->pdata[i];
      if (root == NULL)
        {
          g_cond_wait (&self->wake, &self->lock);
          continue;
        }
      for (int pass = 0; pass < 2 && !self->stopping; pass++)
        {
          g_autoptr (GArray) records = NULL;
          WfRawFlags flags;
          gboolean dead, full, placed, alive;

          if (!g_ptr_array_find (self->roots, root, NULL))
            break;
          flags = root->resync ? WF_RAW_FLAG_RESYNC : WF_RAW_FLAG_NONE;
          dead = root->dead;
          full = root->full || root->resync || root->dead || pass > 0;
          records = g_steal_pointer (&root->records);
          root->records = g_array_new (FALSE, FALSE, sizeof (Record));
          g_array_set_clear_func (root->records, record_clear);
          if (root->resync)
            self->n_rescans++;
          root->dirty = root->full = root->resync = root->dead = FALSE;
          g_mutex_unlock (&self->lock);
          /* watch_lock first, then see whether remove_root freed it. */
          g_mutex_lock (&self->watch_lock);
          g_mutex_lock (&self->lock);
          alive = g_ptr_array_find (self->roots, root, NULL);
          g_mutex_unlock (&self->lock);
          placed = FALSE;
          if (alive)
            {
              if (dead && root->watch != NULL)
                drop_watch (self, &root->watch);  /* lets a delete-pending root go */
              g_mutex_lock (&self->lock);
              translate (self, root, records, full, flags);
              g_mutex_unlock (&self->lock);
              placed = place_watches (self, root);
            }
          g_mutex_unlock (&self->watch_lock);
          g_mutex_lock (&self->lock);
          /* Watch, then scan: a watch placed just now, over a tree the
           * rescan above read before it, is followed by one more rescan. */
          if (!alive || !placed)
            break;
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
w32_instance_free (WfBackendInstance *self)
{
  wf_w32_loop_free (self->loop);
  g_ptr_array_unref (self->roots);
  g_cond_clear (&self->wake);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->watch_lock);
  wf_kit_scan_options_clear (&self->scan_options);
  wf_sink_unref (self->sink);
  g_free (self);
}

static WfBackendInstance *
w32_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  WfBackendInstance *self;
  unsigned long w32_error = 0;

  g_return_val_if_fail (sink != NULL, NULL);

  self = g_new0 (WfBackendInstance, 1);
  wf_kit_scan_options_init (&self->scan_options, options);
  self->sink = wf_sink_ref (sink);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->watch_lock);
  g_cond_init (&self->wake);
  self->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) root_free);
  self->loop = wf_w32_loop_new (0, on_event, self, &w32_error);
  if (self->loop == NULL)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE, "win32: cannot start the watch thread (Win32 error %lu)",
                   w32_error);
      w32_instance_free (self);
      return NULL;
    }
  self->scan_thread = g_thread_try_new ("wf-win32", scan_thread, self, error);
  if (self->scan_thread == NULL)
    {
      w32_instance_free (self);
      return NULL;
    }
  return self;
}

/* With watch_lock held: drops @root's watches, then its record. */
static void
remove_root_locked (WfBackendInstance *self, Root *root)
{
  if (root->watch != NULL)
    drop_watch (self, &root->watch);
  if (root->guard != NULL)
    drop_watch (self, &root->guard);
  g_mutex_lock (&self->lock);
  g_ptr_array_remove (self->roots, root);
  g_mutex_unlock (&self->lock);
}

static Root *
find_root (WfBackendInstance *self, const char *path)
{
  for (guint i = 0; i < self->roots->len; i++)
    if (strcmp (((Root *) self->roots->pdata[i])->path, path) == 0)
      return self->roots->pdata[i];
  return NULL;
}

static gboolean
w32_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  WfKitSnapshot *snapshot;
  Root *root, *old;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  root = g_new0 (Root, 1);
  root->self = self;
  root->path = g_strdup (path);
  root->is_file = !g_file_test (path, G_FILE_TEST_IS_DIR);
  root->own_tag = (WatchTag) { root, FALSE };
  root->guard_tag = (WatchTag) { root, TRUE };
  root->records = g_array_new (FALSE, FALSE, sizeof (Record));
  g_array_set_clear_func (root->records, record_clear);
  root->announced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  root->renamed_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  wf_kit_missing_root_init (&root->missing, path);

  g_mutex_lock (&self->watch_lock);
  /* Watch, then scan: the snapshot is read after the watches are placed. */
  place_watches (self, root);
  if (root->watch == NULL && !root->is_file)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "win32: cannot watch %s", path);
      if (root->guard != NULL)
        drop_watch (self, &root->guard);
      g_mutex_unlock (&self->watch_lock);
      root_free (root);
      return FALSE;
    }
  snapshot = wf_kit_snapshot_new_built (path, &self->scan_options, error);
  if (snapshot == NULL)
    {
      if (root->watch != NULL)
        drop_watch (self, &root->watch);
      if (root->guard != NULL)
        drop_watch (self, &root->guard);
      g_mutex_unlock (&self->watch_lock);
      root_free (root);
      return FALSE;
    }
  root->snapshot = snapshot;
  /* A path watched again starts afresh (as the kit's root list does). */
  g_mutex_lock (&self->lock);
  old = find_root (self, path);
  g_mutex_unlock (&self->lock);
  if (old != NULL)
    remove_root_locked (self, old);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->roots, root);
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->watch_lock);
  return TRUE;
}

static void
w32_remove_root (WfBackendInstance *self, const char *path)
{
  Root *root;

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  g_mutex_lock (&self->watch_lock);
  g_mutex_lock (&self->lock);
  root = find_root (self, path);
  g_mutex_unlock (&self->lock);
  if (root != NULL)
    remove_root_locked (self, root);
  g_mutex_unlock (&self->watch_lock);
}

static void
w32_count (WfBackendInstance *self, WfKitCounts *counts)
{
  memset (counts, 0, sizeof *counts);
  for (guint i = 0; i < self->roots->len; i++)
    {
      Root *root = self->roots->pdata[i];
      wf_kit_counts_add_root (counts, root->snapshot);
    }
  counts->n_rescans = self->n_rescans;
}

static char *
w32_describe (WfBackendInstance *self)
{
  g_autofree char *own_fields = NULL;
  WfKitCounts counts;
  WfW32Stats stats;

  g_return_val_if_fail (self != NULL, NULL);
  wf_w32_loop_get_stats (self->loop, &stats);
  g_mutex_lock (&self->lock);
  w32_count (self, &counts);
  own_fields = g_strdup_printf ("records: %u, completions: %lu, overflows: %lu (0-byte) + %lu (ENUM_DIR), "
                                "failed reads: %lu",
                                self->n_records, stats.n_completions, stats.n_zero_bytes, stats.n_enum_dir,
                                stats.n_failed);
  g_mutex_unlock (&self->lock);
  return wf_kit_describe ("Win32Backend", own_fields, &counts);
}

static void
w32_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  WfKitCounts counts;

  g_return_if_fail (self != NULL);
  g_return_if_fail (status != NULL);
  g_mutex_lock (&self->lock);
  w32_count (self, &counts);
  g_mutex_unlock (&self->lock);
  wf_kit_status_fill (status, &counts);
}

static void
w32_stop (WfBackendInstance *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->scan_thread);
  /* The loop cancels and closes every watch: no callback after this. */
  wf_w32_loop_free (self->loop);
  self->loop = NULL;
  w32_instance_free (self);
}

static gboolean
w32_probe (G_GNUC_UNUSED const char *path, int *priority, G_GNUC_UNUSED GError **error)
{
  if (priority != NULL)
    *priority = WF_BACKEND_PRIORITY_NATIVE;
  return TRUE;
}

static const WfBackendVTable w32_vtable = {
  .abi_major = WF_BACKEND_ABI_MAJOR,
  .struct_size = sizeof (WfBackendVTable),
  .name = "win32",
  .description = "ReadDirectoryChangesW on every root; each directory a record names rescanned with the kit",
  .probe = w32_probe,
  .start = w32_start,
  .add_root = w32_add_root,
  .remove_root = w32_remove_root,
  .describe = w32_describe,
  .query_status = w32_query_status,
  .stop = w32_stop,
  /* Not WF_BACKEND_FLAG_REPORTS_GIVEN_PATHS: notify's
   * ReadDirectoryChangesWatcher joins a relative root to the working
   * directory (its watch_inner(), as its inotify watcher does), so what
   * RustNotify reports on Windows is under the absolute form. */
  .flags = WF_BACKEND_FLAG_ROOTS_MUST_EXIST,
};

WF_BACKEND_MODULE_EXPORT (w32_vtable)
