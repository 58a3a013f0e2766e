/* SPDX-License-Identifier: Apache-2.0 */
/* The run tool: one command (an argv, no shell) in a nested pod under the session's policy. */
#include "proxy/nested.h"
#include "proxy/tool.h"

#include "audit/audit.h"
#include "core/validate.h"
#include "util/cleanup.h"
#include "util/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_DEFAULT_TIMEOUT 120u
#define RUN_MAX_TIMEOUT 3600u

static const char schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"argv\"],"
    "\"properties\":{"
    "\"argv\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":256,\"items\":{\"type\":"
    "\"string\"},\"description\":\"The program and its arguments; no shell is involved "
    "(use [\\\"sh\\\",\\\"-c\\\",\\\"...\\\"] for shell syntax, if the policy allows sh).\"},"
    "\"stdin\":{\"type\":\"string\",\"maxLength\":1048576,\"description\":\"Standard input "
    "(default: empty).\"},"
    "\"cwd\":{\"type\":\"string\",\"description\":\"Working directory, relative to the "
    "workspace (default: the workspace root).\"},"
    "\"timeout_s\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3600,\"description\":"
    "\"Seconds before the command and everything it started are killed (default 120, at most "
    "the policy's limit).\"}}}";

/* What plan() keeps for exec(). */
struct run_priv {
    const char *stdin_data; /* borrowed from plan->args */
    size_t stdin_len;
    bool has_stdin;
    char cwd[NC_PATH_MAX + 1];
    uint64_t timeout_s;
};

/* Shell-like rendering of an argv for people: words with anything but safe characters are
 * single-quoted, and tab/newline are shown as escapes so one line stays one line. */
void nc_tool_render_argv(const char *const *argv, size_t argc, char *out, size_t outsz);
void nc_tool_render_argv(const char *const *argv, size_t argc, char *out, size_t outsz)
{
    size_t o = 0;
    if (outsz == 0)
        return;
    for (size_t i = 0; i < argc && o + 1 < outsz; i++) {
        const char *a = argv[i];
        bool plain = a[0] != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                                               "UVWXYZ0123456789-_./=:,+@%") == strlen(a);
        if (i > 0 && o + 1 < outsz)
            out[o++] = ' ';
        if (!plain && o + 1 < outsz)
            out[o++] = '\'';
        for (const char *p = a; *p != '\0' && o + 4 < outsz; p++) {
            if (*p == '\n' || *p == '\t') {
                out[o++] = '\\';
                out[o++] = *p == '\n' ? 'n' : 't';
            } else if (*p == '\'') {
                memcpy(out + o, "'\\''", 4);
                o += 4;
            } else {
                out[o++] = *p;
            }
        }
        if (!plain && o + 1 < outsz)
            out[o++] = '\'';
    }
    out[o < outsz ? o : outsz - 1] = '\0';
}

