#!/bin/sh
# The watchfiles command as README's main command runs it: it streams the
# changes of a real directory, stops cleanly on SIGINT, and refuses bad
# input with the exit codes of the Python CLI (1 missing path, 2 usage).
# TAP output; run by `meson test --suite tools`.
set -u
tool=$1
# The script itself must not run under valgrind (the shell's own leaks would
# count); a second argument of 1 runs the tool under it instead.
if [ "${2:-0}" = 1 ]; then
  run="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
else
  run=""
fi
tmp=$(mktemp -d)
child=
cleanup() { [ -n "$child" ] && kill "$child" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
echo "1..5"

# Waits up to 10 s for $2 to appear in file $1.
wait_for() {
  i=0
  while ! grep -qF -- "$2" "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 200 ] && return 1; sleep 0.05
  done
}

mkdir "$tmp/w"
$run "$tool" --debounce 50 --step 10 "$tmp/w" >"$tmp/out" 2>"$tmp/err" &
child=$!
if wait_for "$tmp/err" "watching 1 directory with the inotify backend"; then
  echo "ok 1 says when the watch is established, and with which backend"
else
  echo "not ok 1 no readiness line"; cat "$tmp/err" >&2
fi

mkdir -p "$tmp/w/a/b"
: > "$tmp/w/a/b/f"
if wait_for "$tmp/out" "added $tmp/w/a/b/f" && grep -qx "added $tmp/w/a" "$tmp/out"; then
  echo "ok 2 prints one line per change, new directories' files included"
else
  echo "not ok 2 output:"; sed 's/^/# /' "$tmp/out"
fi

kill -INT "$child"
wait "$child"
status=$?
child=
if [ "$status" -eq 0 ]; then
  echo "ok 3 SIGINT ends it with status 0"
else
  echo "not ok 3 SIGINT gave status $status"
fi

$run "$tool" "$tmp/missing" >/dev/null 2>"$tmp/err1"
status=$?
if [ "$status" -eq 1 ] && grep -qx "path \"$tmp/missing\" does not exist" "$tmp/err1"; then
  echo "ok 4 a missing path exits 1 with the Python CLI's message"
else
  echo "not ok 4 status $status: $(cat "$tmp/err1")"
fi

$run "$tool" --no-such-flag "$tmp/w" >/dev/null 2>"$tmp/err2"
status=$?
if [ "$status" -eq 2 ] && grep -q "Unknown option --no-such-flag" "$tmp/err2"; then
  echo "ok 5 an unknown flag is a usage error, status 2"
else
  echo "not ok 5 status $status: $(cat "$tmp/err2")"
fi
