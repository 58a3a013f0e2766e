/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the audit chain (src/audit/): the writer's durability and concurrency, and the
 * verifier against each way of tampering with a log (edit, delete, reorder, truncate, forge). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t key[NC_AUDIT_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[NC_AUDIT_KEY_LEN] = "fedcba9876543210fedcba9876543210";

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/nc-audit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/audit.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    (void)unlink(f->path);
    (void)rmdir(f->dir);
    free(f);
    return 0;
}

static void append_n(struct nc_audit *a, unsigned n, const char *who)
{
    struct nc_err err = {0};
    for (unsigned i = 0; i < n; i++) {
        char rid[32];
        snprintf(rid, sizeof(rid), "req-%u", i);
        json_t *params = json_pack("{s:s, s:o}", "path", "src/main.c", "content",
                                   nc_audit_digest("secret", 6));
        struct nc_audit_event ev = {.request_id = rid, .principal = who, .operation = "read",
                                    .params = params, .outcome = i % 3 == 0 ? NC_AUDIT_DENIED
                                                                             : NC_AUDIT_ALLOWED,
                                    .reason = "xxxxxxxx"};
        int64_t seq = nc_audit_append(a, &ev, &err);
        json_decref(params);
        if (seq < 1)
            fail_msg("append: %s", err.msg);
    }
}

/* Writes a closed log of n events (checkpoint every `every`). */
static void write_log(const char *path, unsigned n, unsigned every)
{
    struct nc_audit *a = NULL;
    struct nc_err err = {0};
    if (nc_audit_open(path, key, sizeof(key), 0, &a, &err) < 0)
        fail_msg("open: %s", err.msg);
    assert_int_equal(nc_audit_set_checkpoint_every(a, every, &err), 0);
    append_n(a, n, "spiffe://nucleus.local/pod/test");
    assert_int_equal(nc_audit_close(a, &err), 0);
}

/* The log as an array of lines (without newlines). */
struct lines {
    char **l;
    size_t n;
};

static struct lines read_lines(const char *path)
{
    struct lines ls = {0};
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t cap = 0;
    ssize_t r;
    assert_non_null(f);
    while ((r = getline(&buf, &cap, f)) > 0) {
        if (buf[r - 1] == '\n')
            buf[r - 1] = '\0';
        ls.l = realloc(ls.l, (ls.n + 1) * sizeof(*ls.l));
        assert_non_null(ls.l);
        ls.l[ls.n] = strdup(buf);
        assert_non_null(ls.l[ls.n]);
        ls.n++;
    }
    free(buf);
    fclose(f);
    return ls;
}

static void free_lines(struct lines *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->l[i]);
    free(ls->l);
}

/* Verifies lines[0..n) joined with newlines. */
static int verify_lines(char *const *l, size_t n, const uint8_t *k, struct nc_audit_report *rep)
{
    size_t total = 0, off = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(l[i]) + 1;
    char *buf = malloc(total + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(l[i]);
        memcpy(buf + off, l[i], len);
        buf[off + len] = '\n';
        off += len + 1;
    }
    struct nc_err err = {0};
    int rc = nc_audit_verify_buf(buf, total, k, k != NULL ? NC_AUDIT_KEY_LEN : 0, 0, rep, &err);
    free(buf);
    assert_true(rc >= 0);
    return rc;
}

/* Intact: 1,000 records with checkpoints every 100 verify, with and without the key. */
static void test_thousand_ok(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    struct nc_err err = {0};
    struct stat st;

    write_log(f->path, 1000, 100);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 0);
    assert_int_equal(rep.problem, NC_AUDIT_OK);
    assert_int_equal(rep.records, 1011); /* 1000 events, 10 periodic + 1 closing checkpoint */
    assert_int_equal(rep.checkpoints, 11);
    assert_int_equal(rep.last_seq, 1011);
    assert_true(rep.closed);
    assert_true(rep.macs_checked);
    assert_int_equal(nc_audit_verify_file(f->path, NULL, 0, 0, &rep, &err), 0);
    assert_false(rep.macs_checked);
    /* Another key: the first checkpoint fails. */
    assert_int_equal(nc_audit_verify_file(f->path, other_key, sizeof(other_key), 0, &rep, &err), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_MAC);
    assert_int_equal(rep.line, 101);
}

