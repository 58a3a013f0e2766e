/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the .gitignore parser and matcher (src/proxy/gitignore.h): the rules of
 * gitignore(5) case by case, the limits, hostile patterns, and a differential test against
 * `git check-ignore` itself on random patterns (seed printed; NC_SEED=<n> replays). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/gitignore.h"
#include "rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct nc_gitignore *parse(const char *text)
{
    struct nc_err err;
    struct nc_gitignore *g = nc_gitignore_parse(text, strlen(text), &err);
    assert_non_null(g);
    return g;
}

/* The verdict the grep walker reaches: a directory on the way that is ignored hides
 * everything beneath it (git does not descend), otherwise the path itself decides. */
static bool walker_ignores(const struct nc_gitignore *g, const char *path, bool is_dir)
{
    size_t n = strlen(path);
    for (size_t k = 1; k < n; k++)
        if (path[k] == '/' && nc_gitignore_match(g, path, k, true) == NC_GITIGNORE_IGNORED)
            return true;
    return nc_gitignore_match(g, path, n, is_dir) == NC_GITIGNORE_IGNORED;
}

struct want {
    const char *path;
    bool is_dir;
    enum nc_gitignore_verdict v;
};

static void check_all(const char *text, const struct want *w, size_t n)
{
    struct nc_gitignore *g = parse(text);
    for (size_t i = 0; i < n; i++) {
        enum nc_gitignore_verdict got =
            nc_gitignore_match(g, w[i].path, strlen(w[i].path), w[i].is_dir);
        if (got != w[i].v)
            fail_msg("patterns %s: '%s'%s gave %d, want %d", text, w[i].path,
                     w[i].is_dir ? " (dir)" : "", (int)got, (int)w[i].v);
    }
    nc_gitignore_free(g);
}

#define CHECK(text, ...)                                                                      \
    do {                                                                                      \
        const struct want w_[] = {__VA_ARGS__};                                               \
        check_all(text, w_, sizeof(w_) / sizeof(w_[0]));                                      \
    } while (0)
#define IGN NC_GITIGNORE_IGNORED
#define KEEP NC_GITIGNORE_KEPT
#define NONE NC_GITIGNORE_NONE

static void comments_blanks_spaces(void **state)
{
    (void)state;
    struct nc_gitignore *g = parse("# a comment\n\n   \n\\#hash\nfoo  \nbar\\ \n");
    assert_int_equal(nc_gitignore_count(g), 3);
    nc_gitignore_free(g);
    CHECK("# a comment\n\\#hash\nfoo  \nbar\\ \n", {"# a comment", false, NONE},
          {"#hash", false, IGN}, {"foo", false, IGN}, {"foo  ", false, NONE},
          {"bar ", false, IGN}, {"bar", false, NONE});
    /* CRLF files and a byte order mark */
    CHECK("\xef\xbb\xbf" "first\r\nsecond\r\n", {"first", false, IGN}, {"second", false, IGN});
    /* no trailing newline */
    CHECK("last", {"last", false, IGN});
}

static void negation_and_order(void **state)
{
    (void)state;
    CHECK("*.o\n!keep.o\n", {"a.o", false, IGN}, {"keep.o", false, KEEP},
          {"d/keep.o", false, KEEP}, {"a.c", false, NONE});
    /* the last match wins */
    CHECK("!keep.o\n*.o\n", {"keep.o", false, IGN});
    CHECK("\\!bang\n", {"!bang", false, IGN}, {"bang", false, NONE});
    CHECK("!\n", {"!", false, NONE});
}

static void anchoring(void **state)
{
    (void)state;
    /* no slash: any depth, matched against the last component */
    CHECK("foo\n", {"foo", false, IGN}, {"a/foo", false, IGN}, {"a/b/foo", true, IGN},
          {"foo/bar", false, NONE}, {"afoo", false, NONE});
    /* leading slash: only at this level */
    CHECK("/foo\n", {"foo", false, IGN}, {"a/foo", false, NONE});
    /* a middle slash anchors too */
    CHECK("doc/frotz\n", {"doc/frotz", false, IGN}, {"a/doc/frotz", false, NONE});
    CHECK("doc/*.txt\n", {"doc/a.txt", false, IGN}, {"doc/x/a.txt", false, NONE});
}

static void directories_only(void **state)
{
    (void)state;
    CHECK("build/\n", {"build", true, IGN}, {"build", false, NONE}, {"a/build", true, IGN});
    CHECK("/out/\n", {"out", true, IGN}, {"a/out", true, NONE});
    CHECK("frotz/\n", {"frotz", true, IGN}, {"a/frotz", true, IGN});
}

