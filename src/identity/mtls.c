/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS (see mtls.h and docs/identity.md).
 *
 * Choices, and what each defends against:
 *   - TLS 1.3 only (min = max = 1.3): no downgrade to 1.2 cipher suites or renegotiation.
 *   - No session tickets, no session cache: every connection runs the full certificate check
 *     against the current bundle and policy; a resumed session would carry an identity
 *     checked under an older bundle (before a rotation removed a root).
 *   - The peer check runs inside the handshake (verify callback at depth 0), so an
 *     unauthorized peer never gets a finished handshake, and the SVID rules are the same
 *     function the CLI and file loaders use (nc_svid_cert_id).  The v1 runtime checked chains
 *     at the TLS layer and the SPIFFE ID in a branch that was never reached (reference §13
 *     item 4); here there is no path to an established connection that skips the ID check.
 *   - Our own BIO sends with MSG_NOSIGNAL: a peer that disconnects must not kill the process
 *     with SIGPIPE, and a library must not change the process's signal dispositions.
 *   - Rotation swaps a reference-counted SSL_CTX under a mutex; each connection holds its own
 *     reference, so established connections keep the certificate they started with. */
#include "mtls.h"

#include "util/cleanup.h"
#include "util/ossl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DETAIL_MAX 256
#define ADDR_MAX 128

struct nc_mtls_ctx {
    bool server;
    char name[64];
    char *svid_file, *key_file, *bundle_file;
    struct nc_spiffe_policy *peers;
    struct nc_spiffe_id td; /* spiffe://<td> peers must belong to */
    nc_mtls_failure_fn on_failure;
    void *on_failure_arg;

    pthread_mutex_t lock; /* guards the four below */
    SSL_CTX *ssl;
    struct nc_svid *svid;
    struct nc_bundle *bundle; /* our copy of the bundle in force */
    uint64_t generation;
};

struct nc_mtls_conn {
    int fd;
    SSL *ssl;
    struct nc_spiffe_id peer;
};

/* Per-handshake state, reached from the verify callback through SSL ex_data. */
struct hs {
    const struct nc_mtls_ctx *ctx;
    enum nc_svid_reason reason;
    char detail[DETAIL_MAX];
    struct nc_spiffe_id claimed;
    struct nc_spiffe_id verified;
    bool ok;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int hs_index = -1;
static BIO_METHOD *sock_method;

/* ---- a socket BIO that never raises SIGPIPE ------------------------------------------------ */

static int bsock_write(BIO *b, const char *buf, int n)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    ssize_t r;
    BIO_clear_retry_flags(b);
    do
        r = send(fd, buf, (size_t)n, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(b);
        return -1;
    }
    return (int)r;
}

static int bsock_read(BIO *b, char *buf, int n)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    ssize_t r;
    BIO_clear_retry_flags(b);
    do
        r = recv(fd, buf, (size_t)n, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(b);
        return -1;
    }
    return (int)r;
}

static long bsock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        return 0;
    }
}

static int bsock_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void init_once(void)
{
    hs_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    sock_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nucleus socket");
    if (sock_method != NULL &&
        (BIO_meth_set_write(sock_method, bsock_write) != 1 ||
         BIO_meth_set_read(sock_method, bsock_read) != 1 ||
         BIO_meth_set_ctrl(sock_method, bsock_ctrl) != 1 ||
         BIO_meth_set_create(sock_method, bsock_create) != 1)) {
        BIO_meth_free(sock_method);
        sock_method = NULL;
    }
}

/* ---- time --------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to become readable/writable until deadline (-1: forever).  0 ready, -1 timeout
 * (errno ETIMEDOUT) or error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int t = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            t = left > 1000000 ? 1000000 : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, t);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r > 0)
            return 0;
    }
}

static int64_t deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* ---- the peer check ------------------------------------------------------------------------ */

