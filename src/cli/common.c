/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the command-line front end (see common.h). */
#include "common.h"

#include "net/rules.h"
#include "node/links.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/file.h"
#include "util/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool nc_cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int nc_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "nucleus %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'nucleus %s --help'.\n", cmd);
    return NC_EXIT_USAGE;
}

void nc_cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("nucleus: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool nc_cli_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc != NULL && nc[0] != '\0')
        return false;
    return isatty(fileno(f)) == 1;
}

const char *nc_cli_sgr(FILE *f, const char *code)
{
    return nc_cli_color(f) ? code : "";
}

int nc_cli_print_json(json_t *v)
{
    int rc;
    if (v == NULL) {
        nc_cli_error("out of memory");
        return NC_EXIT_USAGE;
    }
    rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (rc < 0 || fputc('\n', stdout) == EOF)
        return NC_EXIT_USAGE;
    return NC_EXIT_OK;
}

struct nc_policy *nc_cli_policy_new(void)
{
    struct nc_policy *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        nc_cli_error("out of memory");
        exit(NC_EXIT_USAGE);
    }
    return p;
}

void nc_cli_levels(const struct nc_caps *c, char out[NC_OP_COUNT + 1])
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out[i] = c->level[i] == NC_ALWAYS ? 'A' : c->level[i] == NC_LOW_RISK ? 'L' : '-';
    out[NC_OP_COUNT] = '\0';
}

void nc_cli_opset(nc_opset s, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        if ((s & NC_OPSET_BIT(i)) == 0)
            continue;
        int n = snprintf(out + o, outsz - o, "%s%s", o > 0 ? ", " : "", nc_op_name((enum nc_op)i));
        if (n < 0 || (size_t)n >= outsz - o)
            break; /* the buffer is sized for all 11 names; never reached */
        o += (size_t)n;
    }
    if (o == 0)
        snprintf(out, outsz, "-");
}

struct nc_hosts *nc_cli_hosts_load(const char *path, int *exit_code)
{
    _cleanup_free_ struct nc_hosts *hosts = malloc(sizeof(*hosts));
    _cleanup_free_ char *text = NULL;
    struct nc_err err = {0};
    const char *why = NULL;
    size_t len = 0, line = 0;

    if (hosts == NULL) {
        nc_cli_error("out of memory");
        *exit_code = NC_EXIT_FAIL;
        return NULL;
    }
    text = nc_read_file(path, (size_t)1 << 20, &len, &err);
    if (text == NULL) {
        nc_cli_error("%s", err.msg);
        *exit_code = NC_EXIT_USAGE;
        return NULL;
    }
    if (nc_hosts_parse(text, len, hosts, &why, &line) < 0) {
        nc_cli_error("%s:%zu: %s", path, line, why);
        *exit_code = NC_EXIT_USAGE;
        return NULL;
    }
    *exit_code = NC_EXIT_OK;
    return steal_pointer(&hosts);
}

int nc_cli_net_rules(struct nc_net_rules *r, const char *cmd, const struct nc_policy *p,
                     const char *ports_opt, const char *ports, const char *const *nets,
                     size_t nnets)
{
    const char *why = NULL;
    nc_net_rules_init(r, &p->net_allow);
    if (ports != NULL && nc_net_rules_set_ports(r, ports, &why) < 0)
        return nc_cli_usage(cmd, "%s %s: %s", ports_opt, ports, why);
    for (size_t k = 0; k < nnets; k++)
        if (nc_net_rules_add_cidr(r, nets[k], &why) < 0)
            return nc_cli_usage(cmd, "--allow-network %s: %s", nets[k], why);
    return NC_EXIT_OK;
}

_Static_assert(NC_EXIT_USAGE > 1, "nc_cli_egress_option returns 1 for a taken option");

