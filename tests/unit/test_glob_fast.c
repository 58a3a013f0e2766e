/* SPDX-License-Identifier: Apache-2.0 */
/* The prepared glob matcher (nc_glob_prepare and friends in src/core/glob.h) against the
 * reference nc_glob_match: the same answers over random patterns and paths, the name-only test
 * equivalent to the full one for a walk that stops at matches, and the pruning predicate sound.
 * Fixed-seed PRNG; the seed is printed and NC_SEED=<number> reproduces or widens a run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/glob.h"
#include "core/policy.h"
#include "core/profiles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 0x91b0fa57c0ffee11u;
static uint64_t rs;

static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static size_t pick(size_t n)
{
    return (size_t)(rnd() % n);
}

/* Components over a small alphabet, so that random patterns and paths often meet. */
static void rand_path_comp(char *out, size_t outsz)
{
    static const char *const parts[] = {"a", "b", ".", "ab", "ba", "x.pem", ".env", "env"};
    size_t n = 1 + pick(3), o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = parts[pick(sizeof(parts) / sizeof(parts[0]))];
        size_t l = strlen(p);
        if (o + l + 1 >= outsz)
            break;
        memcpy(out + o, p, l);
        o += l;
    }
    out[o] = '\0';
    if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, outsz, "a.");
}

static void rand_pat_comp(char *out, size_t outsz)
{
    static const char *const parts[] = {"a", "b", ".", "*", "?", "ab", ".env", "pem", "**", "x"};
    if (pick(6) == 0) {
        snprintf(out, outsz, "**");
        return;
    }
    size_t n = 1 + pick(3), o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = parts[pick(sizeof(parts) / sizeof(parts[0]))];
        size_t l = strlen(p);
        if (o + l + 1 >= outsz)
            break;
        memcpy(out + o, p, l);
        o += l;
    }
    out[o] = '\0';
}

/* comps components joined by '/'. */
static void rand_joined(char *out, size_t outsz, size_t comps, void (*gen)(char *, size_t))
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < comps; i++) {
        char c[32];
        gen(c, sizeof(c));
        int w = snprintf(out + o, outsz - o, "%s%s", i > 0 ? "/" : "", c);
        if (w < 0 || (size_t)w >= outsz - o)
            break;
        o += (size_t)w;
    }
}

#define ROUNDS 20000

static void prepared_match_equals_reference(void **state)
{
    (void)state;
    rs = seed;
    size_t valid = 0, matched = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char pat[128], path[128];
        struct nc_glob_prep g;
        rand_joined(pat, sizeof(pat), 1 + pick(3), rand_pat_comp);
        rand_joined(path, sizeof(path), 1 + pick(5), rand_path_comp);
        if (pick(50) == 0)
            snprintf(path, sizeof(path), ".");
        const char *why = nc_glob_prepare(pat, &g);
        const char *ref = nc_glob_check(pat);
        if ((why == NULL) != (ref == NULL) || (why != NULL && strcmp(why, ref) != 0))
            fail_msg("pattern '%s': prepare says '%s', check says '%s'", pat, why ? why : "ok",
                     ref ? ref : "ok");
        if (why != NULL)
            continue;
        valid++;
        bool a = nc_glob_prep_match(&g, path), b = nc_glob_match(pat, path);
        if (a != b)
            fail_msg("pattern '%s' path '%s': prepared %d, reference %d", pat, path, a, b);
        matched += b;
    }
    /* the generator must exercise both answers, or the test proves nothing */
    printf("# %zu valid patterns, %zu matches\n", valid, matched);
    assert_true(valid > ROUNDS / 4);
    assert_true(matched > valid / 20 && matched < valid - valid / 20);
}

/* A walk that tests each entry by name only, and does not descend below a match, sees the
 * same matches as nc_glob_match on the full path (for unanchored patterns). */
static void name_test_equals_full_test_in_a_walk(void **state)
{
    (void)state;
    rs = seed ^ 0x1234;
    size_t checked = 0, hits = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char pat[32], path[128];
        struct nc_glob_prep g;
        rand_pat_comp(pat, sizeof(pat));
        if (nc_glob_prepare(pat, &g) != NULL)
            continue;
        assert_true(g.unanchored);
        rand_joined(path, sizeof(path), 1 + pick(5), rand_path_comp);
        /* walk the components; stop at the first that matches by name */
        bool walk = false;
        size_t i = 0, n = strlen(path);
        while (i < n && !walk) {
            size_t e = i;
            while (e < n && path[e] != '/')
                e++;
            walk = nc_glob_prep_match_name(&g, path + i, e - i);
            i = e + 1;
        }
        bool ref = nc_glob_match(pat, path);
        if (walk != ref)
            fail_msg("pattern '%s' path '%s': by names %d, reference %d", pat, path, walk, ref);
        checked++;
        hits += ref;
    }
    printf("# %zu unanchored checks, %zu matches\n", checked, hits);
    assert_true(checked > ROUNDS / 4 && hits > checked / 20 && hits < checked - checked / 20);
}

