/* SPDX-License-Identifier: MIT */
/* test-ignore-rules.c: WfIgnoreRules on its own, no file system: watchfiles'
 * DefaultFilter lists (spec 2.5) name by name, paths relative to the watch
 * root, plain string prefixes, name and path globs, names that are not
 * UTF-8, the errors of bad patterns and globs, sealing, and the walkers'
 * matches_entry() agreeing with matches().
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include <watchfiles.h>

#define ROOT "/srv/app"

static void
assert_matches (WfIgnoreRules *rules, const char *root, const char *path, gboolean expected)
{
  gboolean got = wf_ignore_rules_matches (rules, root, path);

  if (got != expected)
    {
      g_autofree char *escaped = g_strescape (path, NULL);

      g_test_fail_printf ("matches (root %s, path %s): expected %s", root != NULL ? root : "(null)",
                          escaped, expected ? "TRUE" : "FALSE");
    }
}

static void
assert_entry (WfIgnoreRules *rules, const char *root, const char *path, gboolean expected)
{
  gboolean got = wf_ignore_rules_matches_entry (rules, root, path);

  if (got != expected)
    {
      g_autofree char *escaped = g_strescape (path, NULL);

      g_test_fail_printf ("matches_entry (root %s, path %s): expected %s", root != NULL ? root : "(null)",
                          escaped, expected ? "TRUE" : "FALSE");
    }
}

/* @name directly below ROOT, and deeper, through both functions. */
static void
assert_name (WfIgnoreRules *rules, const char *name, gboolean expected)
{
  g_autofree char *direct = g_strdup_printf (ROOT "/%s", name);
  g_autofree char *nested = g_strdup_printf (ROOT "/src/pkg/%s", name);

  assert_matches (rules, ROOT, direct, expected);
  assert_entry (rules, ROOT, direct, expected);
  assert_matches (rules, ROOT, nested, expected);
  assert_entry (rules, ROOT, nested, expected);
}

/* ---- watchfiles' DefaultFilter ------------------------------------------- */

static const char *const default_dir_names[] = {
  "__pycache__", ".git", ".hg", ".svn", ".tox", ".venv", ".idea", "node_modules",
  ".mypy_cache", ".pytest_cache", ".hypothesis",
};

static void
test_default_dir_names (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  g_assert_false (wf_ignore_rules_is_empty (rules));
  g_assert_false (wf_ignore_rules_is_sealed (rules));

  for (gsize i = 0; i < G_N_ELEMENTS (default_dir_names); i++)
    {
      const char *name = default_dir_names[i];
      g_autofree char *below = g_strdup_printf (ROOT "/%s/lib/x.txt", name);
      g_autofree char *deep_below = g_strdup_printf (ROOT "/a/%s/b/c", name);
      g_autofree char *longer = g_strdup_printf ("%sx", name);
      g_autofree char *shorter = g_strndup (name, strlen (name) - 1);
      g_autofree char *prefixed = g_strdup_printf ("x%s", name);
      g_autofree char *as_suffix = g_strdup_printf ("a.%s", name);

      /* The directory itself and everything under it. */
      assert_name (rules, name, TRUE);
      assert_matches (rules, ROOT, below, TRUE);
      assert_matches (rules, ROOT, deep_below, TRUE);
      /* Exact names only: parts are compared whole (spec 2.5 step 2). */
      assert_name (rules, longer, FALSE);
      assert_name (rules, shorter, FALSE);
      assert_name (rules, prefixed, FALSE);
      assert_name (rules, as_suffix, FALSE);
    }

  /* Dropped from the list in v0.23.0 (watchfiles#249, #234). */
  assert_name (rules, "site-packages", FALSE);
  assert_name (rules, ".github", FALSE);
  assert_name (rules, "node_module", FALSE);
  assert_name (rules, "NODE_MODULES", FALSE);
}

typedef struct {
  const char *pattern;
  const char *const ignored[6];
  const char *const kept[6];
} PatternCase;

