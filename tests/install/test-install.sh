#!/bin/sh
# SPDX-License-Identifier: MIT
# test-install.sh: README's install ("meson setup --prefix=/usr", "meson
# install") into a scratch root, then the four things a user runs (the
# watchfiles command, pkg-config and a C program, GJS, Python's six-argument
# Notify) with no environment variable set, and what a missing part says.
# TAP output; run by `meson test --suite install`.
#
# How the scratch root stands in for /, and why that is honest:
# - The build is installed with DESTDIR=$root, exactly as README's commands
#   install it to / (same prefix, same multiarch libdir).  Check 2 proves
#   every installed file is under $root/usr, so /usr is the whole story.
# - The checks run in a private mount namespace (unshare --mount, root
#   only) in which an overlayfs is mounted on /usr: the scratch tree on top
#   of the real /usr.  Inside it the machine is what `meson install` to /
#   would leave; outside it nothing changes, the real /usr is not written.
#   Watchfiles files of the real /usr that the scratch root does not have
#   (an earlier real install) are deleted in the overlay first, so only the
#   scratch installation can answer.
# - The programs then run under `env -i` with PATH=/usr/bin:/bin and HOME
#   only: no LD_LIBRARY_PATH, GI_TYPELIB_PATH, PYTHONPATH or WATCHFILES_*.
#   The dynamic loader, pkg-config, GObject-Introspection, Python and the
#   library's module loader find everything in their standard places, or
#   the check fails.  No ldconfig is run, as `meson install` runs none.
set -eu

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
# One TAP line: what a failed program printed is folded onto it.
not_ok() { n=$((n + 1)); echo "not ok $n - $*" | tr '\n' ' '; echo; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }

