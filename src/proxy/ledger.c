/* SPDX-License-Identifier: Apache-2.0 */
/* The concurrent budget (see ledger.h).  The v1 runtime charged only `run`, prepaid the rest of
 * the pod's lifetime and never refunded (reference §4); here every operation reserves its
 * maximum, settles its actual cost and gets the rest back, and every check-and-update of the
 * budget happens inside one critical section so concurrent calls can never overspend. */
#include "ledger.h"

#include <string.h>

int nc_ledger_init(struct nc_ledger *l, uint64_t limit, struct nc_err *err)
{
    if (l == NULL)
        return nc_err_set(err, EINVAL, "ledger: no ledger");
    memset(l, 0, sizeof(*l));
    int e = pthread_mutex_init(&l->mu, NULL);
    if (e != 0)
        return nc_err_set(err, e, "ledger: mutex: %s", strerror(e));
    nc_budget_init(&l->budget, limit);
    return 0;
}

void nc_ledger_destroy(struct nc_ledger *l)
{
    if (l != NULL)
        (void)pthread_mutex_destroy(&l->mu);
}

int nc_ledger_reserve(struct nc_ledger *l, uint64_t amount, struct nc_ledger_hold *h,
                      struct nc_err *err)
{
    if (l == NULL || h == NULL)
        return nc_err_set(err, EINVAL, "ledger: missing argument");
    h->amount = 0;
    h->live = false;
    if (amount == 0) {
        h->live = true; /* free: nothing to take, but settle/release stay uniform */
        return 0;
    }
    pthread_mutex_lock(&l->mu);
    int rc = nc_budget_reserve(&l->budget, amount);
    uint64_t remaining = nc_budget_remaining(&l->budget);
    pthread_mutex_unlock(&l->mu);
    if (rc != 0) {
        char want[32], left[32];
        if (nc_format_micros(amount, want, sizeof(want)) != 0 ||
            nc_format_micros(remaining, left, sizeof(left)) != 0)
            return nc_err_set(err, EDQUOT, "budget exhausted");
        return nc_err_set(err, EDQUOT, "budget exhausted: this operation may cost up to %s, "
                                       "%s remains",
                          want, left);
    }
    h->amount = amount;
    h->live = true;
    return 0;
}

/* The hold's live flag is checked and cleared under the same mutex as the budget, so even a
 * caller that (wrongly) settles one hold from two threads cannot return money twice. */
int nc_ledger_settle(struct nc_ledger *l, struct nc_ledger_hold *h, uint64_t actual,
                     struct nc_err *err)
{
    if (l == NULL || h == NULL)
        return nc_err_set(err, EINVAL, "ledger: missing argument");
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    if (!h->live)
        rc = -1;
    else if (h->amount > 0)
        rc = nc_budget_settle(&l->budget, h->amount, actual);
    else
        rc = actual > 0 ? 1 : 0; /* a free operation that used something: capped at zero */
    if (rc >= 0) {
        h->live = false;
        h->amount = 0;
    }
    pthread_mutex_unlock(&l->mu);
    if (rc < 0)
        return nc_err_set(err, EINVAL, "ledger: not an outstanding reservation");
    return rc;
}

int nc_ledger_release(struct nc_ledger *l, struct nc_ledger_hold *h, struct nc_err *err)
{
    if (l == NULL || h == NULL)
        return nc_err_set(err, EINVAL, "ledger: missing argument");
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    if (!h->live)
        rc = -1;
    else if (h->amount > 0)
        rc = nc_budget_release(&l->budget, h->amount);
    if (rc == 0) {
        h->live = false;
        h->amount = 0;
    }
    pthread_mutex_unlock(&l->mu);
    if (rc != 0)
        return nc_err_set(err, EINVAL, "ledger: not an outstanding reservation");
    return 0;
}

void nc_ledger_snapshot(struct nc_ledger *l, struct nc_budget *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->budget;
    pthread_mutex_unlock(&l->mu);
}

void nc_cost_model_default(struct nc_cost_model *m)
{
    m->command_base = 1000;
    m->command_per_second = 1000;
    m->file_per_kib = 10;
    m->network_per_request = 1000;
    m->search_per_result = 10;
}

enum nc_cost_kind nc_cost_kind_of(enum nc_op op)
{
    switch (op) {
    case NC_OP_READ_FILES:
    case NC_OP_WRITE_FILES:
    case NC_OP_EDIT_FILES:
        return NC_COST_FILE_IO;
    case NC_OP_GLOB_SEARCH:
    case NC_OP_GREP_SEARCH:
    case NC_OP_WEB_SEARCH:
        return NC_COST_SEARCH;
    case NC_OP_WEB_FETCH:
        return NC_COST_NETWORK;
    case NC_OP_RUN_BASH:
    case NC_OP_GIT_COMMIT:
    case NC_OP_GIT_PUSH:
    case NC_OP_CREATE_PR:
        break;
    }
    return NC_COST_COMMAND; /* commands are the dearest kind: the safe default */
}

/* ceil(a / b) for b > 0, without overflow. */
static uint64_t div_ceil(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0 ? 1u : 0u);
}

int nc_cost_price(const struct nc_cost_model *m, enum nc_cost_kind kind, uint64_t quantity,
                  uint64_t *out, struct nc_err *err)
{
    uint64_t v = 0, t = 0;
    bool over = false;

    if (m == NULL || out == NULL)
        return nc_err_set(err, EINVAL, "cost: missing argument");
    switch (kind) {
    case NC_COST_COMMAND:
        /* per_second * ms first, then divide: pro rata without losing sub-second time. */
        over = __builtin_mul_overflow(m->command_per_second, quantity, &t);
        if (!over)
            over = __builtin_add_overflow(m->command_base, div_ceil(t, 1000u), &v);
        break;
    case NC_COST_FILE_IO:
        over = __builtin_mul_overflow(m->file_per_kib, div_ceil(quantity, 1024u), &v);
        break;
    case NC_COST_NETWORK:
        over = __builtin_mul_overflow(m->network_per_request, quantity, &v);
        break;
    case NC_COST_SEARCH:
        over = __builtin_mul_overflow(m->search_per_result, quantity, &v);
        break;
    default:
        return nc_err_set(err, EINVAL, "cost: unknown kind");
    }
    if (over)
        return nc_err_set(err, ERANGE, "cost: the price overflows");
    *out = v;
    return 0;
}
