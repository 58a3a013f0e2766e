/* SPDX-License-Identifier: Apache-2.0 */
/* The ReDoS screen: the dangerous shapes are refused, ordinary patterns pass, escapes and
 * classes are not misread, and the refusal survives wrapping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/validate.h"

static int check(const char *re, struct nc_invalid *why)
{
    memset(why, 0, sizeof(*why));
    return nc_redos_check(re, strlen(re), why);
}

static void expect_safe(const char *re)
{
    struct nc_invalid why;
    int rc = check(re, &why);
    if (rc != 0)
        print_error("pattern '%s' rejected: %s at %zu\n", re, why.reason, why.offset);
    assert_int_equal(rc, 0);
}

/* reason_part: a substring the reason must contain (NULL: any). */
static void expect_unsafe(const char *re, const char *reason_part)
{
    struct nc_invalid why;
    int rc = check(re, &why);
    if (rc == 0)
        print_error("pattern '%s' accepted\n", re);
    assert_int_equal(rc, -1);
    assert_non_null(why.reason);
    assert_string_equal(why.field, "pattern");
    assert_true(why.offset <= strlen(re));
    assert_int_equal(why.index, 0);
    if (reason_part != NULL && strstr(why.reason, reason_part) == NULL) {
        print_error("pattern '%s': reason '%s' lacks '%s'\n", re, why.reason, reason_part);
        fail();
    }
}

#define NESTED "nested quantifier"
#define OVERLAP "overlapping alternatives"
#define BOUND "bound above 100"
#define PRODUCT "product of bounds"
#define AMBIG "too ambiguous"
#define QQ "quantifier follows a quantifier"
#define NOTHING "does not follow a repeatable item"

#define UNSAFE(name, re, part)                                                                    \
    static void name(void **state)                                                            \
    {                                                                                         \
        (void)state;                                                                          \
        expect_unsafe(re, part);                                                              \
    }
#define SAFE(name, re)                                                                        \
    static void name(void **state)                                                            \
    {                                                                                         \
        (void)state;                                                                          \
        expect_safe(re);                                                                      \
    }

