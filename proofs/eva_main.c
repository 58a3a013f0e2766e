/* SPDX-License-Identifier: Apache-2.0 */
/* EVA driver: calls every public function of src/core/ with nondeterministic inputs, so that
 * Frama-C's abstract interpreter checks the absence of run-time errors (out-of-bounds
 * accesses, reads of uninitialized memory, invalid pointers, signed overflow, invalid shifts,
 * division by zero, calls that break a libc precondition) for ALL inputs in the ranges below,
 * not just the ones a test happens to try.  Run by scripts/proofs.sh; never compiled into the
 * product.
 *
 * Inputs:
 *   - integers and enums range over their whole type, out-of-range enum values included;
 *   - structs that callers may pass in any state (caps, budgets, windows) are entirely unknown
 *     bytes (Frama_C_make_unknown);
 *   - a "string" is a buffer of N unknown bytes whose last byte is NUL: every string of length
 *     0..N-1 with any bytes (N is small: EVA's cost grows with it); pointer + length inputs
 *     get any length 0..N; optional pointers are also NULL; inputs beyond each size limit
 *     are given too, to check that they are refused before they are scanned;
 *   - lists and policies are built only through the public API (their invariants are what the
 *     API establishes): lists from catalogues of entries that cover the entry syntax, lists
 *     filled to the 64-entry and 8192-byte capacities, every built-in profile, its meet with
 *     a policy of unknown capabilities, obligations and limits, top and bottom.
 * Two places narrow the inputs to spare EVA a relation it cannot track; each says so where it
 * does it (nc_path_normalize's output buffer, argv[0] in the policy section).
 * Each module has its own section, enabled by -DNC_EVA_<MODULE> when its file is analysed
 * (scripts/proofs.sh sets these from the file list).  proofs/README.md has the results. */
#include "__fc_builtin.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/budget.h"
#include "core/glob.h"
#include "core/lattice.h"
#include "core/list.h"
#include "core/policy.h"
#include "core/profiles.h"
#include "core/sanitize.h"
#include "core/validate.h"

/* ---- nondeterministic inputs --------------------------------------------------------------- */

/* Any string of length 0..n-1 (any bytes), in buf[n]. */
static char *nd_string(char *buf, size_t n)
{
    Frama_C_make_unknown(buf, n - 1);
    buf[n - 1] = '\0';
    return buf;
}

/* Any string of length 0..n-1-pad in buf[n], followed by `pad` more NUL bytes.  Used only
 * where a caller reads at a fixed distance past a prefix it has just compared (policy.c's
 * "git-" exec-path rule): EVA cannot tie the pointer to the compared bytes, so without the
 * padding it would flag reads that can only happen when the prefix is really there.  Reads
 * past the padding are still checked. */
static char *nd_string_pad(char *buf, size_t n, size_t pad)
{
    nd_string(buf, n - pad);
    memset(buf + n - pad, 0, pad);
    return buf;
}

/* nd_string, or NULL. */
static char *nd_string_or_null(char *buf, size_t n)
{
    return (char *)Frama_C_nondet_ptr(nd_string(buf, n), NULL);
}

static uint64_t nd_u64(void)
{
    uint64_t v;
    Frama_C_make_unknown((char *)&v, sizeof(v));
    return v;
}

static uint16_t nd_u16(void)
{
    uint16_t v;
    Frama_C_make_unknown((char *)&v, sizeof(v));
    return v;
}

static size_t nd_size(size_t lo, size_t hi)
{
    return Frama_C_size_t_interval(lo, hi);
}

static bool nd_bool(void)
{
    return Frama_C_interval(0, 1) != 0;
}

static int nd_int(void)
{
    return Frama_C_interval(INT_MIN, INT_MAX);
}

static void nd_bytes(void *p, size_t n)
{
    Frama_C_make_unknown((char *)p, n);
}

