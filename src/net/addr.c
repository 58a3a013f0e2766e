/* SPDX-License-Identifier: Apache-2.0 */
/* Address classes and CIDR entries (see addr.h). */
#include "net/addr.h"

#include "net/host.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The first `bits` bits of a and b are equal. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8u, rest = bits % 8u;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8u - rest));
    return (a[full] & mask) == (b[full] & mask);
}

struct range {
    uint8_t net[16];
    uint8_t bits;
    enum nc_addr_class cls;
};

/* Most specific first: the first match wins. */
static const struct range v4_ranges[] = {
    {{169, 254, 169, 254}, 32, NC_ADDR_METADATA}, /* AWS, GCP, Azure, OpenStack, Oracle */
    {{168, 63, 129, 16}, 32, NC_ADDR_METADATA},   /* Azure wireserver (a public address) */
    {{0, 0, 0, 0}, 8, NC_ADDR_UNSPECIFIED},       /* "this network"; 0.0.0.0 reaches localhost */
    {{10, 0, 0, 0}, 8, NC_ADDR_PRIVATE},
    {{100, 64, 0, 0}, 10, NC_ADDR_CGNAT}, /* also Alibaba's metadata 100.100.100.200 */
    {{127, 0, 0, 0}, 8, NC_ADDR_LOOPBACK},
    {{169, 254, 0, 0}, 16, NC_ADDR_LINK_LOCAL},
    {{172, 16, 0, 0}, 12, NC_ADDR_PRIVATE},
    {{192, 0, 0, 0}, 24, NC_ADDR_RESERVED},    /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24, NC_ADDR_RESERVED},    /* TEST-NET-1 */
    {{192, 88, 99, 0}, 24, NC_ADDR_RESERVED},  /* 6to4 relay anycast (deprecated) */
    {{192, 168, 0, 0}, 16, NC_ADDR_PRIVATE},
    {{198, 18, 0, 0}, 15, NC_ADDR_RESERVED},   /* benchmarking */
    {{198, 51, 100, 0}, 24, NC_ADDR_RESERVED}, /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24, NC_ADDR_RESERVED},  /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4, NC_ADDR_MULTICAST},
    {{240, 0, 0, 0}, 4, NC_ADDR_RESERVED}, /* future use and 255.255.255.255 */
};

static const struct range v6_ranges[] = {
    {{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128, NC_ADDR_METADATA},
    {{0}, 128, NC_ADDR_UNSPECIFIED},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, NC_ADDR_LOOPBACK},
    {{0}, 96, NC_ADDR_RESERVED}, /* IPv4-compatible (deprecated) */
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, NC_ADDR_PRIVATE}, /* local-use NAT64 */
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, NC_ADDR_RESERVED},      /* discard-only */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, NC_ADDR_RESERVED},            /* documentation */
    {{0x20, 0x01, 0x00, 0x00}, 32, NC_ADDR_RESERVED},            /* Teredo: hides an IPv4 */
    {{0x20, 0x01, 0x00, 0x10}, 28, NC_ADDR_RESERVED},            /* ORCHID (deprecated) */
    {{0x20, 0x01, 0x00, 0x20}, 28, NC_ADDR_RESERVED},            /* ORCHIDv2 */
    {{0x3f, 0xff, 0x00, 0x00}, 20, NC_ADDR_RESERVED},            /* documentation (2024) */
    {{0xfc, 0x00}, 7, NC_ADDR_PRIVATE},                          /* unique local */
    {{0xfe, 0x80}, 10, NC_ADDR_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, NC_ADDR_RESERVED}, /* site-local (deprecated) */
    {{0xff, 0x00}, 8, NC_ADDR_MULTICAST},
};

static enum nc_addr_class classify_table(const struct range *t, size_t n, const uint8_t *a)
{
    for (size_t i = 0; i < n; i++)
        if (prefix_eq(a, t[i].net, t[i].bits))
            return t[i].cls;
    return NC_ADDR_PUBLIC;
}

enum nc_addr_class nc_addr_classify(int family, const uint8_t *addr)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (family == AF_INET)
        return classify_table(v4_ranges, sizeof(v4_ranges) / sizeof(v4_ranges[0]), addr);
    if (family != AF_INET6)
        return NC_ADDR_RESERVED;
    /* An IPv6 address that leads to an IPv4 address is judged by that IPv4 address: the
     * kernel (mapped), a NAT64 translator or a 6to4 relay delivers it there. */
    if (memcmp(addr, mapped, 12) == 0 || memcmp(addr, nat64, 12) == 0)
        return nc_addr_classify(AF_INET, addr + 12);
    if (addr[0] == 0x20 && addr[1] == 0x02)
        return nc_addr_classify(AF_INET, addr + 2);
    return classify_table(v6_ranges, sizeof(v6_ranges) / sizeof(v6_ranges[0]), addr);
}

