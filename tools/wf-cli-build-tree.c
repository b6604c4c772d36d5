/* SPDX-License-Identifier: MIT */
/* wf-cli-build-tree.c: the tool run from its build tree finds that tree's
 * backend modules by itself, so `build/tools/watchfiles` works without
 * `meson devenv` (whose Python wrapper answers Ctrl+C with a traceback).
 *
 * It knows it runs uninstalled when the file /proc/self/exe points to is
 * the very file (same device and inode) that the build wrote at
 * WF_CLI_BUILD_TOOL: an
 * installed copy is another file, so it never looks into a build tree,
 * even if the build tree is still there.  The build tree's module
 * directories are then searched after those of WATCHFILES_BACKEND_DIR (so
 * these still win) and before the installed directory.  The command of run
 * mode gets the environment as it was.
 */
#include "config.h"

#include <sys/stat.h>

#include "wf-cli.h"
#include "wf-cli-build-tree.h"

static gboolean from_build_tree;
static char *original_backend_dir;   /* WATCHFILES_BACKEND_DIR as it was */

gboolean
wf_cli_build_tree_setup (void)
{
  struct stat self, built;
  const char *dirs = g_getenv ("WATCHFILES_BACKEND_DIR");
  /* Its target, not the link: valgrind answers a readlink() of it with
   * its client's path, but a stat() with its own program. */
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *joined = NULL;

  if (exe == NULL || stat (exe, &self) != 0 || stat (WF_CLI_BUILD_TOOL, &built) != 0 ||
      self.st_dev != built.st_dev || self.st_ino != built.st_ino || *WF_CLI_BUILD_BACKEND_DIRS == '\0')
    return FALSE;
  original_backend_dir = g_strdup (dirs);
  joined = dirs != NULL && *dirs != '\0' ? g_strconcat (dirs, G_SEARCHPATH_SEPARATOR_S, WF_CLI_BUILD_BACKEND_DIRS, NULL)
                                         : g_strdup (WF_CLI_BUILD_BACKEND_DIRS);
  /* First thing in main(): no other thread reads the environment yet. */
  g_setenv ("WATCHFILES_BACKEND_DIR", joined, TRUE);
  from_build_tree = TRUE;
  return TRUE;
}

char **
wf_cli_child_environ (void)
{
  char **envp = g_get_environ ();

  if (!from_build_tree)
    return envp;
  if (original_backend_dir != NULL)
    return g_environ_setenv (envp, "WATCHFILES_BACKEND_DIR", original_backend_dir, TRUE);
  return g_environ_unsetenv (envp, "WATCHFILES_BACKEND_DIR");
}
