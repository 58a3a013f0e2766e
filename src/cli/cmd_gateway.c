/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus gateway: the egress gateway on its own (docs/network.md).  `nucleus run` will start
 * the same gateway (src/net/gateway.h) for each pod. */
#include "common.h"

#include "net/gateway.h"
#include "policy/policy_file.h"
#include "util/cleanup.h"
#include "util/file.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "Usage: nucleus gateway --listen-unix PATH | --listen-tcp ADDR:PORT | --listen-fd FD\n"
    "                       [options]\n"
    "\n"
    "The egress gateway: an HTTP proxy (CONNECT and plain http:// requests) and a SOCKS5\n"
    "server (CONNECT, no authentication) on the same listeners.  A connection is admitted\n"
    "only when its destination is allowed: a host name must match network.allow of the\n"
    "composed policy and use an allowed port; an IP address must lie in a --allow-network\n"
    "entry.  A name is resolved once; if any of its addresses is private, loopback,\n"
    "link-local, CGNAT, multicast, reserved or a cloud metadata address, and no\n"
    "--allow-network entry admits it, the name is refused (DNS rebinding).  Otherwise the\n"
    "gateway dials the resolved address itself and relays the bytes.  Refusals are answered\n"
    "with HTTP 403 (header X-Nucleus-Refusal: REASON) or a SOCKS5 error reply, and every\n"
    "decision is logged as one JSON line.  Runs until SIGINT or SIGTERM.\n"
    "\n"
    "Options:\n"
    "  --listen-unix PATH     listen on a unix socket (created mode 0600 unless --mode)\n"
    "  --listen-tcp ADDR:PORT listen on a loopback address (127.0.0.0/8 or [::1]); port 0\n"
    "                         picks a free one.  Each listener is announced on stdout as\n"
    "                         'listening unix:PATH' or 'listening tcp:ADDR:PORT'\n"
    "  --listen-fd FD         serve a listening socket inherited as descriptor FD (made by\n"
    "                         the pod inside its network namespace)\n"
    "  --mode OCTAL           permissions of the unix socket (default 600)\n"
    "  --profile NAME         a built-in profile (default: read-only, which allows no host)\n"
    "  --policy SPEC          a profile or policy file; repeatable, composed by meet\n"
    "  --allow-network ENTRY  ADDR[/PREFIX]:PORTS, PORTS a port, LO-HI or *; IPv6 in\n"
    "                         brackets ([fd00::]/8:443); repeatable.  Admits these addresses\n"
    "                         directly and as answers for allowed names\n"
    "  --ports LIST           ports host names may be reached on (default 80,443)\n"
    "  --hosts-file FILE      resolve names from FILE ('ADDRESS NAME...' lines) instead of\n"
    "                         DNS; a name it lacks does not resolve (for tests)\n"
    "  --log FILE             append the decisions to FILE (default: stderr)\n"
    "  --max-connections N    connections at once (default 256)\n"
    "  --idle-timeout SECONDS close a tunnel without traffic after this long (default 300)\n"
    "  --forward-to PATH      forwarder mode (inside a pod): relay every connection, unread,\n"
    "                         to the gateway's unix socket at PATH; no policy options\n"
    "\n"
    "Refusal reasons: bad_request, bad_host, host_not_allowed, port_not_allowed,\n"
    "ip_not_allowed, resolve_failed, address_refused, connect_failed, unsupported,\n"
    "too_many_connections, timeout.\n"
    "\n"
    "Exit status: 0 after a signal, 2 for a usage error, 1 when the gateway could not start.\n";

#define MAX_SPECS 32
#define MAX_LISTEN 4

static struct nc_gateway *the_gateway;

static void on_signal(int sig)
{
    (void)sig;
    if (the_gateway != NULL)
        nc_gateway_stop(the_gateway);
}

