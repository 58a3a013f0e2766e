/* SPDX-License-Identifier: Apache-2.0 */
/* Pod creation and supervision (see pod.h).
 *
 * Processes:  nucleus (parent, host side) --clone(new namespaces)--> pod init (PID 1)
 *             --clone--> the command (PID 2, its own session).
 * The parent writes the id maps and moves the init into the pod's cgroups, then lets it go.
 * The init builds the filesystem, drops its privileges and starts the command, which sets up
 * Landlock and seccomp and then waits for the init's word before it execs.  The init then
 * execs nucleus-init (reaper.c), a few pages of freestanding code, which makes itself
 * non-dumpable, lets the command go, forwards signals and reaps; when the command exits it
 * exits with its status and the kernel kills whatever is left in the pid namespace.  The
 * init dies with the parent (PDEATHSIG, kept across the exec), and the parent kills the init
 * on timeout, so no pod process outlives either.
 *
 * Shared memory (docs/design/0010-pod-processes.md).  Copying the parent's address space for
 * the init, and the init's for the command, cost about 3 ms per pod on the machines we measure
 * on (page-table copies, then a copy-on-write fault for every page either side touches), and
 * left the init's RSS at 1.4 MiB.  So the init is created with CLONE_VM, on a stack of its own,
 * sharing the parent's memory until it execs nucleus-init, and the command is created the same
 * way from the init, until it execs the command.  That is safe only while no two of these
 * processes run code that touches shared state (the heap, errno and other thread-local data
 * they share because they share one TLS block, stdio, the sanitizers' state) at the same time.
 * The rule is: whenever a process lets another one run, it waits in a system call made without
 * libc (raw_syscall.h) from a function the sanitizers do not instrument (NC_EXCLUSIVE), and it
 * resumes only when the other one has exec'd, exited, or is itself waiting that way:
 *   - the parent runs until it has written the id maps, while the init waits for the start
 *     byte in init_entry; then it writes the byte and runs release_window: it attaches the
 *     cgroups with raw calls while the init builds the filesystem, sends a second byte that
 *     lets the init start the command (await_cgroups), and waits until every process on its
 *     memory has exec'd or exited (EOF on the release pipe, whose write end is close-on-exec
 *     in the init and the command), draining the pod's messages into a buffer meanwhile;
 *   - the init runs the set-up, then, in start_command_and_reaper, clones the command and
 *     at once execs nucleus-init (an exec touches none of the memory it leaves; if it fails,
 *     the init kills and reaps the command before it runs anything else); the command sets up
 *     Landlock and seccomp meanwhile and then waits, in await_go, for nucleus-init's go byte.
 * Where nucleus-init cannot be had (vm.memfd_noexec=2, another architecture), the init is
 * forked as before and stays the reaper itself; the command is still cloned with CLONE_VM from
 * it: the init waits for the command's ready byte (start_command), sends the go byte itself
 * and waits until the command has exec'd (release_command). */
#include "pod.h"

#include "cgroup.h"
#include "landlock.h"
#include "mounts.h"
#include "raw_syscall.h"
#include "reaper_fd.h"
#include "seccomp_filter.h"
#include "trace.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* AddressSanitizer: gcc defines __SANITIZE_ADDRESS__, clang (before 17) only answers
 * __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define NC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NC_ASAN 1
#endif
#endif

#if defined(NC_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define NC_EXCLUSIVE __attribute__((noinline, no_sanitize("address", "undefined")))
#else
#define NC_EXCLUSIVE __attribute__((noinline, no_sanitize("undefined")))
#endif

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

/* At most this many messages reach the parent while it waits in release_window: one per
 * placeholder, the Landlock report, and an error from each of the init and the command. */
#define POD_MAX_EARLY_MSGS (NC_FS_MAX_PLACEHOLDERS + 4)

/* The stacks of the init and the command while they share memory: the command's above the
 * init's (see stacks_enter), each with a guard page below it. */
#define POD_STACK_SIZE ((size_t)512 * 1024)
#define POD_GUARD ((size_t)4096)
#define POD_STACKS_SIZE (2 * (POD_GUARD + POD_STACK_SIZE))

