# SPDX-License-Identifier: MIT
# test_watch.py: watchfiles' watch() and awatch() on Watchfiles (spec 2.2-2.4,
# 3.3): real files, stop events, awatch cancellation, the C-side ignore
# rules, environment-driven defaults, and the mocked cases of upstream's
# test_watch.py and test_force_polling.py.
import asyncio
import logging
import threading
import time

import pytest
from gi.repository import Watchfiles

from conftest import HookEvent

Change = Watchfiles.Change


def writer_event(path, text='hello'):
    """A stop event that writes path once the watch is waiting."""
    return HookEvent(on_first_check=lambda: path.write_text(text))


def test_watch(tmp_path):
    event = writer_event(tmp_path / 'foo.txt')
    for changes in Watchfiles.watch(tmp_path, debounce=50, step=10, watch_filter=None, stop_event=event):
        break
    assert changes == {(Change.added, str(tmp_path / 'foo.txt'))}
    (change, path), = changes
    assert change is Change.added and change.raw_str() == 'added' and change.name == 'added'


def test_wait_stop_event(tmp_path):
    event = writer_event(tmp_path / 'foo.txt')
    stop_event = threading.Event()
    seen = []
    for changes in Watchfiles.watch(tmp_path, debounce=50, step=10, watch_filter=None,
                                    stop_event=_Both(event, stop_event)):
        seen.append(changes)
        stop_event.set()
    assert seen == [{(Change.added, str(tmp_path / 'foo.txt'))}]


class _Both:
    def __init__(self, hook, event):
        self.hook = hook
        self.event = event

    def is_set(self):
        return self.hook.is_set() or self.event.is_set()


def test_watch_default_filter_end_to_end(tmp_path):
    (tmp_path / 'node_modules').mkdir()
    (tmp_path / 'backup~').mkdir()

    def write():
        (tmp_path / 'node_modules' / 'x.js').write_text('x')
        (tmp_path / 'y.pyc').write_text('x')
        (tmp_path / 'backup~' / 'kept.txt').write_text('x')  # watchfiles looks at the last name only
        (tmp_path / 'z.py').write_text('x')

    event = HookEvent(on_first_check=write)
    for changes in Watchfiles.watch(tmp_path, debounce=100, step=50, stop_event=event):
        break
    assert changes == {(Change.added, str(tmp_path / 'z.py')), (Change.added, str(tmp_path / 'backup~' / 'kept.txt'))}


def test_default_filter_lists_reach_c(watchfiles_module, tmp_path):
    rules = watchfiles_module._ignore_rules_for(Watchfiles.DefaultFilter(ignore_paths=[str(tmp_path / 'skip')]),
                                                [bytes(tmp_path)])
    root = str(tmp_path)
    assert rules.matches(root, str(tmp_path / 'a' / 'node_modules' / 'b.js'))
    assert rules.matches(root, str(tmp_path / 'skip' / 'x'))
    assert rules.matches(root, str(tmp_path / 'skipper'))  # a plain prefix, as watchfiles
    assert not rules.matches(root, str(tmp_path / 'x.pyc'))  # entity patterns stay in Python
    assert not rules.matches(root, str(tmp_path / 'backup~' / 'x.txt'))
    assert watchfiles_module._ignore_rules_for(Watchfiles.PythonFilter(), [bytes(tmp_path)]) is not None
    assert watchfiles_module._ignore_rules_for(lambda c, p: True, [bytes(tmp_path)]) is None
    assert watchfiles_module._ignore_rules_for(None, [bytes(tmp_path)]) is None

    class Custom(Watchfiles.DefaultFilter):
        def __call__(self, change, path):
            return True  # may keep what DefaultFilter drops: nothing goes to C

    assert watchfiles_module._ignore_rules_for(Custom(), [bytes(tmp_path)]) is None


def test_watch_ignored_dirs_cost_no_watch(watchfiles_module, tmp_path, monkeypatch):
    for name in ('node_modules', '.git', 'src'):
        (tmp_path / name / 'sub').mkdir(parents=True)
    made = []
    real = watchfiles_module.Notify

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(watchfiles_module, 'Notify', spy)
    for _ in Watchfiles.watch(tmp_path, stop_event=threading.Event(), rust_timeout=1, yield_on_timeout=True):
        assert made[0].get_watched_directories() == 3  # root, src, src/sub
        break


def test_watch_stop_event_set_stops(tmp_path):
    stop_event = threading.Event()
    stop_event.set()
    assert list(Watchfiles.watch(tmp_path, stop_event=stop_event)) == []


def test_watch_yield_on_timeout_real(tmp_path):
    start = time.monotonic()
    for changes in Watchfiles.watch(tmp_path, rust_timeout=50, yield_on_timeout=True):
        break
    assert changes == set()
    assert time.monotonic() - start < 2


def test_awatch(tmp_path):
    async def main():
        event = writer_event(tmp_path / 'foo.txt')
        async for changes in Watchfiles.awatch(tmp_path, debounce=50, step=10, watch_filter=None, stop_event=event):
            return changes

    assert asyncio.run(main()) == {(Change.added, str(tmp_path / 'foo.txt'))}


