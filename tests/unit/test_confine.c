/* SPDX-License-Identifier: Apache-2.0 */
/* nc_confine_service (src/sandbox/confine.h), from the side of a parser bug that already runs
 * code in the confined process (the egress gateway's): in a forked child that confined
 * itself, a file outside /etc and /usr cannot be read, nothing can be created, no TCP port
 * can be bound, a TCP connect reaches only the listed ports, no signal reaches the parent
 * (signal 0 only), netlink sockets cannot be made; the resolver's configuration stays
 * readable and a listed port connectable.  Without Landlock's network rules (ABI < 4) the
 * whole program is a TAP skip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sandbox/confine.h"
#include "sandbox/landlock.h"
#include "rmtree.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int abi_now;
static char dir[64];
static int lfd[2];
static uint16_t lport[2];

/* Each check in the child sets one bit when it comes out as expected. */
enum {
    SECRET_UNREADABLE, CREATE_DENIED, ETC_READABLE, LISTED_PORT, OTHER_PORT, BIND_DENIED,
    NO_SIGNAL, NO_NETLINK, NCHECKS
};

static int tcp_connect(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, e;
    if (fd < 0)
        return -errno;
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    e = errno;
    close(fd);
    return rc == 0 ? 0 : -e;
}

/* Runs in the child; returns the bit set of checks that came out as expected. */
static int child_checks(bool any_port)
{
    char path[128];
    int ok = 0, abi = 0, fd;
    struct nc_err err = {0};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};

    if (nc_confine_service(&lport[0], 1, any_port, &abi, &err) < 0 || abi < 4)
        return 0;
    snprintf(path, sizeof(path), "%s/secret", dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == EACCES)
        ok |= 1 << SECRET_UNREADABLE;
    else if (fd >= 0)
        close(fd);
    snprintf(path, sizeof(path), "%s/planted", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EACCES)
        ok |= 1 << CREATE_DENIED;
    else if (fd >= 0)
        close(fd);
    fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ok |= 1 << ETC_READABLE;
        close(fd);
    }
    if (tcp_connect(lport[0]) == 0)
        ok |= 1 << LISTED_PORT;
    if (any_port ? tcp_connect(lport[1]) == 0 : tcp_connect(lport[1]) == -EACCES)
        ok |= 1 << OTHER_PORT;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EACCES)
        ok |= 1 << BIND_DENIED;
    if (fd >= 0)
        close(fd);
    /* Signal 0: asks whether a signal could be sent, sends nothing. */
    if (abi < 6 || (kill(getppid(), 0) < 0 && errno == EPERM))
        ok |= 1 << NO_SIGNAL;
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0)
        ok |= 1 << NO_NETLINK;
    else
        close(fd);
    return ok;
}

/* Confines a child (ports: the first listener's, or any) and fails on every check of
 * child_checks that did not come out as expected. */
static void expect_confined(bool any_port)
{
    int status = 0, got;
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_checks(any_port));
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    got = WEXITSTATUS(status);
    for (int i = 0; i < NCHECKS; i++)
        if (!(got & (1 << i)))
            fail_msg("check %d did not come out as expected (bits 0x%x)", i, got);
}

static void confined(void **state)
{
    (void)state;
    expect_confined(false);
}

static void any_port_keeps_the_rest(void **state)
{
    (void)state;
    expect_confined(true);
}

static int setup(void **state)
{
    (void)state;
    char path[128];
    int fd;
    snprintf(dir, sizeof(dir), "/tmp/nc-confine-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/secret", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, "secret\n", 7) != 7)
        return -1;
    close(fd);
    for (int i = 0; i < 2; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
        socklen_t len = sizeof(sa);
        lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd[i] < 0 || bind(lfd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(lfd[i], 16) < 0 || getsockname(lfd[i], (struct sockaddr *)&sa, &len) < 0)
            return -1;
        lport[i] = ntohs(sa.sin_port);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(lfd[0]);
    close(lfd[1]);
    return nc_test_rm_tree(dir);
}

int main(void)
{
    abi_now = nc_landlock_abi();
    if (abi_now < 4) {
        printf("1..0 # SKIP Landlock ABI %d: no TCP rules (needs 4)\n", abi_now);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(confined),
        cmocka_unit_test(any_port_keeps_the_rest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
