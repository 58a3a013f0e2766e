/* SPDX-License-Identifier: Apache-2.0 */
/* The ReDoS screen (see validate.h for the rules and what is deliberately refused).
 *
 * Why not the original's single flag: it reset "a quantifier was seen" at every '(' and never
 * looked at alternation, so ((a+))+, (?:(a+))* and (a|a)+ all passed, and it read '(' and '+'
 * inside [...] and after a backslash as syntax.  Here the pattern is parsed once, left to
 * right, into a stack of group frames; every frame accumulates the properties of what it
 * contains and hands them to its parent when it closes, so a quantifier at any depth is seen
 * by every enclosing repetition.
 *
 * The analysis is an over-approximation on purpose.  Catastrophic backtracking needs one
 * piece of text that a repeated sub-expression can match in more than one way; that takes
 * either a variable repetition inside the repeated part, or an alternation whose branches can
 * match the same text.  We refuse both inside unbounded repetition, using a crude but safe
 * notion of "can match the same text" (same first literal, or anything not a literal).
 *
 * No recursion, no allocation: the stack is a fixed array of NC_REDOS_MAX_DEPTH + 1 frames,
 * and every loop advances an index bounded by len. */
#include "validate.h"

#include <stdint.h>
#include <string.h>

#define REP_INF UINT32_MAX           /* upper bound of +, * and {n,} */
#define NUM_SAT 1000000u             /* digits in braces saturate here (anything > 100 fails) */
#define WAYS_CAP ((uint64_t)1 << 40) /* saturation of the ways estimate */

/* What a sub-expression contains; merged upwards when a group closes. */
struct props {
    uint64_t ways;   /* estimate of the ways bounded repetition/overlap lets it match one text */
    uint32_t bound;  /* largest product of nested finite repetition bounds (1 when none) */
    bool unbounded;  /* contains +, * or {n,} */
    bool variable;   /* contains a repetition with min != max */
    bool overlap;    /* contains a group whose alternatives overlap */
    bool backref;    /* contains a backreference */
};

enum atom_kind { ATOM_NONE, ATOM_SIMPLE, ATOM_GROUP };

/* The atom a following quantifier would apply to. */
struct atom {
    enum atom_kind kind;
    struct props p;
    bool self_overlap; /* a group whose own alternatives overlap */
    bool first;        /* first atom of its alternative */
    bool quantified;   /* already carries a quantifier */
};

struct frame {
    size_t open;        /* offset of '(' (0 for the whole pattern) */
    bool first_in_parent;
    struct props acc;   /* flags of everything completed in this group */
    uint64_t seq_ways;  /* product over the current alternative */
    uint64_t alt_sum;   /* sum of ways over completed alternatives */
    uint64_t alt_max;   /* max of ways over completed alternatives */
    size_t nalts;       /* completed alternatives */
    size_t atoms;       /* atoms in the current alternative */
    bool wild;          /* an alternative is empty or may start with a non-literal */
    bool dup;           /* two alternatives start with the same literal */
    uint64_t firsts_lo; /* set of ASCII first literals (lower-cased): bit c for c < 64, */
    uint64_t firsts_hi; /* bit c - 64 for c >= 64 */
    struct atom pend;   /* the last atom, not yet folded into seq_ways */
};

struct parser {
    const unsigned char *re;
    size_t len;
    size_t depth; /* index of the innermost open frame; 0 is the whole pattern */
    struct frame st[NC_REDOS_MAX_DEPTH + 1u];
    struct nc_invalid *why;
};

static int fail(struct parser *ps, const char *reason, size_t offset)
{
    if (ps->why != NULL) {
        ps->why->field = "pattern";
        ps->why->reason = reason;
        ps->why->offset = offset;
        ps->why->index = 0;
    }
    return -1;
}

/* ---- saturating arithmetic ----------------------------------------------------------------- */

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > WAYS_CAP)
        return WAYS_CAP;
    return r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r) || r > WAYS_CAP)
        return WAYS_CAP;
    return r;
}

