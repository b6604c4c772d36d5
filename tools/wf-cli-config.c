/* SPDX-License-Identifier: MIT */
/* wf-cli-config.c: the command line and the environment, turned into a
 * WfCliConfig.  Every option is checked before any path is looked at, so a
 * bad option is a usage error (status 2) even when a path is missing too
 * (status 1), as with argparse in the Python CLI. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/utsname.h>
#endif

#include "wf-cli.h"

static const char help_description[] =
  "Modes:\n"
  "  watchfiles [OPTION…] COMMAND [PATH…]\n"
  "      Run COMMAND (one argument, split like a POSIX shell would, without\n"
  "      running one) and restart it on each batch of changes: SIGINT, then\n"
  "      SIGKILL after --sigint-timeout (at once on a second Ctrl+C), to the\n"
  "      command's whole process group (it runs in a session of its own).  The\n"
  "      batch is passed in the environment variable WATCHFILES_CHANGES as\n"
  "      JSON, [[\"added\", \"/abs/path\"], …] ([] at the first start).  The\n"
  "      paths are watched before COMMAND first starts.  Compatible with\n"
  "      Python watchfiles' CLI.\n"
  "  watchfiles --print [--format FORMAT] [OPTION…] [PATH…]\n"
  "      Print each change on stdout as a line, flushed per batch.\n"
  "  watchfiles --since STATE [--format FORMAT] [OPTION…] [PATH…]\n"
  "      Print what changed since the state file STATE was written, write it\n"
  "      anew, and exit 0; a STATE that does not exist yet prints nothing and\n"
  "      is written.  A STATE that is damaged, or saved for other PATHs or\n"
  "      other ignore options, is an error (exit 1) and is left as it is.\n"
  "  PATHs default to the current directory; each must exist.\n"
  "\n"
  "Formats (--format, with --print or --since):\n"
  "  text  “added /abs/path”; the path as it is (for people)\n"
  "  json  {\"change\": \"added\", \"path\": \"/abs/path\"}; a byte that is not UTF-8\n"
  "        is written \\udcXX (Python's surrogateescape)\n"
  "  tsv   “added<TAB>/abs/path”; \\ tab newline CR in paths written \\\\ \\t \\n \\r\n"
  "  json-batch  one line per batch: a JSON array of the json objects\n"
  "A change to the regular file that stdout or stderr is written to (by\n"
  "device and inode) is never reported: `watchfiles --print . >log` works.\n"
  "\n"
  "Exit status: 0 stopped by SIGINT (Ctrl+C), SIGTERM or SIGHUP, 1 a path does not\n"
  "exist, the command cannot start or watching failed, 2 usage error; run\n"
  "mode with --once: the command's own.\n"
  "\n"
  "Environment: WATCHFILES_FORCE_POLLING (non-empty and not false, disable\n"
  "or disabled: poll), WATCHFILES_POLL_DELAY_MS (digits), WATCHFILES_DEBUG\n"
  "(non-empty: library debug output), WATCHFILES_BACKEND (backend name),\n"
  "WATCHFILES_BACKEND_DIR (extra backend module directories).  Options win\n"
  "over the environment.  See watchfiles(1).";

/* --poll-delay-ms not given: WATCHFILES_POLL_DELAY_MS or 300 then.  Not
 * -1, which is a mistake to report. */
#define POLL_DELAY_UNSET G_MININT

/* What main()'s options parse into, before it is checked. */
typedef struct {
  gboolean print, list, non_recursive, force_polling, verbose, version, ignore_permission_denied;
  gboolean clear, shell, once;
  /* --grace-period, --sigint-timeout or --sigkill-timeout was given. */
  gboolean run_timing_given;
  int debounce_ms, step_ms, poll_delay_ms, poll_cpu_percent;
  double grace_period, sigint_timeout, sigkill_timeout;
  char *backend, *filter, *format, *verbosity, *on_busy_update, *watch_limit_policy, *polled_filesystems;
  char *since;
  char **positional, **ignore_paths, **ignore_dirs, **ignore_patterns, **ignore_globs, **exts;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->backend);
  g_free (options->filter);
  g_free (options->format);
  g_free (options->verbosity);
  g_free (options->watch_limit_policy);
  g_free (options->polled_filesystems);
  g_free (options->on_busy_update);
  g_free (options->since);
  g_strfreev (options->exts);
  g_strfreev (options->positional);
  g_strfreev (options->ignore_paths);
  g_strfreev (options->ignore_dirs);
  g_strfreev (options->ignore_patterns);
  g_strfreev (options->ignore_globs);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

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

