#!/bin/sh
# Installs Watchfiles to a fresh prefix, then builds a program against the
# installed pkg-config file and headers, and checks that the installed
# library finds its installed backends with no environment help.
# TAP output; run by `meson test --suite install`.
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset WATCHFILES_BACKEND_DIR WATCHFILES_BACKEND
echo "1..8"

if meson setup "$tmp/build" "$src" --prefix="$tmp/prefix" -Dtests=false >"$tmp/log" 2>&1 &&
   meson install -C "$tmp/build" >>"$tmp/log" 2>&1; then
  echo "ok 1 meson install to $tmp/prefix"
else
  cat "$tmp/log" >&2; echo "not ok 1 meson install"; exit 1
fi

pcdir=$(dirname "$(find "$tmp/prefix" -name watchfiles-1.0.pc)")
libdir=$(dirname "$pcdir")
if [ -f "$tmp/prefix/include/watchfiles-1.0/watchfiles.h" ] &&
   [ -f "$libdir/watchfiles-1.0/backends/inotify.so" ] &&
   [ -f "$libdir/watchfiles-1.0/backends/poll.so" ]; then
  echo "ok 2 headers, pkg-config file and backends installed"
else
  echo "not ok 2 installed files missing"; find "$tmp/prefix" >&2
fi

cat > "$tmp/use.c" <<'C'
#include <watchfiles.h>
int main (int argc, char **argv)
{
  const char *paths[] = { argv[1], NULL };
  g_autoptr(GError) error = NULL;
  if (argc > 2) { g_print ("%s\n", WF_VERSION_STRING); return 0; }
  g_autoptr(WfNotify) notify = wf_notify_new (paths, FALSE, FALSE, 300, TRUE, FALSE, &error);
  if (notify == NULL) { g_printerr ("%s\n", error->message); return 1; }
  g_print ("%s\n", wf_notify_get_backend_name (notify));
  return 0;
}
C
if PKG_CONFIG_PATH="$pcdir" cc -o "$tmp/use" "$tmp/use.c" $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs watchfiles-1.0) 2>"$tmp/cc.log" &&
   [ "$(LD_LIBRARY_PATH="$libdir" "$tmp/use" "$tmp" version)" = "$(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion watchfiles-1.0)" ]; then
  echo "ok 3 a program builds with pkg-config watchfiles-1.0; its WF_VERSION_STRING is the pc file's version"
else
  cat "$tmp/cc.log" >&2; echo "not ok 3 build against the installed library"
fi

backend=$(LD_LIBRARY_PATH="$libdir" "$tmp/use" "$tmp" 2>&1 || true)
if [ "$backend" = inotify ]; then
  echo "ok 4 the installed library loads its installed inotify backend"
else
  echo "not ok 4 installed library chose: $backend"
fi

# The PyGObject override goes to the gi/overrides folder of /usr/bin/python3.
if ! /usr/bin/python3 -c 'import gi' 2>/dev/null || ! command -v g-ir-scanner >/dev/null; then
  echo "ok 5 # SKIP no introspection or no PyGObject for /usr/bin/python3"
elif override=$(find "$tmp/prefix" -path '*/gi/overrides/Watchfiles.py') && [ -n "$override" ]; then
  echo "ok 5 the PyGObject override is installed ($override)"
else
  echo "not ok 5 gi/overrides/Watchfiles.py not installed"
fi

# GObject-Introspection data and the Vala bindings.
if ! command -v g-ir-scanner >/dev/null; then
  echo "ok 6 # SKIP no introspection"
elif [ -f "$tmp/prefix/share/gir-1.0/Watchfiles-1.0.gir" ] &&
     [ -f "$libdir/girepository-1.0/Watchfiles-1.0.typelib" ] &&
     { ! command -v vapigen >/dev/null || [ -f "$tmp/prefix/share/vala/vapi/watchfiles-1.0.vapi" ]; }; then
  echo "ok 6 GIR, typelib and VAPI installed"
else
  echo "not ok 6 GIR, typelib or VAPI missing"; find "$tmp/prefix" >&2
fi

# The installed pieces work together from Python: typelib, override,
# library and backend modules, with no build tree in sight.
if [ -z "${override:-}" ]; then
  echo "ok 7 # SKIP no installed override"
else
  sitedir=${override%/gi/overrides/Watchfiles.py}
  out=$(cd / && GI_TYPELIB_PATH="$libdir/girepository-1.0" LD_LIBRARY_PATH="$libdir" PYTHONPATH="$sitedir" \
        /usr/bin/python3 -c '
import sys, gi
gi.require_version("Watchfiles", "1.0")
from gi.repository import Watchfiles
with Watchfiles.Notify([sys.argv[1]], False, False, 300, True, False) as n:
    print(type(n).__module__, n.get_backend_name())
' "$tmp" 2>&1 || true)
  if [ "$out" = "gi.overrides.Watchfiles inotify" ]; then
    echo "ok 7 installed Python override, typelib and backends work together"
  else
    echo "not ok 7 installed Python use printed: $out"
  fi
fi

# The man page and the bash completion.
if [ -f "$tmp/prefix/share/bash-completion/completions/watchfiles" ] &&
   { ! command -v scdoc >/dev/null || [ -f "$tmp/prefix/share/man/man1/watchfiles.1" ]; }; then
  echo "ok 8 man page and bash completion installed"
else
  echo "not ok 8 man page or completion missing"; find "$tmp/prefix/share" >&2
fi
