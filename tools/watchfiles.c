/* watchfiles.c: the command-line tool: options, environment and the two
 * modes.  Run mode (`watchfiles COMMAND [PATH...]`, the Python CLI's)
 * restarts a command on each batch of changes (wf-cli-run.c); stream mode
 * (`watchfiles --print [PATH...]`) prints each change as a line in one of
 * three formats (wf-cli-format.c).  --list-backends says what is installed
 * and what would be chosen here. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "wf-cli.h"

static const char *const python_extensions[] = { ".py", ".pyx", ".pyd" };

static const char help_description[] =
  "Modes:\n"
  "  watchfiles [OPTION…] COMMAND [PATH…]\n"
  "      Run COMMAND (one argument, split like a POSIX shell would, without\n"
  "      running one) and restart it on each batch of changes: SIGINT, then\n"
  "      SIGKILL after --sigint-timeout.  The batch is passed in the\n"
  "      environment variable WATCHFILES_CHANGES as JSON, [[\"added\", \"/abs/path\"], …]\n"
  "      ([] at the first start).  Compatible with Python watchfiles' CLI.\n"
  "  watchfiles --print [--format FORMAT] [OPTION…] [PATH…]\n"
  "      Print each change on stdout as a line, flushed per batch.\n"
  "  PATHs default to the current directory; each must exist.\n"
  "\n"
  "Formats (--format, with --print):\n"
  "  text  “added /abs/path”; the path as it is (for people)\n"
  "  json  {\"change\": \"added\", \"path\": \"/abs/path\"}; a byte that is not UTF-8\n"
  "        is written \\udcXX (Python's surrogateescape)\n"
  "  tsv   “added<TAB>/abs/path”; \\ tab newline CR in paths written \\\\ \\t \\n \\r\n"
  "\n"
  "Exit status: 0 stopped by SIGINT or SIGTERM (Ctrl+C), 1 a path does not\n"
  "exist, the command cannot start or watching failed, 2 usage error.\n"
  "\n"
  "Environment: WATCHFILES_FORCE_POLLING (non-empty and not false, disable\n"
  "or disabled: poll), WATCHFILES_POLL_DELAY_MS (digits), WATCHFILES_DEBUG\n"
  "(non-empty: library debug output), WATCHFILES_BACKEND (backend name),\n"
  "WATCHFILES_BACKEND_DIR (extra backend module directories).  Options win\n"
  "over the environment.  See watchfiles(1).";

/* Path.resolve() (not strict): the real path of the longest existing
 * ancestor, then the rest as written. */
static char *
resolve_path (const char *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *head = g_strdup (absolute);
  g_autoptr(GString) tail = g_string_new (NULL);

  for (;;)
    {
      char *real = realpath (head, NULL);
      char *slash;

      if (real != NULL)
        {
          char *joined = g_strconcat (strcmp (real, "/") == 0 && tail->len > 0 ? "" : real, tail->str, NULL);

          free (real);
          return joined;
        }
      slash = strrchr (head, '/');
      if (slash == NULL || slash == head)
        return g_steal_pointer (&absolute);
      g_string_prepend (tail, slash);
      *slash = '\0';
    }
}

/* watchfiles' _default_force_polling(): the variable, else WSL 2 (#187). */
static gboolean
default_force_polling (void)
{
  const char *value = g_getenv ("WATCHFILES_FORCE_POLLING");
  struct utsname name;

  if (value != NULL && *value != '\0')
    {
      g_autofree char *lower = g_ascii_strdown (value, -1);

      return strcmp (lower, "false") != 0 && strcmp (lower, "disable") != 0 && strcmp (lower, "disabled") != 0;
    }
  if (uname (&name) == 0)
    {
      g_autofree char *release = g_ascii_strdown (name.release, -1);
      g_autofree char *system = g_ascii_strdown (name.sysname, -1);

      return strstr (release, "microsoft-standard") != NULL && strcmp (system, "linux") == 0;
    }
  return FALSE;
}

