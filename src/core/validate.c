/* SPDX-License-Identifier: Apache-2.0 */
/* Input validation with the specification's limits (see validate.h).
 *
 * Every input arrives as (pointer, length), never as a C string: JSON can carry "\u0000", and
 * a validator that stopped at the first NUL would bless a path or argument that the kernel
 * later truncates.  Each check reports the field, a static reason (no user bytes, so the
 * reason itself can never leak or inject anything) and the byte offset. */
#include "validate.h"

#include <stdint.h>
#include <string.h>

static int reject(struct nc_invalid *why, const char *field, const char *reason, size_t offset,
                  size_t index)
{
    if (why != NULL) {
        why->field = field;
        why->reason = reason;
        why->offset = offset;
        why->index = index;
    }
    return -1;
}

static bool is_control(unsigned char c)
{
    return c < 0x20u || c == 0x7fu;
}

/* The shared text rule: not missing, not empty (unless allowed), at most max bytes, no NUL,
 * no control character.  The length is checked before the bytes so that an oversized input
 * costs O(1). */
static int check_text(const char *s, size_t len, size_t max, bool allow_empty, const char *field,
                      const char *too_long, struct nc_invalid *why)
{
    if (s == NULL && len > 0)
        return reject(why, field, "is missing (NULL with a length)", 0, 0);
    if (len == 0 && !allow_empty)
        return reject(why, field, "is empty", 0, 0);
    if (len > max)
        return reject(why, field, too_long, max, 0);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0u)
            return reject(why, field, "contains a NUL byte", i, 0);
        if (is_control(c))
            return reject(why, field, "contains a control character", i, 0);
    }
    return 0;
}

int nc_validate_pattern(const char *s, size_t len, struct nc_invalid *why)
{
    if (check_text(s, len, NC_MAX_PATTERN, false, "pattern", "longer than 1024 bytes", why) < 0)
        return -1;
    return nc_redos_check(s, len, why);
}

int nc_validate_glob(const char *s, size_t len, struct nc_invalid *why)
{
    /* Globs are matched by our own linear-time matcher (glob.c), so "**" and "*?" are
     * harmless here; only the text rule applies. */
    return check_text(s, len, NC_MAX_PATTERN, false, "glob", "longer than 1024 bytes", why);
}

int nc_validate_query(const char *s, size_t len, struct nc_invalid *why)
{
    return check_text(s, len, NC_MAX_QUERY, true, "query", "longer than 512 bytes", why);
}

int nc_validate_path(const char *s, size_t len, struct nc_invalid *why)
{
    return check_text(s, len, NC_MAX_PATH, false, "path", "longer than 4096 bytes", why);
}

int nc_validate_argv(const char *const *argv, const size_t *lens, size_t argc,
                     struct nc_invalid *why)
{
    size_t total = 0;

    /* Fail closed: an empty argv names no program; there is nothing sensible to run. */
    if (argc == 0)
        return reject(why, "argv", "is empty (no program)", 0, 0);
    if (argc > NC_MAX_ARGS)
        return reject(why, "argv", "more than 256 arguments", 0, NC_MAX_ARGS);
    if (argv == NULL || lens == NULL)
        return reject(why, "argv", "is missing (NULL)", 0, 0);

    /* Total size first, with checked addition: lens[] comes from the caller and a wrapped
     * sum would make a huge argv look small. */
    for (size_t i = 0; i < argc; i++) {
        size_t before = total;
        if (__builtin_add_overflow(total, lens[i], &total) || total > NC_MAX_COMMAND)
            return reject(why, "argv", "longer than 16384 bytes in total", NC_MAX_COMMAND - before,
                          i);
    }

    for (size_t i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a == NULL)
            return reject(why, "argv", "contains a NULL argument", 0, i);
        for (size_t j = 0; j < lens[i]; j++) {
            unsigned char c = (unsigned char)a[j];
            if (c == 0u)
                return reject(why, "argv", "contains a NUL byte", j, i);
            /* Tab and newline are ordinary argument bytes (a commit message, a heredoc-like
             * argument); no shell ever sees argv, so they cannot split words. */
            if (is_control(c) && c != '\t' && c != '\n')
                return reject(why, "argv", "contains a control character other than tab or newline",
                              j, i);
        }
    }
    return 0;
}

int nc_validate_stdin(size_t len, struct nc_invalid *why)
{
    if (len > NC_MAX_STDIN)
        return reject(why, "stdin", "longer than 1048576 bytes", NC_MAX_STDIN, 0);
    return 0;
}

