#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The escape suite's TAP driver (see README.md): runs the static probe inside pods, one
# forbidden action per pod, and checks the host afterwards.
#
#   run.sh [--rootless] NUCLEUS PROBE
#
# --rootless: when started as root, copies what it needs into a 0755 temporary directory and
# runs itself again as nobody (setpriv --reuid=65534 --regid=65534 --clear-groups); started by
# any other user it simply runs as that user.
#
# Probe exit codes: 0 refused as expected (or a positive control worked), 1 ESCAPE, 2 an
# unexpected answer, 77 skip.  Everything the driver starts on the host (listeners, a
# sentinel, pods) is ended by pid on exit; every temporary directory is removed.
set -u

ROOTLESS=0
if [ "${1:-}" = --rootless ]; then
  ROOTLESS=1
  shift
fi
if [ $# -ne 2 ]; then
  echo "usage: $0 [--rootless] NUCLEUS PROBE" >&2
  exit 2
fi
NUCLEUS=$(readlink -f "$1")
PROBE=$(readlink -f "$2")
SELF=$(readlink -f "$0")
LIFETIME=170 # seconds: host helpers end by themselves after this, whatever happens

rand() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }

# ---- rootless: prepare as root, run as nobody -------------------------------------------------
if [ "$ROOTLESS" = 1 ] && [ "$(id -u)" = 0 ] && [ -z "${NUCLEUS_ESCAPE_INNER:-}" ]; then
  if ! command -v setpriv >/dev/null; then
    echo "1..0 # SKIP setpriv(1) not found: cannot drop to an unprivileged user"
    exit 0
  fi
  OUTER=$(mktemp -d /tmp/nucleus-escape-rootless.XXXXXX) || exit 1
  HOME_MARKER=/root/.nucleus-escape-home-$(rand)
  trap 'rm -rf "$OUTER"; rm -f "$HOME_MARKER"' EXIT
  chmod 0755 "$OUTER"
  install -m 0755 "$NUCLEUS" "$OUTER/nucleus"
  install -m 0755 "$PROBE" "$OUTER/probe"
  install -m 0755 "$SELF" "$OUTER/run.sh"
  # A setuid-root copy of the probe in a workspace the unprivileged user owns: only root can
  # make one, so it is prepared here.
  mkdir "$OUTER/suid-ws"
  install -m 0755 "$PROBE" "$OUTER/suid-ws/probe"
  install -m 4755 "$PROBE" "$OUTER/suid-ws/probe-suid"
  chown 65534:65534 "$OUTER/suid-ws" "$OUTER/suid-ws/probe"
  # A secret in root's home, made before the pod starts: must not exist in the pod.
  echo "nucleus-escape home secret" >"$HOME_MARKER"
  chmod 0600 "$HOME_MARKER"
  cd /
  NUCLEUS_ESCAPE_INNER=1 NUCLEUS_ESCAPE_HOME_MARKER="$HOME_MARKER" \
    NUCLEUS_ESCAPE_SUID_WS="$OUTER/suid-ws" \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    /bin/bash "$OUTER/run.sh" --rootless "$OUTER/nucleus" "$OUTER/probe"
  exit $?
fi

# ---- TAP ------------------------------------------------------------------------------------
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

# ---- host-side set-up -------------------------------------------------------------------------
T=$(mktemp -d /tmp/nucleus-escape-ws.XXXXXX) || exit 1   # workspaces
H=$(mktemp -d /tmp/nucleus-escape-host.XXXXXX) || exit 1 # host-only things: must stay unseen
TOK=$(rand)
PIDS=()          # host processes we started, ended by pid
HOME_MARKER=${NUCLEUS_ESCAPE_HOME_MARKER:-}
OWN_HOME_MARKER=

