# SPDX-License-Identifier: MIT
# gi/overrides/Watchfiles.py: the PyGObject override of the Watchfiles
# namespace.  It makes Watchfiles.Notify a drop-in for watchfiles'
# RustNotify (six positional arguments, a set of (int, str) or 'signal',
# 'stop', 'timeout' from watch(), RustNotify's exceptions and repr) and adds
# watchfiles' Python API on top of it: Change, the filters, watch(),
# awatch() (on anyio), run_process(), arun_process() and VERSION.
# DESIGN.md section 7; watchfiles-spec.md sections 1.2-1.5, 2.
#
# Paths cross into C as bytes (os.fsencode) and come back as str decoded
# with the file system encoding and surrogateescape, so any name round-trips.

import collections.abc
import enum
import functools
import io
import itertools
import logging
import operator
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
import warnings

from gi.repository import Gio, GLib

from ..module import get_introspection_module
from ..overrides import override
from . import _watchfiles_run
from ._watchfiles_run import import_string

Watchfiles = get_introspection_module('Watchfiles')

__all__ = []

# The library's version: the typelib's constant, generated from meson.build's
# project version, so this file (also used from the source tree) never
# repeats it.
VERSION = Watchfiles.VERSION_STRING
__version__ = VERSION
__all__ += ['VERSION', '__version__']

logger = logging.getLogger('watchfiles.main')

_IO_ERROR_DOMAIN = GLib.quark_to_string(Gio.io_error_quark())
_WF_ERROR_DOMAIN = GLib.quark_to_string(Watchfiles.error_quark())
_U64_MAX = 2 ** 64 - 1
_GUINT_MAX = 2 ** 32 - 1


