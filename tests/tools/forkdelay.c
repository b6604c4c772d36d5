/* SPDX-License-Identifier: MIT */
/* forkdelay.c: an LD_PRELOAD module for the watchfiles command's tests.
 * It widens the window between fork and exec of the first child: the
 * child writes the file named by $FORK_READY, then sleeps
 * $FORK_DELAY_MS (default 1500) before fork() returns, so a test can type
 * Ctrl+C while the child is in that window. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

pid_t
fork (void)
{
  static int done;
  pid_t (*real_fork) (void) = (pid_t (*) (void)) dlsym (RTLD_NEXT, "fork");
  const char *ready = getenv ("FORK_READY");
  const char *delay = getenv ("FORK_DELAY_MS");
  pid_t pid = real_fork ();

  if (pid == 0 && !done && ready != NULL)
    {
      long ms = delay != NULL ? atol (delay) : 1500;
      struct timespec pause = { ms / 1000, (ms % 1000) * 1000000 };
      int fd = open (ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

      if (fd >= 0)
        {
          if (write (fd, "x", 1) < 0)
            {
            }
          close (fd);
        }
      while (nanosleep (&pause, &pause) != 0)
        ;
    }
  done = 1;
  return pid;
}
