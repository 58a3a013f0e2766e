/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus policy show|check|meet|explain: policy as code. */
#include "common.h"

#include "core/budget.h"
#include "core/validate.h"
#include "policy/emit.h"
#include "policy/policy_file.h"
#include "util/cleanup.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: nucleus policy <subcommand> [options]\n"
    "\n"
    "Subcommands:\n"
    "  show [--json] SPEC...            print the policy (the meet of all SPECs) as a YAML\n"
    "                                   policy file, or as JSON\n"
    "  check [--json] FILE...           validate policy files; exit 0 if all are valid, 1 if\n"
    "                                   any is not (the message says file:line:column)\n"
    "  meet [--json] SPEC SPEC...       print the meet (greatest lower bound) of policies\n"
    "  explain [options] SPEC OPERATION [--] [ARG...]\n"
    "                                   decide one operation: allowed (exit 0), denied (1) or\n"
    "                                   needs approval (3), and say why\n"
    "\n"
    "A SPEC is a built-in profile name (see 'nucleus profiles') or a policy file; a SPEC with\n"
    "a '/' or ending in .yaml/.yml is always a file.  Several SPECs compose by meet, so\n"
    "adding a policy can only tighten the result.\n"
    "\n"
    "explain options:\n"
    "  --policy SPEC        add a policy to compose (repeatable; then no positional SPEC)\n"
    "  --exposure LEGS      what the session has already done: a comma-separated subset of\n"
    "                       private,untrusted (e.g. after reading files and fetching a page)\n"
    "  --root DIR           the workspace root, so absolute paths beneath it are accepted\n"
    "  --json               machine-readable output\n"
    "OPERATION is one of the 11 capabilities; its ARGs are:\n"
    "  read_files write_files edit_files glob_search grep_search    PATH\n"
    "  run_bash git_commit git_push create_pr                      COMMAND [ARG...]\n"
    "  web_fetch web_search                                        URL or HOST\n"
    "\n"
    "Examples:\n"
    "  nucleus policy show fix-issue\n"
    "  nucleus policy show fix-issue examples/policies/no-network.yaml\n"
    "  nucleus policy check examples/policies/*.yaml\n"
    "  nucleus policy explain read-only write_files src/main.c\n"
    "  nucleus policy explain --exposure private,untrusted local-dev run_bash -- make test\n";

/* ---- show / meet --------------------------------------------------------------------- */

