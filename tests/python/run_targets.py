# SPDX-License-Identifier: MIT
# run_targets.py: functions that run_process() tests run as targets in a
# spawned interpreter (it imports them by name), each appending one JSON
# line to the log file it is given.
import json
import os
import signal
import subprocess
import sys
import time


def record(log, *args, **kwargs):
    with open(log, 'a') as f:
        f.write(json.dumps({'pid': os.getpid(), 'pgid': os.getpgid(0), 'args': args, 'kwargs': kwargs,
                            'changes': json.loads(os.environ['WATCHFILES_CHANGES'])}) + '\n')


def record_and_wait(log, *args, **kwargs):
    record(log, *args, **kwargs)
    time.sleep(60)


def grandchild_ignoring_sigint(log):
    """A child that ignores SIGINT, as does its own child: only SIGKILL of
    the whole group ends them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    with open(log, 'a') as f:
        f.write(json.dumps({'pid': os.getpid(), 'grandchild': grandchild.pid,
                            'changes': json.loads(os.environ['WATCHFILES_CHANGES'])}) + '\n')
    time.sleep(60)


def leave_group(log):
    """A target that leaves the process group it leads, for its parent's."""
    os.setpgid(0, os.getpgid(os.getppid()))
    record_and_wait(log)
