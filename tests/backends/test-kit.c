/* SPDX-License-Identifier: MIT */
/* test-kit.c: the backend kit on its own, against real directories and the
 * core's real sink, with no kernel events: paths, fingerprints, the
 * directory reader, the snapshot's one rule set (build, rescan, report, a
 * state known by names only), the limit error and the status fill.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wf-sink-private.h"
#include "wf-kit-dir-reader.h"
#include "wf-kit-fingerprint.h"
#include "wf-kit-limit.h"
#include "wf-kit-missing-root.h"
#include "wf-kit-mounts.h"
#include "wf-kit-pace.h"
#include "wf-kit-path.h"
#include "wf-kit-snapshot.h"
#include "wf-kit-status.h"
#include "wf-test-util.h"

typedef WfTestFixture Fixture;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfSink, wf_sink_unref)

static char *
path_in (Fixture *f, const char *relative)
{
  return wf_test_fixture_path (f, relative);
}

static void
write_in (Fixture *f, const char *relative, const char *contents)
{
  g_autofree char *path = path_in (f, relative);
  g_autofree char *parent = g_path_get_dirname (path);

  wf_test_mkdir (parent);
  wf_test_write (path, contents);
}

static void
mkdir_in (Fixture *f, const char *relative)
{
  g_autofree char *path = path_in (f, relative);
  wf_test_mkdir (path);
}

static WfSink *
sink_new (void)
{
  g_autoptr(GError) error = NULL;
  WfSink *sink = wf_sink_new (FALSE, &error);

  g_assert_no_error (error);
  return sink;
}

/* What the sink holds, as "code:path" lines in order, relative to the
 * fixture, then emptied. */
static char *
take (WfSink *sink)
{
  g_autoptr(GPtrArray) changes = wf_sink_take_changes (sink);
  return wf_test_format_changes (changes);
}

static WfKitSnapshot *
snapshot_new (Fixture *f, const char *relative, const WfKitScanOptions *options)
{
  g_autofree char *path = path_in (f, relative);
  g_autoptr(GError) error = NULL;
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (path, NULL, options);

  g_assert_true (wf_kit_snapshot_build (snapshot, &error));
  g_assert_no_error (error);
  return snapshot;
}

static const WfKitScanOptions default_options = { .recursive = TRUE, .follow_symlinks = TRUE };

/* Rescans and asserts the exact set pushed (NULL-terminated change/path pairs as in
 * wf_test_expect_changes). */
#define ASSERT_RESCAN(f, snapshot, sink, ...) \
  G_STMT_START { \
    g_autofree char *expected_ = wf_test_expect_changes ((f), __VA_ARGS__); \
    g_autofree char *seen_ = NULL; \
    wf_kit_snapshot_rescan ((snapshot), (sink), WF_RAW_FLAG_NONE); \
    seen_ = take (sink); \
    g_assert_cmpstr (seen_, ==, expected_); \
  } G_STMT_END

/* ---- paths --------------------------------------------------------------- */

static void
test_path_append (void)
{
  g_autoptr(GString) path = g_string_new ("/");

  wf_kit_path_append_name (path, "a");
  g_assert_cmpstr (path->str, ==, "/a");
  wf_kit_path_append_name (path, "b");
  g_assert_cmpstr (path->str, ==, "/a/b");
  g_string_assign (path, "rel/");
  wf_kit_path_append_name (path, "x");
  g_assert_cmpstr (path->str, ==, "rel/x");
}

static void
test_path_absolute (void)
{
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *expected = g_strconcat (cwd, "/./x", NULL);
  g_autofree char *absolute = wf_kit_path_make_absolute ("./x");
  g_autofree char *already = wf_kit_path_make_absolute ("/a/../b");

  /* Joined, never normalised: the form notify reports for inotify. */
  g_assert_cmpstr (absolute, ==, expected);
  g_assert_cmpstr (already, ==, "/a/../b");
}

static void
test_path_within (void)
{
  g_assert_true (wf_kit_path_is_within ("/a/b", "/a"));
  g_assert_true (wf_kit_path_is_within ("/a", "/a"));
  g_assert_true (wf_kit_path_is_within ("/a/b", "/"));
  g_assert_true (wf_kit_path_is_within ("/a/b", "/a/"));
  g_assert_false (wf_kit_path_is_within ("/ab", "/a"));
  g_assert_false (wf_kit_path_is_within ("/a", "/a/b"));
  g_assert_cmpstr (wf_kit_path_basename ("/a/b.txt"), ==, "b.txt");
  g_assert_cmpstr (wf_kit_path_basename ("plain"), ==, "plain");
}

static void
test_path_nearest_ancestor (Fixture *f, gconstpointer data)
{
  g_autofree char *deep = path_in (f, "gone/deeper/still");
  g_autofree char *file = path_in (f, "file/below");
  g_autofree char *ancestor = NULL;

  mkdir_in (f, "present");
  write_in (f, "file", "x");
  ancestor = wf_kit_path_nearest_existing_ancestor (deep);
  g_assert_cmpstr (ancestor, ==, f->tmpdir);
  g_free (ancestor);
  /* A file on the way is no directory to wait in. */
  ancestor = wf_kit_path_nearest_existing_ancestor (file);
  g_assert_cmpstr (ancestor, ==, f->tmpdir);
  g_free (ancestor);
  ancestor = wf_kit_path_nearest_existing_ancestor ("/");
  g_assert_cmpstr (ancestor, ==, "/");
}

/* ---- fingerprints --------------------------------------------------------- */

static void
fingerprint_of (const char *path, WfKitFingerprint *fingerprint)
{
  struct stat st;

  g_assert_no_errno (lstat (path, &st));
  wf_kit_fingerprint_from_stat (fingerprint, &st);
}

