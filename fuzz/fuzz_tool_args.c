/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: each file tool's (and git_push's and create_pr's) argument decoding and
 * planning on arbitrary JSON, against a fixed temporary workspace (src/proxy/tools/).  Input: one byte picks the tool, the rest is
 * JSON text.  Besides "no crash, no UB, no leak", checks:
 *   - plan() either succeeds or fails with EINVAL (ENOMEM aside) and a message;
 *   - a plan's summary is NUL-terminated, valid UTF-8, one line, and never names the host
 *     path of the workspace; neither do its audit parameters (unless the client wrote that
 *     path into its own arguments: echoing a client's bytes back is no leak);
 *   - the digest is deterministic (planning the same arguments twice gives the same one),
 *     the cost kind is the operation's, the path is set (file tools);
 *   - git_push and create_pr: the plan's host is a well-formed host name that the URL names,
 *     git_push's remote is a canonical git.push_remotes entry and its decided argv classifies
 *     as git_push (create_pr's as create_pr), so the policy decides the operation it runs;
 *   - for the tools that do not write (read, glob, grep), when the policy allows the call,
 *     exec() ends with text (success or a tool error) that is valid UTF-8 and never names the
 *     host path of the workspace or holds the content of the denied file (same proviso). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy/tool.h"
#include "proxy/tools/common.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static const struct nc_tool *const tools[] = {&nc_tool_read,      &nc_tool_write,
                                              &nc_tool_edit,      &nc_tool_glob,
                                              &nc_tool_grep,      &nc_tool_git_push,
                                              &nc_tool_create_pr};
static char root[256];
static struct nc_policy policy;
static struct nc_tool_env env;
static atomic_bool cancelled;

static void put(const char *rel, const char *content)
{
    char p[512];
    (void)snprintf(p, sizeof(p), "%s/%s", root, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void cleanup(void)
{
    (void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    char t[] = "/tmp/nc-fuzz-tools-XXXXXX", p[512];
    const char *why = NULL;
    CHECK(mkdtemp(t) != NULL && realpath(t, root) != NULL);
    (void)atexit(cleanup);
    (void)snprintf(p, sizeof(p), "%s/src", root);
    CHECK(mkdir(p, 0755) == 0);
    put("src/a.c", "int main(void) { return 0; }\nneedle\n");
    put("README", "hello\nneedle here\n");
    put(".env", "SECRET=fuzz-must-not-see\n");
    put(".gitignore", "*.o\n!keep.o\nbuild/\n");
    (void)snprintf(p, sizeof(p), "%s/link", root);
    CHECK(symlink(".env", p) == 0);
    nc_policy_top(&policy);
    CHECK(nc_list_add(&policy.paths_deny, ".env", &why) == 0);
    env.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(env.root_fd >= 0);
    env.root = root;
    env.policy = &policy;
    env.cancelled = &cancelled;
    nc_grep_set_workers(1);
    /* create_pr plans only with an operator's forge URL */
    CHECK(setenv("NUCLEUS_FORGE_API_URL", "https://forge.example/repos/o/r/pulls", 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (root[0] == '\0')
        setup();
    if (size < 1 || size > 16384)
        return 0;
    const struct nc_tool *t = tools[data[0] % (sizeof(tools) / sizeof(tools[0]))];
    json_error_t jerr;
    json_t *args = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                              &jerr);
    if (args == NULL)
        return 0;
    /* Does the input itself spell the root or the secret? Then it may be echoed. */
    bool echoes = memmem(data, size, root, strlen(root)) != NULL ||
                  memmem(data, size, "fuzz-must-not-see", 17) != NULL;

    struct nc_tool_plan plan, again;
    struct nc_err err;
    nc_tool_plan_init(&plan);
    int rc = t->plan(&env, args, &plan, &err);
    if (rc < 0) {
        CHECK(err.code == EINVAL || err.code == ENOMEM);
        CHECK(err.msg[0] != '\0');
        CHECK(echoes || strstr(err.msg, root) == NULL);
        nc_tool_plan_free(t, &plan);
        json_decref(args);
        return 0;
    }
    size_t sl = strnlen(plan.summary, sizeof(plan.summary));
    CHECK(sl > 0 && sl < sizeof(plan.summary));
    CHECK(nc_utf8_valid(plan.summary, sl));
    CHECK(strchr(plan.summary, '\n') == NULL);
    CHECK(echoes || strstr(plan.summary, root) == NULL);
    bool net = t == &nc_tool_git_push || t == &nc_tool_create_pr;
    if (net) {
        CHECK(plan.host[0] != '\0');
        CHECK(nc_list_check_item(NC_LIST_DOMAINS, plan.host) == NULL);
        CHECK(nc_command_classify(plan.argv, plan.argc) == plan.op);
        if (t == &nc_tool_git_push) {
            char host[NC_DOMAIN_MAX + 1];
            CHECK(nc_list_check_item(NC_LIST_URLS, plan.remote) == NULL);
            CHECK(nc_url_entry_host(plan.remote, host, sizeof(host)) == 0);
            CHECK(strcmp(host, plan.host) == 0);
            CHECK(strchr(plan.argv[3], '+') == NULL && plan.argv[3][0] != '-');
        }
    } else {
        CHECK(plan.path[0] != '\0');
    }
    CHECK(plan.audit_params != NULL);
    char *audit = json_dumps(plan.audit_params, 0);
    CHECK(audit != NULL);
    CHECK(echoes || strstr(audit, root) == NULL);
    free(audit);
    CHECK(plan.cost_kind == nc_cost_kind_of(plan.op));
    nc_tool_plan_init(&again);
    CHECK(t->plan(&env, args, &again, &err) == 0);
    CHECK(memcmp(plan.digest, again.digest, sizeof(plan.digest)) == 0);
    CHECK(again.op == plan.op);
    nc_tool_plan_free(t, &again);

    if (t == &nc_tool_read || t == &nc_tool_glob || t == &nc_tool_grep) {
        struct nc_request r = {.op = plan.op, .root = root, .path = plan.path};
        struct nc_decision d;
        nc_decide(&policy, NULL, &r, &d);
        if (d.verdict != NC_DENY) {
            struct nc_tool_output out;
            memset(&out, 0, sizeof(out));
            memcpy(plan.decided_path, d.path, sizeof(plan.decided_path));
            rc = t->exec(&env, &plan, &out, &err);
            if (rc == 0) {
                CHECK(out.text != NULL);
                CHECK(nc_utf8_valid(out.text, strlen(out.text)));
                CHECK(echoes || strstr(out.text, root) == NULL);
                CHECK(echoes || strstr(out.text, "fuzz-must-not-see") == NULL);
                CHECK(!out.is_error || out.kind != NULL);
            } else {
                CHECK(err.code == ENOMEM);
            }
            nc_tool_output_free(&out);
        }
    }
    nc_tool_plan_free(t, &plan);
    json_decref(args);
    return 0;
}