class StateFileError(Exception):
    """A state file that cannot be used: not a state file, truncated or
    corrupted, written by a newer Watchfiles, or saved for other roots,
    settings or ignore rules; the message says which.  code is the
    Watchfiles.Error (STATE_INVALID, STATE_VERSION or STATE_MISMATCH).
    The file is left as it is."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


__all__.append('StateFileError')


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


def _rust_debug_path(path):
    """A path as Rust's {:?} prints a PathBuf: quoted, with escape_debug's
    escapes, and bytes that are not UTF-8 as \\xNN."""
    out = ['"']
    for char in os.fsdecode(path):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape of one byte
            out.append(f'\\x{code - 0xDC00:02X}')
        elif char in '"\\':
            out.append('\\' + char)
        elif char in '\t\r\n\0':
            out.append({'\t': '\\t', '\r': '\\r', '\n': '\\n', '\0': '\\0'}[char])
        elif not char.isprintable():
            out.append(f'\\u{{{code:x}}}')
        else:
            out.append(char)
    out.append('"')
    return ''.join(out)


def _not_found_error(message, paths):
    """RustNotify's FileNotFoundError for a missing watch path: notify's
    io::Error text naming the first missing path, as in
    'No such file or directory (os error 2) about ["/p"]'.  errno stays
    None, as RustNotify builds the exception from the text alone."""
    for path in paths:
        if not os.path.exists(path):
            return FileNotFoundError(f'No such file or directory (os error 2) about [{_rust_debug_path(path)}]')
    return FileNotFoundError(message)  # it came back meanwhile: the C text


def _constructor_error(err, paths=()):
    """The Python exception RustNotify raises for a GLib.Error of wf_notify_new()."""
    message = err.message
    if err.domain == _IO_ERROR_DOMAIN:
        if err.code == Gio.IOErrorEnum.NOT_FOUND:
            return _not_found_error(message, paths)
        if err.code == Gio.IOErrorEnum.PERMISSION_DENIED:
            return PermissionError(message)
        return OSError(message)
    if err.domain == _WF_ERROR_DOMAIN:
        if err.code in (Watchfiles.Error.STATE_INVALID, Watchfiles.Error.STATE_VERSION,
                        Watchfiles.Error.STATE_MISMATCH):
            return StateFileError(message, Watchfiles.Error(err.code))
        if err.code == Watchfiles.Error.WATCH_LIMIT:
            return OSError(message)
        if err.code == Watchfiles.Error.CLOSED:
            return RuntimeError('RustNotify watcher closed')
        if err.code == Watchfiles.Error.INVALID_ARGUMENT:
            return ValueError(message)
        return WatchfilesRustInternalError(message)
    return OSError(message)


def _watch_error(err):
    """The Python exception RustNotify raises for a GLib.Error of wf_notify_watch()."""
    if err.domain == _WF_ERROR_DOMAIN and err.code == Watchfiles.Error.CLOSED:
        return RuntimeError('RustNotify watcher closed')
    if err.domain == _WF_ERROR_DOMAIN and err.code in (Watchfiles.Error.BUSY, Watchfiles.Error.NOT_INITIALIZED):
        # Misuse of this watcher (started, or never initialised), not a
        # failure of the file system nor of the backend.
        return RuntimeError(err.message)
    if err.domain == _WF_ERROR_DOMAIN and err.code == Watchfiles.Error.INVALID_ARGUMENT:
        return ValueError(err.message)
    if err.domain == _IO_ERROR_DOMAIN:
        return OSError(err.message)
    return WatchfilesRustInternalError(err.message)


# --- the bridges from Python's ways of stopping to the C wait ---
#
# RustNotify's loop runs Python's signal handlers and calls
# stop_event.is_set() at every step, on the thread that called watch(), with
# the GIL.  Notify.watch_full() does the same through a check function the C
# loop calls on the calling thread (when the signal descriptor becomes
# readable, and every step when there is an is_set() to call), keeping the
# debounce state of the call between checks.
#
# One trap shapes the code below: a signal that ended the C wait has already
# tripped CPython's "eval breaker", so its Python handler runs at the first
# instruction of whatever Python code runs next.  A plain function given as
# the check would see a raising handler (KeyboardInterrupt) fire before its
# own try block, and PyGObject prints and drops exceptions raised by
# callbacks.  The check is therefore the send() of a generator suspended
# inside its try block: the handler's exception is raised there and caught.
# For the same reason the few calls whose results must not be lost to a
# handler raising right after them (installing the wakeup fd, the C call
# itself) store their results from C (list.extend over a map), before any
# Python instruction can run a handler.

_CHECK_CONTINUE = Watchfiles.WatchCheck.CONTINUE
_CHECK_STOP = Watchfiles.WatchCheck.STOP
_CHECK_SIGNAL = Watchfiles.WatchCheck.SIGNAL
_set_wakeup_fd_quietly = functools.partial(signal.set_wakeup_fd, warn_on_full_buffer=False)


class _WakeupPipe:
    """The pipe that Python's C-level signal handler writes the signal
    number to (signal.set_wakeup_fd) while watch() waits in the main thread;
    the C call polls its read end.  One per Notify, made on first use and
    closed by close(), or when the Notify goes.  The ends are FileIO
    objects, whose close() is idempotent, so no descriptor is closed twice
    nor leaked, whatever interrupts a close."""

    def __init__(self):
        read_fd, write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.reader = io.FileIO(read_fd, 'rb', closefd=True)
        self.writer = io.FileIO(write_fd, 'wb', closefd=True)
        self.in_use = False
        self.closing = False

    def acquire(self):
        """Claims the pipe for a watch() of the main thread; False once
        closing.  Only the main thread uses it, so one claim at a time."""
        self.in_use = True
        if self.closing:
            self.in_use = False
            return False
        return True

    def release(self):
        # Either this or a concurrent close() sees the other's flag (the
        # GIL orders the stores); both closing is harmless.
        self.in_use = False
        if self.closing:
            self._close()

    def close(self):
        # A watch() of the main thread may be polling the read end: it
        # closes the pipe when it is done instead.
        self.closing = True
        if not self.in_use:
            self._close()

    def _close(self):
        self.reader.close()
        self.writer.close()

    def __del__(self):
        # The Notify went without close(): no watch() can be using us.
        self._close()

    def drain(self, forward_fd=-1):
        """Empties the pipe; True if a signal had arrived.  The bytes go on
        to the wakeup fd that was installed before ours, if any."""
        if self.reader.closed:
            return False
        data = b''
        while True:
            try:
                chunk = self.reader.read(512)
            except InterruptedError:
                continue
            if not chunk:  # None: would block
                break
            data += chunk
        if data and forward_fd >= 0:
            try:
                os.write(forward_fd, data)
            except OSError:
                pass
        return bool(data)


class _Checker:
    """The check function of one watch() call: send is what the C loop
    calls, as check(signal_ready).  A signal handler's exception (raised
    at the generator's resumption, inside its try) ends the call with
    'signal'; is_set()'s exception, or a true is_set(), ends it with 'stop',
    the exception kept in .error for watch() to raise.

    A handler also runs inside is_set() when its signal lands while is_set()
    runs, and its exception then comes out of is_set().  The wakeup pipe
    tells the two apart: it is emptied just before the call, and a signal
    that arrives during it writes its number there before its handler runs.
    So an exception from is_set() with a signal in the pipe is the signal's:
    'signal', as the check a moment later would have said (RustNotify
    propagates it, and watch(raise_interrupt=False) then let a Ctrl+C escape
    as KeyboardInterrupt).  Only is_set()'s own exception with a signal whose
    handler does not raise arriving in the same instant is taken for a
    signal."""

    def __init__(self, pipe, previous_fd, is_set):
        self._pipe = pipe
        self._previous_fd = previous_fd  # a list: [fd] once installed
        self._is_set = is_set
        self.error = None
        generator = self._run()
        next(generator)
        self.send = generator.send

    def _run(self):
        result = None
        in_is_set = False
        while True:
            try:
                while True:
                    signal_ready = yield result
                    # Pending handlers ran at the line above at the latest.
                    result = _CHECK_CONTINUE
                    if signal_ready:
                        self._drain()
                        # Handlers of signals that came meanwhile run at
                        # this call's entry at the latest.
                        _let_signal_handlers_run()
                    elif self._is_set is not None:
                        _let_signal_handlers_run()
                        # From here, a signal in the pipe came during is_set().
                        self._drain()
                        in_is_set = True
                        if self._is_set():
                            result = _CHECK_STOP
                        in_is_set = False
            except GeneratorExit:
                return
            except BaseException as exc:
                if in_is_set and not self._drain():
                    # RustNotify propagates is_set()'s errors.
                    self.error = exc
                    result = _CHECK_STOP
                else:
                    # RustNotify swallows a handler's exception: 'signal'.
                    result = _CHECK_SIGNAL
                in_is_set = False

    def _drain(self):
        """Empties the wakeup pipe (main thread only); True if a signal had
        arrived."""
        if self._pipe is None:
            return False
        return self._pipe.drain(self._previous_fd[0] if self._previous_fd else -1)


class _Deliberate(Exception):
    """Ends watch()'s protected region early: the error is ours to raise."""


def _let_signal_handlers_run():
    # Calling a Python function checks for pending signals: the handlers of
    # a signal that arrived run here at the latest.
    pass


# --- Notify ---

def _state_file_arg(state_file):
    # The state-file property is a string, which PyGObject fills from UTF-8.
    try:
        return _fsencode_path(state_file).decode('utf-8')
    except UnicodeDecodeError:
        raise ValueError('a state file path that is not UTF-8 cannot be used') from None


def _watch_limit_policy(value):
    if isinstance(value, Watchfiles.WatchLimitPolicy):
        return value
    names = {'poll': Watchfiles.WatchLimitPolicy.POLL, 'error': Watchfiles.WatchLimitPolicy.ERROR}
    if isinstance(value, str) and value in names:
        return names[value]
    raise ValueError(f"watch_limit_policy must be 'poll', 'error' or a Watchfiles.WatchLimitPolicy, not {value!r}")


