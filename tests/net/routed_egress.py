#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Routed egress (nucleus exec --net=routed, docs/design/0012-routed-egress.md) from the inside
and the outside: a plain program that ignores proxies reaches the allowlisted endpoint and
nothing else, DNS answers only allowlisted names (whatever server is asked), IPv6 is off; a
rule added to the pod's table from outside, a flush or a deletion kills the pod within 2 s
with exit status 122 and a record; teardown leaves no table and no interface.  Servers are
host-local: 198.18.0.1 and 198.18.0.2 (added to lo by the test, removed after), named
through the hosts file.  Root only.  TAP.

Usage: routed_egress.py NUCLEUS"""
import json, os, shutil, socket, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import ok, skip_all, done  # noqa: E402
from upstream import Echo, serve  # noqa: E402

NUCLEUS = os.path.abspath(sys.argv[1])


if os.geteuid() != 0:
    skip_all("routed mode needs root")
if not any(os.access(p, os.X_OK) for p in ("/usr/sbin/nft", "/sbin/nft")):
    skip_all("nft (nftables) is not installed")
if subprocess.run([NUCLEUS, "doctor"], capture_output=True).returncode != 0:
    skip_all("this machine cannot run full pods (see nucleus doctor)")
probe_veth = subprocess.run(["ip", "link", "add", "ncrtest0", "type", "veth", "peer", "name", "ncrtest1"],
                            capture_output=True)
if probe_veth.returncode != 0:
    skip_all("no veth support: " + probe_veth.stderr.decode().strip())
subprocess.run(["ip", "link", "del", "ncrtest0"], capture_output=True)

TMP = tempfile.mkdtemp(prefix="nc-routed-")
WS = os.path.join(TMP, "ws")
os.makedirs(WS)
ADDRS = ["198.18.0.1", "198.18.0.2"]
added = []
for a in ADDRS:
    if subprocess.run(["ip", "addr", "add", a + "/32", "dev", "lo"], capture_output=True).returncode == 0:
        added.append(a)


def cleanup():
    for a in added:
        subprocess.run(["ip", "addr", "del", a + "/32", "dev", "lo"], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)


class Handler(Echo):
    def answer(self):
        return f"upstream {self.server.server_address[1]} {self.path}\n".encode()


good = serve("0.0.0.0", 0, "good", Handler)  # every host address: 198.18.0.1, .2 and the veth's own
PORT = good.server_address[1]
other_port = serve("198.18.0.1", 0, "other", Handler)  # the allowed address, another port
PORT2 = other_port.server_address[1]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # UDP on the allowed address
udp.bind(("198.18.0.1", 0))
UDP_PORT = udp.getsockname()[1]
udp_seen = []


def udp_echo():
    while True:
        try:
            d, a = udp.recvfrom(2048)
        except OSError:
            return
        udp_seen.append(d)
        udp.sendto(d, a)


threading.Thread(target=udp_echo, daemon=True).start()

with open(f"{TMP}/hosts", "w") as f:
    f.write("198.18.0.1 good.test\n198.18.0.2 other.test\n")
POLICY = """apiVersion: nucleus/v1
kind: Policy
metadata: {{name: routed}}
spec:
  capabilities: {{read_files: always, write_files: never, edit_files: never, run_bash: always,
    glob_search: always, grep_search: always, web_search: never, web_fetch: always,
    git_commit: never, git_push: never, create_pr: never}}
  approvals: []
  paths: {{allow: unrestricted, deny: [], read_only: []}}
  commands: {{allow: unrestricted, deny: []}}
  network: {{allow: {allow}}}
  budget: {{max_usd: 1}}
  limits: {{timeout_seconds: 120}}
