/* SPDX-License-Identifier: MIT */
/* wf-cli-backends.c: --list-backends, each backend module found, its probe
 * here, its priority, and the one that would be chosen with these options
 * and this environment (the library's choice, made the same way). */
#include "config.h"

#include <string.h>

#include "wf-cli.h"

int
wf_cli_list_backends (const WfCliConfig *config)
{
  g_autoptr(GPtrArray) infos = wf_backend_info_list_all ();
  const char *requested = config->backend != NULL ? config->backend : g_getenv ("WATCHFILES_BACKEND");
  const WfBackendInfo *chosen = NULL;
  g_autofree char *why = NULL;

  if (g_strcmp0 (requested, "help") == 0 || g_strcmp0 (requested, "") == 0)
    requested = NULL;
  for (guint i = 0; i < infos->len; i++)
    {
      const WfBackendInfo *info = g_ptr_array_index (infos, i);
      const char *name = wf_backend_info_get_name (info);

      if (!wf_backend_info_get_available (info))
        continue;
      if (config->force_polling ? strcmp (name, "poll") == 0
          : requested != NULL ? strcmp (name, requested) == 0
          : chosen == NULL || wf_backend_info_get_priority (info) > wf_backend_info_get_priority (chosen))
        chosen = info;
    }
  if (config->force_polling)
    why = g_strdup ("forced by --force-polling or WATCHFILES_FORCE_POLLING");
  else if (requested != NULL)
    why = g_strdup_printf ("asked for by --backend or WATCHFILES_BACKEND=%s", requested);
  else
    why = g_strdup ("the highest priority whose probe passes");

  g_print ("  %-10s %-7s %-9s %s\n", "BACKEND", "PROBE", "PRIORITY", "MODULE");
  for (guint i = 0; i < infos->len; i++)
    {
      const WfBackendInfo *info = g_ptr_array_index (infos, i);

      if (wf_backend_info_get_available (info))
        g_print ("%s %-10s %-7s %-9d %s\n", info == chosen ? "*" : " ", wf_backend_info_get_name (info),
                 "passes", wf_backend_info_get_priority (info), wf_backend_info_get_filename (info));
      else
        g_print ("  %-10s %-7s %-9s %s\n", wf_backend_info_get_name (info), "fails", "-",
                 wf_backend_info_get_reason (info));
    }
  if (infos->len == 0)
    g_print ("  (no backend modules found)\n");
  if (chosen != NULL)
    g_print ("Chosen here: %s (%s)\n", wf_backend_info_get_name (chosen), why);
  else if (requested != NULL || config->force_polling)
    g_print ("Chosen here: none: %s is missing or its probe fails, and no other is substituted\n",
             config->force_polling ? "poll" : requested);
  else
    g_print ("Chosen here: none: no backend's probe passes\n");
  return WF_CLI_EXIT_OK;
}
