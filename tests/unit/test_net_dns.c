/* SPDX-License-Identifier: Apache-2.0 */
/* The routed pod's resolver (dns.c) and its nftables ruleset (nft.c): answers for allowed
 * names, NXDOMAIN for the rest, every malformed query, and the rules' text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/dns.h"
#include "net/nft.h"

static struct nc_dns_table table;

static int setup(void **state)
{
    (void)state;
    memset(&table, 0, sizeof(table));
    table.n = 2;
    snprintf(table.e[0].name, sizeof(table.e[0].name), "good.test");
    table.e[0].naddrs = 2;
    memcpy(table.e[0].v4[0], "\xc6\x12\x00\x01", 4);
    memcpy(table.e[0].v4[1], "\xc6\x12\x00\x03", 4);
    snprintf(table.e[1].name, sizeof(table.e[1].name), "v6only.test");
    table.e[1].naddrs = 0;
    return 0;
}

/* A query for name (dotted, written as labels as they are), type, class. */
static size_t query(uint8_t *q, const char *name, unsigned type, unsigned cls)
{
    size_t off = 12;
    memset(q, 0, 12);
    q[0] = 0xAB;
    q[1] = 0xCD;
    q[2] = 0x01; /* RD */
    q[5] = 1;    /* one question */
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);
        q[off++] = (uint8_t)l;
        memcpy(q + off, name, l);
        off += l;
        name += l + (dot != NULL ? 1 : 0);
    }
    q[off++] = 0;
    q[off++] = (uint8_t)(type >> 8);
    q[off++] = (uint8_t)type;
    q[off++] = (uint8_t)(cls >> 8);
    q[off++] = (uint8_t)cls;
    return off;
}

static unsigned rcode(const uint8_t *a)
{
    return a[3] & 0xFu;
}

static unsigned ancount(const uint8_t *a)
{
    return (unsigned)a[6] << 8 | a[7];
}

static enum nc_dns_outcome ask(const uint8_t *q, size_t qlen, uint8_t *a, size_t *alen,
                               char *name)
{
    enum nc_dns_outcome oc;
    uint16_t qtype;
    *alen = nc_dns_respond(&table, q, qlen, a, NC_DNS_REPLY_MAX, &oc, name, &qtype);
    return oc;
}

static void test_allowed_name_answered(void **state)
{
    uint8_t q[600], a[NC_DNS_REPLY_MAX];
    char name[260];
    size_t alen, qlen = query(q, "GOOD.test", 1, 1); /* 0x20 case: echoed as asked */
    (void)state;
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_ANSWERED);
    assert_string_equal(name, "good.test");
    assert_int_equal(alen, qlen + 2 * 16);
    assert_memory_equal(a, "\xab\xcd", 2);
    assert_true(a[2] & 0x80); /* QR */
    assert_true(a[2] & 0x01); /* RD echoed */
    assert_int_equal(rcode(a), 0);
    assert_int_equal(ancount(a), 2);
    assert_memory_equal(a + 12, q + 12, qlen - 12);
    assert_memory_equal(a + qlen, "\xc0\x0c\x00\x01\x00\x01", 6);
    assert_memory_equal(a + qlen + 12, "\xc6\x12\x00\x01", 4);
    assert_memory_equal(a + qlen + 16 + 12, "\xc6\x12\x00\x03", 4);
}

static void test_trailing_dot_and_other_types(void **state)
{
    uint8_t q[600], a[NC_DNS_REPLY_MAX];
    char name[260];
    size_t alen, qlen;
    (void)state;
    qlen = query(q, "good.test", 28, 1); /* AAAA: no data (IPv6 is off) */
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_NODATA);
    assert_int_equal(rcode(a), 0);
    assert_int_equal(ancount(a), 0);
    qlen = query(q, "v6only.test", 1, 1);
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_NODATA);
}

static void test_other_names_nxdomain(void **state)
{
    static const char *const names[] = {"other.test", "x.good.test", "good.test.evil",
                                        "evilgood.test", "good", "1.2.3.4", "_srv.good.test",
                                        "go\x01od.test", NULL};
    uint8_t q[600], a[NC_DNS_REPLY_MAX];
    char name[260];
    size_t alen;
    (void)state;
    for (size_t i = 0; names[i] != NULL; i++) {
        size_t qlen = query(q, names[i], 1, 1);
        assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_NXDOMAIN);
        assert_int_equal(rcode(a), 3);
        assert_int_equal(ancount(a), 0);
    }
}

static void test_nul_in_label(void **state)
{
    /* good.test\0evil: a NUL inside a label is never read as the end of the name */
    uint8_t q[64] = {0xAB, 0xCD, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                     9, 'g', 'o', 'o', 'd', 0, 'e', 'v', 'i', 'l', 4, 't', 'e', 's', 't', 0,
                     0, 1, 0, 1};
    uint8_t a[NC_DNS_REPLY_MAX];
    char name[260];
    size_t alen;
    (void)state;
    assert_int_equal(ask(q, 32, a, &alen, name), NC_DNS_NXDOMAIN);
}

