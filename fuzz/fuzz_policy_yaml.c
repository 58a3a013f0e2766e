/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for the strict YAML policy parser (src/policy/parse.c).
 *
 * Properties checked on every input (abort() on a violation, so libFuzzer keeps the input):
 *   - the parser returns 0 or a negative value; a failure carries a message that starts with
 *     "fuzz:<line>:<column>: " and is NUL-terminated within the buffer, and the output policy
 *     is left untouched;
 *   - a success leaves err untouched and yields a normalized policy that nc_policy_check
 *     accepts;
 *   - a success renders (nc_policy_emit_yaml) to a file that parses back to the same policy,
 *     name included, and renders again to the same bytes.
 * ASan, UBSan and LeakSanitizer catch the memory errors and leaks.  The input buffer has
 * exactly `size` bytes, so any read past the end is caught too. */
#include "policy/emit.h"
#include "policy/policy_file.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(const struct nc_policy *p, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL)
        abort();
    if (nc_policy_emit_yaml(p, f) != 0)
        abort();
    if (fclose(f) != 0)
        abort();
    return buf;
}

static bool prefix_ok(const char *msg)
{
    size_t i = 5;
    if (strncmp(msg, "fuzz:", 5) != 0)
        return false;
    for (unsigned field = 0; field < 2; field++) {
        size_t start = i;
        while (msg[i] >= '0' && msg[i] <= '9')
            i++;
        if (i == start || msg[start] == '0' || msg[i] != ':')
            return false;
        i++;
    }
    return msg[i] == ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nc_policy p, back, pristine;
    struct nc_err err;
    char *yaml, *again;
    size_t len = 0, len2 = 0;
    int rc;

    memset(&pristine, 0x5a, sizeof(pristine));
    memcpy(&p, &pristine, sizeof(p));
    memset(&err, 0, sizeof(err));
    rc = nc_policy_parse_yaml((const char *)data, size, "fuzz", &p, &err);
    if (rc < 0) {
        if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL || !prefix_ok(err.msg) ||
            err.code == 0 || memcmp(&p, &pristine, sizeof(p)) != 0)
            abort();
        return 0;
    }
    if (rc != 0 || err.code != 0 || err.msg[0] != '\0' || nc_policy_check(&p) != NULL ||
        !nc_policy_is_safe(&p))
        abort();

    yaml = render(&p, &len);
    if (nc_policy_parse_yaml(yaml, len, "fuzz", &back, &err) != 0) {
        fprintf(stderr, "the rendering does not parse: %s\n%s\n", err.msg, yaml);
        abort();
    }
    if (!nc_policy_eq(&p, &back) || strcmp(p.name, back.name) != 0) {
        fprintf(stderr, "the rendering parses to a different policy:\n%s\n", yaml);
        abort();
    }
    again = render(&back, &len2);
    if (len != len2 || memcmp(yaml, again, len) != 0)
        abort();
    free(again);
    free(yaml);
    return 0;
}
