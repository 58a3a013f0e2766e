/* SPDX-License-Identifier: Apache-2.0 */
/* The ready-made mTLS failure callback that writes one audit record per refused handshake
 * (security architecture: "authentication failures: reason, attempted identity"). */
#ifndef NC_IDENTITY_AUDIT_HOOK_H
#define NC_IDENTITY_AUDIT_HOOK_H

#include "audit/audit.h"
#include "identity/mtls.h"

#define NC_MTLS_AUDIT_OPERATION "auth.mtls"

/* An nc_mtls_failure_fn: pass it as nc_mtls_config.on_failure with on_failure_arg = the
 * struct nc_audit *.  Appends {operation "auth.mtls", outcome "denied", principal = the SPIFFE
 * ID the peer claimed (may be ""), reason = "<reason>: <detail>", params = {link, reason,
 * peer_addr}}.  A failed append cannot be reported from inside a handshake; it is counted
 * (nc_mtls_audit_errors) and the audit handle itself refuses further appends after a write
 * error (see audit.h), which the caller sees on its next own append. */
void nc_mtls_audit_failure(const struct nc_mtls_failure *f, void *audit);
unsigned long nc_mtls_audit_errors(void);

#endif
