/* SPDX-License-Identifier: MIT */
/* wf-kit-snapshot.c: build, rescan and report a tree of fingerprints.
 *
 * A scan works relative to directory descriptors with a single path
 * buffer, and keeps the stack of directories being listed instead of a set
 * of every directory seen: which path reaches a directory then does not
 * depend on readdir order, so rescans never shift a subtree from one path
 * to another.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "wf-kit-dir-reader.h"
#include "wf-kit-fingerprint.h"
#include "wf-kit-path.h"
#include "wf-kit-snapshot.h"

struct _WfKitEntry {
  WfKitFingerprint fingerprint;
  /* Name -> WfKitEntry.  NULL for non-directories and for directories not
   * listed (not recursing, unreadable, opaque, or an ancestor again). */
  GHashTable *children;
  /* Equal to the parent's listing_mark when the parent's last listing saw
   * this entry; entries left behind are gone. */
  guint seen_mark;
  guint listing_mark;
  /* Known by name (add_known), with its kind unless kind_unknown: no
   * fingerprint yet. */
  guint by_name : 1;
  guint kind_unknown : 1;
  guint was_dir : 1;
  guint opaque : 1;
  /* Known by name with its permission bits (in fingerprint.mode): a
   * directory's chmod is seen even after entries came and went in it. */
  guint mode_known : 1;
  /* In the snapshot's counts: stat'ed (counted), listed (listed) by the
   * walk that last looked at it.  A partial rescan changes the counts by
   * what it flips and what it removes (see Walk). */
  guint counted : 1;
  guint listed : 1;
  /* Carved from the snapshot's blocks (read from a state, or found by a
   * build), not freed by itself. */
  guint in_block : 1;
  /* The entry's name, its key in the parent's children: one allocation
   * per entry, not two ("" for a root). */
  char name[];
};

typedef struct {
  dev_t dev;
  ino_t ino;
} DirId;

struct _WfKitSnapshot {
  char *path;
  char *rules_root;
  WfKitScanOptions options;
  WfKitEntry *root;            /* NULL while the root does not exist */
  /* Paths whose failure was reported; forgotten once they work again, so
   * that a later failure is reported again. */
  GHashTable *failed_paths;
  gint64 known_since_ns;
  guint n_directories;
  guint n_entries;
  /* A whole walk set the counts (and the entries' bits) since entries
   * were last put in by hand: a partial rescan may then adjust them. */
  gboolean walked;
  /* Where the entries read from a state (add_entry) or found by a build
   * live: a state of 100,000 entries is read (or built), compared and
   * dropped on every start, and one allocation per entry was a tenth of
   * that.  An entry forgotten later leaves its bytes here until the
   * snapshot is freed: at most the size of the tree first read.  Entries
   * a rescan finds are allocated one by one, so that a tree that churns
   * does not grow this. */
  GPtrArray *blocks;
  guint8 *block_next;
  gsize block_left;
};

#define ENTRY_BLOCK_SIZE (64 * 1024)

/* One traversal: build (nothing reported) or rescan (differences pushed). */
typedef struct {
  WfKitSnapshot *snapshot;
  WfSink *sink;                /* NULL: report nothing */
  WfRawFlags flags;
  GString *path;
  GArray *ancestors;           /* DirId of the directories being listed, outermost first */
  /* GByteArray per depth: the names of the directory being listed at that
   * depth, reused from one directory to the next. */
  GPtrArray *names;
  GError *error;               /* build only: why it fails */
  guint n_pushed;
  guint n_directories;
  guint n_entries;
  /* rescan_directory(): directories below @target that have a listing are
   * not entered; what they hold is kept, unread. */
  gboolean shallow;
  const WfKitEntry *target;
  /* What the walk changed in the counted / listed bits, entries removed
   * included: a partial walk sees only part of the tree, so it adds these
   * to the counts instead of setting them. */
  gint64 d_entries;
  gint64 d_directories;
} Walk;

static gboolean
entry_is_dir (const WfKitEntry *entry)
{
  return entry->by_name ? entry->was_dir : wf_kit_fingerprint_is_dir (&entry->fingerprint);
}

static WfKitEntry *
entry_alloc (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;
  WfKitEntry *entry = g_malloc0 (sizeof (WfKitEntry) + len + 1);

  if (len > 0)
    memcpy (entry->name, name, len);
  return entry;
}

/* Adds @entry to the listed directory @dir under its own name, replacing
 * (and freeing) any entry of that name. */
static void
children_put (GHashTable *children, WfKitEntry *entry)
{
  g_hash_table_replace (children, entry->name, entry);
}

static void
entry_free (gpointer data)
{
  WfKitEntry *entry = data;

  if (entry == NULL)
    return;
  g_clear_pointer (&entry->children, g_hash_table_unref);
  if (!entry->in_block)
    g_free (entry);
}

/* A zeroed entry named @name (NULL: a root's "") from @snapshot's blocks;
 * a name too long for one is allocated alone. */
static WfKitEntry *
entry_alloc_in_block (WfKitSnapshot *snapshot, const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;
  /* Rounded up to keep the next entry aligned. */
  gsize size = (sizeof (WfKitEntry) + len + 1 + 7) & ~(gsize) 7;
  WfKitEntry *entry;

  if (size > ENTRY_BLOCK_SIZE / 16)
    return entry_alloc (name);
  if (size > snapshot->block_left)
    {
      if (snapshot->blocks == NULL)
        snapshot->blocks = g_ptr_array_new_with_free_func (g_free);
      snapshot->block_next = g_malloc (ENTRY_BLOCK_SIZE);
      snapshot->block_left = ENTRY_BLOCK_SIZE;
      g_ptr_array_add (snapshot->blocks, snapshot->block_next);
    }
  entry = (WfKitEntry *) (gpointer) snapshot->block_next;
  snapshot->block_next += size;
  snapshot->block_left -= size;
  memset (entry, 0, sizeof (WfKitEntry) + len + 1);
  if (len > 0)
    memcpy (entry->name, name, len);
  entry->in_block = TRUE;
  return entry;
}