#if defined(NC_EVA_LATTICE)
/* ---- lattice.c ------------------------------------------------------------------------------ */
static void eva_lattice(void)
{
    enum nc_level a = (enum nc_level)nd_int(), b = (enum nc_level)nd_int();
    struct nc_caps x, y, z;
    nc_opset o1 = nd_u16(), o2 = nd_u16();
    enum nc_level l;
    enum nc_op op;
    char s[24];

    (void)nc_level_meet(a, b);
    (void)nc_level_join(a, b);
    (void)nc_level_leq(a, b);
    (void)nc_level_implies(a, b);
    (void)nc_level_valid(nd_int());
    (void)nc_level_name(a);
    (void)nc_op_name((enum nc_op)nd_int());

    nd_bytes(&x, sizeof(x));
    nd_bytes(&y, sizeof(y));
    nc_caps_fill(&z, a);
    nc_caps_meet(&x, &y, &z);
    nc_caps_join(&x, &y, &z);
    nc_caps_implies(&x, &y, &z);
    nc_caps_meet(&x, &y, &x); /* out aliases an input */
    nc_caps_join(&x, &y, &y);
    nc_caps_implies(&x, &y, &x);
    (void)nc_caps_leq(&x, &y);
    (void)nc_caps_eq(&x, &z);
    (void)nc_caps_valid(&x);
    (void)nc_caps_enabled(&x);

    (void)nc_oblig_meet(o1, o2);
    (void)nc_oblig_join(o1, o2);
    (void)nc_oblig_leq(o1, o2);
    (void)nc_uninhabitable(o1);
    (void)nc_uninhabitable_legs(o1);
    (void)nc_uninhabitable_gates(&x);
    (void)nc_normalize_oblig(&x, o1);
    (void)nc_is_safe(&x, o2);

    (void)nc_level_parse(nd_string(s, sizeof(s)), &l);
    (void)nc_op_parse(nd_string(s, sizeof(s)), &op);
}
#endif

#if defined(NC_EVA_BUDGET)
/* ---- budget.c ------------------------------------------------------------------------------- */
static void eva_budget(void)
{
    struct nc_budget b, any;
    struct nc_window w1, w2, w3;
    char s[40], out[40];
    uint64_t v;

    /* A budget reached through the API. */
    nc_budget_init(&b, nd_u64());
    (void)nc_budget_reserve(&b, nd_u64());
    (void)nc_budget_reserve(&b, nd_u64());
    (void)nc_budget_settle(&b, nd_u64(), nd_u64());
    (void)nc_budget_release(&b, nd_u64());
    (void)nc_budget_remaining(&b);
    (void)nc_budget_ok(&b);

    /* Any bytes at all: the functions must stay memory-safe even on a corrupted budget. */
    nd_bytes(&any, sizeof(any));
    (void)nc_budget_remaining(&any);
    (void)nc_budget_ok(&any);
    (void)nc_budget_reserve(&any, nd_u64());
    (void)nc_budget_settle(&any, nd_u64(), nd_u64());
    (void)nc_budget_release(&any, nd_u64());

    (void)nc_parse_micros(nd_string(s, sizeof(s)), &v);
    (void)nc_format_micros(nd_u64(), out, (unsigned)nd_size(0, sizeof(out)));

    nc_window_from(&w1, nd_u64(), nd_u64());
    nd_bytes(&w2, sizeof(w2));
    (void)nc_window_check(&w1, nd_u64());
    nc_window_meet(&w1, &w2, &w3);
    nc_window_meet(&w1, &w2, &w1);
    (void)nc_window_remaining(&w3, nd_u64());
}
#endif

