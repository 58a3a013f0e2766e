/* SPDX-License-Identifier: Apache-2.0 */
/* Built-in profiles: named, normalized policies documented in docs/policy.md.  Pure. */
#ifndef NC_CORE_PROFILES_H
#define NC_CORE_PROFILES_H

#include "policy.h"

#include <stddef.h>

size_t nc_profile_count(void);
const char *nc_profile_name(size_t i);    /* canonical name, e.g. "fix-issue" */
const char *nc_profile_summary(size_t i); /* one line */
/* Loads a profile by name ('_' and '-' are interchangeable; nothing else is guessed).
 * Returns 0, or -1 for an unknown name.  The result is normalized. */
int nc_profile_load(const char *name, struct nc_policy *out);
int nc_profile_load_index(size_t i, struct nc_policy *out);

#endif
