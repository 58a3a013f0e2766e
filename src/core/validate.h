/* SPDX-License-Identifier: Apache-2.0 */
/* Input validation with the specification's limits, and the ReDoS screen.  Every rejection
 * names the field, the reason and the byte offset.  Pure; inputs are (pointer, length) so an
 * embedded NUL (JSON "\u0000") is seen and refused. */
#ifndef NC_CORE_VALIDATE_H
#define NC_CORE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#define NC_MAX_PATTERN 1024u        /* glob and regex patterns */
#define NC_MAX_QUERY 512u           /* web search queries */
#define NC_MAX_PATH 4096u           /* file paths */
#define NC_MAX_COMMAND 16384u       /* all argv bytes together */
#define NC_MAX_ARGS 256u            /* argv entries */
#define NC_MAX_STDIN 1048576u      /* stdin for a command (1 MiB) */
#define NC_MAX_URL 2048u            /* URLs */
#define NC_REDOS_MAX_REPEAT 100u    /* largest bound in a counted repetition */
#define NC_REDOS_MAX_DEPTH 32u      /* deepest group nesting the ReDoS screen accepts */
#define NC_REDOS_MAX_WAYS 65536u    /* most ways bounded optional/counted parts may combine */

struct nc_invalid {
    const char *field;  /* "pattern", "glob", "query", "path", "argv", "stdin" or "url" */
    const char *reason; /* static text, no user bytes */
    size_t offset;      /* byte offset of the problem in the input (0 when not positional) */
    size_t index;       /* argv index for "argv" (0 otherwise) */
};

/* Each returns 0 when valid, -1 with *why filled otherwise (why may be NULL to only test).
 * Lengths are rejected only when strictly greater than the limit.  "Control character" means
 * a byte below 0x20 or 0x7f; a NUL is reported as its own reason.  Bytes >= 0x80 (UTF-8) pass.
 * A NULL s with len > 0 is rejected. */
/* regex: 1..NC_MAX_PATTERN bytes, no NUL or control character, then nc_redos_check. */
int nc_validate_pattern(const char *s, size_t len, struct nc_invalid *why);
/* glob (star, double star and question-mark wildcards are fine): 1..NC_MAX_PATTERN bytes, no
 * NUL or control character; no ReDoS screen (globs are matched in linear time). */
int nc_validate_glob(const char *s, size_t len, struct nc_invalid *why);
/* web search query: 0..NC_MAX_QUERY bytes (empty is accepted), no NUL or control. */
int nc_validate_query(const char *s, size_t len, struct nc_invalid *why);
/* path: 1..NC_MAX_PATH bytes, no NUL or control.  No canonicalisation: that is the path
 * policy's job (glob.h). */
int nc_validate_path(const char *s, size_t len, struct nc_invalid *why);
/* argv[i] has length lens[i]; 1..NC_MAX_ARGS entries (an empty argv has no program and is
 * rejected), at most NC_MAX_COMMAND bytes together (separators not counted), no NULL entry,
 * no NUL; tab and newline are allowed in arguments, other controls not.  why->index names
 * the argument, why->offset the byte inside it. */
int nc_validate_argv(const char *const *argv, const size_t *lens, size_t argc,
                     struct nc_invalid *why);
/* stdin for a command: at most NC_MAX_STDIN bytes; the contents are not inspected. */
int nc_validate_stdin(size_t len, struct nc_invalid *why);

