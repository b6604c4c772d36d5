/* SPDX-License-Identifier: MIT */
/* wf-w32-parse.h: what a ReadDirectoryChangesW completion means, in plain
 * C (no GLib, no <windows.h>): compiled and tested on Linux, and for
 * Windows with mingw-w64 under wine (tests/win32), and fuzzed.
 *
 * A completion is an error code, a byte count and a buffer holding a
 * chain of FILE_NOTIFY_INFORMATION records:
 *   uint32 NextEntryOffset   (0 in the last record; else bytes to the next)
 *   uint32 Action            (FILE_ACTION_*)
 *   uint32 FileNameLength    (bytes, not characters)
 *   WCHAR  FileName[]        (UTF-16LE, not terminated, relative to the
 *                             watched directory, '\' between components)
 * Nothing in that chain is trusted: an offset or a length that leaves the
 * buffer, overlaps the record's own name or is odd stops the parse, and
 * the caller treats the rest as lost (a resync), as for an overflow.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* FILE_ACTION_* as <winnt.h> defines them (documented, stable). */
enum {
  WF_W32_ACTION_ADDED            = 1,
  WF_W32_ACTION_REMOVED          = 2,
  WF_W32_ACTION_MODIFIED         = 3,
  WF_W32_ACTION_RENAMED_OLD_NAME = 4,
  WF_W32_ACTION_RENAMED_NEW_NAME = 5,
};

/* The Win32 error codes a completion is judged by (<winerror.h>). */
enum {
  WF_W32_ERROR_SUCCESS           = 0,
  WF_W32_ERROR_ACCESS_DENIED     = 5,
  WF_W32_ERROR_OPERATION_ABORTED = 995,
  WF_W32_ERROR_NOTIFY_ENUM_DIR   = 1022,
};

/* The header of one record: three uint32. */
#define WF_W32_RECORD_HEADER 12u

/* What a record means, as the raw events every backend pushes
 * (watchfiles-backend.h's WfRawKind, without depending on it). */
typedef enum {
  WF_W32_EV_CREATED,     /* FILE_ACTION_ADDED */
  WF_W32_EV_DELETED,     /* FILE_ACTION_REMOVED */
  WF_W32_EV_MODIFIED,    /* FILE_ACTION_MODIFIED: data, size, times or attributes */
  WF_W32_EV_MOVED_FROM,  /* FILE_ACTION_RENAMED_OLD_NAME */
  WF_W32_EV_MOVED_TO,    /* FILE_ACTION_RENAMED_NEW_NAME */
  /* Not a record: events were lost (overflow, a chain that does not
   * parse, an action this code does not know); resync the watch. */
  WF_W32_EV_OVERFLOW,
  /* Not a record: the watch died (its error code is given); the watched
   * directory is probably gone. */
  WF_W32_EV_FAILED,
} WfW32EventKind;

/* The kind for a record's @action; WF_W32_EV_OVERFLOW for an action not
 * listed above (what it did is unknown, so sync is lost). */
WfW32EventKind wf_w32_action_kind (uint32_t action);

/* What to do with a completion of @error and @n_bytes. */
typedef enum {
  WF_W32_COMPLETION_RECORDS,    /* parse n_bytes of the buffer */
  /* Events were lost: ERROR_NOTIFY_ENUM_DIR, or success with 0 bytes
   * (the records did not fit the buffer: Microsoft documents both). */
  WF_W32_COMPLETION_OVERFLOW,
  WF_W32_COMPLETION_CANCELLED,  /* ERROR_OPERATION_ABORTED: the watch is being removed */
  WF_W32_COMPLETION_FAILED,     /* any other error: the watch is dead */
} WfW32Completion;

WfW32Completion wf_w32_completion_verdict (uint32_t error, size_t n_bytes);

/* Bytes of UTF-8 (WTF-8) at most for @n_units UTF-16 code units, plus the
 * terminating NUL. */
#define WF_W32_UTF8_MAX(n_units) ((size_t) (n_units) * 3u + 1u)

/* Converts @n_units UTF-16 code units at @src (any alignment, little
 * endian) to NUL-terminated UTF-8 in @dst (WF_W32_UTF8_MAX (n_units)
 * bytes), every '\' turned into '/'.  Lossless for any sequence: a
 * surrogate without its pair is written as the three-byte form of its
 * code point (WTF-8, as Rust's OsString does on Windows): the result is
 * valid UTF-8 whenever the name was valid UTF-16, and converts back to the
 * same units with wf_w32_utf8_to_utf16().  Returns the length without the
 * NUL. */
size_t wf_w32_utf16_to_utf8 (const unsigned char *src, size_t n_units, char *dst, int slash);

/* The reverse: UTF-8, or WTF-8 (a three-byte surrogate becomes that one
 * unit), into @dst of @dst_units units; '/'
 * becomes '\' when @backslash.  Returns the units written without the
 * terminating 0 (written too), or (size_t) -1 for bytes that are not
 * UTF-8 (overlong forms included) or a @dst too short. */
size_t wf_w32_utf8_to_utf16 (const char *src, uint16_t *dst, size_t dst_units, int backslash);

/* One record: @name is UTF-8 with '/' separators, NUL-terminated, valid
 * until the callback returns. */
typedef void (*WfW32RecordFunc) (void *data, WfW32EventKind kind, const char *name, size_t name_len);

typedef enum {
  WF_W32_PARSE_OK,         /* every record delivered */
  WF_W32_PARSE_EMPTY,      /* 0 bytes: nothing to parse (the overflow case) */
  WF_W32_PARSE_MALFORMED,  /* the records before the bad one delivered; the rest is lost */
} WfW32ParseResult;

/* Delivers each record of @buf (@len bytes) to @func in order.  @scratch
 * holds one converted name: WF_W32_UTF8_MAX (@len / 2) bytes are always
 * enough.  A record whose action is unknown is delivered as
 * WF_W32_EV_OVERFLOW with its name. */
WfW32ParseResult wf_w32_parse (const void *buf, size_t len, char *scratch, size_t scratch_size,
                               WfW32RecordFunc func, void *data);

#ifdef __cplusplus
}
#endif
