/* SPDX-License-Identifier: MIT */
/* test-state.c: state files and the changes since one was saved
 * (wf_state_save, wf_state_changes_since), every bad file, crash safety,
 * and a watcher keeping a state file, on every backend whose probe passes.
 *
 * The tree is TMP/t, the state TMP/state. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wf-test-util.h"

typedef WfTestFixture Fixture;

static char *
root_of (Fixture *fixture)
{
  return wf_test_fixture_path (fixture, "t");
}

static char *
state_of (Fixture *fixture)
{
  return wf_test_fixture_path (fixture, "state");
}

static void
save (Fixture *fixture, WfStateFlags flags, WfIgnoreRules *rules)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (wf_state_save (state, paths, flags, rules, &error));
  g_assert_no_error (error);
}

/* The changes since the state, as wf_test_format_changes() lines; the
 * state is written anew. */
static char *
since (Fixture *fixture, WfStateFlags flags, WfIgnoreRules *rules)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = wf_state_changes_since (state, paths, flags | WF_STATE_FLAGS_UPDATE,
                                                         rules, &error);

  g_assert_no_error (error);
  g_assert_nonnull (changes);
  return wf_test_format_changes (changes);
}

static void
assert_since (Fixture *fixture, WfStateFlags flags, WfIgnoreRules *rules, char *expected)
{
  g_autofree char *seen = since (fixture, flags, rules);
  g_autofree char *again = NULL;

  g_assert_cmpstr (seen, ==, expected);
  g_free (expected);
  /* Written anew: nothing since. */
  again = since (fixture, flags, rules);
  g_assert_cmpstr (again, ==, "");
}

static void
set_mtime (Fixture *fixture, const char *relative, gint64 sec, long nsec)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  struct timespec times[2] = { { sec, nsec }, { sec, nsec } };

  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
}

/* Past the kernel's timestamp granularity (a jiffy), so ctime moves. */
static void
tick (void)
{
  g_usleep (20 * 1000);
}

static void
make_tree (Fixture *fixture)
{
  wf_test_fixture_write (fixture, "t/a", "aaaa");
  wf_test_fixture_write (fixture, "t/d/b", "bbbb");
  wf_test_fixture_write (fixture, "t/d/e/c", "cccc");
}

/* ---- what changed --------------------------------------------------------- */

static void
test_nothing (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL, g_strdup (""));
}

static void
test_create (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  wf_test_fixture_write (fixture, "t/new", "x");
  wf_test_fixture_write (fixture, "t/n/m/f", "x");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t/new", WF_CHANGE_ADDED, "t/n",
                                        WF_CHANGE_ADDED, "t/n/m", WF_CHANGE_ADDED, "t/n/m/f", 0));
}

/* Same size, same second: the nanoseconds tell. */
static void
test_modify_same_second (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  set_mtime (fixture, "t/a", 1700000000, 100);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  tick ();
  wf_test_fixture_write (fixture, "t/a", "zzzz");
  set_mtime (fixture, "t/a", 1700000000, 200);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "t/a", 0));
}

/* Same size and the very same mtime put back: the ctime tells. */
static void
test_modify_same_mtime (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  set_mtime (fixture, "t/d/b", 1700000000, 100);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  tick ();
  wf_test_fixture_write (fixture, "t/d/b", "zzzz");
  set_mtime (fixture, "t/d/b", 1700000000, 100);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "t/d/b", 0));
}

/* Another file renamed over it with the same size and mtime: the inode. */
static void
test_replaced_same_mtime (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  set_mtime (fixture, "t/a", 1700000000, 100);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  wf_test_fixture_write (fixture, "other", "yyyy");
  set_mtime (fixture, "other", 1700000000, 100);
  wf_test_fixture_rename (fixture, "other", "t/a");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "t/a", 0));
}

static void
test_chmod (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  tick ();
  wf_test_fixture_chmod (fixture, "t/d/b", 0600);
  wf_test_fixture_chmod (fixture, "t/d/e", 0700);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "t/d/b",
                                        WF_CHANGE_MODIFIED, "t/d/e", 0));
}

