/* SPDX-License-Identifier: Apache-2.0 */
/* The audit writer: canonical records, the SHA-256 chain, HMAC checkpoints, durable appends.
 * The format is specified in docs/audit.md. */
#include "audit.h"

#include "util/cleanup.h"
#include "util/ossl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const outcome_names[NC_AUDIT_OUTCOME_COUNT] = {
    [NC_AUDIT_ALLOWED] = "allowed",   [NC_AUDIT_DENIED] = "denied",
    [NC_AUDIT_NEEDS_APPROVAL] = "needs_approval", [NC_AUDIT_APPROVED] = "approved",
    [NC_AUDIT_REJECTED] = "rejected", [NC_AUDIT_INVALID] = "invalid",
    [NC_AUDIT_ERROR] = "error",       [NC_AUDIT_INFO] = "info",
};

const char *nc_audit_outcome_name(enum nc_audit_outcome o)
{
    if ((unsigned)o >= NC_AUDIT_OUTCOME_COUNT)
        return NULL;
    return outcome_names[o];
}

int nc_audit_outcome_parse(const char *name)
{
    for (int i = 0; i < NC_AUDIT_OUTCOME_COUNT; i++)
        if (strcmp(name, outcome_names[i]) == 0)
            return i;
    return -1;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0xfu];
    }
    out[2 * n] = '\0';
}

void nc_audit_sha256_hex(const void *data, size_t len, char out[NC_AUDIT_HASH_HEX])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    to_hex(md, sizeof(md), out);
}

json_t *nc_audit_digest(const void *data, size_t len)
{
    char hex[NC_AUDIT_HASH_HEX];
    if (len > (size_t)INT64_MAX)
        return NULL;
    nc_audit_sha256_hex(data, len, hex);
    return json_pack("{s:I, s:s}", "len", (json_int_t)len, "sha256", hex);
}

char *nc_audit_canonical(const json_t *record)
{
    return json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
}

int nc_audit_checkpoint_mac(const json_t *checkpoint, const uint8_t *key, size_t key_len,
                            char out[NC_AUDIT_HASH_HEX], struct nc_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    json_t *copy;
    _cleanup_free_ char *bytes = NULL;

    if (key == NULL || key_len != NC_AUDIT_KEY_LEN)
        return nc_err_set(err, EINVAL, "audit key must be %d bytes", NC_AUDIT_KEY_LEN);
    copy = json_copy((json_t *)(uintptr_t)checkpoint); /* json_copy takes a non-const pointer */
    if (copy == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    (void)json_object_del(copy, "mac");
    bytes = nc_audit_canonical(copy);
    json_decref(copy);
    if (bytes == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)bytes, strlen(bytes), md,
             &mdlen) == NULL ||
        mdlen != SHA256_DIGEST_LENGTH)
        return nc_err_set(err, EIO, "HMAC-SHA256 failed");
    to_hex(md, mdlen, out);
    OPENSSL_cleanse(md, sizeof(md));
    return 0;
}

struct nc_audit {
    pthread_mutex_t mu; /* serializes appends: seq, prev and the write() order agree */
    pthread_cond_t synced; /* broadcast when an fsync ends */
    int fd;
    unsigned flags;
    uint8_t key[NC_AUDIT_KEY_LEN];
    uint64_t seq;                 /* seq of the last record written */
    char prev[NC_AUDIT_HASH_HEX]; /* its hash */
    uint64_t since_cp;            /* event records since the last checkpoint */
    unsigned cp_every;
    unsigned group;
    unsigned unsynced;   /* records written since the last fsync started */
    uint64_t synced_seq; /* every record up to this seq is on disk */
    bool syncing;        /* an fsync runs, with the mutex released */
    uint64_t fsyncs;
    bool broken; /* a write or an fsync failed: the tail is unknown, refuse to go on */
};

uint64_t nc_audit_fsync_count(const struct nc_audit *a)
{
    return a->fsyncs;
}

uint64_t nc_audit_synced_seq(struct nc_audit *a)
{
    pthread_mutex_lock(&a->mu);
    uint64_t s = a->synced_seq;
    pthread_mutex_unlock(&a->mu);
    return s;
}

/* Group commit.  Called with the mutex held; returns with it held, once every record up to
 * seq is on disk.  The fsync itself runs with the mutex released, so other threads go on
 * appending meanwhile; one fsync then covers every record written before it started, and a
 * caller whose record an fsync already running may not cover waits for it and starts the
 * next one (which covers all the records that queued up meanwhile). */
