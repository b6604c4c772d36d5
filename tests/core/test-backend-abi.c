/* SPDX-License-Identifier: MIT */
/* test-backend-abi.c: what the core hands a backend at start() and what it
 * makes of the backend's status, through the recorder module of
 * tests/modules (it watches nothing and tells what it was given). */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gobject/gvaluecollector.h>

#include "wf-test-util.h"

#define DEFAULT_FILESYSTEMS "[nfs|nfs4|cifs|smb3|9p|virtiofs|vboxsf|fuse|fuse.*]"

/* A recorder watching the fixture's directory, with the properties given
 * as (name, value) pairs ended by NULL. */
static WfNotify *
new_recorder_valist (WfTestFixture *fixture, GError **error, const char *first_property, va_list args)
{
  const char *paths[] = { fixture->tmpdir, NULL };
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_autoptr(GTypeClass) klass = g_type_class_ref (WF_TYPE_NOTIFY);
  g_autoptr(WfNotify) notify = NULL;
  GValue *value;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  g_ptr_array_add (names, (gpointer) "paths");
  g_array_set_size (values, 1);
  g_value_init (&g_array_index (values, GValue, 0), G_TYPE_STRV);
  g_value_set_boxed (&g_array_index (values, GValue, 0), paths);
  g_ptr_array_add (names, (gpointer) "backend");
  g_array_set_size (values, 2);
  g_value_init (&g_array_index (values, GValue, 1), G_TYPE_STRING);
  g_value_set_static_string (&g_array_index (values, GValue, 1), "recorder");

  for (const char *name = first_property; name != NULL; name = va_arg (args, const char *))
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), name);
      g_autofree char *collect_error = NULL;

      g_assert_nonnull (pspec);
      g_ptr_array_add (names, (gpointer) name);
      g_array_set_size (values, values->len + 1);
      value = &g_array_index (values, GValue, values->len - 1);
      G_VALUE_COLLECT_INIT (value, pspec->value_type, args, 0, &collect_error);
      g_assert_null (collect_error);
    }
  notify = (WfNotify *) g_object_new_with_properties (WF_TYPE_NOTIFY, names->len, (const char **) names->pdata,
                                                      (const GValue *) values->data);
  if (!g_initable_init (G_INITABLE (notify), NULL, error))
    return NULL;
  return g_steal_pointer (&notify);
}

static WfNotify *
new_recorder (WfTestFixture *fixture, GError **error, const char *first_property, ...)
{
  WfNotify *notify;
  va_list args;

  va_start (args, first_property);
  notify = new_recorder_valist (fixture, error, first_property, args);
  va_end (args);
  return notify;
}

static void
assert_described (WfNotify *notify, const char *fragment)
{
  g_autofree char *description = wf_notify_describe (notify);

  if (strstr (description, fragment) == NULL)
    g_error ("“%s” does not contain “%s”", description, fragment);
}

static void
test_options_default (WfTestFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = new_recorder (fixture, &error, NULL, NULL);
  g_auto(GStrv) filesystems = NULL;
  WfWatchLimitPolicy policy;
  guint percent;

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, "recorder");
  assert_described (notify, "recursive: 1, follow_symlinks: 1, ignore_permission_denied: 0, poll_delay_ms: 300, "
                    "watch_limit_policy: 0, poll_cpu_percent: 10, polled_filesystems: " DEFAULT_FILESYSTEMS
                    ", debug: 0 }");
  g_object_get (notify, "watch-limit-policy", &policy, "poll-cpu-percent", &percent,
                "polled-filesystems", &filesystems, NULL);
  g_assert_cmpint (policy, ==, WF_WATCH_LIMIT_POLICY_POLL);
  g_assert_cmpuint (percent, ==, 10);
  g_assert_cmpuint (g_strv_length (filesystems), ==, 9);
  g_assert_cmpstr (filesystems[8], ==, "fuse.*");
}

static void
test_options_set (WfTestFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *filesystems[] = { "nfs4", "fuse.sshfs", "ceph", NULL };
  const char *none[] = { NULL };
  g_autoptr(WfNotify) notify = new_recorder (fixture, &error,
                                             "watch-limit-policy", WF_WATCH_LIMIT_POLICY_ERROR,
                                             "poll-cpu-percent", 25,
                                             "polled-filesystems", filesystems,
                                             "poll-delay-ms", 40,
                                             "recursive", FALSE,
                                             "follow-symlinks", FALSE,
                                             "ignore-permission-denied", TRUE,
                                             "debug", TRUE,
                                             NULL);
  g_autoptr(WfNotify) empty = NULL;

  g_assert_no_error (error);
  assert_described (notify, "recursive: 0, follow_symlinks: 0, ignore_permission_denied: 1, poll_delay_ms: 40, "
                    "watch_limit_policy: 1, poll_cpu_percent: 25, polled_filesystems: [nfs4|fuse.sshfs|ceph], "
                    "debug: 1 }");

  /* An empty list polls no filesystem; NULL is the default. */
  empty = new_recorder (fixture, &error, "polled-filesystems", none, NULL);
  g_assert_no_error (error);
  assert_described (empty, "polled_filesystems: [], ");
  g_clear_object (&empty);
  empty = new_recorder (fixture, &error, "polled-filesystems", NULL, NULL);
  g_assert_no_error (error);
  assert_described (empty, "polled_filesystems: " DEFAULT_FILESYSTEMS);
}

