/* SPDX-License-Identifier: MIT */
/* wf-sink.c: raw events from a backend become the pending set of
 * (change, path) pairs, with RustNotify's mapping and de-duplication.
 *
 * Backend threads push; a waiter (WfNotify) takes the set.  The lock is held
 * only to look up and insert, never across I/O or user code.
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "wf-error.h"
#include "wf-file-change.h"
#include "wf-sink-private.h"
#include "wf-wakeup-private.h"

typedef struct {
  WfChange change;
  char *path;
} PendingChange;

struct _WfSink {
  gatomicrefcount ref_count;
  gboolean debug;

  GMutex lock;
  GHashTable *pending_set;    /* PendingChange* set, for de-duplication */
  GPtrArray *pending_order;   /* the same PendingChange*, in arrival order */
  GHashTable *reported_error_paths;
  GError *failure;
  gboolean closed;
  WfWakeup *wakeup;
  gboolean wakeup_signalled;
  /* Paths taken since wf_sink_steal_taken(), when tracked (a watcher
   * keeping a state file); NULL when not. */
  GHashTable *taken;

  /* Set once, before the backend starts; read-only afterwards. */
  WfIgnoreRules *ignore_rules;
  WfRoots *roots;
};

static guint
pending_change_hash (gconstpointer p)
{
  const PendingChange *pc = p;
  return g_str_hash (pc->path) * 31 + pc->change;
}

static gboolean
pending_change_equal (gconstpointer a, gconstpointer b)
{
  const PendingChange *pa = a, *pb = b;
  return pa->change == pb->change && strcmp (pa->path, pb->path) == 0;
}

static void
pending_change_free (gpointer p)
{
  PendingChange *pc = p;
  g_free (pc->path);
  g_free (pc);
}

WfSink *
wf_sink_new (gboolean debug, GError **error)
{
  WfSink *sink;
  WfWakeup *wakeup = wf_wakeup_new (error);

  if (wakeup == NULL)
    return NULL;

  sink = g_new0 (WfSink, 1);
  g_atomic_ref_count_init (&sink->ref_count);
  sink->debug = debug;
  g_mutex_init (&sink->lock);
  sink->pending_set = g_hash_table_new (pending_change_hash, pending_change_equal);
  sink->pending_order = g_ptr_array_new_with_free_func (pending_change_free);
  sink->reported_error_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sink->wakeup = wakeup;
  return sink;
}

WfSink *
wf_sink_ref (WfSink *sink)
{
  g_return_val_if_fail (sink != NULL, NULL);
  g_atomic_ref_count_inc (&sink->ref_count);
  return sink;
}

void
wf_sink_unref (WfSink *sink)
{
  g_return_if_fail (sink != NULL);
  if (!g_atomic_ref_count_dec (&sink->ref_count))
    return;
  g_hash_table_destroy (sink->pending_set);
  g_ptr_array_unref (sink->pending_order);
  g_hash_table_destroy (sink->reported_error_paths);
  g_clear_pointer (&sink->taken, g_hash_table_unref);
  g_clear_error (&sink->failure);
  wf_wakeup_free (sink->wakeup);
  g_clear_object (&sink->ignore_rules);
  g_clear_pointer (&sink->roots, wf_roots_unref);
  g_mutex_clear (&sink->lock);
  g_free (sink);
}

gboolean
wf_sink_get_debug (WfSink *sink)
{
  return sink->debug;
}

void
wf_sink_debug (WfSink *sink, const char *format, ...)
{
  va_list args;
  g_autofree char *line = NULL;

  if (!sink->debug)
    return;
  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  /* One fprintf per line so lines from several threads do not interleave. */
  fprintf (stderr, "%s\n", line);
}

static gboolean
pending_contains (WfSink *sink, WfChange change, const char *path)
{
  PendingChange key = { change, (char *) path };
  return g_hash_table_contains (sink->pending_set, &key);
}

/* Called with the lock held.  Returns TRUE when the set grew. */
static gboolean
pending_insert (WfSink *sink, WfChange change, const char *path)
{
  PendingChange *pc;

  if (pending_contains (sink, change, path))
    return FALSE;
  pc = g_new (PendingChange, 1);
  pc->change = change;
  pc->path = g_strdup (path);
  g_hash_table_add (sink->pending_set, pc);
  g_ptr_array_add (sink->pending_order, pc);
  if (!sink->wakeup_signalled)
    {
      sink->wakeup_signalled = TRUE;
      wf_wakeup_signal (sink->wakeup);
    }
  return TRUE;
}

static const char *
raw_kind_name (WfRawKind kind)
{
  switch (kind)
    {
    case WF_RAW_CREATED: return "Created";
    case WF_RAW_DELETED: return "Deleted";
    case WF_RAW_MODIFIED: return "Modified";
    case WF_RAW_ATTRIB: return "Attrib";
    case WF_RAW_MOVED_FROM: return "MovedFrom";
    case WF_RAW_MOVED_TO: return "MovedTo";
    case WF_RAW_RENAMED: return "Renamed";
    default: return "Unknown";
    }
}

