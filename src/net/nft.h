/* SPDX-License-Identifier: Apache-2.0 */
/* The nftables ruleset of a routed pod (docs/design/0012-routed-egress.md): one inet table
 * per pod in the host's network namespace that drops everything the pod sends except DNS to
 * the pod's resolver and TCP to the addresses and ports pinned at start.  Pure: builds the
 * text that `nft -f -` loads. */
#ifndef NC_NET_NFT_H
#define NC_NET_NFT_H

#include "net/addr.h"
#include "net/rules.h"

#include <stddef.h>
#include <stdint.h>

#define NC_ROUTED_MAX_ENDPOINTS 4096 /* pinned address:port pairs of one pod */
#define NC_ROUTED_SLOTS 16384        /* /30 networks in 10.213.0.0/16 */

/* What a routed pod may reach, and its names. */
struct nc_routed_plan {
    unsigned slot;      /* 0..NC_ROUTED_SLOTS-1: the pod's /30 and its names */
    char table[32];     /* "nucleus_<slot>" (family inet) */
    char ifname[16];    /* "ncr<slot>": the host side of the veth pair */
    uint8_t host[4];    /* the host side's address (.1 of the /30): gateway and resolver */
    uint8_t pod[4];     /* the pod's address (.2 of the /30), on its eth0 */
    size_t nendpoints;
    struct {
        uint8_t addr[4];
        uint16_t port;
    } endpoint[NC_ROUTED_MAX_ENDPOINTS]; /* pinned addresses of allowed names, with ports */
    size_t ncidrs;
    struct nc_cidr cidr[NC_NET_MAX_CIDRS]; /* IPv4 network entries (--allow-network) */
};

/* Fills the slot's names and addresses (slot < NC_ROUTED_SLOTS); no endpoints yet. */
void nc_routed_plan_init(struct nc_routed_plan *p, unsigned slot);
/* Adds a pinned endpoint unless present.  -1 when the plan is full. */
int nc_routed_plan_add(struct nc_routed_plan *p, const uint8_t addr[4], uint16_t port);

/* Writes the nft script that replaces the pod's table atomically (a stale table of a
 * crashed supervisor with the same slot included) into out[0..cap).  Returns its length, or
 * -1 when cap is too small. */
long nc_nft_script(const struct nc_routed_plan *p, char *out, size_t cap);
/* The script that deletes the pod's table (whether or not it exists). */
long nc_nft_delete_script(const struct nc_routed_plan *p, char *out, size_t cap);

#endif
