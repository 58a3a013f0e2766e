/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus approvals / approve / deny: the human in the loop, over each running proxy's
 * control socket. */
#include "common.h"

#include "identity/mtls.h"
#include "proxy/control.h"
#include "util/cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help_list[] =
    "Usage: nucleus approvals [--json]\n"
    "\n"
    "Lists the operations waiting for a person's decision in every running pod of this\n"
    "user: the approval id, the pod, the operation and its exact arguments, and how long it\n"
    "has waited.  Decide with 'nucleus approve ID' or 'nucleus deny ID'.\n"
    "\n"
    "Pods are asked over their control sockets with mutual TLS 1.3: the CLI presents its\n"
    "SVID spiffe://TD/ns/cli/sa/uid-UID (STATE/identity/cli/, issued and renewed by the\n"
    "running pods from the state directory's CA) and accepts only the pod's orchestrator or\n"
    "proxy; a pod refuses any other identity and audits the attempt.\n"
    "\n"
    "Options:\n"
    "  --json   one JSON object: {\"pending\": [...]}\n"
    "\n"
    "Exit status: 0 (also when nothing is pending), 1 when a pod could not be asked.\n";

static const char help_approve[] =
    "Usage: nucleus approve ID [--ttl SECONDS] [--pod POD] [--print-token]\n"
    "\n"
    "Approves the pending operation ID (see 'nucleus approvals').  The pod mints a\n"
    "single-use HMAC-SHA256 token bound to the pod, the operation, the digest of its exact\n"
    "arguments, an expiry and a nonce; the waiting call (or its repetition) consumes it\n"
    "exactly once.  The approval key never leaves the pod's proxy.\n"
    "\n"
    "Options:\n"
    "  --ttl SECONDS   how long the token stays valid (1-300, default 60)\n"
    "  --pod POD       the pod holding ID (default: found by asking every running pod)\n"
    "  --print-token   print the token, for a client that passes it itself in the call's\n"
    "                  _meta as \"nucleus/approvalToken\"\n"
    "\n"
    "Exit status: 0 approved, 1 unknown, already decided or lapsed, 2 usage error.\n";

static const char help_deny[] =
    "Usage: nucleus deny ID [--pod POD]\n"
    "\n"
    "Denies the pending operation ID: the waiting call fails with approval_denied and\n"
    "nothing is done.  The denial is recorded in the pod's audit log.\n"
    "\n"
    "Options:\n"
    "  --pod POD   the pod holding ID (default: found by asking every running pod)\n"
    "\n"
    "Exit status: 0 denied, 1 unknown, already decided or lapsed, 2 usage error.\n";

/* Every pending request of every running pod, as one array; *failures counts pods that did
 * not answer. */
static json_t *collect(int *failures)
{
    struct nc_err err = {0};
    json_t *pods = nc_control_pods(&err), *all = json_array();
    size_t i;
    json_t *pod;
    *failures = 0;
    if (pods == NULL || all == NULL) {
        nc_cli_error("%s", err.msg[0] != '\0' ? err.msg : "out of memory");
        json_decref(pods);
        json_decref(all);
        *failures = 1;
        return NULL;
    }
    struct nc_mtls_ctx *tls = json_array_size(pods) > 0 ? nc_cli_control_tls() : NULL;
    if (json_array_size(pods) > 0 && tls == NULL) {
        json_decref(pods);
        json_decref(all);
        *failures = 1;
        return NULL;
    }
    json_array_foreach(pods, i, pod)
    {
        json_t *req = json_pack("{s:s}", "op", "list");
        json_t *rep = nc_control_request(tls, json_string_value(pod), req, NULL, &err);
        json_decref(req);
        if (rep == NULL || !json_is_true(json_object_get(rep, "ok"))) {
            nc_cli_error("%s", rep == NULL ? err.msg : "a pod refused the request");
            (*failures)++;
        } else {
            json_array_extend(all, json_object_get(rep, "pending"));
        }
        json_decref(rep);
    }
    nc_mtls_ctx_free(tls);
    json_decref(pods);
    return all;
}

