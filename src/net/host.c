/* SPDX-License-Identifier: Apache-2.0 */
/* Strict host parsing (see host.h). */
#include "net/host.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static int refuse(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) is four decimal numbers 0..255 without leading zeros, separated by dots. */
static bool dotted_quad(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t start = i;
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            start = ++i;
        }
        while (i < n && is_digit(s[i]) && i - start < 3) {
            v = v * 10u + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start || v > 255u || (i - start > 1 && s[start] == '0'))
            return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

void nc_host_from_addr(int family, const uint8_t *addr, struct nc_host *out)
{
    memset(out, 0, sizeof(*out));
    if (family == AF_INET) {
        out->kind = NC_HOST_IPV4;
        memcpy(out->addr, addr, 4);
    } else {
        out->kind = NC_HOST_IPV6;
        memcpy(out->addr, addr, 16);
    }
    if (inet_ntop(family, out->addr, out->text, sizeof(out->text)) == NULL)
        out->text[0] = '\0'; /* cannot happen: the buffer is large enough */
}

static int parse_ipv6(const char *s, size_t n, struct nc_host *out, const char **why)
{
    char tmp[NC_HOST_TEXT_MAX];
    uint8_t a[16];
    if (n == 0)
        return refuse(why, "empty IPv6 address");
    if (n >= sizeof(tmp))
        return refuse(why, "IPv6 address too long");
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%')
            return refuse(why, "IPv6 zone identifiers are not accepted");
        if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f') || c == ':' || c == '.'))
            return refuse(why, "IPv6 address contains a byte other than hex digits, ':' and '.'");
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET6, tmp, a) != 1)
        return refuse(why, "malformed IPv6 address");
    nc_host_from_addr(AF_INET6, a, out);
    return 0;
}

int nc_host_parse(const char *s, size_t len, bool brackets_ok, struct nc_host *out,
                  const char **why)
{
    size_t n = len, label = 0, last_label = 0;

    memset(out, 0, sizeof(*out));
    if (s == NULL || len == 0)
        return refuse(why, "empty host");
    /* Bytes first, over the whole input: a NUL ends the C string a resolver sees (the
     * "attacker\0.allowed.com" parser differential), a control byte or non-ASCII letter has
     * no place in a host name. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0)
            return refuse(why, "host contains a NUL byte");
        if (c < 0x20u || c == 0x7fu)
            return refuse(why, "host contains a control character");
        if (c >= 0x80u)
            return refuse(why, "host contains non-ASCII bytes (internationalized names must be "
                               "given as A-labels, xn--...)");
    }
    if (s[0] == '[') {
        if (!brackets_ok)
            return refuse(why, "a bracketed IPv6 address is not accepted here");
        if (len < 2 || s[len - 1] != ']')
            return refuse(why, "unterminated IPv6 literal");
        return parse_ipv6(s + 1, len - 2, out, why);
    }
    /* The absolute form "a.com." names the same host as "a.com": one spelling for the policy
     * and the audit.  Only one dot: "a.com.." has an empty label. */
    if (n > 1 && s[n - 1] == '.')
        n--;
    if (n > NC_HOST_NAME_MAX)
        return refuse(why, "host is longer than 253 bytes");
    for (size_t i = 0; i < n; i++) {
        char c = lower(s[i]);
        if (c == '.') {
            if (label == 0)
                return refuse(why, "host has an empty label");
            if (out->text[i - 1] == '-')
                return refuse(why, "host label ends with '-'");
            label = 0;
            last_label = i + 1;
        } else if (is_ldh(c)) {
            if (c == '-' && label == 0)
                return refuse(why, "host label starts with '-'");
            if (++label > 63)
                return refuse(why, "host label is longer than 63 bytes");
        } else if (c == ':') {
            return refuse(why, "an IPv6 address must be written in brackets");
        } else {
            return refuse(why, "host may contain only letters, digits, '-' and '.'");
        }
        out->text[i] = c;
    }
    out->text[n] = '\0';
    if (label == 0)
        return refuse(why, "host has an empty label");
    if (out->text[n - 1] == '-')
        return refuse(why, "host label ends with '-'");
    /* No top-level domain starts with a digit: such a host is meant as an IPv4 address, and
     * only the canonical dotted quad is accepted as one. */
    if (is_digit(out->text[last_label])) {
        if (n != len)
            return refuse(why, "an IPv4 address has no trailing dot");
        if (!dotted_quad(out->text, n, out->addr))
            return refuse(why, "numeric host is not a canonical dotted-quad IPv4 address");
        out->kind = NC_HOST_IPV4;
        return 0;
    }
    out->kind = NC_HOST_NAME;
    return 0;
}

int nc_authority_parse(const char *s, size_t len, uint16_t default_port, struct nc_host *out,
                       uint16_t *port, const char **why)
{
    size_t host_end, p;
    unsigned v = 0;

    *port = 0;
    memset(out, 0, sizeof(*out));
    if (s == NULL || len == 0)
        return refuse(why, "empty authority");
    if (memchr(s, '@', len) != NULL)
        return refuse(why, "userinfo ('@') is not accepted in an authority");
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return refuse(why, "unterminated IPv6 literal");
        host_end = (size_t)(close - s) + 1;
        if (host_end < len && s[host_end] != ':')
            return refuse(why, "bytes after the IPv6 literal");
    } else {
        const char *colon = memchr(s, ':', len);
        host_end = colon != NULL ? (size_t)(colon - s) : len;
        if (colon != NULL && memchr(colon + 1, ':', len - host_end - 1) != NULL)
            return refuse(why, "an IPv6 address must be written in brackets");
    }
    if (host_end == 0)
        return refuse(why, "empty host");
    if (nc_host_parse(s, host_end, true, out, why) < 0)
        return -1;
    if (host_end == len) {
        if (default_port == 0)
            return refuse(why, "the authority has no port");
        *port = default_port;
        return 0;
    }
    p = host_end + 1;
    if (p == len)
        return refuse(why, "empty port");
    if (len - p > 5)
        return refuse(why, "port is not in 1..65535");
    for (size_t i = p; i < len; i++) {
        if (!is_digit(s[i]))
            return refuse(why, "port is not a decimal number");
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535u)
        return refuse(why, "port is not in 1..65535");
    *port = (uint16_t)v;
    return 0;
}
