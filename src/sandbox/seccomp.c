/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the pod's seccomp filter (see seccomp_filter.h).
 *
 * The program was compiled from the table in seccomp_filter.c by libseccomp when nucleus was
 * built (seccomp_gen.c), so a pod pays for one seccomp(2) call instead of libseccomp's build,
 * optimisation and export of 113 rules (about 2 ms per spawn), and nucleus does not link
 * libseccomp at all.  What is loaded is byte for byte what libseccomp produces from the table:
 * tests/unit/test_seccomp.c compiles the table again and compares. */
#include "sandbox/seccomp_filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

unsigned nc_seccomp_rule_count(void)
{
    return nc_seccomp_bpf_rules;
}

const struct sock_filter *nc_seccomp_program(size_t *len)
{
    *len = nc_seccomp_bpf_len;
    return nc_seccomp_bpf;
}

int nc_seccomp_install(struct nc_err *err)
{
    /* The filter must not outlive an exec into a setuid binary that could then be confused by
     * failing calls; the kernel requires no_new_privs (or CAP_SYS_ADMIN) for that reason.  We
     * require it even when privileged, and check rather than set it: the caller owns the
     * process's state, and a missing step in the pod set-up should be loud. */
    int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (nnp < 0) {
        nc_err_set(err, errno, "seccomp: PR_GET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    if (nnp != 1) {
        nc_err_set(err, EPERM, "seccomp: no_new_privs is not set");
        return -1;
    }
    if (nc_seccomp_bpf_len == 0) { /* the generator never writes an empty program */
        nc_err_set(err, EINVAL, "seccomp: the embedded program is empty");
        return -1;
    }

    /* The kernel copies the program; the array stays read-only in our image. */
    struct sock_fprog prog = {
        .len = nc_seccomp_bpf_len,
        .filter = (struct sock_filter *)(uintptr_t)nc_seccomp_bpf,
    };
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    if (rc < 0 && errno == ENOSYS) /* seccomp(2) is 3.17+; the prctl form is older */
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    if (rc < 0) {
        nc_err_set(err, errno, "seccomp: loading the filter: %s", strerror(errno));
        return -1;
    }
    return 0;
}