# The checks inside the namespace: $0 --inside TMP ROOT MULTIARCH FIRST.
if [ "${1:-}" = --inside ]; then
  tmp=$2 root=$3 multiarch=$4 n=$5
  mount -t overlay watchfiles-test -o "lowerdir=$root/usr:/usr,upperdir=$tmp/upper,workdir=$tmp/work" /usr
  libdir=/usr/lib/$multiarch
  # Only the scratch installation is visible (see the header).
  for path in $(cat "$tmp/system-files"); do
    [ -e "$root$path" ] || rm -rf "$path"
  done
  run() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" LC_ALL=C.UTF-8 "$@"; }
  mkdir -p "$tmp/home"

  # 3. The command streams a change.
  dir=$tmp/cli; mkdir "$dir"
  # exec: $! must be the tool itself, not a subshell around it, or the
  # kill below would leave the tool running.
  (exec env -i PATH=/usr/bin:/bin HOME="$tmp/home" LC_ALL=C.UTF-8 watchfiles --print "$dir") \
    >"$tmp/cli.out" 2>"$tmp/cli.err" &
  cli=$!
  i=0
  # A new file every 0.1 s until one is reported: those created before the
  # watch is set up are not, and need not be.
  while [ $i -lt 100 ] && ! grep -q "added $dir/f" "$tmp/cli.out"; do
    : >"$dir/f$i"
    i=$((i + 1)); sleep 0.1
  done
  kill "$cli" 2>/dev/null || true; wait "$cli" 2>/dev/null || true
  if grep -q "^added $dir/f[0-9]*\$" "$tmp/cli.out"; then
    ok "/usr/bin/watchfiles --print reports a change"
  else
    not_ok "watchfiles --print reported no change: $(cat "$tmp/cli.out" "$tmp/cli.err")"
  fi

  # 4. pkg-config finds the .pc in its default path; a program builds, runs
  # and watches.
  dir=$tmp/c; mkdir "$dir"
  if [ "$(run pkg-config --modversion watchfiles-1.0 2>&1)" = "$(cat "$tmp/version")" ] &&
     run sh -c 'cc -o "$1/use" "$1/use.c" $(pkg-config --cflags --libs watchfiles-1.0)' sh "$tmp" 2>"$tmp/cc.log" &&
     [ "$(run "$tmp/use" "$dir" 2>&1)" = "inotify 1 $dir/new" ]; then
    ok "pkg-config watchfiles-1.0 finds $libdir/pkgconfig; a program builds against it and watches"
  else
    not_ok "pkg-config or the C program: $(run pkg-config --modversion watchfiles-1.0 2>&1) $(cat "$tmp/cc.log") $(run "$tmp/use" "$dir" 2>&1)"
  fi

  # 5. GJS imports the typelib from $libdir/girepository-1.0 and watches.
  dir=$tmp/gjs; mkdir "$dir"
  if ! command -v gjs >/dev/null; then
    skip "no gjs"
  elif out=$(run gjs -c '
imports.gi.versions.Watchfiles = "1.0";
const {Gio, Watchfiles} = imports.gi;
const dir = ARGV[0];
const notify = Watchfiles.Notify.new([dir], false, false, 300, true, false);
Gio.File.new_for_path(dir + "/new").create(Gio.FileCreateFlags.NONE, null).close(null);
const [result, changes] = notify.watch(50, 10, 5000, null, -1);
print(notify.get_backend_name(), changes.map(c => `${c.get_change()} ${c.get_path()}`).join(","));
' "$dir" 2>&1) && [ "$out" = "inotify 1 $dir/new" ]; then
    ok "GJS imports Watchfiles 1.0 and watches"
  else
    not_ok "GJS printed: $out"
  fi

  # 6. Python: the override from /usr/lib/python3/dist-packages and the
  # RustNotify-style six-argument call.
  dir=$tmp/py; mkdir "$dir"
  cat >"$tmp/use.py" <<'PY'
import pathlib, sys
import gi
gi.require_version('Watchfiles', '1.0')
from gi.repository import Watchfiles
with Watchfiles.Notify([sys.argv[1]], False, False, 300, True, False) as notify:
    (pathlib.Path(sys.argv[1]) / 'new').touch()
    print(sys.modules[type(notify).__module__].__file__, notify.get_backend_name(),
          sorted(notify.watch(50, 10, 5000, None)))
PY
  out=$(run /usr/bin/python3 "$tmp/use.py" "$dir" 2>&1 || true)
  if [ "$out" = "/usr/lib/python3/dist-packages/gi/overrides/Watchfiles.py inotify [(1, '$dir/new')]" ]; then
    ok "Python: gi.require_version('Watchfiles', '1.0') and Watchfiles.Notify(six arguments) watch"
  else
    not_ok "Python printed: $out"
  fi

  # 7. Without the override, PyGObject's own words are all Python can say;
  # the installed GIR (and so the API reference) explains them.
  gir=/usr/share/gir-1.0/Watchfiles-1.0.gir
  rm "/usr/lib/python3/dist-packages/gi/overrides/Watchfiles.py"
  out=$(run /usr/bin/python3 "$tmp/use.py" "$dir" 2>&1 || true)
  if echo "$out" | grep -q 'GObject.__init__() takes exactly 0 arguments (6 given)' &&
     grep -q 'GObject.__init__() takes exactly 0 arguments (6 given)' "$gir" &&
     grep -q 'gi/overrides/Watchfiles.py' "$gir"; then
    ok "without the override: the error the GIR's Notify documentation explains"
  else
    not_ok "without the override Python said: $out (or $gir does not explain it)"
  fi

  # 8. Without the backend modules the library names where it looked.
  rm -r "$libdir/watchfiles-1.0/backends"
  out=$(run "$tmp/use" "$dir" 2>&1 || true)
  if [ "$out" = "No backend module found: looked for *.so files in $libdir/watchfiles-1.0/backends (no such directory); install the backend modules (inotify.so, poll.so) there, or name the directory holding them in WATCHFILES_BACKEND_DIR" ]; then
    ok "without the backends: the error names $libdir/watchfiles-1.0/backends"
  else
    not_ok "without the backends the library said: $out"
  fi
  echo "$n" >"$tmp/count"
  exit 0
fi

src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
multiarch=$(cc -print-multiarch)
libdir=/usr/lib/$multiarch
echo "1..9"

# 1. README's install commands as written, from the source folder, with
# the build folder in $tmp and DESTDIR set; .ci/install-deps is not run (a
# test installs no package), the suites that run this one need the same.
awk '/^<!-- install-commands -->$/ { on = 1; next } on && /^```sh$/ { code = 1; next }
     code && /^```$/ { exit } code { print }' "$src/README.md" >"$tmp/commands"
expected='.ci/install-deps
meson setup build-install --prefix=/usr -Dtests=false
meson compile -C build-install
meson install -C build-install'
if [ "$(cat "$tmp/commands")" != "$expected" ]; then
  not_ok "README's install commands are not the ones this test knows: $(cat "$tmp/commands")"; exit 1
fi
status=0
while read -r line; do
  [ "$line" = .ci/install-deps ] && continue
  line=$(echo "$line" | sed "s|build-install|$tmp/build|g")
  (cd "$src" && export DESTDIR="$root" && eval "$line") >>"$tmp/log" 2>&1 || { status=1; break; }
done <"$tmp/commands"
if [ $status -eq 0 ]; then
  ok "README's install commands (--prefix=/usr), meson install with DESTDIR=$root"
else
  cat "$tmp/log" >&2; not_ok "README's install commands failed at: $line"; exit 1
fi
meson introspect "$tmp/build" --projectinfo | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])' >"$tmp/version"

# 2. Everything lands in Debian's places, all under /usr.
missing=""
for path in /usr/bin/watchfiles "$libdir/libwatchfiles-1.0.so.0" "$libdir/pkgconfig/watchfiles-1.0.pc" \
            "$libdir/watchfiles-1.0/backends/inotify.so" "$libdir/watchfiles-1.0/backends/poll.so" \
            /usr/include/watchfiles-1.0/watchfiles.h /usr/share/bash-completion/completions/watchfiles; do
  [ -f "$root$path" ] || missing="$missing $path"
done
if command -v g-ir-scanner >/dev/null; then
  for path in "$libdir/girepository-1.0/Watchfiles-1.0.typelib" /usr/share/gir-1.0/Watchfiles-1.0.gir; do
    [ -f "$root$path" ] || missing="$missing $path"
  done
  if /usr/bin/python3 -c 'import gi' 2>/dev/null; then
    for name in Watchfiles.py _watchfiles_run.py; do
      [ -f "$root/usr/lib/python3/dist-packages/gi/overrides/$name" ] ||
        missing="$missing /usr/lib/python3/dist-packages/gi/overrides/$name"
    done
  fi
  if command -v vapigen >/dev/null; then
    [ -f "$root/usr/share/vala/vapi/watchfiles-1.0.vapi" ] || missing="$missing /usr/share/vala/vapi/watchfiles-1.0.vapi"
  fi
fi
if command -v scdoc >/dev/null; then
  [ -f "$root/usr/share/man/man1/watchfiles.1" ] || missing="$missing /usr/share/man/man1/watchfiles.1"
fi
outside=$(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr)
if [ -z "$missing" ] && [ -z "$outside" ]; then
  ok "library, pkg-config file, backends, headers, typelib, GIR, override, VAPI, man page and completion in Debian's places under /usr"
else
  not_ok "missing:$missing; outside /usr: $outside"; find "$root" >&2
fi

# 3. Another prefix: with /usr/local the override still lands on Debian
# python3's sys.path (/usr/local/lib/python3.X/dist-packages; Meson alone
# would pick /usr/local/lib/python3/dist-packages, which it does not search).
if ! /usr/bin/python3 -c 'import gi' 2>/dev/null || ! command -v g-ir-scanner >/dev/null; then
  skip "no introspection or no PyGObject for /usr/bin/python3"
elif meson setup "$tmp/build-local" "$src" --prefix=/usr/local -Dtests=false >"$tmp/log-local" 2>&1 &&
     site=$(meson introspect "$tmp/build-local" --installed | /usr/bin/python3 -c '
import json, os, sys
dest = [d for s, d in json.load(sys.stdin).items() if s.endswith("/gi/overrides/Watchfiles.py")][0]
print(os.path.dirname(os.path.dirname(os.path.dirname(dest))))') &&
     /usr/bin/python3 -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$site"; then
  ok "--prefix=/usr/local installs the override in $site, on python3's sys.path"
else
  not_ok "--prefix=/usr/local: the override goes to ${site:-?}, not on python3's sys.path $(cat "$tmp/log-local")"
fi

# What the namespace's checks use: a C program, and the real system's
# Watchfiles files (hidden inside, see the header).
cat > "$tmp/use.c" <<'C'
#include <watchfiles.h>
#include <glib/gstdio.h>
#include <unistd.h>
int main (int argc, char **argv)
{
  const char *paths[] = { argv[1], NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree char *file = g_build_filename (argv[1], "new", NULL);
  g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, FALSE, 300, TRUE, FALSE, &error);
  if (notify == NULL) { g_printerr ("%s\n", error->message); return 1; }
  int fd = g_creat (file, 0644);
  if (fd < 0 || close (fd) != 0 ||
      wf_notify_watch (notify, 50, 10, 5000, NULL, -1, &changes, &error) != WF_WATCH_RESULT_CHANGES)
    { g_printerr ("%s\n", error != NULL ? error->message : "no change"); return 1; }
  g_print ("%s", wf_notify_get_backend_name (notify));
  for (guint i = 0; i < changes->len; i++)
    g_print (" %d %s", wf_file_change_get_change (changes->pdata[i]), wf_file_change_get_path (changes->pdata[i]));
  g_print ("\n");
  return 0;
}
C
find /usr \( -name 'libwatchfiles-1.0.*' -o -name 'watchfiles-1.0*' -o -name 'Watchfiles-1.0.*' \
  -o -path '*/gi/overrides/Watchfiles.py' -o -path '*/gi/overrides/_watchfiles_run.py' -o -path /usr/bin/watchfiles \) -prune -print 2>/dev/null >"$tmp/system-files" || true
mkdir "$tmp/upper" "$tmp/work"

if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
  for what in "the command" "pkg-config and a C program" GJS Python "no override" "no backends"; do
    skip "$what: mounting the scratch root over /usr needs root (unshare --mount)"
  done
  exit 0
fi
unshare --mount --propagation private "$0" --inside "$tmp" "$root" "$multiarch" "$n" || true
if [ -f "$tmp/count" ]; then
  n=$(cat "$tmp/count")
fi
while [ "$n" -lt 9 ]; do
  not_ok "the checks in the mount namespace ended early"
done
