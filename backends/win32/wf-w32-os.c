/* SPDX-License-Identifier: MIT */
/* wf-w32-os.c: the loop thread, its watches and their overlapped
 * ReadDirectoryChangesW (see wf-w32-os.h).  Windows only, GLib-free. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <process.h>
#include <stdlib.h>
#include <string.h>

#include "wf-w32-os.h"

/* What a watch asks to hear of: names (files and directories), and every
 * change of contents or metadata, but not mere reads (last access). */
#define W32_NOTIFY_FILTER                                                                                  \
  (FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME | FILE_NOTIFY_CHANGE_ATTRIBUTES             \
   | FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_CREATION                \
   | FILE_NOTIFY_CHANGE_SECURITY)

#define W32_DEFAULT_BUFFER (64u * 1024u)

struct WfW32Watch {
  WfW32Loop *loop;
  HANDLE handle;
  OVERLAPPED ov;          /* ov.hEvent: this watch (completion routines leave it to us) */
  void *buffers[2];
  int active;             /* the buffer the pending read fills */
  BOOL recursive;
  wchar_t *name;          /* the only name reported, or NULL */
  int name_units;
  void *udata;
  int pending;            /* a read is in flight (loop thread only) */
  int removing;
  WfW32Watch *next;
};

typedef enum { REQ_ADD, REQ_REMOVE } RequestKind;

struct WfW32Loop {
  HANDLE thread;
  HANDLE stop_event;      /* manual reset: set once, by free */
  HANDLE request_event;   /* auto reset: a request is in loop->req */
  HANDLE done_event;      /* auto reset: the loop carried it out */
  CRITICAL_SECTION request_lock;  /* one request at a time */
  struct {
    RequestKind kind;
    const wchar_t *path;
    const wchar_t *name;
    int recursive;
    void *udata;
    WfW32Watch *watch;    /* in: REQ_REMOVE; out: REQ_ADD */
    DWORD error;
  } req;

  size_t buffer_size;
  WfW32EventFunc func;
  void *data;
  WfW32Watch *watches;    /* loop thread only */
  char *scratch;          /* one converted name */
  size_t scratch_size;
  volatile LONG n_completions, n_zero_bytes, n_enum_dir, n_malformed, n_failed;
};

/* ---- paths ---------------------------------------------------------------- */

static wchar_t *
utf8_to_wide (const char *s, int backslash)
{
  size_t units = strlen (s) + 1;  /* never more units than bytes */
  wchar_t *w = malloc (units * sizeof (wchar_t));

  if (w == NULL)
    return NULL;
  if (wf_w32_utf8_to_utf16 (s, (uint16_t *) w, units, backslash) == (size_t) -1)
    {
      free (w);
      return NULL;
    }
  return w;
}

/* @path made absolute by GetFullPathNameW (which folds "." and "..",
 * turns '/' into '\' and knows no MAX_PATH limit in its wide form) and
 * prefixed \\?\ (\\?\UNC\ for a share), after which no limit applies to
 * CreateFileW either. */
static wchar_t *
long_path_wide (const char *path, DWORD *error)
{
  wchar_t *in = utf8_to_wide (path, 1), *full = NULL, *out;
  DWORD n;
  size_t len;

  *error = ERROR_NO_UNICODE_TRANSLATION;
  if (in == NULL)
    return NULL;
  if (wcsncmp (in, L"\\\\?\\", 4) == 0)
    return in;
  n = GetFullPathNameW (in, 0, NULL, NULL);
  if (n != 0)
    {
      full = malloc ((size_t) n * sizeof (wchar_t));
      if (full != NULL)
        n = GetFullPathNameW (in, n, full, NULL);
    }
  *error = GetLastError ();
  free (in);
  if (n == 0 || full == NULL)
    {
      free (full);
      return NULL;
    }
  len = wcslen (full);
  out = malloc ((len + 8) * sizeof (wchar_t));
  if (out == NULL)
    {
      free (full);
      *error = ERROR_NOT_ENOUGH_MEMORY;
      return NULL;
    }
  if (wcsncmp (full, L"\\\\?\\", 4) == 0 || wcsncmp (full, L"\\\\.\\", 4) == 0)
    wcscpy (out, full);
  else if (wcsncmp (full, L"\\\\", 2) == 0)
    {
      wcscpy (out, L"\\\\?\\UNC\\");
      wcscat (out, full + 2);
    }
  else
    {
      wcscpy (out, L"\\\\?\\");
      wcscat (out, full);
    }
  free (full);
  return out;
}