static int compose_and_print(const char *cmd, const char *const *specs, size_t n, bool json,
                             bool header)
{
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();
    struct nc_err err = {0};

    if (n == 0)
        return nc_cli_usage(cmd, "expected at least one profile name or policy file");
    if (nc_policy_compose(specs, n, p, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    if (json)
        return nc_cli_print_json(nc_policy_to_json(p));
    if (header) {
        printf("# nucleus policy %s", cmd);
        for (size_t i = 0; i < n; i++)
            printf(" %s", specs[i]);
        printf("\n");
    }
    if (nc_policy_emit_yaml(p, stdout) < 0) {
        nc_cli_error("cannot write to standard output");
        return NC_EXIT_USAGE;
    }
    return NC_EXIT_OK;
}

/* Splits argv into --json and positional arguments (after an optional "--"). */
static int positional(const char *cmd, int argc, char **argv, bool *json, const char ***out,
                      size_t *n)
{
    const char **pos = calloc((size_t)argc + 1, sizeof(*pos));
    bool dashdash = false;
    if (pos == NULL) {
        nc_cli_error("out of memory");
        return -1;
    }
    *n = 0;
    for (int i = 1; i < argc; i++) {
        if (!dashdash && strcmp(argv[i], "--json") == 0) {
            *json = true;
        } else if (!dashdash && strcmp(argv[i], "--") == 0) {
            dashdash = true;
        } else if (!dashdash && argv[i][0] == '-' && argv[i][1] != '\0') {
            free(pos);
            nc_cli_usage(cmd, "unknown option '%s'", argv[i]);
            return -1;
        } else {
            pos[(*n)++] = argv[i];
        }
    }
    *out = pos;
    return 0;
}

static int cmd_show(int argc, char **argv, const char *name, bool header, size_t min_specs)
{
    _cleanup_free_ const char **specs = NULL;
    size_t n = 0;
    bool json = false;

    if (positional(name, argc, argv, &json, &specs, &n) < 0)
        return NC_EXIT_USAGE;
    if (n < min_specs)
        return nc_cli_usage(name, "expected at least %zu profile names or policy files",
                            min_specs);
    return compose_and_print(name, specs, n, json, header);
}

/* ---- check ---------------------------------------------------------------------------- */

static int cmd_check(int argc, char **argv)
{
    _cleanup_free_ const char **files = NULL;
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();
    size_t n = 0;
    bool json = false;
    int rc = NC_EXIT_OK;
    json_t *results = NULL;

    if (positional("policy check", argc, argv, &json, &files, &n) < 0)
        return NC_EXIT_USAGE;
    if (n == 0)
        return nc_cli_usage("policy check", "expected at least one policy file");
    if (json)
        results = json_array();
    for (size_t i = 0; i < n; i++) {
        struct nc_err err = {0};
        bool ok = nc_policy_load_file(files[i], p, &err) == 0;
        bool uninhabitable = ok && nc_uninhabitable(nc_caps_enabled(&p->caps));
        if (!ok)
            rc = NC_EXIT_FAIL;
        if (json) {
            json_array_append_new(results,
                                  ok ? json_pack("{s:s, s:b, s:s, s:b}", "file", files[i],
                                                 "valid", 1, "name", p->name, "uninhabitable",
                                                 uninhabitable)
                                     : json_pack("{s:s, s:b, s:s}", "file", files[i], "valid",
                                                 0, "error", err.msg));
            continue;
        }
        if (!ok) {
            fprintf(stderr, "%s\n", err.msg);
            continue;
        }
        printf("%s: valid (policy '%s')\n", files[i], p->name);
        if (uninhabitable) {
            char gated[256];
            nc_cli_opset(nc_uninhabitable_gates(&p->caps), gated, sizeof(gated));
            printf("  note: the capabilities complete the uninhabitable state; %s need%s "
                   "approval\n",
                   gated, strchr(gated, ',') != NULL ? "" : "s");
        }
    }
    if (json) {
        int prc = nc_cli_print_json(results);
        return prc != NC_EXIT_OK ? prc : rc;
    }
    return rc;
}

/* ---- explain -------------------------------------------------------------------------- */

static bool op_is_path(enum nc_op op)
{
    return op == NC_OP_READ_FILES || op == NC_OP_WRITE_FILES || op == NC_OP_EDIT_FILES ||
           op == NC_OP_GLOB_SEARCH || op == NC_OP_GREP_SEARCH;
}

static bool op_is_web(enum nc_op op)
{
    return op == NC_OP_WEB_FETCH || op == NC_OP_WEB_SEARCH;
}

static int parse_exposure(const char *s, struct nc_exposure *e)
{
    _cleanup_free_ char *copy = strdup(s);
    char *save = NULL;
    if (copy == NULL)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "private") == 0)
            e->legs |= NC_LEG_PRIVATE;
        else if (strcmp(tok, "untrusted") == 0)
            e->legs |= NC_LEG_UNTRUSTED;
        else
            return -1;
    }
    return 0;
}

struct explain_out {
    bool json;
    const char *spec_label;
    enum nc_op op;
    const char *const *args;
    size_t nargs;
    const struct nc_exposure *exposure;
};

