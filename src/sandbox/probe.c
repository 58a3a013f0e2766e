/* SPDX-License-Identifier: Apache-2.0 */
/* Probes of the isolation mechanisms (see probe.h).
 *
 * Every probe that could restrict or change the process that runs it (unshare, a seccomp
 * filter, a Landlock ruleset, a uid switch, mounts) runs in a forked child that leaves with
 * _exit(): the doctor itself stays unrestricted, and so does a test process calling us.  The
 * child writes its findings into a small MAP_SHARED buffer; grandchildren (the process in the
 * new user namespace, the PID 1 of a new pid namespace) write into the same buffer and die
 * with their parent (PR_SET_PDEATHSIG), so a probe never leaves a process behind.
 *
 * The probes try what a pod does, the way pod.c does it: the user namespace is created with
 * clone() and its id maps are written by the parent ("uid uid 1", setgroups denied), because
 * a restriction may let the namespace be created and refuse the map or the capabilities
 * inside it (Ubuntu's AppArmor policy does the latter).  Mounts happen only in a private
 * mount namespace of the probe, so nothing on the host changes; the only host-visible trace is
 * the test cgroup of the cgroup probe, which is removed at once. */
#include "probe.h"

#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Debian 12's headers stop at Landlock ABI 2; the version query predates it but is defined
 * here too so that the probe builds against any header. */
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

#define NOBODY 65534
#define CAP_SETGID_BIT 6
#define CAP_SETUID_BIT 7
#define CAP_SYS_ADMIN_BIT 21
#define CHILD_TIMEOUT_MS 10000u
#define NFT_TIMEOUT_MS 3000

extern char **environ;

/* ---- bounded text ---------------------------------------------------------------------- */

/* snprintf into a fixed buffer; a truncated text ends in "..." so that it never reads as
 * complete. */
static void __attribute__((format(printf, 3, 0)))
vput(char *buf, size_t sz, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, sz, fmt, ap);
    if (n < 0)
        buf[0] = '\0';
    else if ((size_t)n >= sz && sz > 4)
        memcpy(buf + sz - 4, "...", 4);
}

static void __attribute__((format(printf, 3, 4))) put(char *buf, size_t sz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vput(buf, sz, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 3, 4))) add(char *buf, size_t sz, const char *fmt, ...)
{
    size_t len = strnlen(buf, sz);
    va_list ap;
    if (len + 1 >= sz)
        return;
    va_start(ap, fmt);
    vput(buf + len, sz - len, fmt, ap);
    va_end(ap);
}

const char *nc_probe_status_name(enum nc_probe_status s)
{
    switch (s) {
    case NC_PROBE_OK: return "ok";
    case NC_PROBE_DEGRADED: return "degraded";
    case NC_PROBE_MISSING: return "missing";
    }
    return "invalid";
}

const char *nc_cgroup_layout_name(enum nc_cgroup_layout l)
{
    switch (l) {
    case NC_CGROUP_NONE: return "none";
    case NC_CGROUP_UNIFIED: return "unified";
    case NC_CGROUP_HYBRID: return "hybrid";
    case NC_CGROUP_LEGACY: return "legacy";
    }
    return "invalid";
}

static void result_init(struct nc_probe_result *r, const char *name, bool required)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->required = required;
    r->status = NC_PROBE_MISSING;
}

/* ---- host facts ------------------------------------------------------------------------ */

/* Reads a small text file beneath root into out (NUL-terminated, trailing newline removed). */
static int read_text(const char *root, const char *rel, char *out, size_t outsz)
{
    char path[512];
    _cleanup_close_ int fd = -1;
    size_t got = 0;

    out[0] = '\0';
    if (snprintf(path, sizeof(path), "%s%s", root, rel) >= (int)sizeof(path))
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    while (got + 1 < outsz) {
        ssize_t n = read(fd, out + got, outsz - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' '))
        out[--got] = '\0';
    return (int)got;
}

static long read_long(const char *root, const char *rel)
{
    char buf[64], *end;
    long v;
    if (read_text(root, rel, buf, sizeof(buf)) <= 0)
        return -1;
    errno = 0;
    v = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || v < 0)
        return -1;
    return v;
}

static bool file_exists(const char *root, const char *rel)
{
    char path[512];
    struct stat st;
    if (snprintf(path, sizeof(path), "%s%s", root, rel) >= (int)sizeof(path))
        return false;
    return stat(path, &st) == 0;
}

/* The value of "Key:\t..." in a /proc status file. */
static const char *status_field(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            p += kl + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            return p;
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

/* A hint that we run in a container: only used to explain a failure, never to decide. */
static void container_hint(const char *root, char *out, size_t outsz)
{
    static const char *const words[] = {"docker", "kubepods", "containerd", "libpod", "lxc"};
    char buf[4096];

    out[0] = '\0';
    if (file_exists(root, "/.dockerenv")) {
        put(out, outsz, "/.dockerenv exists (Docker)");
        return;
    }
    if (file_exists(root, "/run/.containerenv")) {
        put(out, outsz, "/run/.containerenv exists (Podman)");
        return;
    }
    if (read_text(root, "/proc/1/cgroup", buf, sizeof(buf)) > 0) {
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (strstr(buf, words[i]) != NULL) {
                put(out, outsz, "/proc/1/cgroup mentions %s", words[i]);
                return;
            }
        }
    }
    /* PID 1's environment (readable as root): systemd-nspawn, Podman and LXC set container=. */
    int n = read_text(root, "/proc/1/environ", buf, sizeof(buf));
    for (int i = 0; i < n;) {
        const char *e = buf + i;
        size_t l = strnlen(e, (size_t)(n - i));
        if (strncmp(e, "container=", 10) == 0 && l > 10) {
            put(out, outsz, "PID 1 has %.40s in its environment", e);
            return;
        }
        i += (int)l + 1;
    }
}

void nc_probe_host_read(const char *root, struct nc_probe_host *h)
{
    char status[4096];
    struct utsname u;
    const char *v;

    memset(h, 0, sizeof(*h));
    h->uid = getuid();
    h->gid = getgid();
    h->root = geteuid() == 0;
    h->seccomp_mode = -1;
    if (read_text(root, "/proc/self/status", status, sizeof(status)) > 0) {
        if ((v = status_field(status, "CapEff")) != NULL) {
            unsigned long long caps = strtoull(v, NULL, 16);
            h->cap_sys_admin = (caps >> CAP_SYS_ADMIN_BIT) & 1u;
            h->cap_setid = ((caps >> CAP_SETUID_BIT) & 1u) && ((caps >> CAP_SETGID_BIT) & 1u);
        }
        if ((v = status_field(status, "NoNewPrivs")) != NULL)
            h->no_new_privs = v[0] == '1';
        if ((v = status_field(status, "Seccomp")) != NULL)
            h->seccomp_mode = (int)strtol(v, NULL, 10);
    }
    /* The initial user namespace maps every id: a single line "0 0 4294967295". */
    char map[256];
    if (read_text(root, "/proc/self/uid_map", map, sizeof(map)) > 0) {
        char *p = map, *end;
        unsigned long f[3];
        bool parsed = true;
        for (int i = 0; i < 3 && parsed; i++) {
            errno = 0;
            f[i] = strtoul(p, &end, 10);
            parsed = errno == 0 && end != p;
            p = end;
        }
        h->nested_userns = !parsed || f[0] != 0 || f[1] != 0 || f[2] != 4294967295UL ||
                           strchr(p, '\n') != NULL;
    }
    h->apparmor_restrict_userns = read_long(root, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    h->unprivileged_userns_clone = read_long(root, "/proc/sys/kernel/unprivileged_userns_clone");
    h->max_user_namespaces = read_long(root, "/proc/sys/user/max_user_namespaces");
    container_hint(root, h->container, sizeof(h->container));
    (void)read_text(root, "/sys/kernel/security/lsm", h->lsm, sizeof(h->lsm));
    if (uname(&u) == 0)
        put(h->kernel, sizeof(h->kernel), "%s %s", u.release, u.machine);
    ssize_t n = readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1);
    if (n > 0 && (size_t)n < sizeof(h->exe) - 1)
        h->exe[n] = '\0';
    else
        put(h->exe, sizeof(h->exe), "/usr/local/bin/nucleus");
}