def _not_str(value):
    raise TypeError(f"polled_filesystems: '{type(value).__name__}' object is not a str")


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
    follow_symlinks=True, watch_limit_policy=None, poll_cpu_percent=None,
    polled_filesystems=None, state_file=None, state_interval_ms=None)

    watchfiles' RustNotify on Watchfiles: the same six positional arguments,
    watch(), close(), the context manager and repr.  The keyword-only
    extras set the GObject properties of the same names (None keeps the
    default); watch_limit_policy also takes 'poll' or 'error', and
    polled_filesystems any iterable of str.  state_file (a str or PathLike)
    keeps a state file up to date: the first watch() also returns what
    changed since it was written, while nothing watched, and it is written
    on close() (and every state_interval_ms); a state file that cannot be
    used raises StateFileError.  The status property is a Watchfiles.Status
    snapshot taken when it is read."""

    def __new__(cls, watch_paths, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied,
                *, ignore_rules=None, backend=None, follow_symlinks=True, watch_limit_policy=None,
                poll_cpu_percent=None, polled_filesystems=None, state_file=None, state_interval_ms=None):
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
        extras = {}
        if watch_limit_policy is not None:
            extras['watch_limit_policy'] = _watch_limit_policy(watch_limit_policy)
        if poll_cpu_percent is not None:
            extras['poll_cpu_percent'] = _u64(poll_cpu_percent)
        if polled_filesystems is not None:
            if isinstance(polled_filesystems, (str, bytes)):
                raise TypeError('polled_filesystems must be an iterable of str, such as ["nfs4", "fuse.*"]')
            extras['polled_filesystems'] = [str(fs) if isinstance(fs, str) else _not_str(fs)
                                            for fs in polled_filesystems]
        if state_file is not None:
            extras['state_file'] = _state_file_arg(state_file)
        if state_interval_ms is not None:
            extras['state_interval_ms'] = _u64(state_interval_ms)

        try:
            if ignore_rules is None and backend is None and follow_symlinks and not extras:
                # The constructor takes filenames: any bytes reach the kernel.
                return Watchfiles.Notify.new(paths, debug, force_polling, poll_delay_ms, recursive,
                                             ignore_permission_denied)
            try:
                # The paths property is a GStrv, which PyGObject fills from
                # UTF-8 str only.
                str_paths = [p.decode('utf-8') for p in paths]
            except UnicodeDecodeError:
                raise ValueError('a watch path that is not UTF-8 cannot be combined with the keyword-only '
                                 'arguments') from None
            self = Watchfiles.Notify.__new__(cls)
            Watchfiles.Notify.__init__(self, paths=str_paths, debug=debug, force_polling=force_polling,
                                       poll_delay_ms=poll_delay_ms, recursive=recursive,
                                       ignore_permission_denied=ignore_permission_denied,
                                       follow_symlinks=follow_symlinks, backend=backend,
                                       ignore_rules=ignore_rules, **extras)
            self.init(None)
            return self
        except GLib.Error as err:
            raise _constructor_error(err, paths) from None

    def __init__(self, *args, **kwargs):
        # Everything happened in __new__ (wf_notify_new() or g_initable_init()).
        pass

    def watch(self, debounce_ms, step_ms, timeout_ms, stop_event):
        """Waits for changes; returns a set of (int, str), or 'signal',
        'stop' or 'timeout', as RustNotify.watch() does.  stop_event is
        None, a Gio.Cancellable, or any object with an is_set() method,
        called on this thread once a step, as RustNotify does.

        In the main thread, a signal whose Python handler raises (Ctrl+C)
        returns 'signal' within a step, the exception swallowed as
        RustNotify does; a handler that does not raise does not end the
        wait.  The signals reach the wait through a pipe installed with
        signal.set_wakeup_fd() for the call; a wakeup fd installed before
        (asyncio's, trio's) gets the signal numbers forwarded and is put
        back afterwards, though with Python's default
        warn_on_full_buffer=True, as Python cannot tell the previous
        setting."""
        debounce_ms = _u64(debounce_ms)
        step_ms = _u64(step_ms)
        timeout_ms = _u64(timeout_ms)
        if self.is_closed():
            raise RuntimeError('RustNotify watcher closed')

        is_set = None
        cancellable = None
        if isinstance(stop_event, Gio.Cancellable):
            cancellable = stop_event
        elif stop_event is not None:
            # AttributeError up front, as RustNotify; the first call comes
            # one step in, as RustNotify's.
            is_set = stop_event.is_set
            if not callable(is_set):
                # Before waiting, in RustNotify's words up to 0.22; since 0.23
                # it raises calling it, one step in, with the words that
                # follow, so tests written for either version match.
                raise TypeError(f"'stop_event.is_set' must be callable: "
                                f"'{type(is_set).__name__}' object is not callable")

        # From here on, an exception that is not one of ours (kept in
        # `error`) comes from a signal handler: the call says 'signal'.
        carried = None
        pipe = None
        previous = []   # [the wakeup fd ours replaced], once installed
        outcome = []    # [(result, changes)] from the C call
        checker = None
        error = None
        signalled = False
        try:
            try:
                carried = self.__dict__.get('_wf_carried')
                if carried:
                    # A batch taken from C just as a signal handler raised:
                    # it comes back now, with whatever follows within a step.
                    timeout_ms = max(step_ms, 1)
                if threading.current_thread() is threading.main_thread():
                    pipe = self.__dict__.get('_wf_wakeup')
                    if pipe is None:
                        try:
                            pipe = self._wf_wakeup = _WakeupPipe()
                        except OSError as exc:
                            error = exc
                if pipe is not None and not pipe.acquire():
                    pipe = None  # close() came from another thread
                if pipe is not None:
                    try:
                        previous.extend(map(_set_wakeup_fd_quietly, (pipe.writer.fileno(),)))
                    except ValueError:  # not the main interpreter: no signals
                        pipe.release()
                        pipe = None
                if error is not None:
                    raise _Deliberate
                if pipe is not None or is_set is not None:
                    checker = _Checker(pipe, previous, is_set)
                call = functools.partial(Watchfiles.Notify.watch_full, self, debounce_ms, step_ms, timeout_ms,
                                         cancellable, pipe.reader.fileno() if pipe is not None else -1,
                                         is_set is not None, checker.send if checker is not None else None)
                outcome.extend(itertools.starmap(call, ((),)))
                result, changes = outcome[0]
                if result == Watchfiles.WatchResult.CHANGES:
                    outcome[0] = (result, {(int(c.get_change()), c.get_path()) for c in changes})
            except GLib.Error as err:
                error = _watch_error(err)
            except _Deliberate:
                pass
            finally:
                # Each step first, so a handler raising after it cannot
                # skip it: the previous wakeup fd back, the signals that
                # came meanwhile forwarded to it, the pipe released.
                try:
                    if previous:
                        signal.set_wakeup_fd(previous[0])
                finally:
                    if pipe is not None:
                        try:
                            pipe.drain(previous[0] if previous else -1)
                        finally:
                            pipe.release()
        except BaseException:
            # Nothing else raises here: a signal handler raised between the
            # C call and our own Python code.  RustNotify says 'signal'.
            signalled = True

        if outcome and outcome[0][0] == Watchfiles.WatchResult.CHANGES:
            batch = outcome[0][1]
            if not isinstance(batch, set):
                batch = {(int(c.get_change()), c.get_path()) for c in batch}
            if carried:
                batch |= carried
                carried.clear()
            if signalled:
                self._wf_carried = batch
                return 'signal'
            return batch
        if checker is not None and checker.error is not None:
            raise checker.error
        if error is not None:
            raise error
        if signalled or not outcome:
            return 'signal'
        result = outcome[0][0]
        if result == Watchfiles.WatchResult.SIGNAL:
            return 'signal'
        if result == Watchfiles.WatchResult.STOP:
            return 'stop'
        if carried:
            batch = set(carried)
            carried.clear()
            return batch
        return 'timeout'

    def close(self):
        """Stops watching; idempotent.  A later watch() raises RuntimeError."""
        Watchfiles.Notify.close(self)
        pipe = self.__dict__.get('_wf_wakeup')
        if pipe is not None:
            pipe.close()

    @property
    def status(self):
        """A Watchfiles.Status snapshot of what the watcher is doing now:
        backend_name, roots, n_directories, n_polled_directories, polled
        (a list of (path, Watchfiles.PollReason)), n_rescans, n_unwatched."""
        return self.get_status()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        description = self.describe()
        if description == 'None' or self.is_closed():
            return 'RustNotify(None)'
        backend = self.get_status().get_backend_name()
        variant = 'Poll' if backend == 'poll' else 'Recommended'
        return f'RustNotify({variant}(\n{_pretty_debug(description, backend)}))'


Notify = override(Notify)
__all__.append('Notify')


# --- Status: attributes rather than getters ---

Status = Watchfiles.Status
Status.backend_name = property(Status.get_backend_name, doc="The backend's name: 'inotify', 'poll', ...")
Status.roots = property(lambda self: list(self.get_roots()), doc='The watched paths, as given.')
Status.n_directories = property(Status.get_n_directories, doc='Directories watched (native) or scanned (poll).')
Status.n_polled_directories = property(Status.get_n_polled_directories,
                                       doc='Directories a native backend polls instead of, or besides, watching.')
Status.polled = property(lambda self: [(path, self.get_polled_reason(i))
                                       for i, path in enumerate(self.get_polled_subtrees())],
                         doc='The polled subtrees, as (path, Watchfiles.PollReason) pairs.')
Status.n_rescans = property(Status.get_n_rescans, doc='Times the backend lost sync and rescanned.')
Status.n_unwatched = property(Status.get_n_unwatched, doc='Directories skipped after errors.')
Status.__repr__ = lambda self: (f'Status(backend_name={self.backend_name!r}, roots={self.roots!r}, '
                                f'n_directories={self.n_directories}, '
                                f'n_polled_directories={self.n_polled_directories}, polled={self.polled!r}, '
                                f'n_rescans={self.n_rescans}, n_unwatched={self.n_unwatched})')
__all__.append('Status')


# --- Change and FileChange (watchfiles.main) ---

# watchfiles' Change is an IntEnum, and what its users do with it
# (list(Change), len(Change), `in`, Change['added'], Change(1)) needs the
# enum metaclass.  The GI enum class cannot have one: its metaclass is
# `type`, which an immutable type's __class__ cannot leave.  So Change is a
# plain enum.IntEnum with WfChange's values, and everything this override
# hands out (watch(), awatch(), FileChange.get_change(), the filters'
# arguments) is one of its members.  The GI class stays what PyGObject
# marshals WfChange through: reading it here creates it, before any call
# could look the class up by name and find this one instead.
_GI_CHANGE = Watchfiles.Change


class Change(enum.IntEnum):
    """Enum representing the type of change that occurred (watchfiles'
    Change): added, modified or deleted, equal to 1, 2 and 3 as
    WF_CHANGE_ADDED, WF_CHANGE_MODIFIED and WF_CHANGE_DELETED.  The GI
    names (Change.ADDED, ...) are aliases, not members."""

    added = int(_GI_CHANGE.ADDED)
    """A new file or directory was added."""
    modified = int(_GI_CHANGE.MODIFIED)
    """A file or directory was modified, can be either a metadata or data change."""
    deleted = int(_GI_CHANGE.DELETED)
    """A file or directory was deleted."""

    def raw_str(self):
        """The member's name: 'added', 'modified' or 'deleted'."""
        return self.name

    @property
    def value_nick(self):
        """The GEnum nick, which is the member's name."""
        return self.name

    @property
    def value_name(self):
        """The C name: 'WF_CHANGE_ADDED', ..."""
        return f'WF_CHANGE_{self.name.upper()}'