def test_await_stop_event(tmp_path):
    async def main():
        stop_event = asyncio.Event()
        hook = HookEvent(on_first_check=lambda: loop.call_soon_threadsafe(stop_event.set))
        loop = asyncio.get_running_loop()
        seen = []
        async for changes in Watchfiles.awatch(tmp_path, stop_event=_Both(hook, stop_event)):
            seen.append(changes)
        return seen

    assert asyncio.run(main()) == []


@pytest.mark.parametrize('with_stop_event', [False, True])
def test_awatch_cancel_is_prompt(tmp_path, with_stop_event):
    """Cancelling awatch ends the worker's wait at once, not after
    rust_timeout as watchfiles does (#162)."""
    async def main():
        loop = asyncio.get_running_loop()
        waiting = asyncio.Event()
        hook = HookEvent(on_first_check=lambda: loop.call_soon_threadsafe(waiting.set))

        async def consume():
            stop = hook if with_stop_event else None
            async for _ in Watchfiles.awatch(tmp_path, stop_event=stop, rust_timeout=20_000, step=50):
                pass

        task = asyncio.create_task(consume())
        if with_stop_event:
            await asyncio.wait_for(waiting.wait(), 10)
        else:
            # nothing tells when the worker waits: give it ample time to start
            await asyncio.sleep(0.3)
        start = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - start

    start = time.monotonic()
    elapsed = asyncio.run(main())
    assert elapsed < 0.5
    # asyncio.run() waited for the executor: the worker thread ended too
    assert time.monotonic() - start < 5


def test_awatch_closes_watcher_when_generator_closed(tmp_path, watchfiles_module, monkeypatch):
    made = []
    real = watchfiles_module.Notify

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(watchfiles_module, 'Notify', spy)

    async def main():
        agen = Watchfiles.awatch(tmp_path, rust_timeout=10, yield_on_timeout=True)
        assert await agen.__anext__() == set()
        await agen.aclose()

    asyncio.run(main())
    assert made[0].is_closed()


# --- mocked Notify (upstream test_watch.py) ---

def test_watch_raise_interrupt(mock_notify):
    mock_notify([{(1, 'foo.txt')}], exit_code='signal')
    w = Watchfiles.watch('.', watch_filter=None)
    assert next(w) == {(Change.added, 'foo.txt')}
    with pytest.raises(KeyboardInterrupt):
        next(w)


def test_watch_dont_raise_interrupt(mock_notify, caplog):
    caplog.set_level('WARNING', 'watchfiles')
    mock_notify([{(1, 'foo.txt')}], exit_code='signal')
    w = Watchfiles.watch('.', watch_filter=None, raise_interrupt=False)
    assert next(w) == {(Change.added, 'foo.txt')}
    with pytest.raises(StopIteration):
        next(w)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ('watchfiles.main', 'WARNING', 'KeyboardInterrupt caught, stopping watch')]


def test_watch_no_yield(mock_notify, caplog):
    mock = mock_notify([{(1, 'spam.pyc')}, {(1, 'spam.py'), (2, 'ham.txt')}])
    caplog.set_level('INFO', 'watchfiles')
    assert list(Watchfiles.watch('.')) == [{(Change.added, 'spam.py'), (Change.modified, 'ham.txt')}]
    assert mock.instances[0].watch_count == 3
    assert [r.getMessage() for r in caplog.records] == ['2 changes detected']


def test_watch_no_yield_debug_log(mock_notify, caplog):
    mock_notify([{(1, 'spam.pyc')}, {(1, 'spam.py')}])
    caplog.set_level('DEBUG', 'watchfiles')
    assert list(Watchfiles.watch('.')) == [{(Change.added, 'spam.py')}]
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "all changes filtered out, raw_changes={(1, 'spam.pyc')}"
    assert messages[1].startswith('1 change detected: {(')


def test_watch_timeout(mock_notify, caplog):
    mock = mock_notify(['timeout', {(1, 'spam.py')}])
    caplog.set_level('DEBUG', 'watchfiles')
    assert list(Watchfiles.watch('.')) == [{(Change.added, 'spam.py')}]
    assert mock.instances[0].watch_count == 3
    assert caplog.records[0].getMessage() == 'rust notify timeout, continuing'


def test_watch_yield_on_timeout(mock_notify):
    mock_notify(['timeout', {(1, 'spam.py')}])
    assert list(Watchfiles.watch('.', yield_on_timeout=True)) == [set(), {(Change.added, 'spam.py')}]


def test_awatch_unexpected_signal(mock_notify):
    mock = mock_notify([], exit_code='signal')

    async def main():
        async for _ in Watchfiles.awatch('.'):
            pass

    with pytest.raises(RuntimeError, match='watch thread unexpectedly received a signal'):
        asyncio.run(main())
    assert mock.instances[0].watch_count == 1


