/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock rules for the pod (see landlock.h).
 *
 * Why Landlock on top of the mounts: the mount layout is the first filesystem boundary, but it
 * is built by code that can have bugs (a bind in the wrong order, a path created after start),
 * and mounts say nothing about TCP or signals.  Landlock is a second, independent check done by
 * the kernel at access time, on every open, create, rename, connect and kill, that holds even if
 * a mount is wrong.
 *
 * Best effort by ABI, the way the kernel documentation prescribes: we ask the kernel for its
 * ABI version and handle every right that version knows, so on an older kernel we still get
 * what it offers, and rights newer than this file are left alone (Landlock allows what a
 * ruleset does not handle).  The caller learns what was applied through *abi, *net_applied and
 * *scope_applied and decides whether that is enough (pod.c's --allow-degraded).
 *
 * Debian 12's <linux/landlock.h> stops at ABI 2 (REFER, and its ruleset attribute has only the
 * filesystem field), so later constants are defined here, each guarded, and the ruleset
 * attribute is our own three-field struct.  Values from the kernel's include/uapi/linux/
 * landlock.h. */
#include "sandbox/landlock.h"

#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
/* Filesystem rights.  ABI 1: bits 0-12. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
/* Network rights, ABI 4. */
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
/* Scopes, ABI 6. */
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6.  The kernel accepts a larger struct than it knows
 * as long as the unknown tail is zero, so passing all three fields to an ABI 1 kernel is fine
 * when net and scoped are 0. */
#ifndef LANDLOCK_RULE_NET_PORT
#define LANDLOCK_RULE_NET_PORT 2
#endif
struct nc_landlock_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

struct nc_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

/* clang-format off */
#define NC_LL_FS_ABI1 (                                                                     \
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                            \
    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |                            \
    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                        \
    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |                            \
    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                            \
    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                          \
    LANDLOCK_ACCESS_FS_MAKE_SYM)

/* The rights a rule on a non-directory may carry; the others concern a directory's entries
 * and make landlock_add_rule fail with EINVAL on a file. */
#define NC_LL_FS_FILE (                                                                     \
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                            \
    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                            \
    LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* Read-only paths: read and list and execute; no device ioctls (IOCTL_DEV), so a device node
 * that needs them (a terminal) belongs in the read-write list. */
#define NC_LL_FS_RO (                                                                       \
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* clang-format on */

/* Every filesystem right the given ABI knows. */
static uint64_t nc_ll_fs_rights(int abi)
{
    uint64_t r = NC_LL_FS_ABI1;
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return r;
}

int nc_landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, (size_t)0,
                     (uint32_t)LANDLOCK_CREATE_RULESET_VERSION);
    /* ENOSYS: kernel without Landlock; EOPNOTSUPP: built in but disabled at boot (lsm=).
     * Any other failure (an outer seccomp filter returning EPERM, say) also means we cannot
     * use it; the caller reports the mechanism as missing either way. */
    if (v <= 0)
        return 0;
    return (int)v;
}

/* Adds one path-beneath rule.  A missing path is skipped (0): the spec lists system
 * directories that some distributions lack (/lib64).  Other failures are errors: a path we
 * were told to allow and could not would silently shrink the pod, or worse, hide a mistake. */