static GHashTable *
children_new (void)
{
  /* The keys are the entries' own names. */
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
}

/* A deep copy of @entry, named @name (NULL: a root's ""). */
static WfKitEntry *
entry_copy (const WfKitEntry *entry, const char *name)
{
  WfKitEntry *copy = entry_alloc (name);

  /* Every field but the name, which lies past sizeof (WfKitEntry). */
  memcpy (copy, entry, sizeof (WfKitEntry));
  copy->children = NULL;
  copy->in_block = FALSE;
  if (entry->children != NULL)
    {
      GHashTableIter iter;
      gpointer child;

      copy->children = children_new ();
      g_hash_table_iter_init (&iter, entry->children);
      while (g_hash_table_iter_next (&iter, NULL, &child))
        children_put (copy->children, entry_copy (child, ((WfKitEntry *) child)->name));
    }
  return copy;
}

void
wf_kit_scan_options_init (WfKitScanOptions *scan, const WfBackendOptions *options)
{
  *scan = (WfKitScanOptions) { .recursive = TRUE, .follow_symlinks = TRUE };
  if (options == NULL)
    return;
  if (WF_STRUCT_HAS_FIELD (options, WfBackendOptions, recursive))
    scan->recursive = options->recursive;
  if (WF_STRUCT_HAS_FIELD (options, WfBackendOptions, follow_symlinks))
    scan->follow_symlinks = options->follow_symlinks;
  if (WF_STRUCT_HAS_FIELD (options, WfBackendOptions, ignore_permission_denied))
    scan->ignore_permission_denied = options->ignore_permission_denied;
  if (WF_STRUCT_HAS_FIELD (options, WfBackendOptions, ignore_rules) && options->ignore_rules != NULL)
    scan->ignore_rules = g_object_ref (options->ignore_rules);
}

void
wf_kit_scan_options_clear (WfKitScanOptions *scan)
{
  g_clear_object (&scan->ignore_rules);
}

WfKitSnapshot *
wf_kit_snapshot_new (const char *path, const char *rules_root, const WfKitScanOptions *options)
{
  WfKitSnapshot *snapshot = g_new0 (WfKitSnapshot, 1);

  snapshot->path = g_strdup (path);
  snapshot->rules_root = g_strdup (rules_root != NULL ? rules_root : path);
  snapshot->options = *options;
  if (options->ignore_rules != NULL && wf_ignore_rules_is_empty (options->ignore_rules))
    snapshot->options.ignore_rules = NULL;
  if (snapshot->options.ignore_rules != NULL)
    g_object_ref (snapshot->options.ignore_rules);
  snapshot->failed_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return snapshot;
}

void
wf_kit_snapshot_free (WfKitSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->path);
  g_free (snapshot->rules_root);
  g_clear_object (&snapshot->options.ignore_rules);
  entry_free (snapshot->root);
  g_clear_pointer (&snapshot->blocks, g_ptr_array_unref);
  g_hash_table_unref (snapshot->failed_paths);
  g_free (snapshot);
}

const char *
wf_kit_snapshot_get_path (WfKitSnapshot *snapshot)
{
  return snapshot->path;
}

gboolean
wf_kit_snapshot_has_root (WfKitSnapshot *snapshot)
{
  return snapshot->root != NULL;
}

guint
wf_kit_snapshot_get_n_directories (WfKitSnapshot *snapshot)
{
  return snapshot->n_directories;
}

guint
wf_kit_snapshot_get_n_entries (WfKitSnapshot *snapshot)
{
  return snapshot->n_entries;
}

guint
wf_kit_snapshot_get_n_failed (WfKitSnapshot *snapshot)
{
  return g_hash_table_size (snapshot->failed_paths);
}

/* A new entry found by @walk: from the snapshot's blocks while building. */
static WfKitEntry *
walk_entry_new (Walk *walk, const char *name, const struct stat *st)
{
  WfKitEntry *entry = walk->sink == NULL ? entry_alloc_in_block (walk->snapshot, name) : entry_alloc (name);

  wf_kit_fingerprint_from_stat (&entry->fingerprint, st);
  return entry;
}

static void
walk_set_counted (Walk *walk, WfKitEntry *entry, gboolean counted)
{
  if (entry->counted != (guint) counted)
    walk->d_entries += counted ? 1 : -1;
  entry->counted = counted;
}

static void
walk_set_listed (Walk *walk, WfKitEntry *entry, gboolean listed)
{
  if (entry->listed != (guint) listed)
    walk->d_directories += listed ? 1 : -1;
  entry->listed = listed;
}

/* @entry (unless @below_only) and all below it leave the counts: about to
 * be freed. */
static void
walk_uncount_tree (Walk *walk, WfKitEntry *entry, gboolean below_only)
{
  if (!walk->shallow)
    return;
  if (!below_only)
    walk_set_counted (walk, entry, FALSE);
  walk_set_listed (walk, entry, FALSE);
  if (entry->children != NULL)
    {
      GHashTableIter iter;
      gpointer child;

      g_hash_table_iter_init (&iter, entry->children);
      while (g_hash_table_iter_next (&iter, NULL, &child))
        walk_uncount_tree (walk, child, FALSE);
    }
}

/* ---- reporting ------------------------------------------------------------ */

