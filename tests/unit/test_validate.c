/* SPDX-License-Identifier: Apache-2.0 */
/* Input validation: every limit at the boundary (limit accepted, limit + 1 refused), NUL and
 * control bytes with their offsets, argv indexes, and the URL parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"

typedef int (*text_fn)(const char *, size_t, struct nc_invalid *);

/* A heap buffer of n bytes of 'a' (plus a NUL after them, not counted). */
static char *filled(size_t n, char c)
{
    char *b = malloc(n + 1u);
    assert_non_null(b);
    memset(b, c, n);
    b[n] = '\0';
    return b;
}

static void expect_reject(int rc, const struct nc_invalid *why, const char *field,
                          const char *reason, size_t offset)
{
    assert_int_equal(rc, -1);
    assert_string_equal(why->field, field);
    assert_string_equal(why->reason, reason);
    assert_int_equal(why->offset, offset);
}

/* The shared text rule, for one validator: boundary, NUL, control, DEL, UTF-8. */
static void text_rule(text_fn fn, size_t limit, const char *field, const char *too_long)
{
    struct nc_invalid why;
    char *b = filled(limit + 1u, 'a');

    assert_int_equal(fn(b, limit, &why), 0);
    memset(&why, 0, sizeof(why));
    expect_reject(fn(b, limit + 1u, &why), &why, field, too_long, limit);
    free(b);

    expect_reject(fn("ab\0cd", 5, &why), &why, field, "contains a NUL byte", 2);
    expect_reject(fn("abc\x01", 4, &why), &why, field, "contains a control character", 3);
    expect_reject(fn("\x1f", 1, &why), &why, field, "contains a control character", 0);
    expect_reject(fn("a\x7f", 2, &why), &why, field, "contains a control character", 1);
    expect_reject(fn("a\tb", 3, &why), &why, field, "contains a control character", 1);
    expect_reject(fn("a\nb", 3, &why), &why, field, "contains a control character", 1);
    expect_reject(fn("a\rb", 3, &why), &why, field, "contains a control character", 1);
    expect_reject(fn(NULL, 3, &why), &why, field, "is missing (NULL with a length)", 0);
    assert_int_equal(fn("caf\xc3\xa9 \xe2\x82\xac", 9, &why), 0); /* UTF-8 and space pass */
    assert_int_equal(fn("x\x80\xff", 3, &why), 0);
    assert_int_equal(fn("ab\0", 3, NULL), -1); /* why may be NULL */
}

/* ---- pattern ---- */
static void pattern_text_rule(void **state)
{
    (void)state;
    text_rule(nc_validate_pattern, NC_MAX_PATTERN, "pattern", "longer than 1024 bytes");
}

static void pattern_empty_rejected(void **state)
{
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_pattern("", 0, &why), &why, "pattern", "is empty", 0);
    expect_reject(nc_validate_pattern(NULL, 0, &why), &why, "pattern", "is empty", 0);
}

static void pattern_runs_redos_screen(void **state)
{
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_pattern("(a+)+", 5, &why), &why, "pattern",
                  "nested quantifier: a quantified group contains a quantifier", 4);
    assert_int_equal(nc_validate_pattern("fn\\s+main", 9, &why), 0);
    assert_int_equal(nc_validate_pattern("a{1000,}", 8, &why), -1);
}

static void pattern_length_before_redos(void **state)
{
    struct nc_invalid why;
    char *b = filled(NC_MAX_PATTERN + 1u, '(');
    (void)state;
    /* Too long is reported as too long, not as too deep. */
    expect_reject(nc_validate_pattern(b, NC_MAX_PATTERN + 1u, &why), &why, "pattern",
                  "longer than 1024 bytes", NC_MAX_PATTERN);
    free(b);
}

static void pattern_nul_before_redos(void **state)
{
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_pattern("(a+)+\0", 6, &why), &why, "pattern",
                  "contains a NUL byte", 5);
}

