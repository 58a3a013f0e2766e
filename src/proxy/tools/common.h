/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers the built-in tools share (implemented in proxy/tool.c): argument decoding against a
 * field table that refuses unknown, mistyped and out-of-range fields; the canonical argument
 * digest an approval binds to; audit parameters; summaries for approvers; output buffers that
 * keep text valid UTF-8; and the mapping from fs.h errors to tool errors.  Internal to the
 * proxy: the pipeline sees only tool.h. */
#ifndef NC_PROXY_TOOLS_COMMON_H
#define NC_PROXY_TOOLS_COMMON_H

#include "proxy/fs.h"
#include "proxy/tool.h"
#include "util/utf8.h"

#include <stdarg.h>
#include <stdlib.h>

/* ---- arguments ----------------------------------------------------------------------- */

enum nc_arg_type {
    NC_ARG_STRING = 0,
    NC_ARG_INT,
    NC_ARG_BOOL,
};

enum nc_arg_check {
    NC_ARG_TEXT = 0, /* any string (NUL allowed), bounded by max_len */
    NC_ARG_PATH,     /* nc_validate_path */
    NC_ARG_PATTERN,  /* nc_validate_pattern: length, control characters, the ReDoS screen */
    NC_ARG_GLOB,     /* nc_validate_glob, then nc_glob_check */
};

struct nc_arg_spec {
    const char *name;
    enum nc_arg_type type;
    bool required;
    enum nc_arg_check check; /* strings */
    size_t max_len;          /* strings: most bytes (0: the check's own limit) */
    bool nonempty;           /* strings: refuse "" */
    bool opaque;             /* strings: audited as {bytes, sha256}, never as text */
    int64_t min, max, def;   /* integers; def is also a boolean's default (0 or 1) */
};

struct nc_arg {
    bool present;  /* given by the client (otherwise the default applies) */
    const char *s; /* strings: into the JSON value (lives as long as plan->args) */
    size_t len;
    int64_t i; /* integers (the default when absent) */
    bool b;    /* booleans (the default when absent) */
};

#define NC_TOOL_MAX_FIELDS 8

/* Decodes args (a JSON object; NULL is {}) against spec[0..n).  Fails with EINVAL and a
 * message naming the field: not an object, an unknown field, a missing required one, a wrong
 * type (null included), an integer out of range, a string too long, empty or refused by its
 * check.  Absent optional fields get their defaults. */
int nc_tool_args_decode(const json_t *args, const struct nc_arg_spec *spec, size_t n,
                        struct nc_arg *out, struct nc_err *err);
/* The canonical digest of a decoded call: nc_approval_digest_args over
 *   "nucleus-tool-v1", tool, then per field in spec order: name, tag, value
 * with tag "s" (string bytes), "i" (decimal), "b" ("true"/"false") or "-" (absent, no
 * default).  Effective values are digested, so {path} and {path, offset: 1} are one call. */
int nc_tool_args_digest(const char *tool, const struct nc_arg_spec *spec, size_t n,
                        const struct nc_arg *vals, uint8_t out[NC_APPROVAL_DIGEST_LEN],
                        struct nc_err *err);
/* Audit parameters: integers and booleans as values, paths normalized (or {"invalid": true,
 * "bytes": n} when they leave the workspace), opaque strings as {"bytes", "sha256"}, other
 * strings as text.  NULL on allocation failure. */
json_t *nc_tool_args_audit(const struct nc_tool_env *env, const struct nc_arg_spec *spec,
                           size_t n, const struct nc_arg *vals);

/* ---- rendering ---------------------------------------------------------------------- */

/* The workspace-relative form of a client path for people ("(outside the workspace)" when
 * it does not normalize). */
void nc_tool_display_path(const struct nc_tool_env *env, const char *given, char *out,
                          size_t outsz);
/* At most max bytes of s (cut at a UTF-8 boundary, "…" appended when cut), control
 * characters shown as '?'. */
