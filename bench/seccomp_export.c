/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the pod's own seccomp filter as a raw BPF program, for `bwrap --seccomp FD`, so the
 * spawn benchmark gives bubblewrap exactly the filter nucleus loads.
 *
 * It does not copy the table: it is linked with src/sandbox/seccomp_filter.c and calls
 * nc_seccomp_compile(), the libseccomp compilation that also produced the program embedded in
 * nucleus at build time (tests/unit/test_seccomp.c checks that the two are identical).
 * bench/spawn.sh builds and runs it:
 *
 *   cc -O2 -Isrc bench/seccomp_export.c src/sandbox/seccomp_filter.c src/util/err.c \
 *      -lseccomp -o seccomp_export
 *   ./seccomp_export filter.bpf
 *
 * bwrap reads the program from an inherited descriptor up to end of file, so when hyperfine
 * runs bwrap many times on one descriptor, each run needs the shared file offset put back at 0:
 * `seccomp_export --rewind FD` does that, as hyperfine's untimed --prepare command.
 */
#include "sandbox/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct nc_err err = {0};
    int out_fd;

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
    out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (nc_seccomp_compile(out_fd, &err) < 0) {
        fprintf(stderr, "export: %s\n", err.msg);
        return 1;
    }
    if (close(out_fd) < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("%u rules\n", nc_seccomp_table_rules());
    return 0;
}
