# SPDX-License-Identifier: MIT
# test_run_process.py: Watchfiles.run_process() and arun_process() as
# watchfiles' (issue 13 point 8): a command or a function as target, args
# and kwargs, WATCHFILES_CHANGES, the callback, SIGINT then SIGKILL, the
# whole process group stopped so no grandchild survives, grace_period,
# watch_filter, the number of reloads.  Each run is a real child interpreter
# that the test drives with real file changes and ends with a real SIGINT
# (Ctrl+C), sent once its main thread is back waiting in watch()'s ppoll.
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from gi.repository import Watchfiles

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def _read_log(log):
    try:
        with open(log) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def _wait_for(predicate, what, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f'timed out waiting for {what}')


def _waiting_in_poll(pid):
    """The main thread of pid sleeps in poll (the wait of watch())."""
    try:
        with open(f'/proc/{pid}/wchan') as f:
            return 'poll' in f.read()
    except OSError:
        return False


def _alive(pid):
    """Running, not a zombie left for an init that does not reap."""
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b')') + 2:].split()[0] != b'Z'


class Runner:
    """A child interpreter calling run_process() (or arun_process() under
    anyio) with the given keyword arguments source; it prints the return
    value and the callback's batches as JSON."""

    def __init__(self, tmp_path, call, backend=None):
        self.watched = tmp_path / 'watched'
        self.watched.mkdir()
        self.log = str(tmp_path / 'log')
        script = textwrap.dedent('''
            import json, sys
            sys.path.insert(0, sys.argv[3])
            import gi
            gi.require_version('Watchfiles', '1.0')
            from gi.repository import Watchfiles
            watched, log = sys.argv[1], sys.argv[2]
            batches = []
            def callback(changes):
                batches.append(sorted([c.raw_str(), p] for c, p in changes))
            async def acallback(changes):
                callback(changes)
        ''') + textwrap.dedent(call)
        args = [sys.executable, '-c', script, str(self.watched), self.log, TESTS_DIR]
        self.child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def entries(self, count):
        return _wait_for(lambda: len(_read_log(self.log)) >= count and _read_log(self.log),
                         f'{count} start(s) of the target; stderr so far: {self._stderr_if_dead()}')

    def wait_watching(self):
        """run_process() starts the target before its watch() exists, as
        watchfiles' does: a change made in between is not seen.  Changes
        are made once it waits for them."""
        _wait_for(lambda: _waiting_in_poll(self.child.pid), 'run_process to wait for changes')

    def _stderr_if_dead(self):
        return self.child.stderr.read() if self.child.poll() is not None else '(running)'

    def interrupt(self):
        self.wait_watching()
        self.child.send_signal(signal.SIGINT)
        out, err = self.child.communicate(timeout=30)
        return self.child.returncode, out, err

    def close(self):
        if self.child.poll() is None:
            self.child.kill()
            self.child.communicate()


@pytest.fixture
def runner(tmp_path):
    made = []

    def make(call):
        made.append(Runner(tmp_path, call))
        return made[-1]
    yield make
    for r in made:
        r.close()


