/* SPDX-License-Identifier: Apache-2.0 */
/* The egress gateway on loopback, from the client's side: every case connects as a program in
 * the pod would (plain HTTP through the proxy, CONNECT, SOCKS5), to upstream servers on
 * 127.0.0.x named through a test hosts map (DNS is never asked), and checks what the client
 * receives and what the audit callback recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net/gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- upstream servers ----------------------------------------------------------------------- */

/* One upstream: answers an HTTP request with a body naming itself, the request line and the
 * Host field; echoes anything else ("echo:<name>:" then the bytes) until EOF. */
struct upstream {
    const char *name;
    int lfd;
    uint16_t port;
    pthread_t th;
    int accepted; /* connections served (read after join) */
};

static void serve_one(struct upstream *u, int fd)
{
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (n > 4 && strncmp(buf, "GET ", 4) == 0) {
        char body[1024], resp[1400];
        char *eol = strstr(buf, "\r\n");
        const char *host = strstr(buf, "\r\nHost: ");
        char hostv[300] = "";
        if (host != NULL) {
            const char *e = strstr(host + 8, "\r\n");
            snprintf(hostv, sizeof(hostv), "%.*s", (int)(e - host - 8), host + 8);
        }
        if (eol != NULL)
            *eol = '\0';
        int bl = snprintf(body, sizeof(body), "upstream=%s line=%s host=%s conn=%s\n", u->name,
                          buf, hostv, strstr(eol + 2, "Connection: close") ? "close" : "?");
        int rl = snprintf(resp, sizeof(resp),
                          "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                          bl, body);
        (void)!write(fd, resp, (size_t)rl);
        return;
    }
    char hdr[64];
    int hl = snprintf(hdr, sizeof(hdr), "echo:%s:", u->name);
    (void)!write(fd, hdr, (size_t)hl);
    do {
        size_t off = 0;
        while (off < (size_t)n) {
            ssize_t w = write(fd, buf + off, (size_t)n - off);
            if (w <= 0)
                return;
            off += (size_t)w;
        }
        n = recv(fd, buf, sizeof(buf), 0);
    } while (n > 0);
}

static void *upstream_main(void *arg)
{
    struct upstream *u = arg;
    for (;;) {
        int fd = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return NULL; /* the listener was shut down */
        u->accepted++;
        serve_one(u, fd);
        close(fd);
    }
}

static int listen_on(const char *ip, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    socklen_t sl = sizeof(sa);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

static void upstream_start(struct upstream *u, const char *name, int lfd, uint16_t port)
{
    u->name = name;
    u->lfd = lfd;
    u->port = port;
    u->accepted = 0;
    assert_int_equal(pthread_create(&u->th, NULL, upstream_main, u), 0);
}

static void upstream_stop(struct upstream *u)
{
    shutdown(u->lfd, SHUT_RDWR);
    pthread_join(u->th, NULL);
    close(u->lfd);
}

/* ---- the gateway under test ----------------------------------------------------------------- */

#define MAX_EVENTS 64
struct event {
    char proto[16], host[256], addr[64], reason[32], cls[16];
    bool allowed;
    uint16_t port;
};

struct fixture {
    struct upstream good, other; /* 127.0.0.2:P and 127.0.0.3:P (the same port) */
    uint16_t port;
    struct nc_gateway *gw;
    pthread_t gw_th;
    uint16_t gw_port;
    char unix_path[108];
    pthread_mutex_t mu;
    struct event ev[MAX_EVENTS];
    size_t nev;
};

static void on_event(void *arg, const struct nc_net_event *e)
{
    struct fixture *f = arg;
    pthread_mutex_lock(&f->mu);
    if (f->nev < MAX_EVENTS) {
        struct event *x = &f->ev[f->nev++];
        snprintf(x->proto, sizeof(x->proto), "%s", e->proto);
        snprintf(x->host, sizeof(x->host), "%s", e->host);
        snprintf(x->addr, sizeof(x->addr), "%s", e->addr);
        snprintf(x->reason, sizeof(x->reason), "%s", nc_net_reason_name(e->reason));
        snprintf(x->cls, sizeof(x->cls), "%s", nc_addr_class_name(e->addr_class));
        x->allowed = e->allowed;
        x->port = e->port;
    }
    pthread_mutex_unlock(&f->mu);
}

static void *gw_main(void *arg)
{
    struct fixture *f = arg;
    struct nc_err err = {0};
    nc_gateway_run(f->gw, &err);
    return NULL;
}

/* Waits (briefly) for the n-th audit event and returns it. */
static struct event *event_at(struct fixture *f, size_t n)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&f->mu);
        size_t have = f->nev;
        pthread_mutex_unlock(&f->mu);
        if (have > n)
            return &f->ev[n];
        usleep(10000);
    }
    fail_msg("no audit event #%zu", n);
    return NULL;
}

