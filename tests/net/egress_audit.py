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
import json, os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import ok, skip_all, done  # noqa: E402
from mcp import Client  # noqa: E402
from upstream import pair  # noqa: E402

NUCLEUS = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="nc-egaudit-")
os.chmod(TMP, 0o755)

if shutil.which("curl") is None:
    skip_all("curl is not installed")
if subprocess.run([NUCLEUS, "doctor"], capture_output=True).returncode != 0:
    skip_all("this machine cannot run full pods (see nucleus doctor)")


servers = pair(("127.0.0.2", "good"), ("127.0.0.3", "other"))
if servers is None:
    skip_all("no common free port on 127.0.0.2 and 127.0.0.3")
good, other, PORT = servers

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
px = Client([NUCLEUS, "proxy", "--stdio", "--policy", f"{TMP}/policy.yaml", "--workspace", WS,
             "--audit", AUDIT, "--hosts-file", f"{TMP}/hosts", "--allow-network",
             f"127.0.0.2:{PORT}", "--egress-ports", str(PORT)], timeout=120)
px.initialize()
FORGED = '{"allowed":true,"proto":"http","reason":"allowed","host":"forged.test","port":1}'
script = (f"curl -sS --max-time 10 http://good.test:{PORT}/a; "
          f"curl -sS --max-time 10 -o /dev/null -w 'other=%{{http_code}}\\n' "
          f"http://other.test:{PORT}/; "
          f"for fd in 3 4 5 6 7 8 9 10; do echo '{FORGED}' >&$fd; done 2>/dev/null; "
          "ls /proc/self/fd | tr '\\n' ' '")
res = px.tool_result("run", {"argv": ["sh", "-c", script]})
out = json.dumps(res)
ok(not res.get("isError") and "upstream=good path=/a" in out and "other=403" in out,
   "in the pod, curl reaches the allowed host and is refused the other (403)", out[:1500])
quiet = px.tool_result("run", {"argv": ["true"]})
ok(not quiet.get("isError"), "a second call makes no connection", json.dumps(quiet)[:500])
px.close(timeout=60)
stderr = px.err
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
   "a call without connections has no egress field", runs[1:])
r = subprocess.run([NUCLEUS, "audit", "verify", AUDIT], capture_output=True, text=True)
ok(r.returncode == 0, "nucleus audit verify accepts the chain with the egress decisions",
   r.stdout + r.stderr)
ok("Sanitizer" not in stderr, "no sanitizer report from the proxy", stderr[-1500:])

good.shutdown()
other.shutdown()
shutil.rmtree(TMP, ignore_errors=True)
done()
