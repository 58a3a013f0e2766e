/* SPDX-License-Identifier: Apache-2.0 */
/* Probes of every isolation mechanism a pod relies on, for `nucleus doctor`: each probe tries
 * the real thing (in a throw-away child process wherever it could restrict or change the
 * caller) and reports ok / degraded / missing, a one-line detail and the exact fix.  Library
 * code: nothing is printed, nothing on the host is left changed. */
#ifndef NC_SANDBOX_PROBE_H
#define NC_SANDBOX_PROBE_H

#include "sandbox/pod.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum nc_probe_status {
    NC_PROBE_OK = 0,
    NC_PROBE_DEGRADED, /* works in part; the detail names what is lacking */
    NC_PROBE_MISSING,
};
/* "ok", "degraded", "missing" */
const char *nc_probe_status_name(enum nc_probe_status s);

#define NC_PROBE_DETAIL_MAX 384
#define NC_PROBE_FIX_MAX 768

struct nc_probe_result {
    const char *name;   /* stable identifier ("userns", "landlock", ...), static storage */
    enum nc_probe_status status;
    bool required;      /* by default a pod refuses to start unless this is ok */
    bool skipped;       /* not tried because a check it depends on failed */
    nc_mechset allow;   /* --allow-degraded mechanisms that let a pod start without it */
    char detail[NC_PROBE_DETAIL_MAX];
    char fix[NC_PROBE_FIX_MAX]; /* "" when there is nothing to fix */
};

/* Facts about the host that explain a failure.  Files are read beneath `root` ("" for the
 * live system; a directory laid out like / in tests).  A sysctl that does not exist is -1. */
struct nc_probe_host {
    uid_t uid;
    gid_t gid;
    bool root;                       /* effective uid 0 */
    bool cap_sys_admin;              /* CAP_SYS_ADMIN in the effective set */
    bool cap_setid;                  /* CAP_SETUID and CAP_SETGID in the effective set */
    bool no_new_privs;               /* "NoNewPrivs: 1" */
    bool nested_userns;              /* not in the initial user namespace (uid_map) */
    int seccomp_mode;                /* "Seccomp:" of /proc/self/status, -1 if unknown */
    long apparmor_restrict_userns;   /* kernel.apparmor_restrict_unprivileged_userns */
    long unprivileged_userns_clone;  /* kernel.unprivileged_userns_clone (Debian) */
    long max_user_namespaces;        /* user.max_user_namespaces */
    char container[128];             /* why we may be in a container, "" without a hint */
    char lsm[256];                   /* /sys/kernel/security/lsm, "" if unreadable */
    char kernel[160];                /* uname: "release machine" */
    char exe[256];                   /* our own binary, for an AppArmor profile */
};

void nc_probe_host_read(const char *root, struct nc_probe_host *h);

/* Runs fn(shared, arg) in a forked child that then leaves with _exit(0); `shared` is a zeroed
 * buffer of outsz bytes, shared with the child (and with whatever it forks or clones), that is
 * copied to `out` when the child is gone.  The child is killed after timeout_ms.  Returns 0,
 * or -1 with err filled when no child could be run or it did not finish normally (`out` then
 * holds whatever the child wrote). */
int nc_probe_in_child(void (*fn)(void *shared, const void *arg), const void *arg, void *out,
                      size_t outsz, unsigned timeout_ms, struct nc_err *err);

/* The kernel's Landlock ABI from landlock_create_ruleset(NULL, 0, VERSION), 0 when Landlock is
 * unavailable, with the system call's errno in *errnum (0 on success). */
int nc_probe_landlock_abi(int *errnum);

/* Where creating a usable user namespace failed. */
enum nc_userns_stage {
    NC_USERNS_CLONE, /* clone(CLONE_NEWUSER) itself */
    NC_USERNS_MAP,   /* writing setgroups / uid_map / gid_map from the parent */
    NC_USERNS_CAPS,  /* using the namespace's capabilities (unshare + sethostname) */
};
/* Fills r->status, detail and fix for a user namespace that failed at `stage` with errnum,
 * from the host's sysctls and container hints.  `unprivileged`: the attempt ran without
 * CAP_SYS_ADMIN (only then do the Debian and AppArmor switches apply). */
