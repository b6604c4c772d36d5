/* SPDX-License-Identifier: MIT */
/* wf-cli-log.c: the command's log lines on stderr, in the Python CLI's
 * format ("[HH:MM:SS] message") and with its three levels. */
#include "config.h"

#include <stdio.h>

#include "wf-cli.h"

static WfCliLogLevel log_level = WF_CLI_LOG_INFO;

void
wf_cli_log_set_level (WfCliLogLevel level)
{
  log_level = level;
}

gboolean
wf_cli_log_enabled (WfCliLogLevel level)
{
  return level <= log_level;
}

void
wf_cli_log (WfCliLogLevel level, const char *format, ...)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *message = NULL;
  g_autofree char *stamp = NULL;
  va_list args;

  if (!wf_cli_log_enabled (level))
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%H:%M:%S");
  /* One write per line: the library's debug lines come from other threads. */
  fprintf (stderr, "[%s] %s\n", stamp, message);
  fflush (stderr);
}
