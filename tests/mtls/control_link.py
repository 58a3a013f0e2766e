#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The control link (RUNTIME/pods/POD/control.sock: `nucleus approvals`, `approve`, `deny`,
`ps`, `identity --pod`) from the attacker's side, against the orchestrator of `nucleus run` and
a standalone `nucleus proxy`: a plaintext client, a TLS client without a certificate, the CLI's
SPIFFE ID from another CA, an expired CLI SVID, another user's CLI ID and the pod's own bridge
SVID are all refused, audited with the reason and the identity they tried, and the approve
they carried does not happen; the same harness with the real CLI SVID gets through (so the
refusals are not an artefact of the harness); the real CLI approves; a fake server on a pod's
socket that presents a valid SVID with the wrong ID, or the right ID from another CA, never
receives the CLI's request; `nucleus identity --pod` shows each pod's SPIFFE IDs, expiry and
chain.  TAP output.  Usage: control_link.py NUCLEUS MTLS_MINT"""
import fcntl, json, os, signal, socket, ssl, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402
from tap import ok  # noqa: E402

NUCLEUS, MINT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run", "agent.py")
TMP = tempfile.mkdtemp(prefix="nc-ctl-")
os.chmod(TMP, 0o700)
STATE, RUN = TMP + "/state", TMP + "/run"
ENV = dict(os.environ, NUCLEUS_STATE_DIR=STATE, NUCLEUS_RUNTIME_DIR=RUN,
           ASAN_OPTIONS="detect_leaks=0")
UID = os.geteuid()
TD = "nucleus.local"
CLI_ID = f"spiffe://{TD}/ns/cli/sa/uid-{UID}"
CLI_DIR = STATE + "/identity/cli"


def done():
    subprocess.run(["rm", "-rf", TMP])
    tap.done()


POLICY = """apiVersion: nucleus/v1
kind: Policy
metadata:
  name: ctltest
spec:
  capabilities:
    read_files: always
    write_files: never
    edit_files: never
    run_bash: low_risk
    glob_search: always
    grep_search: always
    web_search: never
    web_fetch: never
    git_commit: never
    git_push: never
    create_pr: never
  approvals: [run_bash]
  paths:
    allow: unrestricted
    deny: []
    read_only: []
    untrusted: []
  commands:
    allow: [echo]
    deny: []
  network:
    allow: []
  budget:
    max_usd: "5"
  limits:
    timeout_seconds: 600
    max_processes: 256
    memory_mib: 1024
"""
with open(TMP + "/policy.yaml", "w") as f:
    f.write(POLICY)
WS = TMP + "/ws"
os.makedirs(WS)


def nucleus(*args, timeout=60):
    return subprocess.run([NUCLEUS, *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout)


def wait_for(pred, secs=60):
    end = time.time() + secs
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def agent_env(pod):
    return dict(ENV, NUCLEUS_POD=pod, NUCLEUS_MCP_CONFIG=f"{RUN}/pods/{pod}/mcp.json")


def call_run(pod, word):
    r = subprocess.run(["python3", AGENT, NUCLEUS, "call", "run",
                        json.dumps({"argv": ["echo", word]})], env=agent_env(pod),
                       capture_output=True, text=True, timeout=120)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"raw": r.stdout + r.stderr}


def pending(pod):
    r = nucleus("approvals", "--json")
    if r.returncode != 0:
        return None
    return {p["id"]: p for p in json.loads(r.stdout)["pending"] if p["pod"] == pod}


def control(pod, wrap, request):
    """Connects to the pod's control socket as an attacker would, sends one JSON request
    (through wrap: plaintext or TLS), returns whatever comes back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(f"{RUN}/pods/{pod}/control.sock")
    got = b""
    try:
        s = wrap(s)
        s.sendall(json.dumps(request).encode() + b"\n")
        while b"\n" not in got:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except (ssl.SSLError, OSError):
        pass
    s.close()
    return got


def plain(s):
    return s


def tls(cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return lambda s: ctx.wrap_socket(s)


def audit_refusals(log):
    out = []
    if os.path.exists(log):
        for line in open(log):
            r = json.loads(line)
            if r.get("operation") == "auth.mtls" and r["params"].get("link") == "cli->control":
                out.append(r)
    return out


def mint(kind, spiffe_id, name):
    out = f"{TMP}/{name}"
    os.makedirs(out, exist_ok=True)
    r = subprocess.run([MINT, STATE, out, kind, spiffe_id], capture_output=True, text=True)
    return (out + "/svid.pem", out + "/svid_key.pem") if r.returncode == 0 else (None, None)


def foreign(spiffe_id, name):
    """A well-formed SVID for spiffe_id from a CA nucleus does not trust."""
    d = f"{TMP}/{name}"
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ, NUCLEUS_STATE_DIR=d + "/state")
    subprocess.run([NUCLEUS, "ca", "init", "--state-dir", d + "/state"], capture_output=True,
                   env=env)
    subprocess.run([NUCLEUS, "ca", "issue", "--state-dir", d + "/state", "--id", spiffe_id,
                    "--out-dir", d], capture_output=True, env=env)
    return d + "/svid.pem", d + "/svid_key.pem"


