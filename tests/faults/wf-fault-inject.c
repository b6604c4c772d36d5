/* SPDX-License-Identifier: MIT */
/* wf-fault-inject.c: makes the n-th call of one system call fail, as
 * SQLite's fault injection does (test only, preloaded by run-faults.sh).
 *
 * Only calls made by the library and its backend modules count: the
 * caller's return address must lie in a file whose name has
 * "libwatchfiles", "inotify.so" or "poll.so" in it, so the scenario's own
 * file operations and GLib's are never touched.
 *
 *   WF_FAULT=NAME:N:ERRNO   the N-th counted call of NAME fails with ERRNO
 *                           (SHORT, for read: a read asked for at most
 *                           SHORT_READ bytes, so fewer records come and
 *                           the rest wait for the next read)
 *   WF_FAULT_REPORT=FILE    at exit, "NAME COUNT" per function into FILE,
 *                           and "injected NAME N ERRNO" if it fired
 *
 * Counting starts when the scenario calls wf_fault_arm() (found with
 * dlsym), after its warm-up, so that call numbers mean the same in every
 * run of it.
 */

/* The plain names and the *64 ones are both defined here: without this,
 * the headers would rename the plain ones to the *64 ones. */
#undef _FILE_OFFSET_BITS

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

enum { F_INOTIFY_INIT1, F_INOTIFY_ADD_WATCH, F_OPEN, F_OPENAT, F_FDOPENDIR, F_READ, F_FSTATAT, F_STAT,
       F_LSTAT, F_EVENTFD, F_PIPE2, N_FUNCTIONS };

static const char *const names[N_FUNCTIONS] = {
  "inotify_init1", "inotify_add_watch", "open", "openat", "fdopendir", "read", "fstatat", "stat",
  "lstat", "eventfd", "pipe2",
};

static const struct { const char *name; int value; } errnos[] = {
  { "ENOSPC", ENOSPC }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EMFILE", EMFILE },
  { "ENOENT", ENOENT }, { "ELOOP", ELOOP }, { "EINTR", EINTR }, { "EIO", EIO }, { "SHORT", -1 },
};

/* sizeof (struct inotify_event) + NAME_MAX + 1 */
#define SHORT_READ 272

static unsigned long counts[N_FUNCTIONS];
static int target = -1;            /* which function fails, -1 none */
static unsigned long target_call;  /* on which counted call */
static int target_errno;           /* -1: a short read */
static const char *target_errno_name;
static int fired;
static int armed;

void wf_fault_arm (void);

void
wf_fault_arm (void)
{
  for (int i = 0; i < N_FUNCTIONS; i++)
    __atomic_store_n (&counts[i], 0, __ATOMIC_SEQ_CST);
  __atomic_store_n (&armed, 1, __ATOMIC_SEQ_CST);
}

static void
report (void)
{
  const char *path = getenv ("WF_FAULT_REPORT");
  FILE *out;

  /* Other processes that inherit the preload (timeout(1), a shell) never
   * arm it: their report would overwrite the scenario's. */
  if (!armed || path == NULL || (out = fopen (path, "w")) == NULL)
    return;
  for (int i = 0; i < N_FUNCTIONS; i++)
    fprintf (out, "%s %lu\n", names[i], __atomic_load_n (&counts[i], __ATOMIC_SEQ_CST));
  if (fired)
    fprintf (out, "injected %s %lu %s\n", names[target], target_call, target_errno_name);
  fclose (out);
}

__attribute__ ((constructor)) static void
setup (void)
{
  const char *spec = getenv ("WF_FAULT");
  char name[64], errno_name[16];
  unsigned long call;

  atexit (report);
  if (spec == NULL || *spec == '\0')
    return;
  if (sscanf (spec, "%63[a-z0-9_]:%lu:%15[A-Z]", name, &call, errno_name) != 3)
    {
      fprintf (stderr, "wf-fault-inject: WF_FAULT=%s is not NAME:N:ERRNO\n", spec);
      abort ();
    }
  for (int i = 0; i < N_FUNCTIONS; i++)
    if (strcmp (names[i], name) == 0)
      target = i;
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
    if (strcmp (errnos[i].name, errno_name) == 0)
      {
        target_errno = errnos[i].value;
        target_errno_name = errnos[i].name;
      }
  if (target < 0 || target_errno_name == NULL)
    {
      fprintf (stderr, "wf-fault-inject: unknown function or errno in WF_FAULT=%s\n", spec);
      abort ();
    }
  target_call = call;
}

static int
from_watchfiles (const void *caller)
{
  Dl_info info;

  if (dladdr (caller, &info) == 0 || info.dli_fname == NULL)
    return 0;
  return strstr (info.dli_fname, "libwatchfiles") != NULL || strstr (info.dli_fname, "inotify.so") != NULL ||
         strstr (info.dli_fname, "poll.so") != NULL;
}

/* Whether this counted call is the one to fail; sets errno then. */
static int
should_fail (int function, const void *caller)
{
  unsigned long n;

  if (!__atomic_load_n (&armed, __ATOMIC_SEQ_CST) || !from_watchfiles (caller))
    return 0;
  n = __atomic_add_fetch (&counts[function], 1, __ATOMIC_SEQ_CST);
  if (function != target || n != target_call)
    return 0;
  fired = 1;
  if (target_errno > 0)
    errno = target_errno;
  return 1;
}

