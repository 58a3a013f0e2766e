/* SPDX-License-Identifier: Apache-2.0 */
/* Pod creation and supervision (see pod.h).
 *
 * Processes:  nucleus (parent, host side) --clone(new namespaces)--> pod init (PID 1)
 *             --fork--> the command (PID 2, its own session).
 * The parent writes the id maps and moves the init into the pod's cgroup, then lets it go.
 * The init builds the filesystem, forks the command and reaps; when the command exits the
 * init exits with its status and the kernel kills whatever is left in the pid namespace.  The
 * init dies with the parent (PDEATHSIG), and the parent kills the init on timeout, so no pod
 * process outlives either. */
#include "pod.h"

#include "cgroup.h"
#include "landlock.h"
#include "mounts.h"
#include "seccomp_filter.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POD_SETUP_FAILED 125 /* like env(1)/chroot(1): the wrapper itself failed */
#define CMD_NOT_EXECUTABLE 126
#define CMD_NOT_FOUND 127
#define TIMEOUT_STATUS 124 /* like timeout(1) */

static const char *const mech_names[NC_MECH_COUNT] = {
    "userns", "landlock", "landlock-net", "landlock-scope", "seccomp", "cgroup",
};

const char *nc_mech_name(enum nc_mech m)
{
    return (unsigned)m < NC_MECH_COUNT ? mech_names[m] : "invalid";
}

int nc_mech_parse(const char *s, enum nc_mech *out)
{
    for (unsigned i = 0; i < NC_MECH_COUNT; i++) {
        if (strcmp(s, mech_names[i]) == 0) {
            *out = (enum nc_mech)i;
            return 0;
        }
    }
    return -1;
}

const char *nc_limit_holder_name(enum nc_limit_holder h)
{
    switch (h) {
    case NC_LIMIT_NONE: return "none";
    case NC_LIMIT_CGROUP2: return "cgroup2";
    case NC_LIMIT_CGROUP1: return "cgroup1";
    case NC_LIMIT_RLIMIT: return "rlimit";
    }
    return "invalid";
}

/* Messages from the pod to the parent over a SOCK_SEQPACKET socket (atomic records). */
struct pod_msg {
    char kind; /* 'E' error, 'L' landlock report, 'P' placeholder created (text: relative path) */
    int code;
    int abi;
    bool net, scope;
    char text[NC_ERR_MSG_MAX];
};

struct pod_ctx {
    const struct nc_pod_config *cfg;
    int sync_fd;   /* read end: one byte when the parent has finished our set-up */
    int report_fd; /* SOCK_SEQPACKET to the parent; close-on-exec */
    bool cgroup_ns;
    enum nc_limit_holder pids, memory;
    uint64_t max_procs, memory_bytes;
};

static void send_msg(int fd, const struct pod_msg *m)
{
    ssize_t n;
    do
        n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
}

/* Reports a set-up failure to the parent and exits: only in the pod's processes. */
static void __attribute__((noreturn)) die_pod(int fd, int status, const struct nc_err *err)
{
    struct pod_msg m = {.kind = 'E', .code = err->code};
    snprintf(m.text, sizeof(m.text), "%s", err->msg);
    send_msg(fd, &m);
    _exit(status);
}

static int loopback_up(struct nc_err *err)
{
    struct ifreq ifr = {0};
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nc_err_set(err, errno, "socket: %s", strerror(errno));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return nc_err_set(err, errno, "lo: %s", strerror(errno));
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return nc_err_set(err, errno, "lo up: %s", strerror(errno));
    return 0;
}

/* Drops every capability for good: bounding set, ambient set, and securebits that stop a
 * uid-0 process from regaining capabilities at execve. */
static int drop_caps(struct nc_err *err)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];

    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return nc_err_set(err, errno, "drop capability %d: %s", cap, strerror(errno));
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return nc_err_set(err, errno, "clear ambient capabilities: %s", strerror(errno));
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
              0, 0, 0) < 0)
        return nc_err_set(err, errno, "securebits: %s", strerror(errno));
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) < 0)
        return nc_err_set(err, errno, "capset: %s", strerror(errno));
    return 0;
}

