/* SPDX-License-Identifier: MIT */
/* wf-fnmatch-private.h: fnmatch() where the C library has none (mingw):
 * wf-fnmatch.c, the subset the ignore rules use (flags 0 or FNM_PATHNAME;
 * '*', '?', bracket expressions with '!' or '^' and ranges, '\' quoting),
 * byte by byte as glibc does in the C locale.  Checked against glibc's
 * fnmatch() by tests/core/test-fnmatch.c, which found two differences
 * left as they are: glibc (in C.UTF-8) may match nothing with a '[' that
 * has no ']' after it ("[*-" against "[ac-"), nor, under FNM_PATHNAME,
 * with a quoted '/' after a '*' ("*\\/" against "a/"); here those are an
 * ordinary '[' and '/'. */
#pragma once

#ifndef FNM_PATHNAME
#define FNM_PATHNAME 1
#define FNM_NOMATCH 1
#define fnmatch(pattern, string, flags) wf_fnmatch ((pattern), (string), (flags))
#endif

/* 0 when @string matches @pattern, FNM_NOMATCH otherwise. */
int wf_fnmatch (const char *pattern, const char *string, int flags);
