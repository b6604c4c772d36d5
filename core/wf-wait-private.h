/* SPDX-License-Identifier: MIT */
/* wf-wait-private.h: blocking on descriptors until one is readable or a
 * deadline passes, the only platform-specific part of a watch (POSIX in
 * wf-wait-unix.c; a Windows core adds its own file with these functions). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a blocking watch waits on: the sink's wake-up descriptor, the stop
 * cancellable's, and the caller's signal descriptor. */
typedef struct {
  GPollFD fds[3];
  guint n_fds;
  GCancellable *stop;   /* whose descriptor is held until clear */
} WfWaitSet;

/* Is @fd an open descriptor (poll would report a closed one ready, as
 * POLLNVAL, at every call)? */
gboolean wf_wait_fd_is_open (int fd);

/* Is @fd readable now? */
gboolean wf_wait_fd_is_ready (int fd);

/* @stop and @signal_fd are optional (NULL, -1).  Fails when @stop has no
 * descriptor to wait on: a cancel could then go unnoticed. */
gboolean wf_wait_set_init (WfWaitSet *set, int wakeup_fd, GCancellable *stop, int signal_fd, GError **error);

/* Blocks until a descriptor of @set is readable or @wake_at (monotonic µs;
 * -1: no deadline), with sub-millisecond precision where the system has
 * it (a 1 ms step must not become 2 ms).  Interruptions return early. */
void wf_wait_set_wait (WfWaitSet *set, gint64 wake_at);

void wf_wait_set_clear (WfWaitSet *set);

/* Makes @source ready when @fd is readable (a GMainContext's wait). */
void wf_wait_source_add_fd (GSource *source, int fd);

G_END_DECLS