static void lower_rlimit(int res, uint64_t v)
{
    struct rlimit rl;
    if (v == UINT64_MAX || getrlimit(res, &rl) < 0)
        return;
    /* Never try to raise a hard limit (no CAP_SYS_RESOURCE here); only lower. */
    if (rl.rlim_max == RLIM_INFINITY || v < rl.rlim_max)
        rl.rlim_max = (rlim_t)v;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(res, &rl);
}

static const char *env_get(const struct nc_pod_config *cfg, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < cfg->nenv; i++)
        if (strncmp(cfg->env[i], name, n) == 0 && cfg->env[i][n] == '=')
            return cfg->env[i] + n + 1;
    return NULL;
}

/* execve with a PATH search over the pod's own PATH (execvpe would search ours). */
static int exec_cmd(const struct nc_pod_config *cfg, char *const *envp)
{
    const char *prog = cfg->argv[0];
    const char *path = env_get(cfg, "PATH");
    char buf[PATH_MAX];
    int saved = ENOENT;

    if (strchr(prog, '/') != NULL) {
        execve(prog, cfg->argv, envp);
        return -1;
    }
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path != '\0') {
        size_t n = strcspn(path, ":");
        if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog) < (int)sizeof(buf)) {
            execve(buf, cfg->argv, envp);
            if (errno != ENOENT && errno != ENOTDIR)
                saved = errno;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    errno = saved;
    return -1;
}

