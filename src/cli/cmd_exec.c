/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus exec: one command in a pod shaped by a policy (like bwrap or srt, with a policy). */
#include "common.h"

#include "net/fetch.h"
#include "net/gateway.h"
#include "net/routed.h"
#include "policy/policy_file.h"
#include "sandbox/confine.h"
#include "sandbox/pod.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[] =
    "Usage: nucleus exec [options] -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND in a new pod: fresh user, mount, pid, network, ipc, uts and cgroup\n"
    "namespaces on a tmpfs root; system directories read-only; the workspace bound at its own\n"
    "path, writable only if the policy grants write_files or edit_files; the policy's secret\n"
    "paths masked and protected paths read-only; tmpfs /tmp; a minimal /dev; a new /proc with\n"
    "its kernel knobs read-only; no network (see below); no capabilities, no_new_privs,\n"
    "Landlock and a seccomp filter; a cleared environment; no descriptor but stdin, stdout\n"
    "and stderr passed in; process, memory and time limits.\n"
    "The policy shapes the pod; the command itself is yours, so its capability levels (such\n"
    "as run_bash) are not consulted.\n"
    "\n"
    "Options:\n"
    "  --profile NAME         a built-in profile (default: read-only)\n"
    "  --policy SPEC          a profile or policy file; repeatable, composed by meet\n"
    "  --workspace DIR        the directory the command works in (default: the current one)\n"
    "  --timeout SECONDS      kill the whole pod after this long (default: the policy's\n"
    "                         limits.timeout_seconds); exit status 124\n"
    "  --env NAME[=VALUE]     pass a variable (from the caller's environment without =VALUE);\n"
    "                         repeatable.  Otherwise only PATH, HOME=/tmp, TERM, LANG, LC_*,\n"
    "                         TZ, COLORTERM and NO_COLOR are set\n"
    "  --allow-degraded=MECH  run even though the kernel lacks MECH (userns, landlock,\n"
    "                         landlock-net, landlock-scope, seccomp); printed on stderr\n"
    "  --quiet                no notices on stderr\n"
    "  --die-with-parent[=PID]\n"
    "                         end the pod when the process that started nucleus exec (PID,\n"
    "                         if given) dies\n"
    "  --verbose              report on stderr which mechanisms isolated the pod and which\n"
    "                         one held each limit (cgroup2, cgroup1 or rlimit)\n"
    "  --allow-network ENTRY  also admit ADDR[/PREFIX]:PORTS through the egress gateway\n"
    "                         (see 'nucleus gateway --help'); repeatable\n"
    "  --egress-ports LIST    ports host names may be reached on (default 80,443)\n"
    "  --egress-log FILE      append the egress gateway's decisions to FILE (JSON lines)\n"
    "  --egress-log-fd FD     write them to descriptor FD too (the tool proxy's audit pipe);\n"
    "                         without network, FD is closed at once\n"
    "  --preserve-fd FD       pass descriptor FD (>= 3) to the command; repeatable (8 at\n"
    "                         most).  No other descriptor but stdin, stdout and stderr is\n"
    "                         passed in, whatever the caller left open\n"
    "  --hosts-file FILE      the egress gateway resolves names from FILE, not DNS (tests)\n"
    "  --net=MODE             gateway (default) or routed: root only; the pod gets a veth\n"
    "                         pair and reaches the addresses of the allowed names, pinned\n"
    "                         at start, by any protocol over TCP; DNS only from nucleus's\n"
    "                         resolver; nftables rules in the host drop everything else,\n"
    "                         and any change to them kills the pod (exit status 122)\n"
    "\n";