static void
walk_push (Walk *walk, WfRawKind kind, const WfKitEntry *entry)
{
  if (walk->sink == NULL)
    return;
  wf_sink_push (walk->sink, kind, walk->path->str,
                walk->flags | (entry_is_dir (entry) ? WF_RAW_FLAG_IS_DIR : WF_RAW_FLAG_NONE));
  walk->n_pushed++;
}

static gsize
walk_enter (Walk *walk, const char *name)
{
  gsize parent_len = walk->path->len;

  wf_kit_path_append_name (walk->path, name);
  return parent_len;
}

/* Pushes @kind for @entry (its path in the buffer) and everything known
 * below it: parents first for a creation, deepest first otherwise, as a
 * kernel would. */
static void
walk_report_tree (Walk *walk, WfRawKind kind, const WfKitEntry *entry)
{
  if (walk->sink == NULL)
    return;
  if (kind == WF_RAW_CREATED)
    walk_push (walk, kind, entry);
  if (entry->children != NULL)
    {
      GHashTableIter iter;
      gpointer name, child;

      g_hash_table_iter_init (&iter, entry->children);
      while (g_hash_table_iter_next (&iter, &name, &child))
        {
          gsize parent_len = walk_enter (walk, name);
          walk_report_tree (walk, kind, child);
          g_string_truncate (walk->path, parent_len);
        }
    }
  if (kind != WF_RAW_CREATED)
    walk_push (walk, kind, entry);
}

static void
walk_forget_failure (Walk *walk)
{
  if (g_hash_table_size (walk->snapshot->failed_paths) > 0)
    g_hash_table_remove (walk->snapshot->failed_paths, walk->path->str);
}

/* The path in the buffer cannot be read.  What was known of it is kept,
 * so that nothing is reported deleted that may still be there.  A build
 * fails unless ignore_permission_denied says to skip it (RustNotify skips
 * every error then). */
static void
walk_fail_full (Walk *walk, int errsv, gboolean still_there, const char *what)
{
  WfKitSnapshot *snapshot = walk->snapshot;
  gboolean building = walk->sink == NULL;
  g_autofree char *display = g_filename_display_name (walk->path->str);
  g_autoptr(GError) error = NULL;

  /* Not G_IO_ERROR_NOT_FOUND for a path that is there: the sink takes
   * that code for a deletion. */
  error = g_error_new (G_IO_ERROR, still_there ? G_IO_ERROR_FAILED : g_io_error_from_errno (errsv),
                       "%s %s: %s%s", what, display, g_strerror (errsv),
                       still_there ? ", yet it is still there" : "");

  if (building && !snapshot->options.ignore_permission_denied)
    {
      if (walk->error == NULL)
        walk->error = g_steal_pointer (&error);
      return;
    }
  if (!g_hash_table_add (snapshot->failed_paths, g_strdup (walk->path->str)))
    return;
  if (!building)
    wf_sink_push_error (walk->sink, walk->path->str, error);
}

static void
walk_fail (Walk *walk, int errsv, const char *what)
{
  walk_fail_full (walk, errsv, FALSE, what);
}

/* ---- the walk ------------------------------------------------------------- */

static WfKitChange
entry_compare (Walk *walk, const WfKitEntry *entry, const WfKitFingerprint *now)
{
  if (entry->by_name)
    {
      WfKitChange change = wf_kit_fingerprint_compare_since (entry->kind_unknown ? wf_kit_fingerprint_is_dir (now)
                                                                                 : entry->was_dir,
                                                             walk->snapshot->known_since_ns, now);

      if (change == WF_KIT_CHANGE_NONE && entry->mode_known && wf_kit_fingerprint_is_dir (now) &&
          (entry->fingerprint.mode & 07777) != (now->mode & 07777))
        return WF_KIT_CHANGE_METADATA;
      return change;
    }
  return wf_kit_fingerprint_compare (&entry->fingerprint, now);
}

/* Brings @entry up to date with @st, reporting what changed. */
static void
walk_update_entry (Walk *walk, WfKitEntry *entry, const struct stat *st)
{
  WfKitFingerprint now;

  wf_kit_fingerprint_from_stat (&now, st);
  switch (entry_compare (walk, entry, &now))
    {
    case WF_KIT_CHANGE_NONE:
      break;
    case WF_KIT_CHANGE_DATA:
      walk_push (walk, WF_RAW_MODIFIED, entry);
      break;
    case WF_KIT_CHANGE_METADATA:
      walk_push (walk, WF_RAW_ATTRIB, entry);
      break;
    case WF_KIT_CHANGE_REPLACED:
      /* The old subtree is gone; the new one is listed as new. */
      walk_report_tree (walk, WF_RAW_DELETED, entry);
      walk_uncount_tree (walk, entry, TRUE);
      g_clear_pointer (&entry->children, g_hash_table_unref);
      entry->by_name = FALSE;
      entry->kind_unknown = FALSE;
      entry->opaque = FALSE;
      entry->fingerprint = now;
      walk_push (walk, WF_RAW_CREATED, entry);
      break;
    }
  entry->fingerprint = now;
  entry->by_name = FALSE;
  entry->kind_unknown = FALSE;
  entry->mode_known = FALSE;
}

static gboolean
walk_is_ancestor (Walk *walk, const struct stat *st)
{
#ifdef _WIN32
  /* The CRT's stat (and GLib's) gives every file st_ino 0: no identity to
   * compare, so no loop is detected on Windows (a junction loop would be
   * followed: README, "What a Windows build still needs"). */
  if (st->st_ino == 0)
    return FALSE;
#endif
  for (guint i = 0; i < walk->ancestors->len; i++)
    {
      const DirId *id = &g_array_index (walk->ancestors, DirId, i);
      if (id->dev == st->st_dev && id->ino == st->st_ino)
        return TRUE;
    }
  return FALSE;
}

