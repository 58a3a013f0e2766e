/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parsing of YAML policy files (see policy_file.h and docs/policy.md).
 *
 * Design.  libyaml's event API feeds a small recursive descent that follows the schema: each
 * mapping of the schema has a table of its keys, and each key has a function that consumes
 * exactly the value's events.  Nothing is ever skipped or built generically, so:
 *   - nesting is bounded by the schema (four levels: root, spec, spec.paths, a list); a value
 *     of the wrong shape is refused at its first event, before libyaml has read more of it
 *     than its bounded lookahead (1024 characters for a possible simple key);
 *   - memory is bounded by one event at a time plus libyaml's own state (no document tree);
 *   - every refusal carries the libyaml mark of the node it is about.
 * Every event passes through advance(), which refuses anchors, aliases, tags and %TAG
 * directives in one place, so no schema function can forget to.
 *
 * Conventions of the messages: "<source>:<line>:<column>: <message>", 1-based, columns
 * counted in characters as libyaml counts them.  User text is echoed at most 64 bytes long,
 * printable ASCII as is and every other byte as \xNN, so an error never carries a huge input
 * or terminal escapes.  Keywords (`unrestricted`, `unlimited`) are plain scalars; a quoted
 * scalar is always text. */
#include "policy_file.h"

#include "core/budget.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* The schema needs four levels of containers; descent never opens a container the schema does
 * not have, so this guard is a second line: it keeps the bound local to advance() should a
 * later schema (or a bug) let descent follow the input further. */
#define MAX_DEPTH 16
#define SHOW_BYTES 64         /* bytes of user text echoed in a message */
#define NAME_MAX_LEN 63       /* metadata.name */
#define DESCRIPTION_MAX 1024u /* metadata.description, bytes */
#define MAX_KEYS 16           /* keys of the largest mapping (capabilities has 11) */

#define TIMEOUT_MAX 31536000u     /* one year, seconds */
#define PROCS_MAX 4194304u        /* the kernel's pid_max ceiling */
#define MEMORY_MIB_MAX 16777216u  /* 16 TiB */
#define DEFAULT_PROCS 1024u
#define DEFAULT_MEMORY_MIB 4096u

_Static_assert(NAME_MAX_LEN < NC_NAME_MAX, "metadata.name must fit struct nc_policy.name");
_Static_assert(NC_OP_COUNT <= MAX_KEYS, "the capabilities mapping must fit struct map");

struct parser {
    yaml_parser_t yp;
    yaml_event_t ev; /* the current event, owned; replaced by advance() */
    bool initialized;
    const char *buf; /* the input, to place errors that libyaml reports as byte offsets */
    size_t len;
    const char *source;
    struct nc_err *err;
    unsigned depth;
};

static void parser_fini(struct parser *p)
{
    yaml_event_delete(&p->ev);
    if (p->initialized)
        yaml_parser_delete(&p->yp);
}

/* ---- messages ------------------------------------------------------------------------- */

struct shown {
    char s[SHOW_BYTES * 4 + 8];
};

/* User text for a message: at most SHOW_BYTES input bytes, printable ASCII as is, anything
 * else (control characters, non-ASCII, backslash) escaped, "..." when cut. */
static const char *show(struct shown *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n && i < SHOW_BYTES; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            o->s[k++] = (char)c;
        } else {
            o->s[k++] = '\\';
            o->s[k++] = 'x';
            o->s[k++] = hex[c >> 4];
            o->s[k++] = hex[c & 0xfu];
        }
    }
    if (n > SHOW_BYTES) {
        memcpy(o->s + k, "...", 3);
        k += 3;
    }
    o->s[k] = '\0';
    return o->s;
}

static yaml_mark_t mark_origin(void)
{
    yaml_mark_t m = {0, 0, 0};
    return m;
}

/* The mark of a byte offset, counted the way libyaml counts: lines end at "\n", "\r\n" or a
 * lone "\r"; columns are characters (UTF-8 lead bytes). */
