/* SPDX-License-Identifier: MIT */
/* wf-kq-os.c: kqueue(), kevent() and the descriptors, nothing else. */
#ifdef WF_CROSS_DECLS
#include "wf-cross-decls.h"
#else
#include <sys/types.h>
#include <sys/event.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#endif

#ifndef NOTE_REVOKE
/* libkqueue (Linux) has no revoke(2) and no NOTE_REVOKE: the BSD value,
 * never raised there. */
#define NOTE_REVOKE 0x0040
#endif

#include "wf-kq-os.h"
#include "wf-kq-translate.h"

#define WF_KQ_NOTES (NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME \
                     | NOTE_REVOKE)
#define WF_KQ_STOP_IDENT 1

_Static_assert (NOTE_DELETE == WF_KQ_NOTE_DELETE && NOTE_WRITE == WF_KQ_NOTE_WRITE
                && NOTE_EXTEND == WF_KQ_NOTE_EXTEND && NOTE_ATTRIB == WF_KQ_NOTE_ATTRIB
                && NOTE_LINK == WF_KQ_NOTE_LINK && NOTE_RENAME == WF_KQ_NOTE_RENAME
                && NOTE_REVOKE == WF_KQ_NOTE_REVOKE,
                "the translation's note bits are the OS's");

struct WfKqLoop {
  int kq;
  int pipe_fds[2];   /* -1 where EVFILT_USER wakes the loop */
  volatile int stopping;
};

WfKqLoop *
wf_kq_loop_new (void)
{
  WfKqLoop *loop = calloc (1, sizeof *loop);
  struct kevent change;

  if (loop == NULL)
    return NULL;
  loop->pipe_fds[0] = loop->pipe_fds[1] = -1;
  loop->kq = kqueue ();
  if (loop->kq < 0)
    {
      free (loop);
      return NULL;
    }
  (void) fcntl (loop->kq, F_SETFD, FD_CLOEXEC);
#ifdef EVFILT_USER
  EV_SET (&change, WF_KQ_STOP_IDENT, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
  if (kevent (loop->kq, &change, 1, NULL, 0, NULL) == 0)
    return loop;
#endif
  /* No EVFILT_USER (OpenBSD, NetBSD before 10): a pipe's read end. */
  if (pipe (loop->pipe_fds) < 0)
    goto fail;
  (void) fcntl (loop->pipe_fds[0], F_SETFD, FD_CLOEXEC);
  (void) fcntl (loop->pipe_fds[1], F_SETFD, FD_CLOEXEC);
  EV_SET (&change, (uintptr_t) loop->pipe_fds[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
  if (kevent (loop->kq, &change, 1, NULL, 0, NULL) < 0)
    goto fail;
  return loop;

fail:
  wf_kq_loop_free (loop);
  return NULL;
}

void
wf_kq_loop_free (WfKqLoop *loop)
{
  if (loop == NULL)
    return;
  if (loop->pipe_fds[0] >= 0)
    close (loop->pipe_fds[0]);
  if (loop->pipe_fds[1] >= 0)
    close (loop->pipe_fds[1]);
  if (loop->kq >= 0)
    close (loop->kq);
  free (loop);
}

int
wf_kq_loop_uses_user_event (WfKqLoop *loop)
{
  return loop->pipe_fds[0] < 0;
}

int
wf_kq_loop_add (WfKqLoop *loop, const char *path, int is_dir, void *udata)
{
  struct kevent change;
  int flags;
  int fd;

#ifdef O_EVTONLY
  /* macOS: a descriptor that does not keep the volume from unmounting. */
  flags = O_EVTONLY;
  (void) is_dir;
#else
  flags = O_RDONLY | (is_dir ? O_DIRECTORY : 0);
#endif
  fd = open (path, flags | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  EV_SET (&change, (uintptr_t) fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, WF_KQ_NOTES, 0, udata);
  if (kevent (loop->kq, &change, 1, NULL, 0, NULL) < 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

void
wf_kq_loop_remove (WfKqLoop *loop, int fd)
{
  struct kevent change;

  if (fd < 0)
    return;
  /* The BSDs drop a descriptor's knotes on close(); libkqueue does not
   * (measured: its knote, and the inotify instance behind it, stayed, one
   * per directory ever watched), so the knote goes first. */
  EV_SET (&change, (uintptr_t) fd, EVFILT_VNODE, EV_DELETE, 0, 0, NULL);
  (void) kevent (loop->kq, &change, 1, NULL, 0, NULL);
  close (fd);
}

int
wf_kq_loop_run (WfKqLoop *loop, WfKqNoteFunc func, void *data)
{
  struct kevent events[64];

  while (!loop->stopping)
    {
      int n = kevent (loop->kq, NULL, 0, events, 64, NULL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      /* n == 0 with no timeout: spurious (libkqueue), wait again. */
      for (int i = 0; i < n && !loop->stopping; i++)
        {
          if (events[i].filter == EVFILT_VNODE)
            func (data, events[i].udata, events[i].fflags);
        }
    }
  return 0;
}

void
wf_kq_loop_stop (WfKqLoop *loop)
{
  loop->stopping = 1;
#ifdef EVFILT_USER
  if (loop->pipe_fds[0] < 0)
    {
      struct kevent change;
      EV_SET (&change, WF_KQ_STOP_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
      (void) kevent (loop->kq, &change, 1, NULL, 0, NULL);
      return;
    }
#endif
  (void) !write (loop->pipe_fds[1], "x", 1);
}

uint64_t
wf_kq_raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return 0;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rlim_t want = rl.rlim_max;
      rl.rlim_cur = want;
      /* macOS refuses RLIM_INFINITY (and anything past OPEN_MAX). */
      if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
        {
          rl.rlim_cur = 10240;
          if (want < rl.rlim_cur || setrlimit (RLIMIT_NOFILE, &rl) < 0)
            (void) getrlimit (RLIMIT_NOFILE, &rl);
        }
    }
  return (uint64_t) rl.rlim_cur;
}
