/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock rules of the pod (src/sandbox/landlock.h), tested against the kernel.
 *
 * Each test builds a temporary tree under /tmp (ro/, rw/, single-file rules, and files outside
 * both), forks a child that sets no_new_privs, prepares what must exist before the
 * restriction (a TCP listener on 127.0.0.1, an abstract unix socket), applies a spec and then
 * checks what the kernel allows; the parent removes the tree.  The child prints each failed
 * check on stderr and exits with their count.  Probes stay on our own files, our own loopback
 * listener and signal 0 to our parent.
 *
 * Without Landlock (ABI 0) the whole program reports a TAP skip-all ("1..0 # SKIP ...").
 * Parts a kernel's ABI lacks (TCP rules before ABI 4, scopes before ABI 6) are checked the
 * other way round: nc_landlock_apply must then report them as not applied, and a "# note"
 * line says so. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sandbox/landlock.h"
#include "rmtree.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PATH_LEN 256

struct tree {
    char root[PATH_LEN];
    char ro[PATH_LEN], ro_file[PATH_LEN];
    char rw[PATH_LEN], rw_file[PATH_LEN], rw_sub[PATH_LEN];
    char file_rule_ro[PATH_LEN], file_rule_rw[PATH_LEN]; /* rules naming a regular file */
    char outside[PATH_LEN];
    char missing[PATH_LEN];
};

static int abi_now; /* nc_landlock_abi() at start */

/* ---- the temporary tree (parent side) -------------------------------------------------- */

static void join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_LEN, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_LEN);
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
}

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    (void)snprintf(t->root, sizeof(t->root), "/tmp/nc-test-landlock-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    join(t->ro, t->root, "ro");
    join(t->ro_file, t->ro, "file.txt");
    join(t->rw, t->root, "rw");
    join(t->rw_file, t->rw, "file.txt");
    join(t->rw_sub, t->rw, "sub");
    join(t->file_rule_ro, t->root, "ro-file.txt");
    join(t->file_rule_rw, t->root, "rw-file.txt");
    join(t->outside, t->root, "outside.txt");
    join(t->missing, t->root, "missing");
    assert_int_equal(mkdir(t->ro, 0755), 0);
    assert_int_equal(mkdir(t->rw, 0755), 0);
    assert_int_equal(mkdir(t->rw_sub, 0755), 0);
    write_file(t->ro_file, "read-only\n");
    write_file(t->rw_file, "read-write\n");
    write_file(t->file_rule_ro, "file rule, read-only\n");
    write_file(t->file_rule_rw, "file rule, read-write\n");
    write_file(t->outside, "outside\n");
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    if (t != NULL) {
        (void)nc_test_rm_tree(t->root);
        free(t);
    }
    return 0;
}

/* ---- the child side ------------------------------------------------------------------ */

static int fails;

static void check(bool ok, const char *what, int got_errno)
{
    if (!ok) {
        dprintf(STDERR_FILENO, "FAILED: %s (errno %d: %s)\n", what, got_errno,
                strerror(got_errno));
        fails++;
    }
}

/* rc >= 0 expected */
static void expect_ok(long rc, const char *what)
{
    int e = errno;
    check(rc >= 0, what, rc >= 0 ? 0 : e);
}

/* rc < 0 with errno e1 or e2 expected */
static void expect_err(long rc, int e1, int e2, const char *what)
{
    int e = errno;
    check(rc < 0 && (e == e1 || e == e2), what, rc < 0 ? e : 0);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    dprintf(STDOUT_FILENO, "# note: %s\n", buf);
}

static long open_close(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd >= 0)
        (void)close(fd);
    return fd;
}

static long read_file(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf));
    int e = errno;
    (void)close(fd);
    errno = e;
    return n;
}

static long list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    (void)closedir(d);
    return 0;
}

static long run_true(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *const argv[] = {(char *)"true", NULL};
        execve("/bin/true", argv, environ);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    errno = EACCES; /* execve failed in the grandchild: report it as a denial */
    return -1;
}

/* A TCP listener on 127.0.0.1, port chosen by the kernel.  Returns the port, or 0. */
static int tcp_listener(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 4) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return 0;
    return ntohs(a.sin_port); /* the socket stays open until the child exits */
}

