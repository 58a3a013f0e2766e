/* SPDX-License-Identifier: Apache-2.0 */
/* The error convention of CONVENTIONS.md: functions that can fail take `struct nc_err *err` last,
 * return < 0 (or NULL) and fill it; library code never prints and never exits. */
#ifndef NC_UTIL_ERR_H
#define NC_UTIL_ERR_H

#include <stddef.h>

#define NC_ERR_MSG_MAX 512

struct nc_err {
    int code; /* errno-style (EINVAL, ENOENT, ...) */
    char msg[NC_ERR_MSG_MAX];
};

/* Fills err (if non-NULL) and returns -code, so `return nc_err_set(err, EINVAL, "...")` works.
 * The message is truncated to fit, never overflowed. */
int nc_err_set(struct nc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nc_err_clear(struct nc_err *err);

#endif
