/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the tools (tool.h, tools/common.h): plan and output lifetimes, tool
 * errors, search visibility, argument decoding, digests, audit parameters and text buffers. */
#include "tool.h"

#include "core/validate.h"
#include "proxy/nested.h"
#include "tools/common.h"
#include "util/cleanup.h"
#include "util/ossl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lifetimes ----------------------------------------------------------------------- */

void nc_tool_plan_init(struct nc_tool_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
}

void nc_tool_plan_free(const struct nc_tool *tool, struct nc_tool_plan *plan)
{
    if (plan == NULL)
        return;
    if (tool != NULL && tool->cleanup != NULL)
        tool->cleanup(plan);
    json_decref(plan->audit_params);
    json_decref(plan->args);
    memset(plan, 0, sizeof(*plan));
}

void nc_tool_output_free(struct nc_tool_output *out)
{
    if (out == NULL)
        return;
    free(out->text);
    json_decref(out->structured);
    json_decref(out->egress);
    memset(out, 0, sizeof(*out));
}

int nc_tool_fail(struct nc_tool_output *out, const char *kind, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    struct nc_buf b = {.max = sizeof(msg) * 3u};
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    free(out->text);
    /* Messages carry workspace paths that may hold any bytes: keep the text valid UTF-8. */
    if (nc_buf_put_utf8(&b, msg, strlen(msg), NULL) < 0)
        nc_buf_free(&b);
    out->text = nc_buf_steal(&b);
    out->is_error = true;
    out->kind = kind;
    return 0;
}

bool nc_tool_path_visible(const struct nc_tool_env *env, enum nc_op op, const char *rel)
{
    struct nc_request r;
    struct nc_decision d;
    memset(&r, 0, sizeof(r));
    r.op = op;
    r.root = env->root;
    r.path = rel;
    nc_decide(env->policy, NULL, &r, &d);
    return d.verdict != NC_DENY;
}

bool nc_tool_dir_pruned(const struct nc_tool_env *env, enum nc_op op, const char *rel)
{
    struct nc_request r;
    struct nc_decision d;
    memset(&r, 0, sizeof(r));
    r.op = op;
    r.root = env->root;
    r.path = rel;
    nc_decide(env->policy, NULL, &r, &d);
    return d.verdict == NC_DENY &&
           (d.reason == NC_R_PATH_DENIED || d.reason == NC_R_CAP_NEVER ||
            d.reason == NC_R_PATH_INVALID);
}

bool nc_tool_check_real(const struct nc_tool_env *env, enum nc_op op, const char *decided,
                        const char *real, struct nc_tool_output *out)
{
    if (strcmp(decided, real) == 0 || nc_tool_path_visible(env, op, real))
        return true;
    char shown[256];
    nc_tool_clip(decided, strlen(decided), 200, shown, sizeof(shown));
    nc_tool_fail(out, "path_denied",
                 "'%s' goes through a symbolic link to a path the policy does not allow for %s",
                 shown, nc_op_name(op));
    return false;
}

bool nc_tool_has_component(const char *path, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = path; *p != '\0';) {
        const char *e = strchr(p, '/');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if (n == nl && memcmp(p, name, n) == 0)
            return true;
        p += n;
        if (*p == '/')
            p++;
    }
    return false;
}

bool nc_tool_is_binary(const char *data, size_t n)
{
    return memchr(data, '\0', n < NC_TOOL_BINARY_PROBE ? n : NC_TOOL_BINARY_PROBE) != NULL;
}

int nc_tool_fail_fs(struct nc_tool_output *out, const struct nc_err *err)
{
    const char *kind;
    switch (err->code) {
    case ENOENT:
        kind = "not_found";
        break;
    case EISDIR:
        kind = "is_directory";
        break;
    case ENODEV:
        kind = "not_regular";
        break;
    case ENOTDIR:
        kind = "not_a_directory";
        break;
    case EXDEV:
        kind = "outside_workspace";
        break;
    case ELOOP:
        kind = "symlink_refused";
        break;
    case EACCES:
    case EPERM:
        kind = "permission_denied";
        break;
    case ESTALE:
        kind = "changed";
        break;
    case EFBIG:
        kind = "too_large";
        break;
    case ECANCELED:
        kind = "cancelled";
        break;
    case ENAMETOOLONG:
    case EINVAL:
        kind = "invalid_path";
        break;
    default:
        kind = "io_error";
        break;
    }
    return nc_tool_fail(out, kind, "%s", err->msg);
}

