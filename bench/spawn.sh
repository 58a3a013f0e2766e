#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Spawn benchmark: how long `nucleus exec -- /bin/true` takes next to bare /bin/true, an
# `unshare` floor and bubblewrap given the same namespaces, mounts and seccomp filter, all in
# one hyperfine run; then the resident memory of the pod's processes, next to bwrap's.
#
# Usage: bench/spawn.sh [--update-docs]
#   NUCLEUS=path/to/nucleus   the binary to measure, a release build (default:
#                             build/src/cli/nucleus, else one built here in a temporary directory)
#   NUCLEUS_REV="..."         what that binary was built from, for the report (default: this
#                             working tree's HEAD, noting uncommitted changes)
#   RUNS=200 WARMUP=20        hyperfine's --runs and --warmup
#   HYPERFINE_TIMEOUT=N       stop hyperfine after N seconds (default: what is left of a
#                             170-second budget for the whole script, less 45 for the memory part
#                             and the interleaved cross-check)
#   PAIRS=60                  rounds of the interleaved cross-check (0 to skip it)
#   --update-docs             rewrite the generated part of docs/benchmarks.md
# Needs: hyperfine, bwrap (bubblewrap), python3, cc and libseccomp-dev, unshare (util-linux).
# Exits 77 (skip) when a tool is missing.  Bounded (see HYPERFINE_TIMEOUT); every temporary
# file is removed on exit.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
HYPERFINE_TIMEOUT=${HYPERFINE_TIMEOUT:-}
BUDGET=170 # seconds for the whole script; hyperfine gets what set-up leaves, less 45 for the rest
PAIRS=${PAIRS:-60}
UPDATE_DOCS=0
case "${1:-}" in
  "") ;;
  --update-docs) UPDATE_DOCS=1 ;;
  *) echo "usage: $0 [--update-docs]" >&2; exit 2 ;;
esac

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "spawn.sh: SKIP: $1 not found (Debian: apt-get install -y $2)" >&2
    exit 77
  fi
}
need hyperfine hyperfine
need bwrap bubblewrap
need python3 python3
need cc gcc
need unshare util-linux
need pkg-config pkg-config
if ! pkg-config --exists libseccomp; then
  echo "spawn.sh: SKIP: libseccomp not found (Debian: apt-get install -y libseccomp-dev)" >&2
  exit 77
fi

