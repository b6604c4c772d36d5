/* SPDX-License-Identifier: MIT */
/* wf-notify.c: WfNotify, the twin of watchfiles' RustNotify.
 *
 * Construction chooses and starts a backend and installs every watch before
 * returning.  watch() then waits, event-driven, on the sink's wake-up
 * descriptor, the stop cancellable and the caller's signal descriptor
 * (wf-wait-private.h), and each turn asks wf-watch-step.c whether the call
 * is over: a quiet watcher never wakes.  watch_async() and start() run the
 * same step from a GSource in the caller's main context
 * (wf-notify-source.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wf-backend-registry-private.h"
#include "wf-backend-status-private.h"
#include "wf-enum-types.h"
#include "wf-error.h"
#include "wf-notify.h"
#include "wf-notify-source-private.h"
#include "wf-sink-private.h"
#include "wf-state-private.h"
#include "wf-status-private.h"
#include "wf-wait-private.h"
#include "wf-watch-step-private.h"

#define WF_DEFAULT_POLL_DELAY_MS 300
#define WF_DEFAULT_POLL_CPU_PERCENT 10

/* Filesystems whose kernel notifications miss changes made by another
 * machine or beneath the mount (network shares, VM shares, FUSE): inotify
 * hears only what this kernel writes through the mount. */
static const char *const default_polled_filesystems[] = {
  "nfs", "nfs4", "cifs", "smb3", "9p", "virtiofs", "vboxsf", "fuse", "fuse.*", NULL
};

/**
 * WfNotify:
 *
 * Watches files and directories and returns their changes as debounced
 * batches of [struct@Watchfiles.FileChange]: the C/GObject twin of
 * watchfiles' `RustNotify`.
 *
 * Three ways to receive the batches, all with the same debounce rule (a
 * batch is released once a step passes without a new change, and no later
 * than the debounce after its first change), none of them waking the
 * process while nothing changes:
 *
 * - [method@Watchfiles.Notify.watch] blocks the calling thread until a
 *   batch, a stop, a signal or a timeout, as `RustNotify.watch()` does
 *   ([method@Watchfiles.Notify.watch_full] also calls a check function on
 *   that thread while it waits, where RustNotify runs Python's signal
 *   handlers and `stop_event.is_set()`);
 * - [method@Watchfiles.Notify.watch_async] waits for one batch without
 *   blocking, and completes in the thread-default main context of its call;
 * - [method@Watchfiles.Notify.start] emits every batch as
 *   [signal@Watchfiles.Notify::changes] in the thread-default main context
 *   of its call, until [method@Watchfiles.Notify.stop] or
 *   [method@Watchfiles.Notify.close].
 *
 * The backends run in their own threads; user code (callbacks, signal
 * handlers) only ever runs in the caller's thread or main context.  In a
 * main context the wait is a [struct@GLib.Source] polling the watcher's
 * wake-up descriptor, whose ready time is the debounce deadline: no timer
 * is armed while nothing is pending and no timeout is due.
 *
 * From Python, `Watchfiles.Notify (paths, debug, force_polling,
 * poll_delay_ms, recursive, ignore_permission_denied)`, RustNotify's
 * six-argument call, comes from the PyGObject override
 * `gi/overrides/Watchfiles.py`, installed with the library into a
 * `gi/overrides` folder on Python's `sys.path`
 * (`/usr/lib/python3/dist-packages/gi/overrides/` with `--prefix=/usr`).
 * If Python says
 * `TypeError: GObject.__init__() takes exactly 0 arguments (6 given)`,
 * that override was not found: `python3 -c 'import gi.overrides.Watchfiles'`
 * says where Python looked.
 * [ctor@Watchfiles.Notify.new] takes the same six arguments without it.
 *
 * A started watcher is the only consumer of its batches: while it is
 * started, watch() and watch_async() fail with `WF_ERROR_BUSY`,
 * and start() fails likewise while a watch() or watch_async() call is under
 * way, rather than let two consumers split the changes between them.
 *
 * ```c
 * static void
 * on_changes (WfNotify *notify, GPtrArray *changes, gpointer user_data)
 * {
 *   for (guint i = 0; i < changes->len; i++)
 *     {
 *       WfFileChange *change = g_ptr_array_index (changes, i);
 *       g_print ("%d %s\n", wf_file_change_get_change (change),
 *                wf_file_change_get_path (change));
 *     }
 * }
 *
 * const char *paths[] = { "/tmp/project", NULL };
 * g_autoptr(GError) error = NULL;
 * g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, FALSE, 300, TRUE, FALSE, &error);
 *
 * if (notify == NULL)
 *   g_error ("%s", error->message);
 * g_signal_connect (notify, "changes", G_CALLBACK (on_changes), NULL);
 * if (!wf_notify_start (notify, 1600, 50, &error))
 *   g_error ("%s", error->message);
 * g_main_loop_run (g_main_loop_new (NULL, FALSE));
 * ```
 *
 * Since: 1.0
 */
struct _WfNotify {
  GObject parent_instance;

  GStrv paths;
  gboolean debug;
  gboolean force_polling;
  guint poll_delay_ms;
  gboolean recursive;
  gboolean ignore_permission_denied;
  gboolean follow_symlinks;
  char *requested_backend;
  char *fallback_reason;     /* why poll serves instead of the native backend */
  WfIgnoreRules *ignore_rules;
  WfWatchLimitPolicy watch_limit_policy;
  guint poll_cpu_percent;
  GStrv polled_filesystems;
  char *state_file;
  guint state_interval_ms;

  WfRoots *roots;         /* the paths' given, absolute and reported forms */
  WfSink *sink;
  const WfBackendModule *backend;

  /* Guards the fields below: close() and stop() may come from another
   * thread while watch() waits or a batch is being emitted. */
  GMutex lock;
  WfBackendInstance *instance;
  gboolean closed;
  GSource *emitter;       /* set while started: emits "changes" */
  guint n_watching;       /* watch() and watch_async() calls under way */

  /* The kept state file (state-file): its snapshots, and when they were
   * last saved.  Guarded by state_lock, held through a save. */
  GMutex state_lock;
  WfStateScan *state;
  gint64 state_saved_at;
};

enum {
  SIGNAL_CHANGES,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_PATHS,
  PROP_DEBUG,
  PROP_FORCE_POLLING,
  PROP_POLL_DELAY_MS,
  PROP_RECURSIVE,
  PROP_IGNORE_PERMISSION_DENIED,
  PROP_FOLLOW_SYMLINKS,
  PROP_BACKEND,
  PROP_IGNORE_RULES,
  PROP_WATCH_LIMIT_POLICY,
  PROP_POLL_CPU_PERCENT,
  PROP_POLLED_FILESYSTEMS,
  PROP_STATE_FILE,
  PROP_STATE_INTERVAL_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void wf_notify_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WfNotify, wf_notify, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, wf_notify_initable_iface_init))

