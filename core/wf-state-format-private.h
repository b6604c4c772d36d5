/* SPDX-License-Identifier: MIT */
/* wf-state-format-private.h: a state file's bytes, to and from snapshots.
 *
 * Only the encoding lives here (doc/state-file.md describes it); opening,
 * atomic writing and comparing with the live tree are in wf-state.c.  Kept
 * apart so the fuzz target (tests/fuzz/fuzz-state.c) reads exactly what
 * the library reads.
 */
#pragma once

#include <glib.h>

#include "wf-kit-snapshot.h"

G_BEGIN_DECLS

#define WF_STATE_FORMAT_VERSION 1
#define WF_STATE_FORMAT_HEADER_SIZE 32

/* The saved options, as one varint. */
typedef enum {
  WF_STATE_FORMAT_RECURSIVE       = 1 << 0,
  WF_STATE_FORMAT_FOLLOW_SYMLINKS = 1 << 1,
} WfStateFormatFlags;

#define WF_STATE_FORMAT_KNOWN_FLAGS (WF_STATE_FORMAT_RECURSIVE | WF_STATE_FORMAT_FOLLOW_SYMLINKS)

/* What a state was saved for: compared before its entries are read. */
typedef struct {
  guint32 flags;        /* WfStateFormatFlags */
  GPtrArray *roots;     /* char *: each root, canonical absolute form */
  GBytes *rules;        /* wf_ignore_rules_describe_canonical() */
} WfStateConfig;

void wf_state_config_clear (WfStateConfig *config);

/* CRC-32 as zlib's crc32() computes it: what the header holds. */
guint32 wf_state_format_crc32 (const guint8 *data, gsize size);

/* The whole file: header, the config, then each root's entries, one
 * snapshot per root in @config's order. */
GBytes *wf_state_format_encode (const WfStateConfig *config, WfKitSnapshot *const *snapshots);

/* Checks the header and both checksums, then reads the config into
 * @config; *@entries_offset is where the entries begin.  @display names the
 * file in messages.  Errors: WF_ERROR_STATE_INVALID (foreign, truncated,
 * corrupted), WF_ERROR_STATE_VERSION (a newer format). */
gboolean wf_state_format_decode_config (const guint8 *data, gsize size, const char *display,
                                        WfStateConfig *config, gsize *entries_offset, GError **error);

/* Reads the entries into @snapshots (new, nothing read: one per root of
 * the config).  On error (WF_ERROR_STATE_INVALID) the snapshots hold part
 * of the state and must be freed. */
gboolean wf_state_format_decode_entries (const guint8 *data, gsize size, gsize entries_offset,
                                         const char *display, WfKitSnapshot *const *snapshots,
                                         guint n_snapshots, GError **error);

G_END_DECLS