/* ---- text ---------------------------------------------------------------------------- */

static int buf_reserve(struct nc_buf *b, size_t n)
{
    size_t need;
    if (__builtin_add_overflow(b->len, n, &need) || need == SIZE_MAX)
        return -ENOMEM;
    if (b->p != NULL && need + 1u <= b->cap)
        return 0;
    size_t ncap = b->cap == 0 ? 256u : b->cap;
    while (ncap < need + 1u) {
        if (__builtin_mul_overflow(ncap, 2u, &ncap))
            return -ENOMEM;
    }
    char *np = realloc(b->p, ncap);
    if (np == NULL)
        return -ENOMEM;
    b->p = np;
    b->cap = ncap;
    return 0;
}

int nc_buf_put(struct nc_buf *b, const char *s, size_t n)
{
    if (b->max != 0 && (b->len + n > b->max || b->len + n < b->len)) {
        b->truncated = true;
        return 1;
    }
    if (buf_reserve(b, n) < 0)
        return -ENOMEM;
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int nc_buf_printf(struct nc_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(small))
        return nc_buf_put(b, small, (size_t)n);
    _cleanup_free_ char *big = malloc((size_t)n + 1u);
    if (big == NULL)
        return -ENOMEM;
    va_start(ap, fmt);
    (void)vsnprintf(big, (size_t)n + 1u, fmt, ap);
    va_end(ap);
    return nc_buf_put(b, big, (size_t)n);
}

/* The length of the run at the start of u[0..n) that put_transformed() copies unchanged
 * byte for byte: ASCII other than NUL, and for names other than controls and '\\'. */
static size_t plain_run(const unsigned char *u, size_t n, bool name)
{
    size_t i = 0;
    if (name)
        while (i < n && u[i] >= 0x20u && u[i] < 0x7fu && u[i] != '\\')
            i++;
    else
        while (i < n && u[i] != 0 && u[i] < 0x80u)
            i++;
    return i;
}

/* Appends s, transforming as asked; all or nothing with respect to max. */
static int put_transformed(struct nc_buf *b, const char *s, size_t n, bool name, bool *lossy)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t out = 0;
    /* First pass: the output length, so the cap check stays all or nothing. */
    for (size_t i = 0; i < n;) {
        size_t run = plain_run(u + i, n - i, name);
        out += run;
        i += run;
        if (i >= n)
            break;
        size_t k = u[i] == 0 ? 0 : nc_utf8_seq(u + i, n - i);
        if (k == 0) {
            out += name ? 4u : 3u; /* \xNN or U+FFFD */
            i++;
        } else if (name && k == 1 && (u[i] < 0x20 || u[i] == 0x7f)) {
            out += 4u;
            i++;
        } else if (name && u[i] == '\\') {
            out += 2u;
            i++;
        } else {
            out += k;
            i += k;
        }
    }
    if (b->max != 0 && (b->len + out > b->max || b->len + out < b->len)) {
        b->truncated = true;
        return 1;
    }
    if (buf_reserve(b, out) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n;) {
        size_t run = plain_run(u + i, n - i, name);
        if (run > 0) {
            memcpy(b->p + b->len, u + i, run);
            b->len += run;
            i += run;
            if (i >= n)
                break;
        }
        /* a NUL would end the C string the text travels in: replaced too */
        size_t k = u[i] == 0 ? 0 : nc_utf8_seq(u + i, n - i);
        char *d = b->p + b->len;
        if ((k == 0 && name) || (name && k == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
            d[0] = '\\';
            d[1] = 'x';
            d[2] = hex[u[i] >> 4];
            d[3] = hex[u[i] & 0x0fu];
            b->len += 4u;
            i++;
        } else if (k == 0) {
            d[0] = '\xef'; /* U+FFFD */
            d[1] = '\xbf';
            d[2] = '\xbd';
            b->len += 3u;
            if (lossy != NULL)
                *lossy = true;
            i++;
        } else if (name && u[i] == '\\') {
            d[0] = '\\';
            d[1] = '\\';
            b->len += 2u;
            i++;
        } else {
            memcpy(d, u + i, k);
            b->len += k;
            i += k;
        }
    }
    b->p[b->len] = '\0';
    return 0;
}

int nc_buf_put_utf8(struct nc_buf *b, const char *s, size_t n, bool *lossy)
{
    return put_transformed(b, s, n, false, lossy);
}

