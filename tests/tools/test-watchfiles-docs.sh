#!/bin/sh
# SPDX-License-Identifier: MIT
# Every long option that `watchfiles --help` lists is documented in the man
# page source and completed by the bash completion, and the completion
# offers nothing that --help does not list; its --backend completer offers
# the backends --list-backends names, and only those.  TAP output.
set -u
tool=$1
src=$2
man="$src/data/watchfiles.1.scd"
completion="$src/data/completions/watchfiles"
echo "1..6"

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

# Completes `$1 --backend ` with the completion loaded; prints COMPREPLY.
complete_backend() {
  bash -c '
    . /usr/share/bash-completion/bash_completion
    . "$2"
    COMP_WORDS=("$1" --backend "")
    COMP_CWORD=2
    COMP_LINE="$1 --backend "
    COMP_POINT=${#COMP_LINE}
    _watchfiles "$1" "" --backend
    for word in "${COMPREPLY[@]}"; do printf "%s\n" "$word"; done
  ' sh "$1" "$completion" | sort | tr '\n' ' '
}
if [ ! -f /usr/share/bash-completion/bash_completion ] || ! command -v bash >/dev/null; then
  echo "ok 5 # SKIP bash-completion is not installed"
  echo "ok 6 # SKIP bash-completion is not installed"
  exit 0
fi
got=$(complete_backend "$tool")
# The backends built (meson test says which).
want=$(echo "${WF_TEST_BACKENDS:-inotify:poll}" | tr ':' '\n' | sort | tr '\n' ' ')
if [ "$got" = "$want" ]; then
  echo "ok 5 --backend completes the backends found: $got"
else
  echo "not ok 5 --backend completes \"$got\", not \"$want\""
fi
# A tool that finds no module, and one whose probe fails.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\nprintf "  %%-10s %%-7s %%-9s %%s\\n" BACKEND PROBE PRIORITY MODULE\n%s\n%s\n' \
  'echo "  (no backend modules found)"' 'echo "Chosen here: none: no backend'"'"'s probe passes"' >"$fake/none"
printf '#!/bin/sh\necho "  BACKEND    PROBE   PRIORITY  MODULE"\n%s\n%s\n' \
  'echo "  kq         fails   -         no kqueue here"' 'echo "Chosen here: none: no backend'"'"'s probe passes"' >"$fake/fails"
chmod +x "$fake/none" "$fake/fails"
got_none=$(complete_backend "$fake/none")
got_fails=$(complete_backend "$fake/fails")
if [ -z "$got_none" ] && [ "$got_fails" = "kq " ]; then
  echo "ok 6 --backend offers nothing when no module is found, and names failing ones"
else
  echo "not ok 6 --backend with no module offers \"$got_none\"; with a failing one \"$got_fails\""
fi
