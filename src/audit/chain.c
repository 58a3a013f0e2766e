/* SPDX-License-Identifier: Apache-2.0 */
/* The audit writer: canonical records, the SHA-256 chain, HMAC checkpoints, durable appends.
 * The format is specified in docs/audit.md. */
#include "audit.h"

#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
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
    int fd;
    unsigned flags;
    uint8_t key[NC_AUDIT_KEY_LEN];
    uint64_t seq;                 /* seq of the last record written */
    char prev[NC_AUDIT_HASH_HEX]; /* its hash */
    uint64_t since_cp;            /* event records since the last checkpoint */
    unsigned cp_every;
    unsigned group;
    unsigned unsynced; /* records written since the last fsync */
    uint64_t fsyncs;
    bool broken; /* a write failed: the tail is unknown, refuse to go on */
};

uint64_t nc_audit_fsync_count(const struct nc_audit *a)
{
    return a->fsyncs;
}

static int do_sync(struct nc_audit *a, struct nc_err *err)
{
    /* fsync, not fdatasync: the size of an appended file is metadata we need on disk. */
    if (fsync(a->fd) < 0) {
        a->broken = true;
        return nc_err_set(err, errno, "audit log fsync: %s", strerror(errno));
    }
    a->fsyncs++;
    a->unsynced = 0;
    return 0;
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
    /* Never write what the verifier would reject: the line must parse back (strings with NUL
     * bytes do not) and re-serialize to the same bytes. */
    json_t *back = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    _cleanup_free_ char *again = back != NULL ? nc_audit_canonical(back) : NULL;
    json_decref(back);
    if (again == NULL || strcmp(again, line) != 0)
        return nc_err_set(err, EINVAL, "audit record does not round-trip (NUL byte in a string?)");
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
    return do_sync(a, err);
}

static int append_locked(struct nc_audit *a, const struct nc_audit_event *ev, struct nc_err *err)
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
    a->since_cp++;
    if (a->flags & NC_AUDIT_STRICT || a->unsynced >= a->group) {
        rc = do_sync(a, err);
        if (rc < 0)
            return rc;
    }
    if (a->since_cp >= a->cp_every) {
        rc = write_checkpoint(a, false, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int64_t nc_audit_append(struct nc_audit *a, const struct nc_audit_event *ev, struct nc_err *err)
{
    int64_t rc;
    if (a == NULL || ev == NULL)
        return nc_err_set(err, EINVAL, "no audit log");
    pthread_mutex_lock(&a->mu);
    rc = append_locked(a, ev, err);
    /* The record's own seq: a checkpoint may have followed it. */
    if (rc == 0)
        rc = (int64_t)(a->since_cp == 0 ? a->seq - 1 : a->seq);
    pthread_mutex_unlock(&a->mu);
    return rc;
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
                   : do_sync(a, err);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void audit_free(struct nc_audit *a)
{
    if (a->fd >= 0)
        (void)close(a->fd);
    OPENSSL_cleanse(a->key, sizeof(a->key));
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
            rc = append_locked(a, &ev, err);
            if (rc == 0)
                rc = do_sync(a, err);
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
