#!/bin/sh
# SPDX-License-Identifier: MIT
# run-faults.sh SCENARIO SHIM: fault injection swept over call numbers, as
# SQLite does it.  For each backend in WF_TEST_BACKENDS, fault-scenario
# runs once clean (it must be correct, and it counts the library's calls
# of each function), then once per (function, errno, n) with the n-th of
# those calls failing (wf-fault-inject.c), for up to WF_FAULT_SWEEP (8)
# values of n spread over the calls the clean run made.  One TAP line per
# backend and fault: every run must end correct, degraded (status shows
# it) or with a GError; a crash, a hang (60 s), a leaked descriptor, a
# lost change or a phantom one fails it, and the line names the run.
set -u
scenario=$1
shim=$2
sweep=${WF_FAULT_SWEEP:-8}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wf-faults-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

faults="inotify_init1:EMFILE inotify_add_watch:ENOSPC inotify_add_watch:ENOMEM inotify_add_watch:EACCES
openat:EMFILE openat:EACCES openat:ENOENT open:EMFILE open:EACCES fdopendir:EMFILE fdopendir:ENOMEM
read:EINTR read:SHORT fstatat:ENOENT fstatat:ELOOP stat:ENOENT stat:EACCES lstat:ENOENT
eventfd:EMFILE pipe2:EMFILE"

n_backends=$(echo "${WF_TEST_BACKENDS:-}" | tr ':' '\n' | grep -c .)
n_faults=$(echo $faults | wc -w)
echo "1..$((n_backends * (n_faults + 1)))"
test_number=0
ok() { test_number=$((test_number + 1)); echo "ok $test_number - $*"; }
not_ok() { test_number=$((test_number + 1)); echo "not ok $test_number - $*"; status=1; }
status=0

# One run: prints the verdict line, or what ended it.
run() {
  backend=$1 spec=$2 report=$3
  out=$(WF_FAULT="$spec" WF_FAULT_REPORT="$report" LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}" \
        timeout -s KILL 90 "$scenario" "$backend" 2>"$tmp/stderr")
  code=$?
  verdict=$(printf '%s\n' "$out" | tail -n 1)
  if [ $code -eq 137 ] || [ $code -eq 142 ]; then
    echo "HANG"
  elif [ $code -gt 128 ]; then
    echo "CRASH (signal $((code - 128))): $(tail -n 3 "$tmp/stderr" | tr '\n' ' ')"
  elif [ $code -ne 0 ]; then
    echo "${verdict:-exit $code: $(tail -n 3 "$tmp/stderr" | tr '\n' ' ')}"
  else
    echo "$verdict"
  fi
}

for backend in $(echo "${WF_TEST_BACKENDS:-}" | tr ':' ' '); do
  clean=$(run "$backend" "" "$tmp/counts")
  if [ "$clean" = correct ]; then
    ok "$backend: the scenario without a fault is correct ($(tr '\n' ' ' <"$tmp/counts"))"
  else
    not_ok "$backend: the scenario without a fault: $clean"
  fi
  for fault in $faults; do
    function=${fault%%:*}
    errno_name=${fault#*:}
    calls=$(awk -v f="$function" '$1 == f { print $2 }' "$tmp/counts")
    if [ "${calls:-0}" -eq 0 ]; then
      ok "$backend: $function $errno_name # SKIP the scenario makes no call of $function here"
      continue
    fi
    # n = 1, 2, … when the calls are few, else spread from the first to the last.
    ns=$(awk -v c="$calls" -v s="$sweep" 'BEGIN { if (c <= s) for (i = 1; i <= c; i++) print i;
           else for (i = 0; i < s; i++) print 1 + int(i * (c - 1) / (s - 1)) }' | uniq)
    tally="" bad=""
    for n in $ns; do
      rm -f "$tmp/report"
      verdict=$(run "$backend" "$function:$n:$errno_name" "$tmp/report")
      grep -q '^injected' "$tmp/report" 2>/dev/null || verdict="$verdict (not fired)"
      case $verdict in
        correct*|degraded*|error*) ;;
        *) bad="$bad; n=$n: $verdict" ;;
      esac
      tally="$tally
$(printf '%s' "$verdict" | sed 's/^\(error\)[^(]*\((at start)\)\{0,1\}.*/\1 \2/; s/^\(degraded, missed\):.*/\1 changes/; s/ *$//')"
    done
    summary=$(printf '%s\n' "$tally" | grep . | sort | uniq -c | awk '{ c = $1; $1 = ""; printf "%s%d%s", sep, c, $0; sep = ", " }')
    if [ -z "$bad" ]; then
      ok "$backend: $function fails with $errno_name at call n of $calls, n in $(echo $ns | tr ' ' ','): $summary"
    else
      not_ok "$backend: $function fails with $errno_name at call n of $calls: $summary${bad}"
    fi
  done
done
exit $status
