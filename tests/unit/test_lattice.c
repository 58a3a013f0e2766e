/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the capability lattice (src/core/lattice.h): level tables, the product,
 * reversed obligations, the uninhabitable-state rule and its normalizer, names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/lattice.h"

#include <string.h>

static const enum nc_level levels[NC_LEVEL_COUNT] = {NC_NEVER, NC_LOW_RISK, NC_ALWAYS};

/* Caps with every level Never except the listed operations, which are set to `l`. */
static struct nc_caps caps_with(enum nc_level l, nc_opset ops)
{
    struct nc_caps c;
    nc_caps_fill(&c, NC_NEVER);
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if ((ops & NC_OPSET_BIT(i)) != 0)
            c.level[i] = (uint8_t)l;
    return c;
}

/* The i-th element of the 3^11 product, in base 3. */
static struct nc_caps caps_nth(uint32_t n)
{
    struct nc_caps c;
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        c.level[i] = (uint8_t)(n % 3u);
        n /= 3u;
    }
    return c;
}

#define CAPS_TOTAL 177147u /* 3^11 */

/* ---- levels ------------------------------------------------------------------------- */

static void level_meet_table(void **state)
{
    (void)state;
    static const enum nc_level want[3][3] = {
        {NC_NEVER, NC_NEVER, NC_NEVER},
        {NC_NEVER, NC_LOW_RISK, NC_LOW_RISK},
        {NC_NEVER, NC_LOW_RISK, NC_ALWAYS},
    };
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            assert_int_equal(nc_level_meet(levels[a], levels[b]), want[a][b]);
}

static void level_join_table(void **state)
{
    (void)state;
    static const enum nc_level want[3][3] = {
        {NC_NEVER, NC_LOW_RISK, NC_ALWAYS},
        {NC_LOW_RISK, NC_LOW_RISK, NC_ALWAYS},
        {NC_ALWAYS, NC_ALWAYS, NC_ALWAYS},
    };
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            assert_int_equal(nc_level_join(levels[a], levels[b]), want[a][b]);
}

static void level_leq_table(void **state)
{
    (void)state;
    static const bool want[3][3] = {
        {true, true, true},
        {false, true, true},
        {false, false, true},
    };
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            assert_int_equal(nc_level_leq(levels[a], levels[b]), want[a][b]);
}

static void level_implies_table(void **state)
{
    (void)state;
    /* a -> b is Always when a <= b, otherwise b. */
    static const enum nc_level want[3][3] = {
        {NC_ALWAYS, NC_ALWAYS, NC_ALWAYS},
        {NC_NEVER, NC_ALWAYS, NC_ALWAYS},
        {NC_NEVER, NC_LOW_RISK, NC_ALWAYS},
    };
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            assert_int_equal(nc_level_implies(levels[a], levels[b]), want[a][b]);
}

static void level_heyting_adjunction_exhaustive(void **state)
{
    (void)state;
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            for (unsigned c = 0; c < 3; c++) {
                bool lhs = nc_level_leq(nc_level_meet(levels[c], levels[a]), levels[b]);
                bool rhs = nc_level_leq(levels[c], nc_level_implies(levels[a], levels[b]));
                assert_int_equal(lhs, rhs);
            }
}

static void level_valid_range(void **state)
{
    (void)state;
    assert_false(nc_level_valid(-1));
    assert_true(nc_level_valid(0));
    assert_true(nc_level_valid(1));
    assert_true(nc_level_valid(2));
    assert_false(nc_level_valid(3));
    assert_false(nc_level_valid(255));
}

/* ---- the product -------------------------------------------------------------------- */

static void caps_fill_sets_every_field(void **state)
{
    (void)state;
    struct nc_caps c;
    for (unsigned l = 0; l < 3; l++) {
        nc_caps_fill(&c, levels[l]);
        for (unsigned i = 0; i < NC_OP_COUNT; i++)
            assert_int_equal(c.level[i], levels[l]);
    }
}

