/* SPDX-License-Identifier: MIT */
/* wf-state-private.h: a state being compared and kept, for the public
 * functions of wf-state.c and for a watcher that keeps a state file
 * (WfNotify's state-file property). */
#pragma once

#include "wf-ignore-rules.h"
#include "wf-roots-private.h"
#include "wf-sink.h"
#include "wf-state.h"

G_BEGIN_DECLS

typedef struct _WfStateScan WfStateScan;

/* One snapshot per root of @paths (their absolute forms from @roots),
 * nothing read yet.  @rules: sealed, or NULL. */
WfStateScan *wf_state_scan_new (const char *const *paths, WfRoots *roots, WfStateFlags flags,
                                WfIgnoreRules *rules);
void wf_state_scan_free (WfStateScan *scan);

/* Reads @state_file into the snapshots.  G_IO_ERROR_NOT_FOUND when it does
 * not exist; WF_ERROR_STATE_* when it cannot be used. */
gboolean wf_state_scan_load (WfStateScan *scan, const char *state_file, GError **error);

/* Reads the live tree into the snapshots, reporting nothing. */
gboolean wf_state_scan_build (WfStateScan *scan, GError **error);

/* Compares the live tree with the snapshots and pushes the differences to
 * @sink; the snapshots then hold the live state. */
void wf_state_scan_rescan (WfStateScan *scan, WfSink *sink);

/* Writes the snapshots to @state_file atomically: a temporary file in the
 * same directory, fsync, rename over @state_file, fsync of the directory. */
gboolean wf_state_scan_save (WfStateScan *scan, const char *state_file, GError **error);

/* For a watcher keeping @state_file: rescans, then leaves changed in the
 * state every change the consumer was not handed (pending in
 * @watcher_sink, or found by the rescan and not taken since the last save:
 * wf_sink_track_taken()), and saves.  @roots and @rules: the watcher's. */
gboolean wf_state_scan_save_live (WfStateScan *scan, WfRoots *roots, WfIgnoreRules *rules,
                                  WfSink *watcher_sink, const char *state_file, GError **error);

/* The entries the snapshots hold. */
guint wf_state_scan_get_n_entries (WfStateScan *scan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfStateScan, wf_state_scan_free)

G_END_DECLS