/* Each of the seven ignore_entity_patterns, searched in a name. */
static const PatternCase default_pattern_cases[] = {
  { "\\.py[cod]$", { "x.pyc", "x.pyo", "x.pyd", ".pyc", "a.b.pyc" },
    { "x.py", "x.pyx", "x.pyc.txt", "x.pycc", "pyc" } },
  { "\\.___jb_...___$", { "x.py.___jb_tmp___", "a.___jb_old___", ".___jb_bak___" },
    { "a.___jb_tmp__", "a.___jb_tmp___.txt", "a.___jb_toolong___", "a___jb_tmp___" } },
  { "\\.sw.$", { ".x.swp", "a.swo", "a.swx", ".swp" },
    { "a.sw", "a.swpx", "aswp", "a.swp.bak" } },
  { "~$", { "a.txt~", "~", "4913~" },
    { "a~b", "~a", "a.txt" } },
  { "^\\.\\#", { ".#a.txt", ".#", ".#lock" },
    { "a.#b", "#a#", ".a#", "x.#y" } },
  { "^\\.DS_Store$", { ".DS_Store" },
    { "x.DS_Store", ".DS_Store2", "DS_Store", ".ds_store" } },
  { "^flycheck_", { "flycheck_a.py", "flycheck_" },
    { "a_flycheck_b.py", "flycheck.py", "xflycheck_a" } },
};

static void
test_default_patterns (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  for (gsize i = 0; i < G_N_ELEMENTS (default_pattern_cases); i++)
    {
      const PatternCase *c = &default_pattern_cases[i];
      g_autoptr(WfIgnoreRules) alone = wf_ignore_rules_new ();
      g_autoptr(GError) error = NULL;

      /* Each pattern alone, so that a positive example is known to be
       * caught by the pattern it illustrates, and within the defaults. */
      g_assert_true (wf_ignore_rules_add_entity_pattern (alone, c->pattern, &error));
      g_assert_no_error (error);
      for (gsize j = 0; j < G_N_ELEMENTS (c->ignored) && c->ignored[j] != NULL; j++)
        {
          assert_name (alone, c->ignored[j], TRUE);
          assert_name (rules, c->ignored[j], TRUE);
        }
      for (gsize j = 0; j < G_N_ELEMENTS (c->kept) && c->kept[j] != NULL; j++)
        {
          assert_name (alone, c->kept[j], FALSE);
          assert_name (rules, c->kept[j], FALSE);
        }
    }

  /* Ordinary source files go through. */
  assert_name (rules, "main.py", FALSE);
  assert_name (rules, "README.md", FALSE);
  assert_name (rules, "index.js", FALSE);
}

/* The default patterns skip most searches with a quick test of their own
 * (see wf-ignore-rules.c); the same expressions spelt otherwise always
 * search.  Both must agree on every name, odd endings included. */
static void
test_default_patterns_fast_path (void)
{
  static const char *const stems[] = {
    "", "x", ".", ".#", ".D", ".DS_Store", "flycheck_", "flycheck", "f", "a.py", "a.pyc", "a.pyx",
    ".sw", "a.swp", "a.sw", "~", "a~", ".___jb_", ".___jb_tmp___", "a.___jb_tm___", "main.c",
    "\xff", "a.py\xff", "\xe9t\xe9",
  };
  static const char *const endings[] = {
    "", "c", "o", "d", "~", "\n", "\r", "\r\n", "\v", "\f", "\x85", "x", "___", "p",
  };
  g_autoptr(WfIgnoreRules) fast = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) plain = wf_ignore_rules_new ();
  guint n_ignored = 0;
  guint n_names = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (default_pattern_cases); i++)
    {
      g_autofree char *spelt_otherwise = g_strdup_printf ("(?:%s)", default_pattern_cases[i].pattern);

      g_assert_true (wf_ignore_rules_add_entity_pattern (fast, default_pattern_cases[i].pattern, NULL));
      g_assert_true (wf_ignore_rules_add_entity_pattern (plain, spelt_otherwise, NULL));
    }

  for (gsize s = 0; s < G_N_ELEMENTS (stems); s++)
    for (gsize e = 0; e < G_N_ELEMENTS (endings); e++)
      for (gsize e2 = 0; e2 < G_N_ELEMENTS (endings); e2++)
        {
          g_autofree char *name = g_strconcat (stems[s], endings[e], endings[e2], NULL);
          g_autofree char *path = g_strdup_printf (ROOT "/%s", name);
          gboolean expected;

          if (*name == '\0')
            continue;
          expected = wf_ignore_rules_matches_entry (plain, ROOT, path);
          n_names++;
          n_ignored += expected;
          assert_entry (fast, ROOT, path, expected);
          assert_matches (fast, ROOT, path, expected);
        }
  g_test_message ("%u names, %u ignored", n_names, n_ignored);
  g_assert_cmpuint (n_ignored, >, 100);
  g_assert_cmpuint (n_names - n_ignored, >, 100);
}

