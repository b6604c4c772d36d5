# SPDX-License-Identifier: MIT
# test_wait_checks.py: signals and stop events during Notify.watch(), as
# RustNotify's loop has them (spec 1.4): signal handlers and is_set() run on
# the calling thread with the GIL, a handler that does not raise keeps the
# batch's debounce, a handler raising anywhere in watch() means 'signal',
# nothing leaks.  Also awatch()'s own worker thread and Change's IntEnum
# face.  Each case reproduces a finding of the review of the override.
import asyncio
import collections
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import CHILD_IMPORTS
from gi.repository import Watchfiles

Notify = Watchfiles.Notify


def _pipes():
    """The pipes this process has open (other descriptors come and go with
    the backends' threads)."""
    pipes = set()
    for name in os.listdir('/proc/self/fd'):
        try:
            target = os.readlink(f'/proc/self/fd/{name}')
        except OSError:
            continue
        if target.startswith('pipe:'):
            pipes.add((int(name), target))
    return pipes


def _new_pipes(before, expect=0):
    """The pipes open now that were not in `before`, once `expect` of them
    are left or 2 s have passed: a pipe that only comes and goes (seen
    here: a pair opened and closed by some other thread of the process
    between two looks) is not counted, a leaked one stays."""
    deadline = time.monotonic() + 2
    while True:
        new = _pipes() - before
        if len(new) == expect or time.monotonic() > deadline:
            return new
        time.sleep(0.01)


def _run_script(body, *args, timeout=60):
    """Runs body in a fresh interpreter; returns its stdout lines."""
    script = CHILD_IMPORTS + textwrap.dedent('''
        import collections, os, signal, sys, tempfile, threading, time
    ''') + textwrap.dedent(body)
    child = subprocess.run([sys.executable, '-c', script, *args], capture_output=True, text=True,
                           timeout=timeout)
    assert child.returncode == 0, child.stderr
    return child.stdout.splitlines()


@pytest.fixture
def sigusr1_handler():
    """Installs a SIGUSR1 handler for the test, restored afterwards."""
    previous = signal.getsignal(signal.SIGUSR1)

    def install(handler):
        signal.signal(signal.SIGUSR1, handler)

    yield install
    signal.signal(signal.SIGUSR1, previous)


# --- 1. a handler that does not raise keeps the debounce state ---

def test_frequent_harmless_signals_do_not_hold_back_a_batch(tmp_path, sigusr1_handler):
    handled = []
    sigusr1_handler(lambda signum, frame: handled.append(signum))
    done = threading.Event()

    def pinger():
        end = time.monotonic() + 6
        while not done.wait(0.02) and time.monotonic() < end:
            os.kill(os.getpid(), signal.SIGUSR1)

    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        (tmp_path / 'a').write_text('x')
        thread = threading.Thread(target=pinger)
        thread.start()
        try:
            start = time.monotonic()
            result = watcher.watch(200, 50, 3000, None)
            took = time.monotonic() - start
        finally:
            done.set()
            thread.join()
    assert result == {(1, str(tmp_path / 'a'))}
    # Within debounce + step of the change, not once the signals stop (6 s).
    assert took < 2, took
    assert signal.set_wakeup_fd(-1) == -1


def test_harmless_signals_keep_a_growing_batch_within_debounce(tmp_path, sigusr1_handler):
    sigusr1_handler(lambda signum, frame: None)
    done = threading.Event()

    def busy():
        # a new file every 20 ms and a signal every 10 ms, for up to 6 s
        end = time.monotonic() + 6
        i = 0
        while not done.wait(0.01) and time.monotonic() < end:
            os.kill(os.getpid(), signal.SIGUSR1)
            if i % 2 == 0:
                (tmp_path / f'f{i}').write_text('x')
            i += 1

    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        thread = threading.Thread(target=busy)
        thread.start()
        try:
            start = time.monotonic()
            result = watcher.watch(300, 100, 5000, None)
            took = time.monotonic() - start
        finally:
            done.set()
            thread.join()
    assert isinstance(result, set) and result
    assert took < 2.5, took


# --- 2. is_set() on the calling thread, with the GIL ---

def test_is_set_taking_a_lock_the_caller_holds(tmp_path):
    # A poller thread would block on the lock and watch() would wait for it.
    lines = _run_script('''
        class Event:
            def __init__(self):
                self.lock = threading.RLock()
                self.calls = 0
            def is_set(self):
                with self.lock:
                    self.calls += 1
                    return False
        event = Event()
        with Watchfiles.Notify([sys.argv[1]], False, False, 0, True, False) as watcher, event.lock:
            print(watcher.watch(50, 50, 300, event))
        print(event.calls > 2)
    ''', str(tmp_path), timeout=20)
    assert lines == ['timeout', 'True']


