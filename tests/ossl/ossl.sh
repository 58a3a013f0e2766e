#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# OpenSSL loaded on first use (src/util/ossl.h, docs/design/0013-lazy-openssl.md):
#   - no file of src/ but util/ossl.h includes an OpenSSL header (so no call bypasses the table);
#   - nucleus does not link libcrypto or libssl;
#   - the commands main.c lets skip the load really never load them (the dynamic linker's own
#     trace, LD_DEBUG=files), exec with its egress gateway included, and every command on that
#     list has a case here;
#   - a command that needs OpenSSL loads it and works;
#   - a call through the table before the load aborts naming the function;
#   - an unusable libcrypto.so.3 (not ELF, a function missing, older than 3.0) is refused with a
#     message that names the library and the problem, while exec still works.
# Usage: ossl.sh NUCLEUS SRCDIR OSSL_UNLOADED FAKE_OLD_SO FAKE_MISSING_SO
. "$(dirname "$0")/../cli/tap.sh"
SRC=${2:?} UNLOADED=${3:?} FAKE_OLD=${4:?} FAKE_MISSING=${5:?}

# ---- the source and the binary -------------------------------------------------------------
bad=$(cd "$SRC" && grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]openssl/' src | grep -v '^src/util/ossl\.h$')
if [ -z "$bad" ]; then ok "only src/util/ossl.h includes OpenSSL headers"; else
  not_ok "files include OpenSSL headers directly (use util/ossl.h): $(echo $bad)"; fi
if ! command -v readelf >/dev/null 2>&1; then
  ok "nucleus does not link libcrypto or libssl # SKIP readelf (binutils) is not installed"
elif readelf -d "$NUCLEUS" | grep -Eq 'NEEDED.*lib(crypto|ssl)'; then
  not_ok "nucleus links OpenSSL: $(readelf -d "$NUCLEUS" | grep -E 'NEEDED.*lib(crypto|ssl)' | tr -s ' ')"
else ok "nucleus does not link libcrypto or libssl (readelf -d)"; fi
if ! command -v nm >/dev/null 2>&1; then
  ok "nucleus has no undefined OpenSSL symbol # SKIP nm (binutils) is not installed"
elif nm -D --undefined-only "$NUCLEUS" | grep -q '@OPENSSL_'; then
  not_ok "undefined OpenSSL symbols: $(nm -D --undefined-only "$NUCLEUS" | grep '@OPENSSL_' | head -5 | tr -s ' \n' ' ')"
else ok "nucleus has no undefined OpenSSL symbol (nm -D)"; fi

# ---- the commands that skip the load --------------------------------------------------------
# no_openssl DESC ARGS...: nucleus runs, exits 0, and the dynamic linker never opens OpenSSL.
no_openssl() {
  desc=$1; shift
  LD_DEBUG=files "$NUCLEUS" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  status=$?
  if grep -Eq 'file=lib(crypto|ssl)\.so' "$TMP/err"; then
    not_ok "$desc: OpenSSL is loaded"; grep -E 'file=lib(crypto|ssl)\.so' "$TMP/err" | head -4 | sed 's/^/# /'
  elif ! grep -q 'file=libc\.so' "$TMP/err"; then
    not_ok "$desc: no trace from the dynamic linker (LD_DEBUG ignored?)"; head -5 "$TMP/err" | sed 's/^/# /'
  elif [ "$status" -ne 0 ]; then
    not_ok "$desc: exit $status"; grep -v '^ *[0-9]*:' "$TMP/err" | head -10 | sed 's/^/# err: /'
  else ok "$desc: OpenSSL is never loaded"; fi
}
pods=yes
"$NUCLEUS" doctor >/dev/null 2>&1 || pods=no
WS=$TMP/ws; mkdir -p "$WS"
skipped=$(sed -n 's/.*without_openssl\[\] = {\(.*\)};.*/\1/p' "$SRC/src/cli/main.c" | tr -d '" ' | tr , ' ')
if [ -n "$skipped" ]; then ok "main.c's list of commands that skip the load: $skipped"; else
  not_ok "cannot find without_openssl[] in src/cli/main.c"; fi
for cmd in $skipped; do
  case $cmd in
    exec)
      if [ "$pods" = no ]; then
        ok "exec: OpenSSL is never loaded # SKIP this machine cannot run full pods (nucleus doctor)"
        ok "exec with the egress gateway: OpenSSL is never loaded # SKIP no full pods here"
        continue
      fi
      no_openssl "exec -- /bin/true" exec --workspace "$WS" -- /bin/true
      # The gateway serves inside exec: a request through it, allowed (the port is closed) and
      # refused, both audited to the egress log.
      no_openssl "exec with the egress gateway" exec --workspace "$WS" \
        --allow-network 127.0.0.1:9 --egress-log "$TMP/egress.log" --quiet -- python3 -c '
