/* SPDX-License-Identifier: Apache-2.0 */
/* The web tools (src/proxy/tools/web_fetch.c, web_search.c) on loopback: a gateway in this
 * process on a unix socket (named by NUCLEUS_EGRESS_SOCKET, as the orchestrator sets it),
 * upstream servers on 127.0.0.2 and 127.0.0.3 named through the gateway's hosts map.  Every
 * redirect trick is checked from the tool's side (what the model would see) and from the
 * servers' side (what was really requested). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net/fetch.h"
#include "net/gateway.h"
#include "proxy/tool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct upstream {
    const char *name;
    int lfd;
    pthread_t th;
    int requests;
    char last_path[512];
};

static uint16_t port;

static void respond(int fd, int status, const char *extra, const char *body, size_t blen)
{
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     status, blen, extra);
    (void)!write(fd, head, (size_t)n);
    for (size_t off = 0; off < blen;) {
        ssize_t w = write(fd, body + off, blen - off);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void redirect(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void redirect(int fd, const char *fmt, ...)
{
    char loc[600], extra[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(loc, sizeof(loc), fmt, ap);
    va_end(ap);
    snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
    respond(fd, 302, extra, "", 0);
}

static void serve(struct upstream *u, int fd)
{
    char buf[8192], path[512] = "";
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return;
    buf[n] = '\0';
    sscanf(buf, "GET %511s", path);
    u->requests++;
    snprintf(u->last_path, sizeof(u->last_path), "%s", path);
    if (strcmp(path, "/hello") == 0) {
        char body[128];
        int bl = snprintf(body, sizeof(body), "hello from %s", u->name);
        respond(fd, 200, "Content-Type: text/plain\r\n", body, (size_t)bl);
    } else if (strcmp(path, "/redir-good") == 0) {
        redirect(fd, "http://good.test:%u/hello", port);
    } else if (strcmp(path, "/redir-evil") == 0) {
        redirect(fd, "http://evil.test:%u/hello", port);
    } else if (strcmp(path, "/redir-ip") == 0) {
        redirect(fd, "http://127.0.0.3:%u/hello", port);
    } else if (strcmp(path, "/redir-rebind") == 0) {
        redirect(fd, "http://rebind.test:%u/hello", port);
    } else if (strcmp(path, "/redir-userinfo") == 0) {
        redirect(fd, "http://good.test@evil.test:%u/hello", port);
    } else if (strcmp(path, "/redir-ftp") == 0) {
        redirect(fd, "ftp://good.test/hello");
    } else if (strcmp(path, "/redir-relative") == 0) {
        redirect(fd, "/hello");
    } else if (strcmp(path, "/redir-loop") == 0) {
        redirect(fd, "/redir-loop");
    } else if (strcmp(path, "/big") == 0) {
        size_t bl = (size_t)1 << 20;
        char *body = malloc(bl);
        if (body != NULL) {
            memset(body, 'x', bl);
            respond(fd, 200, "Content-Type: text/plain\r\n", body, bl);
            free(body);
        }
    } else if (strcmp(path, "/binary") == 0) {
        respond(fd, 200, "Content-Type: application/octet-stream\r\n", "ab\0cd", 5);
    } else if (strcmp(path, "/slow") == 0) {
        sleep(3);
        respond(fd, 200, "", "late", 4);
    } else if (strncmp(path, "/search?", 8) == 0) {
        char body[2048];
        const char *q = strstr(path, "q=");
        char qv[256] = "";
        if (q != NULL)
            sscanf(q + 2, "%255[^&]", qv);
        int bl = snprintf(body, sizeof(body),
                          "{\"query\":\"%s\",\"results\":["
                          "{\"title\":\"First \\u0007hit\",\"url\":\"https://one.example/\","
                          "\"content\":\"q=%s\"},"
                          "{\"title\":\"no url\"},"
                          "{\"title\":\"Second\",\"url\":\"https://two.example/\",\"content\":\"x\"},"
                          "{\"title\":\"Third\",\"url\":\"https://three.example/\"}]}",
                          qv, qv);
        respond(fd, 200, "Content-Type: application/json\r\n", body, (size_t)bl);
    } else {
        respond(fd, 404, "", "no", 2);
    }
}

static void *upstream_main(void *arg)
{
    struct upstream *u = arg;
    for (;;) {
        int fd = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return NULL;
        serve(u, fd);
        close(fd);
    }
}

static int listen_on(const char *ip, uint16_t p, uint16_t *bound)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p)};
    socklen_t sl = sizeof(sa);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

/* ---- fixture ------------------------------------------------------------------------------ */

