/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus proxy: the enforcing MCP tool proxy on stdin/stdout, standalone (the orchestrator
 * of `nucleus run` starts the same server inside a pod). */
#include "common.h"

#include "audit/audit.h"
#include "node/links.h"
#include "core/budget.h"
#include "policy/policy_file.h"
#include "proxy/approval.h"
#include "proxy/control.h"
#include "proxy/dispatch.h"
#include "proxy/link.h"
#include "proxy/mcp.h"
#include "proxy/nested.h"
#include "util/cleanup.h"
#include "util/ossl.h"
#include "util/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NC_VERSION
#define NC_VERSION "0.1.0"
#endif

static const char help[] =
    "Usage: nucleus proxy --stdio [options]\n"
    "\n"
    "Serves the Model Context Protocol on stdin/stdout (JSON-RPC 2.0, one message per line)\n"
    "with the tools read, write, edit, glob, grep, run, git_commit, web_fetch, web_search,\n"
    "git_push and create_pr.  Every call is checked against the policy (capability, paths,\n"
    "commands, hosts, push remotes, the uninhabitable-state rule, approvals, budget) before it\n"
    "runs, and recorded in a hash-chained audit log.  File tools work beneath the workspace\n"
    "only; run, git_commit and git_push start a nested pod per command.\n"
    "Operations that need approval wait for 'nucleus approve ID' from another terminal\n"
    "(see 'nucleus approvals').  Diagnostics go to stderr.\n"
    "\n"
    "Options:\n"
    "  --stdio                serve on stdin/stdout (required; the only transport so far)\n"
    "  --profile NAME         a built-in profile (default: read-only)\n"
    "  --policy SPEC          a profile or policy file; repeatable, composed by meet\n"
    "  --workspace DIR        the directory the tools work in (default: the current one)\n"
    "  --pod-id ID            this session's id, 1-64 of [A-Za-z0-9_-] (default: random)\n"
    "  --audit FILE           the audit log (default: STATE/audit/POD.jsonl); its checkpoint\n"
    "                         key is STATE/audit.key, created on first use\n"
    "  --audit-strict         fsync every audit record before the call proceeds\n"
    "  --approval-wait SECONDS\n"
    "                         how long a call waits for a decision (default 120); 0 returns\n"
    "                         approval_required with the id at once (repeat the call after\n"
    "                         approving)\n"
    "  --workers N            tool calls running at once (default 4, at most 64)\n"
    "  --cost NAME=AMOUNT     a price of the cost model, in budget units (repeatable):\n"
    "                         command_base, command_per_second, file_per_kib,\n"
    "                         network_per_request, search_per_result\n"
    NC_CLI_EGRESS_HELP
    "  --link-fd FD           run under 'nucleus run': the audit log, the approvals and the\n"
    "                         command pods belong to the orchestrator at the other end of FD\n"
    "                         (no state directory, no control socket here)\n"
    "\n"
    "STATE is $NUCLEUS_STATE_DIR, else $XDG_STATE_HOME/nucleus, else\n"
    "~/.local/state/nucleus (mode 0700).  Verify the log with\n"
    "'nucleus audit verify --key STATE/audit.key LOG'.\n"
    "\n"
    "Exit status: 0 when the client closed stdin or a signal ended the session, 2 for a usage\n"
    "error, 1 when the proxy could not start.\n";

#define MAX_SPECS 32

static int set_cost(struct nc_cost_model *m, const char *arg)
{
    static const struct {
        const char *name;
        size_t off;
    } names[] = {
        {"command_base", offsetof(struct nc_cost_model, command_base)},
        {"command_per_second", offsetof(struct nc_cost_model, command_per_second)},
        {"file_per_kib", offsetof(struct nc_cost_model, file_per_kib)},
        {"network_per_request", offsetof(struct nc_cost_model, network_per_request)},
        {"search_per_result", offsetof(struct nc_cost_model, search_per_result)},
    };
    const char *eq = strchr(arg, '=');
    uint64_t v;
    if (eq == NULL || nc_parse_micros(eq + 1, &v) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == (size_t)(eq - arg) &&
            strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
            memcpy((char *)m + names[i].off, &v, sizeof(v));
            return 0;
        }
    return -1;
}

