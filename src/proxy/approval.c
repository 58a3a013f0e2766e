/* SPDX-License-Identifier: Apache-2.0 */
/* Approvals (see approval.h and docs/approvals.md).
 *
 * The v1 runtime had two approval defects this file is written against (reference §3, §13):
 * an approval was consumed twice (so a single approval never let the retry through), and
 * approvals were stored under a different key than the one the denial reported.  Here a token
 * is the only thing that authorizes, it names its own binding (pod, operation, argument digest),
 * the consumer compares that binding with the operation it is about to perform, and exactly one
 * place (consume_nonce, under the mutex) flips a token from "issued" to "used". */
#include "approval.h"

#include "util/cleanup.h"
#include "util/ossl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Domain separation: a MAC over one kind of message can never be read as another kind. */
static const char mac_domain[] = "nucleus-approval-v1";
static const char args_domain[] = "nucleus-args-v1";

/* ---- small pure helpers ------------------------------------------------------------- */

static const char hexdigits[] = "0123456789abcdef";

/* Field widths in hex characters. */
#define DIGEST_HEX ((size_t)2 * NC_APPROVAL_DIGEST_LEN)
#define NONCE_HEX ((size_t)2 * NC_APPROVAL_NONCE_LEN)
#define MAC_HEX ((size_t)2 * NC_APPROVAL_MAC_LEN)

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 0x0fu];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* uppercase is refused: one spelling per token */
}

/* Decodes exactly 2n lowercase hex characters. */
static int hex_decode(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return 0;
}

static bool pod_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

int nc_approval_pod_valid(const char *pod)
{
    if (pod == NULL)
        return 0;
    size_t n = strnlen(pod, NC_APPROVAL_POD_MAX + 1);
    if (n == 0 || n > NC_APPROVAL_POD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!pod_char(pod[i]))
            return 0;
    return 1;
}

static bool op_valid(enum nc_op op)
{
    return (unsigned)op < NC_OP_COUNT;
}

static bool id_valid(const char *id)
{
    if (id == NULL || strnlen(id, NC_APPROVAL_ID_LEN + 1) != NC_APPROVAL_ID_LEN)
        return false;
    for (size_t i = 0; i < NC_APPROVAL_ID_LEN; i++)
        if (hex_value(id[i]) < 0)
            return false;
    return true;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
}

/* ---- token syntax ------------------------------------------------------------------- */

/* Length of the field starting at s[pos] up to the next '.' or the end; sets *dot when a '.'
 * ends it. */
static size_t field_len(const char *s, size_t len, size_t pos, bool *dot)
{
    size_t i = pos;
    while (i < len && s[i] != '.')
        i++;
    *dot = i < len;
    return i - pos;
}

int nc_approval_token_parse(const char *s, size_t len, struct nc_approval_token *out)
{
    struct nc_approval_token t;
    bool dot = false;
    size_t pos, n;

    memset(&t, 0, sizeof(t));
    if (s == NULL || out == NULL || len < 3 || len >= NC_APPROVAL_TOKEN_MAX)
        return -1;
    if (memcmp(s, "v1.", 3) != 0)
        return -1;
    pos = 3;

    /* pod */
    n = field_len(s, len, pos, &dot);
    if (!dot || n == 0 || n > NC_APPROVAL_POD_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!pod_char(s[pos + i]))
            return -1;
    memcpy(t.pod, s + pos, n);
    t.pod[n] = '\0';
    pos += n + 1;

    /* operation: the exact snake_case name */
    char opname[17];
    n = field_len(s, len, pos, &dot);
    if (!dot || n == 0 || n >= sizeof(opname))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[pos + i] >= 'a' && s[pos + i] <= 'z') || s[pos + i] == '_'))
            return -1;
    memcpy(opname, s + pos, n);
    opname[n] = '\0';
    if (nc_op_parse(opname, &t.op) != 0 || !op_valid(t.op))
        return -1;
    pos += n + 1;

    /* argument digest */
    n = field_len(s, len, pos, &dot);
    if (!dot || n != DIGEST_HEX ||
        hex_decode(s + pos, NC_APPROVAL_DIGEST_LEN, t.digest) != 0)
        return -1;
    pos += n + 1;

    /* expiry: 1..20 decimal digits, no leading zero, fits in 64 bits */
    n = field_len(s, len, pos, &dot);
    if (!dot || n == 0 || n > 20 || s[pos] == '0')
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[pos + i];
        if (c < '0' || c > '9')
            return -1;
        if (__builtin_mul_overflow(t.expiry, 10u, &t.expiry) ||
            __builtin_add_overflow(t.expiry, (uint64_t)(c - '0'), &t.expiry))
            return -1;
    }
    pos += n + 1;

    /* nonce */
    n = field_len(s, len, pos, &dot);
    if (!dot || n != NONCE_HEX ||
        hex_decode(s + pos, NC_APPROVAL_NONCE_LEN, t.nonce) != 0)
        return -1;
    pos += n + 1;

    /* MAC: the last field, up to the exact end */
    n = field_len(s, len, pos, &dot);
    if (dot || n != MAC_HEX || pos + n != len ||
        hex_decode(s + pos, NC_APPROVAL_MAC_LEN, t.mac) != 0)
        return -1;

    *out = t;
    return 0;
}

