/* SPDX-License-Identifier: MIT */
/* wf-cli-watch.c: the watcher both modes use, the line that says what it
 * watches, and the rules the library does not apply: --filter python keeps
 * only Python source files (PythonFilter's extensions), --exts only files
 * with the given extensions, and a change to the file our stdout or stderr
 * goes to is never one. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "wf-cli.h"

static const char *const python_extensions[] = { ".py", ".pyx", ".pyd" };

/* The library says where it looked; say what to do about it, since the
 * first to meet this is someone running a build tree's tool by hand. */
static void
explain_missing_backends (GError *error)
{
  char *message;

  /* The library's message says where it looked; what it cannot know is
   * how a build tree is run. */
  if (!g_error_matches (error, WF_ERROR, WF_ERROR_BACKEND_NOT_FOUND))
    return;
  message = g_strdup_printf ("%s\nwatchfiles: a build tree's tools/watchfiles finds that tree's backends by itself, "
                             "and `meson devenv -C BUILDDIR` sets WATCHFILES_BACKEND_DIR to them", error->message);
  g_free (error->message);
  error->message = message;
}

WfNotify *
wf_cli_notify_new (const WfCliConfig *config, GError **error)
{
  GError *local_error = NULL;
  WfNotify *notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &local_error,
                         "paths", (const char *const *) config->paths,
                         "debug", config->debug,
                         "force-polling", config->force_polling,
                         "poll-delay-ms", config->poll_delay_ms,
                         "recursive", config->recursive,
                         "ignore-permission-denied", config->ignore_permission_denied,
                         "backend", config->backend,
                         "ignore-rules", config->ignore_rules,
                         "watch-limit-policy", config->watch_limit_policy,
                         "poll-cpu-percent", config->poll_cpu_percent,
                         "polled-filesystems", config->polled_filesystems,
                         NULL);

  if (notify == NULL)
    {
      explain_missing_backends (local_error);
      g_propagate_error (error, local_error);
    }
  return notify;
}

static const char *
poll_reason_text (WfPollReason reason)
{
  switch (reason)
    {
    case WF_POLL_REASON_WATCH_LIMIT: return "watch limit";
    case WF_POLL_REASON_FILESYSTEM: return "silent filesystem";
    default: return "other";
    }
}

/* "3 directories with the inotify backend", or "1 file …" or "2 directories
 * and 1 file …": the library counts directories only, and a file given as
 * a path is watched too.  Directories a native backend polls follow, with
 * why: "…, and polling 40 directories (watch limit)". */
