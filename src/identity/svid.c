/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 SVIDs and trust bundles (see svid.h).
 *
 * The leaf rules come from the X509-SVID standard (§2, §3.1, §4.1, §4.3, §4.4, §5.2); each is
 * checked by nc_svid_cert_id, whichever path the certificate came in by (TLS handshake, a file
 * written by SPIRE's spiffe-helper, `nucleus identity`), so there is one definition of "this
 * certificate is the identity X". */
#include "svid.h"

#include "util/cleanup.h"
#include "util/file.h"
#include "util/ossl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const reason_names[NC_SVID_REASON_COUNT] = {
    [NC_SVID_OK] = "ok",
    [NC_SVID_NO_CERT] = "no_certificate",
    [NC_SVID_UNTRUSTED] = "untrusted",
    [NC_SVID_EXPIRED] = "expired",
    [NC_SVID_NOT_YET_VALID] = "not_yet_valid",
    [NC_SVID_NO_URI_SAN] = "no_uri_san",
    [NC_SVID_MULTIPLE_URI_SAN] = "multiple_uri_san",
    [NC_SVID_BAD_SPIFFE_ID] = "bad_spiffe_id",
    [NC_SVID_CA_AS_LEAF] = "ca_as_leaf",
    [NC_SVID_KEY_USAGE] = "key_usage",
    [NC_SVID_MALFORMED] = "malformed",
    [NC_SVID_WRONG_TRUST_DOMAIN] = "wrong_trust_domain",
    [NC_SVID_UNAUTHORIZED] = "unauthorized",
    [NC_SVID_PROTOCOL] = "protocol",
    [NC_SVID_TIMEOUT] = "timeout",
};

const char *nc_svid_reason_name(enum nc_svid_reason r)
{
    if ((unsigned)r >= NC_SVID_REASON_COUNT)
        return "unknown";
    return reason_names[r];
}

const char *nc_ssl_errstr(char *buf, size_t n)
{
    unsigned long e = ERR_peek_error();
    if (e == 0)
        snprintf(buf, n, "no OpenSSL error");
    else
        ERR_error_string_n(e, buf, n);
    ERR_clear_error();
    return buf;
}

time_t nc_asn1_time_to_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

static int fail(enum nc_svid_reason *why, enum nc_svid_reason r, struct nc_err *err,
                const char *msg)
{
    if (why != NULL)
        *why = r;
    return nc_err_set(err, EACCES, "%s", msg);
}

/* Counts URI SANs; returns the first one (borrowed) in *uri. */
static int count_uri_sans(const GENERAL_NAMES *names, const ASN1_IA5STRING **uri)
{
    int n = 0;
    *uri = NULL;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_URI)
            continue;
        if (n++ == 0)
            *uri = g->d.uniformResourceIdentifier;
    }
    return n;
}

static int ext_critical(X509 *cert, int nid)
{
    int idx = X509_get_ext_by_NID(cert, nid, -1);
    if (idx < 0)
        return -1;
    return X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) ? 1 : 0;
}

void nc_svid_cert_claimed_id(X509 *cert, struct nc_spiffe_id *out)
{
    out->len = 0;
    out->td_len = 0;
    out->id[0] = '\0';
    if (cert == NULL)
        return;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    const ASN1_IA5STRING *uri;
    if (names != NULL && count_uri_sans(names, &uri) > 0 && uri->length > 0 &&
        nc_spiffe_id_parse((const char *)uri->data, (size_t)uri->length, 0, out, NULL) < 0) {
        out->len = 0;
        out->td_len = 0;
        out->id[0] = '\0';
    }
    GENERAL_NAMES_free(names);
}

int nc_svid_cert_id(X509 *cert, struct nc_spiffe_id *out, enum nc_svid_reason *why,
                    struct nc_err *err)
{
    struct nc_err perr = {0};
    int crit = 0;
    const ASN1_IA5STRING *uri = NULL;