static void walk_directory (Walk *walk, WfKitEntry *dir, int parent_fd, const char *name,
                            const struct stat *st, gboolean is_root);

/* Asks the CPU to bring the entries known in @dir into the cache while
 * the directory's entries are stat'ed: each is looked at once, after a
 * system call, in readdir order, and a tree's entries (read from a state,
 * or left by the last scan) are far more than the caches hold, so every
 * one was a miss or two: about 6 % of a changes-since run here. */
static void
prefetch_children (const WfKitEntry *dir)
{
#if defined(__GNUC__) || defined(__clang__)
  GHashTableIter iter;
  gpointer child;

  g_hash_table_iter_init (&iter, dir->children);
  while (g_hash_table_iter_next (&iter, NULL, &child))
    {
      __builtin_prefetch (child);
      __builtin_prefetch ((const char *) child + 64);
    }
#endif
}

/* Is the directory stat'ed as @st still at its whole path (in the buffer),
 * not only at @name in @parent_fd, which follows a renamed ancestor?
 * Beyond PATH_MAX only the latter can be asked. */
static gboolean
still_at_path (Walk *walk, int parent_fd, const char *name, gboolean follow, const struct stat *st)
{
  struct stat now;

  if (walk->path->len < PATH_MAX)
    return wf_kit_dir_still_at (walk->path->str, follow, st);
  return wf_kit_stat_entry (parent_fd, name, follow, &now) && now.st_dev == st->st_dev &&
         now.st_ino == st->st_ino;
}

/* After @entry (in the buffer) was stat'ed as @st: lists it if it is a
 * directory to follow.  A failure is forgotten only after the last step
 * that can fail, or an unreadable directory would be reported each scan. */
static void
walk_descend (Walk *walk, WfKitEntry *entry, int parent_fd, const char *name,
              const struct stat *st, gboolean is_root)
{
  walk->n_entries++;
  walk_set_counted (walk, entry, TRUE);
  /* Not forgotten: a directory whose listing failed keeps its failure
   * until a walk reads it. */
  if (walk->shallow && entry != walk->target && entry->children != NULL)
    return;
  if (S_ISDIR (st->st_mode) && !entry->opaque && (is_root || walk->snapshot->options.recursive))
    walk_directory (walk, entry, parent_fd, name, st, is_root);
  else
    walk_forget_failure (walk);
}

/* A directory being listed, and whether it is known to be still at its
 * path (still_at_path()).  That is asked once, before the listing first
 * changes anything (reports, or alters what is known: a new or changed
 * entry, a failure, a subdirectory entered, an entry gone), not always:
 * a listing that changes nothing leaves the same snapshot and reports the
 * same nothing whether it is kept or dropped, so the check could not
 * change its outcome.  A changes-since run over a tree that did not
 * change so skips it for every directory without subdirectories. */
typedef struct {
  int parent_fd;
  const char *name;
  gboolean follow;
  const struct stat *st;
  gsize dir_len;               /* the directory's path, in the buffer */
  gboolean confirmed;
} Listing;

/* May @listing change something?  FALSE when the directory is no longer
 * at its path: the listing is to be dropped. */
static gboolean
listing_confirm (Walk *walk, Listing *listing)
{
  gsize len = walk->path->len;
  g_autofree char *tail = NULL;

  if (listing->confirmed)
    return TRUE;
  listing->confirmed = TRUE;
  if (len == listing->dir_len)
    return still_at_path (walk, listing->parent_fd, listing->name, listing->follow, listing->st);
  /* The entry's path is in the buffer: the directory's for a moment. */
  tail = g_strndup (walk->path->str + listing->dir_len, len - listing->dir_len);
  g_string_truncate (walk->path, listing->dir_len);
  if (!still_at_path (walk, listing->parent_fd, listing->name, listing->follow, listing->st))
    return FALSE;
  g_string_append (walk->path, tail);
  return TRUE;
}

static gboolean
fingerprint_equal (const WfKitFingerprint *a, const WfKitFingerprint *b)
{
  return a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns && a->size == b->size &&
         a->ino == b->ino && a->dev == b->dev && a->mode == b->mode;
}

/* One entry of a directory being listed, its path in the buffer.  FALSE
 * when the listing is to be dropped (listing_confirm()). */
static gboolean
walk_directory_entry (Walk *walk, WfKitEntry *dir, int dir_fd, const char *name, Listing *listing)
{
  WfKitEntry *child = g_hash_table_lookup (dir->children, name);
  struct stat st;

  if (!wf_kit_stat_entry (dir_fd, name, walk->snapshot->options.follow_symlinks, &st))
    {
      int errsv = errno;

      /* Gone between readdir() and stat(): the sweep reports it. */
      if (errsv == ENOENT || errsv == ENOTDIR)
        return TRUE;
      if (!listing_confirm (walk, listing))
        return FALSE;
      if (child != NULL)
        {
          child->seen_mark = dir->listing_mark;
          walk_set_counted (walk, child, FALSE);
        }
      walk_fail (walk, errsv, "Cannot stat");
      return TRUE;
    }

  /* A file known with this very fingerprint, no failure to forget: its
   * stat changes nothing. */
  if (!listing->confirmed)
    {
      WfKitFingerprint now;

      wf_kit_fingerprint_from_stat (&now, &st);
      if ((child == NULL || child->by_name || S_ISDIR (st.st_mode) || entry_is_dir (child) ||
           !fingerprint_equal (&child->fingerprint, &now) ||
           g_hash_table_size (walk->snapshot->failed_paths) > 0) &&
          !listing_confirm (walk, listing))
        return FALSE;
    }

  if (child == NULL)
    {
      child = walk_entry_new (walk, name, &st);
      children_put (dir->children, child);
      walk_push (walk, WF_RAW_CREATED, child);
    }
  else
    {
      walk_update_entry (walk, child, &st);
    }
  child->seen_mark = dir->listing_mark;
  walk_descend (walk, child, dir_fd, name, &st, FALSE);
  return TRUE;
}

