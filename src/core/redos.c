/* SPDX-License-Identifier: Apache-2.0 */
/* PLACEHOLDER: being written. */
#include "validate.h"
#include "sanitize.h"
int nc_redos_check(const char *re, size_t len, struct nc_invalid *why) { (void)re; (void)len; why->field = "pattern"; why->reason = "not implemented"; why->offset = 0; why->index = 0; return -1; }