/* A name matched by a pattern hides what is below it too: a backend never
 * descends into a directory it ignores. */
static void
test_pattern_on_directory (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  assert_matches (rules, ROOT, ROOT "/backup~/file.txt", TRUE);
  assert_matches (rules, ROOT, ROOT "/flycheck_dir/a/b.txt", TRUE);
  assert_matches (rules, ROOT, ROOT "/src/main.py", FALSE);
}

/* ---- root-relative matching ------------------------------------------------ */

static void
test_root_relative (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  /* A name above the root hides nothing (unlike watchfiles'). */
  assert_matches (rules, "/home/u/.venv/lib", "/home/u/.venv/lib/site.py", FALSE);
  assert_entry (rules, "/home/u/.venv/lib", "/home/u/.venv/lib/site.py", FALSE);
  assert_matches (rules, "/w/node_modules/pkg", "/w/node_modules/pkg/a/b.js", FALSE);
  /* Without a root every component counts, as in watchfiles. */
  assert_matches (rules, NULL, "/home/u/.venv/lib/site.py", TRUE);

  /* The root itself is never ignored by a name or pattern. */
  assert_matches (rules, "/w/node_modules", "/w/node_modules", FALSE);
  assert_entry (rules, "/w/node_modules", "/w/node_modules", FALSE);
  assert_matches (rules, "/w/x.pyc", "/w/x.pyc", FALSE);
  assert_entry (rules, "/w/x.pyc", "/w/x.pyc", FALSE);
  /* ...but its own ignored names are. */
  assert_matches (rules, "/w/node_modules", "/w/node_modules/node_modules/x", TRUE);
  assert_entry (rules, "/w/node_modules", "/w/node_modules/node_modules", TRUE);

  /* Trailing slashes of the root do not matter. */
  assert_matches (rules, "/w/.git/", "/w/.git/objects", FALSE);
  assert_matches (rules, "/w/.git/", "/w/.git/.git", TRUE);
  assert_entry (rules, "/w/.git//", "/w/.git/objects", FALSE);

  /* The root "/". */
  assert_matches (rules, "/", "/node_modules/x", TRUE);
  assert_entry (rules, "/", "/node_modules", TRUE);
  assert_matches (rules, "/", "/usr/lib", FALSE);
  assert_entry (rules, "/", "/usr", FALSE);
  assert_matches (rules, "/", "/", FALSE);

  /* A root as a relative path, as the poll backend reports it, and joined
   * to the working directory without normalising, as inotify does. */
  assert_matches (rules, ".", "./.git/HEAD", TRUE);
  assert_matches (rules, ".", "./src/a.c", FALSE);
  assert_matches (rules, "/cwd/.venv/./proj", "/cwd/.venv/./proj/src", FALSE);
  assert_matches (rules, "rel/.tox", "rel/.tox/py3", FALSE);

  /* "/w/.venv" is no ancestor of "/w/.venvx/...": a path outside the root
   * is looked at whole. */
  assert_matches (rules, "/w/.venv", "/w/.venvx/a", FALSE);
  assert_matches (rules, "/w/.venv", "/w/.venv2/.venv/a", TRUE);
}

/* ---- path prefixes --------------------------------------------------------- */