/* --grace-period and the timeouts: GOption's double parsing, plus a note
 * that one was given, so that --print can refuse them as it refuses the
 * other run-mode options. */
static gboolean
parse_seconds (const char *option_name, const char *value, gpointer data, GError **error)
{
  Options *o = data;
  char *end = NULL;
  double seconds;

  errno = 0;
  seconds = g_ascii_strtod (value, &end);
  if (end == value || *end != '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "Cannot parse double value “%s” for %s",
                   value, option_name);
      return FALSE;
    }
  if (errno == ERANGE)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "Double value “%s” for %s out of range",
                   value, option_name);
      return FALSE;
    }
  if (strcmp (option_name, "--grace-period") == 0)
    o->grace_period = seconds;
  else if (strcmp (option_name, "--sigint-timeout") == 0)
    o->sigint_timeout = seconds;
  else
    o->sigkill_timeout = seconds;
  o->run_timing_given = TRUE;
  return TRUE;
}

static gboolean
parse_options (Options *o, int *argc, char ***argv, int *exit_status)
{
  const GOptionEntry entries[] = {
    { "print", 0, 0, G_OPTION_ARG_NONE, &o->print, "Stream mode: print each change instead of running a command", NULL },
    { "since", 0, 0, G_OPTION_ARG_FILENAME, &o->since,
      "Print what changed since the state file STATE was written, then write it anew and exit", "STATE" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &o->format,
      "Line format of --print and --since: text (default), json, json-batch or tsv", "FORMAT" },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &o->filter,
      "Which changes count: default (watchfiles' DefaultFilter), python (only .py, .pyx, .pyd files, "
      "plus the default rules) or all (no rule)", "FILTER" },
    { "ignore-paths", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->ignore_paths,
      "Comma-separated paths to ignore, resolved; each a prefix of the paths it hides (repeatable)", "PATH,…" },
    { "ignore-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->ignore_dirs,
      "Ignore every directory or file with this name (no /), and what is below it (repeatable)", "NAME" },
    { "ignore-pattern", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->ignore_patterns,
      "Ignore names in which this regular expression is found (repeatable)", "REGEX" },
    { "ignore-glob", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->ignore_globs,
      "Ignore what this shell glob matches: a name without /, else a path below the watched one (repeatable)",
      "GLOB" },
    { "exts", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->exts,
      "Only changes to files with these extensions count, with the other rules (comma-separated, "
      "as py,c; repeatable)", "EXT,…" },
    { "non-recursive", 0, 0, G_OPTION_ARG_NONE, &o->non_recursive, "Watch only the direct children of directories", NULL },
    { "ignore-permission-denied", 0, 0, G_OPTION_ARG_NONE, &o->ignore_permission_denied,
      "Skip paths and directories that cannot be read instead of failing", NULL },
    { "grace-period", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_seconds,
      "Run mode: seconds after the first start whose changes are ignored (default 0)", "SECONDS" },
    { "sigint-timeout", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_seconds,
      "Run mode: seconds to wait after SIGINT before SIGKILL (default 5)", "SECONDS" },
    { "sigkill-timeout", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_seconds,
      "Run mode: seconds to wait after SIGKILL (default 1)", "SECONDS" },
    { "on-busy-update", 0, 0, G_OPTION_ARG_STRING, &o->on_busy_update,
      "Run mode: what a change does while the command still runs: restart it (default), queue (run it "
      "again once it exits) or do-nothing", "WHAT" },
    { "shell", 0, 0, G_OPTION_ARG_NONE, &o->shell,
      "Run mode: run COMMAND with /bin/sh -c, for pipes, && and variables", NULL },
    { "clear", 0, 0, G_OPTION_ARG_NONE, &o->clear,
      "Run mode: clear the screen (and scrollback) before each run, when stdout is a terminal", NULL },
    { "once", 0, 0, G_OPTION_ARG_NONE, &o->once,
      "Stop after the first batch: stream mode exits 0 once it is printed; run mode runs the command once "
      "more and exits with its status", NULL },
    { "debounce", 0, 0, G_OPTION_ARG_INT, &o->debounce_ms, "Longest time a batch grows (default 1600)", "MS" },
    { "step", 0, 0, G_OPTION_ARG_INT, &o->step_ms, "Quiet time that ends a batch (default 50)", "MS" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &o->backend,
      "Backend to use, never substituted (see --list-backends); not with --force-polling", "NAME" },
    { "list-backends", 0, 0, G_OPTION_ARG_NONE, &o->list,
      "List each backend, whether its probe passes here, its priority and the one chosen, then exit", NULL },
    { "force-polling", 0, 0, G_OPTION_ARG_NONE, &o->force_polling, "Poll instead of using kernel notifications", NULL },
    { "poll-delay-ms", 0, 0, G_OPTION_ARG_INT, &o->poll_delay_ms, "Delay between polls (default 300)", "MS" },
    { "poll-cpu-percent", 0, 0, G_OPTION_ARG_INT, &o->poll_cpu_percent,
      "Polling's CPU budget in percent of one core, 1 to 100: polls stretch on large trees (default 10)", "N" },
    { "watch-limit-policy", 0, 0, G_OPTION_ARG_STRING, &o->watch_limit_policy,
      "At the kernel's watch limit: poll what cannot be watched (poll, the default) or fail (error)", "POLICY" },
    { "polled-filesystems", 0, 0, G_OPTION_ARG_STRING, &o->polled_filesystems,
      "Comma-separated filesystem types (fuse.* matches fuse.sshfs) also polled below native watches, "
      "since their notifications miss remote changes; empty for none "
      "(default nfs,nfs4,cifs,smb3,9p,virtiofs,vboxsf,fuse,fuse.*)", "LIST" },
    { "verbosity", 0, 0, G_OPTION_ARG_STRING, &o->verbosity,
      "Log level on stderr: warning, info (default) or debug (debug also prints the raw events)", "LEVEL" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Same as --verbosity debug, and wins over it", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->positional, NULL,
      "COMMAND [PATH…] | --print [PATH…]" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, "Run a command again whenever files change, or print the changes.");
  g_option_context_set_description (context, help_description);
  g_autoptr(GOptionGroup) group = g_option_group_new (NULL, NULL, NULL, o, NULL);

  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, g_steal_pointer (&group));
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      /* GOption's own words for a value it could not convert name no
       * option: say which kind of value it was. */
      if (error->domain == G_CONVERT_ERROR)
        *exit_status = usage_error ("an option's value is not text in this locale's encoding (%s)", error->message);
      else
        *exit_status = usage_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* realpath (@path, NULL), freed with g_free() (GLib's allocator is
 * malloc).  Windows has no realpath(): the full path of an entry that
 * exists, links not resolved (the kit there follows none either). */