#define REAL(name) \
  static __typeof__ (name) *real_##name; \
  if (real_##name == NULL) \
    real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name)

#define CALLER __builtin_return_address (0)

int
inotify_init1 (int flags)
{
  REAL (inotify_init1);
  if (should_fail (F_INOTIFY_INIT1, CALLER))
    return -1;
  return real_inotify_init1 (flags);
}

int
inotify_add_watch (int fd, const char *path, uint32_t mask)
{
  REAL (inotify_add_watch);
  if (should_fail (F_INOTIFY_ADD_WATCH, CALLER))
    return -1;
  return real_inotify_add_watch (fd, path, mask);
}

/* _FILE_OFFSET_BITS=64 builds call the *64 names; both are the same
 * functions on 64-bit Linux. */
static int
do_open (const void *caller, const char *path, int flags, mode_t mode)
{
  static int (*real_open) (const char *, int, ...);

  if (real_open == NULL)
    real_open = (int (*) (const char *, int, ...)) dlsym (RTLD_NEXT, "open64");
  if (should_fail (F_OPEN, caller))
    return -1;
  return real_open (path, flags, mode);
}

static int
do_openat (const void *caller, int dir_fd, const char *path, int flags, mode_t mode)
{
  static int (*real_openat) (int, const char *, int, ...);

  if (real_openat == NULL)
    real_openat = (int (*) (int, const char *, int, ...)) dlsym (RTLD_NEXT, "openat64");
  if (should_fail (F_OPENAT, caller))
    return -1;
  return real_openat (dir_fd, path, flags, mode);
}

#define OPEN_MODE(flags) \
  mode_t mode = 0; \
  if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) \
    { \
      va_list args; \
      va_start (args, flags); \
      mode = va_arg (args, mode_t); \
      va_end (args); \
    }

int
open64 (const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  return do_open (CALLER, path, flags, mode);
}

int
open (const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  return do_open (CALLER, path, flags, mode);
}

int
openat64 (int dir_fd, const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  return do_openat (CALLER, dir_fd, path, flags, mode);
}

int
openat (int dir_fd, const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  return do_openat (CALLER, dir_fd, path, flags, mode);
}

DIR *
fdopendir (int fd)
{
  REAL (fdopendir);
  if (should_fail (F_FDOPENDIR, CALLER))
    return NULL;
  return real_fdopendir (fd);
}

ssize_t
read (int fd, void *buffer, size_t count)
{
  REAL (read);
  if (!should_fail (F_READ, CALLER))
    return real_read (fd, buffer, count);
  if (target_errno > 0)
    return -1;
  /* A short read the kernel could give: room for fewer records (one
   * inotify event with the longest name still fits), the rest left for
   * the next read. */
  return real_read (fd, buffer, count > SHORT_READ ? SHORT_READ : count);
}

static int
do_fstatat (const void *caller, int dir_fd, const char *path, struct stat *st, int flags)
{
  static int (*real_fstatat) (int, const char *, struct stat *, int);

  if (real_fstatat == NULL)
    real_fstatat = (int (*) (int, const char *, struct stat *, int)) dlsym (RTLD_NEXT, "fstatat64");
  if (should_fail (F_FSTATAT, caller))
    return -1;
  return real_fstatat (dir_fd, path, st, flags);
}

int
fstatat64 (int dir_fd, const char *path, struct stat64 *st, int flags)
{
  return do_fstatat (CALLER, dir_fd, path, (struct stat *) st, flags);
}

int
fstatat (int dir_fd, const char *path, struct stat *st, int flags)
{
  return do_fstatat (CALLER, dir_fd, path, st, flags);
}

static int
do_stat (const void *caller, int function, const char *path, struct stat *st)
{
  static int (*real_fstatat) (int, const char *, struct stat *, int);

  if (real_fstatat == NULL)
    real_fstatat = (int (*) (int, const char *, struct stat *, int)) dlsym (RTLD_NEXT, "fstatat64");
  if (should_fail (function, caller))
    return -1;
  return real_fstatat (AT_FDCWD, path, st, function == F_LSTAT ? AT_SYMLINK_NOFOLLOW : 0);
}

int
stat64 (const char *path, struct stat64 *st)
{
  return do_stat (CALLER, F_STAT, path, (struct stat *) st);
}

int
stat (const char *path, struct stat *st)
{
  return do_stat (CALLER, F_STAT, path, st);
}

int
lstat64 (const char *path, struct stat64 *st)
{
  return do_stat (CALLER, F_LSTAT, path, (struct stat *) st);
}

int
lstat (const char *path, struct stat *st)
{
  return do_stat (CALLER, F_LSTAT, path, st);
}

int
eventfd (unsigned int initial, int flags)
{
  REAL (eventfd);
  if (should_fail (F_EVENTFD, CALLER))
    return -1;
  return real_eventfd (initial, flags);
}

int
pipe2 (int fds[2], int flags)
{
  REAL (pipe2);
  if (should_fail (F_PIPE2, CALLER))
    return -1;
  return real_pipe2 (fds, flags);
}
