#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The MCP server of `nucleus proxy --stdio`, driven over its real stdio by a small client
written here from the JSON-RPC 2.0 and MCP specifications (the SDK client test in
tests/proxy/sdk/ checks interoperability separately).  TAP output.

Usage: mcp_protocol.py NUCLEUS"""
import json, os, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402
from tap import ok, done  # noqa: E402
from mcp import Client  # noqa: E402

NUCLEUS = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="nc-mcp-")
ENV = dict(os.environ, NUCLEUS_STATE_DIR=TMP + "/state", NUCLEUS_RUNTIME_DIR=TMP + "/run",
           ASAN_OPTIONS="detect_leaks=0:" + os.environ.get("ASAN_OPTIONS", ""))
tap.DETAIL_LINES = 20


POLICY = """apiVersion: nucleus/v1
kind: Policy
metadata:
  name: {name}
spec:
  capabilities:
    read_files: always
    write_files: low_risk
    edit_files: low_risk
    run_bash: low_risk
    glob_search: always
    grep_search: always
    web_search: never
    web_fetch: never
    git_commit: low_risk
    git_push: never
    create_pr: never
  approvals: [{approvals}]
  paths:
    allow: unrestricted
    deny: [".env", "secrets"]
    read_only: []
    untrusted: []
  commands:
    allow: [sleep, echo, cat, "true", "false", ls]
    deny: []
  network:
    allow: []
  budget:
    max_usd: "{budget}"
  limits:
    timeout_seconds: 600
    max_processes: 64
    memory_mib: 1024
