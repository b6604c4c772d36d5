/* SPDX-License-Identifier: MIT */
/* test-api-misuse.c: every public function given what a careless caller or
 * a binding can hand it: NULL, an object of another type, an empty array,
 * an unstarted, uninitialised or closed watcher, numbers at the ends of
 * their range, paths that are not UTF-8 or are too long.  Each gets what a
 * GLib library gives: a GError for what a program cannot know in advance
 * (a path, a descriptor), a g_return_if_fail() critical for a programming
 * error, and never a crash or a hang.  Calls that could hang are bounded
 * by a clock; the suite's timeout is the last resort. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <watchfiles.h>

#include "wf-test-util.h"

/* @stmt must emit one critical from the library, and return. */
#define EXPECT_CRITICAL(stmt)                                                \
  G_STMT_START                                                               \
  {                                                                          \
    g_test_expect_message ("Watchfiles", G_LOG_LEVEL_CRITICAL, "*");         \
    stmt;                                                                    \
    g_test_assert_expected_messages ();                                      \
  }                                                                          \
  G_STMT_END

/* Generous: only a hang (seconds, not milliseconds) fails. */
#define BOUND_US (G_USEC_PER_SEC * 10)

static WfNotify *
notify_on (const char *dir, GError **error)
{
  const char *paths[] = { dir, NULL };
  return wf_notify_new (paths, FALSE, FALSE, 50, TRUE, FALSE, error);
}

static void
test_null_instances (void)
{
  g_autoptr(GObject) other = g_object_new (G_TYPE_OBJECT, NULL);
  WfNotify *not_notify = (WfNotify *) other;
  WfIgnoreRules *not_rules = (WfIgnoreRules *) other;
  GPtrArray *changes = NULL;
  GError *error = NULL;

  for (guint i = 0; i < 2; i++)
    {
      WfNotify *self = i == 0 ? NULL : not_notify;

      EXPECT_CRITICAL (g_assert_cmpint (wf_notify_watch (self, 50, 10, 10, NULL, -1, &changes, &error), ==,
                                        WF_WATCH_RESULT_ERROR));
      EXPECT_CRITICAL (g_assert_cmpint (wf_notify_watch_full (self, 50, 10, 10, NULL, -1, FALSE, NULL, NULL,
                                                              &changes, &error),
                                        ==, WF_WATCH_RESULT_ERROR));
      EXPECT_CRITICAL (wf_notify_watch_async (self, 50, 10, 10, NULL, NULL, NULL, NULL));
      EXPECT_CRITICAL (g_assert_false (wf_notify_start (self, 50, 10, &error)));
      EXPECT_CRITICAL (wf_notify_stop (self));
      EXPECT_CRITICAL (g_assert_false (wf_notify_is_started (self)));
      EXPECT_CRITICAL (wf_notify_close (self));
      EXPECT_CRITICAL (wf_notify_is_closed (self));
      EXPECT_CRITICAL (g_assert_null (wf_notify_get_backend_name (self)));
      EXPECT_CRITICAL (g_assert_null (wf_notify_describe (self)));
      EXPECT_CRITICAL (g_assert_cmpuint (wf_notify_get_watched_directories (self), ==, 0));
      EXPECT_CRITICAL (g_assert_null (wf_notify_get_status (self)));
      EXPECT_CRITICAL (g_assert_null (wf_notify_get_ignore_rules (self)));
      g_assert_null (changes);
      g_assert_no_error (error);
    }

  for (guint i = 0; i < 2; i++)
    {
      WfIgnoreRules *self = i == 0 ? NULL : not_rules;

      EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_dir_name (self, "x", &error)));
      EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_entity_pattern (self, "x", &error)));
      EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_path_prefix (self, "/x", &error)));
      EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_glob (self, "*.x", &error)));
      EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_matches (self, NULL, "/x")));
      EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_matches_entry (self, NULL, "/x")));
      EXPECT_CRITICAL (wf_ignore_rules_seal (self));
      EXPECT_CRITICAL (wf_ignore_rules_is_sealed (self));
      EXPECT_CRITICAL (wf_ignore_rules_is_empty (self));
      g_assert_no_error (error);
    }

  EXPECT_CRITICAL (g_assert_null (wf_status_ref (NULL)));
  EXPECT_CRITICAL (wf_status_unref (NULL));
  EXPECT_CRITICAL (g_assert_null (wf_status_get_backend_name (NULL)));
  EXPECT_CRITICAL (g_assert_null (wf_status_get_roots (NULL)));
  EXPECT_CRITICAL (g_assert_cmpuint (wf_status_get_n_directories (NULL), ==, 0));
  EXPECT_CRITICAL (g_assert_cmpuint (wf_status_get_n_polled_directories (NULL), ==, 0));
  EXPECT_CRITICAL (g_assert_null (wf_status_get_polled_subtrees (NULL)));
  EXPECT_CRITICAL (wf_status_get_polled_reason (NULL, 0));
  EXPECT_CRITICAL (g_assert_cmpuint (wf_status_get_n_rescans (NULL), ==, 0));
  EXPECT_CRITICAL (g_assert_null (wf_status_get_fallback_reason (NULL)));
  EXPECT_CRITICAL (g_assert_cmpuint (wf_status_get_n_unwatched (NULL), ==, 0));

  EXPECT_CRITICAL (g_assert_null (wf_file_change_copy (NULL)));
  /* Free functions take NULL, as g_free() does. */
  wf_file_change_free (NULL);
  EXPECT_CRITICAL (wf_file_change_get_change (NULL));
  EXPECT_CRITICAL (g_assert_null (wf_file_change_get_path (NULL)));

  EXPECT_CRITICAL (g_assert_null (wf_backend_info_copy (NULL)));
  wf_backend_info_free (NULL);
  EXPECT_CRITICAL (g_assert_null (wf_backend_info_get_name (NULL)));
  EXPECT_CRITICAL (g_assert_null (wf_backend_info_get_filename (NULL)));
  EXPECT_CRITICAL (g_assert_null (wf_backend_info_get_description (NULL)));
  EXPECT_CRITICAL (g_assert_false (wf_backend_info_get_available (NULL)));
  EXPECT_CRITICAL (wf_backend_info_get_priority (NULL));
  EXPECT_CRITICAL (g_assert_null (wf_backend_info_get_reason (NULL)));
}