/* A parsed http(s) URL; host is lower-cased; port is the explicit or default port. */
struct nc_url {
    bool https;
    char host[254];
    unsigned port;
};
/* Accepts only http:// and https:// URLs with a host, no userinfo ("user:pass@"), no control
 * characters or spaces, a valid port, at most NC_MAX_URL bytes.  In detail:
 *   - the scheme is matched case-insensitively; everything up to the first '/', '?' or '#'
 *     after "//" is the authority, and an '@' anywhere in it is refused (userinfo can hide
 *     the real host: "http://good.com@evil.com");
 *   - IPv6 literals ("http://[::1]/") are REFUSED: hosts are matched against name-based
 *     network policy, and a bracketed literal (zone ids, embedded IPv4, several spellings of
 *     one address) is easy to get wrong.  Use a name;
 *   - the host is 1..253 bytes of letters, digits, '-', '_' and '.', with no empty label
 *     (so no leading, trailing or doubled dot) and no label above 63 bytes; no '%'-escapes,
 *     no backslash, no non-ASCII (IDNs must be given in punycode);
 *   - a host whose last label starts with a digit must be a canonical dotted-quad IPv4
 *     address (four decimal numbers 0..255 without leading zeros): resolvers also read
 *     "2130706433", "0x7f.1" and "127.1" as 127.0.0.1, which would slip past host rules;
 *   - ":port" is 1..5 digits with a value 1..65535; an empty port ("host:") is refused;
 *     without a port, 80 (http) or 443 (https);
 *   - path, query and fragment are not inspected beyond the NUL/control/space rule.
 * out may be NULL; it is zeroed first and filled only on success. */
int nc_validate_url(const char *s, size_t len, struct nc_url *out, struct nc_invalid *why);

/* The ReDoS screen over a regular expression (PCRE2 syntax, default compile options).
 * Rejects nested quantifiers ((a+)+, ((a+))*, (a|b+)*), quantified groups whose alternatives
 * overlap ((a|a)+, (a|ab)*, (\w|\d)+), and counted repetition above NC_REDOS_MAX_REPEAT or
 * nested counted repetition whose product exceeds it.  Sound for these classes by
 * over-approximation: it may reject a safe pattern, never accept one of these shapes.
 * Returns 0 safe, -1 with *why filled (field "pattern", offset of the offending byte).
 *
 * How: one left-to-right parse with an explicit stack of at most NC_REDOS_MAX_DEPTH groups.
 * Escapes (\(, \d, \x{..}, \p{..}, \Q..\E) and character classes ([]a], [^]a], [[:alpha:]],
 * escapes inside) are parsed, so a '(' or '+' there is never read as syntax.  Every group
 * carries what it contains (an unbounded or variable quantifier, a backreference, a group
 * with overlapping alternatives), propagated outwards through unquantified groups.  Rules:
 *   - a group repeated without bound (+, *, {n,}) must contain no variable quantifier (a
 *     fixed {n} is fine: (a{2})+ is (aa)+), no backreference and no overlapping alternation;
 *   - a group repeated a bounded number of times (max > 1) must contain no unbounded
 *     quantifier or backreference; the product of nested upper bounds must stay <= 100;
 *   - a repeated group's alternatives must not overlap.  Two alternatives overlap when
 *     either is empty, either may start with something that is not a plain literal (., a
 *     class, \w-style escapes, a group, an anchor, a backreference, anything with minimum
 *     zero repetitions), or both start with the same literal, compared case-insensitively;
 *   - bounds above 100 ({101}, {1000,}), min > max, a quantifier on nothing and a
 *     quantifier directly after a quantifier (a**, a+*, a{2}{3}) are rejected; one lazy or
 *     possessive modifier (a+?, a*?, a++, a{2}?) is allowed;
 *   - bounded optional/counted parts multiply: a?a?a?... or (a?){20} has 2^n ways to match
 *     the same text; the estimate must stay <= NC_REDOS_MAX_WAYS.
 * Braces follow PCRE2: {n}, {n,}, {n,m} (and, as PCRE2 10.43 reads them, {,m} and spaces
 * inside) are quantifiers; any other '{' ("a{", "a{x}", "a{}", "a{,}") is a literal.
 * Refused outright because they defeat the analysis: recursion and subroutine calls ((?R),
 * (?1), (?&n), \g<1>), conditionals (?(..)), callouts (?C), (*VERB) and (*OPTION) items,
 * and the extended-mode option (?x) (it makes whitespace insignificant).  Syntax errors that
 * PCRE2 would refuse (unbalanced parentheses, unterminated class, trailing backslash) are
 * refused too.  NOT screened (the matcher must still run with match and depth limits):
 * polynomial backtracking from several unbounded quantifiers in sequence (.*.*.*x). */
int nc_redos_check(const char *re, size_t len, struct nc_invalid *why);

#endif
