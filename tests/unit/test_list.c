/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of path globs and lexical normalization (src/core/glob.h) and of the allow- and
 * denylists (src/core/list.h).  Written to attack: each case names what it defends against. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/glob.h"
#include "core/list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGC(a) (sizeof(a) / sizeof((a)[0]))

static struct nc_list *list_new(enum nc_list_kind kind, bool unrestricted)
{
    struct nc_list *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    nc_list_init(l, kind, unrestricted);
    return l;
}

/* A list from a NULL-terminated array; every entry must be accepted. */
static struct nc_list *list_of(enum nc_list_kind kind, const char *const *items)
{
    struct nc_list *l = list_new(kind, false);
    const char *why = NULL;
    for (size_t i = 0; items[i] != NULL; i++) {
        if (nc_list_add(l, items[i], &why) != 0)
            fail_msg("entry \"%s\" refused: %s", items[i], why);
    }
    return l;
}

#define LIST(kind, ...) list_of((kind), (const char *const[]){__VA_ARGS__, NULL})

static void assert_items(const struct nc_list *l, const char *const *want)
{
    size_t n = 0;
    for (; want[n] != NULL; n++) {
        assert_true(n < l->count);
        assert_string_equal(nc_list_item(l, n), want[n]);
    }
    assert_int_equal(l->count, n);
}

#define ASSERT_ITEMS(l, ...) assert_items((l), (const char *const[]){__VA_ARGS__, NULL})

/* ======================================================================================
 * globs
 * ====================================================================================== */

static void glob_unanchored_literal_matches_component_at_any_depth(void **state)
{
    (void)state;
    assert_true(nc_glob_match(".ssh", ".ssh"));
    assert_true(nc_glob_match(".ssh", "a/.ssh"));
    assert_true(nc_glob_match(".ssh", "a/.ssh/id_rsa"));
    assert_true(nc_glob_match(".ssh", "home/user/.ssh/keys/id_ed25519"));
    assert_false(nc_glob_match(".ssh", ".sshx"));
    assert_false(nc_glob_match(".ssh", "a.ssh"));
    assert_false(nc_glob_match(".ssh", "x.ssh/id_rsa"));
    assert_false(nc_glob_match(".ssh", "."));
}

static void glob_ancestor_matching_is_component_wise(void **state)
{
    (void)state;
    assert_true(nc_glob_match("src", "src"));
    assert_true(nc_glob_match("src", "src/x/y.c"));
    assert_false(nc_glob_match("src", "srcx/y")); /* a shared prefix is not an ancestor */
    assert_false(nc_glob_match("src", "srcx"));
    assert_false(nc_glob_match("src", "xsrc/y"));
    assert_true(nc_glob_match("src", "lib/src/y")); /* unanchored: any depth */
}

static void glob_anchored_patterns_start_at_root(void **state)
{
    (void)state;
    assert_true(nc_glob_match("src/core", "src/core"));
    assert_true(nc_glob_match("src/core", "src/core/list.c"));
    assert_false(nc_glob_match("src/core", "lib/src/core"));
    assert_false(nc_glob_match("src/core", "src/corex"));
    assert_false(nc_glob_match("src/core", "src"));
    assert_true(nc_glob_match("src/*.c", "src/x.c"));
    assert_false(nc_glob_match("src/*.c", "src/a/x.c")); /* '*' never crosses '/' */
    assert_false(nc_glob_match("src/*.c", "x.c"));
}

static void glob_star_pem_at_any_depth(void **state)
{
    (void)state;
    /* The original anchored "*.pem" at the root and missed certs/server.pem. */
    assert_true(nc_glob_match("*.pem", "server.pem"));
    assert_true(nc_glob_match("*.pem", "certs/server.pem"));
    assert_true(nc_glob_match("*.pem", "a/b/c/d/e/key.pem"));
    assert_true(nc_glob_match("*.pem", ".pem"));
    assert_false(nc_glob_match("*.pem", "server.pem.bak"));
    assert_false(nc_glob_match("*.pem", "pem"));
    assert_true(nc_glob_match("*.pem", "x.pem/inside")); /* a directory named x.pem */
}

static void glob_env_star_vs_envrc(void **state)
{
    (void)state;
    assert_true(nc_glob_match(".env*", ".env"));
    assert_true(nc_glob_match(".env*", ".envrc"));
    assert_true(nc_glob_match(".env*", ".env.local"));
    assert_true(nc_glob_match(".env*", "config/.env.production"));
    assert_false(nc_glob_match(".env*", "x.env"));
    assert_false(nc_glob_match(".env*", "env"));
    assert_true(nc_glob_match(".env.*", ".env.local"));
    assert_false(nc_glob_match(".env.*", ".env"));
    assert_false(nc_glob_match(".env.*", ".envrc"));
    assert_true(nc_glob_match(".env", "config/.env"));
    assert_false(nc_glob_match(".env", ".envrc"));
}

static void glob_globstar_at_start(void **state)
{
    (void)state;
    assert_true(nc_glob_match("**/*.rs", "main.rs"));
    assert_true(nc_glob_match("**/*.rs", "src/main.rs"));
    assert_true(nc_glob_match("**/*.rs", "a/b/c/lib.rs"));
    assert_false(nc_glob_match("**/*.rs", "main.rsx"));
    assert_true(nc_glob_match("**/.git/hooks", ".git/hooks/pre-commit"));
    assert_true(nc_glob_match("**/.git/hooks", "vendor/x/.git/hooks"));
    assert_false(nc_glob_match("**/.git/hooks", ".git/hooksx"));
    assert_false(nc_glob_match("**/.git/hooks", ".git"));
}

static void glob_globstar_in_middle(void **state)
{
    (void)state;
    assert_true(nc_glob_match("src/**/test.c", "src/test.c"));
    assert_true(nc_glob_match("src/**/test.c", "src/a/test.c"));
    assert_true(nc_glob_match("src/**/test.c", "src/a/b/c/test.c"));
    assert_false(nc_glob_match("src/**/test.c", "lib/test.c"));
    assert_false(nc_glob_match("src/**/test.c", "src/a/test.cc"));
    assert_true(nc_glob_match("a/**/b/**/c", "a/b/c"));
    assert_true(nc_glob_match("a/**/b/**/c", "a/x/b/y/z/c"));
    assert_true(nc_glob_match("a/**/b/**/c", "a/b/b/c/c")); /* needs backtracking */
    assert_false(nc_glob_match("a/**/b/**/c", "a/c/b"));
}

static void glob_globstar_at_end(void **state)
{
    (void)state;
    assert_true(nc_glob_match("src/**", "src/a"));
    assert_true(nc_glob_match("src/**", "src/a/b/c"));
    assert_true(nc_glob_match("src/**", "src"));
    assert_false(nc_glob_match("src/**", "srcx"));
    assert_false(nc_glob_match("src/**", "lib/src/a"));
    assert_true(nc_glob_match("**", "anything/at/all"));
    assert_true(nc_glob_match("**", "."));
}

