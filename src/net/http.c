/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's HTTP request-head parser (see http.h). */
#include "net/http.h"

#include <stdio.h>
#include <string.h>

static enum nc_net_reason bad(const char **why, enum nc_net_reason r, const char *text)
{
    if (why != NULL)
        *why = text;
    return r;
}

size_t nc_http_head_len(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* RFC 9110 tchar */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* The host and port of two parses name the same destination. */
static bool same_target(const struct nc_host *a, uint16_t ap, const struct nc_host *b,
                        uint16_t bp)
{
    return a->kind == b->kind && ap == bp && strcmp(a->text, b->text) == 0;
}

static enum nc_net_reason parse_target(const char *t, size_t n, struct nc_http_req *req,
                                       const char **why)
{
    static const char http[] = "http://", https[] = "https://";
    size_t auth_end, start;
    const char *hw = NULL;

    if (strcmp(req->method, "CONNECT") == 0) {
        req->kind = NC_HTTP_CONNECT;
        if (nc_authority_parse(t, n, 0, &req->host, &req->port, &hw) < 0)
            return bad(why, NC_NET_BAD_HOST, hw);
        return NC_NET_OK;
    }
    req->kind = NC_HTTP_FORWARD;
    if (n >= sizeof(https) - 1 && ieq(t, sizeof(https) - 1, https))
        return bad(why, NC_NET_UNSUPPORTED,
                   "https:// URLs go through CONNECT (the gateway does not terminate TLS)");
    if (n < sizeof(http) - 1 || !ieq(t, sizeof(http) - 1, http))
        return bad(why, NC_NET_BAD_REQUEST,
                   "not a proxy request: the target must be an absolute http:// URL");
    start = sizeof(http) - 1;
    if (memchr(t, '#', n) != NULL)
        return bad(why, NC_NET_BAD_REQUEST, "the target has a fragment");
    auth_end = start;
    while (auth_end < n && t[auth_end] != '/' && t[auth_end] != '?')
        auth_end++;
    if (auth_end == start)
        return bad(why, NC_NET_BAD_HOST, "the URL has no host");
    if (nc_authority_parse(t + start, auth_end - start, 80, &req->host, &req->port, &hw) < 0)
        return bad(why, NC_NET_BAD_HOST, hw);
    req->path = t + auth_end;
    req->path_len = n - auth_end;
    return NC_NET_OK;
}

enum nc_net_reason nc_http_parse(const char *buf, size_t len, struct nc_http_req *req,
                                 const char **why)
{
    size_t i = 0, line_end, sp1, sp2;
    bool host_seen = false;
    enum nc_net_reason r;

    memset(req, 0, sizeof(*req));
    if (len > NC_HTTP_HEAD_MAX)
        return bad(why, NC_NET_BAD_REQUEST, "the request head is longer than 32 KiB");
    if (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4) != 0)
        return bad(why, NC_NET_BAD_REQUEST, "the request head is not complete");
    /* Every byte: CR only before LF, LF only after CR, no NUL or other control byte except
     * HTAB (allowed in field values only; the line rules below refuse it elsewhere). */
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)buf[k];
        if (c == '\r') {
            if (k + 1 >= len || buf[k + 1] != '\n')
                return bad(why, NC_NET_BAD_REQUEST, "a bare CR in the request head");
        } else if (c == '\n') {
            if (k == 0 || buf[k - 1] != '\r')
                return bad(why, NC_NET_BAD_REQUEST, "a bare LF in the request head");
        } else if (c == 0) {
            return bad(why, NC_NET_BAD_REQUEST, "a NUL byte in the request head");
        } else if ((c < 0x20u && c != '\t') || c == 0x7fu) {
            return bad(why, NC_NET_BAD_REQUEST, "a control character in the request head");
        }
    }

    /* The request line. */
    line_end = 0;
    while (buf[line_end] != '\r')
        line_end++;
    if (line_end > NC_HTTP_LINE_MAX)
        return bad(why, NC_NET_BAD_REQUEST, "the request line is longer than 8 KiB");
    sp1 = 0;
    while (sp1 < line_end && buf[sp1] >= 'A' && buf[sp1] <= 'Z')
        sp1++;
    if (sp1 == 0 || sp1 > NC_HTTP_METHOD_MAX || sp1 >= line_end || buf[sp1] != ' ')
        return bad(why, NC_NET_BAD_REQUEST, "the method is not 1..16 uppercase letters");
    memcpy(req->method, buf, sp1);
    req->method[sp1] = '\0';
    sp2 = sp1 + 1;
    while (sp2 < line_end && (unsigned char)buf[sp2] > 0x20u && (unsigned char)buf[sp2] < 0x7fu)
        sp2++;
    if (sp2 == sp1 + 1 || sp2 >= line_end || buf[sp2] != ' ')
        return bad(why, NC_NET_BAD_REQUEST, "the request target is missing or not visible ASCII");
    if (line_end - sp2 - 1 != 8 || memcmp(buf + sp2 + 1, "HTTP/1.", 7) != 0 ||
        (buf[sp2 + 8] != '0' && buf[sp2 + 8] != '1'))
        return bad(why, NC_NET_BAD_REQUEST, "the version is not HTTP/1.0 or HTTP/1.1");
    req->minor = buf[sp2 + 8] - '0';
    r = parse_target(buf + sp1 + 1, sp2 - sp1 - 1, req, why);
    if (r != NC_NET_OK)
        return r;

    /* Header fields, until the empty line. */
    i = line_end + 2;
    while (i < len - 2) {
        size_t e = i, colon, vs, ve;
        while (buf[e] != '\r')
            e++;
        if (e - i > NC_HTTP_LINE_MAX)
            return bad(why, NC_NET_BAD_REQUEST, "a header field is longer than 8 KiB");
        if (buf[i] == ' ' || buf[i] == '\t')
            return bad(why, NC_NET_BAD_REQUEST, "obsolete line folding in a header field");
        colon = i;
        while (colon < e && is_tchar(buf[colon]))
            colon++;
        if (colon == i || colon >= e || buf[colon] != ':')
            return bad(why, NC_NET_BAD_REQUEST,
                       "a header field is not 'name: value' with a token name");
        vs = colon + 1;
        while (vs < e && (buf[vs] == ' ' || buf[vs] == '\t'))
            vs++;
        ve = e;
        while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
            ve--;
        if (req->nfields == NC_HTTP_MAX_HEADERS)
            return bad(why, NC_NET_BAD_REQUEST, "more than 100 header fields");
        req->fields[req->nfields].name = buf + i;
        req->fields[req->nfields].name_len = colon - i;
        req->fields[req->nfields].value = buf + vs;
        req->fields[req->nfields].value_len = ve - vs;
        req->nfields++;
        if (ieq(buf + i, colon - i, "host")) {
            struct nc_host h;
            uint16_t p;
            const char *hw = NULL;
            if (host_seen)
                return bad(why, NC_NET_BAD_REQUEST, "more than one Host field");
            host_seen = true;
            if (nc_authority_parse(buf + vs, ve - vs, req->kind == NC_HTTP_CONNECT ? req->port : 80,
                                   &h, &p, &hw) < 0)
                return bad(why, NC_NET_BAD_REQUEST, "the Host field is malformed");
            if (!same_target(&h, p, &req->host, req->port))
                return bad(why, NC_NET_BAD_REQUEST, "the Host field names another destination");
        }
        i = e + 2;
    }
    return NC_NET_OK;
}

