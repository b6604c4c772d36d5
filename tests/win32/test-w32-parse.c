/* SPDX-License-Identifier: MIT */
/* test-w32-parse.c: the win32 backend's record parser, completion verdicts
 * and name conversions fed with synthetic FILE_NOTIFY_INFORMATION buffers.
 * Plain C: built for Linux by the main build and for Windows by
 * tests/win32 (run under wine).  The branches wine never takes (a success
 * with 0 bytes, a chain that does not parse) are tested here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wf-tap.h"
#include "wf-w32-parse.h"

/* ---- building buffers ----------------------------------------------------- */

typedef struct {
  unsigned char bytes[4096];
  size_t len;
  size_t last;  /* offset of the last record's header */
} Buf;

static void
put_u32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) v;
  p[1] = (unsigned char) (v >> 8);
  p[2] = (unsigned char) (v >> 16);
  p[3] = (unsigned char) (v >> 24);
}

/* Appends a record of @n units (DWORD-aligned as Windows aligns them) and
 * links the previous one to it. */
static void
add_units (Buf *b, uint32_t action, const uint16_t *units, size_t n)
{
  size_t at = b->len;

  if (at > 0)
    put_u32 (b->bytes + b->last, (uint32_t) (at - b->last));
  put_u32 (b->bytes + at, 0);
  put_u32 (b->bytes + at + 4, action);
  put_u32 (b->bytes + at + 8, (uint32_t) (n * 2));
  for (size_t i = 0; i < n; i++)
    {
      b->bytes[at + 12 + 2 * i] = (unsigned char) units[i];
      b->bytes[at + 12 + 2 * i + 1] = (unsigned char) (units[i] >> 8);
    }
  b->last = at;
  b->len = (at + 12 + n * 2 + 3) & ~(size_t) 3;
}

static void
add_ascii (Buf *b, uint32_t action, const char *name)
{
  uint16_t units[256];
  size_t n = strlen (name);

  for (size_t i = 0; i < n; i++)
    units[i] = (uint16_t) (unsigned char) name[i];
  add_units (b, action, units, n);
}

/* ---- collecting records --------------------------------------------------- */

typedef struct {
  int n;
  WfW32EventKind kinds[16];
  char names[16][256];
} Seen;

static void
collect (void *data, WfW32EventKind kind, const char *name, size_t name_len)
{
  Seen *seen = data;

  TAP_CHECK (strlen (name) == name_len, "name_len %zu for \"%s\"", name_len, name);
  if (seen->n < 16)
    {
      seen->kinds[seen->n] = kind;
      snprintf (seen->names[seen->n], sizeof seen->names[0], "%s", name);
    }
  seen->n++;
}

static WfW32ParseResult
parse (const void *buf, size_t len, Seen *seen)
{
  static char scratch[WF_W32_UTF8_MAX (2048)];

  memset (seen, 0, sizeof *seen);
  return wf_w32_parse (buf, len, scratch, sizeof scratch, collect, seen);
}

/* ---- cases ---------------------------------------------------------------- */

static void
test_each_action (void)
{
  Buf b = { .len = 0 };
  Seen s;
  static const WfW32EventKind want[] = {
    WF_W32_EV_CREATED, WF_W32_EV_MODIFIED, WF_W32_EV_MOVED_FROM, WF_W32_EV_MOVED_TO, WF_W32_EV_DELETED,
  };

  add_ascii (&b, WF_W32_ACTION_ADDED, "a.txt");
  add_ascii (&b, WF_W32_ACTION_MODIFIED, "a.txt");
  add_ascii (&b, WF_W32_ACTION_RENAMED_OLD_NAME, "a.txt");
  add_ascii (&b, WF_W32_ACTION_RENAMED_NEW_NAME, "sub\\b.txt");
  add_ascii (&b, WF_W32_ACTION_REMOVED, "sub\\b.txt");
  TAP_CHECK (parse (b.bytes, b.len, &s) == WF_W32_PARSE_OK, "parse result");
  TAP_CHECK (s.n == 5, "%d records", s.n);
  for (int i = 0; i < 5 && i < s.n; i++)
    TAP_CHECK (s.kinds[i] == want[i], "record %d: kind %d, want %d", i, (int) s.kinds[i], (int) want[i]);
  TAP_CHECK (strcmp (s.names[0], "a.txt") == 0, "%s", s.names[0]);
  /* '\' between components becomes '/', as every backend's paths have it. */
  TAP_CHECK (strcmp (s.names[3], "sub/b.txt") == 0, "%s", s.names[3]);
  TAP_CHECK (strcmp (s.names[4], "sub/b.txt") == 0, "%s", s.names[4]);
}

