/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus identity: shows an X.509 SVID (ours or one written by SPIRE's spiffe-helper): its
 * SPIFFE ID, validity, chain, and whether it verifies against the trust bundle. */
#include "common.h"

#include "identity/svid.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

static const char help[] =
    "Usage: nucleus identity [--dir DIR] [--svid FILE] [--key FILE] [--bundle FILE] [--json]\n"
    "\n"
    "Shows the SVID in DIR (default: the current directory), e.g. a pod's identity directory:\n"
    "its SPIFFE ID, not-before and expiry, when it should be renewed (half of its lifetime),\n"
    "the certificate chain up to the root of the trust bundle, and whether it is valid: the\n"
    "chain verifies against the bundle now, the leaf obeys the X509-SVID rules (exactly one\n"
    "URI SAN holding a SPIFFE ID, not a CA, key usage digitalSignature without keyCertSign or\n"
    "cRLSign, serverAuth and clientAuth when extended key usage is present), and the private\n"
    "key, when present, matches the certificate and is readable by its owner only.\n"
    "\n"
    "  --svid FILE    the certificate chain, leaf first (default DIR/svid.pem)\n"
    "  --key FILE     the private key (default DIR/svid_key.pem when it exists)\n"
    "  --bundle FILE  the trust bundle (default DIR/bundle.pem, else spiffe-helper's\n"
    "                 DIR/svid_bundle.pem)\n"
    "  --json         machine-readable output: {spiffe_id, valid, reason, detail, not_before,\n"
    "                 not_after, renew_at, key_checked, chain: [...]}\n"
    "\n"
    "Exit codes: 0 valid, 1 invalid (expired, not yet valid, untrusted, not an SVID, key\n"
    "mismatch), 2 usage error or unreadable files.\n";

static void fmt_time(time_t t, char *buf, size_t n)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "?");
}

static void fmt_left(time_t t, time_t now, char *buf, size_t n)
{
    long long d = (long long)(t - now);
    bool past = d < 0;
    if (past)
        d = -d;
    long long h = d / 3600, m = d % 3600 / 60, s = d % 60;
    if (h > 48)
        snprintf(buf, n, "%s%lld days%s", past ? "" : "in ", h / 24, past ? " ago" : "");
    else
        snprintf(buf, n, "%s%lldh %02lldm %02llds%s", past ? "" : "in ", h, m, s,
                 past ? " ago" : "");
}

static int path_join(char *out, size_t n, const char *dir, const char *name)
{
    int k = snprintf(out, n, "%s/%s", dir, name);
    return k > 0 && (size_t)k < n ? 0 : -1;
}

static char *serial_hex(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *h = bn != NULL ? BN_bn2hex(bn) : NULL;
    BN_free(bn);
    return h;
}

/* The root of b that issued x, if any (borrowed). */
static X509 *issuing_root(const struct nc_bundle *b, X509 *x)
{
    for (size_t i = 0; b != NULL && i < nc_bundle_count(b); i++)
        if (X509_check_issued(nc_bundle_cert(b, i), x) == X509_V_OK)
            return nc_bundle_cert(b, i);
    return NULL;
}

static json_t *cert_json(X509 *x, const char *role)
{
    struct nc_spiffe_id claimed;
    char *subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
    char *iss = X509_NAME_oneline(X509_get_issuer_name(x), NULL, 0);
    char *ser = serial_hex(x);
    nc_svid_cert_claimed_id(x, &claimed);
    json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:b}", "role", role, "subject",
                          subj, "issuer", iss, "serial", ser, "uri",
                          claimed.len > 0 ? claimed.id : NULL, "not_before",
                          (json_int_t)nc_asn1_time_to_unix(X509_get0_notBefore(x)), "not_after",
                          (json_int_t)nc_asn1_time_to_unix(X509_get0_notAfter(x)), "ca",
                          (X509_get_extension_flags(x) & EXFLAG_CA) != 0);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(ser);
    return o;
}

static void cert_text(X509 *x, const char *role, time_t now)
{
    struct nc_spiffe_id claimed;
    char t[64], left[64];
    char *subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
    char *ser = serial_hex(x);
    nc_svid_cert_claimed_id(x, &claimed);
    time_t na = nc_asn1_time_to_unix(X509_get0_notAfter(x));
    fmt_time(na, t, sizeof(t));
    fmt_left(na, now, left, sizeof(left));
    printf("  %-12s %s\n", role, subj != NULL ? subj : "?");
    if (claimed.len > 0)
        printf("  %-12s URI %s\n", "", claimed.id);
    printf("  %-12s serial %s, not after %s (%s)\n", "", ser != NULL ? ser : "?", t, left);
    OPENSSL_free(subj);
    OPENSSL_free(ser);
}

