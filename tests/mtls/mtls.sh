#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Mutual TLS from the attacker's side, with real clients (openssl s_client, curl) and our own
# (mtls_client) against a server built on src/identity/mtls.h (mtls_server).  Every refusal
# must fail on the client's side AND be audited by the server with the expected reason; the
# right identity must get through; rotation under load must not fail a single request; files
# written by SPIRE's spiffe-helper (leaf + intermediate, PKCS#8 key, svid_bundle.pem) work.
# Usage: mtls.sh NUCLEUS MTLS_SERVER MTLS_MINT MTLS_CLIENT
. "$(dirname "$0")/../cli/tap.sh"
SERVER=${2:?mtls_server}
MINT=${3:?mtls_mint}
CLIENT=${4:?mtls_client}

for tool in openssl curl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool is not installed (scripts/install-deps.sh all installs it)"
    exit 77
  fi
done

# The servers are long-running helpers stopped by a signal; their leak report at that moment
# would only list live connections, so leak checking is off for them (the library's leak
# checks are in tests/unit/test_identity_mtls.c).
SERVER_ENV="ASAN_OPTIONS=detect_leaks=0"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

TD=mtls.test
ST=$TMP/state
PROXY=spiffe://$TD/ns/pods/sa/proxy
CLI=spiffe://$TD/ns/bridge/sa/cli
"$NUCLEUS" ca init --state-dir "$ST" --trust-domain $TD >/dev/null || { echo "Bail out! ca init"; exit 1; }
issue() { # ID DIR [TTL]
  "$NUCLEUS" ca issue --state-dir "$ST" --id "$1" --out-dir "$2" ${3:+--ttl "$3"} >/dev/null
}
issue "$PROXY" "$TMP/srv"
issue "$CLI" "$TMP/cli"
BUNDLE=$TMP/cli/bundle.pem

start_server() { # LISTEN LOG PORTFILE DIR [ALLOW]
  env $SERVER_ENV "$SERVER" --listen "$1" --dir "$4" --allow "${5:-spiffe://$TD/ns/bridge/*}" \
    --log "$2" --port-file "$3" 2>>"$TMP/server.err" &
  PIDS="$PIDS $!"
  i=0
  while [ ! -s "$3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$3" ] || { echo "Bail out! server did not start"; cat "$TMP/server.err"; exit 1; }
  LAST_PID=$!
}
LOG=$TMP/log
: >"$LOG"
start_server tcp:127.0.0.1:0 "$LOG" "$TMP/port" "$TMP/srv"
SRV_PID=$LAST_PID
PORT=$(cat "$TMP/port")
URL=https://127.0.0.1:$PORT/

# curl: -k because an SVID carries a SPIFFE ID, not the host name curl would check; the
# server's identity is checked by s_client (-verify_return_error) and mtls_client below.
kurl() { curl -sS -k --max-time 10 "$@" "$URL"; }
sclient() { # DIR [extra s_client options]: one HTTP request with DIR's SVID
  d=$1; shift
  printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 10 openssl s_client -quiet \
    -connect "127.0.0.1:$PORT" -CAfile "$BUNDLE" -verify_return_error \
    -cert "$d/svid.pem" -key "$d/svid_key.pem" "$@"
}