static void stars(void **state)
{
    (void)state;
    CHECK("*.c\n", {"a.c", false, IGN}, {".c", false, IGN}, {"x/y.c", false, IGN},
          {"a.cc", false, NONE});
    CHECK("a/*/c\n", {"a/b/c", false, IGN}, {"a/b/x/c", false, NONE}, {"a//c", false, IGN});
    CHECK("a?c\n", {"abc", false, IGN}, {"ac", false, NONE}, {"a/c", false, NONE});
    /* "**" components */
    CHECK("**/foo\n", {"foo", false, IGN}, {"a/b/foo", false, IGN}, {"a/foox", false, NONE});
    CHECK("**/foo/bar\n", {"foo/bar", false, IGN}, {"x/foo/bar", false, IGN},
          {"foo/x/bar", false, NONE});
    CHECK("abc/**\n", {"abc/x", false, IGN}, {"abc/x/y", false, IGN}, {"abc", true, NONE});
    CHECK("a/**/b\n", {"a/b", false, IGN}, {"a/x/b", false, IGN}, {"a/x/y/b", false, IGN},
          {"a/xb", false, NONE});
    /* stars that are not a whole component are one star */
    CHECK("a**b\n", {"ab", false, IGN}, {"axxb", false, IGN}, {"a/b", false, NONE});
    /* git strips an anchored pattern's literal prefix before matching, so stars right after
     * it count as a whole component (checked against git by same_as_git) */
    CHECK("/a**/b\n", {"ax/b", false, IGN}, {"a/x/b", false, IGN}, {"a/b", false, IGN});
    CHECK("/x*a**/b\n", {"xqa/b", false, IGN}, {"xa/q/b", false, NONE});
    CHECK("/a**\\/b\n", {"a/x/b", false, IGN}, {"ab", false, NONE});
    CHECK("**\n", {"anything", false, IGN}, {"a/b", false, IGN});
    CHECK("***/x\n", {"x", false, IGN}, {"a/b/x", false, IGN});
}

static void classes_and_escapes(void **state)
{
    (void)state;
    CHECK("[ab].txt\n", {"a.txt", false, IGN}, {"b.txt", false, IGN}, {"c.txt", false, NONE});
    CHECK("[!ab].txt\n", {"c.txt", false, IGN}, {"a.txt", false, NONE});
    CHECK("[^ab].txt\n", {"c.txt", false, IGN}, {"a.txt", false, NONE});
    CHECK("x[a-c]y\n", {"xby", false, IGN}, {"xdy", false, NONE});
    CHECK("x[a-]y\n", {"x-y", false, IGN}, {"xay", false, IGN}, {"xby", false, NONE});
    CHECK("[]]\n", {"]", false, IGN});
    CHECK("[[:digit:]]*\n", {"1abc", false, IGN}, {"abc", false, NONE});
    CHECK("[[:upper:][:digit:]]\n", {"Q", false, IGN}, {"7", false, IGN}, {"q", false, NONE});
    CHECK("[\\]]x\n", {"]x", false, IGN});
    CHECK("\\*star\n", {"*star", false, IGN}, {"xstar", false, NONE});
    CHECK("q\\?\n", {"q?", false, IGN}, {"qx", false, NONE});
    /* a class never matches '/' */
    CHECK("a[/]b\n", {"a/b", false, NONE});
    CHECK("a[!x]b\n", {"a/b", false, NONE}, {"ayb", false, IGN});
}

static void broken_patterns_match_nothing(void **state)
{
    (void)state;
    struct nc_gitignore *g = parse("[abc\nx\\\n[[:nope:]]\nok\n");
    assert_int_equal(nc_gitignore_count(g), 1);
    assert_int_equal(nc_gitignore_match(g, "[abc", 4, false), NONE);
    assert_int_equal(nc_gitignore_match(g, "ok", 2, false), IGN);
    nc_gitignore_free(g);
}

static void limits(void **state)
{
    (void)state;
    struct nc_err err;
    /* a line longer than NC_GITIGNORE_MAX_LINE is skipped, the rest is kept */
    size_t n = NC_GITIGNORE_MAX_LINE + 100u;
    char *buf = malloc(n + 16u);
    assert_non_null(buf);
    memset(buf, 'a', n);
    memcpy(buf + n, "\nkept\n", 7);
    struct nc_gitignore *g = nc_gitignore_parse(buf, strlen(buf), &err);
    assert_non_null(g);
    assert_int_equal(nc_gitignore_count(g), 1);
    nc_gitignore_free(g);
    free(buf);
    /* at most NC_GITIGNORE_MAX_PATTERNS patterns */
    size_t lines = NC_GITIGNORE_MAX_PATTERNS + 50u;
    buf = malloc(lines * 2u + 1u);
    assert_non_null(buf);
    for (size_t i = 0; i < lines; i++) {
        buf[2 * i] = 'x';
        buf[2 * i + 1] = '\n';
    }
    buf[lines * 2u] = '\0';
    g = nc_gitignore_parse(buf, lines * 2u, &err);
    assert_non_null(g);
    assert_int_equal(nc_gitignore_count(g), NC_GITIGNORE_MAX_PATTERNS);
    nc_gitignore_free(g);
    free(buf);
    /* NUL bytes are just bytes (they never match a path) */
    g = nc_gitignore_parse("a\0b\nc\n", 6, &err);
    assert_non_null(g);
    assert_int_equal(nc_gitignore_count(g), 2);
    assert_int_equal(nc_gitignore_match(g, "c", 1, false), IGN);
    nc_gitignore_free(g);
}