static struct event *last_event(struct fixture *f, size_t before)
{
    return event_at(f, before);
}

static size_t nevents(struct fixture *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->nev;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static const char hosts_text[] = "127.0.0.2 good.test x.a.test a.test evil-a.test\n"
                                 "127.0.0.3 other.test rebind.test\n"
                                 "169.254.169.254 meta.test\n"
                                 "127.0.0.2 mixed.test\n"
                                 "10.0.0.1 mixed.test\n"
                                 "::1 v6.test\n";

static void gateway_start(struct fixture *f, unsigned max_conns, unsigned handshake_ms,
                          const char *const *extra_cidrs)
{
    static const char *const domains[] = {"good.test", "*.a.test", "rebind.test", "meta.test",
                                          "mixed.test", "v6.test", "nowhere.test"};
    struct nc_list l;
    struct nc_net_rules *rules = malloc(sizeof(*rules));
    struct nc_hosts *hosts = malloc(sizeof(*hosts));
    const char *why = NULL;
    char ports[16], cidr[64];
    size_t line;
    struct nc_err err = {0};

    assert_non_null(rules);
    assert_non_null(hosts);
    nc_list_init(&l, NC_LIST_DOMAINS, false);
    for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
        assert_int_equal(nc_list_add(&l, domains[i], &why), 0);
    nc_net_rules_init(rules, &l);
    snprintf(ports, sizeof(ports), "%u", (unsigned)f->port);
    assert_int_equal(nc_net_rules_set_ports(rules, ports, &why), 0);
    /* The good upstream is on loopback: reachable only because its address is allowlisted. */
    snprintf(cidr, sizeof(cidr), "127.0.0.2:%u", (unsigned)f->port);
    assert_int_equal(nc_net_rules_add_cidr(rules, cidr, &why), 0);
    for (size_t i = 0; extra_cidrs != NULL && extra_cidrs[i] != NULL; i++)
        assert_int_equal(nc_net_rules_add_cidr(rules, extra_cidrs[i], &why), 0);
    assert_int_equal(nc_hosts_parse(hosts_text, sizeof(hosts_text) - 1, hosts, &why, &line), 0);

    struct nc_gateway_config cfg = {
        .rules = rules,
        .hosts = hosts,
        .max_conns = max_conns,
        .handshake_ms = handshake_ms,
        .connect_ms = 2000,
        .idle_ms = 5000,
        .audit = on_event,
        .audit_arg = f,
    };
    f->gw = nc_gateway_new(&cfg, &err);
    assert_non_null(f->gw);
    free(rules);
    free(hosts);
    assert_int_equal(nc_gateway_listen_tcp(f->gw, "127.0.0.1", 0, &f->gw_port, &err), 0);
    snprintf(f->unix_path, sizeof(f->unix_path), "/tmp/nc-gw-test-%d.sock", (int)getpid());
    unlink(f->unix_path);
    assert_int_equal(nc_gateway_listen_unix(f->gw, f->unix_path, 0600, &err), 0);
    assert_int_equal(pthread_create(&f->gw_th, NULL, gw_main, f), 0);
}

static void gateway_stop(struct fixture *f)
{
    nc_gateway_stop(f->gw);
    pthread_join(f->gw_th, NULL);
    nc_gateway_free(f->gw);
    f->gw = NULL;
    assert_int_equal(access(f->unix_path, F_OK), -1); /* the socket file is removed */
}

static int setup_with(void **state, unsigned max_conns, unsigned handshake_ms,
                      const char *const *extra)
{
    struct fixture *f = calloc(1, sizeof(*f));
    uint16_t p2;
    int l1 = -1, l2 = -1;
    if (f == NULL)
        return -1;
    pthread_mutex_init(&f->mu, NULL);
    /* Two upstreams on the same port of two loopback addresses, so that only the address
     * rule tells them apart. */
    for (int tries = 0; tries < 20 && l2 < 0; tries++) {
        if (l1 >= 0)
            close(l1);
        l1 = listen_on("127.0.0.2", 0, &f->port);
        if (l1 < 0)
            return -1;
        l2 = listen_on("127.0.0.3", f->port, &p2);
    }
    if (l2 < 0)
        return -1;
    upstream_start(&f->good, "good", l1, f->port);
    upstream_start(&f->other, "other", l2, f->port);
    gateway_start(f, max_conns, handshake_ms, extra);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, 16, 2000, NULL);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->gw != NULL)
        gateway_stop(f);
    upstream_stop(&f->good);
    upstream_stop(&f->other);
    pthread_mutex_destroy(&f->mu);
    free(f);
    return 0;
}

