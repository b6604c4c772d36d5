#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compile-and-link checks of the GLib-free parts of the kqueue and FSEvents
# backends for FreeBSD and macOS, from Linux: clang -nostdlibinc with the
# project's own declarations (wf-cross-decls.h), then lld into a shared
# object against stub libraries made from freebsd.symbols / macos.symbols,
# so that a name the OS does not provide fails the link.  Nothing built
# here runs: these check that the code compiles and links, not behaviour.
# Usage: check-cross.sh SOURCE_ROOT WORK_DIR  (prints TAP)
set -uo pipefail
src=$1
work=$2
clang=${CLANG:-clang-14}
ld_elf=${LD_ELF:-ld.lld-14}
ld_macho=${LD_MACHO:-ld64.lld-14}
mkdir -p "$work"
cross="$src/tests/cross"
cflags=(-nostdlibinc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -DWF_CROSS_DECLS -I"$cross"
        -I"$src/backends/kqueue" -I"$src/backends/fsevents")
kq=(backends/kqueue/wf-kq-translate.c backends/kqueue/wf-kq-os.c)
fse=(backends/fsevents/wf-fse-translate.c backends/fsevents/wf-fse-os.c)
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; sed 's/^/# /' "$work/log"; }

# Stub libraries: one empty function (or data object) per listed name.
stubs() {  # $1 symbols file, $2 target, $3 out dir; prints the libraries made
  local list=$1 target=$2 out=$3 ver=${2##*macos}
  mkdir -p "$out"
  grep -v '^#' "$list" | awk 'NF' | awk '{lib=$1; kind=$2; for (i = 3; i <= NF; i++) print lib, kind, $i}' |
    sort -u > "$out/names"
  cut -d' ' -f1 "$out/names" | sort -u | while read -r lib; do
    local base c
    base=$(basename "$lib")
    c="$out/$base.c"
    : > "$c"
    grep "^$lib " "$out/names" | while read -r _ kind name; do
      case $kind in
        data) echo "char $name[64];" ;;
        raw) echo "void wf_raw_$name(void) __asm__(\"$name\"); void wf_raw_$name(void) {}" ;;
        *) echo "void $name(void) {}" ;;
      esac >> "$c"
    done
    "$clang" -target "$target" -nostdlibinc -fPIC -fno-builtin -w -c "$c" -o "$c.o" || return 1
    case $target in
      *freebsd*) "$ld_elf" -shared -soname "$base" -o "$out/$base" "$c.o" || return 1 ;;
      *apple*)
        local arch=${target%%-*}
        "$ld_macho" -dylib -arch "$arch" -platform_version macos "$ver" "$ver" -install_name "$lib" \
          -o "$out/$base" "$c.o" || return 1 ;;
    esac
    echo "$out/$base"
  done
}

check() {  # $1 target, $2 backend name, rest: sources
  local target=$1 name=$2
  shift 2
  local out="$work/$target" objs=() libs
  mkdir -p "$out"
  : > "$work/log"
  for f in "$@"; do
    local o="$out/$(basename "$f" .c).o"
    "$clang" -target "$target" "${cflags[@]}" -c "$src/$f" -o "$o" >> "$work/log" 2>&1 ||
      { notok "$name compiles for $target"; return; }
    objs+=("$o")
  done
  ok "$name compiles for $target (-nostdlibinc, project declarations)"
  case $target in
    *freebsd*) list="$cross/freebsd.symbols" ;;
    *apple*) list="$cross/macos.symbols" ;;
  esac
  libs=$(stubs "$list" "$target" "$out/stubs" 2>> "$work/log") ||
    { notok "$name: stub libraries for $target"; return; }
  case $target in
    *freebsd*)
      "$ld_elf" -shared --no-undefined --no-allow-shlib-undefined -o "$out/$name.so" "${objs[@]}" $libs \
        >> "$work/log" 2>&1 ;;
    *apple*)
      local arch=${target%%-*} ver=${target##*macos}
      "$ld_macho" -dylib -arch "$arch" -platform_version macos "$ver" "$ver" -undefined error \
        -o "$out/$name.so" "${objs[@]}" $libs >> "$work/log" 2>&1 ;;
  esac &&
    ok "$name links for $target into a shared object, no unresolved name" ||
    notok "$name links for $target"
}

for t in x86_64-unknown-freebsd13 aarch64-unknown-freebsd14; do
  check "$t" kqueue "${kq[@]}"
done
for t in arm64-apple-macos11 x86_64-apple-macos10.15; do
  check "$t" kqueue "${kq[@]}"
  check "$t" fsevents "${fse[@]}"
done
echo "1..$n"
exit $fail
