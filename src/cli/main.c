/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus: one binary, one subcommand per file (git style). */
#include "common.h"

#include "util/ossl.h"

#include <stdio.h>
#include <string.h>

#ifndef NC_VERSION
#define NC_VERSION "0.1.0"
#endif

static const char usage[] =
    "Usage: nucleus <command> [options]\n"
    "\n"
    "A secure runtime for AI agents: every side effect runs in an isolated pod, through an\n"
    "enforcing tool proxy, under a policy that can only be tightened.\n"
    "\n"
    "Commands:\n"
    "  profiles                 list the built-in profiles\n"
    "  policy show|check|meet|explain\n"
    "                           inspect, validate, compose and query policies\n"
    "  exec -- COMMAND          run one command in a pod shaped by a policy\n"
    "  doctor                   check which isolation mechanisms this machine offers\n"
    "  run -- AGENT             the main job: a pod with the tool proxy, and the agent\n"
    "  mcp --pod ID             the MCP server an agent is configured with (a bridge)\n"
    "  ps                       list the running pods\n"
    "  proxy --stdio            serve the enforcing MCP tools on stdin/stdout\n"
    "  gateway --listen-unix P  the egress gateway: HTTP/SOCKS5 proxy with the allowlist\n"
    "  approvals                list operations waiting for a person's approval\n"
    "  approve ID / deny ID     decide on a waiting operation\n"
    "  audit verify|show LOG    check the integrity of an audit log, or render it\n"
    "  ca init|issue|rotate|status\n"
    "                           the certificate authority for SPIFFE workload identities\n"
    "  identity                 show an SVID: SPIFFE ID, expiry, chain, validity\n"
    "  demo                     a guided demonstration of the policy model\n"
    "  help [command]           show help for a command\n"
    "  version                  print the version\n"
    "\n"
    "Run 'nucleus <command> --help' for the options of a command.\n"
    "Exit codes: 0 success, 1 negative answer (invalid policy, denied operation),\n"
    "2 usage or input error, 3 operation needs approval (policy explain).\n"
    "Documentation: docs/policy.md, docs/cli.md, docs/identity.md.\n";

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"profiles", nc_cmd_profiles},
    {"policy", nc_cmd_policy},
    {"demo", nc_cmd_demo},
    {"exec", nc_cmd_exec},
    {"doctor", nc_cmd_doctor},
    {"audit", nc_cmd_audit},
    {"run", nc_cmd_run},
    {"mcp", nc_cmd_mcp},
    {"ps", nc_cmd_ps},
    {"proxy", nc_cmd_proxy},
    {"gateway", nc_cmd_gateway},
    {"approvals", nc_cmd_approvals},
    {"approve", nc_cmd_approve},
    {"deny", nc_cmd_deny},
    {"ca", nc_cmd_ca},
    {"identity", nc_cmd_identity},
};

/* The commands proven never to call OpenSSL: they do not load it (about 5 ms of dynamic
 * linking per start, which `nucleus exec` cannot afford: docs/design/0013-lazy-openssl.md).
 * Every other command loads it first, so a new command works by default; one added here by
 * mistake aborts at its first OpenSSL call, naming the function (ossl.c), and tests/cli/
 * cli_ossl.sh checks with the dynamic linker's trace that these four really do not load it. */
static const char *const without_openssl[] = {"exec", "policy", "profiles", "doctor"};

static int load_openssl(const char *cmd)
{
    struct nc_err err = {0};
    for (size_t i = 0; i < sizeof(without_openssl) / sizeof(without_openssl[0]); i++)
        if (strcmp(cmd, without_openssl[i]) == 0)
            return 0;
    if (nc_ossl_load(&err) < 0) {
        nc_cli_error("%s: %s", cmd, err.msg);
        return -1; /* an unusable installation: exit 2, as for the commands' set-up errors */
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return NC_EXIT_USAGE;
    }
    if (nc_cli_is_help(argv[1])) {
        fputs(usage, stdout);
        return NC_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("nucleus %s\n", NC_VERSION);
        return NC_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            fputs(usage, stdout);
            return NC_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                char *help_argv[] = {argv[2], (char *)"--help", NULL};
                if (load_openssl(argv[2]) < 0)
                    return NC_EXIT_USAGE;
                return commands[i].run(2, help_argv);
            }
        }
        nc_cli_error("unknown command '%s'; run 'nucleus --help'", argv[2]);
        return NC_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            if (load_openssl(argv[1]) < 0)
                return NC_EXIT_USAGE;
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    nc_cli_error("unknown command '%s'; run 'nucleus --help'", argv[1]);
    return NC_EXIT_USAGE;
}
