# gi/overrides/Watchfiles.py: the PyGObject override of the Watchfiles
# namespace.  It makes Watchfiles.Notify a drop-in for watchfiles'
# RustNotify (six positional arguments, a set of (int, str) or 'signal',
# 'stop', 'timeout' from watch(), RustNotify's exceptions and repr) and adds
# watchfiles' Python API on top of it: Change, the filters, watch() and
# awatch().  DESIGN.md section 7; watchfiles-spec.md sections 1.2-1.5, 2.
#
# Paths cross into C as bytes (os.fsencode) and come back as str decoded
# with the file system encoding and surrogateescape, so any name round-trips.

import asyncio
import collections.abc
import logging
import operator
import os
import platform
import re
import signal
import sys
import threading
import time
import warnings

from gi.repository import Gio, GLib

from ..module import get_introspection_module
from ..overrides import override

Watchfiles = get_introspection_module('Watchfiles')

__all__ = []

# The library's version (meson.build's project version; a test compares).
__version__ = '1.0.0'
__all__.append('__version__')

logger = logging.getLogger('watchfiles.main')

_IO_ERROR_DOMAIN = GLib.quark_to_string(Gio.io_error_quark())
_WF_ERROR_DOMAIN = GLib.quark_to_string(Watchfiles.error_quark())
_U64_MAX = 2 ** 64 - 1
_GUINT_MAX = 2 ** 32 - 1


class WatchfilesRustInternalError(RuntimeError):
    """Internal or filesystem error."""


__all__.append('WatchfilesRustInternalError')


# --- argument checks, with the exceptions PyO3 raises for RustNotify ---

def _u64(value):
    """A u64 argument: any int-like >= 0; C takes a guint, so clamp."""
    value = operator.index(value)
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if value > _U64_MAX:
        raise OverflowError('int too big to convert')
    return min(value, _GUINT_MAX)


def _bool(value):
    if isinstance(value, bool):
        return value
    cls = type(value)
    if cls.__module__ == 'numpy' and cls.__name__ in ('bool_', 'bool'):
        return bool(value)
    raise TypeError(f"'{cls.__name__}' object cannot be converted to 'PyBool'")


def _fsencode_path(path):
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"'{type(path).__name__}' object cannot be converted to 'PyString'")
    encoded = os.fsencode(path)
    if b'\0' in encoded:
        raise ValueError('embedded null byte')
    return encoded


def _fsencode_paths(watch_paths):
    # PyO3 refuses to turn a str into a Vec<String>; so do we (and bytes).
    if isinstance(watch_paths, (str, bytes)):
        raise TypeError(f"Can't extract `{type(watch_paths).__name__}` to `Vec`")
    if not isinstance(watch_paths, collections.abc.Sequence):
        raise TypeError(f"'{type(watch_paths).__name__}' object cannot be converted to 'Sequence'")
    return [_fsencode_path(p) for p in watch_paths]


def _constructor_error(err):
    """The Python exception RustNotify raises for a GLib.Error of wf_notify_new()."""
    message = err.message
    if err.domain == _IO_ERROR_DOMAIN:
        if err.code == Gio.IOErrorEnum.NOT_FOUND:
            return FileNotFoundError(message)
        if err.code == Gio.IOErrorEnum.PERMISSION_DENIED:
            return PermissionError(message)
        return OSError(message)
    if err.domain == _WF_ERROR_DOMAIN:
        if err.code == Watchfiles.Error.WATCH_LIMIT:
            return OSError(message)
        if err.code == Watchfiles.Error.CLOSED:
            return RuntimeError('RustNotify watcher closed')
        return WatchfilesRustInternalError(message)
    return OSError(message)


def _watch_error(err):
    """The Python exception RustNotify raises for a GLib.Error of wf_notify_watch()."""
    if err.domain == _WF_ERROR_DOMAIN and err.code == Watchfiles.Error.CLOSED:
        return RuntimeError('RustNotify watcher closed')
    if err.domain == _IO_ERROR_DOMAIN:
        return OSError(err.message)
    return WatchfilesRustInternalError(err.message)


