/* SPDX-License-Identifier: MIT */
/* fuzz-ignore-rules.c: WfIgnoreRules built from arbitrary bytes and matched
 * against arbitrary byte paths.  The input is lines; the first byte of each
 * says what it is: 'D' starts from watchfiles' default rules, 'd' a
 * directory name, 'e' a name pattern (a regular expression on raw bytes),
 * 'p' a path prefix, 'g' a glob, 'r' the root paths are matched under (an
 * empty one: none), anything else a path to match.  Rules may be refused
 * with a GError (never a critical: those abort here, as G_DEBUG's
 * fatal-criticals makes them in the tests).  Checked, besides ASan and
 * UBSan: the walkers' fast form agrees with the full one whenever the
 * parent is not ignored, and a path below an ignored one is ignored
 * (when it is below the root). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <watchfiles.h>

#include "wf-fuzz-fatal.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  wf_fuzz_make_failures_fatal ();
  return 0;
}

/* @path without its last component ("" when it has one only). */
static char *
parent_of (const char *path)
{
  gsize len = strlen (path);

  while (len > 0 && path[len - 1] == '/')
    len--;
  while (len > 0 && path[len - 1] != '/')
    len--;
  while (len > 0 && path[len - 1] == '/')
    len--;
  return g_strndup (path, len);
}

/* Whether @path is strictly below @root (always, when @root is NULL), the
 * way wf_ignore_rules_matches() reads a root: trailing slashes aside. */
static gboolean
is_below (const char *root, const char *path)
{
  gsize root_len;

  if (root == NULL)
    return TRUE;
  root_len = strlen (root);
  while (root_len > 1 && root[root_len - 1] == '/')
    root_len--;
  if (strncmp (path, root, root_len) != 0)
    return FALSE;
  return path[root_len] == '/' || (root_len == 1 && root[0] == '/' && path[1] != '\0');
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(WfIgnoreRules) rules = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  const char *root = NULL;
  guint first = 0;

  if (lines[0] != NULL && lines[0][0] == 'D')
    {
      rules = wf_ignore_rules_new_default ();
      first = 1;
    }
  else
    rules = wf_ignore_rules_new ();

  for (guint i = first; lines[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      const char *arg = lines[i][0] != '\0' ? lines[i] + 1 : lines[i];
      gboolean ok = TRUE;

      switch (lines[i][0])
        {
        case 'd':
          ok = wf_ignore_rules_add_dir_name (rules, arg, &error);
          break;
        case 'e':
          ok = wf_ignore_rules_add_entity_pattern (rules, arg, &error);
          break;
        case 'p':
          ok = wf_ignore_rules_add_path_prefix (rules, arg, &error);
          break;
        case 'g':
          ok = wf_ignore_rules_add_glob (rules, arg, &error);
          break;
        case 'r':
          root = *arg != '\0' ? arg : NULL;
          break;
        default:
          g_ptr_array_add (paths, lines[i]);
          break;
        }
      /* A refusal says why; an acceptance leaves no error behind. */
      g_assert_true (ok == (error == NULL));
      if (error != NULL)
        g_assert_true (error->message != NULL && *error->message != '\0');
    }
  wf_ignore_rules_seal (rules);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      g_autofree char *parent = parent_of (path);
      gboolean full = wf_ignore_rules_matches (rules, root, path);
      gboolean entry = wf_ignore_rules_matches_entry (rules, root, path);
      g_autofree char *child = g_strconcat (path, "/x", NULL);

      if (*parent == '\0' || !wf_ignore_rules_matches (rules, root, parent))
        {
          if (full != entry)
            g_error ("matches() says %d, matches_entry() %d, for \"%s\" under root \"%s\"",
                     full, entry, path, root != NULL ? root : "(none)");
        }
      /* Only below the root: the root itself is watched whatever its
       * name, so a name rule that ignores the root's ancestor "x" does
       * not ignore the root "x/x". */
      if (full && is_below (root, child) && !wf_ignore_rules_matches (rules, root, child))
        g_error ("\"%s\" is ignored but \"%s\" is not (root \"%s\")", path, child,
                 root != NULL ? root : "(none)");
    }
  return 0;
}