    if (cert == NULL)
        return fail(why, NC_SVID_NO_CERT, err, "no certificate");
    /* X509_get_extension_flags caches the decoded extensions; EXFLAG_INVALID covers
     * undecodable and duplicated extensions (RFC 5280 §4.2: an extension appears once). */
    uint32_t flags = X509_get_extension_flags(cert);
    if ((flags & EXFLAG_INVALID) != 0)
        return fail(why, NC_SVID_MALFORMED, err, "certificate has invalid or duplicate extensions");

    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
    if (names == NULL) {
        return fail(why, crit == -2 ? NC_SVID_MALFORMED : NC_SVID_NO_URI_SAN, err,
                    crit == -2 ? "certificate has two subjectAltName extensions"
                               : "certificate has no URI SAN (not an SVID)");
    }
    int nuri = count_uri_sans(names, &uri);
    if (nuri == 0) {
        GENERAL_NAMES_free(names);
        return fail(why, NC_SVID_NO_URI_SAN, err, "certificate has no URI SAN (not an SVID)");
    }
    if (nuri > 1) {
        GENERAL_NAMES_free(names);
        return fail(why, NC_SVID_MULTIPLE_URI_SAN, err,
                    "certificate has more than one URI SAN (X509-SVID: reject)");
    }
    int prc = nc_spiffe_id_parse((const char *)uri->data, (size_t)(uri->length > 0 ? uri->length : 0),
                                 NC_SPIFFE_REQUIRE_PATH, out, &perr);
    GENERAL_NAMES_free(names);
    if (prc < 0) {
        if (why != NULL)
            *why = NC_SVID_BAD_SPIFFE_ID;
        return nc_err_set(err, EACCES, "URI SAN is not a workload SPIFFE ID: %s", perr.msg);
    }
    /* RFC 5280 §4.1.2.6: with an empty subject the SAN carries the name and must be critical. */
    if (X509_NAME_entry_count(X509_get_subject_name(cert)) == 0 && crit != 1)
        return fail(why, NC_SVID_MALFORMED, err,
                    "empty subject and a non-critical subjectAltName");

    /* A CA certificate must never authenticate (X509-SVID §3.2, §5.2): a stolen intermediate
     * would otherwise act as any workload. */
    if ((flags & EXFLAG_CA) != 0)
        return fail(why, NC_SVID_CA_AS_LEAF, err, "the leaf is a CA certificate (cA=true)");

