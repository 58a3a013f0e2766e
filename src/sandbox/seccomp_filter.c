/* SPDX-License-Identifier: Apache-2.0 */
/* The pod's seccomp filter as a table (see seccomp_filter.h).
 *
 * Shape, as in OpenSSH's sandbox-seccomp-filter.c: architecture check first, then one row per
 * denied system call or argument pattern, each saying what it defends against.  Unlike OpenSSH
 * the default is ALLOW: the pod runs arbitrary developer tools (compilers, interpreters,
 * package managers), so an allowlist would break them in ways we cannot enumerate.  The filter
 * therefore removes kernel attack surface and escape primitives that ordinary programs do not
 * need; the namespaces, the mounts, Landlock and the dropped capabilities are the boundary, and
 * this table narrows what an attacker inside can use to attack them.
 *
 * Architecture.  Only the native architecture is added to the filter.  libseccomp emits, before
 * any rule, "arch != native -> bad-arch action" and, for x86_64, "syscall number has the x32 bit
 * (0x40000000) -> bad-arch action"; we set the bad-arch action to KILL_PROCESS.  So i386 system
 * calls (int $0x80, which the kernel accepts from 64-bit processes when IA32_EMULATION is on)
 * and x32 calls never reach the table below: their numbers differ from the native ones, which
 * is the classic way around a deny list.  Killing (not EPERM) is right because no program in the
 * pod is meant to use them.
 *
 * Arguments.  The kernel reads int/unsigned int arguments from the low 32 bits of the register
 * and ignores the rest, but seccomp sees all 64 bits.  A rule "arg == X" would be bypassed by
 * passing X with garbage in the upper half, so every comparison on a 32-bit argument masks it
 * with 0xffffffff (ARG32_EQ), and range rules are written so that garbage makes them match
 * (deny), never miss.
 *
 * Denials return EPERM, except clone3 which returns ENOSYS (see its row).  Nothing here blocks
 * seccomp(2) or the Landlock calls: a program may sandbox itself further (nested sandboxes) and
 * a filter can only add restrictions.
 *
 * When it is compiled.  libseccomp turns this table into a BPF program at build time:
 * seccomp_gen.c runs nc_seccomp_compile() and writes the program as a C array, which the pod
 * loads with one seccomp(2) call (seccomp.c).  Building it in every pod cost about 2 ms of
 * libseccomp work per spawn (docs/benchmarks.md).  test_seccomp compiles the table again at
 * test time and requires the embedded program to be identical, byte for byte.  This file is
 * therefore linked into the generator, the tests and bench/seccomp_export, never into nucleus.
 */
#include "sandbox/seccomp_filter.h"

#include "util/err.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

/* Our header is seccomp_filter.h so that <seccomp.h> is always libseccomp's. */

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef TIOCSETD
#define TIOCSETD 0x5423
#endif
/* The low four bits of socket()'s type are the type proper; the rest are SOCK_NONBLOCK and
 * SOCK_CLOEXEC (the kernel's SOCK_TYPE_MASK, not exported to user space). */
#define NC_SOCK_TYPE_MASK 0xfULL

/* open_tree_attr (Linux 6.15) is newer than libseccomp 2.5's syscall table, so SCMP_SYS() cannot
 * name it; it has the same number on every architecture but alpha. */
#if defined(__NR_open_tree_attr)
#define NC_NR_OPEN_TREE_ATTR __NR_open_tree_attr
#elif defined(__x86_64__) || defined(__aarch64__) || defined(__riscv)
#define NC_NR_OPEN_TREE_ATTR 467
#endif

struct nc_seccomp_rule {
    const char *name; /* for error messages */
    int nr;           /* SCMP_SYS(name), or the native number for calls libseccomp does not know */
    int err;          /* the errno the call fails with */
    unsigned ncmp;    /* argument comparisons, all of which must hold (libseccomp ANDs them) */
    struct scmp_arg_cmp cmp[2];
};

/* Comparisons.  Written as plain initializers: libseccomp's SCMP_A*() macros are compound
 * literals, which ISO C does not allow in a static table. */
#define ARG32_EQ(i, v)                                                                      \
    {.arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffULL,                       \
     .datum_b = (uint64_t)(uint32_t)(v)}
#define ARG_MASKED_EQ(i, mask, v)                                                           \
    {.arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (uint64_t)(mask), .datum_b = (uint64_t)(v)}
