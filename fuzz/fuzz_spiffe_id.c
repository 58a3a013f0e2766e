/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the SPIFFE ID parser and the authorization rules (src/identity/spiffe.h).
 * The input is copied to an exact-size heap block so ASan sees any read past its end.
 * Checks, against an independent reference written here from the SPIFFE-ID standard:
 *   - nc_spiffe_id_parse accepts exactly what the reference accepts, and an accepted ID is the
 *     input byte for byte, with the trust-domain length the reference finds;
 *   - nc_spiffe_rule_parse on the same bytes: an accepted rule formats back to the input, and
 *     its match against a few fixed IDs agrees with a reference matcher (segment boundaries). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/spiffe.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

/* The reference: split at '/', check each piece. */
static bool ref_valid(const char *s, size_t len, size_t *td_len)
{
    if (len == 0 || len > 2048 || len < 9 || memcmp(s, "spiffe://", 9) != 0)
        return false;
    size_t i = 9, start = 9;
    while (i < len && s[i] != '/')
        i++;
    *td_len = i - start;
    if (*td_len == 0 || *td_len > 255)
        return false;
    for (size_t j = start; j < i; j++) {
        char c = s[j];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
            return false;
    }
    while (i < len) {
        size_t seg = i + 1, end = seg;
        while (end < len && s[end] != '/')
            end++;
        size_t n = end - seg;
        if (n == 0)
            return false;
        if ((n == 1 && s[seg] == '.') || (n == 2 && s[seg] == '.' && s[seg + 1] == '.'))
            return false;
        for (size_t j = seg; j < end; j++) {
            char c = s[j];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_'))
                return false;
        }
        i = end;
    }
    return true;
}

static const char *const probes[] = {
    "spiffe://td/ns/a/sa/b", "spiffe://td/ns/a",  "spiffe://td/ns/ab/sa/b", "spiffe://td/x",
    "spiffe://td2/ns/a/sa/b", "spiffe://t/a",     "spiffe://td/ns/a/sa/b/c",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nc_spiffe_id id, probe;
    static struct nc_spiffe_rule rule;
    struct nc_err err;
    size_t td_len = 0;
    if (size > 4096)
        return 0;
    char *s = malloc(size > 0 ? size : 1u);
    CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);

    bool want = ref_valid(s, size, &td_len);
    int rc = nc_spiffe_id_parse(s, size, 0, &id, &err);
    CHECK(rc == 0 || rc < 0);
    CHECK((rc == 0) == want);
    if (rc == 0) {
        CHECK(id.len == size && memcmp(id.id, s, size) == 0 && id.id[size] == '\0');
        CHECK(id.td_len == td_len);
        bool has_path = size > 9 + td_len;
        CHECK((nc_spiffe_id_parse(s, size, NC_SPIFFE_REQUIRE_PATH, NULL, &err) == 0) == has_path);
        CHECK((nc_spiffe_id_parse(s, size, NC_SPIFFE_REQUIRE_ROOT, NULL, &err) == 0) == !has_path);
    }

    /* Rules need a NUL-terminated string. */
    char *z = malloc(size + 1);
    CHECK(z != NULL);
    if (size > 0)
        memcpy(z, data, size);
    z[size] = '\0';
    if (strlen(z) == size && nc_spiffe_rule_parse(z, &rule, &err) == 0) {
        char back[2100];
        CHECK(nc_spiffe_rule_format(&rule, back, sizeof(back), &err) == (int)size);
        CHECK(strcmp(back, z) == 0);
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            CHECK(nc_spiffe_id_parse_str(probes[i], 0, &probe, &err) == 0);
            bool m = nc_spiffe_rule_match(&rule, &probe);
            bool r;
            size_t pl = strlen(probes[i]);
            if (rule.kind == NC_SPIFFE_RULE_EXACT) {
                r = strcmp(probes[i], z) == 0;
            } else {
                /* prefix = the rule without its final star: the probe must extend it. */
                size_t plen = size - 1; /* keeps the '/' */
                r = pl > plen && memcmp(probes[i], z, plen) == 0;
            }
            CHECK(m == r);
        }
    }
    free(z);
    free(s);
    return 0;
}
