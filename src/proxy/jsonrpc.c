/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-RPC 2.0 framing and classification for the MCP stdio transport. */
#include "proxy/jsonrpc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool nc_rpc_depth_ok(const char *buf, size_t len, unsigned max_depth)
{
    unsigned depth = 0;
    bool in_string = false, escaped = false;

    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return true;
}

static void invalid(struct nc_rpc_msg *out, int code, const char *message)
{
    out->kind = NC_RPC_INVALID;
    out->error_code = code;
    out->error_message = message;
}

/* An id is a string (bounded) or an integer; MCP forbids null, JSON-RPC discourages reals. */
static bool id_valid(const json_t *id)
{
    if (json_is_integer(id))
        return true;
    return json_is_string(id) && json_string_length(id) <= NC_RPC_MAX_ID;
}

void nc_rpc_parse(const char *buf, size_t len, struct nc_rpc_msg *out)
{
    json_error_t jerr;
    json_t *root, *v;
    const char *key;
    bool has_result = false, has_error = false;

    memset(out, 0, sizeof(*out));
    if (len > NC_RPC_MAX_MESSAGE) {
        invalid(out, NC_RPC_INVALID_REQUEST, "message too large");
        return;
    }
    if (!nc_rpc_depth_ok(buf, len, NC_RPC_MAX_DEPTH)) {
        invalid(out, NC_RPC_INVALID_REQUEST, "message nested too deeply");
        return;
    }
    /* Duplicate keys are refused: two "method" or "id" members could be read differently by
     * two components. */
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        invalid(out, NC_RPC_PARSE_ERROR, "parse error");
        return;
    }
    out->root = root;
    if (json_is_array(root)) {
        invalid(out, NC_RPC_INVALID_REQUEST, "batches are not supported");
        return;
    }
    if (!json_is_object(root)) {
        invalid(out, NC_RPC_INVALID_REQUEST, "a message must be a JSON object");
        return;
    }
    /* The id first, so that later errors can still be addressed to the request. */
    v = json_object_get(root, "id");
    if (v != NULL) {
        if (!id_valid(v)) {
            invalid(out, NC_RPC_INVALID_REQUEST, "id must be a string or an integer");
            return;
        }
        out->id = v;
    }
    v = json_object_get(root, "jsonrpc");
    if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
        invalid(out, NC_RPC_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
        return;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "result") == 0)
            has_result = true;
        else if (strcmp(key, "error") == 0)
            has_error = true;
        else if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "id") != 0 &&
                 strcmp(key, "method") != 0 && strcmp(key, "params") != 0) {
            invalid(out, NC_RPC_INVALID_REQUEST, "unknown member in message");
            return;
        }
    }
    v = json_object_get(root, "method");
    if (v == NULL) {
        if (out->id != NULL && (has_result != has_error) &&
            json_object_get(root, "params") == NULL) {
            out->kind = NC_RPC_RESPONSE;
            return;
        }
        invalid(out, NC_RPC_INVALID_REQUEST, "method missing");
        return;
    }
    if (has_result || has_error) {
        invalid(out, NC_RPC_INVALID_REQUEST, "a request cannot carry result or error");
        return;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        invalid(out, NC_RPC_INVALID_REQUEST, "method must be a non-empty string");
        return;
    }
    out->method = json_string_value(v);
    v = json_object_get(root, "params");
    if (v != NULL && !json_is_object(v)) {
        invalid(out, NC_RPC_INVALID_PARAMS, "params must be an object");
        return;
    }
    out->params = v;
    out->kind = out->id != NULL ? NC_RPC_REQUEST : NC_RPC_NOTIFICATION;
}

void nc_rpc_msg_free(struct nc_rpc_msg *msg)
{
    json_decref(msg->root);
    memset(msg, 0, sizeof(*msg));
}

