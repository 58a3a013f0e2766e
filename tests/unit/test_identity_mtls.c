/* SPDX-License-Identifier: Apache-2.0 */
/* In-process tests of mutual TLS (src/identity/mtls.h) over socketpairs and a unix listener:
 * the accepted identity, authorization and trust-domain refusals from both ends, raw OpenSSL
 * peers that offer TLS 1.2 or no certificate, plaintext, handshake timeouts, the failure
 * callback, failed reloads that keep the current SVID, and rotation under load (client threads
 * with long-lived and fresh connections while both ends rotate: zero failures). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "identity/audit_hook.h"
#include "identity/ca.h"
#include "identity/mtls.h"
#include "../mtls/certgen.h"
#include "rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define TD "mtls.test"
#define SERVER_ID "spiffe://" TD "/ns/pods/sa/proxy"
#define CLIENT_ID "spiffe://" TD "/ns/bridge/sa/cli"

struct fx {
    char dir[64];
    char state[128];
    struct nc_ca *ca;
};

static struct fx *F;

/* The last failure seen by a callback. */
struct seen {
    pthread_mutex_t lock;
    int count;
    enum nc_svid_reason reason;
    char peer_id[NC_SPIFFE_ID_MAX + 1];
    char detail[256];
    char addr[128];
    char link[64];
};

static void on_fail(const struct nc_mtls_failure *f, void *arg)
{
    struct seen *s = arg;
    pthread_mutex_lock(&s->lock);
    s->count++;
    s->reason = f->reason;
    snprintf(s->peer_id, sizeof(s->peer_id), "%s", f->peer_id);
    snprintf(s->detail, sizeof(s->detail), "%s", f->detail);
    snprintf(s->addr, sizeof(s->addr), "%s", f->peer_addr);
    snprintf(s->link, sizeof(s->link), "%s", f->link);
    pthread_mutex_unlock(&s->lock);
}

static int group_setup(void **state)
{
    struct nc_err err = {0};
    F = calloc(1, sizeof(*F));
    assert_non_null(F);
    snprintf(F->dir, sizeof(F->dir), "/tmp/nc-mtlstest-XXXXXX");
    assert_non_null(mkdtemp(F->dir));
    snprintf(F->state, sizeof(F->state), "%s/state", F->dir);
    if (nc_ca_init(F->state, TD, NC_KEY_EC_P256, 2, &err) < 0)
        fail_msg("%s", err.msg);
    F->ca = nc_ca_load(F->state, &err);
    assert_non_null(F->ca);
    *state = F;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nc_ca_free(F->ca);
    if (nc_test_rm_tree(F->dir) != 0)
        return -1;
    free(F);
    return 0;
}

static struct nc_svid *issue(const char *id, unsigned ttl)
{
    struct nc_spiffe_id sid;
    struct nc_err err = {0};
    struct nc_issue_opts o = {.ttl = ttl};
    assert_int_equal(nc_spiffe_id_parse_str(id, 0, &sid, &err), 0);
    struct nc_svid *s = nc_ca_issue(F->ca, &sid, &o, &err);
    if (s == NULL)
        fail_msg("issue %s: %s", id, err.msg);
    return s;
}

static struct nc_spiffe_policy *policy(const char *rule)
{
    struct nc_err err = {0};
    struct nc_spiffe_policy *p = nc_spiffe_policy_new(&err);
    assert_non_null(p);
    assert_int_equal(nc_spiffe_policy_add(p, rule, &err), 0);
    return p;
}

static struct nc_mtls_ctx *ctx_mem(bool server, const char *id, const char *rule,
                                   struct seen *seen)
{
    struct nc_err err = {0};
    struct nc_svid *s = issue(id, 3600);
    struct nc_spiffe_policy *p = policy(rule);
    struct nc_mtls_config cfg = {
        .server = server,
        .name = server ? "test-server" : "test-client",
        .svid = s,
        .bundle = nc_ca_bundle(F->ca),
        .peers = p,
        .on_failure = seen != NULL ? on_fail : NULL,
        .on_failure_arg = seen,
    };
    struct nc_mtls_ctx *c = NULL;
    if (nc_mtls_ctx_new(&cfg, &c, &err) < 0)
        fail_msg("ctx: %s", err.msg);
    nc_svid_free(s);
    nc_spiffe_policy_free(p);
    return c;
}

/* ---- a pair of handshakes over a socketpair ---------------------------------------------- */

