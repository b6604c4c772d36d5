#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs a command in a new pseudo-terminal, as the foreground process group
of its session, and types Ctrl+C once it is ready: the terminal then sends
SIGINT to the whole foreground group, as it does for a person.

Usage: ctrl-c-in-terminal.py [OPTION...] READY TIMEOUT_S COMMAND [ARG...]

READY is a file that must exist and not be empty, or, written
"output:TEXT", a text the command must have written to the terminal.
Options:
  --type TEXT    once READY, type TEXT (and Enter) first
  --then READY2  after typing, wait for READY2 too before Ctrl+C
  --cwd DIR      run the command in DIR
  --outlive FILE the session leader outlives the command, as a shell does
                 (whose exit would hang up the terminal and end what is
                 left in its foreground group): it runs the command as a
                 child in its own group, and once that has exited waits up
                 to 5 s for each process whose pid is in FILE to be gone;
                 it exits 98 if one is left, else as the command did
Prints "exit N", "signal N" or "timeout" on stdout, and what the command
wrote to the terminal on stderr.
"""
import os
import pty
import select
import signal
import sys
import time

args = sys.argv[1:]
options = {}
while args and args[0] in ('--type', '--then', '--cwd', '--outlive'):
    options[args[0]] = args[1]
    args = args[2:]
ready, timeout, command = args[0], float(args[1]), args[2:]

output = bytearray()


def is_ready(what):
    if what.startswith('output:'):
        return what[len('output:'):].encode() in output
    return os.path.exists(what) and os.path.getsize(what) > 0


pid, master = pty.fork()
if pid == 0:
    if '--cwd' in options:
        os.chdir(options['--cwd'])
    # As in a terminal's session, whatever this was started with (`cmd &`
    # in a script ignores SIGINT, and an ignored SIGINT survives exec).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if '--outlive' not in options:
        os.execvp(command[0], command)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvp(command[0], command)
    _, child_status = os.waitpid(child, 0)
    with open(options['--outlive']) as pid_file:
        pids = [int(line) for line in pid_file if line.strip()]
    end = time.monotonic() + 5
    while pids and time.monotonic() < end:
        pids = [p for p in pids if os.path.exists('/proc/%d' % p) and
                open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()[0] != 'Z']
        time.sleep(0.05)
    if pids:
        os._exit(98)
    if os.WIFEXITED(child_status):
        os._exit(os.WEXITSTATUS(child_status))
    os._exit(128 + os.WTERMSIG(child_status))

deadline = time.monotonic() + timeout
steps = []
if '--type' in options:
    steps.append((ready, options['--type'].encode() + b'\r'))
    ready = options.get('--then', ready)
steps.append((ready, b'\x03'))
status = None
while status is None and time.monotonic() < deadline:
    readable, _, _ = select.select([master], [], [], 0.05)
    if readable:
        try:
            data = os.read(master, 4096)
            output += data
            sys.stderr.buffer.write(data)
        except OSError:  # EIO once the terminal has no process left
            pass
    if steps and is_ready(steps[0][0]):
        os.write(master, steps.pop(0)[1])
    done, wait_status = os.waitpid(pid, os.WNOHANG)
    if done:
        status = wait_status

# What is still buffered in the terminal, once the command is gone.
while status is not None and select.select([master], [], [], 0.2)[0]:
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    output += data
    sys.stderr.buffer.write(data)

if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("timeout")
elif os.WIFEXITED(status):
    print("exit", os.WEXITSTATUS(status))
else:
    print("signal", os.WTERMSIG(status))
