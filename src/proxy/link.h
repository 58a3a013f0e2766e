/* SPDX-License-Identifier: Apache-2.0 */
/* The link between a proxy inside a pod and the orchestrator outside it: one connected unix
 * stream socket, one JSON object per line, requests with ids and replies in any order.  The
 * proxy's side implements the authority (authority.h) over the link; the orchestrator's side
 * serves it with its own registry, key, audit log and command pods.  The orchestrator trusts
 * nothing the proxy says about policy: a spawn request carries only the argv, the working
 * directory, stdin and a timeout (any other field is refused), and runs under the
 * orchestrator's policy, workspace and egress options.
 *
 *   proxy -> orchestrator                          orchestrator -> proxy
 *   {"id":N,"op":"audit","event":{...}}            {"id":N,"ok":true}
 *   {"id":N,"op":"park","operation":O,             {"id":N,"ok":true,"approval_id":ID}
 *     "digest":HEX,"summary":S,"lapse":SECONDS}
 *   {"id":N,"op":"decision","approval_id":ID}      {"id":N,"ok":true,"state":S,"token":T?}
 *   {"id":N,"op":"consume","token":T,              {"id":N,"ok":true,"verdict":V}
 *     "operation":O,"digest":HEX}
 *   {"id":N,"op":"spawn","argv":[...],"cwd":C,     {"id":N,"ok":true,"exit_code":..,
 *     "stdin":B64?,"timeout":S}                       "stdout":B64,"stderr":B64,...}
 *   {"id":N,"op":"cancel","target":M}              (the spawn M replies, cancelled)
 * A failed request is {"id":N,"ok":false,"error":TEXT}. */
#ifndef NC_PROXY_LINK_H
#define NC_PROXY_LINK_H

#include "core/policy.h"
#include "proxy/authority.h"
#include "util/err.h"

#define NC_LINK_MAX_LINE ((size_t)8 << 20) /* bytes in one link message */

/* ---- the proxy's side ------------------------------------------------------------------- */
struct nc_link_client;
/* Takes ownership of fd and starts a reader thread.  When the link breaks, every pending and
 * later request fails (the pipeline then refuses all calls: nothing unaudited runs). */
struct nc_link_client *nc_link_client_new(int fd, struct nc_err *err);
void nc_link_client_free(struct nc_link_client *c);
/* Fills a with the authority implemented over the link. */
void nc_link_authority(struct nc_authority *a, struct nc_link_client *c);

/* ---- the orchestrator's side --------------------------------------------------------------- */
struct nc_link_server_config {
    int fd;                         /* the orchestrator's end (owned by the server) */
    const struct nc_authority *authority; /* local: registry, key, audit, spawn */
    const struct nc_policy *policy; /* for spawned commands */
    const char *workspace;
    const char *nucleus_exe;
    const char *principal; /* recorded in every audit event from the pod */
    /* The operator's options for every command pod's egress gateway (nested.h exec_opts);
     * a spawn request cannot add to them or change them: it has no field for them, and a
     * request with a field not listed above is refused. */
    const char *const *exec_opts;
    size_t nexec_opts;
};
struct nc_link_server;
/* Serves on a thread until the proxy closes its end. */
struct nc_link_server *nc_link_server_start(const struct nc_link_server_config *cfg,
                                            struct nc_err *err);
/* Waits for the proxy to close the link (or closes it after timeout_ms; -1 waits forever),
 * waits for requests in progress, and frees the server. */
void nc_link_server_stop(struct nc_link_server *s, int timeout_ms);

#endif
