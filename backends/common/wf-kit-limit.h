/* SPDX-License-Identifier: MIT */
/* wf-kit-limit.h: the error every backend gives when a kernel limit (inotify
 * watches, kqueue descriptors) stops it, naming the limit and its value.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A limit the user can raise: @name as the user sets it
 * ("fs.inotify.max_user_watches"), read from @proc_file (may be NULL), and
 * how to raise it. */
typedef struct {
  const char *name;
  const char *proc_file;
  const char *raise_hint;
  /* A second limit that may be the one hit (a user namespace's own), or NULL. */
  const char *namespace_name;
  const char *namespace_proc_file;
} WfKitLimit;

/* The limit's value as text, read once per process and kept (it is a
 * system setting: reading it per failing directory past the limit would
 * cost a file read each).  NULL when unreadable. */
const char *wf_kit_limit_get_value (const WfKitLimit *limit);
const char *wf_kit_limit_get_namespace_value (const WfKitLimit *limit);

/* WF_ERROR_WATCH_LIMIT: "Cannot watch “@path”: the … limit is reached (NAME is N…); raise it…". */
GError *wf_kit_limit_error (const WfKitLimit *limit, const char *what, const char *path);

G_END_DECLS
