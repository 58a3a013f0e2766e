/* SPDX-License-Identifier: Apache-2.0 */
/* The edit tool: exact string replacement in an existing file, written back atomically
 * (docs/tools.md, "edit"). */
#include "proxy/tools/common.h"

#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDIT_MAX_FILE ((size_t)16 << 20)
#define EDIT_MAX_STRING ((size_t)4 << 20)

static const struct nc_arg_spec edit_args[] = {
    {.name = "path", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_PATH,
     .nonempty = true},
    {.name = "old_string", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = EDIT_MAX_STRING, .nonempty = true, .opaque = true},
    {.name = "new_string", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = EDIT_MAX_STRING, .opaque = true},
    {.name = "replace_all", .type = NC_ARG_BOOL, .def = 0},
};
#define NARGS (sizeof(edit_args) / sizeof(edit_args[0]))

static const char edit_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,"
    "\"description\":\"Existing file to edit, relative to the workspace root.\"},"
    "\"old_string\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4194304,"
    "\"description\":\"Exact text to replace; it must occur exactly once unless replace_all "
    "is true.\"},"
    "\"new_string\":{\"type\":\"string\",\"maxLength\":4194304,"
    "\"description\":\"Replacement text; must differ from old_string.\"},"
    "\"replace_all\":{\"type\":\"boolean\",\"default\":false,"
    "\"description\":\"Replace every occurrence instead of exactly one.\"}},"
    "\"required\":[\"path\",\"old_string\",\"new_string\"],"
    "\"additionalProperties\":false}";

/* The largest the file can become, from its size now: reserved before the call runs. */
static uint64_t bound_after(uint64_t size, size_t old_len, size_t new_len, bool all)
{
    uint64_t n = all ? size / old_len : (size >= old_len ? 1u : 0u);
    uint64_t grow = new_len > old_len ? (uint64_t)(new_len - old_len) : 0u;
    uint64_t b = size;
    if (grow != 0 && (__builtin_mul_overflow(n, grow, &grow) || __builtin_add_overflow(b, grow, &b)))
        return EDIT_MAX_FILE;
    return b > EDIT_MAX_FILE ? EDIT_MAX_FILE : b;
}

