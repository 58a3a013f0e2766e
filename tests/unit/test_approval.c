/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of approvals (src/proxy/approval.h): token round trip, every refusal reason,
 * exactly-once consumption under threads, bounded token memory, key files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/approval.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1700000000u /* a fixed "now", Unix seconds */

struct fixture {
    struct nc_approval_key key;
    struct nc_approval_registry *reg;
    uint8_t digest[NC_APPROVAL_DIGEST_LEN];
    char token[NC_APPROVAL_TOKEN_MAX];
};

static void digest_of(const char *a, const char *b, const char *c, uint8_t *out)
{
    const char *argv[] = {a, b, c};
    struct nc_err err;
    assert_int_equal(nc_approval_digest_args(argv, NULL, 3, out, &err), 0);
}

/* Parks `git push origin main` for pod-1 and approves it with a 60 s token. */
static void mint(struct fixture *f, size_t max_requests, size_t max_tokens)
{
    struct nc_err err;
    char id[NC_APPROVAL_ID_LEN + 1];
    assert_int_equal(nc_approval_key_generate(&f->key, &err), 0);
    f->reg = nc_approval_registry_new(max_requests, max_tokens, &err);
    assert_non_null(f->reg);
    digest_of("push", "origin", "main", f->digest);
    assert_int_equal(nc_approval_park(f->reg, "pod-1", NC_OP_GIT_PUSH, f->digest,
                                      "git push origin main", T0, 120, id, &err),
                     0);
    assert_int_equal(nc_approval_approve(f->reg, id, &f->key, 60, T0 + 1, f->token,
                                         sizeof(f->token), &err),
                     0);
}

static enum nc_approval_verdict consume(struct fixture *f, const char *tok, uint64_t now)
{
    return nc_approval_consume(f->reg, &f->key, tok, strlen(tok), "pod-1", NC_OP_GIT_PUSH,
                               f->digest, now);
}

/* ---- round trip --------------------------------------------------------------------- */

static void round_trip(void **state)
{
    (void)state;
    struct fixture f;
    struct nc_err err;
    struct nc_approval_request list[4];
    struct nc_approval_token t;
    enum nc_approval_state st;
    char id[NC_APPROVAL_ID_LEN + 1], tok[NC_APPROVAL_TOKEN_MAX], again[NC_APPROVAL_TOKEN_MAX];

    assert_int_equal(nc_approval_key_generate(&f.key, &err), 0);
    f.reg = nc_approval_registry_new(8, 8, &err);
    assert_non_null(f.reg);
    digest_of("push", "origin", "main", f.digest);
    assert_int_equal(nc_approval_park(f.reg, "pod-1", NC_OP_GIT_PUSH, f.digest,
                                      "git push origin main", T0, 120, id, &err),
                     0);
    assert_int_equal(strlen(id), NC_APPROVAL_ID_LEN);

    assert_int_equal(nc_approval_list(f.reg, T0 + 1, list, N_ELEMS(list), &err), 1);
    assert_string_equal(list[0].id, id);
    assert_string_equal(list[0].pod, "pod-1");
    assert_int_equal(list[0].op, NC_OP_GIT_PUSH);
    assert_string_equal(list[0].summary, "git push origin main");
    assert_memory_equal(list[0].digest, f.digest, NC_APPROVAL_DIGEST_LEN);
    assert_int_equal(list[0].deadline, T0 + 120);

    assert_int_equal(nc_approval_decision(f.reg, id, T0 + 1, &st, tok, sizeof(tok), &err), 0);
    assert_int_equal(st, NC_APPROVAL_PENDING);
    assert_string_equal(tok, "");

    assert_int_equal(nc_approval_approve(f.reg, id, &f.key, 60, T0 + 2, tok, sizeof(tok), &err),
                     0);
    assert_int_equal(strncmp(tok, "v1.pod-1.git_push.", 18), 0);
    assert_int_equal(nc_approval_token_parse(tok, strlen(tok), &t), 0);
    assert_string_equal(t.pod, "pod-1");
    assert_int_equal(t.op, NC_OP_GIT_PUSH);
    assert_int_equal(t.expiry, T0 + 62);
    assert_memory_equal(t.digest, f.digest, NC_APPROVAL_DIGEST_LEN);
    /* The key never appears in the token, raw or hex. */
    char keyhex[2 * NC_APPROVAL_KEY_LEN + 1];
    for (size_t i = 0; i < NC_APPROVAL_KEY_LEN; i++)
        (void)snprintf(keyhex + 2 * i, 3, "%02x", f.key.bytes[i]);
    assert_null(strstr(tok, keyhex));
    assert_null(memmem(tok, strlen(tok), f.key.bytes, 8));

    /* No longer pending; the waiting call can fetch the token. */
    assert_int_equal(nc_approval_list(f.reg, T0 + 3, list, N_ELEMS(list), &err), 0);
    assert_int_equal(nc_approval_decision(f.reg, id, T0 + 3, &st, again, sizeof(again), &err),
                     0);
    assert_int_equal(st, NC_APPROVAL_APPROVED);
    assert_string_equal(again, tok);

    assert_int_equal(nc_approval_tokens_held(f.reg), 1);
    assert_int_equal(consume(&f, tok, T0 + 3), NC_APPROVAL_OK);
    assert_int_equal(consume(&f, tok, T0 + 3), NC_APPROVAL_REPLAYED);
    /* Not NUL-terminated input: only token_len bytes are read. */
    char padded[NC_APPROVAL_TOKEN_MAX + 8];
    memcpy(padded, tok, strlen(tok));
    memcpy(padded + strlen(tok), "XXXXXXX", 8);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, padded, strlen(tok), "pod-1",
                                         NC_OP_GIT_PUSH, f.digest, T0 + 3),
                     NC_APPROVAL_REPLAYED);
    nc_approval_registry_free(f.reg);
}