void nc_tool_clip(const char *s, size_t len, size_t max, char *out, size_t outsz);
/* Fills plan->summary; a summary that does not fit ends in "…". */
void nc_tool_summary(struct nc_tool_plan *plan, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Lowercase hex SHA-256 (65 bytes with the NUL). */
void nc_tool_sha256_hex(const void *data, size_t len, char out[65]);

/* A growing text buffer with a cap.  Appends are all or nothing: one that would pass `max`
 * sets `truncated` and returns 1 without appending. */
struct nc_buf {
    char *p;
    size_t len, cap, max;
    bool truncated;
};
int nc_buf_put(struct nc_buf *b, const char *s, size_t n);
__attribute__((format(printf, 2, 3))) int nc_buf_printf(struct nc_buf *b, const char *fmt, ...);
/* Appends s with each invalid UTF-8 sequence and each NUL replaced by U+FFFD (*lossy set when
 * one was). */
int nc_buf_put_utf8(struct nc_buf *b, const char *s, size_t n, bool *lossy);
/* Appends a file name: control bytes, invalid UTF-8 and '\' are written as \xNN and \\, so a
 * name cannot forge an output line. */
int nc_buf_put_name(struct nc_buf *b, const char *s, size_t n);
/* Returns the NUL-terminated text (an empty string for an empty buffer) and resets b. */
char *nc_buf_steal(struct nc_buf *b);
void nc_buf_free(struct nc_buf *b);

/* realloc for n elements of size bytes, refusing a product that overflows (reallocarray,
 * written with realloc so that gcc -fanalyzer follows the ownership). */
static inline void *nc_grow_array(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return realloc(p, bytes);
}

/* ---- file access ---------------------------------------------------------------------- */

static inline struct nc_fs nc_tool_fs(const struct nc_tool_env *env)
{
    struct nc_fs fs = {.root_fd = env->root_fd, .no_openat2 = env->openat2_disabled};
    return fs;
}
/* The tool error for a failed fs.h call (err->code picks the kind: not_found, is_directory,
 * not_regular, not_a_directory, outside_workspace, symlink_refused, permission_denied,
 * changed, too_large, cancelled, io_error); the message is err->msg (workspace paths only). */
int nc_tool_fail_fs(struct nc_tool_output *out, const struct nc_err *err);
/* After a lookup that followed a symlink inside the workspace (real differs from the decided
 * path): the policy must allow `op` on what was reached too.  Returns true when it does,
 * otherwise fills out with a path_denied tool error that does not name the target. */
bool nc_tool_check_real(const struct nc_tool_env *env, enum nc_op op, const char *decided,
                        const char *real, struct nc_tool_output *out);
/* True when a search need not enter the directory `rel`: the deny rules (or a Never
 * capability) cover it and so everything beneath it.  An allowlist miss does not prune: an
 * entry beneath may still be allowed (an allow entry for the .c files of src allows nothing named "src"). */
bool nc_tool_dir_pruned(const struct nc_tool_env *env, enum nc_op op, const char *rel);
/* True when one '/'-separated component of path is exactly name. */
bool nc_tool_has_component(const char *path, const char *name);
/* True when the first `n` bytes hold a NUL (the binary-file test). */
bool nc_tool_is_binary(const char *data, size_t n);
#define NC_TOOL_BINARY_PROBE 8192u /* bytes inspected for a NUL */

/* 0 when s[0..len) is a plain branch name (letters, digits, -_./; no "..", no component
 * starting with '.', not starting with '-' or '/', not ending with '/', '.' or ".lock", not
 * HEAD), else -1 with *why.  git_push and create_pr. */
int nc_git_branch_check(const char *s, size_t len, const char **why);

/* grep's worker count (0 = automatic, 2..4); for tests comparing parallel and serial runs. */
void nc_grep_set_workers(unsigned n);
/* grep's whole-file candidate scan (on by default); for tests comparing it with matching
 * every line on its own. */
void nc_grep_set_scan(bool on);
/* True when grep may find candidate lines by scanning a whole file with this pattern (see
 * src/proxy/tools/grep.c): nothing in it can see past the line a match starts in. */
bool nc_grep_scan_safe(const char *pat, size_t len);
/* The longest run of bytes every match of the pattern contains (grep searches files for it
 * before matching any line), read off simple patterns only; its length, or 0. */
size_t nc_grep_required_literal(const char *pat, size_t len, bool caseless, char *out,
                                size_t outsz);

#endif