#if defined(NC_EVA_GLOB)
/* ---- glob.c --------------------------------------------------------------------------------- */
static void eva_glob(void)
{
    static char big[NC_PATH_MAX + 8];
    char pat[8], path[8], root[8], in[10], in2[6], out[12];
    const char *why = NULL;

    nd_string(pat, sizeof(pat));
    nd_string(path, sizeof(path));
    (void)nc_glob_match(pat, path);
    (void)nc_glob_is_literal(pat);
    (void)nc_glob_is_unanchored(pat);
    (void)nc_glob_check(pat);

    /* out is zero-filled first, as nc_decide does (struct nc_decision is memset): EVA cannot
     * relate the bytes the function has written to its output index, so a fresh buffer would
     * raise a false "uninitialized" alarm at the ".." step, which only reads back bytes it
     * wrote.  The bounds of every access are still checked. */
    memset(out, 0, sizeof(out));
    (void)nc_path_normalize(nd_string_or_null(root, sizeof(root)), nd_string(in, sizeof(in)), out,
                            sizeof(out), &why);
    (void)nc_path_normalize(NULL, nd_string(in2, sizeof(in2)), out, 2, &why);
    (void)nc_path_normalize(NULL, nd_string(in2, sizeof(in2)), out, nd_size(0, 1), &why);

    /* Inputs longer than the pattern and path limits are refused before they are scanned. */
    memset(big, 'a', sizeof(big) - 1);
    (void)nc_glob_check(big);
    (void)nc_glob_match(big, path);
    (void)nc_path_normalize(NULL, big, out, sizeof(out), &why);
}
#endif

#if defined(NC_EVA_LIST) || defined(NC_EVA_POLICY)
/* Representative entries of each kind, covering every branch of the entry syntax: literal,
 * unanchored, anchored, "*", "?", "**" in all positions; one- and multi-word commands and
 * commands with a '/'; exact and wildcard domains, upper case included. */
static const char *const path_entries[] = {
    "**", "*.rs", ".env", "src/**", "a/b", "?x*", "**/.git", "d/*/x", ".ssh", "a",
};
static const char *const cmd_entries[] = {
    "git", "git push", "rm -rf", "x --y", "/bin/sh", "sh -c", "a",
};
static const char *const domain_entries[] = {
    "a.com", "*.a.com", "A.Bc.DE", "*.a.b", "x-y.z", "gh.io",
};
static const char *const url_entries[] = {
    "https://h.io/o/r.git", "https://h.io/o/", "http://a.b:8080/x", "https://gh.io/", "HTTP://X/",
};

/* A list of the given kind holding entries first..first+n-1 of its catalogue (cyclically). */
static void cat_list(struct nc_list *l, enum nc_list_kind kind, size_t first, size_t n)
{
    const char *const *cat = kind == NC_LIST_PATHS      ? path_entries
                             : kind == NC_LIST_COMMANDS ? cmd_entries
                             : kind == NC_LIST_URLS     ? url_entries
                                                        : domain_entries;
    size_t count = kind == NC_LIST_PATHS      ? sizeof(path_entries) / sizeof(path_entries[0])
                   : kind == NC_LIST_COMMANDS ? sizeof(cmd_entries) / sizeof(cmd_entries[0])
                   : kind == NC_LIST_URLS     ? sizeof(url_entries) / sizeof(url_entries[0])
                                              : sizeof(domain_entries) / sizeof(domain_entries[0]);
    const char *why = NULL;
    nc_list_init(l, kind, false);
    //@ loop unroll 16;
    for (size_t i = 0; i < n; i++)
        (void)nc_list_add(l, cat[(first + i) % count], &why);
}

/* A list filled to capacity: 70 distinct short entries (the 65th add fails), or 9 entries of
 * 1000 bytes (the 9th exceeds 8192 bytes). */
static void full_list(struct nc_list *l, enum nc_list_kind kind, bool long_entries)
{
    static char item[1001];
    const char *why = NULL;
    nc_list_init(l, kind, false);
    if (long_entries) {
        memset(item, 'a', 1000);
        item[1000] = '\0';
        //@ loop unroll 9;
        for (int i = 0; i < 9; i++) {
            item[0] = (char)('a' + i);
            (void)nc_list_add(l, item, &why);
        }
    } else {
        //@ loop unroll 70;
        for (int i = 0; i < 70; i++) {
            item[0] = (char)('a' + i / 10);
            item[1] = (char)('0' + i % 10);
            item[2] = '\0';
            (void)nc_list_add(l, item, &why);
        }
    }
}
#endif

