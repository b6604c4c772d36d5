/* SPDX-License-Identifier: MIT */
/* wf-cli-since.c: `watchfiles --since STATE [PATH…]`, what changed since a
 * state file was written, printed in one of the formats of wf-cli-format.c;
 * then the state is written anew.
 *
 * The library writes the new state before the changes are printed; so
 * that a failed print (a closed pipe, a full disk) loses nothing, the old
 * state is kept under a hard link until the print succeeded, and put back
 * otherwise. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef _WIN32
#include <process.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <glib/gstdio.h>

#include "wf-cli.h"

static int
compare_changes (gconstpointer a, gconstpointer b)
{
  const WfFileChange *ca = *(const WfFileChange *const *) a;
  const WfFileChange *cb = *(const WfFileChange *const *) b;
  int by_path = strcmp (wf_file_change_get_path (ca), wf_file_change_get_path (cb));

  return by_path != 0 ? by_path : (int) wf_file_change_get_change (ca) - (int) wf_file_change_get_change (cb);
}

/* A hard link to the old state next to it, or NULL when there is none
 * (a first run) or the filesystem has no hard links. */
static char *
keep_old_state (const char *state)
{
  g_autofree char *dir = g_path_get_dirname (state);
  g_autofree char *base = g_path_get_basename (state);
  char *backup = g_strdup_printf ("%s/.%s.old-%ld", dir, base, (long) getpid ());

  g_unlink (backup);
#ifdef G_OS_WIN32
  {
    g_autofree gunichar2 *wide_state = g_utf8_to_utf16 (state, -1, NULL, NULL, NULL);
    g_autofree gunichar2 *wide_backup = g_utf8_to_utf16 (backup, -1, NULL, NULL, NULL);

    if (wide_state == NULL || wide_backup == NULL || !CreateHardLinkW (wide_backup, wide_state, NULL))
      g_clear_pointer (&backup, g_free);
  }
#else
  if (link (state, backup) != 0)
    g_clear_pointer (&backup, g_free);
#endif
  return backup;
}

int
wf_cli_since (const WfCliConfig *config)
{
  WfStateFlags flags = WF_STATE_FLAGS_UPDATE | WF_STATE_FLAGS_ALLOW_MISSING |
                       (config->recursive ? 0 : WF_STATE_FLAGS_NON_RECURSIVE) |
                       (config->ignore_permission_denied ? WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED : 0);
  g_autofree char *backup = keep_old_state (config->since_state);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(GString) lines = g_string_new (NULL);

  changes = wf_state_changes_since (config->since_state, (const char *const *) config->paths, flags,
                                    config->ignore_rules, &error);
  if (changes == NULL)
    {
      if (backup != NULL)
        g_unlink (backup);
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }

  kept = wf_cli_filter_changes (config, changes);
  g_ptr_array_sort (kept, compare_changes);
  wf_cli_log (WF_CLI_LOG_DEBUG, "%u change%s since %s", kept->len, kept->len == 1 ? "" : "s",
              config->since_state);
  if (kept->len > 0)
    wf_cli_append_changes (lines, config->format, kept);
  if (fwrite (lines->str, 1, lines->len, stdout) != lines->len || fflush (stdout) != 0)
    {
      int errsv = errno;

      /* Not printed: the next run must report them again. */
      if (backup != NULL && g_rename (backup, config->since_state) != 0)
        g_unlink (backup);
      g_printerr ("watchfiles: cannot write the changes: %s\n", g_strerror (errsv));
      return WF_CLI_EXIT_FAILURE;
    }
  if (backup != NULL)
    g_unlink (backup);
  return WF_CLI_EXIT_OK;
}
