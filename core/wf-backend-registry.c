/* SPDX-License-Identifier: MIT */
/* wf-backend-registry.c: the once-initialised, process-wide table of loaded
 * backend modules, and the choice of a backend (DESIGN.md section 4).
 *
 * A module is loaded on first use and stays resident; the table is guarded
 * by one lock because watchers may be created from several threads.
 */
#include "config.h"

#include <gio/gio.h>
#include <gmodule.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#endif

#include "wf-error.h"
#include "wf-backend-registry-private.h"
#include "wf-sink-private.h"

/* GModule's suffix for loadable modules ("so", "dll"); meson builds the
 * backends with the same one (backends/meson.build). */
#define WF_MODULE_SUFFIX "." G_MODULE_SUFFIX

/* What force_polling picks and what serves when the kernel facility is
 * missing, and watchfiles' words for the fallback (its "recommend" is sic). */
#define FALLBACK_BACKEND "poll"
#define FALLBACK_DEBUG_LINE "IO error using recommend watcher: %s, falling back to PollWatcher"

static GMutex registry_lock;
static GHashTable *loaded_modules;   /* filename -> WfBackendModule* */

/* GLib keeps g_check_setuid() private: ask the kernel the same question. */
static gboolean
running_setuid (void)
{
#ifdef __linux__
  return getauxval (AT_SECURE) != 0;
#elif defined (G_OS_WIN32)
  return FALSE;  /* Windows has no setuid programs */
#else
  return getuid () != geteuid () || getgid () != getegid ();
#endif
}

static void
candidate_free (gpointer p)
{
  WfBackendCandidate *candidate = p;
  g_free (candidate->name);
  g_free (candidate->filename);
  g_free (candidate);
}

GStrv
wf_backend_registry_get_search_path (void)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *extra = g_getenv ("WATCHFILES_BACKEND_DIR");

  /* Like GIO_EXTRA_MODULES: a setuid program must not load code chosen by
   * whoever runs it. */
  if (extra != NULL && *extra != '\0' && !running_setuid ())
    {
      g_auto(GStrv) dirs = g_strsplit (extra, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; dirs[i] != NULL; i++)
        if (*dirs[i] != '\0')
          g_strv_builder_add (builder, dirs[i]);
    }
  g_strv_builder_add (builder, WF_BACKEND_DIR);
  return g_strv_builder_end (builder);
}

/* "DIR (no such directory), DIR (no backend module in it)": the search
 * path as the loader found it, for the error that no module was found. */
static char *
describe_search_path (void)
{
  g_auto(GStrv) search_path = wf_backend_registry_get_search_path ();
  GString *text = g_string_new (NULL);
  const char *extra = g_getenv ("WATCHFILES_BACKEND_DIR");

  for (guint i = 0; search_path[i] != NULL; i++)
    {
      const char *state;

      if (!g_file_test (search_path[i], G_FILE_TEST_EXISTS))
        state = "no such directory";
      else if (!g_file_test (search_path[i], G_FILE_TEST_IS_DIR))
        state = "not a directory";
      else if (g_access (search_path[i], R_OK | X_OK) != 0)
        state = "not readable";
      else
        state = "no backend module in it";
      g_string_append_printf (text, "%s%s (%s)", i > 0 ? ", " : "", search_path[i], state);
    }
  if (extra != NULL && *extra != '\0' && running_setuid ())
    g_string_append (text, "; WATCHFILES_BACKEND_DIR is ignored in a setuid program");
  return g_string_free (text, FALSE);
}

