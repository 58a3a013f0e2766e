/* SPDX-License-Identifier: Apache-2.0 */
/* Runs one command and writes, to the descriptor named by NC_POD_TRACE_FD, the monotonic time
 * just before it starts it and just after it has reaped it, in the format of
 * src/sandbox/trace.c: the first and last boundaries of a traced pod start (bench/phases.sh).
 *   phase_driver COMMAND [ARG...] */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void stamp(int fd, const char *label)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    dprintf(fd, "0 %lld %s\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, label);
}

int main(int argc, char **argv)
{
    const char *e = getenv("NC_POD_TRACE_FD");
    int fd = e != NULL ? atoi(e) : -1, st = 0;
    pid_t pid;

    if (argc < 2 || fd < 0) {
        fprintf(stderr, "usage: NC_POD_TRACE_FD=N %s COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    stamp(fd, "spawn");
    if (posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ) != 0)
        return 127;
    while (waitpid(pid, &st, 0) < 0) {
    }
    stamp(fd, "nucleus returns and exits; its caller sees it (parent)");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
