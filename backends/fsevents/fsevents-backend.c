/* SPDX-License-Identifier: MIT */
/* fsevents-backend.c: the "fsevents" backend module's adapter to the
 * plugin vtable, thin on purpose: the CoreServices calls are in
 * wf-fse-os.c, what an event's flags mean in wf-fse-translate.c, what
 * changed is the kit's snapshot.
 *
 * One FSEventStream for every root (FSEvents is recursive by nature),
 * replaced whenever the roots change: the new stream is started before
 * the old one is flushed and freed, from the last event ID delivered
 * (sinceWhen), so nothing falls between the two.  FSEvents names paths
 * resolved (/private/var/... for /var/...): each root keeps its resolved
 * form, and an event is matched to its root and mapped back to the form
 * the caller gave (wf_fse_map_path()).  An event the translation finds
 * meaningful queues the directory holding the item it names (FileEvents);
 * the scan thread diffs that directory's listing against the kit's
 * snapshot (wf_kit_snapshot_rescan_directory(): the same rule set as poll
 * and win32, creations with their subtrees, deletions with theirs, data
 * and attributes by fingerprint).  MustScanSubDirs, UserDropped and
 * KernelDropped rescan the whole root as a RESYNC (the subtree is what
 * MustScanSubDirs asks for; the kit rescans no less than a root, and a
 * root is right); RootChanged (WatchRoot) rescans it whole too, resolves
 * the root's path again through the missing-root tracker's climb and, if
 * it now resolves elsewhere, replaces the stream.  A single-file root is
 * watched through its parent directory, events filtered by its name.  No
 * timer: the scan thread sleeps until an event comes.
 *
 * Latency: WATCHFILES_FSEVENTS_LATENCY_MS (0 to 10000, default 10: low,
 * since the core debounces).
 *
 * Built only on macOS.  Elsewhere the main build compiles this file only
 * to check it against the ABI and the kit (backends/meson.build); it has
 * not run on a Mac (README, "Other systems").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gmodule.h>

#include "watchfiles-backend.h"
#include "wf-fse-os.h"
#include "wf-fse-translate.h"
#include "wf-kit-missing-root.h"
#include "wf-kit-path.h"
#include "wf-kit-snapshot.h"
#include "wf-kit-status.h"


typedef struct {
  char *path;                 /* as given */
  char *resolved;             /* under lock: what FSEvents calls it */
  gboolean is_file;           /* a single-file root (as of add_root) */
  WfKitSnapshot *snapshot;    /* under lock; NULL until add_root built it */
  WfKitMissingRoot missing;   /* under lock */
  gboolean dirty;             /* under lock: an event came */
  gboolean whole;             /* under lock: rescan all of it, not only dirty_dirs */
  GHashTable *dirty_dirs;     /* under lock: directories (as given) an event named an item of */
  gboolean resync;            /* under lock: events were lost */
  gboolean moved;             /* under lock: RootChanged */
} Root;

struct _WfBackendInstance {
  WfSink *sink;
  WfKitScanOptions scan_options;
  double latency;

  GMutex stream_lock;         /* the stream is replaced under it; never taken on the stream's queue */
  WfFseStream *stream;        /* stream_lock */
  GMutex lock;                /* the roots; the stream's callback takes it */
  GCond wake;
  gboolean stopping;          /* under lock */
  gboolean restart;           /* under lock: a root resolves elsewhere now */
  GPtrArray *roots;           /* Root*, under lock (and stream_lock to add or remove) */
  WfFseResume resume;         /* under lock */
  guint n_events, n_batches, n_rescans, n_streams;  /* under lock */
  GThread *scan_thread;
};

static void
root_free (Root *root)
{
  g_free (root->path);
  g_free (root->resolved);
  g_clear_pointer (&root->dirty_dirs, g_hash_table_unref);
  g_clear_pointer (&root->snapshot, wf_kit_snapshot_free);
  wf_kit_missing_root_clear (&root->missing);
  g_free (root);
}

