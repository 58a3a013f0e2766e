/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus-init (src/sandbox/reaper.c), the pod's PID 1 once the pod is set up, run outside a
 * pod the way the pod init runs it: a forked child blocks the forwarded signals, starts the
 * "command" (which waits for the go byte before it runs its script), and execs the embedded
 * program from the memfd nc_reaper_open() returns.  Checked: the command runs only after the
 * go byte, its exit status and death by signal come back as the reaper's status, forwarded
 * signals reach it, orphans are reaped, a command that dies before the go is still reported,
 * bad arguments fail closed (125), and the program is small and non-dumpable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sandbox/reaper_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETUP_FAILED 250

struct run {
    pid_t reaper;   /* the process that execs nucleus-init */
    int status_fd;  /* read end: the command writes "x" once it runs (its fd 3) */
};

static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGCHLD};

/* Starts nucleus-init supervising `sh -c script`.  extra_args replaces its argv when non-NULL.
 * die_before_go: the command exits 9 without waiting for the go byte. */
static struct run start_as(const char *script, char *const *extra_args, bool die_before_go,
                           bool as_nobody)
{
    struct nc_err err = {0};
    int mark[2];
    struct run r = {-1, -1};
    int fd = nc_reaper_open(&err);
    if (fd < 0)
        fail_msg("nc_reaper_open: %s", err.msg);
    assert_int_equal(pipe2(mark, O_CLOEXEC), 0);
    (void)fflush(stdout);
    r.reaper = fork();
    assert_true(r.reaper >= 0);
    if (r.reaper == 0) {
        int go[2];
        sigset_t block;
        close(mark[0]);
        /* As root, become nobody: then only the non-dumpable flag makes our /proc files
         * root's, so the check below discriminates. */
        if (as_nobody && geteuid() == 0 &&
            (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
            _exit(SETUP_FAILED);
        sigemptyset(&block);
        for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
            sigaddset(&block, fwd[i]);
        if (sigprocmask(SIG_BLOCK, &block, NULL) < 0 || pipe(go) < 0)
            _exit(SETUP_FAILED);
        pid_t cmd = fork();
        if (cmd < 0)
            _exit(SETUP_FAILED);
        if (cmd == 0) {
            char b = 0;
            close(go[1]);
            if (die_before_go)
                _exit(9);
            if (read(go[0], &b, 1) != 1 || b != 'g')
                _exit(SETUP_FAILED + 1);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            if (dup2(mark[1], 3) < 0)
                _exit(SETUP_FAILED + 2);
            execl("/bin/sh", "sh", "-c", script, (char *)NULL);
            _exit(SETUP_FAILED + 3);
        }
        close(go[0]);
        close(mark[1]);
        char pid_s[16], fd_s[16];
        snprintf(pid_s, sizeof(pid_s), "%d", (int)cmd);
        snprintf(fd_s, sizeof(fd_s), "%d", go[1]);
        char *argv[] = {(char *)"nucleus-init", pid_s, fd_s, NULL};
        char *envp[] = {NULL};
        if (die_before_go) {
            siginfo_t si;
            (void)waitid(P_PID, (id_t)cmd, &si, WEXITED | WNOWAIT); /* a zombie before the go */
        }
        syscall(SYS_execveat, fd, "", extra_args != NULL ? extra_args : argv, envp, AT_EMPTY_PATH);
        _exit(SETUP_FAILED + 4);
    }
    close(mark[1]);
    close(fd);
    r.status_fd = mark[0];
    return r;
}

static struct run start(const char *script, char *const *extra_args, bool die_before_go)
{
    return start_as(script, extra_args, die_before_go, false);
}

/* Waits (at most 10 s) for the command's "x", i.e. until it runs. */
static void wait_running(const struct run *r)
{
    char b = 0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 10;
    (void)fcntl(r->status_fd, F_SETFL, O_NONBLOCK);
    for (;;) {
        if (read(r->status_fd, &b, 1) == 1)
            return;
        struct timespec now, nap = {0, 5 * 1000 * 1000};
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline.tv_sec)
            fail_msg("the command did not start");
        nanosleep(&nap, NULL);
    }
}

static int finish(struct run *r)
{
    int st = 0;
    assert_int_equal(waitpid(r->reaper, &st, 0), r->reaper);
    close(r->status_fd);
    if (WIFSIGNALED(st))
        fail_msg("nucleus-init was killed by signal %d", WTERMSIG(st));
    return WEXITSTATUS(st);
}

static void exit_status_passes_through(void **state)
{
    (void)state;
    struct run r = start("echo x >&3; exit 7", NULL, false);
    assert_int_equal(finish(&r), 7);
}

static void death_by_signal_is_128_plus(void **state)
{
    (void)state;
    struct run r = start("echo x >&3; kill -KILL $$", NULL, false);
    assert_int_equal(finish(&r), 128 + SIGKILL);
}

static void signals_are_forwarded(void **state)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    (void)state;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        char script[160];
        snprintf(script, sizeof(script),
                 "trap 'exit %d' %d; echo x >&3; i=0; while [ $i -lt 100 ]; do sleep 0.1; "
                 "i=$((i+1)); done; exit 1", 40 + (int)i, sigs[i]);
        struct run r = start(script, NULL, false);
        wait_running(&r);
        assert_int_equal(kill(r.reaper, sigs[i]), 0);
        assert_int_equal(finish(&r), 40 + (int)i);
    }
}