cleanup() {
  for p in "${PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null
  done
  rm -rf "$T" "$H"
  [ -n "$OWN_HOME_MARKER" ] && rm -f "$OWN_HOME_MARKER"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 0755 "$T" "$H"
echo "nucleus-escape host marker $TOK" >"$H/marker"
chmod 0666 "$H/marker"

# The secret in the caller's home, unless the rootless wrapper made one in /root.
if [ -z "$HOME_MARKER" ] && [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ -w "$HOME" ]; then
  HOME_MARKER=$HOME/.nucleus-escape-home-$TOK
  echo "nucleus-escape home secret" >"$HOME_MARKER" && OWN_HOME_MARKER=$HOME_MARKER
fi

# The workspace template.  Every case gets a fresh copy, so the cases are independent and the
# driver can diff each one against the template afterwards.
tpl=$T/tpl
mkdir -p "$tpl/.git/hooks" "$tpl/src" "$tpl/certs" "$tpl/config" "$tpl/secrets" "$tpl/.ssh" \
  "$tpl/vendor/lib/.git"
printf '[core]\n\trepositoryformatversion = 0\n' >"$tpl/.git/config"
printf 'ref: refs/heads/main\n' >"$tpl/.git/HEAD"
printf '#!/bin/sh\nexit 0\n' >"$tpl/.git/hooks/pre-commit"
chmod 0755 "$tpl/.git/hooks/pre-commit"
printf '[core]\n\tbare = false\n' >"$tpl/vendor/lib/.git/config" # a nested repo without hooks/
printf 'alias ll="ls -l"\n' >"$tpl/.bashrc"
printf 'int main(void) { return 0; }\n' >"$tpl/src/main.c"
for f in .env .env.production config/.env certs/server.pem deploy.key secrets/token .ssh/id_rsa; do
  echo "NUCLEUS-ESCAPE-SECRET-$TOK $f" >"$tpl/$f"
done
ln -s .env "$tpl/notes.txt" # an innocent name for a secret
install -m 0755 "$PROBE" "$tpl/probe"

# Host helpers: listeners (TCP, UDP, abstract and pathname unix) and a sentinel process.
ABSTRACT=nucleus-escape-$TOK
"$PROBE" host-listen "$H" "$ABSTRACT" "$LIFETIME" 2>"$H/listen.err" &
PIDS+=($!)
"$PROBE" host-sentinel "$TOK" "$LIFETIME" &
SENTINEL=$!
PIDS+=("$SENTINEL")
for _ in $(seq 100); do [ -s "$H/ports" ] && break; sleep 0.05; done
read -r TCP_PORT UDP_PORT <"$H/ports" 2>/dev/null || { TCP_PORT=0; UDP_PORT=0; }

# ---- host-side controls: what the pod must not reach is reachable from the host ----------------
# (otherwise a refusal inside the pod would prove nothing: probe first, then skip with the reason)
declare -A CONTROL
control() { # control KEY PROBE-ARGS...: the probe must report SUCCEEDED (exit 1) on the host
  local key=$1
  shift
  local out
  out=$(cd "$H" && "$PROBE" "$@" 2>&1)
  if [ $? = 1 ]; then CONTROL[$key]=ok; else CONTROL[$key]="host control failed: $out"; fi
}
control tcp tcp-host "$TCP_PORT"
control udp udp-host "$UDP_PORT"
control abstract abstract-host "$ABSTRACT"
control unix unix-host "$H/sock"
control sentinel kill-sentinel "$SENTINEL"
control hosttmp host-tmp "$H" "$H/marker"
if [ -n "$HOME_MARKER" ]; then control home host-paths "$(dirname "$HOME_MARKER")"; else CONTROL[home]="no home directory to plant a secret in"; fi
CONTACTS_BEFORE=$(wc -l <"$H/log" 2>/dev/null || echo 0)
TIOCSTI_HOST=$(cd "$H" && "$PROBE" tiocsti-pty 2>&1)

# Knobs to open for writing: only those this kernel has.
KNOBS=()
for k in /proc/sysrq-trigger /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe \
  /proc/sys/vm/drop_caches /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/hostname; do
  [ -e "$k" ] && KNOBS+=("$k")
done

# An overlay for the memory bombs: only the memory limit changes (256 MiB), so a bomb is stopped
# in a second rather than after 4 GiB of page faults.
BOMB_LIMIT=256
BOMB_MAX=1024
cat >"$H/small-memory.yaml" <<'EOF'
apiVersion: nucleus/v1
kind: Policy
metadata:
  name: escape-small-memory
  description: Overlay for the escape suite's memory bombs; lowers the memory limit only.
spec:
  capabilities:
    read_files: always
    write_files: always
    edit_files: always
    run_bash: always
    glob_search: always
    grep_search: always
    web_search: always
    web_fetch: always
    git_commit: always
    git_push: always
    create_pr: always
  approvals: []
  paths:
    allow: unrestricted
    deny: []
    read_only: []
    untrusted: []
  commands:
    allow: unrestricted
    deny: []
  network:
    allow: unrestricted
  budget:
    max_usd: unlimited
  limits:
    timeout_seconds: unlimited
    max_processes: unlimited
    memory_mib: 256
EOF

# ---- running pods ------------------------------------------------------------------------------
wsn=0
new_ws() { wsn=$((wsn + 1)); ws=$T/ws.$wsn; cp -a "$tpl" "$ws"; }

# pod PROFILE [NUCLEUS-OPTIONS...] -- PROBE-ARGS...: one pod in a fresh workspace ($ws); sets
# rc, out (stdout) and err (stderr).
pod() {
  local profile=$1
  shift
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  new_ws
  timeout -k 5 60 "$NUCLEUS" exec --profile "$profile" --workspace "$ws" "${opts[@]}" \
    -- ./probe "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  out=$(cat "$T/out")
  err=$(cat "$T/err")
}

# The workspace must be exactly the template afterwards (no file planted, none changed).
ws_unchanged() {
  diff -r --no-dereference "$tpl" "$ws" >"$T/diff" 2>&1
}

# verdict NAME: reports the pod that just ran; extra host-side failures in $extra.
verdict() {
  local name=$1 line
  line=$(printf '%s\n' "$out" | tail -n 1)
  if [ "$rc" = 77 ]; then
    skip "$name" "${line#*SKIP }"
  elif [ "$rc" = 0 ] && [ -z "$extra" ]; then
    ok "$name: ${line#*: }"
  else
    case $rc in
    0) not_ok "$name: $extra" ;;
    1) not_ok "$name: ESCAPE: ${line#*: } $extra" ;;
    124) not_ok "$name: the pod timed out $extra" ;;
    *) not_ok "$name: exit $rc: ${line:-no output} $extra" ;;
    esac
    { [ -n "$err" ] && printf 'stderr: %s\n' "$err"; [ -s "$T/diff" ] && head -20 "$T/diff"; } | diag
  fi
  : >"$T/diff"
}

