/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS on nucleus's own links (docs/identity.md, "What each link checks"):
 *   - the MCP bridge link: RUNTIME/pods/POD/mcp.sock, which `nucleus mcp --pod ID` bridges an
 *     agent to; the bridge presents spiffe://TD/ns/bridge/sa/POD (files in the pod's runtime
 *     directory, kept fresh by the server) and accepts only the orchestrator;
 *   - the control link: RUNTIME/pods/POD/control.sock, which `nucleus approvals`, `approve`,
 *     `deny`, `ps` and `identity --pod` use; the CLI presents spiffe://TD/ns/cli/sa/uid-UID
 *     (files in STATE/identity/cli/, kept fresh by every running server) and accepts only the
 *     orchestrator or a standalone proxy.
 * The server (the orchestrator of `nucleus run`, spiffe://TD/ns/system/sa/orchestrator, or a
 * standalone `nucleus proxy`, .../sa/proxy) loads the CA of the state directory (creating it
 * on first use), holds its own SVID in memory, and issues the clients' SVIDs; the clients
 * never see the CA key. */
#ifndef NC_NODE_LINKS_H
#define NC_NODE_LINKS_H

#include "audit/audit.h"
#include "identity/ca.h"
#include "identity/mtls.h"
#include "proxy/control.h"
#include "util/err.h"

#include <sys/types.h>

#define NC_LINK_TIMEOUT_MS 5000
#define NC_LINK_BRIDGE_FILES {"svid.pem", "svid_key.pem", "bundle.pem"}

/* The servers' service accounts in namespace "system". */
#define NC_LINKS_SA_ORCHESTRATOR "orchestrator"
#define NC_LINKS_SA_PROXY "proxy"
/* Link names, as they appear in audit records (params.link). */
#define NC_LINK_BRIDGE "bridge->orchestrator"
#define NC_LINK_CONTROL NC_CONTROL_LINK /* proxy/control.h */

/* The server's side: loads (or creates) the CA of state, issues its own SVID
 * (spiffe://TD/ns/system/sa/SERVICE) and supplies the CLI's files in STATE/identity/cli/;
 * refusals are written to audit.  nc_links_server_refresh renews them (and the bridge's, once
 * added) at half life: call it now and then. */
struct nc_links_server;
struct nc_links_server *nc_links_server_new(const char *state, const char *service,
                                            struct nc_audit *audit, struct nc_err *err);
/* The control link's server context: accepts only spiffe://TD/ns/cli/sa/uid-EUID (the CLI of
 * the user the server runs as). */
struct nc_mtls_ctx *nc_links_server_control_ctx(struct nc_links_server *s);
/* Adds the bridge link of pod: creates bridge_dir (0700) with the bridge's SVID files and
 * returns its server context, which accepts only spiffe://TD/ns/bridge/sa/POD.  Once. */
struct nc_mtls_ctx *nc_links_server_bridge(struct nc_links_server *s, const char *pod,
                                           const char *bridge_dir, struct nc_err *err);
int nc_links_server_refresh(struct nc_links_server *s, struct nc_err *err);
void nc_links_server_free(struct nc_links_server *s);

/* The bridge's side: a client context from the bridge directory that accepts only the
 * orchestrator of the same trust domain. */
struct nc_mtls_ctx *nc_links_client_ctx(const char *bridge_dir, struct nc_err *err);

/* The CLI's side: a client context from STATE/identity/cli/ that accepts only
 * spiffe://TD/ns/system/sa/orchestrator and .../sa/proxy of the same trust domain.  ENOENT
 * when no server has issued the files (no pod has run with this state directory). */
struct nc_mtls_ctx *nc_links_cli_ctx(const char *state, struct nc_err *err);
/* STATE/identity/cli */
int nc_links_cli_dir(const char *state, char *out, size_t outsz, struct nc_err *err);
/* spiffe://TD/ns/cli/sa/uid-UID */
int nc_links_cli_id(const char *td, uid_t uid, struct nc_spiffe_id *out, struct nc_err *err);

#endif
