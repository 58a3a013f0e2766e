/* SPDX-License-Identifier: Apache-2.0 */
/* Human approvals: parked requests, single-use HMAC-SHA256 tokens bound to (pod, operation,
 * argument digest, expiry, nonce), and their exactly-once consumption.  See docs/approvals.md. */
#ifndef NC_PROXY_APPROVAL_H
#define NC_PROXY_APPROVAL_H

#include "core/lattice.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

#define NC_APPROVAL_KEY_LEN 32u     /* bytes of HMAC-SHA256 key */
#define NC_APPROVAL_DIGEST_LEN 32u  /* SHA-256 of the canonical arguments */
#define NC_APPROVAL_NONCE_LEN 16u   /* 128 random bits */
#define NC_APPROVAL_MAC_LEN 32u     /* HMAC-SHA256 */
#define NC_APPROVAL_ID_LEN 32u      /* hex characters of a request id (128 random bits) */
#define NC_APPROVAL_POD_MAX 64u     /* pod ids: 1..64 of [A-Za-z0-9_-] */
#define NC_APPROVAL_MAX_TTL 300u    /* seconds a token may live, at most */
#define NC_APPROVAL_SUMMARY_MAX 4096u /* bytes of the human-readable operation, with the NUL */
/* "v1." pod "." op "." digest "." expiry "." nonce "." mac, plus the NUL. */
#define NC_APPROVAL_TOKEN_MAX                                                                 \
    (3 + NC_APPROVAL_POD_MAX + 1 + 16 + 1 + 2 * NC_APPROVAL_DIGEST_LEN + 1 + 20 + 1 +         \
     2 * NC_APPROVAL_NONCE_LEN + 1 + 2 * NC_APPROVAL_MAC_LEN + 1)

/* The secret that mints tokens.  Lives in the orchestrator only; never in a pod, never printed. */
struct nc_approval_key {
    uint8_t bytes[NC_APPROVAL_KEY_LEN];
};

/* 32 bytes from the OpenSSL CSPRNG. */
int nc_approval_key_generate(struct nc_approval_key *key, struct nc_err *err);
/* Writes the key (32 raw bytes) to a new file with mode 0600; refuses to replace an existing
 * file (EEXIST) or follow a symlink, and fsyncs before returning. */
int nc_approval_key_save(const char *path, const struct nc_approval_key *key,
                         struct nc_err *err);
/* Reads a key written by nc_approval_key_save.  Refuses (EPERM) a file that group or others
 * can read or write, or that another user owns; refuses anything but a regular file of exactly
 * 32 bytes (EINVAL) and symlinks (ELOOP). */
int nc_approval_key_load(const char *path, struct nc_approval_key *key, struct nc_err *err);
/* Overwrites the key in memory (OPENSSL_cleanse, not optimised away). */
void nc_approval_key_wipe(struct nc_approval_key *key);

/* Canonical argument digests.  The canonical form of an argument vector is
 *   "nucleus-args-v1" 0x00 || u64be(argc) || for each argument: u64be(len) || bytes
 * so no two different vectors (["a b"] vs ["a","b"], ["ab",""] vs ["a","b"]) share it.
 * Arguments may hold any bytes, NUL included (lengths travel with them).  lens may be NULL
 * when every argument is a NUL-terminated string. */
int nc_approval_digest_args(const char *const *argv, const size_t *lens, size_t argc,
                            uint8_t out[NC_APPROVAL_DIGEST_LEN], struct nc_err *err);
/* SHA-256 of a canonical byte string the caller built itself (for operations whose arguments
 * are not a vector, e.g. a path plus a content digest; use length prefixes there too). */
int nc_approval_digest_bytes(const void *data, size_t len, uint8_t out[NC_APPROVAL_DIGEST_LEN],
                             struct nc_err *err);

/* A parsed token (strict syntax only; the MAC is not checked here). */
struct nc_approval_token {
    char pod[NC_APPROVAL_POD_MAX + 1];
    enum nc_op op;
    uint8_t digest[NC_APPROVAL_DIGEST_LEN];
    uint64_t expiry; /* Unix seconds; the token is valid while now < expiry */
    uint8_t nonce[NC_APPROVAL_NONCE_LEN];
    uint8_t mac[NC_APPROVAL_MAC_LEN];
};

/* Parses "v1.<pod>.<op>.<digest hex>.<expiry>.<nonce hex>.<mac hex>" (lowercase hex, decimal
 * expiry without sign or leading zeros, op a snake_case name from core/lattice.h).  Exactly
 * `len` bytes are read; returns 0 or -1 (malformed).  Pure: no allocation, no I/O. */
int nc_approval_token_parse(const char *s, size_t len, struct nc_approval_token *out);
/* 1 when pod is a valid pod id (1..NC_APPROVAL_POD_MAX of [A-Za-z0-9_-]), 0 otherwise. */
int nc_approval_pod_valid(const char *pod);

