#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus profiles, --help and the top-level dispatcher.
. "$(dirname "$0")/tap.sh"

run --help; expect_status "nucleus --help" 0; expect_out "--help lists policy" "policy show"
run; expect_status "no command is a usage error" 2
run frobnicate; expect_status "unknown command" 2; expect_err "unknown command named" "unknown command 'frobnicate'"
run --version; expect_status "--version" 0; expect_out "version string" "^nucleus [0-9]+\.[0-9]+"
run help policy; expect_status "help policy" 0; expect_out "help policy shows explain" "explain"

run profiles; expect_status "profiles" 0
for p in read-only restrictive code-review web-research local-dev fix-issue release full; do
  expect_out "profiles lists $p" "^$p "
done
expect_out "fix-issue is marked uninhabitable and gated" "^fix-issue +ALLLAALLLLL \* run_bash, git_push, create_pr"
expect_out "read-only levels" "^read-only +A---AA----- "
expect_no_out "no colour codes when not a tty" "$(printf '\033')"
run profiles --json; expect_status "profiles --json" 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==8 and d[0]["name"]=="read-only" and d[0]["policy"]["capabilities"]["write_files"]=="never"' "$TMP/out"; then
  ok "profiles --json is valid JSON with 8 profiles"; else not_ok "profiles --json is not the expected JSON"; fi
run profiles --bogus; expect_status "profiles rejects unknown options" 2
run profiles --help; expect_status "profiles --help" 0; expect_out "profiles --help explains LEVELS" "LEVELS"

done_testing