/* ---- refusals ----------------------------------------------------------------------- */

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Every byte position changed, two ways: to a character of the same class (so the syntax
 * still parses and only the MAC can catch it) and to a byte that breaks the syntax.  None is
 * accepted, and none consumes the genuine token. */
static void forged_every_position(void **state)
{
    (void)state;
    struct fixture f;
    mint(&f, 4, 4);
    size_t n = strlen(f.token);
    char bad[NC_APPROVAL_TOKEN_MAX];
    size_t forged = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, f.token, n + 1);
        char c = f.token[i];
        if (is_lower_hex(c))
            bad[i] = c == '0' ? '1' : '0';
        else if (c == '.')
            bad[i] = '-';
        else if (c == '_')
            bad[i] = 'x';
        else
            bad[i] = c == 'a' ? 'b' : 'a';
        enum nc_approval_verdict v = consume(&f, bad, T0 + 2);
        assert_int_not_equal(v, NC_APPROVAL_OK);
        assert_true(v == NC_APPROVAL_FORGED || v == NC_APPROVAL_MALFORMED);
        if (v == NC_APPROVAL_FORGED)
            forged++;
        memcpy(bad, f.token, n + 1);
        bad[i] = (char)(f.token[i] ^ 0x20); /* case flip / '.' -> 0x0e */
        assert_int_not_equal(consume(&f, bad, T0 + 2), NC_APPROVAL_OK);
        memcpy(bad, f.token, n + 1);
        bad[i] = '\0';
        assert_int_equal(nc_approval_consume(f.reg, &f.key, bad, n, "pod-1", NC_OP_GIT_PUSH,
                                             f.digest, T0 + 2),
                         NC_APPROVAL_MALFORMED);
    }
    /* Every hex digit of digest, expiry, nonce and MAC and every pod character was caught by
     * the MAC (the version and operation field changes are syntax errors instead). */
    assert_true(forged >= 2 * NC_APPROVAL_DIGEST_LEN + 2 * NC_APPROVAL_NONCE_LEN +
                              2 * NC_APPROVAL_MAC_LEN + 9 + 5);
    /* Another key: forged. */
    struct nc_approval_key other;
    struct nc_err err;
    assert_int_equal(nc_approval_key_generate(&other, &err), 0);
    assert_int_equal(nc_approval_consume(f.reg, &other, f.token, n, "pod-1", NC_OP_GIT_PUSH,
                                         f.digest, T0 + 2),
                     NC_APPROVAL_FORGED);
    /* After all of that the genuine token still works, once. */
    assert_int_equal(consume(&f, f.token, T0 + 2), NC_APPROVAL_OK);
    assert_int_equal(consume(&f, f.token, T0 + 2), NC_APPROVAL_REPLAYED);
    nc_approval_registry_free(f.reg);
}

