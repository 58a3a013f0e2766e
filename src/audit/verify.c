/* SPDX-License-Identifier: Apache-2.0 */
/* The audit verifier: recomputes the chain over the exact line bytes and reports the first
 * problem.  It parses untrusted bytes (a log may have been tampered with), so every field is
 * checked for presence, type and range, and unknown fields are errors (fail closed). */
#include "audit.h"

#include "util/cleanup.h"
#include "util/ossl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const problem_names[] = {
    [NC_AUDIT_OK] = "ok",
    [NC_AUDIT_P_EMPTY] = "empty",
    [NC_AUDIT_P_TORN] = "torn_line",
    [NC_AUDIT_P_MALFORMED] = "malformed",
    [NC_AUDIT_P_DUPLICATE] = "duplicate_key",
    [NC_AUDIT_P_NONCANONICAL] = "not_canonical",
    [NC_AUDIT_P_SCHEMA] = "schema",
    [NC_AUDIT_P_GAP] = "gap",
    [NC_AUDIT_P_REORDER] = "reordered",
    [NC_AUDIT_P_PREV] = "prev_mismatch",
    [NC_AUDIT_P_COUNT] = "checkpoint_count",
    [NC_AUDIT_P_MAC] = "checkpoint_mac",
    [NC_AUDIT_P_TRUNCATED] = "truncated",
};

const char *nc_audit_problem_name(enum nc_audit_problem p)
{
    if ((size_t)p >= sizeof(problem_names) / sizeof(problem_names[0]))
        return "unknown";
    return problem_names[p];
}

/* Field kinds of the schema. */
enum kind { K_STR, K_NONEMPTY, K_UINT, K_SEQ, K_OBJECT, K_BOOL, K_HEX64, K_TS, K_OUTCOME };

struct field {
    const char *name;
    enum kind kind;
};

static const struct field event_fields[] = {
    {"type", K_STR},         {"seq", K_SEQ},         {"ts_wall", K_TS},
    {"ts_mono_ns", K_UINT},  {"request_id", K_STR},  {"principal", K_STR},
    {"operation", K_NONEMPTY}, {"params", K_OBJECT}, {"outcome", K_OUTCOME},
    {"reason", K_STR},       {"prev", K_HEX64},
};

static const struct field checkpoint_fields[] = {
    {"type", K_STR},  {"seq", K_SEQ},     {"ts_wall", K_TS}, {"ts_mono_ns", K_UINT},
    {"prev", K_HEX64}, {"count", K_UINT}, {"closed", K_BOOL}, {"mac", K_HEX64},
};

