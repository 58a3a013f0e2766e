/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the SPIFFE ID parser and the authorization rules (src/identity/spiffe.h):
 * every refusal of the SPIFFE-ID grammar, the length limits, canonical equality, and the
 * segment boundary of prefix rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "identity/spiffe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const char *s, unsigned flags)
{
    struct nc_spiffe_id id;
    struct nc_err err = {0};
    int rc = nc_spiffe_id_parse_str(s, flags, &id, &err);
    if (rc == 0) {
        assert_string_equal(id.id, s);
        assert_int_equal(id.len, strlen(s));
    } else {
        assert_true(err.msg[0] != '\0');
    }
    return rc;
}

static void test_valid(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "spiffe://example.org",
        "spiffe://example.org/ns/default/sa/web",
        "spiffe://nucleus.local/ns/pods/sa/3f2a-9b",
        "spiffe://a/b",
        "spiffe://td_with-under.score/A.b-C_d",
        "spiffe://1.2.3.4/x",
        "spiffe://td/..a/a../.a./...", /* only "." and ".." are dot segments */
    };
    for (size_t i = 0; i < N_ELEMS(ok); i++)
        assert_int_equal(parse(ok[i], 0), 0);
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "spiffe://",
        "spiffe:///path",
        "SPIFFE://example.org/a",
        "Spiffe://example.org/a",
        "spiffe:/example.org/a",
        "https://example.org/a",
        "spiffe//example.org/a",
        "spiffe://Example.org/a",      /* upper case trust domain */
        "spiffe://exa%6dple.org/a",    /* percent-encoding */
        "spiffe://user@example.org/a", /* userinfo */
        "spiffe://example.org:443/a",  /* port */
        "spiffe://example.org/a?x=1",  /* query */
        "spiffe://example.org/a#frag", /* fragment */
        "spiffe://example.org?x",
        "spiffe://example.org#x",
        "spiffe://example.org/",       /* trailing slash */
        "spiffe://example.org/a/",     /* trailing slash */
        "spiffe://example.org//a",     /* empty segment */
        "spiffe://example.org/a//b",
        "spiffe://example.org/.",
        "spiffe://example.org/..",
        "spiffe://example.org/a/./b",
        "spiffe://example.org/a/../b",
        "spiffe://example.org/a%2Fb",
        "spiffe://example.org/a b",
        "spiffe://example.org/a*",
        "spiffe://example.org/a+b",
        "spiffe://exam ple.org/a",
        "spiffe://example.org/\xc3\xa9", /* non-ASCII */
        "spiffe://example.org/a\\b",
        " spiffe://example.org/a",
        "spiffe://example.org/a ",
        "spiffe://[::1]/a",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        if (parse(bad[i], 0) == 0)
            fail_msg("accepted invalid SPIFFE ID '%s'", bad[i]);
    }
}

static void test_embedded_nul(void **state)
{
    (void)state;
    struct nc_err err = {0};
    static const char s[] = "spiffe://example.org/a\0b";
    assert_true(nc_spiffe_id_parse(s, sizeof(s) - 1, 0, NULL, &err) < 0);
    static const char t[] = "spiffe://exa\0mple.org/a";
    assert_true(nc_spiffe_id_parse(t, sizeof(t) - 1, 0, NULL, &err) < 0);
}

static void test_flags(void **state)
{
    (void)state;
    assert_true(parse("spiffe://example.org", NC_SPIFFE_REQUIRE_PATH) < 0);
    assert_int_equal(parse("spiffe://example.org/a", NC_SPIFFE_REQUIRE_PATH), 0);
    assert_int_equal(parse("spiffe://example.org", NC_SPIFFE_REQUIRE_ROOT), 0);
    assert_true(parse("spiffe://example.org/a", NC_SPIFFE_REQUIRE_ROOT) < 0);
}

static void test_lengths(void **state)
{
    (void)state;
    struct nc_err err = {0};
    static char s[NC_SPIFFE_ID_MAX + 16];
    /* Exactly 2048 bytes: accepted.  2049: refused. */
    memcpy(s, "spiffe://td/", 12);
    memset(s + 12, 'a', NC_SPIFFE_ID_MAX - 12);
    s[NC_SPIFFE_ID_MAX] = '\0';
    assert_int_equal(parse(s, 0), 0);
    s[NC_SPIFFE_ID_MAX] = 'a';
    s[NC_SPIFFE_ID_MAX + 1] = '\0';
    assert_true(parse(s, 0) < 0);
    assert_true(nc_spiffe_id_parse(s, NC_SPIFFE_ID_MAX + 1, 0, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "2048"));

    /* A trust domain of 255 bytes is accepted, 256 refused. */
    memcpy(s, "spiffe://", 9);
    memset(s + 9, 'a', 255);
    memcpy(s + 9 + 255, "/x", 3);
    assert_int_equal(parse(s, 0), 0);
    memset(s + 9, 'a', 256);
    memcpy(s + 9 + 256, "/x", 3);
    assert_true(parse(s, 0) < 0);
}

