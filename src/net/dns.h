/* SPDX-License-Identifier: Apache-2.0 */
/* The routed pod's resolver: a strict parser for one-question DNS queries and the answer
 * built from the addresses pinned when the pod started (an allowlisted name gets its pinned
 * IPv4 addresses, anything else NXDOMAIN).  Pure (no system calls); fuzzed. */
#ifndef NC_NET_DNS_H
#define NC_NET_DNS_H

#include "net/host.h"
#include "net/rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_DNS_MAX_NAMES 64   /* names of one pod (network.allow has at most 64 entries) */
#define NC_DNS_QUERY_MAX 512  /* classic UDP DNS message size; larger queries are dropped */
#define NC_DNS_REPLY_MAX 512  /* a reply never exceeds it (fewer A records if need be) */
#define NC_DNS_TTL 60         /* seconds: the addresses never change for the pod's life */

/* The names a pod may resolve and their pinned IPv4 addresses. */
struct nc_dns_table {
    size_t n;
    struct {
        char name[NC_HOST_NAME_MAX + 1]; /* canonical (host.h) */
        size_t naddrs;
        uint8_t v4[NC_NET_MAX_ADDRS][4];
    } e[NC_DNS_MAX_NAMES];
};

enum nc_dns_outcome {
    NC_DNS_DROPPED = 0, /* no answer at all: not a query, too short, a response */
    NC_DNS_ANSWERED,    /* an allowlisted name, type A: its pinned addresses */
    NC_DNS_NODATA,      /* an allowlisted name, another type (AAAA...): no records */
    NC_DNS_NXDOMAIN,    /* any other name (or one that fails strict parsing) */
    NC_DNS_FORMERR,     /* malformed question, compression in the question, counts */
    NC_DNS_NOTIMP,      /* an opcode other than QUERY */
    NC_DNS_REFUSED,     /* a class other than IN */
};
const char *nc_dns_outcome_name(enum nc_dns_outcome o);

/* Answers one query q[0..qlen) into out[0..cap) (cap >= NC_DNS_REPLY_MAX).  Accepted: a
 * header with QR=0, opcode QUERY, exactly one question, no answer or authority records and
 * at most one additional record (an EDNS OPT, ignored: we answer without EDNS); the question
 * name in uncompressed labels of 1..63 bytes, 255 bytes at most on the wire, which must then
 * pass nc_host_parse as a name (not an address).  The name (canonical, or "" when it did not
 * parse) is written to name_out (NC_HOST_NAME_MAX + 1 bytes) and the type to *qtype.
 * Returns the length of the reply, or 0 with NC_DNS_DROPPED (nothing is sent). */
size_t nc_dns_respond(const struct nc_dns_table *t, const uint8_t *q, size_t qlen, uint8_t *out,
                      size_t cap, enum nc_dns_outcome *outcome, char *name_out,
                      uint16_t *qtype);

#endif
