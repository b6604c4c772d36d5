# SPDX-License-Identifier: MIT
# test_api.py: watchfiles' module-level API on Watchfiles (issue 13 point
# 8): VERSION, RustNotify's text for a missing path, and documentation of
# every argument of watch(), awatch(), run_process() and arun_process().
import inspect
import os
import re

import pytest
from gi.repository import Watchfiles


def test_version():
    assert Watchfiles.VERSION == Watchfiles.__version__
    assert re.fullmatch(r'\d+\.\d+\.\d+', Watchfiles.VERSION)
    if 'WF_VERSION' in os.environ:
        assert Watchfiles.VERSION == os.environ['WF_VERSION']


@pytest.mark.parametrize('force_polling', [False, True])
@pytest.mark.parametrize('recursive', [True, False])
def test_missing_path_message(tmp_path, force_polling, recursive):
    missing = tmp_path / 'missing'
    with pytest.raises(FileNotFoundError) as info:
        Watchfiles.Notify([str(tmp_path), str(missing)], False, force_polling, 0, recursive, False)
    assert str(info.value) == f'No such file or directory (os error 2) about ["{missing}"]'
    assert info.value.errno is None  # built from the text alone, as RustNotify's


def test_missing_path_message_escapes_as_rust(tmp_path):
    missing = os.fsencode(tmp_path) + b'/q"u\\o\te\xff'
    with pytest.raises(FileNotFoundError) as info:
        Watchfiles.Notify([missing], False, False, 0, True, False)
    assert str(info.value) == (f'No such file or directory (os error 2) about ["{tmp_path}/q\\"u\\\\o\\te\\xFF"]')


def test_missing_path_message_through_watch(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'^No such file or directory \(os error 2\) about \[".*/nope"\]$'):
        next(Watchfiles.watch(tmp_path / 'nope'))


@pytest.mark.parametrize('name', ['watch', 'awatch', 'run_process', 'arun_process'])
def test_full_docstrings(name):
    func = getattr(Watchfiles, name)
    doc = inspect.getdoc(func)
    assert doc, name
    for section in ('Args:', 'Example:'):
        assert section in doc, (name, section)
    assert ('Yields:' if 'watch' in name else 'Returns:') in doc
    args = doc.split('Args:', 1)[1]
    for param in inspect.signature(func).parameters.values():
        label = ('*' + param.name) if param.kind is param.VAR_POSITIONAL else param.name
        assert re.search(rf'^\s+{re.escape(label)}: \S', args, re.M), (name, label)
