/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: grep's whole-file candidate scan (src/proxy/tools/grep.c) must never change an
 * answer.  Input: one byte of options (case-insensitive, context 0..3, max_matches small or
 * not), then the pattern up to the first newline, then the content of the one file searched.
 * A pattern the tool refuses is skipped; otherwise the text and the structured content with
 * the scan on and with every line matched on its own must be identical.  Also checks the
 * classification: a pattern nc_grep_scan_safe() accepts has no lookaround, \A \z \Z \G \K,
 * "(*" or "(?>" in it. */
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

static char root[256], file[512];
static struct nc_policy policy;
static struct nc_tool_env env;
static atomic_bool cancelled;

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
    char t[] = "/tmp/nc-fuzz-grepscan-XXXXXX";
    CHECK(mkdtemp(t) != NULL && realpath(t, root) != NULL);
    (void)atexit(cleanup);
    (void)snprintf(file, sizeof(file), "%s/f.txt", root);
    nc_policy_top(&policy);
    env.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(env.root_fd >= 0);
    env.root = root;
    env.policy = &policy;
    env.cancelled = &cancelled;
    nc_grep_set_workers(1);
}

/* text + "\n" + structured content of one grep call; NULL when the plan refused it. */
static char *run(json_t *args)
{
    struct nc_tool_plan plan;
    struct nc_tool_output out;
    struct nc_err err;
    struct nc_decision dec;
    char *res = NULL;
    nc_tool_plan_init(&plan);
    memset(&out, 0, sizeof(out));
    if (nc_tool_grep.plan(&env, args, &plan, &err) < 0) {
        CHECK(err.code == EINVAL || err.code == ENOMEM);
        nc_tool_plan_free(&nc_tool_grep, &plan);
        return NULL;
    }
    struct nc_request r = {.op = plan.op, .root = root, .path = plan.path};
    nc_decide(&policy, NULL, &r, &dec);
    CHECK(dec.verdict != NC_DENY);
    memcpy(plan.decided_path, dec.path, sizeof(plan.decided_path));
    CHECK(nc_tool_grep.exec(&env, &plan, &out, &err) == 0);
    CHECK(out.text != NULL);
    char *sj = out.structured != NULL ? json_dumps(out.structured, JSON_SORT_KEYS) : NULL;
    size_t n = strlen(out.text) + (sj != NULL ? strlen(sj) : 0u) + 16u;
    res = malloc(n);
    CHECK(res != NULL);
    (void)snprintf(res, n, "%s%s\n%s", out.is_error ? "ERROR " : "", out.text,
                   sj != NULL ? sj : "");
    free(sj);
    nc_tool_output_free(&out);
    nc_tool_plan_free(&nc_tool_grep, &plan);
    return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (root[0] == '\0')
        setup();
    if (size < 2 || size > 65536)
        return 0;
    uint8_t opt = data[0];
    const char *pat = (const char *)data + 1;
    const char *nl = memchr(pat, '\n', size - 1u);
    size_t plen = nl != NULL ? (size_t)(nl - pat) : size - 1u;
    const char *text = nl != NULL ? nl + 1 : pat + plen;
    size_t tlen = size - 1u - plen - (nl != NULL ? 1u : 0u);
    if (plen == 0)
        return 0;

    if (nc_grep_scan_safe(pat, plen)) {
        static const char *const never[] = {"(?=", "(?!", "(?<=", "(?<!", "(?>", "(*",
                                            "\\A", "\\z", "\\Z", "\\G", "\\K"};
        for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
            const char *hit = memmem(pat, plen, never[i], strlen(never[i]));
            /* an escaped backslash before it makes it literal: "\\\\A" is safe */
            if (hit != NULL && never[i][0] != '\\') {
                size_t bs = 0;
                while (hit - bs > pat && hit[-1 - (ptrdiff_t)bs] == '\\')
                    bs++;
                CHECK(bs % 2u == 1u);
            }
        }
    }

    json_t *p = json_stringn(pat, plen);
    if (p == NULL)
        return 0; /* not UTF-8: no JSON client can send it */
    json_t *args = json_pack("{s:o, s:s, s:b, s:i, s:i}", "pattern", p, "path", "f.txt",
                             "case_insensitive", opt & 1, "context", (opt >> 1) & 3,
                             "max_matches", (opt & 8) != 0 ? 1 + ((opt >> 4) & 7) : 5000);
    CHECK(args != NULL);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, tlen) == (ssize_t)tlen);
    close(fd);

    nc_grep_set_scan(false);
    char *slow = run(args);
    nc_grep_set_scan(true);
    char *fast = run(args);
    CHECK((slow == NULL) == (fast == NULL));
    if (slow != NULL)
        CHECK(strcmp(slow, fast) == 0);
    free(slow);
    free(fast);
    json_decref(args);
    return 0;
}
