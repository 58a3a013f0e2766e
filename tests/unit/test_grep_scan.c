/* SPDX-License-Identifier: Apache-2.0 */
/* grep's whole-file candidate scan (src/proxy/tools/grep.c) against matching every line on its
 * own: for random files and a table of patterns (scan-safe ones, and ones the scan must leave
 * alone because they can see past a line), every option combination gives the same text and
 * the same structured content with the scan on and off.  Also the classification itself:
 * which spellings are scan-safe. */
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

struct tws {
    char root[256];
    int fd;
    struct nc_policy pol;
    struct nc_tool_env env;
    atomic_bool cancel;
};

static int ws_setup(void **state)
{
    struct tws *w = calloc(1, sizeof(*w));
    char t[] = "/tmp/nc-grepscan-XXXXXX";
    if (w == NULL || mkdtemp(t) == NULL || realpath(t, w->root) == NULL)
        return -1;
    w->fd = open(w->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w->fd < 0)
        return -1;
    nc_policy_top(&w->pol);
    w->env.root_fd = w->fd;
    w->env.root = w->root;
    w->env.policy = &w->pol;
    w->env.cancelled = &w->cancel;
    *state = w;
    nc_grep_set_workers(0);
    nc_grep_set_scan(true);
    return 0;
}

static int ws_teardown(void **state)
{
    struct tws *w = *state;
    close(w->fd);
    (void)nc_test_rm_tree(w->root);
    free(w);
    nc_grep_set_scan(true);
    nc_grep_set_workers(0);
    return 0;
}

