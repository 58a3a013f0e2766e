#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer harness for a bounded time from its seed corpus (read-only: new inputs go
# to a temporary directory) and reports TAP.  Usage: fuzz-run.sh HARNESS SEED_DIR SECONDS
set -u
exe=$1; seeds=$2; secs=$3
name=$(basename "$exe")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "1..2"
# 1: every seed on its own (regressions)
if "$exe" -runs=0 "$seeds" >"$work/seeds.log" 2>&1; then
  echo "ok 1 - $name: all seeds in $(basename "$seeds") run clean"
else
  echo "not ok 1 - $name: a seed crashes"; tail -n 40 "$work/seeds.log" | sed 's/^/# /'
fi
# 2: fuzzing (leak detection stays on; -rss_limit guards the 2-core CI machine)
if "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$work/" \
     "$work" "$seeds" >"$work/fuzz.log" 2>&1; then
  runs=$(grep -o 'Done [0-9]* runs' "$work/fuzz.log" | tail -n 1)
  echo "ok 2 - $name: ${secs}s of fuzzing, no crash (${runs:-?})"
else
  echo "not ok 2 - $name: crash found"; tail -n 60 "$work/fuzz.log" | sed 's/^/# /'
  for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
    [ -f "$a" ] && echo "# reproducer (base64): $(base64 -w0 "$a" | head -c 4000)"
  done
fi
