/* SPDX-License-Identifier: MIT */
/* wf-cli-run.c: run mode, the process supervisor.  Watches the paths,
 * starts the command, and on each batch of changes stops it (SIGINT, then
 * SIGKILL after --sigint-timeout) and starts it again with the batch in
 * WATCHFILES_CHANGES, as watchfiles' run_process() does.  SIGINT and
 * SIGTERM stop the child the same way and end the command with status 0;
 * a second one while the child is being stopped sends SIGKILL at once (a
 * second Ctrl+C cuts the Python CLI's wait short too).
 *
 * Unlike run_process(), the watches are in place before the command first
 * starts: a watcher that cannot be set up is reported before anything ran,
 * and no change made as the command starts goes unseen.  The changes of
 * the grace period are then logged and dropped rather than never seen.
 *
 * The child stays in our process group, as with the Python CLI, and gets
 * our stdin: it remains in the terminal's foreground group, so it can read
 * the terminal, and a Ctrl+C reaches it directly.  We then do not send a
 * second SIGINT (a second KeyboardInterrupt would cut a Python child's
 * clean-up short); we only wait, then SIGKILL.  A SIGINT or SIGTERM sent
 * to us alone by kill() is forwarded as one SIGINT.  Children are only
 * ever waited for by pid: GLib's spawn helpers reap their own.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wf-cli.h"

typedef struct {
  const WfCliConfig *config;
  GPid pid;             /* 0 when no child is running */
  gboolean reaped;      /* the child exited and was waited for */
  int exit_code;        /* as Python's: the exit status, or minus the signal */
  gboolean forward_interrupt; /* a stop request came as it was forked */
  GArray *lingering;    /* of GPid: killed, not yet reaped */
  WfCliSignals signals; /* what arrived so far */
} Supervisor;

typedef enum {
  WAIT_EXITED,
  WAIT_TIMED_OUT,
  WAIT_HURRIED,         /* one more stop request than tolerated came */
} WaitOutcome;

static gboolean
stop_requested (const Supervisor *self)
{
  return self->signals.stop_requests > 0;
}

static int
exit_code_from_status (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return -WTERMSIG (status);
  return 0;
}

static void
reap (Supervisor *self)
{
  int status;

  if (self->pid != 0 && !self->reaped && waitpid (self->pid, &status, WNOHANG) == self->pid)
    {
      self->reaped = TRUE;
      self->exit_code = exit_code_from_status (status);
    }
  for (guint i = 0; i < self->lingering->len;)
    {
      if (waitpid (g_array_index (self->lingering, GPid, i), &status, WNOHANG) != 0)
        g_array_remove_index_fast (self->lingering, i);
      else
        i++;
    }
}

/* Reads the signal pipe and reaps what exited; says so in debug output. */
static void
handle_signals (Supervisor *self)
{
  gboolean was_reaped = self->reaped;

  self->signals.child = FALSE;
  wf_cli_signals_drain (&self->signals);
  if (!self->signals.child)
    return;
  reap (self);
  if (self->reaped && !was_reaped)
    wf_cli_log (WF_CLI_LOG_DEBUG, "process exited, exit code: %d", self->exit_code);
}

/* Waits up to @seconds for the child to exit, or until more than
 * @patience stop requests have come. */
static WaitOutcome
wait_for_exit (Supervisor *self, double seconds, guint patience)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  for (;;)
    {
      gint64 remaining;

      reap (self);
      if (self->reaped)
        return WAIT_EXITED;
      if (self->signals.stop_requests > patience)
        return WAIT_HURRIED;
      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        return WAIT_TIMED_OUT;
      /* SIGCHLD wakes this; round up so the last wait is not 0 ms. */
      if (wf_cli_signals_wait ((int) MIN ((remaining + 999) / 1000, G_MAXINT)))
        handle_signals (self);
    }
}

static void
stop_child (Supervisor *self, gboolean child_got_interrupt)
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
      wf_cli_log (WF_CLI_LOG_WARNING, "process already dead, exit code: %d", self->exit_code);
      self->pid = 0;
      return;
    }

  wf_cli_log (WF_CLI_LOG_DEBUG, "stopping process...");
  if (!child_got_interrupt)
    kill (self->pid, SIGINT);
  outcome = wait_for_exit (self, config->sigint_timeout, patience);
  if (outcome != WAIT_EXITED)
    {
      if (outcome == WAIT_TIMED_OUT)
        wf_cli_log (WF_CLI_LOG_WARNING, "SIGINT timed out after %g seconds", config->sigint_timeout);
      else
        wf_cli_log (WF_CLI_LOG_WARNING, "%s received again, not waiting",
                    self->signals.terminate ? "SIGTERM" : "SIGINT");
      wf_cli_log (WF_CLI_LOG_WARNING, "process has not terminated, sending SIGKILL");
      kill (self->pid, SIGKILL);
      if (wait_for_exit (self, config->sigkill_timeout, G_MAXUINT) != WAIT_EXITED)
        {
          /* Stuck in the kernel: reaped later, or by init once we exit. */
          wf_cli_log (WF_CLI_LOG_WARNING, "process %d still not dead %g seconds after SIGKILL",
                      (int) self->pid, config->sigkill_timeout);
          g_array_append_val (self->lingering, self->pid);
        }
    }
  if (self->reaped)
    wf_cli_log (WF_CLI_LOG_DEBUG, "process stopped, exit code: %d", self->exit_code);
  self->pid = 0;
}