/* base^exp, exp <= NC_REDOS_MAX_REPEAT by the time this is called. */
static uint64_t pow_sat(uint64_t base, uint32_t exp)
{
    uint64_t r = 1;
    for (uint32_t i = 0; i < exp && r < WAYS_CAP; i++)
        r = mul_sat(r, base);
    return r;
}

/* ---- character helpers --------------------------------------------------------------------- */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* ---- frames and atoms ---------------------------------------------------------------------- */

static void frame_init(struct frame *f, size_t open, bool first_in_parent)
{
    memset(f, 0, sizeof(*f));
    f->open = open;
    f->first_in_parent = first_in_parent;
    f->acc.ways = 1;
    f->acc.bound = 1;
    f->seq_ways = 1;
    f->pend.kind = ATOM_NONE;
}

static void merge(struct props *into, const struct props *from)
{
    into->unbounded = into->unbounded || from->unbounded;
    into->variable = into->variable || from->variable;
    into->overlap = into->overlap || from->overlap;
    into->backref = into->backref || from->backref;
    if (from->bound > into->bound)
        into->bound = from->bound;
}

/* Folds the pending atom into the current alternative. */
static void flush(struct frame *f)
{
    if (f->pend.kind == ATOM_NONE)
        return;
    f->seq_ways = mul_sat(f->seq_ways, f->pend.p.ways);
    merge(&f->acc, &f->pend.p);
    if (f->pend.self_overlap)
        f->acc.overlap = true;
    f->pend.kind = ATOM_NONE;
}

/* Records how the current alternative starts: lit is the literal byte, or -1 for anything
 * that is not a plain ASCII literal (and so may overlap with everything). */
static void note_first(struct frame *f, int lit)
{
    if (lit < 0 || lit >= 0x80) {
        f->wild = true;
        return;
    }
    unsigned char c = lower((unsigned char)lit);
    uint64_t bit = (uint64_t)1 << (c & 63u);
    bool seen;
    /* Two named words rather than an array indexed by c: every write to a frame then goes to
     * a field known from the code alone, which is what lets the analyser (proofs/README.md)
     * keep the frames of the stack apart. */
    if (c < 64u) {
        seen = (f->firsts_lo & bit) != 0u;
        f->firsts_lo |= bit;
    } else {
        seen = (f->firsts_hi & bit) != 0u;
        f->firsts_hi |= bit;
    }
    if (seen)
        f->dup = true;
}

/* Starts a new atom of the current alternative; returns whether it is the first one. */
static bool begin_atom(struct frame *f, int lit)
{
    bool first = f->atoms == 0;
    flush(f);
    if (first)
        note_first(f, lit);
    f->atoms++;
    return first;
}

static void simple_atom(struct frame *f, int lit, bool backref)
{
    bool first = begin_atom(f, lit);
    memset(&f->pend, 0, sizeof(f->pend));
    f->pend.kind = ATOM_SIMPLE;
    f->pend.p.ways = 1;
    f->pend.p.bound = 1;
    f->pend.p.backref = backref;
    f->pend.first = first;
}

/* Ends the current alternative (at '|', ')' or the end). */
static void end_alt(struct frame *f)
{
    flush(f);
    if (f->atoms == 0)
        f->wild = true; /* an empty alternative matches where any other one does */
    f->alt_sum = add_sat(f->alt_sum, f->seq_ways);
    if (f->seq_ways > f->alt_max)
        f->alt_max = f->seq_ways;
    f->nalts++;
    f->seq_ways = 1;
    f->atoms = 0;
}

/* Result of a finished group: overlap of its own alternatives and its ways. */
static bool group_overlaps(const struct frame *f)
{
    return f->nalts >= 2 && (f->wild || f->dup);
}

static uint64_t group_ways(const struct frame *f)
{
    /* With disjoint first literals, at most one alternative gets past its first byte, so
     * the alternatives do not multiply the work; overlapping ones add up. */
    return group_overlaps(f) ? f->alt_sum : f->alt_max;
}

/* ---- quantifiers --------------------------------------------------------------------------- */

