/* SPDX-License-Identifier: MIT */
/* wf-ignore-rules.c: WfIgnoreRules, compiled once, matched before any watch.
 *
 * The rules follow watchfiles' DefaultFilter (directory names, basename
 * regular expressions, plain path prefixes) plus shell globs.  Names and
 * globs are matched against the components of a path below its watch root,
 * so that watching /srv/app/.venv/lib explicitly still works, while the
 * prefixes are matched against the whole path as watchfiles does.  An
 * ignored directory hides everything below it: backends never descend
 * into it, so nothing there is ever reported.
 *
 * Once sealed (a watcher seals the rules it is given) the object is
 * read-only and safe to use from any thread.
 */
#include "config.h"

#ifdef _WIN32
#include <string.h>

#include "wf-fnmatch-private.h"

/* GNU extensions glibc has and mingw has not. */
static const char *
wf_strchrnul (const char *s, int c)
{
  const char *found = strchr (s, c);
  return found != NULL ? found : s + strlen (s);
}

static const void *
wf_memrchr (const void *s, int c, size_t n)
{
  const unsigned char *p = s;

  while (n-- > 0)
    if (p[n] == (unsigned char) c)
      return p + n;
  return NULL;
}
#define strchrnul wf_strchrnul
#define memrchr wf_memrchr
#else
#include <fnmatch.h>
#endif
#include <string.h>

#include "wf-error.h"
#include "wf-ignore-rules.h"
#include "wf-ignore-rules-private.h"

struct _WfIgnoreRules {
  GObject parent_instance;

  GHashTable *dir_names;      /* set of names */
  GPtrArray *patterns;        /* source strings */
  GPtrArray *pattern_regexes; /* GRegex *, one per pattern */
  /* (?:p1)|(?:p2)|...: one search per name, however many patterns.  NULL
   * when there are none, or when one has a group: joined, its numbered
   * back references would point at another pattern's group. */
  GRegex *combined_pattern;
  gboolean only_default_patterns;  /* each one of DefaultFilter's: see could_match_default() */
  GPtrArray *path_prefixes;   /* char * */
  GPtrArray *name_globs;      /* globs without '/': matched per component */
  GPtrArray *path_globs;      /* globs with '/': matched against the relative path */
  gboolean sealed;
};

G_DEFINE_FINAL_TYPE (WfIgnoreRules, wf_ignore_rules, G_TYPE_OBJECT)

/* watchfiles.filters.DefaultFilter (spec 2.5). */
static const char *const default_dir_names[] = {
  "__pycache__", ".git", ".hg", ".svn", ".tox", ".venv", ".idea", "node_modules",
  ".mypy_cache", ".pytest_cache", ".hypothesis",
};
static const char *const default_entity_patterns[] = {
  "\\.py[cod]$", "\\.___jb_...___$", "\\.sw.$", "~$", "^\\.\\#", "^\\.DS_Store$", "^flycheck_",
};

static void
wf_ignore_rules_finalize (GObject *object)
{
  WfIgnoreRules *self = WF_IGNORE_RULES (object);

  g_hash_table_unref (self->dir_names);
  g_ptr_array_unref (self->patterns);
  g_ptr_array_unref (self->pattern_regexes);
  g_clear_pointer (&self->combined_pattern, g_regex_unref);
  g_ptr_array_unref (self->path_prefixes);
  g_ptr_array_unref (self->name_globs);
  g_ptr_array_unref (self->path_globs);
  G_OBJECT_CLASS (wf_ignore_rules_parent_class)->finalize (object);
}

static void
wf_ignore_rules_class_init (WfIgnoreRulesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = wf_ignore_rules_finalize;
}

static void
wf_ignore_rules_init (WfIgnoreRules *self)
{
  self->dir_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->patterns = g_ptr_array_new_with_free_func (g_free);
  self->pattern_regexes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_regex_unref);
  self->only_default_patterns = TRUE;
  self->path_prefixes = g_ptr_array_new_with_free_func (g_free);
  self->name_globs = g_ptr_array_new_with_free_func (g_free);
  self->path_globs = g_ptr_array_new_with_free_func (g_free);
}