for _member in Change:
    # Plain class attributes: __members__ and list(Change) stay watchfiles'.
    setattr(Change, _member.name.upper(), _member)
del _member
__all__.append('Change')


class FileChange(Watchfiles.FileChange):
    """One change of the C API; it also behaves as watchfiles' FileChange,
    the tuple (Change, path)."""

    def get_change(self):
        """The kind of change, a member of Change."""
        return Change(Watchfiles.FileChange.get_change(self))

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


def _open_notify(paths, watch_filter, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied,
                 state_file=None):
    watch_paths = [_path_arg(p) for p in paths]
    rules = _ignore_rules_for(watch_filter, _fsencode_paths(watch_paths))
    return Notify(watch_paths, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied,
                  ignore_rules=rules, state_file=state_file)


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


def _filtered_batch(raw_changes, watch_filter):
    """The batch watch() and awatch() yield, logged; empty (and said in
    debug output) when the filter drops every change."""
    changes = _prep_changes(raw_changes, watch_filter)
    if changes:
        _log_changes(changes)
    else:
        logger.debug('all changes filtered out, raw_changes=%s', raw_changes)
    return changes


_DEFAULT_FILTER = DefaultFilter()


def watch(*paths, watch_filter=_DEFAULT_FILTER, debounce=1_600, step=50, stop_event=None, rust_timeout=5_000,
          yield_on_timeout=False, debug=None, raise_interrupt=True, force_polling=None, poll_delay_ms=300,
          recursive=True, ignore_permission_denied=None, state_file=None):
    """Watches one or more paths and yields a set of changes whenever files
    change: watchfiles.watch() on Watchfiles.Notify.

    The paths can be directories or files; directories are watched
    recursively unless recursive is False.  Ignored directories of a
    DefaultFilter or PythonFilter (its ignore_dirs and ignore_paths) are
    not even watched: the C side skips them before spending a watch.

    Force polling: Notify polls when kernel notifications cannot be used;
    force_polling=True polls always.  If force_polling is None, polling is
    forced when the WATCHFILES_FORCE_POLLING environment variable is set
    and not empty, unless it is 'false', 'disable' or 'disabled'; without
    the variable, only on WSL2.  When the WATCHFILES_POLL_DELAY_MS
    variable is set and decimal it replaces poll_delay_ms.

    Args:
        *paths: file system paths to watch (str, bytes or os.PathLike).
        watch_filter: callable(change, path) -> bool deciding which changes
            count, e.g. a BaseFilter instance; defaults to a DefaultFilter.
            None keeps every change.
        debounce: longest time in milliseconds a batch of changes grows
            before it is yielded.
        step: time in milliseconds without a new change that ends a batch
            (once at least one change was seen).
        stop_event: stops the generator once set: anything with an
            is_set() method returning a bool (e.g. threading.Event()),
            called once a step on this thread; or a Gio.Cancellable, which
            stops the wait at once.
        rust_timeout: longest time in milliseconds one wait of the C side
            lasts while nothing is pending; 0 means no timeout.
        yield_on_timeout: if True, an empty set is yielded when such a wait
            times out.
        debug: whether to print every raw event and change to stderr; None
            uses the WATCHFILES_DEBUG environment variable.
        raise_interrupt: whether Ctrl+C (a KeyboardInterrupt during the
            wait) is raised, or ends the iteration quietly with a warning.
        force_polling: see "Force polling" above.
        poll_delay_ms: delay between polls in milliseconds, when polling.
        recursive: if True, changes in subdirectories are reported too;
            otherwise only the top-level directory's.
        ignore_permission_denied: if True, paths that cannot be read are
            skipped instead of raising; None uses the
            WATCHFILES_IGNORE_PERMISSION_DENIED environment variable.
        state_file: a path (str or PathLike) where the state of the paths
            is kept: the first batch after a restart then holds what
            changed while the program was down (see changes_since()).  It
            is written when the generator ends, with whatever was not
            yielded yet kept as changed; a first run writes it at once.

    Yields:
        Sets of (Change, path) tuples, path a str (os.fsdecode).

    Raises:
        FileNotFoundError, PermissionError, OSError: as Notify() does for a
            path that cannot be watched.
        StateFileError: for a state_file that cannot be used.
        KeyboardInterrupt: on Ctrl+C, if raise_interrupt.

    Example:
        for changes in Watchfiles.watch('./first/dir', './second/dir', raise_interrupt=False):
            print(changes)
    """
    force_polling = _default_force_polling(force_polling)
    poll_delay_ms = _default_poll_delay_ms(poll_delay_ms)
    ignore_permission_denied = _default_ignore_permission_denied(ignore_permission_denied)
    debug = _default_debug(debug)
    with _open_notify(paths, watch_filter, debug, force_polling, poll_delay_ms, recursive,
                      ignore_permission_denied, state_file) as watcher:
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
                changes = _filtered_batch(raw_changes, watch_filter)
                if changes:
                    yield changes


