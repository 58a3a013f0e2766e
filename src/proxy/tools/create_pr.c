/* SPDX-License-Identifier: Apache-2.0 */
/* The create_pr tool: open a pull request through a forge's API (GitHub-compatible: POST
 * {title, head, base, body, draft} to the repository's pulls endpoint), with libcurl through
 * the egress gateway and network.allow like web_fetch (docs/tools.md, "create_pr").  The
 * endpoint and the token are the operator's (NUCLEUS_FORGE_API_URL, NUCLEUS_FORGE_TOKEN in the
 * proxy's environment): the agent never sees the token, which no pod's environment holds. */
#include "proxy/tools/common.h"

#include "core/validate.h"
#include "net/fetch.h"
#include "util/cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NC_FORGE_URL_ENV "NUCLEUS_FORGE_API_URL"
#define NC_FORGE_TOKEN_ENV "NUCLEUS_FORGE_TOKEN"
#define PR_TITLE_MAX 256u
#define PR_BODY_MAX 65536u
#define PR_TIMEOUT_MS 30000u
#define PR_RESPONSE_MAX ((size_t)1 << 20)
#define PR_TOKEN_MAX 4096u

static const struct nc_arg_spec pr_args[] = {
    {.name = "title", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = PR_TITLE_MAX, .nonempty = true},
    {.name = "head", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = 200, .nonempty = true},
    {.name = "base", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_TEXT,
     .max_len = 200, .nonempty = true},
    {.name = "body", .type = NC_ARG_STRING, .check = NC_ARG_TEXT, .max_len = PR_BODY_MAX,
     .opaque = true},
    {.name = "draft", .type = NC_ARG_BOOL, .def = 0},
};
#define NARGS (sizeof(pr_args) / sizeof(pr_args[0]))

static const char pr_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"title\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256,"
    "\"description\":\"The pull request's title (one line).\"},"
    "\"head\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200,"
    "\"description\":\"The branch with the changes (push it first with git_push).\"},"
    "\"base\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200,"
    "\"description\":\"The branch to merge into.\"},"
    "\"body\":{\"type\":\"string\",\"maxLength\":65536,"
    "\"description\":\"The description (Markdown).\"},"
    "\"draft\":{\"type\":\"boolean\",\"default\":false,"
    "\"description\":\"Open it as a draft.\"}},"
    "\"required\":[\"title\",\"head\",\"base\"],"
    "\"additionalProperties\":false}";

static bool has_ctl(const char *s, size_t n, bool allow_newlines)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (allow_newlines && (c == '\n' || c == '\t' || c == '\r'))
            continue;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

