/* SPDX-License-Identifier: Apache-2.0 */
/* SPIFFE IDs and authorization rules (see spiffe.h and docs/identity.md).
 *
 * Why so strict: an identity string is compared byte for byte by every authorization rule.
 * Any second spelling of the same ID (upper-case host, percent-encoding, "/./", "//", a
 * trailing "/", a port) would let a certificate name itself in a way one rule reads as X and
 * another as Y.  The SPIFFE-ID standard narrows the URI grammar to one spelling; the parser
 * accepts exactly that and nothing else, so equality of parsed IDs is byte equality. */
#include "spiffe.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool td_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static bool seg_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

bool nc_spiffe_trust_domain_valid(const char *td, size_t len)
{
    if (td == NULL || len == 0 || len > NC_SPIFFE_TD_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!td_char(td[i]))
            return false;
    return true;
}

bool nc_spiffe_segment_valid(const char *seg, size_t len)
{
    if (seg == NULL || len == 0)
        return false;
    if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!seg_char(seg[i]))
            return false;
    return true;
}

/* Names the byte for an error message without echoing control characters. */
static const char *describe(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x21 && u < 0x7f) {
        buf[0] = '\'';
        buf[1] = c;
        buf[2] = '\'';
        buf[3] = '\0';
    } else {
        static const char hex[] = "0123456789abcdef";
        buf[0] = '0';
        buf[1] = 'x';
        buf[2] = hex[u >> 4];
        buf[3] = hex[u & 0x0fu];
        buf[4] = '\0';
    }
    return buf;
}

int nc_spiffe_id_parse(const char *s, size_t len, unsigned flags, struct nc_spiffe_id *out,
                       struct nc_err *err)
{
    char b[8];
    size_t i, td_end;

    if (s == NULL || len == 0)
        return nc_err_set(err, EINVAL, "empty SPIFFE ID");
    if (len > NC_SPIFFE_ID_MAX)
        return nc_err_set(err, EINVAL, "SPIFFE ID longer than %u bytes", NC_SPIFFE_ID_MAX);
    if (len < NC_SPIFFE_SCHEME_LEN || memcmp(s, NC_SPIFFE_SCHEME, NC_SPIFFE_SCHEME_LEN) != 0)
        return nc_err_set(err, EINVAL, "a SPIFFE ID starts with \"spiffe://\" (lower case)");

    /* The trust domain: the URI host, nothing else.  '@' (userinfo), ':' (port), '%'
     * (percent-encoding) and upper case are refused by the character set itself; naming
     * them helps the person reading the error. */
    for (i = NC_SPIFFE_SCHEME_LEN; i < len && s[i] != '/'; i++) {
        if (td_char(s[i]))
            continue;
        if (s[i] == '@')
            return nc_err_set(err, EINVAL, "a SPIFFE ID has no userinfo ('@')");
        if (s[i] == ':')
            return nc_err_set(err, EINVAL, "a SPIFFE ID has no port (':')");
        if (s[i] == '%')
            return nc_err_set(err, EINVAL, "percent-encoding is not allowed in a trust domain");
        if (s[i] >= 'A' && s[i] <= 'Z')
            return nc_err_set(err, EINVAL, "trust domain must be lower case");
        if (s[i] == '?' || s[i] == '#')
            return nc_err_set(err, EINVAL, "a SPIFFE ID has no query or fragment");
        return nc_err_set(err, EINVAL, "invalid character %s in trust domain at offset %zu",
                          describe(s[i], b), i);
    }
    td_end = i;
    if (td_end == NC_SPIFFE_SCHEME_LEN)
        return nc_err_set(err, EINVAL, "trust domain is missing");
    if (td_end - NC_SPIFFE_SCHEME_LEN > NC_SPIFFE_TD_MAX)
        return nc_err_set(err, EINVAL, "trust domain longer than %u bytes", NC_SPIFFE_TD_MAX);

    /* The path: "/seg" repeated; each segment non-empty, not a dot segment. */
    while (i < len) {
        size_t start = ++i; /* skip the '/' */
        while (i < len && s[i] != '/') {
            if (!seg_char(s[i])) {
                if (s[i] == '?' || s[i] == '#')
                    return nc_err_set(err, EINVAL, "a SPIFFE ID has no query or fragment");
                if (s[i] == '%')
                    return nc_err_set(err, EINVAL, "percent-encoding is not allowed in a path");
                return nc_err_set(err, EINVAL, "invalid character %s in path at offset %zu",
                                  describe(s[i], b), i);
            }
            i++;
        }
        if (i == start)
            return nc_err_set(err, EINVAL,
                              i == len ? "path must not end with '/'"
                                       : "path must not contain an empty segment ('//')");
        if (!nc_spiffe_segment_valid(s + start, i - start))
            return nc_err_set(err, EINVAL, "path must not contain '.' or '..' segments");
    }

    if ((flags & NC_SPIFFE_REQUIRE_PATH) != 0 && td_end == len)
        return nc_err_set(err, EINVAL, "a workload SPIFFE ID needs a path (got a trust domain)");
    if ((flags & NC_SPIFFE_REQUIRE_ROOT) != 0 && td_end != len)
        return nc_err_set(err, EINVAL, "a trust-domain SPIFFE ID has no path");

