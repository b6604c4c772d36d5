/* SPDX-License-Identifier: MIT */
/* wf-kit-path.h: the one notion of a path shared by every backend.
 *
 * Paths are bytes, never normalised: a root given as "./src" is reported
 * under exactly the string a backend was handed, so the core can map it
 * back to what the caller wrote.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A separator between components: '/' and, on Windows, '\\' too (a root
 * given as "C:\\dir" keeps its form; the kit joins names with '/'). */
#ifdef _WIN32
#define WF_KIT_IS_SEPARATOR(c) ((c) == '/' || (c) == '\\')
#else
#define WF_KIT_IS_SEPARATOR(c) ((c) == '/')
#endif

/* How much of @path is its top, which no climb goes above: 1 ("/", or
 * the first byte of a relative path); on Windows the root g_path_skip_root()
 * finds ("C:\\" is 3, "\\\\server\\share\\" all of it). */
gsize wf_kit_path_top_len (const char *path);

/* Appends "/@name" to @path, without doubling the slash of a root "/". */
void wf_kit_path_append_name (GString *path, const char *name);

/* @path joined to the working directory when relative ("./x" becomes
 * "/cwd/./x"), as notify does: no "." or ".." is folded. */
char *wf_kit_path_make_absolute (const char *path);

/* Is @path @dir itself or below it?  Plain string comparison of components. */
gboolean wf_kit_path_is_within (const char *path, const char *dir);

/* The deepest existing directory on @path's way up (@path itself excluded),
 * for waiting until a vanished root comes back.  @path must be absolute;
 * "/" at worst. */
char *wf_kit_path_nearest_existing_ancestor (const char *path);

/* The last component of @path, within @path (no allocation). */
const char *wf_kit_path_basename (const char *path);

G_END_DECLS
