/* SPDX-License-Identifier: Apache-2.0 */
/* Egress rules, refusal reasons and the test hosts map (see rules.h). */
#include "net/rules.h"

#include <string.h>
#include <sys/socket.h>

const char *nc_net_reason_name(enum nc_net_reason r)
{
    switch (r) {
    case NC_NET_OK: return "ok";
    case NC_NET_BAD_REQUEST: return "bad_request";
    case NC_NET_BAD_HOST: return "bad_host";
    case NC_NET_HOST_NOT_ALLOWED: return "host_not_allowed";
    case NC_NET_PORT_NOT_ALLOWED: return "port_not_allowed";
    case NC_NET_IP_NOT_ALLOWED: return "ip_not_allowed";
    case NC_NET_RESOLVE_FAILED: return "resolve_failed";
    case NC_NET_ADDRESS_REFUSED: return "address_refused";
    case NC_NET_CONNECT_FAILED: return "connect_failed";
    case NC_NET_UNSUPPORTED: return "unsupported";
    case NC_NET_BUSY: return "too_many_connections";
    case NC_NET_TIMEOUT: return "timeout";
    }
    return "bad_request";
}

const char *nc_net_reason_text(enum nc_net_reason r)
{
    switch (r) {
    case NC_NET_OK: return "allowed";
    case NC_NET_BAD_REQUEST: return "the request is malformed or exceeds a size limit";
    case NC_NET_BAD_HOST: return "the host name is malformed or not in canonical form";
    case NC_NET_HOST_NOT_ALLOWED: return "the host matches no entry of network.allow";
    case NC_NET_PORT_NOT_ALLOWED: return "the port is not allowed for host names";
    case NC_NET_IP_NOT_ALLOWED: return "IP addresses are reachable only when a network entry "
                                       "allows them";
    case NC_NET_RESOLVE_FAILED: return "the host name does not resolve";
    case NC_NET_ADDRESS_REFUSED: return "the host name resolves to a non-public address that "
                                        "no network entry allows";
    case NC_NET_CONNECT_FAILED: return "the destination did not accept the connection";
    case NC_NET_UNSUPPORTED: return "the gateway does not support this request";
    case NC_NET_BUSY: return "the gateway has too many connections";
    case NC_NET_TIMEOUT: return "the request timed out";
    }
    return "refused";
}

int nc_net_reason_http_status(enum nc_net_reason r)
{
    switch (r) {
    case NC_NET_OK: return 200;
    case NC_NET_BAD_REQUEST:
    case NC_NET_BAD_HOST: return 400;
    case NC_NET_HOST_NOT_ALLOWED:
    case NC_NET_PORT_NOT_ALLOWED:
    case NC_NET_IP_NOT_ALLOWED:
    case NC_NET_ADDRESS_REFUSED: return 403;
    case NC_NET_UNSUPPORTED: return 501;
    case NC_NET_RESOLVE_FAILED:
    case NC_NET_CONNECT_FAILED: return 502;
    case NC_NET_BUSY: return 503;
    case NC_NET_TIMEOUT: return 504;
    }
    return 400;
}

void nc_net_rules_init(struct nc_net_rules *r, const struct nc_list *domains)
{
    memset(r, 0, sizeof(*r));
    memcpy(&r->domains, domains, sizeof(r->domains));
    r->ports[0] = 80;
    r->ports[1] = 443;
    r->nports = 2;
}

static int refuse(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return -1;
}

int nc_net_rules_set_ports(struct nc_net_rules *r, const char *list, const char **why)
{
    uint16_t ports[NC_NET_MAX_PORTS];
    size_t n = 0, i = 0;
    if (list == NULL)
        return refuse(why, "empty port list");
    for (;;) {
        unsigned v = 0;
        size_t start = i;
        while (list[i] >= '0' && list[i] <= '9' && i - start < 6) {
            v = v * 10u + (unsigned)(list[i] - '0');
            i++;
        }
        if (i == start || i - start > 5 || v == 0 || v > 65535u)
            return refuse(why, "a port is not a number in 1..65535");
        if (n == NC_NET_MAX_PORTS)
            return refuse(why, "more than 32 ports");
        ports[n++] = (uint16_t)v;
        if (list[i] == '\0')
            break;
        if (list[i] != ',')
            return refuse(why, "ports are separated by commas");
        i++;
    }
    memcpy(r->ports, ports, n * sizeof(ports[0]));
    r->nports = n;
    return 0;
}

int nc_net_rules_add_cidr(struct nc_net_rules *r, const char *entry, const char **why)
{
    if (r->ncidrs == NC_NET_MAX_CIDRS)
        return refuse(why, "more than 64 network entries");
    if (nc_cidr_parse(entry, strnlen(entry, 256), &r->cidrs[r->ncidrs], why) < 0)
        return -1;
    r->ncidrs++;
    return 0;
}

static bool cidr_allows(const struct nc_net_rules *r, int family, const uint8_t *addr,
                        uint16_t port)
{
    for (size_t i = 0; i < r->ncidrs; i++)
        if (nc_cidr_match(&r->cidrs[i], family, addr, port))
            return true;
    return false;
}