static yaml_mark_t mark_at(const struct parser *p, size_t off)
{
    yaml_mark_t m = {off, 0, 0};
    if (off > p->len)
        off = p->len;
    for (size_t i = 0; i < off; i++) {
        unsigned char c = (unsigned char)p->buf[i];
        if (c == '\n' || (c == '\r' && (i + 1 >= p->len || p->buf[i + 1] != '\n'))) {
            m.line++;
            m.column = 0;
        } else if (c != '\r' && (c & 0xc0u) != 0x80u) {
            m.column++;
        }
    }
    return m;
}

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, yaml_mark_t m,
                                                      const char *fmt, ...)
{
    char msg[NC_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is acceptable in a message */
    va_end(ap);
    (void)nc_err_set(p->err, EINVAL, "%s:%zu:%zu: %s", p->source, m.line + 1, m.column + 1, msg);
    return -1;
}

static int syntax_error(struct parser *p)
{
    const yaml_parser_t *y = &p->yp;
    const char *problem = y->problem != NULL ? y->problem : "unknown problem";

    switch (y->error) {
    case YAML_MEMORY_ERROR:
        (void)nc_err_set(p->err, ENOMEM, "%s:%zu:%zu: out of memory while parsing", p->source,
                         y->mark.line + 1, y->mark.column + 1);
        return -1;
    case YAML_READER_ERROR:
        /* The reader reports a byte offset, not a mark. */
        if (y->problem_value >= 0)
            return fail(p, mark_at(p, y->problem_offset), "invalid input: %s (#%X)", problem,
                        (unsigned)y->problem_value);
        return fail(p, mark_at(p, y->problem_offset), "invalid input: %s", problem);
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
        if (y->context != NULL)
            return fail(p, y->problem_mark, "YAML syntax error: %s (%s at %zu:%zu)", problem,
                        y->context, y->context_mark.line + 1, y->context_mark.column + 1);
        return fail(p, y->problem_mark, "YAML syntax error: %s", problem);
    case YAML_NO_ERROR:
    case YAML_COMPOSER_ERROR:
    case YAML_WRITER_ERROR:
    case YAML_EMITTER_ERROR:
        break;
    }
    return fail(p, y->mark, "YAML syntax error: %s", problem);
}

/* ---- events ------------------------------------------------------------------------------ */

/* Refusals that hold for every node, whatever the schema expects there. */
static int check_event(struct parser *p)
{
    const yaml_event_t *e = &p->ev;
    const yaml_char_t *anchor = NULL, *tag = NULL;
    struct shown sh;

    switch (e->type) {
    case YAML_ALIAS_EVENT:
        /* Aliases let a few hundred bytes expand into gigabytes once resolved ("billion
         * laughs"); a policy never needs to repeat a node, so they are refused outright. */
        return fail(p, e->start_mark, "aliases (*%s) are not allowed in a policy file",
                    show(&sh, (const char *)e->data.alias.anchor,
                         strlen((const char *)e->data.alias.anchor)));
    case YAML_SCALAR_EVENT:
        anchor = e->data.scalar.anchor;
        tag = e->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = e->data.sequence_start.anchor;
        tag = e->data.sequence_start.tag;
        if (++p->depth > MAX_DEPTH)
            return fail(p, e->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = e->data.mapping_start.anchor;
        tag = e->data.mapping_start.tag;
        if (++p->depth > MAX_DEPTH)
            return fail(p, e->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        p->depth--;
        break;
    case YAML_DOCUMENT_START_EVENT:
        /* %TAG only exists to abbreviate tags, which are refused; %YAML is harmless. */
        if (e->data.document_start.tag_directives.start !=
            e->data.document_start.tag_directives.end)
            return fail(p, e->start_mark, "%%TAG directives are not allowed in a policy file");
        break;
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        break;
    }
    /* Anchors are refused with aliases (an anchor is useless without one).  Tags are refused
     * because the schema fixes every type: a tag could only make a node mean something other
     * than what it looks like (!!str on a number, or an application tag). */
    if (anchor != NULL)
        return fail(p, e->start_mark, "anchors (&%s) are not allowed in a policy file",
                    show(&sh, (const char *)anchor, strlen((const char *)anchor)));
    if (tag != NULL)
        return fail(p, e->start_mark, "tags (%s) are not allowed in a policy file",
                    show(&sh, (const char *)tag, strlen((const char *)tag)));
    return 0;
}

static int advance(struct parser *p)
{
    yaml_event_delete(&p->ev);
    if (!yaml_parser_parse(&p->yp, &p->ev))
        return syntax_error(p);
    return check_event(p);
}

static const char *ev_text(const struct parser *p)
{
    return (const char *)p->ev.data.scalar.value;
}

static size_t ev_len(const struct parser *p)
{
    return p->ev.data.scalar.length;
}

static bool ev_plain(const struct parser *p)
{
    return p->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool ev_is(const struct parser *p, const char *word)
{
    size_t n = strlen(word);
    return ev_len(p) == n && memcmp(ev_text(p), word, n) == 0;
}

/* Copies the current scalar into buf as a C string; false when it does not fit or holds a NUL
 * (which a C string would cut short). */
static bool ev_cstr(const struct parser *p, char *buf, size_t size)
{
    size_t n = ev_len(p);
    if (n >= size || memchr(ev_text(p), '\0', n) != NULL)
        return false;
    memcpy(buf, ev_text(p), n);
    buf[n] = '\0';
    return true;
}

/* A plain scalar that YAML resolves to null: an empty value, "~" or null. */
static bool ev_null(const struct parser *p)
{
    return p->ev.type == YAML_SCALAR_EVENT && ev_plain(p) &&
           (ev_len(p) == 0 || ev_is(p, "~") || ev_is(p, "null") || ev_is(p, "Null") ||
            ev_is(p, "NULL"));
}

/* A keyword is a plain scalar; "unrestricted" in quotes is the text, not the keyword. */
static bool ev_keyword(const struct parser *p, const char *word)
{
    return p->ev.type == YAML_SCALAR_EVENT && ev_plain(p) && ev_is(p, word);
}

static bool ev_quoted_keyword(const struct parser *p, const char *word)
{
    return p->ev.type == YAML_SCALAR_EVENT && !ev_plain(p) && ev_is(p, word);
}

/* What the current node is, for "expected X, found Y". */
static const char *ev_kind(const struct parser *p)
{
    switch (p->ev.type) {
    case YAML_SCALAR_EVENT:
        if (ev_null(p))
            return "null (an empty value)";
        return ev_plain(p) ? "a scalar" : "a quoted or block scalar";
    case YAML_SEQUENCE_START_EVENT:
        return "a sequence";
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_ALIAS_EVENT:
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        break;
    }
    return "nothing";
}

/* ---- strings ----------------------------------------------------------------------------- */

/* Characters refused in every string the policy keeps (name, description, list entries):
 *   - C0 and C1 controls and DEL: a newline or escape sequence inside an entry is never
 *     intended, and the list checks of the core refuse the ASCII ones anyway;
 *   - U+2028 and U+2029: YAML folds them as line breaks, so they could not be written back;
 *   - U+FEFF, U+FFFE, U+FFFF: invisible or not characters (libyaml refuses the last two
 *     written literally, so escapes are the only way in);
 *   - the bidirectional controls: they reorder how text is displayed, so a reviewer could read
 *     a different entry than the one enforced ("Trojan Source", CVE-2021-42574).
 * Returns NULL, or a reason. */
static const char *check_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t w;

        if (c < 0x80) {
            cp = c;
            w = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            cp = c & 0x1fu;
            w = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            cp = c & 0x0fu;
            w = 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            cp = c & 0x07u;
            w = 4;
        } else {
            return "is not valid UTF-8";
        }
        if (w > n - i)
            return "is not valid UTF-8";
        for (size_t k = 1; k < w; k++) {
            unsigned char cc = (unsigned char)s[i + k];
            if ((cc & 0xc0u) != 0x80u)
                return "is not valid UTF-8";
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if ((w == 3 && cp < 0x800) || (w == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return "is not valid UTF-8";
        if (cp == 0)
            return "contains a NUL character";
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return "contains a control character (tabs and line breaks included)";
        if (cp == 0x2028 || cp == 0x2029)
            return "contains a Unicode line or paragraph separator";
        if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
            (cp >= 0x2066 && cp <= 0x2069))
            return "contains a bidirectional control character";
        if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
            return "contains U+FEFF, U+FFFE or U+FFFF";
        i += w;
    }
    return NULL;
}

/* The current node as a string: a scalar (any style) that is not null and holds no refused
 * character.  Does not advance: the text lives in the current event. */
static int string_value(struct parser *p, const char *what)
{
    const char *bad;

    if (p->ev.type != YAML_SCALAR_EVENT || ev_null(p))
        return fail(p, p->ev.start_mark, "%s: expected a string, found %s", what, ev_kind(p));
    bad = check_text(ev_text(p), ev_len(p));
    if (bad != NULL)
        return fail(p, p->ev.start_mark, "%s: the value %s", what, bad);
    return 0;
}

/* An exact string such as apiVersion. */
static int fixed_value(struct parser *p, const char *what, const char *want)
{
    struct shown sh;
    if (string_value(p, what) < 0)
        return -1;
    if (!ev_is(p, want))
        return fail(p, p->ev.start_mark, "%s: unsupported value '%s' (expected %s)", what,
                    show(&sh, ev_text(p), ev_len(p)), want);
    return advance(p);
}

/* ---- numbers ----------------------------------------------------------------------------- */

/* A non-negative decimal integer in [min, max], or `unlimited` when allowed.  Integers are
 * plain scalars of digits only: no sign, spaces, underscores, hex, exponent or fraction, and no
 * leading zero (YAML 1.1 readers take 0600 as octal; refusing it removes the ambiguity). */
static int uint_value(struct parser *p, const char *what, uint64_t min, uint64_t max,
                      bool unlimited_ok, uint64_t *out)
{
    const char *s;
    size_t n;
    uint64_t v = 0;
    struct shown sh;
    const char *alt = unlimited_ok ? " or unlimited" : "";

    if (p->ev.type != YAML_SCALAR_EVENT || ev_null(p))
        return fail(p, p->ev.start_mark, "%s: expected an integer%s, found %s", what, alt,
                    ev_kind(p));
    if (unlimited_ok && ev_keyword(p, "unlimited")) {
        *out = NC_UNLIMITED;
        return advance(p);
    }
    if (unlimited_ok && ev_quoted_keyword(p, "unlimited"))
        return fail(p, p->ev.start_mark,
                    "%s: write unlimited without quotes (a quoted scalar is text)", what);
    if (!ev_plain(p))
        return fail(p, p->ev.start_mark,
                    "%s: expected an integer%s, found a quoted or block scalar (write the "
                    "number without quotes)",
                    what, alt);
    s = ev_text(p);
    n = ev_len(p);
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(p, p->ev.start_mark,
                        "%s: '%s' is not a decimal integer (digits only: no sign, spaces, hex, "
                        "exponent or fraction)",
                        what, show(&sh, s, n));
    }
    if (n > 1 && s[0] == '0')
        return fail(p, p->ev.start_mark, "%s: '%s' has a leading zero", what, show(&sh, s, n));
    for (size_t i = 0; i < n; i++) {
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v)) {
            v = UINT64_MAX;
            break;
        }
    }
    if (v < min || v > max)
        return fail(p, p->ev.start_mark, "%s: %s is out of range (%llu to %llu%s)", what,
                    show(&sh, s, n), (unsigned long long)min, (unsigned long long)max, alt);
    *out = v;
    return advance(p);
}

/* An amount of money, parsed exactly into micro-units from the scalar's text (never through
 * a double): plain (2.5, 2) or quoted ("2.50"), at most 6 decimals; or plain `unlimited`. */
static int amount_value(struct parser *p, const char *what, uint64_t *out)
{
    char tmp[32];
    const char *s;
    size_t n;
    uint64_t v = 0;
    struct shown sh;

    if (p->ev.type != YAML_SCALAR_EVENT || ev_null(p))
        return fail(p, p->ev.start_mark, "%s: expected an amount or unlimited, found %s", what,
                    ev_kind(p));
    if (ev_keyword(p, "unlimited")) {
        *out = NC_UNLIMITED;
        return advance(p);
    }
    if (ev_quoted_keyword(p, "unlimited"))
        return fail(p, p->ev.start_mark,
                    "%s: write unlimited without quotes (a quoted scalar is text)", what);
    s = ev_text(p);
    n = ev_len(p);
    if (!ev_cstr(p, tmp, sizeof(tmp)) || nc_parse_micros(tmp, &v) < 0)
        return fail(p, p->ev.start_mark,
                    "%s: '%s' is not an amount (a decimal with at most 6 decimals, such as "
                    "2.50, or unlimited)",
                    what, show(&sh, s, n));
    if (n > 1 && s[0] == '0' && s[1] != '.')
        return fail(p, p->ev.start_mark, "%s: '%s' has a leading zero", what, show(&sh, s, n));
    if (v == NC_UNLIMITED)
        /* The one amount that collides with the "unlimited" sentinel. */
        return fail(p, p->ev.start_mark, "%s: '%s' is too large (write unlimited)", what,
                    show(&sh, s, n));
    *out = v;
    return advance(p);
}

/* ---- mappings ---------------------------------------------------------------------------- */

struct map {
    const char *what; /* the mapping's path for messages: "spec.paths", or "" for the root */
    const char *const *keys;
    unsigned nkeys;
    uint32_t required; /* bit i: keys[i] must appear */
    uint32_t seen;
    yaml_mark_t start;
    yaml_mark_t first[MAX_KEYS]; /* where each key appeared, for duplicate messages */
};

#define MAP_END (-1)
#define MAP_ERR (-2)

static const char *map_where(const struct map *m, char *buf, size_t size)
{
    if (m->what[0] == '\0')
        return "at the top level";
    (void)snprintf(buf, size, "under %s", m->what);
    return buf;
}

static int map_open(struct parser *p, struct map *m)
{
    if (p->ev.type != YAML_MAPPING_START_EVENT)
        return fail(p, p->ev.start_mark, "%s: expected a mapping, found %s", m->what,
                    ev_kind(p));
    m->start = p->ev.start_mark;
    m->seen = 0;
    return advance(p);
}

/* Reads the next key of a mapping opened by map_open.  Returns its index in m->keys, with the
 * current event on its value; MAP_END after the mapping's end (all required keys present); or
 * MAP_ERR. */
static int map_key(struct parser *p, struct map *m)
{
    char where[96];
    struct shown sh;

    if (p->ev.type == YAML_MAPPING_END_EVENT) {
        uint32_t missing = m->required & ~m->seen;
        if (missing != 0) {
            unsigned i = (unsigned)__builtin_ctz(missing);
            /* Reported at the mapping that lacks the key: there is no better place. */
            (void)fail(p, m->start, "missing required key '%s' %s", m->keys[i],
                       map_where(m, where, sizeof(where)));
            return MAP_ERR;
        }
        return advance(p) < 0 ? MAP_ERR : MAP_END;
    }
    if (p->ev.type != YAML_SCALAR_EVENT) {
        (void)fail(p, p->ev.start_mark, "expected a plain key %s, found %s",
                   map_where(m, where, sizeof(where)), ev_kind(p));
        return MAP_ERR;
    }
    for (unsigned i = 0; i < m->nkeys; i++) {
        if (!ev_is(p, m->keys[i]))
            continue;
        if ((m->seen & (1u << i)) != 0) {
            (void)fail(p, p->ev.start_mark, "duplicate key '%s' %s (first at %zu:%zu)",
                       m->keys[i], map_where(m, where, sizeof(where)), m->first[i].line + 1,
                       m->first[i].column + 1);
            return MAP_ERR;
        }
        m->seen |= 1u << i;
        m->first[i] = p->ev.start_mark;
        return advance(p) < 0 ? MAP_ERR : (int)i;
    }
    {
        char expected[256];
        size_t o = 0;
        for (unsigned i = 0; i < m->nkeys; i++) {
            int k = snprintf(expected + o, sizeof(expected) - o, "%s%s", i == 0 ? "" : ", ",
                             m->keys[i]);
            if (k < 0 || (size_t)k >= sizeof(expected) - o)
                break; /* cannot happen with the schema's keys; the message is cut, not lost */
            o += (size_t)k;
        }
        (void)fail(p, p->ev.start_mark, "unknown key '%s' %s (expected one of: %s)",
                   show(&sh, ev_text(p), ev_len(p)), map_where(m, where, sizeof(where)),
                   expected);
    }
    return MAP_ERR;
}

/* ---- lists ------------------------------------------------------------------------------- */

/* A list of paths, commands or domains.  Allowlists also take the plain scalar `unrestricted`;
 * an empty sequence means "nothing" and a null value is an error, so everything is never
 * inferred from an absence. */
static int list_value(struct parser *p, const char *what, struct nc_list *l,
                      enum nc_list_kind kind, bool is_allow)
{
    char item[NC_ITEM_MAX + 1];
    struct shown sh;

    nc_list_init(l, kind, false);
    if (p->ev.type == YAML_SCALAR_EVENT) {
        if (is_allow && ev_keyword(p, "unrestricted")) {
            nc_list_init(l, kind, true);
            return advance(p);
        }
        if (is_allow && ev_quoted_keyword(p, "unrestricted"))
            return fail(p, p->ev.start_mark,
                        "%s: write unrestricted without quotes (a quoted scalar is text; an "
                        "allowlist is unrestricted or a sequence)",
                        what);
        if (!is_allow && ev_keyword(p, "unrestricted"))
            return fail(p, p->ev.start_mark,
                        "%s: unrestricted is allowed only for allow lists; this key takes a "
                        "sequence ([] for none)",
                        what);
    }
    if (p->ev.type != YAML_SEQUENCE_START_EVENT)
        return fail(p, p->ev.start_mark, "%s: expected %sa sequence, found %s", what,
                    is_allow ? "unrestricted or " : "", ev_kind(p));
    if (advance(p) < 0)
        return -1;
    while (p->ev.type != YAML_SEQUENCE_END_EVENT) {
        yaml_mark_t at = p->ev.start_mark;
        const char *why = NULL;
        size_t n;
        uint16_t before;

        if (p->ev.type != YAML_SCALAR_EVENT)
            return fail(p, at, "%s: expected a string entry, found %s", what, ev_kind(p));
        if (ev_keyword(p, "unrestricted"))
            return fail(p, at,
                        "%s: unrestricted is not an entry (write 'allow: unrestricted' for "
                        "everything, or quote it to mean the name)",
                        what);
        if (string_value(p, what) < 0)
            return -1;
        n = ev_len(p);
        if (n > NC_ITEM_MAX)
            return fail(p, at, "%s: entry '%s' is longer than %d bytes", what,
                        show(&sh, ev_text(p), n), NC_ITEM_MAX);
        memcpy(item, ev_text(p), n);
        item[n] = '\0';
        if (advance(p) < 0)
            return -1;
        /* Duplicates are mistakes (a merge gone wrong); nc_list_add would drop them silently.
         * The count comparison also catches entries that only the list's normalization makes
         * equal (domains are lower-cased). */
        before = l->count;
        if (nc_list_has(l, item))
            return fail(p, at, "%s: duplicate entry '%s'", what, show(&sh, item, n));
        if (nc_list_add(l, item, &why) < 0)
            return fail(p, at, "%s: entry '%s' rejected: %s", what, show(&sh, item, n), why);
        if (l->count == before)
            return fail(p, at, "%s: duplicate entry '%s' (entries are compared ignoring case)",
                        what, show(&sh, item, n));
    }
    return advance(p);
}

/* ---- the schema -------------------------------------------------------------------------- */

static int parse_name(struct parser *p, struct nc_policy *pol)
{
    const char *s;
    size_t n;
    struct shown sh;

    if (string_value(p, "metadata.name") < 0)
        return -1;
    s = ev_text(p);
    n = ev_len(p);
    if (n == 0)
        return fail(p, p->ev.start_mark, "metadata.name: the name is empty");
    if (n > NAME_MAX_LEN)
        return fail(p, p->ev.start_mark, "metadata.name: '%s' is longer than %d characters",
                    show(&sh, s, n), NAME_MAX_LEN);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (i == 0 && !alnum)
            return fail(p, p->ev.start_mark,
                        "metadata.name: '%s' must start with a letter or a digit",
                        show(&sh, s, n));
        if (!alnum && c != '.' && c != '_' && c != '+' && c != '-')
            return fail(p, p->ev.start_mark,
                        "metadata.name: '%s' may contain only letters, digits, '.', '_', '+' "
                        "and '-'",
                        show(&sh, s, n));
    }
    memcpy(pol->name, s, n);
    pol->name[n] = '\0';
    return advance(p);
}

