/* SPDX-License-Identifier: Apache-2.0 */
/* Test certificate builder (see certgen.h). */
#include "certgen.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            fprintf(stderr, "certgen: %s failed at %s:%d\n", #c, __FILE__, __LINE__);         \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

struct certgen_opts certgen_leaf(const char *uri)
{
    struct certgen_opts o = {
        .uris = {uri, NULL},
        .bc = "critical,CA:FALSE",
        .ku = "critical,digitalSignature",
        .eku = "serverAuth,clientAuth",
        .not_before = -60,
        .not_after = 3600,
    };
    return o;
}

struct certgen_opts certgen_root(const char *td_uri)
{
    struct certgen_opts o = {
        .uris = {td_uri, NULL},
        .bc = "critical,CA:TRUE",
        .ku = "critical,keyCertSign,cRLSign",
        .not_before = -60,
        .not_after = 86400,
    };
    return o;
}

EVP_PKEY *certgen_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    CHECK(k != NULL);
    return k;
}

static void ext(X509 *x, X509 *issuer, int nid, const char *v)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
    CHECK(e != NULL);
    CHECK(X509_add_ext(x, e, -1) == 1);
    X509_EXTENSION_free(e);
}

X509 *certgen_make(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   const struct certgen_opts *o)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    char san[4096] = "";
    time_t now = time(NULL);
    CHECK(x != NULL);
    CHECK(X509_set_version(x, 2) == 1);
    CHECK(RAND_bytes(serial, sizeof(serial)) == 1);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    CHECK(bn != NULL);
    CHECK(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL);
    BN_free(bn);
    CHECK(X509_time_adj_ex(X509_getm_notBefore(x), 0, o->not_before, &now) != NULL);
    CHECK(X509_time_adj_ex(X509_getm_notAfter(x), 0, o->not_after, &now) != NULL);
    X509_NAME *name = X509_get_subject_name(x);
    if (!o->empty_subject) {
        /* A unique CN per certificate, so issuer names never collide across test roots. */
        char cn[40];
        snprintf(cn, sizeof(cn), "certgen %02x%02x%02x%02x%02x%02x", serial[1], serial[2],
                 serial[3], serial[4], serial[5], serial[6]);
        CHECK(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                         (const unsigned char *)"certgen", -1, -1, 0) == 1);
        CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                                         -1, -1, 0) == 1);
    }
    CHECK(X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) == 1);
    CHECK(X509_set_pubkey(x, key) == 1);
    ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
    ext(x, issuer != NULL ? issuer : x, NID_authority_key_identifier, "keyid:always");
    if (o->bc != NULL)
        ext(x, issuer != NULL ? issuer : x, NID_basic_constraints, o->bc);
    if (o->ku != NULL)
        ext(x, issuer != NULL ? issuer : x, NID_key_usage, o->ku);
    if (o->eku != NULL)
        ext(x, issuer != NULL ? issuer : x, NID_ext_key_usage, o->eku);
    if (o->uris[0] != NULL) {
        size_t off = 0;
        if (o->san_critical)
            off += (size_t)snprintf(san, sizeof(san), "critical,");
        for (int i = 0; i < 4 && o->uris[i] != NULL; i++)
            off += (size_t)snprintf(san + off, sizeof(san) - off, "%sURI:%s", i > 0 ? "," : "",
                                    o->uris[i]);
        CHECK(off < sizeof(san));
        ext(x, issuer != NULL ? issuer : x, NID_subject_alt_name, san);
    }
    CHECK(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

void certgen_write_cert(const char *path, X509 *leaf, X509 *extra)
{
    FILE *f = fopen(path, "we");
    CHECK(f != NULL);
    CHECK(PEM_write_X509(f, leaf) == 1);
    if (extra != NULL)
        CHECK(PEM_write_X509(f, extra) == 1);
    CHECK(fclose(f) == 0);
}

void certgen_write_key(const char *path, EVP_PKEY *key)
{
    (void)unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CHECK(f != NULL);
    CHECK(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
    CHECK(fclose(f) == 0);
}