/* Applies {lo,hi} (hi may be REP_INF) found at offset off to the pending atom. */
static int quantify(struct parser *ps, uint32_t lo, uint32_t hi, size_t off)
{
    struct frame *f = &ps->st[ps->depth];
    struct atom *a = &f->pend;
    uint64_t ways;

    if (a->kind == ATOM_NONE)
        return fail(ps, "quantifier does not follow a repeatable item", off);
    if (a->quantified)
        return fail(ps, "nested quantifier: a quantifier follows a quantifier", off);
    if (hi != REP_INF && lo > hi)
        return fail(ps, "counted repetition with minimum above maximum", off);
    if (lo > NC_REDOS_MAX_REPEAT || (hi != REP_INF && hi > NC_REDOS_MAX_REPEAT))
        return fail(ps, "counted repetition bound above 100", off);
    a->quantified = true;
    /* x?, x* and x{0,n} let the alternative start with whatever follows x. */
    if (a->first && lo == 0u)
        f->wild = true;

    if (hi > 1u) {
        if (a->kind == ATOM_GROUP) {
            if (a->self_overlap)
                return fail(ps, "overlapping alternatives in a repeated group", off);
            if (a->p.unbounded || (hi == REP_INF && a->p.variable))
                return fail(ps, "nested quantifier: a quantified group contains a quantifier",
                            off);
            if (a->p.backref)
                return fail(ps, "backreference inside a repeated group", off);
            if (hi == REP_INF && a->p.overlap)
                return fail(ps, "overlapping alternatives nested inside a repeated group", off);
        }
        if (hi == REP_INF) {
            /* Here the atom matches its text in one way only (checked above for groups;
             * simple atoms always), so repetition is linear. */
            ways = a->p.ways;
            a->p.unbounded = true;
        } else {
            uint64_t b = (uint64_t)a->p.bound * hi;
            if (b > NC_REDOS_MAX_REPEAT)
                return fail(ps, "nested counted repetition: product of bounds above 100", off);
            a->p.bound = (uint32_t)b;
            /* sum over k in lo..hi of ways^k <= (hi - lo + 1) * ways^hi */
            ways = mul_sat(pow_sat(a->p.ways, hi), (uint64_t)(hi - lo) + 1u);
        }
    } else {
        ways = mul_sat(a->p.ways, (uint64_t)(hi - lo) + 1u);
    }
    if (ways > NC_REDOS_MAX_WAYS)
        return fail(ps, "too ambiguous: optional and counted repetitions combine in more than 65536 ways",
                    off);
    a->p.ways = ways;
    if (lo != hi)
        a->p.variable = true;
    return 0;
}

static uint32_t add_digit(uint32_t v, unsigned char c)
{
    v = v * 10u + (uint32_t)(c - '0');
    return v > NUM_SAT ? NUM_SAT : v;
}

static size_t skip_spaces(const unsigned char *re, size_t len, size_t k)
{
    while (k < len && re[k] == ' ')
        k++;
    return k;
}

/* re[i] == '{'.  True when it opens a counted quantifier, read generously (see validate.h):
 * {n} {n,} {n,m} {,m}, spaces allowed around numbers.  *end is one past the '}'. */
static bool parse_braces(const unsigned char *re, size_t len, size_t i, uint32_t *lo,
                         uint32_t *hi, size_t *end)
{
    uint32_t a = 0, b = 0;
    bool have_a = false, have_b = false, comma = false;
    size_t k = skip_spaces(re, len, i + 1u);

    /* Outputs are defined on every path, also when the brace is a literal. */
    *lo = 0;
    *hi = 0;
    *end = i + 1u;
    while (k < len && is_digit(re[k])) {
        a = add_digit(a, re[k]);
        have_a = true;
        k++;
    }
    k = skip_spaces(re, len, k);
    if (k < len && re[k] == ',') {
        comma = true;
        k = skip_spaces(re, len, k + 1u);
        while (k < len && is_digit(re[k])) {
            b = add_digit(b, re[k]);
            have_b = true;
            k++;
        }
        k = skip_spaces(re, len, k);
    }
    if (k >= len || re[k] != '}' || (!have_a && !have_b))
        return false;
    *lo = have_a ? a : 0u;
    *hi = comma ? (have_b ? b : REP_INF) : a;
    *end = k + 1u;
    return true;
}