#if defined(NC_EVA_LIST)
/* ---- list.c --------------------------------------------------------------------------------- */
static struct nc_list la, lb, lo, lfull;

static void eva_list_queries(const struct nc_list *l, enum nc_list_kind kind)
{
    char item[10], a0[10], a1[10], a2[10];
    const char *argv[3];
    size_t argc = nd_size(0, 3);

    nd_string(item, sizeof(item));
    argv[0] = nd_string_or_null(a0, sizeof(a0));
    argv[1] = nd_string_or_null(a1, sizeof(a1));
    argv[2] = nd_string_or_null(a2, sizeof(a2));
    (void)nc_list_check_item(kind, item);
    (void)nc_list_item(l, nd_size(0, SIZE_MAX));
    (void)nc_list_has(l, item);
    (void)nc_list_covers(l, item);
    (void)nc_list_match_path(l, item);
    (void)nc_list_match_argv_prefix(l, argv, argc);
    (void)nc_list_match_argv_deny(l, argv, argc);
    (void)nc_list_match_domain(l, item);
    (void)nc_list_match_url(l, item);
    (void)nc_url_entry_host(item, a0, nd_size(0, sizeof(a0)));
}

static void eva_list_kind(enum nc_list_kind kind)
{
    const char *why = NULL;
    char item[10];

    cat_list(&la, kind, 0, 6);
    cat_list(&lb, kind, 3, 6);
    eva_list_queries(&la, kind);
    (void)nc_list_eq(&la, &lb);
    (void)nc_allow_leq(&la, &lb);
    (void)nc_deny_leq(&la, &lb);
    (void)nc_allow_meet(&la, &lb, &lo, &why);
    (void)nc_allow_join(&la, &lb, &lo, &why);
    (void)nc_deny_meet(&la, &lb, &lo, &why);
    (void)nc_deny_join(&la, &lb, &lo, &why);

    /* Adding an unknown entry (checked, then inserted in order). */
    (void)nc_list_add(&la, nd_string(item, sizeof(item)), &why);

    /* Unrestricted lists. */
    nc_list_init(&lb, kind, true);
    (void)nc_list_add(&lb, "a", &why);
    (void)nc_allow_leq(&la, &lb);
    (void)nc_allow_leq(&lb, &la);
    (void)nc_allow_meet(&la, &lb, &lo, &why);
    (void)nc_allow_meet(&lb, &la, &lo, &why);
    (void)nc_allow_join(&la, &lb, &lo, &why);
    eva_list_queries(&lb, kind);
}

static void eva_list(void)
{
    const char *why = NULL;

    eva_list_kind(NC_LIST_PATHS);
    eva_list_kind(NC_LIST_COMMANDS);
    eva_list_kind(NC_LIST_DOMAINS);
    eva_list_kind(NC_LIST_URLS);
    (void)nc_list_check_item((enum nc_list_kind)nd_int(), "x");

    /* Capacity limits, and compositions whose result overflows them. */
    full_list(&lfull, NC_LIST_COMMANDS, false);
    (void)nc_deny_meet(&lfull, &lfull, &lo, &why);
    full_list(&lfull, NC_LIST_COMMANDS, true);
    (void)nc_list_item(&lfull, nd_size(0, SIZE_MAX));
}
#endif

#if defined(NC_EVA_POLICY)
/* ---- policy.c ------------------------------------------------------------------------------- */
static struct nc_policy pa, pb, po;
static struct nc_decision dec;

/* Decides an unknown request: any operation (invalid ones too), any path, argv and host (or
 * NULL), any exposure (or NULL). */
