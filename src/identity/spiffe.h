/* SPDX-License-Identifier: Apache-2.0 */
/* SPIFFE IDs: a strict parser and formatter, and the authorization rules that say which peer
 * identities a link accepts (exact ID, whole trust domain, or a path prefix on segment
 * boundaries).  Pure code: no I/O, no allocation except in the policy list. */
#ifndef NC_IDENTITY_SPIFFE_H
#define NC_IDENTITY_SPIFFE_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define NC_SPIFFE_ID_MAX 2048u /* bytes, scheme included (SPIFFE-ID §2.3) */
#define NC_SPIFFE_TD_MAX 255u  /* bytes of a trust domain name (the URI host limit) */
#define NC_SPIFFE_SCHEME "spiffe://"
#define NC_SPIFFE_SCHEME_LEN 9u

/* A parsed SPIFFE ID, kept as its canonical string (the only spelling the parser accepts, so
 * byte equality is identity equality).  The trust domain is id[NC_SPIFFE_SCHEME_LEN ..
 * NC_SPIFFE_SCHEME_LEN + td_len); the path (empty for a trust-domain ID) starts right after. */
struct nc_spiffe_id {
    char id[NC_SPIFFE_ID_MAX + 1];
    size_t len;    /* strlen(id) */
    size_t td_len; /* bytes of the trust domain */
};

/* Flags of nc_spiffe_id_parse. */
#define NC_SPIFFE_REQUIRE_PATH 0x1u /* a workload (leaf) ID: the path must not be empty */
#define NC_SPIFFE_REQUIRE_ROOT 0x2u /* a trust-domain ID: the path must be empty */

/* Parses exactly len bytes of s (no NUL needed; an embedded NUL is an error).  Accepted:
 * "spiffe://" (lower case), a trust domain of 1..255 bytes of [a-z0-9._-], then zero or more
 * path segments "/seg", each of 1+ bytes of [A-Za-z0-9._-] and neither "." nor "..".  Refused:
 * anything longer than 2048 bytes, upper case or percent-encoding in the trust domain, a
 * userinfo, port, query or fragment, empty segments ("//" or a trailing "/"), dot segments, and
 * every other byte.  Returns 0 and fills out, or < 0 with err (EINVAL) naming the first
 * problem. */
int nc_spiffe_id_parse(const char *s, size_t len, unsigned flags, struct nc_spiffe_id *out,
                       struct nc_err *err);
/* As nc_spiffe_id_parse on a NUL-terminated string. */
int nc_spiffe_id_parse_str(const char *s, unsigned flags, struct nc_spiffe_id *out,
                           struct nc_err *err);

/* True when td is a valid trust domain name (len bytes). */
bool nc_spiffe_trust_domain_valid(const char *td, size_t len);
/* True when seg is one valid path segment (len bytes). */
bool nc_spiffe_segment_valid(const char *seg, size_t len);

/* Builds spiffe://<td>/ns/<ns>/sa/<sa>, validating each part (the nucleus naming scheme for
 * pods and clients).  EINVAL names the bad part; ENAMETOOLONG past 2048 bytes. */
int nc_spiffe_id_workload(const char *td, const char *ns, const char *sa,
                          struct nc_spiffe_id *out, struct nc_err *err);
/* The trust domain ID spiffe://<td> of an ID. */
void nc_spiffe_id_trust_domain_id(const struct nc_spiffe_id *id, struct nc_spiffe_id *out);
/* The path ("" for a trust-domain ID, else "/..."). */
const char *nc_spiffe_id_path(const struct nc_spiffe_id *id);
bool nc_spiffe_id_equal(const struct nc_spiffe_id *a, const struct nc_spiffe_id *b);
bool nc_spiffe_id_same_trust_domain(const struct nc_spiffe_id *a, const struct nc_spiffe_id *b);

/* ---- authorization rules ----------------------------------------------------------------- */

enum nc_spiffe_rule_kind {
    NC_SPIFFE_RULE_EXACT,        /* "spiffe://td/p/q": that ID only */
    NC_SPIFFE_RULE_TRUST_DOMAIN, /* "spiffe://td" + "/" + "*": every workload ID of td */
    NC_SPIFFE_RULE_PREFIX,       /* "spiffe://td/p" + "/" + "*": IDs strictly below /p, compared
                                    segment by segment (/p/q matches, /p and /pq do not) */
};

struct nc_spiffe_rule {
    enum nc_spiffe_rule_kind kind;
    struct nc_spiffe_id id; /* the ID, the trust-domain ID, or the prefix (without the star) */
};

/* Parses one rule written as above.  A bare trust-domain ID ("spiffe://td") is refused: it
 * names no workload, and reading it as "the whole trust domain" would be a silent widening;
 * the trust-domain rule ends in an explicit star segment.  "*" is only allowed as the whole
 * last segment. */
int nc_spiffe_rule_parse(const char *s, struct nc_spiffe_rule *out, struct nc_err *err);
/* Writes the rule back in its textual form; returns its length, or < 0 (ENOSPC). */
int nc_spiffe_rule_format(const struct nc_spiffe_rule *r, char *out, size_t outsz,
                          struct nc_err *err);
/* True when the rule authorizes id.  A trust-domain ID (no path) never matches a rule. */
bool nc_spiffe_rule_match(const struct nc_spiffe_rule *r, const struct nc_spiffe_id *id);

/* A list of rules; a peer is authorized when any rule matches.  An empty policy authorizes
 * nobody (fail closed: "accept anyone" is never the default). */
struct nc_spiffe_policy;

struct nc_spiffe_policy *nc_spiffe_policy_new(struct nc_err *err);
void nc_spiffe_policy_free(struct nc_spiffe_policy *p);
/* Parses and appends one rule (see nc_spiffe_rule_parse). */
int nc_spiffe_policy_add(struct nc_spiffe_policy *p, const char *rule, struct nc_err *err);
/* A deep copy (NULL with err on failure). */
struct nc_spiffe_policy *nc_spiffe_policy_dup(const struct nc_spiffe_policy *p,
                                              struct nc_err *err);
size_t nc_spiffe_policy_count(const struct nc_spiffe_policy *p);
const struct nc_spiffe_rule *nc_spiffe_policy_rule(const struct nc_spiffe_policy *p, size_t i);
/* True when some rule matches id; NULL policy authorizes nobody. */
bool nc_spiffe_policy_allows(const struct nc_spiffe_policy *p, const struct nc_spiffe_id *id);

#endif