/* Editing a record is caught at that record's successor (its prev no longer matches). */
static void test_flip_byte(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    write_log(f->path, 1000, 100);
    struct lines ls = read_lines(f->path);
    char *x = strstr(ls.l[499], "xxxxxxxx"); /* record 500's reason */
    assert_non_null(x);
    x[3] = 'y';
    assert_int_equal(verify_lines(ls.l, ls.n, key, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_PREV);
    assert_int_equal(rep.line, 501);
    assert_int_equal(rep.seq, 501);
    assert_non_null(strstr(rep.message, "record 501 (line 501): prev does not match the hash of "
                                        "record 500"));
    free_lines(&ls);
}

/* Every single-bit flip anywhere in a record is detected, at that record or the next. */
static void test_flip_every_byte(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    write_log(f->path, 20, 5);
    struct lines ls = read_lines(f->path);
    static const size_t targets[] = {9, 12}; /* an event and a checkpoint */
    for (size_t t = 0; t < 2; t++) {
        size_t line = targets[t];
        char *l = ls.l[line - 1];
        size_t len = strlen(l);
        for (size_t i = 0; i < len; i++) {
            l[i] ^= 1;
            if (verify_lines(ls.l, ls.n, key, &rep) != 1)
                fail_msg("flip at line %zu byte %zu undetected", line, i);
            assert_true(rep.line == line || rep.line == line + 1);
            l[i] ^= 1;
        }
    }
    assert_int_equal(verify_lines(ls.l, ls.n, key, &rep), 0);
    free_lines(&ls);
}

static void test_delete_middle(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    write_log(f->path, 1000, 100);
    struct lines ls = read_lines(f->path);
    free(ls.l[499]);
    memmove(&ls.l[499], &ls.l[500], (ls.n - 500) * sizeof(*ls.l));
    ls.n--;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_GAP);
    assert_int_equal(rep.line, 500);
    assert_int_equal(rep.seq, 501);
    assert_non_null(strstr(rep.message, "record 500 is missing"));
    free_lines(&ls);
}

static void test_swap(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    write_log(f->path, 1000, 100);
    struct lines ls = read_lines(f->path);
    char *t = ls.l[299];
    ls.l[299] = ls.l[300];
    ls.l[300] = t;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_REORDER);
    assert_int_equal(rep.line, 300);
    /* Swap back, then swap two lines far apart. */
    ls.l[300] = ls.l[299];
    ls.l[299] = t;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 0);
    t = ls.l[9];
    ls.l[9] = ls.l[700];
    ls.l[700] = t;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_REORDER);
    assert_int_equal(rep.line, 10);
    free_lines(&ls);
}