static void eva_decide(const struct nc_policy *p)
{
    struct nc_request r;
    struct nc_exposure e;
    char root[6], path[6], host[10], a0[12], a1[8], remote[8];
    const char *argv[2];

    r.op = (enum nc_op)nd_int();
    r.root = nd_string_or_null(root, sizeof(root));
    r.path = nd_string_or_null(path, sizeof(path));
    argv[0] = (const char *)Frama_C_nondet_ptr(nd_string_pad(a0, sizeof(a0), 4), NULL);
    argv[1] = nd_string_or_null(a1, sizeof(a1));
    r.argv = (const char *const *)Frama_C_nondet_ptr((void *)argv, NULL);
    r.argc = nd_size(0, 2);
    r.host = nd_string_or_null(host, sizeof(host));
    r.remote = nd_string_or_null(remote, sizeof(remote));
    nd_bytes(&e, sizeof(e));
    nc_decide(p, (const struct nc_exposure *)Frama_C_nondet_ptr(&e, NULL), &r, &dec);
}

/* A policy with unknown capabilities, obligations and numbers, and lists from the catalogues. */
static void nd_policy(struct nc_policy *p)
{
    nc_policy_top(p);
    nd_bytes(&p->caps, sizeof(p->caps));
    p->approvals = nd_u16();
    cat_list(&p->paths_allow, NC_LIST_PATHS, 0, 4);
    cat_list(&p->paths_deny, NC_LIST_PATHS, 4, 3);
    cat_list(&p->paths_readonly, NC_LIST_PATHS, 7, 3);
    cat_list(&p->paths_untrusted, NC_LIST_PATHS, 2, 2);
    cat_list(&p->cmds_allow, NC_LIST_COMMANDS, 0, 4);
    cat_list(&p->cmds_deny, NC_LIST_COMMANDS, 4, 3);
    cat_list(&p->net_allow, NC_LIST_DOMAINS, 0, 4);
    cat_list(&p->git_remotes, NC_LIST_URLS, 0, 2);
    p->budget_micros = nd_u64();
    p->limits.timeout_s = nd_u64();
    p->limits.max_procs = nd_u64();
    p->limits.memory_bytes = nd_u64();
}

static void eva_policy(void)
{
    const char *why = NULL;
    struct nc_exposure e;
    char path[10], a0[12], a1[8];
    const char *argv[2];

    nc_policy_top(&pa);
    nc_policy_bottom(&pb);
    (void)nc_policy_meet(&pa, &pb, &po, &why);
    (void)nc_policy_leq(&pa, &pb);
    (void)nc_policy_eq(&pa, &pb);
    nd_policy(&pb);
    eva_decide(&pb);

    /* Every built-in profile, and its meet with an unknown policy; decisions under the
     * profiles with the most rules (fix-issue) and the fewest (full), and under a meet. */
    //@ loop unroll 8;
    for (size_t i = 0; i < nc_profile_count(); i++) {
        (void)nc_profile_load_index(i, &pa);
        (void)nc_policy_meet(&pa, &pb, &po, &why);
        (void)nc_policy_leq(&po, &pa);
        (void)nc_policy_eq(&po, &pa);
        (void)nc_policy_is_safe(&po);
        (void)nc_policy_check(&po);
        (void)nc_policy_path_untrusted(&po, nd_string(path, sizeof(path)));
    }
    eva_decide(&po);
    (void)nc_profile_load("fix-issue", &pa);
    eva_decide(&pa);
    (void)nc_profile_load("full", &pa);
    eva_decide(&pa);

    nc_policy_normalize(&pb);
    (void)nc_policy_is_safe(&pb);
    pb.paths_allow.kind = (uint8_t)nd_int(); /* nc_policy_check guards parsed input */
    pb.cmds_deny.unrestricted = nd_bool();
    (void)nc_policy_check(&pb);

    nd_bytes(&e, sizeof(e));
    nc_exposure_record(&e, (enum nc_op)nd_int(), nd_bool());

    argv[0] = (const char *)Frama_C_nondet_ptr(nd_string_pad(a0, sizeof(a0), 4), NULL);
    argv[1] = nd_string_or_null(a1, sizeof(a1));
    (void)nc_command_classify((const char *const *)Frama_C_nondet_ptr((void *)argv, NULL),
                              nd_size(0, 2));
    (void)nc_verdict_name((enum nc_verdict)nd_int());
    (void)nc_reason_name((enum nc_reason)nd_int());
    (void)nc_reason_text((enum nc_reason)nd_int());
}
#endif

