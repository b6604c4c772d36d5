/* SPDX-License-Identifier: MIT */
/* fuzz-fsevents-translate.c: libFuzzer target for the FSEvents flag
 * translation and the path mapping: any flags, known or not, existing or
 * not; any paths (NUL-separated in the input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wf-fse-translate.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
fixed_exists (void *data, const char *path, int *is_dir)
{
  unsigned bits = *(const unsigned *) data;
  (void) path;
  *is_dir = (bits & 2) != 0;
  return bits & 1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  uint32_t flags;
  unsigned bits;
  WfFseOut out[2];
  char text[256], buf[64];
  const char *a, *b, *c;
  size_t n, len;

  if (size < 5)
    return 0;
  memcpy (&flags, data, 4);
  bits = data[4];
  for (int known = 0; known < 2; known++)
    {
      n = wf_fse_translate (flags, "/p", known, fixed_exists, &bits, out);
      if (n > 2)
        abort ();
      for (size_t i = 0; i < n; i++)
        {
          /* Never created what was known, never deleted what was not. */
          if (out[i].kind == WF_FSE_OUT_CREATED && known)
            abort ();
          if (out[i].kind == WF_FSE_OUT_DELETED && !known)
            abort ();
        }
    }
  len = size - 5 < sizeof text - 3 ? size - 5 : sizeof text - 3;
  memcpy (text, data + 5, len);
  text[len] = text[len + 1] = text[len + 2] = '\0';
  a = text;
  b = a + strlen (a) + 1;
  c = b + strlen (b) + 1;
  if (c >= text + sizeof text)
    c = text + len;
  if (wf_fse_map_path (a, b, c, buf, sizeof buf) == 1 && strlen (buf) >= sizeof buf)
    abort ();
  return 0;
}