static bool is_hex64(const char *s)
{
    size_t i;
    for (i = 0; s[i] != '\0'; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == 64;
}

/* "2026-11-29T20:54:35.123Z": the shape the writer produces (digits checked, not the calendar). */
static bool is_ts(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    size_t i;
    for (i = 0; shape[i] != '\0'; i++) {
        if (s[i] == '\0')
            return false;
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return false;
    }
    return s[i] == '\0';
}

static bool kind_ok(const json_t *v, enum kind k)
{
    switch (k) {
    case K_STR:
        return json_is_string(v);
    case K_NONEMPTY:
        return json_is_string(v) && json_string_length(v) > 0;
    case K_UINT:
        return json_is_integer(v) && json_integer_value(v) >= 0;
    case K_SEQ:
        return json_is_integer(v) && json_integer_value(v) >= 1;
    case K_OBJECT:
        return json_is_object(v);
    case K_BOOL:
        return json_is_boolean(v);
    case K_HEX64:
        return json_is_string(v) && is_hex64(json_string_value(v));
    case K_TS:
        return json_is_string(v) && is_ts(json_string_value(v));
    case K_OUTCOME:
        return json_is_string(v) && nc_audit_outcome_parse(json_string_value(v)) >= 0;
    }
    return false;
}

struct vstate {
    const char *buf;
    size_t len;
    const uint8_t *key;
    struct nc_audit_report *rep;
};

__attribute__((format(printf, 5, 6))) static int problem(struct vstate *v,
                                                         enum nc_audit_problem p, uint64_t line,
                                                         uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    v->rep->problem = p;
    v->rep->line = line;
    v->rep->seq = seq;
    va_start(ap, fmt);
    /* Truncation of the message is acceptable: it is bounded and still names the record. */
    (void)vsnprintf(v->rep->message, sizeof(v->rep->message), fmt, ap);
    va_end(ap);
    return 1;
}

/* Whether a complete line at or after pos carries seq want at top level (used once, to tell a
 * reordering from a gap). */
static bool seq_appears_later(const struct vstate *v, size_t pos, uint64_t want)
{
    while (pos < v->len) {
        const char *p = v->buf + pos;
        const char *nl = memchr(p, '\n', v->len - pos);
        if (nl == NULL)
            return false;
        size_t n = (size_t)(nl - p);
        json_t *o = n <= NC_AUDIT_LINE_MAX ? json_loadb(p, n, 0, NULL) : NULL;
        json_t *s = json_object_get(o, "seq");
        bool hit = json_is_integer(s) && json_integer_value(s) >= 1 &&
                   (uint64_t)json_integer_value(s) == want;
        json_decref(o);
        if (hit)
            return true;
        pos += n + 1;
    }
    return false;
}

/* Checks one line (without its newline) starting at buffer offset pos.  Returns 0 when
 * accepted, 1 when a problem was recorded, < 0 on a resource failure. */
static int check_line(struct vstate *v, size_t pos, size_t n, uint64_t line,
                      struct nc_err *err)
{
    struct nc_audit_report *rep = v->rep;
    const char *p = v->buf + pos;
    json_error_t jerr;
    json_t *o;
    _cleanup_free_ char *canon = NULL;
    uint64_t seq, expect = rep->last_seq + 1;
    int rc = 0;

    if (n == 0)
        return problem(v, NC_AUDIT_P_MALFORMED, line, 0, "line %llu: empty line",
                       (unsigned long long)line);
    if (n > NC_AUDIT_LINE_MAX)
        return problem(v, NC_AUDIT_P_MALFORMED, line, 0, "line %llu: record longer than %d bytes",
                       (unsigned long long)line, NC_AUDIT_LINE_MAX);
    /* Duplicate keys are rejected: a reader that keeps the first and one that keeps the last
     * would otherwise see different records behind the same hash. */
    o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL) {
        if (json_error_code(&jerr) == json_error_duplicate_key)
            return problem(v, NC_AUDIT_P_DUPLICATE, line, 0, "line %llu: duplicate key (%s)",
                           (unsigned long long)line, jerr.text);
        return problem(v, NC_AUDIT_P_MALFORMED, line, 0, "line %llu: not valid JSON: %s",
                       (unsigned long long)line, jerr.text);
    }
    if (!json_is_object(o)) {
        rc = problem(v, NC_AUDIT_P_MALFORMED, line, 0, "line %llu: not a JSON object",
                     (unsigned long long)line);
        goto out;
    }
    /* Canonical bytes only: one record, one byte string, so the hash has one meaning. */
    canon = nc_audit_canonical(o);
    if (canon == NULL) {
        rc = nc_err_set(err, ENOMEM, "out of memory");
        goto out;
    }
    if (strlen(canon) != n || memcmp(canon, p, n) != 0) {
        rc = problem(v, NC_AUDIT_P_NONCANONICAL, line, 0,
                     "line %llu: not in canonical form (compact, keys sorted)",
                     (unsigned long long)line);
        goto out;
    }

    const json_t *jseq = json_object_get(o, "seq");
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!kind_ok(jseq, K_SEQ) || type == NULL) {
        rc = problem(v, NC_AUDIT_P_SCHEMA, line, 0, "line %llu: missing or invalid seq or type",
                     (unsigned long long)line);
        goto out;
    }
    seq = (uint64_t)json_integer_value(jseq);
    bool is_cp = strcmp(type, "checkpoint") == 0;
    if (!is_cp && strcmp(type, "event") != 0) {
        rc = problem(v, NC_AUDIT_P_SCHEMA, line, seq, "record %llu (line %llu): unknown type",
                     (unsigned long long)seq, (unsigned long long)line);
        goto out;
    }
    const struct field *fields = is_cp ? checkpoint_fields : event_fields;
    size_t nfields = is_cp ? sizeof(checkpoint_fields) / sizeof(checkpoint_fields[0])
                           : sizeof(event_fields) / sizeof(event_fields[0]);
    for (size_t i = 0; i < nfields; i++) {
        if (!kind_ok(json_object_get(o, fields[i].name), fields[i].kind)) {
            rc = problem(v, NC_AUDIT_P_SCHEMA, line, seq,
                         "record %llu (line %llu): field '%s' missing or invalid",
                         (unsigned long long)seq, (unsigned long long)line, fields[i].name);
            goto out;
        }
    }
    /* Every required field is present, so a larger object has an unknown field. */
    if (json_object_size(o) != nfields) {
        rc = problem(v, NC_AUDIT_P_SCHEMA, line, seq, "record %llu (line %llu): unknown field",
                     (unsigned long long)seq, (unsigned long long)line);
        goto out;
    }

    if (seq < expect) {
        rc = problem(v, NC_AUDIT_P_REORDER, line, seq,
                     "record %llu (line %llu): out of order or repeated (after record %llu)",
                     (unsigned long long)seq, (unsigned long long)line,
                     (unsigned long long)rep->last_seq);
        goto out;
    }
    if (seq > expect) {
        if (seq_appears_later(v, pos + n + 1, expect))
            rc = problem(v, NC_AUDIT_P_REORDER, line, seq,
                         "record %llu (line %llu): out of order (record %llu comes later)",
                         (unsigned long long)seq, (unsigned long long)line,
                         (unsigned long long)expect);
        else if (seq - expect == 1)
            rc = problem(v, NC_AUDIT_P_GAP, line, seq,
                         "record %llu (line %llu): record %llu is missing",
                         (unsigned long long)seq, (unsigned long long)line,
                         (unsigned long long)expect);
        else
            rc = problem(v, NC_AUDIT_P_GAP, line, seq,
                         "record %llu (line %llu): records %llu to %llu are missing",
                         (unsigned long long)seq, (unsigned long long)line,
                         (unsigned long long)expect, (unsigned long long)(seq - 1));
        goto out;
    }
    if (strcmp(json_string_value(json_object_get(o, "prev")), rep->last_hash) != 0) {
        if (seq == 1)
            rc = problem(v, NC_AUDIT_P_PREV, line, seq,
                         "record 1 (line %llu): prev must be 64 zeros for the first record",
                         (unsigned long long)line);
        else
            rc = problem(v, NC_AUDIT_P_PREV, line, seq,
                         "record %llu (line %llu): prev does not match the hash of record %llu",
                         (unsigned long long)seq, (unsigned long long)line,
                         (unsigned long long)(seq - 1));
        goto out;
    }
    if (is_cp) {
        uint64_t count = (uint64_t)json_integer_value(json_object_get(o, "count"));
        if (count != rep->since_checkpoint) {
            rc = problem(v, NC_AUDIT_P_COUNT, line, seq,
                         "checkpoint %llu (line %llu): count %llu but %llu records since the "
                         "previous checkpoint",
                         (unsigned long long)seq, (unsigned long long)line,
                         (unsigned long long)count, (unsigned long long)rep->since_checkpoint);
            goto out;
        }
        if (v->key != NULL) {
            char mac[NC_AUDIT_HASH_HEX];
            rc = nc_audit_checkpoint_mac(o, v->key, NC_AUDIT_KEY_LEN, mac, err);
            if (rc < 0)
                goto out;
            /* Constant time: the verifier may run where an attacker times it. */
            if (CRYPTO_memcmp(mac, json_string_value(json_object_get(o, "mac")), 64) != 0) {
                rc = problem(v, NC_AUDIT_P_MAC, line, seq,
                             "checkpoint %llu (line %llu): MAC does not verify with the key "
                             "(forged checkpoint or wrong key)",
                             (unsigned long long)seq, (unsigned long long)line);
                goto out;
            }
        }
        rep->checkpoints++;
        rep->since_checkpoint = 0;
        rep->closed = json_is_true(json_object_get(o, "closed"));
    } else {
        rep->since_checkpoint++;
        rep->closed = false;
    }
    rep->records++;
    rep->last_seq = seq;
    nc_audit_sha256_hex(p, n, rep->last_hash);
