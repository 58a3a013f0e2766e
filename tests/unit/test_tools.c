/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the file tools (src/proxy/tools/): schemas, argument refusal, digests and
 * summaries, each tool's happy path and every tool error, and from the attacker's side: a
 * search never shows or reads a denied file, symlinks cannot carry a call to a denied path,
 * hostile regular expressions are refused or stopped.  The pipeline (dispatch.c) is simulated
 * here: plan -> nc_decide -> exec, as the enforcement order prescribes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/tool.h"
#include "proxy/tools/common.h"
#include "rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct nc_tool *const file_tools[] = {&nc_tool_read, &nc_tool_write, &nc_tool_edit,
                                                   &nc_tool_glob, &nc_tool_grep};
#define NTOOLS (sizeof(file_tools) / sizeof(file_tools[0]))

struct tws {
    char root[256];
    int fd;
    struct nc_policy *pol;
    struct nc_tool_env env;
    atomic_bool cancel;
    int progress_calls;
    uint64_t last_done, last_total;
};

static bool have_openat2;

/* True when lookups use the component walk: forced, or the kernel has no openat2 (the suite
 * runs once more under tests/tools/nofeature). */
static bool fb(const struct tws *w)
{
    return w->env.openat2_disabled || !have_openat2;
}

static int ws_setup(void **state)
{
    struct tws *w = calloc(1, sizeof(*w));
    char t[] = "/tmp/nc-tools-XXXXXX";
    if (w == NULL || mkdtemp(t) == NULL || realpath(t, w->root) == NULL)
        return -1;
    w->fd = open(w->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    w->pol = calloc(1, sizeof(*w->pol));
    if (w->fd < 0 || w->pol == NULL)
        return -1;
    nc_policy_top(w->pol);
    w->env.root_fd = w->fd;
    w->env.root = w->root;
    w->env.policy = w->pol;
    w->env.cancelled = &w->cancel;
    *state = w;
    nc_grep_set_workers(0);
    return 0;
}

static int ws_teardown(void **state)
{
    struct tws *w = *state;
    close(w->fd);
    (void)nc_test_rm_tree(w->root);
    free(w->pol);
    free(w);
    return 0;
}

/* ---- policy ------------------------------------------------------------------------- */

static void add(struct nc_list *l, const char *item)
{
    const char *why = NULL;
    if (nc_list_add(l, item, &why) != 0)
        fail_msg("entry %s refused: %s", item, why);
}

static void allow_only(struct nc_list *l, const char *item)
{
    nc_list_init(l, NC_LIST_PATHS, false);
    add(l, item);
}

/* ---- files -------------------------------------------------------------------------- */

static void pathf(char *out, size_t n, const char *base, const char *rel)
{
    int r = snprintf(out, n, "%s/%s", base, rel);
    assert_true(r > 0 && (size_t)r < n);
}

static void put_bytes(struct tws *w, const char *rel, const char *data, size_t len)
{
    char p[1024];
    pathf(p, sizeof(p), w->root, rel);
    /* parents */
    for (char *s = strchr(p + strlen(w->root) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        (void)mkdir(p, 0755);
        *s = '/';
    }
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void put(struct tws *w, const char *rel, const char *content)
{
    put_bytes(w, rel, content, strlen(content));
}

static void link_(struct tws *w, const char *rel, const char *target)
{
    char p[1024];
    pathf(p, sizeof(p), w->root, rel);
    assert_int_equal(symlink(target, p), 0);
}

static char *slurp(struct tws *w, const char *rel)
{
    static char buf[1 << 16];
    char p[1024];
    pathf(p, sizeof(p), w->root, rel);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof(buf) - 1u);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    return buf;
}

static bool exists(struct tws *w, const char *rel)
{
    char p[1024];
    struct stat st;
    pathf(p, sizeof(p), w->root, rel);
    return lstat(p, &st) == 0;
}

/* ---- the pipeline, simulated ----------------------------------------------------------- */

enum outcome { PLAN_REFUSED, DENIED, RAN };

struct call {
    const struct nc_tool *tool;
    struct nc_tool_plan plan;
    struct nc_tool_output out;
    struct nc_err err;
    struct nc_decision dec;
    enum outcome how;
};

static enum outcome call_tool(struct tws *w, const struct nc_tool *t, const char *json,
                              struct call *c)
{
    json_error_t jerr;
    json_t *args = json_loads(json, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (args == NULL)
        fail_msg("test JSON does not parse: %s: %s", json, jerr.text);
    memset(c, 0, sizeof(*c));
    c->tool = t;
    nc_tool_plan_init(&c->plan);
    int rc = t->plan(&w->env, args, &c->plan, &c->err);
    json_decref(args); /* the plan holds its own reference */
    if (rc < 0) {
        assert_int_equal(c->err.code, EINVAL);
        c->how = PLAN_REFUSED;
        return c->how;
    }
    assert_true(c->plan.summary[0] != '\0');
    assert_non_null(c->plan.audit_params);
    struct nc_request r = {.op = c->plan.op, .root = w->root, .path = c->plan.path};
    nc_decide(w->pol, NULL, &r, &c->dec);
    if (c->dec.verdict == NC_DENY) {
        c->how = DENIED;
        return c->how;
    }
    memcpy(c->plan.decided_path, c->dec.path, sizeof(c->plan.decided_path));
    rc = t->exec(&w->env, &c->plan, &c->out, &c->err);
    if (rc != 0)
        fail_msg("exec failed internally: %s", c->err.msg);
    assert_non_null(c->out.text);
    /* Whatever the outcome, no tool text names the host path of the workspace. */
    assert_null(strstr(c->out.text, w->root));
    c->how = RAN;
    return c->how;
}

static void call_free(struct call *c)
{
    nc_tool_plan_free(c->tool, &c->plan);
    nc_tool_output_free(&c->out);
}

/* Runs a call that must succeed and returns its text (valid until call_free). */
static const char *ok(struct tws *w, const struct nc_tool *t, const char *json, struct call *c)
{
    enum outcome o = call_tool(w, t, json, c);
    if (o != RAN)
        fail_msg("%s %s: %s", t->name, json,
                 o == PLAN_REFUSED ? c->err.msg : nc_reason_name(c->dec.reason));
    if (c->out.is_error)
        fail_msg("%s %s: tool error %s: %s", t->name, json, c->out.kind, c->out.text);
    return c->out.text;
}

static void expect_tool_error(struct tws *w, const struct nc_tool *t, const char *json,
                              const char *kind)
{
    struct call c;
    enum outcome o = call_tool(w, t, json, &c);
    if (o != RAN)
        fail_msg("%s %s: did not run (%s)", t->name, json,
                 o == PLAN_REFUSED ? c.err.msg : nc_reason_name(c.dec.reason));
    if (!c.out.is_error || strcmp(c.out.kind, kind) != 0)
        fail_msg("%s %s: want tool error %s, got %s: %s", t->name, json, kind,
                 c.out.is_error ? c.out.kind : "success", c.out.text);
    call_free(&c);
}

/* The plan must refuse the arguments with a message naming `field`. */
static void expect_refused(struct tws *w, const struct nc_tool *t, const char *json,
                           const char *field)
{
    struct call c;
    enum outcome o = call_tool(w, t, json, &c);
    if (o != PLAN_REFUSED)
        fail_msg("%s %s: arguments accepted", t->name, json);
    if (field != NULL && strstr(c.err.msg, field) == NULL)
        fail_msg("%s %s: message '%s' does not name '%s'", t->name, json, c.err.msg, field);
    call_free(&c);
}

static const char *sget(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    assert_non_null(s);
    return s;
}

static json_int_t iget(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static bool bget(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_boolean(v));
    return json_is_true(v);
}

/* ---- schemas and arguments ------------------------------------------------------------- */

static void schemas_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTOOLS; i++) {
        const struct nc_tool *t = file_tools[i];
        json_error_t e;
        json_t *s = json_loads(t->input_schema, 0, &e);
        if (s == NULL)
            fail_msg("%s: schema does not parse: %s (line %d)", t->name, e.text, e.line);
        assert_string_equal(sget(s, "type"), "object");
        assert_true(json_is_false(json_object_get(s, "additionalProperties")));
        json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
        assert_true(json_is_object(props));
        assert_true(json_is_array(req) && json_array_size(req) >= 1);
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v) {
            assert_non_null(json_string_value(json_object_get(v, "type")));
        }
        size_t j;
        json_array_foreach(req, j, v) {
            assert_non_null(json_object_get(props, json_string_value(v)));
        }
        assert_non_null(t->title);
        assert_true(strlen(t->description) > 20);
        json_decref(s);
    }
    assert_string_equal(nc_tool_read.name, "read");
    assert_int_equal(nc_tool_read.op, NC_OP_READ_FILES);
    assert_int_equal(nc_tool_write.op, NC_OP_WRITE_FILES);
    assert_int_equal(nc_tool_edit.op, NC_OP_EDIT_FILES);
    assert_int_equal(nc_tool_glob.op, NC_OP_GLOB_SEARCH);
    assert_int_equal(nc_tool_grep.op, NC_OP_GREP_SEARCH);
}