/* ---- glob ---- */
static void glob_text_rule(void **state)
{
    (void)state;
    text_rule(nc_validate_glob, NC_MAX_PATTERN, "glob", "longer than 1024 bytes");
}

static void glob_wildcards_accepted(void **state)
{
    static const char *const ok[] = {"src/**/*.rs", "*.rs", "**", "a**", "*?", "src/**/*.ts",
                                     "(a+)+", "[ab]*", ".env*"};
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(nc_validate_glob(ok[i], strlen(ok[i]), NULL), 0);
}

static void glob_empty_rejected(void **state)
{
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_glob("", 0, &why), &why, "glob", "is empty", 0);
}

/* ---- query ---- */
static void query_text_rule(void **state)
{
    (void)state;
    text_rule(nc_validate_query, NC_MAX_QUERY, "query", "longer than 512 bytes");
}

static void query_empty_accepted(void **state)
{
    (void)state;
    assert_int_equal(nc_validate_query("", 0, NULL), 0);
    assert_int_equal(nc_validate_query(NULL, 0, NULL), 0);
    assert_int_equal(nc_validate_query("how to (a+)+ in rust?", 21, NULL), 0);
}

/* ---- path ---- */
static void path_text_rule(void **state)
{
    (void)state;
    text_rule(nc_validate_path, NC_MAX_PATH, "path", "longer than 4096 bytes");
}

static void path_empty_rejected(void **state)
{
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_path("", 0, &why), &why, "path", "is empty", 0);
}

static void path_not_canonicalised(void **state)
{
    (void)state;
    /* Traversal is the path policy's business, not this validator's. */
    assert_int_equal(nc_validate_path("../../etc/passwd", 16, NULL), 0);
    assert_int_equal(nc_validate_path("/abs", 4, NULL), 0);
}

static void path_nul_truncation_attack(void **state)
{
    struct nc_invalid why;
    (void)state;
    /* JSON "src/ok.rs\u0000/../../.env": a C-string validator would see "src/ok.rs". */
    expect_reject(nc_validate_path("src/ok.rs\0/../../.env", 21, &why), &why, "path",
                  "contains a NUL byte", 9);
}

/* ---- argv ---- */
static void argv_count_boundary(void **state)
{
    const char *argv[NC_MAX_ARGS + 1];
    size_t lens[NC_MAX_ARGS + 1];
    struct nc_invalid why;
    (void)state;
    for (size_t i = 0; i <= NC_MAX_ARGS; i++) {
        argv[i] = "x";
        lens[i] = 1;
    }
    assert_int_equal(nc_validate_argv(argv, lens, NC_MAX_ARGS, &why), 0);
    expect_reject(nc_validate_argv(argv, lens, NC_MAX_ARGS + 1u, &why), &why, "argv",
                  "more than 256 arguments", 0);
    assert_int_equal(why.index, NC_MAX_ARGS);
}

static void argv_total_boundary(void **state)
{
    char *big = filled(NC_MAX_COMMAND, 'a');
    const char *argv[3] = {"cmd", big, "z"};
    size_t lens[3] = {3, NC_MAX_COMMAND - 4u, 1};
    struct nc_invalid why;
    (void)state;
    /* 3 + 16380 + 1 = 16384: accepted. */
    assert_int_equal(nc_validate_argv(argv, lens, 3, &why), 0);
    /* 3 + 16381 + 1 = 16385: refused at argv[2], whose byte 0 crosses the limit. */
    lens[1] = NC_MAX_COMMAND - 3u;
    expect_reject(nc_validate_argv(argv, lens, 3, &why), &why, "argv",
                  "longer than 16384 bytes in total", 0);
    assert_int_equal(why.index, 2);
    /* One single oversized argument: refused at argv[1], offset 16381. */
    lens[1] = NC_MAX_COMMAND;
    expect_reject(nc_validate_argv(argv, lens, 2, &why), &why, "argv",
                  "longer than 16384 bytes in total", NC_MAX_COMMAND - 3u);
    assert_int_equal(why.index, 1);
    free(big);
}