/* An orphan (reparented to nucleus-init here, as it would be as PID 1) does not stop the exit
 * with the command's status; it is not waited for either (as PID 1, the kernel kills it). */
static void command_status_wins_over_orphans(void **state)
{
    (void)state;
    struct run r = start("echo x >&3; (sleep 0.2; exit 5) & exit 3", NULL, false);
    assert_int_equal(finish(&r), 3);
}

static void command_dead_before_go_is_reported(void **state)
{
    (void)state;
    struct run r = start("exit 0", NULL, true);
    assert_int_equal(finish(&r), 9);
}

static void bad_arguments_fail_closed(void **state)
{
    char *none[] = {(char *)"nucleus-init", NULL};
    char *pid1[] = {(char *)"nucleus-init", (char *)"1", (char *)"5", NULL};
    char *junk[] = {(char *)"nucleus-init", (char *)"12x", (char *)"5", NULL};
    char *badfd[] = {(char *)"nucleus-init", (char *)"999999", (char *)"1000", NULL};
    char *const *cases[] = {none, pid1, junk, badfd};
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r = start("exit 0", cases[i], false);
        assert_int_equal(finish(&r), 125);
    }
}

/* The point of nucleus-init: PID 1's footprint.  Measured while the command runs. */
static void small_and_not_dumpable(void **state)
{
    char path[64], line[256];
    long rss = -1;
    (void)state;
    struct run r = start_as("echo x >&3; sleep 1", NULL, false, true);
    wait_running(&r);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)r.reaper);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    bool named = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            rss = strtol(line + 6, NULL, 10);
        if (strcmp(line, "Name:\tnucleus-init\n") == 0)
            named = true;
    }
    fclose(f);
    printf("# nucleus-init VmRSS %ld kB\n", rss);
    assert_true(named);
    assert_true(rss > 0 && rss < 256); /* the pod-init target is 1 MiB; this is far below */
    /* Non-dumpable: the kernel makes its /proc files root's, though it runs as another user
     * (nobody when we are root, else us). */
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)r.reaper);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(finish(&r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_status_passes_through),
        cmocka_unit_test(death_by_signal_is_128_plus),
        cmocka_unit_test(signals_are_forwarded),
        cmocka_unit_test(command_status_wins_over_orphans),
        cmocka_unit_test(command_dead_before_go_is_reported),
        cmocka_unit_test(bad_arguments_fail_closed),
        cmocka_unit_test(small_and_not_dumpable),
    };
    struct nc_err err = {0};
    int fd = nc_reaper_open(&err);
    if (fd < 0) {
        printf("1..0 # SKIP nucleus-init is not available here: %s\n", err.msg);
        return 0;
    }
    close(fd);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
