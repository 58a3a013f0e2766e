/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: our own mTLS client (src/identity/mtls.h).  Connects to tcp:127.0.0.1:PORT or
 * unix:PATH with the SVID in DIR, requires the server's SPIFFE ID to match RULE, sends one
 * HTTP request and prints the response body.  Exit 0 on a 200 response, 1 on a refused or
 * failed connection (the reason on stderr).
 * Usage: mtls_client --connect SPEC --dir DIR --expect RULE */
#include "identity/mtls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void on_fail(const struct nc_mtls_failure *f, void *arg)
{
    (void)arg;
    fprintf(stderr, "refused: %s: %s (server claimed '%s')\n", nc_svid_reason_name(f->reason),
            f->detail, f->peer_id);
}

int main(int argc, char **argv)
{
    const char *spec = NULL, *dir = NULL, *rule = NULL;
    struct nc_err err = {0};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--connect") == 0)
            spec = argv[i + 1];
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--expect") == 0)
            rule = argv[i + 1];
    }
    if (spec == NULL || dir == NULL || rule == NULL)
        return 2;
    struct nc_spiffe_policy *p = nc_spiffe_policy_new(&err);
    if (p == NULL || nc_spiffe_policy_add(p, rule, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    char c[4096], k[4096], b[4096];
    snprintf(c, sizeof(c), "%s/svid.pem", dir);
    snprintf(k, sizeof(k), "%s/svid_key.pem", dir);
    snprintf(b, sizeof(b), "%s/bundle.pem", dir);
    if (access(b, F_OK) != 0)
        snprintf(b, sizeof(b), "%s/svid_bundle.pem", dir);
    struct nc_mtls_config cfg = {.server = false, .name = "test-client", .svid_file = c,
                                 .key_file = k, .bundle_file = b, .peers = p,
                                 .on_failure = on_fail};
    struct nc_mtls_ctx *ctx = NULL;
    if (nc_mtls_ctx_new(&cfg, &ctx, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    nc_spiffe_policy_free(p);
    int fd;
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", spec + 5);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
            return 1;
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)atoi(spec + 14))};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
            return 1;
    }
    struct nc_mtls_conn *conn = NULL;
    int rc = 1;
    if (nc_mtls_connect(ctx, fd, 5000, &conn, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
    } else {
        static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        char resp[8192];
        size_t got = 0;
        if (nc_mtls_write_all(conn, req, sizeof(req) - 1, 5000, &err) == 0) {
            for (;;) {
                ssize_t n = nc_mtls_read(conn, resp + got, sizeof(resp) - 1 - got, 5000, &err);
                if (n <= 0)
                    break;
                got += (size_t)n;
            }
        }
        resp[got] = '\0';
        if (strncmp(resp, "HTTP/1.1 200", 12) == 0) {
            const char *body = strstr(resp, "\r\n\r\n");
            fputs(body != NULL ? body + 4 : "", stdout);
            printf("server: %s\n", nc_mtls_conn_peer(conn)->id);
            rc = 0;
        } else {
            fprintf(stderr, "no response: %s\n", err.msg);
        }
        nc_mtls_conn_free(conn);
    }
    nc_mtls_ctx_free(ctx);
    return rc;
}
