/* SPDX-License-Identifier: Apache-2.0 */
/* The pod's seccomp-bpf filter, written as a table: architecture check first, then the
 * denied system calls and argument rules.  Expected denials return EPERM (so programs see a
 * plain "operation not permitted"); an unknown architecture is killed. */
#ifndef NC_SANDBOX_SECCOMP_FILTER_H
#define NC_SANDBOX_SECCOMP_FILTER_H

#include "util/err.h"

/* Loads the filter into the calling thread (and its future children).  The caller must have
 * set PR_SET_NO_NEW_PRIVS.  Returns 0, or -1 with err filled. */
int nc_seccomp_install(struct nc_err *err);

/* For tests and `nucleus doctor`: the number of rules in the table. */
unsigned nc_seccomp_rule_count(void);

#endif