struct side {
    struct nc_mtls_ctx *ctx;
    int fd;
    int rc;
    struct nc_err err;
    struct nc_mtls_conn *conn;
};

static void *run_side(void *arg)
{
    struct side *s = arg;
    s->rc = nc_mtls_accept(s->ctx, s->fd, 5000, &s->conn, &s->err);
    return NULL;
}

static void *run_client(void *arg)
{
    struct side *s = arg;
    s->rc = nc_mtls_connect(s->ctx, s->fd, 5000, &s->conn, &s->err);
    return NULL;
}

static void pair(struct side *srv, struct side *cli)
{
    int sv[2];
    pthread_t t;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv->fd = sv[0];
    cli->fd = sv[1];
    assert_int_equal(pthread_create(&t, NULL, run_side, srv), 0);
    run_client(cli);
    pthread_join(t, NULL);
}

static void test_accepts_right_identity(void **state)
{
    (void)state;
    struct nc_err err = {0};
    struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct side srv = {.ctx = ctx_mem(true, SERVER_ID, "spiffe://" TD "/ns/bridge/*", &seen)};
    struct side cli = {.ctx = ctx_mem(false, CLIENT_ID, SERVER_ID, &seen)};
    pair(&srv, &cli);
    if (srv.rc != 0 || cli.rc != 0)
        fail_msg("server: %s / client: %s", srv.err.msg, cli.err.msg);
    assert_string_equal(nc_mtls_conn_peer(srv.conn)->id, CLIENT_ID);
    assert_string_equal(nc_mtls_conn_peer(cli.conn)->id, SERVER_ID);
    assert_non_null(nc_mtls_conn_peer_cert(srv.conn));
    char buf[16];
    assert_int_equal(nc_mtls_write_all(cli.conn, "ping", 4, 1000, &err), 0);
    assert_int_equal(nc_mtls_read(srv.conn, buf, sizeof(buf), 1000, &err), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(nc_mtls_write_all(srv.conn, "pong", 4, 1000, &err), 0);
    assert_int_equal(nc_mtls_read(cli.conn, buf, sizeof(buf), 1000, &err), 4);
    assert_int_equal(nc_mtls_shutdown(cli.conn, 1000, &err), 0);
    assert_int_equal(nc_mtls_read(srv.conn, buf, sizeof(buf), 1000, &err), 0); /* close_notify */
    /* A read with nothing coming times out. */
    assert_true(nc_mtls_read(cli.conn, buf, sizeof(buf), 100, &err) < 0);
    assert_int_equal(err.code, ETIMEDOUT);
    assert_int_equal(seen.count, 0);
    nc_mtls_conn_free(srv.conn);
    nc_mtls_conn_free(cli.conn);
    nc_mtls_ctx_free(srv.ctx);
    nc_mtls_ctx_free(cli.ctx);
}

static void test_ed25519_leaf(void **state)
{
    (void)state;
    struct nc_err err = {0};
    struct nc_spiffe_id sid;
    struct nc_issue_opts o = {.key_type = NC_KEY_ED25519};
    assert_int_equal(nc_spiffe_id_parse_str(SERVER_ID, 0, &sid, &err), 0);
    struct nc_svid *s = nc_ca_issue(F->ca, &sid, &o, &err);
    assert_non_null(s);
    struct nc_spiffe_policy *p = policy("spiffe://" TD "/ns/bridge/*");
    struct nc_mtls_config cfg = {.server = true, .svid = s, .bundle = nc_ca_bundle(F->ca),
                                 .peers = p};
    struct side srv = {0};
    assert_int_equal(nc_mtls_ctx_new(&cfg, &srv.ctx, &err), 0);
    struct side cli = {.ctx = ctx_mem(false, CLIENT_ID, SERVER_ID, NULL)};
    pair(&srv, &cli);
    if (srv.rc != 0 || cli.rc != 0)
        fail_msg("server: %s / client: %s", srv.err.msg, cli.err.msg);
    assert_int_equal(EVP_PKEY_get_id(X509_get0_pubkey(nc_mtls_conn_peer_cert(cli.conn))),
                     EVP_PKEY_ED25519);
    nc_mtls_conn_free(srv.conn);
    nc_mtls_conn_free(cli.conn);
    nc_mtls_ctx_free(srv.ctx);
    nc_mtls_ctx_free(cli.ctx);
    nc_spiffe_policy_free(p);
    nc_svid_free(s);
}

static void test_unauthorized_client(void **state)
{
    (void)state;
    struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    /* The server allows ns/bridge/... only; spiffe://td/ns/bridgeX/sa/cli must not match. */
    struct side srv = {.ctx = ctx_mem(true, SERVER_ID, "spiffe://" TD "/ns/bridge/*", &seen)};
    struct side cli = {.ctx = ctx_mem(false, "spiffe://" TD "/ns/bridgeX/sa/cli", SERVER_ID, NULL)};
    pair(&srv, &cli);
    assert_true(srv.rc < 0);
    assert_int_equal(srv.err.code, EACCES);
    /* TLS 1.3: the client sends its Finished before the server judges its certificate, so
     * the client learns of the refusal on its first read (the server's alert). */
    if (cli.rc == 0) {
        struct nc_err err = {0};
        char buf[8];
        assert_true(nc_mtls_read(cli.conn, buf, sizeof(buf), 2000, &err) < 0);
        nc_mtls_conn_free(cli.conn);
    }
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.reason, NC_SVID_UNAUTHORIZED);
    assert_string_equal(seen.peer_id, "spiffe://" TD "/ns/bridgeX/sa/cli");
    assert_string_equal(seen.link, "test-server");
    assert_non_null(strstr(seen.addr, "unix"));
    nc_mtls_ctx_free(srv.ctx);
    nc_mtls_ctx_free(cli.ctx);
}

