/* SPDX-License-Identifier: Apache-2.0 */
/* Policy rendering (see emit.h). */
#include "emit.h"

#include "core/budget.h"

#include <inttypes.h>

/* Entries never hold control characters (the list checks refuse them), so escaping '"' and
 * '\\' inside double quotes is a complete YAML quoting. */
static int put_quoted(FILE *f, const char *s)
{
    if (fputc('"', f) == EOF)
        return -1;
    for (; *s != '\0'; s++) {
        if ((*s == '"' || *s == '\\') && fputc('\\', f) == EOF)
            return -1;
        if (fputc(*s, f) == EOF)
            return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

static int put_list(FILE *f, const char *key, const struct nc_list *l)
{
    if (fprintf(f, "    %s:", key) < 0)
        return -1;
    if (l->unrestricted)
        return fprintf(f, " unrestricted\n") < 0 ? -1 : 0;
    if (l->count == 0)
        return fprintf(f, " []\n") < 0 ? -1 : 0;
    if (fputc('\n', f) == EOF)
        return -1;
    for (size_t i = 0; i < l->count; i++) {
        if (fprintf(f, "      - ") < 0 || put_quoted(f, nc_list_item(l, i)) < 0 ||
            fputc('\n', f) == EOF)
            return -1;
    }
    return 0;
}

static int put_limit(FILE *f, const char *key, uint64_t v)
{
    if (v == NC_UNLIMITED)
        return fprintf(f, "    %s: unlimited\n", key) < 0 ? -1 : 0;
    return fprintf(f, "    %s: %" PRIu64 "\n", key, v) < 0 ? -1 : 0;
}

int nc_policy_emit_yaml(const struct nc_policy *p, FILE *f)
{
    char usd[32];
    bool first = true;

    if (fprintf(f, "apiVersion: nucleus/v1\nkind: Policy\nmetadata:\n  name: ") < 0 ||
        put_quoted(f, p->name[0] != '\0' ? p->name : "unnamed") < 0 ||
        fprintf(f, "\nspec:\n  capabilities:\n") < 0)
        return -1;
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (fprintf(f, "    %s: %s\n", nc_op_name((enum nc_op)i),
                    nc_level_name((enum nc_level)p->caps.level[i])) < 0)
            return -1;
    if (fprintf(f, "  approvals: [") < 0)
        return -1;
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        if ((p->approvals & NC_OPSET_BIT(i)) == 0)
            continue;
        if (fprintf(f, "%s%s", first ? "" : ", ", nc_op_name((enum nc_op)i)) < 0)
            return -1;
        first = false;
    }
    if (fprintf(f, "]\n  paths:\n") < 0 || put_list(f, "allow", &p->paths_allow) < 0 ||
        put_list(f, "deny", &p->paths_deny) < 0 || put_list(f, "read_only", &p->paths_readonly) < 0 ||
        put_list(f, "untrusted", &p->paths_untrusted) < 0 || fprintf(f, "  commands:\n") < 0 ||
        put_list(f, "allow", &p->cmds_allow) < 0 || put_list(f, "deny", &p->cmds_deny) < 0 ||
        fprintf(f, "  network:\n") < 0 || put_list(f, "allow", &p->net_allow) < 0 ||
        fprintf(f, "  git:\n") < 0 || put_list(f, "push_remotes", &p->git_remotes) < 0)
        return -1;
    if (p->budget_micros == NC_UNLIMITED) {
        if (fprintf(f, "  budget:\n    max_usd: unlimited\n") < 0)
            return -1;
    } else {
        if (nc_format_micros(p->budget_micros, usd, sizeof(usd)) < 0 ||
            fprintf(f, "  budget:\n    max_usd: \"%s\"\n", usd) < 0)
            return -1;
    }
    if (fprintf(f, "  limits:\n") < 0 || put_limit(f, "timeout_seconds", p->limits.timeout_s) < 0 ||
        put_limit(f, "max_processes", p->limits.max_procs) < 0)
        return -1;
    if (p->limits.memory_bytes == NC_UNLIMITED)
        return put_limit(f, "memory_mib", NC_UNLIMITED);
    return put_limit(f, "memory_mib", p->limits.memory_bytes >> 20);
}

json_t *nc_list_to_json(const struct nc_list *l)
{
    json_t *arr;
    if (l->unrestricted)
        return json_string("unrestricted");
    arr = json_array();
    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < l->count; i++) {
        if (json_array_append_new(arr, json_string(nc_list_item(l, i))) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *limit_json(uint64_t v)
{
    return v == NC_UNLIMITED ? json_string("unlimited") : json_integer((json_int_t)v);
}

json_t *nc_policy_to_json(const struct nc_policy *p)
{
    json_t *caps = json_object(), *appr = json_array();
    char usd[32];

    if (caps == NULL || appr == NULL)
        goto fail;
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        if (json_object_set_new(caps, nc_op_name((enum nc_op)i),
                                json_string(nc_level_name((enum nc_level)p->caps.level[i]))) < 0)
            goto fail;
        if ((p->approvals & NC_OPSET_BIT(i)) != 0 &&
            json_array_append_new(appr, json_string(nc_op_name((enum nc_op)i))) < 0)
            goto fail;
    }
    if (p->budget_micros == NC_UNLIMITED)
        usd[0] = '\0';
    else if (nc_format_micros(p->budget_micros, usd, sizeof(usd)) < 0)
        goto fail;
    return json_pack(
        "{s:s, s:o, s:o, s:b, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o}, s:{s:o}, s:{s:o, s:o}, "
        "s:{s:o, s:o, s:o}, s:{s:o}}",
        "name", p->name, "capabilities", caps, "approvals", appr, "uninhabitable",
        nc_uninhabitable(nc_caps_enabled(&p->caps)), "paths", "allow",
        nc_list_to_json(&p->paths_allow), "deny", nc_list_to_json(&p->paths_deny), "read_only",
        nc_list_to_json(&p->paths_readonly), "untrusted", nc_list_to_json(&p->paths_untrusted),
        "commands", "allow", nc_list_to_json(&p->cmds_allow), "deny",
        nc_list_to_json(&p->cmds_deny), "network", "allow", nc_list_to_json(&p->net_allow),
        "budget", "max_usd", usd[0] != '\0' ? json_string(usd) : json_string("unlimited"),
        "max_micros", limit_json(p->budget_micros), "limits", "timeout_seconds",
        limit_json(p->limits.timeout_s), "max_processes", limit_json(p->limits.max_procs),
        "memory_mib",
        limit_json(p->limits.memory_bytes == NC_UNLIMITED ? NC_UNLIMITED
                                                          : p->limits.memory_bytes >> 20),
        "git", "push_remotes", nc_list_to_json(&p->git_remotes));
fail:
    json_decref(caps);
    json_decref(appr);
    return NULL;
}