int nc_cmd_identity(int argc, char **argv)
{
    const char *dir = ".", *svid = NULL, *key = NULL, *bundle = NULL;
    bool json = false;
    char sp[PATH_MAX], kp[PATH_MAX], bp[PATH_MAX];
    struct nc_err err = {0};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (nc_cli_is_help(a)) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        if (strcmp(a, "--dir") != 0 && strcmp(a, "--svid") != 0 && strcmp(a, "--key") != 0 &&
            strcmp(a, "--bundle") != 0)
            return nc_cli_usage("identity", "unknown option or argument '%s'", a);
        if (i + 1 >= argc)
            return nc_cli_usage("identity", "%s needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "--dir") == 0)
            dir = v;
        else if (strcmp(a, "--svid") == 0)
            svid = v;
        else if (strcmp(a, "--key") == 0)
            key = v;
        else
            bundle = v;
    }
    if (svid == NULL) {
        if (path_join(sp, sizeof(sp), dir, NC_SVID_CERT_FILE) < 0)
            return nc_cli_usage("identity", "--dir is too long");
        svid = sp;
    }
    if (key == NULL) {
        if (path_join(kp, sizeof(kp), dir, NC_SVID_KEY_FILE) < 0)
            return nc_cli_usage("identity", "--dir is too long");
        if (access(kp, F_OK) == 0)
            key = kp;
    }
    if (bundle == NULL) {
        if (path_join(bp, sizeof(bp), dir, NC_SVID_BUNDLE_FILE) < 0)
            return nc_cli_usage("identity", "--dir is too long");
        if (access(bp, F_OK) != 0 &&
            path_join(bp, sizeof(bp), dir, NC_SVID_HELPER_BUNDLE_FILE) == 0 &&
            access(bp, F_OK) != 0)
            path_join(bp, sizeof(bp), dir, NC_SVID_BUNDLE_FILE);
        bundle = bp;
    }

    STACK_OF(X509) *certs = nc_pem_load_certs(svid, &err);
    if (certs == NULL) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    struct nc_bundle *b = nc_bundle_load(bundle, &err);
    if (b == NULL) {
        sk_X509_pop_free(certs, X509_free);
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    X509 *leaf = sk_X509_shift(certs);
    time_t now = time(NULL);

    /* 1. The leaf rules and the chain. */
    struct nc_spiffe_id id, claimed;
    enum nc_svid_reason why = NC_SVID_OK;
    struct nc_err verr = {0};
    int valid = nc_svid_verify_chain(leaf, certs, b, NC_SVID_ROLE_ANY, 0, &id, &why, &verr) == 0;
    nc_svid_cert_claimed_id(leaf, &claimed);
    /* 2. The key, when there is one. */
    bool key_checked = false;
    if (valid && key != NULL) {
        struct nc_svid *s = nc_svid_load(svid, key, &verr);
        if (s == NULL) {
            valid = 0;
            why = NC_SVID_MALFORMED;
        } else {
            key_checked = true;
            nc_svid_free(s);
        }
    }

    time_t nb = nc_asn1_time_to_unix(X509_get0_notBefore(leaf));
    time_t na = nc_asn1_time_to_unix(X509_get0_notAfter(leaf));
    time_t renew = nb + (na - nb) / 2;
    X509 *top = sk_X509_num(certs) > 0 ? sk_X509_value(certs, sk_X509_num(certs) - 1) : leaf;
    X509 *root = issuing_root(b, top);
    int rc;

    if (json) {
        json_t *chain = json_array();
        json_array_append_new(chain, cert_json(leaf, "leaf"));
        for (int i = 0; i < sk_X509_num(certs); i++)
            json_array_append_new(chain, cert_json(sk_X509_value(certs, i), "intermediate"));
        if (root != NULL)
            json_array_append_new(chain, cert_json(root, "root"));
        json_t *v = json_pack("{s:s?, s:b, s:s, s:s?, s:I, s:I, s:I, s:b, s:o}", "spiffe_id",
                              valid ? id.id : (claimed.len > 0 ? claimed.id : NULL), "valid",
                              valid, "reason", nc_svid_reason_name(valid ? NC_SVID_OK : why),
                              "detail", valid ? NULL : verr.msg, "not_before", (json_int_t)nb,
                              "not_after", (json_int_t)na, "renew_at", (json_int_t)renew,
                              "key_checked", key_checked, "chain", chain);
        rc = nc_cli_print_json(v);
        if (rc == NC_EXIT_OK && !valid)
            rc = NC_EXIT_FAIL;
    } else {
        char t[64], left[64];
        const char *red = nc_cli_sgr(stdout, "\033[31m"), *green = nc_cli_sgr(stdout, "\033[32m"),
                   *off = nc_cli_sgr(stdout, "\033[0m");
        printf("SPIFFE ID:   %s\n", valid ? id.id : claimed.len > 0 ? claimed.id : "(none)");
        if (valid)
            printf("status:      %svalid%s (chain verified against %s%s)\n", green, off, bundle,
                   key_checked ? ", key matches" : ", key not checked");
        else
            printf("status:      %sINVALID%s: %s: %s\n", red, off, nc_svid_reason_name(why),
                   verr.msg);
        fmt_time(nb, t, sizeof(t));
        printf("not before:  %s\n", t);
        fmt_time(na, t, sizeof(t));
        fmt_left(na, now, left, sizeof(left));
        printf("not after:   %s (%s)\n", t, left);
        fmt_time(renew, t, sizeof(t));
        fmt_left(renew, now, left, sizeof(left));
        printf("renew at:    %s (%s)\n", t, left);
        printf("chain:\n");
        cert_text(leaf, "leaf", now);
        for (int i = 0; i < sk_X509_num(certs); i++)
            cert_text(sk_X509_value(certs, i), "intermediate", now);
        if (root != NULL)
            cert_text(root, "root", now);
        else
            printf("  %-12s (no root of the bundle issued this chain)\n", "root");
        rc = valid ? NC_EXIT_OK : NC_EXIT_FAIL;
    }
    X509_free(leaf);
    sk_X509_pop_free(certs, X509_free);
    nc_bundle_free(b);
    return rc;
}
