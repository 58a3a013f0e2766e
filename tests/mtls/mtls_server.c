/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: a tiny HTTPS server on the identity library (src/identity/mtls.h), for driving
 * with real clients (openssl s_client, curl).  Every connection must pass the mTLS handshake;
 * then it answers one HTTP request with "hello <peer SPIFFE ID>".  Each refused handshake is
 * appended to the log as one JSON line {reason, peer_id, peer_addr, detail}.  SIGHUP re-reads
 * the SVID files (rotation); the outcome is logged as {"reload": "ok"|"failed", ...}.
 *
 * Usage: mtls_server --listen tcp:127.0.0.1:0|unix:PATH --dir DIR --allow RULE [--allow ...]
 *                    --log FILE [--port-file FILE] */
#include "identity/mtls.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *logf_;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nc_mtls_ctx *ctx;

static void log_json(json_t *o)
{
    pthread_mutex_lock(&log_lock);
    if (o != NULL) {
        json_dumpf(o, logf_, JSON_COMPACT);
        fputc('\n', logf_);
        fflush(logf_);
    }
    pthread_mutex_unlock(&log_lock);
    json_decref(o);
}

static void on_fail(const struct nc_mtls_failure *f, void *arg)
{
    (void)arg;
    log_json(json_pack("{s:s, s:s, s:s, s:s, s:s}", "link", f->link, "reason",
                       nc_svid_reason_name(f->reason), "peer_id", f->peer_id, "peer_addr",
                       f->peer_addr, "detail", f->detail));
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    struct nc_err err = {0};
    struct nc_mtls_conn *c = NULL;
    if (nc_mtls_accept(ctx, fd, 5000, &c, &err) < 0)
        return NULL; /* logged by on_fail */
    char req[4096];
    size_t got = 0;
    while (got < sizeof(req) - 1) {
        ssize_t n = nc_mtls_read(c, req + got, sizeof(req) - 1 - got, 5000, &err);
        if (n <= 0)
            break;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    char body[NC_SPIFFE_ID_MAX + 16], resp[NC_SPIFFE_ID_MAX + 256];
    int bl = snprintf(body, sizeof(body), "hello %s\n", nc_mtls_conn_peer(c)->id);
    int rl = snprintf(resp, sizeof(resp),
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                      "Connection: close\r\n\r\n%s",
                      bl, body);
    if (rl > 0 && (size_t)rl < sizeof(resp))
        (void)nc_mtls_write_all(c, resp, (size_t)rl, 5000, &err);
    (void)nc_mtls_shutdown(c, 1000, &err);
    nc_mtls_conn_free(c);
    return NULL;
}

static void *signals(void *arg)
{
    sigset_t *set = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            struct nc_err err = {0};
            if (nc_mtls_ctx_reload(ctx, &err) == 0)
                log_json(json_pack("{s:s, s:I}", "reload", "ok", "generation",
                                   (json_int_t)nc_mtls_ctx_generation(ctx)));
            else
                log_json(json_pack("{s:s, s:s}", "reload", "failed", "error", err.msg));
        } else {
            exit(0);
        }
    }
    return NULL;
}

static int listen_on(const char *spec, char *port_out, size_t n)
{
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(spec + 5) >= sizeof(a.sun_path))
            return -1;
        memcpy(a.sun_path, spec + 5, strlen(spec + 5) + 1);
        (void)unlink(a.sun_path);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 128) != 0)
            return -1;
        snprintf(port_out, n, "%s", spec + 5);
        return s;
    }
    if (strncmp(spec, "tcp:127.0.0.1:", 14) != 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(spec + 14))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t l = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 128) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &l) != 0)
        return -1;
    snprintf(port_out, n, "%u", (unsigned)ntohs(a.sin_port));
    return s;
}

int main(int argc, char **argv)
{
    const char *listen_spec = NULL, *dir = NULL, *logp = NULL, *portf = NULL;
    struct nc_err err = {0};
    struct nc_spiffe_policy *peers = nc_spiffe_policy_new(&err);
    char c[4096], k[4096], b[4096], port[256];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen_spec = argv[i + 1];
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--log") == 0)
            logp = argv[i + 1];
        else if (strcmp(argv[i], "--port-file") == 0)
            portf = argv[i + 1];
        else if (strcmp(argv[i], "--allow") == 0) {
            if (nc_spiffe_policy_add(peers, argv[i + 1], &err) < 0) {
                fprintf(stderr, "mtls_server: %s\n", err.msg);
                return 2;
            }
        } else {
            fprintf(stderr, "mtls_server: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (listen_spec == NULL || dir == NULL || logp == NULL) {
        fprintf(stderr, "usage: mtls_server --listen SPEC --dir DIR --allow RULE --log FILE\n");
        return 2;
    }
    logf_ = fopen(logp, "ae");
    if (logf_ == NULL)
        return 2;
    snprintf(c, sizeof(c), "%s/svid.pem", dir);
    snprintf(k, sizeof(k), "%s/svid_key.pem", dir);
    snprintf(b, sizeof(b), "%s/bundle.pem", dir);
    if (access(b, F_OK) != 0)
        snprintf(b, sizeof(b), "%s/svid_bundle.pem", dir);
    struct nc_mtls_config cfg = {.server = true, .name = "test-server", .svid_file = c,
                                 .key_file = k, .bundle_file = b, .peers = peers,
                                 .on_failure = on_fail};
    if (nc_mtls_ctx_new(&cfg, &ctx, &err) < 0) {
        fprintf(stderr, "mtls_server: %s\n", err.msg);
        return 1;
    }
    nc_spiffe_policy_free(peers);

    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t st;
    pthread_create(&st, NULL, signals, &set);

    int ls = listen_on(listen_spec, port, sizeof(port));
    if (ls < 0) {
        fprintf(stderr, "mtls_server: cannot listen on %s: %s\n", listen_spec, strerror(errno));
        return 1;
    }
    if (portf != NULL) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", portf);
        FILE *pf = fopen(tmp, "we");
        if (pf == NULL || fprintf(pf, "%s\n", port) < 0 || fclose(pf) != 0 || rename(tmp, portf) != 0)
            return 1;
    }
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return 1;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(t);
    }
}
