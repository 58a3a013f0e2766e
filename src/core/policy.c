/* SPDX-License-Identifier: Apache-2.0 */
/* Policy composition and the per-operation decision (see policy.h). */
#include "policy.h"

#include "glob.h"

#include <string.h>

static void init_lists(struct nc_policy *p, bool unrestricted)
{
    nc_list_init(&p->paths_allow, NC_LIST_PATHS, unrestricted);
    nc_list_init(&p->paths_deny, NC_LIST_PATHS, false);
    nc_list_init(&p->paths_readonly, NC_LIST_PATHS, false);
    nc_list_init(&p->paths_untrusted, NC_LIST_PATHS, false);
    nc_list_init(&p->cmds_allow, NC_LIST_COMMANDS, unrestricted);
    nc_list_init(&p->cmds_deny, NC_LIST_COMMANDS, false);
    nc_list_init(&p->net_allow, NC_LIST_DOMAINS, unrestricted);
    nc_list_init(&p->git_remotes, NC_LIST_URLS, unrestricted);
}

void nc_policy_top(struct nc_policy *p)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->name, "top", 4);
    nc_caps_fill(&p->caps, NC_ALWAYS);
    p->approvals = 0;
    init_lists(p, true);
    p->budget_micros = NC_UNLIMITED;
    p->limits.timeout_s = NC_UNLIMITED;
    p->limits.max_procs = NC_UNLIMITED;
    p->limits.memory_bytes = NC_UNLIMITED;
}

void nc_policy_bottom(struct nc_policy *p)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->name, "bottom", 7);
    nc_caps_fill(&p->caps, NC_NEVER);
    p->approvals = NC_OPSET_ALL;
    init_lists(p, false);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void set_meet_name(const struct nc_policy *a, const struct nc_policy *b,
                          struct nc_policy *out)
{
    /* "a+b", truncated to fit; the name is informational only */
    size_t o = 0;
    const char *parts[3] = {a->name, "+", b->name};
    for (unsigned k = 0; k < 3; k++) {
        const char *s = parts[k];
        for (size_t i = 0; s[i] != '\0' && o + 1 < NC_NAME_MAX; i++)
            out->name[o++] = s[i];
    }
    out->name[o] = '\0';
}

int nc_policy_meet(const struct nc_policy *a, const struct nc_policy *b, struct nc_policy *out,
                   const char **why)
{
    memset(out, 0, sizeof(*out));
    set_meet_name(a, b, out);
    nc_caps_meet(&a->caps, &b->caps, &out->caps);
    out->approvals = nc_oblig_meet(a->approvals, b->approvals);
    if (nc_allow_meet(&a->paths_allow, &b->paths_allow, &out->paths_allow, why) < 0 ||
        nc_deny_meet(&a->paths_deny, &b->paths_deny, &out->paths_deny, why) < 0 ||
        nc_deny_meet(&a->paths_readonly, &b->paths_readonly, &out->paths_readonly, why) < 0 ||
        nc_deny_meet(&a->paths_untrusted, &b->paths_untrusted, &out->paths_untrusted, why) < 0 ||
        nc_allow_meet(&a->cmds_allow, &b->cmds_allow, &out->cmds_allow, why) < 0 ||
        nc_deny_meet(&a->cmds_deny, &b->cmds_deny, &out->cmds_deny, why) < 0 ||
        nc_allow_meet(&a->net_allow, &b->net_allow, &out->net_allow, why) < 0 ||
        nc_allow_meet(&a->git_remotes, &b->git_remotes, &out->git_remotes, why) < 0)
        return -1;
    out->budget_micros = min_u64(a->budget_micros, b->budget_micros);
    out->limits.timeout_s = min_u64(a->limits.timeout_s, b->limits.timeout_s);
    out->limits.max_procs = min_u64(a->limits.max_procs, b->limits.max_procs);
    out->limits.memory_bytes = min_u64(a->limits.memory_bytes, b->limits.memory_bytes);
    nc_policy_normalize(out);
    return 0;
}