static void put_bytes(struct tws *w, const char *rel, const char *data, size_t len)
{
    char p[1024];
    int r = snprintf(p, sizeof(p), "%s/%s", w->root, rel);
    assert_true(r > 0 && (size_t)r < sizeof(p));
    for (char *s = strchr(p + strlen(w->root) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        (void)mkdir(p, 0755);
        *s = '/';
    }
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    close(fd);
}

/* One grep call (plan, decide, exec as the pipeline does); the text and structured content
 * as one string, or NULL when the plan refused the arguments. */
static char *grep(struct tws *w, const char *json)
{
    json_error_t jerr;
    json_t *args = json_loads(json, 0, &jerr);
    struct nc_tool_plan plan;
    struct nc_tool_output out;
    struct nc_err err;
    struct nc_decision dec;
    char *res = NULL;
    if (args == NULL)
        fail_msg("test JSON does not parse: %s: %s", json, jerr.text);
    nc_tool_plan_init(&plan);
    memset(&out, 0, sizeof(out));
    int rc = nc_tool_grep.plan(&w->env, args, &plan, &err);
    json_decref(args);
    if (rc < 0) {
        nc_tool_plan_free(&nc_tool_grep, &plan);
        return NULL;
    }
    struct nc_request r = {.op = plan.op, .root = w->root, .path = plan.path};
    nc_decide(&w->pol, NULL, &r, &dec);
    assert_int_not_equal(dec.verdict, NC_DENY);
    memcpy(plan.decided_path, dec.path, sizeof(plan.decided_path));
    assert_int_equal(nc_tool_grep.exec(&w->env, &plan, &out, &err), 0);
    assert_non_null(out.text);
    char *sj = out.structured != NULL ? json_dumps(out.structured, JSON_SORT_KEYS) : NULL;
    size_t n = strlen(out.text) + (sj != NULL ? strlen(sj) : 0u) + 16u;
    res = malloc(n);
    assert_non_null(res);
    (void)snprintf(res, n, "%s%s\n%s", out.is_error ? "ERROR " : "", out.text,
                   sj != NULL ? sj : "");
    free(sj);
    nc_tool_output_free(&out);
    nc_tool_plan_free(&nc_tool_grep, &plan);
    return res;
}

/* The same call with the scan on and off must give the same answer. */
static void same_both_ways(struct tws *w, const char *json, int *ran)
{
    nc_grep_set_scan(false);
    char *slow = grep(w, json);
    nc_grep_set_scan(true);
    char *fast = grep(w, json);
    if (slow == NULL || fast == NULL) {
        assert_null(slow); /* refused either way */
        assert_null(fast);
        return;
    }
    if (strcmp(slow, fast) != 0)
        fail_msg("scan changes the answer for %s\n--- per line:\n%.2000s\n--- scan:\n%.2000s",
                 json, slow, fast);
    (*ran)++;
    free(slow);
    free(fast);
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

/* Text from a small alphabet, so that the patterns below match often, across line ends too:
 * words, spaces, tabs, CR, UTF-8, an invalid byte, empty lines, a missing last newline. */
static size_t random_text(uint64_t *s, char *buf, size_t cap)
{
    static const char *const atoms[] = {"a", "b", "ab", "ba", "A", "B", " ", "\t", "-", "_",
                                        "1", "x", "\xc3\xa9", "\xc3\x89", "\xff", "\r", "\n",
                                        "\n", "\n", "\n\n", "aab", "b a"};
    size_t len = 0, want = rnd(s) % (cap / 2u);
    while (len < want) {
        const char *a = atoms[rnd(s) % (sizeof(atoms) / sizeof(atoms[0]))];
        size_t n = strlen(a);
        if (len + n >= cap)
            break;
        memcpy(buf + len, a, n);
        len += n;
    }
    if (len > 0 && len < cap && rnd(s) % 4u != 0 && buf[len - 1u] != '\n')
        buf[len++] = '\n';
    return len;
}

/* Patterns as JSON string bodies (backslashes doubled). */
static const char *const patterns[] = {
    /* scan-safe */
    "a", "ab", "b a", "^a", "a$", "^$", "^", "$", "b*", "x?$", "\\\\bab\\\\b", "\\\\Bb", "a.b",
    "[A-Z]1", "[^a]b", "a\\\\sb", "a\\\\s*$", "\\\\s$", "^\\\\s", "a|^b", "(a)\\\\1", "(?i)ab",
    "(?s)a.b", "(?:a|b)x", "(?<n>a)b", "\\\\x{e9}", "\\u00e9", "\\r$", "a\\\\Rb", "a\\\\nb",
    "[\\\\s\\\\S]", "\\\\N", "b\\\\b", "^-", "1$",
    /* with a required literal of 3 bytes or more: found with memmem first */
    "aab", "b ab", "ba b", "\\u00e9\\u00e9", "a_1", "x-a",
    "aab\\\\s", "\\\\baab", "ab a$", "^b ab", "aab+", "aabb?", "[ab]aab", "aab\\\\z",
    "\\\\Aaab", "aab\\\\Kb",
    /* not scan-safe: the scan must stay off, and the answer is the same anyway */
    "a(?=b)", "(?<=a)b", "a(?!b)", "(?<!a)b", "a\\\\z", "\\\\Aa", "a\\\\Z", "a\\\\Kb",
    "(?>a|ab)b", "a*+b", "(?m)^a", "(?-m)a$"};

static void scan_equals_per_line(void **state)
{
    struct tws *w = *state;
    uint64_t s = 0x5eed;
    static char buf[1 << 14];
    int ran = 0;
    for (int round = 0; round < 3; round++) {
        /* a fresh tree each round */
        char name[64];
        for (int f = 0; f < 6; f++) {
            size_t len = random_text(&s, buf, sizeof(buf));
            (void)snprintf(name, sizeof(name), "r%d/f%d.txt", round, f);
            put_bytes(w, name, buf, len);
        }
        put_bytes(w, "r0/empty.txt", "", 0);
        for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
            char json[512];
            int ci = (int)(rnd(&s) % 2u), ctx = (int)(rnd(&s) % 4u);
            int max = rnd(&s) % 3u == 0 ? 1 + (int)(rnd(&s) % 5u) : 5000;
            (void)snprintf(json, sizeof(json),
                           "{\"pattern\":\"%s\",\"path\":\"r%d\",\"case_insensitive\":%s,"
                           "\"context\":%d,\"max_matches\":%d}",
                           patterns[p], round, ci ? "true" : "false", ctx, max);
            nc_grep_set_workers(1 + (unsigned)(rnd(&s) % 3u));
            same_both_ways(w, json, &ran);
        }
    }
    /* most calls ran (the table holds a few patterns the ReDoS screen refuses) */
    assert_true(ran > 100);
}

/* A file larger than the scan's chunk (1 MiB), with matches on both sides of the chunk
 * boundaries and a long line across one; context around them. */
static void scan_chunks(void **state)
{
    struct tws *w = *state;
    size_t cap = (size_t)5 << 19, len = 0, line = 0;
    char *big = malloc(cap);
    int ran = 0;
    assert_non_null(big);
    while (len + 200u < cap) {
        int n;
        if (line % 9973u == 0)
            n = snprintf(big + len, cap - len, "needle %zu here\n", line);
        else if (line == 40000u) {
            /* one line of 300 KiB */
            memset(big + len, 'q', 300u << 10);
            len += 300u << 10;
            n = snprintf(big + len, cap - len, " needle tail\n");
        } else
            n = snprintf(big + len, cap - len, "hay %zu hay hay\n", line);
        len += (size_t)n;
        line++;
    }
    put_bytes(w, "big/a.txt", big, len);
    free(big);
    static const char *const q[] = {
        "{\"pattern\":\"needle\",\"path\":\"big\",\"max_matches\":5000}",
        "{\"pattern\":\"needle\",\"path\":\"big\",\"context\":2,\"max_matches\":5000}",
        "{\"pattern\":\"^needle [0-9]+ here$\",\"path\":\"big\",\"context\":1}",
        "{\"pattern\":\"tail$\",\"path\":\"big\",\"context\":3}",
        "{\"pattern\":\"needle\",\"path\":\"big\",\"context\":3,\"max_matches\":4}",
        "{\"pattern\":\"hay 1000\\\\d\\\\b\",\"path\":\"big\",\"context\":10}",
        "{\"pattern\":\"NEEDLE\",\"path\":\"big\",\"case_insensitive\":true}",
        "{\"pattern\":\"nothing\",\"path\":\"big\"}",
    };
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        same_both_ways(w, q[i], &ran);
    assert_int_equal(ran, (int)(sizeof(q) / sizeof(q[0])));
}

/* The literal read off a pattern's spelling: only what every match contains. */
static void required_literals(void **state)
{
    (void)state;
    static const struct {
        const char *pat;
        bool caseless;
        const char *lit;
    } cases[] = {
        {"ioctl", false, "ioctl"},
        {"\\b[A-Z]+_MAX_[A-Z]+\\b", false, "_MAX_"},
        {"ab*c", false, "a"},
        {"abc+d", false, "abc"},
        {"abcd?", false, "abc"},
        {"abcd*?e", false, "abc"},
        {"ab{2}cd", false, "cd"},
        {"abc{2,}", false, "ab"},
        {"a{b", false, "a{b"},
        {"x(abc)yz", false, "yz"},
        {"x(a|b(c)d)+yz", false, "yz"},
        {"a\\.b", false, "a.b"},
        {"\xc3\xa9+x", false, "\xc3\xa9"},
        {"[abc]def", false, "def"},
        {"a[]x]bcd", false, "bcd"},
        {"a[[:alpha:]]bcd", false, "bcd"},
        {"\\d+foo\\s", false, "foo"},
        {"^foo$", false, "foo"},
        {"foo.bar", false, "foo"},
        {"foo bar", false, "foo bar"},
        {"foo|bar", false, ""},
        {"(foo)|bar", false, ""},
        {"(?i)foo", false, ""},
        {"fo(?=o)", false, ""},
        {"foo", true, ""},
        {"\\x{41}bc", false, ""},
        {"\\cAbc", false, ""},
        {"a\\1bc", false, ""},
        {"\\p{Lu}bc", false, ""},
        {"\\Qabc\\E", false, ""},
        {"(*UTF)abc", false, ""},
        {"x*", false, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        size_t n = nc_grep_required_literal(cases[i].pat, strlen(cases[i].pat), cases[i].caseless,
                                            out, sizeof(out));
        if (n != strlen(cases[i].lit) || memcmp(out, cases[i].lit, n) != 0)
            fail_msg("'%s': literal '%.*s', expected '%s'", cases[i].pat, (int)n, out,
                     cases[i].lit);
    }
    /* a long literal: its first 64 bytes */
    char longp[200], out[64];
    memset(longp, 'z', sizeof(longp) - 3u);
    memcpy(longp + sizeof(longp) - 3u, "y*", 3);
    assert_int_equal(nc_grep_required_literal(longp, strlen(longp), false, out, sizeof(out)), 64);
    assert_int_equal(out[63], 'z');
}

/* What the scan may be used for, by spelling. */
static void scan_safety(void **state)
{
    (void)state;
    static const char *const safe[] = {
        "needle", "^a$", "\\bword\\b", "[A-Z]{4}-[0-9]{4}", "a\\sb", "(?:x|y)+", "(?i)abc",
        "(?-i:abc)", "(?s).", "(?<name>x)", "(?P<name>x)", "(?'n'x)", "(a)\\1", "\\++",
        "\\(?=", "x{2}", "a+b", "a?b", "\\\\A"};
    static const char *const unsafe[] = {
        "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "\\Aa", "a\\z", "a\\Z", "\\Ga", "a\\Kb",
        "(?>ab)", "a++", "a*+", "a?+", "a{2}+", "(*UTF)a", "(*positive_lookahead:a)",
        "(?m)^a", "(?^)a", "(?x)a b", "(?|a|b)", "(?#c)a", "(?R)", "(?1)", "(?(1)a|b)",
        "(?C1)", "(?"};
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
        if (!nc_grep_scan_safe(safe[i], strlen(safe[i])))
            fail_msg("'%s' should be scan-safe", safe[i]);
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
        if (nc_grep_scan_safe(unsafe[i], strlen(unsafe[i])))
            fail_msg("'%s' must not be scan-safe", unsafe[i]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ws_setup, ws_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scan_safety),
        cmocka_unit_test(required_literals),
        T(scan_equals_per_line),
        T(scan_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