static void arguments_refused(void **state)
{
    struct tws *w = *state;
    /* shape */
    expect_refused(w, &nc_tool_read, "[]", "object");
    expect_refused(w, &nc_tool_read, "\"a\"", "object");
    expect_refused(w, &nc_tool_read, "{}", "path");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"extra\":1}", "extra");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"Path\":\"b\"}", "Path");
    /* types, null included */
    expect_refused(w, &nc_tool_read, "{\"path\":1}", "path");
    expect_refused(w, &nc_tool_read, "{\"path\":null}", "path");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"offset\":\"2\"}", "offset");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"limit\":1.0}", "limit");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"limit\":true}", "limit");
    /* ranges */
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"offset\":0}", "offset");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"limit\":0}", "limit");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"limit\":20001}", "limit");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\",\"offset\":2147483648}", "offset");
    /* path validation: empty, NUL, control characters, too long */
    expect_refused(w, &nc_tool_read, "{\"path\":\"\"}", "path");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\\u0000b\"}", "path");
    expect_refused(w, &nc_tool_read, "{\"path\":\"a\\nb\"}", "path");
    char big[5000 + 32];
    memcpy(big, "{\"path\":\"", 9);
    memset(big + 9, 'a', 4097);
    memcpy(big + 9 + 4097, "\"}", 3);
    expect_refused(w, &nc_tool_read, big, "path");

    expect_refused(w, &nc_tool_write, "{\"path\":\"a\"}", "content");
    expect_refused(w, &nc_tool_write, "{\"path\":\"a\",\"content\":5}", "content");
    expect_refused(w, &nc_tool_write, "{\"path\":\"a\",\"content\":\"x\",\"mode\":420}", "mode");
    {
        size_t n = 4u * 1024u * 1024u + 1u;
        char *j = malloc(n + 64u);
        assert_non_null(j);
        int h = snprintf(j, 64, "{\"path\":\"a\",\"content\":\"");
        memset(j + h, 'x', n);
        memcpy(j + h + n, "\"}", 3);
        expect_refused(w, &nc_tool_write, j, "content");
        free(j);
    }
    expect_refused(w, &nc_tool_edit, "{\"path\":\"a\",\"old_string\":\"x\"}", "new_string");
    expect_refused(w, &nc_tool_edit, "{\"path\":\"a\",\"old_string\":\"\",\"new_string\":\"y\"}",
                   "old_string");
    expect_refused(w, &nc_tool_edit, "{\"path\":\"a\",\"old_string\":\"x\",\"new_string\":\"x\"}",
                   "new_string");
    expect_refused(w, &nc_tool_edit,
                   "{\"path\":\"a\",\"old_string\":\"x\",\"new_string\":\"y\",\"replace_all\":1}",
                   "replace_all");
    expect_refused(w, &nc_tool_edit,
                   "{\"path\":\"a\",\"old_string\":\"x\",\"new_string\":\"y\",\"replace_al\":true}",
                   "replace_al");

    expect_refused(w, &nc_tool_glob, "{}", "pattern");
    expect_refused(w, &nc_tool_glob, "{\"pattern\":\"\"}", "pattern");
    expect_refused(w, &nc_tool_glob, "{\"pattern\":\"/etc/*\"}", "pattern");
    expect_refused(w, &nc_tool_glob, "{\"pattern\":\"a/../b\"}", "pattern");
    expect_refused(w, &nc_tool_glob, "{\"pattern\":\"*\",\"max_results\":10001}", "max_results");
    expect_refused(w, &nc_tool_glob, "{\"pattern\":\"*\",\"max_results\":0}", "max_results");
    expect_refused(w, &nc_tool_glob, "{\"pattern\":\"*\",\"path\":\"\"}", "path");

    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"x\",\"context\":11}", "context");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"x\",\"context\":-1}", "context");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"x\",\"max_matches\":5001}", "max_matches");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"x\",\"case_insensitive\":\"yes\"}",
                   "case_insensitive");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"x\",\"glob\":\"/abs\"}", "glob");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"x\\u0000\"}", "pattern");
    /* PCRE2 syntax errors are argument errors too, named and positioned */
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"\\\\p{NoSuchProperty}\"}", "pattern");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"\\\\C\"}", "pattern");
}

static void redos_refused_before_compiling(void **state)
{
    struct tws *w = *state;
    struct call c;
    /* The screen answers, with its own reason, before PCRE2 sees the pattern. */
    assert_int_equal(call_tool(w, &nc_tool_grep, "{\"pattern\":\"(a+)+$\"}", &c), PLAN_REFUSED);
    assert_non_null(strstr(c.err.msg, "pattern"));
    assert_non_null(strstr(c.err.msg, "nested quantifier"));
    assert_null(c.plan.priv); /* nothing was compiled */
    call_free(&c);
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"(a|a)*b\"}", "pattern");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"(?R)\"}", "pattern");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"(?C1)x\"}", "pattern");
    expect_refused(w, &nc_tool_grep, "{\"pattern\":\"(*LIMIT_MATCH=99999999)x\"}", "pattern");
}

