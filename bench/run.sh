#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh: build the library (release) and the benchmarks, make the issue's
# tree in a temporary directory, run every measure side by side with the raw
# inotify baseline, and print a Markdown table.  Nothing is written to the
# source tree except the build directory (build-bench/ by default).
#
# Knobs (environment): WF_BENCH_BUILD (build directory), SETUP_RUNS (5),
# IDLE_S (10), LATENCY_N (200), NEWDIR_N (500), COUNT_RUNS (3, for newdir
# and burst), WATCHFILES_BACKEND (inotify), PEERS (1: also time
# inotifywait and watchdog when installed; 0: skip).
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${WF_BENCH_BUILD:-$SRC/build-bench}
SETUP_RUNS=${SETUP_RUNS:-5}
IDLE_S=${IDLE_S:-10}
LATENCY_N=${LATENCY_N:-200}
NEWDIR_N=${NEWDIR_N:-500}
COUNT_RUNS=${COUNT_RUNS:-3}
PEERS=${PEERS:-1}
export WATCHFILES_BACKEND=${WATCHFILES_BACKEND:-inotify}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wf-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ERRLOG=$WORK/stderr.log
: >"$ERRLOG"

log() { echo "run.sh: $*" >&2; }

# ---- build ---------------------------------------------------------------

if [ ! -f "$BUILD/build.ninja" ]; then
  log "meson setup $BUILD --buildtype=release"
  meson setup "$BUILD" --buildtype=release >"$WORK/meson.log" 2>&1 || { cat "$WORK/meson.log" >&2; exit 1; }
fi
ninja -C "$BUILD" >"$WORK/ninja.log" 2>&1 || { tail -40 "$WORK/ninja.log" >&2; log "library build failed"; exit 1; }
buildtype=$(meson configure "$BUILD" 2>/dev/null | awk '$1 == "buildtype" { print $2; exit }')
[ "$buildtype" = release ] || log "warning: $BUILD has buildtype '$buildtype', not release"

# bench/meson.build when the top-level meson.build includes it; otherwise
# the two programs are compiled here against the build tree's library.
if grep -q "subdir('bench')" "$SRC/meson.build" &&
   ninja -C "$BUILD" bench/wf-bench bench/raw-inotify >"$WORK/ninja-bench.log" 2>&1; then
  BIN=$BUILD/bench
else
  BIN=$WORK/bin
  mkdir -p "$BIN"
  CC=${CC:-cc}
  $CC -O2 -std=gnu11 -o "$BIN/raw-inotify" "$SRC/bench/raw-inotify.c" -pthread || exit 1
  # shellcheck disable=SC2046
  $CC -O2 -std=gnu11 -D_GNU_SOURCE -I"$SRC/core" -I"$BUILD/core" -I"$BUILD" \
    -o "$BIN/wf-bench" "$SRC/bench/wf-bench.c" \
    $(pkg-config --cflags --libs gio-2.0) -L"$BUILD/core" -lwatchfiles-1.0 -Wl,-rpath,"$BUILD/core" -pthread || exit 1
fi
export WATCHFILES_BACKEND_DIR=$BUILD/backends/inotify:$BUILD/backends/poll

# ---- helpers -------------------------------------------------------------

# field LINE KEY: the value of KEY=value in a RESULT line
field() {
  local re="(^| )$2=([^ ]*)"
  if [[ $1 =~ $re ]]; then echo "${BASH_REMATCH[2]}"; else echo "n/a"; fi
}

# measure CMD...: its RESULT line, or "FAILED"; stderr goes to the log
measure() {
  local out rc
  echo "\$ ${*##*/}" >>"$ERRLOG"
  out=$(timeout 180 "$@" 2>>"$ERRLOG")
  rc=$?
  out=$(grep '^RESULT' <<<"$out" | tail -1)
  if [ $rc -ne 0 ] || [ -z "$out" ]; then
    log "FAILED (exit $rc): $*"
    echo "FAILED rc=$rc"
  else
    echo "$out"
  fi
}

median() {
  sort -g | awk '/^-?[0-9.]+$/ { a[++n] = $1 }
    END { if (n == 0) print "n/a"; else if (n % 2) print a[(n + 1) / 2]; else print (a[n / 2] + a[n / 2 + 1]) / 2 }'
}

# words_median "A B C": the median of space-separated numbers
words_median() { tr ' ' '\n' <<<"$1" | median; }

