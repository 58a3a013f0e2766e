/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus ca init|issue|rotate|status: the built-in certificate authority that gives every pod,
 * bridge and CLI client a short-lived SPIFFE X.509 SVID (library: src/identity/ca.h). */
#include "common.h"

#include "identity/ca.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "Usage: nucleus ca init [--state-dir DIR] [--trust-domain TD] [--key-type TYPE] [--days N]\n"
    "       nucleus ca issue --id SPIFFE_ID [--ttl SECONDS] [--out-dir DIR] [--key-type TYPE]\n"
    "                        [--state-dir DIR]\n"
    "       nucleus ca rotate [--activate | --finish [--force]] [--key-type TYPE] [--days N]\n"
    "                         [--state-dir DIR]\n"
    "       nucleus ca status [--state-dir DIR] [--json]\n"
    "\n"
    "The certificate authority that issues SPIFFE X.509 SVIDs to pods, bridges and clients.\n"
    "Its files live in STATE/ca/ (directory mode 0700): ca.key (mode 0600, never leaves this\n"
    "directory), ca.crt, and bundle.pem, the trust bundle every peer verifies against.  STATE\n"
    "is --state-dir, else $XDG_STATE_HOME/nucleus, else ~/.local/state/nucleus.\n"
    "\n"
    "init     creates the root: a self-signed CA certificate for spiffe://TD.  Refuses to\n"
    "         replace an existing CA.\n"
    "  --trust-domain TD  the trust domain, [a-z0-9._-] (default nucleus.local)\n"
    "  --key-type TYPE    ec-p256 (default) or ed25519\n"
    "  --days N           validity of the root in days (default 365, at most 3650)\n"
    "\n"
    "issue    issues an SVID for tooling and tests: writes svid.pem, svid_key.pem (mode 0600)\n"
    "         and bundle.pem into DIR (default: the current directory), the file names\n"
    "         SPIRE's spiffe-helper uses.  The leaf key is generated here.\n"
    "  --id SPIFFE_ID     e.g. spiffe://nucleus.local/ns/NAMESPACE/sa/ACCOUNT; must be in the\n"
    "                     CA's trust domain and have a path\n"
    "  --ttl SECONDS      lifetime (default 3600, at most 86400); notBefore is set 60 s in the\n"
    "                     past to absorb clock skew\n"
    "  --key-type TYPE    of the leaf key: ec-p256 (default) or ed25519\n"
    "\n"
    "rotate   replaces the root in three steps, so that no peer ever meets a certificate\n"
    "         whose root it does not trust yet:\n"
    "  (no option)        prepare: create the new root and add it to bundle.pem; the old root\n"
    "                     keeps signing.  Wait until every workload has fetched the new bundle\n"
    "                     (it comes with each SVID renewal, at half of the SVID lifetime).\n"
    "  --activate         the new root signs from now on; the old one stays in the bundle\n"
    "  --finish           drop the old root from the bundle; refused until every SVID it\n"
    "                     signed has expired (24 h after --activate) unless --force\n"
    "\n"
    "status   shows the trust domain, the roots in the bundle and where a rotation stands.\n"
    "  --json             machine-readable output\n"
    "\n"
    "Exit codes: 0 success, 1 refused (a CA exists, rotation step out of order, ...),\n"
    "2 usage error or unreadable state.\n";

struct opts {
    const char *state, *td, *id, *out;
    enum nc_key_type kt;
    unsigned days, ttl;
    bool activate, finish, force, json;
};

static int parse_uint(const char *cmd, const char *name, const char *v, unsigned max,
                      unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (v[0] == '\0' || v[0] == '-' || *end != '\0' || errno != 0 || x == 0 || x > max)
        return nc_cli_usage(cmd, "%s must be a number from 1 to %u", name, max);
    *out = (unsigned)x;
    return 0;
}

