/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a command and waits for it and for every process it leaves behind, as a child
 * subreaper; exits with the command's status.
 *
 * Why: bwrap's outer process exits as soon as its PID 1 in the sandbox reports the command's
 * status, without waiting for that PID 1, so a timer that waits only for bwrap stops before
 * bwrap's sandbox is gone (and never sees the CPU its PID 1 and the command used).  nucleus
 * waits for its pod init.  Under this wrapper both are timed to the end of their sandbox, at
 * the same small extra cost (one fork and exec).  bench/spawn.sh builds it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status = 0, st;
    pid_t pid, w;

    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    /* Orphans of the command (bwrap's PID 1) are re-parented to us, not to the system init. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "reap: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "reap: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "reap: %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    for (;;) {
        w = wait(&st);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: everything is gone */
        }
        if (w == pid)
            status = st;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