const char *nc_addr_class_name(enum nc_addr_class c)
{
    switch (c) {
    case NC_ADDR_PUBLIC: return "public";
    case NC_ADDR_UNSPECIFIED: return "unspecified";
    case NC_ADDR_LOOPBACK: return "loopback";
    case NC_ADDR_PRIVATE: return "private";
    case NC_ADDR_LINK_LOCAL: return "link_local";
    case NC_ADDR_CGNAT: return "cgnat";
    case NC_ADDR_MULTICAST: return "multicast";
    case NC_ADDR_METADATA: return "metadata";
    case NC_ADDR_RESERVED: return "reserved";
    }
    return "reserved";
}

static int refuse(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return -1;
}

/* Decimal 0..max from s[0..n), 1..5 digits. */
static int parse_num(const char *s, size_t n, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int nc_cidr_parse(const char *s, size_t len, struct nc_cidr *out, const char **why)
{
    struct nc_host h;
    const char *ports, *slash;
    size_t addr_end, bits_max;
    unsigned bits, lo, hi;

    memset(out, 0, sizeof(*out));
    if (s == NULL || len == 0)
        return refuse(why, "empty network entry");
    /* ADDR ends at ']' (IPv6) or at the first '/' or ':' (IPv4). */
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return refuse(why, "unterminated IPv6 literal");
        addr_end = (size_t)(close - s) + 1;
    } else {
        addr_end = 0;
        while (addr_end < len && s[addr_end] != '/' && s[addr_end] != ':')
            addr_end++;
    }
    if (nc_host_parse(s, addr_end, true, &h, why) < 0)
        return -1;
    if (h.kind == NC_HOST_NAME)
        return refuse(why, "a network entry needs an IP address, not a name");
    out->family = h.kind == NC_HOST_IPV4 ? AF_INET : AF_INET6;
    memcpy(out->addr, h.addr, sizeof(out->addr));
    bits_max = out->family == AF_INET ? 32 : 128;
    bits = (unsigned)bits_max;

    ports = memchr(s + addr_end, ':', len - addr_end);
    if (ports == NULL)
        return refuse(why, "a network entry needs ports (\":443\", \":8000-8999\" or \":*\")");
    slash = s + addr_end;
    if (slash < ports && *slash == '/') {
        if (parse_num(slash + 1, (size_t)(ports - slash - 1), (unsigned)bits_max, &bits) < 0)
            return refuse(why, "prefix length is not a number in range");
    } else if (slash != ports) {
        return refuse(why, "unexpected bytes after the address");
    }
    out->prefix = (uint8_t)bits;
    /* No bits past the prefix: "10.0.0.1/8" could mean the host or the network. */
    {
        uint8_t masked[16];
        memcpy(masked, out->addr, sizeof(masked));
        for (unsigned i = bits; i < bits_max; i++)
            masked[i / 8u] = (uint8_t)(masked[i / 8u] & ~(0x80u >> (i % 8u)));
        if (memcmp(masked, out->addr, bits_max / 8u) != 0)
            return refuse(why, "address has bits set past the prefix length");
    }
    ports++;
    {
        size_t n = len - (size_t)(ports - s);
        const char *dash = memchr(ports, '-', n);
        if (n == 1 && ports[0] == '*') {
            lo = 1;
            hi = 65535;
        } else if (dash != NULL) {
            if (parse_num(ports, (size_t)(dash - ports), 65535u, &lo) < 0 ||
                parse_num(dash + 1, n - (size_t)(dash - ports) - 1, 65535u, &hi) < 0)
                return refuse(why, "port range is not LO-HI with ports in 1..65535");
        } else {
            if (parse_num(ports, n, 65535u, &lo) < 0)
                return refuse(why, "port is not a number in 1..65535");
            hi = lo;
        }
    }
    if (lo == 0 || hi == 0 || lo > hi)
        return refuse(why, "port range is empty or includes port 0");
    out->port_lo = (uint16_t)lo;
    out->port_hi = (uint16_t)hi;
    return 0;
}

bool nc_cidr_match(const struct nc_cidr *c, int family, const uint8_t *addr, uint16_t port)
{
    if (c->family != family || port < c->port_lo || port > c->port_hi)
        return false;
    return prefix_eq(addr, c->addr, c->prefix);
}

void nc_cidr_format(const struct nc_cidr *c, char *out, size_t outsz)
{
    char a[NC_HOST_TEXT_MAX], ports[16];
    if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
        snprintf(a, sizeof(a), "?");
    if (c->port_lo == 1 && c->port_hi == 65535)
        snprintf(ports, sizeof(ports), "*");
    else if (c->port_lo == c->port_hi)
        snprintf(ports, sizeof(ports), "%u", (unsigned)c->port_lo);
    else
        snprintf(ports, sizeof(ports), "%u-%u", (unsigned)c->port_lo, (unsigned)c->port_hi);
    if (c->family == AF_INET6)
        snprintf(out, outsz, "[%s]/%u:%s", a, (unsigned)c->prefix, ports);
    else
        snprintf(out, outsz, "%s/%u:%s", a, (unsigned)c->prefix, ports);
}
