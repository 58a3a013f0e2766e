/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock on top of the pod's mounts: read-only and read-write path beneath rules, TCP
 * bind/connect denied (ABI >= 4), signals and abstract unix sockets scoped to the pod
 * (ABI >= 6).  Uses raw system calls; constants past the packaged header are defined here. */
#ifndef NC_SANDBOX_LANDLOCK_H
#define NC_SANDBOX_LANDLOCK_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's Landlock ABI version, 0 when unavailable (ENOSYS, EOPNOTSUPP: disabled at boot). */
int nc_landlock_abi(void);

struct nc_landlock_spec {
    const char *const *ro; /* paths readable and executable beneath (NULL-terminated) */
    const char *const *rw; /* paths readable, writable and executable beneath (NULL-terminated) */
    bool deny_tcp;         /* handle TCP bind/connect with no allowed port (ABI >= 4) */
    uint16_t tcp_connect_port; /* with deny_tcp: the one port connections may go to, the
                                  egress gateway's listener in the pod (0: none) */
    bool tcp_connect_any;  /* with deny_tcp: connect is not handled (routed egress: the
                              host's nftables rules decide); bind stays denied */
    const uint16_t *tcp_connect_ports; /* with deny_tcp: more ports connections may go to */
    size_t ntcp_connect_ports;
    bool scope;            /* scope signals and abstract unix sockets (ABI >= 6) */
};

/* Restricts the calling thread (and its future children).  The caller must have set
 * PR_SET_NO_NEW_PRIVS.  Applies the best the kernel offers and reports it in *abi (0 if
 * Landlock is unavailable: then returns 0 and applies nothing, so the caller decides whether
 * that is acceptable).  *net_applied / *scope_applied say whether those parts took effect.
 * A path in the spec that does not exist is skipped.  Returns 0 or -1 with err filled. */
int nc_landlock_apply(const struct nc_landlock_spec *spec, int *abi, bool *net_applied,
                      bool *scope_applied, struct nc_err *err);

#endif