/* The rest of --help (one literal would pass the 4095 bytes a C compiler must support). */
static const char help_network[] =
    "Network: when the policy's network.allow admits any host (or --allow-network is\n"
    "given), an egress gateway serves 127.0.0.1:3128 inside the pod from outside it, and\n"
    "http_proxy, https_proxy, HTTP_PROXY, HTTPS_PROXY (http://127.0.0.1:3128), ALL_PROXY,\n"
    "all_proxy (socks5h://127.0.0.1:3128) and an empty NO_PROXY are set: allowed hosts are\n"
    "reachable by any tool that uses a proxy, nothing else by any tool (docs/network.md).\n"
    "The same gateway listens on the unix socket " NC_EGRESS_POD_SOCKET " too\n"
    "(NUCLEUS_EGRESS_SOCKET), the faster way for clients that can use one, e.g.\n"
    "curl --proxy socks5h://localhost" NC_EGRESS_POD_SOCKET ".\n"
    "Refused connections are reported on stderr unless --quiet.  Otherwise the pod has no\n"
    "network at all.\n"
    "\n"
    "With --net=routed no proxy variables are set and names must be exact (no wildcard).\n"
    "\n"
    "Exit status: the command's own, 128+N if it was killed by signal N, 124 on timeout,\n"
    "122 if the pod was killed because its network rules changed (--net=routed),\n"
    "125 if the pod could not be created, 126 if COMMAND cannot be executed, 127 if it is not\n"
    "found, 2 for a usage error.\n"
    "\n"
    "Example:\n"
    "  nucleus exec --profile local-dev --workspace . -- make test\n";

#define MAX_SPECS 32
#define MAX_NETS 64
_Static_assert(NC_EGRESS_POD_PORT == 3128, "the help text and the proxy variables say 3128");

/* An option's descriptor: a decimal number >= 3 that is open here, or -1. */
static int fd_arg(const char *val)
{
    char *end = NULL;
    long fd = strtol(val, &end, 10);
    if (end == val || *end != '\0' || fd < 3 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0)
        return -1;
    return (int)fd;
}

/* Where the network decisions go as JSON lines: --egress-log FILE and --egress-log-fd FD
 * (the tool proxy's pipe, for its audit log).  Each line is one write of the whole record. */
struct declog {
    FILE *f[2];
};

static void declog_close(struct declog *l)
{
    for (size_t i = 0; i < 2; i++)
        if (l->f[i] != NULL)
            fclose(l->f[i]);
    memset(l, 0, sizeof(*l));
}

/* Adds "time" to o, writes it to every sink, and releases o. */
static void declog_write(struct declog *l, json_t *o)
{
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    char *line;
    if (o == NULL || (l->f[0] == NULL && l->f[1] == NULL)) {
        json_decref(o);
        return;
    }
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(o, "time", json_string(ts));
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    for (size_t i = 0; line != NULL && i < 2; i++)
        if (l->f[i] != NULL) {
            fprintf(l->f[i], "%s\n", line);
            fflush(l->f[i]);
        }
    free(line);
}

/* The egress gateway of this pod: made before the pod (so its options are checked first),
 * serving the listener the pod passes out from a thread of this process (outside the pod). */
struct egress {
    struct nc_gateway *gw;
    pid_t pid; /* the gateway's process, or 0 */
    int chan;  /* to it: the pod's listeners go there; -1 once sent */
    bool quiet;
    struct declog *log;
    uint16_t ports[64]; /* the ports it may dial (Landlock), unless any_port */
    size_t nports;
    bool any_port;
};

static void egress_event(void *arg, const struct nc_net_event *e)
{
    struct egress *eg = arg;
    if (!e->allowed && !eg->quiet) {
        if (e->host[0] != '\0')
            fprintf(stderr, "nucleus: egress refused %s:%u%s%s: %s%s%s\n", e->host,
                    (unsigned)e->port, e->addr[0] != '\0' ? " at " : "", e->addr,
                    nc_net_reason_name(e->reason), e->detail != NULL ? ": " : "",
                    e->detail != NULL ? e->detail : "");
        else
            fprintf(stderr, "nucleus: egress refused a %s connection: %s%s%s\n", e->proto,
                    nc_net_reason_name(e->reason), e->detail != NULL ? ": " : "",
                    e->detail != NULL ? e->detail : "");
    }
    declog_write(eg->log, json_pack("{s:s, s:b, s:s, s:s, s:i, s:s}", "proto", e->proto,
                                    "allowed", e->allowed, "reason",
                                    nc_net_reason_name(e->reason), "host", e->host, "port",
                                    (int)e->port, "addr", e->addr));
}