static char *
real_path (const char *path)
{
#ifdef G_OS_WIN32
  g_autofree char *full = g_canonicalize_filename (path, NULL);

  if (!g_file_test (full, G_FILE_TEST_EXISTS))
    {
      errno = ENOENT;
      return NULL;
    }
  return g_steal_pointer (&full);
#else
  return realpath (path, NULL);
#endif
}

/* The last separator of @path (either one on Windows), or NULL. */
static char *
last_separator (char *path)
{
  char *last = NULL;

  for (char *p = path; *p != '\0'; p++)
    if (G_IS_DIR_SEPARATOR (*p))
      last = p;
  return last;
}

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
      char *real = real_path (head);
      char *slash;

      if (real != NULL)
        {
          char *joined = g_strconcat (strcmp (real, "/") == 0 && tail->len > 0 ? "" : real, tail->str, NULL);

          g_free (real);
          return joined;
        }
      slash = last_separator (head);
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
#ifndef G_OS_WIN32
  struct utsname name;
#endif

  if (value != NULL && *value != '\0')
    {
      g_autofree char *lower = g_ascii_strdown (value, -1);

      return strcmp (lower, "false") != 0 && strcmp (lower, "disable") != 0 && strcmp (lower, "disabled") != 0;
    }
#ifndef G_OS_WIN32
  /* WSL 2 is a Linux kernel; Windows itself needs no such default. */
  if (uname (&name) == 0)
    {
      g_autofree char *release = g_ascii_strdown (name.release, -1);
      g_autofree char *system = g_ascii_strdown (name.sysname, -1);

      return strstr (release, "microsoft-standard") != NULL && strcmp (system, "linux") == 0;
    }
