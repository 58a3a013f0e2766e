/* SPDX-License-Identifier: Apache-2.0 */
/* PLACEHOLDER: being written. */
#include "validate.h"
#include "sanitize.h"
static int no(struct nc_invalid *why)
{
    why->field = "input";
    why->reason = "validator not implemented";
    why->offset = 0;
    why->index = 0;
    return -1;
}
int nc_validate_pattern(const char *s, size_t len, struct nc_invalid *why) { (void)s; (void)len; return no(why); }
int nc_validate_glob(const char *s, size_t len, struct nc_invalid *why) { (void)s; (void)len; return no(why); }
int nc_validate_query(const char *s, size_t len, struct nc_invalid *why) { (void)s; (void)len; return no(why); }
int nc_validate_path(const char *s, size_t len, struct nc_invalid *why) { (void)s; (void)len; return no(why); }
int nc_validate_argv(const char *const *argv, const size_t *lens, size_t argc, struct nc_invalid *why) { (void)argv; (void)lens; (void)argc; return no(why); }
int nc_validate_stdin(size_t len, struct nc_invalid *why) { (void)len; return no(why); }
int nc_validate_url(const char *s, size_t len, struct nc_url *out, struct nc_invalid *why) { (void)s; (void)len; (void)out; return no(why); }
