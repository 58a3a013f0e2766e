/* SPDX-License-Identifier: Apache-2.0 */
/* .gitignore parsing and matching (see gitignore.h).
 *
 * Each pattern is compiled to a short token list and matched by simulating the equivalent
 * nondeterministic automaton over bit sets, one path byte at a time: O(tokens x bytes) with
 * no recursion and no backtracking, so a hostile .gitignore ("*a*a*a*a*a*b" against a long
 * name) costs the same as a plain one.  The tokens:
 *   LIT c     one byte equal to c
 *   ANY       one byte other than '/'                          ('?')
 *   CLASS k   one byte other than '/' in class k                ("[...]")
 *   STAR      any run of bytes other than '/'                   ('*', and "**" inside a name)
 *   GSTAR     any run of bytes                                  (a trailing "**" component)
 *   GOPT      an epsilon fork: go on, or skip the next two      ("**" + "/" = GOPT GSTAR LIT('/'),
 *             tokens (GSTAR LIT('/')), so "**" + "/" is (.* "/")?  which matches zero dirs) */
#include "gitignore.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind {
    TK_LIT = 0,
    TK_ANY,
    TK_CLASS,
    TK_STAR,
    TK_GSTAR,
    TK_GOPT,
};

struct tok {
    uint8_t kind;
    uint8_t ch;
    uint16_t cls; /* index into the pattern's class table */
};

struct pat {
    struct tok *toks;
    size_t n;
    uint8_t (*classes)[32]; /* 256-bit sets */
    size_t nclasses;
    bool negate;
    bool dir_only;
    bool anchored; /* matched against the whole relative path, else against the last name */
};

struct nc_gitignore {
    struct pat *pats;
    size_t n;
};

/* The token bound: a line of NC_GITIGNORE_MAX_LINE bytes makes at most one token per byte,
 * plus one for a "**" + "/" (three bytes become three tokens), so the line bound is enough. */
#define MAX_TOK NC_GITIGNORE_MAX_LINE
#define WORDS ((MAX_TOK + 1u + 63u) / 64u)

static void pat_free(struct pat *p)
{
    free(p->toks);
    free(p->classes);
}

void nc_gitignore_free(struct nc_gitignore *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++)
        pat_free(&g->pats[i]);
    free(g->pats);
    free(g);
}

size_t nc_gitignore_count(const struct nc_gitignore *g)
{
    return g != NULL ? g->n : 0;
}

/* ---- compiling one pattern ------------------------------------------------------------ */

static bool push_tok(struct pat *p, enum tok_kind k, uint8_t ch, uint16_t cls)
{
    if (p->n >= MAX_TOK)
        return false;
    p->toks[p->n].kind = (uint8_t)k;
    p->toks[p->n].ch = ch;
    p->toks[p->n].cls = cls;
    p->n++;
    return true;
}

static void set_bit(uint8_t *set, unsigned c)
{
    set[c >> 3] = (uint8_t)(set[c >> 3] | (1u << (c & 7u)));
}

static bool has_bit(const uint8_t *set, unsigned c)
{
    return (set[c >> 3] & (1u << (c & 7u))) != 0;
}

struct named_class {
    const char *name;
    int (*pred)(int c);
};

