/* SPDX-License-Identifier: MIT */
/* wf-cli-run.c: run mode, the process supervisor.  Watches the paths,
 * starts the command, and on each batch of changes stops it (SIGINT, then
 * SIGKILL after --sigint-timeout) and starts it again with the batch in
 * WATCHFILES_CHANGES, as watchfiles' run_process() does.  SIGINT, SIGTERM
 * and SIGHUP stop the command the same way and end the tool with status 0;
 * a second one while the command is being stopped sends SIGKILL at once (a
 * second Ctrl+C cuts the Python CLI's wait short too).
 *
 * Unlike run_process(), the watches are in place before the command first
 * starts: a watcher that cannot be set up is reported before anything ran,
 * and no change made as the command starts goes unseen.  The changes of
 * the grace period are then logged and dropped rather than never seen.
 *
 * The command runs in a session of its own (setsid), so that it and
 * everything it starts form one process group, and that group is what is
 * signalled and waited for: a server started by a shell script, or the
 * python3 below `sh -c`, never outlives a restart or the tool (watchexec
 * does the same; the Python CLI signals the command's own process only and
 * leaves such grandchildren running).  The tool is also their subreaper:
 * orphans of the group become its children, so their exit wakes it and it
 * reaps them.
 *
 * Why a session and not only a group: a process group that is not the
 * terminal's foreground group is stopped (SIGTTIN, SIGTTOU) as soon as it
 * reads the terminal or sets its modes, which hangs every interactive
 * command (watchexec's default has that problem).  A session of its own
 * has no controlling terminal, so the terminal on its stdin, stdout and
 * stderr is an ordinary file to it: it reads, writes and sets modes
 * freely.  The terminal is not handed over with tcsetpgrp() either: its
 * Ctrl+C would then reach the command alone, and the tool could not
 * restart or stop it, nor give the terminal back if it were killed.  So a
 * Ctrl+C reaches the tool only (its group is the foreground one), and the
 * tool forwards one SIGINT to the command's whole group.  The cost: the
 * command cannot open /dev/tty (a password prompt that reads it fails).
 *
 * Children are waited for with waitpid(-1): the tool spawns nothing else,
 * and as subreaper it must reap whatever is reparented to it.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <sys/wait.h>
#include <unistd.h>
#endif
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "wf-cli.h"

typedef struct {
  const WfCliConfig *config;
  GPid pid;             /* the command (its group's id), 0 when there is none */
  gboolean reaped;      /* the command exited and was waited for */
  gboolean was_reaped;  /* ... and that was already said */
  gboolean exit_expected; /* waited for it to exit: that it did is no news */
  int exit_code;        /* as Python's: the exit status, or minus the signal */
  WfCliSignals signals; /* what arrived so far */
  guint n_warned;       /* subtrees polled past the watch limit, as last said */
} Supervisor;

typedef enum {
  WAIT_EXITED,          /* the command and every process of its group are gone */
  WAIT_TIMED_OUT,
  WAIT_HURRIED,         /* one more stop request than tolerated came */
} WaitOutcome;

static gboolean
stop_requested (const Supervisor *self)
{
  return self->signals.stop_requests > 0;
}

#ifdef G_OS_WIN32
/* Windows: the command is its process alone (GPid is its process HANDLE):
 * g_spawn_async() makes no process group, so neither Ctrl+C can be sent
 * to it alone (GenerateConsoleCtrlEvent() needs CREATE_NEW_PROCESS_GROUP)
 * nor its children reached (that needs a job object); both are left for
 * later (README, "What a Windows build still needs").  A stop is
 * TerminateProcess(), what SIGKILL is, and its exit is seen through the
 * handle (wf_cli_signals_watch_child()). */
static void
reap (Supervisor *self)
{
  DWORD code;

  if (self->pid == 0 || self->reaped || WaitForSingleObject (self->pid, 0) != WAIT_OBJECT_0)
    return;
  self->reaped = TRUE;
  self->exit_code = GetExitCodeProcess (self->pid, &code) ? (int) code : -1;
}

static gboolean
group_alive (const Supervisor *self)
{
  return self->pid != 0 && !self->reaped;
}

static void
signal_group (const Supervisor *self, int signum)
{
  /* Ends the process at once, whatever was asked: see above. */
  if (!self->reaped && !TerminateProcess (self->pid, 1) && WaitForSingleObject (self->pid, 0) != WAIT_OBJECT_0)
    wf_cli_log (WF_CLI_LOG_WARNING, "cannot stop the command: error %lu", (unsigned long) GetLastError ());
}

