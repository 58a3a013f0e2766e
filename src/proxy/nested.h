/* SPDX-License-Identifier: Apache-2.0 */
/* Commands of the tool proxy run in a nested pod: a fresh `nucleus exec` under the session's
 * policy (own user, pid, mount and network namespaces, seccomp, Landlock, cleared environment,
 * limits), with piped, capped output, a timeout and cancellation.  The command cannot see,
 * read or signal the proxy: it lives in another pid namespace. */
#ifndef NC_PROXY_NESTED_H
#define NC_PROXY_NESTED_H

#include "core/policy.h"
#include "util/err.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_SPAWN_OUTPUT_CAP ((size_t)1 << 20) /* bytes kept of stdout and of stderr */
#define NC_SPAWN_EGRESS_CAP ((size_t)64 << 10) /* bytes kept of the egress decisions */

struct nc_spawn_opts {
    const char *nucleus_exe;
    const struct nc_policy *policy;
    const char *workspace;         /* absolute, canonical */
    const char *const *argv;       /* argc >= 1 */
    size_t argc;
    const char *cwd;               /* workspace-relative directory, or NULL for the root */
    const char *stdin_data;        /* NULL: /dev/null */
    size_t stdin_len;
    uint64_t timeout_s;            /* >= 1 */
    const atomic_bool *cancelled;  /* may be NULL */
    void (*progress)(void *arg, uint64_t done, uint64_t total, const char *message);
    void *progress_arg;
    /* Options for the pod's egress gateway, passed to `nucleus exec` as given (pairs such
     * as "--hosts-file", FILE; at most NC_SPAWN_EXEC_OPTS entries); set by the operator
     * who starts the proxy (nucleus proxy --allow-network, --egress-ports, --hosts-file),
     * never by a tool call. */
    const char *const *exec_opts;
    size_t nexec_opts;
};
#define NC_SPAWN_EXEC_OPTS 40u

struct nc_spawn_result {
    int exit_code;      /* the command's status, 128+signal, 124 timeout, 125 no pod */
    bool timed_out;
    bool cancelled;
    uint64_t elapsed_ms;
    char *out, *err;    /* NUL-terminated, raw bytes (not yet UTF-8 checked) */
    size_t out_len, err_len;
    bool out_truncated, err_truncated;
    /* The pod's egress gateway's decisions, JSON lines as nucleus exec wrote them to
     * --egress-log-fd (NUL-terminated; empty without network).  Nothing in the pod can
     * write here: the descriptor belongs to nucleus exec, outside the pod. */
    char *egress;
    size_t egress_len;
    bool egress_truncated;
};

/* Runs the command and waits for it.  Returns 0 with *r filled, or -1 with err when the
 * nested pod could not even be started. */
int nc_spawn_in_pod(const struct nc_spawn_opts *o, struct nc_spawn_result *r, struct nc_err *err);
void nc_spawn_result_free(struct nc_spawn_result *r);

#endif
