/* SPDX-License-Identifier: Apache-2.0 */
/* What the pipeline asks of whoever holds the secrets and the history: the audit log, the
 * approval registry and key, and the right to start command pods.  A standalone proxy holds
 * them itself (nc_authority_local); under `nucleus run` the orchestrator holds them outside the
 * pod and the proxy reaches them over its link (link.h), so a compromised proxy can neither
 * rewrite the audit log nor mint approvals nor widen a command's sandbox. */
#ifndef NC_PROXY_AUTHORITY_H
#define NC_PROXY_AUTHORITY_H

#include "audit/audit.h"
#include "core/lattice.h"
#include "proxy/approval.h"
#include "proxy/nested.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

struct nc_authority {
    void *ctx;
    /* Appends one event; returns only once it is recorded (durably in strict mode). */
    int (*audit)(void *ctx, const struct nc_audit_event *ev, struct nc_err *err);
    /* Parks a request for a person; writes its id. */
    int (*park)(void *ctx, enum nc_op op, const uint8_t digest[NC_APPROVAL_DIGEST_LEN],
                const char *summary, uint64_t lapse_s, char id[NC_APPROVAL_ID_LEN + 1],
                struct nc_err *err);
    /* The decision on a parked request, and the token when approved. */
    int (*decision)(void *ctx, const char *id, enum nc_approval_state *state, char *token,
                    size_t tokensz, struct nc_err *err);
    /* Verifies and consumes a token for exactly this operation and these arguments. */
    enum nc_approval_verdict (*consume)(void *ctx, const char *token, enum nc_op op,
                                        const uint8_t digest[NC_APPROVAL_DIGEST_LEN]);
    /* Runs a command in a pod shaped by the session's policy (not by anything the caller
     * says about it). */
    int (*spawn)(void *ctx, const struct nc_spawn_opts *o, struct nc_spawn_result *r,
                 struct nc_err *err);
};

/* The authority of a standalone proxy: everything in this process. */
struct nc_authority_local {
    struct nc_approval_registry *reg;
    struct nc_approval_key key;
    char pod_id[NC_APPROVAL_POD_MAX + 1];
    struct nc_audit *audit;
};
/* Fills a with the local implementation over l (which must outlive a).  The key is copied. */
void nc_authority_local(struct nc_authority *a, struct nc_authority_local *l,
                        struct nc_approval_registry *reg, const struct nc_approval_key *key,
                        const char *pod_id, struct nc_audit *audit);

/* Loads the 32-byte key STATE/NAME (mode 0600, ours), creating it on first use. */
int nc_state_key(const char *state, const char *name, uint8_t out[NC_APPROVAL_KEY_LEN],
                 struct nc_err *err);

#endif