static void
test_delete (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  wf_test_fixture_remove (fixture, "t/a");
  wf_test_fixture_rm_rf (fixture, "t/d");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_DELETED, "t/a", WF_CHANGE_DELETED, "t/d",
                                        WF_CHANGE_DELETED, "t/d/b", WF_CHANGE_DELETED, "t/d/e",
                                        WF_CHANGE_DELETED, "t/d/e/c", 0));
}

static void
test_rename (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  wf_test_fixture_rename (fixture, "t/a", "t/a2");
  wf_test_fixture_rename (fixture, "t/d/e", "t/e2");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_DELETED, "t/a", WF_CHANGE_ADDED, "t/a2",
                                        WF_CHANGE_DELETED, "t/d/e", WF_CHANGE_DELETED, "t/d/e/c",
                                        WF_CHANGE_ADDED, "t/e2", WF_CHANGE_ADDED, "t/e2/c", 0));
}

static void
test_dir_replaced_by_file (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  wf_test_fixture_rm_rf (fixture, "t/d");
  wf_test_fixture_write (fixture, "t/d", "now a file");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_union (wf_test_expect_changes (fixture, WF_CHANGE_DELETED, "t/d",
                                                       WF_CHANGE_DELETED, "t/d/b", WF_CHANGE_DELETED, "t/d/e",
                                                       WF_CHANGE_DELETED, "t/d/e/c", 0),
                               wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t/d", 0)));
}

/* A tree moved out of the roots, and the root itself moved away. */
static void
test_tree_moved_away (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  wf_test_fixture_rename (fixture, "t/d", "outside");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_DELETED, "t/d", WF_CHANGE_DELETED, "t/d/b",
                                        WF_CHANGE_DELETED, "t/d/e", WF_CHANGE_DELETED, "t/d/e/c", 0));
  wf_test_fixture_rename (fixture, "t", "t-away");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_DELETED, "t", WF_CHANGE_DELETED, "t/a", 0));
  wf_test_fixture_rename (fixture, "t-away", "t");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t", WF_CHANGE_ADDED, "t/a", 0));
}

static void
test_ignored (Fixture *fixture, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(GError) error = NULL;

  g_assert_true (wf_ignore_rules_add_glob (rules, "*.log", &error));
  make_tree (fixture);
  wf_test_fixture_write (fixture, "t/node_modules/x/y.js", "1");
  save (fixture, WF_STATE_FLAGS_NONE, rules);
  wf_test_fixture_write (fixture, "t/node_modules/x/y.js", "22");
  wf_test_fixture_write (fixture, "t/node_modules/z.js", "1");
  wf_test_fixture_write (fixture, "t/d/run.log", "1");
  wf_test_fixture_write (fixture, "t/.git/HEAD", "1");
  wf_test_fixture_write (fixture, "t/kept", "1");
  assert_since (fixture, WF_STATE_FLAGS_NONE, rules,
                wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t/kept", 0));
}

static void
test_not_recursive (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NON_RECURSIVE, NULL);
  wf_test_fixture_write (fixture, "t/d/new", "1");
  wf_test_fixture_write (fixture, "t/top", "1");
  assert_since (fixture, WF_STATE_FLAGS_NON_RECURSIVE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t/top", 0));
}

static void
test_symlinks (Fixture *fixture, gconstpointer data)
{
  make_tree (fixture);
  wf_test_fixture_symlink (fixture, "d", "t/link");
  save (fixture, WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS, NULL);
  wf_test_fixture_write (fixture, "t/d/new", "1");
  assert_since (fixture, WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t/d/new", 0));
}

/* Saved by one process, read by another. */
static void
test_other_process (Fixture *fixture, gconstpointer data)
{
  pid_t pid;
  int status;

  make_tree (fixture);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      gboolean saved;

      /* Freed before _exit(), which runs no cleanup: valgrind checks the
       * child too. */
      {
        g_autofree char *root = root_of (fixture);
        g_autofree char *state = state_of (fixture);
        const char *paths[] = { root, NULL };

        saved = wf_state_save (state, paths, WF_STATE_FLAGS_NONE, NULL, NULL);
      }
      _exit (saved ? 0 : 1);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  wf_test_fixture_write (fixture, "t/d/e/c", "changed");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_MODIFIED, "t/d/e/c", 0));
}

