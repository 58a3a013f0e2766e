#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The egress decisions of a tool's nested pod reach the hash-chained audit log (issue 7: "an
audit record" for every refusal).  `nucleus proxy --stdio` runs the `run` tool; its command
in the pod reaches an allowed host, is refused another, and then tries to forge a decision by
writing JSON to every descriptor it might have inherited.  The audit record of that call
must list exactly the gateway's decisions (the allowed one, the refusal with its reason) and
nothing the command wrote; `nucleus audit verify` must accept the chain.  Upstream servers on
127.0.0.2 and 127.0.0.3, named through the gateway's hosts file.  TAP.

Usage: egress_audit.py NUCLEUS"""
import http.server, json, os, select, shutil, subprocess, sys, tempfile, threading, time

NUCLEUS = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="nc-egaudit-")
os.chmod(TMP, 0o755)
n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {name}")
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[:30]:
            print(f"#   {line}")
    sys.stdout.flush()


if shutil.which("curl") is None:
    print("1..0 # SKIP curl is not installed")
    sys.exit(0)
if subprocess.run([NUCLEUS, "doctor"], capture_output=True).returncode != 0:
    print("1..0 # SKIP this machine cannot run full pods (see nucleus doctor)")
    sys.exit(0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"upstream {self.server.name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


for _ in range(20):
    good = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    PORT = good.server_address[1]
    try:
        other = http.server.ThreadingHTTPServer(("127.0.0.3", PORT), Handler)
        break
    except OSError:
        good.server_close()
else:
    print("1..0 # SKIP no common free port on 127.0.0.2 and 127.0.0.3")
    sys.exit(0)
good.name, other.name = "good", "other"
for s in (good, other):
    threading.Thread(target=s.serve_forever, daemon=True).start()

WS = f"{TMP}/ws"
os.makedirs(WS)
with open(f"{TMP}/hosts", "w") as f:
    f.write("127.0.0.2 good.test\n127.0.0.3 other.test\n")
with open(f"{TMP}/policy.yaml", "w") as f:
    f.write("""apiVersion: nucleus/v1
kind: Policy
metadata: {name: egaudit}
spec:
  capabilities: {read_files: always, write_files: never, edit_files: never, run_bash: always,
    glob_search: always, grep_search: always, web_search: never, web_fetch: never,
    git_commit: never, git_push: never, create_pr: never}
  approvals: []
  paths: {allow: unrestricted, deny: [], read_only: []}
  commands: {allow: unrestricted, deny: []}
  network: {allow: [good.test]}
  budget: {max_usd: 5}
  limits: {timeout_seconds: 60}
""")
AUDIT = f"{TMP}/audit.jsonl"
px = subprocess.Popen([NUCLEUS, "proxy", "--stdio", "--policy", f"{TMP}/policy.yaml",
                       "--workspace", WS, "--audit", AUDIT, "--hosts-file", f"{TMP}/hosts",
                       "--allow-network", f"127.0.0.2:{PORT}", "--egress-ports", str(PORT)],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
buf = b""


def call(method, params, rid=[0]):
    global buf
    rid[0] += 1
    px.stdin.write(json.dumps({"jsonrpc": "2.0", "id": rid[0], "method": method,
                               "params": params}).encode() + b"\n")
    px.stdin.flush()
    deadline = time.time() + 120
    while True:
        while b"\n" not in buf:
            r, _, _ = select.select([px.stdout], [], [], max(0, deadline - time.time()))
            chunk = os.read(px.stdout.fileno(), 65536) if r else b""
            if not chunk:
                return None
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        m = json.loads(line)
        if m.get("id") == rid[0]:
            return m


call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"}})
FORGED = '{"allowed":true,"proto":"http","reason":"allowed","host":"forged.test","port":1}'
script = (f"curl -sS --max-time 10 http://good.test:{PORT}/a; "
          f"curl -sS --max-time 10 -o /dev/null -w 'other=%{{http_code}}\\n' "
          f"http://other.test:{PORT}/; "
          f"for fd in 3 4 5 6 7 8 9 10; do echo '{FORGED}' >&$fd; done 2>/dev/null; "
          "ls /proc/self/fd | tr '\\n' ' '")
res = (call("tools/call", {"name": "run", "arguments": {"argv": ["sh", "-c", script]}})
       or {}).get("result", {})
out = json.dumps(res)
ok(not res.get("isError") and "upstream good" in out and "other=403" in out,
   "in the pod, curl reaches the allowed host and is refused the other (403)", out[:1500])
quiet = (call("tools/call", {"name": "run", "arguments": {"argv": ["true"]}}) or {}).get(
    "result", {})
ok(not quiet.get("isError"), "a second call makes no connection", json.dumps(quiet)[:500])
px.stdin.close()
px.wait(timeout=60)
stderr = px.stderr.read().decode(errors="replace")
with open(AUDIT) as f:
    records = [json.loads(x) for x in f if x.strip()]
runs = [e for e in records if e.get("operation") == "run"]
eg = runs[0].get("params", {}).get("egress", []) if runs else []
allowed = [d for d in eg if d.get("allowed")]
refused = [d for d in eg if not d.get("allowed")]
ok(len(runs) == 2, "both calls are audited", [e.get("operation") for e in records])
ok(any(d.get("host") == "good.test" and d.get("port") == PORT and d.get("addr") == "127.0.0.2"
       for d in allowed), "the audit record of the call lists the allowed connection "
   "(host, port, pinned address)", eg)
ok(any(d.get("host") == "other.test" and d.get("reason") == "host_not_allowed" for d in refused),
   "and the refusal with its reason", eg)
ok(not any("forged" in json.dumps(d) for d in eg) and len(eg) == 2,
   "nothing the command wrote to any descriptor became a decision", eg)
ok(len(runs) == 2 and "egress" not in runs[1].get("params", {}),
   "a call without connections has no egress field", runs[1:] )
r = subprocess.run([NUCLEUS, "audit", "verify", AUDIT], capture_output=True, text=True)
ok(r.returncode == 0, "nucleus audit verify accepts the chain with the egress decisions",
   r.stdout + r.stderr)
ok("Sanitizer" not in stderr, "no sanitizer report from the proxy", stderr[-1500:])

good.shutdown()
other.shutdown()
shutil.rmtree(TMP, ignore_errors=True)
print(f"1..{n}")
sys.exit(1 if failed else 0)
