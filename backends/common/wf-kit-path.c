/* SPDX-License-Identifier: MIT */
/* wf-kit-path.c: path joining and the forms of a root. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "wf-kit-path.h"

gsize
wf_kit_path_top_len (const char *path)
{
#ifdef _WIN32
  const char *after_root = g_path_skip_root (path);

  if (after_root != NULL && after_root > path)
    return (gsize) (after_root - path);
#endif
  return 1;
}

void
wf_kit_path_append_name (GString *path, const char *name)
{
  if (path->len == 0 || !WF_KIT_IS_SEPARATOR (path->str[path->len - 1]))
    g_string_append_c (path, '/');
  g_string_append (path, name);
}

char *
wf_kit_path_make_absolute (const char *path)
{
  g_autofree char *cwd = NULL;
  GString *absolute;

  if (g_path_is_absolute (path))
    return g_strdup (path);
  cwd = g_get_current_dir ();
  absolute = g_string_new (cwd);
  wf_kit_path_append_name (absolute, path);
  return g_string_free (absolute, FALSE);
}

gboolean
wf_kit_path_is_within (const char *path, const char *dir)
{
  gsize dir_len = strlen (dir);

  if (strncmp (path, dir, dir_len) != 0)
    return FALSE;
  if (path[dir_len] == '\0' || WF_KIT_IS_SEPARATOR (path[dir_len]))
    return TRUE;
  /* "/" and "dir/" contain everything that starts with them. */
  return dir_len > 0 && WF_KIT_IS_SEPARATOR (dir[dir_len - 1]);
}

const char *
wf_kit_path_basename (const char *path)
{
  const char *base = path;

  for (const char *p = path; *p != '\0'; p++)
    if (WF_KIT_IS_SEPARATOR (*p))
      base = p + 1;
  return base;
}

char *
wf_kit_path_nearest_existing_ancestor (const char *path)
{
  g_autofree char *candidate = g_strdup (path);
  gsize len = strlen (candidate);
  gsize top = wf_kit_path_top_len (path);

  for (;;)
    {
      struct stat st;

      /* Drop the last component, and the slashes before it. */
      while (len > top && WF_KIT_IS_SEPARATOR (candidate[len - 1]))
        len--;
      while (len > top && !WF_KIT_IS_SEPARATOR (candidate[len - 1]))
        len--;
      while (len > top && WF_KIT_IS_SEPARATOR (candidate[len - 1]))
        len--;
      candidate[len] = '\0';
      if (top > 1 && len <= top)
        return g_strndup (path, top);
      if (len <= 1)
        return g_strdup (len == 1 && candidate[0] != '/' ? "." : "/");
      if (stat (candidate, &st) == 0 && S_ISDIR (st.st_mode))
        return g_steal_pointer (&candidate);
    }
}
