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

/* ---- Matching one validated pattern against many paths ---------------------------------
 * nc_glob_match validates its pattern on every call.  A caller that matches the same
 * patterns against many paths (the pod's workspace scan, thousands of entries) prepares each
 * pattern once: nc_glob_prepare validates it and records what lets most non-matching names be
 * rejected after a byte or two.  The prepared pattern refers to the pattern's storage, which
 * must outlive it.  Every answer is the one nc_glob_match gives (tests/unit/test_glob_fast.c
 * compares them over random patterns and paths). */
struct nc_glob_prep {
    const char *pattern;
    size_t len;      /* strlen(pattern) */
    size_t prefix;   /* leading bytes before the first wildcard */
    size_t suffix;   /* trailing bytes after the last wildcard (used when has_star) */
    size_t min_len;  /* bytes a component matching an unanchored pattern has at least */
    bool unanchored; /* no '/': matches a component at any depth */
    bool literal;    /* no wildcard */
    bool has_star;   /* contains '*' */
};

/* Validates the pattern (nc_glob_check) and prepares it.  Returns NULL, or the reason the
 * pattern is malformed (then *out is unusable). */
const char *nc_glob_prepare(const char *pattern, struct nc_glob_prep *out);
/* nc_glob_match(g->pattern, path), without validating the pattern again. */
bool nc_glob_prep_match(const struct nc_glob_prep *g, const char *path);
/* For an unanchored pattern: whether it matches the one component name[0..len).  For a path
 * with at least one component, nc_glob_match(pattern, path) holds exactly when this holds
 * for some component of the path; so a walk that tests each entry's name, and descends only
 * into directories none of whose names matched, gets nc_glob_match's answers.  False for an
 * anchored pattern. */
bool nc_glob_prep_match_name(const struct nc_glob_prep *g, const char *name, size_t len);
/* Whether some path strictly beneath the directory dir (normalized, not ".") could match.
 * Sound: false only when nc_glob_match is false for every path beneath dir.  True for every
 * unanchored pattern and for every pattern with a "**" component that is reached. */
bool nc_glob_prep_may_match_below(const struct nc_glob_prep *g, const char *dir);

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