static void glob_question_mark_is_one_char_in_a_component(void **state)
{
    (void)state;
    assert_true(nc_glob_match("a?c", "abc"));
    assert_true(nc_glob_match("a?c", "x/a.c"));
    assert_false(nc_glob_match("a?c", "ac"));
    assert_false(nc_glob_match("a?c", "abbc"));
    assert_false(nc_glob_match("a?c/x", "a/c/x"));
    assert_true(nc_glob_match("id_rsa*", "home/.ssh/id_rsa.pub"));
}

static void glob_star_alone(void **state)
{
    (void)state;
    assert_true(nc_glob_match("*", "a"));
    assert_true(nc_glob_match("*", ".hidden"));
    assert_true(nc_glob_match("*", "a/b/c"));
    assert_false(nc_glob_match("*", ".")); /* the root has no component */
}

static void glob_regex_metacharacters_are_literal(void **state)
{
    (void)state;
    assert_true(nc_glob_match("a.b", "a.b"));
    assert_false(nc_glob_match("a.b", "axb"));
    assert_true(nc_glob_match("a+(b)[c]{d}^$|\\", "a+(b)[c]{d}^$|\\"));
    assert_false(nc_glob_match("[ab]", "a"));
}

static void glob_invalid_pattern_never_matches(void **state)
{
    (void)state;
    assert_false(nc_glob_match("", "a"));
    assert_false(nc_glob_match("/etc", "etc"));
    assert_false(nc_glob_match("a//b", "a/b"));
    assert_false(nc_glob_match("../x", "x"));
    assert_false(nc_glob_match("a\tb", "a\tb"));
}

static void glob_backtracking_is_bounded(void **state)
{
    (void)state;
    /* a classic exponential case for naive recursive matchers */
    char path[1000];
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    assert_false(nc_glob_match("*a*a*a*a*a*a*a*a*a*a*a*b", path));
    char deep[2048];
    size_t o = 0;
    for (unsigned i = 0; i < 500; i++) {
        deep[o++] = 'a';
        deep[o++] = '/';
    }
    deep[o++] = 'b';
    deep[o] = '\0';
    assert_false(nc_glob_match("**/a/**/a/**/a/**/c", deep));
    assert_true(nc_glob_match("**/a/**/a/**/a/**/b", deep));
}

static void glob_check_rejections(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "/abs", "trail/", "a//b",  ".",    "..",
                                      "a/.", "./a",  "a/../b", "a/./b", "a\tb", "a\nb",
                                      "\x7f", "a\x01"};
    for (size_t i = 0; i < ARGC(bad); i++)
        assert_non_null(nc_glob_check(bad[i]));
    static const char *const good[] = {"a", "a/b", "...", ".a", "a..b", "**", "*.c", "a/**/b",
                                       "..a", "a b", "é"};
    for (size_t i = 0; i < ARGC(good); i++)
        assert_null(nc_glob_check(good[i]));
}

static void glob_check_length_boundary(void **state)
{
    (void)state;
    char p[NC_GLOB_MAX + 2];
    memset(p, 'x', sizeof(p));
    p[NC_GLOB_MAX] = '\0';
    assert_null(nc_glob_check(p));
    p[NC_GLOB_MAX] = 'x';
    p[NC_GLOB_MAX + 1] = '\0';
    assert_non_null(nc_glob_check(p));
}

static void glob_literal_and_anchoring_predicates(void **state)
{
    (void)state;
    assert_true(nc_glob_is_literal("src/core"));
    assert_false(nc_glob_is_literal("src/*.c"));
    assert_false(nc_glob_is_literal("a?"));
    assert_false(nc_glob_is_literal("**"));
    assert_true(nc_glob_is_unanchored(".ssh"));
    assert_true(nc_glob_is_unanchored("*.pem"));
    assert_false(nc_glob_is_unanchored("src/core"));
    assert_false(nc_glob_is_unanchored("**/x"));
}

/* ======================================================================================
 * path normalization
 * ====================================================================================== */

static char norm_buf[NC_PATH_MAX + 1];

/* Normalizes; returns the result or NULL on error. */
static const char *norm(const char *root, const char *in)
{
    const char *why = NULL;
    if (nc_path_normalize(root, in, norm_buf, sizeof(norm_buf), &why) != 0) {
        assert_non_null(why);
        return NULL;
    }
    return norm_buf;
}

static void path_traversal_cases(void **state)
{
    (void)state;
    assert_null(norm(NULL, "../../../.env"));
    assert_null(norm(NULL, ".."));
    assert_null(norm(NULL, "../x"));
    assert_string_equal(norm(NULL, "src/../.env"), ".env");
    assert_string_equal(norm(NULL, "./subdir/../.env"), ".env");
    assert_string_equal(norm(NULL, "src//..//.env"), ".env");
    assert_null(norm(NULL, "a/b/../../..")); /* an error, never silently dropped */
    assert_null(norm(NULL, "a/../../b"));
    assert_string_equal(norm(NULL, "a/b/../.."), ".");
    assert_string_equal(norm(NULL, "a/b/c/../../d"), "a/d");
    assert_string_equal(norm(NULL, "a/./b/./c"), "a/b/c");
}

static void path_plain_cases(void **state)
{
    (void)state;
    assert_string_equal(norm(NULL, "src/main.c"), "src/main.c");
    assert_string_equal(norm(NULL, "."), ".");
    assert_string_equal(norm(NULL, "./"), ".");
    assert_string_equal(norm(NULL, "a/b/"), "a/b");
    assert_string_equal(norm(NULL, "a///b"), "a/b");
    assert_string_equal(norm(NULL, "..."), "..."); /* a name, not a parent */
    assert_string_equal(norm(NULL, "..a/b.."), "..a/b..");
    assert_string_equal(norm(NULL, ""), "."); /* empty: the root */
}

static void path_absolute_without_root_rejected(void **state)
{
    (void)state;
    assert_null(norm(NULL, "/etc/passwd"));
    assert_null(norm(NULL, "/"));
    assert_null(norm("relative/root", "/relative/root/x")); /* a root must be absolute */
}

static void path_absolute_with_root(void **state)
{
    (void)state;
    assert_string_equal(norm("/ws", "/ws/a/b"), "a/b");
    assert_string_equal(norm("/ws", "/ws"), ".");
    assert_string_equal(norm("/ws", "/ws/"), ".");
    assert_string_equal(norm("/ws", "/ws/./a/../b"), "b");
    assert_null(norm("/ws", "/ws/../ws/a")); /* '..' above the root */
    assert_null(norm("/ws", "/etc/passwd"));
    assert_null(norm("/ws", "/w"));
    assert_null(norm("/ws", "/"));
    assert_string_equal(norm("/ws", "relative/x"), "relative/x");
}

static void path_root_prefix_sharing_rejected(void **state)
{
    (void)state;
    /* "/ws" must not accept "/ws2/x": prefix sharing is not containment */
    assert_null(norm("/ws", "/ws2/x"));
    assert_null(norm("/ws", "/ws2"));
    assert_null(norm("/ws", "/wsx/../ws/a"));
    assert_null(norm("/ws/", "/ws2/x"));
    assert_null(norm("/home/u/proj", "/home/u/project/x"));
}