/* ---- running a probe in a child -------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for pid, killing it after timeout_ms.  Returns 0 with *status, -1 when it timed out,
 * -2 when it cannot be waited for (errno set). */
static int wait_bounded(pid_t pid, unsigned timeout_ms, int *status)
{
    uint64_t deadline = now_ms() + timeout_ms;
    long step_us = 200;
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return -2;
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        struct timespec ts = {0, step_us * 1000};
        nanosleep(&ts, NULL);
        if (step_us < 20000)
            step_us *= 2;
    }
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int nc_probe_in_child(void (*fn)(void *shared, const void *arg), const void *arg, void *out,
                      size_t outsz, unsigned timeout_ms, struct nc_err *err)
{
    size_t len = outsz > 0 ? outsz : 1;
    int status = 0, rc = 0;
    void *shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return nc_err_set(err, errno, "mmap: %s", strerror(errno));

    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        munmap(shared, len);
        return nc_err_set(err, e, "fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* A crash must end the probe, not run handlers the caller installed (a test framework
         * would carry on with its own work in this copy of the process). */
        static const int crash[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT};
        for (size_t i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
            signal(crash[i], SIG_DFL);
        /* The probe dies with the doctor, so a killed doctor leaves nothing behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        fn(shared, arg);
        _exit(0);
    }
    int w = wait_bounded(pid, timeout_ms, &status);
    if (w == -2)
        rc = nc_err_set(err, errno, "waitpid: %s", strerror(errno));
    else if (w < 0)
        rc = nc_err_set(err, ETIMEDOUT, "the probe did not finish within %u ms", timeout_ms);
    else if (WIFSIGNALED(status))
        rc = nc_err_set(err, EINTR, "the probe was killed by signal %d (%s)", WTERMSIG(status),
                        strsignal(WTERMSIG(status)));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = nc_err_set(err, ECHILD, "the probe exited with status %d", WEXITSTATUS(status));
    if (outsz > 0)
        memcpy(out, shared, outsz);
    munmap(shared, len);
    return rc;
}

/* ---- user namespaces and the namespace types ------------------------------------------- */

struct ns_outcome {
    bool tried;
    int err;        /* 0: worked */
    char what[40];  /* the step that failed */
};

struct userns_shared {
    int setup_err;   /* pipe failed: nothing was tried */
    int drop_err;    /* could not become nobody */
    int clone_err;
    int map_err;
    char map_file[16];
    bool inside;     /* the process in the new user namespace ran */
    uid_t uid_inside;
    int caps_err;
    bool without_userns; /* the namespace types were tried without a user namespace */
    struct ns_outcome ns[NC_PROBE_NS_COUNT];
};

struct userns_arg {
    bool as_nobody;
    bool all_ns;        /* try every namespace type, not only the capability check */
    bool root_fallback; /* as root, try the types without a user namespace if none can be made */
};

static void note(struct ns_outcome *n, int err, const char *what)
{
    n->err = err != 0 ? err : EPERM;
    put(n->what, sizeof(n->what), "%s", what);
}

static int loopback_up(void)
{
    struct ifreq ifr;
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    put(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr);
}

/* Tries each namespace type the way a pod uses it, in the calling (throw-away) process. */
static void ns_try(struct userns_shared *o, bool all)
{
    struct ns_outcome *n = &o->ns[NC_PROBE_NS_UTS];
    bool mount_private = false;

    n->tried = true;
    if (unshare(CLONE_NEWUTS) < 0)
        note(n, errno, "unshare(CLONE_NEWUTS)");
    else if (sethostname("nucleus-doctor", 14) < 0)
        note(n, errno, "sethostname");
    if (!all)
        return;

    n = &o->ns[NC_PROBE_NS_IPC];
    n->tried = true;
    if (unshare(CLONE_NEWIPC) < 0)
        note(n, errno, "unshare(CLONE_NEWIPC)");

    n = &o->ns[NC_PROBE_NS_NET];
    n->tried = true;
    if (unshare(CLONE_NEWNET) < 0)
        note(n, errno, "unshare(CLONE_NEWNET)");
    else if (loopback_up() < 0)
        note(n, errno, "bringing up lo");

    n = &o->ns[NC_PROBE_NS_CGROUP];
    n->tried = true;
    if (unshare(CLONE_NEWCGROUP) < 0)
        note(n, errno, "unshare(CLONE_NEWCGROUP)");

    /* Mounts below happen only once this process has a private copy of the mount table. */
    n = &o->ns[NC_PROBE_NS_MOUNT];
    n->tried = true;
    if (unshare(CLONE_NEWNS) < 0)
        note(n, errno, "unshare(CLONE_NEWNS)");
    else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        note(n, errno, "making / private");
    else if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        note(n, errno, "mount(tmpfs)");
    else
        mount_private = true;

    n = &o->ns[NC_PROBE_NS_PID];
    n->tried = true;
    if (unshare(CLONE_NEWPID) < 0) {
        note(n, errno, "unshare(CLONE_NEWPID)");
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        note(n, errno, "fork into the pid namespace");
        return;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getpid() != 1)
            note(n, ESRCH, "becoming PID 1");
        else if (!mount_private)
            note(n, o->ns[NC_PROBE_NS_MOUNT].err, "mount(proc) (no mount namespace)");
        else if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            note(n, errno, "mount(proc)");
        _exit(0);
    }
    reap(pid);
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
    char path[64];
    size_t n = strlen(text);
    _cleanup_close_ int fd = -1;
    put(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (write(fd, text, n) != (ssize_t)n)
        return -1;
    return 0;
}

/* Becomes uid/gid 65534 with no supplementary groups.  Dumpable again afterwards, or the
 * /proc files of our children would belong to root and their id maps could not be written. */
static int drop_to_nobody(void)
{
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0)
        return -1;
    return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void userns_child(void *shared, const void *argp)
{
    struct userns_shared *o = shared;
    const struct userns_arg *a = argp;
    int sync[2];
    char map[64];

    if (a->as_nobody && drop_to_nobody() < 0) {
        o->drop_err = errno != 0 ? errno : EPERM;
        return;
    }
    if (pipe2(sync, O_CLOEXEC) < 0) {
        o->setup_err = errno;
        return;
    }
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        o->clone_err = errno != 0 ? errno : EPERM;
        close(sync[0]);
        close(sync[1]);
        if (!a->root_fallback || !a->all_ns)
            return;
        /* What `--allow-degraded=userns` does as root: the other namespaces on their own. */
        pid_t c = fork();
        if (c == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            o->without_userns = true;
            ns_try(o, true);
            _exit(0);
        }
        if (c > 0)
            reap(c);
        return;
    }
    if (pid == 0) {
        char go = 0;
        ssize_t n;
        close(sync[1]);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        do
            n = read(sync[0], &go, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1 && go == 'g') {
            o->inside = true;
            o->uid_inside = getuid();
            ns_try(o, a->all_ns);
            o->caps_err = o->ns[NC_PROBE_NS_UTS].err;
        }
        _exit(0);
    }
    close(sync[0]);
    /* The parent writes the maps, as pod.c does: the caller's own ids mapped to themselves. */
    const char *file = "setgroups";
    int ok = write_proc(pid, file, "deny");
    if (ok == 0) {
        file = "uid_map";
        put(map, sizeof(map), "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
        ok = write_proc(pid, file, map);
    }
    if (ok == 0) {
        file = "gid_map";
        put(map, sizeof(map), "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
        ok = write_proc(pid, file, map);
    }
    if (ok < 0) {
        o->map_err = errno != 0 ? errno : EPERM;
        put(o->map_file, sizeof(o->map_file), "%s", file);
    } else if (write(sync[1], "g", 1) != 1) {
        o->setup_err = errno;
    }
    close(sync[1]); /* without 'g' the child sees EOF and leaves */
    reap(pid);
}

void nc_probe_explain_userns(const struct nc_probe_host *h, bool unprivileged,
                             enum nc_userns_stage stage, int errnum, struct nc_probe_result *r)
{
    char what[96];
    const char *msg = strerror(errnum);

    switch (stage) {
    case NC_USERNS_CLONE: put(what, sizeof(what), "clone(CLONE_NEWUSER)"); break;
    case NC_USERNS_MAP: put(what, sizeof(what), "writing the new namespace's id map"); break;
    case NC_USERNS_CAPS:
        put(what, sizeof(what), "using capabilities inside the new user namespace");
        break;
    }
    r->status = NC_PROBE_MISSING;
    if (h->max_user_namespaces == 0 || (stage == NC_USERNS_CLONE && errnum == ENOSPC)) {
        put(r->detail, sizeof(r->detail), "%s: %s; user.max_user_namespaces is %ld", what, msg,
            h->max_user_namespaces);
        put(r->fix, sizeof(r->fix),
            "sysctl -w user.max_user_namespaces=15000, and keep it across reboots: "
            "echo user.max_user_namespaces=15000 > /etc/sysctl.d/90-nucleus-userns.conf");
    } else if (unprivileged && h->unprivileged_userns_clone == 0) {
        put(r->detail, sizeof(r->detail),
            "%s: %s; kernel.unprivileged_userns_clone is 0 (Debian's switch for user namespaces "
            "without privileges)", what, msg);
        put(r->fix, sizeof(r->fix),
            "sysctl -w kernel.unprivileged_userns_clone=1, and keep it across reboots: "
            "echo kernel.unprivileged_userns_clone=1 > /etc/sysctl.d/90-nucleus-userns.conf");
    } else if (unprivileged && h->apparmor_restrict_userns == 1) {
        put(r->detail, sizeof(r->detail),
            "%s: %s; AppArmor restricts unprivileged user namespaces "
            "(kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10 and later)", what, msg);
        put(r->fix, sizeof(r->fix),
            "allow nucleus alone with an AppArmor profile: write /etc/apparmor.d/nucleus with "
            "'abi <abi/4.0>, include <tunables/global> profile nucleus %s flags=(unconfined) "
            "{ userns, }' and load it with apparmor_parser -r /etc/apparmor.d/nucleus; or lift "
            "the restriction for every program: sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0 (persist it in /etc/sysctl.d/)",
            h->exe);
    } else if (h->container[0] != '\0' && errnum != EINVAL) {
        put(r->detail, sizeof(r->detail), "%s: %s; inside a container (%s)%s%s", what, msg,
            h->container, h->seccomp_mode == 2 ? ", under a seccomp filter" : "",
            h->cap_sys_admin ? "" : ", without CAP_SYS_ADMIN");
        put(r->fix, sizeof(r->fix),
            "the container runtime's defaults refuse new namespaces (Docker's seccomp profile "
            "denies clone/unshare of namespaces without CAP_SYS_ADMIN): start the container "
            "with --security-opt seccomp=unconfined --security-opt apparmor=unconfined (or a "
            "seccomp profile that allows unshare and clone with CLONE_NEWUSER), or run "
            "nucleus on the host");
    } else if (h->seccomp_mode == 2 && (errnum == EPERM || errnum == ENOSYS)) {
        put(r->detail, sizeof(r->detail),
            "%s: %s; this process already runs under a seccomp filter%s, inherited from the "
            "program that started it (a sandbox or container runtime)", what, msg,
            h->nested_userns ? " inside a user namespace" : "");
        put(r->fix, sizeof(r->fix),
            "run nucleus outside that sandbox, or have its seccomp profile allow unshare and "
            "clone with CLONE_NEWUSER");
    } else if (stage == NC_USERNS_CLONE && errnum == EINVAL) {
        put(r->detail, sizeof(r->detail), "%s: %s; the kernel has no user namespaces", what, msg);
        put(r->fix, sizeof(r->fix), "a kernel built with CONFIG_USER_NS=y");
    } else {
        put(r->detail, sizeof(r->detail), "%s: %s", what, msg);
        put(r->fix, sizeof(r->fix),
            "look for an LSM denial in dmesg (AppArmor, SELinux) and check the sysctls "
            "user.max_user_namespaces, kernel.unprivileged_userns_clone and "
            "kernel.apparmor_restrict_unprivileged_userns");
    }
}

static const char *const ns_names[NC_PROBE_NS_COUNT] = {
    "mount-ns", "pid-ns", "net-ns", "ipc-ns", "uts-ns", "cgroup-ns",
};
static const char *const ns_ok[NC_PROBE_NS_COUNT] = {
    "private mount table; / made private and a tmpfs mounted",
    "the first process is PID 1 and a fresh /proc mounts",
    "own network stack; loopback brought up",
    "own System V IPC and POSIX message queues",
    "own hostname (sethostname works)",
    "own cgroup root",
};
static const char *const ns_config[NC_PROBE_NS_COUNT] = {
    "namespace support", "CONFIG_PID_NS=y", "CONFIG_NET_NS=y",
    "CONFIG_IPC_NS=y", "CONFIG_UTS_NS=y", "CONFIG_CGROUPS=y",
};

static void ns_fix(const struct nc_probe_host *h, enum nc_probe_ns i, const struct ns_outcome *n,
                   char *fix, size_t sz)
{
    if (i == NC_PROBE_NS_PID && strncmp(n->what, "mount(proc)", 11) == 0) {
        if (h->container[0] != '\0')
            put(fix, sz,
                "the container runtime hides parts of /proc, and the kernel then refuses a new "
                "/proc: start the container with --security-opt systempaths=unconfined (Docker) "
                "or --security-opt unmask=ALL (Podman)");
        else
            put(fix, sz,
                "the kernel refuses a new /proc while parts of the host's /proc are covered by "
                "other mounts (\"mount too revealing\" in dmesg): remove those mounts");
    } else if (h->container[0] != '\0') {
        put(fix, sz,
            "inside a container (%s): start it with --security-opt seccomp=unconfined "
            "--security-opt apparmor=unconfined, or run nucleus on the host", h->container);
    } else if (n->err == EINVAL || n->err == ENOSYS) {
        put(fix, sz, "a kernel built with %s", ns_config[i]);
    } else {
        put(fix, sz,
            "look for an LSM denial in dmesg (AppArmor, SELinux) or a seccomp filter inherited "
            "from the parent process (the Seccomp: line of /proc/self/status)");
    }
}

void nc_probe_userns(const struct nc_probe_host *h, bool as_nobody, struct nc_probe_result *userns,
                     struct nc_probe_result ns[NC_PROBE_NS_COUNT])
{
    struct userns_arg a = {.as_nobody = as_nobody, .all_ns = ns != NULL,
                           .root_fallback = h->root && !as_nobody};
    struct userns_shared o;
    struct nc_err err = {0};
    char who[48];
    bool unpriv = as_nobody || !h->cap_sys_admin;

    memset(&o, 0, sizeof(o));
    result_init(userns, as_nobody ? "userns-unprivileged" : "userns", !as_nobody);
    if (as_nobody)
        put(who, sizeof(who), "uid %d (nobody)", NOBODY);
    else if (h->root)
        put(who, sizeof(who), "root");
    else
        put(who, sizeof(who), "uid %u", (unsigned)h->uid);

    if (as_nobody && !(h->root && h->cap_setid)) {
        put(userns->detail, sizeof(userns->detail),
            "not tried: switching to uid %d needs root with CAP_SETUID and CAP_SETGID", NOBODY);
        put(userns->fix, sizeof(userns->fix), "run nucleus doctor as root to test this");
        userns->skipped = true;
    } else {
        int rc = nc_probe_in_child(userns_child, &a, &o, sizeof(o), CHILD_TIMEOUT_MS, &err);
        if (o.drop_err != 0) {
            put(userns->detail, sizeof(userns->detail), "could not switch to uid %d: %s", NOBODY,
                strerror(o.drop_err));
            put(userns->fix, sizeof(userns->fix),
                "run nucleus doctor as an ordinary user to test unprivileged user namespaces");
        } else if (o.clone_err != 0) {
            nc_probe_explain_userns(h, unpriv, NC_USERNS_CLONE, o.clone_err, userns);
        } else if (o.map_err != 0) {
            nc_probe_explain_userns(h, unpriv, NC_USERNS_MAP, o.map_err, userns);
            add(userns->detail, sizeof(userns->detail), " (%s)", o.map_file);
        } else if (rc < 0 || o.setup_err != 0 || !o.inside) {
            put(userns->detail, sizeof(userns->detail), "the probe failed: %s",
                rc < 0 ? err.msg : strerror(o.setup_err != 0 ? o.setup_err : ECHILD));
            put(userns->fix, sizeof(userns->fix),
                "run nucleus doctor again; if this persists, check the process limits "
                "(ulimit -u) and dmesg");
        } else if (o.caps_err != 0) {
            nc_probe_explain_userns(h, unpriv, NC_USERNS_CAPS, o.caps_err, userns);
        } else {
            userns->status = NC_PROBE_OK;
            put(userns->detail, sizeof(userns->detail),
                "as %s: a user namespace was created, uid %u mapped to itself, and capabilities "
                "work inside it", who, (unsigned)o.uid_inside);
        }
        if (userns->status != NC_PROBE_OK) {
            char d[NC_PROBE_DETAIL_MAX];
            put(d, sizeof(d), "as %s: %s", who, userns->detail);
            put(userns->detail, sizeof(userns->detail), "%s", d);
        }
    }
    if (as_nobody && userns->status != NC_PROBE_OK && !userns->skipped)
        add(userns->detail, sizeof(userns->detail), "; users other than root cannot run pods");
    if (!as_nobody && h->root && userns->status != NC_PROBE_OK) {
        /* pod.c lets root run without a user namespace when the user says so. */
        userns->allow = NC_MECH_BIT(NC_MECH_USERNS);
        add(userns->fix, sizeof(userns->fix),
            "%sor, as root, accept running pods without one: --allow-degraded=userns",
            userns->fix[0] != '\0' ? "; " : "");
    }
    if (ns == NULL)
        return;

    bool tested = (o.inside && userns->status == NC_PROBE_OK) || o.without_userns;
    for (int i = 0; i < NC_PROBE_NS_COUNT; i++) {
        struct nc_probe_result *r = &ns[i];
        const struct ns_outcome *n = &o.ns[i];
        result_init(r, ns_names[i], true);
        if (!tested || !n->tried) {
            r->skipped = true;
            put(r->detail, sizeof(r->detail), "not tried: no usable user namespace");
            put(r->fix, sizeof(r->fix), "fix userns first");
            continue;
        }
        if (n->err == 0) {
            r->status = NC_PROBE_OK;
            put(r->detail, sizeof(r->detail), "%s%s", ns_ok[i],
                o.without_userns ? " (as root, without a user namespace)" : "");
        } else {
            put(r->detail, sizeof(r->detail), "%s: %s%s", n->what, strerror(n->err),
                o.without_userns ? " (as root, without a user namespace)" : "");
            ns_fix(h, (enum nc_probe_ns)i, n, r->fix, sizeof(r->fix));
        }
    }
}

/* ---- Landlock -------------------------------------------------------------------------- */

int nc_probe_landlock_abi(int *errnum)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, (size_t)0,
                     (uint32_t)LANDLOCK_CREATE_RULESET_VERSION);
    if (v < 0) {
        *errnum = errno;
        return 0;
    }
    *errnum = 0;
    return v > INT32_MAX ? INT32_MAX : (int)v;
}

/* What each ABI added: index i is ABI i + 1. */
static const char *const landlock_features[] = {
    "fs", "refer", "truncate", "tcp", "ioctl_dev", "scoping", "audit",
};
#define LANDLOCK_KNOWN 7
#define LANDLOCK_REQUIRED 6

struct landlock_out {
    int err;
    char what[48];
};

/* Enforces a ruleset that handles directory listing and allows none, then checks that
 * listing / is refused: the whole path from syscall to enforcement works. */
static void landlock_child(void *shared, const void *arg)
{
    struct landlock_out *o = shared;
    struct {
        uint64_t handled_access_fs;
    } attr = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_DIR};
    (void)arg;

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        o->err = errno;
        put(o->what, sizeof(o->what), "PR_SET_NO_NEW_PRIVS");
        return;
    }
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), (uint32_t)0);
    if (fd < 0) {
        o->err = errno;
        put(o->what, sizeof(o->what), "landlock_create_ruleset");
        return;
    }
    if (syscall(SYS_landlock_restrict_self, fd, (uint32_t)0) < 0) {
        o->err = errno;
        put(o->what, sizeof(o->what), "landlock_restrict_self");
        close(fd);
        return;
    }
    close(fd);
    int d = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        close(d);
        o->err = EPERM;
        put(o->what, sizeof(o->what), "enforcement (a denied listing succeeded)");
    }
}