TMP=$(mktemp -d /tmp/nucleus-bench.XXXXXX)
cleanup() {
  exec 9<&- 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the binary under test -------------------------------------------------------------
if [ -z "${NUCLEUS:-}" ]; then
  if [ -x "$REPO/build/src/cli/nucleus" ]; then
    NUCLEUS="$REPO/build/src/cli/nucleus"
  else
    echo "spawn.sh: no build/; building a release nucleus in $TMP/build" >&2
    meson setup "$TMP/build" "$REPO" -Dtests=false --buildtype=release >/dev/null
    ninja -C "$TMP/build" src/cli/nucleus >/dev/null
    NUCLEUS="$TMP/build/src/cli/nucleus"
  fi
fi
NUCLEUS=$(readlink -f "$NUCLEUS")

# ---- bwrap's seccomp filter: nucleus's own, exported as BPF (see seccomp_export.c) ------
# shellcheck disable=SC2046 # pkg-config prints separate words on purpose
cc -std=gnu17 -O2 -D_GNU_SOURCE -I"$REPO/src" $(pkg-config --cflags libseccomp) \
  "$REPO/bench/seccomp_export.c" "$REPO/src/sandbox/seccomp_filter.c" "$REPO/src/util/err.c" \
  $(pkg-config --libs libseccomp) -o "$TMP/seccomp_export"
"$TMP/seccomp_export" "$TMP/filter.bpf" >/dev/null
# The subreaper that times bwrap and nucleus to the end of their sandboxes (see reap.c); static
# where libc.a is installed, so its own start costs as little as possible.
cc -std=gnu17 -O2 -static "$REPO/bench/reap.c" -o "$TMP/reap" 2>/dev/null ||
  cc -std=gnu17 -O2 "$REPO/bench/reap.c" -o "$TMP/reap"
# hyperfine's children inherit fd 9; the untimed --prepare step rewinds it before each run.
exec 9<"$TMP/filter.bpf"

# ---- workspaces ------------------------------------------------------------------------
WS_SMALL="$TMP/ws-small"
WS_LARGE="$TMP/ws-large"
mkdir -p "$WS_SMALL/src"
printf '# demo\n' >"$WS_SMALL/README.md"
printf 'int main(void) { return 0; }\n' >"$WS_SMALL/src/main.c"
printf 'all:\n\tcc src/main.c\n' >"$WS_SMALL/Makefile"
for d in $(seq -w 0 99); do
  mkdir -p "$WS_LARGE/pkg$d"
  for f in $(seq -w 0 19); do
    printf 'x\n' >"$WS_LARGE/pkg$d/file$f.c"
  done
done

# ---- the commands ----------------------------------------------------------------------
# bwrap: the pod's namespaces (--unshare-all: user, ipc, pid, net, uts, cgroup), a new
# session, /usr read-only with the usual symlinks, a minimal /dev, a new /proc, tmpfs /tmp,
# the workspace read-only, and the same seccomp filter.  --tmpfs /tmp comes before the
# workspace bind because the workspace lives under /tmp and a later tmpfs would hide it.
bwrap_cmd() {
  echo "bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr" \
    "--symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64" \
    "--symlink usr/sbin /sbin --dev /dev --proc /proc --tmpfs /tmp --ro-bind $1 $1" \
    "--seccomp 9 /bin/true"
}
nucleus_cmd() {
  echo "$NUCLEUS exec --profile read-only --workspace $1 -- /bin/true"
}
FLOOR="unshare -Urmpf --mount-proc true"

# Sanity: every sandbox runs, sees its workspace, and (for bwrap) has the filter loaded.
check() {
  local what=$1
  shift
  if ! out=$("$@" 2>&1); then
    echo "spawn.sh: $what failed: $out" >&2
    exit 1
  fi
  echo "$out"
}
"$TMP/seccomp_export" --rewind 9
out=$(check bwrap bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr \
  --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
  --symlink usr/sbin /sbin --dev /dev --proc /proc --tmpfs /tmp --ro-bind "$WS_SMALL" "$WS_SMALL" \
  --seccomp 9 /bin/sh -c "cat $WS_SMALL/README.md; grep ^Seccomp: /proc/self/status")
case "$out" in *"# demo"*"Seccomp:	2"*) ;; *) echo "spawn.sh: bwrap sanity check: $out" >&2; exit 1 ;; esac
out=$(check nucleus "$NUCLEUS" exec --profile read-only --workspace "$WS_SMALL" -- \
  /bin/sh -c "cat $WS_SMALL/README.md; grep ^Seccomp: /proc/self/status")
case "$out" in *"# demo"*"Seccomp:	2"*) ;; *) echo "spawn.sh: nucleus sanity check: $out" >&2; exit 1 ;; esac
# shellcheck disable=SC2086 # FLOOR is a command line, split on purpose
check floor $FLOOR >/dev/null

# ---- one hyperfine run, all rows side by side ------------------------------------------
# Sanity: the subreaper runs and passes the status through.
check reap "$TMP/reap" /bin/true >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -z "$HYPERFINE_TIMEOUT" ]; then
  HYPERFINE_TIMEOUT=$((BUDGET - 45 - SECONDS))
  [ "$HYPERFINE_TIMEOUT" -ge 30 ] || HYPERFINE_TIMEOUT=30
fi
set -- hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --prepare "$TMP/seccomp_export --rewind 9" \
  --export-json "$TMP/spawn.json" --export-markdown "$TMP/spawn.md" \
  -n "bare /bin/true" "/bin/true" \
  -n "unshare -Urmpf (floor)" "$FLOOR" \
  -n "bwrap, small ws" "$(bwrap_cmd "$WS_SMALL")" \
  -n "nucleus, small ws" "$(nucleus_cmd "$WS_SMALL")" \
  -n "bwrap, 2000-file ws" "$(bwrap_cmd "$WS_LARGE")" \
  -n "nucleus, 2000-file ws" "$(nucleus_cmd "$WS_LARGE")" \
  -n "bwrap, small ws, reaped" "$TMP/reap $(bwrap_cmd "$WS_SMALL")" \
  -n "nucleus, small ws, reaped" "$TMP/reap $(nucleus_cmd "$WS_SMALL")" \
  -n "bare /bin/true, again" "/bin/true"
