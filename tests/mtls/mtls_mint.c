/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: mints the certificates the mTLS tests present, signed by the CA in STATE/ca
 * (or self-signed), good or deliberately malformed, with certgen.c (independent of the CA
 * code under test).  Writes OUT/svid.pem and OUT/svid_key.pem (0600).
 * Usage: mtls_mint STATE OUT KIND SPIFFE_ID
 *   KIND: good expired not_yet_valid ca_leaf ku_certsign ku_no_ds eku_server_only two_uri
 *         no_uri self_signed */
#include "certgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

static void *load(const char *state, const char *name, int key)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/ca/%s", state, name);
    FILE *f = fopen(p, "re");
    if (f == NULL) {
        perror(p);
        exit(2);
    }
    void *v = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
                  : (void *)PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (v == NULL) {
        fprintf(stderr, "mtls_mint: cannot read %s\n", p);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: mtls_mint STATE OUT KIND SPIFFE_ID\n");
        return 2;
    }
    const char *state = argv[1], *out = argv[2], *kind = argv[3], *id = argv[4];
    X509 *ca = load(state, "ca.crt", 0);
    EVP_PKEY *cakey = load(state, "ca.key", 1);
    EVP_PKEY *key = certgen_key();
    struct certgen_opts o = certgen_leaf(id);
    char second[4200];
    bool self = false;
    snprintf(second, sizeof(second), "%s-second", id);

    if (strcmp(kind, "good") == 0) {
    } else if (strcmp(kind, "expired") == 0) {
        o.not_before = -7200;
        o.not_after = -3600;
    } else if (strcmp(kind, "not_yet_valid") == 0) {
        o.not_before = 3600;
        o.not_after = 7200;
    } else if (strcmp(kind, "ca_leaf") == 0) {
        o.bc = "critical,CA:TRUE";
        o.ku = "critical,digitalSignature,keyCertSign,cRLSign";
    } else if (strcmp(kind, "ku_certsign") == 0) {
        o.ku = "critical,digitalSignature,keyCertSign";
    } else if (strcmp(kind, "ku_no_ds") == 0) {
        o.ku = "critical,keyAgreement";
    } else if (strcmp(kind, "eku_server_only") == 0) {
        o.eku = "serverAuth";
    } else if (strcmp(kind, "two_uri") == 0) {
        o.uris[1] = second;
    } else if (strcmp(kind, "no_uri") == 0) {
        o.uris[0] = NULL;
    } else if (strcmp(kind, "self_signed") == 0) {
        self = true;
    } else {
        fprintf(stderr, "mtls_mint: unknown kind %s\n", kind);
        return 2;
    }
    X509 *x = self ? certgen_make(key, NULL, NULL, &o) : certgen_make(key, ca, cakey, &o);
    char p[4200];
    mkdir(out, 0700);
    snprintf(p, sizeof(p), "%s/svid.pem", out);
    certgen_write_cert(p, x, NULL);
    snprintf(p, sizeof(p), "%s/svid_key.pem", out);
    certgen_write_key(p, key);
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(cakey);
    return 0;
}