static void
test_null_arguments (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autofree char *dir = wf_test_tmpdir_new ();
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(WfStatus) status = NULL;
  GPtrArray *changes = NULL;
  GError *error = NULL;

  EXPECT_CRITICAL (g_assert_null (wf_notify_new (NULL, FALSE, FALSE, 50, TRUE, FALSE, &error)));
  EXPECT_CRITICAL (g_assert_null (wf_file_change_new (WF_CHANGE_ADDED, NULL)));
  EXPECT_CRITICAL (g_assert_null (wf_file_change_new ((WfChange) 0, "/x")));
  EXPECT_CRITICAL (g_assert_null (wf_file_change_new ((WfChange) 99, "/x")));
  EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_dir_name (rules, NULL, &error)));
  EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_entity_pattern (rules, NULL, &error)));
  EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_path_prefix (rules, NULL, &error)));
  EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_add_glob (rules, NULL, &error)));
  EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_matches (rules, NULL, NULL)));
  EXPECT_CRITICAL (g_assert_false (wf_ignore_rules_matches_entry (rules, NULL, NULL)));
  g_assert_no_error (error);

  notify = notify_on (dir, &error);
  g_assert_no_error (error);
  /* An error already set, or changes already there, is the caller's bug. */
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "earlier");
  EXPECT_CRITICAL (g_assert_cmpint (wf_notify_watch (notify, 50, 10, 10, NULL, -1, &changes, &error), ==,
                                    WF_WATCH_RESULT_ERROR));
  EXPECT_CRITICAL (g_assert_false (wf_notify_start (notify, 50, 10, &error)));
  g_clear_error (&error);
  changes = g_ptr_array_new ();
  EXPECT_CRITICAL (g_assert_cmpint (wf_notify_watch (notify, 50, 10, 10, NULL, -1, &changes, NULL), ==,
                                    WF_WATCH_RESULT_ERROR));
  g_clear_pointer (&changes, g_ptr_array_unref);
  /* Not a GCancellable, and no callback to call. */
  EXPECT_CRITICAL (wf_notify_watch (notify, 50, 10, 10, (GCancellable *) rules, -1, &changes, &error));
  EXPECT_CRITICAL (wf_notify_watch_async (notify, 50, 10, 10, NULL, NULL, NULL, NULL));
  g_assert_null (changes);
  g_assert_no_error (error);

  status = wf_notify_get_status (notify);
  g_assert_nonnull (status);
  EXPECT_CRITICAL (wf_status_get_polled_reason (status, 1000));
  wf_notify_close (notify);
  wf_test_tmpdir_free (g_steal_pointer (&dir));
}

