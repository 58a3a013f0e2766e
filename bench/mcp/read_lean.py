#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Small-read throughput of one MCP server through a lean client (bench/mcp.sh).

Usage: read_lean.py LABEL TOOL PATHPREFIX CALLS CONCURRENCY COMMAND [ARGS...]

The same calls as read_bench.mjs (the official SDK client), written as raw JSON-RPC lines on
the server's stdin and read back from its stdout, with CONCURRENCY requests in flight: the
client costs a few microseconds per call, so the server's own cost shows.  Also reports the
server's CPU time per call (user + system of its process, from /proc).  Prints one JSON line
like read_bench.mjs (client_cpu_us included), plus server_cpu_us.
"""
import json
import os
import subprocess
import sys
import time

label, tool, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
calls, conc = int(sys.argv[4]), int(sys.argv[5])
cmd = sys.argv[6:]
FILES = 100
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=None if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL,
                     bufsize=0)
buf = b""


def send(msg):
    p.stdin.write((json.dumps(msg) + "\n").encode())


def recv():
    global buf
    while True:
        i = buf.find(b"\n")
        if i >= 0:
            line, buf = buf[:i], buf[i + 1:]
            return json.loads(line)
        d = os.read(p.stdout.fileno(), 1 << 20)
        if not d:
            raise SystemExit(f"{label}: the server closed its output")
        buf += d


def call(i):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": tool, "arguments": {"path": f"{prefix}f{i % FILES}.txt"}}}


def check(r):
    if "result" not in r or r["result"].get("isError"):
        raise SystemExit(f"{label}: {json.dumps(r)[:300]}")


def cpu():
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


send({"jsonrpc": "2.0", "id": "init", "method": "initialize",
      "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                 "clientInfo": {"name": "nucleus-bench-lean", "version": "1"}}})
recv()
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
for i in range(200):  # warm-up, as read_bench.mjs
    send(call(1000000 + i))
    check(recv())
start, lat, sent, got = {}, [], 0, 0
c0, t0, own0 = cpu(), time.perf_counter(), time.process_time()
while sent < min(conc, calls):
    start[sent] = time.perf_counter()
    send(call(sent))
    sent += 1
while got < calls:
    r = recv()
    now = time.perf_counter()
    check(r)
    lat.append((now - start.pop(r["id"])) * 1e3)
    got += 1
    if sent < calls:
        start[sent] = time.perf_counter()
        send(call(sent))
        sent += 1
secs = time.perf_counter() - t0
c1, own1 = cpu(), time.process_time()
p.stdin.close()
p.wait()
lat.sort()
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
print(json.dumps({"label": label, "calls": calls, "concurrency": conc, "seconds": secs,
                  "per_second": calls / secs, "p50_ms": q(0.5), "p99_ms": q(0.99),
                  "server_cpu_us": (c1 - c0) / calls * 1e6,
                  "client_cpu_us": (own1 - own0) / calls * 1e6}))
