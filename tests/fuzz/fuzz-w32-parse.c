/* SPDX-License-Identifier: MIT */
/* fuzz-w32-parse.c: libFuzzer target for the win32 backend's record
 * parser: any bytes as a ReadDirectoryChangesW buffer (the buffer copied
 * to an exact-size allocation, so ASan sees any read past it), at any
 * alignment.  Asserted: every name delivered is NUL-terminated at its
 * length, within the scratch bound, holds no '\', and converts back to
 * UTF-16 (the WTF-8 round trip); an empty buffer is the overflow case. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wf-w32-parse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static size_t scratch_size;

static void
check_record (void *user, WfW32EventKind kind, const char *name, size_t name_len)
{
  size_t *n = user;
  uint16_t *back;
  size_t units;

  (*n)++;
  if ((unsigned) kind > WF_W32_EV_OVERFLOW || name_len + 1 > scratch_size || name[name_len] != '\0')
    abort ();
  if (strchr (name, '\\') != NULL)
    abort ();
  back = malloc ((name_len + 1) * sizeof *back);
  units = wf_w32_utf8_to_utf16 (name, back, name_len + 1, 0);
  /* A name with U+0000 in it stops at the NUL: shorter, never invalid. */
  if (units == (size_t) -1 || units > name_len)
    abort ();
  free (back);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t shift, n = 0;
  unsigned char *buf;
  char *scratch;
  WfW32ParseResult r;

  if (size < 1)
    return 0;
  shift = data[0] & 3;
  data++, size--;
  buf = malloc (size + shift + 1);
  memcpy (buf + shift, data, size);
  scratch_size = WF_W32_UTF8_MAX (size / 2);
  scratch = malloc (scratch_size);
  r = wf_w32_parse (buf + shift, size, scratch, scratch_size, check_record, &n);
  if ((size == 0) != (r == WF_W32_PARSE_EMPTY))
    abort ();
  if (r == WF_W32_PARSE_OK && n == 0)
    abort ();
  free (scratch);
  free (buf);
  return 0;
}