HYPERFINE_ARGV=("$@")
timeout "$HYPERFINE_TIMEOUT" "$@" --style basic >"$TMP/hyperfine.out" 2>&1 || {
  rc=$?
  cat "$TMP/hyperfine.out" >&2
  echo "spawn.sh: hyperfine failed or exceeded ${HYPERFINE_TIMEOUT}s (rc $rc)" >&2
  exit 1
}
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- memory: the pod's processes while the command sleeps -------------------------------
MEM_SLEEP=2
"$TMP/seccomp_export" --rewind 9
python3 - "$TMP/mem.json" "$MEM_SLEEP" "$TMP/seccomp_export" \
  @@ "$NUCLEUS" exec --profile read-only --workspace "$WS_SMALL" -- /bin/sleep "$MEM_SLEEP" \
  @@ bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr \
  --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
  --symlink usr/sbin /sbin --dev /dev --proc /proc --tmpfs /tmp --ro-bind "$WS_SMALL" "$WS_SMALL" \
  --seccomp 9 /bin/sleep "$MEM_SLEEP" <<'EOF'
# Starts each runtime with `sleep`, walks the process chain from the runtime's own process
# down to sleep, and reads VmRSS (status) and Pss / Private_* (smaps_rollup) of each one.
# Three samples per runtime; the median of each figure is kept.
import json, os, statistics, subprocess, sys, time

out, sleep_s, rewind = sys.argv[1], float(sys.argv[2]), sys.argv[3]
rest = sys.argv[4:]
cut = [i for i, a in enumerate(rest) if a == "@@"]  # "--" belongs to nucleus's own argv
runtimes = {"nucleus": rest[cut[0] + 1:cut[1]], "bwrap": rest[cut[1] + 1:]}

def kib(pid, path, keys):
    vals = {}
    with open(f"/proc/{pid}/{path}") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in keys:
                vals[k] = int(v.split()[0])
    return vals

def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []

def chain(top):
    """[top, child, grandchild, ...] following the only (or first) child, up to sleep."""
    pids = [top]
    while comm(pids[-1]) != "sleep":
        kids = children(pids[-1])
        if not kids:
            return None
        pids.append(kids[0])
    return pids

def sample(argv):
    subprocess.run([rewind, "--rewind", "9"], check=True, pass_fds=(9,))
    p = subprocess.Popen(argv, pass_fds=(9,))
    deadline = time.monotonic() + sleep_s * 0.6
    rows = None
    while time.monotonic() < deadline and rows is None:
        try:
            c = chain(p.pid)
            if c is not None:
                time.sleep(0.3)  # let the command finish loading before it is measured
                rows = []
                for depth, pid in enumerate(c):
                    st = kib(pid, "status", {"VmRSS"})
                    sm = kib(pid, "smaps_rollup", {"Rss", "Pss", "Private_Clean", "Private_Dirty"})
                    rows.append({"depth": depth, "comm": comm(pid), "rss": st["VmRSS"],
                                 "pss": sm["Pss"],
                                 "uss": sm["Private_Clean"] + sm["Private_Dirty"]})
        except (OSError, KeyError, ValueError):
            rows = None
        if rows is None:
            time.sleep(0.005)
    p.wait(timeout=sleep_s + 10)
    if rows is None:
        sys.exit(f"mem: could not find the process chain of {argv[0]}")
    return rows

result = {}
for name, argv in runtimes.items():
    samples = [sample(argv) for _ in range(3)]
    n = min(len(s) for s in samples)
    result[name] = [{"depth": d, "comm": samples[0][d]["comm"],
                     **{k: statistics.median(s[d][k] for s in samples) for k in ("rss", "pss", "uss")}}
                    for d in range(n)]
with open(out, "w") as f:
    json.dump(result, f)
EOF

# ---- interleaved cross-check --------------------------------------------------------------
# hyperfine runs all 200 runs of one row before the next, so a change in other load on the
# machine between rows biases the ratios.  Here bwrap and nucleus alternate (ABBA rounds, so
# neither always goes first); each round gives a nucleus / bwrap ratio, and the median of those
# is immune to slow drift.  A cross-check of the hyperfine ratios, not a replacement.
python3 - "$TMP/pairs.json" "$PAIRS" "$TMP/seccomp_export" "$TMP/reap" \
  "$(bwrap_cmd "$WS_SMALL")" "$(nucleus_cmd "$WS_SMALL")" <<'EOF'
