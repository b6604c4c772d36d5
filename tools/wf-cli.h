/* SPDX-License-Identifier: MIT */
/* wf-cli.h: what the parts of the watchfiles command share (private to
 * tools/).  One concern per file: options and environment (wf-cli-config.c),
 * the watcher and the --filter python rule (wf-cli-watch.c), run mode
 * (wf-cli-run.c), stream mode (wf-cli-stream.c), --since (wf-cli-since.c),
 * --list-backends
 * (wf-cli-backends.c), signals (wf-cli-signals-unix.c, -win32.c), output formats
 * (wf-cli-format.c), log lines (wf-cli-log.c) and the build tree's
 * backends for the uninstalled tool (wf-cli-build-tree.c). */
#pragma once

#include <watchfiles.h>

G_BEGIN_DECLS

/* Exit codes, as the Python CLI's (argparse exits 2 on a usage error). */
#define WF_CLI_EXIT_OK 0
#define WF_CLI_EXIT_FAILURE 1
#define WF_CLI_EXIT_USAGE 2

typedef enum {
  WF_CLI_LOG_WARNING,
  WF_CLI_LOG_INFO,
  WF_CLI_LOG_DEBUG,
} WfCliLogLevel;

typedef enum {
  WF_CLI_FORMAT_TEXT,
  WF_CLI_FORMAT_JSON,
  WF_CLI_FORMAT_TSV,
  WF_CLI_FORMAT_JSON_BATCH,
} WfCliFormat;

/* --on-busy-update: what a batch does while the command still runs. */
typedef enum {
  WF_CLI_BUSY_RESTART,
  WF_CLI_BUSY_QUEUE,
  WF_CLI_BUSY_DO_NOTHING,
} WfCliBusyUpdate;

typedef enum {
  WF_CLI_MODE_RUN,
  WF_CLI_MODE_STREAM,
  WF_CLI_MODE_LIST_BACKENDS,
  WF_CLI_MODE_VERSION,
  WF_CLI_MODE_SINCE,
} WfCliMode;

/* Everything the modes need, resolved from the options and environment.
 * Owns its members: wf_cli_config_clear() frees them. */
typedef struct {
  WfCliMode mode;
  char **paths;              /* absolute, real */
  const char *filter_name;   /* as the Python CLI logs it */
  gboolean python_only;      /* --filter python: keep .py/.pyx/.pyd only */
  char **exts;               /* (nullable) --exts, as ".py": only these count */
  gboolean once;             /* --once */
  WfIgnoreRules *ignore_rules; /* (nullable) */
  gboolean debug;
  gboolean force_polling;
  guint poll_delay_ms;
  guint poll_cpu_percent;
  WfWatchLimitPolicy watch_limit_policy;
  char **polled_filesystems; /* (nullable): the library's default */
  gboolean recursive;
  gboolean ignore_permission_denied;
  char *backend;             /* (nullable) */
  guint debounce_ms;
  guint step_ms;
  /* Run mode. */
  char **command_argv;
  char *command_line;
  double grace_period;
  double sigint_timeout;
  double sigkill_timeout;
  WfCliBusyUpdate on_busy_update;
  gboolean clear;
  char *current_dir;         /* real; the summary line shows paths below it relative */
  /* Stream mode and --since. */
  WfCliFormat format;
  char *since_state;         /* --since STATE */
  /* The regular files stdout and stderr are written to: changes to them
   * are the tool's own (or its command's) output, never reported. */
  guint n_output_files;
  struct { guint64 dev, ino; } output_files[2];
} WfCliConfig;

/* wf-cli-config.c */
gboolean wf_cli_config_parse (WfCliConfig *config, int *argc, char ***argv, int *exit_status);
void wf_cli_config_clear (WfCliConfig *config);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (WfCliConfig, wf_cli_config_clear)

/* wf-cli-log.c */
void wf_cli_log_set_level (WfCliLogLevel level);
gboolean wf_cli_log_enabled (WfCliLogLevel level);
void wf_cli_log (WfCliLogLevel level, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* wf-cli-signals-unix.c: SIGINT, SIGTERM, SIGHUP and SIGCHLD become bytes on
 * a pipe; wf-cli-signals-win32.c: console control events and the command's
 * exit set an event, whose HANDLE is the "descriptor". */
typedef struct {
  int last_stop;              /* the last stop request's signal, or 0 */
  gboolean child;             /* SIGCHLD */
  guint stop_requests;        /* SIGINT, SIGTERM and SIGHUP received so far */
} WfCliSignals;

gboolean wf_cli_signals_install (gboolean want_sigchld, GError **error);
int wf_cli_signals_get_fd (void);
void wf_cli_signals_drain (WfCliSignals *received);
gboolean wf_cli_signals_wait (int timeout_ms);
#ifdef G_OS_WIN32
/* The command's exit is told as SIGCHLD is (received->child). */
void wf_cli_signals_watch_child (GPid child);
void wf_cli_signals_unwatch_child (void);
#else
void wf_cli_signals_block (gboolean block);
void wf_cli_signals_reset_in_child (void);
#endif

/* wf-cli-build-tree.c: run from the build tree, use its backend modules. */
gboolean wf_cli_build_tree_setup (void);
char **wf_cli_child_environ (void);

/* wf-cli-format.c */
const char *wf_cli_change_name (WfChange change);
void wf_cli_append_json_string (GString *out, const char *bytes, gboolean ascii_only);
char *wf_cli_changes_to_env_json (GPtrArray *changes);
char *wf_cli_changes_summary (GPtrArray *changes, const char *current_dir);
void wf_cli_append_changes (GString *out, WfCliFormat format, GPtrArray *changes);
gboolean wf_cli_format_from_name (const char *name, WfCliFormat *format);

/* wf-cli-watch.c */
WfNotify *wf_cli_notify_new (const WfCliConfig *config, GError **error);
char *wf_cli_describe_watch (const WfCliConfig *config, WfNotify *notify);
void wf_cli_warn_degraded (WfNotify *notify, guint *n_warned);
GPtrArray *wf_cli_filter_changes (const WfCliConfig *config, GPtrArray *changes);

/* wf-cli-backends.c */
int wf_cli_list_backends (const WfCliConfig *config);

/* wf-cli-stream.c */
int wf_cli_stream (const WfCliConfig *config);

/* wf-cli-since.c */
int wf_cli_since (const WfCliConfig *config);

/* wf-cli-run.c */
int wf_cli_run (const WfCliConfig *config);

G_END_DECLS