static void
wf_notify_init (WfNotify *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->state_lock);
  self->poll_delay_ms = WF_DEFAULT_POLL_DELAY_MS;
  self->recursive = TRUE;
  self->follow_symlinks = TRUE;
  self->watch_limit_policy = WF_WATCH_LIMIT_POLICY_POLL;
  self->poll_cpu_percent = WF_DEFAULT_POLL_CPU_PERCENT;
  self->polled_filesystems = g_strdupv ((GStrv) default_polled_filesystems);
}

static void
wf_notify_dispose (GObject *object)
{
  wf_notify_close (WF_NOTIFY (object));
  G_OBJECT_CLASS (wf_notify_parent_class)->dispose (object);
}

static void
wf_notify_finalize (GObject *object)
{
  WfNotify *self = WF_NOTIFY (object);

  g_clear_pointer (&self->sink, wf_sink_unref);
  g_clear_pointer (&self->roots, wf_roots_unref);
  g_strfreev (self->paths);
  g_free (self->requested_backend);
  g_free (self->fallback_reason);
  g_clear_object (&self->ignore_rules);
  g_strfreev (self->polled_filesystems);
  g_free (self->state_file);
  g_clear_pointer (&self->state, wf_state_scan_free);
  g_mutex_clear (&self->state_lock);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (wf_notify_parent_class)->finalize (object);
}

