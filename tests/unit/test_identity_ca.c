/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the CA, SVIDs and bundles (src/identity/ca.h, svid.h): the state layout and
 * its modes, refusal to overwrite, what an issued SVID contains, every X509-SVID leaf rule
 * from the attacker's side (certificates built by tests/mtls/certgen.c), chain verification
 * (other CA, expired, not yet valid), spiffe-helper style files, and the three-step rotation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "identity/ca.h"
#include "identity/svid.h"
#include "../mtls/certgen.h"
#include "rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define TD "example.org"

struct fx {
    char dir[64];    /* a temporary directory */
    char state[128]; /* dir/state */
    struct nc_ca *ca;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct nc_err err = {0};
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/nc-idtest-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
    if (nc_ca_init(f->state, TD, NC_KEY_EC_P256, 30, &err) != 0)
        fail_msg("ca init: %s", err.msg);
    f->ca = nc_ca_load(f->state, &err);
    if (f->ca == NULL)
        fail_msg("ca load: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nc_ca_free(f->ca);
    (void)nc_test_rm_tree(f->dir);
    free(f);
    return 0;
}

static void path(char *out, const struct fx *f, const char *rel)
{
    snprintf(out, PATH_MAX, "%s/%s", f->state, rel);
}

static unsigned mode_of(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return (unsigned)(st.st_mode & 07777);
}

static struct nc_spiffe_id id_of(const char *s)
{
    struct nc_spiffe_id id;
    struct nc_err err = {0};
    assert_int_equal(nc_spiffe_id_parse_str(s, 0, &id, &err), 0);
    return id;
}

static EVP_PKEY *ca_key(const struct fx *f)
{
    char p[PATH_MAX];
    path(p, f, "ca/ca.key");
    FILE *fp = fopen(p, "re");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

/* ---- state directory ------------------------------------------------------------------------ */

static void test_state_dir(void **state)
{
    (void)state;
    char out[PATH_MAX];
    struct nc_err err = {0};
    const char *old_xdg = getenv("XDG_STATE_HOME"), *old_home = getenv("HOME");
    char *sx = old_xdg != NULL ? strdup(old_xdg) : NULL, *sh = old_home != NULL ? strdup(old_home) : NULL;
    setenv("XDG_STATE_HOME", "/x/state", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(nc_identity_state_dir(out, sizeof(out), &err), 0);
    assert_string_equal(out, "/x/state/nucleus");
    setenv("XDG_STATE_HOME", "relative", 1); /* ignored, per the XDG rules */
    assert_int_equal(nc_identity_state_dir(out, sizeof(out), &err), 0);
    assert_string_equal(out, "/home/u/.local/state/nucleus");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    assert_true(nc_identity_state_dir(out, sizeof(out), &err) < 0);
    if (sx != NULL)
        setenv("XDG_STATE_HOME", sx, 1);
    if (sh != NULL)
        setenv("HOME", sh, 1);
    free(sx);
    free(sh);
}

static void test_layout_and_modes(void **state)
{
    struct fx *f = *state;
    char p[PATH_MAX];
    assert_int_equal(mode_of(f->state), 0700);
    path(p, f, "ca");
    assert_int_equal(mode_of(p), 0700);
    path(p, f, "ca/ca.key");
    assert_int_equal(mode_of(p), 0600);
    path(p, f, "ca/ca.crt");
    assert_int_equal(mode_of(p), 0644);
    path(p, f, "ca/bundle.pem");
    assert_int_equal(mode_of(p), 0644);
    assert_string_equal(nc_ca_trust_domain(f->ca)->id, "spiffe://" TD);
    assert_int_equal(nc_bundle_count(nc_ca_bundle(f->ca)), 1);
    /* The root is a SPIFFE signing certificate. */
    X509 *root = nc_ca_cert(f->ca);
    assert_true((X509_get_extension_flags(root) & EXFLAG_CA) != 0);
    assert_true((X509_get_key_usage(root) & KU_KEY_CERT_SIGN) != 0);
}

static void test_init_refuses_overwrite(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char p[PATH_MAX];
    path(p, f, "ca/ca.key");
    struct stat before, after;
    assert_int_equal(stat(p, &before), 0);
    assert_true(nc_ca_init(f->state, TD, NC_KEY_EC_P256, 30, &err) < 0);
    assert_int_equal(err.code, EEXIST);
    assert_int_equal(stat(p, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_true(nc_ca_init(f->state, "Bad_TD", NC_KEY_EC_P256, 30, &err) < 0);
}

/* nc_ca_open: creates the CA on first use, then loads that same root (never a new one), and
 * does not paper over a broken CA by making another. */
static void test_open_creates_then_loads(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char st[256], p[PATH_MAX];
    snprintf(st, sizeof(st), "%s/fresh", f->dir);
    struct nc_ca *a = nc_ca_open(st, &err);
    if (a == NULL)
        fail_msg("first open: %s", err.msg);
    assert_int_equal(err.code, 0); /* success leaves err untouched */
    assert_string_equal(nc_ca_trust_domain(a)->id, "spiffe://" NC_CA_TRUST_DOMAIN_DEFAULT);
    snprintf(p, sizeof(p), "%s/ca/ca.key", st);
    assert_int_equal(mode_of(p), 0600);
    struct nc_ca *b = nc_ca_open(st, &err);
    assert_non_null(b);
    assert_int_equal(X509_cmp(nc_ca_cert(a), nc_ca_cert(b)), 0);
    nc_ca_free(b);
    nc_ca_free(a);
    /* A key readable by others is refused, not replaced by a fresh CA. */
    assert_int_equal(chmod(p, 0644), 0);
    assert_null(nc_ca_open(st, &err));
    assert_int_equal(err.code, EPERM);
    assert_int_equal(mode_of(p), 0644);
}

static void test_load_refuses_open_key(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char p[PATH_MAX];
    path(p, f, "ca/ca.key");
    assert_int_equal(chmod(p, 0640), 0);
    assert_null(nc_ca_load(f->state, &err));
    assert_int_equal(err.code, EPERM);
    assert_int_equal(chmod(p, 0600), 0);
    struct nc_ca *ca = nc_ca_load(f->state, &err);
    assert_non_null(ca);
    nc_ca_free(ca);
}

/* ---- issuance ------------------------------------------------------------------------------- */

static void test_issue_contents(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    struct nc_spiffe_id id = id_of("spiffe://" TD "/ns/pods/sa/p1"), got;
    enum nc_svid_reason why;
    time_t now = time(NULL);
    struct nc_issue_opts o = {.ttl = 600, .now = now};
    struct nc_svid *s = nc_ca_issue(f->ca, &id, &o, &err);
    if (s == NULL)
        fail_msg("issue: %s", err.msg);
    X509 *x = nc_svid_leaf(s);
    assert_string_equal(nc_svid_id(s)->id, id.id);
    assert_int_equal(nc_svid_not_before(s), now - (time_t)NC_SVID_BACKDATE);
    assert_int_equal(nc_svid_not_after(s), now + 600);
    assert_int_equal(nc_svid_renew_at(s), now - 30 + 300);
    uint32_t fl = X509_get_extension_flags(x);
    assert_true((fl & EXFLAG_CA) == 0);
    assert_true((fl & EXFLAG_BCONS) != 0);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    assert_true((X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
                (XKU_SSL_SERVER | XKU_SSL_CLIENT));
    /* 128-bit serial */
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_length(sn), 16);
    /* Verifies against the bundle for both roles. */
    assert_int_equal(nc_svid_verify_chain(x, NULL, nc_ca_bundle(f->ca), NC_SVID_ROLE_CLIENT, 0,
                                          &got, &why, &err),
                     0);
    assert_string_equal(got.id, id.id);
    assert_int_equal(nc_svid_verify_chain(x, NULL, nc_ca_bundle(f->ca), NC_SVID_ROLE_SERVER, 0,
                                          &got, &why, &err),
                     0);
    /* The leaf key is its own, not the CA's. */
    EVP_PKEY *k = ca_key(f);
    assert_int_not_equal(EVP_PKEY_eq(k, nc_svid_key(s)), 1);
    EVP_PKEY_free(k);
    nc_svid_free(s);
}

static void test_issue_refusals(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    struct nc_spiffe_id other = id_of("spiffe://other.org/ns/a/sa/b");
    struct nc_spiffe_id root = id_of("spiffe://" TD);
    struct nc_spiffe_id ok = id_of("spiffe://" TD "/ns/a/sa/b");
    struct nc_issue_opts o = {.ttl = NC_SVID_TTL_MAX + 1};
    assert_null(nc_ca_issue(f->ca, &other, NULL, &err));
    assert_null(nc_ca_issue(f->ca, &root, NULL, &err));
    assert_null(nc_ca_issue(f->ca, &ok, &o, &err));
    /* A struct that is not canonical (hand-filled) is re-parsed and refused. */
    struct nc_spiffe_id forged = ok;
    memcpy(forged.id + forged.len, "/", 2);
    forged.len++;
    assert_null(nc_ca_issue(f->ca, &forged, NULL, &err));
    /* Ed25519 leaf keys work too. */
    struct nc_issue_opts ed = {.key_type = NC_KEY_ED25519};
    struct nc_svid *s = nc_ca_issue(f->ca, &ok, &ed, &err);
    assert_non_null(s);
    assert_int_equal(EVP_PKEY_get_id(nc_svid_key(s)), EVP_PKEY_ED25519);
    nc_svid_free(s);
}

static void test_ed25519_ca(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char st[256];
    struct nc_spiffe_id id = id_of("spiffe://ed.example/x"), got;
    snprintf(st, sizeof(st), "%s/ed", f->dir);
    assert_int_equal(nc_ca_init(st, "ed.example", NC_KEY_ED25519, 1, &err), 0);
    struct nc_ca *ca = nc_ca_load(st, &err);
    assert_non_null(ca);
    struct nc_svid *s = nc_ca_issue(ca, &id, NULL, &err);
    assert_non_null(s);
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(s), NULL, nc_ca_bundle(ca),
                                          NC_SVID_ROLE_ANY, 0, &got, NULL, &err),
                     0);
    /* ... and not against the other CA. */
    enum nc_svid_reason why;
    assert_true(nc_svid_verify_chain(nc_svid_leaf(s), NULL, nc_ca_bundle(f->ca), NC_SVID_ROLE_ANY,
                                     0, &got, &why, &err) < 0);
    assert_int_equal(why, NC_SVID_UNTRUSTED);
    nc_svid_free(s);
    nc_ca_free(ca);
}

static void test_validity_window(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    struct nc_spiffe_id id = id_of("spiffe://" TD "/w"), got;
    enum nc_svid_reason why;
    time_t now = time(NULL);
    struct nc_issue_opts o = {.ttl = 600, .now = now};
    struct nc_svid *s = nc_ca_issue(f->ca, &id, &o, &err);
    assert_non_null(s);
    const struct nc_bundle *b = nc_ca_bundle(f->ca);
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(s), NULL, b, NC_SVID_ROLE_ANY, now + 599,
                                          &got, &why, &err),
                     0);
    /* Clock skew allowance: valid from 60 s before issuance. */
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(s), NULL, b, NC_SVID_ROLE_ANY, now - 59,
                                          &got, &why, &err),
                     0);
    assert_true(nc_svid_verify_chain(nc_svid_leaf(s), NULL, b, NC_SVID_ROLE_ANY, now + 601, &got,
                                     &why, &err) < 0);
    assert_int_equal(why, NC_SVID_EXPIRED);
    assert_true(nc_svid_verify_chain(nc_svid_leaf(s), NULL, b, NC_SVID_ROLE_ANY, now - 61, &got,
                                     &why, &err) < 0);
    assert_int_equal(why, NC_SVID_NOT_YET_VALID);
    nc_svid_free(s);
}

