#!/bin/sh
# SPDX-License-Identifier: MIT
# The watchfiles command's stream mode (--print) and what both modes share:
# it streams the changes of a real directory in the three formats, costs
# no watch for what the ignore rules hide, stops cleanly on SIGINT, lists
# its backends, and refuses bad input with the exit codes of the Python
# CLI (1 missing path, 2 usage; options are checked first), in messages
# that say what is wrong once; WATCHFILES_BACKEND=help and --list-backends
# print the same text; run from the build tree, it finds the build tree's
# backends itself, and without any it says where it looked and what to do.
# TAP output; run by `meson test --suite tools`.
set -u
. "$(dirname "$0")/tap-lib.sh"
echo "1..33"

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
if [ "$status" -eq 1 ] && [ "$(cat "$tmp/err1")" = "watchfiles: path \"$tmp/missing\" does not exist" ]; then
  ok "a missing path exits 1 with the Python CLI's message, prefixed watchfiles: as every error"
else
  not_ok "status $status: $(cat "$tmp/err1")"
fi

bad=0
for args in "--no-such-flag DIR" "--format json DIR" "--print --format xml DIR" "--filter nope DIR" \
            "--verbosity loud DIR" "--print --ignore-pattern '(' DIR" "--debounce -1 DIR" \
            "--sigint-timeout -2 DIR" "--sigkill-timeout -1 DIR" "--grace-period 1e9 DIR" "" "\"'unbalanced\" DIR" \
            "--print --ignore-dir '' DIR" "--print --ignore-dir / DIR" "--print --ignore-dir a/b DIR" \
            "--print --force-polling --backend inotify DIR" \
            "--filter nope MISSING" "--print --ignore-pattern '(' MISSING" "--print --ignore-glob / MISSING" \
            "--print --ignore-dir a/b MISSING" "--verbosity loud true MISSING" \
            "--print --poll-cpu-percent 0 DIR" "--print --poll-cpu-percent 101 MISSING" \
            "--print --watch-limit-policy ignore DIR" "--print --polled-filesystems nfs,,cifs DIR" \
            "--print --polled-filesystems 'fu*se' MISSING" \
            "--print --poll-delay-ms -1 DIR" "--print --step -1 DIR" "--print --backend '' DIR" \
            "--print --ignore-pattern '' DIR" "--print --sigint-timeout 3 DIR" "--print --grace-period 1 DIR" \
            "--print --sigkill-timeout 1 MISSING" "--grace-period x true DIR" "--sigint-timeout 1e400 true DIR" \
            "--print --ignore-pattern NOT_UTF8 DIR" "--print --poll-cpu-percent 1e2 DIR"; do
  eval "set -- $args"
  for arg; do
    shift
    [ "$arg" = DIR ] && arg=$tmp/w
    [ "$arg" = MISSING ] && arg=$tmp/missing
    [ "$arg" = NOT_UTF8 ] && arg=$(printf 'caf\351')
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
   grep -Eq '^\* poll +passes +0 ' "$tmp/list-poll" && grep -q '^Chosen here: poll (polling is forced)$' "$tmp/list-poll"; then
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
# The watch options, each as the backend gets it; --verbose turns on the
# library's debug output (the recorder's line is in it at all only so).
WATCHFILES_BACKEND_DIR="$WF_TEST_MODULES:$WATCHFILES_BACKEND_DIR" start --print --verbose --backend recorder \
  --non-recursive --ignore-permission-denied --poll-delay-ms 123 "$tmp/w"
wait_for "$tmp/err" "RecorderBackend"
stop
if grep -qF "RecorderBackend { roots: [$tmp/w], recursive: 0, follow_symlinks: 1, ignore_permission_denied: 1, poll_delay_ms: 123," "$tmp/err" &&
   grep -qF "debug: 1 }" "$tmp/err" && grep -qF "recursive: 1, follow_symlinks: 1, ignore_permission_denied: 0, poll_delay_ms: 300," "$tmp/err-recorder"; then
  ok "--non-recursive, --ignore-permission-denied, --poll-delay-ms and --verbose reach the backend"
else
  not_ok "watch options:"; show "$tmp/err"; show "$tmp/err-recorder"
fi
# The recorder's status polls its root (silent filesystem) and root/deep
# (watch limit): the readiness line says so, and a warning says it once.
if grep -qF "watchfiles: watching 1 directory with the recorder backend, and polling 2 directories (watch limit, silent filesystem); Ctrl+C stops" "$tmp/err" &&
   [ "$(grep -c "the recorder backend reached its watch limit: 1 subtree is polled instead of watched (the first: $tmp/w/deep)" "$tmp/err")" = 1 ]; then
  ok "the readiness line counts polled directories and why; the watch limit is a warning, once"