static void
assert_refused (WfTestFixture *fixture, const char *fragment, const char *first_property, ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  va_list args;

  va_start (args, first_property);
  notify = new_recorder_valist (fixture, &error, first_property, args);
  va_end (args);
  g_assert_null (notify);
  g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_options_invalid (WfTestFixture *fixture, gconstpointer data)
{
  const char *empty_entry[] = { "nfs", "", NULL };
  const char *spaced[] = { "nfs 4", NULL };
  const char *comma[] = { "nfs,cifs", NULL };
  const char *inner_star[] = { "fu*se", NULL };
  const char *bare_star[] = { "*", NULL };
  const char *dot_star[] = { ".*", NULL };

  assert_refused (fixture, "from 1 to 100, not 0", "poll-cpu-percent", 0, NULL);
  assert_refused (fixture, "from 1 to 100, not 101", "poll-cpu-percent", 101, NULL);
  assert_refused (fixture, "“” is not a filesystem type", "polled-filesystems", empty_entry, NULL);
  assert_refused (fixture, "“nfs 4”", "polled-filesystems", spaced, NULL);
  assert_refused (fixture, "“nfs,cifs”", "polled-filesystems", comma, NULL);
  assert_refused (fixture, "“fu*se”", "polled-filesystems", inner_star, NULL);
  assert_refused (fixture, "“*”", "polled-filesystems", bare_star, NULL);
  assert_refused (fixture, "“.*”", "polled-filesystems", dot_star, NULL);
}

static void
test_status (WfTestFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = new_recorder (fixture, &error, NULL, NULL);
  g_autoptr(WfStatus) status = NULL;
  g_autoptr(WfStatus) closed = NULL;
  g_autofree char *deep = wf_test_fixture_path (fixture, "deep");
  WfStatus *copy;
  const char *const *polled;

  g_assert_no_error (error);
  status = wf_notify_get_status (notify);
  g_assert_cmpstr (wf_status_get_backend_name (status), ==, "recorder");
  g_assert_cmpuint (g_strv_length ((GStrv) wf_status_get_roots (status)), ==, 1);
  g_assert_cmpstr (wf_status_get_roots (status)[0], ==, fixture->tmpdir);
  g_assert_cmpuint (wf_status_get_n_directories (status), ==, 1);
  g_assert_cmpuint (wf_notify_get_watched_directories (notify), ==, 1);
  g_assert_cmpuint (wf_status_get_n_polled_directories (status), ==, 2);
  g_assert_cmpuint (wf_status_get_n_unwatched (status), ==, 3);
  g_assert_cmpuint (wf_status_get_n_rescans (status), ==, 7);
  polled = wf_status_get_polled_subtrees (status);
  g_assert_cmpuint (g_strv_length ((GStrv) polled), ==, 2);
  g_assert_cmpstr (polled[0], ==, fixture->tmpdir);
  g_assert_cmpint (wf_status_get_polled_reason (status, 0), ==, WF_POLL_REASON_FILESYSTEM);
  g_assert_cmpstr (polled[1], ==, deep);
  g_assert_cmpint (wf_status_get_polled_reason (status, 1), ==, WF_POLL_REASON_WATCH_LIMIT);

  /* Immutable: a copy is the same snapshot. */
  copy = g_boxed_copy (WF_TYPE_STATUS, status);
  g_assert_true (copy == status);
  g_boxed_free (WF_TYPE_STATUS, copy);
  {
    g_autofree char *name = g_enum_to_string (WF_TYPE_POLL_REASON, WF_POLL_REASON_FILESYSTEM);
    g_assert_cmpstr (name, ==, "WF_POLL_REASON_FILESYSTEM");
  }

  /* Closed: the snapshot taken before is kept; a new one counts nothing. */
  wf_notify_close (notify);
  closed = wf_notify_get_status (notify);
  g_assert_cmpstr (wf_status_get_backend_name (closed), ==, "recorder");
  g_assert_cmpstr (wf_status_get_roots (closed)[0], ==, fixture->tmpdir);
  g_assert_cmpuint (wf_status_get_n_directories (closed), ==, 0);
  g_assert_cmpuint (wf_status_get_n_polled_directories (closed), ==, 0);
  g_assert_null (wf_status_get_polled_subtrees (closed)[0]);
  g_assert_cmpuint (wf_status_get_n_rescans (closed), ==, 0);
  g_assert_cmpuint (wf_status_get_n_directories (status), ==, 1);
}

/* Backends are handed absolute, un-normalised roots (wf-backend.h). */
static void
test_roots_handed_absolute (WfTestFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *old_cwd = g_get_current_dir ();
  g_autofree char *sub = wf_test_fixture_path (fixture, "w");
  g_autofree char *expected = NULL;
  const char *paths[] = { "w/", ".", "./w/../w", sub, NULL };
  g_autoptr(WfStatus) status = NULL;

  wf_test_mkdir (sub);
  g_assert_no_errno (g_chdir (fixture->tmpdir));
  notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error, "paths", paths, "backend", "recorder", NULL);
  g_assert_no_errno (g_chdir (old_cwd));
  g_assert_no_error (error);
  expected = g_strdup_printf ("RecorderBackend { roots: [%s/w/|%s/.|%s/./w/../w|%s], ",
                              fixture->tmpdir, fixture->tmpdir, fixture->tmpdir, sub);
  assert_described (notify, expected);
  /* The status keeps them as given. */
  status = wf_notify_get_status (notify);
  g_assert_cmpstr (wf_status_get_roots (status)[0], ==, "w/");
  g_assert_cmpstr (wf_status_get_roots (status)[2], ==, "./w/../w");
}