/* ---- URLs ---------------------------------------------------------------------------------- */

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Case-insensitive prefix test over (s, len); lit is lower-case. */
static bool has_prefix_ci(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* host[0..n) is all digits and dots in four labels of 0..255 without leading zeros. */
static bool is_canonical_ipv4(const char *h, size_t n)
{
    size_t labels = 0, i = 0;
    while (i <= n) {
        size_t start = i;
        unsigned value = 0;
        while (i < n && is_digit((unsigned char)h[i])) {
            if (i - start >= 3)
                return false;
            value = value * 10u + (unsigned)((unsigned char)h[i] - '0');
            i++;
        }
        size_t digits = i - start;
        if (digits == 0 || value > 255u || (digits > 1 && h[start] == '0'))
            return false;
        labels++;
        if (i == n)
            break;
        if (h[i] != '.')
            return false;
        i++;
    }
    return labels == 4;
}

/* Checks the host text s[b..e) (already known to be non-empty). */
static int check_host(const char *s, size_t b, size_t e, struct nc_invalid *why)
{
    size_t label = b, last_label = b;

    if (e - b > 253u)
        return reject(why, "url", "host longer than 253 bytes", b, 0);
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == label)
                return reject(why, "url", "host has an empty label (leading or doubled dot)", i, 0);
            label = i + 1;
            last_label = label;
            continue;
        }
        if (!is_alnum(c) && c != '-' && c != '_')
            return reject(why, "url",
                          "host contains a byte other than a letter, digit, '-', '_' or '.'", i,
                          0);
        if (i - label >= 63u)
            return reject(why, "url", "host label longer than 63 bytes", i, 0);
    }
    /* A trailing dot is a valid absolute DNS name but a second spelling of the same host;
     * refusing it keeps host rules exact. */
    if (label == e)
        return reject(why, "url", "host has an empty label (trailing dot)", e - 1u, 0);
    /* No top-level domain starts with a digit, so such a host is meant as an IPv4 address and
     * must be written canonically (see validate.h). */
    if (is_digit((unsigned char)s[last_label]) && !is_canonical_ipv4(s + b, e - b))
        return reject(why, "url", "numeric host is not a dotted-quad IPv4 address", b, 0);
    return 0;
}

int nc_validate_url(const char *s, size_t len, struct nc_url *out, struct nc_invalid *why)
{
    struct nc_url u;
    size_t p, auth_end, host_end;

    memset(&u, 0, sizeof(u));
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (s == NULL && len > 0)
        return reject(why, "url", "is missing (NULL with a length)", 0, 0);
    if (len == 0)
        return reject(why, "url", "is empty", 0, 0);
    if (len > NC_MAX_URL)
        return reject(why, "url", "longer than 2048 bytes", NC_MAX_URL, 0);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0u)
            return reject(why, "url", "contains a NUL byte", i, 0);
        if (is_control(c))
            return reject(why, "url", "contains a control character", i, 0);
        if (c == ' ')
            return reject(why, "url", "contains a space", i, 0);
    }

    if (has_prefix_ci(s, len, "https://")) {
        u.https = true;
        p = 8;
    } else if (has_prefix_ci(s, len, "http://")) {
        p = 7;
    } else {
        return reject(why, "url", "scheme is not http:// or https://", 0, 0);
    }

    auth_end = p;
    while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
        auth_end++;
    for (size_t i = p; i < auth_end; i++)
        if (s[i] == '@')
            return reject(why, "url", "contains userinfo ('@' before the host)", i, 0);
    if (p < auth_end && s[p] == '[')
        return reject(why, "url", "IPv6 literal hosts are not accepted", p, 0);

    host_end = p;
    while (host_end < auth_end && s[host_end] != ':')
        host_end++;
    if (host_end == p)
        return reject(why, "url", "has no host", p, 0);
    if (check_host(s, p, host_end, why) < 0)
        return -1;
    for (size_t i = p; i < host_end; i++)
        u.host[i - p] = (char)ascii_lower((unsigned char)s[i]);
    u.host[host_end - p] = '\0';

    if (host_end < auth_end) {
        /* s[host_end] == ':' */
        size_t i = host_end + 1;
        unsigned port = 0;
        if (i == auth_end)
            return reject(why, "url", "port is empty", host_end, 0);
        for (; i < auth_end; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!is_digit(c))
                return reject(why, "url", "port is not a decimal number", i, 0);
            port = port * 10u + (unsigned)(c - '0');
            /* Checked every digit, so the value never exceeds 655359 and cannot wrap. */
            if (port > 65535u)
                return reject(why, "url", "port is not in 1..65535", host_end + 1, 0);
        }
        if (port == 0u)
            return reject(why, "url", "port is not in 1..65535", host_end + 1, 0);
        u.port = port;
    } else {
        u.port = u.https ? 443u : 80u;
    }

    if (out != NULL)
        *out = u;
    return 0;
}
