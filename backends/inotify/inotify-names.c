/* SPDX-License-Identifier: MIT */
/* inotify-names.c: the prefix/suffix-coded, journaled name set of
 * inotify-names.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "inotify-names.h"

#define JOURNAL_ADD    '+'
#define JOURNAL_REMOVE '-'

/* Below this many journal bytes folding is not worth a sort. */
#define JOURNAL_MIN_FOLD 512

/* Two length bytes and the terminating NUL. */
#define RECORD_OVERHEAD 3

typedef struct {
  const char *name;
  guint32 sequence;
  gboolean added;
} JournalRecord;

/* Appends coded names to a growing buffer, remembering the last name. */
typedef struct {
  char *data;
  gsize len;
  gsize alloc;
  char previous[NAME_MAX + 1];
  gsize previous_len;
} Encoder;

static void
shared_parts (const char *previous, gsize previous_len, const char *name, gsize name_len,
              gsize *prefix, gsize *suffix)
{
  gsize limit = MIN (previous_len, name_len);
  gsize p = 0;
  gsize s = 0;

  while (p < limit && previous[p] == name[p])
    p++;
  /* The suffix may not reuse bytes the prefix took, in either name. */
  while (s < limit - p && previous[previous_len - 1 - s] == name[name_len - 1 - s])
    s++;
  *prefix = p;
  *suffix = s;
}

static void
encode (Encoder *encoder, const char *name)
{
  gsize name_len = strlen (name);
  gsize prefix;
  gsize suffix;
  gsize middle_len;

  shared_parts (encoder->previous, encoder->previous_len, name, name_len, &prefix, &suffix);
  middle_len = name_len - prefix - suffix;
  if (encoder->len + RECORD_OVERHEAD + middle_len > encoder->alloc)
    {
      encoder->alloc = MAX (encoder->len + RECORD_OVERHEAD + middle_len,
                            encoder->alloc + encoder->alloc / 2 + 64);
      encoder->data = g_realloc (encoder->data, encoder->alloc);
    }

  encoder->data[encoder->len] = (char) (guint8) prefix;
  encoder->data[encoder->len + 1] = (char) (guint8) suffix;
  memcpy (encoder->data + encoder->len + 2, name + prefix, middle_len);
  encoder->data[encoder->len + 2 + middle_len] = '\0';
  encoder->len += RECORD_OVERHEAD + middle_len;

  memcpy (encoder->previous, name, name_len + 1);
  encoder->previous_len = name_len;
}

/* Makes @encoder's output the set's sorted run, exactly sized. */
static void
finish (WfNameSet *set, Encoder *encoder)
{
  g_assert (encoder->len <= G_MAXUINT32);
  g_free (set->data);
  if (encoder->len > 0)
    {
      set->data = g_realloc (encoder->data, encoder->len);
    }
  else
    {
      g_free (encoder->data);
      set->data = NULL;
    }
  set->sorted_len = set->len = (guint32) encoder->len;
}

void
wf_name_set_init_sorted (WfNameSet *set, const char *const *names, guint n_names)
{
  Encoder encoder = { NULL, 0, 0, { 0 }, 0 };
  gsize upper_bound = 0;

  for (guint i = 0; i < n_names; i++)
    upper_bound += RECORD_OVERHEAD + strlen (names[i]);
  /* Sized once for the worst case, trimmed by finish(). */
  encoder.alloc = upper_bound;
  encoder.data = upper_bound > 0 ? g_malloc (upper_bound) : NULL;

  for (guint i = 0; i < n_names; i++)
    if (strlen (names[i]) <= NAME_MAX)
      encode (&encoder, names[i]);

  set->data = NULL;
  finish (set, &encoder);
}

void
wf_name_set_clear (WfNameSet *set)
{
  g_clear_pointer (&set->data, g_free);
  set->sorted_len = set->len = 0;
}

static void
iter_init_run (WfNameIter *iter, const char *run, gsize run_len)
{
  iter->next = run;
  iter->end = run + run_len;
  iter->name_len = 0;
  iter->name[0] = '\0';
}

void
wf_name_iter_init (WfNameIter *iter, const WfNameSet *set)
{
  g_assert (set->len == set->sorted_len);
  iter_init_run (iter, set->data, set->sorted_len);
}

const char *
wf_name_iter_next (WfNameIter *iter)
{
  const char *record = iter->next;
  gsize prefix;
  gsize suffix;
  gsize middle_len;

  if (record == NULL || record >= iter->end)
    return NULL;

  prefix = (guint8) record[0];
  suffix = (guint8) record[1];
  middle_len = strlen (record + 2);
  /* The suffix is the tail of the previous name; move it first, the
   * middle overwrites where it was. */
  memmove (iter->name + prefix + middle_len, iter->name + iter->name_len - suffix, suffix);
  memcpy (iter->name + prefix, record + 2, middle_len);
  iter->name_len = prefix + middle_len + suffix;
  iter->name[iter->name_len] = '\0';
  iter->next = record + RECORD_OVERHEAD + middle_len;
  return iter->name;
}

