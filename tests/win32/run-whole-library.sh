#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole library under wine, by hand: NOT run by CI (Debian has no GLib
# for mingw, so CI cannot build the library for Windows; README, "The
# whole library under wine, by hand", says how GLib was cross-built).
#
#   tests/win32/run-whole-library.sh BUILD_DIR GLIB_PREFIX [CASE_PATTERN]
#
# BUILD_DIR: this tree set up with a mingw-w64 cross file whose pkg-config
# finds GLib in GLIB_PREFIX (-Dtests=true builds the matrix for Windows).
# Runs each case of the scenario matrix (test-scenarios.exe) alone, under
# wine in a WINEPREFIX of its own (an assertion ends the whole process, so
# one failing case would hide the others), then the command
# (watchfiles.exe): a directory watched and its changes printed, and the
# exit status of bad arguments.  Prints one TAP line per case.
set -u

build=${1:?usage: run-whole-library.sh BUILD_DIR GLIB_PREFIX [CASE_PATTERN]}
prefix=${2:?usage: run-whole-library.sh BUILD_DIR GLIB_PREFIX [CASE_PATTERN]}
pattern=${3:-}
build=$(cd "$build" && pwd)

mingw_runtime=$(dirname "$(x86_64-w64-mingw32-gcc -print-libgcc-file-name)")
tmp=$(mktemp -d /tmp/wf-wine-XXXXXX)
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all WINEARCH=win64
export WINEPATH="$build/core;$prefix/bin;$mingw_runtime;/usr/x86_64-w64-mingw32/lib"
export WATCHFILES_BACKEND_DIR="$build/backends/poll;$build/backends/win32"
export G_DEBUG=gc-friendly,fatal-criticals
trap 'wineserver -k 2>/dev/null; rm -rf "$tmp"' EXIT
wineboot -i >/dev/null 2>&1
wineserver -p

n=0
passed=0
failed=0
skipped=0
report() {  # status name [reason]
  n=$((n + 1))
  case $1 in
    ok) passed=$((passed + 1)); echo "ok $n $2" ;;
    skip) skipped=$((skipped + 1)); echo "ok $n $2 # SKIP $3" ;;
    *) failed=$((failed + 1)); echo "not ok $n $2${3:+ # $3}" ;;
  esac
}

# ---- the scenario matrix ---------------------------------------------------
scenarios="$build/tests/backends/test-scenarios.exe"
for case in $(wine "$scenarios" -l 2>/dev/null | tr -d '\r' | grep '^/matrix/' | grep -e "$pattern"); do
  log="$tmp/case.log"
  timeout 300 wine "$scenarios" --tap -p "$case" >"$log" 2>&1
  status=$?
  tr -d '\r' <"$log" >"$log.unix"
  if grep -q '^ok .*# SKIP' "$log.unix"; then
    report skip "$case" "$(sed -n 's/^ok .*# SKIP //p' "$log.unix" | head -n 1)"
  elif [ $status -eq 0 ] && grep -q '^ok ' "$log.unix"; then
    report ok "$case"
  else
    report fail "$case" "$(grep -m 1 -e 'ERROR:' -e '^not ok' "$log.unix" | cut -c1-400)"
  fi
done

# ---- the command ------------------------------------------------------------
tool="$build/tools/watchfiles.exe"
root="$tmp/root"
mkdir -p "$root/sub"
# Its wine path: Z: is the Unix root.
wroot="Z:$(echo "$root" | tr / '\\')"

wine "$tool" --print --definitely-not-an-option >/dev/null 2>&1
status=$?
[ $status -eq 2 ] && report ok "cli: an unknown option exits 2" || report fail "cli: an unknown option exits 2" "status $status"
wine "$tool" --print 'Z:\no\such\path' >/dev/null 2>&1
status=$?
[ $status -eq 1 ] && report ok "cli: a missing path exits 1" || report fail "cli: a missing path exits 1" "status $status"
wine "$tool" --version >"$tmp/version" 2>&1
status=$?
[ $status -eq 0 ] && grep -q '[0-9]' "$tmp/version" && report ok "cli: --version" || report fail "cli: --version" "status $status"

for backend in win32 poll; do
  out="$tmp/print-$backend"
  WATCHFILES_BACKEND=$backend timeout 20 wine "$tool" --print "$wroot" >"$out" 2>"$out.err" &
  pid=$!
  # Until it says it watches (its log line on stderr).
  for _ in $(seq 1 100); do
    grep -q 'watching' "$out.err" 2>/dev/null && break
    sleep 0.1
  done
  echo one >"$root/new-$backend"
  echo two >"$root/sub/deep-$backend"
  for _ in $(seq 1 100); do
    grep -q "deep-$backend" "$out" 2>/dev/null && break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  tr -d '\r' <"$out" >"$out.unix"
  if grep -q "^added .*new-$backend\$" "$out.unix" && grep -q "^added .*deep-$backend\$" "$out.unix"; then
    report ok "cli: --print with $backend reports a new file and one in a subdirectory"
  else
    report fail "cli: --print with $backend reports a new file and one in a subdirectory" \
      "printed: $(tr '\n' '|' <"$out.unix" | cut -c1-300)"
  fi
done

# Run mode: the command (through cmd.exe, --shell) runs at the start and
# again after a change; with --once the tool then waits for that run and
# exits with its status.
runs="$tmp/runs.txt"
wruns="Z:$(echo "$runs" | tr / '\\')"
WATCHFILES_BACKEND=win32 timeout 30 wine "$tool" --once --shell "echo run>>$wruns & exit 3" "$wroot" \
  >"$tmp/run.out" 2>"$tmp/run.err" &
pid=$!
# The first run done first: a change while it runs would stop it
# (TerminateProcess) before it writes, which is what a restart does.
for _ in $(seq 1 100); do
  grep -q run "$runs" 2>/dev/null && break
  sleep 0.1
done
echo change >"$root/trigger"
wait "$pid"
status=$?
count=$(grep -c run "$runs" 2>/dev/null)
if [ $status -eq 3 ] && [ "$count" = 2 ]; then
  report ok "cli: run mode starts the command, runs it again on a change, --once exits with its status"
else
  report fail "cli: run mode starts the command, runs it again on a change, --once exits with its status" \
    "status $status, $count runs"
fi

echo "1..$n"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