/* Lists the directory @name of @parent_fd (its path in the buffer) into
 * @dir, reporting new, changed and vanished entries. */
static void
walk_directory (Walk *walk, WfKitEntry *dir, int parent_fd, const char *name,
                const struct stat *st, gboolean is_root)
{
  const WfKitScanOptions *options = &walk->snapshot->options;
  DirId id = { st->st_dev, st->st_ino };
  gboolean complete = TRUE;
  WfKitDirReader reader;
  const char *entry_name;
  GByteArray *names;
  gsize dir_len;
  guint n_entries_before;
  gboolean was_listed = dir->listed;
  int errsv;
  Listing listing;

  if (walk_is_ancestor (walk, st))
    {
      walk_set_listed (walk, dir, FALSE);
      walk_forget_failure (walk);
      return;
    }

  /* The root is always followed, as walkdir does; below it, a directory
   * swapped for a symlink since it was stat'ed must not be entered. */
  errsv = wf_kit_dir_reader_open (&reader, parent_fd, name, !options->follow_symlinks && !is_root,
                                  walk->path, options->ignore_rules, walk->snapshot->rules_root);
  if (errsv != 0)
    {
      gboolean still_there;
      struct stat again;

      /* Vanished or replaced since it was stat'ed: the next scan sees it.
       * Unless it is still the same directory: then the listing failed,
       * and taking it for gone would report its entries deleted now and
       * added back later, none of which happened. */
      still_there = (errsv == ENOENT || errsv == ENOTDIR) &&
                    wf_kit_stat_entry (parent_fd, name, options->follow_symlinks || is_root, &again) &&
                    S_ISDIR (again.st_mode) && again.st_dev == st->st_dev && again.st_ino == st->st_ino;
      if (still_there || (errsv != ENOENT && errsv != ENOTDIR && errsv != ELOOP))
        walk_fail_full (walk, errsv, still_there, "Cannot open directory");
      walk_set_listed (walk, dir, FALSE);
      return;
    }

  /* The names first, then whether the directory is still where it was
   * stat'ed: one renamed while it was read holds names that were never
   * at this path (made after the rename), and reporting them would name
   * paths that never existed.  Such a listing is dropped; the next scan
   * sees the directory where it went.  Asked before the listing changes
   * anything (Listing), and at once for a directory not listed before. */
  /* A partial walk starts with its target's ancestors on the stack. */
  while (walk->names->len <= walk->ancestors->len)
    g_ptr_array_add (walk->names, g_byte_array_sized_new (1024));
  names = walk->names->pdata[walk->ancestors->len];
  g_byte_array_set_size (names, 0);
  while ((entry_name = wf_kit_dir_reader_next (&reader, &errsv)) != NULL)
    g_byte_array_append (names, (const guint8 *) entry_name, (guint) strlen (entry_name) + 1);
  /* The reader left the directory's own path in the buffer. */
  dir_len = walk->path->len;
  listing = (Listing) {
    .parent_fd = parent_fd,
    .name = name,
    .follow = options->follow_symlinks || is_root,
    .st = st,
    .dir_len = dir_len,
    /* A listing cut short is not checked: its failure is reported. */
    .confirmed = errsv != 0,
  };
  if ((dir->children == NULL || walk->sink == NULL) && !listing_confirm (walk, &listing))
    {
      wf_kit_dir_reader_close (&reader);
      walk_forget_failure (walk);
      return;
    }

  walk_forget_failure (walk);
  walk->n_directories++;
  walk_set_listed (walk, dir, TRUE);
  n_entries_before = walk->n_entries;
  g_array_append_val (walk->ancestors, id);
  if (dir->children == NULL)
    dir->children = children_new ();
  dir->listing_mark++;
  prefetch_children (dir);

  for (guint offset = 0; offset < names->len; offset += (guint) strlen ((const char *) names->data + offset) + 1)
    {
      const char *child_name = (const char *) names->data + offset;

      g_string_truncate (walk->path, dir_len);
      wf_kit_path_append_name (walk->path, child_name);
      if (!walk_directory_entry (walk, dir, wf_kit_dir_reader_get_fd (&reader), child_name, &listing))
        {
          /* Dropped: as if never listed.  What the listing looked at so
           * far changed nothing. */
          g_string_truncate (walk->path, dir_len);
          wf_kit_dir_reader_close (&reader);
          g_array_set_size (walk->ancestors, walk->ancestors->len - 1);
          walk->n_directories--;
          walk->n_entries = n_entries_before;
          walk_set_listed (walk, dir, was_listed);
          return;
        }
      if (walk->error != NULL)
        {
          complete = FALSE;
          break;
        }
    }
  g_string_truncate (walk->path, dir_len);
  wf_kit_dir_reader_close (&reader);
  if (errsv != 0)
    {
      complete = FALSE;
      walk_fail (walk, errsv, "Cannot read directory");
    }
  g_array_set_size (walk->ancestors, walk->ancestors->len - 1);

  /* After a failed listing, unseen entries may still exist: keep them. */
  if (complete)
    {
      GHashTableIter iter;
      gpointer child_name, child;

      g_hash_table_iter_init (&iter, dir->children);
      while (g_hash_table_iter_next (&iter, &child_name, &child))
        {
          gsize parent_len;

          if (((WfKitEntry *) child)->seen_mark == dir->listing_mark)
            continue;
          if (!listing_confirm (walk, &listing))
            {
              /* Dropped, as above: nothing was changed yet. */
              walk->n_directories--;
              walk->n_entries = n_entries_before;
              walk_set_listed (walk, dir, was_listed);
              return;
            }
          parent_len = walk_enter (walk, child_name);
          walk_report_tree (walk, WF_RAW_DELETED, child);
          walk_uncount_tree (walk, child, FALSE);
          g_string_truncate (walk->path, parent_len);
          g_hash_table_iter_remove (&iter);
        }
    }
}