/* After a quantifier ending at k: one lazy '?' or possessive '+' modifier is part of it. */
static size_t skip_modifier(const struct parser *ps, size_t k)
{
    if (k < ps->len && (ps->re[k] == '?' || ps->re[k] == '+'))
        return k + 1u;
    return k;
}

/* ---- escapes and classes ------------------------------------------------------------------- */

enum esc_kind { ESC_LITERAL, ESC_OTHER, ESC_BACKREF, ESC_QUOTE, ESC_NOOP };

/* Index one past the '}' that closes a brace opened at re[k] == '{', or 0 when unterminated. */
static size_t close_brace(const unsigned char *re, size_t len, size_t k)
{
    for (size_t j = k + 1u; j < len; j++)
        if (re[j] == '}')
            return j + 1u;
    return 0;
}

/* Index one past the delimiter d closing a name that starts at k, or 0 when the name is empty,
 * has a byte other than a letter, digit or '_', or is unterminated. */
static size_t close_name(const unsigned char *re, size_t len, size_t k, unsigned char d)
{
    size_t j = k;
    while (j < len && (is_alnum(re[j]) || re[j] == '_'))
        j++;
    if (j == k || j >= len || re[j] != d)
        return 0;
    return j + 1u;
}

/* re[i] == '\\' outside a class.  Sets *end and *kind (*lit for ESC_LITERAL). */
static int parse_escape(struct parser *ps, size_t i, size_t *end, enum esc_kind *kind, int *lit)
{
    const unsigned char *re = ps->re;
    size_t len = ps->len, k = i + 2u;
    unsigned char c;

    /* Outputs are defined on every path, failures included. */
    *end = len;
    *kind = ESC_OTHER;
    *lit = -1;
    if (i + 1u >= len)
        return fail(ps, "pattern ends with a backslash", i);
    c = re[i + 1u];
    switch (c) {
    case 'Q':
        *kind = ESC_QUOTE;
        break;
    case 'E':
        *kind = ESC_NOOP;
        break;
    case 'g':
        if (k < len && (re[k] == '<' || re[k] == '\''))
            return fail(ps, "subroutine calls (\\g<..>) are not accepted", i);
        if (k < len && re[k] == '{') {
            k = close_brace(re, len, k);
            if (k == 0)
                return fail(ps, "unterminated \\g{ reference", i);
        } else {
            if (k < len && (re[k] == '-' || re[k] == '+'))
                k++;
            if (k >= len || !is_digit(re[k]))
                return fail(ps, "malformed \\g reference", i);
            while (k < len && is_digit(re[k]) && k < i + 8u)
                k++;
        }
        *kind = ESC_BACKREF;
        break;
    case 'k':
        if (k < len && (re[k] == '<' || re[k] == '\'' || re[k] == '{')) {
            unsigned char d = re[k] == '<' ? '>' : (re[k] == '{' ? '}' : '\'');
            k = close_name(re, len, k + 1u, d);
        } else {
            k = 0;
        }
        if (k == 0)
            return fail(ps, "malformed \\k reference", i);
        *kind = ESC_BACKREF;
        break;
    case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        /* A backreference, or an octal escape when there are fewer groups: treated as the
         * more dangerous reading. */
        while (k < len && is_digit(re[k]) && k < i + 4u)
            k++;
        *kind = ESC_BACKREF;
        break;
    case '0':
        while (k < len && re[k] >= '0' && re[k] <= '7' && k < i + 4u)
            k++;
        break;
    case 'x': case 'o': case 'N': case 'p': case 'P':
        if (k < len && re[k] == '{') {
            k = close_brace(re, len, k);
            if (k == 0)
                return fail(ps, "unterminated brace in an escape", i);
        } else if (c == 'x') {
            while (k < len && k < i + 4u &&
                   (is_digit(re[k]) || (lower(re[k]) >= 'a' && lower(re[k]) <= 'f')))
                k++;
        } else if ((c == 'p' || c == 'P') && k < len) {
            k++; /* \pL */
        }
        break;
    case 'c':
        if (k >= len)
            return fail(ps, "pattern ends inside a \\c escape", i);
        k++;
        break;
    default:
        /* Letters and digits are classes (\d \w \s \h \v \R \X), assertions (\b \A \z \G \K)
         * or control escapes (\n \t \e): none is a plain literal for the overlap test.
         * Anything else is the escaped character itself. */
        if (!is_alnum(c)) {
            *kind = ESC_LITERAL;
            *lit = c;
        }
        break;
    }
    *end = k;
    return 0;
}

