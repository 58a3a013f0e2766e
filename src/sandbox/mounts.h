/* SPDX-License-Identifier: Apache-2.0 */
/* The pod's filesystem: a fresh tmpfs root with read-only system directories, a selected
 * /etc, tmpfs /tmp, a minimal /dev, a new /proc with its kernel knobs read-only, and the
 * workspace bound at its own path with the policy's secrets masked and protected paths
 * read-only.  Runs inside the pod's new user and mount namespaces, as its init. */
#ifndef NC_SANDBOX_MOUNTS_H
#define NC_SANDBOX_MOUNTS_H

#include "core/policy.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

struct nc_fs_plan {
    const char *workspace; /* absolute, canonical */
    bool writable;
    const struct nc_policy *policy;
    bool egress_dir; /* a small writable tmpfs at NC_EGRESS_POD_DIR for the egress socket */
};

#define NC_FS_MAX_PLACEHOLDERS 64
#define NC_FS_PLACEHOLDER_BYTES 8192

struct nc_fs_report {
    size_t masked;    /* secrets hidden (paths.deny) */
    size_t protected_; /* paths bound read-only (paths.read_only) */
    size_t scanned;   /* workspace entries examined */
    bool scan_truncated;
    /* Empty directories created in the workspace to hold a read-only mount where a protected
     * name did not exist yet; workspace-relative, NUL-separated.  The caller removes them
     * (rmdir: only if still empty) after the pod. */
    size_t nplaceholders;
    size_t placeholder_used;
    char placeholders[NC_FS_PLACEHOLDER_BYTES];
};

/* Builds the root and pivots into it; on return the cwd is the workspace and "/" itself is
 * read-only.  Returns 0 or -1 with err filled. */
int nc_fs_setup(const struct nc_fs_plan *plan, struct nc_fs_report *rep, struct nc_err *err);

/* Limits of the workspace scan for existing secrets and protected paths. */
#define NC_FS_SCAN_MAX_ENTRIES 200000
#define NC_FS_SCAN_MAX_DEPTH 32

#endif