static int report(const struct explain_out *o, const char *verdict, const char *reason,
                  const char *text, const char *rule, const char *path, const char *field,
                  size_t offset)
{
    int rc = strcmp(verdict, "allowed") == 0          ? NC_EXIT_OK
             : strcmp(verdict, "needs_approval") == 0 ? NC_EXIT_APPROVAL
                                                      : NC_EXIT_FAIL;
    if (o->json) {
        json_t *args = json_array(), *exp = json_array();
        for (size_t i = 0; args != NULL && i < o->nargs; i++)
            json_array_append_new(args, json_string(o->args[i]));
        if (exp != NULL && (o->exposure->legs & NC_LEG_PRIVATE) != 0)
            json_array_append_new(exp, json_string("private"));
        if (exp != NULL && (o->exposure->legs & NC_LEG_UNTRUSTED) != 0)
            json_array_append_new(exp, json_string("untrusted"));
        json_t *v = json_pack("{s:s, s:s, s:o*, s:o*, s:s, s:s, s:s, s:s*, s:s*, s:s*}",
                              "policy", o->spec_label, "operation", nc_op_name(o->op), "args",
                              args, "exposure", exp, "verdict", verdict, "reason", reason,
                              "explanation", text, "rule", rule, "path", path, "field", field);
        int prc = nc_cli_print_json(v);
        return prc != NC_EXIT_OK ? prc : rc;
    }
    const char *color = rc == NC_EXIT_OK ? "\033[32m" : rc == NC_EXIT_APPROVAL ? "\033[33m" : "\033[31m";
    printf("policy:    %s\n", o->spec_label);
    printf("operation: %s", nc_op_name(o->op));
    for (size_t i = 0; i < o->nargs; i++)
        printf(" %s", o->args[i]);
    printf("\n");
    if (o->exposure->legs != 0)
        printf("exposure:  %s%s%s\n", (o->exposure->legs & NC_LEG_PRIVATE) ? "private" : "",
               o->exposure->legs == (NC_LEG_PRIVATE | NC_LEG_UNTRUSTED) ? "," : "",
               (o->exposure->legs & NC_LEG_UNTRUSTED) ? "untrusted" : "");
    if (path != NULL)
        printf("path:      %s\n", path);
    printf("verdict:   %s%s%s\n", nc_cli_sgr(stdout, color),
           rc == NC_EXIT_OK ? "ALLOWED" : rc == NC_EXIT_APPROVAL ? "NEEDS APPROVAL" : "DENIED",
           nc_cli_sgr(stdout, "\033[0m"));
    printf("reason:    %s: %s", reason, text);
    if (field != NULL)
        printf(" (%s, byte %zu)", field, offset);
    printf("\n");
    if (rule != NULL)
        printf("rule:      %s\n", rule);
    return rc;
}