/* ---- the required unsafe shapes ---- */
UNSAFE(unsafe_plus_plus, "(a+)+", NESTED)
UNSAFE(unsafe_star_star, "(a*)*", NESTED)
UNSAFE(unsafe_class_plus_star, "([a-z]+)*", NESTED)
UNSAFE(unsafe_double_group, "((a+))+", NESTED)
UNSAFE(unsafe_noncapture, "(?:a+)+", NESTED)
UNSAFE(unsafe_alt_same, "(a|a)+", OVERLAP)
UNSAFE(unsafe_alt_prefix, "(a|ab)*", OVERLAP)
UNSAFE(unsafe_alt_classes, "(\\w|\\d)+", OVERLAP)
UNSAFE(unsafe_open_bound_1000, "a{1000,}", BOUND)
UNSAFE(unsafe_bound_101, "a{101}", BOUND)
UNSAFE(unsafe_nested_counted, "(a{10}){20}", PRODUCT)
UNSAFE(unsafe_xx_plus_y, "(x+x+)+y", NESTED)
/* ---- more nesting ---- */
UNSAFE(unsafe_alt_inner_plus, "(a|b+)*", NESTED)
UNSAFE(unsafe_noncapture_capture, "(?:(a+))*", NESTED)
UNSAFE(unsafe_deep_nesting, "((((((a*)))))){2,}", NESTED)
UNSAFE(unsafe_question_inside_plus, "(a?)+", NESTED)
UNSAFE(unsafe_counted_inside_star, "(a{1,3})*", NESTED)
UNSAFE(unsafe_open_counted_outer, "(a+){2,}", NESTED)
UNSAFE(unsafe_bounded_outer_unbounded_inner, "(a+){2}", NESTED)
UNSAFE(unsafe_lazy_inner, "(a+?)+", NESTED)
UNSAFE(unsafe_possessive_outer, "(a+)++", NESTED)
UNSAFE(unsafe_lookahead_repeat, "(?=a+)+", NESTED)
UNSAFE(unsafe_atomic_conservative, "(?>a+)+", NESTED)
UNSAFE(unsafe_named_group, "(?<n>a+)+", NESTED)
UNSAFE(unsafe_python_named, "(?P<n>a+)*", NESTED)
UNSAFE(unsafe_quote_inside, "(\\Qa\\E+)+", NESTED)
UNSAFE(unsafe_escape_class_inner, "(\\s*,)+", NESTED)
UNSAFE(unsafe_after_comment, "(a(?#c)+)+", NESTED)
UNSAFE(unsafe_options_group, "(?i:a+)+", NESTED)
UNSAFE(unsafe_nested_in_middle, "^x(y|z(w+))*$", NESTED)
/* ---- overlapping alternation ---- */
UNSAFE(unsafe_dot_alt, "(.|x)*", OVERLAP)
UNSAFE(unsafe_empty_alt_last, "(a|)+", OVERLAP)
UNSAFE(unsafe_empty_alt_first, "(|a)+", OVERLAP)
UNSAFE(unsafe_optional_first, "(a?b|b)+", OVERLAP)
UNSAFE(unsafe_case_insensitive, "(a|A)+", OVERLAP)
UNSAFE(unsafe_escaped_literal_alt, "(\\.|\\.)+", OVERLAP)
UNSAFE(unsafe_class_alt, "([ab]|a)+", OVERLAP)
UNSAFE(unsafe_group_first_alt, "((?:a)|b)+", OVERLAP)
UNSAFE(unsafe_third_alt, "(ab|cd|ae)*", OVERLAP)
UNSAFE(unsafe_alt_counted, "(a|ab){3}", OVERLAP)
UNSAFE(unsafe_alt_open_counted, "(a|ab){1,}", OVERLAP)
UNSAFE(unsafe_anchor_alt, "(^a|a)+", OVERLAP)
UNSAFE(unsafe_inner_overlap, "((b|bc)(cb|b))+", OVERLAP)
UNSAFE(unsafe_utf8_alt, "(\xc3\xa9|\xc3\xa8)+", OVERLAP)
UNSAFE(unsafe_inline_caseless, "(?i)(a|A)+", OVERLAP)
/* ---- backreferences ---- */
UNSAFE(unsafe_backref_in_repeat, "(a)(b\\1)+", "backreference")
UNSAFE(unsafe_named_backref_in_repeat, "(?<n>a)(\\k<n>b)*", "backreference")
UNSAFE(unsafe_g_backref_in_repeat, "(a)(\\g{1}c)+", "backreference")
UNSAFE(unsafe_p_backref_in_repeat, "(?P<n>a)((?P=n)c)+", "backreference")
/* ---- counted repetition ---- */
UNSAFE(unsafe_open_bound_101, "a{101,}", BOUND)
UNSAFE(unsafe_range_bound, "a{1,101}", BOUND)
UNSAFE(unsafe_comma_first, "a{,101}", BOUND)
UNSAFE(unsafe_spaced_bound, "a{ 101 }", BOUND)
UNSAFE(unsafe_huge_number, "a{99999999999999999999}", BOUND)
UNSAFE(unsafe_min_above_max, "a{3,2}", "minimum above maximum")
UNSAFE(unsafe_product_range, "(a{2,3}){40}", PRODUCT)
UNSAFE(unsafe_product_three_levels, "((a{5}){5}){5}", PRODUCT)
UNSAFE(unsafe_optional_counted, "(a?){20}", AMBIG)
UNSAFE(unsafe_flat_optionals, "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaa", AMBIG)
UNSAFE(unsafe_three_ranges, "a{0,100}b{0,100}c{0,100}", AMBIG)
UNSAFE(unsafe_ranges_in_group, "(x{0,10}y{0,10}){5}", AMBIG)
/* ---- quantifier after quantifier, quantifier on nothing ---- */
UNSAFE(unsafe_star_star_flat, "a**", QQ)
UNSAFE(unsafe_plus_star, "a+*", QQ)
UNSAFE(unsafe_question_star, "a?*", QQ)
UNSAFE(unsafe_counted_twice, "a{2}{3}", QQ)
UNSAFE(unsafe_counted_star, "a{2}*", QQ)
UNSAFE(unsafe_lazy_then_plus, "a+?+", QQ)
UNSAFE(unsafe_possessive_then_q, "a++?", QQ)
UNSAFE(unsafe_three_questions, "a???", QQ)
UNSAFE(unsafe_group_plus_star, "(ab)+*", QQ)
UNSAFE(unsafe_leading_star, "*a", NOTHING)
UNSAFE(unsafe_leading_plus, "+", NOTHING)
UNSAFE(unsafe_star_after_paren, "(*a)", "(*VERB)")
UNSAFE(unsafe_quantifier_after_open, "(?:+a)", NOTHING)
UNSAFE(unsafe_quantifier_after_bar, "a|*b", NOTHING)
UNSAFE(unsafe_leading_counted, "{2}a", NOTHING)
UNSAFE(unsafe_option_then_star, "(?i)*", NOTHING)
/* ---- constructs refused outright ---- */
UNSAFE(unsafe_recursion_r, "(a|(?R))+", "recursion")
UNSAFE(unsafe_recursion_number, "(a(?1)?b)", "recursion")
UNSAFE(unsafe_recursion_relative, "(a(?-1)?b)", "recursion")
UNSAFE(unsafe_recursion_name, "(?<n>a(?&n)?)", "recursion")
UNSAFE(unsafe_recursion_python, "(?P<n>a(?P>n)?)", "recursion")
UNSAFE(unsafe_subroutine_g, "(a)\\g<1>", "subroutine")
UNSAFE(unsafe_subroutine_g_quote, "(a)\\g'1'", "subroutine")
UNSAFE(unsafe_conditional, "(a)?(?(1)b|c)", "conditional")
UNSAFE(unsafe_callout, "a(?C1)b", "callout")
UNSAFE(unsafe_verb, "(*UTF)a", "(*VERB)")
UNSAFE(unsafe_limit_verb, "(*LIMIT_MATCH=99999999)a", "(*VERB)")
UNSAFE(unsafe_extended, "(?x)(a +) +", "extended")
UNSAFE(unsafe_extended_group, "(?x:a)", "extended")
UNSAFE(unsafe_option_sign, "(?-i+x)", "unrecognised")
UNSAFE(unsafe_unknown_option, "(?Z)", "unrecognised")
/* ---- syntax errors ---- */
UNSAFE(unsafe_missing_close, "(a", "missing closing")
UNSAFE(unsafe_unmatched_close, "a)", "unmatched")
UNSAFE(unsafe_unterminated_class, "[a", "unterminated character class")
UNSAFE(unsafe_unterminated_class_bracket_first, "[]", "unterminated character class")
UNSAFE(unsafe_unterminated_negated_bracket, "[^]", "unterminated character class")
UNSAFE(unsafe_class_escape_at_end, "[a\\", "unterminated character class")
UNSAFE(unsafe_trailing_backslash, "a\\", "backslash")
UNSAFE(unsafe_unterminated_comment, "a(?#b", "comment")
UNSAFE(unsafe_unterminated_hex, "\\x{41", "unterminated")
UNSAFE(unsafe_bad_group_name, "(?<a-b>x)", "group name")
UNSAFE(unsafe_bad_k, "\\kx", "\\k")
UNSAFE(unsafe_bad_g, "\\gx", "\\g")
UNSAFE(unsafe_c_at_end, "\\c", "\\c")
UNSAFE(unsafe_unterminated_group_q, "(?", "unterminated")

