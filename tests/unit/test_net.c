/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the egress gateway's pure parts (src/net/host.h, addr.h, rules.h, http.h,
 * socks5.h).  Written to attack: each case names the trick it defends against. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net/addr.h"
#include "net/host.h"
#include "net/http.h"
#include "net/rules.h"
#include "net/socks5.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ARGC(a) (sizeof(a) / sizeof((a)[0]))

static int host(const char *s, struct nc_host *h)
{
    return nc_host_parse(s, strlen(s), true, h, NULL);
}

/* ---- host names ------------------------------------------------------------------------ */

static void host_names_are_canonical(void **state)
{
    (void)state;
    struct nc_host h;
    assert_int_equal(host("Example.COM", &h), 0);
    assert_int_equal(h.kind, NC_HOST_NAME);
    assert_string_equal(h.text, "example.com");
    /* one trailing dot names the same host: same canonical text */
    assert_int_equal(host("example.com.", &h), 0);
    assert_string_equal(h.text, "example.com");
    assert_int_equal(host("xn--bcher-kva.ch", &h), 0);
    assert_string_equal(h.text, "xn--bcher-kva.ch");
    assert_int_equal(host("localhost", &h), 0);
    assert_int_equal(host("1a.example.com", &h), 0); /* a leading digit in a first label */
}

static void host_tricks_are_refused(void **state)
{
    (void)state;
    struct nc_host h;
    const char *why = NULL;
    /* "attacker\0.allowed.com": a suffix check passes, getaddrinfo reads "attacker" */
    static const char nul[] = "attacker\0.allowed.com";
    assert_int_equal(nc_host_parse(nul, sizeof(nul) - 1, true, &h, &why), -1);
    assert_non_null(strstr(why, "NUL"));
    static const char *const bad[] = {
        "",             ".",             "..",           "a..com",      ".a.com",
        "a.com..",      "-a.com",        "a-.com",       "a_b.com",     "a b.com",
        "a.com/x",      "a.com\\x",      "a.com%2e",     "a@b.com",     "a.com\t",
        "a.com\r\n",    "a.com\x7f",     "*.a.com",      "a:b.com",     "::1",
        "\xd0\xb0pple.com",                   /* Cyrillic a: a homograph */
        "a\xef\xbc\x8e" "com",                /* full-width dot */
        "ex\xc3\xa4mple.com",                 /* a U-label: give the A-label */
        "127.1",        "2130706433",    "0x7f.0.0.1",   "0177.0.0.1",  "127.0.0.1.",
        "1.2.3.256",    "1.2.3.4.5",     "a.1",          "[::1",        "[fe80::1%eth0]",
        "[fe80::1%25eth0]", "[1.2.3.4]", "[::g]",        "[]",
    };
    for (size_t i = 0; i < ARGC(bad); i++)
        if (host(bad[i], &h) == 0)
            fail_msg("host \"%s\" accepted as \"%s\"", bad[i], h.text);
    char label[80], name[300];
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(name, sizeof(name), "%s.com", label);
    assert_int_equal(host(name, &h), -1);
    label[63] = '\0';
    snprintf(name, sizeof(name), "%s.com", label);
    assert_int_equal(host(name, &h), 0);
    /* 254 bytes without the trailing dot: too long; 253 is the limit */
    memset(name, 'a', 254);
    for (size_t i = 60; i < 254; i += 61)
        name[i] = '.';
    assert_int_equal(nc_host_parse(name, 254, true, &h, NULL), -1);
    assert_int_equal(nc_host_parse(name, 253, true, &h, NULL), 0);
    name[253] = '.'; /* 253 bytes and the absolute form's dot */
    assert_int_equal(nc_host_parse(name, 254, true, &h, NULL), 0);
    assert_int_equal(strlen(h.text), 253);
}

static void host_addresses(void **state)
{
    (void)state;
    struct nc_host h;
    assert_int_equal(host("127.0.0.1", &h), 0);
    assert_int_equal(h.kind, NC_HOST_IPV4);
    assert_memory_equal(h.addr, "\x7f\0\0\x01", 4);
    assert_int_equal(host("[::1]", &h), 0);
    assert_int_equal(h.kind, NC_HOST_IPV6);
    assert_string_equal(h.text, "::1");
    assert_int_equal(host("[0:0:0:0:0:0:0:1]", &h), 0);
    assert_string_equal(h.text, "::1"); /* one spelling */
    assert_int_equal(host("[::FFFF:127.0.0.1]", &h), 0);
    assert_string_equal(h.text, "::ffff:127.0.0.1");
    /* brackets only where the syntax has them */
    assert_int_equal(nc_host_parse("[::1]", 5, false, &h, NULL), -1);
}