static void argv_length_sum_cannot_wrap(void **state)
{
    const char *argv[2] = {"a", "b"};
    size_t lens[2] = {SIZE_MAX, 2};
    struct nc_invalid why;
    (void)state;
    assert_int_equal(nc_validate_argv(argv, lens, 2, &why), -1);
    assert_int_equal(why.index, 0);
    lens[0] = 1;
    lens[1] = SIZE_MAX;
    assert_int_equal(nc_validate_argv(argv, lens, 2, &why), -1);
    assert_int_equal(why.index, 1);
}

static void argv_tab_newline_allowed(void **state)
{
    const char *argv[3] = {"git", "commit", "-m\tsubject\n\nbody"};
    size_t lens[3] = {3, 6, strlen(argv[2])};
    (void)state;
    assert_int_equal(nc_validate_argv(argv, lens, 3, NULL), 0);
}

static void argv_controls_rejected(void **state)
{
    const char *argv[3] = {"echo", "ok", "a\rb"};
    size_t lens[3] = {4, 2, 3};
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_argv(argv, lens, 3, &why), &why, "argv",
                  "contains a control character other than tab or newline", 1);
    assert_int_equal(why.index, 2);
    argv[2] = "\x1b[31m";
    lens[2] = 5;
    expect_reject(nc_validate_argv(argv, lens, 3, &why), &why, "argv",
                  "contains a control character other than tab or newline", 0);
    argv[2] = "x\x7f";
    lens[2] = 2;
    expect_reject(nc_validate_argv(argv, lens, 3, &why), &why, "argv",
                  "contains a control character other than tab or newline", 1);
}

static void argv_nul_rejected_with_index(void **state)
{
    const char *argv[3] = {"ls", "-l", "a\0b"};
    size_t lens[3] = {2, 2, 3};
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_argv(argv, lens, 3, &why), &why, "argv", "contains a NUL byte", 1);
    assert_int_equal(why.index, 2);
}

static void argv_empty_and_null(void **state)
{
    const char *argv[2] = {"ls", NULL};
    size_t lens[2] = {2, 0};
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_argv(argv, lens, 0, &why), &why, "argv", "is empty (no program)",
                  0);
    expect_reject(nc_validate_argv(NULL, lens, 1, &why), &why, "argv", "is missing (NULL)", 0);
    expect_reject(nc_validate_argv(argv, NULL, 1, &why), &why, "argv", "is missing (NULL)", 0);
    expect_reject(nc_validate_argv(argv, lens, 2, &why), &why, "argv",
                  "contains a NULL argument", 0);
    assert_int_equal(why.index, 1);
}

static void argv_empty_argument_ok(void **state)
{
    const char *argv[2] = {"echo", ""};
    size_t lens[2] = {4, 0};
    (void)state;
    assert_int_equal(nc_validate_argv(argv, lens, 2, NULL), 0);
}

static void argv_shell_metacharacters_are_data(void **state)
{
    const char *argv[2] = {"echo", "$(whoami); rm -rf / | cat > x"};
    size_t lens[2] = {4, strlen(argv[1])};
    (void)state;
    assert_int_equal(nc_validate_argv(argv, lens, 2, NULL), 0);
}

/* ---- stdin ---- */
static void stdin_boundary(void **state)
{
    struct nc_invalid why;
    (void)state;
    assert_int_equal(nc_validate_stdin(0, &why), 0);
    assert_int_equal(nc_validate_stdin(NC_MAX_STDIN, &why), 0);
    expect_reject(nc_validate_stdin(NC_MAX_STDIN + 1u, &why), &why, "stdin",
                  "longer than 1048576 bytes", NC_MAX_STDIN);
    assert_int_equal(nc_validate_stdin(SIZE_MAX, NULL), -1);
}

