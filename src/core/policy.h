/* SPDX-License-Identifier: Apache-2.0 */
/* A policy: capabilities, approval obligations, path/command/domain lists, budget and limits,
 * composed by meet; and the decision "allowed, needs approval, or denied" for one operation
 * given the session's exposure.  Pure: no allocation, no system calls. */
#ifndef NC_CORE_POLICY_H
#define NC_CORE_POLICY_H

#include "glob.h"
#include "lattice.h"
#include "list.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_UNLIMITED UINT64_MAX
#define NC_NAME_MAX 64

struct nc_limits {
    uint64_t timeout_s;    /* wall-clock limit of a pod or session, seconds */
    uint64_t max_procs;    /* processes in a pod */
    uint64_t memory_bytes; /* memory of a pod */
};

struct nc_policy {
    char name[NC_NAME_MAX]; /* informational; not part of the order */
    struct nc_caps caps;
    nc_opset approvals;             /* obligations, as written (normalized: see nc_policy_normalize) */
    struct nc_list paths_allow;     /* allowlist (may be unrestricted) */
    struct nc_list paths_deny;      /* masked: neither read nor written */
    struct nc_list paths_readonly;  /* protected: read but never written */
    struct nc_list paths_untrusted; /* reading these ingests untrusted content */
    struct nc_list cmds_allow;      /* allowlist (may be unrestricted) */
    struct nc_list cmds_deny;
    struct nc_list net_allow; /* allowlist of domains (may be unrestricted) */
    struct nc_list git_remotes; /* allowlist of remote URLs git_push may push to */
    uint64_t budget_micros;   /* spending limit in micro-units (1 USD = 1,000,000) */
    struct nc_limits limits;
};

/* The top element (identity of meet): everything Always, no obligations, unrestricted
 * allowlists, empty denylists, unlimited budget and limits.  Never a default for a parsed
 * policy; it exists to start a fold of meets. */
void nc_policy_top(struct nc_policy *p);
/* The bottom element: everything Never, every operation obligated, empty allowlists, zero
 * budget and limits. Denylists stay empty (their capacity is finite); they are irrelevant once
 * every allowlist is empty. */
void nc_policy_bottom(struct nc_policy *p);

/* out = a meet b, normalized.  out must not alias a or b.  Fails (-1, *why) only when a
 * resulting list exceeds its capacity; the caller must then refuse the composition. */
int nc_policy_meet(const struct nc_policy *a, const struct nc_policy *b, struct nc_policy *out,
                   const char **why);
/* a <= b: a is at least as tight as b in every component. */
bool nc_policy_leq(const struct nc_policy *a, const struct nc_policy *b);
bool nc_policy_eq(const struct nc_policy *a, const struct nc_policy *b);
/* Adds the uninhabitable-state gates to the obligations (idempotent, deflationary). */
void nc_policy_normalize(struct nc_policy *p);
bool nc_policy_is_safe(const struct nc_policy *p);
/* Checks invariants a parsed policy must satisfy (valid levels, list kinds). */
const char *nc_policy_check(const struct nc_policy *p);

/* ---- dynamic exposure ---------------------------------------------------------------- */
#define NC_LEG_PRIVATE 0x1u   /* the session has read workspace data */
#define NC_LEG_UNTRUSTED 0x2u /* the session has ingested untrusted content */
#define NC_LEG_EXFIL 0x4u     /* the session has used an exfiltration operation */

struct nc_exposure {
    uint8_t legs; /* only ever grows */
};

/* ---- one operation -------------------------------------------------------------------- */
struct nc_request {
    enum nc_op op;
    const char *root;        /* absolute workspace root, or NULL: used to accept absolute paths */
    const char *path;        /* file operations and searches: as the client gave it */
    const char *const *argv; /* run_bash, git_*, create_pr */
    size_t argc;
    const char *host; /* web_fetch, web_search: the host name; git_push, create_pr: the
                         host they connect to, when known (then checked like web_fetch's) */
    const char *remote; /* git_push: the remote URL, when known (git.push_remotes) */
};

enum nc_verdict {
    NC_ALLOW = 0,
    NC_NEEDS_APPROVAL,
    NC_DENY,
};

enum nc_reason {
    NC_R_OK = 0,
    NC_R_BAD_REQUEST,       /* the request lacks what the operation needs */
    NC_R_CAP_NEVER,         /* the capability is Never */
    NC_R_PATH_INVALID,      /* the path is malformed or leaves the workspace */
    NC_R_PATH_DENIED,       /* paths.deny matched */
    NC_R_PATH_READONLY,     /* a write to paths.read_only */
    NC_R_PATH_NOT_ALLOWED,  /* paths.allow did not match */
    NC_R_CMD_DENIED,        /* commands.deny matched */
    NC_R_CMD_NOT_ALLOWED,   /* commands.allow did not match */
    NC_R_HOST_NOT_ALLOWED,  /* network.allow did not match */
    NC_R_OBLIGATION,        /* the policy lists the operation under approvals */
    NC_R_UNINHABITABLE,     /* the policy's capabilities complete the triple (static rule) */
    NC_R_EXPOSURE,          /* the session's exposure completes the triple (dynamic rule) */
    NC_R_REMOTE_NOT_ALLOWED, /* git.push_remotes did not match */
};

struct nc_decision {
    enum nc_verdict verdict;
    enum nc_reason reason;
    const char *rule; /* the matching pattern (points into the policy), or NULL */
    char path[NC_PATH_MAX + 1]; /* the normalized path, for file operations */
};

/* Decides one operation: capability -> request shape (a command must classify to the
 * operation requested) -> path / command / host rules -> static uninhabitable gate ->
 * obligations -> dynamic exposure gate.  The first refusal wins. */
void nc_decide(const struct nc_policy *p, const struct nc_exposure *e,
               const struct nc_request *r, struct nc_decision *d);
/* Records what a performed operation exposed the session to.  `untrusted_source` marks content
 * that came from a path in paths.untrusted or from the network. */
void nc_exposure_record(struct nc_exposure *e, enum nc_op op, bool untrusted_source);
/* True when reading the normalized path ingests untrusted content. */
bool nc_policy_path_untrusted(const struct nc_policy *p, const char *normalized_path);

/* Which operation an argv performs: git push -> git_push, git commit -> git_commit,
 * gh pr create -> create_pr, anything else -> run_bash. */
enum nc_op nc_command_classify(const char *const *argv, size_t argc);

const char *nc_verdict_name(enum nc_verdict v);
const char *nc_reason_name(enum nc_reason r); /* stable snake_case identifier */
const char *nc_reason_text(enum nc_reason r); /* one sentence for people */

#endif
