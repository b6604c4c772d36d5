/* SPDX-License-Identifier: MIT */
/* wf-kq-translate.h: what a kqueue note on a watched descriptor means for
 * the tree, in plain C (no GLib, no <sys/event.h>): compiled and tested on
 * Linux, compiled and linked for FreeBSD and macOS by tests/cross.
 *
 * kqueue says only that something happened to a descriptor, never which
 * name: a directory's NOTE_WRITE means "a name in me was added, removed or
 * renamed", so the backend diffs that one directory's listing against the
 * kit snapshot.  A directory that is deleted or renamed away is found by
 * its parent's diff (libkqueue, measured: no NOTE_DELETE while the
 * descriptor is open), so its own DELETE/RENAME/REVOKE only closes it.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The note bits, with the values FreeBSD's and macOS's <sys/event.h> give
 * them (the same on both); the OS loop passes fflags through unchanged. */
enum {
  WF_KQ_NOTE_DELETE = 0x0001,
  WF_KQ_NOTE_WRITE  = 0x0002,
  WF_KQ_NOTE_EXTEND = 0x0004,
  WF_KQ_NOTE_ATTRIB = 0x0008,
  WF_KQ_NOTE_LINK   = 0x0010,
  WF_KQ_NOTE_RENAME = 0x0020,
  WF_KQ_NOTE_REVOKE = 0x0040,
};
#define WF_KQ_NOTE_ALL (WF_KQ_NOTE_DELETE | WF_KQ_NOTE_WRITE | WF_KQ_NOTE_EXTEND | WF_KQ_NOTE_ATTRIB \
                        | WF_KQ_NOTE_LINK | WF_KQ_NOTE_RENAME | WF_KQ_NOTE_REVOKE)

/* What a descriptor watches. */
typedef enum {
  WF_KQ_WATCH_DIRECTORY,   /* a directory of the tree (the root included) */
  WF_KQ_WATCH_FILE_ROOT,   /* a root that is a single file */
} WfKqWatchKind;

/* What to do, as bits: several may come from one note. */
typedef enum {
  WF_KQ_ACT_NONE          = 0,
  /* Diff this directory's listing against the snapshot (names added,
   * removed, renamed; new directories watched, then scanned). */
  WF_KQ_ACT_DIFF_SELF     = 1 << 0,
  /* Re-read the fingerprints of this directory's entries: a child's
   * contents or mode changed (kqueue watches no file here, to keep the
   * descriptor budget for directories). */
  WF_KQ_ACT_FINGERPRINTS  = 1 << 1,
  /* This descriptor no longer names a live entry of the tree: close it
   * and diff the parent (or, for a root, hand it to the missing-root
   * tracker). */
  WF_KQ_ACT_CLOSE         = 1 << 2,
  WF_KQ_ACT_DIFF_PARENT   = 1 << 3,
  /* The single-file root changed (data or attributes): stat it. */
  WF_KQ_ACT_STAT_FILE     = 1 << 4,
} WfKqAction;

/* The actions for @fflags on a descriptor of @kind. */
unsigned wf_kq_translate (WfKqWatchKind kind, uint32_t fflags);

/* kevent() returned @n events after a wait with a timeout.  libkqueue
 * (measured) and FreeBSD after a signal can wake with 0 events and no
 * timeout elapsed: the loop then waits again and never treats 0 as "quiet
 * long enough".  Returns 1 when the wait must be repeated for the same
 * deadline, 0 when the result is real (events, or the deadline passed),
 * -1 on an error other than EINTR. */
int wf_kq_wait_again (int n, int err, int64_t now_ns, int64_t deadline_ns);

/* The descriptor budget: of @limit descriptors (RLIMIT_NOFILE after
 * raising it), @reserve are kept for the process; what is left is for
 * watches.  0 when nothing is left. */
uint64_t wf_kq_budget (uint64_t limit, uint64_t reserve);

/* The EVFILT_USER filter number: -11 on FreeBSD, -10 on macOS; 0 where
 * there is none (the loop uses a pipe then). */
int wf_kq_evfilt_user (void);

#ifdef __cplusplus
}
#endif
