#!/bin/sh
# SPDX-License-Identifier: MIT
# test-readme-commands.sh: README's two commands at the top, taken from it
# and run literally, as a user runs them, in a fresh copy of the source
# tree with a clean environment (no WATCHFILES_BACKEND_DIR, no devenv): the
# main command, in a pseudo-terminal, builds and watches, and a Ctrl+C ends
# it with status 0 and no traceback; the test command run after it still
# sets werror and docs and builds the API reference README points to; the
# main command run after that works again.  Inside, `meson test` only lists
# the tests (running the whole suite, this test included, again in here
# would never end), so what it would run is checked, not its results.
# TAP output; run by `meson test --suite readme`.
set -u
src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
echo "1..5"

tmp=$(cd "$(mktemp -d)" && pwd -P)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/watchfiles
mkdir "$copy"
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./_build --exclude=./.git -cf - . |
  tar -C "$copy" -xf -

extract() {
  sed -n "/<!-- $1 -->/,/<!-- \/$1 -->/p" "$src/README.md" | grep -v -e '^<!--' -e '^```'
}
main_command=$(extract main-command)
test_command=$(extract test-command)
real_meson=$(command -v meson)

mkdir "$tmp/bin"
cat >"$tmp/bin/meson" <<EOF
#!/bin/sh
# meson, but \`meson test\` only lists what it would run.
if [ "\$1" = test ]; then
  shift
  exec "$real_meson" test --list "\$@" >"$tmp/test-list"
fi
exec "$real_meson" "\$@"
EOF
chmod +x "$tmp/bin/meson"
clean_env="env -i PATH=$tmp/bin:$PATH HOME=${HOME:-/root} LANG=C.UTF-8 TERM=xterm"

n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; }
show() { tail -n "${2:-30}" "$1" | sed 's/^/# /'; }

# The main command in a terminal: Ctrl+C once it watches.
run_main() {
  /usr/bin/python3 "$here/ctrl-c-in-terminal.py" --cwd "$copy" "output:Ctrl+C stops" 900 \
    $clean_env bash -c "$main_command" >"$tmp/result" 2>"$tmp/tty"
  if [ "$(cat "$tmp/result")" = "exit 0" ] && ! grep -q "Traceback" "$tmp/tty" &&
     grep -q "watching [0-9]* directories with the inotify backend; Ctrl+C stops" "$tmp/tty"; then
    ok "$1: the main command watches; Ctrl+C ends it with status 0, no traceback"
  else
    not_ok "$1: the main command: $(cat "$tmp/result")"; show "$tmp/tty"
  fi
}

echo "# $main_command"
run_main "fresh copy"

echo "# $test_command"
(cd "$copy" && $clean_env bash -c "$test_command") >"$tmp/test-out" 2>&1
status=$?
options=$("$real_meson" introspect "$copy/build" --buildoptions |
  /usr/bin/python3 -c 'import json, sys; o = {x["name"]: x["value"] for x in json.load(sys.stdin)}; print(o["werror"], o["docs"])')
if [ $status -eq 0 ] && [ "$options" = "True True" ] && grep -q "gi-docgen-check" "$tmp/test-list"; then
  ok "after the main command, the test command sets werror and docs, and the docs check is among its tests"
else
  not_ok "the test command after the main one: status $status, werror and docs: $options"; show "$tmp/test-out"
fi

if [ -f "$copy/build/doc/watchfiles-1.0/index.html" ] &&
   grep -q "build/doc/watchfiles-1.0/index.html" "$src/README.md"; then
  ok "the test command builds the API reference where README says: build/doc/watchfiles-1.0/index.html"
else
  not_ok "no build/doc/watchfiles-1.0/index.html after the test command"; ls "$copy/build/doc" | sed 's/^/# /'
fi

run_main "after the test command"

# The test command once more: a second run is as good as the first.
(cd "$copy" && $clean_env bash -c "$test_command") >"$tmp/test-out" 2>&1
status=$?
if [ $status -eq 0 ] && grep -q "gi-docgen-check" "$tmp/test-list"; then
  ok "the test command run again in the same clone works as written"
else
  not_ok "the test command run again: status $status"; show "$tmp/test-out"
fi
