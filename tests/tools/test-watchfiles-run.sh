#!/bin/sh
# SPDX-License-Identifier: MIT
# The watchfiles command's run mode, with real child processes and real
# file changes: restarts with WATCHFILES_CHANGES, the SIGINT-then-SIGKILL
# sequence, --filter python, a child that died on its own, the grace
# period, the child's stdin, a watcher that cannot start (the command never
# runs), and Ctrl+C sent with kill, sent twice, and typed in a terminal
# (also inside the fork-to-exec window): the child is stopped, reaped, and
# the command exits 0.  The command's whole process group is stopped: real
# grandchildren (a background job, a python3 http.server below sh -c) are
# gone after a restart, SIGTERM, SIGHUP and Ctrl+C, and the command still
# reads the terminal.  The watchexec habits: --exts, --clear, --shell,
# --on-busy-update queue and do-nothing, --once, and the summary line.
# TAP output; run by `meson test --suite tools`.
set -u
. "$(dirname "$0")/tap-lib.sh"
echo "1..31"
here=$(cd "$(dirname "$0")" && pwd)

# A child that appends its pid and WATCHFILES_CHANGES to $tmp/starts, then
# sleeps (SIGINT ends it).  $1: "ignore" to ignore SIGINT, "exit3" to exit
# 3, "stdin" to log a line read from
# stdin instead of the changes, "trigger" to exit 0 once $tmp/w/trigger
# exists.
cat >"$tmp/child.sh" <<CHILD
#!/bin/sh
[ "\${1:-}" = ignore ] && trap '' INT
[ "\${1:-}" = exit3 ] && exit 3
if [ "\${1:-}" = stdin ]; then
  read -r line
  printf '%s %s\n' \$\$ "\$line" >>"$tmp/starts"
  exec sleep 60
fi
printf '%s %s\n' \$\$ "\$WATCHFILES_CHANGES" >>"$tmp/starts"
if [ "\${1:-}" = trigger ]; then
  while [ ! -e "$tmp/w/trigger" ]; do sleep 0.05; done
  exit 0
fi
exec sleep 60
CHILD
chmod +x "$tmp/child.sh"

# Starts the tool in the background; $tool_pid is its pid.
start() {
  rm -f "$tmp/starts" "$tmp/err"
  $run "$tool" --debounce 50 --step 10 "$@" 2>"$tmp/err" &
  tool_pid=$!
  pids="$pids $tool_pid"
}
# Line $1 of $tmp/starts: field 1 is the pid, the rest the changes.
start_pid() { sed -n "$1p" "$tmp/starts" | cut -d' ' -f1; }
start_env() { sed -n "$1p" "$tmp/starts" | cut -d' ' -f2-; }
stop() {
  kill -INT "$tool_pid"
  wait "$tool_pid"
  status=$?
}

mkdir "$tmp/w"
start "$tmp/child.sh" "$tmp/w"
if wait_lines "$tmp/starts" 1 && wait_for "$tmp/err" "watching 1 directory with the $native backend" &&
   [ "$(start_env 1)" = "[]" ]; then
  ok "starts the command with WATCHFILES_CHANGES=[], then watches"
else
  not_ok "first start:"; show "$tmp/err"; show "$tmp/starts" 2>/dev/null
fi

: > "$tmp/w/f"
if wait_lines "$tmp/starts" 2 && [ "$(start_env 2)" = "[[\"added\", \"$tmp/w/f\"]]" ] &&
   wait_gone "$(start_pid 1)"; then
  ok "a change restarts it with the batch as JSON; the old process is reaped"
else
  not_ok "restart:"; show "$tmp/starts"; show "$tmp/err"
fi

: > "$tmp/w/$(printf 'caf\351')"
if wait_lines "$tmp/starts" 3 && [ "$(start_env 3)" = "[[\"added\", \"$tmp/w/caf\\udce9\"]]" ]; then
  ok "a name that is not UTF-8 is passed as Python's json.dumps would (\\udcXX)"