/* ---- URL ---- */
static int url(const char *s, struct nc_url *u, struct nc_invalid *why)
{
    return nc_validate_url(s, strlen(s), u, why);
}

static void url_ok(const char *s, bool https, const char *host, unsigned port)
{
    struct nc_url u;
    struct nc_invalid why;
    int rc = url(s, &u, &why);
    if (rc != 0)
        print_error("url '%s' rejected: %s at %zu\n", s, why.reason, why.offset);
    assert_int_equal(rc, 0);
    assert_int_equal(u.https, https);
    assert_string_equal(u.host, host);
    assert_int_equal(u.port, port);
}

static void url_bad(const char *s, const char *reason)
{
    struct nc_url u;
    struct nc_invalid why;
    memset(&u, 0x5a, sizeof(u));
    int rc = url(s, &u, &why);
    if (rc == 0)
        print_error("url '%s' accepted\n", s);
    assert_int_equal(rc, -1);
    assert_string_equal(why.field, "url");
    if (strcmp(why.reason, reason) != 0) {
        print_error("url '%s': reason '%s', expected '%s'\n", s, why.reason, reason);
        fail();
    }
    assert_true(why.offset <= strlen(s));
    /* out is zeroed on failure: no half-parsed host reaches a caller that forgot rc. */
    assert_int_equal(u.host[0], '\0');
    assert_int_equal(u.port, 0);
    assert_false(u.https);
}

static void url_basic(void **state)
{
    (void)state;
    url_ok("http://example.com", false, "example.com", 80);
    url_ok("https://example.com", true, "example.com", 443);
    url_ok("https://example.com/", true, "example.com", 443);
    url_ok("http://a", false, "a", 80);
    url_ok("https://api.github.com/repos/x/y?per_page=100#frag", true, "api.github.com", 443);
}

static void url_scheme_case_insensitive_host_lowered(void **state)
{
    (void)state;
    url_ok("HTTPS://Example.COM:8443/Path", true, "example.com", 8443);
    url_ok("hTtP://WWW.Ex-Ample_1.org", false, "www.ex-ample_1.org", 80);
}

static void url_bad_schemes(void **state)
{
    (void)state;
    url_bad("ftp://example.com/", "scheme is not http:// or https://");
    url_bad("file:///etc/passwd", "scheme is not http:// or https://");
    url_bad("javascript:alert(1)", "scheme is not http:// or https://");
    url_bad("http:/example.com", "scheme is not http:// or https://");
    url_bad("http:example.com", "scheme is not http:// or https://");
    url_bad("example.com", "scheme is not http:// or https://");
    url_bad("//example.com", "scheme is not http:// or https://");
    url_bad("httpx://example.com", "scheme is not http:// or https://");
    url_bad("https:/", "scheme is not http:// or https://");
}

static void url_no_host(void **state)
{
    (void)state;
    url_bad("http://", "has no host");
    url_bad("https://", "has no host");
    url_bad("http:///etc/passwd", "has no host");
    url_bad("http://:80/", "has no host");
    url_bad("http://?q=1", "has no host");
    url_bad("http://#x", "has no host");
}

static void url_userinfo_rejected(void **state)
{
    (void)state;
    url_bad("http://user:pass@example.com/", "contains userinfo ('@' before the host)");
    url_bad("http://good.com@evil.com/", "contains userinfo ('@' before the host)");
    url_bad("http://@evil.com", "contains userinfo ('@' before the host)");
    url_bad("http://evil.com:80@good.com", "contains userinfo ('@' before the host)");
    url_ok("http://example.com/a@b", false, "example.com", 80);
    url_ok("http://example.com?x=a@b", false, "example.com", 80);
    url_ok("http://example.com#@evil.com", false, "example.com", 80);
}

