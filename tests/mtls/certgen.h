/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: builds X.509 certificates with exactly the extensions a test asks for, including
 * the malformed ones the library must refuse (two URI SANs, a CA as leaf, wrong key usage,
 * expired, not yet valid).  Deliberately independent of src/identity/ca.c. */
#ifndef NC_TESTS_CERTGEN_H
#define NC_TESTS_CERTGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

struct certgen_opts {
    const char *uris[4]; /* URI SANs, NULL-terminated (at most 3) */
    const char *bc;      /* basicConstraints value, e.g. "critical,CA:FALSE"; NULL: omitted */
    const char *ku;      /* keyUsage value; NULL: omitted */
    const char *eku;     /* extendedKeyUsage value; NULL: omitted */
    bool san_critical;
    bool empty_subject;
    long not_before; /* seconds relative to now */
    long not_after;  /* seconds relative to now */
};

/* The options of a good leaf SVID for uri, valid from now-60 to now+3600. */
struct certgen_opts certgen_leaf(const char *uri);
/* The options of a good root for spiffe://<td>, valid 1 day. */
struct certgen_opts certgen_root(const char *td_uri);
/* Signs a certificate for key with issuer/issuer_key (both NULL: self-signed).  Aborts on
 * error (test code). */
X509 *certgen_make(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   const struct certgen_opts *o);
EVP_PKEY *certgen_key(void); /* P-256 */
/* Writes PEM files (aborts on error). */
void certgen_write_cert(const char *path, X509 *leaf, X509 *extra);
void certgen_write_key(const char *path, EVP_PKEY *key);

#endif