static void path_root_with_trailing_slash(void **state)
{
    (void)state;
    assert_string_equal(norm("/ws/", "/ws/a"), "a");
    assert_string_equal(norm("/ws///", "/ws/a"), "a");
    assert_string_equal(norm("/ws/", "/ws"), ".");
    assert_string_equal(norm("/", "/a/b"), "a/b");
    assert_string_equal(norm("/", "/"), ".");
    assert_null(norm("/", "/../a"));
}

static void path_control_characters_rejected(void **state)
{
    (void)state;
    assert_null(norm(NULL, "a\nb"));
    assert_null(norm(NULL, "a\rb"));
    assert_null(norm(NULL, "\x1b[31m"));
    assert_null(norm(NULL, "a\x7f"));
    assert_null(norm(NULL, "a\tb"));
    assert_string_equal(norm(NULL, "caf\xc3\xa9"), "caf\xc3\xa9"); /* UTF-8 is fine */
}

static void path_length_boundaries(void **state)
{
    (void)state;
    char *in = malloc(NC_PATH_MAX + 2);
    assert_non_null(in);
    memset(in, 'a', NC_PATH_MAX + 1);
    in[NC_PATH_MAX] = '\0'; /* 4096 bytes */
    const char *r = norm(NULL, in);
    assert_non_null(r);
    assert_int_equal(strlen(r), NC_PATH_MAX);
    in[NC_PATH_MAX] = 'a';
    in[NC_PATH_MAX + 1] = '\0'; /* 4097 bytes */
    assert_null(norm(NULL, in));
    /* 4097 bytes that would normalize to something short are still refused */
    memset(in, '/', NC_PATH_MAX + 1);
    in[0] = 'a';
    assert_null(norm(NULL, in));
    free(in);
}

static void path_output_buffer_too_small(void **state)
{
    (void)state;
    char out[8];
    const char *why = NULL;
    assert_int_equal(nc_path_normalize(NULL, "a", out, 0, &why), -1);
    assert_int_equal(nc_path_normalize(NULL, "a", out, 1, &why), -1);
    assert_int_equal(nc_path_normalize(NULL, "a", out, 2, &why), 0);
    assert_string_equal(out, "a");
    assert_int_equal(nc_path_normalize(NULL, "abc", out, 3, &why), -1);
    assert_int_equal(nc_path_normalize(NULL, "abc", out, 4, &why), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(nc_path_normalize(NULL, "abc/defg", out, 8, &why), -1);
    assert_int_equal(nc_path_normalize(NULL, ".", out, 2, &why), 0);
    assert_string_equal(out, ".");
    why = NULL;
    assert_int_equal(nc_path_normalize(NULL, "abcdefgh", out, sizeof(out), &why), -1);
    assert_non_null(why);
}

/* ======================================================================================
 * lists: construction
 * ====================================================================================== */

static void list_canonical_order_and_dedupe(void **state)
{
    (void)state;
    struct nc_list *a = LIST(NC_LIST_PATHS, "src", "docs", "b", "a", "src", "docs");
    struct nc_list *b = LIST(NC_LIST_PATHS, "a", "b", "docs", "src");
    ASSERT_ITEMS(a, "a", "b", "docs", "src");
    assert_true(nc_list_eq(a, b));
    assert_true(nc_list_has(a, "docs"));
    assert_false(nc_list_has(a, "doc"));
    assert_string_equal(nc_list_item(a, 99), ""); /* out of range is empty, not a crash */
    free(a);
    free(b);
}

static void list_unrestricted_is_explicit_and_empty_is_nothing(void **state)
{
    (void)state;
    struct nc_list *empty = list_new(NC_LIST_PATHS, false);
    struct nc_list *all = list_new(NC_LIST_PATHS, true);
    assert_int_equal(nc_list_match_path(empty, "src/x"), -1);
    assert_int_equal(nc_list_match_path(all, "src/x"), NC_LIST_MATCH_ALL);
    assert_false(nc_list_covers(empty, "src"));
    assert_true(nc_list_covers(all, "src"));
    assert_false(nc_list_eq(empty, all));
    assert_true(nc_allow_leq(empty, all));
    assert_false(nc_allow_leq(all, empty));
    const char *argv[] = {"ls"};
    struct nc_list *cempty = list_new(NC_LIST_COMMANDS, false);
    struct nc_list *call = list_new(NC_LIST_COMMANDS, true);
    assert_int_equal(nc_list_match_argv_prefix(cempty, argv, 1), -1);
    assert_int_equal(nc_list_match_argv_prefix(call, argv, 1), NC_LIST_MATCH_ALL);
    struct nc_list *dempty = list_new(NC_LIST_DOMAINS, false);
    struct nc_list *dall = list_new(NC_LIST_DOMAINS, true);
    assert_int_equal(nc_list_match_domain(dempty, "example.com"), -1);
    assert_int_equal(nc_list_match_domain(dall, "example.com"), NC_LIST_MATCH_ALL);
    free(empty);
    free(all);
    free(cempty);
    free(call);
    free(dempty);
    free(dall);
}

static void list_add_to_unrestricted_refused(void **state)
{
    (void)state;
    struct nc_list *all = list_new(NC_LIST_COMMANDS, true);
    const char *why = NULL;
    assert_int_equal(nc_list_add(all, "ls", &why), -1);
    assert_non_null(why);
    assert_int_equal(all->count, 0);
    assert_true(all->unrestricted);
    free(all);
}

static void list_domain_entries_checked_and_lowered(void **state)
{
    (void)state;
    static const char *const good[] = {"example.com", "a.b.c.example.com", "*.example.com",
                                       "x-y.example.com", "localhost", "1.2.3.4", "xn--bcher-kva.ch"};
    static const char *const bad[] = {"",          "*",           "*.",         "*example.com",
                                      "a.*.com",   "**.a.com",    "*.*.a.com",  "-a.com",
                                      "a-.com",    "a..com",      ".a.com",     "a.com.",
                                      "a_b.com",   "a b.com",     "a.com/x",    "a.com:443",
                                      "user@a.com", "a.com\n",    "[::1]",      "é.com",
                                      /* addresses: one spelling, no wildcard over octets */
                                      "*.0.0.1",   "*.1",         "*.a.1",      "127.1",
                                      "01.2.3.4",  "1.2.3.256",   "2130706433", "0x7f.0.0.1",
                                      "1.2.3.4.5"};
    for (size_t i = 0; i < ARGC(good); i++)
        assert_null(nc_list_check_item(NC_LIST_DOMAINS, good[i]));
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_list_check_item(NC_LIST_DOMAINS, bad[i]) == NULL)
            fail_msg("domain \"%s\" accepted", bad[i]);
    struct nc_list *l = LIST(NC_LIST_DOMAINS, "API.Example.COM", "*.GitHub.com", "api.example.com");
    ASSERT_ITEMS(l, "*.github.com", "api.example.com");
    free(l);
}