static bool put(char *out, size_t outsz, size_t *n, const char *s, size_t len)
{
    if (len > outsz || *n > outsz - len)
        return false;
    memcpy(out + *n, s, len);
    *n += len;
    return true;
}

static bool puts0(char *out, size_t outsz, size_t *n, const char *s)
{
    return put(out, outsz, n, s, strlen(s));
}

/* The comma-separated tokens of a Connection field value include name. */
static bool listed(const struct nc_http_req *req, const char *name, size_t name_len)
{
    for (size_t f = 0; f < req->nfields; f++) {
        const struct nc_http_field *c = &req->fields[f];
        size_t i = 0;
        if (!ieq(c->name, c->name_len, "connection"))
            continue;
        while (i < c->value_len) {
            size_t s, e;
            while (i < c->value_len && (c->value[i] == ' ' || c->value[i] == '\t' ||
                                        c->value[i] == ','))
                i++;
            s = i;
            while (i < c->value_len && c->value[i] != ',')
                i++;
            e = i;
            while (e > s && (c->value[e - 1] == ' ' || c->value[e - 1] == '\t'))
                e--;
            if (e > s && e - s == name_len) {
                bool eq = true;
                for (size_t k = 0; k < name_len; k++)
                    if (lower(c->value[s + k]) != lower(name[k]))
                        eq = false;
                if (eq)
                    return true;
            }
        }
    }
    return false;
}