# ---- nucleus run: a pending approval, then every attack on it ---------------------------------
orch = subprocess.Popen([NUCLEUS, "run", "--policy", TMP + "/policy.yaml", "--workspace", WS,
                         "--pod-id", "ctl", "--approval-wait", "0", "--quiet"], env=ENV,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
if not wait_for(lambda: os.path.exists(f"{RUN}/pods/ctl/mcp.sock")):
    orch.kill()
    ok(False, "nucleus run starts", orch.communicate()[1])
    done()
res = call_run("ctl", "approved")
aid = res.get("structuredContent", {}).get("approval_id")
ok(aid and res.get("structuredContent", {}).get("error") == "approval_required",
   "an obligated call is parked with an approval id", res)
aid = aid or "none"
ok(aid in (pending("ctl") or {}), "the real CLI lists it over mutual TLS (nucleus approvals)",
   nucleus("approvals", "--json"))
APPROVE = {"op": "approve", "id": aid, "ttl": 300}

got = control("ctl", plain, APPROVE)
ok(b"{" not in got and aid in (pending("ctl") or {}),
   "a plaintext client gets nothing and its approve does not happen", got[:200])
got = control("ctl", tls(), APPROVE)
ok(b"{" not in got and aid in (pending("ctl") or {}),
   "a TLS client without a certificate is refused; no approve", got[:200])
fc, fk = foreign(CLI_ID, "foreign")
got = control("ctl", tls(fc, fk), APPROVE)
ok(os.path.exists(fc) and b"{" not in got and aid in (pending("ctl") or {}),
   "the CLI's exact SPIFFE ID from another CA is refused; no approve", got[:200])
ec, ek = mint("expired", CLI_ID, "expired")
got = control("ctl", tls(ec, ek), APPROVE)
ok(ec and b"{" not in got and aid in (pending("ctl") or {}),
   "an expired CLI SVID from the right CA is refused; no approve", got[:200])
OTHER_ID = f"spiffe://{TD}/ns/cli/sa/uid-{UID + 4242}"
oc, ok_ = mint("good", OTHER_ID, "other-user")
got = control("ctl", tls(oc, ok_), APPROVE)
ok(oc and b"{" not in got and aid in (pending("ctl") or {}),
   "another user's CLI identity (right CA) is refused; no approve", got[:200])
BRIDGE_DIR = f"{RUN}/pods/ctl/bridge"
got = control("ctl", tls(BRIDGE_DIR + "/svid.pem", BRIDGE_DIR + "/svid_key.pem"), APPROVE)
ok(b"{" not in got and aid in (pending("ctl") or {}),
   "the pod's own bridge SVID (valid, wrong SPIFFE ID) is refused on the control link; "
   "no approve", got[:200])
PC, PK = f"{TMP}/pod-svid/svid.pem", f"{TMP}/pod-svid/svid_key.pem"
os.makedirs(f"{TMP}/pod-svid")
subprocess.run([NUCLEUS, "ca", "issue", "--state-dir", STATE, "--id",
                f"spiffe://{TD}/ns/pods/sa/ctl", "--out-dir", f"{TMP}/pod-svid"],
               capture_output=True, env=ENV)
got = control("ctl", tls(PC, PK), APPROVE)
ok(os.path.exists(PC) and b"{" not in got and aid in (pending("ctl") or {}),
   "a pod SVID of the same CA is refused on the control link; no approve", got[:200])

# Defence in depth: another uid that holds a stolen copy of the CLI's SVID and key, and finds
# the socket reachable (the 0700 directories opened for the test), is refused by the kernel's
# peer credentials before any TLS.
STOLEN_CHILD = r"""
import socket, ssl, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(15)
s.connect(sys.argv[1])
print("CONNECTED", flush=True)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
got = b""
try:
    t = ctx.wrap_socket(s)
    t.sendall(sys.argv[4].encode() + b"\n")
    got = t.recv(65536)
except (ssl.SSLError, OSError):
    pass
print("GOT", got)
"""
if UID == 0:
    import shutil
    sd = f"{TMP}/stolen"
    os.makedirs(sd)
    shutil.copy(CLI_DIR + "/svid.pem", sd)
    shutil.copy(CLI_DIR + "/svid_key.pem", sd)
    os.chmod(sd, 0o755)
    os.chmod(sd + "/svid_key.pem", 0o644)
    sock = f"{RUN}/pods/ctl/control.sock"
    opened = [TMP, RUN, RUN + "/pods", RUN + "/pods/ctl", sock]
    saved = [(p_, os.stat(p_).st_mode & 0o7777) for p_ in opened]
    try:
        for p_ in opened[:-1]:
            os.chmod(p_, 0o711)
        os.chmod(sock, 0o777)

        def drop():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)

        r = subprocess.run(["python3", "-c", STOLEN_CHILD, sock, sd + "/svid.pem",
                            sd + "/svid_key.pem", json.dumps(APPROVE)], preexec_fn=drop,
                           capture_output=True, text=True, timeout=60)
    finally:
        for p_, m in saved:
            os.chmod(p_, m)
    ok("CONNECTED" in r.stdout and "GOT b''" in r.stdout and aid in (pending("ctl") or {}),
       "another uid with the CLI's stolen SVID is refused by SO_PEERCRED; no approve",
       r.stdout + r.stderr)
