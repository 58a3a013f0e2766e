#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus ca init|issue|rotate|status from the user's side: the state directory and its
# modes, the default location, refusal to overwrite, what `issue` writes (checked with the
# openssl CLI, not with our own code), the three rotation steps, usage errors.
. "$(dirname "$0")/../cli/tap.sh"
if ! command -v openssl >/dev/null 2>&1; then echo "1..0 # SKIP openssl is not installed"; exit 77; fi

mode() { stat -c %a "$1"; }
ST=$TMP/st
run ca init --state-dir "$ST" --trust-domain example.org; expect_status "ca init" 0
expect_out "names the trust domain" "spiffe://example.org"
if [ "$(mode "$ST")" = 700 ] && [ "$(mode "$ST/ca")" = 700 ] && [ "$(mode "$ST/ca/ca.key")" = 600 ]; then
  ok "state dir 0700, ca/ 0700, ca.key 0600"; else not_ok "modes: $(mode "$ST") $(mode "$ST/ca") $(mode "$ST/ca/ca.key")"; fi
if openssl x509 -in "$ST/ca/ca.crt" -noout -ext basicConstraints,keyUsage,subjectAltName 2>/dev/null | tr -d ' ' \
   | grep -q "CA:TRUE" && openssl x509 -in "$ST/ca/ca.crt" -noout -ext subjectAltName | grep -q "URI:spiffe://example.org"; then
  ok "the root is a CA with URI SAN spiffe://example.org"; else not_ok "root extensions"; fi
sum=$(sha256sum "$ST/ca/ca.key")
run ca init --state-dir "$ST" --trust-domain example.org; expect_status "a second init is refused" 1
expect_err "says why" "already exists"
if [ "$(sha256sum "$ST/ca/ca.key")" = "$sum" ]; then ok "the CA key is untouched"; else not_ok "the CA key changed"; fi
run ca init --state-dir "$TMP/bad" --trust-domain Example.ORG; expect_status "an invalid trust domain is refused" 2
run ca init --state-dir "$TMP/ed" --trust-domain ed.example --key-type ed25519; expect_status "ca init --key-type ed25519" 0
if openssl x509 -in "$TMP/ed/ca/ca.crt" -noout -text | grep -q "ED25519"; then ok "the root key is Ed25519"; else not_ok "ed25519 root"; fi
run ca init --state-dir "$TMP/x" --key-type rsa; expect_status "an unknown key type is a usage error" 2

# Default location: $XDG_STATE_HOME/nucleus, else ~/.local/state/nucleus.
XDG_STATE_HOME=$TMP/xdg "$NUCLEUS" ca init >/dev/null 2>&1
if [ -f "$TMP/xdg/nucleus/ca/ca.key" ]; then ok "default state dir under \$XDG_STATE_HOME"; else not_ok "XDG_STATE_HOME ignored"; fi
env -u XDG_STATE_HOME HOME="$TMP/home" "$NUCLEUS" ca init >/dev/null 2>&1
if [ -f "$TMP/home/.local/state/nucleus/ca/ca.key" ] && [ "$(mode "$TMP/home/.local/state/nucleus")" = 700 ]; then
  ok "else ~/.local/state/nucleus (0700)"; else not_ok "HOME default"; fi

# issue
run ca issue --state-dir "$ST" --id spiffe://example.org/ns/pods/sa/p1 --out-dir "$TMP/p1" --ttl 600
expect_status "ca issue" 0
if [ -f "$TMP/p1/svid.pem" ] && [ "$(mode "$TMP/p1/svid_key.pem")" = 600 ] && [ -f "$TMP/p1/bundle.pem" ]; then
  ok "writes svid.pem, svid_key.pem (0600), bundle.pem"; else not_ok "issued files"; fi
if [ ! -e "$TMP/p1/ca.key" ] && ! grep -q "$(sed -n 2p "$ST/ca/ca.key")" "$TMP/p1/svid_key.pem"; then
  ok "the workload directory holds its own key, not the CA's"; else not_ok "CA key leaked into the workload dir"; fi
if openssl verify -CAfile "$TMP/p1/bundle.pem" -purpose sslclient "$TMP/p1/svid.pem" >/dev/null 2>&1 &&
   openssl verify -CAfile "$TMP/p1/bundle.pem" -purpose sslserver "$TMP/p1/svid.pem" >/dev/null 2>&1; then
  ok "openssl verify accepts the SVID for both TLS roles"; else not_ok "openssl verify"; fi
ext=$(openssl x509 -in "$TMP/p1/svid.pem" -noout -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName 2>/dev/null)
case $ext in
  *"CA:FALSE"*"Digital Signature"*"TLS Web Server Authentication, TLS Web Client Authentication"*"URI:spiffe://example.org/ns/pods/sa/p1"*)
    ok "leaf: CA:FALSE, digitalSignature, serverAuth+clientAuth, one URI SAN" ;;
  *) not_ok "leaf extensions: $ext" ;;
esac
if openssl x509 -in "$TMP/p1/svid.pem" -noout -ext keyUsage | grep -q critical; then ok "key usage is critical"; else not_ok "key usage not critical"; fi
if [ "$(openssl x509 -in "$TMP/p1/svid.pem" -noout -ext keyUsage | grep -c "Certificate Sign\|CRL Sign")" = 0 ]; then
  ok "no keyCertSign or cRLSign on the leaf"; else not_ok "signing bits on the leaf"; fi
