/* SPDX-License-Identifier: Apache-2.0 */
/* Read-only function tables (see seal.h). */
#include "util/seal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

_Static_assert((NC_SEAL_PAGE & (NC_SEAL_PAGE - 1)) == 0, "NC_SEAL_PAGE is a power of two");

int nc_seal(void *p, size_t len, struct nc_err *err)
{
    long page = sysconf(_SC_PAGESIZE);
    /* A kernel with pages larger than NC_SEAL_PAGE would make mprotect round the range out
     * to pages shared with other variables (or fail): refuse rather than guess. */
    if (page <= 0 || page > NC_SEAL_PAGE || NC_SEAL_PAGE % page != 0)
        return nc_err_set(err, EINVAL, "the page size (%ld bytes) is not a divisor of %d", page,
                          NC_SEAL_PAGE);
    if ((uintptr_t)p % NC_SEAL_PAGE != 0 || len == 0 || len % NC_SEAL_PAGE != 0)
        return nc_err_set(err, EINVAL, "the table at %p (%zu bytes) is not in whole pages", p,
                          len);
    if (mprotect(p, len, PROT_READ) < 0) {
        int e = errno;
        return nc_err_set(err, e, "mprotect: %s", strerror(e));
    }
    return 0;
}