static void list_domain_length_limits(void **state)
{
    (void)state;
    char label[80], dom[300];
    memset(label, 'a', 63);
    label[63] = '\0';
    assert_true(snprintf(dom, sizeof(dom), "%s.com", label) < (int)sizeof(dom));
    assert_null(nc_list_check_item(NC_LIST_DOMAINS, dom));
    memset(label, 'a', 64);
    label[64] = '\0';
    assert_true(snprintf(dom, sizeof(dom), "%s.com", label) < (int)sizeof(dom));
    assert_non_null(nc_list_check_item(NC_LIST_DOMAINS, dom));
    /* 253 bytes total: 3 labels of 63 with their dots (192) and one label of 61 */
    size_t o = 0;
    for (unsigned k = 0; k < 3; k++) {
        memset(dom + o, 'b', 63);
        o += 63;
        dom[o++] = '.';
    }
    memset(dom + o, 'c', 61);
    o += 61;
    dom[o] = '\0';
    assert_int_equal(strlen(dom), 253);
    assert_null(nc_list_check_item(NC_LIST_DOMAINS, dom));
    char wild[310];
    assert_true(snprintf(wild, sizeof(wild), "*.%s", dom) < (int)sizeof(wild));
    assert_null(nc_list_check_item(NC_LIST_DOMAINS, wild)); /* the suffix is what counts */
    dom[o++] = 'c';
    dom[o] = '\0';
    assert_int_equal(strlen(dom), 254);
    assert_non_null(nc_list_check_item(NC_LIST_DOMAINS, dom));
    memset(dom, 'a', 299);
    dom[299] = '\0';
    assert_non_null(nc_list_check_item(NC_LIST_DOMAINS, dom));
}

static void list_command_entries_checked(void **state)
{
    (void)state;
    static const char *const good[] = {"cargo test", "ls", "/usr/bin/git status", "a b c d",
                                       "python3 -m pytest"};
    static const char *const bad[] = {"", " ls", "ls ", "cargo  test", "a\tb", "a\nb", " ",
                                      "a\x7f"};
    for (size_t i = 0; i < ARGC(good); i++)
        assert_null(nc_list_check_item(NC_LIST_COMMANDS, good[i]));
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_list_check_item(NC_LIST_COMMANDS, bad[i]) == NULL)
            fail_msg("command \"%s\" accepted", bad[i]);
    char big[NC_ITEM_MAX + 2];
    memset(big, 'x', sizeof(big));
    big[NC_ITEM_MAX] = '\0';
    assert_null(nc_list_check_item(NC_LIST_COMMANDS, big));
    big[NC_ITEM_MAX] = 'x';
    big[NC_ITEM_MAX + 1] = '\0';
    assert_non_null(nc_list_check_item(NC_LIST_COMMANDS, big));
}

static void list_path_entries_follow_glob_rules(void **state)
{
    (void)state;
    assert_null(nc_list_check_item(NC_LIST_PATHS, "src/**/x.c"));
    assert_non_null(nc_list_check_item(NC_LIST_PATHS, "/etc"));
    assert_non_null(nc_list_check_item(NC_LIST_PATHS, "a/../b"));
    assert_non_null(nc_list_check_item(NC_LIST_PATHS, ""));
    assert_non_null(nc_list_check_item((enum nc_list_kind)7, "x"));
    struct nc_list *l = list_new(NC_LIST_PATHS, false);
    const char *why = NULL;
    assert_int_equal(nc_list_add(l, "../x", &why), -1);
    assert_non_null(why);
    assert_int_equal(l->count, 0);
    free(l);
}

static void list_capacity_items_is_an_error(void **state)
{
    (void)state;
    struct nc_list *l = list_new(NC_LIST_PATHS, false);
    const char *why = NULL;
    char item[16];
    for (unsigned i = 0; i < NC_LIST_MAX_ITEMS; i++) {
        assert_true(snprintf(item, sizeof(item), "f%03u", i) < (int)sizeof(item));
        assert_int_equal(nc_list_add(l, item, &why), 0);
    }
    assert_int_equal(l->count, NC_LIST_MAX_ITEMS);
    assert_int_equal(nc_list_add(l, "g", &why), -1); /* the 65th: an error, not truncation */
    assert_non_null(why);
    assert_int_equal(l->count, NC_LIST_MAX_ITEMS);
    assert_false(nc_list_has(l, "g"));
    assert_int_equal(nc_list_add(l, "f000", &why), 0); /* a duplicate is still a no-op */
    assert_true(nc_list_has(l, "f063"));
    free(l);
}

static void list_capacity_bytes_is_an_error(void **state)
{
    (void)state;
    struct nc_list *l = list_new(NC_LIST_PATHS, false);
    const char *why = NULL;
    char item[NC_ITEM_MAX + 1];
    /* 8 entries of 1023 bytes (+1 NUL each) fill exactly 8192 bytes */
    for (unsigned i = 0; i < 8; i++) {
        memset(item, 'a' + (int)i, NC_ITEM_MAX - 1);
        item[NC_ITEM_MAX - 1] = '\0';
        assert_int_equal(nc_list_add(l, item, &why), 0);
    }
    assert_int_equal(l->used, NC_LIST_MAX_BYTES);
    why = NULL;
    assert_int_equal(nc_list_add(l, "z", &why), -1);
    assert_non_null(why);
    assert_int_equal(l->count, 8);
    free(l);
}

/* ======================================================================================
 * lists: order, meet, join
 * ====================================================================================== */

static void list_covers_paths_soundly(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_PATHS, "src", "docs/api", "*.md");
    assert_true(nc_list_covers(l, "src"));
    assert_true(nc_list_covers(l, "src/core"));    /* beneath an unanchored literal */
    assert_true(nc_list_covers(l, "lib/src"));     /* "src" covers it at any depth */
    assert_true(nc_list_covers(l, "docs/api/v1")); /* beneath an anchored entry */
    assert_false(nc_list_covers(l, "docs"));       /* an ancestor is wider */
    assert_false(nc_list_covers(l, "docs/apix"));
    assert_false(nc_list_covers(l, "src*"));       /* a wider glob */
    assert_false(nc_list_covers(l, "s?c"));        /* admits "sxc" */
    assert_true(nc_list_covers(l, "*.md"));
    assert_true(nc_list_covers(l, "README.md"));   /* unanchored under unanchored */
    assert_true(nc_list_covers(l, "a/README.md"));
    assert_false(nc_list_covers(l, "**"));
    free(l);
    /* an anchored entry never covers an unanchored item (it occurs at any depth) */
    l = LIST(NC_LIST_PATHS, "a/b", "**/x");
    assert_false(nc_list_covers(l, "b"));
    assert_false(nc_list_covers(l, "x"));
    free(l);
    l = LIST(NC_LIST_PATHS, "**");
    assert_true(nc_list_covers(l, "anything/*.c"));
    free(l);
}

static void list_covers_commands_and_domains(void **state)
{
    (void)state;
    struct nc_list *c = LIST(NC_LIST_COMMANDS, "cargo", "git status");
    assert_true(nc_list_covers(c, "cargo test"));
    assert_true(nc_list_covers(c, "cargo"));
    assert_true(nc_list_covers(c, "git status --short"));
    assert_false(nc_list_covers(c, "git"));
    assert_false(nc_list_covers(c, "cargox"));
    assert_false(nc_list_covers(c, "git statusx"));
    free(c);
    struct nc_list *d = LIST(NC_LIST_DOMAINS, "*.example.com", "github.com");
    assert_true(nc_list_covers(d, "api.example.com"));
    assert_true(nc_list_covers(d, "*.api.example.com"));
    assert_true(nc_list_covers(d, "*.example.com"));
    assert_false(nc_list_covers(d, "example.com"));
    assert_false(nc_list_covers(d, "badexample.com"));
    assert_false(nc_list_covers(d, "*.github.com"));
    assert_true(nc_list_covers(d, "github.com"));
    free(d);
}

