/* SPDX-License-Identifier: Apache-2.0 */
/* MCP over stdio: a reader that answers cheap requests in order, and a worker pool for tool
 * calls, with a table of calls in flight for cancellation and progress. */
#include "proxy/mcp.h"

#include "proxy/jsonrpc.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const revisions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                        "2024-11-05"};

const char *nc_mcp_negotiate(const char *requested)
{
    if (requested != NULL)
        for (size_t i = 0; i < sizeof(revisions) / sizeof(revisions[0]); i++)
            if (strcmp(requested, revisions[i]) == 0)
                return revisions[i];
    /* Unknown or missing: offer our latest; the client decides whether it can speak it. */
    return revisions[0];
}

struct call {
    bool used;
    bool queued_or_running;
    json_t *id;             /* owned copy */
    char id_text[NC_RPC_MAX_ID + 24];
    atomic_bool cancelled;
    json_t *progress_token; /* owned copy or NULL */
    uint64_t progress_last;
    char *tool;
    json_t *args;           /* owned reference or NULL */
    char *token;            /* approval token from _meta, or NULL */
    struct server *srv;
    struct call *next;      /* queue link */
};

struct server {
    const struct nc_mcp_config *cfg;
    pthread_mutex_t out_mu; /* one message at a time on stdout */
    pthread_mutex_t mu;     /* calls, queue, stopping */
    pthread_cond_t cv;
    struct call *calls;
    size_t ncalls;
    struct call *head, *tail;
    bool stopping;
    bool initialized;
    bool write_failed;
};

static void send_msg(struct server *s, json_t *msg)
{
    size_t len = 0, off = 0;
    char *line;
    if (msg == NULL)
        return;
    line = nc_rpc_encode(msg, &len);
    json_decref(msg);
    if (line == NULL)
        return;
    pthread_mutex_lock(&s->out_mu);
    while (off < len && !s->write_failed) {
        ssize_t w = write(s->cfg->out_fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->write_failed = true; /* the client is gone; calls still finish and audit */
            break;
        }
        off += (size_t)w;
    }
    pthread_mutex_unlock(&s->out_mu);
    free(line);
}

static void send_error(struct server *s, json_t *id, int code, const char *message)
{
    send_msg(s, nc_rpc_error(id, code, message, NULL));
}

/* ---- calls in flight ------------------------------------------------------------------ */

static struct call *call_find_locked(struct server *s, const json_t *id)
{
    /* A cancelled call keeps its slot until it has stopped, but its id is free again: the
     * client has forgotten it. */
    for (size_t i = 0; i < s->ncalls; i++)
        if (s->calls[i].used && !atomic_load(&s->calls[i].cancelled) &&
            json_equal(s->calls[i].id, id))
            return &s->calls[i];
    return NULL;
}

static void call_release(struct server *s, struct call *c)
{
    pthread_mutex_lock(&s->mu);
    json_decref(c->id);
    json_decref(c->progress_token);
    json_decref(c->args);
    free(c->tool);
    free(c->token);
    c->id = c->progress_token = c->args = NULL;
    c->tool = c->token = NULL;
    c->used = false;
    c->queued_or_running = false;
    /* No wake-up: only idle workers wait on cv, for queued calls or the stop, and a freed
     * slot is neither (a broadcast here woke every idle worker after every call). */
    pthread_mutex_unlock(&s->mu);
}

static void progress_cb(void *arg, uint64_t done, uint64_t total, const char *message)
{
    struct call *c = arg;
    json_t *params;
    /* progress must increase with every notification */
    uint64_t p = done > c->progress_last ? done : c->progress_last + 1;
    if (c->progress_token == NULL || atomic_load(&c->cancelled))
        return;
    c->progress_last = p;
    params = json_pack("{s:O, s:I}", "progressToken", c->progress_token, "progress",
                       (json_int_t)p);
    if (params == NULL)
        return;
    if (total > 0)
        json_object_set_new(params, "total", json_integer((json_int_t)total));
    if (message != NULL)
        json_object_set_new(params, "message", json_string(message));
    send_msg(c->srv, nc_rpc_notification("notifications/progress", params));
}

