/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus-init: the pod's PID 1 once the pod is set up.  A freestanding static program (no
 * libc, no heap, no writable data) that the pod init execs after it has built the pod and
 * started the command, so that PID 1 does not keep the nucleus image, libc and the set-up's
 * heap mapped for the life of the pod: its resident set is a few pages instead of about
 * 1.4 MiB (docs/design/0010-pod-processes.md).
 *
 *   nucleus-init CMD_PID GO_FD
 *
 * Entered with the pod's credentials already final (no capabilities, no_new_privs), with the
 * signals it forwards and SIGCHLD blocked (the exec keeps the mask, so none is lost), and with
 * the command waiting on GO_FD before it execs.  It
 *   1. makes itself non-dumpable: an exec resets the flag, and until it is clear the command
 *      could open /proc/1/mem (same user, no Landlock domain on PID 1 when Landlock is
 *      missing).  Only then does it
 *   2. release the command (one byte on GO_FD), so the command never runs its own code while
 *      PID 1 is readable;
 *   3. forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH and SIGCONT to the
 *      command, reaps every process that ends up as its child, and exits with the command's
 *      status (128+N for signal N) when the command is reaped.  As PID 1 its exit makes the
 *      kernel kill whatever is left in the pod.
 * Any failure exits with 125 (the pod failed), which also ends the pod.
 *
 * Built by src/sandbox/meson.build with its own flags (freestanding, -static-pie, no stack
 * protector: there is no TLS) and embedded in nucleus as a byte array; the pod execs it from a
 * sealed memfd (pod.c).  Kernel ABI only: system call numbers and structures from the kernel's
 * uapi headers. */
#include <asm/unistd.h>
#include <linux/prctl.h>
#include <linux/signalfd.h>
#include <linux/wait.h>

#define POD_FAILED 125

/* Signal numbers are the same on x86_64 and arm64 (asm-generic). */
#define SIG_HUP 1
#define SIG_INT 2
#define SIG_QUIT 3
#define SIG_USR1 10
#define SIG_USR2 12
#define SIG_TERM 15
#define SIG_CHLD 17
#define SIG_PIPE 13
#define SIG_CONT 18
#define SIG_WINCH 28
#define SIGBIT(s) (1UL << ((s) - 1))
#define EINTR_ 4
#define ECHILD_ 10
#define EPIPE_ 32

#include "raw_syscall.h"

#if !NC_HAVE_RAW_SYSCALL
/* cppcheck-suppress preprocessorErrorDirective */
#error "nucleus-init supports x86_64 and aarch64; meson builds it only there"
#endif

/* The kernel starts us with the stack pointer at argc: hand it to reaper_main, aligned. */
#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call reaper_main\n"
        "  hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        ".type _start,%function\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x30, #0\n"
        "  mov x0, sp\n"
        "  bl reaper_main\n"
        "  brk #0\n");
#endif

#define sys6 nc_raw6

static __attribute__((noreturn)) void sys_exit(int status)
{
    for (;;)
        sys6(__NR_exit_group, status, 0, 0, 0, 0, 0);
}

/* A non-negative decimal int, or -1. */
static long parse_int(const char *s)
{
    long v = 0;
    if (s == 0 || *s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > 100000000L)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static int exit_code(int st)
{
    int sig = st & 0x7f;
    if (sig == 0)
        return (st >> 8) & 0xff; /* exited */
    if (sig != 0x7f)
        return 128 + sig; /* killed */
    return 1;
}

__attribute__((noreturn, used, visibility("hidden"))) void reaper_main(long *sp);

__attribute__((noreturn, used, visibility("hidden"))) void reaper_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    unsigned long mask = SIGBIT(SIG_HUP) | SIGBIT(SIG_INT) | SIGBIT(SIG_QUIT) | SIGBIT(SIG_USR1) |
                         SIGBIT(SIG_USR2) | SIGBIT(SIG_TERM) | SIGBIT(SIG_CHLD) |
                         SIGBIT(SIG_CONT) | SIGBIT(SIG_WINCH);
    static const char name[16] = "nucleus-init";
    struct signalfd_siginfo si;
    long cmd, go, sfd, r;

    /* 1. Nobody in the pod may read or write our memory from here on. */
    if (sys6(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0, 0) != 0)
        sys_exit(POD_FAILED);
    (void)sys6(__NR_prctl, PR_SET_NAME, (long)name, 0, 0, 0, 0);
    /* A write to a command that is gone must fail with EPIPE, not end us (as PID 1 the kernel
     * would not deliver SIGPIPE anyway; elsewhere, in tests, it would). */
    unsigned long pipe_mask = SIGBIT(SIG_PIPE);
    (void)sys6(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&pipe_mask, 0, 8, 0, 0);

    if (argc != 3 || (cmd = parse_int(argv[1])) <= 1 || (go = parse_int(argv[2])) < 0)
        sys_exit(POD_FAILED);
    /* The mask was set before the exec and is the same set: blocked signals wait here. */
    sfd = sys6(__NR_signalfd4, -1, (long)&mask, 8, SFD_CLOEXEC, 0, 0);
    if (sfd < 0)
        sys_exit(POD_FAILED);

    /* 2. Release the command.  EPIPE: it died meanwhile; its status is reaped below. */
    do
        r = sys6(__NR_write, go, (long)"g", 1, 0, 0, 0);
    while (r == -EINTR_);
    if (r != 1 && r != -EPIPE_)
        sys_exit(POD_FAILED);
    (void)sys6(__NR_close, go, 0, 0, 0, 0, 0);

    /* 3. Reap and forward until the command is gone.  Reap first: a SIGCHLD that arrived
     * before the exec may already have been consumed by nothing. */
    for (;;) {
        for (;;) {
            int st = 0;
            r = sys6(__NR_wait4, -1, (long)&st, WNOHANG | __WALL, 0, 0, 0);
            if (r == cmd)
                sys_exit(exit_code(st));
            if (r == -EINTR_)
                continue;
            if (r == -ECHILD_)
                sys_exit(POD_FAILED); /* the command is not our child: never expected */
            if (r <= 0)
                break;
        }
        si.ssi_signo = 0;
        r = sys6(__NR_read, sfd, (long)&si, sizeof(si), 0, 0, 0);
        if (r == -EINTR_)
            continue;
        if (r != (long)sizeof(si))
            sys_exit(POD_FAILED);
        if (si.ssi_signo != SIG_CHLD)
            (void)sys6(__NR_kill, cmd, (long)si.ssi_signo, 0, 0, 0, 0);
    }
}
