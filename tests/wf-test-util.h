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

/* The backends the machine offers, to run a test against each:
 * "inotify" (when available) and "poll". */
const char *const *wf_test_backends (void);

/* A watcher on @backend ("poll" forces polling with a 20 ms delay). */
WfNotify *wf_test_notify_new (const char *backend,
                              const char *const *paths,
                              gboolean recursive,
                              gboolean ignore_permission_denied,
                              GError **error);

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

/* The number after "FIELD: " in wf_notify_describe(). */
guint wf_test_describe_field (WfNotify *notify, const char *field);

G_END_DECLS