static void authority_forms(void **state)
{
    (void)state;
    struct nc_host h;
    uint16_t port;
    const char *why;
    assert_int_equal(nc_authority_parse("a.com:443", 9, 0, &h, &port, NULL), 0);
    assert_string_equal(h.text, "a.com");
    assert_int_equal(port, 443);
    assert_int_equal(nc_authority_parse("[::1]:8080", 10, 0, &h, &port, NULL), 0);
    assert_int_equal(h.kind, NC_HOST_IPV6);
    assert_int_equal(port, 8080);
    assert_int_equal(nc_authority_parse("a.com", 5, 80, &h, &port, NULL), 0);
    assert_int_equal(port, 80);
    assert_int_equal(nc_authority_parse("a.com", 5, 0, &h, &port, &why), -1); /* CONNECT */
    static const char *const bad[] = {"a.com:",    "a.com:0",   "a.com:65536", "a.com:+80",
                                      "a.com:8O",  ":443",      "u@a.com:443", "a.com:443:1",
                                      "::1:443",   "[::1]x:44", "a.com:123456", "a.com :443"};
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_authority_parse(bad[i], strlen(bad[i]), 0, &h, &port, NULL) == 0)
            fail_msg("authority \"%s\" accepted", bad[i]);
}

/* ---- address classes and networks -------------------------------------------------------- */

static enum nc_addr_class cls(const char *text)
{
    uint8_t a[16];
    if (strchr(text, ':') != NULL) {
        assert_int_equal(inet_pton(AF_INET6, text, a), 1);
        return nc_addr_classify(AF_INET6, a);
    }
    assert_int_equal(inet_pton(AF_INET, text, a), 1);
    return nc_addr_classify(AF_INET, a);
}

static void address_classes(void **state)
{
    (void)state;
    static const struct {
        const char *a;
        enum nc_addr_class c;
    } t[] = {
        {"8.8.8.8", NC_ADDR_PUBLIC},          {"1.1.1.1", NC_ADDR_PUBLIC},
        {"0.0.0.0", NC_ADDR_UNSPECIFIED},     {"0.1.2.3", NC_ADDR_UNSPECIFIED},
        {"127.0.0.1", NC_ADDR_LOOPBACK},      {"127.255.1.2", NC_ADDR_LOOPBACK},
        {"10.1.2.3", NC_ADDR_PRIVATE},        {"172.16.0.1", NC_ADDR_PRIVATE},
        {"172.31.255.255", NC_ADDR_PRIVATE},  {"172.32.0.1", NC_ADDR_PUBLIC},
        {"192.168.1.1", NC_ADDR_PRIVATE},     {"100.64.0.1", NC_ADDR_CGNAT},
        {"100.127.255.255", NC_ADDR_CGNAT},   {"100.128.0.1", NC_ADDR_PUBLIC},
        {"169.254.1.1", NC_ADDR_LINK_LOCAL},  {"169.254.169.254", NC_ADDR_METADATA},
        {"168.63.129.16", NC_ADDR_METADATA},  {"224.0.0.1", NC_ADDR_MULTICAST},
        {"239.255.255.250", NC_ADDR_MULTICAST}, {"255.255.255.255", NC_ADDR_RESERVED},
        {"240.0.0.1", NC_ADDR_RESERVED},      {"192.0.2.1", NC_ADDR_RESERVED},
        {"198.18.0.1", NC_ADDR_RESERVED},     {"192.0.0.170", NC_ADDR_RESERVED},
        {"::", NC_ADDR_UNSPECIFIED},          {"::1", NC_ADDR_LOOPBACK},
        {"fe80::1", NC_ADDR_LINK_LOCAL},      {"fc00::1", NC_ADDR_PRIVATE},
        {"fd12:3456::1", NC_ADDR_PRIVATE},    {"fd00:ec2::254", NC_ADDR_METADATA},
        {"ff02::1", NC_ADDR_MULTICAST},       {"2001:db8::1", NC_ADDR_RESERVED},
        {"2606:4700::1111", NC_ADDR_PUBLIC},  {"2001:4860:4860::8888", NC_ADDR_PUBLIC},
        /* IPv6 spellings of IPv4 destinations are judged by the IPv4 address */
        {"::ffff:127.0.0.1", NC_ADDR_LOOPBACK}, {"::ffff:169.254.169.254", NC_ADDR_METADATA},
        {"::ffff:8.8.8.8", NC_ADDR_PUBLIC},   {"64:ff9b::10.0.0.1", NC_ADDR_PRIVATE},
        {"64:ff9b::8.8.8.8", NC_ADDR_PUBLIC}, {"2002:7f00:1::", NC_ADDR_LOOPBACK},
        {"2002:a9fe:a9fe::1", NC_ADDR_METADATA}, {"::127.0.0.1", NC_ADDR_RESERVED},
        {"2001::1", NC_ADDR_RESERVED},        {"fec0::1", NC_ADDR_RESERVED},
        {"64:ff9b:1::1", NC_ADDR_PRIVATE},
    };
    for (size_t i = 0; i < ARGC(t); i++)
        if (cls(t[i].a) != t[i].c)
            fail_msg("%s is %s, expected %s", t[i].a, nc_addr_class_name(cls(t[i].a)),
                     nc_addr_class_name(t[i].c));
}