/* ---- crypto ------------------------------------------------------------------------- */

/* HMAC-SHA256(key, "nucleus-approval-v1" 0x00 || u32be(|pod|) || pod || u32be(|op|) || op ||
 * digest[32] || u64be(expiry) || nonce[16]).  Length prefixes make the fields unambiguous. */
static int token_mac(const struct nc_approval_key *key, const struct nc_approval_token *t,
                     uint8_t mac[NC_APPROVAL_MAC_LEN])
{
    uint8_t msg[sizeof(mac_domain) + 4 + NC_APPROVAL_POD_MAX + 4 + 32 + NC_APPROVAL_DIGEST_LEN +
                8 + NC_APPROVAL_NONCE_LEN];
    size_t pos = 0;
    const char *opname = nc_op_name(t->op);
    size_t podlen = strnlen(t->pod, sizeof(t->pod));
    size_t oplen = strlen(opname);
    unsigned int maclen = 0;

    if (podlen > NC_APPROVAL_POD_MAX || oplen > 32)
        return -1;
    memcpy(msg, mac_domain, sizeof(mac_domain)); /* includes the NUL separator */
    pos = sizeof(mac_domain);
    put_be(msg + pos, podlen, 4);
    pos += 4;
    memcpy(msg + pos, t->pod, podlen);
    pos += podlen;
    put_be(msg + pos, oplen, 4);
    pos += 4;
    for (size_t i = 0; i < oplen; i++) /* bytes, not a C string: no NUL is copied */
        msg[pos + i] = (uint8_t)opname[i];
    pos += oplen;
    memcpy(msg + pos, t->digest, NC_APPROVAL_DIGEST_LEN);
    pos += NC_APPROVAL_DIGEST_LEN;
    put_be(msg + pos, t->expiry, 8);
    pos += 8;
    memcpy(msg + pos, t->nonce, NC_APPROVAL_NONCE_LEN);
    pos += NC_APPROVAL_NONCE_LEN;

    if (HMAC(EVP_sha256(), key->bytes, NC_APPROVAL_KEY_LEN, msg, pos, mac, &maclen) == NULL ||
        maclen != NC_APPROVAL_MAC_LEN)
        return -1;
    return 0;
}

static int token_format(const struct nc_approval_token *t, char *out, size_t outsz)
{
    char digest[DIGEST_HEX + 1], nonce[NONCE_HEX + 1], mac[MAC_HEX + 1];
    hex_encode(t->digest, NC_APPROVAL_DIGEST_LEN, digest);
    hex_encode(t->nonce, NC_APPROVAL_NONCE_LEN, nonce);
    hex_encode(t->mac, NC_APPROVAL_MAC_LEN, mac);
    int n = snprintf(out, outsz, "v1.%s.%s.%s.%llu.%s.%s", t->pod, nc_op_name(t->op), digest,
                     (unsigned long long)t->expiry, nonce, mac);
    if (n < 0 || (size_t)n >= outsz)
        return -1;
    return 0;
}