static void lsm_hint(const struct nc_probe_host *h, char *out, size_t sz)
{
    if (h->lsm[0] != '\0')
        put(out, sz, "lsm=landlock,%s", h->lsm);
    else
        put(out, sz, "lsm=landlock,<the list in /sys/kernel/security/lsm>");
}

void nc_probe_landlock_verdict(const struct nc_probe_host *h, int abi, int errnum,
                               int enforce_err, const char *enforce_what,
                               struct nc_probe_result *r)
{
    char feats[160] = "", lsm[320];

    result_init(r, "landlock", true);
    lsm_hint(h, lsm, sizeof(lsm));
    if (abi <= 0) {
        r->allow = NC_MECH_BIT(NC_MECH_LANDLOCK) | NC_MECH_BIT(NC_MECH_LANDLOCK_NET) |
                   NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE);
        if (errnum == EOPNOTSUPP) {
            put(r->detail, sizeof(r->detail),
                "Landlock is built into this kernel but not enabled at boot");
            put(r->fix, sizeof(r->fix),
                "add landlock to the kernel's lsm= boot parameter: %s (with GRUB: "
                "GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot); or accept "
                "the risk with --allow-degraded=landlock,landlock-net,landlock-scope", lsm);
        } else {
            put(r->detail, sizeof(r->detail), "landlock_create_ruleset: %s%s", strerror(errnum),
                errnum == ENOSYS ? "; this kernel has no Landlock" : "");
            if (h->container[0] != '\0' && (errnum == ENOSYS || errnum == EPERM))
                add(r->detail, sizeof(r->detail),
                    " (or a container runtime's seccomp profile hides it: %s)", h->container);
            put(r->fix, sizeof(r->fix),
                "Linux >= 6.12 built with CONFIG_SECURITY_LANDLOCK=y and landlock in the LSM "
                "list (CONFIG_LSM, or the boot parameter %s); or accept the risk with "
                "--allow-degraded=landlock,landlock-net,landlock-scope", lsm);
        }
        return;
    }

    for (int i = 0; i < abi && i < LANDLOCK_KNOWN; i++)
        add(feats, sizeof(feats), "%s%s", i > 0 ? ", " : "", landlock_features[i]);
    if (abi > LANDLOCK_KNOWN)
        add(feats, sizeof(feats), " and later features");

    if (enforce_err != 0) {
        r->allow = NC_MECH_BIT(NC_MECH_LANDLOCK) | NC_MECH_BIT(NC_MECH_LANDLOCK_NET) |
                   NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE);
        put(r->detail, sizeof(r->detail), "ABI %d, but a test ruleset failed at %s: %s", abi,
            enforce_what != NULL ? enforce_what : "?", strerror(enforce_err));
        put(r->fix, sizeof(r->fix),
            "look for a seccomp filter or LSM that blocks the landlock_* system calls "
            "(a container runtime's profile); or accept the risk with "
            "--allow-degraded=landlock,landlock-net,landlock-scope");
        return;
    }
    if (abi >= LANDLOCK_REQUIRED) {
        r->status = NC_PROBE_OK;
        put(r->detail, sizeof(r->detail),
            "ABI %d (%s); nucleus requires ABI >= %d; a test ruleset was enforced", abi, feats,
            LANDLOCK_REQUIRED);
        return;
    }
    char lacks[96] = "";
    for (int i = abi; i < LANDLOCK_REQUIRED; i++)
        add(lacks, sizeof(lacks), "%s%s", i > abi ? ", " : "", landlock_features[i]);
    /* pod.c refuses below ABI 4 without --allow-degraded=landlock-net and below ABI 6
     * without --allow-degraded=landlock-scope. */
    r->status = NC_PROBE_DEGRADED;
    r->allow = NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE);
    if (abi < 4)
        r->allow |= NC_MECH_BIT(NC_MECH_LANDLOCK_NET);
    put(r->detail, sizeof(r->detail),
        "ABI %d (%s) lacks %s; nucleus requires ABI >= %d", abi, feats, lacks, LANDLOCK_REQUIRED);
    put(r->fix, sizeof(r->fix),
        "Linux >= 6.12 (Landlock ABI 6) with landlock in the LSM list (%s); or accept the risk "
        "with --allow-degraded=%s", lsm, abi < 4 ? "landlock-net,landlock-scope" : "landlock-scope");
}

