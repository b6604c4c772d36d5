/* SPDX-License-Identifier: MIT */
/* test-notify-async.c: WfNotify in a GMainContext: watch_async()/finish()
 * and start()/stop() with the "changes" and "failed" signals, on real
 * kernels and against every backend (/notify-async/BACKEND/CASE).
 *
 * Each case asserts exact sets of changes, the result of the call, and the
 * thread and context its callback ran in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wf-test-util.h"

/* Far above any real latency, so valgrind does not fail a correct build. */
#define SAFETY_TIMEOUT_MS 10000

typedef struct {
  char *dir;
  const char *backend;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = wf_test_tmpdir_new ();
  f->backend = data;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  wf_test_tmpdir_free (f->dir);
}

static char *
path_in (Fixture *f, const char *relative)
{
  return g_build_filename (f->dir, relative, NULL);
}

/* An empty new file: one "added" for every backend (no write that poll
 * could see apart from the creation). */
static void
create_in (Fixture *f, const char *relative)
{
  g_autofree char *path = path_in (f, relative);
  int fd = g_open (path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (g_close (fd, NULL));
}

static char *
added_in (Fixture *f, const char *relative)
{
  return g_strdup_printf ("%d:%s/%s", WF_CHANGE_ADDED, f->dir, relative);
}

static WfNotify *
notify_new (Fixture *f)
{
  const char *paths[] = { f->dir, NULL };
  g_autoptr(GError) error = NULL;
  WfNotify *notify = wf_test_notify_new (f->backend, paths, TRUE, FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wf_notify_get_backend_name (notify), ==, f->backend);
  return notify;
}

/* Not a wait for an event the test could await: the state under test is
 * "the backend has seen the change", which no public API shows.  200 ms is
 * thousands of times inotify's latency and ten poll cycles. */
static void
let_changes_arrive (void)
{
  g_usleep (200 * 1000);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates @context until *@flag, failing after @timeout_ms. */
static void
iterate_until (GMainContext *context, gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timer, set_flag_cb, &timed_out, NULL);
  g_source_attach (timer, context);
  while (!*flag && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  g_assert_false (timed_out);
}

/* Iterates @context for @ms, whatever happens. */
static void
iterate_for (GMainContext *context, guint ms)
{
  gboolean done = FALSE;
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, set_flag_cb, &done, NULL);
  g_source_attach (timer, context);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_source_unref (timer);
}

/* ---------------------------------------------------------------------- */
/* watch_async() */

typedef struct {
  GMainContext *context;
  GThread *thread;
  gboolean done;
  WfWatchResult result;
  GPtrArray *changes;
  GError *error;
} AsyncCall;

static void
async_call_clear (AsyncCall *call)
{
  g_clear_pointer (&call->changes, g_ptr_array_unref);
  g_clear_error (&call->error);
}

static void
on_watch_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncCall *call = user_data;

  /* In the context and thread of the call, never a backend thread. */
  g_assert_true (g_thread_self () == call->thread);
  g_assert_true (g_main_context_is_owner (call->context));
  g_assert_false (call->done);
  call->result = wf_notify_watch_finish (WF_NOTIFY (source), result, &call->changes, &call->error);
  call->done = TRUE;
}

static void
watch_async_begin (WfNotify *notify, AsyncCall *call, guint debounce_ms, guint step_ms, guint timeout_ms,
                   GCancellable *stop, GCancellable *cancellable)
{
  *call = (AsyncCall) { g_main_context_get_thread_default (), g_thread_self (), FALSE, WF_WATCH_RESULT_ERROR, NULL,
                        NULL };
  if (call->context == NULL)
    call->context = g_main_context_default ();
  wf_notify_watch_async (notify, debounce_ms, step_ms, timeout_ms, stop, cancellable, on_watch_done, call);
  /* Never synchronous: the callback comes from the main loop. */
  g_assert_false (call->done);
}

static void
watch_async_end (AsyncCall *call)
{
  iterate_until (call->context, &call->done, SAFETY_TIMEOUT_MS);
}