char *
wf_w32_long_path (const char *path)
{
  DWORD error;
  wchar_t *w = long_path_wide (path, &error);
  char *s;
  size_t units;

  if (w == NULL)
    return NULL;
  units = wcslen (w);
  s = malloc (WF_W32_UTF8_MAX (units));
  if (s != NULL)
    wf_w32_utf16_to_utf8 ((const unsigned char *) w, units, s, 0);
  free (w);
  return s;
}

/* ---- one watch (loop thread) ---------------------------------------------- */

static void CALLBACK on_completion (DWORD error, DWORD n_bytes, LPOVERLAPPED ov);

static DWORD
arm (WfW32Watch *w)
{
  memset (&w->ov, 0, sizeof w->ov);
  w->ov.hEvent = (HANDLE) w;
  if (!ReadDirectoryChangesW (w->handle, w->buffers[w->active], (DWORD) w->loop->buffer_size, w->recursive,
                              W32_NOTIFY_FILTER, NULL, &w->ov, on_completion))
    return GetLastError ();
  w->pending = 1;
  return ERROR_SUCCESS;
}

typedef struct {
  WfW32Watch *watch;
  int lost;
} ParseState;

static void
on_record (void *data, WfW32EventKind kind, const char *name, size_t name_len)
{
  ParseState *st = data;
  WfW32Watch *w = st->watch;

  (void) name_len;
  if (kind == WF_W32_EV_OVERFLOW)
    {
      st->lost = 1;  /* an action we do not know: what it did is lost */
      return;
    }
  if (w->name != NULL)
    {
      wchar_t one[MAX_PATH + 1];
      size_t units = wf_w32_utf8_to_utf16 (name, (uint16_t *) one, MAX_PATH + 1, 1);

      if (units == (size_t) -1
          || CompareStringOrdinal (one, (int) units, w->name, w->name_units, TRUE) != CSTR_EQUAL)
        return;
    }
  w->loop->func (w->loop->data, w->udata, kind, name, 0);
}

static void CALLBACK
on_completion (DWORD error, DWORD n_bytes, LPOVERLAPPED ov)
{
  WfW32Watch *w = (WfW32Watch *) ov->hEvent;
  WfW32Loop *loop = w->loop;
  WfW32Completion verdict = wf_w32_completion_verdict (error, n_bytes);
  int filled = w->active;
  DWORD arm_error = ERROR_SUCCESS;

  w->pending = 0;
  InterlockedIncrement (&loop->n_completions);
  if (w->removing || verdict == WF_W32_COMPLETION_CANCELLED)
    return;
  if (verdict == WF_W32_COMPLETION_FAILED)
    {
      InterlockedIncrement (&loop->n_failed);
      loop->func (loop->data, w->udata, WF_W32_EV_FAILED, "", error);
      return;
    }
  /* Re-arm first, into the other buffer: what happens while this one is
   * parsed is already being recorded. */
  w->active ^= 1;
  arm_error = arm (w);
  if (verdict == WF_W32_COMPLETION_OVERFLOW)
    {
      InterlockedIncrement (error == ERROR_SUCCESS ? &loop->n_zero_bytes : &loop->n_enum_dir);
      loop->func (loop->data, w->udata, WF_W32_EV_OVERFLOW, "", 0);
    }
  else
    {
      ParseState st = { w, 0 };
      if (wf_w32_parse (w->buffers[filled], n_bytes, loop->scratch, loop->scratch_size, on_record, &st)
            != WF_W32_PARSE_OK
          || st.lost)
        {
          InterlockedIncrement (&loop->n_malformed);
          loop->func (loop->data, w->udata, WF_W32_EV_OVERFLOW, "", 0);
        }
    }
  if (arm_error != ERROR_SUCCESS)
    {
      InterlockedIncrement (&loop->n_failed);
      loop->func (loop->data, w->udata, WF_W32_EV_FAILED, "", arm_error);
    }
}

