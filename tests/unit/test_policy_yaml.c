/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the strict YAML policy parser (src/policy/parse.c): the valid and invalid
 * corpora, exact values, the round trip through the renderer, composition by meet, the
 * examples, and the limits that are impractical as files.
 *
 * Data: $NC_TEST_DATA (tests/data) must be set.
 *   policies/valid/NAME.yaml    must parse.
 *   policies/invalid/NAME.yaml  must fail, as its sidecar policies/invalid/NAME.expect says.
 * A sidecar has exactly two lines:
 *   LINE:COLUMN     1-based, as in the message
 *   FRAGMENT        text that the message must contain verbatim
 * The test passes "NAME.yaml" as the source, so the message must start with
 * "NAME.yaml:LINE:COLUMN: " and contain FRAGMENT; the error code must be EINVAL and the output
 * policy must be left untouched.  Every .yaml in invalid/ needs a sidecar, and there must be at
 * least MIN_INVALID of them.
 * The examples (examples/policies, found as $NC_TEST_DATA/../../examples/policies) must parse
 * and compose. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/profiles.h"
#include "policy/emit.h"
#include "policy/policy_file.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIN_INVALID 30
#define MIN_VALID 10
#define MAX_FILES 512
#define MAX_NAME 256

/* ---- helpers ------------------------------------------------------------------------------ */

struct names {
    size_t n;
    char name[MAX_FILES][MAX_NAME];
};

static const char *data_dir(void)
{
    const char *d = getenv("NC_TEST_DATA");
    if (d == NULL || d[0] == '\0')
        fail_msg("NC_TEST_DATA is not set (it must point at tests/data)");
    return d;
}

static void join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    assert_true(n > 0 && (size_t)n < size);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The names in dir ending with suffix, sorted.  Returns -1 when dir does not exist. */
static int list_dir(const char *dir, const char *suffix, struct names *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t sl = strlen(suffix);

    out->n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n <= sl || strcmp(e->d_name + n - sl, suffix) != 0)
            continue;
        assert_true(out->n < MAX_FILES && n < MAX_NAME);
        memcpy(out->name[out->n++], e->d_name, n + 1);
    }
    closedir(d);
    qsort(out->name, out->n, sizeof(out->name[0]), cmp_names);
    return 0;
}

