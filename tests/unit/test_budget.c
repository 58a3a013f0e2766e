/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of budget arithmetic and time windows (src/core/budget.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* xorshift64*: deterministic, seedable. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static void assert_budget(const struct nc_budget *b, uint64_t limit, uint64_t consumed,
                          uint64_t reserved)
{
    assert_int_equal(b->limit, limit);
    assert_int_equal(b->consumed, consumed);
    assert_int_equal(b->reserved, reserved);
    assert_true(nc_budget_ok(b));
}

/* ---- reserve / settle / release ----------------------------------------------------- */

static void budget_init(void **state)
{
    (void)state;
    struct nc_budget b;
    memset(&b, 0xab, sizeof(b));
    nc_budget_init(&b, 100);
    assert_budget(&b, 100, 0, 0);
    assert_int_equal(nc_budget_remaining(&b), 100);
}

static void reserve_settle_refund(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 1000);
    assert_int_equal(nc_budget_reserve(&b, 300), 0);
    assert_budget(&b, 1000, 0, 300);
    assert_int_equal(nc_budget_remaining(&b), 700);
    assert_int_equal(nc_budget_settle(&b, 300, 120), 0); /* 180 refunded */
    assert_budget(&b, 1000, 120, 0);
    assert_int_equal(nc_budget_remaining(&b), 880);
    assert_int_equal(nc_budget_reserve(&b, 880), 0);
    assert_int_equal(nc_budget_settle(&b, 880, 880), 0);
    assert_budget(&b, 1000, 1000, 0);
    assert_int_equal(nc_budget_remaining(&b), 0);
}

static void reserve_exact_to_limit(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 500);
    assert_int_equal(nc_budget_reserve(&b, 500), 0);
    assert_budget(&b, 500, 0, 500);
    assert_int_equal(nc_budget_remaining(&b), 0);
}

static void reserve_limit_plus_one_fails_without_mutation(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 500);
    assert_int_equal(nc_budget_reserve(&b, 501), -1);
    assert_budget(&b, 500, 0, 0);
    assert_int_equal(nc_budget_reserve(&b, 200), 0);
    assert_int_equal(nc_budget_settle(&b, 200, 200), 0);
    assert_int_equal(nc_budget_reserve(&b, 301), -1);
    assert_budget(&b, 500, 200, 0);
    assert_int_equal(nc_budget_reserve(&b, UINT64_MAX), -1);
    assert_budget(&b, 500, 200, 0);
    assert_int_equal(nc_budget_reserve(&b, 300), 0);
    assert_int_equal(nc_budget_reserve(&b, 1), -1);
    assert_budget(&b, 500, 200, 300);
}

static void reserve_zero_refused(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 500);
    assert_int_equal(nc_budget_reserve(&b, 0), -2);
    assert_budget(&b, 500, 0, 0);
    nc_budget_init(&b, 0); /* a zero budget refuses everything, zero included */
    assert_int_equal(nc_budget_reserve(&b, 0), -2);
    assert_int_equal(nc_budget_reserve(&b, 1), -1);
    assert_budget(&b, 0, 0, 0);
}

static void settle_overrun_is_capped_and_reported(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 1000);
    assert_int_equal(nc_budget_reserve(&b, 100), 0);
    assert_int_equal(nc_budget_settle(&b, 100, 250), 1); /* never overspend */
    assert_budget(&b, 1000, 100, 0);
    assert_int_equal(nc_budget_reserve(&b, 900), 0);
    assert_int_equal(nc_budget_settle(&b, 900, UINT64_MAX), 1);
    assert_budget(&b, 1000, 1000, 0);
}

static void settle_more_than_outstanding_is_refused(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 1000);
    assert_int_equal(nc_budget_reserve(&b, 100), 0);
    assert_int_equal(nc_budget_settle(&b, 101, 50), -1);
    assert_budget(&b, 1000, 0, 100);
    assert_int_equal(nc_budget_release(&b, 101), -1);
    assert_budget(&b, 1000, 0, 100);
    assert_int_equal(nc_budget_settle(&b, UINT64_MAX, 0), -1);
    assert_budget(&b, 1000, 0, 100);
}

static void release_returns_the_reservation(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, 1000);
    assert_int_equal(nc_budget_reserve(&b, 400), 0);
    assert_int_equal(nc_budget_reserve(&b, 600), 0);
    assert_int_equal(nc_budget_reserve(&b, 1), -1);
    assert_int_equal(nc_budget_release(&b, 400), 0);
    assert_budget(&b, 1000, 0, 600);
    assert_int_equal(nc_budget_remaining(&b), 400);
    assert_int_equal(nc_budget_release(&b, 600), 0);
    assert_budget(&b, 1000, 0, 0);
}