static int c_alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int c_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int c_blank(int c) { return c == ' ' || c == '\t'; }
static int c_cntrl(int c) { return c < 0x20 || c == 0x7f; }
static int c_digit(int c) { return c >= '0' && c <= '9'; }
static int c_graph(int c) { return c > 0x20 && c < 0x7f; }
static int c_lower(int c) { return c >= 'a' && c <= 'z'; }
static int c_print(int c) { return c >= 0x20 && c < 0x7f; }
static int c_punct(int c) { return c_graph(c) && !c_alnum(c); }
static int c_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static int c_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int c_xdigit(int c) { return c_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static const struct named_class named_classes[] = {
    {"alnum", c_alnum}, {"alpha", c_alpha}, {"blank", c_blank}, {"cntrl", c_cntrl},
    {"digit", c_digit}, {"graph", c_graph}, {"lower", c_lower}, {"print", c_print},
    {"punct", c_punct}, {"space", c_space}, {"upper", c_upper}, {"xdigit", c_xdigit},
};

/* Parses the class that starts at s[*i] == '['.  Returns 1 with the set filled and *i past
 * the ']', 0 when the class is malformed (the pattern then matches nothing). */
static int parse_class(const char *s, size_t len, size_t *i, uint8_t set[32])
{
    size_t k = *i + 1u;
    bool neg = false, first = true;

    memset(set, 0, 32);
    if (k < len && (s[k] == '!' || s[k] == '^')) {
        neg = true;
        k++;
    }
    for (;; first = false) {
        unsigned c;
        if (k >= len)
            return 0; /* unterminated */
        c = (unsigned char)s[k];
        if (c == ']' && !first)
            break;
        if (c == '\\') {
            if (k + 1u >= len)
                return 0;
            c = (unsigned char)s[k + 1u];
            k += 2u;
        } else if (c == '[' && k + 1u < len && s[k + 1u] == ':') {
            size_t e = k + 2u;
            while (e + 1u < len && !(s[e] == ':' && s[e + 1u] == ']'))
                e++;
            if (e + 1u < len) {
                size_t nl = e - (k + 2u);
                const struct named_class *nc = NULL;
                for (size_t j = 0; j < sizeof(named_classes) / sizeof(named_classes[0]); j++)
                    if (strlen(named_classes[j].name) == nl &&
                        memcmp(named_classes[j].name, s + k + 2u, nl) == 0)
                        nc = &named_classes[j];
                if (nc == NULL)
                    return 0; /* git refuses unknown class names */
                for (unsigned b = 0; b < 256u; b++)
                    if (nc->pred((int)b))
                        set_bit(set, b);
                k = e + 2u;
                continue;
            }
            k++; /* no ":]": a literal '[' */
        } else {
            k++;
        }
        /* A range "c-d" (a '-' before the closing ']' is literal). */
        if (k + 1u < len && s[k] == '-' && s[k + 1u] != ']') {
            unsigned d = (unsigned char)s[k + 1u];
            size_t adv = 2u;
            if (d == '\\') {
                if (k + 2u >= len)
                    return 0;
                d = (unsigned char)s[k + 2u];
                adv = 3u;
            }
            for (unsigned b = c; b <= d; b++)
                set_bit(set, b);
            k += adv;
            continue;
        }
        set_bit(set, c);
    }
    if (neg)
        for (unsigned b = 0; b < 32u; b++)
            set[b] = (uint8_t)~set[b];
    *i = k + 1u;
    return 1;
}

/* Compiles s[0..len) (already stripped of '!', the trailing '/' and the leading '/').
 * Returns 1 when usable, 0 when the pattern can never match, -1 on allocation failure.
 *
 * Where a run of stars counts as a whole component follows git (dir.c, wildmatch.c): before
 * matching an anchored pattern git compares and strips its literal prefix (up to the first
 * '*', '?', '[' or '\'), so a run of stars right after that prefix counts as being at the
 * start: "/a**" + "/b" matches "a/x/b" in git, and here. */
static int compile(struct pat *p, const char *s, size_t len, bool anchored)
{
    size_t i = 0;
    size_t ncls = 0;
    size_t nowild = 0;

    while (nowild < len && strchr("*?[\\", s[nowild]) == NULL)
        nowild++;

    for (size_t k = 0; k < len; k++)
        if (s[k] == '[')
            ncls++;
    p->toks = calloc(len + 1u, sizeof(*p->toks));
    if (p->toks == NULL)
        return -1;
    if (ncls > 0) {
        p->classes = calloc(ncls, sizeof(*p->classes));
        if (p->classes == NULL)
            return -1;
    }
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (i + 1u >= len)
                return 0; /* a trailing backslash escapes nothing: git never matches */
            if (!push_tok(p, TK_LIT, (uint8_t)s[i + 1u], 0))
                return 0;
            i += 2u;
        } else if (c == '?') {
            if (!push_tok(p, TK_ANY, 0, 0))
                return 0;
            i++;
        } else if (c == '[') {
            size_t j = i;
            if (p->nclasses >= ncls || parse_class(s, len, &j, p->classes[p->nclasses]) == 0)
                return 0;
            if (!push_tok(p, TK_CLASS, 0, (uint16_t)p->nclasses))
                return 0;
            p->nclasses++;
            i = j;
        } else if (c == '*') {
            size_t j = i;
            while (j < len && s[j] == '*')
                j++;
            bool esc_slash = j + 1u < len && s[j] == '\\' && s[j + 1u] == '/';
            bool whole = j - i >= 2u && (i == 0 || s[i - 1u] == '/' || (anchored && i == nowild)) &&
                         (j == len || s[j] == '/' || esc_slash);
            if (whole && esc_slash) {
                /* git tries "zero directories" only for a plain '/': this is .* then '/' */
                if (!push_tok(p, TK_GSTAR, 0, 0) || !push_tok(p, TK_LIT, '/', 0))
                    return 0;
                j += 2u;
            } else if (whole && j < len) {
                /* "**" + "/": zero or more directories */
                if (!push_tok(p, TK_GOPT, 0, 0) || !push_tok(p, TK_GSTAR, 0, 0) ||
                    !push_tok(p, TK_LIT, '/', 0))
                    return 0;
                j++;
            } else if (whole) {
                if (!push_tok(p, TK_GSTAR, 0, 0))
                    return 0;
            } else if (!push_tok(p, TK_STAR, 0, 0)) {
                return 0;
            }
            i = j;
        } else {
            if (!push_tok(p, TK_LIT, c, 0))
                return 0;
            i++;
        }
    }
    return 1;
}

