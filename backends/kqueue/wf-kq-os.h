/* SPDX-License-Identifier: MIT */
/* wf-kq-os.h: the part of the kqueue backend that calls the OS, GLib-free
 * so that it compiles and links for FreeBSD and macOS here (tests/cross)
 * and runs against libkqueue on Linux.  One descriptor per watched
 * directory, EVFILT_VNODE with every note and EV_CLEAR; a blocking
 * kevent() woken for stop by EVFILT_USER where there is one, else a pipe.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct WfKqLoop WfKqLoop;

/* One note: @udata as given to wf_kq_loop_add(), @fflags the NOTE_ bits. */
typedef void (*WfKqNoteFunc) (void *data, void *udata, uint32_t fflags);

/* A kqueue and its stop channel; NULL with errno set on failure. */
WfKqLoop *wf_kq_loop_new (void);
void wf_kq_loop_free (WfKqLoop *loop);

/* Opens @path (O_EVTONLY on macOS, O_RDONLY (|O_DIRECTORY for a
 * directory) elsewhere, O_CLOEXEC) and registers it.  Returns the
 * descriptor, or -1 with errno (EMFILE/ENFILE: the budget is spent). */
int wf_kq_loop_add (WfKqLoop *loop, const char *path, int is_dir, void *udata);
/* Deletes @fd's knote, then closes it. */
void wf_kq_loop_remove (WfKqLoop *loop, int fd);

/* Waits for notes and passes each to @func, until wf_kq_loop_stop().
 * Returns 0, or -1 with errno when kevent() fails. */
int wf_kq_loop_run (WfKqLoop *loop, WfKqNoteFunc func, void *data);
/* From any thread. */
void wf_kq_loop_stop (WfKqLoop *loop);
/* 1 when the loop stops by EVFILT_USER, 0 by a pipe. */
int wf_kq_loop_uses_user_event (WfKqLoop *loop);

/* Raises RLIMIT_NOFILE's soft limit to the hard one (capped at
 * OPEN_MAX-like kern limits by the kernel); returns the soft limit now. */
uint64_t wf_kq_raise_nofile (void);

#ifdef __cplusplus
}
#endif
