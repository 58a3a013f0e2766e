/* SPDX-License-Identifier: Apache-2.0 */
/* Error sanitization: the specification's examples, component boundaries, token starts,
 * truncation, and properties over random messages (no host path survives, output bounded and
 * NUL-terminated, truncation gives a prefix, a second pass leaves no host path either). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/sanitize.h"

#define ROOT "/var/sandbox/abc123"
#define HOME "/home/user"

/* ---- an independent checker of the output invariants ---- */

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool glues(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '~' || c == '/';
}

static bool path_byte(unsigned char c)
{
    return is_alnum(c) || c >= 0x80u || strchr("/._-+@%~", c) != NULL;
}

static bool after_marker(const char *s, size_t i)
{
    return (i >= 9 && memcmp(s + i - 9, "[sandbox]", 9) == 0) ||
           (i >= 6 && memcmp(s + i - 6, "[home]", 6) == 0);
}

/* Every '/' that starts a token in out is either inside a [sandbox]/[home] tail or a bare
 * run of slashes.  So no absolute host path, and in particular no root or home, survives. */
static void assert_no_host_path(const char *out)
{
    for (size_t i = 0; out[i] != '\0'; i++) {
        if (out[i] != '/' || (i > 0 && glues((unsigned char)out[i - 1])))
            continue;
        size_t e = i;
        while (out[e] != '\0' && path_byte((unsigned char)out[e]))
            e++;
        if (after_marker(out, i)) {
            i = e - 1;
            continue;
        }
        for (size_t k = i; k < e; k++) {
            if (out[k] != '/') {
                print_error("host path survives at %zu in '%s'\n", i, out);
                fail();
            }
        }
        i = e - 1;
    }
}

static size_t san(const char *msg, const char *root, const char *home, char *out, size_t outsz)
{
    return nc_sanitize(msg, root, home, out, outsz);
}

/* Sanitizes msg and checks the result, the return value and the invariant, also after a
 * second pass (which may differ: the function is deliberately not idempotent). */
static void check(const char *msg, const char *root, const char *home, const char *want)
{
    char out[1024], again[1024];
    size_t n = san(msg, root, home, out, sizeof(out));
    if (strcmp(out, want) != 0) {
        print_error("sanitize('%s') = '%s', expected '%s'\n", msg, out, want);
        fail();
    }
    assert_int_equal(n, strlen(want));
    assert_no_host_path(out);
    size_t n2 = san(out, root, home, again, sizeof(again));
    assert_int_equal(n2, strlen(again));
    assert_no_host_path(again);
}

#define CASE(name, msg, root, home, want)                                                    \
    static void name(void **state)                                                          \
    {                                                                                       \
        (void)state;                                                                        \
        check(msg, root, home, want);                                                       \
    }

/* ---- the specification's three examples ---- */
CASE(spec_sandbox, "/var/sandbox/abc123/secrets/token.txt", ROOT, HOME,
     "[sandbox]/secrets/token.txt")
CASE(spec_home, "/home/user/.config/credentials", ROOT, HOME, "[home]/.config/credentials")
CASE(spec_other, "/etc/passwd", ROOT, HOME, "[path]")

/* ---- a marker glued to a host path does not launder it ---- */
CASE(glued_home_marker, "x[home]/etc/passwd", ROOT, HOME, "x[home][path]")
CASE(glued_sandbox_marker, "[sandbox]/root/.ssh/id_rsa", ROOT, HOME, "[sandbox][path]")

/* ---- component boundaries ---- */
CASE(root_alone, "/var/sb", "/var/sb", NULL, "[sandbox]")
CASE(root_child, "/var/sb/x", "/var/sb", NULL, "[sandbox]/x")
CASE(root_prefix_sharing, "/var/sbx/f", "/var/sb", NULL, "[path]")
CASE(root_prefix_sharing_alone, "/var/sbx", "/var/sb", NULL, "[path]")
CASE(root_shorter_path, "/var/s", "/var/sb", NULL, "[path]")
CASE(root_parent, "/var", "/var/sb", NULL, "[path]")
CASE(root_then_colon, "open /var/sb: denied", "/var/sb", NULL, "open [sandbox]: denied")
CASE(root_then_dot_is_other, "in /var/sb.", "/var/sb", NULL, "in [path]")
CASE(root_trailing_slash_child, "/var/sb/", "/var/sb", NULL, "[sandbox]/")
CASE(root_double_slash_child, "/var/sb//x", "/var/sb", NULL, "[sandbox]//x")
CASE(root_given_with_slash, "/var/sb/x and /var/sb", "/var/sb/", NULL,
     "[sandbox]/x and [sandbox]")