else:
    ok(True, "another uid with the CLI's stolen SVID # SKIP needs root to switch uid")
ok(pending("ctl").get(aid, {}).get("state") == "pending",
   "after every refused attempt the request is still pending", pending("ctl"))

# Positive control: the same harness with the CLI's real SVID gets an answer (so the refusals
# above come from the server, not from the harness).
got = control("ctl", tls(CLI_DIR + "/svid.pem", CLI_DIR + "/svid_key.pem"), {"op": "list"})
ok(b'"ok": true' in got or b'"ok":true' in got,
   "the harness with the CLI's own SVID gets a reply", got[:300])

a = nucleus("approve", aid)
ok(a.returncode == 0 and "approved" in a.stdout, "the real CLI approves (nucleus approve ID)",
   a.stdout + a.stderr)
res = call_run("ctl", "approved")
ok(res.get("structuredContent", {}).get("stdout") == "approved\n",
   "the approved call runs once repeated", res)
res = call_run("ctl", "denied-one")
did = res.get("structuredContent", {}).get("approval_id") or "none"
d = nucleus("deny", did)
ok(d.returncode == 0 and did not in (pending("ctl") or {}), "the real CLI denies (nucleus deny ID)",
   d.stdout + d.stderr)

# nucleus identity --pod: the pod's identities on both links.
r = nucleus("identity", "--pod", "ctl", "--json")
try:
    ident = json.loads(r.stdout)
except ValueError:
    ident = {}
ids = {i.get("link"): i for i in ident.get("identities", [])}
srv, br = ids.get("cli->control", {}), ids.get("bridge->orchestrator", {})
ok(r.returncode == 0 and srv.get("spiffe_id") == f"spiffe://{TD}/ns/system/sa/orchestrator" and
   srv.get("valid") and br.get("spiffe_id") == f"spiffe://{TD}/ns/bridge/sa/ctl" and
   br.get("valid") and br.get("key_checked"),
   "nucleus identity --pod: the orchestrator's and the bridge's SPIFFE IDs, both valid",
   r.stdout + r.stderr)
now = time.time()
ok(all(i.get("not_after", 0) > now and i["not_after"] - i["not_before"] <= 3600 + 60 and
       [c["role"] for c in i.get("chain", [])] == ["leaf", "root"] and
       i["chain"][1].get("uri") == f"spiffe://{TD}" for i in (srv, br)),
   "nucleus identity --pod: expiry within the 1 h TTL and the chain up to the root", ident)
t = nucleus("identity", "--pod", "ctl")
ok(t.returncode == 0 and "SPIFFE ID:   spiffe://nucleus.local/ns/system/sa/orchestrator" in t.stdout
   and "SPIFFE ID:   spiffe://nucleus.local/ns/bridge/sa/ctl" in t.stdout and
   "not after:" in t.stdout and "chain:" in t.stdout, "nucleus identity --pod, as text",
   t.stdout + t.stderr)
r = nucleus("identity", "--pod", "nosuchpod")
ok(r.returncode == 1 and "no such pod" in r.stderr, "nucleus identity --pod of no pod fails",
   r.stdout + r.stderr)

orch.send_signal(signal.SIGTERM)
orch.communicate(timeout=60)
refused = audit_refusals(f"{STATE}/audit/ctl.jsonl")
reasons = [(x["params"]["reason"], x["principal"]) for x in refused]
ok(len(refused) >= 7 and all(x["outcome"] == "denied" for x in refused) and
   ("protocol", "") in reasons and ("no_certificate", "") in reasons and
   ("untrusted", CLI_ID) in reasons and ("expired", CLI_ID) in reasons and
   ("unauthorized", OTHER_ID) in reasons and
   ("unauthorized", f"spiffe://{TD}/ns/bridge/sa/ctl") in reasons and
   ("unauthorized", f"spiffe://{TD}/ns/pods/sa/ctl") in reasons,
   "every refusal is audited with its reason and the identity it tried", reasons)
