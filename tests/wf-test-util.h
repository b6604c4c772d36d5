/* wf-test-util.h: shared helpers for the C tests: temporary trees, files,
 * and waiting for an exact set of changes. */
#pragma once

#include <watchfiles.h>

G_BEGIN_DECLS

/* A fresh temporary directory; removed (recursively) by wf_test_tmpdir_free. */
char *wf_test_tmpdir_new (void);
void wf_test_tmpdir_free (char *path);
void wf_test_rm_rf (const char *path);

/* Writes @contents to @path (creating or truncating it). */
void wf_test_write (const char *path, const char *contents);
void wf_test_mkdir (const char *path);

/* The backends built, to run a test against each: WF_TEST_BACKENDS, which
 * meson test sets ("inotify:poll", or "poll" with -Dinotify=disabled). */
const char *const *wf_test_backends (void);
gboolean wf_test_have_backend (const char *name);
/* Marks the test skipped, saying why, when @name is not built: TRUE then. */
gboolean wf_test_skip_unless_backend (const char *name);

/* A watcher on @backend ("poll" forces polling with a 20 ms delay). */
WfNotify *wf_test_notify_new (const char *backend,
                              const char *const *paths,
                              gboolean recursive,
                              gboolean ignore_permission_denied,
                              GError **error);

/* wf_test_notify_new(), recursive, with ignore @rules (NULL for none).
 * Debug output is also on in a g_test_trap_subprocess() child, where
 * wf_test_in_debug_subprocess() runs a test's body. */
WfNotify *wf_test_notify_new_with_rules (const char *backend,
                                         const char *const *paths,
                                         WfIgnoreRules *rules,
                                         gboolean ignore_permission_denied,
                                         GError **error);

/* The rules of the backend suites' custom-rules cases: the directory name
 * "build", the path glob "web/dist", the name glob "tmp[0-9]", the entity
 * pattern "\.d$", and the path prefix @prefix. */
WfIgnoreRules *wf_test_custom_rules (const char *prefix);

/* For a test that proves ignored paths cost nothing: TRUE in the child
 * (or under valgrind, which does not follow it), where the test does its
 * work; FALSE here once the child passed and its debug output named what
 * is watched ("control") and no ignored path (node_modules, .git, pyc). */
gboolean wf_test_in_debug_subprocess (void);

/* Collects batches until every change in @expected (as made by
 * wf_test_expect) was seen, or @timeout_ms pass, then listens a little
 * longer for anything unexpected.  Returns what was seen, in the same
 * format, so a test compares it with g_assert_cmpstr. */
char *wf_test_collect (WfNotify *notify, guint timeout_ms, const char *expected);

/* Formats one batch as sorted "N:path" lines joined by '\n'. */
char *wf_test_format_changes (GPtrArray *changes);

/* The canonical form of a set of changes: "N:path" lines (N the WfChange
 * number), sorted, joined by '\n'.  Arguments: "N:path" strings, NULL-ended. */
char *wf_test_expect (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* A test's own temporary directory, for g_test_add() fixtures. */
typedef struct {
  char *tmpdir;
} WfTestFixture;

void wf_test_fixture_set_up (WfTestFixture *fixture, gconstpointer user_data);
void wf_test_fixture_tear_down (WfTestFixture *fixture, gconstpointer user_data);
/* @relative below the fixture's directory; free the result. */
char *wf_test_fixture_path (WfTestFixture *fixture, const char *relative);

/* wf_test_expect() below the fixture's directory: arguments are
 * (WfChange, relative path) pairs ended by 0. */
char *wf_test_expect_changes (WfTestFixture *fixture, ...);

/* Collects for up to 5 s and asserts exactly @expected was seen. */
void wf_test_assert_changes (WfNotify *notify, const char *expected);

/* wf_test_assert_changes() of wf_test_expect_changes (@fixture, ...):
 * (WfChange, relative path) pairs ended by 0. */
void wf_test_assert_changes_below (WfNotify *notify, WfTestFixture *fixture, ...);

/* Asserts a constructor refused with @domain/@code (@notify NULL), and
 * clears *@error for the next attempt. */
void wf_test_assert_refused (WfNotify *notify, GError **error, GQuark domain, int code);

/* Asserts a constructor refused a path that does not exist, in the words
 * RustNotify uses ("No such file or directory"). */
void wf_test_assert_not_found (WfNotify *notify, const GError *error);

/* The number after "FIELD: " in wf_notify_describe(). */
guint wf_test_describe_field (WfNotify *notify, const char *field);

G_END_DECLS
