#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs a command in a new pseudo-terminal, as the foreground process group
of its session, and types Ctrl+C once READY_FILE exists: the terminal then
sends SIGINT to the whole group, as it does for a person.

Usage: ctrl-c-in-terminal.py READY_FILE TIMEOUT_S COMMAND [ARG...]
Prints "exit N", "signal N" or "timeout" on stdout, and what the command
wrote to the terminal on stderr.
"""
import os
import pty
import select
import sys
import time

ready_file, timeout = sys.argv[1], float(sys.argv[2])
pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])

deadline = time.monotonic() + timeout
typed = False
status = None
while status is None and time.monotonic() < deadline:
    readable, _, _ = select.select([master], [], [], 0.05)
    if readable:
        try:
            sys.stderr.buffer.write(os.read(master, 4096))
        except OSError:  # EIO once the terminal has no process left
            pass
    if not typed and os.path.exists(ready_file) and os.path.getsize(ready_file) > 0:
        os.write(master, b"\x03")
        typed = True
    done, wait_status = os.waitpid(pid, os.WNOHANG)
    if done:
        status = wait_status

if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("timeout")
elif os.WIFEXITED(status):
    print("exit", os.WEXITSTATUS(status))
else:
    print("signal", os.WTERMSIG(status))