/* The handle is closed once the command is gone and nothing waits on it. */
static void
forget_child (Supervisor *self)
{
  wf_cli_signals_unwatch_child ();
  g_spawn_close_pid (self->pid);
  self->pid = 0;
}
#else
static int
exit_code_from_status (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return -WTERMSIG (status);
  return 0;
}

/* Reaps every child that exited: the command (its status is kept), and
 * orphans of its group that were reparented to us. */
static void
reap (Supervisor *self)
{
  int status;
  pid_t pid;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0 || (pid < 0 && errno == EINTR))
    if (pid == self->pid && self->pid != 0)
      {
        self->reaped = TRUE;
        self->exit_code = exit_code_from_status (status);
      }
}

/* Whether some process of the command's group is still there (reap()
 * first: an unreaped child of ours would count). */
static gboolean
group_alive (const Supervisor *self)
{
  return self->pid != 0 && (kill (-self->pid, 0) == 0 || errno == EPERM);
}

static void
signal_group (const Supervisor *self, int signum)
{
  if (kill (-self->pid, signum) < 0 && errno != ESRCH)
    wf_cli_log (WF_CLI_LOG_WARNING, "cannot signal process group %d: %s", (int) self->pid, g_strerror (errno));
}

static void
forget_child (Supervisor *self)
{
  self->pid = 0;
}
#endif

/* Reads the signal pipe and reaps what exited; says so in debug output. */
static void
handle_signals (Supervisor *self)
{
  self->signals.child = FALSE;
  wf_cli_signals_drain (&self->signals);
  if (!self->signals.child)
    return;
  reap (self);
  if (self->reaped && !self->was_reaped)
    {
      self->was_reaped = TRUE;
      wf_cli_log (WF_CLI_LOG_DEBUG, "process exited, exit code: %d", self->exit_code);
    }
}

/* Waits up to @seconds for the command and the rest of its group to exit,
 * or until more than @patience stop requests have come. */
static WaitOutcome
wait_for_exit (Supervisor *self, double seconds, guint patience)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  for (;;)
    {
      gint64 remaining;
      int timeout_ms;

      reap (self);
      if (self->reaped && !group_alive (self))
        return WAIT_EXITED;
      if (self->signals.stop_requests > patience)
        return WAIT_HURRIED;
      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        return WAIT_TIMED_OUT;
      /* SIGCHLD wakes this (round up, so the last wait is not 0 ms), also
       * for orphans of the group, which are reparented to us.  A member
       * whose parent is another member is only seen gone by looking: then
       * look every 20 ms. */
      timeout_ms = (int) MIN ((remaining + 999) / 1000, G_MAXINT);
      if (self->reaped)
        timeout_ms = MIN (timeout_ms, 20);
      if (wf_cli_signals_wait (timeout_ms))
        handle_signals (self);
    }
}

static const char *
stop_signal_name (const Supervisor *self)
{
  switch (self->signals.last_stop)
    {
    case SIGTERM: return "SIGTERM";
#ifdef SIGHUP
    case SIGHUP: return "SIGHUP";
#endif
    default: return "SIGINT";
    }
}

/* Stops the command's whole process group: SIGINT, then SIGKILL after
 * --sigint-timeout.  A command that exited on its own may have left
 * processes in its group: they are stopped the same way. */
