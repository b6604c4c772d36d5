/* SPDX-License-Identifier: MIT */
/* fuzz-state.c: the state file reader (core/wf-state-format.c), which
 * reads whatever is on disk.  Half the inputs are taken as whole files; in
 * the other half (first byte even; a state file begins with 'W', odd) the
 * rest is a payload that gets a valid
 * header with matching checksums, so that the fuzzer explores the parser
 * behind them rather than the checksums.  Whatever it reads must be
 * refused with a WF_ERROR_STATE_* error or read whole; a state read whole
 * is written again, and that encoding must read back and encode to the
 * same bytes. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <watchfiles.h>

#include "wf-state-format-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static GPtrArray *
snapshots_for (const WfStateConfig *config)
{
  const WfKitScanOptions options = { .recursive = TRUE, .follow_symlinks = TRUE };
  GPtrArray *snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_kit_snapshot_free);

  for (guint i = 0; i < config->roots->len; i++)
    g_ptr_array_add (snapshots, wf_kit_snapshot_new (config->roots->pdata[i], NULL, &options));
  return snapshots;
}

/* Reads @bytes whole; NULL (and the error checked) when refused. */
static GPtrArray *
read_state (const guint8 *bytes, gsize size, WfStateConfig *config)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *snapshots;
  gsize offset = 0;

  if (!wf_state_format_decode_config (bytes, size, "fuzz", config, &offset, &error))
    {
      g_assert_true (g_error_matches (error, WF_ERROR, WF_ERROR_STATE_INVALID) ||
                     g_error_matches (error, WF_ERROR, WF_ERROR_STATE_VERSION));
      g_assert_null (config->roots);
      return NULL;
    }
  g_assert_cmpuint (offset, <=, size);
  snapshots = snapshots_for (config);
  if (!wf_state_format_decode_entries (bytes, size, offset, "fuzz",
                                       (WfKitSnapshot *const *) snapshots->pdata, snapshots->len, &error))
    {
      g_assert_error (error, WF_ERROR, WF_ERROR_STATE_INVALID);
      g_ptr_array_unref (snapshots);
      wf_state_config_clear (config);
      return NULL;
    }
  g_assert_no_error (error);
  return snapshots;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree guint8 *file = NULL;
  gsize file_size;
  WfStateConfig config = { 0 };
  GPtrArray *snapshots;

  if (size > 0 && (data[0] & 1) == 0)
    {
      static const guint8 magic[8] = { 'W', 'F', 'S', 'T', 'A', 'T', 'E', 0x1a };
      gsize payload = size - 1;

      file_size = WF_STATE_FORMAT_HEADER_SIZE + payload;
      file = g_malloc0 (file_size);
      memcpy (file, magic, sizeof magic);
      put_le32 (file + 8, WF_STATE_FORMAT_VERSION);
      put_le32 (file + 16, (guint32) payload);
      memcpy (file + WF_STATE_FORMAT_HEADER_SIZE, data + 1, payload);
      put_le32 (file + 24, wf_state_format_crc32 (file + WF_STATE_FORMAT_HEADER_SIZE, payload));
      put_le32 (file + 28, wf_state_format_crc32 (file, 28));
    }
  else
    {
      file = g_memdup2 (data, size);
      file_size = size;
    }

  snapshots = read_state (file, file_size, &config);
  if (snapshots != NULL)
    {
      g_autoptr(GBytes) once = wf_state_format_encode (&config, (WfKitSnapshot *const *) snapshots->pdata);
      g_autoptr(GBytes) twice = NULL;
      WfStateConfig again_config = { 0 };
      GPtrArray *again;
      gsize once_size;
      const guint8 *once_data = g_bytes_get_data (once, &once_size);

      again = read_state (once_data, once_size, &again_config);
      g_assert_nonnull (again);
      twice = wf_state_format_encode (&again_config, (WfKitSnapshot *const *) again->pdata);
      g_assert_true (g_bytes_equal (once, twice));
      g_ptr_array_unref (again);
      wf_state_config_clear (&again_config);
      g_ptr_array_unref (snapshots);
      wf_state_config_clear (&config);
    }
  return 0;
}