    if (out != NULL) {
        memcpy(out->id, s, len);
        out->id[len] = '\0';
        out->len = len;
        out->td_len = td_end - NC_SPIFFE_SCHEME_LEN;
    }
    return 0;
}

int nc_spiffe_id_parse_str(const char *s, unsigned flags, struct nc_spiffe_id *out,
                           struct nc_err *err)
{
    if (s == NULL)
        return nc_err_set(err, EINVAL, "empty SPIFFE ID");
    return nc_spiffe_id_parse(s, strnlen(s, NC_SPIFFE_ID_MAX + 1), flags, out, err);
}

int nc_spiffe_id_workload(const char *td, const char *ns, const char *sa,
                          struct nc_spiffe_id *out, struct nc_err *err)
{
    size_t tl, nl, sl, total;
    if (td == NULL || !nc_spiffe_trust_domain_valid(td, tl = strnlen(td, NC_SPIFFE_TD_MAX + 1)))
        return nc_err_set(err, EINVAL, "invalid trust domain (1-255 bytes of [a-z0-9._-])");
    if (ns == NULL || !nc_spiffe_segment_valid(ns, nl = strnlen(ns, NC_SPIFFE_ID_MAX + 1)))
        return nc_err_set(err, EINVAL, "invalid namespace (one segment of [A-Za-z0-9._-])");
    if (sa == NULL || !nc_spiffe_segment_valid(sa, sl = strnlen(sa, NC_SPIFFE_ID_MAX + 1)))
        return nc_err_set(err, EINVAL,
                          "invalid service account (one segment of [A-Za-z0-9._-])");
    total = NC_SPIFFE_SCHEME_LEN + tl + 4 + nl + 4 + sl; /* "/ns/" and "/sa/" */
    if (total > NC_SPIFFE_ID_MAX)
        return nc_err_set(err, ENAMETOOLONG, "SPIFFE ID longer than %u bytes", NC_SPIFFE_ID_MAX);
    char *p = out->id;
    memcpy(p, NC_SPIFFE_SCHEME, NC_SPIFFE_SCHEME_LEN);
    p += NC_SPIFFE_SCHEME_LEN;
    memcpy(p, td, tl);
    p += tl;
    memcpy(p, "/ns/", 4);
    p += 4;
    memcpy(p, ns, nl);
    p += nl;
    memcpy(p, "/sa/", 4);
    p += 4;
    memcpy(p, sa, sl);
    p += sl;
    *p = '\0';
    out->len = total;
    out->td_len = tl;
    return 0;
}

void nc_spiffe_id_trust_domain_id(const struct nc_spiffe_id *id, struct nc_spiffe_id *out)
{
    size_t n = NC_SPIFFE_SCHEME_LEN + id->td_len;
    memmove(out->id, id->id, n);
    out->id[n] = '\0';
    out->len = n;
    out->td_len = id->td_len;
}

const char *nc_spiffe_id_path(const struct nc_spiffe_id *id)
{
    return id->id + NC_SPIFFE_SCHEME_LEN + id->td_len;
}