# le A B: A <= B numerically (false if either is not a number)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a ~ /^-?[0-9.]+$/ && b ~ /^-?[0-9.]+$/ && a + 0 <= b + 0) }'; }
calc() { awk "BEGIN { printf \"$1\n\", $2 }"; }
kib_to_mib() { if [ "$1" = n/a ]; then echo n/a; else calc "%.2f" "$1 / 1024"; fi; }

# ---- the tree ------------------------------------------------------------

TREE=$WORK/tree
EMPTY=$WORK/empty
mkdir -p "$EMPTY"
log "making the tree (5,000 directories x 20 files) in $TREE"
"$SRC/bench/make-tree.sh" "$TREE" >&2 || exit 1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Warm the dentry and page caches once for both, so neither pays for them.
measure "$BIN/raw-inotify" "$TREE" >/dev/null
measure "$BIN/wf-bench" setup "$TREE" >/dev/null

# ---- setup and peak RSS: alternate raw and Watchfiles --------------------

log "setup: $SETUP_RUNS runs each, alternating"
raw_s=() wf_s=() raw_hwm=() wf_hwm=() empty_s=() empty_hwm=() ign_s=() ign_hwm=() ign_rules_s=()
wf_line=
for ((i = 0; i < SETUP_RUNS; i++)); do
  line=$(measure "$BIN/raw-inotify" "$TREE")
  raw_s+=("$(field "$line" setup_s)"); raw_hwm+=("$(field "$line" hwm_kib)")
  raw_dirs=$(field "$line" dirs)
  line=$(measure "$BIN/wf-bench" setup "$TREE")
  wf_s+=("$(field "$line" setup_s)"); wf_hwm+=("$(field "$line" hwm_kib)")
  [ -n "$wf_line" ] || wf_line=$line
  # The default ignore rules on the same tree: nothing in it matches, so
  # this is the cost of checking every one of its 105,000 entries.
  line=$(measure env WF_BENCH_IGNORE=default "$BIN/wf-bench" setup "$TREE")
  ign_s+=("$(field "$line" setup_s)"); ign_hwm+=("$(field "$line" hwm_kib)")
  ign_rules_s+=("$(field "$line" rules_s)")
  ign_dirs=$(field "$line" dirs)
  line=$(measure "$BIN/wf-bench" setup "$EMPTY")
  empty_s+=("$(field "$line" setup_s)"); empty_hwm+=("$(field "$line" hwm_kib)")
done
raw_setup=$(printf '%s\n' "${raw_s[@]}" | median)
wf_setup=$(printf '%s\n' "${wf_s[@]}" | median)
wf_empty=$(printf '%s\n' "${empty_s[@]}" | median)
wf_empty_rss=$(printf '%s\n' "${empty_hwm[@]}" | median)
raw_rss=$(printf '%s\n' "${raw_hwm[@]}" | median)
wf_rss=$(printf '%s\n' "${wf_hwm[@]}" | median)
wf_dirs=$(field "$wf_line" dirs)
wf_backend=$(field "$wf_line" backend)
wf_rss_before=$(field "$wf_line" hwm_before_kib)
wf_rss_detail="before wf_notify_new: $(kib_to_mib "$wf_rss_before") = anon $(kib_to_mib "$(field "$wf_line" rss_anon_before_kib)") + file $(kib_to_mib "$(field "$wf_line" rss_file_before_kib)"); holding: anon $(kib_to_mib "$(field "$wf_line" rss_anon_kib)") + file $(kib_to_mib "$(field "$wf_line" rss_file_kib)")"
# ratio A B: A / B to two decimals, or n/a
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b ~ /^[0-9.]+$/ && b > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a / b; else print "n/a" }'; }
ratio=$(ratio "$wf_setup" "$raw_setup")
ign_setup=$(printf '%s\n' "${ign_s[@]}" | median)
ign_rss=$(printf '%s\n' "${ign_hwm[@]}" | median)
ign_rules=$(printf '%s\n' "${ign_rules_s[@]}" | median)

# ---- ignore rules on a tree with node_modules ----------------------------

