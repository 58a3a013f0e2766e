/* SPDX-License-Identifier: Apache-2.0 */
/* The escape probe: run inside a pod, it attempts ONE forbidden thing and reports what the
 * kernel said (crun's tests/init.c idea).  Linked statically so that it runs in the pod without
 * the pod's libraries.
 *
 *   probe CASE [ARGS...]
 *
 * prints one line "CASE: RESULT DETAILS" and exits with
 *   0   the kernel refused as the case expects (RESULT "refused" or "holds"), or a positive
 *       control worked (RESULT "allowed")
 *   1   the forbidden thing SUCCEEDED: an escape (RESULT "SUCCEEDED")
 *   2   something else happened: a different errno than the one expected, or a positive control
 *       failed (RESULT "unexpected"); not an escape, but not a pass either
 *   77  the mechanism under test is not available here, with the reason (RESULT "SKIP")
 *
 * Every case names the errno(s) it expects, and each accepted errno says which layer answers
 * (the read-only mount: EROFS; Landlock: EACCES; seccomp or missing capabilities: EPERM; a
 * mount point: EBUSY/EXDEV; the namespaces: ENOENT, ESRCH, ECONNREFUSED, ENETUNREACH).
 *
 * Probes must be harmless even when the boundary is broken: they write only to targets named by
 * the driver (and remove what they created), open kernel knobs for writing but never write to
 * them, send signal 0 (never a real signal) to pids outside the pod, bound every loop, and undo
 * what a successful attempt changed.
 *
 * A few modes run on the HOST, started by the driver: host-listen (TCP, UDP, abstract and
 * pathname unix listeners that log every contact), host-sentinel (a process to look for), and
 * sleeper/uid-check (re-executed by other cases). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define KEY_SPEC_PROCESS_KEYRING (-2)
#define KEYCTL_GET_KEYRING_ID 0

#define MiB (1024UL * 1024UL)
#define BOMB_CHUNK (16 * MiB)
#define FORK_BOMB_MAX 5000

/* ------------------------------------------------------------------------------------------
 * Verdicts.  A case performs one or more steps; each step is an attempt with the errnos that
 * count as the expected refusal.  The worst step decides: an escape beats an unexpected errno,
 * which beats a refusal. */

enum outcome { REFUSED = 0, ESCAPED = 1, UNEXPECTED = 2, SKIPPED = 77 };

static const char *g_case = "probe";

struct verdict {
    int worst; /* REFUSED, ESCAPED or UNEXPECTED */
    const char *word; /* the word printed for REFUSED: "refused", "holds" or "allowed" */
    char text[3072];
    size_t len;
};

#define VERDICT(w) {.worst = REFUSED, .word = (w), .text = {0}, .len = 0}
#define ERRS(...) ((const int[]){__VA_ARGS__, 0})

static const char *ename(int e)
{
    const char *n = strerrorname_np(e);
    return n != NULL ? n : "E?";
}