static void test_parts(void **state)
{
    (void)state;
    struct nc_spiffe_id id, td, other;
    struct nc_err err = {0};
    assert_int_equal(nc_spiffe_id_parse_str("spiffe://example.org/ns/a/sa/b", 0, &id, &err), 0);
    assert_int_equal(id.td_len, strlen("example.org"));
    assert_string_equal(nc_spiffe_id_path(&id), "/ns/a/sa/b");
    nc_spiffe_id_trust_domain_id(&id, &td);
    assert_string_equal(td.id, "spiffe://example.org");
    assert_string_equal(nc_spiffe_id_path(&td), "");
    assert_true(nc_spiffe_id_same_trust_domain(&id, &td));
    assert_int_equal(nc_spiffe_id_parse_str("spiffe://example.org.evil/ns/a/sa/b", 0, &other,
                                            &err),
                     0);
    assert_false(nc_spiffe_id_same_trust_domain(&id, &other));
    assert_false(nc_spiffe_id_equal(&id, &other));
}

static void test_workload(void **state)
{
    (void)state;
    struct nc_spiffe_id id;
    struct nc_err err = {0};
    assert_int_equal(nc_spiffe_id_workload("nucleus.local", "pods", "abc-1", &id, &err), 0);
    assert_string_equal(id.id, "spiffe://nucleus.local/ns/pods/sa/abc-1");
    assert_int_equal(parse(id.id, NC_SPIFFE_REQUIRE_PATH), 0);
    assert_true(nc_spiffe_id_workload("Nucleus", "pods", "a", &id, &err) < 0);
    assert_true(nc_spiffe_id_workload("td", "a/b", "a", &id, &err) < 0);
    assert_true(nc_spiffe_id_workload("td", "..", "a", &id, &err) < 0);
    assert_true(nc_spiffe_id_workload("td", "ns", "", &id, &err) < 0);
    assert_true(nc_spiffe_id_workload("td", "ns", "a%2f", &id, &err) < 0);
    char *big = malloc(3000);
    assert_non_null(big);
    memset(big, 'a', 2999);
    big[2999] = '\0';
    assert_true(nc_spiffe_id_workload("td", "ns", big, &id, &err) < 0);
    free(big);
}

static bool allows(const char *rule, const char *id)
{
    struct nc_spiffe_rule r;
    struct nc_spiffe_id pid;
    struct nc_err err = {0};
    assert_int_equal(nc_spiffe_rule_parse(rule, &r, &err), 0);
    assert_int_equal(nc_spiffe_id_parse_str(id, 0, &pid, &err), 0);
    return nc_spiffe_rule_match(&r, &pid);
}

static void test_rules(void **state)
{
    (void)state;
    /* exact */
    assert_true(allows("spiffe://td/ns/a/sa/b", "spiffe://td/ns/a/sa/b"));
    assert_false(allows("spiffe://td/ns/a/sa/b", "spiffe://td/ns/a/sa/bc"));
    assert_false(allows("spiffe://td/ns/a/sa/b", "spiffe://td/ns/a/sa/b/c"));
    assert_false(allows("spiffe://td/ns/a/sa/b", "spiffe://td2/ns/a/sa/b"));
    /* trust domain */
    assert_true(allows("spiffe://td/*", "spiffe://td/anything/at/all"));
    assert_false(allows("spiffe://td/*", "spiffe://td"));
    assert_false(allows("spiffe://td/*", "spiffe://tdx/a"));
    assert_false(allows("spiffe://td/*", "spiffe://xtd/a"));
    assert_false(allows("spiffe://td/*", "spiffe://td.evil/a"));
    /* prefix: segment boundaries */
    assert_true(allows("spiffe://td/ns/a/*", "spiffe://td/ns/a/sa/x"));
    assert_true(allows("spiffe://td/ns/a/*", "spiffe://td/ns/a/x"));
    assert_false(allows("spiffe://td/ns/a/*", "spiffe://td/ns/ab"));
    assert_false(allows("spiffe://td/ns/a/*", "spiffe://td/ns/ab/sa/x"));
    assert_false(allows("spiffe://td/ns/a/*", "spiffe://td/ns/a"));
    assert_false(allows("spiffe://td/ns/a/*", "spiffe://td/ns"));
    assert_false(allows("spiffe://td/ns/a/*", "spiffe://td2/ns/a/sa/x"));
    assert_false(allows("spiffe://td/ns/a/*", "spiffe://tdx/ns/a/sa/x"));
}