static void set_reason(struct hs *h, enum nc_svid_reason r, const char *detail)
{
    if (h->reason != NC_SVID_OK)
        return; /* the first reason is the one that matters */
    h->reason = r;
    /* Truncation of a long detail is acceptable; the precision bounds it explicitly. */
    snprintf(h->detail, sizeof(h->detail), "%.*s", (int)sizeof(h->detail) - 1, detail);
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct hs *h = ssl != NULL ? SSL_get_ex_data(ssl, hs_index) : NULL;
    struct nc_err e = {0};
    enum nc_svid_reason why = NC_SVID_OK;
    char buf[DETAIL_MAX];

    if (h == NULL)
        return 0; /* cannot happen; fail closed */
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    if (h->claimed.len == 0)
        nc_svid_cert_claimed_id(leaf, &h->claimed);
    h->ok = false;
    if (!preverify_ok) {
        int xe = X509_STORE_CTX_get_error(xs);
        snprintf(buf, sizeof(buf), "certificate at depth %d: %s",
                 X509_STORE_CTX_get_error_depth(xs), X509_verify_cert_error_string(xe));
        set_reason(h, nc_svid_reason_from_x509(xe), buf);
        return 0;
    }
    if (X509_STORE_CTX_get_error_depth(xs) != 0)
        return 1; /* CA certificates: path validation has judged them */

    /* The leaf, after a good path: the SVID rules, the trust domain, the policy. */
    X509 *cur = X509_STORE_CTX_get_current_cert(xs);
    if (nc_svid_cert_id(cur, &h->verified, &why, &e) < 0) {
        set_reason(h, why, e.msg);
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (!nc_spiffe_id_same_trust_domain(&h->verified, &h->ctx->td)) {
        snprintf(buf, sizeof(buf), "peer is in another trust domain than %.200s", h->ctx->td.id);
        set_reason(h, NC_SVID_WRONG_TRUST_DOMAIN, buf);
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (!nc_spiffe_policy_allows(h->ctx->peers, &h->verified)) {
        set_reason(h, NC_SVID_UNAUTHORIZED, "no rule of this link allows the peer's SPIFFE ID");
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    h->ok = true;
    return 1;
}

/* ---- contexts ------------------------------------------------------------------------------ */

static SSL_CTX *build_ssl(bool server, struct nc_svid *svid, const struct nc_bundle *bundle,
                          struct nc_err *err)
{
    char eb[256];
    SSL_CTX *s = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (s == NULL) {
        nc_err_set(err, ENOMEM, "SSL_CTX_new: %s", nc_ssl_errstr(eb, sizeof(eb)));
        return NULL;
    }
    X509_STORE *st = nc_bundle_store(bundle, err);
    int ok = st != NULL && SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) == 1 &&
             SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) == 1;
    if (ok) {
        SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
                                   SSL_OP_NO_RENEGOTIATION);
        SSL_CTX_set_num_tickets(s, 0);
        SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_cert_store(s, st); /* owns it now */
        st = NULL;
        /* Peer must send a certificate (servers: FAIL_IF_NO_PEER_CERT; a TLS 1.3 server
         * always sends one outside PSK, which is off). */
        SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
        /* The peer's EKU, when present, must allow its role. */
        ok = SSL_CTX_set_purpose(s, server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER) ==
                 1 &&
             SSL_CTX_use_certificate(s, nc_svid_leaf(svid)) == 1 &&
             SSL_CTX_use_PrivateKey(s, nc_svid_key(svid)) == 1 && SSL_CTX_check_private_key(s) == 1;
    }
    STACK_OF(X509) *inter = nc_svid_intermediates(svid);
    for (int i = 0; ok && i < sk_X509_num(inter); i++)
        ok = SSL_CTX_add1_chain_cert(s, sk_X509_value(inter, i)) == 1;
    X509_STORE_free(st);
    if (!ok) {
        nc_err_set(err, EINVAL, "cannot set up TLS: %s", nc_ssl_errstr(eb, sizeof(eb)));
        SSL_CTX_free(s);
        return NULL;
    }
    return s;
}

/* Checks a candidate identity: the SVID verifies against the bundle (so our peers, who hold
 * the same bundle, will accept it) and it is valid now.  (Our own trust domain may differ
 * from the one our peers must belong to: the link's trust domain constrains peers only.) */
static int check_identity(const struct nc_mtls_ctx *ctx, struct nc_svid *svid,
                          const struct nc_bundle *bundle, struct nc_err *err)
{
    struct nc_spiffe_id id;
    struct nc_err e2 = {0};
    (void)ctx;
    if (nc_svid_verify_chain(nc_svid_leaf(svid), nc_svid_intermediates(svid), bundle,
                             NC_SVID_ROLE_ANY, 0, &id, NULL, &e2) < 0)
        return nc_err_set(err, EINVAL, "our SVID does not verify against the bundle: %s",
                          e2.msg);
    return 0;
}