/* ---- clients ------------------------------------------------------------------------------- */

static int dial_gw(struct fixture *f)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(f->gw_port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 5};
    assert_true(fd >= 0);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int dial_unix(struct fixture *f)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 5};
    assert_true(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->unix_path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(int fd, const void *b, size_t n)
{
    const char *p = b;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

/* Reads until EOF (or the 5 s receive timeout) into buf. */
static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

/* Reads exactly n bytes. */
static void read_n(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        assert_true(r > 0);
        p += r;
        n -= (size_t)r;
    }
}

/* Reads an HTTP response head (up to CRLFCRLF). */
static void read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, 1, 0);
        assert_true(r == 1);
        n++;
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    buf[n] = '\0';
}

/* An HTTP request through the gateway; returns the whole response. */
static void http_via(struct fixture *f, const char *req, char *out, size_t cap)
{
    int fd = dial_gw(f);
    send_str(fd, req);
    read_all(fd, out, cap);
    close(fd);
}

static void expect_refusal(struct fixture *f, const char *req, int status, const char *reason)
{
    char out[4096], want[128];
    size_t before = nevents(f);
    http_via(f, req, out, sizeof(out));
    snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("request %.60s: got %.80s, expected %d", req, out, status);
    snprintf(want, sizeof(want), "X-Nucleus-Refusal: %s\r\n", reason);
    if (strstr(out, want) == NULL)
        fail_msg("request %.60s: no '%s' in %s", req, reason, out);
    struct event *e = last_event(f, before);
    assert_false(e->allowed);
    assert_string_equal(e->reason, reason);
}

/* SOCKS5: greeting and request for a domain name; returns the reply code (fd left open in
 * *out_fd when not NULL). */
static int socks_domain(struct fixture *f, const char *name, size_t name_len, uint16_t port,
                        int *out_fd)
{
    uint8_t req[300], rep[10];
    int fd = dial_gw(f);
    send_all(fd, "\x05\x01\x00", 3);
    read_n(fd, rep, 2);
    assert_memory_equal(rep, "\x05\x00", 2);
    req[0] = 5;
    req[1] = 1;
    req[2] = 0;
    req[3] = 3;
    req[4] = (uint8_t)name_len;
    memcpy(req + 5, name, name_len);
    req[5 + name_len] = (uint8_t)(port >> 8);
    req[6 + name_len] = (uint8_t)port;
    send_all(fd, req, 7 + name_len);
    read_n(fd, rep, 10);
    assert_int_equal(rep[0], 5);
    if (out_fd != NULL)
        *out_fd = fd;
    else
        close(fd);
    return rep[1];
}

static int socks_addr(struct fixture *f, int family, const char *text, uint16_t port)
{
    uint8_t req[32], rep[10];
    size_t alen = family == AF_INET ? 4 : 16;
    int fd = dial_gw(f);
    send_all(fd, "\x05\x01\x00", 3);
    read_n(fd, rep, 2);
    req[0] = 5;
    req[1] = 1;
    req[2] = 0;
    req[3] = family == AF_INET ? 1 : 4;
    assert_int_equal(inet_pton(family, text, req + 4), 1);
    req[4 + alen] = (uint8_t)(port >> 8);
    req[5 + alen] = (uint8_t)port;
    send_all(fd, req, 6 + alen);
    read_n(fd, rep, 10);
    close(fd);
    return rep[1];
}

/* ---- allowed destinations ---------------------------------------------------------------- */

static void http_forward_to_allowed_name(void **state)
{
    struct fixture *f = *state;
    char req[256], out[4096], want[256];
    size_t before = nevents(f);
    snprintf(req, sizeof(req),
             "GET http://good.test:%u/x?y=1 HTTP/1.1\r\nHost: good.test:%u\r\n"
             "Proxy-Authorization: Basic c2VjcmV0\r\nConnection: keep-alive\r\n\r\n",
             f->port, f->port);
    http_via(f, req, out, sizeof(out));
    assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
    snprintf(want, sizeof(want), "upstream=good line=GET /x?y=1 HTTP/1.1 host=good.test:%u conn=close",
             f->port);
    if (strstr(out, want) == NULL)
        fail_msg("got %s", out);
    struct event *e = event_at(f, before);
    assert_true(e->allowed);
    assert_string_equal(e->proto, "http");
    assert_string_equal(e->host, "good.test");
    assert_string_equal(e->addr, "127.0.0.2");
    assert_int_equal(e->port, f->port);
}