def test_is_set_runs_on_the_calling_thread_every_step(tmp_path):
    class Event:
        def __init__(self):
            self.threads = collections.Counter()
            self.extra_threads = 0

        def is_set(self):
            self.threads[threading.get_ident()] += 1
            self.extra_threads = max(self.extra_threads, threading.active_count() - baseline)
            return False

    baseline = threading.active_count()
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        event = Event()
        assert watcher.watch(50, 50, 500, event) == 'timeout'
        assert set(event.threads) == {threading.get_ident()}
        # once a step, as RustNotify: about 10
        assert 5 <= event.threads[threading.get_ident()] <= 15
        assert event.extra_threads == 0

        worker = {}

        def in_worker():
            worker['ident'] = threading.get_ident()
            worker['result'] = watcher.watch(50, 20, 200, event)

        event.threads.clear()
        thread = threading.Thread(target=in_worker)
        thread.start()
        thread.join(10)
        assert worker['result'] == 'timeout'
        assert set(event.threads) == {worker['ident']}
    assert threading.active_count() == baseline


# --- 3. a handler raising anywhere in watch(): 'signal', nothing leaked ---

def test_signals_at_random_points_always_return_signal(tmp_path):
    body = '''
        class Boom(Exception):
            pass
        armed = False
        def handler(*args):
            global armed
            if armed:
                armed = False
                raise Boom
        signal.signal(signal.SIGALRM, handler)
        class Event:
            def is_set(self):
                return False
        use_event = sys.argv[2] == 'event'
        stats = collections.Counter()
        # A handler may raise in this loop or in watch()'s argument checks,
        # before the call really began, or inside is_set(): so may
        # RustNotify's.  Not once the wait is being set up, nor later.
        import inspect, traceback
        from gi.overrides import Watchfiles as override
        source, first = inspect.getsourcelines(override.Notify.watch)
        setup_line = first + next(i for i, line in enumerate(source) if 'From here on' in line)
        def inside(tb):
            frames = list(traceback.walk_tb(tb))
            if any(frame.f_code is Event.is_set.__code__ for frame, line in frames):
                return False
            return any(frame.f_code is override.Notify.watch.__code__ and line >= setup_line
                       for frame, line in frames)
        watcher = Watchfiles.Notify([sys.argv[1]], False, False, 0, True, False)
        watcher.watch(0, 0, 1, None)  # the wakeup pipe exists from here on
        fds = len(os.listdir('/proc/self/fd'))
        signal.setitimer(signal.ITIMER_REAL, 0.0007, 0.0007)
        for i in range(3000):
            try:
                armed = True
                result = watcher.watch(0, 0, 1, Event() if use_event else None)
                armed = False
                stats[result] += 1
            except Boom as exc:
                stats['raised' if inside(exc.__traceback__) else 'before'] += 1
        signal.setitimer(signal.ITIMER_REAL, 0)
        armed = False
        print(stats['raised'], signal.set_wakeup_fd(-1), len(os.listdir('/proc/self/fd')) - fds,
              threading.active_count())
        watcher.close()
    '''
    for mode in ('none', 'event'):
        assert _run_script(body, str(tmp_path), mode, timeout=120) == ['0 -1 0 1'], mode


@pytest.fixture
def raise_once(monkeypatch):
    """Makes obj.name raise KeyboardInterrupt at its next call, as a SIGINT
    handler does when the signal lands right there."""
    def arm(obj, name):
        original = getattr(obj, name)
        fired = []

        def wrapper(*args, **kwargs):
            if not fired:
                fired.append(True)
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        monkeypatch.setattr(obj, name, wrapper)
        return fired
    return arm


def test_handler_raising_after_the_batch_was_taken_keeps_it(tmp_path, raise_once):
    pipes = _pipes()
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        (tmp_path / 'kept.txt').write_text('x')
        # the batch is taken from C, then turned into tuples: raise there
        fired = raise_once(Watchfiles.FileChange, 'get_path')
        assert watcher.watch(50, 10, 2000, None) == 'signal'
        assert fired
        assert signal.set_wakeup_fd(-1) == -1
        assert watcher.watch(50, 10, 2000, None) == {(1, str(tmp_path / 'kept.txt'))}
        assert watcher.watch(50, 10, 100, None) == 'timeout'
    assert _new_pipes(pipes) == set()


def test_handler_raising_during_setup(tmp_path, raise_once, watchfiles_module):
    pipes = _pipes()
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        (tmp_path / 'kept.txt').write_text('x')
        fired = raise_once(watchfiles_module._Checker, '__init__')
        assert watcher.watch(50, 10, 2000, None) == 'signal'
        assert fired
        assert signal.set_wakeup_fd(-1) == -1
        assert watcher.watch(50, 10, 2000, None) == {(1, str(tmp_path / 'kept.txt'))}
    assert _new_pipes(pipes) == set()