void nc_probe_landlock(const struct nc_probe_host *h, struct nc_probe_result *r, int *abi_out)
{
    int e = 0, abi = nc_probe_landlock_abi(&e);
    struct landlock_out o;
    struct nc_err err = {0};

    *abi_out = abi;
    memset(&o, 0, sizeof(o));
    if (abi > 0 &&
        nc_probe_in_child(landlock_child, NULL, &o, sizeof(o), CHILD_TIMEOUT_MS, &err) < 0 &&
        o.err == 0) {
        o.err = err.code != 0 ? err.code : ECHILD;
        put(o.what, sizeof(o.what), "the probe (%s)", err.msg);
    }
    nc_probe_landlock_verdict(h, abi, e, o.err, o.what, r);
}

/* ---- seccomp --------------------------------------------------------------------------- */

struct seccomp_out {
    int err;
    char what[40];
    int listener;
};

static long load_allow_all(unsigned long flags)
{
    struct sock_filter insns[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {.len = 1, .filter = insns};
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void seccomp_child(void *shared, const void *arg)
{
    struct seccomp_out *o = shared;
    const unsigned long *flags = arg;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        o->err = errno;
        put(o->what, sizeof(o->what), "PR_SET_NO_NEW_PRIVS");
        return;
    }
    long rc = load_allow_all(*flags);
    if (rc < 0) {
        o->err = errno;
        put(o->what, sizeof(o->what), "seccomp(SECCOMP_SET_MODE_FILTER)");
        return;
    }
    o->listener = (int)rc;
}

static void seccomp_try(unsigned long flags, struct seccomp_out *o)
{
    struct nc_err err = {0};
    memset(o, 0, sizeof(*o));
    if (nc_probe_in_child(seccomp_child, &flags, o, sizeof(*o), CHILD_TIMEOUT_MS, &err) < 0 &&
        o->err == 0) {
        o->err = err.code != 0 ? err.code : ECHILD;
        put(o->what, sizeof(o->what), "the probe");
    }
}

void nc_probe_seccomp(const struct nc_probe_host *h, struct nc_probe_result *r)
{
    struct seccomp_out o;

    result_init(r, "seccomp", true);
    r->allow = NC_MECH_BIT(NC_MECH_SECCOMP);
    int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    if (mode < 0 && errno == EINVAL) {
        put(r->detail, sizeof(r->detail), "prctl(PR_GET_SECCOMP): the kernel has no seccomp");
        put(r->fix, sizeof(r->fix),
            "a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y; or accept the "
            "risk with --allow-degraded=seccomp");
        return;
    }
    seccomp_try(0, &o);
    if (o.err != 0) {
        put(r->detail, sizeof(r->detail), "loading a filter failed at %s: %s", o.what,
            strerror(o.err));
        if (o.err == EINVAL)
            put(r->fix, sizeof(r->fix),
                "a kernel built with CONFIG_SECCOMP_FILTER=y; or accept the risk with "
                "--allow-degraded=seccomp");
        else
            put(r->fix, sizeof(r->fix),
                "look for an LSM or an inherited seccomp filter that refuses seccomp()%s; or "
                "accept the risk with --allow-degraded=seccomp",
                h->container[0] != '\0' ? " (the container runtime's profile)" : "");
        return;
    }
    r->status = NC_PROBE_OK;
    r->allow = 0;
    put(r->detail, sizeof(r->detail),
        "a filter loads (no_new_privs, then SECCOMP_SET_MODE_FILTER, in a test process)");
    if (mode == 2)
        add(r->detail, sizeof(r->detail),
            "; nucleus already runs under an inherited filter, the pod's stacks on top");
}

void nc_probe_seccomp_notify(struct nc_probe_result *r)
{
    struct seccomp_notif_sizes sz;
    struct seccomp_out o;

    result_init(r, "seccomp-notify", false);
    memset(&sz, 0, sizeof(sz));
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) {
        put(r->detail, sizeof(r->detail), "SECCOMP_GET_NOTIF_SIZES: %s (kernel older than 5.0)",
            strerror(errno));
        put(r->fix, sizeof(r->fix), "Linux >= 5.0 (optional; nucleus does not need it yet)");
        return;
    }
    seccomp_try(SECCOMP_FILTER_FLAG_NEW_LISTENER, &o);
    if (o.err != 0 || o.listener < 0) {
        put(r->detail, sizeof(r->detail), "a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER: %s",
            strerror(o.err != 0 ? o.err : EBADF));
        put(r->fix, sizeof(r->fix), "Linux >= 5.0 (optional; nucleus does not need it yet)");
        return;
    }
    r->status = NC_PROBE_OK;
    put(r->detail, sizeof(r->detail),
        "user notification works (a listener fd was obtained; notifications are %u bytes)",
        (unsigned)sz.seccomp_notif);
}