#endif
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

static gboolean
seconds_valid (double value)
{
  return value >= 0 && value <= 24 * 3600.0;
}

/* The scalar options, the mode and the log level. */
static int
check_options (const Options *o, WfCliConfig *config)
{
  WfCliLogLevel level = WF_CLI_LOG_INFO;
  const char *debug_env = g_getenv ("WATCHFILES_DEBUG");

  if (o->debounce_ms < 0 || o->step_ms < 0)
    return usage_error ("--debounce and --step take a number of milliseconds >= 0");
  /* Accepted, as watchfiles' watch() accepts it; but the user surely
   * meant something else. */
  if (o->step_ms > o->debounce_ms)
    g_printerr ("watchfiles: warning: --step %d is longer than --debounce %d: each batch then ends one step "
                "after its first change, and --debounce has no effect\n", o->step_ms, o->debounce_ms);
  if (o->poll_delay_ms < 0 && o->poll_delay_ms != POLL_DELAY_UNSET)
    return usage_error ("--poll-delay-ms takes a number of milliseconds >= 0");
  if (o->poll_cpu_percent != -1 && (o->poll_cpu_percent < 1 || o->poll_cpu_percent > 100))
    return usage_error ("--poll-cpu-percent takes a percentage from 1 to 100, not %d", o->poll_cpu_percent);
  if (o->watch_limit_policy == NULL || strcmp (o->watch_limit_policy, "poll") == 0)
    config->watch_limit_policy = WF_WATCH_LIMIT_POLICY_POLL;
  else if (strcmp (o->watch_limit_policy, "error") == 0)
    config->watch_limit_policy = WF_WATCH_LIMIT_POLICY_ERROR;
  else
    return usage_error ("--watch-limit-policy takes poll or error, not “%s”", o->watch_limit_policy);
  if (o->polled_filesystems != NULL)
    {
      g_auto(GStrv) types = *o->polled_filesystems == '\0' ? g_new0 (char *, 1)
                                                             : g_strsplit (o->polled_filesystems, ",", -1);

      /* The library checks each entry again; here a bad one is a usage error. */
      for (guint i = 0; types[i] != NULL; i++)
        if (*types[i] == '\0' || strpbrk (types[i], " \t") != NULL ||
            (strchr (types[i], '*') != NULL && (!g_str_has_suffix (types[i], ".*") || strlen (types[i]) < 3 ||
                                                strchr (types[i], '*') != types[i] + strlen (types[i]) - 1)))
          return usage_error ("--polled-filesystems takes comma-separated filesystem types "
                              "(nfs4, fuse.sshfs, fuse.*), not “%s”", o->polled_filesystems);
      config->polled_filesystems = g_steal_pointer (&types);
    }
  if (!seconds_valid (o->grace_period) || !seconds_valid (o->sigint_timeout) || !seconds_valid (o->sigkill_timeout))
    return usage_error ("--grace-period, --sigint-timeout and --sigkill-timeout take seconds from 0 to 86400");
  if (o->verbose || g_strcmp0 (o->verbosity, "debug") == 0)
    level = WF_CLI_LOG_DEBUG;
  else if (g_strcmp0 (o->verbosity, "warning") == 0)
    level = WF_CLI_LOG_WARNING;
  else if (o->verbosity != NULL && strcmp (o->verbosity, "info") != 0)
    return usage_error ("--verbosity takes warning, info or debug, not “%s”", o->verbosity);
  wf_cli_log_set_level (level);
  if (o->since != NULL && (o->print || o->list))
    return usage_error ("--since goes neither with --print nor with --list-backends");
  if (o->since != NULL && *o->since == '\0')
    return usage_error ("--since takes the path of a state file");
  if (o->format != NULL && !o->print && o->since == NULL)
    return usage_error ("--format goes with --print or --since");
  if (o->format != NULL && !wf_cli_format_from_name (o->format, &config->format))
    return usage_error ("--format takes text, json, json-batch or tsv, not “%s”", o->format);
  if ((o->print || o->since != NULL) && (o->clear || o->shell || o->on_busy_update != NULL))
    return usage_error ("--clear, --shell and --on-busy-update go with a COMMAND, not with --print or --since");
  if ((o->print || o->since != NULL) && o->run_timing_given)
    return usage_error ("--grace-period, --sigint-timeout and --sigkill-timeout go with a COMMAND, "
                        "not with --print or --since");
  if (o->backend != NULL && *o->backend == '\0')
    return usage_error ("--backend takes a backend's name (see --list-backends), not “”");
  if (o->on_busy_update == NULL || strcmp (o->on_busy_update, "restart") == 0)
    config->on_busy_update = WF_CLI_BUSY_RESTART;
  else if (strcmp (o->on_busy_update, "queue") == 0)
    config->on_busy_update = WF_CLI_BUSY_QUEUE;
  else if (strcmp (o->on_busy_update, "do-nothing") == 0)
    config->on_busy_update = WF_CLI_BUSY_DO_NOTHING;
  else
    return usage_error ("--on-busy-update takes restart, queue or do-nothing, not “%s”", o->on_busy_update);
  /* The library would silently poll: say which one the user meant. */
  if (o->force_polling && o->backend != NULL && strcmp (o->backend, "poll") != 0)
    return usage_error ("--force-polling and --backend %s contradict each other: give one", o->backend);

  config->mode = o->list ? WF_CLI_MODE_LIST_BACKENDS : o->print ? WF_CLI_MODE_STREAM
                 : o->since != NULL ? WF_CLI_MODE_SINCE : WF_CLI_MODE_RUN;
  config->since_state = g_strdup (o->since);
  /* An explicit --backend wins over WATCHFILES_FORCE_POLLING (options win
   * over the environment); --backend poll is polling anyway. */
  config->force_polling = o->force_polling || (o->backend == NULL && default_force_polling ());
  config->backend = g_strdup (o->backend);
  config->debug = level == WF_CLI_LOG_DEBUG || (debug_env != NULL && *debug_env != '\0');
  config->poll_delay_ms = o->poll_delay_ms != POLL_DELAY_UNSET ? (guint) o->poll_delay_ms : default_poll_delay_ms (300);
  config->poll_cpu_percent = o->poll_cpu_percent != -1 ? (guint) o->poll_cpu_percent : 10;
  config->recursive = !o->non_recursive;
  config->ignore_permission_denied = o->ignore_permission_denied;
  config->debounce_ms = (guint) o->debounce_ms;
  config->step_ms = (guint) o->step_ms;
  config->grace_period = o->grace_period;
  config->sigint_timeout = o->sigint_timeout;
  config->sigkill_timeout = o->sigkill_timeout;
  config->clear = o->clear;
  config->once = o->once;
  return WF_CLI_EXIT_OK;
}

