/* SPDX-License-Identifier: Apache-2.0 */
/* The egress rules the gateway enforces: which names, ports and networks a pod may reach,
 * the reasons a connection is refused, and the test hosts map that replaces DNS.  Pure. */
#ifndef NC_NET_RULES_H
#define NC_NET_RULES_H

#include "core/list.h"
#include "net/addr.h"
#include "net/host.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_NET_MAX_PORTS 32
#define NC_NET_MAX_CIDRS 64
#define NC_NET_MAX_ADDRS 16  /* addresses kept from one resolution */
#define NC_HOSTS_MAX 256     /* entries of a hosts map */

/* Why the gateway refused (or could not complete) a connection.  Stable snake_case names
 * (nc_net_reason_name) appear in the X-Nucleus-Refusal header and the audit record. */
enum nc_net_reason {
    NC_NET_OK = 0,
    NC_NET_BAD_REQUEST,      /* malformed HTTP or SOCKS5, or over a size limit */
    NC_NET_BAD_HOST,         /* the host fails strict parsing (host.h) */
    NC_NET_HOST_NOT_ALLOWED, /* the name matches no entry of network.allow */
    NC_NET_PORT_NOT_ALLOWED, /* the port is not one the rules admit for names */
    NC_NET_IP_NOT_ALLOWED,   /* an IP address given directly matches no network entry */
    NC_NET_RESOLVE_FAILED,   /* the name has no address */
    NC_NET_ADDRESS_REFUSED,  /* the name resolves to a non-public address not allowlisted */
    NC_NET_CONNECT_FAILED,   /* no address of the destination accepted the connection */
    NC_NET_UNSUPPORTED,      /* a SOCKS5 command other than CONNECT, https:// through plain
                                HTTP, an authentication method we do not offer */
    NC_NET_BUSY,             /* too many connections */
    NC_NET_TIMEOUT,          /* the client or the destination was too slow */
};
const char *nc_net_reason_name(enum nc_net_reason r);
const char *nc_net_reason_text(enum nc_net_reason r); /* one sentence for people */
/* The HTTP status a refusal is answered with (400, 403, 501, 502, 503, 504). */
int nc_net_reason_http_status(enum nc_net_reason r);

struct nc_net_rules {
    struct nc_list domains; /* network.allow: names and *.suffix wildcards, or unrestricted */
    uint16_t ports[NC_NET_MAX_PORTS]; /* ports a name may be reached on */
    size_t nports;
    struct nc_cidr cidrs[NC_NET_MAX_CIDRS]; /* networks reachable by address */
    size_t ncidrs;
};

/* domains (a NC_LIST_DOMAINS list) is copied; ports default to 80 and 443; no networks. */
void nc_net_rules_init(struct nc_net_rules *r, const struct nc_list *domains);
/* Replaces the ports with a comma-separated list ("80,443,8443").  -1 with *why. */
int nc_net_rules_set_ports(struct nc_net_rules *r, const char *list, const char **why);
/* Adds a network entry (addr.h syntax). */
int nc_net_rules_add_cidr(struct nc_net_rules *r, const char *entry, const char **why);

/* Every TCP port the gateway may dial under r: the name ports and each network entry's
 * ports, without duplicates, into out[0..max); *n gets the count.  -1 when they do not fit
 * (a wide range, "*"): the caller cannot list them and must not restrict by port. */
int nc_net_rules_dial_ports(const struct nc_net_rules *r, uint16_t *out, size_t max, size_t *n);

/* The destination as asked: a name must match the domains and use an admitted port; an IP
 * address must lie in a network entry (a public address given directly is refused too: the
 * policy names hosts, and an address bypasses it). */
enum nc_net_reason nc_net_check_target(const struct nc_net_rules *r, const struct nc_host *h,
                                       uint16_t port);
/* One resolved address of an allowed name (the DNS rebinding rule): a public address is
 * fine; any other class only when a network entry admits (address, port).  *cls gets the
 * class (may be NULL). */
enum nc_net_reason nc_net_check_address(const struct nc_net_rules *r, int family,
                                        const uint8_t *addr, uint16_t port,
                                        enum nc_addr_class *cls);

/* Resolved addresses, in resolver order. */
struct nc_addrs {
    size_t n;
    struct {
        int family;
        uint8_t addr[16];
    } a[NC_NET_MAX_ADDRS];
};

/* A hosts map for tests: it replaces DNS entirely (a name it lacks does not resolve), so a
 * test never reaches the network.  Text format: one "ADDRESS NAME [NAME...]" per line, '#'
 * starts a comment; names are parsed and canonicalized as host.h says. */
struct nc_hosts {
    size_t n;
    struct {
        char name[NC_HOST_NAME_MAX + 1];
        int family;
        uint8_t addr[16];
    } e[NC_HOSTS_MAX];
};
/* Parses buf[0..len).  Returns 0, or -1 with *why and *line (1-based) set. */
int nc_hosts_parse(const char *buf, size_t len, struct nc_hosts *out, const char **why,
                   size_t *line);
/* The addresses of a canonical name, in file order (out->n == 0 when none). */
void nc_hosts_lookup(const struct nc_hosts *h, const char *name, struct nc_addrs *out);

#endif