static void cidr_entries(void **state)
{
    (void)state;
    struct nc_cidr c;
    char text[80];
    uint8_t a[16];
    assert_int_equal(nc_cidr_parse("10.0.0.0/8:443", 14, &c, NULL), 0);
    nc_cidr_format(&c, text, sizeof(text));
    assert_string_equal(text, "10.0.0.0/8:443");
    inet_pton(AF_INET, "10.9.8.7", a);
    assert_true(nc_cidr_match(&c, AF_INET, a, 443));
    assert_false(nc_cidr_match(&c, AF_INET, a, 444));
    inet_pton(AF_INET, "11.0.0.1", a);
    assert_false(nc_cidr_match(&c, AF_INET, a, 443));
    assert_int_equal(nc_cidr_parse("127.0.0.1:8000-8999", 19, &c, NULL), 0);
    nc_cidr_format(&c, text, sizeof(text));
    assert_string_equal(text, "127.0.0.1/32:8000-8999");
    assert_int_equal(nc_cidr_parse("[fd00::]/8:*", 12, &c, NULL), 0);
    nc_cidr_format(&c, text, sizeof(text));
    assert_string_equal(text, "[fd00::]/8:*");
    inet_pton(AF_INET6, "fd12::1", a);
    assert_true(nc_cidr_match(&c, AF_INET6, a, 1));
    assert_false(nc_cidr_match(&c, AF_INET, a, 1)); /* families never mix */
    static const char *const bad[] = {
        "10.0.0.1/8:443", /* host bits set: the network or the host? */
        "10.0.0.0/33:443", "10.0.0.0/8",  "10.0.0.0/8:",  "10.0.0.0/8:0", "10.0.0.0/8:9-1",
        "10.0.0.0/8:70000", "a.com:443",  "::1:443",      "[::1]/129:1",  "10.0.0.0/:1",
        "10.0.0.0/8x:1",    "[::1]x:1",   "",              "010.0.0.0/8:1",
    };
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_cidr_parse(bad[i], strlen(bad[i]), &c, NULL) == 0)
            fail_msg("network entry \"%s\" accepted", bad[i]);
}

/* ---- rules ---------------------------------------------------------------------------------- */

static struct nc_net_rules *rules_of(const char *const *domains, size_t n)
{
    struct nc_list l;
    const char *why;
    struct nc_net_rules *r = malloc(sizeof(*r));
    assert_non_null(r);
    nc_list_init(&l, NC_LIST_DOMAINS, false);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(nc_list_add(&l, domains[i], &why), 0);
    nc_net_rules_init(r, &l);
    return r;
}

static enum nc_net_reason target(const struct nc_net_rules *r, const char *h, uint16_t port)
{
    struct nc_host x;
    assert_int_equal(host(h, &x), 0);
    return nc_net_check_target(r, &x, port);
}