struct pod_ctx {
    const struct nc_pod_config *cfg;
    int sync_fd;       /* read end: 'g' when the id maps are written, 'c' when the cgroups are */
    int sync_wr;       /* the parent's end (closed in the init) */
    int report_fd;     /* SOCK_SEQPACKET to the parent; close-on-exec */
    int report_parent; /* the parent's end (closed in the init) */
    int release_rd;    /* the parent's end of the release pipe (closed in the init) */
    int reaper_fd;     /* sealed memfd with nucleus-init, or -1: the init stays the reaper */
    bool shared;       /* the init shares the parent's memory (CLONE_VM) */
    char *init_stack_top, *cmd_stack_top;
    bool cgroup_ns;
    enum nc_limit_holder pids, memory;
    uint64_t max_procs, memory_bytes;
    int egress_fd;     /* SOCK_SEQPACKET: the init passes the egress listener here, or -1 */
    int egress_parent; /* the parent's end (closed in the init), or -1 */
    int ready[2]; /* command -> init: set up, about to wait for go (or EOF: gone) */
    int go[2];    /* init or nucleus-init -> command: PID 1 is ready, exec */
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

/* The egress gateway's listeners (pod.h, docs/network.md), made here where the network
 * namespace and the file system are the pod's, and passed out over chan in one message
 * (SCM_RIGHTS); the gateway serves them from outside the pod:
 * - a TCP socket on 127.0.0.1:port, the one port the command's Landlock rules let it
 *   connect to (for every client that speaks HTTP or SOCKS5 proxies over TCP);
 * - a unix socket at NC_EGRESS_POD_SOCKET, on a small tmpfs of its own that is made
 *   read-only once the socket exists, so nothing in the pod can replace it (a unix leg costs
 *   the kernel far less than a second loopback TCP connection: docs/benchmarks.md).
 * The pod's processes cannot bind either address themselves (Landlock denies TCP bind, and
 * the directory is read-only). */
static int egress_listeners(uint16_t port, int chan, struct nc_err *err)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    _cleanup_close_ int tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    _cleanup_close_ int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    _Static_assert(sizeof(NC_EGRESS_POD_SOCKET) <= sizeof(su.sun_path), "socket path too long");
    memcpy(su.sun_path, NC_EGRESS_POD_SOCKET, sizeof(NC_EGRESS_POD_SOCKET));
    if (tfd < 0 || ufd < 0)
        return nc_err_set(err, errno, "egress listener: %s", strerror(errno));
    if (bind(tfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(tfd, 128) < 0)
        return nc_err_set(err, errno, "egress listener on 127.0.0.1:%u: %s", (unsigned)port,
                          strerror(errno));
    /* Any pod process may connect (connect needs write permission on the socket); the
     * directory's tmpfs then becomes read-only: no unlink, no second socket in its place. */
    if (bind(ufd, (struct sockaddr *)&su, sizeof(su)) < 0 || listen(ufd, 128) < 0 ||
        chmod(NC_EGRESS_POD_SOCKET, 0666) < 0 ||
        mount(NULL, NC_EGRESS_POD_DIR, NULL,
              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return nc_err_set(err, errno, "egress listener at %s: %s", NC_EGRESS_POD_SOCKET,
                          strerror(errno));
    if (nc_fd_send(chan, 'N', (const int[]){tfd, ufd}, 2) < 0)
        return nc_err_set(err, errno, "egress listener: cannot pass it out: %s", strerror(errno));
    close(chan);
    return 0;
}

/* The parent's side, from its loop once chan is readable (the init sends the listeners when
 * the pod's file system is built): hands them to the caller.  EOF (the init failed, and
 * reported why) or anything else: the pod simply has no network. */
static void egress_receive(const struct nc_pod_config *cfg, int chan)
{
    int fds[2];
    if (nc_fd_recv(chan, 'N', fds, 2, MSG_DONTWAIT) == 0)
        cfg->egress_ready(cfg->egress_arg, fds[0], fds[1]);
}

/* Every descriptor from 3 up becomes close-on-exec: what the caller of nucleus left open
 * without O_CLOEXEC (a host file, a socket, a pipe of a tool) must never reach the command or
 * nucleus-init, where it would be a handle past every namespace.  Ours are close-on-exec
 * already; the one nucleus-init keeps is marked later, and the command clears the flag on
 * the descriptors its caller named (keep_fds) just before its exec.  close_range(2) (5.11+),
 * else each descriptor below the limit. */
static int cloexec_inherited(struct nc_err *err)
{
    struct rlimit rl;
    if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > (1u << 20))
        return nc_err_set(err, EMFILE, "cannot close the inherited descriptors: no "
                          "close_range(2), and too many to visit one by one");
    for (int fd = 3; fd < (int)rl.rlim_cur; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
            return nc_err_set(err, errno, "cannot close inherited descriptor %d: %s", fd,
                              strerror(errno));
    }
    return 0;
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

    /* Capabilities are numbered densely from 0: the first EINVAL is the first number this
     * kernel does not know, and every higher one is unknown too. */
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
            continue;
        if (errno == EINVAL && cap > 0)
            break;
        return nc_err_set(err, errno, "drop capability %d: %s", cap, strerror(errno));
    }
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

/* The shell's convention: the exit status, or 128 + the signal that killed. */
static int exit_status(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* ---- the stretches run while another process shares our memory (see the top) --------- */

static NC_EXCLUSIVE __attribute__((noreturn)) void raw_exit(int status)
{
    for (;;)
        nc_raw1(SYS_exit_group, status);
}

/* One byte from fd: 1, 0 at EOF, or -errno. */
static NC_EXCLUSIVE long raw_read_byte(int fd, char *b)
{
    long n;
    do
        n = nc_raw3(SYS_read, fd, b, 1);
    while (n == -EINTR);
    return n;
}

/* In the command, once it is set up: tells the init (when it waits: ready_wr >= 0), then
 * waits for PID 1's go.  Returns whether it came (EOF: PID 1 is gone, and the pod with it). */
static NC_EXCLUSIVE bool await_go(int ready_wr, int go_rd)
{
    char b = 'r';
    long n;
    if (ready_wr >= 0) {
        do
            n = nc_raw3(SYS_write, ready_wr, &b, 1);
        while (n == -EINTR);
        if (n != 1)
            return false;
    }
    return raw_read_byte(go_rd, &b) == 1 && b == 'g';
}

static void __attribute__((noreturn)) command_main(struct pod_ctx *c);

static int command_entry(void *arg)
{
    command_main(arg);
}

/* Writes v in decimal into out[0..15] (no libc here). */
static NC_EXCLUSIVE void raw_utoa(unsigned long v, char out[16])
{
    char tmp[16];
    size_t n = 0, i = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0 && n < sizeof(tmp) - 1);
    while (n > 0)
        out[i++] = tmp[--n];
    out[i] = '\0';
}

/* In the init, with nucleus-init: clones the command onto its own stack, sharing our memory,
 * and at once execs nucleus-init (argv[1] gets the command's pid), so that the exec overlaps
 * the command's own set-up; the command execs only after nucleus-init's go.  Returns only if
 * the clone or the exec failed: -errno, with the command killed and reaped, so that our
 * memory is ours again. */
static NC_EXCLUSIVE long start_command_and_reaper(struct pod_ctx *c, char *const argv[],
                                                  char pid_slot[16])
{
    static char *const envp[] = {NULL};
    long pid = clone(command_entry, c->cmd_stack_top, CLONE_VM | SIGCHLD, c);
    long rc;
    if (pid < 0)
        return -errno; /* nothing else runs yet: errno is ours */
    (void)nc_raw1(SYS_close, c->go[0]);
    raw_utoa((unsigned long)pid, pid_slot);
    rc = nc_raw6(SYS_execveat, c->reaper_fd, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH, 0);
    (void)nc_raw2(SYS_kill, pid, SIGKILL);
    while (nc_raw4(SYS_wait4, pid, 0, __WALL, 0) == -EINTR) {
    }
    return rc;
}

/* In the init, without nucleus-init: clones the command onto its own stack, sharing our
 * memory, and waits until it is ready to exec (or has died).  Returns its pid, or -errno;
 * *ready says whether it reported ready. */
static NC_EXCLUSIVE long start_command(struct pod_ctx *c, bool *ready)
{
    char b = 0;
    long pid = clone(command_entry, c->cmd_stack_top, CLONE_VM | SIGCHLD, c);
    if (pid < 0)
        return -errno; /* nothing else runs yet: errno is ours */
    (void)nc_raw1(SYS_close, c->ready[1]);
    (void)nc_raw1(SYS_close, c->go[0]);
    *ready = raw_read_byte(c->ready[0], &b) == 1 && b == 'r';
    return pid;
}

/* In the init without nucleus-init: lets the command go, then waits until it has exec'd or
 * exited (EOF on the ready pipe: its end closes on exec), so that our memory is ours again. */
static NC_EXCLUSIVE void release_command(struct pod_ctx *c)
{
    char b = 'g';
    long n;
    do
        n = nc_raw3(SYS_write, c->go[1], &b, 1);
    while (n == -EINTR);
    (void)nc_raw1(SYS_close, c->go[1]);
    while (raw_read_byte(c->ready[0], &b) > 0) {
    }
}

/* In the init, before it starts the command: the parent's second byte says the init is in
 * the pod's cgroups (the parent writes it from release_window, hence a raw read). */
static NC_EXCLUSIVE bool await_cgroups(int sync_fd)
{
    char b = 0;
    return raw_read_byte(sync_fd, &b) == 1 && b == 'c';
}

/* The init's first instructions.  With CLONE_VM the parent is still running on our memory
 * (writing the id maps), so nothing here may touch shared state until the start byte. */
static void __attribute__((noreturn)) init_main(struct pod_ctx *c);

static NC_EXCLUSIVE int init_entry(void *arg)
{
    struct pod_ctx *c = arg;
    char go = 0;

    /* Die with the parent.  Had it died before this point, the read below sees EOF. */
    (void)nc_raw2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    (void)nc_raw1(SYS_close, c->report_parent);
    (void)nc_raw1(SYS_close, c->sync_wr);
    if (c->egress_parent >= 0)
        (void)nc_raw1(SYS_close, c->egress_parent);
    if (c->release_rd >= 0)
        (void)nc_raw1(SYS_close, c->release_rd);
    if (raw_read_byte(c->sync_fd, &go) != 1 || go != 'g')
        raw_exit(POD_SETUP_FAILED); /* the parent gave up */
    init_main(c);
}

/* ---- sanitizer bookkeeping for the shared stacks ----------------------------------------
 * AddressSanitizer keeps one record of "the current thread's stack" per thread, and the
 * processes sharing our memory share that record.  Declaring the init's and the command's
 * stacks as the stack being switched to (the fiber interface) makes its stack unpoisoning on
 * noreturn calls cover them, and turns its fake stacks off until the owner switches back. */
struct stacks_asan {
    void *fake;
};

static void stacks_enter(struct stacks_asan *a, const char *bottom, size_t size)
{
#if defined(NC_ASAN)
    __sanitizer_start_switch_fiber(&a->fake, bottom, size);
#else
    (void)a, (void)bottom, (void)size;
#endif
}

static void stacks_leave(struct stacks_asan *a, char *stacks, size_t size)
{
#if defined(NC_ASAN)
    const void *bottom = NULL;
    size_t ssize = 0;
    void *tmp = NULL;
    /* Back to our own fake stack; the finish makes the shared stacks current, so switch once
     * more, to our own stack (whose bounds the first finish returned). */
    __sanitizer_finish_switch_fiber(a->fake, &bottom, &ssize);
    __sanitizer_start_switch_fiber(&tmp, bottom, ssize);
    __sanitizer_finish_switch_fiber(tmp, NULL, NULL);
    __asan_unpoison_memory_region(stacks, size); /* frames that never returned */
#else
    (void)a, (void)stacks, (void)size;
#endif
}

/* ---- the command ----------------------------------------------------------------------- */

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
                                    .deny_tcp = true, .scope = true,
                                    .tcp_connect_port = cfg->egress_port,
                                    .tcp_connect_any = cfg->net_attach != NULL};

