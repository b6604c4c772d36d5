/* SPDX-License-Identifier: MIT */
/* wf-state.c: state files, and the changes since one was saved.
 *
 * A state is the backend kit's snapshot of each root written out
 * (wf-state-format.c); the changes since it are the kit's rescan of the
 * snapshot read back, pushed through a sink of their own, so they follow
 * the very rules a watcher's changes do: same fingerprint, same subtree
 * reporting, same mapping and de-duplication.  The scan part of the kit is
 * linked into the library for that (backends/common/meson.build says how
 * it stays out of the ABI).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wf-error.h"
#include "wf-file-change.h"
#include "wf-ignore-rules-private.h"
#include "wf-sink-private.h"
#include "wf-state-format-private.h"
#include "wf-state-private.h"

/* Windows: no close-on-exec flag for open() (handles are inherited only
 * when asked), binary mode said instead; and no sticky bit, whose value
 * the marker below only needs as a mode bit no fingerprint there has. */
#ifdef G_OS_WIN32
#define WF_O_CLOEXEC O_BINARY
#else
#define WF_O_CLOEXEC O_CLOEXEC
#endif
#ifndef S_ISVTX
#define S_ISVTX 01000
#endif

struct _WfStateScan {
  WfStateConfig config;       /* what the live scan is, to compare with a file's */
  GPtrArray *snapshots;       /* WfKitSnapshot *, one per root */
};

static guint32
format_flags (WfStateFlags flags)
{
  return ((flags & WF_STATE_FLAGS_NON_RECURSIVE) ? 0 : WF_STATE_FORMAT_RECURSIVE) |
         ((flags & WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS) ? 0 : WF_STATE_FORMAT_FOLLOW_SYMLINKS);
}

WfStateScan *
wf_state_scan_new (const char *const *paths, WfRoots *roots, WfStateFlags flags, WfIgnoreRules *rules)
{
  WfStateScan *scan = g_new0 (WfStateScan, 1);
  const WfKitScanOptions options = {
    .recursive = (flags & WF_STATE_FLAGS_NON_RECURSIVE) == 0,
    .follow_symlinks = (flags & WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS) == 0,
    .ignore_permission_denied = (flags & WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED) != 0,
    .ignore_rules = rules,
  };

  scan->config.flags = format_flags (flags);
  scan->config.roots = g_ptr_array_new_with_free_func (g_free);
  scan->config.rules = wf_ignore_rules_describe_canonical (rules);
  scan->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_kit_snapshot_free);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      const char *absolute = wf_roots_get_absolute (roots, i);

      /* Compared in the canonical form: "./src" and "src" are one root. */
      g_ptr_array_add (scan->config.roots, *absolute != '\0' ? g_canonicalize_filename (absolute, NULL)
                                                             : g_strdup (""));
      g_ptr_array_add (scan->snapshots, wf_kit_snapshot_new (absolute, NULL, &options));
    }
  return scan;
}

void
wf_state_scan_free (WfStateScan *scan)
{
  if (scan == NULL)
    return;
  wf_state_config_clear (&scan->config);
  g_ptr_array_unref (scan->snapshots);
  g_free (scan);
}

guint
wf_state_scan_get_n_entries (WfStateScan *scan)
{
  guint n = 0;

  for (guint i = 0; i < scan->snapshots->len; i++)
    n += wf_kit_snapshot_get_n_entries (scan->snapshots->pdata[i]);
  return n;
}

/* ---- reading ---------------------------------------------------------------- */

static char *
join_roots (GPtrArray *roots)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < roots->len; i++)
    {
      g_autofree char *display = g_filename_display_name (roots->pdata[i]);

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append (text, display);
    }
  return g_string_free (text, FALSE);
}

static guint
count_rules (GBytes *rules)
{
  gsize size;
  const char *data = g_bytes_get_data (rules, &size);
  guint n = 0;

  for (gsize i = 0; i < size; i++)
    n += data[i] == '\0';
  return n;
}

