#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The win32 backend's tests under wine, as one TAP stream for the main
# build's `meson test --suite win32`: cross-builds the standalone project
# tests/win32 with mingw-w64 (its own build directory, WORK_DIR), then runs
# each test executable under wine and renumbers their TAP lines into one
# plan.  Wine gets a prefix of its own in a temporary directory (removed
# at the end), WINEDEBUG=-all, and one wineserver kept warm for the whole
# run (wineserver -p) and stopped at the end (wineserver -k).
# Usage: run-win32-tests.sh SOURCE_ROOT WORK_DIR
set -uo pipefail
src=$1
work=$2
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
finish() { echo "1..$n"; exit $fail; }

mkdir -p "$work"
build="$work/build"
log="$work/build.log"
if [ -f "$build/build.ninja" ]; then
  meson compile -C "$build" > "$log" 2>&1
else
  rm -rf "$build"
  meson setup --cross-file "$src/tests/win32/mingw-w64-x86_64.txt" "$build" "$src/tests/win32" > "$log" 2>&1 &&
    meson compile -C "$build" > "$log" 2>&1
fi
if [ $? -eq 0 ]; then
  ok "tests/win32 cross-built with $(x86_64-w64-mingw32-gcc -dumpversion | sed 's/^/mingw-w64 gcc /') (-Wall -Wextra -Werror)"
else
  notok "tests/win32 cross-build"; sed 's/^/# /' "$log"; finish
fi

prefix=$(mktemp -d "${TMPDIR:-/tmp}/wf-wine.XXXXXX")
export WINEPREFIX="$prefix/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() { wineserver -k > /dev/null 2>&1; rm -rf "$prefix"; }
trap cleanup EXIT
wineserver -p > /dev/null 2>&1
echo "# $(wine --version), WINEPREFIX in $prefix"
start=$(date +%s)
# The prefix is made by the first program wine runs (some seconds).
wine cmd /c exit > "$work/wineboot.log" 2>&1 ||
  { notok "wine prefix"; sed 's/^/# /' "$work/wineboot.log"; finish; }
echo "# prefix made in $(( $(date +%s) - start )) s"

for t in test-w32-parse test-w32-os; do
  out="$work/$t.tap"
  t0=$(date +%s)
  (cd "$work" && timeout 240 wine "$build/$t.exe") > "$out" 2> "$work/$t.stderr"
  rc=$?
  plan=0
  while IFS= read -r line; do
    line=${line%$'\r'}
    case $line in
      "ok "*) ok "$t: ${line#* - }" ;;
      "not ok "*) notok "$t: ${line#* - }" ;;
      1..*) plan=1 ;;
      *) echo "$line" ;;
    esac
  done < "$out"
  echo "# $t: exit $rc in $(( $(date +%s) - t0 )) s"
  if [ $plan -eq 0 ] || [ $rc -ne 0 ]; then
    notok "$t ran to its plan and exited 0 (exit $rc)"
    sed 's/^/# stderr: /' "$work/$t.stderr" | tail -20
  fi
done
finish
