/* SPDX-License-Identifier: MIT */
/* wf-fse-os.h: the part of the FSEvents backend that calls CoreServices,
 * GLib-free so that it compiles and links for macOS here (tests/cross).
 * One FSEventStream for all the watcher's roots, FileEvents | NoDefer |
 * WatchRoot, delivered on a dispatch queue of its own.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct WfFseStream WfFseStream;

/* A batch, on the stream's queue: @n events, in ID order. */
typedef void (*WfFseBatchFunc) (void *data, size_t n, const char *const *paths,
                                const uint32_t *flags, const uint64_t *ids);

/* A stream over @roots (resolved paths: FSEvents reports those), events
 * after @since (WF_FSE_SINCE_NOW for none before), @latency seconds.
 * NULL when CoreServices refuses. */
WfFseStream *wf_fse_stream_new (const char *const *roots, size_t n_roots, double latency,
                                uint64_t since, WfFseBatchFunc func, void *data);
/* 0, or -1 when the stream does not start. */
int wf_fse_stream_start (WfFseStream *stream);
/* Flushes what the stream holds, stops it and frees it; no batch is
 * delivered after it returns. */
void wf_fse_stream_free (WfFseStream *stream);
/* The newest ID the stream delivered. */
uint64_t wf_fse_stream_latest_id (WfFseStream *stream);
/* The system's newest event ID now (FSEventsGetCurrentEventId): where a
 * stream that replaces another resumes when the old one delivered none. */
uint64_t wf_fse_current_id (void);

#ifdef __cplusplus
}
#endif
