/* SPDX-License-Identifier: Apache-2.0 */
/* The doctor's probes (src/sandbox/probe.h) against the machine they run on.
 *
 * A probe must say what the kernel really does, so each one is compared with a control: the
 * same system call made directly here (in a forked child where it could restrict or change
 * the test process).  The cgroup prediction is compared with what nc_cgroup_create really
 * gets.  The explanations of a failing user namespace are checked against fake /proc trees
 * (AppArmor, Debian's sysctl, max_user_namespaces = 0, container hints).  Last, the failure
 * paths are forced the way crun's CI does it: the probes run under a seccomp filter that makes
 * Landlock, openat2, pidfd_open, mount_setattr and new user namespaces fail, and must then
 * report them missing with the right fix and an overall "not ready". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sandbox/cgroup.h"
#include "sandbox/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- controls: the real thing, in a child -------------------------------------------- */

/* Runs fn in a child that exits with its return value (0 = worked, else an errno). */
static int control(int (*fn)(void))
{
    int st = 0;
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        _exit(fn() & 0xff);
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int ctl_userns(void)
{
    return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
}

static int ctl_userns_nobody(void)
{
    if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
        setresuid(65534, 65534, 65534) < 0)
        return 254;
    return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
}

/* Each namespace type as the pod gets it: inside a new user namespace, or (as root when no
 * user namespace can be made) on its own. */
static int ns_flag;
static int ctl_ns(void)
{
    if (unshare(CLONE_NEWUSER | ns_flag) == 0)
        return 0;
    if (geteuid() == 0 && unshare(ns_flag) == 0)
        return 0;
    return errno;
}

