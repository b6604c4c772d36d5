/* SPDX-License-Identifier: MIT */
/* test-fsevents-translate.c: the FSEvents flag translation on Linux, fed
 * with event sequences transcribed from public reports of what macOS
 * delivers (each test cites its source).  What exists at a path is a table
 * here, standing for the backend's lstat(); what was known, the kit
 * snapshot.
 */
#include <string.h>

#include <glib.h>

#include "wf-fse-translate.h"

typedef struct {
  const char *path;
  int is_dir;
} Exists;

static int
table_exists (void *data, const char *path, int *is_dir)
{
  for (const Exists *e = data; e != NULL && e->path != NULL; e++)
    if (strcmp (e->path, path) == 0)
      {
        *is_dir = e->is_dir;
        return 1;
      }
  return 0;
}

/* One event, expecting exactly @kind (WF_FSE_OUT_NONE: nothing). */
static void
expect (uint32_t flags, const char *path, int known, const Exists *now, WfFseOutKind kind, int is_dir)
{
  WfFseOut out[2];
  size_t n = wf_fse_translate (flags, path, known, table_exists, (void *) now, out);

  if (kind == WF_FSE_OUT_NONE)
    {
      g_assert_cmpuint (n, ==, 0);
      return;
    }
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (out[0].kind, ==, kind);
  g_assert_cmpint (out[0].is_dir, ==, is_dir);
}

static const Exists file_a[] = { { "/u/tmp/a", 0 }, { NULL, 0 } };
static const Exists nothing[] = { { NULL, 0 } };

/* fsevents/fsevents#31 (https://github.com/fsevents/fsevents/issues/31):
 * a file removed and created again in a loop; after the first event every
 * one carries ItemCreated,ItemRemoved,ItemIsFile, and node's binding said
 * "deleted" while the file existed.  Resolved by what exists. */
static void
test_created_removed_loop (void)
{
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_IS_FILE, "/u/tmp/a", 0, file_a, WF_FSE_OUT_CREATED, 0);
  for (int i = 0; i < 5; i++)
    expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_REMOVED | WF_FSE_ITEM_IS_FILE, "/u/tmp/a", 1, file_a,
            WF_FSE_OUT_MODIFIED, 0);
  /* The loop's last rm: the same flags, the file gone. */
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_REMOVED | WF_FSE_ITEM_IS_FILE, "/u/tmp/a", 1, nothing,
          WF_FSE_OUT_DELETED, 0);
}

/* parcel-bundler/watcher#71 (https://github.com/parcel-bundler/watcher/issues/71):
 * writeFileSync then unlinkSync 1 ms later: one event with created and
 * removed set; the maintainer: the flags are a hint, stat the file.  A
 * path never known and gone now is no event at all. */
static void
test_created_and_gone (void)
{
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_REMOVED | WF_FSE_ITEM_MODIFIED | WF_FSE_ITEM_IS_FILE,
          "/u/tmp/a", 0, nothing, WF_FSE_OUT_NONE, 0);
}

/* fsevents/fsevents#409 (https://github.com/fsevents/fsevents/issues/409):
 * three writes 500 ms apart to one file; the second event's flags are
 * 103680 = IsFile|XattrMod|Modified|InodeMetaMod|Created, reported
 * 'created' by the binding.  Known and there: modified. */
static void
test_created_flag_outlives_window (void)
{
  g_assert_cmpuint (103680, ==, WF_FSE_ITEM_IS_FILE | WF_FSE_ITEM_XATTR_MOD | WF_FSE_ITEM_MODIFIED
                                | WF_FSE_ITEM_INODE_META | WF_FSE_ITEM_CREATED);
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_IS_FILE, "/u/tmp/a", 0, file_a, WF_FSE_OUT_CREATED, 0);
  expect (103680, "/u/tmp/a", 1, file_a, WF_FSE_OUT_MODIFIED, 0);
  expect (103680, "/u/tmp/a", 1, file_a, WF_FSE_OUT_MODIFIED, 0);
}

/* dotnet/corefx#8547 (https://github.com/dotnet/corefx/issues/8547): one
 * file created, its mtime set, appended to, a second apart; the flags
 * accumulate: Created|IsFile, then Created|InodeMetaMod|IsFile, then
 * Created|InodeMetaMod|Modified|IsFile. */
