/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a command with kernel features made unavailable, so fallback paths get tested on a
 * kernel that has the features (crun's tests/no_openat2.c idea).
 *   nofeature landlock,openat2 -- COMMAND [ARG...]
 * Each named feature's system calls fail with ENOSYS, as on an older kernel.  The filter is
 * inherited by every descendant, including nucleus and its pods. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct feature {
    const char *name;
    const char *syscalls[4];
};

static const struct feature features[] = {
    {"landlock", {"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", NULL}},
    {"openat2", {"openat2", NULL}},
    {"mount_setattr", {"mount_setattr", NULL}},
    {"pidfd_open", {"pidfd_open", NULL}},
    /* nucleus then cannot carry out nucleus-init and forks a pod init that stays PID 1 */
    {"memfd", {"memfd_create", NULL}},
    /* the pod init's exec of nucleus-init fails (the command itself is exec'd with execve) */
    {"execveat", {"execveat", NULL}},
};

int main(int argc, char **argv)
{
    scmp_filter_ctx ctx;
    char list[256];
    int cmd = 2;

    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: nofeature FEATURE[,FEATURE...] -- COMMAND [ARG...]\n");
        return 2;
    }
    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return 2;
    snprintf(list, sizeof(list), "%s", argv[1]);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        const struct feature *f = NULL;
        for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
            if (strcmp(t, features[i].name) == 0)
                f = &features[i];
        if (f == NULL) {
            fprintf(stderr, "nofeature: unknown feature '%s'\n", t);
            return 2;
        }
        for (size_t k = 0; f->syscalls[k] != NULL; k++) {
            int nr = seccomp_syscall_resolve_name(f->syscalls[k]);
            if (nr == __NR_SCMP_ERROR || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) < 0) {
                fprintf(stderr, "nofeature: cannot filter %s\n", f->syscalls[k]);
                return 2;
            }
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0) {
        perror("nofeature: load filter");
        return 2;
    }
    seccomp_release(ctx);
    execvp(argv[cmd + 1], argv + cmd + 1);
    fprintf(stderr, "nofeature: %s: %s\n", argv[cmd + 1], strerror(errno));
    return 127;
}
