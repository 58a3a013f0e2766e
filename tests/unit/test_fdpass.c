/* SPDX-License-Identifier: Apache-2.0 */
/* nc_fd_send / nc_fd_recv (src/util/fdpass.h): descriptors arrive as sent; a message with
 * another tag or another count is refused and every descriptor it carried is closed (none
 * leaks into the receiver); a closed sender is ECONNRESET. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/fdpass.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void round_trip(void **state)
{
    (void)state;
    int sv[2], p[2], got[2];
    struct stat a, b;
    pair(sv);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(nc_fd_send(sv[0], 'L', p, 2), 0);
    assert_int_equal(nc_fd_recv(sv[1], 'L', got, 2, 0), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fstat(p[i], &a), 0);
        assert_int_equal(fstat(got[i], &b), 0);
        assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
        close(got[i]);
        close(p[i]);
    }
    close(sv[0]);
    close(sv[1]);
}

static void wrong_tag_or_count_leaks_nothing(void **state)
{
    (void)state;
    int sv[2], p[2], got[2], before;
    pair(sv);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    before = open_fds();
    assert_int_equal(nc_fd_send(sv[0], 'X', p, 2), 0);
    assert_int_equal(nc_fd_recv(sv[1], 'L', got, 2, 0), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(open_fds(), before);
    assert_int_equal(nc_fd_send(sv[0], 'L', p, 1), 0);
    assert_int_equal(nc_fd_recv(sv[1], 'L', got, 2, 0), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(open_fds(), before);
    assert_int_equal(nc_fd_send(sv[0], 'L', p, 2), 0);
    assert_int_equal(nc_fd_recv(sv[1], 'L', got, 1, 0), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(open_fds(), before);
    close(sv[0]);
    assert_int_equal(nc_fd_recv(sv[1], 'L', got, 2, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(nc_fd_send(sv[1], 'L', p, 0), -1);
    assert_int_equal(errno, EINVAL);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(wrong_tag_or_count_leaks_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
