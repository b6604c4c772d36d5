#!/bin/sh
# Every long option that `watchfiles --help` lists is documented in the man
# page source and completed by the bash completion, and the completion
# offers nothing that --help does not list.  TAP output.
set -u
tool=$1
src=$2
man="$src/data/watchfiles.1.scd"
completion="$src/data/completions/watchfiles"
echo "1..4"

options=$("$tool" --help | grep -Eo -- '--[a-z][a-z-]*' | sort -u)
if [ "$(echo "$options" | wc -l)" -ge 20 ]; then
  ok_list=1; echo "ok 1 --help lists $(echo "$options" | wc -l) long options"
else
  ok_list=0; echo "not ok 1 --help lists too few options: $options"
fi

for file in "$man" "$completion"; do
  missing=""
  for option in $options; do
    grep -Eq -- "$option([^a-z-]|\$)" "$file" || missing="$missing $option"
  done
  if [ -z "$missing" ] && [ $ok_list = 1 ]; then
    echo "ok $((2 + ${n:-0})) $(basename "$file") names every long option of --help"
  else
    echo "not ok $((2 + ${n:-0})) $(basename "$file") lacks:$missing"
  fi
  n=1
done

extra=""
for option in $(grep -Eo -- '--[a-z][a-z-]*' "$completion" | sort -u); do
  echo "$options" | grep -qx -- "$option" || extra="$extra $option"
done
if [ -z "$extra" ]; then
  echo "ok 4 the completion offers only options that exist"
else
  echo "not ok 4 the completion offers unknown options:$extra"
fi
