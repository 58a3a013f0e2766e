#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The documentation says what the binary does: the profile table of docs/policy.md and the
# commands named in docs/cli.md, which must equal the binary's --help texts.
. "$(dirname "$0")/tap.sh"
DOCS=${NC_DOCS:?NC_DOCS must point at docs/}

run profiles --json
for name in $(python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))))' "$TMP/out"); do
  row=$(python3 - "$TMP/out" "$name" <<'PY'
import json, sys
L = {"always": "A", "low_risk": "L", "never": "-"}
ops = ["read_files", "write_files", "edit_files", "run_bash", "glob_search", "grep_search",
       "web_search", "web_fetch", "git_commit", "git_push", "create_pr"]
for p in json.load(open(sys.argv[1])):
    if p["name"] == sys.argv[2]:
        pol = p["policy"]
        lv = "".join(L[pol["capabilities"][o]] for o in ops)
        star = " *" if pol["uninhabitable"] else ""
        appr = ", ".join(pol["approvals"]) or "—"
        print(f"| {p['name']} | `{lv}`{star} | {appr} |")
PY
)
  if grep -qF -- "$row" "$DOCS/policy.md"; then ok "docs/policy.md row for $name matches the binary"
  else not_ok "docs/policy.md lacks the row '$row'"; fi
done

for cmd in "profiles" "policy show" "policy check" "policy meet" "policy explain" "exec" "demo" "doctor" "audit"; do
  word=${cmd##* }
  if grep -Eq "(nucleus|^ +)$word" "$DOCS/cli.md"; then ok "docs/cli.md documents '$cmd'"; else not_ok "docs/cli.md lacks '$cmd'"; fi
  sub=${cmd#policy }
  if [ "$sub" != "$cmd" ]; then run policy --help; else run $cmd --help; fi
  if [ "$status" -eq 0 ]; then ok "'nucleus $cmd' has --help"; else not_ok "'nucleus $cmd --help' failed"; fi
done
GEN=${NC_GEN_DOCS:?NC_GEN_DOCS must point at scripts/gen-cli-docs.sh}
"$GEN" "$NUCLEUS" >"$TMP/cli.md" 2>"$TMP/err"
if diff -u "$DOCS/cli.md" "$TMP/cli.md" >"$TMP/diff"; then ok "docs/cli.md is the binary's --help (regenerate with scripts/gen-cli-docs.sh)"
else not_ok "docs/cli.md differs from --help; run scripts/gen-cli-docs.sh build/src/cli/nucleus > docs/cli.md"; sed 's/^/# /' "$TMP/diff" | head -30; fi
done_testing