/**
 * WfIgnoreRules:
 *
 * What a watcher never watches nor reports: directory names, basename
 * patterns, path prefixes and globs, compiled once.
 *
 * Give the rules to a watcher through [property@Watchfiles.Notify:ignore-rules].
 * Backends apply them before spending anything on a path: an ignored
 * directory costs no inotify watch and no poll scan, and no event from
 * below it is ever reported.
 *
 * A path is ignored when:
 *
 * - it starts with one of the path prefixes (a plain string prefix of the
 *   whole path, as watchfiles' `ignore_paths`: `/a/b` also ignores `/a/bc`);
 * - or one of its components below the watch root equals one of the
 *   directory names, is found by one of the basename patterns (a regular
 *   expression searched in the name, as watchfiles' `ignore_entity_patterns`),
 *   or matches a glob without `/` (`*.log`);
 * - or its path relative to the watch root, or that of one of its
 *   ancestors, matches a glob containing `/` (`build/[!.]*`; a `*` does not
 *   cross a `/`; a leading `/` anchors nothing more, as every such glob is
 *   matched from the root).
 *
 * The root itself is never ignored by a name, pattern or glob: watching
 * `/srv/app/.venv` explicitly watches it.  Unlike watchfiles' DefaultFilter,
 * a name that matches a component above the root does not hide the tree.
 *
 * The rules are sealed when a watcher is initialised with them; they are
 * immutable from then on and safe to share between threads and watchers.
 *
 * Since: 1.0
 */

/**
 * wf_ignore_rules_new:
 *
 * Creates empty rules, to fill with the `add` methods.
 *
 * Returns: (transfer full): rules that ignore nothing yet
 *
 * Since: 1.0
 */
WfIgnoreRules *
wf_ignore_rules_new (void)
{
  return g_object_new (WF_TYPE_IGNORE_RULES, NULL);
}

/**
 * wf_ignore_rules_new_default:
 *
 * Returns the rules of watchfiles' `DefaultFilter`: the directory names
 * `__pycache__`, `.git`, `.hg`, `.svn`, `.tox`, `.venv`, `.idea`,
 * `node_modules`, `.mypy_cache`, `.pytest_cache`, `.hypothesis`, and the
 * basename patterns `\.py[cod]$`, `\.___jb_...___$`, `\.sw.$`, `~$`,
 * `^\.\#`, `^\.DS_Store$`, `^flycheck_`.  More can be added before use.
 *
 * Returns: (transfer full): the default rules
 *
 * Since: 1.0
 */
WfIgnoreRules *
wf_ignore_rules_new_default (void)
{
  WfIgnoreRules *self = wf_ignore_rules_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (default_dir_names); i++)
    if (!wf_ignore_rules_add_dir_name (self, default_dir_names[i], NULL))
      g_assert_not_reached ();
  for (gsize i = 0; i < G_N_ELEMENTS (default_entity_patterns); i++)
    if (!wf_ignore_rules_add_entity_pattern (self, default_entity_patterns[i], NULL))
      g_assert_not_reached ();
  return self;
}

/**
 * wf_ignore_rules_add_dir_name:
 * @self: unsealed rules
 * @name: (type filename): a file or directory name, such as `node_modules`
 * @error: return location for an error
 *
 * Ignores every path below the watch root that has a component named
 * exactly @name, and everything below it.
 *
 * Returns: %TRUE, or %FALSE with `WF_ERROR_INVALID_ARGUMENT` when @name is
 *   no name: empty, `.`, `..`, or containing `/` (for paths, see
 *   [method@Watchfiles.IgnoreRules.add_path_prefix] and
 *   [method@Watchfiles.IgnoreRules.add_glob])
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_add_dir_name (WfIgnoreRules *self, const char *name, GError **error)
{
  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  g_return_val_if_fail (!self->sealed, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0 || strchr (name, '/') != NULL)
    {
      g_autofree char *shown = g_strescape (name, NULL);

      g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                   "Invalid ignored name “%s”: a file or directory name, without “/”", shown);
      return FALSE;
    }
  g_hash_table_add (self->dir_names, g_strdup (name));
  return TRUE;
}

static GRegex *
compile_pattern (const char *pattern, GError **error)
{
  /* Raw bytes: names need not be UTF-8 (DESIGN rule 7).  Not
   * G_REGEX_OPTIMIZE: PCRE2's JIT code is opaque to valgrind, which then
   * reports every match, and could_match_default() spares the default
   * patterns most searches anyway. */
  return g_regex_new (pattern, G_REGEX_RAW, 0, error);
}

