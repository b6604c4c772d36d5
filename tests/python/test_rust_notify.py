# SPDX-License-Identifier: MIT
# test_rust_notify.py: every case of watchfiles' tests/test_rust_notify.py
# (spec 3.2), run against Watchfiles.Notify through the override, each on
# its own copy of the test_files tree.
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import pytest
from conftest import CHILD_IMPORTS
from gi.repository import Watchfiles

Notify = Watchfiles.Notify


def test_add(test_dir):
    watcher = Notify([str(test_dir)], True, False, 0, True, False)
    (test_dir / 'new_file.txt').write_text('foobar')
    assert watcher.watch(200, 50, 500, None) == {(1, str(test_dir / 'new_file.txt'))}


def test_add_non_recursive(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, False, False)
    (test_dir / 'new_file_non_recursive.txt').write_text('foobar')
    (test_dir / 'dir_a' / 'new_file_non_recursive.txt').write_text('foobar')
    assert watcher.watch(200, 50, 500, None) == {(1, str(test_dir / 'new_file_non_recursive.txt'))}


# RustNotify(Recommended(...)): the native backend, which polling is not.
@pytest.mark.needs_inotify
def test_close(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    assert repr(watcher).startswith('RustNotify(Recommended(\n')
    watcher.close()
    assert repr(watcher) == 'RustNotify(None)'
    with pytest.raises(RuntimeError, match='RustNotify watcher closed'):
        watcher.watch(100, 1, 10, None)


def test_modify_write(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    (test_dir / 'a.txt').write_text('this is new')
    assert watcher.watch(200, 50, 500, None) == {(2, str(test_dir / 'a.txt'))}


def test_modify_write_non_recursive(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, False, False)
    (test_dir / 'a_non_recursive.txt').write_text('this is new')
    (test_dir / 'dir_a' / 'a_non_recursive.txt').write_text('this is new')
    assert watcher.watch(200, 50, 500, None) == {(2, str(test_dir / 'a_non_recursive.txt'))}


def test_modify_chmod(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    (test_dir / 'b.txt').chmod(0o444)
    assert watcher.watch(200, 50, 500, None) == {(2, str(test_dir / 'b.txt'))}


def test_delete(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    (test_dir / 'c.txt').unlink()
    assert watcher.watch(200, 50, 500, None) == {(3, str(test_dir / 'c.txt'))}


def test_delete_non_recursive(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, False, False)
    (test_dir / 'c_non_recursive.txt').unlink()
    (test_dir / 'dir_a' / 'c_non_recursive.txt').unlink()
    assert watcher.watch(200, 50, 500, None) == {(3, str(test_dir / 'c_non_recursive.txt'))}


def test_move_in(test_dir):
    src = test_dir / 'dir_a'
    dst = test_dir / 'dir_b'
    watcher = Notify([str(dst)], False, False, 0, True, False)
    for name in ('a.txt', 'b.txt'):
        (src / name).rename(dst / name)
    assert watcher.watch(200, 50, 500, None) == {(1, str(dst / 'a.txt')), (1, str(dst / 'b.txt'))}


def test_move_out(test_dir):
    src = test_dir / 'dir_a'
    dst = test_dir / 'dir_b'
    watcher = Notify([str(src)], False, False, 0, True, False)
    for name in ('c.txt', 'd.txt'):
        (src / name).rename(dst / name)
    assert watcher.watch(200, 50, 500, None) == {(3, str(src / 'c.txt')), (3, str(src / 'd.txt'))}


def test_move_internal(test_dir):
    src = test_dir / 'dir_a'
    dst = test_dir / 'dir_b'
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    for name in ('e.txt', 'f.txt'):
        (src / name).rename(dst / name)
    assert watcher.watch(200, 50, 500, None) == {
        (3, str(src / 'e.txt')),
        (3, str(src / 'f.txt')),
        (1, str(dst / 'e.txt')),
        (1, str(dst / 'f.txt')),
    }


def test_does_not_exist(tmp_path):
    with pytest.raises(FileNotFoundError):
        Notify([str(tmp_path / 'missing')], False, False, 0, True, False)


def test_does_not_exist_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'(No such file or directory|No path was found\.)'):
        Notify([str(tmp_path / 'missing')], False, False, 0, True, False)


def test_does_not_exist_polling(tmp_path):
    with pytest.raises(FileNotFoundError, match='No such file or directory'):
        Notify([str(tmp_path / 'missing')], False, True, 0, True, False)


def test_rename(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    (test_dir / 'a.txt').rename(test_dir / 'a.new')
    assert watcher.watch(200, 50, 500, None) == {(3, str(test_dir / 'a.txt')), (1, str(test_dir / 'a.new'))}


def test_watch_multiple(tmp_path):
    foo = tmp_path / 'foo'
    foo.mkdir()
    bar = tmp_path / 'bar'
    bar.mkdir()
    watcher = Notify([str(foo), str(bar)], False, False, 0, True, False)
    (tmp_path / 'not_included.txt').write_text('foobar')
    (foo / 'foo.txt').write_text('foobar')
    (bar / 'foo.txt').write_text('foobar')
    changes = watcher.watch(200, 50, 500, None)
    assert (1, str(foo / 'foo.txt')) in changes
    assert (1, str(bar / 'foo.txt')) in changes
    assert not any('not_included.txt' in path for _, path in changes)


def test_wrong_type_event(test_dir, time_taken):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    with time_taken(0, 50), pytest.raises(AttributeError, match="'object' object has no attribute 'is_set'"):
        watcher.watch(100, 1, 500, object())


def test_wrong_type_event_is_set(test_dir):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    event = type('BadEvent', (), {'is_set': 123})()
    with pytest.raises(TypeError, match="'int' object is not callable"):
        watcher.watch(100, 1, 500, event)


class Event:
    def __init__(self, is_set):
        self._is_set = is_set

    def is_set(self):
        return self._is_set


def test_return_timeout(test_dir, time_taken):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    with time_taken(45, 300):
        assert watcher.watch(20, 1, 50, None) == 'timeout'


def test_return_event_set(test_dir, time_taken):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    with time_taken(0, 100):
        assert watcher.watch(100, 1, 500, Event(True)) == 'stop'


def test_return_event_unset(test_dir, time_taken):
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    with time_taken(45, 300):
        assert watcher.watch(20, 1, 50, Event(False)) == 'timeout'


def test_return_debounce_no_timeout(test_dir, time_taken):
    # once a change is pending the timeout no longer counts
    watcher = Notify([str(test_dir)], False, False, 0, True, False)
    (test_dir / 'debounce.txt').write_text('foobar')
    with time_taken(45, 400):
        assert watcher.watch(100, 50, 20, None) == {(1, str(test_dir / 'debounce.txt'))}


def test_rename_multiple_inside(tmp_path):
    d1 = tmp_path / 'd1'
    d1.mkdir()
    for name in ('1.txt', '2.txt', '3.txt'):
        (d1 / name).write_text(name)
    d2 = tmp_path / 'd2'
    d2.mkdir()
    watcher = Notify([str(tmp_path)], False, False, 0, True, False)
    for name in ('1.txt', '2.txt', '3.txt'):
        (d1 / name).rename(d2 / name)
    assert watcher.watch(200, 50, 500, None) == {
        (3, str(d1 / '1.txt')), (3, str(d1 / '2.txt')), (3, str(d1 / '3.txt')),
        (1, str(d2 / '1.txt')), (1, str(d2 / '2.txt')), (1, str(d2 / '3.txt')),
    }


def test_polling(test_dir):
    watcher = Notify([str(test_dir)], True, True, 100, True, False)
    (test_dir / 'test_polling.txt').write_text('foobar')
    changes = watcher.watch(200, 50, 2000, None)
    assert (1, str(test_dir / 'test_polling.txt')) in changes


@pytest.mark.needs_inotify
def test_not_polling_repr(test_dir):
    watcher = Notify([str(test_dir)], False, False, 123, True, False)
    assert repr(watcher).startswith('RustNotify(Recommended(\n')


def test_polling_repr(test_dir):
    watcher = Notify([str(test_dir)], False, True, 123, True, False)
    r = repr(watcher)
    assert r.startswith('RustNotify(Poll(\n    PollWatcher {\n')
    assert 'delay: Some( 123ms, )' in re.sub(r'\s+', ' ', r)


def _permission_denied_dir():
    """A directory the test (or, as root, the user nobody) cannot read."""
    base = tempfile.mkdtemp(prefix='watchfiles-test-python-')
    os.chmod(base, 0o755)
    protected = os.path.join(base, 'protected')
    os.mkdir(protected, 0o700 if os.geteuid() == 0 else 0o000)
    return base, protected


PERMISSION_CHILD = CHILD_IMPORTS + textwrap.dedent('''
    import sys
    path = sys.argv[1]
    Watchfiles.Notify([path], False, False, 0, True, True)
    try:
        Watchfiles.Notify([path], False, False, 0, True, False)
    except PermissionError as e:
        print('PermissionError', e)
    else:
        print('no error')
''')


def test_ignore_permission_denied():
    path = os.environ.get('WATCHFILES_TEST_PERMISSION_DENIED_PATH')
    base = None
    if path is None:
        base, path = _permission_denied_dir()
    try:
        if os.geteuid() == 0:
            # root reads anything: ask the user nobody.
            result = subprocess.run([sys.executable, '-c', PERMISSION_CHILD, path], capture_output=True,
                                    text=True, timeout=60, user=65534, group=65534, extra_groups=[])
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith('PermissionError'), result.stdout
        else:
            Notify([path], False, False, 0, True, True)
            with pytest.raises(PermissionError):
                Notify([path], False, False, 0, True, False)
    finally:
        if base is not None:
            os.chmod(path, 0o700)
            os.rmdir(path)
            os.rmdir(base)


@pytest.mark.parametrize(
    'env_var,arg,expected',
    [
        (None, True, True),
        (None, False, False),
        (None, None, False),
        ('', True, True),
        ('', False, False),
        ('', None, False),
        ('1', True, True),
        ('1', False, False),
        ('1', None, True),
    ],
)
def test_default_ignore_permission_denied(env, mock_notify, env_var, arg, expected):
    if env_var is not None:
        env('WATCHFILES_IGNORE_PERMISSION_DENIED', env_var)
    mock = mock_notify([{(1, 'spam.py')}])
    for _ in Watchfiles.watch('.', ignore_permission_denied=arg):
        pass
    assert mock.instances[0].args[5] is expected