static void
test_fingerprint_rules (Fixture *f, gconstpointer data)
{
  g_autofree char *file = path_in (f, "f");
  g_autofree char *dir = path_in (f, "d");
  WfKitFingerprint before, after;
  int fd;

  write_in (f, "f", "one");
  mkdir_in (f, "d");

  fingerprint_of (file, &before);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &before), ==, WF_KIT_CHANGE_NONE);

  /* Same size, written in place: only the nanosecond mtime tells. */
  g_usleep (20000);
  fd = open (file, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "two", 3), ==, 3);
  close (fd);
  fingerprint_of (file, &after);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &after), ==, WF_KIT_CHANGE_DATA);

  before = after;
  g_usleep (20000);
  g_assert_no_errno (g_chmod (file, 0600));
  fingerprint_of (file, &after);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &after), ==, WF_KIT_CHANGE_METADATA);

  /* An atomic save: same contents size, another inode. */
  before = after;
  write_in (f, "f", "two");
  fingerprint_of (file, &after);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &after), ==, WF_KIT_CHANGE_DATA);

  /* A directory: its times move with its entries, which are reported
   * themselves; its mode is its own. */
  fingerprint_of (dir, &before);
  write_in (f, "d/entry", "");
  fingerprint_of (dir, &after);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &after), ==, WF_KIT_CHANGE_NONE);
  g_assert_no_errno (g_chmod (dir, 0700));
  fingerprint_of (dir, &after);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &after), ==, WF_KIT_CHANGE_METADATA);

  /* Another kind of file under the name. */
  fingerprint_of (file, &before);
  g_assert_no_errno (g_unlink (file));
  wf_test_mkdir (file);
  fingerprint_of (file, &after);
  g_assert_cmpint (wf_kit_fingerprint_compare (&before, &after), ==, WF_KIT_CHANGE_REPLACED);
  g_assert_true (wf_kit_fingerprint_is_dir (&after));
}

static void
test_fingerprint_since (Fixture *f, gconstpointer data)
{
  g_autofree char *file = path_in (f, "f");
  g_autofree char *dir = path_in (f, "d");
  WfKitFingerprint now;
  gint64 since;

  write_in (f, "f", "x");
  mkdir_in (f, "d");
  fingerprint_of (file, &now);
  since = now.ctime_ns + 1;
  g_assert_cmpint (wf_kit_fingerprint_compare_since (FALSE, since, &now), ==, WF_KIT_CHANGE_NONE);
  g_assert_cmpint (wf_kit_fingerprint_compare_since (FALSE, now.ctime_ns, &now), ==, WF_KIT_CHANGE_DATA);
  g_assert_cmpint (wf_kit_fingerprint_compare_since (TRUE, since, &now), ==, WF_KIT_CHANGE_REPLACED);

  /* A directory whose ctime moved with its mtime only gained or lost
   * entries. */
  write_in (f, "d/e", "");
  fingerprint_of (dir, &now);
  g_assert_cmpint (wf_kit_fingerprint_compare_since (TRUE, 0, &now), ==, WF_KIT_CHANGE_NONE);
  g_usleep (20000);
  g_assert_no_errno (g_chmod (dir, 0700));
  fingerprint_of (dir, &now);
  g_assert_cmpint (wf_kit_fingerprint_compare_since (TRUE, 0, &now), ==, WF_KIT_CHANGE_METADATA);
}

/* ---- scan options ---------------------------------------------------------- */

/* What every backend reads from start()'s options, once: fields an older
 * core did not have (its struct_size ends before them) keep RustNotify's
 * defaults, and the rules are referenced until cleared. */
static void
test_scan_options (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  WfBackendOptions options = {
    .struct_size = sizeof (WfBackendOptions),
    .recursive = FALSE,
    .follow_symlinks = FALSE,
    .ignore_permission_denied = TRUE,
    .ignore_rules = rules,
  };
  WfKitScanOptions scan;

  wf_ignore_rules_seal (rules);
  wf_kit_scan_options_init (&scan, NULL);
  g_assert_true (scan.recursive);
  g_assert_true (scan.follow_symlinks);
  g_assert_false (scan.ignore_permission_denied);
  g_assert_null (scan.ignore_rules);
  wf_kit_scan_options_clear (&scan);

  wf_kit_scan_options_init (&scan, &options);
  g_assert_false (scan.recursive);
  g_assert_false (scan.follow_symlinks);
  g_assert_true (scan.ignore_permission_denied);
  g_assert_true (scan.ignore_rules == rules);
  g_assert_cmpuint (G_OBJECT (rules)->ref_count, ==, 2);
  wf_kit_scan_options_clear (&scan);
  g_assert_null (scan.ignore_rules);
  g_assert_cmpuint (G_OBJECT (rules)->ref_count, ==, 1);

  /* A core built when the struct ended after recursive. */
  options.struct_size = G_STRUCT_OFFSET (WfBackendOptions, follow_symlinks);
  wf_kit_scan_options_init (&scan, &options);
  g_assert_false (scan.recursive);
  g_assert_true (scan.follow_symlinks);
  g_assert_false (scan.ignore_permission_denied);
  g_assert_null (scan.ignore_rules);
  wf_kit_scan_options_clear (&scan);
}

/* ---- the directory reader ------------------------------------------------- */

static void
test_dir_reader (Fixture *f, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GString) path = g_string_new (f->tmpdir);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  WfKitDirReader reader;
  const char *name;
  int errsv;

  write_in (f, "kept", "");
  mkdir_in (f, "node_modules/pkg");
  write_in (f, "x.swp", "");
  g_assert_true (wf_ignore_rules_add_dir_name (rules, "node_modules", &error));
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "\\.swp$", &error));
  wf_ignore_rules_seal (rules);

  g_assert_cmpint (wf_kit_dir_reader_open (&reader, AT_FDCWD, f->tmpdir, FALSE, path, rules, f->tmpdir), ==, 0);
  while ((name = wf_kit_dir_reader_next (&reader, &errsv)) != NULL)
    {
      g_autofree char *expected_path = path_in (f, name);
      g_assert_cmpstr (path->str, ==, expected_path);
      g_ptr_array_add (seen, g_strdup (name));
    }
  g_assert_cmpint (errsv, ==, 0);
  wf_kit_dir_reader_close (&reader);
  g_assert_cmpstr (path->str, ==, f->tmpdir);
  /* ".", ".." and the ignored entries never come out. */
  g_assert_cmpuint (seen->len, ==, 1);
  g_assert_cmpstr (seen->pdata[0], ==, "kept");

  g_assert_cmpint (wf_kit_dir_reader_open (&reader, AT_FDCWD, "kept", FALSE, path, NULL, NULL), ==, ENOENT);
}

/* More entries than one read of the reader's buffer holds (on Linux,
 * getdents64() into 32 KiB: 3,000 names of 60 bytes take about 240 KiB):
 * every one comes out once, whatever the number of reads. */
static void
test_dir_reader_large (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) path = g_string_new (f->tmpdir);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  WfKitDirReader reader;
  const char *name;
  int errsv;

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *file = g_strdup_printf ("entry-%04u-a-name-long-enough-to-fill-a-buffer-quickly", i);
      write_in (f, file, "");
    }
  g_assert_cmpint (wf_kit_dir_reader_open (&reader, AT_FDCWD, f->tmpdir, FALSE, path, NULL, NULL), ==, 0);
  while ((name = wf_kit_dir_reader_next (&reader, &errsv)) != NULL)
    {
      g_assert_true (g_str_has_prefix (name, "entry-"));
      g_assert_true (g_hash_table_add (seen, g_strdup (name)));
    }
  g_assert_cmpint (errsv, ==, 0);
  wf_kit_dir_reader_close (&reader);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 3000);
}

