/* SPDX-License-Identifier: MIT */
/* inotify-events.c: the event-buffer reader (see inotify-events.h). */
#include "config.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "inotify-events.h"

const struct inotify_event *
wf_inotify_next_event (const char *buffer, gsize length, gsize *offset, gboolean *malformed)
{
  const struct inotify_event *event;
  gsize left;

  *malformed = FALSE;
  if (*offset >= length)
    return NULL;
  left = length - *offset;
  if (left < sizeof (struct inotify_event) ||
      (uintptr_t) (buffer + *offset) % alignof (struct inotify_event) != 0)
    {
      *malformed = TRUE;
      *offset = length;
      return NULL;
    }
  event = (const struct inotify_event *) (buffer + *offset);
  if (event->len > left - sizeof (struct inotify_event) ||
      (event->len > 0 && memchr (event->name, '\0', event->len) == NULL))
    {
      *malformed = TRUE;
      *offset = length;
      return NULL;
    }
  *offset += sizeof (struct inotify_event) + event->len;
  return event;
}
