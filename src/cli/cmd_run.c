/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run: the whole enforced path: a pod with the tool proxy in it, and the agent. */
#include "common.h"

#include "node/orchestrator.h"
#include "policy/policy_file.h"
#include "proxy/dispatch.h"
#include "util/cleanup.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: nucleus run [options] [-- AGENT [ARG...]]\n"
    "\n"
    "Starts a session: a pod shaped by the policy with the tool proxy inside it (the only\n"
    "place where the agent's file, command and git operations happen), the audit log and\n"
    "the approval key outside it, and then AGENT, outside the pod, configured to use the\n"
    "pod's MCP server 'nucleus mcp --pod ID':\n"
    "  claude   gets --mcp-config FILE --strict-mcp-config and its own file, shell and web\n"
    "           tools disabled (--disallowedTools)\n"
    "  codex    gets -c mcp_servers.nucleus.command/args\n"
    "  other    finds the configuration in $NUCLEUS_MCP_CONFIG (an .mcp.json) and the pod\n"
    "           in $NUCLEUS_POD\n"
    "When AGENT exits, the session ends: the pod is stopped, the sockets removed and the audit\n"
    "log closed with a checkpoint.  Without AGENT the session serves until SIGINT/SIGTERM, for\n"
    "an agent configured by hand.  Approvals: 'nucleus approvals' and 'nucleus approve ID'\n"
    "from another terminal.\n"
    "\n"
    "Options:\n"
    "  --profile NAME         a built-in profile (default: read-only)\n"
    "  --policy SPEC          a profile or policy file; repeatable, composed by meet\n"
    "  --workspace DIR        the directory the agent works on (default: the current one)\n"
    "  --pod-id ID            the session's pod id, 1-64 of [A-Za-z0-9_-] (default: random)\n"
    "  --approval-wait SECONDS\n"
    "                         how long a gated call waits for a decision (default 120; 0\n"
    "                         returns approval_required at once)\n"
    NC_CLI_EGRESS_HELP
    "  --quiet                no notices on stderr\n"
    "\n"
    "Exit status: the agent's (128+N if a signal ended it), 0 without an agent, 1 when the\n"
    "session could not start, 2 for a usage error.\n"
    "\n"
    "Example:\n"
    "  nucleus run --profile fix-issue --workspace . -- claude\n";

#define MAX_SPECS 32

int nc_cmd_run(int argc, char **argv)
{
    const char *specs[MAX_SPECS];
    size_t nspecs = 0;
    const char *workspace = ".", *pod = NULL;
    char ws[PATH_MAX];
    uint64_t wait_s = NC_DISPATCH_DEFAULT_WAIT;
    bool quiet = false;
    char **agent = NULL;
    int i, status = 0, erc;
    struct nc_cli_egress egress = {0};
    struct nc_err err = {0};
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            if (i + 1 < argc)
                agent = argv + i + 1;
            break;
        }
        if (nc_cli_is_help(a)) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--profile") == 0 || strcmp(a, "--policy") == 0) {
            if (val == NULL)
                return nc_cli_usage("run", "%s needs a value", a);
            if (nspecs == MAX_SPECS)
                return nc_cli_usage("run", "at most %d policies", MAX_SPECS);
            specs[nspecs++] = argv[++i];
        } else if (strcmp(a, "--workspace") == 0) {
            if (val == NULL)
                return nc_cli_usage("run", "--workspace needs a directory");
            workspace = argv[++i];
        } else if (strcmp(a, "--pod-id") == 0) {
            if (val == NULL)
                return nc_cli_usage("run", "--pod-id needs a value");
            pod = argv[++i];
        } else if (strcmp(a, "--approval-wait") == 0) {
            char *end = NULL;
            unsigned long long v;
            if (val == NULL)
                return nc_cli_usage("run", "--approval-wait needs seconds");
            errno = 0;
            v = strtoull(val, &end, 10);
            if (errno != 0 || end == val || *end != '\0' || val[0] == '-' || v > 86400)
                return nc_cli_usage("run", "--approval-wait needs 0 to 86400 seconds");
            wait_s = v;
            i++;
        } else if ((erc = nc_cli_egress_option(&egress, "run", argc, argv, &i)) != 0) {
            /* The operator's, kept by the orchestrator for every command pod; the pod's proxy
             * never sees them and no link request can change them. */
            if (erc != 1)
                return erc;
        } else {
            return nc_cli_usage("run", "unknown option '%s' (the agent goes after --)", a);
        }
    }
    if (nspecs == 0)
        specs[nspecs++] = "read-only";
    if (nc_policy_compose(specs, nspecs, p, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    erc = nc_cli_egress_check(&egress, "run", p);
    if (erc != NC_EXIT_OK)
        return erc;
    if (realpath(workspace, ws) == NULL) {
        nc_cli_error("workspace %s: %s", workspace, strerror(errno));
        return NC_EXIT_USAGE;
    }
    struct nc_run_config cfg = {
        .policy = p,
        .workspace = ws,
        .pod_id = pod,
        .agent_argv = agent,
        .approval_wait_s = wait_s,
        .quiet = quiet,
        .exec_opts = egress.opts,
        .nexec_opts = egress.n,
    };
    if (nc_run(&cfg, &status, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_FAIL;
    }
    return status;
}
