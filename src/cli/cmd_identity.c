/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus identity: shows an X.509 SVID (ours or one written by SPIRE's spiffe-helper): its
 * SPIFFE ID, validity, chain, and whether it verifies against the trust bundle; or, with
 * --pod, the identities of a running pod on each of its links. */
#include "common.h"

#include "identity/mtls.h"
#include "identity/svid.h"
#include "node/links.h"
#include "proxy/approval.h"
#include "proxy/control.h"
#include "util/ossl.h"
#include "util/state.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "Usage: nucleus identity [--dir DIR] [--svid FILE] [--key FILE] [--bundle FILE] [--json]\n"
    "       nucleus identity --pod ID [--json]\n"
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
    "  --pod ID       a running pod (see 'nucleus ps'): its identity on each link, i.e. the\n"
    "                 SVID its orchestrator or proxy presents on the control socket (taken\n"
    "                 from a mutual TLS handshake made now, verified against the CLI's\n"
    "                 bundle) and, for a 'nucleus run' pod, the MCP bridge's SVID in\n"
    "                 RUNTIME/pods/ID/bridge/\n"
    "  --json         machine-readable output: {spiffe_id, valid, reason, detail, not_before,\n"
    "                 not_after, renew_at, key_checked, chain: [...]}; with --pod,\n"
    "                 {pod, identities: [{link, role, source, ...the same members}]}\n"
    "\n"
    "Exit codes: 0 valid, 1 invalid (expired, not yet valid, untrusted, not an SVID, key\n"
    "mismatch) or, with --pod, a pod that cannot be asked, 2 usage error or unreadable\n"
    "files.\n";

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

/* Checks leaf (with the untrusted intermediates certs, may be empty) against b for role and,
 * when key is not NULL, that the key file matches svid; prints the text report (unless json)
 * and returns the JSON one.  *valid says whether everything held. */
static json_t *describe(X509 *leaf, STACK_OF(X509) *certs, const struct nc_bundle *b,
                        const char *bundle_label, const char *svid, const char *key,
                        enum nc_svid_role role, bool json, bool *valid_out)
{
    time_t now = time(NULL);
    struct nc_spiffe_id id, claimed;
    enum nc_svid_reason why = NC_SVID_OK;
    struct nc_err verr = {0};
    /* 1. The leaf rules and the chain. */
    bool valid = nc_svid_verify_chain(leaf, certs, b, role, 0, &id, &why, &verr) == 0;
    nc_svid_cert_claimed_id(leaf, &claimed);
    /* 2. The key, when there is one. */
    bool key_checked = false;
    if (valid && key != NULL) {
        struct nc_svid *s = nc_svid_load(svid, key, &verr);
        if (s == NULL) {
            valid = false;
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
    json_t *chain = json_array();
    json_array_append_new(chain, cert_json(leaf, "leaf"));
    for (int i = 0; i < sk_X509_num(certs); i++)
        json_array_append_new(chain, cert_json(sk_X509_value(certs, i), "intermediate"));
    if (root != NULL)
        json_array_append_new(chain, cert_json(root, "root"));
    json_t *v = json_pack("{s:s?, s:b, s:s, s:s?, s:I, s:I, s:I, s:b, s:o}", "spiffe_id",
                          valid ? id.id : (claimed.len > 0 ? claimed.id : NULL), "valid", valid,
                          "reason", nc_svid_reason_name(valid ? NC_SVID_OK : why), "detail",
                          valid ? NULL : verr.msg, "not_before", (json_int_t)nb, "not_after",
                          (json_int_t)na, "renew_at", (json_int_t)renew, "key_checked",
                          key_checked, "chain", chain);
    if (!json) {
        char t[64], left[64];
        const char *red = nc_cli_sgr(stdout, "\033[31m"), *green = nc_cli_sgr(stdout, "\033[32m"),
                   *off = nc_cli_sgr(stdout, "\033[0m");
        printf("SPIFFE ID:   %s\n", valid ? id.id : claimed.len > 0 ? claimed.id : "(none)");
        if (valid)
            printf("status:      %svalid%s (chain verified against %s%s)\n", green, off,
                   bundle_label,
                   key != NULL ? (key_checked ? ", key matches" : ", key not checked")
                               : ", key held by its owner");
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
    }
    *valid_out = valid;
    return v;
}

/* Loads svid (and its intermediates) and the bundle, and describes them. */
static json_t *describe_files(const char *svid, const char *key, const char *bundle, bool json,
                              bool *valid, struct nc_err *err)
{
    STACK_OF(X509) *certs = nc_pem_load_certs(svid, err);
    if (certs == NULL)
        return NULL;
    struct nc_bundle *b = nc_bundle_load(bundle, err);
    if (b == NULL) {
        sk_X509_pop_free(certs, X509_free);
        return NULL;
    }
    X509 *leaf = sk_X509_shift(certs);
    json_t *v = describe(leaf, certs, b, bundle, svid, key, NC_SVID_ROLE_ANY, json, valid);
    X509_free(leaf);
    sk_X509_pop_free(certs, X509_free);
    nc_bundle_free(b);
    return v;
}

/* nucleus identity --pod ID: the pod's server as met over mutual TLS right now, and the
 * bridge's SVID files of a `nucleus run` pod. */
static int show_pod(const char *pod, bool json)
{
    char state[PATH_MAX], rt[PATH_MAX], dir[PATH_MAX], cli[PATH_MAX], sp[PATH_MAX],
        kp[PATH_MAX], bp[PATH_MAX], cbp[PATH_MAX];
    struct nc_err err = {0};
    X509 *peer = NULL;
    bool all_valid = true, valid = false;
    if (!nc_approval_pod_valid(pod))
        return nc_cli_usage("identity", "invalid pod id '%s'", pod);
    if (nc_state_dir(state, sizeof(state), &err) < 0 || nc_runtime_dir(rt, sizeof(rt), &err) < 0 ||
        nc_links_cli_dir(state, cli, sizeof(cli), &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_FAIL;
    }
    int dn = snprintf(dir, sizeof(dir), "%s/pods/%s", rt, pod);
    if (dn < 0 || (size_t)dn >= sizeof(dir) ||
        path_join(cbp, sizeof(cbp), cli, NC_SVID_BUNDLE_FILE) < 0) {
        nc_cli_error("directory name too long");
        return NC_EXIT_FAIL;
    }
    /* 1. Ask the pod (its status), which makes it prove its identity in the handshake. */
    struct nc_mtls_ctx *tls = nc_cli_control_tls();
    if (tls == NULL)
        return NC_EXIT_FAIL;
    json_t *req = json_pack("{s:s}", "op", "status");
    json_t *rep = nc_control_request(tls, pod, req, &peer, &err);
    json_decref(req);
    nc_mtls_ctx_free(tls);
    if (rep == NULL || peer == NULL) {
        json_decref(rep);
        X509_free(peer);
        nc_cli_error("%s", err.msg[0] != '\0' ? err.msg : "the pod did not answer");
        return NC_EXIT_FAIL;
    }
    json_t *info = json_object_get(json_object_get(rep, "info"), "kind");
    char kind[32];
    snprintf(kind, sizeof(kind), "%s", json_is_string(info) ? json_string_value(info) : "proxy");
    json_int_t pid = json_integer_value(json_object_get(json_object_get(rep, "info"), "pid"));
    json_t *ids = json_array();
    if (!json)
        printf("pod %s (%s, pid %lld)\n\n== control socket: the pod's server, as presented in a "
               "mutual TLS handshake now ==\n",
               pod, kind, (long long)pid);
    struct nc_bundle *b = nc_bundle_load(cbp, &err);
    if (b == NULL) {
        X509_free(peer);
        json_decref(rep);
        json_decref(ids);
        nc_cli_error("%s", err.msg);
        return NC_EXIT_FAIL;
    }
    STACK_OF(X509) *none = sk_X509_new_null();
    json_t *v = describe(peer, none, b, cbp, NULL, NULL, NC_SVID_ROLE_SERVER, json, &valid);
    sk_X509_free(none);
    nc_bundle_free(b);
    X509_free(peer);
    all_valid = all_valid && valid;
    json_object_set_new(v, "link", json_string(NC_CONTROL_LINK));
    json_object_set_new(v, "role", json_string("server"));
    json_object_set_new(v, "source", json_string("handshake"));
    json_array_append_new(ids, v);

    /* 2. The bridge's files, for a `nucleus run` pod. */
    if (path_join(sp, sizeof(sp), dir, "bridge/" NC_SVID_CERT_FILE) == 0 &&
        path_join(kp, sizeof(kp), dir, "bridge/" NC_SVID_KEY_FILE) == 0 &&
        path_join(bp, sizeof(bp), dir, "bridge/" NC_SVID_BUNDLE_FILE) == 0 &&
        access(sp, F_OK) == 0) {
        if (!json)
            printf("\n== MCP bridge (mcp.sock): the SVID 'nucleus mcp --pod %s' presents ==\n",
                   pod);
        err = (struct nc_err){0};
        v = describe_files(sp, kp, bp, json, &valid, &err);
        if (v == NULL) {
            nc_cli_error("bridge: %s", err.msg);
            valid = false;
            v = json_pack("{s:b, s:s, s:s}", "valid", 0, "reason", "unreadable", "detail",
                          err.msg);
        }
        all_valid = all_valid && valid;
        json_object_set_new(v, "link", json_string(NC_LINK_BRIDGE));
        json_object_set_new(v, "role", json_string("client"));
        json_object_set_new(v, "source", json_string(sp));
        json_array_append_new(ids, v);
    }
    json_decref(rep);
    if (json) {
        int rc = nc_cli_print_json(json_pack("{s:s, s:s, s:I, s:o}", "pod", pod, "kind", kind,
                                             "pid", pid, "identities", ids));
        return rc == NC_EXIT_OK && !all_valid ? NC_EXIT_FAIL : rc;
    }
    json_decref(ids);
    return all_valid ? NC_EXIT_OK : NC_EXIT_FAIL;
}

int nc_cmd_identity(int argc, char **argv)
{
    const char *dir = ".", *svid = NULL, *key = NULL, *bundle = NULL, *pod = NULL;
    bool json = false, files = false;
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
            strcmp(a, "--bundle") != 0 && strcmp(a, "--pod") != 0)
            return nc_cli_usage("identity", "unknown option or argument '%s'", a);
        if (i + 1 >= argc)
            return nc_cli_usage("identity", "%s needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "--pod") == 0) {
            pod = v;
            continue;
        }
        files = true;
        if (strcmp(a, "--dir") == 0)
            dir = v;
        else if (strcmp(a, "--svid") == 0)
            svid = v;
        else if (strcmp(a, "--key") == 0)
            key = v;
        else
            bundle = v;
    }
    if (pod != NULL) {
        if (files)
            return nc_cli_usage("identity", "--pod cannot be combined with --dir, --svid, "
                                            "--key or --bundle");
        return show_pod(pod, json);
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
    bool valid = false;
    json_t *v = describe_files(svid, key, bundle, json, &valid, &err);
    if (v == NULL) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    if (json) {
        int rc = nc_cli_print_json(v);
        return rc == NC_EXIT_OK && !valid ? NC_EXIT_FAIL : rc;
    }
    json_decref(v);
    return valid ? NC_EXIT_OK : NC_EXIT_FAIL;
}
