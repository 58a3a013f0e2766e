/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in profiles (see profiles.h and docs/policy.md). */
#include "profiles.h"

#include "budget.h"

#include <string.h>

/* Secrets: masked (neither read nor written) at any depth. */
static const char *const secret_paths[] = {
    ".env",       ".env.*",     "*.pem",   "*.key",    "*.p12",           "*.pfx",
    "*.jks",      "*.kdbx",     "id_rsa*", "id_dsa*",  "id_ecdsa*",       "id_ed25519*",
    ".ssh",       ".gnupg",     ".aws",    ".azure",   ".kube",           ".docker",
    ".netrc",     ".npmrc",     ".pypirc", ".git-credentials", "credentials", "credentials.json",
    "secrets",    NULL,
};

/* Persistence and configuration: readable, never written (an agent that can rewrite a git
 * hook, a shell rc file or its own tool configuration can run code outside the pod later). */
static const char *const protected_paths[] = {
    "**/.git/hooks", "**/.git/config", ".gitmodules", ".gitconfig", ".bashrc",   ".bash_profile",
    ".bash_login",   ".profile",       ".zshrc",      ".zshenv",    ".zprofile", ".envrc",
    ".mcp.json",     ".claude",        ".codex",      ".cursor",    ".vscode",   ".idea",
    ".nucleus",      ".ripgreprc",     NULL,
};

/* Commands that raise privileges, run inline code past the argv rules, or touch credentials. */
static const char *const denied_commands[] = {
    "sudo",        "su",          "doas",         "pkexec",       "nsenter",
    "bash -c",     "sh -c",       "dash -c",      "zsh -c",       "fish -c",
    "python -c",   "python3 -c",  "node -e",      "node --eval",  "perl -e",
    "ruby -e",     "php -r",      "gh auth",      "gh config",    "git credential",
    "git config --global", "git remote add", "git remote set-url", NULL,
};

static const char *const dev_commands[] = {
    "cargo build", "cargo check", "cargo test", "cargo fmt", "cargo clippy", "make",
    "npm test",    "npm run",     "go build",   "go test",   "go vet",       "pytest",
    "python3 -m pytest", "git status", "git diff", "git log", "git show", "git add",
    "git commit",  "git push",    "gh pr create", "ls",      "cat",          "head",
    "tail",        "wc",          "grep",       "rg",        "find",         "diff",
    NULL,
};

static const char *const dev_domains[] = {
    "github.com", "*.github.com", "*.githubusercontent.com", "crates.io", "*.crates.io",
    "pypi.org",   "*.pypi.org",   "files.pythonhosted.org",  "registry.npmjs.org", "docs.rs",
    "proxy.golang.org", NULL,
};

static const char *const none[] = {NULL};

#define UNRESTRICTED NULL /* an allowlist pointer of NULL means "unrestricted" */

struct profile {
    const char *name;
    const char *summary;
    const char *levels; /* 11 letters in nc_op order: A always, L low_risk, - never */
    nc_opset approvals;
    const char *const *paths_allow;
    const char *const *paths_deny;
    const char *const *paths_readonly;
    const char *const *cmds_allow;
    const char *const *net_allow;
    const char *const *git_remotes; /* git.push_remotes: the push tool's remote URLs */
    uint64_t budget_micros;
    uint64_t timeout_s;
};

#define OPS(x) NC_OPSET_BIT(NC_OP_##x)
#define USD(x) ((uint64_t)(x) * NC_MICROS_PER_UNIT)