"""


def policy(name, approvals="", budget="10"):
    path = f"{TMP}/{name}.yaml"
    with open(path, "w") as f:
        f.write(POLICY.format(name=name, approvals=approvals, budget=budget))
    return path


class Proxy(Client):
    def __init__(self, *args, pod=None):
        self.ws = tempfile.mkdtemp(dir=TMP, prefix="ws-")
        self.pod = pod or "t%d" % (int(time.time() * 1000) % 10**9)
        self.audit = f"{TMP}/{self.pod}.jsonl"
        super().__init__([NUCLEUS, "proxy", "--stdio", "--workspace", self.ws, "--pod-id",
                          self.pod, "--audit", self.audit] + list(args), env=ENV, timeout=20)

    def init(self, version="2025-11-25"):
        return self.initialize(version, rid=0)

    def tool(self, rid, name, args, meta=None, timeout=60):
        """Every call here names its id: the audit records are checked by request id."""
        return super().tool(name, args, rid=rid, meta=meta, timeout=timeout)

    def close(self, timeout=30):
        return super().close(timeout, kill=True)


def text(resp):
    try:
        return resp["result"]["content"][0]["text"]
    except (KeyError, TypeError, IndexError):
        return ""


def is_error(resp):
    return bool(resp and resp.get("result", {}).get("isError"))


def code(resp):
    return resp and resp.get("error", {}).get("code")


def nucleus(*args):
    return subprocess.run([NUCLEUS] + list(args), capture_output=True, text=True, env=ENV,
                          timeout=30)


def verify(audit):
    return nucleus("audit", "verify", "--key", TMP + "/state/audit.key", audit)


def records(audit):
    with open(audit) as f:
        return [json.loads(l) for l in f if l.strip()]


# ---- protocol ------------------------------------------------------------------------------
px = Proxy("--policy", policy("proto"))
r = px.call({"jsonrpc": "2.0", "id": "p0", "method": "ping"})
ok(r and r.get("result") == {}, "ping is answered before initialize", r)
r = px.call({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
ok(code(r) == -32002, "tools/list before initialize is refused (-32002)", r)
r = px.init("2025-11-25")
ok(r and r["result"]["protocolVersion"] == "2025-11-25", "initialize: 2025-11-25 accepted", r)
ok(r and r["result"]["capabilities"].get("tools") == {"listChanged": False},
   "initialize: tools capability announced", r)
px.send({"jsonrpc": "2.0", "id": "old", "method": "tools/call",
         "params": {"name": "run", "arguments": {"argv": ["sleep", "2"]}}})
time.sleep(0.3)
r = px.call({"jsonrpc": "2.0", "id": 2, "method": "initialize",
             "params": {"protocolVersion": "2025-11-25"}})
stale = px.recv("old", timeout=4)
ok(r and "result" in r and stale is None,
   "a second initialize starts over: the previous client's calls are cancelled", (r, stale))
px.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

px.send_raw(b'{"jsonrpc":"2.0","id":3,"method":\n')
r = px.recv()
ok(code(r) == -32700 and r.get("id") is None, "malformed JSON: parse error with id null", r)
r = px.call({"jsonrpc": "1.0", "id": 4, "method": "ping"})
ok(code(r) == -32600 and r.get("id") == 4, "wrong jsonrpc version: invalid request, id kept", r)
px.send_raw(b'[{"jsonrpc":"2.0","id":5,"method":"ping"}]\n')
r = px.recv()
ok(code(r) == -32600, "a batch is an invalid request (MCP has no batches)", r)
r = px.call({"jsonrpc": "2.0", "id": 6, "method": "no/such"})
ok(code(r) == -32601, "unknown method: -32601", r)
r = px.call({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": [1]})
ok(code(r) == -32602, "params that are not an object: -32602", r)
px.send_raw(b'{"jsonrpc":"2.0","id":8,"id":9,"method":"ping"}\n')
r = px.recv()
ok(code(r) == -32700, "duplicate keys are refused", r)
px.send_raw(b'{"jsonrpc":"2.0","id":10,"method":"ping","params":{"a":' + b"[" * 200 +
            b"]" * 200 + b"}}\n")
r = px.recv()
ok(code(r) == -32600 and r.get("id") is None, "nesting deeper than 64 is refused before parsing",
   r)
px.send_raw(b'{"jsonrpc":"2.0","id":11,"method":"ping","params":{"pad":"' +
            b"x" * (5 << 20) + b'"}}\n')
r = px.recv(timeout=60)
ok(code(r) == -32600 and "too large" in r["error"]["message"],
   "a 5 MiB message is refused as too large", r)
r = px.call({"jsonrpc": "2.0", "id": 12, "method": "ping"})
ok(r and r.get("result") == {}, "the server keeps serving after every bad message", r)
r = px.call({"jsonrpc": "2.0", "id": 13, "method": "tools/call",
             "params": {"name": "no_such_tool", "arguments": {}}})
ok(code(r) == -32602, "unknown tool: -32602", r)
r = px.call({"jsonrpc": "2.0", "id": 14, "method": "tools/list"})
names = [t["name"] for t in r["result"]["tools"]] if r and "result" in r else []
ok(names == ["read", "write", "edit", "glob", "grep", "run", "git_commit"],
   "tools/list offers every enabled tool", names)
ok(all(t["inputSchema"].get("type") == "object" for t in r["result"]["tools"]),
   "every tool has an object input schema", r)
r = px.tool(15, "run", {"argv": ["echo", "hello"]})
ok(r and not is_error(r) and r["result"]["structuredContent"]["stdout"] == "hello\n",
   "run: echo in a nested pod", r)
r = px.tool(16, "run", {"argv": ["rm", "-rf", "/"]})
ok(is_error(r) and text(r).startswith("command_not_allowed"),
   "run: a command outside commands.allow is refused", r)
r = px.tool(17, "run", {"argv": []})
ok(is_error(r) and text(r).startswith("validation_error"), "run: empty argv is a validation error",
   r)
r = px.tool(18, "run", {"argv": ["echo"], "bogus": 1})
ok(is_error(r) and "bogus" in text(r), "run: unknown arguments are refused by name", r)
r = px.tool(19, "run", {"argv": ["false"]})
ok(r and not is_error(r) and r["result"]["structuredContent"]["exit_code"] == 1,
   "run: a failing command reports its exit code", r)
r = px.tool(20, "run", {"argv": ["cat"], "stdin": "from stdin"})
ok(r and r["result"]["structuredContent"]["stdout"] == "from stdin", "run: stdin reaches the command",
   r)

# concurrency: a slow run does not block a quick call
px.send({"jsonrpc": "2.0", "id": "slow", "method": "tools/call",
         "params": {"name": "run", "arguments": {"argv": ["sleep", "3"]}}})
time.sleep(0.3)
t0 = time.time()
r = px.tool("quick", "run", {"argv": ["echo", "quick"]})
quick_done = time.time() - t0
slow = px.recv("slow", timeout=30)
ok(r and not is_error(r) and quick_done < 2.5 and slow is not None,
   "a slow run does not block another call (answered in %.1fs)" % quick_done, (r, slow))

# progress
r = px.tool(21, "run", {"argv": ["sleep", "2.5"]}, meta={"progressToken": "tok-1"})
prog = [m for m in px.pending if m.get("method") == "notifications/progress"]
px.pending = [m for m in px.pending if m.get("method") != "notifications/progress"]
vals = [m["params"]["progress"] for m in prog]
ok(r and not is_error(r) and len(prog) >= 1 and
   all(m["params"]["progressToken"] == "tok-1" for m in prog) and vals == sorted(set(vals)),
   "progress notifications carry the token and increase", prog)

# cancellation: no response, the pod is gone
px.send({"jsonrpc": "2.0", "id": "long", "method": "tools/call",
         "params": {"name": "run", "arguments": {"argv": ["sleep", "127"]}}})
time.sleep(1.0)
px.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
         "params": {"requestId": "long", "reason": "test"}})
r = px.recv("long", timeout=6)
ok(r is None, "a cancelled call gets no response", r)
gone = False
for _ in range(50):
    ps = subprocess.run(["pgrep", "-f", "sleep 127"], capture_output=True)
    if ps.returncode != 0:
        gone = True
        break
    time.sleep(0.2)
ok(gone, "cancellation kills the command's pod")
r = px.call({"jsonrpc": "2.0", "id": 22, "method": "ping"})
ok(r and r.get("result") == {}, "the server serves on after a cancellation", r)
rc = px.close()
ok(rc == 0, "end of input: the proxy exits 0", px.err)
v = verify(px.audit)
ok(v.returncode == 0, "the audit log verifies with its key", v.stdout + v.stderr)
recs = records(px.audit)
calls = {str(x) for x in [15, 16, 17, 18, 19, 20, 21, "slow", "quick", "long"]}
seen = {r.get("request_id") for r in recs if r.get("type") == "event"}
ok(calls <= seen, "every tools/call left an audit record", sorted(calls - seen))
ok(any(r.get("operation") == "tools/call" and r.get("outcome") == "invalid" for r in recs),
   "the unknown-tool probe is audited", "")
ops = [(r.get("operation"), r.get("outcome"), r.get("reason")) for r in recs]
ok(("initialize", "info", "request") in ops and ("tools/list", "info", "request") in ops and
   ("jsonrpc", "invalid", "parse error") in ops and
   ("jsonrpc", "invalid", "message too large") in ops and
   ("notifications/cancelled", "info", "cancellation requested") in ops,
   "protocol requests and refused messages are audited too", ops)

# ---- approvals -----------------------------------------------------------------------------
px = Proxy("--policy", policy("appr", approvals="run_bash"), "--approval-wait", "0")
px.init()
r = px.tool(1, "run", {"argv": ["echo", "approved"]})
sc = r["result"].get("structuredContent", {}) if r else {}
aid = sc.get("approval_id")
ok(is_error(r) and sc.get("error") == "approval_required" and aid,
   "an obligated operation returns approval_required with an id", r)
lst = nucleus("approvals", "--json")
pend = json.loads(lst.stdout)["pending"] if lst.returncode == 0 else []
ok(any(p["id"] == aid and p["operation"] == "run_bash" and "echo approved" in p["summary"]
       for p in pend), "nucleus approvals lists it with the exact command", lst.stdout + lst.stderr)
r = px.tool(2, "run", {"argv": ["echo", "approved"]})
ok(is_error(r) and r["result"]["structuredContent"].get("approval_id") == aid,
   "repeating before the decision names the same id", r)
a = nucleus("approve", aid)
ok(a.returncode == 0, "nucleus approve ID", a.stdout + a.stderr)
a2 = nucleus("approve", aid)
ok(a2.returncode != 0, "approving twice fails", a2.stdout + a2.stderr)
r = px.tool(3, "run", {"argv": ["echo", "other"]})
ok(is_error(r) and r["result"]["structuredContent"].get("approval_id") not in (None, aid),
   "the approval does not cover other arguments", r)
r = px.tool(4, "run", {"argv": ["echo", "approved"]})
ok(r and not is_error(r) and r["result"]["structuredContent"]["stdout"] == "approved\n",
   "the approved call runs once repeated", r)
r = px.tool(5, "run", {"argv": ["echo", "approved"]})
ok(is_error(r) and r["result"]["structuredContent"].get("error") == "approval_required",
   "the approval is used up: the next identical call asks again", r)
aid2 = r["result"]["structuredContent"].get("approval_id")
d = nucleus("deny", aid2)
r = px.tool(6, "run", {"argv": ["echo", "approved"]})
ok(d.returncode == 0 and is_error(r) and
   r["result"]["structuredContent"].get("error") == "approval_denied",
   "a denied call fails with approval_denied", (d.stdout + d.stderr, r))
# tokens presented by the client
r = px.tool(7, "run", {"argv": ["echo", "tok"]})
aid3 = r["result"]["structuredContent"].get("approval_id")
a = nucleus("approve", aid3, "--print-token")
token = a.stdout.strip().splitlines()[-1] if a.returncode == 0 else ""
forged = token[:-1] + ("0" if token[-1:] != "0" else "1")
r = px.tool(8, "run", {"argv": ["echo", "tok"]}, meta={"nucleus/approvalToken": forged})
ok(is_error(r) and r["result"]["structuredContent"].get("error") == "invalid_approval" and
   "forged" in text(r), "a forged token is refused", r)
r = px.tool(9, "run", {"argv": ["echo", "other"]}, meta={"nucleus/approvalToken": token})
ok(is_error(r) and "wrong_arguments" in text(r), "a token for other arguments is refused", r)
r = px.tool(10, "run", {"argv": ["echo", "tok"]}, meta={"nucleus/approvalToken": token})
ok(r and not is_error(r), "the genuine token admits exactly its call", r)
r = px.tool(11, "run", {"argv": ["echo", "tok"]}, meta={"nucleus/approvalToken": token})
ok(is_error(r) and "replayed" in text(r), "a replayed token is refused", r)
rc = px.close()
recs = records(px.audit)
reasons = [(r.get("operation"), r.get("outcome"), r.get("reason")) for r in recs]
ok(any(o == "approval.consume" and out == "rejected" and rs == "forged" for o, out, rs in reasons)
   and any(rs == "replayed" for _, _, rs in reasons) and
   any(o == "approval.approve" and out == "approved" for o, out, _ in reasons) and
   any(o == "approval.deny" for o, _, _ in reasons),
   "approvals, denials and refused tokens are audited", reasons)
v = verify(px.audit)
ok(v.returncode == 0, "the approvals audit log verifies", v.stdout + v.stderr)

# waiting for the decision
px = Proxy("--policy", policy("wait", approvals="run_bash"), "--approval-wait", "30")
px.init()
px.send({"jsonrpc": "2.0", "id": "w", "method": "tools/call",
         "params": {"name": "run", "arguments": {"argv": ["echo", "waited"]},
                    "_meta": {"progressToken": 5}}})
aid = None
for _ in range(50):
    lst = nucleus("approvals", "--json")
    pend = json.loads(lst.stdout)["pending"] if lst.returncode == 0 else []
    mine = [p for p in pend if p["pod"] == px.pod]
    if mine:
        aid = mine[0]["id"]
        break
    time.sleep(0.2)
a = nucleus("approve", aid or "none")
r = px.recv("w", timeout=20)
ok(aid and a.returncode == 0 and r and not is_error(r) and
   r["result"]["structuredContent"]["stdout"] == "waited\n",
   "a waiting call proceeds once approved from another process", (a.stderr, r))
# signal: cancels and closes the log
px.send({"jsonrpc": "2.0", "id": "w2", "method": "tools/call",
         "params": {"name": "run", "arguments": {"argv": ["echo", "never"]}}})
time.sleep(0.5)
px.p.send_signal(signal.SIGTERM)
rc = px.close()
ok(rc == 0, "SIGTERM ends the session cleanly", px.err)
v = verify(px.audit)
ok(v.returncode == 0, "the log ends with its closing checkpoint and verifies after SIGTERM", v.stdout + v.stderr)
lst = nucleus("approvals", "--json")
ok(lst.returncode == 0 and all(p["pod"] != px.pod for p in json.loads(lst.stdout)["pending"]),
   "a finished pod leaves nothing pending behind", lst.stdout)
ok(not os.path.exists(f"{TMP}/run/pods/{px.pod}"), "the pod's runtime directory is removed")

# ---- a command counts as untrusted content when untrusted paths exist -----------------------
upol = policy("untr").replace(".yaml", "-u.yaml")
with open(policy("untr")) as f:
    body = f.read().replace("untrusted: []", 'untrusted: ["inbox"]')
with open(upol, "w") as f:
    f.write(body)
px = Proxy("--policy", upol, "--approval-wait", "0")
px.init()
r1 = px.tool(1, "run", {"argv": ["echo", "one"]})
r2 = px.tool(2, "run", {"argv": ["echo", "two"]})
ok(r1 and not is_error(r1) and r2 and not is_error(r2),
   "runs alone never complete the triple", (r1, r2))
r3 = px.tool(3, "read", {"path": "x"})
r4 = px.tool(4, "run", {"argv": ["echo", "three"]})
ok(is_error(r4) and r4["result"]["structuredContent"].get("reason") == "session_exposure",
   "after a private read, a run needs approval: earlier runs could read the untrusted paths",
   (r3, r4))
px.close()

# ---- budget ----------------------------------------------------------------------------------
px = Proxy("--policy", policy("poor", budget="0.002"), "--cost", "command_base=0.001",
           "--cost", "command_per_second=0")
px.init()
r1 = px.tool(1, "run", {"argv": ["true"]})
r2 = px.tool(2, "run", {"argv": ["true"]})
r3 = px.tool(3, "run", {"argv": ["true"]})
ok(r1 and not is_error(r1) and r2 and not is_error(r2) and is_error(r3) and
   r3["result"]["structuredContent"]["error"] == "budget_exhausted",
   "the budget admits exactly what it covers, then budget_exhausted", (r1, r2, r3))
px.close()

shutil.rmtree(TMP, ignore_errors=True)
done()
