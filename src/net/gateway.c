/* SPDX-License-Identifier: Apache-2.0 */
/* The egress gateway (see gateway.h): listeners, one thread per connection, protocol
 * detection, the decision (rules, one resolution, the rebinding rule), the pinned dial and
 * the relay. */
#include "net/gateway.h"

#include "net/http.h"
#include "net/socks5.h"
#include "util/cleanup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS 4
#define RELAY_BUF ((size_t)1 << 20)
#define THREAD_STACK ((size_t)256 << 10)

struct slot {
    bool used;
    int cfd, ufd; /* client and upstream descriptors, -1 when closed */
};

struct nc_gateway {
    struct nc_net_rules rules;
    char forward_to[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* forward mode, or "" */
    struct nc_hosts *hosts; /* NULL: getaddrinfo */
    unsigned max_conns, handshake_ms, connect_ms, idle_ms;
    nc_net_audit_fn audit;
    void *audit_arg;

    int listeners[MAX_LISTENERS];
    size_t nlisteners;
    char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int stop_pipe[2];

    pthread_mutex_t mu; /* guards slots, active, stopping */
    pthread_cond_t cv;
    struct slot *slots;
    unsigned active;
    bool stopping;
    pthread_mutex_t audit_mu;
};

struct conn {
    struct nc_gateway *gw;
    unsigned slot;
    int cfd, ufd;
    uint64_t deadline; /* handshake deadline, monotonic ms */
    char *buf;         /* the client's first bytes (request head, SOCKS messages) */
    size_t len;
    const char *proto;
    char addr[NC_HOST_TEXT_MAX];
    enum nc_addr_class addr_class;
};

/* ---- time and descriptors ------------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int remaining(uint64_t deadline)
{
    uint64_t n = now_ms();
    if (n >= deadline)
        return 0;
    return deadline - n > 60000u ? 60000 : (int)(deadline - n);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

/* Waits until fd is ready for events or the deadline passes: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int ms = remaining(deadline);
        int r;
        if (ms == 0)
            return 0;
        r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            continue; /* re-check the deadline */
        return 1;
    }
}

/* Writes all of buf before the deadline.  0 or -1. */
static int write_all(int fd, const void *buf, size_t n, uint64_t deadline)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline) != 1)
                return -1;
            continue;
        }
        return -1;
    }
    return 0;
}

/* Reads more client bytes into c->buf (capacity cap) before the handshake deadline.
 * Returns bytes read, 0 at EOF, -1 on error or timeout (errno ETIMEDOUT). */