/* ---- the leaf rules, from the attacker's side ------------------------------------------------ */

struct bad_case {
    const char *name;
    enum nc_svid_reason want;
};

static void check_leaf(struct fx *f, const struct certgen_opts *o, enum nc_svid_reason want,
                       const char *name)
{
    struct nc_err err = {0};
    struct nc_spiffe_id got;
    enum nc_svid_reason why = NC_SVID_OK;
    EVP_PKEY *ck = ca_key(f), *k = certgen_key();
    X509 *x = certgen_make(k, nc_ca_cert(f->ca), ck, o);
    int rc = nc_svid_verify_chain(x, NULL, nc_ca_bundle(f->ca), NC_SVID_ROLE_ANY, 0, &got, &why,
                                  &err);
    if (want == NC_SVID_OK) {
        if (rc != 0)
            fail_msg("%s: refused: %s", name, err.msg);
    } else {
        if (rc == 0)
            fail_msg("%s: accepted as %s", name, got.id);
        if (why != want)
            fail_msg("%s: reason %s, expected %s (%s)", name, nc_svid_reason_name(why),
                     nc_svid_reason_name(want), err.msg);
        /* Loading it as our own SVID is refused too. */
        struct nc_svid *s = nc_svid_new(x, NULL, k, &err);
        if (s != NULL && want != NC_SVID_EXPIRED && want != NC_SVID_NOT_YET_VALID &&
            want != NC_SVID_UNTRUSTED)
            fail_msg("%s: nc_svid_new accepted it", name);
        nc_svid_free(s);
    }
    X509_free(x);
    EVP_PKEY_free(k);
    EVP_PKEY_free(ck);
}

