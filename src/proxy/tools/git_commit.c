/* SPDX-License-Identifier: Apache-2.0 */
/* The git_commit tool: stage the named paths and commit them, in a nested pod, with hooks
 * and other repository-configured programs switched off. */
#include "proxy/nested.h"
#include "proxy/tool.h"

#include "audit/audit.h"
#include "core/validate.h"
#include "util/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMIT_MESSAGE_MAX 16384u
#define COMMIT_TIMEOUT 120u

static const char schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"message\"],"
    "\"properties\":{"
    "\"message\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":16384,\"description\":"
    "\"The commit message.\"},"
    "\"paths\":{\"type\":\"array\",\"maxItems\":256,\"items\":{\"type\":\"string\"},"
    "\"description\":\"Workspace-relative paths to stage first (new files must be listed). "
    "Without paths, every change to tracked files is committed.\"}}}";

/* Runs inside the pod with /bin/sh.  Hooks and fsmonitor are disabled, because a repository
 * can name programs in its configuration; an identity is supplied only when the repository
 * has none, so a configured author is respected. */
static const char script[] =
    "set -e\n"
    "mode=$1; shift\n"
    "if [ \"$mode\" = paths ]; then git --literal-pathspecs add -- \"$@\"; fi\n"
    "git config user.name >/dev/null 2>&1 || { GIT_AUTHOR_NAME='nucleus agent'; "
    "GIT_COMMITTER_NAME='nucleus agent'; export GIT_AUTHOR_NAME GIT_COMMITTER_NAME; }\n"
    "git config user.email >/dev/null 2>&1 || { GIT_AUTHOR_EMAIL=agent@nucleus.invalid; "
    "GIT_COMMITTER_EMAIL=agent@nucleus.invalid; export GIT_AUTHOR_EMAIL GIT_COMMITTER_EMAIL; }\n"
    "if [ \"$mode\" = paths ]; then all=; else all=-a; fi\n"
    "exec git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c commit.gpgsign=false "
    "commit $all -F -\n";

struct commit_priv {
    const char *message; /* borrowed from plan->args */
    size_t message_len;
    const char *paths[NC_TOOL_ARGV_MAX];
    size_t npaths;
};

static int commit_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                       struct nc_err *err)
{
    const char *key;
    json_t *v;
    struct commit_priv *cp;
    struct nc_invalid why;
    const char *dv[NC_TOOL_ARGV_MAX + 2];
    size_t dl[NC_TOOL_ARGV_MAX + 2], dn = 0;

    json_object_foreach(args, key, v)
    {
        if (strcmp(key, "message") != 0 && strcmp(key, "paths") != 0)
            return nc_err_set(err, EINVAL, "unknown argument '%.64s'", key);
    }
    cp = calloc(1, sizeof(*cp));
    if (cp == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->priv = cp;
    v = json_object_get(args, "message");
    if (!json_is_string(v) || json_string_length(v) == 0)
        return nc_err_set(err, EINVAL, "message: a non-empty string is required");
    if (json_string_length(v) > COMMIT_MESSAGE_MAX)
        return nc_err_set(err, EINVAL, "message: longer than %u bytes", COMMIT_MESSAGE_MAX);
    cp->message = json_string_value(v);
    cp->message_len = json_string_length(v);
    if (memchr(cp->message, '\0', cp->message_len) != NULL)
        return nc_err_set(err, EINVAL, "message: contains a NUL byte");
    v = json_object_get(args, "paths");
    if (v != NULL) {
        if (!json_is_array(v) || json_array_size(v) > 256)
            return nc_err_set(err, EINVAL, "paths: an array of at most 256 strings");
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *p = json_array_get(v, i);
            const char *reason = NULL;
            char norm[NC_PATH_MAX + 1];
            if (!json_is_string(p) ||
                nc_validate_path(json_string_value(p), json_string_length(p), &why) < 0)
                return nc_err_set(err, EINVAL, "paths[%zu]: not a valid path", i);
            /* Lexically inside the workspace; the pod bounds what git can reach anyway. */
            if (nc_path_normalize(env->root, json_string_value(p), norm, sizeof(norm),
                                  &reason) < 0)
                return nc_err_set(err, EINVAL, "paths[%zu]: %s", i,
                                  reason != NULL ? reason : "invalid");
            cp->paths[cp->npaths++] = json_string_value(p);
        }
    }
    /* The policy decides on the command this amounts to. */
    plan->argv[0] = "git";
    plan->argv[1] = "commit";
    plan->argv[2] = "-m";
    plan->argv[3] = cp->message;
    plan->argc = 4;
    plan->op = NC_OP_GIT_COMMIT;
    plan->cost_kind = NC_COST_COMMAND;
    plan->max_quantity = (uint64_t)COMMIT_TIMEOUT * 1000u;
    dv[dn] = "nucleus-tool-git_commit-v1";
    dl[dn++] = strlen("nucleus-tool-git_commit-v1");
    dv[dn] = cp->message;
    dl[dn++] = cp->message_len;
    for (size_t i = 0; i < cp->npaths; i++) {
        dv[dn] = cp->paths[i];
        dl[dn++] = strlen(cp->paths[i]);
    }
    if (nc_approval_digest_args(dv, dl, dn, plan->digest, err) < 0)
        return -1;
    plan->audit_params = json_pack("{s:o, s:I}", "message",
                                   nc_audit_digest(cp->message, cp->message_len), "paths",
                                   (json_int_t)cp->npaths);
    {
        char first[120];
        size_t n = strcspn(cp->message, "\n");
        snprintf(first, sizeof(first), "%.*s", (int)(n < 100 ? n : 100), cp->message);
        snprintf(plan->summary, sizeof(plan->summary), "git commit \"%s%s\" (%zu path%s%s)",
                 first, n > 100 || n < cp->message_len ? "..." : "", cp->npaths,
                 cp->npaths == 1 ? "" : "s", cp->npaths == 0 ? ", all tracked changes" : "");
    }
    plan->args = json_incref(args);
    return 0;
}

