/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the command-line front end (see common.h). */
#include "common.h"

#include "net/rules.h"
#include "node/links.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/file.h"
#include "util/state.h"

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
