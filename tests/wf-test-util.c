/* SPDX-License-Identifier: MIT */
/* wf-test-util.c: helpers shared by the C tests. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef G_OS_WIN32
#include <io.h>
#include <windows.h>
#include <sys/utime.h>
#else
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>
#endif

#include "wf-test-util.h"

/* Windows has no close-on-exec flag for open() (handles are not inherited
 * unless asked), and wants binary mode said. */
#ifdef G_OS_WIN32
#define WF_TEST_O_FLAGS O_BINARY
#else
#define WF_TEST_O_FLAGS O_CLOEXEC
#endif

char *
wf_test_tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("watchfiles-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
wf_test_rm_rf (const char *path)
{
  GStatBuf st;

  /* g_lstat() is g_stat() on Windows, where the kit does not follow a
   * link either: a junction left by a test is removed as a directory. */
  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      GDir *dir;
      const char *name;

      dir = g_dir_open (path, 0, NULL);
      if (dir == NULL)
        {
          /* A test made it unreadable.  Only then touch its mode: a chmod
           * is a change a watcher still running would report. */
          g_chmod (path, 0700);
          dir = g_dir_open (path, 0, NULL);
        }
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          wf_test_rm_rf (child);
        }
      if (dir != NULL)
        g_dir_close (dir);
      g_rmdir (path);
    }
  else if (g_unlink (path) != 0 && errno == EACCES)
    {
      /* Windows deletes no read-only file (a test's chmod 0400). */
      g_chmod (path, 0600);
      g_unlink (path);
    }
}

void
wf_test_tmpdir_free (char *path)
{
  if (path == NULL)
    return;
  wf_test_rm_rf (path);
  g_free (path);
}

void
wf_test_write (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);
}