/* ---- system calls the runtime uses ----------------------------------------------------- */

void nc_probe_openat2(const struct nc_probe_host *h, struct nc_probe_result *r)
{
    struct open_how how;
    _cleanup_close_ int dfd = -1;
    long fd;

    result_init(r, "openat2", true);
    dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        put(r->detail, sizeof(r->detail), "open(/): %s", strerror(errno));
        put(r->fix, sizeof(r->fix), "run nucleus doctor where / can be opened");
        return;
    }
    memset(&how, 0, sizeof(how));
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    fd = syscall(SYS_openat2, dfd, ".", &how, sizeof(how));
    if (fd < 0) {
        int e = errno;
        put(r->detail, sizeof(r->detail), "openat2(RESOLVE_BENEATH): %s%s", strerror(e),
            e == ENOSYS ? "; the kernel is older than 5.6" : "");
        put(r->fix, sizeof(r->fix),
            "Linux >= 5.6: the tool proxy resolves every path with openat2(RESOLVE_BENEATH) "
            "and refuses file operations without it%s",
            h->container[0] != '\0'
                ? "; inside a container, a runtime whose seccomp profile predates openat2 also "
                  "hides it (update the runtime, or --security-opt seccomp=unconfined)"
                : "");
        return;
    }
    close((int)fd);
    /* The property the tool proxy relies on: ".." cannot climb out of the directory. */
    fd = syscall(SYS_openat2, dfd, "..", &how, sizeof(how));
    if (fd >= 0 || errno != EXDEV) {
        int e = errno;
        if (fd >= 0)
            close((int)fd);
        put(r->detail, sizeof(r->detail),
            "RESOLVE_BENEATH did not refuse '..' with EXDEV (%s)", fd >= 0 ? "it opened" : strerror(e));
        put(r->fix, sizeof(r->fix), "Linux >= 5.6 with a working openat2");
        return;
    }
    r->status = NC_PROBE_OK;
    put(r->detail, sizeof(r->detail),
        "RESOLVE_BENEATH keeps lookups beneath a directory ('..' above it fails with EXDEV)");
}

