/* SPDX-License-Identifier: MIT */
/* wf-kit-dir-reader.c: one directory listing, ignore rules first.  On
 * POSIX by directory descriptors (openat, fstatat: a directory renamed
 * while listed is still the one listed); on Windows, which has none, by
 * path with GDir and GetFileAttributesExW (below). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include "wf-kit-dir-reader.h"
#include "wf-kit-path.h"

#ifndef _WIN32
#ifdef __linux__
/* As glibc's readdir() reads. */
#define READER_BUFFER_SIZE (32 * 1024)

static int
reader_open_stream (WfKitDirReader *reader, int fd)
{
  reader->fd = fd;
  reader->buffer = g_malloc (READER_BUFFER_SIZE);
  reader->buffer_pos = reader->buffer_len = 0;
  return 0;
}

/* The next entry's name, NULL at the end (errno 0) or on an error (errno
 * set), as readdir(). */
static const char *
reader_read_name (WfKitDirReader *reader)
{
  const struct dirent64 *dirent;

  if (reader->buffer_pos >= reader->buffer_len)
    {
      ssize_t n = getdents64 (reader->fd, reader->buffer, READER_BUFFER_SIZE);

      if (n <= 0)
        {
          /* A directory deleted while it is read may say ENOENT: the end,
           * as readdir() takes it. */
          if (n == 0 || errno == ENOENT)
            errno = 0;
          return NULL;
        }
      reader->buffer_pos = 0;
      reader->buffer_len = (gsize) n;
    }
  dirent = (const struct dirent64 *) (gconstpointer) (reader->buffer + reader->buffer_pos);
  reader->buffer_pos += dirent->d_reclen;
  reader->type = dirent->d_type;
  return dirent->d_name;
}

int
wf_kit_dir_reader_get_fd (WfKitDirReader *reader)
{
  return reader->fd;
}

static void
reader_close_stream (WfKitDirReader *reader)
{
  if (reader->buffer != NULL)
    {
      if (!reader->borrowed)
        close (reader->fd);
      reader->fd = -1;
    }
  g_clear_pointer (&reader->buffer, g_free);
}
#else
static int
reader_open_stream (WfKitDirReader *reader, int fd)
{
  reader->stream = fdopendir (fd);
  return reader->stream != NULL ? 0 : errno;
}

static const char *
reader_read_name (WfKitDirReader *reader)
{
  struct dirent *dirent = readdir (reader->stream);

  if (dirent == NULL)
    return NULL;
#ifdef DT_UNKNOWN
  reader->type = dirent->d_type;
#else
  reader->type = 0;
#endif
  return dirent->d_name;
}

int
wf_kit_dir_reader_get_fd (WfKitDirReader *reader)
{
  return dirfd (reader->stream);
}

static void
reader_close_stream (WfKitDirReader *reader)
{
  g_clear_pointer (&reader->stream, closedir);
}
#endif

static void
reader_init (WfKitDirReader *reader, GString *path, WfIgnoreRules *ignore_rules, const char *rules_root)
{
  *reader = (WfKitDirReader) {
    .path = path,
    .dir_len = path->len,
    .ignore_rules = ignore_rules,
    .rules_root = rules_root,
  };
}

/* Lists the directory open as @fd (-1: the errno of the call that made
 * it), closed with the reader; 0 or the errno. */
static int
reader_take_fd (WfKitDirReader *reader, int fd)
{
  int errsv;

  if (fd < 0)
    return errno;
  errsv = reader_open_stream (reader, fd);
  if (errsv != 0)
    close (fd);
  return errsv;
}

int
wf_kit_dir_reader_open_borrowed (WfKitDirReader *reader, int dir_fd, GString *path,
                                 WfIgnoreRules *ignore_rules, const char *rules_root)
{
  reader_init (reader, path, ignore_rules, rules_root);
#ifdef __linux__
  reader->borrowed = TRUE;
  return reader_open_stream (reader, dir_fd);
#else
  /* fdopendir() takes the descriptor it is given: a copy of the
   * caller's (sharing its offset). */
  return reader_take_fd (reader, fcntl (dir_fd, F_DUPFD_CLOEXEC, 0));
#endif
}