static void
wf_notify_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  WfNotify *self = WF_NOTIFY (object);

  switch (prop_id)
    {
    case PROP_PATHS: g_value_set_boxed (value, self->paths); break;
    case PROP_DEBUG: g_value_set_boolean (value, self->debug); break;
    case PROP_FORCE_POLLING: g_value_set_boolean (value, self->force_polling); break;
    case PROP_POLL_DELAY_MS: g_value_set_uint (value, self->poll_delay_ms); break;
    case PROP_RECURSIVE: g_value_set_boolean (value, self->recursive); break;
    case PROP_IGNORE_PERMISSION_DENIED: g_value_set_boolean (value, self->ignore_permission_denied); break;
    case PROP_FOLLOW_SYMLINKS: g_value_set_boolean (value, self->follow_symlinks); break;
    case PROP_BACKEND: g_value_set_string (value, self->requested_backend); break;
    case PROP_IGNORE_RULES: g_value_set_object (value, self->ignore_rules); break;
    case PROP_WATCH_LIMIT_POLICY: g_value_set_enum (value, self->watch_limit_policy); break;
    case PROP_POLL_CPU_PERCENT: g_value_set_uint (value, self->poll_cpu_percent); break;
    case PROP_POLLED_FILESYSTEMS: g_value_set_boxed (value, self->polled_filesystems); break;
    case PROP_STATE_FILE: g_value_set_string (value, self->state_file); break;
    case PROP_STATE_INTERVAL_MS: g_value_set_uint (value, self->state_interval_ms); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wf_notify_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  WfNotify *self = WF_NOTIFY (object);

  switch (prop_id)
    {
    case PROP_PATHS: g_strfreev (self->paths); self->paths = g_value_dup_boxed (value); break;
    case PROP_DEBUG: self->debug = g_value_get_boolean (value); break;
    case PROP_FORCE_POLLING: self->force_polling = g_value_get_boolean (value); break;
    case PROP_POLL_DELAY_MS: self->poll_delay_ms = g_value_get_uint (value); break;
    case PROP_RECURSIVE: self->recursive = g_value_get_boolean (value); break;
    case PROP_IGNORE_PERMISSION_DENIED: self->ignore_permission_denied = g_value_get_boolean (value); break;
    case PROP_FOLLOW_SYMLINKS: self->follow_symlinks = g_value_get_boolean (value); break;
    case PROP_BACKEND: g_free (self->requested_backend); self->requested_backend = g_value_dup_string (value); break;
    case PROP_IGNORE_RULES: g_set_object (&self->ignore_rules, g_value_get_object (value)); break;
    case PROP_WATCH_LIMIT_POLICY: self->watch_limit_policy = g_value_get_enum (value); break;
    case PROP_POLL_CPU_PERCENT: self->poll_cpu_percent = g_value_get_uint (value); break;
    case PROP_STATE_FILE: g_free (self->state_file); self->state_file = g_value_dup_string (value); break;
    case PROP_STATE_INTERVAL_MS: self->state_interval_ms = g_value_get_uint (value); break;
    case PROP_POLLED_FILESYSTEMS:
      g_strfreev (self->polled_filesystems);
      /* NULL (what g_object_new() gives an unset boxed) means the default. */
      self->polled_filesystems = g_value_get_boxed (value) != NULL
                                 ? g_value_dup_boxed (value)
                                 : g_strdupv ((GStrv) default_polled_filesystems);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wf_notify_class_init (WfNotifyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = wf_notify_dispose;
  object_class->finalize = wf_notify_finalize;
  object_class->get_property = wf_notify_get_property;
  object_class->set_property = wf_notify_set_property;

  /**
   * WfNotify:paths: (type GStrv)
   *
   * The files and directories to watch, in the file system's own bytes.
   *
   * Since: 1.0
   */
  properties[PROP_PATHS] = g_param_spec_boxed ("paths", NULL, NULL, G_TYPE_STRV, flags);
  /**
   * WfNotify:debug:
   *
   * Print every raw event and decision on stderr, as RustNotify does.
   *
   * Since: 1.0
   */
  properties[PROP_DEBUG] = g_param_spec_boolean ("debug", NULL, NULL, FALSE, flags);
  /**
   * WfNotify:force-polling:
   *
   * Use the poll backend whatever else is available.
   *
   * Since: 1.0
   */
  properties[PROP_FORCE_POLLING] = g_param_spec_boolean ("force-polling", NULL, NULL, FALSE, flags);
  /**
   * WfNotify:poll-delay-ms:
   *
   * Milliseconds between two scans of the poll backend.  0 rescans as soon
   * as the previous scan has rested as long as it took.
   *
   * Since: 1.0
   */
  properties[PROP_POLL_DELAY_MS] = g_param_spec_uint ("poll-delay-ms", NULL, NULL,
                                                      0, G_MAXUINT, WF_DEFAULT_POLL_DELAY_MS, flags);
  /**
   * WfNotify:recursive:
   *
   * Watch whole trees; when %FALSE only a directory's direct children.
   *
   * Since: 1.0
   */
  properties[PROP_RECURSIVE] = g_param_spec_boolean ("recursive", NULL, NULL, TRUE, flags);
  /**
   * WfNotify:ignore-permission-denied:
   *
   * Skip paths that cannot be watched (any error, as RustNotify does)
   * instead of failing.
   *
   * Since: 1.0
   */
  properties[PROP_IGNORE_PERMISSION_DENIED] = g_param_spec_boolean ("ignore-permission-denied", NULL, NULL,
                                                                    FALSE, flags);
  /**
   * WfNotify:follow-symlinks:
   *
   * Follow symbolic links to directories (loops are detected).
   *
   * Since: 1.0
   */
  properties[PROP_FOLLOW_SYMLINKS] = g_param_spec_boolean ("follow-symlinks", NULL, NULL, TRUE, flags);
  /**
   * WfNotify:backend:
   *
   * The backend to use by name, overriding `WATCHFILES_BACKEND`.  A named
   * backend that cannot serve is an error, never replaced by another.
   *
   * Since: 1.0
   */
  properties[PROP_BACKEND] = g_param_spec_string ("backend", NULL, NULL, NULL, flags);
  /**
   * WfNotify:ignore-rules:
   *
   * Paths never watched nor reported: an ignored directory costs no
   * watch, no scan and no event.  The rules are sealed when the watcher is
   * initialised and cannot be changed afterwards.  %NULL (the default, as
   * RustNotify) ignores nothing.
   *
   * Since: 1.0
   */
  properties[PROP_IGNORE_RULES] = g_param_spec_object ("ignore-rules", NULL, NULL, WF_TYPE_IGNORE_RULES, flags);
  /**
   * WfNotify:watch-limit-policy:
   *
   * What a native backend does when a kernel limit on watches
   * (`fs.inotify.max_user_watches`) is reached, at start or while
   * running: poll the subtrees it cannot watch (the default; they show in
   * [method@Watchfiles.Notify.get_status]), or fail with
   * `WF_ERROR_WATCH_LIMIT`.  The poll backend has no such limit.
   *
   * Since: 1.0
   */
  properties[PROP_WATCH_LIMIT_POLICY] = g_param_spec_enum ("watch-limit-policy", NULL, NULL,
                                                           WF_TYPE_WATCH_LIMIT_POLICY,
                                                           WF_WATCH_LIMIT_POLICY_POLL, flags);
  /**
   * WfNotify:poll-cpu-percent:
   *
   * Polling's CPU budget, in percent of one core, from 1 to 100: the delay
   * between two scans stretches beyond
   * [property@Watchfiles.Notify:poll-delay-ms] so that scanning takes at
   * most this share of the time on large trees.  It applies to the poll
   * backend and to the subtrees a native backend polls.  Another value
   * fails initialisation with `WF_ERROR_INVALID_ARGUMENT`.
   *
   * Since: 1.0
   */
  properties[PROP_POLL_CPU_PERCENT] = g_param_spec_uint ("poll-cpu-percent", NULL, NULL,
                                                         0, G_MAXUINT, WF_DEFAULT_POLL_CPU_PERCENT, flags);
  /**
   * WfNotify:polled-filesystems: (type GStrv)
   *
   * Filesystem types, as `/proc/self/mountinfo` names them, whose
   * subtrees a native backend polls in addition to watching them, because
   * their kernel notifications miss changes made by another machine or
   * beneath the mount.  An entry ending in `.*` matches every type
   * beginning with what precedes the `*` (`fuse.*` matches `fuse.sshfs`).
   * %NULL gives the default: `nfs`, `nfs4`, `cifs`, `smb3`, `9p`,
   * `virtiofs`, `vboxsf`, `fuse` and `fuse.*`; an empty list polls none.
   * An empty entry, or one with white space, a comma or another `*`,
   * fails initialisation with `WF_ERROR_INVALID_ARGUMENT`.
   *
   * Since: 1.0
   */
  properties[PROP_POLLED_FILESYSTEMS] = g_param_spec_boxed ("polled-filesystems", NULL, NULL, G_TYPE_STRV, flags);

  /**
   * WfNotify:state-file: (type filename)
   *
   * A state file the watcher keeps up to date, so that the next watcher
   * (or [func@Watchfiles.state_changes_since]) on the same roots, with the
   * same recursive, symlink and ignore settings, learns what changed while
   * nothing watched: the indexer that restarts.
   *
   * At initialisation, after every watch is installed, the roots are
   * compared with the state saved there and the differences become
   * pending changes, returned by the first [method@Watchfiles.Notify.watch]
   * with whatever happens next; a file that does not exist yet is written
   * with the present state.  A state that cannot be used fails the
   * initialisation with its error (`WF_ERROR_STATE_INVALID`,
   * `WF_ERROR_STATE_VERSION`, `WF_ERROR_STATE_MISMATCH`), and the file is
   * left as it is.
   *
   * The file is written on [method@Watchfiles.Notify.close] (errors then
   * go to a warning), on [method@Watchfiles.Notify.save_state], and every
   * [property@Watchfiles.Notify:state-interval-ms].  Each write reads the
   * roots again; every change the consumer was not handed yet — pending,
   * or not yet read from the kernel — is kept in the file as changed, so
   * the next start reports it rather than losing it.
   *
   * ```c
   * const char *paths[] = { "/srv/index/docs", NULL };
   * g_autoptr(GError) error = NULL;
   * g_autoptr(WfNotify) notify = g_initable_new (WF_TYPE_NOTIFY, NULL, &error,
   *                                              "paths", paths,
   *                                              "state-file", "/var/cache/indexer/docs.state",
   *                                              "state-interval-ms", 60000,
   *                                              NULL);
   * ```
   *
   * Since: 1.0
   */
  properties[PROP_STATE_FILE] = g_param_spec_string ("state-file", NULL, NULL, NULL, flags);

  /**
   * WfNotify:state-interval-ms:
   *
   * With [property@Watchfiles.Notify:state-file], writes the state file
   * again when this long has passed since the last write: checked when a
   * watch() or watch_async() call begins (the batch before it was dealt
   * with) and after each [signal@Watchfiles.Notify::changes] emission, so
   * no timer wakes a quiet process.  0, the default, writes it only on
   * close and [method@Watchfiles.Notify.save_state].
   *
   * Since: 1.0
   */
  properties[PROP_STATE_INTERVAL_MS] = g_param_spec_uint ("state-interval-ms", NULL, NULL,
                                                          0, G_MAXUINT, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WfNotify::changes:
   * @self: the watcher
   * @changes: (element-type WfFileChange): the batch, in arrival order
   *
   * Emitted with every debounced batch once [method@Watchfiles.Notify.start]
   * was called, in the thread-default main context of that call.  The
   * batch belongs to the watcher: take a reference to keep it.
   *
   * Since: 1.0
   */
  signals[SIGNAL_CHANGES] = g_signal_new ("changes", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  /**
   * WfNotify::failed:
   * @self: the watcher
   * @error: why the backend stopped (`WF_ERROR_BACKEND_FAILED`)
   *
   * Emitted once, in the main context of [method@Watchfiles.Notify.start],
   * when the backend died; no "changes" follows, and the watcher is no
   * longer started.
   *
   * Since: 1.0
   */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_ERROR);
}

/* A filesystem type as mountinfo writes it, or a "prefix.*" pattern. */
static gboolean
is_valid_filesystem_entry (const char *entry)
{
  const char *star = strchr (entry, '*');

  if (*entry == '\0' || strpbrk (entry, " \t\n\r\f\v,") != NULL)
    return FALSE;
  return star == NULL || (star > entry && star[-1] == '.' && star[1] == '\0' && star - entry > 1);
}

/* The properties GObject cannot range-check into a GError. */
static gboolean
check_options (WfNotify *self, GError **error)
{
  if (self->poll_cpu_percent < 1 || self->poll_cpu_percent > 100)
    {
      g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                   "poll-cpu-percent must be from 1 to 100, not %u", self->poll_cpu_percent);
      return FALSE;
    }
  for (guint i = 0; self->polled_filesystems[i] != NULL; i++)
    if (!is_valid_filesystem_entry (self->polled_filesystems[i]))
      {
        g_autofree char *escaped = g_strescape (self->polled_filesystems[i], NULL);

        g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                     "polled-filesystems: “%s” is not a filesystem type (such as nfs4) "
                     "nor a prefix pattern (such as fuse.*)", escaped);
        return FALSE;
      }
  return TRUE;
}

/* WfBackendRootsAdder: the roots' forms for @module, then each root. */
static gboolean
add_roots (const WfBackendModule *module, WfBackendInstance *instance, gpointer user_data, GError **error)
{
  WfNotify *self = user_data;
  g_autoptr(GError) local_error = NULL;

  g_clear_pointer (&self->roots, wf_roots_unref);
  self->roots = wf_roots_new ((const char *const *) self->paths);
  wf_roots_set_report_as_given (self->roots, (wf_backend_module_get_flags (module) & WF_BACKEND_FLAG_REPORTS_GIVEN_PATHS) != 0);
  wf_sink_set_roots (self->sink, self->roots);

  for (guint i = 0; self->paths[i] != NULL; i++)
    {
      /* "" is no path (std::fs::metadata("") fails in RustNotify); a
       * backend joining it to the working directory would watch that. */
      if (*self->paths[i] == '\0')
        g_set_error_literal (&local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             "No such file or directory: an empty path");
      else if (module->vtable->add_root (instance, wf_roots_get_absolute (self->roots, i), &local_error))
        continue;
      if (!self->ignore_permission_denied)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* As RustNotify does, ignore_permission_denied skips any path that
       * cannot be watched; unlike it, the other paths are still watched. */
      wf_sink_debug (self->sink, "ignoring error for path %s: %s", self->paths[i], local_error->message);
      g_clear_error (&local_error);
    }
  return TRUE;
}

static WfBackendInstance *
start_backend (WfNotify *self, GError **error)
{
  const WfBackendOptions options = {
    .struct_size = sizeof options,
    .recursive = self->recursive,
    .follow_symlinks = self->follow_symlinks,
    .ignore_permission_denied = self->ignore_permission_denied,
    .poll_delay_ms = self->poll_delay_ms,
    .ignore_rules = self->ignore_rules,
    .watch_limit_policy = self->watch_limit_policy,
    .poll_cpu_percent = self->poll_cpu_percent,
    .polled_filesystems = (const char *const *) self->polled_filesystems,
  };

  return wf_backend_registry_start ((const char *const *) self->paths, self->force_polling,
                                    self->requested_backend, self->sink, &options, add_roots, self,
                                    &self->backend, &self->fallback_reason, error);
}

/* Watch, then scan (DESIGN rule 1): the watches are in place, so nothing
 * changing from now on is missed; what changed before comes from the
 * state file. */
static gboolean
open_state (WfNotify *self, GError **error)
{
  WfStateFlags flags = (self->recursive ? 0 : WF_STATE_FLAGS_NON_RECURSIVE) |
                       (self->follow_symlinks ? 0 : WF_STATE_FLAGS_NO_FOLLOW_SYMLINKS) |
                       (self->ignore_permission_denied ? WF_STATE_FLAGS_IGNORE_PERMISSION_DENIED : 0);
  g_autoptr(WfStateScan) scan = wf_state_scan_new ((const char *const *) self->paths, self->roots,
                                                   flags, self->ignore_rules);
  g_autoptr(GError) local_error = NULL;

  wf_sink_track_taken (self->sink);
  if (wf_state_scan_load (scan, self->state_file, &local_error))
    {
      wf_state_scan_rescan (scan, self->sink);
      wf_sink_debug (self->sink, "state file %s: %zu changes since it was saved",
                     self->state_file, wf_sink_get_size (self->sink));
    }
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      /* A first run: the present state, saved at once so that a crash
       * before close still leaves one. */
      if (!wf_state_scan_build (scan, error) || !wf_state_scan_save (scan, self->state_file, error))
        return FALSE;
      wf_sink_debug (self->sink, "state file %s: created", self->state_file);
    }
  else
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  self->state = g_steal_pointer (&scan);
  self->state_saved_at = g_get_monotonic_time ();
  return TRUE;
}