/* Refuses a state saved for something else than @scan, saying what. */
static gboolean
check_config (WfStateScan *scan, const WfStateConfig *saved, const char *display, GError **error)
{
  gboolean same_roots = saved->roots->len == scan->config.roots->len;

  for (guint i = 0; same_roots && i < saved->roots->len; i++)
    same_roots = strcmp (saved->roots->pdata[i], scan->config.roots->pdata[i]) == 0;
  if (!same_roots)
    {
      g_autofree char *was = join_roots (saved->roots);
      g_autofree char *now = join_roots (scan->config.roots);

      g_set_error (error, WF_ERROR, WF_ERROR_STATE_MISMATCH,
                   "State file %s was saved for other roots (%s), not for %s", display, was, now);
      return FALSE;
    }
  if ((saved->flags ^ scan->config.flags) & WF_STATE_FORMAT_RECURSIVE)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_STATE_MISMATCH,
                   "State file %s was saved %s, not %s", display,
                   (saved->flags & WF_STATE_FORMAT_RECURSIVE) ? "recursive" : "non-recursive",
                   (scan->config.flags & WF_STATE_FORMAT_RECURSIVE) ? "recursive" : "non-recursive");
      return FALSE;
    }
  if ((saved->flags ^ scan->config.flags) & WF_STATE_FORMAT_FOLLOW_SYMLINKS)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_STATE_MISMATCH,
                   "State file %s was saved %s symlinks, not %s", display,
                   (saved->flags & WF_STATE_FORMAT_FOLLOW_SYMLINKS) ? "following" : "not following",
                   (scan->config.flags & WF_STATE_FORMAT_FOLLOW_SYMLINKS) ? "following" : "not following");
      return FALSE;
    }
  if (!g_bytes_equal (saved->rules, scan->config.rules))
    {
      g_set_error (error, WF_ERROR, WF_ERROR_STATE_MISMATCH,
                   "State file %s was saved with other ignore rules (%u rules, not these %u)",
                   display, count_rules (saved->rules), count_rules (scan->config.rules));
      return FALSE;
    }
  return TRUE;
}

static GBytes *
read_file (const char *state_file, const char *display, GError **error)
{
  g_autofree char *contents = NULL;
  gsize size = 0;
  g_autoptr(GError) local_error = NULL;

  if (!g_file_get_contents (state_file, &contents, &size, &local_error))
    {
      int code = g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? G_IO_ERROR_NOT_FOUND
               : g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ? G_IO_ERROR_PERMISSION_DENIED
               : g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ISDIR) ? G_IO_ERROR_IS_DIRECTORY
               : G_IO_ERROR_FAILED;

      g_set_error (error, G_IO_ERROR, code, "Cannot read state file %s: %s", display,
                   code == G_IO_ERROR_NOT_FOUND ? "No such file or directory" : local_error->message);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&contents), size);
}

gboolean
wf_state_scan_load (WfStateScan *scan, const char *state_file, GError **error)
{
  g_autofree char *display = g_filename_display_name (state_file);
  g_autoptr(GBytes) bytes = read_file (state_file, display, error);
  WfStateConfig saved = { 0 };
  const guint8 *data;
  gsize size, offset;
  gboolean ok;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &size);
  if (!wf_state_format_decode_config (data, size, display, &saved, &offset, error))
    return FALSE;
  ok = check_config (scan, &saved, display, error) &&
       wf_state_format_decode_entries (data, size, offset, display,
                                       (WfKitSnapshot *const *) scan->snapshots->pdata,
                                       scan->snapshots->len, error);
  wf_state_config_clear (&saved);
  return ok;
}

gboolean
wf_state_scan_build (WfStateScan *scan, GError **error)
{
  for (guint i = 0; i < scan->snapshots->len; i++)
    {
      WfKitSnapshot *snapshot = scan->snapshots->pdata[i];

      /* "" is no path (as for a watcher), not the working directory. */
      if (*wf_kit_snapshot_get_path (snapshot) == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "No such file or directory: an empty path");
          return FALSE;
        }
      if (!wf_kit_snapshot_build (snapshot, error))
        return FALSE;
    }
  return TRUE;
}

