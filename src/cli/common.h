/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the command-line front end: option scanning, colour, output. */
#ifndef NC_CLI_COMMON_H
#define NC_CLI_COMMON_H

#include "core/policy.h"
#include "proxy/nested.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes shared by every command (documented in docs/cli.md and each --help). */
#define NC_EXIT_OK 0
#define NC_EXIT_FAIL 1  /* the answer is "no": invalid policy, denied operation */
#define NC_EXIT_USAGE 2 /* bad command line, unreadable input */
#define NC_EXIT_APPROVAL 3 /* policy explain: the operation needs approval */

bool nc_cli_is_help(const char *arg);
/* Prints "nucleus <cmd>: <message>" and a hint to stderr; returns NC_EXIT_USAGE. */
int nc_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "nucleus: <message>" to stderr. */
void nc_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Colour is used only on a terminal and never when NO_COLOR is set. */
bool nc_cli_color(FILE *f);
const char *nc_cli_sgr(FILE *f, const char *code); /* "" when colour is off */
/* Writes a JSON value to stdout followed by a newline and drops the reference.  Returns an
 * exit code. */
int nc_cli_print_json(json_t *v);
/* Allocates a zeroed policy (policies are large); exits on out-of-memory (main paths only). */
struct nc_policy *nc_cli_policy_new(void);
/* Reads and parses a hosts map file (--hosts-file of exec and gateway) into a new block
 * (free()).  NULL after printing "path:line: reason", with the exit code in *exit_code. */
struct nc_hosts;
struct nc_hosts *nc_cli_hosts_load(const char *path, int *exit_code);
/* The operator's options for the egress gateways of the nested pods a tool proxy starts
 * (`nucleus proxy` and `nucleus run`), handed to every `nucleus exec` of a tool call as they
 * are kept here (exec_opts of nested.h); never anything a tool call or the pod can set. */
struct nc_cli_egress {
    const char *opts[NC_SPAWN_EXEC_OPTS]; /* "--allow-network", ENTRY, "--hosts-file", PATH..,
                                             filled by nc_cli_egress_check */
    size_t n;
    const char *nets[(NC_SPAWN_EXEC_OPTS - 6) / 2]; /* --allow-network entries */
    size_t nnets;
    const char *ports, *hosts, *log; /* as given; NULL when absent */
    char hosts_abs[PATH_MAX], log_abs[PATH_MAX]; /* the files' absolute names, passed on */
};
/* The lines of --help that describe them (the same for both commands). */
#define NC_CLI_EGRESS_HELP                                                                      \
    "  --allow-network ENTRY, --egress-ports LIST, --hosts-file FILE, --egress-log FILE\n"      \
    "                         passed to the egress gateway of every nested pod (see\n"        \
    "                         'nucleus exec --help'); --allow-network is repeatable\n"
/* If argv[*i] is one of those options, takes it and its value (advancing *i) and returns 1;
 * 0 when it is another option; NC_EXIT_USAGE (> 1) after printing a usage error for cmd. */
int nc_cli_egress_option(struct nc_cli_egress *e, const char *cmd, int argc, char **argv,
                         int *i);
/* Once the policy is composed, checks the options as `nucleus exec` will, so that a mistake
 * fails at start and not at every tool call: the entries and ports parse, the hosts file reads
 * and parses, the log opens for appending (created if missing), and the policy or an
 * --allow-network entry turns the gateway on at all.  The files' names are made absolute (a
 * nested pod's `nucleus exec` need not share our working directory).  Returns NC_EXIT_OK, or
 * an exit code after printing why. */
int nc_cli_egress_check(struct nc_cli_egress *e, const char *cmd, const struct nc_policy *p);
/* The egress gateway's rules: the policy's names, ports (NULL: 80 and 443) and the network
 * entries nets[0..nnets).  NC_EXIT_OK, or NC_EXIT_USAGE after a usage error for cmd naming
 * ports_opt or --allow-network and the value at fault. */
struct nc_net_rules;
int nc_cli_net_rules(struct nc_net_rules *r, const char *cmd, const struct nc_policy *p,
                     const char *ports_opt, const char *ports, const char *const *nets,
                     size_t nnets);
/* The 11 levels as a compact string such as "A--LAA-----" (A always, L low_risk, - never). */
void nc_cli_levels(const struct nc_caps *c, char out[NC_OP_COUNT + 1]);
/* "git_push, create_pr" or "-" */
void nc_cli_opset(nc_opset s, char *out, size_t outsz);

struct nc_mtls_ctx;
/* The CLI's mutual TLS client context for the control sockets of running pods: its SVID
 * (spiffe://TD/ns/cli/sa/uid-UID) from STATE/identity/cli/, which every running server keeps
 * fresh (node/links.h).  NULL with a message printed when there is none. */
struct nc_mtls_ctx *nc_cli_control_tls(void);

int nc_cmd_profiles(int argc, char **argv);
int nc_cmd_policy(int argc, char **argv);
int nc_cmd_demo(int argc, char **argv);
/* The live part of the demo (demo_live.c): returns the number of unexpected steps. */
int nc_demo_live(void);
int nc_cmd_exec(int argc, char **argv);
int nc_cmd_doctor(int argc, char **argv);
int nc_cmd_audit(int argc, char **argv);
int nc_cmd_proxy(int argc, char **argv);
int nc_cmd_gateway(int argc, char **argv);
int nc_cmd_approvals(int argc, char **argv);
int nc_cmd_approve(int argc, char **argv);
int nc_cmd_deny(int argc, char **argv);
int nc_cmd_run(int argc, char **argv);
int nc_cmd_mcp(int argc, char **argv);
int nc_cmd_ps(int argc, char **argv);
int nc_cmd_ca(int argc, char **argv);
int nc_cmd_identity(int argc, char **argv);

#endif