static void name_test_is_false_for_anchored(void **state)
{
    struct nc_glob_prep g;
    (void)state;
    assert_null(nc_glob_prepare("a/b", &g));
    assert_false(nc_glob_prep_match_name(&g, "b", 1));
    assert_null(nc_glob_prepare("**/.git/hooks", &g));
    assert_false(nc_glob_prep_match_name(&g, "hooks", 5));
}

/* Pruning is sound: when nothing beneath dir can match, no random descendant matches. */
static void may_match_below_is_sound(void **state)
{
    (void)state;
    rs = seed ^ 0x5678;
    size_t pruned = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char pat[128], dir[128], path[256], rest[128];
        struct nc_glob_prep g;
        rand_joined(pat, sizeof(pat), 1 + pick(4), rand_pat_comp);
        if (nc_glob_prepare(pat, &g) != NULL)
            continue;
        rand_joined(dir, sizeof(dir), 1 + pick(3), rand_path_comp);
        if (nc_glob_prep_may_match_below(&g, dir))
            continue;
        pruned++;
        for (int k = 0; k < 8; k++) {
            rand_joined(rest, sizeof(rest), 1 + pick(3), rand_path_comp);
            snprintf(path, sizeof(path), "%s/%s", dir, rest);
            if (nc_glob_match(pat, path))
                fail_msg("pattern '%s' pruned below '%s' but matches '%s'", pat, dir, path);
        }
    }
    printf("# %zu pruned directories checked\n", pruned);
    assert_true(pruned > 100);
}

static void may_match_below_cases(void **state)
{
    struct nc_glob_prep g;
    (void)state;
    assert_null(nc_glob_prepare("config/secrets.yaml", &g));
    assert_true(nc_glob_prep_may_match_below(&g, "config"));
    assert_false(nc_glob_prep_may_match_below(&g, "src"));
    assert_false(nc_glob_prep_may_match_below(&g, "src/config"));
    assert_true(nc_glob_prep_may_match_below(&g, "config/secrets.yaml")); /* all beneath match */
    assert_null(nc_glob_prepare("**/.git/hooks", &g));
    assert_true(nc_glob_prep_may_match_below(&g, "vendor/lib"));
    assert_null(nc_glob_prepare("src/**/key", &g));
    assert_true(nc_glob_prep_may_match_below(&g, "src/a/b"));
    assert_false(nc_glob_prep_may_match_below(&g, "lib/a"));
    assert_null(nc_glob_prepare("*.pem", &g));
    assert_true(nc_glob_prep_may_match_below(&g, "anything"));
}

/* The patterns the built-in profiles mask and protect, on names a repository has. */
static void profile_patterns_by_name(void **state)
{
    static struct nc_policy p;
    static const char *const names[] = {
        ".env", ".env.local", ".envrc", "env", "server.pem", "pem", ".pem", "id_rsa",
        "id_rsa.pub", "id_ed25519", "my_id_rsa", "credentials", "credentials.json",
        "credentials.jsonx", ".ssh", ".sshx", "secrets", "secret", "main.c", "a.key", ".key",
        "key", ".git", "hooks", "config", ".bashrc", ".vscode", "x.p12", "x.P12", "",
    };
    (void)state;
    assert_int_equal(nc_profile_load("local-dev", &p), 0);
    const struct nc_list *lists[] = {&p.paths_deny, &p.paths_readonly};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < lists[l]->count; i++) {
            const char *pat = nc_list_item(lists[l], i);
            struct nc_glob_prep g;
            assert_null(nc_glob_prepare(pat, &g));
            for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
                char path[64];
                size_t nl = strlen(names[k]);
                if (nl == 0)
                    continue;
                snprintf(path, sizeof(path), "a/%s", names[k]);
                bool ref = nc_glob_match(pat, path);
                if (g.unanchored && nc_glob_prep_match_name(&g, names[k], nl) != ref)
                    fail_msg("'%s' on '%s'", pat, names[k]);
                if (nc_glob_prep_match(&g, path) != ref)
                    fail_msg("'%s' on '%s' (full)", pat, path);
            }
        }
    }
}

int main(void)
{
    const char *env = getenv("NC_SEED");
    if (env != NULL)
        seed = strtoull(env, NULL, 0);
    if (seed == 0)
        seed = 1;
    printf("# glob seed %llu; reproduce with NC_SEED=%llu\n", (unsigned long long)seed,
           (unsigned long long)seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prepared_match_equals_reference),
        cmocka_unit_test(name_test_equals_full_test_in_a_walk),
        cmocka_unit_test(name_test_is_false_for_anchored),
        cmocka_unit_test(may_match_below_is_sound),
        cmocka_unit_test(may_match_below_cases),
        cmocka_unit_test(profile_patterns_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
