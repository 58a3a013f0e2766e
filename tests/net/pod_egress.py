#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A pod's network from the inside (issue 7's "done means"): with the default policy a pod has
no network at all; with an allowlist it reaches exactly the allowlisted endpoints, by any tool
that uses a proxy, and nothing else by any tool.  `nucleus exec` runs a probe in real pods;
upstream servers listen on 127.0.0.2 and 127.0.0.3 of the host and are named through the
gateway's hosts file (DNS is never asked).  TAP.

Usage: pod_egress.py NUCLEUS"""
import errno, json, os, shutil, socket, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import ok, skip_all, done  # noqa: E402
from upstream import pair  # noqa: E402

NUCLEUS = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="nc-podnet-")
WS = os.path.join(TMP, "ws")
os.makedirs(WS)


if subprocess.run([NUCLEUS, "doctor"], capture_output=True).returncode != 0:
    skip_all("this machine cannot run full pods (see nucleus doctor)")


servers = pair(("127.0.0.2", "good"), ("127.0.0.3", "other"))
if servers is None:
    skip_all("no common free port on 127.0.0.2 and 127.0.0.3")
good, other, PORT = servers

with open(f"{TMP}/hosts", "w") as f:
    f.write("127.0.0.2 good.test\n127.0.0.3 other.test rebind.test\n")

POLICY = """apiVersion: nucleus/v1
kind: Policy
metadata: {{name: podnet}}
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
    f.write(POLICY.format(allow="[good.test, rebind.test]"))
with open(f"{TMP}/none.yaml", "w") as f:
    f.write(POLICY.format(allow="[]"))

# The probe, run inside the pod: every way out it can think of, each reported as data.
PROBE = r'''
import json, os, socket, subprocess, sys, urllib.request
port = int(sys.argv[1])
out = {"env": {k: v for k, v in os.environ.items()
               if "proxy" in k.lower() or k.startswith("NUCLEUS_EGRESS")}}
def curl(*a):
    r = subprocess.run(["curl", "-sS", "--max-time", "5", *a], capture_output=True, text=True)
    return [r.returncode, r.stdout, r.stderr[-300:]]
def tcp(host, p):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(3)
    try:
        s.connect((host, p)); return "connected"
    except OSError as e:
        return type(e).__name__ + ":" + str(e.errno)
    finally:
        s.close()
def socks(name_bytes, p, unix=None):
    if unix is None:
        s = socket.create_connection(("127.0.0.1", 3128), timeout=3)
    else:
        s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(unix)
    s.sendall(b"\x05\x01\x00"); s.recv(2)
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(name_bytes)]) + name_bytes + p.to_bytes(2, "big"))
    r = s.recv(10); s.close(); return r[1] if len(r) > 1 else -1
g = f"http://good.test:{port}"
out["curl_proxy"] = curl(f"{g}/env")
out["curl_connect"] = curl("-p", f"{g}/tunnel")
out["curl_socks"] = curl("--proxy", "socks5h://127.0.0.1:3128", f"{g}/socks")
out["curl_upper_dot"] = curl(f"http://GOOD.TEST.:{port}/upper")
try:
    out["urllib"] = urllib.request.urlopen(f"{g}/urllib", timeout=5).read().decode()
except Exception as e:
    out["urllib"] = "error " + repr(e)
out["noproxy_name"] = curl("--noproxy", "*", f"{g}/")
out["noproxy_ip"] = curl("--noproxy", "*", f"http://127.0.0.2:{port}/")
out["other"] = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://other.test:{port}/")
out["ip"] = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.3:{port}/")
out["ipv6"] = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://[::1]:{port}/")
out["port"] = curl("-p", "-o", "/dev/null", "-w", "%{http_connect}", "http://good.test:22/")
out["rebind"] = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://rebind.test:{port}/")
out["tcp_host"] = tcp("127.0.0.2", port)
out["tcp_public"] = tcp("8.8.8.8", 443)
out["tcp_v6"] = tcp("::1", port)
out["tcp_gateway"] = tcp("127.0.0.1", 3128)
out["tcp_other_port"] = tcp("127.0.0.1", 3129)
try:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01", ("8.8.8.8", 53))
    out["udp_dns"] = "sent"
except OSError as e:
    out["udp_dns"] = type(e).__name__ + ":" + str(e.errno)
try:
    socket.getaddrinfo("good.test", port); out["resolve"] = "resolved"
except OSError as e:
    out["resolve"] = "failed"
r = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.2/{port}"], capture_output=True)
out["dev_tcp"] = r.returncode
try:
    out["socks_nul"] = socks(b"other.test\x00.good.test", port)
    out["socks_good"] = socks(b"good.test", port)
except OSError as e:
    out["socks_nul"] = out["socks_good"] = "error " + repr(e)
# The gateway's unix socket (NUCLEUS_EGRESS_SOCKET): the same rules; and nothing in the pod
# can replace it or add another next to it.
us = os.environ.get("NUCLEUS_EGRESS_SOCKET")
out["run_nucleus"] = sorted(os.listdir("/run/nucleus")) if os.path.isdir("/run/nucleus") else None
if us:
    out["unix_good"] = curl("--proxy", f"socks5h://localhost{us}", f"{g}/unix")
    out["unix_other"] = curl("--proxy", f"socks5h://localhost{us}", f"http://other.test:{port}/")
    out["unix_ip"] = curl("--proxy", f"socks5h://localhost{us}", f"http://127.0.0.3:{port}/")
    try:
        out["unix_socks_nul"] = socks(b"other.test\x00.good.test", port, us)
    except OSError as e:
        out["unix_socks_nul"] = "error " + repr(e)
    def attempt(f):
        try:
            f(); return "done"
        except OSError as e:
            return e.errno
    out["unix_unlink"] = attempt(lambda: os.unlink(us))
    out["unix_rename"] = attempt(lambda: os.rename(us, "/run/nucleus/moved"))
    out["unix_create"] = attempt(lambda: open("/run/nucleus/planted", "w").close())
    def bind_second():
        b = socket.socket(socket.AF_UNIX)
        try:
            b.bind("/run/nucleus/evil.sock")
        finally:
            b.close()
    out["unix_bind"] = attempt(bind_second)
    out["unix_still"] = curl("--proxy", f"socks5h://localhost{us}", f"{g}/again")
print(json.dumps(out))
'''
with open(f"{WS}/probe.py", "w") as f:
    f.write(PROBE)


