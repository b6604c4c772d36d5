# SPDX-License-Identifier: MIT
# test_notify.py: what the override adds to RustNotify's own tests: the
# override really loads from the source tree, argument checks, error types,
# GObject API reachable, Ctrl+C in a real child process, close() from
# another thread, the GIL released while waiting, stop events, non-UTF-8
# names.
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import CHILD_IMPORTS
from gi.repository import Gio, GObject, Watchfiles

Notify = Watchfiles.Notify


def test_override_loaded_from_source_tree():
    import gi.overrides.Watchfiles as module
    source_dir = os.environ.get('WATCHFILES_PYTHON_DIR')
    if source_dir is None:
        pytest.skip('not run by meson test')
    assert os.path.samefile(module.__file__, os.path.join(source_dir, 'gi', 'overrides', 'Watchfiles.py'))
    assert Watchfiles.Notify is module.Notify
    assert Watchfiles.Notify.__module__ == 'gi.overrides.Watchfiles'
    assert Watchfiles.watch is module.watch


def test_version():
    # meson.build's version, through the typelib's constants
    if 'WF_VERSION' not in os.environ:
        pytest.skip('not run by meson test')
    assert Watchfiles.VERSION == os.environ['WF_VERSION']
    assert Watchfiles.__version__ == Watchfiles.VERSION == Watchfiles.VERSION_STRING
    assert Watchfiles.VERSION == f'{Watchfiles.MAJOR_VERSION}.{Watchfiles.MINOR_VERSION}.{Watchfiles.MICRO_VERSION}'


def test_is_a_gobject(tmp_path, native_backend):
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        assert isinstance(watcher, GObject.Object)
        assert isinstance(watcher, Gio.Initable)
        assert GObject.type_name(watcher) == 'WfNotify'
        assert watcher.get_backend_name() == native_backend
        assert watcher.props.recursive is True
        assert watcher.props.paths == [str(tmp_path)]
        assert watcher.describe().startswith(f'{native_backend.capitalize()}Backend {{')
        assert watcher.get_watched_directories() == 1
        assert watcher.status.backend_name == 'inotify'


def test_context_manager(tmp_path):
    watcher = Notify([str(tmp_path)], False, False, 0, True, False)
    with watcher as entered:
        assert entered is watcher
        assert not watcher.is_closed()
    assert watcher.is_closed()
    assert watcher.__exit__(None, None, None) is None
    watcher.close()  # idempotent
    assert repr(watcher) == 'RustNotify(None)'


def test_exceptions_propagate_through_context_manager(tmp_path):
    with pytest.raises(ValueError, match='inside'):
        with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
            raise ValueError('inside')
    assert watcher.is_closed()


@pytest.mark.parametrize('args,exc,match', [
    (('/tmp', False, False, 0, True, False), TypeError, "Can't extract `str` to `Vec`"),
    ((b'/tmp', False, False, 0, True, False), TypeError, 'Vec'),
    (([1], False, False, 0, True, False), TypeError, "'int' object cannot be converted"),
    ((['/tmp'], 1, False, 0, True, False), TypeError, "'int' object cannot be converted to 'PyBool'"),
    ((['/tmp'], False, None, 0, True, False), TypeError, 'PyBool'),
    ((['/tmp'], False, False, -1, True, False), OverflowError, "can't convert negative int to unsigned"),
    ((['/tmp'], False, False, 2 ** 64, True, False), OverflowError, 'too big'),
    ((['/tmp'], False, False, 1.5, True, False), TypeError, "'float' object cannot be interpreted as an integer"),
    ((['/tmp'], False, False, 0, 'yes', False), TypeError, 'PyBool'),
    ((['/tmp\0x'], False, False, 0, True, False), ValueError, 'embedded null byte'),
])
def test_constructor_argument_types(args, exc, match):
    with pytest.raises(exc, match=match):
        Notify(*args)


def test_constructor_needs_six_positional_arguments(tmp_path):
    with pytest.raises(TypeError):
        Notify([str(tmp_path)], False, False, 0, True)
    with pytest.raises(TypeError):
        Notify([str(tmp_path)], False, False, 0, True, False, True)
    with pytest.raises(TypeError):
        Notify(watch_paths=[str(tmp_path)], debug=False, force_polling=False, poll_delay_ms=0, recursive=True)