/* Tail truncation: dropping the last 3 lines (closing checkpoint included). */
static void test_truncate_tail(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    write_log(f->path, 1000, 100);
    struct lines ls = read_lines(f->path);
    assert_int_equal(ls.n, 1011);
    assert_int_equal(verify_lines(ls.l, ls.n - 3, key, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_TRUNCATED);
    assert_non_null(strstr(rep.message, "truncated after seq 1008"));
    assert_int_equal(verify_lines(ls.l, ls.n - 3, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_TRUNCATED);
    /* Cutting back to a periodic checkpoint is caught as well: it is not a closing one. */
    assert_int_equal(verify_lines(ls.l, 1010, key, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_TRUNCATED);
    free_lines(&ls);
}

/* Re-signs line i (a checkpoint) with k after setting closed and count; returns the new line. */
static char *forge_checkpoint(const char *line, const uint8_t *k, bool closed)
{
    json_t *o = json_loads(line, 0, NULL);
    char mac[NC_AUDIT_HASH_HEX];
    struct nc_err err = {0};
    assert_non_null(o);
    json_object_set_new(o, "closed", json_boolean(closed));
    assert_int_equal(nc_audit_checkpoint_mac(o, k, NC_AUDIT_KEY_LEN, mac, &err), 0);
    json_object_set_new(o, "mac", json_string(mac));
    char *s = nc_audit_canonical(o);
    json_decref(o);
    return s;
}

static void test_forged_mac(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    write_log(f->path, 1000, 100);
    struct lines ls = read_lines(f->path);
    /* Truncate to the periodic checkpoint at line 1010 and forge it into a closing one
     * without the key: the MAC gives it away. */
    char *forged = forge_checkpoint(ls.l[1009], other_key, true);
    char *orig = ls.l[1009];
    ls.l[1009] = forged;
    assert_int_equal(verify_lines(ls.l, 1010, key, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_MAC);
    assert_int_equal(rep.line, 1010);
    assert_non_null(strstr(rep.message, "MAC does not verify"));
    /* The documented limit: without the key the forgery passes. */
    assert_int_equal(verify_lines(ls.l, 1010, NULL, &rep), 0);
    /* A flipped MAC digit in the final checkpoint. */
    ls.l[1009] = orig;
    free(forged);
    char *mac = strstr(ls.l[1010], "\"mac\":\"");
    assert_non_null(mac);
    mac[7] = mac[7] == '0' ? '1' : '0';
    assert_int_equal(verify_lines(ls.l, ls.n, key, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_MAC);
    assert_int_equal(rep.line, 1011);
    free_lines(&ls);
}

static void test_malformed(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    struct nc_err err = {0};
    write_log(f->path, 5, 100);
    struct lines ls = read_lines(f->path);
    char *orig = ls.l[2], *bad;

    ls.l[2] = (char *)"{\"seq\":3,";
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_MALFORMED);
    assert_int_equal(rep.line, 3);

    /* Duplicate key: a second "type" in front. */
    assert_true(asprintf(&bad, "{\"type\":\"event\",%s", orig + 1) > 0);
    ls.l[2] = bad;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_DUPLICATE);
    free(bad);

    /* Same JSON, other bytes. */
    assert_true(asprintf(&bad, "{ %s", orig + 1) > 0);
    ls.l[2] = bad;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_NONCANONICAL);
    free(bad);

    /* An unknown field. */
    json_t *o = json_loads(orig, 0, NULL);
    json_object_set_new(o, "zzz", json_true());
    bad = nc_audit_canonical(o);
    json_decref(o);
    ls.l[2] = bad;
    assert_int_equal(verify_lines(ls.l, ls.n, NULL, &rep), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_SCHEMA);
    free(bad);
    ls.l[2] = orig;

    /* Empty log, torn last line. */
    assert_int_equal(nc_audit_verify_buf("", 0, NULL, 0, 0, &rep, &err), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_EMPTY);
    assert_int_equal(nc_audit_verify_buf(orig, strlen(orig), NULL, 0, 0, &rep, &err), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_TORN);
    /* A wrong key length is a caller error. */
    assert_true(nc_audit_verify_buf("", 0, key, 16, 0, &rep, &err) < 0);
    free_lines(&ls);
}

static void test_reopen_continues(void **state)
{
    struct fixture *f = *state;
    struct nc_audit_report rep;
    struct nc_err err = {0};
    struct nc_audit *a = NULL;

    write_log(f->path, 10, 100);
    write_log(f->path, 5, 100);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 0);
    assert_int_equal(rep.records, 17);
    assert_int_equal(rep.checkpoints, 2);

    /* A crashed writer (closing checkpoint missing): the next writer records the recovery. */
    struct lines ls = read_lines(f->path);
    FILE *w = fopen(f->path, "we");
    assert_non_null(w);
    for (size_t i = 0; i + 1 < ls.n; i++)
        fprintf(w, "%s\n", ls.l[i]);
    fclose(w);
    free_lines(&ls);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 1);
    assert_int_equal(rep.problem, NC_AUDIT_P_TRUNCATED);
    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err), 0);
    append_n(a, 2, "p");
    assert_int_equal(nc_audit_close(a, &err), 0);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 0);
    assert_int_equal(rep.records, 16 + 1 + 2 + 1);
    ls = read_lines(f->path);
    assert_non_null(strstr(ls.l[16], "\"operation\":\"audit.recover\""));
    assert_non_null(strstr(ls.l[16], "not closed after seq 16"));

    /* A tampered log is refused. */
    char *x = strstr(ls.l[3], "xxxxxxxx");
    assert_non_null(x);
    x[0] = 'z';
    w = fopen(f->path, "we");
    assert_non_null(w);
    for (size_t i = 0; i < ls.n; i++)
        fprintf(w, "%s\n", ls.l[i]);
    fclose(w);
    free_lines(&ls);
    a = NULL;
    assert_true(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err) < 0);
    assert_int_equal(err.code, EBADMSG);
    assert_non_null(strstr(err.msg, "record 5 (line 5): prev does not match"));
    assert_null(a);
    /* ... and so is a torn last line. */
    (void)unlink(f->path);
    write_log(f->path, 3, 100);
    w = fopen(f->path, "ae");
    assert_non_null(w);
    fputs("{\"operation\":\"re", w);
    fclose(w);
    assert_true(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err) < 0);
    assert_int_equal(err.code, EBADMSG);
    assert_non_null(strstr(err.msg, "incomplete last line"));
    /* ... and so is a wrong key. */
    (void)unlink(f->path);
    write_log(f->path, 3, 100);
    assert_true(nc_audit_open(f->path, other_key, sizeof(other_key), 0, &a, &err) < 0);
    assert_int_equal(err.code, EBADMSG);
}

