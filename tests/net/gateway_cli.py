#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`nucleus gateway` from the client's side with real tools: curl through the HTTP proxy
(plain and CONNECT, including TLS end to end), through SOCKS5 (also over the unix socket), and
every refusal seen by curl, with the decision log checked.  Upstream servers listen on
127.0.0.2 and 127.0.0.3 and are named through a test hosts file (DNS is never asked).  TAP.

Usage: gateway_cli.py NUCLEUS"""
import hashlib, json, os, shutil, signal, socket, ssl, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402
from tap import ok, skip_all, done  # noqa: E402
from upstream import Echo, pair, serve  # noqa: E402

NUCLEUS = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="nc-gw-")
tap.DETAIL_LINES = 20


CURL = shutil.which("curl")
if CURL is None:
    skip_all("curl is not installed")


# 8 MiB that no compression or short cut could fake: the relay must move every byte, in order.
BULK = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(8 << 15))
BULK_SHA = hashlib.sha256(BULK).hexdigest()


class Handler(Echo):
    protocol_version = "HTTP/1.0"

    def answer(self):
        return f"upstream={self.server.name} path={self.path} host={self.headers.get('Host')}\n".encode()

    def do_POST(self):
        left, h = int(self.headers.get("Content-Length", "0")), hashlib.sha256()
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
        body = f"upstream={self.server.name} sha256={h.hexdigest()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/bulk":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BULK)))
            self.end_headers()
            self.wfile.write(BULK)
            return
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


# Two plain upstreams on the same port of two addresses, one TLS upstream.
servers = pair(("127.0.0.2", "good"), ("127.0.0.3", "other"), Handler)
if servers is None:
    skip_all("no common free port on 127.0.0.2 and 127.0.0.3")
good, other, PORT = servers

# A test CA and a certificate for tls.test, for TLS end to end through CONNECT.
tls_ok = shutil.which("openssl") is not None
if tls_ok:
    conf = os.path.join(TMP, "ext.cnf")
    with open(conf, "w") as f:
        f.write("subjectAltName=DNS:tls.test\n")
    cmds = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=nucleus test CA", "-keyout", f"{TMP}/ca.key", "-out", f"{TMP}/ca.pem"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=tls.test", "-keyout",
         f"{TMP}/srv.key", "-out", f"{TMP}/srv.csr"],
        ["openssl", "x509", "-req", "-in", f"{TMP}/srv.csr", "-CA", f"{TMP}/ca.pem", "-CAkey",
         f"{TMP}/ca.key", "-CAcreateserial", "-days", "1", "-extfile", conf, "-out",
         f"{TMP}/srv.pem"],
    ]
    for c in cmds:
        if subprocess.run(c, capture_output=True).returncode != 0:
            tls_ok = False
            break
if tls_ok:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{TMP}/srv.pem", f"{TMP}/srv.key")
    tlssrv = serve("127.0.0.4", 0, "tls", Handler, ctx)
    TLS_PORT = tlssrv.server_address[1]

with open(f"{TMP}/hosts", "w") as f:
    f.write("127.0.0.2 good.test x.a.test a.test evil-a.test\n"
            "127.0.0.3 other.test rebind.test\n"
            "127.0.0.4 tls.test\n"
            "169.254.169.254 meta.test\n")

POLICY = """apiVersion: nucleus/v1
kind: Policy
metadata:
  name: gw
spec:
  capabilities:
    read_files: always
    write_files: never
    edit_files: never
    run_bash: never
    glob_search: always
    grep_search: always
    web_search: never
    web_fetch: always
    git_commit: never
    git_push: never
    create_pr: never
  approvals: []
  paths:
    allow: unrestricted
    deny: []
    read_only: []
  commands:
    allow: []
    deny: []
  network:
    allow: [good.test, "*.a.test", rebind.test, meta.test, tls.test, nowhere.test]
  budget:
    max_usd: 1
  limits:
    timeout_seconds: 60