enum nc_net_reason nc_net_check_target(const struct nc_net_rules *r, const struct nc_host *h,
                                       uint16_t port)
{
    bool port_ok = false;
    if (port == 0)
        return NC_NET_BAD_REQUEST;
    switch (h->kind) {
    case NC_HOST_IPV4:
        return cidr_allows(r, AF_INET, h->addr, port) ? NC_NET_OK : NC_NET_IP_NOT_ALLOWED;
    case NC_HOST_IPV6:
        return cidr_allows(r, AF_INET6, h->addr, port) ? NC_NET_OK : NC_NET_IP_NOT_ALLOWED;
    case NC_HOST_NAME:
        break;
    }
    if (nc_list_match_domain(&r->domains, h->text) == -1)
        return NC_NET_HOST_NOT_ALLOWED;
    for (size_t i = 0; i < r->nports; i++)
        if (r->ports[i] == port)
            port_ok = true;
    return port_ok ? NC_NET_OK : NC_NET_PORT_NOT_ALLOWED;
}

enum nc_net_reason nc_net_check_address(const struct nc_net_rules *r, int family,
                                        const uint8_t *addr, uint16_t port,
                                        enum nc_addr_class *cls)
{
    enum nc_addr_class c = nc_addr_classify(family, addr);
    if (cls != NULL)
        *cls = c;
    if (c == NC_ADDR_PUBLIC || cidr_allows(r, family, addr, port))
        return NC_NET_OK;
    return NC_NET_ADDRESS_REFUSED;
}

/* ---- hosts map ------------------------------------------------------------------------ */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

int nc_hosts_parse(const char *buf, size_t len, struct nc_hosts *out, const char **why,
                   size_t *line)
{
    size_t i = 0;
    *line = 0;
    memset(out, 0, sizeof(*out));
    while (i < len) {
        size_t end = i, p;
        struct nc_host addr;
        bool have_addr = false, named = false;

        (*line)++;
        while (end < len && buf[end] != '\n')
            end++;
        {
            const char *hash = memchr(buf + i, '#', end - i);
            size_t stop = hash != NULL ? (size_t)(hash - buf) : end;
            if (stop > i && buf[stop - 1] == '\r')
                stop--;
            p = i;
            while (p < stop) {
                size_t w;
                while (p < stop && is_space(buf[p]))
                    p++;
                if (p == stop)
                    break;
                w = p;
                while (w < stop && !is_space(buf[w]))
                    w++;
                if (!have_addr) {
                    /* An IPv6 address is written bare in a hosts file: bracket it. */
                    char tmp[NC_HOST_TEXT_MAX + 2];
                    const char *a = buf + p;
                    size_t alen = w - p;
                    if (memchr(a, ':', alen) != NULL) {
                        if (alen + 2 > sizeof(tmp))
                            return refuse(why, "address too long");
                        tmp[0] = '[';
                        memcpy(tmp + 1, a, alen);
                        tmp[alen + 1] = ']';
                        a = tmp;
                        alen += 2;
                    }
                    if (nc_host_parse(a, alen, true, &addr, why) < 0)
                        return -1;
                    if (addr.kind == NC_HOST_NAME)
                        return refuse(why, "a hosts line starts with an IP address");
                    have_addr = true;
                } else {
                    struct nc_host name;
                    if (nc_host_parse(buf + p, w - p, false, &name, why) < 0)
                        return -1;
                    if (name.kind != NC_HOST_NAME)
                        return refuse(why, "a hosts name must not be an address");
                    if (out->n == NC_HOSTS_MAX)
                        return refuse(why, "more than 256 hosts entries");
                    memcpy(out->e[out->n].name, name.text, sizeof(out->e[out->n].name));
                    out->e[out->n].family = addr.kind == NC_HOST_IPV4 ? AF_INET : AF_INET6;
                    memcpy(out->e[out->n].addr, addr.addr, 16);
                    out->n++;
                    named = true;
                }
                p = w;
            }
            if (have_addr && !named)
                return refuse(why, "a hosts line has an address but no name");
        }
        i = end < len ? end + 1 : end;
    }
    return 0;
}

void nc_hosts_lookup(const struct nc_hosts *h, const char *name, struct nc_addrs *out)
{
    out->n = 0;
    for (size_t i = 0; i < h->n && out->n < NC_NET_MAX_ADDRS; i++) {
        if (strcmp(h->e[i].name, name) != 0)
            continue;
        out->a[out->n].family = h->e[i].family;
        memcpy(out->a[out->n].addr, h->e[i].addr, 16);
        out->n++;
    }
}

static int add_port(uint16_t port, uint16_t *out, size_t max, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (out[i] == port)
            return 0;
    if (*n >= max)
        return -1;
    out[(*n)++] = port;
    return 0;
}

int nc_net_rules_dial_ports(const struct nc_net_rules *r, uint16_t *out, size_t max, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < r->nports; i++)
        if (add_port(r->ports[i], out, max, n) < 0)
            return -1;
    for (size_t i = 0; i < r->ncidrs; i++) {
        if ((size_t)(r->cidrs[i].port_hi - r->cidrs[i].port_lo) >= max)
            return -1;
        for (uint32_t p = r->cidrs[i].port_lo; p <= r->cidrs[i].port_hi; p++)
            if (add_port((uint16_t)p, out, max, n) < 0)
                return -1;
    }
    return 0;
}