void
wf_state_scan_rescan (WfStateScan *scan, WfSink *sink)
{
  for (guint i = 0; i < scan->snapshots->len; i++)
    wf_kit_snapshot_rescan (scan->snapshots->pdata[i], sink, WF_RAW_FLAG_SCAN);
}

/* ---- writing ---------------------------------------------------------------- */

static gboolean
set_errno_error (GError **error, int errsv, const char *what, const char *display)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "Cannot %s state file %s: %s",
               what, display, g_strerror (errsv));
  return FALSE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

/* The old file stays whole until the new one is: whatever kills the
 * process, the path holds one of the two, never a mix. */
static gboolean
write_atomically (const char *state_file, GBytes *bytes, GError **error)
{
  g_autofree char *display = g_filename_display_name (state_file);
  g_autofree char *dir = g_path_get_dirname (state_file);
  g_autofree char *base = g_path_get_basename (state_file);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  int fd, dir_fd, errsv;

  fd = g_mkstemp_full (tmp, O_WRONLY | WF_O_CLOEXEC, 0666);
  if (fd < 0)
    return set_errno_error (error, errno, "create a temporary file next to the", display);
  if (!write_all (fd, data, size) || g_fsync (fd) != 0)
    {
      errsv = errno;
      close (fd);
      g_unlink (tmp);
      return set_errno_error (error, errsv, "write", display);
    }
  if (close (fd) != 0)
    {
      errsv = errno;
      g_unlink (tmp);
      return set_errno_error (error, errsv, "write", display);
    }
  /* g_rename(): on Windows, rename() does not replace an existing file. */
  if (g_rename (tmp, state_file) != 0)
    {
      errsv = errno;
      g_unlink (tmp);
      return set_errno_error (error, errsv, "replace", display);
    }
#ifdef G_OS_WIN32
  /* No directory opens with open() there, and NTFS journals the rename
   * (MoveFileExW) itself. */
  (void) dir_fd;
#else
  /* The rename itself is only durable once the directory is. */
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      if (g_fsync (dir_fd) != 0 && errno != EINVAL)
        {
          errsv = errno;
          close (dir_fd);
          return set_errno_error (error, errsv, "sync the directory of the", display);
        }
      close (dir_fd);
    }
#endif
  return TRUE;
}

gboolean
wf_state_scan_save (WfStateScan *scan, const char *state_file, GError **error)
{
  g_autoptr(GBytes) bytes = wf_state_format_encode (&scan->config,
                                                    (WfKitSnapshot *const *) scan->snapshots->pdata);

  return write_atomically (state_file, bytes, error);
}

/* ---- a state kept by a watcher -------------------------------------------- */

/* What no real entry has: an inode 0 on device 0, a directory with no
 * permission bits.  Whatever is found there next time differs from it. */
static const WfKitFingerprint placeholder = { .mode = S_IFDIR };

static gboolean
is_placeholder (const WfKitEntry *entry)
{
  const WfKitFingerprint *fp = wf_kit_entry_get_fingerprint (entry);

  return fp->ino == 0 && fp->dev == 0 && fp->mode == placeholder.mode;
}

/* Leaves @path (as reported) changed in the state, so that the next run
 * reports it: a path added is forgotten (it is new again next time), one
 * deleted gets a placeholder (gone next time, with whatever was below it),
 * one modified a fingerprint with the sticky bit flipped (modified next
 * time).  An undelivered deletion of a file that is back by then comes as
 * deleted and added, not modified. */
