#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Static analysis as TAP: gcc -fanalyzer, clang-tidy and cppcheck over src/, one case per file
# (cppcheck: one case for the tree).  Usage: lint.sh analyzer|clang-tidy|cppcheck [SRCDIR]
set -u
tool=$1
top=${2:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
files=$(find src -name '*.c' | sort)
cflags="-std=gnu17 -D_GNU_SOURCE -Isrc $(pkg-config --cflags yaml-0.1 jansson 2>/dev/null)"
n=$(echo "$files" | wc -l)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# clang-tidy checks: bug-finding families; the excluded ones are style opinions or flag the
# house conventions themselves (e.g. memcpy with checked sizes).  Neither clang's analyzer nor
# cppcheck models __attribute__((cleanup)) (the house ownership style), so their leak checkers
# report every _cleanup_free_ variable; leaks are covered by LeakSanitizer over the whole test
# suite and by gcc -fanalyzer, which does model cleanup.
tidy_checks='-*,clang-analyzer-*,-clang-analyzer-unix.Malloc,bugprone-*,cert-*,misc-redundant-expression,misc-misplaced-const,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-bugprone-assignment-in-if-condition,-cert-err33-c,-bugprone-narrowing-conversions'

case "$tool" in
  analyzer|clang-tidy)
    if [ "$tool" = clang-tidy ] && ! command -v clang-tidy >/dev/null; then
      echo "1..0 # SKIP clang-tidy is not installed"; exit 0
    fi
    echo "1..$n"
    # One file per job, as many jobs as CPUs; the results are printed in file order.
    dir=$(mktemp -d)
    trap 'rm -rf "$tmp" "$dir"' EXIT
    export T="$tool" D="$dir" CFLAGS="$cflags" CHECKS="$tidy_checks"
    i=0
    for f in $files; do
      i=$((i + 1))
      echo "$i $f"
    done | xargs -P "$(nproc 2>/dev/null || echo 2)" -L 1 sh -c '
      if [ "$T" = analyzer ]; then
        gcc $CFLAGS -O1 -fanalyzer -Wall -Wextra -Werror -c "$2" -o /dev/null >"$D/$1.out" 2>&1
      else
        clang-tidy --quiet --checks="$CHECKS" --warnings-as-errors="*" "$2" -- $CFLAGS >"$D/$1.out" 2>&1
      fi
      echo $? >"$D/$1.rc"' sh
    i=0
    for f in $files; do
      i=$((i + 1))
      if [ "$(cat "$dir/$i.rc" 2>/dev/null)" = 0 ]; then
        echo "ok $i - $tool: $f"
      else
        echo "not ok $i - $tool: $f"
        grep -v '^[0-9]* warnings generated' "$dir/$i.out" 2>/dev/null | head -n 40 | sed 's/^/# /'
      fi
    done
    ;;
  cppcheck)
    if ! command -v cppcheck >/dev/null; then
      echo "1..0 # SKIP cppcheck is not installed"; exit 0
    fi
    echo "1..1"
    if cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 --enable=warning,portability,performance \
        --suppress=missingIncludeSystem --suppress=memleak -D__GNUC__ -Isrc src >"$tmp" 2>&1; then
      echo "ok 1 - cppcheck: src/"
    else
      echo "not ok 1 - cppcheck: src/"; head -n 60 "$tmp" | sed 's/^/# /'
    fi
    ;;
  *) echo "usage: $0 analyzer|clang-tidy|cppcheck" >&2; exit 2 ;;
esac
exit 0
