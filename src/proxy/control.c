/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket of a running proxy (see control.h). */
#include "proxy/control.h"

#include "core/lattice.h"
#include "identity/audit_hook.h"
#include "proxy/dispatch.h"
#include "proxy/jsonrpc.h"
#include "util/cleanup.h"
#include "util/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOCK_NAME "control.lock"
#define LOCK_TMP_NAME ".control.lock.new"
/* A pod directory without its lock this long after creation is a leftover, not a pod that is
 * starting (the server takes the lock right after creating the directory). */
#define STARTING_GRACE_S 60

struct nc_control {
    struct nc_control_backend b;
    char dir[4096];
    char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char info[4200];
    int lfd;
    int stop_fd;
    int lock_fd; /* holds LOCK_EX on control.lock while we serve */
    pthread_t thread;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int pod_paths(const char *pod_id, char *dir, size_t dirsz, char *sock, size_t socksz,
                     struct nc_err *err)
{
    char rt[4096], pods[4200];
    if (!nc_approval_pod_valid(pod_id))
        return nc_err_set(err, EINVAL, "invalid pod id");
    if (nc_runtime_dir(rt, sizeof(rt), err) < 0)
        return -1;
    if (snprintf(pods, sizeof(pods), "%s/pods", rt) >= (int)sizeof(pods) ||
        snprintf(dir, dirsz, "%s/%s", pods, pod_id) >= (int)dirsz ||
        snprintf(sock, socksz, "%s/control.sock", dir) >= (int)socksz)
        return nc_err_set(err, ENAMETOOLONG,
                          "the runtime directory is too long for a unix socket path; set "
                          "NUCLEUS_RUNTIME_DIR to a shorter directory");
    return nc_private_dir(pods, err);
}

/* Reads one line (at most max bytes) from a TLS connection before the deadline (a peer that
 * trickles bytes cannot hold the control thread past it). */
static char *read_line(struct nc_mtls_conn *tc, size_t max, int64_t deadline)
{
    size_t len = 0, cap = 1024;
    char *buf = malloc(cap);
    while (buf != NULL) {
        struct nc_err err = {0};
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        if (len + 1 >= cap) {
            if (cap >= max)
                break;
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        ssize_t n = nc_mtls_read(tc, buf + len, cap - 1 - len, (int)left, &err);
        if (n <= 0)
            break;
        char *nl = memchr(buf + len, '\n', (size_t)n);
        len += (size_t)n;
        if (nl != NULL) {
            *nl = '\0';
            return buf;
        }
    }
    free(buf);
    return NULL;
}

static int write_json(struct nc_mtls_conn *tc, json_t *v, int64_t deadline)
{
    size_t len = 0;
    char *line = nc_rpc_encode(v, &len);
    struct nc_err err = {0};
    int64_t left = deadline - now_ms();
    int rc;
    if (line == NULL)
        return -1;
    rc = left > 0 ? nc_mtls_write_all(tc, line, len, (int)left, &err) : -1;
    free(line);
    return rc;
}

static json_t *fail(const char *msg)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *request_json(const struct nc_approval_request *r)
{
    char hex[2 * NC_APPROVAL_DIGEST_LEN + 1];
    for (size_t i = 0; i < NC_APPROVAL_DIGEST_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", r->digest[i]);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "id", r->id, "pod", r->pod,
                     "operation", nc_op_name(r->op), "summary", r->summary, "args_sha256", hex,
                     "created", (json_int_t)r->created, "deadline", (json_int_t)r->deadline,
                     "state", nc_approval_state_name(r->state));
}

static void record(struct nc_control *c, const char *principal, const char *operation,
                   json_t *params, enum nc_audit_outcome outcome, const char *reason)
{
    struct nc_audit_event ev = {.principal = principal, .operation = operation,
                                .params = params, .outcome = outcome, .reason = reason};
    struct nc_err err = {0};
    (void)c->b.audit->audit(c->b.audit->ctx, &ev, &err);
}

/* One request of an authenticated peer: who (its SPIFFE ID, the audit principal) and its
 * kernel uid. */
static json_t *serve_one(struct nc_control *c, json_t *req, const char *who, uid_t peer)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    struct nc_approval_registry *reg = c->b.reg;
    struct nc_err err = {0};
    uint64_t now = (uint64_t)time(NULL);
    char reason[128];

    if (op == NULL)
        return fail("op missing");
    if (strcmp(op, "list") == 0) {
        struct nc_approval_request *rs = calloc(64, sizeof(*rs));
        json_t *arr = json_array();
        int n;
        if (rs == NULL || arr == NULL) {
            free(rs);
            json_decref(arr);
            return fail("out of memory");
        }
        n = nc_approval_list(reg, now, rs, 64, &err);
        for (int i = 0; i < n && i < 64; i++)
            json_array_append_new(arr, request_json(&rs[i]));
        free(rs);
        return json_pack("{s:b, s:o, s:i}", "ok", 1, "pending", arr, "total", n < 0 ? 0 : n);
    }
    if (strcmp(op, "status") == 0) {
        json_error_t jerr;
        json_t *r = json_pack("{s:b, s:o}", "ok", 1, "info", json_loads(c->info, 0, &jerr));
        if (r != NULL && c->b.status != NULL)
            c->b.status(c->b.status_ctx, r);
        return r;
    }
    const char *id = json_string_value(json_object_get(req, "id"));
    if (id == NULL)
        return fail("id missing");
    snprintf(reason, sizeof(reason), "by uid %u over the control socket (mutual TLS)",
             (unsigned)peer);
    if (strcmp(op, "approve") == 0) {
        json_t *t = json_object_get(req, "ttl");
        uint64_t ttl = NC_DISPATCH_TOKEN_TTL;
        char token[NC_APPROVAL_TOKEN_MAX];
        if (t != NULL) {
            if (!json_is_integer(t) || json_integer_value(t) < 1 ||
                json_integer_value(t) > (json_int_t)NC_APPROVAL_MAX_TTL)
                return fail("ttl must be 1..300 seconds");
            ttl = (uint64_t)json_integer_value(t);
        }
        if (nc_approval_approve(reg, id, c->b.key, ttl, now, token,
                                sizeof(token), &err) < 0) {
            json_t *p = json_pack("{s:s}", "approval_id", id);
            record(c, who, "approval.approve", p, NC_AUDIT_REJECTED, err.msg);
            json_decref(p);
            return fail(err.msg);
        }
        json_t *p = json_pack("{s:s, s:I}", "approval_id", id, "ttl", (json_int_t)ttl);
        record(c, who, "approval.approve", p, NC_AUDIT_APPROVED, reason);
        json_decref(p);
        /* The token is single-use and bound to this exact operation; handing it to the
         * approver lets a client that cannot wait present it (_meta nucleus/approvalToken). */
        json_t *r = json_pack("{s:b, s:s, s:s}", "ok", 1, "id", id, "token", token);
        explicit_bzero(token, sizeof(token));
        return r;
    }
    if (strcmp(op, "deny") == 0) {
        json_t *p = json_pack("{s:s}", "approval_id", id);
        if (nc_approval_deny(reg, id, now, &err) < 0) {
            record(c, who, "approval.deny", p, NC_AUDIT_ERROR, err.msg);
            json_decref(p);
            return fail(err.msg);
        }
        record(c, who, "approval.deny", p, NC_AUDIT_REJECTED, reason);
        json_decref(p);
        return json_pack("{s:b, s:s}", "ok", 1, "id", id);
    }
    return fail("unknown op");
}

/* A connection refused before TLS (the kernel says it is another user): audited like a
 * refused handshake, with what the kernel told us about the peer. */
static void refuse_peer(struct nc_control *c, const struct ucred *cred, bool have_cred)
{
    char addr[96], detail[128];
    if (have_cred)
        snprintf(addr, sizeof(addr), "unix pid=%ld uid=%u", (long)cred->pid,
                 (unsigned)cred->uid);
    else
        snprintf(addr, sizeof(addr), "unix");
    snprintf(detail, sizeof(detail), "%s: %s", nc_svid_reason_name(NC_SVID_UNAUTHORIZED),
             have_cred ? "the connecting process belongs to another user"
                       : "no peer credentials");
    json_t *p = json_pack("{s:s, s:s, s:s}", "link", NC_CONTROL_LINK, "reason",
                          nc_svid_reason_name(NC_SVID_UNAUTHORIZED), "peer_addr", addr);
    struct nc_audit_event ev = {.principal = "", .operation = NC_MTLS_AUDIT_OPERATION,
                                .params = p, .outcome = NC_AUDIT_DENIED, .reason = detail};
    struct nc_err err = {0};
    (void)c->b.audit->audit(c->b.audit->ctx, &ev, &err);
    json_decref(p);
}

static void serve_conn(struct nc_control *c, int fd)
{
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    struct nc_mtls_conn *tc = NULL;
    struct nc_err err = {0};
    int64_t deadline = now_ms() + NC_CONTROL_TIMEOUT_MS;
    /* Defence in depth, before any byte is parsed: only our own user (or root) may talk to
     * us at all, whatever certificate it holds.  (The runtime directory is 0700 too.) */
    int have = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0;
    if (!have || (cred.uid != geteuid() && cred.uid != 0)) {
        refuse_peer(c, &cred, have);
        close(fd);
        return;
    }
    /* Then mutual TLS 1.3: a plaintext, unauthenticated or unauthorized peer ends here, and
     * the context's failure callback has audited it. */
    if (nc_mtls_accept(c->b.tls, fd, NC_CONTROL_TIMEOUT_MS, &tc, &err) < 0)
        return; /* fd closed by nc_mtls_accept */
    const char *who = nc_mtls_conn_peer(tc)->id;
    _cleanup_free_ char *line = read_line(tc, NC_CONTROL_MAX_REQUEST, deadline);
    json_error_t jerr;
    json_t *req = line != NULL ? json_loads(line, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    json_t *reply = json_is_object(req) ? serve_one(c, req, who, cred.uid)
                                        : fail("malformed request");
    json_decref(req);
    if (reply != NULL)
        (void)write_json(tc, reply, deadline);
    json_decref(reply);
    (void)nc_mtls_shutdown(tc, 200, &err);
    nc_mtls_conn_free(tc);
}

static void *serve(void *arg)
{
    struct nc_control *c = arg;
    for (;;) {
        struct pollfd pf[2] = {{.fd = c->lfd, .events = POLLIN},
                               {.fd = c->stop_fd, .events = POLLIN}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (pf[1].revents != 0)
            return NULL;
        int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            serve_conn(c, fd);
    }
}

/* Publishes "this pod is alive": an exclusive lock on control.lock, held until we stop (or
 * die: the kernel drops it with our last descriptor).  The file is locked under a temporary
 * name and then renamed, so a reader never finds control.lock unlocked while we start. */
static int take_lock(struct nc_control *c, struct nc_err *err)
{
    char tmp[4300], path[4300];
    snprintf(tmp, sizeof(tmp), "%s/" LOCK_TMP_NAME, c->dir);
    snprintf(path, sizeof(path), "%s/" LOCK_NAME, c->dir);
    c->lock_fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (c->lock_fd < 0 || flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0 || rename(tmp, path) < 0)
        return nc_err_set(err, errno, "pod lock: %s", strerror(errno));
    return 0;
}

const char *nc_control_dir(const struct nc_control *c)
{
    return c->dir;
}

struct nc_control *nc_control_start(const struct nc_control_backend *b, const char *pod_id,
                                    json_t *info, struct nc_err *err)
{
    struct nc_control *c = calloc(1, sizeof(*c));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char ipath[4300];
    _cleanup_free_ char *itext = NULL;
    int ifd;

    if (c == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    c->b = *b;
    c->lfd = c->stop_fd = c->lock_fd = -1;
    if (b->tls == NULL) {
        /* Fail closed: there is no plaintext control socket. */
        nc_err_set(err, EINVAL, "the control socket needs a TLS context");
        goto fail;
    }
    if (pod_paths(pod_id, c->dir, sizeof(c->dir), c->sock, sizeof(c->sock), err) < 0)
        goto fail;
    if (mkdir(c->dir, 0700) < 0) {
        nc_err_set(err, errno,
                   errno == EEXIST ? "a pod with id %s is already running"
                                   : "cannot create the pod's runtime directory (%s)",
                   errno == EEXIST ? pod_id : strerror(errno));
        c->dir[0] = '\0'; /* not ours: do not remove it */
        goto fail;
    }
    if (take_lock(c, err) < 0)
        goto fail;
    itext = json_dumps(info, JSON_COMPACT);
    snprintf(c->info, sizeof(c->info), "%s", itext != NULL ? itext : "{}");
    snprintf(ipath, sizeof(ipath), "%s/info.json", c->dir);
    ifd = open(ipath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (ifd >= 0) {
        size_t n = strlen(c->info);
        if (write(ifd, c->info, n) != (ssize_t)n) {
            /* informational only; the socket is what matters */
        }
        close(ifd);
    }
    memcpy(sa.sun_path, c->sock, strlen(c->sock) + 1);
    c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(c->lfd, 16) < 0) {
        nc_err_set(err, errno, "control socket: %s", strerror(errno));
        goto fail;
    }
    c->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (c->stop_fd < 0 || pthread_create(&c->thread, NULL, serve, c) != 0) {
        nc_err_set(err, errno, "cannot start the control thread");
        goto fail;
    }
    return c;
fail:
    if (c->lfd >= 0)
        close(c->lfd);
    if (c->stop_fd >= 0)
        close(c->stop_fd);
    if (c->dir[0] != '\0') {
        unlink(c->sock);
        snprintf(ipath, sizeof(ipath), "%s/info.json", c->dir);
        unlink(ipath);
        snprintf(ipath, sizeof(ipath), "%s/" LOCK_TMP_NAME, c->dir);
        unlink(ipath);
        snprintf(ipath, sizeof(ipath), "%s/" LOCK_NAME, c->dir);
        unlink(ipath);
        rmdir(c->dir);
    }
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c);
    return NULL;
}

void nc_control_stop(struct nc_control *c)
{
    char ipath[4300];
    uint64_t one = 1;
    if (c == NULL)
        return;
    if (write(c->stop_fd, &one, sizeof(one)) == sizeof(one))
        pthread_join(c->thread, NULL);
    close(c->lfd);
    close(c->stop_fd);
    unlink(c->sock);
    snprintf(ipath, sizeof(ipath), "%s/info.json", c->dir);
    unlink(ipath);
    /* The lock goes last: until the directory is gone, nobody takes it for a leftover. */
    snprintf(ipath, sizeof(ipath), "%s/" LOCK_NAME, c->dir);
    unlink(ipath);
    rmdir(c->dir);
    close(c->lock_fd);
    free(c);
}

/* ---- client ------------------------------------------------------------------------------ */

json_t *nc_control_request(struct nc_mtls_ctx *tls, const char *pod_id, json_t *request,
                           X509 **peer, struct nc_err *err)
{
    char dir[4096], sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct nc_mtls_conn *tc = NULL;
    struct nc_err e = {0};
    _cleanup_free_ char *line = NULL;
    json_error_t jerr;
    json_t *reply = NULL;
    int64_t deadline = now_ms() + NC_CONTROL_TIMEOUT_MS;
    int fd;

    if (peer != NULL)
        *peer = NULL;
    if (tls == NULL) {
        nc_err_set(err, EINVAL, "pod %s: no TLS context for the control socket", pod_id);
        return NULL;
    }
    if (pod_paths(pod_id, dir, sizeof(dir), sock, sizeof(sock), err) < 0)
        return NULL;
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        nc_err_set(err, errno, "socket: %s", strerror(errno));
        return NULL;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int c = errno;
        close(fd);
        nc_err_set(err, c, "pod %s: %s", pod_id, c == ENOENT ? "no such pod" : strerror(c));
        return NULL;
    }
    if (nc_mtls_connect(tls, fd, NC_CONTROL_TIMEOUT_MS, &tc, &e) < 0) {
        nc_err_set(err, e.code, "pod %s: %s", pod_id, e.msg);
        return NULL;
    }
    if (write_json(tc, request, deadline) < 0) {
        nc_err_set(err, EIO, "pod %s: cannot send the request", pod_id);
        goto out;
    }
    /* TLS 1.3: a server that refuses our certificate says so only now, with an alert instead
     * of a reply. */
    line = read_line(tc, 1u << 22, deadline);
    reply = line != NULL ? json_loads(line, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(reply)) {
        json_decref(reply);
        reply = NULL;
        nc_err_set(err, line == NULL ? EACCES : EPROTO,
                   line == NULL ? "pod %s: no reply (did the pod refuse our identity? see its "
                                  "audit log, operation auth.mtls)"
                                : "pod %s: no valid reply",
                   pod_id);
        goto out;
    }
    if (peer != NULL) {
        X509 *x = nc_mtls_conn_peer_cert(tc);
        if (x != NULL && X509_up_ref(x) == 1)
            *peer = x;
    }
out:
    (void)nc_mtls_shutdown(tc, 200, &e);
    nc_mtls_conn_free(tc);
    return reply;
}

/* Is the pod whose directory is dpath alive?  1 yes, 0 gone (its leftovers may be removed),
 * -1 cannot tell yet (starting). */
static int pod_alive(const char *dpath)
{
    char lpath[4600];
    struct stat st;
    snprintf(lpath, sizeof(lpath), "%s/" LOCK_NAME, dpath);
    int fd = open(lpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT && stat(dpath, &st) == 0 &&
            time(NULL) - st.st_mtime > STARTING_GRACE_S)
            return 0;
        return -1;
    }
    int alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd); /* drops our shared lock, if we got it */
    return alive ? 1 : 0;
}

