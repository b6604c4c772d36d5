#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The examples of doc/overview.md and README.md, built and run for real.

A fenced block is an example when the line right before it is
`<!-- example: NAME -->`; its language (```c, ```python, ```js, ```sh) says
how to run it (sh: /bin/sh, with the build tree's `watchfiles` first on
PATH).  Every example watches the directory given as its first argument,
prints the changes it gets, and exits by itself.  For each one this test
compiles it if needed, starts it on a fresh directory, creates files in
that directory until the program exits, and checks that it exited with
status 0 and printed the path of one of those files.  The examples each
document must contain are listed in EXPECTED: a missing one fails.

TAP output; run by `meson test --suite docs` with the build tree's
environment (typelib, library and backend directories).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

EXPECTED = {
    'doc/overview.md': ['watch-c', 'watch-c-mainloop', 'watch-python',
                        'watch-python-generator', 'watch-js'],
    'README.md': ['readme-c', 'readme-python', 'readme-since-sh', 'readme-since-python'],
}

MARKER_RE = re.compile(r'^<!--\s*example:\s*([\w.-]+)\s*-->\s*$')
FENCE_RE = re.compile(r'^```\s*(\w+)\s*$')
SUFFIX = {'c': '.c', 'python': '.py', 'js': '.js', 'sh': '.sh'}

# How long an example may take from start to exit, and the interval at
# which the test creates a new file while it runs.  The examples debounce
# for 1600 ms at most, so a working one ends within a few seconds.
RUN_TIMEOUT = 30.0
CHANGE_INTERVAL = 0.25

tap_count = 0
failed = False


def tap(ok, description, details=''):
    global tap_count, failed
    tap_count += 1
    if not ok:
        failed = True
    print(f"{'ok' if ok else 'not ok'} {tap_count} {description}")
    for line in details.rstrip().splitlines():
        print(f'# {line}')
    sys.stdout.flush()


def skip(description, reason):
    global tap_count
    tap_count += 1
    print(f'ok {tap_count} {description} # SKIP {reason}')
    sys.stdout.flush()


def extract(path):
    """Returns [(name, language, code, line)] of the marked blocks in path."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    examples = []
    i = 0
    while i < len(lines):
        marker = MARKER_RE.match(lines[i])
        fence = FENCE_RE.match(lines[i + 1]) if marker and i + 1 < len(lines) else None
        if marker and not fence:
            raise ValueError(f'{path}:{i + 1}: marker {marker.group(1)} is not right before a ```LANGUAGE fence')
        if fence:
            end = i + 2
            while end < len(lines) and lines[end].rstrip() != '```':
                end += 1
            if end == len(lines):
                raise ValueError(f'{path}:{i + 2}: unterminated code block')
            examples.append((marker.group(1), fence.group(1), '\n'.join(lines[i + 2:end]) + '\n', i + 3))
            i = end
        i += 1
    return examples


def sanitizer_preload(cc):
    """The sanitizer runtimes an interpreter must preload to load a library
    built with -fsanitize, as the executable's own link line does for C."""
    libs = []
    for lib in ('libasan.so', 'libubsan.so'):
        out = subprocess.run([cc, f'-print-file-name={lib}'], capture_output=True, text=True).stdout.strip()
        if os.path.isabs(out) and os.path.exists(out):
            libs.append(out)
    return libs


def run_example(argv, env, watched):
    """Runs argv on the directory `watched`, creating a new file in it every
    CHANGE_INTERVAL until the program exits.  Returns (status or None on
    timeout, stdout, stderr, created paths)."""
    proc = subprocess.Popen(argv + [watched], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    output = {}

    def reader(name, stream):
        output[name] = stream.read().decode('utf-8', 'replace')

    threads = [threading.Thread(target=reader, args=(n, s)) for n, s in
               (('out', proc.stdout), ('err', proc.stderr))]
    for t in threads:
        t.start()

    created = []
    deadline = time.monotonic() + RUN_TIMEOUT
    status = None
    # The watch is in place once the example's constructor returns, which
    # the test cannot see from outside: it makes a fresh change at every
    # interval instead, until the program has had what it waits for.
    while time.monotonic() < deadline:
        try:
            status = proc.wait(timeout=CHANGE_INTERVAL)
            break
        except subprocess.TimeoutExpired:
            path = os.path.join(watched, f'change-{len(created)}.txt')
            with open(path, 'w') as f:
                f.write('hello\n')
            created.append(path)
    if status is None:
        proc.kill()
        proc.wait()
    for t in threads:
        t.join()
    return status, output.get('out', ''), output.get('err', ''), created


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--source-root', required=True)
    parser.add_argument('--build-root', required=True)
    parser.add_argument('--sanitize', default='none', help="meson's b_sanitize")
    ctx = parser.parse_args()

    ctx.cc = shutil.which(os.environ.get('CC', 'cc'))
    ctx.gjs = shutil.which('gjs')
    # Debian's Python, the one with PyGObject (not a python3 earlier on PATH).
    ctx.python = '/usr/bin/python3'
    if subprocess.run([ctx.python, '-c', 'import gi'], capture_output=True).returncode != 0:
        ctx.python = None
    ctx.has_typelib = os.path.exists(os.path.join(ctx.build_root, 'core', 'Watchfiles-1.0.typelib'))

    env = dict(os.environ)
    python_dir = os.path.join(ctx.source_root, 'python')
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [python_dir, env.get('PYTHONPATH')]))
    env['PKG_CONFIG_PATH'] = os.pathsep.join(filter(None, [
        os.path.join(ctx.build_root, 'meson-uninstalled'), env.get('PKG_CONFIG_PATH')]))
    # The test's own settings must not change what an example does.
    for var in ('WATCHFILES_BACKEND', 'WATCHFILES_FORCE_POLLING', 'WATCHFILES_DEBUG'):
        env.pop(var, None)
    ctx.env = env
    ctx.interp_env = dict(env)
    if ctx.sanitize != 'none' and ctx.cc:
        # The interpreters are not built with the sanitizers; their own
        # leaks are not ours.
        ctx.interp_env['LD_PRELOAD'] = ' '.join(sanitizer_preload(ctx.cc))
        ctx.interp_env['ASAN_OPTIONS'] = 'detect_leaks=0'

    # (document, [missing marker names], [examples], error reading it)
    documents = []
    for doc, expected in EXPECTED.items():
        try:
            examples = extract(os.path.join(ctx.source_root, doc))
        except (OSError, ValueError) as e:
            documents.append((doc, expected, [], str(e)))
            continue
        names = {e[0] for e in examples}
        documents.append((doc, [n for n in expected if n not in names], examples, None))
    print(f'1..{sum(len(missing) + len(examples) for _, missing, examples, _ in documents)}')

    ctx.tmp = tempfile.mkdtemp(prefix='watchfiles-doc-examples-')
    try:
        for doc, missing, examples, error in documents:
            for name in missing:
                tap(False, f'{doc}: {name}', error or f'no block marked <!-- example: {name} --> in {doc}')
            for example in examples:
                check(ctx, doc, *example)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    return 1 if failed else 0


