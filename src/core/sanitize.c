/* SPDX-License-Identifier: Apache-2.0 */
/* Error sanitization (see sanitize.h for the contract and the token rules).
 *
 * Why a token scanner and not plain search-and-replace (the original): replacing the root
 * text anywhere also rewrote "/var/sbx" into "[sandbox]x", and its generic rule only caught
 * runs longer than five bytes that start with a letter, so "/etc" or "/.ssh/id_rsa" leaked.
 * Here every absolute path token is classified as a whole: under the sandbox root, under
 * home, or anything else, and anything else is replaced entirely. */
#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MARK_SANDBOX "[sandbox]"
#define MARK_HOME "[home]"
#define MARK_PATH "[path]"

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Bytes a path token continues over.  Non-ASCII bytes are included so that a UTF-8 file
 * name is never cut in two (the second half could otherwise start a new token and escape
 * the replacement). */
static bool is_path_byte(unsigned char c)
{
    if (is_alnum(c) || c >= 0x80u)
        return true;
    switch (c) {
    case '/': case '.': case '_': case '-': case '+': case '@': case '%': case '~':
        return true;
    default:
        return false;
    }
}

/* A '/' right after one of these is inside a word ("and/or", "a.b/c", "x_/y", "~/.ssh"), not
 * the start of an absolute path. */
static bool glues_to_word(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '~' || c == '/';
}

/* msg[i] == '/' begins an absolute path token. */
static bool path_starts(const char *msg, size_t i)
{
    return i == 0 || !glues_to_word((unsigned char)msg[i - 1u]);
}

/* One past the last path byte of the run starting at i (msg has length n, i <= n). */
static size_t run_end(const char *msg, size_t n, size_t i)
{
    while (i < n && is_path_byte((unsigned char)msg[i]))
        i++;
    return i;
}

/* A root as given, minus trailing slashes; length 0 when unusable (NULL, empty, "/", or not
 * absolute: "/" would turn every path into "[sandbox]/etc/..." and reveal it). */
static size_t root_len(const char *root)
{
    size_t n;
    if (root == NULL || root[0] != '/')
        return 0;
    n = strlen(root);
    while (n > 0 && root[n - 1u] == '/')
        n--;
    return n;
}

/* Index one past the root when msg + i starts with it at a component boundary, else 0 (a
 * match ends after i, so 0 is never a match).  The byte after the root must end the token or
 * be a '/': "/var/sb/x" and "/var/sb: " match "/var/sb", "/var/sbx" does not.  The root may
 * contain bytes a token does not (a space).  msg has length n; every read is below n. */
static size_t match_root(const char *msg, size_t n, size_t i, const char *root, size_t rn)
{
    size_t j = i;
    unsigned char next;

    if (rn == 0)
        return 0;
    for (size_t k = 0; k < rn; k++, j++)
        if (j >= n || msg[j] != root[k])
            return 0;
    next = j < n ? (unsigned char)msg[j] : '\0';
    if (next == '\0' || next == '/' || !is_path_byte(next))
        return j;
    return 0;
}

struct sink {
    char *out;
    size_t size;
    size_t len; /* the full length, as if out were large enough */
};

static void put_byte(struct sink *s, char c)
{
    if (s->size > 0 && s->len < s->size - 1u)
        s->out[s->len] = c;
    if (s->len < SIZE_MAX)
        s->len++;
}

/* msg[from..to), to <= the length of msg. */
static void put_span(struct sink *s, const char *msg, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        put_byte(s, msg[k]);
}

static void put_str(struct sink *s, const char *p)
{
    put_span(s, p, 0, strlen(p));
}

size_t nc_sanitize(const char *msg, const char *sandbox_root, const char *home, char *out,
                   size_t outsz)
{
    struct sink s = {out, out != NULL ? outsz : 0u, 0};
    size_t rn = root_len(sandbox_root), hn = root_len(home);
    size_t n, i = 0;

    if (msg == NULL)
        msg = "";
    /* Every index below is checked against n, so each read's bound is visible where it is
     * made (and the analyser proves it, proofs/README.md). */
    n = strlen(msg);
    while (i < n) {
        size_t end, tail;

        if (msg[i] != '/' || !path_starts(msg, i)) {
            put_span(&s, msg, i, i + 1u);
            i++;
            continue;
        }
        end = run_end(msg, n, i);
        /* The sandbox root first: it may lie inside home.  tail is one past the root. */
        tail = match_root(msg, n, i, sandbox_root, rn);
        if (tail > 0) {
            put_str(&s, MARK_SANDBOX);
        } else {
            tail = match_root(msg, n, i, home, hn);
            if (tail > 0)
                put_str(&s, MARK_HOME);
        }
        if (tail > 0) {
            size_t tail_end = tail < n && msg[tail] == '/' ? run_end(msg, n, tail) : tail;
            put_span(&s, msg, tail, tail_end);
            i = tail_end;
            continue;
        }
        /* A run of slashes only ("/", "//") names no file and reveals nothing. */
        size_t k = i;
        while (k < end && msg[k] == '/')
            k++;
        if (k == end)
            put_span(&s, msg, i, end);
        else
            put_str(&s, MARK_PATH);
        i = end;
    }
    if (s.size > 0)
        s.out[s.len < s.size - 1u ? s.len : s.size - 1u] = '\0';
    return s.len;
}
