/* SPDX-License-Identifier: MIT */
/* wf-fnmatch.c: see wf-fnmatch-private.h.  Built into the library on
 * Windows only, and into a test on Linux. */
#include "wf-fnmatch-private.h"

#include <stddef.h>

static int
stops (const char *s, int pathname)
{
  return *s == '\0' || (pathname && *s == '/');
}

/* At '[' + 1: the end of the bracket expression (its ']'), or NULL when
 * there is none ('[' is then an ordinary character); *matched says
 * whether @c is in it. */
static const char *
bracket (const char *p, unsigned char c, int *matched)
{
  int negate = 0, in = 0;
  const char *start;

  if (*p == '!' || *p == '^')
    negate = 1, p++;
  start = p;
  while (*p != '\0' && (*p != ']' || p == start))
    {
      unsigned char lo = (unsigned char) *p, hi;

      if (lo == '\\' && p[1] != '\0')
        lo = (unsigned char) *++p;
      hi = lo;
      if (p[1] == '-' && p[2] != '\0' && p[2] != ']')
        {
          p += 2;
          if (*p == '\\' && p[1] != '\0')
            p++;
          hi = (unsigned char) *p;
        }
      if (c >= lo && c <= hi)
        in = 1;
      p++;
    }
  if (*p != ']')
    return NULL;
  *matched = in != negate;
  return p;
}

static int
match (const char *p, const char *s, int pathname)
{
  for (;;)
    {
      const char *end;
      int matched;
      char c = *p++;

      switch (c)
        {
        case '\0':
          return *s == '\0';
        case '?':
          if (stops (s, pathname))
            return 0;
          s++;
          continue;
        case '*':
          while (*p == '*')
            p++;
          for (;;)
            {
              if (match (p, s, pathname))
                return 1;
              if (stops (s, pathname))
                return 0;
              s++;
            }
        case '[':
          if (stops (s, pathname))
            return 0;
          end = bracket (p, (unsigned char) *s, &matched);
          if (end != NULL)
            {
              if (!matched)
                return 0;
              p = end + 1;
              s++;
              continue;
            }
          break;  /* no ']': an ordinary '[' */
        case '\\':
          /* glibc: a pattern ending in '\' matches nothing. */
          if (*p == '\0')
            return 0;
          c = *p++;
          break;
        default:
          break;
        }
      if (*s != c)
        return 0;
      s++;
    }
}

int
wf_fnmatch (const char *pattern, const char *string, int flags)
{
  return match (pattern, string, (flags & FNM_PATHNAME) != 0) ? 0 : FNM_NOMATCH;
}