static void log_event(void *arg, const struct nc_net_event *e)
{
    FILE *f = arg;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    json_t *o;
    char *line;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:i, s:s, s:s}", "time", ts, "proto", e->proto,
                  "allowed", e->allowed, "reason", nc_net_reason_name(e->reason), "host",
                  e->host, "port", (int)e->port, "addr", e->addr, "class",
                  e->addr[0] != '\0' ? nc_addr_class_name(e->addr_class) : "");
    if (o == NULL)
        return;
    if (e->detail != NULL)
        json_object_set_new(o, "detail", json_string(e->detail));
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (line == NULL)
        return;
    fprintf(f, "%s\n", line);
    fflush(f);
    free(line);
}

static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "127.0.0.1:0" or "[::1]:8080" into a text address and a port. */
static int split_tcp(const char *s, char *ip, size_t ipsz, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    unsigned long p;
    size_t n;
    if (colon == NULL || parse_number(colon + 1, 65535, &p) < 0)
        return -1;
    n = (size_t)(colon - s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= ipsz)
        return -1;
    memcpy(ip, s, n);
    ip[n] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int nc_cmd_gateway(int argc, char **argv)
{
    const char *specs[MAX_SPECS], *unix_paths[MAX_LISTEN], *tcp[MAX_LISTEN];
    size_t nspecs = 0, nunix = 0, ntcp = 0, nfds = 0;
    int listen_fds[MAX_LISTEN];
    const char *hosts_file = NULL, *log_path = NULL, *forward_to = NULL;
    unsigned long mode = 0600, max_conns = 256, idle_s = 300;
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();
    _cleanup_free_ struct nc_net_rules *rules = calloc(1, sizeof(*rules));
    _cleanup_free_ struct nc_hosts *hosts = NULL;
    const char *cidrs[64], *ports = NULL;
    size_t ncidrs = 0;
    struct nc_err err = {0};
    FILE *log = stderr;
    struct sigaction sa;
    int rc;

    if (rules == NULL) {
        nc_cli_error("out of memory");
        return NC_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (nc_cli_is_help(a)) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (val == NULL)
            return nc_cli_usage("gateway", "%s needs a value", a);
        if (strcmp(a, "--profile") == 0 || strcmp(a, "--policy") == 0) {
            if (nspecs == MAX_SPECS)
                return nc_cli_usage("gateway", "at most %d policies", MAX_SPECS);
            specs[nspecs++] = val;
        } else if (strcmp(a, "--listen-unix") == 0) {
            if (nunix + ntcp + nfds == MAX_LISTEN)
                return nc_cli_usage("gateway", "at most %d listeners", MAX_LISTEN);
            unix_paths[nunix++] = val;
        } else if (strcmp(a, "--listen-tcp") == 0) {
            if (nunix + ntcp + nfds == MAX_LISTEN)
                return nc_cli_usage("gateway", "at most %d listeners", MAX_LISTEN);
            tcp[ntcp++] = val;
        } else if (strcmp(a, "--listen-fd") == 0) {
            unsigned long fd;
            if (nunix + ntcp + nfds == MAX_LISTEN)
                return nc_cli_usage("gateway", "at most %d listeners", MAX_LISTEN);
            if (parse_number(val, 1024, &fd) < 0 || fd < 3)
                return nc_cli_usage("gateway", "--listen-fd needs a descriptor number >= 3");
            listen_fds[nfds++] = (int)fd;
        } else if (strcmp(a, "--mode") == 0) {
            char *end = NULL;
            errno = 0;
            mode = strtoul(val, &end, 8);
            if (errno != 0 || *end != '\0' || mode > 0777)
                return nc_cli_usage("gateway", "--mode needs an octal mode such as 600");
        } else if (strcmp(a, "--allow-network") == 0) {
            if (ncidrs == sizeof(cidrs) / sizeof(cidrs[0]))
                return nc_cli_usage("gateway", "at most 64 network entries");
            cidrs[ncidrs++] = val;
        } else if (strcmp(a, "--ports") == 0) {
            ports = val;
        } else if (strcmp(a, "--forward-to") == 0) {
            forward_to = val;
        } else if (strcmp(a, "--hosts-file") == 0) {
            hosts_file = val;
        } else if (strcmp(a, "--log") == 0) {
            log_path = val;
        } else if (strcmp(a, "--max-connections") == 0) {
            if (parse_number(val, 4096, &max_conns) < 0 || max_conns == 0)
                return nc_cli_usage("gateway", "--max-connections needs 1 to 4096");
        } else if (strcmp(a, "--idle-timeout") == 0) {
            if (parse_number(val, 86400, &idle_s) < 0 || idle_s == 0)
                return nc_cli_usage("gateway", "--idle-timeout needs 1 to 86400 seconds");
        } else {
            return nc_cli_usage("gateway", "unknown option '%s'", a);
        }
    }
    if (nunix + ntcp + nfds == 0)
        return nc_cli_usage("gateway", "--listen-unix, --listen-tcp or --listen-fd is required");
    if (forward_to != NULL && (nspecs > 0 || ncidrs > 0 || ports != NULL || hosts_file != NULL))
        return nc_cli_usage("gateway", "--forward-to takes no policy options: the gateway it "
                                       "forwards to enforces them");
    if (nspecs == 0)
        specs[nspecs++] = "read-only";
    if (nc_policy_compose(specs, nspecs, p, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    rc = nc_cli_net_rules(rules, "gateway", p, "--ports", ports, cidrs, ncidrs);
    if (rc != NC_EXIT_OK)
        return rc;
    if (hosts_file != NULL) {
        int hrc = NC_EXIT_OK;
        hosts = nc_cli_hosts_load(hosts_file, &hrc);
        if (hosts == NULL)
            return hrc;
    }
    if (log_path != NULL) {
        log = fopen(log_path, "ae");
        if (log == NULL) {
            nc_cli_error("cannot open %s: %s", log_path, strerror(errno));
            return NC_EXIT_USAGE;
        }
    }

    struct nc_gateway_config cfg = {
        .rules = rules,
        .hosts = hosts,
        .max_conns = (unsigned)max_conns,
        .idle_ms = (unsigned)idle_s * 1000u,
        .audit = log_event,
        .audit_arg = log,
        .forward_to = forward_to,
    };
    the_gateway = nc_gateway_new(&cfg, &err);
    if (the_gateway == NULL) {
        nc_cli_error("%s", err.msg);
        rc = NC_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < nunix; i++) {
        if (nc_gateway_listen_unix(the_gateway, unix_paths[i], (mode_t)mode, &err) < 0) {
            nc_cli_error("%s", err.msg);
            rc = NC_EXIT_FAIL;
            goto out;
        }
        printf("listening unix:%s\n", unix_paths[i]);
    }
    for (size_t i = 0; i < ntcp; i++) {
        char ip[64];
        uint16_t port = 0, bound = 0;
        if (split_tcp(tcp[i], ip, sizeof(ip), &port) < 0) {
            rc = nc_cli_usage("gateway", "--listen-tcp needs ADDR:PORT, not '%s'", tcp[i]);
            goto out;
        }
        if (nc_gateway_listen_tcp(the_gateway, ip, port, &bound, &err) < 0) {
            nc_cli_error("%s", err.msg);
            rc = NC_EXIT_FAIL;
            goto out;
        }
        printf(strchr(ip, ':') != NULL ? "listening tcp:[%s]:%u\n" : "listening tcp:%s:%u\n", ip,
               (unsigned)bound);
    }
    for (size_t i = 0; i < nfds; i++) {
        if (nc_gateway_listen_fd(the_gateway, listen_fds[i], &err) < 0) {
            nc_cli_error("%s", err.msg);
            rc = NC_EXIT_FAIL;
            goto out;
        }
        printf("listening fd:%d\n", listen_fds[i]);
    }
    fflush(stdout);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = nc_gateway_run(the_gateway, &err) < 0 ? NC_EXIT_FAIL : NC_EXIT_OK;
    if (rc != NC_EXIT_OK)
        nc_cli_error("%s", err.msg);
out:
    nc_gateway_free(the_gateway);
    the_gateway = NULL;
    if (log != stderr)
        fclose(log);
    return rc;
}