static void
test_path_prefix (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) slash = wf_ignore_rules_new ();

  wf_ignore_rules_add_path_prefix (rules, "/a/b", NULL);
  g_assert_false (wf_ignore_rules_is_empty (rules));

  /* A plain string prefix of the whole path (spec 2.5 step 4). */
  assert_matches (rules, "/a", "/a/b", TRUE);
  assert_matches (rules, "/a", "/a/b/c/d", TRUE);
  assert_matches (rules, "/a", "/a/bc", TRUE);
  assert_matches (rules, "/a", "/a/bc/d", TRUE);
  assert_entry (rules, "/a", "/a/bc", TRUE);
  assert_entry (rules, "/a", "/a/b", TRUE);
  assert_matches (rules, "/a", "/a/c", FALSE);
  assert_matches (rules, "/a", "/a/a/b", FALSE);
  assert_matches (rules, "/a", "/ab", FALSE);
  /* Matched on the whole path, whatever the root: even the root. */
  assert_matches (rules, "/a/b", "/a/b", TRUE);
  assert_matches (rules, NULL, "/a/bx", TRUE);
  /* Not a component or a relative path: "b" is not "/a/b". */
  assert_matches (rules, "/x", "/x/a/b", FALSE);

  wf_ignore_rules_add_path_prefix (slash, "/a/b/", NULL);
  assert_matches (slash, "/a", "/a/b", FALSE);
  assert_matches (slash, "/a", "/a/bc", FALSE);
  assert_matches (slash, "/a", "/a/b/c", TRUE);
  assert_entry (slash, "/a", "/a/b/c", TRUE);

  /* Relative prefixes match relative paths, as reported. */
  {
    g_autoptr(WfIgnoreRules) relative = wf_ignore_rules_new ();

    wf_ignore_rules_add_path_prefix (relative, "./build", NULL);
    assert_matches (relative, ".", "./build/x.o", TRUE);
    assert_matches (relative, ".", "./src/build", FALSE);
  }
}

/* ---- globs ----------------------------------------------------------------- */

static void
test_name_globs (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (wf_ignore_rules_add_glob (rules, "*.log", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "build", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "?.o", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "tmp[0-9]", &error));
  g_assert_no_error (error);

  /* Against every name below the root. */
  assert_name (rules, "a.log", TRUE);
  assert_name (rules, ".log", TRUE);
  assert_name (rules, "build", TRUE);
  assert_name (rules, "x.o", TRUE);
  assert_name (rules, "tmp7", TRUE);
  assert_matches (rules, ROOT, ROOT "/a.log/inside.txt", TRUE);
  assert_matches (rules, ROOT, ROOT "/build/out/x", TRUE);
  assert_matches (rules, ROOT, ROOT "/deep/er/build/x", TRUE);

  assert_name (rules, "a.logx", FALSE);
  assert_name (rules, "log", FALSE);
  assert_name (rules, "builds", FALSE);
  assert_name (rules, "rebuild", FALSE);
  assert_name (rules, "xy.o", FALSE);
  assert_name (rules, "tmpx", FALSE);
  assert_name (rules, "tmp10", FALSE);

  /* Not the root. */
  assert_matches (rules, "/w/build", "/w/build", FALSE);
  assert_matches (rules, "/w/build", "/w/build/a.c", FALSE);
}

static void
test_path_globs (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (wf_ignore_rules_add_glob (rules, "out/*.o", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "/dist", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "*/tmp", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "cache/", &error));
  g_assert_no_error (error);

  /* Anchored at the root, "*" not crossing "/". */
  assert_matches (rules, ROOT, ROOT "/out/a.o", TRUE);
  assert_entry (rules, ROOT, ROOT "/out/a.o", TRUE);
  assert_matches (rules, ROOT, ROOT "/out/a.o/deeper", TRUE);
  assert_matches (rules, ROOT, ROOT "/out", FALSE);
  assert_entry (rules, ROOT, ROOT "/out", FALSE);
  assert_matches (rules, ROOT, ROOT "/out/a.c", FALSE);
  assert_matches (rules, ROOT, ROOT "/out/sub/a.o", FALSE);
  assert_entry (rules, ROOT, ROOT "/out/sub/a.o", FALSE);
  assert_matches (rules, ROOT, ROOT "/x/out/a.o", FALSE);
  assert_entry (rules, ROOT, ROOT "/x/out/a.o", FALSE);

  /* A leading "/" anchors nothing more; a trailing one is dropped. */
  assert_matches (rules, ROOT, ROOT "/dist", TRUE);
  assert_entry (rules, ROOT, ROOT "/dist", TRUE);
  assert_matches (rules, ROOT, ROOT "/dist/app.js", TRUE);
  assert_matches (rules, ROOT, ROOT "/web/dist", FALSE);
  assert_matches (rules, ROOT, ROOT "/cache", TRUE);
  assert_entry (rules, ROOT, ROOT "/cache", TRUE);
  assert_matches (rules, ROOT, ROOT "/cache/x", TRUE);
  assert_matches (rules, ROOT, ROOT "/a/cache", FALSE);

  assert_matches (rules, ROOT, ROOT "/a/tmp", TRUE);
  assert_entry (rules, ROOT, ROOT "/a/tmp", TRUE);
  assert_matches (rules, ROOT, ROOT "/a/tmp/x", TRUE);
  assert_matches (rules, ROOT, ROOT "/tmp", FALSE);
  assert_matches (rules, ROOT, ROOT "/a/b/tmp", FALSE);

  /* Relative to the root given, so another root sees other paths. */
  assert_matches (rules, ROOT "/out", ROOT "/out/a.o", FALSE);
  assert_matches (rules, "/", "/dist", TRUE);
}