else
  not_ok "readiness and warning:"; show "$tmp/err"
fi

# The watch limit reached while running (in a user namespace whose limit
# is 3: the root and one directory, then one of three new ones): a warning
# once more subtrees are polled, and their changes are still printed.
mkdir -p "$tmp/lim/d1"
# start_limited LIMIT: the tool on $tmp/lim in a user namespace whose inotify
# watch limit is LIMIT, once it watches; its output in lim.out and lim.err.
start_limited() {
  rm -f "$tmp/lim.err" "$tmp/lim.out"  # wait_for must not find the last run's lines
  unshare -Ur sh -c 'echo "$0" >/proc/sys/user/max_inotify_watches && exec "$@"' "$1" \
    $run "$tool" --print "$tmp/lim" >"$tmp/lim.out" 2>"$tmp/lim.err" &
  child=$!
  pids="$pids $child"
  wait_for "$tmp/lim.err" "watching"
}
if ! have_backend inotify || ! unshare -Ur true 2>/dev/null; then
  ok "# SKIP needs the inotify backend and user namespaces"
  ok "# SKIP needs the inotify backend and user namespaces"
else
  start_limited 3
  mkdir "$tmp/lim/d2" "$tmp/lim/d3" "$tmp/lim/d4"
  wait_for "$tmp/lim.out" "added $tmp/lim/d4"
  : >"$tmp/lim/d4/late"
  wait_for "$tmp/lim.out" "added $tmp/lim/d4/late"
  found=$?
  kill -INT "$child" 2>/dev/null; wait "$child" 2>/dev/null
  if [ $found -eq 0 ] && grep -q "watching 2 directories with the inotify backend; Ctrl+C stops" "$tmp/lim.err" &&
     grep -q "the inotify backend reached its watch limit: 2 subtrees are polled instead of watched (the first: $tmp/lim/d[34]); raise the limit (fs.inotify.max_user_watches on Linux) to watch them" "$tmp/lim.err"; then
    ok "the watch limit reached while running: a warning, and the polled directories still report"
  else
    not_ok "watch limit while running:"; show "$tmp/lim.err"; show "$tmp/lim.out"
  fi
  # No watch left at all: the poll backend watches it all, with a warning.
  start_limited 0
  : >"$tmp/lim/d1/polled"
  wait_for "$tmp/lim.out" "added $tmp/lim/d1/polled"
  found=$?
  kill -INT "$child" 2>/dev/null; wait "$child" 2>/dev/null
  if [ $found -eq 0 ] && grep -q "watching 5 directories with the poll backend; Ctrl+C stops" "$tmp/lim.err" &&
     grep -q "polling every directory: the inotify backend could not start: Cannot watch .*the inotify watch limit is reached" "$tmp/lim.err"; then
    ok "no inotify watch left: the poll backend watches, with a warning that says why"
  else
    not_ok "no watch left:"; show "$tmp/lim.err"; show "$tmp/lim.out"
  fi
fi

# --force-polling is not silently overridden by --backend, nor the other way
# round; --backend wins over WATCHFILES_FORCE_POLLING (options win).
if ! have_backend inotify; then
  ok "# SKIP the inotify backend is not built"
else
  rm -f "$tmp/err"  # wait_for must not find the last run's line
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

# An invalid pattern or glob: the library's message, which names it, is
# not wrapped in a second one that names it again.
$run "$tool" --print --ignore-pattern 'ab(c' "$tmp/w" >/dev/null 2>"$tmp/err"
s1=$?
$run "$tool" --print --ignore-glob '/' "$tmp/w" >/dev/null 2>"$tmp/err2"
s2=$?
if [ $s1 -eq 2 ] && [ "$(head -n 1 "$tmp/err" | grep -o '“ab(c”' | wc -l)" = 1 ] &&
   head -n 1 "$tmp/err" | grep -q '^watchfiles: --ignore-pattern: Invalid ignore pattern “ab(c”: .*missing' &&
   [ $s2 -eq 2 ] && [ "$(head -n 1 "$tmp/err2")" = "watchfiles: --ignore-glob: Invalid ignore glob “/”: it matches no name" ]; then
  ok "an invalid --ignore-pattern or --ignore-glob: the library's message, not wrapped twice"
else
  not_ok "pattern and glob messages:"; show "$tmp/err"; show "$tmp/err2"
fi

# WATCHFILES_BACKEND=help prints what --list-backends prints, as it is.
$run "$tool" --list-backends >"$tmp/list" 2>/dev/null
rm -f "$tmp/err"  # wait_for must not find the last run's line
WATCHFILES_BACKEND=help $run "$tool" --print "$tmp/w" >/dev/null 2>"$tmp/err" &
child=$!
pids="$pids $child"
wait_for "$tmp/err" "watching"
stop
sed '/^watchfiles: watching/,$d' "$tmp/err" >"$tmp/help"
if [ -s "$tmp/list" ] && cmp -s "$tmp/list" "$tmp/help"; then
  ok "WATCHFILES_BACKEND=help and --list-backends print the same text"