static gboolean
is_default_pattern (const char *pattern)
{
  for (gsize i = 0; i < G_N_ELEMENTS (default_entity_patterns); i++)
    if (strcmp (pattern, default_entity_patterns[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A quick test passed by every name that one of the default patterns
 * finds: while only those are used, a name failing it needs no search.
 * Most names fail it (a walk may see 100,000), and it decides nothing
 * else, as the expression still runs on those that pass.  A name ending
 * in a byte PCRE may take for a newline always passes: "$" also matches
 * before a final newline. */
static gboolean
could_match_default (const char *name, gsize len)
{
  guchar last = (guchar) name[len - 1];

  if (last == '\n' || last == '\r' || last == '\v' || last == '\f' || last == 0x85)
    return TRUE;
  /* ~$ */
  if (last == '~')
    return TRUE;
  /* ^\.\# and ^\.DS_Store$ */
  if (name[0] == '.' && len >= 2 && (name[1] == '#' || name[1] == 'D'))
    return TRUE;
  /* ^flycheck_ */
  if (name[0] == 'f' && len >= 9 && memcmp (name, "flycheck_", 9) == 0)
    return TRUE;
  /* \.py[cod]$ and \.sw.$ */
  if (len >= 4 && name[len - 4] == '.' &&
      ((name[len - 3] == 'p' && name[len - 2] == 'y') || (name[len - 3] == 's' && name[len - 2] == 'w')))
    return TRUE;
  /* \.___jb_...___$ */
  if (len >= 13 && memcmp (name + len - 13, ".___jb_", 7) == 0 && memcmp (name + len - 3, "___", 3) == 0)
    return TRUE;
  return FALSE;
}

/**
 * wf_ignore_rules_add_entity_pattern:
 * @self: unsealed rules
 * @pattern: a Perl-compatible regular expression, searched (not anchored)
 *   in each name below the watch root
 * @error: return location for an error
 *
 * Ignores every path one of whose names below the watch root contains a
 * match of @pattern, as watchfiles' `ignore_entity_patterns` do for the
 * last name: `\.pyc$` ignores `x.pyc`.  The expression runs on bytes, so
 * names that are not UTF-8 are matched too.
 *
 * Returns: %TRUE, or %FALSE with `WF_ERROR_INVALID_ARGUMENT` if @pattern
 *   is not a valid expression
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_add_entity_pattern (WfIgnoreRules *self, const char *pattern, GError **error)
{
  g_autoptr(GRegex) alone = NULL;
  g_autoptr(GString) combined = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  g_return_val_if_fail (!self->sealed, FALSE);
  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Alone first, so that the error names the faulty pattern. */
  alone = compile_pattern (pattern, &local_error);
  if (alone == NULL)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                   "Invalid ignore pattern “%s”: %s", pattern, local_error->message);
      return FALSE;
    }

  g_ptr_array_add (self->patterns, g_strdup (pattern));
  if (!is_default_pattern (pattern))
    self->only_default_patterns = FALSE;
  g_ptr_array_add (self->pattern_regexes, g_steal_pointer (&alone));

  g_clear_pointer (&self->combined_pattern, g_regex_unref);
  for (guint i = 0; i < self->pattern_regexes->len; i++)
    if (g_regex_get_capture_count (self->pattern_regexes->pdata[i]) > 0)
      return TRUE;
  combined = g_string_new (NULL);
  for (guint i = 0; i < self->patterns->len; i++)
    g_string_append_printf (combined, "%s(?:%s)", i > 0 ? "|" : "", (const char *) self->patterns->pdata[i]);
  /* Should it not compile (each part did), the patterns are searched one by one. */
  self->combined_pattern = compile_pattern (combined->str, NULL);
  return TRUE;
}

/**
 * wf_ignore_rules_add_path_prefix:
 * @self: unsealed rules
 * @prefix: (type filename): the start of the paths to ignore, as the
 *   watcher reports them (absolute when the roots are)
 *
 * Ignores every path that starts with @prefix, as watchfiles'
 * `ignore_paths`.  This is a string prefix: `/a/b` also ignores `/a/bc`;
 * end @prefix with `/` to ignore only what is below a directory.
 *
 * Returns: %TRUE, or %FALSE with `WF_ERROR_INVALID_ARGUMENT` for an empty
 *   @prefix (it would hide everything)
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_add_path_prefix (WfIgnoreRules *self, const char *prefix, GError **error)
{
  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  g_return_val_if_fail (!self->sealed, FALSE);
  g_return_val_if_fail (prefix != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (*prefix == '\0')
    {
      g_set_error_literal (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                           "Invalid ignored path prefix: an empty prefix would hide everything");
      return FALSE;
    }
  g_ptr_array_add (self->path_prefixes, g_strdup (prefix));
  return TRUE;
}

/**
 * wf_ignore_rules_add_glob:
 * @self: unsealed rules
 * @glob: (type filename): a shell wildcard pattern (`*`, `?`, `[...]`)
 * @error: return location for an error
 *
 * Ignores what @glob matches.  A glob without `/` is matched against each
 * name below the watch root (`*.log`, `build`); a glob with `/` against
 * the path relative to the root and those of its ancestors (`out/[a-z]*.o`,
 * `/dist`), with `*` not crossing a `/`.  Leading and trailing slashes
 * only say that: `/dist`, `dist/` and `/dist/` all ignore the root's
 * `dist` and what it holds, not a `dist` deeper down.  There is no `**`:
 * as `*`, it matches within one name, so `**` + `/x` means `x` one level
 * down; a glob without `/` (`x`) is the way to say "at any depth".
 *
 * Returns: %TRUE, or %FALSE with `WF_ERROR_INVALID_ARGUMENT` for an empty
 *   glob or one that is only slashes
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_add_glob (WfIgnoreRules *self, const char *glob, GError **error)
{
  const char *relative = glob;
  gsize relative_len;

  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  g_return_val_if_fail (!self->sealed, FALSE);
  g_return_val_if_fail (glob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  while (*relative == '/')
    relative++;
  relative_len = strlen (relative);
  /* Paths are matched without a trailing slash: "dist/" would match nothing. */
  while (relative_len > 0 && relative[relative_len - 1] == '/')
    relative_len--;
  if (relative_len == 0)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                   "Invalid ignore glob “%s”: it matches no name", glob);
      return FALSE;
    }
  if (strchr (glob, '/') == NULL)
    g_ptr_array_add (self->name_globs, g_strdup (glob));
  else
    g_ptr_array_add (self->path_globs, g_strndup (relative, relative_len));
  return TRUE;
}

