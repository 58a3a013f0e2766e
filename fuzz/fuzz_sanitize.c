/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the error sanitizer.  Input layout: ROOT \0 HOME \0 MESSAGE; with fewer NULs the
 * missing parts are NULL (one NUL: ROOT \0 MESSAGE, home NULL).  The first byte of the
 * message also picks a small output size.  Checks:
 *   - the return value is the full length (same as with a large buffer);
 *   - the output is NUL-terminated, a prefix of the full result, and nothing is written past
 *     outsz (the buffer is an exact-size heap block, so ASan catches an overflow);
 *   - no absolute path survives except inside a [sandbox]/[home] tail;
 *   - sanitizing the result again is as safe (the function is not idempotent on purpose). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool glues(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '~' || c == '/';
}

static bool path_byte(unsigned char c)
{
    return is_alnum(c) || c >= 0x80u || (c != 0 && strchr("/._-+@%~", c) != NULL);
}

static bool after_marker(const char *s, size_t i)
{
    return (i >= 9 && memcmp(s + i - 9, "[sandbox]", 9) == 0) ||
           (i >= 6 && memcmp(s + i - 6, "[home]", 6) == 0);
}

static void check_no_host_path(const char *out)
{
    for (size_t i = 0; out[i] != '\0'; i++) {
        if (out[i] != '/' || (i > 0 && glues((unsigned char)out[i - 1])))
            continue;
        size_t e = i;
        while (out[e] != '\0' && path_byte((unsigned char)out[e]))
            e++;
        if (!after_marker(out, i))
            for (size_t k = i; k < e; k++)
                CHECK(out[k] == '/');
        i = e - 1;
    }
}

/* A NUL-terminated heap copy of d[0..n). */
static char *dupn(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1u);
    if (s != NULL) {
        memcpy(s, d, n);
        s[n] = '\0';
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *z1, *z2 = NULL;
    char *root = NULL, *home = NULL, *msg;
    size_t off = 0;

    if (size > 8192)
        return 0;
    z1 = memchr(data, 0, size);
    if (z1 != NULL) {
        root = dupn(data, (size_t)(z1 - data));
        off = (size_t)(z1 - data) + 1u;
        z2 = memchr(data + off, 0, size - off);
        if (z2 != NULL) {
            home = dupn(data + off, (size_t)(z2 - (data + off)));
            off = (size_t)(z2 - data) + 1u;
        }
    }
    msg = dupn(data + off, size - off); /* stops at any further NUL, like a C string */
    if (msg == NULL || (z1 != NULL && root == NULL) || (z2 != NULL && home == NULL))
        goto out;

    size_t mlen = strlen(msg);
    size_t bigsz = 9u * mlen + 16u;
    char *big = malloc(bigsz);
    if (big == NULL)
        goto out;
    size_t n = nc_sanitize(msg, root, home, big, bigsz);
    CHECK(n < bigsz);
    CHECK(strlen(big) == n);
    check_no_host_path(big);

    /* A second pass leaves no host path either (markers never launder a path). */
    size_t againsz = 9u * n + 16u;
    char *again = malloc(againsz);
    if (again != NULL) {
        size_t n2 = nc_sanitize(big, root, home, again, againsz);
        CHECK(n2 < againsz && strlen(again) == n2);
        check_no_host_path(again);
        free(again);
    }

    /* Small, exact-size buffers. */
    size_t small = mlen > 0 ? (size_t)(unsigned char)msg[0] % 24u : 0u;
    char *sb = malloc(small > 0 ? small : 1u);
    if (sb != NULL) {
        CHECK(nc_sanitize(msg, root, home, small > 0 ? sb : NULL, small) == n);
        if (small > 0) {
            size_t sl = strnlen(sb, small);
            CHECK(sl < small);
            CHECK(sl == (n < small - 1u ? n : small - 1u));
            CHECK(memcmp(sb, big, sl) == 0);
        }
        free(sb);
    }
    CHECK(nc_sanitize(msg, root, home, NULL, 0) == n);
    free(big);
out:
    free(msg);
    free(root);
    free(home);
    return 0;
}
