/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the gateway's HTTP request-head parser and the head it forwards.  The input is
 * one head (copied to an exact-size block).  Checks: a refusal has a reason text; an
 * accepted head has a canonical host and a port; the forwarded head is itself a valid proxy
 * request head's origin-form: one request line, CRLF line ends only, no NUL or bare CR/LF,
 * no hop-by-hop or Proxy- field, exactly one Host, and "Connection: close" last; the refusal
 * response's Content-Length is its body's length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static void check_forwarded(const char *out, size_t n)
{
    size_t hosts = 0, i = 0;
    CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
    CHECK(n >= 23 && memcmp(out + n - 23, "\r\nConnection: close\r\n\r\n", 23) == 0);
    for (size_t k = 0; k < n; k++) {
        CHECK(out[k] != '\0');
        if (out[k] == '\r')
            CHECK(k + 1 < n && out[k + 1] == '\n');
        if (out[k] == '\n')
            CHECK(k > 0 && out[k - 1] == '\r');
    }
    /* the request line */
    while (out[i] != ' ')
        i++;
    CHECK(out[i + 1] == '/');
    while (out[i] != '\r')
        i++;
    i += 2;
    while (i < n - 2) {
        size_t e = i;
        while (out[e] != '\r')
            e++;
        if (e - i >= 5 && strncasecmp(out + i, "host:", 5) == 0)
            hosts++;
        CHECK(!(e - i >= 6 && strncasecmp(out + i, "proxy-", 6) == 0));
        CHECK(!(e - i >= 11 && strncasecmp(out + i, "keep-alive:", 11) == 0));
        CHECK(!(e - i >= 8 && strncasecmp(out + i, "upgrade:", 8) == 0));
        i = e + 2;
    }
    CHECK(hosts == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nc_http_req req;
    const char *why = NULL;
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    (void)nc_http_head_len(s, size);
    enum nc_net_reason r = nc_http_parse(s, size, &req, &why);
    if (r != NC_NET_OK) {
        CHECK(why != NULL && why[0] != '\0');
        CHECK(r == NC_NET_BAD_REQUEST || r == NC_NET_BAD_HOST || r == NC_NET_UNSUPPORTED);
    } else {
        struct nc_host again;
        CHECK(req.port > 0);
        CHECK(req.host.text[0] != '\0');
        if (req.host.kind == NC_HOST_NAME)
            CHECK(nc_host_parse(req.host.text, strlen(req.host.text), false, &again, NULL) == 0);
        if (req.kind == NC_HTTP_FORWARD) {
            size_t cap = size + 1024;
            char *out = malloc(cap);
            if (out != NULL) {
                size_t n = nc_http_forward_head(&req, out, cap);
                CHECK(n > 0);
                check_forwarded(out, n);
                free(out);
            }
        }
    }
    {
        char resp[2048];
        size_t n = nc_http_refusal(r == NC_NET_OK ? NC_NET_HOST_NOT_ALLOWED : r,
                                   r == NC_NET_OK ? req.host.text : NULL, why, resp, sizeof(resp));
        const char *body = strstr(resp, "\r\n\r\n");
        const char *cl = strstr(resp, "Content-Length: ");
        CHECK(n > 0 && body != NULL && cl != NULL);
        CHECK((size_t)strtoul(cl + 16, NULL, 10) == strlen(body + 4));
    }
    free(s);
    return 0;
}
