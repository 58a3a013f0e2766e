/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded orchestrator (see orchestrator.h). */
#include "node/orchestrator.h"

#include "audit/audit.h"
#include "policy/emit.h"
#include "proxy/approval.h"
#include "proxy/authority.h"
#include "proxy/control.h"
#include "node/links.h"
#include "proxy/link.h"
#include "util/cleanup.h"
#include "util/ossl.h"
#include "util/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define STOP_GRACE_MS 5000

enum nc_agent_kind nc_agent_kind_of(const char *argv0)
{
    const char *base = argv0 != NULL ? strrchr(argv0, '/') : NULL;
    base = base != NULL ? base + 1 : argv0;
    if (base == NULL)
        return NC_AGENT_GENERIC;
    if (strcmp(base, "claude") == 0)
        return NC_AGENT_CLAUDE;
    if (strcmp(base, "codex") == 0)
        return NC_AGENT_CODEX;
    return NC_AGENT_GENERIC;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A sealed memfd holding data. */
static int sealed_memfd(const char *name, const void *data, size_t len, struct nc_err *err)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return nc_err_set(err, errno, "memfd_create: %s", strerror(errno));
    if (write_all(fd, data, len) < 0) {
        close(fd);
        return nc_err_set(err, errno, "memfd: %s", strerror(errno));
    }
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    return fd;
}

/* The nucleus binary as a sealed memfd: the pod sees no host path, yet runs exactly the
 * binary the orchestrator runs. */
