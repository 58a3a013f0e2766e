#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus doctor: the table, --json, the exit status, as root and as nobody, and inside a pod
# (where new namespaces are refused, so the doctor must say so and exit 1).
. "$(dirname "$0")/tap.sh"

skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# check_json FILE EXIT: valid JSON, every check complete, ready agrees with the exit status.
# Writes FILE.sum with "check NAME STATUS" and "field KEY VALUE" lines for status_of/field_of
# (one python3 run per output: the interpreter is slow to start on some hosts).
check_json() {
  python3 - "$1" "$2" >"$1.sum" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d["ready"], bool), "ready is not a boolean"
assert d["ready"] == (sys.argv[2] == "0"), "ready disagrees with the exit status"
assert isinstance(d["checks"], list) and len(d["checks"]) >= 16, "too few checks"
for c in d["checks"]:
    assert isinstance(c["name"], str) and c["name"], c
    assert c["status"] in ("ok", "degraded", "missing"), c
    assert isinstance(c["detail"], str) and c["detail"], c
    assert "fix" in c and (c["fix"] is None or isinstance(c["fix"], str)), c
    assert c["status"] == "ok" or c["fix"], "%s is %s without a fix" % (c["name"], c["status"])
    assert isinstance(c["required"], bool), c
names = [c["name"] for c in d["checks"]]
assert len(names) == len(set(names)), "duplicate check names"
for c in d["checks"]:
    print("check", c["name"], c["status"])
for k in ("ready", "pids_limit", "memory_limit", "landlock_abi"):
    print("field", k, d[k])
PY
}

# status_of FILE NAME / field_of FILE KEY: from the summary check_json wrote.
status_of() { awk -v n="$2" '$1 == "check" && $2 == n { print $3 }' "$1.sum"; }
field_of() { awk -v k="$2" '$1 == "field" && $2 == k { print $3 }' "$1.sum"; }

# ---- help and usage ---------------------------------------------------------------------
run doctor --help; expect_status "doctor --help" 0
expect_out "--help documents --json" "--json"
expect_out "--help names the Landlock requirement" "ABI >= 6"
expect_out "--help explains the exit status" "Exit status"
run help doctor; expect_status "help doctor" 0
run doctor --bogus; expect_status "doctor rejects unknown options" 2
expect_err "the bad option is named" "unexpected argument '--bogus'"
run --help; expect_out "nucleus --help lists doctor" "^  doctor "

# ---- the table ----------------------------------------------------------------------------
run doctor; st=$status
if [ "$st" -eq 0 ] || [ "$st" -eq 1 ]; then ok "doctor exits 0 or 1 (exit $st)"; else not_ok "doctor exit $st"; fi
expect_out "table header" "^CHECK +STATUS +NEEDED +DETAIL"
for c in environment userns mount-ns pid-ns net-ns ipc-ns uts-ns cgroup-ns landlock seccomp \
         seccomp-notify openat2 pidfd_open mount_setattr cgroup nft; do
  expect_out "table has $c" "^$c +(ok|degraded|missing) +(required|optional) "
done
expect_no_out "no colour codes when not a tty" "$(printf '\033')"
if [ "$st" -eq 0 ]; then expect_out "exit 0 says pods run" "^nucleus can run full pods$"
else expect_out "exit 1 says what is missing" "missing: pods will refuse to start unless"; fi
if grep -Eq '^[a-z_-]+ +(missing|degraded) ' "$TMP/out"; then
  expect_out "what is not ok comes with a fix" "^ +fix: "
else ok "everything is ok: no fix lines needed"; fi

# ---- --json -------------------------------------------------------------------------------
run doctor --json; jst=$status
cp "$TMP/out" "$TMP/root.json"
if [ "$jst" -eq "$st" ]; then ok "--json has the same exit status ($jst)"; else not_ok "--json exit $jst, table exit $st"; fi
if check_json "$TMP/root.json" "$jst" 2>"$TMP/err"; then ok "--json is valid, every check has name, status, detail and fix"
else not_ok "--json: $(tail -1 "$TMP/err")"; fi

# What this kind of host (Linux >= 6.12 with user namespaces) must offer: ok for userns,
# landlock, seccomp and openat2.  Elsewhere each is said to be skipped, with the reason.
kmaj=$(uname -r | cut -d. -f1); kmin=$(uname -r | cut -d. -f2)
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -ge 12 ]; }; then new_kernel=1; else new_kernel=0; fi
if unshare --user --map-root-user true 2>/dev/null; then userns_works=1; else userns_works=0; fi
if [ "$userns_works" -eq 1 ]; then
  s=$(status_of "$TMP/root.json" userns)
  if [ "$s" = ok ]; then ok "userns is ok (unshare --user works here)"; else not_ok "userns is $s, but unshare --user works"; fi
else
  skip "unshare --user fails on this host: userns cannot be ok"
