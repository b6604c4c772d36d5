/* SPDX-License-Identifier: MIT */
/* test-kqueue-translate.c: the kqueue note translation on Linux, fed with
 * the notes libkqueue delivered on this machine (a probe run by hand:
 * a directory watched with EVFILT_VNODE, EV_CLEAR, every note; recorded
 * below as observed) and with what FreeBSD's kqueue(2) documents.
 */
#include <errno.h>

#include <glib.h>

#include "wf-kq-translate.h"

#define DIR_ WF_KQ_WATCH_DIRECTORY
#define FILE_ WF_KQ_WATCH_FILE_ROOT

/* Observed with libkqueue (mheily/libkqueue f966089, Debian 12): the
 * watched directory's note for each operation inside it.  Each must make
 * the backend diff that directory (and for a child's contents or mode,
 * re-read the fingerprints). */
static void
test_libkqueue_observed (void)
{
  static const struct {
    const char *operation;
    uint32_t fflags;
    unsigned must;
  } seen[] = {
    { "create f", 0x2, WF_KQ_ACT_DIFF_SELF },
    { "write f", 0x2, WF_KQ_ACT_FINGERPRINTS },
    { "chmod f", 0x8, WF_KQ_ACT_FINGERPRINTS },
    { "rename f g", 0x2, WF_KQ_ACT_DIFF_SELF },
    { "unlink g", 0x2, WF_KQ_ACT_DIFF_SELF },
    { "mkdir sub", 0x12, WF_KQ_ACT_DIFF_SELF },
    { "rename sub sub2 (parent)", 0x2, WF_KQ_ACT_DIFF_SELF },
    { "rmdir sub2 (parent)", 0x12, WF_KQ_ACT_DIFF_SELF },
    { "chmod root", 0x8, WF_KQ_ACT_DIFF_SELF },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (seen); i++)
    {
      unsigned act = wf_kq_translate (DIR_, seen[i].fflags);
      g_test_message ("%s: 0x%x -> 0x%x", seen[i].operation, seen[i].fflags, act);
      g_assert_cmpuint (act & seen[i].must, ==, seen[i].must);
      g_assert_false (act & WF_KQ_ACT_CLOSE);
    }
}

/* Observed with libkqueue: "rename sub sub2" gives the watched subdirectory
 * NOTE_RENAME (0x20) and its parent NOTE_WRITE; "rmdir sub2" with sub2's
 * descriptor open gives sub2 nothing at all, only the parent 0x12.  So the
 * subdirectory's own note closes it and sends the work to the parent,
 * whose diff is what reports the subtree gone. */
static void
test_subdirectory_gone (void)
{
  g_assert_cmpuint (wf_kq_translate (DIR_, 0x20), ==, WF_KQ_ACT_CLOSE | WF_KQ_ACT_DIFF_PARENT);
  /* FreeBSD kqueue(2): NOTE_DELETE "the unlink() system call was called on
   * the file", NOTE_REVOKE "access to the file was revoked via revoke(2)
   * or the underlying file system was unmounted". */
  g_assert_cmpuint (wf_kq_translate (DIR_, WF_KQ_NOTE_DELETE), ==, WF_KQ_ACT_CLOSE | WF_KQ_ACT_DIFF_PARENT);
  g_assert_cmpuint (wf_kq_translate (DIR_, WF_KQ_NOTE_REVOKE), ==, WF_KQ_ACT_CLOSE | WF_KQ_ACT_DIFF_PARENT);
  /* Notes of one EV_CLEAR period are ORed: a write then a delete. */
  g_assert_cmpuint (wf_kq_translate (DIR_, WF_KQ_NOTE_WRITE | WF_KQ_NOTE_DELETE | WF_KQ_NOTE_LINK), ==,
                    WF_KQ_ACT_CLOSE | WF_KQ_ACT_DIFF_PARENT);
}

/* FreeBSD kqueue(2): NOTE_LINK "the link count on the file changed; in
 * particular, set when a subdirectory is created or removed inside the
 * directory"; NOTE_EXTEND on a directory "a directory entry was added or
 * removed as the result of a rename". */
static void
test_documented_directory_notes (void)
{
  g_assert_true (wf_kq_translate (DIR_, WF_KQ_NOTE_LINK) & WF_KQ_ACT_DIFF_SELF);
  g_assert_true (wf_kq_translate (DIR_, WF_KQ_NOTE_EXTEND) & WF_KQ_ACT_DIFF_SELF);
  g_assert_cmpuint (wf_kq_translate (DIR_, 0), ==, WF_KQ_ACT_NONE);
}

/* A root that is one file: its own descriptor.  An editor's atomic save
 * renames a new file over it: NOTE_RENAME or NOTE_DELETE on the old
 * inode; the backend closes, stats the name and reopens it. */
static void
test_file_root (void)
{
  g_assert_cmpuint (wf_kq_translate (FILE_, WF_KQ_NOTE_WRITE | WF_KQ_NOTE_EXTEND), ==, WF_KQ_ACT_STAT_FILE);
  g_assert_cmpuint (wf_kq_translate (FILE_, WF_KQ_NOTE_ATTRIB), ==, WF_KQ_ACT_STAT_FILE);
  g_assert_cmpuint (wf_kq_translate (FILE_, WF_KQ_NOTE_DELETE), ==, WF_KQ_ACT_CLOSE | WF_KQ_ACT_STAT_FILE);
  g_assert_cmpuint (wf_kq_translate (FILE_, WF_KQ_NOTE_RENAME | WF_KQ_NOTE_WRITE), ==,
                    WF_KQ_ACT_CLOSE | WF_KQ_ACT_STAT_FILE);
}

/* Observed with libkqueue: kevent() with a 300 ms timeout on a quiet
 * directory returned 0; the issue records 0 returned before the timeout
 * too.  Zero events before the deadline is a wait to repeat. */
static void
test_wait_again (void)
{
  g_assert_cmpint (wf_kq_wait_again (0, 0, 100, 300), ==, 1);
  g_assert_cmpint (wf_kq_wait_again (0, 0, 300, 300), ==, 0);
  g_assert_cmpint (wf_kq_wait_again (2, 0, 100, 300), ==, 0);
  g_assert_cmpint (wf_kq_wait_again (-1, EINTR, 100, 300), ==, 1);
  g_assert_cmpint (wf_kq_wait_again (-1, EBADF, 100, 300), ==, -1);
}

static void
test_budget (void)
{
  g_assert_cmpuint (wf_kq_budget (1024, 64), ==, 960);
  g_assert_cmpuint (wf_kq_budget (64, 64), ==, 0);
  g_assert_cmpuint (wf_kq_budget (10, 64), ==, 0);
  /* Linux: no EVFILT_USER number of the BSDs here (libkqueue defines its
   * own in <sys/event.h>; the loop uses whatever that header says). */
  g_assert_cmpint (wf_kq_evfilt_user (), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kqueue/libkqueue-observed", test_libkqueue_observed);
  g_test_add_func ("/kqueue/subdirectory-gone", test_subdirectory_gone);
  g_test_add_func ("/kqueue/documented-directory-notes", test_documented_directory_notes);
  g_test_add_func ("/kqueue/file-root", test_file_root);
  g_test_add_func ("/kqueue/wait-again", test_wait_again);
  g_test_add_func ("/kqueue/budget", test_budget);
  return g_test_run ();
}