static void allow_meet_disjoint_is_empty_not_everything(void **state)
{
    (void)state;
    /* The original widened two disjoint allowlists to allow-all. */
    struct nc_list *a = LIST(NC_LIST_PATHS, "src"), *b = LIST(NC_LIST_PATHS, "docs");
    struct nc_list *out = list_new(NC_LIST_PATHS, true);
    const char *why = NULL;
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    assert_false(out->unrestricted);
    assert_int_equal(out->count, 0);
    assert_int_equal(nc_list_match_path(out, "src/x"), -1);
    assert_int_equal(nc_list_match_path(out, "docs/x"), -1);
    free(a);
    free(b);
    a = LIST(NC_LIST_COMMANDS, "ls");
    b = LIST(NC_LIST_COMMANDS, "cat");
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    assert_false(out->unrestricted);
    assert_int_equal(out->count, 0);
    free(a);
    free(b);
    a = LIST(NC_LIST_DOMAINS, "a.com");
    b = LIST(NC_LIST_DOMAINS, "b.com");
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    assert_false(out->unrestricted);
    assert_int_equal(out->count, 0);
    free(a);
    free(b);
    free(out);
}

static void allow_meet_unrestricted_is_identity(void **state)
{
    (void)state;
    struct nc_list *all = list_new(NC_LIST_PATHS, true);
    struct nc_list *a = LIST(NC_LIST_PATHS, "src", "docs");
    struct nc_list *empty = list_new(NC_LIST_PATHS, false);
    struct nc_list *out = list_new(NC_LIST_PATHS, false);
    const char *why = NULL;
    assert_int_equal(nc_allow_meet(all, a, out, &why), 0);
    assert_true(nc_list_eq(out, a));
    assert_int_equal(nc_allow_meet(a, all, out, &why), 0);
    assert_true(nc_list_eq(out, a));
    assert_int_equal(nc_allow_meet(all, all, out, &why), 0);
    assert_true(out->unrestricted);
    assert_int_equal(nc_allow_meet(all, empty, out, &why), 0);
    assert_true(nc_list_eq(out, empty)); /* empty stays empty: nothing is allowed */
    assert_int_equal(nc_allow_meet(empty, a, out, &why), 0);
    assert_true(nc_list_eq(out, empty));
    free(all);
    free(a);
    free(empty);
    free(out);
}

static void allow_meet_narrows_to_the_tighter_entry(void **state)
{
    (void)state;
    struct nc_list *out = list_new(NC_LIST_PATHS, false);
    const char *why = NULL;
    struct nc_list *a = LIST(NC_LIST_PATHS, "src"), *b = LIST(NC_LIST_PATHS, "src/core");
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "src/core");
    assert_int_equal(nc_allow_meet(b, a, out, &why), 0);
    ASSERT_ITEMS(out, "src/core");
    free(a);
    free(b);
    a = LIST(NC_LIST_DOMAINS, "*.example.com");
    b = LIST(NC_LIST_DOMAINS, "api.example.com");
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "api.example.com");
    free(a);
    free(b);
    a = LIST(NC_LIST_COMMANDS, "cargo");
    b = LIST(NC_LIST_COMMANDS, "cargo test");
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "cargo test");
    free(a);
    free(b);
    /* mixed: keeps every entry one side covers */
    a = LIST(NC_LIST_PATHS, "src", "docs/api", "*.md");
    b = LIST(NC_LIST_PATHS, "src/core", "docs", "tests");
    assert_int_equal(nc_allow_meet(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "docs/api", "src/core");
    assert_true(nc_allow_leq(out, a));
    assert_true(nc_allow_leq(out, b));
    free(a);
    free(b);
    free(out);
}

static void allow_meet_capacity_error(void **state)
{
    (void)state;
    struct nc_list *a = list_new(NC_LIST_PATHS, false), *b = list_new(NC_LIST_PATHS, false);
    struct nc_list *out = list_new(NC_LIST_PATHS, false);
    const char *why = NULL;
    char item[16];
    /* a = {p00..p63}, b = {**, q00..q62}: each side covers the other's entries except "**"
     * is only covered by itself, so the meet holds 64 + 63 entries: too many. */
    for (unsigned i = 0; i < 64; i++) {
        assert_true(snprintf(item, sizeof(item), "p%02u", i) < (int)sizeof(item));
        assert_int_equal(nc_list_add(a, item, &why), 0);
    }
    assert_int_equal(nc_list_add(b, "**", &why), 0);
    assert_int_equal(nc_list_add(a, "q", &why), -1);
    for (unsigned i = 0; i < 63; i++) {
        assert_true(snprintf(item, sizeof(item), "p%02u/q", i) < (int)sizeof(item));
        assert_int_equal(nc_list_add(b, item, &why), 0);
    }
    why = NULL;
    assert_int_equal(nc_allow_meet(a, b, out, &why), -1);
    assert_non_null(why);
    free(a);
    free(b);
    free(out);
}