CASE(root_given_with_slashes, "/var/sb/x", "/var/sb///", NULL, "[sandbox]/x")
CASE(root_given_with_slash_prefix_sharing, "/var/sbx", "/var/sb/", NULL, "[path]")
CASE(root_tail_kept_as_is, "/var/sb/a/../../etc", "/var/sb", NULL, "[sandbox]/a/../../etc")
CASE(root_in_tail, "/var/sb/var/sb/x", "/var/sb", NULL, "[sandbox]/var/sb/x")
CASE(home_alone, "/home/u", NULL, "/home/u", "[home]")
CASE(home_child, "/home/u/.config/c", NULL, "/home/u", "[home]/.config/c")
CASE(home_prefix_sharing, "/home/user2/x", NULL, "/home/user", "[path]")
CASE(home_trailing_slash, "/home/u/x", NULL, "/home/u/", "[home]/x")
CASE(root_inside_home_sandbox, "/home/u/sb/f", "/home/u/sb", "/home/u", "[sandbox]/f")
CASE(root_inside_home_home, "/home/u/f", "/home/u/sb", "/home/u", "[home]/f")
CASE(root_inside_home_sibling, "/home/u/sbx/f", "/home/u/sb", "/home/u", "[home]/sbx/f")
CASE(root_equals_home, "/w/x", "/w", "/w", "[sandbox]/x")
CASE(root_with_space, "cannot open /tmp/my sb/x: gone", "/tmp/my sb", NULL,
     "cannot open [sandbox]/x: gone")
CASE(root_with_space_mismatch, "/tmp/my sbx", "/tmp/my sb", NULL, "[path] sbx")
CASE(root_utf8, "/srv/\xc3\xa9t\xc3\xa9/f", "/srv/\xc3\xa9t\xc3\xa9", NULL, "[sandbox]/f")

/* ---- NULL, empty and unusable roots ---- */
CASE(null_roots, "/etc/passwd and /home/u/x", NULL, NULL, "[path] and [path]")
CASE(empty_roots, "/var/sb/x /home/u/x", "", "", "[path] [path]")
CASE(slash_root_ignored, "/etc/passwd", "/", "//", "[path]")
CASE(relative_root_ignored, "/sb/x sb/x", "sb", NULL, "[path] sb/x")

/* ---- several paths, positions, delimiters ---- */
CASE(several_paths, "cannot copy /var/sb/a to /etc/b: /home/u/c exists", "/var/sb", "/home/u",
     "cannot copy [sandbox]/a to [path]: [home]/c exists")
CASE(path_at_end, "failed to open /etc/shadow", ROOT, HOME, "failed to open [path]")
CASE(path_at_start, "/etc/shadow: permission denied", ROOT, HOME, "[path]: permission denied")
CASE(single_quotes, "open '/etc/passwd' failed", ROOT, HOME, "open '[path]' failed")
CASE(double_quotes, "\"/home/user/x\"", ROOT, HOME, "\"[home]/x\"")
CASE(backquotes, "`/opt/x`", ROOT, HOME, "`[path]`")
CASE(parentheses, "(/etc/x)", ROOT, HOME, "([path])")
CASE(brackets, "[/etc/x]", ROOT, HOME, "[[path]]")
CASE(angle, "</etc/x>", ROOT, HOME, "<[path]>")
CASE(equals, "--config=/etc/x", ROOT, HOME, "--config=[path]")
CASE(colon, "path:/etc/x", ROOT, HOME, "path:[path]")
CASE(comma_list, "/a/b,/c/d", ROOT, HOME, "[path],[path]")
CASE(json, "{\"error\":\"/etc/x\"}", ROOT, HOME, "{\"error\":\"[path]\"}")
CASE(newline_separated, "a\n/etc/x\n/var/sandbox/abc123/y", ROOT, HOME, "a\n[path]\n[sandbox]/y")
CASE(tab_separated, "\t/etc/x", ROOT, HOME, "\t[path]")
CASE(after_bracket_close, "x]/etc/passwd", ROOT, HOME, "x][path]")
CASE(after_plus, "C++/etc", ROOT, HOME, "C++[path]")
CASE(path_chars, "/a+b@c%d~e,f", ROOT, HOME, "[path],f")
CASE(utf8_path, "/home/\xc3\xbc/secret", ROOT, HOME, "[path]")
CASE(utf8_before_slash, "\xc3\xbc/etc", ROOT, HOME, "\xc3\xbc[path]")
CASE(dot_path, "/.ssh/id_rsa", ROOT, HOME, "[path]")
CASE(short_path, "/a", ROOT, HOME, "[path]")
CASE(dotdot_path, "/..", ROOT, HOME, "[path]")
CASE(url_path, "GET http://example.com/x", ROOT, HOME, "GET http:[path]")

