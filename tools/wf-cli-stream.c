/* SPDX-License-Identifier: MIT */
/* wf-cli-stream.c: stream mode (`watchfiles --print`), each change printed
 * on stdout as a line in one of the formats of wf-cli-format.c, flushed
 * per batch, until SIGINT, SIGTERM or SIGHUP (or, with --once, the first
 * batch). */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "wf-cli.h"

int
wf_cli_stream (const WfCliConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *watching = NULL;
  guint n_warned = 0;

  if (!wf_cli_signals_install (FALSE, &error))
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }
  notify = wf_cli_notify_new (config, &error);
  if (notify == NULL)
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }
  wf_cli_warn_degraded (notify, &n_warned);
  watching = wf_cli_describe_watch (config, notify);
  g_printerr ("watchfiles: watching %s; Ctrl+C stops\n", watching);

  for (;;)
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GPtrArray) kept = NULL;
      g_autoptr(GString) lines = NULL;
      WfWatchResult result = wf_notify_watch (notify, config->debounce_ms, config->step_ms, 0, NULL,
                                              wf_cli_signals_get_fd (), &changes, &error);

      if (result == WF_WATCH_RESULT_SIGNAL)
        return WF_CLI_EXIT_OK;
      wf_cli_warn_degraded (notify, &n_warned);
      if (result == WF_WATCH_RESULT_ERROR)
        {
          g_printerr ("watchfiles: %s\n", error->message);
          return WF_CLI_EXIT_FAILURE;
        }
      if (result != WF_WATCH_RESULT_CHANGES)
        continue;
      kept = wf_cli_filter_changes (config, changes);
      wf_cli_log (WF_CLI_LOG_DEBUG, "%u change%s detected", kept->len, kept->len == 1 ? "" : "s");
      if (kept->len == 0)
        continue;
      lines = g_string_new (NULL);
      wf_cli_append_changes (lines, config->format, kept);
      if (fwrite (lines->str, 1, lines->len, stdout) != lines->len || fflush (stdout) != 0)
        {
          g_printerr ("watchfiles: cannot write the changes: %s\n", g_strerror (errno));
          return WF_CLI_EXIT_FAILURE;
        }
      if (config->once)
        return WF_CLI_EXIT_OK;
    }
}