/* realloc for n elements of size bytes, refusing a product that overflows (reallocarray,
 * written with realloc so that gcc -fanalyzer follows the ownership). */
static void *nc_grow_array(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return realloc(p, bytes);
}

/* ---- parsing a file -------------------------------------------------------------------- */

static int add_line(struct nc_gitignore *g, size_t *cap, const char *s, size_t len)
{
    struct pat p;
    bool negate = false, dir_only = false, anchored;
    int r;

    if (len > 0 && s[len - 1u] == '\r')
        len--;
    if (len == 0 || s[0] == '#')
        return 0;
    /* Trailing spaces go unless escaped: count the backslashes just before the last space. */
    while (len > 0 && s[len - 1u] == ' ') {
        size_t bs = 0;
        while (bs + 1u < len && s[len - 2u - bs] == '\\')
            bs++;
        if (bs % 2u == 1u)
            break;
        len--;
    }
    if (len == 0)
        return 0;
    if (s[0] == '!') {
        negate = true;
        s++;
        len--;
    }
    if (len > 0 && s[len - 1u] == '/') {
        dir_only = true;
        len--;
    }
    anchored = memchr(s, '/', len) != NULL;
    if (len > 0 && s[0] == '/') {
        s++;
        len--;
    }
    if (len == 0)
        return 0;
    if (g->n >= NC_GITIGNORE_MAX_PATTERNS)
        return 0;

    memset(&p, 0, sizeof(p));
    p.negate = negate;
    p.dir_only = dir_only;
    p.anchored = anchored;
    r = compile(&p, s, len, anchored);
    if (r <= 0) {
        pat_free(&p);
        return r; /* 0: never matches, dropped; -1: ENOMEM */
    }
    if (g->n == *cap) {
        size_t ncap = *cap == 0 ? 16u : *cap * 2u;
        struct pat *np = nc_grow_array(g->pats, ncap, sizeof(*np));
        if (np == NULL) {
            pat_free(&p);
            return -1;
        }
        g->pats = np;
        *cap = ncap;
    }
    g->pats[g->n++] = p;
    return 0;
}

struct nc_gitignore *nc_gitignore_parse(const char *data, size_t len, struct nc_err *err)
{
    struct nc_gitignore *g = calloc(1, sizeof(*g));
    size_t cap = 0, i = 0;