static void caps_meet_join_pointwise(void **state)
{
    (void)state;
    /* every pair of levels appears in some field for these strides */
    for (uint32_t n = 0; n < CAPS_TOTAL; n += 997u) {
        struct nc_caps a = caps_nth(n), b = caps_nth((n * 7u + 13u) % CAPS_TOTAL), m, j, im;
        nc_caps_meet(&a, &b, &m);
        nc_caps_join(&a, &b, &j);
        nc_caps_implies(&a, &b, &im);
        for (unsigned i = 0; i < NC_OP_COUNT; i++) {
            enum nc_level la = (enum nc_level)a.level[i], lb = (enum nc_level)b.level[i];
            assert_int_equal(m.level[i], nc_level_meet(la, lb));
            assert_int_equal(j.level[i], nc_level_join(la, lb));
            assert_int_equal(im.level[i], nc_level_implies(la, lb));
        }
        assert_true(nc_caps_leq(&m, &a));
        assert_true(nc_caps_leq(&m, &b));
        assert_true(nc_caps_leq(&a, &j));
        assert_true(nc_caps_leq(&b, &j));
    }
}

static void caps_ops_may_alias(void **state)
{
    (void)state;
    struct nc_caps a = caps_nth(12345u), b = caps_nth(54321u), want, x;
    nc_caps_meet(&a, &b, &want);
    x = a;
    nc_caps_meet(&x, &b, &x);
    assert_true(nc_caps_eq(&x, &want));
    x = b;
    nc_caps_meet(&a, &x, &x);
    assert_true(nc_caps_eq(&x, &want));
    nc_caps_join(&a, &b, &want);
    x = a;
    nc_caps_join(&x, &b, &x);
    assert_true(nc_caps_eq(&x, &want));
    nc_caps_implies(&a, &b, &want);
    x = a;
    nc_caps_implies(&x, &b, &x);
    assert_true(nc_caps_eq(&x, &want));
}

static void caps_leq_is_fieldwise(void **state)
{
    (void)state;
    struct nc_caps a, b;
    nc_caps_fill(&a, NC_LOW_RISK);
    b = a;
    assert_true(nc_caps_leq(&a, &b));
    assert_true(nc_caps_eq(&a, &b));
    b.level[NC_OP_CREATE_PR] = NC_NEVER; /* last field */
    assert_false(nc_caps_leq(&a, &b));
    assert_true(nc_caps_leq(&b, &a));
    assert_false(nc_caps_eq(&a, &b));
    b.level[NC_OP_READ_FILES] = NC_ALWAYS; /* first field: now incomparable */
    assert_false(nc_caps_leq(&a, &b));
    assert_false(nc_caps_leq(&b, &a));
}

static void caps_valid_rejects_out_of_range(void **state)
{
    (void)state;
    struct nc_caps c;
    nc_caps_fill(&c, NC_ALWAYS);
    assert_true(nc_caps_valid(&c));
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        c.level[i] = 3;
        assert_false(nc_caps_valid(&c));
        c.level[i] = NC_ALWAYS;
    }
}

static void caps_enabled_is_at_least_low_risk(void **state)
{
    (void)state;
    struct nc_caps c;
    nc_caps_fill(&c, NC_NEVER);
    assert_int_equal(nc_caps_enabled(&c), 0);
    c.level[NC_OP_WEB_FETCH] = NC_LOW_RISK;
    c.level[NC_OP_GIT_PUSH] = NC_ALWAYS;
    assert_int_equal(nc_caps_enabled(&c),
                     NC_OPSET_BIT(NC_OP_WEB_FETCH) | NC_OPSET_BIT(NC_OP_GIT_PUSH));
    nc_caps_fill(&c, NC_LOW_RISK);
    assert_int_equal(nc_caps_enabled(&c), NC_OPSET_ALL);
}

static void caps_top_bottom_implication_identities(void **state)
{
    (void)state;
    struct nc_caps top, bot, r;
    nc_caps_fill(&top, NC_ALWAYS);
    nc_caps_fill(&bot, NC_NEVER);
    for (uint32_t n = 0; n < CAPS_TOTAL; n += 101u) {
        struct nc_caps a = caps_nth(n);
        nc_caps_implies(&a, &a, &r);
        assert_true(nc_caps_eq(&r, &top)); /* a -> a = top */
        nc_caps_implies(&top, &a, &r);
        assert_true(nc_caps_eq(&r, &a)); /* top -> a = a */
        nc_caps_implies(&bot, &a, &r);
        assert_true(nc_caps_eq(&r, &top)); /* bottom -> a = top */
        nc_caps_meet(&top, &a, &r);
        assert_true(nc_caps_eq(&r, &a));
        nc_caps_join(&bot, &a, &r);
        assert_true(nc_caps_eq(&r, &a));
    }
}

/* ---- obligations ------------------------------------------------------------------- */