static int parse_metadata(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"name", "description"};
    struct map m = {.what = "metadata", .keys = keys, .nkeys = 2, .required = 0x1u};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        int rc;
        if (k == 0) {
            rc = parse_name(p, pol);
        } else {
            /* Free text for people; checked (length, characters) but not kept. */
            rc = string_value(p, "metadata.description");
            if (rc == 0 && ev_len(p) > DESCRIPTION_MAX)
                rc = fail(p, p->ev.start_mark,
                          "metadata.description: longer than %u bytes", DESCRIPTION_MAX);
            if (rc == 0)
                rc = advance(p);
        }
        if (rc < 0)
            return -1;
    }
    return k == MAP_END ? 0 : -1;
}

static int parse_capabilities(struct parser *p, struct nc_policy *pol)
{
    const char *keys[NC_OP_COUNT];
    struct map m = {.what = "spec.capabilities", .keys = keys, .nkeys = NC_OP_COUNT,
                    .required = NC_OPSET_ALL};
    int k;

    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        keys[i] = nc_op_name((enum nc_op)i);
    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        char word[16];
        enum nc_level level;
        struct shown sh;

        if (p->ev.type != YAML_SCALAR_EVENT || ev_null(p))
            return fail(p, p->ev.start_mark,
                        "spec.capabilities.%s: expected never, low_risk or always, found %s",
                        keys[k], ev_kind(p));
        if (!ev_cstr(p, word, sizeof(word)) || nc_level_parse(word, &level) < 0)
            return fail(p, p->ev.start_mark,
                        "spec.capabilities.%s: unknown level '%s' (expected never, low_risk or "
                        "always)",
                        keys[k], show(&sh, ev_text(p), ev_len(p)));
        pol->caps.level[k] = (uint8_t)level;
        if (advance(p) < 0)
            return -1;
    }
    return k == MAP_END ? 0 : -1;
}