else
  not_ok "WATCHFILES_BACKEND=help differs from --list-backends:"; show "$tmp/list"; show "$tmp/help"
fi

# --step longer than --debounce is accepted, as by watchfiles, with a warning.
start --print --debounce 100 --step 300 "$tmp/w"
wait_for "$tmp/err" "watching"
: > "$tmp/w/step-test"
wait_for "$tmp/out" "step-test"
found=$?
stop
$run "$tool" --print --debounce 100 --step 100 "$tmp/missing" 2>"$tmp/err2"
if [ $found -eq 0 ] && [ "$status" -eq 0 ] &&
   grep -qx "watchfiles: warning: --step 300 is longer than --debounce 100: each batch then ends one step after its first change, and --debounce has no effect" "$tmp/err" &&
   ! grep -q "warning" "$tmp/err2"; then
  ok "--step longer than --debounce: a warning, and it watches"
else
  not_ok "--step > --debounce:"; show "$tmp/err"; show "$tmp/err2"
fi

# Run from the build tree with no WATCHFILES_BACKEND_DIR (no meson devenv),
# the tool finds the build tree's backends; the command it runs gets the
# environment as it was.
rm -f "$tmp/err"  # wait_for must not find the last run's line
env -u WATCHFILES_BACKEND_DIR $run "$tool" --print "$tmp/w" >/dev/null 2>"$tmp/err" &
child=$!
pids="$pids $child"
wait_for "$tmp/err" "watching"
stop
env -u WATCHFILES_BACKEND_DIR $run "$tool" --list-backends >"$tmp/list" 2>&1
rm -f "$tmp/env"
env -u WATCHFILES_BACKEND_DIR $run "$tool" "sh -c 'echo \${WATCHFILES_BACKEND_DIR-unset} >$tmp/env'" "$tmp/w" \
  >/dev/null 2>"$tmp/err2" &
child=$!
pids="$pids $child"
wait_lines "$tmp/env" 1
stop
build_dir=$(cd "$(dirname "$tool")/.." && pwd)
if grep -q "watching .* with the inotify backend" "$tmp/err" && [ "$(cat "$tmp/env")" = unset ] &&
   grep -Eq "^\* inotify +passes +100 +$build_dir/backends/inotify/inotify.so\$" "$tmp/list"; then
  ok "run from the build tree, it finds the build tree's backends without devenv, and does not pass them on"
else
  not_ok "build tree without devenv:"; show "$tmp/err"; show "$tmp/list"; show "$tmp/env" 2>/dev/null
fi

# A copy of the tool is not the build tree's: with no backend anywhere it
# says what is missing, where it looked, and what to do.
mkdir "$tmp/bin"
cp "$tool" "$tmp/bin/watchfiles"
env -u WATCHFILES_BACKEND_DIR $run "$tmp/bin/watchfiles" --list-backends >"$tmp/list" 2>&1
if ! grep -q "(no backend modules found)" "$tmp/list"; then
  ok "# SKIP backend modules are installed on this machine"
else
  env -u WATCHFILES_BACKEND_DIR $run "$tmp/bin/watchfiles" --print "$tmp/w" >/dev/null 2>"$tmp/err"
  s1=$?
  WATCHFILES_BACKEND_DIR=$tmp/nothing $run "$tmp/bin/watchfiles" --print "$tmp/w" >/dev/null 2>"$tmp/err2"
  s2=$?
  if [ $s1 -eq 1 ] && [ $s2 -eq 1 ] &&
     grep -q "^watchfiles: No backend module found: looked for \*.so files in /.* (no such directory); install the backend modules (inotify.so, poll.so) there, or name the directory holding them in WATCHFILES_BACKEND_DIR\$" "$tmp/err" &&
     grep -q "^watchfiles: a build tree's tools/watchfiles finds that tree's backends by itself, and .meson devenv -C BUILDDIR. sets WATCHFILES_BACKEND_DIR to them\$" "$tmp/err" &&
     grep -q "looked for \*.so files in $tmp/nothing (no such directory), /" "$tmp/err2"; then
    ok "no backend module anywhere: says so, names the directories and WATCHFILES_BACKEND_DIR, exits 1"
  else
    not_ok "no backend module (status $s1, $s2):"; show "$tmp/err"; show "$tmp/err2"
  fi
fi

