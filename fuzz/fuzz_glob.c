/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the prepared glob matcher (nc_glob_prepare and friends, used by the pod's
 * workspace scan) against the reference nc_glob_match.  Aborts when an answer differs:
 *   - nc_glob_prep_match(g, path) == nc_glob_match(pattern, path);
 *   - for an unanchored pattern, a walk that tests each component by name
 *     (nc_glob_prep_match_name) and stops at the first that matches gives the same answer;
 *     for an anchored pattern the name test is always false;
 *   - pruning is sound: if the path matches, nc_glob_prep_may_match_below is true for every
 *     proper ancestor directory of the path.
 * Input: the pattern, a newline, the path (normalized with nc_path_normalize first; inputs
 * it refuses are skipped).  The pattern is copied into an exact-size heap block so ASan sees
 * a read past its end. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/glob.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl == NULL || memchr(data, '\0', size) != NULL)
        return 0;
    size_t plen = (size_t)(nl - data), rlen = size - plen - 1;
    if (rlen > 8192)
        return 0;
    char *pat = malloc(plen + 1);
    char raw[8193], path[8193];
    const char *why = NULL;
    struct nc_glob_prep g;

    if (pat == NULL)
        return 0;
    memcpy(pat, data, plen);
    pat[plen] = '\0';
    memcpy(raw, nl + 1, rlen);
    raw[rlen] = '\0';
    if (nc_path_normalize(NULL, raw, path, sizeof(path), &why) < 0 ||
        nc_glob_prepare(pat, &g) != NULL) {
        free(pat);
        return 0;
    }

    bool ref = nc_glob_match(pat, path);
    CHECK(nc_glob_prep_match(&g, path) == ref);

    if (strcmp(path, ".") != 0) {
        bool walk = false;
        size_t i = 0, n = strlen(path);
        while (i < n && !walk) {
            size_t e = i;
            while (e < n && path[e] != '/')
                e++;
            walk = nc_glob_prep_match_name(&g, path + i, e - i);
            i = e + 1;
        }
        CHECK(g.unanchored ? walk == ref : !walk);

        /* every proper ancestor directory of a matching path must not be pruned */
        if (ref) {
            char dir[8193];
            size_t n2 = strlen(path);
            memcpy(dir, path, n2 + 1);
            for (size_t k = 0; k < n2; k++) {
                if (path[k] != '/')
                    continue;
                dir[k] = '\0';
                CHECK(nc_glob_prep_may_match_below(&g, dir));
                dir[k] = '/';
            }
        }
    }
    free(pat);
    return 0;
}
