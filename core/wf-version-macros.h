/* wf-version-macros.h: symbol visibility and version macros. */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>

#define WF_MAJOR_VERSION 1
#define WF_MINOR_VERSION 0
#define WF_MICRO_VERSION 0

#if defined(WATCHFILES_COMPILATION) && defined(__GNUC__)
# define _WF_EXTERN __attribute__((visibility ("default"))) extern
#else
# define _WF_EXTERN extern
#endif

#define WF_AVAILABLE_IN_ALL _WF_EXTERN
