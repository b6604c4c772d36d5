# SPDX-License-Identifier: MIT
# test_filters.py: BaseFilter, DefaultFilter and PythonFilter with
# watchfiles' exact semantics (spec 2.5), and Change / FileChange.
import os
import re

import pytest
from gi.repository import Watchfiles

Change = Watchfiles.Change


@pytest.mark.parametrize('path,expected', [
    ('/a/b/foo.txt', True),
    ('/a/.git/foo.txt', False),
    ('/a/node_modules/x/y.js', False),
    ('/.venv/lib/x.py', False),
    ('/a/.mypy_cache', False),
    ('/a/.pytest_cache/v', False),
    ('/a/.hypothesis/x', False),
    ('/a/site-packages/x.py', True),  # no longer in the list (#249)
    ('/a/foo.pyc', False),
    ('/a/foo.pyo', False),
    ('/a/foo.py', True),
    ('/a/.foo.swp', False),
    ('/a/foo.txt~', False),
    ('/a/foo~/bar.txt', True),  # entity patterns look at the last name only
    ('/a/.#foo.txt', False),
    ('/a/.DS_Store', False),
    ('/a/flycheck_foo.py', False),
    ('/a/foo.___jb_old___', False),
])
def test_default_filter(path, expected):
    assert Watchfiles.DefaultFilter()(Change.modified, path) is expected


def test_default_filter_lists():
    assert Watchfiles.DefaultFilter.ignore_dirs == (
        '__pycache__', '.git', '.hg', '.svn', '.tox', '.venv', '.idea', 'node_modules', '.mypy_cache',
        '.pytest_cache', '.hypothesis')
    assert len(Watchfiles.DefaultFilter.ignore_entity_patterns) == 7


def test_ignore_paths_plain_prefix():
    f = Watchfiles.DefaultFilter(ignore_paths=['/a/b'])
    assert not f(Change.added, '/a/b/c.txt')
    assert not f(Change.added, '/a/bc')
    assert f(Change.added, '/a/c')


def test_overrides():
    f = Watchfiles.DefaultFilter(ignore_dirs=['x'], ignore_entity_patterns=[r'\.txt$'])
    assert not f(Change.added, '/x/y.py')
    assert f(Change.added, '/.git/y.py')
    assert not f(Change.added, '/a/y.txt')


def test_base_filter_subclass():
    class MyFilter(Watchfiles.BaseFilter):
        ignore_dirs = ('build',)
        ignore_entity_patterns = (r'^tmp',)
        ignore_paths = ('/skip',)

    f = MyFilter()
    assert not f(Change.added, '/p/build/x')
    assert not f(Change.added, '/p/tmpfile')
    assert not f(Change.added, '/skip/me')
    assert f(Change.added, '/p/src/x')
    assert Watchfiles.BaseFilter()(Change.added, '/.git/x')


def test_base_filter_slots():
    f = Watchfiles.BaseFilter()
    with pytest.raises(AttributeError):
        f.other = 1
    assert Watchfiles.BaseFilter.__slots__ == ('_ignore_dirs', '_ignore_entity_regexes', '_ignore_paths')


def test_repr():
    r = repr(Watchfiles.DefaultFilter(ignore_paths=['/x']))
    assert r.startswith("DefaultFilter(_ignore_dirs={")
    assert "_ignore_entity_regexes=(re.compile('\\\\.py[cod]$')" in r
    assert r.endswith("_ignore_paths=('/x',))")
    assert repr(Watchfiles.BaseFilter()) == 'BaseFilter(_ignore_dirs=set(), _ignore_entity_regexes=(), _ignore_paths=())'


def test_python_filter():
    f = Watchfiles.PythonFilter(ignore_paths=['/ignored'], extra_extensions=('.html',))
    assert f.extensions == ('.py', '.pyx', '.pyd', '.html')
    assert f(Change.added, '/a/x.py')
    assert f(Change.added, '/a/x.pyx')
    assert f(Change.added, '/a/x.html')
    assert not f(Change.added, '/a/x.txt')
    assert not f(Change.added, '/a/.git/x.py')
    assert not f(Change.added, '/ignored/x.py')


def test_path_object_in_ignore_paths(tmp_path):
    f = Watchfiles.DefaultFilter(ignore_paths=[tmp_path])
    assert not f(Change.added, str(tmp_path / 'x'))


def test_change():
    assert (Change.added, Change.modified, Change.deleted) == (1, 2, 3)
    assert Change.added is Change.ADDED
    assert Change(2) is Change.modified
    assert [c.raw_str() for c in (Change.added, Change.modified, Change.deleted)] == ['added', 'modified', 'deleted']
    assert Change.deleted.name == 'deleted'
    assert isinstance(Change.added, int)
    assert {(Change.added, 'x')} == {(1, 'x')}


def test_file_change_is_a_tuple_too():
    fc = Watchfiles.FileChange.new(Change.deleted, '/x/y')
    change, path = fc
    assert (change, path) == (Change.deleted, '/x/y')
    assert fc == (3, '/x/y')
    assert fc[1] == '/x/y' and len(fc) == 2
    assert hash(fc) == hash((3, '/x/y'))
    assert repr(fc) == "FileChange(<Change.deleted: 3>, '/x/y')"
    assert fc.get_change() == Change.deleted


def test_exports():
    for name in ('Notify', 'WatchfilesRustInternalError', 'Change', 'FileChange', 'BaseFilter', 'DefaultFilter',
                 'PythonFilter', 'watch', 'awatch', 'VERSION', '__version__'):
        assert hasattr(Watchfiles, name), name
    assert os.sep == '/'