static void note(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct verdict *v, const char *fmt, ...)
{
    va_list ap;
    if (v->len >= sizeof(v->text) - 1)
        return;
    if (v->len > 0)
        v->text[v->len++] = ';', v->text[v->len++] = ' ';
    va_start(ap, fmt);
    int n = vsnprintf(v->text + v->len, sizeof(v->text) - v->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len += (size_t)n < sizeof(v->text) - v->len ? (size_t)n : sizeof(v->text) - v->len - 1;
}

static void worsen(struct verdict *v, int o)
{
    if (o == ESCAPED || (o == UNEXPECTED && v->worst == REFUSED))
        v->worst = o;
}

static bool in_list(int e, const int *want)
{
    for (; *want != 0; want++)
        if (*want == e)
            return true;
    return false;
}

static void list_names(const int *want, char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (; *want != 0 && len < outsz; want++) {
        int n = snprintf(out + len, outsz - len, "%s%s", len > 0 ? "|" : "", ename(*want));
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

/* One step: rc < 0 with errno e in want is the expected refusal; rc >= 0 is an escape. */
static void step(struct verdict *v, const char *what, long rc, int e, const int *want)
{
    char names[128];
    if (rc >= 0) {
        note(v, "%s SUCCEEDED", what);
        worsen(v, ESCAPED);
    } else if (in_list(e, want)) {
        note(v, "errno=%s (%s)", ename(e), what);
    } else {
        list_names(want, names, sizeof(names));
        note(v, "errno=%s (%s; expected %s)", ename(e), what, names);
        worsen(v, UNEXPECTED);
    }
}

/* A step that must work: the in-case control that shows the refusal is not a general failure. */
static void control(struct verdict *v, const char *what, long rc, int e)
{
    if (rc < 0) {
        note(v, "control %s failed: errno=%s", what, ename(e));
        worsen(v, UNEXPECTED);
    }
}

#define STEP(v, what, call, ...)                                                            \
    do {                                                                                    \
        errno = 0;                                                                          \
        long rc_ = (long)(call);                                                            \
        step((v), (what), rc_, errno, ERRS(__VA_ARGS__));                                   \
    } while (0)

#define CONTROL(v, what, call)                                                              \
    do {                                                                                    \
        errno = 0;                                                                          \
        long rc_ = (long)(call);                                                            \
        control((v), (what), rc_, errno);                                                   \
    } while (0)

static int finish(struct verdict *v)
{
    const char *w = v->worst == ESCAPED ? "SUCCEEDED" : v->worst == UNEXPECTED ? "unexpected" : v->word;
    printf("%s: %s %s\n", g_case, w, v->text);
    fflush(stdout);
    return v->worst;
}

static int skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int skip(const char *fmt, ...)
{
    va_list ap;
    printf("%s: SKIP ", g_case);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return SKIPPED;
}

static void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* open(2) that closes what it opened: the probes never use a forbidden descriptor. */
static long try_open(const char *path, int flags, mode_t mode)
{
    int fd = open(path, flags | O_CLOEXEC, mode);
    if (fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return fd;
}

static long try_openat(int dfd, const char *name, int flags)
{
    int fd = openat(dfd, name, flags | O_CLOEXEC);
    if (fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return fd;
}

/* Exchanges two names; if that worked (an escape), exchanges them back. */
static long try_exchange(const char *a, const char *b)
{
    long rc = renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    if (rc == 0)
        renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    return rc;
}

/* Creates path exclusively; if that worked (an escape), removes it again. */
static long try_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    return fd;
}

static void join(char *out, size_t outsz, const char *a, const char *b)
{
    if ((size_t)snprintf(out, outsz, "%s/%s", a, b) >= outsz)
        out[0] = '\0';
}

/* ------------------------------------------------------------------------------------------
 * Filesystem outside the workspace. */

/* write-outside TOKEN: nothing can be created in /, /etc or /usr: the read-only mounts answer
 * EROFS, before Landlock or file permissions are consulted, so EACCES here would mean a mount
 * lost its read-only flag.  No host binary can be opened for writing (EROFS; EACCES from file
 * permissions first, for an unprivileged user). */
static int case_write_outside(char **argv)
{
    struct verdict v = VERDICT("refused");
    const char *dirs[] = {"", "/etc", "/usr", "/usr/bin", "/var", NULL};
    char path[PATH_MAX];
    for (size_t i = 0; dirs[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/.nucleus-escape-%s", dirs[i], argv[0]);
        STEP(&v, path, try_create(path), EROFS);
    }
    /* An existing host binary, opened for writing and closed at once: never written. */
    STEP(&v, "open /usr/bin/env O_WRONLY", try_open("/usr/bin/env", O_WRONLY, 0), EROFS, EACCES,
         ETXTBSY);
    STEP(&v, "mkdir /usr/.nucleus-escape-dir",
         mkdir("/usr/.nucleus-escape-dir", 0755) == 0 ? (rmdir("/usr/.nucleus-escape-dir"), 0) : -1,
         EROFS);
    return finish(&v);
}

/* host-paths PATH...: host paths must not exist in the pod at all (ENOENT), not merely be
 * unreadable.  On the host this is the control: the paths are visible there. */
static int case_host_paths(int argc, char **argv)
{
    struct verdict v = VERDICT("refused");
    struct stat st;
    char what[PATH_MAX + 16];
    for (int i = 0; i < argc; i++) {
        snprintf(what, sizeof(what), "stat %s", argv[i]);
        STEP(&v, what, stat(argv[i], &st), ENOENT);
    }
    return finish(&v);
}

/* host-tmp DIR MARKER: a file the driver created in the host's /tmp before the pod started.
 * The pod's /tmp is a fresh tmpfs: the path must not exist, for reading or writing, and
 * nothing can be created at it. */
static int case_host_tmp(char **argv)
{
    struct verdict v = VERDICT("refused");
    struct stat st;
    char path[PATH_MAX];
    STEP(&v, "stat host dir", stat(argv[0], &st), ENOENT);
    STEP(&v, "stat host marker", stat(argv[1], &st), ENOENT);
    STEP(&v, "open host marker O_RDONLY", try_open(argv[1], O_RDONLY, 0), ENOENT);
    STEP(&v, "open host marker O_WRONLY|O_APPEND", try_open(argv[1], O_WRONLY | O_APPEND, 0), ENOENT);
    join(path, sizeof(path), argv[0], "created-by-pod");
    STEP(&v, "create in host dir", try_create(path), ENOENT);
    return finish(&v);
}

/* inherited-fds FD...: descriptors the caller of nucleus left open (the driver opens a host
 * file and a host directory without close-on-exec) must not exist in the pod: each is EBADF,
 * and so is every other descriptor from 3 to 1023 (the probe opens none before looking). */
static int case_inherited_fds(int argc, char **argv)
{
    struct verdict v = VERDICT("refused");
    char what[64];
    int open_fds = 0;
    for (int i = 0; i < argc; i++) {
        int fd = atoi(argv[i]);
        char b[16];
        snprintf(what, sizeof(what), "read(%d) (a host file or directory)", fd);
        STEP(&v, what, read(fd, b, sizeof(b)), EBADF);
        snprintf(what, sizeof(what), "openat(%d, \".\")", fd);
        STEP(&v, what, try_openat(fd, ".", O_RDONLY), EBADF, ENOTDIR);
    }
    for (int fd = 3; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            open_fds++;
    STEP(&v, "descriptors 3..1023 open", open_fds == 0 ? (errno = EBADF, -1) : open_fds, EBADF);
    return finish(&v);
}

/* etc-secrets: credentials in /etc are not part of the pod. */
static int case_etc_secrets(void)
{
    struct verdict v = VERDICT("refused");
    const char *paths[] = {"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/root",
                           "/home", "/var/run/docker.sock", "/run", NULL};
    struct stat st;
    char what[128];
    for (size_t i = 0; paths[i] != NULL; i++) {
        snprintf(what, sizeof(what), "stat %s", paths[i]);
        STEP(&v, what, stat(paths[i], &st), ENOENT);
    }
    STEP(&v, "open /etc/shadow", try_open("/etc/shadow", O_RDONLY, 0), ENOENT);
    return finish(&v);
}

/* sys-absent: no sysfs, so no cgroup release_agent, no /sys/kernel knobs. */
static int case_sys_absent(void)
{
    struct verdict v = VERDICT("refused");
    struct stat st;
    STEP(&v, "stat /sys/fs/cgroup", stat("/sys/fs/cgroup", &st), ENOENT);
    STEP(&v, "stat /sys/kernel", stat("/sys/kernel", &st), ENOENT);
    return finish(&v);
}

/* dev-write: /dev is a tmpfs the pod's user owns, so only Landlock (EACCES) stops new entries
 * there; device nodes need CAP_MKNOD (EPERM) wherever they are attempted. */
static int case_dev_write(char **argv)
{
    struct verdict v = VERDICT("refused");
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "/dev/.nucleus-escape-%s", argv[0]);
    STEP(&v, "create in /dev", try_create(path), EACCES, EROFS);
    STEP(&v, "mknod /dev/sda-like block device",
         mknod("/dev/nucleus-sda", S_IFBLK | 0600, makedev(8, 0)) == 0 ? (unlink("/dev/nucleus-sda"), 0) : -1,
         EACCES, EPERM, EROFS);
    STEP(&v, "open /dev/mem", try_open("/dev/mem", O_RDONLY, 0), ENOENT);
    STEP(&v, "open /dev/kmsg", try_open("/dev/kmsg", O_RDONLY, 0), ENOENT);
    return finish(&v);
}

/* mknod-char DIR: a character device (1,3 = /dev/null, harmless) and a block device in a
 * directory the pod may write: refused for lack of CAP_MKNOD (EPERM). */
static int case_mknod(char **argv)
{
    struct verdict v = VERDICT("refused");
    char path[PATH_MAX], path2[PATH_MAX];
    join(path, sizeof(path), argv[0], ".nucleus-escape-chr");
    join(path2, sizeof(path2), argv[0], ".nucleus-escape-blk");
    STEP(&v, "mknod char 1:3", mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0 ? (unlink(path), 0) : -1,
         EPERM);
    STEP(&v, "mknod block 8:0", mknod(path2, S_IFBLK | 0600, makedev(8, 0)) == 0 ? (unlink(path2), 0) : -1,
         EPERM);
    return finish(&v);
}

/* mkfifo-outside: fifos cannot be created outside the writable places (the read-only mounts:
 * EROFS). */
static int case_mkfifo_outside(void)
{
    struct verdict v = VERDICT("refused");
    const char *paths[] = {"/.nucleus-escape-fifo", "/etc/.nucleus-escape-fifo", "/usr/.nucleus-escape-fifo", NULL};
    for (size_t i = 0; paths[i] != NULL; i++)
        STEP(&v, paths[i], mkfifo(paths[i], 0600) == 0 ? (unlink(paths[i]), 0) : -1, EROFS);
    return finish(&v);
}

/* ------------------------------------------------------------------------------------------
 * The workspace. */

/* ws-readonly: under a read-only profile the workspace is a read-only bind: EROFS for every
 * kind of change. */
static int case_ws_readonly(char **argv)
{
    struct verdict v = VERDICT("refused");
    struct stat st;
    char name[PATH_MAX];
    snprintf(name, sizeof(name), ".nucleus-escape-%s", argv[0]);
    STEP(&v, "create file", try_create(name), EROFS);
    STEP(&v, "mkdir", mkdir(name, 0755) == 0 ? (rmdir(name), 0) : -1, EROFS);
    STEP(&v, "symlink", symlink("src/main.c", name) == 0 ? (unlink(name), 0) : -1, EROFS);
    STEP(&v, "mkfifo", mkfifo(name, 0600) == 0 ? (unlink(name), 0) : -1, EROFS);
    STEP(&v, "open existing O_WRONLY", try_open("src/main.c", O_WRONLY | O_APPEND, 0), EROFS);
    STEP(&v, "rename", rename("src/main.c", "src/main.c.moved") == 0 ? (rename("src/main.c.moved", "src/main.c"), 0) : -1,
         EROFS);
    if (stat("src/main.c", &st) == 0)
        STEP(&v, "chmod (same mode)", chmod("src/main.c", st.st_mode & 07777), EROFS);
    STEP(&v, "unlink", unlink("src/main.c"), EROFS);
    return finish(&v);
}

/* ws-write-allowed TOKEN: the positive control.  Under a writable profile the workspace takes
 * a new file; the driver then finds it on the host, in the workspace and nowhere else. */
static int case_ws_write_allowed(char **argv)
{
    struct verdict v = VERDICT("allowed");
    char name[PATH_MAX], text[256];
    snprintf(name, sizeof(name), ".nucleus-escape-%s", argv[0]);
    int n = snprintf(text, sizeof(text), "written by the pod %s\n", argv[0]);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        note(&v, "create %s in the workspace failed: errno=%s", name, ename(errno));
        worsen(&v, UNEXPECTED);
        return finish(&v);
    }
    if (write(fd, text, (size_t)n) != n) {
        note(&v, "write failed: errno=%s", ename(errno));
        worsen(&v, UNEXPECTED);
    }
    close(fd);
    note(&v, "created %s in the workspace", name);
    return finish(&v);
}

/* tmp-write-allowed: positive control; the pod's own /tmp and /dev/shm take files. */
static int case_tmp_write_allowed(void)
{
    struct verdict v = VERDICT("allowed");
    CONTROL(&v, "create /tmp/x", try_create("/tmp/.nucleus-escape-x"));
    CONTROL(&v, "create /dev/shm/x", try_create("/dev/shm/.nucleus-escape-x"));
    if (v.worst == REFUSED)
        note(&v, "/tmp and /dev/shm are writable");
    return finish(&v);
}

/* hooks: the protected files themselves (read-only binds over them: EROFS). */
static int case_protected_write(void)
{
    struct verdict v = VERDICT("refused");
    struct stat st;
    STEP(&v, "open .git/hooks/pre-commit O_WRONLY", try_open(".git/hooks/pre-commit", O_WRONLY | O_APPEND, 0), EROFS);
    STEP(&v, "create .git/hooks/post-checkout", try_create(".git/hooks/post-checkout"), EROFS);
    STEP(&v, "unlink .git/hooks/pre-commit", unlink(".git/hooks/pre-commit"), EROFS);
    if (stat(".git/hooks/pre-commit", &st) == 0)
        STEP(&v, "chmod .git/hooks/pre-commit (same mode)", chmod(".git/hooks/pre-commit", st.st_mode & 07777), EROFS);
    STEP(&v, "open .git/config O_WRONLY", try_open(".git/config", O_WRONLY | O_APPEND, 0), EROFS);
    if (stat(".git/config", &st) == 0)
        STEP(&v, "truncate .git/config (to its own size)", truncate(".git/config", st.st_size), EROFS);
    STEP(&v, "open .bashrc O_WRONLY", try_open(".bashrc", O_WRONLY | O_APPEND, 0), EROFS);
    return finish(&v);
}

/* protected-symlink: a symlink made in the pod resolves onto the read-only bind. */
static int case_protected_symlink(void)
{
    struct verdict v = VERDICT("refused");
    const char *l1 = ".nucleus-escape-hooks-alias", *l2 = ".nucleus-escape-config-alias";
    CONTROL(&v, "symlink to .git/hooks", symlink(".git/hooks", l1));
    CONTROL(&v, "symlink to .git/config", symlink(".git/config", l2));
    STEP(&v, "open alias/pre-commit O_WRONLY", try_open(".nucleus-escape-hooks-alias/pre-commit", O_WRONLY | O_APPEND, 0), EROFS);
    STEP(&v, "create alias/post-merge", try_create(".nucleus-escape-hooks-alias/post-merge"), EROFS);
    STEP(&v, "open config-alias O_WRONLY", try_open(l2, O_WRONLY | O_APPEND, 0), EROFS);
    unlink(l1);
    unlink(l2);
    return finish(&v);
}

/* protected-hardlink: a hard link would be a second, writable name for the same inode.  The
 * protected files are mount points, so link(2) crosses a mount: EXDEV. */
static int case_protected_hardlink(void)
{
    struct verdict v = VERDICT("refused");
    const char *targets[] = {".git/config", ".git/hooks/pre-commit", ".bashrc", NULL};
    const char *name = ".nucleus-escape-hardlink";
    for (size_t i = 0; targets[i] != NULL; i++) {
        char what[128];
        snprintf(what, sizeof(what), "link %s", targets[i]);
        STEP(&v, what, link(targets[i], name) == 0 ? (unlink(name), 0) : -1, EXDEV, EPERM);
    }
    /* control: an ordinary file in the workspace can be linked */
    errno = 0;
    long rc = link("src/main.c", name);
    control(&v, "link src/main.c", rc, errno);
    if (rc == 0)
        unlink(name);
    return finish(&v);
}

/* protected-dotdot: ".." spellings resolve to the same read-only binds. */
static int case_protected_dotdot(void)
{
    struct verdict v = VERDICT("refused");
    char cwd[PATH_MAX], path[PATH_MAX + 64];
    STEP(&v, "open src/../.git/config", try_open("src/../.git/config", O_WRONLY | O_APPEND, 0), EROFS);
    STEP(&v, "open .git/hooks/../config", try_open(".git/hooks/../config", O_WRONLY | O_APPEND, 0), EROFS);
    STEP(&v, "create src/../.git/hooks/post-merge", try_create("src/../.git/hooks/post-merge"), EROFS);
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        snprintf(path, sizeof(path), "%s/src/../.git/hooks/pre-commit", cwd);
        STEP(&v, "open WS/src/../.git/hooks/pre-commit", try_open(path, O_WRONLY | O_APPEND, 0), EROFS);
        snprintf(path, sizeof(path), "%s/../%s/.bashrc", cwd, strrchr(cwd, '/') + 1);
        STEP(&v, "open WS/../WS/.bashrc", try_open(path, O_WRONLY | O_APPEND, 0), EROFS);
    }
    return finish(&v);
}

/* protected-proc-alias: /proc/self/root, /proc/self/cwd and /proc/self/fd/N are other names
 * for the same dentries (CVE-2026-39861-style aliasing): still the read-only binds. */
static int case_protected_proc_alias(void)
{
    struct verdict v = VERDICT("refused");
    char cwd[PATH_MAX], path[PATH_MAX + 64];
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        snprintf(path, sizeof(path), "/proc/self/root%s/.git/config", cwd);
        STEP(&v, "open /proc/self/root/WS/.git/config", try_open(path, O_WRONLY | O_APPEND, 0), EROFS);
        snprintf(path, sizeof(path), "/proc/self/root%s/.git/hooks/post-merge", cwd);
        STEP(&v, "create /proc/self/root/WS/.git/hooks/post-merge", try_create(path), EROFS);
    }
    STEP(&v, "open /proc/self/cwd/.git/hooks/pre-commit",
         try_open("/proc/self/cwd/.git/hooks/pre-commit", O_WRONLY | O_APPEND, 0), EROFS);
    int dfd = open(".git", O_PATH | O_DIRECTORY | O_CLOEXEC);
    control(&v, "open .git O_PATH", dfd, errno);
    if (dfd >= 0) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d/config", dfd);
        STEP(&v, "open /proc/self/fd/N/config", try_open(path, O_WRONLY | O_APPEND, 0), EROFS);
        STEP(&v, "openat(.git fd, config)", try_openat(dfd, "config", O_WRONLY | O_APPEND), EROFS);
        close(dfd);
    }
    return finish(&v);
}

/* protected-rename: the protected paths are mount points: they cannot be renamed away, replaced
 * by rename, exchanged or unlinked (EBUSY). */
static int case_protected_rename(void)
{
    struct verdict v = VERDICT("refused");
    const char *decoy = ".nucleus-escape-decoy";
    int fd = open(decoy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    control(&v, "create decoy", fd, errno);
    if (fd >= 0)
        close(fd);
    /* Out of a pinned parent (a mount of its own) the kernel says EXDEV; within one, EBUSY. */
    STEP(&v, "rename .git/config away", rename(".git/config", ".nucleus-escape-config") == 0 ? (rename(".nucleus-escape-config", ".git/config"), 0) : -1,
         EBUSY, EXDEV);
    STEP(&v, "rename .git/hooks away", rename(".git/hooks", ".nucleus-escape-hooks") == 0 ? (rename(".nucleus-escape-hooks", ".git/hooks"), 0) : -1,
         EBUSY, EXDEV);
    STEP(&v, "rename .bashrc away", rename(".bashrc", ".nucleus-escape-bashrc") == 0 ? (rename(".nucleus-escape-bashrc", ".bashrc"), 0) : -1,
         EBUSY);
    STEP(&v, "rename decoy over .git/config", rename(decoy, ".git/config"), EBUSY, EXDEV);
    STEP(&v, "renameat2 RENAME_EXCHANGE .bashrc decoy", try_exchange(".bashrc", decoy), EBUSY);
    STEP(&v, "unlink .bashrc", unlink(".bashrc"), EBUSY);
    STEP(&v, "unlink .git/config", unlink(".git/config"), EBUSY);
    STEP(&v, "rmdir .git/hooks", rmdir(".git/hooks"), EBUSY);
    /* control: an ordinary file can be renamed */
    errno = 0;
    long rc = rename("src/main.c", "src/.nucleus-escape-main.c");
    control(&v, "rename src/main.c", rc, errno);
    if (rc == 0)
        rename("src/.nucleus-escape-main.c", "src/main.c");
    unlink(decoy);
    return finish(&v);
}

/* protected-umount: unmounting a read-only bind or a mask would reveal what it covers. */
static int case_protected_umount(void)
{
    struct verdict v = VERDICT("refused");
    STEP(&v, "umount .git/hooks", umount2(".git/hooks", MNT_DETACH), EPERM);
    STEP(&v, "umount .git/config", umount2(".git/config", MNT_DETACH), EPERM);
    STEP(&v, "umount .env", umount2(".env", MNT_DETACH), EPERM);
    return finish(&v);
}

/* gitdir-swap: the protections are mounts on .git/hooks and .git/config, but .git itself is an
 * ordinary directory in a writable workspace.  Renaming it carries the mounts along; a fresh
 * .git then holds a hook and a config of the pod's choosing, which the host's git runs after the
 * pod has gone (catalogue: "symlink swap of a protected dir"; srt/codex protect the parent).
 * If the rename works the probe shows the consequence, then puts everything back. */
static int case_gitdir_swap(void)
{
    struct verdict v = VERDICT("refused");
    const char *moved = ".nucleus-escape-git-moved";
    errno = 0;
    if (rename(".git", moved) < 0) {
        step(&v, "rename .git away", -1, errno, ERRS(EBUSY, EACCES, EPERM, EROFS));
        return finish(&v);
    }
    note(&v, "rename .git away SUCCEEDED");
    worsen(&v, ESCAPED);
    int fd = -1;
    if (mkdir(".git", 0755) == 0 && mkdir(".git/hooks", 0755) == 0 &&
        (fd = open(".git/hooks/pre-commit", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755)) >= 0) {
        close(fd);
        note(&v, "a new .git/hooks/pre-commit was planted (host git would run it)");
    }
    unlink(".git/hooks/pre-commit");
    rmdir(".git/hooks");
    rmdir(".git");
    if (rename(moved, ".git") < 0)
        note(&v, "could not restore .git: errno=%s", ename(errno));
    return finish(&v);
}

/* protected-missing NAME...: protected names (paths.read_only) that did not exist when the pod
 * started must not be creatable either (catalogue: "mandatory-deny files only masked if they
 * exist at start"; nono PR #1580).  Each NAME is created with its parent directories; what was
 * created is removed again. */
static int case_protected_missing(int argc, char **argv)
{
    struct verdict v = VERDICT("refused");
    for (int i = 0; i < argc; i++) {
        char path[PATH_MAX], made[8][PATH_MAX];
        int nmade = 0, fd;
        snprintf(path, sizeof(path), "%s", argv[i]);
        /* parents, remembering which ones we made */
        for (char *s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/')) {
            *s = '\0';
            if (mkdir(path, 0755) == 0 && nmade < 8)
                snprintf(made[nmade++], PATH_MAX, "%s", path);
            *s = '/';
        }
        errno = 0;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        int e = errno;
        char what[PATH_MAX + 16];
        snprintf(what, sizeof(what), "create %s", argv[i]);
        /* A missing protected name is held by a read-only placeholder directory: creating a
         * file there is refused with EEXIST (or EISDIR); beneath it, EROFS. */
        step(&v, what, fd, e, ERRS(EROFS, EACCES, EPERM, EEXIST, EISDIR));
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        while (nmade > 0)
            rmdir(made[--nmade]);
    }
    return finish(&v);
}

/* read-secret PATH...: paths.deny entries are masked: a file reads as empty (/dev/null bound
 * over it), a directory is an empty tmpfs with mode 0000 (EACCES).  Any byte read is a leak. */
static int case_read_secret(int argc, char **argv)
{
    struct verdict v = VERDICT("refused");
    char buf[4096];
    for (int i = 0; i < argc; i++) {
        const char *p = argv[i];
        struct stat st;
        if (stat(p, &st) < 0) {
            int e = errno;
            char what[PATH_MAX + 16];
            snprintf(what, sizeof(what), "stat %s", p);
            step(&v, what, -1, e, ERRS(EACCES));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(p);
            if (d == NULL) {
                int e = errno;
                char what[PATH_MAX + 16];
                snprintf(what, sizeof(what), "opendir %s", p);
                step(&v, what, -1, e, ERRS(EACCES));
                continue;
            }
            int entries = 0;
            struct dirent *e;
            while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                    entries++;
            closedir(d);
            if (entries > 0) {
                note(&v, "%s lists %d entries", p, entries);
                worsen(&v, ESCAPED);
            } else {
                note(&v, "%s: empty directory (masked)", p);
            }
            continue;
        }
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            int e = errno;
            char what[PATH_MAX + 16];
            snprintf(what, sizeof(what), "open %s", p);
            step(&v, what, -1, e, ERRS(EACCES));
            continue;
        }
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n > 0) {
            note(&v, "read %zd bytes of %s", n, p);
            worsen(&v, ESCAPED);
        } else {
            note(&v, "%s: empty (masked%s)", p, S_ISCHR(st.st_mode) ? " by /dev/null" : "");
        }
    }
    return finish(&v);
}

