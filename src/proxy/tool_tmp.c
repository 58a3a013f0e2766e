/* TEMPORARY (not committed): helpers and stub file tools until the proxytools branch lands. */
#include "proxy/tool.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void nc_tool_plan_init(struct nc_tool_plan *plan) { memset(plan, 0, sizeof(*plan)); }
void nc_tool_plan_free(const struct nc_tool *tool, struct nc_tool_plan *plan)
{
    if (tool->cleanup) tool->cleanup(plan);
    json_decref(plan->audit_params);
    json_decref(plan->args);
    memset(plan, 0, sizeof(*plan));
}
void nc_tool_output_free(struct nc_tool_output *out) { free(out->text); json_decref(out->structured); memset(out, 0, sizeof(*out)); }
int nc_tool_fail(struct nc_tool_output *out, const char *kind, const char *fmt, ...)
{
    va_list ap; char buf[1024];
    va_start(ap, fmt); vsnprintf(buf, sizeof(buf), fmt, ap); va_end(ap);
    out->is_error = true; out->kind = kind; free(out->text); out->text = strdup(buf);
    return 0;
}
static int stub_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan, struct nc_err *err)
{
    (void)env;
    json_t *p = json_object_get(args, "path");
    snprintf(plan->path, sizeof(plan->path), "%s", json_is_string(p) ? json_string_value(p) : ".");
    plan->op = NC_OP_READ_FILES;
    plan->cost_kind = NC_COST_FILE_IO;
    snprintf(plan->summary, sizeof(plan->summary), "read %.900s", plan->path);
    (void)err;
    return nc_approval_digest_bytes(plan->path, strlen(plan->path), plan->digest, err);
}
static int stub_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan, struct nc_tool_output *out, struct nc_err *err)
{
    (void)env; (void)err;
    out->text = strdup(plan->decided_path);
    return 0;
}
#define STUB(n, o) const struct nc_tool nc_tool_##n = {#n, #n, "stub", "{\"type\":\"object\"}", o, stub_plan, stub_exec, NULL};
STUB(read, NC_OP_READ_FILES)
STUB(write, NC_OP_WRITE_FILES)
STUB(edit, NC_OP_EDIT_FILES)
STUB(glob, NC_OP_GLOB_SEARCH)
STUB(grep, NC_OP_GREP_SEARCH)