# --format json-batch: one line per batch, a JSON array of the json
# objects, escaped the same way.
mkdir "$tmp/jb"
start --print --format json-batch "$tmp/jb"
wait_for "$tmp/err" "watching"
for name in one "$latin1" "$quote"; do : > "$tmp/jb/$name"; done
wait_lines "$tmp/out" 1
sleep 0.3
: > "$tmp/jb/two"
wait_lines "$tmp/out" 2
stop
if [ "$status" -eq 0 ] && [ "$(wc -l <"$tmp/out")" = 2 ] && /usr/bin/python3 - "$tmp/jb" "$tmp/out" <<'PY'
import json, os, sys
d = sys.argv[1]
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
first, second = (json.loads(line) for line in lines)
want = {("added", os.fsencode(os.path.join(d, n))) for n in ["one", "caf\udce9", 'q"b\\s']}
assert {(c["change"], os.fsencode(c["path"])) for c in first} == want, first
assert second == [{"change": "added", "path": d + "/two"}], second
# The same objects as --format json writes, joined with ", ".
assert lines[1] == '[{"change": "added", "path": "%s/two"}]' % d
assert '"path": "%s/caf\\udce9"' % d in lines[0], lines[0]
PY
then
  ok "--format json-batch: one JSON array per batch and line, escaped as json"
else
  not_ok "--format json-batch (status $status):"; show "$tmp/out"
fi

# The file stdout is redirected to, inside the watched directory, is not
# reported (the tool would otherwise report its own writes for ever); nor
# is stderr's.  Other changes still are.
mkdir "$tmp/self"
(cd "$tmp/self" && exec $run "$tool" --print --debounce 50 --step 10 . >changes.log 2>errors.log) &
child=$!
pids="$pids $child"
wait_for "$tmp/self/errors.log" "watching"
: > "$tmp/self/f"
wait_for "$tmp/self/changes.log" "added $tmp/self/f"
found=$?
sleep 1
: > "$tmp/self/g"
wait_for "$tmp/self/changes.log" "added $tmp/self/g"
sleep 0.5
stop
if [ $found -eq 0 ] && [ "$status" -eq 0 ] &&
   [ "$(cat "$tmp/self/changes.log")" = "$(printf 'added %s\nadded %s' "$tmp/self/f" "$tmp/self/g")" ]; then
  ok "--print . >changes.log inside the watched directory does not report its own output file"
else
  not_ok "own output file reported (status $status):"; show "$tmp/self/changes.log"
fi

# Only the very file (device and inode): another file of that name later is.
mkdir "$tmp/self2"
(cd "$tmp/self2" && exec $run "$tool" --print --debounce 50 --step 10 . >>changes.log 2>"$tmp/self2.err") &
child=$!
pids="$pids $child"
wait_for "$tmp/self2.err" "watching"
mv "$tmp/self2/changes.log" "$tmp/out-moved"
: > "$tmp/self2/changes.log"
wait_for "$tmp/out-moved" "added $tmp/self2/changes.log"
found=$?
stop
if [ $found -eq 0 ] && grep -qx "deleted $tmp/self2/changes.log" "$tmp/out-moved"; then
  ok "a new file where the output file was is reported (only the same device and inode is ours)"
else
  not_ok "replaced output file:"; show "$tmp/out-moved"
fi

# --once: stream mode exits 0 by itself after the first batch.
mkdir "$tmp/once"
start --print --once "$tmp/once"
wait_for "$tmp/err" "watching"
: > "$tmp/once/a"
i=0
while kill -0 "$child" 2>/dev/null && [ $i -lt $((200 * slow)) ]; do i=$((i + 1)); sleep 0.05; done
if ! kill -0 "$child" 2>/dev/null; then wait "$child"; status=$?; else status=running; fi
if [ "$status" = 0 ] && [ "$(cat "$tmp/out")" = "added $tmp/once/a" ]; then
  ok "--print --once: prints the first batch and exits 0"
else
  not_ok "--print --once: status $status:"; show "$tmp/out"; show "$tmp/err"
fi

# --exts in stream mode, with the default rules.
mkdir "$tmp/exts"
start --print --exts py --exts c,h "$tmp/exts"
wait_for "$tmp/err" "watching"
for name in a.txt b.py c.pyc d.h e.c f.cc; do : > "$tmp/exts/$name"; done
wait_lines "$tmp/out" 3
sleep 0.3
stop
if [ "$(LC_ALL=C sort "$tmp/out")" = "$(printf 'added %s\n' "$tmp/exts/b.py" "$tmp/exts/d.h" "$tmp/exts/e.c")" ]; then
  ok "--exts py --exts c,h: only those extensions are printed, and the default rules still hide .pyc"
else
  not_ok "--exts in stream mode:"; show "$tmp/out"
fi
