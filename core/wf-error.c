/* SPDX-License-Identifier: MIT */
/* wf-error.c: the WF_ERROR domain. */
#include "config.h"

#include "wf-error.h"

/**
 * wf_error_quark:
 *
 * The error domain of Watchfiles, `WF_ERROR`.
 *
 * Returns: the quark of the domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (wf-error-quark, wf_error)