/* The control socket's status: the live budget and exposure of the session. */
static void status(void *ctx, json_t *out)
{
    struct nc_budget b;
    uint8_t legs;
    nc_dispatch_status(ctx, &b, &legs);
    json_object_set_new(out, "budget",
                        json_pack("{s:I, s:I, s:I}", "limit", (json_int_t)b.limit, "consumed",
                                  (json_int_t)b.consumed, "reserved", (json_int_t)b.reserved));
    json_object_set_new(out, "exposure",
                        json_pack("{s:b, s:b, s:b}", "private", (legs & NC_LEG_PRIVATE) != 0,
                                  "untrusted", (legs & NC_LEG_UNTRUSTED) != 0, "exfiltration",
                                  (legs & NC_LEG_EXFIL) != 0));
}

struct sigctx {
    sigset_t set;
    int stop_fd;
    atomic_bool done; /* the session ended without a signal: the thread may leave */
    struct nc_links_server *links; /* the control socket's identities, renewed here */
};

/* Turns SIGINT/SIGTERM/SIGHUP into a stop request, so every call is cancelled and the audit
 * log gets its closing checkpoint. */
static void *signal_thread(void *arg)
{
    struct sigctx *s = arg;
    uint64_t one = 1;
    const struct timespec tick = {0, 200000000L};
    for (unsigned n = 1; !atomic_load(&s->done); n++) {
        if (s->links != NULL && n % 300 == 0) { /* once a minute: SVIDs renewed at half life */
            struct nc_err err = {0};
            if (nc_links_server_refresh(s->links, &err) < 0)
                fprintf(stderr, "nucleus proxy: identity renewal failed: %s\n", err.msg);
        }
        if (sigtimedwait(&s->set, NULL, &tick) > 0) {
            if (write(s->stop_fd, &one, sizeof(one)) < 0) {
                /* the reader also stops on its own at end of input */
            }
            break;
        }
    }
    return NULL;
}