static void test_single_writer(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    struct nc_audit *a = NULL, *b = NULL;
    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err), 0);
    assert_true(nc_audit_open(f->path, key, sizeof(key), 0, &b, &err) < 0);
    assert_int_equal(err.code, EBUSY);
    assert_int_equal(nc_audit_close(a, &err), 0);
    /* Bad arguments. */
    assert_true(nc_audit_open(f->path, key, 16, 0, &b, &err) < 0);
    assert_true(nc_audit_open(f->path, key, sizeof(key), 0x80, &b, &err) < 0);
    struct nc_audit_event ev = {.operation = "", .outcome = NC_AUDIT_ALLOWED};
    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err), 0);
    assert_true(nc_audit_append(a, &ev, &err) < 0);
    ev.operation = "read";
    ev.outcome = NC_AUDIT_OUTCOME_COUNT;
    assert_true(nc_audit_append(a, &ev, &err) < 0);
    /* A string with a NUL byte would be written as \u0000, which the verifier rejects. */
    ev.outcome = NC_AUDIT_ALLOWED;
    ev.params = json_pack("{s:o}", "x", json_stringn("a\0b", 3));
    assert_true(nc_audit_append(a, &ev, &err) < 0);
    assert_int_equal(err.code, EINVAL);
    json_decref(ev.params);
    ev.params = json_pack("[i]", 1); /* params must be an object */
    assert_true(nc_audit_append(a, &ev, &err) < 0);
    json_decref(ev.params);
    ev.params = NULL;
    assert_int_equal(nc_audit_append(a, &ev, &err), 2); /* after the first closing checkpoint */
    assert_int_equal(nc_audit_close(a, &err), 0);
}

static void test_strict_fsync(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    struct nc_audit *a = NULL;

    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), NC_AUDIT_STRICT, &a, &err), 0);
    append_n(a, 10, "p");
    assert_int_equal(nc_audit_fsync_count(a), 10); /* one per record, before returning */
    assert_int_equal(nc_audit_close(a, &err), 0);

    /* Group commit: every 4 records. */
    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err), 0);
    assert_int_equal(nc_audit_set_group_commit(a, 4, &err), 0);
    append_n(a, 10, "p");
    assert_int_equal(nc_audit_fsync_count(a), 2);
    assert_int_equal(nc_audit_sync(a, &err), 0);
    assert_int_equal(nc_audit_fsync_count(a), 3);
    assert_int_equal(nc_audit_close(a, &err), 0);
}

struct worker {
    struct nc_audit *a;
    char who[32];
};

/* Strict appends from several threads: each returns only once its own record is on disk
 * (the fsync that covers it may have been started by another thread), and the chain is whole. */
static void *strict_worker(void *arg)
{
    struct worker *w = arg;
    struct nc_err err = {0};
    for (unsigned i = 0; i < 50; i++) {
        struct nc_audit_event ev = {.request_id = "r", .principal = w->who, .operation = "read",
                                    .outcome = NC_AUDIT_ALLOWED, .reason = "strict"};
        int64_t seq = nc_audit_append(w->a, &ev, &err);
        if (seq < 1 || nc_audit_synced_seq(w->a) < (uint64_t)seq)
            return (void *)1;
    }
    return NULL;
}

