/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the approval token parser and nc_approval_consume on arbitrary bytes, with a
 * fixed key and a registry holding a few genuinely minted tokens (random nonces the fuzzer
 * cannot know).  Checks:
 *   - nothing crashes, and no input is ever accepted (NC_APPROVAL_OK) unless it is byte for
 *     byte one of the minted tokens;
 *   - the parser accepts only the canonical spelling: re-rendering what it parsed gives the
 *     input back;
 *   - an input that carries a correct MAC under the fixed key (computed here independently,
 *     from the canonical form documented in docs/approvals.md) is never called forged or
 *     malformed, and one that does not is never called anything else.
 * The input is copied to an exact-size heap block so ASan sees any read past its end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proxy/approval.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

#define NOW 1700000000u
#define NMINTED 3

static struct nc_approval_key key;
static struct nc_approval_registry *reg;
static uint8_t digest[NC_APPROVAL_DIGEST_LEN];
static char minted[NMINTED][NC_APPROVAL_TOKEN_MAX];

static void setup(void)
{
    struct nc_err err;
    char id[NC_APPROVAL_ID_LEN + 1];
    /* The fixed key: 0x00, 0x01, ..., 0x1f (the seeds' MACs are computed with it). */
    for (unsigned i = 0; i < NC_APPROVAL_KEY_LEN; i++)
        key.bytes[i] = (uint8_t)i;
    memset(digest, 0x11, sizeof(digest));
    reg = nc_approval_registry_new(NMINTED, NMINTED, &err);
    CHECK(reg != NULL);
    for (int i = 0; i < NMINTED; i++) {
        CHECK(nc_approval_park(reg, "fuzz-pod", NC_OP_GIT_PUSH, digest, "fuzz", NOW - 10,
                               1000, id, &err) == 0);
        CHECK(nc_approval_approve(reg, id, &key, NC_APPROVAL_MAX_TTL, NOW - 5, minted[i],
                                  sizeof(minted[i]), &err) == 0);
    }
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
}

/* The documented MAC, written out again independently of approval.c. */
static int mac_ok(const struct nc_approval_token *t)
{
    uint8_t msg[512], mac[32];
    unsigned int maclen = 0;
    size_t pos = 0, podlen = strlen(t->pod);
    const char *op = nc_op_name(t->op);
    size_t oplen = strlen(op);
    memcpy(msg, "nucleus-approval-v1", 20); /* with its NUL */
    pos = 20;
    put_be(msg + pos, podlen, 4);
    memcpy(msg + pos + 4, t->pod, podlen);
    pos += 4 + podlen;
    put_be(msg + pos, oplen, 4);
    memcpy(msg + pos + 4, op, oplen);
    pos += 4 + oplen;
    memcpy(msg + pos, t->digest, 32);
    pos += 32;
    put_be(msg + pos, t->expiry, 8);
    pos += 8;
    memcpy(msg + pos, t->nonce, 16);
    pos += 16;
    CHECK(HMAC(EVP_sha256(), key.bytes, 32, msg, pos, mac, &maclen) != NULL && maclen == 32);
    return memcmp(mac, t->mac, 32) == 0;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        (void)snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (reg == NULL)
        setup();
    if (size > 4096)
        return 0;
    char *s = malloc(size > 0 ? size : 1u);
    CHECK(s != NULL);
    memcpy(s, data, size);

    struct nc_approval_token t;
    int parsed = nc_approval_token_parse(s, size, &t);
    CHECK(parsed == 0 || parsed == -1);
    int genuine = 0;
    if (parsed == 0) {
        /* Canonical: the input is exactly the rendering of what was parsed. */
        char d[65], n[33], m[65], back[NC_APPROVAL_TOKEN_MAX];
        hex(t.digest, 32, d);
        hex(t.nonce, 16, n);
        hex(t.mac, 32, m);
        int len = snprintf(back, sizeof(back), "v1.%s.%s.%s.%llu.%s.%s", t.pod, nc_op_name(t.op),
                           d, (unsigned long long)t.expiry, n, m);
        CHECK(len > 0 && (size_t)len == size && memcmp(back, s, size) == 0);
        CHECK(nc_approval_pod_valid(t.pod));
        genuine = mac_ok(&t);
    }

    enum nc_approval_verdict v =
        nc_approval_consume(reg, &key, s, size, "fuzz-pod", NC_OP_GIT_PUSH, digest, NOW);
    int is_minted = 0;
    for (int i = 0; i < NMINTED; i++)
        if (strlen(minted[i]) == size && memcmp(minted[i], s, size) == 0)
            is_minted = 1;
    if (!is_minted)
        CHECK(v != NC_APPROVAL_OK);
    CHECK(v != NC_APPROVAL_INTERNAL);
    if (parsed != 0)
        CHECK(v == NC_APPROVAL_MALFORMED);
    else if (!genuine)
        CHECK(v == NC_APPROVAL_FORGED);
    else
        CHECK(v != NC_APPROVAL_FORGED && v != NC_APPROVAL_MALFORMED);

    /* Same bytes, different expectations: a genuine token for another binding is refused for
     * that binding. */
    if (genuine && strcmp(t.pod, "fuzz-pod") != 0)
        CHECK(v == NC_APPROVAL_WRONG_POD);
    free(s);
    return 0;
}