/* Why a token was refused (or NC_APPROVAL_OK).  Each is a distinct audit reason. */
enum nc_approval_verdict {
    NC_APPROVAL_OK = 0,
    NC_APPROVAL_MALFORMED,  /* not a token: syntax, length, unknown version or operation */
    NC_APPROVAL_FORGED,     /* the MAC does not verify (or the token disagrees with its record) */
    NC_APPROVAL_WRONG_POD,  /* genuine, but minted for another pod */
    NC_APPROVAL_WRONG_OP,   /* genuine, but minted for another operation */
    NC_APPROVAL_WRONG_ARGS, /* genuine, but minted for other arguments */
    NC_APPROVAL_EXPIRED,    /* genuine, but now >= expiry */
    NC_APPROVAL_REPLAYED,   /* genuine, already consumed */
    NC_APPROVAL_UNKNOWN,    /* genuine MAC, but this registry never issued it (or forgot it after
                               it expired; e.g. minted before a restart) */
    NC_APPROVAL_INTERNAL,   /* a crypto library failure: refused, fail closed */
};
const char *nc_approval_verdict_name(enum nc_approval_verdict v);

enum nc_approval_state {
    NC_APPROVAL_PENDING = 0,
    NC_APPROVAL_APPROVED,
    NC_APPROVAL_DENIED,
    NC_APPROVAL_LAPSED, /* nobody decided before the request's own deadline */
};
const char *nc_approval_state_name(enum nc_approval_state s);

/* A parked request, as `nucleus approvals` lists it. */
struct nc_approval_request {
    char id[NC_APPROVAL_ID_LEN + 1];
    char pod[NC_APPROVAL_POD_MAX + 1];
    enum nc_op op;
    uint8_t digest[NC_APPROVAL_DIGEST_LEN];
    char summary[NC_APPROVAL_SUMMARY_MAX]; /* the exact operation and arguments, for people */
    uint64_t created;                      /* Unix seconds */
    uint64_t deadline;                     /* undecided after this: lapsed */
    enum nc_approval_state state;
};

struct nc_approval_registry;

/* A registry for at most max_requests parked/decided requests and max_tokens live tokens
 * (both >= 1).  Thread-safe: every function below may be called concurrently. */
struct nc_approval_registry *nc_approval_registry_new(size_t max_requests, size_t max_tokens,
                                                      struct nc_err *err);
void nc_approval_registry_free(struct nc_approval_registry *reg);

/* Parks a request that needs approval and writes its id.  `summary` is what a person will see
 * (the caller renders it, sanitized); longer than NC_APPROVAL_SUMMARY_MAX - 1 is E2BIG rather
 * than a truncated, misleading text.  The request lapses at now + wait_seconds.  ENOSPC when
 * the registry is full of live requests (fail closed). */
int nc_approval_park(struct nc_approval_registry *reg, const char *pod, enum nc_op op,
                     const uint8_t digest[NC_APPROVAL_DIGEST_LEN], const char *summary,
                     uint64_t now, uint64_t wait_seconds, char id[NC_APPROVAL_ID_LEN + 1],
                     struct nc_err *err);
/* Copies up to max pending requests (oldest first) into out; returns how many are pending
 * (which may exceed max). */
int nc_approval_list(struct nc_approval_registry *reg, uint64_t now,
                     struct nc_approval_request *out, size_t max, struct nc_err *err);
/* Approves a pending request: mints a token valid for ttl seconds (1..NC_APPROVAL_MAX_TTL)
 * into token (size >= NC_APPROVAL_TOKEN_MAX).  ENOENT unknown id, EALREADY already decided,
 * ETIMEDOUT lapsed, ENOSPC the live-token table is full (fail closed: nothing minted). */
int nc_approval_approve(struct nc_approval_registry *reg, const char *id,
                        const struct nc_approval_key *key, uint64_t ttl, uint64_t now,
                        char *token, size_t tokensz, struct nc_err *err);
/* Records a denial.  ENOENT, EALREADY, ETIMEDOUT as for approve. */
int nc_approval_deny(struct nc_approval_registry *reg, const char *id, uint64_t now,
                     struct nc_err *err);
/* The decision on a request, for the call waiting on it; when approved and token is non-NULL
 * the token is copied out (tokensz >= NC_APPROVAL_TOKEN_MAX).  ENOENT for an unknown id. */
int nc_approval_decision(struct nc_approval_registry *reg, const char *id, uint64_t now,
                         enum nc_approval_state *state, char *token, size_t tokensz,
                         struct nc_err *err);

/* Verifies and consumes a token for the operation actually being performed: MAC (constant
 * time), binding to pod, op and digest, now < expiry, and single use.  Succeeds exactly once
 * per minted token, however many threads try.  `token` need not be NUL-terminated. */
enum nc_approval_verdict nc_approval_consume(struct nc_approval_registry *reg,
                                             const struct nc_approval_key *key,
                                             const char *token, size_t token_len,
                                             const char *pod, enum nc_op op,
                                             const uint8_t digest[NC_APPROVAL_DIGEST_LEN],
                                             uint64_t now);

/* Live tokens held (minted, not yet expired-and-pruned), for tests and metrics. */
size_t nc_approval_tokens_held(struct nc_approval_registry *reg);

#endif