static gboolean
is_valid_backend_name (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gint
candidate_compare (gconstpointer a, gconstpointer b)
{
  const WfBackendCandidate *ca = *(WfBackendCandidate **) a;
  const WfBackendCandidate *cb = *(WfBackendCandidate **) b;
  return strcmp (ca->name, cb->name);
}

GPtrArray *
wf_backend_registry_list_candidates (void)
{
  g_auto(GStrv) search_path = wf_backend_registry_get_search_path ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *candidates = g_ptr_array_new_with_free_func (candidate_free);

  for (guint i = 0; search_path[i] != NULL; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (search_path[i], 0, NULL);
      const char *entry;

      if (dir == NULL)
        continue;
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          WfBackendCandidate *candidate;
          g_autofree char *name = NULL;

          if (!g_str_has_suffix (entry, WF_MODULE_SUFFIX))
            continue;
          name = g_strndup (entry, strlen (entry) - strlen (WF_MODULE_SUFFIX));
          if (!is_valid_backend_name (name) || g_hash_table_contains (seen, name))
            continue;
          candidate = g_new (WfBackendCandidate, 1);
          candidate->name = g_steal_pointer (&name);
          candidate->filename = g_build_filename (search_path[i], entry, NULL);
          g_hash_table_add (seen, candidate->name);
          g_ptr_array_add (candidates, candidate);
        }
    }
  g_ptr_array_sort (candidates, candidate_compare);
  return candidates;
}

static const WfBackendModule *
load_file (const char *filename, GError **error)
{
  WfBackendModule *module;

  g_mutex_lock (&registry_lock);
  if (loaded_modules == NULL)
    loaded_modules = g_hash_table_new (g_str_hash, g_str_equal);
  module = g_hash_table_lookup (loaded_modules, filename);
  if (module == NULL)
    {
      module = wf_backend_module_open (filename, error);
      if (module != NULL)
        g_hash_table_insert (loaded_modules, module->filename, module);
    }
  g_mutex_unlock (&registry_lock);
  return module;
}

const WfBackendModule *
wf_backend_registry_load (const char *name, GError **error)
{
  g_auto(GStrv) search_path = NULL;
  g_autofree char *file_name = NULL;

  if (!is_valid_backend_name (name))
    {
      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_NOT_FOUND,
                   "“%s” is not a backend name (letters, digits, “_” and “-” only)", name);
      return NULL;
    }

  search_path = wf_backend_registry_get_search_path ();
  file_name = g_strconcat (name, WF_MODULE_SUFFIX, NULL);
  for (guint i = 0; search_path[i] != NULL; i++)
    {
      g_autofree char *filename = g_build_filename (search_path[i], file_name, NULL);

      if (g_file_test (filename, G_FILE_TEST_EXISTS))
        return load_file (filename, error);
    }

  {
    g_autofree char *joined = g_strjoinv (G_SEARCHPATH_SEPARATOR_S, search_path);
    g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_NOT_FOUND,
                 "No backend called “%s” (looked for %s in %s)", name, file_name, joined);
  }
  return NULL;
}

gboolean
wf_backend_registry_probe (const WfBackendModule *module,
                           const char *const *roots,
                           int *priority,
                           GError **error)
{
  g_autoptr(GError) local_error = NULL;
  int prio = 0;

  if (!module->vtable->probe (NULL, &prio, &local_error))
    goto failed;
  for (guint i = 0; roots != NULL && roots[i] != NULL; i++)
    {
      int root_prio = prio;

      if (!module->vtable->probe (roots[i], &root_prio, &local_error))
        goto failed;
      prio = MIN (prio, root_prio);
    }
  if (priority != NULL)
    *priority = prio;
  return TRUE;

failed:
  g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE,
               "Backend “%s” cannot serve here: %s", module->name,
               local_error != NULL ? local_error->message : "its probe failed without saying why");
  return FALSE;
}

