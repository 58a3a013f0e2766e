/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's HTTP proxy parser: one request head (request line and header fields) from an
 * untrusted client, CONNECT in authority form or a plain-HTTP request in absolute form, and
 * the head forwarded upstream.  Pure: works on a buffer, bounded everywhere. */
#ifndef NC_NET_HTTP_H
#define NC_NET_HTTP_H

#include "net/host.h"
#include "net/rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_HTTP_HEAD_MAX 32768u   /* bytes of a request head, CRLFCRLF included */
#define NC_HTTP_LINE_MAX 8192u    /* bytes of one line (request line or header field) */
#define NC_HTTP_MAX_HEADERS 100u  /* header fields in one head */
#define NC_HTTP_METHOD_MAX 16u

enum nc_http_kind {
    NC_HTTP_CONNECT = 0, /* CONNECT host:port: a tunnel */
    NC_HTTP_FORWARD,     /* GET http://host/path: forwarded in origin form */
};

struct nc_http_field {
    const char *name, *value; /* into the parsed buffer; value without surrounding spaces */
    size_t name_len, value_len;
};

struct nc_http_req {
    enum nc_http_kind kind;
    char method[NC_HTTP_METHOD_MAX + 1];
    int minor; /* HTTP/1.<minor>: 0 or 1 */
    struct nc_host host;
    uint16_t port;
    /* NC_HTTP_FORWARD: the origin-form target (path and query), into the buffer; an empty
     * path ("http://a.com" or "http://a.com?q") is sent as "/" followed by the rest. */
    const char *path;
    size_t path_len;
    size_t nfields;
    struct nc_http_field fields[NC_HTTP_MAX_HEADERS];
};

/* Length of the head in buf[0..len) up to and including the first CRLFCRLF, or 0 when it is
 * not complete yet. */
size_t nc_http_head_len(const char *buf, size_t len);

/* Parses a complete head (buf[0..len) ends with CRLFCRLF).  Strict, because a proxy that
 * reads a request differently from the server behind it can be steered (request smuggling,
 * parser differentials):
 *   - lines end with CRLF; a bare CR or LF, a NUL or another control byte is refused;
 *   - the request line is METHOD SP TARGET SP HTTP/1.0|1.1 with single spaces, a method of
 *     1..16 uppercase letters and a target of visible ASCII;
 *   - CONNECT takes an authority "host:port" (port required); every other method takes an
 *     absolute http:// URL (https:// must use CONNECT: the gateway does not terminate TLS;
 *     an origin-form "/path" is not a proxy request); no fragment, no userinfo;
 *   - header fields are "name: value" with a token name, no space before the colon, no
 *     obsolete line folding, at most 100 of them and 8 KiB per line;
 *   - at most one Host field, and it must name the target's host and port.
 * Returns NC_NET_OK, NC_NET_BAD_REQUEST, NC_NET_BAD_HOST or NC_NET_UNSUPPORTED, with *why
 * set to a static text when not OK. */
enum nc_net_reason nc_http_parse(const char *buf, size_t len, struct nc_http_req *req,
                                 const char **why);

/* Writes the head sent upstream for a NC_HTTP_FORWARD request: the request line in origin
 * form, a Host field from the canonical target, every field of the client except Host and
 * the hop-by-hop ones (Connection and the fields it names, Keep-Alive, TE, Trailer, Upgrade,
 * and every Proxy-* field: Proxy-Authorization holds credentials meant for a proxy), then
 * "Connection: close".
 * Returns the length, or 0 when out is too small. */
size_t nc_http_forward_head(const struct nc_http_req *req, char *out, size_t outsz);

/* Writes a complete refusal response: status line for the reason's status, the fields
 * X-Nucleus-Refusal: <reason name>, Content-Type: text/plain, Content-Length, Connection:
 * close, and a one-line body naming the reason and `what` (a canonical destination such as
 * "example.com:443"; may be NULL).  Returns the length (truncated to outsz - 1). */
size_t nc_http_refusal(enum nc_net_reason reason, const char *what, const char *detail,
                       char *out, size_t outsz);

#endif