/* A root, followed: 0 or the errno.  On Windows through the kit's own
 * reader of attributes, so that its fingerprint is made of the same
 * fields as its entries' (wf-kit-dir-reader.h). */
static int
stat_root (const char *root, struct stat *st)
{
#ifdef _WIN32
  return wf_kit_stat_entry (AT_FDCWD, root, TRUE, st) ? 0 : errno;
#else
  return stat (root, st) == 0 ? 0 : errno;
#endif
}

/* The counts after @walk: its own for a whole walk, the old ones moved by
 * what it changed for a partial one. */
static void
walk_set_counts (Walk *walk)
{
  WfKitSnapshot *snapshot = walk->snapshot;

  if (!walk->shallow)
    {
      snapshot->n_directories = walk->n_directories;
      snapshot->n_entries = walk->n_entries;
      snapshot->walked = TRUE;
      return;
    }
  /* Clamped: after a failure the last whole walk counted less than the
   * bits say (nothing below an unreadable directory), and removing that
   * subtree takes the bits off. */
  snapshot->n_directories = (guint) CLAMP ((gint64) snapshot->n_directories + walk->d_directories, 0, G_MAXUINT);
  snapshot->n_entries = (guint) CLAMP ((gint64) snapshot->n_entries + walk->d_entries, 0, G_MAXUINT);
}

/* From the root: the whole tree, or (@shallow) the root's own listing and
 * what is new below it. */
static guint
walk_run (WfKitSnapshot *snapshot, WfSink *sink, WfRawFlags flags, gboolean shallow, GError **error)
{
  g_autoptr(GString) path = g_string_sized_new (PATH_MAX);
  g_autoptr(GArray) ancestors = g_array_new (FALSE, FALSE, sizeof (DirId));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  int errsv;
  Walk walk = {
    .snapshot = snapshot,
    .sink = sink,
    .flags = flags,
    .path = path,
    .ancestors = ancestors,
    .names = names,
    .shallow = shallow,
  };
  struct stat st;

  g_string_assign (path, snapshot->path);
  errsv = stat_root (snapshot->path, &st);
  /* Looked at once more before a whole known tree is reported deleted. */
  if ((errsv == ENOENT || errsv == ENOTDIR) && snapshot->root != NULL)
    errsv = stat_root (snapshot->path, &st);
  if (errsv == 0)
    {
      if (snapshot->root == NULL)
        {
          snapshot->root = walk_entry_new (&walk, NULL, &st);
          walk_push (&walk, WF_RAW_CREATED, snapshot->root);
        }
      else
        {
          walk_update_entry (&walk, snapshot->root, &st);
        }
      walk.target = snapshot->root;
      walk_descend (&walk, snapshot->root, AT_FDCWD, snapshot->path, &st, TRUE);
    }
  else if (errsv == ENOENT || errsv == ENOTDIR)
    {
      if (snapshot->root != NULL)
        {
          walk_report_tree (&walk, WF_RAW_DELETED, snapshot->root);
          walk_uncount_tree (&walk, snapshot->root, FALSE);
        }
      g_clear_pointer (&snapshot->root, entry_free);
      if (sink == NULL)
        {
          g_autofree char *display = g_filename_display_name (snapshot->path);
          g_set_error (&walk.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "No such file or directory: %s", display);
        }
    }
  else
    {
      if (snapshot->root != NULL)
        walk_set_counted (&walk, snapshot->root, FALSE);
      walk_fail (&walk, errsv, "Cannot stat");
    }

  walk_set_counts (&walk);
  if (walk.error != NULL)
    g_propagate_error (error, walk.error);
  return walk.n_pushed;
}