class _EitherStop:
    """is_set() of the caller's stop_event or of awatch's own event."""

    __slots__ = '_own', '_other'

    def __init__(self, own, other):
        self._own = own
        self._other = other

    def is_set(self):
        return self._own.is_cancelled() or bool(self._other.is_set())


def _import_anyio():
    # Imported on first use: the override serves every PyGObject user of
    # Watchfiles, and only awatch() and arun_process() need anyio.
    try:
        import anyio
        import anyio.to_thread
    except ImportError as exc:
        raise ImportError(f'Watchfiles.awatch() and arun_process() need anyio (Debian: python3-anyio): {exc}') from exc
    return anyio


async def awatch(*paths, watch_filter=_DEFAULT_FILTER, debounce=1_600, step=50, stop_event=None,
                 rust_timeout=None, yield_on_timeout=False, debug=None, raise_interrupt=None, force_polling=None,
                 poll_delay_ms=300, recursive=True, ignore_permission_denied=None, state_file=None):
    """Asynchronous equivalent of watch(): watchfiles.awatch() on
    Watchfiles.Notify, for any event loop anyio runs on (asyncio, trio).

    Each wait runs in a worker thread (anyio.to_thread.run_sync) under a
    capacity limiter of its own, so idle watchers never use up anyio's
    default pool of 40.  Cancelling the task, or KeyboardInterrupt, ends
    that wait at once (watchfiles waits up to rust_timeout, #162) and the
    watcher is closed only after the worker has left it.

    Args:
        *paths: as watch().
        watch_filter: as watch().
        debounce: as watch().
        step: as watch().
        stop_event: stops the generator once set: an anyio.Event,
            asyncio.Event, trio.Event or anything with an is_set() method,
            called once a step from the worker thread.
        rust_timeout: as watch(), but None means 5_000 (1_000 on Windows).
        yield_on_timeout: as watch().
        debug: as watch().
        raise_interrupt: deprecated, as in watchfiles: KeyboardInterrupt
            cancels the task and is raised by asyncio.run() or its
            equivalent; any value other than None warns.
        force_polling: as watch().
        poll_delay_ms: as watch().
        recursive: as watch().
        ignore_permission_denied: as watch().
        state_file: as watch().

    Yields:
        Sets of (Change, path) tuples, path a str.

    Raises:
        RuntimeError: if the worker thread's wait says 'signal', which a
            worker thread never should.
        ImportError: without anyio.

    Example:
        async def main():
            async for changes in Watchfiles.awatch('/path/to/dir'):
                print(changes)

        anyio.run(main)  # or asyncio.run(main()), or trio.run(main)
    """
    anyio = _import_anyio()
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
    limiter = anyio.CapacityLimiter(1)

    with _open_notify(paths, watch_filter, debug, force_polling, poll_delay_ms, recursive,
                      ignore_permission_denied, state_file) as watcher:
        while True:
            # A cancellable per call: the C wait returns as soon as it is
            # cancelled; `left` says the worker is out of watcher.watch().
            own_stop = Gio.Cancellable()
            stop = own_stop if stop_event is None else _EitherStop(own_stop, stop_event)
            left = threading.Event()

            def wait_in_worker(stop=stop, left=left):
                try:
                    return watcher.watch(debounce, step, timeout, stop)
                finally:
                    left.set()

            try:
                raw_changes = await anyio.to_thread.run_sync(wait_in_worker, cancellable=True, limiter=limiter)
            except BaseException:
                # Cancelled (or interrupted): the worker was let go; end its
                # wait and let it leave before the watcher is closed.
                own_stop.cancel()
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(left.wait)
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
                changes = _filtered_batch(raw_changes, watch_filter)
                if changes:
                    yield changes