    if (g == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    if (len > NC_GITIGNORE_MAX_BYTES)
        len = NC_GITIGNORE_MAX_BYTES;
    /* A UTF-8 byte order mark is not part of the first pattern (git skips it too). */
    if (len >= 3u && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3u;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t e = nl != NULL ? (size_t)(nl - data) : len;
        if (e - i <= NC_GITIGNORE_MAX_LINE && add_line(g, &cap, data + i, e - i) < 0) {
            nc_gitignore_free(g);
            nc_err_set(err, ENOMEM, "out of memory");
            return NULL;
        }
        i = e + 1u;
    }
    return g;
}

/* ---- matching ------------------------------------------------------------------------ */

static inline void bs_set(uint64_t *s, size_t i)
{
    s[i >> 6] |= (uint64_t)1 << (i & 63u);
}

static inline bool bs_has(const uint64_t *s, size_t i)
{
    return (s[i >> 6] & ((uint64_t)1 << (i & 63u))) != 0;
}

/* Epsilon closure: STAR and GSTAR may match nothing, GOPT may skip its two tokens.  Every
 * epsilon edge goes forward, so one ascending pass is enough. */
static void closure(const struct pat *p, uint64_t *s)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!bs_has(s, i))
            continue;
        switch ((enum tok_kind)p->toks[i].kind) {
        case TK_STAR:
        case TK_GSTAR:
            bs_set(s, i + 1u);
            break;
        case TK_GOPT:
            bs_set(s, i + 1u);
            bs_set(s, i + 3u);
            break;
        case TK_LIT:
        case TK_ANY:
        case TK_CLASS:
            break;
        }
    }
}

static bool pat_match(const struct pat *p, const char *s, size_t len)
{
    uint64_t a[WORDS], b[WORDS];
    uint64_t *cur = a, *nxt = b;
    size_t words = (p->n + 1u + 63u) / 64u;

    memset(cur, 0, words * sizeof(uint64_t));
    bs_set(cur, 0);
    closure(p, cur);
    for (size_t k = 0; k < len; k++) {
        unsigned c = (unsigned char)s[k];
        bool any = false;
        memset(nxt, 0, words * sizeof(uint64_t));
        for (size_t w = 0; w < words; w++) {
            uint64_t bits = cur[w];
            while (bits != 0) {
                size_t i = w * 64u + (size_t)__builtin_ctzll(bits);
                bits &= bits - 1u;
                if (i >= p->n)
                    continue; /* the accepting state consumes nothing */
                const struct tok *t = &p->toks[i];
                switch ((enum tok_kind)t->kind) {
                case TK_LIT:
                    if (c == t->ch)
                        bs_set(nxt, i + 1u);
                    break;
                case TK_ANY:
                    if (c != '/')
                        bs_set(nxt, i + 1u);
                    break;
                case TK_CLASS:
                    if (c != '/' && has_bit(p->classes[t->cls], c))
                        bs_set(nxt, i + 1u);
                    break;
                case TK_STAR:
                    if (c != '/')
                        bs_set(nxt, i);
                    break;
                case TK_GSTAR:
                    bs_set(nxt, i);
                    break;
                case TK_GOPT:
                    break;
                }
            }
        }
        closure(p, nxt);
        for (size_t w = 0; w < words; w++)
            any = any || nxt[w] != 0;
        if (!any)
            return false;
        uint64_t *t = cur;
        cur = nxt;
        nxt = t;
    }
    return bs_has(cur, p->n);
}

enum nc_gitignore_verdict nc_gitignore_match(const struct nc_gitignore *g, const char *path,
                                             size_t len, bool is_dir)
{
    const char *base = path;
    size_t blen = len;

    if (g == NULL || len == 0)
        return NC_GITIGNORE_NONE;
    for (size_t k = len; k > 0; k--)
        if (path[k - 1u] == '/') {
            base = path + k;
            blen = len - k;
            break;
        }
    for (size_t i = g->n; i > 0; i--) {
        const struct pat *p = &g->pats[i - 1u];
        if (p->dir_only && !is_dir)
            continue;
        if (p->anchored ? pat_match(p, path, len) : pat_match(p, base, blen))
            return p->negate ? NC_GITIGNORE_KEPT : NC_GITIGNORE_IGNORED;
    }
    return NC_GITIGNORE_NONE;
}