/* The whole file in a buffer of exactly its size (no terminator, so ASan sees any overread). */
static char *read_exact(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf;

    if (f == NULL)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    assert_int_equal(fstat(fileno(f), &st), 0);
    *len = (size_t)st.st_size;
    buf = malloc(*len > 0 ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static struct nc_policy *new_policy(void)
{
    struct nc_policy *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    return p;
}

/* Parses dir/name with the name as source; returns the parser's result. */
static int parse_path(const char *dir, const char *name, struct nc_policy *out, struct nc_err *err)
{
    char path[1024];
    size_t len;
    char *buf;
    int rc;

    join(path, sizeof(path), dir, name);
    buf = read_exact(path, &len);
    rc = nc_policy_parse_yaml(buf, len, name, out, err);
    free(buf);
    return rc;
}

static void valid_dir(char *out, size_t size)
{
    join(out, size, data_dir(), "policies/valid");
}

/* Parses policies/valid/name, failing the test with the parser's message if it does not. */
static struct nc_policy *load_valid(const char *name)
{
    char dir[1024];
    struct nc_policy *p = new_policy();
    struct nc_err err = {0, ""};

    valid_dir(dir, sizeof(dir));
    if (parse_path(dir, name, p, &err) != 0)
        fail_msg("%s: %s", name, err.msg);
    return p;
}

static char *emit(const struct nc_policy *p, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(nc_policy_emit_yaml(p, f), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* Renders p, parses it back and checks the result is p, names included. */
static void assert_round_trip(const struct nc_policy *p, const char *what)
{
    size_t len = 0;
    char *yaml = emit(p, &len);
    struct nc_policy *back = new_policy();
    struct nc_err err = {0, ""};

    if (nc_policy_parse_yaml(yaml, len, what, back, &err) != 0)
        fail_msg("%s: the rendering does not parse: %s\n%s", what, err.msg, yaml);
    if (!nc_policy_eq(p, back) || strcmp(p->name, back->name) != 0)
        fail_msg("%s: the rendering parses to a different policy\n%s", what, yaml);
    free(back);
    free(yaml);
}

static bool path_allowed(const struct nc_list *l, const char *path)
{
    return nc_list_match_path(l, path) != -1;
}

/* ---- the corpora -------------------------------------------------------------------------- */

static void valid_files_parse(void **state)
{
    char dir[1024];
    struct names *names = calloc(1, sizeof(*names));
    struct nc_policy *p = new_policy();
    (void)state;

    assert_non_null(names);
    valid_dir(dir, sizeof(dir));
    assert_int_equal(list_dir(dir, ".yaml", names), 0);
    if (names->n < MIN_VALID)
        fail_msg("%s holds %zu valid policies, expected at least %d", dir, names->n, MIN_VALID);
    for (size_t i = 0; i < names->n; i++) {
        /* On success err is left untouched. */
        struct nc_err err = {12345, "untouched"};
        if (parse_path(dir, names->name[i], p, &err) != 0)
            fail_msg("%s: %s", names->name[i], err.msg);
        assert_int_equal(err.code, 12345);
        assert_string_equal(err.msg, "untouched");
        assert_null(nc_policy_check(p));
        assert_true(nc_policy_is_safe(p)); /* normalized */
    }
    free(p);
    free(names);
}

static int read_expect(const char *path, unsigned long *line, unsigned long *col, char *frag,
                       size_t fragsz)
{
    FILE *f = fopen(path, "r");
    char first[64];
    size_t n;

    if (f == NULL)
        return -1;
    if (fgets(first, sizeof(first), f) == NULL || sscanf(first, "%lu:%lu", line, col) != 2 ||
        fgets(frag, (int)fragsz, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    n = strlen(frag);
    if (n > 0 && frag[n - 1] == '\n')
        frag[--n] = '\0';
    return n > 0 ? 0 : -1;
}

static void invalid_files_fail_as_expected(void **state)
{
    char dir[1024];
    struct names *names = calloc(1, sizeof(*names));
    struct nc_policy *p = new_policy();
    struct nc_policy *pristine = new_policy();
    size_t failures = 0;
    (void)state;

    assert_non_null(names);
    join(dir, sizeof(dir), data_dir(), "policies/invalid");
    assert_int_equal(list_dir(dir, ".yaml", names), 0);
    if (names->n < MIN_INVALID)
        fail_msg("%s holds %zu invalid policies, expected at least %d", dir, names->n,
                 MIN_INVALID);
    memset(pristine, 0xa5, sizeof(*pristine));
    for (size_t i = 0; i < names->n; i++) {
        const char *name = names->name[i];
        char expect_path[1024], base[MAX_NAME], frag[1024], prefix[MAX_NAME + 64];
        unsigned long line = 0, col = 0;
        struct nc_err err = {0, ""};
        size_t bl = strlen(name) - strlen(".yaml");
        int rc;

        memcpy(base, name, bl);
        memcpy(base + bl, ".expect", sizeof(".expect"));
        join(expect_path, sizeof(expect_path), dir, base);
        if (read_expect(expect_path, &line, &col, frag, sizeof(frag)) < 0) {
            print_error("%s: missing or malformed sidecar %s\n", name, base);
            failures++;
            continue;
        }
        memcpy(p, pristine, sizeof(*p));
        rc = parse_path(dir, name, p, &err);
        (void)snprintf(prefix, sizeof(prefix), "%s:%lu:%lu: ", name, line, col);
        if (rc >= 0) {
            print_error("%s: parsed, but must fail with %s%s\n", name, prefix, frag);
            failures++;
        } else if (err.code != EINVAL || strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
                   strstr(err.msg, frag) == NULL) {
            print_error("%s: got (code %d) \"%s\"\n  want \"%s...%s\"\n", name, err.code, err.msg,
                        prefix, frag);
            failures++;
        } else if (memcmp(p, pristine, sizeof(*p)) != 0) {
            print_error("%s: the output policy was modified on failure\n", name);
            failures++;
        }
    }
    /* Sidecars without a policy are mistakes in the corpus too. */
    assert_int_equal(list_dir(dir, ".expect", names), 0);
    for (size_t i = 0; i < names->n; i++) {
        char yaml_path[1024], base[MAX_NAME];
        size_t bl = strlen(names->name[i]) - strlen(".expect");
        struct stat st;
        memcpy(base, names->name[i], bl);
        memcpy(base + bl, ".yaml", sizeof(".yaml"));
        join(yaml_path, sizeof(yaml_path), dir, base);
        if (stat(yaml_path, &st) != 0) {
            print_error("%s: sidecar without a policy file\n", names->name[i]);
            failures++;
        }
    }
    free(pristine);
    free(p);
    free(names);
    if (failures != 0)
        fail_msg("%zu invalid-corpus case(s) failed", failures);
}

/* ---- exact values ------------------------------------------------------------------------- */

/* The same policy written in block style, flow style, quoted style, CRLF and with a BOM. */
static void style_variants_are_equal(void **state)
{
    static const char *const variants[] = {"flow-style.yaml", "quoted-style.yaml", "crlf.yaml",
                                           "bom.yaml"};
    struct nc_policy *ref = load_valid("full-block.yaml");
    (void)state;

    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct nc_policy *p = load_valid(variants[i]);
        if (!nc_policy_eq(ref, p))
            fail_msg("%s differs from full-block.yaml", variants[i]);
        assert_string_equal(p->name, ref->name);
        free(p);
    }
    free(ref);
}

static void full_block_values(void **state)
{
    struct nc_policy *p = load_valid("full-block.yaml");
    (void)state;

    assert_string_equal(p->name, "full-example");
    assert_int_equal(p->caps.level[NC_OP_READ_FILES], NC_ALWAYS);
    assert_int_equal(p->caps.level[NC_OP_WRITE_FILES], NC_LOW_RISK);
    assert_int_equal(p->caps.level[NC_OP_WEB_SEARCH], NC_NEVER);
    assert_int_equal(p->caps.level[NC_OP_WEB_FETCH], NC_LOW_RISK);
    assert_int_equal(p->caps.level[NC_OP_GIT_PUSH], NC_NEVER);
    /* private + untrusted (web_fetch) + exfiltration (run_bash): the normalizer obligates
     * run_bash on top of the written git_commit. */
    assert_int_equal(p->approvals,
                     NC_OPSET_BIT(NC_OP_GIT_COMMIT) | NC_OPSET_BIT(NC_OP_RUN_BASH));
    assert_false(p->paths_allow.unrestricted);
    assert_int_equal(p->paths_allow.count, 3);
    assert_true(nc_list_has(&p->paths_allow, "src/**"));
    assert_true(nc_list_has(&p->paths_allow, "Cargo.toml"));
    assert_true(nc_list_has(&p->paths_deny, "*.pem"));
    assert_true(nc_list_has(&p->paths_readonly, "Cargo.lock"));
    assert_true(nc_list_has(&p->paths_untrusted, "vendor/**"));
    assert_true(nc_list_has(&p->cmds_allow, "cargo test"));
    assert_true(nc_list_has(&p->cmds_deny, "sudo"));
    assert_true(nc_list_has(&p->net_allow, "*.crates.io"));
    assert_int_equal(p->budget_micros, 2500000);
    assert_int_equal(p->limits.timeout_s, 1800);
    assert_int_equal(p->limits.max_procs, 256);
    assert_int_equal(p->limits.memory_bytes, (uint64_t)2048 << 20);
    free(p);
}

static void minimal_defaults_and_empty_lists(void **state)
{
    struct nc_policy *p = load_valid("minimal.yaml");
    (void)state;

    assert_string_equal(p->name, "minimal");
    assert_int_equal(p->approvals, 0);
    assert_int_equal(p->paths_untrusted.kind, NC_LIST_PATHS);
    assert_int_equal(p->paths_untrusted.count, 0);
    assert_int_equal(p->limits.max_procs, 1024);
    assert_int_equal(p->limits.memory_bytes, (uint64_t)4096 << 20);
    assert_int_equal(p->budget_micros, 0);
    assert_int_equal(p->limits.timeout_s, 1);
    /* An empty sequence is "nothing", never "everything". */
    assert_false(p->paths_allow.unrestricted);
    assert_false(p->cmds_allow.unrestricted);
    assert_false(p->net_allow.unrestricted);
    assert_int_equal(nc_list_match_path(&p->paths_allow, "src/main.rs"), -1);
    assert_int_equal(nc_list_match_domain(&p->net_allow, "example.com"), -1);
    free(p);
}

static void keywords_unrestricted_and_unlimited(void **state)
{
    struct nc_policy *p = load_valid("unlimited.yaml");
    (void)state;

    assert_string_equal(p->name, "wide-open_1.0+dev");
    assert_true(p->paths_allow.unrestricted);
    assert_true(p->cmds_allow.unrestricted);
    assert_true(p->net_allow.unrestricted);
    assert_int_equal(p->budget_micros, NC_UNLIMITED);
    assert_int_equal(p->limits.timeout_s, NC_UNLIMITED);
    assert_int_equal(p->limits.max_procs, NC_UNLIMITED);
    assert_int_equal(p->limits.memory_bytes, NC_UNLIMITED);
    /* Everything Always completes the uninhabitable state: the exfiltration operations are
     * obligated although the file wrote approvals: []. */
    assert_int_equal(p->approvals, NC_OPSET_EXFIL);
    free(p);
}

static void text_values_are_exact(void **state)
{
    struct nc_policy *p = load_valid("unicode.yaml");
    (void)state;

    /* A quoted "unrestricted" is a name, not the keyword. */
    assert_false(p->paths_allow.unrestricted);
    assert_true(nc_list_has(&p->paths_allow, "unrestricted"));
    assert_true(nc_list_has(&p->paths_allow, "donn\xc3\xa9" "es/**"));
    assert_true(nc_list_has(&p->paths_allow, "notes/read me.txt"));
    assert_true(nc_list_has(&p->paths_deny, "secret \"quoted\""));
    assert_true(nc_list_has(&p->paths_deny, "back\\slash"));
    assert_int_equal(p->budget_micros, 1);
    assert_int_equal(p->limits.timeout_s, 31536000);
    assert_int_equal(p->limits.max_procs, 4194304);
    assert_int_equal(p->limits.memory_bytes, (uint64_t)16777216 << 20);
    free(p);
}

static void domains_are_lower_cased(void **state)
{
    struct nc_policy *p = load_valid("quoted-style.yaml");
    (void)state;
    assert_true(nc_list_has(&p->net_allow, "crates.io"));
    assert_false(nc_list_has(&p->net_allow, "CRATES.IO"));
    free(p);
}

/* Amounts are read exactly from the text, whatever YAML would make of the number. */
static void amounts_are_exact(void **state)
{
    static const struct {
        const char *text;
        uint64_t micros;
    } cases[] = {
        {"0", 0},           {"2", 2000000},         {"2.5", 2500000},
        {"\"2.50\"", 2500000}, {"0.1", 100000},     {"'0.000001'", 1},
        {"123456.789012", 123456789012ull},         {"18446744073709.551614", UINT64_MAX - 1},
    };
    static const char head[] =
        "apiVersion: nucleus/v1\nkind: Policy\nmetadata: {name: amounts}\nspec:\n"
        "  capabilities: {read_files: never, write_files: never, edit_files: never, "
        "run_bash: never, glob_search: never, grep_search: never, web_search: never, "
        "web_fetch: never, git_commit: never, git_push: never, create_pr: never}\n"
        "  approvals: []\n  paths: {allow: [], deny: [], read_only: []}\n"
        "  commands: {allow: [], deny: []}\n  network: {allow: []}\n"
        "  limits: {timeout_seconds: 1}\n  budget:\n    max_usd: ";
    struct nc_policy *p = new_policy();
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[2048];
        struct nc_err err = {0, ""};
        int n = snprintf(doc, sizeof(doc), "%s%s\n", head, cases[i].text);
        assert_true(n > 0 && (size_t)n < sizeof(doc));
        if (nc_policy_parse_yaml(doc, (size_t)n, "amounts", p, &err) != 0)
            fail_msg("%s: %s", cases[i].text, err.msg);
        assert_int_equal(p->budget_micros, cases[i].micros);
        assert_round_trip(p, cases[i].text);
    }
    free(p);
}

/* ---- round trips -------------------------------------------------------------------------- */

static void profiles_round_trip(void **state)
{
    struct nc_policy *p = new_policy();
    (void)state;

    assert_true(nc_profile_count() > 0);
    for (size_t i = 0; i < nc_profile_count(); i++) {
        assert_int_equal(nc_profile_load_index(i, p), 0);
        assert_round_trip(p, nc_profile_name(i));
    }
    free(p);
}

static void valid_files_round_trip(void **state)
{
    char dir[1024];
    struct names *names = calloc(1, sizeof(*names));
    (void)state;

    assert_non_null(names);
    valid_dir(dir, sizeof(dir));
    assert_int_equal(list_dir(dir, ".yaml", names), 0);
    for (size_t i = 0; i < names->n; i++) {
        struct nc_policy *p = load_valid(names->name[i]);
        assert_round_trip(p, names->name[i]);
        free(p);
    }
    free(names);
}

/* ---- composition -------------------------------------------------------------------------- */

static void composition_only_tightens(void **state)
{
    static const char *const paths[] = {"src/main.rs", "src/a/b.rs", "tests/t.rs", "README.md",
                                        "docs/x.md",   "Cargo.toml", "Cargo.lock", "vendor/x",
                                        ".",           "src"};
    struct nc_policy *a = load_valid("compose-base.yaml");
    struct nc_policy *b = load_valid("compose-overlay.yaml");
    struct nc_policy *m = new_policy();
    const char *why = NULL;
    const char *cargo_test[] = {"cargo", "test", "--release"};
    const char *cargo_doc[] = {"cargo", "doc"};
    (void)state;

    assert_int_equal(nc_policy_meet(a, b, m, &why), 0);
    assert_true(nc_policy_leq(m, a));
    assert_true(nc_policy_leq(m, b));
    assert_true(nc_policy_is_safe(m));
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (path_allowed(&m->paths_allow, paths[i])) {
            if (!path_allowed(&a->paths_allow, paths[i]) ||
                !path_allowed(&b->paths_allow, paths[i]))
                fail_msg("the meet allows %s, which an operand refuses", paths[i]);
        }
    }
    /* What the meet keeps, and what it drops. */
    assert_true(path_allowed(&m->paths_allow, "src/main.rs"));
    assert_false(path_allowed(&m->paths_allow, "README.md"));
    assert_false(path_allowed(&m->paths_allow, "docs/x.md"));
    assert_true(nc_list_has(&m->paths_deny, ".env") && nc_list_has(&m->paths_deny, "*.pem"));
    assert_true(nc_list_match_argv_prefix(&m->cmds_allow, cargo_test, 3) >= 0);
    assert_int_equal(nc_list_match_argv_prefix(&m->cmds_allow, cargo_doc, 2), -1);
    assert_true(nc_list_match_domain(&m->net_allow, "static.crates.io") >= 0);
    assert_int_equal(nc_list_match_domain(&m->net_allow, "github.com"), -1);
    assert_int_equal(m->caps.level[NC_OP_GIT_PUSH], NC_NEVER);
    assert_int_equal(m->caps.level[NC_OP_WEB_FETCH], NC_NEVER);
    assert_int_equal(m->budget_micros, 1250000);
    assert_int_equal(m->limits.timeout_s, 600);
    assert_int_equal(m->limits.max_procs, 64);
    assert_string_equal(m->name, "compose-base+compose-overlay");
    /* The composition renders to a file that parses back to it. */
    assert_round_trip(m, "meet");
    free(m);
    free(b);
    free(a);
}

static void examples_parse_and_compose(void **state)
{
    char dir[1024];
    struct names *names = calloc(1, sizeof(*names));
    struct nc_policy *p = new_policy(), *overlay = new_policy(), *m = new_policy();
    struct nc_err err = {0, ""};
    (void)state;

    assert_non_null(names);
    join(dir, sizeof(dir), data_dir(), "../../examples/policies");
    if (list_dir(dir, ".yaml", names) < 0) {
        free(m);
        free(overlay);
        free(p);
        free(names);
        skip(); /* the tests run without a source tree around them */
    }
    assert_true(names->n >= 4);
    if (parse_path(dir, "no-network.yaml", overlay, &err) != 0)
        fail_msg("no-network.yaml: %s", err.msg);
    for (size_t i = 0; i < names->n; i++) {
        const char *why = NULL;
        if (parse_path(dir, names->name[i], p, &err) != 0)
            fail_msg("%s: %s", names->name[i], err.msg);
        assert_round_trip(p, names->name[i]);
        /* The overlay only tightens, and takes the network away from every example. */
        assert_int_equal(nc_policy_meet(p, overlay, m, &why), 0);
        assert_true(nc_policy_leq(m, p));
        assert_true(nc_policy_leq(m, overlay));
        assert_int_equal(m->caps.level[NC_OP_WEB_FETCH], NC_NEVER);
        assert_int_equal(m->caps.level[NC_OP_WEB_SEARCH], NC_NEVER);
        assert_false(m->net_allow.unrestricted);
        assert_int_equal(m->net_allow.count, 0);
    }
    free(m);
    free(overlay);
    free(p);
    free(names);
}

/* ---- limits that are impractical as files ------------------------------------------------- */

static const char small_policy[] =
    "apiVersion: nucleus/v1\nkind: Policy\nmetadata: {name: small}\nspec:\n"
    "  capabilities: {read_files: always, write_files: never, edit_files: never, "
    "run_bash: never, glob_search: always, grep_search: always, web_search: never, "
    "web_fetch: never, git_commit: never, git_push: never, create_pr: never}\n"
    "  approvals: []\n  paths: {allow: unrestricted, deny: [], read_only: []}\n"
    "  commands: {allow: [], deny: []}\n  network: {allow: []}\n"
    "  budget: {max_usd: 1}\n  limits: {timeout_seconds: 60}\n";

static void size_cap(void **state)
{
    size_t max = NC_POLICY_FILE_MAX, head = sizeof(small_policy) - 1;
    char *buf = malloc(max + 1);
    struct nc_policy *p = new_policy();
    struct nc_err err = {0, ""};
    (void)state;

    assert_non_null(buf);
    /* Exactly the cap: a policy followed by a comment that fills it parses. */
    memcpy(buf, small_policy, head);
    buf[head] = '#';
    memset(buf + head + 1, 'x', max - head - 2);
    buf[max - 1] = '\n';
    if (nc_policy_parse_yaml(buf, max, "cap", p, &err) != 0)
        fail_msg("%s", err.msg);
    /* One byte more is refused before parsing. */
    buf[max - 1] = 'x';
    buf[max] = '\n';
    assert_true(nc_policy_parse_yaml(buf, max + 1, "cap", p, &err) < 0);
    assert_int_equal(err.code, EINVAL);
    assert_non_null(strstr(err.msg, "cap:1:1: the policy file is larger than 1048576 bytes"));
    free(p);
    free(buf);
}

static void empty_and_null_inputs(void **state)
{
    struct nc_policy *p = new_policy();
    struct nc_err err = {0, ""};
    (void)state;

    assert_true(nc_policy_parse_yaml(NULL, 0, "none", p, &err) < 0);
    assert_string_equal(err.msg, "none:1:1: the document is empty");
    assert_true(nc_policy_parse_yaml("", 0, NULL, p, &err) < 0);
    assert_string_equal(err.msg, "<input>:1:1: the document is empty");
    /* A NULL err is allowed: the caller only learns that it failed. */
    assert_true(nc_policy_parse_yaml("[]", 2, "x", p, NULL) < 0);
    assert_int_equal(nc_policy_parse_yaml(small_policy, sizeof(small_policy) - 1, "x", p, NULL),
                     0);
    free(p);
}

static void nul_byte_position(void **state)
{
    static const char doc[] = "apiVersion: nucleus/v1\nkind: Pol\0icy\n";
    struct nc_policy *p = new_policy();
    struct nc_err err = {0, ""};
    (void)state;

    assert_true(nc_policy_parse_yaml(doc, sizeof(doc) - 1, "nul", p, &err) < 0);
    assert_string_equal(err.msg, "nul:2:10: the input contains a NUL byte");
    free(p);
}

/* Echoed user text is bounded and carries no raw control bytes (terminal escapes). */
static void echoed_text_is_bounded_and_escaped(void **state)
{
    char *doc;
    size_t n = 0, keylen = 900;
    struct nc_policy *p = new_policy();
    struct nc_err err = {0, ""};
    (void)state;

    doc = malloc(keylen + 64);
    assert_non_null(doc);
    memcpy(doc + n, "\"\\e[31m", 7);
    n += 7;
    memset(doc + n, 'k', keylen);
    n += keylen;
    memcpy(doc + n, "\": 1\n", 5);
    n += 5;
    assert_true(nc_policy_parse_yaml(doc, n, "echo", p, &err) < 0);
    assert_null(strchr(err.msg, '\x1b'));
    assert_non_null(strstr(err.msg, "unknown key '\\x1b[31mkkk"));
    assert_non_null(strstr(err.msg, "k...'"));
    assert_true(strlen(err.msg) < 300);
    free(doc);
    free(p);
}

/* Nesting far beyond the schema is refused at the first container the schema lacks, whatever
 * the depth, without recursion in the parser. */
static void deep_nesting_is_cheap(void **state)
{
    static const char head[] = "apiVersion: nucleus/v1\nkind: Policy\nmetadata: ";
    size_t depth = 200000, n = 0;
    char *doc = malloc(sizeof(head) + depth);
    struct nc_policy *p = new_policy();
    struct nc_err err = {0, ""};
    (void)state;

    assert_non_null(doc);
    memcpy(doc, head, sizeof(head) - 1);
    n = sizeof(head) - 1;
    memset(doc + n, '[', depth);
    n += depth;
    assert_true(nc_policy_parse_yaml(doc, n, "deep", p, &err) < 0);
    assert_string_equal(err.msg, "deep:3:11: metadata: expected a mapping, found a sequence");
    free(doc);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_files_parse),
        cmocka_unit_test(invalid_files_fail_as_expected),
        cmocka_unit_test(style_variants_are_equal),
        cmocka_unit_test(full_block_values),
        cmocka_unit_test(minimal_defaults_and_empty_lists),
        cmocka_unit_test(keywords_unrestricted_and_unlimited),
        cmocka_unit_test(text_values_are_exact),
        cmocka_unit_test(domains_are_lower_cased),
        cmocka_unit_test(amounts_are_exact),
        cmocka_unit_test(profiles_round_trip),
        cmocka_unit_test(valid_files_round_trip),
        cmocka_unit_test(composition_only_tightens),
        cmocka_unit_test(examples_parse_and_compose),
        cmocka_unit_test(size_cap),
        cmocka_unit_test(empty_and_null_inputs),
        cmocka_unit_test(nul_byte_position),
        cmocka_unit_test(echoed_text_is_bounded_and_escaped),
        cmocka_unit_test(deep_nesting_is_cheap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
