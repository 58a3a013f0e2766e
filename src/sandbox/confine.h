/* SPDX-License-Identifier: Apache-2.0 */
/* Confinement of nucleus's own helper processes that parse bytes from a pod (the egress
 * gateway): privilege separation, so that a memory bug in a parser lands in a process that
 * can read no private file, write none, bind nothing, connect only to the ports it serves,
 * signal nothing outside itself, and make none of the dangerous system calls a pod cannot
 * make either. */
#ifndef NC_SANDBOX_CONFINE_H
#define NC_SANDBOX_CONFINE_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Confines the calling process (all its threads must be started after): no_new_privs;
 * Landlock (the best ABI there is): read-only access beneath /etc and /usr (the resolver's
 * configuration and modules), nothing else of the file system, no TCP bind, TCP connect only
 * to ports[0..nports) unless any_port, signals and abstract unix sockets scoped; the pod's
 * seccomp filter.  *landlock_abi gets the ABI applied (0: none on this kernel).  Returns 0,
 * or -1 with err filled. */
int nc_confine_service(const uint16_t *ports, size_t nports, bool any_port, int *landlock_abi,
                       struct nc_err *err);

#endif