/* Ends @call, which must return exactly one "added", for @relative. */
static void
watch_async_end_added (AsyncCall *call, Fixture *f, const char *relative)
{
  g_autofree char *expected = added_in (f, relative);
  g_autofree char *seen = NULL;

  watch_async_end (call);
  g_assert_no_error (call->error);
  g_assert_cmpint (call->result, ==, WF_WATCH_RESULT_CHANGES);
  seen = wf_test_format_changes (call->changes);
  g_assert_cmpstr (seen, ==, expected);
  async_call_clear (call);
}

/* Ends @call, which must fail with @domain/@code. */
static void
watch_async_end_failed (AsyncCall *call, GQuark domain, int code)
{
  watch_async_end (call);
  g_assert_error (call->error, domain, code);
  g_assert_cmpint (call->result, ==, WF_WATCH_RESULT_ERROR);
  g_assert_null (call->changes);
  async_call_clear (call);
}

static void
test_async_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  AsyncCall call;

  watch_async_begin (notify, &call, 1600, 50, SAFETY_TIMEOUT_MS, NULL, NULL);
  create_in (f, "new.txt");
  watch_async_end_added (&call, f, "new.txt");

  /* A second call returns the next batch only. */
  watch_async_begin (notify, &call, 1600, 50, SAFETY_TIMEOUT_MS, NULL, NULL);
  create_in (f, "second.txt");
  watch_async_end_added (&call, f, "second.txt");
}

static void
test_async_pending_before_call (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  AsyncCall call;

  create_in (f, "early.txt");
  let_changes_arrive ();
  watch_async_begin (notify, &call, 50, 10, 1000, NULL, NULL);
  watch_async_end_added (&call, f, "early.txt");
}

static void
test_async_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  gint64 start = g_get_monotonic_time ();
  AsyncCall call;

  watch_async_begin (notify, &call, 50, 10, 300, NULL, NULL);
  watch_async_end (&call);
  g_assert_no_error (call.error);
  g_assert_cmpint (call.result, ==, WF_WATCH_RESULT_TIMEOUT);
  g_assert_null (call.changes);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
}