def test_wakeup_pipe_made_once_and_closed_with_the_watcher(tmp_path):
    pipes = _pipes()
    watcher = Notify([str(tmp_path)], False, False, 0, True, False)
    for _ in range(20):
        assert watcher.watch(1, 1, 1, None) == 'timeout'
    assert len(_new_pipes(pipes, 2)) == 2  # one pipe
    watcher.close()
    assert _new_pipes(pipes) == set()
    assert signal.set_wakeup_fd(-1) == -1


def test_wakeup_pipe_closed_when_the_watcher_goes(tmp_path):
    # no ResourceWarning (an error here, -W error) and no fd left
    import gc
    gc.collect()  # what earlier tests left in reference cycles goes first
    pipes = _pipes()
    watcher = Notify([str(tmp_path)], False, False, 0, True, False)
    assert watcher.watch(1, 1, 1, None) == 'timeout'
    del watcher
    gc.collect()
    assert _new_pipes(pipes) == set()


def test_close_from_another_thread_while_the_main_thread_waits(tmp_path, hook_event):
    pipes = _pipes()
    watcher = Notify([str(tmp_path)], False, False, 0, True, False)
    def close_elsewhere():
        closer = threading.Thread(target=watcher.close)
        closer.start()
        closer.join()

    # the pipe is in use: close() leaves it to watch() to close
    event = hook_event(on_first_check=close_elsewhere)
    with pytest.raises(RuntimeError, match='RustNotify watcher closed'):
        watcher.watch(1600, 20, 5000, event)
    assert signal.set_wakeup_fd(-1) == -1
    assert _new_pipes(pipes) == set()


# --- 4. is_set()'s exception is never lost ---

def test_is_set_error_raised_whatever_the_c_call_returns(tmp_path):
    class Event:
        """Raises from 15 ms on: at the first step, when a batch or the
        timeout is due too."""

        def __init__(self):
            self.start = time.monotonic()

        def is_set(self):
            if time.monotonic() - self.start >= 0.015:
                raise ValueError('boom')
            return False

    outcomes = collections.Counter()
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        for i in range(20):
            (tmp_path / str(i)).write_text('x')
            try:
                outcomes['changes', type(watcher.watch(0, 20, 0, Event())).__name__] += 1
            except ValueError:
                outcomes['changes', 'ValueError'] += 1
        for i in range(20):
            try:
                result = watcher.watch(0, 20, 20, Event())
                outcomes['timeout', result if isinstance(result, str) else 'set'] += 1
            except ValueError:
                outcomes['timeout', 'ValueError'] += 1
    # RustNotify calls is_set() before it looks at the set or the timeout
    assert outcomes == {('changes', 'ValueError'): 20, ('timeout', 'ValueError'): 20}


# --- 5. awatch() does not use the default executor ---

def test_idle_awatch_leaves_the_default_executor_free(tmp_path):
    async def main():
        async def consume():
            async for _ in Watchfiles.awatch(tmp_path):
                pass

        count = (os.cpu_count() or 1) + 5  # more than the default pool's threads
        tasks = [asyncio.create_task(consume()) for _ in range(count)]
        try:
            await asyncio.sleep(0.3)
            loop = asyncio.get_running_loop()
            start = time.monotonic()
            await loop.run_in_executor(None, lambda: None)
            took = time.monotonic() - start
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return took

    assert asyncio.run(main()) < 1


def test_awatch_worker_threads_end(tmp_path):
    baseline = threading.active_count()

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, stop.set)
        async for _ in Watchfiles.awatch(tmp_path, stop_event=stop, step=10):
            pass

    asyncio.run(main())
    deadline = time.monotonic() + 5
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == baseline


# --- minor: Change looks like watchfiles' IntEnum ---

def test_change_as_int_enum():
    import enum
    reference = enum.IntEnum('Change', [('added', 1), ('modified', 2), ('deleted', 3)])
    Change = Watchfiles.Change
    for name in ('added', 'modified', 'deleted'):
        ours, theirs = getattr(Change, name), getattr(reference, name)
        assert str(ours) == str(theirs)
        assert repr(ours) == repr(theirs)
        assert f'{ours}' == f'{theirs}' and f'{ours:>3}' == f'{theirs:>3}'
        assert ours.value == theirs.value
        assert ours.name == name and ours.raw_str() == name
        assert Change[name] is ours
        assert Change(theirs.value) is ours
    assert list(Change.__members__) == ['added', 'modified', 'deleted']
    with pytest.raises(KeyError):
        Change['nothing']
    assert isinstance(Change.added, int)