void
wf_test_mkdir (const char *path)
{
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

/* Every backend the matrix knows: a new backend joins every matrix test
 * (tests/backends/test-scenarios.c, tests/core/test-notify*.c) here. */
static const char *const backend_names[] = { "inotify", "poll", "kqueue", "fsevents", "win32", NULL };

const char *const *
wf_test_backend_names (void)
{
  return backend_names;
}

/* Why @backend is not in wf_test_backends(), or NULL when it is. */
static char *
backend_unavailable_reason (const char *backend)
{
  g_autoptr(GPtrArray) infos = wf_backend_info_list_all ();

  for (guint i = 0; i < infos->len; i++)
    {
      WfBackendInfo *info = g_ptr_array_index (infos, i);

      if (g_strcmp0 (wf_backend_info_get_name (info), backend) != 0)
        continue;
      if (wf_backend_info_get_available (info))
        return NULL;
      return g_strdup_printf ("the %s backend's probe fails here: %s", backend,
                              wf_backend_info_get_reason (info) != NULL ? wf_backend_info_get_reason (info) : "no reason given");
    }
  return g_strdup_printf ("no %s backend module is built", backend);
}

static GHashTable *
unavailable_backends (void)
{
  static GHashTable *reasons;

  if (g_once_init_enter (&reasons))
    {
      GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

      for (guint i = 0; backend_names[i] != NULL; i++)
        {
          char *reason = backend_unavailable_reason (backend_names[i]);

          if (reason != NULL)
            g_hash_table_insert (table, (gpointer) backend_names[i], reason);
        }
      g_once_init_leave (&reasons, table);
    }
  return reasons;
}

const char *
wf_test_backend_unavailable (const char *backend)
{
  return g_hash_table_lookup (unavailable_backends (), backend);
}

const char *const *
wf_test_backends (void)
{
  static const char **backends;

  if (g_once_init_enter (&backends))
    {
      GPtrArray *available = g_ptr_array_new ();

      for (guint i = 0; backend_names[i] != NULL; i++)
        if (wf_test_backend_unavailable (backend_names[i]) == NULL)
          g_ptr_array_add (available, (gpointer) backend_names[i]);
      g_ptr_array_add (available, NULL);
      g_once_init_leave (&backends, (const char **) g_ptr_array_free (available, FALSE));
    }
  return backends;
}

gboolean
wf_test_have_backend (const char *name)
{
  return g_strv_contains (wf_test_backends (), name);
}

gboolean
wf_test_skip_unless_backend (const char *name)
{
  if (wf_test_have_backend (name))
    return FALSE;
  g_test_skip_printf ("the %s backend is not built here", name);
  return TRUE;
}

WfNotify *
wf_test_notify_new_with_options (const char *backend,
                                 const char *const *paths,
                                 const WfTestOptions *options,
                                 GError **error)
{
  gboolean polling = g_strcmp0 (backend, "poll") == 0;

  return g_initable_new (WF_TYPE_NOTIFY, NULL, error,
                         "paths", paths,
                         "debug", options->debug || g_getenv ("WF_TEST_DEBUG") != NULL,
                         "force-polling", polling,
                         "poll-delay-ms", 20,
                         "recursive", !options->not_recursive,
                         "follow-symlinks", !options->no_follow_symlinks,
                         "ignore-permission-denied", options->ignore_permission_denied,
                         "backend", polling ? NULL : backend,
                         "ignore-rules", options->rules,
                         "watch-limit-policy", options->watch_limit_error ? WF_WATCH_LIMIT_POLICY_ERROR
                                                                          : WF_WATCH_LIMIT_POLICY_POLL,
                         "state-file", options->state_file,
                         "state-interval-ms", options->state_interval_ms,
                         NULL);
}

WfNotify *
wf_test_notify_new_with_policy (const char *backend,
                                const char *const *paths,
                                WfWatchLimitPolicy policy,
                                GError **error)
{
  WfTestOptions options = { .watch_limit_error = policy == WF_WATCH_LIMIT_POLICY_ERROR };

  return wf_test_notify_new_with_options (backend, paths, &options, error);
}

WfNotify *
wf_test_notify_new (const char *backend,
                    const char *const *paths,
                    gboolean recursive,
                    gboolean ignore_permission_denied,
                    GError **error)
{
  WfTestOptions options = { .not_recursive = !recursive, .ignore_permission_denied = ignore_permission_denied };

  return wf_test_notify_new_with_options (backend, paths, &options, error);
}

WfNotify *
wf_test_notify_new_with_rules (const char *backend,
                               const char *const *paths,
                               WfIgnoreRules *rules,
                               gboolean ignore_permission_denied,
                               GError **error)
{
  WfTestOptions options = {
    .ignore_permission_denied = ignore_permission_denied,
    .rules = rules,
    .debug = g_test_subprocess (),
  };

  return wf_test_notify_new_with_options (backend, paths, &options, error);
}

WfIgnoreRules *
wf_test_custom_rules (const char *prefix)
{
  WfIgnoreRules *rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  wf_ignore_rules_add_dir_name (rules, "build", NULL);
  g_assert_true (wf_ignore_rules_add_glob (rules, "web/dist", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "tmp[0-9]", &error));
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "\\.d$", &error));
  g_assert_no_error (error);
  wf_ignore_rules_add_path_prefix (rules, prefix, NULL);
  return rules;
}

gboolean
wf_test_in_debug_subprocess (void)
{
  /* valgrind does not follow the subprocess: the body runs here for it to
   * see, and the plain run checks the output. */
  if (g_test_subprocess () || g_getenv ("WF_UNDER_VALGRIND") != NULL)
    return TRUE;
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* The output was on and said something about what is watched; no line
   * names an ignored path, so no raw event was pushed for one (the sink
   * would have said "raw-event=... ignored"), nor was one watched. */
  g_test_trap_assert_stderr ("*RawEvent*control*");
  g_test_trap_assert_stderr_unmatched ("*node_modules*");
  g_test_trap_assert_stderr_unmatched ("*.git*");
  g_test_trap_assert_stderr_unmatched ("*pyc*");
  return FALSE;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
format_set (GHashTable *set)
{
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (set, NULL);
  guint n = g_hash_table_size (set);

  qsort (keys, n, sizeof (char *), compare_strings);
  return g_strjoinv ("\n", (char **) keys);
}

static void
add_batch (GHashTable *set, GPtrArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    {
      WfFileChange *change = g_ptr_array_index (changes, i);
      g_hash_table_add (set, g_strdup_printf ("%d:%s", wf_file_change_get_change (change),
                                              wf_file_change_get_path (change)));
    }
}

char *
wf_test_format_changes (GPtrArray *changes)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  add_batch (set, changes);
  return format_set (set);
}