bool nc_spiffe_id_equal(const struct nc_spiffe_id *a, const struct nc_spiffe_id *b)
{
    return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

bool nc_spiffe_id_same_trust_domain(const struct nc_spiffe_id *a, const struct nc_spiffe_id *b)
{
    return a->td_len == b->td_len &&
           memcmp(a->id + NC_SPIFFE_SCHEME_LEN, b->id + NC_SPIFFE_SCHEME_LEN, a->td_len) == 0;
}

/* ---- rules ------------------------------------------------------------------------------ */

int nc_spiffe_rule_parse(const char *s, struct nc_spiffe_rule *out, struct nc_err *err)
{
    struct nc_err perr = {0};
    size_t len;

    out->id.len = 0;
    out->id.td_len = 0;
    if (s == NULL || s[0] == '\0')
        return nc_err_set(err, EINVAL, "empty rule");
    len = strnlen(s, NC_SPIFFE_ID_MAX + 3);
    if (len > NC_SPIFFE_ID_MAX + 2)
        return nc_err_set(err, EINVAL, "rule longer than %u bytes", NC_SPIFFE_ID_MAX + 2);
    if (len >= 2 && s[len - 1] == '*' && s[len - 2] == '/') {
        /* A wildcard rule: what precedes "/" "*" must itself be a valid ID. */
        if (nc_spiffe_id_parse(s, len - 2, 0, &out->id, &perr) < 0)
            return nc_err_set(err, EINVAL, "rule '%.*s': %s", (int)len, s, perr.msg);
        out->kind = out->id.len == NC_SPIFFE_SCHEME_LEN + out->id.td_len
                        ? NC_SPIFFE_RULE_TRUST_DOMAIN
                        : NC_SPIFFE_RULE_PREFIX;
        return 0;
    }
    if (memchr(s, '*', len) != NULL)
        return nc_err_set(err, EINVAL,
                          "rule '%.*s': '*' is only allowed as the whole last segment", (int)len,
                          s);
    if (nc_spiffe_id_parse(s, len, 0, &out->id, &perr) < 0)
        return nc_err_set(err, EINVAL, "rule '%.*s': %s", (int)len, s, perr.msg);
    if (out->id.len == NC_SPIFFE_SCHEME_LEN + out->id.td_len)
        return nc_err_set(err, EINVAL,
                          "rule '%s' names a trust domain, not a workload; write '%s/*' to "
                          "allow every workload of the trust domain",
                          out->id.id, out->id.id);
    out->kind = NC_SPIFFE_RULE_EXACT;
    return 0;
}

int nc_spiffe_rule_format(const struct nc_spiffe_rule *r, char *out, size_t outsz,
                          struct nc_err *err)
{
    size_t need = r->id.len + (r->kind == NC_SPIFFE_RULE_EXACT ? 0 : 2);
    if (need + 1 > outsz)
        return nc_err_set(err, ENOSPC, "buffer too small for the rule");
    memcpy(out, r->id.id, r->id.len);
    if (r->kind != NC_SPIFFE_RULE_EXACT) {
        out[r->id.len] = '/';
        out[r->id.len + 1] = '*';
    }
    out[need] = '\0';
    return (int)need;
}

bool nc_spiffe_rule_match(const struct nc_spiffe_rule *r, const struct nc_spiffe_id *id)
{
    if (r == NULL || id == NULL || id->len <= NC_SPIFFE_SCHEME_LEN + id->td_len)
        return false; /* no path: never a workload */
    switch (r->kind) {
    case NC_SPIFFE_RULE_EXACT:
        return nc_spiffe_id_equal(&r->id, id);
    case NC_SPIFFE_RULE_TRUST_DOMAIN:
        return nc_spiffe_id_same_trust_domain(&r->id, id);
    case NC_SPIFFE_RULE_PREFIX:
        /* The prefix, then a '/' in the ID: a segment boundary, and at least one more
         * segment (the parser guarantees segments are non-empty). */
        return id->len > r->id.len && memcmp(id->id, r->id.id, r->id.len) == 0 &&
               id->id[r->id.len] == '/';
    }
    return false;
}

/* ---- policies ----------------------------------------------------------------------------- */

struct nc_spiffe_policy {
    size_t n, cap;
    struct nc_spiffe_rule *rules;
};

struct nc_spiffe_policy *nc_spiffe_policy_new(struct nc_err *err)
{
    struct nc_spiffe_policy *p = calloc(1, sizeof(*p));
    if (p == NULL)
        nc_err_set(err, ENOMEM, "out of memory");
    return p;
}

void nc_spiffe_policy_free(struct nc_spiffe_policy *p)
{
    if (p == NULL)
        return;
    free(p->rules);
    free(p);
}

static int policy_push(struct nc_spiffe_policy *p, const struct nc_spiffe_rule *r,
                       struct nc_err *err)
{
    if (p->n == p->cap) {
        size_t cap = p->cap == 0 ? 4 : p->cap * 2, bytes;
        if (cap > 4096 || __builtin_mul_overflow(cap, sizeof(*p->rules), &bytes))
            return nc_err_set(err, E2BIG, "too many rules (at most 4096)");
        struct nc_spiffe_rule *nr = realloc(p->rules, bytes);
        if (nr == NULL)
            return nc_err_set(err, ENOMEM, "out of memory");
        p->rules = nr;
        p->cap = cap;
    }
    p->rules[p->n++] = *r;
    return 0;
}

int nc_spiffe_policy_add(struct nc_spiffe_policy *p, const char *rule, struct nc_err *err)
{
    struct nc_spiffe_rule *r = malloc(sizeof(*r)); /* 2 KiB: keep it off small stacks */
    int rc;
    if (r == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    rc = nc_spiffe_rule_parse(rule, r, err);
    if (rc == 0)
        rc = policy_push(p, r, err);
    free(r);
    return rc;
}

struct nc_spiffe_policy *nc_spiffe_policy_dup(const struct nc_spiffe_policy *p,
                                              struct nc_err *err)
{
    struct nc_spiffe_policy *q = nc_spiffe_policy_new(err);
    if (q == NULL || p == NULL)
        return q;
    for (size_t i = 0; i < p->n; i++) {
        if (policy_push(q, &p->rules[i], err) < 0) {
            nc_spiffe_policy_free(q);
            return NULL;
        }
    }
    return q;
}

size_t nc_spiffe_policy_count(const struct nc_spiffe_policy *p)
{
    return p == NULL ? 0 : p->n;
}

const struct nc_spiffe_rule *nc_spiffe_policy_rule(const struct nc_spiffe_policy *p, size_t i)
{
    return p == NULL || i >= p->n ? NULL : &p->rules[i];
}

bool nc_spiffe_policy_allows(const struct nc_spiffe_policy *p, const struct nc_spiffe_id *id)
{
    if (p == NULL || id == NULL)
        return false;
    for (size_t i = 0; i < p->n; i++)
        if (nc_spiffe_rule_match(&p->rules[i], id))
            return true;
    return false;
}
