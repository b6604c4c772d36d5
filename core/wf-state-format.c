/* SPDX-License-Identifier: MIT */
/* wf-state-format.c: the state file encoding (doc/state-file.md).
 *
 * Compact because a state is read and written at every start: entries in
 * depth-first order, siblings sorted so that names share prefixes, and
 * every number a LEB128 varint, times and inodes as deltas from the entry
 * before (files of one tree are written close together in time and get
 * nearby inode numbers).  Safe because it is read from disk: every length
 * is checked against what is left, both checksums before anything is
 * trusted, and a nesting deeper than any path can be is refused rather
 * than recursed into.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "wf-error.h"
#include "wf-state-format-private.h"

static const guint8 state_magic[8] = { 'W', 'F', 'S', 'T', 'A', 'T', 'E', 0x1a };

/* A path of PATH_MAX bytes has at most this many components. */
#define MAX_DEPTH 4096

#define ENTRY_LISTED 1u

/* ---- CRC-32 (IEEE 802.3, as zlib's crc32()) -------------------------------- */

/* Slicing by 8 (eight tables, eight bytes a step): a state is checked on
 * every read and every write, and the byte-at-a-time loop took about 1 %
 * of a changes-since run.  crc_tables[0] is the classic table;
 * crc_tables[k][i] is the CRC of byte i followed by k zero bytes. */
static guint32 crc_tables[8][256];

static void
crc_table_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (guint32 i = 0; i < 256; i++)
        {
          guint32 c = i;
          for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
          crc_tables[0][i] = c;
        }
      for (guint32 i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
          crc_tables[k][i] = crc_tables[0][crc_tables[k - 1][i] & 0xFF] ^ (crc_tables[k - 1][i] >> 8);
      g_once_init_leave (&done, 1);
    }
}