static void
watch_free (WfW32Watch *w)
{
  if (w->handle != INVALID_HANDLE_VALUE)
    CloseHandle (w->handle);
  free (w->buffers[0]);
  free (w->buffers[1]);
  free (w->name);
  free (w);
}

static DWORD
do_add (WfW32Loop *loop, const wchar_t *path, const wchar_t *name, int recursive, void *udata,
        WfW32Watch **out)
{
  WfW32Watch *w;
  DWORD attrs = GetFileAttributesW (path), error;

  if (attrs == INVALID_FILE_ATTRIBUTES)
    return GetLastError ();
  if (!(attrs & FILE_ATTRIBUTE_DIRECTORY))
    return ERROR_DIRECTORY;
  w = calloc (1, sizeof *w);
  if (w == NULL)
    return ERROR_NOT_ENOUGH_MEMORY;
  w->loop = loop;
  w->recursive = recursive ? TRUE : FALSE;
  w->udata = udata;
  w->handle = INVALID_HANDLE_VALUE;
  w->buffers[0] = malloc (loop->buffer_size);
  w->buffers[1] = malloc (loop->buffer_size);
  if (name != NULL)
    {
      w->name_units = (int) wcslen (name);
      w->name = malloc (((size_t) w->name_units + 1) * sizeof (wchar_t));
      if (w->name != NULL)
        wcscpy (w->name, name);
    }
  if (w->buffers[0] == NULL || w->buffers[1] == NULL || (name != NULL && w->name == NULL))
    {
      watch_free (w);
      return ERROR_NOT_ENOUGH_MEMORY;
    }
  /* Sharing everything: the watch must never stop a program from
   * renaming or deleting what it watches. */
  w->handle = CreateFileW (path, FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, NULL);
  if (w->handle == INVALID_HANDLE_VALUE)
    {
      error = GetLastError ();
      watch_free (w);
      return error;
    }
  error = arm (w);
  if (error != ERROR_SUCCESS)
    {
      watch_free (w);
      return error;
    }
  w->next = loop->watches;
  loop->watches = w;
  *out = w;
  return ERROR_SUCCESS;
}

static void
do_remove (WfW32Loop *loop, WfW32Watch *w)
{
  WfW32Watch **link;

  for (link = &loop->watches; *link != NULL && *link != w; link = &(*link)->next)
    ;
  if (*link == NULL)
    return;
  *link = w->next;
  w->removing = 1;
  if (w->pending)
    CancelIoEx (w->handle, &w->ov);
  /* The read's buffers stay alive until its completion routine ran:
   * cancelled (ERROR_OPERATION_ABORTED) or done before the cancel. */
  while (w->pending)
    SleepEx (INFINITE, TRUE);
  watch_free (w);
}

static unsigned __stdcall
loop_thread (void *data)
{
  WfW32Loop *loop = data;
  HANDLE events[2] = { loop->stop_event, loop->request_event };

  for (;;)
    {
      DWORD r = WaitForMultipleObjectsEx (2, events, FALSE, INFINITE, TRUE);

      if (r == WAIT_IO_COMPLETION)
        continue;
      if (r != WAIT_OBJECT_0 + 1)
        break;  /* stop, or a wait that failed: nothing more can be done */
      if (loop->req.kind == REQ_ADD)
        loop->req.error = do_add (loop, loop->req.path, loop->req.name, loop->req.recursive, loop->req.udata,
                                  &loop->req.watch);
      else
        do_remove (loop, loop->req.watch);
      SetEvent (loop->done_event);
    }
  while (loop->watches != NULL)
    do_remove (loop, loop->watches);
  return 0;
}

/* ---- the loop (any thread but its own) ------------------------------------ */