/* ---- not paths ---- */
CASE(and_or, "and/or", ROOT, HOME, "and/or")
CASE(relative, "src/main.rs", ROOT, HOME, "src/main.rs")
CASE(dot_relative, "./x ../etc/passwd", ROOT, HOME, "./x ../etc/passwd")
CASE(tilde, "~/.ssh/id_rsa", ROOT, HOME, "~/.ssh/id_rsa")
CASE(fraction, "1/2 of 3/4", ROOT, HOME, "1/2 of 3/4")
CASE(bare_slash, "x / y", ROOT, HOME, "x / y")
CASE(double_slash, "a // b", ROOT, HOME, "a // b")
CASE(slash_at_end, "ratio /", ROOT, HOME, "ratio /")
CASE(no_paths, "budget exhausted", ROOT, HOME, "budget exhausted")
CASE(empty_message, "", ROOT, HOME, "")
CASE(root_not_at_token_start, "x/var/sandbox/abc123/y", ROOT, HOME, "x/var/sandbox/abc123/y")

/* ---- markers already present ---- */
CASE(marker_path_not_passthrough, "[path]/x", ROOT, HOME, "[path][path]")

static void null_message(void **state)
{
    char out[8] = "zzzzzzz";
    (void)state;
    assert_int_equal(nc_sanitize(NULL, ROOT, HOME, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static void truncation_returns_full_length(void **state)
{
    const char *msg = "open /etc/passwd failed";
    const char *want = "open [path] failed";
    char out[32];
    (void)state;
    for (size_t sz = 1; sz <= strlen(want) + 2; sz++) {
        memset(out, 'Z', sizeof(out));
        size_t n = nc_sanitize(msg, ROOT, HOME, out, sz);
        assert_int_equal(n, strlen(want));
        size_t got = strlen(out);
        assert_int_equal(got, sz - 1 < n ? sz - 1 : n);
        assert_memory_equal(out, want, got);
        /* Nothing written past outsz. */
        for (size_t k = sz; k < sizeof(out); k++)
            assert_int_equal(out[k], 'Z');
    }
}

static void truncation_inside_marker(void **state)
{
    char out[6];
    (void)state;
    /* The cut falls inside "[sandbox]": still no root text. */
    assert_int_equal(nc_sanitize(ROOT "/x", ROOT, HOME, out, sizeof(out)), 11);
    assert_string_equal(out, "[sand");
}

static void size_zero_writes_nothing(void **state)
{
    char out[4] = "abc";
    (void)state;
    assert_int_equal(nc_sanitize("/etc/x", ROOT, HOME, out, 0), 6);
    assert_string_equal(out, "abc");
    /* out == NULL measures. */
    assert_int_equal(nc_sanitize("/etc/x y", ROOT, HOME, NULL, 0), 8);
    assert_int_equal(nc_sanitize("/etc/x y", ROOT, HOME, NULL, 100), 8);
}

static void size_one_gives_empty(void **state)
{
    char out[2] = "q";
    (void)state;
    assert_int_equal(nc_sanitize("hello", NULL, NULL, out, 1), 5);
    assert_string_equal(out, "");
}

static void exact_fit(void **state)
{
    char out[7];
    (void)state;
    assert_int_equal(nc_sanitize("/etc/x", NULL, NULL, out, sizeof(out)), 6);
    assert_string_equal(out, "[path]");
}

static void long_message(void **state)
{
    static char msg[20000], out[20000];
    size_t k = 0;
    (void)state;
    while (k + 12 < sizeof(msg) - 1) {
        memcpy(msg + k, "/etc/passwd ", 12);
        k += 12;
    }
    msg[k] = '\0';
    size_t n = nc_sanitize(msg, ROOT, HOME, out, sizeof(out));
    assert_int_equal(n, (k / 12) * 7);
    assert_no_host_path(out);
}

/* ---- properties over random messages ---- */

static uint32_t rng_state = 0x1234567u;
static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* Messages made of fragments that stress the scanner: roots, near-roots, markers,
 * delimiters, slashes, UTF-8. */
static size_t random_message(char *buf, size_t cap, const char *root, const char *home)
{
    const char *frags[] = {root, home, "/", "//", "/etc", "x", "a/b", " ", "'", ":", "]", "[",
                           "[sandbox]", "[home]", "[path]", ".", "~", "-", "\xc3\xa9", "sbx",
                           "/var", "=", ",", "\"", "(", "+", "@", "\n", "u"};
    size_t n = 0, parts = rnd() % 12u;
    for (size_t p = 0; p < parts; p++) {
        const char *f = frags[rnd() % (sizeof(frags) / sizeof(frags[0]))];
        size_t fl = strlen(f);
        if (n + fl >= cap)
            break;
        memcpy(buf + n, f, fl);
        n += fl;
    }
    buf[n] = '\0';
    return n;
}

static void property_random_messages(void **state)
{
    static const char *const roots[][2] = {
        {"/var/sb", "/home/u"}, {"/home/u/sb", "/home/u"}, {"/var/sb/", "/home/u/"},
        {NULL, NULL},           {"/a b", "/h"},           {"/w", "/w"},
    };
    (void)state;
    for (int t = 0; t < 100000; t++) {
        const char *root = roots[(unsigned)t % 6u][0], *home = roots[(unsigned)t % 6u][1];
        char msg[200], out[512], again[512], small[16];
        random_message(msg, sizeof(msg), root != NULL ? root : "/r", home != NULL ? home : "/h");

        size_t n = nc_sanitize(msg, root, home, out, sizeof(out));
        assert_true(n < sizeof(out));
        assert_int_equal(strlen(out), n);
        assert_no_host_path(out);

        /* A second pass is as safe as the first. */
        size_t n2 = nc_sanitize(out, root, home, again, sizeof(again));
        assert_int_equal(strlen(again), n2 < sizeof(again) ? n2 : sizeof(again) - 1u);
        assert_no_host_path(again);

        /* Truncated output is the prefix of the full one, NUL-terminated, same return. */
        size_t sz = 1u + rnd() % sizeof(small);
        memset(small, 'Z', sizeof(small));
        assert_int_equal(nc_sanitize(msg, root, home, small, sz), n);
        size_t sl = strlen(small);
        assert_true(sl <= sz - 1u);
        assert_int_equal(sl, n < sz - 1u ? n : sz - 1u);
        assert_memory_equal(small, out, sl);
        for (size_t k = sz; k < sizeof(small); k++)
            assert_int_equal(small[k], 'Z');
    }
}

/* Raw random bytes (no NUL inside): bounded, terminated, invariant holds. */
static void property_random_bytes(void **state)
{
    (void)state;
    for (int t = 0; t < 100000; t++) {
        char msg[64], out[256];
        size_t len = rnd() % (sizeof(msg) - 1u);
        for (size_t i = 0; i < len; i++) {
            unsigned r = rnd() % 4u;
            msg[i] = r == 0 ? '/' : (char)(1u + rnd() % 255u);
        }
        msg[len] = '\0';
        size_t outsz = rnd() % sizeof(out);
        memset(out, 'Z', sizeof(out));
        size_t n = nc_sanitize(msg, "/var/sb", "/home/u", out, outsz);
        if (outsz > 0) {
            size_t ol = strlen(out);
            assert_true(ol < outsz);
            assert_int_equal(ol, n < outsz ? n : outsz - 1u);
            if (n < outsz)
                assert_no_host_path(out);
        }
        for (size_t k = outsz; k < sizeof(out); k++)
            assert_int_equal(out[k], 'Z');
        /* Output can grow ([path] for "/a") but never beyond 9 bytes per input byte. */
        assert_true(n <= 9u * len + 9u);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_sandbox),
        cmocka_unit_test(spec_home),
        cmocka_unit_test(spec_other),
        cmocka_unit_test(glued_home_marker),
        cmocka_unit_test(glued_sandbox_marker),
        cmocka_unit_test(root_alone),
        cmocka_unit_test(root_child),
        cmocka_unit_test(root_prefix_sharing),
        cmocka_unit_test(root_prefix_sharing_alone),
        cmocka_unit_test(root_shorter_path),
        cmocka_unit_test(root_parent),
        cmocka_unit_test(root_then_colon),
        cmocka_unit_test(root_then_dot_is_other),
        cmocka_unit_test(root_trailing_slash_child),
        cmocka_unit_test(root_double_slash_child),
        cmocka_unit_test(root_given_with_slash),
        cmocka_unit_test(root_given_with_slashes),
        cmocka_unit_test(root_given_with_slash_prefix_sharing),
        cmocka_unit_test(root_tail_kept_as_is),
        cmocka_unit_test(root_in_tail),
        cmocka_unit_test(home_alone),
        cmocka_unit_test(home_child),
        cmocka_unit_test(home_prefix_sharing),
        cmocka_unit_test(home_trailing_slash),
        cmocka_unit_test(root_inside_home_sandbox),
        cmocka_unit_test(root_inside_home_home),
        cmocka_unit_test(root_inside_home_sibling),
        cmocka_unit_test(root_equals_home),
        cmocka_unit_test(root_with_space),
        cmocka_unit_test(root_with_space_mismatch),
        cmocka_unit_test(root_utf8),
        cmocka_unit_test(null_roots),
        cmocka_unit_test(empty_roots),
        cmocka_unit_test(slash_root_ignored),
        cmocka_unit_test(relative_root_ignored),
        cmocka_unit_test(several_paths),
        cmocka_unit_test(path_at_end),
        cmocka_unit_test(path_at_start),
        cmocka_unit_test(single_quotes),
        cmocka_unit_test(double_quotes),
        cmocka_unit_test(backquotes),
        cmocka_unit_test(parentheses),
        cmocka_unit_test(brackets),
        cmocka_unit_test(angle),
        cmocka_unit_test(equals),
        cmocka_unit_test(colon),
        cmocka_unit_test(comma_list),
        cmocka_unit_test(json),
        cmocka_unit_test(newline_separated),
        cmocka_unit_test(tab_separated),
        cmocka_unit_test(after_bracket_close),
        cmocka_unit_test(after_plus),
        cmocka_unit_test(path_chars),
        cmocka_unit_test(utf8_path),
        cmocka_unit_test(utf8_before_slash),
        cmocka_unit_test(dot_path),
        cmocka_unit_test(short_path),
        cmocka_unit_test(dotdot_path),
        cmocka_unit_test(url_path),
        cmocka_unit_test(and_or),
        cmocka_unit_test(relative),
        cmocka_unit_test(dot_relative),
        cmocka_unit_test(tilde),
        cmocka_unit_test(fraction),
        cmocka_unit_test(bare_slash),
        cmocka_unit_test(double_slash),
        cmocka_unit_test(slash_at_end),
        cmocka_unit_test(no_paths),
        cmocka_unit_test(empty_message),
        cmocka_unit_test(root_not_at_token_start),
        cmocka_unit_test(marker_path_not_passthrough),
        cmocka_unit_test(null_message),
        cmocka_unit_test(truncation_returns_full_length),
        cmocka_unit_test(truncation_inside_marker),
        cmocka_unit_test(size_zero_writes_nothing),
        cmocka_unit_test(size_one_gives_empty),
        cmocka_unit_test(exact_fit),
        cmocka_unit_test(long_message),
        cmocka_unit_test(property_random_messages),
        cmocka_unit_test(property_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
