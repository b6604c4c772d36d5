/* SPDX-License-Identifier: MIT */
/* test-loader.c: finding, validating and choosing backend modules: the real
 * ones from the build tree and the broken ones of tests/modules. */
#include "config.h"

#include <gio/gio.h>
#include <gmodule.h>

#include "wf-test-util.h"

typedef struct {
  char *dir;
  const char *paths[2];
} Fixture;

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  fixture->dir = wf_test_tmpdir_new ();
  fixture->paths[0] = fixture->dir;
  fixture->paths[1] = NULL;
  g_unsetenv ("WATCHFILES_BACKEND");
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  wf_test_tmpdir_free (fixture->dir);
  g_unsetenv ("WATCHFILES_BACKEND");
}

static WfNotify *
new_with_backend (Fixture *fixture, const char *backend, gboolean force_polling, GError **error)
{
  return g_initable_new (WF_TYPE_NOTIFY, NULL, error,
                         "paths", fixture->paths,
                         "backend", backend,
                         "force-polling", force_polling,
                         NULL);
}

static const WfBackendInfo *
find_info (GPtrArray *infos, const char *name)
{
  for (guint i = 0; i < infos->len; i++)
    if (g_strcmp0 (wf_backend_info_get_name (g_ptr_array_index (infos, i)), name) == 0)
      return g_ptr_array_index (infos, i);
  return NULL;
}

static void
test_list_all (void)
{
  g_autoptr(GPtrArray) infos = wf_backend_info_list_all ();
  const WfBackendInfo *info;

  /* Not built with -Dinotify=disabled. */
  if (wf_test_have_backend ("inotify"))
    {
      info = find_info (infos, "inotify");
      g_assert_nonnull (info);
      g_assert_true (wf_backend_info_get_available (info));
      g_assert_cmpint (wf_backend_info_get_priority (info), ==, 100);
      g_assert_true (g_str_has_suffix (wf_backend_info_get_filename (info), "/inotify." G_MODULE_SUFFIX));
    }

  info = find_info (infos, "poll");
  g_assert_nonnull (info);
  g_assert_true (wf_backend_info_get_available (info));
  g_assert_cmpint (wf_backend_info_get_priority (info), ==, 0);
  g_assert_null (wf_backend_info_get_reason (info));

  info = find_info (infos, "unprobed");
  g_assert_nonnull (info);
  g_assert_false (wf_backend_info_get_available (info));
  g_assert_nonnull (strstr (wf_backend_info_get_reason (info), "never works"));

  info = find_info (infos, "oldabi");
  g_assert_nonnull (info);
  g_assert_false (wf_backend_info_get_available (info));
  g_assert_nonnull (strstr (wf_backend_info_get_reason (info), "built for backend ABI 1, this library speaks ABI 2"));

  info = find_info (infos, "futureabi");
  g_assert_nonnull (info);
  g_assert_false (wf_backend_info_get_available (info));
  g_assert_nonnull (strstr (wf_backend_info_get_reason (info), "built for backend ABI 3, this library speaks ABI 2"));

  info = find_info (infos, "nosymbol");
  g_assert_nonnull (info);
  g_assert_false (wf_backend_info_get_available (info));
  g_assert_nonnull (strstr (wf_backend_info_get_reason (info), "wf_backend_module_get_vtable"));

  info = find_info (infos, "misnamed");
  g_assert_nonnull (info);
  g_assert_false (wf_backend_info_get_available (info));
  g_assert_nonnull (strstr (wf_backend_info_get_reason (info), "named after"));

  info = find_info (infos, "enosys");
  g_assert_nonnull (info);
  g_assert_true (wf_backend_info_get_available (info));
  g_assert_cmpint (wf_backend_info_get_priority (info), ==, 500);
}

static void
test_format_list (void)
{
  g_autofree char *text = wf_backend_info_format_list ();

  g_assert_true (g_str_has_prefix (text, "Watchfiles backends"));
  if (wf_test_have_backend ("inotify"))
    g_assert_nonnull (strstr (text, "\n  inotify    passes  100       "));
  g_assert_nonnull (strstr (text, "\n  poll       passes  0         "));
  g_assert_nonnull (strstr (text, "\n  unprobed   fails   -         "));
  /* The test module outranks inotify on purpose. */
  g_assert_nonnull (strstr (text, "\n* enosys     passes  500       "));
  g_assert_true (g_str_has_suffix (text, "\nChosen here: enosys (the highest priority whose probe passes)\n"));
}

