/* SPDX-License-Identifier: MIT */
/* wf-kit-missing-root.c: the climb to the nearest existing ancestor. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "wf-kit-missing-root.h"
#include "wf-kit-path.h"

static gboolean
is_directory (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

void
wf_kit_missing_root_init (WfKitMissingRoot *root, const char *path)
{
  gsize len = strlen (path);
  gsize top = wf_kit_path_top_len (path);

  while (len > top && WF_KIT_IS_SEPARATOR (path[len - 1]))
    len--;
  root->path = g_strndup (path, len);
  root->path_len = len;
  root->nearest_len = 0;
}

void
wf_kit_missing_root_clear (WfKitMissingRoot *root)
{
  g_clear_pointer (&root->path, g_free);
}

gboolean
wf_kit_missing_root_exists (const WfKitMissingRoot *root)
{
  struct stat st;

  return stat (root->path, &st) == 0;
}

char *
wf_kit_missing_root_climb (WfKitMissingRoot *root)
{
  char *prefix = g_strdup (root->path);
  gsize len = root->path_len;
  gsize top = wf_kit_path_top_len (root->path);

  /* Drop the last component, then the slashes before it; the top ("/",
   * "C:\\") is. */
  do
    {
      while (len > top && !WF_KIT_IS_SEPARATOR (prefix[len - 1]))
        len--;
      while (len > top && WF_KIT_IS_SEPARATOR (prefix[len - 1]))
        len--;
      prefix[len] = '\0';
    }
  while (len > top && !is_directory (prefix));
  root->nearest_len = len;
  return prefix;
}

/* Does a level end at @end of @prefix (@len long)?  The top ("/",
 * "C:\\") is the first. */
static gboolean
is_level_end (const char *prefix, gsize end, gsize len, gsize top)
{
  return end == top || end == len ||
         (end > top && WF_KIT_IS_SEPARATOR (prefix[end]) && !WF_KIT_IS_SEPARATOR (prefix[end - 1]));
}

guint
wf_kit_missing_root_levels (const WfKitMissingRoot *root, gsize **ends)
{
  gsize len = root->nearest_len;
  gsize top = MIN (wf_kit_path_top_len (root->path), MAX (len, 1));
  guint n = 0;

  *ends = g_new (gsize, len + 1);
  for (gsize end = top; end <= len; end++)
    if (is_level_end (root->path, end, len, top))
      (*ends)[n++] = end;
  return n;
}

void
wf_kit_missing_root_set_nearest (WfKitMissingRoot *root, gsize level_end)
{
  root->nearest_len = level_end;
}

/* The component of the root's path after the nearest ancestor. */
static const char *
next_component (const WfKitMissingRoot *root, gsize *component_len)
{
  const char *start = root->path + root->nearest_len;
  const char *end = root->path + root->path_len;
  const char *slash;

  while (start < end && WF_KIT_IS_SEPARATOR (*start))
    start++;
  for (slash = start; slash < end && !WF_KIT_IS_SEPARATOR (*slash); slash++)
    ;
  if (slash == end)
    slash = NULL;
  *component_len = (gsize) ((slash != NULL ? slash : end) - start);
  return start;
}

gboolean
wf_kit_missing_root_is_next (const WfKitMissingRoot *root, const char *name)
{
  gsize component_len;
  const char *component = next_component (root, &component_len);

  return strlen (name) == component_len && memcmp (name, component, component_len) == 0;
}

gboolean
wf_kit_missing_root_next_exists (const WfKitMissingRoot *root)
{
  gsize component_len;
  const char *component = next_component (root, &component_len);
  gsize prefix_len = (gsize) (component - root->path) + component_len;
  g_autofree char *prefix = NULL;
  struct stat st;

  if (component_len == 0)
    return FALSE;
  prefix = g_strndup (root->path, prefix_len);
  if (stat (prefix, &st) < 0)
    return FALSE;
  return prefix_len >= root->path_len || S_ISDIR (st.st_mode);
}
