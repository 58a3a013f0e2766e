/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the ReDoS screen on arbitrary bytes.  Besides "no crash, no UB, no read past
 * len" (the input is copied to an exact-size heap block so ASan sees any over-read), checks:
 *   - a refusal names the field, a reason, and an offset inside the pattern;
 *   - the verdict is deterministic;
 *   - quoting with \Q...\E (when the input holds no \E) is always accepted;
 *   - a refusal for a ReDoS reason survives wrapping in (?:...). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static bool contains(const uint8_t *d, size_t n, const char *s)
{
    size_t m = strlen(s);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(d + i, s, m) == 0)
            return true;
    return false;
}

static bool redos_reason(const char *r)
{
    return strstr(r, "nested") != NULL || strstr(r, "overlapping") != NULL ||
           strstr(r, "bound") != NULL || strstr(r, "ambiguous") != NULL ||
           strstr(r, "backreference inside") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nc_invalid why;
    char *re;
    int rc;

    if (size > 4096)
        return 0;
    re = malloc(size + 1u);
    if (re == NULL)
        return 0;
    memcpy(re, data, size);
    memset(&why, 0, sizeof(why));
    rc = nc_redos_check(re, size, &why);
    CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        CHECK(why.field != NULL && strcmp(why.field, "pattern") == 0);
        CHECK(why.reason != NULL && why.reason[0] != '\0');
        CHECK(why.offset <= size);
        CHECK(why.index == 0);
    }
    CHECK(nc_redos_check(re, size, NULL) == rc);

    char *w = malloc(size + 8u);
    if (w != NULL) {
        if (!contains(data, size, "\\E")) {
            memcpy(w, "\\Q", 2);
            memcpy(w + 2, data, size);
            memcpy(w + 2 + size, "\\E", 2);
            CHECK(nc_redos_check(w, size + 4u, NULL) == 0);
        }
        if (rc < 0 && redos_reason(why.reason)) {
            memcpy(w, "(?:", 3);
            memcpy(w + 3, data, size);
            w[3 + size] = ')';
            CHECK(nc_redos_check(w, size + 4u, NULL) == -1);
        }
        free(w);
    }
    free(re);
    return 0;
}
