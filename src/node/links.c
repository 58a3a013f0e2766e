/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS for the bridge and control links (see links.h). */
#include "node/links.h"

#include "identity/audit_hook.h"
#include "identity/spiffe.h"
#include "identity/svid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

struct nc_links_server {
    char bridge_dir[4200]; /* "" without a pod */
    char cli_dir[4200];
    char cli_lock[4200];
    struct nc_ca *ca;
    struct nc_spiffe_id self, bridge, cli;
    struct nc_svid *svid;       /* ours, in memory */
    struct nc_mtls_ctx *ctx;    /* bridge link; NULL without a pod */
    struct nc_mtls_ctx *ctl;    /* control link */
    struct nc_audit *audit;     /* where refusals go */
};

static char *td_of(const struct nc_spiffe_id *id, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "%.*s", (int)id->td_len, id->id + NC_SPIFFE_SCHEME_LEN);
    return buf;
}

/* A policy of exact IDs (n of them). */
static struct nc_spiffe_policy *exactly(const struct nc_spiffe_id *ids, size_t n,
                                        struct nc_err *err)
{
    struct nc_spiffe_policy *p = nc_spiffe_policy_new(err);
    for (size_t i = 0; p != NULL && i < n; i++) {
        if (nc_spiffe_policy_add(p, ids[i].id, err) < 0) {
            nc_spiffe_policy_free(p);
            return NULL;
        }
    }
    return p;
}

static int join(char *out, size_t outsz, const char *dir, const char *name, struct nc_err *err)
{
    int n = snprintf(out, outsz, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outsz)
        return nc_err_set(err, ENAMETOOLONG, "directory name too long");
    return 0;
}

int nc_links_cli_dir(const char *state, char *out, size_t outsz, struct nc_err *err)
{
    return join(out, outsz, state, "identity/cli", err);
}

int nc_links_cli_id(const char *td, uid_t uid, struct nc_spiffe_id *out, struct nc_err *err)
{
    char sa[32];
    snprintf(sa, sizeof(sa), "uid-%u", (unsigned)uid);
    return nc_spiffe_id_workload(td, "cli", sa, out, err);
}

/* The CLI's files are shared by every server of the state directory (several sessions may
 * run at once) and read by every CLI process.  An advisory lock keeps a writer's key and
 * certificate together: writers hold it exclusively, readers shared, so nobody ever pairs one
 * server's new key with another server's certificate. */
static int lock_cli(const char *lock, int how, struct nc_err *err)
{
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return nc_err_set(err, errno, "%s: %s", lock, strerror(errno));
    while (flock(fd, how) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return nc_err_set(err, e, "%s: %s", lock, strerror(e));
        }
    }
    return fd;
}

int nc_links_server_refresh(struct nc_links_server *s, struct nc_err *err)
{
    struct nc_issue_opts opts = {0};
    if (s->svid == NULL || time(NULL) >= nc_svid_renew_at(s->svid)) {
        struct nc_svid *n = nc_ca_issue(s->ca, &s->self, &opts, err);
        if (n == NULL)
            return -1; /* the current SVID stays in use */
        if ((s->ctx != NULL && nc_mtls_ctx_set_svid(s->ctx, n, NULL, err) < 0) ||
            (s->ctl != NULL && nc_mtls_ctx_set_svid(s->ctl, n, NULL, err) < 0)) {
            nc_svid_free(n);
            return -1;
        }
        nc_svid_free(s->svid);
        s->svid = n;
    }
    if (s->bridge_dir[0] != '\0' &&
        nc_ca_ensure_svid(s->ca, &s->bridge, &opts, s->bridge_dir, err) < 0)
        return -1;
    int lk = lock_cli(s->cli_lock, LOCK_EX, err);
    if (lk < 0)
        return -1;
    int rc = nc_ca_ensure_svid(s->ca, &s->cli, &opts, s->cli_dir, err);
    close(lk);
    return rc < 0 ? -1 : 0;
}