/* re[k] == '[' and re[k+1] is ':', '.' or '='.  A POSIX item such as [:alpha:] ends at the
 * first ":]" (same terminator); a ']' or another "[:" before that means the '[' was a plain
 * member.  Escaped ']' and '\\' are skipped.  *end is one past the closing ']'. */
static bool posix_item(const unsigned char *re, size_t len, size_t k, size_t *end)
{
    unsigned char term = re[k + 1u];

    *end = k + 1u; /* defined on every path; the caller uses it only on true */
    for (size_t p = k + 2u; p < len; p++) {
        if (re[p] == '\\' && p + 1u < len && (re[p + 1u] == ']' || re[p + 1u] == '\\')) {
            p++;
            continue;
        }
        if (re[p] == ']' || (re[p] == '[' && p + 1u < len && re[p + 1u] == term))
            return false;
        if (re[p] == term && p + 1u < len && re[p + 1u] == ']') {
            *end = p + 2u;
            return true;
        }
    }
    return false;
}

/* re[i] == '['.  Finds the closing ']' of the class: a ']' right after '[' or "[^" is a
 * member, escapes and \Q..\E are skipped, POSIX items are skipped whole. */
static int skip_class(struct parser *ps, size_t i, size_t *end)
{
    const unsigned char *re = ps->re;
    size_t len = ps->len, k = i + 1u;

    *end = len;
    if (k < len && re[k] == '^')
        k++;
    if (k < len && re[k] == ']')
        k++;
    while (k < len) {
        unsigned char c = re[k];
        if (c == ']') {
            *end = k + 1u;
            return 0;
        }
        if (c == '\\') {
            if (k + 1u >= len)
                break;
            unsigned char d = re[k + 1u];
            if (d == 'Q') {
                k += 2u;
                while (k < len && !(re[k] == '\\' && k + 1u < len && re[k + 1u] == 'E'))
                    k++;
                if (k < len)
                    k += 2u;
                continue;
            }
            if ((d == 'x' || d == 'o' || d == 'p' || d == 'P' || d == 'N') && k + 2u < len &&
                re[k + 2u] == '{') {
                size_t e = close_brace(re, len, k + 2u);
                if (e == 0)
                    return fail(ps, "unterminated brace in an escape", k);
                k = e;
                continue;
            }
            k += 2u;
            continue;
        }
        if (c == '[' && k + 1u < len && (re[k + 1u] == ':' || re[k + 1u] == '.' ||
                                         re[k + 1u] == '=')) {
            size_t e;
            if (posix_item(re, len, k, &e)) {
                k = e;
                continue;
            }
        }
        k++;
    }
    return fail(ps, "unterminated character class", i);
}

/* ---- groups -------------------------------------------------------------------------------- */

static int open_group(struct parser *ps, size_t i)
{
    struct frame *parent = &ps->st[ps->depth];
    bool first;

    if (ps->depth >= NC_REDOS_MAX_DEPTH)
        return fail(ps, "groups nested deeper than 32", i);
    first = begin_atom(parent, -1); /* a group is never a plain literal start */
    ps->depth++;
    frame_init(&ps->st[ps->depth], i, first);
    return 0;
}

static int close_group(struct parser *ps, size_t i)
{
    struct frame *f, *parent;
    struct atom g;

    if (ps->depth == 0)
        return fail(ps, "unmatched closing parenthesis", i);
    f = &ps->st[ps->depth];
    end_alt(f);
    memset(&g, 0, sizeof(g));
    g.kind = ATOM_GROUP;
    g.p = f->acc;
    g.p.ways = group_ways(f);
    g.self_overlap = group_overlaps(f);
    g.first = f->first_in_parent;
    ps->depth--;
    parent = &ps->st[ps->depth];
    parent->pend = g;
    return 0;
}