static void deny_meet_is_union_and_join_is_intersection(void **state)
{
    (void)state;
    struct nc_list *a = LIST(NC_LIST_COMMANDS, "sudo", "rm -rf");
    struct nc_list *b = LIST(NC_LIST_COMMANDS, "sudo", "curl");
    struct nc_list *out = list_new(NC_LIST_COMMANDS, false);
    const char *why = NULL;
    assert_int_equal(nc_deny_meet(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "curl", "rm -rf", "sudo");
    assert_true(nc_deny_leq(out, a));
    assert_true(nc_deny_leq(out, b));
    assert_int_equal(nc_deny_join(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "sudo");
    assert_true(nc_deny_leq(a, out));
    assert_true(nc_deny_leq(b, out));
    assert_false(nc_deny_leq(out, a)); /* fewer denials is looser */
    free(a);
    free(b);
    free(out);
}

static void allow_join_is_union_and_unrestricted_absorbs(void **state)
{
    (void)state;
    struct nc_list *a = LIST(NC_LIST_DOMAINS, "a.com"), *b = LIST(NC_LIST_DOMAINS, "b.com");
    struct nc_list *all = list_new(NC_LIST_DOMAINS, true);
    struct nc_list *out = list_new(NC_LIST_DOMAINS, false);
    const char *why = NULL;
    assert_int_equal(nc_allow_join(a, b, out, &why), 0);
    ASSERT_ITEMS(out, "a.com", "b.com");
    assert_true(nc_allow_leq(a, out));
    assert_true(nc_allow_leq(b, out));
    assert_int_equal(nc_allow_join(a, all, out, &why), 0);
    assert_true(out->unrestricted);
    assert_int_equal(out->kind, NC_LIST_DOMAINS);
    assert_int_equal(nc_allow_join(all, b, out, &why), 0);
    assert_true(out->unrestricted);
    free(a);
    free(b);
    free(all);
    free(out);
}

static void allow_leq_cases(void **state)
{
    (void)state;
    struct nc_list *narrow = LIST(NC_LIST_PATHS, "src/core", "docs/a.md");
    struct nc_list *wide = LIST(NC_LIST_PATHS, "src", "docs");
    struct nc_list *all = list_new(NC_LIST_PATHS, true);
    struct nc_list *empty = list_new(NC_LIST_PATHS, false);
    assert_true(nc_allow_leq(narrow, wide));
    assert_false(nc_allow_leq(wide, narrow));
    assert_true(nc_allow_leq(wide, all));
    assert_true(nc_allow_leq(all, all));
    assert_false(nc_allow_leq(all, wide));
    assert_true(nc_allow_leq(empty, narrow));
    assert_false(nc_allow_leq(narrow, empty));
    assert_true(nc_allow_leq(empty, empty));
    free(narrow);
    free(wide);
    free(all);
    free(empty);
}

/* ======================================================================================
 * matching
 * ====================================================================================== */

static void argv_prefix_admits_longer_commands(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "cargo test", "ls");
    const char *a1[] = {"cargo", "test", "--release"};
    const char *a2[] = {"cargo", "build"};
    const char *a3[] = {"cargo"};
    const char *a4[] = {"cargo", "test"};
    const char *a5[] = {"cargo", "testx"};
    const char *a6[] = {"ls", "-la", "/"};
    assert_true(nc_list_match_argv_prefix(l, a1, ARGC(a1)) >= 0);
    assert_int_equal(nc_list_match_argv_prefix(l, a2, ARGC(a2)), -1);
    assert_int_equal(nc_list_match_argv_prefix(l, a3, ARGC(a3)), -1);
    assert_true(nc_list_match_argv_prefix(l, a4, ARGC(a4)) >= 0);
    assert_int_equal(nc_list_match_argv_prefix(l, a5, ARGC(a5)), -1);
    assert_string_equal(nc_list_item(l, (size_t)nc_list_match_argv_prefix(l, a6, ARGC(a6))),
                        "ls");
    assert_int_equal(nc_list_match_argv_prefix(l, a1, 0), -1); /* empty argv */
    free(l);
}

static void argv_prefix_program_path_rules(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "git", "/usr/bin/make");
    const char *a1[] = {"./git", "status"};
    const char *a2[] = {"/tmp/git", "status"};
    const char *a3[] = {"git", "status"};
    const char *a4[] = {"/usr/bin/make", "all"};
    const char *a5[] = {"make", "all"};
    const char *a6[] = {"/usr/local/bin/make"};
    assert_int_equal(nc_list_match_argv_prefix(l, a1, ARGC(a1)), -1);
    assert_int_equal(nc_list_match_argv_prefix(l, a2, ARGC(a2)), -1);
    assert_true(nc_list_match_argv_prefix(l, a3, ARGC(a3)) >= 0);
    assert_true(nc_list_match_argv_prefix(l, a4, ARGC(a4)) >= 0);
    assert_int_equal(nc_list_match_argv_prefix(l, a5, ARGC(a5)), -1);
    assert_int_equal(nc_list_match_argv_prefix(l, a6, ARGC(a6)), -1);
    free(l);
}

static void argv_words_with_spaces_are_not_resplit(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "cargo test --release", "git status");
    const char *a1[] = {"cargo", "test --release"};
    const char *a2[] = {"cargo test", "--release"};
    const char *a3[] = {"git status"};
    const char *a4[] = {"git", "status; rm -rf /"};
    assert_int_equal(nc_list_match_argv_prefix(l, a1, ARGC(a1)), -1);
    assert_int_equal(nc_list_match_argv_prefix(l, a2, ARGC(a2)), -1);
    assert_int_equal(nc_list_match_argv_prefix(l, a3, ARGC(a3)), -1);
    assert_int_equal(nc_list_match_argv_prefix(l, a4, ARGC(a4)), -1);
    free(l);
    struct nc_list *d = LIST(NC_LIST_COMMANDS, "rm -rf");
    const char *a5[] = {"echo", "rm -rf"}; /* one word, not two */
    assert_int_equal(nc_list_match_argv_deny(d, a5, ARGC(a5)), -1);
    free(d);
}

static void argv_null_entries_stop_matching(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "cargo test");
    const char *a1[] = {"cargo", NULL, "test"};
    assert_int_equal(nc_list_match_argv_prefix(l, a1, ARGC(a1)), -1);
    assert_int_equal(nc_list_match_argv_deny(l, a1, ARGC(a1)), -1);
    free(l);
}

static void argv_deny_is_word_based_and_wide(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "rm -rf", "sudo", "git config --global");
    const char *a1[] = {"rm", "-v", "-rf", "x"};
    const char *a2[] = {"/bin/rm", "-rf", "x"};
    const char *a3[] = {"env", "rm", "-rf", "x"};
    const char *a4[] = {"rm", "-r", "x"};
    const char *a5[] = {"/usr/bin/sudo", "id"};
    const char *a6[] = {"cat", "pseudocode.txt"}; /* word based, not substring */
    const char *a7[] = {"echo", "sudoku"};
    const char *a8[] = {"nice", "-n", "5", "sudo", "ls"};
    const char *a9[] = {"git", "config", "--global", "user.name", "x"};
    const char *a10[] = {"git", "-C", ".", "config", "--global", "x"};
    const char *a11[] = {"git", "config", "user.name", "x"};
    const char *a12[] = {"-rf", "rm"}; /* order matters */
    assert_true(nc_list_match_argv_deny(l, a1, ARGC(a1)) >= 0);
    assert_true(nc_list_match_argv_deny(l, a2, ARGC(a2)) >= 0);
    assert_true(nc_list_match_argv_deny(l, a3, ARGC(a3)) >= 0);
    assert_int_equal(nc_list_match_argv_deny(l, a4, ARGC(a4)), -1);
    assert_true(nc_list_match_argv_deny(l, a5, ARGC(a5)) >= 0);
    assert_int_equal(nc_list_match_argv_deny(l, a6, ARGC(a6)), -1);
    assert_int_equal(nc_list_match_argv_deny(l, a7, ARGC(a7)), -1);
    assert_true(nc_list_match_argv_deny(l, a8, ARGC(a8)) >= 0);
    assert_true(nc_list_match_argv_deny(l, a9, ARGC(a9)) >= 0);
    assert_true(nc_list_match_argv_deny(l, a10, ARGC(a10)) >= 0);
    assert_int_equal(nc_list_match_argv_deny(l, a11, ARGC(a11)), -1);
    assert_int_equal(nc_list_match_argv_deny(l, a12, ARGC(a12)), -1);
    free(l);
}