static void oblig_order_is_reversed(void **state)
{
    (void)state;
    nc_opset push = NC_OPSET_BIT(NC_OP_GIT_PUSH), pr = NC_OPSET_BIT(NC_OP_CREATE_PR);
    assert_int_equal(nc_oblig_meet(push, pr), push | pr); /* meet = union */
    assert_int_equal(nc_oblig_join(push | pr, pr), pr);   /* join = intersection */
    assert_true(nc_oblig_leq(push | pr, push));           /* more obligations is smaller */
    assert_false(nc_oblig_leq(push, push | pr));
    assert_true(nc_oblig_leq(NC_OPSET_ALL, 0));
    assert_false(nc_oblig_leq(0, NC_OPSET_ALL));
    assert_true(nc_oblig_leq(0, 0));
    assert_false(nc_oblig_leq(push, pr));
    assert_false(nc_oblig_leq(pr, push));
}

static void oblig_ops_mask_unknown_bits(void **state)
{
    (void)state;
    assert_int_equal(nc_oblig_meet((nc_opset)0xffffu, 0), NC_OPSET_ALL);
    assert_int_equal(nc_oblig_join((nc_opset)0xffffu, (nc_opset)0xffffu), NC_OPSET_ALL);
}

static void oblig_lattice_laws_exhaustive(void **state)
{
    (void)state;
    for (unsigned a = 0; a <= NC_OPSET_ALL; a += 7u)
        for (unsigned b = 0; b <= NC_OPSET_ALL; b += 5u) {
            nc_opset x = (nc_opset)a, y = (nc_opset)b;
            nc_opset m = nc_oblig_meet(x, y), j = nc_oblig_join(x, y);
            assert_true(nc_oblig_leq(m, x));
            assert_true(nc_oblig_leq(m, y));
            assert_true(nc_oblig_leq(x, j));
            assert_true(nc_oblig_leq(y, j));
            assert_int_equal(nc_oblig_leq(x, y), nc_oblig_meet(x, y) == x);
        }
}

/* ---- the uninhabitable state ------------------------------------------------------- */

static const enum nc_op private_ops[] = {NC_OP_READ_FILES, NC_OP_GLOB_SEARCH, NC_OP_GREP_SEARCH};
static const enum nc_op untrusted_ops[] = {NC_OP_WEB_SEARCH, NC_OP_WEB_FETCH};
static const enum nc_op exfil_ops[] = {NC_OP_RUN_BASH, NC_OP_GIT_PUSH, NC_OP_CREATE_PR};

static void uninhabitable_each_leg_via_each_op(void **state)
{
    (void)state;
    for (unsigned l = 1; l < 3; l++)
        for (unsigned p = 0; p < 3; p++)
            for (unsigned u = 0; u < 2; u++)
                for (unsigned x = 0; x < 3; x++) {
                    nc_opset ops = (nc_opset)(NC_OPSET_BIT(private_ops[p]) |
                                              NC_OPSET_BIT(untrusted_ops[u]) |
                                              NC_OPSET_BIT(exfil_ops[x]));
                    struct nc_caps c = caps_with(levels[l], ops);
                    assert_true(nc_uninhabitable(nc_caps_enabled(&c)));
                    assert_int_equal(nc_uninhabitable_legs(nc_caps_enabled(&c)), 3);
                    assert_int_equal(nc_uninhabitable_gates(&c), NC_OPSET_BIT(exfil_ops[x]));
                }
}

static void uninhabitable_missing_leg_is_not_complete(void **state)
{
    (void)state;
    nc_opset legs[3] = {NC_OPSET_PRIVATE, NC_OPSET_UNTRUSTED, NC_OPSET_EXFIL};
    for (unsigned drop = 0; drop < 3; drop++) {
        nc_opset ops = 0;
        for (unsigned k = 0; k < 3; k++)
            if (k != drop)
                ops = (nc_opset)(ops | legs[k]);
        /* the non-trifecta operations never help */
        ops = (nc_opset)(ops | NC_OPSET_BIT(NC_OP_WRITE_FILES) | NC_OPSET_BIT(NC_OP_EDIT_FILES) |
                         NC_OPSET_BIT(NC_OP_GIT_COMMIT));
        struct nc_caps c = caps_with(NC_ALWAYS, ops);
        assert_false(nc_uninhabitable(nc_caps_enabled(&c)));
        assert_int_equal(nc_uninhabitable_legs(nc_caps_enabled(&c)), 2);
        assert_int_equal(nc_uninhabitable_gates(&c), 0);
    }
}