/* ---- the required safe patterns ---- */
SAFE(safe_plus, "a+")
SAFE(safe_class_plus, "[a-z]+")
SAFE(safe_alternation, "foo|bar")
SAFE(safe_counted_range, "a{1,10}")
SAFE(safe_escaped_parens, "\\(a+\\)+")
SAFE(safe_inside_class, "[(a+)+]")
SAFE(safe_disjoint_alt_plus, "(a|b)+")
SAFE(safe_email, "^[\\w.-]+@example\\.com$")
SAFE(safe_error_digits, "error:\\s+\\d+")
/* ---- more safe ---- */
SAFE(safe_disjoint_words_star, "(foo|bar)*")
SAFE(safe_lazy_plus, "a+?")
SAFE(safe_lazy_star, "a*?")
SAFE(safe_possessive_plus, "a++")
SAFE(safe_possessive_star, "a*+")
SAFE(safe_lazy_question, "a??")
SAFE(safe_possessive_question, "a?+")
SAFE(safe_lazy_counted, "a{2}?")
SAFE(safe_possessive_counted, "a{2,5}+")
SAFE(safe_bound_100, "a{100}")
SAFE(safe_open_bound_100, "a{100,}")
SAFE(safe_range_100, "[a-z]{1,100}")
SAFE(safe_zero_repeat, "x{0}")
SAFE(safe_product_100, "(a{10}){10}")
SAFE(safe_ipv4, "^(\\d{1,3}\\.){3}\\d{1,3}$")
SAFE(safe_fixed_inside_plus, "(a{2})+")
SAFE(safe_fixed_inside_star, "(\\d{4}-)*")
SAFE(safe_disjoint_counted, "(ab|cd){1,10}")
SAFE(safe_two_ranges, "a{0,100}b{0,100}")
SAFE(safe_optional_group_overlap, "(a|ab)?c")
SAFE(safe_unquantified_overlap, "(a|a)")
SAFE(safe_plain_group_plus, "(abc)+")
SAFE(safe_class_group_plus, "([a-z]\\d)+")
SAFE(safe_posix_class, "[[:alpha:]]+")
SAFE(safe_posix_group, "([[:alpha:]])+")
SAFE(safe_posix_not_terminated, "[[:a]+")
SAFE(safe_bracket_first, "[]a]+")
SAFE(safe_negated_bracket_first, "[^]a]+")
SAFE(safe_escaped_bracket, "[a\\]]+")
SAFE(safe_class_with_parens_quantifiers, "[+*?{}()|]+")
SAFE(safe_class_quote, "[\\Q]\\E]+")
SAFE(safe_class_hex_brace, "[\\x{5d}a]+")
SAFE(safe_escaped_braces, "a\\{1000\\}")
SAFE(safe_braces_in_class, "[{1000}]")
SAFE(safe_literal_brace_open, "a{")
SAFE(safe_literal_brace_word, "a{x}")
SAFE(safe_literal_brace_empty, "a{}")
SAFE(safe_literal_brace_comma, "a{,}")
SAFE(safe_literal_brace_unterminated, "x{1,2")
SAFE(safe_literal_brace_letter, "a{1,x}")
SAFE(safe_literal_brace_alone, "{")
SAFE(safe_closing_brace_bracket, "]}")
SAFE(safe_quote_block, "\\Q(a+)+\\E")
SAFE(safe_quote_unterminated, "\\Q(a+)+")
SAFE(safe_lone_e, "a\\E+")
SAFE(safe_comment, "(?#a++ [x)a+")
UNSAFE(unsafe_comment_ends_at_paren, "(?#(a+)+)a+", NOTHING)
SAFE(safe_comment_between, "a(?#c)+")
SAFE(safe_options, "(?i)foo")
SAFE(safe_options_reset, "(?^i)foo")
SAFE(safe_unset_extended, "(?-x)a+")
SAFE(safe_options_group, "(?i:foo|bar)+")
SAFE(safe_named_disjoint, "(?<n>a|b)+")
SAFE(safe_backref_outside, "(\\w+)\\s+\\1")
SAFE(safe_named_backref_outside, "(?<w>\\w+) \\k<w>")
SAFE(safe_g_relative, "(a)\\g-1")
SAFE(safe_lookbehind, "(?<=x)a+")
SAFE(safe_negative_lookahead, "foo(?!bar)")
SAFE(safe_branch_reset, "(?|a|b)c")
SAFE(safe_escaped_backslash, "\\\\+")
SAFE(safe_hex_escape, "\\x41+\\x{263a}")
SAFE(safe_unicode_property, "\\p{L}+\\pN*")
SAFE(safe_utf8_literal, "\xc3\xa9+")
SAFE(safe_empty, "")
SAFE(safe_bar_only, "|")
SAFE(safe_anchors, "^$")
SAFE(safe_dot_star, ".*")
SAFE(safe_log_line, "^\\S+ \\S+ \\[[^]]*\\] \"[^\"]*\" \\d{3} \\d+$")
SAFE(safe_rust_fn, "fn\\s+\\w+\\s*\\(")
SAFE(safe_todo, "TODO|FIXME|XXX")
SAFE(safe_octal, "\\012+")
SAFE(safe_control_escape, "\\cA+")