out:
    json_decref(o);
    return rc;
}

int nc_audit_verify_buf(const void *buf, size_t len, const uint8_t *key, size_t key_len,
                        unsigned flags, struct nc_audit_report *rep, struct nc_err *err)
{
    struct vstate v = {.buf = buf, .len = len, .key = key, .rep = rep};
    size_t pos = 0;
    uint64_t line = 0;

    if (rep == NULL || (buf == NULL && len > 0))
        return nc_err_set(err, EINVAL, "nc_audit_verify_buf: no buffer or report");
    if (key != NULL && key_len != NC_AUDIT_KEY_LEN)
        return nc_err_set(err, EINVAL, "audit key must be %d bytes", NC_AUDIT_KEY_LEN);
    memset(rep, 0, sizeof(*rep));
    memset(rep->last_hash, '0', NC_AUDIT_HASH_HEX - 1);
    rep->macs_checked = key != NULL;

    while (pos < len) {
        const char *p = v.buf + pos;
        const char *nl = memchr(p, '\n', len - pos);
        line++;
        if (nl == NULL)
            return problem(&v, NC_AUDIT_P_TORN, line, 0,
                           "line %llu: incomplete last line (torn write or truncation) after "
                           "record %llu",
                           (unsigned long long)line, (unsigned long long)rep->last_seq);
        size_t n = (size_t)(nl - p);
        int rc = check_line(&v, pos, n, line, err);
        if (rc != 0)
            return rc;
        pos += n + 1;
    }
    if (flags & NC_AUDIT_VERIFY_OPEN)
        return 0;
    if (rep->records == 0)
        return problem(&v, NC_AUDIT_P_EMPTY, 0, 0, "the log is empty (truncated to nothing?)");
    /* The writer always ends a log with a closing checkpoint; a log that stops elsewhere lost
     * its tail (or its writer died).  With the key, the closing checkpoint cannot be forged. */
    if (!rep->closed)
        return problem(&v, NC_AUDIT_P_TRUNCATED, line, rep->last_seq,
                       "truncated after seq %llu: the log does not end with a closing checkpoint",
                       (unsigned long long)rep->last_seq);
    return 0;
}

int nc_audit_verify_fd(int fd, const uint8_t *key, size_t key_len, unsigned flags,
                       struct nc_audit_report *rep, struct nc_err *err)
{
    struct stat st;
    void *map;
    int rc;

    if (fstat(fd, &st) < 0)
        return nc_err_set(err, errno, "audit log: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nc_err_set(err, EINVAL, "audit log is not a regular file");
    if (st.st_size == 0)
        return nc_audit_verify_buf(NULL, 0, key, key_len, flags, rep, err);
    if ((uintmax_t)st.st_size > SIZE_MAX)
        return nc_err_set(err, EFBIG, "audit log too large");
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return nc_err_set(err, errno, "audit log mmap: %s", strerror(errno));
    rc = nc_audit_verify_buf(map, (size_t)st.st_size, key, key_len, flags, rep, err);
    (void)munmap(map, (size_t)st.st_size);
    return rc;
}

int nc_audit_verify_file(const char *path, const uint8_t *key, size_t key_len, unsigned flags,
                         struct nc_audit_report *rep, struct nc_err *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nc_err_set(err, errno, "cannot open audit log: %s", strerror(errno));
    return nc_audit_verify_fd(fd, key, key_len, flags, rep, err);
}
