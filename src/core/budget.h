/* SPDX-License-Identifier: Apache-2.0 */
/* Budget arithmetic in integer micro-units with reserve / settle / refund, and time windows on
 * a monotonic clock the caller passes in.  Pure; callers provide the locking. */
#ifndef NC_CORE_BUDGET_H
#define NC_CORE_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define NC_MICROS_PER_UNIT 1000000u

/* Invariant: consumed + reserved <= limit, always. */
struct nc_budget {
    uint64_t limit;
    uint64_t consumed;
    uint64_t reserved;
};

void nc_budget_init(struct nc_budget *b, uint64_t limit);
/* Reserves `amount` (> 0) before an operation.  Returns 0, or -1 (exhausted: the invariant
 * would break) or -2 (amount is zero) without changing anything. */
int nc_budget_reserve(struct nc_budget *b, uint64_t amount);
/* Settles a reservation of `reserved` with the operation's actual cost: consumes
 * min(actual, reserved), releases the rest.  An actual cost above the reservation is capped
 * (never overspend) and reported by returning 1; 0 otherwise; -1 if `reserved` exceeds what is
 * outstanding (a caller bug; nothing changes). */
int nc_budget_settle(struct nc_budget *b, uint64_t reserved, uint64_t actual);
/* Releases a reservation unused (the operation did not run). */
int nc_budget_release(struct nc_budget *b, uint64_t reserved);
uint64_t nc_budget_remaining(const struct nc_budget *b); /* limit - consumed - reserved */
bool nc_budget_ok(const struct nc_budget *b);             /* the invariant holds */

/* Parses a non-negative decimal amount such as "2", "2.5" or "0.000001" into micro-units,
 * exactly (at most 6 decimals, no sign, no exponent, no spaces).  Returns 0 or -1. */
int nc_parse_micros(const char *s, uint64_t *out);
/* Renders micro-units as a decimal ("2.5", "0.000001") into out; returns 0, -1 if too small. */
int nc_format_micros(uint64_t v, char *out, unsigned outsz);

/* A validity window on a monotonic clock, in nanoseconds: valid when
 * not_before <= now < not_after. */
struct nc_window {
    uint64_t not_before;
    uint64_t not_after;
};

enum nc_window_state {
    NC_WINDOW_PENDING = -1,
    NC_WINDOW_VALID = 0,
    NC_WINDOW_EXPIRED = 1,
};

/* The window that starts at `start` and lasts `seconds` (saturating at UINT64_MAX). */
void nc_window_from(struct nc_window *w, uint64_t start_ns, uint64_t seconds);
enum nc_window_state nc_window_check(const struct nc_window *w, uint64_t now_ns);
/* Later start, earlier end.  May be empty (never valid). */
void nc_window_meet(const struct nc_window *a, const struct nc_window *b, struct nc_window *out);
/* Nanoseconds left, 0 when not valid. */
uint64_t nc_window_remaining(const struct nc_window *w, uint64_t now_ns);

#endif
