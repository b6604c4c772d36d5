/* SPDX-License-Identifier: MIT */
/* wf-roots.c: the one place where a root's forms are computed.
 *
 * watchfiles neither resolves nor normalises roots, and what it reports
 * under a relative one depends on the backend: notify's inotify joins the
 * working directory ("/cwd/./x/y"), its PollWatcher keeps the path as
 * given ("./x/y") (spec 1.2).  Every backend here is handed the absolute,
 * un-normalised form and reports under it; the core turns that back into
 * the given form where watchfiles reports it so, by a flag of the backend,
 * never by its name.
 */
#include "config.h"

#include <string.h>

#include "wf-roots-private.h"

typedef struct {
  char *absolute;
  gsize absolute_len;   /* without trailing slashes (but "/" stays 1) */
  const char *given;    /* in WfRoots.given */
  gsize given_len;      /* likewise */
} Root;

struct _WfRoots {
  gatomicrefcount ref_count;
  GStrv given;
  GArray *roots;        /* Root, one per given path */
  gboolean report_as_given;
  gboolean any_relative;
};

static gsize
trimmed_length (const char *path)
{
  gsize len = strlen (path);

  while (len > 1 && path[len - 1] == '/')
    len--;
  return len;
}

static void
root_clear (gpointer data)
{
  Root *root = data;

  g_free (root->absolute);
}

WfRoots *
wf_roots_new (const char *const *given)
{
  WfRoots *roots = g_new0 (WfRoots, 1);
  g_autofree char *cwd = NULL;

  g_atomic_ref_count_init (&roots->ref_count);
  roots->given = g_strdupv ((GStrv) given);
  if (roots->given == NULL)
    roots->given = g_new0 (char *, 1);
  roots->roots = g_array_new (FALSE, TRUE, sizeof (Root));
  g_array_set_clear_func (roots->roots, root_clear);

  for (guint i = 0; roots->given[i] != NULL; i++)
    {
      const char *path = roots->given[i];
      Root root = { .given = path, .given_len = trimmed_length (path) };

      /* "" is refused before any backend sees it: it stays "". */
      if (g_path_is_absolute (path) || *path == '\0')
        root.absolute = g_strdup (path);
      else
        {
          if (cwd == NULL)
            cwd = g_get_current_dir ();
          root.absolute = g_str_has_suffix (cwd, "/") ? g_strconcat (cwd, path, NULL)
                                                       : g_strconcat (cwd, "/", path, NULL);
          roots->any_relative = TRUE;
        }
      root.absolute_len = trimmed_length (root.absolute);
      g_array_append_val (roots->roots, root);
    }
  return roots;
}

WfRoots *
wf_roots_ref (WfRoots *roots)
{
  g_atomic_ref_count_inc (&roots->ref_count);
  return roots;
}

void
wf_roots_unref (WfRoots *roots)
{
  if (roots == NULL || !g_atomic_ref_count_dec (&roots->ref_count))
    return;
  g_array_unref (roots->roots);
  g_strfreev (roots->given);
  g_free (roots);
}

void
wf_roots_set_report_as_given (WfRoots *roots, gboolean as_given)
{
  roots->report_as_given = as_given;
}

const char *
wf_roots_get_absolute (WfRoots *roots, guint index)
{
  g_return_val_if_fail (index < roots->roots->len, NULL);
  return g_array_index (roots->roots, Root, index).absolute;
}

static const Root *
find_root (WfRoots *roots, const char *path)
{
  const Root *best = NULL;

  for (guint i = 0; i < roots->roots->len; i++)
    {
      const Root *root = &g_array_index (roots->roots, Root, i);
      gsize len = root->absolute_len;

      if (len == 0 || (best != NULL && len <= best->absolute_len))
        continue;
      if (strncmp (path, root->absolute, len) == 0 &&
          (path[len] == '\0' || path[len] == '/' || root->absolute[len - 1] == '/'))
        best = root;
    }
  return best;
}

static gboolean
reported_as_given (WfRoots *roots, const Root *root)
{
  return roots->report_as_given && !g_path_is_absolute (root->given);
}

const char *
wf_roots_find_reported (WfRoots *roots, const char *path)
{
  const Root *root = find_root (roots, path);

  if (root == NULL)
    return NULL;
  return reported_as_given (roots, root) ? root->given : root->absolute;
}

char *
wf_roots_to_reported (WfRoots *roots, const char *path)
{
  const Root *root;

  if (!roots->report_as_given || !roots->any_relative)
    return NULL;
  root = find_root (roots, path);
  if (root == NULL || !reported_as_given (roots, root))
    return NULL;
  /* The root itself, exactly as given ("x/" stays "x/"). */
  if (strcmp (path, root->absolute) == 0)
    return g_strdup (root->given);
  /* Whatever the backend appended to the root (trailing slashes aside). */
  return g_strdup_printf ("%.*s%s", (int) root->given_len, root->given, path + root->absolute_len);
}

gboolean
wf_roots_split_reported (WfRoots *roots, const char *path, guint *index, const char **relative)
{
  gsize best_len = 0;
  gboolean found = FALSE;

  for (guint i = 0; i < roots->roots->len; i++)
    {
      const Root *root = &g_array_index (roots->roots, Root, i);
      const char *form = reported_as_given (roots, root) ? root->given : root->absolute;
      gsize len = reported_as_given (roots, root) ? root->given_len : root->absolute_len;

      if (len == 0 || (found && len <= best_len))
        continue;
      if (strncmp (path, form, len) == 0 &&
          (path[len] == '\0' || path[len] == '/' || form[len - 1] == '/'))
        {
          found = TRUE;
          best_len = len;
          *index = i;
        }
    }
  if (found)
    {
      const char *rest = path + best_len;

      while (*rest == '/')
        rest++;
      *relative = rest;
    }
  return found;
}
