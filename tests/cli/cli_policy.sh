#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus policy show|check|meet|explain, from the user's side.
. "$(dirname "$0")/tap.sh"

# A policy file written the way a user would.
cat >"$TMP/tight.yaml" <<'YAML'
apiVersion: nucleus/v1
kind: Policy
metadata:
  name: tight
  description: read src only, no network
spec:
  capabilities:
    read_files: always
    write_files: low_risk
    edit_files: low_risk
    run_bash: low_risk
    glob_search: always
    grep_search: always
    web_search: never
    web_fetch: never
    git_commit: never
    git_push: never
    create_pr: never
  approvals: [write_files]
  paths:
    allow: [src, README.md]
    deny: ["*.pem"]
    read_only: []
  commands:
    allow: ["make test", "cargo test"]
    deny: []
  network:
    allow: []
  budget:
    max_usd: "0.75"
  limits:
    timeout_seconds: 600
YAML

# ---- show -------------------------------------------------------------------------------
run policy show fix-issue; expect_status "show a profile" 0
expect_out "show prints a policy document" "^apiVersion: nucleus/v1"
expect_out "show prints every capability" "create_pr: low_risk"
expect_out "show prints normalized approvals" "approvals: \[run_bash, git_push, create_pr\]"
cp "$TMP/out" "$TMP/fix-issue.yaml"
run policy check "$TMP/fix-issue.yaml"; expect_status "show output is a valid policy file" 0
run policy show "$TMP/fix-issue.yaml"
if diff -u "$TMP/fix-issue.yaml" "$TMP/out" >"$TMP/diff"; then ok "show round-trips through a file"; else not_ok "show does not round-trip"; sed 's/^/# /' "$TMP/diff" | head -20; fi
run policy show --json full; expect_status "show --json" 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["uninhabitable"] is True and "run_bash" in d["approvals"] and d["paths"]["allow"]=="unrestricted"' "$TMP/out"; then
  ok "show --json has uninhabitable flag, gated run_bash, explicit unrestricted"; else not_ok "show --json content"; fi
run policy show no-such-profile; expect_status "unknown profile" 2; expect_err "unknown profile explained" "neither a built-in profile nor a file"
run policy show fix_issue; expect_status "underscore alias accepted" 0

# ---- check ------------------------------------------------------------------------------
run policy check "$TMP/tight.yaml"; expect_status "check a valid file" 0; expect_out "check says valid" "valid \(policy 'tight'\)"
sed 's/read_files: always/read_filez: always/' "$TMP/tight.yaml" >"$TMP/typo.yaml"
run policy check "$TMP/typo.yaml"; expect_status "check a typo" 1
expect_err "typo error has file:line:column" "typo.yaml:[0-9]+:[0-9]+: "
expect_err "typo error names the key" "read_filez"
sed '/web_fetch: never/d' "$TMP/tight.yaml" >"$TMP/missing.yaml"
run policy check "$TMP/missing.yaml"; expect_status "check a missing capability" 1; expect_err "missing key named" "web_fetch"
run policy check "$TMP/tight.yaml" "$TMP/typo.yaml"; expect_status "one bad file fails the check" 1
run policy check --json "$TMP/tight.yaml" "$TMP/typo.yaml"; expect_status "check --json exit" 1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["valid"] and not d[1]["valid"] and "read_filez" in d[1]["error"]' "$TMP/out"; then ok "check --json reports each file"; else not_ok "check --json content"; fi
run policy check "$TMP/does-not-exist.yaml"; expect_status "check a missing file" 1; expect_err "missing file error" "No such file"
printf 'apiVersion: nucleus/v1\nkind: Policy\n' >"$TMP/trunc.yaml"
run policy check "$TMP/trunc.yaml"; expect_status "check a truncated file" 1
run policy check; expect_status "check without files" 2

# ---- meet -------------------------------------------------------------------------------
run policy meet fix-issue read-only; expect_status "meet two profiles" 0
expect_out "meet never widens: write is never" "write_files: never"
expect_out "meet keeps approvals (union)" "approvals: \[run_bash, git_push, create_pr\]"
run policy meet fix-issue "$TMP/tight.yaml"; expect_status "meet profile and file" 0
expect_out "meet intersects command allowlists" '"make test"'
expect_no_out "meet drops commands the file does not allow" '"cargo build"'
expect_out "meet takes the smaller budget" 'max_usd: "0.75"'
expect_out "meet takes the smaller timeout" "timeout_seconds: 600"
expect_out "meet of disjoint network lists is empty, not unrestricted" "^    allow: \[\]$"
run policy meet fix-issue; expect_status "meet needs two" 2

