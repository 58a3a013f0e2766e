/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus doctor: which isolation mechanisms this machine gives a pod, and the exact fix for
 * each one it lacks (the probes are in src/sandbox/probe.c). */
#include "common.h"

#include "sandbox/probe.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: nucleus doctor [--json]\n"
    "\n"
    "Probes each isolation mechanism a pod relies on by trying it in a throw-away child\n"
    "process, and prints what works and the exact fix for what does not:\n"
    "  userns               a user namespace with a uid map, as the current user (as root,\n"
    "                       also as nobody: whether other users could run pods)\n"
    "  mount-ns pid-ns net-ns ipc-ns uts-ns cgroup-ns\n"
    "                       each namespace type, used inside the user namespace\n"
    "  landlock             the Landlock ABI; nucleus requires ABI >= 6 (Linux >= 6.12)\n"
    "  seccomp              whether a seccomp filter can be loaded\n"
    "  openat2              RESOLVE_BENEATH path resolution for the tool proxy (Linux >= 5.6)\n"
    "  cgroup               what will hold a pod's process and memory limits: cgroup2,\n"
    "                       cgroup1 or rlimit (rlimits are weaker but pods still start)\n"
    "and, for information: seccomp-notify, pidfd_open, mount_setattr, nft (the routed network\n"
    "mode) and the environment (kernel, user, container hints).  The probes leave the host\n"
    "unchanged; the cgroup probe creates a test cgroup and removes it at once.\n"
    "\n"
    "A required mechanism that is missing makes 'nucleus exec' refuse to start a pod, unless\n"
    "the user accepts the risk with --allow-degraded=MECH where one exists (userns as root,\n"
    "landlock, landlock-net, landlock-scope, seccomp).\n"
    "\n"
    "  --json   machine-readable output: {checks: [{name, status, required, detail, fix}],\n"
    "           ready, missing, allow_degraded}; status is ok, degraded or missing, fix is\n"
    "           null when there is nothing to fix\n"
    "\n"
    "Exit status: 0 when everything nucleus requires by default is present, 1 when pods would\n"
    "refuse to start, 2 for a usage error.\n";

/* "landlock-net,landlock-scope" */
static void mech_list(nc_mechset s, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (unsigned m = 0; m < NC_MECH_COUNT; m++) {
        if (!(s & NC_MECH_BIT(m)))
            continue;
        int n = snprintf(out + o, outsz - o, "%s%s", o > 0 ? "," : "", nc_mech_name((enum nc_mech)m));
        if (n < 0 || (size_t)n >= outsz - o)
            break; /* sized for every mechanism name; never reached */
        o += (size_t)n;
    }
}

static void summary(const struct nc_probe_report *rep, char *out, size_t outsz)
{
    char mechs[128];
    int n;

    if (rep->ready) {
        n = snprintf(out, outsz, "nucleus can run full pods");
    } else {
        mech_list(rep->allow, mechs, sizeof(mechs));
        if (rep->missing == 0)
            n = snprintf(out, outsz, "required mechanisms are untested: pods will refuse to "
                                     "start until the failures above are fixed");
        else if (rep->flags_suffice)
            n = snprintf(out, outsz, "%u mechanism%s missing: pods will refuse to start unless "
                         "you fix %s (see fix: above) or accept the risk with "
                         "--allow-degraded=%s", rep->missing, rep->missing == 1 ? "" : "s",
                         rep->missing == 1 ? "it" : "them", mechs);
        else if (rep->allow != 0)
            n = snprintf(out, outsz, "%u mechanism%s missing: pods will refuse to start unless "
                         "you fix %s (see fix: above); --allow-degraded=%s covers only part "
                         "of it", rep->missing, rep->missing == 1 ? "" : "s",
                         rep->missing == 1 ? "it" : "them", mechs);
        else
            n = snprintf(out, outsz, "%u mechanism%s missing: pods will refuse to start unless "
                         "you fix %s (see fix: above)", rep->missing,
                         rep->missing == 1 ? "" : "s", rep->missing == 1 ? "it" : "them");
    }
    if (n < 0 || (size_t)n >= outsz)
        out[outsz - 1] = '\0'; /* sized for the longest sentence; never reached */
}