int nc_cmd_approvals(int argc, char **argv)
{
    bool json = false;
    int failures = 0;
    json_t *all, *r;
    size_t i;
    time_t now = time(NULL);

    for (int k = 1; k < argc; k++) {
        if (nc_cli_is_help(argv[k])) {
            fputs(help_list, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[k], "--json") == 0)
            json = true;
        else
            return nc_cli_usage("approvals", "unknown option '%s'", argv[k]);
    }
    all = collect(&failures);
    if (all == NULL)
        return NC_EXIT_FAIL;
    if (json) {
        nc_cli_print_json(json_pack("{s:o}", "pending", all));
        return failures > 0 ? NC_EXIT_FAIL : NC_EXIT_OK;
    }
    if (json_array_size(all) == 0)
        printf("No operation is waiting for approval.\n");
    json_array_foreach(all, i, r)
    {
        json_int_t created = json_integer_value(json_object_get(r, "created"));
        json_int_t deadline = json_integer_value(json_object_get(r, "deadline"));
        printf("%s%s%s  pod %s  %s, waiting %llds (lapses in %llds)\n    %s\n",
               nc_cli_sgr(stdout, "1"), json_string_value(json_object_get(r, "id")),
               nc_cli_sgr(stdout, "0"), json_string_value(json_object_get(r, "pod")),
               json_string_value(json_object_get(r, "operation")),
               (long long)(now - created), (long long)(deadline - now),
               json_string_value(json_object_get(r, "summary")));
    }
    json_decref(all);
    return failures > 0 ? NC_EXIT_FAIL : NC_EXIT_OK;
}

/* The pod that holds a pending request id. */
static int find_pod(const char *id, char *pod, size_t podsz)
{
    int failures = 0;
    json_t *all = collect(&failures), *r;
    size_t i;
    int found = -1;
    if (all == NULL)
        return -1;
    json_array_foreach(all, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0) {
            snprintf(pod, podsz, "%s", json_string_value(json_object_get(r, "pod")));
            found = 0;
            break;
        }
    }
    json_decref(all);
    return found;
}

static int decide(int argc, char **argv, bool approve)
{
    const char *cmd = approve ? "approve" : "deny";
    const char *id = NULL, *pod_arg = NULL;
    long ttl = 0;
    bool print_token = false;
    char pod[128];
    struct nc_err err = {0};
    json_t *req, *rep;

    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (nc_cli_is_help(a)) {
            fputs(approve ? help_approve : help_deny, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(a, "--pod") == 0 && k + 1 < argc) {
            pod_arg = argv[++k];
        } else if (approve && strcmp(a, "--ttl") == 0 && k + 1 < argc) {
            char *end = NULL;
            ttl = strtol(argv[++k], &end, 10);
            if (end == argv[k] || *end != '\0' || ttl < 1 || ttl > 300)
                return nc_cli_usage(cmd, "--ttl needs 1 to 300 seconds");
        } else if (approve && strcmp(a, "--print-token") == 0) {
            print_token = true;
        } else if (a[0] == '-') {
            return nc_cli_usage(cmd, "unknown option '%s'", a);
        } else if (id == NULL) {
            id = a;
        } else {
            return nc_cli_usage(cmd, "one approval id at a time");
        }
    }
    if (id == NULL)
        return nc_cli_usage(cmd, "which approval? (see 'nucleus approvals')");
    if (pod_arg != NULL) {
        snprintf(pod, sizeof(pod), "%s", pod_arg);
    } else if (find_pod(id, pod, sizeof(pod)) < 0) {
        nc_cli_error("no pending approval %s in any running pod (see 'nucleus approvals')", id);
        return NC_EXIT_FAIL;
    }
    req = json_pack("{s:s, s:s}", "op", cmd, "id", id);
    if (req != NULL && ttl > 0)
        json_object_set_new(req, "ttl", json_integer(ttl));
    struct nc_mtls_ctx *tls = nc_cli_control_tls();
    bool have_tls = tls != NULL;
    rep = have_tls ? nc_control_request(tls, pod, req, NULL, &err) : NULL;
    nc_mtls_ctx_free(tls);
    json_decref(req);
    if (!have_tls)
        return NC_EXIT_FAIL; /* the reason is printed */
    if (rep == NULL) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_FAIL;
    }
    if (!json_is_true(json_object_get(rep, "ok"))) {
        nc_cli_error("%s %s: %s", cmd, id, json_string_value(json_object_get(rep, "error")));
        json_decref(rep);
        return NC_EXIT_FAIL;
    }
    printf("%s %s (pod %s)\n", approve ? "approved" : "denied", id, pod);
    if (print_token)
        printf("%s\n", json_string_value(json_object_get(rep, "token")));
    json_decref(rep);
    return NC_EXIT_OK;
}

int nc_cmd_approve(int argc, char **argv)
{
    return decide(argc, argv, true);
}

int nc_cmd_deny(int argc, char **argv)
{
    return decide(argc, argv, false);
}