static ssize_t read_more(struct conn *c, size_t cap)
{
    for (;;) {
        ssize_t r;
        if (c->len >= cap) {
            errno = EMSGSIZE;
            return -1;
        }
        r = recv(c->cfd, c->buf + c->len, cap - c->len, 0);
        if (r > 0) {
            c->len += (size_t)r;
            return r;
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        r = wait_fd(c->cfd, POLLIN, c->deadline);
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (r < 0)
            return -1;
    }
}

/* ---- slots ------------------------------------------------------------------------------ */

static void slot_set_upstream(struct conn *c, int fd)
{
    pthread_mutex_lock(&c->gw->mu);
    c->gw->slots[c->slot].ufd = fd;
    if (c->gw->stopping && fd >= 0)
        (void)shutdown(fd, SHUT_RDWR);
    pthread_mutex_unlock(&c->gw->mu);
    c->ufd = fd;
}

static void conn_end(struct conn *c)
{
    struct nc_gateway *gw = c->gw;
    pthread_mutex_lock(&gw->mu);
    gw->slots[c->slot].used = false;
    gw->slots[c->slot].cfd = -1;
    gw->slots[c->slot].ufd = -1;
    if (c->cfd >= 0)
        close(c->cfd);
    if (c->ufd >= 0)
        close(c->ufd);
    free(c->buf);
    free(c);
    gw->active--;
    pthread_cond_broadcast(&gw->cv);
    pthread_mutex_unlock(&gw->mu);
}

/* ---- audit -------------------------------------------------------------------------------- */

static void audit(struct conn *c, enum nc_net_reason reason, const struct nc_host *h,
                  uint16_t port, const char *detail)
{
    struct nc_gateway *gw = c->gw;
    struct nc_net_event ev = {
        .proto = c->proto,
        .allowed = reason == NC_NET_OK,
        .reason = reason,
        .host = h != NULL ? h->text : "",
        .port = port,
        .addr = c->addr,
        .addr_class = c->addr_class,
        .detail = detail,
    };
    if (gw->audit == NULL)
        return;
    pthread_mutex_lock(&gw->audit_mu);
    gw->audit(gw->audit_arg, &ev);
    pthread_mutex_unlock(&gw->audit_mu);
}

/* ---- the decision and the pinned dial -------------------------------------------------- */

static void addr_text(int family, const uint8_t *a, char *out, size_t outsz)
{
    if (inet_ntop(family, a, out, (socklen_t)outsz) == NULL)
        snprintf(out, outsz, "?");
}

/* Resolves a name once: the hosts map when one is configured (DNS is then never asked),
 * getaddrinfo otherwise.  Duplicate addresses are dropped. */
static void resolve(struct nc_gateway *gw, const char *name, struct nc_addrs *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    out->n = 0;
    if (gw->hosts != NULL) {
        nc_hosts_lookup(gw->hosts, name, out);
        return;
    }
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return;
    for (struct addrinfo *ai = res; ai != NULL && out->n < NC_NET_MAX_ADDRS; ai = ai->ai_next) {
        const uint8_t *a;
        int fam = ai->ai_family;
        bool dup = false;
        if (fam == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in))
            a = (const uint8_t *)&((const struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr;
        else if (fam == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6))
            a = (const uint8_t *)&((const struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
        else
            continue;
        for (size_t i = 0; i < out->n; i++)
            if (out->a[i].family == fam &&
                memcmp(out->a[i].addr, a, fam == AF_INET ? 4u : 16u) == 0)
                dup = true;
        if (dup)
            continue;
        out->a[out->n].family = fam;
        memset(out->a[out->n].addr, 0, 16);
        memcpy(out->a[out->n].addr, a, fam == AF_INET ? 4u : 16u);
        out->n++;
    }
    freeaddrinfo(res);
}

/* Connects to one address before the deadline.  Returns the connected (non-blocking) fd or
 * -1. */
static int dial(int family, const uint8_t *a, uint16_t port, uint64_t deadline)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, r, soerr = 0;
    socklen_t el = sizeof(soerr);

    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, a, 4);
        sl = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a, 16);
        sl = sizeof(*s6);
    }
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    do
        r = connect(fd, (struct sockaddr *)&ss, sl);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return fd;
    if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0 || soerr != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The whole decision for (host, port), then the dial.  On NC_NET_OK, c->ufd is connected to
 * the pinned address (c->addr).  On a refusal, c->addr names the refused address if any. */
static enum nc_net_reason decide_and_connect(struct conn *c, const struct nc_host *h,
                                             uint16_t port, const char **detail)
{
    struct nc_gateway *gw = c->gw;
    struct nc_addrs addrs;
    enum nc_net_reason r = nc_net_check_target(&gw->rules, h, port);
    uint64_t deadline;

    *detail = NULL;
    if (r != NC_NET_OK)
        return r;
    if (h->kind == NC_HOST_NAME) {
        resolve(gw, h->text, &addrs);
        if (addrs.n == 0)
            return NC_NET_RESOLVE_FAILED;
        /* The rebinding rule over every answer: a name that resolves to a non-public address
         * anywhere in its answer is refused as a whole, so neither the resolver's order nor
         * a retry can steer the dial to it. */
        for (size_t i = 0; i < addrs.n; i++) {
            enum nc_addr_class cls;
            if (nc_net_check_address(&gw->rules, addrs.a[i].family, addrs.a[i].addr, port,
                                     &cls) != NC_NET_OK) {
                addr_text(addrs.a[i].family, addrs.a[i].addr, c->addr, sizeof(c->addr));
                c->addr_class = cls;
                *detail = nc_addr_class_name(cls);
                return NC_NET_ADDRESS_REFUSED;
            }
        }
    } else {
        addrs.n = 1;
        addrs.a[0].family = h->kind == NC_HOST_IPV4 ? AF_INET : AF_INET6;
        memcpy(addrs.a[0].addr, h->addr, 16);
    }
    /* Pinned: only the addresses of this one resolution are dialled, in order. */
    deadline = now_ms() + gw->connect_ms;
    for (size_t i = 0; i < addrs.n; i++) {
        int fd = dial(addrs.a[i].family, addrs.a[i].addr, port, deadline);
        if (fd >= 0) {
            addr_text(addrs.a[i].family, addrs.a[i].addr, c->addr, sizeof(c->addr));
            c->addr_class = nc_addr_classify(addrs.a[i].family, addrs.a[i].addr);
            slot_set_upstream(c, fd);
            return NC_NET_OK;
        }
    }
    addr_text(addrs.a[0].family, addrs.a[0].addr, c->addr, sizeof(c->addr));
    c->addr_class = nc_addr_classify(addrs.a[0].family, addrs.a[0].addr);
    return remaining(deadline) == 0 ? NC_NET_TIMEOUT : NC_NET_CONNECT_FAILED;
}

