/* SPDX-License-Identifier: MIT */
/* wf-version-macros.h: symbol visibility and availability macros (the
 * version itself is in the generated wf-version.h). */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>

#if defined(WATCHFILES_COMPILATION) && defined(__GNUC__)
# define _WF_EXTERN __attribute__((visibility ("default"))) extern
#else
# define _WF_EXTERN extern
#endif

#define WF_AVAILABLE_IN_ALL _WF_EXTERN
