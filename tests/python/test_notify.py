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
    assert isinstance(Watchfiles.__version__, str)
    if 'WF_VERSION' in os.environ:
        assert Watchfiles.__version__ == os.environ['WF_VERSION']


def test_is_a_gobject(tmp_path):
    with Notify([str(tmp_path)], False, False, 0, True, False) as watcher:
        assert isinstance(watcher, GObject.Object)
        assert isinstance(watcher, Gio.Initable)
        assert GObject.type_name(watcher) == 'WfNotify'
        assert watcher.get_backend_name() == 'inotify'
        assert watcher.props.recursive is True
        assert watcher.props.paths == [str(tmp_path)]
        assert watcher.describe().startswith('InotifyBackend {')
        assert watcher.get_watched_directories() == 1


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


CHILD_PRELUDE = textwrap.dedent('''
    import os, signal, sys, threading
    import gi
    gi.require_version('Watchfiles', '1.0')
    from gi.repository import Watchfiles

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


def test_backend_list_is_safe_to_free():
    # The array frees its own elements: with a (transfer full) annotation
    # PyGObject freed each BackendInfo a second time (seen as free(): invalid
    # pointer with MALLOC_PERTURB_).  Repeat so a double free shows.
    for _ in range(20):
        infos = Watchfiles.BackendInfo.list_all()
        names = [info.get_name() for info in infos]
        del infos
    assert names == ['inotify', 'poll']
