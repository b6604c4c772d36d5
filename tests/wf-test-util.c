/* wf-test-util.c: helpers shared by the C tests. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wf-test-util.h"

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
  struct stat st;

  if (lstat (path, &st) != 0)
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
          chmod (path, 0700);
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
  else
    g_unlink (path);
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

const char *const *
wf_test_backends (void)
{
  static GStrv backends;

  if (g_once_init_enter (&backends))
    {
      /* meson test says which modules were built; run by hand, all of them. */
      const char *built = g_getenv ("WF_TEST_BACKENDS");
      GStrv names = g_strsplit (built != NULL ? built : "inotify:poll", ":", -1);
      g_once_init_leave (&backends, names);
    }
  return (const char *const *) backends;
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
  g_test_skip_printf ("the %s backend is not built", name);
  return TRUE;
}

static WfNotify *
notify_new_full (const char *backend,
                 const char *const *paths,
                 gboolean recursive,
                 gboolean ignore_permission_denied,
                 WfIgnoreRules *rules,
                 gboolean debug,
                 GError **error)
{
  gboolean polling = g_strcmp0 (backend, "poll") == 0;

  return g_initable_new (WF_TYPE_NOTIFY, NULL, error,
                         "paths", paths,
                         "debug", debug || g_getenv ("WF_TEST_DEBUG") != NULL,
                         "force-polling", polling,
                         "poll-delay-ms", 20,
                         "recursive", recursive,
                         "ignore-permission-denied", ignore_permission_denied,
                         "backend", polling ? NULL : backend,
                         "ignore-rules", rules,
                         NULL);
}

WfNotify *
wf_test_notify_new (const char *backend,
                    const char *const *paths,
                    gboolean recursive,
                    gboolean ignore_permission_denied,
                    GError **error)
{
  return notify_new_full (backend, paths, recursive, ignore_permission_denied, NULL, FALSE, error);
}

WfNotify *
wf_test_notify_new_with_rules (const char *backend,
                               const char *const *paths,
                               WfIgnoreRules *rules,
                               gboolean ignore_permission_denied,
                               GError **error)
{
  return notify_new_full (backend, paths, TRUE, ignore_permission_denied, rules, g_test_subprocess (), error);
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

static char *
expect_changes_valist (WfTestFixture *fixture, va_list args)
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
  expected = expect_changes_valist (fixture, args);
  va_end (args);
  return expected;
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
  expected = expect_changes_valist (fixture, args);
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
