/* SPDX-License-Identifier: MIT */
/* inotify-events.h: reading the records of one read() of an inotify fd.
 * Separate from the backend so that the fuzz target (tests/fuzz) runs the
 * very code the reader thread runs. */
#pragma once

#include <sys/inotify.h>

#include <glib.h>

G_BEGIN_DECLS

/* The record of @buffer (@length bytes) at *@offset, and *@offset moved
 * past it; NULL when no record is left.  A record that is not whole (a
 * truncated header, a len past the end), not aligned for struct
 * inotify_event, or whose name has no NUL within len sets *@malformed and
 * ends the buffer: the kernel never writes one, so a reader that meets one
 * has lost sync with the queue. */
const struct inotify_event *wf_inotify_next_event (const char *buffer, gsize length, gsize *offset,
                                                   gboolean *malformed);

G_END_DECLS
