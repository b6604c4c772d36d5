/* SPDX-License-Identifier: MIT */
/* fuzz-cli.c: the watchfiles command's option parsing and command-line
 * splitting (tools/wf-cli-config.c, the real parser: GOption, the checks,
 * the ignore rules, g_shell_parse_argv of COMMAND), and its output escaping
 * (tools/wf-cli-format.c) on arbitrary bytes.  The input is the arguments,
 * separated by NUL bytes.  --help and its short forms are left out: they
 * print and exit, which is their job.  Checked, besides ASan and UBSan: a
 * parse succeeds (with a config that says its mode) or fails with status 1
 * or 2, never anything else; a run-mode config has a command; JSON output
 * is valid UTF-8 with no raw control byte (ASCII only when asked), and a TSV
 * line has one tab and one newline. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "wf-cli.h"
#include "wf-fuzz-fatal.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  wf_fuzz_make_failures_fatal ();
  return 0;
}

static gboolean
asks_for_help (const char *arg)
{
  if (g_str_has_prefix (arg, "--"))
    return g_str_has_prefix (arg, "--help");
  /* A cluster of short options: -vh is -v -h. */
  return arg[0] == '-' && (strchr (arg, 'h') != NULL || strchr (arg, '?') != NULL);
}

static void
check_outputs (const char *path)
{
  g_autoptr(GPtrArray) change = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_file_change_free);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GString) ascii = g_string_new (NULL);
  g_autoptr(GString) tsv = g_string_new (NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  guint tabs = 0, newlines = 0;

  g_ptr_array_add (change, wf_file_change_new (WF_CHANGE_MODIFIED, path));
  wf_cli_append_json_string (json, path, FALSE);
  wf_cli_append_json_string (ascii, path, TRUE);
  g_assert_true (g_utf8_validate (json->str, json->len, NULL));
  for (gsize i = 0; i < json->len; i++)
    g_assert_cmpuint ((guchar) json->str[i], >=, 0x20);
  for (gsize i = 0; i < ascii->len; i++)
    g_assert_true ((guchar) ascii->str[i] >= 0x20 && (guchar) ascii->str[i] < 0x7f);
  g_assert_true (json->len >= 2 && json->str[0] == '"' && json->str[json->len - 1] == '"');

  wf_cli_append_changes (tsv, WF_CLI_FORMAT_TSV, change);
  for (gsize i = 0; i < tsv->len; i++)
    {
      tabs += tsv->str[i] == '\t';
      newlines += tsv->str[i] == '\n';
      g_assert_true (tsv->str[i] != '\r');
    }
  g_assert_cmpuint (tabs, ==, 1);
  g_assert_cmpuint (newlines, ==, 1);
  g_assert_true (tsv->str[tsv->len - 1] == '\n');
  wf_cli_append_changes (text, WF_CLI_FORMAT_TEXT, change);
  wf_cli_append_changes (text, WF_CLI_FORMAT_JSON, change);
  wf_cli_append_changes (text, WF_CLI_FORMAT_JSON_BATCH, change);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char **argv = NULL;
  g_auto(WfCliConfig) config = { 0 };
  int argc, exit_status = -1;
  gboolean parsed;

  g_ptr_array_add (args, g_strdup ("watchfiles"));
  for (size_t start = 0; start < size;)
    {
      const char *arg = (const char *) data + start;
      const char *nul = memchr (arg, '\0', size - start);
      gsize len = nul != NULL ? (gsize) (nul - arg) : size - start;
      char *copy = g_strndup (arg, len);

      start += len + 1;
      check_outputs (copy);
      if (asks_for_help (copy))
        g_free (copy);
      else
        g_ptr_array_add (args, copy);
    }

  /* GOption rearranges argv: the strings are freed through args. */
  argc = (int) args->len;
  argv = g_new0 (char *, args->len + 1);
  memcpy (argv, args->pdata, args->len * sizeof (char *));
  parsed = wf_cli_config_parse (&config, &argc, &argv, &exit_status);
  if (parsed)
    {
      g_assert_cmpint (exit_status, ==, WF_CLI_EXIT_OK);
      if (config.mode == WF_CLI_MODE_RUN)
        g_assert_true (config.command_argv != NULL && config.command_argv[0] != NULL &&
                       config.command_line != NULL);
      if (config.mode == WF_CLI_MODE_RUN || config.mode == WF_CLI_MODE_STREAM)
        g_assert_true (config.paths != NULL && config.paths[0] != NULL);
    }
  else
    g_assert_true (exit_status == WF_CLI_EXIT_USAGE || exit_status == WF_CLI_EXIT_FAILURE);
  return 0;
}