static gpointer
cancel_later_thread (gpointer data)
{
  g_usleep (300 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

/* Stop from another thread wakes the main context; the change that came
 * before is kept for the next call. */
static void
test_async_stop_keeps_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  gint64 start = g_get_monotonic_time ();
  GThread *thread;
  AsyncCall call;

  create_in (f, "kept.txt");
  /* A step far beyond the cancel: only the stop can end this call. */
  watch_async_begin (notify, &call, 20000, 20000, 0, stop, NULL);
  thread = g_thread_new ("stopper", cancel_later_thread, stop);
  watch_async_end (&call);
  g_thread_join (thread);
  g_assert_no_error (call.error);
  g_assert_cmpint (call.result, ==, WF_WATCH_RESULT_STOP);
  g_assert_null (call.changes);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);

  watch_async_begin (notify, &call, 50, 10, 1000, NULL, NULL);
  watch_async_end_added (&call, f, "kept.txt");
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_async_cancel_keeps_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsyncCall call;

  create_in (f, "kept.txt");
  watch_async_begin (notify, &call, 20000, 20000, 0, stop, cancellable);
  g_timeout_add (300, cancel_cb, cancellable);
  watch_async_end_failed (&call, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Cancelled before the call: the same, at once. */
  watch_async_begin (notify, &call, 50, 10, 0, NULL, cancellable);
  watch_async_end_failed (&call, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  watch_async_begin (notify, &call, 50, 10, 1000, stop, NULL);
  watch_async_end_added (&call, f, "kept.txt");
}

static gboolean
close_cb (gpointer data)
{
  wf_notify_close (data);
  return G_SOURCE_REMOVE;
}

static void
test_async_close_pending (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  AsyncCall call;

  watch_async_begin (notify, &call, 50, 10, 0, NULL, NULL);
  g_timeout_add (100, close_cb, notify);
  watch_async_end_failed (&call, WF_ERROR, WF_ERROR_CLOSED);

  /* A call after close fails the same way, from the main loop. */
  watch_async_begin (notify, &call, 50, 10, 0, NULL, NULL);
  watch_async_end_failed (&call, WF_ERROR, WF_ERROR_CLOSED);
}

/* ---------------------------------------------------------------------- */
/* start() and the "changes" signal */

typedef struct {
  GMainContext *context;
  GThread *thread;
  GHashTable *seen;        /* "N:path" */
  char **wanted;
  gboolean complete;
  guint n_batches;
  guint n_failed;
  gboolean failed;
  GError *failure;
} Receiver;

static void
receiver_init (Receiver *r, const char *expected)
{
  r->context = g_main_context_ref_thread_default ();
  r->thread = g_thread_self ();
  r->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->wanted = g_strsplit (expected, "\n", -1);
  r->complete = FALSE;
  r->n_batches = 0;
  r->n_failed = 0;
  r->failed = FALSE;
  r->failure = NULL;
}

static void
receiver_clear (Receiver *r)
{
  g_main_context_unref (r->context);
  g_hash_table_unref (r->seen);
  g_strfreev (r->wanted);
  g_clear_error (&r->failure);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The form of wf_test_expect(): sorted "N:path" lines. */
static char *
receiver_format (Receiver *r)
{
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (r->seen, NULL);

  qsort (keys, g_hash_table_size (r->seen), sizeof (char *), compare_strings);
  return g_strjoinv ("\n", (char **) keys);
}

static void
on_changes (WfNotify *notify, GPtrArray *changes, gpointer user_data)
{
  Receiver *r = user_data;

  g_assert_true (g_thread_self () == r->thread);
  g_assert_true (g_main_context_is_owner (r->context));
  g_assert_cmpuint (changes->len, >, 0);
  r->n_batches++;
  for (guint i = 0; i < changes->len; i++)
    {
      WfFileChange *change = g_ptr_array_index (changes, i);
      g_hash_table_add (r->seen, g_strdup_printf ("%d:%s", wf_file_change_get_change (change),
                                                  wf_file_change_get_path (change)));
    }
  r->complete = TRUE;
  for (guint i = 0; r->wanted[i] != NULL; i++)
    if (!g_hash_table_contains (r->seen, r->wanted[i]))
      r->complete = FALSE;
}

static void
on_failed (WfNotify *notify, GError *error, gpointer user_data)
{
  Receiver *r = user_data;

  g_assert_true (g_thread_self () == r->thread);
  g_assert_true (g_main_context_is_owner (r->context));
  r->n_failed++;
  r->failed = TRUE;
  g_clear_error (&r->failure);
  r->failure = g_error_copy (error);
}

/* Iterates until everything expected came, then 300 ms more for extras. */
static char *
receive (Receiver *r)
{
  iterate_until (r->context, &r->complete, SAFETY_TIMEOUT_MS);
  iterate_for (r->context, 300);
  return receiver_format (r);
}

static void
test_signal_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = added_in (f, "a.txt");
  g_autofree char *b = added_in (f, "b.txt");
  g_autofree char *early = added_in (f, "early.txt");
  g_autofree char *expected = wf_test_expect (a, b, early, NULL);
  g_autofree char *seen = NULL;
  Receiver r;

  receiver_init (&r, expected);
  g_signal_connect (notify, "changes", G_CALLBACK (on_changes), &r);
  g_signal_connect (notify, "failed", G_CALLBACK (on_failed), &r);

  /* Pending before start: in the first batch. */
  create_in (f, "early.txt");
  let_changes_arrive ();
  g_assert_false (wf_notify_is_started (notify));
  g_assert_true (wf_notify_start (notify, 1600, 50, &error));
  g_assert_no_error (error);
  g_assert_true (wf_notify_is_started (notify));
  create_in (f, "a.txt");
  create_in (f, "b.txt");
  seen = receive (&r);
  g_assert_cmpstr (seen, ==, expected);
  g_assert_cmpuint (r.n_failed, ==, 0);

  /* Stopped: nothing is emitted, and what comes is kept. */
  wf_notify_stop (notify);
  g_assert_false (wf_notify_is_started (notify));
  r.n_batches = 0;
  create_in (f, "kept.txt");
  iterate_for (r.context, 500);
  g_assert_cmpuint (r.n_batches, ==, 0);
  wf_notify_stop (notify);

  g_clear_pointer (&seen, g_free);
  g_clear_pointer (&expected, g_free);
  expected = added_in (f, "kept.txt");
  receiver_clear (&r);
  receiver_init (&r, expected);
  g_signal_handlers_disconnect_by_data (notify, &r);
  g_signal_connect (notify, "changes", G_CALLBACK (on_changes), &r);
  g_assert_true (wf_notify_start (notify, 100, 20, &error));
  g_assert_no_error (error);
  seen = receive (&r);
  g_assert_cmpstr (seen, ==, expected);
  receiver_clear (&r);
}

/* One consumer at a time: while started, watch and watch_async fail; start
 * fails while a watch_async is under way, or when already started. */
static void
test_signal_exclusive (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  AsyncCall call;

  g_assert_true (wf_notify_start (notify, 50, 10, &error));
  g_assert_no_error (error);
  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_BUSY);
  g_clear_error (&error);

  g_assert_cmpint (wf_notify_watch (notify, 50, 10, 100, NULL, -1, &changes, &error), ==, WF_WATCH_RESULT_ERROR);
  g_assert_error (error, WF_ERROR, WF_ERROR_BUSY);
  g_clear_error (&error);

  watch_async_begin (notify, &call, 50, 10, 100, NULL, NULL);
  watch_async_end_failed (&call, WF_ERROR, WF_ERROR_BUSY);

  wf_notify_stop (notify);
  watch_async_begin (notify, &call, 50, 10, 0, stop, NULL);
  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (wf_notify_is_started (notify));
  g_cancellable_cancel (stop);
  watch_async_end (&call);
  g_assert_no_error (call.error);
  g_assert_cmpint (call.result, ==, WF_WATCH_RESULT_STOP);

  /* Once the call is over, start works again; close() stops it. */
  g_assert_true (wf_notify_start (notify, 50, 10, &error));
  g_assert_no_error (error);
  wf_notify_close (notify);
  g_assert_false (wf_notify_is_started (notify));
  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_CLOSED);
}

