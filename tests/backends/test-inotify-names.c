/* SPDX-License-Identifier: MIT */
/* test-inotify-names.c: the inotify backend's packed, journaled name set
 * (backends/inotify/inotify-names.c) against a plain hash set, under
 * random adds and removes (repeats included, as events make them),
 * lookups, and folds of the journal into the sorted run.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "inotify-names.h"

/* Names sharing prefixes and suffixes, as a tree's do. */
static char *
random_name (GRand *rand)
{
  static const char *const stems[] = { "file_", "file_0", "f", "dir", "a", "zz", "file_01.txt" };

  return g_strdup_printf ("%s%u%s", stems[g_rand_int_range (rand, 0, G_N_ELEMENTS (stems))],
                          g_rand_int_range (rand, 0, 60), g_rand_boolean (rand) ? ".txt" : "");
}

static void
assert_same (WfNameSet *set, GHashTable *model)
{
  GHashTableIter iter;
  gpointer name;
  WfNameIter names;
  const char *previous = NULL;
  g_autofree char *previous_copy = NULL;
  guint n = 0;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_assert_true (wf_name_set_contains (set, name));

  wf_name_set_compact (set);
  wf_name_iter_init (&names, set);
  while ((previous = wf_name_iter_next (&names)) != NULL)
    {
      g_assert_true (g_hash_table_contains (model, previous));
      if (previous_copy != NULL)
        g_assert_cmpint (strcmp (previous_copy, previous), <, 0);
      g_free (previous_copy);
      previous_copy = g_strdup (previous);
      n++;
    }
  g_assert_cmpuint (n, ==, g_hash_table_size (model));
}

static void
test_against_model (void)
{
  for (guint32 seed = 1; seed <= 40; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(GHashTable) model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      WfNameSet set;
      const char *none[] = { NULL };

      wf_name_set_init_sorted (&set, none, 0);
      for (guint step = 0; step < 3000; step++)
        {
          g_autofree char *name = random_name (rand);
          guint op = g_rand_int_range (rand, 0, 10);

          if (op < 5)
            {
              /* Often the same name twice running, as writes repeat. */
              wf_name_set_add (&set, name);
              if (op == 0)
                wf_name_set_add (&set, name);
              g_hash_table_add (model, g_strdup (name));
            }
          else if (op < 8)
            {
              wf_name_set_remove (&set, name);
              g_hash_table_remove (model, name);
            }
          else
            g_assert_cmpint (wf_name_set_contains (&set, name), ==, g_hash_table_contains (model, name));
          if (step % 500 == 499)
            assert_same (&set, model);
        }
      assert_same (&set, model);
      wf_name_set_clear (&set);
    }
}

/* A name added, removed and added again in the journal: the last record
 * decides, and a repeat of it adds nothing. */
static void
test_journal_order (void)
{
  const char *sorted[] = { "a", "b", "c" };
  WfNameSet set;

  wf_name_set_init_sorted (&set, sorted, G_N_ELEMENTS (sorted));
  wf_name_set_remove (&set, "b");
  g_assert_false (wf_name_set_contains (&set, "b"));
  wf_name_set_add (&set, "b");
  wf_name_set_add (&set, "b");
  g_assert_true (wf_name_set_contains (&set, "b"));
  wf_name_set_add (&set, "bb");
  g_assert_true (wf_name_set_contains (&set, "bb"));
  g_assert_false (wf_name_set_contains (&set, "d"));
  wf_name_set_remove (&set, "a");
  g_assert_false (wf_name_set_contains (&set, "a"));
  g_assert_true (wf_name_set_contains (&set, "c"));
  wf_name_set_compact (&set);
  g_assert_false (wf_name_set_contains (&set, "a"));
  g_assert_true (wf_name_set_contains (&set, "bb"));
  wf_name_set_clear (&set);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inotify/names/against-model", test_against_model);
  g_test_add_func ("/inotify/names/journal-order", test_journal_order);
  return g_test_run ();
}