gboolean
wf_kit_snapshot_build (WfKitSnapshot *snapshot, GError **error)
{
  GError *local_error = NULL;

  walk_run (snapshot, NULL, WF_RAW_FLAG_NONE, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

WfKitSnapshot *
wf_kit_snapshot_new_built (const char *path, const WfKitScanOptions *options, GError **error)
{
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (path, NULL, options);

  if (!wf_kit_snapshot_build (snapshot, error))
    g_clear_pointer (&snapshot, wf_kit_snapshot_free);
  return snapshot;
}

static int
find_root_snapshot (GPtrArray *roots, const char *path)
{
  for (guint i = 0; i < roots->len; i++)
    if (strcmp (wf_kit_snapshot_get_path (roots->pdata[i]), path) == 0)
      return (int) i;
  return -1;
}

void
wf_kit_root_snapshots_put (GPtrArray *roots, WfKitSnapshot *snapshot)
{
  int index = find_root_snapshot (roots, wf_kit_snapshot_get_path (snapshot));

  if (index < 0)
    {
      g_ptr_array_add (roots, snapshot);
      return;
    }
  wf_kit_snapshot_free (roots->pdata[index]);
  roots->pdata[index] = snapshot;
}

void
wf_kit_root_snapshots_remove (GPtrArray *roots, const char *path)
{
  int index = find_root_snapshot (roots, path);

  if (index >= 0)
    g_ptr_array_remove_index (roots, index);
}

void
wf_kit_root_snapshots_count (GPtrArray *roots, WfKitCounts *counts, guint *n_entries)
{
  *counts = (WfKitCounts) { 0 };
  if (n_entries != NULL)
    *n_entries = 0;
  for (guint i = 0; i < roots->len; i++)
    {
      wf_kit_counts_add_root (counts, roots->pdata[i]);
      if (n_entries != NULL)
        *n_entries += wf_kit_snapshot_get_n_entries (roots->pdata[i]);
    }
}

void
wf_kit_counts_add_root (WfKitCounts *counts, WfKitSnapshot *snapshot)
{
  counts->n_roots++;
  counts->n_directories += wf_kit_snapshot_get_n_directories (snapshot);
  counts->n_unwatched += wf_kit_snapshot_get_n_failed (snapshot);
}

guint
wf_kit_snapshot_rescan (WfKitSnapshot *snapshot, WfSink *sink, WfRawFlags flags)
{
  g_return_val_if_fail (sink != NULL, 0);
  return walk_run (snapshot, sink, flags, FALSE, NULL);
}

WfKitEntry *
wf_kit_snapshot_lookup (WfKitSnapshot *snapshot, const char *path)
{
  WfKitEntry *entry = snapshot->root;
  const char *p;

  if (entry == NULL || !wf_kit_path_is_within (path, snapshot->path))
    return NULL;
  for (p = path + strlen (snapshot->path); entry != NULL;)
    {
      g_autofree char *name = NULL;
      const char *end;

      while (WF_KIT_IS_SEPARATOR (*p))
        p++;
      if (*p == '\0')
        return entry;
      for (end = p; *end != '\0' && !WF_KIT_IS_SEPARATOR (*end); end++)
        ;
      name = g_strndup (p, (gsize) (end - p));
      p = end;
      entry = entry->children != NULL ? g_hash_table_lookup (entry->children, name) : NULL;
    }
  return NULL;
}

/* Is @entry, stat'ed as @st, still the listed directory it was? */
static gboolean
entry_is_listed_dir (const WfKitEntry *entry, const struct stat *st)
{
  WfKitFingerprint now;

  if (entry->children == NULL || entry->opaque || entry->by_name || !S_ISDIR (st->st_mode))
    return FALSE;
  wf_kit_fingerprint_from_stat (&now, st);
  return now.dev == entry->fingerprint.dev && now.ino == entry->fingerprint.ino;
}

guint
wf_kit_snapshot_rescan_directory (WfKitSnapshot *snapshot, const char *path, WfSink *sink, WfRawFlags flags)
{
  g_autoptr(GString) buffer = NULL;
  g_autoptr(GArray) ancestors = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GArray) lens = NULL;
  g_autofree char *target_path = NULL;
  const char *p;
  WfKitEntry *entry;
  struct stat st;
  guint depth;
  Walk walk;

  g_return_val_if_fail (sink != NULL, 0);
  g_return_val_if_fail (path != NULL, 0);

  /* Nothing listed to start from (no whole walk yet, a root gone, a file
   * root, a root known by name only), or not below: the whole snapshot. */
  if (!snapshot->walked || snapshot->root == NULL || snapshot->root->children == NULL ||
      snapshot->root->by_name || !wf_kit_path_is_within (path, snapshot->path))
    return walk_run (snapshot, sink, flags, FALSE, NULL);

  /* The entries on the way to @path, as far as the snapshot lists them,
   * and where each one's path ends in the kit's own form of it. */
  buffer = g_string_new (snapshot->path);
  chain = g_ptr_array_new ();
  lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  entry = snapshot->root;
  g_ptr_array_add (chain, entry);
  g_array_append_val (lens, buffer->len);
  p = path + strlen (snapshot->path);
  while (*p != '\0' && entry->children != NULL)
    {
      g_autofree char *name = NULL;
      const char *end;

      while (WF_KIT_IS_SEPARATOR (*p))
        p++;
      if (*p == '\0')
        break;
      for (end = p; *end != '\0' && !WF_KIT_IS_SEPARATOR (*end); end++)
        ;
      name = g_strndup (p, (gsize) (end - p));
      p = end;
      entry = g_hash_table_lookup (entry->children, name);
      if (entry == NULL || entry->by_name)
        break;
      wf_kit_path_append_name (buffer, name);
      g_ptr_array_add (chain, entry);
      g_array_append_val (lens, buffer->len);
    }

  /* The deepest that is still the listed directory it was; the root's own
   * walk sees to a root gone or replaced. */
  for (depth = chain->len - 1; depth > 0; depth--)
    {
      g_string_truncate (buffer, g_array_index (lens, gsize, depth));
      if (wf_kit_stat_entry (AT_FDCWD, buffer->str, snapshot->options.follow_symlinks, &st) &&
          entry_is_listed_dir (chain->pdata[depth], &st))
        break;
    }
  if (depth == 0)
    return walk_run (snapshot, sink, flags, TRUE, NULL);

  /* Its ancestors go on the stack first, so that a link back to one of
   * them is not entered (their fingerprints are their identities). */
  ancestors = g_array_new (FALSE, FALSE, sizeof (DirId));
  for (guint i = 0; i < depth; i++)
    {
      const WfKitEntry *ancestor = chain->pdata[i];
      DirId id = { (dev_t) ancestor->fingerprint.dev, (ino_t) ancestor->fingerprint.ino };

      g_array_append_val (ancestors, id);
    }
  names = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  entry = chain->pdata[depth];
  walk = (Walk) {
    .snapshot = snapshot,
    .sink = sink,
    .flags = flags,
    .path = buffer,
    .ancestors = ancestors,
    .names = names,
    .shallow = TRUE,
    .target = entry,
  };
  /* Its own change (a chmod) is its parent's listing's, seen here too. */
  walk_update_entry (&walk, entry, &st);
  /* Opened by a name of its own: the walk's buffer changes under it. */
  target_path = g_strdup (buffer->str);
  walk_descend (&walk, entry, AT_FDCWD, target_path, &st, FALSE);
  walk_set_counts (&walk);
  return walk.n_pushed;
}

void
wf_kit_snapshot_report (WfKitSnapshot *snapshot, WfSink *sink, WfRawKind kind, WfRawFlags flags)
{
  g_autoptr(GString) path = g_string_new (snapshot->path);
  Walk walk = { .snapshot = snapshot, .sink = sink, .flags = flags, .path = path };

  if (snapshot->root != NULL)
    walk_report_tree (&walk, kind, snapshot->root);
}

void
wf_kit_entry_report_below (const WfKitEntry *entry, GString *path, WfSink *sink, WfRawKind kind,
                           WfRawFlags flags)
{
  Walk walk = { .sink = sink, .flags = flags, .path = path };
  gsize dir_len = path->len;
  GHashTableIter iter;
  gpointer name, child;

  if (entry->children == NULL)
    return;
  g_hash_table_iter_init (&iter, entry->children);
  while (g_hash_table_iter_next (&iter, &name, &child))
    {
      walk_enter (&walk, name);
      walk_report_tree (&walk, kind, child);
      g_string_truncate (path, dir_len);
    }
}

/* ---- a state known by names only ----------------------------------------- */

/* Makes @entry (taken) the root (@parent NULL, replacing and freeing any)
 * or the entry of its name in the listed directory @parent; returns it. */
static WfKitEntry *
snapshot_put (WfKitSnapshot *snapshot, WfKitEntry *parent, WfKitEntry *entry)
{
  if (parent == NULL)
    {
      entry_free (snapshot->root);
      snapshot->root = entry;
    }
  else
    {
      children_put (parent->children, entry);
    }
  return entry;
}

WfKitEntry *
wf_kit_snapshot_add_known (WfKitSnapshot *snapshot, WfKitEntry *parent, const char *name,
                           WfKitKnown known)
{
  WfKitEntry *entry;

  g_return_val_if_fail (parent == NULL || parent->children != NULL, NULL);
  snapshot->walked = FALSE;
  entry = entry_alloc (parent != NULL ? name : NULL);
  entry->by_name = TRUE;
  entry->kind_unknown = known == WF_KIT_KNOWN_NAME;
  entry->was_dir = known == WF_KIT_KNOWN_DIRECTORY || known == WF_KIT_KNOWN_OPAQUE;
  entry->opaque = known == WF_KIT_KNOWN_OPAQUE;
  /* A listed directory: what the rescan does not find there is gone.  An
   * unlisted one (children NULL) has all it holds reported as new. */
  if (known == WF_KIT_KNOWN_DIRECTORY)
    entry->children = children_new ();

  return snapshot_put (snapshot, parent, entry);
}

void
wf_kit_entry_set_known_mode (WfKitEntry *entry, guint mode)
{
  g_return_if_fail (entry->by_name && entry->was_dir);
  entry->fingerprint.mode = S_IFDIR | (mode & 07777);
  entry->mode_known = TRUE;
}

void
wf_kit_snapshot_set_known_since (WfKitSnapshot *snapshot, gint64 since_ns)
{
  snapshot->known_since_ns = since_ns;
}

/* ---- a state kept on disk ------------------------------------------------ */

WfKitEntry *
wf_kit_snapshot_get_root (WfKitSnapshot *snapshot)
{
  return snapshot->root;
}

const WfKitFingerprint *
wf_kit_entry_get_fingerprint (const WfKitEntry *entry)
{
  return &entry->fingerprint;
}

void
wf_kit_entry_set_fingerprint (WfKitEntry *entry, const WfKitFingerprint *fingerprint)
{
  entry->fingerprint = *fingerprint;
  entry->by_name = FALSE;
  entry->kind_unknown = FALSE;
}

GHashTable *
wf_kit_entry_get_children (const WfKitEntry *entry)
{
  return entry->children;
}

WfKitEntry *
wf_kit_snapshot_add_entry (WfKitSnapshot *snapshot, WfKitEntry *parent, const char *name,
                           const WfKitFingerprint *fingerprint, gboolean listed)
{
  WfKitEntry *entry;

  g_return_val_if_fail (parent == NULL || parent->children != NULL, NULL);
  snapshot->walked = FALSE;
  entry = entry_alloc_in_block (snapshot, parent != NULL ? name : NULL);
  entry->fingerprint = *fingerprint;
  if (listed)
    entry->children = children_new ();

  return snapshot_put (snapshot, parent, entry);
}

WfKitSnapshot *
wf_kit_snapshot_new_holding (const char *path, const WfKitEntry *entry)
{
  static const WfKitScanOptions no_options = { 0 };
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (path, NULL, &no_options);

  snapshot->root = entry_copy (entry, NULL);
  return snapshot;
}

gboolean
wf_kit_entry_is_dir (const WfKitEntry *entry)
{
  return entry_is_dir (entry);
}

gboolean
wf_kit_snapshot_copy_subtree (WfKitSnapshot *dest, const WfKitSnapshot *src)
{
  gsize src_len = strlen (src->path);
  const WfKitEntry *entry = src->root;
  g_auto (GStrv) names = NULL;

  if (strncmp (dest->path, src->path, src_len) != 0 ||
      (dest->path[src_len] != '/' && dest->path[src_len] != '\0' && src_len > 0 && src->path[src_len - 1] != '/'))
    return FALSE;
  names = g_strsplit (dest->path + src_len, "/", -1);
  for (guint i = 0; entry != NULL && names[i] != NULL; i++)
    if (names[i][0] != '\0')
      entry = entry->children != NULL ? g_hash_table_lookup (entry->children, names[i]) : NULL;
  if (entry == NULL)
    return FALSE;
  entry_free (dest->root);
  dest->root = entry_copy (entry, NULL);
  dest->walked = FALSE;
  return TRUE;
}