/* Loads, checks and installs an identity; on any failure the current one stays. */
static int install(struct nc_mtls_ctx *ctx, struct nc_svid *svid, const struct nc_bundle *bundle,
                   struct nc_err *err)
{
    if (check_identity(ctx, svid, bundle, err) < 0)
        return -1;
    struct nc_bundle *copy = nc_bundle_new(err);
    for (size_t i = 0; copy != NULL && i < nc_bundle_count(bundle); i++) {
        if (nc_bundle_add(copy, nc_bundle_cert(bundle, i), err) < 0) {
            nc_bundle_free(copy);
            copy = NULL;
        }
    }
    if (copy == NULL)
        return -1;
    SSL_CTX *s = build_ssl(ctx->server, svid, bundle, err);
    if (s == NULL) {
        nc_bundle_free(copy);
        return -1;
    }
    nc_svid_up_ref(svid);
    pthread_mutex_lock(&ctx->lock);
    SSL_CTX *old = ctx->ssl;
    struct nc_svid *olds = ctx->svid;
    struct nc_bundle *oldb = ctx->bundle;
    bool first = old == NULL;
    ctx->ssl = s;
    ctx->svid = svid;
    ctx->bundle = copy;
    if (!first)
        ctx->generation++;
    pthread_mutex_unlock(&ctx->lock);
    SSL_CTX_free(old); /* connections still using it hold their own reference */
    nc_svid_free(olds);
    nc_bundle_free(oldb);
    return 0;
}

static int reload_files(struct nc_mtls_ctx *ctx, struct nc_err *err)
{
    struct nc_err e2 = {0};
    struct nc_svid *svid = nc_svid_load(ctx->svid_file, ctx->key_file, &e2);
    if (svid == NULL)
        return nc_err_set(err, e2.code, "reload: %s (keeping the current SVID)", e2.msg);
    struct nc_bundle *b = nc_bundle_load(ctx->bundle_file, &e2);
    if (b == NULL) {
        nc_svid_free(svid);
        return nc_err_set(err, e2.code, "reload: %s (keeping the current SVID)", e2.msg);
    }
    int rc = install(ctx, svid, b, &e2);
    nc_svid_free(svid);
    nc_bundle_free(b);
    if (rc < 0)
        return nc_err_set(err, e2.code, "reload: %s (keeping the current SVID)", e2.msg);
    return 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *oom = true;
    return d;
}

int nc_mtls_ctx_new(const struct nc_mtls_config *cfg, struct nc_mtls_ctx **out,
                    struct nc_err *err)
{
    struct nc_err e2 = {0};
    bool oom = false;
    *out = NULL;
    pthread_once(&once, init_once);
    if (hs_index < 0 || sock_method == NULL)
        return nc_err_set(err, ENOMEM, "cannot initialize OpenSSL");
    if (cfg == NULL)
        return nc_err_set(err, EINVAL, "no configuration");
    if (nc_spiffe_policy_count(cfg->peers) == 0)
        return nc_err_set(err, EINVAL, "the link has no peer rule: it would accept nobody");
    if (cfg->svid == NULL && (cfg->svid_file == NULL || cfg->key_file == NULL ||
                              cfg->bundle_file == NULL))
        return nc_err_set(err, EINVAL, "an SVID (files or memory) and a bundle are required");
    if (cfg->svid != NULL && cfg->bundle == NULL)
        return nc_err_set(err, EINVAL, "an in-memory SVID needs an in-memory bundle");

    struct nc_mtls_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->server = cfg->server;
    snprintf(ctx->name, sizeof(ctx->name), "%s", cfg->name != NULL ? cfg->name : "");
    ctx->on_failure = cfg->on_failure;
    ctx->on_failure_arg = cfg->on_failure_arg;
    ctx->svid_file = dup_or_null(cfg->svid_file, &oom);
    ctx->key_file = dup_or_null(cfg->key_file, &oom);
    ctx->bundle_file = dup_or_null(cfg->bundle_file, &oom);
    ctx->peers = nc_spiffe_policy_dup(cfg->peers, &e2);
    if (oom || ctx->peers == NULL) {
        nc_mtls_ctx_free(ctx);
        return nc_err_set(err, ENOMEM, "out of memory");
    }