/* The ready-made callback writes a verifiable audit record with reason and attempted ID. */
static void test_audit_hook(void **state)
{
    (void)state;
    struct nc_err err = {0};
    char logp[256];
    uint8_t key[NC_AUDIT_KEY_LEN] = {1, 2, 3};
    struct nc_audit *a = NULL;
    snprintf(logp, sizeof(logp), "%s/audit.jsonl", F->dir);
    assert_int_equal(nc_audit_open(logp, key, sizeof(key), 0, &a, &err), 0);
    struct nc_svid *s = issue(SERVER_ID, 600);
    struct nc_spiffe_policy *p = policy("spiffe://" TD "/ns/bridge/*");
    struct nc_mtls_config cfg = {.server = true, .name = "bridge->proxy", .svid = s,
                                 .bundle = nc_ca_bundle(F->ca), .peers = p,
                                 .on_failure = nc_mtls_audit_failure, .on_failure_arg = a};
    struct side srv = {0};
    assert_int_equal(nc_mtls_ctx_new(&cfg, &srv.ctx, &err), 0);
    struct side cli = {.ctx = ctx_mem(false, "spiffe://" TD "/ns/evil/sa/x", SERVER_ID, NULL)};
    pair(&srv, &cli);
    assert_true(srv.rc < 0);
    nc_mtls_conn_free(cli.conn);
    assert_int_equal(nc_audit_close(a, &err), 0);
    assert_int_equal(nc_mtls_audit_errors(), 0);
    struct nc_audit_report rep;
    assert_int_equal(nc_audit_verify_file(logp, key, sizeof(key), 0, &rep, &err), 0);
    FILE *fp = fopen(logp, "re");
    assert_non_null(fp);
    char line[4096];
    bool found = false;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strstr(line, "\"operation\":\"auth.mtls\"") != NULL &&
            strstr(line, "\"principal\":\"spiffe://" TD "/ns/evil/sa/x\"") != NULL &&
            strstr(line, "\"outcome\":\"denied\"") != NULL &&
            strstr(line, "unauthorized") != NULL && strstr(line, "bridge->proxy") != NULL &&
            strstr(line, "\"peer_addr\":\"unix") != NULL)
            found = true;
    }
    fclose(fp);
    assert_true(found);
    nc_mtls_ctx_free(srv.ctx);
    nc_mtls_ctx_free(cli.ctx);
    nc_spiffe_policy_free(p);
    nc_svid_free(s);
}

static void test_client_refuses_server(void **state)
{
    (void)state;
    struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    /* The client expects the proxy; a different workload answers. */
    struct side srv = {.ctx = ctx_mem(true, "spiffe://" TD "/ns/pods/sa/impostor",
                                      "spiffe://" TD "/*", NULL)};
    struct side cli = {.ctx = ctx_mem(false, CLIENT_ID, SERVER_ID, &seen)};
    pair(&srv, &cli);
    assert_true(cli.rc < 0);
    assert_true(srv.rc < 0);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.reason, NC_SVID_UNAUTHORIZED);
    assert_string_equal(seen.peer_id, "spiffe://" TD "/ns/pods/sa/impostor");
    nc_mtls_ctx_free(srv.ctx);
    nc_mtls_ctx_free(cli.ctx);
}