static char *
format_raw_event (WfRawKind kind, const char *path, WfRawFlags flags)
{
  g_autofree char *escaped = g_strescape (path, NULL);

  return g_strdup_printf ("RawEvent { kind: %s, path: \"%s\", dir: %s, scan: %s, resync: %s }",
                          raw_kind_name (kind), escaped,
                          (flags & WF_RAW_FLAG_IS_DIR) ? "true" : "false",
                          (flags & WF_RAW_FLAG_SCAN) ? "true" : "false",
                          (flags & WF_RAW_FLAG_RESYNC) ? "true" : "false");
}

/* RustNotify's mapping (spec section 1.3).  Returns 0 for "drop". */
static WfChange
map_raw_kind (WfSink *sink, WfRawKind kind, const char *path, gboolean exists)
{
  switch (kind)
    {
    case WF_RAW_CREATED:
    case WF_RAW_MOVED_TO:
      return WF_CHANGE_ADDED;
    case WF_RAW_DELETED:
    case WF_RAW_MOVED_FROM:
      return WF_CHANGE_DELETED;
    case WF_RAW_RENAMED:
      return exists ? WF_CHANGE_ADDED : WF_CHANGE_DELETED;
    case WF_RAW_MODIFIED:
    case WF_RAW_ATTRIB:
      /* A modification adds nothing to a pending "added" or "deleted". */
      if (pending_contains (sink, WF_CHANGE_ADDED, path) ||
          pending_contains (sink, WF_CHANGE_DELETED, path))
        return 0;
      return WF_CHANGE_MODIFIED;
    default:
      return 0;
    }
}

void
wf_sink_set_ignore_rules (WfSink *sink, WfIgnoreRules *rules)
{
  g_return_if_fail (sink->ignore_rules == NULL);
  g_return_if_fail (rules == NULL || wf_ignore_rules_is_sealed (rules));

  if (rules == NULL || wf_ignore_rules_is_empty (rules))
    return;
  sink->ignore_rules = g_object_ref (rules);
}

void
wf_sink_set_roots (WfSink *sink, WfRoots *roots)
{
  /* Set again only when a backend that could not take the roots is
   * replaced by poll: no backend runs then, so nothing reads them. */
  g_clear_pointer (&sink->roots, wf_roots_unref);
  sink->roots = wf_roots_ref (roots);
}

/* DESIGN rule 5, "again on every event": backends already skip ignored
 * directories, this catches files and whatever a backend cannot tell.
 * Rules see the path as users do (watchfiles' filters look at the reported
 * path, so a relative ignored prefix matches below a relative poll root),
 * relative to its root in the same form; @raw_path finds the root. */
static gboolean
is_ignored (WfSink *sink, const char *raw_path, const char *path)
{
  return sink->ignore_rules != NULL &&
         wf_ignore_rules_matches (sink->ignore_rules,
                                  sink->roots != NULL ? wf_roots_find_reported (sink->roots, raw_path) : NULL,
                                  path);
}

/* @path as users see it: a backend reports under the absolute root form. */
static char *
reported_path (WfSink *sink, const char *path)
{
  return sink->roots != NULL ? wf_roots_to_reported (sink->roots, path) : NULL;
}

void
wf_sink_push (WfSink *sink, WfRawKind kind, const char *raw_path, WfRawFlags flags)
{
  g_autofree char *mapped = NULL;
  const char *path;
  gboolean exists = FALSE;
  WfChange change;

  g_return_if_fail (sink != NULL);
  g_return_if_fail (raw_path != NULL);

  mapped = reported_path (sink, raw_path);
  path = mapped != NULL ? mapped : raw_path;

  if (is_ignored (sink, raw_path, path))
    {
      if (sink->debug)
        {
          g_autofree char *raw = format_raw_event (kind, path, flags);
          wf_sink_debug (sink, "raw-event=%s ignored", raw);
        }
      return;
    }

  if (kind == WF_RAW_RENAMED)
    {
      GStatBuf st;
      exists = g_lstat (raw_path, &st) == 0;
    }

  g_mutex_lock (&sink->lock);
  change = map_raw_kind (sink, kind, path, exists);
  if (change != 0)
    pending_insert (sink, change, path);
  g_mutex_unlock (&sink->lock);

  if (sink->debug && (change != 0 || kind == WF_RAW_RENAMED))
    {
      g_autofree char *raw = format_raw_event (kind, path, flags);
      wf_sink_debug (sink, "raw-event=%s change=%d", raw, change);
    }
}

static const char *
error_kind_name (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND: return "NotFound";
        case G_IO_ERROR_PERMISSION_DENIED: return "PermissionDenied";
        default: return "Io";
        }
    }
  return "Generic";
}

