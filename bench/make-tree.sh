#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make-tree.sh DIR: the tree, 5,000 directories x 20 files, depth 4.
#
# DIR/aI (10) / bJ (10 each: 100) / cK (10 each: 1,000) / dL (3 or 4 each:
# 3,890) = 5,000 directories below DIR, each holding 20 empty files f00..f19
# (100,000 files; DIR itself holds only the 10 top directories).  A watcher
# of DIR watches 5,001 directories.
set -euo pipefail

dir=${1:?usage: make-tree.sh DIR}
mkdir -p "$dir"
cd "$dir"
if [ -n "$(ls -A .)" ]; then
  echo "make-tree.sh: $dir is not empty" >&2
  exit 1
fi

dirs=()
n=0
for a in 0 1 2 3 4 5 6 7 8 9; do
  dirs+=("a$a")
  for b in 0 1 2 3 4 5 6 7 8 9; do
    dirs+=("a$a/b$b")
    for c in 0 1 2 3 4 5 6 7 8 9; do
      dirs+=("a$a/b$b/c$c")
      # 890 of the 1,000 third-level directories get 4 children, 110 get 3.
      leaves=$(( n < 890 ? 4 : 3 ))
      n=$((n + 1))
      for ((d = 0; d < leaves; d++)); do
        dirs+=("a$a/b$b/c$c/d$d")
      done
    done
  done
done

printf '%s\n' "${dirs[@]}" | xargs -d '\n' mkdir
printf '%s\n' "${dirs[@]}" | awk '{ for (i = 0; i < 20; i++) printf "%s/f%02d\n", $0, i }' | xargs -d '\n' touch

n_dirs=$(find . -mindepth 1 -type d | wc -l)
n_files=$(find . -type f | wc -l)
if [ "$n_dirs" -ne 5000 ] || [ "$n_files" -ne 100000 ]; then
  echo "make-tree.sh: made $n_dirs directories and $n_files files, expected 5000 and 100000" >&2
  exit 1
fi
echo "make-tree.sh: $dir: $n_dirs directories, $n_files files"
