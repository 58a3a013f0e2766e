/* SPDX-License-Identifier: Apache-2.0 */
/* The enforcement pipeline of the tool proxy (see dispatch.h for the order of the steps). */
#include "proxy/dispatch.h"

#include "core/sanitize.h"
#include "proxy/jsonrpc.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARKED 64u /* requests parked at once; more is refused (fail closed) */
#define WAIT_POLL_MS 100
#define WAIT_PROGRESS_EVERY 20 /* polls between progress notifications while waiting */

/* A parked request, remembered by what it would do, so that a retry of the same call finds
 * the human's decision instead of parking a second request. */
struct parked {
    bool used;
    enum nc_op op;
    uint8_t digest[NC_APPROVAL_DIGEST_LEN];
    char id[NC_APPROVAL_ID_LEN + 1];
};

struct nc_dispatch {
    struct nc_policy *policy;
    char *workspace;
    char pod_id[NC_APPROVAL_POD_MAX + 1];
    char *principal;
    char *exe;
    int root_fd;
    bool openat2_disabled;
    const char *const *exec_opts;
    size_t nexec_opts;
    struct nc_authority auth;
    struct nc_cost_model cost;
    uint64_t wait_s;
    struct nc_ledger ledger;

    atomic_bool audit_failed; /* fail closed: no call runs once the audit cannot record */

    pthread_mutex_t mu; /* guards everything below */
    struct nc_exposure exposure;
    unsigned inflight_private;   /* calls that may yet expose private data */
    unsigned inflight_untrusted; /* calls that may yet ingest untrusted content */
    struct parked parked[MAX_PARKED];
};