def test_path_types(tmp_path):
    import pathlib
    f = tmp_path / 'f'
    for paths in ([tmp_path], [os.fsencode(tmp_path)], (str(tmp_path),), [pathlib.PurePath(tmp_path)]):
        with Notify(paths, False, False, 0, True, False) as watcher:
            f.write_text(str(paths))
            assert watcher.watch(50, 10, 2000, None) == {(1, str(f))}
            f.unlink()
            assert watcher.watch(50, 10, 2000, None) == {(3, str(f))}


def test_huge_u64_values_are_accepted(tmp_path):
    with Notify([str(tmp_path)], False, True, 2 ** 64 - 1, True, False) as watcher:
        assert watcher.props.poll_delay_ms == 2 ** 32 - 1
        assert watcher.watch(2 ** 64 - 1, 1, 1, None) == 'timeout'


def test_watch_argument_types(tmp_path):
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        with pytest.raises(OverflowError):
            watcher.watch(-1, 1, 1, None)
        with pytest.raises(TypeError):
            watcher.watch(1.0, 1, 1, None)
        with pytest.raises(TypeError):
            watcher.watch(1, 1, 1)


def test_backend_keyword(tmp_path):
    with Notify([str(tmp_path)], False, False, 250, True, False, backend='poll') as watcher:
        assert watcher.get_backend_name() == 'poll'
        assert repr(watcher).startswith('RustNotify(Poll(\n    PollWatcher {\n        delay: Some(\n')


def test_unknown_backend_is_internal_error(tmp_path):
    with pytest.raises(Watchfiles.WatchfilesRustInternalError) as info:
        Notify([str(tmp_path)], False, False, 0, True, False, backend='no-such-backend')
    assert isinstance(info.value, RuntimeError)
    assert 'no-such-backend' in str(info.value)


def test_watchfiles_backend_env_error(tmp_path, monkeypatch):
    monkeypatch.setenv('WATCHFILES_BACKEND', 'no-such-backend')
    with pytest.raises(Watchfiles.WatchfilesRustInternalError):
        Notify([str(tmp_path)], False, False, 0, True, False)


def test_error_class():
    assert issubclass(Watchfiles.WatchfilesRustInternalError, RuntimeError)
    assert Watchfiles.WatchfilesRustInternalError.__doc__ == 'Internal or filesystem error.'


def test_ignore_rules_keyword(tmp_path):
    (tmp_path / 'node_modules' / 'pkg').mkdir(parents=True)
    (tmp_path / 'src').mkdir()
    rules = Watchfiles.IgnoreRules.new()
    rules.add_dir_name('node_modules')
    with Notify([str(tmp_path)], False, False, 0, True, False, ignore_rules=rules) as watcher:
        assert watcher.get_watched_directories() == 2  # the root and src
        (tmp_path / 'node_modules' / 'pkg' / 'x.js').write_text('x')
        (tmp_path / 'src' / 'x.py').write_text('x')
        assert watcher.watch(50, 10, 2000, None) == {(1, str(tmp_path / 'src' / 'x.py'))}
    with pytest.raises(TypeError):
        Notify([str(tmp_path)], False, False, 0, True, False, ignore_rules='node_modules')


def test_follow_symlinks_keyword(tmp_path):
    (tmp_path / 'real').mkdir()
    (tmp_path / 'root').mkdir()
    (tmp_path / 'root' / 'link').symlink_to(tmp_path / 'real')
    with Notify([str(tmp_path / 'root')], False, False, 0, True, False, follow_symlinks=False) as watcher:
        assert watcher.props.follow_symlinks is False
        assert watcher.get_watched_directories() == 1
    with Notify([str(tmp_path / 'root')], False, False, 0, True, False) as watcher:
        assert watcher.get_watched_directories() == 2


def test_non_utf8_names_round_trip(tmp_path):
    root = os.fsencode(tmp_path) + b'/dir-\xff'
    os.mkdir(root)
    for watch_path in (root, os.fsdecode(root)):
        with Notify([watch_path], False, False, 0, True, False) as watcher:
            name = root + b'/\xfe\xfd.txt'
            with open(name, 'w') as f:
                f.write('x')
            changes = watcher.watch(50, 10, 2000, None)
            assert changes == {(1, os.fsdecode(name))}
            (change, path), = changes
            assert isinstance(path, str)
            assert os.fsencode(path) == name
            assert os.path.exists(path)
            os.unlink(name)
            assert watcher.watch(50, 10, 2000, None) == {(3, os.fsdecode(name))}


