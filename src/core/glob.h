/* SPDX-License-Identifier: Apache-2.0 */
/* Workspace-relative path globs and lexical path normalization.  Pure; no allocation. */
#ifndef NC_CORE_GLOB_H
#define NC_CORE_GLOB_H

#include <stdbool.h>
#include <stddef.h>

#define NC_GLOB_MAX 1024 /* bytes in one pattern (the specification's pattern limit) */
#define NC_PATH_MAX 4096 /* bytes in one path (the specification's path limit) */

/* Pattern language (docs/policy.md, "Path patterns"):
 *   '*'   any run of characters inside one path component
 *   '?'   exactly one character inside one path component
 *   '**'  as a whole component: zero or more components
 * A pattern without '/' is unanchored: it matches a component of that name at any depth.
 * A pattern with '/' is anchored at the workspace root.
 * A pattern matches a path when it matches the path itself or any ancestor directory of it,
 * so `.ssh` covers `home/.ssh/id_rsa` and `src` covers everything under `src/`.
 * `path` must be normalized (nc_path_normalize); "." is the workspace root. */
bool nc_glob_match(const char *pattern, const char *path);

/* True when the pattern contains no wildcard, so it names exactly one path (or component). */
bool nc_glob_is_literal(const char *pattern);
/* True when the pattern has no '/' (matches a component at any depth). */
bool nc_glob_is_unanchored(const char *pattern);

/* Checks that a pattern is well formed: 1..NC_GLOB_MAX bytes, no control characters, no
 * leading or trailing '/', no empty, "." or ".." components.  Returns NULL when valid, else
 * a static reason. */
const char *nc_glob_check(const char *pattern);

/* Lexical normalization of a path given by a client, relative to the workspace root.
 * Relative paths are taken from the root.  An absolute path is accepted only when `root` is
 * non-NULL and the path is the root or lies beneath it (component-wise, so /ws does not cover
 * /ws2).  "." and empty components are dropped; ".." pops one component and a ".." that would
 * leave the root is an error (never silently dropped).  The result has no leading '/', is "."
 * for the root itself, and is written to out (NUL-terminated).
 * Returns 0, or -1 with *why set to a static reason.  Symlinks are resolved later by the kernel
 * (openat2 RESOLVE_BENEATH); this function only decides what the client asked for. */
int nc_path_normalize(const char *root, const char *in, char *out, size_t outsz, const char **why);

#endif
