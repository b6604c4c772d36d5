/* SPDX-License-Identifier: MIT */
/* wf-tsan-glib.c: GLib's locks made visible to ThreadSanitizer (test only,
 * preloaded in a -Db_sanitize=thread build).
 *
 * On Linux, GLib's GMutex, GRecMutex, GRWLock and GCond are its own futex
 * code, in a libglib that is not instrumented: TSan sees neither the lock
 * nor the unlock, so every field a mutex guards looks raced.  This module
 * wraps each of those calls made by this project's code and by libgio
 * (which reach libglib through the PLT) and tells TSan what the real call
 * did: acquiring after a lock, releasing before an unlock, both around a
 * wait.  The locking itself stays GLib's.  Calls inside libglib to its own
 * locks do not come through here (they are direct calls); what hangs on
 * them is GLib-internal, and tsan.supp says so for each.
 * Built without instrumentation (a preloaded module is not allowed its own
 * runtime) and with the TSan entry points weak, so a process that is not
 * sanitized (a test's shell) can load it too. */
#include <dlfcn.h>

#include <glib.h>

void __tsan_acquire (void *addr) __attribute__ ((weak));
void __tsan_release (void *addr) __attribute__ ((weak));

#define REAL(name) \
  static __typeof__ (name) *real_##name; \
  if (real_##name == NULL) \
    real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name)

static void
acquired (const void *lock)
{
  if (__tsan_acquire != NULL)
    __tsan_acquire ((void *) lock);
}

static void
releasing (const void *lock)
{
  if (__tsan_release != NULL)
    __tsan_release ((void *) lock);
}

#define WRAP_LOCK(name, type) \
  void name (type *lock) \
  { \
    REAL (name); \
    real_##name (lock); \
    acquired (lock); \
  }

#define WRAP_TRYLOCK(name, type) \
  gboolean name (type *lock) \
  { \
    gboolean locked; \
    REAL (name); \
    locked = real_##name (lock); \
    if (locked) \
      acquired (lock); \
    return locked; \
  }

#define WRAP_UNLOCK(name, type) \
  void name (type *lock) \
  { \
    REAL (name); \
    releasing (lock); \
    real_##name (lock); \
  }

WRAP_LOCK (g_mutex_lock, GMutex)
WRAP_TRYLOCK (g_mutex_trylock, GMutex)
WRAP_UNLOCK (g_mutex_unlock, GMutex)
WRAP_LOCK (g_rec_mutex_lock, GRecMutex)
WRAP_TRYLOCK (g_rec_mutex_trylock, GRecMutex)
WRAP_UNLOCK (g_rec_mutex_unlock, GRecMutex)
WRAP_LOCK (g_rw_lock_writer_lock, GRWLock)
WRAP_TRYLOCK (g_rw_lock_writer_trylock, GRWLock)
WRAP_UNLOCK (g_rw_lock_writer_unlock, GRWLock)
WRAP_LOCK (g_rw_lock_reader_lock, GRWLock)
WRAP_TRYLOCK (g_rw_lock_reader_trylock, GRWLock)
WRAP_UNLOCK (g_rw_lock_reader_unlock, GRWLock)

void
g_cond_wait (GCond *cond, GMutex *mutex)
{
  REAL (g_cond_wait);
  releasing (mutex);
  real_g_cond_wait (cond, mutex);
  acquired (mutex);
}

gboolean
g_cond_wait_until (GCond *cond, GMutex *mutex, gint64 end_time)
{
  gboolean signalled;

  REAL (g_cond_wait_until);
  releasing (mutex);
  signalled = real_g_cond_wait_until (cond, mutex, end_time);
  acquired (mutex);
  return signalled;
}
