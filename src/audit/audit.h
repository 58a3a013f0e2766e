/* SPDX-License-Identifier: Apache-2.0 */
/* The audit chain: an append-only, hash-chained JSON Lines log with HMAC-signed checkpoints
 * (writer in chain.c, verifier in verify.c; the format is specified in docs/audit.md). */
#ifndef NC_AUDIT_AUDIT_H
#define NC_AUDIT_AUDIT_H

#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_AUDIT_KEY_LEN 32           /* checkpoint MAC key: 32 bytes (HMAC-SHA256) */
#define NC_AUDIT_HASH_HEX 65          /* 64 hex digits + NUL */
#define NC_AUDIT_LINE_MAX 65536       /* longest record, newline excluded (writer and verifier) */
#define NC_AUDIT_CHECKPOINT_EVERY 100 /* default: a checkpoint after this many event records */
#define NC_AUDIT_GROUP_COMMIT 32      /* default: fsync after this many records (group commit) */

/* nc_audit_open flags. */
#define NC_AUDIT_STRICT 0x1u /* fsync before every nc_audit_append returns */

/* nc_audit_verify_* flags. */
#define NC_AUDIT_VERIFY_OPEN 0x1u /* the log may still be open: a missing closing checkpoint is
                                     not a problem (used by the writer when it re-opens) */

enum nc_audit_outcome {
    NC_AUDIT_ALLOWED,
    NC_AUDIT_DENIED,
    NC_AUDIT_NEEDS_APPROVAL,
    NC_AUDIT_APPROVED,
    NC_AUDIT_REJECTED,
    NC_AUDIT_INVALID, /* validation failure */
    NC_AUDIT_ERROR,
    NC_AUDIT_INFO, /* bookkeeping events (budget, recovery of an unclosed log) */
    NC_AUDIT_OUTCOME_COUNT,
};

/* "allowed", "denied", ...; NULL when out of range. */
const char *nc_audit_outcome_name(enum nc_audit_outcome o);
/* The outcome with that name, or -1. */
int nc_audit_outcome_parse(const char *name);

/* One event.  Strings may be NULL (written as ""), except operation.  params is borrowed and
 * may be NULL ({}): it must hold argument shapes and digests, never raw secrets (see
 * nc_audit_digest). */
struct nc_audit_event {
    const char *request_id;
    const char *principal; /* e.g. spiffe://nucleus.local/pod/abc */
    const char *operation;
    json_t *params;
    enum nc_audit_outcome outcome;
    const char *reason;
};

struct nc_audit;

/* Opens (creating with mode 0600) the log at path for appending.  An existing log is verified
 * with the key first and the chain continues from its last record; a log that fails
 * verification is refused (EBADMSG, the first problem in the message).  A log that was not
 * closed (crash) gets an "audit.recover" event first.  The key (NC_AUDIT_KEY_LEN bytes) is
 * copied.  Another writer holding the log gives EBUSY. */
int nc_audit_open(const char *path, const uint8_t *key, size_t key_len, unsigned flags,
                  struct nc_audit **out, struct nc_err *err);
/* A checkpoint after every n event records (n >= 1; default NC_AUDIT_CHECKPOINT_EVERY). */
int nc_audit_set_checkpoint_every(struct nc_audit *a, unsigned n, struct nc_err *err);
/* Group commit: fsync after every k records (k >= 1; default NC_AUDIT_GROUP_COMMIT).  Ignored
 * in strict mode, which syncs every record. */
int nc_audit_set_group_commit(struct nc_audit *a, unsigned k, struct nc_err *err);
/* Appends one event as a single write(); thread-safe.  Returns the record's seq (>= 1).  In
 * strict mode it returns only after fsync.  After a failed or short write the handle refuses
 * further appends (EIO): the log tail is then for the verifier to judge. */
int64_t nc_audit_append(struct nc_audit *a, const struct nc_audit_event *ev, struct nc_err *err);
/* Returns once every record written so far is on disk (an fsync unless one already covered
 * them).  fsyncs run with the log's lock released: appends go on meanwhile, and one fsync
 * covers every record written before it started (group commit, strict mode included). */