char *
wf_test_expect (const char *first, ...)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  va_list args;

  va_start (args, first);
  for (const char *item = first; item != NULL; item = va_arg (args, const char *))
    g_hash_table_add (set, g_strdup (item));
  va_end (args);
  return format_set (set);
}

static gboolean
contains_all (GHashTable *seen, char **expected)
{
  for (guint i = 0; expected[i] != NULL; i++)
    if (*expected[i] != '\0' && !g_hash_table_contains (seen, expected[i]))
      return FALSE;
  return TRUE;
}

char *
wf_test_collect (WfNotify *notify, guint timeout_ms, const char *expected)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) wanted = g_strsplit (expected, "\n", -1);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean complete = FALSE;

  for (;;)
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GError) error = NULL;
      gint64 now = g_get_monotonic_time ();
      /* Once everything expected is here, listen 300 ms more for extras. */
      guint wait_ms = complete ? 300 : (guint) MAX (1, (deadline - now) / 1000);
      WfWatchResult result;

      if (!complete && now >= deadline)
        break;
      result = wf_notify_watch (notify, 50, 10, wait_ms, NULL, -1, &changes, &error);
      g_assert_no_error (error);
      if (result == WF_WATCH_RESULT_TIMEOUT)
        {
          if (complete)
            break;
          continue;
        }
      g_assert_cmpint (result, ==, WF_WATCH_RESULT_CHANGES);
      add_batch (seen, changes);
      complete = contains_all (seen, wanted);
    }
  return format_set (seen);
}

void
wf_test_fixture_set_up (WfTestFixture *fixture, gconstpointer user_data)
{
  fixture->tmpdir = wf_test_tmpdir_new ();
  fixture->backend = NULL;
}

void
wf_test_backend_fixture_set_up (WfTestFixture *fixture, gconstpointer backend)
{
  fixture->tmpdir = wf_test_tmpdir_new ();
  fixture->backend = backend;
}

void
wf_test_fixture_tear_down (WfTestFixture *fixture, gconstpointer user_data)
{
  g_clear_pointer (&fixture->tmpdir, wf_test_tmpdir_free);
}

char *
wf_test_fixture_path (WfTestFixture *fixture, const char *relative)
{
  return g_build_filename (fixture->tmpdir, relative, NULL);
}

char *
wf_test_expect_changes_valist (WfTestFixture *fixture, va_list args)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int change;

  while ((change = va_arg (args, int)) != 0)
    {
      g_autofree char *path = wf_test_fixture_path (fixture, va_arg (args, const char *));

      g_hash_table_add (set, g_strdup_printf ("%d:%s", change, path));
    }
  return format_set (set);
}

char *
wf_test_expect_changes (WfTestFixture *fixture, ...)
{
  va_list args;
  char *expected;

  va_start (args, fixture);
  expected = wf_test_expect_changes_valist (fixture, args);
  va_end (args);
  return expected;
}

char *
wf_test_union (char *a, char *b)
{
  g_autofree char *owned_a = a;
  g_autofree char *owned_b = b;
  g_autofree char *joined = g_strconcat (owned_a, "\n", owned_b, NULL);
  g_auto(GStrv) lines = g_strsplit (joined, "\n", -1);
  g_autoptr(GHashTable) set = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_hash_table_add (set, lines[i]);
  return format_set (set);
}

void
wf_test_assert_changes (WfNotify *notify, const char *expected)
{
  /* Far above any real latency: a loaded CI machine (or valgrind) may be
   * slow to schedule a reader or a scan. */
  g_autofree char *seen = wf_test_collect (notify, 5000, expected);

  g_assert_cmpstr (seen, ==, expected);
}

