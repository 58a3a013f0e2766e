/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-RPC 2.0 as MCP's stdio transport uses it: one message per line, a size cap and a
 * nesting cap checked before parsing, strict classification into request / notification /
 * response, and the standard error objects.  Parses untrusted bytes: fuzzed (fuzz/jsonrpc.c). */
#ifndef NC_PROXY_JSONRPC_H
#define NC_PROXY_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define NC_RPC_MAX_MESSAGE ((size_t)4 << 20) /* bytes in one message, newline excluded */
#define NC_RPC_MAX_DEPTH 64u                 /* nested arrays/objects in one message */
#define NC_RPC_MAX_ID 256u                   /* bytes of a string id */

/* Standard codes (JSON-RPC 2.0 section 5.1) and ours (-32000..-32099 are server errors). */
#define NC_RPC_PARSE_ERROR (-32700)
#define NC_RPC_INVALID_REQUEST (-32600)
#define NC_RPC_METHOD_NOT_FOUND (-32601)
#define NC_RPC_INVALID_PARAMS (-32602)
#define NC_RPC_INTERNAL_ERROR (-32603)
#define NC_RPC_SERVER_BUSY (-32000)       /* too many calls in flight */
#define NC_RPC_NOT_INITIALIZED (-32002)   /* a method other than ping before initialize */

enum nc_rpc_kind {
    NC_RPC_INVALID = 0,  /* answer with error_code / error_message (and id when known) */
    NC_RPC_REQUEST,      /* method + id */
    NC_RPC_NOTIFICATION, /* method, no id: never answered */
    NC_RPC_RESPONSE,     /* result or error with an id: a reply to us */
};

struct nc_rpc_msg {
    enum nc_rpc_kind kind;
    json_t *root;       /* owned: the parsed message (NULL when it did not parse) */
    json_t *id;         /* borrowed from root: a string or an integer, or NULL */
    const char *method; /* borrowed from root */
    json_t *params;     /* borrowed from root: an object, or NULL when absent */
    int error_code;     /* for NC_RPC_INVALID */
    const char *error_message; /* static text for NC_RPC_INVALID */
};

/* Classifies one message of len bytes (no newline).  Never fails: malformed input becomes
 * NC_RPC_INVALID with the right code (parse error, invalid request, invalid params: params
 * that are not an object).  Batches (arrays) are invalid requests: MCP removed them. */
void nc_rpc_parse(const char *buf, size_t len, struct nc_rpc_msg *out);
void nc_rpc_msg_free(struct nc_rpc_msg *msg);

/* True when buf nests arrays/objects at most max_depth deep (strings are skipped, so brackets
 * inside them do not count).  Lets the caller refuse a deep document before a recursive
 * parser sees it. */
bool nc_rpc_depth_ok(const char *buf, size_t len, unsigned max_depth);

/* New messages (NULL on allocation failure).  id and data are copied/borrowed as noted. */
json_t *nc_rpc_result(json_t *id, json_t *result_stolen);
json_t *nc_rpc_error(json_t *id, int code, const char *message, json_t *data_stolen);
json_t *nc_rpc_notification(const char *method, json_t *params_stolen);

/* Serialises msg as one line (compact JSON + '\n'; newlines inside strings are escaped).
 * Returns a malloc'd buffer and its length, or NULL. */
char *nc_rpc_encode(const json_t *msg, size_t *len);

/* A line reader over a file descriptor with the message cap: lines longer than the cap are
 * skipped to their newline and reported once as too long. */
struct nc_rpc_reader {
    int fd;
    int stop_fd; /* -1, or a descriptor whose readability ends reading (NC_RPC_READ_STOPPED) */
    char *buf;
    size_t cap, len, start;
    bool discarding; /* inside an over-long line */
    bool eof;
};
enum nc_rpc_read {
    NC_RPC_READ_LINE = 0, /* *line, *len hold one message (valid until the next call) */
    NC_RPC_READ_TOO_LONG, /* a line exceeded NC_RPC_MAX_MESSAGE and was skipped */
    NC_RPC_READ_EOF,
    NC_RPC_READ_ERROR, /* errno set */
    NC_RPC_READ_STOPPED, /* stop_fd became readable */
};
int nc_rpc_reader_init(struct nc_rpc_reader *r, int fd, int stop_fd);
void nc_rpc_reader_free(struct nc_rpc_reader *r);
enum nc_rpc_read nc_rpc_read_line(struct nc_rpc_reader *r, const char **line, size_t *len);

#endif