int nc_audit_sync(struct nc_audit *a, struct nc_err *err);
/* Writes the closing checkpoint, fsyncs, closes and frees (also on error).  NULL is a no-op. */
int nc_audit_close(struct nc_audit *a, struct nc_err *err);
/* For tests: how many fsync calls the handle has made. */
uint64_t nc_audit_fsync_count(const struct nc_audit *a);
/* For tests: every record up to this seq is on disk. */
uint64_t nc_audit_synced_seq(struct nc_audit *a);

/* {"len": n, "sha256": "<hex>"}: how a secret-bearing argument enters params.  NULL on ENOMEM. */
json_t *nc_audit_digest(const void *data, size_t len);
/* Lower-case hex SHA-256 of data. */
void nc_audit_sha256_hex(const void *data, size_t len, char out[NC_AUDIT_HASH_HEX]);
/* The canonical bytes of a record: compact, keys sorted (malloc'd, NUL-terminated). */
char *nc_audit_canonical(const json_t *record);
/* The checkpoint MAC: HMAC-SHA256 over the canonical checkpoint without its "mac" field, as
 * hex.  Returns < 0 on failure. */
int nc_audit_checkpoint_mac(const json_t *checkpoint, const uint8_t *key, size_t key_len,
                            char out[NC_AUDIT_HASH_HEX], struct nc_err *err);

enum nc_audit_problem {
    NC_AUDIT_OK,
    NC_AUDIT_P_EMPTY,       /* no records at all */
    NC_AUDIT_P_TORN,        /* last line has no newline (torn write or truncation) */
    NC_AUDIT_P_MALFORMED,   /* not JSON, not an object, too long, empty line */
    NC_AUDIT_P_DUPLICATE,   /* a duplicate key */
    NC_AUDIT_P_NONCANONICAL,/* valid JSON but not the canonical bytes */
    NC_AUDIT_P_SCHEMA,      /* missing, unknown or ill-typed field */
    NC_AUDIT_P_GAP,         /* seq jumps: records missing */
    NC_AUDIT_P_REORDER,     /* seq out of order (or repeated) */
    NC_AUDIT_P_PREV,        /* prev does not match the hash of the previous record */
    NC_AUDIT_P_COUNT,       /* a checkpoint's count does not match */
    NC_AUDIT_P_MAC,         /* a checkpoint MAC does not verify with the key */
    NC_AUDIT_P_TRUNCATED,   /* no closing checkpoint at the end */
};

/* Short stable name of a problem ("prev_mismatch", ...). */
const char *nc_audit_problem_name(enum nc_audit_problem p);

struct nc_audit_report {
    enum nc_audit_problem problem; /* the first problem, NC_AUDIT_OK when intact */
    uint64_t line;                 /* 1-based line of the first problem (0: none / whole log) */
    uint64_t seq;                  /* seq of that record when known, else 0 */
    char message[384];             /* "record 57 (line 57): prev does not match ..." */
    /* What was read up to the first problem (all of it when intact): */
    uint64_t records;          /* lines accepted (events + checkpoints) */
    uint64_t checkpoints;      /* checkpoints accepted */
    uint64_t last_seq;         /* seq of the last accepted record */
    uint64_t since_checkpoint; /* event records after the last checkpoint */
    bool closed;               /* the last accepted record is a closing checkpoint */
    bool macs_checked;         /* a key was given: every checkpoint MAC was checked */
    char last_hash[NC_AUDIT_HASH_HEX]; /* hash of the last accepted record (zeros if none) */
};

/* Verifies a log held in memory.  Returns 0 when intact, 1 when a problem was found (report
 * filled), < 0 on a resource failure (err).  key may be NULL (MACs are then not checked). */
int nc_audit_verify_buf(const void *buf, size_t len, const uint8_t *key, size_t key_len,
                        unsigned flags, struct nc_audit_report *rep, struct nc_err *err);
/* Same for an open descriptor (read through mmap; the offset is not used). */
int nc_audit_verify_fd(int fd, const uint8_t *key, size_t key_len, unsigned flags,
                       struct nc_audit_report *rep, struct nc_err *err);
/* Same for a file. */
int nc_audit_verify_file(const char *path, const uint8_t *key, size_t key_len, unsigned flags,
                         struct nc_audit_report *rep, struct nc_err *err);

#endif