"""
with open(f"{TMP}/allow.yaml", "w") as f:
    f.write(POLICY.format(allow="[good.test]"))
with open(f"{TMP}/wild.yaml", "w") as f:
    f.write(POLICY.format(allow="['*.good.test']"))

PROBE = r'''
import json, os, socket, struct, subprocess, sys
port, port2, udp_port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = {"env": sorted(k for k in os.environ if "proxy" in k.lower())}
gw = None
for line in open("/proc/net/route").read().splitlines()[1:]:
    f = line.split()
    if f[1] == "00000000":
        gw = socket.inet_ntoa(struct.pack("<I", int(f[2], 16)))
out["gw"] = gw
def http(host, p):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, p))
        s.sendall(b"GET /raw HTTP/1.0\r\nHost: x\r\n\r\n")
        return "ok " + s.recv(200).decode(errors="replace").split("\r\n")[0]
    except Exception as e:
        return "error " + type(e).__name__ + " " + str(e)
    finally:
        s.close()
def resolve(name):
    try:
        return sorted({a[4][0] for a in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)})
    except Exception as e:
        return "error " + str(e)
def dns(server, name, qtype=1):
    q = b"\x77\x77\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    q += b"\x00" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(q, (server, 53))
        a = s.recv(600)
        return {"rcode": a[3] & 15, "an": a[7], "addr": socket.inet_ntoa(a[-4:]) if a[7] else None}
    except Exception as e:
        return "error " + type(e).__name__
out["resolve_good"] = resolve("good.test")
out["resolve_other"] = resolve("other.test")
out["raw_good"] = http("good.test", port)
out["raw_good_ip"] = http("198.18.0.1", port)
r = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time", "4", f"http://good.test:{port}/curl"],
                   capture_output=True, text=True)
out["curl_good"] = [r.returncode, r.stdout]
out["other_addr"] = http("198.18.0.2", port)
out["other_port"] = http("198.18.0.1", port2)
out["host_veth"] = http(gw, port) if gw else "no gw"
out["dns_gw_other"] = dns(gw, "other.test")
out["dns_gw_good"] = dns(gw, "good.test")
out["dns_anywhere_good"] = dns("192.0.2.53", "good.test")
out["dns_anywhere_other"] = dns("192.0.2.53", "other.test")
out["dns_aaaa"] = dns(gw, "good.test", 28)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.5)
s.sendto(b"udp-probe", ("198.18.0.1", udp_port))
try:
    out["udp"] = "reply " + s.recv(100).decode()
except Exception as e:
    out["udp"] = "error " + type(e).__name__
try:
    out["ipv6_off"] = open("/proc/sys/net/ipv6/conf/all/disable_ipv6").read().strip()
except OSError as e:
    out["ipv6_off"] = "absent"
out["v6"] = []
for a in ("::1", "2001:db8::1", "64:ff9b::c612:1"):  # loopback, documentation, NAT64 of .1
    try:
        s6 = socket.socket(socket.AF_INET6)
        s6.settimeout(2)
        s6.connect((a, port))
        out["v6"].append(a + " connected")
    except Exception as e:
        out["v6"].append("error " + type(e).__name__)
print(json.dumps(out))
'''
with open(f"{WS}/probe.py", "w") as f:
    f.write(PROBE)


def tables():
    r = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True)
    return {l.split()[-1] for l in r.stdout.splitlines() if "nucleus_" in l}


def links():
    return {l for l in os.listdir("/sys/class/net") if l.startswith("ncr")}


def run(args, **kw):
    return subprocess.run([NUCLEUS, "exec", "--workspace", WS] + args, capture_output=True, text=True,
                          timeout=120, **kw)


ROUTED = ["--policy", f"{TMP}/allow.yaml", "--net=routed", "--hosts-file", f"{TMP}/hosts",
          "--egress-ports", str(PORT), "--allow-network", f"198.18.0.1:{PORT}"]

try:
    # ---- refusals before any pod -------------------------------------------------------
    r = run(["--policy", f"{TMP}/wild.yaml", "--net=routed", "--", "true"])
    ok(r.returncode == 125 and "wildcard" in r.stderr, "a wildcard cannot be pinned: refused", r.stderr)
    r = run(["--net=routed", "--", "true"])
    ok(r.returncode == 2 and "needs a policy that allows hosts" in r.stderr,
       "routed mode without an allowlist: usage error", r.stderr)
    r = run(["--net=bogus", "--", "true"])
    ok(r.returncode == 2, "--net takes gateway or routed", r.stderr)
    if shutil.which("setpriv"):
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", NUCLEUS, "exec",
                            "--workspace", "/", "--net=routed", "--allow-network", "198.18.0.1:80", "--", "true"],
                           capture_output=True, text=True, timeout=60)
        ok(r.returncode == 125 and "needs root" in r.stderr, "not root: refused, fail closed", r.stderr)

    # ---- from the inside ---------------------------------------------------------------
    t0, l0 = tables(), links()
    log = f"{TMP}/routed.log"
    r = run(ROUTED + ["--egress-log", log, "--", "python3", f"{WS}/probe.py", str(PORT), str(PORT2),
                      str(UDP_PORT)])
    try:
        o = json.loads(r.stdout.strip().splitlines()[-1])
    except Exception:
        o = {}
    d = f"rc={r.returncode}\nstdout={r.stdout}\nstderr={r.stderr}"
    ok(r.returncode == 0 and o != {}, "the probe ran in a routed pod", d)
    ok(o.get("env") == [], "no proxy variables in routed mode", o.get("env"))
    ok(o.get("resolve_good") == ["198.18.0.1"], "getaddrinfo: the allowed name has its pinned address",
       o.get("resolve_good"))
    ok(str(o.get("resolve_other", "")).startswith("error"), "getaddrinfo: another name does not resolve",
       o.get("resolve_other"))
    ok(str(o.get("raw_good", "")).startswith("ok HTTP/1.0 200"), "a plain socket reaches the allowed name",
       o.get("raw_good"))
    ok(str(o.get("raw_good_ip", "")).startswith("ok HTTP/1.0 200"), "... and its pinned address directly",
       o.get("raw_good_ip"))
    cg = o.get("curl_good", [None, ""])
    ok(cg[0] == 0 and "upstream" in cg[1], "curl --noproxy '*' reaches the allowed name", cg)
    ok(str(o.get("other_addr", "")).startswith("error"), "another address, same port: nothing", o.get("other_addr"))
    ok(str(o.get("other_port", "")).startswith("error"), "the allowed address, another port: nothing",
       o.get("other_port"))
    ok(str(o.get("host_veth", "")).startswith("error"), "the host's own veth address: nothing", o.get("host_veth"))
    ok(o.get("dns_gw_other") == {"rcode": 3, "an": 0, "addr": None}, "DNS: another name is NXDOMAIN",
       o.get("dns_gw_other"))
    ok(o.get("dns_gw_good") == {"rcode": 0, "an": 1, "addr": "198.18.0.1"}, "DNS: the allowed name",
       o.get("dns_gw_good"))
    ok(o.get("dns_anywhere_good") == {"rcode": 0, "an": 1, "addr": "198.18.0.1"},
       "DNS to any server is answered by the pod's resolver", o.get("dns_anywhere_good"))
    ok(o.get("dns_anywhere_other") == {"rcode": 3, "an": 0, "addr": None},
       "DNS to any server: another name is NXDOMAIN", o.get("dns_anywhere_other"))
    ok(o.get("dns_aaaa") == {"rcode": 0, "an": 0, "addr": None}, "DNS: no AAAA records", o.get("dns_aaaa"))
    ok(str(o.get("udp", "")).startswith("error") and udp_seen == [],
       "UDP to the allowed address: dropped before it reaches the host", [o.get("udp"), udp_seen])
    ok(o.get("ipv6_off") in ("1", "absent") and len(o.get("v6", [])) == 3 and
       all(x.startswith("error") for x in o.get("v6", [])), "IPv6 is off",
       [o.get("ipv6_off"), o.get("v6")])
    ok("dns refused other.test: nxdomain" in r.stderr, "refused names are reported on stderr", r.stderr)
    ok(tables() == t0 and links() == l0, "teardown: no nft table, no veth left",
       f"{tables() - t0} {links() - l0}")
    entries = [json.loads(l) for l in open(log)] if os.path.exists(log) else []
    ok(any(e["kind"] == "dns" and e["name"] == "other.test" and not e["allowed"] for e in entries) and
       any(e["kind"] == "pin" and e["name"] == "good.test" and e["allowed"] for e in entries),
       "the log has the pinning and the DNS decisions", entries)

    # ---- no drift, no kill ---------------------------------------------------------------
    r = run(ROUTED + ["--", "sleep", "2"])
    ok(r.returncode == 0, "an unchanged table does not kill the pod (2 s, several checks)", r.stderr)

    # ---- drift: a change from outside kills the pod ----------------------------------------
    def drift(change, label):
        t0 = tables()
        p = subprocess.Popen([NUCLEUS, "exec", "--workspace", WS] + ROUTED +
                             ["--egress-log", f"{TMP}/drift.log", "--", "sleep", "60"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        new = set()
        for _ in range(200):
            new = tables() - t0
            if new:
                break
            time.sleep(0.05)
        if not new:
            p.kill()
            ok(False, f"drift ({label}): the pod's table appeared", p.communicate())
            return
        table = new.pop()
        time.sleep(0.5)
        cmd = change(table)
        c = subprocess.run(["nft"] + cmd, capture_output=True, text=True)
        start = time.monotonic()
        try:
            _, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        took = time.monotonic() - start
        ok(c.returncode == 0 and p.returncode == 122 and took < 2.0 and "network rules changed" in err,
           f"drift ({label}): the pod is killed within 2 s, exit 122 ({took:.2f} s)",
           f"nft rc={c.returncode} {c.stderr}\nrc={p.returncode} took={took}\n{err}")
        ok(table not in tables() and links() == l0, f"drift ({label}): no table or veth left",
           f"{tables()} {links()}")

    drift(lambda t: ["add", "rule", "inet", t, "pod_egress", "ip", "daddr", "198.18.0.2", "accept"],
          "rule added")
    drift(lambda t: ["insert", "rule", "inet", t, "egress", "accept"], "rule inserted in the base chain")
    drift(lambda t: ["flush", "table", "inet", t], "table flushed")
    drift(lambda t: ["delete", "table", "inet", t], "table deleted")
    entries = [json.loads(l) for l in open(f"{TMP}/drift.log")] if os.path.exists(f"{TMP}/drift.log") else []
    ok(sum(1 for e in entries if e["kind"] == "drift" and not e["allowed"]) == 4,
       "every drift is recorded in the log", entries)
finally:
    cleanup()
done()
