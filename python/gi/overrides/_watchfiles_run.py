# SPDX-License-Identifier: MIT
# gi/overrides/_watchfiles_run.py: what a process that Watchfiles'
# run_process() spawns for a function target runs first.  A module of its
# own, importing only the standard library, because the spawned interpreter
# imports it by name to unpickle its target, and the Watchfiles override
# itself can only be loaded through `from gi.repository import Watchfiles`.
import importlib
import os
import sys


def import_string(dotted_path):
    """Imports 'package.module.name' and returns that attribute; raises
    ImportError, as watchfiles' import_string()."""
    try:
        module_path, class_name = dotted_path.strip(' ').rsplit('.', 1)
    except ValueError as exc:
        raise ImportError(f'"{dotted_path}" doesn\'t look like a module path') from exc
    module = importlib.import_module(module_path)
    try:
        return getattr(module, class_name)
    except AttributeError as exc:
        raise ImportError(f'Module "{module_path}" does not define a "{class_name}" attribute') from exc


def run_function(function, tty_path, args, kwargs):
    """The spawned process's target: a process group of its own first (the
    parent sets it too; whichever comes first wins, so no signal can reach
    only this process), then the function, or the function a dotted path
    names, with the terminal as stdin as watchfiles does."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass  # the parent did it first
    if not isinstance(function, str):
        function(*args, **kwargs)
        return
    tty = None
    if tty_path:
        try:
            tty = open(tty_path)
        except OSError:
            tty = None  # no terminal (watchfiles #40): stdin stays
    try:
        if tty is not None:
            sys.stdin = tty
        import_string(function)(*args, **kwargs)
    finally:
        if tty is not None:
            tty.close()