/* --exts py,c --exts .h: [".py", ".c", ".h"]. */
static int
parse_extensions (const Options *o, WfCliConfig *config)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; o->exts != NULL && o->exts[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (o->exts[i], ",", -1);

      if (parts[0] == NULL)
        return usage_error ("--exts takes file name extensions, as py,c, not “%s”", o->exts[i]);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          const char *ext = parts[j][0] == '.' ? parts[j] + 1 : parts[j];
          g_autofree char *suffix = NULL;

          if (*ext == '\0' || strchr (ext, '/') != NULL)
            return usage_error ("--exts takes file name extensions, as py,c, not “%s”", o->exts[i]);
          suffix = g_strconcat (".", ext, NULL);
          g_strv_builder_add (builder, suffix);
        }
    }
  if (o->exts != NULL)
    config->exts = g_strv_builder_end (builder);
  return WF_CLI_EXIT_OK;
}

/* --filter and the --ignore-* options, as library ignore rules. */
static int
build_ignore_rules (const Options *o, WfCliConfig *config)
{
  g_autoptr(WfIgnoreRules) rules = NULL;
  g_autoptr(GError) error = NULL;

  if (o->filter == NULL || strcmp (o->filter, "default") == 0 || strcmp (o->filter, "python") == 0)
    rules = wf_ignore_rules_new_default ();
  else if (strcmp (o->filter, "all") == 0)
    rules = wf_ignore_rules_new ();
  else
    return usage_error ("--filter takes default, python or all, not “%s”", o->filter);
  config->python_only = g_strcmp0 (o->filter, "python") == 0;
  config->filter_name = config->python_only ? "PythonFilter"
                        : g_strcmp0 (o->filter, "all") == 0 ? "(no filter)" : "DefaultFilter";

  for (guint i = 0; o->ignore_paths != NULL && o->ignore_paths[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (o->ignore_paths[i], ",", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          g_autofree char *resolved = NULL;

          if (*parts[j] == '\0')
            continue;
          resolved = resolve_path (parts[j]);
          wf_ignore_rules_add_path_prefix (rules, resolved, NULL);  /* never empty: resolved */
        }
    }
  for (guint i = 0; o->ignore_dirs != NULL && o->ignore_dirs[i] != NULL; i++)
    {
      g_autofree char *name = g_strdup (o->ignore_dirs[i]);
      gsize len = strlen (name);

      /* "node_modules/" is how people write a directory: take it. */
      while (len > 0 && name[len - 1] == '/')
        name[--len] = '\0';
      if (!wf_ignore_rules_add_dir_name (rules, name, NULL))
        return usage_error ("--ignore-dir takes a file or directory name, without /, not “%s” "
                            "(use --ignore-paths or --ignore-glob for paths)", o->ignore_dirs[i]);
    }
  for (guint i = 0; o->ignore_patterns != NULL && o->ignore_patterns[i] != NULL; i++)
    {
      /* Found in every name: nothing would ever be reported. */
      if (*o->ignore_patterns[i] == '\0')
        return usage_error ("--ignore-pattern “” would ignore every name");
      if (!wf_ignore_rules_add_entity_pattern (rules, o->ignore_patterns[i], &error))
        /* The library's message names the pattern: not again. */
        return usage_error ("--ignore-pattern: %s", error->message);
    }
  for (guint i = 0; o->ignore_globs != NULL && o->ignore_globs[i] != NULL; i++)
    if (!wf_ignore_rules_add_glob (rules, o->ignore_globs[i], &error))
      return usage_error ("--ignore-glob: %s", error->message);

  if (!wf_ignore_rules_is_empty (rules))
    config->ignore_rules = g_steal_pointer (&rules);
  return WF_CLI_EXIT_OK;
}

/* The regular files stdout and stderr go to: writing them must not be
 * reported, or `watchfiles --print . >changes.log` would report its own
 * output for ever.  Recognised by device and inode, whatever the path. */
static void
find_output_files (WfCliConfig *config)
{
#ifdef G_OS_WIN32
  /* Windows: st_ino is always 0 there, so (device, inode) would take every
   * file of the output's drive for it; none is recognised, and an output
   * file inside the watched tree is reported (README, "What a Windows
   * build still needs": its file index would tell). */
  return;
#endif
  for (int fd = 1; fd <= 2; fd++)
    {
      struct stat st;
      gboolean seen = FALSE;

      if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      for (guint i = 0; i < config->n_output_files; i++)
        seen |= config->output_files[i].dev == (guint64) st.st_dev && config->output_files[i].ino == (guint64) st.st_ino;
      if (seen)
        continue;
      config->output_files[config->n_output_files].dev = st.st_dev;
      config->output_files[config->n_output_files].ino = st.st_ino;
      config->n_output_files++;
    }
}

/* As the Python CLI: each path must exist, and is resolved. */
static int
resolve_watched_paths (char *const *given, WfCliConfig *config)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  static char *const current[] = { ".", NULL };

  if (given == NULL || given[0] == NULL)
    given = current;
  for (guint i = 0; given[i] != NULL; i++)
    {
      char *real = real_path (given[i]);

      if (real == NULL)
        {
          g_printerr ("watchfiles: path \"%s\" does not exist\n", given[i]);
          return WF_CLI_EXIT_FAILURE;
        }
      g_ptr_array_add (paths, g_strdup (real));
      g_free (real);
    }
  g_ptr_array_add (paths, NULL);
  config->paths = (char **) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
  return WF_CLI_EXIT_OK;
}