/* Writes the state file now (@force) or when the interval has passed.
 * Returns FALSE with @error set when a write failed. */
static gboolean
save_state (WfNotify *self, gboolean force, GError **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->state_lock);
  if (self->state != NULL &&
      (force || (self->state_interval_ms > 0 &&
                 g_get_monotonic_time () - self->state_saved_at >= (gint64) self->state_interval_ms * 1000)))
    {
      ok = wf_state_scan_save_live (self->state, self->roots, self->ignore_rules, self->sink,
                                    self->state_file, error);
      self->state_saved_at = g_get_monotonic_time ();
    }
  g_mutex_unlock (&self->state_lock);
  return ok;
}

static void
save_state_or_warn (WfNotify *self, gboolean force)
{
  g_autoptr(GError) error = NULL;

  if (!save_state (self, force, &error))
    g_warning ("Watchfiles: %s", error->message);
}

static gboolean
wf_notify_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  WfNotify *self = WF_NOTIFY (initable);

  if (self->paths == NULL)
    self->paths = g_new0 (char *, 1);
  if (!check_options (self, error))
    return FALSE;
  if (self->ignore_rules != NULL)
    wf_ignore_rules_seal (self->ignore_rules);

  self->sink = wf_sink_new (self->debug, error);
  if (self->sink == NULL)
    return FALSE;
  wf_sink_set_ignore_rules (self->sink, self->ignore_rules);

  self->instance = start_backend (self, error);
  if (self->instance == NULL)
    {
      self->closed = TRUE;
      return FALSE;
    }
  if (self->state_file != NULL && !open_state (self, error))
    {
      wf_notify_close (self);
      return FALSE;
    }

  if (self->debug)
    {
      g_autofree char *description = self->backend->vtable->describe (self->instance);
      wf_sink_debug (self->sink, "watcher: %s", description);
    }
  return TRUE;
}

static void
wf_notify_initable_iface_init (GInitableIface *iface)
{
  iface->init = wf_notify_initable_init;
}