guint32
wf_state_format_crc32 (const guint8 *data, gsize size)
{
  guint32 c = 0xFFFFFFFFu;
  gsize i = 0;

  crc_table_init ();
  /* Bytes, not a load of a 64-bit word: the same on either endianness,
   * and no alignment needed. */
  for (; i + 8 <= size; i += 8)
    {
      guint32 lo = c ^ ((guint32) data[i] | (guint32) data[i + 1] << 8 |
                        (guint32) data[i + 2] << 16 | (guint32) data[i + 3] << 24);

      c = crc_tables[7][lo & 0xFF] ^ crc_tables[6][(lo >> 8) & 0xFF] ^
          crc_tables[5][(lo >> 16) & 0xFF] ^ crc_tables[4][lo >> 24] ^
          crc_tables[3][data[i + 4]] ^ crc_tables[2][data[i + 5]] ^
          crc_tables[1][data[i + 6]] ^ crc_tables[0][data[i + 7]];
    }
  for (; i < size; i++)
    c = crc_tables[0][(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static void
put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put_le64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static guint32
get_le32 (const guint8 *p)
{
  guint32 v = 0;

  for (int i = 3; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static guint64
get_le64 (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

void
wf_state_config_clear (WfStateConfig *config)
{
  g_clear_pointer (&config->roots, g_ptr_array_unref);
  g_clear_pointer (&config->rules, g_bytes_unref);
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct {
  GByteArray *out;
  WfKitFingerprint previous;   /* the entry written last */
  GPtrArray *names;            /* scratch stack of sorted sibling arrays */
} Writer;

static void
put_varint (GByteArray *out, guint64 v)
{
  guint len = out->len;
  guint8 *p;

  /* Room for the longest, then the length it took: no copy, and the
   * array grows by doubling as for an append. */
  g_byte_array_set_size (out, len + 10);
  p = out->data + len;
  do
    {
      *p = v & 0x7F;
      v >>= 7;
      if (v != 0)
        *p |= 0x80;
      p++;
    }
  while (v != 0);
  out->len = (guint) (p - out->data);
}

static guint64
zigzag (gint64 v)
{
  return ((guint64) v << 1) ^ (guint64) (v >> 63);
}

static void
put_bytes (GByteArray *out, const void *data, gsize size)
{
  put_varint (out, size);
  g_byte_array_append (out, data, size);
}

typedef struct {
  const char *name;
  const WfKitEntry *entry;
} Child;

static int
compare_children (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Child *) a)->name, ((const Child *) b)->name);
}

static void
write_fields (Writer *writer, const WfKitEntry *entry, gboolean listed)
{
  const WfKitFingerprint *fp = wf_kit_entry_get_fingerprint (entry);

  put_varint (writer->out, listed ? ENTRY_LISTED : 0);
  put_varint (writer->out, fp->mode);
  put_varint (writer->out, zigzag (fp->size));
  put_varint (writer->out, zigzag ((gint64) ((guint64) fp->mtime_ns - (guint64) writer->previous.mtime_ns)));
  put_varint (writer->out, zigzag ((gint64) ((guint64) fp->ctime_ns - (guint64) fp->mtime_ns)));
  put_varint (writer->out, zigzag ((gint64) (fp->ino - writer->previous.ino)));
  put_varint (writer->out, zigzag ((gint64) (fp->dev - writer->previous.dev)));
  writer->previous = *fp;
}

static void
write_entry (Writer *writer, const WfKitEntry *entry)
{
  GHashTable *children = wf_kit_entry_get_children (entry);
  g_autofree Child *sorted = NULL;
  guint n_names = 0;
  const char *previous_name = "";
  gsize previous_len = 0;
  GHashTableIter iter;
  gpointer key, value;

  write_fields (writer, entry, children != NULL);
  if (children == NULL)
    return;

  /* Each name with its entry, so that none is looked up again. */
  sorted = g_new (Child, g_hash_table_size (children));
  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &key, &value))
    sorted[n_names++] = (Child) { key, value };
  if (n_names > 1)
    qsort (sorted, n_names, sizeof (Child), compare_children);
  put_varint (writer->out, n_names);
  for (guint i = 0; i < n_names; i++)
    {
      const char *name = sorted[i].name;
      gsize len = strlen (name);
      gsize shared = 0;

      while (shared < len && shared < previous_len && name[shared] == previous_name[shared])
        shared++;
      put_varint (writer->out, shared);
      put_bytes (writer->out, name + shared, len - shared);
      write_entry (writer, sorted[i].entry);
      previous_name = name;
      previous_len = len;
    }
}

GBytes *
wf_state_format_encode (const WfStateConfig *config, WfKitSnapshot *const *snapshots)
{
  Writer writer = { .out = g_byte_array_sized_new (4096) };
  guint8 header[WF_STATE_FORMAT_HEADER_SIZE] = { 0 };
  gsize rules_size = 0;
  const guint8 *rules = g_bytes_get_data (config->rules, &rules_size);
  gsize payload_size;

  g_byte_array_append (writer.out, header, sizeof header);
  put_varint (writer.out, config->flags);
  put_varint (writer.out, config->roots->len);
  for (guint i = 0; i < config->roots->len; i++)
    put_bytes (writer.out, config->roots->pdata[i], strlen (config->roots->pdata[i]));
  put_bytes (writer.out, rules, rules_size);
  for (guint i = 0; i < config->roots->len; i++)
    {
      WfKitEntry *root = wf_kit_snapshot_get_root (snapshots[i]);

      put_varint (writer.out, root != NULL ? 1 : 0);
      if (root != NULL)
        write_entry (&writer, root);
    }

  payload_size = writer.out->len - sizeof header;
  memcpy (header, state_magic, sizeof state_magic);
  put_le32 (header + 8, WF_STATE_FORMAT_VERSION);
  put_le32 (header + 12, 0);
  put_le64 (header + 16, payload_size);
  put_le32 (header + 24, wf_state_format_crc32 (writer.out->data + sizeof header, payload_size));
  put_le32 (header + 28, wf_state_format_crc32 (header, 28));
  memcpy (writer.out->data, header, sizeof header);
  return g_byte_array_free_to_bytes (writer.out);
}

/* ---- reading ---------------------------------------------------------------- */

typedef struct {
  const guint8 *data;
  gsize size;
  gsize pos;
  const char *display;
  GError **error;
  WfKitFingerprint previous;
  /* The name being read at each depth (a name is its previous sibling's
   * first bytes and a suffix, so it is built over that sibling's): one
   * buffer per depth, not one string per entry nor per directory. */
  GPtrArray *names;
} Reader;

static gboolean
malformed (Reader *reader, const char *what)
{
  g_set_error (reader->error, WF_ERROR, WF_ERROR_STATE_INVALID,
               "State file %s is corrupted: %s at byte %" G_GSIZE_FORMAT,
               reader->display, what, reader->pos);
  return FALSE;
}

static gboolean
get_varint (Reader *reader, guint64 *value)
{
  guint64 v = 0;

  for (guint shift = 0; shift < 64; shift += 7)
    {
      guint8 byte;

      if (reader->pos >= reader->size)
        return malformed (reader, "a number runs past the end");
      byte = reader->data[reader->pos++];
      if (shift == 63 && (byte & 0x7E) != 0)
        return malformed (reader, "a number overflows 64 bits");
      v |= (guint64) (byte & 0x7F) << shift;
      if ((byte & 0x80) == 0)
        {
          *value = v;
          return TRUE;
        }
    }
  return malformed (reader, "a number is too long");
}

static gboolean
get_zigzag (Reader *reader, gint64 *value)
{
  guint64 v;

  if (!get_varint (reader, &v))
    return FALSE;
  *value = (gint64) (v >> 1) ^ -(gint64) (v & 1);
  return TRUE;
}

static gboolean
get_length (Reader *reader, guint64 *length)
{
  if (!get_varint (reader, length))
    return FALSE;
  if (*length > reader->size - reader->pos)
    return malformed (reader, "a length runs past the end");
  return TRUE;
}

static gboolean
read_fields (Reader *reader, WfKitFingerprint *fp, gboolean *listed)
{
  guint64 kind, mode;
  gint64 size, mtime_delta, ctime_delta, ino_delta, dev_delta;

  if (!get_varint (reader, &kind) || !get_varint (reader, &mode) || !get_zigzag (reader, &size) ||
      !get_zigzag (reader, &mtime_delta) || !get_zigzag (reader, &ctime_delta) ||
      !get_zigzag (reader, &ino_delta) || !get_zigzag (reader, &dev_delta))
    return FALSE;
  if ((kind & ~(guint64) ENTRY_LISTED) != 0)
    return malformed (reader, "an entry has unknown flags");
  if (mode > G_MAXUINT32)
    return malformed (reader, "a mode is out of range");
  *listed = (kind & ENTRY_LISTED) != 0;
  if (*listed && !S_ISDIR ((mode_t) mode))
    return malformed (reader, "a file has entries");

  fp->mode = (guint32) mode;
  fp->size = size;
  fp->mtime_ns = (gint64) ((guint64) reader->previous.mtime_ns + (guint64) mtime_delta);
  fp->ctime_ns = (gint64) ((guint64) fp->mtime_ns + (guint64) ctime_delta);
  fp->ino = reader->previous.ino + (guint64) ino_delta;
  fp->dev = reader->previous.dev + (guint64) dev_delta;
  reader->previous = *fp;
  return TRUE;
}

/* Is the name made of @prefix_len bytes of @prefix (a valid name's) and
 * @suffix_len bytes of @suffix a file name: not empty, "." nor "..", and
 * without "/" or NUL? */
static gboolean
is_file_name (const char *prefix, gsize prefix_len, const char *suffix, gsize suffix_len)
{
  gsize len = prefix_len + suffix_len;

  if (len == 0 || memchr (suffix, '\0', suffix_len) != NULL || memchr (suffix, '/', suffix_len) != NULL)
    return FALSE;
  if (len > 2 || (prefix_len > 0 ? prefix[0] : suffix[0]) != '.')
    return TRUE;
  /* "." or "..", or a two-byte name beginning with a dot. */
  return len == 2 && (prefix_len > 1 ? prefix[1] : suffix[1 - prefix_len]) != '.';
}

static gboolean
read_entries (Reader *reader, WfKitSnapshot *snapshot, WfKitEntry *parent, guint depth)
{
  GString *name;
  guint64 n_children;

  if (depth > MAX_DEPTH)
    return malformed (reader, "entries nest deeper than any path");
  if (!get_varint (reader, &n_children))
    return FALSE;
  /* Each entry takes at least 9 bytes: a bound before any allocation. */
  if (n_children > (reader->size - reader->pos) / 9)
    return malformed (reader, "more entries than bytes left");
  if (reader->names->len < depth)
    g_ptr_array_add (reader->names, g_string_sized_new (64));
  name = reader->names->pdata[depth - 1];
  g_string_truncate (name, 0);

  for (guint64 i = 0; i < n_children; i++)
    {
      guint64 shared, suffix_len;
      const char *suffix;
      WfKitFingerprint fp;
      gboolean listed;
      WfKitEntry *entry;

      if (!get_varint (reader, &shared))
        return FALSE;
      if (shared > name->len)
        return malformed (reader, "a name shares more than the name before it");
      if (!get_length (reader, &suffix_len))
        return FALSE;
      suffix = (const char *) reader->data + reader->pos;
      if (!is_file_name (name->str, shared, suffix, suffix_len))
        {
          reader->pos += suffix_len;
          return malformed (reader, "an entry name is no file name");
        }
      /* Sorted, hence unique: the name after the shared bytes must come
       * after the previous one's rest, bytewise (a prefix first). */
      if (i > 0)
        {
          gsize rest = name->len - shared;
          int order = memcmp (suffix, name->str + shared, MIN (rest, suffix_len));

          if (order < 0 || (order == 0 && suffix_len <= rest))
            {
              reader->pos += suffix_len;
              return malformed (reader, "entry names are out of order");
            }
        }
      g_string_truncate (name, shared);
      g_string_append_len (name, suffix, (gssize) suffix_len);
      reader->pos += suffix_len;

      if (!read_fields (reader, &fp, &listed))
        return FALSE;
      entry = wf_kit_snapshot_add_entry (snapshot, parent, name->str, &fp, listed);
      if (listed && !read_entries (reader, snapshot, entry, depth + 1))
        return FALSE;
    }
  return TRUE;
}

static gboolean
invalid (GError **error, const char *display, const char *why)
{
  g_set_error (error, WF_ERROR, WF_ERROR_STATE_INVALID, "State file %s %s", display, why);
  return FALSE;
}

gboolean
wf_state_format_decode_config (const guint8 *data, gsize size, const char *display,
                               WfStateConfig *config, gsize *entries_offset, GError **error)
{
  Reader reader = { .data = data, .size = size, .display = display, .error = error };
  guint32 version;
  guint64 payload_size, n_roots, length, flags;

  memset (config, 0, sizeof *config);
  if (size < sizeof state_magic)
    {
      if (memcmp (data, state_magic, size) == 0)
        return invalid (error, display, size == 0 ? "is empty (truncated)" : "is truncated (in its header)");
      return invalid (error, display, "is not a Watchfiles state file");
    }
  if (memcmp (data, state_magic, sizeof state_magic) != 0)
    return invalid (error, display, "is not a Watchfiles state file");
  if (size < WF_STATE_FORMAT_HEADER_SIZE)
    return invalid (error, display, "is truncated (in its header)");
  if (wf_state_format_crc32 (data, 28) != get_le32 (data + 28))
    return invalid (error, display, "is corrupted: its header checksum does not match");

  version = get_le32 (data + 8);
  if (version > WF_STATE_FORMAT_VERSION)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_STATE_VERSION,
                   "State file %s has format version %u, written by a newer Watchfiles; "
                   "this one reads version %d", display, version, WF_STATE_FORMAT_VERSION);
      return FALSE;
    }
  if (version == 0 || get_le32 (data + 12) != 0)
    return invalid (error, display, "is corrupted: its header is malformed");

  payload_size = get_le64 (data + 16);
  if (payload_size > size - WF_STATE_FORMAT_HEADER_SIZE)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_STATE_INVALID,
                   "State file %s is truncated: %" G_GSIZE_FORMAT " bytes of %" G_GUINT64_FORMAT,
                   display, size, payload_size + WF_STATE_FORMAT_HEADER_SIZE);
      return FALSE;
    }
  if (payload_size < size - WF_STATE_FORMAT_HEADER_SIZE)
    return invalid (error, display, "is corrupted: bytes follow its end");
  if (wf_state_format_crc32 (data + WF_STATE_FORMAT_HEADER_SIZE, payload_size) != get_le32 (data + 24))
    return invalid (error, display, "is corrupted: its checksum does not match");

  reader.pos = WF_STATE_FORMAT_HEADER_SIZE;
  if (!get_varint (&reader, &flags))
    return FALSE;
  if ((flags & ~(guint64) WF_STATE_FORMAT_KNOWN_FLAGS) != 0)
    return malformed (&reader, "unknown options");
  if (!get_varint (&reader, &n_roots))
    return FALSE;
  if (n_roots == 0 || n_roots > reader.size - reader.pos)
    return malformed (&reader, "a bad number of roots");

  config->flags = (guint32) flags;
  config->roots = g_ptr_array_new_with_free_func (g_free);
  for (guint64 i = 0; i < n_roots; i++)
    {
      if (!get_length (&reader, &length))
        goto fail;
      if (length == 0 || memchr (data + reader.pos, '\0', length) != NULL)
        {
          malformed (&reader, "a root is no path");
          goto fail;
        }
      g_ptr_array_add (config->roots, g_strndup ((const char *) data + reader.pos, length));
      reader.pos += length;
    }
  if (!get_length (&reader, &length))
    goto fail;
  config->rules = g_bytes_new (data + reader.pos, length);
  reader.pos += length;
  *entries_offset = reader.pos;
  return TRUE;

fail:
  wf_state_config_clear (config);
  return FALSE;
}

static void
free_string (gpointer string)
{
  g_string_free (string, TRUE);
}

gboolean
wf_state_format_decode_entries (const guint8 *data, gsize size, gsize entries_offset,
                                const char *display, WfKitSnapshot *const *snapshots,
                                guint n_snapshots, GError **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (free_string);
  Reader reader = {
    .data = data, .size = size, .pos = entries_offset, .display = display, .error = error,
    .names = names,
  };

  for (guint i = 0; i < n_snapshots; i++)
    {
      guint64 present;
      WfKitFingerprint fp;
      gboolean listed;
      WfKitEntry *root;

      if (!get_varint (&reader, &present))
        return FALSE;
      if (present > 1)
        return malformed (&reader, "a root is neither present nor absent");
      if (present == 0)
        continue;
      if (!read_fields (&reader, &fp, &listed))
        return FALSE;
      root = wf_kit_snapshot_add_entry (snapshots[i], NULL, NULL, &fp, listed);
      if (listed && !read_entries (&reader, snapshots[i], root, 1))
        return FALSE;
    }
  if (reader.pos != reader.size)
    return malformed (&reader, "bytes follow the last entry");
  return TRUE;
}