static void test_rule_syntax(void **state)
{
    (void)state;
    struct nc_spiffe_rule r;
    struct nc_err err = {0};
    char buf[NC_SPIFFE_ID_MAX + 8];
    static const char *const bad[] = {
        "",
        "spiffe://td",          /* a trust domain is not a workload: needs the explicit star */
        "spiffe://td/",
        "spiffe://td/a*",
        "spiffe://td/*/a",
        "spiffe://td/a/*/*",
        "spiffe://td/**",
        "spiffe://*",
        "spiffe:///*",
        "*",
        "spiffe://TD/*",
        "spiffe://td/a/../*",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        if (nc_spiffe_rule_parse(bad[i], &r, &err) == 0)
            fail_msg("accepted invalid rule '%s'", bad[i]);
    }
    assert_int_equal(nc_spiffe_rule_parse("spiffe://td", &r, &err) < 0, 1);
    assert_non_null(strstr(err.msg, "spiffe://td/*"));

    static const char *const good[] = {"spiffe://td/a/b", "spiffe://td/*", "spiffe://td/a/*"};
    static const enum nc_spiffe_rule_kind kinds[] = {
        NC_SPIFFE_RULE_EXACT, NC_SPIFFE_RULE_TRUST_DOMAIN, NC_SPIFFE_RULE_PREFIX};
    for (size_t i = 0; i < N_ELEMS(good); i++) {
        assert_int_equal(nc_spiffe_rule_parse(good[i], &r, &err), 0);
        assert_int_equal(r.kind, kinds[i]);
        assert_int_equal(nc_spiffe_rule_format(&r, buf, sizeof(buf), &err), (int)strlen(good[i]));
        assert_string_equal(buf, good[i]);
    }
    assert_true(nc_spiffe_rule_format(&r, buf, 4, &err) < 0);
}

static void test_policy(void **state)
{
    (void)state;
    struct nc_err err = {0};
    struct nc_spiffe_id a, b, c;
    struct nc_spiffe_policy *p = nc_spiffe_policy_new(&err);
    assert_non_null(p);
    assert_int_equal(nc_spiffe_id_parse_str("spiffe://td/ns/bridge/sa/cli", 0, &a, &err), 0);
    assert_int_equal(nc_spiffe_id_parse_str("spiffe://td/ns/pods/sa/p1", 0, &b, &err), 0);
    assert_int_equal(nc_spiffe_id_parse_str("spiffe://td/ns/other/sa/x", 0, &c, &err), 0);
    /* Empty policy: nobody. */
    assert_false(nc_spiffe_policy_allows(p, &a));
    assert_false(nc_spiffe_policy_allows(NULL, &a));
    assert_int_equal(nc_spiffe_policy_add(p, "spiffe://td/ns/bridge/sa/cli", &err), 0);
    assert_int_equal(nc_spiffe_policy_add(p, "spiffe://td/ns/pods/*", &err), 0);
    assert_true(nc_spiffe_policy_add(p, "spiffe://td", &err) < 0);
    assert_int_equal(nc_spiffe_policy_count(p), 2);
    assert_true(nc_spiffe_policy_allows(p, &a));
    assert_true(nc_spiffe_policy_allows(p, &b));
    assert_false(nc_spiffe_policy_allows(p, &c));
    struct nc_spiffe_policy *q = nc_spiffe_policy_dup(p, &err);
    assert_non_null(q);
    assert_int_equal(nc_spiffe_policy_count(q), 2);
    assert_true(nc_spiffe_policy_allows(q, &b));
    assert_false(nc_spiffe_policy_allows(q, &c));
    assert_int_equal(nc_spiffe_policy_rule(q, 1)->kind, NC_SPIFFE_RULE_PREFIX);
    assert_null(nc_spiffe_policy_rule(q, 2));
    nc_spiffe_policy_free(q);
    nc_spiffe_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_embedded_nul), cmocka_unit_test(test_flags),
        cmocka_unit_test(test_lengths),      cmocka_unit_test(test_parts),
        cmocka_unit_test(test_workload),     cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rule_syntax),  cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
