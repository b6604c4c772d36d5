#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-state.sh: the changes-since measures (bench/README.md, "Changes since
# a state"): builds state-bench (release, in build-bench/ like run.sh),
# makes the 5,000 x 20 tree in a temporary directory, and runs state-bench
# and, when @parcel/watcher is found, parcel-state.js on it, alternating
# ROUNDS times; prints both results.
#
# Knobs (environment): WF_BENCH_BUILD (build directory), RUNS (5, per
# round), ROUNDS (2), PARCEL_NODE_PATH (a node_modules holding
# @parcel/watcher; default: $NODE_PATH).
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${WF_BENCH_BUILD:-$SRC/build-bench}
RUNS=${RUNS:-5}
ROUNDS=${ROUNDS:-2}
PARCEL_NODE_PATH=${PARCEL_NODE_PATH:-${NODE_PATH:-}}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wf-state-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release >"$WORK/meson.log" 2>&1 || { cat "$WORK/meson.log" >&2; exit 1; }
fi
ninja -C "$BUILD" bench/state-bench >"$WORK/ninja.log" 2>&1 || { tail -40 "$WORK/ninja.log" >&2; exit 1; }

"$SRC/bench/make-tree.sh" "$WORK/tree" >&2 || exit 1
have_parcel=0
if command -v node >/dev/null &&
   NODE_PATH=$PARCEL_NODE_PATH node -e "require('@parcel/watcher')" 2>/dev/null; then
  have_parcel=1
else
  echo "run-state.sh: no @parcel/watcher (npm install @parcel/watcher; PARCEL_NODE_PATH=.../node_modules): its rows are skipped" >&2
fi

for ((round = 1; round <= ROUNDS; round++)); do
  echo "## round $round: watchfiles (state-bench, $RUNS runs)"
  "$BUILD/bench/state-bench" "$WORK/tree" "$WORK/state" "$RUNS" 100
  if [ $have_parcel = 1 ]; then
    echo "## round $round: @parcel/watcher $(NODE_PATH=$PARCEL_NODE_PATH node -p "require('@parcel/watcher/package.json').version") (parcel-state.js, $RUNS runs)"
    NODE_PATH=$PARCEL_NODE_PATH node "$SRC/bench/parcel-state.js" "$WORK/tree" "$WORK/parcel.snapshot" "$RUNS"
  fi
done
