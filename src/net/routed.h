/* SPDX-License-Identifier: Apache-2.0 */
/* Routed egress for a pod (root only; docs/design/0012-routed-egress.md): a veth pair into
 * the pod's network namespace, an nftables table in the host's namespace that drops all the
 * pod sends except TCP to the addresses pinned at start and DNS to the pod's own resolver
 * (which answers allowlisted names with those addresses and NXDOMAIN otherwise), and a drift
 * monitor that kills the pod when the table changes.  Runs `ip` and `nft`. */
#ifndef NC_NET_ROUTED_H
#define NC_NET_ROUTED_H

#include "net/dns.h"
#include "net/nft.h"
#include "net/rules.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Something a routed pod's supervisor decided: a DNS answer, a name left out at start, the
 * drift that killed the pod.  Strings live only during the callback. */
struct nc_routed_event {
    const char *kind;   /* "dns", "pin", "drift" */
    bool allowed;       /* dns: answered; pin: pinned; drift: false */
    const char *name;   /* the name asked or pinned ("" when none) */
    const char *detail; /* the outcome or the reason */
};
typedef void (*nc_routed_event_fn)(void *arg, const struct nc_routed_event *ev);

struct nc_routed_config {
    const struct nc_net_rules *rules; /* names (exact only), name ports, IPv4 networks */
    const struct nc_hosts *hosts;     /* NULL: the system resolver */
    nc_routed_event_fn event;         /* serialized per thread; may be NULL */
    void *event_arg;
    unsigned drift_period_ms;         /* the longest time between two checks (0: 250) */
};

struct nc_routed;

/* Checks that routed mode can run here (root, `ip` and `nft` in the system directories,
 * rules it can express: no wildcard, no unrestricted, no IPv6 network entry), resolves and
 * pins the names (the gateway's rebinding rule: a name with an address its rules do not
 * admit is left out, and reported), and takes a free slot (/30 and names).  NULL with err. */
struct nc_routed *nc_routed_new(const struct nc_routed_config *cfg, struct nc_err *err);
/* Before anything of the pod runs (its init waits), with the init's pid (our child): the
 * veth pair, addresses and default route, IPv6 off in the pod, the nft table, its baseline
 * for the drift monitor, the resolver's socket.  -1 with err: the caller kills the pod. */
int nc_routed_attach(struct nc_routed *r, pid_t init_pid, struct nc_err *err);
/* Once no pod process shares this process's memory: starts the resolver and the drift
 * monitor threads.  On failure the pod is killed (fail closed) and -1 returned. */
int nc_routed_start(struct nc_routed *r, struct nc_err *err);
/* Whether the drift monitor killed the pod; why (may be NULL) gets the reason. */
bool nc_routed_drifted(struct nc_routed *r, char *why, size_t whysz);
/* The pod's plan (its table, interface, addresses, endpoints). */
const struct nc_routed_plan *nc_routed_plan(const struct nc_routed *r);
/* Stops the threads, deletes the table and the host's veth, releases the slot, frees. */
void nc_routed_free(struct nc_routed *r);

#endif