static int cmd_explain(int argc, char **argv)
{
    _cleanup_free_ const char **specs = calloc((size_t)argc + 1, sizeof(char *));
    _cleanup_free_ const char **pos = calloc((size_t)argc + 1, sizeof(char *));
    _cleanup_free_ size_t *lens = NULL;
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();
    _cleanup_free_ struct nc_decision *d = calloc(1, sizeof(*d));
    struct nc_exposure exposure = {0};
    struct nc_request req = {0};
    struct nc_invalid bad = {0};
    struct nc_url url = {0};
    struct nc_err err = {0};
    struct explain_out o = {0};
    size_t nspecs = 0, npos = 0;
    bool dashdash = false, op_seen = false, skipped_dd = false;
    size_t op_pos = 0;
    const char *root = NULL;
    enum nc_op op;
    int i;

    if (specs == NULL || pos == NULL || d == NULL) {
        nc_cli_error("out of memory");
        return NC_EXIT_USAGE;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (op_seen && !skipped_dd && npos == op_pos + 1 && strcmp(a, "--") == 0) {
            skipped_dd = true; /* "OPERATION -- ARG..." */
        } else if (dashdash || a[0] != '-' || a[1] == '\0') {
            pos[npos++] = a;
            /* everything after the operation belongs to it, options included */
            if (!op_seen && npos == (nspecs > 0 ? 1u : 2u)) {
                op_seen = true;
                op_pos = npos - 1;
                dashdash = true;
            }
        } else if (strcmp(a, "--") == 0) {
            dashdash = true;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "--policy") == 0 || strcmp(a, "--exposure") == 0 ||
                   strcmp(a, "--root") == 0) {
            if (i + 1 >= argc)
                return nc_cli_usage("policy explain", "%s needs a value", a);
            if (strcmp(a, "--policy") == 0)
                specs[nspecs++] = argv[++i];
            else if (strcmp(a, "--root") == 0)
                root = argv[++i];
            else if (parse_exposure(argv[++i], &exposure) < 0)
                return nc_cli_usage("policy explain",
                                    "--exposure takes a comma-separated subset of "
                                    "private,untrusted, not '%s'",
                                    argv[i]);
        } else {
            return nc_cli_usage("policy explain", "unknown option '%s'", a);
        }
    }
    if (nspecs == 0) {
        if (npos == 0)
            return nc_cli_usage("policy explain", "expected a profile name or policy file");
        specs[nspecs++] = pos[0];
        memmove(pos, pos + 1, (npos - 1) * sizeof(*pos));
        npos--;
    }
    if (npos == 0)
        return nc_cli_usage("policy explain", "expected an operation (one of the 11 capabilities)");
    if (nc_op_parse(pos[0], &op) < 0)
        return nc_cli_usage("policy explain",
                            "unknown operation '%s'; expected one of read_files write_files "
                            "edit_files run_bash glob_search grep_search web_search web_fetch "
                            "git_commit git_push create_pr",
                            pos[0]);
    if (nc_policy_compose(specs, nspecs, p, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }

    o.spec_label = nspecs == 1 ? specs[0] : p->name;
    o.op = op;
    o.args = pos + 1;
    o.nargs = npos - 1;
    o.exposure = &exposure;
    req.op = op;
    req.root = root;

    /* Validate the input exactly as the tool proxy will, before any rule. */
    if (op_is_path(op)) {
        if (o.nargs != 1)
            return nc_cli_usage("policy explain", "%s takes exactly one PATH", pos[0]);
        if (nc_validate_path(o.args[0], strlen(o.args[0]), &bad) < 0)
            return report(&o, "denied", "invalid_input", bad.reason, NULL, NULL, bad.field,
                          bad.offset);
        req.path = o.args[0];
    } else if (op_is_web(op)) {
        if (o.nargs != 1)
            return nc_cli_usage("policy explain", "%s takes exactly one URL or HOST", pos[0]);
        if (strstr(o.args[0], "://") != NULL) {
            if (nc_validate_url(o.args[0], strlen(o.args[0]), &url, &bad) < 0)
                return report(&o, "denied", "invalid_input", bad.reason, NULL, NULL, bad.field,
                              bad.offset);
            req.host = url.host;
        } else {
            const char *why = nc_list_check_item(NC_LIST_DOMAINS, o.args[0]);
            if (why != NULL || o.args[0][0] == '*')
                return report(&o, "denied", "invalid_input",
                              why != NULL ? why : "a host cannot be a wildcard", NULL, NULL,
                              "host", 0);
            req.host = o.args[0];
        }
    } else {
        if (o.nargs == 0)
            return nc_cli_usage("policy explain", "%s takes a COMMAND [ARG...]", pos[0]);
        lens = calloc(o.nargs, sizeof(*lens));
        if (lens == NULL)
            return NC_EXIT_USAGE;
        for (size_t k = 0; k < o.nargs; k++)
            lens[k] = strlen(o.args[k]);
        if (nc_validate_argv(o.args, lens, o.nargs, &bad) < 0)
            return report(&o, "denied", "invalid_input", bad.reason, NULL, NULL, bad.field,
                          bad.offset);
        req.argv = o.args;
        req.argc = o.nargs;
    }

    nc_decide(p, &exposure, &req, d);
    return report(&o, nc_verdict_name(d->verdict), nc_reason_name(d->reason),
                  d->reason == NC_R_PATH_INVALID && d->rule != NULL ? d->rule
                                                                    : nc_reason_text(d->reason),
                  d->reason == NC_R_PATH_INVALID ? NULL : d->rule,
                  d->path[0] != '\0' ? d->path : NULL, NULL, 0);
}

int nc_cmd_policy(int argc, char **argv)
{
    const char *sub;
    if (argc < 2) {
        fputs(help, stderr);
        return NC_EXIT_USAGE;
    }
    sub = argv[1];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (nc_cli_is_help(argv[i])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
    }
    if (strcmp(sub, "show") == 0)
        return cmd_show(argc - 1, argv + 1, "policy show", false, 1);
    if (strcmp(sub, "meet") == 0)
        return cmd_show(argc - 1, argv + 1, "policy meet", true, 2);
    if (strcmp(sub, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(sub, "explain") == 0)
        return cmd_explain(argc - 1, argv + 1);
    return nc_cli_usage("policy", "unknown subcommand '%s' (show, check, meet, explain)", sub);
}
