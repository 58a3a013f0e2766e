/* SPDX-License-Identifier: Apache-2.0 */
/* Path globs and lexical normalization (see glob.h). */
#include "glob.h"

#include <string.h>

/* End of the component that starts at i. */
static size_t comp_end(const char *s, size_t i)
{
    while (s[i] != '\0' && s[i] != '/')
        i++;
    return i;
}

/* Start of the component after the one that ends at e. */
static size_t comp_next(const char *s, size_t e)
{
    return s[e] == '/' ? e + 1 : e;
}

static bool comp_is_globstar(const char *p, size_t ps, size_t pe)
{
    return pe - ps == 2 && p[ps] == '*' && p[ps + 1] == '*';
}

/* '*' and '?' inside one component; the classic single-backtrack algorithm, O(n*m) worst
 * case and no recursion. */
static bool comp_match(const char *p, size_t ps, size_t pe, const char *s, size_t ss, size_t se)
{
    size_t pi = ps, si = ss;
    size_t star_p = 0, star_s = 0;
    bool have_star = false;

    while (si < se) {
        if (pi < pe && p[pi] == '*') {
            have_star = true;
            star_p = pi++;
            star_s = si;
        } else if (pi < pe && (p[pi] == '?' || p[pi] == s[si])) {
            pi++;
            si++;
        } else if (have_star) {
            pi = star_p + 1;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pe && p[pi] == '*')
        pi++;
    return pi == pe;
}

/* Component-level matching where a "**" component matches any number of path components.
 * The same single-backtrack scheme as comp_match, one level up: each other pattern component
 * consumes exactly one path component, so the greedy algorithm is exact.
 * lead/trail add virtual "**" components before and after the pattern. */
static bool path_match(const char *p, bool lead, bool trail, const char *s)
{
    size_t pi = 0, si = 0;
    size_t star_p = 0, star_s = 0;
    bool have_star = lead, star_virtual = lead;
    size_t plen = strlen(p), slen = strlen(s);

    if (slen == 1 && s[0] == '.')
        slen = 0; /* the workspace root has no components */

    while (si < slen) {
        size_t pe = pi < plen ? comp_end(p, pi) : pi;
        size_t se = comp_end(s, si);
        if (pi < plen && comp_is_globstar(p, pi, pe)) {
            have_star = true;
            star_virtual = false;
            star_p = comp_next(p, pe);
            star_s = si;
            pi = star_p;
        } else if (pi < plen && comp_match(p, pi, pe, s, si, se)) {
            pi = comp_next(p, pe);
            si = comp_next(s, se);
        } else if (pi >= plen && trail) {
            return true; /* the rest of the path lies beneath a match */
        } else if (have_star) {
            /* the last "**" swallows one more path component */
            pi = star_virtual ? 0 : star_p;
            star_s = comp_next(s, comp_end(s, star_s));
            si = star_s;
        } else {
            return false;
        }
    }
    while (pi < plen) {
        size_t pe = comp_end(p, pi);
        if (!comp_is_globstar(p, pi, pe))
            return false;
        pi = comp_next(p, pe);
    }
    return true;
}

bool nc_glob_is_unanchored(const char *pattern)
{
    return strchr(pattern, '/') == NULL;
}

bool nc_glob_is_literal(const char *pattern)
{
    return strpbrk(pattern, "*?") == NULL;
}

bool nc_glob_match(const char *pattern, const char *path)
{
    if (nc_glob_check(pattern) != NULL)
        return false;
    return path_match(pattern, nc_glob_is_unanchored(pattern), true, path);
}

const char *nc_glob_check(const char *pattern)
{
    size_t n = strnlen(pattern, NC_GLOB_MAX + 1);
    if (n == 0)
        return "pattern is empty";
    if (n > NC_GLOB_MAX)
        return "pattern is longer than 1024 bytes";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)pattern[i];
        if (c < 0x20 || c == 0x7f)
            return "pattern contains a control character";
    }
    if (pattern[0] == '/')
        return "pattern must be relative to the workspace (no leading '/')";
    if (pattern[n - 1] == '/')
        return "pattern must not end with '/'";
    for (size_t i = 0; i < n;) {
        size_t e = comp_end(pattern, i);
        size_t len = e - i;
        if (len == 0)
            return "pattern contains an empty component ('//')";
        if ((len == 1 && pattern[i] == '.') ||
            (len == 2 && pattern[i] == '.' && pattern[i + 1] == '.'))
            return "pattern contains a '.' or '..' component";
        i = comp_next(pattern, e);
    }
    return NULL;
}

