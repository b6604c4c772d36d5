/* SPDX-License-Identifier: MIT */
/* inotify-names.h: the entry names of one watched directory, packed.
 *
 * A resync has to know which names each directory had, and holding them for
 * a 100,000-file tree must cost little more than the names themselves.  So a
 * name set is a single buffer: a sorted run of names followed by a journal
 * of "+name" / "-name" records that events append in O(1).
 *
 * The run is front- and back-coded: each name is stored as the lengths of
 * the prefix and of the suffix it shares with the name before it (a byte
 * each: names are at most NAME_MAX bytes) and the middle, NUL-terminated.
 * Sorted neighbours such as "file_017.txt" and "file_018.txt" share all but
 * a byte or two, which cuts such a tree to a third.  The journal is
 * folded into the run once it outgrows half of it, so a burst of N creates
 * in one directory costs O(N log N) overall, not O(N^2).
 */
#pragma once

#include <limits.h>

#include <glib.h>

/* No capacity field: data is exactly sorted_len bytes while the journal is
 * empty, and journal_capacity(len) bytes otherwise (see the .c file). */
typedef struct {
  char *data;
  guint32 sorted_len;  /* bytes of the sorted run at the start of data */
  guint32 len;         /* sorted run plus journal */
} WfNameSet;

/* Walks a compacted set in strcmp() order. */
typedef struct {
  const char *next;
  const char *end;
  gsize name_len;
  char name[NAME_MAX + 1];
} WfNameIter;

/* @names: sorted by strcmp(), without duplicates, each at most NAME_MAX
 * bytes (longer ones cannot be looked up anyway and are left out). */
void wf_name_set_init_sorted (WfNameSet *set, const char *const *names, guint n_names);
void wf_name_set_clear (WfNameSet *set);

void wf_name_set_add (WfNameSet *set, const char *name);
void wf_name_set_remove (WfNameSet *set, const char *name);

/* Linear in the set's size: used only for removals in the window after
 * a resync or a hand-over (wf_inotify_event_holds()). */
gboolean wf_name_set_contains (const WfNameSet *set, const char *name);

/* Folds the journal into the sorted run; iteration needs this first. */
void wf_name_set_compact (WfNameSet *set);

void wf_name_iter_init (WfNameIter *iter, const WfNameSet *set);
/* Returns the next name (valid until the next call), or NULL at the end. */
const char *wf_name_iter_next (WfNameIter *iter);