static void
stop_child (Supervisor *self)
{
  const WfCliConfig *config = self->config;
  /* Stopping for a restart, the first stop request only makes this the
   * last stop; the one after it (or, stopping for good, the next one)
   * means "now". */
  guint patience = self->signals.stop_requests + (stop_requested (self) ? 0 : 1);
  WaitOutcome outcome;

  if (self->pid == 0)
    return;
  reap (self);
  if (self->reaped)
    {
      wf_cli_log (self->exit_expected ? WF_CLI_LOG_DEBUG : WF_CLI_LOG_WARNING, "process already dead, exit code: %d",
                  self->exit_code);
      if (!group_alive (self))
        {
          forget_child (self);
          return;
        }
      wf_cli_log (WF_CLI_LOG_DEBUG, "stopping what is left of its process group...");
    }
  else
    wf_cli_log (WF_CLI_LOG_DEBUG, "stopping process...");

  signal_group (self, SIGINT);
#ifdef SIGCONT
  /* A stopped member would keep the SIGINT pending until SIGKILL. */
  signal_group (self, SIGCONT);
#endif
  outcome = wait_for_exit (self, config->sigint_timeout, patience);
  if (outcome != WAIT_EXITED)
    {
      if (outcome == WAIT_TIMED_OUT)
        wf_cli_log (WF_CLI_LOG_WARNING, "SIGINT timed out after %g seconds", config->sigint_timeout);
      else
        wf_cli_log (WF_CLI_LOG_WARNING, "%s received again, not waiting", stop_signal_name (self));
      wf_cli_log (WF_CLI_LOG_WARNING, "process has not terminated, sending SIGKILL");
#ifdef SIGKILL
      signal_group (self, SIGKILL);
#else
      signal_group (self, SIGTERM);
#endif
      if (wait_for_exit (self, config->sigkill_timeout, G_MAXUINT) != WAIT_EXITED)
        /* Stuck in the kernel: reaped later, or by init once we exit. */
        wf_cli_log (WF_CLI_LOG_WARNING, "process group %" G_GINTPTR_FORMAT " still not gone %g seconds after SIGKILL",
                    (gintptr) self->pid, config->sigkill_timeout);
    }
  if (self->reaped)
    wf_cli_log (WF_CLI_LOG_DEBUG, "process stopped, exit code: %d", self->exit_code);
  forget_child (self);
}

#ifdef G_OS_WIN32
/* Nothing runs between a fork and an exec there. */
#define child_setup NULL
#define wf_cli_signals_block(block) ((void) 0)
#else
static void
child_setup (gpointer user_data)
{
  /* A session (and group) of its own; see the top of the file.  Before
   * the signals are unblocked: a Ctrl+C held back since the fork then
   * ends this child, as it would have ended the command. */
  setsid ();
  wf_cli_signals_reset_in_child ();
}
#endif

/* Starts the command, unless a stop request came first (TRUE then, with
 * no child). */