void
wf_test_assert_changes_below (WfNotify *notify, WfTestFixture *fixture, ...)
{
  g_autofree char *expected = NULL;
  va_list args;

  va_start (args, fixture);
  expected = wf_test_expect_changes_valist (fixture, args);
  va_end (args);
  wf_test_assert_changes (notify, expected);
}

void
wf_test_assert_refused (WfNotify *notify, GError **error, GQuark domain, int code)
{
  g_assert_null (notify);
  g_assert_error (*error, domain, code);
  g_clear_error (error);
}

void
wf_test_assert_not_found (WfNotify *notify, const GError *error)
{
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "No such file or directory"));
  g_assert_null (notify);
}

guint
wf_test_describe_field (WfNotify *notify, const char *field)
{
  g_autofree char *description = wf_notify_describe (notify);
  g_autofree char *key = g_strdup_printf ("%s: ", field);
  const char *found = strstr (description, key);

  g_assert_nonnull (found);
  return (guint) g_ascii_strtoull (found + strlen (key), NULL, 10);
}

guint
wf_test_status (WfNotify *notify, guint (*getter) (const WfStatus *status))
{
  g_autoptr(WfStatus) status = wf_notify_get_status (notify);

  return getter (status);
}

guint
wf_test_status_polled_subtrees (WfNotify *notify, WfPollReason reason)
{
  g_autoptr(WfStatus) status = wf_notify_get_status (notify);
  const char *const *subtrees = wf_status_get_polled_subtrees (status);
  guint n = 0;

  for (guint i = 0; subtrees[i] != NULL; i++)
    if (wf_status_get_polled_reason (status, i) == reason)
      n++;
  return n;
}

void
wf_test_await_status (WfNotify *notify, guint (*getter) (const WfStatus *status), guint expected)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (wf_test_status (notify, getter) != expected)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
}

/* ---- making changes ------------------------------------------------------ */

void
wf_test_touch (const char *path)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | WF_TEST_O_FLAGS, 0644);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

void
wf_test_hard_link (const char *path, const char *second_name)
{
#ifdef G_OS_WIN32
  g_autofree gunichar2 *wide_path = g_utf8_to_utf16 (path, -1, NULL, NULL, NULL);
  g_autofree gunichar2 *wide_name = g_utf8_to_utf16 (second_name, -1, NULL, NULL, NULL);

  g_assert_nonnull (wide_path);
  g_assert_nonnull (wide_name);
  if (!CreateHardLinkW (wide_name, wide_path, NULL))
    g_error ("CreateHardLinkW (%s, %s): error %lu", second_name, path, (unsigned long) GetLastError ());
#else
  g_assert_no_errno (link (path, second_name));
#endif
}