#if defined(NC_EVA_PROFILES)
/* ---- profiles.c ----------------------------------------------------------------------------- */
static struct nc_policy pp;

static void eva_profiles(void)
{
    char name[24]; /* longer than every profile name */
    size_t i = nd_size(0, SIZE_MAX);

    (void)nc_profile_count();
    (void)nc_profile_name(i);
    (void)nc_profile_summary(i);
    (void)nc_profile_load(nd_string(name, sizeof(name)), &pp);
    (void)nc_profile_load("fix_issue", &pp);
    (void)nc_profile_load_index(nd_size(nc_profile_count(), SIZE_MAX), &pp);
}
#endif

/* (pointer, length) inputs: `len` unknown bytes at the start of buf, len any of 0..n. */
#define SPAN(buf, n, len) (nd_bytes((buf), (n)), (len) = nd_size(0, (n)), (const char *)(buf))
/* An over-limit length: the validators must refuse it before reading the bytes. */
#define OVER(buf, limit, len)                                                                \
    (nd_bytes((buf), (limit) + 2), (len) = nd_size((limit) + 1, (limit) + 2), (const char *)(buf))

#if defined(NC_EVA_VALIDATE)
/* ---- validate.c ----------------------------------------------------------------------------- */
static char vbuf[NC_MAX_PATH + 8];
static const char *vargv[NC_MAX_ARGS + 2];
static size_t vlens[NC_MAX_ARGS + 2];

static void eva_validate(void)
{
    struct nc_invalid inv;
    struct nc_invalid *why = (struct nc_invalid *)Frama_C_nondet_ptr(&inv, NULL);
    struct nc_url url;
    struct nc_url *up = (struct nc_url *)Frama_C_nondet_ptr(&url, NULL);
    char a0[8], a1[8], a2[8];
    size_t len;
    const char *s;

    /* Short: the ReDoS screen behind the text rule is costly to analyse, and eva_redos
     * covers it on longer patterns. */
    s = SPAN(vbuf, 3, len);
    (void)nc_validate_pattern(s, len, why);
    s = SPAN(vbuf, 12, len);
    (void)nc_validate_glob(s, len, why);
    (void)nc_validate_query(s, len, why);
    (void)nc_validate_path(s, len, why);
    s = SPAN(vbuf, 24, len);
    (void)nc_validate_url(s, len, up, why);
    s = OVER(vbuf, NC_MAX_PATTERN, len);
    (void)nc_validate_pattern(s, len, why);
    (void)nc_validate_glob(s, len, why);
    s = OVER(vbuf, NC_MAX_QUERY, len);
    (void)nc_validate_query(s, len, why);
    s = OVER(vbuf, NC_MAX_PATH, len);
    (void)nc_validate_path(s, len, why);
    s = OVER(vbuf, NC_MAX_URL, len);
    (void)nc_validate_url(s, len, up, why);
    /* NULL with any length. */
    len = nd_size(0, SIZE_MAX);
    (void)nc_validate_pattern(NULL, len, why);
    (void)nc_validate_glob(NULL, len, why);
    (void)nc_validate_query(NULL, len, why);
    (void)nc_validate_path(NULL, len, why);
    (void)nc_validate_url(NULL, len, up, why);
    (void)nc_validate_stdin(nd_size(0, SIZE_MAX), why);

    /* argv: up to three entries, each any bytes or NULL, with a length within its buffer. */
    nd_bytes(a0, sizeof(a0));
    nd_bytes(a1, sizeof(a1));
    nd_bytes(a2, sizeof(a2));
    vargv[0] = (const char *)Frama_C_nondet_ptr(a0, NULL);
    vargv[1] = (const char *)Frama_C_nondet_ptr(a1, NULL);
    vargv[2] = (const char *)Frama_C_nondet_ptr(a2, NULL);
    vlens[0] = nd_size(0, sizeof(a0));
    vlens[1] = nd_size(0, sizeof(a1));
    vlens[2] = nd_size(0, sizeof(a2));
    (void)nc_validate_argv(vargv, vlens, nd_size(0, 3), why);
    (void)nc_validate_argv(NULL, NULL, 0, why);
    /* More entries than NC_MAX_ARGS; more bytes than NC_MAX_COMMAND. */
    for (size_t i = 0; i < NC_MAX_ARGS + 2; i++) {
        vargv[i] = a0;
        vlens[i] = nd_size(0, sizeof(a0));
    }
    (void)nc_validate_argv(vargv, vlens, NC_MAX_ARGS + 1, why);
    vargv[0] = vbuf;
    vlens[0] = NC_MAX_COMMAND / 2;
    vargv[1] = vbuf;
    vlens[1] = NC_MAX_COMMAND / 2 + 1;
    nd_bytes(vbuf, sizeof(vbuf));
    (void)nc_validate_argv(vargv, vlens, 2, why);
}
#endif