/* secret-alias: a symlink or a hard link made in the pod, or a /proc/self alias, does not
 * unmask a secret. */
static int case_secret_alias(void)
{
    struct verdict v = VERDICT("refused");
    const char *sl = ".nucleus-escape-pem-alias", *hl = ".nucleus-escape-env-hardlink";
    char buf[256];
    CONTROL(&v, "symlink to certs/server.pem", symlink("certs/server.pem", sl));
    int fd = open(sl, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n > 0) {
            note(&v, "read %zd bytes through the symlink", n);
            worsen(&v, ESCAPED);
        } else {
            note(&v, "symlink reads empty (masked)");
        }
    } else {
        step(&v, "open symlink", -1, errno, ERRS(EACCES));
    }
    unlink(sl);
    /* the same dentries under other names */
    char cwd[PATH_MAX], path[PATH_MAX + 64];
    const char *aliases[3] = {path, "/proc/self/cwd/certs/server.pem", "/proc/self/cwd/config/../.env"};
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        cwd[0] = '\0';
    snprintf(path, sizeof(path), "/proc/self/root%s/.env", cwd);
    for (size_t i = 0; i < 3; i++) {
        int afd = open(aliases[i], O_RDONLY | O_CLOEXEC);
        if (afd < 0) {
            step(&v, aliases[i], -1, errno, ERRS(EACCES));
            continue;
        }
        ssize_t n = read(afd, buf, sizeof(buf));
        close(afd);
        if (n > 0) {
            note(&v, "read %zd bytes through %s", n, aliases[i]);
            worsen(&v, ESCAPED);
        } else {
            note(&v, "%s reads empty (masked)", aliases[i]);
        }
    }
    STEP(&v, "link .env", link(".env", hl) == 0 ? (unlink(hl), 0) : -1, EXDEV, EPERM);
    STEP(&v, "rename .env away", rename(".env", hl) == 0 ? (rename(hl, ".env"), 0) : -1, EBUSY);
    return finish(&v);
}

/* ------------------------------------------------------------------------------------------
 * Processes. */

static bool read_small(const char *path, char *buf, size_t bufsz, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, bufsz - 1);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return true;
}

/* proc-pids SENTINEL_PID TOKEN: /proc shows the pod's processes only: pid 1 (the pod init) and
 * ourselves; the host sentinel (argv "... host-sentinel TOKEN ...") is nowhere.  The search
 * string is put together here, so that no pod process carries it in its own argv. */
static int case_proc_pids(char **argv)
{
    struct verdict v = VERDICT("refused");
    char token[256];
    char buf[4096], path[64], list[256] = "";
    snprintf(token, sizeof(token), "host-sentinel %s", argv[1]);
    size_t llen = 0;
    int count = 0;
    bool have_init = false;
    DIR *d = opendir("/proc");
    if (d == NULL) {
        note(&v, "opendir /proc: errno=%s", ename(errno));
        worsen(&v, UNEXPECTED);
        return finish(&v);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        count++;
        if (pid == 1)
            have_init = true;
        if (llen < sizeof(list) - 16)
            llen += (size_t)snprintf(list + llen, sizeof(list) - llen, "%s%ld", llen ? "," : "", pid);
        size_t n = 0;
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
        if (read_small(path, buf, sizeof(buf), &n)) {
            for (size_t i = 0; i < n; i++)
                if (buf[i] == '\0')
                    buf[i] = ' ';
            if (strstr(buf, token) != NULL) {
                note(&v, "the host sentinel is visible as pid %ld", pid);
                worsen(&v, ESCAPED);
            }
        }
    }
    closedir(d);
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%s", argv[0]);
    if (strcmp(argv[0], "1") != 0 && strcmp(argv[0], "2") != 0)
        STEP(&v, "stat /proc/SENTINEL", stat(path, &st), ENOENT);
    note(&v, "%d processes visible (%s)", count, list);
    if (!have_init) {
        note(&v, "no pid 1: not in a new pid namespace?");
        worsen(&v, UNEXPECTED);
    }
    if (count > 4) {
        note(&v, "more processes than the pod's init and the probe");
        worsen(&v, ESCAPED);
    }
    return finish(&v);
}

