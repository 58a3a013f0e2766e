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
#define NC_MAX_STDIN (1024u * 1024u) /* stdin for a command */
#define NC_MAX_URL 2048u            /* URLs */
#define NC_REDOS_MAX_REPEAT 100u    /* largest bound in a counted repetition */

struct nc_invalid {
    const char *field;  /* "pattern", "query", "path", "argv[3]"-style is not built: "argv" */
    const char *reason; /* static text, no user bytes */
    size_t offset;      /* byte offset of the problem in the input (0 when not positional) */
    size_t index;       /* argv index for "argv" (0 otherwise) */
};

/* Each returns 0 when valid, -1 with *why filled otherwise. */
int nc_validate_pattern(const char *s, size_t len, struct nc_invalid *why); /* regex: + ReDoS */
int nc_validate_glob(const char *s, size_t len, struct nc_invalid *why);
int nc_validate_query(const char *s, size_t len, struct nc_invalid *why);
int nc_validate_path(const char *s, size_t len, struct nc_invalid *why);
/* argv[i] has length lens[i]; tab and newline are allowed in arguments, other controls not. */
int nc_validate_argv(const char *const *argv, const size_t *lens, size_t argc,
                     struct nc_invalid *why);
int nc_validate_stdin(size_t len, struct nc_invalid *why);

/* A parsed http(s) URL; host is lower-cased; port is the explicit or default port. */
struct nc_url {
    bool https;
    char host[254];
    unsigned port;
};
/* Accepts only http:// and https:// URLs with a host, no userinfo ("user:pass@"), no control
 * characters or spaces, a valid port, at most NC_MAX_URL bytes. */
int nc_validate_url(const char *s, size_t len, struct nc_url *out, struct nc_invalid *why);

/* The ReDoS screen over a regular expression (PCRE2 syntax).  Rejects nested quantifiers
 * ((a+)+, ((a+))*, (a|b+)*), quantified groups whose alternatives overlap ((a|a)+, (a|ab)*,
 * (\w|\d)+), and counted repetition above NC_REDOS_MAX_REPEAT or nested counted repetition
 * whose product exceeds it.  Sound for these classes by over-approximation: it may reject a
 * safe pattern, never accept one of these shapes. Returns 0 safe, -1 with *why filled. */
int nc_redos_check(const char *re, size_t len, struct nc_invalid *why);

#endif
