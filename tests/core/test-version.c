/* SPDX-License-Identifier: MIT */
/* test-version.c: the version macros of the generated wf-version.h say
 * meson.build's project version (passed in WF_VERSION by the test). */
#include "config.h"

#include <watchfiles.h>

#if !WF_CHECK_VERSION(1, 0, 0)
#error "WF_CHECK_VERSION (1, 0, 0) is false in #if"
#endif

static void
test_string_is_meson_version (void)
{
  const char *expected = g_getenv ("WF_VERSION");

  if (expected == NULL)
    {
      g_test_skip ("WF_VERSION is not set: not run by meson test");
      return;
    }
  g_assert_cmpstr (WF_VERSION_STRING, ==, expected);
  g_assert_cmpstr (PACKAGE_VERSION, ==, expected);
}

static void
test_numbers_make_the_string (void)
{
  g_autofree char *joined = g_strdup_printf ("%d.%d.%d", WF_MAJOR_VERSION, WF_MINOR_VERSION,
                                             WF_MICRO_VERSION);

  g_assert_cmpstr (joined, ==, WF_VERSION_STRING);
}

static void
test_check_version (void)
{
  g_assert_true (WF_CHECK_VERSION (WF_MAJOR_VERSION, WF_MINOR_VERSION, WF_MICRO_VERSION));
  g_assert_true (WF_CHECK_VERSION (WF_MAJOR_VERSION, 0, 0));
  g_assert_true (WF_CHECK_VERSION (0, 99, 99));
  g_assert_false (WF_CHECK_VERSION (WF_MAJOR_VERSION, WF_MINOR_VERSION, WF_MICRO_VERSION + 1));
  g_assert_false (WF_CHECK_VERSION (WF_MAJOR_VERSION, WF_MINOR_VERSION + 1, 0));
  g_assert_false (WF_CHECK_VERSION (WF_MAJOR_VERSION + 1, 0, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/version/string-is-meson-version", test_string_is_meson_version);
  g_test_add_func ("/version/numbers-make-the-string", test_numbers_make_the_string);
  g_test_add_func ("/version/check-version", test_check_version);
  return g_test_run ();
}