static int print_json(const struct nc_probe_report *rep)
{
    char mechs[128], sum[512];
    json_t *checks = json_array();
    if (checks == NULL)
        return nc_cli_print_json(NULL);
    for (size_t i = 0; i < rep->n; i++) {
        const struct nc_probe_result *r = &rep->check[i];
        json_t *c = json_pack("{s:s, s:s, s:b, s:s, s:s?}", "name", r->name, "status",
                              nc_probe_status_name(r->status), "required", r->required,
                              "detail", r->detail, "fix",
                              r->fix[0] != '\0' ? r->fix : NULL);
        if (c == NULL || json_array_append_new(checks, c) < 0) {
            json_decref(checks);
            return nc_cli_print_json(NULL);
        }
    }
    mech_list(rep->allow, mechs, sizeof(mechs));
    summary(rep, sum, sizeof(sum));
    return nc_cli_print_json(json_pack("{s:o, s:b, s:I, s:s?, s:s, s:s, s:b, s:i, s:s, s:s}",
                                       "checks", checks, "ready", rep->ready, "missing",
                                       (json_int_t)rep->missing, "allow_degraded",
                                       mechs[0] != '\0' ? mechs : NULL, "summary", sum,
                                       "kernel", rep->host.kernel, "root", rep->host.root,
                                       "landlock_abi", rep->landlock_abi, "pids_limit",
                                       nc_limit_holder_name(rep->cgroup.pids), "memory_limit",
                                       nc_limit_holder_name(rep->cgroup.memory)));
}

static const char *status_colour(const struct nc_probe_result *r)
{
    switch (r->status) {
    case NC_PROBE_OK: return "\033[32m";
    case NC_PROBE_DEGRADED: return "\033[33m";
    case NC_PROBE_MISSING: return r->required && !r->skipped ? "\033[31m" : "\033[33m";
    }
    return "";
}

static void print_table(const struct nc_probe_report *rep)
{
    const char *b = nc_cli_sgr(stdout, "\033[1m"), *d = nc_cli_sgr(stdout, "\033[2m"),
               *z = nc_cli_sgr(stdout, "\033[0m");
    char sum[512];

    printf("%s%-20s %-9s %-9s %s%s\n", b, "CHECK", "STATUS", "NEEDED", "DETAIL", z);
    for (size_t i = 0; i < rep->n; i++) {
        const struct nc_probe_result *r = &rep->check[i];
        printf("%-20s %s%-9s%s %-9s %s\n", r->name, nc_cli_sgr(stdout, status_colour(r)),
               nc_probe_status_name(r->status), z, r->required ? "required" : "optional",
               r->detail);
        if (r->status != NC_PROBE_OK && r->fix[0] != '\0')
            printf("%-20s %sfix:%s %s\n", "", d, z, r->fix);
    }
    summary(rep, sum, sizeof(sum));
    printf("\n%s%s%s%s\n", b, nc_cli_sgr(stdout, rep->ready ? "\033[32m" : "\033[31m"), sum, z);
}

int nc_cmd_doctor(int argc, char **argv)
{
    bool json = false;

    for (int i = 1; i < argc; i++) {
        if (nc_cli_is_help(argv[i])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return nc_cli_usage("doctor", "unexpected argument '%s'", argv[i]);
    }

    /* The report holds about 20 results of ~1 KiB: on the heap rather than the stack. */
    struct nc_probe_report *rep = calloc(1, sizeof(*rep));
    if (rep == NULL) {
        nc_cli_error("out of memory");
        return NC_EXIT_USAGE;
    }
    fflush(NULL); /* the probes fork: nothing buffered may be written twice */
    nc_probe_run(rep);
    int rc = NC_EXIT_OK;
    if (json)
        rc = print_json(rep);
    else
        print_table(rep);
    /* Complete output before any exit-time work (a sanitizer's leak check, say) can fail. */
    if (fflush(stdout) != 0)
        rc = NC_EXIT_USAGE;
    if (rc == NC_EXIT_OK && !rep->ready)
        rc = NC_EXIT_FAIL;
    free(rep);
    return rc;
}