else
  not_ok "non-UTF-8 name:"; show "$tmp/starts"
fi

# DEL is escaped by json.dumps() (ensure_ascii), as every non-ASCII character.
: > "$tmp/w/$(printf 'del\177')"
if wait_lines "$tmp/starts" 4 && [ "$(start_env 4)" = "[[\"added\", \"$tmp/w/del\\u007f\"]]" ]; then
  ok "DEL in a name is passed as \\u007f, as Python's json.dumps would"
else
  not_ok "DEL in a name:"; show "$tmp/starts"
fi

if [ "$(grep -Ec "^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] 1 change detected: added $tmp/w/" "$tmp/err")" = 3 ] &&
   grep -qx "\[[0-9:]*\] 1 change detected: added $tmp/w/f" "$tmp/err"; then
  ok "logs each batch as watchfiles does, naming the changes: [HH:MM:SS] 1 change detected: added PATH"
else
  not_ok "no batch log line:"; show "$tmp/err"
fi

last=$(start_pid 4)
stop
if [ "$status" -eq 0 ] && wait_gone "$last"; then
  ok "SIGINT to the tool stops the child (no orphan left) and exits 0"
else
  not_ok "SIGINT: status $status, child $last still there: $(ps -o pid,stat,args -p "$last" | tail -1)"
fi

# A child that ignores SIGINT is killed after --sigint-timeout, then restarted.
start --sigint-timeout 1 "$tmp/child.sh ignore" "$tmp/w"
wait_lines "$tmp/starts" 1
wait_for "$tmp/err" "watching 1 directory"
before=$(now)
: > "$tmp/w/g"
wait_lines "$tmp/starts" 2
after=$(now)
took=$(awk "BEGIN { printf \"%.2f\", $after - $before }")
if [ "$(start_env 2)" = "[[\"added\", \"$tmp/w/g\"]]" ] && ! kill -0 "$(start_pid 1)" 2>/dev/null &&
   awk "BEGIN { exit !($took >= 1 && $took < 3 + $slow * 2) }" &&
   grep -q "SIGINT timed out after 1 seconds" "$tmp/err" &&
   grep -q "process has not terminated, sending SIGKILL" "$tmp/err"; then
  ok "a child ignoring SIGINT is killed after --sigint-timeout 1 (restart after ${took}s)"
else
  not_ok "SIGKILL after the timeout: restart after ${took}s:"; show "$tmp/starts"; show "$tmp/err"
fi
last=$(start_pid 2)
stop
if [ "$status" -eq 0 ] && wait_gone "$last"; then
  ok "SIGINT to the tool kills a child that ignores SIGINT, and exits 0"
else
  not_ok "stop with a SIGINT-ignoring child: status $status"
fi