# ---- explain ----------------------------------------------------------------------------
run policy explain read-only read_files src/main.c; expect_status "explain allowed read" 0; expect_out "allowed verdict" "verdict: +ALLOWED"
run policy explain read-only write_files src/main.c; expect_status "explain denied write" 1; expect_out "capability never" "capability_never"
run policy explain fix-issue read_files config/prod/.env; expect_status "secret at depth denied" 1; expect_out "names the rule" "rule: +\.env$"
run policy explain fix-issue read_files certs/server.pem; expect_status "*.pem at depth denied" 1
run policy explain fix-issue read_files ../outside; expect_status "traversal denied" 1; expect_out "path_invalid" "path_invalid"
run policy explain fix-issue read_files /etc/passwd; expect_status "absolute path denied" 1
run policy explain --root /ws fix-issue read_files /ws/src/x.c; expect_status "absolute under --root allowed" 0; expect_out "normalized path shown" "path: +src/x.c"
run policy explain --root /ws fix-issue read_files /ws2/x.c; expect_status "prefix-sharing root denied" 1
run policy explain fix-issue write_files .git/hooks/pre-commit; expect_status "protected hook" 1; expect_out "read-only reason" "path_read_only"
run policy explain fix-issue read_files .git/hooks/pre-commit; expect_status "hooks are readable" 0
run policy explain fix-issue git_push git push origin main; expect_status "push needs approval" 3; expect_out "approval verdict" "NEEDS APPROVAL"; expect_out "static gate named" "uninhabitable_state"
run policy explain fix-issue run_bash cargo test --release; expect_status "bash gated by uninhabitable state" 3; expect_out "uninhabitable reason" "uninhabitable_state"
run policy explain fix-issue run_bash curl http://x; expect_status "command outside allowlist" 1; expect_out "not allowed" "command_not_allowed"
run policy explain full run_bash -- sudo -n true; expect_status "sudo denied everywhere" 1; expect_out "deny rule" "rule: +sudo"
run policy explain full run_bash cat pseudocode.txt; expect_status "word-based deny: pseudocode is not sudo" 3
run policy explain local-dev run_bash make test; expect_status "local-dev runs commands" 0
run policy explain --exposure private,untrusted local-dev run_bash make test; expect_status "exposure gates commands" 3; expect_out "session exposure reason" "session_exposure"
run policy explain --exposure private local-dev run_bash make test; expect_status "one leg is not enough" 0
run policy explain --exposure private,untrusted local-dev read_files src/a.c; expect_status "exposure does not gate reads" 0
run policy explain fix-issue web_fetch https://api.github.com/repos; expect_status "allowlisted domain" 0
run policy explain fix-issue web_fetch https://evil.example/; expect_status "other domain" 1; expect_out "host reason" "host_not_allowed"
run policy explain fix-issue web_fetch https://user:pw@github.com/; expect_status "userinfo in URL refused" 1; expect_out "invalid input" "invalid_input"
run policy explain fix-issue web_fetch ftp://github.com/; expect_status "non-http scheme refused" 1
run policy explain --json release git_push git push; expect_status "explain --json exit" 3
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"]=="needs_approval" and d["reason"]=="approval_required" and d["args"]==["git","push"]' "$TMP/out"; then ok "explain --json content (written approval)"; else not_ok "explain --json content"; fi
run policy explain fix-issue run_bash git push; expect_status "a push disguised as run_bash is refused" 1; expect_out "bad request reason" "bad_request"
run policy explain fix-issue run_bash -- git --git-dir .git push; expect_status "git options do not hide a push" 1
run policy explain --policy fix-issue --policy "$TMP/tight.yaml" read_files docs/x.md; expect_status "composed policy denies outside its allowlist" 1
run policy explain --policy fix-issue --policy "$TMP/tight.yaml" write_files src/x.c; expect_status "composed policy keeps file's approval" 3
run policy explain fix-issue fly_away x; expect_status "unknown operation" 2
run policy explain fix-issue read_files; expect_status "missing path" 2
run policy explain --exposure sideways fix-issue read_files a; expect_status "bad exposure" 2
run policy frob; expect_status "unknown subcommand" 2
run policy --help; expect_status "policy --help" 0

done_testing