def test_non_utf8_root_with_extras_is_a_clear_error(tmp_path):
    root = os.fsencode(tmp_path) + b'/dir-\xff'
    os.mkdir(root)
    with pytest.raises(ValueError, match='UTF-8'):
        Notify([root], False, False, 0, True, False, backend='poll')


def test_threading_event_stops_within_a_step(tmp_path, hook_event):
    event = hook_event()
    set_at = []

    def set_later():
        event.waiting.wait(10)
        set_at.append(time.monotonic())
        event.set()

    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        setter = threading.Thread(target=set_later)
        setter.start()
        assert watcher.watch(1600, 50, 10_000, event) == 'stop'
        returned_at = time.monotonic()
        setter.join()
    assert returned_at - set_at[0] < 0.5


def test_plain_threading_event(tmp_path):
    event = threading.Event()
    timer = threading.Timer(0.1, event.set)
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        start = time.monotonic()
        timer.start()
        assert watcher.watch(1600, 20, 10_000, event) == 'stop'
        assert time.monotonic() - start < 2
        timer.join()


def test_cancellable_as_stop_event(tmp_path):
    cancellable = Gio.Cancellable()
    timer = threading.Timer(0.1, cancellable.cancel)
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        start = time.monotonic()
        timer.start()
        assert watcher.watch(1600, 50, 10_000, cancellable) == 'stop'
        assert time.monotonic() - start < 2
        timer.join()


def test_stop_event_error_is_raised(tmp_path):
    class Boom(Exception):
        pass

    class Event:
        calls = 0

        def is_set(self):
            Event.calls += 1
            if Event.calls > 1:
                raise Boom('from is_set')
            return False

    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        with pytest.raises(Boom, match='from is_set'):
            watcher.watch(1600, 10, 10_000, Event())


@pytest.mark.parametrize('is_set', [123, None, 'yes'], ids=['int', 'None', 'str'])
def test_stop_event_is_set_not_callable_before_waiting(tmp_path, time_taken, is_set):
    # A TypeError before any wait (a step of 1 s would show), in RustNotify's
    # words up to 0.22 followed by those of 0.23 and later; the call leaves
    # no wakeup fd behind and the watcher works on, its changes kept.
    event = type('BadEvent', (), {'is_set': is_set})()
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        (tmp_path / 'kept.txt').write_text('x')
        with time_taken(0, 200), pytest.raises(TypeError) as info:
            watcher.watch(100, 1000, 5000, event)
        name = type(is_set).__name__
        assert str(info.value) == f"'stop_event.is_set' must be callable: '{name}' object is not callable"
        assert signal.set_wakeup_fd(-1) == -1
        assert watcher.watch(50, 10, 2000, None) == {(1, str(tmp_path / 'kept.txt'))}


def test_stop_event_without_is_set_before_waiting(tmp_path, time_taken):
    # AttributeError up front, as RustNotify
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        with time_taken(0, 200), pytest.raises(AttributeError, match="'object' object has no attribute 'is_set'"):
            watcher.watch(100, 1000, 5000, object())


def test_stop_event_is_set_any_callable(tmp_path):
    # a callable object, not only a method, is an is_set
    class Calls:
        def __init__(self):
            self.n = 0

        def __call__(self):
            self.n += 1
            return self.n >= 3

    event = type('CallableEvent', (), {})()
    event.is_set = Calls()
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        assert watcher.watch(1600, 10, 10_000, event) == 'stop'
    assert event.is_set.n == 3


def test_watch_with_a_bad_stop_event_raises(tmp_path):
    # watchfiles.watch() passes the TypeError on before yielding anything
    event = type('BadEvent', (), {'is_set': 123})()
    with pytest.raises(TypeError, match="'stop_event.is_set' must be callable"):
        next(Watchfiles.watch(str(tmp_path), stop_event=event))


def test_changes_before_the_call_are_kept(tmp_path):
    # changes arriving between calls are kept for the next call
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        (tmp_path / 'early.txt').write_text('x')
        assert watcher.watch(50, 10, 2000, None) == {(1, str(tmp_path / 'early.txt'))}


