/* SPDX-License-Identifier: MIT */
/* wf-roots-private.h: each watch root's given, absolute and reported forms,
 * computed once for the core (WfNotify, the sink). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _WfRoots WfRoots;

/* @given as the caller wrote them.  The absolute form of a relative root
 * is the working directory joined to it without normalising
 * ("/cwd/./x"): what every backend is handed and reports under. */
WfRoots *wf_roots_new (const char *const *given);
WfRoots *wf_roots_ref (WfRoots *roots);
void wf_roots_unref (WfRoots *roots);

/* Report the entries of relative roots as given ("./x/y"), as watchfiles
 * does for this backend kind, rather than absolute ("/cwd/./x/y").  Set
 * before events flow; the roots are read-only afterwards. */
void wf_roots_set_report_as_given (WfRoots *roots, gboolean as_given);

/* The form of the @index-th root that backends are handed. */
const char *wf_roots_get_absolute (WfRoots *roots, guint index);

/* The root that @path (as a backend reports it) is or is below, in the
 * form users see (given or absolute); NULL if none. */
const char *wf_roots_find_reported (WfRoots *roots, const char *path);

/* @path in the form users see: a newly allocated string when it differs
 * from @path (below a relative root reported as given), else NULL. */
char *wf_roots_to_reported (WfRoots *roots, const char *path);

/* The root that @path (in the form users see) is or is below: its
 * @index, and in @relative the rest of @path after it ("" for the root
 * itself).  FALSE when none. */
gboolean wf_roots_split_reported (WfRoots *roots, const char *path, guint *index, const char **relative);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WfRoots, wf_roots_unref)

G_END_DECLS