# --filter python: only .py files count; a child that exited on its own is reported.
rm -f "$tmp/w"/*
start --filter python "$tmp/child.sh" "$tmp/w"
wait_lines "$tmp/starts" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/notes.txt"
: > "$tmp/w/x.pyc"
: > "$tmp/w/app.py"
wait_lines "$tmp/starts" 2
kill -TERM "$tool_pid"; wait "$tool_pid"; status=$?
if [ "$status" -eq 0 ] && [ "$(start_env 2)" = "[[\"added\", \"$tmp/w/app.py\"]]" ] &&
   grep -q "filter=PythonFilter" "$tmp/err"; then
  ok "--filter python restarts for .py files only; SIGTERM exits 0"
else
  not_ok "--filter python (status $status):"; show "$tmp/starts"; show "$tmp/err"
fi

start -v "$tmp/child.sh exit3" "$tmp/w"
wait_for "$tmp/err" "watching 1 directory"
# It must have exited 3 before the change: that is the case tested.
wait_for "$tmp/err" "process exited, exit code: 3"
: > "$tmp/w/h"
wait_for "$tmp/err" "process already dead, exit code: 3"
found=$?
stop
if [ $found -eq 0 ] && [ "$status" -eq 0 ]; then
  ok "a child that died on its own is reported: process already dead, exit code: 3"
else
  not_ok "dead child not reported:"; show "$tmp/err"
fi

# A child exiting on its own while a batch gathers (--step 1500 holds it):
# its SIGCHLD ends the library's wait, which keeps the pending changes, so
# the batch still restarts it.
rm -f "$tmp/w"/*
start --step $((1500 * slow)) "$tmp/child.sh trigger" "$tmp/w"
wait_lines "$tmp/starts" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/trigger"
if wait_lines "$tmp/starts" 2 && [ "$(start_env 2)" = "[[\"added\", \"$tmp/w/trigger\"]]" ]; then
  ok "a child that exits while a batch gathers does not make the tool drop the batch"
else
  not_ok "batch dropped when the child exited:"; show "$tmp/starts"; show "$tmp/err"
fi
stop

# The command reads the tool's stdin (Popen passes it on too).
rm -f "$tmp/starts" "$tmp/err"
echo "line from stdin" | $run "$tool" "$tmp/child.sh stdin" "$tmp/w" 2>"$tmp/err" &
tool_pid=$!
pids="$pids $tool_pid"
if wait_lines "$tmp/starts" 1 && [ "$(start_env 1)" = "line from stdin" ]; then
  ok "the command reads the tool's stdin"
else
  not_ok "stdin not passed to the command:"; show "$tmp/starts" 2>/dev/null; show "$tmp/err"
fi
stop

# A watcher that cannot be set up is reported before the command ever runs.
rm -f "$tmp/ran"
$run "$tool" -v --backend nosuch "touch $tmp/ran" "$tmp/w" >/dev/null 2>"$tmp/err"
status=$?
if [ "$status" -eq 1 ] && grep -q "nosuch" "$tmp/err" && [ ! -e "$tmp/ran" ] && ! grep -q "running" "$tmp/err"; then
  ok "--backend nosuch: exits 1 with the error, and the command never ran"
else
  not_ok "--backend nosuch (status $status, ran: $([ -e "$tmp/ran" ] && echo yes || echo no)):"; show "$tmp/err"
fi

# Changes of the grace period are logged and do not restart the command;
# the first change after it does.
rm -f "$tmp/w"/*
start --grace-period $((2 * slow)) "$tmp/child.sh" "$tmp/w"
wait_lines "$tmp/starts" 1
: > "$tmp/w/early"
wait_for "$tmp/err" "1 change during the grace period ignored"
found=$?
: > "$tmp/w/late"
wait_lines "$tmp/starts" 2
stop
if [ $found -eq 0 ] && [ "$(start_env 2)" = "[[\"added\", \"$tmp/w/late\"]]" ] && [ "$status" -eq 0 ]; then
  ok "--grace-period: its changes are logged and ignored, later ones restart the command"
else
  not_ok "--grace-period (status $status):"; show "$tmp/starts"; show "$tmp/err"
fi

# A second SIGINT while the child is being stopped kills it at once.
start --sigint-timeout 20 "$tmp/child.sh ignore" "$tmp/w"
wait_lines "$tmp/starts" 1
wait_for "$tmp/err" "watching 1 directory"
kill -INT "$tool_pid"
wait_for "$tmp/err" "SIGINT received, stopping"
before=$(now)
kill -INT "$tool_pid"
wait "$tool_pid"
status=$?
took=$(awk "BEGIN { printf \"%.2f\", $(now) - $before }")
if [ "$status" -eq 0 ] && wait_gone "$(start_pid 1)" && awk "BEGIN { exit !($took < 5 * $slow) }" &&
   grep -q "SIGINT received again, not waiting" "$tmp/err"; then
  ok "a second SIGINT while stopping sends SIGKILL at once (exit after ${took}s, not 20)"
else
  not_ok "second SIGINT: status $status after ${took}s:"; show "$tmp/err"
fi

# Ctrl+C typed in a terminal reaches the tool and the child (one process
# group): the child must get exactly one SIGINT, and be gone.
cat >"$tmp/child.py" <<'PY'
import os, signal, sys, time
got = []
signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
deadline = time.monotonic() + 30
while not got and time.monotonic() < deadline:
    time.sleep(0.02)
time.sleep(0.5)   # a second SIGINT would be counted here
with open(sys.argv[2], "w") as f:
    f.write("%d\n" % len(got))
PY
# The child only starts once the tool runs; wait for the watch too.
result=$(/usr/bin/python3 "$here/ctrl-c-in-terminal.py" "$tmp/child.pid" $((20 * slow)) \
           $run "$tool" "/usr/bin/python3 $tmp/child.py $tmp/child.pid $tmp/child.ints" "$tmp/w" 2>"$tmp/tty")
child_pid=$(cat "$tmp/child.pid" 2>/dev/null)
if [ "$result" = "exit 0" ] && [ "$(cat "$tmp/child.ints" 2>/dev/null)" = 1 ] && [ -n "$child_pid" ] &&
   wait_gone "$child_pid"; then
  ok "Ctrl+C in a terminal: the child gets one SIGINT, exits, and the tool exits 0"
else
  not_ok "Ctrl+C in a terminal: $result, child got $(cat "$tmp/child.ints" 2>/dev/null) SIGINT:"; show "$tmp/tty"
fi

# Ctrl+C typed while the first child is between fork and exec (forkdelay.so
# holds it there): the command must not start as if nothing happened and
# be SIGKILLed --sigint-timeout later; the tool exits 0 at once.
rm -f "$tmp/forked" "$tmp/ran"
before=$(now)
result=$(ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
         /usr/bin/python3 "$here/ctrl-c-in-terminal.py" "$tmp/forked" $((20 * slow)) \
           env LD_PRELOAD="$WF_FORKDELAY${LD_PRELOAD:+:$LD_PRELOAD}" FORK_READY="$tmp/forked" \
           $run "$tool" --sigint-timeout 15 "sh -c 'echo ran >$tmp/ran; exec sleep 60'" "$tmp/w" 2>"$tmp/tty")
took=$(awk "BEGIN { printf \"%.2f\", $(now) - $before }")
if [ "$result" = "exit 0" ] && [ ! -e "$tmp/ran" ] && awk "BEGIN { exit !($took < 6 * $slow) }"; then
  ok "Ctrl+C between fork and exec: the command never runs, the tool exits 0 at once (${took}s)"
else
  not_ok "Ctrl+C between fork and exec: $result after ${took}s, ran: $(cat "$tmp/ran" 2>/dev/null):"
  show "$tmp/tty"
fi

# The command's whole process group is stopped, not only its own process:
# a grandchild (a background job of sh, which ignores SIGINT as every
# background job of a script does) is gone after a restart, after
# SIGTERM and after SIGHUP to the tool.
grandchild="sh -c 'sleep 60 & echo \$! >>$tmp/grandchildren; wait'"
rm -f "$tmp/w"/* "$tmp/grandchildren"
start --sigint-timeout 1 "$grandchild" "$tmp/w"
wait_lines "$tmp/grandchildren" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/restart"
if wait_lines "$tmp/grandchildren" 2 && wait_gone "$(sed -n 1p "$tmp/grandchildren")" &&
   kill -0 "$(sed -n 2p "$tmp/grandchildren")"; then
  ok "a restart stops the command's grandchild too (SIGKILL to the group after --sigint-timeout)"
else
  not_ok "grandchild after a restart: $(ps -o pid,ppid,pgid,args -p "$(sed -n 1p "$tmp/grandchildren")" | tail -1)"
  show "$tmp/err"
fi
for signal in TERM HUP; do
  last=$(tail -n 1 "$tmp/grandchildren")
  kill -$signal "$tool_pid"
  wait "$tool_pid"
  status=$?
  if [ "$status" -eq 0 ] && wait_gone "$last" && grep -q "SIG$signal received, stopping" "$tmp/err"; then
    ok "SIG$signal to the tool stops the command's grandchild, and exits 0"
  else
    not_ok "grandchild after SIG$signal: status $status: $(ps -o pid,ppid,pgid,args -p "$last" | tail -1)"
    show "$tmp/err"
  fi
  [ $signal = TERM ] && { start --sigint-timeout 1 "$grandchild" "$tmp/w"; wait_lines "$tmp/grandchildren" 3; }
done

# The issue's case: a server below `sh -c` holding a port.  The restart
# must find the port free, and the tool leave it free when it exits.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/srv"
rm -f "$tmp/srv.log"
start --sigint-timeout 1 \
  "sh -c 'cd $tmp/srv && /usr/bin/python3 -u -m http.server --bind 127.0.0.1 $port >>$tmp/srv.log 2>&1; true'" "$tmp/w"
wait_for "$tmp/srv.log" "Serving HTTP"
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/server-change"
wait_lines "$tmp/srv.log" 2
sleep 0.5
n_serving=$(grep -c "Serving HTTP" "$tmp/srv.log")
kill -TERM "$tool_pid"
wait "$tool_pid"
status=$?
if [ "$n_serving" = 2 ] && ! grep -q "Address already in use" "$tmp/srv.log" && [ "$status" -eq 0 ] &&
   /usr/bin/python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port"; then
  ok "python3 -m http.server below sh -c: the restart binds the port again, and the tool leaves it free"
else
  not_ok "server below sh -c (status $status):"; show "$tmp/srv.log"; show "$tmp/err"
fi

# Ctrl+C typed in a terminal reaches the tool only (the command has a
# session of its own); the tool stops the command's whole group.  The
# session leader stays, as the user's shell does: the terminal's hangup
# does not clean up for the tool.
rm -f "$tmp/grandchildren"
result=$(/usr/bin/python3 "$here/ctrl-c-in-terminal.py" --outlive "$tmp/grandchildren" "$tmp/grandchildren" $((20 * slow)) \
           $run "$tool" --sigint-timeout 1 "$grandchild" "$tmp/w" 2>"$tmp/tty")
gc=$(cat "$tmp/grandchildren" 2>/dev/null)
if [ "$result" = "exit 0" ] && [ -n "$gc" ] && wait_gone "$gc"; then
  ok "Ctrl+C in a terminal: the command's grandchild is gone too, and the tool exits 0"
else
  not_ok "Ctrl+C in a terminal with a grandchild: $result, $(ps -o pid,ppid,pgid,args -p "$gc" | tail -1):"
  show "$tmp/tty"
fi

# In a session of its own the command still reads the terminal (a process
# group in the background of it would be stopped by SIGTTIN).
rm -f "$tmp/typed"
result=$(/usr/bin/python3 "$here/ctrl-c-in-terminal.py" --type "typed line" --then "$tmp/typed" \
           "output:watching 1 directory" $((20 * slow)) \
           $run "$tool" "sh -c 'read -r line; echo \"\$line\" >$tmp/typed; exec sleep 60'" "$tmp/w" 2>"$tmp/tty")
if [ "$result" = "exit 0" ] && [ "$(cat "$tmp/typed" 2>/dev/null)" = "typed line" ]; then
  ok "the command reads a line typed in the terminal, and Ctrl+C then stops it"
else
  not_ok "reading the terminal: $result, typed: $(cat "$tmp/typed" 2>/dev/null)"; show "$tmp/tty"
fi

# The summary line names the changed paths, relative to the current
# directory when below it, five at most.
rm -rf "$tmp/w"/*
rm -f "$tmp/starts"
(cd "$tmp" && exec $run "$tool" --debounce 50 --step 10 "$tmp/child.sh" w 2>"$tmp/err") &
tool_pid=$!
pids="$pids $tool_pid"
wait_lines "$tmp/starts" 1
wait_for "$tmp/err" "watching 1 directory"
mkdir "$tmp/w/d"
wait_lines "$tmp/starts" 2
for i in 1 2 3 4 5 6 7; do : > "$tmp/w/d/f$i"; done
wait_for "$tmp/err" "7 changes detected"
stop
if grep -qx '\[[0-9:]*\] 1 change detected: added w/d' "$tmp/err" &&
   grep -Eqx '\[[0-9:]*\] 7 changes detected: (added w/d/f[1-7], ){4}added w/d/f[1-7], and 2 more' "$tmp/err"; then
  ok "the summary line names the changes below the current directory relatively, and counts the rest"
else
  not_ok "summary line:"; show "$tmp/err"
fi

# --exts: only changes to files with these extensions count.
rm -rf "$tmp/w"/*
start --exts py,.c "$tmp/child.sh" "$tmp/w"
wait_lines "$tmp/starts" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/notes.txt"
: > "$tmp/w/.py"
: > "$tmp/w/main.c"
wait_lines "$tmp/starts" 2
: > "$tmp/w/notes2.txt"
: > "$tmp/w/app.py"
wait_lines "$tmp/starts" 3
stop
if [ "$(start_env 2)" = "[[\"added\", \"$tmp/w/main.c\"]]" ] && [ "$(start_env 3)" = "[[\"added\", \"$tmp/w/app.py\"]]" ]; then
  ok "--exts py,.c: only .py and .c files restart the command (not .txt, nor a file named .py)"
else
  not_ok "--exts:"; show "$tmp/starts"; show "$tmp/err"
fi

# --shell: COMMAND runs with /bin/sh -c (a pipe and &&).
rm -f "$tmp/shell-out"
start --shell "echo abc | tr a x >>$tmp/shell-out && echo \"\$WATCHFILES_CHANGES\" >>$tmp/shell-out" "$tmp/w"
wait_lines "$tmp/shell-out" 2
stop
if [ "$(cat "$tmp/shell-out")" = "$(printf 'xbc\n[]')" ]; then
  ok "--shell runs COMMAND with /bin/sh -c"
else
  not_ok "--shell:"; show "$tmp/shell-out"; show "$tmp/err"
fi

# A command that runs until $tmp/release exists (outside the watched
# directory), logging its start and its end.
cat >"$tmp/busy.sh" <<BUSY
#!/bin/sh
echo "start \$WATCHFILES_CHANGES" >>"$tmp/busy"
while [ ! -e "$tmp/release" ]; do sleep 0.05; done
echo end >>"$tmp/busy"
BUSY
chmod +x "$tmp/busy.sh"

# --on-busy-update queue: changes while it runs start it again once it
# has exited, all of them in one WATCHFILES_CHANGES.
rm -rf "$tmp/w"/* "$tmp/busy" "$tmp/release"
start --on-busy-update queue "$tmp/busy.sh" "$tmp/w"
wait_lines "$tmp/busy" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/a"
wait_for "$tmp/err" "queued until the command exits"
: > "$tmp/w/b"
wait_for "$tmp/err" "added $tmp/w/b; queued"
: > "$tmp/release"
wait_lines "$tmp/busy" 4
stop
if [ "$(cat "$tmp/busy")" = "$(printf 'start []\nend\nstart [["added", "%s"], ["added", "%s"]]\nend' "$tmp/w/a" "$tmp/w/b")" ]; then
  ok "--on-busy-update queue: the command is not stopped; once it exits it runs again with the queued changes"
else
  not_ok "--on-busy-update queue:"; show "$tmp/busy"; show "$tmp/err"
fi

# --on-busy-update do-nothing: changes while it runs are dropped; once it
# has exited, the next change starts it.
rm -rf "$tmp/w"/* "$tmp/busy" "$tmp/release"
start --on-busy-update do-nothing "$tmp/busy.sh" "$tmp/w"
wait_lines "$tmp/busy" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/a"
wait_for "$tmp/err" "ignored, the command still runs"
: > "$tmp/release"
wait_lines "$tmp/busy" 2
sleep 0.5
: > "$tmp/w/c"
wait_lines "$tmp/busy" 4
stop
if [ "$(cat "$tmp/busy")" = "$(printf 'start []\nend\nstart [["added", "%s"]]\nend' "$tmp/w/c")" ]; then
  ok "--on-busy-update do-nothing: changes while it runs are dropped, the next one after it exited runs it"
else
  not_ok "--on-busy-update do-nothing:"; show "$tmp/busy"; show "$tmp/err"
fi

# --once: one more run after the first batch, to its end; its status is
# the tool's, and the tool does not stop it.
rm -rf "$tmp/w"/* "$tmp/once"
start --once "sh -c 'echo \"\$WATCHFILES_CHANGES\" >>$tmp/once; [ \"\$WATCHFILES_CHANGES\" = \"[]\" ] || { sleep 1; exit 7; }'" "$tmp/w"
wait_lines "$tmp/once" 1
wait_for "$tmp/err" "watching 1 directory"
: > "$tmp/w/a"
wait "$tool_pid"
status=$?
if [ "$status" -eq 7 ] && [ "$(cat "$tmp/once")" = "$(printf '[]\n[["added", "%s"]]' "$tmp/w/a")" ]; then
  ok "--once: runs the command once more after the first batch and exits with its status (7)"
else
  not_ok "--once (status $status):"; show "$tmp/once"; show "$tmp/err"
fi

# --clear: the screen is cleared before each run on a terminal, and never
# into a file.
rm -rf "$tmp/w"/* "$tmp/runs" "$tmp/cleared"
/usr/bin/python3 "$here/ctrl-c-in-terminal.py" "$tmp/cleared" $((20 * slow)) \
  $run "$tool" --clear "sh -c 'echo ran-\$\$; echo x >>$tmp/runs'" "$tmp/w" >"$tmp/result" 2>"$tmp/tty" &
helper=$!
pids="$pids $helper"
wait_lines "$tmp/runs" 1
wait_for "$tmp/tty" "watching 1 directory"
: > "$tmp/w/a"
wait_lines "$tmp/runs" 2
sleep 0.3
echo done >"$tmp/cleared"
wait "$helper"
rm -f "$tmp/runs"
start --clear "sh -c 'echo x >>$tmp/runs'" "$tmp/w" >"$tmp/out"
wait_lines "$tmp/runs" 1
stop
if [ "$(cat "$tmp/result")" = "exit 0" ] &&
   [ "$(grep -o "$(printf '\033\\[H\033\\[2J\033\\[3J')" "$tmp/tty" | wc -l)" = 2 ] &&
   [ "$(grep -o "$(printf '\033\\[3J')ran-" "$tmp/tty" | wc -l)" = 1 ] && [ "$(grep -c "ran-[0-9]" "$tmp/tty")" = 2 ] &&
   grep -q "$(printf '\033\\[3J').*1 change detected: added $tmp/w/a" "$tmp/tty" &&
   [ -f "$tmp/out" ] && ! grep -q "$(printf '\033')" "$tmp/out"; then
  ok "--clear: the terminal is cleared before each of the 2 runs (the summary line after it), a file is not"
else
  not_ok "--clear: $(cat "$tmp/result")"; od -c "$tmp/tty" | tail -20 | show /dev/stdin
fi

# Options of run mode are usage errors with --print.
bad=0
for opt in --clear --shell "--on-busy-update queue" "--on-busy-update never" "--exts ''"; do
  eval "set -- $opt"
  if [ "$opt" = "--on-busy-update never" ] || [ "$opt" = "--exts ''" ]; then
    $run "$tool" "$@" true "$tmp/w" >/dev/null 2>"$tmp/err"
  else
    $run "$tool" --print "$@" "$tmp/w" >/dev/null 2>"$tmp/err"
  fi
  status=$?
  [ "$status" -eq 2 ] && grep -q "Try “watchfiles --help”" "$tmp/err" || { bad=1; echo "# $opt: status $status"; show "$tmp/err"; }
done
if [ $bad = 0 ]; then
  ok "--clear, --shell, --on-busy-update with --print, a bad --on-busy-update or --exts: usage errors"
else
  not_ok "run-mode options not refused"
fi
