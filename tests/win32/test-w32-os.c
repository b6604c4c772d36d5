/* SPDX-License-Identifier: MIT */
/* test-w32-os.c: the win32 backend's OS loop (wf-w32-os.c) against real
 * directories: built with mingw-w64, run under wine by
 * run-win32-tests.sh (and runnable as is on Windows).
 *
 * Each case makes its own directory below %TEMP% (under wine: the
 * prefix's drive_c, a real directory of the Linux file system), changes
 * it with the Win32 API and waits for the records it must bring.  An
 * absence is checked with a marker: a later change that must be reported,
 * after which the absent record can no longer come (a watch delivers in
 * order).  Where wine differs from Windows the case says so, checks what
 * wine does (measured on Debian 12's wine 8.0) and what Microsoft
 * documents for Windows, chosen by running_on_wine(): if wine changes,
 * the case fails and its expectation must be revisited. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wf-tap.h"
#include "wf-w32-os.h"

#define WAIT_MS 5000

/* ---- what the loop delivered ---------------------------------------------- */

typedef struct {
  void *udata;
  WfW32EventKind kind;
  char name[1024];
  unsigned long error;
} Event;

#define MAX_EVENTS 4096
static Event events[MAX_EVENTS];
static int n_events;
static CRITICAL_SECTION events_lock;
static HANDLE events_changed;
static DWORD loop_thread_id;

static void
on_event (void *data, void *udata, WfW32EventKind kind, const char *name, unsigned long error)
{
  (void) data;
  EnterCriticalSection (&events_lock);
  loop_thread_id = GetCurrentThreadId ();
  if (n_events < MAX_EVENTS)
    {
      events[n_events].udata = udata;
      events[n_events].kind = kind;
      snprintf (events[n_events].name, sizeof events[0].name, "%s", name);
      events[n_events].error = error;
      n_events++;
    }
  LeaveCriticalSection (&events_lock);
  SetEvent (events_changed);
}

static const char *
kind_name (WfW32EventKind kind)
{
  static const char *names[] = { "CREATED", "DELETED", "MODIFIED", "MOVED_FROM", "MOVED_TO", "OVERFLOW",
                                 "FAILED" };
  return (unsigned) kind < 7 ? names[kind] : "?";
}

static void
clear_events (void)
{
  EnterCriticalSection (&events_lock);
  n_events = 0;
  LeaveCriticalSection (&events_lock);
}

static void
dump_events (void)
{
  EnterCriticalSection (&events_lock);
  tap_diag ("%d events:", n_events);
  for (int i = 0; i < n_events && i < 60; i++)
    tap_diag ("  %s %s%s", kind_name (events[i].kind), events[i].name, events[i].error ? " (error)" : "");
  LeaveCriticalSection (&events_lock);
}

/* Index of the first event at or after @from of @kind (any when < 0) for
 * @name (any when NULL), or -1. */
static int
find_event (int from, int kind, const char *name)
{
  int found = -1;

  EnterCriticalSection (&events_lock);
  for (int i = from; i < n_events; i++)
    if ((kind < 0 || (int) events[i].kind == kind) && (name == NULL || strcmp (events[i].name, name) == 0))
      {
        found = i;
        break;
      }
  LeaveCriticalSection (&events_lock);
  return found;
}

/* Waits up to WAIT_MS for such an event; its index or -1. */
static int
wait_event (int kind, const char *name)
{
  DWORD start = GetTickCount ();

  for (;;)
    {
      int i = find_event (0, kind, name);
      DWORD spent = GetTickCount () - start;

      if (i >= 0)
        return i;
      if (spent >= WAIT_MS)
        return -1;
      WaitForSingleObject (events_changed, WAIT_MS - spent);
    }
}

#define EXPECT(kind, name)                                                                   \
  do                                                                                         \
    {                                                                                        \
      if (wait_event ((kind), (name)) < 0)                                                   \
        {                                                                                    \
          TAP_CHECK (0, "no %s %s within %d ms", kind_name (kind), (name), WAIT_MS);         \
          dump_events ();                                                                    \
        }                                                                                    \
    }                                                                                        \
  while (0)

static int
running_on_wine (void)
{
  HMODULE ntdll = GetModuleHandleW (L"ntdll.dll");
  return ntdll != NULL && GetProcAddress (ntdll, "wine_get_version") != NULL;
}

/* ---- the file system, through the Win32 API -------------------------------- */

static char base[4096];  /* this case's directory, UTF-8, as \\?\C:\... */