/* The gateway's process: the bytes a pod sends (HTTP heads, SOCKS5 requests) are parsed in a
 * process of their own, confined (nc_confine_service: no file but the resolver's, no bind,
 * connect only to the ports the rules can need, signals scoped, the pod's seccomp filter), not
 * in this supervisor (docs/design/0011-egress-gateway.md, decision 10).  It is started and
 * confined while the pod is being made, waits for the pod's listeners on chan, and dies with
 * us. */
static void __attribute__((noreturn)) egress_child(struct egress *eg, pid_t parent, int chan)
{
    struct nc_err err = {0};
    int abi = 0, fds[2];
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    (void)prctl(PR_SET_NAME, "nc-gateway");
    if (nc_confine_service(eg->ports, eg->nports, eg->any_port, &abi, &err) < 0) {
        if (!eg->quiet)
            nc_cli_error("the egress gateway cannot confine itself (%s): the pod has no "
                         "network", err.msg);
        _exit(1);
    }
    if (nc_fd_recv(chan, 'L', fds, 2, 0) < 0)
        _exit(0); /* no listeners: the pod failed or ended first */
    close(chan);
    if (nc_gateway_listen_fd(eg->gw, fds[0], &err) < 0 ||
        nc_gateway_listen_fd(eg->gw, fds[1], &err) < 0) {
        if (!eg->quiet)
            nc_cli_error("the egress gateway could not start (%s): the pod has no network",
                         err.msg);
        _exit(1);
    }
    (void)nc_gateway_run(eg->gw, &err);
    _exit(0);
}

static int egress_start(struct egress *eg, struct nc_err *err)
{
    int sv[2];
    pid_t parent = getpid();
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return nc_err_set(err, errno, "egress gateway: socketpair: %s", strerror(errno));
    eg->pid = fork();
    if (eg->pid == 0) {
        close(sv[0]);
        egress_child(eg, parent, sv[1]);
    }
    close(sv[1]);
    if (eg->pid < 0) {
        eg->pid = 0;
        close(sv[0]);
        return nc_err_set(err, errno, "egress gateway: fork: %s", strerror(errno));
    }
    eg->chan = sv[0];
    return 0;
}

/* Called by nc_pod_run once the pod runs, with the listeners it made inside it (TCP on
 * 127.0.0.1:3128, unix at NC_EGRESS_POD_SOCKET): they go to the gateway's process. */
static void egress_ready(void *arg, int tcp_fd, int unix_fd)
{
    struct egress *eg = arg;
    if (nc_fd_send(eg->chan, 'L', (const int[]){tcp_fd, unix_fd}, 2) < 0 && !eg->quiet)
        nc_cli_error("the egress gateway could not start (%s): the pod has no network",
                     strerror(errno));
    close(tcp_fd);
    close(unix_fd);
    close(eg->chan);
    eg->chan = -1;
}

