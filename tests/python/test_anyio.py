# SPDX-License-Identifier: MIT
# test_anyio.py: awatch() runs under anyio as watchfiles' does (issue 13
# point 8): on anyio's asyncio and trio backends, with real file changes,
# anyio/asyncio/trio events as stop_event, prompt cancellation from a task
# group, and a capacity limiter of its own.
import contextlib
import threading
import time

import pytest
from gi.repository import Watchfiles

from conftest import HookEvent

anyio = pytest.importorskip('anyio')
Change = Watchfiles.Change

# Debian 12's anyio 3.6 still uses trio.MultiError, which its trio 0.22
# deprecates: not ours to fix.
pytestmark = pytest.mark.filterwarnings('ignore:trio.MultiError is deprecated')

BACKENDS = ['asyncio', pytest.param('trio', marks=pytest.mark.skipif(
    not __import__('importlib').util.find_spec('trio'), reason='no trio'))]


def writer_event(path):
    return HookEvent(on_first_check=lambda: path.write_text('hello'))


@pytest.mark.parametrize('backend', BACKENDS)
def test_awatch(tmp_path, backend):
    async def main():
        event = writer_event(tmp_path / 'foo.txt')
        # Closed before it is exhausted: trio wants that said.
        async with contextlib.aclosing(Watchfiles.awatch(tmp_path, debounce=50, step=10, watch_filter=None,
                                                         stop_event=event)) as changes_seen:
            async for changes in changes_seen:
                return changes

    assert anyio.run(main, backend=backend) == {(Change.added, str(tmp_path / 'foo.txt'))}


@pytest.mark.parametrize('backend', BACKENDS)
def test_anyio_event_stops(tmp_path, backend):
    async def main():
        stop_event = anyio.Event()
        seen = []

        async def stop_soon():
            await anyio.sleep(0.2)
            stop_event.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(stop_soon)
            async for changes in Watchfiles.awatch(tmp_path, stop_event=stop_event, step=10):
                seen.append(changes)
        return seen

    start = time.monotonic()
    assert anyio.run(main, backend=backend) == []
    assert time.monotonic() - start < 3


def test_trio_event_stops(tmp_path):
    trio = pytest.importorskip('trio')

    async def main():
        stop_event = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: _set_later(trio, stop_event))
            return [c async for c in Watchfiles.awatch(tmp_path, stop_event=stop_event, step=10)]

    assert trio.run(main) == []


async def _set_later(trio, event):
    await trio.sleep(0.2)
    event.set()


@pytest.mark.parametrize('backend', BACKENDS)
def test_cancel_is_prompt(tmp_path, backend):
    """A cancelled scope ends the worker's wait at once (watchfiles waits
    up to rust_timeout, #162), and the watcher is closed after it left."""
    made = []

    async def main():
        waiting = anyio.Event()
        hook = HookEvent()
        hook.is_set = _first_call_sets(hook.is_set, lambda: made.append(anyio.from_thread.run_sync(waiting.set)))
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                async def consume():
                    async for _ in Watchfiles.awatch(tmp_path, stop_event=hook, rust_timeout=20_000, step=50):
                        pass
                tg.start_soon(consume)
                with anyio.fail_after(10):
                    await waiting.wait()
                start = time.monotonic()
                scope.cancel()
        return time.monotonic() - start

    assert anyio.run(main, backend=backend) < 0.5


def _first_call_sets(is_set, on_first):
    called = []

    def wrapped():
        if not called:
            called.append(1)
            on_first()
        return is_set()
    return wrapped


@pytest.mark.parametrize('backend', BACKENDS)
def test_many_idle_awatch_do_not_starve_anyio_threads(tmp_path, backend):
    """45 idle watchers (anyio's default limiter has 40 tokens) and
    to_thread.run_sync still runs at once."""
    async def main():
        ready = 0
        lock = threading.Lock()
        all_waiting = anyio.Event()

        def on_first():
            nonlocal ready
            with lock:
                ready += 1
                if ready == 45:
                    anyio.from_thread.run_sync(all_waiting.set)

        async with anyio.create_task_group() as tg:
            for i in range(45):
                d = tmp_path / str(i)
                d.mkdir()
                hook = HookEvent()
                hook.is_set = _first_call_sets(hook.is_set, on_first)

                async def consume(d=d, hook=hook):
                    async for _ in Watchfiles.awatch(d, stop_event=hook, step=50):
                        pass
                tg.start_soon(consume)
            with anyio.fail_after(20):
                await all_waiting.wait()
            with anyio.fail_after(2):
                result = await anyio.to_thread.run_sync(lambda: 42)
            tg.cancel_scope.cancel()
        return result

    assert anyio.run(main, backend=backend) == 42


def test_without_anyio_the_error_says_so(watchfiles_module, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_anyio(name, *args, **kwargs):
        if name.split('.')[0] == 'anyio':
            raise ImportError("No module named 'anyio'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_anyio)

    step = Watchfiles.awatch('.').__anext__()
    with pytest.raises(ImportError, match=r'need anyio \(Debian: python3-anyio\)'):
        step.send(None)
