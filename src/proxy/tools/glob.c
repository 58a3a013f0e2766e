/* SPDX-License-Identifier: Apache-2.0 */
/* The glob tool: workspace paths matching a pattern (docs/tools.md, "glob").
 *
 * The v1 runtime listed blocked names (.env, keys) because its glob never consulted the path
 * rules.  Here every path is run through the policy (nc_tool_path_visible) before it can be
 * listed, and directories the deny rules cover are not even entered. */
#include "proxy/tools/common.h"

#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define GLOB_MAX_RESULTS 10000
#define GLOB_MAX_COLLECT 200000u /* matches gathered before the walk stops (then sorted) */

static const struct nc_arg_spec glob_args[] = {
    {.name = "pattern", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_GLOB},
    {.name = "path", .type = NC_ARG_STRING, .check = NC_ARG_PATH, .nonempty = true},
    {.name = "max_results", .type = NC_ARG_INT, .min = 1, .max = GLOB_MAX_RESULTS, .def = 1000},
};
#define NARGS (sizeof(glob_args) / sizeof(glob_args[0]))

static const char glob_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"pattern\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1024,"
    "\"description\":\"Path pattern, relative to `path`: '*' and '?' match within one path "
    "component, a '**' component matches any number of them; a pattern without '/' matches a "
    "name at any depth (\\\"*.c\\\"), one with '/' is anchored (\\\"src/**/*.h\\\"). A match "
    "of a directory lists everything beneath it. No character classes or braces.\"},"
    "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,\"default\":\".\","
    "\"description\":\"Directory to search, relative to the workspace root.\"},"
    "\"max_results\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000,\"default\":1000,"
    "\"description\":\"Most paths to return (sorted; the rest is cut).\"}},"
    "\"required\":[\"pattern\"],"
    "\"additionalProperties\":false}";

static int glob_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                     struct nc_err *err)
{
    struct nc_arg v[NARGS];
    char shown[NC_PATH_MAX + 1], pat[160];
    int r = nc_tool_args_decode(args, glob_args, NARGS, v, err);
    if (r < 0)
        return r;
    plan->op = NC_OP_GLOB_SEARCH;
    if (v[1].present)
        memcpy(plan->path, v[1].s, v[1].len + 1u);
    else
        memcpy(plan->path, ".", 2);
    plan->cost_kind = NC_COST_SEARCH;
    plan->max_quantity = (uint64_t)v[2].i;
    r = nc_tool_args_digest("glob", glob_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_display_path(env, plan->path, shown, sizeof(shown));
    nc_tool_clip(v[0].s, v[0].len, 120, pat, sizeof(pat));
    nc_tool_summary(plan, "glob '%s' in %s (at most %lld results)", pat, shown,
                    (long long)v[2].i);
    plan->audit_params = nc_tool_args_audit(env, glob_args, NARGS, v);
    if (plan->audit_params == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->args = json_incref(args);
    return 0;
}

struct hit {
    const char *path; /* into glob_run.names, set once the walk is over */
    size_t off;
    enum nc_fs_type type;
};

struct glob_run {
    const struct nc_tool_env *env;
    const char *pattern;
    size_t start_len; /* bytes of the start directory's path plus '/', 0 for the root */
    bool enter_git;
    struct hit *hits;
    size_t n, cap;
    struct nc_buf names; /* every hit's path, NUL-separated */
    bool capped;
    bool untrusted;
};

static int on_entry(void *arg, const struct nc_fs_entry *e, struct nc_err *err)
{
    struct glob_run *g = arg;
    const char *sub = e->rel + g->start_len;

    if (e->type == NC_FS_DIR) {
        if (!g->enter_git && strcmp(e->name, ".git") == 0)
            return NC_FS_WALK_PRUNE;
        if (nc_tool_dir_pruned(g->env, NC_OP_GLOB_SEARCH, e->rel))
            return NC_FS_WALK_PRUNE;
        return NC_FS_WALK_CONTINUE;
    }
    if (!nc_glob_match(g->pattern, sub))
        return NC_FS_WALK_CONTINUE;
    /* Never list what the policy hides: the name alone can be the secret (.env, id_rsa). */
    if (!nc_tool_path_visible(g->env, NC_OP_GLOB_SEARCH, e->rel))
        return NC_FS_WALK_CONTINUE;
    if (g->n == g->cap) {
        size_t ncap = g->cap == 0 ? 64u : g->cap * 2u;
        struct hit *nh = nc_grow_array(g->hits, ncap, sizeof(*nh));
        if (nh == NULL)
            return nc_err_set(err, ENOMEM, "out of memory");
        g->hits = nh;
        g->cap = ncap;
    }
    g->hits[g->n].off = g->names.len;
    g->hits[g->n].type = e->type;
    if (nc_buf_put(&g->names, e->rel, strlen(e->rel) + 1u) != 0)
        return nc_err_set(err, ENOMEM, "out of memory");
    g->n++;
    if (g->n >= GLOB_MAX_COLLECT) {
        g->capped = true;
        return NC_FS_WALK_STOP;
    }
    return NC_FS_WALK_CONTINUE;
}

static int hit_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hit *)a)->path, ((const struct hit *)b)->path);
}