static json_t *envelope(json_t *id)
{
    json_t *m = json_object();
    if (m == NULL)
        return NULL;
    if (json_object_set_new(m, "jsonrpc", json_string("2.0")) < 0 ||
        json_object_set_new(m, "id", id != NULL ? json_copy(id) : json_null()) < 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

json_t *nc_rpc_result(json_t *id, json_t *result_stolen)
{
    json_t *m = envelope(id);
    if (m == NULL || result_stolen == NULL ||
        json_object_set_new(m, "result", result_stolen) < 0) {
        json_decref(m);
        if (m == NULL)
            json_decref(result_stolen);
        return NULL;
    }
    return m;
}

json_t *nc_rpc_error(json_t *id, int code, const char *message, json_t *data_stolen)
{
    json_t *m = envelope(id);
    json_t *e = json_object();
    if (m == NULL || e == NULL || json_object_set_new(e, "code", json_integer(code)) < 0 ||
        json_object_set_new(e, "message", json_string(message)) < 0 ||
        (data_stolen != NULL && json_object_set(e, "data", data_stolen) < 0) ||
        json_object_set(m, "error", e) < 0) {
        json_decref(m);
        json_decref(e);
        json_decref(data_stolen);
        return NULL;
    }
    json_decref(e);
    json_decref(data_stolen);
    return m;
}

json_t *nc_rpc_notification(const char *method, json_t *params_stolen)
{
    json_t *m = json_object();
    if (m == NULL || json_object_set_new(m, "jsonrpc", json_string("2.0")) < 0 ||
        json_object_set_new(m, "method", json_string(method)) < 0 ||
        (params_stolen != NULL && json_object_set(m, "params", params_stolen) < 0)) {
        json_decref(m);
        json_decref(params_stolen);
        return NULL;
    }
    json_decref(params_stolen);
    return m;
}

char *nc_rpc_encode(const json_t *msg, size_t *len)
{
    /* Compact output escapes control characters inside strings, so the only newline is ours. */
    char *s = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t n;
    char *line;
    if (s == NULL)
        return NULL;
    n = strlen(s);
    line = realloc(s, n + 2);
    if (line == NULL) {
        free(s);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    *len = n + 1;
    return line;
}

/* ---- line reader ----------------------------------------------------------------------- */

#define READ_CHUNK ((size_t)65536)

int nc_rpc_reader_init(struct nc_rpc_reader *r, int fd, int stop_fd)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->stop_fd = stop_fd;
    r->cap = READ_CHUNK * 2;
    r->buf = malloc(r->cap);
    return r->buf != NULL ? 0 : -1;
}

void nc_rpc_reader_free(struct nc_rpc_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

enum nc_rpc_read nc_rpc_read_line(struct nc_rpc_reader *r, const char **line, size_t *len)
{
    for (;;) {
        /* A complete line in the buffer? */
        char *nl = r->len > r->start ? memchr(r->buf + r->start, '\n', r->len - r->start)
                                     : NULL;
        if (nl != NULL) {
            size_t n = (size_t)(nl - (r->buf + r->start));
            size_t at = r->start;
            r->start += n + 1;
            if (r->discarding || n > NC_RPC_MAX_MESSAGE + 1) {
                r->discarding = false;
                return NC_RPC_READ_TOO_LONG;
            }
            if (n > 0 && r->buf[at + n - 1] == '\r') /* tolerate CRLF */
                n--;
            *line = r->buf + at;
            *len = n;
            return NC_RPC_READ_LINE;
        }
        if (r->eof) {
            /* A last line without a newline is still a message. */
            if (r->len > r->start && !r->discarding) {
                *line = r->buf + r->start;
                *len = r->len - r->start;
                r->start = r->len;
                return NC_RPC_READ_LINE;
            }
            return NC_RPC_READ_EOF;
        }
        /* Compact, then decide whether the partial line is already too long. */
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->len - r->start);
            r->len -= r->start;
            r->start = 0;
        }
        if (r->len > NC_RPC_MAX_MESSAGE + 1) {
            r->discarding = true;
            r->len = 0;
        }
        if (r->cap - r->len < READ_CHUNK) {
            size_t ncap = r->cap * 2;
            char *nb;
            if (ncap > NC_RPC_MAX_MESSAGE + 2 * READ_CHUNK)
                ncap = NC_RPC_MAX_MESSAGE + 2 * READ_CHUNK;
            nb = realloc(r->buf, ncap);
            if (nb == NULL)
                return NC_RPC_READ_ERROR;
            r->buf = nb;
            r->cap = ncap;
        }
        if (r->stop_fd >= 0) {
            struct pollfd pf[2] = {{.fd = r->fd, .events = POLLIN},
                                   {.fd = r->stop_fd, .events = POLLIN}};
            if (poll(pf, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                return NC_RPC_READ_ERROR;
            }
            if (pf[1].revents != 0)
                return NC_RPC_READ_STOPPED;
        }
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return NC_RPC_READ_ERROR;
        }
        if (got == 0)
            r->eof = true;
        else
            r->len += (size_t)got;
    }
}
