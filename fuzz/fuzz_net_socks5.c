/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the SOCKS5 greeting and request parsers, fed as the gateway feeds them: the
 * whole input at once, and every prefix (a client may send one byte at a time).  Checks: a
 * prefix shorter than the message says MORE and consumes nothing; the verdict on the whole
 * message does not depend on how it arrived; DONE consumes at most the input; an accepted
 * domain is canonical and carries no NUL; a refusal has a reply code and a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/socks5.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size + 1);
    size_t used = 0, used2 = 0;
    uint8_t reply = 0;
    const char *why = NULL;
    if (b == NULL)
        return 0;
    memcpy(b, data, size);

    enum nc_socks5_status g = nc_socks5_greeting(b, size, &used, &reply, &why);
    CHECK(used <= size);
    if (g == NC_SOCKS5_DONE) {
        for (size_t k = 0; k < used; k++) {
            size_t u = 0;
            uint8_t rp = 0;
            enum nc_socks5_status p = nc_socks5_greeting(b, k, &u, &rp, NULL);
            CHECK(p == NC_SOCKS5_MORE || p == NC_SOCKS5_ERROR);
            CHECK(p != NC_SOCKS5_MORE || u == 0);
        }
        struct nc_socks5_req req;
        enum nc_net_reason reason;
        enum nc_socks5_status r =
            nc_socks5_request(b + used, size - used, &used2, &req, &reply, &reason, &why);
        CHECK(used2 <= size - used);
        if (r == NC_SOCKS5_DONE) {
            CHECK(reason == NC_NET_OK && reply == NC_SOCKS5_SUCCEEDED);
            CHECK(req.cmd == 1 && req.port != 0);
            CHECK(memchr(req.host.text, '\0', strlen(req.host.text)) == NULL);
            CHECK(req.host.text[0] != '\0');
            for (size_t k = 0; k < used2; k++) {
                size_t u = 0;
                struct nc_socks5_req q;
                uint8_t rp;
                enum nc_net_reason rs;
                enum nc_socks5_status p = nc_socks5_request(b + used, k, &u, &q, &rp, &rs, NULL);
                CHECK(p == NC_SOCKS5_MORE || p == NC_SOCKS5_ERROR);
            }
        } else if (r == NC_SOCKS5_ERROR) {
            CHECK(why != NULL);
            CHECK(reason != NC_NET_OK);
            CHECK(reply != NC_SOCKS5_SUCCEEDED);
        }
    } else if (g == NC_SOCKS5_ERROR) {
        CHECK(why != NULL);
    }
    free(b);
    return 0;
}