static const char *type_name(enum nc_fs_type t)
{
    switch (t) {
    case NC_FS_FILE:
        return "file";
    case NC_FS_DIR:
        return "directory";
    case NC_FS_SYMLINK:
        return "symlink";
    case NC_FS_OTHER:
        return "other";
    }
    return "other";
}

static void hits_free(struct glob_run *g)
{
    nc_buf_free(&g->names);
    free(g->hits);
    g->hits = NULL;
    g->n = 0;
}

static int glob_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                     struct nc_tool_output *out, struct nc_err *err)
{
    struct nc_fs fs = nc_tool_fs(env);
    struct nc_arg v[NARGS];
    struct nc_err ferr;
    struct nc_fs_walk_stats stats;
    struct nc_fs_walk_ops ops = {.entry = on_entry, .cancelled = env->cancelled};
    struct glob_run g;
    char real[NC_FS_PATH_MAX];
    _cleanup_close_ int fd = -1;
    size_t shown;
    json_t *list = NULL;
    struct nc_buf text = {.max = 0};
    int r;

    if (nc_tool_args_decode(plan->args, glob_args, NARGS, v, err) < 0)
        return -1;
    /* The start directory: where a symlink inside the workspace leads is what gets searched
     * and reported, if the policy allows searching there. */
    fd = nc_fs_open(&fs, plan->decided_path, O_RDONLY | O_DIRECTORY, 0, real, sizeof(real),
                    &ferr);
    if (fd < 0)
        return nc_tool_fail_fs(out, &ferr);
    if (!nc_tool_check_real(env, NC_OP_GLOB_SEARCH, plan->decided_path, real, out))
        return 0;

    memset(&g, 0, sizeof(g));
    g.env = env;
    g.pattern = v[0].s;
    g.start_len = strcmp(real, ".") == 0 ? 0 : strlen(real) + 1u;
    g.enter_git = nc_tool_has_component(v[0].s, ".git") || nc_tool_has_component(real, ".git");
    r = nc_fs_walk(&fs, real, &ops, &g, &stats, &ferr);
    if (r < 0) {
        hits_free(&g);
        if (ferr.code == ENOMEM)
            return nc_err_set(err, ENOMEM, "out of memory");
        return nc_tool_fail_fs(out, &ferr);
    }
    for (size_t i = 0; i < g.n; i++)
        g.hits[i].path = g.names.p + g.hits[i].off;
    if (g.n > 1)
        qsort(g.hits, g.n, sizeof(*g.hits), hit_cmp);
    shown = g.n < (size_t)v[2].i ? g.n : (size_t)v[2].i;

    list = json_array();
    if (list == NULL)
        goto oom;
    for (size_t i = 0; i < shown; i++) {
        struct nc_buf name = {.max = 0};
        if (nc_buf_put_name(&name, g.hits[i].path, strlen(g.hits[i].path)) < 0 ||
            nc_buf_put(&text, name.p, name.len) < 0 || nc_buf_put(&text, "\n", 1) < 0 ||
            json_array_append_new(list, json_pack("{s:s,s:s}", "path", name.p, "type",
                                                  type_name(g.hits[i].type))) < 0) {
            nc_buf_free(&name);
            goto oom;
        }
        nc_buf_free(&name);
        if (nc_policy_path_untrusted(env->policy, g.hits[i].path))
            g.untrusted = true;
    }
    if (shown == 0 && nc_buf_printf(&text, "no paths match\n") < 0)
        goto oom;
    if (shown < g.n || g.capped) {
        if (nc_buf_printf(&text, "[truncated: %zu of %s%zu matches shown]\n", shown,
                          g.capped ? "more than " : "", g.n) < 0)
            goto oom;
    }
    out->structured = json_pack("{s:o,s:I,s:b,s:I,s:I}", "results", list, "count",
                                (json_int_t)shown, "truncated", shown < g.n || g.capped,
                                "unreadable_dirs", (json_int_t)stats.unreadable, "too_deep_dirs",
                                (json_int_t)stats.too_deep);
    list = NULL;
    if (out->structured == NULL)
        goto oom;
    out->text = nc_buf_steal(&text);
    if (out->text == NULL)
        goto oom;
    out->quantity = shown;
    out->read_private = shown > 0;
    out->untrusted = g.untrusted;
    hits_free(&g);
    return 0;
oom:
    json_decref(list);
    nc_buf_free(&text);
    hits_free(&g);
    return nc_err_set(err, ENOMEM, "out of memory");
}

const struct nc_tool nc_tool_glob = {
    .name = "glob",
    .title = "Find files by path pattern",
    .description = "Lists workspace paths (files, symlinks, other non-directories) matching a "
                   "pattern, sorted, relative to the workspace root.  Symlinks are listed, not "
                   "followed.  Paths the policy hides are never listed.  .git is skipped unless "
                   "the pattern or path names it.",
    .input_schema = glob_schema,
    .op = NC_OP_GLOB_SEARCH,
    .plan = glob_plan,
    .exec = glob_exec,
    .cleanup = NULL,
};