static void glob_only_and_grep_only_are_private(void **state)
{
    (void)state;
    assert_int_equal(nc_uninhabitable_legs(NC_OPSET_BIT(NC_OP_GLOB_SEARCH)), 1);
    assert_int_equal(nc_uninhabitable_legs(NC_OPSET_BIT(NC_OP_GREP_SEARCH)), 1);
    assert_true(nc_uninhabitable((nc_opset)(NC_OPSET_BIT(NC_OP_GLOB_SEARCH) |
                                            NC_OPSET_BIT(NC_OP_WEB_FETCH) |
                                            NC_OPSET_BIT(NC_OP_GIT_PUSH))));
    assert_true(nc_uninhabitable((nc_opset)(NC_OPSET_BIT(NC_OP_GREP_SEARCH) |
                                            NC_OPSET_BIT(NC_OP_WEB_SEARCH) |
                                            NC_OPSET_BIT(NC_OP_CREATE_PR))));
    /* search-only caps: one leg */
    assert_int_equal(nc_uninhabitable_legs(NC_OPSET_BIT(NC_OP_GLOB_SEARCH) |
                                           NC_OPSET_BIT(NC_OP_GREP_SEARCH)),
                     1);
}

static void web_search_only_and_web_fetch_only_are_untrusted(void **state)
{
    (void)state;
    assert_int_equal(nc_uninhabitable_legs(NC_OPSET_BIT(NC_OP_WEB_SEARCH)), 1);
    assert_int_equal(nc_uninhabitable_legs(NC_OPSET_BIT(NC_OP_WEB_FETCH)), 1);
    assert_true(nc_uninhabitable((nc_opset)(NC_OPSET_BIT(NC_OP_READ_FILES) |
                                            NC_OPSET_BIT(NC_OP_WEB_SEARCH) |
                                            NC_OPSET_BIT(NC_OP_RUN_BASH))));
}

static void commit_write_edit_are_not_exfil_but_bash_is(void **state)
{
    (void)state;
    nc_opset base = (nc_opset)(NC_OPSET_BIT(NC_OP_READ_FILES) | NC_OPSET_BIT(NC_OP_WEB_FETCH));
    assert_false(nc_uninhabitable((nc_opset)(base | NC_OPSET_BIT(NC_OP_GIT_COMMIT))));
    assert_false(nc_uninhabitable((nc_opset)(base | NC_OPSET_BIT(NC_OP_WRITE_FILES))));
    assert_false(nc_uninhabitable((nc_opset)(base | NC_OPSET_BIT(NC_OP_EDIT_FILES))));
    assert_true(nc_uninhabitable((nc_opset)(base | NC_OPSET_BIT(NC_OP_RUN_BASH))));
    assert_int_equal(nc_uninhabitable_legs(0), 0);
    assert_int_equal(nc_uninhabitable_legs(NC_OPSET_ALL), 3);
}

static void gates_are_exactly_enabled_exfil_when_complete_exhaustive(void **state)
{
    (void)state;
    for (uint32_t n = 0; n < CAPS_TOTAL; n++) {
        struct nc_caps c = caps_nth(n);
        nc_opset en = nc_caps_enabled(&c), g = nc_uninhabitable_gates(&c);
        bool complete = (en & NC_OPSET_PRIVATE) != 0 && (en & NC_OPSET_UNTRUSTED) != 0 &&
                        (en & NC_OPSET_EXFIL) != 0;
        if (complete)
            assert_int_equal(g, en & NC_OPSET_EXFIL);
        else
            assert_int_equal(g, 0);
        assert_int_equal(g & (nc_opset)~NC_OPSET_EXFIL, 0);
    }
}

/* ---- the normalizer ---------------------------------------------------------------- */

