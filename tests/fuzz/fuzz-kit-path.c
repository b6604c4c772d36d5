/* SPDX-License-Identifier: MIT */
/* fuzz-kit-path.c: the kit's path helpers (backends/common/wf-kit-path.c)
 * on arbitrary bytes: two strings cut from the input at its first NUL, a
 * directory and a name.  Checked, besides ASan and UBSan: a join is within
 * its directory and ends with the name, the basename of a join is the name
 * when it has no slash, a path is within itself, an absolute form is
 * absolute and ends with the path, and the nearest existing ancestor is
 * "/", "." or a directory that is a leading part of the path. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "wf-kit-path.h"
#include "wf-fuzz-fatal.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  wf_fuzz_make_failures_fatal ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *bytes = g_malloc (size + 2);
  g_autofree char *absolute = NULL;
  g_autofree char *ancestor = NULL;
  g_autoptr(GString) joined = NULL;
  const char *dir, *name;
  gsize dir_len;

  memcpy (bytes, data, size);
  bytes[size] = '\0';
  bytes[size + 1] = '\0';
  dir = bytes;
  dir_len = strlen (dir);
  name = dir_len < size ? bytes + dir_len + 1 : bytes + size + 1;

  g_assert_true (wf_kit_path_is_within (dir, dir));

  joined = g_string_new (dir);
  wf_kit_path_append_name (joined, name);
  g_assert_true (g_str_has_suffix (joined->str, name));
  g_assert_true (g_str_has_prefix (joined->str, dir));
  if (*name != '\0')
    g_assert_true (wf_kit_path_is_within (joined->str, dir));
  if (*name != '\0' && strchr (name, '/') == NULL)
    g_assert_cmpstr (wf_kit_path_basename (joined->str), ==, name);
  g_assert_true (wf_kit_path_basename (dir) >= dir && wf_kit_path_basename (dir) <= dir + dir_len);

  /* Relative forms are joined to the working directory, which is the
   * fuzzer's: nothing is created, only looked up. */
  absolute = wf_kit_path_make_absolute (dir);
  g_assert_true (g_path_is_absolute (absolute));
  g_assert_true (g_str_has_suffix (absolute, dir));

  ancestor = wf_kit_path_nearest_existing_ancestor (dir);
  if (strcmp (ancestor, "/") != 0 && strcmp (ancestor, ".") != 0)
    {
      struct stat st;

      g_assert_true (g_str_has_prefix (dir, ancestor));
      g_assert_true (dir[strlen (ancestor)] == '/');
      g_assert_true (stat (ancestor, &st) == 0 && S_ISDIR (st.st_mode));
    }
  return 0;
}