def test_close_from_another_thread(tmp_path, hook_event):
    event = hook_event()
    outcome = {}
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        def waiter():
            start = time.monotonic()
            try:
                outcome['result'] = watcher.watch(1600, 50, 0, event)
            except BaseException as exc:
                outcome['error'] = exc
            outcome['elapsed'] = time.monotonic() - start

        thread = threading.Thread(target=waiter)
        thread.start()
        assert event.waiting.wait(10)
        closed_at = time.monotonic()
        watcher.close()
        thread.join(10)
        assert not thread.is_alive()
        assert time.monotonic() - closed_at < 1
    assert isinstance(outcome.get('error'), RuntimeError), outcome
    assert str(outcome['error']) == 'RustNotify watcher closed'


def test_gil_released_while_waiting(tmp_path):
    counter = [0]
    running = threading.Event()
    done = threading.Event()

    def spin():
        running.set()
        while not done.is_set():
            counter[0] += 1

    thread = threading.Thread(target=spin)
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        thread.start()
        running.wait(10)
        before = counter[0]
        assert watcher.watch(50, 50, 300, None) == 'timeout'
        after = counter[0]
        done.set()
        thread.join()
    # Holding the GIL for 300 ms would allow no more than a switch or two
    # (sys.getswitchinterval() is 5 ms) of progress.
    assert after - before > 10_000


CHILD_PRELUDE = CHILD_IMPORTS + textwrap.dedent('''
    import os, signal, sys, threading

    class Ready:
        """Says "waiting" on stdout at watch()'s first step."""
        calls = 0
        def is_set(self):
            Ready.calls += 1
            if Ready.calls == 1:
                print('waiting', flush=True)
            return False
''')


def _wait_until_polling(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f'/proc/{pid}/wchan') as f:
                if 'poll' in f.read():
                    return
        except OSError:
            return
        time.sleep(0.005)


