/* SPDX-License-Identifier: Apache-2.0 */
/* mTLS failures into the audit chain (see audit_hook.h). */
#include "audit_hook.h"

#include <stdatomic.h>
#include <stdio.h>

static atomic_ulong append_errors;

void nc_mtls_audit_failure(const struct nc_mtls_failure *f, void *audit)
{
    struct nc_err err = {0};
    char reason[NC_ERR_MSG_MAX];
    const char *name = nc_svid_reason_name(f->reason);
    /* The detail is ours (OpenSSL's and the SVID checker's words), never peer bytes beyond
     * the claimed ID, which the SPIFFE parser has already restricted to [A-Za-z0-9._-/:]. */
    snprintf(reason, sizeof(reason), "%s: %.400s", name, f->detail);
    json_t *params = json_pack("{s:s, s:s, s:s}", "link", f->link, "reason", name, "peer_addr",
                               f->peer_addr);
    struct nc_audit_event ev = {
        .principal = f->peer_id,
        .operation = NC_MTLS_AUDIT_OPERATION,
        .params = params,
        .outcome = NC_AUDIT_DENIED,
        .reason = reason,
    };
    if (audit == NULL || params == NULL || nc_audit_append(audit, &ev, &err) < 0)
        atomic_fetch_add(&append_errors, 1);
    json_decref(params);
}

unsigned long nc_mtls_audit_errors(void)
{
    return atomic_load(&append_errors);
}