void
wf_test_truncate (const char *path, gint64 length)
{
#ifdef G_OS_WIN32
  int fd = g_open (path, O_WRONLY | WF_TEST_O_FLAGS, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (_chsize_s (fd, length), ==, 0);
  close (fd);
#else
  g_assert_no_errno (truncate (path, length));
#endif
}

void
wf_test_set_times_now (const char *path)
{
#ifdef G_OS_WIN32
  /* The CRT's utime() opens a file, never a directory (EACCES, measured
   * under wine): SetFileTime on a handle opened for its attributes. */
  g_autofree gunichar2 *wide = g_utf8_to_utf16 (path, -1, NULL, NULL, NULL);
  HANDLE handle;
  FILETIME now;

  g_assert_nonnull (wide);
  handle = CreateFileW (wide, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                        NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  g_assert_true (handle != INVALID_HANDLE_VALUE);
  GetSystemTimeAsFileTime (&now);
  g_assert_true (SetFileTime (handle, NULL, &now, &now));
  CloseHandle (handle);
#else
  /* NULL times: now, as touch(1) does. */
  g_assert_no_errno (g_utime (path, NULL));
#endif
}

gboolean
wf_test_skip_on_windows (const char *why)
{
#ifdef G_OS_WIN32
  g_test_skip_printf ("Windows: %s", why);
  return TRUE;
#else
  (void) why;
  return FALSE;
#endif
}

void
wf_test_rename (const char *from, const char *to)
{
#ifdef G_OS_WIN32
  /* A name whose file or directory was just deleted stays taken while
   * any handle to it is open (it is delete-pending): a backend's listing
   * of it, for one.  Renaming onto it fails with EACCES until that
   * handle is closed, so try for 2 s (measured under wine). */
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  while (g_rename (from, to) != 0)
    {
      g_assert_cmpint (errno, ==, EACCES);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
#else
  g_assert_no_errno (g_rename (from, to));
#endif
}

void
wf_test_symlink (const char *target, const char *path)
{
#ifdef G_OS_WIN32
  /* The scenarios that make links skip on Windows first
   * (wf_test_skip_on_windows): a symbolic link there needs
   * SeCreateSymbolicLinkPrivilege or developer mode. */
  g_error ("wf_test_symlink (%s, %s): no symbolic links made on Windows", target, path);
#else
  g_assert_no_errno (symlink (target, path));
#endif
}

void
wf_test_chmod (const char *path, mode_t mode)
{
  g_assert_no_errno (g_chmod (path, mode));
}

void
wf_test_fixture_touch (WfTestFixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  wf_test_touch (path);
}

void
wf_test_fixture_mkdir (WfTestFixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  wf_test_mkdir (path);
}

void
wf_test_fixture_rename (WfTestFixture *fixture, const char *from, const char *to)
{
  g_autofree char *from_path = wf_test_fixture_path (fixture, from);
  g_autofree char *to_path = wf_test_fixture_path (fixture, to);

  wf_test_rename (from_path, to_path);
}

void
wf_test_fixture_chmod (WfTestFixture *fixture, const char *relative, mode_t mode)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  wf_test_chmod (path, mode);
}

void
wf_test_fixture_symlink (WfTestFixture *fixture, const char *target, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  wf_test_symlink (target, path);
}

void
wf_test_fixture_write (WfTestFixture *fixture, const char *relative, const char *contents)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  g_autofree char *parent = g_path_get_dirname (path);

  wf_test_mkdir (parent);
  wf_test_write (path, contents);
}

void
wf_test_fixture_rm_rf (WfTestFixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  wf_test_rm_rf (path);
}

void
wf_test_fixture_remove (WfTestFixture *fixture, const char *relative)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);

  g_assert_no_errno (g_remove (path));
}

void
wf_test_fixture_place (WfTestFixture *fixture, const char *relative, const char *contents)
{
  g_autofree char *path = wf_test_fixture_path (fixture, relative);
  g_autofree char *staged = wf_test_fixture_path (fixture, ".staged");
  g_autofree char *parent = g_path_get_dirname (path);

  wf_test_mkdir (parent);
  wf_test_write (staged, contents);
  wf_test_rename (staged, path);
}

/* ---- expectations with an optional part ---------------------------------- */

/* @seen without the lines of @optional. */
static char *
drop_optional (const char *seen, const char *optional)
{
  g_auto(GStrv) seen_lines = g_strsplit (seen, "\n", -1);
  g_auto(GStrv) optional_lines = g_strsplit (optional, "\n", -1);
  g_autoptr(GHashTable) kept = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; seen_lines[i] != NULL; i++)
    if (*seen_lines[i] != '\0' && !g_strv_contains ((const char *const *) optional_lines, seen_lines[i]))
      g_hash_table_add (kept, seen_lines[i]);
  return format_set (kept);
}

char *
wf_test_collect_apart_from (WfNotify *notify, const char *expected, const char *optional)
{
  /* Far above any real latency: a loaded CI machine (or valgrind) may be
   * slow to schedule a reader or a scan. */
  guint timeout = *expected == '\0' ? 500 : 5000;
  g_autofree char *seen = wf_test_collect (notify, timeout, expected);

  return drop_optional (seen, optional != NULL ? optional : "");
}