static void test_wrong_trust_domain(void **state)
{
    (void)state;
    struct nc_err err = {0};
    struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    /* A second CA for other.test; the server's bundle holds both roots, its policy even
     * allows the foreign ID: the trust-domain check still refuses it. */
    char st[256];
    snprintf(st, sizeof(st), "%s/other", F->dir);
    assert_int_equal(nc_ca_init(st, "other.test", NC_KEY_EC_P256, 1, &err), 0);
    struct nc_ca *other = nc_ca_load(st, &err);
    assert_non_null(other);
    struct nc_bundle *both = nc_bundle_new(&err);
    assert_int_equal(nc_bundle_add(both, nc_ca_cert(F->ca), &err), 0);
    assert_int_equal(nc_bundle_add(both, nc_ca_cert(other), &err), 0);
    struct nc_spiffe_id oid;
    assert_int_equal(nc_spiffe_id_parse_str("spiffe://other.test/ns/bridge/sa/cli", 0, &oid, &err), 0);
    struct nc_svid *os = nc_ca_issue(other, &oid, NULL, &err);
    assert_non_null(os);
    struct nc_svid *ss = issue(SERVER_ID, 3600);
    struct nc_spiffe_policy *sp = nc_spiffe_policy_new(&err);
    assert_int_equal(nc_spiffe_policy_add(sp, "spiffe://other.test/*", &err), 0);
    assert_int_equal(nc_spiffe_policy_add(sp, "spiffe://" TD "/*", &err), 0);
    struct nc_mtls_config scfg = {.server = true, .name = "s", .svid = ss, .bundle = both,
                                  .peers = sp, .on_failure = on_fail, .on_failure_arg = &seen};
    struct nc_spiffe_policy *cp = policy(SERVER_ID);
    struct nc_mtls_config ccfg = {.server = false, .svid = os, .bundle = both, .peers = cp,
                                  .trust_domain = TD};
    struct side srv = {0}, cli = {0};
    assert_int_equal(nc_mtls_ctx_new(&scfg, &srv.ctx, &err), 0);
    if (nc_mtls_ctx_new(&ccfg, &cli.ctx, &err) < 0)
        fail_msg("%s", err.msg);
    pair(&srv, &cli);
    assert_true(srv.rc < 0);
    nc_mtls_conn_free(cli.conn); /* TLS 1.3: the client may have finished (see above) */
    assert_int_equal(seen.reason, NC_SVID_WRONG_TRUST_DOMAIN);
    assert_string_equal(seen.peer_id, "spiffe://other.test/ns/bridge/sa/cli");
    nc_mtls_ctx_free(srv.ctx);
    nc_mtls_ctx_free(cli.ctx);
    nc_spiffe_policy_free(sp);
    nc_spiffe_policy_free(cp);
    nc_svid_free(ss);
    nc_svid_free(os);
    nc_bundle_free(both);
    nc_ca_free(other);
}

/* ---- raw peers ------------------------------------------------------------------------------ */

struct raw {
    int fd;
    int max_version; /* 0: TLS 1.3 */
    bool with_cert;
    bool plaintext;
    bool silent;
};