static void url_ipv6_rejected(void **state)
{
    (void)state;
    url_bad("http://[::1]/", "IPv6 literal hosts are not accepted");
    url_bad("https://[2001:db8::1]:8443/x", "IPv6 literal hosts are not accepted");
    url_bad("http://[fe80::1%25eth0]/", "IPv6 literal hosts are not accepted");
}

static void url_ports(void **state)
{
    (void)state;
    url_ok("http://h:1", false, "h", 1);
    url_ok("https://h:65535/", true, "h", 65535);
    url_ok("http://h:080", false, "h", 80);
    url_ok("https://h:80", true, "h", 80);
    url_bad("http://h:0", "port is not in 1..65535");
    url_bad("http://h:00000", "port is not in 1..65535");
    url_bad("http://h:65536", "port is not in 1..65535");
    url_bad("http://h:99999999999999999999999", "port is not in 1..65535");
    url_bad("http://h:", "port is empty");
    url_bad("http://h:/x", "port is empty");
    url_bad("http://h:8a", "port is not a decimal number");
    url_bad("http://h:-1", "port is not a decimal number");
    url_bad("http://h:+80", "port is not a decimal number");
    url_bad("http://h:80:80", "port is not a decimal number");
    url_bad("http://h: 80", "contains a space");
}

static void url_bytes(void **state)
{
    struct nc_invalid why;
    (void)state;
    url_bad("http://example.com/a b", "contains a space");
    url_bad("http://exa mple.com/", "contains a space");
    url_bad("http://example.com/\tx", "contains a control character");
    url_bad("http://example.com/\r\nHost: evil", "contains a control character");
    url_bad("http://example.com/\x7f", "contains a control character");
    assert_int_equal(nc_validate_url("http://a.com/\0x", 15, NULL, &why), -1);
    assert_string_equal(why.reason, "contains a NUL byte");
    assert_int_equal(why.offset, 13);
    /* Non-ASCII outside the host is passed on (clients percent-encode it). */
    url_ok("https://example.com/caf\xc3\xa9", true, "example.com", 443);
}

static void url_host_syntax(void **state)
{
    (void)state;
    url_bad("http://a..b/", "host has an empty label (leading or doubled dot)");
    url_bad("http://.a/", "host has an empty label (leading or doubled dot)");
    url_bad("http://a./", "host has an empty label (trailing dot)");
    url_bad("http://./", "host has an empty label (leading or doubled dot)");
    url_bad("http://a%2eb/", "host contains a byte other than a letter, digit, '-', '_' or '.'");
    url_bad("http://good.com\\.evil.com/",
            "host contains a byte other than a letter, digit, '-', '_' or '.'");
    url_bad("http://b\xc3\xbc" "cher.de/",
            "host contains a byte other than a letter, digit, '-', '_' or '.'");
    url_bad("http://a,b/", "host contains a byte other than a letter, digit, '-', '_' or '.'");
    url_ok("http://xn--bcher-kva.de/", false, "xn--bcher-kva.de", 80);
    url_ok("http://1password.com/", false, "1password.com", 80);
}

static void url_numeric_hosts(void **state)
{
    (void)state;
    url_ok("http://127.0.0.1/", false, "127.0.0.1", 80);
    url_ok("http://0.0.0.0:8080/", false, "0.0.0.0", 8080);
    url_ok("http://255.255.255.255/", false, "255.255.255.255", 80);
    url_bad("http://2130706433/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://0x7f.1/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://0x7f000001/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://127.1/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://0177.0.0.1/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://127.0.0.01/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://256.0.0.1/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://1.2.3.4.5/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://1.2.3.1000/", "numeric host is not a dotted-quad IPv4 address");
    url_bad("http://example.123/", "numeric host is not a dotted-quad IPv4 address");
}

