/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in CA (see ca.h and docs/identity.md).
 *
 * Written against the v1 runtime's defects (reference §9.2, §13 item 15): its CA lived in
 * memory only, so every restart changed the trust bundle and cut every peer off.  Here the
 * root is persisted under the state directory with a private key file that nothing but its
 * owner can read, init refuses to overwrite it, and replacing it is a three-step rotation
 * during which both roots are trusted. */
#include "ca.h"

#include "util/cleanup.h"
#include "util/file.h"
#include "util/ossl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nc_ca {
    X509 *cert;
    EVP_PKEY *key;
    struct nc_bundle *bundle;
    struct nc_spiffe_id td; /* spiffe://<td> */
};

const char *nc_key_type_name(enum nc_key_type t)
{
    switch (t) {
    case NC_KEY_EC_P256:
        return "ec-p256";
    case NC_KEY_ED25519:
        return "ed25519";
    }
    return "unknown";
}

int nc_key_type_parse(const char *s)
{
    if (s != NULL && strcmp(s, "ec-p256") == 0)
        return NC_KEY_EC_P256;
    if (s != NULL && strcmp(s, "ed25519") == 0)
        return NC_KEY_ED25519;
    return -1;
}

EVP_PKEY *nc_key_generate(enum nc_key_type t, struct nc_err *err)
{
    char eb[256];
    EVP_PKEY *k = NULL;
    switch (t) {
    case NC_KEY_EC_P256:
        k = EVP_EC_gen("P-256");
        break;
    case NC_KEY_ED25519:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    }
    if (k == NULL)
        nc_err_set(err, EIO, "key generation failed: %s", nc_ssl_errstr(eb, sizeof(eb)));
    return k;
}

/* ---- the state directory ------------------------------------------------------------------ */

int nc_identity_state_dir(char *out, size_t outsz, struct nc_err *err)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;
    /* The XDG base directory rules: a relative XDG_STATE_HOME is invalid and ignored. */
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, outsz, "%s/nucleus", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(out, outsz, "%s/.local/state/nucleus", home);
    else
        return nc_err_set(err, ENOENT,
                          "no state directory: set XDG_STATE_HOME or HOME, or pass --state-dir");
    if (n < 0 || (size_t)n >= outsz)
        return nc_err_set(err, ENAMETOOLONG, "state directory name too long");
    return 0;
}

int nc_identity_mkdir_private(const char *dir, struct nc_err *err)
{
    char buf[PATH_MAX];
    struct stat st;
    int n = snprintf(buf, sizeof(buf), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(buf))
        return nc_err_set(err, ENAMETOOLONG, "directory name too long");
    /* Parents: created 0700 as well (like mkdir -p -m 700); existing ones are left alone. */
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return nc_err_set(err, errno, "%s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return nc_err_set(err, errno, "%s: %s", buf, strerror(errno));
    if (lstat(buf, &st) != 0)
        return nc_err_set(err, errno, "%s: %s", buf, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return nc_err_set(err, ENOTDIR, "%s: not a directory", buf);
    if (st.st_uid != geteuid())
        return nc_err_set(err, EPERM, "%s: owned by another user", buf);
    /* Others must not be able to swap files in a directory that holds keys. */
    if ((st.st_mode & 022) != 0)
        return nc_err_set(err, EPERM, "%s: writable by group or others (mode %04o)", buf,
                          (unsigned)(st.st_mode & 07777));
    return 0;
}

static int path_in(char *out, size_t outsz, const char *dir, const char *name,
                   struct nc_err *err)
{
    int n = snprintf(out, outsz, "%s/ca/%s", dir, name);
    if (n < 0 || (size_t)n >= outsz)
        return nc_err_set(err, ENAMETOOLONG, "state directory name too long");
    return 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- certificate building ------------------------------------------------------------------ */

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value, struct nc_err *err)
{
    char eb[256];
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL || X509_add_ext(cert, ext, -1) != 1) {
        X509_EXTENSION_free(ext);
        return nc_err_set(err, EIO, "extension %s: %s", OBJ_nid2sn(nid),
                          nc_ssl_errstr(eb, sizeof(eb)));
    }
    X509_EXTENSION_free(ext);
    return 0;
}

/* A positive 128-bit random serial (RFC 5280 allows 20 octets; random serials make the
 * certificate contents unpredictable to whoever asks for one). */
static int set_random_serial(X509 *cert, struct nc_err *err)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return nc_err_set(err, EIO, "no randomness for the serial");
    b[0] &= 0x7f;
    b[0] |= 0x40; /* keep it positive and of full length */
    BIGNUM *bn = BN_bin2bn(b, sizeof(b), NULL);
    ASN1_INTEGER *ai = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    int ok = ai != NULL && X509_set_serialNumber(cert, ai) == 1;
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok ? 0 : nc_err_set(err, ENOMEM, "cannot set the serial");
}