bool nc_policy_leq(const struct nc_policy *a, const struct nc_policy *b)
{
    return nc_caps_leq(&a->caps, &b->caps) && nc_oblig_leq(a->approvals, b->approvals) &&
           nc_allow_leq(&a->paths_allow, &b->paths_allow) &&
           nc_deny_leq(&a->paths_deny, &b->paths_deny) &&
           nc_deny_leq(&a->paths_readonly, &b->paths_readonly) &&
           nc_deny_leq(&a->paths_untrusted, &b->paths_untrusted) &&
           nc_allow_leq(&a->cmds_allow, &b->cmds_allow) &&
           nc_deny_leq(&a->cmds_deny, &b->cmds_deny) &&
           nc_allow_leq(&a->net_allow, &b->net_allow) &&
           nc_allow_leq(&a->git_remotes, &b->git_remotes) && a->budget_micros <= b->budget_micros &&
           a->limits.timeout_s <= b->limits.timeout_s &&
           a->limits.max_procs <= b->limits.max_procs &&
           a->limits.memory_bytes <= b->limits.memory_bytes;
}

bool nc_policy_eq(const struct nc_policy *a, const struct nc_policy *b)
{
    return nc_caps_eq(&a->caps, &b->caps) && a->approvals == b->approvals &&
           nc_list_eq(&a->paths_allow, &b->paths_allow) &&
           nc_list_eq(&a->paths_deny, &b->paths_deny) &&
           nc_list_eq(&a->paths_readonly, &b->paths_readonly) &&
           nc_list_eq(&a->paths_untrusted, &b->paths_untrusted) &&
           nc_list_eq(&a->cmds_allow, &b->cmds_allow) &&
           nc_list_eq(&a->cmds_deny, &b->cmds_deny) && nc_list_eq(&a->net_allow, &b->net_allow) &&
           nc_list_eq(&a->git_remotes, &b->git_remotes) &&
           a->budget_micros == b->budget_micros && a->limits.timeout_s == b->limits.timeout_s &&
           a->limits.max_procs == b->limits.max_procs &&
           a->limits.memory_bytes == b->limits.memory_bytes;
}

void nc_policy_normalize(struct nc_policy *p)
{
    p->approvals = nc_normalize_oblig(&p->caps, p->approvals);
}

bool nc_policy_is_safe(const struct nc_policy *p)
{
    return nc_is_safe(&p->caps, p->approvals);
}

const char *nc_policy_check(const struct nc_policy *p)
{
    if (!nc_caps_valid(&p->caps))
        return "capability level out of range";
    if ((p->approvals & (nc_opset)~NC_OPSET_ALL) != 0)
        return "approval set names an unknown operation";
    if (p->paths_allow.kind != NC_LIST_PATHS || p->paths_deny.kind != NC_LIST_PATHS ||
        p->paths_readonly.kind != NC_LIST_PATHS || p->paths_untrusted.kind != NC_LIST_PATHS ||
        p->cmds_allow.kind != NC_LIST_COMMANDS || p->cmds_deny.kind != NC_LIST_COMMANDS ||
        p->net_allow.kind != NC_LIST_DOMAINS || p->git_remotes.kind != NC_LIST_URLS)
        return "list of the wrong kind";
    if (p->paths_deny.unrestricted || p->paths_readonly.unrestricted ||
        p->paths_untrusted.unrestricted || p->cmds_deny.unrestricted)
        return "a denylist cannot be unrestricted";
    return NULL;
}

/* git's global options that take their value from the next word (git.c, handle_options).
 * Skipping only -C and -c let `git --git-dir .git push` pass as run_bash, outside the
 * git_push capability and its approval. */
static bool git_option_takes_value(const char *w)
{
    static const char *const opts[] = {"-C",          "-c",             "--git-dir",
                                       "--work-tree", "--namespace",    "--super-prefix",
                                       "--config-env", NULL};
    for (size_t k = 0; opts[k] != NULL; k++)
        if (strcmp(w, opts[k]) == 0)
            return true;
    return false;
}

/* send-pack is the plumbing under push: it uploads to a remote just the same. */
static enum nc_op git_subcommand_op(const char *sub)
{
    if (strcmp(sub, "push") == 0 || strcmp(sub, "send-pack") == 0)
        return NC_OP_GIT_PUSH;
    if (strcmp(sub, "commit") == 0)
        return NC_OP_GIT_COMMIT;
    return NC_OP_RUN_BASH;
}

/* The first word at or after *i that is neither an option nor the value of one (`takes`
 * names the options whose value is the next word); NULL when there is none.  *i is left on
 * the word returned. */
