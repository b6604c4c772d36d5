/* SPDX-License-Identifier: MIT */
/* wf-test-util.h: shared helpers for the C tests: temporary trees, files,
 * and waiting for an exact set of changes. */
#pragma once

#include <stdarg.h>
#include <sys/types.h>
#include <watchfiles.h>
#ifndef G_OS_WIN32
#include <sched.h>
#endif

G_BEGIN_DECLS

/* A fresh temporary directory; removed (recursively) by wf_test_tmpdir_free. */
char *wf_test_tmpdir_new (void);
void wf_test_tmpdir_free (char *path);
void wf_test_rm_rf (const char *path);

/* Writes @contents to @path (creating or truncating it). */
void wf_test_write (const char *path, const char *contents);
void wf_test_mkdir (const char *path);

/* The backends every backend-matrix test runs against: those of
 * wf_test_backend_names() whose module is built and whose probe passes
 * here.  wf_test_backend_unavailable() says why a named one is left out. */
const char *const *wf_test_backends (void);
const char *const *wf_test_backend_names (void);
const char *wf_test_backend_unavailable (const char *backend);
gboolean wf_test_have_backend (const char *name);
/* Marks the test skipped, saying why, when @name is not available: TRUE then. */
gboolean wf_test_skip_unless_backend (const char *name);

/* A watcher on @backend ("poll" forces polling with a 20 ms delay). */
WfNotify *wf_test_notify_new (const char *backend,
                              const char *const *paths,
                              gboolean recursive,
                              gboolean ignore_permission_denied,
                              GError **error);

/* Every option a test may set; zero is the default (recursive, symlinks
 * followed, permission errors fatal, no rules, no debug output). */
typedef struct {
  gboolean not_recursive;
  gboolean no_follow_symlinks;
  gboolean ignore_permission_denied;
  gboolean debug;
  /* WF_WATCH_LIMIT_POLICY_ERROR instead of the default, poll. */
  gboolean watch_limit_error;
  WfIgnoreRules *rules;
  /* The state-file and state-interval-ms properties. */
  const char *state_file;
  guint state_interval_ms;
} WfTestOptions;

WfNotify *wf_test_notify_new_with_options (const char *backend,
                                           const char *const *paths,
                                           const WfTestOptions *options,
                                           GError **error);

/* wf_test_notify_new(), recursive, with ignore @rules (NULL for none).
 * Debug output is also on in a g_test_trap_subprocess() child, where
 * wf_test_in_debug_subprocess() runs a test's body. */
WfNotify *wf_test_notify_new_with_rules (const char *backend,
                                         const char *const *paths,
                                         WfIgnoreRules *rules,
                                         gboolean ignore_permission_denied,
                                         GError **error);

