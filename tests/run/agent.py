#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A scripted agent for the `nucleus run` tests: an MCP client that reaches the pod through
`nucleus mcp --pod $NUCLEUS_POD`, as a real agent configured by nucleus run would.

Usage: agent.py NUCLEUS SCRIPT [ARGS...]
  scenario        read private data, ingest untrusted content, try to exfiltrate (approval
                  required), have it approved with `nucleus approve`, proceed; exit 0 if all
                  of that happened as expected
  call TOOL JSON  one tool call, the result printed as JSON
  hold SECONDS    start a `run sleep` call and keep it in flight (for kill tests)
  read PATH       read a file, print the result"""
import json, os, subprocess, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from mcp import Client  # noqa: E402

NUCLEUS, SCRIPT = sys.argv[1], sys.argv[2]
pod = os.environ["NUCLEUS_POD"]
assert os.path.exists(os.environ["NUCLEUS_MCP_CONFIG"]), "no MCP configuration written"
conf = json.load(open(os.environ["NUCLEUS_MCP_CONFIG"]))["mcpServers"]["nucleus"]
# The callers bound every run of the agent; the client waits longer than any of them.
c = Client([conf["command"]] + conf["args"], stderr=None, timeout=3600)


def answered(m):
    if m is None:
        raise SystemExit("agent: the server closed the connection")
    return m


def tool(name, args):
    return answered(c.tool(name, args))["result"]


def kind(res):
    return res.get("structuredContent", {}).get("error") if res.get("isError") else None


r = answered(c.initialize(client="scripted-agent"))
assert r["result"]["serverInfo"]["name"] == "nucleus", r

if SCRIPT == "scenario":
    steps = []
    res = tool("read", {"path": "notes.txt"})
    steps.append(("read private", kind(res) is None))
    res = tool("read", {"path": "inbox/issue.md"})
    steps.append(("read untrusted", kind(res) is None))
    exfil = {"argv": ["cat", "notes.txt"]}
    res = tool("run", exfil)
    aid = res.get("structuredContent", {}).get("approval_id")
    steps.append(("exfiltration parked", kind(res) == "approval_required" and aid))
    ok = subprocess.run([NUCLEUS, "approve", aid or "-"], capture_output=True).returncode == 0
    steps.append(("approved from outside", ok))
    res = tool("run", exfil)
    steps.append(("proceeds once approved",
                  kind(res) is None and "secret plans" in res["structuredContent"]["stdout"]))
    res = tool("run", exfil)
    steps.append(("needs approval again", kind(res) == "approval_required"))
    res = tool("read", {"path": "/etc/passwd"})
    steps.append(("host files unreachable", kind(res) is not None))
    for name, good in steps:
        print(("ok " if good else "FAILED ") + name, flush=True)
    sys.exit(0 if all(g for _, g in steps) else 1)
elif SCRIPT == "call":
    print(json.dumps(tool(sys.argv[3], json.loads(sys.argv[4]))), flush=True)
elif SCRIPT == "hold":
    c.send({"jsonrpc": "2.0", "id": c.last_id + 1, "method": "tools/call",
            "params": {"name": "run", "arguments": {"argv": ["sleep", sys.argv[3]]}}})
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]) + 5)
c.close(10)