/* watchfiles' _default_poll_delay_ms(): used when it is all digits. */
static guint
default_poll_delay_ms (guint fallback)
{
  const char *value = g_getenv ("WATCHFILES_POLL_DELAY_MS");
  guint64 parsed;

  if (value != NULL && *value != '\0' && strspn (value, "0123456789") == strlen (value) &&
      g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &parsed, NULL))
    return (guint) parsed;
  return fallback;
}

GPtrArray *
wf_cli_filter_changes (const WfCliConfig *config, GPtrArray *changes)
{
  GPtrArray *kept = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_file_change_free);

  for (guint i = 0; i < changes->len; i++)
    {
      const WfFileChange *change = g_ptr_array_index (changes, i);
      gboolean keep = !config->python_only;

      /* PythonFilter: the default rules (in the library) and these suffixes. */
      for (gsize j = 0; !keep && j < G_N_ELEMENTS (python_extensions); j++)
        keep = g_str_has_suffix (wf_file_change_get_path (change), python_extensions[j]);
      if (keep)
        g_ptr_array_add (kept, wf_file_change_copy (change));
    }
  return kept;
}

WfNotify *
wf_cli_notify_new (const WfCliConfig *config, GError **error)
{
  return g_initable_new (WF_TYPE_NOTIFY, NULL, error,
                         "paths", (const char *const *) config->paths,
                         "debug", config->debug,
                         "force-polling", config->force_polling,
                         "poll-delay-ms", config->poll_delay_ms,
                         "recursive", config->recursive,
                         "ignore-permission-denied", config->ignore_permission_denied,
                         "backend", config->backend,
                         "ignore-rules", config->ignore_rules,
                         NULL);
}

/* Each backend, its probe here, its priority, and the one that would be
 * chosen with these options and this environment. */
static int
list_backends (const WfCliConfig *config)
{
  g_autoptr(GPtrArray) infos = wf_backend_info_list_all ();
  const char *requested = config->backend != NULL ? config->backend : g_getenv ("WATCHFILES_BACKEND");
  const WfBackendInfo *chosen = NULL;
  g_autofree char *why = NULL;

  if (g_strcmp0 (requested, "help") == 0 || g_strcmp0 (requested, "") == 0)
    requested = NULL;
  for (guint i = 0; i < infos->len; i++)
    {
      const WfBackendInfo *info = g_ptr_array_index (infos, i);
      const char *name = wf_backend_info_get_name (info);

      if (!wf_backend_info_get_available (info))
        continue;
      if (config->force_polling ? strcmp (name, "poll") == 0
          : requested != NULL ? strcmp (name, requested) == 0
          : chosen == NULL || wf_backend_info_get_priority (info) > wf_backend_info_get_priority (chosen))
        chosen = info;
    }
  if (config->force_polling)
    why = g_strdup ("forced by --force-polling or WATCHFILES_FORCE_POLLING");
  else if (requested != NULL)
    why = g_strdup_printf ("asked for by --backend or WATCHFILES_BACKEND=%s", requested);
  else
    why = g_strdup ("the highest priority whose probe passes");

  g_print ("  %-10s %-7s %-9s %s\n", "BACKEND", "PROBE", "PRIORITY", "MODULE");
  for (guint i = 0; i < infos->len; i++)
    {
      const WfBackendInfo *info = g_ptr_array_index (infos, i);

      if (wf_backend_info_get_available (info))
        g_print ("%s %-10s %-7s %-9d %s\n", info == chosen ? "*" : " ", wf_backend_info_get_name (info),
                 "passes", wf_backend_info_get_priority (info), wf_backend_info_get_filename (info));
      else
        g_print ("  %-10s %-7s %-9s %s\n", wf_backend_info_get_name (info), "fails", "-",
                 wf_backend_info_get_reason (info));
    }
  if (infos->len == 0)
    g_print ("  (no backend modules found)\n");
  if (chosen != NULL)
    g_print ("Chosen here: %s (%s)\n", wf_backend_info_get_name (chosen), why);
  else if (requested != NULL || config->force_polling)
    g_print ("Chosen here: none: %s is missing or its probe fails, and no other is substituted\n",
             config->force_polling ? "poll" : requested);
  else
    g_print ("Chosen here: none: no backend's probe passes\n");
  return WF_CLI_EXIT_OK;
}