    NC_TRACE("clone of the command until it runs; exec of nucleus-init (init, command)");
    /* Our copies of the init's ends; and nucleus-init is not ours to keep. */
    if (c->ready[0] >= 0)
        close(c->ready[0]);
    close(c->go[1]);
    if (c->reaper_fd >= 0)
        close(c->reaper_fd);

    /* A new session, so the command cannot inject keystrokes into the caller's terminal
     * (TIOCSTI, CVE-2017-5226).  When stdin is a terminal the user wants to use it (an
     * editor, a shell with job control), so the command keeps it as its controlling terminal
     * and the seccomp filter, which refuses TIOCSTI and TIOCLINUX, is the defence. */
    if (!isatty(STDIN_FILENO) && setsid() < 0) {
        nc_err_set(&err, errno, "setsid: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    /* Dispositions the caller left (SIG_IGN survives an exec) back to their defaults; the
     * mask is cleared last, just before the go (see below). */
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);

    NC_TRACE("setsid, signal dispositions (command)");
    for (size_t i = 0; i < cfg->nenv && i < NC_POD_MAX_ENV; i++)
        envp[i] = (char *)(uintptr_t)cfg->env[i];

    /* The init set no_new_privs and dropped every capability before starting us (we share
     * its credentials); no_new_privs is set again here because Landlock and seccomp below
     * depend on it and a missing step should fail loudly, not silently. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        nc_err_set(&err, errno, "no_new_privs: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (!(cfg->allow_degraded & NC_MECH_BIT(NC_MECH_LANDLOCK)) || nc_landlock_abi() > 0) {
        if (nc_landlock_apply(&spec, &m.abi, &m.net, &m.scope, &err) < 0)
            die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    NC_TRACE("no_new_privs, Landlock (command)");
    send_msg(c->report_fd, &m);
    if (nc_seccomp_install(&err) < 0) {
        if (!(cfg->allow_degraded & NC_MECH_BIT(NC_MECH_SECCOMP)))
            die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }

    NC_TRACE("seccomp (command)");
    /* Limits last, just before execve: nothing of ours allocates under them. */
    lower_rlimit(RLIMIT_CORE, 0); /* no core dumps of pod memory on the host */
    if (c->pids == NC_LIMIT_RLIMIT)
        lower_rlimit(RLIMIT_NPROC, c->max_procs);
    if (c->memory == NC_LIMIT_RLIMIT)
        lower_rlimit(RLIMIT_AS, c->memory_bytes);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);