static const EVP_MD *sign_md(EVP_PKEY *key)
{
    /* Ed25519 signs the message itself: no separate digest. */
    return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

static X509 *make_root(EVP_PKEY *key, const char *td, unsigned days, time_t now,
                       struct nc_err *err)
{
    char eb[256], cn[64], uri[NC_SPIFFE_ID_MAX + 8];
    X509 *x = X509_new();
    if (x == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    X509_NAME *name = X509_get_subject_name(x);
    /* A CN is at most 64 bytes; a long trust domain is cut there (the URI SAN is complete). */
    snprintf(cn, sizeof(cn), "nucleus root %.*s", 40, td);
    int ok = X509_set_version(x, 2) == 1 && set_random_serial(x, err) == 0 &&
             X509_time_adj_ex(X509_getm_notBefore(x), 0, -(long)NC_SVID_BACKDATE, &now) != NULL &&
             X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, &now) != NULL &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"nucleus",
                                        -1, -1, 0) == 1 &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0) == 1 &&
             X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, key) == 1;
    if (!ok) {
        X509_free(x);
        nc_err_set(err, EIO, "cannot build the root certificate: %s",
                   nc_ssl_errstr(eb, sizeof(eb)));
        return NULL;
    }
    snprintf(uri, sizeof(uri), "URI:spiffe://%s", td);
    if (add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err) < 0 ||
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign", err) < 0 ||
        add_ext(x, x, NID_subject_key_identifier, "hash", err) < 0 ||
        add_ext(x, x, NID_authority_key_identifier, "keyid:always", err) < 0 ||
        add_ext(x, x, NID_subject_alt_name, uri, err) < 0) {
        X509_free(x);
        return NULL;
    }
    if (X509_sign(x, key, sign_md(key)) <= 0) {
        X509_free(x);
        nc_err_set(err, EIO, "cannot sign the root: %s", nc_ssl_errstr(eb, sizeof(eb)));
        return NULL;
    }
    return x;
}

static char *pem_key(EVP_PKEY *key, size_t *len, struct nc_err *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(b);
        nc_err_set(err, ENOMEM, "cannot encode the key");
        return NULL;
    }
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *out = malloc((size_t)n + 1);
    if (out != NULL) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    } else {
        nc_err_set(err, ENOMEM, "out of memory");
    }
    OPENSSL_cleanse(p, (size_t)n);
    BIO_free(b);
    return out;
}

static char *pem_cert(X509 *x, size_t *len, struct nc_err *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL || PEM_write_bio_X509(b, x) != 1) {
        BIO_free(b);
        nc_err_set(err, ENOMEM, "cannot encode the certificate");
        return NULL;
    }
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *out = malloc((size_t)n + 1);
    if (out != NULL) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    } else {
        nc_err_set(err, ENOMEM, "out of memory");
    }
    BIO_free(b);
    return out;
}

/* Writes a new private key file: O_EXCL (never replaces a key, never follows a planted
 * symlink), mode exactly 0600, fsynced. */