static void connect_to_allowed_name(void **state)
{
    struct fixture *f = *state;
    char req[128], head[512], buf[64];
    int fd = dial_gw(f);
    size_t before = nevents(f);
    /* Uppercase and the absolute form's trailing dot name the same host. */
    snprintf(req, sizeof(req), "CONNECT GOOD.Test.:%u HTTP/1.1\r\nHost: good.test:%u\r\n\r\nearly",
             f->port, f->port);
    send_str(fd, req);
    read_head(fd, head, sizeof(head));
    assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
    read_n(fd, buf, 15); /* "echo:good:" + "early": bytes sent with the head are kept */
    assert_memory_equal(buf, "echo:good:early", 15);
    send_str(fd, "ping");
    read_n(fd, buf, 4);
    assert_memory_equal(buf, "ping", 4);
    /* half-close: the upstream sees EOF and closes; the client then sees EOF */
    shutdown(fd, SHUT_WR);
    assert_int_equal(read_all(fd, buf, sizeof(buf)), 0);
    close(fd);
    struct event *e = event_at(f, before);
    assert_true(e->allowed);
    assert_string_equal(e->proto, "connect");
    assert_string_equal(e->host, "good.test");
}

static void socks5_to_allowed_name(void **state)
{
    struct fixture *f = *state;
    char buf[64];
    int fd;
    size_t before = nevents(f);
    assert_int_equal(socks_domain(f, "good.test", 9, f->port, &fd), 0);
    send_str(fd, "hi");
    read_n(fd, buf, 12);
    assert_memory_equal(buf, "echo:good:hi", 12);
    close(fd);
    struct event *e = event_at(f, before);
    assert_true(e->allowed);
    assert_string_equal(e->proto, "socks5");
    assert_string_equal(e->addr, "127.0.0.2");
}

static void unix_socket_listener(void **state)
{
    struct fixture *f = *state;
    char req[128], head[512];
    int fd = dial_unix(f);
    snprintf(req, sizeof(req), "CONNECT good.test:%u HTTP/1.1\r\n\r\n", f->port);
    send_str(fd, req);
    read_head(fd, head, sizeof(head));
    assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
    close(fd);
}

static void large_transfer_both_ways(void **state)
{
    struct fixture *f = *state;
    size_t total = (size_t)4 << 20;
    char *out = malloc(total), *in = malloc(total + 16);
    int fd;
    assert_non_null(out);
    assert_non_null(in);
    for (size_t i = 0; i < total; i++)
        out[i] = (char)(i * 7 + i / 4096);
    assert_int_equal(socks_domain(f, "good.test", 9, f->port, &fd), 0);
    /* Write and read concurrently, so neither side's buffers fill up. */
    size_t sent = 0, got = 0;
    while (got < total + 10) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0)};
        assert_true(poll(&p, 1, 5000) > 0);
        if ((p.revents & POLLOUT) && sent < total) {
            ssize_t w = send(fd, out + sent, total - sent > 65536 ? 65536 : total - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                sent += (size_t)w;
        }
        if (p.revents & POLLIN) {
            ssize_t r = recv(fd, in + got, total + 10 - got, MSG_DONTWAIT);
            assert_true(r > 0);
            got += (size_t)r;
        }
    }
    assert_memory_equal(in, "echo:good:", 10);
    assert_memory_equal(in + 10, out, total);
    close(fd);
    free(out);
    free(in);
}

/* ---- refused destinations -------------------------------------------------------------------- */