    NC_TRACE("rlimits, signal mask (command)");
    /* Nothing of the command's may run before PID 1 is non-dumpable: wait for its word. */
    if (!await_go(c->ready[1], c->go[0]))
        _exit(POD_SETUP_FAILED);
    NC_TRACE("wait for nucleus-init's go (command)");
    for (size_t i = 0; i < cfg->nkeep_fds; i++)
        if (fcntl(cfg->keep_fds[i], F_SETFD, 0) < 0) {
            nc_err_set(&err, errno, "descriptor %d to pass to the command: %s",
                       cfg->keep_fds[i], strerror(errno));
            die_pod(c->report_fd, POD_SETUP_FAILED, &err);
        }
    exec_cmd(cfg, envp);
    int e = errno;
    nc_err_set(&err, e, "cannot run '%s': %s", cfg->argv[0], strerror(e));
    die_pod(c->report_fd, e == ENOENT ? CMD_NOT_FOUND : CMD_NOT_EXECUTABLE, &err);
}

/* ---- the init -------------------------------------------------------------------------- */

static volatile sig_atomic_t forward_to;

static void forward(int sig)
{
    if (forward_to > 0)
        kill((pid_t)forward_to, sig);
}

/* The signals the init forwards to the command (nucleus-init has the same list). */
static const int fwd_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

