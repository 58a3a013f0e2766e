/* SPDX-License-Identifier: Apache-2.0 */
/* A parser and matcher for .gitignore files, used by grep to skip what git ignores.  The bytes
 * come from the workspace (the agent may write them), so the parser is bounded and fuzzed and
 * the matcher runs in O(pattern x path) time whatever the pattern: no backtracking.
 *
 * Syntax (gitignore(5)): one pattern per line; blank lines and lines starting with '#' are
 * skipped; trailing spaces are dropped unless escaped with '\'; a trailing "\r" is dropped; a
 * leading '!' negates (re-includes); a trailing '/' matches directories only; a pattern with a
 * '/' at the start or in the middle is anchored to the directory of the .gitignore, one
 * without matches the last component at any depth; '*' and '?' never match '/'; "[...]"
 * classes (ranges, '!' or '^' negation, [:alpha:]-style names, '\' escapes); "**" as a whole
 * component matches any number of directories ("**" + "/x", "a/" + "**" + "/b", "a/" + "**"), any other
 * run of stars is one '*'; '\' escapes the next character.  A pattern that git would refuse to
 * match (unterminated class, unknown class name, trailing backslash) matches nothing.
 * Matching is by bytes and case-sensitive (core.ignorecase=false). */
#ifndef NC_PROXY_GITIGNORE_H
#define NC_PROXY_GITIGNORE_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define NC_GITIGNORE_MAX_BYTES ((size_t)1 << 20) /* bytes parsed per file; the rest is ignored */
#define NC_GITIGNORE_MAX_PATTERNS 10000u       /* patterns kept per file; later ones dropped */
#define NC_GITIGNORE_MAX_LINE 4096u            /* longer lines are skipped */

enum nc_gitignore_verdict {
    NC_GITIGNORE_NONE = 0, /* no pattern matched: the parent level decides */
    NC_GITIGNORE_IGNORED,  /* the last matching pattern ignores the path */
    NC_GITIGNORE_KEPT,     /* the last matching pattern is a negation ("!x") */
};

struct nc_gitignore;

/* Parses `len` bytes (any bytes; at most NC_GITIGNORE_MAX_BYTES are read).  Returns NULL only
 * on allocation failure (ENOMEM). */
struct nc_gitignore *nc_gitignore_parse(const char *data, size_t len, struct nc_err *err);
void nc_gitignore_free(struct nc_gitignore *g);
/* Patterns kept (for tests and limits). */
size_t nc_gitignore_count(const struct nc_gitignore *g);
/* Matches `path` (relative to the directory holding the .gitignore, '/'-separated, no leading
 * '/', `len` bytes) against the patterns; the last matching one decides. */
enum nc_gitignore_verdict nc_gitignore_match(const struct nc_gitignore *g, const char *path,
                                             size_t len, bool is_dir);

#endif