/* A directory the caller opened itself (inotify opens one to watch it):
 * listed whole with each entry's type as the listing gives it, and the
 * descriptor still the caller's, open, after the reader is closed. */
static void
test_dir_reader_borrowed (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) path = g_string_new (f->tmpdir);
  g_autoptr(GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *target = path_in (f, "dir");
  g_autofree char *link = path_in (f, "link");
  WfKitDirReader reader;
  const char *name;
  struct stat st;
  int errsv;
  int fd;

  write_in (f, "file", "");
  mkdir_in (f, "dir");
  g_assert_no_errno (symlink (target, link));
  fd = open (f->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);

  g_assert_cmpint (wf_kit_dir_reader_open_borrowed (&reader, fd, path, NULL, NULL), ==, 0);
  while ((name = wf_kit_dir_reader_next (&reader, &errsv)) != NULL)
    {
      guint type = wf_kit_dir_reader_get_type (&reader);

      /* DT_UNKNOWN is allowed (a file system that does not say), a wrong
       * type is not. */
      if (type == DT_UNKNOWN)
        {
          g_assert_no_errno (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW));
          type = S_ISDIR (st.st_mode) ? DT_DIR : S_ISLNK (st.st_mode) ? DT_LNK : DT_REG;
        }
      g_assert_true (g_hash_table_insert (types, g_strdup (name), GUINT_TO_POINTER (type)));
    }
  g_assert_cmpint (errsv, ==, 0);
  wf_kit_dir_reader_close (&reader);
  g_assert_cmpstr (path->str, ==, f->tmpdir);
  g_assert_cmpuint (g_hash_table_size (types), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (types, "file")), ==, DT_REG);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (types, "dir")), ==, DT_DIR);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (types, "link")), ==, DT_LNK);

  /* Still open, and still the directory. */
  g_assert_no_errno (fstat (fd, &st));
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_no_errno (close (fd));
}

/* ---- the snapshot --------------------------------------------------------- */

static void
test_snapshot_files (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  WfKitSnapshot *snapshot;
  g_autofree char *file = path_in (f, "r/a");

  write_in (f, "r/a", "1");
  snapshot = snapshot_new (f, "r", &default_options);
  g_assert_true (wf_kit_snapshot_has_root (snapshot));
  g_assert_cmpuint (wf_kit_snapshot_get_n_directories (snapshot), ==, 1);
  g_assert_cmpuint (wf_kit_snapshot_get_n_entries (snapshot), ==, 2);

  ASSERT_RESCAN (f, snapshot, sink, 0);
  write_in (f, "r/b", "");
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_ADDED, "r/b", 0);
  write_in (f, "r/a", "2");
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_MODIFIED, "r/a", 0);
  g_assert_no_errno (g_chmod (file, 0600));
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_MODIFIED, "r/a", 0);
  g_assert_no_errno (g_unlink (file));
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_DELETED, "r/a", 0);
  wf_kit_snapshot_free (snapshot);
}

static void
test_snapshot_subtrees (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *d = path_in (f, "r/d");
  g_autofree char *moved = path_in (f, "r/m");
  g_autofree char *outside = path_in (f, "out");
  WfKitSnapshot *snapshot;

  write_in (f, "r/d/e/f", "");
  snapshot = snapshot_new (f, "r", &default_options);

  /* Renamed inside: everything below leaves under the old name and
   * arrives under the new one (DESIGN rule 9). */
  g_assert_no_errno (g_rename (d, moved));
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_DELETED, "r/d", WF_CHANGE_DELETED, "r/d/e", WF_CHANGE_DELETED, "r/d/e/f",
                 WF_CHANGE_ADDED, "r/m", WF_CHANGE_ADDED, "r/m/e", WF_CHANGE_ADDED, "r/m/e/f", 0);
  /* Moved out, then back in. */
  g_assert_no_errno (g_rename (moved, outside));
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_DELETED, "r/m", WF_CHANGE_DELETED, "r/m/e", WF_CHANGE_DELETED, "r/m/e/f", 0);
  g_assert_no_errno (g_rename (outside, d));
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_ADDED, "r/d", WF_CHANGE_ADDED, "r/d/e", WF_CHANGE_ADDED, "r/d/e/f", 0);

  /* A file replaced by a directory, and back. */
  write_in (f, "r/x", "");
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_ADDED, "r/x", 0);
  {
    g_autofree char *x = path_in (f, "r/x");
    g_assert_no_errno (g_unlink (x));
    write_in (f, "r/x/inner", "");
    ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_DELETED, "r/x", WF_CHANGE_ADDED, "r/x",
                   WF_CHANGE_ADDED, "r/x/inner", 0);
    wf_test_rm_rf (x);
    write_in (f, "r/x", "");
    ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_DELETED, "r/x", WF_CHANGE_DELETED, "r/x/inner",
                   WF_CHANGE_ADDED, "r/x", 0);
  }

  /* rm -r: every path below is named. */
  wf_test_rm_rf (d);
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_DELETED, "r/d", WF_CHANGE_DELETED, "r/d/e", WF_CHANGE_DELETED, "r/d/e/f", 0);
  wf_kit_snapshot_free (snapshot);
}