int nc_cmd_proxy(int argc, char **argv)
{
    const char *specs[MAX_SPECS];
    size_t nspecs = 0;
    const char *workspace = ".", *audit_path = NULL, *pod_arg = NULL;
    int link_fd = -1;
    struct nc_link_client *link = NULL;
    bool stdio = false, strict = false;
    uint64_t wait_s = NC_DISPATCH_DEFAULT_WAIT;
    unsigned workers = NC_MCP_DEFAULT_WORKERS;
    struct nc_cost_model cost;
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();
    struct nc_err err = {0};
    char ws[PATH_MAX], state[PATH_MAX], logpath[PATH_MAX], pod[NC_APPROVAL_POD_MAX + 1],
        exe[PATH_MAX];
    uint8_t akey[NC_AUDIT_KEY_LEN];
    struct nc_approval_key key;
    struct nc_authority auth;
    struct nc_authority_local local = {0};
    struct nc_audit *audit = NULL;
    struct nc_approval_registry *reg = NULL;
    struct nc_dispatch *d = NULL;
    struct nc_control *ctl = NULL;
    struct nc_links_server *links = NULL;
    struct sigctx sc = {.links = NULL};
    pthread_t st;
    int rc = NC_EXIT_FAIL;
    struct nc_cli_egress egress = {0};
    int erc;

    nc_cost_model_default(&cost);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (nc_cli_is_help(a)) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(a, "--stdio") == 0) {
            stdio = true;
        } else if (strcmp(a, "--audit-strict") == 0) {
            strict = true;
        } else if (strcmp(a, "--profile") == 0 || strcmp(a, "--policy") == 0) {
            if (val == NULL)
                return nc_cli_usage("proxy", "%s needs a value", a);
            if (nspecs == MAX_SPECS)
                return nc_cli_usage("proxy", "at most %d policies", MAX_SPECS);
            specs[nspecs++] = argv[++i];
        } else if (strcmp(a, "--workspace") == 0) {
            if (val == NULL)
                return nc_cli_usage("proxy", "--workspace needs a directory");
            workspace = argv[++i];
        } else if (strcmp(a, "--audit") == 0) {
            if (val == NULL)
                return nc_cli_usage("proxy", "--audit needs a file");
            audit_path = argv[++i];
        } else if (strcmp(a, "--pod-id") == 0) {
            if (val == NULL || !nc_approval_pod_valid(val))
                return nc_cli_usage("proxy", "--pod-id needs 1-64 of [A-Za-z0-9_-]");
            pod_arg = argv[++i];
        } else if (strcmp(a, "--approval-wait") == 0 || strcmp(a, "--workers") == 0) {
            char *end = NULL;
            unsigned long long v;
            if (val == NULL)
                return nc_cli_usage("proxy", "%s needs a number", a);
            errno = 0;
            v = strtoull(val, &end, 10);
            if (errno != 0 || end == val || *end != '\0' || val[0] == '-')
                return nc_cli_usage("proxy", "%s needs a number, not '%s'", a, val);
            if (a[2] == 'a') {
                if (v > 86400)
                    return nc_cli_usage("proxy", "--approval-wait: at most 86400 seconds");
                wait_s = v;
            } else {
                if (v < 1 || v > 64)
                    return nc_cli_usage("proxy", "--workers: 1 to 64");
                workers = (unsigned)v;
            }
            i++;
        } else if (strcmp(a, "--link-fd") == 0) {
            char *end = NULL;
            long v = val != NULL ? strtol(val, &end, 10) : -1;
            if (val == NULL || end == val || *end != '\0' || v < 3 || v > 1024)
                return nc_cli_usage("proxy", "--link-fd needs a descriptor number >= 3");
            link_fd = (int)v;
            i++;
        } else if ((erc = nc_cli_egress_option(&egress, "proxy", argc, argv, &i)) != 0) {
            /* Operator options for the nested pods' gateways; never anything a tool call
             * can set. */
            if (erc != 1)
                return erc;
        } else if (strcmp(a, "--cost") == 0) {
            if (val == NULL || set_cost(&cost, val) < 0)
                return nc_cli_usage("proxy", "--cost needs NAME=AMOUNT with a known NAME");
            i++;
        } else {
            return nc_cli_usage("proxy", "unknown option '%s'", a);
        }
    }
    if (!stdio)
        return nc_cli_usage("proxy", "--stdio is required (the only transport so far)");
    if (nspecs == 0)
        specs[nspecs++] = "read-only";
    if (nc_policy_compose(specs, nspecs, p, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    /* Under an orchestrator its own options shape the command pods; these would be ignored. */
    if (link_fd >= 0 && (egress.nnets > 0 || egress.ports != NULL || egress.hosts != NULL ||
                         egress.log != NULL))
        return nc_cli_usage("proxy", "the egress options are nucleus run's under --link-fd");
    erc = nc_cli_egress_check(&egress, "proxy", p);
    if (erc != NC_EXIT_OK)
        return erc;
    /* Before any thread exists, so that every thread inherits the mask and only the signal
     * thread receives these signals. */
    atomic_init(&sc.done, false);
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    if (realpath(workspace, ws) == NULL) {
        nc_cli_error("workspace %s: %s", workspace, strerror(errno));
        return NC_EXIT_USAGE;
    }
    /* The proxy holds the approval key: no other process of this user may read its memory
     * or attach to it (ptrace, /proc/PID/mem), and it leaves no core dump. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (pod_arg != NULL) {
        snprintf(pod, sizeof(pod), "%s", pod_arg);
    } else {
        uint8_t r[6];
        if (RAND_bytes(r, sizeof(r)) != 1) {
            nc_cli_error("no randomness for the pod id");
            return NC_EXIT_FAIL;
        }
        for (size_t k = 0; k < sizeof(r); k++)
            snprintf(pod + 2 * k, 3, "%02x", r[k]);
    }
    ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (el <= 0) {
        nc_cli_error("cannot find the nucleus binary: %s", strerror(errno));
        return NC_EXIT_FAIL;
    }
    exe[el] = '\0';

    if (link_fd >= 0) {
        /* Under an orchestrator: it holds the log, the key and the right to start pods. */
        if (fcntl(link_fd, F_SETFD, FD_CLOEXEC) < 0 ||
            (link = nc_link_client_new(link_fd, &err)) == NULL) {
            nc_cli_error("link: %s", err.msg[0] != '\0' ? err.msg : strerror(errno));
            return NC_EXIT_FAIL;
        }
        nc_link_authority(&auth, link);
        audit_path = "(kept by the orchestrator)";
        goto have_authority;
    }
    if (nc_state_dir(state, sizeof(state), &err) < 0 || nc_state_key(state, "audit.key", akey, &err) < 0) {
        nc_cli_error("state directory: %s", err.msg);
        return NC_EXIT_FAIL;
    }
    if (audit_path == NULL) {
        char adir[PATH_MAX];
        if (snprintf(adir, sizeof(adir), "%s/audit", state) >= (int)sizeof(adir) ||
            snprintf(logpath, sizeof(logpath), "%s/%s.jsonl", adir, pod) >=
                (int)sizeof(logpath)) {
            nc_cli_error("state directory name too long");
            return NC_EXIT_FAIL;
        }
        if (nc_private_dir(adir, &err) < 0) {
            nc_cli_error("%s", err.msg);
            return NC_EXIT_FAIL;
        }
        audit_path = logpath;
    }
    if (nc_audit_open(audit_path, akey, sizeof(akey), strict ? NC_AUDIT_STRICT : 0, &audit,
                      &err) < 0) {
        explicit_bzero(akey, sizeof(akey));
        nc_cli_error("audit log %s: %s", audit_path, err.msg);
        return NC_EXIT_FAIL;
    }
    explicit_bzero(akey, sizeof(akey));
    /* A fresh approval key per session, in memory only: tokens of an earlier session are
     * worthless here, and there is no key file to steal. */
    if (nc_approval_key_generate(&key, &err) < 0 ||
        (reg = nc_approval_registry_new(64, 64, &err)) == NULL)
        goto out;
    nc_authority_local(&auth, &local, reg, &key, pod, audit);
    nc_approval_key_wipe(&key);
have_authority:;
    struct nc_dispatch_config dc = {
        .policy = p,
        .workspace = ws,
        .pod_id = pod,
        .principal = "stdio",
        .authority = &auth,
        .cost = cost,
        .approval_wait_s = wait_s,
        .nucleus_exe = exe,
        .openat2_disabled = getenv("NUCLEUS_TEST_NO_OPENAT2") != NULL,
        .exec_opts = egress.opts,
        .nexec_opts = egress.n,
    };
    d = nc_dispatch_new(&dc, &err);
    if (d == NULL)
        goto out;
    {
        json_t *start = json_pack("{s:s, s:s, s:s, s:I}", "pod", pod, "workspace", ws, "policy",
                                  p->name, "pid", (json_int_t)getpid());
        nc_dispatch_audit(d, NULL, "proxy.start", start, NC_AUDIT_INFO, "session started");
        json_decref(start);
        start = NULL;
        if (link != NULL)
            goto serve; /* the orchestrator serves approvals */
        json_t *info = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I}", "pod", pod, "pid",
                                 (json_int_t)getpid(), "workspace", ws, "policy", p->name,
                                 "audit", audit_path, "started", (json_int_t)time(NULL));
        /* The control socket is mutual TLS only: our SVID (spiffe://TD/ns/system/sa/proxy)
         * from the state directory's CA, created on first use; refusals go to our log. */
        links = nc_links_server_new(state, NC_LINKS_SA_PROXY, audit, &err);
        if (links == NULL) {
            json_decref(info);
            goto out;
        }
        sc.links = links;
        struct nc_control_backend cb = {.reg = reg, .key = &local.key, .audit = &auth,
                                        .status = status, .status_ctx = d,
                                        .tls = nc_links_server_control_ctx(links)};
        ctl = nc_control_start(&cb, pod, info, &err);
        json_decref(info);
        if (ctl == NULL)
            goto out;
    }
