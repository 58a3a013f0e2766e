/* SPDX-License-Identifier: Apache-2.0 */
/* The read tool: lines of a text file beneath the workspace (docs/tools.md, "read"). */
#include "proxy/tools/common.h"

#include "util/cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_MAX_OUTPUT ((size_t)256 << 10) /* bytes of file content per call */
#define READ_MAX_LIMIT 20000
#define READ_CHUNK ((size_t)64 << 10)

static const struct nc_arg_spec read_args[] = {
    {.name = "path", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_PATH,
     .nonempty = true},
    {.name = "offset", .type = NC_ARG_INT, .min = 1, .max = INT32_MAX, .def = 1},
    {.name = "limit", .type = NC_ARG_INT, .min = 1, .max = READ_MAX_LIMIT, .def = 2000},
};
#define NARGS (sizeof(read_args) / sizeof(read_args[0]))

static const char read_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,"
    "\"description\":\"File to read, relative to the workspace root (an absolute path must lie "
    "inside the workspace).\"},"
    "\"offset\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":2147483647,\"default\":1,"
    "\"description\":\"First line to return, counting from 1.\"},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20000,\"default\":2000,"
    "\"description\":\"Most lines to return.\"}},"
    "\"required\":[\"path\"],"
    "\"additionalProperties\":false}";

static int read_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                     struct nc_err *err)
{
    struct nc_arg v[NARGS];
    char shown[NC_PATH_MAX + 1];
    int r = nc_tool_args_decode(args, read_args, NARGS, v, err);
    if (r < 0)
        return r;
    plan->op = NC_OP_READ_FILES;
    memcpy(plan->path, v[0].s, v[0].len + 1u); /* len <= NC_MAX_PATH, checked */
    plan->cost_kind = NC_COST_FILE_IO;
    plan->max_quantity = READ_MAX_OUTPUT;
    r = nc_tool_args_digest("read", read_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_display_path(env, plan->path, shown, sizeof(shown));
    nc_tool_summary(plan, "read %s (lines %" PRId64 "..%" PRId64 ")", shown, v[1].i,
                    v[1].i + v[2].i - 1);
    plan->audit_params = nc_tool_args_audit(env, read_args, NARGS, v);
    if (plan->audit_params == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->args = json_incref(args);
    return 0;
}

struct reader {
    int64_t offset, limit;
    int64_t line;     /* number of the line the next byte belongs to */
    int64_t taken;    /* complete lines collected */
    size_t full_end;  /* raw.len at the end of the last complete line */
    bool cap_hit, limit_hit;
    uint64_t seen;    /* bytes consumed */
    bool last_nl;     /* the last byte consumed was a newline */
    struct nc_buf raw;
};

/* Consumes one chunk; returns the bytes consumed (less than n once collection is over). */
static size_t consume_lines(struct reader *rd, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !rd->cap_hit && !rd->limit_hit) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t seg = nl != NULL ? (size_t)(nl - (p + i)) + 1u : n - i;
        if (rd->line < rd->offset) {
            /* skipping */
            if (nl != NULL)
                rd->line++;
            i += seg;
            continue;
        }
        if (rd->raw.len + seg > READ_MAX_OUTPUT) {
            size_t room = READ_MAX_OUTPUT - rd->raw.len;
            if (nc_buf_put(&rd->raw, p + i, room) < 0)
                return (size_t)-1;
            rd->cap_hit = true;
            i += room;
            break;
        }
        if (nc_buf_put(&rd->raw, p + i, seg) < 0)
            return (size_t)-1;
        i += seg;
        if (nl != NULL) {
            rd->line++;
            rd->taken++;
            rd->full_end = rd->raw.len;
            if (rd->taken == rd->limit)
                rd->limit_hit = true;
        }
    }
    return i;
}

static size_t consume(struct reader *rd, const char *p, size_t n)
{
    size_t i = consume_lines(rd, p, n);
    if (i != (size_t)-1 && i > 0) {
        rd->seen += i;
        rd->last_nl = p[i - 1u] == '\n';
    }
    return i;
}