static void normalize_idempotent_deflationary_exhaustive_caps(void **state)
{
    (void)state;
    static const nc_opset obligs[] = {0, NC_OPSET_ALL, NC_OPSET_EXFIL, 0x0155u, 0x02aau,
                                      NC_OPSET_BIT(NC_OP_GIT_PUSH)};
    for (uint32_t n = 0; n < CAPS_TOTAL; n++) {
        struct nc_caps c = caps_nth(n);
        for (unsigned k = 0; k < sizeof(obligs) / sizeof(obligs[0]); k++) {
            nc_opset o = obligs[k], v = nc_normalize_oblig(&c, o);
            assert_int_equal(nc_normalize_oblig(&c, v), v); /* idempotent */
            assert_true(nc_oblig_leq(v, o));                 /* deflationary */
            assert_true(nc_is_safe(&c, v));                  /* lands on a fixed point */
            assert_int_equal(nc_is_safe(&c, o), v == o);     /* safe == fixed point */
            assert_int_equal(v & (nc_opset)~o & (nc_opset)~NC_OPSET_EXFIL, 0); /* adds exfil only */
        }
    }
}

static void normalize_counterexample_to_monotonicity(void **state)
{
    (void)state;
    /* The documented counterexample (docs, reference section 1.6): x = all Never, y = all
     * LowRisk, no obligations.  x <= y, yet nu(x) is not <= nu(y): nu(y) gains the gates of
     * bash, push and pr while nu(x) gains nothing.  Keep it asserted so the doc stays true. */
    struct nc_caps x, y;
    nc_caps_fill(&x, NC_NEVER);
    nc_caps_fill(&y, NC_LOW_RISK);
    nc_opset ox = 0, oy = 0;
    assert_true(nc_caps_leq(&x, &y) && nc_oblig_leq(ox, oy));
    nc_opset nx = nc_normalize_oblig(&x, ox), ny = nc_normalize_oblig(&y, oy);
    assert_int_equal(nx, 0);
    assert_int_equal(ny, NC_OPSET_EXFIL);
    assert_false(nc_caps_leq(&x, &y) && nc_oblig_leq(nx, ny));
}

static void normalize_monotone_on_fixed_points(void **state)
{
    (void)state;
    /* On fixed points nu is the identity, so monotonicity there is trivial but must hold. */
    for (uint32_t n = 0; n < CAPS_TOTAL; n += 31u) {
        struct nc_caps x = caps_nth(n), y = caps_nth((n * 5u + 1u) % CAPS_TOTAL), m;
        nc_opset ox = nc_normalize_oblig(&x, 0), oy = nc_normalize_oblig(&y, 0);
        nc_caps_meet(&x, &y, &m);
        nc_opset om = nc_oblig_meet(ox, oy);
        /* the meet of fixed points is a fixed point */
        assert_true(nc_is_safe(&m, om));
        assert_int_equal(nc_normalize_oblig(&m, om), om);
    }
}

static void safe_states_closed_under_meet_exhaustive_pairs(void **state)
{
    (void)state;
    for (uint32_t n = 0; n < CAPS_TOTAL; n += 211u)
        for (uint32_t k = 0; k < CAPS_TOTAL; k += 4099u) {
            struct nc_caps a = caps_nth(n), b = caps_nth(k), m;
            nc_opset oa = nc_normalize_oblig(&a, (nc_opset)(n & NC_OPSET_ALL));
            nc_opset ob = nc_normalize_oblig(&b, (nc_opset)(k & 0x0f0u));
            nc_caps_meet(&a, &b, &m);
            assert_true(nc_is_safe(&m, nc_oblig_meet(oa, ob)));
        }
}

static void unsafe_example_is_detected(void **state)
{
    (void)state;
    struct nc_caps c;
    nc_caps_fill(&c, NC_ALWAYS);
    assert_false(nc_is_safe(&c, 0));
    assert_false(nc_is_safe(&c, NC_OPSET_BIT(NC_OP_RUN_BASH) | NC_OPSET_BIT(NC_OP_GIT_PUSH)));
    assert_true(nc_is_safe(&c, NC_OPSET_EXFIL));
    c.level[NC_OP_WEB_FETCH] = NC_NEVER;
    c.level[NC_OP_WEB_SEARCH] = NC_NEVER;
    assert_true(nc_is_safe(&c, 0));
}

/* ---- names ------------------------------------------------------------------------- */

static void level_names_round_trip(void **state)
{
    (void)state;
    enum nc_level l;
    assert_string_equal(nc_level_name(NC_NEVER), "never");
    assert_string_equal(nc_level_name(NC_LOW_RISK), "low_risk");
    assert_string_equal(nc_level_name(NC_ALWAYS), "always");
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(nc_level_parse(nc_level_name(levels[i]), &l), 0);
        assert_int_equal(l, levels[i]);
    }
    assert_string_equal(nc_level_name((enum nc_level)3), "invalid");
}