static void wrong_binding(void **state)
{
    (void)state;
    struct fixture f;
    uint8_t evil[NC_APPROVAL_DIGEST_LEN];
    mint(&f, 4, 4);
    size_t n = strlen(f.token);
    /* A token for `git push origin main` cannot authorize `git push evil main`. */
    digest_of("push", "evil", "main", evil);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, f.token, n, "pod-1", NC_OP_GIT_PUSH,
                                         evil, T0 + 2),
                     NC_APPROVAL_WRONG_ARGS);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, f.token, n, "pod-2", NC_OP_GIT_PUSH,
                                         f.digest, T0 + 2),
                     NC_APPROVAL_WRONG_POD);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, f.token, n, "pod-11", NC_OP_GIT_PUSH,
                                         f.digest, T0 + 2),
                     NC_APPROVAL_WRONG_POD);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, f.token, n, "pod-1", NC_OP_CREATE_PR,
                                         f.digest, T0 + 2),
                     NC_APPROVAL_WRONG_OP);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, f.token, n, "pod-1", NC_OP_RUN_BASH,
                                         f.digest, T0 + 2),
                     NC_APPROVAL_WRONG_OP);
    /* Refusals do not spend the token. */
    assert_int_equal(consume(&f, f.token, T0 + 2), NC_APPROVAL_OK);
    nc_approval_registry_free(f.reg);
}

static void expired(void **state)
{
    (void)state;
    struct fixture f;
    mint(&f, 4, 4); /* minted at T0 + 1 with ttl 60: valid while now < T0 + 61 */
    assert_int_equal(consume(&f, f.token, T0 + 61), NC_APPROVAL_EXPIRED);
    assert_int_equal(consume(&f, f.token, UINT64_MAX), NC_APPROVAL_EXPIRED);
    assert_int_equal(consume(&f, f.token, T0 + 60), NC_APPROVAL_OK);
    assert_int_equal(consume(&f, f.token, T0 + 61), NC_APPROVAL_EXPIRED);
    nc_approval_registry_free(f.reg);
}

/* A genuine token from another registry (e.g. minted before a restart, with the key on disk):
 * not replayable, because tokens are known by what was minted, not by what was spent. */
static void unknown_after_restart(void **state)
{
    (void)state;
    struct fixture f;
    struct nc_err err;
    mint(&f, 4, 4);
    struct nc_approval_registry *fresh = nc_approval_registry_new(4, 4, &err);
    assert_non_null(fresh);
    assert_int_equal(nc_approval_consume(fresh, &f.key, f.token, strlen(f.token), "pod-1",
                                         NC_OP_GIT_PUSH, f.digest, T0 + 2),
                     NC_APPROVAL_UNKNOWN);
    nc_approval_registry_free(fresh);
    nc_approval_registry_free(f.reg);
}