static void rules_domains_ports_and_addresses(void **state)
{
    (void)state;
    static const char *const d[] = {"*.a.com", "b.com"};
    struct nc_net_rules *r = rules_of(d, ARGC(d));
    const char *why;
    uint8_t a[16];
    enum nc_addr_class c;

    assert_int_equal(target(r, "x.a.com", 443), NC_NET_OK);
    assert_int_equal(target(r, "X.Y.A.COM.", 80), NC_NET_OK);
    assert_int_equal(target(r, "a.com", 443), NC_NET_HOST_NOT_ALLOWED);      /* not itself */
    assert_int_equal(target(r, "evil-a.com", 443), NC_NET_HOST_NOT_ALLOWED); /* not a suffix */
    assert_int_equal(target(r, "a.com.evil.net", 443), NC_NET_HOST_NOT_ALLOWED);
    assert_int_equal(target(r, "b.com", 443), NC_NET_OK);
    assert_int_equal(target(r, "x.b.com", 443), NC_NET_HOST_NOT_ALLOWED);
    assert_int_equal(target(r, "b.com", 22), NC_NET_PORT_NOT_ALLOWED);
    /* a public address given directly bypasses the names: refused */
    assert_int_equal(target(r, "8.8.8.8", 443), NC_NET_IP_NOT_ALLOWED);
    assert_int_equal(target(r, "[2001:4860:4860::8888]", 443), NC_NET_IP_NOT_ALLOWED);
    assert_int_equal(nc_net_rules_add_cidr(r, "8.8.8.0/24:443", &why), 0);
    assert_int_equal(target(r, "8.8.8.8", 443), NC_NET_OK);
    assert_int_equal(target(r, "8.8.8.8", 80), NC_NET_IP_NOT_ALLOWED);

    /* the rebinding rule: an allowed name's private answer is refused unless allowlisted */
    inet_pton(AF_INET, "127.0.0.1", a);
    assert_int_equal(nc_net_check_address(r, AF_INET, a, 443, &c), NC_NET_ADDRESS_REFUSED);
    assert_int_equal(c, NC_ADDR_LOOPBACK);
    inet_pton(AF_INET, "169.254.169.254", a);
    assert_int_equal(nc_net_check_address(r, AF_INET, a, 80, &c), NC_NET_ADDRESS_REFUSED);
    assert_int_equal(c, NC_ADDR_METADATA);
    inet_pton(AF_INET, "93.184.216.34", a);
    assert_int_equal(nc_net_check_address(r, AF_INET, a, 443, &c), NC_NET_OK);
    assert_int_equal(nc_net_rules_add_cidr(r, "127.0.0.2:443", &why), 0);
    inet_pton(AF_INET, "127.0.0.2", a);
    assert_int_equal(nc_net_check_address(r, AF_INET, a, 443, &c), NC_NET_OK);
    assert_int_equal(nc_net_check_address(r, AF_INET, a, 444, &c), NC_NET_ADDRESS_REFUSED);

    assert_int_equal(nc_net_rules_set_ports(r, "8443", &why), 0);
    assert_int_equal(target(r, "b.com", 443), NC_NET_PORT_NOT_ALLOWED);
    assert_int_equal(target(r, "b.com", 8443), NC_NET_OK);
    static const char *const badports[] = {"", ",", "0", "65536", "80,", "80;443", "1234567"};
    for (size_t i = 0; i < ARGC(badports); i++)
        if (nc_net_rules_set_ports(r, badports[i], &why) == 0)
            fail_msg("port list \"%s\" accepted", badports[i]);
    free(r);
}

/* The ports the gateway's process may dial (its Landlock rules): names' ports and network
 * entries' ports, once each; a range too wide to list is reported, never cut short. */
static void rules_dial_ports(void **state)
{
    (void)state;
    static const char *const d[] = {"a.com"};
    struct nc_net_rules *r = rules_of(d, ARGC(d));
    const char *why;
    uint16_t p[8];
    size_t n = 99;

    assert_int_equal(nc_net_rules_dial_ports(r, p, ARGC(p), &n), 0);
    assert_int_equal(n, 2);
    assert_true(p[0] == 80 && p[1] == 443);
    assert_int_equal(nc_net_rules_add_cidr(r, "10.0.0.0/8:8000-8002", &why), 0);
    assert_int_equal(nc_net_rules_add_cidr(r, "10.1.0.0/16:443", &why), 0);
    assert_int_equal(nc_net_rules_dial_ports(r, p, ARGC(p), &n), 0);
    assert_int_equal(n, 5);
    assert_true(p[2] == 8000 && p[3] == 8001 && p[4] == 8002);
    assert_int_equal(nc_net_rules_dial_ports(r, p, 4, &n), -1); /* does not fit */
    assert_int_equal(nc_net_rules_add_cidr(r, "192.168.0.0/16:*", &why), 0);
    assert_int_equal(nc_net_rules_dial_ports(r, p, ARGC(p), &n), -1);
    free(r);
}

static void rules_unrestricted_and_empty(void **state)
{
    (void)state;
    struct nc_list l;
    struct nc_net_rules *r = malloc(sizeof(*r));
    assert_non_null(r);
    nc_list_init(&l, NC_LIST_DOMAINS, false);
    nc_net_rules_init(r, &l);
    assert_int_equal(target(r, "a.com", 443), NC_NET_HOST_NOT_ALLOWED); /* empty: nothing */
    nc_list_init(&l, NC_LIST_DOMAINS, true);
    nc_net_rules_init(r, &l);
    assert_int_equal(target(r, "a.com", 443), NC_NET_OK);
    /* unrestricted names are still names: addresses need a network entry */
    assert_int_equal(target(r, "1.2.3.4", 443), NC_NET_IP_NOT_ALLOWED);
    free(r);
}