static gboolean
start_child (Supervisor *self, GPtrArray *changes, GError **error)
{
  const WfCliConfig *config = self->config;
  g_autofree char *json = wf_cli_changes_to_env_json (changes);
  g_auto(GStrv) envp = g_environ_setenv (wf_cli_child_environ (), "WATCHFILES_CHANGES", json, TRUE);
  g_autoptr(GError) local_error = NULL;
  gboolean spawned;

  /* Held back from the fork to the child's exec; see child_setup(). */
  wf_cli_signals_block (TRUE);
  handle_signals (self);
  if (stop_requested (self))
    {
      wf_cli_signals_block (FALSE);
      return TRUE;
    }
  wf_cli_log (WF_CLI_LOG_DEBUG, "running \"%s\" as command", config->command_line);
  self->reaped = FALSE;
  self->was_reaped = FALSE;
  self->exit_expected = FALSE;
  spawned = g_spawn_async (NULL, config->command_argv, envp,
                           G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
                           child_setup, NULL, &self->pid, &local_error);
  wf_cli_signals_block (FALSE);
#ifdef G_OS_WIN32
  if (spawned)
    wf_cli_signals_watch_child (self->pid);
#endif
  /* A stop request that came as it was forked is seen here, and the last
   * stop sends the group its SIGINT. */
  handle_signals (self);

  if (!spawned)
    {
      self->pid = 0;
      if (g_file_test (config->command_argv[0], G_FILE_TEST_IS_DIR))
        g_set_error (error, local_error->domain, local_error->code,
                     "%s (it is a directory: to print the changes below it, use “watchfiles --print %s”)",
                     local_error->message, config->command_argv[0]);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Sleeps for the grace period, or until a signal asks us to stop. */
static void
grace_sleep (Supervisor *self, double seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!stop_requested (self))
    {
      gint64 remaining = deadline - g_get_monotonic_time ();

      if (remaining <= 0)
        break;
      if (wf_cli_signals_wait ((int) MIN ((remaining + 999) / 1000, G_MAXINT)))
        handle_signals (self);
    }
}

/* Logs the changes of the grace period, which do not restart the command
 * (most are its own start-up writes), and drops them.  FALSE on a watch
 * error. */
static gboolean
drop_grace_period_changes (Supervisor *self, WfNotify *notify, GError **error)
{
  const WfCliConfig *config = self->config;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  WfWatchResult result;

  /* A 1 ms timeout: what is pending is returned, or nothing at once. */
  result = wf_notify_watch (notify, config->debounce_ms, config->step_ms, 1, NULL,
                            wf_cli_signals_get_fd (), &changes, error);
  if (result == WF_WATCH_RESULT_ERROR)
    return FALSE;
  if (result == WF_WATCH_RESULT_SIGNAL)
    handle_signals (self);
  if (result != WF_WATCH_RESULT_CHANGES)
    return TRUE;
  kept = wf_cli_filter_changes (config, changes);
  if (kept->len > 0)
    {
      g_autofree char *listing = wf_cli_changes_to_env_json (kept);

      wf_cli_log (WF_CLI_LOG_INFO, "%u change%s during the grace period ignored", kept->len,
                  kept->len == 1 ? "" : "s");
      wf_cli_log (WF_CLI_LOG_DEBUG, "ignored: %s", listing);
    }
  return TRUE;
}

/* The line that says which changes start the command again: their paths
 * at the default level, the JSON of WATCHFILES_CHANGES in debug output. */
static void
log_batch (Supervisor *self, GPtrArray *kept, const char *then)
{
  g_autofree char *listing = NULL;

  if (wf_cli_log_enabled (WF_CLI_LOG_DEBUG))
    listing = wf_cli_changes_to_env_json (kept);
  else
    listing = wf_cli_changes_summary (kept, self->config->current_dir);
  wf_cli_log (WF_CLI_LOG_INFO, "%u change%s detected: %s%s", kept->len, kept->len == 1 ? "" : "s", listing, then);
}

/* --clear: the screen and its scrollback, as `clear` does; only on a
 * terminal, where escape sequences mean something. */
static void
clear_screen (const WfCliConfig *config)
{
  if (config->clear && isatty (fileno (stdout)))
    {
      fputs ("\033[H\033[2J\033[3J", stdout);
      fflush (stdout);
    }
}

static gboolean
running (Supervisor *self)
{
  reap (self);
  return self->pid != 0 && !self->reaped;
}

/* Stops the command (what is left of it) and starts it again with @kept.
 * FALSE if it could not be started. */
static gboolean
run_again (Supervisor *self, GPtrArray *kept)
{
  const WfCliConfig *config = self->config;
  g_autoptr(GError) error = NULL;

  /* With --clear, the line comes after the clearing, above the new run. */
  if (!config->clear)
    log_batch (self, kept, "");
  stop_child (self);
  if (config->clear)
    {
      clear_screen (config);
      log_batch (self, kept, "");
    }
  if (!start_child (self, kept, &error))
    {
      /* The next change may fix it (a script being written): go on. */
      wf_cli_log (WF_CLI_LOG_WARNING, "cannot run “%s”: %s", config->command_line, error->message);
      return FALSE;
    }
  return TRUE;
}

/* --once: the last run goes to its end; its status is the tool's. */
static int
finish_once (Supervisor *self)
{
  int code;

  while (running (self) && !stop_requested (self))
    if (wf_cli_signals_wait (-1))
      handle_signals (self);
  if (stop_requested (self))
    return WF_CLI_EXIT_OK;
  code = self->exit_code;
  wf_cli_log (WF_CLI_LOG_DEBUG, "process exited, exit code: %d", code);
  /* What it left in its group goes too. */
  self->exit_expected = TRUE;
  stop_child (self);
  return code >= 0 ? code : 128 - code;
}

/* Adds the changes of @more not yet in @queued. */
static void
queue_changes (GPtrArray *queued, GPtrArray *more)
{
  for (guint i = 0; i < more->len; i++)
    {
      const WfFileChange *change = g_ptr_array_index (more, i);
      gboolean known = FALSE;

      for (guint j = 0; !known && j < queued->len; j++)
        known = wf_file_change_get_change (g_ptr_array_index (queued, j)) == wf_file_change_get_change (change) &&
                g_strcmp0 (wf_file_change_get_path (g_ptr_array_index (queued, j)),
                           wf_file_change_get_path (change)) == 0;
      if (!known)
        g_ptr_array_add (queued, wf_file_change_copy (change));
    }
}

/* Watches, starting the command again on each batch as --on-busy-update
 * says, until a stop request, a watch error or, with --once, the end of
 * the run after the first batch. */
static int
supervise (Supervisor *self, WfNotify *notify)
{
  const WfCliConfig *config = self->config;
  g_autoptr(GError) error = NULL;
  /* --on-busy-update queue: the batches that came while it ran. */
  g_autoptr(GPtrArray) queued = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_file_change_free);

  while (!stop_requested (self))
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GPtrArray) kept = NULL;
      WfWatchResult result = wf_notify_watch (notify, config->debounce_ms, config->step_ms, 0, NULL,
                                              wf_cli_signals_get_fd (), &changes, &error);

      wf_cli_warn_degraded (notify, &self->n_warned);
      if (result == WF_WATCH_RESULT_SIGNAL)
        {
          handle_signals (self);
          if (queued->len > 0 && !stop_requested (self) && !running (self))
            {
              /* The command exited: the queued changes run it again. */
              g_autoptr(GPtrArray) batch = g_steal_pointer (&queued);

              queued = g_ptr_array_new_with_free_func ((GDestroyNotify) wf_file_change_free);
              self->exit_expected = TRUE;
              if (run_again (self, batch) && config->once)
                return finish_once (self);
              if (config->once)
                return WF_CLI_EXIT_FAILURE;
            }
          continue;
        }
      if (result == WF_WATCH_RESULT_ERROR)
        {
          g_printerr ("watchfiles: %s\n", error->message);
          return WF_CLI_EXIT_FAILURE;
        }
      if (result != WF_WATCH_RESULT_CHANGES)
        continue;

      kept = wf_cli_filter_changes (config, changes);
      if (kept->len == 0)
        {
          wf_cli_log (WF_CLI_LOG_DEBUG, "all changes filtered out, raw_changes=%u", changes->len);
          continue;
        }
      if (config->on_busy_update != WF_CLI_BUSY_RESTART && running (self))
        {
          if (config->on_busy_update == WF_CLI_BUSY_QUEUE)
            {
              log_batch (self, kept, "; queued until the command exits");
              queue_changes (queued, kept);
            }
          else
            log_batch (self, kept, "; ignored, the command still runs");
          continue;
        }
      if (run_again (self, kept) && config->once)
        return finish_once (self);
      if (config->once)
        return WF_CLI_EXIT_FAILURE;
    }
  return WF_CLI_EXIT_OK;
}