static int
compare_records (const void *a, const void *b)
{
  const JournalRecord *ra = a;
  const JournalRecord *rb = b;
  int by_name = strcmp (ra->name, rb->name);

  if (by_name != 0)
    return by_name;
  return ra->sequence < rb->sequence ? -1 : ra->sequence > rb->sequence;
}

void
wf_name_set_compact (WfNameSet *set)
{
  const char *journal_end = set->data + set->len;
  const char *journal = set->data + set->sorted_len;
  Encoder encoder = { NULL, 0, 0, { 0 }, 0 };
  JournalRecord *records;
  guint n_records = 0;
  guint n_final = 0;
  WfNameIter run;
  const char *run_name;

  if (set->len == set->sorted_len)
    return;

  for (const char *p = journal; p < journal_end; p += strlen (p) + 1)
    n_records++;

  records = g_new (JournalRecord, n_records);
  n_records = 0;
  for (const char *p = journal; p < journal_end; p += strlen (p) + 1)
    {
      records[n_records].name = p + 1;
      records[n_records].sequence = n_records;
      records[n_records].added = p[0] == JOURNAL_ADD;
      n_records++;
    }
  qsort (records, n_records, sizeof *records, compare_records);

  /* Only the last record for a name counts. */
  for (guint i = 0; i < n_records; i++)
    {
      if (i + 1 < n_records && strcmp (records[i].name, records[i + 1].name) == 0)
        continue;
      records[n_final++] = records[i];
    }

  encoder.alloc = set->len + set->len / 4;
  encoder.data = g_malloc (encoder.alloc);
  iter_init_run (&run, set->data, set->sorted_len);
  run_name = wf_name_iter_next (&run);

  for (guint i = 0; run_name != NULL || i < n_final;)
    {
      int order = run_name == NULL ? 1 : i >= n_final ? -1 : strcmp (run_name, records[i].name);

      if (order < 0)
        {
          encode (&encoder, run_name);
          run_name = wf_name_iter_next (&run);
          continue;
        }
      if (records[i].added)
        encode (&encoder, records[i].name);
      if (order == 0)
        run_name = wf_name_iter_next (&run);
      i++;
    }
  g_free (records);

  finish (set, &encoder);
}

/* The allocated size of a set whose journal is not empty: the next power
 * of two, so appends reallocate O(log n) times. */
static gsize
journal_capacity (gsize len)
{
  gsize capacity = 64;

  while (capacity < len)
    capacity *= 2;
  return capacity;
}

static void
append_record (WfNameSet *set, char op, const char *name)
{
  gsize name_size = strlen (name) + 1;
  gsize needed = (gsize) set->len + 1 + name_size;
  gsize capacity = set->len == set->sorted_len ? set->len : journal_capacity (set->len);

  if (name_size > NAME_MAX + 1)
    return;
  /* A repeat of the last record changes nothing: a file written again and
   * again makes its name known once per event. */
  if (set->len > set->sorted_len)
    {
      const char *journal = set->data + set->sorted_len;
      const char *last = set->data + set->len - 1;

      while (last > journal && last[-1] != '\0')
        last--;
      if (last[0] == op && strcmp (last + 1, name) == 0)
        return;
    }
  g_assert (needed <= G_MAXUINT32);
  if (needed > capacity)
    set->data = g_realloc (set->data, journal_capacity (needed));
  set->data[set->len] = op;
  memcpy (set->data + set->len + 1, name, name_size);
  set->len = (guint32) needed;

  if (set->len - set->sorted_len > MAX (JOURNAL_MIN_FOLD, set->sorted_len / 2))
    wf_name_set_compact (set);
}

void
wf_name_set_add (WfNameSet *set, const char *name)
{
  append_record (set, JOURNAL_ADD, name);
}

void
wf_name_set_remove (WfNameSet *set, const char *name)
{
  append_record (set, JOURNAL_REMOVE, name);
}

gboolean
wf_name_set_contains (const WfNameSet *set, const char *name)
{
  const char *journal_end = set->data + set->len;
  const char *last = NULL;
  WfNameIter run;
  const char *run_name;

  /* The last record for it decides; without one, the sorted run. */
  for (const char *p = set->data + set->sorted_len; p < journal_end; p += strlen (p) + 1)
    if (strcmp (p + 1, name) == 0)
      last = p;
  if (last != NULL)
    return last[0] == JOURNAL_ADD;

  iter_init_run (&run, set->data, set->sorted_len);
  while ((run_name = wf_name_iter_next (&run)) != NULL)
    {
      int order = strcmp (run_name, name);

      if (order >= 0)
        return order == 0;
    }
  return FALSE;
}