static int edit_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                     struct nc_err *err)
{
    struct nc_arg v[NARGS];
    char shown[NC_PATH_MAX + 1], norm[NC_PATH_MAX + 1], h_old[65], h_new[65];
    const char *why = NULL;
    uint64_t size = 0;
    int r = nc_tool_args_decode(args, edit_args, NARGS, v, err);
    if (r < 0)
        return r;
    if (v[1].len == v[2].len && memcmp(v[1].s, v[2].s, v[1].len) == 0)
        return nc_err_set(err, EINVAL,
                          "invalid argument 'new_string': must differ from old_string");
    memcpy(plan->path, v[0].s, v[0].len + 1u);
    plan->op = NC_OP_EDIT_FILES;
    plan->cost_kind = NC_COST_FILE_IO;
    if (nc_path_normalize(env->root, plan->path, norm, sizeof(norm), &why) == 0) {
        /* The size of what exec will edit: through an inside symlink, its target. */
        struct nc_fs fs = nc_tool_fs(env);
        struct stat st;
        struct nc_err ignored;
        int fd = nc_fs_open_file(&fs, norm, 0, &st, NULL, 0, &ignored);
        if (fd >= 0) {
            size = (uint64_t)st.st_size;
            close(fd);
        }
    }
    plan->max_quantity = bound_after(size, v[1].len, v[2].len, v[3].b);
    r = nc_tool_args_digest("edit", edit_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_display_path(env, plan->path, shown, sizeof(shown));
    nc_tool_sha256_hex(v[1].s, v[1].len, h_old);
    nc_tool_sha256_hex(v[2].s, v[2].len, h_new);
    nc_tool_summary(plan,
                    "edit %s (replace %s %zu bytes, sha256 %.16s\xe2\x80\xa6, with %zu bytes, "
                    "sha256 %.16s\xe2\x80\xa6)",
                    shown, v[3].b ? "every occurrence of" : "one occurrence of", v[1].len, h_old,
                    v[2].len, h_new);
    plan->audit_params = nc_tool_args_audit(env, edit_args, NARGS, v);
    if (plan->audit_params == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->args = json_incref(args);
    return 0;
}

/* Non-overlapping occurrences, left to right. */
static size_t count_occurrences(const char *hay, size_t n, const char *needle, size_t m)
{
    size_t count = 0;
    const char *p = hay, *end = hay + n;
    while ((size_t)(end - p) >= m) {
        const char *q = memmem(p, (size_t)(end - p), needle, m);
        if (q == NULL)
            break;
        count++;
        p = q + m;
    }
    return count;
}

struct edit_check {
    const struct nc_tool_env *env;
    const char *expected;
    bool denied;
};

static int check_target(void *arg, const char *real, struct nc_err *err)
{
    struct edit_check *c = arg;
    if (strcmp(real, c->expected) == 0 || nc_tool_path_visible(c->env, NC_OP_EDIT_FILES, real))
        return 0;
    c->denied = true;
    return nc_err_set(err, EPERM, "denied by policy");
}

static int edit_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                     struct nc_tool_output *out, struct nc_err *err)
{
    struct nc_fs fs = nc_tool_fs(env);
    struct nc_arg v[NARGS];
    struct nc_err ferr;
    struct stat st;
    char real[NC_FS_PATH_MAX], real2[NC_FS_PATH_MAX];
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *data = NULL, *result = NULL;
    size_t len = 0, count, rlen;
    struct nc_fs_write_info info;
    const char *rel = plan->decided_path;

    if (nc_tool_args_decode(plan->args, edit_args, NARGS, v, err) < 0)
        return -1;
    /* Through a symlink inside the workspace, the file it points to is edited (the link
     * stays), if the policy allows editing that file too. */
    fd = nc_fs_open_file(&fs, rel, 0, &st, real, sizeof(real), &ferr);
    if (fd < 0)
        return nc_tool_fail_fs(out, &ferr);
    if (!nc_tool_check_real(env, NC_OP_EDIT_FILES, rel, real, out))
        return 0;
    if ((uint64_t)st.st_size > EDIT_MAX_FILE)
        return nc_tool_fail(out, "too_large", "'%s' is larger than %zu MiB; edit refuses it", rel,
                            EDIT_MAX_FILE >> 20);
    if (nc_fs_read_all(fd, EDIT_MAX_FILE, &data, &len, &ferr) < 0) {
        if (ferr.code == EFBIG)
            return nc_tool_fail(out, "too_large", "'%s' is larger than %zu MiB; edit refuses it",
                                rel, EDIT_MAX_FILE >> 20);
        return nc_tool_fail(out, "io_error", "'%s': %s", rel, ferr.msg);
    }
    if (nc_tool_is_binary(data, len))
        return nc_tool_fail(out, "binary_file",
                            "'%s' looks like a binary file (a NUL byte in its first %u bytes); "
                            "edit changes text files only",
                            rel, NC_TOOL_BINARY_PROBE);
    count = count_occurrences(data, len, v[1].s, v[1].len);
    if (count == 0)
        return nc_tool_fail(out, "not_found", "old_string was not found in '%s'", rel);
    if (count > 1 && !v[3].b)
        return nc_tool_fail(out, "not_unique",
                            "old_string occurs %zu times in '%s'; include more surrounding text "
                            "to make it unique, or set replace_all",
                            count, rel);
    if (!v[3].b)
        count = 1;

    /* The new content: sizes checked before the allocation. */
    {
        uint64_t total = len;
        if (v[2].len >= v[1].len)
            total += (uint64_t)count * (v[2].len - v[1].len);
        else
            total -= (uint64_t)count * (v[1].len - v[2].len);
        if (total > EDIT_MAX_FILE)
            return nc_tool_fail(out, "too_large", "the edited file would exceed %zu MiB",
                                EDIT_MAX_FILE >> 20);
        if (total > plan->max_quantity)
            return nc_tool_fail(out, "changed",
                                "'%s' grew since the call was checked; call edit again", rel);
        rlen = (size_t)total;
    }
    result = malloc(rlen + 1u);
    if (result == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    {
        const char *p = data, *end = data + len;
        char *o = result;
        for (size_t k = 0; k < count; k++) {
            const char *q = memmem(p, (size_t)(end - p), v[1].s, v[1].len);
            if (q == NULL)
                break;
            memcpy(o, p, (size_t)(q - p));
            o += q - p;
            memcpy(o, v[2].s, v[2].len);
            o += v[2].len;
            p = q + v[1].len;
        }
        memcpy(o, p, (size_t)(end - p));
        o += end - p;
        rlen = (size_t)(o - result);
    }

    struct edit_check chk = {.env = env, .expected = real};
    if (nc_fs_write_atomic(&fs, real, result, rlen, NC_FS_EXPECT_EXISTS, check_target, &chk,
                           &info, real2, sizeof(real2), &ferr) < 0) {
        if (chk.denied)
            return nc_tool_fail(out, "path_denied",
                                "'%s' goes through a symbolic link to a path the policy does "
                                "not allow for edit_files",
                                rel);
        if (ferr.code == ESTALE)
            return nc_tool_fail(out, "changed", "'%s' was removed while it was being edited",
                                rel);
        return nc_tool_fail_fs(out, &ferr);
    }
    out->structured = json_pack("{s:s,s:I,s:I}", "path", rel, "replacements", (json_int_t)count,
                                "bytes", (json_int_t)rlen);
    if (out->structured == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    struct nc_buf b = {.max = 0};
    if (nc_buf_printf(&b, "replaced %zu occurrence%s in ", count, count == 1 ? "" : "s") < 0 ||
        nc_buf_put_name(&b, rel, strlen(rel)) < 0) {
        nc_buf_free(&b);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    out->text = nc_buf_steal(&b);
    if (out->text == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    out->quantity = rlen;
    return 0;
}

const struct nc_tool nc_tool_edit = {
    .name = "edit",
    .title = "Edit a file",
    .description = "Replaces old_string with new_string in an existing text file.  old_string "
                   "must occur exactly once (include surrounding lines to make it unique) unless "
                   "replace_all is true.  The file is rewritten atomically and keeps its mode.",
    .input_schema = edit_schema,
    .op = NC_OP_EDIT_FILES,
    .plan = edit_plan,
    .exec = edit_exec,
    .cleanup = NULL,
};