# expect_refused DESC REASON [ID] -- CMD...: the client gets no answer and the server logs one
# refusal with REASON (and, when given, the attempted identity ID).
expect_refused() {
  desc=$1 reason=$2 id=$3; shift 3; [ "$1" = "--" ] && shift
  before=$(wc -l <"$LOG")
  "$@" >"$TMP/out" 2>"$TMP/err"
  if grep -q "hello" "$TMP/out"; then
    not_ok "$desc: the server answered: $(head -c 200 "$TMP/out")"
    return
  fi
  i=0
  while [ "$(wc -l <"$LOG")" -le "$before" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  line=$(tail -n +"$((before + 1))" "$LOG" | head -n 1)
  if [ -z "$line" ]; then not_ok "$desc: refused, but not audited"; return; fi
  if python3 - "$line" "$reason" "$id" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
ok = r.get("reason") == sys.argv[2] and (not sys.argv[3] or r.get("peer_id") == sys.argv[3])
ok = ok and r.get("peer_addr", "").startswith(("127.0.0.1:", "unix"))
sys.exit(0 if ok else 1)
PY
  then ok "$desc: refused and audited as $reason${id:+ ($id)}"
  else not_ok "$desc: audit record $line, expected reason $reason${id:+ and peer_id $id}"; fi
}

expect_hello() { # DESC ID -- CMD...
  desc=$1 id=$2; shift 2; [ "$1" = "--" ] && shift
  if "$@" >"$TMP/out" 2>"$TMP/err" && grep -q "^hello $id\$" "$TMP/out"; then ok "$desc"
  else not_ok "$desc"; sed 's/^/# out: /' "$TMP/out" | head -5; sed 's/^/# err: /' "$TMP/err" | head -5; fi
}

# ---- the right identity -------------------------------------------------------------------
expect_hello "curl with the bridge SVID is accepted" "$CLI" -- \
  kurl --cert "$TMP/cli/svid.pem" --key "$TMP/cli/svid_key.pem"
expect_hello "openssl s_client with the bridge SVID is accepted (and verifies the server)" "$CLI" -- \
  sclient "$TMP/cli"
expect_hello "our client is accepted and accepts the proxy's SPIFFE ID" "$CLI" -- \
  "$CLIENT" --connect "tcp:127.0.0.1:$PORT" --dir "$TMP/cli" --expect "$PROXY"
if grep -q "^server: $PROXY\$" "$TMP/out"; then ok "our client saw the server as $PROXY"; else not_ok "server identity"; fi

# ---- refusals -----------------------------------------------------------------------------
expect_refused "curl without a client certificate" no_certificate "" -- kurl
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >"$TMP/req"
expect_refused "openssl s_client without a client certificate" no_certificate "" -- \
  sh -c "timeout 10 openssl s_client -quiet -connect 127.0.0.1:$PORT -CAfile '$BUNDLE' <'$TMP/req'"

# A different CA, made with the openssl CLI: same trust domain, its own key.
mkdir -p "$TMP/evil" "$TMP/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$TMP/evil/ca.key" -out "$TMP/evil/ca.crt" -subj "/O=nucleus/CN=nucleus root $TD" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectAltName=URI:spiffe://$TD" 2>/dev/null
leaf_from() { # CADIR OUTDIR SAN-VALUE: a leaf signed with the openssl CLI
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=openssl" \
    -keyout "$2/svid_key.pem" -out "$2/req.csr" 2>/dev/null
  chmod 600 "$2/svid_key.pem"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$3" >"$2/ext"
  openssl x509 -req -in "$2/req.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 1 -extfile "$2/ext" -out "$2/svid.pem" 2>/dev/null
}
leaf_from "$TMP/evil" "$TMP/other" "URI:$CLI"
expect_refused "curl with a certificate from another CA (same trust domain and ID)" untrusted "$CLI" -- \
  kurl --cert "$TMP/other/svid.pem" --key "$TMP/other/svid_key.pem"
expect_refused "s_client with a certificate from another CA" untrusted "$CLI" -- sclient "$TMP/other"

"$MINT" "$ST" "$TMP/selfsigned" self_signed "$CLI"
expect_refused "curl with a self-signed SVID" untrusted "$CLI" -- \
  kurl --cert "$TMP/selfsigned/svid.pem" --key "$TMP/selfsigned/svid_key.pem"

"$MINT" "$ST" "$TMP/expired" expired "$CLI"
expect_refused "curl with an expired SVID" expired "$CLI" -- \
  kurl --cert "$TMP/expired/svid.pem" --key "$TMP/expired/svid_key.pem"
"$MINT" "$ST" "$TMP/future" not_yet_valid "$CLI"
expect_refused "curl with a not-yet-valid SVID" not_yet_valid "$CLI" -- \
  kurl --cert "$TMP/future/svid.pem" --key "$TMP/future/svid_key.pem"
expect_refused "s_client with an expired SVID" expired "$CLI" -- sclient "$TMP/expired"

issue "spiffe://$TD/ns/other/sa/x" "$TMP/wrong"
expect_refused "curl with a valid SVID of another workload" unauthorized "spiffe://$TD/ns/other/sa/x" -- \
  kurl --cert "$TMP/wrong/svid.pem" --key "$TMP/wrong/svid_key.pem"
issue "spiffe://$TD/ns/bridgeX/sa/cli" "$TMP/prefix"
expect_refused "a namespace that only shares a prefix (ns/bridgeX vs ns/bridge/*)" unauthorized \
  "spiffe://$TD/ns/bridgeX/sa/cli" -- kurl --cert "$TMP/prefix/svid.pem" --key "$TMP/prefix/svid_key.pem"

mkdir -p "$TMP/twouri"
leaf_from "$ST/ca" "$TMP/twouri" "URI:$CLI,URI:spiffe://$TD/ns/pods/sa/proxy"
expect_refused "curl with two URI SANs (openssl-made, signed by our CA)" multiple_uri_san "$CLI" -- \
  kurl --cert "$TMP/twouri/svid.pem" --key "$TMP/twouri/svid_key.pem"
"$MINT" "$ST" "$TMP/twouri2" two_uri "$CLI"
expect_refused "s_client with two URI SANs" multiple_uri_san "$CLI" -- sclient "$TMP/twouri2"

"$MINT" "$ST" "$TMP/caleaf" ca_leaf "$CLI"
expect_refused "curl with a CA certificate as leaf" ca_as_leaf "$CLI" -- \
  kurl --cert "$TMP/caleaf/svid.pem" --key "$TMP/caleaf/svid_key.pem"
"$MINT" "$ST" "$TMP/kucs" ku_certsign "$CLI"
expect_refused "curl with keyCertSign on the leaf" key_usage "$CLI" -- \
  kurl --cert "$TMP/kucs/svid.pem" --key "$TMP/kucs/svid_key.pem"
"$MINT" "$ST" "$TMP/kunods" ku_no_ds "$CLI"
expect_refused "curl with a key usage lacking digitalSignature" key_usage "$CLI" -- \
  kurl --cert "$TMP/kunods/svid.pem" --key "$TMP/kunods/svid_key.pem"
"$MINT" "$ST" "$TMP/ekus" eku_server_only "$CLI"
expect_refused "curl with EKU serverAuth only (no clientAuth)" key_usage "$CLI" -- \
  kurl --cert "$TMP/ekus/svid.pem" --key "$TMP/ekus/svid_key.pem"
"$MINT" "$ST" "$TMP/nouri" no_uri "$CLI"
expect_refused "curl with a certificate without URI SAN" no_uri_san "" -- \
  kurl --cert "$TMP/nouri/svid.pem" --key "$TMP/nouri/svid_key.pem"

expect_refused "openssl s_client -tls1_2 with a valid SVID" protocol "" -- sclient "$TMP/cli" -tls1_2
expect_refused "curl --tls-max 1.2 with a valid SVID" protocol "" -- \
  kurl --tls-max 1.2 --cert "$TMP/cli/svid.pem" --key "$TMP/cli/svid_key.pem"
expect_refused "plaintext HTTP on the TLS port" protocol "" -- python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
sys.stdout.write(repr(data))
' "$PORT"
if grep -q "HTTP/1.1 200" "$TMP/out"; then not_ok "plaintext got an HTTP answer"; else ok "plaintext got no HTTP answer"; fi
if tail -n 1 "$LOG" | grep -q plaintext; then ok "the audit record says plaintext"; else not_ok "audit detail: $(tail -n 1 "$LOG")"; fi

# The client side checks the server too.
if sclient "$TMP/cli" -CAfile "$TMP/evil/ca.crt" >"$TMP/out" 2>&1; then not_ok "s_client trusted our server with another CA's bundle"
else ok "s_client refuses our server under another CA's bundle"; fi
if "$CLIENT" --connect "tcp:127.0.0.1:$PORT" --dir "$TMP/cli" --expect "spiffe://$TD/ns/pods/sa/other" >"$TMP/out" 2>"$TMP/err"; then
  not_ok "our client accepted a server it does not expect"
elif grep -q "refused: unauthorized" "$TMP/err"; then ok "our client refuses a server whose SPIFFE ID it does not expect"
else not_ok "our client failed for another reason: $(cat "$TMP/err")"; fi

# ---- unix socket --------------------------------------------------------------------------
ULOG=$TMP/ulog
: >"$ULOG"
start_server "unix:$TMP/s.sock" "$ULOG" "$TMP/uport" "$TMP/srv"
if curl -sS -k --max-time 10 --unix-socket "$TMP/s.sock" --cert "$TMP/cli/svid.pem" \
     --key "$TMP/cli/svid_key.pem" https://localhost/ 2>&1 | grep -q "^hello $CLI\$"; then
  ok "curl --unix-socket with the bridge SVID is accepted"
else not_ok "curl --unix-socket with the bridge SVID"; fi
curl -sS -k --max-time 10 --unix-socket "$TMP/s.sock" https://localhost/ >"$TMP/out" 2>&1
sleep 0.3
if ! grep -q hello "$TMP/out" && grep -q '"reason":"no_certificate".*"peer_addr":"unix pid=' "$ULOG"; then
  ok "curl --unix-socket without a certificate is refused and audited with the peer's pid"
else not_ok "unix socket refusal: $(cat "$ULOG")"; fi
expect_hello "our client over the unix socket" "$CLI" -- \
  "$CLIENT" --connect "unix:$TMP/s.sock" --dir "$TMP/cli" --expect "$PROXY"

# ---- rotation under load ------------------------------------------------------------------
# Four curl loops hammer the server while its SVID is re-issued and reloaded five times
# (plus one broken reload that must keep the current SVID): not a single request may fail.
# Each rotation waits until at least four more requests have succeeded (at most 30 s), so the
# test means the same on a loaded machine.
serial() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -cert "$TMP/cli/svid.pem" \
  -key "$TMP/cli/svid_key.pem" -CAfile "$BUNDLE" 2>/dev/null | openssl x509 -noout -serial; }
