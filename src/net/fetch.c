/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP GET through the egress gateway (see fetch.h). */
#include "net/fetch.h"

#include "core/validate.h"
#include "net/gateway.h"
#include "net/rules.h"
#include "util/cleanup.h"
#include "util/seal.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* libcurl is loaded on the first fetch (dlopen), not linked: linking it made every start of
 * nucleus load libcurl and the ~30 libraries it depends on (about 300 page faults and 5 to 20
 * ms of CPU per start, docs/benchmarks.md), including every `nucleus exec`, which never
 * fetches.  The soname is the one the linker would have recorded; the functions are the nine
 * this file calls, resolved once, under curl_once, into a table that is then made read-only
 * (util/seal.h: what `-z relro -z now` does for a linked library's GOT) before the first call
 * through it. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static char curl_load_error[160];

/* In a page of its own, so that sealing it protects nothing else and leaves nothing else
 * writable beside it. */
static union {
    struct {
        CURLcode (*global_init)(long);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_perform)(CURL *);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        void (*easy_cleanup)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
    };
    unsigned char page[NC_SEAL_PAGE];
} lc __attribute__((aligned(NC_SEAL_PAGE)));
_Static_assert(sizeof(lc) == NC_SEAL_PAGE, "libcurl's table fills exactly one page");

const void *nc_fetch_curl_table(size_t *len)
{
    *len = sizeof(lc);
    return &lc;
}

static bool curl_sym(void *lib, const char *name, void *slot)
{
    void *f = dlsym(lib, name);
    if (f == NULL) {
        snprintf(curl_load_error, sizeof(curl_load_error), "libcurl has no %s", name);
        return false;
    }
    memcpy(slot, &f, sizeof(f)); /* a data pointer to a function pointer, as dlsym(3) says */
    return true;
}

static void curl_init(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *e = dlerror();
        snprintf(curl_load_error, sizeof(curl_load_error), "%s", e != NULL ? e : "dlopen failed");
        return;
    }
    if (!curl_sym(lib, "curl_global_init", &lc.global_init) ||
        !curl_sym(lib, "curl_easy_init", &lc.easy_init) ||
        !curl_sym(lib, "curl_easy_setopt", &lc.easy_setopt) ||
        !curl_sym(lib, "curl_easy_perform", &lc.easy_perform) ||
        !curl_sym(lib, "curl_easy_getinfo", &lc.easy_getinfo) ||
        !curl_sym(lib, "curl_easy_cleanup", &lc.easy_cleanup) ||
        !curl_sym(lib, "curl_easy_strerror", &lc.easy_strerror) ||
        !curl_sym(lib, "curl_slist_append", &lc.slist_append) ||
        !curl_sym(lib, "curl_slist_free_all", &lc.slist_free_all))
        return; /* the library stays loaded: harmless, and not worth a dlclose race */
    /* Read-only before the first call through it.  Fail closed: if mprotect refuses, the
     * table is cleared (a stray call jumps to NULL, it cannot reach libcurl through a table
     * left writable) and curl_init_rc stays an error, so every fetch fails with the reason. */
    struct nc_err e = {0};
    if (nc_seal(&lc, sizeof(lc), &e) < 0) {
        memset(&lc, 0, sizeof(lc));
        snprintf(curl_load_error, sizeof(curl_load_error),
                 "cannot make libcurl's function table read-only: %.100s", e.msg);
        return;
    }
    curl_init_rc = lc.global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_rc != CURLE_OK)
        snprintf(curl_load_error, sizeof(curl_load_error), "curl_global_init failed");
}

/* A gateway in this process, for a fetch without an orchestrator's gateway: on a unix socket
 * in a private directory (mode 0700: only this user reaches it, and only while the fetch
 * runs).  Its audit callback keeps the last refusal's reason for the tool's message. */
struct inproc {
    struct nc_gateway *gw;
    pthread_t th;
    bool running;
    char dir[64];
    char sock[128];
    pthread_mutex_t mu;
    char reason[32];
};

static void inproc_event(void *arg, const struct nc_net_event *ev)
{
    struct inproc *ip = arg;
    if (ev->allowed)
        return;
    pthread_mutex_lock(&ip->mu);
    snprintf(ip->reason, sizeof(ip->reason), "%s", nc_net_reason_name(ev->reason));
    pthread_mutex_unlock(&ip->mu);
}