/* The same six arguments RustNotify takes can each be wrong in a way only
 * the file system knows: a GError, with a message that is valid UTF-8. */
static void
test_bad_paths (void)
{
  g_autofree char *dir = wf_test_tmpdir_new ();
  g_autofree char *not_utf8 = g_build_filename (dir, "caf\xe9-missing", NULL);
  g_autofree char *not_utf8_dir = g_build_filename (dir, "caf\xe9", NULL);
  g_autofree char *not_utf8_file = g_build_filename (not_utf8_dir, "na\xefve", NULL);
  g_autoptr(GString) too_long = g_string_new (dir);
  g_autoptr(GString) long_name = g_string_new (dir);
  const char *empty[] = { NULL };
  const char *cases[4];

  g_string_append_c (long_name, '/');
  for (guint i = 0; i < NAME_MAX + 10; i++)
    g_string_append_c (long_name, 'n');
  while (too_long->len <= PATH_MAX + 10)
    g_string_append (too_long, "/abcdefgh");
  cases[0] = not_utf8;
  cases[1] = long_name->str;
  cases[2] = too_long->str;
  cases[3] = "relative/missing";

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *paths[] = { cases[i], NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, FALSE, 50, TRUE, FALSE, &error);

      g_assert_null (notify);
      g_assert_nonnull (error);
      g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
                     g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }

  /* No path at all: nothing to watch is a watcher that only times out. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WfNotify) notify = wf_notify_new (empty, FALSE, FALSE, 50, TRUE, FALSE, &error);
    g_autoptr(GPtrArray) changes = NULL;

    /* As RustNotify([]) is. */
    g_assert_no_error (error);
    g_assert_nonnull (notify);
    g_assert_cmpint (wf_notify_watch (notify, 50, 10, 100, NULL, -1, &changes, &error), ==,
                     WF_WATCH_RESULT_TIMEOUT);
    g_assert_no_error (error);
  }

  /* A name that is not UTF-8 is watched and reported byte for byte. */
  {
    const char *paths[] = { not_utf8_dir, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(WfNotify) notify = NULL;
    g_autofree char *expected = g_strdup_printf ("1:%s", not_utf8_file);
    g_autofree char *got = NULL;

    wf_test_mkdir (not_utf8_dir);
    notify = wf_notify_new (paths, FALSE, FALSE, 50, TRUE, FALSE, &error);
    g_assert_no_error (error);
    wf_test_write (not_utf8_file, "x");
    got = wf_test_collect (notify, 5000, expected);
    g_assert_cmpstr (got, ==, expected);
  }
  wf_test_tmpdir_free (g_steal_pointer (&dir));
}