# case NAME PROFILE [NUCLEUS-OPTIONS...] -- PROBE-ARGS...: the common shape.
case_() {
  local name=$1
  shift
  pod "$@"
  extra=
  ws_unchanged || extra="the host workspace changed"
  verdict "$name"
}

# needs KEY NAME: skips NAME when the host control KEY failed.
needs() {
  if [ "${CONTROL[$1]}" != ok ]; then
    skip "$2" "${CONTROL[$1]}"
    return 1
  fi
}

# ---- preflight: can a pod be made here at all? -------------------------------------------------
pod read-only -- lo-selftest
if [ "$rc" != 0 ]; then
  case $err in
  *"user namespaces may be disabled"* | *"refusing to start a weaker pod"* | *"lacks"*)
    echo "1..0 # SKIP cannot create a pod on this machine: $(printf '%s' "$err" | head -n 1)"
    exit 0 ;;
  esac
  echo "Bail out! nucleus exec fails (exit $rc): $(printf '%s %s' "$out" "$err" | head -n 3 | tr '\n' ' ')"
  exit 1
fi
echo "# nucleus: $NUCLEUS; probe: $PROBE; running as uid $(id -u)$([ "$ROOTLESS" = 1 ] && echo ' (rootless)')"

# ---- the file system outside the workspace ----------------------------------------------------
case_ write-outside local-dev -- write-outside "$TOK"
for f in "/.nucleus-escape-$TOK" "/etc/.nucleus-escape-$TOK" "/usr/.nucleus-escape-$TOK"; do
  [ -e "$f" ] && { echo "# ESCAPE: $f exists on the host"; rm -f "$f"; }
done
case_ mkfifo-outside local-dev -- mkfifo-outside
if needs hosttmp host-tmp-invisible; then
  case_ host-tmp-invisible local-dev -- host-tmp "$H" "$H/marker"
fi
if [ "$(cat "$H/marker")" != "nucleus-escape host marker $TOK" ] || [ -e "$H/created-by-pod" ]; then
  not_ok "host /tmp unchanged: the marker or its directory was modified"
fi
if needs home host-home-invisible; then
  case_ host-home-invisible local-dev -- host-paths "$(dirname "$HOME_MARKER")" "$HOME_MARKER"
