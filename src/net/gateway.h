/* SPDX-License-Identifier: Apache-2.0 */
/* The egress gateway: an HTTP proxy (CONNECT tunnels and plain-HTTP forwarding) and a SOCKS5
 * server on the same listeners, which admits a connection only when the egress rules allow
 * the destination, resolves a name once, refuses non-public results that no network entry
 * allows (DNS rebinding), dials the pinned address and relays bytes.  Runs outside the pod;
 * it serves a listener the pod made inside its own network namespace, or a unix socket
 * (docs/network.md). */
#ifndef NC_NET_GATEWAY_H
#define NC_NET_GATEWAY_H

#include "net/addr.h"
#include "net/rules.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* One decision of the gateway, for the audit log.  Strings are canonical (host.h) or static;
 * they live only during the callback. */
struct nc_net_event {
    const char *proto;  /* "http", "connect", "socks5" or "unknown" */
    bool allowed;
    enum nc_net_reason reason;
    const char *host;   /* the destination host, canonical; "" when it did not parse */
    uint16_t port;
    const char *addr;   /* the pinned (or refused) address; "" when none */
    enum nc_addr_class addr_class; /* the class of addr */
    const char *detail; /* a static explanation, or NULL */
};
typedef void (*nc_net_audit_fn)(void *arg, const struct nc_net_event *ev);

struct nc_gateway_config {
    const struct nc_net_rules *rules; /* copied */
    const struct nc_hosts *hosts;     /* copied; NULL: the system resolver (getaddrinfo) */
    unsigned max_conns;    /* connections at once (0: 256); more are closed at accept */
    unsigned handshake_ms; /* to receive a complete request (0: 10 s) */
    unsigned connect_ms;   /* to connect to the destination, all addresses (0: 10 s) */
    unsigned idle_ms;      /* a tunnel with no traffic either way is closed (0: 5 min) */
    nc_net_audit_fn audit; /* called once per connection, serialized; may be NULL */
    void *audit_arg;
    /* Forward mode (the forwarder inside a pod): no parsing and no rules (rules may be
     * NULL); every connection is relayed as it is to the unix socket at this path, which is
     * the real gateway's, bind-mounted into the pod. */
    const char *forward_to;
};

struct nc_gateway;

struct nc_gateway *nc_gateway_new(const struct nc_gateway_config *cfg, struct nc_err *err);
/* Listens on a unix stream socket at path (which must not exist), chmod'ed to mode. */
int nc_gateway_listen_unix(struct nc_gateway *gw, const char *path, mode_t mode,
                           struct nc_err *err);
/* Listens on a loopback TCP address (127.0.0.0/8 or ::1; for tests and the in-pod
 * forwarder's peer); port 0 picks a free port, written to *bound (may be NULL). */
int nc_gateway_listen_tcp(struct nc_gateway *gw, const char *ip, uint16_t port,
                          uint16_t *bound, struct nc_err *err);
/* Serves a listening stream socket made elsewhere (taken over): the pod makes one on
 * 127.0.0.1 inside its own network namespace and hands it out, so the gateway, outside the
 * pod, accepts the pod's connections without any bridge in between.  -1 with err (fd closed)
 * when it is not a listening stream socket. */
int nc_gateway_listen_fd(struct nc_gateway *gw, int fd, struct nc_err *err);
/* Accepts and serves connections (a thread each) until nc_gateway_stop.  Returns 0; may be
 * called again (to pick up listeners added meanwhile). */
int nc_gateway_run(struct nc_gateway *gw, struct nc_err *err);
/* Makes nc_gateway_run return.  Async-signal-safe. */
void nc_gateway_stop(struct nc_gateway *gw);
/* Serves one already-connected stream (taken over, closed by the gateway) in a new thread:
 * for an in-process gateway over a socketpair.  -1 with err (fd closed) when the connection
 * limit is reached. */
int nc_gateway_serve_fd(struct nc_gateway *gw, int fd, struct nc_err *err);
/* Closes the listeners, shuts every connection down, waits for their threads, frees. */
void nc_gateway_free(struct nc_gateway *gw);
/* Connections being served now. */
unsigned nc_gateway_active(struct nc_gateway *gw);

#endif