static void remaining_never_underflows(void **state)
{
    (void)state;
    /* states that break the invariant (a caller bug, or memory corruption) */
    struct nc_budget b = {.limit = 10, .consumed = 11, .reserved = 0};
    assert_false(nc_budget_ok(&b));
    assert_int_equal(nc_budget_remaining(&b), 0);
    assert_int_equal(nc_budget_reserve(&b, 1), -1);
    assert_int_equal(b.reserved, 0);
    b = (struct nc_budget){.limit = UINT64_MAX, .consumed = UINT64_MAX, .reserved = 1};
    assert_false(nc_budget_ok(&b)); /* the sum overflows */
    assert_int_equal(nc_budget_remaining(&b), 0);
    assert_int_equal(nc_budget_reserve(&b, 1), -1);
    b = (struct nc_budget){.limit = 10, .consumed = 4, .reserved = 7};
    assert_false(nc_budget_ok(&b));
    assert_int_equal(nc_budget_remaining(&b), 0);
}

static void huge_limits(void **state)
{
    (void)state;
    struct nc_budget b;
    nc_budget_init(&b, UINT64_MAX);
    assert_int_equal(nc_budget_reserve(&b, UINT64_MAX - 1), 0);
    assert_int_equal(nc_budget_reserve(&b, 1), 0);
    assert_int_equal(nc_budget_reserve(&b, 1), -1);
    assert_true(nc_budget_ok(&b));
    assert_int_equal(nc_budget_settle(&b, UINT64_MAX - 1, UINT64_MAX), 1);
    assert_int_equal(nc_budget_settle(&b, 1, 1), 0);
    assert_budget(&b, UINT64_MAX, UINT64_MAX, 0);
    assert_int_equal(nc_budget_remaining(&b), 0);
}

static void fifty_of_a_hundred_charges_fit(void **state)
{
    (void)state;
    /* 100 charges of $0.20 against $10: exactly 50 succeed (the original's concurrency
     * test, here sequential: the core is pure and callers lock). */
    struct nc_budget b;
    uint64_t limit, unit;
    assert_int_equal(nc_parse_micros("10", &limit), 0);
    assert_int_equal(nc_parse_micros("0.20", &unit), 0);
    nc_budget_init(&b, limit);
    unsigned ok = 0;
    for (unsigned i = 0; i < 100; i++)
        if (nc_budget_reserve(&b, unit) == 0) {
            assert_int_equal(nc_budget_settle(&b, unit, unit), 0);
            ok++;
        }
    assert_int_equal(ok, 50);
    assert_budget(&b, limit, limit, 0);
    /* and 1000 x 0.001 never exceeds 1.00 */
    assert_int_equal(nc_parse_micros("1.00", &limit), 0);
    assert_int_equal(nc_parse_micros("0.001", &unit), 0);
    nc_budget_init(&b, limit);
    for (unsigned i = 0; i < 1001; i++)
        if (nc_budget_reserve(&b, unit) == 0)
            assert_int_equal(nc_budget_settle(&b, unit, unit), 0);
    assert_budget(&b, limit, limit, 0);
}

/* Many simulated workers interleave reserve -> (settle | release) in a PRNG order. */
static void simulated_concurrency_never_overspends(void **state)
{
    (void)state;
    enum { WORKERS = 16 };
    for (unsigned round = 0; round < 200; round++) {
        struct nc_budget b;
        uint64_t limit = 1 + rng() % 100000u;
        uint64_t held[WORKERS] = {0};
        uint64_t charged = 0;
        nc_budget_init(&b, limit);
        for (unsigned step = 0; step < 2000; step++) {
            unsigned w = (unsigned)(rng() % WORKERS);
            if (held[w] == 0) {
                uint64_t want = rng() % (limit / 4u + 2u);
                uint64_t before_c = b.consumed, before_r = b.reserved;
                int rc = nc_budget_reserve(&b, want);
                if (rc == 0) {
                    held[w] = want;
                } else {
                    assert_true(rc == -2 ? want == 0 : want > limit - before_c - before_r);
                    assert_int_equal(b.consumed, before_c);
                    assert_int_equal(b.reserved, before_r);
                }
            } else if (rng() % 4u == 0) {
                assert_int_equal(nc_budget_release(&b, held[w]), 0);
                held[w] = 0;
            } else {
                uint64_t actual = rng() % (held[w] * 2u + 1u);
                int rc = nc_budget_settle(&b, held[w], actual);
                assert_int_equal(rc, actual > held[w] ? 1 : 0);
                charged += actual < held[w] ? actual : held[w];
                held[w] = 0;
            }
            assert_true(nc_budget_ok(&b));
            assert_true(b.consumed <= limit);
            assert_int_equal(b.consumed, charged);
            uint64_t out = 0;
            for (unsigned k = 0; k < WORKERS; k++)
                out += held[k];
            assert_int_equal(b.reserved, out);
            assert_int_equal(nc_budget_remaining(&b), limit - b.consumed - b.reserved);
        }
    }
}