static void test_leaf_rules(void **state)
{
    struct fx *f = *state;
    const char *uri = "spiffe://" TD "/ns/a/sa/b";
    struct certgen_opts o;

    o = certgen_leaf(uri);
    check_leaf(f, &o, NC_SVID_OK, "good leaf");
    o = certgen_leaf(uri);
    o.eku = NULL; /* EKU is optional */
    check_leaf(f, &o, NC_SVID_OK, "no EKU");
    o = certgen_leaf(uri);
    o.bc = NULL; /* absent basicConstraints: not a CA */
    check_leaf(f, &o, NC_SVID_OK, "no basicConstraints");
    o = certgen_leaf(uri);
    o.empty_subject = true;
    o.san_critical = true;
    check_leaf(f, &o, NC_SVID_OK, "empty subject, critical SAN");

    o = certgen_leaf(uri);
    o.uris[1] = "spiffe://" TD "/ns/a/sa/c";
    check_leaf(f, &o, NC_SVID_MULTIPLE_URI_SAN, "two URI SANs");
    o = certgen_leaf(uri);
    o.uris[1] = "https://example.org/";
    check_leaf(f, &o, NC_SVID_MULTIPLE_URI_SAN, "a second, non-SPIFFE URI SAN");
    o = certgen_leaf(NULL);
    check_leaf(f, &o, NC_SVID_NO_URI_SAN, "no SAN");
    o = certgen_leaf("spiffe://" TD);
    check_leaf(f, &o, NC_SVID_BAD_SPIFFE_ID, "trust-domain ID as leaf");
    o = certgen_leaf("spiffe://" TD "/a/");
    check_leaf(f, &o, NC_SVID_BAD_SPIFFE_ID, "trailing slash");
    o = certgen_leaf("spiffe://EXAMPLE.org/a");
    check_leaf(f, &o, NC_SVID_BAD_SPIFFE_ID, "upper-case trust domain");
    o = certgen_leaf("https://" TD "/a");
    check_leaf(f, &o, NC_SVID_BAD_SPIFFE_ID, "https URI");
    o = certgen_leaf(uri);
    o.bc = "critical,CA:TRUE";
    o.ku = "critical,digitalSignature,keyCertSign";
    check_leaf(f, &o, NC_SVID_CA_AS_LEAF, "CA certificate as leaf");
    o = certgen_leaf(uri);
    o.bc = "critical,CA:TRUE";
    check_leaf(f, &o, NC_SVID_CA_AS_LEAF, "cA=true without keyCertSign");
    o = certgen_leaf(uri);
    o.ku = NULL;
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "no key usage");
    o = certgen_leaf(uri);
    o.ku = "digitalSignature";
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "non-critical key usage");
    o = certgen_leaf(uri);
    o.ku = "critical,keyEncipherment";
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "key usage without digitalSignature");
    o = certgen_leaf(uri);
    o.ku = "critical,digitalSignature,keyCertSign";
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "leaf with keyCertSign");
    o = certgen_leaf(uri);
    o.ku = "critical,digitalSignature,cRLSign";
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "leaf with cRLSign");
    o = certgen_leaf(uri);
    o.eku = "serverAuth";
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "EKU without clientAuth");
    o = certgen_leaf(uri);
    o.eku = "clientAuth";
    check_leaf(f, &o, NC_SVID_KEY_USAGE, "EKU without serverAuth");
    o = certgen_leaf(uri);
    o.empty_subject = true;
    check_leaf(f, &o, NC_SVID_MALFORMED, "empty subject, non-critical SAN");
    o = certgen_leaf(uri);
    o.not_after = -10;
    check_leaf(f, &o, NC_SVID_EXPIRED, "expired");
    o = certgen_leaf(uri);
    o.not_before = 3600;
    o.not_after = 7200;
    check_leaf(f, &o, NC_SVID_NOT_YET_VALID, "not yet valid");
}

