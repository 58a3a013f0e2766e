/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded pod init, nucleus-init (reaper.c), as an executable file descriptor (see
 * reaper_fd.h). */
#include "sandbox/reaper_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: this memfd may be executed (vm.memfd_noexec) */
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* Defined by the generated nucleus_init_elf.c (embed.py). */
extern const unsigned char nc_reaper_elf[];
extern const size_t nc_reaper_elf_len;

int nc_reaper_open(struct nc_err *err)
{
    int fd;
    size_t off = 0;

    if (nc_reaper_elf_len == 0) {
        nc_err_set(err, ENOTSUP, "nucleus-init is not built for this architecture");
        return -1;
    }
    /* MFD_EXEC says what we mean on kernels that have vm.memfd_noexec (6.3+); older kernels
     * reject the unknown flag, and their memfds are executable anyway.  With
     * vm.memfd_noexec=2 the kernel refuses (EACCES) and the caller falls back. */
    fd = memfd_create("nucleus-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("nucleus-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        nc_err_set(err, errno, "memfd_create: %s", strerror(errno));
        return -1;
    }
    while (off < nc_reaper_elf_len) {
        ssize_t n = write(fd, nc_reaper_elf + off, nc_reaper_elf_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            nc_err_set(err, n < 0 ? errno : EIO, "writing nucleus-init: %s",
                       strerror(n < 0 ? errno : EIO));
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    /* Sealed: what the pod execs as its PID 1 is exactly the embedded program. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        nc_err_set(err, errno, "sealing nucleus-init: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