static void hostile_patterns_are_linear(void **state)
{
    (void)state;
    /* A backtracking matcher takes exponential time here; the automaton does not. */
    char pat[4200], name[4096];
    size_t p = 0;
    for (int i = 0; i < 2000; i++) {
        pat[p++] = '*';
        pat[p++] = 'a';
    }
    pat[p++] = 'b';
    pat[p++] = '\n';
    pat[p] = '\0';
    memset(name, 'a', sizeof(name) - 1u);
    name[sizeof(name) - 1u] = '\0';
    struct nc_gitignore *g = parse(pat);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(nc_gitignore_match(g, name, strlen(name), false), NONE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs < 5.0); /* ~4000 x 4000 steps: well under a second without sanitizers */
    nc_gitignore_free(g);
    CHECK("**/**/**/**/**/**/**/**/**/**/x\n", {"a/b/c/d/e/f/g/h/i/j/k/l/y", false, NONE},
          {"a/b/c/x", false, IGN});
}

/* ---- differential: against git check-ignore ------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static const char *pick(const char *const *v, size_t n)
{
    return v[rng() % n];
}

static void random_pattern(char *out, size_t outsz)
{
    static const char *const atoms[] = {"a", "b", "ab", "*", "?", "/", "**", "**/", "/**",
                                        "[ab]", "[!a]", "[a-b]", ".", "\\*", "x", "a*", "*b", "\\/", "[[:alpha:]]", " "};
    size_t n = 1 + rng() % 4;
    out[0] = '\0';
    if (rng() % 5 == 0)
        strcat(out, "!");
    for (size_t i = 0; i < n; i++) {
        const char *a = pick(atoms, sizeof(atoms) / sizeof(atoms[0]));
        if (strlen(out) + strlen(a) + 2 < outsz)
            strcat(out, a);
    }
    if (rng() % 6 == 0 && strlen(out) + 2 < outsz)
        strcat(out, "/");
}

static void random_path(char *out, size_t outsz)
{
    static const char *const names[] = {"a", "b", "ab", "ba", "x", "a.b", "aa", "xb", "bab"};
    size_t n = 1 + rng() % 4;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, "/");
        const char *s = pick(names, sizeof(names) / sizeof(names[0]));
        if (strlen(out) + strlen(s) + 2 < outsz)
            strcat(out, s);
    }
}

/* Runs git -C dir ARGS with stdout to `out` (or /dev/null). */
static int run_git(const char *dir, const char *out, const char *const *args, size_t nargs)
{
    const char *argv[16];
    size_t k = 0;
    argv[k++] = "git";
    argv[k++] = "-C";
    argv[k++] = dir;
    argv[k++] = "-c";
    argv[k++] = "core.ignorecase=false";
    for (size_t i = 0; i < nargs && k < 15; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int o = out != NULL ? open(out, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600)
                            : open("/dev/null", O_WRONLY | O_CLOEXEC);
        int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (o < 0 || dn < 0 || dup2(dn, 0) < 0 || dup2(o, 1) < 0 || dup2(dn, 2) < 0)
            _exit(127);
        execvp("git", (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static int rm_not_git(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    if (f->level == 0 || strstr(p, "/.git") != NULL)
        return 0;
    return remove(p);
}

static bool in_list(const char *list, size_t n, const char *path)
{
    for (size_t pos = 0; pos < n; pos += strlen(list + pos) + 1u)
        if (strcmp(list + pos, path) == 0)
            return true;
    return false;
}

/* git's answer for a file: listed as ignored itself, or beneath a directory listed as
 * ignored ("d/"), in `git status --ignored=matching -uall -z` output (entries "!! path"). */
static bool git_ignores(const char *ign, size_t n, const char *path)
{
    char d[128];
    if (in_list(ign, n, path))
        return true;
    for (size_t k = 1; path[k] != '\0'; k++) {
        if (path[k] != '/')
            continue;
        (void)snprintf(d, sizeof(d), "%.*s/", (int)k, path);
        if (in_list(ign, n, d))
            return true;
    }
    return false;
}

static void same_as_git(void **state)
{
    (void)state;
    char dir[] = "/tmp/nc-gitignore-XXXXXX", gi[128], out[128];
    const char *seed_env = getenv("NC_SEED");
    uint64_t seed = seed_env != NULL ? strtoull(seed_env, NULL, 10) : (uint64_t)time(NULL);
    int rounds = 40, paths_per = 24, compared = 0;
    static const char *const init[] = {"init", "-q"};
    static const char *const status[] = {"status", "--porcelain=v1", "-z", "--ignored=matching",
                                         "-uall"};

    if (access("/usr/bin/git", X_OK) != 0) {
        print_message("# git is not installed: differential test not run\n");
        skip();
    }
    print_message("# seed %llu (NC_SEED=%llu replays)\n", (unsigned long long)seed,
                  (unsigned long long)seed);
    rng_state = seed != 0 ? seed : 1u;
    assert_non_null(mkdtemp(dir));
    if (run_git(dir, NULL, init, 2) != 0) {
        (void)nc_test_rm_tree(dir);
        print_message("# git init failed: differential test not run\n");
        skip();
    }
    (void)snprintf(gi, sizeof(gi), "%s/.gitignore", dir);
    (void)snprintf(out, sizeof(out), "%s.out", dir);
    for (int r = 0; r < rounds; r++) {
        char text[1024] = "", paths[32][64];
        bool is_dir[32];
        size_t tl = 0;
        int np = 1 + (int)(rng() % 4);
        for (int k = 0; k < np; k++) {
            char p[64];
            random_pattern(p, sizeof(p));
            tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s\n", p);
        }
        (void)nftw(dir, rm_not_git, 8, FTW_DEPTH | FTW_PHYS);
        FILE *f = fopen(gi, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        /* A path that is a parent of another is a directory; the others are files. */
        for (int k = 0; k < paths_per; k++)
            random_path(paths[k], sizeof(paths[k]));
        for (int k = 0; k < paths_per; k++) {
            size_t l = strlen(paths[k]);
            is_dir[k] = false;
            for (int j = 0; j < paths_per; j++)
                if (strncmp(paths[j], paths[k], l) == 0 && paths[j][l] == '/')
                    is_dir[k] = true;
        }
        for (int k = 0; k < paths_per; k++) {
            char full[4200];
            for (size_t c = 0; paths[k][c] != '\0'; c++)
                if (paths[k][c] == '/') {
                    (void)snprintf(full, sizeof(full), "%s/%.*s", dir, (int)c, paths[k]);
                    (void)mkdir(full, 0755);
                }
            (void)snprintf(full, sizeof(full), "%s/%s", dir, paths[k]);
            if (is_dir[k]) {
                (void)mkdir(full, 0755);
            } else {
                int fd = open(full, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                assert_true(fd >= 0);
                close(fd);
            }
        }
        int rc = run_git(dir, out, status, sizeof(status) / sizeof(status[0]));
        if (rc == 127) {
            print_message("# git status could not run: differential test not run\n");
            skip();
        }
        assert_int_equal(rc, 0);
        /* Keep the "!! " entries, as a list of NUL-terminated paths. */
        f = fopen(out, "r");
        assert_non_null(f);
        char buf[65536], ign[65536];
        size_t n = fread(buf, 1, sizeof(buf) - 1u, f), in = 0;
        fclose(f);
        buf[n] = '\0';
        for (size_t pos = 0; pos < n; pos += strlen(buf + pos) + 1u)
            if (strncmp(buf + pos, "!! ", 3) == 0) {
                size_t l = strlen(buf + pos + 3) + 1u;
                memcpy(ign + in, buf + pos + 3, l);
                in += l;
            }
        struct nc_gitignore *g = parse(text);
        for (int k = 0; k < paths_per; k++) {
            if (is_dir[k])
                continue;
            bool want = git_ignores(ign, in, paths[k]);
            bool ours = walker_ignores(g, paths[k], false);
            if (want != ours) {
                nc_gitignore_free(g);
                fail_msg("seed %llu: patterns:\n%sfile '%s': git says %s, we say %s",
                         (unsigned long long)seed, text, paths[k],
                         want ? "ignored" : "not ignored", ours ? "ignored" : "not ignored");
            }
            compared++;
        }
        nc_gitignore_free(g);
    }
    print_message("# %d files compared with git status --ignored\n", compared);
    unlink(out);
    (void)nc_test_rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(comments_blanks_spaces),
        cmocka_unit_test(negation_and_order),
        cmocka_unit_test(anchoring),
        cmocka_unit_test(directories_only),
        cmocka_unit_test(stars),
        cmocka_unit_test(classes_and_escapes),
        cmocka_unit_test(broken_patterns_match_nothing),
        cmocka_unit_test(limits),
        cmocka_unit_test(hostile_patterns_are_linear),
        cmocka_unit_test(same_as_git),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