approvals = [json.loads(l) for l in open(f"{STATE}/audit/ctl.jsonl")
             if '"approval.approve"' in l]
ok(UID != 0 or any(x["params"]["reason"] == "unauthorized" and x["principal"] == "" and
                   "uid=65534" in x["params"]["peer_addr"] for x in refused),
   "the peer-credential refusal is audited with the connecting uid", reasons)
ok(len(approvals) == 1 and approvals[0]["principal"] == CLI_ID,
   "exactly one approve happened, by the CLI's SPIFFE ID", approvals)
v = subprocess.run([NUCLEUS, "audit", "verify", "--key", STATE + "/audit.key",
                    f"{STATE}/audit/ctl.jsonl"], capture_output=True, text=True, env=ENV)
ok(v.returncode == 0, "the session's audit log verifies", v.stdout + v.stderr)

# ---- a standalone proxy: the same link, its own identity --------------------------------------
px = subprocess.Popen([NUCLEUS, "proxy", "--stdio", "--workspace", WS, "--pod-id", "solo",
                       "--policy", TMP + "/policy.yaml", "--approval-wait", "0"],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      env=ENV)
wait_for(lambda: os.path.exists(f"{RUN}/pods/solo/control.sock"))
got = control("solo", plain, {"op": "list"})
ok(b"{" not in got, "standalone proxy: a plaintext client gets nothing", got[:200])
got = control("solo", tls(BRIDGE_DIR + "/svid.pem", BRIDGE_DIR + "/svid_key.pem")
              if os.path.exists(BRIDGE_DIR) else tls(PC, PK), {"op": "list"})
ok(b"{" not in got, "standalone proxy: a pod SVID of the same CA is refused", got[:200])
r = nucleus("ps", "--json")
ok(r.returncode == 0 and "solo" in [p["pod"] for p in json.loads(r.stdout or '{"pods":[]}')["pods"]],
   "standalone proxy: nucleus ps reaches it over mutual TLS", r.stdout + r.stderr)
r = nucleus("identity", "--pod", "solo", "--json")
try:
    ident = json.loads(r.stdout)
except ValueError:
    ident = {}
ok(r.returncode == 0 and [i.get("spiffe_id") for i in ident.get("identities", [])] ==
   [f"spiffe://{TD}/ns/system/sa/proxy"], "nucleus identity --pod of a standalone proxy: "
   "spiffe://TD/ns/system/sa/proxy, no bridge", r.stdout + r.stderr)
px.stdin.close()
px.wait(timeout=60)
refused = audit_refusals(f"{STATE}/audit/solo.jsonl")
ok(len(refused) >= 2, "standalone proxy: the refusals are in its audit log", refused)

# ---- the CLI's side: it authorizes the server ---------------------------------------------------


def fake_pod(pod, cert, key):
    """A pod directory whose lock is held and whose control.sock is a TLS server presenting
    cert; returns (thread, received bytes list, lock fd)."""
    d = f"{RUN}/pods/{pod}"
    os.makedirs(d, mode=0o700)
    lk = os.open(d + "/control.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lk, fcntl.LOCK_EX)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(d + "/control.sock")
    srv.listen(4)
    srv.settimeout(30)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(CLI_DIR + "/bundle.pem")
    got = []

    def serve():
        try:
            c, _ = srv.accept()
        except OSError:
            return
        c.settimeout(10)
        try:
            t = ctx.wrap_socket(c, server_side=True)
            got.append(t.recv(65536))
        except (ssl.SSLError, OSError) as e:
            got.append(repr(e).encode())
        c.close()

    th = threading.Thread(target=serve)
    th.start()
    return th, got, lk, srv


for pod, (cert, key), what in (
        ("fakebr", (PC, PK), "a valid pod SVID of the same CA (wrong SPIFFE ID)"),
        ("fakeca", foreign(f"spiffe://{TD}/ns/system/sa/orchestrator", "foreign-orch"),
         "the orchestrator's SPIFFE ID from another CA")):
    th, got, lk, srv = fake_pod(pod, cert, key)
    a = nucleus("approve", "ab" * 8, "--pod", pod)
    th.join(30)
    ok(a.returncode == 1 and not any(b'"op"' in g for g in got),
       f"the CLI refuses a server presenting {what}: its request is never sent",
       (a.stdout + a.stderr, got))
    srv.close()
    os.close(lk)

done()
