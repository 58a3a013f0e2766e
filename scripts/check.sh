#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds with ASan+UBSan and runs every test suite (the Frama-C proofs included), then the
# libFuzzer harnesses (clang), and ends with one line: "N passed, N failed, N skipped"
# (counting TAP cases).
# Usage: scripts/check.sh ASAN_BUILD_DIR FUZZ_BUILD_DIR FUZZ_SECONDS
set -eu
asan=${1:-build-asan}
fuzz=${2:-build-fuzz}
secs=${3:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

setup() { # dir, options...
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
}

logs=""
rc=0
if [ -z "${FUZZ_ONLY:-}" ]; then
  # -Dproofs=true registers the Frama-C proofs (scripts/proofs.sh) as the suite "proofs", so a
  # new EVA alarm or an unproved WP goal fails the check and is counted in the tally.
  setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false -Dtests=true -Dproofs=true
  # halt_on_error makes UBSan findings fatal; leak checking stays on (tests that must disable
  # it for a process say so themselves).
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ASAN_OPTIONS=abort_on_error=0:detect_stack_use_after_return=1 \
    meson test -C "$asan" --print-errorlogs --num-processes 2 || rc=1
  logs="$asan/meson-logs/testlog.json"
fi
# The optimized build `make demo` uses: -O3 with _FORTIFY_SOURCE=3 warns about things the
# sanitizer build does not (an unchecked write(), say), and warnings are errors.
if [ -z "${FUZZ_ONLY:-}" ]; then
  setup "${RELEASE_BUILD:-build}" -Dtests=false --buildtype=release ||
    { echo "check: the release build (make demo's) failed" >&2; rc=1; }
fi
CC=clang setup "$fuzz" -Dfuzzing=true -Dfuzz_seconds="$secs"
meson test -C "$fuzz" --suite fuzz --print-errorlogs --num-processes 2 || rc=1
logs="$logs $fuzz/meson-logs/testlog.json"

python3 scripts/tally.py $logs || rc=1
exit $rc