static void
mark_changed (WfStateScan *scan, WfRoots *roots, WfChange change, const char *path)
{
  WfKitSnapshot *snapshot;
  WfKitEntry *entry, *parent = NULL;
  g_auto(GStrv) parts = NULL;
  const char *relative;
  const char *name = NULL;
  WfKitFingerprint flipped;
  guint index;

  if (!wf_roots_split_reported (roots, path, &index, &relative) || index >= scan->snapshots->len)
    return;
  snapshot = scan->snapshots->pdata[index];
  entry = wf_kit_snapshot_get_root (snapshot);
  if (entry == NULL)
    {
      if (change != WF_CHANGE_DELETED)
        return;
      entry = wf_kit_snapshot_add_entry (snapshot, NULL, NULL, &placeholder, TRUE);
    }

  parts = g_strsplit (relative, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      GHashTable *children;
      WfKitEntry *child;

      if (*parts[i] == '\0')
        continue;
      children = wf_kit_entry_get_children (entry);
      /* Nothing is kept below a file or an unlisted directory. */
      if (children == NULL)
        return;
      child = g_hash_table_lookup (children, parts[i]);
      if (child == NULL)
        {
          if (change != WF_CHANGE_DELETED)
            return;
          child = wf_kit_snapshot_add_entry (snapshot, entry, parts[i], &placeholder, TRUE);
        }
      parent = entry;
      name = parts[i];
      entry = child;
    }

  if (is_placeholder (entry))
    return;
  if (change == WF_CHANGE_ADDED && parent != NULL)
    {
      g_hash_table_remove (wf_kit_entry_get_children (parent), name);
      return;
    }
  flipped = *wf_kit_entry_get_fingerprint (entry);
  flipped.mode ^= S_ISVTX;
  wf_kit_entry_set_fingerprint (entry, &flipped);
}

static int
compare_change_paths (gconstpointer a, gconstpointer b)
{
  const WfFileChange *ca = *(const WfFileChange *const *) a;
  const WfFileChange *cb = *(const WfFileChange *const *) b;

  return strcmp (wf_file_change_get_path (ca), wf_file_change_get_path (cb));
}

gboolean
wf_state_scan_save_live (WfStateScan *scan, WfRoots *roots, WfIgnoreRules *rules, WfSink *watcher_sink,
                         const char *state_file, GError **error)
{
  g_autoptr(GHashTable) taken = wf_sink_steal_taken (watcher_sink);
  g_autoptr(GPtrArray) pending = wf_sink_peek_changes (watcher_sink);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) marks = g_ptr_array_new ();
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  WfSink *scratch = wf_sink_new (FALSE, error);

  if (scratch == NULL)
    return FALSE;
  wf_sink_set_ignore_rules (scratch, rules);
  wf_sink_set_roots (scratch, roots);
  wf_state_scan_rescan (scan, scratch);
  found = wf_sink_take_changes (scratch);
  wf_sink_unref (scratch);

  /* Whatever the consumer was not handed stays changed: what is pending,
   * and what changed since the last save but never reached the watcher
   * (still in the kernel's queue when the backend stopped). */
  for (guint i = 0; i < pending->len; i++)
    g_ptr_array_add (marks, pending->pdata[i]);
  for (guint i = 0; i < found->len; i++)
    if (!g_hash_table_contains (taken, wf_file_change_get_path (found->pdata[i])))
      g_ptr_array_add (marks, found->pdata[i]);
  /* Once per path (a second flip would undo the first), the latest
   * change winning: what the scan found now. */
  for (guint i = 0; i < marks->len; i++)
    g_hash_table_replace (by_path, (gpointer) wf_file_change_get_path (marks->pdata[i]), marks->pdata[i]);
  g_ptr_array_set_size (marks, 0);
  {
    GHashTableIter iter;
    gpointer change;

    g_hash_table_iter_init (&iter, by_path);
    while (g_hash_table_iter_next (&iter, NULL, &change))
      g_ptr_array_add (marks, change);
  }
  /* Parents before what is below them, for the placeholders. */
  g_ptr_array_sort (marks, compare_change_paths);
  for (guint i = 0; i < marks->len; i++)
    mark_changed (scan, roots, wf_file_change_get_change (marks->pdata[i]),
                  wf_file_change_get_path (marks->pdata[i]));
  return wf_state_scan_save (scan, state_file, error);
}