static void
test_signal_uninitialised (void)
{
  g_autoptr(WfNotify) notify = g_object_new (WF_TYPE_NOTIFY, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_NOT_INITIALIZED);
}

/* Without a callback the batch would leave the watcher and go nowhere:
 * refused as a programming error, and nothing is taken. */
static void
test_async_needs_callback (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(WfNotify) notify = g_object_new (WF_TYPE_NOTIFY, NULL);

      wf_notify_watch_async (notify, 50, 10, 0, NULL, NULL, NULL, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*callback != NULL*");
}

static void
weak_notify_cb (gpointer data, GObject *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

/* The last reference goes while a batch is pending (debounce deadline
 * armed): no crash, no late signal. */
static void
test_signal_dispose_pending (Fixture *f, gconstpointer data)
{
  WfNotify *notify = notify_new (f);
  g_autoptr(GError) error = NULL;
  gboolean finalized = FALSE;
  Receiver r;

  receiver_init (&r, "");
  g_signal_connect (notify, "changes", G_CALLBACK (on_changes), &r);
  g_object_weak_ref (G_OBJECT (notify), weak_notify_cb, &finalized);
  g_assert_true (wf_notify_start (notify, 1000, 600, &error));
  g_assert_no_error (error);
  create_in (f, "pending.txt");
  /* Seen by the source (its 600 ms step armed), not yet released. */
  iterate_for (r.context, 200);
  g_assert_cmpuint (r.n_batches, ==, 0);

  g_object_unref (notify);
  g_assert_true (finalized);
  iterate_for (r.context, 1500);
  g_assert_cmpuint (r.n_batches, ==, 0);
  receiver_clear (&r);
}

static void
unref_in_handler (WfNotify *notify, GPtrArray *changes, gpointer user_data)
{
  on_changes (notify, changes, user_data);
  g_object_unref (notify);
}

/* A handler may drop the last reference. */
static void
test_signal_dispose_in_handler (Fixture *f, gconstpointer data)
{
  WfNotify *notify = notify_new (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = added_in (f, "a.txt");
  gboolean finalized = FALSE;
  Receiver r;

  receiver_init (&r, expected);
  g_signal_connect (notify, "changes", G_CALLBACK (unref_in_handler), &r);
  g_object_weak_ref (G_OBJECT (notify), weak_notify_cb, &finalized);
  g_assert_true (wf_notify_start (notify, 100, 20, &error));
  create_in (f, "a.txt");
  iterate_until (r.context, &r.complete, SAFETY_TIMEOUT_MS);
  g_assert_true (finalized);
  create_in (f, "b.txt");
  iterate_for (r.context, 300);
  g_assert_cmpuint (r.n_batches, ==, 1);
  receiver_clear (&r);
}

/* start() and watch_async() in a context pushed in another thread: both
 * deliver there, and the default context dispatches nothing. */
typedef struct {
  Fixture *f;
  WfNotify *notify;
  gint ready;              /* atomic: the thread started watching */
  gboolean ok;
} ThreadCase;

static gpointer
context_thread (gpointer data)
{
  ThreadCase *tc = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *b = added_in (tc->f, "b.txt");
  g_autofree char *seen = NULL;
  Receiver r;
  AsyncCall call;

  g_main_context_push_thread_default (context);

  watch_async_begin (tc->notify, &call, 100, 20, 0, NULL, NULL);
  g_assert_true (call.context == context);
  g_atomic_int_set (&tc->ready, 1);
  watch_async_end_added (&call, tc->f, "a.txt");

  receiver_init (&r, b);
  g_assert_true (r.context == context);
  g_signal_connect (tc->notify, "changes", G_CALLBACK (on_changes), &r);
  g_assert_true (wf_notify_start (tc->notify, 100, 20, &error));
  g_assert_no_error (error);
  g_atomic_int_set (&tc->ready, 2);
  seen = receive (&r);
  g_assert_cmpstr (seen, ==, b);
  wf_notify_stop (tc->notify);
  g_signal_handlers_disconnect_by_data (tc->notify, &r);
  receiver_clear (&r);

  g_main_context_pop_thread_default (context);
  tc->ok = TRUE;
  return NULL;
}

static void
await_ready (ThreadCase *tc, gint value)
{
  gint64 deadline = g_get_monotonic_time () + SAFETY_TIMEOUT_MS * 1000;

  /* Polled: the state is set by another thread with no main loop here. */
  while (g_atomic_int_get (&tc->ready) < value)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

static void
test_thread_default_context (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  ThreadCase tc = { f, notify, 0, FALSE };
  GThread *thread;

  thread = g_thread_new ("context", context_thread, &tc);
  await_ready (&tc, 1);
  create_in (f, "a.txt");
  await_ready (&tc, 2);
  create_in (f, "b.txt");
  g_thread_join (thread);
  g_assert_true (tc.ok);
  /* Nothing was attached to this thread's default context. */
  g_assert_false (g_main_context_pending (NULL));
}

/* inotify only: the poll backend has no failure a test can cause. */
static int
find_inotify_fd (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  int found = -1;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (g_strcmp0 (target, "anon_inode:inotify") == 0)
        {
          g_assert_cmpint (found, ==, -1);
          found = atoi (name);
        }
    }
  return found;
}

/* The backend dies: "failed" once, in the caller's context, then nothing;
 * start() and watch_async() report the failure. */
static void
test_signal_failed (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  g_autoptr(GError) error = NULL;
  Receiver r;
  AsyncCall call;
  int inotify_fd, null_fd;

  receiver_init (&r, "");
  g_signal_connect (notify, "changes", G_CALLBACK (on_changes), &r);
  g_signal_connect (notify, "failed", G_CALLBACK (on_failed), &r);
  g_assert_true (wf_notify_start (notify, 50, 10, &error));
  g_assert_no_error (error);

  /* The backend's next read() gets end-of-file, which it reports as a
   * failure; the event below wakes its poll() on the old descriptor. */
  inotify_fd = find_inotify_fd ();
  g_assert_cmpint (inotify_fd, >=, 0);
  null_fd = g_open ("/dev/null", O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (null_fd, >=, 0);
  g_assert_cmpint (dup3 (null_fd, inotify_fd, O_CLOEXEC), ==, inotify_fd);
  g_close (null_fd, NULL);
  create_in (f, "a.txt");

  iterate_until (r.context, &r.failed, SAFETY_TIMEOUT_MS);
  g_assert_error (r.failure, WF_ERROR, WF_ERROR_BACKEND_FAILED);
  g_assert_false (wf_notify_is_started (notify));
  create_in (f, "b.txt");
  iterate_for (r.context, 300);
  g_assert_cmpuint (r.n_failed, ==, 1);
  g_assert_cmpuint (r.n_batches, ==, 0);

  g_assert_false (wf_notify_start (notify, 50, 10, &error));
  g_assert_error (error, WF_ERROR, WF_ERROR_BACKEND_FAILED);
  watch_async_begin (notify, &call, 50, 10, 0, NULL, NULL);
  watch_async_end_failed (&call, WF_ERROR, WF_ERROR_BACKEND_FAILED);
  receiver_clear (&r);
}

/* ---------------------------------------------------------------------- */
/* No wake-ups while nothing changes */

static GPollFunc default_poll;
static guint n_polls;

static gint
counting_poll (GPollFD *ufds, guint nfds, gint timeout)
{
  n_polls++;
  return default_poll (ufds, nfds, timeout);
}

/* Counts the main loop's wake-ups over one idle second. */
static guint
count_idle_wakeups (void)
{
  GMainContext *context = g_main_context_default ();
  guint n;

  /* Let the first look (ready time 0) and the backends settle. */
  iterate_for (context, 100);
  default_poll = g_main_context_get_poll_func (context);
  n_polls = 0;
  g_main_context_set_poll_func (context, counting_poll);
  iterate_for (context, 1000);
  g_main_context_set_poll_func (context, default_poll);
  n = n_polls;
  g_test_message ("%u main-loop wake-ups in 1 s", n);
  return n;
}

static void
test_idle_no_wakeups (Fixture *f, gconstpointer data)
{
  g_autoptr(WfNotify) notify = notify_new (f);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  AsyncCall call;

  /* One poll that sleeps the whole second, one for the timer that ends it
   * (GLib may poll once more with a zero timeout). */
  g_assert_true (wf_notify_start (notify, 50, 10, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_idle_wakeups (), <=, 3);
  wf_notify_stop (notify);

  watch_async_begin (notify, &call, 50, 10, 0, stop, NULL);
  g_assert_cmpuint (count_idle_wakeups (), <=, 3);
  g_cancellable_cancel (stop);
  watch_async_end (&call);
  g_assert_cmpint (call.result, ==, WF_WATCH_RESULT_STOP);
}

/* ---------------------------------------------------------------------- */

typedef void (*FixtureTest) (Fixture *f, gconstpointer data);

static const struct {
  const char *name;
  FixtureTest func;
  gboolean inotify_only;
} backend_cases[] = {
  { "async-changes", test_async_changes, FALSE },
  { "async-pending-before-call", test_async_pending_before_call, FALSE },
  { "async-timeout", test_async_timeout, FALSE },
  { "async-stop-keeps-changes", test_async_stop_keeps_changes, FALSE },
  { "async-cancel-keeps-changes", test_async_cancel_keeps_changes, FALSE },
  { "async-close-pending", test_async_close_pending, FALSE },
  { "signal-changes", test_signal_changes, FALSE },
  { "signal-exclusive", test_signal_exclusive, FALSE },
  { "signal-dispose-pending", test_signal_dispose_pending, FALSE },
  { "signal-dispose-in-handler", test_signal_dispose_in_handler, FALSE },
  { "thread-default-context", test_thread_default_context, FALSE },
  { "signal-failed", test_signal_failed, TRUE },
  { "idle-no-wakeups", test_idle_no_wakeups, FALSE },
};

int
main (int argc, char **argv)
{
  const char *const *backends = wf_test_backends ();

  g_test_init (&argc, &argv, NULL);

  for (guint b = 0; backends[b] != NULL; b++)
    for (guint i = 0; i < G_N_ELEMENTS (backend_cases); i++)
      {
        g_autofree char *path = NULL;

        if (backend_cases[i].inotify_only && strcmp (backends[b], "inotify") != 0)
          continue;
        path = g_strdup_printf ("/notify-async/%s/%s", backends[b], backend_cases[i].name);
        g_test_add (path, Fixture, backends[b], fixture_setup, backend_cases[i].func, fixture_teardown);
      }
  g_test_add_func ("/notify-async/uninitialised", test_signal_uninitialised);
  g_test_add_func ("/notify-async/needs-callback", test_async_needs_callback);

  return g_test_run ();
}
