/* SPDX-License-Identifier: MIT */
/* wf-version-macros.h: symbol visibility and availability macros (the
 * version itself is in the generated wf-version.h). */
#pragma once

#if !defined(WATCHFILES_INSIDE) && !defined(WATCHFILES_COMPILATION) && !defined(WATCHFILES_BACKEND_COMPILATION)
#error "Only <watchfiles.h> can be included directly."
#endif

#include <glib.h>

/* A DLL has no hidden visibility: there the library's own symbols are
 * marked for export, and with one marked the linker exports no other (as
 * GLib's _GLIB_EXTERN does). */
#if defined(WATCHFILES_COMPILATION) && defined(_WIN32)
# define _WF_EXTERN __declspec(dllexport) extern
#elif defined(WATCHFILES_COMPILATION) && defined(__GNUC__)
# define _WF_EXTERN __attribute__((visibility ("default"))) extern
#else
# define _WF_EXTERN extern
#endif

#define WF_AVAILABLE_IN_ALL _WF_EXTERN
