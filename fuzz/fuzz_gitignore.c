/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the .gitignore parser and matcher on arbitrary bytes (src/proxy/gitignore.h).
 * Input: the .gitignore text, a NUL, then paths separated by '\n'.  Besides "no crash, no UB,
 * no read past the input" (copied to exact-size heap blocks), checks:
 *   - at most NC_GITIGNORE_MAX_PATTERNS patterns are kept, and parsing is deterministic;
 *   - a verdict is one of the three values and does not depend on a trailing newline;
 *   - doubling every line changes no verdict (the last match wins, and it is the same line);
 *   - negation is dual: for a one-line file "X", "!X" answers KEPT exactly where "X" answers
 *     IGNORED;
 *   - the matcher never takes more than a bounded time (libFuzzer's -timeout catches a
 *     backtracking regression on hostile patterns). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/gitignore.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static struct nc_gitignore *parse_copy(const char *s, size_t n)
{
    struct nc_err err;
    char *c = malloc(n > 0 ? n : 1u);
    CHECK(c != NULL);
    memcpy(c, s, n);
    struct nc_gitignore *g = nc_gitignore_parse(c, n, &err);
    free(c);
    CHECK(g != NULL);
    CHECK(nc_gitignore_count(g) <= NC_GITIGNORE_MAX_PATTERNS);
    return g;
}

static enum nc_gitignore_verdict match(const struct nc_gitignore *g, const char *p, size_t n,
                                       bool dir)
{
    char *c = malloc(n > 0 ? n : 1u);
    CHECK(c != NULL);
    memcpy(c, p, n);
    enum nc_gitignore_verdict v = nc_gitignore_match(g, c, n, dir);
    free(c);
    CHECK(v == NC_GITIGNORE_NONE || v == NC_GITIGNORE_IGNORED || v == NC_GITIGNORE_KEPT);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    const char *nul = memchr(d, '\0', size);
    size_t glen = nul != NULL ? (size_t)(nul - d) : size;
    const char *paths = nul != NULL ? nul + 1 : d + size;
    size_t plen = (size_t)((d + size) - paths);
    /* (a byte order mark is stripped from the first line only, so texts starting with one
     * are left out of the line-rewriting checks; so are comments for the negation check) */
    bool bom = glen >= 3u && memcmp(d, "\xef\xbb\xbf", 3) == 0;
    bool one_line = memchr(d, '\n', glen) == NULL && glen > 0 && glen < 200 && d[0] != '!' &&
                    d[0] != '#' && !bom;

    if (size > 8192)
        return 0;
    struct nc_gitignore *g = parse_copy(d, glen);
    struct nc_gitignore *g2 = parse_copy(d, glen);
    CHECK(nc_gitignore_count(g) == nc_gitignore_count(g2));

    /* the same text with a newline at the end, and with every line doubled */
    char *nl = malloc(glen + 1u);
    CHECK(nl != NULL);
    memcpy(nl, d, glen);
    nl[glen] = '\n';
    struct nc_gitignore *gnl = parse_copy(nl, glen + 1u);
    free(nl);
    char *dbl = malloc(2u * glen + 2u);
    CHECK(dbl != NULL);
    size_t o = 0;
    for (size_t i = 0; i <= glen;) {
        const char *e = memchr(d + i, '\n', glen - i);
        size_t end = e != NULL ? (size_t)(e - d) : glen;
        for (int k = 0; k < 2; k++) {
            memcpy(dbl + o, d + i, end - i);
            o += end - i;
            dbl[o++] = '\n';
        }
        i = end + 1u;
    }
    struct nc_gitignore *gd = parse_copy(dbl, o);
    free(dbl);
    /* "!X" for a one-line file "X" */
    struct nc_gitignore *gneg = NULL;
    if (one_line) {
        char neg[256];
        neg[0] = '!';
        memcpy(neg + 1, d, glen);
        gneg = parse_copy(neg, glen + 1u);
    }

    for (size_t i = 0; i < plen;) {
        const char *e = memchr(paths + i, '\n', plen - i);
        size_t end = e != NULL ? (size_t)(e - paths) : plen;
        for (int dir = 0; dir < 2; dir++) {
            enum nc_gitignore_verdict v = match(g, paths + i, end - i, dir == 1);
            CHECK(match(g2, paths + i, end - i, dir == 1) == v);
            CHECK(match(gnl, paths + i, end - i, dir == 1) == v);
            if (!bom)
                CHECK(match(gd, paths + i, end - i, dir == 1) == v);
            if (gneg != NULL) {
                enum nc_gitignore_verdict n = match(gneg, paths + i, end - i, dir == 1);
                CHECK((v == NC_GITIGNORE_IGNORED) == (n == NC_GITIGNORE_KEPT));
                CHECK(v != NC_GITIGNORE_KEPT && n != NC_GITIGNORE_IGNORED);
            }
        }
        i = end + 1u;
    }
    nc_gitignore_free(g);
    nc_gitignore_free(g2);
    nc_gitignore_free(gnl);
    nc_gitignore_free(gd);
    nc_gitignore_free(gneg);
    return 0;
}