struct fx {
    struct upstream good, other;
    struct nc_gateway *gw;
    pthread_t gw_th;
    char sock[108];
    uint16_t gw_tcp; /* the same gateway on 127.0.0.1 (the pod's listener's stand-in) */
    char dir[64];
    struct nc_policy *pol;
    struct nc_tool_env env;
    atomic_bool cancel;
};

static void *gw_main(void *arg)
{
    struct fx *f = arg;
    struct nc_err e = {0};
    nc_gateway_run(f->gw, &e);
    return NULL;
}

static void allow(struct nc_policy *p, const char *const *hosts)
{
    const char *why;
    nc_list_init(&p->net_allow, NC_LIST_DOMAINS, false);
    for (size_t i = 0; hosts[i] != NULL; i++)
        assert_int_equal(nc_list_add(&p->net_allow, hosts[i], &why), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct nc_list l;
    struct nc_net_rules *rules = malloc(sizeof(*rules));
    struct nc_hosts *hosts = malloc(sizeof(*hosts));
    const char *why;
    char text[256], ports[16], cidr[64];
    size_t line;
    struct nc_err err = {0};
    uint16_t p2;
    int l1 = -1, l2 = -1;

    if (f == NULL || rules == NULL || hosts == NULL)
        return -1;
    for (int t = 0; t < 20 && l2 < 0; t++) {
        if (l1 >= 0)
            close(l1);
        l1 = listen_on("127.0.0.2", 0, &port);
        l2 = l1 >= 0 ? listen_on("127.0.0.3", port, &p2) : -1;
    }
    if (l2 < 0)
        return -1;
    f->good = (struct upstream){.name = "good", .lfd = l1};
    f->other = (struct upstream){.name = "other", .lfd = l2};
    pthread_create(&f->good.th, NULL, upstream_main, &f->good);
    pthread_create(&f->other.th, NULL, upstream_main, &f->other);

    /* The gateway: every name the tools may be steered to is in its hosts map; evil.test and
     * rebind.test lead to 127.0.0.3, which only 127.0.0.2's network entry does not cover. */
    nc_list_init(&l, NC_LIST_DOMAINS, false);
    static const char *const names[] = {"good.test", "evil.test", "rebind.test"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(nc_list_add(&l, names[i], &why), 0);
    nc_net_rules_init(rules, &l);
    snprintf(ports, sizeof(ports), "%u", port);
    assert_int_equal(nc_net_rules_set_ports(rules, ports, &why), 0);
    snprintf(cidr, sizeof(cidr), "127.0.0.2:%u", port);
    assert_int_equal(nc_net_rules_add_cidr(rules, cidr, &why), 0);
    snprintf(text, sizeof(text), "127.0.0.2 good.test\n127.0.0.3 evil.test rebind.test\n");
    assert_int_equal(nc_hosts_parse(text, strlen(text), hosts, &why, &line), 0);
    struct nc_gateway_config cfg = {.rules = rules, .hosts = hosts, .idle_ms = 5000};
    f->gw = nc_gateway_new(&cfg, &err);
    assert_non_null(f->gw);
    free(rules);
    free(hosts);
    snprintf(f->sock, sizeof(f->sock), "/tmp/nc-fetch-test-%d.sock", (int)getpid());
    unlink(f->sock);
    assert_int_equal(nc_gateway_listen_unix(f->gw, f->sock, 0600, &err), 0);
    assert_int_equal(nc_gateway_listen_tcp(f->gw, "127.0.0.1", 0, &f->gw_tcp, &err), 0);
    pthread_create(&f->gw_th, NULL, gw_main, f);
    setenv(NC_EGRESS_SOCKET_ENV, f->sock, 1);

    snprintf(f->dir, sizeof(f->dir), "/tmp/nc-fetch-ws-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->pol = malloc(sizeof(*f->pol));
    nc_policy_top(f->pol);
    allow(f->pol, (const char *const[]){"good.test", "rebind.test", NULL});
    f->env.root_fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    f->env.root = f->dir;
    f->env.policy = f->pol;
    f->env.cancelled = &f->cancel;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nc_gateway_stop(f->gw);
    pthread_join(f->gw_th, NULL);
    nc_gateway_free(f->gw);
    shutdown(f->good.lfd, SHUT_RDWR);
    shutdown(f->other.lfd, SHUT_RDWR);
    pthread_join(f->good.th, NULL);
    pthread_join(f->other.th, NULL);
    close(f->good.lfd);
    close(f->other.lfd);
    close(f->env.root_fd);
    rmdir(f->dir);
    free(f->pol);
    free(f);
    unsetenv(NC_EGRESS_SOCKET_ENV);
    unsetenv("NUCLEUS_SEARCH_URL");
    return 0;
}

/* ---- running a tool ----------------------------------------------------------------------- */

struct run {
    struct nc_tool_plan plan;
    struct nc_tool_output out;
    int plan_rc, exec_rc;
    struct nc_err err;
};

static void run_tool(struct fx *f, const struct nc_tool *t, const char *json, struct run *r)
{
    json_error_t je;
    json_t *args = json_loads(json, JSON_ALLOW_NUL, &je);
    assert_non_null(args);
    memset(r, 0, sizeof(*r));
    nc_tool_plan_init(&r->plan);
    r->plan_rc = t->plan(&f->env, args, &r->plan, &r->err);
    if (r->plan_rc == 0)
        r->exec_rc = t->exec(&f->env, &r->plan, &r->out, &r->err);
    json_decref(args);
}

static void run_free(const struct nc_tool *t, struct run *r)
{
    nc_tool_output_free(&r->out);
    nc_tool_plan_free(t, &r->plan);
}

static void fetch(struct fx *f, const char *path, struct run *r, const char *extra)
{
    char json[512];
    snprintf(json, sizeof(json), "{\"url\": \"http://good.test:%u%s\"%s}", port, path,
             extra != NULL ? extra : "");
    run_tool(f, &nc_tool_web_fetch, json, r);
    assert_int_equal(r->plan_rc, 0);
    assert_int_equal(r->exec_rc, 0);
}

static void expect_error(struct run *r, const char *kind, const char *in_text)
{
    if (!r->out.is_error || strcmp(r->out.kind, kind) != 0 ||
        (in_text != NULL && strstr(r->out.text, in_text) == NULL))
        fail_msg("expected %s (%s), got is_error=%d kind=%s text=%s", kind,
                 in_text != NULL ? in_text : "", r->out.is_error,
                 r->out.kind != NULL ? r->out.kind : "-", r->out.text != NULL ? r->out.text : "");
}

/* ---- web_fetch ---------------------------------------------------------------------------- */

static void plan_names_the_host(void **state)
{
    struct fx *f = *state;
    struct run r;
    run_tool(f, &nc_tool_web_fetch, "{\"url\": \"HTTPS://Docs.RS/x?y\"}", &r);
    assert_int_equal(r.plan_rc, 0);
    assert_int_equal(r.plan.op, NC_OP_WEB_FETCH);
    assert_string_equal(r.plan.host, "docs.rs");
    assert_int_equal(r.plan.cost_kind, NC_COST_NETWORK);
    assert_int_equal(r.plan.max_quantity, NC_FETCH_MAX_REDIRECTS + 1);
    run_free(&nc_tool_web_fetch, &r);
    /* What the pipeline decides with the host (the one-line hook in dispatch.c). */
    struct nc_request req = {.op = NC_OP_WEB_FETCH, .host = "good.test"};
    struct nc_exposure e = {0};
    struct nc_decision d;
    nc_decide(f->pol, &e, &req, &d);
    assert_int_equal(d.verdict, NC_ALLOW);
    req.host = "evil.test";
    nc_decide(f->pol, &e, &req, &d);
    assert_int_equal(d.reason, NC_R_HOST_NOT_ALLOWED);
    req.host = NULL; /* without the hook: refused, never allowed */
    nc_decide(f->pol, &e, &req, &d);
    assert_int_equal(d.verdict, NC_DENY);

    static const char *const bad[] = {
        "{\"url\": \"http://user:pw@good.test/\"}", "{\"url\": \"http://[::1]/\"}",
        "{\"url\": \"ftp://good.test/\"}",          "{\"url\": \"http://good.test\\u0000.x/\"}",
        "{\"url\": \"http://2130706433/\"}",        "{\"url\": \"http://good.test/ x\"}",
        "{\"url\": \"\"}",                          "{\"url\": \"http://good.test/\", \"x\": 1}",
        "{\"url\": \"http://good.test/\", \"max_bytes\": 0}",
        "{\"url\": \"http://good.test/\", \"timeout_seconds\": 121}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_tool(f, &nc_tool_web_fetch, bad[i], &r);
        if (r.plan_rc == 0)
            fail_msg("accepted: %s", bad[i]);
        run_free(&nc_tool_web_fetch, &r);
    }
}

static void fetch_allowed_page(void **state)
{
    struct fx *f = *state;
    struct run r;
    fetch(f, "/hello", &r, NULL);
    assert_false(r.out.is_error);
    assert_non_null(strstr(r.out.text, "hello from good"));
    assert_non_null(strstr(r.out.text, "untrusted"));
    assert_true(r.out.untrusted);
    assert_int_equal(r.out.quantity, 1);
    assert_int_equal(json_integer_value(json_object_get(r.out.structured, "status")), 200);
    assert_string_equal(json_string_value(json_object_get(r.out.structured, "content_type")),
                        "text/plain");
    run_free(&nc_tool_web_fetch, &r);
}

static void redirects_are_checked_hop_by_hop(void **state)
{
    struct fx *f = *state;
    struct run r;
    fetch(f, "/redir-good", &r, NULL);
    assert_false(r.out.is_error);
    assert_non_null(strstr(r.out.text, "hello from good"));
    assert_int_equal(r.out.quantity, 2);
    assert_int_equal(json_array_size(json_object_get(r.out.structured, "redirects")), 1);
    run_free(&nc_tool_web_fetch, &r);

    fetch(f, "/redir-relative", &r, NULL);
    assert_false(r.out.is_error);
    run_free(&nc_tool_web_fetch, &r);

    /* evil.test is not in network.allow: the tool stops before asking for it (the gateway
     * would allow it: the tool's own check is what refuses) */
    fetch(f, "/redir-evil", &r, NULL);
    expect_error(&r, "host_not_allowed", "redirect to evil.test");
    assert_true(r.out.untrusted); /* the redirect itself came from the network */
    run_free(&nc_tool_web_fetch, &r);
    fetch(f, "/redir-ip", &r, NULL);
    expect_error(&r, "host_not_allowed", "127.0.0.3");
    run_free(&nc_tool_web_fetch, &r);
    fetch(f, "/redir-userinfo", &r, NULL);
    expect_error(&r, "invalid_url", "userinfo");
    run_free(&nc_tool_web_fetch, &r);
    fetch(f, "/redir-ftp", &r, NULL);
    expect_error(&r, "invalid_url", NULL);
    run_free(&nc_tool_web_fetch, &r);
    /* rebind.test is allowed by name; the gateway refuses its loopback address (through
     * SOCKS5 the tool learns "not allowed"; the gateway's own log has address_refused) */
    fetch(f, "/redir-rebind", &r, NULL);
    expect_error(&r, "egress_refused", "not_allowed");
    assert_string_equal(json_string_value(json_object_get(r.out.structured, "refusal")),
                        "not_allowed");
    run_free(&nc_tool_web_fetch, &r);
    fetch(f, "/redir-loop", &r, NULL);
    expect_error(&r, "too_many_redirects", NULL);
    assert_int_equal(r.out.quantity, NC_FETCH_MAX_REDIRECTS + 1);
    run_free(&nc_tool_web_fetch, &r);
    /* 127.0.0.3 never received a request */
    assert_int_equal(f->other.requests, 0);
}

static void size_and_time_caps(void **state)
{
    struct fx *f = *state;
    struct run r;
    fetch(f, "/big", &r, ", \"max_bytes\": 1000");
    assert_false(r.out.is_error);
    assert_int_equal(json_integer_value(json_object_get(r.out.structured, "bytes")), 1000);
    assert_true(json_is_true(json_object_get(r.out.structured, "truncated")));
    run_free(&nc_tool_web_fetch, &r);
    fetch(f, "/binary", &r, NULL);
    assert_false(r.out.is_error);
    assert_non_null(strstr(r.out.text, "[binary content, not shown]"));
    run_free(&nc_tool_web_fetch, &r);
    fetch(f, "/slow", &r, ", \"timeout_seconds\": 1");
    expect_error(&r, "timeout", NULL);
    run_free(&nc_tool_web_fetch, &r);
}

static void cancellation(void **state)
{
    struct fx *f = *state;
    struct run r;
    atomic_store(&f->cancel, true);
    fetch(f, "/slow", &r, NULL);
    expect_error(&r, "cancelled", NULL);
    run_free(&nc_tool_web_fetch, &r);
    atomic_store(&f->cancel, false);
}

static void policy_refusal_without_request(void **state)
{
    struct fx *f = *state;
    struct run r;
    char json[256];
    snprintf(json, sizeof(json), "{\"url\": \"http://evil.test:%u/hello\"}", port);
    run_tool(f, &nc_tool_web_fetch, json, &r);
    assert_int_equal(r.exec_rc, 0);
    expect_error(&r, "host_not_allowed", NULL);
    assert_false(r.out.untrusted); /* nothing came from the network */
    assert_int_equal(r.out.quantity, 0);
    run_free(&nc_tool_web_fetch, &r);
    assert_int_equal(f->other.requests, 0);
}

static void environment_proxies_are_ignored(void **state)
{
    struct fx *f = *state;
    struct run r;
    char proxy[64];
    /* A proxy variable pointing at 127.0.0.3, and NO_PROXY for everything: neither may route
     * the fetch around the gateway. */
    snprintf(proxy, sizeof(proxy), "http://127.0.0.3:%u", port);
    setenv("http_proxy", proxy, 1);
    setenv("HTTPS_PROXY", proxy, 1);
    setenv("ALL_PROXY", proxy, 1);
    setenv("NO_PROXY", "*", 1);
    setenv("no_proxy", "*", 1);
    fetch(f, "/hello", &r, NULL);
    unsetenv("http_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("NO_PROXY");
    unsetenv("no_proxy");
    assert_false(r.out.is_error);
    assert_non_null(strstr(r.out.text, "hello from good"));
    run_free(&nc_tool_web_fetch, &r);
    assert_int_equal(f->other.requests, 0);
}

/* Inside a pod the gateway is the listener on 127.0.0.1 that NUCLEUS_EGRESS_PROXY names. */
static void gateway_on_loopback(void **state)
{
    struct fx *f = *state;
    struct run r;
    char proxy[64];
    unsetenv(NC_EGRESS_SOCKET_ENV);
    snprintf(proxy, sizeof(proxy), "socks5h://127.0.0.1:%u", f->gw_tcp);
    setenv(NC_EGRESS_PROXY_ENV, proxy, 1);
    fetch(f, "/redir-good", &r, NULL);
    assert_false(r.out.is_error);
    assert_non_null(strstr(r.out.text, "hello from good"));
    run_free(&nc_tool_web_fetch, &r);
    /* only socks5h to 127.0.0.1: another form is refused, not used */
    static const char *const bad[] = {"socks5://127.0.0.1:3128", "socks5h://10.0.0.1:3128",
                                      "socks5h://127.0.0.1:0", "socks5h://127.0.0.1:65536",
                                      "socks5h://127.0.0.1:3128/x", "http://127.0.0.1:3128"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv(NC_EGRESS_PROXY_ENV, bad[i], 1);
        fetch(f, "/hello", &r, NULL);
        expect_error(&r, "network_error", NC_EGRESS_PROXY_ENV);
        run_free(&nc_tool_web_fetch, &r);
    }
    unsetenv(NC_EGRESS_PROXY_ENV);
    setenv(NC_EGRESS_SOCKET_ENV, f->sock, 1);
}

static void gateway_unreachable(void **state)
{
    struct fx *f = *state;
    struct run r;
    setenv(NC_EGRESS_SOCKET_ENV, "/nonexistent/nucleus-gateway.sock", 1);
    fetch(f, "/hello", &r, NULL);
    setenv(NC_EGRESS_SOCKET_ENV, f->sock, 1);
    expect_error(&r, "network_error", "not reachable");
    run_free(&nc_tool_web_fetch, &r);
}

static void in_process_gateway_enforces_the_rebinding_rule(void **state)
{
    struct fx *f = *state;
    struct run r;
    char json[256];
    /* No gateway socket: a gateway in this process with the policy's names, the default
     * ports and the system resolver.  localhost is allowed by name, but it resolves to a
     * loopback address, which no network entry admits. */
    unsetenv(NC_EGRESS_SOCKET_ENV);
    allow(f->pol, (const char *const[]){"localhost", NULL});
    snprintf(json, sizeof(json), "{\"url\": \"http://localhost/hello\"}");
    run_tool(f, &nc_tool_web_fetch, json, &r);
    assert_int_equal(r.exec_rc, 0);
    expect_error(&r, "egress_refused", "address_refused");
    run_free(&nc_tool_web_fetch, &r);
    /* and a name outside the policy: refused before any connection */
    snprintf(json, sizeof(json), "{\"url\": \"http://good.test:%u/hello\"}", port);
    run_tool(f, &nc_tool_web_fetch, json, &r);
    expect_error(&r, "host_not_allowed", NULL);
    run_free(&nc_tool_web_fetch, &r);
    setenv(NC_EGRESS_SOCKET_ENV, f->sock, 1);
    assert_int_equal(f->good.requests, 0);
}

/* ---- web_search --------------------------------------------------------------------------- */

static void web_search_results(void **state)
{
    struct fx *f = *state;
    struct run r;
    char url[128];
    run_tool(f, &nc_tool_web_search, "{\"query\": \"x\"}", &r);
    assert_int_equal(r.plan_rc, -EINVAL); /* no backend configured */
    assert_non_null(strstr(r.err.msg, "NUCLEUS_SEARCH_URL"));
    nc_tool_plan_free(&nc_tool_web_search, &r.plan);

    snprintf(url, sizeof(url), "http://good.test:%u/search", port);
    setenv("NUCLEUS_SEARCH_URL", url, 1);
    run_tool(f, &nc_tool_web_search, "{\"query\": \"a b&c=d\", \"max_results\": 2}", &r);
    assert_int_equal(r.plan_rc, 0);
    assert_string_equal(r.plan.host, "good.test");
    assert_int_equal(r.plan.op, NC_OP_WEB_SEARCH);
    assert_int_equal(r.plan.max_quantity, 2);
    assert_int_equal(r.exec_rc, 0);
    assert_false(r.out.is_error);
    assert_true(r.out.untrusted);
    assert_int_equal(r.out.quantity, 2);
    /* the query is encoded: it cannot add parameters */
    assert_string_equal(f->good.last_path, "/search?q=a%20b%26c%3Dd&format=json");
    assert_non_null(strstr(r.out.text, "1. First ?hit")); /* a control character is masked */
    assert_non_null(strstr(r.out.text, "2. Second"));
    assert_null(strstr(r.out.text, "Third"));
    assert_int_equal(json_integer_value(json_object_get(r.out.structured, "count")), 2);
    run_free(&nc_tool_web_search, &r);

    /* a backend the policy does not allow */
    snprintf(url, sizeof(url), "http://evil.test:%u/search", port);
    setenv("NUCLEUS_SEARCH_URL", url, 1);
    run_tool(f, &nc_tool_web_search, "{\"query\": \"x\"}", &r);
    assert_int_equal(r.plan_rc, 0);
    assert_string_equal(r.plan.host, "evil.test"); /* the pipeline refuses it */
    expect_error(&r, "host_not_allowed", NULL);    /* and so does the tool */
    run_free(&nc_tool_web_search, &r);
    assert_int_equal(f->other.requests, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the test servers write to peers that may have gone */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plan_names_the_host, setup, teardown),
        cmocka_unit_test_setup_teardown(fetch_allowed_page, setup, teardown),
        cmocka_unit_test_setup_teardown(redirects_are_checked_hop_by_hop, setup, teardown),
        cmocka_unit_test_setup_teardown(size_and_time_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(cancellation, setup, teardown),
        cmocka_unit_test_setup_teardown(policy_refusal_without_request, setup, teardown),
        cmocka_unit_test_setup_teardown(environment_proxies_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(gateway_on_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(gateway_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(in_process_gateway_enforces_the_rebinding_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(web_search_results, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
