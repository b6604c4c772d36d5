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

#include "wf-ignore-rules.h"
#include "wf-sink.h"

G_BEGIN_DECLS

/* Bump the major for any incompatible change of the structs below.  Fields
 * may be appended without a bump: struct_size tells which ones exist. */
#define WF_BACKEND_ABI_MAJOR 1

#define WF_BACKEND_ENTRY_SYMBOL "wf_backend_module_get_vtable"

/* Priorities used by the backends shipped with Watchfiles. */
#define WF_BACKEND_PRIORITY_NATIVE 100
#define WF_BACKEND_PRIORITY_POLL   0

typedef struct _WfBackendInstance WfBackendInstance;

/* Options handed to start().  Read only; valid for the call only. */
typedef struct {
  gsize struct_size;
  gboolean recursive;
  gboolean follow_symlinks;
  /* Skip roots and subdirectories that fail with any error instead of failing. */
  gboolean ignore_permission_denied;
  gboolean debug;
  guint poll_delay_ms;
  /* Appended in ABI 1 (check struct_size): paths never to watch, scan nor
   * report, sealed and valid until stop() returns; NULL for none.  Apply
   * wf_ignore_rules_matches_entry() to every directory entry before spending
   * a watch or a stat on it. */
  WfIgnoreRules *ignore_rules;
} WfBackendOptions;

/* What an instance is doing, for status queries, the CLI and tests. */
typedef struct {
  gsize struct_size;
  guint n_roots;
  /* Directories with a kernel watch (inotify) or scanned each cycle (poll). */
  guint n_directories;
  /* Subtrees left unwatched after a limit or error (degraded mode). */
  guint n_unwatched;
  /* Times the backend lost sync with the kernel and rescanned. */
  guint n_rescans;
} WfBackendStatus;

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
   * WF_ERROR_WATCH_LIMIT, or another G_IO_ERROR. */
  gboolean (*add_root) (WfBackendInstance *self, const char *path, GError **error);

  /* Stops watching @path and everything watched only because of it. */
  void (*remove_root) (WfBackendInstance *self, const char *path);

  /* A one-line description for debug output: "InotifyBackend { ... }". */
  char *(*describe) (WfBackendInstance *self);

  void (*query_status) (WfBackendInstance *self, WfBackendStatus *status);

  /* Stops the instance, joins its threads, releases every kernel resource
   * and the sink.  No sink call happens after this returns. */
  void (*stop) (WfBackendInstance *self);
} WfBackendVTable;

typedef const WfBackendVTable *(*WfBackendEntryFunc) (guint host_abi_major);

G_END_DECLS