/* kill-sentinel PID: the host's processes do not exist in the pod's pid namespace (ESRCH).
 * Signal 0 only: nothing is delivered even where this succeeds (the host control). */
static int case_kill_sentinel(char **argv)
{
    struct verdict v = VERDICT("refused");
    pid_t pid = (pid_t)atoi(argv[0]);
    if (pid <= 2)
        return skip("sentinel pid %d collides with the pod's own pids", (int)pid);
    STEP(&v, "kill(SENTINEL, 0)", kill(pid, 0), ESRCH);
    return finish(&v);
}

/* kill-init: the pod's init is outside our Landlock domain (signal scope: EPERM); if a signal
 * got through, the kernel still ignores SIGKILL sent to a pid namespace's init from inside it.
 * Either way we are still alive afterwards (the init's death would take us with it). */
static int case_kill_init(void)
{
    struct verdict v = VERDICT("refused");
    errno = 0;
    long r0 = kill(1, 0);
    note(&v, "kill(1, 0) %s%s", r0 == 0 ? "works" : "errno=", r0 == 0 ? "" : ename(errno));
    /* only to the pod's own init, in case the pid namespace were missing */
    char comm[64] = "";
    if (read_small("/proc/1/comm", comm, sizeof(comm), NULL))
        comm[strcspn(comm, "\n")] = '\0';
    /* nucleus-init once the pod is set up; nucleus when the init could not exec it */
    if (strcmp(comm, "nucleus-init") != 0 && strcmp(comm, "nucleus") != 0) {
        note(&v, "pid 1 is not the pod's init (comm %s): no SIGKILL sent", comm);
        worsen(&v, UNEXPECTED);
        return finish(&v);
    }
    errno = 0;
    if (kill(1, SIGKILL) < 0) {
        step(&v, "kill(1, SIGKILL)", -1, errno, ERRS(EPERM));
    } else {
        msleep(300);
        note(&v, "kill(1, SIGKILL) was accepted but ignored: the init and we are alive");
    }
    return finish(&v);
}

/* ptrace: attaching to the init (or anything) and PTRACE_TRACEME are denied (seccomp: EPERM).
 * PTRACE_SEIZE, which does not stop the tracee, has the same permission checks as ATTACH. */
static int case_ptrace(void)
{
    struct verdict v = VERDICT("refused");
    errno = 0;
    long rc = ptrace(PTRACE_SEIZE, 1, NULL, NULL);
    step(&v, "PTRACE_SEIZE pid 1", rc, errno, ERRS(EPERM));
    if (rc == 0)
        ptrace(PTRACE_DETACH, 1, NULL, NULL);
    /* TRACEME in a child, so a success cannot leave us traced */
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return finish(&v);
    pid_t c = fork();
    if (c == 0) {
        errno = 0;
        int r = (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        int res[2] = {r, errno};
        if (write(pfd[1], res, sizeof(res)) < 0)
            _exit(3);
        _exit(0);
    }
    close(pfd[1]);
    int res[2] = {0, 0};
    if (c > 0 && read(pfd[0], res, sizeof(res)) == (ssize_t)sizeof(res))
        step(&v, "PTRACE_TRACEME", res[0], res[1], ERRS(EPERM));
    close(pfd[0]);
    if (c > 0)
        waitpid(c, NULL, 0);
    return finish(&v);
}

/* process-vm: reading the init's memory with process_vm_readv (EPERM); the init is not dumpable,
 * so its /proc files that expose memory or environment refuse us (EACCES). */
static int case_process_vm(void)
{
    struct verdict v = VERDICT("refused");
    char buf[64];
    struct iovec local = {buf, sizeof(buf)}, remote = {(void *)0x400000, sizeof(buf)};
    STEP(&v, "process_vm_readv pid 1", process_vm_readv(1, &local, 1, &remote, 1, 0), EPERM);
    STEP(&v, "process_vm_writev pid 1 (zero-length)", process_vm_writev(1, &local, 0, &remote, 0, 0), EPERM);
    STEP(&v, "open /proc/1/mem", try_open("/proc/1/mem", O_RDONLY, 0), EACCES, EPERM);
    STEP(&v, "open /proc/1/environ", try_open("/proc/1/environ", O_RDONLY, 0), EACCES, EPERM);
    STEP(&v, "open /proc/1/root/", try_open("/proc/1/root/", O_RDONLY | O_DIRECTORY, 0), EACCES, EPERM);
    return finish(&v);
}

static bool status_field(const char *name, char *out, size_t outsz)
{
    char buf[8192];
    if (!read_small("/proc/self/status", buf, sizeof(buf), NULL))
        return false;
    size_t nl = strlen(name);
    for (char *line = buf; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *val = line + nl + 1;
            while (*val == ' ' || *val == '\t')
                val++;
            snprintf(out, outsz, "%s", val);
            return true;
        }
        line = next;
    }
    return false;
}

/* nnp-caps [LABEL]: no_new_privs is set, no capability in any set, seccomp filtering. */
static int case_nnp_caps(void)
{
    struct verdict v = VERDICT("holds");
    static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL};
    char val[64];
    if (!status_field("NoNewPrivs", val, sizeof(val)) || strcmp(val, "1") != 0) {
        note(&v, "NoNewPrivs=%s", val);
        worsen(&v, ESCAPED);
    } else {
        note(&v, "NoNewPrivs=1");
    }
    for (size_t i = 0; caps[i] != NULL; i++) {
        if (!status_field(caps[i], val, sizeof(val)) || strtoull(val, NULL, 16) != 0) {
            note(&v, "%s=%s", caps[i], val);
            worsen(&v, ESCAPED);
        } else {
            note(&v, "%s=0", caps[i]);
        }
    }
    if (!status_field("Seccomp", val, sizeof(val)) || strcmp(val, "2") != 0) {
        note(&v, "Seccomp=%s (expected 2, filter)", val);
        worsen(&v, ESCAPED);
    } else {
        note(&v, "Seccomp=2");
    }
    return finish(&v);
}

/* uid-check LABEL: run after an execve of a (setuid) copy of this probe: no id and no
 * capability was gained. */
static int case_uid_check(void)
{
    struct verdict v = VERDICT("holds");
    uid_t r, e, s;
    gid_t rg, eg, sg;
    char val[64];
    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    note(&v, "ruid=%u euid=%u suid=%u", (unsigned)r, (unsigned)e, (unsigned)s);
    if (e != r || s != r || eg != rg || sg != rg)
        worsen(&v, ESCAPED);
    if (status_field("CapEff", val, sizeof(val)) && strtoull(val, NULL, 16) != 0) {
        note(&v, "CapEff=%s", val);
        worsen(&v, ESCAPED);
    } else {
        note(&v, "CapEff=0");
    }
    return finish(&v);
}

/* setuid-exec PATH: a setuid-root copy of this probe (prepared by the driver) does not raise
 * anything when executed: no_new_privs, SECBIT_NOROOT and the empty bounding set. */
static int case_setuid_exec(char **argv)
{
    struct stat st;
    if (stat(argv[0], &st) < 0)
        return skip("%s: %s", argv[0], ename(errno));
    if (!(st.st_mode & S_ISUID))
        return skip("%s is not setuid (the driver could not prepare it)", argv[0]);
    char *args[] = {argv[0], (char *)"uid-check", (char *)"setuid-exec", NULL};
    fflush(stdout);
    execv(argv[0], args);
    struct verdict v = VERDICT("refused");
    note(&v, "execv %s: errno=%s", argv[0], ename(errno));
    worsen(&v, UNEXPECTED);
    return finish(&v);
}

/* exec-caps: the same checks after an execve as the pod's user (uid 0 in the root run, where
 * an exec would normally grant full capabilities in the user namespace). */
static int case_exec_caps(void)
{
    char *args[] = {(char *)"probe", (char *)"nnp-caps", (char *)"exec-caps", NULL};
    fflush(stdout);
    execv("/proc/self/exe", args);
    struct verdict v = VERDICT("refused");
    note(&v, "execv /proc/self/exe: errno=%s", ename(errno));
    worsen(&v, UNEXPECTED);
    return finish(&v);
}

/* fork-bomb: forking stops with EAGAIN at the process limit, long before FORK_BOMB_MAX.
 * The children wait on a pipe and leave together when it closes (or after 30 s). */
static int case_fork_bomb(void)
{
    struct verdict v = VERDICT("refused");
    int pfd[2];
    int n = 0, err = 0;
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return skip("pipe: %s", ename(errno));
    fflush(stdout);
    for (; n < FORK_BOMB_MAX; n++) {
        pid_t c = fork();
        if (c < 0) {
            err = errno;
            break;
        }
        if (c == 0) {
            char b;
            close(pfd[1]);
            alarm(30);
            while (read(pfd[0], &b, 1) < 0 && errno == EINTR) {
            }
            _exit(0);
        }
    }
    close(pfd[1]);
    close(pfd[0]);
    while (wait(NULL) > 0 || errno == EINTR) {
    }
    if (n >= FORK_BOMB_MAX) {
        note(&v, "%d forks succeeded without hitting a limit", n);
        worsen(&v, ESCAPED);
    } else if (err != EAGAIN) {
        note(&v, "fork failed after %d with errno=%s (expected EAGAIN)", n, ename(err));
        worsen(&v, UNEXPECTED);
    } else if (n < 50) {
        note(&v, "fork failed with EAGAIN after only %d forks: limit too low to be the pod's", n);
        worsen(&v, UNEXPECTED);
    } else {
        note(&v, "errno=EAGAIN after %d forks", n);
    }
    return finish(&v);
}

/* A child that consumes memory in BOMB_CHUNK steps, up to MAX_MIB, and reports each step on a
 * pipe.  Exit 0: it got everything; 10: the allocation failed (errno in the last record);
 * killed: the OOM killer of the pod's memory cgroup.  The pod's limit is LIMIT_MIB: the bomb
 * must be stopped, and not far below that (else something else stopped it). */