static void
test_missing_state (Fixture *fixture, gconstpointer data)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { root, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;

  make_tree (fixture);
  changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_NONE, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (changes);
  g_clear_error (&error);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));

  changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_ALLOW_MISSING | WF_STATE_FLAGS_UPDATE,
                                    NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 0);
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));
  wf_test_fixture_write (fixture, "t/x", "1");
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL,
                wf_test_expect_changes (fixture, WF_CHANGE_ADDED, "t/x", 0));
}

/* ---- files that cannot be trusted ----------------------------------------- */

static guint32
crc32_of (const guint8 *data, gsize size)
{
  guint32 c = 0xFFFFFFFFu;

  for (gsize i = 0; i < size; i++)
    {
      c ^= data[i];
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
  return c ^ 0xFFFFFFFFu;
}

static void
put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

/* Reads the state, expecting @code, and checks it was not overwritten. */
static void
assert_refused (Fixture *fixture, const char *const *paths, WfStateFlags flags, WfIgnoreRules *rules,
                int code, const char *message_part)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *own_paths[] = { root, NULL };
  g_autofree char *before = NULL, *after = NULL;
  gsize before_len = 0, after_len = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;

  g_assert_true (g_file_get_contents (state, &before, &before_len, NULL));
  changes = wf_state_changes_since (state, paths != NULL ? paths : own_paths,
                                    flags | WF_STATE_FLAGS_UPDATE | WF_STATE_FLAGS_ALLOW_MISSING,
                                    rules, &error);
  g_assert_null (changes);
  g_assert_error (error, WF_ERROR, code);
  if (message_part != NULL && strstr (error->message, message_part) == NULL)
    g_error ("“%s” does not say “%s”", error->message, message_part);
  g_assert_true (g_file_get_contents (state, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
}

static void
write_state_bytes (Fixture *fixture, const guint8 *data, gsize size)
{
  g_autofree char *state = state_of (fixture);

  g_assert_true (g_file_set_contents (state, (const char *) data, (gssize) size, NULL));
}

static guint8 *
read_state_bytes (Fixture *fixture, gsize *size)
{
  g_autofree char *state = state_of (fixture);
  char *data = NULL;

  g_assert_true (g_file_get_contents (state, &data, size, NULL));
  return (guint8 *) data;
}

static void
test_truncated (Fixture *fixture, gconstpointer data)
{
  g_autofree guint8 *good = NULL;
  gsize size;

  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  good = read_state_bytes (fixture, &size);
  for (gsize len = 0; len < size; len++)
    {
      write_state_bytes (fixture, good, len);
      assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_INVALID,
                      len < 8 ? NULL : "truncated");
    }
}

/* Every single byte changed, and every bit of the header: a checksum, or
 * the header's own checks, catch each. */
static void
test_corrupted (Fixture *fixture, gconstpointer data)
{
  g_autofree guint8 *good = NULL;
  gsize size;

  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  good = read_state_bytes (fixture, &size);
  for (gsize i = 0; i < size; i++)
    for (guint bit = 0; bit < 8; bit += (i < 32 ? 1 : 3))
      {
        g_autofree guint8 *bad = g_memdup2 (good, size);
        g_autofree char *state = state_of (fixture);
        g_autoptr(GError) error = NULL;
        g_autofree char *root = root_of (fixture);
        const char *paths[] = { root, NULL };
        g_autoptr(GPtrArray) changes = NULL;

        bad[i] ^= (guint8) (1u << bit);
        write_state_bytes (fixture, bad, size);
        changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_NONE, NULL, &error);
        g_assert_null (changes);
        g_assert_nonnull (error);
        /* A flipped version byte may read as a newer format. */
        g_assert_true (g_error_matches (error, WF_ERROR, WF_ERROR_STATE_INVALID) ||
                       (i >= 8 && i < 12 && g_error_matches (error, WF_ERROR, WF_ERROR_STATE_VERSION)));
      }
  /* Bytes after the end. */
  {
    g_autofree guint8 *longer = g_malloc0 (size + 1);

    memcpy (longer, good, size);
    write_state_bytes (fixture, longer, size + 1);
    assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_INVALID, "corrupted");
  }
}

