/* SPDX-License-Identifier: Apache-2.0 */
/* PLACEHOLDER: being written. */
#include "policy_file.h"
#include <errno.h>
int nc_policy_parse_yaml(const char *buf, size_t len, const char *source, struct nc_policy *out, struct nc_err *err)
{
    (void)buf; (void)len; (void)out;
    return nc_err_set(err, ENOSYS, "%s: policy files are not supported yet", source);
}