static void
test_empty_glob (void)
{
  static const char *const bad[] = { "", "/", "//", "///" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *quoted = g_strdup_printf ("“%s”", bad[i]);

      g_assert_false (wf_ignore_rules_add_glob (rules, bad[i], &error));
      g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, quoted));
      g_assert_true (wf_ignore_rules_is_empty (rules));
      /* NULL error is allowed too. */
      g_assert_false (wf_ignore_rules_add_glob (rules, bad[i], NULL));
      g_assert_true (wf_ignore_rules_is_empty (rules));
    }
}

/* ---- any file name --------------------------------------------------------- */

static void
test_non_utf8 (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(GError) error = NULL;

  wf_ignore_rules_add_dir_name (rules, "d\xff\xfe", NULL);
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "^\\xe9t\\xe9$", &error));
  g_assert_true (wf_ignore_rules_add_glob (rules, "*.\xe9", &error));
  g_assert_no_error (error);

  /* The patterns run on bytes: no UTF-8 check refuses or skips a name. */
  assert_name (rules, "x\xff.pyc", TRUE);
  assert_name (rules, "\xff\xfe~", TRUE);
  assert_name (rules, "\xff.py", FALSE);
  assert_name (rules, "\xff", FALSE);
  assert_name (rules, "d\xff\xfe", TRUE);
  assert_matches (rules, ROOT, ROOT "/d\xff\xfe/x", TRUE);
  assert_name (rules, "d\xff", FALSE);
  /* Latin-1 "été" as bytes. */
  assert_name (rules, "\xe9t\xe9", TRUE);
  assert_name (rules, "\xe9t\xe9s", FALSE);
  assert_name (rules, "a.\xe9", TRUE);
  assert_name (rules, "a.\xe9x", FALSE);
  /* The UTF-8 spelling is other bytes. */
  assert_name (rules, "\xc3\xa9t\xc3\xa9", FALSE);
  /* A non-UTF-8 component on the way to an ignored name. */
  assert_matches (rules, ROOT, ROOT "/\xff/.git/HEAD", TRUE);
  assert_matches (rules, ROOT, ROOT "/\xff/src/a.c", FALSE);
}

/* ---- bad patterns ---------------------------------------------------------- */

static void
test_invalid_pattern (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "\\.bak$", &error));
  g_assert_no_error (error);

  g_assert_false (wf_ignore_rules_add_entity_pattern (rules, "(unclosed", &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "“(unclosed”"));
  g_clear_error (&error);

  g_assert_false (wf_ignore_rules_add_entity_pattern (rules, "[z-a]", &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "“[z-a]”"));
  g_clear_error (&error);

  g_assert_false (wf_ignore_rules_add_entity_pattern (rules, "(", NULL));

  /* The refused patterns left no trace; the good one still works, and
   * more can be added. */
  assert_name (rules, "a.bak", TRUE);
  assert_name (rules, "unclosed", FALSE);
  assert_name (rules, "(", FALSE);
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "^core$", &error));
  g_assert_no_error (error);
  assert_name (rules, "core", TRUE);
  assert_name (rules, "a.bak", TRUE);
  assert_name (rules, "cores", FALSE);
}