/* Inline options "(?imnsUJ-imnsx)" or the start "(?i:" of a group, from re[k] (after "(?").
 * Returns 1 for an option setting (no atom), 2 for a group, -1 on rejection; *end is past
 * the ')' or ':'. */
static int parse_options(struct parser *ps, size_t i, size_t k, size_t *end)
{
    const unsigned char *re = ps->re;
    bool unset = false;

    *end = ps->len;
    if (k < ps->len && re[k] == '^')
        k++;
    for (; k < ps->len; k++) {
        unsigned char c = re[k];
        if (c == ')' || c == ':') {
            *end = k + 1u;
            return c == ')' ? 1 : 2;
        }
        if (c == '-') {
            unset = true;
            continue;
        }
        /* Extended mode makes spaces and '#' comments insignificant, so "(a +) +" would
         * be (a+)+ while we read literal spaces: refuse setting it. */
        if (c == 'x' && !unset)
            return fail(ps, "extended mode (?x) is not accepted", i);
        if (strchr("imnsxUJarDSWPT", c) == NULL || c == '\0')
            return fail(ps, "unrecognised (? group syntax", i);
    }
    return fail(ps, "unterminated group", i);
}

/* re[i] == '('.  Opens a group, or consumes a comment, option setting or (?P=name)
 * reference.  *next is where parsing continues. */
static int parse_paren(struct parser *ps, size_t i, size_t *next)
{
    const unsigned char *re = ps->re;
    size_t len = ps->len, k = i + 2u, e = len;
    struct frame *f = &ps->st[ps->depth];

    *next = len;
    if (i + 1u < len && re[i + 1u] == '*')
        return fail(ps, "(*VERB) and (*OPTION) items are not accepted", i);
    if (i + 1u >= len || re[i + 1u] != '?') {
        *next = i + 1u;
        return open_group(ps, i);
    }
    if (k >= len)
        return fail(ps, "unterminated group", i);
    switch (re[k]) {
    case ':': case '>': case '|': case '=': case '!': case '*':
        *next = k + 1u;
        return open_group(ps, i);
    case '#':
        /* A comment: no atom, and a quantifier after it still applies to what preceded. */
        for (e = k + 1u; e < len && re[e] != ')'; e++)
            ;
        if (e >= len)
            return fail(ps, "unterminated (?# comment", i);
        *next = e + 1u;
        return 0;
    case '<':
        if (k + 1u < len && (re[k + 1u] == '=' || re[k + 1u] == '!' || re[k + 1u] == '*')) {
            *next = k + 2u;
            return open_group(ps, i);
        }
        e = close_name(re, len, k + 1u, '>');
        if (e == 0)
            return fail(ps, "malformed group name", i);
        *next = e;
        return open_group(ps, i);
    case '\'':
        e = close_name(re, len, k + 1u, '\'');
        if (e == 0)
            return fail(ps, "malformed group name", i);
        *next = e;
        return open_group(ps, i);
    case 'P':
        if (k + 1u < len && re[k + 1u] == '<') {
            e = close_name(re, len, k + 2u, '>');
            if (e == 0)
                return fail(ps, "malformed group name", i);
            *next = e;
            return open_group(ps, i);
        }
        if (k + 1u < len && re[k + 1u] == '=') {
            e = close_name(re, len, k + 2u, ')');
            if (e == 0)
                return fail(ps, "malformed (?P= reference", i);
            simple_atom(f, -1, true);
            *next = e;
            return 0;
        }
        if (k + 1u < len && re[k + 1u] == '>')
            return fail(ps, "recursion and subroutine calls are not accepted", i);
        return fail(ps, "unrecognised (? group syntax", i);
    case '(':
        return fail(ps, "conditional groups are not accepted", i);
    case 'C':
        return fail(ps, "callouts are not accepted", i);
    case 'R': case '&':
        return fail(ps, "recursion and subroutine calls are not accepted", i);
    default:
        break;
    }
    if (is_digit(re[k]) ||
        ((re[k] == '+' || re[k] == '-') && k + 1u < len && is_digit(re[k + 1u])))
        return fail(ps, "recursion and subroutine calls are not accepted", i);
    int r = parse_options(ps, i, k, &e);
    if (r < 0)
        return -1;
    *next = e;
    if (r == 1)
        return 0; /* option setting: like a comment, no atom */
    return open_group(ps, i);
}