static const char *next_operand(const char *const *argv, size_t argc, size_t *i,
                                bool (*takes)(const char *))
{
    for (; *i < argc && argv[*i] != NULL; (*i)++) {
        if (takes(argv[*i])) {
            (*i)++;
            if (*i >= argc)
                return NULL;
            continue;
        }
        if (argv[*i][0] != '-')
            return argv[*i];
    }
    return NULL;
}

/* gh's -R/--repo (persistent on `gh pr`) takes the next word. */
static bool gh_option_takes_value(const char *w)
{
    return strcmp(w, "-R") == 0 || strcmp(w, "--repo") == 0;
}

enum nc_op nc_command_classify(const char *const *argv, size_t argc)
{
    const char *prog, *w;
    size_t i = 1;
    if (argc == 0 || argv == NULL || argv[0] == NULL)
        return NC_OP_RUN_BASH;
    prog = strrchr(argv[0], '/');
    prog = prog != NULL ? prog + 1 : argv[0];
    if (strcmp(prog, "git") == 0) {
        /* the subcommand is the first operand (git -C dir push) */
        w = next_operand(argv, argc, &i, git_option_takes_value);
        if (w != NULL && strcmp(w, "subtree") == 0) {
            /* `git subtree push <remote> <ref>` publishes like push */
            i++;
            w = next_operand(argv, argc, &i, git_option_takes_value);
            return w != NULL && strcmp(w, "push") == 0 ? NC_OP_GIT_PUSH : NC_OP_RUN_BASH;
        }
        return w != NULL ? git_subcommand_op(w) : NC_OP_RUN_BASH;
    }
    if (strncmp(prog, "git-", 4) == 0) /* git's exec-path programs: git-push, git-commit */
        return git_subcommand_op(prog + 4);
    if (strcmp(prog, "gh") == 0) {
        /* gh pr create, and its alias gh pr new; -R/--repo may stand between the words */
        w = next_operand(argv, argc, &i, gh_option_takes_value);
        if (w == NULL || strcmp(w, "pr") != 0)
            return NC_OP_RUN_BASH;
        i++;
        w = next_operand(argv, argc, &i, gh_option_takes_value);
        if (w != NULL && (strcmp(w, "create") == 0 || strcmp(w, "new") == 0))
            return NC_OP_CREATE_PR;
    }
    return NC_OP_RUN_BASH;
}

static bool op_takes_path(enum nc_op op)
{
    return op == NC_OP_READ_FILES || op == NC_OP_WRITE_FILES || op == NC_OP_EDIT_FILES ||
           op == NC_OP_GLOB_SEARCH || op == NC_OP_GREP_SEARCH;
}

static bool op_writes(enum nc_op op)
{
    return op == NC_OP_WRITE_FILES || op == NC_OP_EDIT_FILES;
}

static bool op_takes_argv(enum nc_op op)
{
    return op == NC_OP_RUN_BASH || op == NC_OP_GIT_COMMIT || op == NC_OP_GIT_PUSH ||
           op == NC_OP_CREATE_PR;
}

static bool op_takes_host(enum nc_op op)
{
    return op == NC_OP_WEB_FETCH || op == NC_OP_WEB_SEARCH;
}

static void set(struct nc_decision *d, enum nc_verdict v, enum nc_reason r, const char *rule)
{
    d->verdict = v;
    d->reason = r;
    d->rule = rule;
}

static const char *rule_at(const struct nc_list *l, int idx)
{
    if (idx == NC_LIST_MATCH_ALL)
        return "unrestricted";
    return idx >= 0 ? nc_list_item(l, (size_t)idx) : NULL;
}