WfW32Loop *
wf_w32_loop_new (size_t buffer_size, WfW32EventFunc func, void *data, unsigned long *error)
{
  WfW32Loop *loop = calloc (1, sizeof *loop);

  if (loop == NULL)
    {
      *error = ERROR_NOT_ENOUGH_MEMORY;
      return NULL;
    }
  /* Records are DWORD-aligned: the size must keep them so. */
  loop->buffer_size = buffer_size == 0 ? W32_DEFAULT_BUFFER : (buffer_size + 3) & ~(size_t) 3;
  loop->func = func;
  loop->data = data;
  loop->scratch_size = WF_W32_UTF8_MAX (loop->buffer_size / 2);
  loop->scratch = malloc (loop->scratch_size);
  loop->stop_event = CreateEventW (NULL, TRUE, FALSE, NULL);
  loop->request_event = CreateEventW (NULL, FALSE, FALSE, NULL);
  loop->done_event = CreateEventW (NULL, FALSE, FALSE, NULL);
  InitializeCriticalSection (&loop->request_lock);
  if (loop->scratch != NULL && loop->stop_event != NULL && loop->request_event != NULL && loop->done_event != NULL)
    loop->thread = (HANDLE) _beginthreadex (NULL, 0, loop_thread, loop, 0, NULL);
  if (loop->thread == NULL)
    {
      *error = GetLastError ();
      if (*error == ERROR_SUCCESS)
        *error = ERROR_NOT_ENOUGH_MEMORY;
      wf_w32_loop_free (loop);
      return NULL;
    }
  *error = ERROR_SUCCESS;
  return loop;
}

void
wf_w32_loop_free (WfW32Loop *loop)
{
  if (loop == NULL)
    return;
  if (loop->thread != NULL)
    {
      SetEvent (loop->stop_event);
      WaitForSingleObject (loop->thread, INFINITE);
      CloseHandle (loop->thread);
    }
  if (loop->stop_event != NULL)
    CloseHandle (loop->stop_event);
  if (loop->request_event != NULL)
    CloseHandle (loop->request_event);
  if (loop->done_event != NULL)
    CloseHandle (loop->done_event);
  DeleteCriticalSection (&loop->request_lock);
  free (loop->scratch);
  free (loop);
}

unsigned long
wf_w32_loop_add (WfW32Loop *loop, const char *path, int recursive, const char *name, void *udata,
                 WfW32Watch **watch)
{
  DWORD error;
  wchar_t *wpath = long_path_wide (path, &error), *wname = NULL;

  *watch = NULL;
  if (wpath == NULL)
    return error;
  if (name != NULL && (wname = utf8_to_wide (name, 1)) == NULL)
    {
      free (wpath);
      return ERROR_NO_UNICODE_TRANSLATION;
    }
  EnterCriticalSection (&loop->request_lock);
  loop->req.kind = REQ_ADD;
  loop->req.path = wpath;
  loop->req.name = wname;
  loop->req.recursive = recursive;
  loop->req.udata = udata;
  loop->req.watch = NULL;
  SetEvent (loop->request_event);
  WaitForSingleObject (loop->done_event, INFINITE);
  error = loop->req.error;
  *watch = loop->req.watch;
  LeaveCriticalSection (&loop->request_lock);
  free (wpath);
  free (wname);
  return error;
}

void
wf_w32_loop_remove (WfW32Loop *loop, WfW32Watch *watch)
{
  if (watch == NULL)
    return;
  EnterCriticalSection (&loop->request_lock);
  loop->req.kind = REQ_REMOVE;
  loop->req.watch = watch;
  SetEvent (loop->request_event);
  WaitForSingleObject (loop->done_event, INFINITE);
  LeaveCriticalSection (&loop->request_lock);
}

void
wf_w32_loop_get_stats (WfW32Loop *loop, WfW32Stats *stats)
{
  stats->n_completions = (unsigned long) InterlockedCompareExchange (&loop->n_completions, 0, 0);
  stats->n_zero_bytes = (unsigned long) InterlockedCompareExchange (&loop->n_zero_bytes, 0, 0);
  stats->n_enum_dir = (unsigned long) InterlockedCompareExchange (&loop->n_enum_dir, 0, 0);
  stats->n_malformed = (unsigned long) InterlockedCompareExchange (&loop->n_malformed, 0, 0);
  stats->n_failed = (unsigned long) InterlockedCompareExchange (&loop->n_failed, 0, 0);
}