static int run_bomb(struct verdict *v, bool tmpfs, char **argv)
{
    long limit_mib = atol(argv[0]), max_mib = atol(argv[1]);
    if (limit_mib <= 0 || max_mib <= limit_mib)
        return skip("bad limits %s %s", argv[0], argv[1]);
    int max_chunks = (int)(max_mib / (long)(BOMB_CHUNK / MiB));
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return skip("pipe: %s", ename(errno));
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        return skip("fork: %s", ename(errno));
    if (c == 0) {
        close(pfd[0]);
        /* make the bomb, not the probe or the init, the OOM killer's choice (may be refused) */
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (write(fd, "1000", 4) < 0) {
            }
            close(fd);
        }
        int out = -1;
        char *buf = NULL;
        if (tmpfs) {
            /* Ballast: tmpfs pages count in no process's RSS, so without it the OOM killer
             * could as well pick the probe that reports; the ballast makes the bomb the
             * largest process of the pod. */
            char *ballast = mmap(NULL, 2 * BOMB_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (ballast != MAP_FAILED)
                memset(ballast, 0x5a, 2 * BOMB_CHUNK);
            out = open("/tmp/.nucleus-escape-bomb", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            buf = malloc(MiB);
            if (out < 0 || buf == NULL)
                _exit(11);
            memset(buf, 0xa5, MiB);
        }
        for (int i = 0; i < max_chunks; i++) {
            int rec[2] = {i + 1, 0};
            if (tmpfs) {
                for (unsigned k = 0; k < BOMB_CHUNK / MiB; k++) {
                    ssize_t w = write(out, buf, MiB);
                    if (w != (ssize_t)MiB) {
                        rec[0] = -i;
                        rec[1] = w < 0 ? errno : ENOSPC;
                        if (write(pfd[1], rec, sizeof(rec)) < 0) {
                        }
                        _exit(10);
                    }
                }
            } else {
                char *p = mmap(NULL, BOMB_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                    rec[0] = -i;
                    rec[1] = errno;
                    if (write(pfd[1], rec, sizeof(rec)) < 0) {
                    }
                    _exit(10);
                }
                memset(p, 0xa5, BOMB_CHUNK);
            }
            if (write(pfd[1], rec, sizeof(rec)) < 0)
                _exit(12);
        }
        _exit(0);
    }
    close(pfd[1]);
    int rec[2], got = 0, err = 0;
    while (read(pfd[0], rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
        if (rec[0] > 0)
            got = rec[0];
        else
            err = rec[1];
    }
    close(pfd[0]);
    int st = 0;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
    }
    if (tmpfs)
        unlink("/tmp/.nucleus-escape-bomb");
    unsigned long mib = (unsigned long)got * (BOMB_CHUNK / MiB);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
        note(v, "killed by SIGKILL (OOM) after %lu MiB", mib);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 10 && (err == ENOMEM || err == ENOSPC)) {
        note(v, "errno=%s after %lu MiB", ename(err), mib);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        note(v, "%s %lu MiB without being stopped", tmpfs ? "wrote to /tmp" : "allocated and touched", mib);
        worsen(v, ESCAPED);
        return finish(v);
    } else {
        note(v, "bomb ended with status 0x%x (errno=%s) after %lu MiB", st, ename(err), mib);
        worsen(v, UNEXPECTED);
        return finish(v);
    }
    if ((long)mib < limit_mib / 2) {
        note(v, "stopped below half the pod's limit (%ld MiB): something else stopped it", limit_mib);
        worsen(v, UNEXPECTED);
    }
    return finish(v);
}

/* memory-bomb LIMIT_MIB MAX_MIB: anonymous memory is capped (cgroup OOM kill, or RLIMIT_AS
 * ENOMEM). */
static int case_memory_bomb(char **argv)
{
    struct verdict v = VERDICT("refused");
    return run_bomb(&v, false, argv);
}

/* tmpfs-bomb LIMIT_MIB MAX_MIB: memory held in the pod's tmpfs (/tmp, /dev/shm) belongs to no
 * process; it must count against the same limit (memory cgroup), or be bounded by the tmpfs
 * size (ENOSPC). */
static int case_tmpfs_bomb(char **argv)
{
    struct verdict v = VERDICT("refused");
    return run_bomb(&v, true, argv);
}

/* daemonize MARKER SECONDS stay|leave FLAGFILE: a double-forked, setsid'd grandchild re-executes
 * this probe as "sleeper MARKER SECONDS FLAGFILE" (MARKER in its argv, for the driver's pgrep).
 * "stay" keeps the command alive for SECONDS (the driver's --timeout must end it), "leave"
 * returns at once.  The driver checks that nothing with MARKER survives the pod. */
static int case_daemonize(char **argv)
{
    bool stay = strcmp(argv[2], "stay") == 0;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        setsid();
        if (fork() == 0) {
            char *args[] = {(char *)"probe", (char *)"sleeper", argv[0], argv[1], argv[3], NULL};
            for (int fd = 0; fd < 3; fd++)
                close(fd);
            execv("/proc/self/exe", args);
            _exit(127);
        }
        _exit(0);
    }
    if (c > 0)
        waitpid(c, NULL, 0);
    /* wait (bounded) until the daemon shows it runs */
    struct stat st;
    for (int i = 0; i < 100 && stat(argv[3], &st) < 0; i++)
        msleep(20);
    printf("%s: started a daemon (%s)\n", g_case, stat(argv[3], &st) == 0 ? "running" : "not seen");
    fflush(stdout);
    if (stay)
        msleep(atol(argv[1]) * 1000L);
    return 0;
}

static int case_sleeper(char **argv)
{
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    msleep(atol(argv[1]) * 1000L);
    return 0;
}

/* i386-abi / x32-abi: the same system calls through another ABI have other numbers, the
 * classic way around a deny list.  The filter kills the process on a foreign architecture
 * (SIGSYS); a kernel without that ABI answers ENOSYS.  The call is unshare(CLONE_NEWUSER), in
 * a child. */
static int run_abi_child(struct verdict *v, const char *what, long (*fn)(void))
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        long r = fn();
        _exit(r == 0 ? 0 : r < 0 && r > -256 ? (int)-r : 255);
    }
    int st = 0;
    if (c < 0 || waitpid(c, &st, 0) < 0) {
        note(v, "fork/wait: errno=%s", ename(errno));
        worsen(v, UNEXPECTED);
    } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) {
        note(v, "%s: killed by SIGSYS (seccomp: foreign architecture)", what);
    } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
        return skip("%s faults (SIGSEGV): this kernel has no entry for that ABI", what);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == ENOSYS) {
        note(v, "errno=ENOSYS (%s: the kernel lacks this ABI)", what);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        note(v, "%s SUCCEEDED", what);
        worsen(v, ESCAPED);
    } else {
        note(v, "%s: status 0x%x (exit %d)", what, st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        worsen(v, UNEXPECTED);
    }
    return finish(v);
}

#if defined(__x86_64__)
static long i386_unshare(void)
{
    long ret;
    /* i386 unshare is 310; CLONE_NEWUSER in ebx */
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(310L), "b"((long)CLONE_NEWUSER) : "memory");
    return ret;
}

static long x32_unshare(void)
{
    long r = syscall(0x40000000L | SYS_unshare, CLONE_NEWUSER);
    return r < 0 ? -errno : r;
}
#endif

static int case_i386_abi(void)
{
#if defined(__x86_64__)
    struct verdict v = VERDICT("refused");
    return run_abi_child(&v, "int $0x80 unshare(CLONE_NEWUSER)", i386_unshare);
#else
    return skip("x86_64 only");
#endif
}

static int case_x32_abi(void)
{
#if defined(__x86_64__)
    struct verdict v = VERDICT("refused");
    return run_abi_child(&v, "x32 unshare(CLONE_NEWUSER)", x32_unshare);
#else
    return skip("x86_64 only");
#endif
}

/* ------------------------------------------------------------------------------------------
 * Kernel interfaces (all refused by seccomp with EPERM, or by the read-only /proc binds). */

/* kernel-knobs PATH...: /proc/sysrq-trigger, /proc/sys/... (the driver passes those the host
 * kernel has).  Opened for writing and closed at once: never written. */
static int case_kernel_knobs(int argc, char **argv)
{
    struct verdict v = VERDICT("refused");
    for (int i = 0; i < argc; i++)
        STEP(&v, argv[i], try_open(argv[i], O_WRONLY, 0), EROFS, EACCES);
    return finish(&v);
}

/* oom-adj: lowering our OOM score (to survive the memory limit's killer) needs
 * CAP_SYS_RESOURCE; /proc is read-only for Landlock anyway (EACCES).  Writing our own score is
 * harmless if it were allowed. */
static int case_oom_adj(void)
{
    struct verdict v = VERDICT("refused");
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        step(&v, "open /proc/self/oom_score_adj", -1, errno, ERRS(EACCES, EROFS));
    } else {
        errno = 0;
        STEP(&v, "write -1000 to oom_score_adj", write(fd, "-1000", 5), EACCES, EPERM);
        close(fd);
    }
    return finish(&v);
}

/* mount: every way of changing the mount view is refused (seccomp; no CAP_SYS_ADMIN).  Each
 * attempt is harmless where it would succeed: mounts go on a directory of our own and are
 * undone at once; the read-only flags are touched only where they are set (in the pod), and set
 * again; pivot_root names paths that do not exist, so a privileged caller gets ENOENT. */
