/* SPDX-License-Identifier: MIT */
/* wf-kit-dir-reader.h: listing one directory the way every backend must:
 * "." and ".." skipped, ignored entries dropped before anything is spent
 * on them (DESIGN rule 5), the entry's path kept in one reused buffer.
 */
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <glib.h>

#include "watchfiles-backend.h"

G_BEGIN_DECLS

/* Windows has no directory descriptors (wf-kit-dir-reader.c lists by
 * path there); AT_FDCWD still names "a root, by its path". */
#if defined(_WIN32) && !defined(AT_FDCWD)
#define AT_FDCWD (-100)
#endif
#if defined(_WIN32) && !defined(DT_UNKNOWN)
#define DT_UNKNOWN 0
#endif

/* Windows: the CRT's struct stat has whole seconds only, and an atomic
 * save at the same size within one second looked like no change (found
 * under wine).  wf_kit_stat_entry() puts the last write time's 100 ns
 * ticks (since 1601) in st_atime there, a field the kit never reads for
 * what it is; wf-kit-fingerprint.c reads them back. */
#ifdef _WIN32
#define WF_KIT_ST_WRITE_TICKS st_atime
#endif

typedef struct {
#ifdef __linux__
  /* getdents64() straight into a buffer: fdopendir() would fstat() the
   * descriptor and set its flags with two fcntl() calls for each
   * directory, none of which a descriptor opened with O_DIRECTORY and
   * O_CLOEXEC needs, and allocate its own 32 KiB. */
  int fd;
  guint8 *buffer;
  gsize buffer_pos, buffer_len;
#else
  DIR *stream;
#endif
  /* The d_type of the entry last returned (DT_UNKNOWN: not said). */
  guint8 type;
  /* open_borrowed: the descriptor is the caller's, left open at close. */
  gboolean borrowed;
#ifdef _WIN32
  GDir *dir;
#endif
  /* The directory's path; while iterating, followed by "/name" of the
   * entry last returned. */
  GString *path;
  gsize dir_len;
  WfIgnoreRules *ignore_rules;  /* NULL: nothing ignored */
  const char *rules_root;       /* the watch root the rules are relative to */
} WfKitDirReader;

/* Opens the directory @name of @parent_fd (AT_FDCWD with an absolute or
 * relative path for a root), whose path is in @path.  @no_follow: refuse
 * a symlink there (it may have replaced the directory since it was
 * stat'ed).  Returns 0, or the errno of the failure. */
int wf_kit_dir_reader_open (WfKitDirReader *reader, int parent_fd, const char *name,
                            gboolean no_follow, GString *path,
                            WfIgnoreRules *ignore_rules, const char *rules_root);

#ifndef _WIN32
/* Lists the directory already open as @dir_fd (from its current offset:
 * a descriptor just opened lists it whole), whose path is in @path; the
 * descriptor stays the caller's, open after wf_kit_dir_reader_close().
 * For a backend that opens a directory for its own reasons first (to
 * watch it) and must not open it twice.  Returns 0, or the errno. */
int wf_kit_dir_reader_open_borrowed (WfKitDirReader *reader, int dir_fd, GString *path,
                                     WfIgnoreRules *ignore_rules, const char *rules_root);
#endif

/* The next entry that no rule ignores, its path in reader->path; NULL at
 * the end, with *errsv 0, or the errno that cut the listing short. */
const char *wf_kit_dir_reader_next (WfKitDirReader *reader, int *errsv);

int wf_kit_dir_reader_get_fd (WfKitDirReader *reader);

/* What the listing said the entry last returned is (DT_DIR, DT_LNK, ...),
 * saving a stat: DT_UNKNOWN when the file system (or Windows) does not
 * say, and then only a stat can tell. */
static inline guint8
wf_kit_dir_reader_get_type (const WfKitDirReader *reader)
{
  return reader->type;
}

/* Closes the directory and puts reader->path back to its path. */
void wf_kit_dir_reader_close (WfKitDirReader *reader);

/* stat() of the entry @name of the directory @dir_fd.  Following
 * symlinks, a dangling or looping one is still an entry: the link itself
 * is returned.  FALSE with errno set. */
gboolean wf_kit_stat_entry (int dir_fd, const char *name, gboolean follow_symlinks, struct stat *st);

/* Does a rule hide @path, below @rules_root? */
static inline gboolean
wf_kit_ignores (WfIgnoreRules *ignore_rules, const char *rules_root, const char *path)
{
  return ignore_rules != NULL && wf_ignore_rules_matches_entry (ignore_rules, rules_root, path);
}

G_END_DECLS