static void malformed_shapes(void **state)
{
    (void)state;
    struct fixture f;
    mint(&f, 4, 4);
    const char *dig = strchr(strchr(f.token + 3, '.') + 1, '.') + 1; /* digest... to the end */
    char buf[1024];
    struct nc_approval_token t;
    const char *fixed[] = {
        "",
        "v",
        "v1",
        "v1.",
        "v1..",
        "v2.pod-1.git_push.",
        "V1.pod-1.git_push.",
        " v1.pod-1.git_push.",
        "v1.pod-1.git_push",
        "v1.pod-1.git_push......",
        "v1.pod.1.git_push.",
        "........................................................................",
        "v1.pod-1.GIT_PUSH.",
        "v1.pod-1.git push.",
        "v1.pod-1.gitpush.",
        "v1.pod-1.git_push_.",
        "v1.pod-1.read_files_and_more.",
        "v1.pod 1.git_push.",
        "v1.pod/1.git_push.",
        "v1.p\xc3\xb6" "d.git_push.",
    };
    for (size_t i = 0; i < N_ELEMS(fixed); i++) {
        /* Each fixed prefix, alone and followed by the genuine tail. */
        assert_int_equal(consume(&f, fixed[i], T0 + 2), NC_APPROVAL_MALFORMED);
        int n = snprintf(buf, sizeof(buf), "%s%s", fixed[i], dig);
        assert_true(n > 0 && (size_t)n < sizeof(buf));
        assert_int_equal(nc_approval_token_parse(buf, (size_t)n, &t), -1);
        assert_int_equal(consume(&f, buf, T0 + 2), NC_APPROVAL_MALFORMED);
    }

    /* Field-level damage to the genuine token. */
    const char *tok = f.token;
    size_t n = strlen(tok);
    const char *dots[7];
    size_t nd = 0;
    for (const char *p = tok; *p != '\0'; p++)
        if (*p == '.')
            dots[nd++] = p;
    assert_int_equal(nd, 6);
    struct {
        const char *what;
        size_t at;      /* offset of the edit */
        size_t del;     /* bytes removed */
        const char *ins;/* bytes inserted */
    } edits[] = {
        {"trailing newline", n, 0, "\n"},
        {"trailing dot", n, 0, "."},
        {"trailing field", n, 0, ".00"},
        {"trailing NUL", n, 0, ""},
        {"leading space", 0, 0, " "},
        {"digest short", (size_t)(dots[2] - tok) + 1, 1, ""},
        {"digest long", (size_t)(dots[2] - tok) + 1, 0, "0"},
        {"digest upper", (size_t)(dots[2] - tok) + 1, 1, "A"},
        {"expiry leading zero", (size_t)(dots[3] - tok) + 1, 0, "0"},
        {"expiry sign", (size_t)(dots[3] - tok) + 1, 0, "+"},
        {"expiry minus", (size_t)(dots[3] - tok) + 1, 0, "-"},
        {"expiry space", (size_t)(dots[3] - tok) + 1, 0, " "},
        {"expiry overflow", (size_t)(dots[3] - tok) + 1, (size_t)(dots[4] - dots[3]) - 1,
         "18446744073709551616"},
        {"expiry too many digits", (size_t)(dots[3] - tok) + 1, 0, "1000000000000"},
        {"expiry hex", (size_t)(dots[3] - tok) + 1, 0, "0x"},
        {"expiry empty", (size_t)(dots[3] - tok) + 1, (size_t)(dots[4] - dots[3]) - 1, ""},
        {"nonce short", (size_t)(dots[4] - tok) + 1, 2, ""},
        {"nonce long", (size_t)(dots[4] - tok) + 1, 0, "00"},
        {"mac short", (size_t)(dots[5] - tok) + 1, 1, ""},
        {"mac long", n, 0, "0"},
        {"mac missing", (size_t)(dots[5] - tok), n - (size_t)(dots[5] - tok), ""},
        {"pod empty", 3, (size_t)(dots[1] - dots[0]) - 1, ""},
        {"pod too long", 3, 0,
         "0123456789012345678901234567890123456789012345678901234567890"},
        {"double dot", (size_t)(dots[2] - tok), 0, "."},
        {"embedded NUL", (size_t)(dots[4] - tok) + 1, 1, "\0"},
    };
    for (size_t i = 0; i < N_ELEMS(edits); i++) {
        size_t inslen = strlen(edits[i].ins);
        if (strcmp(edits[i].what, "trailing NUL") == 0 || strcmp(edits[i].what, "embedded NUL") == 0)
            inslen = 1;
        size_t m = 0;
        memcpy(buf, tok, edits[i].at);
        m = edits[i].at;
        memcpy(buf + m, edits[i].ins, inslen);
        m += inslen;
        memcpy(buf + m, tok + edits[i].at + edits[i].del, n - edits[i].at - edits[i].del);
        m += n - edits[i].at - edits[i].del;
        if (nc_approval_token_parse(buf, m, &t) != -1)
            fail_msg("edit accepted by the parser: %s", edits[i].what);
        enum nc_approval_verdict v = nc_approval_consume(f.reg, &f.key, buf, m, "pod-1",
                                                         NC_OP_GIT_PUSH, f.digest, T0 + 2);
        if (v != NC_APPROVAL_MALFORMED)
            fail_msg("edit %s: %s", edits[i].what, nc_approval_verdict_name(v));
    }
    /* Overlong input, NULL token. */
    memset(buf, 'a', sizeof(buf));
    assert_int_equal(nc_approval_consume(f.reg, &f.key, buf, sizeof(buf), "pod-1",
                                         NC_OP_GIT_PUSH, f.digest, T0 + 2),
                     NC_APPROVAL_MALFORMED);
    assert_int_equal(nc_approval_consume(f.reg, &f.key, NULL, 0, "pod-1", NC_OP_GIT_PUSH,
                                         f.digest, T0 + 2),
                     NC_APPROVAL_MALFORMED);
    /* The largest legal expiry parses. */
    assert_int_equal(consume(&f, f.token, T0 + 2), NC_APPROVAL_OK);
    nc_approval_registry_free(f.reg);
}

static void verdict_names_are_distinct(void **state)
{
    (void)state;
    for (int a = NC_APPROVAL_OK; a <= NC_APPROVAL_INTERNAL; a++)
        for (int b = a + 1; b <= NC_APPROVAL_INTERNAL; b++)
            assert_string_not_equal(nc_approval_verdict_name((enum nc_approval_verdict)a),
                                    nc_approval_verdict_name((enum nc_approval_verdict)b));
}