def check(ctx, doc, name, lang, code, line):
    what = f'{doc}: {name}'
    if lang not in SUFFIX:
        tap(False, what, f'{doc}:{line}: unknown example language {lang!r} (c, python, js, sh)')
        return
    work = os.path.join(ctx.tmp, os.path.basename(doc).split('.')[0] + '-' + name)
    os.makedirs(work)
    source = os.path.join(work, name + SUFFIX[lang])
    with open(source, 'w', encoding='utf-8') as f:
        f.write(code)

    if lang == 'c':
        if ctx.cc is None:
            skip(what, 'no C compiler')
            return
        pkg = subprocess.run(['pkg-config', '--cflags', '--libs', 'watchfiles-1.0'],
                             capture_output=True, text=True, env=ctx.env)
        if pkg.returncode != 0:
            tap(False, what, 'pkg-config watchfiles-1.0 (uninstalled) failed:\n' + pkg.stderr)
            return
        program = os.path.join(work, name)
        # The project's own warning set: -Wextra without unused parameters,
        # which callbacks have by nature.
        flags = ['-std=c11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror']
        if ctx.sanitize != 'none':
            flags.append('-fsanitize=' + ctx.sanitize)
        compile_cmd = [ctx.cc] + flags + [source, '-o', program] + pkg.stdout.split()
        built = subprocess.run(compile_cmd, capture_output=True, text=True, env=ctx.env)
        if built.returncode != 0:
            tap(False, what, f'{doc}:{line}: does not compile:\n{" ".join(compile_cmd)}\n{built.stderr}')
            return
        argv, run_env = [program], ctx.env
        if os.environ.get('WF_UNDER_VALGRIND') == '1' and shutil.which('valgrind'):
            # `meson test --setup valgrind` wraps this script, not the
            # programs it starts: the C examples get their own valgrind.
            argv = ['valgrind', '--quiet', '--error-exitcode=99', '--leak-check=full',
                    '--errors-for-leak-kinds=definite',
                    '--suppressions=' + os.path.join(ctx.source_root, 'tests', 'valgrind.supp')] + argv
    elif lang == 'sh':
        tools = os.path.join(ctx.build_root, 'tools')
        run_env = dict(ctx.env)
        run_env['PATH'] = os.pathsep.join([tools, run_env.get('PATH', '')])
        argv = ['/bin/sh', source]
    elif not ctx.has_typelib:
        skip(what, 'no introspection data in this build')
        return
    elif lang == 'python':
        if ctx.python is None:
            skip(what, 'no /usr/bin/python3 with PyGObject')
            return
        argv, run_env = [ctx.python, source], ctx.interp_env
    else:
        if ctx.gjs is None:
            skip(what, 'no gjs')
            return
        argv, run_env = [ctx.gjs, '-m', source], ctx.interp_env

    watched = os.path.join(work, 'watched')
    os.makedirs(watched)
    status, out, err, created = run_example(argv, run_env, os.path.realpath(watched))
    seen = [p for p in created if p in out]
    details = f'status {status}, {len(created)} files created\nstdout:\n{out}stderr:\n{err}'
    if status is None:
        tap(False, what, f'still running after {RUN_TIMEOUT:.0f} s; ' + details)
    elif status != 0 or not seen:
        tap(False, what, details)
    else:
        tap(True, f'{what} ({lang}): reported {os.path.basename(seen[0])}')


if __name__ == '__main__':
    sys.exit(main())