static void test_other_ca(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    struct nc_spiffe_id got;
    enum nc_svid_reason why;
    /* A root with the same trust domain and subject name, but another key. */
    EVP_PKEY *rk = certgen_key(), *k = certgen_key();
    struct certgen_opts ro = certgen_root("spiffe://" TD), lo = certgen_leaf("spiffe://" TD "/a");
    X509 *root = certgen_make(rk, NULL, NULL, &ro);
    X509 *x = certgen_make(k, root, rk, &lo);
    assert_true(nc_svid_verify_chain(x, NULL, nc_ca_bundle(f->ca), NC_SVID_ROLE_ANY, 0, &got, &why,
                                     &err) < 0);
    assert_int_equal(why, NC_SVID_UNTRUSTED);
    /* Self-signed leaf. */
    X509 *self = certgen_make(k, NULL, NULL, &lo);
    assert_true(nc_svid_verify_chain(self, NULL, nc_ca_bundle(f->ca), NC_SVID_ROLE_ANY, 0, &got,
                                     &why, &err) < 0);
    assert_int_equal(why, NC_SVID_UNTRUSTED);
    X509_free(self);
    X509_free(x);
    X509_free(root);
    EVP_PKEY_free(k);
    EVP_PKEY_free(rk);
}

/* ---- files ---------------------------------------------------------------------------------- */

