/* SPDX-License-Identifier: MIT */
/* wf-kit-status.c: status fill and describe text. */
#include "config.h"

#include "wf-kit-status.h"

/* A status struct of an older core lacks the fields appended since. */
#define STATUS_HAS(status, field) WF_STRUCT_HAS_FIELD (status, WfBackendStatus, field)

void
wf_kit_status_fill (WfBackendStatus *status, const WfKitCounts *counts)
{
  if (STATUS_HAS (status, n_roots))
    status->n_roots = counts->n_roots;
  if (STATUS_HAS (status, n_directories))
    status->n_directories = counts->n_directories;
  if (STATUS_HAS (status, n_unwatched))
    status->n_unwatched = counts->n_unwatched;
  if (STATUS_HAS (status, n_rescans))
    status->n_rescans = counts->n_rescans;
  if (STATUS_HAS (status, n_polled_directories))
    status->n_polled_directories = counts->n_polled_directories;
}

char *
wf_kit_describe (const char *type_name, const char *own_fields, const WfKitCounts *counts)
{
  return g_strdup_printf ("%s { %s%sroots: %u, directories: %u, unwatched: %u, polled: %u, rescans: %u }",
                          type_name, own_fields != NULL ? own_fields : "", own_fields != NULL ? ", " : "",
                          counts->n_roots, counts->n_directories, counts->n_unwatched,
                          counts->n_polled_directories, counts->n_rescans);
}
