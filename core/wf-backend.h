/* SPDX-License-Identifier: MIT */
/* wf-backend.h: the plugin ABI between libwatchfiles and a backend module.
 *
 * A backend is a shared module exporting exactly one symbol,
 * WF_BACKEND_ENTRY_SYMBOL, which returns a const WfBackendVTable.  The core
 * checks the vtable header (ABI major, struct size, name) before using it.
 * Backends report what they see through a WfSink and never call user code.
 */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>
#include <gmodule.h>

#include "wf-ignore-rules.h"
#include "wf-sink.h"
#include "wf-types.h"

G_BEGIN_DECLS

/* Bump the major for any incompatible change of the structs below.  Fields
 * may be appended without a bump: struct_size tells which ones exist.
 * ABI 2: WfBackendOptions lost `debug` (use wf_sink_get_debug()) and gained
 * the watch-limit policy, the poll CPU budget and the polled filesystems;
 * WfBackendStatus gained n_polled_directories and the polled subtrees; the
 * vtable gained `flags`; add_root() is always handed an absolute root. */
#define WF_BACKEND_ABI_MAJOR 2

#define WF_BACKEND_ENTRY_SYMBOL "wf_backend_module_get_vtable"

/* Defines a module's one exported symbol, returning its @vtable (a const
 * WfBackendVTable).  The vtable is returned whatever ABI the host speaks:
 * its header carries the module's, and the core turns a mismatch into a
 * clear error rather than a module that looks broken. */
#define WF_BACKEND_MODULE_EXPORT(vtable)                                          \
  G_MODULE_EXPORT const WfBackendVTable *wf_backend_module_get_vtable (guint abi); \
  G_MODULE_EXPORT const WfBackendVTable *                                         \
  wf_backend_module_get_vtable (G_GNUC_UNUSED guint abi)                          \
  {                                                                               \
    return &(vtable);                                                             \
  }

/* Priorities used by the backends shipped with Watchfiles. */
#define WF_BACKEND_PRIORITY_NATIVE 100
#define WF_BACKEND_PRIORITY_POLL   0

/* Whether the struct behind @ptr, of type @Type whose `struct_size` member
 * holds its size as its builder compiled it, is long enough to hold
 * @field: the other side may have been built against an older header of
 * the same ABI major.  The one check for every struct of this header. */
#define WF_STRUCT_HAS_FIELD(ptr, Type, field) \
  ((ptr) != NULL && (ptr)->struct_size >= G_STRUCT_OFFSET (Type, field) + sizeof (((Type *) 0)->field))

typedef struct _WfBackendInstance WfBackendInstance;
typedef struct _WfBackendStatusPrivate WfBackendStatusPrivate;

/* Options handed to start().  Read only; valid for the call only, except
 * where a field says otherwise.  The core fills every field. */
typedef struct {
  gsize struct_size;
  gboolean recursive;
  gboolean follow_symlinks;
  /* Skip roots and subdirectories that fail with any error instead of failing. */
  gboolean ignore_permission_denied;
  guint poll_delay_ms;
  /* Paths never to watch, scan nor report, sealed and valid until stop()
   * returns; NULL for none.  Apply wf_ignore_rules_matches_entry() to
   * every directory entry before spending a watch or a stat on it. */
  WfIgnoreRules *ignore_rules;
  /* A kernel limit on watches reached, at start or while running:
   * WF_WATCH_LIMIT_POLICY_POLL (the default) polls the subtrees left
   * unwatched and reports them with wf_backend_status_add_polled_subtree();
   * WF_WATCH_LIMIT_POLICY_ERROR fails add_root() with WF_ERROR_WATCH_LIMIT
   * naming the limit and its value (while running: wf_sink_push_error()). */
  WfWatchLimitPolicy watch_limit_policy;
  /* Polling's CPU budget in percent of one core, 1..100 (default 10): the
   * delay between scans stretches so that scan time / (scan time + delay)
   * stays within it, and shrinks back to poll_delay_ms on small trees. */
  guint poll_cpu_percent;
  /* NULL-terminated filesystem types as /proc/self/mountinfo names them
   * ("nfs", "nfs4", "cifs", "smb3", "9p", "fuse", "fuse.sshfs", ...); an
   * entry ending in ".*" matches every type that starts with what comes
   * before the "*" ("fuse.*" matches "fuse.sshfs").  A native backend also
   * polls the subtrees on these filesystems (found per device while
   * walking, WF_POLL_REASON_FILESYSTEM), because their kernel
   * notifications are silent about changes made remotely or beneath the
   * mount.  Never NULL (the core always fills it; an empty list polls
   * none); valid until stop() returns. */
  const char *const *polled_filesystems;
} WfBackendOptions;