/* ---- decimal amounts ---------------------------------------------------------------- */

static void parse_micros_exact(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t v;
    } good[] = {
        {"0", 0},
        {"2", 2000000u},
        {"2.5", 2500000u},
        {"0.000001", 1},
        {"0.1", 100000u},
        {"1.000000", 1000000u},
        {"007.5", 7500000u},
        {"18446744073709", 18446744073709000000u},
        {"18446744073709.551615", UINT64_MAX},
        {"0.999999", 999999u},
    };
    for (size_t i = 0; i < N_ELEMS(good); i++) {
        uint64_t v = 12345;
        if (nc_parse_micros(good[i].s, &v) != 0)
            fail_msg("\"%s\" refused", good[i].s);
        assert_int_equal(v, good[i].v);
    }
}

static void parse_micros_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0.0000001", /* below one micro-unit: refused, not rounded */
        "1.0000000", "-1", "+1", "1e3", " 1", "1 ", "1.", ".5", "", ".", "1..2", "1.2.3",
        "0x10", "1,5", "ten", "1\n", "18446744073710", /* whole part overflows on scaling */
        "18446744073709.551616",                        /* one above UINT64_MAX */
        "99999999999999999999999",                      /* overflows while parsing */
        "nan", "inf",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        uint64_t v = 777;
        if (nc_parse_micros(bad[i], &v) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(v, 777); /* untouched on failure */
    }
}

static void format_micros_cases(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        const char *s;
    } cases[] = {
        {0, "0"},
        {1, "0.000001"},
        {10, "0.00001"},
        {999999u, "0.999999"},
        {1000000u, "1"},
        {2500000u, "2.5"},
        {1234567u, "1.234567"},
        {100000000u, "100"},
        {UINT64_MAX, "18446744073709.551615"},
    };
    char buf[64];
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        assert_int_equal(nc_format_micros(cases[i].v, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].s);
    }
}

static void format_micros_buffer_boundaries(void **state)
{
    (void)state;
    char buf[32];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(nc_format_micros(2500000u, buf, 4), 0); /* "2.5" + NUL */
    assert_string_equal(buf, "2.5");
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(nc_format_micros(2500000u, buf, 3), -1);
    assert_int_equal(buf[3], 'x'); /* nothing written past the given size */
    assert_int_equal(nc_format_micros(0, buf, 1), -1);
    assert_int_equal(nc_format_micros(0, buf, 2), 0);
    assert_string_equal(buf, "0");
    assert_int_equal(nc_format_micros(0, buf, 0), -1);
    assert_int_equal(nc_format_micros(UINT64_MAX, buf, 22), 0);
    assert_int_equal(nc_format_micros(UINT64_MAX, buf, 21), -1);
}

static void format_parse_round_trip(void **state)
{
    (void)state;
    char buf[32];
    uint64_t back;
    for (unsigned i = 0; i < 200000; i++) {
        uint64_t v;
        switch (i % 4) {
        case 0:
            v = rng();
            break;
        case 1:
            v = rng() % 100000000u;
            break;
        case 2:
            v = (rng() % 1000u) * 1000000u + (rng() % 10u) * 100000u;
            break;
        default:
            v = i;
            break;
        }
        assert_int_equal(nc_format_micros(v, buf, sizeof(buf)), 0);
        if (nc_parse_micros(buf, &back) != 0)
            fail_msg("\"%s\" does not parse back", buf);
        assert_int_equal(back, v);
        /* canonical: no trailing zeros in the fraction, no trailing dot */
        size_t n = strlen(buf);
        if (strchr(buf, '.') != NULL)
            assert_true(buf[n - 1] != '0' && buf[n - 1] != '.');
    }
}

/* ---- windows ------------------------------------------------------------------------ */

#define NS 1000000000u

static void window_boundaries(void **state)
{
    (void)state;
    struct nc_window w;
    nc_window_from(&w, 1000, 5);
    assert_int_equal(w.not_before, 1000);
    assert_int_equal(w.not_after, 1000 + 5ull * NS);
    assert_int_equal(nc_window_check(&w, 0), NC_WINDOW_PENDING);
    assert_int_equal(nc_window_check(&w, 999), NC_WINDOW_PENDING);
    assert_int_equal(nc_window_check(&w, 1000), NC_WINDOW_VALID);
    assert_int_equal(nc_window_check(&w, w.not_after - 1), NC_WINDOW_VALID);
    assert_int_equal(nc_window_check(&w, w.not_after), NC_WINDOW_EXPIRED); /* now == end */
    assert_int_equal(nc_window_check(&w, UINT64_MAX), NC_WINDOW_EXPIRED);
    assert_int_equal(nc_window_remaining(&w, 1000), 5ull * NS);
    assert_int_equal(nc_window_remaining(&w, w.not_after - 1), 1);
    assert_int_equal(nc_window_remaining(&w, w.not_after), 0);
    assert_int_equal(nc_window_remaining(&w, 999), 0);
}