static void reasons_have_names_and_statuses(void **state)
{
    (void)state;
    for (int i = NC_NET_OK; i <= NC_NET_TIMEOUT; i++) {
        const char *n = nc_net_reason_name((enum nc_net_reason)i);
        int st = nc_net_reason_http_status((enum nc_net_reason)i);
        assert_non_null(n);
        assert_true(strlen(nc_net_reason_text((enum nc_net_reason)i)) > 5);
        assert_true(st >= 200 && st < 600);
        for (int j = NC_NET_OK; j < i; j++)
            assert_string_not_equal(n, nc_net_reason_name((enum nc_net_reason)j));
    }
    assert_int_equal(nc_net_reason_http_status(NC_NET_HOST_NOT_ALLOWED), 403);
    assert_int_equal(nc_net_reason_http_status(NC_NET_ADDRESS_REFUSED), 403);
}

/* ---- hosts map ------------------------------------------------------------------------------ */

static void hosts_map(void **state)
{
    (void)state;
    static const char text[] = "# test hosts\n"
                               "127.0.0.2 good.test Alias.Test.  # comment\r\n"
                               "\n"
                               "::1 v6.test\n"
                               "10.0.0.1\tgood.test\n";
    struct nc_hosts *h = malloc(sizeof(*h));
    struct nc_addrs a;
    const char *why = NULL;
    size_t line = 0;
    assert_non_null(h);
    assert_int_equal(nc_hosts_parse(text, sizeof(text) - 1, h, &why, &line), 0);
    nc_hosts_lookup(h, "good.test", &a);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.a[0].family, AF_INET);
    assert_memory_equal(a.a[0].addr, "\x7f\0\0\x02", 4);
    assert_memory_equal(a.a[1].addr, "\x0a\0\0\x01", 4);
    nc_hosts_lookup(h, "alias.test", &a);
    assert_int_equal(a.n, 1);
    nc_hosts_lookup(h, "v6.test", &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.a[0].family, AF_INET6);
    nc_hosts_lookup(h, "missing.test", &a);
    assert_int_equal(a.n, 0);
    static const char *const bad[] = {"good.test 127.0.0.1\n", "127.0.0.1\n",
                                      "127.1 x.test\n", "127.0.0.1 x_y.test\n",
                                      "127.0.0.1 1.2.3.4\n", "fe80::1%1 x.test\n"};
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_hosts_parse(bad[i], strlen(bad[i]), h, &why, &line) == 0)
            fail_msg("hosts text \"%s\" accepted", bad[i]);
    assert_int_equal(nc_hosts_parse("# x\n127.0.0.1 ok.test\nbad line\n", 30, h, &why, &line),
                     -1);
    assert_int_equal(line, 3);
    free(h);
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static enum nc_net_reason http(const char *head, struct nc_http_req *req, const char **why)
{
    return nc_http_parse(head, strlen(head), req, why);
}

static void http_connect_and_forward(void **state)
{
    (void)state;
    struct nc_http_req *req = malloc(sizeof(*req));
    const char *why = NULL;
    char out[4096];
    size_t n;
    assert_non_null(req);

    assert_int_equal(http("CONNECT A.com:443 HTTP/1.1\r\nHost: a.com:443\r\n"
                          "User-Agent: x\r\n\r\n", req, &why), NC_NET_OK);
    assert_int_equal(req->kind, NC_HTTP_CONNECT);
    assert_string_equal(req->host.text, "a.com");
    assert_int_equal(req->port, 443);
    assert_int_equal(http("CONNECT [::1]:22 HTTP/1.1\r\n\r\n", req, &why), NC_NET_OK);
    assert_int_equal(req->host.kind, NC_HOST_IPV6);

    assert_int_equal(http("GET http://A.com/x?y=1 HTTP/1.1\r\nHost: a.com\r\n"
                          "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nProxy-Custom: 1\r\n"
                          "Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\nAccept: */*\r\n\r\n",
                          req, &why), NC_NET_OK);
    assert_int_equal(req->kind, NC_HTTP_FORWARD);
    assert_int_equal(req->port, 80);
    n = nc_http_forward_head(req, out, sizeof(out));
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out, "GET /x?y=1 HTTP/1.1\r\nHost: a.com\r\nAccept: */*\r\n"
                             "Connection: close\r\n\r\n");
    assert_int_equal(http("POST http://a.com:8080?q HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
                          req, &why), NC_NET_OK);
    n = nc_http_forward_head(req, out, sizeof(out));
    out[n] = '\0';
    assert_string_equal(out, "POST /?q HTTP/1.0\r\nHost: a.com:8080\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n");
    assert_int_equal(nc_http_forward_head(req, out, 10), 0); /* too small: nothing */
    free(req);
}