import json, shlex, subprocess, sys, time

out, rounds, rewind, reap = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
bw, nc = shlex.split(sys.argv[5]), shlex.split(sys.argv[6])
if rounds <= 0:
    sys.exit(0)

def run(argv):
    subprocess.run([rewind, "--rewind", "9"], check=True, pass_fds=(9,))  # untimed
    t = time.perf_counter()
    subprocess.run(argv, check=True, pass_fds=(9,), stdout=subprocess.DEVNULL)
    return time.perf_counter() - t

res = {}
for label, (b, n) in {"plain": (bw, nc), "reaped": ([reap] + bw, [reap] + nc)}.items():
    ratios = []
    for i in range(rounds):
        if i % 2 == 0:
            tb = run(b); tn = run(n)
        else:
            tn = run(n); tb = run(b)
        ratios.append(tn / tb)
    res[label] = ratios
with open(out, "w") as f:
    json.dump(res, f)
EOF

# ---- report ----------------------------------------------------------------------------
export BENCH_TMP="$TMP" BENCH_REPO="$REPO" BENCH_NUCLEUS="$NUCLEUS" BENCH_UPDATE_DOCS="$UPDATE_DOCS"
export BENCH_LOAD_BEFORE="$LOAD_BEFORE" BENCH_LOAD_AFTER="$LOAD_AFTER" BENCH_MEM_SLEEP="$MEM_SLEEP"
export BENCH_RULES
BENCH_RULES=$("$TMP/seccomp_export" "$TMP/filter2.bpf")
printf '%s\0' "${HYPERFINE_ARGV[@]}" >"$TMP/argv"
python3 - <<'EOF'
import datetime, json, os, platform, random, re, shlex, subprocess, statistics

tmp, repo = os.environ["BENCH_TMP"], os.environ["BENCH_REPO"]
nucleus = os.environ["BENCH_NUCLEUS"]
data = json.load(open(f"{tmp}/spawn.json"))["results"]
mem = json.load(open(f"{tmp}/mem.json"))
pairs = json.load(open(f"{tmp}/pairs.json")) if os.path.exists(f"{tmp}/pairs.json") else None
argv = open(f"{tmp}/argv").read().split("\0")[:-1]

def placeholders(s):
    return (s.replace(f"{tmp}/ws-small", "$WS_SMALL").replace(f"{tmp}/ws-large", "$WS_LARGE")
             .replace(f"{tmp}/seccomp_export", "bench/seccomp_export").replace(f"{tmp}/reap", "bench/reap")
             .replace(nucleus, "nucleus")
             .replace(f"{tmp}/", "$TMP/"))

rows = {r["command"]: r for r in data}  # keyed by the -n name
def times(name): return rows[name]["times"]
def med(name): return statistics.median(times(name))

random.seed(1)
def ratio_ci(a, b, n=2000):
    """Median(a)/median(b) with a 95% percentile-bootstrap interval."""
    ta, tb = times(a), times(b)
    rs = sorted(statistics.median(random.choices(ta, k=len(ta))) /
                statistics.median(random.choices(tb, k=len(tb))) for _ in range(n))
    return med(a) / med(b), rs[int(0.025 * n)], rs[int(0.975 * n) - 1]

def ms(x): return f"{x * 1000:.1f}"

def cpu(name): return rows[name]["user"] + rows[name]["system"]

lines = []
lines.append("| Row | median (ms) | mean ± σ (ms) | min … max (ms) | CPU user+sys (ms) | median / bare "
             "| median / bwrap (same ws) |")
lines.append("|---|---:|---:|---:|---:|---:|---:|")
for r in data:
    name = r["command"]
    vs_bare = med(name) / med("bare /bin/true")
    peer = None
    if name.startswith("nucleus"):
        peer = name.replace("nucleus", "bwrap")
    if peer:
        q, lo, hi = ratio_ci(name, peer)
        vs_bwrap = f"**{q:.2f}** ({lo:.2f}–{hi:.2f})"
    elif name.startswith("bwrap"):
        vs_bwrap = "1.00"
    else:
        vs_bwrap = ""
    dagger = " †" if name.startswith("bwrap") and not name.endswith("reaped") else ""
    lines.append(f"| {name} | {ms(med(name))} | {ms(r['mean'])} ± {ms(r['stddev'])} | "
                 f"{ms(r['min'])} … {ms(r['max'])} | {ms(cpu(name))}{dagger} | {vs_bare:.1f}× | {vs_bwrap} |")