/* Parses the options shared by the subcommands; returns 0, or an exit code. */
static int parse(const char *cmd, int argc, char **argv, struct opts *o, bool *help_shown)
{
    *help_shown = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (nc_cli_is_help(a)) {
            fputs(help, stdout);
            *help_shown = true;
            return NC_EXIT_OK;
        }
        bool has_value = strcmp(a, "--state-dir") == 0 || strcmp(a, "--trust-domain") == 0 ||
                         strcmp(a, "--key-type") == 0 || strcmp(a, "--days") == 0 ||
                         strcmp(a, "--id") == 0 || strcmp(a, "--ttl") == 0 ||
                         strcmp(a, "--out-dir") == 0;
        if (has_value && i + 1 >= argc)
            return nc_cli_usage(cmd, "%s needs a value", a);
        if (strcmp(a, "--state-dir") == 0)
            o->state = argv[++i];
        else if (strcmp(a, "--trust-domain") == 0)
            o->td = argv[++i];
        else if (strcmp(a, "--key-type") == 0) {
            int kt = nc_key_type_parse(argv[++i]);
            if (kt < 0)
                return nc_cli_usage(cmd, "--key-type is ec-p256 or ed25519");
            o->kt = (enum nc_key_type)kt;
        } else if (strcmp(a, "--days") == 0) {
            int rc = parse_uint(cmd, "--days", argv[++i], NC_CA_DAYS_MAX, &o->days);
            if (rc != 0)
                return rc;
        } else if (strcmp(a, "--ttl") == 0) {
            int rc = parse_uint(cmd, "--ttl", argv[++i], NC_SVID_TTL_MAX, &o->ttl);
            if (rc != 0)
                return rc;
        } else if (strcmp(a, "--id") == 0)
            o->id = argv[++i];
        else if (strcmp(a, "--out-dir") == 0)
            o->out = argv[++i];
        else if (strcmp(a, "--activate") == 0)
            o->activate = true;
        else if (strcmp(a, "--finish") == 0)
            o->finish = true;
        else if (strcmp(a, "--force") == 0)
            o->force = true;
        else if (strcmp(a, "--json") == 0)
            o->json = true;
        else
            return nc_cli_usage(cmd, "unknown option or argument '%s'", a);
    }
    return NC_EXIT_OK;
}