json_t *nc_control_pods(struct nc_err *err)
{
    char rt[4096], pods[4200];
    DIR *dir;
    struct dirent *de;
    json_t *arr = json_array();

    if (arr == NULL || nc_runtime_dir(rt, sizeof(rt), err) < 0) {
        json_decref(arr);
        return NULL;
    }
    snprintf(pods, sizeof(pods), "%s/pods", rt);
    dir = opendir(pods);
    if (dir == NULL)
        return arr; /* no pod has ever run */
    while ((de = readdir(dir)) != NULL) {
        char dpath[4500], ipath[4600];
        if (!nc_approval_pod_valid(de->d_name))
            continue;
        snprintf(dpath, sizeof(dpath), "%s/%s", pods, de->d_name);
        int alive = pod_alive(dpath);
        if (alive > 0) {
            json_array_append_new(arr, json_string(de->d_name));
        } else if (alive == 0) {
            /* The pod is gone without cleaning up (killed): remove its leftovers, the
             * files nucleus puts there and nothing else. */
            static const char *const leftovers[] = {
                "control.sock", "info.json", "mcp.sock", "mcp.json", "bridge/svid.pem",
                "bridge/svid_key.pem", "bridge/bundle.pem", "bridge", LOCK_TMP_NAME,
                LOCK_NAME};
            for (size_t k = 0; k < sizeof(leftovers) / sizeof(leftovers[0]); k++) {
                snprintf(ipath, sizeof(ipath), "%s/%s", dpath, leftovers[k]);
                if (unlink(ipath) < 0)
                    (void)rmdir(ipath);
            }
            rmdir(dpath);
        }
    }
    closedir(dir);
    return arr;
}