static void
test_accumulating_flags (void)
{
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_IS_FILE, "/u/tmp/a", 0, file_a, WF_FSE_OUT_CREATED, 0);
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_INODE_META | WF_FSE_ITEM_IS_FILE, "/u/tmp/a", 1, file_a,
          WF_FSE_OUT_ATTRIB, 0);
  expect (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_INODE_META | WF_FSE_ITEM_MODIFIED | WF_FSE_ITEM_IS_FILE,
          "/u/tmp/a", 1, file_a, WF_FSE_OUT_MODIFIED, 0);
}

/* Apple, FSEvents reference (kFSEventStreamEventFlagItemRenamed) and
 * ocaml/dune#13381 (https://github.com/ocaml/dune/pull/13381): a rename is
 * two events, the old path and the new, both ItemRenamed (with
 * ItemCreated too when coalesced); which is which only lstat tells. */
static void
test_rename_pair (void)
{
  static const Exists after[] = { { "/u/tmp/b", 1 }, { NULL, 0 } };

  expect (WF_FSE_ITEM_RENAMED | WF_FSE_ITEM_IS_DIR, "/u/tmp/a", 1, after, WF_FSE_OUT_DELETED, 1);
  expect (WF_FSE_ITEM_RENAMED | WF_FSE_ITEM_CREATED | WF_FSE_ITEM_IS_DIR, "/u/tmp/b", 0, after,
          WF_FSE_OUT_CREATED, 1);
  /* The kind is what exists now, not the flag (a file renamed over a
   * directory's old name). */
  expect (WF_FSE_ITEM_RENAMED | WF_FSE_ITEM_IS_FILE, "/u/tmp/b", 0, after, WF_FSE_OUT_CREATED, 1);
}

/* Apple, FSEvents reference: MustScanSubDirs ("your application must
 * rescan not just the directory given in the event, but all its
 * children"), UserDropped / KernelDropped (set with MustScanSubDirs),
 * RootChanged (with WatchRoot, the path is the root, the ID 0), Mount and
 * Unmount, HistoryDone (the end of replayed history: no path). */
static void
test_stream_flags (void)
{
  expect (WF_FSE_MUST_SCAN_SUBDIRS, "/u/tmp", 1, nothing, WF_FSE_OUT_RESYNC, 1);
  expect (WF_FSE_MUST_SCAN_SUBDIRS | WF_FSE_USER_DROPPED, "/u/tmp", 1, nothing, WF_FSE_OUT_RESYNC, 1);
  expect (WF_FSE_MUST_SCAN_SUBDIRS | WF_FSE_KERNEL_DROPPED, "/u/tmp", 1, nothing, WF_FSE_OUT_RESYNC, 1);
  expect (WF_FSE_ROOT_CHANGED, "/u/tmp", 1, nothing, WF_FSE_OUT_ROOT, 1);
  expect (WF_FSE_MOUNT | WF_FSE_ITEM_IS_DIR, "/u/tmp/vol", 0, nothing, WF_FSE_OUT_RESYNC, 1);
  expect (WF_FSE_HISTORY_DONE, "", 0, nothing, WF_FSE_OUT_NONE, 0);
  /* No item flag: a directory-level event, rescan it. */
  expect (0, "/u/tmp", 1, nothing, WF_FSE_OUT_RESYNC, 1);
}

/* A directory's own xattr or chmod is an attribute change; Modified on a
 * directory (its listing) is not a change of it (the kit's rule). */
static void
test_directory_itself (void)
{
  static const Exists dir[] = { { "/u/tmp/d", 1 }, { NULL, 0 } };

  expect (WF_FSE_ITEM_INODE_META | WF_FSE_ITEM_IS_DIR, "/u/tmp/d", 1, dir, WF_FSE_OUT_ATTRIB, 1);
  expect (WF_FSE_ITEM_MODIFIED | WF_FSE_ITEM_IS_DIR, "/u/tmp/d", 1, dir, WF_FSE_OUT_NONE, 1);
  expect (WF_FSE_ITEM_MODIFIED | WF_FSE_ITEM_IS_FILE, "/u/tmp/gone", 0, nothing, WF_FSE_OUT_NONE, 0);
}

