/* SPDX-License-Identifier: Apache-2.0 */
/* Rendering a policy as a YAML policy file (which parses back to the same policy) or as JSON. */
#ifndef NC_POLICY_EMIT_H
#define NC_POLICY_EMIT_H

#include "core/policy.h"

#include <jansson.h>
#include <stdio.h>

/* Writes a complete, valid policy document.  Returns 0 or -1 (write error). */
int nc_policy_emit_yaml(const struct nc_policy *p, FILE *f);
/* A new JSON object (caller owns the reference), or NULL on allocation failure. */
json_t *nc_policy_to_json(const struct nc_policy *p);
json_t *nc_list_to_json(const struct nc_list *l);

#endif
