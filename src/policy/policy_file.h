/* SPDX-License-Identifier: Apache-2.0 */
/* Policy files (YAML, apiVersion nucleus/v1, kind Policy): strict parsing, and resolution of a
 * profile name or file name, composed by meet.  The schema is documented in docs/policy.md. */
#ifndef NC_POLICY_FILE_H
#define NC_POLICY_FILE_H

#include "core/policy.h"
#include "util/err.h"

#include <stddef.h>

#define NC_POLICY_FILE_MAX ((size_t)1024 * 1024) /* bytes in one policy file */

/* Parses one policy document.  Strict: unknown keys, unknown capabilities or operations, wrong
 * types, duplicate keys, duplicate list entries, missing required keys, anchors, aliases, tags
 * and multiple documents are errors.  Error messages start with "<source>:<line>:<column>: ".
 * On success *out is a normalized policy. */
int nc_policy_parse_yaml(const char *buf, size_t len, const char *source, struct nc_policy *out,
                         struct nc_err *err);
int nc_policy_load_file(const char *path, struct nc_policy *out, struct nc_err *err);
/* A built-in profile name, or else a path to a policy file.  A spec containing '/' or ending in
 * ".yaml"/".yml" is always a file. */
int nc_policy_resolve(const char *spec, struct nc_policy *out, struct nc_err *err);
/* The meet of every spec (n >= 1), normalized.  Composition can only tighten. */
int nc_policy_compose(const char *const *specs, size_t n, struct nc_policy *out,
                      struct nc_err *err);

#endif
