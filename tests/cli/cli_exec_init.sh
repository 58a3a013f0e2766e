#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The pod's PID 1 (docs/design/0010-pod-processes.md) on the paths the other tests do not take,
# with system calls made to fail by tests/tools/nofeature: nucleus-init cannot be exec'd (the
# pod fails closed, says why, leaves nothing behind), and memfd_create is missing (the init is
# forked and stays PID 1, and everything still works).  Usage: cli_exec_init.sh NUCLEUS NOFEATURE
. "$(dirname "$0")/tap.sh"
NOFEATURE=${2:?usage: $0 NUCLEUS NOFEATURE}

if ! "$NUCLEUS" doctor >/dev/null 2>&1; then
  echo "1..0 # SKIP this machine cannot run full pods (see nucleus doctor)"; exit 0
fi
WS="$TMP/ws"
mkdir -p "$WS"
MARK="nucleus-init-test-$$"

# execveat fails only for nucleus-init: the command itself is exec'd with execve.
"$NOFEATURE" execveat -- "$NUCLEUS" exec --workspace "$WS" -- sh -c "echo ran >$WS/ran; exec sleep 30 $MARK" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status "nucleus-init cannot be exec'd: the pod fails" 125
expect_err "and says why" "nucleus-init"
if [ ! -e "$WS/ran" ]; then ok "the command never ran"; else not_ok "the command ran without a PID 1 to guard it"; fi
if pgrep -f "$MARK" >/dev/null 2>&1; then not_ok "a pod process outlived the failed pod"; pkill -KILL -f "$MARK"; else ok "nothing of the pod is left"; fi

"$NOFEATURE" memfd -- "$NUCLEUS" exec --workspace "$WS" -- sh -c 'grep "^Name:" /proc/1/status; echo x >/tmp/y && cat /tmp/y; exit 6' >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status "without memfd_create the pod still runs, and the status passes through" 6
expect_out "PID 1 is then a forked nucleus" "^Name:[[:space:]]+nucleus$"
expect_out "and the command works" "^x$"
"$NOFEATURE" memfd -- "$NUCLEUS" exec --workspace "$WS" -- /nonexistent-cmd >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status "without memfd_create, a missing command is still 127" 127
done_testing