void
wf_test_assert_changes_apart_from (WfNotify *notify, const char *expected, const char *optional)
{
  g_autofree char *seen = wf_test_collect_apart_from (notify, expected, optional);

  g_assert_cmpstr (seen, ==, expected);
}

/* ---- processes with other privileges ------------------------------------- */

#define EXIT_SKIP 77
#define EXIT_INCOMPLETE 78

/* Set in a namespace child by wf_test_incomplete(), for the parent. */
static char *child_incomplete;
static gboolean in_namespace_child;

void
wf_test_incomplete (const char *why)
{
  g_test_incomplete (why);
  if (in_namespace_child)
    {
      g_free (child_incomplete);
      child_incomplete = g_strdup (why);
    }
}

#ifdef G_OS_WIN32
/* Windows has no user namespaces, and needs none: no mode bit denies its
 * owner there (a scenario that counts on one skips itself, saying so), and
 * no backend has a per-user watch limit to lower.  So @func runs here, in
 * this process, and says what a child would have told. */
void
wf_test_run_in_user_namespace (WfTestFixture *fixture, gconstpointer data, WfTestNamespaceFunc func)
{
  const char *skip = func (fixture, data);

  if (skip != NULL)
    g_test_skip (skip);
}
#else
void
wf_test_run_in_user_namespace (WfTestFixture *fixture, gconstpointer data, WfTestNamespaceFunc func)
{
  char reason[1024] = "";
  int pipe_fds[2];
  ssize_t n_read;
  int status;
  pid_t pid;

  g_assert_no_errno (pipe2 (pipe_fds, O_CLOEXEC));
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      const struct rlimit no_core = { 0, 0 };
      const char *skip;

      close (pipe_fds[0]);
      if (unshare (CLONE_NEWUSER) != 0)
        {
          int saved_errno = errno;

          skip = g_strerror (saved_errno);
          if (write (pipe_fds[1], skip, strlen (skip)) < 0)
            _exit (EXIT_FAILURE);
          _exit (EXIT_SKIP);
        }
      if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
        _exit (EXIT_FAILURE);
      /* An assertion failing here is reported by the parent; no core. */
      setrlimit (RLIMIT_CORE, &no_core);
      in_namespace_child = TRUE;
      skip = func (fixture, data);
      if (skip != NULL || child_incomplete != NULL)
        {
          const char *told = skip != NULL ? skip : child_incomplete;
          gboolean written = write (pipe_fds[1], told, strlen (told)) >= 0;

          g_clear_pointer (&child_incomplete, g_free);
          _exit (!written ? EXIT_FAILURE : skip != NULL ? EXIT_SKIP : EXIT_INCOMPLETE);
        }
      _exit (g_test_failed () ? EXIT_FAILURE : EXIT_SUCCESS);
    }

  close (pipe_fds[1]);
  do
    n_read = read (pipe_fds[0], reason, sizeof reason - 1);
  while (n_read < 0 && errno == EINTR);
  close (pipe_fds[0]);
  reason[MAX (n_read, 0)] = '\0';
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);

  if (WIFEXITED (status) && WEXITSTATUS (status) == EXIT_SKIP && n_read > 0)
    g_test_skip_printf ("in a user namespace: %s", reason);
  else if (WIFEXITED (status) && WEXITSTATUS (status) == EXIT_INCOMPLETE && n_read > 0)
    g_test_incomplete (reason);
  else if (WIFSIGNALED (status))
    g_test_fail_printf ("the test's child process (in a user namespace) was killed by signal %d (%s)",
                        WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != EXIT_SUCCESS)
    g_test_fail_printf ("the test's child process (in a user namespace) exited with status %d",
                        WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}
#endif

gboolean
wf_test_write_sysctl (const char *path, const char *text)
{
  FILE *file = fopen (path, "w");
  gboolean ok;

  if (file == NULL)
    return FALSE;
  ok = fputs (text, file) >= 0;
  return fclose (file) == 0 && ok;
}

gboolean
wf_test_under_valgrind (void)
{
  g_autofree char *maps = NULL;

  return g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL) && strstr (maps, "vgpreload") != NULL;
}

/* ---- a kernel queue made to overflow -------------------------------------- */