const WfBackendModule *
wf_backend_registry_choose (const char *const *roots,
                            gboolean force_polling,
                            const char *requested,
                            gboolean *explicit_choice,
                            char **rejected,
                            GError **error)
{
  g_autoptr(GPtrArray) candidates = NULL;
  const WfBackendModule *best = NULL;
  int best_priority = G_MININT;
  g_autoptr(GString) reasons = NULL;

  *explicit_choice = FALSE;
  *rejected = NULL;
  if (force_polling)
    return wf_backend_registry_load (FALLBACK_BACKEND, error);

  if (requested == NULL || *requested == '\0')
    requested = g_getenv ("WATCHFILES_BACKEND");
  if (requested != NULL && *requested != '\0' && g_strcmp0 (requested, "help") != 0)
    {
      const WfBackendModule *module = wf_backend_registry_load (requested, error);

      *explicit_choice = TRUE;
      if (module == NULL || !wf_backend_registry_probe (module, roots, NULL, error))
        return NULL;
      return module;
    }

  candidates = wf_backend_registry_list_candidates ();
  reasons = g_string_new (NULL);
  for (guint i = 0; i < candidates->len; i++)
    {
      WfBackendCandidate *candidate = g_ptr_array_index (candidates, i);
      g_autoptr(GError) local_error = NULL;
      const WfBackendModule *module = load_file (candidate->filename, &local_error);
      int priority;

      if (module != NULL && wf_backend_registry_probe (module, roots, &priority, &local_error))
        {
          if (priority > best_priority)
            {
              best = module;
              best_priority = priority;
            }
          continue;
        }
      /* Load errors name the file and probe errors the backend already. */
      g_string_append_printf (reasons, "%s%s", reasons->len > 0 ? "; " : "", local_error->message);
    }

  if (best == NULL && candidates->len == 0)
    {
      /* A broken or partial installation: say where we looked and how each
       * place was found, so the missing part is obvious. */
      g_autofree char *searched = describe_search_path ();

      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_NOT_FOUND,
                   "No backend module found: looked for *%s files in %s; install the backend modules "
                   "(inotify%s, poll%s) there, or name the directory holding them in WATCHFILES_BACKEND_DIR",
                   WF_MODULE_SUFFIX, searched, WF_MODULE_SUFFIX, WF_MODULE_SUFFIX);
    }
  else if (best == NULL)
    {
      g_auto(GStrv) search_path = wf_backend_registry_get_search_path ();
      g_autofree char *joined = g_strjoinv (G_SEARCHPATH_SEPARATOR_S, search_path);

      g_set_error (error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE,
                   "No backend can watch these paths (searched %s): %s", joined, reasons->str);
    }
  else if (reasons->len > 0)
    *rejected = g_string_free (g_steal_pointer (&reasons), FALSE);
  return best;
}

void
wf_backend_probe_free (WfBackendProbe *probe)
{
  if (probe == NULL)
    return;
  g_free (probe->name);
  g_free (probe->filename);
  g_free (probe->description);
  g_free (probe->reason);
  g_free (probe);
}

GPtrArray *
wf_backend_registry_probe_all (void)
{
  g_autoptr(GPtrArray) candidates = wf_backend_registry_list_candidates ();
  GPtrArray *probes = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_backend_probe_free);

  for (guint i = 0; i < candidates->len; i++)
    {
      WfBackendCandidate *candidate = g_ptr_array_index (candidates, i);
      g_autoptr(GError) error = NULL;
      WfBackendProbe *probe = g_new0 (WfBackendProbe, 1);
      const WfBackendModule *module = wf_backend_registry_load (candidate->name, &error);

      probe->name = g_strdup (candidate->name);
      probe->filename = g_strdup (candidate->filename);
      if (module != NULL)
        {
          probe->description = g_strdup (module->vtable->description);
          probe->available = wf_backend_registry_probe (module, NULL, &probe->priority, &error);
        }
      if (!probe->available)
        probe->reason = g_strdup (error->message);
      g_ptr_array_add (probes, probe);
    }
  return probes;
}

char *
wf_backend_registry_format_help (const char *requested, gboolean force_polling)
{
  g_autoptr(GPtrArray) probes = wf_backend_registry_probe_all ();
  GString *text = g_string_new ("Watchfiles backends (choose one with WATCHFILES_BACKEND=NAME):\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *rejected = NULL;
  gboolean explicit_choice = FALSE;
  const WfBackendModule *chosen = wf_backend_registry_choose (NULL, force_polling, requested, &explicit_choice,
                                                              &rejected, &error);

  g_string_append_printf (text, "  %-10s %-7s %-9s %s\n", "BACKEND", "PROBE", "PRIORITY", "MODULE");
  for (guint i = 0; i < probes->len; i++)
    {
      const WfBackendProbe *probe = g_ptr_array_index (probes, i);

      if (probe->available)
        g_string_append_printf (text, "%s %-10s %-7s %-9d %s\n",
                                chosen != NULL && g_strcmp0 (chosen->filename, probe->filename) == 0 ? "*" : " ",
                                probe->name, "passes", probe->priority, probe->filename);
      else
        g_string_append_printf (text, "  %-10s %-7s %-9s %s\n", probe->name, "fails", "-", probe->reason);
    }
  if (probes->len == 0)
    g_string_append (text, "  (no backend modules found)\n");
  if (chosen == NULL)
    g_string_append_printf (text, "Chosen here: none: %s\n", error->message);
  else
    g_string_append_printf (text, "Chosen here: %s (%s)\n", chosen->name,
                            force_polling ? "polling is forced"
                            : explicit_choice ? "asked for by name; never substituted"
                            : "the highest priority whose probe passes");
  return g_string_free (text, FALSE);
}

/* RustNotify checks that every path exists before creating a poll watcher
 * (a poll watcher would otherwise see a missing root as "deleted"). */
static gboolean
check_roots_exist (const char *const *roots, GError **error)
{
  for (guint i = 0; roots[i] != NULL; i++)
    if (!g_file_test (roots[i], G_FILE_TEST_EXISTS))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "No such file or directory: “%s”", roots[i]);
        return FALSE;
      }
  return TRUE;
}