__all__ += ['watch', 'awatch']


def changes_since(*paths, state_file, watch_filter=_DEFAULT_FILTER, recursive=True, follow_symlinks=True,
                  ignore_permission_denied=None, update=True):
    """What changed below the paths since state_file was written, as the
    set watch() yields: (Change, path) tuples, the same rules as a watcher
    running all along (a directory that came or went with everything below
    it; a rename as deleted plus added), filtered by watch_filter.  No
    watcher runs: the paths are read once.

    state_file is written by changes_since() itself (with update=True, the
    default: the next call reports what changed after this one), by
    watch() or awatch() with the same state_file, by Watchfiles.state_save()
    or by `watchfiles --since`.  When it does not exist yet, the result is
    empty and (with update) it is written: the first run.

    The paths, recursive, follow_symlinks and the directories and paths
    that watch_filter ignores (a DefaultFilter's ignore_dirs and
    ignore_paths) are part of the state: a state saved for others raises
    StateFileError, as does a damaged one; the file is then left as it is.

    Example:
        for change, path in Watchfiles.changes_since('src', state_file='.src.state'):
            rebuild(path)
    """
    if not paths:
        raise TypeError('changes_since() needs at least one path')
    encoded = _fsencode_paths([_path_arg(p) for p in paths])
    state = _fsencode_path(state_file)
    rules = _ignore_rules_for(watch_filter, encoded)
    flags = Watchfiles.StateFlags.ALLOW_MISSING
    if update:
        flags |= Watchfiles.StateFlags.UPDATE
    if not _bool(recursive):
        flags |= Watchfiles.StateFlags.NON_RECURSIVE
    if not _bool(follow_symlinks):
        flags |= Watchfiles.StateFlags.NO_FOLLOW_SYMLINKS
    if _default_ignore_permission_denied(ignore_permission_denied):
        flags |= Watchfiles.StateFlags.IGNORE_PERMISSION_DENIED
    try:
        found = Watchfiles.state_changes_since(state, encoded, flags, rules)
    except GLib.Error as err:
        raise _constructor_error(err, encoded) from None
    return _prep_changes(((int(c.get_change()), c.get_path()) for c in found), watch_filter)


__all__.append('changes_since')


# --- run_process and arun_process (watchfiles.run) ---
#
# As watchfiles' run.py, with one difference: the target runs in a process
# group of its own and stopping signals the whole group, so a grandchild
# (`sh -c 'server'`) never outlives a restart.  The group is set on both
# sides of the start (by the parent, and by the child first thing), as
# shells do, so no signal can reach only the leader.

