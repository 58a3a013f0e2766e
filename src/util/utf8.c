/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 validation (RFC 3629) and lossy repair. */
#include "util/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t nc_utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c;
    size_t n;
    uint32_t cp, min;

    if (len == 0)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1fu;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0fu;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool nc_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = nc_utf8_seq(u + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *nc_utf8_lossy(const char *s, size_t len, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t cap, o = 0, i = 0;
    char *out;

    /* Worst case: every byte becomes the 3-byte replacement character. */
    if (__builtin_mul_overflow(len, (size_t)3, &cap) || __builtin_add_overflow(cap, 1, &cap))
        return NULL;
    out = malloc(cap);
    if (out == NULL)
        return NULL;
    while (i < len) {
        size_t n = u[i] == 0 ? 0 : nc_utf8_seq(u + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i += 1;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    if (outlen != NULL)
        *outlen = o;
    return out;
}