/**
 * wf_ignore_rules_seal:
 * @self: rules
 *
 * Makes the rules immutable, and so safe to share between threads.  A
 * watcher seals the rules it is given; adding to sealed rules is a
 * programming error.
 *
 * Since: 1.0
 */
void
wf_ignore_rules_seal (WfIgnoreRules *self)
{
  g_return_if_fail (WF_IS_IGNORE_RULES (self));
  self->sealed = TRUE;
}

/**
 * wf_ignore_rules_is_sealed:
 * @self: rules
 *
 * Tells whether the rules can still be changed.
 *
 * Returns: whether [method@Watchfiles.IgnoreRules.seal] was called
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_is_sealed (WfIgnoreRules *self)
{
  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  return self->sealed;
}

/**
 * wf_ignore_rules_is_empty:
 * @self: rules
 *
 * Tells whether any rule was added.  Watchers skip empty rules entirely.
 *
 * Returns: whether the rules ignore nothing at all
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_is_empty (WfIgnoreRules *self)
{
  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), TRUE);
  return g_hash_table_size (self->dir_names) == 0 && self->patterns->len == 0 &&
         self->path_prefixes->len == 0 && self->name_globs->len == 0 && self->path_globs->len == 0;
}

static gboolean
matches_prefix (WfIgnoreRules *self, const char *path)
{
  for (guint i = 0; i < self->path_prefixes->len; i++)
    if (g_str_has_prefix (path, self->path_prefixes->pdata[i]))
      return TRUE;
  return FALSE;
}

/* @name is one component, @name_len bytes long, not NUL-terminated. */
static gboolean
matches_name (WfIgnoreRules *self, const char *name, gsize name_len)
{
  char stack_copy[256];
  g_autofree char *heap_copy = NULL;
  char *copy = stack_copy;

  if (name_len == 0)
    return FALSE;
  if (name_len >= sizeof stack_copy)
    copy = heap_copy = g_malloc (name_len + 1);
  memcpy (copy, name, name_len);
  copy[name_len] = '\0';

  if (g_hash_table_contains (self->dir_names, copy))
    return TRUE;
  if (self->pattern_regexes->len > 0 &&
      (!self->only_default_patterns || could_match_default (copy, name_len)))
    {
      if (self->combined_pattern != NULL)
        {
          if (g_regex_match_full (self->combined_pattern, copy, name_len, 0, 0, NULL, NULL))
            return TRUE;
        }
      else
        {
          for (guint i = 0; i < self->pattern_regexes->len; i++)
            if (g_regex_match_full (self->pattern_regexes->pdata[i], copy, name_len, 0, 0, NULL, NULL))
              return TRUE;
        }
    }
  for (guint i = 0; i < self->name_globs->len; i++)
    if (fnmatch (self->name_globs->pdata[i], copy, 0) == 0)
      return TRUE;
  return FALSE;
}

