/* SPDX-License-Identifier: Apache-2.0 */
/* DNS answers for routed pods (dns.h).  RFC 1035 section 4.1 message layout.  The parser
 * reads only the header and the one question: nothing after it is looked at, so an EDNS OPT
 * record or trailing bytes cannot steer it. */
#include "net/dns.h"

#include <string.h>

#define DNS_HDR 12
#define TYPE_A 1
#define CLASS_IN 1
#define FLAG_QR 0x8000u
#define FLAG_AA 0x0400u
#define FLAG_RD 0x0100u
#define FLAG_RA 0x0080u
#define RCODE_FORMERR 1u
#define RCODE_NXDOMAIN 3u
#define RCODE_NOTIMP 4u
#define RCODE_REFUSED 5u

const char *nc_dns_outcome_name(enum nc_dns_outcome o)
{
    switch (o) {
    case NC_DNS_DROPPED: return "dropped";
    case NC_DNS_ANSWERED: return "answered";
    case NC_DNS_NODATA: return "nodata";
    case NC_DNS_NXDOMAIN: return "nxdomain";
    case NC_DNS_FORMERR: return "formerr";
    case NC_DNS_NOTIMP: return "notimp";
    case NC_DNS_REFUSED: return "refused";
    }
    return "invalid";
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The question name at q[DNS_HDR..): uncompressed labels.  Writes the dotted text (bytes as
 * they are; nc_host_parse judges them) and returns the wire length including the root
 * label, or 0 when malformed. */
static size_t read_qname(const uint8_t *q, size_t qlen, char *text, size_t textcap, size_t *tlen)
{
    size_t off = DNS_HDR, t = 0;
    for (;;) {
        if (off >= qlen)
            return 0;
        unsigned l = q[off];
        if (l == 0)
            break;
        if (l > 63) /* 0xC0 compression pointers and the reserved 0x40/0x80 label types */
            return 0;
        if (off + 1 + l > qlen || off + 1 + l - DNS_HDR > 254)
            return 0; /* past the message, or a name longer than 255 bytes on the wire */
        if (t != 0)
            text[t++] = '.';
        if (t + l >= textcap)
            return 0;
        memcpy(text + t, q + off + 1, l);
        t += l;
        off += 1 + l;
    }
    text[t] = '\0';
    *tlen = t;
    return off + 1 - DNS_HDR;
}

/* The header of a reply to q with rcode, one question and ancount answers. */
static void reply_header(const uint8_t *q, uint8_t *out, unsigned rcode, unsigned ancount,
                         unsigned qdcount)
{
    unsigned qflags = get16(q + 2);
    memcpy(out, q, 2); /* the id */
    /* QR, the opcode as asked, authoritative, RD as asked, RA (we are the pod's resolver) */
    put16(out + 2, FLAG_QR | (qflags & 0x7800u) | FLAG_AA | (qflags & FLAG_RD) | FLAG_RA | rcode);
    put16(out + 4, qdcount);
    put16(out + 6, ancount);
    put16(out + 8, 0);
    put16(out + 10, 0);
}

static size_t error_reply(const uint8_t *q, uint8_t *out, unsigned rcode, size_t qsize,
                          enum nc_dns_outcome *outcome, enum nc_dns_outcome oc)
{
    /* With the question echoed when it parsed (qsize > 0), without it otherwise. */
    reply_header(q, out, rcode, 0, qsize > 0 ? 1u : 0u);
    if (qsize > 0)
        memcpy(out + DNS_HDR, q + DNS_HDR, qsize);
    *outcome = oc;
    return DNS_HDR + qsize;
}

size_t nc_dns_respond(const struct nc_dns_table *t, const uint8_t *q, size_t qlen, uint8_t *out,
                      size_t cap, enum nc_dns_outcome *outcome, char *name_out,
                      uint16_t *qtype)
{
    char text[256];
    size_t tlen = 0, nlen, qsize;
    struct nc_host h;
    unsigned flags;

    *outcome = NC_DNS_DROPPED;
    name_out[0] = '\0';
    *qtype = 0;
    if (cap < NC_DNS_REPLY_MAX || qlen < DNS_HDR || qlen > NC_DNS_QUERY_MAX)
        return 0;
    flags = get16(q + 2);
    if (flags & FLAG_QR)
        return 0; /* a response: never answered (no loops between resolvers) */
    if (((flags >> 11) & 0xFu) != 0)
        return error_reply(q, out, RCODE_NOTIMP, 0, outcome, NC_DNS_NOTIMP);
    if (get16(q + 4) != 1 || get16(q + 6) != 0 || get16(q + 8) != 0 || get16(q + 10) > 1)
        return error_reply(q, out, RCODE_FORMERR, 0, outcome, NC_DNS_FORMERR);
    nlen = read_qname(q, qlen, text, sizeof(text), &tlen);
    if (nlen == 0 || DNS_HDR + nlen + 4 > qlen)
        return error_reply(q, out, RCODE_FORMERR, 0, outcome, NC_DNS_FORMERR);
    qsize = nlen + 4;
    *qtype = get16(q + DNS_HDR + nlen);
    if (get16(q + DNS_HDR + nlen + 2) != CLASS_IN)
        return error_reply(q, out, RCODE_REFUSED, qsize, outcome, NC_DNS_REFUSED);
    /* The same strict reading as the gateway's: no NUL, no control or non-ASCII byte, no
     * '_', canonical lowercase; an address spelled as a name is not a name. */
    if (tlen == 0 || nc_host_parse(text, tlen, false, &h, NULL) < 0 || h.kind != NC_HOST_NAME)
        return error_reply(q, out, RCODE_NXDOMAIN, qsize, outcome, NC_DNS_NXDOMAIN);
    memcpy(name_out, h.text, strlen(h.text) + 1);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->e[i].name, h.text) != 0)
            continue;
        if (*qtype != TYPE_A || t->e[i].naddrs == 0)
            return error_reply(q, out, 0, qsize, outcome, NC_DNS_NODATA);
        size_t n = t->e[i].naddrs < NC_NET_MAX_ADDRS ? t->e[i].naddrs : NC_NET_MAX_ADDRS;
        size_t off = DNS_HDR + qsize;
        /* A reply without EDNS stays within 512 bytes: fewer records rather than TC (the
         * client would retry over TCP, which the pod does not get). */
        if (n > (NC_DNS_REPLY_MAX - off) / 16)
            n = (NC_DNS_REPLY_MAX - off) / 16;
        reply_header(q, out, 0, (unsigned)n, 1);
        memcpy(out + DNS_HDR, q + DNS_HDR, qsize); /* the question as asked (0x20 case) */
        for (size_t k = 0; k < n; k++) {
            put16(out + off, 0xC000u | DNS_HDR); /* the name: a pointer to the question's */
            put16(out + off + 2, TYPE_A);
            put16(out + off + 4, CLASS_IN);
            put16(out + off + 6, 0);
            put16(out + off + 8, NC_DNS_TTL);
            put16(out + off + 10, 4);
            memcpy(out + off + 12, t->e[i].v4[k], 4);
            off += 16;
        }
        *outcome = NC_DNS_ANSWERED;
        return off;
    }
    return error_reply(q, out, RCODE_NXDOMAIN, qsize, outcome, NC_DNS_NXDOMAIN);
}
