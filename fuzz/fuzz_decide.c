/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: builds a policy from the input (levels, approvals, list entries through
 * nc_list_add), meets it with a built-in profile, and decides requests (op, path, argv, host,
 * exposure) against both and against the meet.  Aborts when an invariant breaks:
 *   - a policy built through the API passes nc_policy_check; normalizing is idempotent,
 *     deflationary and lands on a safe policy, and changes no decision;
 *   - meet(p, q) is below p and q, safe, commutative, and its decision is never more
 *     permissive than q's (a profile, normalized) nor than p's once p is normalized
 *     (ALLOW > NEEDS_APPROVAL > DENY; the unnormalized case is a documented non-law, see
 *     tests/unit/test_policy.c);
 *   - a decision is well formed (verdict and reason agree, the normalized path is the one
 *     nc_path_normalize gives), and more exposure never loosens it.
 *
 * Input layout (every field is optional: a short input ends the policy early):
 *   [profile] [11 level bytes] [approvals lo] [approvals hi] [flags] [n entries]
 *   n x ( [selector] then, if selector bit 7, [dictionary index], else a string )
 *   then requests until the input ends:
 *   [op] [flags] path-string [argc] argc x string host-string [exposure]
 * A string is [length] followed by that many bytes (cut short at the end of input); each is
 * copied into its own exact-size heap block so ASan sees reads past its end. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/glob.h"
#include "core/lattice.h"
#include "core/list.h"
#include "core/policy.h"
#include "core/profiles.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct reader {
    const uint8_t *d;
    size_t n, i;
};

static bool more(const struct reader *r)
{
    return r->i < r->n;
}

static uint8_t byte(struct reader *r)
{
    return r->i < r->n ? r->d[r->i++] : 0;
}

/* Strings handed to the core; freed at the end of each run. */
enum { MAX_STRINGS = 512 };
static char *strings[MAX_STRINGS];
static size_t nstrings;

static const char *str(struct reader *r)
{
    size_t len = byte(r);
    if (len > r->n - r->i)
        len = r->n - r->i;
    if (nstrings >= MAX_STRINGS)
        return "";
    char *s = malloc(len + 1);
    CHECK(s != NULL);
    memcpy(s, r->d + r->i, len);
    s[len] = '\0'; /* an embedded NUL simply ends the C string early */
    r->i += len;
    strings[nstrings++] = s;
    return s;
}

static void free_strings(void)
{
    for (size_t k = 0; k < nstrings; k++)
        free(strings[k]);
    nstrings = 0;
}

/* Small dictionaries so that entries of p and of the profiles overlap often. */
static const char *const dict_paths[] = {
    "src",   "src/core", "docs",   "*.c",     "*.md",      "**",     ".env",  ".env*",  "*.pem",
    ".ssh",  "**/.git/hooks", "src/**", "*",  "tests",     "a?c",    "lib/src", "*/core", ".git",
    "README.md", "secrets", "credentials", "**/x",
};
static const char *const dict_cmds[] = {
    "cargo", "cargo test", "git", "git push", "git status", "gh pr create", "ls", "cat", "make",
    "rm -rf", "sudo", "bash -c", "python3 -c", "/usr/bin/git", "git commit", "npm run", "env",
};
static const char *const dict_domains[] = {
    "github.com", "*.github.com", "example.com", "*.example.com", "api.example.com", "docs.rs",
    "*.com",      "crates.io",    "evil.com",
};

static const char *const dict_urls[] = {
    "https://github.com/o/r.git", "https://github.com/o/", "https://github.com/",
    "https://git.example.com:8443/team/", "http://git.example.com/o/r", "https://evil.com/o/r.git",
};

static struct nc_list *list_by_selector(struct nc_policy *p, unsigned sel)
{
    switch (sel % 8u) {
    case 7: return &p->git_remotes;
    case 0: return &p->paths_allow;
    case 1: return &p->paths_deny;
    case 2: return &p->paths_readonly;
    case 3: return &p->paths_untrusted;
    case 4: return &p->cmds_allow;
    case 5: return &p->cmds_deny;
    default: return &p->net_allow;
    }
}

static const char *dict_entry(enum nc_list_kind k, uint8_t idx)
{
    switch (k) {
    case NC_LIST_PATHS:
        return dict_paths[idx % N_ELEMS(dict_paths)];
    case NC_LIST_COMMANDS:
        return dict_cmds[idx % N_ELEMS(dict_cmds)];
    case NC_LIST_DOMAINS:
        return dict_domains[idx % N_ELEMS(dict_domains)];
    case NC_LIST_URLS:
        return dict_urls[idx % N_ELEMS(dict_urls)];
    }
    return "";
}