static int case_mount(void)
{
    struct verdict v = VERDICT("refused");
    const char *dir = "/tmp/.nucleus-escape-mnt";
    struct statvfs sv;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return skip("mkdir %s: %s", dir, ename(errno));
    STEP(&v, "mount tmpfs", mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0 ? (umount2(dir, MNT_DETACH), 0) : -1,
         EPERM);
    STEP(&v, "bind mount /usr", mount("/usr", dir, NULL, MS_BIND, NULL) == 0 ? (umount2(dir, MNT_DETACH), 0) : -1,
         EPERM);
    long fd = syscall(SYS_fsopen, "tmpfs", 0);
    int e = errno;
    step(&v, "fsopen tmpfs", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    fd = syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE);
    e = errno;
    step(&v, "open_tree OPEN_TREE_CLONE", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    rmdir(dir);
    if (statvfs("/usr", &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
        /* would make the pod's /usr writable; set back at once, never written */
        struct {
            uint64_t attr_set, attr_clr, propagation, userns_fd;
        } attr = {0, MOUNT_ATTR_RDONLY, 0, 0}, back = {MOUNT_ATTR_RDONLY, 0, 0, 0};
        long rc = syscall(SYS_mount_setattr, AT_FDCWD, "/usr", 0, &attr, sizeof(attr));
        e = errno;
        step(&v, "mount_setattr clear RDONLY on /usr", rc, e, ERRS(EPERM));
        if (rc == 0)
            syscall(SYS_mount_setattr, AT_FDCWD, "/usr", 0, &back, sizeof(back));
        errno = 0;
        rc = mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL);
        e = errno;
        if (rc == 0)
            mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        step(&v, "remount /usr read-write", rc, e, ERRS(EPERM));
    } else {
        note(&v, "/usr is not mounted read-only");
        worsen(&v, UNEXPECTED);
    }
    STEP(&v, "chroot /tmp", chroot("/tmp"), EPERM);
    STEP(&v, "pivot_root (nonexistent paths)",
         syscall(SYS_pivot_root, "/.nucleus-escape-new", "/.nucleus-escape-old"), EPERM);
    return finish(&v);
}

/* open-by-handle: the "shocker" escape opens inodes by handle, around the mount view. */
static int case_open_by_handle(void)
{
    struct verdict v = VERDICT("refused");
    struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
    int mount_id;
    if (fh == NULL)
        return skip("out of memory");
    fh->handle_bytes = MAX_HANDLE_SZ;
    STEP(&v, "name_to_handle_at .", name_to_handle_at(AT_FDCWD, ".", fh, &mount_id, 0), EPERM);
    /* a handle for inode 2 (the root of most file systems), the shocker's starting point */
    fh->handle_bytes = 8;
    fh->handle_type = 1;
    uint32_t ino[2] = {2, 0};
    memcpy(fh->f_handle, ino, sizeof(ino));
    int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long fd = open_by_handle_at(mfd, fh, O_RDONLY);
    int e = errno;
    step(&v, "open_by_handle_at inode 2", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    if (mfd >= 0)
        close(mfd);
    free(fh);
    return finish(&v);
}

static int case_namespaces(void)
{
    struct verdict v = VERDICT("refused");
    STEP(&v, "unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), EPERM);
    STEP(&v, "unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET), EPERM);
    STEP(&v, "unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS), EPERM);
    /* clone with namespace flags: a success is a child that exits at once */
    static const struct {
        const char *name;
        unsigned long flag;
    } fl[] = {{"clone(CLONE_NEWPID)", CLONE_NEWPID}, {"clone(CLONE_NEWUSER)", CLONE_NEWUSER},
              {"clone(CLONE_NEWNS)", CLONE_NEWNS}, {"clone(CLONE_NEWNET)", CLONE_NEWNET}};
    for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
        fflush(stdout);
        errno = 0;
        long pid = syscall(SYS_clone, fl[i].flag | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0)
            _exit(0);
        int e = errno;
        if (pid > 0)
            waitpid((pid_t)pid, NULL, 0);
        step(&v, fl[i].name, pid, e, ERRS(EPERM));
    }
    /* clone3 cannot be filtered by flag: refused as a whole, with ENOSYS so libc falls back */
    struct {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    } ca = {CLONE_NEWUSER, 0, 0, 0, SIGCHLD, 0, 0, 0};
    fflush(stdout);
    errno = 0;
    long pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid == 0)
        _exit(0);
    int e = errno;
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    step(&v, "clone3(CLONE_NEWUSER)", pid, e, ERRS(ENOSYS));
    return finish(&v);
}

/* setns: joining the init's mount namespace (the init is not dumpable, so /proc/1/ns refuses
 * with EACCES before setns is reached), and setns itself (seccomp, EPERM). */
static int case_setns(void)
{
    struct verdict v = VERDICT("refused");
    errno = 0;
    int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        step(&v, "open /proc/1/ns/mnt", -1, errno, ERRS(EACCES, EPERM));
    } else {
        STEP(&v, "setns /proc/1/ns/mnt", setns(fd, CLONE_NEWNS), EPERM);
        close(fd);
    }
    fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    control(&v, "open /proc/self/ns/mnt", fd, errno);
    if (fd >= 0) {
        STEP(&v, "setns /proc/self/ns/mnt", setns(fd, CLONE_NEWNS), EPERM);
        close(fd);
    }
    return finish(&v);
}

static int case_keyring(void)
{
    struct verdict v = VERDICT("refused");
    STEP(&v, "keyctl(GET_KEYRING_ID)", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0), EPERM);
    /* into the process keyring: private to this process, gone when it exits */
    STEP(&v, "add_key user key", syscall(SYS_add_key, "user", "nucleus-escape", "x", 1, KEY_SPEC_PROCESS_KEYRING), EPERM);
    STEP(&v, "request_key", syscall(SYS_request_key, "user", "nucleus-escape", NULL, 0), EPERM);
    return finish(&v);
}

static int case_bpf(void)
{
    struct verdict v = VERDICT("refused");
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
    int e = errno;
    step(&v, "bpf(BPF_MAP_CREATE)", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    return finish(&v);
}

static int case_io_uring(void)
{
    struct verdict v = VERDICT("refused");
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    long fd = syscall(SYS_io_uring_setup, 1, &p);
    int e = errno;
    step(&v, "io_uring_setup", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    STEP(&v, "io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0), EPERM);
    STEP(&v, "io_uring_register", syscall(SYS_io_uring_register, -1, 0, NULL, 0), EPERM);
    return finish(&v);
}

static int case_userfaultfd(void)
{
    struct verdict v = VERDICT("refused");
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    int e = errno;
    step(&v, "userfaultfd", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    return finish(&v);
}

static int case_perf_event(void)
{
    struct verdict v = VERDICT("refused");
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_SOFTWARE;
    a.size = sizeof(a);
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    int e = errno;
    step(&v, "perf_event_open (self, software clock)", fd, e, ERRS(EPERM));
    if (fd >= 0)
        close((int)fd);
    return finish(&v);
}

static int case_misc_syscalls(void)
{
    struct verdict v = VERDICT("refused");
    int old = personality(0xffffffff);
    errno = 0;
    long rc = personality(ADDR_NO_RANDOMIZE);
    /* personality returns the previous persona on success */
    step(&v, "personality(ADDR_NO_RANDOMIZE)", rc < 0 ? -1 : 0, errno, ERRS(EPERM));
    if (rc >= 0)
        personality((unsigned long)old);
    STEP(&v, "syslog(SIZE_BUFFER)", syscall(SYS_syslog, 10, NULL, 0), EPERM);
    STEP(&v, "finit_module(-1)", syscall(SYS_finit_module, -1, "", 0), EPERM);
    /* an undefined flag: a privileged caller gets EINVAL, never an unloaded kexec image */
    STEP(&v, "kexec_load (invalid flag)", syscall(SYS_kexec_load, 0, 0, NULL, 0x8000UL), EPERM);
    STEP(&v, "pidfd_getfd", syscall(SYS_pidfd_getfd, -1, 0, 0), EPERM);
    return finish(&v);
}

/* ------------------------------------------------------------------------------------------
 * Sockets and the network. */

static long try_socket(int domain, int type, int proto)
{
    long fd = socket(domain, type | SOCK_CLOEXEC, proto);
    if (fd >= 0) {
        int e = errno;
        close((int)fd);
        errno = e;
    }
    return fd;
}

static int case_socket(const char *which)
{
    struct verdict v = VERDICT("refused");
    if (strcmp(which, "vsock") == 0) {
        STEP(&v, "socket(AF_VSOCK, SOCK_STREAM)", try_socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
    } else if (strcmp(which, "packet") == 0) {
        STEP(&v, "socket(AF_PACKET, SOCK_RAW)", try_socket(AF_PACKET, SOCK_RAW, 0), EPERM);
        STEP(&v, "socket(AF_INET, SOCK_PACKET)", try_socket(AF_INET, SOCK_PACKET, 0), EPERM);
        /* garbage in the upper half of the family register: the kernel ignores it */
        long fd = syscall(SYS_socket, (1L << 32) | AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        int e = errno;
        step(&v, "socket(AF_PACKET | 1<<32)", fd, e, ERRS(EPERM));
        if (fd >= 0)
            close((int)fd);
    } else if (strcmp(which, "netlink") == 0) {
        STEP(&v, "socket(AF_NETLINK, NETLINK_ROUTE)", try_socket(AF_NETLINK, SOCK_RAW, 0), EPERM);
        STEP(&v, "socket(AF_NETLINK, NETLINK_NETFILTER)", try_socket(AF_NETLINK, SOCK_RAW, 12), EPERM);
    } else if (strcmp(which, "raw") == 0) {
        STEP(&v, "socket(AF_INET, SOCK_RAW, ICMP)", try_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
        STEP(&v, "socket(AF_INET, SOCK_RAW|SOCK_NONBLOCK)", try_socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_RAW), EPERM);
        STEP(&v, "socket(AF_INET6, SOCK_RAW, ICMPV6)", try_socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), EPERM);
    } else {
        return skip("unknown socket kind %s", which);
    }
    return finish(&v);
}

static long connect_in(int family, const char *ip, int port, int type, int *fd_out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&ss;
        s->sin_family = AF_INET;
        s->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, ip, &s->sin_addr);
        len = sizeof(*s);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, ip, &s->sin6_addr);
        len = sizeof(*s);
    }
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    long rc = connect(fd, (struct sockaddr *)&ss, len);
    int e = errno;
    if (fd_out != NULL && rc == 0) {
        *fd_out = fd;
    } else {
        close(fd);
    }
    errno = e;
    return rc;
}

/* tcp-host PORT: a listener the driver runs on the HOST's 127.0.0.1.  The pod's loopback is
 * its own (ECONNREFUSED), and Landlock denies TCP connect altogether (EACCES).  On the host
 * this is the control (it connects). */
static int case_tcp_host(char **argv)
{
    struct verdict v = VERDICT("refused");
    int fd = -1;
    char buf[16];
    errno = 0;
    long rc = connect_in(AF_INET, "127.0.0.1", atoi(argv[0]), SOCK_STREAM, &fd);
    if (rc == 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        note(&v, "connect 127.0.0.1:%s SUCCEEDED (%s)", argv[0], n > 0 ? "the host listener answered" : "no greeting");
        worsen(&v, ESCAPED);
        return finish(&v);
    }
    step(&v, "connect 127.0.0.1:PORT", rc, errno, ERRS(EACCES, ECONNREFUSED));
    return finish(&v);
}

/* udp-host PORT: the host's echoing UDP listener.  A connected UDP socket on the pod's own
 * loopback learns ECONNREFUSED (ICMP port unreachable) instead of an echo. */
static int case_udp_host(char **argv)
{
    struct verdict v = VERDICT("refused");
    int fd = -1;
    char buf[64];
    errno = 0;
    long rc = connect_in(AF_INET, "127.0.0.1", atoi(argv[0]), SOCK_DGRAM, &fd);
    if (rc < 0) {
        step(&v, "connect udp 127.0.0.1:PORT", rc, errno, ERRS(ECONNREFUSED));
        return finish(&v);
    }
    if (send(fd, "nucleus-escape", 14, 0) < 0) {
        step(&v, "send", -1, errno, ERRS(ECONNREFUSED));
    } else {
        errno = 0;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n > 0) {
            note(&v, "the host UDP listener echoed %zd bytes", n);
            worsen(&v, ESCAPED);
        } else {
            step(&v, "recv echo", -1, errno, ERRS(ECONNREFUSED));
        }
    }
    close(fd);
    return finish(&v);
}

/* net-out: the pod has no route anywhere (only lo): UDP gets ENETUNREACH (a single small
 * datagram would leave if it did not); TCP is denied by Landlock first (EACCES). */
static int case_net_out(void)
{
    struct verdict v = VERDICT("refused");
    static const char *const v4[] = {"8.8.8.8", "1.1.1.1", NULL};
    static const char dns_query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                    "\x07" "example" "\x03" "com" "\x00\x00\x01\x00\x01";
    char what[96];
    for (size_t i = 0; v4[i] != NULL; i++) {
        struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(53)};
        inet_pton(AF_INET, v4[i], &s.sin_addr);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        errno = 0;
        long rc = fd < 0 ? -1 : sendto(fd, dns_query, sizeof(dns_query) - 1, 0, (struct sockaddr *)&s, sizeof(s));
        snprintf(what, sizeof(what), "udp sendto %s:53", v4[i]);
        step(&v, what, rc, errno, ERRS(ENETUNREACH));
        if (fd >= 0)
            close(fd);
        snprintf(what, sizeof(what), "tcp connect %s:443", v4[i]);
        STEP(&v, what, connect_in(AF_INET, v4[i], 443, SOCK_STREAM, NULL), EACCES, ENETUNREACH);
    }
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
    inet_pton(AF_INET6, "2001:4860:4860::8888", &s6.sin6_addr);
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        errno = 0;
        long rc = sendto(fd, dns_query, sizeof(dns_query) - 1, 0, (struct sockaddr *)&s6, sizeof(s6));
        step(&v, "udp sendto [2001:4860:4860::8888]:53", rc, errno, ERRS(ENETUNREACH));
        close(fd);
        STEP(&v, "tcp connect [2606:4700:4700::1111]:443",
             connect_in(AF_INET6, "2606:4700:4700::1111", 443, SOCK_STREAM, NULL), EACCES, ENETUNREACH);
    } else {
        note(&v, "no IPv6 (socket: %s)", ename(errno));
    }
    return finish(&v);
}