/* With lock held: @root's path as FSEvents reports it (a directory root
 * resolved whole, symlinks included), else through its nearest existing
 * ancestor: a file root's parent, or where a root that is gone waits. */
static char *
resolve (Root *root)
{
  g_autofree char *nearest = NULL;
  const char *rest;
  char *real = NULL;
  char *resolved;

  if (!root->is_file && g_file_test (root->path, G_FILE_TEST_IS_DIR))
    real = realpath (root->path, NULL);
  if (real != NULL)
    {
      resolved = g_strdup (real);
      free (real);
      return resolved;
    }
  nearest = wf_kit_missing_root_climb (&root->missing);
  rest = root->missing.path + strlen (nearest);
  real = realpath (nearest, NULL);
  if (real == NULL)
    return g_strdup (root->path);
  resolved = g_build_filename (real, rest, NULL);
  free (real);
  return resolved;
}

/* Does @snapshot know the entry at @rest ("/a/b" below its root, "" or
 * "/" the root itself)? */
static gboolean
snapshot_knows (WfKitSnapshot *snapshot, const char *rest)
{
  WfKitEntry *entry = snapshot != NULL ? wf_kit_snapshot_get_root (snapshot) : NULL;
  g_auto (GStrv) names = g_strsplit (rest, "/", -1);

  for (guint i = 0; entry != NULL && names[i] != NULL; i++)
    {
      GHashTable *children;

      if (names[i][0] == '\0')
        continue;
      children = wf_kit_entry_get_children (entry);
      entry = children != NULL ? g_hash_table_lookup (children, names[i]) : NULL;
    }
  return entry != NULL;
}

static int
lstat_exists (G_GNUC_UNUSED void *data, const char *path, int *is_dir)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return 0;
  *is_dir = S_ISDIR (st.st_mode);
  return 1;
}

/* With lock held, on the stream's queue: what one event means for @root. */
static gboolean
root_take_event (WfBackendInstance *self, Root *root, const char *event_path, uint32_t flags)
{
  gsize size = strlen (event_path) + strlen (root->path) + 2;
  g_autofree char *mapped = g_malloc (size);
  g_autofree char *trimmed = g_strdup (event_path);
  gsize root_len = strlen (root->path);
  gboolean below, above;
  const char *rest;
  WfFseOut out[2];
  size_t n;

  for (gsize len = strlen (trimmed); len > 1 && trimmed[len - 1] == '/'; len--)
    trimmed[len - 1] = '\0';
  below = wf_fse_map_path (event_path, root->resolved, root->path, mapped, size) == 1;
  /* An event on an ancestor (RootChanged, or lost events reported on a
   * path above the root) concerns the root too. */
  above = !below && wf_kit_path_is_within (root->resolved, trimmed);
  if (!below && !above)
    return FALSE;
  while (root_len > 1 && root->path[root_len - 1] == '/')
    root_len--;
  rest = below ? mapped + (root_len > 1 ? root_len : 0) : "";
  /* Not recursive: what happens below the root's own entries is no news. */
  if (below && !self->scan_options.recursive && rest[0] == '/' && strchr (rest + 1, '/') != NULL)
    return FALSE;

  n = wf_fse_translate (flags, trimmed, below && snapshot_knows (root->snapshot, rest), lstat_exists, NULL, out);
  for (size_t i = 0; i < n; i++)
    {
      if (out[i].kind == WF_FSE_OUT_RESYNC)
        root->resync = root->whole = root->dirty = TRUE;
      else if (out[i].kind == WF_FSE_OUT_ROOT)
        root->moved = root->whole = root->dirty = TRUE;
      else if (below)
        {
          /* The item's own directory lists it (new, gone, renamed) and
           * holds its fingerprint; the root's own event, the root. */
          g_autofree char *item = g_strdup (mapped);

          for (gsize len = strlen (item); len > 1 && item[len - 1] == '/'; len--)
            item[len - 1] = '\0';
          g_hash_table_add (root->dirty_dirs, rest[0] == '\0' ? g_strdup (root->path) : g_path_get_dirname (item));
          root->dirty = TRUE;
        }
    }
  if (n > 0 && wf_sink_get_debug (self->sink))
    wf_sink_debug (self->sink, "fsevents: 0x%x on %s (%s)", flags, below ? mapped : event_path, root->path);
  return root->dirty;
}