/*                       r w e b g g s f c p pr */
static const struct profile profiles[] = {
    {"read-only", "read and search the workspace; nothing else", "A---AA-----", 0,
     UNRESTRICTED, secret_paths, protected_paths, none, none, none, USD(5), 3600},
    {"restrictive", "read and search at low risk, small budget, 10 minutes", "L---LL-----", 0,
     UNRESTRICTED, secret_paths, protected_paths, none, none, none, USD(1) / 2, 600},
    {"code-review", "read and search; web search only with approval", "A---AAL----",
     OPS(WEB_SEARCH), UNRESTRICTED, secret_paths, protected_paths, none, UNRESTRICTED, none, USD(1),
     1800},
    {"web-research", "search the web and read; no writes, no commands, no exfiltration",
     "L---AALL---", 0, UNRESTRICTED, secret_paths, protected_paths, none, UNRESTRICTED,
     none, USD(3) / 2, 2700},
    {"local-dev", "edit and build offline; no web, no push", "ALLLAA--L--", 0, UNRESTRICTED,
     secret_paths, protected_paths, UNRESTRICTED, none, none, USD(3), 7200},
    {"fix-issue", "edit, build, test, commit; push and PRs only with approval", "ALLLAALLLLL",
     (nc_opset)(OPS(GIT_PUSH) | OPS(CREATE_PR)), UNRESTRICTED, secret_paths, protected_paths,
     dev_commands, dev_domains, UNRESTRICTED, USD(2), 3600},
    {"release", "build and publish without web input; push and PRs only with approval",
     "ALLLAA--LLL", (nc_opset)(OPS(GIT_PUSH) | OPS(CREATE_PR)), UNRESTRICTED, secret_paths,
     protected_paths, UNRESTRICTED, dev_domains, UNRESTRICTED, USD(5), 7200},
    {"full", "every capability; exfiltration still gated by the uninhabitable-state rule",
     "AAAAAAAAAAA", 0, UNRESTRICTED, none, protected_paths, UNRESTRICTED, UNRESTRICTED, UNRESTRICTED, USD(10),
     14400},
};

#define PROFILE_COUNT (sizeof(profiles) / sizeof(profiles[0]))

size_t nc_profile_count(void)
{
    return PROFILE_COUNT;
}

const char *nc_profile_name(size_t i)
{
    return i < PROFILE_COUNT ? profiles[i].name : NULL;
}

const char *nc_profile_summary(size_t i)
{
    return i < PROFILE_COUNT ? profiles[i].summary : NULL;
}

static int fill(struct nc_list *l, enum nc_list_kind kind, const char *const *items)
{
    const char *why = NULL;
    nc_list_init(l, kind, items == UNRESTRICTED);
    if (items == UNRESTRICTED)
        return 0;
    for (size_t i = 0; items[i] != NULL; i++)
        if (nc_list_add(l, items[i], &why) < 0)
            return -1;
    return 0;
}

int nc_profile_load_index(size_t i, struct nc_policy *out)
{
    const struct profile *d;
    if (i >= PROFILE_COUNT)
        return -1;
    d = &profiles[i];
    memset(out, 0, sizeof(*out));
    memcpy(out->name, d->name, strlen(d->name) + 1);
    for (unsigned k = 0; k < NC_OP_COUNT; k++)
        out->caps.level[k] = (uint8_t)(d->levels[k] == 'A'   ? NC_ALWAYS
                                       : d->levels[k] == 'L' ? NC_LOW_RISK
                                                             : NC_NEVER);
    out->approvals = d->approvals;
    if (fill(&out->paths_allow, NC_LIST_PATHS, d->paths_allow) < 0 ||
        fill(&out->paths_deny, NC_LIST_PATHS, d->paths_deny) < 0 ||
        fill(&out->paths_readonly, NC_LIST_PATHS, d->paths_readonly) < 0 ||
        fill(&out->paths_untrusted, NC_LIST_PATHS, none) < 0 ||
        fill(&out->cmds_allow, NC_LIST_COMMANDS, d->cmds_allow) < 0 ||
        fill(&out->cmds_deny, NC_LIST_COMMANDS, denied_commands) < 0 ||
        fill(&out->net_allow, NC_LIST_DOMAINS, d->net_allow) < 0 ||
        fill(&out->git_remotes, NC_LIST_URLS, d->git_remotes) < 0)
        return -1;
    out->budget_micros = d->budget_micros;
    out->limits.timeout_s = d->timeout_s;
    out->limits.max_procs = 1024;
    out->limits.memory_bytes = (uint64_t)4 << 30;
    nc_policy_normalize(out);
    return 0;
}

static bool name_eq(const char *canon, const char *given)
{
    size_t i = 0;
    for (; canon[i] != '\0'; i++) {
        char g = given[i];
        if (g == '_')
            g = '-';
        if (g != canon[i])
            return false;
    }
    return given[i] == '\0';
}

int nc_profile_load(const char *name, struct nc_policy *out)
{
    for (size_t i = 0; i < PROFILE_COUNT; i++)
        if (name_eq(profiles[i].name, name))
            return nc_profile_load_index(i, out);
    return -1;
}
