/* SPDX-License-Identifier: Apache-2.0 */
/* The control channel of a running proxy: a unix socket in the user's private runtime
 * directory through which `nucleus approvals`, `nucleus approve` and `nucleus deny` reach the
 * approval registry.  Only the same user (or root) may connect (SO_PEERCRED); the approval
 * key stays in the serving process, which mints the token itself.  One JSON line per request:
 *   {"op":"list"} {"op":"approve","id":ID,"ttl":S} {"op":"deny","id":ID} {"op":"status"}
 * and one JSON line back: {"ok":true,...} or {"ok":false,"error":TEXT}. */
#ifndef NC_PROXY_CONTROL_H
#define NC_PROXY_CONTROL_H

#include "proxy/approval.h"
#include "proxy/authority.h"
#include "util/err.h"

#include <jansson.h>
#include <stddef.h>

#define NC_CONTROL_MAX_REQUEST 65536u

struct nc_control;

/* What the control socket serves: the registry and key of the process that holds them (the
 * standalone proxy, or the orchestrator of `nucleus run`), where decisions are audited, and an
 * optional live status (budget, exposure). */
struct nc_control_backend {
    struct nc_approval_registry *reg;
    const struct nc_approval_key *key;
    const struct nc_authority *audit; /* its audit() records the decisions */
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

/* Client side.  Sends one request to the pod's socket and returns the reply (new reference),
 * or NULL with err (ENOENT: no such pod; ECONNREFUSED: the pod is gone). */
json_t *nc_control_request(const char *pod_id, json_t *request, struct nc_err *err);
/* The ids of running pods (those with a runtime directory), as a JSON array of strings; stale
 * directories of pods that are gone are removed. */
json_t *nc_control_pods(struct nc_err *err);

#endif