static WfBackendInstance *
start_module (const WfBackendModule *module,
              const char *const *roots,
              WfSink *sink,
              const WfBackendOptions *options,
              WfBackendRootsAdder add_roots,
              gpointer user_data,
              GError **error)
{
  WfBackendInstance *instance;

  if ((wf_backend_module_get_flags (module) & WF_BACKEND_FLAG_ROOTS_MUST_EXIST) && !check_roots_exist (roots, error))
    return NULL;
  instance = module->vtable->start (sink, options, error);
  if (instance != NULL && !add_roots (module, instance, user_data, error))
    g_clear_pointer (&instance, module->vtable->stop);
  return instance;
}

WfBackendInstance *
wf_backend_registry_start (const char *const *roots,
                           gboolean force_polling,
                           const char *requested,
                           WfSink *sink,
                           const WfBackendOptions *options,
                           WfBackendRootsAdder add_roots,
                           gpointer user_data,
                           const WfBackendModule **module,
                           char **fallback_reason,
                           GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *rejected = NULL;
  const WfBackendModule *chosen;
  WfBackendInstance *instance;
  gboolean explicit_choice;

  *module = NULL;
  *fallback_reason = NULL;
  if (g_strcmp0 (g_getenv ("WATCHFILES_BACKEND"), "help") == 0)
    {
      g_autofree char *listing = wf_backend_registry_format_help (requested, force_polling);
      fputs (listing, stderr);
    }

  chosen = wf_backend_registry_choose (roots, force_polling, requested, &explicit_choice, &rejected, error);
  if (chosen == NULL)
    return NULL;
  if (rejected != NULL && g_strcmp0 (chosen->name, FALLBACK_BACKEND) == 0)
    {
      wf_sink_debug (sink, FALLBACK_DEBUG_LINE, rejected);
      *fallback_reason = g_strdup (rejected);
    }

  instance = start_module (chosen, roots, sink, options, add_roots, user_data, &local_error);
  /* Some containers refuse inotify_init with ENOSYS (watchfiles #167);
   * and where other programs hold every inotify watch, not even a root
   * can have its own: polling it all is the policy's way out (rule 3). */
  if (instance == NULL && !explicit_choice && !force_polling &&
      (g_error_matches (local_error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE) ||
       (g_error_matches (local_error, WF_ERROR, WF_ERROR_WATCH_LIMIT) &&
        options->watch_limit_policy == WF_WATCH_LIMIT_POLICY_POLL)))
    {
      wf_sink_debug (sink, FALLBACK_DEBUG_LINE, local_error->message);
      g_free (*fallback_reason);
      *fallback_reason = g_strdup_printf ("the %s backend could not start: %s", chosen->name, local_error->message);
      g_clear_error (&local_error);
      chosen = wf_backend_registry_load (FALLBACK_BACKEND, error);
      if (chosen == NULL)
        return NULL;
      instance = start_module (chosen, roots, sink, options, add_roots, user_data, &local_error);
    }
  if (instance == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      g_clear_pointer (fallback_reason, g_free);
      return NULL;
    }
  *module = chosen;
  return instance;
}