static bool hop_by_hop(const struct nc_http_req *req, const struct nc_http_field *f)
{
    static const char *const names[] = {"host",    "connection", "proxy-connection",
                                        "keep-alive", "proxy-authorization",
                                        "proxy-authenticate", "te", "trailer", "upgrade"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (ieq(f->name, f->name_len, names[i]))
            return true;
    /* Every Proxy-* field is addressed to a proxy (credentials among them): none goes on. */
    if (f->name_len >= 6 && ieq(f->name, 6, "proxy-"))
        return true;
    return listed(req, f->name, f->name_len);
}

size_t nc_http_forward_head(const struct nc_http_req *req, char *out, size_t outsz)
{
    size_t n = 0;
    char port[16];
    bool ok = true;

    if (req->kind != NC_HTTP_FORWARD)
        return 0;
    ok = ok && puts0(out, outsz, &n, req->method) && puts0(out, outsz, &n, " ");
    if (req->path_len == 0 || req->path[0] != '/')
        ok = ok && puts0(out, outsz, &n, "/");
    ok = ok && put(out, outsz, &n, req->path, req->path_len);
    ok = ok && puts0(out, outsz, &n, req->minor == 0 ? " HTTP/1.0\r\nHost: " : " HTTP/1.1\r\nHost: ");
    if (req->host.kind == NC_HOST_IPV6)
        ok = ok && puts0(out, outsz, &n, "[") && puts0(out, outsz, &n, req->host.text) &&
             puts0(out, outsz, &n, "]");
    else
        ok = ok && puts0(out, outsz, &n, req->host.text);
    if (req->port != 80) {
        snprintf(port, sizeof(port), ":%u", (unsigned)req->port);
        ok = ok && puts0(out, outsz, &n, port);
    }
    ok = ok && puts0(out, outsz, &n, "\r\n");
    for (size_t i = 0; ok && i < req->nfields; i++) {
        const struct nc_http_field *f = &req->fields[i];
        if (hop_by_hop(req, f))
            continue;
        ok = put(out, outsz, &n, f->name, f->name_len) && puts0(out, outsz, &n, ": ") &&
             put(out, outsz, &n, f->value, f->value_len) && puts0(out, outsz, &n, "\r\n");
    }
    ok = ok && puts0(out, outsz, &n, "Connection: close\r\n\r\n");
    return ok ? n : 0;
}

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

size_t nc_http_refusal(enum nc_net_reason reason, const char *what, const char *detail,
                       char *out, size_t outsz)
{
    char body[512];
    int status = nc_net_reason_http_status(reason);
    int bl, n;

    bl = snprintf(body, sizeof(body), "nucleus egress gateway: %s%s%s: %s (%s)%s%s\n",
                  reason == NC_NET_OK ? "allowed" : "refused", what != NULL ? " " : "",
                  what != NULL ? what : "", nc_net_reason_name(reason), nc_net_reason_text(reason),
                  detail != NULL ? ": " : "", detail != NULL ? detail : "");
    if (bl < 0)
        bl = 0;
    if ((size_t)bl >= sizeof(body))
        bl = (int)sizeof(body) - 1;
    n = snprintf(out, outsz,
                 "HTTP/1.1 %d %s\r\nX-Nucleus-Refusal: %s\r\nContent-Type: text/plain; "
                 "charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%.*s",
                 status, status_text(status), nc_net_reason_name(reason), bl, bl, body);
    if (n < 0 || outsz == 0)
        return 0;
    return (size_t)n >= outsz ? outsz - 1 : (size_t)n;
}
