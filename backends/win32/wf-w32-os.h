/* SPDX-License-Identifier: MIT */
/* wf-w32-os.h: the part of the win32 backend that calls Windows, GLib-free
 * (Debian has no GLib for mingw) so that it is cross-built with mingw-w64
 * and run under wine by tests/win32.  Its interface uses no Windows type.
 *
 * One loop thread owns every watch.  A watch is a directory handle opened
 * with FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED and an overlapped
 * ReadDirectoryChangesW with a completion routine; the routine re-arms the
 * read at once into the other of two buffers, then parses the filled one
 * (wf-w32-parse.c), so nothing is lost while records are handed on.  The
 * thread waits alertably on two event objects, "stop" and "a request is
 * waiting", and on nothing else: no timer runs while nothing changes.
 * Requests (add, remove) are carried out by the loop thread itself,
 * because Windows cancels the I/O a thread issued when that thread ends
 * and completion routines run only in the thread that issued the read.
 */
#pragma once

#include <stddef.h>

#include "wf-w32-parse.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct WfW32Loop WfW32Loop;
typedef struct WfW32Watch WfW32Watch;

/* From the loop thread: one event of the watch registered with @udata.
 * For a record, @name is the path below the watched directory ('/'
 * between components, UTF-8 or WTF-8, see wf_w32_utf16_to_utf8()) and
 * @error 0.  For WF_W32_EV_OVERFLOW @name is "" (the watch was re-armed:
 * resync it); for WF_W32_EV_FAILED @name is "" and @error the Win32 error
 * (the watch is dead and will deliver nothing more; remove it). */
typedef void (*WfW32EventFunc) (void *data, void *udata, WfW32EventKind kind, const char *name,
                                unsigned long error);

/* Starts the loop thread.  @buffer_size: bytes of each of the two record
 * buffers (0: 64 KiB, the most a network share accepts; the tests use a
 * tiny one to force an overflow).  NULL on failure, with the Win32 error
 * in @error. */
WfW32Loop *wf_w32_loop_new (size_t buffer_size, WfW32EventFunc func, void *data, unsigned long *error);

/* Stops the thread (woken by the stop event), cancels and closes every
 * watch and frees @loop.  No callback runs after it returns.  Not from the
 * loop thread. */
void wf_w32_loop_free (WfW32Loop *loop);

/* Watches the directory @path (UTF-8 or WTF-8; relative, '/' or '\',
 * "." and ".." allowed: it is made absolute by GetFullPathNameW and
 * prefixed with \\?\ so no MAX_PATH limit applies).  @recursive sets
 * bWatchSubtree.  With @name (one component, UTF-8), only records whose
 * path is that name (compared as Windows compares names: ordinal, case
 * folded) are delivered: a single-file root is a watch of its parent with
 * its name.  The read is armed when this returns 0; else the Win32 error
 * is returned and nothing stays open.  Not from the loop thread. */
unsigned long wf_w32_loop_add (WfW32Loop *loop, const char *path, int recursive, const char *name,
                               void *udata, WfW32Watch **watch);

/* Cancels and closes @watch; no callback for it runs after this returns.
 * Not from the loop thread. */
void wf_w32_loop_remove (WfW32Loop *loop, WfW32Watch *watch);

/* What the loop's reads came back with so far (for describe, and for the
 * tests to see which overflow Windows or wine gives). */
typedef struct {
  unsigned long n_completions;   /* every completion, cancelled ones included */
  unsigned long n_zero_bytes;    /* success with 0 bytes (an overflow) */
  unsigned long n_enum_dir;      /* ERROR_NOTIFY_ENUM_DIR (an overflow) */
  unsigned long n_malformed;     /* a chain that did not parse, or an unknown action */
  unsigned long n_failed;        /* a read that failed, or could not be re-armed */
} WfW32Stats;

void wf_w32_loop_get_stats (WfW32Loop *loop, WfW32Stats *stats);

/* @path made absolute and prefixed (\\?\C:\..., \\?\UNC\server\share\...)
 * as wf_w32_loop_add() opens it, in UTF-8 (a new string, free()); NULL on
 * error. */
char *wf_w32_long_path (const char *path);

#ifdef __cplusplus
}
#endif
