#!/bin/sh
# The watchfiles command's run mode, with real child processes and real
# file changes: restarts with WATCHFILES_CHANGES, the SIGINT-then-SIGKILL
# sequence, --filter python, a child that died on its own, and Ctrl+C both
# sent with kill and typed in a terminal: the child is stopped, reaped,
# and the command exits 0.  TAP output; run by `meson test --suite tools`.
set -u
. "$(dirname "$0")/tap-lib.sh"
echo "1..10"
here=$(cd "$(dirname "$0")" && pwd)

# A child that appends its pid and WATCHFILES_CHANGES to $tmp/starts, then
# sleeps (SIGINT ends it).  $1: "ignore" to ignore SIGINT, "exit3" to exit 3.
cat >"$tmp/child.sh" <<CHILD
#!/bin/sh
[ "\${1:-}" = ignore ] && trap '' INT
[ "\${1:-}" = exit3 ] && exit 3
printf '%s %s\n' \$\$ "\$WATCHFILES_CHANGES" >>"$tmp/starts"
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
if wait_lines "$tmp/starts" 1 && wait_for "$tmp/err" "watching 1 directory with the inotify backend" &&
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

if [ "$(grep -Ec '^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] 1 change detected$' "$tmp/err")" = 2 ]; then
  ok "logs each batch as watchfiles does: [HH:MM:SS] 1 change detected"
else
  not_ok "no batch log line:"; show "$tmp/err"
fi

last=$(start_pid 3)
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

start "$tmp/child.sh exit3" "$tmp/w"
wait_for "$tmp/err" "watching 1 directory"
sleep 0.2   # let it exit 3 before the change: that is the case tested
: > "$tmp/w/h"
wait_for "$tmp/err" "process already dead, exit code: 3"
found=$?
stop
if [ $found -eq 0 ] && [ "$status" -eq 0 ]; then
  ok "a child that died on its own is reported: process already dead, exit code: 3"
else
  not_ok "dead child not reported:"; show "$tmp/err"
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