/* tcp-bind: Landlock denies binding TCP ports, port 0 included (EACCES). */
static int case_tcp_bind(void)
{
    struct verdict v = VERDICT("refused");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = 0};
    s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    control(&v, "socket(AF_INET, SOCK_STREAM)", fd, errno);
    if (fd >= 0) {
        STEP(&v, "bind tcp 127.0.0.1:0", bind(fd, (struct sockaddr *)&s, sizeof(s)), EACCES);
        close(fd);
    }
    return finish(&v);
}

/* lo-selftest: positive control.  The pod's loopback is up (UDP to ourselves works), so the
 * refusals above are the namespace's, not a broken network stack. */
static int case_lo_selftest(void)
{
    struct verdict v = VERDICT("allowed");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(s);
    char buf[8];
    s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {2, 0};
    if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0 ||
        getsockname(fd, (struct sockaddr *)&s, &len) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        sendto(fd, "ping", 4, 0, (struct sockaddr *)&s, sizeof(s)) != 4 || recv(fd, buf, sizeof(buf), 0) != 4) {
        note(&v, "UDP over the pod's loopback failed: errno=%s", ename(errno));
        worsen(&v, UNEXPECTED);
    } else {
        note(&v, "UDP over the pod's loopback works (port %d)", ntohs(s.sin_port));
    }
    if (fd >= 0)
        close(fd);
    return finish(&v);
}

/* net-ifaces: only the loopback interface exists (read from /proc/net/dev, since netlink is
 * refused). */
static int case_net_ifaces(void)
{
    struct verdict v = VERDICT("refused");
    FILE *f = fopen("/proc/net/dev", "re");
    char line[512];
    int n = 0;
    if (f == NULL) {
        note(&v, "/proc/net/dev: errno=%s", ename(errno));
        worsen(&v, UNEXPECTED);
        return finish(&v);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        char *name = line;
        while (*name == ' ')
            name++;
        n++;
        if (strcmp(name, "lo") != 0) {
            note(&v, "interface %s is visible", name);
            worsen(&v, ESCAPED);
        }
    }
    fclose(f);
    if (n == 0) {
        note(&v, "no interface at all");
        worsen(&v, UNEXPECTED);
    } else if (v.worst == REFUSED) {
        note(&v, "only lo");
    }
    return finish(&v);
}

/* dns: name resolution finds nothing (no route to any resolver). */
static int case_dns(void)
{
    struct verdict v = VERDICT("refused");
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo("example.com", "443", &hints, &res);
    if (rc == 0) {
        note(&v, "getaddrinfo(example.com) resolved");
        freeaddrinfo(res);
        worsen(&v, ESCAPED);
    } else {
        note(&v, "getaddrinfo(example.com) failed: %s", gai_strerror(rc));
    }
    return finish(&v);
}

static long connect_unix(const char *name, bool abstract)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n + 2 > sizeof(a.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(a.sun_path + (abstract ? 1 : 0), name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 1 : 0));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    long rc = connect(fd, (struct sockaddr *)&a, len);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* abstract-host NAME: abstract unix sockets live in the network namespace (ECONNREFUSED);
 * Landlock's scope refuses connecting outside the domain too (EPERM). */
static int case_abstract_host(char **argv)
{
    struct verdict v = VERDICT("refused");
    STEP(&v, "connect @NAME", connect_unix(argv[0], true), ECONNREFUSED, EPERM);
    return finish(&v);
}

/* unix-host PATH...: pathname sockets on the host (the driver's listener, docker.sock, D-Bus)
 * are not in the pod's file system. */
static int case_unix_host(int argc, char **argv)
{
    struct verdict v = VERDICT("refused");
    char what[PATH_MAX + 16];
    for (int i = 0; i < argc; i++) {
        snprintf(what, sizeof(what), "connect %s", argv[i]);
        STEP(&v, what, connect_unix(argv[i], false), ENOENT);
    }
    return finish(&v);
}

/* ------------------------------------------------------------------------------------------
 * Terminals. */

/* tiocsti-pty: a pty that is our controlling terminal (where the kernel itself would accept
 * TIOCSTI with dev.tty.legacy_tiocsti=1): seccomp refuses TIOCSTI, also with garbage in the
 * upper half of the request, and TIOCLINUX/TIOCSETD.  In a child with its own session. */
static int case_tiocsti_pty(void)
{
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        return skip("fork: %s", ename(errno));
    if (c == 0) {
        struct verdict v = VERDICT("refused");
        signal(SIGHUP, SIG_IGN); /* closing our controlling pty at the end hangs us up */
        setsid();
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0)
            _exit(skip("no pty: /dev/ptmx: %s", ename(errno)));
        if (grantpt(m) < 0 || unlockpt(m) < 0)
            _exit(skip("no pty: unlockpt: %s", ename(errno)));
        const char *name = ptsname(m);
        int s = name != NULL ? open(name, O_RDWR | O_CLOEXEC) : -1;
        if (s < 0)
            _exit(skip("no pty: open slave: %s", ename(errno)));
        (void)ioctl(s, TIOCSCTTY, 0);
        char ch = ' ';
        STEP(&v, "TIOCSTI on our controlling pty", ioctl(s, TIOCSTI, &ch), EPERM);
        STEP(&v, "TIOCSTI | 1<<32", ioctl(s, (unsigned long)TIOCSTI | (1UL << 32), &ch), EPERM);
        STEP(&v, "TIOCSTI on the master", ioctl(m, TIOCSTI, &ch), EPERM);
        char sel[2] = {2, 0}; /* TIOCL_SETSEL-style subcode; refused before the kernel reads it */
        STEP(&v, "TIOCLINUX", ioctl(s, TIOCLINUX, sel), EPERM);
        int ldisc = 0; /* N_TTY, the default: harmless if accepted */
        STEP(&v, "TIOCSETD N_TTY", ioctl(s, TIOCSETD, &ldisc), EPERM);
        int r = finish(&v);
        close(s);
        close(m);
        _exit(r);
    }
    int st = 0;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : UNEXPECTED;
}

/* tiocsti-stdin: the caller's terminal, when the driver gives the pod one (script(1)).  The
 * command may keep it as its controlling terminal (then, with dev.tty.legacy_tiocsti=1, only
 * seccomp stands between it and the caller's shell); seccomp refuses with EPERM.  EIO is the
 * kernel's own answer where legacy TIOCSTI is switched off. */
static int case_tiocsti_stdin(void)
{
    struct verdict v = VERDICT("refused");
    if (!isatty(0))
        return skip("stdin is not a terminal");
    char ch = ' ';
    STEP(&v, "TIOCSTI on stdin", ioctl(0, TIOCSTI, &ch), EPERM, EIO);
    return finish(&v);
}

/* ------------------------------------------------------------------------------------------
 * Host-side helpers (run by the driver on the host, never in a pod). */

static void log_line(const char *dir, const char *what)
{
    char path[PATH_MAX];
    join(path, sizeof(path), dir, "log");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, what, strlen(what)) < 0) {
        }
        close(fd);
    }
}

/* host-listen DIR NAME LIFETIME: TCP and UDP listeners on 127.0.0.1 (ports written to
 * DIR/ports), an abstract unix socket @NAME and a pathname socket DIR/sock.  Each contact is
 * logged to DIR/log; TCP and unix peers get "hello\n", UDP datagrams are echoed.  Exits after
 * LIFETIME seconds whatever happens. */
