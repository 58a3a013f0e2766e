#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The grep benchmark of bench/grep.sh: nucleus's grep tool next to rg and grep -r.

Usage: grep_bench.py NUCLEUS STATE_DIR RUNS OUT.jsonl NAME=DIR [NAME=DIR ...]

For each tree, one `nucleus proxy --stdio` serves the whole run (started once, like an agent's
session); each search is one JSON-RPC `tools/call` of `grep`, timed from the request's write
to the response's last byte.  rg and grep are started once per search with their output on a
pipe that this script reads to the end (GNU grep stops at the first match when its output is
/dev/null, so it never is).  The three searchers alternate in a rotating order, RUNS rounds
after one untimed warm-up round, and every answer is checked: the same matching lines
(path:line) from all three, or the run fails.  Prints and writes one JSON line per
(tree, pattern, tool) with the median, min and max wall time, the median CPU time, and every
round's times (in round order, for per-round ratios).
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

PATTERNS = [
    # (name, pattern, case_insensitive); each is valid PCRE2, Rust regex and GNU ERE alike.
    ("literal", "{literal}", False),
    ("regex with classes", "{regex}", False),
    ("case-insensitive", "{ci}", True),
]
TREE_PATTERNS = {
    "generated": {"literal": "nucleus_bench_needle", "regex": r"\b[A-Z]{4}-[0-9]{4}\b",
                  "ci": "mixedcasetoken"},
    "usr-include": {"literal": "ioctl", "regex": r"\b[A-Z]+_MAX_[A-Z]+\b", "ci": "mutex"},
}
MAX_MATCHES = 5000


class Proxy:
    def __init__(self, nucleus, workspace, state, name):
        self.p = subprocess.Popen(
            [nucleus, "proxy", "--stdio", "--workspace", workspace, "--profile", "read-only",
             "--pod-id", "grepbench-" + name, "--audit", os.path.join(state, name + ".jsonl")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        self.buf = b""
        self.id = 0
        self.call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                 "clientInfo": {"name": "grep-bench", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, msg):
        self.p.stdin.write((json.dumps(msg) + "\n").encode())

    def recv(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                return json.loads(line)
            d = os.read(self.p.stdout.fileno(), 1 << 20)
            if not d:
                raise SystemExit("grep_bench: the proxy closed its output")
            self.buf += d

    def call(self, method, params):
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            r = self.recv()
            if r.get("id") == self.id:
                if "error" in r:
                    raise SystemExit(f"grep_bench: {method}: {r['error']}")
                return r["result"]

    def cpu(self):
        f = open(f"/proc/{self.p.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def lines_of(text, strip_dot):
    out = set()
    for ln in text.splitlines():
        path, sep, rest = ln.partition(":")
        no, sep2, _ = rest.partition(":")
        if not sep or not sep2 or not no.isdigit():
            continue
        if strip_dot and path.startswith("./"):
            path = path[2:]
        out.add((path, int(no)))
    return out


def run_nucleus(px, pattern, ci):
    args = {"pattern": pattern, "max_matches": MAX_MATCHES}
    if ci:
        args["case_insensitive"] = True
    c0 = px.cpu()
    t0 = time.perf_counter()
    r = px.call("tools/call", {"name": "grep", "arguments": args})
    wall = time.perf_counter() - t0
    cpu = px.cpu() - c0
    if r.get("isError"):
        raise SystemExit(f"grep_bench: nucleus grep failed: {r['content'][0]['text'][:300]}")
    sc = r["structuredContent"]
    if sc["truncated"]:
        raise SystemExit("grep_bench: nucleus output truncated; pick a rarer pattern")
    return wall, cpu, lines_of(r["content"][0]["text"], False), sc


def run_cmd(argv, cwd, env=None):
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        raise SystemExit(f"grep_bench: {argv[0]} exited {p.returncode}")
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return wall, cpu, p.stdout.decode("utf-8", "replace")


def rg_argv(pattern, ci):
    # --no-config: no RIPGREPRC; --hidden: nucleus searches dot files too; rg's own
    # .gitignore handling stays on (nucleus honours .gitignore as well); -j: rg's default
    # (one thread per CPU).
    return ["rg", "--no-config", "--hidden", "--line-number", "--with-filename",
            "--no-heading", "--color=never"] + (["--ignore-case"] if ci else []) + \
           ["--regexp", pattern]


def grep_argv(pattern, ci):
    # -r: no symlinks followed below the start (as nucleus and rg); -I: skip binary files;
    # -E: extended regexes (\b is a GNU extension); LC_ALL=C (set by the caller): byte
    # semantics, grep's fastest mode.
    return ["grep", "-r", "-n", "-I", "-E"] + (["-i"] if ci else []) + ["-e", pattern, "."]


def main():
    nucleus, state, runs, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    trees = [a.split("=", 1) for a in sys.argv[5:]]
    genv = dict(os.environ, LC_ALL="C")
    results = []
    for name, root in trees:
        pats = TREE_PATTERNS["generated" if name.startswith("generated") else "usr-include"]
        px = Proxy(nucleus, root, state, name)
        for pname, ptemplate, ci in PATTERNS:
            pattern = ptemplate.format(**pats)
            tools = {
                "nucleus grep tool": lambda: run_nucleus(px, pattern, ci)[:3],
                "rg": lambda: (lambda w, c, t: (w, c, lines_of(t, False)))(
                    *run_cmd(rg_argv(pattern, ci), root)),
                "grep -r": lambda: (lambda w, c, t: (w, c, lines_of(t, True)))(
                    *run_cmd(grep_argv(pattern, ci), root, genv)),
            }
            order = list(tools)
            times = {t: [] for t in order}
            cpus = {t: [] for t in order}
            answer = {}
            for rnd in range(runs + 1):
                for t in order[rnd % 3:] + order[:rnd % 3]:
                    wall, cpu, found = tools[t]()
                    if rnd == 0:
                        answer[t] = found  # warm-up round: page cache, proxy threads
                    else:
                        times[t].append(wall)
                        cpus[t].append(cpu)
            ref = answer["rg"]
            for t in order:
                if answer[t] != ref:
                    only_t = sorted(answer[t] - ref)[:5]
                    only_rg = sorted(ref - answer[t])[:5]
                    raise SystemExit(f"grep_bench: {name} {pname}: {t} found {len(answer[t])} "
                                     f"lines, rg {len(ref)}; only {t}: {only_t}; "
                                     f"only rg: {only_rg}")
            for t in order:
                row = {"tree": name, "pattern_name": pname, "pattern": pattern,
                       "case_insensitive": ci, "tool": t, "runs": runs,
                       "matches": len(answer[t]),
                       "median_s": statistics.median(times[t]), "min_s": min(times[t]),
                       "max_s": max(times[t]), "cpu_s": statistics.median(cpus[t]),
                       "times": times[t], "cpus": cpus[t], "load": os.getloadavg()[0]}
                results.append(row)
                print(json.dumps({k: v for k, v in row.items() if k not in ("times", "cpus")}),
                      flush=True)
        px.close()
    with open(out_path, "w") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
