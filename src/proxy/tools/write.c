/* SPDX-License-Identifier: Apache-2.0 */
/* The write tool: create or replace a file atomically (docs/tools.md, "write").
 *
 * Creating a file and changing one are different capabilities (write_files, edit_files).
 * plan() runs before the policy decision, so it looks at the target and picks the capability
 * from what is there; exec() then insists on the same state atomically (RENAME_NOREPLACE for
 * a creation, RENAME_EXCHANGE for a replacement), so a file that appeared or vanished in
 * between fails the call instead of being written under a capability nobody checked. */
#include "proxy/tools/common.h"

#include <errno.h>
#include <string.h>

#define WRITE_MAX_CONTENT ((size_t)4 << 20)

static const struct nc_arg_spec write_args[] = {
    {.name = "path", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_PATH,
     .nonempty = true},
    {.name = "content", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = WRITE_MAX_CONTENT, .opaque = true},
};
#define NARGS (sizeof(write_args) / sizeof(write_args[0]))

static const char write_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,"
    "\"description\":\"File to create or replace, relative to the workspace root. Missing "
    "parent directories are created.\"},"
    "\"content\":{\"type\":\"string\",\"maxLength\":4194304,"
    "\"description\":\"The complete new content (at most 4 MiB of UTF-8).\"}},"
    "\"required\":[\"path\",\"content\"],"
    "\"additionalProperties\":false}";

static int write_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                      struct nc_err *err)
{
    struct nc_arg v[NARGS];
    char shown[NC_PATH_MAX + 1], norm[NC_PATH_MAX + 1], hex[65];
    const char *why = NULL;
    bool exists = false;
    int r = nc_tool_args_decode(args, write_args, NARGS, v, err);
    if (r < 0)
        return r;
    memcpy(plan->path, v[0].s, v[0].len + 1u);

    /* A hint only: exec() re-checks atomically.  A path that does not normalize or does not
     * resolve is "new" here; the decision or exec() refuses it. */
    if (nc_path_normalize(env->root, plan->path, norm, sizeof(norm), &why) == 0) {
        struct nc_fs fs = nc_tool_fs(env);
        struct stat st;
        struct nc_err ignored;
        exists = nc_fs_lstat(&fs, norm, &st, NULL, 0, &ignored) == 0;
    }
    plan->op = exists ? NC_OP_EDIT_FILES : NC_OP_WRITE_FILES;
    plan->cost_kind = NC_COST_FILE_IO;
    plan->max_quantity = v[1].len;
    r = nc_tool_args_digest("write", write_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_display_path(env, plan->path, shown, sizeof(shown));
    nc_tool_sha256_hex(v[1].s, v[1].len, hex);
    nc_tool_summary(plan, "write %s (%s, %zu bytes, sha256 %.16s\xe2\x80\xa6)", shown,
                    exists ? "replaces the existing file" : "new file", v[1].len, hex);
    plan->audit_params = nc_tool_args_audit(env, write_args, NARGS, v);
    if (plan->audit_params == NULL ||
        json_object_set_new(plan->audit_params, "exists", json_boolean(exists)) < 0)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->args = json_incref(args);
    return 0;
}

struct write_check {
    const struct nc_tool_env *env;
    enum nc_op op;
    const char *decided;
    bool denied;
};

/* The target's real path, known before anything changes: a symlinked parent must not carry
 * the write to a path the policy refuses (read-only, denied, not allowed). */
static int check_target(void *arg, const char *real, struct nc_err *err)
{
    struct write_check *c = arg;
    if (strcmp(real, c->decided) == 0 || nc_tool_path_visible(c->env, c->op, real))
        return 0;
    c->denied = true;
    return nc_err_set(err, EPERM, "denied by policy");
}

static int write_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                      struct nc_tool_output *out, struct nc_err *err)
{
    struct nc_fs fs = nc_tool_fs(env);
    struct nc_arg v[NARGS];
    struct nc_fs_write_info info;
    struct write_check chk = {.env = env, .op = plan->op, .decided = plan->decided_path};
    struct nc_err ferr;
    char real[NC_FS_PATH_MAX], hex[65];
    enum nc_fs_expect expect =
        plan->op == NC_OP_EDIT_FILES ? NC_FS_EXPECT_EXISTS : NC_FS_EXPECT_NEW;

    if (nc_tool_args_decode(plan->args, write_args, NARGS, v, err) < 0)
        return -1;
    if (nc_fs_write_atomic(&fs, plan->decided_path, v[1].s, v[1].len, expect, check_target,
                           &chk, &info, real, sizeof(real), &ferr) < 0) {
        if (chk.denied)
            return nc_tool_fail(out, "path_denied",
                                "'%s' goes through a symbolic link to a path the policy does "
                                "not allow for %s",
                                plan->decided_path, nc_op_name(plan->op));
        if (ferr.code == ESTALE)
            return nc_tool_fail(out, "changed",
                                "'%s' %s since the call was checked; call write again",
                                plan->decided_path,
                                expect == NC_FS_EXPECT_NEW ? "was created" : "was removed");
        return nc_tool_fail_fs(out, &ferr);
    }
    nc_tool_sha256_hex(v[1].s, v[1].len, hex);
    out->structured = json_pack("{s:s,s:I,s:b,s:b,s:s}", "path", plan->decided_path, "bytes",
                                (json_int_t)v[1].len, "created", !info.existed,
                                "replaced_symlink", info.was_link, "sha256", hex);
    if (out->structured == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    struct nc_buf b = {.max = 0};
    if (nc_buf_printf(&b, "%s %zu bytes to ", info.existed ? "wrote" : "created, wrote",
                      v[1].len) < 0 ||
        nc_buf_put_name(&b, plan->decided_path, strlen(plan->decided_path)) < 0) {
        nc_buf_free(&b);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    out->text = nc_buf_steal(&b);
    if (out->text == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    out->quantity = v[1].len;
    return 0;
}

const struct nc_tool nc_tool_write = {
    .name = "write",
    .title = "Write a file",
    .description = "Creates a file, or replaces one, with the given content (at most 4 MiB), "
                   "atomically: readers see the old or the new content, never a mix.  Missing "
                   "parent directories are created.  A symlink at the target is replaced, not "
                   "followed.  Replacing an existing file needs the edit_files capability, "
                   "creating one write_files.",
    .input_schema = write_schema,
    .op = NC_OP_WRITE_FILES,
    .plan = write_plan,
    .exec = write_exec,
    .cleanup = NULL,
};
