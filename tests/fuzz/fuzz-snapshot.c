/* SPDX-License-Identifier: MIT */
/* fuzz-snapshot.c: the kit's snapshot and diff (backends/common/
 * wf-kit-snapshot.c) on random old and new trees, real ones: the input's
 * first byte says how many of the three-byte operations after it build the
 * old tree in this target's temporary directory; a snapshot of it is
 * built, the remaining operations turn it into the new tree (mkdir -p,
 * create, append, chmod, rename, rm -rf, an atomic replace, rmdir, on names
 * that include a byte that is not UTF-8), and a rescan pushes the
 * difference into the core's real sink.  The truth it is checked against
 * is lstat() of both trees, taken by this file's own walk:
 *   - a path only in the new tree is reported added, one only in the old
 *     tree deleted, one whose kind changed both, and so is everything in
 *     both trees below a directory that is another one now;
 *   - a file whose size, mtime, ctime, inode or mode changed is reported
 *     modified (a directory: its mode or inode), and a path that did not
 *     change is not reported at all;
 *   - no path outside both trees is reported, and a second rescan reports
 *     nothing. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <watchfiles.h>

#include "wf-fuzz-fatal.h"

#include "wf-sink-private.h"
#include "wf-kit-snapshot.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static char *workdir;  /* this target's temporary directory */
static char *tree;     /* workdir/tree, the root watched */

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path) == 0 || errno == ENOENT ? 0 : -1;
}

static void
rm_rf (const char *path)
{
  nftw (path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
remove_workdir (void)
{
  rm_rf (workdir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;

  wf_fuzz_make_failures_fatal ();
  workdir = g_dir_make_tmp ("wf-fuzz-snapshot-XXXXXX", &error);
  g_assert_no_error (error);
  tree = g_build_filename (workdir, "tree", NULL);
  atexit (remove_workdir);
  return 0;
}

/* Four names, one of them not UTF-8, up to three deep. */
static char *
path_from_byte (guint8 b)
{
  static const char *const names[] = { "a", "b", "\xfe", "d.txt" };
  GString *path = g_string_new (tree);
  guint depth = 1 + b % 3;

  b /= 3;
  for (guint i = 0; i < depth; i++, b /= 4)
    {
      g_string_append_c (path, '/');
      g_string_append (path, names[b % 4]);
    }
  return g_string_free (path, FALSE);
}

static void
mkdir_p (const char *path)
{
  g_mkdir_with_parents (path, 0755);
}

static void
mkdir_parent (const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);
  mkdir_p (parent);
}

static void
write_file (const char *path, guint8 size, gboolean append)
{
  char bytes[16] = "0123456789abcdef";
  int fd;

  mkdir_parent (path);
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd < 0)
    return;
  if (write (fd, bytes, size % sizeof bytes) < 0)
    {
      /* Whatever was written or not is what the truth walk sees. */
    }
  close (fd);
}

static void
apply (const guint8 *op)
{
  g_autofree char *path = path_from_byte (op[1]);
  g_autofree char *other = path_from_byte (op[2]);
  g_autofree char *staged = g_build_filename (workdir, "staged", NULL);
  struct stat st;

  switch (op[0] % 8)
    {
    case 0:
      mkdir_p (path);
      break;
    case 1:
      write_file (path, op[2], FALSE);
      break;
    case 2:
      if (lstat (path, &st) == 0 && S_ISREG (st.st_mode))
        write_file (path, op[2] | 1, TRUE);
      break;
    case 3:
      if (lstat (path, &st) == 0)
        chmod (path, S_ISDIR (st.st_mode) ? ((st.st_mode & 0777) == 0755 ? 0700 : 0755)
                                          : ((st.st_mode & 0777) == 0644 ? 0600 : 0644));
      break;
    case 4:
      mkdir_parent (other);
      rename (path, other);
      break;
    case 5:
      rm_rf (path);
      break;
    case 6:
      /* An editor's atomic save: a new inode under the old name. */
      write_file (staged, op[2], FALSE);
      mkdir_parent (path);
      if (rename (staged, path) != 0)
        unlink (staged);
      break;
    case 7:
      rmdir (path);
      break;
    }
}

/* path -> struct stat of everything below @dir (not @dir itself). */
static void
walk (GHashTable *truth, const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *entry;

  if (d == NULL)
    return;
  while ((entry = readdir (d)) != NULL)
    {
      g_autofree char *path = NULL;
      struct stat *st;

      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
        continue;
      path = g_build_filename (dir, entry->d_name, NULL);
      st = g_new (struct stat, 1);
      if (lstat (path, st) != 0)
        {
          g_free (st);
          continue;
        }
      g_hash_table_insert (truth, g_strdup (path), st);
      if (S_ISDIR (st->st_mode))
        walk (truth, path);
    }
  closedir (d);
}

static GHashTable *
truth_new (void)
{
  GHashTable *truth = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  walk (truth, tree);
  return truth;
}

static gboolean
same_stat (const struct stat *a, const struct stat *b)
{
  if ((a->st_mode & S_IFMT) != (b->st_mode & S_IFMT) || a->st_ino != b->st_ino || a->st_mode != b->st_mode)
    return FALSE;
  if (S_ISDIR (a->st_mode))
    return TRUE;
  return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* A path whose kind changed, or a directory that is another one now. */
static gboolean
replaced (const struct stat *before, const struct stat *now)
{
  return (before->st_mode & S_IFMT) != (now->st_mode & S_IFMT) ||
         (S_ISDIR (now->st_mode) && before->st_ino != now->st_ino);
}

/* Whether a directory above @path (below the tree) was replaced: then the
 * old subtree is reported deleted and the new one added, path by path, as
 * a watcher sees rm -rf d; mkdir d; touch d/a. */
static gboolean
under_replaced (GHashTable *old_truth, GHashTable *new_truth, const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);

  while (strlen (parent) > strlen (tree))
    {
      const struct stat *before = g_hash_table_lookup (old_truth, parent);
      const struct stat *now = g_hash_table_lookup (new_truth, parent);
      char *up;

      if (before != NULL && now != NULL && replaced (before, now))
        return TRUE;
      up = g_path_get_dirname (parent);
      g_free (parent);
      parent = up;
    }
  return FALSE;
}

/* "change:path" -> TRUE, from the sink. */
static GHashTable *
take_reported (WfSink *sink)
{
  g_autoptr(GPtrArray) changes = wf_sink_take_changes (sink);
  GHashTable *reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < changes->len; i++)
    g_hash_table_add (reported, g_strdup_printf ("%d:%s", wf_file_change_get_change (changes->pdata[i]),
                                                 wf_file_change_get_path (changes->pdata[i])));
  return reported;
}