#if defined(NC_EVA_REDOS)
/* ---- redos.c -------------------------------------------------------------------------------- */
static char rbuf[NC_MAX_PATTERN];

static void eva_redos(void)
{
    struct nc_invalid inv;
    struct nc_invalid *why = (struct nc_invalid *)Frama_C_nondet_ptr(&inv, NULL);
    size_t len;
    const char *s;

    /* Any pattern of 0..NC_MAX_PATTERN bytes (the most nc_validate_pattern passes on), any
     * bytes (the screen does not rely on the validator's byte rules), so patterns long enough
     * to nest groups past the 32-level limit of the parser's stack are included; NULL with
     * any length.  The parser's loop is over-approximated (widened), not unrolled, so the
     * cost does not grow with the length. */
    s = SPAN(rbuf, sizeof(rbuf), len);
    (void)nc_redos_check(s, len, why);
    (void)nc_redos_check(NULL, nd_size(0, SIZE_MAX), why);
}
#endif

#if defined(NC_EVA_SANITIZE)
/* ---- sanitize.c ----------------------------------------------------------------------------- */
/* Any message of 0..63 bytes, any bytes; any output size up to 40 (so truncation happens at
 * every point of the message), and measuring only (out NULL). */
static void eva_sanitize_with(const char *root, const char *home)
{
    char msg[64], out[40];

    nd_string(msg, sizeof(msg));
    (void)nc_sanitize(msg, root, home, out, nd_size(0, sizeof(out)));
    (void)nc_sanitize(msg, root, home, NULL, nd_size(0, SIZE_MAX)); /* measure only */
}

static void eva_sanitize(void)
{
    char root[16];

    /* Any message, against roots of every shape: none, empty, "/", relative, with trailing
     * slashes, with a space, nested (the sandbox inside home), and an unknown one. */
    eva_sanitize_with(NULL, NULL);
    eva_sanitize_with("", "/");
    eva_sanitize_with("/r/", "x");
    eva_sanitize_with("/h/s", "/h");
    eva_sanitize_with("/a b", NULL);
    eva_sanitize_with(nd_string(root, sizeof(root)), "/h");
    (void)nc_sanitize(NULL, "/r", NULL, root, sizeof(root));
}
#endif

int main(void)
{
#if defined(NC_EVA_LATTICE)
    eva_lattice();
#endif
#if defined(NC_EVA_BUDGET)
    eva_budget();
#endif
#if defined(NC_EVA_GLOB)
    eva_glob();
#endif
#if defined(NC_EVA_LIST)
    eva_list();
#endif
#if defined(NC_EVA_POLICY)
    eva_policy();
#endif
#if defined(NC_EVA_PROFILES)
    eva_profiles();
#endif
#if defined(NC_EVA_VALIDATE)
    eva_validate();
#endif
#if defined(NC_EVA_REDOS)
    eva_redos();
#endif
#if defined(NC_EVA_SANITIZE)
    eva_sanitize();
#endif
    return 0;
}