static int parse_approvals(struct parser *p, struct nc_policy *pol)
{
    pol->approvals = 0;
    if (p->ev.type != YAML_SEQUENCE_START_EVENT)
        return fail(p, p->ev.start_mark,
                    "spec.approvals: expected a sequence of operations ([] for none), found %s",
                    ev_kind(p));
    if (advance(p) < 0)
        return -1;
    while (p->ev.type != YAML_SEQUENCE_END_EVENT) {
        char word[16];
        enum nc_op op;
        struct shown sh;

        if (p->ev.type != YAML_SCALAR_EVENT || ev_null(p))
            return fail(p, p->ev.start_mark,
                        "spec.approvals: expected an operation name, found %s", ev_kind(p));
        if (!ev_cstr(p, word, sizeof(word)) || nc_op_parse(word, &op) < 0)
            return fail(p, p->ev.start_mark,
                        "spec.approvals: unknown operation '%s' (expected one of: read_files, "
                        "write_files, edit_files, run_bash, glob_search, grep_search, "
                        "web_search, web_fetch, git_commit, git_push, create_pr)",
                        show(&sh, ev_text(p), ev_len(p)));
        if ((pol->approvals & NC_OPSET_BIT(op)) != 0)
            return fail(p, p->ev.start_mark, "spec.approvals: duplicate operation '%s'",
                        nc_op_name(op));
        pol->approvals |= NC_OPSET_BIT(op);
        if (advance(p) < 0)
            return -1;
    }
    return advance(p);
}

