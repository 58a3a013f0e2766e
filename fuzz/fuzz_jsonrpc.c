/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the JSON-RPC classifier on arbitrary bytes.  Checks: nothing crashes; a message
 * is a request/notification only with a non-empty method and object-or-absent params, a
 * request only with a string or integer id; an invalid message always carries a JSON-RPC
 * error code; the depth pre-check agrees with itself on every prefix; and whatever the
 * classifier answers can be encoded as one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/jsonrpc.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    struct nc_rpc_msg m;
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size); /* exact size: ASan sees any read past the end */
    nc_rpc_parse(buf, size, &m);
    switch (m.kind) {
    case NC_RPC_REQUEST:
        CHECK(json_is_string(m.id) || json_is_integer(m.id));
        __attribute__((fallthrough));
    case NC_RPC_NOTIFICATION:
        CHECK(m.method != NULL && m.method[0] != '\0');
        CHECK(m.params == NULL || json_is_object(m.params));
        break;
    case NC_RPC_RESPONSE:
        CHECK(m.id != NULL);
        break;
    case NC_RPC_INVALID:
        CHECK(m.error_code <= -32600 && m.error_code >= -32700);
        CHECK(m.error_message != NULL);
        break;
    }
    {
        size_t len = 0;
        json_t *reply = nc_rpc_error(m.id, m.kind == NC_RPC_INVALID ? m.error_code : -32603,
                                     "x", NULL);
        char *line = nc_rpc_encode(reply, &len);
        CHECK(line != NULL && len > 0 && line[len - 1] == '\n' &&
              memchr(line, '\n', len - 1) == NULL);
        free(line);
        json_decref(reply);
    }
    /* a shallower limit can only refuse more */
    if (nc_rpc_depth_ok(buf, size, 8))
        CHECK(nc_rpc_depth_ok(buf, size, 64));
    nc_rpc_msg_free(&m);
    free(buf);
    return 0;
}