/* The fix for an optional system call: a newer kernel, or whatever refuses it. */
static void syscall_fix(int e, const char *kernel, char *fix, size_t sz)
{
    if (e == ENOSYS)
        put(fix, sz, "Linux >= %s (optional)", kernel);
    else
        put(fix, sz, "a seccomp filter or LSM refuses it (optional; run nucleus outside that "
                     "sandbox to use it)");
}

void nc_probe_pidfd_open(struct nc_probe_result *r)
{
    result_init(r, "pidfd_open", false);
    long fd = syscall(SYS_pidfd_open, getpid(), 0);
    if (fd < 0) {
        int e = errno;
        put(r->detail, sizeof(r->detail),
            "pidfd_open: %s; pods are supervised by polling waitpid instead", strerror(e));
        syscall_fix(e, "5.3", r->fix, sizeof(r->fix));
        return;
    }
    close((int)fd);
    r->status = NC_PROBE_OK;
    put(r->detail, sizeof(r->detail), "available (Linux >= 5.3): pods are supervised through a pidfd");
}

void nc_probe_mount_setattr(struct nc_probe_result *r)
{
    result_init(r, "mount_setattr", false);
    /* A size below the first struct version is refused with EINVAL before anything is looked
     * at, so this call only tells ENOSYS (or a filter's EPERM) from "the call exists". */
    long rc = syscall(SYS_mount_setattr, -1, "", 0, NULL, (size_t)0);
    int e = errno;
    if (rc < 0 && e == EINVAL) {
        r->status = NC_PROBE_OK;
        put(r->detail, sizeof(r->detail),
            "available (Linux >= 5.12): read-only binds are made read-only recursively in one call");
        return;
    }
    put(r->detail, sizeof(r->detail),
        "mount_setattr: %s; pods remount each read-only bind one by one instead",
        rc < 0 ? strerror(e) : "unexpected success");
    syscall_fix(rc < 0 ? e : EINVAL, "5.12", r->fix, sizeof(r->fix));
}

/* ---- cgroups (mirrors src/sandbox/cgroup.c) -------------------------------------------- */

/* Our own cgroup path in a hierarchy, from /proc/self/cgroup: the line whose controller list
 * contains `want`, or the v2 line "0::" for want "".  The root comes back as "". */
static int self_cgroup(const char *want, char *out, size_t outsz)
{
    char buf[4096];
    if (read_text("", "/proc/self/cgroup", buf, sizeof(buf)) <= 0)
        return -1;
    for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        bool match = false;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        if (want[0] == '\0') {
            match = c1[1] == '\0';
        } else {
            char list[512], key[64];
            put(list, sizeof(list), ",%s,", c1 + 1);
            put(key, sizeof(key), ",%s,", want);
            match = strstr(list, key) != NULL;
        }
        if (!match)
            continue;
        const char *path = c2 + 1;
        if (strcmp(path, "/") == 0)
            path = "";
        if ((size_t)snprintf(out, outsz, "%s", path) >= outsz)
            return -1;
        return 0;
    }
    return -1;
}

static bool has_word(const char *text, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = text; (p = strstr(p, word)) != NULL; p += wl) {
        bool start = p == text || p[-1] == ' ' || p[-1] == '\n';
        bool end = p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n';
        if (start && end)
            return true;
    }
    return false;
}

