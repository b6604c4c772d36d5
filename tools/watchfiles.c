/* watchfiles.c: the command-line tool.  For now it streams changes: one line
 * per change, flushed per batch, until Ctrl+C.  Run mode (restarting a
 * command) comes with the CLI issue. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <watchfiles.h>

static int signal_pipe[2] = { -1, -1 };

static void
on_signal (int signum)
{
  int saved_errno = errno;
  char byte = (char) signum;

  /* Only async-signal-safe work: wake the watch, which then returns. */
  if (write (signal_pipe[1], &byte, 1) < 0)
    {
    }
  errno = saved_errno;
}

static const char *
change_name (WfChange change)
{
  switch (change)
    {
    case WF_CHANGE_ADDED: return "added";
    case WF_CHANGE_MODIFIED: return "modified";
    case WF_CHANGE_DELETED: return "deleted";
    default: return "unknown";
    }
}

int
main (int argc, char **argv)
{
  gboolean list_backends = FALSE, non_recursive = FALSE, force_polling = FALSE, debug = FALSE;
  int debounce_ms = 1600, step_ms = 50, poll_delay_ms = 300;
  g_autofree char *backend = NULL;
  g_auto(GStrv) paths = NULL;
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "Backend to use (see --list-backends)", "NAME" },
    { "list-backends", 0, 0, G_OPTION_ARG_NONE, &list_backends, "List backends and exit", NULL },
    { "non-recursive", 0, 0, G_OPTION_ARG_NONE, &non_recursive, "Watch only direct children of directories", NULL },
    { "force-polling", 0, 0, G_OPTION_ARG_NONE, &force_polling, "Poll instead of using kernel notifications", NULL },
    { "poll-delay-ms", 0, 0, G_OPTION_ARG_INT, &poll_delay_ms, "Delay between polls (default 300)", "MS" },
    { "debounce", 0, 0, G_OPTION_ARG_INT, &debounce_ms, "Longest time a batch grows (default 1600)", "MS" },
    { "step", 0, 0, G_OPTION_ARG_INT, &step_ms, "Quiet time that ends a batch (default 50)", "MS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &debug, "Print raw events on stderr", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, "PATH..." },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[PATH...] - print file changes as they happen");
  g_autoptr(GError) error = NULL;
  g_autoptr(WfNotify) notify = NULL;
  g_autoptr(GPtrArray) resolved = g_ptr_array_new_with_free_func (free);
  guint n_directories;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("watchfiles: %s\nTry “watchfiles --help”.\n", error->message);
      return 2;
    }
  if (debounce_ms < 0 || step_ms < 0 || poll_delay_ms < 0)
    {
      g_printerr ("watchfiles: --debounce, --step and --poll-delay-ms take a number of milliseconds >= 0\n");
      return 2;
    }
  if (list_backends)
    {
      g_autofree char *text = wf_backend_info_format_list ();
      fputs (text, stdout);
      return 0;
    }

  for (guint i = 0; paths == NULL || paths[i] != NULL; i++)
    {
      const char *path = paths != NULL ? paths[i] : ".";
      char *real = realpath (path, NULL);

      if (real == NULL)
        {
          g_printerr ("path \"%s\" does not exist\n", path);
          return 1;
        }
      g_ptr_array_add (resolved, real);
      if (paths == NULL)
        break;
    }
  g_ptr_array_add (resolved, NULL);

  /* GLib 2.74 takes FD_CLOEXEC only here; O_NONBLOCK is set after. */
  if (!g_unix_open_pipe (signal_pipe, FD_CLOEXEC, &error) ||
      !g_unix_set_fd_nonblocking (signal_pipe[1], TRUE, &error))
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return 1;
    }
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
                           "paths", (const char *const *) resolved->pdata,
                           "debug", debug,
                           "force-polling", force_polling,
                           "poll-delay-ms", (guint) poll_delay_ms,
                           "recursive", !non_recursive,
                           "backend", backend,
                           NULL);
  if (notify == NULL)
    {
      g_printerr ("watchfiles: %s\n", error->message);
      return 1;
    }
  n_directories = wf_notify_get_watched_directories (notify);
  g_printerr ("watchfiles: watching %u %s with the %s backend; Ctrl+C stops\n", n_directories,
              n_directories == 1 ? "directory" : "directories", wf_notify_get_backend_name (notify));

  for (;;)
    {
      g_autoptr(GPtrArray) changes = NULL;
      WfWatchResult result = wf_notify_watch (notify, (guint) debounce_ms, (guint) step_ms, 0, NULL,
                                              signal_pipe[0], &changes, &error);

      if (result == WF_WATCH_RESULT_SIGNAL)
        return 0;
      if (result == WF_WATCH_RESULT_ERROR)
        {
          g_printerr ("watchfiles: %s\n", error->message);
          return 1;
        }
      if (result != WF_WATCH_RESULT_CHANGES)
        continue;
      for (guint i = 0; i < changes->len; i++)
        {
          WfFileChange *change = g_ptr_array_index (changes, i);
          printf ("%s %s\n", change_name (wf_file_change_get_change (change)), wf_file_change_get_path (change));
        }
      fflush (stdout);
    }
}
