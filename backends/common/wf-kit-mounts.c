/* SPDX-License-Identifier: MIT */
/* wf-kit-mounts.c: the mount table, and the polled filesystems in it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "wf-kit-mounts.h"
#include "wf-kit-path.h"

gboolean
wf_kit_fs_type_matches (const char *fs_type, const char *const *patterns)
{
  for (guint i = 0; patterns != NULL && patterns[i] != NULL; i++)
    {
      const char *pattern = patterns[i];
      gsize len = strlen (pattern);

      if (len >= 2 && pattern[len - 2] == '.' && pattern[len - 1] == '*')
        {
          /* "fuse.*": "fuse.sshfs", not "fuse" itself nor "fuseblk". */
          if (strncmp (fs_type, pattern, len - 1) == 0 && fs_type[len - 1] != '\0')
            return TRUE;
        }
      else if (strcmp (fs_type, pattern) == 0)
        {
          return TRUE;
        }
    }
  return FALSE;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape (const char *field)
{
  GString *out = g_string_new (NULL);

  for (const char *p = field; *p != '\0'; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
          p[3] >= '0' && p[3] <= '7')
        {
          g_string_append_c (out, (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
          p += 3;
        }
      else
        {
          g_string_append_c (out, *p);
        }
    }
  return g_string_free (out, FALSE);
}

typedef struct {
  char *mount_point;
  char *fs_type;
} Mount;

static void
mount_clear (gpointer data)
{
  Mount *mount = data;

  g_free (mount->mount_point);
  g_free (mount->fs_type);
}

/* Every mount, in table order (later mounts over earlier ones). */
static GArray *
read_mount_table (void)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *mounts = g_array_new (FALSE, FALSE, sizeof (Mount));

  g_array_set_clear_func (mounts, mount_clear);
  if (!g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, NULL))
    return mounts;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* "36 35 98:0 /root /mount/point opts [optional...] - type source sopts" */
      g_auto (GStrv) fields = g_strsplit (lines[i], " ", -1);
      guint n = g_strv_length (fields);
      Mount mount;
      guint dash;

      if (n < 7)
        continue;
      for (dash = 6; dash < n && strcmp (fields[dash], "-") != 0; dash++)
        ;
      if (dash + 1 >= n)
        continue;
      mount.mount_point = unescape (fields[4]);
      mount.fs_type = unescape (fields[dash + 1]);
      g_array_append_val (mounts, mount);
    }
  return mounts;
}

static char *
polled_entry (const char *path, const char *fs_type)
{
  gsize path_len = strlen (path);
  gsize type_len = strlen (fs_type);
  char *entry = g_malloc (path_len + type_len + 2);

  memcpy (entry, path, path_len + 1);
  memcpy (entry + path_len + 1, fs_type, type_len + 1);
  return entry;
}

GPtrArray *
wf_kit_mounts_find_polled (const char *root, const char *const *patterns, gboolean recursive)
{
  GPtrArray *polled = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) mounts = NULL;
  g_autofree char *real_root = NULL;
  const Mount *holder = NULL;
  gsize holder_len = 0;

  if (patterns == NULL || patterns[0] == NULL)
    return polled;
#ifdef _WIN32
  /* No mount table here (read_mount_table() finds none): nothing polled. */
  real_root = _fullpath (NULL, root, 0);
#else
  real_root = realpath (root, NULL);
#endif
  if (real_root == NULL)
    return polled;
  mounts = read_mount_table ();

  for (guint i = 0; i < mounts->len; i++)
    {
      const Mount *mount = &g_array_index (mounts, Mount, i);
      gsize len = strlen (mount->mount_point);

      /* The last, deepest mount containing the root holds it. */
      if (wf_kit_path_is_within (real_root, mount->mount_point) && len >= holder_len)
        {
          holder = mount;
          holder_len = len;
        }
    }
  if (holder != NULL && wf_kit_fs_type_matches (holder->fs_type, patterns))
    {
      g_ptr_array_add (polled, polled_entry (root, holder->fs_type));
      /* Everything below is polled with it. */
      return polled;
    }
  if (!recursive)
    return polled;

  for (guint i = 0; i < mounts->len; i++)
    {
      const Mount *mount = &g_array_index (mounts, Mount, i);
      g_autoptr (GString) path = NULL;
      gboolean covered = FALSE;

      if (strcmp (mount->mount_point, real_root) == 0 || !wf_kit_path_is_within (mount->mount_point, real_root) ||
          !wf_kit_fs_type_matches (mount->fs_type, patterns))
        continue;
      path = g_string_new (root);
      wf_kit_path_append_name (path, mount->mount_point + strlen (real_root) + (real_root[1] != '\0' ? 1 : 0));
      /* A mount inside one already polled is polled with it. */
      for (guint j = 0; j < polled->len && !covered; j++)
        covered = wf_kit_path_is_within (path->str, polled->pdata[j]);
      if (!covered)
        g_ptr_array_add (polled, polled_entry (path->str, mount->fs_type));
    }
  return polled;
}