#define ARG_HAS_BITS(i, bits) ARG_MASKED_EQ(i, bits, bits)
#define ARG64_GE(i, v) {.arg = (i), .op = SCMP_CMP_GE, .datum_a = (uint64_t)(v), .datum_b = 0}

/* Rows. */
#define DENY(call) {#call, SCMP_SYS(call), EPERM, 0, {{0}}}
#define DENY_NR(call, nr) {#call, (nr), EPERM, 0, {{0}}}
#define DENY_IF(call, c0) {#call, SCMP_SYS(call), EPERM, 1, {c0}}
#define DENY_IF2(call, c0, c1) {#call, SCMP_SYS(call), EPERM, 2, {c0, c1}}

/* personality(2): the kernel keeps the low 32 bits of the argument; 0 (PER_LINUX) sets the
 * default and 0xffffffff only queries.  libseccomp compares each argument at most once per
 * rule, so "neither 0 nor 0xffffffff" cannot be one rule.  Instead: a 32-bit value other than
 * all-zeros and all-ones has, going round its bits cyclically, a set bit i followed by a clear
 * bit i+1; so the 32 rules "bit i set and bit (i+1) mod 32 clear" together match exactly the
 * values to deny, and never 0 or 0xffffffff.  The upper 32 bits are ignored by the rules as
 * they are by the kernel. */
#define PERSONA_BIT(i)                                                                      \
    DENY_IF(personality,                                                                    \
            ARG_MASKED_EQ(0, (1ULL << (i)) | (1ULL << (((i) + 1) % 32)), 1ULL << (i)))
#define PERSONA_4(i)                                                                        \
    PERSONA_BIT(i), PERSONA_BIT((i) + 1), PERSONA_BIT((i) + 2), PERSONA_BIT((i) + 3)

/* Socket families: only AF_UNIX (1), AF_INET (2) and AF_INET6 (10) are allowed.  Every other
 * family is kernel code no tool in a pod needs, and several have a record: AF_PACKET
 * (CVE-2016-8655, CVE-2017-7308, CVE-2020-14386), AF_VSOCK (CVE-2021-26708; and it reaches the
 * hypervisor or WSL host, around the network namespace), AF_NETLINK (route/netfilter/xfrm
 * configuration; nf_tables bugs such as CVE-2022-1015 and CVE-2024-1086 are reached through it),
 * AF_ALG, AF_TIPC, AF_RDS, Bluetooth, the obsolete 3..9.  DESIGN.md denies netlink outright
 * (glibc's getaddrinfo falls back when it cannot open one).  "domain >= 11" is a full 64-bit
 * comparison, so garbage in the upper half also matches it and is denied. */
#define DENY_FAMILY(call, af) DENY_IF(call, ARG32_EQ(0, af))
#define DENY_FAMILIES(call)                                                                 \
    DENY_FAMILY(call, 0), DENY_FAMILY(call, 3), DENY_FAMILY(call, 4), DENY_FAMILY(call, 5),   \
        DENY_FAMILY(call, 6), DENY_FAMILY(call, 7), DENY_FAMILY(call, 8),                     \
        DENY_FAMILY(call, 9), DENY_IF(call, ARG64_GE(0, 11))

/* clone(2): its flags are a register (arg 0), so each namespace flag gets a rule.  Only the low
 * 32 bits count and the masks below lie there.  CLONE_NEWTIME (0x80) is not listed: clone()
 * reads the low byte as the exit signal, so it can only come through unshare or clone3, both
 * denied. */
#define DENY_CLONE_FLAG(flag) DENY_IF(clone, ARG_HAS_BITS(0, flag))