static void
test_resume (void)
{
  WfFseResume r;

  wf_fse_resume_init (&r);
  g_assert_true (wf_fse_resume_since (&r) == WF_FSE_SINCE_NOW);
  wf_fse_resume_seen (&r, 100, WF_FSE_ITEM_CREATED);
  wf_fse_resume_seen (&r, 90, WF_FSE_ITEM_CREATED);   /* another root's, older */
  g_assert_true (wf_fse_resume_since (&r) == 100);
  wf_fse_resume_seen (&r, 3, WF_FSE_EVENT_IDS_WRAPPED);
  g_assert_true (wf_fse_resume_since (&r) == 3);
  wf_fse_resume_seen (&r, 4, 0);
  g_assert_true (wf_fse_resume_since (&r) == 4);
}

/* fsnotify/fsevents#46 (https://github.com/fsnotify/fsevents/issues/46)
 * and NucleusFramework/Nucleus#442
 * (https://github.com/NucleusFramework/Nucleus/issues/442): a root under
 * /var/folders/… gets events at /private/var/folders/…; mapped back to the
 * caller's form. */
static void
test_map_path (void)
{
  char buf[128];

  g_assert_cmpint (wf_fse_map_path ("/private/var/folders/8j/T/x/f.txt", "/private/var/folders/8j/T/x",
                                    "/var/folders/8j/T/x", buf, sizeof buf), ==, 1);
  g_assert_cmpstr (buf, ==, "/var/folders/8j/T/x/f.txt");
  g_assert_cmpint (wf_fse_map_path ("/private/tmp/w/", "/private/tmp/w", "/tmp/w", buf, sizeof buf), ==, 1);
  g_assert_cmpstr (buf, ==, "/tmp/w");
  g_assert_cmpint (wf_fse_map_path ("/private/tmp/w2/a", "/private/tmp/w", "/tmp/w", buf, sizeof buf), ==, 0);
  g_assert_cmpint (wf_fse_map_path ("/a/b", "/", "/", buf, sizeof buf), ==, 1);
  g_assert_cmpstr (buf, ==, "/a/b");
  g_assert_cmpint (wf_fse_map_path ("/a/b", "/", "/l", buf, sizeof buf), ==, 1);
  g_assert_cmpstr (buf, ==, "/l/a/b");
  g_assert_cmpint (wf_fse_map_path ("/private/tmp/w/long", "/private/tmp/w", "/tmp/w", buf, 8), ==, -1);
}

/* WATCHFILES_FSEVENTS_LATENCY_MS: unset gives the default; anything but
 * decimal digits from 0 to the maximum is refused (the adapter turns that
 * into WF_ERROR_INVALID_ARGUMENT at start). */
static void
test_latency (void)
{
  const char *refused[] = { "", "-1", "+5", " 5", "5 ", "1.5", "5ms", "0x10", "10001",
                            "99999999999999999999999" };
  unsigned ms = 7;

  g_assert_cmpint (wf_fse_parse_latency_ms (NULL, &ms), ==, 1);
  g_assert_cmpuint (ms, ==, WF_FSE_LATENCY_DEFAULT_MS);
  g_assert_cmpint (wf_fse_parse_latency_ms ("0", &ms), ==, 1);
  g_assert_cmpuint (ms, ==, 0);
  g_assert_cmpint (wf_fse_parse_latency_ms ("250", &ms), ==, 1);
  g_assert_cmpuint (ms, ==, 250);
  g_assert_cmpint (wf_fse_parse_latency_ms ("010000", &ms), ==, 1);
  g_assert_cmpuint (ms, ==, WF_FSE_LATENCY_MAX_MS);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      ms = 7;
      g_assert_cmpint (wf_fse_parse_latency_ms (refused[i], &ms), ==, 0);
      g_assert_cmpuint (ms, ==, 7);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fsevents/created-removed-loop", test_created_removed_loop);
  g_test_add_func ("/fsevents/created-and-gone", test_created_and_gone);
  g_test_add_func ("/fsevents/created-flag-outlives-window", test_created_flag_outlives_window);
  g_test_add_func ("/fsevents/accumulating-flags", test_accumulating_flags);
  g_test_add_func ("/fsevents/rename-pair", test_rename_pair);
  g_test_add_func ("/fsevents/stream-flags", test_stream_flags);
  g_test_add_func ("/fsevents/directory-itself", test_directory_itself);
  g_test_add_func ("/fsevents/resume", test_resume);
  g_test_add_func ("/fsevents/map-path", test_map_path);
  g_test_add_func ("/fsevents/latency", test_latency);
  return g_test_run ();
}