/* ---- exactly once under concurrency ------------------------------------------------- */

struct racer {
    struct fixture *f;
    const char *token; /* NULL: use tokens[] round-robin */
    char (*tokens)[NC_APPROVAL_TOKEN_MAX];
    size_t ntokens;
    size_t attempts;
    size_t ok, replayed, other;
    pthread_barrier_t *start;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    (void)pthread_barrier_wait(r->start);
    for (size_t i = 0; i < r->attempts; i++) {
        const char *tok = r->token != NULL ? r->token : r->tokens[i % r->ntokens];
        enum nc_approval_verdict v = consume(r->f, tok, T0 + 2);
        if (v == NC_APPROVAL_OK)
            r->ok++;
        else if (v == NC_APPROVAL_REPLAYED)
            r->replayed++;
        else
            r->other++;
    }
    return NULL;
}

static void run_racers(struct racer *rs, size_t nthreads)
{
    pthread_t th[16];
    pthread_barrier_t start;
    assert_true(nthreads <= N_ELEMS(th));
    assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)nthreads), 0);
    for (size_t i = 0; i < nthreads; i++) {
        rs[i].start = &start;
        assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
    }
    for (size_t i = 0; i < nthreads; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    (void)pthread_barrier_destroy(&start);
}

static void exactly_once_under_threads(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        struct fixture f;
        struct racer rs[8];
        mint(&f, 4, 4);
        memset(rs, 0, sizeof(rs));
        for (size_t i = 0; i < 8; i++) {
            rs[i].f = &f;
            rs[i].token = f.token;
            rs[i].attempts = 1000;
        }
        run_racers(rs, 8);
        size_t ok = 0, replayed = 0, other = 0;
        for (size_t i = 0; i < 8; i++) {
            ok += rs[i].ok;
            replayed += rs[i].replayed;
            other += rs[i].other;
        }
        assert_int_equal(ok, 1);
        assert_int_equal(replayed, 7999);
        assert_int_equal(other, 0);
        nc_approval_registry_free(f.reg);
    }
}