static void test_write_and_load(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char out[256], c[PATH_MAX], k[PATH_MAX], b[PATH_MAX];
    struct nc_spiffe_id id = id_of("spiffe://" TD "/ns/cli/sa/me");
    snprintf(out, sizeof(out), "%s/out", f->dir);
    assert_int_equal(mkdir(out, 0700), 0);
    struct nc_svid *s = nc_ca_issue(f->ca, &id, NULL, &err);
    assert_non_null(s);
    assert_int_equal(nc_svid_write_dir(s, nc_ca_bundle(f->ca), out, &err), 0);
    snprintf(c, sizeof(c), "%s/svid.pem", out);
    snprintf(k, sizeof(k), "%s/svid_key.pem", out);
    snprintf(b, sizeof(b), "%s/bundle.pem", out);
    assert_int_equal(mode_of(k), 0600);
    assert_int_equal(mode_of(c), 0644);
    struct nc_svid *l = nc_svid_load(c, k, &err);
    if (l == NULL)
        fail_msg("load: %s", err.msg);
    assert_string_equal(nc_svid_id(l)->id, id.id);
    assert_int_equal(X509_cmp(nc_svid_leaf(l), nc_svid_leaf(s)), 0);
    struct nc_bundle *bl = nc_bundle_load(b, &err);
    assert_non_null(bl);
    assert_int_equal(nc_bundle_count(bl), 1);
    nc_bundle_free(bl);
    nc_svid_free(l);

    /* The key file must be private. */
    assert_int_equal(chmod(k, 0644), 0);
    assert_null(nc_svid_load(c, k, &err));
    assert_int_equal(err.code, EPERM);
    assert_int_equal(chmod(k, 0600), 0);

    /* A key that does not match the certificate. */
    EVP_PKEY *other = certgen_key();
    certgen_write_key(k, other);
    assert_null(nc_svid_load(c, k, &err));
    assert_non_null(strstr(err.msg, "does not match"));
    EVP_PKEY_free(other);

    /* No directory holds the CA key except the CA's. */
    char ck[PATH_MAX];
    snprintf(ck, sizeof(ck), "%s/ca.key", out);
    assert_int_not_equal(access(ck, F_OK), 0);
    nc_svid_free(s);
}