import socket
for url in (b"http://127.0.0.1:9/", b"http://192.0.2.1/"):
    s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
    s.sendall(b"GET " + url + b" HTTP/1.0\r\n\r\n")
    print(s.recv(200).split(b"\r\n")[0].decode())
    s.close()'
      if [ -s "$TMP/egress.log" ]; then ok "the gateway in that exec served and logged requests"; else
        not_ok "the egress log is empty: the gateway case proved nothing"; sed 's/^/# out: /' "$TMP/out"; fi
      ;;
    policy) no_openssl "policy show" policy show local-dev
            no_openssl "policy check" policy check "$SRC/examples/policies/no-network.yaml" ;;
    profiles) no_openssl "profiles" profiles ;;
    doctor)
      LD_DEBUG=files "$NUCLEUS" doctor >"$TMP/out" 2>"$TMP/err" </dev/null
      if grep -Eq 'file=lib(crypto|ssl)\.so' "$TMP/err"; then not_ok "doctor: OpenSSL is loaded"; else
        ok "doctor: OpenSSL is never loaded (its exit status reports the machine, not checked)"; fi ;;
    *) not_ok "main.c lets '$cmd' skip loading OpenSSL but ossl.sh has no case proving it never needs it" ;;
  esac
done
no_openssl "--version" --version
no_openssl "help exec" help exec

# ---- a command that needs it ----------------------------------------------------------------
LD_DEBUG=files "$NUCLEUS" ca init --state-dir "$TMP/st" --trust-domain ossl.test >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status "ca init works" 0
if grep -Eq 'file=libcrypto\.so\.3 .*dynamically loaded' "$TMP/err" && grep -Eq 'file=libssl\.so\.3 .*dynamically loaded' "$TMP/err"; then
  ok "ca init loads libcrypto and libssl with dlopen"; else not_ok "ca init: no dlopen of OpenSSL in the trace"; fi
run ca issue --state-dir "$TMP/st" --id spiffe://ossl.test/w --out-dir "$TMP/svid"; expect_status "ca issue works" 0
run identity --dir "$TMP/svid"; expect_status "identity verifies the chain" 0; expect_out "valid" "status: +valid"

# ---- a call before the load -----------------------------------------------------------------
"$UNLOADED" >"$TMP/out" 2>"$TMP/err"; status=$?
if [ "$status" -ne 0 ] && grep -q "OpenSSL function RAND_bytes called before nc_ossl_load" "$TMP/err" && ! grep -q returned "$TMP/out"; then
  ok "a call before the load aborts naming the function (exit $status)"; else
  not_ok "call before the load: exit $status"; sed 's/^/# /' "$TMP/out" "$TMP/err" | head; fi

# ---- unusable libraries ---------------------------------------------------------------------
# refused DESC LIBDIR REGEX: a command that needs OpenSSL exits 2 with the message.
refused() {
  LD_LIBRARY_PATH=$2 "$NUCLEUS" ca status --state-dir "$TMP/st" >"$TMP/out" 2>"$TMP/err"; status=$?
  if [ "$status" -eq 2 ] && grep -Eq "$3" "$TMP/err"; then ok "$1: refused (exit 2): $(head -1 "$TMP/err")"; else
    not_ok "$1: exit $status"; sed 's/^/# err: /' "$TMP/err" | head -5; fi
}
mkdir -p "$TMP/notelf" "$TMP/old" "$TMP/missing"
echo "not a library" >"$TMP/notelf/libcrypto.so.3"
ln -s "$(readlink -f "$FAKE_OLD")" "$TMP/old/libcrypto.so.3"
ln -s "$(readlink -f "$FAKE_MISSING")" "$TMP/missing/libcrypto.so.3"
refused "a libcrypto.so.3 that is not ELF" "$TMP/notelf" '^nucleus: ca: cannot load OpenSSL: .*libcrypto\.so\.3'
refused "a libcrypto.so.3 without the functions" "$TMP/missing" '^nucleus: ca: cannot load OpenSSL: libcrypto\.so\.3 has no ASN1_INTEGER_free$'
refused "a libcrypto.so.3 older than 3.0" "$TMP/old" '^nucleus: ca: cannot load OpenSSL: libcrypto\.so\.3 is version 0x1010117f; nucleus needs 3\.0 or later$'
if [ "$pods" = yes ]; then
  LD_LIBRARY_PATH=$TMP/notelf "$NUCLEUS" exec --workspace "$WS" -- /bin/true >"$TMP/out" 2>"$TMP/err"; status=$?
  expect_status "exec works even with a broken libcrypto.so.3 on the path" 0
else ok "exec with a broken libcrypto.so.3 # SKIP no full pods here"; fi
done_testing