static void __attribute__((noreturn)) init_main(struct pod_ctx *c)
{
    struct nc_err err = {0};
    static struct nc_fs_report rep; /* large; the init is single-threaded */
    struct nc_fs_plan plan = {.workspace = c->cfg->workspace,
                              .writable = c->cfg->workspace_writable,
                              .policy = c->cfg->policy,
                              .egress_dir = c->egress_fd >= 0};
    struct stacks_asan asan = {0};
    sigset_t block, none;
    bool ready = false;
    long cmd;
    int status = 0;

    if (cloexec_inherited(&err) < 0)
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    if (sethostname("nucleus", 7) < 0) {
        nc_err_set(&err, errno, "sethostname: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    NC_TRACE("start byte, hostname (init)");
    if (loopback_up(&err) < 0 || nc_fs_setup(&plan, &rep, &err) < 0 ||
        (c->egress_fd >= 0 && egress_listeners(c->cfg->egress_port, c->egress_fd, &err) < 0))
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    NC_TRACE("filesystem: second pivot, host root detached, root read-only (init)");
    /* The parent removes the placeholders after the pod (the host side outlives us). */
    for (size_t i = 0, off = 0; i < rep.nplaceholders; i++) {
        struct pod_msg m = {.kind = 'P'};
        snprintf(m.text, sizeof(m.text), "%s", rep.placeholders + off);
        off += strlen(rep.placeholders + off) + 1;
        send_msg(c->report_fd, &m);
    }

    /* The command starts only inside the pod's cgroups: the parent's second byte.  The
     * cgroup namespace is made after it, so that its root is the pod's cgroup. */
    if (!await_cgroups(c->sync_fd))
        raw_exit(POD_SETUP_FAILED); /* the parent could not attach them, and kills us */
    close(c->sync_fd);
    NC_TRACE("wait for the cgroups (init)");
    if (c->cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) {
        nc_err_set(&err, errno, "cgroup namespace: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }

    /* From here on the init holds no privilege, and the command inherits that: no new
     * privileges, no capabilities in any set, and securebits that keep an exec as uid 0
     * (nucleus-init's, the command's) from regaining them. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        nc_err_set(&err, errno, "no_new_privs: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (drop_caps(&err) < 0)
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);

    NC_TRACE("cgroup namespace, no_new_privs, capabilities dropped (init)");
    /* Signals for the command wait (blocked, so queued even for PID 1) until a reaper is in
     * place; nucleus-init inherits the mask across the exec and reads them. */
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(fwd_signals) / sizeof(fwd_signals[0]); i++)
        sigaddset(&block, fwd_signals[i]);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);

    if (pipe2(c->go, O_CLOEXEC) < 0 ||
        (c->reaper_fd >= 0 && fcntl(c->go[1], F_SETFD, 0) < 0) || /* nucleus-init keeps it */
        (c->reaper_fd < 0 && pipe2(c->ready, O_CLOEXEC) < 0)) {
        nc_err_set(&err, errno, "pipe: %s", strerror(errno));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }

    if (c->reaper_fd >= 0) {
        /* nucleus-init becomes PID 1 while the command sets itself up. */
        char pid_s[16] = "", fd_s[16];
        char *argv[] = {(char *)"nucleus-init", pid_s, fd_s, NULL};
        snprintf(fd_s, sizeof(fd_s), "%d", c->go[1]);
        NC_TRACE("signal mask, pipes (init)");
        cmd = start_command_and_reaper(c, argv, pid_s);
        /* Our exit as PID 1 takes the command with it (it is dead already). */
        nc_err_set(&err, (int)-cmd, "cannot start the command or run the pod's init "
                   "(nucleus-init): %s", strerror((int)-cmd));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }

    /* No nucleus-init: this process stays PID 1. */
    stacks_enter(&asan, c->cmd_stack_top - POD_STACK_SIZE, POD_STACK_SIZE);
    cmd = start_command(c, &ready);
    if (cmd < 0) {
        nc_err_set(&err, (int)-cmd, "cannot start the command: %s", strerror((int)-cmd));
        die_pod(c->report_fd, POD_SETUP_FAILED, &err);
    }
    if (!ready) {
        /* The command failed its set-up, has said why and exited: pass its status on. */
        int st = 0;
        stacks_leave(&asan, c->cmd_stack_top - POD_STACK_SIZE, POD_STACK_SIZE);
        while (waitpid((pid_t)cmd, &st, 0) < 0 && errno == EINTR) {
        }
        _exit(exit_status(st));
    }

    /* Forward signals and reap. */
    forward_to = (sig_atomic_t)cmd;
    for (size_t i = 0; i < sizeof(fwd_signals) / sizeof(fwd_signals[0]); i++) {
        struct sigaction sa = {.sa_handler = forward};
        sigemptyset(&sa.sa_mask);
        sigaction(fwd_signals[i], &sa, NULL);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    release_command(c);
    stacks_leave(&asan, c->cmd_stack_top - POD_STACK_SIZE, POD_STACK_SIZE);
    close(c->report_fd);
    close(c->ready[0]);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            status = POD_SETUP_FAILED; /* ECHILD before the command was reaped: never expected */
            break;
        }
        if (w == (pid_t)cmd) {
            status = exit_status(st);
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

/* What the parent needs and sees while it waits in release_window. */
struct early {
    size_t n;                              /* messages received */
    struct pod_msg msg[POD_MAX_EARLY_MSGS]; /* allocated before the pod starts */
    bool killed;                           /* the deadline passed: the init was killed */
    /* The cgroups to move the init into, prepared beforehand: cgroup.procs paths ("" for
     * none) and the pid as text.  attach_err: -errno of the first failure, else 0. */
    char procs[3][NC_CG_PATH + 16];
    char pid_s[16];
    long attach_err;
    int attach_slot;
};

/* Writes the pid into each cgroup.procs: the cgroup part of nc_cgroup_attach, without libc. */
static NC_EXCLUSIVE long raw_cgroup_attach(struct early *e)
{
    size_t len = 0;
    while (e->pid_s[len] != '\0')
        len++;
    for (int i = 0; i < 3; i++) {
        long fd, n;
        if (e->procs[i][0] == '\0')
            continue;
        e->attach_slot = i;
        fd = nc_raw4(SYS_openat, AT_FDCWD, e->procs[i], O_WRONLY | O_CLOEXEC, 0);
        if (fd < 0)
            return fd;
        do
            n = nc_raw3(SYS_write, fd, e->pid_s, len);
        while (n == -EINTR);
        (void)nc_raw1(SYS_close, fd);
        if (n != (long)len)
            return n < 0 ? n : -EIO;
    }
    return 0;
}

static NC_EXCLUSIVE long raw_write_byte(int fd, char b)
{
    long n;
    do
        n = nc_raw3(SYS_write, fd, &b, 1);
    while (n == -EINTR);
    return n;
}

/* In the parent, with the init on our memory: sends the start byte, moves the init into the
 * pod's cgroups while it builds the pod, and sends the second byte that lets it start the
 * command (or kills it, if the cgroups cannot be had: the command never runs outside them).
 * Then waits until every process on our memory has exec'd or exited (EOF on the release
 * pipe), receiving the pod's messages meanwhile so that it never blocks on a full socket.
 * Past the deadline it kills the init (and with it the pod) and keeps waiting for the EOF,
 * which then comes at once. */
static NC_EXCLUSIVE void release_window(int sync_wr, int release_rd, int rep_rd, pid_t pid,
                                        uint64_t deadline_ms, struct early *e)
{
    char b = 0;
    long n;

    e->attach_err = 0;
    if (raw_write_byte(sync_wr, 'g') != 1 || (e->attach_err = raw_cgroup_attach(e)) < 0 ||
        raw_write_byte(sync_wr, 'c') != 1) {
        (void)nc_raw2(SYS_kill, pid, SIGKILL); /* gone already, or not to start */
    }
    (void)nc_raw1(SYS_close, sync_wr);
    for (;;) {
        struct pollfd pf[2] = {{.fd = release_rd, .events = POLLIN},
                               {.fd = e->n < POD_MAX_EARLY_MSGS ? rep_rd : -1, .events = POLLIN}};
        struct timespec ts = {0, 0};
        int timeout = 1000;
        (void)nc_raw2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
        if (!e->killed && deadline_ms != UINT64_MAX) {
            if (now >= deadline_ms) {
                (void)nc_raw2(SYS_kill, pid, SIGKILL); /* PID 1 gone: the kernel kills the pod */
                e->killed = true;
            } else if (deadline_ms - now < 1000) {
                timeout = (int)(deadline_ms - now);
            }
        }
        n = nc_raw3(SYS_poll, pf, 2, timeout);
        if (n < 0 && n != -EINTR)
            return; /* cannot happen with valid fds; the caller's loop still waits */
        if (n > 0 && (pf[1].revents & POLLIN)) {
            n = nc_raw6(SYS_recvfrom, rep_rd, (long)&e->msg[e->n], (long)sizeof(e->msg[0]),
                        MSG_DONTWAIT, 0, 0);
            if (n == (long)sizeof(e->msg[0]))
                e->n++;
        }
        if (n >= 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
            n = nc_raw3(SYS_read, release_rd, &b, 1);
            if (n == 0)
                return; /* every write end closed: nobody else is on our memory */
        }
    }
}

int nc_pod_run(const struct nc_pod_config *cfg, struct nc_pod_result *res, struct nc_err *err)
{
    _cleanup_close_ int sfd = -1, pidfd = -1, rep_parent = -1, reaper_fd = -1;
    _cleanup_close_ int egress_parent = -1;
    int egress_child = -1; /* closed right after the clone (no exit path in between) */
    _cleanup_free_ struct placeholders *ph = NULL;
    _cleanup_free_ struct early *early = NULL;
    int rep[2] = {-1, -1}, sync[2] = {-1, -1}, release[2] = {-1, -1};
    struct nc_cgroup cg;
    struct pod_ctx ctx = {0};
    struct stacks_asan asan = {0};
    struct nc_err rerr = {0};
    sigset_t block, old;
    bool use_userns = true;
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    uint64_t timeout_s = cfg->timeout_s != 0 ? cfg->timeout_s : cfg->policy->limits.timeout_s;
    uint64_t deadline;
    char cgname[64];
    char *stacks = MAP_FAILED;
    struct pod_msg msg;
    bool setup_error = false, exited = false;
    int rc = 0, status = 0;
    pid_t pid;

    NC_TRACE("process start, options, policy (parent)");
    memset(res, 0, sizeof(*res));
    if (cfg->argv == NULL || cfg->argv[0] == NULL)
        return nc_err_set(err, EINVAL, "no command given");
    if (cfg->workspace == NULL || cfg->workspace[0] != '/')
        return nc_err_set(err, EINVAL, "the workspace must be an absolute path");
    if (cfg->nenv > NC_POD_MAX_ENV)
        return nc_err_set(err, E2BIG, "more than %d environment variables", NC_POD_MAX_ENV);
    if (check_mechanisms(cfg, res, &use_userns, err) < 0)
        return -1;
    NC_TRACE("mechanism checks (parent)");
    deadline = timeout_s == NC_UNLIMITED || timeout_s > UINT64_MAX / 2000u ? UINT64_MAX : now_ms() + timeout_s * 1000u;

    stacks = mmap(NULL, POD_STACKS_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (stacks == MAP_FAILED)
        return nc_err_set(err, errno, "cannot map the pod's stacks: %s", strerror(errno));
    /* Guard pages below each stack: an overflow faults instead of writing into the other. */
    if (mprotect(stacks, POD_GUARD, PROT_NONE) < 0 ||
        mprotect(stacks + POD_GUARD + POD_STACK_SIZE, POD_GUARD, PROT_NONE) < 0) {
        rc = nc_err_set(err, errno, "cannot map the pod's stacks: %s", strerror(errno));
        munmap(stacks, POD_STACKS_SIZE);
        return rc;
    }
    ctx.init_stack_top = stacks + POD_GUARD + POD_STACK_SIZE;
    ctx.cmd_stack_top = stacks + POD_STACKS_SIZE;
#if NC_HAVE_RAW_SYSCALL
    /* Without nucleus-init the init stays PID 1 for the life of the pod, so it cannot share
     * our memory: it is forked. */
    reaper_fd = nc_reaper_open(&rerr);
#endif
    ctx.reaper_fd = reaper_fd;
    ctx.shared = reaper_fd >= 0;

    NC_TRACE("stacks, nucleus-init memfd (parent)");
    snprintf(cgname, sizeof(cgname), "nucleus-%d", (int)getpid());
    nc_cgroup_create(&cg, cgname, cfg->policy->limits.max_procs, cfg->policy->limits.memory_bytes);
    ctx.pids = cg.pids != NC_LIMIT_NONE ? cg.pids : NC_LIMIT_RLIMIT;
    ctx.memory = cg.memory != NC_LIMIT_NONE ? cg.memory : NC_LIMIT_RLIMIT;
    if (cg.pids == NC_LIMIT_NONE || cg.memory == NC_LIMIT_NONE)
        res->degraded |= NC_MECH_BIT(NC_MECH_CGROUP);
    res->pids_holder = ctx.pids;
    res->memory_holder = ctx.memory;

    NC_TRACE("cgroup directories and limits (parent)");
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep) < 0 || pipe2(sync, O_CLOEXEC) < 0 ||
        (ctx.shared && pipe2(release, O_CLOEXEC) < 0)) {
        rc = nc_err_set(err, errno, "socketpair: %s", strerror(errno));
        goto out;
    }
    rep_parent = rep[0];
    if (cfg->egress_port != 0 && cfg->egress_ready != NULL) {
        int eg[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, eg) < 0) {
            rc = nc_err_set(err, errno, "socketpair: %s", strerror(errno));
            goto out;
        }
        egress_parent = eg[0];
        egress_child = eg[1];
    }

    /* Signals for the pod are forwarded from the parent's loop, not handled in between. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);

    ctx.cfg = cfg;
    ctx.ready[0] = ctx.ready[1] = ctx.go[0] = ctx.go[1] = -1; /* made by the init */
    ctx.sync_fd = sync[0];
    ctx.sync_wr = sync[1];
    ctx.report_fd = rep[1];
    ctx.report_parent = rep[0];
    ctx.release_rd = release[0];
    ctx.egress_fd = egress_child;
    ctx.egress_parent = egress_parent;
    ctx.cgroup_ns = cg.dir[0][0] != '\0' || cg.dir[1][0] != '\0' || cg.dir[2][0] != '\0';
    ctx.max_procs = cfg->policy->limits.max_procs;
    ctx.memory_bytes = cfg->policy->limits.memory_bytes;

    if (use_userns)
        flags |= CLONE_NEWUSER;
    if (ctx.shared)
        stacks_enter(&asan, stacks, POD_STACKS_SIZE);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (ctx.shared)
            pid = clone(init_entry, ctx.init_stack_top, (int)(flags | CLONE_VM | SIGCHLD), &ctx);
        else
            pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) /* forked: our own copy of the parent's memory and stack */
            init_entry(&ctx);
        if (pid > 0 || !use_userns || geteuid() != 0 || !(cfg->allow_degraded & NC_MECH_BIT(NC_MECH_USERNS)))
            break;
        res->degraded |= NC_MECH_BIT(NC_MECH_USERNS);
        use_userns = false;
        flags &= ~(unsigned long)CLONE_NEWUSER;
    }
    NC_TRACE("clone with new namespaces (parent)");
    close(rep[1]);
    if (egress_child >= 0)
        close(egress_child); /* the init's copy is the one that sends (or closes, failing) */
    close(sync[0]);
    if (release[1] >= 0)
        close(release[1]);
    /* Allocated only in the parent, after the clone (the pod's processes never return here),
     * and before the start byte (after it, nothing here may allocate until the pod has left
     * our memory).  malloc, not calloc: only the counts need to be zero, and pages never
     * written are never faulted in (a page fault costs 10 to 20 us on the VMs we measure on). */
    ph = pid > 0 ? malloc(sizeof(*ph)) : NULL;
    early = pid > 0 ? malloc(sizeof(*early)) : NULL;
    if (pid > 0 && (ph == NULL || early == NULL)) {
        rc = nc_err_set(err, ENOMEM, "out of memory");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sync[1]);
        goto restore;
    }
    if (pid > 0) {
        ph->n = 0;
        early->n = 0;
        early->killed = false;
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
    if (use_userns && write_id_maps(pid, err) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sync[1]);
        rc = -1;
        goto restore;
    }
    NC_TRACE("id maps (parent)");
    /* Routed egress: the pod's network is made before it runs anything (the init waits for
     * the start byte), so its command never sees a half-configured network. */
    if (cfg->net_attach != NULL && cfg->net_attach(cfg->net_arg, pid, err) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sync[1]);
        rc = -1;
        goto restore;
    }
    /* The start byte lets the init build the pod; the cgroups are attached meanwhile, and a
     * second byte lets it start the command (see pod_ctx). */
    if (ctx.shared) {
        for (int i = 0; i < 3; i++)
            if (cg.dir[i][0] == '\0' ||
                snprintf(early->procs[i], sizeof(early->procs[i]), "%s/cgroup.procs", cg.dir[i]) >=
                    (int)sizeof(early->procs[i]))
                early->procs[i][0] = '\0';
        snprintf(early->pid_s, sizeof(early->pid_s), "%d", (int)pid);
        /* From the start byte until the pod's processes have left our memory, nothing here
         * may run but release_window (see the top of this file). */
        release_window(sync[1], release[0], rep[0], pid, deadline, early);
        stacks_leave(&asan, stacks, POD_STACKS_SIZE);
        close(release[0]);
        release[0] = -1;
        NC_TRACE("the pod leaves the parent's memory: parent wakes (parent)");
        for (size_t i = 0; i < early->n; i++)
            note_msg(&early->msg[i], res, ph, &setup_error, err);
        if (early->attach_err < 0) {
            waitpid(pid, NULL, 0);
            while (recv(rep_parent, &msg, sizeof(msg), MSG_DONTWAIT) == (ssize_t)sizeof(msg))
                note_msg(&msg, res, ph, &setup_error, err);
            remove_placeholders(cfg->workspace, ph); /* the init may have made some */
            rc = nc_err_set(err, (int)-early->attach_err, "cannot move the pod into %s: %s",
                            cg.dir[early->attach_slot], strerror((int)-early->attach_err));
            goto restore;
        }
    } else {
        if (write(sync[1], "g", 1) != 1 || nc_cgroup_attach(&cg, pid, err) < 0 ||
            write(sync[1], "c", 1) != 1) {
            if (err->msg[0] == '\0')
                nc_err_set(err, errno, "cannot start the pod: %s", strerror(errno));
            rc = -1;
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            close(sync[1]);
            goto restore;
        }
        close(sync[1]);
    }

    if (cfg->net_started != NULL)
        cfg->net_started(cfg->net_arg);
    sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Housekeeping while the command runs, rather than before it starts. */
    nc_cgroup_reap_stale(&cg);
    while (!exited) {
        struct pollfd pf[4] = {{.fd = rep_parent, .events = POLLIN},
                               {.fd = sfd, .events = POLLIN},
                               {.fd = pidfd, .events = POLLIN},
                               {.fd = egress_parent, .events = POLLIN}};
        uint64_t now = now_ms();
        int wait_ms = deadline == UINT64_MAX ? 1000 : now >= deadline ? 0 : (int)((deadline - now) > 1000 ? 1000 : deadline - now);
        if (deadline != UINT64_MAX && now >= deadline) {
            res->timed_out = true;
            kill(pid, SIGKILL); /* PID 1 gone: the kernel kills the whole pod */
            waitpid(pid, &status, 0);
            break;
        }
        int n = poll(pf, 4, wait_ms);
        if (n < 0 && errno != EINTR)
            break;
        if (egress_parent >= 0 && (pf[3].revents & (POLLIN | POLLHUP | POLLERR))) {
            egress_receive(cfg, egress_parent); /* once: the listeners, or EOF */
            close(egress_parent);
            egress_parent = -1;
        }
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
    NC_TRACE("command: exec, run, exit; nucleus-init exit; pod teardown");
    /* Drain what the pod reported before it went away. */
    while (rep_parent >= 0 && recv(rep_parent, &msg, sizeof(msg), MSG_DONTWAIT) == (ssize_t)sizeof(msg))
        note_msg(&msg, res, ph, &setup_error, err);
    if (res->landlock_abi == 0 && !setup_error)
        res->degraded |= NC_MECH_BIT(NC_MECH_LANDLOCK);
    remove_placeholders(cfg->workspace, ph);
    if (res->timed_out)
        res->exit_code = TIMEOUT_STATUS;
    else
        res->exit_code = exit_status(status);
    if (setup_error && res->exit_code == POD_SETUP_FAILED)
        rc = -1;
    else if (setup_error) /* the command could not be executed: its status says which */
        snprintf(res->message, sizeof(res->message), "%s", err->msg);

    NC_TRACE("messages, placeholders (parent)");
restore:
    if (ctx.shared && release[0] >= 0) {
        /* The pod never started (or was killed before): nothing runs on our memory now. */
        stacks_leave(&asan, stacks, POD_STACKS_SIZE);
        close(release[0]);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    NC_TRACE("restore (parent)");
out:
    nc_cgroup_destroy(&cg);
    NC_TRACE("cgroups removed (parent)");
    if (stacks != MAP_FAILED)
        munmap(stacks, POD_STACKS_SIZE);
    return rc;
}