static gboolean
was_reported (GHashTable *reported, WfChange change, const char *path)
{
  g_autofree char *key = g_strdup_printf ("%d:%s", change, path);
  return g_hash_table_contains (reported, key);
}

static void G_GNUC_NORETURN
fail (GHashTable *reported, const char *what, const char *path)
{
  GHashTableIter iter;
  gpointer key;

  g_printerr ("fuzz-snapshot: %s: %s\nreported:\n", what, path);
  g_hash_table_iter_init (&iter, reported);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_printerr ("  %s\n", (const char *) key);
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  WfKitScanOptions options = { .recursive = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) old_truth = NULL;
  g_autoptr(GHashTable) new_truth = NULL;
  g_autoptr(GHashTable) reported = NULL;
  g_autoptr(GHashTable) again = NULL;
  WfKitSnapshot *snapshot;
  WfSink *sink;
  gsize n_ops, n_old;
  GHashTableIter iter;
  gpointer key, value;

  if (size < 1)
    return 0;
  n_ops = (size - 1) / 3;
  n_old = MIN (data[0], n_ops);

  rm_rf (tree);
  mkdir_p (tree);
  for (gsize i = 0; i < n_old; i++)
    apply (data + 1 + 3 * i);

  sink = wf_sink_new (FALSE, &error);
  g_assert_no_error (error);
  snapshot = wf_kit_snapshot_new (tree, tree, &options);
  g_assert_true (wf_kit_snapshot_build (snapshot, &error));
  g_assert_no_error (error);
  old_truth = truth_new ();

  for (gsize i = n_old; i < n_ops; i++)
    apply (data + 1 + 3 * i);
  new_truth = truth_new ();

  wf_kit_snapshot_rescan (snapshot, sink, WF_RAW_FLAG_NONE);
  reported = take_reported (sink);

  g_hash_table_iter_init (&iter, new_truth);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const struct stat *now = value, *before = g_hash_table_lookup (old_truth, key);

      if (before == NULL)
        {
          if (!was_reported (reported, WF_CHANGE_ADDED, key))
            fail (reported, "new, not reported added", key);
        }
      else if (replaced (before, now) || under_replaced (old_truth, new_truth, key))
        {
          if (!was_reported (reported, WF_CHANGE_ADDED, key) || !was_reported (reported, WF_CHANGE_DELETED, key))
            fail (reported, "replaced, not reported deleted and added", key);
        }
      else if (!same_stat (before, now))
        {
          if (!was_reported (reported, WF_CHANGE_MODIFIED, key))
            fail (reported, "changed, not reported modified", key);
        }
      else if (was_reported (reported, WF_CHANGE_ADDED, key) || was_reported (reported, WF_CHANGE_MODIFIED, key) ||
               was_reported (reported, WF_CHANGE_DELETED, key))
        fail (reported, "unchanged, yet reported", key);
    }
  g_hash_table_iter_init (&iter, old_truth);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (new_truth, key) && !was_reported (reported, WF_CHANGE_DELETED, key))
      fail (reported, "gone, not reported deleted", key);
  g_hash_table_iter_init (&iter, reported);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *path = strchr (key, ':') + 1;

      if (!g_hash_table_contains (new_truth, path) && !g_hash_table_contains (old_truth, path))
        fail (reported, "reported, yet in neither tree", path);
    }

  wf_kit_snapshot_rescan (snapshot, sink, WF_RAW_FLAG_NONE);
  again = take_reported (sink);
  if (g_hash_table_size (again) != 0)
    fail (again, "a second rescan reported changes", tree);

  wf_kit_snapshot_free (snapshot);
  wf_sink_unref (sink);
  return 0;
}