static int ctl_seccomp(void)
{
    struct sock_filter insns[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {.len = 1, .filter = insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : errno;
}

static int ctl_openat2(void)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
    long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
    return fd >= 0 ? 0 : errno;
}

static const struct nc_probe_result *find(const struct nc_probe_report *rep, const char *name)
{
    const struct nc_probe_result *r = nc_probe_find(rep, name);
    if (r == NULL)
        fail_msg("no check named %s", name);
    return r;
}

static struct nc_probe_report *report;

static int setup_report(void **state)
{
    (void)state;
    report = calloc(1, sizeof(*report));
    if (report == NULL)
        return -1;
    nc_probe_run(report);
    return 0;
}

static int teardown_report(void **state)
{
    (void)state;
    free(report);
    report = NULL;
    return 0;
}

/* ---- the report as a whole -------------------------------------------------------------- */

/* What --json prints comes from these fields: each result is complete and consistent. */
static void report_fields(void **state)
{
    static const char *const expected[] = {
        "environment", "userns", "mount-ns", "pid-ns", "net-ns", "ipc-ns", "uts-ns",
        "cgroup-ns", "landlock", "seccomp", "seccomp-notify", "openat2", "pidfd_open",
        "mount_setattr", "cgroup", "nft",
    };
    (void)state;
    assert_true(report->n >= N_ELEMS(expected));
    assert_true(report->n <= NC_PROBE_MAX);
    for (size_t i = 0; i < N_ELEMS(expected); i++)
        (void)find(report, expected[i]);
    assert_int_equal(nc_probe_find(report, "userns-unprivileged") != NULL,
                     report->host.root && report->host.cap_setid);
    bool ready = true;
    for (size_t i = 0; i < report->n; i++) {
        const struct nc_probe_result *r = &report->check[i];
        assert_non_null(r->name);
        assert_true(r->name[0] != '\0');
        assert_true(r->detail[0] != '\0');
        assert_true(r->status == NC_PROBE_OK || r->status == NC_PROBE_DEGRADED ||
                    r->status == NC_PROBE_MISSING);
        if (r->status != NC_PROBE_OK && r->fix[0] == '\0')
            fail_msg("%s is %s without a fix", r->name, nc_probe_status_name(r->status));
        if (r->required && r->status != NC_PROBE_OK)
            ready = false;
        printf("# %-20s %-8s %s\n", r->name, nc_probe_status_name(r->status), r->detail);
    }
    assert_int_equal(report->ready, ready);
    if (ready) {
        assert_int_equal(report->missing, 0);
        assert_int_equal(report->allow, 0);
    }
    assert_string_equal(nc_probe_status_name(NC_PROBE_OK), "ok");
    assert_string_equal(nc_probe_status_name(NC_PROBE_DEGRADED), "degraded");
    assert_string_equal(nc_probe_status_name(NC_PROBE_MISSING), "missing");
}

static void landlock_matches_syscall(void **state)
{
    (void)state;
    long v = syscall(SYS_landlock_create_ruleset, NULL, (size_t)0,
                     (uint32_t)LANDLOCK_CREATE_RULESET_VERSION);
    int e = 0, abi = nc_probe_landlock_abi(&e);
    const struct nc_probe_result *r = find(report, "landlock");
    char want[32];

    if (v < 0) {
        assert_int_equal(abi, 0);
        assert_int_equal(e, errno);
        assert_int_equal(r->status, NC_PROBE_MISSING);
        assert_non_null(strstr(r->fix, "landlock"));
        return;
    }
    assert_true(v >= 1);
    assert_int_equal(abi, v);
    assert_int_equal(e, 0);
    assert_int_equal(report->landlock_abi, v);
    snprintf(want, sizeof(want), "ABI %ld", v);
    assert_non_null(strstr(r->detail, want));
    assert_int_equal(r->status, v >= 6 ? NC_PROBE_OK : NC_PROBE_DEGRADED);
    if (v < 6)
        assert_non_null(strstr(r->fix, "--allow-degraded=landlock"));
    if (v >= 7)
        assert_non_null(strstr(r->detail, "audit"));
}

static void userns_matches_control(void **state)
{
    (void)state;
    int c = control(ctl_userns);
    const struct nc_probe_result *r = find(report, "userns");
    printf("# unshare(CLONE_NEWUSER) directly: %s\n", c == 0 ? "works" : strerror(c));
    assert_int_equal(r->status == NC_PROBE_OK, c == 0);
    if (report->host.root && c == 0)
        assert_int_equal(r->status, NC_PROBE_OK); /* root on this kind of host: must work */
    if (r->status != NC_PROBE_OK && report->host.root)
        assert_non_null(strstr(r->fix, "--allow-degraded=userns"));
}

static void userns_unprivileged_matches_control(void **state)
{
    (void)state;
    if (!report->host.root || !report->host.cap_setid)
        skip(); /* needs root to become nobody */
    int c = control(ctl_userns_nobody);
    const struct nc_probe_result *r = find(report, "userns-unprivileged");
    assert_int_not_equal(c, 254);
    assert_int_equal(r->status == NC_PROBE_OK, c == 0);
    assert_false(r->required);
}

static void namespaces_match_control(void **state)
{
    static const struct {
        const char *name;
        int flag;
    } types[] = {
        {"mount-ns", CLONE_NEWNS}, {"pid-ns", CLONE_NEWPID},   {"net-ns", CLONE_NEWNET},
        {"ipc-ns", CLONE_NEWIPC},  {"uts-ns", CLONE_NEWUTS},   {"cgroup-ns", CLONE_NEWCGROUP},
    };
    (void)state;
    for (size_t i = 0; i < N_ELEMS(types); i++) {
        const struct nc_probe_result *r = find(report, types[i].name);
        ns_flag = types[i].flag;
        int c = control(ctl_ns);
        assert_true(r->required);
        if (r->skipped) {
            /* not tried because the user namespace failed */
            assert_int_not_equal(find(report, "userns")->status, NC_PROBE_OK);
            continue;
        }
        /* The probe never claims more than the kernel gives ... */
        if (c != 0 && r->status == NC_PROBE_OK)
            fail_msg("%s: probe says ok, unshare says %s", types[i].name, strerror(c));
        /* ... and where it reports less, the failure is in a step past unshare (a tmpfs or
         * /proc mount, bringing up lo) that the control does not make. */
        if (c == 0 && r->status != NC_PROBE_OK && strncmp(r->detail, "unshare(", 8) == 0)
            fail_msg("%s: unshare works here, but the probe says: %s", types[i].name, r->detail);
    }
}

static void seccomp_matches_control(void **state)
{
    (void)state;
    int c = control(ctl_seccomp);
    assert_int_equal(find(report, "seccomp")->status == NC_PROBE_OK, c == 0);
}

static void openat2_matches_control(void **state)
{
    (void)state;
    int c = control(ctl_openat2);
    const struct nc_probe_result *r = find(report, "openat2");
    assert_int_equal(r->status == NC_PROBE_OK, c == 0);
    assert_true(r->required);
    if (c == ENOSYS)
        assert_non_null(strstr(r->detail, "5.6"));
}

static void info_syscalls_match(void **state)
{
    (void)state;
    long fd = syscall(SYS_pidfd_open, getpid(), 0);
    int pe = errno;
    if (fd >= 0)
        close((int)fd);
    assert_int_equal(find(report, "pidfd_open")->status == NC_PROBE_OK, fd >= 0);
    (void)pe;
    long rc = syscall(SYS_mount_setattr, -1, "", 0, NULL, (size_t)0);
    assert_int_equal(find(report, "mount_setattr")->status == NC_PROBE_OK,
                     rc < 0 && errno == EINVAL);
    assert_false(find(report, "pidfd_open")->required);
    assert_false(find(report, "mount_setattr")->required);
    assert_false(find(report, "nft")->required);
    assert_false(find(report, "seccomp-notify")->required);
}

/* The prediction must be what nc_cgroup_create really gets (and pod.c's rlimit fallback). */
static void cgroup_matches_cgroup_c(void **state)
{
    struct nc_cgroup cg;
    char name[64];
    (void)state;
    snprintf(name, sizeof(name), "nucleus-test-probe-%d", (int)getpid());
    nc_cgroup_create(&cg, name, 100, 64u * 1024u * 1024u);
    enum nc_limit_holder pids = cg.pids != NC_LIMIT_NONE ? cg.pids : NC_LIMIT_RLIMIT;
    enum nc_limit_holder mem = cg.memory != NC_LIMIT_NONE ? cg.memory : NC_LIMIT_RLIMIT;
    nc_cgroup_destroy(&cg);
    printf("# cgroup.c: pids by %s, memory by %s; layout %s\n", nc_limit_holder_name(pids),
           nc_limit_holder_name(mem), nc_cgroup_layout_name(report->cgroup.layout));
    assert_int_equal(report->cgroup.pids, pids);
    assert_int_equal(report->cgroup.memory, mem);
    const struct nc_probe_result *r = find(report, "cgroup");
    assert_false(r->required);
    assert_int_equal(r->status, pids == NC_LIMIT_RLIMIT || mem == NC_LIMIT_RLIMIT
                                    ? NC_PROBE_DEGRADED : NC_PROBE_OK);
    /* and the test cgroup of the probe is gone */
    char path[128];
    struct stat st;
    snprintf(path, sizeof(path), "/sys/fs/cgroup/pids/nucleus-doctor-%d", (int)getpid());
    assert_int_not_equal(stat(path, &st), 0);
}

/* ---- explanations, from fake /proc trees ---------------------------------------------- */

static char fake_root[64];

static void put_file(const char *rel, const char *text)
{
    char path[256], dir[256];
    snprintf(path, sizeof(path), "%s%s", fake_root, rel);
    /* create the parent directories */
    for (char *p = path + strlen(fake_root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        snprintf(dir, sizeof(dir), "%.*s", (int)(p - path), path);
        (void)mkdir(dir, 0755);
    }
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int setup_fake(void **state)
{
    (void)state;
    snprintf(fake_root, sizeof(fake_root), "/tmp/nc-probe-test-XXXXXX");
    return mkdtemp(fake_root) != NULL ? 0 : -1;
}

static int teardown_fake(void **state)
{
    (void)state;
    /* small fixed tree: remove what put_file may have created */
    static const char *const files[] = {
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        "/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces",
        "/proc/self/status", "/proc/self/uid_map", "/proc/1/cgroup", "/.dockerenv", "/sys/kernel/security/lsm",
    };
    static const char *const dirs[] = {
        "/proc/sys/kernel", "/proc/sys/user", "/proc/sys", "/proc/self", "/proc/1", "/proc",
        "/sys/kernel/security", "/sys/kernel", "/sys", "",
    };
    char path[256];
    for (size_t i = 0; i < N_ELEMS(files); i++) {
        snprintf(path, sizeof(path), "%s%s", fake_root, files[i]);
        (void)unlink(path);
    }
    for (size_t i = 0; i < N_ELEMS(dirs); i++) {
        snprintf(path, sizeof(path), "%s%s", fake_root, dirs[i]);
        (void)rmdir(path);
    }
    return 0;
}

/* One group (one TAP plan): the live report and the fake tree are made once. */
static int setup(void **state)
{
    return setup_report(state) == 0 && setup_fake(state) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)teardown_fake(state);
    return teardown_report(state);
}

static void fake_reset(void)
{
    (void)teardown_fake(NULL);
    (void)mkdir(fake_root, 0700);
    put_file("/proc/self/status", "Name:\tx\nCapEff:\t0000000000000000\nSeccomp:\t0\n");
}

static void explain(const struct nc_probe_host *h, bool unpriv, enum nc_userns_stage stage,
                    int e, struct nc_probe_result *r)
{
    memset(r, 0, sizeof(*r));
    r->name = "userns";
    nc_probe_explain_userns(h, unpriv, stage, e, r);
    printf("# %s\n#   fix: %s\n", r->detail, r->fix);
    assert_int_equal(r->status, NC_PROBE_MISSING);
    assert_true(r->detail[0] != '\0');
    assert_true(r->fix[0] != '\0');
}

static void host_read_fake(void **state)
{
    struct nc_probe_host h;
    (void)state;
    fake_reset();
    nc_probe_host_read(fake_root, &h);
    assert_false(h.cap_sys_admin);
    assert_int_equal(h.seccomp_mode, 0);
    assert_int_equal(h.apparmor_restrict_userns, -1);
    assert_int_equal(h.unprivileged_userns_clone, -1);
    assert_int_equal(h.max_user_namespaces, -1);
    assert_string_equal(h.container, "");

    put_file("/proc/self/status", "CapEff:\t000001ffffffffff\nSeccomp:\t2\n");
    put_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
    put_file("/proc/sys/kernel/unprivileged_userns_clone", "0\n");
    put_file("/proc/sys/user/max_user_namespaces", "15000\n");
    put_file("/proc/1/cgroup", "0::/kubepods/besteffort/pod1234/abc\n");
    put_file("/sys/kernel/security/lsm", "lockdown,capability,yama,apparmor\n");
    nc_probe_host_read(fake_root, &h);
    assert_true(h.cap_sys_admin);
    assert_int_equal(h.seccomp_mode, 2);
    assert_int_equal(h.apparmor_restrict_userns, 1);
    assert_int_equal(h.unprivileged_userns_clone, 0);
    assert_int_equal(h.max_user_namespaces, 15000);
    assert_non_null(strstr(h.container, "kubepods"));
    assert_string_equal(h.lsm, "lockdown,capability,yama,apparmor");

    put_file("/.dockerenv", "");
    nc_probe_host_read(fake_root, &h);
    assert_non_null(strstr(h.container, "/.dockerenv"));
}

static void explain_apparmor(void **state)
{
    struct nc_probe_host h;
    struct nc_probe_result r;
    (void)state;
    fake_reset();
    put_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
    nc_probe_host_read(fake_root, &h);
    /* Ubuntu lets the namespace be made and then denies the capabilities inside it */
    explain(&h, true, NC_USERNS_CAPS, EPERM, &r);
    assert_non_null(strstr(r.detail, "AppArmor"));
    assert_non_null(strstr(r.fix, "kernel.apparmor_restrict_unprivileged_userns=0"));
    assert_non_null(strstr(r.fix, "apparmor_parser -r /etc/apparmor.d/nucleus"));
    assert_non_null(strstr(r.fix, "userns,"));
    assert_non_null(strstr(r.fix, h.exe));
    /* with CAP_SYS_ADMIN the AppArmor switch does not apply, so it is not blamed */
    explain(&h, false, NC_USERNS_CLONE, EPERM, &r);
    assert_null(strstr(r.detail, "AppArmor"));
}

static void explain_debian(void **state)
{
    struct nc_probe_host h;
    struct nc_probe_result r;
    (void)state;
    fake_reset();
    put_file("/proc/sys/kernel/unprivileged_userns_clone", "0\n");
    nc_probe_host_read(fake_root, &h);
    explain(&h, true, NC_USERNS_CLONE, EPERM, &r);
    assert_non_null(strstr(r.detail, "kernel.unprivileged_userns_clone is 0"));
    assert_non_null(strstr(r.fix, "sysctl -w kernel.unprivileged_userns_clone=1"));
    assert_non_null(strstr(r.fix, "/etc/sysctl.d/"));
}

static void explain_max_user_namespaces(void **state)
{
    struct nc_probe_host h;
    struct nc_probe_result r;
    (void)state;
    fake_reset();
    put_file("/proc/sys/user/max_user_namespaces", "0\n");
    nc_probe_host_read(fake_root, &h);
    explain(&h, false, NC_USERNS_CLONE, ENOSPC, &r);
    assert_non_null(strstr(r.detail, "user.max_user_namespaces is 0"));
    assert_non_null(strstr(r.fix, "sysctl -w user.max_user_namespaces="));
}

static void explain_container(void **state)
{
    struct nc_probe_host h;
    struct nc_probe_result r;
    (void)state;
    fake_reset();
    put_file("/proc/self/status", "CapEff:\t00000000a80425fb\nSeccomp:\t2\n");
    put_file("/.dockerenv", "");
    nc_probe_host_read(fake_root, &h);
    explain(&h, true, NC_USERNS_CLONE, EPERM, &r);
    assert_non_null(strstr(r.detail, "inside a container"));
    assert_non_null(strstr(r.detail, "seccomp filter"));
    assert_non_null(strstr(r.detail, "without CAP_SYS_ADMIN"));
    assert_non_null(strstr(r.fix, "--security-opt seccomp=unconfined"));
}

static void explain_generic(void **state)
{
    struct nc_probe_host h;
    struct nc_probe_result r;
    (void)state;
    fake_reset();
    nc_probe_host_read(fake_root, &h);
    explain(&h, true, NC_USERNS_CLONE, EINVAL, &r);
    assert_non_null(strstr(r.fix, "CONFIG_USER_NS"));
    explain(&h, true, NC_USERNS_MAP, EPERM, &r);
    assert_non_null(strstr(r.detail, "id map"));
    assert_non_null(strstr(r.fix, "dmesg"));
    /* nested in another sandbox: its filter is blamed, not the host's sysctls */
    put_file("/proc/self/status", "CapEff:\t0000000000000000\nSeccomp:\t2\nNoNewPrivs:\t1\n");
    put_file("/proc/self/uid_map", "         0       1000          1\n");
    nc_probe_host_read(fake_root, &h);
    assert_true(h.nested_userns);
    assert_true(h.no_new_privs);
    explain(&h, true, NC_USERNS_CLONE, EPERM, &r);
    assert_non_null(strstr(r.detail, "seccomp filter inside a user namespace"));
    assert_non_null(strstr(r.fix, "outside that sandbox"));
    put_file("/proc/self/uid_map", "         0          0 4294967295\n");
    nc_probe_host_read(fake_root, &h);
    assert_false(h.nested_userns);
}

/* The ABI ladder, as pod.c applies it: below 4 both landlock-net and landlock-scope are
 * needed, below 6 landlock-scope; 0 needs all three. */
static void landlock_ladder(void **state)
{
    struct nc_probe_host h;
    struct nc_probe_result r;
    const nc_mechset all = NC_MECH_BIT(NC_MECH_LANDLOCK) | NC_MECH_BIT(NC_MECH_LANDLOCK_NET) |
                           NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE);
    (void)state;
    fake_reset();
    put_file("/sys/kernel/security/lsm", "lockdown,capability,yama\n");
    nc_probe_host_read(fake_root, &h);

    nc_probe_landlock_verdict(&h, 0, EOPNOTSUPP, 0, NULL, &r);
    assert_int_equal(r.status, NC_PROBE_MISSING);
    assert_int_equal(r.allow, all);
    assert_non_null(strstr(r.fix, "lsm=landlock,lockdown,capability,yama"));
    nc_probe_landlock_verdict(&h, 0, ENOSYS, 0, NULL, &r);
    assert_non_null(strstr(r.fix, "CONFIG_SECURITY_LANDLOCK=y"));
    assert_non_null(strstr(r.fix, "6.12"));

    for (int abi = 1; abi <= 9; abi++) {
        nc_probe_landlock_verdict(&h, abi, 0, 0, NULL, &r);
        printf("# ABI %d: %s %s\n", abi, nc_probe_status_name(r.status), r.detail);
        assert_true(r.required);
        if (abi >= 6) {
            assert_int_equal(r.status, NC_PROBE_OK);
            assert_int_equal(r.allow, 0);
            assert_string_equal(r.fix, "");
        } else {
            assert_int_equal(r.status, NC_PROBE_DEGRADED);
            assert_int_equal(r.allow, abi < 4 ? NC_MECH_BIT(NC_MECH_LANDLOCK_NET) |
                                                    NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE)
                                              : NC_MECH_BIT(NC_MECH_LANDLOCK_SCOPE));
            assert_non_null(strstr(r.detail, "scoping"));
            assert_non_null(strstr(r.fix, abi < 4 ? "--allow-degraded=landlock-net,landlock-scope"
                                                  : "--allow-degraded=landlock-scope"));
        }
    }
    nc_probe_landlock_verdict(&h, 3, 0, 0, NULL, &r);
    assert_non_null(strstr(r.detail, "ABI 3 (fs, refer, truncate) lacks tcp, ioctl_dev, scoping"));
    nc_probe_landlock_verdict(&h, 9, 0, 0, NULL, &r);
    assert_non_null(strstr(r.detail, "audit and later features"));
    nc_probe_landlock_verdict(&h, 7, 0, EPERM, "landlock_restrict_self", &r);
    assert_int_equal(r.status, NC_PROBE_MISSING);
    assert_int_equal(r.allow, all);
    assert_non_null(strstr(r.detail, "landlock_restrict_self"));
}

