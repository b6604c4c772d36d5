#!/bin/sh
# SPDX-License-Identifier: MIT
# The watchfiles command's stream mode (--print) and what both modes share:
# it streams the changes of a real directory in the three formats, costs
# no watch for what the ignore rules hide, stops cleanly on SIGINT, lists
# its backends, and refuses bad input with the exit codes of the Python
# CLI (1 missing path, 2 usage; options are checked first).  TAP output; run by `meson test --suite tools`.
set -u
. "$(dirname "$0")/tap-lib.sh"
echo "1..20"

# Starts the tool in the background with the given arguments; its stdout
# goes to $tmp/out, its stderr to $tmp/err; $child is its pid.
start() {
  # Not truncated by the redirection: that happens in the background, after
  # a look at the old file could have seen the old readiness line.
  rm -f "$tmp/out" "$tmp/err"
  $run "$tool" --debounce 50 --step 10 "$@" >"$tmp/out" 2>"$tmp/err" &
  child=$!
  pids="$pids $child"
}
# Sends SIGINT and waits; $status is its exit status.
stop() {
  kill -INT "$child"
  wait "$child"
  status=$?
}

mkdir "$tmp/w"
start --print "$tmp/w"
if wait_for "$tmp/err" "watching 1 directory with the $native backend"; then
  ok "says when the watch is established, and with which backend"
else
  not_ok "no readiness line"; show "$tmp/err"
fi

mkdir -p "$tmp/w/a/b"
: > "$tmp/w/a/b/f"
if wait_for "$tmp/out" "added $tmp/w/a/b/f" && grep -qx "added $tmp/w/a" "$tmp/out"; then
  ok "prints one line per change, new directories' files included"
else
  not_ok "output:"; show "$tmp/out"
fi

stop
if [ "$status" -eq 0 ]; then
  ok "SIGINT ends it with status 0"
else
  not_ok "SIGINT gave status $status"
fi

# Names that test each format's escaping: not UTF-8, a tab, UTF-8, a quote
# and a backslash.
latin1=$(printf 'caf\351')
tab=$(printf 'tab\there')
utf8=$(printf 'caf\303\251')
quote='q"b\s'
for format in text json tsv; do
  dir="$tmp/f-$format"
  mkdir "$dir"
  start --print --format "$format" "$dir"
  wait_for "$tmp/err" "watching 1 directory"
  for name in "$latin1" "$tab" "$utf8" "$quote"; do : > "$dir/$name"; done
  wait_lines "$tmp/out" 4
  stop
  case $format in
    text) printf 'added %s\n' "$dir/$latin1" "$dir/$tab" "$dir/$utf8" "$dir/$quote" ;;
    json) printf '{"change": "added", "path": "%s"}\n' "$dir/caf\\udce9" "$dir/tab\\there" "$dir/$utf8" \
            "$dir/q\\\"b\\\\s" ;;
    tsv) printf 'added\t%s\n' "$dir/$latin1" "$dir/tab\\there" "$dir/$utf8" "$dir/q\"b\\\\s" ;;
  esac | LC_ALL=C sort >"$tmp/expected"
  cp "$tmp/out" "$tmp/out-$format"
  LC_ALL=C sort "$tmp/out" >"$tmp/got"
  if [ "$status" -eq 0 ] && cmp -s "$tmp/expected" "$tmp/got"; then
    ok "--format $format: exact lines, paths escaped as documented"
  else
    not_ok "--format $format (status $status): expected, then got:"; od -c "$tmp/expected" | show /dev/stdin; od -c "$tmp/got" | show /dev/stdin
  fi
done

