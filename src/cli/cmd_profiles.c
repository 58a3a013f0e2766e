/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus profiles: the built-in profiles at a glance. */
#include "common.h"

#include "core/profiles.h"
#include "policy/emit.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: nucleus profiles [--json]\n"
    "\n"
    "Lists the built-in profiles.  LEVELS shows the 11 capabilities in this order:\n"
    "  read_files write_files edit_files run_bash glob_search grep_search web_search\n"
    "  web_fetch git_commit git_push create_pr\n"
    "as A (always), L (low_risk) or - (never).  APPROVALS are the operations that need a\n"
    "human's approval after normalization; '*' marks a profile in the uninhabitable state\n"
    "(private data + untrusted content + exfiltration), whose exfiltration is gated.\n"
    "\n"
    "  --json   machine-readable output: an array of {name, summary, policy}\n"
    "\n"
    "Show one profile in full with 'nucleus policy show <name>'.\n";

int nc_cmd_profiles(int argc, char **argv)
{
    bool json = false;
    struct nc_policy *p;

    for (int i = 1; i < argc; i++) {
        if (nc_cli_is_help(argv[i])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return nc_cli_usage("profiles", "unexpected argument '%s'", argv[i]);
    }

    p = nc_cli_policy_new();
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < nc_profile_count(); i++) {
            if (nc_profile_load_index(i, p) < 0) {
                free(p);
                json_decref(arr);
                nc_cli_error("built-in profile %zu is broken", i);
                return NC_EXIT_USAGE;
            }
            json_array_append_new(arr, json_pack("{s:s, s:s, s:o*}", "name", nc_profile_name(i),
                                                 "summary", nc_profile_summary(i), "policy",
                                                 nc_policy_to_json(p)));
        }
        free(p);
        return nc_cli_print_json(arr);
    }

    const char *b = nc_cli_sgr(stdout, "\033[1m"), *r = nc_cli_sgr(stdout, "\033[0m");
    printf("%s%-13s %-11s  %-36s %s%s\n", b, "PROFILE", "LEVELS", "APPROVALS", "SUMMARY", r);
    for (size_t i = 0; i < nc_profile_count(); i++) {
        char levels[NC_OP_COUNT + 1], appr[256];
        if (nc_profile_load_index(i, p) < 0) {
            free(p);
            nc_cli_error("built-in profile %zu is broken", i);
            return NC_EXIT_USAGE;
        }
        nc_cli_levels(&p->caps, levels);
        nc_cli_opset(p->approvals, appr, sizeof(appr));
        printf("%-13s %s%s %-36s %s\n", nc_profile_name(i), levels,
               nc_uninhabitable(nc_caps_enabled(&p->caps)) ? " *" : "  ", appr,
               nc_profile_summary(i));
    }
    free(p);
    return NC_EXIT_OK;
}