void nc_decide(const struct nc_policy *p, const struct nc_exposure *e,
               const struct nc_request *r, struct nc_decision *d)
{
    enum nc_op op = r->op;
    nc_opset bit;
    int m;

    memset(d, 0, sizeof(*d));
    if ((unsigned)op >= NC_OP_COUNT) {
        set(d, NC_DENY, NC_R_BAD_REQUEST, NULL);
        return;
    }
    bit = NC_OPSET_BIT(op);

    /* 1. A Never capability wins over everything, approvals included. */
    if (p->caps.level[op] == (uint8_t)NC_NEVER) {
        set(d, NC_DENY, NC_R_CAP_NEVER, NULL);
        return;
    }

    /* 2. Rules on the operation's object. */
    if (op_takes_path(op)) {
        const char *why = NULL;
        if (r->path == NULL) {
            set(d, NC_DENY, NC_R_BAD_REQUEST, NULL);
            return;
        }
        if (nc_path_normalize(r->root, r->path, d->path, sizeof(d->path), &why) < 0) {
            set(d, NC_DENY, NC_R_PATH_INVALID, why);
            return;
        }
        /* Denylists test `m != -1`: an unrestricted denylist (refused by nc_policy_check,
         * but a policy built in code may skip the check) matches everything: fail closed. */
        m = nc_list_match_path(&p->paths_deny, d->path);
        if (m != -1) {
            set(d, NC_DENY, NC_R_PATH_DENIED, rule_at(&p->paths_deny, m));
            return;
        }
        if (op_writes(op)) {
            m = nc_list_match_path(&p->paths_readonly, d->path);
            if (m != -1) {
                set(d, NC_DENY, NC_R_PATH_READONLY, rule_at(&p->paths_readonly, m));
                return;
            }
        }
        m = nc_list_match_path(&p->paths_allow, d->path);
        if (m == -1) {
            set(d, NC_DENY, NC_R_PATH_NOT_ALLOWED, NULL);
            return;
        }
        d->rule = rule_at(&p->paths_allow, m);
    } else if (op_takes_argv(op)) {
        if (r->argv == NULL || r->argc == 0 || r->argv[0] == NULL || r->argv[0][0] == '\0') {
            set(d, NC_DENY, NC_R_BAD_REQUEST, NULL);
            return;
        }
        /* A command's operation is what its argv performs, not what the caller says it is:
         * deciding `git push` as run_bash (or `curl` as git_commit, which is no exfiltration
         * leg) would skip the capability, approval and gates of the real operation. */
        if (nc_command_classify(r->argv, r->argc) != op) {
            set(d, NC_DENY, NC_R_BAD_REQUEST, NULL);
            return;
        }
        m = nc_list_match_argv_deny(&p->cmds_deny, r->argv, r->argc);
        if (m != -1) {
            set(d, NC_DENY, NC_R_CMD_DENIED, rule_at(&p->cmds_deny, m));
            return;
        }
        m = nc_list_match_argv_prefix(&p->cmds_allow, r->argv, r->argc);
        if (m == -1) {
            set(d, NC_DENY, NC_R_CMD_NOT_ALLOWED, NULL);
            return;
        }
        d->rule = rule_at(&p->cmds_allow, m);
        /* git_push and create_pr connect somewhere: when the request names where (the
         * tools always do), the host must be in network.allow, as for web_fetch, and a push
         * must go to a URL git.push_remotes admits.  A command (`git push` through run_bash
         * or a shell) names no host here: its pod's egress gateway decides on the host. */
        if ((op == NC_OP_GIT_PUSH || op == NC_OP_CREATE_PR) && r->host != NULL) {
            m = nc_list_match_domain(&p->net_allow, r->host);
            if (m == -1) {
                set(d, NC_DENY, NC_R_HOST_NOT_ALLOWED, NULL);
                return;
            }
        }
        if (op == NC_OP_GIT_PUSH && r->remote != NULL) {
            m = nc_list_match_url(&p->git_remotes, r->remote);
            if (m == -1) {
                set(d, NC_DENY, NC_R_REMOTE_NOT_ALLOWED, NULL);
                return;
            }
            d->rule = rule_at(&p->git_remotes, m);
        }
    } else if (op_takes_host(op)) {
        if (r->host == NULL || r->host[0] == '\0') {
            set(d, NC_DENY, NC_R_BAD_REQUEST, NULL);
            return;
        }
        m = nc_list_match_domain(&p->net_allow, r->host);
        if (m == -1) {
            set(d, NC_DENY, NC_R_HOST_NOT_ALLOWED, NULL);
            return;
        }
        d->rule = rule_at(&p->net_allow, m);
    }

    /* 3. Approval gates: the static rule, then obligations, then the dynamic rule.  The static
     * rule is named first because normalization also copies its gates into the obligations,
     * and "uninhabitable state" is the more useful reason to report. */
    if ((nc_uninhabitable_gates(&p->caps) & bit) != 0) {
        set(d, NC_NEEDS_APPROVAL, NC_R_UNINHABITABLE, d->rule);
        return;
    }
    if ((p->approvals & bit) != 0) {
        set(d, NC_NEEDS_APPROVAL, NC_R_OBLIGATION, d->rule);
        return;
    }
    if ((NC_OPSET_EXFIL & bit) != 0 && e != NULL &&
        (e->legs & (NC_LEG_PRIVATE | NC_LEG_UNTRUSTED)) == (NC_LEG_PRIVATE | NC_LEG_UNTRUSTED)) {
        set(d, NC_NEEDS_APPROVAL, NC_R_EXPOSURE, d->rule);
        return;
    }
    set(d, NC_ALLOW, NC_R_OK, d->rule);
}

