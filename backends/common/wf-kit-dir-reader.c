/* SPDX-License-Identifier: MIT */
/* wf-kit-dir-reader.c: one directory listing, ignore rules first. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wf-kit-dir-reader.h"
#include "wf-kit-path.h"

int
wf_kit_dir_reader_open (WfKitDirReader *reader, int parent_fd, const char *name,
                        gboolean no_follow, GString *path,
                        WfIgnoreRules *ignore_rules, const char *rules_root)
{
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | (no_follow ? O_NOFOLLOW : 0);
  int fd;

  *reader = (WfKitDirReader) {
    .path = path,
    .dir_len = path->len,
    .ignore_rules = ignore_rules,
    .rules_root = rules_root,
  };
  fd = openat (parent_fd, name, flags);
  if (fd < 0)
    return errno;
  reader->stream = fdopendir (fd);
  if (reader->stream == NULL)
    {
      int errsv = errno;
      close (fd);
      return errsv;
    }
  return 0;
}

const char *
wf_kit_dir_reader_next (WfKitDirReader *reader, int *errsv)
{
  for (;;)
    {
      struct dirent *dirent;
      const char *name;

      g_string_truncate (reader->path, reader->dir_len);
      errno = 0;
      dirent = readdir (reader->stream);
      if (dirent == NULL)
        {
          *errsv = errno;
          return NULL;
        }
      name = dirent->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
        continue;
      wf_kit_path_append_name (reader->path, name);
      if (wf_kit_ignores (reader->ignore_rules, reader->rules_root, reader->path->str))
        continue;
      *errsv = 0;
      return name;
    }
}

int
wf_kit_dir_reader_get_fd (WfKitDirReader *reader)
{
  return dirfd (reader->stream);
}

void
wf_kit_dir_reader_close (WfKitDirReader *reader)
{
  g_clear_pointer (&reader->stream, closedir);
  g_string_truncate (reader->path, reader->dir_len);
}

gboolean
wf_kit_stat_entry (int dir_fd, const char *name, gboolean follow_symlinks, struct stat *st)
{
  if (!follow_symlinks)
    return fstatat (dir_fd, name, st, AT_SYMLINK_NOFOLLOW) == 0;
  if (fstatat (dir_fd, name, st, 0) == 0)
    return TRUE;
  if (errno != ENOENT && errno != ELOOP)
    return FALSE;
  return fstatat (dir_fd, name, st, AT_SYMLINK_NOFOLLOW) == 0;
}