/* Numbers at both ends of their range: no hang, no crash. */
static void
test_numbers (void)
{
  g_autofree char *dir = wf_test_tmpdir_new ();
  const char *paths[] = { dir, NULL };
  const guint step_cases[] = { 0, 1, G_MAXUINT };
  const int fd_cases[] = { -2, G_MININT, G_MAXINT };

  for (guint polling = 0; polling < 2; polling++)
    {
      g_autoptr(GError) error = NULL;
      /* The longest poll delay: closing must not wait for it. */
      g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, polling, G_MAXUINT, TRUE, FALSE, &error);
      gint64 started = g_get_monotonic_time ();

      g_assert_no_error (error);
      for (guint i = 0; i < G_N_ELEMENTS (step_cases); i++)
        {
          g_autoptr(GPtrArray) changes = NULL;

          /* The shortest and longest debounce and step, a short timeout:
           * the timeout still ends the call. */
          g_assert_cmpint (wf_notify_watch (notify, G_MAXUINT, step_cases[i], 50, NULL, -1, &changes, &error),
                           ==, WF_WATCH_RESULT_TIMEOUT);
          g_assert_no_error (error);
          g_assert_cmpint (wf_notify_watch (notify, 0, step_cases[i], 50, NULL, -1, &changes, &error), ==,
                           WF_WATCH_RESULT_TIMEOUT);
          g_assert_no_error (error);
        }
      for (guint i = 0; i < G_N_ELEMENTS (fd_cases); i++)
        {
          g_autoptr(GPtrArray) changes = NULL;

          g_assert_cmpint (wf_notify_watch (notify, 50, 10, 50, NULL, fd_cases[i], &changes, &error), ==,
                           WF_WATCH_RESULT_ERROR);
          g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          g_clear_error (&error);
          g_assert_null (changes);
        }
      wf_notify_close (notify);
      g_assert_cmpint (g_get_monotonic_time () - started, <, BOUND_US);
    }

  /* A poll delay of 0 still sees a change, and a huge timeout still ends
   * on a change. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, TRUE, 0, TRUE, FALSE, &error);
    g_autofree char *file = g_build_filename (dir, "f", NULL);
    g_autofree char *expected = g_strdup_printf ("1:%s", file);
    g_autoptr(GPtrArray) changes = NULL;
    g_autofree char *got = NULL;

    g_assert_no_error (error);
    wf_test_write (file, "x");
    g_assert_cmpint (wf_notify_watch (notify, 50, 10, G_MAXUINT, NULL, -1, &changes, &error), ==,
                     WF_WATCH_RESULT_CHANGES);
    g_assert_no_error (error);
    got = wf_test_format_changes (changes);
    g_assert_cmpstr (got, ==, expected);
  }
  wf_test_tmpdir_free (g_steal_pointer (&dir));
}

static void
assert_refused (WfNotify *notify, int code)
{
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 50, NULL, -1, &changes, &error), ==, WF_WATCH_RESULT_ERROR);
  g_assert_error (error, WF_ERROR, code);
  g_assert_null (changes);
  g_clear_error (&error);
  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, code);
}

static void
async_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  g_autoptr(GPtrArray) changes = NULL;

  g_assert_cmpint (wf_notify_watch_finish (WF_NOTIFY (source), result, &changes, error), ==,
                   WF_WATCH_RESULT_ERROR);
  g_assert_null (changes);
}

static void
assert_async_refused (WfNotify *notify, int code)
{
  GError *error = NULL;

  wf_notify_watch_async (notify, 50, 10, 50, NULL, NULL, async_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, WF_ERROR, code);
  g_error_free (error);
}

/* The life cycle out of order: unstarted, uninitialised, closed. */
static void
test_life_cycle (void)
{
  g_autofree char *dir = wf_test_tmpdir_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = notify_on (dir, &error);
  g_autoptr(WfNotify) bare = g_object_new (WF_TYPE_NOTIFY, NULL);
  g_autoptr(WfStatus) status = NULL;
  g_autofree char *description = NULL;

  g_assert_no_error (error);
  /* Stopping what never started, twice; starting twice. */
  wf_notify_stop (notify);
  wf_notify_stop (notify);
  g_assert_false (wf_notify_is_started (notify));
  g_assert_true (wf_notify_start (notify, 50, 10, &error));
  g_assert_no_error (error);
  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (wf_notify_is_started (notify));
  wf_notify_stop (notify);
  wf_notify_stop (notify);

  /* Closed: every call still answers; watching is an error. */
  wf_notify_close (notify);
  wf_notify_close (notify);
  g_assert_true (wf_notify_is_closed (notify));
  assert_refused (notify, WF_ERROR_CLOSED);
  assert_async_refused (notify, WF_ERROR_CLOSED);
  wf_notify_stop (notify);
  description = wf_notify_describe (notify);
  g_assert_nonnull (description);
  g_assert_nonnull (wf_notify_get_backend_name (notify));
  (void) wf_notify_get_watched_directories (notify);
  status = wf_notify_get_status (notify);
  g_clear_pointer (&status, wf_status_unref);
  g_clear_pointer (&description, g_free);

  /* Made without its initialisation (as a binding can): errors. */
  assert_refused (bare, WF_ERROR_NOT_INITIALIZED);
  assert_async_refused (bare, WF_ERROR_NOT_INITIALIZED);
  wf_notify_stop (bare);
  g_assert_false (wf_notify_is_started (bare));
  description = wf_notify_describe (bare);
  g_assert_nonnull (description);
  g_assert_null (wf_notify_get_backend_name (bare));
  (void) wf_notify_get_watched_directories (bare);
  status = wf_notify_get_status (bare);
  wf_notify_close (bare);
  g_assert_true (wf_notify_is_closed (bare));
  wf_test_tmpdir_free (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-misuse/null-instances", test_null_instances);
  g_test_add_func ("/api-misuse/null-arguments", test_null_arguments);
  g_test_add_func ("/api-misuse/bad-paths", test_bad_paths);
  g_test_add_func ("/api-misuse/numbers", test_numbers);
  g_test_add_func ("/api-misuse/life-cycle", test_life_cycle);
  return g_test_run ();
}
