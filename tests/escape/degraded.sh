#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The escape suite once more with Landlock and openat2 made unavailable (ENOSYS, through
# tests/tools/nofeature), as on an older kernel: the pods run with
# --allow-degraded=landlock,landlock-net,landlock-scope and every case must still hold through
# the other layers.  memfd_create is made unavailable too, so nucleus cannot exec nucleus-init
# and falls back to a forked pod init that stays PID 1 (src/sandbox/pod.c), and mount_setattr,
# so every read-only bind is remounted one by one (src/sandbox/mounts.c): those paths are
# exercised here, the usual ones by the other two runs.  Usage: degraded.sh NOFEATURE NUCLEUS PROBE
set -u
nofeature=$1; nucleus=$2; probe=$3
dir=$(mktemp -d /tmp/nucleus-degraded.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
cat >"$dir/nucleus" <<WRAP
#!/bin/sh
if [ "\$1" = exec ]; then
  shift
  exec "$nofeature" landlock,openat2,memfd,mount_setattr -- "$nucleus" exec --allow-degraded=landlock,landlock-net,landlock-scope "\$@"
fi
exec "$nofeature" landlock,openat2,memfd,mount_setattr -- "$nucleus" "\$@"
WRAP
chmod 0755 "$dir/nucleus"
NC_ESCAPE_DEGRADED=1 "$(dirname "$0")/run.sh" "$dir/nucleus" "$probe"
