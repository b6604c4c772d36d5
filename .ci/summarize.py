#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Sums the TAP subtests of every meson test log given on the command line
and prints the one line CI reads: "N passed, N failed[, N skipped]".

A test that died before printing its plan counts as one failure, so a crash
is never hidden behind the subtests it did run."""
import json
import re
import sys

passed = failed = skipped = 0
for log in sys.argv[1:]:
    try:
        lines = open(log, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        print(f"summarize: cannot read {log}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        entry = json.loads(line)
        out = entry.get("stdout") or ""
        results = re.findall(r"^(not ok|ok)\b[^\n]*", out, re.M)
        p = f = s = 0
        for m in re.finditer(r"^(not ok|ok)\b([^\n]*)", out, re.M):
            status, rest = m.group(1), m.group(2)
            if "# SKIP" in rest or "# skip" in rest:
                s += 1
            elif status == "ok":
                p += 1
            elif "# TODO" in rest:
                s += 1
            else:
                f += 1
        if not results:
            # Not a TAP test: judge the whole executable.
            if entry.get("result") == "SKIP":
                s = 1
            elif entry.get("result") in ("OK", "EXPECTEDFAIL"):
                p = 1
            else:
                f = 1
        elif entry.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and f == 0:
            f = 1  # crashed, timed out, or leaked (valgrind) after its subtests
        passed, failed, skipped = passed + p, failed + f, skipped + s

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