/* Depth: 32 nested groups pass, 33 are refused at the 33rd '('. */
static void nested_groups(char *buf, size_t depth)
{
    size_t k = 0;
    for (size_t i = 0; i < depth; i++)
        buf[k++] = '(';
    buf[k++] = 'a';
    for (size_t i = 0; i < depth; i++)
        buf[k++] = ')';
    buf[k] = '\0';
}

static void depth_32_accepted(void **state)
{
    char buf[128];
    (void)state;
    nested_groups(buf, NC_REDOS_MAX_DEPTH);
    expect_safe(buf);
}

static void depth_33_rejected(void **state)
{
    char buf[128];
    struct nc_invalid why;
    (void)state;
    nested_groups(buf, NC_REDOS_MAX_DEPTH + 1u);
    assert_int_equal(check(buf, &why), -1);
    assert_string_equal(why.reason, "groups nested deeper than 32");
    assert_int_equal(why.offset, 32);
}

static void depth_deep_alternation_rejected(void **state)
{
    char buf[4096];
    size_t k = 0;
    (void)state;
    for (int i = 0; i < 1000; i++)
        buf[k++] = '(';
    buf[k] = '\0';
    expect_unsafe(buf, "deeper than 32");
}

static void offsets_point_at_problem(void **state)
{
    struct nc_invalid why;
    (void)state;
    assert_int_equal(check("(a+)+", &why), -1);
    assert_int_equal(why.offset, 4);
    assert_int_equal(check("xa{101}", &why), -1);
    assert_int_equal(why.offset, 2);
    assert_int_equal(check("ab(c", &why), -1);
    assert_int_equal(why.offset, 2);
    assert_int_equal(check("ab)c", &why), -1);
    assert_int_equal(why.offset, 2);
    assert_int_equal(check("x[abc", &why), -1);
    assert_int_equal(why.offset, 1);
    assert_int_equal(check("(a|a)*", &why), -1);
    assert_int_equal(why.offset, 5);
}