static int sync_upto(struct nc_audit *a, uint64_t seq, struct nc_err *err)
{
    while (a->synced_seq < seq) {
        if (a->broken)
            return nc_err_set(err, EIO, "audit log is unusable after an earlier write error");
        if (a->syncing) {
            pthread_cond_wait(&a->synced, &a->mu);
            continue;
        }
        uint64_t target = a->seq;
        int fd = a->fd;
        a->syncing = true;
        a->unsynced = 0;
        pthread_mutex_unlock(&a->mu);
        /* fsync, not fdatasync: the size of an appended file is metadata we need on disk. */
        int rc = fsync(fd), e = errno;
        pthread_mutex_lock(&a->mu);
        a->syncing = false;
        pthread_cond_broadcast(&a->synced);
        if (rc < 0) {
            a->broken = true;
            return nc_err_set(err, e, "audit log fsync: %s", strerror(e));
        }
        a->fsyncs++;
        if (target > a->synced_seq)
            a->synced_seq = target;
    }
    return 0;
}

/* Waits until no fsync runs (before the descriptor is closed).  Mutex held. */
static void sync_quiesce(struct nc_audit *a)
{
    while (a->syncing)
        pthread_cond_wait(&a->synced, &a->mu);
}

/* Would the verifier refuse to parse this canonical line?  Jansson writes a NUL byte in a
 * string as the escape \u0000 and refuses that escape when it parses (it accepts every other
 * string it writes), so looking for the escape finds what parsing the line back would,
 * without the parse.  Backslashes occur only in escapes, which are skipped whole. */
static bool has_nul_escape(const char *line, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (line[i] != '\\')
            continue;
        if (line[i + 1] == 'u' && i + 5 < len && memcmp(line + i + 2, "0000", 4) == 0)
            return true;
        i++; /* the escaped character */
    }
    return false;
}