S0=$(serial)
: >"$TMP/stop"; rm -f "$TMP/stop"
for w in 1 2 3 4; do
  (
    okc=0 bad=0
    while [ ! -e "$TMP/stop" ] && [ -d "$TMP" ]; do
      if curl -s -k --max-time 10 --cert "$TMP/cli/svid.pem" --key "$TMP/cli/svid_key.pem" "$URL" | grep -q "^hello $CLI\$"
      then okc=$((okc + 1)); echo >>"$TMP/progress.$w"; else bad=$((bad + 1)); fi
    done
    echo "$okc $bad" >"$TMP/load.$w"
  ) &
  PIDS="$PIDS $!"
done
progress() { cat "$TMP"/progress.* 2>/dev/null | wc -l; }
await_progress() { # wait for 4 more successful requests
  want=$(($(progress) + 4)) i=0
  while [ "$(progress)" -lt "$want" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
for r in 1 2 3 4 5; do
  await_progress
  issue "$PROXY" "$TMP/srv" 600
  kill -HUP "$SRV_PID"
done
await_progress
cp "$TMP/srv/svid.pem" "$TMP/svid.good"
echo "not a certificate" >"$TMP/srv/svid.pem"
kill -HUP "$SRV_PID"
await_progress
: >"$TMP/stop"
wait_loops() { for w in 1 2 3 4; do i=0; while [ ! -s "$TMP/load.$w" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; done; }
wait_loops
total_ok=0 total_bad=0
for w in 1 2 3 4; do read -r a b <"$TMP/load.$w"; total_ok=$((total_ok + a)); total_bad=$((total_bad + b)); done
if [ "$total_bad" -eq 0 ] && [ "$total_ok" -ge 28 ]; then ok "rotation under load: $total_ok requests, 0 failed"
else not_ok "rotation under load: $total_ok ok, $total_bad failed"; fi
reloads=$(grep -c '"reload":"ok"' "$LOG")
if [ "$reloads" -eq 5 ]; then ok "five reloads took effect"; else not_ok "$reloads reloads ok, expected 5"; fi
if grep -q '"reload":"failed".*keeping the current SVID' "$LOG"; then ok "a broken SVID file is reported and not loaded"
else not_ok "broken reload not reported"; fi
expect_hello "after the broken reload the server still serves with the last good SVID" "$CLI" -- \
  kurl --cert "$TMP/cli/svid.pem" --key "$TMP/cli/svid_key.pem"
cp "$TMP/svid.good" "$TMP/srv/svid.pem"
S1=$(serial)
if [ -n "$S0" ] && [ -n "$S1" ] && [ "$S0" != "$S1" ]; then ok "new connections see the rotated certificate ($S0 -> $S1)"
else not_ok "certificate did not change: '$S0' '$S1'"; fi

# ---- SPIRE interoperability: files as spiffe-helper writes them ------------------------------
# A SPIRE-like hierarchy made with the openssl CLI: root -> intermediate -> leaves; svid.pem
# holds leaf + intermediate, svid_key.pem a PKCS#8 key, svid_bundle.pem the root.
SP=$TMP/spire
mkdir -p "$SP/root" "$SP/int" "$SP/server" "$SP/client"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$SP/root/ca.key" -out "$SP/root/ca.crt" -subj "/C=US/O=SPIFFE" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectAltName=URI:spiffe://spire.test" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/C=US/O=SPIRE/CN=intermediate" \
  -keyout "$SP/int/ca.key" -out "$SP/int/req.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectAltName=URI:spiffe://spire.test\n' >"$SP/int/ext"
openssl x509 -req -in "$SP/int/req.csr" -CA "$SP/root/ca.crt" -CAkey "$SP/root/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days 1 -extfile "$SP/int/ext" -out "$SP/int/ca.crt" 2>/dev/null
for who in server client; do
  case $who in server) id=spiffe://spire.test/ns/pods/sa/proxy ;; client) id=spiffe://spire.test/ns/bridge/sa/cli ;; esac
  leaf_from "$SP/int" "$SP/$who" "URI:$id"
  cat "$SP/int/ca.crt" >>"$SP/$who/svid.pem"
  cp "$SP/root/ca.crt" "$SP/$who/svid_bundle.pem"
done
if "$NUCLEUS" identity --dir "$SP/client" >"$TMP/out" 2>&1 && grep -q "spiffe://spire.test/ns/bridge/sa/cli" "$TMP/out" \
   && grep -q "intermediate" "$TMP/out"; then ok "nucleus identity reads spiffe-helper files (leaf + intermediate, svid_bundle.pem)"
else not_ok "nucleus identity on spiffe-helper files"; sed 's/^/# /' "$TMP/out" | head; fi
SLOG=$TMP/slog
: >"$SLOG"
start_server tcp:127.0.0.1:0 "$SLOG" "$TMP/sport" "$SP/server" "spiffe://spire.test/ns/bridge/*"
SPORT=$(cat "$TMP/sport")
expect_hello "SPIRE-issued SVIDs on both ends: our client and server" spiffe://spire.test/ns/bridge/sa/cli -- \
  "$CLIENT" --connect "tcp:127.0.0.1:$SPORT" --dir "$SP/client" --expect spiffe://spire.test/ns/pods/sa/proxy
if curl -sS -k --max-time 10 --cert "$SP/client/svid.pem" --key "$SP/client/svid_key.pem" \
     "https://127.0.0.1:$SPORT/" 2>&1 | grep -q "^hello spiffe://spire.test/ns/bridge/sa/cli\$"; then
  ok "curl with a spiffe-helper SVID (leaf + intermediate) is accepted"
else not_ok "curl with a spiffe-helper SVID"; fi
# A nucleus-issued SVID is not trusted by the SPIRE deployment (another trust root).
expect_refused_spire() {
  before=$(wc -l <"$SLOG")
  curl -sS -k --max-time 10 --cert "$TMP/cli/svid.pem" --key "$TMP/cli/svid_key.pem" "https://127.0.0.1:$SPORT/" >"$TMP/out" 2>&1
  sleep 0.3
  if ! grep -q hello "$TMP/out" && tail -n +"$((before + 1))" "$SLOG" | grep -q '"reason":"untrusted"'; then
    ok "the SPIRE-trusting server refuses a nucleus-CA SVID (untrusted)"
  else not_ok "SPIRE server accepted or did not audit a foreign SVID"; fi
}
expect_refused_spire

# ---- nucleus identity on our files ---------------------------------------------------------
run identity --dir "$TMP/cli"; expect_status "nucleus identity on a valid SVID" 0
expect_out "shows the SPIFFE ID" "^SPIFFE ID: +$CLI\$"
expect_out "shows the expiry" "^not after: "
expect_out "shows the chain up to the root" "root +/O=nucleus/CN=nucleus root $TD"
run identity --svid "$TMP/expired/svid.pem" --bundle "$BUNDLE"; expect_status "nucleus identity on an expired SVID" 1
expect_out "says expired" "INVALID: expired"
run identity --svid "$TMP/twouri/svid.pem" --key "$TMP/twouri/svid_key.pem" --bundle "$BUNDLE"
expect_status "nucleus identity on two URI SANs" 1
run identity --svid "$TMP/other/svid.pem" --bundle "$BUNDLE" --json; expect_status "nucleus identity --json on another CA's SVID" 1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False and d["reason"]=="untrusted" and d["spiffe_id"]==sys.argv[2]' "$TMP/out" "$CLI"; then
  ok "identity --json names the reason and the claimed ID"; else not_ok "identity --json"; fi
done_testing