int
wf_cli_run (const WfCliConfig *config)
{
  Supervisor self = { .config = config };
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GString) shown_paths = g_string_new (NULL);
  g_autofree char *watching = NULL;
  int status = WF_CLI_EXIT_OK;

#ifdef PR_SET_CHILD_SUBREAPER
  /* Orphans of the command's group become our children: see the top. */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
#endif
  if (!wf_cli_signals_install (TRUE, &error))
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }

  for (guint i = 0; config->paths[i] != NULL; i++)
    g_string_append_printf (shown_paths, "%s\"%s\"", i > 0 ? ", " : "", config->paths[i]);
  wf_cli_log (WF_CLI_LOG_INFO, "watchfiles v%s 👀  path=%s target=\"%s\" (command) filter=%s...",
              PACKAGE_VERSION, shown_paths->str, config->command_line, config->filter_name);

  notify = wf_cli_notify_new (config, &error);
  if (notify == NULL)
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return WF_CLI_EXIT_FAILURE;
    }
  wf_cli_warn_degraded (notify, &self.n_warned);
  watching = wf_cli_describe_watch (config, notify);
  wf_cli_log (WF_CLI_LOG_INFO, "watching %s", watching);

  clear_screen (config);
  if (!start_child (&self, NULL, &error))
    {
      g_printerr ("watchfiles: cannot run “%s”: %s\n", config->command_line, error->message);
      return WF_CLI_EXIT_FAILURE;
    }
  if (config->grace_period > 0)
    {
      grace_sleep (&self, config->grace_period);
      if (!stop_requested (&self) && !drop_grace_period_changes (&self, notify, &error))
        {
          g_printerr ("watchfiles: %s\n", error->message);
          status = WF_CLI_EXIT_FAILURE;
        }
    }
  if (status == WF_CLI_EXIT_OK)
    status = supervise (&self, notify);

  if (stop_requested (&self))
    wf_cli_log (WF_CLI_LOG_INFO, "%s received, stopping", stop_signal_name (&self));
  stop_child (&self);
  reap (&self);
  return status;
}