def test_awatch_interrupt_warning(mock_notify):
    mock_notify([{(1, 'foo.txt')}])

    async def main():
        with pytest.warns(DeprecationWarning, match='raise_interrupt is deprecated'):
            return [c async for c in Watchfiles.awatch('.', raise_interrupt=False)]

    assert asyncio.run(main()) == [{(Change.added, 'foo.txt')}]


def test_awatch_yield_on_timeout(mock_notify):
    mock_notify(['timeout', {(1, 'spam.py')}])

    async def main():
        return [c async for c in Watchfiles.awatch('.', yield_on_timeout=True)]

    assert asyncio.run(main()) == [set(), {(Change.added, 'spam.py')}]


def test_awatch_passes_timeout(mock_notify, watchfiles_module):
    seen = []
    mock = mock_notify([])

    def watch(self, debounce_ms, step_ms, timeout_ms, stop_event):
        seen.append((debounce_ms, step_ms, timeout_ms))
        return 'stop'

    mock.watch = watch

    async def main():
        return [c async for c in Watchfiles.awatch('.', debounce=7, step=3)]

    asyncio.run(main())
    assert seen == [(7, 3, 5_000)]


def test_calc_async_timeout(watchfiles_module, monkeypatch):
    assert watchfiles_module._calc_async_timeout(None) == 5_000
    assert watchfiles_module._calc_async_timeout(123) == 123
    monkeypatch.setattr(watchfiles_module.sys, 'platform', 'win32')
    assert watchfiles_module._calc_async_timeout(None) == 1_000


# --- environment-driven defaults (upstream test_force_polling.py) ---

def _args(mock_notify, **kwargs):
    mock = mock_notify([])
    list(Watchfiles.watch('.', **kwargs))
    return mock.instances[0].args


def test_watch_defaults(mock_notify):
    assert _args(mock_notify) == (['.'], False, False, 300, True, False)


def test_watch_force_polling_env(mock_notify, env):
    env('WATCHFILES_FORCE_POLLING', '1')
    assert _args(mock_notify) == (['.'], False, True, 300, True, False)


def test_watch_poll_delay_env(mock_notify, env):
    env('WATCHFILES_FORCE_POLLING', '1')
    env('WATCHFILES_POLL_DELAY_MS', '1000')
    assert _args(mock_notify) == (['.'], False, True, 1000, True, False)


def test_watch_poll_delay_env_not_decimal(mock_notify, env):
    env('WATCHFILES_POLL_DELAY_MS', '1e3')
    assert _args(mock_notify, poll_delay_ms=42) == (['.'], False, False, 42, True, False)


def test_watch_poll_delay_env_without_polling(mock_notify, env):
    env('WATCHFILES_POLL_DELAY_MS', '77')
    assert _args(mock_notify, poll_delay_ms=42) == (['.'], False, False, 77, True, False)


@pytest.mark.parametrize('value,expected', [('', False), ('0', True), ('1', True), ('yes', True)])
def test_watch_debug_env(mock_notify, env, value, expected):
    env('WATCHFILES_DEBUG', value)
    assert _args(mock_notify)[1] is expected
    assert _args(mock_notify, debug=False)[1] is False


def test_watch_passes_non_default_args(mock_notify):
    assert _args(mock_notify, debug=True, force_polling=True, poll_delay_ms=5, recursive=False,
                 ignore_permission_denied=True) == (['.'], True, True, 5, False, True)


@pytest.mark.parametrize('env_var,arg,expected', [
    (None, None, False),
    (None, True, True),
    (None, False, False),
    ('', None, False),
    ('1', None, True),
    ('true', None, True),
    ('TRUE', False, False),
    ('false', None, False),
    ('Disable', None, False),
    ('disabled', True, True),
])
def test_default_force_polling(watchfiles_module, env, env_var, arg, expected, monkeypatch):
    uname_called = []

    def uname():
        uname_called.append(1)
        return type('U', (), {'system': 'Linux', 'release': '6.1.0-debian'})()

    monkeypatch.setattr(watchfiles_module.platform, 'uname', uname)
    if env_var is not None:
        env('WATCHFILES_FORCE_POLLING', env_var)
    assert watchfiles_module._default_force_polling(arg) is expected
    assert bool(uname_called) == (arg is None and not env_var)


@pytest.mark.parametrize('system,release,expected', [
    ('Linux', '5.15.90.1-microsoft-standard-WSL2', True),
    ('Linux', 'Microsoft-Standard', True),
    ('Linux', '6.1.0', False),
    ('Windows', 'microsoft-standard', False),
])
def test_auto_force_polling(watchfiles_module, monkeypatch, system, release, expected):
    monkeypatch.setattr(watchfiles_module.platform, 'uname',
                        lambda: type('U', (), {'system': system, 'release': release})())
    assert watchfiles_module._default_force_polling(None) is expected


def test_logger_name():
    import gi.overrides.Watchfiles as module
    assert module.logger is logging.getLogger('watchfiles.main')