static int nc_ll_add_path(int ruleset_fd, const char *path, uint64_t access, uint64_t handled,
                          struct nc_err *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;

    if (path == NULL || path[0] == '\0')
        return nc_err_set(err, EINVAL, "landlock: empty path in the spec");
    /* O_PATH: we only need to name the inode, not read it, so a path we may not read (or a
     * device) can still be named; the kernel resolves symlinks here, once. */
    do
        fd = open(path, O_PATH | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return nc_err_set(err, errno, "landlock: %s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) < 0)
        return nc_err_set(err, errno, "landlock: %s: %s", path, strerror(errno));

    struct landlock_path_beneath_attr pb;
    memset(&pb, 0, sizeof(pb));
    pb.allowed_access = access & handled;
    if (!S_ISDIR(st.st_mode))
        pb.allowed_access &= NC_LL_FS_FILE;
    pb.parent_fd = fd;
    if (pb.allowed_access == 0)
        return 0; /* nothing to grant (the kernel refuses empty rules with ENOMSG) */
    if (syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &pb,
                (uint32_t)0) < 0)
        return nc_err_set(err, errno, "landlock: rule for %s: %s", path, strerror(errno));
    return 0;
}

static int nc_ll_add_paths(int ruleset_fd, const char *const *paths, uint64_t access,
                           uint64_t handled, struct nc_err *err)
{
    if (paths == NULL)
        return 0;
    for (size_t i = 0; paths[i] != NULL; i++) {
        int rc = nc_ll_add_path(ruleset_fd, paths[i], access, handled, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Returns 0, or a negative value with err filled (nc_err_set's); the outputs are set only on
 * success. */
static int nc_ll_apply(const struct nc_landlock_spec *spec, int *abi, bool *net_applied,
                       bool *scope_applied, struct nc_err *err)
{
    if (spec == NULL)
        return nc_err_set(err, EINVAL, "landlock: no spec");

    int v = nc_landlock_abi();
    if (v == 0)
        return 0; /* nothing applied; *abi == 0 tells the caller */

    struct nc_landlock_ruleset_attr attr;
    memset(&attr, 0, sizeof(attr));
    /* Handle every filesystem right this ABI knows, so that anything not granted below is
     * denied, including rights (TRUNCATE, IOCTL_DEV) that a shorter list would forget. */
    attr.handled_access_fs = nc_ll_fs_rights(v);
    /* TCP: handled with no port rule at all, so every bind and connect is denied.  The pod
     * reaches the network only through the gateway's unix socket; this stops a process from
     * talking TCP to anything that is reachable in the pod's namespace despite that (a
     * misrouted setup, a listener bound into the netns). */
    bool want_net = spec->deny_tcp && v >= 4;
    if (want_net)
        attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
                                  (spec->tcp_connect_any ? 0 : LANDLOCK_ACCESS_NET_CONNECT_TCP);
    /* Scopes: no signals to processes outside this Landlock domain (the supervisor, the
     * user's other processes when a pid namespace is missing), and no connecting to abstract
     * unix sockets created outside it (they have no path, so neither the mounts nor the
     * filesystem rules cover them: D-Bus, X11 and some agents listen on them). */
    bool want_scope = spec->scope && v >= 6;
    if (want_scope)
        attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;

    _cleanup_close_ int ruleset_fd =
        (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), (uint32_t)0);
    if (ruleset_fd < 0)
        return nc_err_set(err, errno, "landlock: create_ruleset (ABI %d): %s", v,
                          strerror(errno));

    int rc = nc_ll_add_paths(ruleset_fd, spec->ro, NC_LL_FS_RO, attr.handled_access_fs, err);
    if (rc < 0)
        return rc;
    /* The egress gateway's listener on 127.0.0.1 (docs/network.md): the one TCP port a
     * connection may go to; binding stays denied (the listener is bound already). */
    for (size_t i = 0; want_net && !spec->tcp_connect_any && i <= spec->ntcp_connect_ports; i++) {
        uint16_t port = i == 0 ? spec->tcp_connect_port : spec->tcp_connect_ports[i - 1];
        struct nc_landlock_net_port_attr np = {.allowed_access = LANDLOCK_ACCESS_NET_CONNECT_TCP,
                                               .port = port};
        if (port != 0 &&
            syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_NET_PORT, &np, (uint32_t)0) < 0)
            return nc_err_set(err, errno, "landlock: rule for TCP port %u: %s", (unsigned)port,
                              strerror(errno));
    }
    /* Read-write: every handled right, including REFER so files can be moved between
     * directories beneath (and, since the kernel requires the destination to be at most as
     * permissive as the source, never from here into a read-only tree). */
    rc = nc_ll_add_paths(ruleset_fd, spec->rw, attr.handled_access_fs, attr.handled_access_fs,
                         err);
    if (rc < 0)
        return rc;

    /* The kernel requires no_new_privs (or CAP_SYS_ADMIN) here: without it a setuid program
     * could be run inside a sandbox it does not expect.  We leave that to the caller (see
     * landlock.h) and report the kernel's EPERM if it was not done. */
    if (syscall(SYS_landlock_restrict_self, ruleset_fd, (uint32_t)0) < 0) {
        int e = errno;
        return nc_err_set(err, e, "landlock: restrict_self: %s%s", strerror(e),
                          e == EPERM ? " (is no_new_privs set?)" : "");
    }
    *abi = v;
    *net_applied = want_net;
    *scope_applied = want_scope;
    return 0;
}

int nc_landlock_apply(const struct nc_landlock_spec *spec, int *abi, bool *net_applied,
                      bool *scope_applied, struct nc_err *err)
{
    int a = 0;
    bool net = false, scope = false;
    int rc = nc_ll_apply(spec, &a, &net, &scope, err);
    /* On failure report nothing applied: restrict_self is the last step, so a failure means
     * the thread is unrestricted. */
    if (abi != NULL)
        *abi = rc < 0 ? 0 : a;
    if (net_applied != NULL)
        *net_applied = rc == 0 && net;
    if (scope_applied != NULL)
        *scope_applied = rc == 0 && scope;
    return rc < 0 ? -1 : 0;
}
