#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bounded fuzzing of the kqueue and FSEvents translation units and of the
# win32 record parser (seeds in corpus/fuzz-w32-parse): each target
# built with clang -fsanitize=fuzzer,address,undefined and run for a few
# seconds (WF_FUZZ_SECONDS).  Prints TAP.
# Usage: run-fuzz-translate.sh SOURCE_ROOT WORK_DIR (always built: clang-14 only)
set -uo pipefail
src=$1
work=$2
clang=${CLANG:-clang-14}
seconds=${WF_FUZZ_SECONDS:-5}
mkdir -p "$work"
n=0
fail=0
for t in kqueue-translate:backends/kqueue/wf-kq-translate.c fsevents-translate:backends/fsevents/wf-fse-translate.c \
         w32-parse:backends/win32/wf-w32-parse.c; do
  name=${t%%:*}
  unit=${t#*:}
  exe="$work/fuzz-$name"
  n=$((n + 1))
  if ! "$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -I"$src/$(dirname "$unit")" "$src/tests/fuzz/fuzz-$name.c" "$src/$unit" \
       -o "$exe" > "$work/$name.log" 2>&1; then
    fail=1; echo "not ok $n - fuzz-$name builds"; sed 's/^/# /' "$work/$name.log"; continue
  fi
  mkdir -p "$work/corpus-$name"
  seeds=()
  [ -d "$src/tests/fuzz/corpus/fuzz-$name" ] && seeds=("$src/tests/fuzz/corpus/fuzz-$name")
  if "$exe" -max_total_time="$seconds" -seed=1 "$work/corpus-$name" "${seeds[@]}" > "$work/$name.log" 2>&1; then
    echo "ok $n - fuzz-$name: ${seconds}s, $(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -1)"
  else
    fail=1; echo "not ok $n - fuzz-$name"; tail -30 "$work/$name.log" | sed 's/^/# /'
  fi
done
echo "1..$n"
exit $fail
