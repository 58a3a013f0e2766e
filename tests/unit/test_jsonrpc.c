/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the JSON-RPC layer (src/proxy/jsonrpc.h): classification of every message
 * shape, the depth pre-check, the line reader's cap, encoding on one line; and the protocol
 * revision negotiation (src/proxy/mcp.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/jsonrpc.h"
#include "proxy/mcp.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum nc_rpc_kind kind_of(const char *s, int *code)
{
    struct nc_rpc_msg m;
    enum nc_rpc_kind k;
    nc_rpc_parse(s, strlen(s), &m);
    k = m.kind;
    *code = m.error_code;
    nc_rpc_msg_free(&m);
    return k;
}

static void classifies(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        enum nc_rpc_kind kind;
        int code;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", NC_RPC_REQUEST, 0},
        {"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"x\",\"params\":{}}", NC_RPC_REQUEST, 0},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", NC_RPC_NOTIFICATION,
         0},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", NC_RPC_RESPONSE, 0},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"m\"}}",
         NC_RPC_RESPONSE, 0},
        {"", NC_RPC_INVALID, NC_RPC_PARSE_ERROR},
        {"{", NC_RPC_INVALID, NC_RPC_PARSE_ERROR},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}", NC_RPC_INVALID,
         NC_RPC_PARSE_ERROR},
        {"[]", NC_RPC_INVALID, NC_RPC_INVALID_REQUEST},
        {"42", NC_RPC_INVALID, NC_RPC_INVALID_REQUEST},
        {"{\"id\":1,\"method\":\"x\"}", NC_RPC_INVALID, NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\"}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"x\"}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", NC_RPC_INVALID, NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\\u0000b\"}", NC_RPC_INVALID,
         NC_RPC_PARSE_ERROR},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":[1]}", NC_RPC_INVALID,
         NC_RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"extra\":1}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"result\":1}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}", NC_RPC_INVALID,
         NC_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"result\":1}", NC_RPC_INVALID, NC_RPC_INVALID_REQUEST},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int code = 0;
        enum nc_rpc_kind k = kind_of(cases[i].msg, &code);
        if (k != cases[i].kind || (k == NC_RPC_INVALID && code != cases[i].code))
            fail_msg("case %zu (%s): kind %d code %d", i, cases[i].msg, (int)k, code);
    }
}

static void invalid_keeps_the_id(void **state)
{
    (void)state;
    struct nc_rpc_msg m;
    const char *s = "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"x\",\"params\":3}";
    nc_rpc_parse(s, strlen(s), &m);
    assert_int_equal(m.kind, NC_RPC_INVALID);
    assert_non_null(m.id);
    assert_string_equal(json_string_value(m.id), "abc");
    nc_rpc_msg_free(&m);
}

static void depth(void **state)
{
    (void)state;
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_true(nc_rpc_depth_ok(deep, 128, 64) == false);
    assert_true(nc_rpc_depth_ok(deep + 40, 120, 64));
    /* brackets inside strings, escaped quotes included, do not count */
    const char *s = "{\"a\":\"[[[[[[[[\\\"[[[[[[[[[[\"}";
    assert_true(nc_rpc_depth_ok(s, strlen(s), 2));
    assert_false(nc_rpc_depth_ok("[[[", 3, 2));
}

static void encode_is_one_line(void **state)
{
    (void)state;
    size_t len = 0;
    json_t *m = nc_rpc_result(NULL, json_pack("{s:s}", "t", "a\nb\r\nc"));
    char *line = nc_rpc_encode(m, &len);
    assert_non_null(line);
    assert_int_equal(strlen(line), len);
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1));
    assert_non_null(strstr(line, "\"id\":null"));
    free(line);
    json_decref(m);
}

static void reader_caps_lines(void **state)
{
    (void)state;
    int p[2];
    struct nc_rpc_reader r;
    const char *line;
    size_t len, big = NC_RPC_MAX_MESSAGE + 10;
    char *buf = malloc(big + 64);
    assert_non_null(buf);
    assert_int_equal(pipe(p), 0);
    if (fork() == 0) {
        close(p[0]);
        memset(buf, 'x', big);
        buf[big] = '\n';
        (void)!write(p[1], "first\r\n", 7);
        for (size_t off = 0; off <= big;) {
            ssize_t w = write(p[1], buf + off, big + 1 - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        (void)!write(p[1], "\nlast", 5);
        _exit(0);
    }
    close(p[1]);
    assert_int_equal(nc_rpc_reader_init(&r, p[0], -1), 0);
    assert_int_equal(nc_rpc_read_line(&r, &line, &len), NC_RPC_READ_LINE);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "first", 5);
    assert_int_equal(nc_rpc_read_line(&r, &line, &len), NC_RPC_READ_TOO_LONG);
    assert_int_equal(nc_rpc_read_line(&r, &line, &len), NC_RPC_READ_LINE);
    assert_int_equal(len, 0); /* the empty line */
    assert_int_equal(nc_rpc_read_line(&r, &line, &len), NC_RPC_READ_LINE);
    assert_int_equal(len, 4);
    assert_memory_equal(line, "last", 4);
    assert_int_equal(nc_rpc_read_line(&r, &line, &len), NC_RPC_READ_EOF);
    nc_rpc_reader_free(&r);
    close(p[0]);
    free(buf);
}

static void negotiation(void **state)
{
    (void)state;
    assert_string_equal(nc_mcp_negotiate("2025-11-25"), "2025-11-25");
    assert_string_equal(nc_mcp_negotiate("2025-06-18"), "2025-06-18");
    assert_string_equal(nc_mcp_negotiate("2024-11-05"), "2024-11-05");
    assert_string_equal(nc_mcp_negotiate("2099-01-01"), NC_MCP_PROTOCOL);
    assert_string_equal(nc_mcp_negotiate(NULL), NC_MCP_PROTOCOL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classifies),         cmocka_unit_test(invalid_keeps_the_id),
        cmocka_unit_test(depth),              cmocka_unit_test(encode_is_one_line),
        cmocka_unit_test(reader_caps_lines), cmocka_unit_test(negotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
