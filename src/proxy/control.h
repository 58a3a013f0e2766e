/* SPDX-License-Identifier: Apache-2.0 */
/* The control channel of a running proxy: a unix socket in the user's private runtime
 * directory through which `nucleus approvals`, `approve`, `deny`, `ps` and `identity --pod`
 * reach the approval registry.  Every connection is mutual TLS 1.3 (identity/mtls.h): the
 * server presents its SVID and accepts only the CLI identity its context authorizes (see
 * node/links.h); before the handshake the kernel's peer credentials (SO_PEERCRED) must name
 * the same user or root, a second, independent check.  A plaintext or unauthorized peer never
 * gets a request read, and each refusal is audited with the reason and the identity it tried.
 * The approval key stays in the serving process, which mints the token itself.  Above TLS,
 * one JSON line per request:
 *   {"op":"list"} {"op":"approve","id":ID,"ttl":S} {"op":"deny","id":ID} {"op":"status"}
 * and one JSON line back: {"ok":true,...} or {"ok":false,"error":TEXT}.
 * Whether a pod is alive is told by an advisory lock the server holds on
 * RUNTIME/pods/POD/control.lock, so listing pods needs no connection. */
#ifndef NC_PROXY_CONTROL_H
#define NC_PROXY_CONTROL_H

#include "identity/mtls.h"
#include "proxy/approval.h"
#include "proxy/authority.h"
#include "util/err.h"
#include "util/ossl.h"

#include <jansson.h>
#include <stddef.h>

#define NC_CONTROL_MAX_REQUEST 65536u
#define NC_CONTROL_TIMEOUT_MS 5000 /* a whole exchange: handshake, request, reply */
#define NC_CONTROL_LINK "cli->control"

struct nc_control;

/* What the control socket serves: the registry and key of the process that holds them (the
 * standalone proxy, or the orchestrator of `nucleus run`), where decisions are audited, and an
 * optional live status (budget, exposure). */
struct nc_control_backend {
    struct nc_approval_registry *reg;
    const struct nc_approval_key *key;
    const struct nc_authority *audit; /* its audit() records the decisions and refusals */
    /* The server context (required: there is no plaintext mode).  Handshake refusals are
     * reported through its own failure callback; borrowed, must outlive the server. */
    struct nc_mtls_ctx *tls;
    void (*status)(void *ctx, json_t *out); /* adds members to the status reply; may be NULL */
    void *status_ctx;
};

/* Creates <runtime>/pods/<pod>/ (0700) with control.sock and info.json (info is copied into
 * the file), and serves on a thread until nc_control_stop.  b is copied. */
struct nc_control *nc_control_start(const struct nc_control_backend *b, const char *pod_id,
                                    json_t *info, struct nc_err *err);
/* The pod's runtime directory (<runtime>/pods/<pod>), for other sockets of the same pod. */
const char *nc_control_dir(const struct nc_control *c);
/* Stops serving and removes the pod's runtime directory.  NULL is a no-op. */
void nc_control_stop(struct nc_control *c);

/* Client side.  Sends one request to the pod's socket over mutual TLS with tls (a client
 * context that authorizes the servers) and returns the reply (new reference), or NULL with
 * err (ENOENT: no such pod; ECONNREFUSED: the pod is gone; EACCES: a side refused the other's
 * identity; EPROTO: no valid reply).  When peer is not NULL it receives the server's
 * certificate as verified in the handshake (X509_free it). */
json_t *nc_control_request(struct nc_mtls_ctx *tls, const char *pod_id, json_t *request,
                           X509 **peer, struct nc_err *err);
/* The ids of running pods (those whose server holds its lock), as a JSON array of strings;
 * leftovers of pods that are gone are removed. */
json_t *nc_control_pods(struct nc_err *err);

#endif