/* ---- the public functions ------------------------------------------------- */

static WfStateScan *
scan_for (const char *const *paths, WfStateFlags flags, WfIgnoreRules *ignore_rules, WfRoots **roots_out)
{
  g_autoptr(WfRoots) roots = wf_roots_new (paths);
  WfStateScan *scan;

  if (ignore_rules != NULL)
    wf_ignore_rules_seal (ignore_rules);
  /* Reported as given, as the poll backend does: "src/a.c" for "src". */
  wf_roots_set_report_as_given (roots, TRUE);
  scan = wf_state_scan_new (paths, roots, flags, ignore_rules);
  if (roots_out != NULL)
    *roots_out = g_steal_pointer (&roots);
  return scan;
}

/**
 * wf_state_save:
 * @state_file: (type filename): where to write the state
 * @paths: (array zero-terminated=1) (element-type filename): the roots:
 *   files and directories, as for [ctor@Watchfiles.Notify.new]
 * @flags: how the roots are read (%WF_STATE_FLAGS_NON_RECURSIVE,
 *   %WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS,
 *   %WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED)
 * @ignore_rules: (nullable): what is neither read nor saved; sealed by
 *   this call
 * @error: return location for an error
 *
 * Saves what the roots look like now to @state_file, so that
 * [func@Watchfiles.state_changes_since] can later say what changed, even
 * in another process.  Each entry is kept by its fingerprint: size, mode,
 * inode and nanosecond modification and change times, so a same-second,
 * same-size rewrite, a chmod and a file replaced by another with the same
 * modification time are all seen.
 *
 * The file is written atomically: a temporary file next to it is written
 * and flushed to disk, then renamed over @state_file, so that a crash at
 * any moment leaves either the old state or the new one.  Its format is
 * described in `doc/state-file.md`; it takes about 20 bytes per entry.
 *
 * ```c
 * const char *paths[] = { "src", NULL };
 * g_autoptr(GError) error = NULL;
 *
 * if (!wf_state_save ("build/.src.state", paths, WF_STATE_FLAGS_NONE, NULL, &error))
 *   g_printerr ("%s\n", error->message);
 * ```
 *
 * Errors: `G_IO_ERROR_NOT_FOUND` for a missing root,
 * `G_IO_ERROR_PERMISSION_DENIED` for a path that cannot be read (unless
 * %WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED), other `G_IO_ERROR` codes when
 * the file cannot be written.
 *
 * Returns: %TRUE once the state is on disk, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
wf_state_save (const char *state_file,
               const char *const *paths,
               WfStateFlags flags,
               WfIgnoreRules *ignore_rules,
               GError **error)
{
  g_autoptr(WfStateScan) scan = NULL;

  g_return_val_if_fail (state_file != NULL, FALSE);
  g_return_val_if_fail (paths != NULL && paths[0] != NULL, FALSE);
  g_return_val_if_fail (ignore_rules == NULL || WF_IS_IGNORE_RULES (ignore_rules), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  scan = scan_for (paths, flags, ignore_rules, NULL);
  return wf_state_scan_build (scan, error) && wf_state_scan_save (scan, state_file, error);
}

/**
 * wf_state_changes_since:
 * @state_file: (type filename): a state written by
 *   [func@Watchfiles.state_save], by this function with
 *   %WF_STATE_FLAGS_UPDATE, or by a watcher's
 *   [property@Watchfiles.Notify:state-file]
 * @paths: (array zero-terminated=1) (element-type filename): the roots the
 *   state was saved for
 * @flags: how the roots are read, as they were when the state was saved;
 *   %WF_STATE_FLAGS_UPDATE to write the state anew,
 *   %WF_STATE_FLAGS_ALLOW_MISSING for a first run
 * @ignore_rules: (nullable): the rules the state was saved with; sealed
 *   by this call
 * @error: return location for an error
 *
 * Tells what changed below the roots since @state_file was saved: the
 * same set of changes, by the same rules, that a watcher running all along
 * would have returned from [method@Watchfiles.Notify.watch] — each path
 * once, added, modified or deleted; a directory that arrived comes with
 * everything below it added, one that went (deleted, moved away, replaced
 * by a file) with everything known below it deleted.  A rename is the old
 * path deleted and the new one added.  Paths are reported under the roots
 * as they are written in @paths.
 *
 * Only the roots are read, once: no watcher is started.  With
 * %WF_STATE_FLAGS_UPDATE, @state_file then holds the state just read, as
 * [func@Watchfiles.state_save] would have written it.
 *
 * ```c
 * const char *paths[] = { "src", NULL };
 * g_autoptr(GError) error = NULL;
 * g_autoptr(GPtrArray) changes = NULL;
 *
 * changes = wf_state_changes_since ("build/.src.state", paths,
 *                                   WF_STATE_FLAGS_UPDATE | WF_STATE_FLAGS_ALLOW_MISSING,
 *                                   NULL, &error);
 * if (changes == NULL)
 *   g_error ("%s", error->message);
 * for (guint i = 0; i < changes->len; i++)
 *   {
 *     WfFileChange *change = g_ptr_array_index (changes, i);
 *     g_print ("%d %s\n", wf_file_change_get_change (change),
 *              wf_file_change_get_path (change));
 *   }
 * ```
 *
 * From Python, `Watchfiles.changes_since()` in the override returns the
 * set `watch()` returns.
 *
 * A root that is gone is reported deleted with everything below it, and
 * one that came back, added.
 *
 * Errors: `G_IO_ERROR_NOT_FOUND` when @state_file does not exist (unless
 * %WF_STATE_FLAGS_ALLOW_MISSING); `WF_ERROR_STATE_INVALID` for a file that is no
 * state file, truncated or corrupted; `WF_ERROR_STATE_VERSION` for one of
 * a newer format; `WF_ERROR_STATE_MISMATCH` for a state saved for other
 * roots, flags or ignore rules.  A bad state file is never overwritten.
 *
 * Returns: (transfer container) (element-type WfFileChange): the changes,
 *   in the order found, or %NULL with @error set
 *
 * Since: 1.0
 */