static void embedded_nul_is_a_literal(void **state)
{
    struct nc_invalid why;
    (void)state;
    /* nc_redos_check itself does not police bytes (nc_validate_pattern does); it must not
     * stop at a NUL either. */
    assert_int_equal(nc_redos_check("a\0(b+)+", 7, &why), -1);
    assert_int_equal(nc_redos_check("a\0b+", 4, &why), 0);
}

static void null_and_why_null(void **state)
{
    struct nc_invalid why;
    (void)state;
    assert_int_equal(nc_redos_check(NULL, 0, &why), 0);
    assert_int_equal(nc_redos_check(NULL, 3, &why), -1);
    assert_int_equal(nc_redos_check("(a+)+", 5, NULL), -1);
    assert_int_equal(nc_redos_check("a+", 2, NULL), 0);
}

static void length_is_respected(void **state)
{
    struct nc_invalid why;
    (void)state;
    /* Only the first 2 bytes are the pattern: "(a" is unbalanced, "a+" is fine. */
    assert_int_equal(nc_redos_check("(a+)+", 2, &why), -1);
    assert_int_equal(nc_redos_check("a+)+", 2, &why), 0);
}

/* Every ReDoS-class unsafe pattern stays unsafe in any context. */
static const char *const dangerous[] = {
    "(a+)+", "(a*)*", "([a-z]+)*", "((a+))+", "(?:a+)+", "(a|a)+", "(a|ab)*", "(\\w|\\d)+",
    "a{1000,}", "a{101}", "(a{10}){20}", "(x+x+)+y", "(a|b+)*", "(.|x)*", "(a?){20}",
    "((b|bc)(cb|b))+", "(a)(b\\1)+",
};