def in_pod(policy, *extra):
    log = f"{TMP}/egress-{policy}.jsonl"
    r = subprocess.run([NUCLEUS, "exec", "--policy", f"{TMP}/{policy}.yaml", "--workspace", WS,
                        *extra, "--", "python3", f"{WS}/probe.py", str(PORT)],
                       capture_output=True, text=True, timeout=240)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {}
    return r, res, log


have_curl = shutil.which("curl") is not None
if not have_curl:
    skip_all("curl is not installed")

# ---- no network.allow: no network at all ---------------------------------------------------
r, p, _ = in_pod("none")
ok(r.returncode == 0 and p, "the probe ran in a pod with network.allow []", r.stderr[-1500:])
ok(p.get("env") == {}, "no proxy variables without an allowlist", p.get("env"))
ok(p.get("run_nucleus") is None, "no gateway socket (/run/nucleus) without an allowlist",
   p.get("run_nucleus"))
ok(p.get("curl_proxy", [0])[0] != 0 and p.get("noproxy_ip", [0])[0] != 0,
   "curl reaches nothing", [p.get("curl_proxy"), p.get("noproxy_ip")])
ok(p.get("tcp_gateway") != "connected" and p.get("tcp_host") != "connected",
   "no listener on 127.0.0.1:3128, the host's 127.0.0.2 is not reachable",
   [p.get("tcp_gateway"), p.get("tcp_host")])

# ---- an allowlist: exactly the allowlisted endpoints -----------------------------------------
log = f"{TMP}/egress.jsonl"
r, p, _ = in_pod("allow", "--hosts-file", f"{TMP}/hosts", "--egress-ports", str(PORT),
                 "--allow-network", f"127.0.0.2:{PORT}", "--egress-log", log)
ok(r.returncode == 0 and p, "the probe ran in a pod with an allowlist", r.stderr[-1500:])
env = p.get("env", {})
ok(env.get("http_proxy") == "http://127.0.0.1:3128" and env.get("ALL_PROXY") ==
   "socks5h://127.0.0.1:3128" and env.get("NO_PROXY") == "", "the proxy variables are set", env)
ok(p.get("curl_proxy", [1, ""])[1] == "upstream=good path=/env\n",
   "curl (http_proxy) reaches the allowlisted host", p.get("curl_proxy"))
ok(p.get("curl_connect", [1, ""])[1] == "upstream=good path=/tunnel\n",
   "curl through a CONNECT tunnel reaches it", p.get("curl_connect"))
ok(p.get("curl_socks", [1, ""])[1] == "upstream=good path=/socks\n",
   "curl through SOCKS5 reaches it", p.get("curl_socks"))
ok(p.get("curl_upper_dot", [1, ""])[1] == "upstream=good path=/upper\n",
   "uppercase and a trailing dot name the same host", p.get("curl_upper_dot"))
ok(p.get("urllib") == "upstream=good path=/urllib\n", "Python's urllib (proxy variables) "
   "reaches it", p.get("urllib"))
ok(p.get("noproxy_name", [0])[0] != 0 and p.get("noproxy_ip", [0])[0] != 0,
   "curl --noproxy '*' reaches nothing (by name or by address)",
   [p.get("noproxy_name"), p.get("noproxy_ip")])