/* clang-format off */
static const struct nc_seccomp_rule nc_seccomp_table[] = {
    /* ---- mounts and the root: rearranging the filesystem view is how a process undoes the
     * pod's mount layout (re-exposing a masked path, remounting read-only binds writable). */
    DENY(mount),
    DENY(umount2),     /* unmounting an over-mount reveals what it masked (.git/hooks, keys) */
    DENY(pivot_root),
    DENY(chroot),      /* needs CAP_SYS_CHROOT; denied so a leaked capability cannot use the
                        * classic chroot escapes */
    /* The new mount API reaches the same operations through file descriptors; fsconfig's
     * legacy parser was CVE-2022-0185, reachable from any user namespace. */
    DENY(fsopen),
    DENY(fsconfig),
    DENY(fsmount),
    DENY(fspick),
    DENY(move_mount),
    DENY(open_tree),   /* OPEN_TREE_CLONE makes detached copies of mounts */
    DENY(mount_setattr), /* changes read-only/nosuid/noexec flags of existing mounts */
#ifdef NC_NR_OPEN_TREE_ATTR
    DENY_NR(open_tree_attr, NC_NR_OPEN_TREE_ATTR), /* open_tree + mount_setattr in one call */
#endif

    /* ---- namespaces: new namespaces give CAP_SYS_ADMIN over fresh kernel objects, the
     * door to most container-escape kernel bugs (nf_tables, fsconfig, overlayfs ...);
     * setns joins someone else's. */
    DENY(unshare),
    DENY(setns),
    DENY_CLONE_FLAG(CLONE_NEWNS),
    DENY_CLONE_FLAG(CLONE_NEWCGROUP),
    DENY_CLONE_FLAG(CLONE_NEWUTS),
    DENY_CLONE_FLAG(CLONE_NEWIPC),
    DENY_CLONE_FLAG(CLONE_NEWUSER),
    DENY_CLONE_FLAG(CLONE_NEWPID),
    DENY_CLONE_FLAG(CLONE_NEWNET),
    /* clone3 takes its flags in memory, which seccomp cannot read, so it cannot be filtered
     * by flag.  ENOSYS (not EPERM) makes glibc fall back to clone(), filtered above. */
    {"clone3", SCMP_SYS(clone3), ENOSYS, 0, {{0}}},

    /* ---- other processes' memory and files: reading or steering another process (for
     * instance a pod process that holds a credential, or the pod init) */
    DENY(ptrace),
    DENY(process_vm_readv),
    DENY(process_vm_writev),
    DENY(pidfd_getfd),  /* copies a file descriptor out of another process, ptrace-style */
    DENY(kcmp),         /* compares kernel objects of other processes; leaks their ordering */

    /* ---- kernel keyrings: a pod inherits its caller's session keyring and can reach the
     * user's keyring (Kerberos tickets, disk-encryption keys) through these calls; and the
     * code has a history of refcount bugs (CVE-2016-0728) */
    DENY(keyctl),
    DENY(add_key),
    DENY(request_key),

    /* ---- large kernel attack surface that ordinary tools do not need */
    DENY(bpf),             /* verifier bugs (CVE-2017-16995, CVE-2021-3490) */
    DENY(perf_event_open), /* CVE-2013-2094 and successors; also a side channel */
    DENY(userfaultfd),     /* pauses the kernel mid-copy: the race-widening tool of exploits */
    /* io_uring does socket, open and file work without the matching system calls, so it
     * walks around the socket rules below (codex denies it for that reason); and 60% of the
     * kernel exploits submitted to Google's kCTF programme in 2022 went through it. */
    DENY(io_uring_setup),
    DENY(io_uring_enter),
    DENY(io_uring_register),

    /* ---- kernel code loading and machine state: all need capabilities the pod lacks;
     * denied so a capability leak is not enough */
    DENY(kexec_load),
    DENY(kexec_file_load),
    DENY(init_module),
    DENY(finit_module),
    DENY(delete_module),
    DENY(reboot),
    DENY(swapon),
    DENY(swapoff),
    DENY(acct),          /* would make the kernel write a file of our choosing */
    DENY(quotactl),
    DENY(quotactl_fd),
    DENY(settimeofday),  /* the clock is not namespaced.  adjtimex/clock_adjtime stay: with */
    DENY(clock_settime), /* modes == 0 they only read (ntp_gettime), and setting needs caps */

    /* ---- information leaks */
    DENY(syslog),        /* the kernel log holds kernel addresses (KASLR) and host details */
    DENY(lookup_dcookie), /* oprofile's path lookup, removed from recent kernels; its cookies
                           * were kernel addresses */

    /* ---- file handles: open_by_handle_at opens any inode on a mounted filesystem by
     * handle, bypassing the mount view ("shocker" container escape, 2014); its pair
     * name_to_handle_at mints those handles */
    DENY(open_by_handle_at),
    DENY(name_to_handle_at),

    /* ---- x86 hardware access and legacy execution */
    DENY(iopl),          /* raw I/O ports */
    DENY(ioperm),
    DENY(modify_ldt),    /* 16-bit segments: LDT bugs (CVE-2017-17053); only Wine/DOSEMU need it */
    DENY(uselib),        /* a.out library loader; obsolete, and racy (CVE-2004-1235) */

    /* ---- personality: only PER_LINUX (0) and the query 0xffffffff.  Other personas turn
     * off ASLR for what we exec (ADDR_NO_RANDOMIZE), make data executable
     * (READ_IMPLIES_EXEC) or allow mapping page zero (MMAP_PAGE_ZERO). */
    PERSONA_4(0), PERSONA_4(4), PERSONA_4(8), PERSONA_4(12),
    PERSONA_4(16), PERSONA_4(20), PERSONA_4(24), PERSONA_4(28),

    /* ---- sockets: the family allowlist (see DENY_FAMILIES) */
    DENY_FAMILIES(socket),
    DENY_FAMILIES(socketpair),
    /* Raw IP sockets forge packets and sniff the netns.  They need CAP_NET_RAW, which a
     * process has in a user namespace that owns its network namespace. */
    DENY_IF2(socket, ARG32_EQ(0, AF_INET), ARG_MASKED_EQ(1, NC_SOCK_TYPE_MASK, SOCK_RAW)),
    DENY_IF2(socket, ARG32_EQ(0, AF_INET6), ARG_MASKED_EQ(1, NC_SOCK_TYPE_MASK, SOCK_RAW)),
    /* socket(AF_INET, SOCK_PACKET) is the obsolete spelling of a packet socket: the kernel
     * turns it into AF_PACKET, around the family rule. */
    DENY_IF2(socket, ARG32_EQ(0, AF_INET), ARG_MASKED_EQ(1, NC_SOCK_TYPE_MASK, SOCK_PACKET)),

    /* ---- terminal injection.  ioctl's request is an unsigned int: masked. */
    DENY_IF(ioctl, ARG32_EQ(1, TIOCSTI)),   /* push input into the terminal: the typed
                                             * command runs outside the pod (CVE-2017-5226) */
    DENY_IF(ioctl, ARG32_EQ(1, TIOCLINUX)), /* console selection paste: the same injection */
    DENY_IF(ioctl, ARG32_EQ(1, TIOCSETD)),  /* line disciplines: n_hdlc (CVE-2017-2636),
                                             * n_gsm (CVE-2023-6546) */
};
/* clang-format on */