static void
test_foreign (Fixture *fixture, gconstpointer data)
{
  static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\x1f\x15\xc4\x89";
  static const char text[] = "{\"not\": \"a state\"}\n";

  make_tree (fixture);
  write_state_bytes (fixture, (const guint8 *) png, sizeof png - 1);
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_INVALID, "not a Watchfiles state file");
  write_state_bytes (fixture, (const guint8 *) text, sizeof text - 1);
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_INVALID, "not a Watchfiles state file");
  write_state_bytes (fixture, (const guint8 *) "", 0);
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_INVALID, "empty");
}

/* A newer format, with checksums that match: refused as such. */
static void
test_future_version (Fixture *fixture, gconstpointer data)
{
  g_autofree guint8 *bytes = NULL;
  gsize size;

  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  bytes = read_state_bytes (fixture, &size);
  put_le32 (bytes + 8, 2);
  put_le32 (bytes + 28, crc32_of (bytes, 28));
  write_state_bytes (fixture, bytes, size);
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_VERSION, "format version 2");
}

static void
test_other_roots (Fixture *fixture, gconstpointer data)
{
  g_autofree char *other = wf_test_fixture_path (fixture, "t/d");
  g_autofree char *root = root_of (fixture);
  const char *other_paths[] = { other, NULL };
  const char *two_paths[] = { root, other, NULL };
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, NULL);
  assert_refused (fixture, other_paths, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_MISMATCH, "other roots");
  assert_refused (fixture, two_paths, WF_STATE_FLAGS_NONE, NULL, WF_ERROR_STATE_MISMATCH, "other roots");
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NON_RECURSIVE, NULL, WF_ERROR_STATE_MISMATCH, "recursive");
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS, NULL, WF_ERROR_STATE_MISMATCH, "symlinks");
  assert_refused (fixture, NULL, WF_STATE_FLAGS_NONE, rules, WF_ERROR_STATE_MISMATCH, "ignore rules");
}

/* The same rules added in another order are the same rules; the same root
 * written otherwise ("/x/./t") is the same root. */
static void
test_same_config (Fixture *fixture, gconstpointer data)
{
  g_autoptr(WfIgnoreRules) one = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) two = wf_ignore_rules_new ();
  g_autofree char *dotted = wf_test_fixture_path (fixture, "./t");
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { dotted, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;

  g_assert_true (wf_ignore_rules_add_dir_name (one, "build", NULL));
  g_assert_true (wf_ignore_rules_add_glob (one, "*.o", NULL));
  g_assert_true (wf_ignore_rules_add_glob (two, "*.o", NULL));
  g_assert_true (wf_ignore_rules_add_dir_name (two, "build", NULL));
  make_tree (fixture);
  save (fixture, WF_STATE_FLAGS_NONE, one);
  changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_NONE, two, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 0);
}

/* Killed at any moment of a save, the writer leaves the old state or the
 * new one, never a broken file. */
static void
test_crash_mid_save (Fixture *fixture, gconstpointer data)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { root, NULL };

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *path = g_strdup_printf ("t/dir%u/file-with-a-longer-name-%u", i % 20, i);
      wf_test_fixture_write (fixture, path, "x");
    }
  save (fixture, WF_STATE_FLAGS_NONE, NULL);

  for (guint round = 0; round < 30; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) changes = NULL;
      pid_t pid = fork ();
      int status;

      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        for (;;)
          wf_state_save (state, paths, WF_STATE_FLAGS_NONE, NULL, NULL);
      g_usleep (g_random_int_range (1000, 20000));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));

      changes = wf_state_changes_since (state, paths, WF_STATE_FLAGS_NONE, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (changes->len, ==, 0);
    }
}