static int write_new_key(const char *path, EVP_PKEY *key, struct nc_err *err)
{
    size_t len = 0;
    _cleanup_free_ char *pem = pem_key(key, &len, err);
    if (pem == NULL)
        return -1;
    _cleanup_close_ int fd = -1;
    do
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    while (fd < 0 && errno == EINTR);
    int rc = 0;
    if (fd < 0) {
        rc = nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    } else {
        size_t off = 0;
        if (fchmod(fd, 0600) != 0)
            rc = nc_err_set(err, errno, "%s: %s", path, strerror(errno));
        while (rc == 0 && off < len) {
            ssize_t w = write(fd, pem + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = nc_err_set(err, errno != 0 ? errno : EIO, "%s: write failed", path);
            else
                off += (size_t)w;
        }
        if (rc == 0 && fsync(fd) != 0)
            rc = nc_err_set(err, errno, "%s: %s", path, strerror(errno));
        if (rc < 0)
            (void)unlink(path);
    }
    OPENSSL_cleanse(pem, len);
    return rc;
}

static int write_cert(const char *path, X509 *x, struct nc_err *err)
{
    size_t len = 0;
    _cleanup_free_ char *pem = pem_cert(x, &len, err);
    if (pem == NULL)
        return -1;
    return nc_identity_write_file(path, pem, len, 0644, err);
}

/* Writes bundle.pem from the certificates that exist among ca.crt, next.crt, prev.crt. */
static int rewrite_bundle(const char *state, struct nc_err *err)
{
    static const char *const names[] = {"ca.crt", "next.crt", "prev.crt"};
    char path[PATH_MAX];
    struct nc_bundle *b = nc_bundle_new(err);
    int rc = b == NULL ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(names[0]); i++) {
        if (path_in(path, sizeof(path), state, names[i], err) < 0) {
            rc = -1;
            break;
        }
        if (!exists(path))
            continue;
        struct nc_bundle *one = nc_bundle_load(path, err);
        if (one == NULL) {
            rc = -1;
            break;
        }
        for (size_t j = 0; rc == 0 && j < nc_bundle_count(one); j++)
            rc = nc_bundle_add(b, nc_bundle_cert(one, j), err);
        nc_bundle_free(one);
    }
    if (rc == 0 && path_in(path, sizeof(path), state, "bundle.pem", err) < 0)
        rc = -1;
    if (rc == 0)
        rc = nc_bundle_write(b, path, err);
    nc_bundle_free(b);
    return rc;
}

int nc_ca_init(const char *state_dir, const char *trust_domain, enum nc_key_type kt,
               unsigned days, struct nc_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (trust_domain == NULL || !nc_spiffe_trust_domain_valid(trust_domain, strlen(trust_domain)))
        return nc_err_set(err, EINVAL, "invalid trust domain '%s' (1-255 bytes of [a-z0-9._-])",
                          trust_domain != NULL ? trust_domain : "");
    if (days == 0 || days > NC_CA_DAYS_MAX)
        return nc_err_set(err, EINVAL, "root validity must be 1..%u days", NC_CA_DAYS_MAX);
    int n = snprintf(dir, sizeof(dir), "%s/ca", state_dir);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return nc_err_set(err, ENAMETOOLONG, "state directory name too long");
    if (nc_identity_mkdir_private(state_dir, err) < 0 || nc_identity_mkdir_private(dir, err) < 0)
        return -1;
    if (path_in(path, sizeof(path), state_dir, "ca.key", err) < 0)
        return -1;
    if (exists(path))
        return nc_err_set(err, EEXIST,
                          "%s already exists: a CA is initialized here (refusing to replace it; "
                          "see 'nucleus ca rotate')",
                          path);
    EVP_PKEY *key = nc_key_generate(kt, err);
    if (key == NULL)
        return -1;
    X509 *root = make_root(key, trust_domain, days, time(NULL), err);
    int rc = root == NULL ? -1 : write_new_key(path, key, err);
    if (rc == 0 && path_in(path, sizeof(path), state_dir, "ca.crt", err) < 0)
        rc = -1;
    if (rc == 0)
        rc = write_cert(path, root, err);
    if (rc == 0)
        rc = rewrite_bundle(state_dir, err);
    X509_free(root);
    EVP_PKEY_free(key);
    return rc;
}