GPtrArray *
wf_state_changes_since (const char *state_file,
                        const char *const *paths,
                        WfStateFlags flags,
                        WfIgnoreRules *ignore_rules,
                        GError **error)
{
  g_autoptr(WfStateScan) scan = NULL;
  g_autoptr(WfRoots) roots = NULL;
  g_autoptr(GError) local_error = NULL;
  WfSink *sink;
  GPtrArray *changes;

  g_return_val_if_fail (state_file != NULL, NULL);
  g_return_val_if_fail (paths != NULL && paths[0] != NULL, NULL);
  g_return_val_if_fail (ignore_rules == NULL || WF_IS_IGNORE_RULES (ignore_rules), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  scan = scan_for (paths, flags, ignore_rules, &roots);
  if (!wf_state_scan_load (scan, state_file, &local_error))
    {
      if (!(flags & WF_STATE_FLAGS_ALLOW_MISSING) ||
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* A first run: nothing changed since a state that never was. */
      if (!wf_state_scan_build (scan, error))
        return NULL;
      if ((flags & WF_STATE_FLAGS_UPDATE) && !wf_state_scan_save (scan, state_file, error))
        return NULL;
      return g_ptr_array_new_with_free_func ((GDestroyNotify) wf_file_change_free);
    }

  sink = wf_sink_new (FALSE, error);
  if (sink == NULL)
    return NULL;
  wf_sink_set_ignore_rules (sink, ignore_rules);
  wf_sink_set_roots (sink, roots);
  wf_state_scan_rescan (scan, sink);
  changes = wf_sink_take_changes (sink);
  wf_sink_unref (sink);

  if ((flags & WF_STATE_FLAGS_UPDATE) && !wf_state_scan_save (scan, state_file, error))
    g_clear_pointer (&changes, g_ptr_array_unref);
  return changes;
}
