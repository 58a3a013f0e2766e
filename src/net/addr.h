/* SPDX-License-Identifier: Apache-2.0 */
/* IP address classes (public, loopback, private, link-local, metadata, ...) for the gateway's
 * rebinding rule, and CIDR:port allowlist entries.  Pure (no system calls). */
#ifndef NC_NET_ADDR_H
#define NC_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nc_addr_class {
    NC_ADDR_PUBLIC = 0,
    NC_ADDR_UNSPECIFIED,   /* 0.0.0.0/8, :: */
    NC_ADDR_LOOPBACK,      /* 127.0.0.0/8, ::1 */
    NC_ADDR_PRIVATE,       /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
    NC_ADDR_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    NC_ADDR_CGNAT,         /* 100.64/10 (shared address space) */
    NC_ADDR_MULTICAST,     /* 224/4, ff00::/8 */
    NC_ADDR_METADATA,      /* cloud instance metadata: 169.254.169.254, fd00:ec2::254,
                              168.63.129.16 */
    NC_ADDR_RESERVED,      /* documentation, benchmarking, 240/4, broadcast, IETF protocol
                              assignments, discard-only, Teredo, deprecated site-local and
                              IPv4-compatible IPv6 */
};
#define NC_ADDR_CLASS_COUNT 9

/* Classifies an address (family AF_INET with 4 bytes or AF_INET6 with 16).  IPv6 addresses
 * that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4
 * 2002::/16) are classified by the IPv4 address they lead to: "[::ffff:127.0.0.1]" is
 * loopback.  The more specific class wins (169.254.169.254 is metadata, not link-local). */
enum nc_addr_class nc_addr_classify(int family, const uint8_t *addr);
const char *nc_addr_class_name(enum nc_addr_class c); /* "loopback", ... */

/* One allowlisted network: every address in addr/prefix, ports lo..hi. */
struct nc_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t prefix; /* 0..32 or 0..128 */
    uint16_t port_lo, port_hi;
};

/* Parses "ADDR[/PREFIX]:PORTS" where ADDR is a dotted quad or a bracketed IPv6 address
 * ("[fd00::]/8:443"), PREFIX defaults to the full length, and PORTS is a port, a range
 * "LO-HI" or "*" (every port).  The address must be the network's first address (no bits
 * set past the prefix: "10.0.0.1/8" is refused as ambiguous).  Returns 0 or -1 with *why. */
int nc_cidr_parse(const char *s, size_t len, struct nc_cidr *out, const char **why);
/* True when (family, addr, port) lies in the entry. */
bool nc_cidr_match(const struct nc_cidr *c, int family, const uint8_t *addr, uint16_t port);
/* Writes the canonical text of an entry ("10.0.0.0/8:443", "[fd00::]/8:*"). */
void nc_cidr_format(const struct nc_cidr *c, char *out, size_t outsz);

#endif