static void *inproc_main(void *arg)
{
    struct inproc *ip = arg;
    struct nc_err e = {0};
    (void)nc_gateway_run(ip->gw, &e);
    return NULL;
}

static int inproc_start(struct inproc *ip, const struct nc_list *allow, struct nc_err *err)
{
    _cleanup_free_ struct nc_net_rules *rules = malloc(sizeof(*rules));
    const char *tmp = getenv("TMPDIR");
    struct nc_gateway_config cfg = {0};
    if (rules == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    pthread_mutex_init(&ip->mu, NULL);
    if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(ip->dir, sizeof(ip->dir), "%s/nc-egress-XXXXXX", tmp);
    if (mkdtemp(ip->dir) == NULL) {
        ip->dir[0] = '\0';
        return nc_err_set(err, errno, "cannot create a directory for the gateway: %s",
                          strerror(errno));
    }
    snprintf(ip->sock, sizeof(ip->sock), "%s/gw.sock", ip->dir);
    nc_net_rules_init(rules, allow);
    cfg.rules = rules;
    cfg.max_conns = 4;
    cfg.audit = inproc_event;
    cfg.audit_arg = ip;
    ip->gw = nc_gateway_new(&cfg, err);
    if (ip->gw == NULL)
        return -1;
    if (nc_gateway_listen_unix(ip->gw, ip->sock, 0600, err) < 0)
        return -1;
    if (pthread_create(&ip->th, NULL, inproc_main, ip) != 0)
        return nc_err_set(err, EAGAIN, "cannot start the gateway thread");
    ip->running = true;
    return 0;
}

static void inproc_stop(struct inproc *ip)
{
    if (ip->running) {
        nc_gateway_stop(ip->gw);
        pthread_join(ip->th, NULL);
    }
    nc_gateway_free(ip->gw); /* removes the socket */
    if (ip->dir[0] != '\0')
        rmdir(ip->dir);
    pthread_mutex_destroy(&ip->mu);
}

struct hop {
    const struct nc_fetch_opts *o;
    char *buf;
    size_t len, cap, max;
    bool truncated;
    char content_type[128];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct hop *h = arg;
    size_t n = size * nmemb, take = n;
    if (h->len + take > h->max) {
        take = h->max - h->len;
        h->truncated = true;
    }
    if (h->len + take + 1 > h->cap) {
        size_t cap = h->cap == 0 ? 16384 : h->cap;
        while (cap < h->len + take + 1)
            cap *= 2;
        if (cap > h->max + 1)
            cap = h->max + 1;
        char *nb = realloc(h->buf, cap);
        if (nb == NULL)
            return 0;
        h->buf = nb;
        h->cap = cap;
    }
    memcpy(h->buf + h->len, p, take);
    h->len += take;
    h->buf[h->len] = '\0';
    return h->truncated ? 0 : n; /* 0 ends the transfer: the cap is reached */
}

static bool field_is(const char *line, size_t n, const char *name, size_t *vstart)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return false;
    k++;
    while (k < n && (line[k] == ' ' || line[k] == '\t'))
        k++;
    *vstart = k;
    return true;
}

static void copy_value(const char *line, size_t n, size_t v, char *out, size_t outsz)
{
    size_t e = n;
    while (e > v && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' '))
        e--;
    if (e - v >= outsz)
        e = v + outsz - 1;
    for (size_t i = v; i < e; i++)
        out[i - v] = (line[i] >= 0x20 && line[i] < 0x7f) ? line[i] : '?';
    out[e - v] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct hop *h = arg;
    size_t n = size * nmemb, v;
    if (field_is(p, n, "Content-Type", &v))
        copy_value(p, n, v, h->content_type, sizeof(h->content_type));
    return n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct hop *h = arg;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return h->o->cancelled != NULL && atomic_load(h->o->cancelled) ? 1 : 0;
}

static int fail(struct nc_fetch_result *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct nc_fetch_result *r, const char *kind, const char *fmt, ...)
{
    va_list ap;
    r->kind = kind;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    return 0;
}