static void
test_unknown_action (void)
{
  Buf b = { .len = 0 };
  Seen s;

  add_ascii (&b, WF_W32_ACTION_ADDED, "x");
  add_ascii (&b, 9, "y");
  add_ascii (&b, WF_W32_ACTION_REMOVED, "z");
  TAP_CHECK (parse (b.bytes, b.len, &s) == WF_W32_PARSE_OK, "parse result");
  TAP_CHECK (s.n == 3 && s.kinds[1] == WF_W32_EV_OVERFLOW && s.kinds[2] == WF_W32_EV_DELETED,
             "n %d, kind[1] %d", s.n, (int) s.kinds[1]);
  TAP_CHECK (wf_w32_action_kind (0) == WF_W32_EV_OVERFLOW, "action 0");
  TAP_CHECK (wf_w32_action_kind (6) == WF_W32_EV_OVERFLOW, "action 6");
}

/* ReadDirectoryChangesW (Microsoft Learn, "ReadDirectoryChangesW function
 * (winbase.h)", Remarks): "If the buffer overflows, ReadDirectoryChangesW
 * will still return true, but the entire contents of the buffer are
 * discarded and the lpBytesReturned parameter will be zero, which
 * indicates that your buffer was too small to hold all of the changes
 * that occurred."  And (Return value) ERROR_NOTIFY_ENUM_DIR "if the system
 * was not able to record all the changes to the directory" (network
 * buffers).  Wine, measured by test-w32-os, gives the second only. */
static void
test_zero_byte_completion (void)
{
  Seen s;
  unsigned char nothing[4] = { 0 };

  TAP_CHECK (wf_w32_completion_verdict (WF_W32_ERROR_SUCCESS, 0) == WF_W32_COMPLETION_OVERFLOW, "0 bytes");
  TAP_CHECK (parse (nothing, 0, &s) == WF_W32_PARSE_EMPTY && s.n == 0, "parse of 0 bytes: %d records", s.n);
  TAP_CHECK (wf_w32_completion_verdict (WF_W32_ERROR_NOTIFY_ENUM_DIR, 0) == WF_W32_COMPLETION_OVERFLOW,
             "ERROR_NOTIFY_ENUM_DIR");
  TAP_CHECK (wf_w32_completion_verdict (WF_W32_ERROR_NOTIFY_ENUM_DIR, 12) == WF_W32_COMPLETION_OVERFLOW,
             "ERROR_NOTIFY_ENUM_DIR with a count");
  TAP_CHECK (wf_w32_completion_verdict (WF_W32_ERROR_SUCCESS, 16) == WF_W32_COMPLETION_RECORDS, "16 bytes");
  TAP_CHECK (wf_w32_completion_verdict (WF_W32_ERROR_OPERATION_ABORTED, 0) == WF_W32_COMPLETION_CANCELLED,
             "aborted");
  /* What real Windows completes with when the watched directory is
   * deleted (ERROR_ACCESS_DENIED), or a handle that went bad. */
  TAP_CHECK (wf_w32_completion_verdict (WF_W32_ERROR_ACCESS_DENIED, 0) == WF_W32_COMPLETION_FAILED, "denied");
  TAP_CHECK (wf_w32_completion_verdict (6, 0) == WF_W32_COMPLETION_FAILED, "invalid handle");
}

