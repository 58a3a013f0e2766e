/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus ps: the running pods of this user. */
#include "common.h"

#include "proxy/control.h"

#include <string.h>
#include <time.h>

static const char help[] =
    "Usage: nucleus ps [--json]\n"
    "\n"
    "Lists the running pods of this user ('nucleus run' sessions and standalone 'nucleus\n"
    "proxy' servers): pod id, kind, process id, age, policy and workspace.  Leftovers of\n"
    "pods that died without cleaning up are removed.\n"
    "\n"
    "Options:\n"
    "  --json   one JSON object: {\"pods\": [...]}\n";

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
    json_array_foreach(pods, i, id)
    {
        json_t *req = json_pack("{s:s}", "op", "status");
        json_t *rep = nc_control_request(json_string_value(id), req, &err);
        json_t *info = json_object_get(rep, "info");
        json_decref(req);
        if (json_is_object(info))
            json_array_append(out, info);
        json_decref(rep);
    }
    json_decref(pods);
    if (json)
        return nc_cli_print_json(json_pack("{s:o}", "pods", out));
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
    return NC_EXIT_OK;
}
