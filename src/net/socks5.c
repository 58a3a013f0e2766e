/* SPDX-License-Identifier: Apache-2.0 */
/* SOCKS5 greeting and request parsers, reply encoding (see socks5.h). */
#include "net/socks5.h"

#include <string.h>
#include <sys/socket.h>

static enum nc_socks5_status fail(const char **why, const char *text)
{
    if (why != NULL)
        *why = text;
    return NC_SOCKS5_ERROR;
}

enum nc_socks5_status nc_socks5_greeting(const uint8_t *b, size_t len, size_t *used,
                                         uint8_t *reply, const char **why)
{
    size_t n;
    *used = 0;
    *reply = 0;
    if (len < 1)
        return NC_SOCKS5_MORE;
    if (b[0] != 5)
        return fail(why, "not a SOCKS5 greeting");
    if (len < 2)
        return NC_SOCKS5_MORE;
    n = b[1];
    if (n == 0)
        return fail(why, "the SOCKS5 greeting offers no method");
    if (len < 2 + n)
        return NC_SOCKS5_MORE;
    *used = 2 + n;
    if (memchr(b + 2, 0x00, n) == NULL) {
        *reply = NC_SOCKS5_NO_ACCEPTABLE;
        return fail(why, "the client does not offer 'no authentication'");
    }
    return NC_SOCKS5_DONE;
}

enum nc_socks5_status nc_socks5_request(const uint8_t *b, size_t len, size_t *used,
                                        struct nc_socks5_req *req, uint8_t *reply,
                                        enum nc_net_reason *reason, const char **why)
{
    size_t need, alen;
    const char *hw = NULL;

    *used = 0;
    *reply = NC_SOCKS5_GENERAL_FAILURE;
    *reason = NC_NET_BAD_REQUEST;
    memset(req, 0, sizeof(*req));
    if (len < 1)
        return NC_SOCKS5_MORE;
    if (b[0] != 5)
        return fail(why, "the SOCKS5 request has another version");
    if (len < 4)
        return NC_SOCKS5_MORE;
    if (b[2] != 0)
        return fail(why, "the SOCKS5 request's reserved byte is not zero");
    switch (b[3]) {
    case 1:
        alen = 4;
        need = 4 + 4 + 2;
        break;
    case 4:
        alen = 16;
        need = 4 + 16 + 2;
        break;
    case 3:
        if (len < 5)
            return NC_SOCKS5_MORE;
        alen = b[4];
        if (alen == 0) {
            *reason = NC_NET_BAD_HOST;
            *reply = NC_SOCKS5_NOT_ALLOWED;
            return fail(why, "empty domain name");
        }
        need = 5 + alen + 2;
        break;
    default:
        *reply = NC_SOCKS5_ATYP_UNSUPPORTED;
        *reason = NC_NET_UNSUPPORTED;
        return fail(why, "unknown SOCKS5 address type");
    }
    if (len < need)
        return NC_SOCKS5_MORE;
    *used = need;
    req->cmd = b[1];
    if (b[1] != 1) {
        /* BIND and UDP ASSOCIATE would open listening ports or datagram relays; only
         * outgoing TCP streams are gated by the rules. */
        *reply = NC_SOCKS5_CMD_UNSUPPORTED;
        *reason = NC_NET_UNSUPPORTED;
        return fail(why, "only the SOCKS5 CONNECT command is supported");
    }
    req->port = (uint16_t)((b[need - 2] << 8) | b[need - 1]);
    if (b[3] == 1) {
        nc_host_from_addr(AF_INET, b + 4, &req->host);
    } else if (b[3] == 4) {
        nc_host_from_addr(AF_INET6, b + 4, &req->host);
    } else if (nc_host_parse((const char *)b + 5, alen, false, &req->host, &hw) < 0) {
        *reply = NC_SOCKS5_NOT_ALLOWED;
        *reason = NC_NET_BAD_HOST;
        return fail(why, hw);
    }
    if (req->port == 0) {
        *reply = NC_SOCKS5_NOT_ALLOWED;
        *reason = NC_NET_BAD_REQUEST;
        return fail(why, "port 0");
    }
    *reply = NC_SOCKS5_SUCCEEDED;
    *reason = NC_NET_OK;
    return NC_SOCKS5_DONE;
}

uint8_t nc_socks5_code(enum nc_net_reason r)
{
    switch (r) {
    case NC_NET_OK: return NC_SOCKS5_SUCCEEDED;
    case NC_NET_BAD_HOST:
    case NC_NET_HOST_NOT_ALLOWED:
    case NC_NET_PORT_NOT_ALLOWED:
    case NC_NET_IP_NOT_ALLOWED:
    case NC_NET_ADDRESS_REFUSED: return NC_SOCKS5_NOT_ALLOWED;
    case NC_NET_RESOLVE_FAILED: return NC_SOCKS5_HOST_UNREACHABLE;
    case NC_NET_CONNECT_FAILED: return NC_SOCKS5_CONN_REFUSED;
    case NC_NET_UNSUPPORTED: return NC_SOCKS5_CMD_UNSUPPORTED;
    case NC_NET_TIMEOUT: return NC_SOCKS5_TTL_EXPIRED;
    case NC_NET_BAD_REQUEST:
    case NC_NET_BUSY: return NC_SOCKS5_GENERAL_FAILURE;
    }
    return NC_SOCKS5_GENERAL_FAILURE;
}

void nc_socks5_reply(uint8_t code, uint8_t out[10])
{
    memset(out, 0, 10);
    out[0] = 5;
    out[1] = code;
    out[3] = 1;
}
