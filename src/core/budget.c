/* SPDX-License-Identifier: Apache-2.0 */
/* Budget and time-window arithmetic (see budget.h). */
#include "budget.h"

void nc_budget_init(struct nc_budget *b, uint64_t limit)
{
    b->limit = limit;
    b->consumed = 0;
    b->reserved = 0;
}

uint64_t nc_budget_remaining(const struct nc_budget *b)
{
    uint64_t used;
    if (__builtin_add_overflow(b->consumed, b->reserved, &used) || used > b->limit)
        return 0;
    return b->limit - used;
}

bool nc_budget_ok(const struct nc_budget *b)
{
    uint64_t used;
    return !__builtin_add_overflow(b->consumed, b->reserved, &used) && used <= b->limit;
}

int nc_budget_reserve(struct nc_budget *b, uint64_t amount)
{
    if (amount == 0)
        return -2;
    if (!nc_budget_ok(b) || amount > nc_budget_remaining(b))
        return -1;
    b->reserved += amount;
    return 0;
}

int nc_budget_settle(struct nc_budget *b, uint64_t reserved, uint64_t actual)
{
    uint64_t charge = actual < reserved ? actual : reserved;
    if (reserved > b->reserved)
        return -1;
    b->reserved -= reserved;
    b->consumed += charge; /* cannot overflow: consumed + reserved <= limit held before */
    return actual > reserved ? 1 : 0;
}

int nc_budget_release(struct nc_budget *b, uint64_t reserved)
{
    return nc_budget_settle(b, reserved, 0) < 0 ? -1 : 0;
}

int nc_parse_micros(const char *s, uint64_t *out)
{
    uint64_t whole = 0, frac = 0;
    unsigned i = 0, digits = 0, fdigits = 0;

    while (s[i] >= '0' && s[i] <= '9') {
        if (__builtin_mul_overflow(whole, 10u, &whole) ||
            __builtin_add_overflow(whole, (uint64_t)(s[i] - '0'), &whole))
            return -1;
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9') {
            if (++fdigits > 6)
                return -1; /* below one micro-unit: refuse rather than round */
            frac = frac * 10u + (uint64_t)(s[i] - '0');
            i++;
        }
        if (fdigits == 0)
            return -1;
    }
    if (digits == 0 || s[i] != '\0')
        return -1;
    for (unsigned k = fdigits; k < 6; k++)
        frac *= 10u;
    if (__builtin_mul_overflow(whole, (uint64_t)NC_MICROS_PER_UNIT, &whole) ||
        __builtin_add_overflow(whole, frac, &whole))
        return -1;
    *out = whole;
    return 0;
}

int nc_format_micros(uint64_t v, char *out, unsigned outsz)
{
    char tmp[32];
    unsigned n = 0;
    uint64_t whole = v / NC_MICROS_PER_UNIT, frac = v % NC_MICROS_PER_UNIT;
    unsigned fd = 6;

    /* whole part, reversed */
    do {
        tmp[n++] = (char)('0' + (whole % 10u));
        whole /= 10u;
    } while (whole != 0 && n < 20);
    if (frac != 0) {
        while (frac % 10u == 0) {
            frac /= 10u;
            fd--;
        }
    }
    if (n + (frac != 0 ? fd + 1 : 0) + 1 > outsz)
        return -1;
    for (unsigned i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    if (frac != 0) {
        out[n++] = '.';
        for (unsigned i = fd; i > 0; i--) {
            out[n + i - 1] = (char)('0' + (frac % 10u));
            frac /= 10u;
        }
        n += fd;
    }
    out[n] = '\0';
    return 0;
}

void nc_window_from(struct nc_window *w, uint64_t start_ns, uint64_t seconds)
{
    uint64_t span;
    w->not_before = start_ns;
    if (__builtin_mul_overflow(seconds, (uint64_t)1000000000u, &span) ||
        __builtin_add_overflow(start_ns, span, &w->not_after))
        w->not_after = UINT64_MAX;
}

enum nc_window_state nc_window_check(const struct nc_window *w, uint64_t now_ns)
{
    if (now_ns < w->not_before)
        return NC_WINDOW_PENDING;
    if (now_ns >= w->not_after)
        return NC_WINDOW_EXPIRED;
    return NC_WINDOW_VALID;
}

void nc_window_meet(const struct nc_window *a, const struct nc_window *b, struct nc_window *out)
{
    uint64_t nb = a->not_before > b->not_before ? a->not_before : b->not_before;
    uint64_t na = a->not_after < b->not_after ? a->not_after : b->not_after;
    out->not_before = nb;
    out->not_after = na;
}

uint64_t nc_window_remaining(const struct nc_window *w, uint64_t now_ns)
{
    if (nc_window_check(w, now_ns) != NC_WINDOW_VALID)
        return 0;
    return w->not_after - now_ns;
}