/* Reads a private key file after checking nobody else can read or replace it. */
static EVP_PKEY *load_key(const char *path, struct nc_err *err)
{
    struct stat st;
    char eb[256];
    size_t len = 0;
    if (lstat(path, &st) != 0) {
        nc_err_set(err, errno, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        nc_err_set(err, EINVAL, "%s: not a regular file", path);
        return NULL;
    }
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
        nc_err_set(err, EPERM, "%s: the CA key must be owned by us with mode 0600 (is %04o)", path,
                   (unsigned)(st.st_mode & 07777));
        return NULL;
    }
    char *pem = nc_read_file(path, (size_t)64 * 1024, &len, err);
    if (pem == NULL)
        return NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (k == NULL)
        nc_err_set(err, EINVAL, "%s: not a private key: %s", path, nc_ssl_errstr(eb, sizeof(eb)));
    return k;
}

static X509 *load_one_cert(const char *path, struct nc_err *err)
{
    struct nc_bundle *b = nc_bundle_load(path, err);
    if (b == NULL)
        return NULL;
    if (nc_bundle_count(b) != 1) {
        nc_bundle_free(b);
        nc_err_set(err, EINVAL, "%s: expected exactly one certificate", path);
        return NULL;
    }
    X509 *x = nc_bundle_cert(b, 0);
    X509_up_ref(x);
    nc_bundle_free(b);
    return x;
}

/* The trust domain ID of a signing certificate: its URI SAN, which must be spiffe://<td>. */
static int ca_trust_domain(X509 *x, struct nc_spiffe_id *td, struct nc_err *err)
{
    struct nc_err e2 = {0};
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int found = 0;
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_URI)
            continue;
        const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
        if (found++ > 0 ||
            nc_spiffe_id_parse((const char *)u->data, (size_t)(u->length > 0 ? u->length : 0),
                               NC_SPIFFE_REQUIRE_ROOT, td, &e2) < 0) {
            GENERAL_NAMES_free(names);
            return nc_err_set(err, EINVAL, "CA certificate: URI SAN is not one trust-domain ID%s%s",
                              e2.msg[0] != '\0' ? ": " : "", e2.msg);
        }
    }
    GENERAL_NAMES_free(names);
    if (found == 0)
        return nc_err_set(err, EINVAL, "CA certificate has no spiffe:// URI SAN");
    return 0;
}

struct nc_ca *nc_ca_open(const char *state_dir, struct nc_err *err)
{
    struct nc_err e = {0};
    struct nc_ca *ca = nc_ca_load(state_dir, &e);
    if (ca != NULL)
        return ca;
    if (e.code != ENOENT) {
        *err = e;
        return NULL;
    }
    /* First use: a CA of our own (docs/identity.md shows how to use SPIRE's instead).  Two
     * sessions starting at once race here; the loser's EEXIST means the winner's CA is there. */
    e = (struct nc_err){0};
    if (nc_ca_init(state_dir, NC_CA_TRUST_DOMAIN_DEFAULT, NC_KEY_EC_P256, NC_CA_DAYS_AUTO, &e) <
            0 &&
        e.code != EEXIST) {
        *err = e;
        return NULL;
    }
    return nc_ca_load(state_dir, err);
}

struct nc_ca *nc_ca_load(const char *state_dir, struct nc_err *err)
{
    char path[PATH_MAX];
    struct nc_ca *ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    if (path_in(path, sizeof(path), state_dir, "ca.key", err) < 0 ||
        (ca->key = load_key(path, err)) == NULL ||
        path_in(path, sizeof(path), state_dir, "ca.crt", err) < 0 ||
        (ca->cert = load_one_cert(path, err)) == NULL ||
        path_in(path, sizeof(path), state_dir, "bundle.pem", err) < 0 ||
        (ca->bundle = nc_bundle_load(path, err)) == NULL ||
        ca_trust_domain(ca->cert, &ca->td, err) < 0) {
        nc_ca_free(ca);
        return NULL;
    }
    if (X509_check_private_key(ca->cert, ca->key) != 1) {
        ERR_clear_error();
        nc_ca_free(ca);
        nc_err_set(err, EINVAL, "%s/ca: ca.key does not match ca.crt", state_dir);
        return NULL;
    }
    return ca;
}

void nc_ca_free(struct nc_ca *ca)
{
    if (ca == NULL)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    nc_bundle_free(ca->bundle);
    free(ca);
}

const struct nc_spiffe_id *nc_ca_trust_domain(const struct nc_ca *ca)
{
    return &ca->td;
}

