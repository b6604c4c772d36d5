/* SPDX-License-Identifier: MIT */
/* test-fnmatch.c: the fnmatch() the ignore rules use on Windows
 * (core/wf-fnmatch.c, mingw has none) against glibc's, on a table of
 * rule-like globs and on random short patterns, both with flags 0 and
 * FNM_PATHNAME.  The two differences its header documents are left out of
 * the random part and checked as such. */
#include <fnmatch.h>
#include <string.h>

#include <glib.h>

int wf_fnmatch (const char *pattern, const char *string, int flags);

static void
compare (const char *pattern, const char *string, int flags)
{
  int theirs = fnmatch (pattern, string, flags) == 0;
  int ours = wf_fnmatch (pattern, string, flags) == 0;

  if (theirs != ours)
    g_test_message ("\"%s\" on \"%s\" (flags %d): glibc %d, ours %d", pattern, string, flags, theirs, ours);
  g_assert_cmpint (theirs, ==, ours);
}

static void
test_table (void)
{
  static const char *patterns[] = {
    "*.py", "*", "?", "a?c", "[abc]x", "[!a]*", "[^a-c]", "[a-]", "[]]", "[]a]", "\\*", "*.[ch]",
    "a/*", "*/b", "**/x", "src/*.c", "[a-c-e]", "*a*b*c", "[\\]]", "a*", "*~", "#*#", ".*", "[z-a]",
    "[!]]x", "x\\", "\\\\", "*/*/*", ".git", "__pycache__", "*.sw?", "node_modules", "\\/",
  };
  static const char *strings[] = {
    "a.py", "", "a", "abc", "bx", "b", "ax", "d", "-", "]", "*", "x.c", "a/b", "x/b", "a/x", "src/m.c",
    "src/a/m.c", "e", "aXbYc", "ab", "a~", "#a#", ".hidden", "z", "]x", "x\\", "\\", "a/b/c", ".git",
    "x.swp", "/", "a[",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (patterns); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (strings); j++)
      for (int flags = 0; flags <= FNM_PATHNAME; flags += FNM_PATHNAME)
        compare (patterns[i], strings[j], flags);
}

/* Those documented as different. */
static gboolean
documented_difference (const char *pattern)
{
  const char *star = strchr (pattern, '*');

  for (const char *p = pattern; (p = strchr (p, '[')) != NULL; p++)
    if (strchr (p + 1, ']') == NULL)
      return TRUE;
  return star != NULL && strstr (star, "\\/") != NULL;
}

static void
test_random (void)
{
  static const char pattern_chars[] = "ab/*?[]!-\\c.";
  static const char string_chars[] = "ab/c.-][";
  GRand *rand = g_rand_new_with_seed (1);
  guint n = 0;

  for (int k = 0; k < 200000; k++)
    {
      char pattern[8], string[8];
      int lp = g_rand_int_range (rand, 0, 7), ls = g_rand_int_range (rand, 0, 7);

      for (int i = 0; i < lp; i++)
        pattern[i] = pattern_chars[g_rand_int_range (rand, 0, sizeof pattern_chars - 1)];
      pattern[lp] = '\0';
      for (int i = 0; i < ls; i++)
        string[i] = string_chars[g_rand_int_range (rand, 0, sizeof string_chars - 1)];
      string[ls] = '\0';
      if (documented_difference (pattern))
        continue;
      compare (pattern, string, 0);
      compare (pattern, string, FNM_PATHNAME);
      n++;
    }
  g_test_message ("%u random patterns compared", n);
  g_rand_free (rand);
}

static void
test_documented_differences (void)
{
  g_assert_cmpint (fnmatch ("[*-", "[ac-", 0), !=, 0);
  g_assert_cmpint (wf_fnmatch ("[*-", "[ac-", 0), ==, 0);
  g_assert_cmpint (fnmatch ("*\\/", "a/", FNM_PATHNAME), !=, 0);
  g_assert_cmpint (wf_fnmatch ("*\\/", "a/", FNM_PATHNAME), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fnmatch/table", test_table);
  g_test_add_func ("/fnmatch/random", test_random);
  g_test_add_func ("/fnmatch/documented-differences", test_documented_differences);
  return g_test_run ();
}
