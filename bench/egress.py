#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Egress gateway benchmark (issue 7): throughput of a 100 MiB download on loopback through
`nucleus gateway` against the same download direct, and connection set-up latency (a 1-byte
response, a fresh connection each time), side by side in one run and reported as ratios to
direct.  The gateway is measured on each kind of listener it serves: TCP (HTTP CONNECT and
SOCKS5: what a pod's proxy variables name) and its unix socket (SOCKS5: what the web tools
use, and a pod's NUCLEUS_EGRESS_SOCKET); then from inside a real pod (`nucleus exec`), both
ways.  Two relays without any policy are the peers: a minimal splice(2) relay
(bench/splice_relay.c, the floor for any user-space TCP relay) and socat.  The paths are
interleaved round by round, so a change in the machine's load falls on all of them alike.
The upstream serves a file with sendfile(2); curl downloads to /dev/null.  Prints a table,
the load average before and after, and whether each gateway path reaches 80 % of direct
(exit 1 when one does not).

Usage: bench/egress.py [NUCLEUS]   (default build/src/cli/nucleus; use a release build)
  RUNS=5 (downloads per path), LAT_RUNS=200 (latency samples per path), MIB=100"""
import os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUCLEUS = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else f"{REPO}/build/src/cli/nucleus")
RUNS = int(os.environ.get("RUNS", "5"))
LAT_RUNS = int(os.environ.get("LAT_RUNS", "200"))
MIB = int(os.environ.get("MIB", "100"))
if shutil.which("curl") is None or not os.access(NUCLEUS, os.X_OK):
    print("egress.py: SKIP: needs curl and a nucleus binary", file=sys.stderr)
    sys.exit(77)

TMP = tempfile.mkdtemp(prefix="nc-egress-bench-")
big = f"{TMP}/big"
with open(big, "wb") as f:
    f.truncate(MIB << 20)


def serve(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        if data.startswith(b"GET /small"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")
            return
        size = os.path.getsize(big)
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
                     .encode())
        with open(big, "rb") as f:
            conn.sendfile(f)


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.2", 0))
srv.listen(64)
PORT = srv.getsockname()[1]


def accept_loop():
    while True:
        try:
            c, _ = srv.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(c,), daemon=True).start()


threading.Thread(target=accept_loop, daemon=True).start()

with open(f"{TMP}/hosts", "w") as f:
    f.write("127.0.0.2 bench.test\n")
with open(f"{TMP}/policy.yaml", "w") as f:
    f.write("""apiVersion: nucleus/v1
kind: Policy
metadata: {name: bench}
spec:
  capabilities: {read_files: never, write_files: never, edit_files: never, run_bash: never,
    glob_search: never, grep_search: never, web_search: never, web_fetch: always,
    git_commit: never, git_push: never, create_pr: never}
  approvals: []
  paths: {allow: [], deny: [], read_only: []}
  commands: {allow: [], deny: []}
  network: {allow: [bench.test]}
  budget: {max_usd: 1}
  limits: {timeout_seconds: 3600}
""")
gw = subprocess.Popen([NUCLEUS, "gateway", "--listen-tcp", "127.0.0.1:0", "--listen-unix",
                       f"{TMP}/gw.sock", "--policy",
                       f"{TMP}/policy.yaml", "--hosts-file", f"{TMP}/hosts", "--ports", str(PORT),
                       "--allow-network", f"127.0.0.2:{PORT}", "--log", "/dev/null"],
                      stdout=subprocess.PIPE, text=True)
announced = [gw.stdout.readline().strip() for _ in range(2)]
GW = next(a.split("tcp:", 1)[1] for a in announced if "tcp:" in a)

# The peer: socat as a plain TCP forwarder (no policy, no parsing) to the same upstream, so
# the cost of any relay hop on this machine is measured next to the gateway's.
SOCAT = shutil.which("socat")
socat = None
if SOCAT is not None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    SOCAT_PORT = s.getsockname()[1]
    s.close()
    socat = subprocess.Popen([SOCAT, f"TCP-LISTEN:{SOCAT_PORT},bind=127.0.0.1,reuseaddr,fork",
                              f"TCP:127.0.0.2:{PORT}"], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", SOCAT_PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.02)

# The floor: a minimal splice relay (no policy, no parsing), compiled here.
relay = None
if shutil.which("cc") is not None:
    if subprocess.run(["cc", "-std=gnu17", "-O2", "-D_GNU_SOURCE", "-pthread",
                       f"{REPO}/bench/splice_relay.c", "-o", f"{TMP}/splice_relay"]).returncode == 0:
        relay = subprocess.Popen([f"{TMP}/splice_relay", "127.0.0.2", str(PORT)],
                                 stdout=subprocess.PIPE, text=True)
        RELAY_PORT = int(relay.stdout.readline())

# A pod: `nucleus exec` runs curl; its gateway serves 127.0.0.1:3128 and the unix socket.
os.makedirs(f"{TMP}/ws")
POD = [NUCLEUS, "exec", "--quiet", "--policy", f"{TMP}/policy.yaml", "--workspace", f"{TMP}/ws",
       "--hosts-file", f"{TMP}/hosts", "--egress-ports", str(PORT), "--allow-network",
       f"127.0.0.2:{PORT}", "--"]
pod_ok = subprocess.run([*POD, "/bin/true"], capture_output=True).returncode == 0
if not pod_ok:
    print("egress.py: pods cannot run here (see nucleus doctor): no pod rows", file=sys.stderr)

paths = {
    "direct": ["--noproxy", "*", f"http://127.0.0.2:{PORT}"],
    "gateway CONNECT, TCP": ["-p", "-x", f"http://{GW}", f"http://bench.test:{PORT}"],
    "gateway SOCKS5, TCP": ["--socks5-hostname", GW, f"http://bench.test:{PORT}"],
    "gateway SOCKS5, unix socket": ["--proxy", f"socks5h://localhost{TMP}/gw.sock",
                                    f"http://bench.test:{PORT}"],
}
if pod_ok:
    paths["pod: CONNECT to 127.0.0.1:3128"] = ["-p", f"http://bench.test:{PORT}"]
    paths["pod: SOCKS5 to NUCLEUS_EGRESS_SOCKET"] = [
        "--proxy", "socks5h://localhost/run/nucleus/egress.sock", f"http://bench.test:{PORT}"]
if relay is not None:
    paths["splice relay, TCP (floor, peer)"] = ["--noproxy", "*",
                                                f"http://127.0.0.1:{RELAY_PORT}"]
if socat is not None:
    paths["socat relay, TCP (peer)"] = ["--noproxy", "*", f"http://127.0.0.1:{SOCAT_PORT}"]


def gw_cpu():
    """The gateway's CPU time so far (user + system), in ms: steadier than wall-clock figures
    on a loaded machine."""
    with open(f"/proc/{gw.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def curl(name, args, path, fmt):
    pre = POD if name.startswith("pod:") else []
    r = subprocess.run([*pre, "curl", "-sS", "-o", "/dev/null", "-w", fmt, *args[:-1],
                        args[-1] + path], capture_output=True, text=True, check=True)
    return float(r.stdout)


rows = []
load_before = os.getloadavg()
tput = {name: [] for name in paths}
lat = {name: [] for name in paths}
cpu = {name: 0.0 for name in paths}
try:
    for _ in range(RUNS):
        for name, args in paths.items():
            c0 = gw_cpu()
            tput[name].append(curl(name, args, "/big", "%{speed_download}") / (1 << 20))
            if name.startswith("gateway"):
                cpu[name] += gw_cpu() - c0
    for _ in range(LAT_RUNS):
        for name, args in paths.items():
            lat[name].append(curl(name, args, "/small", "%{time_total}") * 1000)
    for name in paths:
        ls = sorted(lat[name])
        rows.append((name, statistics.median(tput[name]), statistics.median(ls),
                     ls[max(0, int(len(ls) * 0.95) - 1)], cpu[name] / RUNS))
finally:
    gw.terminate()
    gw.wait()
    for peer in (socat, relay):
        if peer is not None:
            peer.terminate()
            peer.wait()
    srv.close()
    shutil.rmtree(TMP, ignore_errors=True)

load_after = os.getloadavg()
direct, direct_lat = rows[0][1], rows[0][2]
print(f"{MIB} MiB download (median of {RUNS}) and set-up latency (a 1-byte response, median "
      f"and p95 of {LAT_RUNS}), loopback, curl, paths interleaved:\n")
print("| path | throughput MiB/s | throughput vs direct | gateway CPU ms per download | "
      "set-up median ms | set-up p95 ms | set-up vs direct |")
print("|---|---|---|---|---|---|---|")
missed = []
for name, t, lm, lp, c in rows:
    pct = 100.0 * t / direct
    if name.startswith(("gateway", "pod:")) and pct < 80:
        missed.append(f"{name} {pct:.0f} %")
    cs = f"{c:.0f}" if name.startswith("gateway") else "-"
    print(f"| {name} | {t:.0f} | {pct:.0f} % | {cs} | {lm:.2f} | {lp:.2f} | "
          f"{lm / direct_lat:.2f}x |")
ncpu = os.cpu_count() or 1
print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}, "
      f"on {ncpu} CPUs{' (busy: figures are noisy)' if max(load_before[0], load_after[0]) > ncpu else ''}")
print("target: throughput at least 80 % of direct on every gateway path: " +
      ("met" if not missed else "NOT met on " + ", ".join(missed)))
sys.exit(0 if not missed else 1)