static void window_zero_length_is_never_valid(void **state)
{
    (void)state;
    struct nc_window w;
    nc_window_from(&w, 50, 0);
    assert_int_equal(nc_window_check(&w, 49), NC_WINDOW_PENDING);
    assert_int_equal(nc_window_check(&w, 50), NC_WINDOW_EXPIRED);
    assert_int_equal(nc_window_remaining(&w, 50), 0);
}

static void window_saturates(void **state)
{
    (void)state;
    struct nc_window w;
    nc_window_from(&w, 10, UINT64_MAX);
    assert_int_equal(w.not_after, UINT64_MAX);
    nc_window_from(&w, 10, UINT64_MAX / NS + 1); /* the multiplication overflows */
    assert_int_equal(w.not_after, UINT64_MAX);
    nc_window_from(&w, UINT64_MAX - 5, 1); /* the addition overflows */
    assert_int_equal(w.not_after, UINT64_MAX);
    assert_int_equal(nc_window_check(&w, UINT64_MAX - 1), NC_WINDOW_VALID);
    nc_window_from(&w, 0, UINT64_MAX / NS); /* the largest that fits */
    assert_int_equal(w.not_after, (UINT64_MAX / NS) * NS);
}

static void window_meet(void **state)
{
    (void)state;
    struct nc_window a = {100, 500}, b = {200, 900}, m, m2;
    nc_window_meet(&a, &b, &m);
    assert_int_equal(m.not_before, 200);
    assert_int_equal(m.not_after, 500);
    nc_window_meet(&b, &a, &m2);
    assert_memory_equal(&m, &m2, sizeof(m));
    nc_window_meet(&a, &a, &m2);
    assert_memory_equal(&a, &m2, sizeof(a));
    /* disjoint windows meet to an inverted window that is never valid */
    struct nc_window c = {600, 700};
    nc_window_meet(&a, &c, &m);
    assert_true(m.not_before > m.not_after);
    for (uint64_t t = 0; t < 1000; t += 7)
        assert_int_not_equal(nc_window_check(&m, t), NC_WINDOW_VALID);
    /* aliasing output */
    m = a;
    nc_window_meet(&m, &b, &m);
    assert_int_equal(m.not_before, 200);
    assert_int_equal(m.not_after, 500);
}

static void window_meet_is_valid_iff_both_are(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 20000; i++) {
        struct nc_window a = {rng() % 1000u, rng() % 1000u}, b = {rng() % 1000u, rng() % 1000u}, m;
        nc_window_meet(&a, &b, &m);
        uint64_t t = rng() % 1100u;
        bool both = nc_window_check(&a, t) == NC_WINDOW_VALID &&
                    nc_window_check(&b, t) == NC_WINDOW_VALID;
        assert_int_equal(nc_window_check(&m, t) == NC_WINDOW_VALID, both);
    }
}

int main(void)
{
    const char *seed = getenv("NC_SEED");
    if (seed != NULL)
        rng_state = strtoull(seed, NULL, 0) | 1u;
    printf("# budget PRNG seed 0x%llx (override with NC_SEED)\n", (unsigned long long)rng_state);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_init),
        cmocka_unit_test(reserve_settle_refund),
        cmocka_unit_test(reserve_exact_to_limit),
        cmocka_unit_test(reserve_limit_plus_one_fails_without_mutation),
        cmocka_unit_test(reserve_zero_refused),
        cmocka_unit_test(settle_overrun_is_capped_and_reported),
        cmocka_unit_test(settle_more_than_outstanding_is_refused),
        cmocka_unit_test(release_returns_the_reservation),
        cmocka_unit_test(remaining_never_underflows),
        cmocka_unit_test(huge_limits),
        cmocka_unit_test(fifty_of_a_hundred_charges_fit),
        cmocka_unit_test(simulated_concurrency_never_overspends),
        cmocka_unit_test(parse_micros_exact),
        cmocka_unit_test(parse_micros_rejects),
        cmocka_unit_test(format_micros_cases),
        cmocka_unit_test(format_micros_buffer_boundaries),
        cmocka_unit_test(format_parse_round_trip),
        cmocka_unit_test(window_boundaries),
        cmocka_unit_test(window_zero_length_is_never_valid),
        cmocka_unit_test(window_saturates),
        cmocka_unit_test(window_meet),
        cmocka_unit_test(window_meet_is_valid_iff_both_are),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
