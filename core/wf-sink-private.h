/* SPDX-License-Identifier: MIT */
/* wf-sink-private.h: the core's side of WfSink (the backends' side is wf-sink.h). */
#pragma once

#include "wf-ignore-rules.h"
#include "wf-roots-private.h"
#include "wf-sink.h"

G_BEGIN_DECLS

WfSink *wf_sink_new (gboolean debug, GError **error);

/* Drops every event under an ignored path (@rules sealed, or NULL).  Call
 * once, before the backend starts. */
void wf_sink_set_ignore_rules (WfSink *sink, WfIgnoreRules *rules);

/* The roots the backend watches (their absolute forms) and how their paths
 * are reported: ignore rules are matched from the root a path is below, and
 * each path is turned into the form users see.  Call before the first
 * root is added, and again only while no backend runs (a fallback). */
void wf_sink_set_roots (WfSink *sink, WfRoots *roots);

/* Takes every pending change, in arrival order, under one lock.
 * Returns: (element-type WfFileChange) (transfer full) */
GPtrArray *wf_sink_take_changes (WfSink *sink);

/* A copy of the pending changes, which stay pending.
 * Returns: (element-type WfFileChange) (transfer full) */
GPtrArray *wf_sink_peek_changes (WfSink *sink);

/* From now on, remembers the path of every change taken: what a consumer
 * was handed (a watcher keeping a state file, wf-state-private.h). */
void wf_sink_track_taken (WfSink *sink);

/* The paths taken since the last call (or since tracking began), as a set
 * of strings; tracking goes on afresh.  Call after wf_sink_track_taken(). */
GHashTable *wf_sink_steal_taken (WfSink *sink);

gsize wf_sink_get_size (WfSink *sink);

/* A descriptor that becomes readable when the set of changes grows;
 * wf_sink_acknowledge() makes it quiet again.  After a backend failure or
 * wf_sink_close() it stays readable, so every waiter sees them.  Lets a
 * waiter poll() it next to other descriptors. */
int wf_sink_get_wakeup_fd (WfSink *sink);
void wf_sink_acknowledge (WfSink *sink);
void wf_sink_close (WfSink *sink);

/* TRUE when the backend failed; @error gets a copy of the failure. */
gboolean wf_sink_get_failure (WfSink *sink, GError **error);

G_END_DECLS