static void digests_bind_every_argument(void **state)
{
    struct tws *w = *state;
    struct call a, b;
    uint8_t d1[32];
#define DIGEST_OF(tool, json, out)                                                            \
    do {                                                                                      \
        assert_int_equal(call_tool(w, tool, json, &a), RAN);                                  \
        memcpy(out, a.plan.digest, 32);                                                       \
        call_free(&a);                                                                        \
    } while (0)
#define SAME(tool, j1, j2)                                                                    \
    do {                                                                                      \
        uint8_t x[32], y[32];                                                                 \
        DIGEST_OF(tool, j1, x);                                                               \
        DIGEST_OF(tool, j2, y);                                                               \
        if (memcmp(x, y, 32) != 0)                                                            \
            fail_msg("digests differ: %s vs %s", j1, j2);                                     \
    } while (0)
#define DIFFER(tool, j1, j2)                                                                  \
    do {                                                                                      \
        uint8_t x[32], y[32];                                                                 \
        DIGEST_OF(tool, j1, x);                                                               \
        DIGEST_OF(tool, j2, y);                                                               \
        if (memcmp(x, y, 32) == 0)                                                            \
            fail_msg("digests equal: %s vs %s", j1, j2);                                      \
    } while (0)
    put(w, "f", "abc\n");
    SAME(&nc_tool_read, "{\"path\":\"f\"}", "{\"path\":\"f\",\"offset\":1,\"limit\":2000}");
    SAME(&nc_tool_read, "{\"limit\":5,\"path\":\"f\"}", "{\"path\":\"f\",\"limit\":5}");
    DIFFER(&nc_tool_read, "{\"path\":\"f\"}", "{\"path\":\"f\",\"offset\":2}");
    DIFFER(&nc_tool_read, "{\"path\":\"f\"}", "{\"path\":\"./f\"}"); /* as given, byte for byte */
    DIFFER(&nc_tool_write, "{\"path\":\"n1\",\"content\":\"x\"}",
           "{\"path\":\"n1\",\"content\":\"y\"}");
    DIFFER(&nc_tool_write, "{\"path\":\"n1\",\"content\":\"ab\"}",
           "{\"path\":\"n1a\",\"content\":\"b\"}");
    DIFFER(&nc_tool_edit, "{\"path\":\"f\",\"old_string\":\"a\",\"new_string\":\"b\"}",
           "{\"path\":\"f\",\"old_string\":\"a\",\"new_string\":\"b\",\"replace_all\":true}");
    DIFFER(&nc_tool_edit, "{\"path\":\"f\",\"old_string\":\"ab\",\"new_string\":\"c\"}",
           "{\"path\":\"f\",\"old_string\":\"a\",\"new_string\":\"bc\"}");
    DIFFER(&nc_tool_grep, "{\"pattern\":\"a\"}", "{\"pattern\":\"a\",\"case_insensitive\":true}");
    DIFFER(&nc_tool_grep, "{\"pattern\":\"a\"}", "{\"pattern\":\"a\",\"glob\":\"*\"}");
    DIFFER(&nc_tool_glob, "{\"pattern\":\"a\"}", "{\"pattern\":\"a\",\"max_results\":5}");
    /* a tool's digest is not another tool's: the name is part of it */
    DIGEST_OF(&nc_tool_glob, "{\"pattern\":\"f\"}", d1);
    assert_int_equal(call_tool(w, &nc_tool_grep, "{\"pattern\":\"f\"}", &b), RAN);
    assert_memory_not_equal(d1, b.plan.digest, 32);
    call_free(&b);
}

static void summaries_and_audit(void **state)
{
    struct tws *w = *state;
    struct call c;
    char abs[600];
    /* an absolute path inside the workspace is shown relative, never with the host root */
    (void)snprintf(abs, sizeof(abs), "{\"path\":\"%s/src/a.c\",\"content\":\"SECRET-CONTENT\"}",
                   w->root);
    assert_int_equal(call_tool(w, &nc_tool_write, abs, &c), RAN);
    assert_false(c.out.is_error);
    assert_int_equal(c.plan.op, NC_OP_WRITE_FILES);
    assert_non_null(strstr(c.plan.summary, "write src/a.c (new file, 14 bytes, sha256 "));
    assert_null(strstr(c.plan.summary, w->root));
    assert_null(strstr(c.plan.summary, "SECRET-CONTENT"));
    char *audit = json_dumps(c.plan.audit_params, JSON_SORT_KEYS);
    assert_non_null(audit);
    assert_null(strstr(audit, "SECRET-CONTENT"));
    assert_null(strstr(audit, w->root));
    assert_non_null(strstr(audit, "\"path\": \"src/a.c\""));
    assert_non_null(strstr(audit, "\"bytes\": 14"));
    free(audit);
    call_free(&c);
    /* the second write replaces: edit_files, and the summary says so */
    assert_int_equal(call_tool(w, &nc_tool_write, "{\"path\":\"src/a.c\",\"content\":\"x\"}", &c),
                     RAN);
    assert_int_equal(c.plan.op, NC_OP_EDIT_FILES);
    assert_non_null(strstr(c.plan.summary, "replaces the existing file"));
    call_free(&c);
    /* edit: digests of the strings, never the strings */
    assert_int_equal(call_tool(w, &nc_tool_edit,
                               "{\"path\":\"src/a.c\",\"old_string\":\"x\",\"new_string\":"
                               "\"PASSWORD=hunter2\"}",
                               &c),
                     RAN);
    assert_null(strstr(c.plan.summary, "hunter2"));
    audit = json_dumps(c.plan.audit_params, 0);
    assert_null(strstr(audit, "hunter2"));
    free(audit);
    assert_int_equal(c.plan.cost_kind, NC_COST_FILE_IO);
    assert_true(c.plan.max_quantity >= 16u); /* 1 byte becomes 16: reserved up front */
    call_free(&c);
    /* a path outside the workspace: the summary says so without echoing it */
    assert_int_equal(call_tool(w, &nc_tool_read, "{\"path\":\"/etc/shadow\"}", &c), DENIED);
    assert_null(strstr(c.plan.summary, "/etc/shadow"));
    call_free(&c);
    /* searches price per result */
    assert_int_equal(call_tool(w, &nc_tool_grep, "{\"pattern\":\"q\",\"max_matches\":7}", &c),
                     RAN);
    assert_int_equal(c.plan.cost_kind, NC_COST_SEARCH);
    assert_int_equal(c.plan.max_quantity, 7);
    assert_string_equal(c.plan.path, ".");
    call_free(&c);
}

/* ---- read -------------------------------------------------------------------------------- */

static void read_lines(void **state)
{
    struct tws *w = *state;
    struct call c;
    put(w, "f.txt", "l1\nl2\nl3\n");
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"f.txt\"}", &c), "l1\nl2\nl3\n");
    assert_int_equal(iget(c.out.structured, "lines"), 3);
    assert_false(bget(c.out.structured, "truncated"));
    assert_int_equal(c.out.quantity, 9);
    assert_true(c.out.read_private);
    assert_false(c.out.untrusted);
    call_free(&c);
    const char *t = ok(w, &nc_tool_read, "{\"path\":\"f.txt\",\"offset\":2,\"limit\":1}", &c);
    assert_non_null(strstr(t, "l2\n"));
    assert_null(strstr(t, "l3"));
    assert_non_null(strstr(t, "continue with offset=3"));
    assert_true(bget(c.out.structured, "truncated"));
    assert_int_equal(iget(c.out.structured, "next_offset"), 3);
    assert_int_equal(c.out.quantity, 3);
    call_free(&c);
    /* the last line to the end: no truncation note */
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"f.txt\",\"offset\":3,\"limit\":1}", &c),
                        "l3\n");
    call_free(&c);
    put(w, "nonl", "a\nb");
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"nonl\",\"offset\":2}", &c), "b");
    call_free(&c);
    put(w, "empty", "");
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"empty\"}", &c), "");
    call_free(&c);
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"f.txt\",\"offset\":4}", "out_of_range");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"nonl\",\"offset\":3}", "out_of_range");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"empty\",\"offset\":2}", "out_of_range");
    /* through ./ and an absolute path inside the workspace */
    char abs[600];
    (void)snprintf(abs, sizeof(abs), "{\"path\":\"%s/./f.txt\"}", w->root);
    assert_string_equal(ok(w, &nc_tool_read, abs, &c), "l1\nl2\nl3\n");
    call_free(&c);
}

