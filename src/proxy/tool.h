/* SPDX-License-Identifier: Apache-2.0 */
/* The contract between the proxy's enforcement pipeline and its tools.  A tool turns raw
 * arguments into a plan (what the policy decides on, what the call may cost, what an approval
 * binds to), then executes an approved plan beneath the workspace.  The pipeline in between
 * (validate -> capability -> path/command policy -> exposure and approval -> budget
 * reservation -> execute -> audit -> settle) lives in dispatch.c, so no tool can skip a step. */
#ifndef NC_PROXY_TOOL_H
#define NC_PROXY_TOOL_H

#include "core/glob.h"
#include "core/lattice.h"
#include "core/policy.h"
#include "proxy/approval.h"
#include "proxy/ledger.h"
#include "util/err.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nc_spawn_opts;
struct nc_spawn_result;

#define NC_TOOL_SUMMARY_MAX 1024u /* bytes of a plan's one-line summary, with the NUL */
#define NC_TOOL_ARGV_MAX 264u     /* argv entries a plan may hold for the decision */

/* What every tool call sees.  Owned by the server; read-only for tools. */
struct nc_tool_env {
    int root_fd;                    /* O_PATH|O_DIRECTORY|O_CLOEXEC of the workspace root */
    const char *root;               /* its absolute canonical path */
    const struct nc_policy *policy; /* the composed, normalized policy */
    const atomic_bool *cancelled;   /* set when the client cancels this call (poll it) */
    /* Reports progress of a long call; may be NULL.  total 0 = unknown. */
    void (*progress)(void *arg, uint64_t done, uint64_t total, const char *message);
    void *progress_arg;
    bool openat2_disabled; /* tests: force the fallback resolver (see fs.h) */
    const char *nucleus_exe; /* the nucleus binary: run and git_commit start nested pods */
    /* How run and git_commit start their pods (the authority's spawn; see authority.h).
     * NULL: nc_spawn_in_pod in this process. */
    int (*spawn)(void *ctx, const struct nc_spawn_opts *o, struct nc_spawn_result *r,
                 struct nc_err *err);
    void *spawn_ctx;
    /* The operator's options for nested pods' egress gateways (nested.h, exec_opts). */
    const char *const *exec_opts;
    size_t nexec_opts;
};

/* A validated call, produced by a tool's plan() and consumed by its exec().  The pipeline reads
 * op/path/argv for nc_decide, cost for the reservation, digest/summary for approvals and
 * audit_params for the audit record. */
struct nc_tool_plan {
    enum nc_op op; /* the capability exercised; may differ from the tool's default (a write
                      to an existing file is edit_files) */
    /* file tools and searches: the path as the client gave it ("." for the workspace); the
     * pipeline normalizes it with nc_decide and stores the result in decided_path */
    char path[NC_PATH_MAX + 1];
    char decided_path[NC_PATH_MAX + 1];
    /* web_fetch / web_search: the host the policy decides on (network.allow), lowercase;
     * "" for other tools.  The pipeline passes it as nc_request.host. */
    char host[NC_DOMAIN_MAX + 1];
    /* git_push: the remote URL the policy decides on (git.push_remotes); "" otherwise */
    char remote[NC_ITEM_MAX + 1];
    /* run / git_commit: the argv the policy decides on (pointers into args or argv_store) */
    const char *argv[NC_TOOL_ARGV_MAX];
    size_t argc;
    enum nc_cost_kind cost_kind;
    uint64_t max_quantity; /* the most the call can use (bytes, ms, results): reserved */
    uint8_t digest[NC_APPROVAL_DIGEST_LEN]; /* canonical digest of every argument */
    char summary[NC_TOOL_SUMMARY_MAX];      /* "write src/a.c (1.2 KiB, sha256 ab12..)" */
    json_t *audit_params; /* owned: argument shapes and digests, never raw contents */
    json_t *args;         /* owned reference to the validated arguments */
    void *priv;           /* tool-private state, freed by the tool's cleanup() */
};

