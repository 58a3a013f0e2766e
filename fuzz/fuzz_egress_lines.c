/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: nc_tool_egress_decisions (src/proxy/tool.c), the reader of a nested pod's egress
 * decisions for the audit record.  The first byte says whether the stream was cut; the rest
 * is the text.  Besides "no crash, no UB, no leak", checks: the result is NULL or a non-empty
 * array of at most NC_TOOL_EGRESS_MAX + 1 objects (the extra one only the "unreadable"
 * count); each has a boolean "allowed", only the gateway's keys, strings of at most 256
 * bytes and an integer port; more lines than the limit set *truncated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/tool.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static bool known_key(const char *k)
{
    static const char *const keys[] = {"allowed", "time", "proto", "reason", "host", "addr",
                                       "kind", "name", "detail", "port", "unreadable"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool cut, truncated;
    json_t *a, *v;
    size_t i;
    if (size < 1)
        return 0;
    cut = truncated = (data[0] & 1) != 0;
    a = nc_tool_egress_decisions((const char *)data + 1, size - 1, &truncated);
    CHECK(!cut || truncated);
    if (a == NULL)
        return 0;
    CHECK(json_is_array(a) && json_array_size(a) > 0 &&
          json_array_size(a) <= NC_TOOL_EGRESS_MAX + 1);
    json_array_foreach(a, i, v)
    {
        const char *k;
        json_t *f;
        CHECK(json_is_object(v) && json_is_boolean(json_object_get(v, "allowed")));
        json_object_foreach(v, k, f)
        {
            CHECK(known_key(k));
            if (json_is_string(f))
                CHECK(json_string_length(f) <= 256);
            else
                CHECK(json_is_boolean(f) || json_is_integer(f));
        }
        if (json_object_get(v, "unreadable") != NULL)
            CHECK(i == json_array_size(a) - 1);
    }
    json_decref(a);
    return 0;
}