int nc_buf_put_name(struct nc_buf *b, const char *s, size_t n)
{
    return put_transformed(b, s, n, true, NULL);
}

char *nc_buf_steal(struct nc_buf *b)
{
    char *p = b->p;
    if (p == NULL)
        p = strdup("");
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void nc_buf_free(struct nc_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

void nc_tool_clip(const char *s, size_t len, size_t max, char *out, size_t outsz)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, i = 0;
    if (outsz < 4u) {
        if (outsz > 0)
            out[0] = '\0';
        return;
    }
    while (i < len) {
        size_t k = nc_utf8_seq(u + i, len - i);
        bool bad = k == 0;
        if (bad)
            k = 1;
        if (i + k > max || o + k + 4u > outsz) {
            /* room was kept for the ellipsis (3 bytes) and the NUL */
            memcpy(out + o, "\xe2\x80\xa6", 3);
            o += 3u;
            break;
        }
        if (bad || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f)))
            out[o++] = '?';
        else
            for (size_t j = 0; j < k; j++)
                out[o++] = (char)u[i + j];
        i += k;
    }
    out[o] = '\0';
}

void nc_tool_display_path(const struct nc_tool_env *env, const char *given, char *out,
                          size_t outsz)
{
    char norm[NC_PATH_MAX + 1];
    const char *why = NULL;
    if (nc_path_normalize(env->root, given, norm, sizeof(norm), &why) < 0) {
        (void)snprintf(out, outsz, "(a path outside the workspace)");
        return;
    }
    nc_tool_clip(norm, strlen(norm), 300, out, outsz);
}

void nc_tool_summary(struct nc_tool_plan *plan, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(plan->summary, sizeof(plan->summary), fmt, ap);
    va_end(ap);
    if (n < 0) {
        plan->summary[0] = '\0';
    } else if ((size_t)n >= sizeof(plan->summary)) {
        /* Cut at a character boundary and say so. */
        size_t end = sizeof(plan->summary) - 4u;
        while (end > 0 && ((unsigned char)plan->summary[end] & 0xc0u) == 0x80u)
            end--;
        memcpy(plan->summary + end, "\xe2\x80\xa6", 4);
    }
}

void nc_tool_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32u) {
        memset(out, '0', 64);
        out[64] = '\0';
        return;
    }
    for (size_t i = 0; i < 32u; i++) {
        out[2u * i] = hex[md[i] >> 4];
        out[2u * i + 1u] = hex[md[i] & 0x0fu];
    }
    out[64] = '\0';
}

/* ---- arguments ----------------------------------------------------------------------- */

static const char *type_name(enum nc_arg_type t)
{
    switch (t) {
    case NC_ARG_STRING:
        return "a string";
    case NC_ARG_INT:
        return "an integer";
    case NC_ARG_BOOL:
        return "a boolean";
    }
    return "?";
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction or exponent";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static int check_string(const struct nc_arg_spec *sp, const char *s, size_t len,
                        struct nc_err *err)
{
    struct nc_invalid why;
    int r = 0;
    if (sp->nonempty && len == 0)
        return nc_err_set(err, EINVAL, "invalid argument '%s': must not be empty", sp->name);
    if (sp->max_len != 0 && len > sp->max_len)
        return nc_err_set(err, EINVAL, "invalid argument '%s': longer than %zu bytes", sp->name,
                          sp->max_len);
    memset(&why, 0, sizeof(why));
    switch (sp->check) {
    case NC_ARG_TEXT:
        return 0;
    case NC_ARG_PATH:
        r = nc_validate_path(s, len, &why);
        break;
    case NC_ARG_PATTERN:
        r = nc_validate_pattern(s, len, &why);
        break;
    case NC_ARG_GLOB:
        r = nc_validate_glob(s, len, &why);
        if (r == 0) {
            const char *g = nc_glob_check(s);
            if (g != NULL)
                return nc_err_set(err, EINVAL, "invalid argument '%s': %s", sp->name, g);
        }
        break;
    }
    if (r < 0)
        return nc_err_set(err, EINVAL, "invalid argument '%s': %s (at byte %zu)", sp->name,
                          why.reason != NULL ? why.reason : "refused", why.offset);
    return 0;
}

int nc_tool_args_decode(const json_t *args, const struct nc_arg_spec *spec, size_t n,
                        struct nc_arg *out, struct nc_err *err)
{
    const char *key;
    json_t *val;