static int write_value(const char *dir, const char *file, const char *value)
{
    char path[600];
    size_t n = strlen(value);
    _cleanup_close_ int fd = -1;
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    return write(fd, value, n) == (ssize_t)n ? 0 : -1;
}

/* What cgroup.c's try_v2 does: a child cgroup with pids and memory, limits writable. */
static bool try_v2(const char *name, char *why, size_t whysz)
{
    char self[256], dir[512], child[600], ctrls[512];
    int e;

    if (self_cgroup("", self, sizeof(self)) < 0) {
        put(why, whysz, "no cgroup2 line in /proc/self/cgroup");
        return false;
    }
    put(dir, sizeof(dir), "/sys/fs/cgroup%s", self);
    if (snprintf(child, sizeof(child), "%s/%s", dir, name) >= (int)sizeof(child)) {
        put(why, whysz, "cgroup path too long");
        return false;
    }
    if (mkdir(child, 0755) < 0) {
        e = errno;
        put(why, whysz, "cannot create a cgroup in %s: %s%s", dir, strerror(e),
            e == EACCES || e == EPERM || e == EROFS ? " (the subtree is not delegated to us)" : "");
        return false;
    }
    bool ok = false;
    char cf[640];
    put(cf, sizeof(cf), "%s/cgroup.controllers", child);
    if (read_text("", cf, ctrls, sizeof(ctrls)) < 0 || !has_word(ctrls, "pids") ||
        !has_word(ctrls, "memory")) {
        put(why, whysz, "pids and memory are not both enabled in %s/cgroup.subtree_control "
            "(children get: %s)", dir, ctrls[0] != '\0' ? ctrls : "none");
    } else if (write_value(child, "pids.max", "max") < 0 ||
               write_value(child, "memory.max", "max") < 0) {
        put(why, whysz, "cannot write the limits in %s: %s", dir, strerror(errno));
    } else {
        ok = true;
        put(why, whysz, "delegated: %s", dir);
    }
    rmdir(child);
    return ok;
}