X509 *nc_ca_cert(const struct nc_ca *ca)
{
    return ca->cert;
}

const struct nc_bundle *nc_ca_bundle(const struct nc_ca *ca)
{
    return ca->bundle;
}

struct nc_svid *nc_ca_issue(const struct nc_ca *ca, const struct nc_spiffe_id *id,
                            const struct nc_issue_opts *opts, struct nc_err *err)
{
    char eb[256], uri[NC_SPIFFE_ID_MAX + 8];
    struct nc_issue_opts o = {0};
    struct nc_spiffe_id check;
    if (opts != NULL)
        o = *opts;
    if (o.ttl == 0)
        o.ttl = NC_SVID_TTL_DEFAULT;
    if (o.now == 0)
        o.now = time(NULL);
    if (o.ttl > NC_SVID_TTL_MAX) {
        nc_err_set(err, EINVAL, "TTL %u s is longer than the maximum %u s", o.ttl,
                   NC_SVID_TTL_MAX);
        return NULL;
    }
    /* Re-parse: the caller's struct might not be canonical (it is a plain struct). */
    if (nc_spiffe_id_parse(id->id, id->len, NC_SPIFFE_REQUIRE_PATH, &check, err) < 0)
        return NULL;
    if (!nc_spiffe_id_same_trust_domain(&check, &ca->td)) {
        nc_err_set(err, EINVAL, "%s is not in the CA's trust domain %s", check.id, ca->td.id);
        return NULL;
    }
    time_t ca_end = nc_asn1_time_to_unix(X509_get0_notAfter(ca->cert));
    time_t ca_start = nc_asn1_time_to_unix(X509_get0_notBefore(ca->cert));
    if (o.now >= ca_end || o.now < ca_start) {
        nc_err_set(err, EINVAL, "the CA certificate is not valid now (rotate it)");
        return NULL;
    }
    time_t end = o.now + (time_t)o.ttl;
    if (end > ca_end)
        end = ca_end; /* a leaf never outlives its root */

    EVP_PKEY *key = nc_key_generate(o.key_type, err);
    if (key == NULL)
        return NULL;
    X509 *x = X509_new();
    struct nc_svid *s = NULL;
    if (x == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        goto out;
    }
    X509_NAME *name = X509_get_subject_name(x);
    int ok = X509_set_version(x, 2) == 1 && set_random_serial(x, err) == 0 &&
             X509_time_adj_ex(X509_getm_notBefore(x), 0, -(long)NC_SVID_BACKDATE, &o.now) != NULL &&
             X509_time_adj(X509_getm_notAfter(x), 0, &end) != NULL &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"nucleus",
                                        -1, -1, 0) == 1 &&
             X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) == 1 &&
             X509_set_pubkey(x, key) == 1;
    if (!ok) {
        nc_err_set(err, EIO, "cannot build the SVID: %s", nc_ssl_errstr(eb, sizeof(eb)));
        goto out;
    }
    snprintf(uri, sizeof(uri), "URI:%s", check.id);
    if (add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
        add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature", err) < 0 ||
        add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth", err) < 0 ||
        add_ext(x, ca->cert, NID_subject_key_identifier, "hash", err) < 0 ||
        add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always", err) < 0 ||
        add_ext(x, ca->cert, NID_subject_alt_name, uri, err) < 0)
        goto out;
    if (X509_sign(x, ca->key, sign_md(ca->key)) <= 0) {
        nc_err_set(err, EIO, "cannot sign the SVID: %s", nc_ssl_errstr(eb, sizeof(eb)));
        goto out;
    }
    s = nc_svid_new(x, NULL, key, err);
out:
    X509_free(x);
    EVP_PKEY_free(key);
    return s;
}

/* True when the bundle file in dir holds exactly the CA bundle's certificates, in order. */
static bool same_bundle(const struct nc_bundle *want, const char *path)
{
    struct nc_err e = {0};
    struct nc_bundle *have = nc_bundle_load(path, &e);
    bool same = have != NULL && nc_bundle_count(have) == nc_bundle_count(want);
    for (size_t i = 0; same && i < nc_bundle_count(want); i++)
        same = X509_cmp(nc_bundle_cert(have, i), nc_bundle_cert(want, i)) == 0;
    nc_bundle_free(have);
    return same;
}

