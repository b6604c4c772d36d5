/* SPDX-License-Identifier: MIT */
/* wf-kit-limit.c: the watch-limit error text, with the sysctl read once. */
#include "config.h"

#include "watchfiles-backend.h"
#include "wf-kit-limit.h"

static GMutex values_lock;
static GHashTable *values;   /* proc file -> its value (or "" when unreadable) */

static const char *
read_once (const char *proc_file)
{
  const char *value;

  if (proc_file == NULL)
    return NULL;
  g_mutex_lock (&values_lock);
  if (values == NULL)
    values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  value = g_hash_table_lookup (values, proc_file);
  if (value == NULL)
    {
      char *contents = NULL;

      if (!g_file_get_contents (proc_file, &contents, NULL, NULL))
        contents = g_strdup ("");
      g_hash_table_insert (values, g_strdup (proc_file), g_strstrip (contents));
      value = contents;
    }
  g_mutex_unlock (&values_lock);
  return value[0] != '\0' ? value : NULL;
}

const char *
wf_kit_limit_get_value (const WfKitLimit *limit)
{
  return read_once (limit->proc_file);
}

const char *
wf_kit_limit_get_namespace_value (const WfKitLimit *limit)
{
  return read_once (limit->namespace_proc_file);
}

GError *
wf_kit_limit_error (const WfKitLimit *limit, const char *what, const char *path)
{
  const char *value = wf_kit_limit_get_value (limit);
  const char *namespace_value = wf_kit_limit_get_namespace_value (limit);
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr(GString) message = g_string_new (NULL);

  g_string_append_printf (message, "Cannot watch “%s”: the %s limit is reached (%s is %s",
                          display, what, limit->name, value != NULL ? value : "unknown");
  /* A user namespace (a container) has a limit of its own, which may be
   * the one that was hit. */
  if (namespace_value != NULL && g_strcmp0 (namespace_value, value) != 0)
    g_string_append_printf (message, "; in this user namespace %s is %s",
                            limit->namespace_name, namespace_value);
  g_string_append_printf (message, "); %s", limit->raise_hint);
  return g_error_new_literal (WF_ERROR, WF_ERROR_WATCH_LIMIT, message->str);
}
