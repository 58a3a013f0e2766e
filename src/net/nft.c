/* SPDX-License-Identifier: Apache-2.0 */
/* The routed pod's nftables ruleset (nft.h).
 *
 * Where the rules live: in the HOST's network namespace, on the host side of the pod's veth
 * pair, so that nothing in the pod (even a process that regained capabilities in the pod's
 * user namespace, which owns the pod's network namespace) can see or change them.
 *
 * Every packet the pod sends arrives on the host side of the veth and traverses prerouting
 * before any routing decision, local delivery or forwarding, so one filter chain there sees
 * all of it.  It runs at priority 0, after the DNS redirection (dstnat, -100), so it judges
 * the destination the packet will really go to.  The chain drops by default:
 *   - anything but IPv4 (the pod has IPv6 disabled; this is the second wall);
 *   - a source address other than the pod's (no spoofing another flow's conntrack entry);
 *   - then accepts replies of connections already admitted (ct state established,related),
 *     UDP to the resolver's port 53, TCP to the pinned address:port pairs and to the IPv4
 *     network entries, and drops the rest.
 * Nothing may connect into the pod: output and forward chains drop packets for the pod's
 * interface unless they belong to a connection the pod opened.
 * Forwarded (non-local) destinations are masqueraded; whether the host forwards at all is
 * the operator's net.ipv4.ip_forward, which nucleus never changes. */
#include "net/nft.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define POOL_A 10
#define POOL_B 213

void nc_routed_plan_init(struct nc_routed_plan *p, unsigned slot)
{
    unsigned base = (slot % NC_ROUTED_SLOTS) * 4u; /* offset in 10.213.0.0/16 */
    memset(p, 0, offsetof(struct nc_routed_plan, endpoint));
    p->nendpoints = 0;
    p->ncidrs = 0;
    p->slot = slot % NC_ROUTED_SLOTS;
    snprintf(p->table, sizeof(p->table), "nucleus_%u", p->slot);
    snprintf(p->ifname, sizeof(p->ifname), "ncr%u", p->slot);
    p->host[0] = p->pod[0] = POOL_A;
    p->host[1] = p->pod[1] = POOL_B;
    p->host[2] = p->pod[2] = (uint8_t)(base >> 8);
    p->host[3] = (uint8_t)((base & 0xFFu) + 1u);
    p->pod[3] = (uint8_t)((base & 0xFFu) + 2u);
}

int nc_routed_plan_add(struct nc_routed_plan *p, const uint8_t addr[4], uint16_t port)
{
    for (size_t i = 0; i < p->nendpoints; i++)
        if (p->endpoint[i].port == port && memcmp(p->endpoint[i].addr, addr, 4) == 0)
            return 0;
    if (p->nendpoints >= NC_ROUTED_MAX_ENDPOINTS)
        return -1;
    memcpy(p->endpoint[p->nendpoints].addr, addr, 4);
    p->endpoint[p->nendpoints].port = port;
    p->nendpoints++;
    return 0;
}

struct buf {
    char *s;
    size_t cap, len;
    int bad;
};

static void __attribute__((format(printf, 2, 3))) put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->bad)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->bad = 1;
        return;
    }
    b->len += (size_t)n;
}

#define IP4(a) (unsigned)(a)[0], (unsigned)(a)[1], (unsigned)(a)[2], (unsigned)(a)[3]

long nc_nft_script(const struct nc_routed_plan *p, char *out, size_t cap)
{
    struct buf b = {.s = out, .cap = cap};
    const char *t = p->table, *i = p->ifname;

    if (cap == 0)
        return -1;
    /* "add" then "delete" makes the deletion succeed whether or not a stale table of this
     * slot exists; the whole file is one transaction, so the pod never sees a half table. */
    put(&b, "add table inet %s\ndelete table inet %s\n", t, t);
    put(&b, "table inet %s {\n", t);
    put(&b, "  chain egress {\n"
            "    type filter hook prerouting priority 0; policy accept;\n"
            "    iifname \"%s\" jump pod_egress\n"
            "  }\n", i);
    put(&b, "  chain pod_egress {\n"
            "    meta nfproto != ipv4 drop\n"
            "    ip saddr != %u.%u.%u.%u drop\n"
            "    ct state established,related accept\n"
            "    ip daddr %u.%u.%u.%u udp dport 53 accept\n",
        IP4(p->pod), IP4(p->host));
    if (p->nendpoints > 0) {
        put(&b, "    ip daddr . tcp dport {");
        for (size_t k = 0; k < p->nendpoints; k++)
            put(&b, "%s %u.%u.%u.%u . %u", k == 0 ? "" : ",", IP4(p->endpoint[k].addr),
                (unsigned)p->endpoint[k].port);
        put(&b, " } ct state new accept\n");
    }
    for (size_t k = 0; k < p->ncidrs; k++) {
        const struct nc_cidr *c = &p->cidr[k];
        if (c->family != AF_INET)
            continue; /* refused by the caller; never widened here */
        put(&b, "    ip daddr %u.%u.%u.%u/%u tcp dport %u-%u ct state new accept\n", IP4(c->addr),
            (unsigned)c->prefix, (unsigned)c->port_lo, (unsigned)c->port_hi);
    }
    put(&b, "    drop\n"
            "  }\n");
    /* Every DNS query the pod sends, to whatever server its resolv.conf names, reaches the
     * pod's resolver: the pod needs no configuration of its own. */
    put(&b, "  chain pod_dns {\n"
            "    type nat hook prerouting priority -100; policy accept;\n"
            "    iifname \"%s\" udp dport 53 dnat ip to %u.%u.%u.%u:53\n"
            "  }\n", i, IP4(p->host));
    put(&b, "  chain to_pod_local {\n"
            "    type filter hook output priority 0; policy accept;\n"
            "    oifname \"%s\" ct state established,related accept\n"
            "    oifname \"%s\" drop\n"
            "  }\n", i, i);
    put(&b, "  chain to_pod_forward {\n"
            "    type filter hook forward priority 0; policy accept;\n"
            "    oifname \"%s\" ct state established,related accept\n"
            "    oifname \"%s\" drop\n"
            "  }\n", i, i);
    put(&b, "  chain pod_nat_out {\n"
            "    type nat hook postrouting priority 100; policy accept;\n"
            "    ip saddr %u.%u.%u.%u oifname != \"%s\" masquerade\n"
            "  }\n", IP4(p->pod), i);
    put(&b, "}\n");
    return b.bad ? -1 : (long)b.len;
}

long nc_nft_delete_script(const struct nc_routed_plan *p, char *out, size_t cap)
{
    struct buf b = {.s = out, .cap = cap};
    if (cap == 0)
        return -1;
    put(&b, "add table inet %s\ndelete table inet %s\n", p->table, p->table);
    return b.bad ? -1 : (long)b.len;
}