int nc_approval_digest_args(const char *const *argv, const size_t *lens, size_t argc,
                            uint8_t out[NC_APPROVAL_DIGEST_LEN], struct nc_err *err)
{
    uint8_t be[8];
    unsigned int mdlen = 0;
    int ok;

    if ((argv == NULL && argc > 0) || out == NULL)
        return nc_err_set(err, EINVAL, "digest: no arguments");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return nc_err_set(err, ENOMEM, "digest: out of memory");
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, args_domain, sizeof(args_domain)) == 1;
    put_be(be, argc, 8);
    ok = ok && EVP_DigestUpdate(ctx, be, 8) == 1;
    for (size_t i = 0; ok && i < argc; i++) {
        if (argv[i] == NULL) {
            ok = 0;
            break;
        }
        size_t l = lens != NULL ? lens[i] : strlen(argv[i]);
        put_be(be, l, 8);
        ok = EVP_DigestUpdate(ctx, be, 8) == 1 && EVP_DigestUpdate(ctx, argv[i], l) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, &mdlen) == 1 && mdlen == NC_APPROVAL_DIGEST_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return nc_err_set(err, EINVAL, "digest: SHA-256 of the arguments failed");
    return 0;
}

int nc_approval_digest_bytes(const void *data, size_t len, uint8_t out[NC_APPROVAL_DIGEST_LEN],
                             struct nc_err *err)
{
    unsigned int mdlen = 0;
    if ((data == NULL && len > 0) || out == NULL)
        return nc_err_set(err, EINVAL, "digest: no data");
    if (EVP_Digest(len > 0 ? data : "", len, out, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != NC_APPROVAL_DIGEST_LEN)
        return nc_err_set(err, EINVAL, "digest: SHA-256 failed");
    return 0;
}

/* ---- keys --------------------------------------------------------------------------- */

int nc_approval_key_generate(struct nc_approval_key *key, struct nc_err *err)
{
    if (key == NULL)
        return nc_err_set(err, EINVAL, "approval key: no buffer");
    if (RAND_bytes(key->bytes, NC_APPROVAL_KEY_LEN) != 1) {
        nc_approval_key_wipe(key);
        return nc_err_set(err, EIO, "approval key: the random generator failed");
    }
    return 0;
}

void nc_approval_key_wipe(struct nc_approval_key *key)
{
    if (key != NULL)
        OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
}

int nc_approval_key_save(const char *path, const struct nc_approval_key *key,
                         struct nc_err *err)
{
    if (path == NULL || key == NULL)
        return nc_err_set(err, EINVAL, "approval key: no path");
    /* O_EXCL: never replace a key (tokens in flight would die, and a planted file or symlink
     * would receive the secret); O_NOFOLLOW for the last component as well. */
    _cleanup_close_ int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        int e = errno;
        return nc_err_set(err, e, "approval key: cannot create the key file: %s", strerror(e));
    }
    /* The umask can only narrow 0600; fchmod makes the mode exact whatever it was. */
    int e = 0;
    if (fchmod(fd, 0600) != 0)
        e = errno;
    size_t done = 0;
    while (e == 0 && done < NC_APPROVAL_KEY_LEN) {
        ssize_t w = write(fd, key->bytes + done, NC_APPROVAL_KEY_LEN - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (e != 0) {
        (void)unlink(path);
        return nc_err_set(err, e, "approval key: cannot write the key file: %s", strerror(e));
    }
    return 0;
}

int nc_approval_key_load(const char *path, struct nc_approval_key *key, struct nc_err *err)
{
    struct stat st;
    uint8_t buf[NC_APPROVAL_KEY_LEN + 1];
    size_t got = 0;

    if (path == NULL || key == NULL)
        return nc_err_set(err, EINVAL, "approval key: no path");
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        return nc_err_set(err, e, "approval key: cannot open the key file: %s", strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        return nc_err_set(err, e, "approval key: cannot stat the key file: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return nc_err_set(err, EINVAL, "approval key: not a regular file");
    /* A key others could read lets them approve anything; one others could write lets them
     * choose it.  Like ssh with private keys, refuse rather than warn. */
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return nc_err_set(err, EPERM,
                          "approval key: the key file is accessible by group or others "
                          "(mode %04o; chmod 600 it)",
                          (unsigned)(st.st_mode & 07777));
    if (st.st_uid != geteuid())
        return nc_err_set(err, EPERM, "approval key: the key file belongs to another user");
    while (got < sizeof(buf)) {
        ssize_t r = read(fd, buf + got, sizeof(buf) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            OPENSSL_cleanse(buf, sizeof(buf));
            return nc_err_set(err, e, "approval key: cannot read the key file: %s",
                              strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got != NC_APPROVAL_KEY_LEN) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return nc_err_set(err, EINVAL, "approval key: the key file must hold exactly %u bytes",
                          NC_APPROVAL_KEY_LEN);
    }
    memcpy(key->bytes, buf, NC_APPROVAL_KEY_LEN);
    OPENSSL_cleanse(buf, sizeof(buf));
    return 0;
}

/* ---- the registry ------------------------------------------------------------------- */

struct req_slot {
    bool used;
    uint64_t seq; /* park order, for listing oldest first */
    struct nc_approval_request r;
    char token[NC_APPROVAL_TOKEN_MAX]; /* when approved */
    uint64_t token_expiry;
};

/* A token this registry minted and has not forgotten.  Tokens are recorded when minted, not
 * when first used: consumption needs no free slot (it cannot fail for lack of room), and a
 * token this registry never issued (an old one replayed after a restart, when the used-nonce
 * memory is gone but the key on disk is not) is refused as UNKNOWN instead of accepted. */
struct tok_slot {
    bool live;
    bool consumed;
    uint8_t nonce[NC_APPROVAL_NONCE_LEN];
    char pod[NC_APPROVAL_POD_MAX + 1];
    enum nc_op op;
    uint8_t digest[NC_APPROVAL_DIGEST_LEN];
    uint64_t expiry;
};

struct nc_approval_registry {
    pthread_mutex_t mu;
    size_t nreq, ntok;
    uint64_t seq;
    struct req_slot *reqs;
    struct tok_slot *toks;
};

struct nc_approval_registry *nc_approval_registry_new(size_t max_requests, size_t max_tokens,
                                                      struct nc_err *err)
{
    if (max_requests == 0 || max_tokens == 0 || max_requests > 65536 || max_tokens > 1048576) {
        nc_err_set(err, EINVAL, "approval registry: capacities must be 1..65536 and 1..1048576");
        return NULL;
    }
    _cleanup_free_ struct nc_approval_registry *reg = calloc(1, sizeof(*reg));
    _cleanup_free_ struct req_slot *reqs = calloc(max_requests, sizeof(*reqs));
    _cleanup_free_ struct tok_slot *toks = calloc(max_tokens, sizeof(*toks));
    if (reg == NULL || reqs == NULL || toks == NULL) {
        nc_err_set(err, ENOMEM, "approval registry: out of memory");
        return NULL;
    }
    int e = pthread_mutex_init(&reg->mu, NULL);
    if (e != 0) {
        nc_err_set(err, e, "approval registry: mutex: %s", strerror(e));
        return NULL;
    }
    reg->nreq = max_requests;
    reg->ntok = max_tokens;
    reg->reqs = steal_pointer(&reqs);
    reg->toks = steal_pointer(&toks);
    return steal_pointer(&reg);
}

void nc_approval_registry_free(struct nc_approval_registry *reg)
{
    if (reg == NULL)
        return;
    (void)pthread_mutex_destroy(&reg->mu);
    OPENSSL_cleanse(reg->reqs, reg->nreq * sizeof(*reg->reqs)); /* tokens are capabilities */
    OPENSSL_cleanse(reg->toks, reg->ntok * sizeof(*reg->toks));
    free(reg->reqs);
    free(reg->toks);
    free(reg);
}

/* Caller holds the mutex.  A token is forgotten only once it can no longer be used (now >=
 * expiry, which consume refuses on its own); forgetting it then is safe even with clocks that
 * differ between threads, because a forgotten token is refused (UNKNOWN), never re-admitted. */
static void prune_tokens_locked(struct nc_approval_registry *reg, uint64_t now)
{
    for (size_t i = 0; i < reg->ntok; i++)
        if (reg->toks[i].live && reg->toks[i].expiry <= now)
            memset(&reg->toks[i], 0, sizeof(reg->toks[i]));
}

/* Caller holds the mutex.  Requests are forgotten only when a slot is needed, so a lapsed or
 * decided one stays visible (LAPSED, DENIED, APPROVED with its token) for as long as possible. */
static void prune_requests_locked(struct nc_approval_registry *reg, uint64_t now)
{
    for (size_t i = 0; i < reg->nreq; i++) {
        struct req_slot *q = &reg->reqs[i];
        if (!q->used || now < q->r.deadline)
            continue;
        if (q->r.state == NC_APPROVAL_APPROVED && now < q->token_expiry)
            continue; /* the waiting call may still fetch its token */
        OPENSSL_cleanse(q, sizeof(*q));
    }
}

static struct req_slot *find_req_locked(struct nc_approval_registry *reg, const char *id)
{
    for (size_t i = 0; i < reg->nreq; i++)
        if (reg->reqs[i].used && strcmp(reg->reqs[i].r.id, id) == 0)
            return &reg->reqs[i];
    return NULL;
}

/* The state as seen at `now`: an undecided request past its deadline has lapsed. */
static enum nc_approval_state state_at(const struct req_slot *q, uint64_t now)
{
    if (q->r.state == NC_APPROVAL_PENDING && now >= q->r.deadline)
        return NC_APPROVAL_LAPSED;
    return q->r.state;
}

int nc_approval_park(struct nc_approval_registry *reg, const char *pod, enum nc_op op,
                     const uint8_t digest[NC_APPROVAL_DIGEST_LEN], const char *summary,
                     uint64_t now, uint64_t wait_seconds, char id[NC_APPROVAL_ID_LEN + 1],
                     struct nc_err *err)
{
    uint8_t raw[NC_APPROVAL_ID_LEN / 2];
    uint64_t deadline;

    if (reg == NULL || digest == NULL || summary == NULL || id == NULL)
        return nc_err_set(err, EINVAL, "approval: missing argument");
    if (!nc_approval_pod_valid(pod))
        return nc_err_set(err, EINVAL, "approval: invalid pod id");
    if (!op_valid(op))
        return nc_err_set(err, EINVAL, "approval: unknown operation");
    if (strnlen(summary, NC_APPROVAL_SUMMARY_MAX) >= NC_APPROVAL_SUMMARY_MAX)
        return nc_err_set(err, E2BIG, "approval: the operation summary is too long");
    if (wait_seconds == 0 || __builtin_add_overflow(now, wait_seconds, &deadline))
        return nc_err_set(err, EINVAL, "approval: invalid wait time");

    pthread_mutex_lock(&reg->mu);
    prune_requests_locked(reg, now);
    struct req_slot *q = NULL;
    for (size_t i = 0; i < reg->nreq && q == NULL; i++)
        if (!reg->reqs[i].used)
            q = &reg->reqs[i];
    if (q == NULL) {
        pthread_mutex_unlock(&reg->mu);
        return nc_err_set(err, ENOSPC, "approval: too many requests waiting for a decision");
    }
    /* 128 random bits; a collision with a live id is astronomically unlikely but would make an
     * approval land on the wrong request, so it is checked. */
    for (;;) {
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            pthread_mutex_unlock(&reg->mu);
            return nc_err_set(err, EIO, "approval: the random generator failed");
        }
        hex_encode(raw, sizeof(raw), id);
        if (find_req_locked(reg, id) == NULL)
            break;
    }
    memset(q, 0, sizeof(*q));
    q->used = true;
    q->seq = ++reg->seq;
    memcpy(q->r.id, id, NC_APPROVAL_ID_LEN + 1);
    memcpy(q->r.pod, pod, strlen(pod) + 1);
    q->r.op = op;
    memcpy(q->r.digest, digest, NC_APPROVAL_DIGEST_LEN);
    memcpy(q->r.summary, summary, strlen(summary) + 1);
    q->r.created = now;
    q->r.deadline = deadline;
    q->r.state = NC_APPROVAL_PENDING;
    pthread_mutex_unlock(&reg->mu);
    return 0;
}

int nc_approval_list(struct nc_approval_registry *reg, uint64_t now,
                     struct nc_approval_request *out, size_t max, struct nc_err *err)
{
    if (reg == NULL || (out == NULL && max > 0))
        return nc_err_set(err, EINVAL, "approval: missing argument");
    pthread_mutex_lock(&reg->mu);
    size_t total = 0, copied = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < reg->nreq; i++)
        if (reg->reqs[i].used && state_at(&reg->reqs[i], now) == NC_APPROVAL_PENDING)
            total++;
    /* Oldest first: repeatedly take the smallest park number above the last one taken. */
    while (copied < max && copied < total) {
        const struct req_slot *best = NULL;
        for (size_t i = 0; i < reg->nreq; i++) {
            const struct req_slot *q = &reg->reqs[i];
            if (q->used && state_at(q, now) == NC_APPROVAL_PENDING && q->seq > last &&
                (best == NULL || q->seq < best->seq))
                best = q;
        }
        if (best == NULL)
            break;
        out[copied++] = best->r;
        last = best->seq;
    }
    pthread_mutex_unlock(&reg->mu);
    if (total > (size_t)INT32_MAX)
        total = INT32_MAX;
    return (int)total;
}

/* Finds a request that can still be decided, or fills err and returns NULL with *rc set.
 * Caller holds the mutex. */
static struct req_slot *decidable_locked(struct nc_approval_registry *reg, const char *id,
                                         uint64_t now, int *rc, struct nc_err *err)
{
    struct req_slot *q = find_req_locked(reg, id);
    if (q == NULL) {
        *rc = nc_err_set(err, ENOENT, "approval: no such request");
        return NULL;
    }
    switch (state_at(q, now)) {
    case NC_APPROVAL_PENDING:
        return q;
    case NC_APPROVAL_LAPSED:
        *rc = nc_err_set(err, ETIMEDOUT, "approval: the request lapsed before a decision");
        return NULL;
    case NC_APPROVAL_APPROVED:
    case NC_APPROVAL_DENIED:
        break;
    }
    *rc = nc_err_set(err, EALREADY, "approval: the request was already decided");
    return NULL;
}

int nc_approval_approve(struct nc_approval_registry *reg, const char *id,
                        const struct nc_approval_key *key, uint64_t ttl, uint64_t now,
                        char *token, size_t tokensz, struct nc_err *err)
{
    struct nc_approval_token t;
    char text[NC_APPROVAL_TOKEN_MAX];

    if (reg == NULL || key == NULL || token == NULL || tokensz < NC_APPROVAL_TOKEN_MAX)
        return nc_err_set(err, EINVAL, "approval: missing argument or small token buffer");
    if (!id_valid(id))
        return nc_err_set(err, ENOENT, "approval: no such request");
    if (ttl == 0 || ttl > NC_APPROVAL_MAX_TTL)
        return nc_err_set(err, EINVAL, "approval: a token lives 1 to %u seconds",
                          NC_APPROVAL_MAX_TTL);

    pthread_mutex_lock(&reg->mu);
    prune_tokens_locked(reg, now);
    int rc = 0;
    struct req_slot *q = decidable_locked(reg, id, now, &rc, err);
    if (q == NULL) {
        pthread_mutex_unlock(&reg->mu);
        return rc;
    }
    struct tok_slot *slot = NULL;
    for (size_t i = 0; i < reg->ntok && slot == NULL; i++)
        if (!reg->toks[i].live)
            slot = &reg->toks[i];
    if (slot == NULL) {
        /* Fail closed: never evict a token that could still be presented. */
        pthread_mutex_unlock(&reg->mu);
        return nc_err_set(err, ENOSPC, "approval: too many live tokens; try again later");
    }
    memset(&t, 0, sizeof(t));
    memcpy(t.pod, q->r.pod, sizeof(t.pod));
    t.op = q->r.op;
    memcpy(t.digest, q->r.digest, NC_APPROVAL_DIGEST_LEN);
    if (__builtin_add_overflow(now, ttl, &t.expiry)) {
        pthread_mutex_unlock(&reg->mu);
        return nc_err_set(err, EINVAL, "approval: clock out of range");
    }
    /* A nonce equal to a live one would let one consumption spend the other; re-draw. */
    bool unique = false;
    while (!unique) {
        if (RAND_bytes(t.nonce, NC_APPROVAL_NONCE_LEN) != 1) {
            pthread_mutex_unlock(&reg->mu);
            return nc_err_set(err, EIO, "approval: the random generator failed");
        }
        unique = true;
        for (size_t i = 0; i < reg->ntok; i++)
            if (reg->toks[i].live &&
                memcmp(reg->toks[i].nonce, t.nonce, NC_APPROVAL_NONCE_LEN) == 0)
                unique = false;
    }
    if (token_mac(key, &t, t.mac) != 0 || token_format(&t, text, sizeof(text)) != 0) {
        pthread_mutex_unlock(&reg->mu);
        OPENSSL_cleanse(&t, sizeof(t));
        return nc_err_set(err, EIO, "approval: computing the token failed");
    }
    slot->live = true;
    slot->consumed = false;
    memcpy(slot->nonce, t.nonce, NC_APPROVAL_NONCE_LEN);
    memcpy(slot->pod, t.pod, sizeof(slot->pod));
    slot->op = t.op;
    memcpy(slot->digest, t.digest, NC_APPROVAL_DIGEST_LEN);
    slot->expiry = t.expiry;
    q->r.state = NC_APPROVAL_APPROVED;
    memcpy(q->token, text, sizeof(q->token));
    q->token_expiry = t.expiry;
    pthread_mutex_unlock(&reg->mu);

    memcpy(token, text, strlen(text) + 1);
    OPENSSL_cleanse(text, sizeof(text));
    OPENSSL_cleanse(&t, sizeof(t));
    return 0;
}

int nc_approval_deny(struct nc_approval_registry *reg, const char *id, uint64_t now,
                     struct nc_err *err)
{
    if (reg == NULL)
        return nc_err_set(err, EINVAL, "approval: missing argument");
    if (!id_valid(id))
        return nc_err_set(err, ENOENT, "approval: no such request");
    pthread_mutex_lock(&reg->mu);
    int rc = 0;
    struct req_slot *q = decidable_locked(reg, id, now, &rc, err);
    if (q == NULL) {
        pthread_mutex_unlock(&reg->mu);
        return rc;
    }
    q->r.state = NC_APPROVAL_DENIED;
    pthread_mutex_unlock(&reg->mu);
    return 0;
}

int nc_approval_decision(struct nc_approval_registry *reg, const char *id, uint64_t now,
                         enum nc_approval_state *state, char *token, size_t tokensz,
                         struct nc_err *err)
{
    if (reg == NULL || state == NULL || (token != NULL && tokensz < NC_APPROVAL_TOKEN_MAX))
        return nc_err_set(err, EINVAL, "approval: missing argument or small token buffer");
    if (!id_valid(id))
        return nc_err_set(err, ENOENT, "approval: no such request");
    pthread_mutex_lock(&reg->mu);
    const struct req_slot *q = find_req_locked(reg, id);
    if (q == NULL) {
        pthread_mutex_unlock(&reg->mu);
        return nc_err_set(err, ENOENT, "approval: no such request");
    }
    *state = state_at(q, now);
    if (token != NULL) {
        if (*state == NC_APPROVAL_APPROVED)
            memcpy(token, q->token, sizeof(q->token));
        else
            token[0] = '\0';
    }
    pthread_mutex_unlock(&reg->mu);
    return 0;
}

/* The single place where a token becomes used: look-up, comparison and the flip happen in one
 * critical section, so of any number of concurrent consumers exactly one sees consumed ==
 * false.  The stored binding is compared as well: a token whose MAC verifies but which differs
 * from what was minted under that nonce can only come from someone holding the key. */
static enum nc_approval_verdict consume_nonce(struct nc_approval_registry *reg,
                                              const struct nc_approval_token *t)
{
    enum nc_approval_verdict v = NC_APPROVAL_UNKNOWN;
    pthread_mutex_lock(&reg->mu);
    for (size_t i = 0; i < reg->ntok; i++) {
        struct tok_slot *s = &reg->toks[i];
        if (!s->live || CRYPTO_memcmp(s->nonce, t->nonce, NC_APPROVAL_NONCE_LEN) != 0)
            continue;
        if (strcmp(s->pod, t->pod) != 0 || s->op != t->op || s->expiry != t->expiry ||
            CRYPTO_memcmp(s->digest, t->digest, NC_APPROVAL_DIGEST_LEN) != 0)
            v = NC_APPROVAL_FORGED;
        else if (s->consumed)
            v = NC_APPROVAL_REPLAYED;
        else {
            s->consumed = true;
            v = NC_APPROVAL_OK;
        }
        break;
    }
    pthread_mutex_unlock(&reg->mu);
    return v;
}

enum nc_approval_verdict nc_approval_consume(struct nc_approval_registry *reg,
                                             const struct nc_approval_key *key,
                                             const char *token, size_t token_len,
                                             const char *pod, enum nc_op op,
                                             const uint8_t digest[NC_APPROVAL_DIGEST_LEN],
                                             uint64_t now)
{
    struct nc_approval_token t;
    uint8_t mac[NC_APPROVAL_MAC_LEN];
    enum nc_approval_verdict v;

    if (reg == NULL || key == NULL || pod == NULL || digest == NULL)
        return NC_APPROVAL_INTERNAL;
    if (token == NULL || nc_approval_token_parse(token, token_len, &t) != 0)
        return NC_APPROVAL_MALFORMED;
    /* Authenticity first: nothing in an unauthenticated token is believed, and the refusal
     * reason of a forgery does not depend on what it claims. */
    if (token_mac(key, &t, mac) != 0) {
        v = NC_APPROVAL_INTERNAL;
        goto out;
    }
    if (CRYPTO_memcmp(mac, t.mac, NC_APPROVAL_MAC_LEN) != 0) {
        v = NC_APPROVAL_FORGED;
        goto out;
    }
    /* Binding: the token authorizes exactly the operation it names, for exactly this pod; the
     * caller passes what it is about to perform, not what the token says. */
    if (strncmp(t.pod, pod, sizeof(t.pod)) != 0)
        v = NC_APPROVAL_WRONG_POD;
    else if (t.op != op)
        v = NC_APPROVAL_WRONG_OP;
    else if (CRYPTO_memcmp(t.digest, digest, NC_APPROVAL_DIGEST_LEN) != 0)
        v = NC_APPROVAL_WRONG_ARGS;
    else if (now >= t.expiry)
        v = NC_APPROVAL_EXPIRED;
    else
        v = consume_nonce(reg, &t);
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    OPENSSL_cleanse(&t, sizeof(t));
    return v;
}

size_t nc_approval_tokens_held(struct nc_approval_registry *reg)
{
    size_t n = 0;
    if (reg == NULL)
        return 0;
    pthread_mutex_lock(&reg->mu);
    for (size_t i = 0; i < reg->ntok; i++)
        if (reg->toks[i].live)
            n++;
    pthread_mutex_unlock(&reg->mu);
    return n;
}

const char *nc_approval_verdict_name(enum nc_approval_verdict v)
{
    switch (v) {
    case NC_APPROVAL_OK:
        return "ok";
    case NC_APPROVAL_MALFORMED:
        return "malformed";
    case NC_APPROVAL_FORGED:
        return "forged";
    case NC_APPROVAL_WRONG_POD:
        return "wrong_pod";
    case NC_APPROVAL_WRONG_OP:
        return "wrong_operation";
    case NC_APPROVAL_WRONG_ARGS:
        return "wrong_arguments";
    case NC_APPROVAL_EXPIRED:
        return "expired";
    case NC_APPROVAL_REPLAYED:
        return "replayed";
    case NC_APPROVAL_UNKNOWN:
        return "unknown";
    case NC_APPROVAL_INTERNAL:
        return "internal_error";
    }
    return "invalid";
}

const char *nc_approval_state_name(enum nc_approval_state s)
{
    switch (s) {
    case NC_APPROVAL_PENDING:
        return "pending";
    case NC_APPROVAL_APPROVED:
        return "approved";
    case NC_APPROVAL_DENIED:
        return "denied";
    case NC_APPROVAL_LAPSED:
        return "lapsed";
    }
    return "invalid";
}
