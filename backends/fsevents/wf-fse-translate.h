/* SPDX-License-Identifier: MIT */
/* wf-fse-translate.h: FSEvents event flags to what the backend reports, in
 * plain C (no GLib, no CoreServices): compiled and tested on Linux,
 * compiled and linked for macOS by tests/cross.
 *
 * FSEvents ORs flags: one event for a path carries every kind of change
 * seen in the coalescing window, and a flag may outlive the window it
 * came from.  So flags say only "look here": whether a path was created,
 * modified or deleted is decided by what exists now (lstat) against what
 * the backend knew (the kit snapshot).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The flag values of <CoreServices/FSEvents.h> (documented, stable). */
enum {
  WF_FSE_MUST_SCAN_SUBDIRS = 0x00000001,
  WF_FSE_USER_DROPPED      = 0x00000002,
  WF_FSE_KERNEL_DROPPED    = 0x00000004,
  WF_FSE_EVENT_IDS_WRAPPED = 0x00000008,
  WF_FSE_HISTORY_DONE      = 0x00000010,
  WF_FSE_ROOT_CHANGED      = 0x00000020,
  WF_FSE_MOUNT             = 0x00000040,
  WF_FSE_UNMOUNT           = 0x00000080,
  WF_FSE_ITEM_CREATED      = 0x00000100,
  WF_FSE_ITEM_REMOVED      = 0x00000200,
  WF_FSE_ITEM_INODE_META   = 0x00000400,
  WF_FSE_ITEM_RENAMED      = 0x00000800,
  WF_FSE_ITEM_MODIFIED     = 0x00001000,
  WF_FSE_ITEM_FINDER_INFO  = 0x00002000,
  WF_FSE_ITEM_CHANGE_OWNER = 0x00004000,
  WF_FSE_ITEM_XATTR_MOD    = 0x00008000,
  WF_FSE_ITEM_IS_FILE      = 0x00010000,
  WF_FSE_ITEM_IS_DIR       = 0x00020000,
  WF_FSE_ITEM_IS_SYMLINK   = 0x00040000,
  WF_FSE_OWN_EVENT         = 0x00080000,
  WF_FSE_ITEM_IS_HARDLINK  = 0x00100000,
  WF_FSE_ITEM_IS_LAST_HARDLINK = 0x00200000,
  WF_FSE_ITEM_CLONED       = 0x00400000,
};

/* Stream creation flags and the "since now" event ID. */
enum {
  WF_FSE_CREATE_NO_DEFER    = 0x00000002,
  WF_FSE_CREATE_WATCH_ROOT  = 0x00000004,
  WF_FSE_CREATE_FILE_EVENTS = 0x00000010,
};
#define WF_FSE_SINCE_NOW UINT64_C(0xFFFFFFFFFFFFFFFF)

typedef enum {
  WF_FSE_OUT_NONE,
  WF_FSE_OUT_CREATED,    /* the path (and, for a directory, its subtree: the kit lists it) */
  WF_FSE_OUT_DELETED,    /* the path and what was known below it */
  WF_FSE_OUT_MODIFIED,   /* contents */
  WF_FSE_OUT_ATTRIB,     /* mode, owner, xattrs, Finder info */
  WF_FSE_OUT_RESYNC,     /* events were lost: the kit rescans the subtree at path */
  WF_FSE_OUT_ROOT,       /* a root or one of its ancestors moved: the missing-root tracker */
} WfFseOutKind;

typedef struct {
  WfFseOutKind kind;
  int is_dir;
} WfFseOut;

/* What exists at a path now: 0 no, 1 yes, with *is_dir; the backend passes
 * lstat() (tests pass a table). */
typedef int (*WfFseExistsFunc) (void *data, const char *path, int *is_dir);

/* The outputs for one event (@flags at @path), at most 2, in order.
 * @known: whether the backend knew @path before (its snapshot holds it). */
size_t wf_fse_translate (uint32_t flags, const char *path, int known, WfFseExistsFunc exists,
                         void *data, WfFseOut out[2]);

/* Event IDs, for a stream restarted with sinceWhen: the last ID of a
 * batch wholly delivered.  HistoryDone carries no path worth reporting. */
typedef struct {
  uint64_t last_id;   /* WF_FSE_SINCE_NOW until an event was seen */
} WfFseResume;

void wf_fse_resume_init (WfFseResume *resume);
void wf_fse_resume_seen (WfFseResume *resume, uint64_t id, uint32_t flags);
uint64_t wf_fse_resume_since (const WfFseResume *resume);

/* FSEvents reports resolved paths (/private/var/… for /var/…).  When
 * @event_path is @resolved_root or below it, writes @caller_root plus the
 * rest into @buf and returns 1; returns 0 when it is not below it (the
 * caller's path is then another root's); -1 when @size is too small.  A
 * trailing '/' FSEvents adds to directories is dropped. */
int wf_fse_map_path (const char *event_path, const char *resolved_root, const char *caller_root,
                     char *buf, size_t size);

/* The stream's latency, from the environment variable
 * WATCHFILES_FSEVENTS_LATENCY_MS (@value NULL when unset: the default, low
 * because the core debounces): decimal digits only, 0 to
 * WF_FSE_LATENCY_MAX_MS.  Returns 1 with *@ms set, or 0 when @value is no
 * such number (*@ms untouched). */
#define WF_FSE_LATENCY_ENV "WATCHFILES_FSEVENTS_LATENCY_MS"
#define WF_FSE_LATENCY_DEFAULT_MS 10
#define WF_FSE_LATENCY_MAX_MS 10000
int wf_fse_parse_latency_ms (const char *value, unsigned *ms);

#ifdef __cplusplus
}
#endif
