#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus exec from the user's side: the issue's acceptance cases, exit statuses, options.
# (The attacker's side is tests/escape.)
. "$(dirname "$0")/tap.sh"

if ! "$NUCLEUS" doctor >/dev/null 2>&1; then
  echo "1..0 # SKIP this machine cannot run full pods (see nucleus doctor)"; exit 0
fi
WS="$TMP/ws"
mkdir -p "$WS/.git/hooks" "$WS/sub"
echo secret >"$WS/.env"; echo hello >"$WS/a.txt"; echo key >"$WS/sub/server.pem"

run exec --profile read-only --workspace "$WS" -- sh -c 'echo x > f'
if [ "$status" -ne 0 ] && [ ! -e "$WS/f" ]; then ok "read-only: a write fails and nothing is written"; else not_ok "read-only write: status $status"; fi
expect_err "read-only: the message says why" "Read-only file system"
run exec --profile local-dev --workspace "$WS" -- sh -c 'echo x > f && echo y > /tmp/t && cat f'
expect_status "local-dev: a write succeeds" 0
if [ "$(cat "$WS/f" 2>/dev/null)" = x ]; then ok "local-dev: the file is in the workspace on the host"; else not_ok "local-dev: file missing on the host"; fi
if [ ! -e /tmp/t ] || [ "$(cat /tmp/t 2>/dev/null)" != y ]; then ok "local-dev: /tmp of the pod is not the host's"; else not_ok "pod /tmp leaked to the host"; fi
rm -f "$WS/f"
run exec --workspace "$WS" -- cat a.txt; expect_status "default profile reads the workspace" 0; expect_out "content read" "^hello$"
run exec --workspace "$WS" -- cat .env; expect_status "masked secret reads as empty" 0; expect_no_out "secret hidden" "secret"
run exec --workspace "$WS" -- cat sub/server.pem; expect_no_out "*.pem masked at depth" "key"
run exec --workspace "$WS" -- sh -c 'exit 7'; expect_status "exit status passes through" 7
run exec --workspace "$WS" -- sh -c 'kill -TERM $$'; expect_status "death by signal is 128+N" 143
run exec --workspace "$WS" --timeout 1 -- sleep 30; expect_status "timeout kills the pod" 124; expect_err "timeout explained" "timeout"
run exec --workspace "$WS" -- no-such-command-xyz; expect_status "command not found" 127; expect_err "not found explained" "cannot run 'no-such-command-xyz'"
run exec --workspace "$WS" -- /etc/passwd; expect_status "not executable" 126
run exec --workspace "$WS" -- sh -c 'echo "$HOME|$NUCLEUS_POD|${SECRET_TOKEN:-unset}"'
expect_out "environment is cleared and allowlisted" '^/tmp\|1\|unset$'
SECRET_TOKEN=abc run exec --workspace "$WS" -- sh -c 'echo ${SECRET_TOKEN:-unset}'; expect_out "caller's secrets do not leak" "^unset$"
SECRET_TOKEN=abc run exec --env SECRET_TOKEN --workspace "$WS" -- sh -c 'echo ${SECRET_TOKEN:-unset}'; expect_out "--env NAME passes a variable on purpose" "^abc$"
run exec --env 'X=1 2' --workspace "$WS" -- sh -c 'echo "$X"'; expect_out "--env NAME=VALUE" "^1 2$"
run exec --env '9BAD=1' -- true; expect_status "bad --env name" 2
echo piped | "$NUCLEUS" exec --workspace "$WS" -- cat >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status "stdin reaches the command" 0; expect_out "stdin content" "^piped$"
run exec --verbose --workspace "$WS" -- true; expect_err "--verbose reports the isolation" "Landlock ABI [0-9]+; seccomp on; processes limited by (cgroup1|cgroup2|rlimit)"
# Signals to nucleus reach the command (forwarded by the parent and the pod init).
"$NUCLEUS" exec --workspace "$WS" -- sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done' >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 50); do grep -q ready "$TMP/out" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid"; status=$?
expect_status "SIGTERM is forwarded and the command's status returned" 3; expect_out "the command's handler ran" "^got-term$"
# The pod's PID 1 is nucleus-init, not a copy of nucleus: the issue's memory target (under
# 1 MiB RSS for the init), checked where the benchmark measures it.
run exec --workspace "$WS" -- sh -c 'grep -E "^(Name|VmRSS):" /proc/1/status'
expect_out "PID 1 is nucleus-init" "^Name:[[:space:]]+nucleus-init$"
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "$TMP/out")
if [ -n "$rss" ] && [ "$rss" -lt 1024 ]; then ok "PID 1 uses under 1 MiB RSS ($rss kB)"; else not_ok "PID 1 RSS: '${rss:-?}' kB"; fi
# With cgroups, the pod's cgroup namespace is rooted at the pod's own cgroup (made after the
# init was moved there), so no host cgroup path shows inside.
run exec --verbose --workspace "$WS" -- cat /proc/self/cgroup
if grep -q "limited by cgroup" "$TMP/err"; then
  if grep -qv ':/$' "$TMP/out"; then not_ok "cgroup paths leak into the pod: $(grep -v ':/$' "$TMP/out" | head -1)"; else ok "the cgroup namespace is rooted at the pod's cgroup"; fi
else
  ok "the cgroup namespace is rooted at the pod's cgroup # SKIP no cgroup holds the limits here"
fi
# Descriptors: only those named with --preserve-fd reach the command (the escape suite's
# inherited-fds case tries to use the others from inside).
echo "kept descriptor content" >"$TMP/kept"
run exec --workspace "$WS" --preserve-fd 7 -- sh -c 'cat <&7; ls /proc/self/fd' 7<"$TMP/kept" 8<"$TMP/kept"
expect_out "--preserve-fd 7: the command reads descriptor 7" "^kept descriptor content$"
expect_out "--preserve-fd 7: descriptor 7 is open in the pod" "^7$"
expect_no_out "without --preserve-fd 8: descriptor 8 is not" "^8$"
run exec --preserve-fd 2 -- true; expect_status "--preserve-fd below 3 refused" 2
run exec --preserve-fd 97 -- true; expect_status "--preserve-fd of a closed descriptor refused" 2
run exec --allow-degraded=frobnicate -- true; expect_status "unknown mechanism" 2
run exec --timeout 0 -- true; expect_status "zero timeout refused" 2
run exec --profile no-such -- true; expect_status "unknown profile" 2
run exec --workspace /nonexistent-dir -- true; expect_status "missing workspace" 2
run exec; expect_status "no command" 2
run exec --help; expect_status "--help" 0; expect_out "help lists exit statuses" "124 on timeout"
done_testing
