/* SPDX-License-Identifier: Apache-2.0 */
/* Reading small files whole (see file.h). */
#include "file.h"

#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

char *nc_read_file(const char *path, size_t max, size_t *len, struct nc_err *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    struct stat st;
    size_t got = 0;

    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno)), NULL;
    if (fstat(fd, &st) < 0)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno)), NULL;
    if (S_ISDIR(st.st_mode))
        return nc_err_set(err, EISDIR, "%s: is a directory", path), NULL;
    if (!S_ISREG(st.st_mode))
        return nc_err_set(err, EINVAL, "%s: not a regular file", path), NULL;
    if ((unsigned long long)st.st_size > max)
        return nc_err_set(err, EFBIG, "%s: larger than %zu bytes", path, max), NULL;
    buf = malloc(max + 1);
    if (buf == NULL)
        return nc_err_set(err, ENOMEM, "out of memory"), NULL;
    for (;;) {
        ssize_t n = read(fd, buf + got, max + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nc_err_set(err, errno, "%s: %s", path, strerror(errno)), NULL;
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > max) /* the file grew after fstat */
            return nc_err_set(err, EFBIG, "%s: larger than %zu bytes", path, max), NULL;
    }
    buf[got] = '\0';
    *len = got;
    return steal_pointer(&buf);
}
