/* SPDX-License-Identifier: MIT */
/* wf-cross-decls.h: the few OS declarations the kqueue and FSEvents
 * backends use, written by this project from the public documentation
 * (FreeBSD and macOS man pages, Apple's FSEvents reference) so that the
 * GLib-free parts compile with clang -nostdlibinc for FreeBSD and macOS
 * on a Linux machine that has neither SDK.  This is a compile-and-link
 * check: values and layouts are asserted below where a mistake would
 * matter (struct kevent), and nothing compiled with it is run.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#if !defined(__FreeBSD__) && !defined(__APPLE__)
#error "wf-cross-decls.h is for the FreeBSD and macOS compile checks only"
#endif

/* ---- libc --------------------------------------------------------------- */
void *calloc (size_t n, size_t size);
void free (void *p);
size_t strlen (const char *s);
int strncmp (const char *a, const char *b, size_t n);
char *strcpy (char *dst, const char *src);
void *memcpy (void *dst, const void *src, size_t n);
int open (const char *path, int flags, ...);
int close (int fd);
int fcntl (int fd, int cmd, ...);
int pipe (int fds[2]);
long write (int fd, const void *buf, size_t n);
int *__error (void);
#define errno (*__error ())
#define EINTR 4
#define F_SETFD 2
#define FD_CLOEXEC 1
#define O_RDONLY 0x0000
#define O_NOFOLLOW 0x0100
#define RLIMIT_NOFILE 8

#if defined(__FreeBSD__)
typedef int64_t rlim_t;
#define O_DIRECTORY 0x00020000
#define O_CLOEXEC 0x00100000
#else
typedef uint64_t rlim_t;
#define O_EVTONLY 0x00008000
#define O_DIRECTORY 0x00100000
#define O_CLOEXEC 0x01000000
#endif
struct rlimit {
  rlim_t rlim_cur;
  rlim_t rlim_max;
};
int getrlimit (int resource, struct rlimit *rl);
int setrlimit (int resource, const struct rlimit *rl);

/* ---- kqueue (kqueue(2)) ------------------------------------------------- */
struct timespec;
#if defined(__FreeBSD__)
struct kevent {
  uintptr_t ident;
  short filter;
  unsigned short flags;
  unsigned int fflags;
  int64_t data;
  void *udata;
  uint64_t ext[4];   /* FreeBSD 12 and later */
};
_Static_assert (sizeof (struct kevent) == 64, "struct kevent is 64 bytes on FreeBSD 12+");
#define EVFILT_USER (-11)
#else
struct kevent {
  uintptr_t ident;
  int16_t filter;
  uint16_t flags;
  uint32_t fflags;
  intptr_t data;
  void *udata;
};
_Static_assert (sizeof (struct kevent) == 32, "struct kevent is 32 bytes on 64-bit macOS");
#define EVFILT_USER (-10)
#endif
_Static_assert (offsetof (struct kevent, fflags) == 12, "fflags after ident, filter, flags");
#define EVFILT_READ (-1)
#define EVFILT_VNODE (-4)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_CLEAR 0x0020
#define NOTE_TRIGGER 0x01000000
#define NOTE_DELETE 0x0001
#define NOTE_WRITE 0x0002
#define NOTE_EXTEND 0x0004
#define NOTE_ATTRIB 0x0008
#define NOTE_LINK 0x0010
#define NOTE_RENAME 0x0020
#define NOTE_REVOKE 0x0040
#define EV_SET(kevp, a, b, c, d, e, f) \
  do { \
    struct kevent *wf_kev_ = (kevp); \
    *wf_kev_ = (struct kevent) { 0 }; \
    wf_kev_->ident = (a); \
    wf_kev_->filter = (b); \
    wf_kev_->flags = (c); \
    wf_kev_->fflags = (d); \
    wf_kev_->data = (e); \
    wf_kev_->udata = (f); \
  } while (0)
int kqueue (void);
int kevent (int kq, const struct kevent *changes, int nchanges, struct kevent *events, int nevents,
            const struct timespec *timeout);

/* ---- CoreServices: FSEvents and the CoreFoundation it needs ------------- */
#if defined(__APPLE__)
typedef long CFIndex;
typedef unsigned char Boolean;
typedef double CFTimeInterval;
typedef const void *CFTypeRef;
typedef const struct __CFAllocator *CFAllocatorRef;
typedef const struct __CFString *CFStringRef;
typedef const struct __CFArray *CFArrayRef;
typedef struct {
  CFIndex version;
  const void *(*retain) (CFAllocatorRef, const void *);
  void (*release) (CFAllocatorRef, const void *);
  CFStringRef (*copyDescription) (const void *);
  Boolean (*equal) (const void *, const void *);
} CFArrayCallBacks;
extern const CFArrayCallBacks kCFTypeArrayCallBacks;
CFStringRef CFStringCreateWithFileSystemRepresentation (CFAllocatorRef alloc, const char *buffer);
CFArrayRef CFArrayCreate (CFAllocatorRef alloc, const void **values, CFIndex n,
                          const CFArrayCallBacks *callbacks);
void CFRelease (CFTypeRef cf);

typedef struct dispatch_queue_s *dispatch_queue_t;
typedef struct dispatch_queue_attr_s *dispatch_queue_attr_t;
dispatch_queue_t dispatch_queue_create (const char *label, dispatch_queue_attr_t attr);
void dispatch_sync_f (dispatch_queue_t queue, void *context, void (*work) (void *));
void dispatch_release (void *object);

typedef uint32_t FSEventStreamCreateFlags;
typedef uint32_t FSEventStreamEventFlags;
typedef uint64_t FSEventStreamEventId;
typedef struct __FSEventStream *FSEventStreamRef;
typedef const struct __FSEventStream *ConstFSEventStreamRef;
typedef struct {
  CFIndex version;
  void *info;
  const void *(*retain) (const void *);
  void (*release) (const void *);
  CFStringRef (*copyDescription) (const void *);
} FSEventStreamContext;
typedef void (*FSEventStreamCallback) (ConstFSEventStreamRef stream, void *info, size_t n,
                                       void *paths, const FSEventStreamEventFlags flags[],
                                       const FSEventStreamEventId ids[]);
enum {
  kFSEventStreamCreateFlagNoDefer = 0x02,
  kFSEventStreamCreateFlagWatchRoot = 0x04,
  kFSEventStreamCreateFlagFileEvents = 0x10,
  kFSEventStreamEventFlagMustScanSubDirs = 0x01,
  kFSEventStreamEventFlagRootChanged = 0x20,
  kFSEventStreamEventFlagItemCreated = 0x100,
  kFSEventStreamEventFlagItemCloned = 0x400000,
};
FSEventStreamRef FSEventStreamCreate (CFAllocatorRef alloc, FSEventStreamCallback callback,
                                      FSEventStreamContext *context, CFArrayRef paths,
                                      FSEventStreamEventId since, CFTimeInterval latency,
                                      FSEventStreamCreateFlags flags);
void FSEventStreamSetDispatchQueue (FSEventStreamRef stream, dispatch_queue_t queue);
Boolean FSEventStreamStart (FSEventStreamRef stream);
void FSEventStreamFlushSync (FSEventStreamRef stream);
void FSEventStreamStop (FSEventStreamRef stream);
void FSEventStreamInvalidate (FSEventStreamRef stream);
void FSEventStreamRelease (FSEventStreamRef stream);
FSEventStreamEventId FSEventStreamGetLatestEventId (ConstFSEventStreamRef stream);
FSEventStreamEventId FSEventsGetCurrentEventId (void);
#endif