static void
child_setup (gpointer user_data)
{
  wf_cli_signals_reset_in_child ();
}

/* Starts the command, unless a stop request came first (TRUE then, with
 * no child). */
static gboolean
start_child (Supervisor *self, GPtrArray *changes, GError **error)
{
  const WfCliConfig *config = self->config;
  g_autofree char *json = wf_cli_changes_to_env_json (changes);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "WATCHFILES_CHANGES", json, TRUE);
  g_autoptr(GError) local_error = NULL;
  guint stop_requests;
  gboolean spawned;

  /* Held back from the fork to the child's exec; see child_setup(). */
  wf_cli_signals_block (TRUE);
  handle_signals (self);
  if (stop_requested (self))
    {
      wf_cli_signals_block (FALSE);
      return TRUE;
    }
  stop_requests = self->signals.stop_requests;
  wf_cli_log (WF_CLI_LOG_DEBUG, "running \"%s\" as command", config->command_line);
  self->reaped = FALSE;
  spawned = g_spawn_async (NULL, config->command_argv, envp,
                           G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
                           child_setup, NULL, &self->pid, &local_error);
  wf_cli_signals_block (FALSE);
  handle_signals (self);
  /* A Ctrl+C of the spawn may have come before the fork, and missed the
   * child: the last stop then sends SIGINT itself. */
  self->forward_interrupt = spawned && self->signals.stop_requests != stop_requests;

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

/* Watches, restarting the command on each batch, until a stop request or
 * a watch error. */
static int
supervise (Supervisor *self, WfNotify *notify)
{
  const WfCliConfig *config = self->config;
  g_autoptr(GError) error = NULL;

  while (!stop_requested (self))
    {
      g_autoptr(GPtrArray) changes = NULL;
      g_autoptr(GPtrArray) kept = NULL;
      g_autofree char *listing = NULL;
      WfWatchResult result = wf_notify_watch (notify, config->debounce_ms, config->step_ms, 0, NULL,
                                              wf_cli_signals_get_fd (), &changes, &error);

      if (result == WF_WATCH_RESULT_SIGNAL)
        {
          handle_signals (self);
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
      if (wf_cli_log_enabled (WF_CLI_LOG_DEBUG))
        {
          listing = wf_cli_changes_to_env_json (kept);
          wf_cli_log (WF_CLI_LOG_DEBUG, "%u change%s detected: %s", kept->len, kept->len == 1 ? "" : "s", listing);
        }
      else
        wf_cli_log (WF_CLI_LOG_INFO, "%u change%s detected", kept->len, kept->len == 1 ? "" : "s");

      stop_child (self, FALSE);
      if (!start_child (self, kept, &error))
        {
          /* The next change may fix it (a script being written): go on. */
          wf_cli_log (WF_CLI_LOG_WARNING, "cannot run “%s”: %s", config->command_line, error->message);
          g_clear_error (&error);
        }
    }
  return WF_CLI_EXIT_OK;
}

int
wf_cli_run (const WfCliConfig *config)
{
  Supervisor self = { .config = config };
  g_autoptr(GArray) lingering = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GString) shown_paths = g_string_new (NULL);
  g_autofree char *watching = NULL;
  int status = WF_CLI_EXIT_OK;

  self.lingering = lingering;
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
  wf_cli_warn_degraded (notify);
  watching = wf_cli_describe_watch (config, notify);
  wf_cli_log (WF_CLI_LOG_INFO, "watching %s", watching);

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
    wf_cli_log (WF_CLI_LOG_INFO, "%s received, stopping", self.signals.terminate ? "SIGTERM" : "SIGINT");
  /* A Ctrl+C already reached a child of our (foreground) process group. */
  stop_child (&self, self.signals.terminal_interrupt && !self.forward_interrupt && self.pid != 0 &&
                     getpgid (self.pid) == getpgrp ());
  reap (&self);
  return status;
}
