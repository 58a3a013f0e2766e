/* SPDX-License-Identifier: Apache-2.0 */
/* A pod: one command (and everything it starts) in fresh user, mount, pid, net, ipc, uts and
 * cgroup namespaces on a tmpfs root, with Landlock, seccomp, no capabilities, a cleared
 * environment and resource limits, under a pod init that reaps, forwards signals and dies with
 * its parent.  Used by `nucleus exec` now, and by the tool proxy and orchestrator later. */
#ifndef NC_SANDBOX_POD_H
#define NC_SANDBOX_POD_H

#include "core/policy.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Isolation mechanisms a pod may run without, each only with --allow-degraded=<name>. */
enum nc_mech {
    NC_MECH_USERNS = 0, /* unprivileged user namespaces (required unless root) */
    NC_MECH_LANDLOCK,   /* Landlock filesystem rules on top of the mounts */
    NC_MECH_LANDLOCK_NET, /* Landlock TCP bind/connect rules (ABI >= 4) */
    NC_MECH_LANDLOCK_SCOPE, /* Landlock signal and abstract-socket scoping (ABI >= 6) */
    NC_MECH_SECCOMP,    /* the seccomp-bpf deny filter */
    NC_MECH_CGROUP,     /* cgroup limits (pids, memory); rlimits are the fallback */
};
#define NC_MECH_COUNT 6
typedef uint32_t nc_mechset;
#define NC_MECH_BIT(m) ((nc_mechset)(1u << (unsigned)(m)))

const char *nc_mech_name(enum nc_mech m);
int nc_mech_parse(const char *s, enum nc_mech *out);

/* Which mechanism holds a resource limit. */
enum nc_limit_holder {
    NC_LIMIT_NONE = 0,
    NC_LIMIT_CGROUP2,
    NC_LIMIT_CGROUP1,
    NC_LIMIT_RLIMIT,
};
const char *nc_limit_holder_name(enum nc_limit_holder h);

#define NC_POD_MAX_ENV 64

/* The egress gateway's unix socket inside a pod, and the directory (a tmpfs of its own) that
 * holds it. */
#define NC_EGRESS_POD_DIR "/run/nucleus"
#define NC_EGRESS_POD_SOCKET NC_EGRESS_POD_DIR "/egress.sock"

struct nc_pod_config {
    const struct nc_policy *policy; /* capabilities, paths, limits */
    const char *workspace;          /* absolute, canonical; bound at the same path */
    bool workspace_writable;        /* derived from write_files/edit_files by the caller */
    char *const *argv;              /* the command, resolved on the pod's PATH */
    const char *const *env;         /* "NAME=value" entries passed in (already allowlisted) */
    size_t nenv;
    uint64_t timeout_s;        /* 0 = the policy's limits.timeout_s */
    nc_mechset allow_degraded; /* mechanisms the user accepted to run without */
    bool quiet;                /* no notices on stderr */
    /* Egress (docs/network.md).  When egress_port is not 0, the pod's init makes two
     * listeners, a TCP one on 127.0.0.1:egress_port inside the pod's network namespace and a
     * unix one at NC_EGRESS_POD_SOCKET (on a tmpfs of its own, read-only once the socket
     * exists), and passes them out; egress_ready is called with them in this process once the
     * pod runs (it owns the descriptors: the egress gateway serves them), and the command's
     * Landlock rules allow TCP connections to that port only.  0: no network at all (only
     * loopback, nothing on it). */
    /* Descriptors (>= 3) the command keeps, for a caller that hands it some on purpose
     * (the orchestrator: the policy, the link, the binary).  Every other descriptor from 3
     * up is closed at the command's exec, whatever the caller left open. */
    const int *keep_fds;
    size_t nkeep_fds;
    uint16_t egress_port;
    void (*egress_ready)(void *arg, int tcp_listen_fd, int unix_listen_fd);
    void *egress_arg;
    /* Routed egress (docs/design/0012-routed-egress.md).  When net_attach is set, it is
     * called in this process with the init's pid once the pod's namespaces exist and before
     * anything of the pod runs (the init waits for it), to give the pod's network namespace
     * its interface and the host its rules; -1 (err filled) kills the pod and nc_pod_run
     * fails.  net_started is called once the pod runs and none of its processes shares this
     * process's memory any more (threads may start).  The command's Landlock rules then
     * leave TCP connect to those rules (bind stays denied). */
    int (*net_attach)(void *arg, pid_t init_pid, struct nc_err *err);
    void (*net_started)(void *arg);
    void *net_arg;
};

struct nc_pod_result {
    int exit_code;    /* the command's exit status, or 128+signal */
    bool timed_out;   /* killed by the timeout */
    nc_mechset degraded; /* mechanisms that were missing and allowed to be */
    enum nc_limit_holder pids_holder;
    enum nc_limit_holder memory_holder;
    int landlock_abi; /* 0 when Landlock was not applied */
    char message[NC_ERR_MSG_MAX]; /* why the command could not be executed, or "" */
};

/* Runs the command in a new pod and waits for it.  Returns 0 with *res filled (whatever the
 * command's own exit status), or -1 with err filled when the pod could not be created, for
 * example because a required mechanism is missing and not allowed to be. */
int nc_pod_run(const struct nc_pod_config *cfg, struct nc_pod_result *res, struct nc_err *err);

#endif