def detect_target_type(target):
    """Whether run_process() runs target as a 'function' or a 'command'
    when target_type is 'auto', as watchfiles decides: a target that is not
    a str is a function; a str ending in .py or .sh is a command; a str
    matching [a-zA-Z0-9_]+(\\.[a-zA-Z0-9_]+)+ is the dotted path of a
    function; anything else is a command.

    Args:
        target: the target of run_process().

    Returns:
        'function' or 'command'.
    """
    if not isinstance(target, str):
        return 'function'
    if target.endswith(('.py', '.sh')):
        return 'command'
    if re.fullmatch(r'[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)+', target):
        return 'function'
    return 'command'


def _tty_path():
    try:
        return os.ttyname(sys.stdin.fileno())
    except OSError:
        return '/dev/tty'  # pytest's stdin has no fileno()
    except (AttributeError, ValueError):
        return None


def _group_has_members(pgid):
    """Whether any process other than a zombie is left in the group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir('/proc')
    except OSError:
        return True  # not Linux: killpg's answer
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', 'rb') as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b')') + 2:].split()
        if int(fields[2]) == pgid and fields[0] != b'Z':
            return True
    return False


class _CombinedProcess:
    """The target's process (multiprocessing spawn Process or Popen), the
    leader of its own process group."""

    def __init__(self, process):
        self._p = process
        self._pid = process.pid  # kept: a closed Process forgets it, and its exit code
        self._exitcode = None
        self._released = False
        assert self._pid is not None, 'process not yet spawned'
        try:
            os.setpgid(self.pid, self.pid)
        except OSError:
            pass  # the child did it first, or has exec'd after doing it

    @property
    def pid(self):
        return self._pid

    @property
    def exitcode(self):
        if isinstance(self._p, subprocess.Popen):
            return self._p.poll()
        if self._exitcode is None and not self._released:
            self._exitcode = self._p.exitcode
        return self._exitcode

    def is_alive(self):
        return self.exitcode is None

    def _signal_group(self, signum):
        try:
            os.killpg(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
        # A target that left the group (os.setsid()) is signalled on its
        # own; what it started in its new session is its business, as a
        # daemon's.
        if self.is_alive():
            try:
                if os.getpgid(self.pid) != self.pid:
                    os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def _wait(self, timeout):
        """Waits for the leader to end and then its group to empty; True
        when both did within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(self._p, subprocess.Popen):
                try:
                    self._p.wait(max(0.0, min(0.02, deadline - time.monotonic())))
                except subprocess.TimeoutExpired:
                    pass
            else:
                self._p.join(max(0.0, min(0.02, deadline - time.monotonic())))
            if not self.is_alive() and not _group_has_members(self.pid):
                return True
            if time.monotonic() >= deadline:
                return False
            if not self.is_alive():
                time.sleep(0.02)

    def stop(self, sigint_timeout=5, sigkill_timeout=1):
        """SIGINT to the group; after sigint_timeout seconds with the leader
        or any member still there, SIGKILL to the group and a wait of
        sigkill_timeout.  WATCHFILES_CHANGES is removed."""
        os.environ.pop('WATCHFILES_CHANGES', None)
        try:
            if self.is_alive():
                logger.debug('stopping process...')
            else:
                logger.warning('process already dead, exit code: %d', self.exitcode)
                if not _group_has_members(self.pid):
                    return
            self._signal_group(signal.SIGINT)
            if self._wait(sigint_timeout):
                logger.debug('process stopped')
                return
            logger.warning('SIGINT timed out after %r seconds', sigint_timeout)
            logger.warning('process has not terminated, sending SIGKILL')
            self._signal_group(signal.SIGKILL)
            self._wait(sigkill_timeout)
        finally:
            # A spawned Process keeps its sentinel pipe until closed.
            if not isinstance(self._p, subprocess.Popen) and not self._released and not self.is_alive():
                self._released = True
                self._p.close()


def _start_process(target, target_type, args, kwargs, changes=None):
    if changes is None:
        changes_env_var = '[]'
    else:
        import json
        changes_env_var = json.dumps([[c.raw_str(), p] for c, p in changes])
    os.environ['WATCHFILES_CHANGES'] = changes_env_var

    if target_type == 'function':
        import multiprocessing
        kwargs = kwargs or {}
        process = multiprocessing.get_context('spawn').Process(
            target=_watchfiles_run.run_function, args=(target, _tty_path() if isinstance(target, str) else None, args, kwargs))
        process.start()
    else:
        if args or kwargs:
            logger.warning('ignoring args and kwargs for "command" target')
        assert isinstance(target, str), 'target must be a string to run as a command'
        import shlex
        if sys.version_info >= (3, 11):
            process = subprocess.Popen(shlex.split(target), process_group=0)
        else:
            process = subprocess.Popen(shlex.split(target), preexec_fn=os.setpgrp)
    return _CombinedProcess(process)


def _raise_keyboard_interrupt(signum, frame):
    logger.warning('received signal %s, raising KeyboardInterrupt', signal.Signals(signum))
    raise KeyboardInterrupt