static void read_errors(void **state)
{
    struct tws *w = *state;
    char p[600];
    put(w, "dir/x", "x");
    put_bytes(w, "bin", "ab\0cd", 5);
    pathf(p, sizeof(p), w->root, "fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"missing\"}", "not_found");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"dir\"}", "is_directory");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\".\"}", "is_directory");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"bin\"}", "binary_file");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"fifo\"}", "not_regular");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"dir/x/y\"}", "not_a_directory");
    link_(w, "out", "/etc/passwd");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"out\"}",
                      fb(w) ? "symlink_refused" : "outside_workspace");
    w->env.openat2_disabled = true;
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"out\"}", "symlink_refused");
    /* the pipeline refuses escapes before any tool runs */
    struct call c;
    assert_int_equal(call_tool(w, &nc_tool_read, "{\"path\":\"../x\"}", &c), DENIED);
    assert_int_equal(c.dec.reason, NC_R_PATH_INVALID);
    call_free(&c);
}

static void read_caps(void **state)
{
    struct tws *w = *state;
    struct call c;
    /* 3000 lines of 100 bytes: 300,000 bytes, more than the 256 KiB cap */
    size_t n = 3000u * 100u;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < 3000u; i++) {
        memset(big + i * 100u, 'a' + (int)(i % 26u), 99);
        big[i * 100u + 99u] = '\n';
    }
    put_bytes(w, "big", big, n);
    ok(w, &nc_tool_read, "{\"path\":\"big\",\"limit\":20000}", &c);
    assert_true(bget(c.out.structured, "truncated"));
    assert_int_equal(iget(c.out.structured, "lines"), 2621); /* 262,100 bytes of whole lines */
    assert_int_equal(iget(c.out.structured, "next_offset"), 2622);
    assert_true(c.out.quantity <= 256u * 1024u);
    call_free(&c);
    /* one line longer than the cap: its start, and the next call goes past it */
    memset(big, 'x', n);
    memcpy(big + n - 4u, "\xc3\xa9\n", 3); /* end without a newline after a short tail */
    big[n - 1u] = 'z';
    put_bytes(w, "long", big, n);
    ok(w, &nc_tool_read, "{\"path\":\"long\"}", &c);
    assert_true(bget(c.out.structured, "line_cut"));
    assert_int_equal(iget(c.out.structured, "next_offset"), 2);
    assert_int_equal(c.out.quantity, 256u * 1024u);
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"long\",\"offset\":2}", &c), "z");
    call_free(&c);
    free(big);
    /* a NUL past the binary probe cannot cut the text short: replaced, and said */
    char nul[9000];
    memset(nul, 'n', sizeof(nul));
    nul[8500] = '\0';
    nul[sizeof(nul) - 1u] = '\n';
    put_bytes(w, "late-nul", nul, sizeof(nul));
    ok(w, &nc_tool_read, "{\"path\":\"late-nul\"}", &c);
    assert_int_equal(strlen(c.out.text), sizeof(nul) + 2u);
    assert_true(bget(c.out.structured, "lossy"));
    call_free(&c);
    /* invalid UTF-8 is replaced, and said */
    put(w, "latin1", "caf\xe9\n");
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"latin1\"}", &c), "caf\xef\xbf\xbd\n");
    assert_true(bget(c.out.structured, "lossy"));
    call_free(&c);
}

static void read_policy(void **state)
{
    struct tws *w = *state;
    struct call c;
    add(&w->pol->paths_deny, ".env");
    add(&w->pol->paths_untrusted, "vendor");
    put(w, ".env", "SECRET=hunter2\n");
    put(w, "vendor/lib.c", "int x;\n");
    assert_int_equal(call_tool(w, &nc_tool_read, "{\"path\":\".env\"}", &c), DENIED);
    assert_int_equal(c.dec.reason, NC_R_PATH_DENIED);
    call_free(&c);
    ok(w, &nc_tool_read, "{\"path\":\"vendor/lib.c\"}", &c);
    assert_true(c.out.untrusted);
    call_free(&c);
    /* a symlink with an innocent name cannot read the denied file */
    link_(w, "notes.txt", ".env");
    put(w, "sub/keep", "");
    link_(w, "sub/up", "../.env");
    for (int mode = 0; mode < 2; mode++) {
        w->env.openat2_disabled = mode == 1;
        for (int k = 0; k < 2; k++) {
            assert_int_equal(call_tool(w, &nc_tool_read,
                                       k == 0 ? "{\"path\":\"notes.txt\"}" : "{\"path\":\"sub/up\"}",
                                       &c),
                             RAN);
            assert_true(c.out.is_error);
            assert_string_equal(c.out.kind, !fb(w) ? "path_denied" : "symlink_refused");
            assert_null(strstr(c.out.text, "hunter2"));
            assert_null(strstr(c.out.text, ".env")); /* not even the target's name */
            call_free(&c);
        }
    }
    /* an inside link to an allowed file works (openat2) and counts the target's trust */
    w->env.openat2_disabled = false;
    link_(w, "vlink", "vendor/lib.c");
    if (fb(w)) {
        expect_tool_error(w, &nc_tool_read, "{\"path\":\"vlink\"}", "symlink_refused");
        return;
    }
    assert_string_equal(ok(w, &nc_tool_read, "{\"path\":\"vlink\"}", &c), "int x;\n");
    assert_true(c.out.untrusted);
    call_free(&c);
}

/* ---- write ------------------------------------------------------------------------------- */

static void write_create_replace(void **state)
{
    struct tws *w = *state;
    struct call c;
    ok(w, &nc_tool_write, "{\"path\":\"a/b/new.txt\",\"content\":\"hello\\n\"}", &c);
    assert_int_equal(c.plan.op, NC_OP_WRITE_FILES);
    assert_true(bget(c.out.structured, "created"));
    assert_int_equal(c.out.quantity, 6);
    assert_false(c.out.read_private);
    call_free(&c);
    assert_string_equal(slurp(w, "a/b/new.txt"), "hello\n");
    char p[600];
    pathf(p, sizeof(p), w->root, "a/b/new.txt");
    assert_int_equal(chmod(p, 0600), 0);
    ok(w, &nc_tool_write, "{\"path\":\"a/b/new.txt\",\"content\":\"bye\"}", &c);
    assert_int_equal(c.plan.op, NC_OP_EDIT_FILES);
    assert_false(bget(c.out.structured, "created"));
    call_free(&c);
    assert_string_equal(slurp(w, "a/b/new.txt"), "bye");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* bytes as given, NUL included */
    ok(w, &nc_tool_write, "{\"path\":\"nul\",\"content\":\"a\\u0000b\"}", &c);
    assert_int_equal(c.out.quantity, 3);
    call_free(&c);
    put(w, "d/x", "");
    expect_tool_error(w, &nc_tool_write, "{\"path\":\"d\",\"content\":\"x\"}", "is_directory");
    expect_tool_error(w, &nc_tool_write, "{\"path\":\"d/x/y\",\"content\":\"x\"}",
                      "not_a_directory");
}