/* What cgroup.c's try_v1 does for one controller. */
static enum nc_limit_holder try_v1(const char *ctrl, const char *name, const char *file,
                                   const char *value, char *why, size_t whysz)
{
    char self[256], dir[512], child[600];
    if (self_cgroup(ctrl, self, sizeof(self)) < 0) {
        put(why, whysz, "no v1 %s hierarchy", ctrl);
        return NC_LIMIT_RLIMIT;
    }
    put(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", ctrl, self);
    if (snprintf(child, sizeof(child), "%s/%s", dir, name) >= (int)sizeof(child)) {
        put(why, whysz, "cgroup path too long");
        return NC_LIMIT_RLIMIT;
    }
    if (mkdir(child, 0755) < 0) {
        put(why, whysz, "cannot create a cgroup in %s: %s", dir, strerror(errno));
        return NC_LIMIT_RLIMIT;
    }
    enum nc_limit_holder h = NC_LIMIT_CGROUP1;
    if (write_value(child, file, value) < 0) {
        put(why, whysz, "cannot write %s in %s: %s", file, dir, strerror(errno));
        h = NC_LIMIT_RLIMIT;
    }
    rmdir(child);
    return h;
}

static enum nc_cgroup_layout cgroup_layout(char *unified_ctrls, size_t sz)
{
    struct statfs sf;
    unified_ctrls[0] = '\0';
    if (statfs("/sys/fs/cgroup", &sf) < 0)
        return NC_CGROUP_NONE;
    if ((unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC)
        return NC_CGROUP_UNIFIED;
    if (statfs("/sys/fs/cgroup/unified", &sf) == 0 &&
        (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC) {
        (void)read_text("", "/sys/fs/cgroup/unified/cgroup.controllers", unified_ctrls, sz);
        return NC_CGROUP_HYBRID;
    }
    if (statfs("/sys/fs/cgroup/pids", &sf) == 0 && (unsigned long)sf.f_type == CGROUP_SUPER_MAGIC)
        return NC_CGROUP_LEGACY;
    if (statfs("/sys/fs/cgroup/memory", &sf) == 0 && (unsigned long)sf.f_type == CGROUP_SUPER_MAGIC)
        return NC_CGROUP_LEGACY;
    return NC_CGROUP_NONE;
}

void nc_probe_cgroup(const struct nc_probe_host *h, struct nc_probe_cgroup *cg,
                     struct nc_probe_result *r)
{
    char name[64], unified[256], why_v2[640] = "", why_pids[640] = "", why_mem[640] = "";

    result_init(r, "cgroup", false);
    memset(cg, 0, sizeof(cg[0]));
    put(name, sizeof(name), "nucleus-doctor-%d", (int)getpid());
    cg->layout = cgroup_layout(unified, sizeof(unified));
    cg->pids = cg->memory = NC_LIMIT_RLIMIT;

    /* Same order as nc_cgroup_create: v2 when /sys/fs/cgroup is cgroup2, else v1 per
     * controller, else the pod falls back to rlimits. */
    if (cg->layout == NC_CGROUP_UNIFIED && try_v2(name, why_v2, sizeof(why_v2))) {
        cg->pids = cg->memory = NC_LIMIT_CGROUP2;
    } else {
        cg->pids = try_v1("pids", name, "pids.max", "max", why_pids, sizeof(why_pids));
        cg->memory = try_v1("memory", name, "memory.limit_in_bytes", "-1", why_mem, sizeof(why_mem));
    }

    switch (cg->layout) {
    case NC_CGROUP_UNIFIED: put(r->detail, sizeof(r->detail), "cgroup v2"); break;
    case NC_CGROUP_HYBRID:
        put(r->detail, sizeof(r->detail),
            "hybrid (v1 controllers; the cgroup2 tree at /sys/fs/cgroup/unified has %s and is "
            "not used)", unified[0] != '\0' ? unified : "no controllers");
        break;
    case NC_CGROUP_LEGACY: put(r->detail, sizeof(r->detail), "cgroup v1"); break;
    case NC_CGROUP_NONE: put(r->detail, sizeof(r->detail), "no cgroup file system"); break;
    }
    add(r->detail, sizeof(r->detail), "; pod limits: pids by %s, memory by %s",
        nc_limit_holder_name(cg->pids), nc_limit_holder_name(cg->memory));
    if (cg->pids != NC_LIMIT_RLIMIT && cg->memory != NC_LIMIT_RLIMIT) {
        r->status = NC_PROBE_OK;
        return;
    }

    /* Pods still start: the limits fall back to rlimits, which are weaker (RLIMIT_NPROC counts
     * every process of the user, RLIMIT_AS bounds each process rather than the pod). */
    r->status = NC_PROBE_DEGRADED;
    const char *reason = why_v2[0] != '\0' && cg->layout == NC_CGROUP_UNIFIED ? why_v2
                         : cg->pids == NC_LIMIT_RLIMIT ? why_pids : why_mem;
    add(r->detail, sizeof(r->detail), " (%s; rlimits are per process or per user, not per pod)",
        reason);
    if (cg->layout == NC_CGROUP_UNIFIED) {
        if (h->root)
            put(r->fix, sizeof(r->fix),
                "run nucleus in a cgroup with pids and memory delegated: systemd-run --scope "
                "-p Delegate=yes nucleus ..., or Delegate=yes in the unit of the service that "
                "starts it");
        else
            put(r->fix, sizeof(r->fix),
                "run nucleus in a delegated cgroup: systemd-run --user --scope -p Delegate=yes "
                "nucleus ... (the user manager must hold pids and memory itself; if not, an "
                "administrator adds Delegate=pids memory to a drop-in such as "
                "/etc/systemd/system/user@.service.d/delegate.conf); for a service, "
                "Delegate=yes in its unit");
    } else if (cg->layout == NC_CGROUP_NONE) {
        put(r->fix, sizeof(r->fix),
            "mount cgroup2 at /sys/fs/cgroup (systemd does this by default) and run nucleus with "
            "systemd-run --user --scope -p Delegate=yes nucleus ...");
    } else if (!h->root) {
        put(r->fix, sizeof(r->fix),
            "cgroup v1 hierarchies are writable only by root: run nucleus as root, or boot with "
            "systemd.unified_cgroup_hierarchy=1 (cgroup v2) and use systemd-run --user --scope "
            "-p Delegate=yes nucleus ...");
    } else {
        put(r->fix, sizeof(r->fix),
            "mount the pids and memory v1 controllers (mount -t cgroup -o pids cgroup "
            "/sys/fs/cgroup/pids, same for memory), or boot with "
            "systemd.unified_cgroup_hierarchy=1 and delegate them (systemd-run --scope "
            "-p Delegate=yes nucleus ...)");
    }
}

/* ---- nft (routed network mode) --------------------------------------------------------- */

static bool find_in_path(const char *prog, char *out, size_t outsz)
{
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == '\0')
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *p = path; *p != '\0';) {
        size_t l = strcspn(p, ":");
        /* Absolute directories only: never run an "nft" found relative to the current one. */
        if (l > 0 && p[0] == '/' &&
            (size_t)snprintf(out, outsz, "%.*s/%s", (int)l, p, prog) < outsz &&
            access(out, X_OK) == 0)
            return true;
        p += l;
        if (*p == ':')
            p++;
    }
    out[0] = '\0';
    return false;
}

void nc_probe_nft(struct nc_probe_result *r)
{
    char path[512], line[160] = "";
    int pfd[2], status = 0;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    char *argv[] = {(char *)"nft", (char *)"--version", NULL};
    char *envp[] = {(char *)"LC_ALL=C", NULL};

    result_init(r, "nft", false);
    if (!find_in_path("nft", path, sizeof(path))) {
        put(r->detail, sizeof(r->detail), "nft is not in PATH (only the routed network mode needs it)");
        put(r->fix, sizeof(r->fix), "apt-get install nftables (optional; the routed mode runs as root)");
        return;
    }
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        put(r->detail, sizeof(r->detail), "pipe: %s", strerror(errno));
        put(r->fix, sizeof(r->fix), "run nucleus doctor again (optional check)");
        return;
    }
    /* posix_spawn, never a shell: the path is used as found, with a fixed argv and a minimal
     * environment. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawn(&pid, path, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        put(r->detail, sizeof(r->detail), "%s cannot be started: %s", path, strerror(rc));
        put(r->fix, sizeof(r->fix), "reinstall nftables (optional)");
        return;
    }
    size_t got = 0;
    uint64_t deadline = now_ms() + NFT_TIMEOUT_MS;
    for (;;) {
        uint64_t now = now_ms();
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        if (now >= deadline || got + 1 >= sizeof(line))
            break;
        int n = poll(&p, 1, (int)(deadline - now));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        ssize_t k = read(pfd[0], line + got, sizeof(line) - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    line[got] = '\0';
    close(pfd[0]);
    if (wait_bounded(pid, 1000, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        put(r->detail, sizeof(r->detail), "%s --version did not succeed", path);
        put(r->fix, sizeof(r->fix), "reinstall nftables (optional)");
        return;
    }
    line[strcspn(line, "\n")] = '\0';
    r->status = NC_PROBE_OK;
    put(r->detail, sizeof(r->detail), "%s (%s); used only by the routed network mode, as root",
        line[0] != '\0' ? line : "nft", path);
}

/* ---- environment ----------------------------------------------------------------------- */

void nc_probe_environment(const struct nc_probe_host *h, struct nc_probe_result *r)
{
    result_init(r, "environment", false);
    r->status = NC_PROBE_OK;
    put(r->detail, sizeof(r->detail), "Linux %s; ", h->kernel[0] != '\0' ? h->kernel : "(unknown)");
    if (h->root)
        add(r->detail, sizeof(r->detail), "running as root");
    else
        add(r->detail, sizeof(r->detail),
            "running as uid %u, not root (pods use an unprivileged user namespace)",
            (unsigned)h->uid);
    if (h->nested_userns)
        add(r->detail, sizeof(r->detail), "; inside a user namespace");
    if (h->seccomp_mode == 2)
        add(r->detail, sizeof(r->detail), "; under an inherited seccomp filter");
    if (h->no_new_privs)
        add(r->detail, sizeof(r->detail), "; no_new_privs set");
    if (h->container[0] != '\0')
        add(r->detail, sizeof(r->detail), "; container hint: %s", h->container);
}

/* ---- all of them ----------------------------------------------------------------------- */

static struct nc_probe_result *next(struct nc_probe_report *rep)
{
    return rep->n < NC_PROBE_MAX ? &rep->check[rep->n++] : &rep->check[NC_PROBE_MAX - 1];
}

void nc_probe_run(struct nc_probe_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    nc_probe_host_read("", &rep->host);
    const struct nc_probe_host *h = &rep->host;

    nc_probe_environment(h, next(rep));
    struct nc_probe_result *userns = next(rep);
    struct nc_probe_result nobody;
    struct nc_probe_result ns[NC_PROBE_NS_COUNT];
    nc_probe_userns(h, false, userns, ns);
    if (h->root && h->cap_setid) {
        /* As root our own namespaces say nothing about other users: try as nobody too. */
        nc_probe_userns(h, true, &nobody, NULL);
        *next(rep) = nobody;
    }
    for (int i = 0; i < NC_PROBE_NS_COUNT; i++)
        *next(rep) = ns[i];
    nc_probe_landlock(h, next(rep), &rep->landlock_abi);
    nc_probe_seccomp(h, next(rep));
    nc_probe_seccomp_notify(next(rep));
    nc_probe_openat2(h, next(rep));
    nc_probe_pidfd_open(next(rep));
    nc_probe_mount_setattr(next(rep));
    nc_probe_cgroup(h, &rep->cgroup, next(rep));
    nc_probe_nft(next(rep));

    rep->ready = true;
    rep->flags_suffice = true;
    for (size_t i = 0; i < rep->n; i++) {
        const struct nc_probe_result *r = &rep->check[i];
        if (!r->required || r->status == NC_PROBE_OK)
            continue;
        rep->ready = false;
        if (r->skipped)
            continue;
        rep->missing++;
        rep->allow |= r->allow;
        if (r->allow == 0)
            rep->flags_suffice = false;
    }
    if (rep->ready)
        rep->flags_suffice = false;
}

const struct nc_probe_result *nc_probe_find(const struct nc_probe_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->check[i].name, name) == 0)
            return &rep->check[i];
    return NULL;
}
