/* SPDX-License-Identifier: Apache-2.0 */
/* The proxy <-> orchestrator link (see link.h). */
#include "proxy/link.h"

#include "core/glob.h"
#include "core/validate.h"
#include "proxy/jsonrpc.h"
#include "util/cleanup.h"
#include "util/ossl.h"
#include "util/utf8.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- shared ------------------------------------------------------------------------------- */

static int send_line(int fd, pthread_mutex_t *mu, json_t *msg)
{
    size_t len = 0, off = 0;
    char *line = nc_rpc_encode(msg, &len);
    int rc = 0;
    if (line == NULL)
        return -1;
    pthread_mutex_lock(mu);
    while (off < len) {
        ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    pthread_mutex_unlock(mu);
    free(line);
    return rc;
}

static json_t *b64(const void *data, size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *out = malloc(cap);
    json_t *s;
    if (out == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    s = json_string(out);
    free(out);
    return s;
}

/* Decodes a base64 string into a new NUL-terminated buffer; NULL when malformed or > max. */
static char *unb64(const json_t *v, size_t max, size_t *len)
{
    const char *s = json_string_value(v);
    size_t n = s != NULL ? strlen(s) : 0, pad = 0;
    char *out;
    int got;
    if (s == NULL || n % 4 != 0 || n / 4 * 3 > max + 3)
        return NULL;
    out = malloc(n / 4 * 3 + 1);
    if (out == NULL)
        return NULL;
    got = n > 0 ? EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n) : 0;
    if (got < 0) {
        free(out);
        return NULL;
    }
    if (n > 0 && s[n - 1] == '=')
        pad++;
    if (n > 1 && s[n - 2] == '=')
        pad++;
    *len = (size_t)got - pad;
    if (*len > max) {
        free(out);
        return NULL;
    }
    out[*len] = '\0';
    return out;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
    if (s == NULL || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return 0;
}

/* ---- client (inside the pod) ---------------------------------------------------------------- */

struct pending {
    uint64_t id;
    json_t *reply;
    struct pending *next;
};

struct nc_link_client {
    int fd;
    pthread_mutex_t wmu; /* one line at a time */
    pthread_mutex_t mu;  /* pending, dead, next_id */
    pthread_cond_t cv;
    pthread_t reader;
    bool dead;
    uint64_t next_id;
    struct pending *head;
};

static void *client_reader(void *arg)
{
    struct nc_link_client *c = arg;
    struct nc_rpc_reader rd;
    if (nc_rpc_reader_init(&rd, c->fd, -1) == 0) {
        for (;;) {
            const char *line;
            size_t len;
            json_error_t jerr;
            if (nc_rpc_read_line(&rd, &line, &len) != NC_RPC_READ_LINE)
                break;
            json_t *m = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
            json_t *id = json_object_get(m, "id");
            pthread_mutex_lock(&c->mu);
            for (struct pending *p = c->head; p != NULL; p = p->next)
                if (json_is_integer(id) && (uint64_t)json_integer_value(id) == p->id &&
                    p->reply == NULL) {
                    p->reply = json_incref(m);
                    pthread_cond_broadcast(&c->cv);
                    break;
                }
            pthread_mutex_unlock(&c->mu);
            json_decref(m);
        }
        nc_rpc_reader_free(&rd);
    }
    pthread_mutex_lock(&c->mu);
    c->dead = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

struct nc_link_client *nc_link_client_new(int fd, struct nc_err *err)
{
    struct nc_link_client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    c->fd = fd;
    pthread_mutex_init(&c->wmu, NULL);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->reader, NULL, client_reader, c) != 0) {
        close(fd);
        free(c);
        nc_err_set(err, EAGAIN, "cannot start the link reader");
        return NULL;
    }
    return c;
}

void nc_link_client_free(struct nc_link_client *c)
{
    if (c == NULL)
        return;
    shutdown(c->fd, SHUT_RDWR);
    pthread_join(c->reader, NULL);
    close(c->fd);
    pthread_mutex_destroy(&c->wmu);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

struct wait_opts {
    const atomic_bool *cancelled;
    void (*progress)(void *arg, uint64_t done, uint64_t total, const char *message);
    void *progress_arg;
    uint64_t total;
};

/* Sends req (stolen) and waits for its reply.  NULL when the link is gone. */
static json_t *call(struct nc_link_client *c, json_t *req, const struct wait_opts *w,
                    struct nc_err *err)
{
    struct pending p = {0};
    json_t *reply = NULL;
    bool cancel_sent = false;
    time_t start = time(NULL), last = start;

    if (req == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_lock(&c->mu);
    if (c->dead) {
        pthread_mutex_unlock(&c->mu);
        json_decref(req);
        nc_err_set(err, EPIPE, "the orchestrator is gone");
        return NULL;
    }
    p.id = ++c->next_id;
    p.next = c->head;
    /* The entry lives on this stack frame and is unlinked below before the frame ends. */
    // cppcheck-suppress autoVariables
    c->head = &p;
    pthread_mutex_unlock(&c->mu);
    json_object_set_new(req, "id", json_integer((json_int_t)p.id));
    if (send_line(c->fd, &c->wmu, req) < 0) {
        pthread_mutex_lock(&c->mu);
        c->dead = true;
        pthread_mutex_unlock(&c->mu);
    }
    json_decref(req);

    pthread_mutex_lock(&c->mu);
    while (p.reply == NULL && !c->dead) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        if (w == NULL || p.reply != NULL || c->dead)
            continue;
        pthread_mutex_unlock(&c->mu);
        if (!cancel_sent && w->cancelled != NULL && atomic_load(w->cancelled)) {
            json_t *cr = json_pack("{s:s, s:I}", "op", "cancel", "target", (json_int_t)p.id);
            if (cr != NULL) {
                json_object_set_new(cr, "id", json_integer(0));
                (void)send_line(c->fd, &c->wmu, cr);
                json_decref(cr);
            }
            cancel_sent = true;
        }
        if (w->progress != NULL && time(NULL) > last) {
            char msg[64];
            last = time(NULL);
            snprintf(msg, sizeof(msg), "running for %lld s", (long long)(last - start));
            w->progress(w->progress_arg, (uint64_t)(last - start), w->total, msg);
        }
        pthread_mutex_lock(&c->mu);
    }
    reply = p.reply;
    for (struct pending **pp = &c->head; *pp != NULL; pp = &(*pp)->next)
        if (*pp == &p) {
            *pp = p.next;
            break;
        }
    pthread_mutex_unlock(&c->mu);
    if (reply == NULL) {
        nc_err_set(err, EPIPE, "the orchestrator is gone");
        return NULL;
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        nc_err_set(err, EPROTO, "%s", e != NULL ? e : "refused");
        json_decref(reply);
        return NULL;
    }
    return reply;
}

static int l_audit(void *ctx, const struct nc_audit_event *ev, struct nc_err *err)
{
    json_t *e = json_pack("{s:s?, s:s, s:O?, s:s, s:s?}", "request_id", ev->request_id,
                          "operation", ev->operation, "params", ev->params, "outcome",
                          nc_audit_outcome_name(ev->outcome), "reason", ev->reason);
    json_t *r = call(ctx, json_pack("{s:s, s:o}", "op", "audit", "event", e), NULL, err);
    json_decref(r);
    return r != NULL ? 0 : -1;
}

static int l_park(void *ctx, enum nc_op op, const uint8_t digest[NC_APPROVAL_DIGEST_LEN],
                  const char *summary, uint64_t lapse_s, char id[NC_APPROVAL_ID_LEN + 1],
                  struct nc_err *err)
{
    char dh[2 * NC_APPROVAL_DIGEST_LEN + 1];
    hex(digest, NC_APPROVAL_DIGEST_LEN, dh);
    json_t *r = call(ctx,
                     json_pack("{s:s, s:s, s:s, s:s, s:I}", "op", "park", "operation",
                               nc_op_name(op), "digest", dh, "summary", summary, "lapse",
                               (json_int_t)lapse_s),
                     NULL, err);
    const char *v = json_string_value(json_object_get(r, "approval_id"));
    if (v == NULL || strlen(v) != NC_APPROVAL_ID_LEN) {
        json_decref(r);
        return r != NULL ? nc_err_set(err, EPROTO, "bad park reply") : -1;
    }
    memcpy(id, v, NC_APPROVAL_ID_LEN + 1);
    json_decref(r);
    return 0;
}

static int l_decision(void *ctx, const char *id, enum nc_approval_state *state, char *token,
                      size_t tokensz, struct nc_err *err)
{
    json_t *r = call(ctx, json_pack("{s:s, s:s}", "op", "decision", "approval_id", id), NULL,
                     err);
    const char *st = json_string_value(json_object_get(r, "state"));
    const char *tk = json_string_value(json_object_get(r, "token"));
    int rc = -1;
    if (st != NULL) {
        for (int s = NC_APPROVAL_PENDING; s <= NC_APPROVAL_LAPSED; s++)
            if (strcmp(st, nc_approval_state_name((enum nc_approval_state)s)) == 0) {
                *state = (enum nc_approval_state)s;
                rc = 0;
            }
        if (token != NULL && tokensz > 0)
            snprintf(token, tokensz, "%s", tk != NULL ? tk : "");
    }
    if (rc < 0 && r != NULL)
        nc_err_set(err, EPROTO, "bad decision reply");
    json_decref(r);
    return rc;
}

static enum nc_approval_verdict l_consume(void *ctx, const char *token, enum nc_op op,
                                          const uint8_t digest[NC_APPROVAL_DIGEST_LEN])
{
    char dh[2 * NC_APPROVAL_DIGEST_LEN + 1];
    struct nc_err err = {0};
    hex(digest, NC_APPROVAL_DIGEST_LEN, dh);
    json_t *r = call(ctx,
                     json_pack("{s:s, s:s, s:s, s:s}", "op", "consume", "token", token,
                               "operation", nc_op_name(op), "digest", dh),
                     NULL, &err);
    const char *v = json_string_value(json_object_get(r, "verdict"));
    enum nc_approval_verdict out = NC_APPROVAL_INTERNAL;
    for (int i = NC_APPROVAL_OK; v != NULL && i <= NC_APPROVAL_INTERNAL; i++)
        if (strcmp(v, nc_approval_verdict_name((enum nc_approval_verdict)i)) == 0)
            out = (enum nc_approval_verdict)i;
    json_decref(r);
    return out;
}

static int l_spawn(void *ctx, const struct nc_spawn_opts *o, struct nc_spawn_result *res,
                   struct nc_err *err)
{
    json_t *argv = json_array(), *req;
    size_t n;
    struct wait_opts w = {.cancelled = o->cancelled, .progress = o->progress,
                          .progress_arg = o->progress_arg, .total = o->timeout_s};
    memset(res, 0, sizeof(*res));
    for (size_t i = 0; argv != NULL && i < o->argc; i++)
        json_array_append_new(argv, json_string(o->argv[i]));
    req = json_pack("{s:s, s:o, s:s, s:I}", "op", "spawn", "argv", argv, "cwd",
                    o->cwd != NULL ? o->cwd : ".", "timeout", (json_int_t)o->timeout_s);
    if (req != NULL && o->stdin_data != NULL)
        json_object_set_new(req, "stdin", b64(o->stdin_data, o->stdin_len));
    json_t *r = call(ctx, req, &w, err);
    if (r == NULL)
        return -1;
    res->exit_code = (int)json_integer_value(json_object_get(r, "exit_code"));
    res->timed_out = json_is_true(json_object_get(r, "timed_out"));
    res->cancelled = json_is_true(json_object_get(r, "cancelled"));
    res->elapsed_ms = (uint64_t)json_integer_value(json_object_get(r, "elapsed_ms"));
    res->out_truncated = json_is_true(json_object_get(r, "stdout_truncated"));
    res->err_truncated = json_is_true(json_object_get(r, "stderr_truncated"));
    res->out = unb64(json_object_get(r, "stdout"), NC_SPAWN_OUTPUT_CAP, &n);
    res->out_len = n;
    res->err = unb64(json_object_get(r, "stderr"), NC_SPAWN_OUTPUT_CAP, &n);
    res->err_len = n;
    res->egress = unb64(json_object_get(r, "egress"), NC_SPAWN_EGRESS_CAP, &n);
    res->egress_len = n;
    res->egress_truncated = json_is_true(json_object_get(r, "egress_truncated"));
    json_decref(r);
    if (res->out == NULL || res->err == NULL || res->egress == NULL) {
        nc_spawn_result_free(res);
        return nc_err_set(err, EPROTO, "bad spawn reply");
    }
    return 0;
}

void nc_link_authority(struct nc_authority *a, struct nc_link_client *c)
{
    a->ctx = c;
    a->audit = l_audit;
    a->park = l_park;
    a->decision = l_decision;
    a->consume = l_consume;
    a->spawn = l_spawn;
}

/* ---- server (the orchestrator) --------------------------------------------------------------- */

struct spawn_job {
    struct nc_link_server *s;
    json_t *req;
    uint64_t id;
    atomic_bool cancel;
    struct spawn_job *next;
};

struct nc_link_server {
    struct nc_link_server_config cfg;
    pthread_t reader;
    pthread_mutex_t wmu;
    pthread_mutex_t mu; /* jobs, active, done */
    pthread_cond_t cv;
    struct spawn_job *jobs;
    unsigned active;
    bool done;
};

static void reply(struct nc_link_server *s, uint64_t id, json_t *body)
{
    if (body == NULL)
        body = json_pack("{s:b, s:s}", "ok", 0, "error", "out of memory");
    if (body == NULL)
        return;
    json_object_set_new(body, "id", json_integer((json_int_t)id));
    (void)send_line(s->cfg.fd, &s->wmu, body);
    json_decref(body);
}

static json_t *refuse(const char *why)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", why);
}

static json_t *do_audit(struct nc_link_server *s, json_t *req)
{
    json_t *e = json_object_get(req, "event");
    const char *op = json_string_value(json_object_get(e, "operation"));
    int outcome = nc_audit_outcome_parse(json_string_value(json_object_get(e, "outcome")));
    json_t *params = json_object_get(e, "params");
    struct nc_err err = {0};
    if (json_is_null(params))
        params = NULL;
    if (op == NULL || outcome < 0 || (params != NULL && !json_is_object(params)))
        return refuse("malformed audit event");
    struct nc_audit_event ev = {
        .request_id = json_string_value(json_object_get(e, "request_id")),
        .principal = s->cfg.principal, /* who the pod is, not what it claims */
        .operation = op,
        .params = params,
        .outcome = (enum nc_audit_outcome)outcome,
        .reason = json_string_value(json_object_get(e, "reason")),
    };
    if (s->cfg.authority->audit(s->cfg.authority->ctx, &ev, &err) < 0)
        return refuse(err.msg);
    return json_pack("{s:b}", "ok", 1);
}

static json_t *do_approval(struct nc_link_server *s, const char *op, json_t *req)
{
    const struct nc_authority *a = s->cfg.authority;
    struct nc_err err = {0};
    uint8_t digest[NC_APPROVAL_DIGEST_LEN];
    enum nc_op o;
    if (strcmp(op, "decision") == 0) {
        enum nc_approval_state st;
        char token[NC_APPROVAL_TOKEN_MAX] = "";
        const char *id = json_string_value(json_object_get(req, "approval_id"));
        if (id == NULL || a->decision(a->ctx, id, &st, token, sizeof(token), &err) < 0)
            return refuse(id == NULL ? "approval_id missing" : err.msg);
        return json_pack("{s:b, s:s, s:s}", "ok", 1, "state", nc_approval_state_name(st),
                         "token", token);
    }
    if (nc_op_parse(json_string_value(json_object_get(req, "operation")), &o) < 0 ||
        unhex(json_string_value(json_object_get(req, "digest")), digest, sizeof(digest)) < 0)
        return refuse("operation or digest malformed");
    if (strcmp(op, "park") == 0) {
        char id[NC_APPROVAL_ID_LEN + 1];
        const char *summary = json_string_value(json_object_get(req, "summary"));
        json_int_t lapse = json_integer_value(json_object_get(req, "lapse"));
        if (summary == NULL || lapse < 1 || lapse > 86400)
            return refuse("summary or lapse malformed");
        if (a->park(a->ctx, o, digest, summary, (uint64_t)lapse, id, &err) < 0)
            return refuse(err.msg);
        return json_pack("{s:b, s:s}", "ok", 1, "approval_id", id);
    }
    const char *token = json_string_value(json_object_get(req, "token"));
    if (token == NULL)
        return refuse("token missing");
    return json_pack("{s:b, s:s}", "ok", 1, "verdict",
                     nc_approval_verdict_name(a->consume(a->ctx, token, o, digest)));
}

/* The fields a spawn request may have.  Anything else (say "exec_opts", "policy", "env")
 * is a proxy trying to shape its command pods beyond what the orchestrator allows: refused,
 * never ignored. */
static bool spawn_fields_known(json_t *req)
{
    static const char *const known[] = {"id", "op", "argv", "cwd", "stdin", "timeout"};
    const char *k;
    json_t *v;
    json_object_foreach(req, k, v)
    {
        bool found = false;
        (void)v;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !found; i++)
            found = strcmp(k, known[i]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static json_t *do_spawn(struct nc_link_server *s, struct spawn_job *job)
{
    json_t *req = job->req, *av = json_object_get(req, "argv"), *v;
    const char *argv[NC_MAX_ARGS];
    size_t lens[NC_MAX_ARGS], argc = json_array_size(av), i, in_len = 0;
    struct nc_invalid why;
    char cwd[NC_PATH_MAX + 1];
    const char *reason = NULL;
    json_int_t timeout = json_integer_value(json_object_get(req, "timeout"));
    uint64_t max_t = s->cfg.policy->limits.timeout_s;
    _cleanup_free_ char *in = NULL;
    struct nc_spawn_result r;
    struct nc_err err = {0};

    if (!spawn_fields_known(req))
        return refuse("unknown field in spawn request");
    if (!json_is_array(av) || argc == 0 || argc > NC_MAX_ARGS)
        return refuse("argv malformed");
    json_array_foreach(av, i, v)
    {
        if (!json_is_string(v))
            return refuse("argv malformed");
        argv[i] = json_string_value(v);
        lens[i] = json_string_length(v);
    }
    /* The proxy's word is checked again: the orchestrator runs nothing malformed. */
    if (nc_validate_argv(argv, lens, argc, &why) < 0)
        return refuse("argv invalid");
    const char *cwd_in = json_string_value(json_object_get(req, "cwd"));
    if (nc_path_normalize(s->cfg.workspace, cwd_in != NULL ? cwd_in : ".", cwd, sizeof(cwd),
                          &reason) < 0)
        return refuse("cwd outside the workspace");
    if (max_t == 0 || max_t > 3600)
        max_t = 3600;
    if (timeout < 1 || (uint64_t)timeout > max_t)
        return refuse("timeout out of range");
    if (json_object_get(req, "stdin") != NULL) {
        in = unb64(json_object_get(req, "stdin"), NC_MAX_STDIN, &in_len);
        if (in == NULL)
            return refuse("stdin malformed");
    }
    struct nc_spawn_opts o = {
        .nucleus_exe = s->cfg.nucleus_exe,
        .policy = s->cfg.policy,
        .workspace = s->cfg.workspace,
        .argv = argv,
        .argc = argc,
        .cwd = cwd,
        .stdin_data = in,
        .stdin_len = in_len,
        .timeout_s = (uint64_t)timeout,
        .cancelled = &job->cancel,
        /* The operator's, from the orchestrator's command line; never from the request. */
        .exec_opts = s->cfg.exec_opts,
        .nexec_opts = s->cfg.nexec_opts,
    };
    if (s->cfg.authority->spawn(s->cfg.authority->ctx, &o, &r, &err) < 0)
        return refuse(err.msg);
    json_t *out = json_pack("{s:b, s:i, s:b, s:b, s:I, s:o, s:b, s:o, s:b}", "ok", 1,
                            "exit_code", r.exit_code, "timed_out", r.timed_out, "cancelled",
                            r.cancelled, "elapsed_ms", (json_int_t)r.elapsed_ms, "stdout",
                            b64(r.out, r.out_len), "stdout_truncated", r.out_truncated,
                            "stderr", b64(r.err, r.err_len), "stderr_truncated",
                            r.err_truncated);
    if (out != NULL) {
        json_object_set_new(out, "egress", b64(r.egress, r.egress_len));
        json_object_set_new(out, "egress_truncated", json_boolean(r.egress_truncated));
    }
    nc_spawn_result_free(&r);
    return out;
}

static void *spawn_thread(void *arg)
{
    struct spawn_job *job = arg;
    struct nc_link_server *s = job->s;
    reply(s, job->id, do_spawn(s, job));
    pthread_mutex_lock(&s->mu);
    for (struct spawn_job **pp = &s->jobs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == job) {
            *pp = job->next;
            break;
        }
    s->active--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    json_decref(job->req);
    free(job);
    return NULL;
}

static void *server_reader(void *arg)
{
    struct nc_link_server *s = arg;
    struct nc_rpc_reader rd;
    if (nc_rpc_reader_init(&rd, s->cfg.fd, -1) == 0) {
        for (;;) {
            const char *line;
            size_t len;
            json_error_t jerr;
            if (nc_rpc_read_line(&rd, &line, &len) != NC_RPC_READ_LINE)
                break;
            json_t *m = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
            json_t *idv = json_object_get(m, "id");
            const char *op = json_string_value(json_object_get(m, "op"));
            uint64_t id = json_is_integer(idv) ? (uint64_t)json_integer_value(idv) : 0;
            if (op == NULL) {
                reply(s, id, refuse("malformed request"));
            } else if (strcmp(op, "audit") == 0) {
                reply(s, id, do_audit(s, m));
            } else if (strcmp(op, "park") == 0 || strcmp(op, "decision") == 0 ||
                       strcmp(op, "consume") == 0) {
                reply(s, id, do_approval(s, op, m));
            } else if (strcmp(op, "cancel") == 0) {
                uint64_t target = (uint64_t)json_integer_value(json_object_get(m, "target"));
                pthread_mutex_lock(&s->mu);
                for (struct spawn_job *j = s->jobs; j != NULL; j = j->next)
                    if (j->id == target)
                        atomic_store(&j->cancel, true);
                pthread_mutex_unlock(&s->mu);
            } else if (strcmp(op, "spawn") == 0) {
                struct spawn_job *job = calloc(1, sizeof(*job));
                pthread_t t;
                pthread_attr_t at;
                if (job == NULL) {
                    reply(s, id, NULL);
                } else {
                    job->s = s;
                    job->req = json_incref(m);
                    job->id = id;
                    pthread_mutex_lock(&s->mu);
                    job->next = s->jobs;
                    s->jobs = job;
                    s->active++;
                    pthread_mutex_unlock(&s->mu);
                    pthread_attr_init(&at);
                    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
                    if (pthread_create(&t, &at, spawn_thread, job) != 0) {
                        pthread_mutex_lock(&s->mu);
                        s->jobs = job->next;
                        s->active--;
                        pthread_mutex_unlock(&s->mu);
                        json_decref(job->req);
                        free(job);
                        reply(s, id, refuse("cannot start the command"));
                    }
                    pthread_attr_destroy(&at);
                }
            } else {
                reply(s, id, refuse("unknown op"));
            }
            json_decref(m);
        }
        nc_rpc_reader_free(&rd);
    }
    /* The proxy is gone: its commands answer nobody. */
    pthread_mutex_lock(&s->mu);
    for (struct spawn_job *j = s->jobs; j != NULL; j = j->next)
        atomic_store(&j->cancel, true);
    s->done = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct nc_link_server *nc_link_server_start(const struct nc_link_server_config *cfg,
                                            struct nc_err *err)
{
    struct nc_link_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    pthread_mutex_init(&s->wmu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->reader, NULL, server_reader, s) != 0) {
        free(s);
        nc_err_set(err, EAGAIN, "cannot start the link server");
        return NULL;
    }
    return s;
}

void nc_link_server_stop(struct nc_link_server *s, int timeout_ms)
{
    struct timespec ts;
    if (s == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (timeout_ms >= 0) {
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&s->mu);
    while (!s->done) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&s->cv, &s->mu);
        } else if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT) {
            shutdown(s->cfg.fd, SHUT_RDWR); /* the proxy did not let go: end it */
            timeout_ms = -1;
        }
    }
    while (s->active > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->reader, NULL);
    close(s->cfg.fd);
    pthread_mutex_destroy(&s->wmu);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