static long tcp_connect(int port)
{
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long rc = connect(s, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    (void)close(s);
    errno = e;
    return rc;
}

static long tcp_bind_any_port(void)
{
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long rc = bind(s, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    (void)close(s);
    errno = e;
    return rc;
}

/* An abstract unix socket address unique to this process. */
static socklen_t abstract_addr(struct sockaddr_un *a)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "nc-test-landlock-%d",
                     (int)getpid());
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static bool abstract_listener(void)
{
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return s >= 0 && bind(s, (struct sockaddr *)&a, len) == 0 && listen(s, 4) == 0;
}

static long abstract_connect(void)
{
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    long rc = connect(s, (struct sockaddr *)&a, len);
    int e = errno;
    (void)close(s);
    errno = e;
    return rc;
}

static void child_default_signals(void)
{
    /* cmocka's handlers would run the rest of the suite inside the child after a crash */
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        (void)signal(sigs[i], SIG_DFL);
}

/* Runs body(t, arg) in a child and asserts it reported no failure. */
typedef void (*child_body)(const struct tree *t, int arg);

static void in_child(const struct tree *t, child_body body, int arg)
{
    (void)fflush(stdout);
    (void)fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        fails = 0;
        body(t, arg);
        _exit(fails > 100 ? 100 : fails);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        assert_int_equal(errno, EINTR);
    if (WIFSIGNALED(st))
        fail_msg("child killed by signal %d", WTERMSIG(st));
    if (WEXITSTATUS(st) != 0)
        fail_msg("%d check(s) failed in the child (see stderr)", WEXITSTATUS(st));
}

/* no_new_privs, then the spec; a failure to apply counts and ends the child. */
static void child_apply(const struct nc_landlock_spec *spec, int *abi, bool *net, bool *scope)
{
    struct nc_err err;
    nc_err_clear(&err);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        check(false, "PR_SET_NO_NEW_PRIVS", errno);
        _exit(fails);
    }
    if (nc_landlock_apply(spec, abi, net, scope, &err) != 0) {
        dprintf(STDERR_FILENO, "FAILED: nc_landlock_apply: %s\n", err.msg);
        _exit(fails + 1);
    }
    check(*abi == abi_now, "reported ABI is the kernel's", 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void abi_query(void **state)
{
    (void)state;
    long raw = syscall(SYS_landlock_create_ruleset, NULL, (size_t)0, 1U);
    assert_true(raw > 0);
    assert_int_equal(nc_landlock_abi(), (int)raw);
    print_message("# Landlock ABI %d\n", nc_landlock_abi());
}

static void fs_body(const struct tree *t, int arg)
{
    (void)arg;
    const char *ro[] = {t->ro, t->file_rule_ro, "/usr", "/lib", "/lib64", "/bin", "/etc",
                        t->missing, NULL};
    const char *rw[] = {t->rw, t->file_rule_rw, NULL};
    struct nc_landlock_spec spec = {.ro = ro, .rw = rw, .deny_tcp = false, .scope = false};
    int abi = -1;
    bool net = true, scope = true;
    char path[PATH_LEN], path2[PATH_LEN];

    int port = tcp_listener();
    check(port != 0, "TCP listener before restricting", errno);
    child_apply(&spec, &abi, &net, &scope);
    check(!net && !scope, "net and scope reported not applied when not asked for", 0);

    /* read-only tree */
    expect_ok(read_file(t->ro_file), "read a file in ro");
    expect_ok(list_dir(t->ro), "list ro");
    expect_err(open_close(t->ro_file, O_WRONLY), EACCES, EACCES, "open for writing in ro");
    join(path, t->ro, "new.txt");
    expect_err(open_close(path, O_WRONLY | O_CREAT), EACCES, EACCES, "create a file in ro");
    join(path, t->ro, "dir");
    expect_err(mkdir(path, 0755), EACCES, EACCES, "mkdir in ro");
    expect_err(unlink(t->ro_file), EACCES, EACCES, "unlink in ro");
    if (abi >= 3)
        expect_err(truncate(t->ro_file, 0), EACCES, EACCES, "truncate in ro");
    else
        note("ABI %d has no TRUNCATE right: truncate(2) not checked", abi);

    /* read-write tree */
    join(path, t->rw, "new.txt");
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    expect_ok(fd, "create a file in rw");
    if (fd >= 0) {
        expect_ok(write(fd, "x", 1), "write it");
        expect_ok(ftruncate(fd, 0), "truncate it");
        (void)close(fd);
    }
    expect_ok(unlink(path), "unlink it");
    join(path, t->rw, "dir");
    expect_ok(mkdir(path, 0755), "mkdir in rw");
    expect_ok(rmdir(path), "rmdir in rw");
    expect_ok(read_file(t->rw_file), "read a file in rw");

    /* single-file rules: only file rights were granted, or the kernel would have refused */
    expect_ok(read_file(t->file_rule_ro), "read a file named by an ro rule");
    expect_err(open_close(t->file_rule_ro, O_WRONLY), EACCES, EACCES,
               "write a file named by an ro rule");
    expect_ok(open_close(t->file_rule_rw, O_RDWR | O_APPEND), "write a file named by an rw rule");

    /* outside both */
    expect_err(read_file(t->outside), EACCES, EACCES, "read a file outside");
    expect_err(list_dir(t->root), EACCES, EACCES, "list the directory above");
    expect_err(read_file("/root/.profile"), EACCES, ENOENT, "read a file in /root");

    /* moving across the boundary: the destination lacks MAKE_REG (EACCES) and would widen
     * the file's rights (EXDEV) */
    join(path, t->ro, "moved.txt");
    expect_err(rename(t->rw_file, path), EACCES, EXDEV, "rename from rw into ro");
    expect_err(link(t->rw_file, path), EACCES, EXDEV, "link from rw into ro");
    join(path, t->rw, "from-ro.txt");
    expect_err(rename(t->ro_file, path), EACCES, EXDEV, "rename from ro into rw");
    /* within rw: allowed from ABI 2 (REFER); ABI 1 always refuses reparenting */
    join(path2, t->rw_sub, "file.txt");
    if (abi >= 2)
        expect_ok(rename(t->rw_file, path2), "rename between directories inside rw");
    else
        expect_err(rename(t->rw_file, path2), EXDEV, EXDEV, "rename inside rw on ABI 1");

    /* programs still run from the read-only system directories */
    expect_ok(run_true(), "execute /bin/true");

    /* not asked for: TCP and signals unaffected */
    if (port != 0)
        expect_ok(tcp_connect(port), "TCP connect when deny_tcp is false");
    expect_ok(kill(getppid(), 0), "signal 0 to the parent when scope is false");
}

static void fs_rules(void **state)
{
    in_child(*state, fs_body, 0);
}

static void tcp_body(const struct tree *t, int arg)
{
    (void)arg;
    const char *ro[] = {"/usr", "/lib", "/lib64", "/bin", "/etc", NULL};
    const char *rw[] = {t->rw, NULL};
    struct nc_landlock_spec spec = {.ro = ro, .rw = rw, .deny_tcp = true, .scope = false};
    int abi = -1;
    bool net = false, scope = true;

    int port = tcp_listener();
    check(port != 0, "TCP listener before restricting", errno);
    child_apply(&spec, &abi, &net, &scope);
    check(!scope, "scope reported not applied when not asked for", 0);
    if (abi < 4) {
        check(!net, "TCP rules reported not applied before ABI 4", 0);
        note("ABI %d has no TCP rules: only the report was checked", abi);
        return;
    }
    check(net, "TCP rules reported applied", 0);
    expect_err(tcp_connect(port), EACCES, EACCES, "TCP connect to 127.0.0.1");
    expect_err(tcp_bind_any_port(), EACCES, EACCES, "TCP bind on 127.0.0.1");
    /* unix sockets are not TCP */
    int sv[2];
    expect_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "unix socketpair");
}

static void tcp_denied(void **state)
{
    in_child(*state, tcp_body, 0);
}

static void scope_body(const struct tree *t, int arg)
{
    (void)arg;
    const char *ro[] = {"/usr", "/lib", "/lib64", "/bin", "/etc", NULL};
    const char *rw[] = {t->rw, NULL};
    struct nc_landlock_spec spec = {.ro = ro, .rw = rw, .deny_tcp = false, .scope = true};
    int abi = -1;
    bool net = true, scope = false;

    bool listening = abstract_listener();
    check(listening, "abstract unix listener before restricting", errno);
    child_apply(&spec, &abi, &net, &scope);
    check(!net, "TCP rules reported not applied when not asked for", 0);
    if (abi < 6) {
        check(!scope, "scopes reported not applied before ABI 6", 0);
        note("ABI %d has no scopes: only the report was checked", abi);
        return;
    }
    check(scope, "scopes reported applied", 0);
    /* signal 0 only: checks permission, delivers nothing */
    expect_err(kill(getppid(), 0), EPERM, EPERM, "signal the parent (outside the domain)");
    expect_ok(kill(getpid(), 0), "signal ourselves (inside the domain)");
    if (listening)
        expect_err(abstract_connect(), EPERM, EPERM,
                   "connect to an abstract socket created before restricting");
}

static void scopes(void **state)
{
    in_child(*state, scope_body, 0);
}

static void empty_body(const struct tree *t, int arg)
{
    (void)arg;
    struct nc_landlock_spec spec = {.ro = NULL, .rw = NULL, .deny_tcp = false, .scope = false};
    int abi = -1;
    bool net, scope;
    child_apply(&spec, &abi, &net, &scope);
    expect_err(read_file(t->outside), EACCES, EACCES, "read anything with an empty spec");
    expect_err(read_file("/etc/passwd"), EACCES, EACCES, "read /etc/passwd with an empty spec");
}

/* No lists at all is valid, and denies every handled access. */
static void empty_spec_denies_everything(void **state)
{
    in_child(*state, empty_body, 0);
}

static void bad_path_body(const struct tree *t, int arg)
{
    char through_file[PATH_LEN];
    const char *ro[] = {"/usr", through_file, NULL};
    struct nc_landlock_spec spec = {.ro = ro, .rw = NULL, .deny_tcp = false, .scope = false};
    struct nc_err err;
    int abi = -1;
    bool net = true, scope = true;
    (void)arg;
    join(through_file, t->file_rule_ro, "x"); /* a path through a regular file: ENOTDIR */
    nc_err_clear(&err);
    check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS", errno);
    check(nc_landlock_apply(&spec, &abi, &net, &scope, &err) == -1, "apply fails", 0);
    check(err.code == ENOTDIR && err.msg[0] != '\0', "with ENOTDIR and a message", err.code);
    check(abi == 0 && !net && !scope, "and reports nothing applied", 0);
    expect_ok(read_file(t->outside), "and restricts nothing");
    check(nc_landlock_apply(NULL, &abi, &net, &scope, &err) == -1 && err.code == EINVAL,
          "a NULL spec is EINVAL", err.code);
}

/* A path that exists but cannot be opened is an error, not a silent skip (only ENOENT is). */
static void bad_path_fails_closed(void **state)
{
    in_child(*state, bad_path_body, 0);
}

static void no_nnp_body(const struct tree *t, int arg)
{
    const char *ro[] = {"/usr", NULL};
    struct nc_landlock_spec spec = {.ro = ro, .rw = NULL, .deny_tcp = false, .scope = false};
    struct nc_err err;
    int abi = -1;
    bool net = true, scope = true;
    (void)t;
    (void)arg;
    /* CAP_SYS_ADMIN (in one's user namespace) replaces no_new_privs for the kernel: clear the
     * effective set, which works for root, for root in a user namespace, and is a no-op for
     * an unprivileged user */
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0) {
        check(false, "capget", errno);
        return;
    }
    for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        data[i].effective = 0;
    if (syscall(SYS_capset, &hdr, data) != 0) {
        check(false, "capset", errno);
        return;
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) {
        note("no_new_privs is already set in the test process: "
             "the refusal cannot be observed");
        return;
    }
    nc_err_clear(&err);
    check(nc_landlock_apply(&spec, &abi, &net, &scope, &err) == -1, "apply fails", 0);
    check(err.code == EPERM && err.msg[0] != '\0', "with EPERM and a message", err.code);
    check(abi == 0 && !net && !scope, "and reports nothing applied", 0);
    expect_ok(read_file("/etc/passwd"), "and restricts nothing");
}

/* Without no_new_privs and without CAP_SYS_ADMIN the kernel refuses; we must say so. */
static void requires_no_new_privs(void **state)
{
    in_child(*state, no_nnp_body, 0);
}

int main(void)
{
    abi_now = nc_landlock_abi();
    if (abi_now == 0) {
        /* A TAP skip-all: meson counts it as skipped.  (cmocka 1.1.5 prints a skipped
         * test as "not ok N # SKIP", which meson counts as a failure.) */
        printf("1..0 # SKIP Landlock is not available (nc_landlock_abi() == 0: no kernel "
               "support, disabled at boot, or blocked by an outer seccomp filter)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abi_query),
        cmocka_unit_test_setup_teardown(fs_rules, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(tcp_denied, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(scopes, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(empty_spec_denies_everything, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(bad_path_fails_closed, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(requires_no_new_privs, tree_setup, tree_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