/* One request through the gateway at `proxy` (socks5h://localhost/PATH).  Returns the curl
 * result; fills the status, the SOCKS5 error and the redirect target (if any). */
static CURLcode one_request(struct hop *h, const char *url, bool https, const char *proxy,
                            long timeout_ms, long *status, long *px_err, char *location,
                            size_t locsz)
{
    CURL *c = lc.easy_init();
    struct curl_slist *hdrs = NULL;
    char accept[160], ctype[160];
    char *auth = NULL;
    char *loc = NULL;
    CURLcode rc;

    *status = 0;
    *px_err = CURLPX_OK;
    location[0] = '\0';
    if (c == NULL)
        return CURLE_OUT_OF_MEMORY;
    if (h->o->accept != NULL) {
        snprintf(accept, sizeof(accept), "Accept: %s", h->o->accept);
        hdrs = lc.slist_append(NULL, accept);
    }
    if (h->o->post_body != NULL) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %s",
                 h->o->post_type != NULL ? h->o->post_type : "application/octet-stream");
        hdrs = lc.slist_append(hdrs, ctype);
        /* no "Expect: 100-continue" round trip */
        hdrs = lc.slist_append(hdrs, "Expect:");
        lc.easy_setopt(c, CURLOPT_POST, 1L);
        lc.easy_setopt(c, CURLOPT_POSTFIELDS, h->o->post_body);
        lc.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->o->post_len);
    }
    /* A credential never crosses the network in clear text. */
    if (h->o->authorization != NULL && https) {
        size_t al = strlen(h->o->authorization) + sizeof("Authorization: ");
        auth = malloc(al);
        if (auth != NULL) {
            snprintf(auth, al, "Authorization: %s", h->o->authorization);
            hdrs = lc.slist_append(hdrs, auth);
        }
    }
    lc.easy_setopt(c, CURLOPT_URL, url);
    /* Only http and https, for the request and any redirect (which is not followed here). */
    lc.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    lc.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lc.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* Every connection is a SOCKS5 CONNECT through the gateway's unix socket, with the name
     * resolved by the gateway (socks5h): its rules, pinning and rebinding check apply.  The
     * proxy is set explicitly, so the environment (http_proxy, NO_PROXY) cannot send the
     * request elsewhere or around it.  (An HTTP CONNECT proxy cannot be a unix socket for
     * libcurl, and libcurl 7.88 ignores CURL_SOCKOPT_ALREADY_CONNECTED: curl/curl#10626.) */
    lc.easy_setopt(c, CURLOPT_PROXY, proxy);
    lc.easy_setopt(c, CURLOPT_NOPROXY, "");
    lc.easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    lc.easy_setopt(c, CURLOPT_WRITEDATA, h);
    lc.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    lc.easy_setopt(c, CURLOPT_HEADERDATA, h);
    lc.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    lc.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    lc.easy_setopt(c, CURLOPT_XFERINFODATA, h);
    lc.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    lc.easy_setopt(c, CURLOPT_USERAGENT, "nucleus-web-fetch/0.1");
    if (hdrs != NULL)
        lc.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    rc = lc.easy_perform(c);
    lc.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    lc.easy_getinfo(c, CURLINFO_PROXY_ERROR, px_err);
    if (lc.easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != NULL)
        snprintf(location, locsz, "%s", loc);
    lc.easy_cleanup(c);
    lc.slist_free_all(hdrs);
    if (auth != NULL) {
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    return rc;
}

/* The gateway's reason for a SOCKS5 error reply (the in-process gateway tells the exact one
 * through its audit callback; an external gateway logs it). */
static const char *socks_reason(long px)
{
    switch (px) {
    case CURLPX_REPLY_NOT_ALLOWED: return "not_allowed";
    case CURLPX_REPLY_HOST_UNREACHABLE: return "resolve_failed";
    case CURLPX_REPLY_CONNECTION_REFUSED: return "connect_failed";
    case CURLPX_REPLY_TTL_EXPIRED: return "timeout";
    case CURLPX_REPLY_COMMAND_NOT_SUPPORTED:
    case CURLPX_REPLY_ADDRESS_TYPE_NOT_SUPPORTED: return "unsupported";
    case CURLPX_REPLY_NETWORK_UNREACHABLE: return "network_unreachable";
    default: return "refused";
    }
}

static bool is_socks_reply(long px)
{
    switch (px) {
    case CURLPX_REPLY_NOT_ALLOWED:
    case CURLPX_REPLY_HOST_UNREACHABLE:
    case CURLPX_REPLY_CONNECTION_REFUSED:
    case CURLPX_REPLY_TTL_EXPIRED:
    case CURLPX_REPLY_COMMAND_NOT_SUPPORTED:
    case CURLPX_REPLY_ADDRESS_TYPE_NOT_SUPPORTED:
    case CURLPX_REPLY_NETWORK_UNREACHABLE:
    case CURLPX_REPLY_GENERAL_SERVER_FAILURE:
    case CURLPX_REPLY_UNASSIGNED:
        return true;
    default:
        return false;
    }
}

/* Checks a hop's URL: a valid http(s) URL whose host network.allow admits. */
static bool hop_allowed(const struct nc_fetch_opts *o, const char *url, struct nc_url *u,
                        struct nc_fetch_result *r, size_t hop)
{
    struct nc_invalid why;
    if (nc_validate_url(url, strlen(url), u, &why) < 0) {
        fail(r, "invalid_url", "%s is not an acceptable URL: %s", hop == 0 ? "the URL" :
             "the redirect target", why.reason);
        return false;
    }
    if (nc_list_match_domain(o->allow, u->host) == -1) {
        if (hop == 0)
            fail(r, "host_not_allowed", "the host %s matches no entry of network.allow", u->host);
        else
            fail(r, "host_not_allowed",
                 "the redirect to %s was refused: the host matches no entry of network.allow",
                 u->host);
        return false;
    }
    return true;
}

void nc_fetch_gateway_from_env(struct nc_fetch_opts *o)
{
    const char *s = getenv(NC_EGRESS_SOCKET_ENV), *p = getenv(NC_EGRESS_PROXY_ENV);
    o->gateway_socket = s != NULL && s[0] != '\0' ? s : NULL;
    o->gateway_proxy = p != NULL && p[0] != '\0' ? p : NULL;
}

/* "socks5h://127.0.0.1:PORT" with PORT 1..65535 and nothing else. */
static bool loopback_proxy_ok(const char *p)
{
    static const char pre[] = "socks5h://127.0.0.1:";
    unsigned v = 0;
    size_t i = sizeof(pre) - 1;
    if (strncmp(p, pre, i) != 0 || p[i] == '\0' || p[i] == '0')
        return false;
    for (; p[i] != '\0'; i++) {
        if (p[i] < '0' || p[i] > '9' || v > 6553u)
            return false;
        v = v * 10u + (unsigned)(p[i] - '0');
    }
    return v >= 1u && v <= 65535u;
}

int nc_fetch(const char *url, const struct nc_fetch_opts *o, struct nc_fetch_result *r,
             struct nc_err *err)
{
    struct hop h;
    struct nc_url u;
    struct inproc ip;
    char cur[NC_FETCH_URL_MAX + 1], location[NC_FETCH_URL_MAX + 1], proxy[160];
    const char *sock = o->gateway_socket;
    uint64_t deadline = now_ms() + (o->timeout_ms > 0 ? o->timeout_ms : 30000u);
    bool prev_https = false, inproc = false;
    int ret = 0;

    memset(r, 0, sizeof(*r));
    memset(&h, 0, sizeof(h));
    memset(&ip, 0, sizeof(ip));
    h.o = o;
    h.max = o->max_bytes;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return nc_err_set(err, EIO, "libcurl cannot start: %s", curl_load_error);
    if (strlen(url) > NC_FETCH_URL_MAX)
        return fail(r, "invalid_url", "the URL is longer than %d bytes", NC_FETCH_URL_MAX);
    snprintf(cur, sizeof(cur), "%s", url);

    for (size_t hop = 0;; hop++) {
        long status = 0, px = 0, left;
        CURLcode rc;
        if (!hop_allowed(o, cur, &u, r, hop))
            goto out;
        if (hop > 0 && prev_https && !u.https) {
            fail(r, "redirect_refused", "the redirect from https to http://%s was refused", u.host);
            goto out;
        }
        prev_https = u.https;
        if (sock == NULL && o->gateway_proxy != NULL) {
            if (!loopback_proxy_ok(o->gateway_proxy)) {
                fail(r, "network_error", "%s is not socks5h://127.0.0.1:PORT",
                     NC_EGRESS_PROXY_ENV);
                goto out;
            }
            snprintf(proxy, sizeof(proxy), "%s", o->gateway_proxy);
        } else if (sock == NULL) {
            /* Started only once a request is due: a refusal above costs no gateway. */
            if (inproc_start(&ip, o->allow, err) < 0) {
                ret = -1;
                goto out;
            }
            inproc = true;
            sock = ip.sock;
        }
        if (sock != NULL &&
            (sock[0] != '/' ||
             (size_t)snprintf(proxy, sizeof(proxy), "socks5h://localhost%s", sock) >=
                 sizeof(proxy))) {
            fail(r, "network_error", "the egress gateway's socket path is not usable");
            goto out;
        }
        left = (long)(deadline > now_ms() ? deadline - now_ms() : 0);
        if (left <= 0) {
            fail(r, "timeout", "the fetch took longer than its time limit");
            goto out;
        }
        h.len = 0;
        h.truncated = false;
        h.content_type[0] = '\0';
        r->requests++;
        rc = one_request(&h, cur, u.https, proxy, left, &status, &px, location,
                         sizeof(location));
        if (rc != CURLE_OK && is_socks_reply(px)) {
            /* The gateway refused the connection: the destination was never reached. */
            const char *why = socks_reason(px);
            if (inproc) {
                pthread_mutex_lock(&ip.mu);
                if (ip.reason[0] != '\0')
                    snprintf(r->refusal, sizeof(r->refusal), "%s", ip.reason);
                pthread_mutex_unlock(&ip.mu);
            }
            if (r->refusal[0] == '\0')
                snprintf(r->refusal, sizeof(r->refusal), "%s", why);
            fail(r, "egress_refused", "the egress gateway refused %s:%u: %s", u.host, u.port,
                 r->refusal);
            goto out;
        }
        if (rc == CURLE_WRITE_ERROR && h.truncated) {
            /* the size cap, not an error: go on with what was received */
        } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
            fail(r, "cancelled", "the fetch was cancelled");
            goto out;
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            fail(r, "timeout", "the fetch took longer than its time limit");
            goto out;
        } else if (rc == CURLE_OUT_OF_MEMORY) {
            ret = nc_err_set(err, ENOMEM, "out of memory");
            goto out;
        } else if (rc == CURLE_COULDNT_CONNECT && px == CURLPX_OK) {
            fail(r, "network_error", "the egress gateway is not reachable");
            goto out;
        } else if (rc != CURLE_OK) {
            fail(r, "network_error", "fetching from %s failed: %s", u.host, lc.easy_strerror(rc));
            goto out;
        }
        if (status >= 300 && status < 400 && location[0] != '\0' && o->post_body == NULL) {
            if (r->nredirects == NC_FETCH_MAX_REDIRECTS) {
                fail(r, "too_many_redirects", "more than %d redirects", NC_FETCH_MAX_REDIRECTS);
                goto out;
            }
            snprintf(r->redirects[r->nredirects++], sizeof(r->redirects[0]), "%s", location);
            snprintf(cur, sizeof(cur), "%s", location);
            continue;
        }
        r->status = (int)status;
        r->body = h.buf;
        r->len = h.len;
        h.buf = NULL;
        if (r->body == NULL) {
            r->body = calloc(1, 1);
            if (r->body == NULL) {
                ret = nc_err_set(err, ENOMEM, "out of memory");
                goto out;
            }
        }
        r->truncated = h.truncated;
        snprintf(r->final_url, sizeof(r->final_url), "%s", cur);
        snprintf(r->content_type, sizeof(r->content_type), "%s", h.content_type);
        goto out;
    }
out:
    free(h.buf);
    if (inproc || ip.gw != NULL || ip.dir[0] != '\0')
        inproc_stop(&ip);
    return ret;
}

void nc_fetch_result_free(struct nc_fetch_result *r)
{
    free(r->body);
    r->body = NULL;
}