#define NC_SECCOMP_NRULES (sizeof(nc_seccomp_table) / sizeof(nc_seccomp_table[0]))

unsigned nc_seccomp_table_rules(void)
{
    return (unsigned)NC_SECCOMP_NRULES;
}

static void nc_seccomp_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx != NULL)
        seccomp_release(*ctx);
}
#define _cleanup_seccomp_ __attribute__((cleanup(nc_seccomp_releasep)))

/* Returns 0, or a negative value with err filled (nc_err_set's). */
static int compile_table(int out_fd, struct nc_err *err)
{
    _cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return nc_err_set(err, ENOMEM, "seccomp: cannot create the filter");

    /* Security-relevant attributes: failure to set them is an error. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0)
        return nc_err_set(err, -rc, "seccomp: bad-architecture action: %s", strerror(-rc));
    /* no_new_privs is the loader's business (seccomp.c checks it); it is not part of the
     * program. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc < 0)
        return nc_err_set(err, -rc, "seccomp: no_new_privs attribute: %s", strerror(-rc));
    /* A binary search over syscall numbers instead of a linear chain: with a default-allow
     * filter every system call of the pod runs the program.  Fail if it cannot be had: the
     * generated program must not depend on a silently ignored attribute. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0)
        return nc_err_set(err, -rc, "seccomp: binary-tree optimisation: %s", strerror(-rc));

    for (size_t i = 0; i < NC_SECCOMP_NRULES; i++) {
        const struct nc_seccomp_rule *r = &nc_seccomp_table[i];
        /* _exact: fail rather than let libseccomp rewrite a rule (it never needs to on the
         * native x86_64 ABI, which has no multiplexed calls). */
        rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO((uint32_t)r->err), r->nr,
                                          r->ncmp, r->cmp);
        if (rc < 0)
            return nc_err_set(err, -rc, "seccomp: rule %zu (%s): %s", i, r->name,
                              strerror(-rc));
    }

    rc = seccomp_export_bpf(ctx, out_fd);
    if (rc < 0)
        return nc_err_set(err, -rc, "seccomp: exporting the program: %s", strerror(-rc));
    return 0;
}

int nc_seccomp_compile(int out_fd, struct nc_err *err)
{
    return compile_table(out_fd, err) < 0 ? -1 : 0;
}