const char *nc_glob_prepare(const char *pattern, struct nc_glob_prep *out)
{
    const char *why = nc_glob_check(pattern);
    size_t n, first = 0, last = 0, stars = 0;
    bool wild = false;

    if (why != NULL)
        return why;
    n = strlen(pattern); /* <= NC_GLOB_MAX: checked */
    for (size_t i = 0; i < n; i++) {
        if (pattern[i] != '*' && pattern[i] != '?')
            continue;
        if (!wild)
            first = i;
        wild = true;
        last = i + 1;
        if (pattern[i] == '*')
            stars++;
    }
    out->pattern = pattern;
    out->len = n;
    out->prefix = wild ? first : n;
    out->suffix = wild ? n - last : 0;
    out->min_len = n - stars;
    out->unanchored = nc_glob_is_unanchored(pattern);
    out->literal = !wild;
    out->has_star = stars > 0;
    return NULL;
}

bool nc_glob_prep_match(const struct nc_glob_prep *g, const char *path)
{
    return path_match(g->pattern, g->unanchored, true, path);
}

bool nc_glob_prep_match_name(const struct nc_glob_prep *g, const char *name, size_t len)
{
    const char *p = g->pattern;

    if (!g->unanchored)
        return false;
    if (!g->has_star) {
        /* literal or '?' only: one byte per pattern byte */
        if (len != g->len)
            return false;
        return g->literal ? memcmp(p, name, len) == 0 : comp_match(p, 0, g->len, name, 0, len);
    }
    /* Quick rejections: too short, or the literal head or tail differs. */
    if (len < g->min_len || memcmp(p, name, g->prefix) != 0 ||
        memcmp(p + g->len - g->suffix, name + len - g->suffix, g->suffix) != 0)
        return false;
    return comp_match(p, 0, g->len, name, 0, len);
}

bool nc_glob_prep_may_match_below(const struct nc_glob_prep *g, const char *dir)
{
    const char *p = g->pattern;
    size_t pi = 0, si = 0, plen = g->len, dlen = strlen(dir);

    if (g->unanchored)
        return true;
    while (si < dlen) {
        size_t pe, se;
        if (pi >= plen)
            return true; /* the pattern matches an ancestor of dir, or dir: all beneath match */
        pe = comp_end(p, pi);
        if (comp_is_globstar(p, pi, pe))
            return true;
        se = comp_end(dir, si);
        if (!comp_match(p, pi, pe, dir, si, se))
            return false; /* each component before a "**" consumes exactly one */
        pi = comp_next(p, pe);
        si = comp_next(dir, se);
    }
    return true; /* dir is a prefix of what the pattern may match */
}

int nc_path_normalize(const char *root, const char *in, char *out, size_t outsz, const char **why)
{
    size_t n = strnlen(in, NC_PATH_MAX + 1);
    size_t i = 0, o = 0;

    if (outsz < 2) {
        *why = "output buffer too small";
        return -1;
    }
    if (n > NC_PATH_MAX) {
        *why = "path is longer than 4096 bytes";
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)in[k];
        if (c < 0x20 || c == 0x7f) {
            *why = "path contains a control character";
            return -1;
        }
    }
    if (in[0] == '/') {
        size_t rl;
        if (root == NULL || root[0] != '/') {
            *why = "absolute paths are not accepted; use a path relative to the workspace";
            return -1;
        }
        rl = strlen(root);
        while (rl > 1 && root[rl - 1] == '/')
            rl--; /* "/ws/" is the same root as "/ws" */
        if (rl == 1) {
            i = 1; /* root is "/" */
        } else if (n >= rl && memcmp(in, root, rl) == 0 && (in[rl] == '\0' || in[rl] == '/')) {
            i = rl;
        } else {
            *why = "path lies outside the workspace";
            return -1;
        }
    }
    while (i < n) {
        size_t e = i;
        while (e < n && in[e] != '/')
            e++;
        size_t len = e - i;
        if (len == 0 || (len == 1 && in[i] == '.')) {
            /* empty or "." component: nothing to do */
        } else if (len == 2 && in[i] == '.' && in[i + 1] == '.') {
            if (o == 0) {
                *why = "path leaves the workspace ('..' above the root)";
                return -1;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* drop the separator too */
        } else {
            size_t need = len + (o > 0 ? 1u : 0u);
            if (o + need + 1 > outsz) {
                *why = "path is too long";
                return -1;
            }
            if (o > 0)
                out[o++] = '/';
            memcpy(out + o, in + i, len);
            o += len;
        }
        i = e < n ? e + 1 : e;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return 0;
}