static int parse_paths(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"allow", "deny", "read_only", "untrusted"};
    struct map m = {.what = "spec.paths", .keys = keys, .nkeys = 4, .required = 0x7u};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        int rc = -1;
        switch (k) {
        case 0:
            rc = list_value(p, "spec.paths.allow", &pol->paths_allow, NC_LIST_PATHS, true);
            break;
        case 1:
            rc = list_value(p, "spec.paths.deny", &pol->paths_deny, NC_LIST_PATHS, false);
            break;
        case 2:
            rc = list_value(p, "spec.paths.read_only", &pol->paths_readonly, NC_LIST_PATHS,
                            false);
            break;
        default:
            rc = list_value(p, "spec.paths.untrusted", &pol->paths_untrusted, NC_LIST_PATHS,
                            false);
            break;
        }
        if (rc < 0)
            return -1;
    }
    return k == MAP_END ? 0 : -1;
}

static int parse_commands(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"allow", "deny"};
    struct map m = {.what = "spec.commands", .keys = keys, .nkeys = 2, .required = 0x3u};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        int rc = k == 0 ? list_value(p, "spec.commands.allow", &pol->cmds_allow,
                                     NC_LIST_COMMANDS, true)
                        : list_value(p, "spec.commands.deny", &pol->cmds_deny,
                                     NC_LIST_COMMANDS, false);
        if (rc < 0)
            return -1;
    }
    return k == MAP_END ? 0 : -1;
}

