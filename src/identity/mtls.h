/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS over any connected stream socket (unix or TCP): TLS 1.3 only, both sides present
 * an X.509 SVID, the peer's chain must reach the trust bundle and its SPIFFE ID must be allowed
 * by the link's policy.  Authentication failures are reported to a callback (for the audit
 * log); the SVID can be rotated while connections are open.  See docs/identity.md. */
#ifndef NC_IDENTITY_MTLS_H
#define NC_IDENTITY_MTLS_H

#include "identity/spiffe.h"
#include "identity/svid.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* One refused handshake, as the audit record wants it.  The strings live only during the
 * callback. */
struct nc_mtls_failure {
    const char *link;          /* the context's name, e.g. "bridge->proxy" */
    enum nc_svid_reason reason; /* nc_svid_reason_name() for the record */
    const char *detail;        /* what exactly failed (no secrets, no host paths) */
    const char *peer_id;       /* the SPIFFE ID the peer claimed, "" when none or unparsable */
    const char *peer_addr;     /* "127.0.0.1:4242", "[::1]:4242", "unix pid=12 uid=0", "" */
};
typedef void (*nc_mtls_failure_fn)(const struct nc_mtls_failure *f, void *arg);

struct nc_mtls_config {
    bool server;      /* accepts (true) or connects (false) */
    const char *name; /* link name for failure reports (copied; may be NULL) */
    /* Our identity: either files (re-read by nc_mtls_ctx_reload) ... */
    const char *svid_file;   /* svid.pem: leaf first, then intermediates */
    const char *key_file;    /* svid_key.pem */
    const char *bundle_file; /* bundle.pem or spiffe-helper's svid_bundle.pem */
    /* ... or objects in memory (references taken), used when svid is not NULL. */
    struct nc_svid *svid;
    const struct nc_bundle *bundle;
    /* Which peers this link accepts (copied).  Required: an empty or NULL policy makes
     * nc_mtls_ctx_new fail, since a link that accepts nobody is a configuration mistake and
     * one that accepts anybody must be written out (spiffe://td followed by a star segment). */
    const struct nc_spiffe_policy *peers;
    /* The trust domain peers must belong to (the bundle's); NULL: our own SVID's.  A valid
     * SVID from another trust domain is refused even when the bundle holds its root. */
    const char *trust_domain;
    nc_mtls_failure_fn on_failure; /* may be NULL */
    void *on_failure_arg;
};

struct nc_mtls_ctx;

/* Builds a context: loads the SVID and bundle (files or memory), checks the SVID against the
 * bundle and that it is valid now.  Errors: EINVAL (bad configuration or SVID), ENOENT, ... */
int nc_mtls_ctx_new(const struct nc_mtls_config *cfg, struct nc_mtls_ctx **out,
                    struct nc_err *err);
/* Frees the context; connections made from it stay usable (they hold their own references)
 * and must still be freed. */
void nc_mtls_ctx_free(struct nc_mtls_ctx *ctx);

/* Rotation.  Re-reads the configured files (reload) or takes a new SVID and optionally a new
 * bundle (set_svid); the new identity must pass the same checks as at creation.  New
 * handshakes use it; established connections keep theirs.  On failure nothing changes: the
 * current SVID stays in use and the error says why (a failed refresh never drops a still
 * valid certificate). */
int nc_mtls_ctx_reload(struct nc_mtls_ctx *ctx, struct nc_err *err);
int nc_mtls_ctx_set_svid(struct nc_mtls_ctx *ctx, struct nc_svid *svid,
                         const struct nc_bundle *bundle, struct nc_err *err);
/* The SVID in use (a new reference: nc_svid_free it). */
struct nc_svid *nc_mtls_ctx_svid(struct nc_mtls_ctx *ctx);
/* Counts successful rotations (starts at 0). */
uint64_t nc_mtls_ctx_generation(struct nc_mtls_ctx *ctx);

struct nc_mtls_conn;

/* Runs the TLS 1.3 handshake on fd (a connected stream socket), as server or client per the
 * context.  Ownership of fd passes to the call in every case: on success it belongs to the
 * connection (closed by nc_mtls_conn_free), on failure it is closed.  timeout_ms < 0 waits
 * forever.  TLS 1.3 lets a client finish its handshake before the server has judged the
 * client's certificate: a client whose certificate the server refuses learns it on its first
 * nc_mtls_read (the server's alert), and the server never sees its data.  On failure: < 0 with err (EACCES: the peer failed authentication or
 * authorization; EPROTO: not TLS 1.3 or a broken handshake; ETIMEDOUT) and the failure
 * callback has been called once. */
int nc_mtls_accept(struct nc_mtls_ctx *ctx, int fd, int timeout_ms, struct nc_mtls_conn **out,
                   struct nc_err *err);
int nc_mtls_connect(struct nc_mtls_ctx *ctx, int fd, int timeout_ms,
                    struct nc_mtls_conn **out, struct nc_err *err);

/* The authenticated and authorized peer. */
const struct nc_spiffe_id *nc_mtls_conn_peer(const struct nc_mtls_conn *c);
/* The peer's leaf certificate (borrowed; for audit records: serial, notAfter). */
X509 *nc_mtls_conn_peer_cert(const struct nc_mtls_conn *c);
int nc_mtls_conn_fd(const struct nc_mtls_conn *c);
/* Reads up to n bytes: > 0 bytes read, 0 when the peer closed (close_notify or EOF), < 0 on
 * error (ETIMEDOUT after timeout_ms, EPROTO, ECONNRESET, ...). */
ssize_t nc_mtls_read(struct nc_mtls_conn *c, void *buf, size_t n, int timeout_ms,
                     struct nc_err *err);
/* Writes all n bytes or fails. */
int nc_mtls_write_all(struct nc_mtls_conn *c, const void *buf, size_t n, int timeout_ms,
                      struct nc_err *err);
/* Sends close_notify (and waits up to timeout_ms for the peer's, best effort). */
int nc_mtls_shutdown(struct nc_mtls_conn *c, int timeout_ms, struct nc_err *err);
/* Frees the connection and closes its fd.  NULL is a no-op. */
void nc_mtls_conn_free(struct nc_mtls_conn *c);

#endif
