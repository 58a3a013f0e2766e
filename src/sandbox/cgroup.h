/* SPDX-License-Identifier: Apache-2.0 */
/* Resource limits for a pod: cgroup v2 where the controllers are delegated to us, cgroup v1
 * as a fallback (as root), and the caller falls back to rlimits when neither is available. */
#ifndef NC_SANDBOX_CGROUP_H
#define NC_SANDBOX_CGROUP_H

#include "sandbox/pod.h"
#include "util/err.h"

#include <stdint.h>
#include <sys/types.h>

#define NC_CG_PATH 512

struct nc_cgroup {
    char dir[3][NC_CG_PATH]; /* created directories (v2 one; v1 pids and memory), "" if none */
    enum nc_limit_holder pids;
    enum nc_limit_holder memory;
};

/* Creates the pod's cgroup(s) and writes the limits (NC_UNLIMITED writes "max").  Holders
 * stay NC_LIMIT_NONE for what could not be set up; that is not an error here. */
void nc_cgroup_create(struct nc_cgroup *cg, const char *name, uint64_t max_procs,
                      uint64_t memory_bytes);
/* Moves pid into every created cgroup.  Returns 0 or -1 with err filled. */
int nc_cgroup_attach(const struct nc_cgroup *cg, pid_t pid, struct nc_err *err);
/* Removes "nucleus-<pid>" cgroups next to ours left by a nucleus that was killed before it
 * could remove them (their pid is gone).  Housekeeping, called while the pod runs. */
void nc_cgroup_reap_stale(const struct nc_cgroup *cg);
/* Removes the directories (after the pod's processes are gone). */
void nc_cgroup_destroy(struct nc_cgroup *cg);

#endif
