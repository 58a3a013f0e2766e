/* SPDX-License-Identifier: Apache-2.0 */
/* Allowlists and denylists of paths, commands and domains.  "Unrestricted" is an explicit
 * flag, never an empty list; meet of allowlists is a sound intersection.  Pure; fixed-size. */
#ifndef NC_CORE_LIST_H
#define NC_CORE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_LIST_MAX_ITEMS 64
#define NC_LIST_MAX_BYTES 8192
#define NC_ITEM_MAX 1024 /* bytes in one entry */
#define NC_DOMAIN_MAX 253

enum nc_list_kind {
    NC_LIST_PATHS = 0, /* path globs (glob.h) */
    NC_LIST_COMMANDS,  /* argv word prefixes: "cargo test" admits cargo test --release */
    NC_LIST_DOMAINS,   /* host names, or "*.example.com" for every proper subdomain */
    NC_LIST_URLS,      /* git remote URLs: exact ("https://h/o/r.git"), or a prefix ending
                          in '/' ("https://h/o/" admits every repository under o) */
};

/* Entries are kept sorted (bytewise) and unique, so equal lists have equal representations. */
struct nc_list {
    uint8_t kind;      /* enum nc_list_kind */
    bool unrestricted; /* only meaningful for allowlists: everything is allowed */
    uint16_t count;
    uint16_t used; /* bytes used in buf */
    uint16_t off[NC_LIST_MAX_ITEMS];
    char buf[NC_LIST_MAX_BYTES];
};

void nc_list_init(struct nc_list *l, enum nc_list_kind kind, bool unrestricted);
/* Adds one entry after checking it is well formed for the list's kind.  Domains are
 * lower-cased.  Adding an entry already present is a no-op.  Adding to an unrestricted list
 * is an error (the two are exclusive).  Returns 0, or -1 with *why set. */
int nc_list_add(struct nc_list *l, const char *item, const char **why);
const char *nc_list_item(const struct nc_list *l, size_t i);
bool nc_list_has(const struct nc_list *l, const char *item); /* exact entry */
bool nc_list_eq(const struct nc_list *a, const struct nc_list *b);
/* Returns NULL when the entry is well formed for the kind, else a static reason. */
const char *nc_list_check_item(enum nc_list_kind kind, const char *item);

/* covered(item, l): everything `item` admits is admitted by some entry of l (sound, syntactic:
 * may answer false for a semantically covered item, never true for an uncovered one). */
bool nc_list_covers(const struct nc_list *l, const char *item);

/* Allowlist order: a <= b when b is unrestricted or every entry of a is covered by b. */
bool nc_allow_leq(const struct nc_list *a, const struct nc_list *b);
/* Allowlist meet: unrestricted is the identity; otherwise the entries of each side that the
 * other side covers.  Never admits anything that either side refuses.  Not associative and
 * not the greatest lower bound in general (docs/design/0003-allowlist-meet.md).  For every
 * meet and join here, out must not alias a or b. */
int nc_allow_meet(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                  const char **why);
/* Allowlist join: union (unrestricted absorbs). */
int nc_allow_join(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                  const char **why);
/* Denylist order (more entries is tighter): a <= b when a contains every entry of b. */
bool nc_deny_leq(const struct nc_list *a, const struct nc_list *b);
/* Denylist meet is union, join is intersection. */
int nc_deny_meet(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                 const char **why);
int nc_deny_join(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                 const char **why);

/* Matching.  Each returns the index of the first matching entry, or -1.  An unrestricted list
 * returns NC_LIST_MATCH_ALL.  `path` must be normalized. */
#define NC_LIST_MATCH_ALL (-2)
int nc_list_match_path(const struct nc_list *l, const char *path);
/* Allow semantics: the entry's words are a prefix of argv.  An entry whose first word has no
 * '/' matches argv[0] only when argv[0] has no '/' either (resolved on the pod's PATH). */
int nc_list_match_argv_prefix(const struct nc_list *l, const char *const *argv, size_t argc);
/* Deny semantics (wider on purpose): the first word matches the basename of any argv word, and
 * the remaining words follow it in order, not necessarily adjacent.  So "rm -rf" denies
 * `rm -v -rf x`, `/bin/rm -rf x` and `env rm -rf x`.  A short-option word ("-rf", "-c")
 * matches any short-option cluster holding all its letters ("-fr", "-lc"); a long option
 * ("--eval") also matches its "--eval=value" form. */
int nc_list_match_argv_deny(const struct nc_list *l, const char *const *argv, size_t argc);
int nc_list_match_domain(const struct nc_list *l, const char *host);
/* A remote URL: it must itself be a well-formed entry (canonical: lowercase scheme and host,
 * no userinfo, query, fragment, '%', '.' or '..' segment); it matches an equal entry or an
 * entry ending in '/' that is a prefix of it. */
int nc_list_match_url(const struct nc_list *l, const char *url);
/* The host of a well-formed URL entry (between "//" and the port or path) into out;
 * -1 when url is not a well-formed entry or out is too small. */
int nc_url_entry_host(const char *url, char *out, size_t outsz);

#endif
