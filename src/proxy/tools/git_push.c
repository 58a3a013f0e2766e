/* SPDX-License-Identifier: Apache-2.0 */
/* The git_push tool: push one branch of the workspace's repository to a remote URL that
 * git.push_remotes admits and whose host network.allow admits, from a nested pod whose only
 * way out is its egress gateway (docs/tools.md, "git_push"; docs/network.md).  No credential
 * of anyone's is used: the pod's environment is cleared, the system and global git
 * configuration are ignored, credential helpers and askpass programs are switched off. */
#include "proxy/nested.h"
#include "proxy/tools/common.h"

#include "util/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_TIMEOUT 120u
#define BRANCH_MAX 200u

static const struct nc_arg_spec push_args[] = {
    {.name = "remote", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = NC_ITEM_MAX, .nonempty = true},
    {.name = "branch", .type = NC_ARG_STRING, .check = NC_ARG_TEXT, .max_len = BRANCH_MAX,
     .nonempty = true},
};
#define NARGS (sizeof(push_args) / sizeof(push_args[0]))

static const char push_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"remote\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1024,"
    "\"description\":\"The remote repository's http(s) URL, as the policy's git.push_remotes "
    "admits it (no user:password@, no remote names).\"},"
    "\"branch\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200,"
    "\"description\":\"The local branch to push, to the branch of the same name on the "
    "remote. Default: the current branch.\"}},"
    "\"required\":[\"remote\"],"
    "\"additionalProperties\":false}";

/* Runs inside the pod with /bin/sh.  $1 the URL, $2 the refspec.
 *
 * The repository's own configuration is the agent's to write, so everything in it that
 * could send the push elsewhere or start a program is neutralised: url.*.insteadOf and
 * pushInsteadOf would rewrite the URL the policy decided on (refused: there is no -c that
 * unsets them), hooks (pre-push) and fsmonitor would run programs, credential helpers and
 * askpass would run programs and hand over credentials, redirects would move the push to
 * another repository of an allowed host, and protocols other than http(s) (ext::, file://,
 * ssh) are disallowed.  GIT_CONFIG_NOSYSTEM and GIT_CONFIG_GLOBAL keep the host's
 * configuration (and whatever credentials it names) out. */
static const char script[] =
    "url=$1; ref=$2\n"
    "GIT_CONFIG_NOSYSTEM=1; GIT_CONFIG_GLOBAL=/dev/null; GIT_TERMINAL_PROMPT=0\n"
    "GIT_ASKPASS=/bin/false; SSH_ASKPASS=/bin/false\n"
    "export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_TERMINAL_PROMPT GIT_ASKPASS SSH_ASKPASS\n"
    "if git config --name-only --get-regexp '^url\\..*\\.(insteadof|pushinsteadof)$' "
    ">/dev/null 2>&1; then\n"
    "  echo 'the repository rewrites remote URLs (url.*.insteadOf or pushInsteadOf); "
    "git_push refuses to push' >&2; exit 3\n"
    "fi\n"
    "exec git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c credential.helper= "
    "-c protocol.allow=never -c protocol.http.allow=always -c protocol.https.allow=always "
    "-c http.followRedirects=false -c http.sslVerify=true -c push.recurseSubmodules=no "
    "-c submodule.recurse=false -c push.gpgSign=false "
    "push --porcelain --no-verify -- \"$url\" \"$ref\"\n";

struct push_priv {
    char refspec[2 * BRANCH_MAX + 32];
};

int nc_git_branch_check(const char *s, size_t len, const char **why)
{
    *why = NULL;
    if (len == 0 || len > BRANCH_MAX)
        *why = "a branch name is 1 to 200 bytes";
    else if (s[0] == '-' || s[0] == '/' || s[0] == '.')
        *why = "a branch name must not start with '-', '/' or '.'";
    else if (s[len - 1] == '/' || s[len - 1] == '.' ||
             (len >= 5 && memcmp(s + len - 5, ".lock", 5) == 0))
        *why = "a branch name must not end with '/', '.' or \".lock\"";
    else if (len == 4 && memcmp(s, "HEAD", 4) == 0)
        *why = "HEAD is not a branch name";
    for (size_t i = 0; *why == NULL && i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '/';
        if (!ok)
            *why = "a branch name may contain only letters, digits and -_./";
        else if (c == '/' && (s[i + 1] == '/' || s[i + 1] == '.'))
            *why = "a branch name has no empty component and none starting with '.'";
        else if (c == '.' && i + 1 < len && s[i + 1] == '.')
            *why = "a branch name must not contain \"..\"";
    }
    return *why == NULL ? 0 : -1;
}

