/* SPDX-License-Identifier: Apache-2.0 */
/* nc_fd_send, nc_fd_recv (fdpass.h). */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union cbuf {
    char buf[CMSG_SPACE(NC_FDPASS_MAX * sizeof(int))];
    struct cmsghdr align;
};

int nc_fd_send(int chan, char tag, const int *fds, size_t n)
{
    union cbuf cb;
    struct iovec iov = {.iov_base = &tag, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                        .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *cm;
    ssize_t r;

    if (n == 0 || n > NC_FDPASS_MAX) {
        errno = EINVAL;
        return -1;
    }
    memset(cb.buf, 0, sizeof(cb.buf));
    cm = CMSG_FIRSTHDR(&mh);
    if (cm == NULL) { /* not with this buffer; the analyzer cannot know */
        errno = EINVAL;
        return -1;
    }
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
    do
        r = sendmsg(chan, &mh, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : -1;
}

int nc_fd_recv(int chan, char tag, int *fds, size_t n, int flags)
{
    union cbuf cb;
    char got = 0;
    struct iovec iov = {.iov_base = &got, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                        .msg_controllen = sizeof(cb.buf)};
    size_t have = 0, carried = 0;
    ssize_t r;

    if (n == 0 || n > NC_FDPASS_MAX) {
        errno = EINVAL;
        return -1;
    }
    do
        r = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC | flags);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        carried += k;
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (have < n && got == tag && r == 1)
                fds[have++] = fd;
            else
                close(fd);
        }
    }
    if (r == 1 && got == tag && have == n && carried == n && !(mh.msg_flags & MSG_CTRUNC))
        return 0;
    for (size_t i = 0; i < have; i++)
        close(fds[i]);
    errno = r == 0 ? ECONNRESET : EPROTO;
    return -1;
}