/* Files as SPIRE's spiffe-helper writes them: svid.pem = leaf + intermediate, svid_key.pem =
 * PKCS#8, svid_bundle.pem = root; the intermediate is a CA signed by the root. */
static void test_spiffe_helper_files(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char c[PATH_MAX], k[PATH_MAX], b[PATH_MAX];
    EVP_PKEY *rk = certgen_key(), *ik = certgen_key(), *lk = certgen_key();
    struct certgen_opts ro = certgen_root("spiffe://spire.test");
    struct certgen_opts io = certgen_root("spiffe://spire.test");
    struct certgen_opts lo = certgen_leaf("spiffe://spire.test/ns/default/sa/web");
    X509 *root = certgen_make(rk, NULL, NULL, &ro);
    X509 *inter = certgen_make(ik, root, rk, &io);
    X509 *leaf = certgen_make(lk, inter, ik, &lo);
    snprintf(c, sizeof(c), "%s/svid.pem", f->dir);
    snprintf(k, sizeof(k), "%s/svid_key.pem", f->dir);
    snprintf(b, sizeof(b), "%s/svid_bundle.pem", f->dir);
    certgen_write_cert(c, leaf, inter);
    certgen_write_key(k, lk);
    certgen_write_cert(b, root, NULL);
    struct nc_svid *s = nc_svid_load(c, k, &err);
    if (s == NULL)
        fail_msg("spiffe-helper files: %s", err.msg);
    assert_int_equal(sk_X509_num(nc_svid_intermediates(s)), 1);
    struct nc_bundle *bl = nc_bundle_load(b, &err);
    assert_non_null(bl);
    struct nc_spiffe_id got;
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(s), nc_svid_intermediates(s), bl,
                                          NC_SVID_ROLE_ANY, 0, &got, NULL, &err),
                     0);
    assert_string_equal(got.id, "spiffe://spire.test/ns/default/sa/web");
    /* Without the intermediate the chain does not verify. */
    assert_true(nc_svid_verify_chain(nc_svid_leaf(s), NULL, bl, NC_SVID_ROLE_ANY, 0, &got, NULL,
                                     &err) < 0);
    nc_bundle_free(bl);
    nc_svid_free(s);
    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
    EVP_PKEY_free(lk);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(rk);
}

