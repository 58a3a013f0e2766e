/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the pod's own seccomp filter as a raw BPF program, for `bwrap --seccomp FD`, so the
 * spawn benchmark gives bubblewrap exactly the filter nucleus loads.
 *
 * It does not copy the table: it is linked with src/sandbox/seccomp_filter.c and the linker
 * option -Wl,--wrap=seccomp_load, so nc_seccomp_install() builds the real filter and, where it
 * would load it, hands it to __wrap_seccomp_load() below, which exports it instead
 * (seccomp_export_bpf).  bench/spawn.sh builds and runs it:
 *
 *   cc -O2 -Isrc bench/seccomp_export.c src/sandbox/seccomp_filter.c src/util/err.c \
 *      -Wl,--wrap=seccomp_load -lseccomp -o seccomp_export
 *   ./seccomp_export filter.bpf
 *
 * bwrap reads the program from an inherited descriptor up to end of file, so when hyperfine
 * runs bwrap many times on one descriptor, each run needs the shared file offset put back at 0:
 * `seccomp_export --rewind FD` does that, as hyperfine's untimed --prepare command.
 */
#include "sandbox/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int __wrap_seccomp_load(const scmp_filter_ctx ctx);

static int out_fd = -1;

/* Called by nc_seccomp_install() in place of seccomp_load(): nothing is loaded here. */
int __wrap_seccomp_load(const scmp_filter_ctx ctx)
{
    return seccomp_export_bpf(ctx, out_fd);
}

int main(int argc, char **argv)
{
    struct nc_err err = {0};

    if (argc == 3 && strcmp(argv[1], "--rewind") == 0) {
        char *end;
        long fd = strtol(argv[2], &end, 10);
        if (*end != '\0' || fd < 0 || fd > 1023 || lseek((int)fd, 0, SEEK_SET) < 0) {
            fprintf(stderr, "rewind fd %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT.bpf | --rewind FD\n", argv[0]);
        return 2;
    }
    /* nc_seccomp_install() insists on no_new_privs, as it would before a real load. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "no_new_privs: %s\n", strerror(errno));
        return 1;
    }
    out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (nc_seccomp_install(&err) < 0) {
        fprintf(stderr, "export: %s\n", err.msg);
        return 1;
    }
    if (close(out_fd) < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("%u rules\n", nc_seccomp_rule_count());
    return 0;
}