static void test_malformed(void **state)
{
    uint8_t q[600], a[NC_DNS_REPLY_MAX];
    char name[260];
    size_t alen, qlen;
    (void)state;
    qlen = query(q, "good.test", 1, 1);
    assert_int_equal(ask(q, 11, a, &alen, name), NC_DNS_DROPPED); /* shorter than a header */
    assert_int_equal(alen, 0);
    for (size_t cut = 12; cut < qlen; cut++) { /* every truncation of the question */
        assert_int_equal(ask(q, cut, a, &alen, name), NC_DNS_FORMERR);
        assert_int_equal(rcode(a), 1);
    }
    q[2] |= 0x80; /* a response: never answered */
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_DROPPED);
    q[2] = 0x01 | (2 << 3); /* opcode STATUS */
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_NOTIMP);
    q[2] = 0x01;
    q[5] = 2; /* two questions */
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_FORMERR);
    q[5] = 1;
    q[7] = 1; /* an answer in a query */
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_FORMERR);
    q[7] = 0;
    qlen = query(q, "good.test", 1, 3); /* class CHAOS */
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_REFUSED);
    /* a compression pointer in the question */
    uint8_t c[32] = {0xAB, 0xCD, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1};
    assert_int_equal(ask(c, 18, a, &alen, name), NC_DNS_FORMERR);
    /* the root name */
    qlen = query(q, "", 1, 1);
    assert_int_equal(ask(q, qlen, a, &alen, name), NC_DNS_NXDOMAIN);
    /* over 512 bytes: dropped */
    memset(q + qlen, 0, 600 - qlen);
    assert_int_equal(ask(q, 513, a, &alen, name), NC_DNS_DROPPED);
}

static void test_long_name_fits(void **state)
{
    /* 16 addresses and a 253-byte name still fit in 512 bytes (fewer records if need be) */
    static struct nc_dns_table big;
    char longname[254];
    uint8_t q[600], a[NC_DNS_REPLY_MAX];
    char name[260];
    enum nc_dns_outcome oc;
    uint16_t qt;
    size_t qlen, alen;
    (void)state;
    memset(longname, 'a', 253);
    for (size_t i = 63; i < 253; i += 64)
        longname[i] = '.';
    longname[253] = '\0';
    big.n = 1;
    snprintf(big.e[0].name, sizeof(big.e[0].name), "%s", longname);
    big.e[0].naddrs = NC_NET_MAX_ADDRS;
    for (size_t i = 0; i < NC_NET_MAX_ADDRS; i++)
        memcpy(big.e[0].v4[i], "\x01\x02\x03\x04", 4), big.e[0].v4[i][3] = (uint8_t)i;
    qlen = query(q, longname, 1, 1);
    alen = nc_dns_respond(&big, q, qlen, a, sizeof(a), &oc, name, &qt);
    assert_int_equal(oc, NC_DNS_ANSWERED);
    assert_true(alen <= 512);
    assert_int_equal(alen, qlen + ancount(a) * 16);
    assert_true(ancount(a) >= 1 && ancount(a) < NC_NET_MAX_ADDRS);
}

static void test_nft_script(void **state)
{
    static struct nc_routed_plan p;
    static char s[65536];
    struct nc_cidr c = {.family = 2, .addr = {198, 18, 0, 0}, .prefix = 24, .port_lo = 8000,
                        .port_hi = 8999};
    long n;
    (void)state;
    nc_routed_plan_init(&p, 5);
    assert_string_equal(p.table, "nucleus_5");
    assert_string_equal(p.ifname, "ncr5");
    assert_memory_equal(p.host, "\x0a\xd5\x00\x15", 4); /* 10.213.0.21 */
    assert_memory_equal(p.pod, "\x0a\xd5\x00\x16", 4);
    nc_routed_plan_init(&p, NC_ROUTED_SLOTS - 1);
    assert_memory_equal(p.pod, "\x0a\xd5\xff\xfe", 4); /* the last /30 of 10.213/16 */
    nc_routed_plan_init(&p, 7);
    assert_int_equal(nc_routed_plan_add(&p, (const uint8_t *)"\xc6\x12\x00\x01", 443), 0);
    assert_int_equal(nc_routed_plan_add(&p, (const uint8_t *)"\xc6\x12\x00\x01", 443), 0);
    assert_int_equal(nc_routed_plan_add(&p, (const uint8_t *)"\xc6\x12\x00\x02", 80), 0);
    assert_int_equal(p.nendpoints, 2);
    p.cidr[p.ncidrs++] = c;
    n = nc_nft_script(&p, s, sizeof(s));
    assert_true(n > 0);
    assert_non_null(strstr(s, "add table inet nucleus_7\ndelete table inet nucleus_7\n"));
    assert_non_null(strstr(s, "iifname \"ncr7\" jump pod_egress"));
    assert_non_null(strstr(s, "meta nfproto != ipv4 drop"));
    assert_non_null(strstr(s, "ip saddr != 10.213.0.30 drop"));
    assert_non_null(strstr(s, "ip daddr 10.213.0.29 udp dport 53 accept"));
    assert_non_null(strstr(s, "ip daddr . tcp dport { 198.18.0.1 . 443, 198.18.0.2 . 80 } ct state new accept"));
    assert_non_null(strstr(s, "ip daddr 198.18.0.0/24 tcp dport 8000-8999 ct state new accept"));
    assert_non_null(strstr(s, "    drop\n  }\n"));
    assert_non_null(strstr(s, "dnat ip to 10.213.0.29:53"));
    assert_int_equal(nc_nft_script(&p, s, 100), -1); /* too small: refused, not cut */
    /* IPv6 network entries are never written (the caller refuses them) */
    c.family = 10;
    p.cidr[0] = c;
    assert_true(nc_nft_script(&p, s, sizeof(s)) > 0);
    assert_null(strstr(s, "8000-8999"));
    assert_true(nc_nft_delete_script(&p, s, sizeof(s)) > 0);
    assert_string_equal(s, "add table inet nucleus_7\ndelete table inet nucleus_7\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_allowed_name_answered, setup),
        cmocka_unit_test_setup(test_trailing_dot_and_other_types, setup),
        cmocka_unit_test_setup(test_other_names_nxdomain, setup),
        cmocka_unit_test_setup(test_nul_in_label, setup),
        cmocka_unit_test_setup(test_malformed, setup),
        cmocka_unit_test(test_long_name_fits),
        cmocka_unit_test(test_nft_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