static int exe_memfd(struct nc_err *err)
{
    _cleanup_close_ int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    _cleanup_free_ char *buf = NULL;
    size_t off = 0;
    if (in < 0 || fstat(in, &st) < 0 || st.st_size <= 0)
        return nc_err_set(err, errno, "cannot read the nucleus binary");
    buf = malloc((size_t)st.st_size);
    if (buf == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    while (off < (size_t)st.st_size) {
        ssize_t n = read(in, buf + off, (size_t)st.st_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return nc_err_set(err, EIO, "cannot read the nucleus binary");
        off += (size_t)n;
    }
    return sealed_memfd("nucleus", buf, off, err);
}

static int policy_memfd(const struct nc_policy *p, struct nc_err *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return nc_err_set(err, errno, "cannot render the policy");
    if (nc_policy_emit_yaml(p, f) < 0) {
        fclose(f);
        return nc_err_set(err, EIO, "cannot render the policy");
    }
    if (fclose(f) != 0)
        return nc_err_set(err, EIO, "cannot render the policy");
    return sealed_memfd("nucleus-policy", buf, len, err);
}

/* ---- the MCP bridge socket ----------------------------------------------------------------- */

struct bridge {
    struct nc_mtls_ctx *tls; /* mutual TLS: only the bridge's SVID gets through */
    int lfd;      /* listening mcp.sock */
    int to_proxy; /* the proxy's stdin */
    int from_proxy;
    int stop_fd;
    pthread_t thread;
};

/* One agent at a time: bytes from the connection go to the proxy's stdin, the proxy's stdout
 * goes to the connection.  Between connections the proxy's output waits in its pipe.  Every
 * connection is mutual TLS 1.3 with the bridge's SVID (a plaintext or unauthorized peer is
 * refused in the handshake and audited by the context's failure callback). */
static void *bridge_thread(void *arg)
{
    struct bridge *b = arg;
    int conn = -1;
    struct nc_mtls_conn *tc = NULL;
    struct nc_err err = {0};
    char buf[65536];
    for (;;) {
        struct pollfd pf[3];
        nfds_t n = 0;
        pf[n++] = (struct pollfd){.fd = b->stop_fd, .events = POLLIN};
        if (conn < 0) {
            pf[n++] = (struct pollfd){.fd = b->lfd, .events = POLLIN};
        } else {
            pf[n++] = (struct pollfd){.fd = conn, .events = POLLIN};
            pf[n++] = (struct pollfd){.fd = b->from_proxy, .events = POLLIN};
        }
        if (poll(pf, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[0].revents != 0)
            break;
        if (conn < 0) {
            if (pf[1].revents == 0)
                continue;
            conn = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (conn >= 0) {
                struct ucred cred;
                socklen_t cl = sizeof(cred);
                /* Only our own user (or root) talks to this pod's proxy, and only with the
                 * bridge's certificate. */
                if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
                    (cred.uid != geteuid() && cred.uid != 0)) {
                    close(conn);
                    conn = -1;
                } else if (nc_mtls_accept(b->tls, conn, NC_LINK_TIMEOUT_MS, &tc, &err) < 0) {
                    conn = -1; /* the fd is closed by nc_mtls_accept */
                    tc = NULL;
                } else {
                    conn = nc_mtls_conn_fd(tc);
                }
            }
            continue;
        }
        if (pf[1].revents != 0) {
            ssize_t r = nc_mtls_read(tc, buf, sizeof(buf), NC_LINK_TIMEOUT_MS, &err);
            if (r <= 0) {
                nc_mtls_conn_free(tc); /* the bridge left; the next one may connect */
                tc = NULL;
                conn = -1;
                continue;
            }
            if (write_all(b->to_proxy, buf, (size_t)r) < 0)
                break; /* the proxy is gone */
        }
        if (pf[2].revents != 0) {
            ssize_t r = read(b->from_proxy, buf, sizeof(buf));
            if (r <= 0)
                break; /* the proxy is gone */
            if (nc_mtls_write_all(tc, buf, (size_t)r, NC_LINK_TIMEOUT_MS, &err) < 0) {
                nc_mtls_conn_free(tc);
                tc = NULL;
                conn = -1;
            }
        }
    }
    nc_mtls_conn_free(tc);
    return NULL;
}

static int listen_unix(const char *path, struct nc_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;
    if (strlen(path) >= sizeof(sa.sun_path))
        return nc_err_set(err, ENAMETOOLONG, "socket path too long: %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return nc_err_set(err, e, "%s: %s", path, strerror(e));
    }
    return fd;
}

/* ---- agents ------------------------------------------------------------------------------ */

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc;
    if (fd < 0)
        return -1;
    rc = write_all(fd, text, strlen(text));
    if (close(fd) < 0)
        rc = -1;
    return rc;
}

/* The agent's argv with what makes it use nucleus's tools and only those. */
static const char **agent_argv(char *const *argv, enum nc_agent_kind kind,
                               const char *mcp_json, const char *exe, const char *pod,
                               char *owned[4])
{
    size_t n = 0, extra = 12;
    const char **out;
    while (argv[n] != NULL)
        n++;
    out = calloc(n + extra + 1, sizeof(*out));
    if (out == NULL)
        return NULL;
    size_t k = 0;
    out[k++] = argv[0];
    if (kind == NC_AGENT_CLAUDE) {
        /* Only nucleus's MCP server, and Claude Code's own file, shell and web tools off, so
         * every side effect goes through the pod. */
        out[k++] = "--mcp-config";
        out[k++] = mcp_json;
        out[k++] = "--strict-mcp-config";
        out[k++] = "--disallowedTools";
        out[k++] = "Bash,Edit,MultiEdit,Write,Read,Glob,Grep,NotebookEdit,WebFetch,"
                           "WebSearch,Task";
    } else if (kind == NC_AGENT_CODEX) {
        if (asprintf(&owned[0], "mcp_servers.nucleus.command=\"%s\"", exe) < 0 ||
            asprintf(&owned[1], "mcp_servers.nucleus.args=[\"mcp\",\"--pod\",\"%s\"]", pod) < 0) {
            free(out);
            return NULL;
        }
        out[k++] = "-c";
        out[k++] = owned[0];
        out[k++] = "-c";
        out[k++] = owned[1];
    }
    for (size_t i = 1; i < n; i++)
        out[k++] = argv[i];
    out[k] = NULL;
    return out;
}

/* ---- the session ---------------------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void audit_event(struct nc_authority *a, const char *op, json_t *params,
                        enum nc_audit_outcome o, const char *reason)
{
    struct nc_audit_event ev = {.principal = "orchestrator", .operation = op,
                                .params = params, .outcome = o, .reason = reason};
    struct nc_err err = {0};
    (void)a->audit(a->ctx, &ev, &err);
    json_decref(params);
}

static pid_t spawn_pod(const char *exe, const struct nc_run_config *cfg, const char *pod,
                       int pfd, int link_fd, int efd, int in_fd, int out_fd,
                       struct nc_err *err)
{
    char timeout[24], wait_s[24], parent_opt[48];
    const char *argv[40];
    size_t n = 0;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    uint64_t t = cfg->policy->limits.timeout_s;
    snprintf(timeout, sizeof(timeout), "%" PRIu64, t == 0 || t > 31536000 ? 31536000 : t);
    snprintf(wait_s, sizeof(wait_s), "%" PRIu64, cfg->approval_wait_s);
    snprintf(parent_opt, sizeof(parent_opt), "--die-with-parent=%ld", (long)getpid());
    argv[n++] = "nucleus";
    argv[n++] = "exec";
    argv[n++] = "--policy";
    argv[n++] = "/proc/self/fd/3";
    argv[n++] = "--workspace";
    argv[n++] = cfg->workspace;
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    argv[n++] = "--quiet";
    argv[n++] = parent_opt;
    /* The proxy in the pod gets the policy (3), the link (4) and the binary (5). */
    argv[n++] = "--preserve-fd";
    argv[n++] = "3";
    argv[n++] = "--preserve-fd";
    argv[n++] = "4";
    argv[n++] = "--preserve-fd";
    argv[n++] = "5";
#ifdef __SANITIZE_ADDRESS__
    /* The sanitizer build of the test suite: LeakSanitizer cannot work in a process that is
     * PID 2 of a new pid namespace, so the proxy in the pod runs without it. */
    argv[n++] = "--env";
    argv[n++] = "ASAN_OPTIONS=detect_leaks=0";
#endif
    argv[n++] = "--";
    argv[n++] = "/proc/self/fd/5";
    argv[n++] = "proxy";
    argv[n++] = "--stdio";
    argv[n++] = "--link-fd";
    argv[n++] = "4";
    argv[n++] = "--policy";
    argv[n++] = "/proc/self/fd/3";
    argv[n++] = "--workspace";
    argv[n++] = cfg->workspace;
    argv[n++] = "--pod-id";
    argv[n++] = pod;
    argv[n++] = "--approval-wait";
    argv[n++] = wait_s;
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, pfd, 3);
    posix_spawn_file_actions_adddup2(&fa, link_fd, 4);
    posix_spawn_file_actions_adddup2(&fa, efd, 5);
    posix_spawn_file_actions_addclosefrom_np(&fa, 6);
    int e = posix_spawn(&pid, exe, &fa, NULL, (char *const *)(void *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return nc_err_set(err, e, "cannot start the pod: %s", strerror(e));
    return pid;
}

/* Waits up to ms for pid; then SIGTERM, and SIGKILL two seconds later.  Returns the status. */
static int reap(pid_t pid, int ms)
{
    int st = 0;
    for (int waited = 0;; waited += 50) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return st;
        if (waited == ms)
            kill(pid, SIGTERM);
        if (waited == ms + 2000)
            kill(pid, SIGKILL);
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
}

int nc_run(const struct nc_run_config *cfg, int *agent_status, struct nc_err *err)
{
    char state[PATH_MAX], adir[PATH_MAX], log[PATH_MAX], pod[NC_APPROVAL_POD_MAX + 1],
        exe[PATH_MAX], sock[PATH_MAX], mcp_json[PATH_MAX], principal[96],
        bridge_dir[PATH_MAX] = "";
    uint8_t akey[NC_AUDIT_KEY_LEN];
    struct nc_approval_key key;
    struct nc_audit *audit = NULL;
    struct nc_approval_registry *reg = NULL;
    struct nc_authority auth;
    struct nc_authority_local local = {0};
    struct nc_control *ctl = NULL;
    struct nc_link_server *ls = NULL;
    struct nc_links_server *links = NULL;
    struct bridge br = {.lfd = -1, .to_proxy = -1, .from_proxy = -1, .stop_fd = -1};
    bool bridge_started = false, auth_ready = false;
    int pfd = -1, efd = -1, lk[2] = {-1, -1}, inp[2] = {-1, -1}, outp[2] = {-1, -1};
    pid_t pod_pid = -1, agent = -1;
    int rc = -1;
    ssize_t el;

    *agent_status = 0;
    /* Signals, first thing (a session is visible to others as soon as its sockets exist):
     * INT is the agent's (it shares our terminal); TERM and HUP end the session cleanly. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (cfg->agent_argv == NULL)
        sigaction(SIGINT, &sa, NULL);
    else
        signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (el <= 0)
        return nc_err_set(err, errno, "cannot find the nucleus binary");
    exe[el] = '\0';
    if (cfg->pod_id != NULL) {
        if (!nc_approval_pod_valid(cfg->pod_id))
            return nc_err_set(err, EINVAL, "invalid pod id");
        snprintf(pod, sizeof(pod), "%s", cfg->pod_id);
    } else {
        uint8_t r[6];
        if (RAND_bytes(r, sizeof(r)) != 1)
            return nc_err_set(err, EIO, "no randomness for the pod id");
        for (size_t k = 0; k < sizeof(r); k++)
            snprintf(pod + 2 * k, 3, "%02x", r[k]);
    }
    snprintf(principal, sizeof(principal), "pod:%s", pod);

    /* The state directory: keys and audit logs, outside every pod. */
    if (nc_state_dir(state, sizeof(state), err) < 0 ||
        nc_state_key(state, "audit.key", akey, err) < 0 ||
        nc_state_key(state, "approval.key", key.bytes, err) < 0)
        return -1;
    if (snprintf(adir, sizeof(adir), "%s/audit", state) >= (int)sizeof(adir) ||
        snprintf(log, sizeof(log), "%s/%s.jsonl", adir, pod) >= (int)sizeof(log))
        return nc_err_set(err, ENAMETOOLONG, "state directory name too long");
    if (nc_private_dir(adir, err) < 0 ||
        nc_audit_open(log, akey, sizeof(akey), 0, &audit, err) < 0) {
        explicit_bzero(akey, sizeof(akey));
        nc_approval_key_wipe(&key);
        return -1;
    }
    explicit_bzero(akey, sizeof(akey));
    reg = nc_approval_registry_new(64, 64, err);
    if (reg == NULL) {
        nc_approval_key_wipe(&key);
        goto out;
    }
    nc_authority_local(&auth, &local, reg, &key, pod, audit);
    nc_approval_key_wipe(&key);
    auth_ready = true;

    {
        json_t *info = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "kind", "run", "pod", pod,
                                 "pid", (json_int_t)getpid(), "workspace", cfg->workspace,
                                 "policy", cfg->policy->name, "audit", log, "started",
                                 (json_int_t)time(NULL));
        /* Identities first: the control socket exists only with its TLS context. */
        links = nc_links_server_new(state, NC_LINKS_SA_ORCHESTRATOR, audit, err);
        if (links == NULL) {
            json_decref(info);
            goto out;
        }
        struct nc_control_backend cb = {.reg = reg, .key = &local.key, .audit = &auth,
                                        .tls = nc_links_server_control_ctx(links)};
        ctl = nc_control_start(&cb, pod, info, err);
        if (cfg->nexec_opts > 0) {
            /* Recorded: what the operator opened for the command pods' gateways. */
            json_t *eo = json_array();
            for (size_t k = 0; eo != NULL && k < cfg->nexec_opts; k++)
                json_array_append_new(eo, json_string(cfg->exec_opts[k]));
            json_object_set_new(info, "egress_options", eo);
        }
        audit_event(&auth, "run.start", info, NC_AUDIT_INFO, "session started");
        if (ctl == NULL)
            goto out;
    }
    if (snprintf(sock, sizeof(sock), "%s/mcp.sock", nc_control_dir(ctl)) >= (int)sizeof(sock) ||
        snprintf(mcp_json, sizeof(mcp_json), "%s/mcp.json", nc_control_dir(ctl)) >=
            (int)sizeof(mcp_json)) {
        nc_err_set(err, ENAMETOOLONG, "runtime directory name too long");
        goto out;
    }
    if (snprintf(bridge_dir, sizeof(bridge_dir), "%s/bridge", nc_control_dir(ctl)) >=
        (int)sizeof(bridge_dir)) {
        nc_err_set(err, ENAMETOOLONG, "runtime directory name too long");
        goto out;
    }
    br.tls = nc_links_server_bridge(links, pod, bridge_dir, err);
    if (br.tls == NULL)
        goto out;
    br.lfd = listen_unix(sock, err);
    if (br.lfd < 0)
        goto out;

    /* The pod with the proxy in it. */
    pfd = policy_memfd(cfg->policy, err);
    if (pfd < 0)
        goto out;
    efd = exe_memfd(err);
    if (efd < 0)
        goto out;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lk) < 0 || pipe2(inp, O_CLOEXEC) < 0 ||
        pipe2(outp, O_CLOEXEC) < 0) {
        nc_err_set(err, errno, "cannot create the pod's channels: %s", strerror(errno));
        goto out;
    }
    pod_pid = spawn_pod(exe, cfg, pod, pfd, lk[1], efd, inp[0], outp[1], err);
    if (pod_pid < 0)
        goto out;
    close(lk[1]);
    close(inp[0]);
    close(outp[1]);
    lk[1] = inp[0] = outp[1] = -1;
    struct nc_link_server_config lc = {.fd = lk[0], .authority = &auth, .policy = cfg->policy,
                                       .workspace = cfg->workspace, .nucleus_exe = exe,
                                       .principal = principal, .exec_opts = cfg->exec_opts,
                                       .nexec_opts = cfg->nexec_opts};
    ls = nc_link_server_start(&lc, err);
    if (ls == NULL)
        goto out;
    lk[0] = -1; /* the server owns it */
    br.to_proxy = inp[1];
    br.from_proxy = outp[0];
    br.stop_fd = eventfd(0, EFD_CLOEXEC);
    if (br.stop_fd < 0 || pthread_create(&br.thread, NULL, bridge_thread, &br) != 0) {
        nc_err_set(err, errno, "cannot start the MCP bridge");
        goto out;
    }
    bridge_started = true;

    /* MCP configuration for agents: a generic .mcp.json (Claude Code reads this format). */
    {
        json_t *conf = json_pack("{s:{s:{s:s, s:s, s:[s,s,s]}}}", "mcpServers", "nucleus",
                                 "type", "stdio", "command", exe, "args", "mcp", "--pod", pod);
        char *text = json_dumps(conf, JSON_INDENT(2));
        if (text == NULL || write_text(mcp_json, text) < 0) {
            free(text);
            json_decref(conf);
            nc_err_set(err, errno, "cannot write %s", mcp_json);
            goto out;
        }
        free(text);
        json_decref(conf);
    }
    if (!cfg->quiet)
        fprintf(stderr,
                "nucleus run: pod %s, workspace %s, policy %s\n"
                "nucleus run: MCP server for the agent: %s mcp --pod %s (config: %s)\n"
                "nucleus run: audit log %s\n"
                "nucleus run: approvals from another terminal: nucleus approvals; "
                "nucleus approve ID\n",
                pod, cfg->workspace, cfg->policy->name, exe, pod, mcp_json, log);

    if (cfg->agent_argv != NULL && cfg->agent_argv[0] != NULL) {
        char *owned[4] = {0};
        enum nc_agent_kind kind = nc_agent_kind_of(cfg->agent_argv[0]);
        const char **av = agent_argv(cfg->agent_argv, kind, mcp_json, exe, pod, owned);
        posix_spawnattr_t at;
        sigset_t dfl;
        setenv("NUCLEUS_POD", pod, 1);
        setenv("NUCLEUS_MCP_CONFIG", mcp_json, 1);
        posix_spawnattr_init(&at);
        sigemptyset(&dfl);
        sigaddset(&dfl, SIGINT);
        sigaddset(&dfl, SIGPIPE);
        posix_spawnattr_setsigdefault(&at, &dfl);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
        int e = av != NULL ? posix_spawnp(&agent, av[0], NULL, &at, (char *const *)(void *)av, environ) : ENOMEM;
        posix_spawnattr_destroy(&at);
        free(av);
        free(owned[0]);
        free(owned[1]);
        if (e != 0) {
            nc_err_set(err, e, "cannot start the agent %s: %s", cfg->agent_argv[0], strerror(e));
            goto out;
        }
        audit_event(&auth, "run.agent", json_pack("{s:s, s:I}", "program", cfg->agent_argv[0],
                                                  "pid", (json_int_t)agent),
                    NC_AUDIT_INFO, "agent started");
    }

    /* Until the agent exits, a signal arrives, or the pod dies. */
    for (unsigned tick = 1;; tick++) {
        int st;
        if (tick % 600 == 0) { /* once a minute: SVIDs renewed at half life */
            struct nc_err rerr = {0};
            if (nc_links_server_refresh(links, &rerr) < 0 && !cfg->quiet)
                fprintf(stderr, "nucleus run: identity renewal failed: %s\n", rerr.msg);
        }
        if (got_signal != 0) {
            if (agent > 0)
                kill(agent, SIGTERM);
            break;
        }
        if (agent > 0 && waitpid(agent, &st, WNOHANG) == agent) {
            *agent_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            agent = -1;
            audit_event(&auth, "run.agent", json_pack("{s:i}", "status", *agent_status),
                        NC_AUDIT_INFO, "agent exited");
            break;
        }
        if (waitpid(pod_pid, &st, WNOHANG) == pod_pid) {
            pod_pid = -1;
            audit_event(&auth, "run.pod", json_pack("{s:i}", "status",
                                                    WIFEXITED(st) ? WEXITSTATUS(st) : -1),
                        NC_AUDIT_ERROR, "the pod ended before the session");
            if (!cfg->quiet)
                fprintf(stderr, "nucleus run: the pod ended; ending the session\n");
            if (agent > 0)
                kill(agent, SIGTERM);
            break;
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    rc = 0;

out:
    /* Teardown, in order: no new bridge traffic; the proxy sees the end of its input and
     * exits; the link drains; the pod is reaped (or killed); the sockets go; the log closes
     * with its checkpoint. */
    if (bridge_started) {
        uint64_t one = 1;
        if (write(br.stop_fd, &one, sizeof(one)) == sizeof(one))
            pthread_join(br.thread, NULL);
    }
    if (br.to_proxy >= 0)
        close(br.to_proxy);
    if (pod_pid > 0)
        (void)reap(pod_pid, STOP_GRACE_MS);
    nc_link_server_stop(ls, STOP_GRACE_MS);
    if (agent > 0) {
        int st = reap(agent, STOP_GRACE_MS);
        *agent_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (br.from_proxy >= 0)
        close(br.from_proxy);
    if (br.stop_fd >= 0)
        close(br.stop_fd);
    if (br.lfd >= 0) {
        close(br.lfd);
        unlink(sock);
        unlink(mcp_json);
    }
    for (int i = 0; i < 2; i++) {
        if (lk[i] >= 0)
            close(lk[i]);
        if (inp[i] >= 0)
            close(inp[i]);
        if (outp[i] >= 0)
            close(outp[i]);
    }
    if (pfd >= 0)
        close(pfd);
    if (efd >= 0)
        close(efd);
    if (bridge_dir[0] != '\0') {
        static const char *const files[] = NC_LINK_BRIDGE_FILES;
        char f[PATH_MAX + 32];
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            snprintf(f, sizeof(f), "%s/%s", bridge_dir, files[i]);
            unlink(f);
        }
        rmdir(bridge_dir);
    }
    nc_control_stop(ctl); /* before the TLS context it borrows */
    nc_links_server_free(links);
    if (audit != NULL) {
        struct nc_err cerr = {0};
        if (auth_ready)
            audit_event(&auth, "run.stop", NULL, NC_AUDIT_INFO, "session ended");
        if (nc_audit_close(audit, &cerr) < 0 && rc == 0) {
            *err = cerr;
            rc = -1;
        }
    }
    nc_approval_key_wipe(&local.key);
    nc_approval_registry_free(reg);
    return rc;
}