static void unsafe_survives_wrapping(void **state)
{
    static const char *const wraps[][2] = {
        {"", ""},     {"(", ")"},       {"(?:", ")"},   {"x", ""},     {"", "y"},
        {"(?:", "|zz)"}, {"^", "$"},    {"(?i)", ""},   {"[a]", "[b]"}, {"\\(", "\\)"},
        {"(?<n>", ")"}, {"(?=", ")"},   {"a+", ""},     {"", "(?#c)"}, {"(?:zz|", ")"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(dangerous) / sizeof(dangerous[0]); i++) {
        for (size_t w = 0; w < sizeof(wraps) / sizeof(wraps[0]); w++) {
            char buf[256];
            int n = snprintf(buf, sizeof(buf), "%s%s%s", wraps[w][0], dangerous[i], wraps[w][1]);
            assert_true(n > 0 && (size_t)n < sizeof(buf));
            expect_unsafe(buf, NULL);
        }
    }
}

/* Fixed-seed PRNG (xorshift32) for the property loops. */
static uint32_t rng_state = 0x2545f491u;
static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static const char alphabet[] = "ab()|*+?{},1209[]^-\\.:xQEdw$#<>=!P";

static size_t random_pattern(char *buf, size_t cap)
{
    size_t n = rnd() % cap;
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[rnd() % (sizeof(alphabet) - 1u)];
    buf[n] = '\0';
    return n;
}

/* Random patterns: never crash, always answer, reasons static and offsets in range. */
static void property_random_patterns_answer(void **state)
{
    (void)state;
    for (int t = 0; t < 200000; t++) {
        char buf[40];
        struct nc_invalid why;
        size_t n = random_pattern(buf, 32);
        memset(&why, 0, sizeof(why));
        int rc = nc_redos_check(buf, n, &why);
        assert_true(rc == 0 || rc == -1);
        if (rc < 0) {
            assert_non_null(why.reason);
            assert_true(why.offset <= n);
        }
        /* Deterministic. */
        assert_int_equal(nc_redos_check(buf, n, NULL), rc);
    }
}

/* Quoting anything (without \E) with \Q...\E makes it safe. */
static void property_quoted_is_safe(void **state)
{
    (void)state;
    for (int t = 0; t < 50000; t++) {
        char raw[40], buf[64];
        random_pattern(raw, 32);
        if (strstr(raw, "\\E") != NULL)
            continue;
        int n = snprintf(buf, sizeof(buf), "\\Q%s\\E", raw);
        assert_true(n > 0 && (size_t)n < sizeof(buf));
        expect_safe(buf);
    }
}

/* Anything inside a class (without ']', '\\' or '[') followed by + is safe. */
static void property_class_is_safe(void **state)
{
    (void)state;
    for (int t = 0; t < 50000; t++) {
        char raw[40], buf[64];
        size_t n = random_pattern(raw, 32), k = 0;
        for (size_t i = 0; i < n; i++)
            if (raw[i] != ']' && raw[i] != '\\' && raw[i] != '[')
                raw[k++] = raw[i];
        raw[k] = '\0';
        int m = snprintf(buf, sizeof(buf), "[x%s]+", raw);
        assert_true(m > 0 && (size_t)m < sizeof(buf));
        expect_safe(buf);
    }
}

/* Rejection is monotone under appending: if P is refused for a ReDoS reason at offset o,
 * then P followed by a literal is refused too. */
static void property_unsafe_prefix_stays_unsafe(void **state)
{
    (void)state;
    for (int t = 0; t < 100000; t++) {
        char buf[48];
        struct nc_invalid why;
        size_t n = random_pattern(buf, 32);
        if (nc_redos_check(buf, n, &why) == 0)
            continue;
        if (strstr(why.reason, "nested") == NULL && strstr(why.reason, "overlapping") == NULL)
            continue;
        /* Anything that would close an open \Q or class could change the reading; only
         * append when the refusal came from a quantifier, which is final. */
        buf[n] = 'z';
        buf[n + 1u] = '\0';
        struct nc_invalid why2;
        assert_int_equal(nc_redos_check(buf, n + 1u, &why2), -1);
    }
}

/* The longest pattern nc_validate_pattern allows: linear work, no stack issue. */
static void long_patterns(void **state)
{
    char buf[NC_MAX_PATTERN + 1];
    (void)state;
    memset(buf, 'a', NC_MAX_PATTERN);
    buf[NC_MAX_PATTERN] = '\0';
    expect_safe(buf);
    for (size_t i = 0; i + 2 <= NC_MAX_PATTERN; i += 2) {
        buf[i] = '(';
        buf[i + 1] = ')';
    }
    expect_safe(buf);
    /* "[][]" is one class holding ']' and '[' (a ']' first is a member). */
    for (size_t i = 0; i < NC_MAX_PATTERN; i++)
        buf[i] = "[]"[i % 2];
    expect_safe(buf);
    buf[0] = '[';
    memset(buf + 1, 'a', NC_MAX_PATTERN - 1u);
    expect_unsafe(buf, "unterminated character class");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unsafe_plus_plus),
        cmocka_unit_test(unsafe_star_star),
        cmocka_unit_test(unsafe_class_plus_star),
        cmocka_unit_test(unsafe_double_group),
        cmocka_unit_test(unsafe_noncapture),
        cmocka_unit_test(unsafe_alt_same),
        cmocka_unit_test(unsafe_alt_prefix),
        cmocka_unit_test(unsafe_alt_classes),
        cmocka_unit_test(unsafe_open_bound_1000),
        cmocka_unit_test(unsafe_bound_101),
        cmocka_unit_test(unsafe_nested_counted),
        cmocka_unit_test(unsafe_xx_plus_y),
        cmocka_unit_test(unsafe_alt_inner_plus),
        cmocka_unit_test(unsafe_noncapture_capture),
        cmocka_unit_test(unsafe_deep_nesting),
        cmocka_unit_test(unsafe_question_inside_plus),
        cmocka_unit_test(unsafe_counted_inside_star),
        cmocka_unit_test(unsafe_open_counted_outer),
        cmocka_unit_test(unsafe_bounded_outer_unbounded_inner),
        cmocka_unit_test(unsafe_lazy_inner),
        cmocka_unit_test(unsafe_possessive_outer),
        cmocka_unit_test(unsafe_lookahead_repeat),
        cmocka_unit_test(unsafe_atomic_conservative),
        cmocka_unit_test(unsafe_named_group),
        cmocka_unit_test(unsafe_python_named),
        cmocka_unit_test(unsafe_quote_inside),
        cmocka_unit_test(unsafe_escape_class_inner),
        cmocka_unit_test(unsafe_after_comment),
        cmocka_unit_test(unsafe_options_group),
        cmocka_unit_test(unsafe_nested_in_middle),
        cmocka_unit_test(unsafe_dot_alt),
        cmocka_unit_test(unsafe_empty_alt_last),
        cmocka_unit_test(unsafe_empty_alt_first),
        cmocka_unit_test(unsafe_optional_first),
        cmocka_unit_test(unsafe_case_insensitive),
        cmocka_unit_test(unsafe_escaped_literal_alt),
        cmocka_unit_test(unsafe_class_alt),
        cmocka_unit_test(unsafe_group_first_alt),
        cmocka_unit_test(unsafe_third_alt),
        cmocka_unit_test(unsafe_alt_counted),
        cmocka_unit_test(unsafe_alt_open_counted),
        cmocka_unit_test(unsafe_anchor_alt),
        cmocka_unit_test(unsafe_inner_overlap),
        cmocka_unit_test(unsafe_utf8_alt),
        cmocka_unit_test(unsafe_inline_caseless),
        cmocka_unit_test(unsafe_backref_in_repeat),
        cmocka_unit_test(unsafe_named_backref_in_repeat),
        cmocka_unit_test(unsafe_g_backref_in_repeat),
        cmocka_unit_test(unsafe_p_backref_in_repeat),
        cmocka_unit_test(unsafe_open_bound_101),
        cmocka_unit_test(unsafe_range_bound),
        cmocka_unit_test(unsafe_comma_first),
        cmocka_unit_test(unsafe_spaced_bound),
        cmocka_unit_test(unsafe_huge_number),
        cmocka_unit_test(unsafe_min_above_max),
        cmocka_unit_test(unsafe_product_range),
        cmocka_unit_test(unsafe_product_three_levels),
        cmocka_unit_test(unsafe_optional_counted),
        cmocka_unit_test(unsafe_flat_optionals),
        cmocka_unit_test(unsafe_three_ranges),
        cmocka_unit_test(unsafe_ranges_in_group),
        cmocka_unit_test(unsafe_star_star_flat),
        cmocka_unit_test(unsafe_plus_star),
        cmocka_unit_test(unsafe_question_star),
        cmocka_unit_test(unsafe_counted_twice),
        cmocka_unit_test(unsafe_counted_star),
        cmocka_unit_test(unsafe_lazy_then_plus),
        cmocka_unit_test(unsafe_possessive_then_q),
        cmocka_unit_test(unsafe_three_questions),
        cmocka_unit_test(unsafe_group_plus_star),
        cmocka_unit_test(unsafe_leading_star),
        cmocka_unit_test(unsafe_leading_plus),
        cmocka_unit_test(unsafe_star_after_paren),
        cmocka_unit_test(unsafe_quantifier_after_open),
        cmocka_unit_test(unsafe_quantifier_after_bar),
        cmocka_unit_test(unsafe_leading_counted),
        cmocka_unit_test(unsafe_option_then_star),
        cmocka_unit_test(unsafe_recursion_r),
        cmocka_unit_test(unsafe_recursion_number),
        cmocka_unit_test(unsafe_recursion_relative),
        cmocka_unit_test(unsafe_recursion_name),
        cmocka_unit_test(unsafe_recursion_python),
        cmocka_unit_test(unsafe_subroutine_g),
        cmocka_unit_test(unsafe_subroutine_g_quote),
        cmocka_unit_test(unsafe_conditional),
        cmocka_unit_test(unsafe_callout),
        cmocka_unit_test(unsafe_verb),
        cmocka_unit_test(unsafe_limit_verb),
        cmocka_unit_test(unsafe_extended),
        cmocka_unit_test(unsafe_extended_group),
        cmocka_unit_test(unsafe_option_sign),
        cmocka_unit_test(unsafe_unknown_option),
        cmocka_unit_test(unsafe_missing_close),
        cmocka_unit_test(unsafe_unmatched_close),
        cmocka_unit_test(unsafe_unterminated_class),
        cmocka_unit_test(unsafe_unterminated_class_bracket_first),
        cmocka_unit_test(unsafe_unterminated_negated_bracket),
        cmocka_unit_test(unsafe_class_escape_at_end),
        cmocka_unit_test(unsafe_trailing_backslash),
        cmocka_unit_test(unsafe_unterminated_comment),
        cmocka_unit_test(unsafe_unterminated_hex),
        cmocka_unit_test(unsafe_bad_group_name),
        cmocka_unit_test(unsafe_bad_k),
        cmocka_unit_test(unsafe_bad_g),
        cmocka_unit_test(unsafe_c_at_end),
        cmocka_unit_test(unsafe_unterminated_group_q),
        cmocka_unit_test(safe_plus),
        cmocka_unit_test(safe_class_plus),
        cmocka_unit_test(safe_alternation),
        cmocka_unit_test(safe_counted_range),
        cmocka_unit_test(safe_escaped_parens),
        cmocka_unit_test(safe_inside_class),
        cmocka_unit_test(safe_disjoint_alt_plus),
        cmocka_unit_test(safe_email),
        cmocka_unit_test(safe_error_digits),
        cmocka_unit_test(safe_disjoint_words_star),
        cmocka_unit_test(safe_lazy_plus),
        cmocka_unit_test(safe_lazy_star),
        cmocka_unit_test(safe_possessive_plus),
        cmocka_unit_test(safe_possessive_star),
        cmocka_unit_test(safe_lazy_question),
        cmocka_unit_test(safe_possessive_question),
        cmocka_unit_test(safe_lazy_counted),
        cmocka_unit_test(safe_possessive_counted),
        cmocka_unit_test(safe_bound_100),
        cmocka_unit_test(safe_open_bound_100),
        cmocka_unit_test(safe_range_100),
        cmocka_unit_test(safe_zero_repeat),
        cmocka_unit_test(safe_product_100),
        cmocka_unit_test(safe_ipv4),
        cmocka_unit_test(safe_fixed_inside_plus),
        cmocka_unit_test(safe_fixed_inside_star),
        cmocka_unit_test(safe_disjoint_counted),
        cmocka_unit_test(safe_two_ranges),
        cmocka_unit_test(safe_optional_group_overlap),
        cmocka_unit_test(safe_unquantified_overlap),
        cmocka_unit_test(safe_plain_group_plus),
        cmocka_unit_test(safe_class_group_plus),
        cmocka_unit_test(safe_posix_class),
        cmocka_unit_test(safe_posix_group),
        cmocka_unit_test(safe_posix_not_terminated),
        cmocka_unit_test(safe_bracket_first),
        cmocka_unit_test(safe_negated_bracket_first),
        cmocka_unit_test(safe_escaped_bracket),
        cmocka_unit_test(safe_class_with_parens_quantifiers),
        cmocka_unit_test(safe_class_quote),
        cmocka_unit_test(safe_class_hex_brace),
        cmocka_unit_test(safe_escaped_braces),
        cmocka_unit_test(safe_braces_in_class),
        cmocka_unit_test(safe_literal_brace_open),
        cmocka_unit_test(safe_literal_brace_word),
        cmocka_unit_test(safe_literal_brace_empty),
        cmocka_unit_test(safe_literal_brace_comma),
        cmocka_unit_test(safe_literal_brace_unterminated),
        cmocka_unit_test(safe_literal_brace_letter),
        cmocka_unit_test(safe_literal_brace_alone),
        cmocka_unit_test(safe_closing_brace_bracket),
        cmocka_unit_test(safe_quote_block),
        cmocka_unit_test(safe_quote_unterminated),
        cmocka_unit_test(safe_lone_e),
        cmocka_unit_test(safe_comment),
        cmocka_unit_test(unsafe_comment_ends_at_paren),
        cmocka_unit_test(safe_comment_between),
        cmocka_unit_test(safe_options),
        cmocka_unit_test(safe_options_reset),
        cmocka_unit_test(safe_unset_extended),
        cmocka_unit_test(safe_options_group),
        cmocka_unit_test(safe_named_disjoint),
        cmocka_unit_test(safe_backref_outside),
        cmocka_unit_test(safe_named_backref_outside),
        cmocka_unit_test(safe_g_relative),
        cmocka_unit_test(safe_lookbehind),
        cmocka_unit_test(safe_negative_lookahead),
        cmocka_unit_test(safe_branch_reset),
        cmocka_unit_test(safe_escaped_backslash),
        cmocka_unit_test(safe_hex_escape),
        cmocka_unit_test(safe_unicode_property),
        cmocka_unit_test(safe_utf8_literal),
        cmocka_unit_test(safe_empty),
        cmocka_unit_test(safe_bar_only),
        cmocka_unit_test(safe_anchors),
        cmocka_unit_test(safe_dot_star),
        cmocka_unit_test(safe_log_line),
        cmocka_unit_test(safe_rust_fn),
        cmocka_unit_test(safe_todo),
        cmocka_unit_test(safe_octal),
        cmocka_unit_test(safe_control_escape),
        cmocka_unit_test(depth_32_accepted),
        cmocka_unit_test(depth_33_rejected),
        cmocka_unit_test(depth_deep_alternation_rejected),
        cmocka_unit_test(offsets_point_at_problem),
        cmocka_unit_test(embedded_nul_is_a_literal),
        cmocka_unit_test(null_and_why_null),
        cmocka_unit_test(length_is_respected),
        cmocka_unit_test(unsafe_survives_wrapping),
        cmocka_unit_test(property_random_patterns_answer),
        cmocka_unit_test(property_quoted_is_safe),
        cmocka_unit_test(property_class_is_safe),
        cmocka_unit_test(property_unsafe_prefix_stays_unsafe),
        cmocka_unit_test(long_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
