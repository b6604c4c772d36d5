# SPDX-License-Identifier: MIT
# tap-lib.sh: what the watchfiles command's TAP tests share.  Sourced with
# the tool's path in $1 and, in $2, 1 to run the tool under valgrind (the
# scripts themselves must not run under it: the shell's own leaks would
# count).
# Absolute: some tests run it from another directory.
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [ "${2:-0}" = 1 ]; then
  run="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
  slow=4   # valgrind starts in ~1-2 s and runs ~20x slower
else
  run=""
  slow=1
fi
# Real path: the tool reports resolved paths.
tmp=$(cd "$(mktemp -d)" && pwd -P)
n=0
pids=""
# The backends built (meson test says; -Dinotify=disabled leaves inotify
# out) and the one a watcher gets by default: inotify where it is built.
backends=$(echo "${WF_TEST_BACKENDS:-inotify:poll}" | tr ':' ' ')
have_backend() { case " $backends " in *" $1 "*) return 0;; esac; return 1; }
if have_backend inotify; then native=inotify; else native=poll; fi

cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; }
# Prints a file as TAP comments.
show() { sed 's/^/# /' "$1"; }

# Waits up to 10 s (40 under valgrind) for the fixed string $2 in file $1.
wait_for() {
  i=0
  while ! grep -qF -- "$2" "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt $((200 * slow)) ] && return 1; sleep 0.05
  done
}

# Waits up to 10 s (40) for file $1 to have at least $2 lines.
wait_lines() {
  i=0
  while [ "$({ wc -l <"$1"; } 2>/dev/null || echo 0)" -lt "$2" ]; do
    i=$((i + 1)); [ $i -gt $((200 * slow)) ] && return 1; sleep 0.05
  done
}

# Waits up to 10 s (40) for process $1 to end (it need not be our child).
wait_gone() {
  i=0
  while kill -0 "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt $((200 * slow)) ] && return 1; sleep 0.05
  done
}

# Seconds since the epoch, with fractions.
now() { date +%s.%N; }