table = "\n".join(lines)

def over(name, base): return (med(name) - med(base)) * 1000
small_q = ratio_ci("nucleus, small ws", "bwrap, small ws")
large_q = ratio_ci("nucleus, 2000-file ws", "bwrap, 2000-file ws")
scan_ms = over("nucleus, 2000-file ws", "nucleus, small ws")
verdict = []
reaped_q = ratio_ci("nucleus, small ws, reaped", "bwrap, small ws, reaped")
for label, (q, lo, hi) in (("small workspace", small_q), ("2,000-file workspace", large_q),
                           ("small workspace, both timed to the end of their sandbox (reaped)", reaped_q)):
    if hi < 1.0:
        v = "met: nucleus is faster than bwrap"
    elif lo <= 1.0 <= hi:
        v = "met within noise: the interval includes 1.00"
    else:
        v = "NOT met: nucleus is slower than bwrap"
    verdict.append(f"- {label}: nucleus / bwrap = {q:.2f} (95% CI {lo:.2f}–{hi:.2f}); {v}.")
drift = med("bare /bin/true, again") / med("bare /bin/true")
if 0.8 <= drift <= 1.25:
    verdict.append(f"- Drift check: bare /bin/true at the end / at the start = {drift:.2f}; the machine "
                   f"ran at a steady speed.")
else:
    verdict.append(f"- **Drift check failed**: bare /bin/true at the end / at the start = {drift:.2f}; "
                   f"the machine's speed changed during the run (other load?), so the ratios above are "
                   f"unreliable. Run again on a quiet machine.")
busy = max(float(os.environ["BENCH_LOAD_BEFORE"].split()[0]), float(os.environ["BENCH_LOAD_AFTER"].split()[0]))
if busy > (os.cpu_count() or 1):
    verdict.append(f"- **Busy machine**: 1-minute load average up to {busy:.2f} on {os.cpu_count()} CPUs during "
                   f"the run; absolute times are inflated and the ratios less certain than their intervals say.")
if pairs:
    for label, desc in (("plain", "as hyperfine times them"), ("reaped", "both timed to the end of their sandbox")):
        rs = pairs[label]
        q = statistics.median(rs)
        boots = sorted(statistics.median(random.choices(rs, k=len(rs))) for _ in range(2000))
        verdict.append(f"- Interleaved cross-check, small workspace, {desc}: median of {len(rs)} per-round "
                       f"nucleus / bwrap ratios = {q:.2f} (95% CI {boots[50]:.2f}–{boots[1949]:.2f}).")
verdict.append(f"- Workspace scan: the 2,000-file workspace costs nucleus {scan_ms:+.1f} ms at the "
               f"median over the small one (bwrap: "
               f"{over('bwrap, 2000-file ws', 'bwrap, small ws'):+.1f} ms).")

mlines = ["| Process | comm | VmRSS (KiB) | Pss (KiB) | private (KiB) |", "|---|---|---:|---:|---:|"]
roles = {"nucleus": ["nucleus, host side (supervisor)", "nucleus pod init (PID 1 in the pod)"],
         "bwrap": ["bwrap, host side (monitor)", "bwrap in the pod (PID 1, reaper)"]}
for rt in ("nucleus", "bwrap"):
    for p in mem[rt]:
        d = p["depth"]
        role = f"{rt}: the command" if p["comm"] == "sleep" else (
            roles[rt][d] if d < len(roles[rt]) else f"{rt}: process at depth {d}")
        mlines.append(f"| {role} | `{p['comm']}` | {p['rss']:.0f} | {p['pss']:.0f} | {p['uss']:.0f} |")