static void test_strict_threads(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    struct nc_audit *a = NULL;
    struct nc_audit_report rep;
    struct worker w[4];
    pthread_t t[4];

    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), NC_AUDIT_STRICT, &a, &err), 0);
    for (unsigned i = 0; i < 4; i++) {
        w[i].a = a;
        (void)snprintf(w[i].who, sizeof(w[i].who), "strict-%u", i);
        assert_int_equal(pthread_create(&t[i], NULL, strict_worker, &w[i]), 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        void *r = NULL;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
    }
    /* At most one fsync per record (checkpoints included); fewer when they overlapped. */
    assert_true(nc_audit_fsync_count(a) >= 1);
    assert_true(nc_audit_fsync_count(a) <= nc_audit_synced_seq(a));
    assert_int_equal(nc_audit_close(a, &err), 0);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 0);
    assert_true(rep.records >= 200);
}

/* A backslash followed by "u0000" is an ordinary string (written as \\u0000); only a real
 * NUL byte is refused. */
static void test_nul_escape_lookalike(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    struct nc_audit *a = NULL;
    struct nc_audit_report rep;
    struct nc_audit_event ev = {.request_id = "r", .principal = "p", .operation = "read",
                                .outcome = NC_AUDIT_ALLOWED, .reason = "x"};

    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err), 0);
    ev.params = json_pack("{s:s, s:s}", "x", "\\u0000", "y", "a\\\\u0000b");
    assert_true(nc_audit_append(a, &ev, &err) >= 1);
    json_decref(ev.params);
    ev.params = json_pack("{s:o}", "x", json_stringn("\\\0", 2)); /* backslash, NUL */
    assert_true(nc_audit_append(a, &ev, &err) < 0);
    assert_int_equal(err.code, EINVAL);
    json_decref(ev.params);
    assert_int_equal(nc_audit_close(a, &err), 0);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 0);
}

static void *worker(void *arg)
{
    struct worker *w = arg;
    struct nc_err err = {0};
    for (unsigned i = 0; i < 200; i++) {
        struct nc_audit_event ev = {.request_id = "r", .principal = w->who, .operation = "grep",
                                    .outcome = NC_AUDIT_ALLOWED, .reason = "concurrent"};
        if (nc_audit_append(w->a, &ev, &err) < 1)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct fixture *f = *state;
    struct nc_err err = {0};
    struct nc_audit *a = NULL;
    struct nc_audit_report rep;
    pthread_t t[8];
    struct worker w[8];

    assert_int_equal(nc_audit_open(f->path, key, sizeof(key), 0, &a, &err), 0);
    for (int i = 0; i < 8; i++) {
        w[i].a = a;
        snprintf(w[i].who, sizeof(w[i].who), "spiffe://t/%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        void *r = NULL;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
    }
    assert_int_equal(nc_audit_close(a, &err), 0);
    assert_int_equal(nc_audit_verify_file(f->path, key, sizeof(key), 0, &rep, &err), 0);
    assert_int_equal(rep.records, 1600 + 16 + 1);
    struct lines ls = read_lines(f->path);
    size_t events = 0;
    for (size_t i = 0; i < ls.n; i++)
        events += strstr(ls.l[i], "\"reason\":\"concurrent\"") != NULL;
    assert_int_equal(events, 1600);
    free_lines(&ls);
}

static void test_digest(void **state)
{
    (void)state;
    json_t *d = nc_audit_digest("secret", 6);
    char *s = nc_audit_canonical(d);
    assert_string_equal(s, "{\"len\":6,\"sha256\":"
                           "\"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\"}");
    free(s);
    json_decref(d);
    assert_string_equal(nc_audit_outcome_name(NC_AUDIT_NEEDS_APPROVAL), "needs_approval");
    assert_int_equal(nc_audit_outcome_parse("rejected"), NC_AUDIT_REJECTED);
    assert_int_equal(nc_audit_outcome_parse("maybe"), -1);
    assert_null(nc_audit_outcome_name(NC_AUDIT_OUTCOME_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_thousand_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flip_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flip_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncate_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_fsync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_escape_lookalike, setup, teardown),
        cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