static void op_names_round_trip(void **state)
{
    (void)state;
    static const char *const want[NC_OP_COUNT] = {
        "read_files", "write_files", "edit_files", "run_bash",   "glob_search", "grep_search",
        "web_search", "web_fetch",   "git_commit", "git_push",   "create_pr",
    };
    enum nc_op op;
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        assert_string_equal(nc_op_name((enum nc_op)i), want[i]);
        assert_int_equal(nc_op_parse(want[i], &op), 0);
        assert_int_equal(op, i);
    }
    assert_string_equal(nc_op_name((enum nc_op)NC_OP_COUNT), "invalid");
}

static void invalid_names_rejected(void **state)
{
    (void)state;
    static const char *const bad_levels[] = {"",       "Never",     "NEVER",  "low-risk",
                                             "lowrisk", "always ",  " never", "invalid",
                                             "nev",    "never\n",   "2"};
    static const char *const bad_ops[] = {"",          "READ_FILES", "read-files", "read",
                                          "run_bash ", "invalid",    "git push",   "bash",
                                          "create_pr\t", "readfiles", "0"};
    enum nc_level l = NC_ALWAYS;
    enum nc_op op = NC_OP_CREATE_PR;
    for (unsigned i = 0; i < sizeof(bad_levels) / sizeof(bad_levels[0]); i++) {
        assert_int_equal(nc_level_parse(bad_levels[i], &l), -1);
        assert_int_equal(l, NC_ALWAYS); /* untouched on failure */
    }
    for (unsigned i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
        assert_int_equal(nc_op_parse(bad_ops[i], &op), -1);
        assert_int_equal(op, NC_OP_CREATE_PR);
    }
}

static void opset_constants(void **state)
{
    (void)state;
    assert_int_equal(NC_OPSET_ALL, 0x7ff);
    assert_int_equal(NC_OPSET_PRIVATE & NC_OPSET_UNTRUSTED, 0);
    assert_int_equal(NC_OPSET_PRIVATE & NC_OPSET_EXFIL, 0);
    assert_int_equal(NC_OPSET_UNTRUSTED & NC_OPSET_EXFIL, 0);
    assert_int_equal(NC_OPSET_EXFIL, NC_OPSET_BIT(NC_OP_RUN_BASH) | NC_OPSET_BIT(NC_OP_GIT_PUSH) |
                                         NC_OPSET_BIT(NC_OP_CREATE_PR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(level_meet_table),
        cmocka_unit_test(level_join_table),
        cmocka_unit_test(level_leq_table),
        cmocka_unit_test(level_implies_table),
        cmocka_unit_test(level_heyting_adjunction_exhaustive),
        cmocka_unit_test(level_valid_range),
        cmocka_unit_test(caps_fill_sets_every_field),
        cmocka_unit_test(caps_meet_join_pointwise),
        cmocka_unit_test(caps_ops_may_alias),
        cmocka_unit_test(caps_leq_is_fieldwise),
        cmocka_unit_test(caps_valid_rejects_out_of_range),
        cmocka_unit_test(caps_enabled_is_at_least_low_risk),
        cmocka_unit_test(caps_top_bottom_implication_identities),
        cmocka_unit_test(oblig_order_is_reversed),
        cmocka_unit_test(oblig_ops_mask_unknown_bits),
        cmocka_unit_test(oblig_lattice_laws_exhaustive),
        cmocka_unit_test(uninhabitable_each_leg_via_each_op),
        cmocka_unit_test(uninhabitable_missing_leg_is_not_complete),
        cmocka_unit_test(glob_only_and_grep_only_are_private),
        cmocka_unit_test(web_search_only_and_web_fetch_only_are_untrusted),
        cmocka_unit_test(commit_write_edit_are_not_exfil_but_bash_is),
        cmocka_unit_test(gates_are_exactly_enabled_exfil_when_complete_exhaustive),
        cmocka_unit_test(normalize_idempotent_deflationary_exhaustive_caps),
        cmocka_unit_test(normalize_counterexample_to_monotonicity),
        cmocka_unit_test(normalize_monotone_on_fixed_points),
        cmocka_unit_test(safe_states_closed_under_meet_exhaustive_pairs),
        cmocka_unit_test(unsafe_example_is_detected),
        cmocka_unit_test(level_names_round_trip),
        cmocka_unit_test(op_names_round_trip),
        cmocka_unit_test(invalid_names_rejected),
        cmocka_unit_test(opset_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