def test_command_target_restarts_with_changes(runner):
    r = runner('''
        n = Watchfiles.run_process(watched, target=f"sh -c 'echo {{\\\\\\"pid\\\\\\": $$, \\\\\\"changes\\\\\\": $WATCHFILES_CHANGES}} >> {log}; exec sleep 60'",
                                   callback=callback, debounce=50, step=10, watch_filter=None)
        print(json.dumps([n, batches]))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    assert first['changes'] == []
    (r.watched / 'new').write_text('x')
    first, second = r.entries(2)
    assert second['changes'] == [['added', str(r.watched / 'new')]]
    assert not _alive(first['pid'])  # the old command was stopped
    code, out, err = r.interrupt()
    assert code == 0, err
    assert json.loads(out) == [1, [[['added', str(r.watched / 'new')]]]]
    assert not _alive(second['pid'])  # and the last one at the end


def test_function_target_args_kwargs_and_group(runner):
    r = runner('''
        import run_targets
        n = Watchfiles.run_process(watched, target=run_targets.record_and_wait, args=(log, 1, 'two'),
                                   kwargs={'three': 3}, debounce=50, step=10, watch_filter=None)
        print(json.dumps([n, batches]))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    assert first['args'] == [1, 'two'] and first['kwargs'] == {'three': 3}
    assert first['changes'] == []
    assert first['pgid'] == first['pid'] != os.getpgid(0)  # a process group of its own
    (r.watched / 'a.py').write_text('x')
    first, second = r.entries(2)
    assert second['changes'] == [['added', str(r.watched / 'a.py')]]
    assert not _alive(first['pid'])
    code, out, err = r.interrupt()
    assert code == 0, err
    assert json.loads(out) == [1, []]


def test_dotted_path_target(runner):
    r = runner('''
        n = Watchfiles.run_process(watched, target='run_targets.record_and_wait', args=(log,),
                                   debounce=50, step=10)
        print(json.dumps(n))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    assert first['args'] == []
    code, out, err = r.interrupt()
    assert (code, json.loads(out)) == (0, 0), err


def test_sigint_then_sigkill_to_the_whole_group(runner):
    """The target and its grandchild ignore SIGINT: after sigint_timeout
    both are SIGKILLed, and no grandchild survives a restart or the end."""
    r = runner('''
        import run_targets
        n = Watchfiles.run_process(watched, target=run_targets.grandchild_ignoring_sigint, args=(log,),
                                   sigint_timeout=1, debounce=50, step=10, watch_filter=None)
        print(json.dumps(n))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    assert _alive(first['grandchild'])
    (r.watched / 'x').write_text('x')
    start = time.monotonic()
    first, second = r.entries(2)
    restart = time.monotonic() - start
    assert 0.9 < restart < 8, restart  # SIGINT waited for sigint_timeout, then SIGKILL
    assert not _alive(first['pid']) and not _alive(first['grandchild'])
    assert _alive(second['grandchild'])
    code, out, err = r.interrupt()
    assert (code, json.loads(out)) == (0, 1), err
    assert 'process has not terminated, sending SIGKILL' in err
    assert not _alive(second['pid']) and not _alive(second['grandchild'])


def test_grandchild_of_a_command_is_stopped(runner, tmp_path):
    """sh -c 'cmd' whose cmd outlives the shell's SIGINT handling: the
    group signal reaches the grandchild (issue 13 point 1's orphan)."""
    r = runner('''
        n = Watchfiles.run_process(watched, target=f"sh -c 'sleep 60 & echo {{\\\\\\"pid\\\\\\": $!, \\\\\\"changes\\\\\\": []}} >> {log}; wait'",
                                   debounce=50, step=10, watch_filter=None)
        print(json.dumps(n))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    assert _alive(first['pid'])
    (r.watched / 'x').write_text('x')
    first, second = r.entries(2)
    _wait_for(lambda: not _alive(first['pid']), 'the first sleep to end')
    code, out, err = r.interrupt()
    assert (code, json.loads(out)) == (0, 1), err
    _wait_for(lambda: not _alive(second['pid']), 'the second sleep to end', timeout=5)


def test_target_that_left_its_group_still_gets_sigint(runner):
    r = runner('''
        import run_targets
        n = Watchfiles.run_process(watched, target=run_targets.leave_group, args=(log,), sigint_timeout=5,
                                   debounce=50, step=10, watch_filter=None)
        print(json.dumps(n))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    assert first['pgid'] != first['pid']  # no longer the leader of a group
    (r.watched / 'x').write_text('x')
    start = time.monotonic()
    r.entries(2)
    assert time.monotonic() - start < 4  # SIGINT reached it: no wait for SIGKILL
    assert not _alive(first['pid'])
    code, out, err = r.interrupt()
    assert (code, json.loads(out)) == (0, 1), err


def test_watch_filter_and_grace_period(runner):
    r = runner('''
        n = Watchfiles.run_process(watched, target='run_targets.record_and_wait', args=(log,), grace_period=0.5,
                                   watch_filter=lambda change, path: path.endswith('.py'), callback=callback,
                                   debounce=50, step=10)
        print(json.dumps([n, batches]))
    ''')
    r.entries(1)
    (r.watched / 'during-grace.py').write_text('x')  # before the watch exists: not seen
    _wait_for(lambda: _waiting_in_poll(r.child.pid), 'the watch to begin')
    (r.watched / 'ignored.txt').write_text('x')
    (r.watched / 'kept.py').write_text('x')
    _, second = r.entries(2)
    assert second['changes'] == [['added', str(r.watched / 'kept.py')]]
    code, out, err = r.interrupt()
    assert json.loads(out) == [1, [[['added', str(r.watched / 'kept.py')]]]], err


@pytest.mark.parametrize('backend', ['asyncio', 'trio'])
def test_arun_process(runner, backend):
    pytest.importorskip('anyio')
    if backend == 'trio':
        pytest.importorskip('trio')
    r = runner(f'''
        import anyio
        async def main():
            return await Watchfiles.arun_process(watched, target='run_targets.record_and_wait', args=(log,),
                                                 callback=acallback, debounce=50, step=10, watch_filter=None)
        try:
            anyio.run(main, backend={backend!r})
        except KeyboardInterrupt:
            print(json.dumps(batches))
    ''')
    first, = r.entries(1)
    r.wait_watching()
    (r.watched / 'x').write_text('x')
    first, second = r.entries(2)
    assert second['changes'] == [['added', str(r.watched / 'x')]]
    assert not _alive(first['pid'])
    code, out, err = r.interrupt()
    assert json.loads(out) == [[['added', str(r.watched / 'x')]]], err
    # the target was stopped although KeyboardInterrupt ended the task
    assert not _alive(second['pid'])


def test_arun_process_returns_reloads_on_stop(tmp_path, monkeypatch, watchfiles_module):
    anyio = pytest.importorskip('anyio')
    log = str(tmp_path / 'log')

    async def started(count):
        # each target records itself before it is stopped
        while len(_read_log(log)) < count:
            await anyio.sleep(0.02)

    async def fake_awatch(*paths, **kwargs):
        await started(1)
        yield {(Watchfiles.Change.added, 'a')}
        await started(2)
        yield {(Watchfiles.Change.modified, 'b')}
        await started(3)

    monkeypatch.setattr(watchfiles_module, 'awatch', fake_awatch)
    monkeypatch.syspath_prepend(TESTS_DIR)

    async def main():
        return await Watchfiles.arun_process(str(tmp_path), target='run_targets.record_and_wait', args=(log,),
                                             sigint_timeout=1)

    assert anyio.run(main) == 2
    entries = _read_log(log)
    assert [e['changes'] for e in entries] == [[], [['added', 'a']], [['modified', 'b']]]
    assert not any(_alive(e['pid']) for e in entries)


# --- without processes: as watchfiles' test_run_process.py ---

@pytest.mark.parametrize('target,expected', [
    (lambda: None, 'function'),
    ('os.getcwd', 'function'),
    ('foo.bar.baz', 'function'),
    ('foo.py', 'command'),
    ('foo.sh', 'command'),
    ('python foo.py', 'command'),
    ('ls', 'command'),
])
def test_detect_target_type(target, expected):
    assert Watchfiles.detect_target_type(target) == expected


def test_import_string():
    assert Watchfiles.import_string('os.path.join') is os.path.join
    with pytest.raises(ImportError, match='"nodots" doesn\'t look like a module path'):
        Watchfiles.import_string('nodots')
    with pytest.raises(ImportError, match='Module "os" does not define a "nope" attribute'):
        Watchfiles.import_string('os.nope')


def test_run_process_passes_watch_arguments(mock_notify, tmp_path, monkeypatch):
    batches = [{(1, str(tmp_path / 'a.py'))}, {(2, str(tmp_path / 'b.py'))}]
    mock = mock_notify([])
    monkeypatch.setattr(signal, 'signal', lambda *a: None)  # no SIGTERM handler left in pytest
    monkeypatch.delenv('WATCHFILES_CHANGES', raising=False)
    log = str(tmp_path / 'log')

    def watch(self, debounce_ms, step_ms, timeout_ms, stop_event):
        # each target records itself before it is stopped
        self.watch_count += 1
        _wait_for(lambda: len(_read_log(log)) >= self.watch_count, 'the target to start')
        return batches[self.watch_count - 1] if self.watch_count <= len(batches) else 'stop'

    mock.watch = watch
    monkeypatch.syspath_prepend(TESTS_DIR)
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()  # its pipe lives as long as this process
    pipes = _pipes()
    reloads = Watchfiles.run_process(tmp_path, target='run_targets.record_and_wait', args=(log,), debounce=7,
                                     step=3, debug=True, recursive=False, sigint_timeout=1)
    assert reloads == 2
    assert mock.instances[0].args == ([str(tmp_path)], True, False, 300, False, False)
    assert [e['changes'] for e in _read_log(log)] == [[], [['added', str(tmp_path / 'a.py')]],
                                                        [['modified', str(tmp_path / 'b.py')]]]
    assert 'WATCHFILES_CHANGES' not in os.environ
    assert _pipes() == pipes  # each spawned Process was closed


def _pipes():
    fds = set()
    for fd in os.listdir('/proc/self/fd'):
        try:
            target = os.readlink(f'/proc/self/fd/{fd}')
        except OSError:
            continue
        if target.startswith('pipe:'):
            fds.add((int(fd), target))
    return fds


def test_stopped_process_releases_its_pipe(watchfiles_module, tmp_path, monkeypatch):
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()  # its pipe lives as long as this process
    monkeypatch.syspath_prepend(TESTS_DIR)
    monkeypatch.delenv('WATCHFILES_CHANGES', raising=False)
    log = str(tmp_path / 'log')
    pipes = _pipes()
    process = watchfiles_module._start_process('run_targets.record_and_wait', 'function', (log,), None)
    _wait_for(lambda: _read_log(log), 'the target to start')
    assert _pipes() != pipes  # the Process's sentinel
    process.stop(sigint_timeout=1)
    assert _pipes() == pipes  # closed by stop(), not left to the garbage collector
    assert process.exitcode is not None and not process.is_alive()
