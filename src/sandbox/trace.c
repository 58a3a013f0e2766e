/* SPDX-License-Identifier: Apache-2.0 */
/* Phase timestamps (see trace.h).  Empty unless built with -DNC_POD_TRACE. */
#include "sandbox/trace.h"

#ifdef NC_POD_TRACE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void nc_pod_trace(const char *label)
{
    static int fd = -2; /* set once, in the parent, before any pod process exists */
    struct timespec ts;
    char line[192];
    int n;

    if (fd == -2) {
        const char *e = getenv("NC_POD_TRACE_FD");
        fd = e != NULL ? atoi(e) : -1;
    }
    if (fd < 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    n = snprintf(line, sizeof(line), "%d %lld %s\n", (int)getpid(),
                 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, label);
    if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, (size_t)n) < 0)
        fd = -1;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int nc_pod_trace_unused;
#endif
