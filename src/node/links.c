/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS for the bridge link (see links.h). */
#include "node/links.h"

#include "identity/audit_hook.h"
#include "identity/spiffe.h"
#include "identity/svid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct nc_links_server {
    char state[4096];
    char bridge_dir[4200];
    struct nc_ca *ca;
    struct nc_spiffe_id orch, bridge;
    struct nc_svid *svid; /* ours */
    struct nc_mtls_ctx *ctx;
};

static char *td_of(const struct nc_spiffe_id *id, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "%.*s", (int)id->td_len, id->id + NC_SPIFFE_SCHEME_LEN);
    return buf;
}

static struct nc_spiffe_policy *only(const struct nc_spiffe_id *id, struct nc_err *err)
{
    struct nc_spiffe_policy *p = nc_spiffe_policy_new(err);
    if (p != NULL && nc_spiffe_policy_add(p, id->id, err) < 0) {
        nc_spiffe_policy_free(p);
        return NULL;
    }
    return p;
}

int nc_links_server_refresh(struct nc_links_server *s, struct nc_err *err)
{
    struct nc_issue_opts opts = {0};
    if (s->svid == NULL || time(NULL) >= nc_svid_renew_at(s->svid)) {
        struct nc_svid *n = nc_ca_issue(s->ca, &s->orch, &opts, err);
        if (n == NULL)
            return -1; /* the current SVID stays in use */
        if (s->ctx != NULL && nc_mtls_ctx_set_svid(s->ctx, n, NULL, err) < 0) {
            nc_svid_free(n);
            return -1;
        }
        nc_svid_free(s->svid);
        s->svid = n;
    }
    return nc_ca_ensure_svid(s->ca, &s->bridge, &opts, s->bridge_dir, err) < 0 ? -1 : 0;
}

struct nc_links_server *nc_links_server_new(const char *state, const char *pod,
                                            const char *bridge_dir, struct nc_audit *audit,
                                            struct nc_err *err)
{
    struct nc_links_server *s = calloc(1, sizeof(*s));
    struct nc_spiffe_policy *peers = NULL;
    char td[NC_SPIFFE_TD_MAX + 1];
    if (s == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(s->state, sizeof(s->state), "%s", state);
    if (snprintf(s->bridge_dir, sizeof(s->bridge_dir), "%s", bridge_dir) >=
        (int)sizeof(s->bridge_dir)) {
        nc_err_set(err, ENAMETOOLONG, "directory name too long");
        goto fail;
    }
    s->ca = nc_ca_load(state, err);
    if (s->ca == NULL && err->code == ENOENT) {
        /* First use: a CA of our own (docs/identity.md shows how to use SPIRE's instead). */
        if (nc_ca_init(state, "nucleus.local", NC_KEY_EC_P256, 3650, err) < 0 &&
            err->code != EEXIST)
            goto fail;
        s->ca = nc_ca_load(state, err);
    }
    if (s->ca == NULL)
        goto fail;
    td_of(nc_ca_trust_domain(s->ca), td, sizeof(td));
    if (nc_spiffe_id_workload(td, "system", "orchestrator", &s->orch, err) < 0 ||
        nc_spiffe_id_workload(td, "bridge", pod, &s->bridge, err) < 0 ||
        nc_identity_mkdir_private(s->bridge_dir, err) < 0 ||
        nc_links_server_refresh(s, err) < 0)
        goto fail;
    peers = only(&s->bridge, err);
    if (peers == NULL)
        goto fail;
    struct nc_mtls_config cfg = {
        .server = true,
        .name = "bridge->orchestrator",
        .svid = s->svid,
        .bundle = nc_ca_bundle(s->ca),
        .peers = peers,
        .on_failure = nc_mtls_audit_failure,
        .on_failure_arg = audit,
    };
    if (nc_mtls_ctx_new(&cfg, &s->ctx, err) < 0)
        goto fail;
    nc_spiffe_policy_free(peers);
    return s;
fail:
    nc_spiffe_policy_free(peers);
    nc_links_server_free(s);
    return NULL;
}

struct nc_mtls_ctx *nc_links_server_ctx(struct nc_links_server *s)
{
    return s->ctx;
}

void nc_links_server_free(struct nc_links_server *s)
{
    if (s == NULL)
        return;
    nc_mtls_ctx_free(s->ctx);
    nc_svid_free(s->svid);
    nc_ca_free(s->ca);
    free(s);
}

struct nc_mtls_ctx *nc_links_client_ctx(const char *dir, struct nc_err *err)
{
    char cert[4300], key[4300], bundle[4300], td[NC_SPIFFE_TD_MAX + 1];
    struct nc_svid *svid;
    struct nc_spiffe_id orch;
    struct nc_spiffe_policy *peers = NULL;
    struct nc_mtls_ctx *ctx = NULL;
    snprintf(cert, sizeof(cert), "%s/svid.pem", dir);
    snprintf(key, sizeof(key), "%s/svid_key.pem", dir);
    snprintf(bundle, sizeof(bundle), "%s/bundle.pem", dir);
    svid = nc_svid_load(cert, key, err);
    if (svid == NULL)
        return NULL;
    td_of(nc_svid_id(svid), td, sizeof(td));
    nc_svid_free(svid);
    if (nc_spiffe_id_workload(td, "system", "orchestrator", &orch, err) < 0)
        return NULL;
    peers = only(&orch, err);
    if (peers == NULL)
        return NULL;
    struct nc_mtls_config cfg = {
        .server = false,
        .name = "bridge->orchestrator",
        .svid_file = cert,
        .key_file = key,
        .bundle_file = bundle,
        .peers = peers,
    };
    (void)nc_mtls_ctx_new(&cfg, &ctx, err);
    nc_spiffe_policy_free(peers);
    return ctx;
}
