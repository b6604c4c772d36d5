/* SPDX-License-Identifier: MIT */
/* wf-fse-translate.c: FSEvents flags, resolved against what exists. */
#ifdef WF_CROSS_DECLS
#include "wf-cross-decls.h"
#else
#include <string.h>
#endif

#include "wf-fse-translate.h"

#define STRUCTURE (WF_FSE_ITEM_CREATED | WF_FSE_ITEM_REMOVED | WF_FSE_ITEM_RENAMED)
#define CONTENTS (WF_FSE_ITEM_MODIFIED | WF_FSE_ITEM_CLONED)
#define ATTRIBUTES (WF_FSE_ITEM_INODE_META | WF_FSE_ITEM_CHANGE_OWNER | WF_FSE_ITEM_XATTR_MOD \
                    | WF_FSE_ITEM_FINDER_INFO)

size_t
wf_fse_translate (uint32_t flags, const char *path, int known, WfFseExistsFunc exists, void *data,
                  WfFseOut out[2])
{
  size_t n = 0;
  int is_dir = (flags & WF_FSE_ITEM_IS_DIR) != 0;
  int now;

  if (flags & (WF_FSE_USER_DROPPED | WF_FSE_KERNEL_DROPPED | WF_FSE_MUST_SCAN_SUBDIRS
               | WF_FSE_MOUNT | WF_FSE_UNMOUNT))
    {
      /* Lost events (dropped: the path is the root), a subtree to rescan,
       * or a volume that came or went below the path. */
      out[n++] = (WfFseOut) { WF_FSE_OUT_RESYNC, 1 };
      return n;
    }
  if (flags & WF_FSE_ROOT_CHANGED)
    {
      out[n++] = (WfFseOut) { WF_FSE_OUT_ROOT, 1 };
      return n;
    }
  if (flags & (WF_FSE_HISTORY_DONE | WF_FSE_EVENT_IDS_WRAPPED))
    return 0;
  if ((flags & (STRUCTURE | CONTENTS | ATTRIBUTES)) == 0)
    {
      /* No item flag at all: a directory-level event (a stream without
       * FileEvents, or an old system): rescan it. */
      out[n++] = (WfFseOut) { WF_FSE_OUT_RESYNC, 1 };
      return n;
    }

  now = exists (data, path, &is_dir);
  if (flags & STRUCTURE)
    {
      /* Any mix of created/removed/renamed: only the outcome is knowable. */
      if (now && !known)
        out[n++] = (WfFseOut) { WF_FSE_OUT_CREATED, is_dir };
      else if (!now && known)
        out[n++] = (WfFseOut) { WF_FSE_OUT_DELETED, is_dir };
      else if (now && known && (flags & (CONTENTS | WF_FSE_ITEM_RENAMED | WF_FSE_ITEM_REMOVED)))
        /* There before and now: a write (the Created flag outliving its
         * window), or a replacement under the name (a rename over it, an
         * editor's save): the kit's fingerprint tells which; say
         * modified, the snapshot compare refines it. */
        out[n++] = (WfFseOut) { WF_FSE_OUT_MODIFIED, is_dir };
      else if (now && known && (flags & ATTRIBUTES))
        out[n++] = (WfFseOut) { WF_FSE_OUT_ATTRIB, is_dir };
      /* Gone and never known: created and removed inside one window. */
      return n;
    }
  if (!now)
    /* A write to something since removed: its removal comes as its own
     * event (or already came). */
    return known ? (out[n++] = (WfFseOut) { WF_FSE_OUT_DELETED, is_dir }, n) : 0;
  if (!known)
    {
      out[n++] = (WfFseOut) { WF_FSE_OUT_CREATED, is_dir };
      return n;
    }
  if ((flags & CONTENTS) && !is_dir)
    out[n++] = (WfFseOut) { WF_FSE_OUT_MODIFIED, is_dir };
  else if (flags & ATTRIBUTES)
    out[n++] = (WfFseOut) { WF_FSE_OUT_ATTRIB, is_dir };
  return n;
}

void
wf_fse_resume_init (WfFseResume *resume)
{
  resume->last_id = WF_FSE_SINCE_NOW;
}

void
wf_fse_resume_seen (WfFseResume *resume, uint64_t id, uint32_t flags)
{
  if (flags & WF_FSE_EVENT_IDS_WRAPPED)
    {
      /* IDs start again from small numbers: a lower one is newer now. */
      resume->last_id = id;
      return;
    }
  if (resume->last_id == WF_FSE_SINCE_NOW || id > resume->last_id)
    resume->last_id = id;
}

uint64_t
wf_fse_resume_since (const WfFseResume *resume)
{
  return resume->last_id;
}

int
wf_fse_map_path (const char *event_path, const char *resolved_root, const char *caller_root,
                 char *buf, size_t size)
{
  size_t rlen = strlen (resolved_root);
  size_t elen = strlen (event_path);
  size_t clen = strlen (caller_root);
  size_t restlen;

  /* Without trailing '/', and "/" as the empty prefix, so that the rest
   * always starts with '/' (or is empty: the root itself). */
  while (rlen > 0 && resolved_root[rlen - 1] == '/')
    rlen--;
  while (clen > 0 && caller_root[clen - 1] == '/')
    clen--;
  while (elen > 1 && event_path[elen - 1] == '/')
    elen--;
  if (elen < rlen || strncmp (event_path, resolved_root, rlen) != 0)
    return 0;
  restlen = elen - rlen;
  if (restlen > 0 && event_path[rlen] != '/')
    return 0;   /* /private/var2 is not below /private/var */
  if (clen + restlen == 0)
    {
      if (size < 2)
        return -1;
      strcpy (buf, "/");
      return 1;
    }
  if (clen + restlen + 1 > size)
    return -1;
  memcpy (buf, caller_root, clen);
  memcpy (buf + clen, event_path + rlen, restlen);
  buf[clen + restlen] = '\0';
  return 1;
}

int
wf_fse_parse_latency_ms (const char *value, unsigned *ms)
{
  unsigned long n = 0;

  if (value == NULL)
    {
      *ms = WF_FSE_LATENCY_DEFAULT_MS;
      return 1;
    }
  if (*value == '\0')
    return 0;
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p < '0' || *p > '9')
        return 0;
      n = n * 10 + (unsigned long) (*p - '0');
      if (n > WF_FSE_LATENCY_MAX_MS)
        return 0;
    }
  *ms = (unsigned) n;
  return 1;
}