static void http_tricks_are_refused(void **state)
{
    (void)state;
    struct nc_http_req *req = malloc(sizeof(*req));
    const char *why = NULL;
    assert_non_null(req);
    static const struct {
        const char *head;
        enum nc_net_reason want;
    } t[] = {
        {"CONNECT a.com HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},               /* no port */
        {"CONNECT a.com.:443 HTTP/1.1\r\nHost: a.com:444\r\n\r\n", NC_NET_BAD_REQUEST},
        {"CONNECT 127.1:443 HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},
        {"CONNECT a.com:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n", NC_NET_BAD_REQUEST},
        {"CONNECT a.com:443 HTTP/1.1\r\nHost: a.com\r\nHost: a.com\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET /x HTTP/1.1\r\nHost: a.com\r\n\r\n", NC_NET_BAD_REQUEST},  /* not a proxy request */
        {"GET https://a.com/ HTTP/1.1\r\n\r\n", NC_NET_UNSUPPORTED},       /* TLS: use CONNECT */
        {"GET ftp://a.com/ HTTP/1.1\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://u:p@a.com/ HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},
        {"GET http://a.com/#f HTTP/1.1\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http:///x HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},
        {"GET http://a.com/ HTTP/2.0\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://a.com/ HTTP/1.1\n\n", NC_NET_BAD_REQUEST},           /* bare LF */
        {"GET http://a.com/ HTTP/1.1\r\nX: a\rb\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://a.com/ HTTP/1.1\r\nX : a\r\n\r\n", NC_NET_BAD_REQUEST}, /* space, colon */
        {"GET http://a.com/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n", NC_NET_BAD_REQUEST}, /* folding */
        {"GET http://a.com/ HTTP/1.1\r\nX: \x01\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://a.com/ HTTP/1.1\r\nHost: b.com\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://a.com/ HTTP/1.1\r\nHost: a.com:81\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET  http://a.com/ HTTP/1.1\r\n\r\n", NC_NET_BAD_REQUEST},      /* two spaces */
        {"get http://a.com/ HTTP/1.1\r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://a.com/ HTTP/1.1 \r\n\r\n", NC_NET_BAD_REQUEST},
        {"GET http://[::1%25lo]/ HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},
        {"GET http://a.com:0/ HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},
        {"GET http://evil.com\\@a.com/ HTTP/1.1\r\n\r\n", NC_NET_BAD_HOST},
        {"GET http://a.com/ HTTP/1.1\r\n", NC_NET_BAD_REQUEST},           /* incomplete */
    };
    for (size_t i = 0; i < ARGC(t); i++) {
        enum nc_net_reason r = http(t[i].head, req, &why);
        if (r != t[i].want)
            fail_msg("case %zu: %s instead of %s", i, nc_net_reason_name(r),
                     nc_net_reason_name(t[i].want));
    }
    /* a NUL inside the head */
    static const char nul[] = "CONNECT a.com:443 HTTP/1.1\r\nX: a\0b\r\n\r\n";
    assert_int_equal(nc_http_parse(nul, sizeof(nul) - 1, req, &why), NC_NET_BAD_REQUEST);
    static const char nulhost[] = "CONNECT evil.com\0.a.com:443 HTTP/1.1\r\n\r\n";
    assert_int_equal(nc_http_parse(nulhost, sizeof(nulhost) - 1, req, &why), NC_NET_BAD_REQUEST);
    free(req);
}

static void http_limits(void **state)
{
    (void)state;
    struct nc_http_req *req = malloc(sizeof(*req));
    size_t cap = NC_HTTP_HEAD_MAX + 64, n = 0;
    char *buf = malloc(cap);
    const char *why = NULL;
    assert_non_null(req);
    assert_non_null(buf);
    /* 101 header fields */
    n = (size_t)snprintf(buf, cap, "GET http://a.com/ HTTP/1.1\r\n");
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(buf + n, cap - n, "X-%d: v\r\n", i);
    n += (size_t)snprintf(buf + n, cap - n, "\r\n");
    assert_int_equal(nc_http_parse(buf, n, req, &why), NC_NET_BAD_REQUEST);
    assert_non_null(strstr(why, "100"));
    /* a line above 8 KiB */
    n = (size_t)snprintf(buf, cap, "GET http://a.com/ HTTP/1.1\r\nX: ");
    memset(buf + n, 'a', 8300);
    n += 8300;
    n += (size_t)snprintf(buf + n, cap - n, "\r\n\r\n");
    assert_int_equal(nc_http_parse(buf, n, req, &why), NC_NET_BAD_REQUEST);
    /* a whole head above 32 KiB */
    memset(buf, 'a', cap);
    memcpy(buf + NC_HTTP_HEAD_MAX + 1 - 4, "\r\n\r\n", 4);
    assert_int_equal(nc_http_parse(buf, NC_HTTP_HEAD_MAX + 1, req, &why), NC_NET_BAD_REQUEST);
    assert_int_equal(nc_http_head_len("GET x\r\n\r\nrest", 14), 9);
    assert_int_equal(nc_http_head_len("GET x\r\n\r", 8), 0);
    free(buf);
    free(req);
}

static void http_refusal_text(void **state)
{
    (void)state;
    char out[2048];
    size_t n = nc_http_refusal(NC_NET_HOST_NOT_ALLOWED, "evil.com:443", NULL, out, sizeof(out));
    out[n] = '\0';
    assert_non_null(strstr(out, "HTTP/1.1 403 Forbidden\r\n"));
    assert_non_null(strstr(out, "X-Nucleus-Refusal: host_not_allowed\r\n"));
    assert_non_null(strstr(out, "refused evil.com:443: host_not_allowed"));
    /* Content-Length is the body's */
    const char *body = strstr(out, "\r\n\r\n") + 4;
    char want[48];
    snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(out, want));
}

/* ---- SOCKS5 ----------------------------------------------------------------------------------- */

static void socks5_messages(void **state)
{
    (void)state;
    size_t used;
    uint8_t reply;
    enum nc_net_reason reason;
    struct nc_socks5_req req;
    const char *why;

    assert_int_equal(nc_socks5_greeting((const uint8_t *)"\x05", 1, &used, &reply, &why),
                     NC_SOCKS5_MORE);
    assert_int_equal(nc_socks5_greeting((const uint8_t *)"\x05\x02\x02", 3, &used, &reply, &why),
                     NC_SOCKS5_MORE);
    assert_int_equal(nc_socks5_greeting((const uint8_t *)"\x05\x02\x02\x00", 4, &used, &reply,
                                        &why), NC_SOCKS5_DONE);
    assert_int_equal(used, 4);
    /* only username/password offered: "no acceptable methods" */
    assert_int_equal(nc_socks5_greeting((const uint8_t *)"\x05\x01\x02", 3, &used, &reply, &why),
                     NC_SOCKS5_ERROR);
    assert_int_equal(reply, NC_SOCKS5_NO_ACCEPTABLE);
    assert_int_equal(nc_socks5_greeting((const uint8_t *)"\x04\x01", 2, &used, &reply, &why),
                     NC_SOCKS5_ERROR);
    assert_int_equal(nc_socks5_greeting((const uint8_t *)"\x05\x00", 2, &used, &reply, &why),
                     NC_SOCKS5_ERROR);

    static const uint8_t dom[] = {5, 1, 0, 3, 6, 'A', '.', 'c', 'o', 'm', '.', 0x01, 0xbb};
    assert_int_equal(nc_socks5_request(dom, sizeof(dom) - 1, &used, &req, &reply, &reason, &why),
                     NC_SOCKS5_MORE);
    assert_int_equal(nc_socks5_request(dom, sizeof(dom), &used, &req, &reply, &reason, &why),
                     NC_SOCKS5_DONE);
    assert_int_equal(used, sizeof(dom));
    assert_string_equal(req.host.text, "a.com");
    assert_int_equal(req.port, 443);
    static const uint8_t v4[] = {5, 1, 0, 1, 127, 0, 0, 1, 0, 80};
    assert_int_equal(nc_socks5_request(v4, sizeof(v4), &used, &req, &reply, &reason, &why),
                     NC_SOCKS5_DONE);
    assert_int_equal(req.host.kind, NC_HOST_IPV4);
    assert_string_equal(req.host.text, "127.0.0.1");
    static const uint8_t v6[] = {5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80};
    assert_int_equal(nc_socks5_request(v6, sizeof(v6), &used, &req, &reply, &reason, &why),
                     NC_SOCKS5_DONE);
    assert_string_equal(req.host.text, "::1");
    /* a domain-type "1.2.3.4" is an address: the rules for addresses apply */
    static const uint8_t dq[] = {5, 1, 0, 3, 7, '1', '.', '2', '.', '3', '.', '4', 0, 80};
    assert_int_equal(nc_socks5_request(dq, sizeof(dq), &used, &req, &reply, &reason, &why),
                     NC_SOCKS5_DONE);
    assert_int_equal(req.host.kind, NC_HOST_IPV4);

    static const struct {
        uint8_t b[40];
        size_t n;
        uint8_t reply;
        enum nc_net_reason reason;
    } bad[] = {
        /* "attacker\0.a.com": the NUL differential */
        {{5, 1, 0, 3, 16, 'a', 't', 't', 'a', 'c', 'k', 'e', 'r', 0, '.', 'a', '.', 'c', 'o', 'm',
          0, 0, 443 & 0xff}, 0, NC_SOCKS5_NOT_ALLOWED, NC_NET_BAD_HOST},
        {{5, 2, 0, 1, 1, 2, 3, 4, 0, 80}, 10, NC_SOCKS5_CMD_UNSUPPORTED, NC_NET_UNSUPPORTED},
        {{5, 3, 0, 1, 1, 2, 3, 4, 0, 80}, 10, NC_SOCKS5_CMD_UNSUPPORTED, NC_NET_UNSUPPORTED},
        {{5, 1, 0, 9, 1, 2, 3, 4, 0, 80}, 10, NC_SOCKS5_ATYP_UNSUPPORTED, NC_NET_UNSUPPORTED},
        {{5, 1, 1, 1, 1, 2, 3, 4, 0, 80}, 10, NC_SOCKS5_GENERAL_FAILURE, NC_NET_BAD_REQUEST},
        {{5, 1, 0, 1, 1, 2, 3, 4, 0, 0}, 10, NC_SOCKS5_NOT_ALLOWED, NC_NET_BAD_REQUEST},
        {{5, 1, 0, 3, 0, 0, 80}, 7, NC_SOCKS5_NOT_ALLOWED, NC_NET_BAD_HOST},
        {{5, 1, 0, 3, 3, 'a', '.', '.', 0, 80}, 10, NC_SOCKS5_NOT_ALLOWED, NC_NET_BAD_HOST},
        {{5, 1, 0, 3, 5, '[', ':', ':', '1', ']', 0, 80}, 12, NC_SOCKS5_NOT_ALLOWED,
         NC_NET_BAD_HOST},
        {{5, 1, 0, 3, 5, 0xc3, 0xa4, '.', 'd', 'e', 0, 80}, 12, NC_SOCKS5_NOT_ALLOWED,
         NC_NET_BAD_HOST},
        {{4, 1, 0, 1, 1, 2, 3, 4, 0, 80}, 10, NC_SOCKS5_GENERAL_FAILURE, NC_NET_BAD_REQUEST},
    };
    for (size_t i = 0; i < ARGC(bad); i++) {
        size_t n = bad[i].n != 0 ? bad[i].n : 5u + bad[i].b[4] + 2u;
        enum nc_socks5_status st =
            nc_socks5_request(bad[i].b, n, &used, &req, &reply, &reason, &why);
        if (st != NC_SOCKS5_ERROR || reply != bad[i].reply || reason != bad[i].reason)
            fail_msg("case %zu: status %d reply %d reason %s", i, st, reply,
                     nc_net_reason_name(reason));
    }
    uint8_t rep[10];
    nc_socks5_reply(NC_SOCKS5_NOT_ALLOWED, rep);
    assert_memory_equal(rep, "\x05\x02\x00\x01\0\0\0\0\0\0", 10);
    assert_int_equal(nc_socks5_code(NC_NET_HOST_NOT_ALLOWED), NC_SOCKS5_NOT_ALLOWED);
    assert_int_equal(nc_socks5_code(NC_NET_ADDRESS_REFUSED), NC_SOCKS5_NOT_ALLOWED);
    assert_int_equal(nc_socks5_code(NC_NET_OK), NC_SOCKS5_SUCCEEDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_names_are_canonical),
        cmocka_unit_test(host_tricks_are_refused),
        cmocka_unit_test(host_addresses),
        cmocka_unit_test(authority_forms),
        cmocka_unit_test(address_classes),
        cmocka_unit_test(cidr_entries),
        cmocka_unit_test(rules_domains_ports_and_addresses),
        cmocka_unit_test(rules_unrestricted_and_empty),
        cmocka_unit_test(rules_dial_ports),
        cmocka_unit_test(reasons_have_names_and_statuses),
        cmocka_unit_test(hosts_map),
        cmocka_unit_test(http_connect_and_forward),
        cmocka_unit_test(http_tricks_are_refused),
        cmocka_unit_test(http_limits),
        cmocka_unit_test(http_refusal_text),
        cmocka_unit_test(socks5_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
