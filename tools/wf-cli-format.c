/* SPDX-License-Identifier: MIT */
/* wf-cli-format.c: how the command writes changes: the text, json, tsv and
 * json-batch lines of stream mode, and the WATCHFILES_CHANGES value of run
 * mode.
 *
 * Paths are bytes and need not be UTF-8.  JSON keeps them losslessly the
 * way Python's os.fsdecode() and json.dumps() do: each byte that is not
 * part of valid UTF-8 becomes the lone surrogate \udcXX (surrogateescape),
 * so json.loads() then os.fsencode() gives the bytes back.  TSV escapes
 * only backslash, tab, newline and carriage return (\\ \t \n \r) and
 * passes every other byte through.
 */
#include "config.h"

#include <string.h>

#include "wf-cli.h"

const char *
wf_cli_change_name (WfChange change)
{
  switch (change)
    {
    case WF_CHANGE_ADDED: return "added";
    case WF_CHANGE_MODIFIED: return "modified";
    case WF_CHANGE_DELETED: return "deleted";
    default: return "unknown";
    }
}

gboolean
wf_cli_format_from_name (const char *name, WfCliFormat *format)
{
  if (g_strcmp0 (name, "text") == 0)
    *format = WF_CLI_FORMAT_TEXT;
  else if (g_strcmp0 (name, "json") == 0)
    *format = WF_CLI_FORMAT_JSON;
  else if (g_strcmp0 (name, "tsv") == 0)
    *format = WF_CLI_FORMAT_TSV;
  else if (g_strcmp0 (name, "json-batch") == 0)
    *format = WF_CLI_FORMAT_JSON_BATCH;
  else
    return FALSE;
  return TRUE;
}

/* @ascii_only escapes every non-ASCII character and DEL as json.dumps()
 * does by default (ensure_ascii); otherwise valid UTF-8 and DEL are written
 * as they are, as with ensure_ascii=False. */
void
wf_cli_append_json_string (GString *out, const char *bytes, gboolean ascii_only)
{
  const char *p = bytes;
  const char *end = bytes + strlen (bytes);

  g_string_append_c (out, '"');
  while (p < end)
    {
      guchar c = (guchar) *p;
      gunichar ch;

      if (c < 0x80)
        {
          switch (c)
            {
            case '"': g_string_append (out, "\\\""); break;
            case '\\': g_string_append (out, "\\\\"); break;
            case '\b': g_string_append (out, "\\b"); break;
            case '\f': g_string_append (out, "\\f"); break;
            case '\n': g_string_append (out, "\\n"); break;
            case '\r': g_string_append (out, "\\r"); break;
            case '\t': g_string_append (out, "\\t"); break;
            default:
              /* json.dumps() escapes DEL only in its ensure_ascii mode. */
              if (c < 0x20 || (c == 0x7f && ascii_only))
                g_string_append_printf (out, "\\u%04x", c);
              else
                g_string_append_c (out, (char) c);
            }
          p++;
          continue;
        }

      ch = g_utf8_get_char_validated (p, end - p);
      if (ch == (gunichar) -1 || ch == (gunichar) -2)
        {
          /* Not UTF-8: Python's surrogateescape form of the byte. */
          g_string_append_printf (out, "\\udc%02x", c);
          p++;
          continue;
        }
      if (!ascii_only)
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      else if (ch < 0x10000)
        g_string_append_printf (out, "\\u%04x", ch);
      else
        g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + ((ch - 0x10000) >> 10),
                                0xdc00 + ((ch - 0x10000) & 0x3ff));
      p = g_utf8_next_char (p);
    }
  g_string_append_c (out, '"');
}

/* json.dumps([[change.raw_str(), path], ...]) as watchfiles' run.py sets it. */
char *
wf_cli_changes_to_env_json (GPtrArray *changes)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; changes != NULL && i < changes->len; i++)
    {
      const WfFileChange *change = g_ptr_array_index (changes, i);

      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_printf (out, "[\"%s\", ", wf_cli_change_name (wf_file_change_get_change (change)));
      wf_cli_append_json_string (out, wf_file_change_get_path (change), TRUE);
      g_string_append_c (out, ']');
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

/* The paths of a batch on one line, for people: "modified src/a.py,
 * added b.c, and 3 more"; relative to @current_dir when below it, with
 * control characters escaped so that the line stays one. */
char *
wf_cli_changes_summary (GPtrArray *changes, const char *current_dir)
{
  const guint shown = 5;
  gsize dir_len = strlen (current_dir);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < changes->len && i < shown; i++)
    {
      const WfFileChange *change = g_ptr_array_index (changes, i);
      const char *path = wf_file_change_get_path (change);

      if (strcmp (current_dir, "/") != 0 && strncmp (path, current_dir, dir_len) == 0 && path[dir_len] == '/')
        path += dir_len + 1;
      g_string_append_printf (out, "%s%s ", i > 0 ? ", " : "", wf_cli_change_name (wf_file_change_get_change (change)));
      for (const char *p = path; *p != '\0'; p++)
        if ((guchar) *p < 0x20 || *p == 0x7f || *p == '\\')
          g_string_append_printf (out, *p == '\\' ? "\\\\" : "\\x%02x", (guchar) *p);
        else
          g_string_append_c (out, *p);
    }
  if (changes->len > shown)
    g_string_append_printf (out, ", and %u more", changes->len - shown);
  return g_string_free (out, FALSE);
}

static void
append_tsv_field (GString *out, const char *bytes)
{
  for (const char *p = bytes; *p != '\0'; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case '\t': g_string_append (out, "\\t"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      default: g_string_append_c (out, *p);
      }
}

/* {"change": "added", "path": "/abs/path"}: the json and json-batch forms. */
static void
append_json_object (GString *out, const WfFileChange *change)
{
  g_string_append_printf (out, "{\"change\": \"%s\", \"path\": ",
                          wf_cli_change_name (wf_file_change_get_change (change)));
  wf_cli_append_json_string (out, wf_file_change_get_path (change), FALSE);
  g_string_append_c (out, '}');
}

/* The lines of one batch, newlines included: one per change, or with
 * json-batch one for the whole batch (a JSON array of the json objects). */
void
wf_cli_append_changes (GString *out, WfCliFormat format, GPtrArray *changes)
{
  if (format == WF_CLI_FORMAT_JSON_BATCH)
    {
      g_string_append_c (out, '[');
      for (guint i = 0; i < changes->len; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          append_json_object (out, g_ptr_array_index (changes, i));
        }
      g_string_append (out, "]\n");
      return;
    }

  for (guint i = 0; i < changes->len; i++)
    {
      const WfFileChange *change = g_ptr_array_index (changes, i);
      const char *name = wf_cli_change_name (wf_file_change_get_change (change));

      switch (format)
        {
        case WF_CLI_FORMAT_TEXT:
          g_string_append_printf (out, "%s %s\n", name, wf_file_change_get_path (change));
          break;
        case WF_CLI_FORMAT_JSON:
          append_json_object (out, change);
          g_string_append_c (out, '\n');
          break;
        case WF_CLI_FORMAT_TSV:
          g_string_append_printf (out, "%s\t", name);
          append_tsv_field (out, wf_file_change_get_path (change));
          g_string_append_c (out, '\n');
          break;
        default:
          g_assert_not_reached ();
        }
    }
}
