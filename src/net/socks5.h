/* SPDX-License-Identifier: Apache-2.0 */
/* SOCKS5 (RFC 1928) as the gateway speaks it: no authentication, CONNECT only, IPv4, IPv6 and
 * domain-name destinations.  Incremental parsers over untrusted bytes and the reply encoder.
 * Pure. */
#ifndef NC_NET_SOCKS5_H
#define NC_NET_SOCKS5_H

#include "net/host.h"
#include "net/rules.h"

#include <stddef.h>
#include <stdint.h>

enum nc_socks5_status {
    NC_SOCKS5_MORE = 0, /* the message is not complete: read more bytes */
    NC_SOCKS5_DONE,     /* parsed; *used bytes belong to the message */
    NC_SOCKS5_ERROR,    /* refused: answer with *reply (when not 0) and close */
};

/* SOCKS5 reply codes (RFC 1928 section 6). */
#define NC_SOCKS5_SUCCEEDED 0x00
#define NC_SOCKS5_GENERAL_FAILURE 0x01
#define NC_SOCKS5_NOT_ALLOWED 0x02
#define NC_SOCKS5_NET_UNREACHABLE 0x03
#define NC_SOCKS5_HOST_UNREACHABLE 0x04
#define NC_SOCKS5_CONN_REFUSED 0x05
#define NC_SOCKS5_TTL_EXPIRED 0x06
#define NC_SOCKS5_CMD_UNSUPPORTED 0x07
#define NC_SOCKS5_ATYP_UNSUPPORTED 0x08
#define NC_SOCKS5_NO_ACCEPTABLE 0xff /* method selection: no acceptable method */

/* The greeting: VER=5, NMETHODS (1..255), METHODS.  DONE only when "no authentication"
 * (0x00) is offered; ERROR with *reply = NC_SOCKS5_NO_ACCEPTABLE when it is not (answer
 * 05 FF), or *reply = 0 for a message that is not SOCKS5 at all (close without answer). */
enum nc_socks5_status nc_socks5_greeting(const uint8_t *b, size_t len, size_t *used,
                                         uint8_t *reply, const char **why);

struct nc_socks5_req {
    uint8_t cmd; /* 1 CONNECT */
    struct nc_host host;
    uint16_t port;
};

/* The request: VER=5, CMD, RSV=0, ATYP (1 IPv4, 3 domain, 4 IPv6), DST.ADDR, DST.PORT.
 * A domain name is 1..255 bytes parsed by nc_host_parse (no NUL, no control byte, no
 * non-ASCII, canonical lowercase; a dotted quad becomes an IPv4 destination); port 0 is
 * refused.  On ERROR, *reply is the code to answer with and *reason the gateway's reason. */
enum nc_socks5_status nc_socks5_request(const uint8_t *b, size_t len, size_t *used,
                                        struct nc_socks5_req *req, uint8_t *reply,
                                        enum nc_net_reason *reason, const char **why);

/* The reply code for a gateway reason (NC_NET_OK -> succeeded). */
uint8_t nc_socks5_code(enum nc_net_reason r);
/* Writes a 10-byte reply: 05 REP 00 01 0.0.0.0 port 0 (the bound address is not disclosed). */
void nc_socks5_reply(uint8_t code, uint8_t out[10]);

#endif