/* On the stream's queue (one batch at a time). */
static void
on_batch (void *data, size_t n, const char *const *paths, const uint32_t *flags, const uint64_t *ids)
{
  WfBackendInstance *self = data;
  gboolean wake = FALSE;

  g_mutex_lock (&self->lock);
  self->n_batches++;
  for (size_t i = 0; i < n; i++)
    {
      self->n_events++;
      for (guint r = 0; r < self->roots->len; r++)
        wake |= root_take_event (self, self->roots->pdata[r], paths[i], flags[i]);
      /* Seen once its root is marked: a stream resumed from here misses
       * nothing the rescan would not find. */
      wf_fse_resume_seen (&self->resume, ids[i], flags[i]);
    }
  if (wake)
    g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
}

/* With stream_lock held, lock not: a stream over the roots now replaces
 * the old one, started first so that nothing falls between them. */
static gboolean
restart_stream (WfBackendInstance *self, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  WfFseStream *stream = NULL;
  uint64_t since;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->roots->len; i++)
    {
      Root *root = self->roots->pdata[i];
      char *path = root->is_file ? g_path_get_dirname (root->resolved) : g_strdup (root->resolved);

      if (g_ptr_array_find_with_equal_func (paths, path, g_str_equal, NULL))
        g_free (path);
      else
        g_ptr_array_add (paths, path);
    }
  since = wf_fse_resume_since (&self->resume);
  g_mutex_unlock (&self->lock);
  /* Never "since now" while an old stream runs: what it has not delivered
   * yet must come from the new one. */
  if (since == WF_FSE_SINCE_NOW && self->stream != NULL)
    since = wf_fse_current_id ();

  if (paths->len > 0)
    {
      stream = wf_fse_stream_new ((const char *const *) paths->pdata, paths->len, self->latency, since,
                                  on_batch, self);
      if (stream == NULL || wf_fse_stream_start (stream) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "fsevents: CoreServices refused a stream on %s%s",
                       (const char *) paths->pdata[0], paths->len > 1 ? " and the other roots" : "");
          wf_fse_stream_free (stream);
          return FALSE;
        }
    }
  /* Flushed, then freed: its last batches arrive before it goes. */
  wf_fse_stream_free (self->stream);
  self->stream = stream;
  g_mutex_lock (&self->lock);
  self->n_streams++;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gpointer
scan_thread (gpointer data)
{
  WfBackendInstance *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      Root *root = NULL;

      if (self->restart)
        {
          g_autoptr (GError) error = NULL;

          self->restart = FALSE;
          g_mutex_unlock (&self->lock);
          g_mutex_lock (&self->stream_lock);
          if (!restart_stream (self, &error))
            wf_sink_fail (self->sink, error);
          g_mutex_unlock (&self->stream_lock);
          g_mutex_lock (&self->lock);
          continue;
        }
      for (guint i = 0; i < self->roots->len && root == NULL; i++)
        if (((Root *) self->roots->pdata[i])->dirty && ((Root *) self->roots->pdata[i])->snapshot != NULL)
          root = self->roots->pdata[i];
      if (root == NULL)
        {
          g_cond_wait (&self->wake, &self->lock);
          continue;
        }
      if (root->resync)
        self->n_rescans++;
      if (root->whole)
        {
          wf_kit_snapshot_rescan (root->snapshot, self->sink, root->resync ? WF_RAW_FLAG_RESYNC : WF_RAW_FLAG_NONE);
        }
      else
        {
          GHashTableIter iter;
          gpointer dir;

          g_hash_table_iter_init (&iter, root->dirty_dirs);
          while (g_hash_table_iter_next (&iter, &dir, NULL))
            wf_kit_snapshot_rescan_directory (root->snapshot, dir, self->sink, WF_RAW_FLAG_NONE);
        }
      g_hash_table_remove_all (root->dirty_dirs);
      if (root->moved)
        {
          g_autofree char *resolved = resolve (root);

          if (g_strcmp0 (resolved, root->resolved) != 0)
            {
              wf_sink_debug (self->sink, "fsevents: %s now resolves to %s", root->path, resolved);
              g_free (root->resolved);
              root->resolved = g_steal_pointer (&resolved);
              self->restart = TRUE;
            }
        }
      root->dirty = root->resync = root->moved = root->whole = FALSE;
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
fse_instance_free (WfBackendInstance *self)
{
  wf_fse_stream_free (self->stream);
  g_ptr_array_unref (self->roots);
  g_cond_clear (&self->wake);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->stream_lock);
  wf_kit_scan_options_clear (&self->scan_options);
  wf_sink_unref (self->sink);
  g_free (self);
}