/* ---- running in a child ----------------------------------------------------------------- */

static void child_writes(void *shared, const void *arg)
{
    snprintf(shared, 32, "hello %d", *(const int *)arg);
}

static void child_crashes(void *shared, const void *arg)
{
    (void)shared;
    (void)arg;
    raise(SIGKILL);
}

static void child_sleeps(void *shared, const void *arg)
{
    struct timespec ts = {5, 0};
    (void)arg;
    snprintf(shared, 32, "started");
    nanosleep(&ts, NULL);
}

static void in_child(void **state)
{
    char buf[32];
    int v = 42;
    struct nc_err err;
    (void)state;
    nc_err_clear(&err);
    assert_int_equal(nc_probe_in_child(child_writes, &v, buf, sizeof(buf), 5000, &err), 0);
    assert_string_equal(buf, "hello 42");
    assert_true(nc_probe_in_child(child_crashes, NULL, buf, sizeof(buf), 5000, &err) < 0);
    assert_non_null(strstr(err.msg, "signal"));
    assert_true(nc_probe_in_child(child_sleeps, NULL, buf, sizeof(buf), 100, &err) < 0);
    assert_int_equal(err.code, ETIMEDOUT);
    assert_string_equal(buf, "started"); /* what it wrote before it was killed */
}