    if (n > NC_TOOL_MAX_FIELDS)
        return nc_err_set(err, EINVAL, "internal: too many fields");
    memset(out, 0, n * sizeof(*out));
    if (args != NULL && !json_is_object(args))
        return nc_err_set(err, EINVAL, "arguments must be a JSON object, not %s",
                          json_type_name(args));
    if (args != NULL) {
        /* Unknown fields are refused, never ignored: a misspelt "replace_al" must not
         * silently become the default. */
        json_object_foreach((json_t *)(uintptr_t)args, key, val) {
            bool known = false;
            for (size_t i = 0; i < n; i++)
                known = known || strcmp(spec[i].name, key) == 0;
            if (!known) {
                char shown[80];
                nc_tool_clip(key, strlen(key), 48, shown, sizeof(shown));
                return nc_err_set(err, EINVAL, "unknown argument '%s'", shown);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct nc_arg_spec *sp = &spec[i];
        json_t *v = args != NULL ? json_object_get(args, sp->name) : NULL;
        out[i].i = sp->def;
        out[i].b = sp->def != 0;
        if (v == NULL) {
            if (sp->required)
                return nc_err_set(err, EINVAL, "missing required argument '%s'", sp->name);
            continue;
        }
        out[i].present = true;
        switch (sp->type) {
        case NC_ARG_STRING: {
            if (!json_is_string(v))
                goto wrong_type;
            out[i].s = json_string_value(v);
            out[i].len = json_string_length(v);
            int r = check_string(sp, out[i].s, out[i].len, err);
            if (r < 0)
                return r;
            break;
        }
        case NC_ARG_INT: {
            if (!json_is_integer(v))
                goto wrong_type;
            json_int_t x = json_integer_value(v);
            if (x < sp->min || x > sp->max)
                return nc_err_set(err, EINVAL,
                                  "invalid argument '%s': must be an integer from %" PRId64
                                  " to %" PRId64,
                                  sp->name, sp->min, sp->max);
            out[i].i = (int64_t)x;
            break;
        }
        case NC_ARG_BOOL:
            if (!json_is_boolean(v))
                goto wrong_type;
            out[i].b = json_is_true(v);
            break;
        }
        continue;
    wrong_type:
        return nc_err_set(err, EINVAL, "invalid argument '%s': must be %s, not %s", sp->name,
                          type_name(sp->type), json_type_name(v));
    }
    return 0;
}

int nc_tool_args_digest(const char *tool, const struct nc_arg_spec *spec, size_t n,
                        const struct nc_arg *vals, uint8_t out[NC_APPROVAL_DIGEST_LEN],
                        struct nc_err *err)
{
    const char *argv[2 + 3 * NC_TOOL_MAX_FIELDS];
    size_t lens[2 + 3 * NC_TOOL_MAX_FIELDS];
    char nums[NC_TOOL_MAX_FIELDS][24];
    size_t k = 0;

    if (n > NC_TOOL_MAX_FIELDS)
        return nc_err_set(err, EINVAL, "internal: too many fields");
    argv[k] = "nucleus-tool-v1";
    lens[k++] = strlen("nucleus-tool-v1");
    argv[k] = tool;
    lens[k++] = strlen(tool);
    for (size_t i = 0; i < n; i++) {
        argv[k] = spec[i].name;
        lens[k++] = strlen(spec[i].name);
        switch (spec[i].type) {
        case NC_ARG_STRING:
            if (vals[i].present) {
                argv[k] = "s";
                lens[k++] = 1;
                argv[k] = vals[i].s;
                lens[k++] = vals[i].len;
            } else {
                argv[k] = "-";
                lens[k++] = 1;
                argv[k] = "";
                lens[k++] = 0;
            }
            break;
        case NC_ARG_INT:
            argv[k] = "i";
            lens[k++] = 1;
            (void)snprintf(nums[i], sizeof(nums[i]), "%" PRId64, vals[i].i);
            argv[k] = nums[i];
            lens[k++] = strlen(nums[i]);
            break;
        case NC_ARG_BOOL:
            argv[k] = "b";
            lens[k++] = 1;
            argv[k] = vals[i].b ? "true" : "false";
            lens[k] = strlen(argv[k]);
            k++;
            break;
        }
    }
    return nc_approval_digest_args(argv, lens, k, out, err);
}

json_t *nc_tool_args_audit(const struct nc_tool_env *env, const struct nc_arg_spec *spec,
                           size_t n, const struct nc_arg *vals)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *v = NULL;
        switch (spec[i].type) {
        case NC_ARG_INT:
            v = json_integer((json_int_t)vals[i].i);
            break;
        case NC_ARG_BOOL:
            v = json_boolean(vals[i].b);
            break;
        case NC_ARG_STRING:
            if (!vals[i].present)
                continue;
            if (spec[i].opaque) {
                char hex[65];
                nc_tool_sha256_hex(vals[i].s, vals[i].len, hex);
                v = json_pack("{s:I,s:s}", "bytes", (json_int_t)vals[i].len, "sha256", hex);
            } else if (spec[i].check == NC_ARG_PATH) {
                char norm[NC_PATH_MAX + 1];
                const char *why = NULL;
                if (nc_path_normalize(env->root, vals[i].s, norm, sizeof(norm), &why) == 0)
                    v = json_string(norm);
                else
                    v = json_pack("{s:b,s:I}", "invalid", 1, "bytes", (json_int_t)vals[i].len);
            } else {
                v = json_stringn(vals[i].s, vals[i].len);
            }
            break;
        }
        if (v == NULL || json_object_set_new(o, spec[i].name, v) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *nc_tool_egress_decisions(const char *text, size_t len, bool *truncated)
{
    static const char *const str_keys[] = {"time", "proto", "reason", "host", "addr", "kind",
                                           "name", "detail"};
    json_t *arr = json_array();
    size_t off = 0, unreadable = 0;

    while (arr != NULL && off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
        json_t *line, *rec;
        if (nl == NULL && *truncated)
            break; /* the cut-off last line */
        line = json_loadb(text + off, n, JSON_REJECT_DUPLICATES, NULL);
        rec = json_is_object(line) ? json_object() : NULL;
        off += n + (nl != NULL);
        if (rec == NULL || !json_is_boolean(json_object_get(line, "allowed"))) {
            json_decref(rec);
            json_decref(line);
            unreadable += n > 0;
            continue;
        }
        json_object_set(rec, "allowed", json_object_get(line, "allowed"));
        for (size_t k = 0; k < sizeof(str_keys) / sizeof(str_keys[0]); k++) {
            const char *v = json_string_value(json_object_get(line, str_keys[k]));
            if (v != NULL)
                json_object_set_new(rec, str_keys[k], json_stringn(v, strnlen(v, 256)));
        }
        if (json_is_integer(json_object_get(line, "port")))
            json_object_set(rec, "port", json_object_get(line, "port"));
        json_decref(line);
        if (json_array_size(arr) >= NC_TOOL_EGRESS_MAX) {
            json_decref(rec);
            *truncated = true;
            break;
        }
        json_array_append_new(arr, rec);
    }
    if (arr != NULL && unreadable > 0)
        json_array_append_new(arr, json_pack("{s:b, s:I}", "allowed", 0, "unreadable",
                                             (json_int_t)unreadable));
    if (arr != NULL && json_array_size(arr) == 0) {
        json_decref(arr);
        arr = NULL;
    }
    return arr;
}

int nc_tool_spawn(const struct nc_tool_env *env, struct nc_spawn_opts *o,
                  struct nc_spawn_result *r, struct nc_tool_output *out, char **so, size_t *sol,
                  char **se, size_t *sel, struct nc_err *err)
{
    o->nucleus_exe = env->nucleus_exe;
    o->policy = env->policy;
    o->workspace = env->root;
    o->cancelled = env->cancelled;
    o->progress = env->progress;
    o->progress_arg = env->progress_arg;
    o->exec_opts = env->exec_opts;
    o->nexec_opts = env->nexec_opts;
    if ((env->spawn != NULL ? env->spawn(env->spawn_ctx, o, r, err)
                            : nc_spawn_in_pod(o, r, err)) < 0)
        return -1;
    out->quantity = r->elapsed_ms;
    out->egress_truncated = r->egress_truncated;
    json_decref(out->egress);
    out->egress = nc_tool_egress_decisions(r->egress != NULL ? r->egress : "", r->egress_len,
                                           &out->egress_truncated);
    *so = nc_utf8_lossy(r->out, r->out_len, sol);
    *se = nc_utf8_lossy(r->err, r->err_len, sel);
    if (*so == NULL || *se == NULL) {
        free(*so);
        free(*se);
        *so = *se = NULL;
        nc_spawn_result_free(r);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    return 0;
}