void nc_exposure_record(struct nc_exposure *e, enum nc_op op, bool untrusted_source)
{
    nc_opset bit;
    if ((unsigned)op >= NC_OP_COUNT)
        return;
    bit = NC_OPSET_BIT(op);
    if ((bit & NC_OPSET_PRIVATE) != 0)
        e->legs = (uint8_t)(e->legs | NC_LEG_PRIVATE);
    if ((bit & NC_OPSET_UNTRUSTED) != 0 || untrusted_source)
        e->legs = (uint8_t)(e->legs | NC_LEG_UNTRUSTED);
    if ((bit & NC_OPSET_EXFIL) != 0)
        e->legs = (uint8_t)(e->legs | NC_LEG_EXFIL);
}

bool nc_policy_path_untrusted(const struct nc_policy *p, const char *normalized_path)
{
    return nc_list_match_path(&p->paths_untrusted, normalized_path) != -1;
}

const char *nc_verdict_name(enum nc_verdict v)
{
    switch (v) {
    case NC_ALLOW:
        return "allowed";
    case NC_NEEDS_APPROVAL:
        return "needs_approval";
    case NC_DENY:
        return "denied";
    }
    return "invalid";
}

const char *nc_reason_name(enum nc_reason r)
{
    switch (r) {
    case NC_R_OK: return "ok";
    case NC_R_BAD_REQUEST: return "bad_request";
    case NC_R_CAP_NEVER: return "capability_never";
    case NC_R_PATH_INVALID: return "path_invalid";
    case NC_R_PATH_DENIED: return "path_denied";
    case NC_R_PATH_READONLY: return "path_read_only";
    case NC_R_PATH_NOT_ALLOWED: return "path_not_allowed";
    case NC_R_CMD_DENIED: return "command_denied";
    case NC_R_CMD_NOT_ALLOWED: return "command_not_allowed";
    case NC_R_HOST_NOT_ALLOWED: return "host_not_allowed";
    case NC_R_OBLIGATION: return "approval_required";
    case NC_R_UNINHABITABLE: return "uninhabitable_state";
    case NC_R_EXPOSURE: return "session_exposure";
    case NC_R_REMOTE_NOT_ALLOWED: return "remote_not_allowed";
    }
    return "invalid";
}

const char *nc_reason_text(enum nc_reason r)
{
    switch (r) {
    case NC_R_OK: return "every rule of the policy admits the operation";
    case NC_R_BAD_REQUEST: return "the request lacks the path, command or host the operation needs";
    case NC_R_CAP_NEVER: return "the policy sets this capability to never";
    case NC_R_PATH_INVALID: return "the path is malformed or leaves the workspace";
    case NC_R_PATH_DENIED: return "the path matches paths.deny";
    case NC_R_PATH_READONLY: return "the path matches paths.read_only, so it cannot be written";
    case NC_R_PATH_NOT_ALLOWED: return "the path matches no entry of paths.allow";
    case NC_R_CMD_DENIED: return "the command matches commands.deny";
    case NC_R_CMD_NOT_ALLOWED: return "the command matches no entry of commands.allow";
    case NC_R_HOST_NOT_ALLOWED: return "the host matches no entry of network.allow";
    case NC_R_OBLIGATION: return "the policy lists this operation under approvals";
    case NC_R_UNINHABITABLE:
        return "the policy grants private data, untrusted content and exfiltration together "
               "(uninhabitable state), so exfiltration needs a human's approval";
    case NC_R_EXPOSURE:
        return "this session has read private data and ingested untrusted content, so "
               "exfiltration needs a human's approval";
    case NC_R_REMOTE_NOT_ALLOWED: return "the remote URL matches no entry of git.push_remotes";
    }
    return "invalid";
}