/* @relative: the path below the root, @relative_len bytes of it. */
static gboolean
matches_path_glob (WfIgnoreRules *self, const char *relative, gsize relative_len)
{
  char stack_copy[1024];
  g_autofree char *heap_copy = NULL;
  char *copy = stack_copy;

  if (self->path_globs->len == 0 || relative_len == 0)
    return FALSE;
  if (relative_len >= sizeof stack_copy)
    copy = heap_copy = g_malloc (relative_len + 1);
  memcpy (copy, relative, relative_len);
  copy[relative_len] = '\0';

  for (guint i = 0; i < self->path_globs->len; i++)
    if (fnmatch (self->path_globs->pdata[i], copy, FNM_PATHNAME) == 0)
      return TRUE;
  return FALSE;
}

/* The part of @path below @root ("" for the root itself), or all of @path
 * without its leading slashes when @root is NULL or not an ancestor. */
static const char *
below_root (const char *root, const char *path)
{
  if (root != NULL)
    {
      gsize root_len = strlen (root);

      while (root_len > 1 && root[root_len - 1] == '/')
        root_len--;
      if (strncmp (path, root, root_len) == 0)
        {
          if (path[root_len] == '\0')
            return path + root_len;
          if (path[root_len] == '/' || (root_len == 1 && root[0] == '/'))
            {
              path += root_len;
              while (*path == '/')
                path++;
              return path;
            }
        }
    }
  while (*path == '/')
    path++;
  return path;
}

/**
 * wf_ignore_rules_matches:
 * @self: rules
 * @root: (type filename) (nullable): the watch root @path was found under,
 *   or %NULL to look at every component of @path
 * @path: (type filename): a path
 *
 * Tells whether @path, or one of its ancestors below @root, is ignored.
 *
 * Returns: %TRUE if the watcher must neither watch nor report @path
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_matches (WfIgnoreRules *self, const char *root, const char *path)
{
  const char *relative;

  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (matches_prefix (self, path))
    return TRUE;

  relative = below_root (root, path);
  for (const char *component = relative; *component != '\0';)
    {
      const char *end = strchrnul (component, '/');

      if (matches_name (self, component, end - component) ||
          matches_path_glob (self, relative, end - relative))
        return TRUE;
      component = end;
      while (*component == '/')
        component++;
    }
  return FALSE;
}

/**
 * wf_ignore_rules_matches_entry:
 * @self: rules
 * @root: (type filename) (nullable): the watch root @path was found under
 * @path: (type filename): a path whose parent is known not to be ignored
 *
 * The walkers' fast form of [method@Watchfiles.IgnoreRules.matches]: it
 * looks only at the last name of @path (and at the prefixes and path globs),
 * since the parent was already let through.
 *
 * Returns: %TRUE if the watcher must neither watch nor report @path
 *
 * Since: 1.0
 */
gboolean
wf_ignore_rules_matches_entry (WfIgnoreRules *self, const char *root, const char *path)
{
  const char *relative;
  const char *name;
  gsize relative_len;

  g_return_val_if_fail (WF_IS_IGNORE_RULES (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (matches_prefix (self, path))
    return TRUE;

  relative = below_root (root, path);
  relative_len = strlen (relative);
  while (relative_len > 0 && relative[relative_len - 1] == '/')
    relative_len--;
  if (relative_len == 0)
    return FALSE;
  name = memrchr (relative, '/', relative_len);
  name = name != NULL ? name + 1 : relative;
  return matches_name (self, name, relative + relative_len - name) ||
         matches_path_glob (self, relative, relative_len);
}

static void
add_canonical_lines (GPtrArray *lines, const char *kind, GPtrArray *values)
{
  for (guint i = 0; i < values->len; i++)
    g_ptr_array_add (lines, g_strconcat (kind, " ", (const char *) values->pdata[i], NULL));
}

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GBytes *
wf_ignore_rules_describe_canonical (WfIgnoreRules *rules)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GString *text = g_string_new (NULL);

  if (rules != NULL)
    {
      GHashTableIter iter;
      gpointer name;

      g_hash_table_iter_init (&iter, rules->dir_names);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        g_ptr_array_add (lines, g_strconcat ("name ", (const char *) name, NULL));
      add_canonical_lines (lines, "pattern", rules->patterns);
      add_canonical_lines (lines, "prefix", rules->path_prefixes);
      add_canonical_lines (lines, "glob", rules->name_globs);
      add_canonical_lines (lines, "glob", rules->path_globs);
      g_ptr_array_sort (lines, compare_lines);
    }
  for (guint i = 0; i < lines->len; i++)
    {
      /* NUL-terminated: a rule may hold a newline. */
      g_string_append (text, lines->pdata[i]);
      g_string_append_c (text, '\0');
    }
  return g_string_free_to_bytes (text);
}
