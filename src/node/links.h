/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS on nucleus's own links (docs/identity.md): the orchestrator's MCP socket, which
 * `nucleus mcp --pod ID` bridges an agent to.  The orchestrator creates the CA on first use,
 * holds its own SVID (spiffe://TD/ns/system/sa/orchestrator) in memory and keeps the pod's
 * bridge SVID (spiffe://TD/ns/bridge/sa/POD) fresh in the pod's runtime directory; the bridge
 * presents it and accepts only the orchestrator. */
#ifndef NC_NODE_LINKS_H
#define NC_NODE_LINKS_H

#include "audit/audit.h"
#include "identity/ca.h"
#include "identity/mtls.h"
#include "util/err.h"

#define NC_LINK_TIMEOUT_MS 5000
#define NC_LINK_BRIDGE_FILES {"svid.pem", "svid_key.pem", "bundle.pem"}

/* The orchestrator's side: loads (or creates) the CA, issues its own SVID, supplies the
 * bridge's files, and returns a server context that accepts only the bridge; refusals are
 * written to audit.  nc_links_server_refresh renews both at half life (call it now and then). */
struct nc_links_server;
struct nc_links_server *nc_links_server_new(const char *state, const char *pod,
                                            const char *bridge_dir, struct nc_audit *audit,
                                            struct nc_err *err);
struct nc_mtls_ctx *nc_links_server_ctx(struct nc_links_server *s);
int nc_links_server_refresh(struct nc_links_server *s, struct nc_err *err);
void nc_links_server_free(struct nc_links_server *s);

/* The bridge's side: a client context from the bridge directory that accepts only the
 * orchestrator of the same trust domain. */
struct nc_mtls_ctx *nc_links_client_ctx(const char *bridge_dir, struct nc_err *err);

#endif