# The JSON lines are valid UTF-8 and JSON, and give the bytes back.
if /usr/bin/python3 - "$tmp/f-json/$latin1" "$tmp/out-json" <<'PY'
import json, os, sys
want = os.fsencode(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as lines:
    got = [os.fsencode(json.loads(line)["path"]) for line in lines]
sys.exit(0 if want in got else 1)
PY
then
  ok "json: parsed by Python, os.fsencode() gives the non-UTF-8 name back"
else
  not_ok "json output is not valid or not lossless"; show "$tmp/out-json"
fi

# Ignore rules: an ignored tree costs no watch, and nothing below it is printed.
w2="$tmp/w2"
mkdir -p "$w2/a" "$w2/node_modules/x/y" "$w2/build/sub" "$w2/skip"
for args in "--filter all:8" ":5" "--ignore-dir build --ignore-paths $w2/skip,$tmp/nothing:2" \
            "--filter all --ignore-dir node_modules/ --ignore-dir build//:3"; do
  start --print ${args%:*} "$w2"
  wait_for "$tmp/err" "watching"
  stop
  if grep -q "watching ${args##*:} directories" "$tmp/err"; then
    ok "${args%:*} watches ${args##*:} directories"
  else
    not_ok "${args%:*}: expected ${args##*:} directories:"; show "$tmp/err"
  fi
done

start --print --ignore-glob '*.log' --ignore-pattern '^tmp_' --ignore-dir build "$w2"
wait_for "$tmp/err" "watching"
: > "$w2/node_modules/x/y/f"
: > "$w2/build/sub/f"
: > "$w2/a/x.log"
: > "$w2/a/tmp_1"
: > "$w2/a/x.pyc"
: > "$w2/a/sentinel"
wait_for "$tmp/out" "sentinel"
stop
if [ "$(cat "$tmp/out")" = "added $w2/a/sentinel" ]; then
  ok "changes below ignored directories, globs, patterns and defaults print nothing"
else
  not_ok "ignored changes printed:"; show "$tmp/out"
fi

# A file given as a path is counted as one.
: > "$tmp/single"
mkdir "$tmp/empty"
start --print "$tmp/single" "$tmp/empty"
wait_for "$tmp/err" "watching"
echo x >> "$tmp/single"
wait_for "$tmp/out" "$tmp/single"
stop
if grep -q "watching 1 directory and 1 file with the $native backend" "$tmp/err" &&
   grep -q "^modified $tmp/single\$" "$tmp/out"; then
  ok "a file given as a path is watched and counted: watching 1 directory and 1 file"
else
  not_ok "single file:"; show "$tmp/err"; show "$tmp/out"
fi

$run "$tool" --print "$tmp/missing" >/dev/null 2>"$tmp/err1"
status=$?
if [ "$status" -eq 1 ] && grep -qx "path \"$tmp/missing\" does not exist" "$tmp/err1"; then
  ok "a missing path exits 1 with the Python CLI's message"
else
  not_ok "status $status: $(cat "$tmp/err1")"
fi

bad=0
for args in "--no-such-flag DIR" "--format json DIR" "--print --format xml DIR" "--filter nope DIR" \
            "--verbosity loud DIR" "--print --ignore-pattern '(' DIR" "--debounce -1 DIR" \
            "--sigint-timeout -2 DIR" "" "\"'unbalanced\" DIR" \
            "--print --ignore-dir '' DIR" "--print --ignore-dir / DIR" "--print --ignore-dir a/b DIR" \
            "--print --force-polling --backend inotify DIR" \
            "--filter nope MISSING" "--print --ignore-pattern '(' MISSING" "--print --ignore-glob / MISSING" \
            "--print --ignore-dir a/b MISSING" "--verbosity loud true MISSING" \
            "--print --poll-cpu-percent 0 DIR" "--print --poll-cpu-percent 101 MISSING" \
            "--print --watch-limit-policy ignore DIR" "--print --polled-filesystems nfs,,cifs DIR" \
            "--print --polled-filesystems 'fu*se' MISSING"; do
  eval "set -- $args"
  for arg; do
    shift
    [ "$arg" = DIR ] && arg=$tmp/w
    [ "$arg" = MISSING ] && arg=$tmp/missing
    set -- "$@" "$arg"
  done
  # A bad invocation that ran instead would never end: cut it short.
  timeout $((10 * slow)) $run "$tool" "$@" >/dev/null 2>"$tmp/err2" </dev/null
  status=$?
  if [ "$status" -ne 2 ] || ! grep -q "Try “watchfiles --help”" "$tmp/err2"; then
    echo "# '$args': status $status"; show "$tmp/err2"; bad=1
  fi
done
if [ $bad = 0 ]; then
  ok "bad flags, values (checked before paths), or no command are usage errors, status 2"
else
  not_ok "a bad invocation was not a usage error"
fi

version=$($run "$tool" --version)
status=$?
if [ "$status" -eq 0 ] && [ "$version" = "watchfiles v${WF_VERSION:-?}" ]; then
  ok "--version prints watchfiles v$WF_VERSION"
else
  not_ok "--version: status $status, $version"
fi

$run "$tool" --list-backends >"$tmp/list" 2>&1
s1=$?
WATCHFILES_FORCE_POLLING=1 $run "$tool" --list-backends >"$tmp/list-poll" 2>&1
s2=$?
if have_backend inotify; then
  grep -Eq '^\* inotify +passes +100 ' "$tmp/list" && grep -Eq '^  poll +passes +0 ' "$tmp/list"
else
  grep -Eq '^\* poll +passes +0 ' "$tmp/list" && ! grep -Eq '^[* ] inotify ' "$tmp/list"
fi
listed=$?
if [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ $listed -eq 0 ] &&
   grep -q "^Chosen here: $native (the highest priority whose probe passes)\$" "$tmp/list" &&
   grep -Eq '^\* poll +passes +0 ' "$tmp/list-poll" && grep -q '^Chosen here: poll (forced' "$tmp/list-poll"; then
  ok "--list-backends: probe, priority and the choice, which follows the environment"
else
  not_ok "--list-backends:"; show "$tmp/list"; show "$tmp/list-poll"
fi

# The watcher options reach the backend: the recorder module describes
# them in the library's debug line.
WATCHFILES_BACKEND_DIR="$WF_TEST_MODULES:$WATCHFILES_BACKEND_DIR" start --print -v --backend recorder \
  --watch-limit-policy error --poll-cpu-percent 30 --polled-filesystems 'nfs,fuse.*' "$tmp/w"
wait_for "$tmp/err" "RecorderBackend"
stop
mv "$tmp/err" "$tmp/err-recorder"
WATCHFILES_BACKEND_DIR="$WF_TEST_MODULES:$WATCHFILES_BACKEND_DIR" start --print -v --backend recorder \
  --polled-filesystems '' "$tmp/w"
wait_for "$tmp/err" "RecorderBackend"
stop
if grep -qF "watch_limit_policy: 1, poll_cpu_percent: 30, polled_filesystems: [nfs|fuse.*]" "$tmp/err-recorder" &&
   grep -qF "watch_limit_policy: 0, poll_cpu_percent: 10, polled_filesystems: []" "$tmp/err"; then
  ok "--watch-limit-policy, --poll-cpu-percent and --polled-filesystems reach the backend"
else
  not_ok "the backend got other options:"; show "$tmp/err-recorder"; show "$tmp/err"
fi
# The recorder's status polls its root (silent filesystem) and root/deep
# (watch limit): the readiness line says so, and a warning says it once.
if grep -qF "watchfiles: watching 1 directory with the recorder backend, and polling 2 directories (watch limit, silent filesystem); Ctrl+C stops" "$tmp/err" &&
   [ "$(grep -c "the recorder backend reached its watch limit: 1 subtree is (first $tmp/w/deep) polled instead of watched" "$tmp/err")" = 1 ]; then
  ok "the readiness line counts polled directories and why; the watch limit is a warning, once"
else
  not_ok "readiness and warning:"; show "$tmp/err"
fi

# --force-polling is not silently overridden by --backend, nor the other way
# round; --backend wins over WATCHFILES_FORCE_POLLING (options win).
if ! have_backend inotify; then
  ok "# SKIP the inotify backend is not built"
else
  WATCHFILES_FORCE_POLLING=1 $run "$tool" --print --backend inotify "$tmp/w" >/dev/null 2>"$tmp/err" &
  child=$!
  pids="$pids $child"
  wait_for "$tmp/err" "watching"
  stop
  timeout $((10 * slow)) $run "$tool" --print --force-polling --backend inotify "$tmp/w" >/dev/null 2>"$tmp/err3"
  s3=$?
  if grep -q "directories with the inotify backend" "$tmp/err" && [ "$s3" -eq 2 ] &&
     grep -q "contradict" "$tmp/err3"; then
    ok "--backend inotify wins over WATCHFILES_FORCE_POLLING; with --force-polling it is a usage error"
  else
    not_ok "--backend and polling:"; show "$tmp/err"; show "$tmp/err3"
  fi
  fi