static void egress_stop(struct egress *eg)
{
    if (eg->chan >= 0)
        close(eg->chan);
    if (eg->pid > 0) {
        /* Nothing to flush: each decision line was written whole when it was made. */
        kill(eg->pid, SIGKILL);
        while (waitpid(eg->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    nc_gateway_free(eg->gw);
}

/* Routed egress (docs/design/0012-routed-egress.md): made before the pod, attached to its
 * network namespace before it runs, its threads started once it runs. */
#define EXIT_NET_DRIFT 122
struct routed {
    struct nc_routed *r;
    bool quiet;
    struct declog *log;
};

static void routed_event(void *arg, const struct nc_routed_event *e)
{
    struct routed *rt = arg;
    if (!e->allowed && !rt->quiet && strcmp(e->kind, "drift") != 0)
        fprintf(stderr, "nucleus: %s refused %s: %s\n", strcmp(e->kind, "dns") == 0 ? "dns" : "routed egress",
                e->name[0] != '\0' ? e->name : "(unparsable name)", e->detail);
    declog_write(rt->log, json_pack("{s:s, s:b, s:s, s:s}", "kind", e->kind, "allowed",
                                    e->allowed, "name", e->name, "detail", e->detail));
}

static int routed_attach(void *arg, pid_t pid, struct nc_err *err)
{
    return nc_routed_attach(((struct routed *)arg)->r, pid, err);
}

static void routed_started(void *arg)
{
    struct routed *rt = arg;
    struct nc_err err = {0};
    if (nc_routed_start(rt->r, &err) < 0)
        nc_cli_error("%s", err.msg); /* the pod is killed: fail closed */
}

/* Environment strings built here, freed when the command returns. */
struct owned_strings {
    char *s[NC_POD_MAX_ENV];
    size_t n;
};

static void owned_free(struct owned_strings *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->s[i]);
}

static bool env_name_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static int add_env(const char **env, size_t *n, const char *entry)
{
    if (*n >= NC_POD_MAX_ENV)
        return -1;
    /* a later entry for the same name replaces the earlier one */
    size_t nl = strcspn(entry, "=");
    for (size_t i = 0; i < *n; i++) {
        if (strncmp(env[i], entry, nl) == 0 && env[i][nl] == '=') {
            env[i] = entry;
            return 0;
        }
    }
    env[(*n)++] = entry;
    return 0;
}

int nc_cmd_exec(int argc, char **argv)
{
    const char *specs[MAX_SPECS];
    size_t nspecs = 0;
    const char *workspace = ".";
    uint64_t timeout = 0;
    nc_mechset degraded = 0;
    bool quiet = false, verbose = false;
    const char *env[NC_POD_MAX_ENV] = {0};
    __attribute__((cleanup(owned_free))) struct owned_strings owned = {0};
    size_t nenv = 0;
    int i;
    char ws[PATH_MAX];
    _cleanup_free_ struct nc_policy *p = nc_cli_policy_new();
    struct nc_err err = {0};
    struct nc_pod_config cfg = {0};
    struct nc_pod_result res;
    const char *nets[MAX_NETS];
    size_t nnets = 0;
    const char *egress_log = NULL, *hosts_file = NULL, *egress_ports = NULL;
    int egress_log_fd = -1;
    int keep_fds[8];
    size_t nkeep = 0;
    __attribute__((cleanup(declog_close))) struct declog dlog = {0};
    struct egress eg = {.log = &dlog, .chan = -1};
    struct routed rt = {.log = &dlog};
    bool routed = false;
    static const char *const passthrough[] = {"TERM", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "COLORTERM", "NO_COLOR", NULL};

    add_env(env, &nenv, "PATH=/usr/local/bin:/usr/bin:/bin");
    add_env(env, &nenv, "HOME=/tmp");
    add_env(env, &nenv, "NUCLEUS_POD=1");
    for (size_t k = 0; passthrough[k] != NULL; k++) {
        const char *v = getenv(passthrough[k]);
        if (v != NULL) {
            char *e = NULL;
            if (asprintf(&e, "%s=%s", passthrough[k], v) < 0)
                return NC_EXIT_USAGE;
            owned.s[owned.n++] = e;
            add_env(env, &nenv, e);
        }
    }

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (nc_cli_is_help(a)) {
            fputs(help, stdout);
            fputs(help_network, stdout);
            return NC_EXIT_OK;
        }
        if (a[0] != '-')
            break; /* the command starts here */
        if (strncmp(a, "--die-with-parent", 17) == 0 && (a[17] == '\0' || a[17] == '=')) {
            /* The pod init already dies with this process; this makes this process die with
             * its own parent, so a pod started by a program (the orchestrator, the proxy)
             * cannot outlive it, even after SIGKILL.  With =PID the parent is named: if it
             * died before the death signal was armed, we are already orphaned and stop. */
            pid_t parent = getppid();
            if (a[17] == '=') {
                char *end = NULL;
                long v = strtol(a + 18, &end, 10);
                if (end == a + 18 || *end != '\0' || v <= 0)
                    return nc_cli_usage("exec", "--die-with-parent=PID needs a process id");
                parent = (pid_t)v;
            }
            if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                return 125;
            continue;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "--verbose") == 0) {
            quiet = a[2] == 'q';
            verbose = a[2] == 'v';
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t klen = eq != NULL ? (size_t)(eq - a) : strlen(a);
        if (eq != NULL)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return nc_cli_usage("exec", "%s needs a value", a);
        if ((strncmp(a, "--profile", klen) == 0 && klen == 9) ||
            (strncmp(a, "--policy", klen) == 0 && klen == 8)) {
            if (nspecs >= MAX_SPECS)
                return nc_cli_usage("exec", "too many policies");
            specs[nspecs++] = val;
        } else if (strncmp(a, "--workspace", klen) == 0 && klen == 11) {
            workspace = val;
        } else if (strncmp(a, "--timeout", klen) == 0 && klen == 9) {
            char *end = NULL;
            errno = 0;
            unsigned long long t = strtoull(val, &end, 10);
            if (errno != 0 || end == val || *end != '\0' || t == 0 || val[0] == '-')
                return nc_cli_usage("exec", "--timeout takes a positive number of seconds, not '%s'", val);
            timeout = t;
        } else if (strncmp(a, "--allow-degraded", klen) == 0 && klen == 16) {
            _cleanup_free_ char *copy = strdup(val);
            char *save = NULL;
            if (copy == NULL)
                return NC_EXIT_USAGE;
            for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
                enum nc_mech m;
                if (nc_mech_parse(t, &m) < 0 || m == NC_MECH_CGROUP)
                    return nc_cli_usage("exec", "unknown mechanism '%s' (userns, landlock, landlock-net, landlock-scope, seccomp)", t);
                degraded |= NC_MECH_BIT(m);
            }
        } else if (strncmp(a, "--allow-network", klen) == 0 && klen == 15) {
            if (nnets >= MAX_NETS)
                return nc_cli_usage("exec", "too many --allow-network");
            nets[nnets++] = val;
        } else if (strncmp(a, "--egress-ports", klen) == 0 && klen == 14) {
            egress_ports = val;
        } else if (strncmp(a, "--egress-log", klen) == 0 && klen == 12) {
            egress_log = val;
        } else if (strncmp(a, "--preserve-fd", klen) == 0 && klen == 13) {
            int fd = fd_arg(val);
            if (fd < 0)
                return nc_cli_usage("exec", "--preserve-fd takes an open descriptor >= 3, "
                                    "not '%s'", val);
            if (nkeep >= sizeof(keep_fds) / sizeof(keep_fds[0]))
                return nc_cli_usage("exec", "too many --preserve-fd");
            keep_fds[nkeep++] = fd;
        } else if (strncmp(a, "--egress-log-fd", klen) == 0 && klen == 15) {
            egress_log_fd = fd_arg(val);
            if (egress_log_fd < 0)
                return nc_cli_usage("exec", "--egress-log-fd takes an open descriptor >= 3, "
                                    "not '%s'", val);
        } else if (strncmp(a, "--net", klen) == 0 && klen == 5) {
            if (strcmp(val, "routed") != 0 && strcmp(val, "gateway") != 0)
                return nc_cli_usage("exec", "--net takes gateway or routed, not '%s'", val);
            routed = val[0] == 'r';
        } else if (strncmp(a, "--hosts-file", klen) == 0 && klen == 12) {
            hosts_file = val;
        } else if (strncmp(a, "--env", klen) == 0 && klen == 5) {
            size_t nl = strcspn(val, "=");
            if (!env_name_ok(val, nl))
                return nc_cli_usage("exec", "--env takes NAME or NAME=VALUE, not '%s'", val);
            if (val[nl] == '=') {
                if (add_env(env, &nenv, val) < 0)
                    return nc_cli_usage("exec", "too many --env");
            } else {
                const char *v = getenv(val);
                char *e = NULL;
                if (v == NULL)
                    continue; /* unset in the caller: stays unset */
                if (owned.n >= NC_POD_MAX_ENV || asprintf(&e, "%s=%s", val, v) < 0)
                    return nc_cli_usage("exec", "too many --env");
                owned.s[owned.n++] = e;
                if (add_env(env, &nenv, e) < 0)
                    return nc_cli_usage("exec", "too many --env");
            }
        } else {
            return nc_cli_usage("exec", "unknown option '%s'", a);
        }
    }
    if (i >= argc)
        return nc_cli_usage("exec", "expected -- COMMAND [ARG...]");
    if (nspecs == 0)
        specs[nspecs++] = "read-only";
    if (nc_policy_compose(specs, nspecs, p, &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_USAGE;
    }
    if (realpath(workspace, ws) == NULL) {
        nc_cli_error("workspace '%s': %s", workspace, strerror(errno));
        return NC_EXIT_USAGE;
    }

    if (p->net_allow.unrestricted || p->net_allow.count > 0 || nnets > 0) {
        static const char *const proxy_env[] = {
            "http_proxy=http://127.0.0.1:3128",  "https_proxy=http://127.0.0.1:3128",
            "HTTP_PROXY=http://127.0.0.1:3128",  "HTTPS_PROXY=http://127.0.0.1:3128",
            "ALL_PROXY=socks5h://127.0.0.1:3128", "all_proxy=socks5h://127.0.0.1:3128",
            "NO_PROXY=",                         "no_proxy=",
            "NUCLEUS_EGRESS_PROXY=socks5h://127.0.0.1:3128", /* NC_EGRESS_PROXY_ENV */
            /* NC_EGRESS_SOCKET_ENV; one literal, concatenated */
            "NUCLEUS_EGRESS_SOCKET=" NC_EGRESS_POD_SOCKET, /* NOLINT(bugprone-suspicious-missing-comma) */
        };
        _cleanup_free_ struct nc_net_rules *rules = malloc(sizeof(*rules));
        _cleanup_free_ struct nc_hosts *hosts = NULL;
        int nrc;
        if (rules == NULL)
            return NC_EXIT_FAIL;
        nrc = nc_cli_net_rules(rules, "exec", p, "--egress-ports", egress_ports, nets, nnets);
        if (nrc != NC_EXIT_OK)
            return nrc;
        if (hosts_file != NULL) {
            int hrc = NC_EXIT_OK;
            hosts = nc_cli_hosts_load(hosts_file, &hrc);
            if (hosts == NULL)
                return hrc;
        }
        if (egress_log != NULL) {
            dlog.f[0] = fopen(egress_log, "ae");
            if (dlog.f[0] == NULL) {
                nc_cli_error("cannot open %s: %s", egress_log, strerror(errno));
                return NC_EXIT_USAGE;
            }
        }
        if (egress_log_fd >= 0) {
            (void)fcntl(egress_log_fd, F_SETFD, FD_CLOEXEC);
            dlog.f[1] = fdopen(egress_log_fd, "a");
            if (dlog.f[1] == NULL) {
                nc_cli_error("--egress-log-fd %d: %s", egress_log_fd, strerror(errno));
                return NC_EXIT_USAGE;
            }
        }
        if (routed) {
            struct nc_routed_config rcfg = {.rules = rules, .hosts = hosts,
                                            .event = routed_event, .event_arg = &rt};
            rt.quiet = quiet;
            rt.r = nc_routed_new(&rcfg, &err);
            if (rt.r == NULL) {
                nc_cli_error("%s", err.msg);
                return 125;
            }
            cfg.net_attach = routed_attach;
            cfg.net_started = routed_started;
            cfg.net_arg = &rt;
        }
        for (size_t k = 0; !routed && k < sizeof(proxy_env) / sizeof(proxy_env[0]); k++)
            if (add_env(env, &nenv, proxy_env[k]) < 0)
                return nc_cli_usage("exec", "too many --env");
        eg.quiet = quiet;
        if (routed)
            goto net_done;
        /* The ports the gateway's process may dial: the rules', and DNS over TCP when it
         * asks the system resolver. */
        eg.any_port = nc_net_rules_dial_ports(rules, eg.ports, sizeof(eg.ports) /
                                              sizeof(eg.ports[0]) - 1, &eg.nports) < 0;
        if (!eg.any_port && hosts == NULL)
            eg.ports[eg.nports++] = 53;
        struct nc_gateway_config gcfg = {.rules = rules, .hosts = hosts, .audit = egress_event,
                                         .audit_arg = &eg};
        eg.gw = nc_gateway_new(&gcfg, &err);
        if (eg.gw == NULL) {
            nc_cli_error("%s", err.msg);
            return 125;
        }
        cfg.egress_port = NC_EGRESS_POD_PORT;
        cfg.egress_ready = egress_ready;
        cfg.egress_arg = &eg;
    net_done:;
    } else if (routed) {
        return nc_cli_usage("exec", "--net=routed needs a policy that allows hosts, or --allow-network");
    } else if (egress_log != NULL || hosts_file != NULL || egress_ports != NULL) {
        return nc_cli_usage("exec", "network options need a policy that allows hosts");
    } else if (egress_log_fd >= 0) {
        close(egress_log_fd); /* no network, no decisions: the reader sees EOF now */
    }

    cfg.policy = p;
    cfg.workspace = ws;
    cfg.workspace_writable = p->caps.level[NC_OP_WRITE_FILES] != NC_NEVER ||
                             p->caps.level[NC_OP_EDIT_FILES] != NC_NEVER;
    cfg.argv = argv + i;
    cfg.env = env;
    cfg.nenv = nenv;
    cfg.timeout_s = timeout;
    cfg.keep_fds = keep_fds;
    cfg.nkeep_fds = nkeep;
    cfg.allow_degraded = degraded;
    cfg.quiet = quiet;

    if (eg.gw != NULL && egress_start(&eg, &err) < 0) {
        nc_cli_error("%s", err.msg);
        egress_stop(&eg);
        return 125;
    }
    int prc = nc_pod_run(&cfg, &res, &err);
    if (eg.gw != NULL)
        egress_stop(&eg);
    if (rt.r != NULL) {
        char why[256];
        bool drifted = nc_routed_drifted(rt.r, why, sizeof(why));
        char table[32];
        snprintf(table, sizeof(table), "%s", nc_routed_plan(rt.r)->table);
        nc_routed_free(rt.r);
        if (drifted) {
            /* Printed even with --quiet: the pod was killed, this is the reason. */
            nc_cli_error("the pod's network rules changed (table inet %s: %s): the pod was "
                         "killed", table, why);
            return EXIT_NET_DRIFT;
        }
    }
    if (prc < 0) {
        nc_cli_error("%s", err.msg);
        return 125;
    }
    if (!quiet) {
        for (unsigned m = 0; m < NC_MECH_COUNT; m++)
            if ((res.degraded & NC_MECH_BIT(m)) && m != NC_MECH_CGROUP)
                nc_cli_error("warning: the pod ran without %s (--allow-degraded)", nc_mech_name((enum nc_mech)m));
        if (res.message[0] != '\0')
            nc_cli_error("%s", res.message);
        if (res.timed_out)
            nc_cli_error("the pod was killed after its timeout");
    }
    if (verbose)
        fprintf(stderr,
                "nucleus: pod: %smount, pid, net, ipc, uts%s namespaces; Landlock ABI %d; "
                "seccomp %s; processes limited by %s, memory by %s\n",
                (res.degraded & NC_MECH_BIT(NC_MECH_USERNS)) != 0 ? "" : "user, ",
                res.pids_holder == NC_LIMIT_RLIMIT && res.memory_holder == NC_LIMIT_RLIMIT ? "" : ", cgroup",
                res.landlock_abi, (res.degraded & NC_MECH_BIT(NC_MECH_SECCOMP)) != 0 ? "off" : "on",
                nc_limit_holder_name(res.pids_holder), nc_limit_holder_name(res.memory_holder));
    return res.exit_code;
}