char *
wf_cli_describe_watch (const WfCliConfig *config, WfNotify *notify)
{
  g_autoptr(WfStatus) status = wf_notify_get_status (notify);
  guint n_directories = wf_status_get_n_directories (status);
  guint n_polled = wf_status_get_n_polled_directories (status);
  const char *const *subtrees = wf_status_get_polled_subtrees (status);
  guint n_files = 0;
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; config->paths[i] != NULL; i++)
    if (!g_file_test (config->paths[i], G_FILE_TEST_IS_DIR))
      n_files++;
  if (n_directories > 0 || n_files == 0)
    g_string_append_printf (text, "%u %s", n_directories, n_directories == 1 ? "directory" : "directories");
  if (n_files > 0)
    g_string_append_printf (text, "%s%u %s", n_directories > 0 ? " and " : "", n_files,
                            n_files == 1 ? "file" : "files");
  g_string_append_printf (text, " with the %s backend", wf_status_get_backend_name (status));
  if (subtrees[0] != NULL)
    {
      g_autoptr(GEnumClass) reasons = g_type_class_ref (WF_TYPE_POLL_REASON);
      const char *separator = " (";

      g_string_append_printf (text, ", and polling %u %s", n_polled, n_polled == 1 ? "directory" : "directories");
      /* Each reason once, in the enum's order. */
      for (guint r = 0; r < reasons->n_values; r++)
        for (guint i = 0; subtrees[i] != NULL; i++)
          if ((int) wf_status_get_polled_reason (status, i) == reasons->values[r].value)
            {
              g_string_append_printf (text, "%s%s", separator, poll_reason_text (reasons->values[r].value));
              separator = ", ";
              break;
            }
      g_string_append_c (text, ')');
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* DESIGN rule 3: a watch limit that degrades to polling is said as a
 * warning, with the way out: at start, and again whenever more subtrees
 * are polled for it than the last warning counted (*n_warned). */
void
wf_cli_warn_degraded (WfNotify *notify, guint *n_warned)
{
  g_autoptr(WfStatus) status = wf_notify_get_status (notify);
  const char *const *subtrees = wf_status_get_polled_subtrees (status);
  const char *first = NULL;
  guint n_limited = 0;

  /* Said once, at start (the count below is 0 and stays so after it). */
  if (*n_warned == 0 && wf_status_get_fallback_reason (status) != NULL)
    {
      wf_cli_log (WF_CLI_LOG_WARNING, "polling every directory: %s", wf_status_get_fallback_reason (status));
      *n_warned = G_MAXUINT;
      return;
    }
  for (guint i = 0; subtrees[i] != NULL; i++)
    if (wf_status_get_polled_reason (status, i) == WF_POLL_REASON_WATCH_LIMIT)
      {
        if (first == NULL)
          first = subtrees[i];
        n_limited++;
      }
  if (n_limited <= *n_warned)
    return;
  *n_warned = n_limited;
  wf_cli_log (WF_CLI_LOG_WARNING,
              "the %s backend reached its watch limit: %u %s polled instead of watched (the first: %s); "
              "raise the limit (fs.inotify.max_user_watches on Linux) to watch %s",
              wf_status_get_backend_name (status), n_limited, n_limited == 1 ? "subtree is" : "subtrees are",
              first, n_limited == 1 ? "it" : "them");
}

/* Whether @change is a write to the file stdout or stderr goes to.  A
 * deleted path is not: whoever deleted it, it was not our writing. */
static gboolean
is_output_file (const WfCliConfig *config, const WfFileChange *change)
{
  GStatBuf st;

  if (config->n_output_files == 0 || wf_file_change_get_change (change) == WF_CHANGE_DELETED ||
      g_lstat (wf_file_change_get_path (change), &st) != 0)
    return FALSE;
  for (guint i = 0; i < config->n_output_files; i++)
    if (config->output_files[i].dev == (guint64) st.st_dev && config->output_files[i].ino == (guint64) st.st_ino)
      return TRUE;
  return FALSE;
}

GPtrArray *
wf_cli_filter_changes (const WfCliConfig *config, GPtrArray *changes)
{
  GPtrArray *kept = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_file_change_free);

  for (guint i = 0; i < changes->len; i++)
    {
      const WfFileChange *change = g_ptr_array_index (changes, i);
      gboolean keep = !config->python_only;

      /* PythonFilter: the default rules (in the library) and these suffixes. */
      for (gsize j = 0; !keep && j < G_N_ELEMENTS (python_extensions); j++)
        keep = g_str_has_suffix (wf_file_change_get_path (change), python_extensions[j]);
      if (keep && config->exts != NULL)
        {
          const char *path = wf_file_change_get_path (change);
          const char *name = strrchr (path, '/') != NULL ? strrchr (path, '/') + 1 : path;

          /* An extension follows a name: ".py" alone has none. */
          keep = FALSE;
          for (guint j = 0; !keep && config->exts[j] != NULL; j++)
            keep = strlen (name) > strlen (config->exts[j]) && g_str_has_suffix (name, config->exts[j]);
        }
      if (keep && is_output_file (config, change))
        {
          wf_cli_log (WF_CLI_LOG_DEBUG, "not reported, our own output file: %s", wf_file_change_get_path (change));
          keep = FALSE;
        }
      if (keep)
        g_ptr_array_add (kept, wf_file_change_copy (change));
    }
  return kept;
}