int nc_ca_ensure_svid(const struct nc_ca *ca, const struct nc_spiffe_id *id,
                      const struct nc_issue_opts *opts, const char *dir, struct nc_err *err)
{
    char cp[PATH_MAX], kp[PATH_MAX], bp[PATH_MAX];
    struct nc_err e = {0};
    struct nc_spiffe_id got;
    time_t now = opts != NULL && opts->now != 0 ? opts->now : time(NULL);
    int n1 = snprintf(cp, sizeof(cp), "%s/%s", dir, NC_SVID_CERT_FILE);
    int n2 = snprintf(kp, sizeof(kp), "%s/%s", dir, NC_SVID_KEY_FILE);
    int n3 = snprintf(bp, sizeof(bp), "%s/%s", dir, NC_SVID_BUNDLE_FILE);
    if (n1 < 0 || (size_t)n1 >= sizeof(cp) || n2 < 0 || (size_t)n2 >= sizeof(kp) || n3 < 0 ||
        (size_t)n3 >= sizeof(bp))
        return nc_err_set(err, ENAMETOOLONG, "directory name too long");

    /* Is what is there still good?  Any doubt means: issue a new one. */
    struct nc_svid *cur = nc_svid_load(cp, kp, &e);
    bool good = cur != NULL && nc_spiffe_id_equal(nc_svid_id(cur), id) &&
                now < nc_svid_renew_at(cur) &&
                nc_svid_verify_chain(nc_svid_leaf(cur), nc_svid_intermediates(cur), ca->bundle,
                                     NC_SVID_ROLE_ANY, now, &got, NULL, &e) == 0 &&
                same_bundle(ca->bundle, bp);
    nc_svid_free(cur);
    if (good)
        return 0;
    struct nc_svid *s = nc_ca_issue(ca, id, opts, err);
    if (s == NULL)
        return -1;
    int rc = nc_svid_write_dir(s, ca->bundle, dir, err);
    nc_svid_free(s);
    return rc < 0 ? -1 : 1;
}

/* ---- rotation ----------------------------------------------------------------------------- */

static int read_until(const char *path, time_t *until, struct nc_err *err)
{
    size_t len = 0;
    char *s = nc_read_file(path, 64, &len, err);
    if (s == NULL)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    int bad = errno != 0 || end == s || (*end != '\0' && *end != '\n') || v < 0;
    free(s);
    if (bad)
        return nc_err_set(err, EINVAL, "%s: not a time", path);
    *until = (time_t)v;
    return 0;
}

int nc_ca_rotation_state(const char *state_dir, struct nc_ca_rotation *st, struct nc_err *err)
{
    char path[PATH_MAX];
    memset(st, 0, sizeof(*st));
    if (path_in(path, sizeof(path), state_dir, "next.crt", err) < 0)
        return -1;
    st->next = exists(path);
    if (path_in(path, sizeof(path), state_dir, "prev.crt", err) < 0)
        return -1;
    st->prev = exists(path);
    if (st->prev) {
        if (path_in(path, sizeof(path), state_dir, "prev.until", err) < 0 ||
            read_until(path, &st->prev_until, err) < 0)
            return -1;
    }
    return 0;
}