static int read_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                     struct nc_tool_output *out, struct nc_err *err)
{
    struct nc_fs fs = nc_tool_fs(env);
    char real[NC_FS_PATH_MAX];
    struct stat st;
    struct nc_err ferr;
    struct reader rd;
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *chunk = NULL;
    struct nc_arg v[NARGS];
    size_t have = 0, used = 0, csz;
    bool eof = false, first = true, more = false, lossy = false, cut_line = false;
    int64_t next = 0;
    struct nc_buf text = {.max = 0};

    if (nc_tool_args_decode(plan->args, read_args, NARGS, v, err) < 0)
        return -1;
    memset(&rd, 0, sizeof(rd));
    rd.offset = v[1].i;
    rd.limit = v[2].i;
    rd.line = 1;

    fd = nc_fs_open_file(&fs, plan->decided_path, 0, &st, real, sizeof(real), &ferr);
    if (fd < 0)
        return nc_tool_fail_fs(out, &ferr);
    if (!nc_tool_check_real(env, NC_OP_READ_FILES, plan->decided_path, real, out))
        return 0;
    /* A chunk as large as the file (plus one byte, to see its end in one go) up to 64 KiB,
     * but never smaller than the binary probe: a small file does not cost a 64 KiB
     * allocation, and the first chunk still holds the whole probe. */
    csz = READ_CHUNK;
    if (st.st_size >= 0 && (uint64_t)st.st_size < READ_CHUNK)
        csz = (size_t)st.st_size + 1u;
    if (csz < (size_t)NC_TOOL_BINARY_PROBE + 1u)
        csz = (size_t)NC_TOOL_BINARY_PROBE + 1u;
    chunk = malloc(csz);
    if (chunk == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");

    while (!eof) {
        ssize_t n;
        if (env->cancelled != NULL && atomic_load(env->cancelled)) {
            nc_buf_free(&rd.raw);
            return nc_tool_fail(out, "cancelled", "cancelled");
        }
        n = nc_fs_read_full(fd, chunk, csz, &ferr);
        if (n < 0) {
            nc_buf_free(&rd.raw);
            return nc_tool_fail(out, "io_error", "'%s': %s", plan->decided_path, ferr.msg);
        }
        have = (size_t)n;
        eof = have < csz;
        if (first && nc_tool_is_binary(chunk, have)) {
            nc_buf_free(&rd.raw);
            return nc_tool_fail(out, "binary_file",
                                "'%s' looks like a binary file (a NUL byte in its first %u "
                                "bytes); read returns text only",
                                plan->decided_path, NC_TOOL_BINARY_PROBE);
        }
        first = false;
        used = consume(&rd, chunk, have);
        if (used == (size_t)-1) {
            nc_buf_free(&rd.raw);
            return nc_err_set(err, ENOMEM, "out of memory");
        }
        if (rd.cap_hit || rd.limit_hit) {
            /* Is there anything after what was collected? */
            if (used < have) {
                more = true;
            } else if (!eof) {
                n = nc_fs_read_full(fd, chunk, 1, &ferr);
                more = n > 0;
            }
            break;
        }
    }

    /* A last line without a newline is a line too. */
    if (!rd.cap_hit && !rd.limit_hit && rd.raw.len > rd.full_end) {
        rd.taken++;
        rd.full_end = rd.raw.len;
        rd.line++;
    }
    if (rd.cap_hit) {
        if (rd.taken > 0) {
            rd.raw.len = rd.full_end; /* drop the partial line; it starts the next call */
            rd.raw.p[rd.raw.len] = '\0';
            next = rd.offset + rd.taken;
        } else {
            /* A single line longer than the cap: return its start (without a character cut
             * in two), continue after it. */
            size_t s0 = rd.raw.len;
            while (s0 > 0 && rd.raw.len - s0 < 4u &&
                   ((unsigned char)rd.raw.p[s0 - 1u] & 0xc0u) == 0x80u)
                s0--;
            if (s0 > 0 && rd.raw.len - s0 < 4u)
                s0--; /* the lead byte of the last sequence */
            if (nc_utf8_seq((const unsigned char *)rd.raw.p + s0, rd.raw.len - s0) == 0)
                rd.raw.len = s0;
            rd.raw.p[rd.raw.len] = '\0';
            rd.taken = 1;
            cut_line = true;
            next = rd.offset + 1;
        }
        more = true;
    } else if (rd.limit_hit && more) {
        next = rd.offset + rd.taken;
    }

    if (rd.taken == 0 && (rd.seen > 0 || rd.offset > 1)) {
        int64_t total = rd.line - 1 + (rd.seen > 0 && !rd.last_nl ? 1 : 0);
        nc_buf_free(&rd.raw);
        return nc_tool_fail(out, "out_of_range",
                            "offset %" PRId64 " is past the end of '%s' (%" PRId64 " lines)",
                            rd.offset, plan->decided_path, total);
    }

    if (nc_buf_put_utf8(&text, rd.raw.p != NULL ? rd.raw.p : "", rd.raw.len, &lossy) < 0)
        goto oom;
    if (more) {
        if (text.len > 0 && text.p[text.len - 1u] != '\n' && nc_buf_put(&text, "\n", 1) < 0)
            goto oom;
        if (nc_buf_printf(&text,
                          "[truncated%s: %" PRId64 " lines shown; continue with offset=%" PRId64
                          "]\n",
                          cut_line ? " (this line is longer than 256 KiB)" : "", rd.taken,
                          next) < 0)
            goto oom;
    }
    out->structured = json_pack("{s:s,s:I,s:I,s:I,s:b,s:b,s:b}", "path", plan->decided_path,
                                "offset", (json_int_t)rd.offset, "lines", (json_int_t)rd.taken,
                                "bytes", (json_int_t)rd.raw.len, "truncated", more,
                                "line_cut", cut_line, "lossy", lossy);
    if (out->structured == NULL)
        goto oom;
    if (more && json_object_set_new(out->structured, "next_offset", json_integer(next)) < 0)
        goto oom;
    out->quantity = rd.raw.len;
    out->read_private = true;
    out->untrusted = nc_policy_path_untrusted(env->policy, plan->decided_path) ||
                     nc_policy_path_untrusted(env->policy, real);
    out->text = nc_buf_steal(&text);
    nc_buf_free(&rd.raw);
    if (out->text == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    return 0;
oom:
    nc_buf_free(&text);
    nc_buf_free(&rd.raw);
    return nc_err_set(err, ENOMEM, "out of memory");
}

const struct nc_tool nc_tool_read = {
    .name = "read",
    .title = "Read a file",
    .description = "Returns lines of a text file in the workspace: from `offset` (1-based, "
                   "default 1), at most `limit` lines (default 2000, at most 20000) and 256 KiB. "
                   "Binary files (a NUL byte in the first 8 KiB) are refused.  When the result "
                   "is cut, the last line says which offset to continue from.",
    .input_schema = read_schema,
    .op = NC_OP_READ_FILES,
    .plan = read_plan,
    .exec = read_exec,
    .cleanup = NULL,
};
