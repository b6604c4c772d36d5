# SPDX-License-Identifier: MIT
# test_state.py: changes_since() and the state_file of watch() and awatch():
# the set watch() yields, of what changed while nothing watched; the first
# run; filters as part of the state; StateFileError for every file that
# cannot be used, the file left as it is.
import asyncio
import os
import subprocess
import sys

import pytest
from gi.repository import Watchfiles

from conftest import CHILD_IMPORTS

Change = Watchfiles.Change


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'tree'
    (root / 'd' / 'e').mkdir(parents=True)
    (root / 'a.txt').write_text('a')
    (root / 'd' / 'b.txt').write_text('b')
    (root / 'd' / 'e' / 'c.txt').write_text('c')
    return root


def test_first_run_then_changes(tree, tmp_path):
    state = tmp_path / 'state'
    assert Watchfiles.changes_since(tree, state_file=state) == set()
    assert state.exists()
    (tree / 'a.txt').write_text('changed')
    (tree / 'new').mkdir()
    (tree / 'new' / 'f.txt').write_text('f')
    (tree / 'd' / 'e' / 'c.txt').unlink()
    assert Watchfiles.changes_since(tree, state_file=state) == {
        (Change.modified, str(tree / 'a.txt')),
        (Change.added, str(tree / 'new')),
        (Change.added, str(tree / 'new' / 'f.txt')),
        (Change.deleted, str(tree / 'd' / 'e' / 'c.txt')),
    }
    assert Watchfiles.changes_since(tree, state_file=state) == set()


def test_no_update_keeps_state(tree, tmp_path):
    state = tmp_path / 'state'
    Watchfiles.changes_since(tree, state_file=state)
    (tree / 'x').write_text('x')
    expected = {(Change.added, str(tree / 'x'))}
    assert Watchfiles.changes_since(tree, state_file=state, update=False) == expected
    assert Watchfiles.changes_since(tree, state_file=state) == expected


def test_filter(tree, tmp_path):
    state = tmp_path / 'state'
    Watchfiles.changes_since(tree, state_file=state)
    (tree / 'node_modules').mkdir()
    (tree / 'node_modules' / 'm.js').write_text('m')
    (tree / 'x.pyc').write_text('x')
    (tree / 'y.py').write_text('y')
    assert Watchfiles.changes_since(tree, state_file=state) == {(Change.added, str(tree / 'y.py'))}


def test_the_filter_is_part_of_the_state(tree, tmp_path):
    state = tmp_path / 'state'
    Watchfiles.changes_since(tree, state_file=state)
    before = state.read_bytes()
    with pytest.raises(Watchfiles.StateFileError, match='other ignore rules') as info:
        Watchfiles.changes_since(tree, state_file=state, watch_filter=Watchfiles.DefaultFilter(ignore_dirs=['x']))
    assert info.value.code == Watchfiles.Error.STATE_MISMATCH
    with pytest.raises(Watchfiles.StateFileError, match='other roots'):
        Watchfiles.changes_since(tree / 'd', state_file=state)
    with pytest.raises(Watchfiles.StateFileError, match='recursive'):
        Watchfiles.changes_since(tree, state_file=state, recursive=False)
    assert state.read_bytes() == before


@pytest.mark.parametrize('damage', ['truncated', 'flipped', 'foreign', 'future'])
def test_bad_state(tree, tmp_path, damage):
    state = tmp_path / 'state'
    Watchfiles.changes_since(tree, state_file=state)
    data = bytearray(state.read_bytes())
    if damage == 'truncated':
        data = data[:len(data) // 2]
    elif damage == 'flipped':
        data[-1] ^= 0x10
    elif damage == 'foreign':
        data = bytearray(b'{"a": 1}\n')
    else:
        import zlib
        data[8] = 7
        data[28:32] = zlib.crc32(bytes(data[:28])).to_bytes(4, 'little')
    state.write_bytes(bytes(data))
    with pytest.raises(Watchfiles.StateFileError) as info:
        Watchfiles.changes_since(tree, state_file=state)
    expected = Watchfiles.Error.STATE_VERSION if damage == 'future' else Watchfiles.Error.STATE_INVALID
    assert info.value.code == expected
    assert state.read_bytes() == bytes(data)


def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError):
        Watchfiles.changes_since(tmp_path / 'nope', state_file=tmp_path / 'state')


def test_saved_by_another_process(tree, tmp_path):
    state = tmp_path / 'state'
    code = CHILD_IMPORTS + f'Watchfiles.changes_since({str(tree)!r}, state_file={str(state)!r})\n'
    subprocess.run([sys.executable, '-c', code], check=True)
    (tree / 'd' / 'b.txt').unlink()
    assert Watchfiles.changes_since(tree, state_file=state) == {(Change.deleted, str(tree / 'd' / 'b.txt'))}


def first_batch(tree, state):
    for changes in Watchfiles.watch(tree, state_file=state, debounce=50, step=10, rust_timeout=500,
                                    yield_on_timeout=True):
        return changes


def test_watch_restart(tree, tmp_path):
    state = tmp_path / 'state'
    assert first_batch(tree, state) == set()
    (tree / 'a.txt').write_text('while down')
    os.rename(tree / 'd', tree / 'd2')
    assert first_batch(tree, state) == {
        (Change.modified, str(tree / 'a.txt')),
        (Change.deleted, str(tree / 'd')), (Change.deleted, str(tree / 'd' / 'b.txt')),
        (Change.deleted, str(tree / 'd' / 'e')), (Change.deleted, str(tree / 'd' / 'e' / 'c.txt')),
        (Change.added, str(tree / 'd2')), (Change.added, str(tree / 'd2' / 'b.txt')),
        (Change.added, str(tree / 'd2' / 'e')), (Change.added, str(tree / 'd2' / 'e' / 'c.txt')),
    }
    # Yielded, then written when the generator ended: nothing new.
    assert Watchfiles.changes_since(tree, state_file=state) == set()


def test_awatch_restart(tree, tmp_path):
    pytest.importorskip('anyio')
    state = tmp_path / 'state'

    async def first():
        async for changes in Watchfiles.awatch(tree, state_file=state, debounce=50, step=10, rust_timeout=500,
                                               yield_on_timeout=True):
            return changes

    assert asyncio.run(first()) == set()
    (tree / 'z.txt').write_text('z')
    assert asyncio.run(first()) == {(Change.added, str(tree / 'z.txt'))}


def test_watch_bad_state(tree, tmp_path):
    state = tmp_path / 'state'
    state.write_bytes(b'WFSTATE')
    with pytest.raises(Watchfiles.StateFileError):
        first_batch(tree, state)
