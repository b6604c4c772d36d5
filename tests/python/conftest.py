# SPDX-License-Identifier: MIT
# conftest.py: fixtures of the Python tests (a fresh copy of watchfiles'
# test_files tree per test, timing and synchronisation helpers) and, when
# WATCHFILES_PYTEST_TAP is set (meson test does), a plugin that prints one
# TAP line per test case on stdout so meson counts each case; pytest's own
# report then goes to stderr.
import os
import sys
import threading
import time
from contextlib import contextmanager

import gi
import pytest

gi.require_version('Watchfiles', '1.0')

# The override under test comes first, even when another copy is installed
# in the interpreter's own gi/overrides (which pkgutil would search first).
# Child interpreters of the tests begin with the same lines.
CHILD_IMPORTS = """
import os, gi
gi.require_version('Watchfiles', '1.0')
if 'WATCHFILES_PYTHON_DIR' in os.environ:
    import gi.overrides
    gi.overrides.__path__.insert(0, os.path.join(os.environ['WATCHFILES_PYTHON_DIR'], 'gi', 'overrides'))
from gi.repository import Watchfiles
"""
if 'WATCHFILES_PYTHON_DIR' in os.environ:
    import gi.overrides
    gi.overrides.__path__.insert(0, os.path.join(os.environ['WATCHFILES_PYTHON_DIR'], 'gi', 'overrides'))


# --- TAP output for meson ---

class TapReporter:
    def __init__(self, out):
        self.out = out
        self.count = 0
        self.outcomes = {}

    def _emit(self, line):
        self.count += 1
        self.out.write(line.format(n=self.count) + '\n')
        self.out.flush()

    def pytest_collectreport(self, report):
        if report.failed:
            self._emit('not ok {n} - collect ' + (report.nodeid or 'session'))

    def pytest_runtest_logreport(self, report):
        # One line per test, once its teardown is done: a failure in any
        # phase fails it.
        state = self.outcomes.setdefault(report.nodeid, {'failed': False, 'skip': None, 'xfail': None})
        if report.failed:
            state['failed'] = True
        elif report.skipped:
            if hasattr(report, 'wasxfail'):
                state['xfail'] = report.wasxfail or 'expected failure'
            else:
                longrepr = report.longrepr
                reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
                state['skip'] = reason.replace('Skipped: ', '', 1)
        if report.when != 'teardown':
            return
        name = report.nodeid.replace('#', '_')
        if state['failed']:
            self._emit('not ok {n} - ' + name)
        elif state['xfail'] is not None:
            self._emit('not ok {n} - ' + name + ' # TODO ' + state['xfail'])
        elif state['skip'] is not None:
            self._emit('ok {n} - ' + name + ' # SKIP ' + state['skip'])
        else:
            self._emit('ok {n} - ' + name)

    def pytest_sessionfinish(self, session):
        self.out.write(f'1..{self.count}\n' if self.count else '1..0 # SKIP no tests\n')
        self.out.flush()


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.addinivalue_line('markers', 'needs_inotify: the test is about the inotify backend')
    if not os.environ.get('WATCHFILES_PYTEST_TAP'):
        return
    config.pluginmanager.register(TapReporter(sys.stdout), 'watchfiles-tap')
    reporter = config.pluginmanager.get_plugin('terminalreporter')
    if reporter is not None:
        from _pytest.config import create_terminal_writer
        reporter._tw = create_terminal_writer(config, sys.stderr)


# --- the backends built ---

# meson test says which (-Dinotify=disabled leaves inotify out); a watcher
# gets inotify by default where it is built.
BACKENDS = os.environ.get('WF_TEST_BACKENDS', 'inotify:poll').split(':')


def pytest_runtest_setup(item):
    if item.get_closest_marker('needs_inotify') is not None and 'inotify' not in BACKENDS:
        pytest.skip('the inotify backend is not built')


@pytest.fixture
def backends():
    return list(BACKENDS)


@pytest.fixture
def native_backend():
    return 'inotify' if 'inotify' in BACKENDS else 'poll'


# --- fixtures ---

# watchfiles' tests/test_files (spec 3.1), rebuilt for every test.
TEST_FILES = [
    'a.txt', 'a_non_recursive.txt', 'b.txt', 'c.txt', 'c_non_recursive.txt', 'README.md',
    'dir_a/a.txt', 'dir_a/a_non_recursive.txt', 'dir_a/b.txt', 'dir_a/c.txt', 'dir_a/c_non_recursive.txt',
    'dir_a/d.txt', 'dir_a/e.txt', 'dir_a/f.txt', 'dir_b/.gitkeep',
]


@pytest.fixture
def test_dir(tmp_path):
    root = tmp_path / 'test_files'
    for name in TEST_FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'contents of {name}\n')
    return root


@pytest.fixture
def tmp_work_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """The tests choose their own watchfiles environment."""
    for name in ('WATCHFILES_FORCE_POLLING', 'WATCHFILES_POLL_DELAY_MS', 'WATCHFILES_DEBUG',
                 'WATCHFILES_IGNORE_PERMISSION_DENIED', 'WATCHFILES_BACKEND'):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def env(monkeypatch):
    def set_env(name, value):
        monkeypatch.setenv(name, value)
    return set_env


@pytest.fixture
def time_taken():
    @contextmanager
    def check(min_ms, max_ms):
        start = time.monotonic()
        yield
        elapsed = (time.monotonic() - start) * 1000
        assert min_ms <= elapsed <= max_ms, f'took {elapsed:.1f} ms, expected {min_ms}-{max_ms} ms'
    return check


class HookEvent:
    """A stop_event whose is_set() runs on_first_check once: watch() calls
    is_set() once per step while it waits, so that first call says "the
    watch is running" without guessing with a sleep."""

    def __init__(self, on_first_check=None):
        self.waiting = threading.Event()
        self.stop = threading.Event()
        self._on_first_check = on_first_check
        self._lock = threading.Lock()
        self.calls = 0

    def is_set(self):
        with self._lock:
            self.calls += 1
            first = self.calls == 1  # one step into the wait, as RustNotify
        if first:
            if self._on_first_check is not None:
                self._on_first_check()
            self.waiting.set()
        return self.stop.is_set()

    def set(self):
        self.stop.set()


@pytest.fixture
def hook_event():
    return HookEvent


@pytest.fixture
def watchfiles_module():
    """The override module itself (for its private helpers and mocks)."""
    import gi.overrides.Watchfiles as module
    return module


@pytest.fixture
def mock_notify(watchfiles_module, monkeypatch):
    """Replaces Notify in the override, as upstream's mock_rust_notify."""
    def mock(changes, exit_code='stop'):
        class MockNotify:
            instances = []

            def __init__(self, *args, **kwargs):
                self.args = args
                self.kwargs = kwargs
                self.iter_changes = iter(changes)
                self.watch_count = 0
                MockNotify.instances.append(self)

            def watch(self, debounce_ms, step_ms, timeout_ms, stop_event):
                self.watch_count += 1
                try:
                    return next(self.iter_changes)
                except StopIteration:
                    return exit_code

            def __enter__(self):
                return self

            def __exit__(self, *args):
                pass

        monkeypatch.setattr(watchfiles_module, 'Notify', MockNotify)
        return MockNotify
    return mock