"""
with open(f"{TMP}/policy.yaml", "w") as f:
    f.write(POLICY)

LOG = f"{TMP}/decisions.jsonl"
SOCK = f"{TMP}/gw.sock"
ports = f"{PORT},{TLS_PORT}" if tls_ok else f"{PORT}"
nets = ["--allow-network", f"127.0.0.2:{PORT}"]
if tls_ok:
    nets += ["--allow-network", f"127.0.0.4:{TLS_PORT}"]
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:" + os.environ.get("ASAN_OPTIONS", ""))
gw = subprocess.Popen([NUCLEUS, "gateway", "--listen-tcp", "127.0.0.1:0", "--listen-unix", SOCK,
                       "--policy", f"{TMP}/policy.yaml", "--hosts-file", f"{TMP}/hosts",
                       "--ports", ports, "--log", LOG] + nets,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
lines = [gw.stdout.readline().strip(), gw.stdout.readline().strip()]
tcp = [l for l in lines if l.startswith("listening tcp:")]
ok(len(tcp) == 1 and f"listening unix:{SOCK}" in lines, "the gateway announces its listeners",
   lines)
if not tcp:
    gw.kill()
    done()
GW = tcp[0].split("tcp:", 1)[1]


def curl(*args, timeout=20):
    r = subprocess.run([CURL, "-sS", "--max-time", "10", "-D", "-", *args], capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def log_lines():
    with open(LOG) as f:
        return [json.loads(l) for l in f if l.strip()]


def last_decision():
    for _ in range(50):
        L = log_lines()
        if L:
            return L[-1]
        time.sleep(0.05)
    return {}


# ---- allowed ---------------------------------------------------------------------------------
rc, out, err = curl("-x", f"http://{GW}", f"http://good.test:{PORT}/plain")
ok(rc == 0 and f"upstream=good path=/plain host=good.test:{PORT}" in out,
   "curl through the HTTP proxy reaches an allowlisted name", out + err)
d = last_decision()
ok(d.get("allowed") is True and d.get("proto") == "http" and d.get("addr") == "127.0.0.2",
   "the decision log records the allowed request with its pinned address", d)

rc, out, err = curl("-p", "-x", f"http://{GW}", f"http://GOOD.test.:{PORT}/tunnel")
ok(rc == 0 and "upstream=good path=/tunnel" in out, "curl through a CONNECT tunnel (uppercase, "
   "trailing dot) reaches the same host", out + err)

rc, out, err = curl("--socks5-hostname", GW, f"http://good.test:{PORT}/socks")
ok(rc == 0 and "upstream=good path=/socks" in out, "curl through SOCKS5 (remote resolution) "
   "reaches an allowlisted name", out + err)

rc, out, err = curl("-x", f"socks5h://localhost{SOCK}", f"http://x.a.test:{PORT}/unix")
ok(rc == 0 and "upstream=good path=/unix" in out, "curl through SOCKS5 over the unix socket "
   "reaches a name under a wildcard", out + err)

# Bulk data both ways, checked byte for byte (the relay moves it with splice(2)).
r = subprocess.run([CURL, "-sS", "--max-time", "60", "-p", "-x", f"http://{GW}",
                    f"http://good.test:{PORT}/bulk"], capture_output=True, timeout=90)
ok(r.returncode == 0 and hashlib.sha256(r.stdout).hexdigest() == BULK_SHA,
   "8 MiB down through a CONNECT tunnel arrive intact", f"rc={r.returncode} got {len(r.stdout)} bytes "
   + r.stderr.decode(errors="replace"))
with open(f"{TMP}/up", "wb") as f:
    f.write(BULK[: 6 << 20])
r = subprocess.run([CURL, "-sS", "--max-time", "60", "-x", f"socks5h://localhost{SOCK}",
                    "--data-binary", f"@{TMP}/up", f"http://good.test:{PORT}/upload"],
                   capture_output=True, text=True, timeout=90)
ok(r.returncode == 0 and f"sha256={hashlib.sha256(BULK[: 6 << 20]).hexdigest()}" in r.stdout,
   "6 MiB up through SOCKS5 over the unix socket arrive intact", r.stdout + r.stderr)

if tls_ok:
    rc, out, err = curl("--cacert", f"{TMP}/ca.pem", "-x", f"http://{GW}",
                        f"https://tls.test:{TLS_PORT}/secure")
    ok(rc == 0 and "upstream=tls path=/secure" in out,
       "HTTPS through CONNECT: TLS end to end, the certificate checked by the client", out + err)
else:
    ok(True, "# SKIP openssl unavailable: no TLS test")

# ---- refused ---------------------------------------------------------------------------------
def refused_http(url, reason, name, *extra):
    rc, out, err = curl("-x", f"http://{GW}", *extra, url)
    d = last_decision()
    ok(f"X-Nucleus-Refusal: {reason}" in out and d.get("reason") == reason
       and d.get("allowed") is False, name, out + err + json.dumps(d))


def refused_connect(url, reason, name):
    rc, out, err = curl("-p", "-x", f"http://{GW}", url)
    d = last_decision()
    ok(rc != 0 and d.get("reason") == reason and "upstream=" not in out, name,
       f"rc={rc} {out}{err}{json.dumps(d)}")


def refused_socks(url, reason, name):
    rc, out, err = curl("--socks5-hostname", GW, url)
    d = last_decision()
    ok(rc == 97 and d.get("reason") == reason and "upstream=" not in out, name,
       f"rc={rc} {out}{err}{json.dumps(d)}")


refused_http(f"http://other.test:{PORT}/", "host_not_allowed",
             "a name outside network.allow: 403 host_not_allowed")
refused_connect(f"http://other.test:{PORT}/", "host_not_allowed",
                "the same through CONNECT is refused")
refused_socks(f"http://other.test:{PORT}/", "host_not_allowed",
              "the same through SOCKS5 is refused (ruleset)")
refused_http(f"http://a.test:{PORT}/", "host_not_allowed", "*.a.test does not admit a.test")
refused_http(f"http://evil-a.test:{PORT}/", "host_not_allowed",
             "*.a.test does not admit evil-a.test")
refused_http(f"http://127.0.0.3:{PORT}/", "ip_not_allowed",
             "an address given directly (a server listens there): ip_not_allowed")
refused_socks(f"http://127.0.0.3:{PORT}/", "ip_not_allowed",
              "the same address through SOCKS5 is refused")
refused_http(f"http://[::1]:{PORT}/", "ip_not_allowed", "an IPv6 literal is refused")
refused_connect(f"http://good.test:22/", "port_not_allowed",
                "CONNECT to a port outside --ports is refused")
refused_http(f"http://rebind.test:{PORT}/", "address_refused",
             "an allowed name resolving to a loopback address is refused (rebinding)")
d = last_decision()
ok(d.get("addr") == "127.0.0.3" and d.get("class") == "loopback",
   "the log names the refused address and its class", d)
refused_socks(f"http://meta.test:{PORT}/", "address_refused",
              "an allowed name resolving to the metadata address is refused through SOCKS5")
refused_http(f"http://nowhere.test:{PORT}/", "resolve_failed",
             "a name the hosts file lacks does not resolve (DNS is not asked)")
# The upstream on 127.0.0.3 never saw a request.
ok(not any(d.get("allowed") and d.get("addr") == "127.0.0.3" for d in log_lines()),
   "nothing was ever relayed to 127.0.0.3")

# ---- shutdown ---------------------------------------------------------------------------------
gw.send_signal(signal.SIGTERM)
try:
    rc = gw.wait(timeout=10)
except subprocess.TimeoutExpired:
    gw.kill()
    rc = -1
err = gw.stderr.read()
ok(rc == 0 and not os.path.exists(SOCK), "SIGTERM stops the gateway cleanly and removes its "
   "socket", f"rc={rc} {err[-2000:]}")
ok("ERROR: AddressSanitizer" not in err and "LeakSanitizer" not in err,
   "no sanitizer report", err[-2000:])

good.shutdown()
other.shutdown()
shutil.rmtree(TMP, ignore_errors=True)
done()