static void write_race_between_plan_and_exec(void **state)
{
    struct tws *w = *state;
    struct call c;
    json_t *args = json_loads("{\"path\":\"r.txt\",\"content\":\"new\"}", 0, NULL);
    /* planned as a creation (write_files), then the file appears */
    nc_tool_plan_init(&c.plan);
    memset(&c.out, 0, sizeof(c.out));
    c.tool = &nc_tool_write;
    assert_int_equal(nc_tool_write.plan(&w->env, args, &c.plan, &c.err), 0);
    assert_int_equal(c.plan.op, NC_OP_WRITE_FILES);
    memcpy(c.plan.decided_path, "r.txt", 6);
    put(w, "r.txt", "theirs");
    assert_int_equal(nc_tool_write.exec(&w->env, &c.plan, &c.out, &c.err), 0);
    assert_true(c.out.is_error);
    assert_string_equal(c.out.kind, "changed");
    assert_string_equal(slurp(w, "r.txt"), "theirs");
    call_free(&c);
    /* planned as a replacement (edit_files), then the file goes */
    nc_tool_plan_init(&c.plan);
    memset(&c.out, 0, sizeof(c.out));
    assert_int_equal(nc_tool_write.plan(&w->env, args, &c.plan, &c.err), 0);
    assert_int_equal(c.plan.op, NC_OP_EDIT_FILES);
    memcpy(c.plan.decided_path, "r.txt", 6);
    char p[600];
    pathf(p, sizeof(p), w->root, "r.txt");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(nc_tool_write.exec(&w->env, &c.plan, &c.out, &c.err), 0);
    assert_true(c.out.is_error);
    assert_string_equal(c.out.kind, "changed");
    assert_false(exists(w, "r.txt"));
    call_free(&c);
    json_decref(args);
}

static void write_policy(void **state)
{
    struct tws *w = *state;
    struct call c;
    add(&w->pol->paths_readonly, "docs");
    add(&w->pol->paths_deny, "secrets");
    put(w, "docs/guide.md", "guide");
    put(w, "secrets/k", "key");
    assert_int_equal(call_tool(w, &nc_tool_write, "{\"path\":\"docs/x.md\",\"content\":\"x\"}", &c),
                     DENIED);
    assert_int_equal(c.dec.reason, NC_R_PATH_READONLY);
    call_free(&c);
    /* a symlinked directory cannot carry a write into a read-only or denied one */
    link_(w, "link", "docs");
    link_(w, "s", "secrets");
    for (int mode = 0; mode < 2; mode++) {
        w->env.openat2_disabled = mode == 1;
        expect_tool_error(w, &nc_tool_write, "{\"path\":\"link/x.md\",\"content\":\"x\"}",
                          !fb(w) ? "path_denied" : "symlink_refused");
        expect_tool_error(w, &nc_tool_write, "{\"path\":\"link/guide.md\",\"content\":\"x\"}",
                          !fb(w) ? "path_denied" : "symlink_refused");
        expect_tool_error(w, &nc_tool_write, "{\"path\":\"s/new/key\",\"content\":\"x\"}",
                          !fb(w) ? "path_denied" : "symlink_refused");
    }
    assert_false(exists(w, "docs/x.md"));
    assert_false(exists(w, "secrets/new"));
    /* a dangling link to where a denied directory would be: refused too */
    link_(w, "dang", "private");
    add(&w->pol->paths_deny, "private");
    assert_int_equal(call_tool(w, &nc_tool_write, "{\"path\":\"dang/x\",\"content\":\"x\"}", &c),
                     RAN);
    assert_true(c.out.is_error);
    call_free(&c);
    assert_false(exists(w, "private"));
    assert_string_equal(slurp(w, "docs/guide.md"), "guide");
    /* a symlink at the target itself is replaced, not followed */
    w->env.openat2_disabled = false;
    link_(w, "g", "docs/guide.md"); /* replaced in both modes: the link is never resolved */
    ok(w, &nc_tool_write, "{\"path\":\"g\",\"content\":\"own\"}", &c);
    assert_true(bget(c.out.structured, "replaced_symlink"));
    call_free(&c);
    assert_string_equal(slurp(w, "docs/guide.md"), "guide");
    assert_string_equal(slurp(w, "g"), "own");
}

/* ---- edit -------------------------------------------------------------------------------- */

static void edit_replacements(void **state)
{
    struct tws *w = *state;
    struct call c;
    char p[600];
    put(w, "e.c", "int a = 1;\nint b = 1;\nint a2 = 1;\n");
    pathf(p, sizeof(p), w->root, "e.c");
    assert_int_equal(chmod(p, 0640), 0);
    ok(w, &nc_tool_edit, "{\"path\":\"e.c\",\"old_string\":\"int b\",\"new_string\":\"long b\"}",
       &c);
    assert_int_equal(iget(c.out.structured, "replacements"), 1);
    call_free(&c);
    assert_string_equal(slurp(w, "e.c"), "int a = 1;\nlong b = 1;\nint a2 = 1;\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    /* not unique: the count is in the message, the file is untouched */
    struct call e;
    assert_int_equal(call_tool(w, &nc_tool_edit,
                               "{\"path\":\"e.c\",\"old_string\":\"= 1\",\"new_string\":\"= 2\"}",
                               &e),
                     RAN);
    assert_true(e.out.is_error);
    assert_string_equal(e.out.kind, "not_unique");
    assert_non_null(strstr(e.out.text, "3 times"));
    call_free(&e);
    ok(w, &nc_tool_edit,
       "{\"path\":\"e.c\",\"old_string\":\"= 1\",\"new_string\":\"= 22\",\"replace_all\":true}",
       &c);
    assert_int_equal(iget(c.out.structured, "replacements"), 3);
    assert_int_equal(c.out.quantity, strlen("int a = 22;\nlong b = 22;\nint a2 = 22;\n"));
    call_free(&c);
    assert_string_equal(slurp(w, "e.c"), "int a = 22;\nlong b = 22;\nint a2 = 22;\n");
    /* non-overlapping, left to right */
    put(w, "o", "aaaa");
    ok(w, &nc_tool_edit,
       "{\"path\":\"o\",\"old_string\":\"aa\",\"new_string\":\"b\",\"replace_all\":true}", &c);
    call_free(&c);
    assert_string_equal(slurp(w, "o"), "bb");
    /* deleting text */
    ok(w, &nc_tool_edit, "{\"path\":\"o\",\"old_string\":\"bb\",\"new_string\":\"\"}", &c);
    call_free(&c);
    assert_string_equal(slurp(w, "o"), "");
}

static void edit_errors(void **state)
{
    struct tws *w = *state;
    put(w, "t", "text\n");
    put_bytes(w, "bin", "x\0y", 3);
    put(w, "d/f", "");
    expect_tool_error(w, &nc_tool_edit, "{\"path\":\"t\",\"old_string\":\"nope\",\"new_string\":\"x\"}",
                      "not_found");
    expect_tool_error(w, &nc_tool_edit, "{\"path\":\"missing\",\"old_string\":\"a\",\"new_string\":\"b\"}",
                      "not_found");
    expect_tool_error(w, &nc_tool_edit, "{\"path\":\"bin\",\"old_string\":\"x\",\"new_string\":\"z\"}",
                      "binary_file");
    expect_tool_error(w, &nc_tool_edit, "{\"path\":\"d\",\"old_string\":\"x\",\"new_string\":\"z\"}",
                      "is_directory");
    assert_string_equal(slurp(w, "t"), "text\n");
    /* through an inside symlink: the target is edited (the link stays) if the policy allows it */
    add(&w->pol->paths_readonly, "ro");
    put(w, "ro/conf", "key=1\n");
    link_(w, "conf", "ro/conf");
    link_(w, "tl", "t");
    expect_tool_error(w, &nc_tool_edit, "{\"path\":\"conf\",\"old_string\":\"1\",\"new_string\":\"2\"}",
                      fb(w) ? "symlink_refused" : "path_denied");
    assert_string_equal(slurp(w, "ro/conf"), "key=1\n");
    if (fb(w))
        return;
    struct call c;
    ok(w, &nc_tool_edit, "{\"path\":\"tl\",\"old_string\":\"text\",\"new_string\":\"TEXT\"}", &c);
    call_free(&c);
    assert_string_equal(slurp(w, "t"), "TEXT\n");
    struct stat st;
    char p[600];
    pathf(p, sizeof(p), w->root, "tl");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    w->env.openat2_disabled = true;
    expect_tool_error(w, &nc_tool_edit, "{\"path\":\"tl\",\"old_string\":\"TEXT\",\"new_string\":\"t\"}",
                      "symlink_refused");
}

/* ---- glob -------------------------------------------------------------------------------- */

static void glob_lists_sorted_visible_paths(void **state)
{
    struct tws *w = *state;
    struct call c;
    put(w, "src/b.c", "");
    put(w, "src/a.c", "");
    put(w, "src/sub/z.c", "");
    put(w, "a.c", "");
    put(w, "README", "");
    put(w, ".git/config.c", "");
    put(w, "outside/x.c", "");
    link_(w, "src/link.c", "/etc/passwd");
    link_(w, "ldir", "outside"); /* a link to a directory: listed, never entered */
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\"*.c\"}", &c),
                        "a.c\noutside/x.c\nsrc/a.c\nsrc/b.c\nsrc/link.c\nsrc/sub/z.c\n");
    json_t *res = json_object_get(c.out.structured, "results");
    assert_int_equal(json_array_size(res), 6);
    assert_string_equal(sget(json_array_get(res, 4), "type"), "symlink");
    assert_int_equal(c.out.quantity, 6);
    assert_true(c.out.read_private);
    call_free(&c);
    /* relative to `path`, results relative to the workspace */
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\"*.c\",\"path\":\"src/sub\"}", &c),
                        "src/sub/z.c\n");
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\"sub/*.c\",\"path\":\"src\"}", &c),
                        "src/sub/z.c\n");
    call_free(&c);
    /* .git only when named */
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\".git/*\"}", &c), ".git/config.c\n");
    call_free(&c);
    /* a directory match lists what is beneath it */
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\"src/sub\"}", &c), "src/sub/z.c\n");
    call_free(&c);
    /* truncation */
    ok(w, &nc_tool_glob, "{\"pattern\":\"*.c\",\"max_results\":2}", &c);
    assert_non_null(strstr(c.out.text, "a.c\noutside/x.c\n[truncated"));
    assert_true(bget(c.out.structured, "truncated"));
    assert_int_equal(c.out.quantity, 2);
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\"*.nothing\"}", &c),
                        "no paths match\n");
    assert_false(c.out.read_private);
    call_free(&c);
    expect_tool_error(w, &nc_tool_glob, "{\"pattern\":\"*\",\"path\":\"README\"}",
                      "not_a_directory");
    expect_tool_error(w, &nc_tool_glob, "{\"pattern\":\"*\",\"path\":\"nope\"}", "not_found");
    /* the start must not be a way out */
    link_(w, "etc", "/etc");
    expect_tool_error(w, &nc_tool_glob, "{\"pattern\":\"passwd\",\"path\":\"etc\"}",
                      fb(w) ? "symlink_refused" : "outside_workspace");
}

