/* SPDX-License-Identifier: MIT */
/* wf-cli-backends.c: --list-backends prints the library's own listing
 * (the text WATCHFILES_BACKEND=help prints too): each backend module
 * found, its probe here, its priority, and the one that would be chosen
 * with these options and this environment. */
#include "config.h"

#include <stdio.h>

#include "wf-cli.h"

int
wf_cli_list_backends (const WfCliConfig *config)
{
  g_autofree char *text = wf_backend_info_format_list_full (config->backend, config->force_polling);

  fputs (text, stdout);
  return WF_CLI_EXIT_OK;
}