def _run_child(tmp_path, body, send=signal.SIGINT):
    script = CHILD_PRELUDE + textwrap.dedent(body)
    child = subprocess.Popen([sys.executable, '-c', script, str(tmp_path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line == 'waiting\n', (line, child.stderr.read())
        # 'waiting' is printed from inside is_set(): a signal landing before
        # is_set() returned would raise there, as it would with RustNotify.
        # Let the child reach its wait first (a loaded machine may not have
        # run it on since the print).
        time.sleep(0.2)
        # A signal while is_set() still runs is is_set()'s exception, which
        # RustNotify propagates: send it once the wait is back in ppoll.
        _wait_until_polling(child.pid)
        sent_at = time.monotonic()
        child.send_signal(send)
        out, err = child.communicate(timeout=10)
        return child.returncode, out, err, time.monotonic() - sent_at
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_sigint_returns_signal(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, '''
        watcher = Watchfiles.Notify([sys.argv[1]], False, False, 0, True, False)
        print(watcher.watch(1600, 50, 0, Ready()), flush=True)
        # the wakeup fd is restored
        print(signal.set_wakeup_fd(-1), flush=True)
    ''')
    assert (code, out) == (0, 'signal\n-1\n'), err
    assert elapsed < 2


def test_sigint_through_watch_raises_keyboard_interrupt(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, '''
        try:
            for changes in Watchfiles.watch(sys.argv[1], stop_event=Ready()):
                print(changes)
        except KeyboardInterrupt:
            print('KeyboardInterrupt', flush=True)
    ''')
    assert (code, out) == (0, 'KeyboardInterrupt\n'), err
    assert elapsed < 2


def test_sigint_through_watch_without_raise_interrupt(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, '''
        for changes in Watchfiles.watch(sys.argv[1], stop_event=Ready(), raise_interrupt=False):
            print(changes)
        print('stopped', flush=True)
    ''')
    assert (code, out) == (0, 'stopped\n'), err
    assert 'KeyboardInterrupt caught, stopping watch' in err
    assert elapsed < 2


# Ctrl+C landing while is_set() runs (the race the two tests above could
# lose, one time in many): is_set() sleeps after saying "waiting", so the
# signal's handler raises KeyboardInterrupt inside is_set(), every time.
SLOW_READY = '''
    import time
    class SlowReady:
        def is_set(self):
            print('waiting', flush=True)
            time.sleep(5)
            return False
'''


def test_sigint_inside_is_set_returns_signal(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, SLOW_READY + '''
    watcher = Watchfiles.Notify([sys.argv[1]], False, False, 0, True, False)
    print(watcher.watch(1600, 50, 0, SlowReady()), flush=True)
    print(signal.set_wakeup_fd(-1), flush=True)
    ''')
    assert (code, out) == (0, 'signal\n-1\n'), err
    assert elapsed < 2


def test_sigint_inside_is_set_through_watch_without_raise_interrupt(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, SLOW_READY + '''
    for changes in Watchfiles.watch(sys.argv[1], stop_event=SlowReady(), raise_interrupt=False):
        print(changes)
    print('stopped', flush=True)
    ''')
    assert (code, out) == (0, 'stopped\n'), err
    assert 'KeyboardInterrupt caught, stopping watch' in err
    assert elapsed < 2


def test_sigint_inside_is_set_through_watch_raises_keyboard_interrupt(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, SLOW_READY + '''
    try:
        for changes in Watchfiles.watch(sys.argv[1], stop_event=SlowReady()):
            print(changes)
    except KeyboardInterrupt as exc:
        # raised by watch() for the 'signal', not the one from is_set()
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        print('KeyboardInterrupt', tb.tb_frame.f_code.co_name, flush=True)
    ''')
    assert (code, out) == (0, 'KeyboardInterrupt watch\n'), err
    assert elapsed < 2


def test_is_set_error_in_the_main_thread_is_raised(tmp_path):
    # with the wakeup pipe in place and no signal, is_set()'s own
    # KeyboardInterrupt is its error, raised as RustNotify raises it
    class Event:
        def is_set(self):
            raise KeyboardInterrupt('from is_set')

    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        with pytest.raises(KeyboardInterrupt, match='from is_set'):
            watcher.watch(1600, 10, 10_000, Event())
        assert signal.set_wakeup_fd(-1) == -1


def test_signal_handler_that_does_not_raise_keeps_watching(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, '''
        signal.signal(signal.SIGUSR1, lambda signum, frame: print('handled', flush=True))
        watcher = Watchfiles.Notify([sys.argv[1]], False, False, 0, True, False)
        print(watcher.watch(1600, 50, 1000, Ready()), flush=True)
    ''', send=signal.SIGUSR1)
    assert (code, out) == (0, 'handled\ntimeout\n'), err


def test_previous_wakeup_fd_gets_the_signal(tmp_path):
    code, out, err, elapsed = _run_child(tmp_path, '''
        r, w = os.pipe2(os.O_NONBLOCK)
        signal.set_wakeup_fd(w)
        watcher = Watchfiles.Notify([sys.argv[1]], False, False, 0, True, False)
        print(watcher.watch(1600, 50, 0, Ready()), flush=True)
        print(signal.set_wakeup_fd(-1) == w, os.read(r, 16) == bytes([signal.SIGINT]), flush=True)
    ''')
    assert (code, out) == (0, 'signal\nTrue True\n'), err


def test_watch_in_a_thread_ignores_signals(tmp_path):
    # only the main thread runs Python signal handlers: a worker thread's
    # watch() must not install a wakeup fd (it would raise ValueError)
    result = {}
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        thread = threading.Thread(target=lambda: result.setdefault('r', watcher.watch(50, 10, 100, None)))
        thread.start()
        thread.join(10)
    assert result == {'r': 'timeout'}
    assert signal.set_wakeup_fd(-1) == -1


def test_backend_list_is_safe_to_free(backends):
    # The array frees its own elements: with a (transfer full) annotation
    # PyGObject freed each BackendInfo a second time (seen as free(): invalid
    # pointer with MALLOC_PERTURB_).  Repeat so a double free shows.
    for _ in range(20):
        infos = Watchfiles.BackendInfo.list_all()
        names = [info.get_name() for info in infos]
        del infos
    assert names == sorted(backends)


@pytest.fixture
def recorder(monkeypatch):
    """The recorder backend of tests/modules: it watches nothing and its
    describe() tells the options it was given."""
    modules = os.environ.get('WF_TEST_MODULES')
    if modules is None:
        pytest.skip('not run by meson test')
    monkeypatch.setenv('WATCHFILES_BACKEND_DIR', modules + ':' + os.environ.get('WATCHFILES_BACKEND_DIR', ''))
    return 'recorder'


def test_watch_options_reach_the_backend(tmp_path, recorder):
    with Notify([str(tmp_path)], False, False, 50, True, False, backend=recorder) as watcher:
        assert watcher.props.watch_limit_policy == Watchfiles.WatchLimitPolicy.POLL
        assert watcher.props.poll_cpu_percent == 10
        assert 'fuse.*' in watcher.props.polled_filesystems
        assert 'watch_limit_policy: 0, poll_cpu_percent: 10, polled_filesystems: [nfs|' in watcher.describe()
    with Notify([str(tmp_path)], False, False, 50, True, False, backend=recorder, watch_limit_policy='error',
                poll_cpu_percent=30, polled_filesystems=('nfs4', 'fuse.*')) as watcher:
        assert watcher.props.watch_limit_policy == Watchfiles.WatchLimitPolicy.ERROR
        assert watcher.props.polled_filesystems == ['nfs4', 'fuse.*']
        assert 'watch_limit_policy: 1, poll_cpu_percent: 30, polled_filesystems: [nfs4|fuse.*]' in watcher.describe()
    with Notify([str(tmp_path)], False, False, 50, True, False, backend=recorder,
                watch_limit_policy=Watchfiles.WatchLimitPolicy.ERROR, polled_filesystems=[]) as watcher:
        assert 'watch_limit_policy: 1, poll_cpu_percent: 10, polled_filesystems: []' in watcher.describe()


def test_watch_options_refused(tmp_path):
    args = ([str(tmp_path)], False, False, 50, True, False)
    with pytest.raises(ValueError, match='from 1 to 100, not 0'):
        Notify(*args, poll_cpu_percent=0)
    with pytest.raises(ValueError, match="must be 'poll', 'error'"):
        Notify(*args, watch_limit_policy='sometimes')
    with pytest.raises(ValueError, match='is not a filesystem type'):
        Notify(*args, polled_filesystems=['nfs', 'fu*se'])
    with pytest.raises(TypeError, match='iterable of str'):
        Notify(*args, polled_filesystems='nfs')
    with pytest.raises(TypeError, match="'int' object is not a str"):
        Notify(*args, polled_filesystems=[4])
    with pytest.raises(OverflowError):
        Notify(*args, poll_cpu_percent=-1)


def test_status(tmp_path, recorder):
    (tmp_path / 'sub').mkdir()
    with Notify([str(tmp_path)], False, False, 0, True, False, backend='inotify') as watcher:
        status = watcher.status
        assert isinstance(status, Watchfiles.Status)
        assert status.backend_name == 'inotify'
        assert status.roots == [str(tmp_path)]
        assert (status.n_directories, status.n_polled_directories, status.polled) == (2, 0, [])
        assert (status.n_rescans, status.n_unwatched) == (0, 0)
        assert repr(status) == (f"Status(backend_name='inotify', roots=[{str(tmp_path)!r}], n_directories=2, "
                                "n_polled_directories=0, polled=[], n_rescans=0, n_unwatched=0)")
    # A snapshot: what a closed watcher does is nothing.
    assert status.n_directories == 2
    assert watcher.status.n_directories == 0
    assert watcher.status.roots == [str(tmp_path)]

    with Notify([str(tmp_path)], False, False, 0, True, False, backend=recorder) as watcher:
        status = watcher.status
        assert status.n_polled_directories == 2
        assert status.polled == [(str(tmp_path), Watchfiles.PollReason.FILESYSTEM),
                                 (str(tmp_path / 'deep'), Watchfiles.PollReason.WATCH_LIMIT)]
        assert (status.n_rescans, status.n_unwatched) == (7, 3)


def test_watch_while_started_is_a_runtime_error(tmp_path):
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        assert watcher.start(50, 10)
        with pytest.raises(RuntimeError, match='started') as info:
            watcher.watch(50, 10, 100, None)
        assert not isinstance(info.value, Watchfiles.WatchfilesRustInternalError)
        watcher.stop()
        assert watcher.watch(50, 10, 1, None) == 'timeout'