struct nc_links_server *nc_links_server_new(const char *state, const char *service,
                                            struct nc_audit *audit, struct nc_err *err)
{
    struct nc_links_server *s = calloc(1, sizeof(*s));
    struct nc_spiffe_policy *peers = NULL;
    char td[NC_SPIFFE_TD_MAX + 1], idir[4200];
    if (s == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->audit = audit;
    if (join(idir, sizeof(idir), state, "identity", err) < 0 ||
        nc_links_cli_dir(state, s->cli_dir, sizeof(s->cli_dir), err) < 0 ||
        join(s->cli_lock, sizeof(s->cli_lock), idir, "cli.lock", err) < 0)
        goto fail;
    s->ca = nc_ca_open(state, err);
    if (s->ca == NULL)
        goto fail;
    td_of(nc_ca_trust_domain(s->ca), td, sizeof(td));
    if (nc_spiffe_id_workload(td, "system", service, &s->self, err) < 0 ||
        nc_links_cli_id(td, geteuid(), &s->cli, err) < 0 ||
        nc_identity_mkdir_private(idir, err) < 0 ||
        nc_identity_mkdir_private(s->cli_dir, err) < 0 || nc_links_server_refresh(s, err) < 0)
        goto fail;
    /* Only the CLI of our own user: a bridge's or a pod's SVID, although issued by the same
     * CA, decides on no approval. */
    peers = exactly(&s->cli, 1, err);
    struct nc_mtls_config cfg = {
        .server = true,
        .name = NC_LINK_CONTROL,
        .svid = s->svid,
        .bundle = nc_ca_bundle(s->ca),
        .peers = peers,
        .on_failure = nc_mtls_audit_failure,
        .on_failure_arg = audit,
    };
    if (peers == NULL || nc_mtls_ctx_new(&cfg, &s->ctl, err) < 0)
        goto fail;
    nc_spiffe_policy_free(peers);
    return s;
fail:
    nc_spiffe_policy_free(peers);
    nc_links_server_free(s);
    return NULL;
}

struct nc_mtls_ctx *nc_links_server_bridge(struct nc_links_server *s, const char *pod,
                                           const char *bridge_dir, struct nc_err *err)
{
    struct nc_spiffe_policy *peers = NULL;
    char td[NC_SPIFFE_TD_MAX + 1];
    if (s->ctx != NULL) {
        nc_err_set(err, EEXIST, "the bridge link exists already");
        return NULL;
    }
    if (snprintf(s->bridge_dir, sizeof(s->bridge_dir), "%s", bridge_dir) >=
        (int)sizeof(s->bridge_dir)) {
        s->bridge_dir[0] = '\0';
        nc_err_set(err, ENAMETOOLONG, "directory name too long");
        return NULL;
    }
    td_of(nc_ca_trust_domain(s->ca), td, sizeof(td));
    if (nc_spiffe_id_workload(td, "bridge", pod, &s->bridge, err) < 0 ||
        nc_identity_mkdir_private(s->bridge_dir, err) < 0 ||
        nc_ca_ensure_svid(s->ca, &s->bridge, NULL, s->bridge_dir, err) < 0)
        goto fail;
    /* Only this pod's bridge: another pod's bridge SVID does not open this socket. */
    peers = exactly(&s->bridge, 1, err);
    struct nc_mtls_config cfg = {
        .server = true,
        .name = NC_LINK_BRIDGE,
        .svid = s->svid,
        .bundle = nc_ca_bundle(s->ca),
        .peers = peers,
        .on_failure = nc_mtls_audit_failure,
        .on_failure_arg = s->audit,
    };
    if (peers == NULL || nc_mtls_ctx_new(&cfg, &s->ctx, err) < 0)
        goto fail;
    nc_spiffe_policy_free(peers);
    return s->ctx;
fail:
    nc_spiffe_policy_free(peers);
    s->bridge_dir[0] = '\0'; /* refresh leaves it alone */
    return NULL;
}

struct nc_mtls_ctx *nc_links_server_control_ctx(struct nc_links_server *s)
{
    return s->ctl;
}

void nc_links_server_free(struct nc_links_server *s)
{
    if (s == NULL)
        return;
    nc_mtls_ctx_free(s->ctx);
    nc_mtls_ctx_free(s->ctl);
    nc_svid_free(s->svid);
    nc_ca_free(s->ca);
    free(s);
}

/* A client context from the SVID files in dir that accepts exactly the servers named by
 * their service accounts in namespace "system" of the SVID's trust domain. */
static struct nc_mtls_ctx *client_ctx(const char *dir, const char *link,
                                      const char *const *services, size_t n,
                                      struct nc_err *err)
{
    char cert[4300], key[4300], bundle[4300], td[NC_SPIFFE_TD_MAX + 1];
    struct nc_spiffe_id ids[4];
    struct nc_spiffe_policy *peers = NULL;
    struct nc_mtls_ctx *ctx = NULL;
    struct nc_svid *svid;
    if (n > sizeof(ids) / sizeof(ids[0]) ||
        join(cert, sizeof(cert), dir, NC_SVID_CERT_FILE, err) < 0 ||
        join(key, sizeof(key), dir, NC_SVID_KEY_FILE, err) < 0 ||
        join(bundle, sizeof(bundle), dir, NC_SVID_BUNDLE_FILE, err) < 0)
        return NULL;
    svid = nc_svid_load(cert, key, err);
    if (svid == NULL)
        return NULL;
    td_of(nc_svid_id(svid), td, sizeof(td));
    nc_svid_free(svid);
    for (size_t i = 0; i < n; i++)
        if (nc_spiffe_id_workload(td, "system", services[i], &ids[i], err) < 0)
            return NULL;
    peers = exactly(ids, n, err);
    if (peers == NULL)
        return NULL;
    struct nc_mtls_config cfg = {
        .server = false,
        .name = link,
        .svid_file = cert,
        .key_file = key,
        .bundle_file = bundle,
        .peers = peers,
    };
    (void)nc_mtls_ctx_new(&cfg, &ctx, err);
    nc_spiffe_policy_free(peers);
    return ctx;
}

struct nc_mtls_ctx *nc_links_client_ctx(const char *dir, struct nc_err *err)
{
    static const char *const orch[] = {NC_LINKS_SA_ORCHESTRATOR};
    return client_ctx(dir, NC_LINK_BRIDGE, orch, 1, err);
}

struct nc_mtls_ctx *nc_links_cli_ctx(const char *state, struct nc_err *err)
{
    static const char *const servers[] = {NC_LINKS_SA_ORCHESTRATOR, NC_LINKS_SA_PROXY};
    char dir[4200], lock[4200];
    struct nc_mtls_ctx *ctx;
    if (nc_links_cli_dir(state, dir, sizeof(dir), err) < 0 ||
        join(lock, sizeof(lock), state, "identity/cli.lock", err) < 0)
        return NULL;
    if (access(lock, F_OK) != 0) {
        nc_err_set(err, ENOENT, "no CLI identity in %s: no pod has run with this state directory",
                   dir);
        return NULL;
    }
    int lk = lock_cli(lock, LOCK_SH, err);
    if (lk < 0)
        return NULL;
    /* The files are read (here, once) under the shared lock. */
    ctx = client_ctx(dir, NC_LINK_CONTROL, servers, 2, err);
    close(lk);
    return ctx;
}