nb=$(date -d "$(openssl x509 -in "$TMP/p1/svid.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$TMP/p1/svid.pem" -noout -enddate | cut -d= -f2)" +%s)
if [ $((na - nb)) -eq 660 ]; then ok "validity is TTL + 60 s of backdating"; else not_ok "validity $((na - nb)) s"; fi
serial=$(openssl x509 -in "$TMP/p1/svid.pem" -noout -serial | cut -d= -f2)
if [ ${#serial} -eq 32 ]; then ok "128-bit serial"; else not_ok "serial $serial"; fi
run ca issue --state-dir "$ST" --id spiffe://other.org/ns/a/sa/b --out-dir "$TMP/o"; expect_status "an ID outside the trust domain is refused" 1
run ca issue --state-dir "$ST" --id spiffe://example.org --out-dir "$TMP/o"; expect_status "a trust-domain ID is not a workload" 2
run ca issue --state-dir "$ST" --id spiffe://example.org/a/../b --out-dir "$TMP/o"; expect_status "a dot segment is refused" 2
run ca issue --state-dir "$ST" --id spiffe://example.org/a --ttl 86401; expect_status "a TTL over 24 h is refused" 2
run ca issue --state-dir "$ST" --id spiffe://example.org/a --out-dir "$ST/ca"; expect_status "writing into the CA's directory is refused" 2
run ca issue --state-dir "$TMP/none" --id spiffe://example.org/a --out-dir "$TMP/o"; expect_status "issue without a CA" 2
expect_err "hints at ca init" "ca init"
chmod 644 "$ST/ca/ca.key"
run ca issue --state-dir "$ST" --id spiffe://example.org/a --out-dir "$TMP/o"; expect_status "a CA key readable by others is refused" 2
chmod 600 "$ST/ca/ca.key"

# rotation
nroots() { grep -c "BEGIN CERTIFICATE" "$ST/ca/bundle.pem"; }
run ca rotate --state-dir "$ST" --activate; expect_status "activate before prepare is refused" 1
run ca rotate --state-dir "$ST"; expect_status "rotate (prepare)" 0
if [ "$(nroots)" = 2 ]; then ok "prepared: two roots in the bundle"; else not_ok "bundle has $(nroots) roots"; fi
old=$(openssl x509 -in "$ST/ca/ca.crt" -noout -fingerprint)
run ca issue --state-dir "$ST" --id spiffe://example.org/r --out-dir "$TMP/r1"; expect_status "issue while prepared" 0
if openssl verify -CAfile "$ST/ca/ca.crt" "$TMP/r1/svid.pem" >/dev/null 2>&1; then ok "prepared: the old root still signs"; else not_ok "prepared signer"; fi
run ca status --state-dir "$ST" --json; expect_status "ca status --json" 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["rotation"]=="prepared" and len(d["bundle"])==2 and d["trust_domain"]=="spiffe://example.org"' "$TMP/out"; then
  ok "status shows the prepared rotation"; else not_ok "status json"; fi
run ca rotate --state-dir "$ST" --activate; expect_status "rotate --activate" 0
new=$(openssl x509 -in "$ST/ca/ca.crt" -noout -fingerprint)
if [ "$old" != "$new" ] && [ "$(nroots)" = 2 ]; then ok "activated: a new signing root, both still trusted"; else not_ok "activate"; fi
run ca issue --state-dir "$ST" --id spiffe://example.org/r --out-dir "$TMP/r2"; expect_status "issue after activate" 0
if openssl verify -CAfile "$ST/ca/ca.crt" "$TMP/r2/svid.pem" >/dev/null 2>&1 &&
   openssl verify -CAfile "$ST/ca/bundle.pem" "$TMP/r1/svid.pem" >/dev/null 2>&1; then
  ok "new SVIDs chain to the new root; old SVIDs still verify against the bundle"; else not_ok "overlap"; fi
run ca rotate --state-dir "$ST" --finish; expect_status "finish before the old SVIDs expire is refused" 1
expect_err "says how long" "may be valid for"
run ca rotate --state-dir "$ST" --force; expect_status "--force without --finish is a usage error" 2
run ca rotate --state-dir "$ST" --finish --force; expect_status "rotate --finish --force" 0
if [ "$(nroots)" = 1 ]; then ok "finished: one root in the bundle"; else not_ok "bundle has $(nroots) roots"; fi
if openssl verify -CAfile "$ST/ca/bundle.pem" "$TMP/r1/svid.pem" >/dev/null 2>&1; then not_ok "old SVID still trusted"
else ok "SVIDs of the old root are no longer trusted"; fi

# usage
run ca; expect_status "ca without a subcommand" 2
run ca frobnicate; expect_status "unknown subcommand" 2
run ca issue --state-dir "$ST"; expect_status "issue without --id" 2
run ca init --bogus; expect_status "unknown option" 2
run ca --help; expect_status "ca --help" 0
expect_out "documents rotation" "rotate"
run identity --help; expect_status "identity --help" 0
run identity --dir "$TMP/nothing"; expect_status "identity without files" 2
done_testing