static void glob_names_are_escaped(void **state)
{
    struct tws *w = *state;
    struct call c;
    /* A name with a newline could forge an output line ("src/secret.c"); the policy cannot
     * even name such a path, so searches never show it.  Other odd bytes are escaped. */
    put(w, "evil\nsrc/secret.c", "needle\n");
    put(w, "back\\slash.c", "needle\n");
    put(w, "bad\xff.c", "needle\n");
    ok(w, &nc_tool_glob, "{\"pattern\":\"*.c\"}", &c);
    assert_string_equal(c.out.text, "back\\\\slash.c\nbad\\xff.c\n");
    call_free(&c);
    ok(w, &nc_tool_grep, "{\"pattern\":\"needle\"}", &c);
    assert_string_equal(c.out.text, "back\\\\slash.c:1:needle\nbad\\xff.c:1:needle\n");
    call_free(&c);
    /* the escaping itself */
    struct nc_buf b = {.max = 0};
    assert_int_equal(nc_buf_put_name(&b, "a\nb\x7f\\\xc3\xa9\xc3", 8), 0);
    assert_string_equal(b.p, "a\\x0ab\\x7f\\\\\xc3\xa9\\xc3");
    nc_buf_free(&b);
}

/* The v1 defect: glob and grep listed and read files the path rules deny. */
static void searches_never_reveal_denied_files(void **state)
{
    struct tws *w = *state;
    struct call c;
    add(&w->pol->paths_deny, ".env");
    add(&w->pol->paths_deny, "secrets");
    add(&w->pol->paths_deny, "*.pem");
    put(w, ".env", "TOKEN=s3cr3t-env\n");
    put(w, "config/.env", "TOKEN=s3cr3t-nested\n");
    put(w, "secrets/api.txt", "TOKEN=s3cr3t-dir\n");
    put(w, "certs/server.pem", "TOKEN=s3cr3t-pem\n");
    put(w, "src/main.c", "TOKEN=public\n");
    link_(w, "alias.txt", ".env");     /* a link with an innocent name */
    link_(w, "linkdir", "secrets");    /* and one to the denied directory */
    put(w, ".gitignore", "nothing\n");
    for (int mode = 0; mode < 2; mode++) {
        w->env.openat2_disabled = mode == 1;
        static const char *const globs[] = {"{\"pattern\":\"*\"}", "{\"pattern\":\"**\"}",
                                            "{\"pattern\":\".env\"}", "{\"pattern\":\"*.pem\"}",
                                            "{\"pattern\":\"secrets/*\"}",
                                            "{\"pattern\":\"*\",\"path\":\"config\"}"};
        for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
            const char *t = ok(w, &nc_tool_glob, globs[i], &c);
            assert_null(strstr(t, ".env\n"));
            assert_null(strstr(t, "secrets/"));
            assert_null(strstr(t, ".pem"));
            call_free(&c);
        }
        static const char *const greps[] = {
            "{\"pattern\":\"s3cr3t\"}", "{\"pattern\":\"TOKEN\",\"context\":3}",
            "{\"pattern\":\".\",\"glob\":\"*.env\"}", "{\"pattern\":\"TOKEN\",\"path\":\"config\"}",
            "{\"pattern\":\"TOKEN\",\"path\":\"certs\"}"};
        for (size_t i = 0; i < sizeof(greps) / sizeof(greps[0]); i++) {
            const char *t = ok(w, &nc_tool_grep, greps[i], &c);
            assert_null(strstr(t, "s3cr3t"));
            assert_null(strstr(t, ".env"));
            assert_null(strstr(t, "secrets"));
            assert_null(strstr(t, "pem"));
            call_free(&c);
        }
        /* the one visible file is found */
        const char *t = ok(w, &nc_tool_grep, "{\"pattern\":\"TOKEN\"}", &c);
        assert_string_equal(t, "src/main.c:1:TOKEN=public\n");
        call_free(&c);
    }
    /* naming the denied path directly is refused by the pipeline */
    assert_int_equal(call_tool(w, &nc_tool_grep, "{\"pattern\":\"x\",\"path\":\"secrets\"}", &c),
                     DENIED);
    call_free(&c);
    /* an inside link to the denied directory as the search root: refused by exec */
    w->env.openat2_disabled = false;
    expect_tool_error(w, &nc_tool_grep, "{\"pattern\":\"TOKEN\",\"path\":\"linkdir\"}",
                      fb(w) ? "symlink_refused" : "path_denied");
    expect_tool_error(w, &nc_tool_glob, "{\"pattern\":\"*\",\"path\":\"linkdir\"}",
                      fb(w) ? "symlink_refused" : "path_denied");
    /* nc_tool_path_visible itself */
    assert_false(nc_tool_path_visible(&w->env, NC_OP_GREP_SEARCH, ".env"));
    assert_false(nc_tool_path_visible(&w->env, NC_OP_GLOB_SEARCH, "a/b/.env"));
    assert_false(nc_tool_path_visible(&w->env, NC_OP_GREP_SEARCH, "secrets/x/y"));
    assert_true(nc_tool_path_visible(&w->env, NC_OP_GREP_SEARCH, "src/main.c"));
    assert_true(nc_tool_path_visible(&w->env, NC_OP_GREP_SEARCH, ".envrc"));
}