static int commit_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                       struct nc_tool_output *out, struct nc_err *err)
{
    struct commit_priv *cp = plan->priv;
    const char *argv[NC_TOOL_ARGV_MAX + 6];
    size_t n = 0;
    struct nc_spawn_result r;
    char *so, *se;
    size_t sol = 0, sel = 0;

    argv[n++] = "sh";
    argv[n++] = "-c";
    argv[n++] = script;
    argv[n++] = "sh";
    argv[n++] = cp->npaths > 0 ? "paths" : "all";
    for (size_t i = 0; i < cp->npaths; i++)
        argv[n++] = cp->paths[i];
    struct nc_spawn_opts o = {
        .argv = argv,
        .argc = n,
        .stdin_data = cp->message,
        .stdin_len = cp->message_len,
        .timeout_s = COMMIT_TIMEOUT,
    };
    if (nc_tool_spawn(env, &o, &r, out, &so, &sol, &se, &sel, err) < 0)
        return -1;
    out->read_private = true;
    if (r.exit_code == 0) {
        out->structured = json_pack("{s:i, s:s%}", "exit_code", 0, "output", so, sol);
        out->text = strdup(so);
    } else {
        size_t tl = sol + sel + 64;
        out->text = malloc(tl);
        if (out->text != NULL)
            snprintf(out->text, tl, "git commit failed (exit code %d)\n%s%s", r.exit_code, so,
                     se);
        out->is_error = true;
        out->kind = r.timed_out ? "timeout" : "git_error";
    }
    free(so);
    free(se);
    nc_spawn_result_free(&r);
    if (out->text == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    return 0;
}

static void commit_cleanup(struct nc_tool_plan *plan)
{
    free(plan->priv);
    plan->priv = NULL;
}

const struct nc_tool nc_tool_git_commit = {
    .name = "git_commit",
    .title = "Commit to git",
    .description = "Stages the given workspace paths (or every change to tracked files) and "
                   "creates a git commit with the message, in a nested sandbox. Repository "
                   "hooks do not run.",
    .input_schema = schema,
    .op = NC_OP_GIT_COMMIT,
    .plan = commit_plan,
    .exec = commit_exec,
    .cleanup = commit_cleanup,
};