void nc_probe_explain_userns(const struct nc_probe_host *h, bool unprivileged,
                             enum nc_userns_stage stage, int errnum, struct nc_probe_result *r);

enum nc_probe_ns {
    NC_PROBE_NS_MOUNT = 0,
    NC_PROBE_NS_PID,
    NC_PROBE_NS_NET,
    NC_PROBE_NS_IPC,
    NC_PROBE_NS_UTS,
    NC_PROBE_NS_CGROUP,
};
#define NC_PROBE_NS_COUNT 6

/* User namespaces as the current user (as_nobody: as uid/gid 65534, which needs root), and
 * each namespace type inside one (ns may be NULL).  As root, when no user namespace can be
 * made, the namespace types are tried without one, as `--allow-degraded=userns` would. */
void nc_probe_userns(const struct nc_probe_host *h, bool as_nobody, struct nc_probe_result *userns,
                     struct nc_probe_result ns[NC_PROBE_NS_COUNT]);
void nc_probe_landlock(const struct nc_probe_host *h, struct nc_probe_result *r, int *abi);
/* The Landlock result for an ABI (errnum: the version query's errno when abi is 0) and the
 * outcome of enforcing a test ruleset (enforce_err 0: it worked; else the step that failed). */
void nc_probe_landlock_verdict(const struct nc_probe_host *h, int abi, int errnum,
                               int enforce_err, const char *enforce_what,
                               struct nc_probe_result *r);
void nc_probe_seccomp(const struct nc_probe_host *h, struct nc_probe_result *r);
void nc_probe_seccomp_notify(struct nc_probe_result *r);
void nc_probe_openat2(const struct nc_probe_host *h, struct nc_probe_result *r);
void nc_probe_pidfd_open(struct nc_probe_result *r);
void nc_probe_mount_setattr(struct nc_probe_result *r);
void nc_probe_nft(struct nc_probe_result *r);
void nc_probe_environment(const struct nc_probe_host *h, struct nc_probe_result *r);

enum nc_cgroup_layout {
    NC_CGROUP_NONE = 0, /* no cgroup file system at /sys/fs/cgroup */
    NC_CGROUP_UNIFIED,  /* cgroup2 mounted at /sys/fs/cgroup */
    NC_CGROUP_HYBRID,   /* v1 controllers, plus cgroup2 at /sys/fs/cgroup/unified */
    NC_CGROUP_LEGACY,   /* v1 controllers only */
};
const char *nc_cgroup_layout_name(enum nc_cgroup_layout l);

struct nc_probe_cgroup {
    enum nc_cgroup_layout layout;
    enum nc_limit_holder pids;   /* what a pod would use: cgroup2, cgroup1 or rlimit */
    enum nc_limit_holder memory;
};
/* Mirrors src/sandbox/cgroup.c: tries what nc_cgroup_create would (a test cgroup, removed at
 * once) and predicts which mechanism holds each pod limit. */
void nc_probe_cgroup(const struct nc_probe_host *h, struct nc_probe_cgroup *cg,
                     struct nc_probe_result *r);

#define NC_PROBE_MAX 20

struct nc_probe_report {
    struct nc_probe_host host;
    struct nc_probe_result check[NC_PROBE_MAX];
    size_t n;
    int landlock_abi;
    struct nc_probe_cgroup cgroup;
    bool ready;           /* every required check is ok */
    unsigned missing;     /* required checks not ok, not counting those skipped */
    nc_mechset allow;     /* --allow-degraded mechanisms that would cover what is missing */
    bool flags_suffice;   /* every required failure is covered by `allow` */
};

/* Runs every probe, in the order `nucleus doctor` shows them. */
void nc_probe_run(struct nc_probe_report *rep);
/* The result named `name`, or NULL. */
const struct nc_probe_result *nc_probe_find(const struct nc_probe_report *rep, const char *name);

#endif