serve:
    if (link == NULL)
        fprintf(stderr,
            "nucleus proxy: pod %s, workspace %s, policy %s\n"
            "nucleus proxy: audit log %s\n"
            "nucleus proxy: approvals: 'nucleus approvals', 'nucleus approve ID'\n",
            pod, ws, p->name, audit_path);

    sc.stop_fd = eventfd(0, EFD_CLOEXEC);
    if (sc.stop_fd < 0 || pthread_create(&st, NULL, signal_thread, &sc) != 0) {
        nc_err_set(&err, errno, "cannot start the signal thread");
        goto out;
    }
    struct nc_mcp_config mc = {
        .in_fd = STDIN_FILENO,
        .out_fd = STDOUT_FILENO,
        .dispatch = d,
        .workers = workers,
        .version = NC_VERSION,
        .stop_fd = sc.stop_fd,
    };
    if (nc_mcp_serve(&mc, &err) == 0)
        rc = NC_EXIT_OK;
    atomic_store(&sc.done, true); /* the signal thread notices within one tick */
    pthread_join(st, NULL);
    close(sc.stop_fd);
out:
    nc_control_stop(ctl); /* before the TLS context it borrows */
    nc_links_server_free(links);
    if (d != NULL)
        nc_dispatch_audit(d, NULL, "proxy.stop", NULL, NC_AUDIT_INFO, "session ended");
    nc_dispatch_free(d);
    nc_link_client_free(link);
    nc_approval_key_wipe(&local.key);
    nc_approval_registry_free(reg);
    {
        struct nc_err cerr = {0};
        if (nc_audit_close(audit, &cerr) < 0) {
            nc_cli_error("audit log: %s", cerr.msg);
            rc = NC_EXIT_FAIL;
        }
    }
    if (rc != NC_EXIT_OK && err.msg[0] != '\0')
        nc_cli_error("%s", err.msg);
    return rc;
}