# TREE2 = the same tree moved (a rename, caches stay warm) to
# TREE2/node_modules, next to TREE2/src of 10 directories x 20 files.
# With the default rules only the root, src and its 10 directories are
# watched (12); without, 5,013.  Both backends, alternating; poll's setup is
# its first scan.  The tree is moved back for the measures that follow.
TREE2=$WORK/tree2
mkdir -p "$TREE2/src"
for ((d = 0; d < 10; d++)); do
  mkdir "$TREE2/src/s$d"
  touch "$TREE2/src/s$d/f"{00..19}
done
mv "$TREE" "$TREE2/node_modules"
log "node_modules tree: $SETUP_RUNS runs each of inotify and poll, without and with the default rules, alternating"
declare -A t2_s t2_hwm t2_dirs
for ((i = 0; i < SETUP_RUNS; i++)); do
  for backend in inotify poll; do
    for rules in none default; do
      line=$(measure env WATCHFILES_BACKEND=$backend WF_BENCH_IGNORE=$rules "$BIN/wf-bench" setup "$TREE2")
      t2_s[$backend.$rules]+="$(field "$line" setup_s) "
      t2_hwm[$backend.$rules]+="$(field "$line" hwm_kib) "
      t2_dirs[$backend.$rules]=$(field "$line" dirs)
    done
  done
done
mv "$TREE2/node_modules" "$TREE" || exit 1
# t2_row BACKEND: the table's cells for one backend
t2_row() {
  local none default none_rss default_rss
  none=$(words_median "${t2_s[$1.none]}"); default=$(words_median "${t2_s[$1.default]}")
  none_rss=$(words_median "${t2_hwm[$1.none]}"); default_rss=$(words_median "${t2_hwm[$1.default]}")
  echo "| node_modules tree, $1 backend: setup s (median of $SETUP_RUNS; runs without: ${t2_s[$1.none]% }; with: ${t2_s[$1.default]% }), directories watched, peak RSS MiB | without: 5013; default rules: 12 | - | without rules: $none s, ${t2_dirs[$1.none]} dirs, $(kib_to_mib "$none_rss") MiB; default rules: $default s, ${t2_dirs[$1.default]} dirs, $(kib_to_mib "$default_rss") MiB (setup without / with: $(ratio "$none" "$default")x) | $(verdict t2_dirs_ok "$1") |"
}
t2_dirs_ok() { [ "${t2_dirs[$1.none]}" = 5013 ] && [ "${t2_dirs[$1.default]}" = 12 ]; }

# ---- idle: both at once (each only sleeps) --------------------------------

log "idle: ${IDLE_S} s"
measure "$BIN/raw-inotify" "$TREE" --idle "$IDLE_S" >"$WORK/raw-idle" &
raw_idle_pid=$!
wf_idle=$(measure "$BIN/wf-bench" idle "$TREE" "$IDLE_S")
wait "$raw_idle_pid"
raw_idle=$(cat "$WORK/raw-idle")

# ---- latency -------------------------------------------------------------

log "latency: $LATENCY_N writes each"
raw_lat=$(measure "$BIN/raw-inotify" "$TREE" --latency "$LATENCY_N")
wf_lat0=$(measure "$BIN/wf-bench" latency "$TREE" "$LATENCY_N" 0)
wf_lat50=$(measure "$BIN/wf-bench" latency "$TREE" "$LATENCY_N" 50)

# ---- newdir race and burst -----------------------------------------------

log "newdir: $COUNT_RUNS runs of $NEWDIR_N; burst: $COUNT_RUNS runs of 20,000 files"
newdir_seen=() burst_seen=() burst_wait=()
for ((i = 0; i < COUNT_RUNS; i++)); do
  mkdir "$WORK/newdir.$i" "$WORK/burst.$i"
  line=$(measure "$BIN/wf-bench" newdir "$WORK/newdir.$i" "$NEWDIR_N")
  newdir_seen+=("$(field "$line" seen)")
  line=$(measure "$BIN/wf-bench" burst "$WORK/burst.$i" 200 100)
  burst_seen+=("$(field "$line" seen)")
  burst_wait+=("$(field "$line" wait_s)")
  rm -rf "$WORK/newdir.$i" "$WORK/burst.$i"
done
newdir_min=$(printf '%s\n' "${newdir_seen[@]}" | sort -g | head -1)
burst_min=$(printf '%s\n' "${burst_seen[@]}" | sort -g | head -1)

# ---- optional peers ------------------------------------------------------