static void
test_non_ascii (void)
{
  Buf b = { .len = 0 };
  Seen s;
  /* é, 日本, U+1F600 as a surrogate pair */
  static const uint16_t accented[] = { 'c', 0x00E9, '.', 't' };
  static const uint16_t cjk[] = { 0x65E5, 0x672C };
  static const uint16_t emoji[] = { 0xD83D, 0xDE00 };
  /* unpaired: a high alone, a low alone, a high at the end, a pair reversed */
  static const uint16_t lone_high[] = { 'a', 0xD800, 'b' };
  static const uint16_t lone_low[] = { 0xDC00 };
  static const uint16_t high_at_end[] = { 'x', 0xDBFF };
  static const uint16_t reversed[] = { 0xDC00, 0xD800 };

  add_units (&b, WF_W32_ACTION_ADDED, accented, 4);
  add_units (&b, WF_W32_ACTION_ADDED, cjk, 2);
  add_units (&b, WF_W32_ACTION_ADDED, emoji, 2);
  add_units (&b, WF_W32_ACTION_ADDED, lone_high, 3);
  add_units (&b, WF_W32_ACTION_ADDED, lone_low, 1);
  add_units (&b, WF_W32_ACTION_ADDED, high_at_end, 2);
  add_units (&b, WF_W32_ACTION_ADDED, reversed, 2);
  TAP_CHECK (parse (b.bytes, b.len, &s) == WF_W32_PARSE_OK, "parse result");
  TAP_CHECK (s.n == 7, "%d records", s.n);
  TAP_CHECK (strcmp (s.names[0], "c\xC3\xA9.t") == 0, "%s", s.names[0]);
  TAP_CHECK (strcmp (s.names[1], "\xE6\x97\xA5\xE6\x9C\xAC") == 0, "%s", s.names[1]);
  TAP_CHECK (strcmp (s.names[2], "\xF0\x9F\x98\x80") == 0, "%s", s.names[2]);
  /* WTF-8: the surrogate's code point in three bytes. */
  TAP_CHECK (strcmp (s.names[3], "a\xED\xA0\x80" "b") == 0, "lone high");
  TAP_CHECK (strcmp (s.names[4], "\xED\xB0\x80") == 0, "lone low");
  TAP_CHECK (strcmp (s.names[5], "x\xED\xAF\xBF") == 0, "high at the end");
  TAP_CHECK (strcmp (s.names[6], "\xED\xB0\x80\xED\xA0\x80") == 0, "reversed pair");
}

static void
test_round_trip (void)
{
  static const uint16_t names[][4] = {
    { 'a', 0x00E9, 0x65E5, 0 },
    { 0xD83D, 0xDE00, 'z', 0 },
    { 'a', 0xD800, 'b', 0 },
    { 0xDC00, 0xD800, 0, 0 },
    { 0xDBFF, 0, 0, 0 },
  };

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      unsigned char le[8];
      char utf8[WF_W32_UTF8_MAX (4)];
      uint16_t back[8];
      size_t n = 0, m;

      while (n < 4 && names[i][n] != 0)
        {
          le[2 * n] = (unsigned char) names[i][n];
          le[2 * n + 1] = (unsigned char) (names[i][n] >> 8);
          n++;
        }
      wf_w32_utf16_to_utf8 (le, n, utf8, 0);
      m = wf_w32_utf8_to_utf16 (utf8, back, 8, 0);
      TAP_CHECK (m == n && memcmp (back, names[i], n * 2) == 0, "name %zu: %zu units back, %zu sent", i, m, n);
    }
}

static void
test_invalid_utf8 (void)
{
  static const char *bad[] = {
    "\xC0\x80",          /* overlong NUL */
    "\xE0\x80\x80",      /* overlong */
    "\xF0\x80\x80\x80",  /* overlong */
    "\xF4\x90\x80\x80",  /* past U+10FFFF */
    "\xF5\x80\x80\x80",
    "\x80",              /* a continuation alone */
    "\xE6\x97",          /* cut short */
    "\xFF",
  };
  uint16_t out[16];

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    TAP_CHECK (wf_w32_utf8_to_utf16 (bad[i], out, 16, 0) == (size_t) -1, "bad[%zu] accepted", i);
  /* Too short a destination, and '/' turned into '\' when asked. */
  TAP_CHECK (wf_w32_utf8_to_utf16 ("abcd", out, 4, 0) == (size_t) -1, "4 units into 4");
  TAP_CHECK (wf_w32_utf8_to_utf16 ("\xF0\x9F\x98\x80", out, 2, 0) == (size_t) -1, "a pair into 2");
  TAP_CHECK (wf_w32_utf8_to_utf16 ("a/b", out, 16, 1) == 3 && out[1] == '\\' && out[3] == 0, "slash");
  TAP_CHECK (wf_w32_utf8_to_utf16 ("a/b", out, 16, 0) == 3 && out[1] == '/', "slash kept");
}

