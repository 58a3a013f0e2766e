/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound ownership: __attribute__((cleanup)) helpers in the style of bubblewrap and crun. */
#ifndef NC_UTIL_CLEANUP_H
#define NC_UTIL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void nc_freep(void *p)
{
    free(*(void **)p);
}

static inline void nc_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        (void)close(*fd);
        errno = saved;
    }
}

static inline void nc_fclosep(FILE **f)
{
    if (*f != NULL)
        (void)fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(nc_freep)))
#define _cleanup_close_ __attribute__((cleanup(nc_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(nc_fclosep)))

/* Hands ownership on: returns the pointer and leaves NULL behind. */
#define steal_pointer(pp)                                                                   \
    __extension__({                                                                         \
        __typeof__(*(pp)) _ptr = *(pp);                                                     \
        *(pp) = NULL;                                                                       \
        _ptr;                                                                               \
    })

#endif