# --- the bridges from Python's ways of stopping to the C wait ---

class _StopPoller:
    """Calls stop_event.is_set() every step while the C call waits with the
    GIL released, and cancels the C call's stop cancellable once it is true.
    RustNotify checks is_set() once per step too; an arbitrary object gives
    no other way to learn that it was set."""

    def __init__(self, is_set, cancellable, step_ms):
        self._is_set = is_set
        self._cancellable = cancellable
        self._interval = max(step_ms, 1) / 1000
        self._done = threading.Event()
        self.error = None
        self._thread = threading.Thread(target=self._run, name='watchfiles-stop-event', daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(self._interval):
            try:
                if self._is_set():
                    self._cancellable.cancel()
                    return
            except BaseException as exc:  # re-raised by watch() in its own thread
                self.error = exc
                self._cancellable.cancel()
                return

    def finish(self):
        self._done.set()
        self._thread.join()


class _SignalWakeup:
    """Makes a signal end the C wait: while watch() blocks in the main
    thread, Python's C-level signal handler writes the signal number to a
    pipe of ours (signal.set_wakeup_fd), whose read end the C call polls.
    Any previous wakeup fd gets the bytes forwarded and is restored."""

    def __init__(self):
        self.fd = -1
        self._write_fd = -1
        self._previous = -1

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            self._previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        except ValueError:  # not the main interpreter
            os.close(read_fd)
            os.close(write_fd)
            return self
        self.fd, self._write_fd = read_fd, write_fd
        return self

    def drain(self):
        """Empties the pipe; True if a signal had arrived."""
        if self.fd < 0:
            return False
        data = b''
        while True:
            try:
                chunk = os.read(self.fd, 512)
            except (BlockingIOError, InterruptedError):
                break
            if not chunk:
                break
            data += chunk
        if data and self._previous >= 0:
            try:
                os.write(self._previous, data)
            except OSError:
                pass
        return bool(data)

    def __exit__(self, *exc_info):
        if self.fd < 0:
            return
        signal.set_wakeup_fd(self._previous)
        self.drain()
        os.close(self.fd)
        os.close(self._write_fd)
        self.fd = self._write_fd = -1


def _let_signal_handlers_run():
    # Calling a Python function checks for pending signals: the handlers of
    # a signal that ended the C wait run here at the latest.
    pass


# --- Notify ---

def _pretty_debug(description, backend):
    """Turns describe()'s 'Name { a: 1, b: 2 }' into Rust's {:#?} layout."""
    names = {'PollBackend': 'PollWatcher', 'InotifyBackend': 'INotifyWatcher'}
    match = re.fullmatch(r'(\w+) \{ (.*) \}', description)
    if match is None:
        return f'    {description},\n'
    name = names.get(match.group(1), match.group(1))
    lines = [f'    {name} {{\n']
    for field in match.group(2).split(', '):
        key, _, value = field.partition(': ')
        if backend == 'poll' and key == 'delay':
            lines.append(f'        {key}: Some(\n            {value},\n        ),\n')
        else:
            lines.append(f'        {key}: {value},\n')
    lines.append('    },\n')
    return ''.join(lines)


class Notify(Watchfiles.Notify):
    """Watchfiles.Notify(watch_paths, debug, force_polling, poll_delay_ms,
    recursive, ignore_permission_denied, *, ignore_rules=None, backend=None,
    follow_symlinks=True)

    watchfiles' RustNotify on Watchfiles: the same six positional arguments,
    watch(), close(), the context manager and repr.  The keyword-only
    extras set the GObject properties of the same names."""

    def __new__(cls, watch_paths, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied,
                *, ignore_rules=None, backend=None, follow_symlinks=True):
        paths = _fsencode_paths(watch_paths)
        debug = _bool(debug)
        force_polling = _bool(force_polling)
        poll_delay_ms = _u64(poll_delay_ms)
        recursive = _bool(recursive)
        ignore_permission_denied = _bool(ignore_permission_denied)
        follow_symlinks = _bool(follow_symlinks)
        if ignore_rules is not None and not isinstance(ignore_rules, Watchfiles.IgnoreRules):
            raise TypeError('ignore_rules must be a Watchfiles.IgnoreRules or None')
        if backend is not None and not isinstance(backend, str):
            raise TypeError('backend must be a str or None')

        try:
            if ignore_rules is None and backend is None and follow_symlinks:
                # The constructor takes filenames: any bytes reach the kernel.
                return Watchfiles.Notify.new(paths, debug, force_polling, poll_delay_ms, recursive,
                                             ignore_permission_denied)
            try:
                # The paths property is a GStrv, which PyGObject fills from
                # UTF-8 str only.
                str_paths = [p.decode('utf-8') for p in paths]
            except UnicodeDecodeError:
                raise ValueError('a watch path that is not UTF-8 cannot be combined with ignore_rules, '
                                 'backend or follow_symlinks') from None
            self = Watchfiles.Notify.__new__(cls)
            Watchfiles.Notify.__init__(self, paths=str_paths, debug=debug, force_polling=force_polling,
                                       poll_delay_ms=poll_delay_ms, recursive=recursive,
                                       ignore_permission_denied=ignore_permission_denied,
                                       follow_symlinks=follow_symlinks, backend=backend,
                                       ignore_rules=ignore_rules)
            self.init(None)
            return self
        except GLib.Error as err:
            raise _constructor_error(err) from None

    def __init__(self, *args, **kwargs):
        # Everything happened in __new__ (wf_notify_new() or g_initable_init()).
        pass

    def watch(self, debounce_ms, step_ms, timeout_ms, stop_event):
        """Waits for changes; returns a set of (int, str), or 'signal',
        'stop' or 'timeout', as RustNotify.watch() does.  stop_event is
        None, a Gio.Cancellable, or any object with an is_set() method."""
        debounce_ms = _u64(debounce_ms)
        step_ms = _u64(step_ms)
        timeout_ms = _u64(timeout_ms)
        if self.is_closed():
            raise RuntimeError('RustNotify watcher closed')

        poller = None
        if stop_event is None:
            cancellable = None
        elif isinstance(stop_event, Gio.Cancellable):
            cancellable = stop_event
        else:
            is_set = stop_event.is_set  # AttributeError up front, as RustNotify
            cancellable = Gio.Cancellable()
            if is_set():
                cancellable.cancel()
            else:
                poller = _StopPoller(is_set, cancellable, step_ms)

        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        try:
            with _SignalWakeup() as wakeup:
                while True:
                    signalled = False
                    try:
                        result, changes = Watchfiles.Notify.watch(self, debounce_ms, step_ms, timeout_ms,
                                                                  cancellable, wakeup.fd)
                        if result == Watchfiles.WatchResult.SIGNAL:
                            signalled = True
                            wakeup.drain()
                            _let_signal_handlers_run()
                    except GLib.Error as err:
                        raise _watch_error(err) from None
                    except BaseException:
                        # A signal handler raised (KeyboardInterrupt for
                        # SIGINT), maybe as soon as the C call returned:
                        # RustNotify swallows it and says 'signal'.
                        if signalled or wakeup.drain():
                            return 'signal'
                        raise
                    if result != Watchfiles.WatchResult.SIGNAL:
                        break
                    # Handlers that do not raise mean "no signal": go on
                    # waiting for what is left of the timeout.
                    if deadline is not None:
                        timeout_ms = max(1, round((deadline - time.monotonic()) * 1000))
        finally:
            if poller is not None:
                poller.finish()

        if result == Watchfiles.WatchResult.CHANGES:
            return {(int(c.get_change()), c.get_path()) for c in changes}
        if result == Watchfiles.WatchResult.STOP:
            if poller is not None and poller.error is not None:
                raise poller.error
            return 'stop'
        return 'timeout'

    def close(self):
        """Stops watching; idempotent.  A later watch() raises RuntimeError."""
        Watchfiles.Notify.close(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        description = self.describe()
        if description == 'None' or self.is_closed():
            return 'RustNotify(None)'
        backend = self.get_backend_name()
        variant = 'Poll' if backend == 'poll' else 'Recommended'
        return f'RustNotify({variant}(\n{_pretty_debug(description, backend)}))'


Notify = override(Notify)
__all__.append('Notify')


# --- Change and FileChange (watchfiles.main) ---

# PyGObject marshals WfChange values through the class of this name, so
# Change stays the GI enum (an int subclass, equal to 1, 2, 3) and gains
# what watchfiles' IntEnum offers: lower-case members, name, raw_str().
Change = Watchfiles.Change
Change.added = Change.ADDED
Change.modified = Change.MODIFIED
Change.deleted = Change.DELETED
Change.name = property(lambda self: self.value_nick, doc="The member's name: 'added', 'modified' or 'deleted'.")


def _change_raw_str(self):
    return self.value_nick


Change.raw_str = _change_raw_str
__all__.append('Change')


class FileChange(Watchfiles.FileChange):
    """One change of the C API; it also behaves as watchfiles' FileChange,
    the tuple (Change, path)."""

    def _as_tuple(self):
        return (self.get_change(), self.get_path())

    def __iter__(self):
        return iter(self._as_tuple())

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return self._as_tuple()[index]

    def __eq__(self, other):
        if isinstance(other, (tuple, Watchfiles.FileChange)):
            return self._as_tuple() == tuple(other)
        return NotImplemented

    def __hash__(self):
        return hash(self._as_tuple())

    def __repr__(self):
        return f'FileChange{self._as_tuple()!r}'


FileChange = override(FileChange)
__all__.append('FileChange')


# --- filters (watchfiles.filters) ---

class BaseFilter:
    """Base class of filters: ignores directory names, entity (last
    component) regular expressions and path prefixes."""

    __slots__ = '_ignore_dirs', '_ignore_entity_regexes', '_ignore_paths'
    ignore_dirs = ()
    ignore_entity_patterns = ()
    ignore_paths = ()

    def __init__(self):
        self._ignore_dirs = set(self.ignore_dirs)
        self._ignore_entity_regexes = tuple(re.compile(r) for r in self.ignore_entity_patterns)
        self._ignore_paths = tuple(map(str, self.ignore_paths))

    def __call__(self, change, path):
        parts = path.lstrip(os.sep).split(os.sep)
        if any(p in self._ignore_dirs for p in parts):
            return False
        entity_name = parts[-1]
        if any(r.search(entity_name) for r in self._ignore_entity_regexes):
            return False
        if self._ignore_paths and path.startswith(self._ignore_paths):
            return False
        return True

    def __repr__(self):
        args = ', '.join(f'{k}={getattr(self, k, None)!r}' for k in self.__slots__)
        return f'{self.__class__.__name__}({args})'


class DefaultFilter(BaseFilter):
    """Ignores what one commonly wants ignored (watchfiles' list)."""

    ignore_dirs = (
        '__pycache__',
        '.git',
        '.hg',
        '.svn',
        '.tox',
        '.venv',
        '.idea',
        'node_modules',
        '.mypy_cache',
        '.pytest_cache',
        '.hypothesis',
    )
    ignore_entity_patterns = (
        r'\.py[cod]$',
        r'\.___jb_...___$',
        r'\.sw.$',
        '~$',
        r'^\.\#',
        r'^\.DS_Store$',
        r'^flycheck_',
    )

    def __init__(self, *, ignore_dirs=None, ignore_entity_patterns=None, ignore_paths=None):
        if ignore_dirs is not None:
            self.ignore_dirs = ignore_dirs
        if ignore_entity_patterns is not None:
            self.ignore_entity_patterns = ignore_entity_patterns
        if ignore_paths is not None:
            self.ignore_paths = ignore_paths
        super().__init__()


class PythonFilter(DefaultFilter):
    """DefaultFilter, and only files ending in .py, .pyx, .pyd or
    extra_extensions."""

    def __init__(self, *, ignore_paths=None, extra_extensions=()):
        self.extensions = ('.py', '.pyx', '.pyd') + tuple(extra_extensions)
        super().__init__(ignore_paths=ignore_paths)

    def __call__(self, change, path):
        return path.endswith(self.extensions) and super().__call__(change, path)


__all__ += ['BaseFilter', 'DefaultFilter', 'PythonFilter']

# Filters whose verdict never keeps a path BaseFilter.__call__ would drop:
# their directory names and path prefixes can be handed to the C side.
_LIST_FILTER_CALLS = (BaseFilter.__call__, PythonFilter.__call__)


def _ignore_rules_for(watch_filter, paths):
    """Watchfiles.IgnoreRules doing part of watch_filter's work in C, so
    ignored directories cost no watch, or None.  Only directory names and
    path prefixes: they ignore in C a subset of what the filter drops (C
    looks below the roots only).  Entity patterns are not: C would apply
    them to every directory above a path, where watchfiles looks at the
    last name only."""
    if not isinstance(watch_filter, BaseFilter) or type(watch_filter).__call__ not in _LIST_FILTER_CALLS:
        return None
    try:
        for p in paths:
            p.decode('utf-8')  # the paths property is UTF-8 only
    except UnicodeDecodeError:
        return None
    dirs = [d for d in watch_filter._ignore_dirs if isinstance(d, str) and d and '/' not in d and '\0' not in d]
    prefixes = [p for p in watch_filter._ignore_paths if p and '\0' not in p]
    if not dirs and not prefixes:
        return None
    rules = Watchfiles.IgnoreRules.new()
    for name in sorted(dirs):
        rules.add_dir_name(name)
    for prefix in prefixes:
        rules.add_path_prefix(prefix)
    return rules


# --- environment-driven defaults (watchfiles.main) ---

def _default_force_polling(force_polling):
    if force_polling is not None:
        return force_polling
    env_var = os.getenv('WATCHFILES_FORCE_POLLING')
    if env_var:
        return env_var.lower() not in {'false', 'disable', 'disabled'}
    return _auto_force_polling()


def _auto_force_polling():
    uname = platform.uname()
    return 'microsoft-standard' in uname.release.lower() and uname.system.lower() == 'linux'


def _default_poll_delay_ms(poll_delay_ms):
    env_var = os.getenv('WATCHFILES_POLL_DELAY_MS')
    if env_var and env_var.isdecimal():
        return int(env_var)
    return poll_delay_ms


def _default_debug(debug):
    if debug is not None:
        return debug
    return bool(os.getenv('WATCHFILES_DEBUG'))


def _default_ignore_permission_denied(ignore_permission_denied):
    if ignore_permission_denied is not None:
        return ignore_permission_denied
    return bool(os.getenv('WATCHFILES_IGNORE_PERMISSION_DENIED'))


def _calc_async_timeout(timeout):
    if timeout is None:
        return 1_000 if sys.platform == 'win32' else 5_000
    return timeout


def _path_arg(path):
    # watchfiles passes str(p); bytes and PathLike keep their exact bytes.
    return os.fspath(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)


def _open_notify(paths, watch_filter, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied):
    watch_paths = [_path_arg(p) for p in paths]
    rules = _ignore_rules_for(watch_filter, _fsencode_paths(watch_paths))
    return Notify(watch_paths, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied,
                  ignore_rules=rules)


def _prep_changes(raw_changes, watch_filter):
    changes = {(Change(change), path) for change, path in raw_changes}
    if watch_filter:
        changes = {c for c in changes if watch_filter(c[0], c[1])}
    return changes


def _log_changes(changes):
    if logger.isEnabledFor(logging.INFO):
        count = len(changes)
        plural = '' if count == 1 else 's'
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug('%d change%s detected: %s', count, plural, changes)
        else:
            logger.info('%d change%s detected', count, plural)


_DEFAULT_FILTER = DefaultFilter()


def watch(*paths, watch_filter=_DEFAULT_FILTER, debounce=1_600, step=50, stop_event=None, rust_timeout=5_000,
          yield_on_timeout=False, debug=None, raise_interrupt=True, force_polling=None, poll_delay_ms=300,
          recursive=True, ignore_permission_denied=None):
    """Watches paths and yields sets of (Change, path), as watchfiles.watch()."""
    force_polling = _default_force_polling(force_polling)
    poll_delay_ms = _default_poll_delay_ms(poll_delay_ms)
    ignore_permission_denied = _default_ignore_permission_denied(ignore_permission_denied)
    debug = _default_debug(debug)
    with _open_notify(paths, watch_filter, debug, force_polling, poll_delay_ms, recursive,
                      ignore_permission_denied) as watcher:
        while True:
            raw_changes = watcher.watch(debounce, step, rust_timeout, stop_event)
            if raw_changes == 'timeout':
                if yield_on_timeout:
                    yield set()
                else:
                    logger.debug('rust notify timeout, continuing')
            elif raw_changes == 'signal':
                if raise_interrupt:
                    raise KeyboardInterrupt
                logger.warning('KeyboardInterrupt caught, stopping watch')
                return
            elif raw_changes == 'stop':
                return
            else:
                changes = _prep_changes(raw_changes, watch_filter)
                if changes:
                    _log_changes(changes)
                    yield changes
                else:
                    logger.debug('all changes filtered out, raw_changes=%s', raw_changes)


class _EitherStop:
    """is_set() of the caller's stop_event or of awatch's own event."""

    __slots__ = '_own', '_other'

    def __init__(self, own, other):
        self._own = own
        self._other = other

    def is_set(self):
        return self._own.is_cancelled() or bool(self._other.is_set())


async def awatch(*paths, watch_filter=_DEFAULT_FILTER, debounce=1_600, step=50, stop_event=None,
                 rust_timeout=None, yield_on_timeout=False, debug=None, raise_interrupt=None, force_polling=None,
                 poll_delay_ms=300, recursive=True, ignore_permission_denied=None):
    """Asynchronous watch(): the wait runs in a worker thread; cancelling
    the task stops it at once."""
    if raise_interrupt is not None:
        warnings.warn(
            'raise_interrupt is deprecated, KeyboardInterrupt will cause this coroutine to be cancelled and then '
            'be raised by the top level asyncio.run call or equivalent, and should be caught there. See #136.',
            DeprecationWarning,
            stacklevel=2,
        )
    force_polling = _default_force_polling(force_polling)
    poll_delay_ms = _default_poll_delay_ms(poll_delay_ms)
    ignore_permission_denied = _default_ignore_permission_denied(ignore_permission_denied)
    debug = _default_debug(debug)
    timeout = _calc_async_timeout(rust_timeout)
    loop = asyncio.get_running_loop()

    with _open_notify(paths, watch_filter, debug, force_polling, poll_delay_ms, recursive,
                      ignore_permission_denied) as watcher:
        while True:
            # A cancellable per call: the C wait returns as soon as it is
            # cancelled, with no poll of an event in between.
            own_stop = Gio.Cancellable()
            stop = own_stop if stop_event is None else _EitherStop(own_stop, stop_event)
            future = loop.run_in_executor(None, watcher.watch, debounce, step, timeout, stop)
            try:
                raw_changes = await asyncio.shield(future)
            except BaseException:
                # Cancelled (or interrupted): end the worker's wait before
                # the watcher is closed under it.
                own_stop.cancel()
                try:
                    await asyncio.wait({future})
                except BaseException:
                    pass
                raise
            if raw_changes == 'timeout':
                if yield_on_timeout:
                    yield set()
                else:
                    logger.debug('rust notify timeout, continuing')
            elif raw_changes == 'signal':
                raise RuntimeError('watch thread unexpectedly received a signal')
            elif raw_changes == 'stop':
                return
            else:
                changes = _prep_changes(raw_changes, watch_filter)
                if changes:
                    _log_changes(changes)
                    yield changes
                else:
                    logger.debug('all changes filtered out, raw_changes=%s', raw_changes)


__all__ += ['watch', 'awatch']
