/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: every nc_validate_* entry.  The first byte chooses the entry (mod 8), the rest
 * is the input, copied to an exact-size heap block so ASan sees any read past len:
 *   0 pattern  1 glob  2 query  3 path  4 argv (arguments split at 0xff, each its own
 *   block)  5 stdin (length from the bytes)  6 url  7 url with out == NULL and why == NULL.
 * Checks the refusal record (field, reason, offset inside the input, argv index) and, for an
 * accepted URL, the parsed result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static void check_refusal(int rc, const struct nc_invalid *why, const char *field, size_t len)
{
    CHECK(rc == 0 || rc == -1);
    if (rc == 0)
        return;
    CHECK(why->field != NULL && strcmp(why->field, field) == 0);
    CHECK(why->reason != NULL && why->reason[0] != '\0');
    CHECK(why->offset <= len);
}

static bool is_ctl(uint8_t c)
{
    return c < 0x20u || c == 0x7fu;
}

/* The text rule, read directly. */
static bool text_ok(const uint8_t *d, size_t n, size_t max, bool empty_ok)
{
    if (n == 0)
        return empty_ok;
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (is_ctl(d[i]))
            return false;
    return true;
}

static void fuzz_argv(const uint8_t *d, size_t n)
{
    enum { MAXA = 300 };
    const char *argv[MAXA];
    char *own[MAXA];
    size_t lens[MAXA];
    size_t argc = 0, start = 0, total = 0;
    struct nc_invalid why;
    bool ok = true;

    for (size_t i = 0; i <= n && argc < MAXA; i++) {
        if (i < n && d[i] != 0xffu)
            continue;
        size_t l = i - start;
        own[argc] = malloc(l > 0 ? l : 1u);
        if (own[argc] == NULL)
            break;
        memcpy(own[argc], d + start, l);
        argv[argc] = own[argc];
        lens[argc] = l;
        for (size_t k = 0; k < l; k++)
            if (is_ctl(d[start + k]) && d[start + k] != '\t' && d[start + k] != '\n')
                ok = false;
        total += l;
        argc++;
        start = i + 1u;
    }
    int rc = nc_validate_argv(argv, lens, argc, &why);
    if (argc == 0 || argc > NC_MAX_ARGS || total > NC_MAX_COMMAND)
        ok = false;
    CHECK(rc == (ok ? 0 : -1));
    if (rc < 0) {
        CHECK(strcmp(why.field, "argv") == 0 && why.reason != NULL);
        if (argc > 0 && argc <= NC_MAX_ARGS) {
            CHECK(why.index < argc);
            CHECK(why.offset <= lens[why.index]);
        }
    }
    for (size_t i = 0; i < argc; i++)
        free(own[i]);
}

static void fuzz_url(const char *s, size_t n, bool with_out)
{
    struct nc_url u;
    struct nc_invalid why;
    int rc = nc_validate_url(s, n, with_out ? &u : NULL, with_out ? &why : NULL);
    CHECK(rc == 0 || rc == -1);
    if (!with_out)
        return;
    check_refusal(rc, &why, "url", n);
    if (rc < 0) {
        CHECK(u.host[0] == '\0' && u.port == 0 && !u.https);
        return;
    }
    size_t hl = strnlen(u.host, sizeof(u.host));
    CHECK(hl >= 1 && hl <= 253);
    CHECK(u.port >= 1 && u.port <= 65535);
    size_t pre = u.https ? 8u : 7u;
    CHECK(n >= pre + hl);
    for (size_t i = 0; i < hl; i++) {
        uint8_t c = (uint8_t)u.host[i];
        CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.');
        uint8_t o = (uint8_t)s[pre + i];
        CHECK(o == c || (o >= 'A' && o <= 'Z' && o + 32u == c));
    }
    /* The host is followed by the end, a port or the path/query/fragment. */
    CHECK(n == pre + hl || strchr(":/?#", s[pre + hl]) != NULL);
    for (size_t i = 0; i < n; i++)
        CHECK(!is_ctl((uint8_t)s[i]) && s[i] != ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nc_invalid why;
    if (size == 0 || size > 20000)
        return 0;
    unsigned sel = data[0] % 8u;
    const uint8_t *d = data + 1;
    size_t n = size - 1u;
    char *s = malloc(n > 0 ? n : 1u);
    if (s == NULL)
        return 0;
    memcpy(s, d, n);
    memset(&why, 0, sizeof(why));

    switch (sel) {
    case 0: {
        int rc = nc_validate_pattern(s, n, &why);
        check_refusal(rc, &why, "pattern", n);
        if (rc == 0)
            CHECK(text_ok(d, n, NC_MAX_PATTERN, false) && nc_redos_check(s, n, NULL) == 0);
        else if (text_ok(d, n, NC_MAX_PATTERN, false))
            CHECK(nc_redos_check(s, n, NULL) == -1);
        break;
    }
    case 1: {
        int rc = nc_validate_glob(s, n, &why);
        check_refusal(rc, &why, "glob", n);
        CHECK((rc == 0) == text_ok(d, n, NC_MAX_PATTERN, false));
        break;
    }
    case 2: {
        int rc = nc_validate_query(s, n, &why);
        check_refusal(rc, &why, "query", n);
        CHECK((rc == 0) == text_ok(d, n, NC_MAX_QUERY, true));
        break;
    }
    case 3: {
        int rc = nc_validate_path(s, n, &why);
        check_refusal(rc, &why, "path", n);
        CHECK((rc == 0) == text_ok(d, n, NC_MAX_PATH, false));
        break;
    }
    case 4:
        fuzz_argv(d, n);
        break;
    case 5: {
        size_t len = 0;
        for (size_t i = 0; i < n && i < sizeof(size_t); i++)
            len = (len << 8) | d[i];
        if (n > 0 && d[0] < 0x80u)
            len %= 2u * NC_MAX_STDIN; /* mostly near the limit */
        int rc = nc_validate_stdin(len, &why);
        CHECK(rc == (len <= NC_MAX_STDIN ? 0 : -1));
        if (rc < 0)
            CHECK(strcmp(why.field, "stdin") == 0);
        break;
    }
    case 6:
        fuzz_url(s, n, true);
        break;
    default:
        fuzz_url(s, n, false);
        break;
    }
    free(s);
    return 0;
}