static void
test_snapshot_root_comes_and_goes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *root = path_in (f, "r");
  WfKitSnapshot *snapshot;

  write_in (f, "r/s/f", "");
  snapshot = snapshot_new (f, "r", &default_options);
  wf_test_rm_rf (root);
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_DELETED, "r", WF_CHANGE_DELETED, "r/s", WF_CHANGE_DELETED, "r/s/f", 0);
  g_assert_false (wf_kit_snapshot_has_root (snapshot));
  ASSERT_RESCAN (f, snapshot, sink, 0);
  write_in (f, "r/s/g", "");
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/s", WF_CHANGE_ADDED, "r/s/g", 0);

  /* report(): the same subtree, either way. */
  wf_kit_snapshot_report (snapshot, sink, WF_RAW_CREATED, WF_RAW_FLAG_SCAN);
  {
    g_autofree char *seen = take (sink);
    g_autofree char *expected = wf_test_expect_changes (f, WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/s",
                                                        WF_CHANGE_ADDED, "r/s/g", 0);
    g_assert_cmpstr (seen, ==, expected);
  }
  wf_kit_snapshot_report (snapshot, sink, WF_RAW_DELETED, WF_RAW_FLAG_NONE);
  {
    g_autofree char *seen = take (sink);
    g_autofree char *expected = wf_test_expect_changes (f, WF_CHANGE_DELETED, "r", WF_CHANGE_DELETED, "r/s",
                                                        WF_CHANGE_DELETED, "r/s/g", 0);
    g_assert_cmpstr (seen, ==, expected);
  }

  /* lookup(): the entries by path, in the snapshot's form; none outside. */
  {
    g_autofree char *s_path = path_in (f, "r/s");
    g_autofree char *g_path = path_in (f, "r/s/g");
    g_autofree char *g_slash = path_in (f, "r/s//g/");
    g_autofree char *unknown = path_in (f, "r/s/h");
    g_autofree char *beside = path_in (f, "rr");
    WfKitEntry *s_entry = wf_kit_snapshot_lookup (snapshot, s_path);

    g_assert_true (wf_kit_snapshot_lookup (snapshot, root) == wf_kit_snapshot_get_root (snapshot));
    g_assert_nonnull (s_entry);
    g_assert_true (wf_kit_entry_is_dir (s_entry));
    g_assert_true (wf_kit_snapshot_lookup (snapshot, g_path) ==
                   g_hash_table_lookup (wf_kit_entry_get_children (s_entry), "g"));
    g_assert_true (wf_kit_snapshot_lookup (snapshot, g_slash) == wf_kit_snapshot_lookup (snapshot, g_path));
    g_assert_null (wf_kit_snapshot_lookup (snapshot, unknown));
    g_assert_null (wf_kit_snapshot_lookup (snapshot, beside));
  }

  /* report_below(): what lies below an entry, under another path (an
   * alias's), that path given back as it was. */
  {
    g_autofree char *alias = path_in (f, "alias");
    g_autoptr(GString) path = g_string_new (alias);
    g_autofree char *seen = NULL;
    g_autofree char *expected = wf_test_expect_changes (f, WF_CHANGE_DELETED, "alias/s", WF_CHANGE_DELETED,
                                                        "alias/s/g", 0);

    wf_kit_entry_report_below (wf_kit_snapshot_get_root (snapshot), path, sink, WF_RAW_DELETED, WF_RAW_FLAG_NONE);
    g_assert_cmpstr (path->str, ==, alias);
    seen = take (sink);
    g_assert_cmpstr (seen, ==, expected);
  }
  wf_kit_snapshot_free (snapshot);
}

static void
test_snapshot_missing_root (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = path_in (f, "nope");
  g_autoptr(GError) error = NULL;
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (missing, NULL, &default_options);

  g_assert_false (wf_kit_snapshot_build (snapshot, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (wf_kit_snapshot_has_root (snapshot));
  wf_kit_snapshot_free (snapshot);
}

static void
test_snapshot_symlink_loop (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *link = path_in (f, "r/d/up");
  g_autofree char *target = path_in (f, "r");
  WfKitSnapshot *snapshot;

  mkdir_in (f, "r/d");
  g_assert_no_errno (symlink (target, link));
  snapshot = snapshot_new (f, "r", &default_options);
  /* r, r/d and the link, which leads back to an ancestor: not entered. */
  g_assert_cmpuint (wf_kit_snapshot_get_n_entries (snapshot), ==, 3);
  g_assert_cmpuint (wf_kit_snapshot_get_n_directories (snapshot), ==, 2);
  write_in (f, "r/d/f", "");
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_ADDED, "r/d/f", 0);
  wf_kit_snapshot_free (snapshot);
}

static void
test_snapshot_non_utf8 (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *odd = path_in (f, "r/caf\xe9");
  g_autoptr(GPtrArray) changes = NULL;
  WfKitSnapshot *snapshot;

  mkdir_in (f, "r");
  snapshot = snapshot_new (f, "r", &default_options);
  wf_test_write (odd, "");
  wf_kit_snapshot_rescan (snapshot, sink, WF_RAW_FLAG_NONE);
  changes = wf_sink_take_changes (sink);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpstr (wf_file_change_get_path (changes->pdata[0]), ==, odd);
  wf_kit_snapshot_free (snapshot);
}

static void
test_snapshot_ignore_and_non_recursive (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *hidden = path_in (f, "r/node_modules");
  WfKitScanOptions options = default_options;
  WfKitSnapshot *snapshot;

  write_in (f, "r/node_modules/p/f", "");
  write_in (f, "r/sub/g", "");
  g_assert_true (wf_ignore_rules_add_dir_name (rules, "node_modules", &error));
  wf_ignore_rules_seal (rules);
  options.ignore_rules = rules;
  /* An unreadable ignored directory fails nothing: it is never opened. */
  g_assert_no_errno (g_chmod (hidden, 0));
  snapshot = snapshot_new (f, "r", &options);
  g_assert_no_errno (g_chmod (hidden, 0755));
  g_assert_cmpuint (wf_kit_snapshot_get_n_entries (snapshot), ==, 3);
  write_in (f, "r/node_modules/p/new", "");
  write_in (f, "r/sub/h", "");
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_ADDED, "r/sub/h", 0);
  wf_kit_snapshot_free (snapshot);

  options = default_options;
  options.recursive = FALSE;
  snapshot = snapshot_new (f, "r", &options);
  write_in (f, "r/sub/i", "");
  write_in (f, "r/top", "");
  ASSERT_RESCAN (f, snapshot, sink, WF_CHANGE_ADDED, "r/top", 0);
  wf_kit_snapshot_free (snapshot);
}

/* ---- one directory rescanned -------------------------------------------- */

/* Rescans the directory @relative only and asserts the exact set pushed. */
#define ASSERT_RESCAN_DIR(f, snapshot, relative, sink, ...) \
  G_STMT_START { \
    g_autofree char *expected_ = wf_test_expect_changes ((f), __VA_ARGS__); \
    g_autofree char *dir_ = path_in ((f), (relative)); \
    g_autofree char *seen_ = NULL; \
    wf_kit_snapshot_rescan_directory ((snapshot), dir_, (sink), WF_RAW_FLAG_NONE); \
    seen_ = take (sink); \
    g_assert_cmpstr (seen_, ==, expected_); \
  } G_STMT_END

/* The counts of @snapshot are those of a fresh build of its tree. */
static void
assert_counts_fresh (Fixture *f, WfKitSnapshot *snapshot, const char *relative,
                     const WfKitScanOptions *options)
{
  WfKitSnapshot *fresh = snapshot_new (f, relative, options);

  g_assert_cmpuint (wf_kit_snapshot_get_n_directories (snapshot), ==, wf_kit_snapshot_get_n_directories (fresh));
  g_assert_cmpuint (wf_kit_snapshot_get_n_entries (snapshot), ==, wf_kit_snapshot_get_n_entries (fresh));
  wf_kit_snapshot_free (fresh);
}