static int parse_network(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"allow"};
    struct map m = {.what = "spec.network", .keys = keys, .nkeys = 1, .required = 0x1u};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0)
        if (list_value(p, "spec.network.allow", &pol->net_allow, NC_LIST_DOMAINS, true) < 0)
            return -1;
    return k == MAP_END ? 0 : -1;
}

static int parse_git(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"push_remotes"};
    struct map m = {.what = "spec.git", .keys = keys, .nkeys = 1, .required = 0x1u};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0)
        if (list_value(p, "spec.git.push_remotes", &pol->git_remotes, NC_LIST_URLS, true) < 0)
            return -1;
    return k == MAP_END ? 0 : -1;
}

static int parse_budget(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"max_usd"};
    struct map m = {.what = "spec.budget", .keys = keys, .nkeys = 1, .required = 0x1u};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0)
        if (amount_value(p, "spec.budget.max_usd", &pol->budget_micros) < 0)
            return -1;
    return k == MAP_END ? 0 : -1;
}

static int parse_limits(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"timeout_seconds", "max_processes", "memory_mib"};
    struct map m = {.what = "spec.limits", .keys = keys, .nkeys = 3, .required = 0x1u};
    uint64_t mib = DEFAULT_MEMORY_MIB;
    int k;

    pol->limits.max_procs = DEFAULT_PROCS;
    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        int rc;
        if (k == 0)
            rc = uint_value(p, "spec.limits.timeout_seconds", 1, TIMEOUT_MAX, true,
                            &pol->limits.timeout_s);
        else if (k == 1)
            rc = uint_value(p, "spec.limits.max_processes", 1, PROCS_MAX, true,
                            &pol->limits.max_procs);
        else
            rc = uint_value(p, "spec.limits.memory_mib", 1, MEMORY_MIB_MAX, true, &mib);
        if (rc < 0)
            return -1;
    }
    /* MEMORY_MIB_MAX << 20 is 2^44: no overflow. */
    pol->limits.memory_bytes = mib == NC_UNLIMITED ? NC_UNLIMITED : mib << 20;
    return k == MAP_END ? 0 : -1;
}