fi
case_ sibling-of-workspace-invisible local-dev -- host-paths "$tpl" "$tpl/.env"
# Descriptors left open by whoever starts nucleus (a host file and a host directory, not
# close-on-exec) do not follow the command into the pod.
case_ inherited-fds local-dev -- inherited-fds 7 8 7<"$H/marker" 8<"$H"
case_ etc-secrets-absent local-dev -- etc-secrets
case_ sys-absent local-dev -- sys-absent
case_ dev-write local-dev -- dev-write "$TOK"
case_ mknod-in-tmp local-dev -- mknod /tmp
case_ mknod-in-workspace local-dev -- mknod .

# ---- the workspace ------------------------------------------------------------------------------
case_ workspace-read-only read-only -- ws-readonly "$TOK"
pod local-dev -- ws-write-allowed "$TOK"
name=.nucleus-escape-$TOK
extra=
if [ "$rc" = 0 ]; then
  if [ "$(cat "$ws/$name" 2>/dev/null)" != "written by the pod $TOK" ]; then
    extra="the file is not in the host workspace"
  else
    rm -f "$ws/$name"
    ws_unchanged || extra="the workspace changed otherwise"
    elsewhere=$(find / /etc /usr /tmp "$H" -xdev -maxdepth 4 -name "$name" 2>/dev/null | grep -v "^$ws/" | head -3)
    [ -n "$elsewhere" ] && extra="also found at: $elsewhere"
  fi
fi
verdict "workspace-write-allowed (positive control, local-dev)"
case_ tmp-write-allowed read-only -- tmp-write-allowed

case_ protected-write local-dev -- protected-write
case_ protected-via-symlink local-dev -- protected-symlink
case_ protected-via-hardlink local-dev -- protected-hardlink
case_ protected-via-dotdot local-dev -- protected-dotdot
case_ protected-via-proc-self local-dev -- protected-proc-alias
case_ protected-rename-unlink local-dev -- protected-rename
case_ protected-umount local-dev -- protected-umount
case_ protected-gitdir-swap local-dev -- gitdir-swap
case_ protected-missing-at-start local-dev -- protected-missing .envrc .vscode/tasks.json .mcp.json
case_ protected-nested-repo-hooks local-dev -- protected-missing vendor/lib/.git/hooks/pre-commit

case_ secrets-masked local-dev -- read-secret .env .env.production config/.env certs/server.pem \
  deploy.key secrets secrets/token .ssh .ssh/id_rsa notes.txt
case_ secrets-masked-read-only read-only -- read-secret .env certs/server.pem secrets
case_ secrets-via-alias local-dev -- secret-alias

# ---- processes ------------------------------------------------------------------------------------
if needs sentinel host-pids-invisible; then
  case_ host-pids-invisible local-dev -- proc-pids "$SENTINEL" "$TOK"
fi
if needs sentinel kill-host-process; then
  case_ kill-host-process local-dev -- kill-sentinel "$SENTINEL"
fi
kill -0 "$SENTINEL" 2>/dev/null || not_ok "host-sentinel-alive: a pod ended the host sentinel"
case_ kill-pod-init local-dev -- kill-init
case_ ptrace local-dev -- ptrace
case_ process-vm local-dev -- process-vm
case_ no-new-privs-no-caps local-dev -- nnp-caps
case_ no-caps-after-exec local-dev -- exec-caps

suid_ws=${NUCLEUS_ESCAPE_SUID_WS:-}
if [ -z "$suid_ws" ] && [ "$(id -u)" = 0 ]; then
  suid_ws=$T/suid-ws
  mkdir "$suid_ws"
  install -m 0755 "$PROBE" "$suid_ws/probe"
  install -m 4755 "$PROBE" "$suid_ws/probe-suid"
fi
if [ -n "$suid_ws" ]; then
  timeout -k 5 60 "$NUCLEUS" exec --profile read-only --workspace "$suid_ws" \
    -- ./probe setuid-exec ./probe-suid >"$T/out" 2>"$T/err" </dev/null
  rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); extra=
  verdict setuid-does-not-elevate
else
  skip setuid-does-not-elevate "only root can prepare a setuid file"
fi

case_ fork-bomb local-dev -- fork-bomb
case_ memory-bomb local-dev --policy "$H/small-memory.yaml" -- memory-bomb "$BOMB_LIMIT" "$BOMB_MAX"
case_ tmpfs-bomb local-dev --policy "$H/small-memory.yaml" -- tmpfs-bomb "$BOMB_LIMIT" "$BOMB_MAX"