static void
test_rescan_directory_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *d = path_in (f, "r/d");
  g_autofree char *x = path_in (f, "r/x");
  g_autofree char *y = path_in (f, "r/y");
  g_autofree char *s = path_in (f, "r/s");
  g_autofree char *s2 = path_in (f, "r/s2");
  WfKitSnapshot *snapshot;

  write_in (f, "r/d/e/f", "");
  write_in (f, "r/s/g", "");
  write_in (f, "r/x", "");
  snapshot = snapshot_new (f, "r", &default_options);

  /* A new file and a new tree: everything below it, from one listing. */
  write_in (f, "r/n", "");
  write_in (f, "r/t/u/v", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r", sink,
                     WF_CHANGE_ADDED, "r/n", WF_CHANGE_ADDED, "r/t", WF_CHANGE_ADDED, "r/t/u",
                     WF_CHANGE_ADDED, "r/t/u/v", 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);

  /* Renames within the directory: a file, and a directory with its tree. */
  g_assert_no_errno (g_rename (x, y));
  g_assert_no_errno (g_rename (s, s2));
  ASSERT_RESCAN_DIR (f, snapshot, "r", sink,
                     WF_CHANGE_DELETED, "r/s", WF_CHANGE_DELETED, "r/s/g", WF_CHANGE_ADDED, "r/s2",
                     WF_CHANGE_ADDED, "r/s2/g", WF_CHANGE_DELETED, "r/x", WF_CHANGE_ADDED, "r/y", 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);

  /* rm -r: every path known below is named. */
  wf_test_rm_rf (d);
  ASSERT_RESCAN_DIR (f, snapshot, "r", sink,
                     WF_CHANGE_DELETED, "r/d", WF_CHANGE_DELETED, "r/d/e", WF_CHANGE_DELETED, "r/d/e/f", 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);

  /* Nothing left for a whole rescan to find. */
  ASSERT_RESCAN (f, snapshot, sink, 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);
  wf_kit_snapshot_free (snapshot);
}