static void argv_deny_catches_option_spellings(void **state)
{
    (void)state;
    /* Exact word equality let clustered and attached options slip past the denylist:
     * `bash -lc CODE` ran although "bash -c" is denied, as did `python3 -cCODE`,
     * `node --eval=CODE` and `rm -fr /`. */
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "bash -c", "sh -c", "python3 -c", "node -e",
                             "node --eval", "rm -rf", "perl -e");
    const char *const *const denied[] = {
        (const char *const[]){"bash", "-lc", "curl x | sh", NULL},
        (const char *const[]){"bash", "-ec", "x", NULL},
        (const char *const[]){"/bin/sh", "-xc", "x", NULL},
        (const char *const[]){"python3", "-Ic", "import os", NULL},
        (const char *const[]){"python3", "-cimport os", NULL},
        (const char *const[]){"node", "-pe", "1", NULL},
        (const char *const[]){"node", "--eval=process.exit()", NULL},
        (const char *const[]){"rm", "-fr", "/", NULL},
        (const char *const[]){"rm", "-rfv", "x", NULL},
        (const char *const[]){"rm", "x", "-vfr", NULL},
        (const char *const[]){"perl", "-wle", "print 1", NULL},
        (const char *const[]){"env", "bash", "--norc", "-c", "x", NULL},
    };
    const char *const *const allowed[] = {
        (const char *const[]){"bash", "-l", "script.sh", NULL},
        (const char *const[]){"bash", "--rcfile", "x", NULL},
        (const char *const[]){"sh", "-ex", "script.sh", NULL},
        (const char *const[]){"python3", "-Wignore", "x.py", NULL},
        (const char *const[]){"python3", "-m", "pytest", NULL},
        (const char *const[]){"node", "--evaluate", "x", NULL},
        (const char *const[]){"node", "--eval-x=1", NULL},
        (const char *const[]){"rm", "-r", "x", NULL},
        (const char *const[]){"rm", "-f", "x", NULL},
        (const char *const[]){"rm", "--rf", "x", NULL},
        (const char *const[]){"rm", "-Rf", "x", NULL}, /* not the entry's spelling */
        (const char *const[]){"cat", "-c", NULL},
    };
    for (size_t i = 0; i < ARGC(denied); i++) {
        size_t n = 0;
        while (denied[i][n] != NULL)
            n++;
        if (nc_list_match_argv_deny(l, denied[i], n) < 0)
            fail_msg("not denied: %s %s", denied[i][0], denied[i][1]);
    }
    for (size_t i = 0; i < ARGC(allowed); i++) {
        size_t n = 0;
        while (allowed[i][n] != NULL)
            n++;
        if (nc_list_match_argv_deny(l, allowed[i], n) != -1)
            fail_msg("denied: %s %s", allowed[i][0], allowed[i][1]);
    }
    free(l);
}

static void argv_deny_with_slash_entry_is_exact(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_COMMANDS, "/usr/bin/curl");
    const char *a1[] = {"/usr/bin/curl", "x"};
    const char *a2[] = {"curl", "x"};
    assert_true(nc_list_match_argv_deny(l, a1, ARGC(a1)) >= 0);
    assert_int_equal(nc_list_match_argv_deny(l, a2, ARGC(a2)), -1);
    free(l);
}

static void argv_deny_empty_and_unrestricted(void **state)
{
    (void)state;
    struct nc_list *l = list_new(NC_LIST_COMMANDS, false);
    const char *a1[] = {"ls"};
    assert_int_equal(nc_list_match_argv_deny(l, a1, ARGC(a1)), -1);
    free(l);
    /* invalid as a policy's denylist, but if one gets through it must deny everything */
    l = list_new(NC_LIST_COMMANDS, true);
    assert_int_equal(nc_list_match_argv_deny(l, a1, ARGC(a1)), NC_LIST_MATCH_ALL);
    free(l);
}

static void domain_matching(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_DOMAINS, "*.example.com", "github.com");
    assert_true(nc_list_match_domain(l, "api.example.com") >= 0);
    assert_true(nc_list_match_domain(l, "API.Example.COM") >= 0); /* case-insensitive host */
    assert_true(nc_list_match_domain(l, "a.b.example.com") >= 0);
    assert_int_equal(nc_list_match_domain(l, "example.com"), -1);
    assert_int_equal(nc_list_match_domain(l, "badexample.com"), -1);
    assert_int_equal(nc_list_match_domain(l, "example.com.evil.net"), -1);
    assert_true(nc_list_match_domain(l, "GitHub.com") >= 0);
    assert_int_equal(nc_list_match_domain(l, "api.github.com"), -1);
    assert_int_equal(nc_list_match_domain(l, "github.co"), -1);
    assert_int_equal(nc_list_match_domain(l, ""), -1);
    free(l);
}

static void domain_matching_addresses_only_exactly(void **state)
{
    (void)state;
    /* An IPv4 address matches an entry equal to it and nothing else: no wildcard suffix test
     * over octets, no second spelling. */
    struct nc_list *l = LIST(NC_LIST_DOMAINS, "*.example.com", "10.0.0.1", "*.com");
    const char *why = NULL;
    assert_true(nc_list_match_domain(l, "10.0.0.1") >= 0);
    assert_int_equal(nc_list_match_domain(l, "127.0.0.1"), -1);
    assert_int_equal(nc_list_match_domain(l, "10.0.0.01"), -1);
    assert_int_equal(nc_list_match_domain(l, "10.0.1"), -1);
    assert_int_equal(nc_list_match_domain(l, "167772161"), -1);
    assert_int_equal(nc_list_match_domain(l, "1.2.3.4"), -1);
    assert_int_equal(nc_list_add(l, "*.0.0.1", &why), -1);
    assert_non_null(strstr(why, "cannot cover IP addresses"));
    free(l);
}

static void domain_matching_refuses_malformed_hosts(void **state)
{
    (void)state;
    /* A host that is not a DNS name must never ride on a wildcard's suffix test: a sloppy URL
     * parser upstream could hand us "evil.com/.example.com" or "evil.com\\.example.com". */
    struct nc_list *l = LIST(NC_LIST_DOMAINS, "*.example.com", "github.com");
    static const char *const bad[] = {
        "evil.com/.example.com", "evil.com\\.example.com", "evil.com#.example.com",
        "evil.com?.example.com", "evil.com@x.example.com", "evil.com:1.example.com",
        "a..example.com",        ".example.com",           "x.example.com.",
        "x .example.com",        "x\n.example.com",        "*.example.com",
        "github.com.",           "github.com:443",         "github.com/",
    };
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_list_match_domain(l, bad[i]) != -1)
            fail_msg("malformed host \"%s\" matched", bad[i]);
    free(l);
}

static void path_matching_returns_first_index(void **state)
{
    (void)state;
    struct nc_list *l = LIST(NC_LIST_PATHS, "b", "a");
    assert_int_equal(nc_list_match_path(l, "a/x"), 0); /* sorted: "a" first */
    assert_int_equal(nc_list_match_path(l, "b"), 1);
    assert_int_equal(nc_list_match_path(l, "c"), -1);
    free(l);
}