    /* The identity first (files or memory), then the trust domain it implies. */
    struct nc_svid *svid = cfg->svid;
    struct nc_bundle *loaded = NULL;
    const struct nc_bundle *bundle = cfg->bundle;
    if (svid == NULL) {
        svid = nc_svid_load(cfg->svid_file, cfg->key_file, &e2);
        if (svid == NULL || (loaded = nc_bundle_load(cfg->bundle_file, &e2)) == NULL) {
            nc_svid_free(svid);
            nc_mtls_ctx_free(ctx);
            return nc_err_set(err, e2.code, "%s", e2.msg);
        }
        bundle = loaded;
    } else {
        nc_svid_up_ref(svid);
    }
    int rc = 0;
    if (cfg->trust_domain != NULL) {
        char tdid[NC_SPIFFE_TD_MAX + NC_SPIFFE_SCHEME_LEN + 1];
        int n = snprintf(tdid, sizeof(tdid), "spiffe://%s", cfg->trust_domain);
        if (n < 0 || (size_t)n >= sizeof(tdid) ||
            nc_spiffe_id_parse_str(tdid, NC_SPIFFE_REQUIRE_ROOT, &ctx->td, &e2) < 0)
            rc = nc_err_set(err, EINVAL, "invalid trust domain '%s'", cfg->trust_domain);
    } else {
        nc_spiffe_id_trust_domain_id(nc_svid_id(svid), &ctx->td);
    }
    if (rc == 0 && install(ctx, svid, bundle, &e2) < 0)
        rc = nc_err_set(err, e2.code, "%s", e2.msg);
    nc_svid_free(svid);
    nc_bundle_free(loaded);
    if (rc < 0) {
        nc_mtls_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

void nc_mtls_ctx_free(struct nc_mtls_ctx *ctx)
{
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl);
    nc_svid_free(ctx->svid);
    nc_bundle_free(ctx->bundle);
    nc_spiffe_policy_free(ctx->peers);
    free(ctx->svid_file);
    free(ctx->key_file);
    free(ctx->bundle_file);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

int nc_mtls_ctx_reload(struct nc_mtls_ctx *ctx, struct nc_err *err)
{
    if (ctx->svid_file == NULL)
        return nc_err_set(err, EINVAL, "this context was not built from files");
    return reload_files(ctx, err);
}

int nc_mtls_ctx_set_svid(struct nc_mtls_ctx *ctx, struct nc_svid *svid,
                         const struct nc_bundle *bundle, struct nc_err *err)
{
    struct nc_err e2 = {0};
    struct nc_bundle *cur = NULL;
    if (svid == NULL)
        return nc_err_set(err, EINVAL, "no SVID");
    if (bundle == NULL) {
        /* Keep the bundle in force: a copy of ours, taken under the lock. */
        pthread_mutex_lock(&ctx->lock);
        cur = nc_bundle_new(&e2);
        for (size_t i = 0; cur != NULL && i < nc_bundle_count(ctx->bundle); i++) {
            if (nc_bundle_add(cur, nc_bundle_cert(ctx->bundle, i), &e2) < 0) {
                nc_bundle_free(cur);
                cur = NULL;
            }
        }
        pthread_mutex_unlock(&ctx->lock);
        if (cur == NULL)
            return nc_err_set(err, ENOMEM, "out of memory (keeping the current SVID)");
        bundle = cur;
    }
    int rc = install(ctx, svid, bundle, &e2);
    nc_bundle_free(cur);
    if (rc < 0)
        return nc_err_set(err, e2.code, "%s (keeping the current SVID)", e2.msg);
    return 0;
}

struct nc_svid *nc_mtls_ctx_svid(struct nc_mtls_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    struct nc_svid *s = ctx->svid;
    nc_svid_up_ref(s);
    pthread_mutex_unlock(&ctx->lock);
    return s;
}

uint64_t nc_mtls_ctx_generation(struct nc_mtls_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    uint64_t g = ctx->generation;
    pthread_mutex_unlock(&ctx->lock);
    return g;
}

/* ---- handshakes ---------------------------------------------------------------------------- */

static void peer_addr(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof(ss);
    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        char ip[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)) != NULL)
            snprintf(out, n, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        char ip[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip)) != NULL)
            snprintf(out, n, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else if (ss.ss_family == AF_UNIX) {
        /* The peer's unix socket path is usually empty; the kernel's credentials say who. */
        struct ucred cr;
        socklen_t cl = sizeof(cr);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
            snprintf(out, n, "unix pid=%ld uid=%u", (long)cr.pid, (unsigned)cr.uid);
        else
            snprintf(out, n, "unix");
    }
}