peer_rows=()
if [ "$PEERS" = 1 ] && command -v inotifywait >/dev/null; then
  log "inotifywait -m -r: $SETUP_RUNS runs"
  iw_s=() iw_hwm=()
  for ((i = 0; i < SETUP_RUNS; i++)); do
    t0=$(date +%s%N)
    # stderr to the pipe, stdout away (the order is deliberate)
    # shellcheck disable=SC2069
    coproc IW { exec inotifywait -m -r -e modify,attrib,close_write,create,delete,move "$TREE" 2>&1 >/dev/null; }
    while read -r -u "${IW[0]}" l; do [[ $l == *"Watches established"* ]] && break; done
    t1=$(date +%s%N)
    iw_hwm+=("$(awk '/^VmHWM/ { print $2 }' "/proc/$IW_PID/status")")
    kill "$IW_PID"; wait "$IW_PID" 2>/dev/null
    iw_s+=("$(calc "%.4f" "($t1 - $t0) / 1e9")")
  done
  iw_setup=$(printf '%s\n' "${iw_s[@]}" | median)
  peer_rows+=("| inotifywait -m -r ($(inotifywait --help 2>&1 | head -1 | awk '{ print $2 }')) | $iw_setup | $(calc "%.2f" "$iw_setup / $raw_setup")x | $(kib_to_mib "$(printf '%s\n' "${iw_hwm[@]}" | median)") | includes fork+exec |")
fi
if [ "$PEERS" = 1 ] && /usr/bin/python3 -c 'import watchdog' 2>/dev/null; then
  log "watchdog (inotify observer): $SETUP_RUNS runs"
  wd_s=() wd_hwm=()
  for ((i = 0; i < SETUP_RUNS; i++)); do
    line=$(/usr/bin/python3 - "$TREE" <<'EOF'
import sys, time
from watchdog.events import FileSystemEventHandler
from watchdog.observers.inotify import InotifyObserver
t0 = time.monotonic()
o = InotifyObserver()
o.schedule(FileSystemEventHandler(), sys.argv[1], recursive=True)
o.start()  # on_thread_start() adds every watch before this returns
t1 = time.monotonic()
hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]
print(f"RESULT setup_s={t1 - t0:.4f} hwm_kib={hwm}")
o.stop()
o.join()
EOF
    )
    wd_s+=("$(field "$line" setup_s)"); wd_hwm+=("$(field "$line" hwm_kib)")
  done
  wd_setup=$(printf '%s\n' "${wd_s[@]}" | median)
  wd_version=$(/usr/bin/python3 -c 'import watchdog.version as v; print(v.VERSION_STRING)')
  peer_rows+=("| watchdog $wd_version (InotifyObserver) | $wd_setup | $(calc "%.2f" "$wd_setup / $raw_setup")x | $(kib_to_mib "$(printf '%s\n' "${wd_hwm[@]}" | median)") | RSS includes the Python interpreter |")
fi

# ---- the table -----------------------------------------------------------

verdict() { if "$@"; then echo met; else echo "**MISSED**"; fi; }

raw_p50=$(field "$raw_lat" p50_ms); raw_p99=$(field "$raw_lat" p99_ms)
l0_p50=$(field "$wf_lat0" p50_ms); l0_p99=$(field "$wf_lat0" p99_ms)
l50_p50=$(field "$wf_lat50" p50_ms); l50_p99=$(field "$wf_lat50" p99_ms)
wf_ticks=$(field "$wf_idle" ticks); wf_other_ticks=$(field "$wf_idle" other_ticks); wf_wakeups=$(field "$wf_idle" other_wakeups)
setup_limit=$(calc "%.4f" "1.3 * $raw_setup")