/* ---- the scan ------------------------------------------------------------------------------ */

static int scan(struct parser *ps)
{
    const unsigned char *re = ps->re;
    size_t len = ps->len, i = 0;

    /* For Frama-C's EVA (proofs/README.md): when it over-approximates the loop, let the
     * depth settle at the bound open_group enforces rather than at an arbitrary power of two,
     * so that &ps->st[ps->depth] is seen to stay within the stack.  Ignored by compilers. */
    //@ widen_hints ps->depth, NC_REDOS_MAX_DEPTH;
    while (i < len) {
        struct frame *f = &ps->st[ps->depth];
        unsigned char c = re[i];
        size_t next = i + 1u;
        uint32_t lo, hi;

        switch (c) {
        case '\\': {
            enum esc_kind kind = ESC_OTHER;
            int lit = -1;
            if (parse_escape(ps, i, &next, &kind, &lit) < 0)
                return -1;
            if (kind == ESC_QUOTE) {
                /* \Q...\E: every byte up to \E (or the end) is a literal. */
                while (next < len && !(re[next] == '\\' && next + 1u < len &&
                                       re[next + 1u] == 'E')) {
                    simple_atom(f, re[next], false);
                    next++;
                }
                if (next < len)
                    next += 2u;
            } else if (kind == ESC_LITERAL) {
                simple_atom(f, lit, false);
            } else if (kind == ESC_BACKREF) {
                simple_atom(f, -1, true);
            } else if (kind == ESC_OTHER) {
                simple_atom(f, -1, false);
            }
            break;
        }
        case '[':
            if (skip_class(ps, i, &next) < 0)
                return -1;
            simple_atom(f, -1, false);
            break;
        case '(':
            if (parse_paren(ps, i, &next) < 0)
                return -1;
            break;
        case ')':
            if (close_group(ps, i) < 0)
                return -1;
            break;
        case '|':
            end_alt(f);
            break;
        case '*':
        case '+':
        case '?':
            lo = c == '+' ? 1u : 0u;
            hi = c == '?' ? 1u : REP_INF;
            if (quantify(ps, lo, hi, i) < 0)
                return -1;
            next = skip_modifier(ps, i + 1u);
            break;
        case '{':
            if (parse_braces(re, len, i, &lo, &hi, &next)) {
                if (quantify(ps, lo, hi, i) < 0)
                    return -1;
                next = skip_modifier(ps, next);
            } else {
                simple_atom(f, '{', false); /* PCRE2 reads a malformed brace as a literal */
            }
            break;
        case '.':
        case '^':
        case '$':
            simple_atom(f, -1, false);
            break;
        default:
            simple_atom(f, c, false);
            break;
        }
        i = next;
    }
    if (ps->depth > 0)
        return fail(ps, "missing closing parenthesis", ps->st[ps->depth].open);
    end_alt(&ps->st[0]);
    if (group_ways(&ps->st[0]) > NC_REDOS_MAX_WAYS)
        return fail(ps, "too ambiguous: optional and counted repetitions combine in more than 65536 ways",
                    0);
    return 0;
}

int nc_redos_check(const char *re, size_t len, struct nc_invalid *why)
{
    struct parser ps;

    if (re == NULL && len > 0) {
        if (why != NULL) {
            why->field = "pattern";
            why->reason = "is missing (NULL with a length)";
            why->offset = 0;
            why->index = 0;
        }
        return -1;
    }
    memset(&ps, 0, sizeof(ps));
    ps.re = (const unsigned char *)re;
    ps.len = len;
    ps.why = why;
    frame_init(&ps.st[0], 0, false);
    return scan(&ps);
}
