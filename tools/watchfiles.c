/* SPDX-License-Identifier: MIT */
/* watchfiles.c: the command-line tool's entry point.  Run mode
 * (`watchfiles COMMAND [PATH...]`, the Python CLI's) restarts a command on
 * each batch of changes (wf-cli-run.c); stream mode (`watchfiles --print
 * [PATH...]`) prints each change as a line (wf-cli-stream.c); `watchfiles
 * --since STATE [PATH...]` prints what changed since a state file
 * (wf-cli-since.c);
 * --list-backends says what is installed and what would be chosen here
 * (wf-cli-backends.c).  Options and environment: wf-cli-config.c. */
#include "config.h"

#include <locale.h>

#include "wf-cli.h"

int
main (int argc, char **argv)
{
  g_auto(WfCliConfig) config = { 0 };
  int status;

  setlocale (LC_ALL, "");
  wf_cli_build_tree_setup ();
  if (!wf_cli_config_parse (&config, &argc, &argv, &status))
    return status;

  switch (config.mode)
    {
    case WF_CLI_MODE_VERSION:
      g_print ("watchfiles v%s\n", PACKAGE_VERSION);
      return WF_CLI_EXIT_OK;
    case WF_CLI_MODE_LIST_BACKENDS:
      return wf_cli_list_backends (&config);
    case WF_CLI_MODE_STREAM:
      return wf_cli_stream (&config);
    case WF_CLI_MODE_SINCE:
      return wf_cli_since (&config);
    case WF_CLI_MODE_RUN:
      return wf_cli_run (&config);
    default:
      g_assert_not_reached ();
    }
}