/* How a call ended, from the tool's side. */
struct nc_tool_output {
    char *text;          /* malloc'd; content[0].text of the result (required) */
    json_t *structured;  /* owned; structuredContent, or NULL */
    bool is_error;       /* a tool error (isError: true): the model sees text and may retry */
    const char *kind;    /* when is_error: stable snake_case ("not_found", "io_error",
                            "not_unique", "binary_file", "too_large", "timeout", "cancelled") */
    uint64_t quantity;   /* what was actually used, in the plan's cost unit: settled */
    bool read_private;   /* workspace data reached the client */
    bool untrusted;      /* content from a path in paths.untrusted (or the network) did */
    /* owned; the decisions of the nested pod's egress gateway (nc_tool_spawn), an array of
     * objects for the audit record ("egress"), or NULL when the pod made no connection */
    json_t *egress;
    bool egress_truncated; /* more decisions were made than are recorded */
};

struct nc_tool {
    const char *name;         /* "read" */
    const char *title;        /* "Read a file" */
    const char *description;  /* for tools/list */
    const char *input_schema; /* JSON Schema (draft 2020-12) text; must parse */
    enum nc_op op;            /* the default capability; tools/list hides a Never tool */
    /* Validates args (a JSON object) and fills plan.  Returns 0, or -1 with err: EINVAL for
     * invalid arguments (the message names the field and the reason; no host paths). */
    int (*plan)(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                struct nc_err *err);
    /* Executes an approved plan.  Returns 0 with out filled (out->is_error for a tool-level
     * failure such as a missing file), or -1 with err for an internal failure. */
    int (*exec)(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                struct nc_tool_output *out, struct nc_err *err);
    /* Frees plan->priv; may be NULL. */
    void (*cleanup)(struct nc_tool_plan *plan);
};

/* The built-in tools, in tools/list order. */
extern const struct nc_tool nc_tool_read, nc_tool_write, nc_tool_edit, nc_tool_glob,
    nc_tool_grep, nc_tool_run, nc_tool_git_commit, nc_tool_web_fetch, nc_tool_web_search,
    nc_tool_git_push, nc_tool_create_pr;
const struct nc_tool *const *nc_tools_all(size_t *count);
const struct nc_tool *nc_tool_find(const char *name);

/* Helpers shared by tools (tool.c). */
void nc_tool_plan_init(struct nc_tool_plan *plan);
void nc_tool_plan_free(const struct nc_tool *tool, struct nc_tool_plan *plan);
void nc_tool_output_free(struct nc_tool_output *out);
/* Sets out to a tool error with a printf-style text. */
int nc_tool_fail(struct nc_tool_output *out, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* True when a search may show or read `rel` (workspace-relative, normalized): the policy's
 * deny and allow rules for `op` (glob_search or grep_search), as nc_decide applies them. */
bool nc_tool_path_visible(const struct nc_tool_env *env, enum nc_op op, const char *rel);

/* The egress decisions a nested pod's nucleus exec wrote (JSON lines, text[0..len)) as an
 * array for the audit record, or NULL when there is none: each line must be an object with a
 * boolean "allowed"; only the gateway's fields are kept (strings cut at 256 bytes, "port" an
 * integer), anything else is counted once as {"allowed": false, "unreadable": N}.  At most
 * NC_TOOL_EGRESS_MAX entries; more sets *truncated.  When *truncated is true on entry (the
 * stream was cut), a last line without its newline is dropped. */
#define NC_TOOL_EGRESS_MAX 64
json_t *nc_tool_egress_decisions(const char *text, size_t len, bool *truncated);

/* Runs o in a nested pod for a tool (run, git_commit, git_push): fills o's fields that come
 * from env (nucleus binary, policy, workspace, cancellation, progress, exec options), spawns
 * through env->spawn or nc_spawn_in_pod, and sets out->quantity to the elapsed milliseconds.
 * On success *so and *se hold stdout and stderr as NUL-terminated valid UTF-8 (free them)
 * and the caller frees r with nc_spawn_result_free; on failure nothing is left to free. */
int nc_tool_spawn(const struct nc_tool_env *env, struct nc_spawn_opts *o,
                  struct nc_spawn_result *r, struct nc_tool_output *out, char **so, size_t *sol,
                  char **se, size_t *sel, struct nc_err *err);

#endif
