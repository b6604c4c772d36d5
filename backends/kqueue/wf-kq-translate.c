/* SPDX-License-Identifier: MIT */
/* wf-kq-translate.c: kqueue notes to what the backend rescans. */
#ifdef WF_CROSS_DECLS
#include "wf-cross-decls.h"
#else
#include <errno.h>
#endif

#include "wf-kq-translate.h"

unsigned
wf_kq_translate (WfKqWatchKind kind, uint32_t fflags)
{
  unsigned act = WF_KQ_ACT_NONE;

  if (kind == WF_KQ_WATCH_FILE_ROOT)
    {
      if (fflags & (WF_KQ_NOTE_DELETE | WF_KQ_NOTE_RENAME | WF_KQ_NOTE_REVOKE))
        /* An editor's atomic save renames over the file: the descriptor
         * keeps the old inode, so it is reopened by name (the tracker). */
        act |= WF_KQ_ACT_CLOSE | WF_KQ_ACT_STAT_FILE;
      if (fflags & (WF_KQ_NOTE_WRITE | WF_KQ_NOTE_EXTEND | WF_KQ_NOTE_ATTRIB | WF_KQ_NOTE_LINK))
        act |= WF_KQ_ACT_STAT_FILE;
      return act;
    }

  /* A directory.  NOTE_WRITE: a name changed in it.  NOTE_LINK: its link
   * count changed, a subdirectory came or went.  NOTE_EXTEND on a
   * directory is, on FreeBSD's UFS, a directory grown by a new name. */
  if (fflags & (WF_KQ_NOTE_WRITE | WF_KQ_NOTE_LINK | WF_KQ_NOTE_EXTEND))
    act |= WF_KQ_ACT_DIFF_SELF;
  /* NOTE_ATTRIB on a directory: its own mode (a chmod that may make it
   * readable or not) or, with libkqueue (measured), a child's write or
   * chmod raised on the parent: the children's fingerprints tell which. */
  if (fflags & WF_KQ_NOTE_ATTRIB)
    act |= WF_KQ_ACT_FINGERPRINTS | WF_KQ_ACT_DIFF_SELF;
  if (fflags & WF_KQ_NOTE_WRITE)
    act |= WF_KQ_ACT_FINGERPRINTS;
  if (fflags & (WF_KQ_NOTE_DELETE | WF_KQ_NOTE_RENAME | WF_KQ_NOTE_REVOKE))
    {
      /* Gone from here: what it held is reported by the parent's diff
       * (deleted with its subtree, or renamed: deleted + added), never
       * from this note, which names no path. */
      act &= ~(unsigned) (WF_KQ_ACT_DIFF_SELF | WF_KQ_ACT_FINGERPRINTS);
      act |= WF_KQ_ACT_CLOSE | WF_KQ_ACT_DIFF_PARENT;
    }
  return act;
}

int
wf_kq_wait_again (int n, int err, int64_t now_ns, int64_t deadline_ns)
{
  if (n < 0)
    return err == EINTR ? 1 : -1;
  if (n > 0)
    return 0;
  return now_ns < deadline_ns ? 1 : 0;
}

uint64_t
wf_kq_budget (uint64_t limit, uint64_t reserve)
{
  return limit > reserve ? limit - reserve : 0;
}

int
wf_kq_evfilt_user (void)
{
#if defined(__APPLE__)
  return -10;
#elif defined(__FreeBSD__) || defined(__DragonFly__)
  return -11;
#else
  return 0;
#endif
}