/* ---- forced failures under a seccomp filter ------------------------------------------- */

#if defined(__x86_64__)
#define RET_ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define ON_NR(nr, skip_to_ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, (skip_to_ret))

/* What old container runtimes and hardened hosts look like to the probes. */
static int install_hostile_filter(void)
{
    struct sock_filter f[] = {
        /* architecture first: anything but x86_64 passes untouched (a test, not a boundary) */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ON_NR(SYS_landlock_create_ruleset, 1), RET_ERRNO(EOPNOTSUPP), /* not in lsm= */
        ON_NR(SYS_openat2, 1), RET_ERRNO(ENOSYS),                     /* kernel < 5.6 */
        ON_NR(SYS_pidfd_open, 1), RET_ERRNO(ENOSYS),
        ON_NR(SYS_mount_setattr, 1), RET_ERRNO(ENOSYS),
        ON_NR(SYS_unshare, 1), RET_ERRNO(EPERM),
        ON_NR(SYS_clone3, 1), RET_ERRNO(ENOSYS),                      /* libc falls back */
        /* clone with CLONE_NEWUSER in its flags (first argument) */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1),
        RET_ERRNO(EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = (unsigned short)N_ELEMS(f), .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void run_hostile(void *shared, const void *arg)
{
    struct nc_probe_report *rep = shared;
    (void)arg;
    if (install_hostile_filter() < 0) {
        rep->n = 0;
        return;
    }
    nc_probe_run(rep);
}

static void forced_failures(void **state)
{
    struct nc_err err;
    struct nc_probe_report *rep = calloc(1, sizeof(*rep));
    (void)state;
    assert_non_null(rep);
    nc_err_clear(&err);
    assert_int_equal(nc_probe_in_child(run_hostile, NULL, rep, sizeof(*rep), 60000, &err), 0);
    assert_true(rep->n > 0);
    for (size_t i = 0; i < rep->n; i++)
        printf("# hostile: %-20s %-8s %s\n", rep->check[i].name,
               nc_probe_status_name(rep->check[i].status), rep->check[i].detail);

    const struct nc_probe_result *ll = find(rep, "landlock");
    assert_int_equal(ll->status, NC_PROBE_MISSING);
    assert_non_null(strstr(ll->detail, "not enabled at boot"));
    assert_non_null(strstr(ll->fix, "lsm=landlock,"));
    assert_non_null(strstr(ll->fix, "--allow-degraded=landlock,landlock-net,landlock-scope"));
    assert_int_equal(rep->landlock_abi, 0);

    const struct nc_probe_result *o2 = find(rep, "openat2");
    assert_int_equal(o2->status, NC_PROBE_MISSING);
    assert_non_null(strstr(o2->detail, "older than 5.6"));
    assert_int_equal(o2->allow, 0);

    assert_int_equal(find(rep, "pidfd_open")->status, NC_PROBE_MISSING);
    assert_int_equal(find(rep, "mount_setattr")->status, NC_PROBE_MISSING);

    const struct nc_probe_result *u = find(rep, "userns");
    assert_int_equal(u->status, NC_PROBE_MISSING);
    assert_non_null(strstr(u->detail, "clone(CLONE_NEWUSER)"));
    if (rep->host.root && rep->host.cap_setid)
        assert_int_equal(find(rep, "userns-unprivileged")->status, NC_PROBE_MISSING);
    if (rep->host.root) {
        assert_non_null(strstr(u->fix, "--allow-degraded=userns"));
        /* as root the types are tried on their own, and unshare is refused too */
        assert_int_equal(find(rep, "uts-ns")->status, NC_PROBE_MISSING);
        assert_false(find(rep, "uts-ns")->skipped);
    } else {
        assert_true(find(rep, "mount-ns")->skipped);
    }
    /* seccomp itself still works (filters stack) */
    assert_int_equal(find(rep, "seccomp")->status, NC_PROBE_OK);

    assert_false(rep->ready);
    assert_true(rep->missing >= 2);
    assert_true(rep->allow & NC_MECH_BIT(NC_MECH_LANDLOCK));
    assert_false(rep->flags_suffice); /* openat2 has no --allow-degraded */
    free(rep);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_fields),
        cmocka_unit_test(landlock_matches_syscall),
        cmocka_unit_test(userns_matches_control),
        cmocka_unit_test(userns_unprivileged_matches_control),
        cmocka_unit_test(namespaces_match_control),
        cmocka_unit_test(seccomp_matches_control),
        cmocka_unit_test(openat2_matches_control),
        cmocka_unit_test(info_syscalls_match),
        cmocka_unit_test(cgroup_matches_cgroup_c),
        cmocka_unit_test(host_read_fake),
        cmocka_unit_test(explain_apparmor),
        cmocka_unit_test(explain_debian),
        cmocka_unit_test(explain_max_user_namespaces),
        cmocka_unit_test(explain_container),
        cmocka_unit_test(explain_generic),
        cmocka_unit_test(landlock_ladder),
        cmocka_unit_test(in_child),
#if defined(__x86_64__)
        cmocka_unit_test(forced_failures),
#endif
    };
    return cmocka_run_group_tests_name("probe", tests, setup, teardown);
}