static int host_listen(char **argv)
{
    const char *dir = argv[0], *name = argv[1];
    alarm((unsigned)atoi(argv[2]));
    int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int a = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), p = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = 0};
    s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(s);
    if (t < 0 || u < 0 || a < 0 || p < 0 || bind(t, (struct sockaddr *)&s, sizeof(s)) < 0 || listen(t, 16) < 0 ||
        bind(u, (struct sockaddr *)&s, sizeof(s)) < 0) {
        perror("host-listen: inet");
        return 2;
    }
    struct sockaddr_in st, su;
    len = sizeof(st);
    getsockname(t, (struct sockaddr *)&st, &len);
    len = sizeof(su);
    getsockname(u, (struct sockaddr *)&su, &len);
    struct sockaddr_un ua;
    memset(&ua, 0, sizeof(ua));
    ua.sun_family = AF_UNIX;
    snprintf(ua.sun_path + 1, sizeof(ua.sun_path) - 1, "%s", name);
    if (bind(a, (struct sockaddr *)&ua, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) < 0 ||
        listen(a, 16) < 0) {
        perror("host-listen: abstract");
        return 2;
    }
    memset(&ua, 0, sizeof(ua));
    ua.sun_family = AF_UNIX;
    join(ua.sun_path, sizeof(ua.sun_path), dir, "sock");
    if (bind(p, (struct sockaddr *)&ua, sizeof(ua)) < 0 || listen(p, 16) < 0) {
        perror("host-listen: unix");
        return 2;
    }
    char path[PATH_MAX], tmp[PATH_MAX], text[64];
    join(tmp, sizeof(tmp), dir, "ports.tmp");
    join(path, sizeof(path), dir, "ports");
    FILE *f = fopen(tmp, "we");
    if (f == NULL)
        return 2;
    fprintf(f, "%d %d\n", ntohs(st.sin_port), ntohs(su.sin_port));
    fclose(f);
    rename(tmp, path);
    for (;;) {
        struct pollfd pf[4] = {{t, POLLIN, 0}, {u, POLLIN, 0}, {a, POLLIN, 0}, {p, POLLIN, 0}};
        if (poll(pf, 4, -1) < 0)
            continue;
        for (int i = 0; i < 4; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            if (i == 1) {
                char buf[512];
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
                if (n > 0) {
                    sendto(u, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
                    log_line(dir, "udp\n");
                }
                continue;
            }
            int c = accept4(pf[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                if (write(c, "hello\n", 6) < 0) {
                }
                close(c);
                snprintf(text, sizeof(text), "%s\n", i == 0 ? "tcp" : i == 2 ? "abstract" : "unix");
                log_line(dir, text);
            }
        }
    }
}

/* host-sentinel TOKEN LIFETIME: a host process with TOKEN in its argv, to look for. */
static int host_sentinel(char **argv)
{
    alarm((unsigned)atoi(argv[1]));
    for (;;)
        pause();
    return 0; /* not reached: SIGALRM ends the process */
}

/* ------------------------------------------------------------------------------------------ */

struct probe_case {
    const char *name;
    int nargs; /* minimum number of arguments; -1: one or more */
    const char *usage;
};

static const struct probe_case cases[] = {
    {"write-outside", 1, "TOKEN"},
    {"host-paths", -1, "PATH..."},
    {"host-tmp", 2, "HOSTDIR MARKER"},
    {"inherited-fds", -1, "FD..."},
    {"etc-secrets", 0, ""},
    {"sys-absent", 0, ""},
    {"dev-write", 1, "TOKEN"},
    {"mknod", 1, "DIR"},
    {"mkfifo-outside", 0, ""},
    {"ws-readonly", 1, "TOKEN"},
    {"ws-write-allowed", 1, "TOKEN"},
    {"tmp-write-allowed", 0, ""},
    {"protected-write", 0, ""},
    {"protected-symlink", 0, ""},
    {"protected-hardlink", 0, ""},
    {"protected-dotdot", 0, ""},
    {"protected-proc-alias", 0, ""},
    {"protected-rename", 0, ""},
    {"protected-umount", 0, ""},
    {"gitdir-swap", 0, ""},
    {"protected-missing", -1, "PATH..."},
    {"read-secret", -1, "PATH..."},
    {"secret-alias", 0, ""},
    {"proc-pids", 2, "SENTINEL_PID TOKEN"},
    {"kill-sentinel", 1, "PID"},
    {"kill-init", 0, ""},
    {"ptrace", 0, ""},
    {"process-vm", 0, ""},
    {"nnp-caps", 0, "[LABEL]"},
    {"exec-caps", 0, ""},
    {"setuid-exec", 1, "PATH"},
    {"uid-check", 0, "[LABEL]"},
    {"fork-bomb", 0, ""},
    {"memory-bomb", 2, "LIMIT_MIB MAX_MIB"},
    {"tmpfs-bomb", 2, "LIMIT_MIB MAX_MIB"},
    {"daemonize", 4, "MARKER SECONDS stay|leave FLAGFILE"},
    {"sleeper", 3, "MARKER SECONDS FLAGFILE"},
    {"i386-abi", 0, ""},
    {"x32-abi", 0, ""},
    {"kernel-knobs", -1, "PATH..."},
    {"oom-adj", 0, ""},
    {"mount", 0, ""},
    {"open-by-handle", 0, ""},
    {"namespaces", 0, ""},
    {"setns", 0, ""},
    {"keyring", 0, ""},
    {"bpf", 0, ""},
    {"io-uring", 0, ""},
    {"userfaultfd", 0, ""},
    {"perf-event", 0, ""},
    {"misc-syscalls", 0, ""},
    {"socket-vsock", 0, ""},
    {"socket-packet", 0, ""},
    {"socket-netlink", 0, ""},
    {"socket-raw", 0, ""},
    {"tcp-host", 1, "PORT"},
    {"udp-host", 1, "PORT"},
    {"net-out", 0, ""},
    {"tcp-bind", 0, ""},
    {"lo-selftest", 0, ""},
    {"net-ifaces", 0, ""},
    {"dns", 0, ""},
    {"abstract-host", 1, "NAME"},
    {"unix-host", -1, "PATH..."},
    {"tiocsti-pty", 0, ""},
    {"tiocsti-stdin", 0, ""},
    {"host-listen", 3, "DIR NAME LIFETIME"},
    {"host-sentinel", 2, "TOKEN LIFETIME"},
};

static int dispatch(const char *c, int argc, char **argv)
{
    if (strcmp(c, "write-outside") == 0) return case_write_outside(argv);
    if (strcmp(c, "host-paths") == 0) return case_host_paths(argc, argv);
    if (strcmp(c, "host-tmp") == 0) return case_host_tmp(argv);
    if (strcmp(c, "inherited-fds") == 0) return case_inherited_fds(argc, argv);
    if (strcmp(c, "etc-secrets") == 0) return case_etc_secrets();
    if (strcmp(c, "sys-absent") == 0) return case_sys_absent();
    if (strcmp(c, "dev-write") == 0) return case_dev_write(argv);
    if (strcmp(c, "mknod") == 0) return case_mknod(argv);
    if (strcmp(c, "mkfifo-outside") == 0) return case_mkfifo_outside();
    if (strcmp(c, "ws-readonly") == 0) return case_ws_readonly(argv);
    if (strcmp(c, "ws-write-allowed") == 0) return case_ws_write_allowed(argv);
    if (strcmp(c, "tmp-write-allowed") == 0) return case_tmp_write_allowed();
    if (strcmp(c, "protected-write") == 0) return case_protected_write();
    if (strcmp(c, "protected-symlink") == 0) return case_protected_symlink();
    if (strcmp(c, "protected-hardlink") == 0) return case_protected_hardlink();
    if (strcmp(c, "protected-dotdot") == 0) return case_protected_dotdot();
    if (strcmp(c, "protected-proc-alias") == 0) return case_protected_proc_alias();
    if (strcmp(c, "protected-rename") == 0) return case_protected_rename();
    if (strcmp(c, "protected-umount") == 0) return case_protected_umount();
    if (strcmp(c, "gitdir-swap") == 0) return case_gitdir_swap();
    if (strcmp(c, "protected-missing") == 0) return case_protected_missing(argc, argv);
    if (strcmp(c, "read-secret") == 0) return case_read_secret(argc, argv);
    if (strcmp(c, "secret-alias") == 0) return case_secret_alias();
    if (strcmp(c, "proc-pids") == 0) return case_proc_pids(argv);
    if (strcmp(c, "kill-sentinel") == 0) return case_kill_sentinel(argv);
    if (strcmp(c, "kill-init") == 0) return case_kill_init();
    if (strcmp(c, "ptrace") == 0) return case_ptrace();
    if (strcmp(c, "process-vm") == 0) return case_process_vm();
    if (strcmp(c, "nnp-caps") == 0) return case_nnp_caps();
    if (strcmp(c, "exec-caps") == 0) return case_exec_caps();
    if (strcmp(c, "setuid-exec") == 0) return case_setuid_exec(argv);
    if (strcmp(c, "uid-check") == 0) return case_uid_check();
    if (strcmp(c, "fork-bomb") == 0) return case_fork_bomb();
    if (strcmp(c, "memory-bomb") == 0) return case_memory_bomb(argv);
    if (strcmp(c, "tmpfs-bomb") == 0) return case_tmpfs_bomb(argv);
    if (strcmp(c, "daemonize") == 0) return case_daemonize(argv);
    if (strcmp(c, "sleeper") == 0) return case_sleeper(argv);
    if (strcmp(c, "i386-abi") == 0) return case_i386_abi();
    if (strcmp(c, "x32-abi") == 0) return case_x32_abi();
    if (strcmp(c, "kernel-knobs") == 0) return case_kernel_knobs(argc, argv);
    if (strcmp(c, "oom-adj") == 0) return case_oom_adj();
    if (strcmp(c, "mount") == 0) return case_mount();
    if (strcmp(c, "open-by-handle") == 0) return case_open_by_handle();
    if (strcmp(c, "namespaces") == 0) return case_namespaces();
    if (strcmp(c, "setns") == 0) return case_setns();
    if (strcmp(c, "keyring") == 0) return case_keyring();
    if (strcmp(c, "bpf") == 0) return case_bpf();
    if (strcmp(c, "io-uring") == 0) return case_io_uring();
    if (strcmp(c, "userfaultfd") == 0) return case_userfaultfd();
    if (strcmp(c, "perf-event") == 0) return case_perf_event();
    if (strcmp(c, "misc-syscalls") == 0) return case_misc_syscalls();
    if (strncmp(c, "socket-", 7) == 0) return case_socket(c + 7);
    if (strcmp(c, "tcp-host") == 0) return case_tcp_host(argv);
    if (strcmp(c, "udp-host") == 0) return case_udp_host(argv);
    if (strcmp(c, "net-out") == 0) return case_net_out();
    if (strcmp(c, "tcp-bind") == 0) return case_tcp_bind();
    if (strcmp(c, "lo-selftest") == 0) return case_lo_selftest();
    if (strcmp(c, "net-ifaces") == 0) return case_net_ifaces();
    if (strcmp(c, "dns") == 0) return case_dns();
    if (strcmp(c, "abstract-host") == 0) return case_abstract_host(argv);
    if (strcmp(c, "unix-host") == 0) return case_unix_host(argc, argv);
    if (strcmp(c, "tiocsti-pty") == 0) return case_tiocsti_pty();
    if (strcmp(c, "tiocsti-stdin") == 0) return case_tiocsti_stdin();
    if (strcmp(c, "host-listen") == 0) return host_listen(argv);
    if (strcmp(c, "host-sentinel") == 0) return host_sentinel(argv);
    return -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: probe CASE [ARGS...]\ncases:\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        fprintf(stderr, "  %s %s\n", cases[i].name, cases[i].usage);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return UNEXPECTED;
    }
    const char *c = argv[1];
    const struct probe_case *pc = NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (strcmp(cases[i].name, c) == 0)
            pc = &cases[i];
    if (pc == NULL) {
        fprintf(stderr, "probe: unknown case '%s'\n", c);
        usage();
        return UNEXPECTED;
    }
    int nargs = argc - 2;
    if ((pc->nargs >= 0 && nargs < pc->nargs) || (pc->nargs < 0 && nargs < 1)) {
        fprintf(stderr, "usage: probe %s %s\n", pc->name, pc->usage);
        return UNEXPECTED;
    }
    g_case = c;
    /* nnp-caps and uid-check report under the label of the case that exec'ed them */
    if ((strcmp(c, "nnp-caps") == 0 || strcmp(c, "uid-check") == 0) && nargs >= 1)
        g_case = argv[2];
    signal(SIGPIPE, SIG_IGN);
    return dispatch(c, nargs, argv + 2);
}