/* What users see below a relative root is what watchfiles reports for the
 * backend kind: poll as given, inotify joined to the working directory;
 * ignore rules see the same form (a relative ignored prefix works with poll). */
static void
test_relative_roots_reported (WfTestFixture *fixture, gconstpointer data)
{
  const char *const *backends = wf_test_backends ();

  for (guint b = 0; backends[b] != NULL; b++)
    {
      g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
      g_autoptr(WfNotify) notify = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *old_cwd = g_get_current_dir ();
      g_autofree char *dir = g_build_filename (fixture->tmpdir, backends[b], NULL);
      g_autofree char *expected = NULL;
      g_autofree char *seen = NULL;
      const char *paths[] = { "./w/", NULL };
      gboolean poll = g_strcmp0 (backends[b], "poll") == 0;

      wf_test_mkdir (dir);
      g_assert_no_errno (g_chdir (dir));
      wf_test_mkdir ("w");
      wf_test_mkdir ("w/build");
      if (poll)
        wf_ignore_rules_add_path_prefix (rules, "./w/build", NULL);
      else
        {
          g_autofree char *prefix = g_strdup_printf ("%s/./w/build", dir);
          wf_ignore_rules_add_path_prefix (rules, prefix, NULL);
        }
      notify = wf_test_notify_new_with_rules (backends[b], paths, rules, FALSE, &error);
      g_assert_no_error (error);
      wf_test_write ("w/build/hidden", "x");
      wf_test_mkdir ("w/new");
      g_assert_no_errno (g_chdir (old_cwd));

      expected = poll ? g_strdup ("1:./w/new") : g_strdup_printf ("1:%s/./w/new", dir);
      seen = wf_test_collect (notify, 5000, expected);
      g_assert_cmpstr (seen, ==, expected);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *modules_dir = NULL;
  g_autofree char *search_path = NULL;

  g_test_init (&argc, &argv, NULL);

  modules_dir = g_test_build_filename (G_TEST_BUILT, "modules", NULL);
  search_path = g_strjoin (":", modules_dir, g_getenv ("WATCHFILES_BACKEND_DIR"), NULL);
  g_setenv ("WATCHFILES_BACKEND_DIR", search_path, TRUE);
  g_unsetenv ("WATCHFILES_BACKEND");

#define ADD(path, func) \
  g_test_add (path, WfTestFixture, NULL, wf_test_fixture_set_up, func, wf_test_fixture_tear_down)
  ADD ("/backend-abi/options/default", test_options_default);
  ADD ("/backend-abi/options/set", test_options_set);
  ADD ("/backend-abi/options/invalid", test_options_invalid);
  ADD ("/backend-abi/status", test_status);
  ADD ("/backend-abi/roots/handed-absolute", test_roots_handed_absolute);
  ADD ("/backend-abi/roots/relative-reported", test_relative_roots_reported);
#undef ADD
  return g_test_run ();
}
