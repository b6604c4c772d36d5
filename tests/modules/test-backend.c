/* test-backend.c: deliberately broken or limited backend modules for the
 * loader tests, one per TEST_BACKEND_* variant (see meson.build). */
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
#else
  *priority = 500;
  return TRUE;
#endif
}

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

static const WfBackendVTable test_vtable = {
#ifdef TEST_BACKEND_WRONG_ABI
  .abi_major = WF_BACKEND_ABI_MAJOR + 41,
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
G_MODULE_EXPORT const WfBackendVTable *wf_backend_module_get_vtable (guint host_abi_major);

G_MODULE_EXPORT const WfBackendVTable *
wf_backend_module_get_vtable (guint host_abi_major)
{
  return &test_vtable;
}
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
