/* SPDX-License-Identifier: Apache-2.0 */
/* Error values (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int nc_err_set(struct nc_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap); /* truncation is acceptable here */
        va_end(ap);
    }
    return code > 0 ? -code : (code == 0 ? -1 : code);
}

void nc_err_clear(struct nc_err *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
