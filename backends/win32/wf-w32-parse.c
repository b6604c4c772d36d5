/* SPDX-License-Identifier: MIT */
/* wf-w32-parse.c: FILE_NOTIFY_INFORMATION chains, completion verdicts and
 * the UTF-16 <-> UTF-8 (WTF-8) conversions, in plain C (see the header). */
#include "wf-w32-parse.h"

#include <string.h>

static uint32_t
read_u32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

WfW32EventKind
wf_w32_action_kind (uint32_t action)
{
  switch (action)
    {
    case WF_W32_ACTION_ADDED:
      return WF_W32_EV_CREATED;
    case WF_W32_ACTION_REMOVED:
      return WF_W32_EV_DELETED;
    case WF_W32_ACTION_MODIFIED:
      return WF_W32_EV_MODIFIED;
    case WF_W32_ACTION_RENAMED_OLD_NAME:
      return WF_W32_EV_MOVED_FROM;
    case WF_W32_ACTION_RENAMED_NEW_NAME:
      return WF_W32_EV_MOVED_TO;
    default:
      return WF_W32_EV_OVERFLOW;
    }
}

WfW32Completion
wf_w32_completion_verdict (uint32_t error, size_t n_bytes)
{
  switch (error)
    {
    case WF_W32_ERROR_SUCCESS:
      /* ReadDirectoryChangesW: "If the buffer overflows, ReadDirectoryChangesW
       * will still return true, but the entire contents of the buffer are
       * discarded and the lpBytesReturned parameter will be zero". */
      return n_bytes == 0 ? WF_W32_COMPLETION_OVERFLOW : WF_W32_COMPLETION_RECORDS;
    case WF_W32_ERROR_NOTIFY_ENUM_DIR:
      return WF_W32_COMPLETION_OVERFLOW;
    case WF_W32_ERROR_OPERATION_ABORTED:
      return WF_W32_COMPLETION_CANCELLED;
    default:
      return WF_W32_COMPLETION_FAILED;
    }
}

static char *
put_utf8 (char *d, uint32_t cp)
{
  if (cp < 0x80)
    *d++ = (char) cp;
  else if (cp < 0x800)
    {
      *d++ = (char) (0xC0 | cp >> 6);
      *d++ = (char) (0x80 | (cp & 0x3F));
    }
  else if (cp < 0x10000)
    {
      *d++ = (char) (0xE0 | cp >> 12);
      *d++ = (char) (0x80 | (cp >> 6 & 0x3F));
      *d++ = (char) (0x80 | (cp & 0x3F));
    }
  else
    {
      *d++ = (char) (0xF0 | cp >> 18);
      *d++ = (char) (0x80 | (cp >> 12 & 0x3F));
      *d++ = (char) (0x80 | (cp >> 6 & 0x3F));
      *d++ = (char) (0x80 | (cp & 0x3F));
    }
  return d;
}

size_t
wf_w32_utf16_to_utf8 (const unsigned char *src, size_t n_units, char *dst, int slash)
{
  char *d = dst;

  for (size_t i = 0; i < n_units; i++)
    {
      uint32_t u = (uint32_t) src[2 * i] | (uint32_t) src[2 * i + 1] << 8;

      if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n_units)
        {
          uint32_t lo = (uint32_t) src[2 * i + 2] | (uint32_t) src[2 * i + 3] << 8;
          if (lo >= 0xDC00 && lo <= 0xDFFF)
            {
              u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
              i++;
            }
        }
      /* Anything left in D800..DFFF is unpaired: WTF-8 writes its code
       * point as if it were a character (ED A0..BF xx). */
      if (slash && u == '\\')
        u = '/';
      d = put_utf8 (d, u);
    }
  *d = '\0';
  return (size_t) (d - dst);
}

size_t
wf_w32_utf8_to_utf16 (const char *src, uint16_t *dst, size_t dst_units, int backslash)
{
  const unsigned char *s = (const unsigned char *) src;
  size_t n = 0;

  while (*s != '\0')
    {
      uint32_t cp;
      int extra;

      if (*s < 0x80)
        cp = *s, extra = 0;
      else if (*s >= 0xC2 && *s <= 0xDF)
        cp = *s & 0x1F, extra = 1;
      else if (*s >= 0xE0 && *s <= 0xEF)
        cp = *s & 0x0F, extra = 2;
      else if (*s >= 0xF0 && *s <= 0xF4)
        cp = *s & 0x07, extra = 3;
      else
        return (size_t) -1;
      s++;
      for (int k = 0; k < extra; k++, s++)
        {
          if ((*s & 0xC0) != 0x80)
            return (size_t) -1;
          cp = cp << 6 | (*s & 0x3F);
        }
      /* Overlong forms and code points past U+10FFFF are not UTF-8; the
       * three-byte surrogates are WTF-8 and kept. */
      if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return (size_t) -1;
      if (backslash && cp == '/')
        cp = '\\';
      if (cp >= 0x10000)
        {
          if (n + 2 >= dst_units)
            return (size_t) -1;
          cp -= 0x10000;
          dst[n++] = (uint16_t) (0xD800 + (cp >> 10));
          dst[n++] = (uint16_t) (0xDC00 + (cp & 0x3FF));
        }
      else
        {
          if (n + 1 >= dst_units)
            return (size_t) -1;
          dst[n++] = (uint16_t) cp;
        }
    }
  if (n >= dst_units)
    return (size_t) -1;
  dst[n] = 0;
  return n;
}

WfW32ParseResult
wf_w32_parse (const void *buf, size_t len, char *scratch, size_t scratch_size, WfW32RecordFunc func,
              void *data)
{
  const unsigned char *p = buf;
  size_t at = 0;

  if (len == 0)
    return WF_W32_PARSE_EMPTY;
  for (;;)
    {
      uint32_t next, action, name_bytes;
      size_t n;

      if (len - at < WF_W32_RECORD_HEADER)
        return WF_W32_PARSE_MALFORMED;
      next = read_u32 (p + at);
      action = read_u32 (p + at + 4);
      name_bytes = read_u32 (p + at + 8);
      /* A name of an odd byte count is not UTF-16: the record, and the
       * chain after it, cannot be trusted. */
      if (name_bytes % 2 != 0 || name_bytes > len - at - WF_W32_RECORD_HEADER)
        return WF_W32_PARSE_MALFORMED;
      if (next != 0 && (next < WF_W32_RECORD_HEADER + (size_t) name_bytes || next > len - at))
        return WF_W32_PARSE_MALFORMED;
      if (WF_W32_UTF8_MAX (name_bytes / 2) > scratch_size)
        return WF_W32_PARSE_MALFORMED;
      n = wf_w32_utf16_to_utf8 (p + at + WF_W32_RECORD_HEADER, name_bytes / 2, scratch, 1);
      func (data, wf_w32_action_kind (action), scratch, n);
      if (next == 0)
        return WF_W32_PARSE_OK;
      at += next;
    }
}