static void names_outside_the_allowlist(void **state)
{
    struct fixture *f = *state;
    char req[256];
    snprintf(req, sizeof(req), "GET http://other.test:%u/ HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "host_not_allowed");
    snprintf(req, sizeof(req), "CONNECT other.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "host_not_allowed");
    assert_int_equal(socks_domain(f, "other.test", 10, f->port, NULL), 2);
    /* the upstream on 127.0.0.3 was never reached */
    assert_int_equal(f->other.accepted, 0);
}

static void wildcard_edges(void **state)
{
    struct fixture *f = *state;
    char req[256], head[256];
    /* *.a.test admits x.a.test, not a.test itself, not evil-a.test */
    snprintf(req, sizeof(req), "CONNECT x.a.test:%u HTTP/1.1\r\n\r\n", f->port);
    int fd = dial_gw(f);
    send_str(fd, req);
    read_head(fd, head, sizeof(head));
    assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
    close(fd);
    snprintf(req, sizeof(req), "CONNECT a.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "host_not_allowed");
    snprintf(req, sizeof(req), "CONNECT evil-a.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "host_not_allowed");
    assert_int_equal(socks_domain(f, "evil-a.test", 11, f->port, NULL), 2);
    assert_int_equal(socks_domain(f, "a.test", 6, f->port, NULL), 2);
}

static void addresses_given_directly(void **state)
{
    struct fixture *f = *state;
    char req[256];
    size_t before;
    /* 127.0.0.3 serves on the port, but no network entry names it */
    snprintf(req, sizeof(req), "CONNECT 127.0.0.3:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "ip_not_allowed");
    snprintf(req, sizeof(req), "GET http://127.0.0.3:%u/ HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "ip_not_allowed");
    before = nevents(f);
    assert_int_equal(socks_addr(f, AF_INET, "127.0.0.3", f->port), 2);
    assert_string_equal(event_at(f, before)->reason, "ip_not_allowed");
    assert_int_equal(socks_addr(f, AF_INET, "8.8.8.8", 443), 2);
    /* a domain-type SOCKS5 request spelling an address is an address */
    assert_int_equal(socks_domain(f, "127.0.0.3", 9, f->port, NULL), 2);
    /* the allowlisted address itself is reachable, on its port only */
    assert_int_equal(socks_addr(f, AF_INET, "127.0.0.2", f->port), 0);
    assert_int_equal(socks_addr(f, AF_INET, "127.0.0.2", (uint16_t)(f->port + 1)), 2);
    /* other spellings of 127.0.0.3 are not addresses at all */
    snprintf(req, sizeof(req), "CONNECT 2130706435:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 400, "bad_host");
    snprintf(req, sizeof(req), "CONNECT 127.3:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 400, "bad_host");
    snprintf(req, sizeof(req), "CONNECT 0x7f.0.0.3:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 400, "bad_host");
    assert_int_equal(f->other.accepted, 0);
}

static void ipv6_literals(void **state)
{
    struct fixture *f = *state;
    char req[256];
    snprintf(req, sizeof(req), "CONNECT [::1]:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "ip_not_allowed");
    snprintf(req, sizeof(req), "CONNECT [::ffff:127.0.0.2]:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "ip_not_allowed");
    snprintf(req, sizeof(req), "GET http://[::1]:%u/ HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "ip_not_allowed");
    assert_int_equal(socks_addr(f, AF_INET6, "::1", f->port), 2);
    assert_int_equal(socks_addr(f, AF_INET6, "::ffff:127.0.0.2", f->port), 2);
    /* a name with an IPv6 loopback answer is the rebinding rule's */
    snprintf(req, sizeof(req), "CONNECT v6.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "address_refused");
}

static void ports_not_allowed(void **state)
{
    struct fixture *f = *state;
    expect_refusal(f, "CONNECT good.test:22 HTTP/1.1\r\n\r\n", 403, "port_not_allowed");
    expect_refusal(f, "CONNECT good.test:443 HTTP/1.1\r\n\r\n", 403, "port_not_allowed");
    expect_refusal(f, "GET http://good.test/ HTTP/1.1\r\n\r\n", 403, "port_not_allowed");
    assert_int_equal(socks_domain(f, "good.test", 9, 25, NULL), 2);
}

static void host_spelling_tricks(void **state)
{
    struct fixture *f = *state;
    char req[256];
    size_t before;
    /* "evil.test\0.good.test": the suffix matches, a C resolver would read "evil.test" */
    static const char nul[] = "other.test\0.good.test";
    before = nevents(f);
    assert_int_equal(socks_domain(f, nul, sizeof(nul) - 1, f->port, NULL), 2);
    struct event *e = event_at(f, before);
    assert_string_equal(e->reason, "bad_host");
    assert_string_equal(e->host, ""); /* nothing of the raw bytes is echoed */
    {
        int fd = dial_gw(f);
        char out[2048];
        static const char head[] = "CONNECT other.test\0.good.test:443 HTTP/1.1\r\n\r\n";
        send_all(fd, head, sizeof(head) - 1);
        read_all(fd, out, sizeof(out));
        close(fd);
        assert_non_null(strstr(out, "HTTP/1.1 400 "));
    }
    snprintf(req, sizeof(req), "CONNECT good.test..:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 400, "bad_host");
    /* IDN: a U-label and a Cyrillic homograph of "good" are refused, never mapped */
    snprintf(req, sizeof(req), "CONNECT g\xc3\xb6od.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 400, "bad_request"); /* the head has non-ASCII bytes in its target */
    assert_int_equal(socks_domain(f, "g\xd0\xbe\xd0\xbe" "d.test", 11, f->port, NULL), 2);
    assert_int_equal(socks_domain(f, "good.test\r\n", 11, f->port, NULL), 2);
    assert_int_equal(socks_domain(f, "GOOD.TEST.", 10, f->port, NULL), 0); /* canonical */
    snprintf(req, sizeof(req), "CONNECT good.test:%u HTTP/1.1\r\nHost: other.test:%u\r\n\r\n",
             f->port, f->port);
    expect_refusal(f, req, 400, "bad_request");
    snprintf(req, sizeof(req), "GET http://good.test:%u/ HTTP/1.1\r\nHost: other.test\r\n\r\n",
             f->port);
    expect_refusal(f, req, 400, "bad_request");
    snprintf(req, sizeof(req), "GET http://x@good.test:%u/ HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 400, "bad_host");
    assert_int_equal(f->other.accepted, 0);
}

static void rebinding_to_private_addresses(void **state)
{
    struct fixture *f = *state;
    char req[256];
    struct event *e;
    size_t before;
    /* rebind.test is allowlisted by name but resolves to 127.0.0.3 (a server listens there) */
    before = nevents(f);
    snprintf(req, sizeof(req), "CONNECT rebind.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "address_refused");
    e = event_at(f, before);
    assert_string_equal(e->addr, "127.0.0.3");
    assert_string_equal(e->cls, "loopback");
    assert_int_equal(socks_domain(f, "rebind.test", 11, f->port, NULL), 2);
    snprintf(req, sizeof(req), "GET http://rebind.test:%u/ HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "address_refused");
    /* instance metadata */
    before = nevents(f);
    snprintf(req, sizeof(req), "GET http://meta.test:%u/latest/meta-data/ HTTP/1.1\r\n\r\n",
             f->port);
    expect_refusal(f, req, 403, "address_refused");
    assert_string_equal(event_at(f, before)->cls, "metadata");
    /* one bad answer among good ones refuses the name */
    before = nevents(f);
    snprintf(req, sizeof(req), "CONNECT mixed.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 403, "address_refused");
    assert_string_equal(event_at(f, before)->addr, "10.0.0.1");
    assert_int_equal(f->other.accepted, 0);
}

static void rebinding_allowed_by_address(void **state)
{
    struct fixture *f = *state;
    char req[256], head[256], buf[32], cidr[64];
    gateway_stop(f);
    snprintf(cidr, sizeof(cidr), "127.0.0.3/32:%u", f->port);
    const char *extra[] = {cidr, NULL};
    gateway_start(f, 16, 2000, extra);
    snprintf(req, sizeof(req), "CONNECT rebind.test:%u HTTP/1.1\r\n\r\n", f->port);
    int fd = dial_gw(f);
    send_str(fd, req);
    read_head(fd, head, sizeof(head));
    assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
    send_str(fd, "x");
    read_n(fd, buf, 12);
    assert_memory_equal(buf, "echo:other:x", 12);
    close(fd);
}

static void unresolvable_name(void **state)
{
    struct fixture *f = *state;
    char req[256];
    /* allowlisted but absent from the hosts map: DNS is not asked, the name has no address */
    snprintf(req, sizeof(req), "CONNECT nowhere.test:%u HTTP/1.1\r\n\r\n", f->port);
    expect_refusal(f, req, 502, "resolve_failed");
    assert_int_equal(socks_domain(f, "nowhere.test", 12, f->port, NULL), 4);
}

static void malformed_requests(void **state)
{
    struct fixture *f = *state;
    char out[4096];
    uint8_t rep[10];
    int fd;
    expect_refusal(f, "GET /local HTTP/1.1\r\nHost: good.test\r\n\r\n", 400, "bad_request");
    expect_refusal(f, "GET https://good.test/ HTTP/1.1\r\n\r\n", 501, "unsupported");
    expect_refusal(f, "GET http://good.test/ HTTP/1.1\n\n", 400, "bad_request");
    /* a head longer than 32 KiB */
    {
        size_t n = 40000;
        char *big = malloc(n);
        assert_non_null(big);
        memcpy(big, "GET http://good.test/ HTTP/1.1\r\nX: ", 35);
        memset(big + 35, 'a', n - 35);
        fd = dial_gw(f);
        send(fd, big, n, MSG_NOSIGNAL); /* the gateway may close before reading it all */
        read_all(fd, out, sizeof(out));
        close(fd);
        free(big);
        assert_non_null(strstr(out, "HTTP/1.1 400 "));
    }
    /* neither HTTP nor SOCKS5: closed without an answer */
    fd = dial_gw(f);
    send_str(fd, "\x16\x03\x01");
    assert_int_equal(read_all(fd, out, sizeof(out)), 0);
    close(fd);
    /* SOCKS5 without "no authentication": 05 FF */
    fd = dial_gw(f);
    send_all(fd, "\x05\x01\x02", 3);
    read_n(fd, rep, 2);
    assert_memory_equal(rep, "\x05\xff", 2);
    close(fd);
    /* BIND and UDP ASSOCIATE: command not supported */
    for (uint8_t cmd = 2; cmd <= 3; cmd++) {
        fd = dial_gw(f);
        send_all(fd, "\x05\x01\x00", 3);
        read_n(fd, rep, 2);
        uint8_t req[10] = {5, cmd, 0, 1, 127, 0, 0, 2, (uint8_t)(f->port >> 8), (uint8_t)f->port};
        send_all(fd, req, 10);
        read_n(fd, rep, 10);
        assert_int_equal(rep[1], 7);
        close(fd);
    }
}

static void slow_client_times_out(void **state)
{
    struct fixture *f = *state;
    char out[2048];
    size_t before = nevents(f);
    int fd = dial_gw(f);
    send_str(fd, "GET http://good.test/ HTTP/1.1\r\n"); /* and nothing more */
    read_all(fd, out, sizeof(out));
    close(fd);
    assert_non_null(strstr(out, "HTTP/1.1 504 "));
    assert_non_null(strstr(out, "X-Nucleus-Refusal: timeout"));
    assert_string_equal(event_at(f, before)->reason, "timeout");
}

static int setup_slow(void **state)
{
    return setup_with(state, 2, 300, NULL);
}

static void connection_limit(void **state)
{
    struct fixture *f = *state;
    char out[64];
    size_t before = nevents(f);
    /* Two idle connections fill the gateway; a third is closed at once. */
    int a = dial_gw(f), b = dial_gw(f);
    usleep(100000);
    int c = dial_gw(f);
    assert_int_equal(read_all(c, out, sizeof(out)), 0);
    close(c);
    close(a);
    close(b);
    bool busy = false;
    for (size_t i = before; i < before + 3; i++)
        if (strcmp(event_at(f, i)->reason, "too_many_connections") == 0)
            busy = true;
    assert_true(busy);
}

static void stop_with_open_tunnels(void **state)
{
    struct fixture *f = *state;
    char req[128], head[256], buf[8];
    int fd = dial_gw(f);
    snprintf(req, sizeof(req), "CONNECT good.test:%u HTTP/1.1\r\n\r\n", f->port);
    send_str(fd, req);
    read_head(fd, head, sizeof(head));
    assert_int_equal(nc_gateway_active(f->gw), 1);
    gateway_stop(f); /* returns although the tunnel is open: it is shut down */
    assert_int_equal(read_all(fd, buf, sizeof(buf)), 0);
    close(fd);
}

/* The forwarder of a pod: a loopback listener that relays every connection, unread, to the
 * gateway's unix socket.  What a client sees through it is what the gateway says. */
static void forward_mode(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    struct nc_gateway_config cfg = {.forward_to = f->unix_path, .idle_ms = 5000};
    struct nc_gateway *fw = nc_gateway_new(&cfg, &err);
    uint16_t fport = 0, saved = f->gw_port;
    pthread_t th;
    char req[256], head[256], out[2048];
    assert_non_null(fw);
    assert_int_equal(nc_gateway_listen_tcp(fw, "127.0.0.1", 0, &fport, &err), 0);
    struct fixture tmp = {.gw = fw};
    assert_int_equal(pthread_create(&th, NULL, gw_main, &tmp), 0);
    f->gw_port = fport; /* clients dial the forwarder */
    snprintf(req, sizeof(req), "CONNECT good.test:%u HTTP/1.1\r\n\r\n", f->port);
    int fd = dial_gw(f);
    send_str(fd, req);
    read_head(fd, head, sizeof(head));
    assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
    send_str(fd, "via");
    read_n(fd, out, 13);
    assert_memory_equal(out, "echo:good:via", 13);
    close(fd);
    snprintf(req, sizeof(req), "CONNECT other.test:%u HTTP/1.1\r\n\r\n", f->port);
    http_via(f, req, out, sizeof(out));
    assert_non_null(strstr(out, "X-Nucleus-Refusal: host_not_allowed"));
    assert_int_equal(socks_domain(f, "good.test", 9, f->port, NULL), 0);
    f->gw_port = saved;
    nc_gateway_stop(fw);
    pthread_join(th, NULL);
    nc_gateway_free(fw);
    /* a forwarder needs an absolute socket path */
    cfg.forward_to = "relative.sock";
    assert_null(nc_gateway_new(&cfg, &err));
}

/* A listener made elsewhere (the pod makes one inside its network namespace) is served as it
 * is; a descriptor that is not a listening stream socket is refused. */
static void adopted_listener(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    char req[128], head[256];
    uint16_t p = 0, saved = f->gw_port;
    int lfd = listen_on("127.0.0.5", 0, &p);
    int sv[2];
    assert_true(lfd >= 0);
    assert_int_equal(nc_gateway_listen_fd(f->gw, lfd, &err), 0);
    /* the accept loop polls the listeners it had: restart it to pick the new one up */
    nc_gateway_stop(f->gw);
    pthread_join(f->gw_th, NULL);
    assert_int_equal(pthread_create(&f->gw_th, NULL, gw_main, f), 0);
    f->gw_port = p;
    {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        inet_pton(AF_INET, "127.0.0.5", &sa.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        snprintf(req, sizeof(req), "CONNECT good.test:%u HTTP/1.1\r\n\r\n", f->port);
        send_str(fd, req);
        read_head(fd, head, sizeof(head));
        assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
        close(fd);
    }
    f->gw_port = saved;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(nc_gateway_listen_fd(f->gw, sv[0], &err), -EINVAL); /* closed by it */
    close(sv[1]);
}

static void tcp_listeners_only_on_loopback(void **state)
{
    (void)state;
    struct nc_list l;
    struct nc_net_rules *r = malloc(sizeof(*r));
    struct nc_err err = {0};
    assert_non_null(r);
    nc_list_init(&l, NC_LIST_DOMAINS, false);
    nc_net_rules_init(r, &l);
    struct nc_gateway_config cfg = {.rules = r};
    struct nc_gateway *gw = nc_gateway_new(&cfg, &err);
    assert_non_null(gw);
    assert_int_equal(nc_gateway_listen_tcp(gw, "0.0.0.0", 0, NULL, &err), -EINVAL);
    assert_int_equal(nc_gateway_listen_tcp(gw, "10.0.0.1", 0, NULL, &err), -EINVAL);
    assert_int_equal(nc_gateway_listen_tcp(gw, "localhost", 0, NULL, &err), -EINVAL);
    nc_gateway_free(gw);
    free(r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the test servers write to peers that may have gone */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(http_forward_to_allowed_name, setup, teardown),
        cmocka_unit_test_setup_teardown(connect_to_allowed_name, setup, teardown),
        cmocka_unit_test_setup_teardown(socks5_to_allowed_name, setup, teardown),
        cmocka_unit_test_setup_teardown(unix_socket_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(large_transfer_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(names_outside_the_allowlist, setup, teardown),
        cmocka_unit_test_setup_teardown(wildcard_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(addresses_given_directly, setup, teardown),
        cmocka_unit_test_setup_teardown(ipv6_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(ports_not_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(host_spelling_tricks, setup, teardown),
        cmocka_unit_test_setup_teardown(rebinding_to_private_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(rebinding_allowed_by_address, setup, teardown),
        cmocka_unit_test_setup_teardown(unresolvable_name, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(slow_client_times_out, setup_slow, teardown),
        cmocka_unit_test_setup_teardown(connection_limit, setup_slow, teardown),
        cmocka_unit_test_setup_teardown(stop_with_open_tunnels, setup, teardown),
        cmocka_unit_test_setup_teardown(forward_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(adopted_listener, setup, teardown),
        cmocka_unit_test(tcp_listeners_only_on_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