mtable = "\n".join(mlines)
init = mem["nucleus"][1] if len(mem["nucleus"]) > 2 else None
if init is not None:
    met = "met" if init["rss"] < 1024 else "NOT met"
    mverdict = (f"- Pod init: VmRSS {init['rss']:.0f} KiB, Pss {init['pss']:.0f} KiB, private "
                f"{init['uss']:.0f} KiB. Target \"init under 1 MiB RSS\": **{met}**.")
else:
    mverdict = "- Pod init: not found in the process chain."

def cmd_out(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
rev = os.environ.get("NUCLEUS_REV", "")
if not rev:
    rev = "the working tree at " + cmd_out("git", "-C", repo, "rev-parse", "--short", "HEAD")
    if cmd_out("git", "-C", repo, "status", "--porcelain", "--untracked-files=no"):
        rev += " (with uncommitted changes)"
facts = [
    f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
    f"- Kernel: {platform.release()}; {os.cpu_count()} CPUs ({cpu}); running as uid {os.getuid()}",
    f"- Load average (1/5/15 min) before: {os.environ['BENCH_LOAD_BEFORE']}; after: {os.environ['BENCH_LOAD_AFTER']}",
    f"- {cmd_out('bwrap', '--version')}; {cmd_out('hyperfine', '--version')}; {cmd_out(nucleus, 'version')} built from {rev}",
    f"- seccomp: the same filter in both ({os.environ['BENCH_RULES']}), exported from src/sandbox/seccomp_filter.c by bench/seccomp_export.c",
]

hfmd = placeholders(open(f"{tmp}/spawn.md").read()).strip()
def dq(a):
    """Quoted for a POSIX shell, with $VARS left to expand (the placeholders above)."""
    return a if re.fullmatch(r"[A-Za-z0-9_./,:=+$-]+", a) else '"' + a + '"'
words = [dq(placeholders(a)) for a in argv]
hf, line = [], []
for w in words:
    if w == "-n" and line:  # one benchmarked command per line
        hf.append(" ".join(line))
        line = []
    line.append(w)
hf.append(" ".join(line))
hf = " \\\n  ".join(hf)
report = f"""<!-- spawn:begin (generated by bench/spawn.sh --update-docs; edits here are overwritten) -->
### Spawn time

{table}

Ratios are of medians; the interval after each nucleus / bwrap ratio is a 95% percentile
bootstrap over the {len(times('bare /bin/true'))} runs of each row.  CPU is hyperfine's mean user + system
time of the processes the measured command reaped.  † bwrap's outer process exits as soon as its
PID 1 reports the command's status (an eventfd), without reaping that PID 1, so neither the CPU of
its pod processes nor the pod's teardown is in bwrap's figures; nucleus waits for its pod init to
exit and removes the pod's cgroups before it returns, and both are in its figures.  The two
"reaped" rows run each under `bench/reap.c`, a child subreaper that waits for every process the
runtime leaves behind: both are then timed to the end of their sandbox, each with the same extra
process start.

{chr(10).join(verdict)}

### Memory of a running pod (command: `sleep {os.environ['BENCH_MEM_SLEEP']}`, small workspace; median of 3)

{mtable}

{mverdict}

### Machine and versions

{chr(10).join(facts)}

### Exact command line

`$WS_SMALL` holds 3 files in 2 directories; `$WS_LARGE` holds 2,000 files in 100 directories;
both live under `$TMP` (a fresh `mktemp -d /tmp/nucleus-bench.XXXXXX`).  fd 9 is the exported
filter; `bench/seccomp_export` and `bench/reap` stand for the helpers the script builds from
`bench/seccomp_export.c` and `bench/reap.c` into `$TMP`.

```
{hf}
```

hyperfine's own summary (`--export-markdown`):

{hfmd}
<!-- spawn:end -->"""

print()
print(table)
print()
print("\n".join(verdict))
print()
print(mtable)
print()
print(mverdict)
print()
print("\n".join(facts))

if os.environ["BENCH_UPDATE_DOCS"] == "1":
    path = f"{repo}/docs/benchmarks.md"
    doc = open(path).read()
    new, n = re.subn(r"<!-- spawn:begin.*?<!-- spawn:end -->", lambda m: report, doc, flags=re.S)
    if n != 1:
        raise SystemExit(f"{path}: no <!-- spawn:begin --> ... <!-- spawn:end --> block to replace")
    open(path, "w").write(new)
    print(f"\nupdated {path}")
EOF
