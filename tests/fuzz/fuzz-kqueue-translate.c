/* SPDX-License-Identifier: MIT */
/* fuzz-kqueue-translate.c: libFuzzer target for the kqueue note
 * translation: any notes, any kind, any wait result; the invariants a
 * backend relies on are asserted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wf-kq-translate.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  uint32_t fflags = 0;
  int64_t now = 0, deadline = 0;

  if (size < 4)
    return 0;
  memcpy (&fflags, data, 4);
  for (int kind = 0; kind < 2; kind++)
    {
      unsigned act = wf_kq_translate ((WfKqWatchKind) kind, fflags);
      /* Closing a directory always hands the work to its parent, and a
       * closed descriptor is never diffed itself. */
      if (kind == WF_KQ_WATCH_DIRECTORY && (act & WF_KQ_ACT_CLOSE))
        if (!(act & WF_KQ_ACT_DIFF_PARENT) || (act & WF_KQ_ACT_DIFF_SELF))
          abort ();
      if ((fflags & WF_KQ_NOTE_ALL) == 0 && act != WF_KQ_ACT_NONE)
        abort ();
    }
  if (size >= 20)
    {
      memcpy (&now, data + 4, 8);
      memcpy (&deadline, data + 12, 8);
      if (wf_kq_wait_again (0, 0, now, deadline) != (now < deadline))
        abort ();
    }
  return 0;
}
