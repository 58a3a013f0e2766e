# SPDX-License-Identifier: Apache-2.0
# A few TAP helpers for the CLI tests (sourced).  Each check is one TAP case.
NUCLEUS=${1:?usage: $0 path/to/nucleus}
n=0
fails=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# run CMD...: runs nucleus with the arguments, capturing stdout, stderr and the exit status.
run() {
  "$NUCLEUS" "$@" >"$TMP/out" 2>"$TMP/err"
  status=$?
}

# expect_status DESC N
expect_status() {
  if [ "$status" -eq "$2" ]; then ok "$1 (exit $2)"; else
    not_ok "$1: exit $status, expected $2"; sed 's/^/# out: /' "$TMP/out" | head -20; sed 's/^/# err: /' "$TMP/err" | head -20; fi
}

# expect_out DESC REGEX  /  expect_err DESC REGEX  /  expect_no_out DESC REGEX
expect_out() {
  if grep -Eq -- "$2" "$TMP/out"; then ok "$1"; else not_ok "$1: stdout lacks /$2/"; sed 's/^/# out: /' "$TMP/out" | head -30; fi
}
expect_err() {
  if grep -Eq -- "$2" "$TMP/err"; then ok "$1"; else not_ok "$1: stderr lacks /$2/"; sed 's/^/# err: /' "$TMP/err" | head -30; fi
}
expect_no_out() {
  if grep -Eq -- "$2" "$TMP/out"; then not_ok "$1: stdout has /$2/"; else ok "$1"; fi
}

done_testing() { echo "1..$n"; [ "$fails" -eq 0 ]; }
