/* SPDX-License-Identifier: Apache-2.0 */
/* The pod's seccomp-bpf filter, written as a table: architecture check first, then the
 * denied system calls and argument rules.  Expected denials return EPERM (so programs see a
 * plain "operation not permitted"); an unknown architecture is killed.
 *
 * The table (seccomp_filter.c) is compiled into a BPF program by libseccomp at build time;
 * nucleus embeds that program and loads it directly, without libseccomp (seccomp.c). */
#ifndef NC_SANDBOX_SECCOMP_FILTER_H
#define NC_SANDBOX_SECCOMP_FILTER_H

#include "util/err.h"

#include <linux/filter.h>
#include <stddef.h>

/* ---- run time (seccomp.c; no libseccomp) ---------------------------------------------- */

/* Loads the filter into the calling thread (and its future children).  The caller must have
 * set PR_SET_NO_NEW_PRIVS.  Allocates nothing, so it may run in a process that shares its
 * memory with its parent.  Returns 0, or -1 with err filled. */
int nc_seccomp_install(struct nc_err *err);

/* For tests and `nucleus doctor`: the number of rules in the table. */
unsigned nc_seccomp_rule_count(void);

/* The embedded program, exactly what nc_seccomp_install() loads. */
const struct sock_filter *nc_seccomp_program(size_t *len);

/* ---- build time (seccomp_filter.c; links libseccomp) ---------------------------------- */

/* Compiles the table with libseccomp and writes the raw BPF program (an array of struct
 * sock_filter, as seccomp_export_bpf() writes it) to out_fd.  Used by the generator of the
 * embedded program, by the test that checks the two agree, and by the benchmark.  Returns 0,
 * or -1 with err filled. */
int nc_seccomp_compile(int out_fd, struct nc_err *err);
/* The number of rules in the table, as compiled. */
unsigned nc_seccomp_table_rules(void);

/* Defined by the generated seccomp_bpf.c (see seccomp_gen.c). */
extern const struct sock_filter nc_seccomp_bpf[];
extern const unsigned short nc_seccomp_bpf_len;
extern const unsigned nc_seccomp_bpf_rules;

#endif
