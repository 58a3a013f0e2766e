/* SPDX-License-Identifier: Apache-2.0 */
/* The session budget shared by concurrent tool calls: core/budget.h arithmetic under a mutex,
 * reservation handles, and the cost model that prices an operation before and after it runs. */
#ifndef NC_PROXY_LEDGER_H
#define NC_PROXY_LEDGER_H

#include "core/budget.h"
#include "core/lattice.h"
#include "util/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* What nc_ledger_reserve returns when the reservation does not fit. */
#define NC_LEDGER_EXHAUSTED (-EDQUOT)

struct nc_ledger {
    pthread_mutex_t mu;
    struct nc_budget budget; /* read only under mu */
};

/* One outstanding reservation.  Owned by the caller; settle or release it exactly once (a
 * second settle/release is refused with EINVAL and changes nothing).  Do not copy it. */
struct nc_ledger_hold {
    uint64_t amount;
    bool live;
};

/* A limit in micro-units (NC_MICROS_PER_UNIT per currency unit). */
int nc_ledger_init(struct nc_ledger *l, uint64_t limit, struct nc_err *err);
void nc_ledger_destroy(struct nc_ledger *l);
/* Reserves amount before an operation.  Returns 0 with *h live, or NC_LEDGER_EXHAUSTED (err
 * says how much was asked for and how much remains) without changing anything.  A zero amount
 * (a free operation) succeeds without touching the budget. */
int nc_ledger_reserve(struct nc_ledger *l, uint64_t amount, struct nc_ledger_hold *h,
                      struct nc_err *err);
/* Settles with the actual cost: consumes min(actual, reserved), refunds the rest.  Returns 0,
 * or 1 when actual exceeded the reservation (capped: never overspent; the caller audits it),
 * or -EINVAL for a hold that is not live. */
int nc_ledger_settle(struct nc_ledger *l, struct nc_ledger_hold *h, uint64_t actual,
                     struct nc_err *err);
/* Returns the whole reservation (the operation did not run).  0 or -EINVAL. */
int nc_ledger_release(struct nc_ledger *l, struct nc_ledger_hold *h, struct nc_err *err);
/* A consistent copy of limit / consumed / reserved. */
void nc_ledger_snapshot(struct nc_ledger *l, struct nc_budget *out);

/* Prices, all in micro-units.  Zero prices make an operation free. */
struct nc_cost_model {
    uint64_t command_base;       /* each command (run, git_*, create_pr) */
    uint64_t command_per_second; /* each second of wall time, pro rata per millisecond */
    uint64_t file_per_kib;       /* each KiB read or written, rounded up */
    uint64_t network_per_request;
    uint64_t search_per_result;
};

enum nc_cost_kind {
    NC_COST_COMMAND = 0, /* quantity: milliseconds of wall time */
    NC_COST_FILE_IO,     /* quantity: bytes */
    NC_COST_NETWORK,     /* quantity: requests */
    NC_COST_SEARCH,      /* quantity: results */
};

/* The default prices (docs/proxy.md): a command 0.001 plus 0.001 a second, file I/O 0.00001
 * a KiB, a network request 0.001, a search result 0.00001 (budget units). */
void nc_cost_model_default(struct nc_cost_model *m);

/* How each operation is priced. */
enum nc_cost_kind nc_cost_kind_of(enum nc_op op);
/* The price of `quantity` units of `kind`:
 *   command  base + ceil(per_second * ms / 1000)
 *   file     per_kib * ceil(bytes / 1024)
 *   network  per_request * requests
 *   search   per_result * results
 * Monotone in quantity, so the price of the limits (timeout, max bytes, max results) is the
 * maximum to reserve and the price of what was used is the actual cost to settle.
 * Returns 0, or -ERANGE on overflow (refuse the operation), -EINVAL for a bad kind. */
int nc_cost_price(const struct nc_cost_model *m, enum nc_cost_kind kind, uint64_t quantity,
                  uint64_t *out, struct nc_err *err);

#endif