static void __attribute__((noreturn)) command_main(struct pod_ctx *c)
{
    const struct nc_pod_config *cfg = c->cfg;
    struct nc_err err = {0};
    struct pod_msg m = {.kind = 'L'};
    sigset_t all;
    char *envp[NC_POD_MAX_ENV + 1] = {0};
    const char *ws_rw[] = {cfg->workspace, "/tmp", "/dev/shm", "/dev/pts", "/dev/null",
                           "/dev/zero", "/dev/full", "/dev/tty", NULL};
    const char *ro[] = {"/", NULL};
    struct nc_landlock_spec spec = {.ro = ro, .rw = cfg->workspace_writable ? ws_rw : ws_rw + 1,
                                    .deny_tcp = true, .scope = true};

    /* A new session, so the command cannot inject keystrokes into the caller's terminal
     * (TIOCSTI, CVE-2017-5226).  When stdin is a terminal the user wants to use it (an
     * editor, a shell with job control), so the command keeps it as its controlling terminal
     * and the seccomp filter, which refuses TIOCSTI and TIOCLINUX, is the defence. */
    if (!isatty(STDIN_FILENO) && setsid() < 0) {
        nc_err_set(&err, errno, "setsid: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);

    for (size_t i = 0; i < cfg->nenv && i < NC_POD_MAX_ENV; i++)
        envp[i] = (char *)(uintptr_t)cfg->env[i];

    /* no_new_privs: setuid binaries and file capabilities cannot raise privileges; it is also
     * what lets an unprivileged process load Landlock and seccomp. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        nc_err_set(&err, errno, "no_new_privs: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (drop_caps(&err) < 0)
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    if (!(cfg->allow_degraded & NC_MECH_BIT(NC_MECH_LANDLOCK)) || nc_landlock_abi() > 0) {
        if (nc_landlock_apply(&spec, &m.abi, &m.net, &m.scope, &err) < 0)
            die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    send_msg(c->report_fd, &m);
    if (nc_seccomp_install(&err) < 0) {
        if (!(cfg->allow_degraded & NC_MECH_BIT(NC_MECH_SECCOMP)))
            die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }

    /* Limits last, just before execve: nothing of ours allocates under them. */
    lower_rlimit(RLIMIT_CORE, 0); /* no core dumps of pod memory on the host */
    if (c->pids == NC_LIMIT_RLIMIT)
        lower_rlimit(RLIMIT_NPROC, c->max_procs);
    if (c->memory == NC_LIMIT_RLIMIT)
        lower_rlimit(RLIMIT_AS, c->memory_bytes);
    exec_cmd(cfg, envp);
    int e = errno;
    nc_err_set(&err, e, "cannot run '%s': %s", cfg->argv[0], strerror(e));
    die_pod(c->report_fd, e == ENOENT ? CMD_NOT_FOUND : CMD_NOT_EXECUTABLE, &err);
}

static volatile sig_atomic_t forward_to;

static void forward(int sig)
{
    if (forward_to > 0)
        kill((pid_t)forward_to, sig);
}

static void __attribute__((noreturn)) init_main(struct pod_ctx *c)
{
    struct nc_err err = {0};
    static struct nc_fs_report rep; /* large; the init is single-threaded */
    struct nc_fs_plan plan = {.workspace = c->cfg->workspace,
                              .writable = c->cfg->workspace_writable,
                              .policy = c->cfg->policy};
    static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
    char go;
    ssize_t n;
    pid_t cmd;
    int status = 0;
    sigset_t none;

    /* Die with the parent.  Had it died before this point, the read below sees EOF. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    do
        n = read(c->sync_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(POD_SETUP_FAILED); /* the parent gave up */
    close(c->sync_fd);

    if (c->cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) {
        nc_err_set(&err, errno, "cgroup namespace: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (sethostname("nucleus", 7) < 0) {
        nc_err_set(&err, errno, "sethostname: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (loopback_up(&err) < 0 || nc_fs_setup(&plan, &rep, &err) < 0)
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    /* The parent removes the placeholders after the pod (the host side outlives us). */
    for (size_t i = 0, off = 0; i < rep.nplaceholders; i++) {
        struct pod_msg m = {.kind = 'P'};
        snprintf(m.text, sizeof(m.text), "%s", rep.placeholders + off);
        off += strlen(rep.placeholders + off) + 1;
        send_msg(c->report_fd, &m);
    }

    for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++) {
        struct sigaction sa = {.sa_handler = forward};
        sigemptyset(&sa.sa_mask);
        sigaction(fwd[i], &sa, NULL);
    }
    cmd = fork();
    if (cmd < 0) {
        nc_err_set(&err, errno, "fork: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (cmd == 0)
        command_main(c);
    forward_to = cmd;
    close(c->report_fd);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* The init holds no privilege it needs any more. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    (void)drop_caps(&err);

    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: nothing left */
        }
        if (w == cmd) {
            status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
            break;
        }
    }
    /* Our exit as PID 1 makes the kernel kill every process left in the pod. */
    _exit(status);
}

static int write_proc(pid_t pid, const char *file, const char *text, struct nc_err *err)
{
    char path[64];
    _cleanup_close_ int fd = -1;
    size_t n = strlen(text);
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    return 0;
}

static int write_id_maps(pid_t pid, struct nc_err *err)
{
    char map[64];
    /* The pod's user is the caller's own uid and gid, mapped to themselves (as bubblewrap
     * does): files keep their owners, and nothing else of the host's id space exists. */
    if (write_proc(pid, "setgroups", "deny", err) < 0)
        return -1;
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
    if (write_proc(pid, "uid_map", map, err) < 0)
        return -1;
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
    return write_proc(pid, "gid_map", map, err);
}

/* Placeholders the pod created in the workspace, removed by the parent afterwards. */
struct placeholders {
    size_t n;
    char rel[NC_FS_MAX_PLACEHOLDERS][NC_ERR_MSG_MAX];
};

static void note_msg(const struct pod_msg *m, struct nc_pod_result *res, struct placeholders *ph,
                     bool *setup_error, struct nc_err *err)
{
    if (m->kind == 'E' && !*setup_error) {
        *setup_error = true;
        nc_err_set(err, m->code, "%s", m->text);
    } else if (m->kind == 'L') {
        res->landlock_abi = m->abi;
    } else if (m->kind == 'P' && ph->n < NC_FS_MAX_PLACEHOLDERS) {
        snprintf(ph->rel[ph->n++], NC_ERR_MSG_MAX, "%s", m->text);
    }
}

static void remove_placeholders(const char *workspace, const struct placeholders *ph)
{
    char path[PATH_MAX];
    for (size_t i = ph->n; i > 0; i--) { /* innermost first */
        const char *rel = ph->rel[i - 1];
        if (rel[0] == '\0' || rel[0] == '/' || strstr(rel, "..") != NULL)
            continue; /* never trust a path we did not expect */
        if (snprintf(path, sizeof(path), "%s/%s", workspace, rel) < (int)sizeof(path))
            (void)rmdir(path); /* only if still empty */
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int check_mechanisms(const struct nc_pod_config *cfg, struct nc_pod_result *res,
                            bool *use_userns, struct nc_err *err)
{
    int abi = nc_landlock_abi();
    nc_mechset need = 0;

    *use_userns = true;
    if (abi == 0)
        need |= NC_MECH_BIT(NC_MECH_LANDLOCK);
    if (abi < 4)
        need |= NC_MECH_BIT(NC_MECH_LANDLOCK_NET);
    if (abi < 6)
        need |= NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE);
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
        need |= NC_MECH_BIT(NC_MECH_SECCOMP);
    for (unsigned m = 0; m < NC_MECH_COUNT; m++) {
        if (!(need & NC_MECH_BIT(m)))
            continue;
        if (!(cfg->allow_degraded & NC_MECH_BIT(m)))
            return nc_err_set(err, ENOTSUP,
                              "this kernel lacks %s (Landlock ABI %d); refusing to start a "
                              "weaker pod. Run 'nucleus doctor' for the fix, or accept the risk "
                              "with --allow-degraded=%s",
                              mech_names[m], abi, mech_names[m]);
        res->degraded |= NC_MECH_BIT(m);
    }
    return 0;
}

int nc_pod_run(const struct nc_pod_config *cfg, struct nc_pod_result *res, struct nc_err *err)
{
    _cleanup_close_ int sfd = -1, pidfd = -1, rep_parent = -1;
    _cleanup_free_ struct placeholders *ph = NULL;
    int rep[2] = {-1, -1}, sync[2] = {-1, -1};
    struct nc_cgroup cg;
    struct pod_ctx ctx = {0};
    sigset_t block, old;
    bool use_userns = true;
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    uint64_t timeout_s = cfg->timeout_s != 0 ? cfg->timeout_s : cfg->policy->limits.timeout_s;
    uint64_t deadline;
    char cgname[64];
    struct pod_msg msg;
    bool setup_error = false, exited = false;
    int rc = 0, status = 0;
    pid_t pid;

    memset(res, 0, sizeof(*res));
    if (cfg->argv == NULL || cfg->argv[0] == NULL)
        return nc_err_set(err, EINVAL, "no command given");
    if (cfg->workspace == NULL || cfg->workspace[0] != '/')
        return nc_err_set(err, EINVAL, "the workspace must be an absolute path");
    if (cfg->nenv > NC_POD_MAX_ENV)
        return nc_err_set(err, E2BIG, "more than %d environment variables", NC_POD_MAX_ENV);
    if (check_mechanisms(cfg, res, &use_userns, err) < 0)
        return -1;

    snprintf(cgname, sizeof(cgname), "nucleus-%d", (int)getpid());
    nc_cgroup_create(&cg, cgname, cfg->policy->limits.max_procs, cfg->policy->limits.memory_bytes);
    ctx.pids = cg.pids != NC_LIMIT_NONE ? cg.pids : NC_LIMIT_RLIMIT;
    ctx.memory = cg.memory != NC_LIMIT_NONE ? cg.memory : NC_LIMIT_RLIMIT;
    if (cg.pids == NC_LIMIT_NONE || cg.memory == NC_LIMIT_NONE)
        res->degraded |= NC_MECH_BIT(NC_MECH_CGROUP);
    res->pids_holder = ctx.pids;
    res->memory_holder = ctx.memory;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep) < 0 || pipe2(sync, O_CLOEXEC) < 0) {
        rc = nc_err_set(err, errno, "socketpair: %s", strerror(errno));
        goto out;
    }
    rep_parent = rep[0];

    /* Signals for the pod are forwarded from the parent's loop, not handled in between. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);

    ctx.cfg = cfg;
    ctx.sync_fd = sync[0];
    ctx.report_fd = rep[1];
    ctx.cgroup_ns = cg.dir[0][0] != '\0' || cg.dir[1][0] != '\0' || cg.dir[2][0] != '\0';
    ctx.max_procs = cfg->policy->limits.max_procs;
    ctx.memory_bytes = cfg->policy->limits.memory_bytes;

    if (use_userns)
        flags |= CLONE_NEWUSER;
    pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0 && use_userns && geteuid() == 0 && (cfg->allow_degraded & NC_MECH_BIT(NC_MECH_USERNS))) {
        res->degraded |= NC_MECH_BIT(NC_MECH_USERNS);
        use_userns = false;
        pid = (pid_t)syscall(SYS_clone, (flags & ~(unsigned long)CLONE_NEWUSER) | SIGCHLD, NULL, NULL, NULL, NULL);
    }
    if (pid == 0) {
        close(rep[0]);
        close(sync[1]);
        init_main(&ctx);
    }
    close(rep[1]);
    close(sync[0]);
    /* Allocated only in the parent: the pod's processes never return here. */
    ph = pid > 0 ? calloc(1, sizeof(*ph)) : NULL;
    if (pid > 0 && ph == NULL) {
        rc = nc_err_set(err, ENOMEM, "out of memory");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sync[1]);
        goto restore;
    }
    if (pid < 0) {
        rc = nc_err_set(err, errno,
                        "cannot create the pod's namespaces: %s%s", strerror(errno),
                        errno == EPERM || errno == ENOSPC || errno == EINVAL
                            ? " (unprivileged user namespaces may be disabled; run 'nucleus doctor')"
                            : "");
        close(sync[1]);
        goto restore;
    }
    if ((use_userns && write_id_maps(pid, err) < 0) || nc_cgroup_attach(&cg, pid, err) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sync[1]);
        rc = -1;
        goto restore;
    }
    if (write(sync[1], "g", 1) != 1) {
        rc = nc_err_set(err, errno, "cannot start the pod: %s", strerror(errno));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sync[1]);
        goto restore;
    }
    close(sync[1]);

    sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    deadline = timeout_s == NC_UNLIMITED || timeout_s > UINT64_MAX / 2000u ? UINT64_MAX : now_ms() + timeout_s * 1000u;
    while (!exited) {
        struct pollfd pf[3] = {{.fd = rep_parent, .events = POLLIN},
                               {.fd = sfd, .events = POLLIN},
                               {.fd = pidfd, .events = POLLIN}};
        uint64_t now = now_ms();
        int wait_ms = deadline == UINT64_MAX ? 1000 : now >= deadline ? 0 : (int)((deadline - now) > 1000 ? 1000 : deadline - now);
        if (deadline != UINT64_MAX && now >= deadline) {
            res->timed_out = true;
            kill(pid, SIGKILL); /* PID 1 gone: the kernel kills the whole pod */
            waitpid(pid, &status, 0);
            break;
        }
        int n = poll(pf, 3, wait_ms);
        if (n < 0 && errno != EINTR)
            break;
        if (rep_parent >= 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
            ssize_t got = recv(rep_parent, &msg, sizeof(msg), 0);
            if (got == (ssize_t)sizeof(msg)) {
                note_msg(&msg, res, ph, &setup_error, err);
            } else if (got <= 0) {
                close(rep_parent);
                rep_parent = -1;
            }
        }
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo != SIGCHLD)
                    kill(pid, (int)si.ssi_signo);
        }
        if ((pidfd >= 0 && (pf[2].revents & POLLIN)) || pidfd < 0) {
            pid_t w = waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG);
            if (w == pid)
                exited = true;
        }
    }
    /* Drain what the pod reported before it went away. */
    while (rep_parent >= 0 && recv(rep_parent, &msg, sizeof(msg), MSG_DONTWAIT) == (ssize_t)sizeof(msg))
        note_msg(&msg, res, ph, &setup_error, err);
    if (res->landlock_abi == 0 && !setup_error)
        res->degraded |= NC_MECH_BIT(NC_MECH_LANDLOCK);
    remove_placeholders(cfg->workspace, ph);
    if (res->timed_out)
        res->exit_code = TIMEOUT_STATUS;
    else
        res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    if (setup_error && res->exit_code == POD_SETUP_FAILED)
        rc = -1;
    else if (setup_error) /* the command could not be executed: its status says which */
        snprintf(res->message, sizeof(res->message), "%s", err->msg);

restore:
    sigprocmask(SIG_SETMASK, &old, NULL);
out:
    nc_cgroup_destroy(&cg);
    return rc;
}
