#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# soak.sh: the built `watchfiles --print` on a temporary tree under random
# operations (bench/soak-ops.py) for a long while, its RSS, descriptors and
# inotify watches sampled every second.  At the end: every path the
# operations left, or deleted, was named by the last batch that named it as
# it is (soak-ops.py check); then the whole tree below the root is removed
# and the descriptors and watches must come back to where they started.
# Exits 1 on a miss or a leak (2 when it cannot run).
#
# Knobs (environment): SOAK_SECONDS (600), SOAK_RATE (operations per second,
# 400), SOAK_SEED (random), WF_SOAK_BUILD (build directory: build/, set up
# and built when missing), WATCHFILES_BACKEND (inotify), SOAK_KEEP=1 keeps
# the work directory (samples, output, the operations' log).
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${WF_SOAK_BUILD:-$SRC/build}
SECONDS_TOTAL=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-400}
SEED=${SOAK_SEED:-$RANDOM}
BACKEND=${WATCHFILES_BACKEND:-inotify}
PYTHON=${PYTHON:-/usr/bin/python3}

log() { echo "soak.sh: $*" >&2; }

if [ ! -f "$BUILD/build.ninja" ]; then
  log "meson setup $BUILD"
  meson setup "$BUILD" >/dev/null || exit 2
fi
ninja -C "$BUILD" tools/watchfiles >/dev/null || { log "build failed"; exit 2; }
CLI=$BUILD/tools/watchfiles
export WATCHFILES_BACKEND_DIR=$BUILD/backends/inotify:$BUILD/backends/poll

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wf-soak.XXXXXX")
ROOT=$WORK/tree
mkdir "$ROOT"
CLI_PID=
SAMPLER_PID=
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  [ -n "$CLI_PID" ] && kill "$CLI_PID" 2>/dev/null
  if [ "${SOAK_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- what /proc says about the CLI ------------------------------------------

fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
watches() { cat "/proc/$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:'; }
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }

# Until OUTPUT has not grown for $1 seconds (at most $2 seconds).
await_quiet() {
  local quiet=$1 limit=$2 size last_size=-1 still=0 waited=0
  while [ "$still" -lt "$quiet" ] && [ "$waited" -lt "$limit" ]; do
    sleep 1
    waited=$((waited + 1))
    size=$(stat -c %s "$WORK/output")
    if [ "$size" = "$last_size" ]; then still=$((still + 1)); else still=0; fi
    last_size=$size
  done
}

# ---- the run ------------------------------------------------------------------

"$CLI" --print --format=json-batch --filter=all --backend="$BACKEND" "$ROOT" \
  >"$WORK/output" 2>"$WORK/cli.err" &
CLI_PID=$!
for _ in $(seq 100); do
  grep -q 'watching' "$WORK/cli.err" 2>/dev/null && break
  kill -0 "$CLI_PID" 2>/dev/null || { cat "$WORK/cli.err" >&2; log "the CLI did not start"; exit 2; }
  sleep 0.1
done
grep -q 'watching' "$WORK/cli.err" || { log "the CLI is not watching after 10 s"; exit 2; }

FDS_START=$(fds "$CLI_PID")
WATCHES_START=$(watches "$CLI_PID")
log "$CLI (pid $CLI_PID, $BACKEND) on $ROOT: $SECONDS_TOTAL s at $RATE ops/s, seed $SEED"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# One line a second: milliseconds since the operations began (the clock's,
# not a count of samples, which drifts), RSS (KiB), descriptors, watches.
OPS_START_MS=$(now_ms)
(
  while kill -0 "$CLI_PID" 2>/dev/null; do
    echo "$(($(now_ms) - OPS_START_MS)) $(rss_kib "$CLI_PID") $(fds "$CLI_PID") $(watches "$CLI_PID")"
    sleep 1
  done
) >"$WORK/samples" &
SAMPLER_PID=$!

OPS_SUMMARY=$("$PYTHON" "$SRC/bench/soak-ops.py" ops "$ROOT" "$SECONDS_TOTAL" "$RATE" "$SEED" "$WORK/ops.log") ||
  { log "the operations failed"; exit 2; }
OPS_END_MS=$(($(now_ms) - OPS_START_MS))
kill -0 "$CLI_PID" 2>/dev/null || { cat "$WORK/cli.err" >&2; log "the CLI died"; exit 1; }

# The last batches: the debounce is 1.6 s at most; 5 s without output.
await_quiet 5 120
cp "$WORK/output" "$WORK/output.ops"
FDS_OPS=$(fds "$CLI_PID")
WATCHES_OPS=$(watches "$CLI_PID")
CHECK=$("$PYTHON" "$SRC/bench/soak-ops.py" check "$WORK/ops.log" "$WORK/output.ops" "$BACKEND")
CHECK_RC=$?

# Everything below the root goes; the root stays.
find "$ROOT" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
await_quiet 5 120
FDS_END=$(fds "$CLI_PID")
WATCHES_END=$(watches "$CLI_PID")
kill "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null
SAMPLER_PID=
kill -INT "$CLI_PID"
wait "$CLI_PID"
CLI_RC=$?
CLI_PID=

# ---- the summary --------------------------------------------------------------

RSS_END=$(tail -1 "$WORK/samples" | cut -d' ' -f2)
read -r RSS_FIRST RSS_LAST RSS_MAX N_SAMPLES WATCHES_MAX FDS_MAX < <(awk -v end="$OPS_END_MS" '
  $1 <= end {
    n++
    if ($2 > max) max = $2; if ($3 > fmax) fmax = $3; if ($4 > wmax) wmax = $4
    if ($1 < 60000 && $2 > first) first = $2
    if ($1 >= end - 60000 && $2 > last) last = $2
  }
  END { print first + 0, last + 0, max + 0, n + 0, wmax + 0, fmax + 0 }' "$WORK/samples")

MISSES=$(sed -n 's/.* misses=\([0-9]*\).*/\1/p' <<<"$CHECK" | head -1)
status=0
echo "## soak: $BACKEND, $SECONDS_TOTAL s at $RATE ops/s (seed $SEED)"
echo
echo "operations: $OPS_SUMMARY"
echo "check:      $(head -1 <<<"$CHECK")"
tail -n +2 <<<"$CHECK" | sed 's/^/            /'
echo "RSS:        max $RSS_FIRST KiB in the first minute of operations, $RSS_LAST KiB in the last ($RSS_MAX KiB over $N_SAMPLES samples during them; $RSS_END KiB after removing the tree)"
echo "fds:        $FDS_START at the start -> $FDS_OPS after the operations (max $FDS_MAX during them) -> $FDS_END after removing the tree"
echo "watches:    $WATCHES_START at the start -> $WATCHES_OPS after the operations (max $WATCHES_MAX during them) -> $WATCHES_END after removing the tree"
echo "CLI exit:   $CLI_RC after SIGINT"
if [ "$CHECK_RC" -ne 0 ] || [ "${MISSES:-1}" != 0 ]; then echo "FAIL: ${MISSES:-?} misses"; status=1; fi
if [ "$FDS_END" != "$FDS_START" ]; then echo "FAIL: descriptors leaked ($FDS_START -> $FDS_END)"; status=1; fi
if [ "$WATCHES_END" != "$WATCHES_START" ]; then echo "FAIL: watches leaked ($WATCHES_START -> $WATCHES_END)"; status=1; fi
if [ "$CLI_RC" -ne 0 ]; then echo "FAIL: the CLI exited $CLI_RC"; status=1; fi
[ "$status" = 0 ] && echo "PASS"
exit "$status"