static void url_host_length_boundaries(void **state)
{
    char buf[600];
    struct nc_url u;
    struct nc_invalid why;
    (void)state;
    /* A 63-byte label passes, 64 does not. */
    snprintf(buf, sizeof(buf), "http://%.*s.com/", 63,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(url(buf, &u, &why), 0);
    snprintf(buf, sizeof(buf), "http://%.*s.com/", 64,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(url(buf, &u, &why), -1);
    assert_string_equal(why.reason, "host label longer than 63 bytes");
    assert_int_equal(why.offset, 7 + 63);
    /* Host of exactly 253 bytes: 3 labels of 63, one of 61, 3 dots = 253. */
    char host[300];
    size_t k = 0;
    for (int l = 0; l < 4; l++) {
        size_t n = l < 3 ? 63 : 61;
        memset(host + k, 'b', n);
        k += n;
        if (l < 3)
            host[k++] = '.';
    }
    host[k] = '\0';
    assert_int_equal(k, 253);
    snprintf(buf, sizeof(buf), "https://%s:8443/x", host);
    assert_int_equal(url(buf, &u, &why), 0);
    assert_string_equal(u.host, host);
    assert_int_equal(strlen(u.host), 253);
    /* 254 bytes. */
    snprintf(buf, sizeof(buf), "https://%sb/x", host);
    assert_int_equal(url(buf, &u, &why), -1);
    assert_string_equal(why.reason, "host longer than 253 bytes");
}

static void url_length_boundary(void **state)
{
    char *b = filled(NC_MAX_URL + 1u, 'p');
    struct nc_url u;
    struct nc_invalid why;
    (void)state;
    memcpy(b, "https://example.com/", 20);
    assert_int_equal(nc_validate_url(b, NC_MAX_URL, &u, &why), 0);
    assert_string_equal(u.host, "example.com");
    expect_reject(nc_validate_url(b, NC_MAX_URL + 1u, &u, &why), &why, "url",
                  "longer than 2048 bytes", NC_MAX_URL);
    free(b);
}

static void url_null_and_empty(void **state)
{
    struct nc_invalid why;
    (void)state;
    expect_reject(nc_validate_url("", 0, NULL, &why), &why, "url", "is empty", 0);
    expect_reject(nc_validate_url(NULL, 0, NULL, &why), &why, "url", "is empty", 0);
    expect_reject(nc_validate_url(NULL, 5, NULL, &why), &why, "url",
                  "is missing (NULL with a length)", 0);
    assert_int_equal(nc_validate_url("http://a.b", 10, NULL, NULL), 0);
    assert_int_equal(nc_validate_url("ftp://a.b", 9, NULL, NULL), -1);
}

static void url_length_is_respected(void **state)
{
    struct nc_url u;
    (void)state;
    /* Only "http://ab" is the URL; the rest of the buffer is never read. */
    assert_int_equal(nc_validate_url("http://ab@evil", 9, &u, NULL), 0);
    assert_string_equal(u.host, "ab");
}

/* Fixed-seed PRNG (xorshift32). */
static uint32_t rng_state = 0x9e3779b9u;
static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* Random URL-ish strings: an accepted URL always has a well-formed result. */
static void property_url_results(void **state)
{
    static const char alpha[] = "htps:/.@[]:0189aZ-_%?#\\ \x01\xc3";
    (void)state;
    for (int t = 0; t < 200000; t++) {
        char buf[48];
        size_t n = 0;
        const char *pre = (rnd() & 1u) ? "http://" : "HTTPS://";
        size_t pl = strlen(pre);
        if (rnd() % 8u != 0u) {
            memcpy(buf, pre, pl);
            n = pl;
        }
        size_t extra = rnd() % 24u;
        for (size_t i = 0; i < extra; i++)
            buf[n++] = alpha[rnd() % (sizeof(alpha) - 1u)];
        struct nc_url u;
        struct nc_invalid why;
        int rc = nc_validate_url(buf, n, &u, &why);
        if (rc < 0) {
            assert_string_equal(why.field, "url");
            assert_true(why.offset <= n);
            continue;
        }
        size_t hl = strlen(u.host);
        assert_true(hl >= 1 && hl <= 253);
        assert_true(u.port >= 1 && u.port <= 65535);
        for (size_t i = 0; i < hl; i++) {
            unsigned char c = (unsigned char)u.host[i];
            assert_true((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.');
        }
        /* No '@' between "//" and the end of the authority. */
        size_t k = 0;
        while (k + 1u < n && !(buf[k] == '/' && buf[k + 1u] == '/'))
            k++;
        for (k += 2u; k < n && buf[k] != '/' && buf[k] != '?' && buf[k] != '#'; k++)
            assert_true(buf[k] != '@');
        assert_true(u.host[0] != '.' && u.host[hl - 1] != '.');
    }
}

/* Random bytes to each text validator: the verdict matches a direct reading of the rule. */
static void property_text_rule(void **state)
{
    (void)state;
    for (int t = 0; t < 200000; t++) {
        char buf[16];
        size_t n = rnd() % sizeof(buf);
        bool bad = false;
        for (size_t i = 0; i < n; i++) {
            unsigned r = rnd() % 10u;
            unsigned char c = r == 0 ? (unsigned char)(rnd() % 0x20u)
                                     : (r == 1 ? 0x7fu : (unsigned char)(0x20u + rnd() % 0xe0u));
            if (c < 0x20u || c == 0x7fu)
                bad = true;
            buf[i] = (char)c;
        }
        bool pbad = bad || n == 0;
        assert_int_equal(nc_validate_path(buf, n, NULL), pbad ? -1 : 0);
        assert_int_equal(nc_validate_glob(buf, n, NULL), pbad ? -1 : 0);
        assert_int_equal(nc_validate_query(buf, n, NULL), bad ? -1 : 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pattern_text_rule),
        cmocka_unit_test(pattern_empty_rejected),
        cmocka_unit_test(pattern_runs_redos_screen),
        cmocka_unit_test(pattern_length_before_redos),
        cmocka_unit_test(pattern_nul_before_redos),
        cmocka_unit_test(glob_text_rule),
        cmocka_unit_test(glob_wildcards_accepted),
        cmocka_unit_test(glob_empty_rejected),
        cmocka_unit_test(query_text_rule),
        cmocka_unit_test(query_empty_accepted),
        cmocka_unit_test(path_text_rule),
        cmocka_unit_test(path_empty_rejected),
        cmocka_unit_test(path_not_canonicalised),
        cmocka_unit_test(path_nul_truncation_attack),
        cmocka_unit_test(argv_count_boundary),
        cmocka_unit_test(argv_total_boundary),
        cmocka_unit_test(argv_length_sum_cannot_wrap),
        cmocka_unit_test(argv_tab_newline_allowed),
        cmocka_unit_test(argv_controls_rejected),
        cmocka_unit_test(argv_nul_rejected_with_index),
        cmocka_unit_test(argv_empty_and_null),
        cmocka_unit_test(argv_empty_argument_ok),
        cmocka_unit_test(argv_shell_metacharacters_are_data),
        cmocka_unit_test(stdin_boundary),
        cmocka_unit_test(url_basic),
        cmocka_unit_test(url_scheme_case_insensitive_host_lowered),
        cmocka_unit_test(url_bad_schemes),
        cmocka_unit_test(url_no_host),
        cmocka_unit_test(url_userinfo_rejected),
        cmocka_unit_test(url_ipv6_rejected),
        cmocka_unit_test(url_ports),
        cmocka_unit_test(url_bytes),
        cmocka_unit_test(url_host_syntax),
        cmocka_unit_test(url_numeric_hosts),
        cmocka_unit_test(url_host_length_boundaries),
        cmocka_unit_test(url_length_boundary),
        cmocka_unit_test(url_null_and_empty),
        cmocka_unit_test(url_length_is_respected),
        cmocka_unit_test(property_url_results),
        cmocka_unit_test(property_text_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