static gboolean
read_latency (double *latency, GError **error)
{
  const char *value = g_getenv (WF_FSE_LATENCY_ENV);
  unsigned ms;

  if (!wf_fse_parse_latency_ms (value, &ms))
    {
      g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                   "%s=\"%s\": not a number of milliseconds from 0 to %u", WF_FSE_LATENCY_ENV, value,
                   WF_FSE_LATENCY_MAX_MS);
      return FALSE;
    }
  *latency = (double) ms / 1000.0;
  return TRUE;
}

static WfBackendInstance *
fse_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  WfBackendInstance *self;
  double latency;

  g_return_val_if_fail (sink != NULL, NULL);

  if (!read_latency (&latency, error))
    return NULL;
  self = g_new0 (WfBackendInstance, 1);
  self->latency = latency;
  wf_kit_scan_options_init (&self->scan_options, options);
  self->sink = wf_sink_ref (sink);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->stream_lock);
  g_cond_init (&self->wake);
  self->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) root_free);
  wf_fse_resume_init (&self->resume);
  self->scan_thread = g_thread_try_new ("wf-fsevents", scan_thread, self, error);
  if (self->scan_thread == NULL)
    {
      fse_instance_free (self);
      return NULL;
    }
  return self;
}

static Root *
find_root (WfBackendInstance *self, const char *path, Root *except)
{
  for (guint i = 0; i < self->roots->len; i++)
    {
      Root *root = self->roots->pdata[i];
      if (root != except && strcmp (root->path, path) == 0)
        return root;
    }
  return NULL;
}

static gboolean
fse_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  WfKitSnapshot *snapshot;
  Root *root, *old;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  root = g_new0 (Root, 1);
  root->dirty_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  root->path = g_strdup (path);
  root->is_file = !g_file_test (path, G_FILE_TEST_IS_DIR);
  wf_kit_missing_root_init (&root->missing, path);
  root->resolved = resolve (root);

  /* Watch, then scan: the stream covers the root before its snapshot is
   * read, and what it reports meanwhile leaves the root dirty. */
  g_mutex_lock (&self->stream_lock);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->roots, root);
  g_mutex_unlock (&self->lock);
  snapshot = NULL;
  if (restart_stream (self, error))
    snapshot = wf_kit_snapshot_new_built (path, &self->scan_options, error);
  g_mutex_lock (&self->lock);
  if (snapshot == NULL)
    {
      g_ptr_array_remove (self->roots, root);
      g_mutex_unlock (&self->lock);
      /* The stream without it; failing that, the one with it stays and
       * its events match no root. */
      (void) restart_stream (self, NULL);
      g_mutex_unlock (&self->stream_lock);
      return FALSE;
    }
  root->snapshot = snapshot;
  /* A path watched again starts afresh (as the kit's root list does). */
  old = find_root (self, path, root);
  if (old != NULL)
    g_ptr_array_remove (self->roots, old);
  if (root->dirty)
    g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->stream_lock);
  return TRUE;
}

