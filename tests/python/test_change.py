# SPDX-License-Identifier: MIT
# test_change.py: Watchfiles.Change is watchfiles' IntEnum for what its
# users do with it (issue 13 point 8), and every Change the override hands
# out (watch(), awatch(), FileChange, the "changes" signal, the filters'
# arguments) is one of its members.
import asyncio
import enum
import pickle

import pytest
from gi.repository import GLib, Watchfiles

from conftest import HookEvent

Change = Watchfiles.Change


def test_change_is_an_int_enum():
    assert issubclass(Change, enum.IntEnum)
    assert list(Change) == [Change.added, Change.modified, Change.deleted]
    assert len(Change) == 3
    assert [int(c) for c in Change] == [1, 2, 3]
    assert Change(1) is Change.added and Change(3) is Change.deleted
    assert Change['added'] is Change.added and Change['modified'] is Change.modified
    assert Change.added.raw_str() == 'added' and Change.deleted.raw_str() == 'deleted'
    assert Change.modified in Change
    assert list(Change.__members__) == ['added', 'modified', 'deleted']
    assert [c.name for c in Change] == ['added', 'modified', 'deleted']
    with pytest.raises(ValueError):
        Change(4)
    with pytest.raises(KeyError):
        Change['ADDED']  # GI's names are aliases, not members


def test_change_prints_as_watchfiles_change():
    class Reference(enum.IntEnum):
        added = 1
        modified = 2
        deleted = 3
    for ours, theirs in zip(Change, Reference):
        assert str(ours) == str(theirs) and f'{ours:>3}' == f'{theirs:>3}'
        assert repr(ours) == repr(theirs).replace('Reference', 'Change')
    assert pickle.loads(pickle.dumps(Change.deleted)) is Change.deleted


def test_gi_names_and_values():
    assert Change.ADDED is Change.added and Change.MODIFIED is Change.modified and Change.DELETED is Change.deleted
    assert Change.added.value_nick == 'added' and Change.deleted.value_name == 'WF_CHANGE_DELETED'
    # The C library still takes them where a WfChange is asked for.
    fc = Watchfiles.FileChange.new(Change.modified, '/p')
    assert fc.get_change() is Change.modified


def test_watch_yields_members(tmp_path):
    event = HookEvent(on_first_check=lambda: (tmp_path / 'new').write_text('x'))
    for changes in Watchfiles.watch(tmp_path, debounce=50, step=10, watch_filter=None, stop_event=event):
        break
    (change, path), = changes
    assert change is Change.added and type(change) is Change
    assert path == str(tmp_path / 'new')


def test_filter_gets_members(tmp_path):
    seen = []

    def keep(change, path):
        seen.append(type(change))
        return True

    event = HookEvent(on_first_check=lambda: (tmp_path / 'new').write_text('x'))
    for _ in Watchfiles.watch(tmp_path, debounce=50, step=10, watch_filter=keep, stop_event=event):
        break
    assert seen and set(seen) == {Change}


def test_awatch_yields_members(tmp_path):
    async def main():
        event = HookEvent(on_first_check=lambda: (tmp_path / 'new').write_text('x'))
        async for changes in Watchfiles.awatch(tmp_path, debounce=50, step=10, watch_filter=None, stop_event=event):
            return changes

    (change, _), = asyncio.run(main())
    assert type(change) is Change and change is Change.added


def test_changes_signal_delivers_members(tmp_path):
    notify = Watchfiles.Notify.new([str(tmp_path)], False, False, 300, True, False)
    loop = GLib.MainLoop()
    got = []

    def on_changes(_notify, changes):
        got.extend((c.get_change(), c.get_path(), tuple(c)) for c in changes)
        loop.quit()

    notify.connect('changes', on_changes)
    notify.start(50, 10)
    (tmp_path / 'new').write_text('x')
    GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    notify.close()
    assert got == [(Change.added, str(tmp_path / 'new'), (Change.added, str(tmp_path / 'new')))]
    assert type(got[0][0]) is Change and type(got[0][2][0]) is Change
