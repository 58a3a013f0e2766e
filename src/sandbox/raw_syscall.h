/* SPDX-License-Identifier: Apache-2.0 */
/* System calls without libc: no errno, no sanitizer interceptors, nothing but registers.  For
 * the stretches in which two of the pod's processes share one address space (pod.c) and for
 * the freestanding pod init (reaper.c).  A call returns the kernel's result: >= 0, or -errno.
 * NC_HAVE_RAW_SYSCALL is 0 on architectures not written here (see the fallback below). */
#ifndef NC_SANDBOX_RAW_SYSCALL_H
#define NC_SANDBOX_RAW_SYSCALL_H

#if defined(__x86_64__)
#define NC_HAVE_RAW_SYSCALL 1
static inline __attribute__((always_inline)) long nc_raw6(long nr, long a, long b, long c, long d,
                                                          long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
#define NC_HAVE_RAW_SYSCALL 1
static inline __attribute__((always_inline)) long nc_raw6(long nr, long a, long b, long c, long d,
                                                          long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
/* Elsewhere: libc's syscall(), which writes errno on failure (nothing else) and which the
 * sanitizers do not intercept.  nucleus-init is not built there, so the pod init does not share
 * the parent's memory (pod.c); only the init and the command share the init's. */
#define NC_HAVE_RAW_SYSCALL 0
#include <errno.h>
#include <unistd.h>
static inline long nc_raw6(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#endif

#define nc_raw0(nr) nc_raw6((nr), 0, 0, 0, 0, 0, 0)
#define nc_raw1(nr, a) nc_raw6((nr), (long)(a), 0, 0, 0, 0, 0)
#define nc_raw2(nr, a, b) nc_raw6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define nc_raw3(nr, a, b, c) nc_raw6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define nc_raw4(nr, a, b, c, d) nc_raw6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#endif