#define MAX_QUEUED_EVENTS "/proc/sys/fs/inotify/max_queued_events"

#ifdef G_OS_WIN32
/* Lowering a kernel queue's length is inotify's (a Linux sysctl); only the
 * inotify backend's cases come here. */
gboolean
wf_test_overflow_begin (WfTestOverflow *overflow, const char *backend, const char *const *paths,
                        WfIgnoreRules *rules, WfNotify **notify)
{
  g_test_skip ("fs.inotify.max_queued_events is Linux's");
  return FALSE;
}

void
wf_test_overflow_burst_begin (WfTestOverflow *overflow)
{
}

void
wf_test_overflow_end (WfTestOverflow *overflow)
{
}
#else
gboolean
wf_test_overflow_begin (WfTestOverflow *overflow, const char *backend, const char *const *paths,
                        WfIgnoreRules *rules, WfNotify **notify)
{
  g_autoptr(GError) error = NULL;
  cpu_set_t one_cpu;
  gboolean lowered;

  if (getuid () != 0 || !g_file_get_contents (MAX_QUEUED_EVENTS, &overflow->saved_limit, NULL, NULL))
    {
      g_test_skip ("lowering fs.inotify.max_queued_events needs root");
      return FALSE;
    }

  /* The reader thread inherits this thread's CPU: sharing one, it cannot
   * run while this thread, real-time during the burst, makes changes. */
  g_assert_cmpint (sched_getaffinity (0, sizeof overflow->saved_cpus, &overflow->saved_cpus), ==, 0);
  CPU_ZERO (&one_cpu);
  CPU_SET (sched_getcpu (), &one_cpu);
  g_assert_cmpint (sched_setaffinity (0, sizeof one_cpu, &one_cpu), ==, 0);

  /* The limit is read when the inotify instance is made: lower it just
   * around construction, and put it back before any assertion can fail. */
  lowered = wf_test_write_sysctl (MAX_QUEUED_EVENTS, "16\n");
  *notify = wf_test_notify_new_with_rules (backend, paths, rules, FALSE, &error);
  if (lowered)
    g_assert_true (wf_test_write_sysctl (MAX_QUEUED_EVENTS, overflow->saved_limit));
  g_clear_pointer (&overflow->saved_limit, g_free);
  if (!lowered)
    {
      g_assert_cmpint (sched_setaffinity (0, sizeof overflow->saved_cpus, &overflow->saved_cpus), ==, 0);
      g_clear_object (notify);
      g_test_skip ("cannot write " MAX_QUEUED_EVENTS);
      return FALSE;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (*notify), ==, backend);
  return TRUE;
}

void
wf_test_overflow_burst_begin (WfTestOverflow *overflow)
{
  overflow->real_time = sched_setscheduler (0, SCHED_FIFO, &(struct sched_param) { .sched_priority = 1 }) == 0;
}

void
wf_test_overflow_end (WfTestOverflow *overflow)
{
  if (overflow->real_time)
    g_assert_cmpint (sched_setscheduler (0, SCHED_OTHER, &(struct sched_param) { 0 }), ==, 0);
  g_assert_cmpint (sched_setaffinity (0, sizeof overflow->saved_cpus, &overflow->saved_cpus), ==, 0);
}
#endif

void
wf_test_overflow_noise (const char *noise1, const char *noise2)
{
  for (guint i = 0; i < 40; i++)
    wf_test_chmod (i % 2 ? noise1 : noise2, i % 4 < 2 ? 0600 : 0644);
}

void
wf_test_overflow_assert_resynced (WfTestOverflow *overflow, WfNotify *notify)
{
  /* Without real-time scheduling (no CAP_SYS_NICE, or valgrind) the reader
   * may keep up, and the events tell what the resync would have. */
  if (!overflow->real_time || wf_test_under_valgrind ())
    {
      g_test_message ("the reader could run during the burst: the queue may not have overflowed");
      return;
    }
  g_assert_cmpuint (wf_test_status (notify, wf_status_get_n_rescans), >, 0);
}