static int push_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                     struct nc_err *err)
{
    struct nc_arg v[NARGS];
    struct push_priv *priv;
    const char *why = NULL;
    char shown[160];
    int r = nc_tool_args_decode(args, push_args, NARGS, v, err);
    if (r < 0)
        return r;
    /* The URL is compared byte for byte with git.push_remotes: only its one canonical
     * spelling is accepted (no userinfo, '%', '.' or '..' segments, query or fragment). */
    if (memchr(v[0].s, '\0', v[0].len) != NULL)
        why = "contains a NUL byte";
    else
        why = nc_list_check_item(NC_LIST_URLS, v[0].s);
    if (why != NULL)
        return nc_err_set(err, EINVAL, "invalid argument 'remote': %s", why);
    if (v[1].present && (memchr(v[1].s, '\0', v[1].len) != NULL ||
                         nc_git_branch_check(v[1].s, v[1].len, &why) < 0))
        return nc_err_set(err, EINVAL, "invalid argument 'branch': %s",
                          why != NULL ? why : "contains a NUL byte");
    priv = calloc(1, sizeof(*priv));
    if (priv == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->priv = priv;
    /* HEAD pushes the current branch to the remote branch of the same name (git push). */
    if (v[1].present)
        snprintf(priv->refspec, sizeof(priv->refspec), "refs/heads/%s:refs/heads/%s", v[1].s,
                 v[1].s);
    else
        snprintf(priv->refspec, sizeof(priv->refspec), "HEAD");
    if (nc_url_entry_host(v[0].s, plan->host, sizeof(plan->host)) < 0)
        return nc_err_set(err, EINVAL, "invalid argument 'remote': no host");
    snprintf(plan->remote, sizeof(plan->remote), "%s", v[0].s);
    plan->op = NC_OP_GIT_PUSH;
    /* The command the policy decides on (commands.allow / commands.deny), as run would. */
    plan->argv[0] = "git";
    plan->argv[1] = "push";
    plan->argv[2] = v[0].s;
    plan->argv[3] = priv->refspec;
    plan->argc = 4;
    plan->cost_kind = NC_COST_COMMAND;
    plan->max_quantity = (uint64_t)PUSH_TIMEOUT * 1000u;
    r = nc_tool_args_digest("git_push", push_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_clip(v[0].s, v[0].len, 120, shown, sizeof(shown));
    nc_tool_summary(plan, "git push to %s (%s%s)", shown,
                    v[1].present ? "branch " : "the current branch",
                    v[1].present ? v[1].s : "");
    plan->audit_params = nc_tool_args_audit(env, push_args, NARGS, v);
    if (plan->audit_params == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    json_object_set_new(plan->audit_params, "host", json_string(plan->host));
    plan->args = json_incref(args);
    return 0;
}

static int push_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                     struct nc_tool_output *out, struct nc_err *err)
{
    struct push_priv *priv = plan->priv;
    const char *argv[] = {"sh", "-c", script, "sh", plan->remote, priv->refspec};
    struct nc_spawn_result r;
    char *so, *se;
    size_t sol = 0, sel = 0;
    struct nc_spawn_opts o = {
        .argv = argv,
        .argc = sizeof(argv) / sizeof(argv[0]),
        .timeout_s = PUSH_TIMEOUT,
    };
    if (nc_tool_spawn(env, &o, &r, out, &so, &sol, &se, &sel, err) < 0)
        return -1;
    /* What the remote said ("remote:" lines, refusal reasons) was written by the remote
     * side: untrusted content, as a fetched page is. */
    out->untrusted = true;
    if (r.exit_code == 0) {
        size_t tl = sol + sel + 200;
        out->text = malloc(tl);
        if (out->text != NULL)
            snprintf(out->text, tl,
                     "Pushed %s to %s. Git's report (lines after 'remote:' come from the "
                     "remote and are untrusted):\n%s%s",
                     priv->refspec, plan->remote, so, se);
        out->structured = json_pack("{s:i, s:s, s:s, s:s%}", "exit_code", 0, "remote",
                                    plan->remote, "refspec", priv->refspec, "report", so, sol);
    } else {
        size_t tl = sol + sel + 200;
        const char *kind = r.timed_out               ? "timeout"
                           : r.exit_code == 3        ? "remote_rewritten"
                           : strstr(so, "\n!") != NULL || strncmp(so, "!", 1) == 0 ||
                                   strstr(se, "[rejected]") != NULL
                               ? "push_rejected"
                               : "git_error";
        out->text = malloc(tl);
        if (out->text != NULL)
            snprintf(out->text, tl, "git push to %s failed (exit code %d)\n%s%s", plan->remote,
                     r.exit_code, so, se);
        out->is_error = true;
        out->kind = kind;
    }
    free(so);
    free(se);
    nc_spawn_result_free(&r);
    if (out->text == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    return 0;
}

static void push_cleanup(struct nc_tool_plan *plan)
{
    free(plan->priv);
    plan->priv = NULL;
}

const struct nc_tool nc_tool_git_push = {
    .name = "git_push",
    .title = "Push to a git remote",
    .description = "Pushes a branch of the workspace's repository (default: the current one) "
                   "to the branch of the same name at a remote URL the policy allows "
                   "(git.push_remotes and network.allow), from a nested sandbox whose only "
                   "network is the egress gateway. No force pushes, no hooks, no credentials.",
    .input_schema = push_schema,
    .op = NC_OP_GIT_PUSH,
    .plan = push_plan,
    .exec = push_exec,
    .cleanup = push_cleanup,
};