/**
 * wf_notify_new:
 * @paths: (array zero-terminated=1) (element-type filename): files and
 *   directories to watch
 * @debug: print raw events on stderr
 * @force_polling: use the poll backend
 * @poll_delay_ms: milliseconds between scans of the poll backend
 * @recursive: watch whole trees rather than direct children only
 * @ignore_permission_denied: skip paths that cannot be watched instead of
 *   failing
 * @error: return location for an error
 *
 * Creates a watcher with RustNotify's six arguments.  Every watch is
 * installed when this returns: any later change is reported.
 *
 * Errors: `G_IO_ERROR_NOT_FOUND` for a missing path,
 * `G_IO_ERROR_PERMISSION_DENIED`, `WF_ERROR_WATCH_LIMIT` when a kernel limit
 * is reached, and the `WF_ERROR_BACKEND_*` errors when no backend can serve.
 *
 * Returns: (transfer full): a new watcher, or %NULL with @error set
 *
 * Since: 1.0
 */
WfNotify *
wf_notify_new (const char *const *paths,
               gboolean debug,
               gboolean force_polling,
               guint poll_delay_ms,
               gboolean recursive,
               gboolean ignore_permission_denied,
               GError **error)
{
  g_return_val_if_fail (paths != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (WF_TYPE_NOTIFY, NULL, error,
                         "paths", paths,
                         "debug", debug,
                         "force-polling", force_polling,
                         "poll-delay-ms", poll_delay_ms,
                         "recursive", recursive,
                         "ignore-permission-denied", ignore_permission_denied,
                         NULL);
}

static gboolean
is_closed (WfNotify *self)
{
  gboolean closed;

  g_mutex_lock (&self->lock);
  closed = self->closed;
  g_mutex_unlock (&self->lock);
  return closed;
}

static void
set_closed_error (GError **error)
{
  g_set_error_literal (error, WF_ERROR, WF_ERROR_CLOSED, "Watchfiles watcher closed");
}

static gboolean
check_initialised (WfNotify *self, GError **error)
{
  if (self->sink != NULL)
    return TRUE;
  /* Made with g_object_new() and never initialised (bindings can). */
  g_set_error_literal (error, WF_ERROR, WF_ERROR_NOT_INITIALIZED,
                       "This watcher was never initialised: create it with wf_notify_new() or g_initable_new()");
  return FALSE;
}

/* Registers a watch() or watch_async() call, unless the watcher is closed
 * or started (a started watcher is the only consumer of its batches). */
static gboolean
begin_watch (WfNotify *self, GError **error)
{
  gboolean ok = FALSE;

  if (!check_initialised (self, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  if (self->closed)
    set_closed_error (error);
  else if (self->emitter != NULL)
    g_set_error_literal (error, WF_ERROR, WF_ERROR_BUSY,
                         "This watcher is started: its changes go to the “changes” signal until stop()");
  else
    {
      self->n_watching++;
      ok = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (ok)
    save_state_or_warn (self, FALSE);
  return ok;
}

static void
end_watch (WfNotify *self)
{
  g_mutex_lock (&self->lock);
  g_assert (self->n_watching > 0);
  self->n_watching--;
  g_mutex_unlock (&self->lock);
}

/**
 * wf_notify_watch:
 * @self: a watcher
 * @debounce_ms: release a growing batch at most this long after its first
 *   change
 * @step_ms: release a batch once this long passes without a new change
 * @timeout_ms: return %WF_WATCH_RESULT_TIMEOUT after this long without any
 *   change; 0 waits for ever
 * @stop: (nullable): cancel it to make the call return %WF_WATCH_RESULT_STOP
 * @signal_fd: a descriptor that becomes readable when a signal arrives
 *   (a self-pipe, a signalfd, Python's wakeup fd), or -1.  It is only
 *   polled, never read
 * @changes: (out) (optional) (transfer container) (element-type WfFileChange):
 *   the batch, in arrival order, when the result is %WF_WATCH_RESULT_CHANGES
 * @error: return location for an error
 *
 * Waits for changes and returns them as one debounced batch, with the
 * timing of RustNotify's `watch()`: a batch comes no sooner than one step
 * after the call began and after its last growth, and no later than
 * @debounce_ms + @step_ms after its first change.  Changes that arrive
 * between calls are kept for the next call; so are changes pending when
 * the call ends by stop or signal.
 *
 * The wait is event-driven: nothing wakes the process while nothing
 * changes and no timeout is due.  A readable @signal_fd ends the call with
 * %WF_WATCH_RESULT_SIGNAL; to look at the signal and maybe go on waiting
 * without losing the debounce state, use
 * [method@Watchfiles.Notify.watch_full].
 *
 * Errors: `WF_ERROR_CLOSED` after [method@Watchfiles.Notify.close] (a call
 * already waiting then returns its pending changes, or this error),
 * `WF_ERROR_BACKEND_FAILED` once the backend died (every later call too),
 * `WF_ERROR_BUSY` while the watcher is started
 * ([method@Watchfiles.Notify.start]), `WF_ERROR_NOT_INITIALIZED` for a
 * watcher never initialised, and `WF_ERROR_INVALID_ARGUMENT` for a
 * @signal_fd that is neither -1 nor open.
 *
 * Returns: how the call ended; %WF_WATCH_RESULT_ERROR with @error set on
 *   failure
 *
 * Since: 1.0
 */
WfWatchResult
wf_notify_watch (WfNotify *self,
                 guint debounce_ms,
                 guint step_ms,
                 guint timeout_ms,
                 GCancellable *stop,
                 int signal_fd,
                 GPtrArray **changes,
                 GError **error)
{
  return wf_notify_watch_full (self, debounce_ms, step_ms, timeout_ms, stop, signal_fd,
                               FALSE, NULL, NULL, changes, error);
}

/* Maps a check function's verdict to how the call ends, or -1 to go on. */
static int
check_verdict (WfNotify *self, WfWatchCheck verdict)
{
  switch (verdict)
    {
    case WF_WATCH_CHECK_CONTINUE:
      return -1;
    case WF_WATCH_CHECK_STOP:
      wf_sink_debug (self->sink, "stop event set, stopping...");
      return WF_WATCH_RESULT_STOP;
    case WF_WATCH_CHECK_SIGNAL:
      return WF_WATCH_RESULT_SIGNAL;
    default:
      g_critical ("WfWatchCheckFunc returned %d, not a WfWatchCheck", (int) verdict);
      return -1;
    }
}

/**
 * wf_notify_watch_full:
 * @self: a watcher
 * @debounce_ms: release a growing batch at most this long after its first
 *   change
 * @step_ms: release a batch once this long passes without a new change
 * @timeout_ms: return %WF_WATCH_RESULT_TIMEOUT after this long without any
 *   change; 0 waits for ever
 * @stop: (nullable): cancel it to make the call return %WF_WATCH_RESULT_STOP
 * @signal_fd: a descriptor that becomes readable when a signal arrives
 *   (a self-pipe, a signalfd, Python's wakeup fd), or -1.  It is only
 *   polled, never read
 * @check_each_step: also call @check every @step_ms while waiting
 * @check: (scope call) (nullable): called on the calling thread when
 *   @signal_fd becomes readable, and every step if @check_each_step
 * @user_data: data for @check
 * @changes: (out) (optional) (transfer container) (element-type WfFileChange):
 *   the batch, in arrival order, when the result is %WF_WATCH_RESULT_CHANGES
 * @error: return location for an error
 *
 * [method@Watchfiles.Notify.watch] with a say for the caller while it
 * waits, as RustNotify's loop runs Python's signal handlers and calls
 * `stop_event.is_set()` at every step, with the GIL, on its own thread.
 *
 * When @signal_fd becomes readable, @check is called with @signal_ready
 * %TRUE; it must empty @signal_fd, or return %WF_WATCH_CHECK_SIGNAL.  With
 * @check_each_step, @check is also called with %FALSE every @step_ms,
 * beginning one step after the call began (every turn of the wait when
 * @step_ms is 0).  %WF_WATCH_CHECK_CONTINUE goes on waiting with the
 * debounce state of the call kept, so a batch comes within @debounce_ms +
 * @step_ms of its first change however often @check is called;
 * %WF_WATCH_CHECK_STOP and %WF_WATCH_CHECK_SIGNAL end the call with
 * %WF_WATCH_RESULT_STOP or %WF_WATCH_RESULT_SIGNAL, pending changes kept
 * for the next call.
 *
 * The order of RustNotify's loop holds: the signal, then a backend
 * failure, then @stop and the step check, then the changes.  Without
 * @check_each_step the wait stays event-driven: nothing wakes the process
 * while nothing changes, no signal comes and no timeout is due.  Without
 * @check this is [method@Watchfiles.Notify.watch].
 *
 * Errors: those of [method@Watchfiles.Notify.watch].
 *
 * Returns: how the call ended; %WF_WATCH_RESULT_ERROR with @error set on
 *   failure
 *
 * Since: 1.0
 */
/* What wf_notify_watch_full() looks at besides the sink and the stop. */
typedef struct {
  WfNotify *self;
  int signal_fd;
  WfWatchCheckFunc check;
  gpointer user_data;
  gint64 next_check;      /* monotonic µs of the next step check; -1: none */
  gint64 step;            /* µs between step checks */
} BlockingChecks;

/* The signal descriptor, first in RustNotify's order. */
static int
check_signal (gpointer data, GError **error)
{
  BlockingChecks *checks = data;

  if (checks->signal_fd < 0 || !wf_wait_fd_is_ready (checks->signal_fd))
    return -1;
  if (checks->check == NULL)
    return WF_WATCH_RESULT_SIGNAL;
  return check_verdict (checks->self, checks->check (TRUE, checks->user_data));
}

/* The check once a step, after the stop. */
static int
check_step (gpointer data, GError **error)
{
  BlockingChecks *checks = data;
  int verdict;

  if (checks->next_check < 0 || g_get_monotonic_time () < checks->next_check)
    return -1;
  verdict = check_verdict (checks->self, checks->check (FALSE, checks->user_data));
  /* The next step counts from the end of this check, as RustNotify's
   * sleep follows its checks: a slow check does not bunch the next ones
   * up. */
  checks->next_check = g_get_monotonic_time () + checks->step;
  return verdict;
}

WfWatchResult
wf_notify_watch_full (WfNotify *self,
                      guint debounce_ms,
                      guint step_ms,
                      guint timeout_ms,
                      GCancellable *stop,
                      int signal_fd,
                      gboolean check_each_step,
                      WfWatchCheckFunc check,
                      gpointer user_data,
                      GPtrArray **changes,
                      GError **error)
{
  g_autoptr(WfNotify) keep_alive = NULL;
  WfWatchStep step;
  WfWaitSet waits;
  BlockingChecks checks = { self, signal_fd, check, user_data, -1, 0 };
  WfWatchResult result = WF_WATCH_RESULT_ERROR;

  g_return_val_if_fail (WF_IS_NOTIFY (self), WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (stop == NULL || G_IS_CANCELLABLE (stop), WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (changes == NULL || *changes == NULL, WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, WF_WATCH_RESULT_ERROR);

  if (!begin_watch (self, error))
    return WF_WATCH_RESULT_ERROR;
  /* A closed one: poll() would report it ready (POLLNVAL) at every call.
   * Below -1: a caller's mistake, not a way to say "none". */
  if (signal_fd < -1 || (signal_fd >= 0 && !wf_wait_fd_is_open (signal_fd)))
    {
      g_set_error (error, WF_ERROR, WF_ERROR_INVALID_ARGUMENT,
                   "signal_fd %d is neither -1 nor an open file descriptor", signal_fd);
      end_watch (self);
      return WF_WATCH_RESULT_ERROR;
    }
  keep_alive = g_object_ref (self);
  if (!wf_wait_set_init (&waits, wf_sink_get_wakeup_fd (self->sink), stop, signal_fd, error))
    {
      end_watch (self);
      return WF_WATCH_RESULT_ERROR;
    }

  wf_watch_step_init (&step, self->sink, stop, debounce_ms, step_ms, timeout_ms);
  step.before_failure = check_signal;
  step.check_data = &checks;
  if (check != NULL && check_each_step)
    {
      checks.step = step.debounce.step;
      checks.next_check = step.debounce.call_start + step.debounce.step;
      step.after_stop = check_step;
    }

  for (;;)
    {
      gint64 wake_at;

      if (wf_watch_step_run (&step, self, &result, changes, &wake_at, error))
        break;
      if (checks.next_check >= 0 && (wake_at < 0 || checks.next_check < wake_at))
        wake_at = checks.next_check;
      wf_wait_set_wait (&waits, wake_at);
    }

  wf_wait_set_clear (&waits);
  end_watch (self);
  return result;
}

/* What a watch_async() call hands to its finish(). */
typedef struct {
  WfWatchResult result;
  GPtrArray *changes;
} WatchOutcome;

static void
watch_outcome_free (gpointer data)
{
  WatchOutcome *outcome = data;

  g_clear_pointer (&outcome->changes, g_ptr_array_unref);
  g_free (outcome);
}

static gboolean
watch_async_done (WfNotify *self, WfWatchResult result, GPtrArray *changes, const GError *error, gpointer user_data)
{
  GTask *task = user_data;

  end_watch (self);
  if (result == WF_WATCH_RESULT_ERROR)
    g_task_return_error (task, g_error_copy (error));
  else
    {
      WatchOutcome *outcome = g_new0 (WatchOutcome, 1);

      outcome->result = result;
      outcome->changes = changes;
      g_task_return_pointer (task, outcome, watch_outcome_free);
    }
  return G_SOURCE_REMOVE;
}

/**
 * wf_notify_watch_async:
 * @self: a watcher
 * @debounce_ms: release a growing batch at most this long after its first
 *   change
 * @step_ms: release a batch once this long passes without a new change
 * @timeout_ms: complete with %WF_WATCH_RESULT_TIMEOUT after this long
 *   without any change; 0 waits for ever
 * @stop: (nullable): cancel it to complete with %WF_WATCH_RESULT_STOP
 * @cancellable: (nullable): cancel it to fail with `G_IO_ERROR_CANCELLED`
 * @callback: (scope async): called when the wait is over
 * @user_data: (closure): data for @callback
 *
 * Waits, without blocking, for one batch of changes, with the rules and
 * results of [method@Watchfiles.Notify.watch]; get them with
 * [method@Watchfiles.Notify.watch_finish] from @callback.  The callback is
 * required: the batch leaves the watcher when the wait ends, and without
 * one it would be lost.
 *
 * The wait runs in the thread-default main context of this call, where
 * @callback is called too; it is event-driven, as watch() is.  Changes
 * pending when the call ends by @stop or @cancellable are kept for the
 * next call.  There is no signal descriptor: a main-loop application
 * handles signals with `g_unix_signal_add()` and cancels @stop from there,
 * so the call never ends with %WF_WATCH_RESULT_SIGNAL.
 *
 * Since: 1.0
 */
void
wf_notify_watch_async (WfNotify *self,
                       guint debounce_ms,
                       guint step_ms,
                       guint timeout_ms,
                       GCancellable *stop,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSource) source = NULL;
  GError *error = NULL;

  g_return_if_fail (WF_IS_NOTIFY (self));
  g_return_if_fail (stop == NULL || G_IS_CANCELLABLE (stop));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (callback != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wf_notify_watch_async);
  /* The source decides: a batch it took from the sink is never turned
   * into G_IO_ERROR_CANCELLED (and so lost) by a late cancel. */
  g_task_set_check_cancellable (task, FALSE);

  if (!begin_watch (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  source = wf_notify_source_new (self, self->sink, debounce_ms, step_ms, timeout_ms, stop, cancellable);
  g_task_attach_source (task, source, G_SOURCE_FUNC (watch_async_done));
}

/**
 * wf_notify_watch_finish:
 * @self: a watcher
 * @result: the result given to the callback of
 *   [method@Watchfiles.Notify.watch_async]
 * @changes: (out) (optional) (transfer container) (element-type WfFileChange):
 *   the batch, in arrival order, when the result is
 *   %WF_WATCH_RESULT_CHANGES
 * @error: return location for an error
 *
 * Finishes [method@Watchfiles.Notify.watch_async].
 *
 * Errors: those of [method@Watchfiles.Notify.watch], and
 * `G_IO_ERROR_CANCELLED` when the call's cancellable was cancelled.
 *
 * Returns: how the call ended; %WF_WATCH_RESULT_ERROR with @error set on
 *   failure
 *
 * Since: 1.0
 */
WfWatchResult
wf_notify_watch_finish (WfNotify *self,
                        GAsyncResult *result,
                        GPtrArray **changes,
                        GError **error)
{
  WatchOutcome *outcome;
  WfWatchResult watch_result;

  g_return_val_if_fail (WF_IS_NOTIFY (self), WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (g_task_is_valid (result, self), WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (g_async_result_is_tagged (result, wf_notify_watch_async), WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (changes == NULL || *changes == NULL, WF_WATCH_RESULT_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, WF_WATCH_RESULT_ERROR);

  outcome = g_task_propagate_pointer (G_TASK (result), error);
  if (outcome == NULL)
    return WF_WATCH_RESULT_ERROR;
  watch_result = outcome->result;
  if (changes != NULL)
    *changes = g_steal_pointer (&outcome->changes);
  watch_outcome_free (outcome);
  return watch_result;
}

static gboolean
emit_batch (WfNotify *self, WfWatchResult result, GPtrArray *changes, const GError *error, gpointer user_data)
{
  GSource *emitter = NULL;

  if (result == WF_WATCH_RESULT_CHANGES)
    {
      g_signal_emit (self, signals[SIGNAL_CHANGES], 0, changes);
      g_ptr_array_unref (changes);
      save_state_or_warn (self, FALSE);
      return G_SOURCE_CONTINUE;
    }

  /* The backend died, or close() came from another thread: this source
   * ends here, and the watcher is no longer started. */
  g_mutex_lock (&self->lock);
  if (self->emitter == g_main_current_source ())
    emitter = g_steal_pointer (&self->emitter);
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&emitter, g_source_unref);

  if (!g_error_matches (error, WF_ERROR, WF_ERROR_CLOSED))
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
  return G_SOURCE_REMOVE;
}

/**
 * wf_notify_start:
 * @self: a watcher
 * @debounce_ms: release a growing batch at most this long after its first
 *   change
 * @step_ms: release a batch once this long passes without a new change
 * @error: return location for an error
 *
 * Emits every batch of changes as [signal@Watchfiles.Notify::changes], in
 * the thread-default main context of this call, until
 * [method@Watchfiles.Notify.stop], [method@Watchfiles.Notify.close], the
 * last reference being dropped, or a backend failure (then
 * [signal@Watchfiles.Notify::failed] is emitted once).  Batches follow the
 * debounce rule of [method@Watchfiles.Notify.watch], with no timeout;
 * changes pending from before the call come in the first batch.
 *
 * While started, the watcher is the only consumer of its changes:
 * watch() and watch_async() fail with `WF_ERROR_BUSY`.
 *
 * Errors: `WF_ERROR_CLOSED` after close(), `WF_ERROR_BACKEND_FAILED` once
 * the backend died, `WF_ERROR_BUSY` when already started or while a
 * watch() or watch_async() call is under way, and
 * `WF_ERROR_NOT_INITIALIZED` for a watcher never initialised.
 *
 * Returns: %TRUE when started, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
wf_notify_start (WfNotify *self, guint debounce_ms, guint step_ms, GError **error)
{
  g_autoptr(GSource) source = NULL;
  g_autoptr(GMainContext) context = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (WF_IS_NOTIFY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_initialised (self, error))
    return FALSE;

  source = wf_notify_source_new (self, self->sink, debounce_ms, step_ms, 0, NULL, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (emit_batch), NULL, NULL);
  context = g_main_context_ref_thread_default ();

  g_mutex_lock (&self->lock);
  if (self->closed)
    set_closed_error (error);
  else if (wf_sink_get_failure (self->sink, error))
    ;
  else if (self->emitter != NULL)
    g_set_error_literal (error, WF_ERROR, WF_ERROR_BUSY, "This watcher is already started");
  else if (self->n_watching > 0)
    g_set_error_literal (error, WF_ERROR, WF_ERROR_BUSY,
                         "A watch() or watch_async() call is under way: it would take batches from the signal");
  else
    {
      /* Attached under the lock, so a concurrent stop() finds it. */
      self->emitter = g_source_ref (source);
      g_source_attach (source, context);
      ok = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/**
 * wf_notify_stop:
 * @self: a watcher
 *
 * Stops the emission started by [method@Watchfiles.Notify.start].  Pending
 * changes are kept for a later watch or start.  Called in the main context
 * of start(), no "changes" is emitted after it; from another thread, an
 * emission already under way may end first.  Does nothing when not started.
 *
 * Since: 1.0
 */
void
wf_notify_stop (WfNotify *self)
{
  GSource *emitter;

  g_return_if_fail (WF_IS_NOTIFY (self));

  g_mutex_lock (&self->lock);
  emitter = g_steal_pointer (&self->emitter);
  g_mutex_unlock (&self->lock);

  /* Outside the lock: destroying may run the source's finalizer. */
  if (emitter != NULL)
    {
      g_source_destroy (emitter);
      g_source_unref (emitter);
    }
}

/**
 * wf_notify_is_started:
 * @self: a watcher
 *
 * Tells whether the watcher emits its batches as signals.
 *
 * Returns: whether [signal@Watchfiles.Notify::changes] is being emitted:
 *   between [method@Watchfiles.Notify.start] and
 *   [method@Watchfiles.Notify.stop], close, or a backend failure
 *
 * Since: 1.0
 */
gboolean
wf_notify_is_started (WfNotify *self)
{
  gboolean started;

  g_return_val_if_fail (WF_IS_NOTIFY (self), FALSE);

  g_mutex_lock (&self->lock);
  started = self->emitter != NULL;
  g_mutex_unlock (&self->lock);
  return started;
}

/**
 * wf_notify_close:
 * @self: a watcher
 *
 * Stops the backend and releases every watch.  Idempotent.  A later
 * [method@Watchfiles.Notify.watch] fails with `WF_ERROR_CLOSED`; one already
 * waiting in another thread returns its pending changes, or that error, and
 * so does a pending [method@Watchfiles.Notify.watch_async].  Emission of
 * [signal@Watchfiles.Notify::changes] stops, as with
 * [method@Watchfiles.Notify.stop].
 *
 * Since: 1.0
 */
void
wf_notify_close (WfNotify *self)
{
  WfBackendInstance *instance;

  g_return_if_fail (WF_IS_NOTIFY (self));

  g_mutex_lock (&self->lock);
  instance = g_steal_pointer (&self->instance);
  self->closed = TRUE;
  g_mutex_unlock (&self->lock);
  wf_notify_stop (self);

  if (instance != NULL)
    self->backend->vtable->stop (instance);
  /* After the backend stopped: what it had not read yet is found by the
   * save's scan, and kept as changed. */
  if (self->sink != NULL)
    {
      save_state_or_warn (self, TRUE);
      g_mutex_lock (&self->state_lock);
      g_clear_pointer (&self->state, wf_state_scan_free);
      g_mutex_unlock (&self->state_lock);
      wf_sink_close (self->sink);
    }
}

/**
 * wf_notify_save_state:
 * @self: a watcher with a [property@Watchfiles.Notify:state-file]
 * @error: return location for an error
 *
 * Writes the state file now, as close() does: the roots as they are, with
 * every change not yet handed to the consumer kept as changed.  Call it
 * once a batch is dealt with (indexed, built) to make that progress
 * durable.
 *
 * Returns: %TRUE once the file is written (or when the watcher keeps no
 *   state file, or is closed), %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
wf_notify_save_state (WfNotify *self, GError **error)
{
  g_return_val_if_fail (WF_IS_NOTIFY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return save_state (self, TRUE, error);
}

/**
 * wf_notify_is_closed:
 * @self: a watcher
 *
 * Tells whether the watcher was closed.
 *
 * Returns: whether [method@Watchfiles.Notify.close] was called
 *
 * Since: 1.0
 */
gboolean
wf_notify_is_closed (WfNotify *self)
{
  g_return_val_if_fail (WF_IS_NOTIFY (self), TRUE);
  return is_closed (self);
}

/**
 * wf_notify_get_backend_name:
 * @self: a watcher
 *
 * Gets the name of the backend chosen at construction.
 *
 * Returns: (nullable): the name of the backend in use ("inotify", "poll",
 *   ...), or %NULL if construction failed before one was chosen
 *
 * Since: 1.0
 */
const char *
wf_notify_get_backend_name (WfNotify *self)
{
  g_return_val_if_fail (WF_IS_NOTIFY (self), NULL);
  return self->backend != NULL ? self->backend->name : NULL;
}

/**
 * wf_notify_describe:
 * @self: a watcher
 *
 * Describes the backend's state in one line, as RustNotify's `repr()`.
 *
 * Returns: (transfer full): a one-line description of the backend state,
 *   or "None" once closed, for debug output and `repr()`
 *
 * Since: 1.0
 */
char *
wf_notify_describe (WfNotify *self)
{
  char *description;

  g_return_val_if_fail (WF_IS_NOTIFY (self), NULL);

  g_mutex_lock (&self->lock);
  description = self->instance != NULL ? self->backend->vtable->describe (self->instance) : g_strdup ("None");
  g_mutex_unlock (&self->lock);
  return description;
}

/**
 * wf_notify_get_ignore_rules:
 * @self: a watcher
 *
 * Gets the ignore rules given at construction.
 *
 * Returns: (transfer none) (nullable): the sealed rules this watcher
 *   applies, or %NULL when it ignores nothing
 *
 * Since: 1.0
 */
WfIgnoreRules *
wf_notify_get_ignore_rules (WfNotify *self)
{
  g_return_val_if_fail (WF_IS_NOTIFY (self), NULL);
  return self->ignore_rules;
}

/**
 * wf_notify_get_status:
 * @self: a watcher
 *
 * Takes a snapshot of what the watcher is doing: its backend, roots,
 * directories watched and polled (and why), rescans and paths skipped
 * after errors.  For status displays, monitoring and tests; the CLI's
 * readiness line comes from it.
 *
 * Returns: (transfer full): a new snapshot; once the watcher is closed,
 *   its counts are 0
 *
 * Since: 1.0
 */
WfStatus *
wf_notify_get_status (WfNotify *self)
{
  WfBackendStatus status;
  WfStatus *snapshot;
  gboolean queried = FALSE;

  g_return_val_if_fail (WF_IS_NOTIFY (self), NULL);

  wf_backend_status_init (&status);
  g_mutex_lock (&self->lock);
  if (self->instance != NULL)
    {
      self->backend->vtable->query_status (self->instance, &status);
      queried = TRUE;
    }
  g_mutex_unlock (&self->lock);
  snapshot = wf_status_new (self->backend != NULL ? self->backend->name : NULL,
                            (const char *const *) self->paths, self->fallback_reason, queried ? &status : NULL);
  wf_backend_status_clear (&status);
  return snapshot;
}

/**
 * wf_notify_get_watched_directories:
 * @self: a watcher
 *
 * Counts the directories the backend watches: the
 * [method@Watchfiles.Status.get_n_directories] of
 * [method@Watchfiles.Notify.get_status].
 *
 * Returns: how many directories the backend watches (inotify) or scans
 *   (poll); 0 once closed
 *
 * Since: 1.0
 */
guint
wf_notify_get_watched_directories (WfNotify *self)
{
  g_autoptr(WfStatus) status = NULL;

  g_return_val_if_fail (WF_IS_NOTIFY (self), 0);

  status = wf_notify_get_status (self);
  return wf_status_get_n_directories (status);
}