/* Classifies a failed handshake that the verify callback did not explain. */
static void classify(struct hs *h, SSL *ssl, int sslerr, unsigned long e)
{
    char buf[DETAIL_MAX];
    int r = ERR_GET_REASON(e);
    if (h->reason != NC_SVID_OK)
        return;
    if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL) {
        switch (r) {
        case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
            set_reason(h, NC_SVID_NO_CERT, "the peer sent no certificate");
            return;
        case SSL_R_HTTP_REQUEST:
        case SSL_R_HTTPS_PROXY_REQUEST:
            set_reason(h, NC_SVID_PROTOCOL, "plaintext HTTP on a TLS port");
            return;
        case SSL_R_UNSUPPORTED_PROTOCOL:
        case SSL_R_NO_PROTOCOLS_AVAILABLE:
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
            set_reason(h, NC_SVID_PROTOCOL, "the peer does not speak TLS 1.3");
            return;
        case SSL_R_WRONG_VERSION_NUMBER:
        case SSL_R_PACKET_LENGTH_TOO_LONG:
        case SSL_R_RECORD_LENGTH_MISMATCH:
            set_reason(h, NC_SVID_PROTOCOL, "not a TLS record (plaintext?)");
            return;
        default:
            break;
        }
        snprintf(buf, sizeof(buf), "TLS handshake failed: %s", ERR_reason_error_string(e));
        set_reason(h, NC_SVID_PROTOCOL, buf);
        return;
    }
    if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_ZERO_RETURN) {
        set_reason(h, NC_SVID_PROTOCOL, "the peer closed the connection during the handshake");
        return;
    }
    (void)ssl;
    set_reason(h, NC_SVID_PROTOCOL, "TLS handshake failed");
}

static int handshake(struct nc_mtls_ctx *ctx, int fd, int timeout_ms, struct nc_mtls_conn **out,
                     struct nc_err *err)
{
    struct hs *h = NULL;
    SSL *ssl = NULL;
    char addr[ADDR_MAX];
    int64_t deadline = deadline_of(timeout_ms);
    *out = NULL;

    h = calloc(1, sizeof(*h));
    struct nc_mtls_conn *c = calloc(1, sizeof(*c));
    if (h == NULL || c == NULL) {
        free(h);
        free(c);
        close(fd);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    h->ctx = ctx;
    c->fd = fd;

    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int e = errno;
        free(h);
        free(c);
        close(fd);
        return nc_err_set(err, e, "fcntl: %s", strerror(e));
    }