static void
test_malformed (void)
{
  Buf b = { .len = 0 };
  Seen s;
  unsigned char copy[4096];

  add_ascii (&b, WF_W32_ACTION_ADDED, "one");
  add_ascii (&b, WF_W32_ACTION_ADDED, "two");

  /* An odd name length: the first record is delivered, the second not. */
  memcpy (copy, b.bytes, b.len);
  put_u32 (copy + b.last + 8, 5);
  TAP_CHECK (parse (copy, b.len, &s) == WF_W32_PARSE_MALFORMED && s.n == 1, "odd length: %d", s.n);

  /* A name longer than what is left. */
  memcpy (copy, b.bytes, b.len);
  put_u32 (copy + b.last + 8, 4000);
  TAP_CHECK (parse (copy, b.len, &s) == WF_W32_PARSE_MALFORMED && s.n == 1, "long name: %d", s.n);

  /* A next offset past the end, and one that overlaps the name. */
  memcpy (copy, b.bytes, b.len);
  put_u32 (copy, 4000);
  TAP_CHECK (parse (copy, b.len, &s) == WF_W32_PARSE_MALFORMED && s.n == 0, "offset past end: %d", s.n);
  memcpy (copy, b.bytes, b.len);
  put_u32 (copy, 14);
  TAP_CHECK (parse (copy, b.len, &s) == WF_W32_PARSE_MALFORMED && s.n == 0, "overlapping offset: %d", s.n);
  /* An offset to exactly the end leaves no room for a header. */
  memcpy (copy, b.bytes, b.len);
  put_u32 (copy, (uint32_t) b.len);
  TAP_CHECK (parse (copy, b.len, &s) == WF_W32_PARSE_MALFORMED && s.n == 1, "offset to end: %d", s.n);

  /* Truncated: the buffer ends inside the second header, then inside its name. */
  TAP_CHECK (parse (b.bytes, b.last + 8, &s) == WF_W32_PARSE_MALFORMED && s.n == 1, "cut header: %d", s.n);
  TAP_CHECK (parse (b.bytes, b.last + 14, &s) == WF_W32_PARSE_MALFORMED && s.n == 1, "cut name: %d", s.n);
  TAP_CHECK (parse (b.bytes, 11, &s) == WF_W32_PARSE_MALFORMED && s.n == 0, "11 bytes: %d", s.n);

  /* An empty name is a record like another. */
  memcpy (copy, b.bytes, b.len);
  put_u32 (copy + b.last + 8, 0);
  TAP_CHECK (parse (copy, b.len, &s) == WF_W32_PARSE_OK && s.n == 2 && s.names[1][0] == '\0', "empty name");
}

static void
test_unaligned_and_scratch (void)
{
  Buf b = { .len = 0 };
  Seen s;
  static unsigned char shifted[4097];
  char small[4];

  add_ascii (&b, WF_W32_ACTION_MODIFIED, "unaligned");
  memcpy (shifted + 1, b.bytes, b.len);
  TAP_CHECK (parse (shifted + 1, b.len, &s) == WF_W32_PARSE_OK && s.n == 1
             && strcmp (s.names[0], "unaligned") == 0, "unaligned");
  memset (&s, 0, sizeof s);
  TAP_CHECK (wf_w32_parse (b.bytes, b.len, small, sizeof small, collect, &s) == WF_W32_PARSE_MALFORMED
             && s.n == 0, "scratch too small");
}

int
main (void)
{
  tap_run ("each FILE_ACTION maps to its raw event, '\\' to '/'", test_each_action);
  tap_run ("an unknown action is a loss of sync", test_unknown_action);
  tap_run ("0-byte completion and ERROR_NOTIFY_ENUM_DIR are overflows", test_zero_byte_completion);
  tap_run ("non-ASCII names, unpaired surrogates as WTF-8", test_non_ascii);
  tap_run ("WTF-8 round trip back to the same UTF-16", test_round_trip);
  tap_run ("invalid UTF-8 refused, destination bounds", test_invalid_utf8);
  tap_run ("malformed and truncated chains stop the parse", test_malformed);
  tap_run ("unaligned buffers, scratch bounds", test_unaligned_and_scratch);
  return tap_done ();
}