static int
stream (const WfCliConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  guint n_directories;

  if (!wf_cli_signals_install (FALSE, &error))
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }
  notify = wf_cli_notify_new (config, &error);
  if (notify == NULL)
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }
  n_directories = wf_notify_get_watched_directories (notify);
  g_printerr ("watchfiles: watching %u %s with the %s backend; Ctrl+C stops\n", n_directories,
              n_directories == 1 ? "directory" : "directories", wf_notify_get_backend_name (notify));

  for (;;)
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GPtrArray) kept = NULL;
      g_autoptr(GString) lines = NULL;
      WfWatchResult result = wf_notify_watch (notify, config->debounce_ms, config->step_ms, 0, NULL,
                                              wf_cli_signals_get_fd (), &changes, &error);

      if (result == WF_WATCH_RESULT_SIGNAL)
        return WF_CLI_EXIT_OK;
      if (result == WF_WATCH_RESULT_ERROR)
        {
          g_printerr ("watchfiles: %s\n", error->message);
          return WF_CLI_EXIT_FAILURE;
        }
      if (result != WF_WATCH_RESULT_CHANGES)
        continue;
      kept = wf_cli_filter_changes (config, changes);
      wf_cli_log (WF_CLI_LOG_DEBUG, "%u change%s detected", kept->len, kept->len == 1 ? "" : "s");
      lines = g_string_new (NULL);
      for (guint i = 0; i < kept->len; i++)
        wf_cli_append_change (lines, config->format, g_ptr_array_index (kept, i));
      if (fwrite (lines->str, 1, lines->len, stdout) != lines->len || fflush (stdout) != 0)
        {
          g_printerr ("watchfiles: cannot write the changes: %s\n", g_strerror (errno));
          return WF_CLI_EXIT_FAILURE;
        }
    }
}

static int
usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("watchfiles: %s\nTry “watchfiles --help”.\n", message);
  return WF_CLI_EXIT_USAGE;
}

static gboolean
seconds_valid (double value)
{
  return value >= 0 && value <= 24 * 3600.0;
}