static void
test_help_env (Fixture *fixture, gconstpointer data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WfNotify) notify = NULL;

      /* The fixture's own directory: never a shared one such as /tmp,
       * where other programs keep trees of their own. */
      g_setenv ("WATCHFILES_BACKEND", "help", TRUE);
      notify = wf_notify_new (fixture->paths, FALSE, FALSE, 300, TRUE, FALSE, &error);
      g_assert_no_error (error);
      g_clear_object (&notify);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr (wf_test_have_backend ("inotify")
                             ? "*Watchfiles backends (choose one with WATCHFILES_BACKEND=NAME):*inotify*poll*Chosen here: *"
                             : "*Watchfiles backends (choose one with WATCHFILES_BACKEND=NAME):*poll*Chosen here: *");
}

static void
test_explicit_good (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) by_property = new_with_backend (fixture, "poll", FALSE, &error);
  g_autoptr(WfNotify) by_env = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (by_property), ==, "poll");

  if (!wf_test_have_backend ("inotify"))
    return;
  g_setenv ("WATCHFILES_BACKEND", "inotify", TRUE);
  by_env = new_with_backend (fixture, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (by_env), ==, "inotify");
}

static void
assert_backend_error (Fixture *fixture, const char *name, int code, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = new_with_backend (fixture, name, FALSE, &error);

  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_explicit_unknown (Fixture *fixture, gconstpointer data)
{
  assert_backend_error (fixture, "nope", WF_ERROR_BACKEND_NOT_FOUND, "No backend called “nope”");
  assert_backend_error (fixture, "../poll", WF_ERROR_BACKEND_NOT_FOUND, "is not a backend name");
}

static void
test_explicit_old_abi (Fixture *fixture, gconstpointer data)
{
  /* An ABI 1 module would read options without the ABI 2 fields and
   * write a status without its private part: refused before any call. */
  assert_backend_error (fixture, "oldabi", WF_ERROR_BACKEND_INVALID, "built for backend ABI 1, this library speaks ABI 2");
}

static void
test_explicit_future_abi (Fixture *fixture, gconstpointer data)
{
  assert_backend_error (fixture, "futureabi", WF_ERROR_BACKEND_INVALID, "built for backend ABI 3, this library speaks ABI 2");
}

static void
test_explicit_missing_symbol (Fixture *fixture, gconstpointer data)
{
  assert_backend_error (fixture, "nosymbol", WF_ERROR_BACKEND_INVALID, "has no wf_backend_module_get_vtable symbol");
}

static void
test_explicit_misnamed (Fixture *fixture, gconstpointer data)
{
  assert_backend_error (fixture, "misnamed", WF_ERROR_BACKEND_INVALID, "calls itself “notmisnamed”");
}

static void
test_explicit_failed_probe (Fixture *fixture, gconstpointer data)
{
  assert_backend_error (fixture, "unprobed", WF_ERROR_BACKEND_UNAVAILABLE, "this test backend never works");
}

static void
test_explicit_never_substituted (Fixture *fixture, gconstpointer data)
{
  /* Named by the environment and unable to start: an error, not poll. */
  g_setenv ("WATCHFILES_BACKEND", "enosys", TRUE);
  assert_backend_error (fixture, NULL, WF_ERROR_BACKEND_UNAVAILABLE, "Function not implemented");
}

static void
test_auto_falls_back_to_poll (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = new_with_backend (fixture, NULL, FALSE, &error);
  g_autofree char *file = g_build_filename (fixture->dir, "seen", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *seen = NULL;

  /* "enosys" wins the probe (priority 500) and fails to start, as inotify
   * does in some containers; the core must fall back to polling. */
  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");

  /* One atomic step (a write could be seen half-way by a scan). */
  wf_test_mkdir (file);
  expected = g_strdup_printf ("1:%s", file);
  seen = wf_test_collect (notify, 5000, expected);
  g_assert_cmpstr (seen, ==, expected);
}

/* The registry says why poll serves, in watchfiles' words, with debug on. */
static void
test_fallback_debug_line (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      char *dir = wf_test_tmpdir_new ();
      const char *paths[] = { dir, NULL };
      g_autoptr(WfNotify) notify = wf_notify_new (paths, TRUE, FALSE, 300, TRUE, FALSE, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");
      g_clear_object (&notify);
      wf_test_tmpdir_free (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("IO error using recommend watcher: Function not implemented (os error 38), "
                             "falling back to PollWatcher\nwatcher: PollBackend {*");
}

/* A missing root is refused before a backend that needs its roots (poll,
 * as RustNotify) starts, and in RustNotify's words. */
static void
test_missing_root_refused_for_poll (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  const char *paths[] = { missing, NULL };
  g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, TRUE, 300, TRUE, FALSE, &error);
  g_autofree char *expected = g_strdup_printf ("No such file or directory: “%s”", missing);

  g_assert_null (notify);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_force_polling_wins (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;

  g_setenv ("WATCHFILES_BACKEND", "inotify", TRUE);
  notify = new_with_backend (fixture, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "poll");
}

static void
test_search_path (void)
{
  g_autofree char *extra = g_strdup (g_getenv ("WATCHFILES_BACKEND_DIR"));
  g_autoptr(GPtrArray) infos = NULL;

  /* Unknown directories are skipped, and the compiled-in one comes last. */
  g_setenv ("WATCHFILES_BACKEND_DIR", "/nonexistent:", TRUE);
  infos = wf_backend_info_list_all ();
  g_assert_null (find_info (infos, "enosys"));
  g_setenv ("WATCHFILES_BACKEND_DIR", extra, TRUE);
}

/* No module anywhere (a partial installation): the error names every
 * directory searched and what was found there. */
static void
test_no_module_anywhere (Fixture *fixture, gconstpointer data)
{
  g_autofree char *extra = g_strdup (g_getenv ("WATCHFILES_BACKEND_DIR"));
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  g_autofree char *search_path = g_strjoin (":", fixture->dir, missing, NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *installed = g_build_filename (WF_BACKEND_DIR, "poll.so", NULL);

  if (g_file_test (installed, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("backend modules are installed in " WF_BACKEND_DIR);
      return;
    }
  g_setenv ("WATCHFILES_BACKEND_DIR", search_path, TRUE);
  notify = new_with_backend (fixture, NULL, FALSE, &error);
  g_setenv ("WATCHFILES_BACKEND_DIR", extra, TRUE);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_BACKEND_NOT_FOUND);
  expected = g_strdup_printf ("No backend module found: looked for *.so files in %s (no backend module in it), "
                              "%s (no such directory), %s (%s); install the backend modules (inotify.so, poll.so) "
                              "there, or name the directory holding them in WATCHFILES_BACKEND_DIR",
                              fixture->dir, missing, WF_BACKEND_DIR,
                              g_file_test (WF_BACKEND_DIR, G_FILE_TEST_IS_DIR) ? "no backend module in it"
                                                                                : "no such directory");
  g_assert_cmpstr (error->message, ==, expected);
}

int
main (int argc, char **argv)
{
  g_autofree char *modules_dir = NULL;
  g_autofree char *search_path = NULL;

  g_test_init (&argc, &argv, NULL);

  /* The broken modules first, then the real ones of the build tree. */
  modules_dir = g_test_build_filename (G_TEST_BUILT, "modules", NULL);
  search_path = g_strjoin (":", modules_dir, g_getenv ("WATCHFILES_BACKEND_DIR"), NULL);
  g_setenv ("WATCHFILES_BACKEND_DIR", search_path, TRUE);

  g_test_add_func ("/loader/list-all", test_list_all);
  g_test_add_func ("/loader/format-list", test_format_list);
  g_test_add ("/loader/help-env", Fixture, NULL, fixture_setup, test_help_env, fixture_teardown);
  g_test_add_func ("/loader/search-path", test_search_path);
  g_test_add ("/loader/explicit/good", Fixture, NULL, fixture_setup, test_explicit_good, fixture_teardown);
  g_test_add ("/loader/explicit/unknown", Fixture, NULL, fixture_setup, test_explicit_unknown, fixture_teardown);
  g_test_add ("/loader/explicit/old-abi", Fixture, NULL, fixture_setup, test_explicit_old_abi, fixture_teardown);
  g_test_add ("/loader/explicit/future-abi", Fixture, NULL, fixture_setup, test_explicit_future_abi, fixture_teardown);
  g_test_add ("/loader/explicit/missing-symbol", Fixture, NULL, fixture_setup, test_explicit_missing_symbol, fixture_teardown);
  g_test_add ("/loader/explicit/misnamed", Fixture, NULL, fixture_setup, test_explicit_misnamed, fixture_teardown);
  g_test_add ("/loader/explicit/failed-probe", Fixture, NULL, fixture_setup, test_explicit_failed_probe, fixture_teardown);
  g_test_add ("/loader/explicit/never-substituted", Fixture, NULL, fixture_setup, test_explicit_never_substituted, fixture_teardown);
  g_test_add ("/loader/auto/enosys-falls-back-to-poll", Fixture, NULL, fixture_setup, test_auto_falls_back_to_poll, fixture_teardown);
  g_test_add_func ("/loader/auto/fallback-debug-line", test_fallback_debug_line);
  g_test_add ("/loader/missing-root-refused-for-poll", Fixture, NULL, fixture_setup, test_missing_root_refused_for_poll, fixture_teardown);
  g_test_add ("/loader/auto/no-module-anywhere", Fixture, NULL, fixture_setup, test_no_module_anywhere, fixture_teardown);
  g_test_add ("/loader/force-polling-wins", Fixture, NULL, fixture_setup, test_force_polling_wins, fixture_teardown);
  return g_test_run ();
}