static void test_bundle_refusals(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    static const char junk[] = "-----BEGIN CERTIFICATE-----\nnotbase64!!\n-----END CERTIFICATE-----\n";
    assert_null(nc_bundle_from_pem("", 0, &err));
    assert_null(nc_bundle_from_pem("hello\n", 6, &err));
    assert_null(nc_bundle_from_pem(junk, sizeof(junk) - 1, &err));
    static const char key[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_null(nc_bundle_from_pem(key, sizeof(key) - 1, &err));
    /* A leaf in a bundle is refused: it would be trusted as an anchor. */
    char p[PATH_MAX];
    EVP_PKEY *k = certgen_key();
    struct certgen_opts lo = certgen_leaf("spiffe://" TD "/a");
    X509 *leaf = certgen_make(k, NULL, NULL, &lo);
    snprintf(p, sizeof(p), "%s/leafbundle.pem", f->dir);
    certgen_write_cert(p, leaf, NULL);
    assert_null(nc_bundle_load(p, &err));
    assert_non_null(strstr(err.msg, "not a CA"));
    X509_free(leaf);
    EVP_PKEY_free(k);
}

static void test_ensure_svid(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    char out[256], c[PATH_MAX], k[PATH_MAX];
    struct nc_spiffe_id id = id_of("spiffe://" TD "/ns/pods/sa/e1");
    snprintf(out, sizeof(out), "%s/pod", f->dir);
    assert_int_equal(mkdir(out, 0700), 0);
    snprintf(c, sizeof(c), "%s/svid.pem", out);
    snprintf(k, sizeof(k), "%s/svid_key.pem", out);
    time_t now = time(NULL);
    struct nc_issue_opts o = {.ttl = 600, .now = now};

    assert_int_equal(nc_ca_ensure_svid(f->ca, &id, &o, out, &err), 1); /* nothing there */
    struct nc_svid *s1 = nc_svid_load(c, k, &err);
    assert_non_null(s1);
    assert_int_equal(nc_ca_ensure_svid(f->ca, &id, &o, out, &err), 0); /* still fresh */
    o.now = now + 269;                                                  /* before half-life */
    assert_int_equal(nc_ca_ensure_svid(f->ca, &id, &o, out, &err), 0);
    o.now = now + 271;                                                  /* past half-life */
    assert_int_equal(nc_ca_ensure_svid(f->ca, &id, &o, out, &err), 1);
    struct nc_svid *s2 = nc_svid_load(c, k, &err);
    assert_non_null(s2);
    assert_int_not_equal(X509_cmp(nc_svid_leaf(s1), nc_svid_leaf(s2)), 0);
    o.now = 0;
    /* Another ID in the directory, or a broken file: replaced. */
    struct nc_spiffe_id other = id_of("spiffe://" TD "/ns/pods/sa/e2");
    assert_int_equal(nc_ca_ensure_svid(f->ca, &other, &o, out, &err), 1);
    FILE *fp = fopen(c, "we");
    assert_non_null(fp);
    fputs("junk\n", fp);
    fclose(fp);
    assert_int_equal(nc_ca_ensure_svid(f->ca, &other, &o, out, &err), 1);
    assert_int_equal(nc_ca_ensure_svid(f->ca, &other, &o, out, &err), 0);
    /* A prepared root rotation changes the bundle: the directory gets the new bundle. */
    assert_int_equal(nc_ca_rotate(f->state, NC_CA_ROTATE_PREPARE, NC_KEY_EC_P256, 30, false, &err), 0);
    struct nc_ca *ca2 = nc_ca_load(f->state, &err);
    assert_non_null(ca2);
    assert_int_equal(nc_ca_ensure_svid(ca2, &other, &o, out, &err), 1);
    char b[PATH_MAX];
    snprintf(b, sizeof(b), "%s/bundle.pem", out);
    struct nc_bundle *bl = nc_bundle_load(b, &err);
    assert_non_null(bl);
    assert_int_equal(nc_bundle_count(bl), 2);
    nc_bundle_free(bl);
    nc_ca_free(ca2);
    nc_svid_free(s1);
    nc_svid_free(s2);
}

/* ---- rotation ------------------------------------------------------------------------------- */

static void test_rotation(void **state)
{
    struct fx *f = *state;
    struct nc_err err = {0};
    struct nc_ca_rotation rs;
    struct nc_spiffe_id id = id_of("spiffe://" TD "/r"), got;
    X509 *old_root = nc_ca_cert(f->ca);

    struct nc_svid *before = nc_ca_issue(f->ca, &id, NULL, &err);
    assert_non_null(before);

    assert_true(nc_ca_rotate(f->state, NC_CA_ROTATE_ACTIVATE, NC_KEY_EC_P256, 30, false, &err) < 0);
    assert_int_equal(nc_ca_rotate(f->state, NC_CA_ROTATE_PREPARE, NC_KEY_EC_P256, 30, false, &err),
                     0);
    assert_true(nc_ca_rotate(f->state, NC_CA_ROTATE_PREPARE, NC_KEY_EC_P256, 30, false, &err) < 0);
    assert_int_equal(nc_ca_rotation_state(f->state, &rs, &err), 0);
    assert_true(rs.next);
    assert_false(rs.prev);
    char p[PATH_MAX];
    path(p, f, "ca/next.key");
    assert_int_equal(mode_of(p), 0600);

    /* Prepared: the bundle holds both, issuance still uses the old root. */
    struct nc_ca *ca = nc_ca_load(f->state, &err);
    assert_non_null(ca);
    assert_int_equal(nc_bundle_count(nc_ca_bundle(ca)), 2);
    assert_int_equal(X509_cmp(nc_ca_cert(ca), old_root), 0);
    nc_ca_free(ca);

    assert_int_equal(nc_ca_rotate(f->state, NC_CA_ROTATE_ACTIVATE, NC_KEY_EC_P256, 30, false, &err),
                     0);
    ca = nc_ca_load(f->state, &err);
    assert_non_null(ca);
    assert_int_not_equal(X509_cmp(nc_ca_cert(ca), old_root), 0);
    assert_int_equal(nc_bundle_count(nc_ca_bundle(ca)), 2);
    struct nc_svid *after = nc_ca_issue(ca, &id, NULL, &err);
    assert_non_null(after);
    /* Both the old and the new SVID verify against the overlap bundle. */
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(before), NULL, nc_ca_bundle(ca),
                                          NC_SVID_ROLE_ANY, 0, &got, NULL, &err),
                     0);
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(after), NULL, nc_ca_bundle(ca),
                                          NC_SVID_ROLE_ANY, 0, &got, NULL, &err),
                     0);
    /* The old bundle does not trust the new SVID: that is why PREPARE comes first. */
    assert_true(nc_svid_verify_chain(nc_svid_leaf(after), NULL, nc_ca_bundle(f->ca),
                                     NC_SVID_ROLE_ANY, 0, &got, NULL, &err) < 0);
    nc_ca_free(ca);

    /* FINISH too early is refused; --force drops the old root. */
    assert_true(nc_ca_rotate(f->state, NC_CA_ROTATE_FINISH, NC_KEY_EC_P256, 30, false, &err) < 0);
    assert_int_equal(err.code, EBUSY);
    assert_int_equal(nc_ca_rotate(f->state, NC_CA_ROTATE_FINISH, NC_KEY_EC_P256, 30, true, &err), 0);
    ca = nc_ca_load(f->state, &err);
    assert_non_null(ca);
    assert_int_equal(nc_bundle_count(nc_ca_bundle(ca)), 1);
    enum nc_svid_reason why;
    assert_true(nc_svid_verify_chain(nc_svid_leaf(before), NULL, nc_ca_bundle(ca),
                                     NC_SVID_ROLE_ANY, 0, &got, &why, &err) < 0);
    assert_int_equal(why, NC_SVID_UNTRUSTED);
    assert_int_equal(nc_svid_verify_chain(nc_svid_leaf(after), NULL, nc_ca_bundle(ca),
                                          NC_SVID_ROLE_ANY, 0, &got, NULL, &err),
                     0);
    nc_ca_free(ca);
    nc_svid_free(before);
    nc_svid_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_dir),
        cmocka_unit_test_setup_teardown(test_layout_and_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_creates_then_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_open_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ed25519_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validity_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spiffe_helper_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ensure_svid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
