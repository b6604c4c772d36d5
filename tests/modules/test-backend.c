/* SPDX-License-Identifier: MIT */
/* test-backend.c: deliberately broken or limited backend modules for the
 * loader tests, one per TEST_BACKEND_* variant (see meson.build), and a
 * recorder (TEST_BACKEND_RECORDER) that watches nothing but tells, through
 * describe() and query_status(), what the core handed it. */
#include "config.h"

#include <gio/gio.h>

#include "watchfiles-backend.h"

#ifdef TEST_BACKEND_NAME

static gboolean
test_probe (const char *path, int *priority, GError **error)
{
#ifdef TEST_BACKEND_PROBE_FAILS
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "this test backend never works");
  return FALSE;
#elif defined(TEST_BACKEND_RECORDER)
  /* Only ever chosen by name: below poll, so never the default. */
  *priority = -1;
  return TRUE;
#else
  *priority = 500;
  return TRUE;
#endif
}

#ifdef TEST_BACKEND_RECORDER

struct _WfBackendInstance {
  WfSink *sink;
  WfBackendOptions options;   /* pointers copied below */
  char *polled_filesystems;   /* joined with "|" */
  GPtrArray *roots;
};

static WfBackendInstance *
test_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  WfBackendInstance *self = g_new0 (WfBackendInstance, 1);

  g_assert_true (WF_STRUCT_HAS_FIELD (options, WfBackendOptions, polled_filesystems));
  g_assert_nonnull (options->polled_filesystems);
  self->sink = wf_sink_ref (sink);
  self->options = *options;
  self->options.ignore_rules = NULL;
  self->options.polled_filesystems = NULL;
  self->polled_filesystems = g_strjoinv ("|", (char **) options->polled_filesystems);
  self->roots = g_ptr_array_new_with_free_func (g_free);
  return self;
}

static gboolean
test_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  g_ptr_array_add (self->roots, g_strdup (path));
  return TRUE;
}

static void
test_remove_root (WfBackendInstance *self, const char *path)
{
}

static char *
test_describe (WfBackendInstance *self)
{
  g_autofree char *roots = NULL;

  g_ptr_array_add (self->roots, NULL);
  roots = g_strjoinv ("|", (char **) self->roots->pdata);
  g_ptr_array_remove_index (self->roots, self->roots->len - 1);
  return g_strdup_printf ("RecorderBackend { roots: [%s], recursive: %d, follow_symlinks: %d, ignore_permission_denied: %d, "
                          "poll_delay_ms: %u, watch_limit_policy: %d, poll_cpu_percent: %u, "
                          "polled_filesystems: [%s], debug: %d }",
                          roots, self->options.recursive, self->options.follow_symlinks,
                          self->options.ignore_permission_denied, self->options.poll_delay_ms,
                          self->options.watch_limit_policy, self->options.poll_cpu_percent,
                          self->polled_filesystems, wf_sink_get_debug (self->sink));
}

/* Recognisable figures: each root counts as one directory, polled as if
 * it lay on a silent filesystem, and one of its subdirectories as if the
 * watch limit left it out. */
static void
test_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
  status->n_roots = self->roots->len;
  status->n_directories = self->roots->len;
  status->n_unwatched = 3;
  status->n_rescans = 7;
  status->n_polled_directories = 2 * self->roots->len;
  for (guint i = 0; i < self->roots->len; i++)
    {
      g_autofree char *below = g_build_filename (self->roots->pdata[i], "deep", NULL);

      wf_backend_status_add_polled_subtree (status, self->roots->pdata[i], WF_POLL_REASON_FILESYSTEM);
      wf_backend_status_add_polled_subtree (status, below, WF_POLL_REASON_WATCH_LIMIT);
    }
}

static void
test_stop (WfBackendInstance *self)
{
  g_ptr_array_unref (self->roots);
  g_free (self->polled_filesystems);
  wf_sink_unref (self->sink);
  g_free (self);
}

#else

static WfBackendInstance *
test_start (WfSink *sink, const WfBackendOptions *options, GError **error)
{
  /* What inotify_init1 failing with ENOSYS looks like to the core. */
  g_set_error_literal (error, WF_ERROR, WF_ERROR_BACKEND_UNAVAILABLE, "Function not implemented (os error 38)");
  return NULL;
}

static gboolean
test_add_root (WfBackendInstance *self, const char *path, GError **error)
{
  g_assert_not_reached ();
}

static void
test_remove_root (WfBackendInstance *self, const char *path)
{
  g_assert_not_reached ();
}

static char *
test_describe (WfBackendInstance *self)
{
  return g_strdup ("TestBackend");
}

static void
test_query_status (WfBackendInstance *self, WfBackendStatus *status)
{
}

static void
test_stop (WfBackendInstance *self)
{
}

#endif

static const WfBackendVTable test_vtable = {
#ifdef TEST_BACKEND_ABI
  .abi_major = TEST_BACKEND_ABI,
#else
  .abi_major = WF_BACKEND_ABI_MAJOR,
#endif
  .struct_size = sizeof (WfBackendVTable),
  .name = TEST_BACKEND_NAME,
  .description = "a backend for the loader tests",
  .probe = test_probe,
  .start = test_start,
  .add_root = test_add_root,
  .remove_root = test_remove_root,
  .describe = test_describe,
  .query_status = test_query_status,
  .stop = test_stop,
};

#ifndef TEST_BACKEND_NO_ENTRY
WF_BACKEND_MODULE_EXPORT (test_vtable)
#else
G_MODULE_EXPORT const WfBackendVTable *wf_backend_module_get_table (void);

/* The right table under the wrong symbol name. */
G_MODULE_EXPORT const WfBackendVTable *
wf_backend_module_get_table (void)
{
  return &test_vtable;
}
#endif

#endif
