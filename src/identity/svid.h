/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 SVIDs and trust bundles: loading them from PEM files (ours or SPIRE spiffe-helper's),
 * writing them, extracting the SPIFFE ID of a certificate under the X509-SVID rules, and
 * verifying a chain against a bundle.  See docs/identity.md. */
#ifndef NC_IDENTITY_SVID_H
#define NC_IDENTITY_SVID_H

#include "identity/spiffe.h"
#include "util/err.h"
#include "util/ossl.h"

#include <stdbool.h>
#include <time.h>

#define NC_SVID_TTL_DEFAULT 3600u     /* seconds: default SVID lifetime (1 h) */
#define NC_SVID_TTL_MAX (24u * 3600u) /* seconds: the longest SVID the CA issues */
#define NC_SVID_BACKDATE 60u          /* seconds notBefore is set in the past (clock skew) */
#define NC_PEM_MAX (1u << 20)         /* bytes: largest PEM file read */

/* spiffe-helper's file names (used for what we write, too). */
#define NC_SVID_CERT_FILE "svid.pem"
#define NC_SVID_KEY_FILE "svid_key.pem"
#define NC_SVID_BUNDLE_FILE "bundle.pem"            /* what `nucleus ca issue` writes */
#define NC_SVID_HELPER_BUNDLE_FILE "svid_bundle.pem" /* what spiffe-helper writes */

/* Why a certificate was not accepted as an identity.  The names (nc_svid_reason_name) are
 * stable: they appear in audit records. */
enum nc_svid_reason {
    NC_SVID_OK,
    NC_SVID_NO_CERT,          /* the peer sent no certificate */
    NC_SVID_UNTRUSTED,        /* no chain to the trust bundle (other CA, bad signature, ...) */
    NC_SVID_EXPIRED,          /* a certificate of the chain is past notAfter */
    NC_SVID_NOT_YET_VALID,    /* a certificate of the chain is before notBefore */
    NC_SVID_NO_URI_SAN,       /* no URI SAN: not an SVID */
    NC_SVID_MULTIPLE_URI_SAN, /* more than one URI SAN (X509-SVID §2: reject) */
    NC_SVID_BAD_SPIFFE_ID,    /* the URI SAN is not a valid workload SPIFFE ID */
    NC_SVID_CA_AS_LEAF,       /* the leaf is a CA certificate (cA=true) */
    NC_SVID_KEY_USAGE,        /* key usage or extended key usage wrong for an SVID / this role */
    NC_SVID_MALFORMED,        /* invalid or duplicate extensions, unparsable certificate */
    NC_SVID_WRONG_TRUST_DOMAIN, /* valid SVID, but from another trust domain than the link's */
    NC_SVID_UNAUTHORIZED,     /* valid SVID, but the link's policy does not allow this ID */
    NC_SVID_PROTOCOL,         /* not TLS 1.3 (plaintext, TLS 1.2, ...) or handshake failure */
    NC_SVID_TIMEOUT,          /* the handshake did not finish in time */
    NC_SVID_REASON_COUNT,
};

/* "ok", "no_certificate", "untrusted", "expired", ...; "unknown" when out of range. */
const char *nc_svid_reason_name(enum nc_svid_reason r);

/* Which TLS role the certificate is checked for (the EKU that must allow it). */
enum nc_svid_role {
    NC_SVID_ROLE_ANY,    /* serverAuth and clientAuth both required if EKU is present */
    NC_SVID_ROLE_CLIENT, /* the peer is a TLS client */
    NC_SVID_ROLE_SERVER, /* the peer is a TLS server */
};

/* ---- identity of one certificate ------------------------------------------------------- */

/* Applies the X509-SVID leaf rules to cert and extracts its SPIFFE ID:
 *   - well-formed extensions, none duplicated;
 *   - exactly one URI SAN, a valid SPIFFE ID with a non-empty path; critical SAN if the
 *     subject is empty;
 *   - not a CA (basicConstraints cA=false or absent);
 *   - key usage present and critical, with digitalSignature, without keyCertSign and cRLSign;
 *   - extended key usage, when present, with both serverAuth and clientAuth.
 * Returns 0 with *out filled, or < 0 with *why (may be NULL) and err saying which rule failed.
 * Chain, signature and validity dates are not looked at here (nc_svid_verify_chain). */
int nc_svid_cert_id(X509 *cert, struct nc_spiffe_id *out, enum nc_svid_reason *why,
                    struct nc_err *err);
/* Best effort for audit records: the first URI SAN of cert if it is a syntactically valid
 * SPIFFE ID, whatever else is wrong with the certificate; else out->len == 0.  Never fails. */
void nc_svid_cert_claimed_id(X509 *cert, struct nc_spiffe_id *out);

/* ---- trust bundles ----------------------------------------------------------------------- */

/* An ordered list of CA certificates (trust anchors), as in a PEM bundle file. */
struct nc_bundle;

/* Reads every CERTIFICATE block of a PEM file (at most NC_PEM_MAX bytes).  An empty bundle,
 * a block that does not parse, or a certificate that is not a CA (cA=true with keyCertSign)
 * is an error: a bundle that silently trusts fewer (or wrong) roots than its file says is
 * worse than none. */
struct nc_bundle *nc_bundle_load(const char *path, struct nc_err *err);
struct nc_bundle *nc_bundle_from_pem(const char *pem, size_t len, struct nc_err *err);
/* An empty bundle to fill with nc_bundle_add. */
struct nc_bundle *nc_bundle_new(struct nc_err *err);
/* Appends a copy (reference) of cert; a certificate already present is skipped. */
int nc_bundle_add(struct nc_bundle *b, X509 *cert, struct nc_err *err);
void nc_bundle_free(struct nc_bundle *b);
size_t nc_bundle_count(const struct nc_bundle *b);
X509 *nc_bundle_cert(const struct nc_bundle *b, size_t i); /* borrowed */
/* A new X509_STORE holding the bundle's certificates (free with X509_STORE_free). */
X509_STORE *nc_bundle_store(const struct nc_bundle *b, struct nc_err *err);
/* Writes the bundle as PEM, atomically (temporary file + rename), mode 0644. */
int nc_bundle_write(const struct nc_bundle *b, const char *path, struct nc_err *err);

/* Verifies leaf (with the untrusted intermediates, may be NULL) against the bundle for role:
 * RFC 5280 path validation at time now (0: the current time), then nc_svid_cert_id.
 * Returns 0 and fills *id, or < 0 with *why and err. */
int nc_svid_verify_chain(X509 *leaf, STACK_OF(X509) *intermediates, const struct nc_bundle *b,
                         enum nc_svid_role role, time_t now, struct nc_spiffe_id *id,
                         enum nc_svid_reason *why, struct nc_err *err);
/* Maps an X509_V_ERR_* code to a reason. */
enum nc_svid_reason nc_svid_reason_from_x509(int x509_error);

/* ---- an SVID: our certificate chain and private key --------------------------------------- */

struct nc_svid;

/* Reads svid.pem (leaf first, then intermediates) and svid_key.pem (PKCS#8, or SEC1/EC
 * "traditional" PEM); checks the key matches the leaf and the leaf obeys nc_svid_cert_id.
 * The key file must not be readable or writable by group or others (EPERM). */
struct nc_svid *nc_svid_load(const char *cert_path, const char *key_path, struct nc_err *err);
/* Takes references to leaf, intermediates (may be NULL) and key; same checks as loading. */
struct nc_svid *nc_svid_new(X509 *leaf, STACK_OF(X509) *intermediates, EVP_PKEY *key,
                            struct nc_err *err);
/* SVIDs are reference counted: the mTLS context keeps one while connections use it. */
void nc_svid_up_ref(struct nc_svid *s);
void nc_svid_free(struct nc_svid *s); /* drops one reference; NULL is a no-op */

const struct nc_spiffe_id *nc_svid_id(const struct nc_svid *s);
X509 *nc_svid_leaf(const struct nc_svid *s);                  /* borrowed */
STACK_OF(X509) *nc_svid_intermediates(const struct nc_svid *s); /* borrowed, may be empty */
EVP_PKEY *nc_svid_key(const struct nc_svid *s);               /* borrowed */
time_t nc_svid_not_before(const struct nc_svid *s);
time_t nc_svid_not_after(const struct nc_svid *s);
/* When to renew: half of the lifetime (notBefore + (notAfter - notBefore) / 2). */
time_t nc_svid_renew_at(const struct nc_svid *s);

/* Writes svid.pem (0644), svid_key.pem (0600) and, when b is not NULL, bundle.pem (0644) into
 * dir, each atomically (temporary file, fsync, rename): a reader sees the old file or the new
 * one, never a torn one.  dir must exist. */
int nc_svid_write_dir(const struct nc_svid *s, const struct nc_bundle *b, const char *dir,
                      struct nc_err *err);

/* Reads every CERTIFICATE of a PEM file, in order, without judging them (for display and
 * for loaders that apply their own rules).  NULL with err when a block does not parse, a block
 * is not a certificate, or there is none.  Free with sk_X509_pop_free(s, X509_free). */
STACK_OF(X509) *nc_pem_load_certs(const char *path, struct nc_err *err);

/* ---- small helpers shared with ca.c ------------------------------------------------------- */

/* Writes len bytes to path atomically with the given mode (temporary file in the same
 * directory, fsync, rename, fsync of the directory).  Never follows a symlink at path. */
int nc_identity_write_file(const char *path, const void *data, size_t len, unsigned mode,
                           struct nc_err *err);
/* The time of an ASN1_TIME as Unix seconds (0 on error). */
time_t nc_asn1_time_to_unix(const ASN1_TIME *t);
/* The OpenSSL error queue's first entry, as text (and the queue cleared). */
const char *nc_ssl_errstr(char *buf, size_t n);

#endif