# Nothing of a pod may survive it: pids of host processes whose argv holds MARKER, by pgrep and
# by a scan of /proc.  The scan's pattern brackets one character ("n[u]cleus-...") so that it
# does not match the argv of the grep doing the scan.
marker_pids() {
  local re="${1:0:1}[${1:1:1}]${1:2}"
  {
    pgrep -f -- "$re" 2>/dev/null
    grep -alsE -- "$re" /proc/[0-9]*/cmdline 2>/dev/null | sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'
  } | sort -u | grep -vx "$$"
}
gone_within() { # gone_within MARKER SECONDS
  local _
  for _ in $(seq $(($2 * 10))); do
    [ -z "$(pgrep -f -- "$1")" ] && [ -z "$(marker_pids "$1")" ] && return 0
    sleep 0.1
  done
  return 1
}
kill_marker() { # ends (by pid) what escaped, after reporting it
  local p
  for p in $(marker_pids "$1"); do
    printf 'survivor: pid %s: %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" | diag
    kill -KILL "$p" 2>/dev/null
  done
}
flag=.nucleus-escape-daemon-started

marker=nucleus-escape-daemon-$TOK-timeout
new_ws
t0=$(date +%s%N)
timeout -k 5 30 "$NUCLEUS" exec --profile local-dev --workspace "$ws" --timeout 2 \
  -- ./probe daemonize "$marker" 30 stay "$flag" >"$T/out" 2>"$T/err" </dev/null &
npid=$!
PIDS+=("$npid")
# control: while the pod runs, its daemon ("sleeper MARKER", an argv no host process has) is
# visible from the host, so the scan below would see a survivor
seen=
for _ in $(seq 30); do
  [ -e "$ws/$flag" ] && [ -n "$(marker_pids "sleeper $marker")" ] && { seen=yes; break; }
  sleep 0.05
done
wait "$npid"
rc=$?
unset 'PIDS[-1]'
ms=$((($(date +%s%N) - t0) / 1000000))
if [ -z "$seen" ]; then
  not_ok "timeout-kills-the-pod: the daemon was never seen running from the host (exit $rc)"
  kill_marker "$marker"
elif [ "$rc" != 124 ] || [ "$ms" -gt 6000 ]; then
  not_ok "timeout-kills-the-pod: exit $rc after ${ms} ms (expected 124 within 6 s)"
  kill_marker "$marker"
elif ! gone_within "$marker" 3; then
  not_ok "timeout-kills-the-pod: a double-forked daemon outlived the pod"
  kill_marker "$marker"
else
  ok "timeout-kills-the-pod: exit 124 after ${ms} ms, no process of the pod left"
fi

marker=nucleus-escape-daemon-$TOK-exit
new_ws
t0=$(date +%s%N)
timeout -k 5 30 "$NUCLEUS" exec --profile local-dev --workspace "$ws" \
  -- ./probe daemonize "$marker" 30 leave "$flag" >"$T/out" 2>"$T/err" </dev/null
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ ! -e "$ws/$flag" ]; then
  not_ok "daemon-dies-with-the-command: the daemon never started (exit $rc)"
  kill_marker "$marker"
elif [ "$rc" != 0 ] || [ "$ms" -gt 10000 ]; then
  not_ok "daemon-dies-with-the-command: exit $rc after ${ms} ms"
  kill_marker "$marker"
elif ! gone_within "$marker" 3; then
  not_ok "daemon-dies-with-the-command: a double-forked daemon outlived the pod"
  kill_marker "$marker"
else
  ok "daemon-dies-with-the-command: exit 0 after ${ms} ms, no process of the pod left"
fi

marker=nucleus-escape-daemon-$TOK-parent
new_ws
"$NUCLEUS" exec --profile local-dev --workspace "$ws" \
  -- ./probe daemonize "$marker" 30 stay "$flag" >"$T/out" 2>"$T/err" </dev/null &
npid=$!
PIDS+=("$npid")
for _ in $(seq 100); do [ -e "$ws/$flag" ] && [ -n "$(marker_pids "sleeper $marker")" ] && break; sleep 0.05; done
if [ ! -e "$ws/$flag" ] || [ -z "$(marker_pids "sleeper $marker")" ]; then
  not_ok "pod-dies-with-nucleus: the daemon was never seen running from the host"
  kill -KILL "$npid" 2>/dev/null
  wait "$npid" 2>/dev/null
  unset 'PIDS[-1]'
  kill_marker "$marker"
