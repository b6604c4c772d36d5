/* SPDX-License-Identifier: MIT */
/* wf-sink.h: where a backend hands its raw events to the core.
 *
 * Every function here is thread-safe and cheap: a backend thread calls them
 * while it reads the kernel; the core maps each raw event to a change with
 * RustNotify's rules and wakes whoever waits.
 */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>

#include "wf-version-macros.h"

G_BEGIN_DECLS

typedef struct _WfSink WfSink;

/* What the kernel (or a scan) said happened to a path. */
typedef enum {
  WF_RAW_CREATED,     /* -> added */
  WF_RAW_DELETED,     /* -> deleted */
  WF_RAW_MODIFIED,    /* data written -> modified */
  WF_RAW_ATTRIB,      /* metadata (mode, owner, times) -> modified */
  WF_RAW_MOVED_FROM,  /* renamed away -> deleted */
  WF_RAW_MOVED_TO,    /* renamed here -> added */
  WF_RAW_RENAMED,     /* renamed, direction unknown -> added if it exists now, else deleted */
} WfRawKind;

typedef enum {
  WF_RAW_FLAG_NONE   = 0,
  WF_RAW_FLAG_IS_DIR = 1 << 0,
  /* Found by a scan (new directory, moved-in tree, resync) rather than
   * reported by the kernel. */
  WF_RAW_FLAG_SCAN   = 1 << 1,
  /* Found by a resync after the backend lost events (queue overflow). */
  WF_RAW_FLAG_RESYNC = 1 << 2,
} WfRawFlags;

WF_AVAILABLE_IN_ALL
WfSink *wf_sink_ref (WfSink *sink);
WF_AVAILABLE_IN_ALL
void wf_sink_unref (WfSink *sink);

WF_AVAILABLE_IN_ALL
void wf_sink_push (WfSink *sink, WfRawKind kind, const char *path, WfRawFlags flags);

/* A failure concerning one path while watching.  G_IO_ERROR_NOT_FOUND
 * becomes "deleted" (the file vanished under us); anything else is said
 * once in debug output and watching goes on. */
WF_AVAILABLE_IN_ALL
void wf_sink_push_error (WfSink *sink, const char *path, const GError *error);

/* The backend cannot go on (its kernel facility died).  Every later
 * wf_notify_watch() fails with WF_ERROR_BACKEND_FAILED and this message. */
WF_AVAILABLE_IN_ALL
void wf_sink_fail (WfSink *sink, const GError *error);

WF_AVAILABLE_IN_ALL
gboolean wf_sink_get_debug (WfSink *sink);

/* Prints one line on stderr when debug output is on. */
WF_AVAILABLE_IN_ALL
void wf_sink_debug (WfSink *sink, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