/* Returns whether p was left unnormalized on purpose. */
static void build_policy(struct reader *r, struct nc_policy *p, bool *normalized)
{
    nc_policy_top(p);
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        p->caps.level[i] = (uint8_t)(byte(r) % 3u);
    p->approvals = (nc_opset)((byte(r) | (unsigned)byte(r) << 8) & NC_OPSET_ALL);
    uint8_t flags = byte(r);
    /* allowlists start unrestricted (top); a clear flag makes them restricted lists */
    if ((flags & 1u) == 0)
        nc_list_init(&p->paths_allow, NC_LIST_PATHS, false);
    if ((flags & 2u) == 0)
        nc_list_init(&p->cmds_allow, NC_LIST_COMMANDS, false);
    if ((flags & 4u) == 0)
        nc_list_init(&p->net_allow, NC_LIST_DOMAINS, false);
    if ((flags & 16u) == 0)
        nc_list_init(&p->git_remotes, NC_LIST_URLS, false);
    p->budget_micros = (flags & 8u) ? NC_UNLIMITED : byte(r);
    unsigned n = byte(r) % 24u;
    for (unsigned k = 0; k < n && more(r); k++) {
        uint8_t sel = byte(r);
        struct nc_list *l = list_by_selector(p, sel);
        const char *item = (sel & 0x80u) ? dict_entry((enum nc_list_kind)l->kind, byte(r))
                                         : str(r);
        const char *why = NULL;
        bool well_formed = nc_list_check_item((enum nc_list_kind)l->kind, item) == NULL;
        uint16_t before = l->count;
        int rc = nc_list_add(l, item, &why);
        CHECK(rc == 0 || rc == -1);
        if (rc < 0) {
            /* refused: for a reason, and without a trace */
            CHECK(why != NULL && why[0] != '\0');
            CHECK(l->count == before);
            CHECK(!well_formed || l->unrestricted || l->count == NC_LIST_MAX_ITEMS ||
                  l->used + strlen(item) + 1 > NC_LIST_MAX_BYTES);
        } else {
            CHECK(well_formed && !l->unrestricted);
            CHECK(l->count == before || l->count == before + 1);
            if (l->kind != NC_LIST_DOMAINS)
                CHECK(nc_list_has(l, item));
            /* sorted and unique */
            for (size_t j = 1; j < l->count; j++)
                CHECK(strcmp(nc_list_item(l, j - 1), nc_list_item(l, j)) < 0);
        }
    }
    *normalized = (flags & 16u) != 0;
    if (*normalized)
        nc_policy_normalize(p);
    CHECK(nc_policy_check(p) == NULL);
}

static int rank(enum nc_verdict v)
{
    switch (v) {
    case NC_ALLOW:
        return 2;
    case NC_NEEDS_APPROVAL:
        return 1;
    case NC_DENY:
        return 0;
    }
    abort();
}

static bool op_takes_path(enum nc_op op)
{
    return op == NC_OP_READ_FILES || op == NC_OP_WRITE_FILES || op == NC_OP_EDIT_FILES ||
           op == NC_OP_GLOB_SEARCH || op == NC_OP_GREP_SEARCH;
}

static struct nc_decision dbuf[6];

static const struct nc_decision *decide(int slot, const struct nc_policy *p,
                                        const struct nc_exposure *e, const struct nc_request *q)
{
    struct nc_decision *d = &dbuf[slot];
    memset(d, 0x5a, sizeof(*d)); /* nc_decide must set everything */
    nc_decide(p, e, q, d);
    /* well formed */
    switch (d->verdict) {
    case NC_ALLOW:
        CHECK(d->reason == NC_R_OK);
        break;
    case NC_NEEDS_APPROVAL:
        CHECK(d->reason == NC_R_OBLIGATION || d->reason == NC_R_UNINHABITABLE ||
              d->reason == NC_R_EXPOSURE);
        break;
    case NC_DENY:
        CHECK(d->reason != NC_R_OK && d->reason != NC_R_OBLIGATION &&
              d->reason != NC_R_UNINHABITABLE && d->reason != NC_R_EXPOSURE);
        CHECK(strcmp(nc_reason_name(d->reason), "invalid") != 0);
        break;
    default:
        abort();
    }
    CHECK(memchr(d->path, '\0', sizeof(d->path)) != NULL);
    if (d->rule != NULL)
        CHECK(strlen(d->rule) < 4096);
    if ((unsigned)q->op < NC_OP_COUNT && op_takes_path(q->op) && d->verdict != NC_DENY) {
        /* the path the decision speaks of is the normalized request path */
        static char norm[NC_PATH_MAX + 1];
        const char *why = NULL;
        CHECK(nc_path_normalize(q->root, q->path, norm, sizeof(norm), &why) == 0);
        CHECK(strcmp(norm, d->path) == 0);
        CHECK(nc_list_match_path(&p->paths_deny, norm) == -1);
    }
    if (d->verdict != NC_DENY)
        CHECK(p->caps.level[q->op] != NC_NEVER);
    return d;
}