int
wf_kit_dir_reader_open (WfKitDirReader *reader, int parent_fd, const char *name,
                        gboolean no_follow, GString *path,
                        WfIgnoreRules *ignore_rules, const char *rules_root)
{
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | (no_follow ? O_NOFOLLOW : 0);

  reader_init (reader, path, ignore_rules, rules_root);
  return reader_take_fd (reader, openat (parent_fd, name, flags));
}

const char *
wf_kit_dir_reader_next (WfKitDirReader *reader, int *errsv)
{
  for (;;)
    {
      const char *name;

      g_string_truncate (reader->path, reader->dir_len);
      errno = 0;
      name = reader_read_name (reader);
      if (name == NULL)
        {
          *errsv = errno;
          return NULL;
        }
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
        continue;
      wf_kit_path_append_name (reader->path, name);
      if (wf_kit_ignores (reader->ignore_rules, reader->rules_root, reader->path->str))
        continue;
      *errsv = 0;
      return name;
    }
}

void
wf_kit_dir_reader_close (WfKitDirReader *reader)
{
  reader_close_stream (reader);
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
#else /* _WIN32 */

/* A reader's "descriptor" is its place, from 1, in this thread's stack of
 * open readers (a walk opens a directory's reader, then its children's,
 * and closes them in the reverse order); through it wf_kit_stat_entry()
 * finds the directory's path, the first dir_len bytes of the reader's
 * path buffer. */
static GPrivate open_readers = G_PRIVATE_INIT ((GDestroyNotify) g_ptr_array_unref);

static GPtrArray *
thread_readers (void)
{
  GPtrArray *readers = g_private_get (&open_readers);

  if (readers == NULL)
    {
      readers = g_ptr_array_new ();
      g_private_set (&open_readers, readers);
    }
  return readers;
}

static int
errno_from_file_error (const GError *error)
{
  if (error->domain != G_FILE_ERROR)
    return EIO;
  switch (error->code)
    {
    case G_FILE_ERROR_NOENT:
      return ENOENT;
    case G_FILE_ERROR_ACCES:
    case G_FILE_ERROR_PERM:
      return EACCES;
    case G_FILE_ERROR_NOTDIR:
      return ENOTDIR;
    case G_FILE_ERROR_NAMETOOLONG:
      return ENAMETOOLONG;
    default:
      return EIO;
    }
}

/* @parent_fd and @name are not needed: @path holds the directory's path.
 * @no_follow is not honoured (GDir follows a reparse point). */
int
wf_kit_dir_reader_open (WfKitDirReader *reader, G_GNUC_UNUSED int parent_fd, G_GNUC_UNUSED const char *name,
                        G_GNUC_UNUSED gboolean no_follow, GString *path,
                        WfIgnoreRules *ignore_rules, const char *rules_root)
{
  GError *error = NULL;

  *reader = (WfKitDirReader) {
    .path = path,
    .dir_len = path->len,
    .ignore_rules = ignore_rules,
    .rules_root = rules_root,
  };
  reader->dir = g_dir_open (path->str, 0, &error);
  if (reader->dir == NULL)
    {
      int errsv = errno_from_file_error (error);
      g_error_free (error);
      return errsv;
    }
  g_ptr_array_add (thread_readers (), reader);
  return 0;
}

const char *
wf_kit_dir_reader_next (WfKitDirReader *reader, int *errsv)
{
  const char *name;

  /* g_dir_read_name() skips "." and "..", and says nothing of errors. */
  *errsv = 0;
  for (;;)
    {
      g_string_truncate (reader->path, reader->dir_len);
      name = g_dir_read_name (reader->dir);
      if (name == NULL)
        return NULL;
      wf_kit_path_append_name (reader->path, name);
      if (!wf_kit_ignores (reader->ignore_rules, reader->rules_root, reader->path->str))
        return name;
    }
}

int
wf_kit_dir_reader_get_fd (WfKitDirReader *reader)
{
  guint index;

  return g_ptr_array_find (thread_readers (), reader, &index) ? (int) index + 1 : -1;
}

void
wf_kit_dir_reader_close (WfKitDirReader *reader)
{
  g_ptr_array_remove (thread_readers (), reader);
  g_clear_pointer (&reader->dir, g_dir_close);
  g_string_truncate (reader->path, reader->dir_len);
}

static gint64
unix_seconds (const FILETIME *ft)
{
  guint64 t = (guint64) ft->dwHighDateTime << 32 | ft->dwLowDateTime;

  return (gint64) ((t - G_GUINT64_CONSTANT (116444736000000000)) / 10000000);
}

/* GetFileAttributesExW, not g_stat: g_stat opens the file, and an open
 * handle, even one shared for deletion, makes another program's rename
 * over that file fail (measured under wine: an editor's atomic save, or
 * g_file_set_contents, fails with "Permission denied" while a rescan
 * holds it).  What it lacks (an inode, the link count) is left 0; a
 * reparse point (symlink, junction) is described as itself, not
 * followed, whatever @follow_symlinks says. */
gboolean
wf_kit_stat_entry (int dir_fd, const char *name, G_GNUC_UNUSED gboolean follow_symlinks, struct stat *st)
{
  GPtrArray *readers = thread_readers ();
  g_autofree char *path = NULL;
  g_autofree gunichar2 *wide = NULL;
  WIN32_FILE_ATTRIBUTE_DATA data;

  if (dir_fd == AT_FDCWD)
    path = g_strdup (name);
  else if (dir_fd >= 1 && (guint) dir_fd <= readers->len)
    {
      WfKitDirReader *reader = readers->pdata[dir_fd - 1];
      path = g_strdup_printf ("%.*s/%s", (int) reader->dir_len, reader->path->str, name);
    }
  else
    {
      errno = EBADF;
      return FALSE;
    }
  wide = g_utf8_to_utf16 (path, -1, NULL, NULL, NULL);
  if (wide == NULL)
    {
      errno = EINVAL;
      return FALSE;
    }
  if (!GetFileAttributesExW ((const wchar_t *) wide, GetFileExInfoStandard, &data))
    {
      DWORD error = GetLastError ();
      errno = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND ? ENOENT
              : error == ERROR_ACCESS_DENIED || error == ERROR_SHARING_VIOLATION ? EACCES : EIO;
      return FALSE;
    }
  memset (st, 0, sizeof *st);
  if (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
    st->st_mode = S_IFDIR | 0755;
  else
    st->st_mode = S_IFREG | ((data.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0644);
  st->st_size = (off_t) ((guint64) data.nFileSizeHigh << 32 | data.nFileSizeLow);
  st->st_mtime = (time_t) unix_seconds (&data.ftLastWriteTime);
  st->st_ctime = (time_t) unix_seconds (&data.ftCreationTime);
  st->WF_KIT_ST_WRITE_TICKS = (time_t) ((guint64) data.ftLastWriteTime.dwHighDateTime << 32 |
                                         data.ftLastWriteTime.dwLowDateTime);
  st->st_nlink = 1;
  return TRUE;
}

#endif /* _WIN32 */

gboolean
wf_kit_dir_still_at (const char *path, gboolean follow_symlinks, const struct stat *st)
{
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      struct stat now;

      if (!wf_kit_stat_entry (AT_FDCWD, path, follow_symlinks, &now))
        {
          if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
            return TRUE;
          continue;
        }
#ifdef _WIN32
      /* No identity to compare there (GetFileAttributesExW has none: st_ino
       * and st_dev 0, and the CRT's stat, which a root once went through,
       * gives a drive number): only that a directory is still at the path.
       * Found under wine: every listing was dropped, nothing was watched. */
      if (st->st_ino == 0)
        return S_ISDIR (now.st_mode);
#endif
      return now.st_dev == st->st_dev && now.st_ino == st->st_ino;
    }
  return FALSE;
}