static void *run_raw(void *arg)
{
    struct raw *r = arg;
    /* The raw peer may write to a socket the server has closed: SIGPIPE is blocked in this
     * thread only (the library itself must never raise it, so it stays enabled elsewhere). */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    if (r->plaintext) {
        static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        if (send(r->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
            return NULL;
        char b[64];
        while (read(r->fd, b, sizeof(b)) > 0) {
        }
        close(r->fd);
        return NULL;
    }
    if (r->silent) {
        char b[64];
        while (read(r->fd, b, sizeof(b)) > 0) {
        }
        close(r->fd);
        return NULL;
    }
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    if (r->max_version != 0)
        SSL_CTX_set_max_proto_version(c, r->max_version);
    struct nc_svid *s = NULL;
    if (r->with_cert) {
        s = issue(CLIENT_ID, 600);
        SSL_CTX_use_certificate(c, nc_svid_leaf(s));
        SSL_CTX_use_PrivateKey(c, nc_svid_key(s));
    }
    SSL *ssl = SSL_new(c);
    SSL_set_fd(ssl, r->fd);
    (void)SSL_connect(ssl);
    char b[16];
    (void)SSL_read(ssl, b, sizeof(b));
    SSL_free(ssl);
    SSL_CTX_free(c);
    nc_svid_free(s);
    close(r->fd);
    ERR_clear_error();
    return NULL;
}

static void raw_case(struct raw *r, enum nc_svid_reason want, const char *detail_has, int timeout)
{
    struct nc_err err = {0};
    struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct nc_mtls_ctx *ctx = ctx_mem(true, SERVER_ID, "spiffe://" TD "/*", &seen);
    int sv[2];
    pthread_t t;
    struct nc_mtls_conn *conn = NULL;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    r->fd = sv[1];
    assert_int_equal(pthread_create(&t, NULL, run_raw, r), 0);
    int rc = nc_mtls_accept(ctx, sv[0], timeout, &conn, &err);
    if (r->silent)
        shutdown(sv[1], SHUT_RDWR); /* let the silent peer go */
    pthread_join(t, NULL);
    if (rc == 0)
        fail_msg("accepted");
    assert_int_equal(seen.count, 1);
    if (seen.reason != want)
        fail_msg("reason %s (%s), want %s", nc_svid_reason_name(seen.reason), seen.detail,
                 nc_svid_reason_name(want));
    if (detail_has != NULL && strstr(seen.detail, detail_has) == NULL)
        fail_msg("detail '%s' lacks '%s'", seen.detail, detail_has);
    nc_mtls_ctx_free(ctx);
}

static void test_raw_no_client_cert(void **state)
{
    (void)state;
    struct raw r = {.with_cert = false};
    raw_case(&r, NC_SVID_NO_CERT, NULL, 5000);
}

static void test_raw_tls12(void **state)
{
    (void)state;
    struct raw r = {.with_cert = true, .max_version = TLS1_2_VERSION};
    raw_case(&r, NC_SVID_PROTOCOL, "TLS 1.3", 5000);
}

static void test_raw_plaintext(void **state)
{
    (void)state;
    struct raw r = {.plaintext = true};
    raw_case(&r, NC_SVID_PROTOCOL, "plaintext", 5000);
}

static void test_handshake_timeout(void **state)
{
    (void)state;
    struct raw r = {.silent = true};
    raw_case(&r, NC_SVID_TIMEOUT, NULL, 200);
}

static void test_raw_good_client(void **state)
{
    (void)state;
    /* Control for the raw cases: the same raw client with a certificate and TLS 1.3 passes. */
    struct nc_err err = {0};
    struct nc_mtls_ctx *ctx = ctx_mem(true, SERVER_ID, "spiffe://" TD "/*", NULL);
    int sv[2];
    pthread_t t;
    struct nc_mtls_conn *conn = NULL;
    struct raw r = {.with_cert = true};
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    r.fd = sv[1];
    assert_int_equal(pthread_create(&t, NULL, run_raw, &r), 0);
    int rc = nc_mtls_accept(ctx, sv[0], 5000, &conn, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    nc_mtls_conn_free(conn);
    pthread_join(t, NULL);
    nc_mtls_ctx_free(ctx);
}

/* ---- configuration and reload ---------------------------------------------------------------- */

static void test_config_refusals(void **state)
{
    (void)state;
    struct nc_err err = {0};
    struct nc_mtls_ctx *c = NULL;
    struct nc_svid *s = issue(SERVER_ID, 600);
    struct nc_spiffe_policy *empty = nc_spiffe_policy_new(&err);
    struct nc_mtls_config cfg = {.server = true, .svid = s, .bundle = nc_ca_bundle(F->ca),
                                 .peers = empty};
    assert_true(nc_mtls_ctx_new(&cfg, &c, &err) < 0); /* no peer rule */
    struct nc_spiffe_policy *p = policy("spiffe://" TD "/*");
    cfg.peers = p;
    cfg.trust_domain = "Not_A_Trust_Domain";
    assert_true(nc_mtls_ctx_new(&cfg, &c, &err) < 0);
    cfg.trust_domain = NULL;
    cfg.bundle = NULL;
    assert_true(nc_mtls_ctx_new(&cfg, &c, &err) < 0);
    nc_spiffe_policy_free(p);
    nc_spiffe_policy_free(empty);
    nc_svid_free(s);
}

static void write_svid_files(const char *dir, const char *id, unsigned ttl)
{
    struct nc_err err = {0};
    struct nc_svid *s = issue(id, ttl);
    if (nc_svid_write_dir(s, nc_ca_bundle(F->ca), dir, &err) < 0)
        fail_msg("%s", err.msg);
    nc_svid_free(s);
}

static void test_failed_reload_keeps_svid(void **state)
{
    (void)state;
    struct nc_err err = {0};
    char dir[256], c[PATH_MAX], k[PATH_MAX], b[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/reload", F->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    write_svid_files(dir, SERVER_ID, 600);
    snprintf(c, sizeof(c), "%s/svid.pem", dir);
    snprintf(k, sizeof(k), "%s/svid_key.pem", dir);
    snprintf(b, sizeof(b), "%s/bundle.pem", dir);
    struct nc_spiffe_policy *p = policy("spiffe://" TD "/*");
    struct nc_mtls_config cfg = {.server = true, .svid_file = c, .key_file = k,
                                 .bundle_file = b, .peers = p};
    struct nc_mtls_ctx *ctx = NULL;
    if (nc_mtls_ctx_new(&cfg, &ctx, &err) < 0)
        fail_msg("%s", err.msg);
    struct nc_svid *cur = nc_mtls_ctx_svid(ctx);
    X509 *first = nc_svid_leaf(cur);
    X509_up_ref(first);
    nc_svid_free(cur);

    /* 1. A good reload rotates. */
    write_svid_files(dir, SERVER_ID, 600);
    assert_int_equal(nc_mtls_ctx_reload(ctx, &err), 0);
    assert_int_equal(nc_mtls_ctx_generation(ctx), 1);
    cur = nc_mtls_ctx_svid(ctx);
    assert_int_not_equal(X509_cmp(nc_svid_leaf(cur), first), 0);
    X509 *second = nc_svid_leaf(cur);
    X509_up_ref(second);
    nc_svid_free(cur);

    /* 2. A torn update (key replaced, certificate not yet): refused, current kept. */
    EVP_PKEY *other = certgen_key();
    certgen_write_key(k, other);
    EVP_PKEY_free(other);
    assert_true(nc_mtls_ctx_reload(ctx, &err) < 0);
    assert_non_null(strstr(err.msg, "keeping the current SVID"));
    assert_int_equal(nc_mtls_ctx_generation(ctx), 1);
    cur = nc_mtls_ctx_svid(ctx);
    assert_int_equal(X509_cmp(nc_svid_leaf(cur), second), 0);
    nc_svid_free(cur);

    /* 3. Missing files, garbage bundle: refused. */
    write_svid_files(dir, SERVER_ID, 600);
    assert_int_equal(unlink(b), 0);
    assert_true(nc_mtls_ctx_reload(ctx, &err) < 0);
    FILE *fp = fopen(b, "we");
    assert_non_null(fp);
    fputs("garbage\n", fp);
    fclose(fp);
    assert_true(nc_mtls_ctx_reload(ctx, &err) < 0);
    assert_int_equal(nc_mtls_ctx_generation(ctx), 1);

    /* 4. In memory: an SVID from another CA, or another trust domain, is refused. */
    char st[256];
    snprintf(st, sizeof(st), "%s/rogue", F->dir);
    assert_int_equal(nc_ca_init(st, TD, NC_KEY_EC_P256, 1, &err), 0);
    struct nc_ca *rogue = nc_ca_load(st, &err);
    struct nc_spiffe_id sid;
    assert_int_equal(nc_spiffe_id_parse_str(SERVER_ID, 0, &sid, &err), 0);
    struct nc_svid *rs = nc_ca_issue(rogue, &sid, NULL, &err);
    assert_non_null(rs);
    assert_true(nc_mtls_ctx_set_svid(ctx, rs, NULL, &err) < 0);
    assert_int_equal(nc_mtls_ctx_generation(ctx), 1);
    nc_svid_free(rs);
    nc_ca_free(rogue);

    /* 5. A good one in memory, keeping the bundle in force. */
    struct nc_svid *good = issue(SERVER_ID, 600);
    assert_int_equal(nc_mtls_ctx_set_svid(ctx, good, NULL, &err), 0);
    assert_int_equal(nc_mtls_ctx_generation(ctx), 2);
    nc_svid_free(good);

    X509_free(first);
    X509_free(second);
    nc_mtls_ctx_free(ctx);
    nc_spiffe_policy_free(p);
}

/* ---- rotation under load -------------------------------------------------------------------- */

#define CLIENTS 4
#define ROTATIONS 6

struct load {
    char sock[100];
    struct nc_mtls_ctx *srv, *cli;
    atomic_int stop;        /* clients: stop sending */
    atomic_int stop_server; /* server: stop accepting (after every client has finished) */
    atomic_int failures;
    atomic_int requests;
    atomic_int long_requests;
    struct seen seen;
    char last_error[NC_ERR_MSG_MAX];
    pthread_mutex_t elock;
};

static void note_failure(struct load *l, const char *msg)
{
    atomic_fetch_add(&l->failures, 1);
    pthread_mutex_lock(&l->elock);
    snprintf(l->last_error, sizeof(l->last_error), "%s", msg);
    pthread_mutex_unlock(&l->elock);
}

static void *serve_conn(void *arg)
{
    struct nc_mtls_conn *c = arg;
    struct nc_err err = {0};
    char buf[64];
    for (;;) {
        ssize_t n = nc_mtls_read(c, buf, sizeof(buf), 10000, &err);
        if (n <= 0)
            break;
        if (nc_mtls_write_all(c, buf, (size_t)n, 10000, &err) < 0)
            break;
    }
    nc_mtls_conn_free(c);
    return NULL;
}

static void *server_main(void *arg)
{
    struct load *l = arg;
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", l->sock);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 64) != 0)
        abort();
    /* Non-blocking accept loop so the thread can stop. */
    fcntl(ls, F_SETFL, O_NONBLOCK);
    while (!atomic_load(&l->stop_server)) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            usleep(1000);
            continue;
        }
        struct nc_err err = {0};
        struct nc_mtls_conn *c = NULL;
        if (nc_mtls_accept(l->srv, fd, 5000, &c, &err) < 0) {
            note_failure(l, err.msg);
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, serve_conn, c) != 0)
            abort();
        pthread_detach(t);
    }
    close(ls);
    return NULL;
}

static struct nc_mtls_conn *dial(struct load *l)
{
    struct nc_err err = {0};
    struct nc_mtls_conn *c = NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", l->sock);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        note_failure(l, "connect failed");
        return NULL;
    }
    if (nc_mtls_connect(l->cli, fd, 5000, &c, &err) < 0) {
        note_failure(l, err.msg);
        return NULL;
    }
    return c;
}