int
main (int argc, char **argv)
{
  gboolean print = FALSE, list = FALSE, non_recursive = FALSE, force_polling = FALSE, verbose = FALSE;
  gboolean version = FALSE, ignore_permission_denied = FALSE;
  int debounce_ms = 1600, step_ms = 50, poll_delay_ms = -1;
  double grace_period = 0, sigint_timeout = 5, sigkill_timeout = 1;
  g_autofree char *backend = NULL, *filter = NULL, *format = NULL, *verbosity = NULL;
  g_auto(GStrv) positional = NULL, ignore_paths = NULL, ignore_dirs = NULL, ignore_patterns = NULL,
                ignore_globs = NULL, command_argv = NULL;
  const GOptionEntry entries[] = {
    { "print", 0, 0, G_OPTION_ARG_NONE, &print, "Stream mode: print each change instead of running a command", NULL },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "Stream mode's line format: text (default), json or tsv", "FORMAT" },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter,
      "Which changes count: default (watchfiles' DefaultFilter), python (only .py, .pyx, .pyd files, "
      "plus the default rules) or all (no rule)", "FILTER" },
    { "ignore-paths", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &ignore_paths,
      "Comma-separated paths to ignore, resolved; each a prefix of the paths it hides (repeatable)", "PATH,…" },
    { "ignore-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &ignore_dirs,
      "Ignore every directory or file with this name, and what is below it (repeatable)", "NAME" },
    { "ignore-pattern", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ignore_patterns,
      "Ignore names in which this regular expression is found (repeatable)", "REGEX" },
    { "ignore-glob", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &ignore_globs,
      "Ignore what this shell glob matches: a name without /, else a path below the watched one (repeatable)",
      "GLOB" },
    { "non-recursive", 0, 0, G_OPTION_ARG_NONE, &non_recursive, "Watch only the direct children of directories", NULL },
    { "ignore-permission-denied", 0, 0, G_OPTION_ARG_NONE, &ignore_permission_denied,
      "Skip paths and directories that cannot be read instead of failing", NULL },
    { "grace-period", 0, 0, G_OPTION_ARG_DOUBLE, &grace_period,
      "Run mode: seconds to wait after the first start before watching (default 0)", "SECONDS" },
    { "sigint-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &sigint_timeout,
      "Run mode: seconds to wait after SIGINT before SIGKILL (default 5)", "SECONDS" },
    { "sigkill-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &sigkill_timeout,
      "Run mode: seconds to wait after SIGKILL (default 1)", "SECONDS" },
    { "debounce", 0, 0, G_OPTION_ARG_INT, &debounce_ms, "Longest time a batch grows (default 1600)", "MS" },
    { "step", 0, 0, G_OPTION_ARG_INT, &step_ms, "Quiet time that ends a batch (default 50)", "MS" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "Backend to use, never substituted (see --list-backends)", "NAME" },
    { "list-backends", 0, 0, G_OPTION_ARG_NONE, &list,
      "List each backend, whether its probe passes here, its priority and the one chosen, then exit", NULL },
    { "force-polling", 0, 0, G_OPTION_ARG_NONE, &force_polling, "Poll instead of using kernel notifications", NULL },
    { "poll-delay-ms", 0, 0, G_OPTION_ARG_INT, &poll_delay_ms, "Delay between polls (default 300)", "MS" },
    { "verbosity", 0, 0, G_OPTION_ARG_STRING, &verbosity,
      "Log level on stderr: warning, info (default) or debug (debug also prints the raw events)", "LEVEL" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Same as --verbosity debug, and wins over it", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &positional, NULL, "COMMAND [PATH…] | --print [PATH…]" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(WfIgnoreRules) rules = NULL;
  WfCliConfig config = { 0 };
  WfCliLogLevel level = WF_CLI_LOG_INFO;
  guint first_path = 1;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context,
                                "Run a command again whenever files change, or print the changes.");
  g_option_context_set_description (context, help_description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error ("%s", error->message);

  if (version)
    {
      g_print ("watchfiles v%s\n", PACKAGE_VERSION);
      return WF_CLI_EXIT_OK;
    }
  if (debounce_ms < 0 || step_ms < 0)
    return usage_error ("--debounce and --step take a number of milliseconds >= 0");
  if (poll_delay_ms < -1)
    return usage_error ("--poll-delay-ms takes a number of milliseconds >= 0");
  if (!seconds_valid (grace_period) || !seconds_valid (sigint_timeout) || !seconds_valid (sigkill_timeout))
    return usage_error ("--grace-period, --sigint-timeout and --sigkill-timeout take seconds from 0 to 86400");
  if (verbose || g_strcmp0 (verbosity, "debug") == 0)
    level = WF_CLI_LOG_DEBUG;
  else if (g_strcmp0 (verbosity, "warning") == 0)
    level = WF_CLI_LOG_WARNING;
  else if (verbosity != NULL && strcmp (verbosity, "info") != 0)
    return usage_error ("--verbosity takes warning, info or debug, not “%s”", verbosity);
  wf_cli_log_set_level (level);
  if (format != NULL && !print)
    return usage_error ("--format goes with --print");
  if (format != NULL && !wf_cli_format_from_name (format, &config.format))
    return usage_error ("--format takes text, json or tsv, not “%s”", format);

  config.force_polling = force_polling || default_force_polling ();
  config.backend = backend;
  if (list)
    return list_backends (&config);

  if (print)
    first_path = 0;
  else if (positional == NULL || positional[0] == NULL)
    return usage_error ("a COMMAND to run is needed (or --print to print the changes)");
  else if (!g_shell_parse_argv (positional[0], NULL, &command_argv, &error))
    return usage_error ("cannot split the command “%s”: %s", positional[0], error->message);

  /* As the Python CLI: paths must exist, and are resolved. */
  for (guint i = first_path; positional != NULL && positional[i] != NULL; i++)
    {
      char *real = realpath (positional[i], NULL);

      if (real == NULL)
        {
          g_printerr ("path \"%s\" does not exist\n", positional[i]);
          return WF_CLI_EXIT_FAILURE;
        }
      g_ptr_array_add (paths, g_strdup (real));
      free (real);
    }
  if (paths->len == 0)
    {
      char *real = realpath (".", NULL);

      if (real == NULL)
        {
          g_printerr ("path \".\" does not exist\n");
          return WF_CLI_EXIT_FAILURE;
        }
      g_ptr_array_add (paths, g_strdup (real));
      free (real);
    }
  g_ptr_array_add (paths, NULL);

  if (filter == NULL || strcmp (filter, "default") == 0 || strcmp (filter, "python") == 0)
    rules = wf_ignore_rules_new_default ();
  else if (strcmp (filter, "all") == 0)
    rules = wf_ignore_rules_new ();
  else
    return usage_error ("--filter takes default, python or all, not “%s”", filter);
  config.python_only = g_strcmp0 (filter, "python") == 0;
  config.filter_name = config.python_only ? "PythonFilter" : g_strcmp0 (filter, "all") == 0 ? "(no filter)" : "DefaultFilter";
  for (guint i = 0; ignore_paths != NULL && ignore_paths[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (ignore_paths[i], ",", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          g_autofree char *resolved = NULL;

          if (*parts[j] == '\0')
            continue;
          resolved = resolve_path (parts[j]);
          wf_ignore_rules_add_path_prefix (rules, resolved);
        }
    }
  for (guint i = 0; ignore_dirs != NULL && ignore_dirs[i] != NULL; i++)
    wf_ignore_rules_add_dir_name (rules, ignore_dirs[i]);
  for (guint i = 0; ignore_patterns != NULL && ignore_patterns[i] != NULL; i++)
    if (!wf_ignore_rules_add_entity_pattern (rules, ignore_patterns[i], &error))
      return usage_error ("--ignore-pattern “%s”: %s", ignore_patterns[i], error->message);
  for (guint i = 0; ignore_globs != NULL && ignore_globs[i] != NULL; i++)
    if (!wf_ignore_rules_add_glob (rules, ignore_globs[i], &error))
      return usage_error ("--ignore-glob “%s”: %s", ignore_globs[i], error->message);

  config.paths = (char **) paths->pdata;
  config.ignore_rules = wf_ignore_rules_is_empty (rules) ? NULL : rules;
  config.debug = level == WF_CLI_LOG_DEBUG || (g_getenv ("WATCHFILES_DEBUG") != NULL && *g_getenv ("WATCHFILES_DEBUG") != '\0');
  config.poll_delay_ms = poll_delay_ms >= 0 ? (guint) poll_delay_ms : default_poll_delay_ms (300);
  config.recursive = !non_recursive;
  config.ignore_permission_denied = ignore_permission_denied;
  config.debounce_ms = (guint) debounce_ms;
  config.step_ms = (guint) step_ms;
  config.grace_period = grace_period;
  config.sigint_timeout = sigint_timeout;
  config.sigkill_timeout = sigkill_timeout;

  if (print)
    return stream (&config);
  config.command_argv = command_argv;
  config.command_line = positional[0];
  return wf_cli_run (&config);
}
