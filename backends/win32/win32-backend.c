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
 * A record marks its root dirty; the scan thread rescans that root with
 * the kit (creations, deletions with their subtrees, renames, data and
 * attribute changes by fingerprint: the same rule set as poll), flagged
 * RESYNC after an overflow.  Records are used only to know which root to
 * rescan: this is as coarse as the kqueue backend (a whole root per
 * wake-up), and leaves wine's wrong names after a directory rename
 * harmless.  No timer: the scan thread sleeps until a record comes.
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
#include "wf-kit-missing-root.h"
#include "wf-kit-snapshot.h"
#include "wf-kit-status.h"
#include "wf-w32-os.h"

typedef struct {
  WfBackendInstance *self;
  char *path;                 /* as given */
  WfKitSnapshot *snapshot;    /* under lock */
  gboolean is_file;           /* a single-file root (as of add_root) */
  WfW32Watch *watch;          /* watch_lock: the root's own watch, or NULL */
  WfW32Watch *guard;          /* watch_lock: the parent's, or the nearest ancestor's */
  char *guard_dir;            /* watch_lock: what guard watches */
  WfKitMissingRoot missing;   /* under lock */
  gboolean dirty;             /* under lock: a record came */
  gboolean resync;            /* under lock: events were lost */
  gboolean dead;              /* under lock: the root's own watch failed */
} Root;

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
root_free (Root *root)
{
  g_free (root->path);
  g_free (root->guard_dir);
  g_clear_pointer (&root->snapshot, wf_kit_snapshot_free);
  wf_kit_missing_root_clear (&root->missing);
  g_free (root);
}

/* From the loop thread. */
static void
on_event (void *data, void *udata, WfW32EventKind kind, G_GNUC_UNUSED const char *name, unsigned long error)
{
  WfBackendInstance *self = data;
  Root *root = udata;

  g_mutex_lock (&self->lock);
  self->n_records++;
  root->dirty = TRUE;
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
  unsigned long error = wf_w32_loop_add (self->loop, dir, recursive, name, root, watch);

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
          WfRawFlags flags;
          gboolean dead, placed, alive;

          if (!g_ptr_array_find (self->roots, root, NULL))
            break;
          flags = root->resync ? WF_RAW_FLAG_RESYNC : WF_RAW_FLAG_NONE;
          dead = root->dead;
          if (root->resync)
            self->n_rescans++;
          root->dirty = root->resync = root->dead = FALSE;
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
              wf_kit_snapshot_rescan (root->snapshot, self->sink, flags);
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
      counts->n_roots++;
      counts->n_directories += wf_kit_snapshot_get_n_directories (root->snapshot);
      counts->n_unwatched += wf_kit_snapshot_get_n_failed (root->snapshot);
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
  .description = "ReadDirectoryChangesW on every root; the kit's snapshot tells what changed",
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