    /* Key usage: present, critical, digitalSignature, never the signing bits (§4.3). */
    if ((flags & EXFLAG_KUSAGE) == 0)
        return fail(why, NC_SVID_KEY_USAGE, err, "leaf has no key usage extension");
    if (ext_critical(cert, NID_key_usage) != 1)
        return fail(why, NC_SVID_KEY_USAGE, err, "leaf key usage is not critical");
    uint32_t ku = X509_get_key_usage(cert);
    if ((ku & KU_DIGITAL_SIGNATURE) == 0)
        return fail(why, NC_SVID_KEY_USAGE, err, "leaf key usage lacks digitalSignature");
    if ((ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != 0)
        return fail(why, NC_SVID_KEY_USAGE, err, "leaf key usage has keyCertSign or cRLSign");

    /* Extended key usage: optional, but when present both TLS roles (§4.4). */
    if ((flags & EXFLAG_XKUSAGE) != 0) {
        uint32_t xku = X509_get_extended_key_usage(cert);
        if ((xku & XKU_SSL_SERVER) == 0 || (xku & XKU_SSL_CLIENT) == 0)
            return fail(why, NC_SVID_KEY_USAGE, err,
                        "leaf extended key usage lacks serverAuth or clientAuth");
    }
    if (why != NULL)
        *why = NC_SVID_OK;
    return 0;
}

enum nc_svid_reason nc_svid_reason_from_x509(int e)
{
    switch (e) {
    case X509_V_OK:
        return NC_SVID_OK;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return NC_SVID_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return NC_SVID_NOT_YET_VALID;
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
        return NC_SVID_KEY_USAGE;
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
        return NC_SVID_MALFORMED;
    default:
        return NC_SVID_UNTRUSTED;
    }
}

/* ---- bundles ------------------------------------------------------------------------------ */

struct nc_bundle {
    STACK_OF(X509) *certs;
};

struct nc_bundle *nc_bundle_new(struct nc_err *err)
{
    struct nc_bundle *b = calloc(1, sizeof(*b));
    if (b == NULL || (b->certs = sk_X509_new_null()) == NULL) {
        free(b);
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    return b;
}

void nc_bundle_free(struct nc_bundle *b)
{
    if (b == NULL)
        return;
    sk_X509_pop_free(b->certs, X509_free);
    free(b);
}

size_t nc_bundle_count(const struct nc_bundle *b)
{
    return b == NULL ? 0 : (size_t)sk_X509_num(b->certs);
}

X509 *nc_bundle_cert(const struct nc_bundle *b, size_t i)
{
    if (b == NULL || i >= (size_t)sk_X509_num(b->certs))
        return NULL;
    return sk_X509_value(b->certs, (int)i);
}

int nc_bundle_add(struct nc_bundle *b, X509 *cert, struct nc_err *err)
{
    for (int i = 0; i < sk_X509_num(b->certs); i++)
        if (X509_cmp(sk_X509_value(b->certs, i), cert) == 0)
            return 0;
    if (!X509_up_ref(cert))
        return nc_err_set(err, ENOMEM, "out of memory");
    if (sk_X509_push(b->certs, cert) <= 0) {
        X509_free(cert);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    return 0;
}

/* Reads every PEM block of mem; each must be a CERTIFICATE.  Returns the count or < 0. */
static int read_pem_certs(const char *pem, size_t len, STACK_OF(X509) *out, const char *what,
                          struct nc_err *err)
{
    char eb[256];
    if (len > NC_PEM_MAX || len > INT_MAX)
        return nc_err_set(err, EFBIG, "%s: larger than %u bytes", what, NC_PEM_MAX);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    int n = 0;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        ERR_set_mark();
        if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1) {
            /* PEM_R_NO_START_LINE at the end is the normal end of the file. */
            unsigned long e = ERR_peek_last_error();
            ERR_pop_to_mark();
            if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
                break;
            BIO_free(bio);
            return nc_err_set(err, EINVAL, "%s: malformed PEM after %d certificate(s)", what, n);
        }
        ERR_pop_to_mark();
        int ok = strcmp(name, PEM_STRING_X509) == 0;
        X509 *x = NULL;
        if (ok) {
            const unsigned char *p = data;
            x = d2i_X509(NULL, &p, dlen);
            ok = x != NULL && p == data + dlen; /* no trailing bytes inside the block */
        }
        int is_cert = strcmp(name, PEM_STRING_X509) == 0;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (!ok) {
            X509_free(x);
            BIO_free(bio);
            if (!is_cert)
                return nc_err_set(err, EINVAL, "%s: block %d is not a CERTIFICATE", what, n + 1);
            return nc_err_set(err, EINVAL, "%s: certificate %d does not parse: %s", what, n + 1,
                              nc_ssl_errstr(eb, sizeof(eb)));
        }
        if (sk_X509_push(out, x) <= 0) {
            X509_free(x);
            BIO_free(bio);
            return nc_err_set(err, ENOMEM, "out of memory");
        }
        n++;
    }
    BIO_free(bio);
    return n;
}

STACK_OF(X509) *nc_pem_load_certs(const char *path, struct nc_err *err)
{
    size_t len = 0;
    _cleanup_free_ char *pem = nc_read_file(path, NC_PEM_MAX, &len, err);
    if (pem == NULL)
        return NULL;
    STACK_OF(X509) *st = sk_X509_new_null();
    if (st == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    int n = read_pem_certs(pem, len, st, path, err);
    if (n <= 0) {
        if (n == 0)
            nc_err_set(err, EINVAL, "%s: no certificate", path);
        sk_X509_pop_free(st, X509_free);
        return NULL;
    }
    return st;
}

struct nc_bundle *nc_bundle_from_pem(const char *pem, size_t len, struct nc_err *err)
{
    struct nc_bundle *b = nc_bundle_new(err);
    if (b == NULL)
        return NULL;
    STACK_OF(X509) *tmp = sk_X509_new_null();
    if (tmp == NULL) {
        nc_bundle_free(b);
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    int n = read_pem_certs(pem, len, tmp, "bundle", err);
    if (n == 0)
        nc_err_set(err, EINVAL, "bundle holds no certificate");
    for (int i = 0; n > 0 && i < sk_X509_num(tmp); i++) {
        X509 *x = sk_X509_value(tmp, i);
        /* A trust anchor must be a CA (cA=true; keyCertSign when key usage is present): a
         * leaf in a bundle would be trusted to sign anything. */
        if (X509_check_ca(x) != 1 || (X509_get_extension_flags(x) & EXFLAG_CA) == 0) {
            nc_err_set(err, EINVAL, "bundle certificate %d is not a CA certificate", i + 1);
            n = -1;
        } else if (nc_bundle_add(b, x, err) < 0) {
            n = -1;
        }
    }
    sk_X509_pop_free(tmp, X509_free);
    if (n <= 0) {
        nc_bundle_free(b);
        return NULL;
    }
    return b;
}

struct nc_bundle *nc_bundle_load(const char *path, struct nc_err *err)
{
    size_t len = 0;
    struct nc_err e2 = {0};
    _cleanup_free_ char *pem = nc_read_file(path, NC_PEM_MAX, &len, err);
    if (pem == NULL)
        return NULL;
    struct nc_bundle *b = nc_bundle_from_pem(pem, len, &e2);
    if (b == NULL)
        nc_err_set(err, e2.code, "%s: %s", path, e2.msg);
    return b;
}

X509_STORE *nc_bundle_store(const struct nc_bundle *b, struct nc_err *err)
{
    X509_STORE *st = X509_STORE_new();
    if (st == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < nc_bundle_count(b); i++) {
        if (X509_STORE_add_cert(st, nc_bundle_cert(b, i)) != 1) {
            X509_STORE_free(st);
            nc_err_set(err, ENOMEM, "cannot add a bundle certificate to the store");
            return NULL;
        }
    }
    return st;
}

static int pem_of_certs(STACK_OF(X509) *certs, X509 *first, char **out, size_t *outlen,
                        struct nc_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio != NULL;
    if (ok && first != NULL)
        ok = PEM_write_bio_X509(bio, first) == 1;
    for (int i = 0; ok && certs != NULL && i < sk_X509_num(certs); i++)
        ok = PEM_write_bio_X509(bio, sk_X509_value(certs, i)) == 1;
    if (!ok) {
        BIO_free(bio);
        return nc_err_set(err, ENOMEM, "cannot encode certificates");
    }
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    *out = malloc((size_t)n + 1);
    if (*out == NULL) {
        BIO_free(bio);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    memcpy(*out, p, (size_t)n);
    (*out)[n] = '\0';
    *outlen = (size_t)n;
    BIO_free(bio);
    return 0;
}

int nc_bundle_write(const struct nc_bundle *b, const char *path, struct nc_err *err)
{
    _cleanup_free_ char *pem = NULL;
    size_t len = 0;
    if (nc_bundle_count(b) == 0)
        return nc_err_set(err, EINVAL, "refusing to write an empty bundle");
    if (pem_of_certs(b->certs, NULL, &pem, &len, err) < 0)
        return -1;
    return nc_identity_write_file(path, pem, len, 0644, err);
}

/* ---- chain verification ------------------------------------------------------------------- */

int nc_svid_verify_chain(X509 *leaf, STACK_OF(X509) *intermediates, const struct nc_bundle *b,
                         enum nc_svid_role role, time_t now, struct nc_spiffe_id *id,
                         enum nc_svid_reason *why, struct nc_err *err)
{
    if (leaf == NULL)
        return fail(why, NC_SVID_NO_CERT, err, "no certificate");
    X509_STORE *st = nc_bundle_store(b, err);
    if (st == NULL) {
        if (why != NULL)
            *why = NC_SVID_UNTRUSTED;
        return -1;
    }
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (ctx == NULL || X509_STORE_CTX_init(ctx, st, leaf, intermediates) != 1) {
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(st);
        if (why != NULL)
            *why = NC_SVID_UNTRUSTED;
        return nc_err_set(err, ENOMEM, "cannot set up chain verification");
    }
    int purpose = role == NC_SVID_ROLE_CLIENT   ? X509_PURPOSE_SSL_CLIENT
                  : role == NC_SVID_ROLE_SERVER ? X509_PURPOSE_SSL_SERVER
                                                : X509_PURPOSE_ANY;
    X509_STORE_CTX_set_purpose(ctx, purpose);
    if (now != 0)
        X509_STORE_CTX_set_time(ctx, 0, now);
    int ok = X509_verify_cert(ctx);
    int e = X509_STORE_CTX_get_error(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    ERR_clear_error();
    if (ok != 1) {
        if (why != NULL)
            *why = nc_svid_reason_from_x509(e != X509_V_OK ? e : X509_V_ERR_UNSPECIFIED);
        return nc_err_set(err, EACCES, "chain does not verify (depth %d): %s", depth,
                          X509_verify_cert_error_string(e));
    }
    /* The path is good; now the SPIFFE leaf rules (RFC 5280 knows nothing of them). */
    if (role == NC_SVID_ROLE_ANY || role == NC_SVID_ROLE_CLIENT || role == NC_SVID_ROLE_SERVER)
        return nc_svid_cert_id(leaf, id, why, err);
    return fail(why, NC_SVID_UNTRUSTED, err, "bad role");
}

/* ---- SVIDs --------------------------------------------------------------------------------- */

struct nc_svid {
    atomic_int refs;
    X509 *leaf;
    STACK_OF(X509) *inter;
    EVP_PKEY *key;
    struct nc_spiffe_id id;
    time_t not_before, not_after;
};

struct nc_svid *nc_svid_new(X509 *leaf, STACK_OF(X509) *intermediates, EVP_PKEY *key,
                            struct nc_err *err)
{
    struct nc_err e2 = {0};
    if (leaf == NULL || key == NULL) {
        nc_err_set(err, EINVAL, "an SVID needs a certificate and a key");
        return NULL;
    }
    struct nc_svid *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&s->refs, 1);
    if (nc_svid_cert_id(leaf, &s->id, NULL, &e2) < 0) {
        free(s);
        nc_err_set(err, EINVAL, "not a valid SVID: %s", e2.msg);
        return NULL;
    }
    if (X509_check_private_key(leaf, key) != 1) {
        free(s);
        ERR_clear_error();
        nc_err_set(err, EINVAL, "the private key does not match the certificate");
        return NULL;
    }
    s->inter = sk_X509_new_null();
    if (s->inter == NULL || !X509_up_ref(leaf)) {
        sk_X509_free(s->inter);
        free(s);
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->leaf = leaf;
    for (int i = 0; intermediates != NULL && i < sk_X509_num(intermediates); i++) {
        X509 *x = sk_X509_value(intermediates, i);
        if (!X509_up_ref(x) || sk_X509_push(s->inter, x) <= 0) {
            nc_svid_free(s);
            nc_err_set(err, ENOMEM, "out of memory");
            return NULL;
        }
    }
    if (!EVP_PKEY_up_ref(key)) {
        nc_svid_free(s);
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->key = key;
    s->not_before = nc_asn1_time_to_unix(X509_get0_notBefore(leaf));
    s->not_after = nc_asn1_time_to_unix(X509_get0_notAfter(leaf));
    return s;
}

void nc_svid_up_ref(struct nc_svid *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void nc_svid_free(struct nc_svid *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    X509_free(s->leaf);
    sk_X509_pop_free(s->inter, X509_free);
    EVP_PKEY_free(s->key);
    free(s);
}

const struct nc_spiffe_id *nc_svid_id(const struct nc_svid *s)
{
    return &s->id;
}

X509 *nc_svid_leaf(const struct nc_svid *s)
{
    return s->leaf;
}

STACK_OF(X509) *nc_svid_intermediates(const struct nc_svid *s)
{
    return s->inter;
}

EVP_PKEY *nc_svid_key(const struct nc_svid *s)
{
    return s->key;
}

time_t nc_svid_not_before(const struct nc_svid *s)
{
    return s->not_before;
}

time_t nc_svid_not_after(const struct nc_svid *s)
{
    return s->not_after;
}

time_t nc_svid_renew_at(const struct nc_svid *s)
{
    return s->not_before + (s->not_after - s->not_before) / 2;
}

/* Refuses a private key file that others could read or replace, or that is not ours: such a
 * key is no longer a secret, and an identity built on it proves nothing. */
static int check_key_file(const char *path, struct nc_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        /* spiffe-helper and Kubernetes secret volumes use symlinks; follow one level and check
         * the target instead of the link. */
        if (stat(path, &st) != 0)
            return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return nc_err_set(err, EINVAL, "%s: not a regular file", path);
    if ((st.st_mode & 077) != 0)
        return nc_err_set(err, EPERM, "%s: private key readable or writable by others (mode %04o); chmod 600 it",
                          path, (unsigned)(st.st_mode & 07777));
    if (st.st_uid != geteuid())
        return nc_err_set(err, EPERM, "%s: private key owned by another user", path);
    return 0;
}

struct nc_svid *nc_svid_load(const char *cert_path, const char *key_path, struct nc_err *err)
{
    struct nc_err e2 = {0};
    size_t clen = 0, klen = 0;
    char eb[256];

    if (check_key_file(key_path, err) < 0)
        return NULL;
    _cleanup_free_ char *cpem = nc_read_file(cert_path, NC_PEM_MAX, &clen, err);
    if (cpem == NULL)
        return NULL;
    _cleanup_free_ char *kpem = nc_read_file(key_path, (size_t)64 * 1024, &klen, err);
    if (kpem == NULL)
        return NULL;

    STACK_OF(X509) *certs = sk_X509_new_null();
    if (certs == NULL) {
        OPENSSL_cleanse(kpem, klen);
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    int n = read_pem_certs(cpem, clen, certs, cert_path, &e2);
    if (n <= 0) {
        sk_X509_pop_free(certs, X509_free);
        OPENSSL_cleanse(kpem, klen);
        if (n == 0)
            nc_err_set(err, EINVAL, "%s: no certificate", cert_path);
        else
            nc_err_set(err, e2.code, "%s", e2.msg);
        return NULL;
    }
    BIO *kb = BIO_new_mem_buf(kpem, (int)klen);
    EVP_PKEY *key = kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    BIO_free(kb);
    OPENSSL_cleanse(kpem, klen);
    if (key == NULL) {
        sk_X509_pop_free(certs, X509_free);
        nc_err_set(err, EINVAL, "%s: no private key: %s", key_path, nc_ssl_errstr(eb, sizeof(eb)));
        return NULL;
    }
    X509 *leaf = sk_X509_shift(certs);
    struct nc_svid *s = nc_svid_new(leaf, certs, key, &e2);
    X509_free(leaf);
    sk_X509_pop_free(certs, X509_free);
    EVP_PKEY_free(key);
    if (s == NULL)
        nc_err_set(err, e2.code, "%s: %s", cert_path, e2.msg);
    return s;
}

int nc_svid_write_dir(const struct nc_svid *s, const struct nc_bundle *b, const char *dir,
                      struct nc_err *err)
{
    char path[PATH_MAX];
    _cleanup_free_ char *cpem = NULL;
    size_t clen = 0;
    int n;

    /* The key first: a reader that catches the new key with the old certificate fails its
     * key/certificate match check and keeps what it has; the next reload picks both up. */
    BIO *kb = BIO_new(BIO_s_mem());
    if (kb == NULL || PEM_write_bio_PrivateKey(kb, s->key, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(kb);
        return nc_err_set(err, ENOMEM, "cannot encode the private key");
    }
    char *kp = NULL;
    long klen = BIO_get_mem_data(kb, &kp);
    n = snprintf(path, sizeof(path), "%s/%s", dir, NC_SVID_KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        BIO_free_all(kb);
        return nc_err_set(err, ENAMETOOLONG, "directory name too long");
    }
    int rc = nc_identity_write_file(path, kp, (size_t)klen, 0600, err);
    OPENSSL_cleanse(kp, (size_t)klen);
    BIO_free_all(kb);
    if (rc < 0)
        return rc;

    if (pem_of_certs(s->inter, s->leaf, &cpem, &clen, err) < 0)
        return -1;
    n = snprintf(path, sizeof(path), "%s/%s", dir, NC_SVID_CERT_FILE);
    if (n < 0 || (size_t)n >= sizeof(path))
        return nc_err_set(err, ENAMETOOLONG, "directory name too long");
    if (nc_identity_write_file(path, cpem, clen, 0644, err) < 0)
        return -1;
    if (b != NULL) {
        n = snprintf(path, sizeof(path), "%s/%s", dir, NC_SVID_BUNDLE_FILE);
        if (n < 0 || (size_t)n >= sizeof(path))
            return nc_err_set(err, ENAMETOOLONG, "directory name too long");
        if (nc_bundle_write(b, path, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- atomic file writes ------------------------------------------------------------------- */

static int write_all_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int nc_identity_write_file(const char *path, const void *data, size_t len, unsigned mode,
                           struct nc_err *err)
{
    char tmp[PATH_MAX], dirbuf[PATH_MAX];
    unsigned char rnd[6];
    int n;

    /* A random suffix: two writers (threads or processes) never share a temporary file. */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return nc_err_set(err, EIO, "no randomness for a temporary name");
    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%02x%02x%02x%02x%02x%02x", path, rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5]);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return nc_err_set(err, ENAMETOOLONG, "%s: name too long", path);
    _cleanup_close_ int fd = -1;
    do
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                  (mode_t)mode);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return nc_err_set(err, errno, "%s: %s", tmp, strerror(errno));
    /* The umask can only narrow the mode; fchmod makes it exact. */
    if (fchmod(fd, (mode_t)mode) != 0 || write_all_fd(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno != 0 ? errno : EIO;
        (void)unlink(tmp);
        return nc_err_set(err, e, "%s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        (void)unlink(tmp);
        return nc_err_set(err, e, "%s: %s", path, strerror(e));
    }
    /* Make the rename durable. */
    n = snprintf(dirbuf, sizeof(dirbuf), "%s", path);
    if (n > 0 && (size_t)n < sizeof(dirbuf)) {
        _cleanup_close_ int dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            (void)fsync(dfd);
    }
    return 0;
}