fi
for c in landlock seccomp openat2; do
  if [ "$new_kernel" -eq 1 ]; then
    s=$(status_of "$TMP/root.json" "$c")
    if [ "$s" = ok ]; then ok "$c is ok on Linux $(uname -r)"; else not_ok "$c is $s on Linux $(uname -r)"; fi
  else
    skip "$c: Linux $(uname -r) is older than 6.12"
  fi
done
s=$(status_of "$TMP/root.json" cgroup)
case $s in ok|degraded) ok "cgroup reports $s (pids by $(field_of "$TMP/root.json" pids_limit))" ;;
  *) not_ok "cgroup is $s" ;; esac
if ls /sys/fs/cgroup/*/nucleus-doctor-* /sys/fs/cgroup/nucleus-doctor-* >/dev/null 2>&1; then
  not_ok "a test cgroup was left behind"; else ok "no test cgroup is left behind"; fi

# ---- as nobody ----------------------------------------------------------------------------
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$NUCLEUS" "$@" >"$TMP/out" 2>"$TMP/err"
  status=$?
}
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
  skip "not root or no setpriv: the run as nobody is not possible"
elif ! setpriv --reuid=65534 --regid=65534 --clear-groups "$NUCLEUS" --version >/dev/null 2>&1; then
  skip "nobody cannot execute $NUCLEUS (its directory is private)"
else
  as_nobody doctor; nst=$status
  if [ "$nst" -eq 0 ] || [ "$nst" -eq 1 ]; then ok "doctor as nobody exits 0 or 1 (exit $nst)"; else not_ok "doctor as nobody: exit $nst"; fi
  expect_out "as nobody: running as uid 65534" "running as uid 65534"
  expect_no_out "as nobody: no userns-unprivileged check (that is root's view)" "^userns-unprivileged "
  as_nobody doctor --json; njst=$status
  cp "$TMP/out" "$TMP/nobody.json"
  if check_json "$TMP/nobody.json" "$njst" 2>"$TMP/err"; then ok "as nobody: --json is valid"
  else not_ok "as nobody: --json: $(tail -1 "$TMP/err")"; fi
  # cgroup v1 is root's alone, and nobody has no delegated v2 subtree here: rlimits.
  p=$(field_of "$TMP/nobody.json" pids_limit)
  case $p in rlimit|cgroup2) ok "as nobody: pids limited by $p" ;; *) not_ok "as nobody: pids limited by $p" ;; esac
  s=$(status_of "$TMP/nobody.json" cgroup)
  if [ "$p" = rlimit ]; then
    if [ "$s" = degraded ]; then ok "as nobody: cgroup is degraded (rlimit fallback)"; else not_ok "as nobody: cgroup is $s with rlimits"; fi
  else ok "as nobody: cgroup is $s"; fi
  if setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user true 2>/dev/null; then
    s=$(status_of "$TMP/nobody.json" userns)
    if [ "$s" = ok ]; then ok "as nobody: userns is ok"; else not_ok "as nobody: userns is $s"; fi
    s=$(status_of "$TMP/root.json" userns-unprivileged)
    if [ "$s" = ok ]; then ok "root's userns-unprivileged agrees"; else not_ok "root's userns-unprivileged is $s"; fi
  else
    skip "nobody cannot create user namespaces here"
  fi
fi

# ---- inside a pod: no new namespaces, so the doctor must refuse readiness -------------------
bindir=$(cd "$(dirname "$NUCLEUS")" && pwd)
# (LeakSanitizer cannot work under the pod's seccomp filter: off in there, for sanitizer builds.)
"$NUCLEUS" exec --quiet --workspace "$bindir" --env ASAN_OPTIONS=detect_leaks=0 \
  -- "$bindir/$(basename "$NUCLEUS")" doctor --json \
  >"$TMP/out" 2>"$TMP/err"; pst=$?
if [ "$pst" -ge 124 ]; then
  skip "nucleus exec cannot run a pod here (exit $pst): $(head -1 "$TMP/err")"
else
  if [ "$pst" -eq 1 ]; then ok "inside a pod the doctor exits 1"; else not_ok "inside a pod: exit $pst"; fi
  cp "$TMP/out" "$TMP/pod.json"
  if check_json "$TMP/pod.json" "$pst" 2>"$TMP/err"; then ok "inside a pod: --json is valid"
  else not_ok "inside a pod: --json: $(tail -1 "$TMP/err")"; fi
  s=$(status_of "$TMP/pod.json" userns)
  if [ "$s" = missing ]; then ok "inside a pod: userns is missing (the pod's seccomp filter)"; else not_ok "inside a pod: userns is $s"; fi
  if grep -q 'seccomp filter' "$TMP/pod.json"; then ok "inside a pod: the inherited seccomp filter is named"
  else not_ok "inside a pod: the seccomp filter is not named"; fi
fi

done_testing
