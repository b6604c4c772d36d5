/* SPDX-License-Identifier: MIT */
/* wf-fse-os.c: FSEventStream on a dispatch queue, nothing else. */
#ifdef WF_CROSS_DECLS
#include "wf-cross-decls.h"
#else
#include <CoreServices/CoreServices.h>
#include <dispatch/dispatch.h>
#include <stdlib.h>
#endif

#include "wf-fse-os.h"
#include "wf-fse-translate.h"

_Static_assert (kFSEventStreamCreateFlagFileEvents == WF_FSE_CREATE_FILE_EVENTS
                && kFSEventStreamCreateFlagNoDefer == WF_FSE_CREATE_NO_DEFER
                && kFSEventStreamCreateFlagWatchRoot == WF_FSE_CREATE_WATCH_ROOT
                && kFSEventStreamEventFlagMustScanSubDirs == WF_FSE_MUST_SCAN_SUBDIRS
                && kFSEventStreamEventFlagRootChanged == WF_FSE_ROOT_CHANGED
                && kFSEventStreamEventFlagItemCreated == WF_FSE_ITEM_CREATED
                && kFSEventStreamEventFlagItemCloned == WF_FSE_ITEM_CLONED,
                "the translation's flags are CoreServices'");

struct WfFseStream {
  FSEventStreamRef stream;
  dispatch_queue_t queue;
  WfFseBatchFunc func;
  void *data;
  int started;
};

static void
wf_fse_noop (void *data)
{
  (void) data;
}

static void
on_events (ConstFSEventStreamRef ref, void *info, size_t n, void *paths,
           const FSEventStreamEventFlags flags[], const FSEventStreamEventId ids[])
{
  WfFseStream *self = info;

  (void) ref;
  /* Without kFSEventStreamCreateFlagUseCFTypes, paths is a char **. */
  self->func (self->data, n, (const char *const *) paths, (const uint32_t *) flags,
              (const uint64_t *) ids);
}

WfFseStream *
wf_fse_stream_new (const char *const *roots, size_t n_roots, double latency, uint64_t since,
                   WfFseBatchFunc func, void *data)
{
  WfFseStream *self = calloc (1, sizeof *self);
  const void **strings;
  CFArrayRef array;
  FSEventStreamContext context = { 0, NULL, NULL, NULL, NULL };

  if (self == NULL)
    return NULL;
  strings = calloc (n_roots ? n_roots : 1, sizeof *strings);
  if (strings == NULL)
    {
      free (self);
      return NULL;
    }
  for (size_t i = 0; i < n_roots; i++)
    strings[i] = CFStringCreateWithFileSystemRepresentation (NULL, roots[i]);
  array = CFArrayCreate (NULL, strings, (CFIndex) n_roots, &kCFTypeArrayCallBacks);
  for (size_t i = 0; i < n_roots; i++)
    if (strings[i] != NULL)
      CFRelease (strings[i]);
  free (strings);
  if (array == NULL)
    {
      free (self);
      return NULL;
    }

  self->func = func;
  self->data = data;
  context.info = self;
  self->stream = FSEventStreamCreate (NULL, on_events, &context, array, since, latency,
                                      kFSEventStreamCreateFlagFileEvents
                                      | kFSEventStreamCreateFlagNoDefer
                                      | kFSEventStreamCreateFlagWatchRoot);
  CFRelease (array);
  if (self->stream == NULL)
    {
      free (self);
      return NULL;
    }
  /* Its own serial queue: batches never run on the caller's run loop and
   * never two at a time. */
  self->queue = dispatch_queue_create ("org.watchfiles.fsevents", NULL);
  FSEventStreamSetDispatchQueue (self->stream, self->queue);
  return self;
}

int
wf_fse_stream_start (WfFseStream *self)
{
  if (!FSEventStreamStart (self->stream))
    return -1;
  self->started = 1;
  return 0;
}

uint64_t
wf_fse_stream_latest_id (WfFseStream *self)
{
  return FSEventStreamGetLatestEventId (self->stream);
}

uint64_t
wf_fse_current_id (void)
{
  return FSEventsGetCurrentEventId ();
}

void
wf_fse_stream_free (WfFseStream *self)
{
  if (self == NULL)
    return;
  if (self->started)
    {
      FSEventStreamFlushSync (self->stream);
      FSEventStreamStop (self->stream);
    }
  FSEventStreamInvalidate (self->stream);
  FSEventStreamRelease (self->stream);
  /* Invalidate waits for no callback: a block on the queue after every
   * one already queued does. */
  dispatch_sync_f (self->queue, NULL, wf_fse_noop);
  dispatch_release (self->queue);
  free (self);
}