def _catch_sigterm():
    # SIGTERM (docker stop) ends run_process() as Ctrl+C does, stopping the
    # target; only the main thread may install handlers.
    if threading.current_thread() is threading.main_thread():
        logger.debug('registering handler for SIGTERM on watchfiles process %d', os.getpid())
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def run_process(*paths, target, args=(), kwargs=None, target_type='auto', callback=None,
                watch_filter=_DEFAULT_FILTER, grace_period=0, debounce=1_600, step=50, debug=None,
                sigint_timeout=5, sigkill_timeout=1, recursive=True, ignore_permission_denied=False):
    """Runs a process and restarts it whenever files change, as
    watchfiles.run_process(): a Python function in a new interpreter
    (multiprocessing's spawn context), or a command (subprocess.Popen of
    shlex.split(target)).

    The process runs in a process group of its own, and stopping it signals
    the whole group: SIGINT, then SIGKILL if the process or any other
    member of the group (a grandchild) is still there after sigint_timeout.
    No grandchild outlives a restart.  The group is not the terminal's
    foreground group: Ctrl+C reaches this process, which then stops the
    target's group; a target reading the terminal is stopped by SIGTTIN.

    The target finds the changes that caused its start in the
    WATCHFILES_CHANGES environment variable, as JSON:
    [["added", "/path"], ...], and '[]' at the first start.

    Internally run_process() uses watch() with raise_interrupt=False, so
    Ctrl+C (or SIGTERM, turned into KeyboardInterrupt while it runs) stops
    the target and returns.  As in watchfiles, the watch begins after the
    target first starts (and after grace_period): a change made before
    that is not seen.  The `watchfiles` command watches first.

    Args:
        *paths: as watch().
        target: the function (or the dotted path of one, 'pkg.mod.func')
            or the command line to run.
        args: positional arguments of a function target.
        kwargs: keyword arguments of a function target.
        target_type: 'function', 'command', or 'auto' for
            detect_target_type(target).
        callback: called with each set of changes before the restart.
        watch_filter: as watch(); a DefaultFilter by default.
        grace_period: seconds after the first start before changes are
            watched for (changes meanwhile are not seen).
        debounce: as watch().
        step: as watch().
        debug: as watch().
        sigint_timeout: seconds to wait after SIGINT before SIGKILL.
        sigkill_timeout: seconds to wait after SIGKILL.
        recursive: as watch().
        ignore_permission_denied: as watch(), but False by default: the
            environment variable is not read, as in watchfiles.

    Returns:
        The number of times the target was reloaded.

    Example:
        def foobar(a, b):
            print('foobar called with:', a, b, os.getenv('WATCHFILES_CHANGES'))

        if __name__ == '__main__':
            Watchfiles.run_process('./path/to/dir', target=foobar, args=(1, 2))
            Watchfiles.run_process('.', target='./example.sh')
    """
    if target_type == 'auto':
        target_type = detect_target_type(target)
    logger.debug('running "%s" as %s', target, target_type)
    _catch_sigterm()
    process = _start_process(target, target_type, args, kwargs)
    reloads = 0
    try:
        if grace_period:
            logger.debug('sleeping for %s seconds before watching for changes', grace_period)
            time.sleep(grace_period)
        for changes in watch(*paths, watch_filter=watch_filter, debounce=debounce, step=step, debug=debug,
                             raise_interrupt=False, recursive=recursive,
                             ignore_permission_denied=ignore_permission_denied):
            if callback is not None:
                callback(changes)
            process.stop(sigint_timeout=sigint_timeout, sigkill_timeout=sigkill_timeout)
            process = _start_process(target, target_type, args, kwargs, changes)
            reloads += 1
    finally:
        process.stop(sigint_timeout=sigint_timeout, sigkill_timeout=sigkill_timeout)
    return reloads


async def arun_process(*paths, target, args=(), kwargs=None, target_type='auto', callback=None,
                       watch_filter=_DEFAULT_FILTER, grace_period=0, debounce=1_600, step=50, debug=None,
                       recursive=True, ignore_permission_denied=False, sigint_timeout=5, sigkill_timeout=1):
    """Asynchronous equivalent of run_process(), as
    watchfiles.arun_process(), for any event loop anyio runs on: the same
    arguments, but callback may be a coroutine function.  Starting and
    stopping the process run in worker threads, and the changes come from
    awatch().

    Unlike watchfiles', the target is stopped (in its whole process group)
    also when the task is cancelled or interrupted, and sigint_timeout and
    sigkill_timeout (keyword-only here, 5 and 1 s) are accepted.
    KeyboardInterrupt is not swallowed: it cancels the task and is raised
    by asyncio.run() or its equivalent, where it should be caught.

    Args:
        *paths: as watch().
        target: as run_process().
        args: as run_process().
        kwargs: as run_process().
        target_type: as run_process().
        callback: called (and awaited if it returns an awaitable) with each
            set of changes before the restart.
        watch_filter: as watch().
        grace_period: seconds after the first start before changes are
            watched for.
        debounce: as watch().
        step: as watch().
        debug: as watch().
        recursive: as watch().
        ignore_permission_denied: as run_process().
        sigint_timeout: as run_process().
        sigkill_timeout: as run_process().

    Returns:
        The number of times the target was reloaded.

    Example:
        async def main():
            await Watchfiles.arun_process('.', target=foobar, args=(1, 2), callback=callback)

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            print('stopped via KeyboardInterrupt')
    """
    import inspect
    anyio = _import_anyio()
    if target_type == 'auto':
        target_type = detect_target_type(target)
    logger.debug('running "%s" as %s', target, target_type)
    _catch_sigterm()
    process = await anyio.to_thread.run_sync(_start_process, target, target_type, args, kwargs)
    reloads = 0
    try:
        if grace_period:
            logger.debug('sleeping for %s seconds before watching for changes', grace_period)
            await anyio.sleep(grace_period)
        async for changes in awatch(*paths, watch_filter=watch_filter, debounce=debounce, step=step, debug=debug,
                                    recursive=recursive, ignore_permission_denied=ignore_permission_denied):
            if callback is not None:
                result = callback(changes)
                if inspect.isawaitable(result):
                    await result
            await anyio.to_thread.run_sync(process.stop, sigint_timeout, sigkill_timeout)
            process = await anyio.to_thread.run_sync(_start_process, target, target_type, args, kwargs, changes)
            reloads += 1
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(process.stop, sigint_timeout, sigkill_timeout)
    return reloads


__all__ += ['run_process', 'arun_process', 'detect_target_type', 'import_string']


# --- VERSION (watchfiles.VERSION) ---
# Kept apart, and only if not defined above, so that another definition
# merges in without a conflict.
if 'VERSION' not in globals():
    VERSION = __version__
    __all__.append('VERSION')