static void run_call(struct server *s, struct call *c)
{
    struct nc_call_ctx ctx = {
        .request_id = c->id_text,
        .cancelled = &c->cancelled,
        .progress = progress_cb,
        .progress_arg = c,
        .token = c->token,
    };
    struct nc_err err = {0};
    int code = NC_RPC_INTERNAL_ERROR;
    json_t *result = nc_dispatch_call(s->cfg->dispatch, c->tool, c->args, &ctx, &code, &err);

    /* A cancelled request gets no response (the client has stopped waiting for it). */
    if (atomic_load(&c->cancelled)) {
        json_decref(result);
    } else if (result != NULL) {
        send_msg(s, nc_rpc_result(c->id, result));
    } else {
        send_error(s, c->id, code, err.msg[0] != '\0' ? err.msg : "internal error");
    }
    call_release(s, c);
}

static void *worker(void *arg)
{
    struct server *s = arg;
    for (;;) {
        struct call *c;
        pthread_mutex_lock(&s->mu);
        while (s->head == NULL && !s->stopping)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->head == NULL) { /* stopping and nothing left */
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        c = s->head;
        s->head = c->next;
        if (s->head == NULL)
            s->tail = NULL;
        pthread_mutex_unlock(&s->mu);
        run_call(s, c);
    }
}

/* ---- requests ----------------------------------------------------------------------------- */

static void id_to_text(const json_t *id, char *out, size_t outsz)
{
    if (json_is_string(id))
        snprintf(out, outsz, "%s", json_string_value(id));
    else if (json_is_integer(id))
        snprintf(out, outsz, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else
        snprintf(out, outsz, "?");
}

static void handle_initialize(struct server *s, struct nc_rpc_msg *m)
{
    json_t *v = m->params != NULL ? json_object_get(m->params, "protocolVersion") : NULL;
    json_t *result;
    if (s->initialized) {
        /* A new client on the same session (under `nucleus run`, an agent that reconnects
         * through a new bridge).  The calls of the previous client are cancelled, so none of
         * their answers reaches the new one; the session's exposure, budget and approvals
         * carry over. */
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < s->ncalls; i++)
            if (s->calls[i].used)
                atomic_store(&s->calls[i].cancelled, true);
        pthread_mutex_unlock(&s->mu);
    }
    if (v == NULL || !json_is_string(v)) {
        send_error(s, m->id, NC_RPC_INVALID_PARAMS, "protocolVersion (a string) is required");
        return;
    }
    result = json_pack(
        "{s:s, s:{s:{s:b}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion",
        nc_mcp_negotiate(json_string_value(v)), "capabilities", "tools", "listChanged", 0,
        "serverInfo", "name", "nucleus", "title", "nucleus tool proxy", "version",
        s->cfg->version != NULL ? s->cfg->version : "0", "instructions",
        "Every tool call is checked against a policy and recorded in an audit log. Some "
        "operations need a person's approval: the error approval_required names an id; the "
        "user approves with 'nucleus approve <id>', then repeat the same call.");
    s->initialized = true;
    send_msg(s, nc_rpc_result(m->id, result));
}