static bool echo(struct load *l, struct nc_mtls_conn *c, int i)
{
    struct nc_err err = {0};
    char msg[32], back[32];
    int n = snprintf(msg, sizeof(msg), "req-%d", i);
    size_t got = 0;
    if (nc_mtls_write_all(c, msg, (size_t)n, 5000, &err) < 0) {
        note_failure(l, err.msg);
        return false;
    }
    while (got < (size_t)n) {
        ssize_t r = nc_mtls_read(c, back + got, sizeof(back) - got, 5000, &err);
        if (r <= 0) {
            note_failure(l, r == 0 ? "closed" : err.msg);
            return false;
        }
        got += (size_t)r;
    }
    if (memcmp(msg, back, (size_t)n) != 0) {
        note_failure(l, "echo mismatch");
        return false;
    }
    return true;
}

static void *client_main(void *arg)
{
    struct load *l = arg;
    /* One connection opened before any rotation and used throughout ... */
    struct nc_mtls_conn *lived = dial(l);
    int i = 0;
    while (!atomic_load(&l->stop)) {
        if (lived != NULL && echo(l, lived, i))
            atomic_fetch_add(&l->long_requests, 1);
        /* ... and a fresh connection per request. */
        struct nc_mtls_conn *c = dial(l);
        if (c != NULL) {
            if (echo(l, c, i))
                atomic_fetch_add(&l->requests, 1);
            struct nc_err err = {0};
            (void)nc_mtls_shutdown(c, 1000, &err);
            nc_mtls_conn_free(c);
        }
        i++;
    }
    if (lived != NULL) {
        struct nc_err err = {0};
        (void)nc_mtls_shutdown(lived, 1000, &err);
        nc_mtls_conn_free(lived);
    }
    return NULL;
}