struct nc_dispatch *nc_dispatch_new(const struct nc_dispatch_config *cfg, struct nc_err *err)
{
    struct nc_dispatch *d;
    if (cfg->policy == NULL || cfg->workspace == NULL || cfg->workspace[0] != '/' ||
        cfg->authority == NULL || !nc_approval_pod_valid(cfg->pod_id)) {
        nc_err_set(err, EINVAL, "dispatch: incomplete configuration");
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    d->root_fd = -1;
    d->policy = malloc(sizeof(*d->policy));
    d->workspace = strdup(cfg->workspace);
    d->principal = strdup(cfg->principal != NULL ? cfg->principal : "stdio");
    d->exe = strdup(cfg->nucleus_exe != NULL ? cfg->nucleus_exe : "/proc/self/exe");
    if (d->policy == NULL || d->workspace == NULL || d->principal == NULL || d->exe == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(d->policy, cfg->policy, sizeof(*d->policy));
    snprintf(d->pod_id, sizeof(d->pod_id), "%s", cfg->pod_id);
    /* The workspace is opened once; every file access resolves beneath this descriptor. */
    d->root_fd = open(cfg->workspace, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (d->root_fd < 0) {
        nc_err_set(err, errno, "cannot open the workspace: %s", strerror(errno));
        goto fail;
    }
    if (nc_ledger_init(&d->ledger, cfg->policy->budget_micros, err) < 0)
        goto fail;
    pthread_mutex_init(&d->mu, NULL);
    d->auth = *cfg->authority;
    d->cost = cfg->cost;
    d->wait_s = cfg->approval_wait_s;
    d->openat2_disabled = cfg->openat2_disabled;
    d->exec_opts = cfg->exec_opts;
    d->nexec_opts = cfg->nexec_opts;
    return d;
fail:
    if (d->root_fd >= 0)
        close(d->root_fd);
    free(d->policy);
    free(d->workspace);
    free(d->principal);
    free(d->exe);
    free(d);
    return NULL;
}

void nc_dispatch_free(struct nc_dispatch *d)
{
    if (d == NULL)
        return;
    nc_ledger_destroy(&d->ledger);
    pthread_mutex_destroy(&d->mu);
    close(d->root_fd);
    free(d->policy);
    free(d->workspace);
    free(d->principal);
    free(d->exe);
    free(d);
}

void nc_dispatch_status(struct nc_dispatch *d, struct nc_budget *budget, uint8_t *legs)
{
    nc_ledger_snapshot(&d->ledger, budget);
    pthread_mutex_lock(&d->mu);
    *legs = d->exposure.legs;
    pthread_mutex_unlock(&d->mu);
}

/* ---- audit ---------------------------------------------------------------------------- */

static void audit(struct nc_dispatch *d, const char *request_id, const char *operation,
                  json_t *params, enum nc_audit_outcome outcome, const char *reason)
{
    struct nc_audit_event ev = {
        .request_id = request_id,
        .principal = d->principal,
        .operation = operation,
        .params = params,
        .outcome = outcome,
        .reason = reason,
    };
    struct nc_err err = {0};
    if (d->auth.audit(d->auth.ctx, &ev, &err) < 0) {
        /* Fail closed: an operation that cannot be recorded must not happen, so every later
         * call is refused. */
        atomic_store(&d->audit_failed, true);
    }
}

void nc_dispatch_audit(struct nc_dispatch *d, const char *request_id, const char *operation,
                       json_t *params, enum nc_audit_outcome outcome, const char *reason)
{
    audit(d, request_id, operation, params, outcome, reason);
}

static bool audit_ok(struct nc_dispatch *d)
{
    /* an atomic, not d->mu: every call asks, and the answer only ever turns false */
    return !atomic_load(&d->audit_failed);
}

/* ---- results -------------------------------------------------------------------------- */

static json_t *tool_result(const char *text, json_t *structured_stolen, bool is_error)
{
    json_t *content = json_array();
    json_t *item = json_object();
    json_t *r = json_object();
    if (content == NULL || item == NULL || r == NULL ||
        json_object_set_new(item, "type", json_string("text")) < 0 ||
        json_object_set_new(item, "text", json_string(text)) < 0 ||
        json_array_append(content, item) < 0 || json_object_set(r, "content", content) < 0 ||
        json_object_set_new(r, "isError", json_boolean(is_error)) < 0 ||
        (structured_stolen != NULL &&
         json_object_set(r, "structuredContent", structured_stolen) < 0)) {
        json_decref(r);
        r = NULL;
    }
    json_decref(content);
    json_decref(item);
    json_decref(structured_stolen);
    return r;
}

/* A refusal the model can read: "<kind>: <message>", sanitized (no host paths), plus
 * structuredContent {error: kind, message, ...extra}. */
static json_t *refusal(struct nc_dispatch *d, const char *kind, json_t *extra_stolen,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static json_t *refusal(struct nc_dispatch *d, const char *kind, json_t *extra_stolen,
                       const char *fmt, ...)
{
    char raw[2048], clean[2048], text[2200];
    va_list ap;
    json_t *s = extra_stolen != NULL ? extra_stolen : json_object();

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    nc_sanitize(raw, d->workspace, getenv("HOME"), clean, sizeof(clean));
    snprintf(text, sizeof(text), "%s: %s", kind, clean);
    if (s != NULL) {
        json_object_set_new(s, "error", json_string(kind));
        json_object_set_new(s, "message", json_string(clean));
    }
    return tool_result(text, s, true);
}

/* ---- exposure --------------------------------------------------------------------------- */

static bool may_expose_private(enum nc_op op)
{
    return (NC_OPSET_BIT(op) & NC_OPSET_PRIVATE) != 0;
}

static bool may_ingest_untrusted(const struct nc_policy *p, enum nc_op op)
{
    if ((NC_OPSET_BIT(op) & NC_OPSET_UNTRUSTED) != 0)
        return true;
    return (op == NC_OP_READ_FILES || op == NC_OP_GREP_SEARCH) && p->paths_untrusted.count > 0;
}

/* The exposure a decision must assume: what the session has done, plus what calls still in
 * flight may yet do.  Without the second part, an exfiltration decided while a read of
 * private data is running would be judged on a session that looks clean. */
static struct nc_exposure exposure_for_decision(struct nc_dispatch *d)
{
    struct nc_exposure e;
    pthread_mutex_lock(&d->mu);
    e = d->exposure;
    if (d->inflight_private > 0)
        e.legs = (uint8_t)(e.legs | NC_LEG_PRIVATE);
    if (d->inflight_untrusted > 0)
        e.legs = (uint8_t)(e.legs | NC_LEG_UNTRUSTED);
    pthread_mutex_unlock(&d->mu);
    return e;
}

/* ---- approvals -------------------------------------------------------------------------- */

static uint64_t now_s(void)
{
    return (uint64_t)time(NULL);
}

static int parked_find(struct nc_dispatch *d, enum nc_op op, const uint8_t *digest)
{
    for (unsigned i = 0; i < MAX_PARKED; i++)
        if (d->parked[i].used && d->parked[i].op == op &&
            memcmp(d->parked[i].digest, digest, NC_APPROVAL_DIGEST_LEN) == 0)
            return (int)i;
    return -1;
}

static void parked_forget(struct nc_dispatch *d, const char *id)
{
    pthread_mutex_lock(&d->mu);
    for (unsigned i = 0; i < MAX_PARKED; i++)
        if (d->parked[i].used && strcmp(d->parked[i].id, id) == 0)
            d->parked[i].used = false;
    pthread_mutex_unlock(&d->mu);
}

static json_t *approval_params(const char *tool, const struct nc_tool_plan *plan, const char *id)
{
    json_t *p = plan->audit_params != NULL ? json_deep_copy(plan->audit_params) : json_object();
    if (p == NULL)
        return NULL;
    json_object_set_new(p, "tool", json_string(tool));
    if (id != NULL)
        json_object_set_new(p, "approval_id", json_string(id));
    return p;
}

enum gate { GATE_PROCEED, GATE_REFUSED };

/* Consumes a minted token for exactly this call.  GATE_PROCEED when it verified. */
static enum gate consume(struct nc_dispatch *d, const char *tool, const struct nc_tool_plan *plan,
                         const char *rid, const char *token, const char *id, json_t **result)
{
    enum nc_approval_verdict v = d->auth.consume(d->auth.ctx, token, plan->op, plan->digest);
    json_t *p = approval_params(tool, plan, id);
    if (v == NC_APPROVAL_OK) {
        audit(d, rid, "approval.consume", p, NC_AUDIT_APPROVED, "token verified and consumed");
        json_decref(p);
        return GATE_PROCEED;
    }
    audit(d, rid, "approval.consume", p, NC_AUDIT_REJECTED, nc_approval_verdict_name(v));
    json_decref(p);
    *result = refusal(d, "invalid_approval", NULL,
                      "the approval token was refused (%s); nothing was done",
                      nc_approval_verdict_name(v));
    return GATE_REFUSED;
}

static json_t *approval_required(struct nc_dispatch *d, const char *id, const char *summary,
                                 const char *why)
{
    json_t *extra = json_object();
    if (extra != NULL) {
        json_object_set_new(extra, "approval_id", json_string(id));
        json_object_set_new(extra, "reason", json_string(why));
    }
    return refusal(d, "approval_required", extra,
                   "%s needs a human approval (%s). Approval id %s: ask the user to run "
                   "'nucleus approve %s' (or 'nucleus deny %s'), then repeat the same call.",
                   summary, why, id, id, id);
}

/* The approval step: a client-supplied token, an earlier decision on the same call, or a new
 * parked request (waited for, or reported as approval_required). */
static enum gate approval_gate(struct nc_dispatch *d, const char *tool, struct nc_tool_plan *plan,
                               const struct nc_decision *dec, const struct nc_call_ctx *call,
                               json_t **result)
{
    const char *why = nc_reason_name(dec->reason);
    char id[NC_APPROVAL_ID_LEN + 1] = "";
    char token[NC_APPROVAL_TOKEN_MAX];
    char summary[NC_APPROVAL_SUMMARY_MAX];
    struct nc_err err = {0};
    enum nc_approval_state state;
    int slot;
    bool fresh = false;

    state = NC_APPROVAL_LAPSED;

    if (call->token != NULL)
        return consume(d, tool, plan, call->request_id, call->token, NULL, result);

    /* An earlier request for exactly this operation and these arguments? */
    pthread_mutex_lock(&d->mu);
    slot = parked_find(d, plan->op, plan->digest);
    if (slot >= 0)
        memcpy(id, d->parked[slot].id, sizeof(id));
    pthread_mutex_unlock(&d->mu);

    if (id[0] != '\0' &&
        d->auth.decision(d->auth.ctx, id, &state, NULL, 0, &err) == 0 &&
        (state == NC_APPROVAL_PENDING || state == NC_APPROVAL_APPROVED)) {
        /* reuse it */
    } else {
        if (id[0] != '\0') {
            parked_forget(d, id); /* denied, lapsed or forgotten: the next call asks anew */
            if (state == NC_APPROVAL_DENIED) {
                json_t *p = approval_params(tool, plan, id);
                audit(d, call->request_id, tool, p, NC_AUDIT_REJECTED, "approval denied");
                json_decref(p);
                *result = refusal(d, "approval_denied", NULL,
                                  "a person denied this operation (approval id %s); it was not "
                                  "done. Repeating it asks again.",
                                  id);
                return GATE_REFUSED;
            }
        }
        snprintf(summary, sizeof(summary), "%s [%s]", plan->summary, why);
        /* Without waiting, the request must outlive the call so the person can still
         * answer: it lapses after the default wait. */
        uint64_t lapse = d->wait_s > 0 ? d->wait_s : NC_DISPATCH_DEFAULT_WAIT;
        pthread_mutex_lock(&d->mu);
        slot = parked_find(d, plan->op, plan->digest);
        if (slot < 0) {
            for (unsigned i = 0; i < MAX_PARKED; i++)
                if (!d->parked[i].used) {
                    slot = (int)i;
                    break;
                }
            if (slot >= 0 &&
                d->auth.park(d->auth.ctx, plan->op, plan->digest, summary, lapse, id, &err) ==
                    0) {
                d->parked[slot].used = true;
                d->parked[slot].op = plan->op;
                memcpy(d->parked[slot].digest, plan->digest, NC_APPROVAL_DIGEST_LEN);
                memcpy(d->parked[slot].id, id, sizeof(id));
                fresh = true;
            } else {
                slot = -1;
            }
        } else {
            memcpy(id, d->parked[slot].id, sizeof(id)); /* a concurrent call parked it */
        }
        pthread_mutex_unlock(&d->mu);
        if (slot < 0) {
            json_t *p = approval_params(tool, plan, NULL);
            audit(d, call->request_id, tool, p, NC_AUDIT_DENIED, "approval queue full");
            json_decref(p);
            *result = refusal(d, "approval_unavailable", NULL,
                              "too many operations are waiting for approval; nothing was done");
            return GATE_REFUSED;
        }
        if (fresh) {
            json_t *p = approval_params(tool, plan, id);
            if (p != NULL)
                json_object_set_new(p, "summary", json_string(summary));
            audit(d, call->request_id, tool, p, NC_AUDIT_NEEDS_APPROVAL, why);
            json_decref(p);
        }
    }

    /* Wait for the decision (or report the id at once). */
    uint64_t deadline = now_s() + d->wait_s;
    for (unsigned polls = 0;; polls++) {
        if (d->auth.decision(d->auth.ctx, id, &state, token, sizeof(token), &err) < 0)
            state = NC_APPROVAL_LAPSED;
        if (state == NC_APPROVAL_APPROVED) {
            enum gate g = consume(d, tool, plan, call->request_id, token, id, result);
            parked_forget(d, id);
            if (g == GATE_REFUSED && *result != NULL) {
                /* Another call with the same arguments used this approval first (exactly
                 * once): this one needs its own. */
                json_decref(*result);
                *result = refusal(d, "approval_required", NULL,
                                  "the approval %s was already used by another call; repeat "
                                  "this call to ask again",
                                  id);
            }
            return g;
        }
        if (state == NC_APPROVAL_DENIED || state == NC_APPROVAL_LAPSED) {
            json_t *p = approval_params(tool, plan, id);
            parked_forget(d, id);
            audit(d, call->request_id, tool, p, NC_AUDIT_REJECTED,
                  state == NC_APPROVAL_DENIED ? "approval denied" : "approval lapsed");
            json_decref(p);
            *result = state == NC_APPROVAL_DENIED
                          ? refusal(d, "approval_denied", NULL,
                                    "a person denied this operation (approval id %s); it was "
                                    "not done",
                                    id)
                          : refusal(d, "approval_lapsed", NULL,
                                    "nobody decided on approval %s in time; nothing was done",
                                    id);
            return GATE_REFUSED;
        }
        if (d->wait_s == 0 || now_s() >= deadline) {
            *result = approval_required(d, id, plan->summary, why);
            return GATE_REFUSED;
        }
        if (call->cancelled != NULL && atomic_load(call->cancelled)) {
            *result = refusal(d, "cancelled", NULL, "the call was cancelled while waiting for "
                                                    "approval %s",
                              id);
            return GATE_REFUSED;
        }
        if (call->progress != NULL && polls % WAIT_PROGRESS_EVERY == 0) {
            char msg[160];
            snprintf(msg, sizeof(msg), "waiting for approval %s: run 'nucleus approve %s'", id,
                     id);
            call->progress(call->progress_arg, polls / WAIT_PROGRESS_EVERY, 0, msg);
        }
        struct timespec ts = {0, WAIT_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- the pipeline ----------------------------------------------------------------------- */

json_t *nc_dispatch_tools_list(struct nc_dispatch *d)
{
    size_t n;
    const struct nc_tool *const *tools = nc_tools_all(&n);
    json_t *list = json_array();
    json_t *r = json_object();
    if (list == NULL || r == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct nc_tool *t = tools[i];
        json_error_t jerr;
        json_t *schema, *entry;
        /* A tool whose capability is Never is not offered at all. */
        if (d->policy->caps.level[t->op] == (uint8_t)NC_NEVER)
            continue;
        schema = json_loads(t->input_schema, JSON_REJECT_DUPLICATES, &jerr);
        entry = json_object();
        if (schema == NULL || entry == NULL ||
            json_object_set_new(entry, "name", json_string(t->name)) < 0 ||
            json_object_set_new(entry, "title", json_string(t->title)) < 0 ||
            json_object_set_new(entry, "description", json_string(t->description)) < 0 ||
            json_object_set(entry, "inputSchema", schema) < 0 ||
            json_array_append(list, entry) < 0) {
            json_decref(schema);
            json_decref(entry);
            goto fail;
        }
        json_decref(schema);
        json_decref(entry);
    }
    if (json_object_set(r, "tools", list) < 0)
        goto fail;
    json_decref(list);
    return r;
fail:
    json_decref(list);
    json_decref(r);
    return NULL;
}

static bool op_takes_path(enum nc_op op)
{
    return op == NC_OP_READ_FILES || op == NC_OP_WRITE_FILES || op == NC_OP_EDIT_FILES ||
           op == NC_OP_GLOB_SEARCH || op == NC_OP_GREP_SEARCH;
}

/* The audit parameters of a call: the plan's shapes and digests, the tool, the decision. */
static json_t *call_params(const char *tool, const struct nc_tool_plan *plan)
{
    json_t *p = plan->audit_params != NULL ? json_deep_copy(plan->audit_params) : json_object();
    char hex[2 * NC_APPROVAL_DIGEST_LEN + 1];
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < NC_APPROVAL_DIGEST_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", plan->digest[i]);
    json_object_set_new(p, "tool", json_string(tool));
    json_object_set_new(p, "args_sha256", json_string(hex));
    return p;
}

json_t *nc_dispatch_call(struct nc_dispatch *d, const char *name, json_t *args,
                         const struct nc_call_ctx *call, int *rpc_code, struct nc_err *err)
{
    const struct nc_tool *tool = nc_tool_find(name);
    struct nc_tool_env env = {
        .root_fd = d->root_fd,
        .root = d->workspace,
        .policy = d->policy,
        .cancelled = call->cancelled,
        .progress = call->progress,
        .progress_arg = call->progress_arg,
        .openat2_disabled = d->openat2_disabled,
        .nucleus_exe = d->exe,
        .spawn = d->auth.spawn,
        .spawn_ctx = d->auth.ctx,
        .exec_opts = d->exec_opts,
        .nexec_opts = d->nexec_opts,
    };
    struct nc_tool_plan plan;
    struct nc_tool_output out = {0};
    struct nc_decision dec;
    struct nc_exposure exposure;
    struct nc_request req = {0};
    struct nc_ledger_hold hold = {0};
    struct nc_err terr = {0};
    json_t *result = NULL, *params = NULL, *owned_args = NULL;
    uint64_t price = 0, actual = 0;
    bool priv, untr;
    const char *rid = call->request_id;

    if (tool == NULL) {
        *rpc_code = NC_RPC_INVALID_PARAMS;
        nc_err_set(err, ENOENT, "unknown tool");
        /* Still recorded: probing for tools is an event worth seeing. */
        params = json_pack("{s:s}", "tool", name);
        audit(d, rid, "tools/call", params, NC_AUDIT_INVALID, "unknown tool");
        json_decref(params);
        return NULL;
    }
    if (args == NULL)
        args = owned_args = json_object();
    if (!json_is_object(args)) {
        *rpc_code = NC_RPC_INVALID_PARAMS;
        nc_err_set(err, EINVAL, "arguments must be an object");
        return NULL;
    }
    if (!audit_ok(d)) {
        json_decref(owned_args);
        return refusal(d, "audit_unavailable", NULL,
                       "the audit log cannot record operations; nothing is allowed to run");
    }

    /* 1. Validate the input. */
    nc_tool_plan_init(&plan);
    if (tool->plan(&env, args, &plan, &terr) < 0) {
        params = json_pack("{s:s}", "tool", name);
        audit(d, rid, name, params, NC_AUDIT_INVALID, terr.msg);
        result = refusal(d, "validation_error", NULL, "%s", terr.msg);
        goto done;
    }
    params = call_params(name, &plan);

    /* 2-4. Capability, path / command policy, exposure and approval obligations. */
    req.op = plan.op;
    req.root = d->workspace;
    if (op_takes_path(plan.op))
        req.path = plan.path;
    req.argv = plan.argc > 0 ? plan.argv : NULL;
    req.argc = plan.argc;
    req.host = plan.host[0] != '\0' ? plan.host : NULL; /* web tools, git_push, create_pr */
    req.remote = plan.remote[0] != '\0' ? plan.remote : NULL; /* git_push */
    exposure = exposure_for_decision(d);
    nc_decide(d->policy, &exposure, &req, &dec);
    if (op_takes_path(plan.op))
        snprintf(plan.decided_path, sizeof(plan.decided_path), "%s", dec.path);
    if (dec.rule != NULL && params != NULL)
        json_object_set_new(params, "rule", json_string(dec.rule));
    if (dec.verdict == NC_DENY) {
        audit(d, rid, name, params, NC_AUDIT_DENIED, nc_reason_name(dec.reason));
        result = refusal(d, nc_reason_name(dec.reason), NULL, "%s (%s)",
                         nc_reason_text(dec.reason), plan.summary);
        goto done;
    }
    if (dec.verdict == NC_NEEDS_APPROVAL &&
        approval_gate(d, name, &plan, &dec, call, &result) != GATE_PROCEED)
        goto done;

    /* 5. Budget: reserve the most the call can cost. */
    if (nc_cost_price(&d->cost, plan.cost_kind, plan.max_quantity, &price, &terr) < 0 ||
        nc_ledger_reserve(&d->ledger, price, &hold, &terr) < 0) {
        audit(d, rid, name, params, NC_AUDIT_DENIED, "budget_exhausted");
        result = refusal(d, "budget_exhausted", NULL, "%s", terr.msg);
        goto done;
    }

    /* 6. Execute, with the legs the call may expose counted as in flight. */
    priv = may_expose_private(plan.op);
    untr = may_ingest_untrusted(d->policy, plan.op);
    pthread_mutex_lock(&d->mu);
    d->inflight_private += priv;
    d->inflight_untrusted += untr;
    pthread_mutex_unlock(&d->mu);

    int rc = tool->exec(&env, &plan, &out, &terr);

    pthread_mutex_lock(&d->mu);
    d->inflight_private -= priv;
    d->inflight_untrusted -= untr;
    /* Recorded whether or not the tool succeeded: a failed run may still have sent data. */
    nc_exposure_record(&d->exposure, plan.op, out.untrusted);
    pthread_mutex_unlock(&d->mu);

    /* 7. Audit, with what the call was reserved and what it actually cost. */
    if (nc_cost_price(&d->cost, plan.cost_kind, out.quantity, &actual, &terr) < 0 ||
        actual > price)
        actual = price;
    if (params != NULL) {
        json_object_set_new(params, "quantity", json_integer((json_int_t)out.quantity));
        json_object_set_new(params, "cost_reserved", json_integer((json_int_t)price));
        json_object_set_new(params, "cost_actual", json_integer((json_int_t)actual));
        if (out.untrusted)
            json_object_set_new(params, "untrusted_content", json_true());
        if (out.egress != NULL)
            json_object_set(params, "egress", out.egress);
        if (out.egress_truncated)
            json_object_set_new(params, "egress_truncated", json_true());
    }
    if (rc < 0) {
        audit(d, rid, name, params, NC_AUDIT_ERROR, terr.msg);
        result = refusal(d, "internal_error", NULL, "%s", terr.msg);
    } else if (out.is_error) {
        audit(d, rid, name, params, NC_AUDIT_ERROR, out.kind != NULL ? out.kind : "tool_error");
        result = refusal(d, out.kind != NULL ? out.kind : "tool_error",
                         steal_pointer(&out.structured), "%s", out.text != NULL ? out.text : "");
    } else {
        audit(d, rid, name, params, NC_AUDIT_ALLOWED, nc_reason_name(dec.reason));
        result = tool_result(out.text != NULL ? out.text : "", steal_pointer(&out.structured),
                             false);
    }

    /* 8. Settle: the actual cost (capped at the reservation above: never overspent), the
     * rest refunded. */
    (void)nc_ledger_settle(&d->ledger, &hold, actual, &terr);

done:
    nc_tool_output_free(&out);
    nc_tool_plan_free(tool, &plan);
    json_decref(params);
    json_decref(owned_args);
    if (result == NULL) {
        *rpc_code = NC_RPC_INTERNAL_ERROR;
        nc_err_set(err, ENOMEM, "out of memory");
    }
    return result;
}