int nc_cli_egress_option(struct nc_cli_egress *e, const char *cmd, int argc, char **argv,
                         int *i)
{
    const char *a = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    const char **slot = NULL; /* where a single-valued one goes */
    bool network = strcmp(a, "--allow-network") == 0;
    if (strcmp(a, "--egress-ports") == 0)
        slot = &e->ports;
    else if (strcmp(a, "--hosts-file") == 0)
        slot = &e->hosts;
    else if (strcmp(a, "--egress-log") == 0)
        slot = &e->log;
    else if (!network)
        return 0;
    /* A value that looks like an option is a forgotten value, not a file named "-x". */
    if (val == NULL || val[0] == '\0' || val[0] == '-')
        return nc_cli_usage(cmd, "%s needs a value", a);
    if (network) {
        if (e->nnets == sizeof(e->nets) / sizeof(e->nets[0]))
            return nc_cli_usage(cmd, "at most %zu --allow-network",
                                sizeof(e->nets) / sizeof(e->nets[0]));
        e->nets[e->nnets++] = val;
    } else if (slot != NULL) {
        /* Given twice, one would silently win: an operator's mistake, refused. */
        if (*slot != NULL)
            return nc_cli_usage(cmd, "%s given twice", a);
        *slot = val;
    }
    (*i)++;
    return 1;
}

/* path made absolute against the working directory (symbolic links are kept as given). */
static int absolute(const char *path, char *out, size_t outsz)
{
    char cwd[PATH_MAX];
    int n;
    if (path[0] == '/') {
        n = snprintf(out, outsz, "%s", path);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return -1;
        n = snprintf(out, outsz, "%s/%s", cwd, path);
    }
    if (n < 0 || (size_t)n >= outsz) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int nc_cli_egress_check(struct nc_cli_egress *e, const char *cmd, const struct nc_policy *p)
{
    _cleanup_free_ struct nc_net_rules *rules = malloc(sizeof(*rules));
    int rc;
    if (rules == NULL) {
        nc_cli_error("out of memory");
        return NC_EXIT_FAIL;
    }
    if (!p->net_allow.unrestricted && p->net_allow.count == 0 && e->nnets == 0) {
        /* nucleus exec refuses them for a pod without network: every call would fail. */
        if (e->ports != NULL || e->hosts != NULL || e->log != NULL)
            return nc_cli_usage(cmd, "network options need a policy that allows hosts, or "
                                     "--allow-network");
        return NC_EXIT_OK;
    }
    rc = nc_cli_net_rules(rules, cmd, p, "--egress-ports", e->ports, e->nets, e->nnets);
    if (rc != NC_EXIT_OK)
        return rc;
    for (size_t k = 0; k < e->nnets; k++) {
        e->opts[e->n++] = "--allow-network";
        e->opts[e->n++] = e->nets[k];
    }
    if (e->ports != NULL) {
        e->opts[e->n++] = "--egress-ports";
        e->opts[e->n++] = e->ports;
    }
    if (e->hosts != NULL) {
        _cleanup_free_ struct nc_hosts *h = NULL;
        if (absolute(e->hosts, e->hosts_abs, sizeof(e->hosts_abs)) < 0)
            return nc_cli_usage(cmd, "--hosts-file %s: %s", e->hosts, strerror(errno));
        h = nc_cli_hosts_load(e->hosts_abs, &rc);
        if (h == NULL)
            return rc;
        e->opts[e->n++] = "--hosts-file";
        e->opts[e->n++] = e->hosts_abs;
    }
    if (e->log != NULL) {
        /* Opened as nucleus exec will (appending, created if missing; owner-only when we
         * create it: the decisions name the hosts the agent reached). */
        int fd;
        if (absolute(e->log, e->log_abs, sizeof(e->log_abs)) < 0)
            return nc_cli_usage(cmd, "--egress-log %s: %s", e->log, strerror(errno));
        fd = open(e->log_abs, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
            return nc_cli_usage(cmd, "--egress-log %s: %s", e->log, strerror(errno));
        close(fd);
        e->opts[e->n++] = "--egress-log";
        e->opts[e->n++] = e->log_abs;
    }
    return NC_EXIT_OK;
}

struct nc_mtls_ctx *nc_cli_control_tls(void)
{
    char state[PATH_MAX];
    struct nc_err err = {0};
    struct nc_mtls_ctx *ctx = NULL;
    if (nc_state_dir(state, sizeof(state), &err) == 0)
        ctx = nc_links_cli_ctx(state, &err);
    if (ctx == NULL)
        nc_cli_error("the CLI's identity for the control sockets: %s", err.msg);
    return ctx;
}