static void handle_tools_call(struct server *s, struct nc_rpc_msg *m)
{
    json_t *name = m->params != NULL ? json_object_get(m->params, "name") : NULL;
    json_t *args = m->params != NULL ? json_object_get(m->params, "arguments") : NULL;
    json_t *meta = m->params != NULL ? json_object_get(m->params, "_meta") : NULL;
    json_t *ptok = NULL, *atok = NULL;
    struct call *c = NULL;

    if (!json_is_string(name)) {
        send_error(s, m->id, NC_RPC_INVALID_PARAMS, "name (a string) is required");
        return;
    }
    if (args != NULL && !json_is_object(args)) {
        send_error(s, m->id, NC_RPC_INVALID_PARAMS, "arguments must be an object");
        return;
    }
    if (meta != NULL) {
        if (!json_is_object(meta)) {
            send_error(s, m->id, NC_RPC_INVALID_PARAMS, "_meta must be an object");
            return;
        }
        ptok = json_object_get(meta, "progressToken");
        if (ptok != NULL && !json_is_string(ptok) && !json_is_integer(ptok)) {
            send_error(s, m->id, NC_RPC_INVALID_PARAMS,
                       "progressToken must be a string or an integer");
            return;
        }
        atok = json_object_get(meta, "nucleus/approvalToken");
        if (atok != NULL && (!json_is_string(atok) ||
                             json_string_length(atok) >= NC_APPROVAL_TOKEN_MAX ||
                             strlen(json_string_value(atok)) != json_string_length(atok))) {
            send_error(s, m->id, NC_RPC_INVALID_PARAMS, "nucleus/approvalToken is malformed");
            return;
        }
    }

    pthread_mutex_lock(&s->mu);
    if (call_find_locked(s, m->id) != NULL) {
        pthread_mutex_unlock(&s->mu);
        send_error(s, m->id, NC_RPC_INVALID_REQUEST, "a request with this id is in flight");
        return;
    }
    for (size_t i = 0; i < s->ncalls; i++)
        if (!s->calls[i].used) {
            c = &s->calls[i];
            break;
        }
    if (c == NULL) {
        pthread_mutex_unlock(&s->mu);
        send_error(s, m->id, NC_RPC_SERVER_BUSY, "too many tool calls in flight; retry later");
        return;
    }
    c->used = true;
    c->queued_or_running = true;
    c->srv = s;
    c->id = json_copy(m->id);
    id_to_text(m->id, c->id_text, sizeof(c->id_text));
    atomic_store(&c->cancelled, false);
    c->progress_token = ptok != NULL ? json_copy(ptok) : NULL;
    c->progress_last = 0;
    c->tool = strdup(json_string_value(name));
    c->args = args != NULL ? json_incref(args) : NULL;
    c->token = atok != NULL ? strdup(json_string_value(atok)) : NULL;
    c->next = NULL;
    if (c->id == NULL || c->tool == NULL || (atok != NULL && c->token == NULL)) {
        pthread_mutex_unlock(&s->mu);
        call_release(s, c);
        send_error(s, m->id, NC_RPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    if (s->tail != NULL)
        s->tail->next = c;
    else
        s->head = c;
    s->tail = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void handle_cancelled(struct server *s, struct nc_rpc_msg *m)
{
    json_t *id = m->params != NULL ? json_object_get(m->params, "requestId") : NULL;
    struct call *c;
    if (id == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    c = call_find_locked(s, id);
    if (c != NULL)
        atomic_store(&c->cancelled, true);
    pthread_mutex_unlock(&s->mu);
}

/* Every request and every refused message leaves a record; tools/call is recorded by the
 * pipeline itself. */
static void audit_msg(struct server *s, const struct nc_rpc_msg *m, enum nc_audit_outcome o,
                      const char *reason)
{
    char rid[NC_RPC_MAX_ID + 24];
    json_t *p = NULL;
    if (m->id != NULL)
        id_to_text(m->id, rid, sizeof(rid));
    if (m->method != NULL && strcmp(m->method, "initialize") == 0 && m->params != NULL) {
        json_t *ci = json_object_get(m->params, "clientInfo");
        json_t *pv = json_object_get(m->params, "protocolVersion");
        p = json_object();
        if (p != NULL && json_is_object(ci)) {
            json_t *nm = json_object_get(ci, "name"), *vr = json_object_get(ci, "version");
            if (json_is_string(nm))
                json_object_set(p, "client", nm);
            if (json_is_string(vr))
                json_object_set(p, "client_version", vr);
        }
        if (p != NULL && json_is_string(pv))
            json_object_set(p, "protocol", pv);
    }
    nc_dispatch_audit(s->cfg->dispatch, m->id != NULL ? rid : NULL,
                      m->method != NULL ? m->method : "jsonrpc", p, o, reason);
    json_decref(p);
}

static void handle(struct server *s, struct nc_rpc_msg *m)
{
    switch (m->kind) {
    case NC_RPC_INVALID:
        audit_msg(s, m, NC_AUDIT_INVALID, m->error_message);
        send_error(s, m->id, m->error_code, m->error_message);
        return;
    case NC_RPC_RESPONSE:
        return; /* we send no requests; a stray response is dropped */
    case NC_RPC_NOTIFICATION:
        if (strcmp(m->method, "notifications/cancelled") == 0) {
            audit_msg(s, m, NC_AUDIT_INFO, "cancellation requested");
            handle_cancelled(s, m);
        }
        return; /* notifications/initialized and unknown notifications need nothing */
    case NC_RPC_REQUEST:
        break;
    }
    if (strcmp(m->method, "tools/call") != 0)
        audit_msg(s, m, NC_AUDIT_INFO, "request");
    if (strcmp(m->method, "initialize") == 0) {
        handle_initialize(s, m);
    } else if (strcmp(m->method, "ping") == 0) {
        send_msg(s, nc_rpc_result(m->id, json_object()));
    } else if (!s->initialized) {
        send_error(s, m->id, NC_RPC_NOT_INITIALIZED, "initialize first");
    } else if (strcmp(m->method, "tools/list") == 0) {
        if (m->params != NULL && json_object_get(m->params, "cursor") != NULL) {
            /* one page holds every tool, so no cursor was ever issued */
            send_error(s, m->id, NC_RPC_INVALID_PARAMS, "invalid cursor");
            return;
        }
        json_t *r = nc_dispatch_tools_list(s->cfg->dispatch);
        if (r == NULL)
            send_error(s, m->id, NC_RPC_INTERNAL_ERROR, "cannot list tools");
        else
            send_msg(s, nc_rpc_result(m->id, r));
    } else if (strcmp(m->method, "tools/call") == 0) {
        handle_tools_call(s, m);
    } else {
        send_error(s, m->id, NC_RPC_METHOD_NOT_FOUND, "method not found");
    }
}

int nc_mcp_serve(const struct nc_mcp_config *cfg, struct nc_err *err)
{
    struct server s;
    struct nc_rpc_reader rd;
    unsigned nworkers = cfg->workers != 0 ? cfg->workers : NC_MCP_DEFAULT_WORKERS;
    unsigned queue = cfg->max_queue != 0 ? cfg->max_queue : NC_MCP_DEFAULT_QUEUE;
    pthread_t *threads;
    unsigned started = 0;
    bool stopped = false;

    if (nworkers > 64)
        return nc_err_set(err, EINVAL, "at most 64 workers");
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    s.ncalls = (size_t)nworkers + queue;
    s.calls = calloc(s.ncalls, sizeof(*s.calls));
    threads = calloc(nworkers, sizeof(*threads));
    if (s.calls == NULL || threads == NULL ||
        nc_rpc_reader_init(&rd, cfg->in_fd, cfg->stop_fd) < 0) {
        free(s.calls);
        free(threads);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s.out_mu, NULL);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    for (; started < nworkers; started++)
        if (pthread_create(&threads[started], NULL, worker, &s) != 0)
            break;
    if (started == 0) {
        nc_err_set(err, EAGAIN, "cannot start worker threads");
        goto out;
    }

    for (;;) {
        const char *line;
        size_t len;
        enum nc_rpc_read rr = nc_rpc_read_line(&rd, &line, &len);
        if (rr == NC_RPC_READ_STOPPED) {
            stopped = true;
            break;
        }
        if (rr == NC_RPC_READ_EOF || rr == NC_RPC_READ_ERROR)
            break;
        if (rr == NC_RPC_READ_TOO_LONG) {
            nc_dispatch_audit(cfg->dispatch, NULL, "jsonrpc", NULL, NC_AUDIT_INVALID,
                              "message too large");
            send_error(&s, NULL, NC_RPC_INVALID_REQUEST, "message too large");
            continue;
        }
        size_t sp = 0;
        while (sp < len && (line[sp] == ' ' || line[sp] == '\t'))
            sp++;
        if (sp == len)
            continue; /* blank lines separate nothing; skip them */
        struct nc_rpc_msg m;
        nc_rpc_parse(line, len, &m);
        handle(&s, &m);
        nc_rpc_msg_free(&m);
    }

    /* End of input: the calls already accepted finish and answer (a client may close its
     * side after its last request).  A stop request (a signal) cancels them instead. */
    pthread_mutex_lock(&s.mu);
    s.stopping = true;
    if (stopped)
        for (size_t i = 0; i < s.ncalls; i++)
            if (s.calls[i].used)
                atomic_store(&s.calls[i].cancelled, true);
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
out:
    pthread_mutex_lock(&s.mu);
    s.stopping = true;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    nc_rpc_reader_free(&rd);
    pthread_mutex_destroy(&s.out_mu);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
    free(s.calls);
    free(threads);
    return started == 0 ? -1 : 0;
}
