#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fuzz.sh TARGET CORPUS: one libFuzzer target for WF_FUZZ_SECONDS
# (default 30), as one TAP test.  Every input of the seed corpus CORPUS
# (the regression inputs among them) runs first; new inputs go to a
# scratch corpus, so the repository is never written.  Prints the
# executions, their rate and the corpus size; on a crash or leak, the
# input and how to keep it as a regression input.  The mutations follow
# WF_FUZZ_SEED (default 1), so a run is repeatable and a longer run with
# the same seed covers what a shorter one did; WF_FUZZ_SEED=0 picks a new
# seed each run, for exploring by hand.
set -u
target=$1
corpus=$2
seconds=${WF_FUZZ_SECONDS:-30}
seed=${WF_FUZZ_SEED:-1}
name=$(basename "$target")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/wf-$name-XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/new" "$scratch/artifacts"

echo "1..1"
# -close_fd_mask=3: the target's own stdout and stderr (the command's usage
# messages) are noise; libFuzzer's report still gets through.
"$target" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$scratch/artifacts/" \
  "$scratch/new" "$corpus" >"$scratch/log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/log" | tail -n 1)
peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$scratch/log" | tail -n 1)
added=$(ls "$scratch/new" | wc -l)
seeds=$(ls "$corpus" | wc -l)
summary="$name: ${runs:-0} executions in $seconds s (${rate:-0}/s, seed $seed), $seeds seed inputs, $added new, peak RSS ${peak:-?} MiB"
if [ "$status" -eq 0 ] && [ -n "$runs" ]; then
  echo "ok 1 - $summary"
  exit 0
fi
sed 's/^/# /' "$scratch/log" | tail -n 80
for a in "$scratch"/artifacts/*; do
  [ -e "$a" ] || continue
  echo "# input $(basename "$a") (base64; keep it: base64 -d > tests/fuzz/corpus/$name/regression-NAME):"
  base64 -w 76 "$a" | sed 's/^/#   /'
done
echo "not ok 1 - $summary (status $status)"
exit 1