/* git.push_remotes: one spelling per URL, exact entries and '/'-ended prefixes. */
static void url_entries_checked_and_matched(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                   /* empty */
        "git.example.com/o/r.git",            /* no scheme */
        "ssh://git.example.com/o/r.git",      /* not through the gateway */
        "HTTPS://git.example.com/o/r.git",    /* one spelling: lowercase scheme */
        "https://Git.example.com/o/r.git",    /* ... and host */
        "https://u@git.example.com/o/r.git",  /* userinfo hides the host */
        "https://git.example.com",            /* no path */
        "https://git.example.com:0/o/",       /* port 0 */
        "https://git.example.com:08/o/",      /* leading zero */
        "https://git.example.com:65536/o/",   /* too large */
        "https://git.example.com:/o/",        /* empty port */
        "https://[::1]/o/r.git",              /* address literal */
        "https://*.example.com/o/",           /* no wildcard hosts */
        "https://127.1/o/",                   /* a second spelling of 127.0.0.1 */
        "https://git.example.com//o",         /* empty segment */
        "https://git.example.com/o/../x",     /* dot-dot */
        "https://git.example.com/./o",        /* dot */
        "https://git.example.com/o/..",       /* dot-dot at the end */
        "https://git.example.com/o%2F..%2Fx", /* percent-encoding */
        "https://git.example.com/o?x=1",      /* query */
        "https://git.example.com/o#f",        /* fragment */
        "https://git.example.com/o r",        /* space */
        "https://git.example.com/o\tr",      /* control */
        "https://git.example.com/o\\r",     /* backslash */
    };
    for (size_t i = 0; i < ARGC(bad); i++)
        if (nc_list_check_item(NC_LIST_URLS, bad[i]) == NULL)
            fail_msg("accepted %s", bad[i]);
    assert_null(nc_list_check_item(NC_LIST_URLS, "https://git.example.com/"));
    assert_null(nc_list_check_item(NC_LIST_URLS, "http://127.0.0.4:8080/r.git"));
    assert_null(nc_list_check_item(NC_LIST_URLS, "https://git.example.com/O/R-1_x.~+.git"));

    struct nc_list *l = LIST(NC_LIST_URLS, "https://git.example.com/o/r.git",
                             "https://git.example.com/team/");
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/o/r.git"), 0);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/team/a.git"), 1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/team/x/y"), 1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/team"), -1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/teamx/a.git"), -1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/o/r"), -1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/o/r.git/"), -1);
    assert_int_equal(nc_list_match_url(l, "http://git.example.com/o/r.git"), -1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com:443/o/r.git"), -1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/team/../o/x.git"), -1);
    assert_int_equal(nc_list_match_url(l, "https://git.example.com/team/%2e%2e/x"), -1);
    assert_int_equal(nc_list_match_url(l, "https://GIT.example.com/o/r.git"), -1);
    assert_int_equal(nc_list_match_url(l, "https://x@git.example.com/o/r.git"), -1);
    char host[64];
    assert_int_equal(nc_url_entry_host("https://git.example.com:8443/o/", host, sizeof(host)), 0);
    assert_string_equal(host, "git.example.com");
    assert_int_equal(nc_url_entry_host("https://x@git.example.com/o/", host, sizeof(host)), -1);
    assert_int_equal(nc_url_entry_host("https://git.example.com/o/", host, 4), -1);

    /* meet keeps what both sides admit: a prefix narrows to the exact entry under it */
    struct nc_list *m = LIST(NC_LIST_URLS, "https://git.example.com/team/a.git",
                             "https://other.example.com/x.git");
    struct nc_list *out = list_new(NC_LIST_URLS, false);
    const char *why = NULL;
    assert_int_equal(nc_allow_meet(l, m, out, &why), 0);
    assert_int_equal(out->count, 1);
    assert_string_equal(nc_list_item(out, 0), "https://git.example.com/team/a.git");
    assert_true(nc_allow_leq(out, l));
    assert_false(nc_allow_leq(l, out));
    struct nc_list *all = list_new(NC_LIST_URLS, true);
    assert_int_equal(nc_list_match_url(all, "https://anything.example/x"), NC_LIST_MATCH_ALL);
    free(l);
    free(m);
    free(out);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(glob_unanchored_literal_matches_component_at_any_depth),
        cmocka_unit_test(glob_ancestor_matching_is_component_wise),
        cmocka_unit_test(glob_anchored_patterns_start_at_root),
        cmocka_unit_test(glob_star_pem_at_any_depth),
        cmocka_unit_test(glob_env_star_vs_envrc),
        cmocka_unit_test(glob_globstar_at_start),
        cmocka_unit_test(glob_globstar_in_middle),
        cmocka_unit_test(glob_globstar_at_end),
        cmocka_unit_test(glob_question_mark_is_one_char_in_a_component),
        cmocka_unit_test(glob_star_alone),
        cmocka_unit_test(glob_regex_metacharacters_are_literal),
        cmocka_unit_test(glob_invalid_pattern_never_matches),
        cmocka_unit_test(glob_backtracking_is_bounded),
        cmocka_unit_test(glob_check_rejections),
        cmocka_unit_test(glob_check_length_boundary),
        cmocka_unit_test(glob_literal_and_anchoring_predicates),
        cmocka_unit_test(path_traversal_cases),
        cmocka_unit_test(path_plain_cases),
        cmocka_unit_test(path_absolute_without_root_rejected),
        cmocka_unit_test(path_absolute_with_root),
        cmocka_unit_test(path_root_prefix_sharing_rejected),
        cmocka_unit_test(path_root_with_trailing_slash),
        cmocka_unit_test(path_control_characters_rejected),
        cmocka_unit_test(path_length_boundaries),
        cmocka_unit_test(path_output_buffer_too_small),
        cmocka_unit_test(list_canonical_order_and_dedupe),
        cmocka_unit_test(list_unrestricted_is_explicit_and_empty_is_nothing),
        cmocka_unit_test(list_add_to_unrestricted_refused),
        cmocka_unit_test(list_domain_entries_checked_and_lowered),
        cmocka_unit_test(list_domain_length_limits),
        cmocka_unit_test(list_command_entries_checked),
        cmocka_unit_test(list_path_entries_follow_glob_rules),
        cmocka_unit_test(list_capacity_items_is_an_error),
        cmocka_unit_test(list_capacity_bytes_is_an_error),
        cmocka_unit_test(list_covers_paths_soundly),
        cmocka_unit_test(list_covers_commands_and_domains),
        cmocka_unit_test(allow_meet_disjoint_is_empty_not_everything),
        cmocka_unit_test(allow_meet_unrestricted_is_identity),
        cmocka_unit_test(allow_meet_narrows_to_the_tighter_entry),
        cmocka_unit_test(allow_meet_capacity_error),
        cmocka_unit_test(deny_meet_is_union_and_join_is_intersection),
        cmocka_unit_test(allow_join_is_union_and_unrestricted_absorbs),
        cmocka_unit_test(allow_leq_cases),
        cmocka_unit_test(argv_prefix_admits_longer_commands),
        cmocka_unit_test(argv_prefix_program_path_rules),
        cmocka_unit_test(argv_words_with_spaces_are_not_resplit),
        cmocka_unit_test(argv_null_entries_stop_matching),
        cmocka_unit_test(argv_deny_is_word_based_and_wide),
        cmocka_unit_test(argv_deny_catches_option_spellings),
        cmocka_unit_test(argv_deny_with_slash_entry_is_exact),
        cmocka_unit_test(argv_deny_empty_and_unrestricted),
        cmocka_unit_test(domain_matching),
        cmocka_unit_test(domain_matching_refuses_malformed_hosts),
        cmocka_unit_test(domain_matching_addresses_only_exactly),
        cmocka_unit_test(path_matching_returns_first_index),
        cmocka_unit_test(url_entries_checked_and_matched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