static int parse_spec(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"capabilities", "approvals", "paths", "commands",
                                       "network",      "budget",    "limits",
                                       "git"};
    /* git is optional (default: push_remotes []); the first seven are required */
    struct map m = {.what = "spec", .keys = keys, .nkeys = 8, .required = 0x7fu};
    int k;

    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        int rc = -1;
        switch (k) {
        case 0:
            rc = parse_capabilities(p, pol);
            break;
        case 1:
            rc = parse_approvals(p, pol);
            break;
        case 2:
            rc = parse_paths(p, pol);
            break;
        case 3:
            rc = parse_commands(p, pol);
            break;
        case 4:
            rc = parse_network(p, pol);
            break;
        case 5:
            rc = parse_budget(p, pol);
            break;
        case 6:
            rc = parse_limits(p, pol);
            break;
        default:
            rc = parse_git(p, pol);
            break;
        }
        if (rc < 0)
            return -1;
    }
    return k == MAP_END ? 0 : -1;
}

static int parse_root(struct parser *p, struct nc_policy *pol)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec"};
    struct map m = {.what = "", .keys = keys, .nkeys = 4, .required = 0xfu};
    int k;

    if (p->ev.type == YAML_SCALAR_EVENT && ev_null(p))
        return fail(p, p->ev.start_mark, "the document is empty");
    if (p->ev.type != YAML_MAPPING_START_EVENT)
        return fail(p, p->ev.start_mark, "the document must be a mapping, found %s",
                    ev_kind(p));
    if (map_open(p, &m) < 0)
        return -1;
    while ((k = map_key(p, &m)) >= 0) {
        int rc = -1;
        switch (k) {
        case 0:
            rc = fixed_value(p, "apiVersion", "nucleus/v1");
            break;
        case 1:
            rc = fixed_value(p, "kind", "Policy");
            break;
        case 2:
            rc = parse_metadata(p, pol);
            break;
        default:
            rc = parse_spec(p, pol);
            break;
        }
        if (rc < 0)
            return -1;
    }
    return k == MAP_END ? 0 : -1;
}