static void test_rotation_under_load(void **state)
{
    (void)state;
    struct nc_err err = {0};
    struct load *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    pthread_mutex_init(&l->elock, NULL);
    pthread_mutex_init(&l->seen.lock, NULL);
    char dir[256], c[PATH_MAX], k[PATH_MAX], b[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/load", F->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(l->sock, sizeof(l->sock), "%.80s/s.sock", dir);
    write_svid_files(dir, SERVER_ID, 600);
    snprintf(c, sizeof(c), "%s/svid.pem", dir);
    snprintf(k, sizeof(k), "%s/svid_key.pem", dir);
    snprintf(b, sizeof(b), "%s/bundle.pem", dir);
    struct nc_spiffe_policy *sp = policy("spiffe://" TD "/ns/bridge/*");
    struct nc_mtls_config scfg = {.server = true, .name = "load", .svid_file = c, .key_file = k,
                                  .bundle_file = b, .peers = sp, .on_failure = on_fail,
                                  .on_failure_arg = &l->seen};
    assert_int_equal(nc_mtls_ctx_new(&scfg, &l->srv, &err), 0);
    l->cli = ctx_mem(false, CLIENT_ID, SERVER_ID, NULL);

    pthread_t srv, cl[CLIENTS];
    assert_int_equal(pthread_create(&srv, NULL, server_main, l), 0);
    usleep(50000);
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_create(&cl[i], NULL, client_main, l), 0);

    /* Rotate both ends several times while requests flow: the server from files (as a pod
     * would see its SVID rewritten), the client in memory (as the orchestrator would).  Each
     * rotation waits for traffic to have gone through since the previous one (at most 30 s),
     * so the test means the same on a loaded machine. */
    struct nc_svid *s0 = nc_mtls_ctx_svid(l->srv);
    for (int r = 0; r <= ROTATIONS; r++) {
        int want_fresh = atomic_load(&l->requests) + 2 * CLIENTS;
        int want_long = atomic_load(&l->long_requests) + 2 * CLIENTS;
        for (int w = 0; w < 3000 && (atomic_load(&l->requests) < want_fresh ||
                                     atomic_load(&l->long_requests) < want_long);
             w++)
            usleep(10000);
        if (atomic_load(&l->requests) < want_fresh || atomic_load(&l->long_requests) < want_long)
            fail_msg("no traffic before rotation %d (%d failures, last: %s)", r,
                     atomic_load(&l->failures), l->last_error);
        if (r == ROTATIONS)
            break;
        write_svid_files(dir, SERVER_ID, 600);
        if (nc_mtls_ctx_reload(l->srv, &err) < 0)
            fail_msg("server reload %d: %s", r, err.msg);
        struct nc_svid *ns = issue(CLIENT_ID, 600);
        if (nc_mtls_ctx_set_svid(l->cli, ns, nc_ca_bundle(F->ca), &err) < 0)
            fail_msg("client rotation %d: %s", r, err.msg);
        nc_svid_free(ns);
    }
    atomic_store(&l->stop, 1);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(cl[i], NULL);
    atomic_store(&l->stop_server, 1);
    pthread_join(srv, NULL);

    printf("# %d fresh-connection requests, %d long-lived-connection requests, %d rotations\n",
           atomic_load(&l->requests), atomic_load(&l->long_requests), ROTATIONS);
    if (atomic_load(&l->failures) != 0)
        fail_msg("%d failures, last: %s", atomic_load(&l->failures), l->last_error);
    assert_int_equal(l->seen.count, 0);
    assert_int_equal(nc_mtls_ctx_generation(l->srv), ROTATIONS);
    assert_int_equal(nc_mtls_ctx_generation(l->cli), ROTATIONS);
    /* Traffic went through between every two rotations (checked above). */
    assert_true(atomic_load(&l->requests) >= 2 * CLIENTS * (ROTATIONS + 1));
    /* The server's identity in force is not the one it started with. */
    struct nc_svid *s1 = nc_mtls_ctx_svid(l->srv);
    assert_int_not_equal(X509_cmp(nc_svid_leaf(s0), nc_svid_leaf(s1)), 0);
    nc_svid_free(s0);
    nc_svid_free(s1);
    usleep(100000); /* detached echo threads finish (their peers closed) */
    nc_mtls_ctx_free(l->srv);
    nc_mtls_ctx_free(l->cli);
    nc_spiffe_policy_free(sp);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_right_identity),
        cmocka_unit_test(test_ed25519_leaf),
        cmocka_unit_test(test_unauthorized_client),
        cmocka_unit_test(test_audit_hook),
        cmocka_unit_test(test_client_refuses_server),
        cmocka_unit_test(test_wrong_trust_domain),
        cmocka_unit_test(test_raw_no_client_cert),
        cmocka_unit_test(test_raw_tls12),
        cmocka_unit_test(test_raw_plaintext),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_raw_good_client),
        cmocka_unit_test(test_config_refusals),
        cmocka_unit_test(test_failed_reload_keeps_svid),
        cmocka_unit_test(test_rotation_under_load),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
