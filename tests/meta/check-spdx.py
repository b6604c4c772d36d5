#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-spdx.py: every source file of the project says its licence in an
SPDX header, and LICENSE matches meson.build's licence.  TAP output, one
line per file checked.

    check-spdx.py SOURCE_ROOT

The files are those git tracks when SOURCE_ROOT is a git checkout, else
those found walking it (a release tarball); the kinds checked are C, C
headers, Vala, Python, JavaScript, shell, meson files, scdoc pages and the
shell completion.  The header is "SPDX-License-Identifier: MIT" in one of
the first three lines (after a #! line or an scdoc preamble)."""

import os
import re
import subprocess
import sys

TAG = 'SPDX-License-Identifier: MIT'
HEAD_LINES = 3
SUFFIXES = ('.c', '.h', '.h.in', '.vala', '.py', '.js', '.sh', '.scd')
NAMES = ('meson.build', 'meson_options.txt')
SHEBANG = re.compile(rb'#!.*\b(sh|bash|python3?)\b')
# Not sources: build trees inside the checkout, VCS data.
SKIP_DIRS = ('.git', 'subprojects')


def tracked_files(root):
    # Only when root is the top of a checkout: a tarball unpacked inside some
    # other checkout is walked.
    try:
        top = subprocess.run(['git', '-C', root, 'rev-parse', '--show-toplevel'],
                             capture_output=True, check=True, text=True).stdout.strip()
        if os.path.realpath(top) != os.path.realpath(root):
            return None
        out = subprocess.run(['git', '-C', root, 'ls-files', '-z'], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return sorted(os.fsdecode(p) for p in out.split(b'\0') if p)


def walked_files(root):
    found = []
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                         and not os.path.exists(os.path.join(top, d, 'meson-private')))
        for name in files:
            found.append(os.path.relpath(os.path.join(top, name), root))
    return sorted(found)


def is_source(root, path):
    name = os.path.basename(path)
    if name in NAMES or name.endswith(SUFFIXES):
        return True
    if path.startswith('data/completions/'):
        return True
    if '.' in name:
        return False
    try:
        with open(os.path.join(root, path), 'rb') as f:
            first = f.readline()
    except OSError:
        return False
    return SHEBANG.match(first) is not None


def has_header(root, path):
    with open(os.path.join(root, path), encoding='utf-8', errors='replace') as f:
        head = [f.readline() for _ in range(HEAD_LINES)]
    return any(TAG in line for line in head)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    files = tracked_files(root)
    how = 'git ls-files'
    if files is None:
        files, how = walked_files(root), 'walking the tree'
    sources = [p for p in files if os.path.isfile(os.path.join(root, p)) and is_source(root, p)]

    results = []
    with open(os.path.join(root, 'meson.build'), encoding='utf-8') as f:
        licence = re.search(r"license\s*:\s*'([^']+)'", f.read())
    try:
        with open(os.path.join(root, 'LICENSE'), encoding='utf-8') as f:
            first = f.readline().strip()
    except OSError:
        first = None
    results.append((licence is not None and licence.group(1) == 'MIT' and first == 'MIT License',
                    f"LICENSE is the MIT License, as meson.build's license: {licence and licence.group(1)!r}"))
    results.append((len(sources) > 0, f'{len(sources)} source files found by {how}'))
    for path in sources:
        results.append((has_header(root, path), f'{path} has "{TAG}"'))

    print(f'1..{len(results)}')
    for n, (ok, what) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {n} {what}')
    missing = [what for ok, what in results if not ok]
    if missing:
        print(f'# {len(missing)} failed: each source file starts with a comment holding "{TAG}"', file=sys.stderr)
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