static void
test_rescan_directory_shallow (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  WfKitSnapshot *snapshot;

  write_in (f, "r/a/b/f", "1");
  snapshot = snapshot_new (f, "r", &default_options);

  /* Two levels down: not the top directory's nor its child's listing. */
  write_in (f, "r/a/b/f", "22");
  write_in (f, "r/a/b/new", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r", sink, 0);
  ASSERT_RESCAN_DIR (f, snapshot, "r/a", sink, 0);
  ASSERT_RESCAN_DIR (f, snapshot, "r/a/b", sink, WF_CHANGE_MODIFIED, "r/a/b/f", WF_CHANGE_ADDED, "r/a/b/new", 0);
  ASSERT_RESCAN_DIR (f, snapshot, "r/a/b", sink, 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);

  /* The directory's own chmod is seen by its own rescan too. */
  {
    g_autofree char *b = path_in (f, "r/a/b");
    g_assert_no_errno (g_chmod (b, 0700));
    ASSERT_RESCAN_DIR (f, snapshot, "r/a/b", sink, WF_CHANGE_MODIFIED, "r/a/b", 0);
    ASSERT_RESCAN (f, snapshot, sink, 0);
  }
  wf_kit_snapshot_free (snapshot);
}

static void
test_rescan_directory_fallback (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *b = path_in (f, "r/a/b");
  g_autofree char *root = path_in (f, "r");
  g_autofree char *outside = path_in (f, "elsewhere");
  WfKitSnapshot *snapshot;

  write_in (f, "r/a/b/c/f", "");
  write_in (f, "r/a/file", "1");
  snapshot = snapshot_new (f, "r", &default_options);

  /* Unknown below a known directory: that directory's listing. */
  write_in (f, "r/a/new/deeper/g", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r/a/new/deeper", sink,
                     WF_CHANGE_ADDED, "r/a/new", WF_CHANGE_ADDED, "r/a/new/deeper",
                     WF_CHANGE_ADDED, "r/a/new/deeper/g", 0);
  /* A trailing file: its directory. */
  write_in (f, "r/a/file", "22");
  ASSERT_RESCAN_DIR (f, snapshot, "r/a/file", sink, WF_CHANGE_MODIFIED, "r/a/file", 0);
  /* Gone: the nearest ancestor still there sees it leave with its tree. */
  wf_test_rm_rf (b);
  ASSERT_RESCAN_DIR (f, snapshot, "r/a/b/c", sink,
                     WF_CHANGE_DELETED, "r/a/b", WF_CHANGE_DELETED, "r/a/b/c", WF_CHANGE_DELETED, "r/a/b/c/f", 0);
  /* A directory replaced by a file under its name. */
  write_in (f, "r/a/b", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r/a/b", sink, WF_CHANGE_ADDED, "r/a/b", 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);
  /* Not below the snapshot: the whole of it. */
  write_in (f, "r/a/new/deeper/h", "");
  ASSERT_RESCAN_DIR (f, snapshot, "elsewhere", sink, WF_CHANGE_ADDED, "r/a/new/deeper/h", 0);

  /* The root itself: gone, then back with a tree. */
  g_assert_no_errno (g_rename (root, outside));
  ASSERT_RESCAN_DIR (f, snapshot, "r/a", sink,
                     WF_CHANGE_DELETED, "r", WF_CHANGE_DELETED, "r/a", WF_CHANGE_DELETED, "r/a/b",
                     WF_CHANGE_DELETED, "r/a/file", WF_CHANGE_DELETED, "r/a/new",
                     WF_CHANGE_DELETED, "r/a/new/deeper", WF_CHANGE_DELETED, "r/a/new/deeper/g",
                     WF_CHANGE_DELETED, "r/a/new/deeper/h", 0);
  g_assert_cmpuint (wf_kit_snapshot_get_n_entries (snapshot), ==, 0);
  write_in (f, "r/z/y", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r", sink,
                     WF_CHANGE_ADDED, "r", WF_CHANGE_ADDED, "r/z", WF_CHANGE_ADDED, "r/z/y", 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);
  wf_kit_snapshot_free (snapshot);

  /* A file root. */
  write_in (f, "file-root", "1");
  snapshot = snapshot_new (f, "file-root", &default_options);
  write_in (f, "file-root", "22");
  ASSERT_RESCAN_DIR (f, snapshot, "file-root", sink, WF_CHANGE_MODIFIED, "file-root", 0);
  wf_kit_snapshot_free (snapshot);
}

static void
test_rescan_directory_symlink_loop (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *up = path_in (f, "r/d/up");
  g_autofree char *back = path_in (f, "r/d/n/back");
  g_autofree char *root = path_in (f, "r");
  g_autofree char *d = path_in (f, "r/d");
  WfKitSnapshot *snapshot;

  mkdir_in (f, "r/d");
  g_assert_no_errno (symlink (root, up));
  snapshot = snapshot_new (f, "r", &default_options);

  /* Links to the root and to the directory rescanned: named, not entered
   * (the stack holds the target's ancestors before it starts). */
  write_in (f, "r/d/f", "");
  mkdir_in (f, "r/d/n");
  g_assert_no_errno (symlink (d, back));
  ASSERT_RESCAN_DIR (f, snapshot, "r/d", sink,
                     WF_CHANGE_ADDED, "r/d/f", WF_CHANGE_ADDED, "r/d/n", WF_CHANGE_ADDED, "r/d/n/back", 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);
  ASSERT_RESCAN (f, snapshot, sink, 0);
  wf_kit_snapshot_free (snapshot);
}

/* Ignored and not recursing: what a whole rescan does not read, the
 * rescan of a directory there does not either (it falls back to the
 * nearest listed ancestor, which lists the same). */
static void
test_rescan_directory_ignore_and_non_recursive (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;
  WfKitScanOptions options = default_options;
  WfKitSnapshot *snapshot;

  write_in (f, "r/node_modules/p/f", "");
  write_in (f, "r/sub/g", "");
  g_assert_true (wf_ignore_rules_add_dir_name (rules, "node_modules", &error));
  wf_ignore_rules_seal (rules);
  options.ignore_rules = rules;
  snapshot = snapshot_new (f, "r", &options);
  write_in (f, "r/node_modules/p/new", "");
  write_in (f, "r/sub/h", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r/node_modules/p", sink, 0);
  ASSERT_RESCAN_DIR (f, snapshot, "r/sub", sink, WF_CHANGE_ADDED, "r/sub/h", 0);
  assert_counts_fresh (f, snapshot, "r", &options);
  wf_kit_snapshot_free (snapshot);

  options = default_options;
  options.recursive = FALSE;
  snapshot = snapshot_new (f, "r", &options);
  write_in (f, "r/sub/i", "");
  write_in (f, "r/top", "");
  ASSERT_RESCAN_DIR (f, snapshot, "r/sub", sink, WF_CHANGE_ADDED, "r/top", 0);
  assert_counts_fresh (f, snapshot, "r", &options);
  wf_kit_snapshot_free (snapshot);
}

static void
test_rescan_directory_unreadable (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *a = path_in (f, "r/a");
  WfKitSnapshot *snapshot;

  if (geteuid () == 0)
    {
      g_test_skip ("root reads any directory");
      return;
    }
  write_in (f, "r/a/f", "");
  snapshot = snapshot_new (f, "r", &default_options);
  g_assert_no_errno (g_chmod (a, 0));
  wf_kit_snapshot_rescan_directory (snapshot, a, sink, WF_RAW_FLAG_NONE);
  g_assert_cmpuint (wf_kit_snapshot_get_n_failed (snapshot), ==, 1);
  /* Reported once, what was known below kept (nothing deleted). */
  g_assert_cmpuint (wf_kit_snapshot_rescan_directory (snapshot, a, sink, WF_RAW_FLAG_NONE), ==, 0);
  g_free (take (sink));
  /* Its chmods are changes of it, as a whole rescan reports them. */
  g_assert_no_errno (g_chmod (a, 0755));
  ASSERT_RESCAN_DIR (f, snapshot, "r/a", sink, WF_CHANGE_MODIFIED, "r/a", 0);
  g_assert_cmpuint (wf_kit_snapshot_get_n_failed (snapshot), ==, 0);
  assert_counts_fresh (f, snapshot, "r", &default_options);
  wf_kit_snapshot_free (snapshot);
}

/* A native backend's names-only state, rescanned: the ctime rule for what
 * it knew, the fingerprint rules from then on. */
static void
test_snapshot_known_by_name (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *root = path_in (f, "r");
  g_autofree char *kept = path_in (f, "r/kept");
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (root, NULL, &default_options);
  WfKitEntry *top, *sub;
  struct stat st;

  write_in (f, "r/touched", "");
  write_in (f, "r/sub/old", "");
  write_in (f, "r/alias/inside", "");
  write_in (f, "r/unwatched/u", "");
  write_in (f, "r/became-dir/b", "");
  write_in (f, "r/kept", "");
  g_assert_no_errno (stat (kept, &st));

  top = wf_kit_snapshot_add_known (snapshot, NULL, NULL, WF_KIT_KNOWN_DIRECTORY);
  wf_kit_snapshot_add_known (snapshot, top, "kept", WF_KIT_KNOWN_FILE);
  wf_kit_snapshot_add_known (snapshot, top, "touched", WF_KIT_KNOWN_FILE);
  wf_kit_snapshot_add_known (snapshot, top, "gone", WF_KIT_KNOWN_FILE);
  sub = wf_kit_snapshot_add_known (snapshot, top, "sub", WF_KIT_KNOWN_DIRECTORY);
  wf_kit_snapshot_add_known (snapshot, sub, "old", WF_KIT_KNOWN_FILE);
  wf_kit_snapshot_add_known (snapshot, sub, "lost", WF_KIT_KNOWN_DIRECTORY);
  /* Reported through another path: never listed here. */
  wf_kit_snapshot_add_known (snapshot, top, "alias", WF_KIT_KNOWN_OPAQUE);
  /* Kind not kept, a directory now: listed as new. */
  wf_kit_snapshot_add_known (snapshot, top, "unwatched", WF_KIT_KNOWN_NAME);
  /* A file then, a directory now. */
  wf_kit_snapshot_add_known (snapshot, top, "became-dir", WF_KIT_KNOWN_FILE);
  wf_kit_snapshot_set_known_since (snapshot, (gint64) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec + 1);

  /* File times come from a coarse clock (a jiffy or more). */
  g_usleep (20000);
  write_in (f, "r/touched", "new");
  write_in (f, "r/fresh", "");
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_MODIFIED, "r/touched", WF_CHANGE_DELETED, "r/gone",
                 WF_CHANGE_DELETED, "r/sub/lost", WF_CHANGE_ADDED, "r/fresh",
                 WF_CHANGE_ADDED, "r/unwatched/u",
                 WF_CHANGE_DELETED, "r/became-dir", WF_CHANGE_ADDED, "r/became-dir",
                 WF_CHANGE_ADDED, "r/became-dir/b", 0);
  /* Fingerprinted now: the next rescan is a plain comparison. */
  ASSERT_RESCAN (f, snapshot, sink, 0);
  wf_kit_snapshot_free (snapshot);
}

/* A directory's chmod in a names-only state: its ctime alone cannot tell
 * it once an entry came in afterwards (mtime moves with it), its known
 * mode can.  And a directory known by name stays one while unread. */
static void
test_snapshot_known_mode (Fixture *f, gconstpointer data)
{
  g_autoptr(WfSink) sink = sink_new ();
  g_autofree char *root = path_in (f, "r");
  g_autofree char *chmodded = path_in (f, "r/chmodded");
  WfKitSnapshot *snapshot = wf_kit_snapshot_new (root, NULL, &default_options);
  WfKitSnapshot *held;
  WfKitEntry *top, *entry;
  struct stat st;

  mkdir_in (f, "r/chmodded");
  mkdir_in (f, "r/same");
  g_assert_no_errno (stat (chmodded, &st));

  top = wf_kit_snapshot_add_known (snapshot, NULL, NULL, WF_KIT_KNOWN_DIRECTORY);
  entry = wf_kit_snapshot_add_known (snapshot, top, "chmodded", WF_KIT_KNOWN_DIRECTORY);
  wf_kit_entry_set_known_mode (entry, st.st_mode);
  g_assert_true (wf_kit_entry_is_dir (entry));
  entry = wf_kit_snapshot_add_known (snapshot, top, "same", WF_KIT_KNOWN_DIRECTORY);
  wf_kit_entry_set_known_mode (entry, st.st_mode);
  wf_kit_snapshot_set_known_since (snapshot, 0);

  /* Kept as it was reported: a copy, with what it knows. */
  held = wf_kit_snapshot_new_holding (root, top);
  g_assert_true (wf_kit_entry_is_dir (g_hash_table_lookup (wf_kit_entry_get_children (wf_kit_snapshot_get_root (held)),
                                                           "chmodded")));
  wf_kit_snapshot_free (held);

  g_assert_no_errno (chmod (chmodded, 0700));
  g_usleep (20000);
  write_in (f, "r/chmodded/new", "");
  ASSERT_RESCAN (f, snapshot, sink,
                 WF_CHANGE_MODIFIED, "r/chmodded", WF_CHANGE_ADDED, "r/chmodded/new", 0);
  wf_kit_snapshot_free (snapshot);
}

/* ---- the way back of a missing root -------------------------------------- */

static void
test_missing_root (Fixture *f, gconstpointer data)
{
  g_autofree char *root_path = path_in (f, "a/b/root//");
  g_autofree char *a = path_in (f, "a");
  WfKitMissingRoot root;
  g_autofree gsize *ends = NULL;
  g_autofree char *nearest = NULL;
  guint n_levels;

  wf_kit_missing_root_init (&root, root_path);
  g_assert_true (g_str_has_suffix (root.path, "/a/b/root"));
  g_assert_false (wf_kit_missing_root_exists (&root));

  /* Only the fixture exists: wait there, for "a". */
  nearest = wf_kit_missing_root_climb (&root);
  g_assert_cmpstr (nearest, ==, f->tmpdir);
  n_levels = wf_kit_missing_root_levels (&root, &ends);
  {
    g_auto (GStrv) components = g_strsplit (f->tmpdir, "/", -1);
    /* "/" and one level per component ("" before the first slash is "/"). */
    g_assert_cmpuint (n_levels, ==, g_strv_length (components));
  }
  g_assert_cmpuint (ends[0], ==, 1);
  g_assert_cmpuint (ends[n_levels - 1], ==, strlen (f->tmpdir));
  g_assert_true (wf_kit_missing_root_is_next (&root, "a"));
  g_assert_false (wf_kit_missing_root_is_next (&root, "b"));
  g_assert_false (wf_kit_missing_root_next_exists (&root));

  /* "a" as a file is no way down; as a directory it is. */
  write_in (f, "a", "");
  g_assert_false (wf_kit_missing_root_next_exists (&root));
  g_assert_no_errno (g_unlink (a));
  mkdir_in (f, "a/b");
  g_assert_true (wf_kit_missing_root_next_exists (&root));
  g_free (nearest);
  nearest = wf_kit_missing_root_climb (&root);
  g_assert_true (g_str_has_suffix (nearest, "/a/b"));
  g_assert_true (wf_kit_missing_root_is_next (&root, "root"));

  /* The root itself may be a file. */
  write_in (f, "a/b/root", "");
  g_assert_true (wf_kit_missing_root_next_exists (&root));
  g_assert_true (wf_kit_missing_root_exists (&root));
  wf_kit_missing_root_clear (&root);
}

/* ---- silent filesystems and the pace ------------------------------------- */

static void
test_fs_type_patterns (void)
{
  const char *const patterns[] = { "nfs", "fuse", "fuse.*", NULL };
  const char *const only_subtypes[] = { "fuse.*", NULL };

  g_assert_true (wf_kit_fs_type_matches ("nfs", patterns));
  g_assert_false (wf_kit_fs_type_matches ("nfs4", patterns));
  g_assert_true (wf_kit_fs_type_matches ("fuse.sshfs", only_subtypes));
  g_assert_false (wf_kit_fs_type_matches ("fuse", only_subtypes));
  g_assert_false (wf_kit_fs_type_matches ("fuseblk", only_subtypes));
  g_assert_false (wf_kit_fs_type_matches ("ext4", patterns));
  g_assert_false (wf_kit_fs_type_matches ("ext4", NULL));
}

static void
test_mounts_local_tree (Fixture *f, gconstpointer data)
{
  const char *const patterns[] = { "nfs", "fuse", "fuse.*", "9p", NULL };
  const char *const proc[] = { "proc", NULL };
  g_autoptr(GPtrArray) polled = wf_kit_mounts_find_polled (f->tmpdir, patterns, TRUE);
  g_autoptr(GPtrArray) below_root = wf_kit_mounts_find_polled ("/", proc, TRUE);
  g_autoptr(GPtrArray) at_proc = wf_kit_mounts_find_polled ("/proc/self", proc, TRUE);

  /* A fresh temporary directory holds no mount. */
  g_assert_cmpuint (polled->len, ==, 0);
  /* /proc is a mount below "/", and holds /proc/self. */
  {
    gboolean found = FALSE;

    for (guint i = 0; i < below_root->len; i++)
      if (g_strcmp0 (below_root->pdata[i], "/proc") == 0)
        {
          found = TRUE;
          g_assert_cmpstr (wf_kit_mounts_entry_type (below_root->pdata[i]), ==, "proc");
        }
    g_assert_true (found);
  }
  g_assert_cmpuint (at_proc->len, ==, 1);
  g_assert_cmpstr (at_proc->pdata[0], ==, "/proc/self");
}

static void
test_pace (void)
{
  WfKitPace pace;
  gint64 pause;
  volatile guint64 spin = 0;

  wf_kit_pace_init (&pace, 20, 10);
  wf_kit_pace_scan_started (&pace);
  pause = wf_kit_pace_scan_done (&pace, FALSE);
  /* A scan that cost next to nothing: the delay. */
  g_assert_cmpint (pause, ==, 20 * G_TIME_SPAN_MILLISECOND);

  /* A scan costing 50 ms of this thread's CPU (however long that takes
   * on a loaded machine) at a 10 % budget rests 9 times that. */
  wf_kit_pace_scan_started (&pace);
  {
    struct timespec start, now;

    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &start);
    do
      {
        spin++;
        clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
      }
    while ((now.tv_sec - start.tv_sec) * G_USEC_PER_SEC + (now.tv_nsec - start.tv_nsec) / 1000 <
           50 * G_TIME_SPAN_MILLISECOND);
  }
  pause = wf_kit_pace_scan_done (&pace, FALSE);
  g_assert_cmpint (pause, >=, 9 * 50 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (pause, <, 9 * 80 * G_TIME_SPAN_MILLISECOND);
  /* Changes found: the delay alone. */
  pause = wf_kit_pace_scan_done (&pace, TRUE);
  g_assert_cmpint (pause, ==, 20 * G_TIME_SPAN_MILLISECOND);

  /* A delay of 0 is never back to back. */
  wf_kit_pace_init (&pace, 0, 100);
  wf_kit_pace_scan_started (&pace);
  g_assert_cmpint (wf_kit_pace_scan_done (&pace, TRUE), ==, G_TIME_SPAN_MILLISECOND);
}

/* ---- chores --------------------------------------------------------------- */

static void
test_limit_error (void)
{
  WfKitLimit limit = {
    .name = "fs.inotify.max_user_watches",
    .proc_file = "/proc/sys/fs/inotify/max_user_watches",
    .raise_hint = "raise it",
  };
  g_autoptr(GError) error = wf_kit_limit_error (&limit, "inotify watch", "/some/dir");
  g_autofree char *value = NULL;

  g_assert_error (error, WF_ERROR, WF_ERROR_WATCH_LIMIT);
  g_assert_true (g_file_get_contents (limit.proc_file, &value, NULL, NULL));
  g_strstrip (value);
  g_assert_nonnull (strstr (error->message, "/some/dir"));
  g_assert_nonnull (strstr (error->message, "fs.inotify.max_user_watches is "));
  g_assert_nonnull (strstr (error->message, value));
  g_assert_cmpstr (wf_kit_limit_get_value (&limit), ==, value);
}

static void
test_status_fill (void)
{
  WfKitCounts counts = { .n_roots = 2, .n_directories = 7, .n_unwatched = 1, .n_rescans = 3 };
  WfBackendStatus status = { .struct_size = sizeof (WfBackendStatus) };
  WfBackendStatus old_core = { .struct_size = offsetof (WfBackendStatus, n_unwatched) };
  g_autofree char *text = wf_kit_describe ("TestBackend", "own: 1", &counts);

  wf_kit_status_fill (&status, &counts);
  g_assert_cmpuint (status.n_roots, ==, 2);
  g_assert_cmpuint (status.n_directories, ==, 7);
  g_assert_cmpuint (status.n_unwatched, ==, 1);
  g_assert_cmpuint (status.n_rescans, ==, 3);
  /* An older core's shorter struct: nothing written past its end. */
  old_core.n_unwatched = 99;
  wf_kit_status_fill (&old_core, &counts);
  g_assert_cmpuint (old_core.n_directories, ==, 7);
  g_assert_cmpuint (old_core.n_unwatched, ==, 99);
  g_assert_cmpstr (text, ==, "TestBackend { own: 1, roots: 2, directories: 7, unwatched: 1, polled: 0, rescans: 3 }");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/kit/" name, Fixture, NULL, wf_test_fixture_set_up, func, wf_test_fixture_tear_down)

  g_test_add_func ("/kit/path/append", test_path_append);
  g_test_add_func ("/kit/path/absolute", test_path_absolute);
  g_test_add_func ("/kit/path/within", test_path_within);
  ADD ("path/nearest-existing-ancestor", test_path_nearest_ancestor);
  ADD ("fingerprint/rules", test_fingerprint_rules);
  ADD ("fingerprint/since", test_fingerprint_since);
  ADD ("dir-reader", test_dir_reader);
  ADD ("dir-reader/large", test_dir_reader_large);
  ADD ("dir-reader/borrowed", test_dir_reader_borrowed);
  ADD ("snapshot/files", test_snapshot_files);
  ADD ("snapshot/subtrees", test_snapshot_subtrees);
  ADD ("snapshot/root-comes-and-goes", test_snapshot_root_comes_and_goes);
  ADD ("snapshot/missing-root", test_snapshot_missing_root);
  ADD ("snapshot/symlink-loop", test_snapshot_symlink_loop);
  ADD ("snapshot/non-utf8", test_snapshot_non_utf8);
  ADD ("snapshot/ignore-and-non-recursive", test_snapshot_ignore_and_non_recursive);
  ADD ("snapshot/known-by-name", test_snapshot_known_by_name);
  ADD ("snapshot/rescan-directory/changes", test_rescan_directory_changes);
  ADD ("snapshot/rescan-directory/shallow", test_rescan_directory_shallow);
  ADD ("snapshot/rescan-directory/fallback", test_rescan_directory_fallback);
  ADD ("snapshot/rescan-directory/symlink-loop", test_rescan_directory_symlink_loop);
  ADD ("snapshot/rescan-directory/unreadable", test_rescan_directory_unreadable);
  ADD ("snapshot/rescan-directory/ignore-and-non-recursive", test_rescan_directory_ignore_and_non_recursive);
  ADD ("snapshot/known-mode", test_snapshot_known_mode);
  ADD ("missing-root", test_missing_root);
  g_test_add_func ("/kit/fs-type-patterns", test_fs_type_patterns);
  ADD ("mounts/local-tree", test_mounts_local_tree);
  g_test_add_func ("/kit/pace", test_pace);
  g_test_add_func ("/kit/scan-options", test_scan_options);
  g_test_add_func ("/kit/limit-error", test_limit_error);
  g_test_add_func ("/kit/status-fill", test_status_fill);

  return g_test_run ();
}
