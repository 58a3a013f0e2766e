/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus ps: the running pods of this user. */
#include "common.h"

#include "identity/mtls.h"
#include "proxy/control.h"

#include <string.h>
#include <time.h>

static const char help[] =
    "Usage: nucleus ps [--json]\n"
    "\n"
    "Lists the running pods of this user ('nucleus run' sessions and standalone 'nucleus\n"
    "proxy' servers): pod id, kind, process id, age, policy and workspace.  Leftovers of\n"
    "pods that died without cleaning up are removed.  Each pod is asked over its control\n"
    "socket, with mutual TLS 1.3: the CLI presents spiffe://TD/ns/cli/sa/uid-UID from\n"
    "STATE/identity/cli/ and accepts only the pod's orchestrator or proxy.\n"
    "\n"
    "Options:\n"
    "  --json   one JSON object: {\"pods\": [...]}\n"
    "\n"
    "Exit status: 0, or 1 when a running pod could not be asked.\n";

int nc_cmd_ps(int argc, char **argv)
{
    bool json = false;
    struct nc_err err = {0};
    json_t *pods, *out, *id;
    size_t i;
    for (int k = 1; k < argc; k++) {
        if (nc_cli_is_help(argv[k])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[k], "--json") == 0)
            json = true;
        else
            return nc_cli_usage("ps", "unknown option '%s'", argv[k]);
    }
    pods = nc_control_pods(&err);
    if (pods == NULL) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_FAIL;
    }
    out = json_array();
    struct nc_mtls_ctx *tls = json_array_size(pods) > 0 ? nc_cli_control_tls() : NULL;
    int failures = json_array_size(pods) > 0 && tls == NULL ? 1 : 0;
    json_array_foreach(pods, i, id)
    {
        if (tls == NULL)
            break;
        json_t *req = json_pack("{s:s}", "op", "status");
        json_t *rep = nc_control_request(tls, json_string_value(id), req, NULL, &err);
        if (rep == NULL) {
            nc_cli_error("%s", err.msg);
            failures++;
        }
        json_t *info = json_object_get(rep, "info");
        json_decref(req);
        if (json_is_object(info))
            json_array_append(out, info);
        json_decref(rep);
    }
    json_decref(pods);
    nc_mtls_ctx_free(tls);
    if (json) {
        int rc = nc_cli_print_json(json_pack("{s:o}", "pods", out));
        return rc == NC_EXIT_OK && failures > 0 ? NC_EXIT_FAIL : rc;
    }
    if (json_array_size(out) == 0)
        printf("No pod is running.\n");
    else
        printf("%-14s %-6s %-8s %-7s %-16s %s\n", "POD", "KIND", "PID", "AGE", "POLICY",
               "WORKSPACE");
    json_t *p;
    json_array_foreach(out, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        printf("%-14s %-6s %-8lld %-7lld %-16s %s\n",
               json_string_value(json_object_get(p, "pod")), kind != NULL ? kind : "proxy",
               (long long)json_integer_value(json_object_get(p, "pid")),
               (long long)(time(NULL) - json_integer_value(json_object_get(p, "started"))),
               json_string_value(json_object_get(p, "policy")),
               json_string_value(json_object_get(p, "workspace")));
    }
    json_decref(out);
    return failures > 0 ? NC_EXIT_FAIL : NC_EXIT_OK;
}