static int run_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                    struct nc_err *err)
{
    const char *key;
    json_t *v, *argv_j = NULL;
    struct nc_invalid why;
    size_t lens[NC_TOOL_ARGV_MAX];
    struct run_priv *rp;
    char rendered[600];

    json_object_foreach(args, key, v)
    {
        if (strcmp(key, "argv") != 0 && strcmp(key, "stdin") != 0 &&
            strcmp(key, "cwd") != 0 && strcmp(key, "timeout_s") != 0)
            return nc_err_set(err, EINVAL, "unknown argument '%.64s'", key);
    }
    argv_j = json_object_get(args, "argv");
    if (!json_is_array(argv_j) || json_array_size(argv_j) == 0)
        return nc_err_set(err, EINVAL, "argv: a non-empty array of strings is required");
    if (json_array_size(argv_j) > NC_MAX_ARGS)
        return nc_err_set(err, EINVAL, "argv: more than %u arguments", NC_MAX_ARGS);
    rp = calloc(1, sizeof(*rp));
    if (rp == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->priv = rp;
    for (size_t i = 0; i < json_array_size(argv_j); i++) {
        json_t *a = json_array_get(argv_j, i);
        if (!json_is_string(a))
            return nc_err_set(err, EINVAL, "argv[%zu]: must be a string", i);
        plan->argv[i] = json_string_value(a);
        lens[i] = json_string_length(a);
    }
    plan->argc = json_array_size(argv_j);
    if (nc_validate_argv(plan->argv, lens, plan->argc, &why) < 0)
        return nc_err_set(err, EINVAL, "argv[%zu]: %s (byte %zu)", why.index, why.reason,
                          why.offset);
    v = json_object_get(args, "stdin");
    if (v != NULL) {
        if (!json_is_string(v))
            return nc_err_set(err, EINVAL, "stdin: must be a string");
        if (nc_validate_stdin(json_string_length(v), &why) < 0)
            return nc_err_set(err, EINVAL, "stdin: %s", why.reason);
        rp->stdin_data = json_string_value(v);
        rp->stdin_len = json_string_length(v);
        rp->has_stdin = true;
    }
    v = json_object_get(args, "cwd");
    snprintf(rp->cwd, sizeof(rp->cwd), ".");
    if (v != NULL) {
        const char *reason = NULL;
        if (!json_is_string(v) ||
            nc_validate_path(json_string_value(v), json_string_length(v), &why) < 0)
            return nc_err_set(err, EINVAL, "cwd: must be a relative path in the workspace");
        if (nc_path_normalize(env->root, json_string_value(v), rp->cwd, sizeof(rp->cwd),
                              &reason) < 0)
            return nc_err_set(err, EINVAL, "cwd: %s", reason != NULL ? reason : "invalid");
    }
    uint64_t max_t = env->policy->limits.timeout_s;
    if (max_t == 0 || max_t > RUN_MAX_TIMEOUT)
        max_t = RUN_MAX_TIMEOUT;
    rp->timeout_s = RUN_DEFAULT_TIMEOUT < max_t ? RUN_DEFAULT_TIMEOUT : max_t;
    v = json_object_get(args, "timeout_s");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            (uint64_t)json_integer_value(v) > max_t)
            return nc_err_set(err, EINVAL, "timeout_s: an integer from 1 to %" PRIu64, max_t);
        rp->timeout_s = (uint64_t)json_integer_value(v);
    }

    /* The operation is what the argv does: `git push` is git_push, whatever tool runs it. */
    plan->op = nc_command_classify(plan->argv, plan->argc);
    plan->cost_kind = NC_COST_COMMAND;
    plan->max_quantity = rp->timeout_s * 1000u;

    /* Digest over every argument, so an approval binds the exact command, its input, its
     * directory and its time limit. */
    {
        char tbuf[24], sbuf[80];
        uint8_t sd[NC_APPROVAL_DIGEST_LEN];
        const char *dv[NC_TOOL_ARGV_MAX + 5];
        size_t dl[NC_TOOL_ARGV_MAX + 5], dn = 0;
        snprintf(tbuf, sizeof(tbuf), "%" PRIu64, rp->timeout_s);
        if (nc_approval_digest_bytes(rp->stdin_data != NULL ? rp->stdin_data : "",
                                     rp->stdin_len, sd, err) < 0)
            return -1;
        for (size_t i = 0; i < NC_APPROVAL_DIGEST_LEN; i++)
            snprintf(sbuf + 2 * i, 3, "%02x", sd[i]);
        dv[dn++] = "nucleus-tool-run-v1";
        dv[dn++] = rp->cwd;
        dv[dn++] = tbuf;
        dv[dn++] = rp->has_stdin ? sbuf : "-";
        for (size_t i = 0; i < plan->argc; i++)
            dv[dn++] = plan->argv[i];
        for (size_t i = 0; i < dn; i++)
            dl[i] = i >= 4 ? lens[i - 4] : strlen(dv[i]);
        if (nc_approval_digest_args(dv, dl, dn, plan->digest, err) < 0)
            return -1;
        plan->audit_params = json_pack("{s:s, s:I, s:s, s:I, s:o}", "program", plan->argv[0],
                                       "argc", (json_int_t)plan->argc, "cwd", rp->cwd,
                                       "timeout_s", (json_int_t)rp->timeout_s, "stdin",
                                       rp->has_stdin ? nc_audit_digest(rp->stdin_data,
                                                                       rp->stdin_len)
                                                     : json_null());
    }
    nc_tool_render_argv(plan->argv, plan->argc, rendered, sizeof(rendered));
    snprintf(plan->summary, sizeof(plan->summary), "run %s (in %.300s, timeout %" PRIu64 " s%s)",
             rendered, rp->cwd, rp->timeout_s, rp->has_stdin ? ", with stdin" : "");
    plan->args = json_incref(args);
    return 0;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*buf == NULL)
        return;
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *nb = realloc(*buf, nc);
        if (nb == NULL) {
            free(*buf);
            *buf = NULL;
            return;
        }
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static int run_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                    struct nc_tool_output *out, struct nc_err *err)
{
    struct run_priv *rp = plan->priv;
    struct nc_spawn_opts o = {
        .argv = plan->argv,
        .argc = plan->argc,
        .cwd = rp->cwd,
        .stdin_data = rp->has_stdin ? rp->stdin_data : NULL,
        .stdin_len = rp->stdin_len,
        .timeout_s = rp->timeout_s,
    };
    struct nc_spawn_result r;
    _cleanup_free_ char *so = NULL, *se = NULL;
    size_t sol = 0, sel = 0, len = 0, cap = 256;
    char head[160];

    if (nc_tool_spawn(env, &o, &r, out, &so, &sol, &se, &sel, err) < 0)
        return -1;
    out->read_private = true; /* the command could read the workspace */
    /* It could also read every path marked untrusted (the pod mounts the whole workspace), and
     * its output reaches the agent: with untrusted paths in the policy, a command counts as
     * ingesting untrusted content.  Conservative on purpose: the alternative is an untracked
     * way to complete the uninhabitable state. */
    out->untrusted = env->policy->paths_untrusted.count > 0;
    out->structured = json_pack("{s:i, s:b, s:b, s:I, s:s%, s:b, s:s%, s:b}", "exit_code",
                                r.exit_code, "timed_out", r.timed_out, "cancelled", r.cancelled,
                                "duration_ms", (json_int_t)r.elapsed_ms, "stdout", so, sol,
                                "stdout_truncated", r.out_truncated, "stderr", se, sel,
                                "stderr_truncated", r.err_truncated);
    snprintf(head, sizeof(head), "exit code %d%s%s\n", r.exit_code,
             r.timed_out ? " (timed out)" : "", r.cancelled ? " (cancelled)" : "");
    out->text = malloc(cap);
    if (out->text != NULL)
        out->text[0] = '\0';
    append(&out->text, &len, &cap, head, strlen(head));
    if (sol > 0) {
        append(&out->text, &len, &cap, "--- stdout ---\n", 15);
        append(&out->text, &len, &cap, so, sol);
        if (r.out_truncated)
            append(&out->text, &len, &cap, "\n[stdout truncated at 1 MiB]", 28);
        append(&out->text, &len, &cap, "\n", 1);
    }
    if (sel > 0) {
        append(&out->text, &len, &cap, "--- stderr ---\n", 15);
        append(&out->text, &len, &cap, se, sel);
        if (r.err_truncated)
            append(&out->text, &len, &cap, "\n[stderr truncated at 1 MiB]", 28);
        append(&out->text, &len, &cap, "\n", 1);
    }
    if (out->text == NULL) {
        nc_spawn_result_free(&r);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    if (r.timed_out) {
        out->is_error = true;
        out->kind = "timeout";
    } else if (r.cancelled) {
        out->is_error = true;
        out->kind = "cancelled";
    } else if (r.exit_code == 125) {
        /* nucleus exec could not build the pod: that is not the command's answer. */
        out->is_error = true;
        out->kind = "sandbox_error";
    }
    nc_spawn_result_free(&r);
    return 0;
}

static void run_cleanup(struct nc_tool_plan *plan)
{
    free(plan->priv);
    plan->priv = NULL;
}

const struct nc_tool nc_tool_run = {
    .name = "run",
    .title = "Run a command",
    .description = "Runs one command (an argv, no shell) in a fresh nested sandbox under the "
                   "session's policy: the workspace as the policy allows, no network, a "
                   "cleared environment, a time limit, stdout and stderr captured (1 MiB each). "
                   "Returns the exit code and the output. 'git push', 'git commit' and 'gh pr "
                   "create' count as those operations, with their own permissions.",
    .input_schema = schema,
    .op = NC_OP_RUN_BASH,
    .plan = run_plan,
    .exec = run_exec,
    .cleanup = run_cleanup,
};