/* ---- a watcher keeping the state, on each backend ------------------------- */

static WfNotify *
notify_with_state (Fixture *fixture, GError **error)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { root, NULL };
  WfTestOptions options = { .state_file = state };

  return wf_test_notify_new_with_options (fixture->backend, paths, &options, error);
}

/* The indexer that restarts: what changed while nothing watched is the
 * first batch of the next watcher. */
static void
test_notify_restart (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *state = state_of (fixture);

  make_tree (fixture);
  notify = notify_with_state (fixture, &error);
  g_assert_no_error (error);
  /* A first run writes the state at once, and reports nothing. */
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));
  wf_test_assert_changes (notify, "");
  wf_notify_close (notify);
  g_clear_object (&notify);

  tick ();
  wf_test_fixture_write (fixture, "t/a", "changed");
  wf_test_fixture_rm_rf (fixture, "t/d/e");
  wf_test_fixture_write (fixture, "t/n/f", "1");

  notify = notify_with_state (fixture, &error);
  g_assert_no_error (error);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "t/a", WF_CHANGE_DELETED, "t/d/e",
                                WF_CHANGE_DELETED, "t/d/e/c", WF_CHANGE_ADDED, "t/n",
                                WF_CHANGE_ADDED, "t/n/f", 0);
  wf_notify_close (notify);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL, g_strdup (""));
}

/* While it runs, the file follows what the backend reported: after close,
 * nothing is new. */
static void
test_notify_agrees (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  make_tree (fixture);
  notify = notify_with_state (fixture, &error);
  g_assert_no_error (error);
  tick ();
  wf_test_fixture_write (fixture, "t/d/b", "new contents");
  wf_test_fixture_mkdir (fixture, "t/m");
  wf_test_fixture_place (fixture, "t/m/g", "1");
  wf_test_fixture_remove (fixture, "t/a");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "t/d/b", WF_CHANGE_ADDED, "t/m",
                                WF_CHANGE_ADDED, "t/m/g", WF_CHANGE_DELETED, "t/a", 0);
  g_assert_true (wf_notify_save_state (notify, &error));
  g_assert_no_error (error);
  wf_notify_close (notify);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL, g_strdup (""));
}

/* The same for the other kinds of change the backend reports: a chmod, a
 * rename within, a directory replaced by a file, a tree moved out of the
 * root.  What the state says after close is what was reported. */
static void
test_notify_agrees_on_every_kind (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  make_tree (fixture);
  wf_test_fixture_write (fixture, "t/m/g", "1");
  wf_test_fixture_mkdir (fixture, "out");
  notify = notify_with_state (fixture, &error);
  g_assert_no_error (error);
  tick ();
  wf_test_fixture_chmod (fixture, "t/a", 0600);
  wf_test_fixture_rename (fixture, "t/d/b", "t/d/b2");
  wf_test_fixture_rm_rf (fixture, "t/d/e");
  wf_test_fixture_write (fixture, "t/d/e", "a file now");
  wf_test_fixture_rename (fixture, "t/m", "out/m");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "t/a", WF_CHANGE_DELETED, "t/d/b",
                                WF_CHANGE_ADDED, "t/d/b2", WF_CHANGE_DELETED, "t/d/e/c",
                                WF_CHANGE_DELETED, "t/d/e", WF_CHANGE_ADDED, "t/d/e",
                                WF_CHANGE_DELETED, "t/m", WF_CHANGE_DELETED, "t/m/g", 0);
  g_assert_true (wf_notify_save_state (notify, &error));
  g_assert_no_error (error);
  wf_notify_close (notify);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL, g_strdup (""));
}