/* What an instance is doing, for WfStatus (wf_notify_get_status()), the
 * CLI and tests.  The core zeroes it, sets struct_size and priv, and hands
 * it to query_status(), which fills what it knows. */
typedef struct {
  gsize struct_size;
  guint n_roots;
  /* Directories with a kernel watch (native) or scanned (poll). */
  guint n_directories;
  /* Directories skipped after per-path errors (not polled either). */
  guint n_unwatched;
  /* Times the backend lost sync with the kernel and rescanned a tree. */
  guint n_rescans;
  /* Directories a native backend polls (past a watch limit, or on a
   * filesystem whose notifications are silent); 0 for poll itself. */
  guint n_polled_directories;
  /* Core-owned: record polled subtrees with the function below. */
  WfBackendStatusPrivate *priv;
} WfBackendStatus;

/* From query_status(): a native backend polls @path (absolute, as the
 * backend reports paths under it) and everything below it for @reason.
 * Call once per polled subtree, under the backend's own lock if it has one. */
WF_AVAILABLE_IN_ALL
void wf_backend_status_add_polled_subtree (WfBackendStatus *status, const char *path, WfPollReason reason);

/* What the core must know about a backend's behaviour (vtable `flags`). */
typedef enum {
  WF_BACKEND_FLAG_NONE = 0,
  /* The core refuses a missing root with G_IO_ERROR_NOT_FOUND before
   * start(), as RustNotify does for its poll watcher (which would otherwise
   * report a missing root as deleted). */
  WF_BACKEND_FLAG_ROOTS_MUST_EXIST = 1 << 0,
  /* watchfiles reports this kind of backend's paths below a relative root
   * as given ("./x/y", notify's PollWatcher) rather than joined to the
   * working directory ("/cwd/./x/y", notify's inotify): the core maps what
   * the backend reports under the absolute form back to the given one. */
  WF_BACKEND_FLAG_REPORTS_GIVEN_PATHS = 1 << 1,
} WfBackendFlags;

typedef struct {
  guint16 abi_major;
  guint16 reserved0;
  guint32 struct_size;              /* sizeof (WfBackendVTable) as built */
  const char *name;                 /* "inotify", "poll", ...: the module's file name */
  const char *description;

  /* May this backend serve @path (NULL: this machine in general)?  On TRUE,
   * *priority is set; the highest priority that passes for every root wins.
   * On FALSE, @error says why (e.g. G_IO_ERROR_NOT_SUPPORTED for ENOSYS or
   * a network filesystem). */
  gboolean (*probe) (const char *path, int *priority, GError **error);

  /* Creates an instance reporting to @sink (which it must ref).  Fails with
   * WF_ERROR_BACKEND_UNAVAILABLE when the kernel facility is missing
   * (ENOSYS), so that the core may fall back to polling. */
  WfBackendInstance *(*start) (WfSink *sink, const WfBackendOptions *options, GError **error);

  /* Watches @path (a file or a directory) before returning: every change
   * made after this returns is reported.  On failure nothing of @path stays
   * watched.  Errors: G_IO_ERROR_NOT_FOUND, G_IO_ERROR_PERMISSION_DENIED,
   * WF_ERROR_WATCH_LIMIT, or another G_IO_ERROR.
   * Roots contract: @path is always absolute and never normalised (a
   * relative root reaches the backend joined to the working directory,
   * "./x" as "/cwd/./x"; trailing slashes and ".." stay).  The backend
   * reports every path under the root by appending "/" and names to @path
   * as it was given (the root itself as @path), never resolving it; the
   * core alone turns that into what users see (WF_BACKEND_FLAG_REPORTS_GIVEN_PATHS),
   * and matches ignore rules from the same absolute form. */
  gboolean (*add_root) (WfBackendInstance *self, const char *path, GError **error);

  /* Stops watching @path (the form add_root() got) and everything watched
   * only because of it. */
  void (*remove_root) (WfBackendInstance *self, const char *path);

  /* A one-line description for debug output: "InotifyBackend { ... }". */
  char *(*describe) (WfBackendInstance *self);

  /* Fills @status (see WfBackendStatus); called from any thread. */
  void (*query_status) (WfBackendInstance *self, WfBackendStatus *status);

  /* Stops the instance, joins its threads, releases every kernel resource
   * and the sink.  No sink call happens after this returns. */
  void (*stop) (WfBackendInstance *self);

  /* Appended in ABI 2 (the core checks struct_size). */
  WfBackendFlags flags;
} WfBackendVTable;

typedef const WfBackendVTable *(*WfBackendEntryFunc) (guint host_abi_major);

G_END_DECLS