static void searches_honour_the_allowlist(void **state)
{
    struct tws *w = *state;
    struct call c;
    allow_only(&w->pol->paths_allow, "src/*.c");
    put(w, "src/a.c", "hit\n");
    put(w, "src/a.h", "hit\n");
    put(w, "docs/x.c", "hit\n");
    /* an obligation (approval) does not hide a file: only a denial does */
    w->pol->approvals |= NC_OPSET_BIT(NC_OP_GREP_SEARCH);
    assert_true(nc_tool_path_visible(&w->env, NC_OP_GREP_SEARCH, "src/a.c"));
    assert_false(nc_tool_path_visible(&w->env, NC_OP_GREP_SEARCH, "src/a.h"));
    /* "src" itself is not allowed, so the pipeline refuses searching it... */
    assert_int_equal(call_tool(w, &nc_tool_grep, "{\"pattern\":\"hit\",\"path\":\"src\"}", &c),
                     DENIED);
    call_free(&c);
    /* ...but with "src" allowed as a directory, only allowed files show */
    allow_only(&w->pol->paths_allow, "src");
    add(&w->pol->paths_deny, "*.h");
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"hit\",\"path\":\"src\"}", &c),
                        "src/a.c:1:hit\n");
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_glob, "{\"pattern\":\"*\",\"path\":\"src\"}", &c),
                        "src/a.c\n");
    call_free(&c);
}

/* ---- grep -------------------------------------------------------------------------------- */

static void grep_output_format(void **state)
{
    struct tws *w = *state;
    struct call c;
    put(w, "b.txt", "one\ntwo match\nthree\n");
    put(w, "a.txt", "Match first\nx\nmatch third\n");
    put(w, "dir/c.txt", "l1\nl2\nl3\nl4 match\nl5\nl6\nl7\nl8\nl9 match\nl10\n");
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"match\"}", &c),
                        "a.txt:3:match third\nb.txt:2:two match\ndir/c.txt:4:l4 match\n"
                        "dir/c.txt:9:l9 match\n");
    assert_int_equal(iget(c.out.structured, "matches"), 4);
    assert_int_equal(iget(c.out.structured, "files_matched"), 3);
    assert_int_equal(c.out.quantity, 4);
    assert_true(c.out.read_private);
    call_free(&c);
    assert_string_equal(
        ok(w, &nc_tool_grep, "{\"pattern\":\"match\",\"case_insensitive\":true,\"path\":\"a.txt\"}",
           &c),
        "a.txt:1:Match first\na.txt:3:match third\n");
    call_free(&c);
    /* context: '-' for context lines, "--" between groups and between files */
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"match\",\"context\":1,\"path\":\"dir\"}",
                           &c),
                        "dir/c.txt-3-l3\ndir/c.txt:4:l4 match\ndir/c.txt-5-l5\n--\n"
                        "dir/c.txt-8-l8\ndir/c.txt:9:l9 match\ndir/c.txt-10-l10\n");
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"match\",\"context\":3,\"path\":\"dir\"}",
                           &c),
                        "dir/c.txt-1-l1\ndir/c.txt-2-l2\ndir/c.txt-3-l3\ndir/c.txt:4:l4 match\n"
                        "dir/c.txt-5-l5\ndir/c.txt-6-l6\ndir/c.txt-7-l7\ndir/c.txt-8-l8\n"
                        "dir/c.txt:9:l9 match\ndir/c.txt-10-l10\n");
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"x$|one\",\"context\":1}", &c),
                        "a.txt-1-Match first\na.txt:2:x\na.txt-3-match third\n--\n"
                        "b.txt:1:one\nb.txt-2-two match\n");
    call_free(&c);
    /* glob filter, relative to path */
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"match\",\"glob\":\"c.*\"}", &c),
                        "dir/c.txt:4:l4 match\ndir/c.txt:9:l9 match\n");
    call_free(&c);
    /* max_matches: in path order, flagged */
    ok(w, &nc_tool_grep, "{\"pattern\":\"match\",\"max_matches\":3}", &c);
    assert_string_equal(c.out.text, "a.txt:3:match third\nb.txt:2:two match\ndir/c.txt:4:l4 match\n"
                                    "[truncated: 3 matching lines shown (max_matches 3)]\n");
    assert_true(bget(c.out.structured, "truncated"));
    assert_int_equal(c.out.quantity, 3);
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"nowhere\"}", &c), "no matches\n");
    assert_int_equal(c.out.quantity, 0);
    assert_false(c.out.read_private);
    call_free(&c);
    /* long lines are cut for display, invalid UTF-8 replaced */
    char line[3000];
    memset(line, 'q', sizeof(line) - 2u);
    line[sizeof(line) - 2u] = '\n';
    line[sizeof(line) - 1u] = '\0';
    put(w, "long/l.txt", line);
    put(w, "long/bad.txt", "match\xff\n");
    const char *t = ok(w, &nc_tool_grep, "{\"pattern\":\"q|match\",\"path\":\"long\"}", &c);
    assert_non_null(strstr(t, "long/bad.txt:1:match\xef\xbf\xbd\n"));
    assert_non_null(strstr(t, " [\xe2\x80\xa6 1974 more bytes]\n"));
    assert_true(bget(c.out.structured, "lossy"));
    call_free(&c);
    expect_tool_error(w, &nc_tool_grep, "{\"pattern\":\"x\",\"path\":\"nope\"}", "not_found");
}

static void grep_skips_and_ignores(void **state)
{
    struct tws *w = *state;
    struct call c;
    put(w, ".gitignore", "build/\n*.log\n!keep.log\n/rootonly.txt\n");
    put(w, "build/out.txt", "needle\n");
    put(w, "a.log", "needle\n");
    put(w, "keep.log", "needle\n");
    put(w, "rootonly.txt", "needle\n");
    put(w, "sub/rootonly.txt", "needle\n");
    put(w, "sub/.gitignore", "local.txt\n");
    put(w, "sub/local.txt", "needle\n");
    put(w, "sub/deeper/local.txt", "needle\n");
    put(w, "sub/deeper/ok.txt", "needle\n");
    put(w, ".git/HEAD", "needle\n");
    put_bytes(w, "bin.dat", "needle\0\n", 8);
    link_(w, "link.txt", "keep.log");
    /* a sparse file over 16 MiB */
    char p[600];
    pathf(p, sizeof(p), w->root, "huge.txt");
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "needle\n", 7), 7);
    assert_int_equal(ftruncate(fd, 17 * 1024 * 1024), 0);
    close(fd);
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"needle\"}", &c),
                        "keep.log:1:needle\nsub/deeper/ok.txt:1:needle\nsub/rootonly.txt:1:needle\n");
    json_t *sk = json_object_get(c.out.structured, "skipped");
    assert_int_equal(iget(sk, "binary"), 1);
    assert_int_equal(iget(sk, "too_large"), 1);
    assert_int_equal(iget(sk, "not_followed"), 1);
    call_free(&c);
    /* ancestors' .gitignore files apply when the search starts below them */
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\"sub/deeper\"}", &c),
                        "sub/deeper/ok.txt:1:needle\n");
    call_free(&c);
    /* an explicit file is searched even when ignored, and .git when the search starts there */
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\"a.log\"}", &c),
                        "a.log:1:needle\n");
    call_free(&c);
    assert_string_equal(ok(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\".git\"}", &c),
                        ".git/HEAD:1:needle\n");
    call_free(&c);
    expect_tool_error(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\"bin.dat\"}",
                      "binary_file");
    expect_tool_error(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\"huge.txt\"}",
                      "too_large");
    /* a .gitignore the policy hides is not read, so it cannot steer the search either */
    add(&w->pol->paths_deny, "sub/.gitignore");
    ok(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\"sub\"}", &c);
    assert_non_null(strstr(c.out.text, "sub/local.txt:1:needle\n"));
    call_free(&c);
}