static int state_dir(const struct opts *o, char *out, size_t n)
{
    struct nc_err err = {0};
    if (o->state != NULL) {
        int k = snprintf(out, n, "%s", o->state);
        if (k <= 0 || (size_t)k >= n) {
            nc_cli_error("--state-dir is too long");
            return -1;
        }
        return 0;
    }
    if (nc_identity_state_dir(out, n, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return -1;
    }
    return 0;
}

static void print_time(const char *label, time_t t)
{
    char buf[64];
    struct tm tm;
    if (gmtime_r(&t, &tm) != NULL && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
        printf("%s%s\n", label, buf);
}

static int cmd_init(const struct opts *o)
{
    char dir[PATH_MAX];
    struct nc_err err = {0};
    if (o->id != NULL || o->out != NULL || o->ttl != 0 || o->activate || o->finish || o->force ||
        o->json)
        return nc_cli_usage("ca init", "init takes --state-dir, --trust-domain, --key-type, --days");
    if (state_dir(o, dir, sizeof(dir)) < 0)
        return NC_EXIT_USAGE;
    const char *td = o->td != NULL ? o->td : NC_CA_TRUST_DOMAIN_DEFAULT;
    if (nc_ca_init(dir, td, o->kt, o->days != 0 ? o->days : NC_CA_DAYS_DEFAULT, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return err.code == EEXIST ? NC_EXIT_FAIL : NC_EXIT_USAGE;
    }
    printf("CA initialized for spiffe://%s (%s root) in %s/ca\n", td, nc_key_type_name(o->kt), dir);
    printf("trust bundle: %s/ca/bundle.pem\n", dir);
    return NC_EXIT_OK;
}

static int cmd_issue(const struct opts *o)
{
    char dir[PATH_MAX], cadir[PATH_MAX], outreal[PATH_MAX];
    struct nc_err err = {0};
    struct nc_spiffe_id id;
    if (o->td != NULL || o->days != 0 || o->activate || o->finish || o->force || o->json)
        return nc_cli_usage("ca issue", "issue takes --id, --ttl, --out-dir, --key-type, --state-dir");
    if (o->id == NULL)
        return nc_cli_usage("ca issue", "--id is required");
    if (nc_spiffe_id_parse_str(o->id, NC_SPIFFE_REQUIRE_PATH, &id, &err) < 0)
        return nc_cli_usage("ca issue", "--id: %s", err.msg);
    if (state_dir(o, dir, sizeof(dir)) < 0)
        return NC_EXIT_USAGE;
    const char *out = o->out != NULL ? o->out : ".";
    struct stat st;
    if (stat(out, &st) != 0 && mkdir(out, 0700) != 0) {
        nc_cli_error("%s: %s", out, strerror(errno));
        return NC_EXIT_USAGE;
    }
    /* A workload's directory must never be the CA's: its key would sit beside ca.key, and
     * whoever is handed the directory would hold the CA. */
    int n = snprintf(cadir, sizeof(cadir), "%s/ca", dir);
    if (n > 0 && (size_t)n < sizeof(cadir) && realpath(out, outreal) != NULL) {
        char careal[PATH_MAX];
        if (realpath(cadir, careal) != NULL && strcmp(careal, outreal) == 0) {
            nc_cli_error("refusing to write an SVID into the CA's own directory");
            return NC_EXIT_USAGE;
        }
    }
    struct nc_ca *ca = nc_ca_load(dir, &err);
    if (ca == NULL) {
        nc_cli_error("%s", err.msg);
        if (err.code == ENOENT)
            fputs("hint: run 'nucleus ca init' first\n", stderr);
        return NC_EXIT_USAGE;
    }
    struct nc_issue_opts io = {.ttl = o->ttl, .key_type = o->kt};
    struct nc_svid *s = nc_ca_issue(ca, &id, &io, &err);
    int rc = NC_EXIT_OK;
    if (s == NULL) {
        nc_cli_error("%s", err.msg);
        rc = NC_EXIT_FAIL;
    } else if (nc_svid_write_dir(s, nc_ca_bundle(ca), out, &err) < 0) {
        nc_cli_error("%s", err.msg);
        rc = NC_EXIT_USAGE;
    } else {
        printf("issued %s\n", nc_svid_id(s)->id);
        print_time("not after: ", nc_svid_not_after(s));
        print_time("renew at:  ", nc_svid_renew_at(s));
        printf("wrote %s/svid.pem, %s/svid_key.pem (0600), %s/bundle.pem\n", out, out, out);
    }
    nc_svid_free(s);
    nc_ca_free(ca);
    return rc;
}

static int cmd_rotate(const struct opts *o)
{
    char dir[PATH_MAX];
    struct nc_err err = {0};
    if (o->id != NULL || o->out != NULL || o->ttl != 0 || o->td != NULL || o->json)
        return nc_cli_usage("ca rotate", "rotate takes --activate, --finish, --force, --key-type, "
                                         "--days, --state-dir");
    if (o->activate && o->finish)
        return nc_cli_usage("ca rotate", "--activate and --finish are separate steps");
    if (o->force && !o->finish)
        return nc_cli_usage("ca rotate", "--force only applies to --finish");
    if (state_dir(o, dir, sizeof(dir)) < 0)
        return NC_EXIT_USAGE;
    enum nc_ca_rotate_step step = o->activate ? NC_CA_ROTATE_ACTIVATE
                                  : o->finish ? NC_CA_ROTATE_FINISH
                                              : NC_CA_ROTATE_PREPARE;
    if (nc_ca_rotate(dir, step, o->kt, o->days != 0 ? o->days : NC_CA_DAYS_DEFAULT, o->force,
                     &err) < 0) {
        nc_cli_error("%s", err.msg);
        return err.code == EEXIST || err.code == EBUSY || err.code == ENOENT ? NC_EXIT_FAIL
                                                                             : NC_EXIT_USAGE;
    }
    switch (step) {
    case NC_CA_ROTATE_PREPARE:
        puts("prepared: the new root is in bundle.pem; the current root still signs.");
        puts("next: once every workload has the new bundle (one SVID half-life, 30 min by "
             "default), run 'nucleus ca rotate --activate'");
        break;
    case NC_CA_ROTATE_ACTIVATE:
        puts("activated: the new root signs from now on; the previous root stays trusted.");
        puts("next: after every SVID signed by the previous root has expired (24 h), run "
             "'nucleus ca rotate --finish'");
        break;
    case NC_CA_ROTATE_FINISH:
        puts("finished: the previous root is no longer in bundle.pem.");
        break;
    }
    return NC_EXIT_OK;
}

static int cmd_status(const struct opts *o)
{
    char dir[PATH_MAX];
    struct nc_err err = {0};
    struct nc_ca_rotation rs;
    if (o->id != NULL || o->out != NULL || o->ttl != 0 || o->td != NULL || o->activate ||
        o->finish || o->force || o->days != 0)
        return nc_cli_usage("ca status", "status takes --state-dir and --json");
    if (state_dir(o, dir, sizeof(dir)) < 0)
        return NC_EXIT_USAGE;
    struct nc_ca *ca = nc_ca_load(dir, &err);
    if (ca == NULL || nc_ca_rotation_state(dir, &rs, &err) < 0) {
        nc_ca_free(ca);
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    const struct nc_bundle *b = nc_ca_bundle(ca);
    const char *phase = rs.next ? "prepared" : rs.prev ? "activated" : "none";
    if (o->json) {
        json_t *roots = json_array();
        for (size_t i = 0; roots != NULL && i < nc_bundle_count(b); i++) {
            X509 *x = nc_bundle_cert(b, i);
            char *subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
            json_array_append_new(
                roots, json_pack("{s:s?, s:I, s:I, s:b}", "subject", subj, "not_before",
                                 (json_int_t)nc_asn1_time_to_unix(X509_get0_notBefore(x)),
                                 "not_after",
                                 (json_int_t)nc_asn1_time_to_unix(X509_get0_notAfter(x)), "active",
                                 X509_cmp(x, nc_ca_cert(ca)) == 0));
            OPENSSL_free(subj);
        }
        json_t *v = json_pack("{s:s, s:s, s:o, s:s, s:I}", "trust_domain",
                              nc_ca_trust_domain(ca)->id, "state_dir", dir, "bundle", roots,
                              "rotation", phase, "finish_allowed_at",
                              (json_int_t)(rs.prev ? rs.prev_until : 0));
        nc_ca_free(ca);
        return nc_cli_print_json(v);
    }
    printf("trust domain: %s\n", nc_ca_trust_domain(ca)->id);
    printf("state:        %s/ca\n", dir);
    printf("bundle:       %zu root(s)\n", nc_bundle_count(b));
    for (size_t i = 0; i < nc_bundle_count(b); i++) {
        X509 *x = nc_bundle_cert(b, i);
        char *subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
        printf("  %s %s\n", X509_cmp(x, nc_ca_cert(ca)) == 0 ? "*" : " ",
               subj != NULL ? subj : "?");
        print_time("      not after: ", nc_asn1_time_to_unix(X509_get0_notAfter(x)));
        OPENSSL_free(subj);
    }
    printf("rotation:     %s\n", phase);
    if (rs.prev)
        print_time("  --finish allowed from: ", rs.prev_until);
    nc_ca_free(ca);
    return NC_EXIT_OK;
}

int nc_cmd_ca(int argc, char **argv)
{
    struct opts o = {0};
    bool shown = false;
    if (argc < 2)
        return nc_cli_usage("ca", "init, issue, rotate or status?");
    if (nc_cli_is_help(argv[1])) {
        fputs(help, stdout);
        return NC_EXIT_OK;
    }
    const char *sub = argv[1];
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "ca %.20s", sub);
    if (strcmp(sub, "init") != 0 && strcmp(sub, "issue") != 0 && strcmp(sub, "rotate") != 0 &&
        strcmp(sub, "status") != 0)
        return nc_cli_usage("ca", "unknown subcommand '%s'", sub);
    int rc = parse(cmd, argc - 1, argv + 1, &o, &shown);
    if (rc != NC_EXIT_OK || shown)
        return rc;
    if (strcmp(sub, "init") == 0)
        return cmd_init(&o);
    if (strcmp(sub, "issue") == 0)
        return cmd_issue(&o);
    if (strcmp(sub, "rotate") == 0)
        return cmd_rotate(&o);
    return cmd_status(&o);
}