int nc_ca_rotate(const char *state_dir, enum nc_ca_rotate_step step, enum nc_key_type kt,
                 unsigned days, bool force, struct nc_err *err)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    struct nc_ca_rotation rs;
    /* The current CA must load (and its key be private) before anything moves. */
    struct nc_ca *ca = nc_ca_load(state_dir, err);
    if (ca == NULL)
        return -1;
    int rc = nc_ca_rotation_state(state_dir, &rs, err);
    if (rc < 0)
        goto out;
    switch (step) {
    case NC_CA_ROTATE_PREPARE: {
        if (rs.next) {
            rc = nc_err_set(err, EEXIST, "a new root is already prepared; run 'nucleus ca "
                                         "rotate --activate'");
            break;
        }
        if (rs.prev) {
            rc = nc_err_set(err, EBUSY, "the previous rotation is not finished; run 'nucleus ca "
                                        "rotate --finish' first");
            break;
        }
        if (days == 0 || days > NC_CA_DAYS_MAX) {
            rc = nc_err_set(err, EINVAL, "root validity must be 1..%u days", NC_CA_DAYS_MAX);
            break;
        }
        EVP_PKEY *key = nc_key_generate(kt, err);
        X509 *root = NULL;
        char td[NC_SPIFFE_TD_MAX + 1];
        memcpy(td, ca->td.id + NC_SPIFFE_SCHEME_LEN, ca->td.td_len);
        td[ca->td.td_len] = '\0';
        rc = key == NULL ? -1 : 0;
        if (rc == 0 && (root = make_root(key, td, days, time(NULL), err)) == NULL)
            rc = -1;
        if (rc == 0)
            rc = path_in(p1, sizeof(p1), state_dir, "next.key", err);
        if (rc == 0)
            rc = write_new_key(p1, key, err);
        if (rc == 0)
            rc = path_in(p2, sizeof(p2), state_dir, "next.crt", err);
        if (rc == 0)
            rc = write_cert(p2, root, err);
        if (rc == 0)
            rc = rewrite_bundle(state_dir, err);
        X509_free(root);
        EVP_PKEY_free(key);
        break;
    }
    case NC_CA_ROTATE_ACTIVATE: {
        char buf[32];
        if (!rs.next) {
            rc = nc_err_set(err, ENOENT, "no new root prepared; run 'nucleus ca rotate' first");
            break;
        }
        /* Order matters for a crash in the middle: the old root is saved as prev.crt (still
         * trusted) before anything replaces it, and the key pair moves cert-then-key, each by
         * an atomic rename. */
        time_t until = time(NULL) + (time_t)NC_SVID_TTL_MAX + (time_t)NC_SVID_BACKDATE;
        int n = snprintf(buf, sizeof(buf), "%lld\n", (long long)until);
        rc = path_in(p1, sizeof(p1), state_dir, "prev.crt", err);
        if (rc == 0)
            rc = write_cert(p1, ca->cert, err);
        if (rc == 0)
            rc = path_in(p1, sizeof(p1), state_dir, "prev.until", err);
        if (rc == 0)
            rc = nc_identity_write_file(p1, buf, (size_t)n, 0644, err);
        if (rc == 0)
            rc = path_in(p1, sizeof(p1), state_dir, "next.crt", err);
        if (rc == 0)
            rc = path_in(p2, sizeof(p2), state_dir, "ca.crt", err);
        if (rc == 0 && rename(p1, p2) != 0)
            rc = nc_err_set(err, errno, "%s: %s", p2, strerror(errno));
        if (rc == 0)
            rc = path_in(p1, sizeof(p1), state_dir, "next.key", err);
        if (rc == 0)
            rc = path_in(p2, sizeof(p2), state_dir, "ca.key", err);
        if (rc == 0 && rename(p1, p2) != 0)
            rc = nc_err_set(err, errno, "%s: %s", p2, strerror(errno));
        if (rc == 0)
            rc = rewrite_bundle(state_dir, err);
        break;
    }
    case NC_CA_ROTATE_FINISH: {
        if (!rs.prev) {
            rc = nc_err_set(err, ENOENT, "no previous root to drop");
            break;
        }
        if (!force && time(NULL) < rs.prev_until) {
            rc = nc_err_set(err, EBUSY,
                            "SVIDs signed by the previous root may be valid for %lld more "
                            "seconds; wait, or pass --force",
                            (long long)(rs.prev_until - time(NULL)));
            break;
        }
        rc = path_in(p1, sizeof(p1), state_dir, "prev.crt", err);
        if (rc == 0 && unlink(p1) != 0)
            rc = nc_err_set(err, errno, "%s: %s", p1, strerror(errno));
        if (rc == 0)
            rc = path_in(p1, sizeof(p1), state_dir, "prev.until", err);
        if (rc == 0)
            (void)unlink(p1);
        if (rc == 0)
            rc = rewrite_bundle(state_dir, err);
        break;
    }
    }
out:
    nc_ca_free(ca);
    return rc;
}