/* One stream holding exactly one document whose root is the policy mapping. */
static int parse_stream(struct parser *p, struct nc_policy *pol)
{
    if (advance(p) < 0) /* STREAM-START */
        return -1;
    if (advance(p) < 0)
        return -1;
    if (p->ev.type == YAML_STREAM_END_EVENT) /* nothing but comments and blank lines */
        return fail(p, mark_origin(), "the document is empty");
    if (advance(p) < 0) /* past DOCUMENT-START, onto the root node */
        return -1;
    if (parse_root(p, pol) < 0)
        return -1;
    if (advance(p) < 0) /* past DOCUMENT-END */
        return -1;
    if (p->ev.type != YAML_STREAM_END_EVENT)
        return fail(p, p->ev.start_mark,
                    "a second document: a policy file holds exactly one document");
    return 0;
}

int nc_policy_parse_yaml(const char *buf, size_t len, const char *source, struct nc_policy *out,
                         struct nc_err *err)
{
    struct parser p __attribute__((cleanup(parser_fini))) = {.initialized = false};
    _cleanup_free_ struct nc_policy *pol = NULL;
    const char *nul;
    const char *why;

    p.buf = buf;
    p.len = len;
    p.source = source != NULL ? source : "<input>";
    p.err = err;

    /* Checked before libyaml sees a byte.  The cap bounds the work of everything below.  A NUL
     * is refused with its own message (libyaml would only say "control characters are not
     * allowed"): tools that read the file as a C string stop at it, so a file with a NUL can
     * mean different policies to different readers. */
    if (len > NC_POLICY_FILE_MAX)
        return fail(&p, mark_origin(), "the policy file is larger than %lu bytes",
                    (unsigned long)NC_POLICY_FILE_MAX);
    if (len == 0 || buf == NULL)
        return fail(&p, mark_origin(), "the document is empty");
    /* libyaml is set to UTF-8 below; say why a UTF-16 file fails rather than "NUL byte". */
    if (len >= 2 && (((unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) ||
                     ((unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff)))
        return fail(&p, mark_origin(), "the input is UTF-16; policy files are UTF-8");
    nul = memchr(buf, '\0', len);
    if (nul != NULL)
        return fail(&p, mark_at(&p, (size_t)(nul - buf)), "the input contains a NUL byte");

    pol = calloc(1, sizeof(*pol));
    if (pol == NULL)
        return nc_err_set(err, ENOMEM, "%s:1:1: out of memory", p.source);
    nc_list_init(&pol->paths_untrusted, NC_LIST_PATHS, false); /* optional: default [] */
    nc_list_init(&pol->git_remotes, NC_LIST_URLS, false);      /* optional: default [] */

    if (!yaml_parser_initialize(&p.yp))
        return nc_err_set(err, ENOMEM, "%s:1:1: out of memory", p.source);
    p.initialized = true;
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)buf, len);
    /* UTF-8 only: libyaml would otherwise honour a UTF-16 byte order mark. */
    yaml_parser_set_encoding(&p.yp, YAML_UTF8_ENCODING);

    if (parse_stream(&p, pol) < 0)
        return -1;
    nc_policy_normalize(pol);
    why = nc_policy_check(pol);
    if (why != NULL)
        return fail(&p, mark_origin(), "internal error: the parsed policy is invalid: %s", why);
    memcpy(out, pol, sizeof(*out));
    return 0;
}