/* ---- relay ------------------------------------------------------------------------------ */

struct pipe_dir {
    int from, to;
    int pr, pw; /* a pipe between them: splice(2) moves the bytes without a copy to user space */
    size_t len; /* bytes in the pipe */
    bool eof;   /* from has reached EOF (or failed) */
    bool done;  /* EOF seen and everything written; to has been shut down for writing */
};

static bool again(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Moves bytes both ways until both directions are done, an error, or idle_ms without any
 * progress.  Half-close is passed on: EOF from one side shuts the other side's write end.
 * Both sockets are non-blocking here (set by tunnel) and the pipes too, so no splice ever
 * blocks and one slow direction never starves the other. */
static void relay(struct nc_gateway *gw, struct pipe_dir d[2])
{
    int cfd = d[0].from, ufd = d[1].from;
    uint64_t idle_deadline = now_ms() + gw->idle_ms;

    while (!(d[0].done && d[1].done)) {
        struct pollfd p[2] = {{.fd = cfd}, {.fd = ufd}};
        bool progress = false;
        int r, ms;
        for (int i = 0; i < 2; i++) {
            if (d[i].done)
                continue;
            if (d[i].len == 0 && !d[i].eof)
                p[i].events |= POLLIN; /* d[i].from is p[i].fd */
            if (d[i].len > 0)
                p[1 - i].events |= POLLOUT; /* d[i].to is the other fd */
        }
        for (int i = 0; i < 2; i++)
            if (p[i].events == 0)
                p[i].fd = -1; /* a hangup there is not ours to act on yet: no busy loop */
        ms = remaining(idle_deadline);
        if (ms == 0)
            return;
        r = poll(p, 2, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return;
        for (int i = 0; i < 2; i++) {
            struct pipe_dir *x = &d[i];
            short in_rev = p[i].revents, out_rev = p[1 - i].revents;
            if (x->done)
                continue;
            /* Move what is ready without a poll(2) per chunk: read, then write at once (the
             * receiver is usually writable), up to 8 rounds while both sides keep up; an
             * EAGAIN either way goes back to poll. */
            for (int round = 0; round < 8 && !x->done; round++) {
                bool moved = false;
                if (x->len == 0 && !x->eof && (in_rev & (POLLIN | POLLHUP | POLLERR))) {
                    ssize_t n = splice(x->from, NULL, x->pw, NULL, RELAY_BUF,
                                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                    if (n > 0) {
                        x->len = (size_t)n;
                        progress = moved = true;
                        out_rev |= POLLOUT; /* try the write now; EAGAIN sends us back to poll */
                    } else if (n == 0 || !again()) {
                        x->eof = true;
                        progress = true;
                    }
                }
                if (x->len > 0 && (out_rev & (POLLOUT | POLLERR | POLLHUP))) {
                    ssize_t n = splice(x->pr, NULL, x->to, NULL, x->len,
                                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                    if (n > 0) {
                        x->len -= (size_t)n;
                        progress = true;
                        moved = x->len == 0; /* all written: the sender may have more */
                    } else if (n == 0 || !again()) {
                        return; /* the receiver is gone: nothing more can be delivered */
                    }
                }
                if (x->eof && x->len == 0) {
                    (void)shutdown(x->to, SHUT_WR);
                    x->done = true;
                    progress = true;
                }
                if (!moved)
                    break;
                in_rev |= POLLIN; /* read again; EAGAIN ends the rounds */
            }
        }
        if (progress)
            idle_deadline = now_ms() + gw->idle_ms;
    }
}

static void tunnel(struct conn *c, const char *first, size_t first_len)
{
    uint64_t dl = now_ms() + c->gw->idle_ms;
    int p0[2] = {-1, -1}, p1[2] = {-1, -1};
    struct pipe_dir d[2] = {
        {.from = c->cfd, .to = c->ufd},
        {.from = c->ufd, .to = c->cfd},
    };

    if (first_len > 0 && write_all(c->ufd, first, first_len, dl) < 0)
        return;
    /* No pipe (descriptor limit) or no non-blocking mode: the connection ends here rather
     * than relay with a splice that could block. */
    if (pipe2(p0, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(p1, O_CLOEXEC | O_NONBLOCK) == 0 &&
        set_nonblock(c->cfd) == 0 && set_nonblock(c->ufd) == 0) {
        /* one pipe holds what one splice reads (1 MiB; where the limit refuses that, the 64 KiB
         * default stays and a splice moves what fits) */
        (void)fcntl(p0[1], F_SETPIPE_SZ, (int)RELAY_BUF);
        (void)fcntl(p1[1], F_SETPIPE_SZ, (int)RELAY_BUF);
        d[0].pr = p0[0];
        d[0].pw = p0[1];
        d[1].pr = p1[0];
        d[1].pw = p1[1];
        relay(c->gw, d);
    }
    for (int i = 0; i < 2; i++) {
        if (p0[i] >= 0)
            (void)close(p0[i]);
        if (p1[i] >= 0)
            (void)close(p1[i]);
    }
}

/* ---- HTTP --------------------------------------------------------------------------------- */

static void http_refuse(struct conn *c, enum nc_net_reason r, const struct nc_host *h,
                        uint16_t port, const char *detail)
{
    char what[NC_HOST_NAME_MAX + 16], resp[2048];
    size_t n;
    if (h != NULL && h->text[0] != '\0')
        snprintf(what, sizeof(what), h->kind == NC_HOST_IPV6 ? "[%s]:%u" : "%s:%u", h->text,
                 (unsigned)port);
    n = nc_http_refusal(r, h != NULL && h->text[0] != '\0' ? what : NULL, detail, resp,
                        sizeof(resp));
    audit(c, r, h, port, detail);
    (void)write_all(c->cfd, resp, n, now_ms() + 2000u);
}

/* Scans the bytes b[from..n) that arrived since the last call: returns the head's length
 * once CRLFCRLF is seen, (size_t)-1 on a bare LF or a NUL (the head can never become valid,
 * so the client is answered now rather than at the handshake timeout), 0 to read more.
 * Incremental, so a client sending one byte at a time costs linear time, not quadratic. */
static size_t head_scan(const char *b, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++) {
        if (b[i] == '\0' || (b[i] == '\n' && (i == 0 || b[i - 1] != '\r')))
            return (size_t)-1;
        if (b[i] == '\n' && i >= 3 && b[i - 2] == '\n' && b[i - 3] == '\r')
            return i + 1;
    }
    return 0;
}

static void serve_http(struct conn *c)
{
    struct nc_http_req *req = NULL;
    size_t head = 0;
    const char *why = NULL, *detail = NULL;
    enum nc_net_reason r;

    for (size_t scanned = 0;;) {
        head = head_scan(c->buf, scanned, c->len);
        scanned = c->len;
        if (head > 0 && head != (size_t)-1)
            break;
        if (head == (size_t)-1) {
            http_refuse(c, NC_NET_BAD_REQUEST, NULL, 0, "a bare LF or a NUL in the request head");
            return;
        }
        if (c->len >= NC_HTTP_HEAD_MAX) {
            http_refuse(c, NC_NET_BAD_REQUEST, NULL, 0, "the request head is longer than 32 KiB");
            return;
        }
        if (read_more(c, NC_HTTP_HEAD_MAX) <= 0) {
            if (errno == ETIMEDOUT)
                http_refuse(c, NC_NET_TIMEOUT, NULL, 0, "the request head did not arrive in time");
            else
                audit(c, NC_NET_BAD_REQUEST, NULL, 0, "the client closed before a complete head");
            return;
        }
    }
    req = malloc(sizeof(*req));
    if (req == NULL)
        return;
    r = nc_http_parse(c->buf, head, req, &why);
    c->proto = r == NC_NET_OK && req->kind == NC_HTTP_CONNECT ? "connect" : "http";
    if (r != NC_NET_OK) {
        http_refuse(c, r, r == NC_NET_BAD_HOST ? NULL : &req->host, req->port, why);
        free(req);
        return;
    }
    r = decide_and_connect(c, &req->host, req->port, &detail);
    if (r != NC_NET_OK) {
        http_refuse(c, r, &req->host, req->port, detail);
        free(req);
        return;
    }
    audit(c, NC_NET_OK, &req->host, req->port, NULL);
    if (req->kind == NC_HTTP_CONNECT) {
        static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        if (write_all(c->cfd, ok, sizeof(ok) - 1, now_ms() + c->gw->handshake_ms) == 0)
            tunnel(c, c->buf + head, c->len - head); /* bytes the client sent early */
    } else {
        size_t cap = head + 1024, n;
        char *fwd = malloc(cap);
        if (fwd != NULL) {
            n = nc_http_forward_head(req, fwd, cap);
            if (n > 0 && write_all(c->ufd, fwd, n, now_ms() + c->gw->handshake_ms) == 0) {
                free(fwd);
                fwd = NULL;
                /* Everything after the head (a body, pipelined requests) goes to the same
                 * pinned destination and nowhere else. */
                tunnel(c, c->buf + head, c->len - head);
            }
            free(fwd);
        }
    }
    free(req);
}

/* ---- SOCKS5 ------------------------------------------------------------------------------- */

#define SOCKS_BUF 600u /* a greeting (<= 257) and a request (<= 262) */

static void socks_refuse(struct conn *c, uint8_t code, enum nc_net_reason r,
                         const struct nc_host *h, uint16_t port, const char *detail)
{
    uint8_t rep[10];
    audit(c, r, h, port, detail);
    if (code == 0)
        return;
    nc_socks5_reply(code, rep);
    (void)write_all(c->cfd, rep, sizeof(rep), now_ms() + 2000u);
}

static void serve_socks5(struct conn *c)
{
    struct nc_socks5_req req;
    size_t used = 0, used2 = 0;
    uint8_t reply = 0, rep[10];
    enum nc_net_reason reason = NC_NET_BAD_REQUEST;
    const char *why = NULL, *detail = NULL;
    enum nc_socks5_status st;

    c->proto = "socks5";
    for (;;) {
        st = nc_socks5_greeting((const uint8_t *)c->buf, c->len, &used, &reply, &why);
        if (st != NC_SOCKS5_MORE)
            break;
        if (read_more(c, SOCKS_BUF) <= 0) {
            audit(c, errno == ETIMEDOUT ? NC_NET_TIMEOUT : NC_NET_BAD_REQUEST, NULL, 0,
                  "incomplete SOCKS5 greeting");
            return;
        }
    }
    if (st == NC_SOCKS5_ERROR) {
        if (reply == NC_SOCKS5_NO_ACCEPTABLE) {
            static const uint8_t no[2] = {5, NC_SOCKS5_NO_ACCEPTABLE};
            (void)write_all(c->cfd, no, 2, now_ms() + 2000u);
        }
        audit(c, NC_NET_UNSUPPORTED, NULL, 0, why);
        return;
    }
    {
        static const uint8_t yes[2] = {5, 0};
        if (write_all(c->cfd, yes, 2, c->deadline) < 0)
            return;
    }
    for (;;) {
        st = nc_socks5_request((const uint8_t *)c->buf + used, c->len - used, &used2, &req,
                               &reply, &reason, &why);
        if (st != NC_SOCKS5_MORE)
            break;
        if (read_more(c, SOCKS_BUF) <= 0) {
            audit(c, errno == ETIMEDOUT ? NC_NET_TIMEOUT : NC_NET_BAD_REQUEST, NULL, 0,
                  "incomplete SOCKS5 request");
            return;
        }
    }
    if (st == NC_SOCKS5_ERROR) {
        socks_refuse(c, reply, reason, reason == NC_NET_BAD_HOST ? NULL : &req.host, req.port,
                     why);
        return;
    }
    reason = decide_and_connect(c, &req.host, req.port, &detail);
    if (reason != NC_NET_OK) {
        socks_refuse(c, nc_socks5_code(reason), reason, &req.host, req.port, detail);
        return;
    }
    audit(c, NC_NET_OK, &req.host, req.port, NULL);
    nc_socks5_reply(NC_SOCKS5_SUCCEEDED, rep);
    if (write_all(c->cfd, rep, sizeof(rep), c->deadline) < 0)
        return;
    tunnel(c, c->buf + used + used2, c->len - used - used2);
}

/* ---- connections -------------------------------------------------------------------------- */

/* Forward mode: the connection goes on, unread, to the gateway's unix socket. */
static void serve_forward(struct conn *c)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd, r;
    memcpy(sa.sun_path, c->gw->forward_to, sizeof(sa.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    do
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    while (r < 0 && errno == EINTR);
    if (r < 0 || set_nonblock(fd) < 0) {
        close(fd);
        return;
    }
    slot_set_upstream(c, fd);
    tunnel(c, NULL, 0);
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    c->deadline = now_ms() + c->gw->handshake_ms;
    c->proto = "unknown";
    if (c->gw->forward_to[0] != '\0') {
        if (set_nonblock(c->cfd) == 0)
            serve_forward(c);
        conn_end(c);
        return NULL;
    }
    c->buf = malloc(NC_HTTP_HEAD_MAX);
    if (c->buf != NULL && set_nonblock(c->cfd) == 0) {
        ssize_t r = read_more(c, 1);
        if (r > 0 && (unsigned char)c->buf[0] == 5)
            serve_socks5(c);
        else if (r > 0 && c->buf[0] >= 'A' && c->buf[0] <= 'Z')
            serve_http(c);
        else if (r > 0)
            audit(c, NC_NET_BAD_REQUEST, NULL, 0, "neither HTTP nor SOCKS5");
        else
            audit(c, errno == ETIMEDOUT ? NC_NET_TIMEOUT : NC_NET_BAD_REQUEST, NULL, 0,
                  "no request");
    }
    conn_end(c);
    return NULL;
}

int nc_gateway_serve_fd(struct nc_gateway *gw, int fd, struct nc_err *err)
{
    struct conn *c;
    pthread_attr_t attr;
    pthread_t th;
    unsigned slot = 0;
    int rc;

    pthread_mutex_lock(&gw->mu);
    if (gw->stopping || gw->active >= gw->max_conns) {
        pthread_mutex_unlock(&gw->mu);
        close(fd);
        return nc_err_set(err, EBUSY, "the gateway has too many connections");
    }
    while (gw->slots[slot].used)
        slot++;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        pthread_mutex_unlock(&gw->mu);
        close(fd);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    c->gw = gw;
    c->slot = slot;
    c->cfd = fd;
    c->ufd = -1;
    gw->slots[slot].used = true;
    gw->slots[slot].cfd = fd;
    gw->slots[slot].ufd = -1;
    gw->active++;
    pthread_mutex_unlock(&gw->mu);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    rc = pthread_create(&th, &attr, conn_main, c);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        conn_end(c);
        return nc_err_set(err, rc, "cannot start a connection thread: %s", strerror(rc));
    }
    return 0;
}

/* ---- the gateway -------------------------------------------------------------------------- */

struct nc_gateway *nc_gateway_new(const struct nc_gateway_config *cfg, struct nc_err *err)
{
    struct nc_gateway *gw;
    if (cfg == NULL || (cfg->rules == NULL && cfg->forward_to == NULL)) {
        nc_err_set(err, EINVAL, "gateway: no rules");
        return NULL;
    }
    if (cfg->forward_to != NULL &&
        (cfg->forward_to[0] != '/' ||
         strlen(cfg->forward_to) >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
        nc_err_set(err, EINVAL, "gateway: the forward target must be an absolute socket path "
                                "of at most 107 bytes");
        return NULL;
    }
    gw = calloc(1, sizeof(*gw));
    if (gw == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    gw->stop_pipe[0] = gw->stop_pipe[1] = -1;
    if (cfg->rules != NULL)
        memcpy(&gw->rules, cfg->rules, sizeof(gw->rules));
    if (cfg->forward_to != NULL)
        snprintf(gw->forward_to, sizeof(gw->forward_to), "%s", cfg->forward_to);
    gw->max_conns = cfg->max_conns > 0 ? cfg->max_conns : 256u;
    gw->handshake_ms = cfg->handshake_ms > 0 ? cfg->handshake_ms : 10000u;
    gw->connect_ms = cfg->connect_ms > 0 ? cfg->connect_ms : 10000u;
    gw->idle_ms = cfg->idle_ms > 0 ? cfg->idle_ms : 300000u;
    gw->audit = cfg->audit;
    gw->audit_arg = cfg->audit_arg;
    gw->slots = calloc(gw->max_conns, sizeof(*gw->slots));
    if (cfg->hosts != NULL) {
        gw->hosts = malloc(sizeof(*gw->hosts));
        if (gw->hosts != NULL)
            memcpy(gw->hosts, cfg->hosts, sizeof(*gw->hosts));
    }
    if (gw->slots == NULL || (cfg->hosts != NULL && gw->hosts == NULL) ||
        pipe2(gw->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        nc_err_set(err, errno != 0 ? errno : ENOMEM, "gateway: %s", strerror(errno));
        if (gw->stop_pipe[0] >= 0) {
            close(gw->stop_pipe[0]);
            close(gw->stop_pipe[1]);
        }
        free(gw->slots);
        free(gw->hosts);
        free(gw);
        return NULL;
    }
    pthread_mutex_init(&gw->mu, NULL);
    pthread_mutex_init(&gw->audit_mu, NULL);
    pthread_cond_init(&gw->cv, NULL);
    return gw;
}

static int add_listener(struct nc_gateway *gw, int fd, struct nc_err *err)
{
    if (gw->nlisteners == MAX_LISTENERS) {
        close(fd);
        return nc_err_set(err, EMFILE, "gateway: too many listeners");
    }
    if (listen(fd, 128) < 0 || set_nonblock(fd) < 0) {
        int e = errno;
        close(fd);
        return nc_err_set(err, e, "gateway: listen: %s", strerror(e));
    }
    gw->listeners[gw->nlisteners++] = fd;
    return 0;
}

int nc_gateway_listen_unix(struct nc_gateway *gw, const char *path, mode_t mode,
                           struct nc_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;
    if (strlen(path) >= sizeof(sa.sun_path))
        return nc_err_set(err, ENAMETOOLONG, "gateway: socket path too long");
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nc_err_set(err, errno, "gateway: socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return nc_err_set(err, e, "gateway: cannot bind %s: %s", path, strerror(e));
    }
    if (chmod(path, mode) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return nc_err_set(err, e, "gateway: chmod %s: %s", path, strerror(e));
    }
    if (add_listener(gw, fd, err) < 0) {
        unlink(path);
        return -1;
    }
    snprintf(gw->unix_path, sizeof(gw->unix_path), "%s", path);
    return 0;
}

int nc_gateway_listen_tcp(struct nc_gateway *gw, const char *ip, uint16_t port,
                          uint16_t *bound, struct nc_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct nc_host h;
    int fd, one = 1;

    memset(&ss, 0, sizeof(ss));
    if (nc_host_parse(ip, strlen(ip), true, &h, NULL) < 0 || h.kind == NC_HOST_NAME)
        return nc_err_set(err, EINVAL, "gateway: %s is not an IP address", ip);
    /* Loopback only: a gateway reachable from the network would be an open proxy. */
    if (nc_addr_classify(h.kind == NC_HOST_IPV4 ? AF_INET : AF_INET6, h.addr) !=
        NC_ADDR_LOOPBACK)
        return nc_err_set(err, EINVAL, "gateway: TCP listeners must be on a loopback address");
    if (h.kind == NC_HOST_IPV4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, h.addr, 4);
        sl = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, h.addr, 16);
        sl = sizeof(*s6);
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nc_err_set(err, errno, "gateway: socket: %s", strerror(errno));
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        int e = errno;
        close(fd);
        return nc_err_set(err, e, "gateway: cannot bind %s:%u: %s", ip, (unsigned)port,
                          strerror(e));
    }
    if (bound != NULL) {
        sl = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            *bound = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return add_listener(gw, fd, err);
}

int nc_gateway_listen_fd(struct nc_gateway *gw, int fd, struct nc_err *err)
{
    int type = 0, acc = 0;
    socklen_t l1 = sizeof(type), l2 = sizeof(acc);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l2) < 0 || type != SOCK_STREAM ||
        !acc) {
        close(fd);
        return nc_err_set(err, EINVAL, "gateway: descriptor %d is not a listening stream socket",
                          fd);
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int e = errno;
        close(fd);
        return nc_err_set(err, e, "gateway: fcntl: %s", strerror(e));
    }
    return add_listener(gw, fd, err); /* listen() again only sets the backlog */
}

int nc_gateway_run(struct nc_gateway *gw, struct nc_err *err)
{
    struct pollfd p[MAX_LISTENERS + 1];
    for (;;) {
        int r;
        for (size_t i = 0; i < gw->nlisteners; i++)
            p[i] = (struct pollfd){.fd = gw->listeners[i], .events = POLLIN};
        p[gw->nlisteners] = (struct pollfd){.fd = gw->stop_pipe[0], .events = POLLIN};
        r = poll(p, gw->nlisteners + 1, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return nc_err_set(err, errno, "gateway: poll: %s", strerror(errno));
        if (p[gw->nlisteners].revents != 0) {
            char b[16];
            while (read(gw->stop_pipe[0], b, sizeof(b)) > 0) {
                /* drained: a later nc_gateway_run serves again */
            }
            return 0;
        }
        for (size_t i = 0; i < gw->nlisteners; i++) {
            int fd;
            struct nc_err e2 = {0};
            if ((p[i].revents & POLLIN) == 0)
                continue;
            fd = accept4(gw->listeners[i], NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                continue; /* EAGAIN, ECONNABORTED, EMFILE: the next poll retries */
            if (nc_gateway_serve_fd(gw, fd, &e2) < 0 && gw->audit != NULL) {
                struct nc_net_event ev = {.proto = "unknown", .reason = NC_NET_BUSY,
                                          .host = "", .addr = "", .detail = e2.msg};
                pthread_mutex_lock(&gw->audit_mu);
                gw->audit(gw->audit_arg, &ev);
                pthread_mutex_unlock(&gw->audit_mu);
            }
        }
    }
}

void nc_gateway_stop(struct nc_gateway *gw)
{
    char b = 1;
    int saved = errno;
    ssize_t r = write(gw->stop_pipe[1], &b, 1);
    (void)r;
    errno = saved;
}

unsigned nc_gateway_active(struct nc_gateway *gw)
{
    unsigned n;
    pthread_mutex_lock(&gw->mu);
    n = gw->active;
    pthread_mutex_unlock(&gw->mu);
    return n;
}

void nc_gateway_free(struct nc_gateway *gw)
{
    if (gw == NULL)
        return;
    for (size_t i = 0; i < gw->nlisteners; i++)
        close(gw->listeners[i]);
    if (gw->unix_path[0] != '\0')
        unlink(gw->unix_path);
    pthread_mutex_lock(&gw->mu);
    gw->stopping = true;
    for (unsigned i = 0; i < gw->max_conns; i++) {
        if (!gw->slots[i].used)
            continue;
        if (gw->slots[i].cfd >= 0)
            (void)shutdown(gw->slots[i].cfd, SHUT_RDWR);
        if (gw->slots[i].ufd >= 0)
            (void)shutdown(gw->slots[i].ufd, SHUT_RDWR);
    }
    while (gw->active > 0)
        pthread_cond_wait(&gw->cv, &gw->mu);
    pthread_mutex_unlock(&gw->mu);
    pthread_cond_destroy(&gw->cv);
    pthread_mutex_destroy(&gw->mu);
    pthread_mutex_destroy(&gw->audit_mu);
    close(gw->stop_pipe[0]);
    close(gw->stop_pipe[1]);
    free(gw->slots);
    free(gw->hosts);
    free(gw);
}