static int timestamps(json_t *rec, struct nc_err *err)
{
    struct timespec wall, mono;
    struct tm tm;
    char date[32], ts[48];
    int n;

    if (clock_gettime(CLOCK_REALTIME, &wall) < 0 || clock_gettime(CLOCK_MONOTONIC, &mono) < 0)
        return nc_err_set(err, errno, "clock_gettime: %s", strerror(errno));
    if (gmtime_r(&wall.tv_sec, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return nc_err_set(err, EOVERFLOW, "wall clock out of range");
    n = snprintf(ts, sizeof(ts), "%s.%03ldZ", date, wall.tv_nsec / 1000000L);
    if (n < 0 || (size_t)n >= sizeof(ts))
        return nc_err_set(err, EOVERFLOW, "wall clock out of range");
    if (json_object_set_new(rec, "ts_wall", json_string(ts)) < 0 ||
        json_object_set_new(rec, "ts_mono_ns",
                            json_integer((json_int_t)mono.tv_sec * 1000000000LL +
                                         (json_int_t)mono.tv_nsec)) < 0)
        return nc_err_set(err, ENOMEM, "out of memory");
    return 0;
}

/* Adds seq and prev, serializes, writes the line with one write(), advances the chain.
 * Called with the mutex held. */
static int write_record(struct nc_audit *a, json_t *rec, struct nc_err *err)
{
    _cleanup_free_ char *line = NULL;
    size_t len;
    ssize_t w;

    if (a->broken)
        return nc_err_set(err, EIO, "audit log is unusable after an earlier write error");
    if (json_object_set_new(rec, "seq", json_integer((json_int_t)a->seq + 1)) < 0 ||
        json_object_set_new(rec, "prev", json_string(a->prev)) < 0)
        return nc_err_set(err, ENOMEM, "out of memory");
    line = nc_audit_canonical(rec);
    if (line == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    len = strlen(line);
    if (len > NC_AUDIT_LINE_MAX)
        return nc_err_set(err, E2BIG, "audit record of %zu bytes exceeds %d", len,
                          NC_AUDIT_LINE_MAX);
    /* Never write what the verifier would reject. */
    if (has_nul_escape(line, len))
        return nc_err_set(err, EINVAL, "audit record has a NUL byte in a string");
    /* The hash covers the line without its newline. */
    char hash[NC_AUDIT_HASH_HEX];
    nc_audit_sha256_hex(line, len, hash);
    char *nl = realloc(line, len + 2);
    if (nl == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    line = nl;
    line[len] = '\n';
    line[len + 1] = '\0';
    /* One write() per record: with O_APPEND the kernel places it at the end atomically, so
     * lines never interleave even with another process appending by mistake. */
    do {
        w = write(a->fd, line, len + 1);
    } while (w < 0 && errno == EINTR);
    if (w < 0 || (size_t)w != len + 1) {
        int e = w < 0 ? errno : EIO;
        /* A short write leaves a torn line: the chain state is no longer known. */
        a->broken = true;
        return nc_err_set(err, e, "audit log write failed: %s", w < 0 ? strerror(e) : "short write");
    }
    a->seq++;
    memcpy(a->prev, hash, sizeof(a->prev));
    a->unsynced++;
    return 0;
}

static int write_checkpoint(struct nc_audit *a, bool closed, struct nc_err *err)
{
    char mac[NC_AUDIT_HASH_HEX];
    json_t *cp = json_pack("{s:s, s:I, s:b}", "type", "checkpoint", "count",
                           (json_int_t)a->since_cp, "closed", closed);
    int rc;

    if (cp == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    rc = timestamps(cp, err);
    if (rc == 0 && (json_object_set_new(cp, "seq", json_integer((json_int_t)a->seq + 1)) < 0 ||
                    json_object_set_new(cp, "prev", json_string(a->prev)) < 0))
        rc = nc_err_set(err, ENOMEM, "out of memory");
    if (rc == 0)
        rc = nc_audit_checkpoint_mac(cp, a->key, sizeof(a->key), mac, err);
    if (rc == 0 && json_object_set_new(cp, "mac", json_string(mac)) < 0)
        rc = nc_err_set(err, ENOMEM, "out of memory");
    if (rc == 0)
        rc = write_record(a, cp, err);
    json_decref(cp);
    if (rc < 0)
        return rc;
    a->since_cp = 0;
    /* A checkpoint is a promise about everything before it: make it durable. */
    return sync_upto(a, a->seq, err);
}

/* Writes the event's record; *seq is its seq.  Mutex held (released during an fsync). */
static int append_locked(struct nc_audit *a, const struct nc_audit_event *ev, uint64_t *seq,
                         struct nc_err *err)
{
    const char *outcome = nc_audit_outcome_name(ev->outcome);
    json_t *params = ev->params != NULL ? json_incref(ev->params) : json_object();
    json_t *rec;
    int rc;

    if (outcome == NULL || ev->operation == NULL || ev->operation[0] == '\0') {
        json_decref(params);
        return nc_err_set(err, EINVAL, "audit event needs an operation and a known outcome");
    }
    if (params == NULL || !json_is_object(params)) {
        json_decref(params);
        return nc_err_set(err, EINVAL, "audit params must be a JSON object");
    }
    rec = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "type", "event", "request_id",
                    ev->request_id != NULL ? ev->request_id : "", "principal",
                    ev->principal != NULL ? ev->principal : "", "operation", ev->operation,
                    "params", params, "outcome", outcome, "reason",
                    ev->reason != NULL ? ev->reason : "");
    if (rec == NULL) /* json_pack consumed params (the 'o' format) even on failure */
        return nc_err_set(err, EINVAL, "audit event: invalid UTF-8 or out of memory");
    rc = timestamps(rec, err);
    if (rc == 0)
        rc = write_record(a, rec, err);
    json_decref(rec);
    if (rc < 0)
        return rc;
    *seq = a->seq;
    a->since_cp++;
    /* The checkpoint first: its fsync covers this record too. */
    if (a->since_cp >= a->cp_every) {
        rc = write_checkpoint(a, false, err);
        if (rc < 0)
            return rc;
    }
    /* Strict: on disk before the caller answers.  Otherwise at most `group` records written
     * since the last fsync started may be lost (plus those written while one runs). */
    if (a->flags & NC_AUDIT_STRICT)
        return sync_upto(a, *seq, err);
    if (a->unsynced >= a->group && !a->syncing)
        return sync_upto(a, *seq, err);
    return 0;
}

int64_t nc_audit_append(struct nc_audit *a, const struct nc_audit_event *ev, struct nc_err *err)
{
    int64_t rc;
    uint64_t seq = 0;
    if (a == NULL || ev == NULL)
        return nc_err_set(err, EINVAL, "no audit log");
    pthread_mutex_lock(&a->mu);
    rc = append_locked(a, ev, &seq, err);
    pthread_mutex_unlock(&a->mu);
    return rc == 0 ? (int64_t)seq : rc;
}

int nc_audit_set_checkpoint_every(struct nc_audit *a, unsigned n, struct nc_err *err)
{
    if (n == 0)
        return nc_err_set(err, EINVAL, "checkpoint interval must be at least 1");
    pthread_mutex_lock(&a->mu);
    a->cp_every = n;
    pthread_mutex_unlock(&a->mu);
    return 0;
}

int nc_audit_set_group_commit(struct nc_audit *a, unsigned k, struct nc_err *err)
{
    if (k == 0)
        return nc_err_set(err, EINVAL, "group commit size must be at least 1");
    pthread_mutex_lock(&a->mu);
    a->group = k;
    pthread_mutex_unlock(&a->mu);
    return 0;
}

int nc_audit_sync(struct nc_audit *a, struct nc_err *err)
{
    int rc;
    pthread_mutex_lock(&a->mu);
    rc = a->broken ? nc_err_set(err, EIO, "audit log is unusable after an earlier write error")
                   : sync_upto(a, a->seq, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void audit_free(struct nc_audit *a)
{
    if (a->fd >= 0)
        (void)close(a->fd);
    OPENSSL_cleanse(a->key, sizeof(a->key));
    pthread_cond_destroy(&a->synced);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

int nc_audit_close(struct nc_audit *a, struct nc_err *err)
{
    int rc;
    if (a == NULL)
        return 0;
    pthread_mutex_lock(&a->mu);
    rc = write_checkpoint(a, true, err);
    sync_quiesce(a);
    pthread_mutex_unlock(&a->mu);
    audit_free(a);
    return rc;
}

/* Makes a newly created log's directory entry durable. */
static int sync_parent(const char *path, struct nc_err *err)
{
    const char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int dfd = -1;

    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
        return nc_err_set(err, errno, "audit log directory: %s", strerror(errno));
    return 0;
}

int nc_audit_open(const char *path, const uint8_t *key, size_t key_len, unsigned flags,
                  struct nc_audit **out, struct nc_err *err)
{
    struct nc_audit *a;
    struct nc_audit_report rep;
    struct stat st;
    int rc;

    if (path == NULL || out == NULL)
        return nc_err_set(err, EINVAL, "no audit log path");
    if (key == NULL || key_len != NC_AUDIT_KEY_LEN)
        return nc_err_set(err, EINVAL, "audit key must be %d bytes", NC_AUDIT_KEY_LEN);
    if (flags & ~NC_AUDIT_STRICT)
        return nc_err_set(err, EINVAL, "unknown audit flags 0x%x", flags);
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a);
        return nc_err_set(err, ENOMEM, "mutex");
    }
    if (pthread_cond_init(&a->synced, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        free(a);
        return nc_err_set(err, ENOMEM, "condition variable");
    }
    memcpy(a->key, key, NC_AUDIT_KEY_LEN);
    a->flags = flags;
    a->cp_every = NC_AUDIT_CHECKPOINT_EVERY;
    a->group = NC_AUDIT_GROUP_COMMIT;
    memset(a->prev, '0', NC_AUDIT_HASH_HEX - 1);
    a->prev[NC_AUDIT_HASH_HEX - 1] = '\0';

    /* O_RDWR: the existing chain is read back through the same descriptor, so what is
     * verified is what is extended.  O_NOFOLLOW: a symlink planted at the log path must not
     * redirect the audit trail. */
    a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (a->fd < 0) {
        rc = nc_err_set(err, errno, "cannot open audit log: %s", strerror(errno));
        goto fail;
    }
    /* One writer per log: a second one would fork the chain. */
    if (flock(a->fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK
                 ? nc_err_set(err, EBUSY, "audit log is held by another writer")
                 : nc_err_set(err, errno, "audit log lock: %s", strerror(errno));
        goto fail;
    }
    if (fstat(a->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = nc_err_set(err, EINVAL, "audit log is not a regular file");
        goto fail;
    }
    if (st.st_size == 0) {
        rc = sync_parent(path, err);
        if (rc < 0)
            goto fail;
    } else {
        rc = nc_audit_verify_fd(a->fd, key, key_len, NC_AUDIT_VERIFY_OPEN, &rep, err);
        if (rc < 0)
            goto fail;
        if (rc > 0) {
            rc = nc_err_set(err, EBADMSG, "refusing to append to an audit log that fails verification: %s",
                            rep.message);
            goto fail;
        }
        a->seq = rep.last_seq;
        a->synced_seq = rep.last_seq; /* verified from the file, and synced again just below */
        a->since_cp = rep.since_checkpoint;
        memcpy(a->prev, rep.last_hash, sizeof(a->prev));
        if (!rep.closed) {
            /* The previous writer never closed the log (crash, or the tail was cut): say so
             * in the chain itself before anything else is appended. */
            char reason[160];
            int n = snprintf(reason, sizeof(reason),
                             "log was not closed after seq %llu (writer crashed or tail lost)",
                             (unsigned long long)rep.last_seq);
            struct nc_audit_event ev = {.operation = "audit.recover", .outcome = NC_AUDIT_INFO,
                                        .reason = reason};
            if (n < 0 || (size_t)n >= sizeof(reason)) {
                rc = nc_err_set(err, EOVERFLOW, "recovery reason too long");
                goto fail;
            }
            uint64_t seq = 0;
            pthread_mutex_lock(&a->mu); /* no other thread has the log yet; sync_upto expects it */
            rc = append_locked(a, &ev, &seq, err);
            if (rc == 0)
                rc = sync_upto(a, seq, err);
            pthread_mutex_unlock(&a->mu);
            if (rc < 0)
                goto fail;
        }
    }
    *out = a;
    return 0;
fail:
    audit_free(a);
    return rc;
}