static int pr_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                   struct nc_err *err)
{
    struct nc_arg v[NARGS];
    struct nc_url u;
    struct nc_invalid why;
    const char *bwhy = NULL, *forge = getenv(NC_FORGE_URL_ENV);
    char shown[160];
    int r = nc_tool_args_decode(args, pr_args, NARGS, v, err);
    if (r < 0)
        return r;
    if (has_ctl(v[0].s, v[0].len, false) || !nc_utf8_valid(v[0].s, v[0].len))
        return nc_err_set(err, EINVAL, "invalid argument 'title': one line of UTF-8 text, "
                                       "no control characters");
    for (size_t k = 1; k <= 2; k++)
        if (memchr(v[k].s, '\0', v[k].len) != NULL ||
            nc_git_branch_check(v[k].s, v[k].len, &bwhy) < 0)
            return nc_err_set(err, EINVAL, "invalid argument '%s': %s", pr_args[k].name,
                              bwhy != NULL ? bwhy : "contains a NUL byte");
    if (v[3].present && (has_ctl(v[3].s, v[3].len, true) || !nc_utf8_valid(v[3].s, v[3].len)))
        return nc_err_set(err, EINVAL, "invalid argument 'body': UTF-8 text without control "
                                       "characters other than newline and tab");
    if (forge == NULL || forge[0] == '\0')
        return nc_err_set(err, EINVAL, "create_pr has no forge: the operator sets %s to the "
                                       "repository's pull-request API URL",
                          NC_FORGE_URL_ENV);
    memset(&why, 0, sizeof(why));
    if (nc_validate_url(forge, strlen(forge), &u, &why) < 0)
        return nc_err_set(err, EINVAL, "the forge API URL is not acceptable: %s",
                          why.reason != NULL ? why.reason : "refused");
    plan->op = NC_OP_CREATE_PR;
    snprintf(plan->host, sizeof(plan->host), "%s", u.host);
    /* The command the policy decides on, as `gh pr create` through run would be. */
    plan->argv[0] = "gh";
    plan->argv[1] = "pr";
    plan->argv[2] = "create";
    plan->argv[3] = "--base";
    plan->argv[4] = v[2].s;
    plan->argv[5] = "--head";
    plan->argv[6] = v[1].s;
    plan->argc = 7;
    plan->cost_kind = NC_COST_COMMAND;
    plan->max_quantity = PR_TIMEOUT_MS;
    r = nc_tool_args_digest("create_pr", pr_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_clip(v[0].s, v[0].len, 100, shown, sizeof(shown));
    nc_tool_summary(plan, "create_pr \"%s\" %s -> %s at %s%s", shown, v[1].s, v[2].s, u.host,
                    v[4].b ? " (draft)" : "");
    plan->audit_params = nc_tool_args_audit(env, pr_args, NARGS, v);
    if (plan->audit_params == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    json_object_set_new(plan->audit_params, "host", json_string(u.host));
    plan->args = json_incref(args);
    return 0;
}

static int pr_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                   struct nc_tool_output *out, struct nc_err *err)
{
    struct nc_arg v[NARGS];
    struct nc_fetch_opts o = {0};
    _cleanup_free_ struct nc_fetch_result *r = calloc(1, sizeof(*r));
    _cleanup_free_ char *payload = NULL, *auth = NULL;
    const char *forge = getenv(NC_FORGE_URL_ENV), *token = getenv(NC_FORGE_TOKEN_ENV);
    json_t *req, *doc = NULL;
    json_error_t jerr;
    char url[NC_FETCH_URL_MAX + 1];

    if (r == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (nc_tool_args_decode(plan->args, pr_args, NARGS, v, err) < 0)
        return -1;
    if (forge == NULL || snprintf(url, sizeof(url), "%s", forge) >= (int)sizeof(url))
        return nc_tool_fail(out, "invalid_url", "the forge API URL is no longer set");
    req = json_pack("{s:s%, s:s%, s:s%, s:s%, s:b}", "title", v[0].s, v[0].len, "head", v[1].s,
                    v[1].len, "base", v[2].s, v[2].len, "body", v[3].present ? v[3].s : "",
                    v[3].present ? v[3].len : (size_t)0, "draft", v[4].b);
    payload = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (payload == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (token != NULL && token[0] != '\0') {
        size_t tl = strnlen(token, PR_TOKEN_MAX + 1);
        /* A token with a line break would inject header fields. */
        if (tl > PR_TOKEN_MAX || has_ctl(token, tl, false))
            return nc_tool_fail(out, "forge_error", "the operator's forge token is not usable");
        auth = malloc(tl + sizeof("Bearer "));
        if (auth == NULL)
            return nc_err_set(err, ENOMEM, "out of memory");
        memcpy(auth, "Bearer ", sizeof("Bearer ") - 1);
        memcpy(auth + sizeof("Bearer ") - 1, token, tl + 1);
    }
    o.allow = &env->policy->net_allow;
    nc_fetch_gateway_from_env(&o);
    o.max_bytes = PR_RESPONSE_MAX;
    o.timeout_ms = PR_TIMEOUT_MS;
    o.accept = "application/vnd.github+json";
    o.cancelled = env->cancelled;
    o.post_body = payload;
    o.post_len = strlen(payload);
    o.post_type = "application/json";
    o.authorization = auth;
    int rc = nc_fetch(url, &o, r, err);
    if (auth != NULL)
        explicit_bzero(auth, strlen(auth));
    if (rc < 0)
        return -1;
    out->quantity = PR_TIMEOUT_MS; /* one request; priced as a command's worst case */
    out->untrusted = r->requests > 0;
    if (r->kind != NULL) {
        nc_tool_fail(out, r->kind, "%s", r->message);
        nc_fetch_result_free(r);
        return 0;
    }
    doc = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
    if (r->status != 201 && r->status != 200) {
        json_t *m = doc != NULL ? json_object_get(doc, "message") : NULL;
        char shown[400];
        const char *msg = json_is_string(m) ? json_string_value(m) : "";
        nc_tool_clip(msg, strlen(msg), 300, shown, sizeof(shown));
        nc_tool_fail(out, "forge_error",
                     "the forge answered HTTP %d%s%s (untrusted text from the forge)",
                     r->status, shown[0] != '\0' ? ": " : "", shown);
        json_decref(doc);
        nc_fetch_result_free(r);
        return 0;
    }
    nc_fetch_result_free(r);
    {
        json_t *hu = doc != NULL ? json_object_get(doc, "html_url") : NULL;
        json_t *num = doc != NULL ? json_object_get(doc, "number") : NULL;
        char link[NC_FETCH_URL_MAX + 8];
        const char *h = json_is_string(hu) ? json_string_value(hu) : "";
        json_int_t n = json_is_integer(num) ? json_integer_value(num) : 0;
        nc_tool_clip(h, strlen(h), NC_FETCH_URL_MAX, link, sizeof(link));
        if (asprintf(&out->text, "Created pull request #%" JSON_INTEGER_FORMAT " %s -> %s: %s",
                     n, v[1].s, v[2].s, link[0] != '\0' ? link : "(no URL in the answer)") < 0) {
            out->text = NULL;
            json_decref(doc);
            return nc_err_set(err, ENOMEM, "out of memory");
        }
        out->structured = json_pack("{s:I, s:s, s:s, s:s}", "number", n, "url", link, "head",
                                    v[1].s, "base", v[2].s);
    }
    json_decref(doc);
    return 0;
}

const struct nc_tool nc_tool_create_pr = {
    .name = "create_pr",
    .title = "Open a pull request",
    .description = "Opens a pull request from head into base through the configured forge API "
                   "(its host must be allowed by the policy's network.allow). Push the head "
                   "branch first with git_push. The forge's answer is untrusted content.",
    .input_schema = pr_schema,
    .op = NC_OP_CREATE_PR,
    .plan = pr_plan,
    .exec = pr_exec,
    .cleanup = NULL,
};
