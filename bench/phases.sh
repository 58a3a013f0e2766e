#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where a pod's start-up time goes: builds a release nucleus with the phase timestamps of
# src/sandbox/trace.h compiled in (-DNC_POD_TRACE; a normal build has none), runs
# `nucleus exec --profile read-only -- /bin/true` RUNS times on a small and a 2,000-file
# workspace, and prints the median of each phase as a markdown table.  A phase is the stretch
# of the pod's timeline (parent, init and command together, in time order) that ends at its
# boundary; the first starts when the caller starts nucleus (bench/phase_driver.c).
#
# Usage: bench/phases.sh   (RUNS=60; NUCLEUS_SRC=tree to build, default this one)
# Needs: meson, ninja, cc, python3.  Everything it creates lives in one temporary directory.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=${NUCLEUS_SRC:-$REPO}
RUNS=${RUNS:-60}
for tool in meson ninja cc python3; do
  command -v "$tool" >/dev/null || { echo "phases.sh: SKIP: $tool not found" >&2; exit 77; }
done
TMP=$(mktemp -d /tmp/nucleus-phases.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

meson setup "$TMP/build" "$SRC" -Dtests=false --buildtype=release -Dc_args=-DNC_POD_TRACE >/dev/null
ninja -C "$TMP/build" src/cli/nucleus >/dev/null
cc -std=gnu17 -O2 -D_GNU_SOURCE "$REPO/bench/phase_driver.c" -o "$TMP/driver"

mkdir -p "$TMP/ws-small/src"
printf '# demo\n' >"$TMP/ws-small/README.md"
printf 'int main(void) { return 0; }\n' >"$TMP/ws-small/src/main.c"
printf 'all:\n\tcc src/main.c\n' >"$TMP/ws-small/Makefile"
for d in $(seq -w 0 99); do
  mkdir -p "$TMP/ws-large/pkg$d"
  for f in $(seq -w 0 19); do printf 'x\n' >"$TMP/ws-large/pkg$d/file$f.c"; done
done

python3 - "$TMP" "$RUNS" <<'PY'
import collections, os, statistics, subprocess, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
nucleus = f"{tmp}/build/src/cli/nucleus"

def profile(ws):
    per, order, totals = collections.defaultdict(list), [], []
    for i in range(runs + 5):
        r, w = os.pipe()
        env = dict(os.environ, NC_POD_TRACE_FD=str(w))
        subprocess.run([f"{tmp}/driver", nucleus, "exec", "--profile", "read-only",
                        "--workspace", ws, "--", "/bin/true"],
                       pass_fds=(w,), env=env, stdout=subprocess.DEVNULL, check=True)
        os.close(w)
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        ev = sorted((int(t), label) for _, t, label in
                    (line.split(" ", 2) for line in data.decode().splitlines()))
        if i < 5:
            continue  # warm-up
        for (t0, _), (t1, label) in zip(ev, ev[1:]):
            per[label].append((t1 - t0) / 1e6)
            if label not in order:
                order.append(label)
        totals.append((ev[-1][0] - ev[0][0]) / 1e6)
    return per, order, totals

small = profile(f"{tmp}/ws-small")
large = profile(f"{tmp}/ws-large")
print(f"| Phase (process) | small ws, ms | 2,000-file ws, ms |")
print("|---|---:|---:|")
for label in small[1]:
    a = statistics.median(small[0][label])
    b = statistics.median(large[0][label]) if label in large[0] else float("nan")
    print(f"| {label} | {a:.2f} | {b:.2f} |")
print(f"| **spawn to return (median of totals)** | **{statistics.median(small[2]):.1f}** | "
      f"**{statistics.median(large[2]):.1f}** |")
print()
print(f"Medians of {runs} runs each; load average {open('/proc/loadavg').read().split()[0]} at the end.")
PY