void
wf_sink_push_error (WfSink *sink, const char *raw_path, const GError *error)
{
  g_autofree char *mapped = NULL;
  const char *path;
  gboolean first_time;

  g_return_if_fail (sink != NULL);
  g_return_if_fail (raw_path != NULL);
  g_return_if_fail (error != NULL);

  mapped = reported_path (sink, raw_path);
  path = mapped != NULL ? mapped : raw_path;
  if (is_ignored (sink, raw_path, path))
    return;

  g_mutex_lock (&sink->lock);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      /* The path vanished between being seen and being read (watchfiles
       * #282): that is a deletion, not a failure. */
      pending_insert (sink, WF_CHANGE_DELETED, path);
      first_time = TRUE;
    }
  else
    {
      first_time = g_hash_table_add (sink->reported_error_paths, g_strdup (path));
    }
  g_mutex_unlock (&sink->lock);

  if (first_time && sink->debug)
    {
      g_autofree char *escaped = g_strescape (path, NULL);
      wf_sink_debug (sink, "raw-error=Error { message: \"%s\" } error.kind=%s error.paths=[\"%s\"]",
                     error->message, error_kind_name (error), escaped);
    }
}

void
wf_sink_fail (WfSink *sink, const GError *error)
{
  g_return_if_fail (sink != NULL);
  g_return_if_fail (error != NULL);

  g_mutex_lock (&sink->lock);
  if (sink->failure == NULL)
    {
      sink->failure = g_error_new (WF_ERROR, WF_ERROR_BACKEND_FAILED,
                                   "error in underlying watcher: %s", error->message);
      wf_wakeup_signal (sink->wakeup);
      sink->wakeup_signalled = TRUE;
    }
  g_mutex_unlock (&sink->lock);

  wf_sink_debug (sink, "raw-error=Error { message: \"%s\" } error.kind=%s error.paths=[]",
                 error->message, error_kind_name (error));
}

/* A copy of what is pending, in order; @taken (if not NULL) gets each
 * path.  Called with the lock held. */
static GPtrArray *
copy_pending_locked (WfSink *sink, GHashTable *taken)
{
  GPtrArray *changes = g_ptr_array_new_full (sink->pending_order->len, (GDestroyNotify) wf_file_change_free);

  for (guint i = 0; i < sink->pending_order->len; i++)
    {
      PendingChange *pc = g_ptr_array_index (sink->pending_order, i);
      g_ptr_array_add (changes, wf_file_change_new (pc->change, pc->path));
      if (taken != NULL)
        g_hash_table_add (taken, g_strdup (pc->path));
    }
  return changes;
}

GPtrArray *
wf_sink_take_changes (WfSink *sink)
{
  GPtrArray *changes;

  g_mutex_lock (&sink->lock);
  changes = copy_pending_locked (sink, sink->taken);
  g_hash_table_remove_all (sink->pending_set);
  g_ptr_array_set_size (sink->pending_order, 0);
  g_mutex_unlock (&sink->lock);
  return changes;
}

GPtrArray *
wf_sink_peek_changes (WfSink *sink)
{
  GPtrArray *changes;

  g_mutex_lock (&sink->lock);
  changes = copy_pending_locked (sink, NULL);
  g_mutex_unlock (&sink->lock);
  return changes;
}

void
wf_sink_track_taken (WfSink *sink)
{
  g_mutex_lock (&sink->lock);
  if (sink->taken == NULL)
    sink->taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_unlock (&sink->lock);
}

GHashTable *
wf_sink_steal_taken (WfSink *sink)
{
  GHashTable *taken;

  g_mutex_lock (&sink->lock);
  taken = g_steal_pointer (&sink->taken);
  sink->taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_unlock (&sink->lock);
  return taken;
}

gsize
wf_sink_get_size (WfSink *sink)
{
  gsize size;

  g_mutex_lock (&sink->lock);
  size = sink->pending_order->len;
  g_mutex_unlock (&sink->lock);
  return size;
}

int
wf_sink_get_wakeup_fd (WfSink *sink)
{
  return wf_wakeup_get_fd (sink->wakeup);
}

void
wf_sink_acknowledge (WfSink *sink)
{
  g_mutex_lock (&sink->lock);
  sink->wakeup_signalled = FALSE;
  wf_wakeup_acknowledge (sink->wakeup);
  /* A failure or a close stays visible to every waiter, not only to the
   * first one to wake: keep the descriptor readable. */
  if (sink->failure != NULL || sink->closed)
    {
      wf_wakeup_signal (sink->wakeup);
      sink->wakeup_signalled = TRUE;
    }
  g_mutex_unlock (&sink->lock);
}

void
wf_sink_close (WfSink *sink)
{
  g_mutex_lock (&sink->lock);
  sink->closed = TRUE;
  sink->wakeup_signalled = TRUE;
  wf_wakeup_signal (sink->wakeup);
  g_mutex_unlock (&sink->lock);
}

gboolean
wf_sink_get_failure (WfSink *sink, GError **error)
{
  gboolean failed;

  g_mutex_lock (&sink->lock);
  failed = sink->failure != NULL;
  if (failed && error != NULL)
    *error = g_error_copy (sink->failure);
  g_mutex_unlock (&sink->lock);
  return failed;
}
