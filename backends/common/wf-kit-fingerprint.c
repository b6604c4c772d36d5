/* SPDX-License-Identifier: MIT */
/* wf-kit-fingerprint.c: stat fields per OS, and the change rule. */
#include "config.h"

#include "wf-kit-fingerprint.h"
#include "wf-kit-dir-reader.h"

#define NS_PER_S G_GINT64_CONSTANT (1000000000)

#if defined(__APPLE__)
#define WF_KIT_MTIME_NS(st) ((gint64) (st)->st_mtimespec.tv_sec * NS_PER_S + (st)->st_mtimespec.tv_nsec)
#define WF_KIT_CTIME_NS(st) ((gint64) (st)->st_ctimespec.tv_sec * NS_PER_S + (st)->st_ctimespec.tv_nsec)
#elif defined(_WIN32)
/* The last write time in 100 ns ticks (wf-kit-dir-reader.h says where
 * wf_kit_stat_entry() keeps them), from 1601; no ctime there (st_ctime is
 * the creation time, in seconds). */
#define WF_KIT_MTIME_NS(st) \
  (((gint64) (st)->WF_KIT_ST_WRITE_TICKS - G_GINT64_CONSTANT (116444736000000000)) * 100)
#define WF_KIT_CTIME_NS(st) ((gint64) (st)->st_ctime * NS_PER_S)
#else
#define WF_KIT_MTIME_NS(st) ((gint64) (st)->st_mtim.tv_sec * NS_PER_S + (st)->st_mtim.tv_nsec)
#define WF_KIT_CTIME_NS(st) ((gint64) (st)->st_ctim.tv_sec * NS_PER_S + (st)->st_ctim.tv_nsec)
#endif

void
wf_kit_fingerprint_from_stat (WfKitFingerprint *fingerprint, const struct stat *st)
{
  fingerprint->mtime_ns = WF_KIT_MTIME_NS (st);
  fingerprint->ctime_ns = WF_KIT_CTIME_NS (st);
  fingerprint->size = st->st_size;
  fingerprint->ino = st->st_ino;
  fingerprint->dev = st->st_dev;
  fingerprint->mode = st->st_mode;
}

WfKitChange
wf_kit_fingerprint_compare (const WfKitFingerprint *old, const WfKitFingerprint *now)
{
  gboolean same_file = old->ino == now->ino && old->dev == now->dev;

  if ((old->mode & S_IFMT) != (now->mode & S_IFMT))
    return WF_KIT_CHANGE_REPLACED;

  if (S_ISDIR (now->mode))
    {
      /* A directory's times and size move whenever entries come or go;
       * those entries are reported themselves, as a kernel does. */
      if (!same_file)
        return WF_KIT_CHANGE_REPLACED;
      return old->mode != now->mode ? WF_KIT_CHANGE_METADATA : WF_KIT_CHANGE_NONE;
    }

  /* A new inode under the same name is an editor's atomic save: the
   * modification the user made. */
  if (old->mtime_ns != now->mtime_ns || old->size != now->size || !same_file)
    return WF_KIT_CHANGE_DATA;
  if (old->ctime_ns != now->ctime_ns || old->mode != now->mode)
    return WF_KIT_CHANGE_METADATA;
  return WF_KIT_CHANGE_NONE;
}

WfKitChange
wf_kit_fingerprint_compare_since (gboolean was_dir, gint64 since_ns, const WfKitFingerprint *now)
{
  if (was_dir != wf_kit_fingerprint_is_dir (now))
    return WF_KIT_CHANGE_REPLACED;
  if (now->ctime_ns < since_ns)
    return WF_KIT_CHANGE_NONE;
  /* Entries coming and going move a directory's ctime together with its
   * mtime, and are reported themselves; a ctime alone (chmod, chown) is
   * the directory's own change.  A directory replaced by another one
   * cannot be told from this without its inode. */
  if (was_dir)
    return now->ctime_ns != now->mtime_ns ? WF_KIT_CHANGE_METADATA : WF_KIT_CHANGE_NONE;
  return WF_KIT_CHANGE_DATA;
}