static void distinct_tokens_each_once(void **state)
{
    (void)state;
    enum { N = 200 };
    struct fixture f;
    struct nc_err err;
    static char tokens[N][NC_APPROVAL_TOKEN_MAX];
    mint(&f, N + 1, N + 1);
    for (size_t i = 0; i < N; i++) {
        char id[NC_APPROVAL_ID_LEN + 1];
        assert_int_equal(nc_approval_park(f.reg, "pod-1", NC_OP_GIT_PUSH, f.digest, "again",
                                          T0, 120, id, &err),
                         0);
        assert_int_equal(nc_approval_approve(f.reg, id, &f.key, 300, T0 + 1, tokens[i],
                                             sizeof(tokens[i]), &err),
                         0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(tokens[i], tokens[j]);
    }
    struct racer rs[8];
    memset(rs, 0, sizeof(rs));
    for (size_t i = 0; i < 8; i++) {
        rs[i].f = &f;
        rs[i].tokens = tokens;
        rs[i].ntokens = N;
        rs[i].attempts = 3 * N; /* each thread tries every token three times */
    }
    run_racers(rs, 8);
    size_t ok = 0, other = 0;
    for (size_t i = 0; i < 8; i++) {
        ok += rs[i].ok;
        other += rs[i].other;
    }
    assert_int_equal(ok, N);
    assert_int_equal(other, 0);
    nc_approval_registry_free(f.reg);
}

/* ---- bounded memory, fail closed ---------------------------------------------------- */

static void token_store_prunes_and_fails_closed(void **state)
{
    (void)state;
    struct fixture f;
    struct nc_err err;
    char id[NC_APPROVAL_ID_LEN + 1], tok[3][NC_APPROVAL_TOKEN_MAX];
    mint(&f, 8, 3); /* one token (expiry T0 + 61) */
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(nc_approval_park(f.reg, "pod-1", NC_OP_GIT_PUSH, f.digest, "x", T0,
                                          600, id, &err),
                         0);
        assert_int_equal(nc_approval_approve(f.reg, id, &f.key, 100, T0 + 10, tok[i],
                                             sizeof(tok[i]), &err),
                         0); /* expiry T0 + 110 */
    }
    assert_int_equal(nc_approval_tokens_held(f.reg), 3);
    /* Full: spending a token does not free its slot before it expires (the replay must still
     * be recognized), so minting a fourth is refused, and nothing is minted. */
    assert_int_equal(consume(&f, f.token, T0 + 20), NC_APPROVAL_OK);
    assert_int_equal(nc_approval_park(f.reg, "pod-1", NC_OP_GIT_PUSH, f.digest, "x", T0 + 20,
                                      600, id, &err),
                     0);
    tok[2][0] = 'Z';
    assert_int_equal(nc_approval_approve(f.reg, id, &f.key, 100, T0 + 20, tok[2],
                                         sizeof(tok[2]), &err),
                     -ENOSPC);
    assert_int_equal(err.code, ENOSPC);
    assert_int_equal(nc_approval_tokens_held(f.reg), 3);
    enum nc_approval_state st;
    assert_int_equal(nc_approval_decision(f.reg, id, T0 + 20, &st, NULL, 0, &err), 0);
    assert_int_equal(st, NC_APPROVAL_PENDING); /* still decidable later */
    assert_int_equal(consume(&f, f.token, T0 + 20), NC_APPROVAL_REPLAYED);
    /* Once the first token has expired, its slot is reused. */
    assert_int_equal(nc_approval_approve(f.reg, id, &f.key, 100, T0 + 61, tok[2],
                                         sizeof(tok[2]), &err),
                     0);
    assert_int_equal(nc_approval_tokens_held(f.reg), 3);
    assert_int_equal(consume(&f, f.token, T0 + 62), NC_APPROVAL_EXPIRED);
    assert_int_equal(consume(&f, tok[2], T0 + 62), NC_APPROVAL_OK);
    assert_int_equal(consume(&f, tok[0], T0 + 62), NC_APPROVAL_OK);
    /* Past every expiry the store drains completely (pruning happens on the next mint). */
    assert_int_equal(nc_approval_park(f.reg, "pod-1", NC_OP_GIT_PUSH, f.digest, "x", T0 + 500,
                                      600, id, &err),
                     0);
    assert_int_equal(nc_approval_approve(f.reg, id, &f.key, 1, T0 + 500, tok[2], sizeof(tok[2]),
                                         &err),
                     0);
    assert_int_equal(nc_approval_tokens_held(f.reg), 1);
    /* A token forgotten after expiry is refused anyway: expired, never re-admitted. */
    assert_int_equal(consume(&f, tok[1], T0 + 500), NC_APPROVAL_EXPIRED);
    nc_approval_registry_free(f.reg);
}