static void
fse_remove_root (WfBackendInstance *self, const char *path)
{
  Root *root;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  g_mutex_lock (&self->stream_lock);
  g_mutex_lock (&self->lock);
  root = find_root (self, path, NULL);
  if (root != NULL)
    g_ptr_array_remove (self->roots, root);
  g_mutex_unlock (&self->lock);
  if (root != NULL && !restart_stream (self, &error))
    wf_sink_fail (self->sink, error);
  g_mutex_unlock (&self->stream_lock);
}

static void
fse_count (WfBackendInstance *self, WfKitCounts *counts)
{
  memset (counts, 0, sizeof *counts);
  for (guint i = 0; i < self->roots->len; i++)
    {
      Root *root = self->roots->pdata[i];
      if (root->snapshot != NULL)
        wf_kit_counts_add_root (counts, root->snapshot);
    }
  counts->n_rescans = self->n_rescans;
}

static char *
fse_describe (WfBackendInstance *self)
{
  g_autofree char *own_fields = NULL;
  WfKitCounts counts;
  uint64_t since;

  g_return_val_if_fail (self != NULL, NULL);
  g_mutex_lock (&self->lock);
  fse_count (self, &counts);
  since = wf_fse_resume_since (&self->resume);
  own_fields = g_strdup_printf ("latency: %.3f s, streams: %u, batches: %u, events: %u, last event id: %s%" G_GUINT64_FORMAT,
                                self->latency, self->n_streams, self->n_batches, self->n_events,
                                since == WF_FSE_SINCE_NOW ? "none " : "",
                                since == WF_FSE_SINCE_NOW ? (guint64) 0 : (guint64) since);
  g_mutex_unlock (&self->lock);
  return wf_kit_describe ("FseventsBackend", own_fields, &counts);
}

static void
fse_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  WfKitCounts counts;

  g_return_if_fail (self != NULL);
  g_return_if_fail (status != NULL);
  g_mutex_lock (&self->lock);
  fse_count (self, &counts);
  g_mutex_unlock (&self->lock);
  wf_kit_status_fill (status, &counts);
}

static void
fse_stop (WfBackendInstance *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->scan_thread);
  /* Flushed and freed: no batch, so no sink call, after this. */
  g_mutex_lock (&self->stream_lock);
  wf_fse_stream_free (self->stream);
  self->stream = NULL;
  g_mutex_unlock (&self->stream_lock);
  fse_instance_free (self);
}

static gboolean
fse_probe (G_GNUC_UNUSED const char *path, int *priority, G_GNUC_UNUSED GError **error)
{
  /* macOS's own: above kqueue (WF_BACKEND_PRIORITY_NATIVE - 10). */
  if (priority != NULL)
    *priority = WF_BACKEND_PRIORITY_NATIVE;
  return TRUE;
}

static const WfBackendVTable fse_vtable = {
  .abi_major = WF_BACKEND_ABI_MAJOR,
  .struct_size = sizeof (WfBackendVTable),
  .name = "fsevents",
  .description = "one FSEventStream over every root; the kit's snapshot tells what changed",
  .probe = fse_probe,
  .start = fse_start,
  .add_root = fse_add_root,
  .remove_root = fse_remove_root,
  .describe = fse_describe,
  .query_status = fse_query_status,
  .stop = fse_stop,
  /* No flag: notify's FSEvents watcher joins a relative root to the working
   * directory (as its inotify watcher does), so RustNotify reports
   * "/cwd/x/y" there, where only its PollWatcher keeps "x/y"; and a
   * missing root is add_root's G_IO_ERROR_NOT_FOUND (which
   * ignore_permission_denied skips, as RustNotify does for a native
   * watcher), not refused before start as for poll. */
  .flags = WF_BACKEND_FLAG_NONE,
};

WF_BACKEND_MODULE_EXPORT (fse_vtable)
