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

/* One past the last path byte of the run starting at i. */
static size_t run_end(const char *msg, size_t i)
{
    while (msg[i] != '\0' && is_path_byte((unsigned char)msg[i]))
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

/* Length of root when msg + i starts with it at a component boundary, else 0.  The byte
 * after the root must end the token or be a '/': "/var/sb/x" and "/var/sb: " match
 * "/var/sb", "/var/sbx" does not.  The root may contain bytes a token does not (a space). */
static size_t match_root(const char *msg, size_t i, const char *root, size_t rn)
{
    unsigned char next;
    if (rn == 0)
        return 0;
    for (size_t k = 0; k < rn; k++)
        if (msg[i + k] != root[k]) /* stops at msg's NUL: root[k] is never NUL for k < rn */
            return 0;
    next = (unsigned char)msg[i + rn];
    if (next == '\0' || next == '/' || !is_path_byte(next))
        return rn;
    return 0;
}

struct sink {
    char *out;
    size_t size;
    size_t len; /* the full length, as if out were large enough */
};

static void put(struct sink *s, const char *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (s->size > 0 && s->len < s->size - 1u)
            s->out[s->len] = p[k];
        if (s->len < SIZE_MAX)
            s->len++;
    }
}

static void put_str(struct sink *s, const char *p)
{
    put(s, p, strlen(p));
}

size_t nc_sanitize(const char *msg, const char *sandbox_root, const char *home, char *out,
                   size_t outsz)
{
    struct sink s = {out, out != NULL ? outsz : 0u, 0};
    size_t rn = root_len(sandbox_root), hn = root_len(home);
    size_t i = 0;

    if (msg == NULL)
        msg = "";
    while (msg[i] != '\0') {
        size_t end, m;

        if (msg[i] != '/' || !path_starts(msg, i)) {
            put(&s, msg + i, 1);
            i++;
            continue;
        }
        end = run_end(msg, i);
        /* The sandbox root first: it may lie inside home. */
        m = match_root(msg, i, sandbox_root, rn);
        if (m > 0) {
            put_str(&s, MARK_SANDBOX);
        } else {
            m = match_root(msg, i, home, hn);
            if (m > 0)
                put_str(&s, MARK_HOME);
        }
        if (m > 0) {
            size_t tail = i + m;
            size_t tail_end = msg[tail] == '/' ? run_end(msg, tail) : tail;
            put(&s, msg + tail, tail_end - tail);
            i = tail_end;
            continue;
        }
        /* A run of slashes only ("/", "//") names no file and reveals nothing. */
        size_t k = i;
        while (k < end && msg[k] == '/')
            k++;
        if (k == end)
            put(&s, msg + i, end - i);
        else
            put_str(&s, MARK_PATH);
        i = end;
    }
    if (s.size > 0)
        s.out[s.len < s.size - 1u ? s.len : s.size - 1u] = '\0';
    return s.len;
}