ok(p.get("other", [0, ""])[1] == "403", "a host outside the allowlist: 403", p.get("other"))
ok(p.get("ip", [0, ""])[1] == "403", "a direct IP through the proxy: 403", p.get("ip"))
ok(p.get("ipv6", [0, ""])[1] == "403", "an IPv6 literal through the proxy: 403", p.get("ipv6"))
ok(p.get("port", [0, ""])[1] == "403", "CONNECT to a port outside the allowed ones: 403",
   p.get("port"))
ok(p.get("rebind", [0, ""])[1] == "403", "an allowed name resolving to a loopback address: 403",
   p.get("rebind"))
ok(p.get("tcp_host", "connected") != "connected" and p.get("tcp_public", "connected") !=
   "connected" and p.get("tcp_v6", "connected") != "connected",
   "raw TCP sockets reach nothing (the host's address, a public one, IPv6)",
   [p.get("tcp_host"), p.get("tcp_public"), p.get("tcp_v6")])
ok(p.get("tcp_gateway") == "connected" and p.get("tcp_other_port") != "connected",
   "TCP connects only to the gateway's port", [p.get("tcp_gateway"), p.get("tcp_other_port")])
ok(p.get("udp_dns") != "sent", "DNS to anywhere (UDP to 8.8.8.8:53) cannot be sent",
   p.get("udp_dns"))
ok(p.get("resolve") == "failed", "names do not resolve inside the pod", p.get("resolve"))
ok(p.get("dev_tcp", 0) != 0, "bash /dev/tcp reaches nothing", p.get("dev_tcp"))
ok(p.get("socks_nul") == 2 and p.get("socks_good") == 0,
   "SOCKS5 'other.test\\0.good.test' is refused, 'good.test' allowed",
   [p.get("socks_nul"), p.get("socks_good")])
ok(env.get("NUCLEUS_EGRESS_SOCKET") == "/run/nucleus/egress.sock" and
   p.get("run_nucleus") == ["egress.sock"], "the gateway's unix socket is named and alone in "
   "/run/nucleus", [env, p.get("run_nucleus")])
ok(p.get("unix_good", [1, ""])[1] == "upstream=good path=/unix\n",
   "curl reaches an allowed host through the unix socket (SOCKS5)", p.get("unix_good"))
ok(p.get("unix_other", [0])[0] != 0 and p.get("unix_ip", [0])[0] != 0,
   "a host outside the allowlist and a direct IP are refused through the unix socket",
   [p.get("unix_other"), p.get("unix_ip")])
ok(p.get("unix_socks_nul") == 2, "the SOCKS5 NUL trick is refused through the unix socket",
   p.get("unix_socks_nul"))
ok(all(p.get(k) == errno.EROFS for k in ("unix_unlink", "unix_rename", "unix_create",
                                            "unix_bind")),
   "the socket cannot be removed, renamed or replaced, and nothing can be added next to it "
   "(read-only)", {k: p.get(k) for k in ("unix_unlink", "unix_rename", "unix_create",
                                         "unix_bind")})
ok(p.get("unix_still", [1, ""])[1] == "upstream=good path=/again\n",
   "the unix socket still serves after those attempts", p.get("unix_still"))
ok("Sanitizer" not in r.stderr, "no sanitizer report from nucleus exec and its gateway thread",
   r.stderr[-1500:])
ok("egress refused other.test" in r.stderr and "host_not_allowed" in r.stderr,
   "refusals are reported on stderr", r.stderr[-1500:])
try:
    with open(log) as f:
        L = [json.loads(x) for x in f if x.strip()]
except OSError:
    L = []
reasons = {d["reason"] for d in L if not d["allowed"]}
ok({"host_not_allowed", "ip_not_allowed", "port_not_allowed", "address_refused",
    "bad_host"} <= reasons, "the egress log records each refusal with its reason", reasons)
ok(not any(d["allowed"] and d["addr"] == "127.0.0.3" for d in L),
   "nothing was relayed to 127.0.0.3", L[-5:])

# The gateway parses what the pod sends in a process of its own, confined (no_new_privs,
# seccomp; Landlock is checked by tests/unit/test_confine.c), a child of nucleus exec.
sup = subprocess.Popen([NUCLEUS, "exec", "--policy", f"{TMP}/allow.yaml", "--workspace", WS,
                        "--hosts-file", f"{TMP}/hosts", "--", "sleep", "3"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
found = {}
for _ in range(50):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                st = dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
        except OSError:
            continue
        if st.get("Name") == "nc-gateway" and st.get("PPid") == str(sup.pid):
            found = st
    if found:
        break
    time.sleep(0.1)
sup.wait(timeout=60)
ok(found.get("NoNewPrivs") == "1" and found.get("Seccomp") == "2",
   "the gateway runs in a process of its own with no_new_privs and the seccomp filter",
   {k: found.get(k) for k in ("Name", "PPid", "NoNewPrivs", "Seccomp")})

good.shutdown()
other.shutdown()
shutil.rmtree(TMP, ignore_errors=True)
done()
