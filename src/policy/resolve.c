/* SPDX-License-Identifier: Apache-2.0 */
/* Profile-or-file resolution and composition by meet (see policy_file.h). */
#include "policy_file.h"

#include "core/profiles.h"
#include "util/cleanup.h"
#include "util/file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nc_policy_load_file(const char *path, struct nc_policy *out, struct nc_err *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;

    buf = nc_read_file(path, NC_POLICY_FILE_MAX, &len, err);
    if (buf == NULL)
        return -1;
    return nc_policy_parse_yaml(buf, len, path, out, err);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int nc_policy_resolve(const char *spec, struct nc_policy *out, struct nc_err *err)
{
    bool is_file = strchr(spec, '/') != NULL || ends_with(spec, ".yaml") || ends_with(spec, ".yml");

    if (!is_file && nc_profile_load(spec, out) == 0)
        return 0;
    if (!is_file) {
        if (access(spec, F_OK) != 0)
            return nc_err_set(err, ENOENT,
                              "'%s' is neither a built-in profile nor a file (see 'nucleus "
                              "profiles')",
                              spec);
    }
    return nc_policy_load_file(spec, out, err);
}

int nc_policy_compose(const char *const *specs, size_t n, struct nc_policy *out,
                      struct nc_err *err)
{
    _cleanup_free_ struct nc_policy *acc = NULL;
    _cleanup_free_ struct nc_policy *next = NULL;
    const char *why = NULL;

    if (n == 0)
        return nc_err_set(err, EINVAL, "no policy given");
    acc = malloc(sizeof(*acc));
    next = malloc(sizeof(*next));
    if (acc == NULL || next == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (nc_policy_resolve(specs[0], acc, err) < 0)
        return -1;
    for (size_t i = 1; i < n; i++) {
        if (nc_policy_resolve(specs[i], next, err) < 0)
            return -1;
        if (nc_policy_meet(acc, next, out, &why) < 0)
            return nc_err_set(err, E2BIG, "cannot compose '%s' with the policies before it: %s",
                              specs[i], why);
        memcpy(acc, out, sizeof(*acc));
    }
    memcpy(out, acc, sizeof(*out));
    return 0;
}