    pthread_mutex_lock(&ctx->lock);
    ssl = SSL_new(ctx->ssl); /* takes its own reference to the current SSL_CTX */
    pthread_mutex_unlock(&ctx->lock);
    BIO *bio = BIO_new(sock_method);
    if (ssl == NULL || bio == NULL) {
        SSL_free(ssl);
        BIO_free(bio);
        free(h);
        free(c);
        close(fd);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_ex_data(ssl, hs_index, h);
    if (ctx->server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);

    int rc = 0, sslerr = 0;
    unsigned long e = 0;
    ERR_clear_error();
    for (;;) {
        int r = SSL_do_handshake(ssl);
        if (r == 1)
            break;
        sslerr = SSL_get_error(ssl, r);
        if (sslerr == SSL_ERROR_WANT_READ || sslerr == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(fd, sslerr == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0) {
                set_reason(h, errno == ETIMEDOUT ? NC_SVID_TIMEOUT : NC_SVID_PROTOCOL,
                           errno == ETIMEDOUT ? "the handshake did not finish in time"
                                              : "poll failed");
                rc = -1;
                break;
            }
            continue;
        }
        e = ERR_peek_error();
        rc = -1;
        break;
    }
    if (rc == 0) {
        /* Belt and braces: a finished handshake must have gone through our check. */
        X509 *peer = SSL_get0_peer_certificate(ssl);
        if (peer == NULL || !h->ok || SSL_get_verify_result(ssl) != X509_V_OK ||
            SSL_version(ssl) != TLS1_3_VERSION) {
            set_reason(h, peer == NULL ? NC_SVID_NO_CERT : NC_SVID_PROTOCOL,
                       "handshake finished without a verified peer");
            rc = -1;
        }
    } else {
        classify(h, ssl, sslerr, e);
    }
    ERR_clear_error();
    if (rc < 0) {
        peer_addr(fd, addr, sizeof(addr));
        if (ctx->on_failure != NULL) {
            struct nc_mtls_failure f = {
                .link = ctx->name,
                .reason = h->reason,
                .detail = h->detail,
                .peer_id = h->claimed.len > 0 ? h->claimed.id : "",
                .peer_addr = addr,
            };
            ctx->on_failure(&f, ctx->on_failure_arg);
        }
        int code = h->reason == NC_SVID_TIMEOUT    ? ETIMEDOUT
                   : h->reason == NC_SVID_PROTOCOL ? EPROTO
                                                   : EACCES;
        nc_err_set(err, code, "%s: %s%s%s", nc_svid_reason_name(h->reason), h->detail,
                   h->claimed.len > 0 ? "; peer claimed " : "",
                   h->claimed.len > 0 ? h->claimed.id : "");
        SSL_free(ssl);
        free(h);
        free(c);
        close(fd);
        return -1;
    }
    c->peer = h->verified;
    SSL_set_ex_data(ssl, hs_index, NULL);
    free(h);
    c->ssl = ssl;
    *out = c;
    return 0;
}

int nc_mtls_accept(struct nc_mtls_ctx *ctx, int fd, int timeout_ms, struct nc_mtls_conn **out,
                   struct nc_err *err)
{
    if (!ctx->server) {
        close(fd);
        return nc_err_set(err, EINVAL, "nc_mtls_accept on a client context");
    }
    return handshake(ctx, fd, timeout_ms, out, err);
}

int nc_mtls_connect(struct nc_mtls_ctx *ctx, int fd, int timeout_ms,
                    struct nc_mtls_conn **out, struct nc_err *err)
{
    if (ctx->server) {
        close(fd);
        return nc_err_set(err, EINVAL, "nc_mtls_connect on a server context");
    }
    return handshake(ctx, fd, timeout_ms, out, err);
}

/* ---- data ---------------------------------------------------------------------------------- */

const struct nc_spiffe_id *nc_mtls_conn_peer(const struct nc_mtls_conn *c)
{
    return &c->peer;
}

X509 *nc_mtls_conn_peer_cert(const struct nc_mtls_conn *c)
{
    return SSL_get0_peer_certificate(c->ssl);
}

int nc_mtls_conn_fd(const struct nc_mtls_conn *c)
{
    return c->fd;
}

ssize_t nc_mtls_read(struct nc_mtls_conn *c, void *buf, size_t n, int timeout_ms,
                     struct nc_err *err)
{
    char eb[256];
    int64_t deadline = deadline_of(timeout_ms);
    if (n > INT32_MAX)
        n = INT32_MAX;
    for (;;) {
        size_t got = 0;
        ERR_clear_error();
        int r = SSL_read_ex(c->ssl, buf, n, &got);
        if (r == 1)
            return (ssize_t)got;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0)
                return nc_err_set(err, errno, "read: %s", strerror(errno));
            continue;
        }
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            return errno == 0 || errno == ECONNRESET ? 0 : nc_err_set(err, errno, "read: %s",
                                                                      strerror(errno));
        return nc_err_set(err, EPROTO, "read: %s", nc_ssl_errstr(eb, sizeof(eb)));
    }
}

int nc_mtls_write_all(struct nc_mtls_conn *c, const void *buf, size_t n, int timeout_ms,
                      struct nc_err *err)
{
    char eb[256];
    const char *p = buf;
    int64_t deadline = deadline_of(timeout_ms);
    while (n > 0) {
        size_t done = 0;
        ERR_clear_error();
        int r = SSL_write_ex(c->ssl, p, n, &done);
        if (r == 1) {
            p += done;
            n -= done;
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0)
                return nc_err_set(err, errno, "write: %s", strerror(errno));
            continue;
        }
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            return nc_err_set(err, errno != 0 ? errno : EPIPE, "write: %s",
                              strerror(errno != 0 ? errno : EPIPE));
        return nc_err_set(err, EPROTO, "write: %s", nc_ssl_errstr(eb, sizeof(eb)));
    }
    return 0;
}

int nc_mtls_shutdown(struct nc_mtls_conn *c, int timeout_ms, struct nc_err *err)
{
    int64_t deadline = deadline_of(timeout_ms);
    for (;;) {
        ERR_clear_error();
        int r = SSL_shutdown(c->ssl);
        if (r == 1)
            return 0;
        if (r == 0) {
            /* Our close_notify is out; the peer's is optional for us (we read no more). */
            return 0;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0)
                return nc_err_set(err, errno, "shutdown: %s", strerror(errno));
            continue;
        }
        ERR_clear_error();
        return nc_err_set(err, EPROTO, "shutdown failed");
    }
}

void nc_mtls_conn_free(struct nc_mtls_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}