else
  kill -KILL "$npid"
  wait "$npid" 2>/dev/null
  unset 'PIDS[-1]'
  if gone_within "$marker" 3; then
    ok "pod-dies-with-nucleus: SIGKILL of nucleus ends the whole pod"
  else
    not_ok "pod-dies-with-nucleus: processes of the pod outlived a killed nucleus"
    kill_marker "$marker"
  fi
fi
# a killed nucleus cannot remove its cgroups: they are ours to remove
if [ -d /sys/fs/cgroup ]; then
  find /sys/fs/cgroup -maxdepth 8 -type d -name "nucleus-$npid" 2>/dev/null | while read -r d; do
    echo "note: nucleus left $d behind after SIGKILL; removed" | diag
    rmdir "$d" 2>/dev/null
  done
fi

case_ i386-abi local-dev -- i386-abi
case_ x32-abi local-dev -- x32-abi

# ---- kernel interfaces ---------------------------------------------------------------------------
if [ ${#KNOBS[@]} -gt 0 ]; then
  case_ kernel-knobs-read-only local-dev -- kernel-knobs "${KNOBS[@]}"
else
  skip kernel-knobs-read-only "no /proc/sys knob on this kernel"
fi
case_ oom-score-adj local-dev -- oom-adj
case_ mount local-dev -- mount
case_ open-by-handle local-dev -- open-by-handle
case_ namespaces local-dev -- namespaces
case_ setns local-dev -- setns
case_ keyring local-dev -- keyring
case_ bpf local-dev -- bpf
case_ io-uring local-dev -- io-uring
case_ userfaultfd local-dev -- userfaultfd
case_ perf-event-open local-dev -- perf-event
case_ personality-syslog-modules local-dev -- misc-syscalls
for s in vsock packet netlink raw; do
  case_ "socket-$s" local-dev -- "socket-$s"
done

# ---- network -----------------------------------------------------------------------------------------
if needs tcp tcp-to-host-listener; then
  case_ tcp-to-host-listener local-dev -- tcp-host "$TCP_PORT"
fi
if needs udp udp-to-host-listener; then
  case_ udp-to-host-listener local-dev -- udp-host "$UDP_PORT"
fi
case_ no-route-out local-dev -- net-out
if [ -n "${NC_ESCAPE_DEGRADED:-}" ]; then
  # Landlock is the only layer against binding a port, and a port bound in the pod's own
  # network namespace reaches nothing outside it.
  skip tcp-bind "Landlock made unavailable (degraded run): only the pod's own loopback is reachable"
else
  case_ tcp-bind local-dev -- tcp-bind
fi
case_ loopback-works local-dev -- lo-selftest
case_ only-loopback local-dev -- net-ifaces
case_ dns local-dev -- dns
if needs abstract abstract-unix-to-host; then
  case_ abstract-unix-to-host local-dev -- abstract-host "$ABSTRACT"
fi
if needs unix unix-socket-to-host; then
  case_ unix-socket-to-host local-dev -- unix-host "$H/sock" /var/run/docker.sock /run/docker.sock \
    /run/dbus/system_bus_socket
fi

# ---- terminals -------------------------------------------------------------------------------------
case_ tiocsti-pty local-dev -- tiocsti-pty
printf '%s\n' "host control: $TIOCSTI_HOST" | diag
if command -v script >/dev/null; then
  new_ws
  cmd=$(printf '%q ' "$NUCLEUS" exec --profile local-dev --workspace "$ws" -- ./probe tiocsti-stdin)
  timeout -k 5 30 script -qec "$cmd" /dev/null >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  out=$(tr -d '\r' <"$T/out")
  err=$(cat "$T/err")
  extra=
  verdict tiocsti-caller-terminal
else
  skip tiocsti-caller-terminal "script(1) not found: no terminal to give the pod"
fi

# ---- the host listeners heard nothing from any pod -------------------------------------------------
after=$(wc -l <"$H/log" 2>/dev/null || echo 0)
if [ "$after" = "$CONTACTS_BEFORE" ]; then
  ok "host listeners heard only the host controls ($after contacts)"
else
  not_ok "host listeners were contacted by a pod: $after contacts, $CONTACTS_BEFORE from the controls"
  tail -n +"$((CONTACTS_BEFORE + 1))" "$H/log" | diag
fi

echo "1..$n"
[ "$fails" -eq 0 ]
