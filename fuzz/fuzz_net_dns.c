/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the routed pod's resolver (dns.c) on arbitrary datagrams.  Checks: a reply is
 * never longer than 512 bytes and echoes the id with QR set; nothing is answered to a
 * response; records are given only for a name of the table, and only its addresses; a
 * reported name is canonical (lowercase, no NUL or control byte). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nc_dns_table t;
    uint8_t *q = malloc(size + 1), a[NC_DNS_REPLY_MAX];
    char name[NC_HOST_NAME_MAX + 1];
    enum nc_dns_outcome oc;
    uint16_t qtype;
    size_t n;

    if (q == NULL)
        return 0;
    if (t.n == 0) {
        t.n = 2;
        memcpy(t.e[0].name, "good.test", 10);
        t.e[0].naddrs = 2;
        memcpy(t.e[0].v4[0], "\x01\x02\x03\x04", 4);
        memcpy(t.e[0].v4[1], "\x05\x06\x07\x08", 4);
        memcpy(t.e[1].name, "a", 2);
        t.e[1].naddrs = NC_NET_MAX_ADDRS;
        for (unsigned i = 0; i < NC_NET_MAX_ADDRS; i++)
            memcpy(t.e[1].v4[i], "\x09\x09\x09", 3), t.e[1].v4[i][3] = (uint8_t)i;
    }
    memcpy(q, data, size);
    n = nc_dns_respond(&t, q, size, a, sizeof(a), &oc, name, &qtype);
    CHECK(n <= NC_DNS_REPLY_MAX);
    CHECK((n == 0) == (oc == NC_DNS_DROPPED));
    if (n > 0) {
        CHECK(n >= 12 && size >= 12);
        CHECK(memcmp(a, q, 2) == 0);
        CHECK(a[2] & 0x80);
        CHECK(!(q[2] & 0x80));
    }
    for (const char *p = name; *p != '\0'; p++)
        CHECK(*p > 0x20 && *p < 0x7f && !(*p >= 'A' && *p <= 'Z'));
    unsigned an = n >= 12 ? ((unsigned)a[6] << 8 | a[7]) : 0;
    if (oc == NC_DNS_ANSWERED) {
        size_t e = strcmp(name, "good.test") == 0 ? 0 : 1;
        CHECK(strcmp(name, t.e[e].name) == 0);
        CHECK(an >= 1 && an <= t.e[e].naddrs);
        for (unsigned k = 0; k < an; k++)
            CHECK(memcmp(a + n - 16 * (an - k) + 12, t.e[e].v4[k], 4) == 0);
    } else {
        CHECK(an == 0);
    }
    free(q);
    return 0;
}