/* Each pattern keeps its own meaning next to the others. */
static void
test_patterns_stay_independent (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  /* Joined into one expression, \\1 would name the first pattern's group. */
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "^(x)", &error));
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "^(b)\\1$", &error));
  /* The same group name in two patterns is fine, each alone. */
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "(?<ext>\\.tmp)$", &error));
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "^(?<ext>cache)$", &error));
  /* Valid alone, but it would quote the group's closing parenthesis once
   * joined to the others. */
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "y\\Q(", &error));
  g_assert_no_error (error);

  assert_name (rules, "xa", TRUE);
  assert_name (rules, "bb", TRUE);
  assert_name (rules, "bx", FALSE);
  assert_name (rules, "a.tmp", TRUE);
  assert_name (rules, "cache", TRUE);
  assert_name (rules, "y(", TRUE);
  assert_name (rules, "y", FALSE);

  /* Without groups the patterns are searched as one expression: same answers. */
  g_clear_object (&rules);
  rules = wf_ignore_rules_new ();
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "^x", &error));
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "y\\Q(", &error));
  g_assert_true (wf_ignore_rules_add_entity_pattern (rules, "\\.tmp$", &error));
  assert_name (rules, "xa", TRUE);
  assert_name (rules, "y(", TRUE);
  assert_name (rules, "a.tmp", TRUE);
  assert_name (rules, "a.tmpx", FALSE);
}

static void
test_invalid_names_and_prefixes (void)
{
  const char *bad_names[] = { "", ".", "..", "a/b", "node_modules/", "/" };
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      g_assert_false (wf_ignore_rules_add_dir_name (rules, bad_names[i], &error));
      g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_false (wf_ignore_rules_add_path_prefix (rules, "", &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* Nothing refused was kept: "." would have hidden /cwd/./x. */
  g_assert_true (wf_ignore_rules_is_empty (rules));
  assert_matches (rules, "/r", "/r/./x", FALSE);

  g_assert_true (wf_ignore_rules_add_dir_name (rules, "..x", &error));
  g_assert_no_error (error);
  assert_name (rules, "..x", TRUE);
}

static void
test_invalid_first_pattern (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (wf_ignore_rules_add_entity_pattern (rules, "*", &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT);
  g_assert_true (wf_ignore_rules_is_empty (rules));
  assert_name (rules, "anything", FALSE);
}

/* ---- emptiness and sealing ------------------------------------------------- */

static void
test_is_empty (void)
{
  g_autoptr(WfIgnoreRules) names = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) patterns = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) prefixes = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) name_globs = wf_ignore_rules_new ();
  g_autoptr(WfIgnoreRules) path_globs = wf_ignore_rules_new ();

  g_assert_true (wf_ignore_rules_is_empty (names));
  assert_matches (names, ROOT, ROOT "/.git", FALSE);
  assert_entry (names, ROOT, ROOT "/.git", FALSE);

  wf_ignore_rules_add_dir_name (names, "x", NULL);
  g_assert_true (wf_ignore_rules_add_entity_pattern (patterns, "x", NULL));
  wf_ignore_rules_add_path_prefix (prefixes, "/x", NULL);
  g_assert_true (wf_ignore_rules_add_glob (name_globs, "x*", NULL));
  g_assert_true (wf_ignore_rules_add_glob (path_globs, "a/x", NULL));
  g_assert_false (wf_ignore_rules_is_empty (names));
  g_assert_false (wf_ignore_rules_is_empty (patterns));
  g_assert_false (wf_ignore_rules_is_empty (prefixes));
  g_assert_false (wf_ignore_rules_is_empty (name_globs));
  g_assert_false (wf_ignore_rules_is_empty (path_globs));
}

static void
test_sealed_reads (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();

  wf_ignore_rules_seal (rules);
  g_assert_true (wf_ignore_rules_is_sealed (rules));
  wf_ignore_rules_seal (rules);
  g_assert_true (wf_ignore_rules_is_sealed (rules));
  assert_name (rules, ".git", TRUE);
  assert_name (rules, "a.c", FALSE);
}