/* Changes the consumer never took are not lost by the write at close. */
static void
test_notify_undelivered (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  make_tree (fixture);
  notify = notify_with_state (fixture, &error);
  g_assert_no_error (error);
  tick ();
  wf_test_fixture_write (fixture, "t/d/b", "new contents");
  wf_test_fixture_write (fixture, "t/fresh", "1");
  wf_test_fixture_rm_rf (fixture, "t/d/e");
  /* Closed before any watch(): nothing was handed over. */
  wf_notify_close (notify);
  g_clear_object (&notify);

  notify = notify_with_state (fixture, &error);
  g_assert_no_error (error);
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_MODIFIED, "t/d/b", WF_CHANGE_ADDED, "t/fresh",
                                WF_CHANGE_DELETED, "t/d/e", WF_CHANGE_DELETED, "t/d/e/c", 0);
  wf_notify_close (notify);
  assert_since (fixture, WF_STATE_FLAGS_NONE, NULL, g_strdup (""));
}

/* With state-interval-ms, a watch call that begins after the interval
 * writes the state: the batch before it counts as handled. */
static void
test_notify_interval (Fixture *fixture, gconstpointer data)
{
  g_autofree char *root = root_of (fixture);
  g_autofree char *state = state_of (fixture);
  const char *paths[] = { root, NULL };
  WfTestOptions options = { .state_file = state, .state_interval_ms = 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GPtrArray) none = NULL;

  make_tree (fixture);
  notify = wf_test_notify_new_with_options (fixture->backend, paths, &options, &error);
  g_assert_no_error (error);
  wf_test_fixture_write (fixture, "t/new", "1");
  wf_test_assert_changes_below (notify, fixture, WF_CHANGE_ADDED, "t/new", 0);
  /* Not closed: the file says what the last write saw. */
  g_usleep (2000);
  g_assert_cmpint (wf_notify_watch (notify, 10, 5, 20, NULL, -1, &none, &error), ==, WF_WATCH_RESULT_TIMEOUT);
  g_assert_no_error (error);
  after = wf_state_changes_since (state, paths, WF_STATE_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 0);
  wf_notify_close (notify);
}

static void
test_notify_refuses_bad_state (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  make_tree (fixture);
  write_state_bytes (fixture, (const guint8 *) "WFSTATE", 7);
  notify = notify_with_state (fixture, &error);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_STATE_INVALID);
}

typedef struct {
  const char *name;
  void (*func) (Fixture *, gconstpointer);
} Case;

static const Case scan_cases[] = {
  { "nothing", test_nothing },
  { "create", test_create },
  { "modify-same-second", test_modify_same_second },
  { "modify-same-mtime", test_modify_same_mtime },
  { "replaced-same-mtime", test_replaced_same_mtime },
  { "chmod", test_chmod },
  { "delete", test_delete },
  { "rename", test_rename },
  { "dir-replaced-by-file", test_dir_replaced_by_file },
  { "tree-moved-away", test_tree_moved_away },
  { "ignored", test_ignored },
  { "not-recursive", test_not_recursive },
  { "symlinks", test_symlinks },
  { "other-process", test_other_process },
  { "missing-state", test_missing_state },
  { "truncated", test_truncated },
  { "corrupted", test_corrupted },
  { "foreign", test_foreign },
  { "future-version", test_future_version },
  { "other-roots", test_other_roots },
  { "same-config", test_same_config },
  { "crash-mid-save", test_crash_mid_save },
};

static const Case notify_cases[] = {
  { "restart", test_notify_restart },
  { "agrees", test_notify_agrees },
  { "agrees-on-every-kind", test_notify_agrees_on_every_kind },
  { "undelivered", test_notify_undelivered },
  { "interval", test_notify_interval },
  { "bad-state", test_notify_refuses_bad_state },
};

int
main (int argc, char **argv)
{
  const char *const *backends = wf_test_backends ();

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (scan_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/state/%s", scan_cases[i].name);
      g_test_add (path, Fixture, NULL, wf_test_fixture_set_up, scan_cases[i].func, wf_test_fixture_tear_down);
    }
  for (guint b = 0; backends[b] != NULL; b++)
    for (guint i = 0; i < G_N_ELEMENTS (notify_cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/state/notify/%s/%s", backends[b], notify_cases[i].name);
        g_test_add (path, Fixture, backends[b], wf_test_backend_fixture_set_up, notify_cases[i].func,
                    wf_test_fixture_tear_down);
      }
  return g_test_run ();
}
