/* SPDX-License-Identifier: MIT */
/* wf-backend-status.c: the part of WfBackendStatus a backend cannot see:
 * the list of subtrees it polls, with why.  Kept out of the struct so the
 * list can change shape without an ABI bump. */
#include "config.h"

#include "wf-backend-status-private.h"

struct _WfBackendStatusPrivate {
  GPtrArray *polled_paths;   /* char* */
  GArray *polled_reasons;    /* WfPollReason, one per path */
};

void
wf_backend_status_init (WfBackendStatus *status)
{
  *status = (WfBackendStatus) { .struct_size = sizeof *status };
  status->priv = g_new0 (WfBackendStatusPrivate, 1);
  status->priv->polled_paths = g_ptr_array_new_with_free_func (g_free);
  status->priv->polled_reasons = g_array_new (FALSE, FALSE, sizeof (WfPollReason));
}

void
wf_backend_status_clear (WfBackendStatus *status)
{
  if (status->priv == NULL)
    return;
  g_ptr_array_unref (status->priv->polled_paths);
  g_array_unref (status->priv->polled_reasons);
  g_clear_pointer (&status->priv, g_free);
}

GPtrArray *
wf_backend_status_get_polled_paths (WfBackendStatus *status)
{
  return status->priv->polled_paths;
}

GArray *
wf_backend_status_get_polled_reasons (WfBackendStatus *status)
{
  return status->priv->polled_reasons;
}

void
wf_backend_status_add_polled_subtree (WfBackendStatus *status, const char *path, WfPollReason reason)
{
  g_return_if_fail (status != NULL && status->priv != NULL);
  g_return_if_fail (path != NULL);

  g_ptr_array_add (status->priv->polled_paths, g_strdup (path));
  g_array_append_val (status->priv->polled_reasons, reason);
}