static wchar_t *
wide (const char *rel)
{
  static wchar_t buf[2][8192];
  static int which;
  char full[8192];
  wchar_t *w = buf[which ^= 1];

  snprintf (full, sizeof full, "%s%s%s", base, rel[0] ? "\\" : "", rel);
  if (wf_w32_utf8_to_utf16 (full, (uint16_t *) w, 8192, 1) == (size_t) -1)
    {
      TAP_CHECK (0, "not UTF-8: %s", rel);
      w[0] = 0;
    }
  return w;
}

static void
write_file (const char *rel, const char *contents, DWORD disposition)
{
  HANDLE h = CreateFileW (wide (rel), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                          disposition, FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD n;

  TAP_CHECK (h != INVALID_HANDLE_VALUE, "CreateFileW %s: error %lu", rel, GetLastError ());
  if (h == INVALID_HANDLE_VALUE)
    return;
  if (disposition == OPEN_EXISTING)
    SetFilePointer (h, 0, NULL, FILE_END);
  TAP_CHECK (WriteFile (h, contents, (DWORD) strlen (contents), &n, NULL), "WriteFile %s", rel);
  CloseHandle (h);
}

#define CREATE(rel) write_file ((rel), "x", CREATE_NEW)
#define APPEND(rel) write_file ((rel), "more", OPEN_EXISTING)
#define MKDIR(rel) TAP_CHECK (CreateDirectoryW (wide (rel), NULL), "mkdir %s: %lu", (rel), GetLastError ())
#define MOVE(from, to) \
  TAP_CHECK (MoveFileExW (wide (from), wide (to), MOVEFILE_REPLACE_EXISTING), "move %s %s: %lu", (from), (to), \
             GetLastError ())
#define UNLINK(rel) TAP_CHECK (DeleteFileW (wide (rel)), "delete %s: %lu", (rel), GetLastError ())
#define RMDIR(rel) TAP_CHECK (RemoveDirectoryW (wide (rel)), "rmdir %s: %lu", (rel), GetLastError ())

/* Removes @dir (absolute, wide) and everything below it. */
static void
remove_tree (const wchar_t *dir)
{
  wchar_t pattern[8192];
  WIN32_FIND_DATAW fd;
  HANDLE find;

  swprintf (pattern, 8192, L"%ls\\*", dir);
  find = FindFirstFileW (pattern, &fd);
  if (find != INVALID_HANDLE_VALUE)
    {
      do
        {
          wchar_t child[8192];
          if (wcscmp (fd.cFileName, L".") == 0 || wcscmp (fd.cFileName, L"..") == 0)
            continue;
          swprintf (child, 8192, L"%ls\\%ls", dir, fd.cFileName);
          if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            remove_tree (child);
          else
            {
              SetFileAttributesW (child, FILE_ATTRIBUTE_NORMAL);
              DeleteFileW (child);
            }
        }
      while (FindNextFileW (find, &fd));
      FindClose (find);
    }
  RemoveDirectoryW (dir);
}

/* A fresh directory for this case: base = %TEMP%\wf-w32-PID-N. */
static void
new_base (void)
{
  static int counter;
  wchar_t tmp[MAX_PATH + 1];
  char tmp8[4 * MAX_PATH];

  GetTempPathW (MAX_PATH + 1, tmp);
  wf_w32_utf16_to_utf8 ((const unsigned char *) tmp, wcslen (tmp), tmp8, 0);
  snprintf (base, sizeof base, "\\\\?\\%swf-w32-%lu-%d", tmp8, (unsigned long) GetCurrentProcessId (), ++counter);
  TAP_CHECK (CreateDirectoryW (wide (""), NULL), "mkdir base: %lu", GetLastError ());
}

static void
drop_base (void)
{
  remove_tree (wide (""));
}

/* ---- a loop and its watches ------------------------------------------------- */

static WfW32Loop *loop;

static WfW32Watch *
watch (const char *rel, int recursive, const char *name, void *udata)
{
  char path[8192];
  WfW32Watch *w = NULL;
  unsigned long error;

  snprintf (path, sizeof path, "%s%s%s", base, rel[0] ? "\\" : "", rel);
  error = wf_w32_loop_add (loop, path, recursive, name, udata, &w);
  TAP_CHECK (error == 0 && w != NULL, "watch %s: error %lu", path, error);
  return w;
}

static void
setup (size_t buffer_size)
{
  unsigned long error;

  new_base ();
  clear_events ();
  loop = wf_w32_loop_new (buffer_size, on_event, NULL, &error);
  TAP_CHECK (loop != NULL, "loop: error %lu", error);
}

static void
teardown (void)
{
  wf_w32_loop_free (loop);
  loop = NULL;
  drop_base ();
}

/* ---- wine's asynchronous watches ----------------------------------------- */

static void
list_directory (const char *rel)
{
  WIN32_FIND_DATAW fd;
  wchar_t pattern[8192];
  HANDLE find;

  swprintf (pattern, 8192, L"%ls\\*", wide (rel));
  find = FindFirstFileW (pattern, &fd);
  TAP_CHECK (find != INVALID_HANDLE_VALUE, "list %s: %lu", rel, GetLastError ());
  if (find == INVALID_HANDLE_VALUE)
    return;
  while (FindNextFileW (find, &fd))
    ;
  FindClose (find);
}

/* @rel is listed and a file made in it, every 100 ms, until one is
 * reported.  Returns how many were made, or -1 when none was reported
 * within 5 s: wine does not always start reporting inside a directory it
 * did not report in before (measured with 4 runs in parallel: in 4 of 40
 * such waits nothing came at all). */
static int
create_until_reported (const char *rel, const char *rel_reported)
{
  for (int i = 0; i < 50; i++)
    {
      char name[256], reported[256];
      DWORD start = GetTickCount ();

      snprintf (name, sizeof name, "%s\\g%d", rel, i);
      snprintf (reported, sizeof reported, "%s/g%d", rel_reported, i);
      list_directory (rel);
      CREATE (name);
      while (GetTickCount () - start < 100)
        {
          if (find_event (0, WF_W32_EV_CREATED, reported) >= 0)
            return i + 1;
          WaitForSingleObject (events_changed, 10);
        }
    }
  return -1;
}

/* A directory made after the watch: wine (measured, with 4 runs in
 * parallel) sometimes never reports anything inside it, listed or not (1
 * of 24 runs).  Returns TRUE when @rel is reported in; else, on wine, the
 * case is skipped with that reason, and on Windows it fails. */
static int
new_directory_watched (const char *rel, const char *rel_reported)
{
  if (create_until_reported (rel, rel_reported) > 0)
    return 1;
  if (running_on_wine ())
    tap_skip_case ("wine never reported inside a directory made after the watch (a known wine flake, README)");
  else
    TAP_CHECK (0, "nothing in %s reported", rel);
  return 0;
}

/* ---- cases ------------------------------------------------------------------ */

static void
test_create_modify_attrib_delete (void)
{
  setup (0);
  watch ("", 1, NULL, NULL);
  CREATE ("f");
  EXPECT (WF_W32_EV_CREATED, "f");
  clear_events ();
  APPEND ("f");
  EXPECT (WF_W32_EV_MODIFIED, "f");
  clear_events ();
  TAP_CHECK (SetFileAttributesW (wide ("f"), FILE_ATTRIBUTE_READONLY), "attributes");
  EXPECT (WF_W32_EV_MODIFIED, "f");
  TAP_CHECK (SetFileAttributesW (wide ("f"), FILE_ATTRIBUTE_NORMAL), "attributes back");
  clear_events ();
  UNLINK ("f");
  EXPECT (WF_W32_EV_DELETED, "f");
  TAP_CHECK (find_event (0, WF_W32_EV_FAILED, NULL) < 0 && find_event (0, WF_W32_EV_OVERFLOW, NULL) < 0,
             "no failure or overflow");
  teardown ();
}

/* The pair of a rename comes in order, old name first, as one raw
 * MOVED_FROM and one MOVED_TO (what inotify's backend pushes). */
static void
test_rename_within (void)
{
  int from, to;

  setup (0);
  CREATE ("a");
  watch ("", 1, NULL, NULL);
  MOVE ("a", "b");
  EXPECT (WF_W32_EV_MOVED_TO, "b");
  from = find_event (0, WF_W32_EV_MOVED_FROM, "a");
  to = find_event (0, WF_W32_EV_MOVED_TO, "b");
  TAP_CHECK (from >= 0 && from < to, "MOVED_FROM a at %d, MOVED_TO b at %d", from, to);
  if (from < 0 || from >= to)
    dump_events ();
  teardown ();
}

/* In from a sibling directory and out again.  Windows reports a move
 * between directories as FILE_ACTION_ADDED / FILE_ACTION_REMOVED in the
 * watched one (the pair RENAMED_OLD/NEW_NAME is for a rename within a
 * directory); wine (measured) gives MOVED_TO / MOVED_FROM for moves
 * between two directories both below one recursive watch, and ADDED /
 * REMOVED for the outside.  Both map to added / deleted. */
static void
test_move_in_and_out (void)
{
  int in_created, in_moved, out_deleted, out_moved;

  setup (0);
  MKDIR ("root");
  MKDIR ("outside");
  CREATE ("outside\\f");
  watch ("root", 1, NULL, NULL);
  MOVE ("outside\\f", "root\\f");
  CREATE ("root\\marker1");
  EXPECT (WF_W32_EV_CREATED, "marker1");
  in_created = find_event (0, WF_W32_EV_CREATED, "f");
  in_moved = find_event (0, WF_W32_EV_MOVED_TO, "f");
  TAP_CHECK (in_created >= 0 || in_moved >= 0, "moved in: nothing for f");
  clear_events ();
  MOVE ("root\\f", "outside\\g");
  CREATE ("root\\marker2");
  EXPECT (WF_W32_EV_CREATED, "marker2");
  out_deleted = find_event (0, WF_W32_EV_DELETED, "f");
  out_moved = find_event (0, WF_W32_EV_MOVED_FROM, "f");
  TAP_CHECK (out_deleted >= 0 || out_moved >= 0, "moved out: nothing for f");
  tap_diag ("move in: %s; move out: %s", in_created >= 0 ? "ADDED" : "RENAMED_NEW_NAME",
            out_deleted >= 0 ? "REMOVED" : "RENAMED_OLD_NAME");
  teardown ();
}

/* Between two subdirectories of one recursive watch: Windows gives
 * REMOVED a\f + ADDED b\f; wine may give the RENAMED pair.  Either is a
 * delete of one path and an add of the other. */
static void
test_move_between_subdirectories (void)
{
  setup (0);
  watch ("", 1, NULL, NULL);
  MKDIR ("a");
  EXPECT (WF_W32_EV_CREATED, "a");
  MKDIR ("b");
  EXPECT (WF_W32_EV_CREATED, "b");
  /* Wine watches a new directory a moment after its record (measured: a
   * move into it missed about 1 run in 16 with 4 runs in parallel): wait
   * until it reports inside. */
  if (!new_directory_watched ("b", "b"))
    {
      teardown ();
      return;
    }
  CREATE ("a\\f");
  EXPECT (WF_W32_EV_CREATED, "a/f");
  clear_events ();
  MOVE ("a\\f", "b\\f");
  CREATE ("marker");
  EXPECT (WF_W32_EV_CREATED, "marker");
  TAP_CHECK (find_event (0, WF_W32_EV_DELETED, "a/f") >= 0 || find_event (0, WF_W32_EV_MOVED_FROM, "a/f") >= 0,
             "a/f left");
  TAP_CHECK (find_event (0, WF_W32_EV_CREATED, "b/f") >= 0 || find_event (0, WF_W32_EV_MOVED_TO, "b/f") >= 0,
             "b/f arrived");
  tap_diag ("move between subdirectories: %s", find_event (0, WF_W32_EV_MOVED_FROM, "a/f") >= 0
                                                 ? "RENAMED pair" : "REMOVED + ADDED");
  teardown ();
}

/* A directory made after the watch began, then files in it.  Wine
 * (measured): a file made before wine has watched the new directory is
 * lost (wine puts an inotify watch on each directory it learns of), and
 * waiting for the directory's record is not always enough either (with 4
 * runs in parallel, the first file was lost in 2 of 24 runs): so files
 * are made until one is reported (create_until_reported), which must
 * happen; the count says how many it took.  On Windows the first is
 * reported. */
static void
test_new_directory_then_file (void)
{
  int in_d, in_e;

  setup (0);
  watch ("", 1, NULL, NULL);
  MKDIR ("d");
  EXPECT (WF_W32_EV_CREATED, "d");
  in_d = create_until_reported ("d", "d");
  MKDIR ("d\\e");
  EXPECT (WF_W32_EV_CREATED, "d/e");
  in_e = create_until_reported ("d\\e", "d/e");
  if (running_on_wine () && (in_d < 0 || in_e < 0))
    tap_skip_case ("wine never reported inside a directory made after the watch (a known wine flake, README)");
  else
    TAP_CHECK (in_d > 0 && in_e > 0, "files in new directories: d %d, d/e %d", in_d, in_e);
  if (!running_on_wine ())
    TAP_CHECK (in_d == 1 && in_e == 1, "Windows lost the first file: d %d, d/e %d", in_d, in_e);
  tap_diag ("files made until one was reported: in d %d, in d/e %d", in_d, in_e);
  teardown ();
}

/* A subdirectory that existed before the watch began.  Windows reports
 * what happens in it (bWatchSubtree: "the entire directory tree rooted at
 * the specified directory").  Wine 8.0 (measured, checked): nothing.
 * Once the process has listed that subdirectory (FindFirstFileW) it is
 * usually reported (measured with 4 runs in parallel: 19 of 20 runs; in
 * the other nothing within 5 s): only counted here.  The backend lists
 * every directory after placing a watch and after each record (the kit's
 * snapshot), which is why it mostly sees them under wine. */
static void
test_preexisting_subdirectory (void)
{
  int seen, seen_after_listing;

  setup (0);
  MKDIR ("old");
  watch ("", 1, NULL, NULL);
  CREATE ("old\\f");
  CREATE ("marker");
  EXPECT (WF_W32_EV_CREATED, "marker");
  seen = find_event (0, WF_W32_EV_CREATED, "old/f");
  seen_after_listing = create_until_reported ("old", "old");
  if (running_on_wine ())
    TAP_CHECK (seen < 0, "wine reported old/f: the known wine limitation is gone, update the test and README");
  else
    TAP_CHECK (seen >= 0, "Windows must report old/f");
  /* Under wine only counted (it usually works, not always); Windows
   * reported old/f already. */
  if (!running_on_wine ())
    TAP_CHECK (seen_after_listing > 0, "nothing in old reported");
  tap_diag ("file in a subdirectory older than the watch: %s; once the subdirectory was listed: the %d%s file",
            seen >= 0 ? "reported" : "not reported", seen_after_listing, seen_after_listing == 1 ? "st" : "th");
  teardown ();
}

/* A directory moved in from outside the root, then a file made in it.
 * Windows reports both (the whole tree).  Wine 8.0 (measured, checked):
 * the directory's arrival, then nothing inside it; once listed, as for a
 * subdirectory older than the watch, usually (17 of 20 runs), only
 * counted here. */
static void
test_directory_moved_in (void)
{
  int inside, after_listing;

  setup (0);
  MKDIR ("root");
  MKDIR ("outside");
  watch ("root", 1, NULL, NULL);
  MOVE ("outside", "root\\moved");
  CREATE ("root\\marker");
  EXPECT (WF_W32_EV_CREATED, "marker");
  TAP_CHECK (find_event (0, WF_W32_EV_CREATED, "moved") >= 0 || find_event (0, WF_W32_EV_MOVED_TO, "moved") >= 0,
             "the directory moved in was not reported");
  CREATE ("root\\moved\\f");
  CREATE ("root\\marker2");
  EXPECT (WF_W32_EV_CREATED, "marker2");
  inside = find_event (0, WF_W32_EV_CREATED, "moved/f");
  after_listing = create_until_reported ("root\\moved", "moved");
  if (running_on_wine ())
    TAP_CHECK (inside < 0, "wine reported moved/f: the known wine limitation is gone, update the test and README");
  else
    TAP_CHECK (inside >= 0, "Windows must report moved/f");
  if (!running_on_wine ())
    TAP_CHECK (after_listing > 0, "nothing in moved reported");
  tap_diag ("file in a directory moved in: %s; once it was listed: the %d%s file", inside >= 0 ? "reported" : "not reported",
            after_listing, after_listing == 1 ? "st" : "th");
  teardown ();
}

/* After a watched subdirectory is renamed, wine (measured) may go on
 * reporting what happens in it under its old name; Windows uses the new.
 * Either path is accepted here (the adapter resyncs after a directory
 * rename), but one of them must come. */
static void
test_renamed_subdirectory (void)
{
  int new_name, old_name;

  setup (0);
  watch ("", 1, NULL, NULL);
  MKDIR ("d1");
  EXPECT (WF_W32_EV_CREATED, "d1");
  /* As in test_move_between_subdirectories: wine's watch on d1 may come
   * a moment after its record. */
  if (!new_directory_watched ("d1", "d1"))
    {
      teardown ();
      return;
    }
  MOVE ("d1", "d2");
  EXPECT (WF_W32_EV_MOVED_TO, "d2");
  CREATE ("d2\\f");
  CREATE ("marker");
  EXPECT (WF_W32_EV_CREATED, "marker");
  new_name = find_event (0, WF_W32_EV_CREATED, "d2/f");
  old_name = find_event (0, WF_W32_EV_CREATED, "d1/f");
  TAP_CHECK (new_name >= 0 || old_name >= 0, "f in the renamed directory not reported");
  if (!running_on_wine ())
    TAP_CHECK (new_name >= 0, "Windows must report the new name");
  tap_diag ("file in a renamed subdirectory reported as: %s", new_name >= 0 ? "d2/f" : old_name >= 0 ? "d1/f" : "-");
  teardown ();
}

static void
test_non_ascii_and_long_names (void)
{
  /* é 日本 U+1F600 */
  static const char *name = "\xC3\xA9\xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80.txt";
  char long_name[256];

  setup (0);
  watch ("", 1, NULL, NULL);
  CREATE (name);
  EXPECT (WF_W32_EV_CREATED, name);
  /* 255 UTF-16 units, the most NTFS allows in one component. */
  memset (long_name, 'n', 255);
  long_name[255] = '\0';
  CREATE (long_name);
  EXPECT (WF_W32_EV_CREATED, long_name);
  teardown ();
}

/* A root whose path is past MAX_PATH (260): opened through \\?\. */
static void
test_long_root (void)
{
  char rel[2048] = "";
  char component[64];

  setup (0);
  memset (component, 'd', 50);
  component[50] = '\0';
  for (int i = 0; i < 8; i++)
    {
      if (i > 0)
        strcat (rel, "\\");
      strcat (rel, component);
      MKDIR (rel);
    }
  TAP_CHECK (strlen (base) + strlen (rel) > 300, "only %zu bytes", strlen (base) + strlen (rel));
  watch (rel, 1, NULL, NULL);
  {
    char file[2100];
    snprintf (file, sizeof file, "%s\\deep", rel);
    CREATE (file);
  }
  EXPECT (WF_W32_EV_CREATED, "deep");
  /* What the loop opens: the same path, \\?\-prefixed once. */
  {
    char *p = wf_w32_long_path ("C:/x/./y/../z");
    TAP_CHECK (p != NULL && strcmp (p, "\\\\?\\C:\\x\\z") == 0, "long path of C:/x/./y/../z: %s", p ? p : "NULL");
    free (p);
    p = wf_w32_long_path ("\\\\server\\share\\dir");
    TAP_CHECK (p != NULL && strcmp (p, "\\\\?\\UNC\\server\\share\\dir") == 0, "UNC: %s", p ? p : "NULL");
    free (p);
    p = wf_w32_long_path ("\\\\?\\C:\\already");
    TAP_CHECK (p != NULL && strcmp (p, "\\\\?\\C:\\already") == 0, "prefixed: %s", p ? p : "NULL");
    free (p);
  }
  teardown ();
}

/* bWatchSubtree FALSE: the root's own entries only. */
static void
test_non_recursive (void)
{
  setup (0);
  watch ("", 0, NULL, NULL);
  MKDIR ("sub");
  EXPECT (WF_W32_EV_CREATED, "sub");
  CREATE ("sub\\x");
  CREATE ("marker");
  EXPECT (WF_W32_EV_CREATED, "marker");
  TAP_CHECK (find_event (0, -1, "sub/x") < 0, "sub/x reported by a non-recursive watch");
  if (find_event (0, -1, "sub/x") >= 0)
    dump_events ();
  teardown ();
}

/* A single-file root: its parent watched, not recursively, filtered by
 * name (case folded as Windows compares names).  An editor's atomic save
 * (write a temporary file, rename it over the target) is seen as the
 * target's MOVED_TO; nothing of the other names comes through. */
static void
test_single_file_atomic_save (void)
{
  setup (0);
  CREATE ("target.txt");
  watch ("", 0, "TARGET.txt", NULL);
  CREATE ("other.txt");
  CREATE ("target.txt.tmp");
  MOVE ("target.txt.tmp", "target.txt");
  EXPECT (WF_W32_EV_MOVED_TO, "target.txt");
  clear_events ();
  APPEND ("target.txt");
  EXPECT (WF_W32_EV_MODIFIED, "target.txt");
  UNLINK ("target.txt");
  EXPECT (WF_W32_EV_DELETED, "target.txt");
  TAP_CHECK (find_event (0, -1, "other.txt") < 0 && find_event (0, -1, "target.txt.tmp") < 0,
             "another name came through the filter");
  teardown ();
}

/* Stop while the thread waits: it wakes on the stop event at once, and
 * nothing ran while idle (no timer: no completion without a change). */
static void
test_stop_while_waiting (void)
{
  DWORD start;
  int before;
  WfW32Stats stats;

  setup (0);
  watch ("", 1, NULL, NULL);
  watch ("", 0, NULL, NULL);
  Sleep (300);
  wf_w32_loop_get_stats (loop, &stats);
  TAP_CHECK (stats.n_completions == 0, "%lu completions while idle", stats.n_completions);
  before = n_events;
  start = GetTickCount ();
  wf_w32_loop_free (loop);
  loop = NULL;
  TAP_CHECK (GetTickCount () - start < 1000, "stop took %lu ms", GetTickCount () - start);
  CREATE ("after-stop");
  Sleep (100);
  TAP_CHECK (n_events == before, "an event after stop");
  drop_base ();
}

/* Removing one watch leaves the others. */
static void
test_remove_watch (void)
{
  WfW32Watch *a, *b;
  int x = 1, y = 2;

  setup (0);
  MKDIR ("a");
  MKDIR ("b");
  a = watch ("a", 1, NULL, &x);
  b = watch ("b", 1, NULL, &y);
  wf_w32_loop_remove (loop, a);
  CREATE ("a\\f");
  CREATE ("b\\marker");
  EXPECT (WF_W32_EV_CREATED, "marker");
  TAP_CHECK (find_event (0, -1, "f") < 0, "removed watch reported");
  TAP_CHECK (events[0].udata == &y, "udata");
  TAP_CHECK (loop_thread_id != GetCurrentThreadId (), "callbacks run on the loop thread");
  wf_w32_loop_remove (loop, b);
  teardown ();
}

/* Overflow with a tiny buffer.  Windows (Microsoft Learn,
 * ReadDirectoryChangesW): a 0-byte success when the records did not fit,
 * ERROR_NOTIFY_ENUM_DIR when the system could not record them all; both
 * become WF_W32_EV_OVERFLOW (the 0-byte branch, which wine never takes,
 * is tested with a synthetic buffer in test-w32-parse).  Wine 8.0
 * (measured): ERROR_NOTIFY_ENUM_DIR, never 0 bytes.  The watch is
 * re-armed after an overflow and keeps reporting: a one-letter name's
 * record (14 bytes) fits the 32-byte buffer when it comes alone. */
static void
test_overflow (void)
{
  char name[32];
  WfW32Stats stats;

  setup (32);
  watch ("", 1, NULL, NULL);
  for (int i = 0; i < 64; i++)
    {
      snprintf (name, sizeof name, "file-with-a-long-name-%02d", i);
      CREATE (name);
    }
  EXPECT (WF_W32_EV_OVERFLOW, "");
  Sleep (200);  /* let the burst's last completions drain */
  clear_events ();
  CREATE ("z");
  EXPECT (WF_W32_EV_CREATED, "z");
  wf_w32_loop_get_stats (loop, &stats);
  tap_diag ("overflows: %lu ERROR_NOTIFY_ENUM_DIR, %lu of 0 bytes", stats.n_enum_dir, stats.n_zero_bytes);
  TAP_CHECK (stats.n_enum_dir + stats.n_zero_bytes > 0, "no overflow counted");
  if (running_on_wine ())
    TAP_CHECK (stats.n_zero_bytes == 0 && stats.n_enum_dir > 0, "wine's overflow changed: update the test");
  teardown ();
}

/* A burst that fits the default buffer: every record, in order, across
 * several completions (the double buffer re-armed each time). */
static void
test_burst (void)
{
  char name[32];
  int missing = 0;

  setup (0);
  watch ("", 1, NULL, NULL);
  for (int i = 0; i < 300; i++)
    {
      snprintf (name, sizeof name, "burst-%03d", i);
      CREATE (name);
    }
  EXPECT (WF_W32_EV_CREATED, "burst-299");
  for (int i = 0; i < 300; i++)
    {
      snprintf (name, sizeof name, "burst-%03d", i);
      missing += find_event (0, WF_W32_EV_CREATED, name) < 0;
    }
  TAP_CHECK (missing == 0 && find_event (0, WF_W32_EV_OVERFLOW, NULL) < 0, "%d missing", missing);
  {
    WfW32Stats stats;
    wf_w32_loop_get_stats (loop, &stats);
    tap_diag ("300 files: %lu completions", stats.n_completions);
  }
  teardown ();
}

/* A deleted root.  RemoveDirectoryW "marks a directory for deletion on
 * close. Therefore, the directory is not removed until the last handle
 * to the directory is closed" (Microsoft Learn, RemoveDirectoryW), and the
 * watch holds such a handle (shared for deletion).  Wine 8.0 (measured)
 * does the same: the directory stays, delete-pending, and the root's own
 * read never completes, so the parent's watch hears nothing either until
 * the root's watch is closed; then the parent reports REMOVED.  Windows
 * completes the root's read with an error once it is delete-pending
 * (ERROR_ACCESS_DENIED: libuv's fs-event.c treats that as "the watched
 * directory was deleted"); that is not asserted here, only seen on
 * Windows.  So under wine a deleted empty root goes unnoticed while it is
 * watched (README, "wine differences"). */
static void
test_deleted_root (void)
{
  int x = 1, parent = 2, failed;
  WfW32Watch *root;
  HANDLE h;
  DWORD open_error;

  setup (0);
  MKDIR ("root");
  root = watch ("root", 1, NULL, &x);
  watch ("", 0, "root", &parent);
  RMDIR ("root");
  h = CreateFileW (wide ("root"), FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  open_error = h == INVALID_HANDLE_VALUE ? GetLastError () : 0;
  if (h != INVALID_HANDLE_VALUE)
    CloseHandle (h);
  tap_diag ("after RemoveDirectoryW: attributes 0x%lx, opening it: error %lu",
            (unsigned long) GetFileAttributesW (wide ("root")), (unsigned long) open_error);
  CREATE ("marker");
  Sleep (500);  /* marker is filtered out: nothing to wait for */
  failed = find_event (0, WF_W32_EV_FAILED, NULL);
  if (running_on_wine ())
    {
      TAP_CHECK (failed < 0, "wine completed the deleted root's read: update the test and README");
      TAP_CHECK (find_event (0, -1, "root") < 0, "wine reported the delete-pending root: update the test");
      TAP_CHECK (GetFileAttributesW (wide ("root")) != INVALID_FILE_ATTRIBUTES, "gone while a handle is open");
      /* Windows refuses to open what is pending deletion (DeleteFileW:
       * "CreateFile ... fails ... GetLastError returns
       * ERROR_ACCESS_DENIED"); wine 8.0 opens it. */
      TAP_CHECK (open_error == 0, "wine refused to open a delete-pending directory (%lu): update README",
                 (unsigned long) open_error);
    }
  else
    TAP_CHECK (open_error == ERROR_ACCESS_DENIED, "opening a delete-pending directory: %lu",
               (unsigned long) open_error);
  tap_diag ("the deleted root's own watch: %s", failed >= 0 ? "failed" : "silent");
  wf_w32_loop_remove (loop, root);
  EXPECT (WF_W32_EV_DELETED, "root");
  teardown ();
}

int
main (void)
{
  InitializeCriticalSection (&events_lock);
  events_changed = CreateEventW (NULL, FALSE, FALSE, NULL);
  tap_diag ("running on %s", running_on_wine () ? "wine" : "Windows");
  tap_run ("create, modify, attributes, delete", test_create_modify_attrib_delete);
  tap_run ("rename within: MOVED_FROM then MOVED_TO", test_rename_within);
  tap_run ("move in and out of the root", test_move_in_and_out);
  tap_run ("move between subdirectories (wine: RENAMED pair; Windows: REMOVED + ADDED)",
           test_move_between_subdirectories);
  tap_run ("a directory created after the watch, then a file in it", test_new_directory_then_file);
  tap_run ("a subdirectory older than the watch (wine: not reported)", test_preexisting_subdirectory);
  tap_run ("a directory moved in, then a file in it (wine: not reported)", test_directory_moved_in);
  tap_run ("a renamed subdirectory (wine: may use the old name)", test_renamed_subdirectory);
  tap_run ("non-ASCII and 255-unit names", test_non_ascii_and_long_names);
  tap_run ("a root past MAX_PATH through \\\\?\\", test_long_root);
  tap_run ("a non-recursive root", test_non_recursive);
  tap_run ("a single-file root with an atomic save", test_single_file_atomic_save);
  tap_run ("stop while waiting, nothing while idle", test_stop_while_waiting);
  tap_run ("removing one watch", test_remove_watch);
  tap_run ("overflow with a tiny buffer (wine: ERROR_NOTIFY_ENUM_DIR)", test_overflow);
  tap_run ("a burst across completions", test_burst);
  tap_run ("a deleted root (wine: no completion; the parent watch reports it)", test_deleted_root);
  return tap_done ();
}