echo
echo "## Watchfiles bench ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "$(nproc) CPUs, kernel $(uname -r), $(df -T "$WORK" | awk 'NR==2 { print $2 }') in $WORK, build $buildtype, backend $wf_backend, load average before: $load_before."
rev=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$SRC" status --porcelain -- core backends 2>/dev/null | wc -l)
echo "Source: commit $rev, $dirty uncommitted files in core/ and backends/."
echo "Tree: 5,000 directories x 20 files below the root ($raw_dirs watched directories with the root)."
echo "node_modules tree: that tree moved to ROOT/node_modules, next to ROOT/src with 10 directories x 20 files (5,013 directories with the root; 12 outside node_modules)."
echo
echo "| measure | target | raw inotify (C) | Watchfiles | verdict |"
echo "|---|---|---|---|---|"
echo "| watches established, s (median of $SETUP_RUNS; runs raw: ${raw_s[*]}; wf: ${wf_s[*]}) | <= 1.3 x raw = $setup_limit | $raw_setup | $wf_setup (${ratio}x) | $(verdict le "$wf_setup" "$setup_limit") |"
echo "| directories watched | $raw_dirs | $raw_dirs | $wf_dirs | $(verdict [ "$wf_dirs" = "$raw_dirs" ]) |"
echo "| watches established with the default ignore rules, s (median of $SETUP_RUNS, same alternation; none of the 105,000 entries matches, each is checked; runs: ${ign_s[*]}) | - | $raw_setup | $ign_setup ($(ratio "$ign_setup" "$raw_setup")x raw, $(ratio "$ign_setup" "$wf_setup")x without rules; making the rules: $ign_rules s), $ign_dirs dirs, peak RSS $(kib_to_mib "$ign_rss") MiB | - |"
t2_row inotify
t2_row poll
echo "| constructor on an empty directory (fixed cost): s, peak RSS MiB | - | - | $wf_empty s, $(kib_to_mib "$wf_empty_rss") MiB | - |"
echo "| peak RSS holding the watch, MiB (VmHWM, median) | <= 4 | $(kib_to_mib "$raw_rss") | $(kib_to_mib "$wf_rss") ($wf_rss_detail) | $(verdict le "$wf_rss" 4096) |"
echo "| idle ${IDLE_S} s: CPU ticks of threads other than main (whole process, main's sleep and wakeup included: raw $(field "$raw_idle" ticks), wf $wf_ticks) | 0 | $(field "$raw_idle" other_ticks) | $wf_other_ticks | $(verdict [ "$wf_other_ticks" = 0 ]) |"
echo "| idle ${IDLE_S} s: wakeups of threads other than main (main's own sleep ending: raw $(field "$raw_idle" main_wakeups), wf $(field "$wf_idle" main_wakeups)) | 0 | $(field "$raw_idle" other_wakeups) | $wf_wakeups ($(field "$wf_idle" threads) threads, $(field "$wf_idle" other_cpu_us) us on CPU) | $(verdict [ "$wf_wakeups" = 0 ]) |"
echo "| latency write -> watch() returns, debounce 0, step 1 ms: p50 / p99 ms ($LATENCY_N writes) | p50 <= 1.5 | $raw_p50 / $raw_p99 (read() returns) | $l0_p50 / $l0_p99 (lost $(field "$wf_lat0" lost)) | $(verdict le "$l0_p50" 1.5) |"
echo "| latency, debounce 50, step 1 ms: p50 / p99 ms | p50 <= 1.5 | - | $l50_p50 / $l50_p99 (lost $(field "$wf_lat50" lost)) | $(verdict le "$l50_p50" 1.5) |"
echo "| newdir race: f reported of $NEWDIR_N (runs: ${newdir_seen[*]}) | $NEWDIR_N | - | $newdir_min (worst run) | $(verdict [ "$newdir_min" = "$NEWDIR_N" ]) |"
echo "| burst: files in 200 new dirs reported of 20,000 (runs: ${burst_seen[*]}; all seen after ${burst_wait[*]} s) | 20,000 | - | $burst_min (worst run) | $(verdict [ "$burst_min" = 20000 ]) |"
if [ ${#peer_rows[@]} -gt 0 ]; then
  echo
  echo "Optional peers on the same tree (setup and peak RSS only):"
  echo
  echo "| watcher | ready s (median of $SETUP_RUNS) | vs raw | peak RSS MiB | note |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${peer_rows[@]}"
fi
echo
echo "Where Watchfiles' RSS goes (first setup run): $(grep -m1 '^resident KiB by mapping' "$ERRLOG" | sed 's/^resident KiB by mapping: //')"
if grep -q '^  thread' "$ERRLOG"; then
  echo
  echo "Threads that woke while idle:"
  grep '^  thread' "$ERRLOG" | sed 's/^ */- /'
fi
if grep -qv -e '^\$' -e '^resident KiB' -e '^  thread' "$ERRLOG"; then
  echo
  echo "Other messages from the runs:"
  echo '```'
  grep -v -e '^resident KiB' -e '^  thread' "$ERRLOG" | grep -B1 -v '^\$' | grep -v '^--$' | head -40
  echo '```'
fi