/* Each addition to sealed rules is a programming error: a critical, fatal
 * under G_DEBUG=fatal-criticals, so checked in a subprocess. */
static void
test_sealed_refuses (gconstpointer data)
{
  const char *which = data;

  if (g_test_subprocess ())
    {
      g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();

      wf_ignore_rules_seal (rules);
      if (g_str_equal (which, "dir-name"))
        wf_ignore_rules_add_dir_name (rules, "x", NULL);
      else if (g_str_equal (which, "pattern"))
        wf_ignore_rules_add_entity_pattern (rules, "x", NULL);
      else if (g_str_equal (which, "prefix"))
        wf_ignore_rules_add_path_prefix (rules, "/x", NULL);
      else
        wf_ignore_rules_add_glob (rules, "x", NULL);
      /* Only reached if the critical was not fatal: then nothing was added. */
      g_assert_true (wf_ignore_rules_is_empty (rules));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*!self->sealed*");
}

/* With criticals not fatal, a refused addition changes nothing. */
static void
test_sealed_unchanged (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new ();

  wf_ignore_rules_add_dir_name (rules, "keep", NULL);
  wf_ignore_rules_seal (rules);

  g_test_expect_message ("Watchfiles", G_LOG_LEVEL_CRITICAL, "*!self->sealed*");
  wf_ignore_rules_add_dir_name (rules, "x", NULL);
  g_test_assert_expected_messages ();
  g_test_expect_message ("Watchfiles", G_LOG_LEVEL_CRITICAL, "*!self->sealed*");
  g_assert_false (wf_ignore_rules_add_entity_pattern (rules, "y", NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Watchfiles", G_LOG_LEVEL_CRITICAL, "*!self->sealed*");
  wf_ignore_rules_add_path_prefix (rules, "/z", NULL);
  g_test_assert_expected_messages ();
  g_test_expect_message ("Watchfiles", G_LOG_LEVEL_CRITICAL, "*!self->sealed*");
  g_assert_false (wf_ignore_rules_add_glob (rules, "w", NULL));
  g_test_assert_expected_messages ();

  assert_name (rules, "keep", TRUE);
  assert_name (rules, "x", FALSE);
  assert_name (rules, "y", FALSE);
  assert_matches (rules, NULL, "/z", FALSE);
  assert_name (rules, "w", FALSE);
}

/* A watcher seals the rules it is given at initialisation. */
static void
test_notify_seals (void)
{
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autofree char *dir = g_dir_make_tmp ("watchfiles-test-XXXXXX", &error);
  const char *paths[] = { dir, NULL };

  g_assert_no_error (error);
  notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
                           "paths", paths, "force-polling", TRUE, "ignore-rules", rules, NULL);
  g_assert_no_error (error);
  g_assert_true (wf_ignore_rules_is_sealed (rules));
  g_assert_true (wf_notify_get_ignore_rules (notify) == rules);
  g_clear_object (&notify);
  g_assert_no_errno (g_rmdir (dir));
}

/* ---- matches_entry() is matches() for a path whose parent is let through -- */

static void
test_entry_agrees (void)
{
  static const char *const components[] = {
    "src", "node_modules", ".git", "a.pyc", "x~", "build", "out", "a.o", "a.log",
    "tmp", "dist", "b", "site-packages", "\xff\xfe", "bc",
  };
  static const char *const roots[] = { "/r", "/r/", "/", "/r/node_modules", "." };
  g_autoptr(WfIgnoreRules) rules = wf_ignore_rules_new_default ();
  g_autoptr(GPtrArray) frontier = g_ptr_array_new_with_free_func (g_free);
  guint n_checked = 0;
  guint n_ignored = 0;

  g_assert_true (wf_ignore_rules_add_glob (rules, "*.log", NULL));
  g_assert_true (wf_ignore_rules_add_glob (rules, "out/*.o", NULL));
  g_assert_true (wf_ignore_rules_add_glob (rules, "*/tmp", NULL));
  g_assert_true (wf_ignore_rules_add_glob (rules, "/dist", NULL));
  wf_ignore_rules_add_path_prefix (rules, "/r/b", NULL);
  wf_ignore_rules_add_path_prefix (rules, "./b/", NULL);
  wf_ignore_rules_seal (rules);

  for (gsize r = 0; r < G_N_ELEMENTS (roots); r++)
    {
      const char *root = roots[r];

      /* Breadth first, three levels: an entry is only looked at when its
       * parent was let through, exactly as a walker does. */
      g_ptr_array_set_size (frontier, 0);
      g_ptr_array_add (frontier, g_strdup (root));
      for (guint depth = 0; depth < 3; depth++)
        {
          g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_free);

          for (guint i = 0; i < frontier->len; i++)
            for (gsize c = 0; c < G_N_ELEMENTS (components); c++)
              {
                const char *parent = frontier->pdata[i];
                char *path = g_str_has_suffix (parent, "/")
                               ? g_strconcat (parent, components[c], NULL)
                               : g_strconcat (parent, "/", components[c], NULL);
                gboolean whole = wf_ignore_rules_matches (rules, root, path);
                gboolean entry = wf_ignore_rules_matches_entry (rules, root, path);

                if (whole != entry)
                  {
                    g_autofree char *escaped = g_strescape (path, NULL);

                    g_test_fail_printf ("root %s, path %s: matches %d, matches_entry %d",
                                        root, escaped, whole, entry);
                  }
                n_checked++;
                if (whole)
                  {
                    n_ignored++;
                    g_free (path);
                  }
                else
                  g_ptr_array_add (next, path);
              }
          g_ptr_array_set_size (frontier, 0);
          g_ptr_array_extend_and_steal (frontier, g_steal_pointer (&next));
        }
    }
  g_test_message ("%u paths checked, %u ignored", n_checked, n_ignored);
  /* Both outcomes were exercised plenty. */
  g_assert_cmpuint (n_ignored, >, 1000);
  g_assert_cmpuint (n_checked - n_ignored, >, 1000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ignore-rules/default/dir-names", test_default_dir_names);
  g_test_add_func ("/ignore-rules/default/patterns", test_default_patterns);
  g_test_add_func ("/ignore-rules/default/patterns-fast-path", test_default_patterns_fast_path);
  g_test_add_func ("/ignore-rules/default/pattern-on-directory", test_pattern_on_directory);
  g_test_add_func ("/ignore-rules/root-relative", test_root_relative);
  g_test_add_func ("/ignore-rules/path-prefix", test_path_prefix);
  g_test_add_func ("/ignore-rules/glob/names", test_name_globs);
  g_test_add_func ("/ignore-rules/glob/paths", test_path_globs);
  g_test_add_func ("/ignore-rules/glob/empty", test_empty_glob);
  g_test_add_func ("/ignore-rules/non-utf8", test_non_utf8);
  g_test_add_func ("/ignore-rules/invalid-pattern", test_invalid_pattern);
  g_test_add_func ("/ignore-rules/invalid-first-pattern", test_invalid_first_pattern);
  g_test_add_func ("/ignore-rules/patterns-stay-independent", test_patterns_stay_independent);
  g_test_add_func ("/ignore-rules/invalid-names-and-prefixes", test_invalid_names_and_prefixes);
  g_test_add_func ("/ignore-rules/is-empty", test_is_empty);
  g_test_add_func ("/ignore-rules/sealed/reads", test_sealed_reads);
  g_test_add_data_func ("/ignore-rules/sealed/refuses/dir-name", "dir-name", test_sealed_refuses);
  g_test_add_data_func ("/ignore-rules/sealed/refuses/pattern", "pattern", test_sealed_refuses);
  g_test_add_data_func ("/ignore-rules/sealed/refuses/prefix", "prefix", test_sealed_refuses);
  g_test_add_data_func ("/ignore-rules/sealed/refuses/glob", "glob", test_sealed_refuses);
  g_test_add_func ("/ignore-rules/sealed/unchanged", test_sealed_unchanged);
  g_test_add_func ("/ignore-rules/notify-seals", test_notify_seals);
  g_test_add_func ("/ignore-rules/entry-agrees", test_entry_agrees);

  return g_test_run ();
}
