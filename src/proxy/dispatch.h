/* SPDX-License-Identifier: Apache-2.0 */
/* The enforcement pipeline every tool call goes through, in this order: validate the input ->
 * capability level -> path / command policy -> exposure and approval -> budget reservation ->
 * execute -> audit -> settle the budget.  Thread-safe: calls run concurrently. */
#ifndef NC_PROXY_DISPATCH_H
#define NC_PROXY_DISPATCH_H

#include "audit/audit.h"
#include "core/policy.h"
#include "proxy/approval.h"
#include "proxy/authority.h"
#include "proxy/ledger.h"
#include "proxy/tool.h"
#include "util/err.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#define NC_DISPATCH_DEFAULT_WAIT 120u /* seconds a call waits for a human decision */
#define NC_DISPATCH_TOKEN_TTL 60u     /* seconds an approval token lives once minted */

struct nc_dispatch_config {
    const struct nc_policy *policy; /* composed and normalized; copied */
    const char *workspace;          /* absolute, canonical */
    const char *pod_id;             /* [A-Za-z0-9_-]{1,64} */
    const char *principal;          /* who calls, for the audit ("spiffe://...", "stdio") */
    const struct nc_authority *authority; /* required: audit, approvals, command pods */
    struct nc_cost_model cost;
    uint64_t approval_wait_s; /* 0: do not wait, return approval_required at once */
    const char *nucleus_exe;  /* the nucleus binary, for the nested sandbox of run */
    bool openat2_disabled;    /* tests: force the resolver fallback */
    /* nucleus exec options for nested pods' egress gateways (borrowed: must outlive the
     * dispatcher); see nested.h */
    const char *const *exec_opts;
    size_t nexec_opts;
};

struct nc_dispatch;

struct nc_dispatch *nc_dispatch_new(const struct nc_dispatch_config *cfg, struct nc_err *err);
void nc_dispatch_free(struct nc_dispatch *d);

/* tools/list result: the tools whose capability is not Never (new reference). */
json_t *nc_dispatch_tools_list(struct nc_dispatch *d);

/* One tools/call.  Returns the CallToolResult object (new reference): tool errors, denials,
 * validation failures and approval_required are results with isError true, so the model can
 * read them.  Returns NULL with *rpc_code and err set when the call itself is malformed
 * (unknown tool: NC_RPC_INVALID_PARAMS) or on an internal failure. */
struct nc_call_ctx {
    const char *request_id;       /* the JSON-RPC id as text, for the audit */
    const atomic_bool *cancelled; /* set by notifications/cancelled */
    void (*progress)(void *arg, uint64_t done, uint64_t total, const char *message);
    void *progress_arg;
    const char *token;            /* an approval token from the client's _meta, or NULL */
};
json_t *nc_dispatch_call(struct nc_dispatch *d, const char *tool, json_t *args,
                         const struct nc_call_ctx *call, int *rpc_code, struct nc_err *err);

/* Audits an event from outside the pipeline (protocol requests, approval decisions, session
 * start and end).  request_id may be NULL. */
void nc_dispatch_audit(struct nc_dispatch *d, const char *request_id, const char *operation,
                       json_t *params, enum nc_audit_outcome outcome, const char *reason);
/* Budget and exposure, for status displays. */
void nc_dispatch_status(struct nc_dispatch *d, struct nc_budget *budget, uint8_t *legs);

#endif
