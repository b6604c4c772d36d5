#!/bin/sh
# SPDX-License-Identifier: MIT
# `watchfiles --since STATE [PATH…]`: a first run prints nothing and writes
# STATE; later runs print what changed since the last one (text, json,
# tsv), with the ignore and filter options; a damaged STATE, or one saved
# for other paths or rules, exits 1 with the error and is left as it is;
# the usage errors exit 2.  TAP output; run by `meson test --suite tools`.
set -u
. "$(dirname "$0")/tap-lib.sh"
echo "1..12"

w="$tmp/w"
state="$tmp/state"
mkdir -p "$w/d" "$w/node_modules"
echo a >"$w/a"
echo b >"$w/d/b"

# Runs the tool; $out, $err and $status are what came of it.
since() {
  $run "$tool" --since "$state" "$@" >"$tmp/out" 2>"$tmp/err"
  status=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}

since "$w"
if [ $status = 0 ] && [ -z "$out" ] && [ -s "$state" ]; then
  ok "a first run prints nothing, writes the state and exits 0"
else
  not_ok "first run: status $status, out \"$out\", err \"$err\""
fi

since "$w"
if [ $status = 0 ] && [ -z "$out" ]; then
  ok "nothing changed: nothing printed"
else
  not_ok "unchanged: status $status, out \"$out\", err \"$err\""
fi

echo more >>"$w/a"
mkdir "$w/n"
echo x >"$w/n/x"
rm -r "$w/d"
echo ignored >"$w/node_modules/m.js"
since "$w"
want="added $w/n
added $w/n/x
deleted $w/d
deleted $w/d/b
modified $w/a"
got=$(printf '%s\n' "$out" | sort)
if [ $status = 0 ] && [ "$got" = "$want" ]; then
  ok "prints each change since the last run, the ignored ones left out"
else
  not_ok "changes: status $status, got \"$got\", want \"$want\", err \"$err\""
fi

since "$w"
if [ $status = 0 ] && [ -z "$out" ]; then
  ok "the state was written anew"
else
  not_ok "second look: status $status, out \"$out\""
fi

mv "$w/n" "$w/n2"
since --format json "$w"
if [ $status = 0 ] && printf '%s\n' "$out" | grep -qF "{\"change\": \"added\", \"path\": \"$w/n2/x\"}" &&
   printf '%s\n' "$out" | grep -qF "{\"change\": \"deleted\", \"path\": \"$w/n\"}"; then
  ok "--format json"
else
  not_ok "json: status $status, out \"$out\", err \"$err\""
fi

rm "$w/n2/x"
since --format tsv "$w"
if [ $status = 0 ] && [ "$out" = "$(printf 'deleted\t%s' "$w/n2/x")" ]; then
  ok "--format tsv"
else
  not_ok "tsv: status $status, out \"$out\""
fi

# Other rules: refused, the state untouched.
cp "$state" "$tmp/before"
since --filter all "$w"
if [ $status = 1 ] && echo "$err" | grep -q "other ignore rules" && cmp -s "$state" "$tmp/before"; then
  ok "a state saved with other ignore rules: exit 1, says so, left as it is"
else
  not_ok "other rules: status $status, err \"$err\""
fi

since "$w/n2"
if [ $status = 1 ] && echo "$err" | grep -q "other roots" && cmp -s "$state" "$tmp/before"; then
  ok "a state saved for other paths: exit 1, says so"
else
  not_ok "other roots: status $status, err \"$err\""
fi

since --non-recursive "$w"
if [ $status = 1 ] && echo "$err" | grep -q "recursive"; then
  ok "a state saved recursive, read --non-recursive: exit 1"
else
  not_ok "non-recursive: status $status, err \"$err\""
fi

head -c 40 "$tmp/before" >"$state"
since "$w"
if [ $status = 1 ] && echo "$err" | grep -q "truncated" && [ "$(wc -c <"$state")" = 40 ]; then
  ok "a truncated state: exit 1, says so, left as it is"
else
  not_ok "truncated: status $status, err \"$err\""
fi

echo "not a state" >"$state"
since "$w"
if [ $status = 1 ] && echo "$err" | grep -q "not a Watchfiles state file"; then
  ok "a foreign file: exit 1, says so"
else
  not_ok "foreign: status $status, err \"$err\""
fi

# --exts selects lines, not the state; --print and --since do not mix.
rm -f "$state"
since --exts c "$w"
echo 1 >"$w/keep.c"
echo 1 >"$w/skip.h"
since --exts c "$w"
$run "$tool" --since "$state" --print "$w" >/dev/null 2>"$tmp/err2"
usage=$?
if [ $status = 0 ] && [ "$out" = "added $w/keep.c" ] && [ $usage = 2 ]; then
  ok "--exts selects the lines printed; --since with --print is a usage error"
else
  not_ok "exts/usage: status $status, out \"$out\", usage status $usage"
fi