static void grep_untrusted(void **state)
{
    struct tws *w = *state;
    struct call c;
    add(&w->pol->paths_untrusted, "third_party");
    put(w, "third_party/x.c", "needle\n");
    put(w, "src/y.c", "needle\n");
    ok(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"path\":\"src\"}", &c);
    assert_false(c.out.untrusted);
    call_free(&c);
    ok(w, &nc_tool_grep, "{\"pattern\":\"needle\"}", &c);
    assert_true(c.out.untrusted);
    call_free(&c);
    /* no content from the untrusted file returned: not untrusted */
    ok(w, &nc_tool_grep, "{\"pattern\":\"needle\",\"max_matches\":1,\"glob\":\"src/*\"}", &c);
    assert_false(c.out.untrusted);
    call_free(&c);
}

static void grep_match_limit(void **state)
{
    struct tws *w = *state;
    struct call c;
    /* Polynomial backtracking the screen does not catch (documented): eight adjacent
     * unbounded repeats over a 60-character line with no final '!'... but with a '!' in the
     * line so PCRE2's required-character shortcut does not skip the work. */
    char line[128];
    memset(line, 'a', 60);
    memcpy(line + 60, "!b\n", 4);
    put(w, "slow.txt", line);
    assert_int_equal(call_tool(w, &nc_tool_grep,
                               "{\"pattern\":\"^\\\\w*\\\\w*\\\\w*\\\\w*\\\\w*\\\\w*\\\\w*\\\\w*!$\"}",
                               &c),
                     RAN);
    assert_true(c.out.is_error);
    assert_string_equal(c.out.kind, "regex_limit");
    assert_non_null(strstr(c.out.text, "slow.txt line 1"));
    call_free(&c);
}

static void grep_parallel_equals_serial(void **state)
{
    struct tws *w = *state;
    struct call c;
    uint64_t s = 0x12345678u;
    char name[64], body[4096];
    for (int i = 0; i < 300; i++) {
        size_t len = 0;
        int lines = 1 + (int)(s % 40u);
        for (int l = 0; l < lines; l++) {
            s = s * 6364136223846793005u + 1442695040888963407u;
            len += (size_t)snprintf(body + len, sizeof(body) - len, "%s %d %d\n",
                                    (s >> 33) % 5u == 0 ? "needle" : "hay", i, l);
        }
        (void)snprintf(name, sizeof(name), "d%d/f%03d.txt", i % 7, (int)((s >> 20) % 1000u));
        put(w, name, body);
    }
    const char *queries[] = {"{\"pattern\":\"needle\",\"max_matches\":5000}",
                             "{\"pattern\":\"needle\",\"max_matches\":77,\"context\":2}",
                             "{\"pattern\":\"needle 1\\\\d\",\"max_matches\":5}"};
    for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        char *serial, *sj;
        nc_grep_set_workers(1);
        ok(w, &nc_tool_grep, queries[q], &c);
        serial = strdup(c.out.text);
        sj = json_dumps(c.out.structured, JSON_SORT_KEYS);
        assert_true(c.out.quantity > 0);
        call_free(&c);
        for (unsigned n = 2; n <= 4; n++) {
            nc_grep_set_workers(n);
            for (int rep = 0; rep < 3; rep++) {
                ok(w, &nc_tool_grep, queries[q], &c);
                assert_string_equal(c.out.text, serial);
                char *pj = json_dumps(c.out.structured, JSON_SORT_KEYS);
                assert_string_equal(pj, sj);
                free(pj);
                call_free(&c);
            }
        }
        free(serial);
        free(sj);
    }
    nc_grep_set_workers(0);
}

static void cancel_on_progress(void *arg, uint64_t done, uint64_t total, const char *message)
{
    struct tws *w = arg;
    (void)message;
    w->progress_calls++;
    w->last_done = done;
    w->last_total = total;
    atomic_store(&w->cancel, true);
}

static void grep_cancellation(void **state)
{
    struct tws *w = *state;
    char name[64];
    char *body = malloc(1u << 20);
    assert_non_null(body);
    for (size_t i = 0; i < (1u << 20) - 1u; i++)
        body[i] = (i % 64u) == 63u ? '\n' : 'x';
    body[(1u << 20) - 1u] = '\0';
    for (int i = 0; i < 64; i++) {
        (void)snprintf(name, sizeof(name), "f%02d.txt", i);
        put(w, name, body);
    }
    free(body);
    /* cancelled before it starts: the walk stops */
    atomic_store(&w->cancel, true);
    expect_tool_error(w, &nc_tool_grep, "{\"pattern\":\"x\"}", "cancelled");
    /* cancelled while searching (from the progress callback, on the calling thread) */
    atomic_store(&w->cancel, false);
    w->env.progress = cancel_on_progress;
    w->env.progress_arg = w;
    nc_grep_set_workers(1);
    expect_tool_error(w, &nc_tool_grep, "{\"pattern\":\"y\"}", "cancelled");
    nc_grep_set_workers(0);
    assert_true(w->progress_calls >= 1);
    /* the workers stopped: files were left unsearched */
    assert_int_equal(w->last_total, 64);
    assert_true(w->last_done < 64);
    w->env.progress = NULL;
    atomic_store(&w->cancel, false);
    atomic_store(&w->cancel, true);
    expect_tool_error(w, &nc_tool_glob, "{\"pattern\":\"*\"}", "cancelled");
    expect_tool_error(w, &nc_tool_read, "{\"path\":\"f00.txt\"}", "cancelled");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ws_setup, ws_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schemas_parse),
        T(arguments_refused),
        T(redos_refused_before_compiling),
        T(digests_bind_every_argument),
        T(summaries_and_audit),
        T(read_lines),
        T(read_errors),
        T(read_caps),
        T(read_policy),
        T(write_create_replace),
        T(write_race_between_plan_and_exec),
        T(write_policy),
        T(edit_replacements),
        T(edit_errors),
        T(glob_lists_sorted_visible_paths),
        T(glob_names_are_escaped),
        T(searches_never_reveal_denied_files),
        T(searches_honour_the_allowlist),
        T(grep_output_format),
        T(grep_skips_and_ignores),
        T(grep_untrusted),
        T(grep_match_limit),
        T(grep_parallel_equals_serial),
        T(grep_cancellation),
    };
    {
        /* does this kernel (and any seccomp filter around us) let openat2 through? */
        char t[] = "/tmp/nc-tools-probe-XXXXXX";
        struct nc_fs fs;
        struct nc_err e;
        assert_non_null(mkdtemp(t));
        fs.root_fd = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC);
        fs.no_openat2 = false;
        int fd = nc_fs_open(&fs, ".", O_PATH, 0, NULL, 0, &e);
        have_openat2 = fd >= 0 && nc_fs_uses_openat2(&fs);
        if (fd >= 0)
            close(fd);
        close(fs.root_fd);
        rmdir(t);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
