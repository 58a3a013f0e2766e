/* SPDX-License-Identifier: Apache-2.0 */
/* WP contracts for the budget arithmetic of src/core/budget.c.  Frama-C merges a contract
 * written on any declaration of a function with its definition, so these are proved against
 * the real code without touching budget.h.  scripts/proofs.sh runs WP with -wp-rte and
 * -warn-unsigned-overflow: every addition and subtraction on the 64-bit counters must be shown
 * not to wrap, not merely to be defined.
 *
 * The invariant (budget.h): consumed + reserved <= limit, computed in mathematical integers. */
#include "core/budget.h"

/*@ predicate nc_budget_inv(struct nc_budget *b) = b->consumed + b->reserved <= b->limit; */

/*@ requires \valid(b);
    assigns *b;
    ensures b->limit == limit && b->consumed == 0 && b->reserved == 0;
    ensures invariant: nc_budget_inv(b); */
void nc_budget_init(struct nc_budget *b, uint64_t limit);

/*@ requires \valid_read(b);
    assigns \nothing;
    ensures \result <==> nc_budget_inv(b); */
bool nc_budget_ok(const struct nc_budget *b);

/*@ requires \valid_read(b);
    assigns \nothing;
    ensures nc_budget_inv(b) ==> \result == b->limit - b->consumed - b->reserved;
    ensures !nc_budget_inv(b) ==> \result == 0; */
uint64_t nc_budget_remaining(const struct nc_budget *b);

/* Reserve never breaks the invariant, whatever state it starts from: it refuses instead. */
/*@ requires \valid(b);
    assigns b->reserved;
    ensures invariant_kept: \old(nc_budget_inv(b)) ==> nc_budget_inv(b);
    ensures limit_kept: b->limit == \old(b->limit) && b->consumed == \old(b->consumed);
    behavior zero:
      assumes amount == 0;
      ensures \result == -2 && b->reserved == \old(b->reserved);
    behavior exhausted:
      assumes amount > 0;
      assumes !nc_budget_inv(b) || b->consumed + b->reserved + amount > b->limit;
      ensures \result == -1 && b->reserved == \old(b->reserved);
    behavior reserved:
      assumes amount > 0;
      assumes nc_budget_inv(b) && b->consumed + b->reserved + amount <= b->limit;
      ensures \result == 0 && b->reserved == \old(b->reserved) + amount;
    complete behaviors;
    disjoint behaviors; */
int nc_budget_reserve(struct nc_budget *b, uint64_t amount);

/* Settle charges at most what was reserved (never overspends), releases the rest, and keeps
 * the invariant. */
/*@ requires \valid(b);
    requires invariant: nc_budget_inv(b);
    assigns b->reserved, b->consumed;
    ensures invariant_kept: nc_budget_inv(b);
    ensures no_overspend: b->consumed + b->reserved <= \old(b->consumed + b->reserved);
    ensures b->limit == \old(b->limit);
    behavior caller_bug:
      assumes reserved > b->reserved;
      ensures \result == -1;
      ensures b->reserved == \old(b->reserved) && b->consumed == \old(b->consumed);
    behavior settled:
      assumes reserved <= b->reserved;
      ensures b->reserved == \old(b->reserved) - reserved;
      ensures b->consumed == \old(b->consumed) + \min(actual, reserved);
      ensures \result == (actual > reserved ? 1 : 0);
    complete behaviors;
    disjoint behaviors; */
int nc_budget_settle(struct nc_budget *b, uint64_t reserved, uint64_t actual);

/*@ requires \valid(b);
    requires invariant: nc_budget_inv(b);
    assigns b->reserved, b->consumed;
    ensures invariant_kept: nc_budget_inv(b);
    ensures b->consumed == \old(b->consumed) && b->limit == \old(b->limit);
    behavior caller_bug:
      assumes reserved > b->reserved;
      ensures \result == -1 && b->reserved == \old(b->reserved);
    behavior released:
      assumes reserved <= b->reserved;
      ensures \result == 0 && b->reserved == \old(b->reserved) - reserved;
    complete behaviors;
    disjoint behaviors; */
int nc_budget_release(struct nc_budget *b, uint64_t reserved);

/* A harness for the whole protocol: from a fresh budget, any interleaving of one reservation
 * and its settlement keeps the invariant (WP proves the assertion from the contracts). */
void law_budget_protocol(uint64_t limit, uint64_t amount, uint64_t actual)
{
    struct nc_budget b;
    nc_budget_init(&b, limit);
    if (nc_budget_reserve(&b, amount) == 0) {
        (void)nc_budget_settle(&b, amount, actual);
        //@ assert charged_at_most_reserved: b.consumed <= amount;
    }
    //@ assert invariant: nc_budget_inv(&b);
}