/* A recursive watcher with @policy for the watch limit. */
WfNotify *wf_test_notify_new_with_policy (const char *backend,
                                          const char *const *paths,
                                          WfWatchLimitPolicy policy,
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

/* A test's own temporary directory, for g_test_add() fixtures; @backend
 * is set by wf_test_backend_fixture_set_up() (the test's data), else NULL. */
typedef struct {
  char *tmpdir;
  const char *backend;
} WfTestFixture;

void wf_test_fixture_set_up (WfTestFixture *fixture, gconstpointer user_data);
void wf_test_backend_fixture_set_up (WfTestFixture *fixture, gconstpointer backend);
void wf_test_fixture_tear_down (WfTestFixture *fixture, gconstpointer user_data);
/* @relative below the fixture's directory; free the result. */
char *wf_test_fixture_path (WfTestFixture *fixture, const char *relative);

/* wf_test_expect() below the fixture's directory: arguments are
 * (WfChange, relative path) pairs ended by 0. */
char *wf_test_expect_changes (WfTestFixture *fixture, ...);
char *wf_test_expect_changes_valist (WfTestFixture *fixture, va_list args);

/* The union of two canonical sets; takes both. */
char *wf_test_union (char *a, char *b);

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

/* The number after "FIELD: " in wf_notify_describe(): only for what a
 * backend describes beyond the status (poll's scans and entries). */
guint wf_test_describe_field (WfNotify *notify, const char *field);

/* One figure of a fresh wf_notify_get_status(), e.g.
 * wf_test_status (notify, wf_status_get_n_unwatched). */
guint wf_test_status (WfNotify *notify, guint (*getter) (const WfStatus *status));

/* How many subtrees the status shows polled for @reason. */
guint wf_test_status_polled_subtrees (WfNotify *notify, WfPollReason reason);

/* Waits (up to 5 s) until wf_test_status (@notify, @getter) is @expected:
 * a status, not an event, so there is nothing to block on but the clock. */
void wf_test_await_status (WfNotify *notify, guint (*getter) (const WfStatus *status), guint expected);

/* ---- making changes ---------------------------------------------------- */

/* An empty file: one creation and nothing else (no write that a later
 * batch could call "modified"). */
void wf_test_touch (const char *path);
void wf_test_rename (const char *from, const char *to);
void wf_test_symlink (const char *target, const char *path);
void wf_test_chmod (const char *path, mode_t mode);
/* A second name for @path (link(); CreateHardLinkW on Windows). */
void wf_test_hard_link (const char *path, const char *second_name);
/* Cuts @path to @length bytes (truncate(); _chsize_s on Windows). */
void wf_test_truncate (const char *path, gint64 length);
/* Sets @path's access and modification times to now, nothing else. */
void wf_test_set_times_now (const char *path);

/* TRUE, and the test marked skipped with @why, on Windows: for a step or a
 * scenario that Windows cannot express (say why in @why).  FALSE elsewhere. */
gboolean wf_test_skip_on_windows (const char *why);

/* The same below the fixture's directory (@relative paths); _write()
 * makes the missing parents first, so a tree is set up in few lines. */
void wf_test_fixture_touch (WfTestFixture *fixture, const char *relative);
void wf_test_fixture_mkdir (WfTestFixture *fixture, const char *relative);
void wf_test_fixture_rename (WfTestFixture *fixture, const char *from, const char *to);
void wf_test_fixture_chmod (WfTestFixture *fixture, const char *relative, mode_t mode);
void wf_test_fixture_symlink (WfTestFixture *fixture, const char *target, const char *relative);
void wf_test_fixture_write (WfTestFixture *fixture, const char *relative, const char *contents);
void wf_test_fixture_rm_rf (WfTestFixture *fixture, const char *relative);
/* unlink() or rmdir(): one entry, as rm -r removes them one by one. */
void wf_test_fixture_remove (WfTestFixture *fixture, const char *relative);

/* Makes a file appear at @relative with @contents at once (written beside,
 * in the fixture's directory, then renamed in): a poll scan could see a
 * file created then written empty first, a real "added" then "modified".
 * Missing parents are made first. */
void wf_test_fixture_place (WfTestFixture *fixture, const char *relative, const char *contents);

/* ---- expectations with an optional part -------------------------------
 * GIO's testfilemonitor.c "optional" mask: changes a backend may or may
 * not report (say which and why where it is used).  Both take canonical
 * sets (wf_test_expect*). */

/* Collects until @expected came (5 s at most; 500 ms of listening when it
 * is empty) and returns what came, less the lines of @optional (NULL for
 * none). */
char *wf_test_collect_apart_from (WfNotify *notify, const char *expected, const char *optional);

/* Asserts exactly @expected came, apart from the lines of @optional. */
void wf_test_assert_changes_apart_from (WfNotify *notify, const char *expected, const char *optional);

/* ---- processes with other privileges -------------------------------------- */

/* What a body run by wf_test_run_in_user_namespace() returns: NULL when it
 * ran, or why it could not (a static string; the test is then skipped). */
typedef const char *(*WfTestNamespaceFunc) (WfTestFixture *fixture, gconstpointer data);

/* Runs @func in a forked child inside a new user namespace.  A forked copy
 * of this process has one thread, which unshare (CLONE_NEWUSER) needs, and
 * nothing done there touches this process.  No uid_map is written: the
 * child keeps its kernel uid (the owner of the test's tree, so its chmods
 * work), but its capabilities hold only in the namespace, so even root's
 * CAP_DAC_OVERRIDE covers none of the machine's files and a mode of 000
 * makes a directory unreadable; and the namespace's own inotify limits
 * (/proc/sys/user/max_inotify_watches) can be lowered.
 * The child's stdout goes to stderr, so the TAP stream stays the parent's;
 * a failed assertion aborts the child and the parent fails the test.
 * @func must free what it allocates: the child _exit()s, and valgrind
 * would call anything left lost.  Skipped where no namespace can be made. */
void wf_test_run_in_user_namespace (WfTestFixture *fixture, gconstpointer data, WfTestNamespaceFunc func);

/* g_test_incomplete (@why), told to the parent too when called in a
 * wf_test_run_in_user_namespace() child. */
void wf_test_incomplete (const char *why);

/* Writes @text to a /proc/sys file; FALSE when it cannot. */
gboolean wf_test_write_sysctl (const char *path, const char *text);

/* TRUE under valgrind, which runs one thread at a time on its own
 * schedule, whatever the kernel's priorities say. */
gboolean wf_test_under_valgrind (void);

/* ---- a kernel queue made to overflow (inotify) ---------------------------- */

typedef struct {
  char *saved_limit;
#ifndef G_OS_WIN32
  cpu_set_t saved_cpus;
#endif
  gboolean real_time;
} WfTestOverflow;

/* Makes a watcher on @backend whose kernel queue holds 16 events, and pins
 * this thread and the watcher's reader to one CPU.  FALSE (and the test
 * skipped) when that needs a root this process is not. */
gboolean wf_test_overflow_begin (WfTestOverflow *overflow, const char *backend, const char *const *paths,
                                 WfIgnoreRules *rules, WfNotify **notify);
/* From here to wf_test_overflow_end() the reader thread cannot run. */
void wf_test_overflow_burst_begin (WfTestOverflow *overflow);
void wf_test_overflow_end (WfTestOverflow *overflow);
/* Mode changes alternating between two files, so that the kernel cannot
 * merge them: the queue is full long before the changes that matter. */
void wf_test_overflow_noise (const char *noise1, const char *noise2);
/* Asserts the backend rescanned, where the burst surely overflowed (with
 * real-time scheduling, not under valgrind). */
void wf_test_overflow_assert_resynced (WfTestOverflow *overflow, WfNotify *notify);

G_END_DECLS