static void requests_bounded_and_decided_once(void **state)
{
    (void)state;
    struct nc_err err;
    struct nc_approval_key key;
    uint8_t d[NC_APPROVAL_DIGEST_LEN];
    char a[NC_APPROVAL_ID_LEN + 1], b[NC_APPROVAL_ID_LEN + 1], c[NC_APPROVAL_ID_LEN + 1];
    char tok[NC_APPROVAL_TOKEN_MAX];
    enum nc_approval_state st;
    struct nc_approval_request list[2];

    assert_int_equal(nc_approval_key_generate(&key, &err), 0);
    struct nc_approval_registry *reg = nc_approval_registry_new(2, 2, &err);
    assert_non_null(reg);
    digest_of("rm", "-rf", "x", d);
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, "first", T0, 10, a, &err), 0);
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, "second", T0 + 1, 100, b,
                                      &err),
                     0);
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, "third", T0 + 2, 10, c, &err),
                     -ENOSPC);
    /* Oldest first. */
    assert_int_equal(nc_approval_list(reg, T0 + 2, list, 2, &err), 2);
    assert_string_equal(list[0].summary, "first");
    assert_string_equal(list[1].summary, "second");
    assert_int_equal(nc_approval_list(reg, T0 + 2, list, 1, &err), 2);
    assert_int_equal(nc_approval_list(reg, T0 + 2, NULL, 0, &err), 2);

    /* Deny, then neither approve nor deny again. */
    assert_int_equal(nc_approval_deny(reg, b, T0 + 3, &err), 0);
    assert_int_equal(nc_approval_decision(reg, b, T0 + 3, &st, tok, sizeof(tok), &err), 0);
    assert_int_equal(st, NC_APPROVAL_DENIED);
    assert_string_equal(tok, "");
    assert_int_equal(nc_approval_approve(reg, b, &key, 60, T0 + 4, tok, sizeof(tok), &err),
                     -EALREADY);
    assert_int_equal(nc_approval_deny(reg, b, T0 + 4, &err), -EALREADY);

    /* The first lapses at T0 + 10: no longer listed, cannot be approved; its slot is reused. */
    assert_int_equal(nc_approval_list(reg, T0 + 10, list, 2, &err), 0);
    assert_int_equal(nc_approval_decision(reg, a, T0 + 10, &st, NULL, 0, &err), 0);
    assert_int_equal(st, NC_APPROVAL_LAPSED);
    assert_int_equal(nc_approval_approve(reg, a, &key, 60, T0 + 10, tok, sizeof(tok), &err),
                     -ETIMEDOUT);
    assert_int_equal(nc_approval_deny(reg, a, T0 + 10, &err), -ETIMEDOUT);
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, "third", T0 + 10, 10, c, &err),
                     0);
    assert_int_equal(nc_approval_decision(reg, a, T0 + 10, &st, NULL, 0, &err), -ENOENT);

    /* Approve once only; bad ttl; unknown and malformed ids. */
    assert_int_equal(nc_approval_approve(reg, c, &key, 0, T0 + 11, tok, sizeof(tok), &err),
                     -EINVAL);
    assert_int_equal(nc_approval_approve(reg, c, &key, NC_APPROVAL_MAX_TTL + 1, T0 + 11, tok,
                                         sizeof(tok), &err),
                     -EINVAL);
    assert_int_equal(nc_approval_approve(reg, c, &key, NC_APPROVAL_MAX_TTL, T0 + 11, tok,
                                         sizeof(tok), &err),
                     0);
    assert_int_equal(nc_approval_approve(reg, c, &key, 60, T0 + 11, tok, sizeof(tok), &err),
                     -EALREADY);
    assert_int_equal(nc_approval_approve(reg, "00000000000000000000000000000000", &key, 60,
                                         T0 + 11, tok, sizeof(tok), &err),
                     -ENOENT);
    assert_int_equal(nc_approval_deny(reg, "not-an-id", T0 + 11, &err), -ENOENT);
    assert_int_equal(nc_approval_approve(reg, c, &key, 60, T0 + 11, tok, 10, &err), -EINVAL);

    /* Bad parks. */
    char big[NC_APPROVAL_SUMMARY_MAX + 1];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, big, T0, 10, a, &err), -E2BIG);
    big[NC_APPROVAL_SUMMARY_MAX - 1] = '\0';
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, big, T0 + 400, 10, a, &err),
                     0); /* the longest summary fits exactly */
    assert_int_equal(nc_approval_park(reg, "p.q", NC_OP_RUN_BASH, d, "x", T0, 10, a, &err),
                     -EINVAL);
    assert_int_equal(nc_approval_park(reg, "", NC_OP_RUN_BASH, d, "x", T0, 10, a, &err), -EINVAL);
    assert_int_equal(nc_approval_park(reg, "p", (enum nc_op)NC_OP_COUNT, d, "x", T0, 10, a, &err),
                     -EINVAL);
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, "x", T0, 0, a, &err), -EINVAL);
    assert_int_equal(nc_approval_park(reg, "p", NC_OP_RUN_BASH, d, "x", UINT64_MAX, 1, a, &err),
                     -EINVAL);
    assert_null(nc_approval_registry_new(0, 1, &err));
    assert_int_equal(err.code, EINVAL);
    nc_approval_registry_free(reg);
}

/* ---- digests ------------------------------------------------------------------------ */

static void digests_are_canonical(void **state)
{
    (void)state;
    struct nc_err err;
    uint8_t d1[32], d2[32];
    const char *one[] = {"a b"}, *two[] = {"a", "b"}, *ab[] = {"ab", ""};
    assert_int_equal(nc_approval_digest_args(one, NULL, 1, d1, &err), 0);
    assert_int_equal(nc_approval_digest_args(two, NULL, 2, d2, &err), 0);
    assert_memory_not_equal(d1, d2, 32);
    assert_int_equal(nc_approval_digest_args(ab, NULL, 2, d1, &err), 0);
    assert_memory_not_equal(d1, d2, 32);
    /* Explicit lengths equal implicit ones; embedded NULs count. */
    size_t lens[] = {1, 1};
    assert_int_equal(nc_approval_digest_args(two, lens, 2, d1, &err), 0);
    assert_memory_equal(d1, d2, 32);
    const char *nul[] = {"a\0b"};
    size_t nlen[] = {3};
    assert_int_equal(nc_approval_digest_args(nul, nlen, 1, d1, &err), 0);
    assert_int_equal(nc_approval_digest_args(nul, NULL, 1, d2, &err), 0);
    assert_memory_not_equal(d1, d2, 32);
    /* Empty vector differs from one empty argument. */
    const char *empty[] = {""};
    assert_int_equal(nc_approval_digest_args(NULL, NULL, 0, d1, &err), 0);
    assert_int_equal(nc_approval_digest_args(empty, NULL, 1, d2, &err), 0);
    assert_memory_not_equal(d1, d2, 32);
    const char *withnull[] = {"a", NULL};
    assert_true(nc_approval_digest_args(withnull, NULL, 2, d1, &err) < 0);
    /* Bytes: SHA-256 of "abc". */
    static const uint8_t abc[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22,
        0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
        0x15, 0xad};
    assert_int_equal(nc_approval_digest_bytes("abc", 3, d1, &err), 0);
    assert_memory_equal(d1, abc, 32);
    assert_int_equal(nc_approval_digest_bytes(NULL, 0, d1, &err), 0);
}