static struct nc_policy P, NP, Q, M, M2, MN;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size, 0};
    const char *why = NULL;
    bool normalized = false;

    size_t profile = byte(&r) % nc_profile_count();
    CHECK(nc_profile_load_index(profile, &Q) == 0);
    CHECK(nc_policy_is_safe(&Q));
    build_policy(&r, &P, &normalized);

    /* the normalizer: idempotent, deflationary, safe, and the identity on safe policies */
    memcpy(&NP, &P, sizeof(NP));
    nc_policy_normalize(&NP);
    CHECK(nc_policy_is_safe(&NP));
    CHECK(nc_policy_leq(&NP, &P));
    memcpy(&M, &NP, sizeof(M));
    nc_policy_normalize(&M);
    CHECK(nc_policy_eq(&M, &NP));
    CHECK(nc_policy_is_safe(&P) == nc_policy_eq(&P, &NP));

    /* meets: p with the profile, the normalized p with the profile, p with itself */
    bool have_m = nc_policy_meet(&P, &Q, &M, &why) == 0;
    bool have_mn = nc_policy_meet(&NP, &Q, &MN, &why) == 0;
    if (have_m) {
        CHECK(nc_policy_leq(&M, &P) && nc_policy_leq(&M, &Q));
        CHECK(nc_policy_is_safe(&M));
        CHECK(nc_policy_check(&M) == NULL);
        CHECK(nc_policy_meet(&Q, &P, &M2, &why) == 0);
        CHECK(nc_policy_eq(&M, &M2));
        CHECK(nc_policy_meet(&M, &M, &M2, &why) == 0);
        CHECK(nc_policy_eq(&M, &M2)); /* idempotent on its (normalized) result */
    } else {
        CHECK(why != NULL);
    }
    if (have_mn) {
        CHECK(nc_policy_leq(&MN, &NP) && nc_policy_leq(&MN, &Q));
        CHECK(nc_policy_is_safe(&MN));
    }
    if (nc_policy_meet(&NP, &NP, &M2, &why) == 0)
        CHECK(nc_policy_eq(&M2, &NP));

    /* requests */
    for (unsigned k = 0; k < 8 && more(&r); k++) {
        struct nc_request q;
        const char *argv[8];
        memset(&q, 0, sizeof(q));
        uint8_t op = byte(&r), fl = byte(&r);
        q.op = (enum nc_op)(op % 13u); /* 11 and 12 are invalid operations */
        q.root = (fl & 1u) ? "/ws" : (fl & 2u) ? "/" : NULL;
        q.path = (fl & 4u) ? NULL : str(&r);
        size_t argc = byte(&r) % 7u;
        for (size_t a = 0; a < argc; a++)
            argv[a] = str(&r);
        argv[argc] = NULL;
        q.argv = (fl & 8u) ? NULL : argv;
        q.argc = argc;
        if ((fl & 16u) && argc > 0)
            q.op = nc_command_classify(argv, argc);
        CHECK((unsigned)nc_command_classify(argv, argc) < NC_OP_COUNT);
        q.host = (fl & 32u) ? NULL : str(&r);
        q.remote = (fl & 64u) ? NULL : str(&r);
        struct nc_exposure e = {(uint8_t)(byte(&r) & 7u)};
        struct nc_exposure more_e = {(uint8_t)(e.legs | NC_LEG_PRIVATE | NC_LEG_UNTRUSTED)};

        const struct nc_decision *dp = decide(0, &P, &e, &q);
        const struct nc_decision *dq = decide(1, &Q, &e, &q);
        const struct nc_decision *dn = decide(2, &NP, &e, &q);
        /* normalizing changes no decision: nc_decide applies the static rule itself */
        CHECK(dn->verdict == dp->verdict);
        /* more exposure never loosens */
        CHECK(rank(decide(3, &P, &more_e, &q)->verdict) <= rank(dp->verdict));
        CHECK(rank(decide(3, &P, NULL, &q)->verdict) >= rank(dp->verdict));
        if (have_m) {
            const struct nc_decision *dm = decide(4, &M, &e, &q);
            CHECK(rank(dm->verdict) <= rank(dq->verdict));
            if (normalized)
                CHECK(rank(dm->verdict) <= rank(dp->verdict));
        }
        if (have_mn) {
            const struct nc_decision *dmn = decide(5, &MN, &e, &q);
            CHECK(rank(dmn->verdict) <= rank(dq->verdict));
            CHECK(rank(dmn->verdict) <= rank(dp->verdict));
        }
        /* the list primitives on raw request strings */
        if (q.remote != NULL && nc_list_match_url(&P.git_remotes, q.remote) >= 0) {
            /* only a canonical URL matches: no dot segments, escapes or userinfo */
            CHECK(nc_list_check_item(NC_LIST_URLS, q.remote) == NULL);
            CHECK(strstr(q.remote, "/../") == NULL && strstr(q.remote, "/./") == NULL);
            CHECK(strchr(q.remote, '%') == NULL && strchr(q.remote, '@') == NULL);
        }
        if (q.path != NULL) {
            static char norm[NC_PATH_MAX + 1];
            const char *w = NULL;
            if (nc_path_normalize(q.root, q.path, norm, sizeof(norm), &w) == 0) {
                CHECK(strlen(norm) > 0 && norm[0] != '/');
                CHECK(strstr(norm, "//") == NULL);
                /* normalizing a normalized path is the identity */
                static char again[NC_PATH_MAX + 1];
                CHECK(nc_path_normalize(NULL, norm, again, sizeof(again), &w) == 0);
                CHECK(strcmp(norm, again) == 0);
            } else {
                CHECK(w != NULL);
            }
        }
    }
    free_strings();
    return 0;
}