/* Fills @config from the command line and the environment.  FALSE when
 * the command is to exit at once with *@exit_status (a message is then
 * already printed). */
gboolean
wf_cli_config_parse (WfCliConfig *config, int *argc, char ***argv, int *exit_status)
{
  g_auto(Options) o = {
    .debounce_ms = 1600, .step_ms = 50, .poll_delay_ms = POLL_DELAY_UNSET, .poll_cpu_percent = -1,
    .sigint_timeout = 5, .sigkill_timeout = 1,
  };
  g_autoptr(GError) error = NULL;
  char *const *paths;

  *exit_status = WF_CLI_EXIT_OK;
  if (!parse_options (&o, argc, argv, exit_status))
    return FALSE;
  if (o.version)
    {
      config->mode = WF_CLI_MODE_VERSION;
      return TRUE;
    }
  if ((*exit_status = check_options (&o, config)) != WF_CLI_EXIT_OK ||
      (*exit_status = parse_extensions (&o, config)) != WF_CLI_EXIT_OK)
    return FALSE;
  if (config->mode == WF_CLI_MODE_LIST_BACKENDS)
    return TRUE;

  if (config->mode == WF_CLI_MODE_STREAM || config->mode == WF_CLI_MODE_SINCE)
    paths = o.positional;
  else if (o.positional == NULL || o.positional[0] == NULL)
    {
      *exit_status = usage_error ("a COMMAND to run is needed (or --print to print the changes)");
      return FALSE;
    }
  else if (o.shell)
    {
      /* Given as it is: the shell does the splitting (cmd.exe on
       * Windows, which has no /bin/sh). */
#ifdef G_OS_WIN32
      const char *argv_sh[] = { "cmd.exe", "/c", o.positional[0], NULL };
#else
      const char *argv_sh[] = { "/bin/sh", "-c", o.positional[0], NULL };
#endif

      config->command_argv = g_strdupv ((char **) argv_sh);
      config->command_line = g_strdup (o.positional[0]);
      paths = o.positional + 1;
    }
  else if (!g_shell_parse_argv (o.positional[0], NULL, &config->command_argv, &error))
    {
      *exit_status = usage_error ("cannot split the command “%s”: %s", o.positional[0], error->message);
      return FALSE;
    }
  else
    {
      config->command_line = g_strdup (o.positional[0]);
      paths = o.positional + 1;
    }

  find_output_files (config);
  {
    g_autofree char *cwd = g_get_current_dir ();
    char *real = real_path (cwd);

    config->current_dir = g_strdup (real != NULL ? real : cwd);
    g_free (real);
  }
  if ((*exit_status = build_ignore_rules (&o, config)) != WF_CLI_EXIT_OK ||
      (*exit_status = resolve_watched_paths (paths, config)) != WF_CLI_EXIT_OK)
    return FALSE;
  return TRUE;
}

void
wf_cli_config_clear (WfCliConfig *config)
{
  g_clear_pointer (&config->paths, g_strfreev);
  g_clear_object (&config->ignore_rules);
  g_clear_pointer (&config->backend, g_free);
  g_clear_pointer (&config->polled_filesystems, g_strfreev);
  g_clear_pointer (&config->command_argv, g_strfreev);
  g_clear_pointer (&config->command_line, g_free);
  g_clear_pointer (&config->exts, g_strfreev);
  g_clear_pointer (&config->current_dir, g_free);
  g_clear_pointer (&config->since_state, g_free);
}