/* ---- key files ---------------------------------------------------------------------- */

static void key_files(void **state)
{
    (void)state;
    struct nc_err err;
    struct nc_approval_key k, back;
    struct stat st;
    char dir[] = "/tmp/nc-approval-XXXXXX";
    char path[256], link[256], small[256];
    assert_non_null(mkdtemp(dir));
    assert_true(snprintf(path, sizeof(path), "%s/key", dir) < (int)sizeof(path));
    assert_true(snprintf(link, sizeof(link), "%s/link", dir) < (int)sizeof(link));
    assert_true(snprintf(small, sizeof(small), "%s/small", dir) < (int)sizeof(small));

    mode_t old = umask(0);
    assert_int_equal(nc_approval_key_generate(&k, &err), 0);
    assert_int_equal(nc_approval_key_save(path, &k, &err), 0);
    (void)umask(old);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, NC_APPROVAL_KEY_LEN);
    memset(&back, 0, sizeof(back));
    assert_int_equal(nc_approval_key_load(path, &back, &err), 0);
    assert_memory_equal(k.bytes, back.bytes, NC_APPROVAL_KEY_LEN);
    /* Never overwritten. */
    assert_int_equal(nc_approval_key_save(path, &k, &err), -EEXIST);
    /* Readable or writable by group or others: refused, whichever bit. */
    const mode_t loose[] = {0640, 0604, 0620, 0602, 0610, 0601, 0644, 0666};
    for (size_t i = 0; i < N_ELEMS(loose); i++) {
        assert_int_equal(chmod(path, loose[i]), 0);
        assert_int_equal(nc_approval_key_load(path, &back, &err), -EPERM);
        assert_null(strstr(err.msg, path)); /* no path, no key in the message */
    }
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(nc_approval_key_load(path, &back, &err), 0);
    /* Symlinks are not followed. */
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(nc_approval_key_load(link, &back, &err), -ELOOP);
    assert_true(nc_approval_key_save(link, &k, &err) < 0);
    /* Wrong sizes. */
    int fd = open(small, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, k.bytes, 31), 31);
    assert_int_equal(nc_approval_key_load(small, &back, &err), -EINVAL);
    assert_int_equal(write(fd, k.bytes, 2), 2);
    assert_int_equal(nc_approval_key_load(small, &back, &err), -EINVAL);
    (void)close(fd);
    assert_int_equal(nc_approval_key_load(dir, &back, &err), -EINVAL); /* a directory */
    char missing[300];
    assert_true(snprintf(missing, sizeof(missing), "%s/none", dir) < (int)sizeof(missing));
    assert_int_equal(nc_approval_key_load(missing, &back, &err), -ENOENT);

    nc_approval_key_wipe(&back);
    static const struct nc_approval_key zero;
    assert_memory_equal(back.bytes, zero.bytes, NC_APPROVAL_KEY_LEN);
    (void)unlink(path);
    (void)unlink(link);
    (void)unlink(small);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(forged_every_position),
        cmocka_unit_test(wrong_binding),
        cmocka_unit_test(expired),
        cmocka_unit_test(unknown_after_restart),
        cmocka_unit_test(malformed_shapes),
        cmocka_unit_test(verdict_names_are_distinct),
        cmocka_unit_test(exactly_once_under_threads),
        cmocka_unit_test(distinct_tokens_each_once),
        cmocka_unit_test(token_store_prunes_and_fails_closed),
        cmocka_unit_test(requests_bounded_and_decided_once),
        cmocka_unit_test(digests_are_canonical),
        cmocka_unit_test(key_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
