/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded orchestrator of `nucleus run`: it owns the state directory (approval key, audit
 * key and logs), creates a pod from the composed policy, starts the tool proxy inside it,
 * serves the proxy's link (audit records, approvals, command pods), the approval control
 * socket and the MCP socket that `nucleus mcp --pod ID` bridges an agent to, starts the agent
 * outside the pod, and tears everything down when the agent exits, on a signal, or when any
 * part dies. */
#ifndef NC_NODE_ORCHESTRATOR_H
#define NC_NODE_ORCHESTRATOR_H

#include "core/policy.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nc_agent_kind {
    NC_AGENT_GENERIC = 0, /* told where the MCP configuration is through the environment */
    NC_AGENT_CLAUDE,      /* claude: --mcp-config FILE --strict-mcp-config, own tools off */
    NC_AGENT_CODEX,       /* codex: -c mcp_servers.nucleus.* overrides */
};

struct nc_run_config {
    const struct nc_policy *policy; /* composed, normalized */
    const char *workspace;          /* absolute, canonical */
    const char *pod_id;             /* NULL: random */
    char *const *agent_argv;        /* NULL: no agent, serve until a signal */
    uint64_t approval_wait_s;
    bool quiet;
    /* The operator's options for the command pods' egress gateways (nested.h exec_opts:
     * --allow-network, --egress-ports, --hosts-file, --egress-log, checked by the caller),
     * passed to every command pod's `nucleus exec`; the pod's proxy cannot add or change
     * them (link.h). */
    const char *const *exec_opts;
    size_t nexec_opts;
};

/* Runs a session.  Returns 0 with *agent_status set to the agent's exit status (128+signal;
 * 0 when there was no agent), or -1 with err when the session could not start. */
int nc_run(const struct nc_run_config *cfg, int *agent_status, struct nc_err *err);

/* Which agent an argv starts (by the program's base name). */
enum nc_agent_kind nc_agent_kind_of(const char *argv0);

#endif
