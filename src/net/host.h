/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parsing of the host names and addresses the egress gateway is asked to reach: one
 * canonical spelling per destination, so that the policy, the resolver and the audit record
 * all see the same name.  Pure (no system calls); inputs are (pointer, length). */
#ifndef NC_NET_HOST_H
#define NC_NET_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_HOST_NAME_MAX 253 /* bytes of a canonical name, without the NUL */
#define NC_HOST_TEXT_MAX 64  /* a canonical IP address text is shorter (INET6_ADDRSTRLEN 46) */

enum nc_host_kind {
    NC_HOST_NAME = 0, /* a DNS name: resolved by the gateway */
    NC_HOST_IPV4,
    NC_HOST_IPV6,
};

struct nc_host {
    enum nc_host_kind kind;
    /* Canonical text: a name in lowercase without a trailing dot; an IPv4 address as a
     * dotted quad; an IPv6 address as inet_ntop writes it (no brackets). */
    char text[NC_HOST_NAME_MAX + 1];
    uint8_t addr[16]; /* IPv4: the first 4 bytes; IPv6: all 16 (network order) */
};

/* Parses a host as a client wrote it (an HTTP authority's host part, a SOCKS5 domain name).
 * Accepted:
 *   - names of letters, digits and '-' in dot-separated labels of 1..63 bytes (no label starts
 *     or ends with '-'), 253 bytes at most; lowercased; ONE trailing dot is dropped (the
 *     absolute form "a.com." is the same host as "a.com");
 *   - internationalized names only as A-labels ("xn--..."): any byte >= 0x80 is refused, so
 *     a homograph ("аpple.com" with a Cyrillic a, or a full-width dot) never reaches a
 *     resolver that would map it;
 *   - an IPv4 address only as a canonical dotted quad (four decimal numbers 0..255 without
 *     leading zeros).  A name whose last label starts with a digit must be one: resolvers
 *     read "127.1", "2130706433", "0x7f.0.0.1" and "0177.0.0.1" as IPv4 addresses too;
 *   - an IPv6 address only in brackets ("[::1]") and only when `brackets_ok` (the HTTP
 *     authority form); no zone identifier ("[fe80::1%eth0]").
 * Refused with a static reason: empty input, NUL, control characters, spaces, '_', '%', '\',
 * '@', '/', any other punctuation, empty labels ("a..b", ".a", "a.."), overlong names.
 * Returns 0 with *out filled, or -1 with *why set (why may be NULL). */
int nc_host_parse(const char *s, size_t len, bool brackets_ok, struct nc_host *out,
                  const char **why);

/* Splits an HTTP authority "host:port" ("[v6]:port") and parses both.  A missing port is an
 * error when default_port is 0 (CONNECT requires one), otherwise default_port is used.  The
 * port is 1..5 decimal digits with a value in 1..65535. */
int nc_authority_parse(const char *s, size_t len, uint16_t default_port, struct nc_host *out,
                       uint16_t *port, const char **why);

/* Fills out (IPv4 or IPv6 kind) from binary address bytes, with the canonical text. */
void nc_host_from_addr(int family, const uint8_t *addr, struct nc_host *out);

#endif
