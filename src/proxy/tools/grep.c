/* SPDX-License-Identifier: Apache-2.0 */
/* The grep tool: lines matching a PCRE2 pattern in workspace files (docs/tools.md, "grep").
 *
 * Enforcement, in the order it happens:
 *   - the pattern passes nc_validate_pattern (length, control characters, the ReDoS screen)
 *     before PCRE2 ever sees it, and is compiled with \C and callouts unusable and a nesting
 *     limit; matching runs with match, depth and heap limits (JIT where available), and a
 *     limit hit ends the call with a regex_limit error rather than a silent partial answer;
 *   - every file is checked against the policy (nc_tool_path_visible) before it is opened, so
 *     a denied file's content is never read, let alone returned (the v1 grep read blocked
 *     files); directories the deny rules cover are not entered;
 *   - files are opened by path with NC_FS_NOFOLLOW: a symlink swapped in after the walk listed
 *     a file cannot redirect the read;
 *   - .gitignore files (root, nested, and those of the start directory's ancestors) are
 *     honoured; a .gitignore the policy hides is not read; .git is not entered unless the
 *     search starts inside it.
 * Files are searched by a small pool of threads; each file's output is rendered on its own and
 * the outputs are joined in path order, so the answer is the same for any number of workers.
 *
 * Speed: a pattern is matched per line, and calling PCRE2 once per line costs more than the
 * search itself on large trees.  So when the pattern is "scan-safe" (nc_grep_scan_safe()), a
 * second copy compiled with PCRE2_MULTILINE first finds candidates in the whole file (PCRE2's
 * JIT skips ahead with its first-character and required-character searches), and only the
 * line holding a candidate is matched on its own, with the per-line pattern: that per-line
 * match alone decides, so a candidate can only cost time, never change the answer.
 * Scan-safe means every line that matches alone has a match in the whole file starting in
 * that line or earlier: assertions that could see past the line (lookaround, \A \z \Z \G,
 * \K, atomic groups and possessive quantifiers, verbs, option changes other than i n s J U)
 * are refused, and ^ and $ are made to match at every line boundary.  Any PCRE2 error or
 * limit in the scan falls back to per-line matching for the rest of the file.  Lines are
 * counted only up to where a number is shown, and each worker reads every file into one
 * buffer it keeps. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "proxy/tools/common.h"

#include "proxy/gitignore.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GREP_MAX_MATCHES 5000
#define GREP_MAX_CONTEXT 10
#define GREP_MAX_FILE ((size_t)16 << 20) /* larger files are skipped */
#define GREP_MAX_OUTPUT ((size_t)2 << 20) /* bytes of text per call */
#define GREP_MAX_LINE_SHOWN 1024u            /* bytes of one line shown */
#define GREP_MAX_FILES 1000000u              /* files gathered before the walk stops */
#define GREP_MATCH_LIMIT 1000000u            /* PCRE2 match() calls per line */
#define GREP_DEPTH_LIMIT 10000u              /* backtracking depth per line */
#define GREP_HEAP_LIMIT_KIB 16384u           /* interpreter heap per line */
#define GREP_JIT_STACK_MAX ((size_t)1 << 20)
#define GREP_SCAN_CHUNK ((size_t)1 << 20) /* bytes scanned per PCRE2 call (then: cancelled?) */
#define GREP_LITERAL_MAX 64u                /* bytes of a required literal kept */
#define GREP_LITERAL_MIN 3u                 /* shorter ones are left to the scan */

static const struct nc_arg_spec grep_args[] = {
    {.name = "pattern", .type = NC_ARG_STRING, .required = true, .check = NC_ARG_PATTERN},
    {.name = "path", .type = NC_ARG_STRING, .check = NC_ARG_PATH, .nonempty = true},
    {.name = "glob", .type = NC_ARG_STRING, .check = NC_ARG_GLOB},
    {.name = "case_insensitive", .type = NC_ARG_BOOL, .def = 0},
    {.name = "context", .type = NC_ARG_INT, .min = 0, .max = GREP_MAX_CONTEXT, .def = 0},
    {.name = "max_matches", .type = NC_ARG_INT, .min = 1, .max = GREP_MAX_MATCHES, .def = 200},
};
#define NARGS (sizeof(grep_args) / sizeof(grep_args[0]))
enum { A_PATTERN, A_PATH, A_GLOB, A_CASE, A_CONTEXT, A_MAX };

static const char grep_schema[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"pattern\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1024,"
    "\"description\":\"PCRE2 regular expression, matched against each line (UTF-8). Patterns "
    "prone to catastrophic backtracking (nested or overlapping repeats, recursion, callouts, "
    "backtracking verbs) are refused.\"},"
    "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,\"default\":\".\","
    "\"description\":\"File or directory to search, relative to the workspace root.\"},"
    "\"glob\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1024,"
    "\"description\":\"Only search files whose path relative to `path` matches this pattern "
    "(same syntax as the glob tool, e.g. \\\"*.c\\\").\"},"
    "\"case_insensitive\":{\"type\":\"boolean\",\"default\":false},"
    "\"context\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10,\"default\":0,"
    "\"description\":\"Lines of context before and after each match.\"},"
    "\"max_matches\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5000,\"default\":200,"
    "\"description\":\"Most matching lines to return (in path order, then line order).\"}},"
    "\"required\":[\"pattern\"],"
    "\"additionalProperties\":false}";

static atomic_uint grep_workers; /* 0 = automatic */
static atomic_bool grep_no_scan;  /* tests: per-line matching only */

void nc_grep_set_workers(unsigned n)
{
    atomic_store(&grep_workers, n);
}

void nc_grep_set_scan(bool on)
{
    atomic_store(&grep_no_scan, !on);
}

/* ---- plan ----------------------------------------------------------------------------- */

struct grep_priv {
    pcre2_code *code; /* decides, line by line */
    pcre2_code *scan; /* the same pattern for finding candidates in a whole file, or NULL */
    bool jit;
    char lit[GREP_LITERAL_MAX]; /* bytes every match contains (lit_len >= GREP_LITERAL_MIN) */
    size_t lit_len;
};

static void grep_cleanup(struct nc_tool_plan *plan)
{
    struct grep_priv *p = plan->priv;
    if (p != NULL) {
        pcre2_code_free(p->code);
        pcre2_code_free(p->scan);
        free(p);
        plan->priv = NULL;
    }
}

/* Can a whole-file scan stand in for matching each line, as a filter?  It can when nothing in
 * the pattern looks beyond the characters a match consumes except ^, $, \b and \B, which
 * agree at a line boundary in both modes (a newline is a non-word character, and the scan is
 * compiled with PCRE2_MULTILINE).  Then a match of a line alone is also a match of the file
 * starting at the same offset, and the leftmost match of the file from the line's start can
 * only begin at or before it.  What could break that is refused by spelling, conservatively
 * (a refused pattern is only slower): lookahead and lookbehind, \A \z \Z \G (subject
 * boundaries), \K (moves the reported start), atomic groups and possessive quantifiers (they
 * commit to what they saw past the line), verbs and start-of-pattern settings "(*", and any
 * "(?" other than non-capturing and named groups and the options i n s J U (m or ^ would
 * switch MULTILINE off again; x is refused by the ReDoS screen already). */
bool nc_grep_scan_safe(const char *pat, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = pat[i], n = i + 1u < len ? pat[i + 1u] : '\0';
        if (c == '\\') {
            if (n != '\0' && strchr("AzZGK", n) != NULL)
                return false;
            i++; /* the escaped character is a literal or a class: skip it */
            continue;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && n == '+')
            return false; /* possessive (or, conservatively, a literal '+' after them) */
        if (c != '(' || (n != '?' && n != '*'))
            continue;
        if (n == '*')
            return false;
        /* "(?" ... */
        const char *r = pat + i + 2u;
        size_t left = len - i - 2u;
        if (left >= 1u && r[0] == ':')
            continue;
        if (left >= 2u && r[0] == '<' && (r[1] == '_' || (r[1] >= 'A' && r[1] <= 'Z') ||
                                          (r[1] >= 'a' && r[1] <= 'z')))
            continue; /* (?<name> */
        if (left >= 3u && r[0] == 'P' && r[1] == '<' &&
            (r[2] == '_' || (r[2] >= 'A' && r[2] <= 'Z') || (r[2] >= 'a' && r[2] <= 'z')))
            continue; /* (?P<name> */
        if (left >= 1u && r[0] == '\'')
            continue; /* (?'name' */
        size_t k = 0;
        while (k < left && r[k] != '\0' && strchr("insJU-", r[k]) != NULL)
            k++;
        if (k > 0 && k < left && (r[k] == ')' || r[k] == ':'))
            continue; /* (?i) (?-i) (?s:...) */
        return false;
    }
    return true;
}

/* Skips a character class starting at pat[i] == '['; the index after its ']', or len. */
static size_t skip_class(const char *pat, size_t len, size_t i)
{
    i++;
    if (i < len && pat[i] == '^')
        i++;
    if (i < len && pat[i] == ']')
        i++; /* a ']' first is a literal */
    while (i < len && pat[i] != ']') {
        if (pat[i] == '\\')
            i++;
        else if (pat[i] == '[' && i + 1u < len && pat[i + 1u] == ':') {
            const char *e = memchr(pat + i + 2u, ']', len - i - 2u);
            if (e != NULL && e[-1] == ':')
                i = (size_t)(e - pat); /* [:alpha:] */
        }
        i++;
    }
    return i < len ? i + 1u : len;
}

/* A counted repeat {n}, {n,}, {n,m} (or, to be safe, any '{' digits-and-commas '}') at
 * pat[i]: its length, else 0 (then the '{' is a literal to PCRE2). */
static size_t counted_repeat(const char *pat, size_t len, size_t i)
{
    size_t k = i + 1u;
    while (k < len && ((pat[k] >= '0' && pat[k] <= '9') || pat[k] == ','))
        k++;
    return k < len && pat[k] == '}' && k > i + 1u ? k + 1u - i : 0;
}

/* The longest run of bytes that every match of the pattern contains, read off its spelling
 * when that is simple: no alternation at the top level, no "(?" (inline options could make
 * it caseless), no \Q, no "(*", no escape that takes an argument (\x{..}, \cX, \p{..}, \g1,
 * \k<..>, \N{..}, \o{..}, digits), and not caseless.  The run is made of top-level literal
 * characters that no quantifier makes optional (a '+' keeps its character and ends the run);
 * groups, classes, other escapes that are not punctuation, '.', '^' and '$' end it.  Returns
 * its length (at most outsz), 0 when there is none or the pattern is not simple.  Every line
 * a match is found in contains the run, so lines without it need no matching at all. */
size_t nc_grep_required_literal(const char *pat, size_t len, bool caseless, char *out,
                                size_t outsz)
{
    char cur[GREP_LITERAL_MAX];
    size_t n = 0, best = 0, atom = SIZE_MAX; /* atom: where the last literal starts in cur */
    int depth = 0;

    if (caseless || memmem(pat, len, "(?", 2) != NULL || memmem(pat, len, "(*", 2) != NULL ||
        memmem(pat, len, "\\Q", 2) != NULL)
        return 0;
#define END_RUN()                                                                             \
    do {                                                                                      \
        if (n > best) {                                                                       \
            best = n < outsz ? n : outsz;                                                     \
            memcpy(out, cur, best);                                                           \
        }                                                                                     \
        n = 0;                                                                                \
        atom = SIZE_MAX;                                                                      \
    } while (0)
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)pat[i];
        if (depth > 0) {
            /* inside a group: only its end matters */
            if (c == '\\')
                i += 2u;
            else if (c == '[')
                i = skip_class(pat, len, i);
            else {
                depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                i++;
            }
            continue;
        }
        switch (c) {
        case '|':
        case ')':
            return 0; /* alternation, or unbalanced (PCRE2 refuses that anyway) */
        case '(':
            END_RUN();
            depth = 1;
            i++;
            continue;
        case '[':
            END_RUN();
            i = skip_class(pat, len, i);
            continue;
        case '.':
        case '^':
        case '$':
            END_RUN();
            i++;
            continue;
        case '*':
        case '?':
        case '+':
        case '{': {
            size_t q = c == '{' ? counted_repeat(pat, len, i) : 1u;
            if (q == 0)
                break; /* a literal '{' */
            if (atom != SIZE_MAX && c != '+')
                n = atom; /* the last character may be absent */
            END_RUN();
            i += q;
            continue;
        }
        case '\\':
            if (i + 1u >= len)
                return 0;
            c = (unsigned char)pat[i + 1u];
            if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                /* a class, an assertion or one control character; anything else (an escape
                 * with an argument) is beyond this reader */
                if (strchr("dDwWsSbBhHvVRXnrtefaAzZGKE", (char)c) == NULL)
                    return 0;
                END_RUN();
                i += 2u;
                continue;
            }
            if (c >= 0x80u)
                return 0;
            i++; /* an escaped punctuation character is itself */
            break;
        default:
            break;
        }
        /* one literal character: an ASCII byte, or a whole UTF-8 sequence */
        c = (unsigned char)pat[i];
        size_t k = c < 0x80u ? 1u : nc_utf8_seq((const unsigned char *)pat + i, len - i);
        if (k == 0)
            return 0;
        if (n + k <= sizeof(cur)) {
            atom = n;
            memcpy(cur + n, pat + i, k);
            n += k;
        } else {
            atom = SIZE_MAX; /* the run is full: its first bytes are still required */
        }
        i += k;
    }
    END_RUN();
#undef END_RUN
    return best;
}

/* The scan copy of the pattern (see the comment at the top), or NULL when the pattern is not
 * scan-safe, its newline convention is not LF, or it does not compile that way. */
static pcre2_code *compile_scan(const struct nc_arg *v, const pcre2_code *code, uint32_t opts)
{
    uint32_t nl = 0;
    int errcode = 0;
    PCRE2_SIZE erroff = 0;
    pcre2_code *scan;
    pcre2_compile_context *cctx;

    if (!nc_grep_scan_safe(v[A_PATTERN].s, v[A_PATTERN].len) ||
        pcre2_pattern_info(code, PCRE2_INFO_NEWLINE, &nl) != 0 || nl != PCRE2_NEWLINE_LF)
        return NULL;
    cctx = pcre2_compile_context_create(NULL);
    if (cctx == NULL)
        return NULL;
    (void)pcre2_set_parens_nest_limit(cctx, 64);
    (void)pcre2_set_max_pattern_length(cctx, 1024);
    (void)pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
    scan = pcre2_compile((PCRE2_SPTR)v[A_PATTERN].s, v[A_PATTERN].len, opts | PCRE2_MULTILINE,
                         &errcode, &erroff, cctx);
    pcre2_compile_context_free(cctx);
    if (scan != NULL)
        (void)pcre2_jit_compile(scan, PCRE2_JIT_COMPLETE); /* or the interpreter, same limits */
    return scan;
}

static int compile_pattern(const struct nc_arg *v, struct grep_priv *p, struct nc_err *err)
{
    int errcode = 0;
    PCRE2_SIZE erroff = 0;
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    uint32_t jit = 0;

    if (cctx == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (v[A_CASE].b)
        opts |= PCRE2_CASELESS;
    /* The screen already bounds nesting at 32; PCRE2 enforces its own limit as well. */
    (void)pcre2_set_parens_nest_limit(cctx, 64);
    (void)pcre2_set_max_pattern_length(cctx, 1024);
    /* No callout function is ever installed, and (?C) is refused by the screen; auto callouts
     * are off because PCRE2_AUTO_CALLOUT is not set. */
    p->code = pcre2_compile((PCRE2_SPTR)v[A_PATTERN].s, v[A_PATTERN].len, opts, &errcode,
                            &erroff, cctx);
    pcre2_compile_context_free(cctx);
    if (p->code == NULL) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
            (void)snprintf((char *)msg, sizeof(msg), "error %d", errcode);
        return nc_err_set(err, EINVAL, "invalid argument 'pattern': %s (at byte %zu)",
                          (const char *)msg, (size_t)erroff);
    }
    if (pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit == 1 &&
        pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE) == 0)
        p->jit = true; /* otherwise the interpreter runs, under the same limits */
    p->scan = compile_scan(v, p->code, opts);
    p->lit_len = nc_grep_required_literal(v[A_PATTERN].s, v[A_PATTERN].len, v[A_CASE].b,
                                          p->lit, sizeof(p->lit));
    if (p->lit_len < GREP_LITERAL_MIN)
        p->lit_len = 0;
    return 0;
}

static int grep_plan(const struct nc_tool_env *env, json_t *args, struct nc_tool_plan *plan,
                     struct nc_err *err)
{
    struct nc_arg v[NARGS];
    char shown[NC_PATH_MAX + 1], pat[160], gl[100];
    struct grep_priv *p;
    int r = nc_tool_args_decode(args, grep_args, NARGS, v, err);
    if (r < 0)
        return r;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->priv = p;
    r = compile_pattern(v, p, err);
    if (r < 0)
        return r;
    plan->op = NC_OP_GREP_SEARCH;
    if (v[A_PATH].present)
        memcpy(plan->path, v[A_PATH].s, v[A_PATH].len + 1u);
    else
        memcpy(plan->path, ".", 2);
    plan->cost_kind = NC_COST_SEARCH;
    plan->max_quantity = (uint64_t)v[A_MAX].i;
    r = nc_tool_args_digest("grep", grep_args, NARGS, v, plan->digest, err);
    if (r < 0)
        return r;
    nc_tool_display_path(env, plan->path, shown, sizeof(shown));
    nc_tool_clip(v[A_PATTERN].s, v[A_PATTERN].len, 120, pat, sizeof(pat));
    if (v[A_GLOB].present)
        nc_tool_clip(v[A_GLOB].s, v[A_GLOB].len, 60, gl, sizeof(gl));
    nc_tool_summary(plan, "grep '%s' in %s%s%s%s (at most %lld matches)", pat, shown,
                    v[A_GLOB].present ? ", files '" : "", v[A_GLOB].present ? gl : "",
                    v[A_GLOB].present ? "'" : "", (long long)v[A_MAX].i);
    plan->audit_params = nc_tool_args_audit(env, grep_args, NARGS, v);
    if (plan->audit_params == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    plan->args = json_incref(args);
    return 0;
}

/* ---- collecting files ------------------------------------------------------------------ */

/* The .gitignore files that apply, outermost first.  Their directories are prefixes of one
 * another, so one path buffer holds them all: level i's directory is the first base_len
 * bytes of `deepest`. */
struct ignore_level {
    struct nc_gitignore *g; /* NULL: no .gitignore there */
    size_t base_len;        /* 0 for the root */
};

struct collect {
    const struct nc_tool_env *env;
    const char *glob;   /* or NULL */
    size_t start_len;   /* bytes of the start path plus '/', 0 for the root */
    bool enter_git;
    struct ignore_level *lv;
    size_t nlv, caplv;
    char deepest[NC_FS_PATH_MAX];
    char **files;         /* into `names`, set once the walk is over */
    size_t *offs;         /* while walking: each file's offset in `names` */
    size_t nfiles, capfiles;
    struct nc_buf names;
    bool capped;
    size_t skipped_other; /* symlinks and special files */
};

static int push_level(struct collect *c, const char *base, struct nc_gitignore *g)
{
    if (c->nlv == c->caplv) {
        size_t ncap = c->caplv == 0 ? 16u : c->caplv * 2u;
        struct ignore_level *nl = nc_grow_array(c->lv, ncap, sizeof(*nl));
        if (nl == NULL)
            return -ENOMEM;
        c->lv = nl;
        c->caplv = ncap;
    }
    c->lv[c->nlv].base_len = strcmp(base, ".") == 0 ? 0 : strlen(base);
    if (c->lv[c->nlv].base_len >= sizeof(c->deepest))
        return -ENAMETOOLONG;
    memcpy(c->deepest, base, c->lv[c->nlv].base_len);
    c->deepest[c->lv[c->nlv].base_len] = '\0';
    c->lv[c->nlv].g = g;
    c->nlv++;
    return 0;
}

static void pop_level(struct collect *c)
{
    if (c->nlv == 0)
        return;
    c->nlv--;
    nc_gitignore_free(c->lv[c->nlv].g);
}

/* Parses dir/.gitignore if there is one the policy lets a search read; NULL otherwise. */
static struct nc_gitignore *load_ignore(const struct nc_tool_env *env, int dirfd,
                                        const char *dir, int *rc)
{
    char rel[NC_FS_PATH_MAX];
    struct stat st;
    struct nc_err e;
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    ssize_t n;
    int w;

    *rc = 0;
    w = strcmp(dir, ".") == 0 ? snprintf(rel, sizeof(rel), ".gitignore")
                              : snprintf(rel, sizeof(rel), "%s/.gitignore", dir);
    if (w < 0 || (size_t)w >= sizeof(rel) || !nc_tool_path_visible(env, NC_OP_GREP_SEARCH, rel))
        return NULL;
    fd = nc_fs_open_file_at(dirfd, ".gitignore", &st, &e);
    if (fd < 0)
        return NULL; /* none, a symlink, or not a regular file: ignored */
    buf = malloc(NC_GITIGNORE_MAX_BYTES);
    if (buf == NULL) {
        *rc = -ENOMEM;
        return NULL;
    }
    n = nc_fs_read_full(fd, buf, NC_GITIGNORE_MAX_BYTES, &e);
    if (n <= 0)
        return NULL;
    struct nc_gitignore *g = nc_gitignore_parse(buf, (size_t)n, &e);
    if (g == NULL)
        *rc = -ENOMEM;
    return g;
}

static bool ignored(const struct collect *c, const char *rel, bool is_dir)
{
    for (size_t i = c->nlv; i > 0; i--) {
        const struct ignore_level *l = &c->lv[i - 1u];
        const char *sub;
        enum nc_gitignore_verdict v;
        if (l->g == NULL)
            continue;
        if (l->base_len == 0)
            sub = rel;
        else if (strncmp(rel, c->deepest, l->base_len) == 0 && rel[l->base_len] == '/')
            sub = rel + l->base_len + 1u;
        else
            continue;
        v = nc_gitignore_match(l->g, sub, strlen(sub), is_dir);
        if (v != NC_GITIGNORE_NONE)
            return v == NC_GITIGNORE_IGNORED;
    }
    return false;
}

static int on_enter(void *arg, const char *rel, int dirfd, struct nc_err *err)
{
    struct collect *c = arg;
    int rc;
    struct nc_gitignore *g = load_ignore(c->env, dirfd, rel, &rc);
    if (rc < 0 || push_level(c, rel, g) < 0) {
        nc_gitignore_free(g);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    return 0;
}

static void on_leave(void *arg, const char *rel)
{
    (void)rel;
    pop_level(arg);
}

static int on_entry(void *arg, const struct nc_fs_entry *e, struct nc_err *err)
{
    struct collect *c = arg;
    if (e->type == NC_FS_DIR) {
        if (!c->enter_git && strcmp(e->name, ".git") == 0)
            return NC_FS_WALK_PRUNE;
        if (nc_tool_dir_pruned(c->env, NC_OP_GREP_SEARCH, e->rel) || ignored(c, e->rel, true))
            return NC_FS_WALK_PRUNE;
        return NC_FS_WALK_CONTINUE;
    }
    if (e->type != NC_FS_FILE) {
        c->skipped_other++; /* symlinks are not followed; fifos and devices are not read */
        return NC_FS_WALK_CONTINUE;
    }
    if (!nc_tool_path_visible(c->env, NC_OP_GREP_SEARCH, e->rel) || ignored(c, e->rel, false))
        return NC_FS_WALK_CONTINUE;
    if (c->glob != NULL && !nc_glob_match(c->glob, e->rel + c->start_len))
        return NC_FS_WALK_CONTINUE;
    if (c->nfiles == c->capfiles) {
        size_t ncap = c->capfiles == 0 ? 256u : c->capfiles * 2u;
        size_t *nf = nc_grow_array(c->offs, ncap, sizeof(*nf));
        if (nf == NULL)
            return nc_err_set(err, ENOMEM, "out of memory");
        c->offs = nf;
        c->capfiles = ncap;
    }
    c->offs[c->nfiles] = c->names.len;
    if (nc_buf_put(&c->names, e->rel, strlen(e->rel) + 1u) != 0)
        return nc_err_set(err, ENOMEM, "out of memory");
    c->nfiles++;
    if (c->nfiles >= GREP_MAX_FILES) {
        c->capped = true;
        return NC_FS_WALK_STOP;
    }
    return NC_FS_WALK_CONTINUE;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .gitignore files of the start directory's ancestors apply beneath it too. */
static int load_ancestors(struct collect *c, const struct nc_fs *fs, const char *start)
{
    char dir[NC_FS_PATH_MAX];
    size_t len = strlen(start);
    if (strcmp(start, ".") == 0)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        /* each strict ancestor: ".", then start[0..i) at every '/' */
        if (i != 0 && start[i] != '/')
            continue;
        if (i == len)
            break;
        struct nc_err e;
        int rc;
        if (i == 0)
            memcpy(dir, ".", 2);
        else {
            memcpy(dir, start, i);
            dir[i] = '\0';
        }
        _cleanup_close_ int fd = nc_fs_open(fs, dir, O_RDONLY | O_DIRECTORY, NC_FS_NOFOLLOW,
                                            NULL, 0, &e);
        if (fd < 0) {
            if (push_level(c, dir, NULL) < 0)
                return -ENOMEM;
            continue;
        }
        struct nc_gitignore *g = load_ignore(c->env, fd, dir, &rc);
        if (rc < 0 || push_level(c, dir, g) < 0) {
            nc_gitignore_free(g);
            return -ENOMEM;
        }
    }
    return 0;
}

/* ---- searching ------------------------------------------------------------------------ */

enum file_status {
    FS_OK = 0,
    FS_BINARY,
    FS_LARGE,
    FS_UNREADABLE,
    FS_LIMIT,  /* a PCRE2 limit was hit */
    FS_STOPPED /* cancelled or another file hit a limit */
};

struct file_result {
    bool done;
    enum file_status status;
    char *text;
    size_t len;
    size_t nmatch;
    size_t *ends; /* ends[k]: text length right after the k-th match line */
    bool lossy;
    size_t limit_line;
    int limit_code;
};

struct search {
    const struct nc_tool_env *env;
    struct nc_fs fs;
    const pcre2_code *code;
    const pcre2_code *scan; /* or NULL */
    const char *lit;        /* a literal every match contains, or NULL */
    size_t lit_len;
    const char *const *files;
    size_t nfiles;
    unsigned context;
    size_t max;
    bool single; /* the search is one explicit file */
    struct file_result *res;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;        /* next file to claim */
    size_t limit_index; /* files from here on are not needed */
    size_t prefix;      /* files [0, prefix) are done */
    size_t prefix_matches;
    size_t done_count;
    unsigned running;
    atomic_bool stop;
    atomic_bool failed; /* a worker ran out of memory: the answer would be incomplete */
};

struct worker {
    struct search *s;
    pcre2_match_data *md;
    pcre2_match_data *smd; /* the scan's: one pair, no captures */
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    char *buf; /* file contents, reused from file to file */
    size_t cap;
};

static bool stopped(const struct search *s)
{
    return atomic_load(&s->stop) ||
           (s->env->cancelled != NULL && atomic_load(s->env->cancelled));
}

/* One output line: "path:n:text" for a match, "path-n-text" for context. */
static int put_line(struct nc_buf *b, const char *ppath, size_t plen, size_t no, bool match,
                    const char *line, size_t len, bool *lossy)
{
    size_t show = len;
    if (nc_buf_put(b, ppath, plen) < 0 || nc_buf_printf(b, "%c%zu%c", match ? ':' : '-', no,
                                                        match ? ':' : '-') < 0)
        return -ENOMEM;
    if (show > GREP_MAX_LINE_SHOWN) {
        show = GREP_MAX_LINE_SHOWN;
        /* back off to a character boundary */
        while (show > GREP_MAX_LINE_SHOWN - 4u && ((unsigned char)line[show] & 0xc0u) == 0x80u)
            show--;
    }
    if (nc_buf_put_utf8(b, line, show, lossy) < 0)
        return -ENOMEM;
    if (show < len && nc_buf_printf(b, " [\xe2\x80\xa6 %zu more bytes]", len - show) < 0)
        return -ENOMEM;
    return nc_buf_put(b, "\n", 1) < 0 ? -ENOMEM : 0;
}

struct ring_line {
    const char *p;
    size_t len;
    size_t no;
};

/* Newlines in p[0..n). */
static size_t count_nl(const char *p, size_t n)
{
    size_t c = 0, i = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (n - i >= 16u) {
        /* up to 255 blocks of 16 bytes per byte-wide counter before it could wrap */
        size_t blocks = (n - i) / 16u;
        __m128i acc = zero;
        if (blocks > 255u)
            blocks = 255u;
        for (size_t b = 0; b < blocks; b++, i += 16u)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)),
                                                   nl));
        __m128i sums = _mm_sad_epu8(acc, zero);
        c += (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_extract_epi16(sums, 4);
    }
#endif
    for (; i < n; i++)
        c += p[i] == '\n';
    return c;
}

/* One file's rendering: the output so far and the context state. */
struct render {
    struct search *s;
    struct file_result *r;
    struct nc_buf out, pb;
    struct ring_line ring[GREP_MAX_CONTEXT];
    size_t nring, ring_head, after, last, cap_ends;
    const char *data;
    size_t no, no_at; /* no: the lines before offset no_at (a line start), counted lazily */
};

/* The number of lines before the line start q (q >= no_at). */
static size_t lines_before(struct render *rs, size_t q)
{
    rs->no += count_nl(rs->data + rs->no_at, q - rs->no_at);
    rs->no_at = q;
    return rs->no;
}

static void ring_push(struct render *rs, const char *p, size_t ll, size_t no)
{
    unsigned ctx = rs->s->context;
    if (ctx == 0)
        return; /* no leading context is kept */
    if (rs->nring < ctx) {
        rs->ring[(rs->ring_head + rs->nring) % ctx] = (struct ring_line){p, ll, no};
        rs->nring++;
    } else {
        rs->ring[rs->ring_head] = (struct ring_line){p, ll, no};
        rs->ring_head = (rs->ring_head + 1u) % ctx;
    }
}

/* A line that does not match: trailing context, or the end of the file's search once more than
 * max matches are in, or leading context for a match to come.  1: stop; < 0: out of memory. */
static int line_nomatch(struct render *rs, const char *p, size_t ll, size_t no)
{
    if (rs->after > 0) {
        if (put_line(&rs->out, rs->pb.p, rs->pb.len, no, false, p, ll, &rs->r->lossy) < 0)
            return -ENOMEM;
        rs->last = no;
        rs->after--;
        return 0;
    }
    if (rs->r->nmatch > rs->s->max)
        return 1; /* the last match's context is done */
    if (rs->s->context > 0)
        ring_push(rs, p, ll, no);
    return 0;
}

/* A matching line.  1: stop (one match beyond max is in); < 0: out of memory. */
static int line_match(struct render *rs, const char *p, size_t ll, size_t no)
{
    struct search *s = rs->s;
    struct file_result *r = rs->r;
    /* One match beyond max is collected (never shown) so that "truncated" means the same for
     * any number of workers: there is more than what is shown. */
    if (r->nmatch > s->max)
        return 1;
    /* the context before, with a separator when there is a gap */
    size_t first = rs->nring > 0 ? rs->ring[rs->ring_head].no : no;
    if (s->context > 0 && rs->last > 0 && first > rs->last + 1u &&
        nc_buf_put(&rs->out, "--\n", 3) < 0)
        return -ENOMEM;
    for (size_t k = 0; s->context > 0 && k < rs->nring; k++) { /* nring > 0 needs context */
        const struct ring_line *rl = &rs->ring[(rs->ring_head + k) % s->context];
        if (put_line(&rs->out, rs->pb.p, rs->pb.len, rl->no, false, rl->p, rl->len,
                     &r->lossy) < 0)
            return -ENOMEM;
    }
    rs->nring = 0;
    rs->ring_head = 0;
    if (put_line(&rs->out, rs->pb.p, rs->pb.len, no, true, p, ll, &r->lossy) < 0)
        return -ENOMEM;
    if (r->nmatch == rs->cap_ends) {
        size_t ncap = rs->cap_ends == 0 ? 16u : rs->cap_ends * 2u;
        size_t *ne = nc_grow_array(r->ends, ncap, sizeof(*ne));
        if (ne == NULL)
            return -ENOMEM;
        r->ends = ne;
        rs->cap_ends = ncap;
    }
    r->ends[r->nmatch++] = rs->out.len;
    rs->last = no;
    rs->after = s->context;
    return 0;
}

/* The lines of data[a..b), none of which matches (a and b are line starts, or b the end of
 * the file).  The same as line_nomatch() on each line in turn, without visiting every line:
 * trailing context first, then only the last `context` lines matter (as leading context), and
 * lines are counted only when a number is needed. */
static int lines_nomatch(struct render *rs, size_t a, size_t b)
{
    const char *data = rs->data;
    while (a < b && rs->after > 0) {
        const char *nl = memchr(data + a, '\n', b - a);
        size_t le = nl != NULL ? (size_t)(nl - data) : b;
        size_t no = lines_before(rs, a) + 1u;
        int rc = line_nomatch(rs, data + a, le - a, no);
        if (rc != 0)
            return rc;
        a = nl != NULL ? le + 1u : b;
        rs->no = no;
        rs->no_at = a;
    }
    if (a >= b)
        return 0;
    if (rs->r->nmatch > rs->s->max)
        return 1;
    if (rs->s->context > 0) {
        /* the starts and lengths of the last `context` lines (or fewer), found backwards */
        struct ring_line tail[GREP_MAX_CONTEXT];
        size_t last_no = lines_before(rs, b) + (data[b - 1u] != '\n' ? 1u : 0u);
        size_t m = 0, e = b;
        while (m < rs->s->context && e > a) {
            size_t le = data[e - 1u] == '\n' ? e - 1u : e; /* only the file's end lacks one */
            const char *prev = le > a ? memrchr(data + a, '\n', le - a) : NULL;
            size_t ls = prev != NULL ? (size_t)(prev - data) + 1u : a;
            tail[m] = (struct ring_line){data + ls, le - ls, last_no - m};
            m++;
            e = ls;
        }
        while (m > 0) {
            m--;
            ring_push(rs, tail[m].p, tail[m].len, tail[m].no);
        }
    }
    return 0;
}

/* The start of the line holding offset x: the byte after the last newline in [from, x), or
 * from (a line start itself). */
static size_t line_start(const char *data, size_t from, size_t x)
{
    const char *prev = x > from && data != NULL ? memrchr(data + from, '\n', x - from) : NULL;
    return prev != NULL ? (size_t)(prev - data) + 1u : from;
}

static int render_file(struct worker *w, const char *path, const char *data, size_t len,
                       struct file_result *r)
{
    struct search *s = w->s;
    struct render rs = {.s = s, .r = r, .out = {.max = 0}, .pb = {.max = 0}, .data = data};
    size_t pos = 0; /* the start of the next line to decide */
    bool prefilter = !atomic_load(&grep_no_scan);
    bool literal = prefilter && s->lit != NULL;
    bool scanning = prefilter && !literal && s->scan != NULL;
    unsigned iter = 0;
    int rc = 0;

    if (nc_buf_put_name(&rs.pb, path, strlen(path)) < 0)
        return -ENOMEM;
    while (pos < len) {
        size_t q = pos;
        if ((++iter & 1023u) == 0 && stopped(s)) {
            r->status = FS_STOPPED;
            break;
        }
        if (literal) {
            /* The next line holding the literal is the next candidate. */
            const char *x = memmem(data + pos, len - pos, s->lit, s->lit_len);
            size_t upto = x != NULL ? line_start(data, pos, (size_t)(x - data)) : len;
            if (upto > pos) {
                rc = lines_nomatch(&rs, pos, upto);
                if (rc != 0)
                    break;
                pos = upto;
            }
            if (x == NULL)
                break;
            q = pos;
        } else if (scanning) {
            /* Find the next candidate in a chunk that ends at a line boundary. */
            size_t ce = len;
            if (len - pos > GREP_SCAN_CHUNK) {
                const char *nl = memchr(data + pos + GREP_SCAN_CHUNK, '\n',
                                        len - pos - GREP_SCAN_CHUNK);
                ce = nl != NULL ? (size_t)(nl - data) + 1u : len;
            }
            int m = pcre2_match(s->scan, (PCRE2_SPTR)data, ce, pos, 0, w->smd, w->mctx);
            if (m == PCRE2_ERROR_NOMATCH) {
                rc = lines_nomatch(&rs, pos, ce);
                if (rc != 0)
                    break;
                pos = ce;
                continue;
            }
            if (m < 0) {
                scanning = false; /* a limit or an error: per line from here */
                continue;
            }
            q = line_start(data, pos, (size_t)pcre2_get_ovector_pointer(w->smd)[0]);
            if (q > pos) {
                rc = lines_nomatch(&rs, pos, q);
                if (rc != 0)
                    break;
            }
            if (q >= len)
                break; /* an empty match after the last newline: no line there */
        }
        /* The line at q, matched on its own: this decides. */
        const char *nl = memchr(data + q, '\n', len - q);
        size_t ll = nl != NULL ? (size_t)(nl - (data + q)) : len - q;
        int m = pcre2_match(s->code, (PCRE2_SPTR)data + q, ll, 0, 0, w->md, w->mctx);
        size_t no = lines_before(&rs, q) + 1u;
        if (m < 0 && m != PCRE2_ERROR_NOMATCH) {
            if (m == PCRE2_ERROR_MATCHLIMIT || m == PCRE2_ERROR_DEPTHLIMIT ||
                m == PCRE2_ERROR_HEAPLIMIT || m == PCRE2_ERROR_JIT_STACKLIMIT ||
                m == PCRE2_ERROR_NOMEMORY) {
                r->status = FS_LIMIT;
                r->limit_line = no;
                r->limit_code = m;
                break;
            }
            m = PCRE2_ERROR_NOMATCH; /* any other failure: this line does not match */
        }
        rc = m >= 0 ? line_match(&rs, data + q, ll, no) : line_nomatch(&rs, data + q, ll, no);
        if (rc != 0)
            break;
        pos = nl != NULL ? (size_t)(nl - data) + 1u : len;
        rs.no = no;
        rs.no_at = pos;
    }
    nc_buf_free(&rs.pb);
    if (rc < 0) {
        nc_buf_free(&rs.out);
        return -ENOMEM;
    }
    r->len = rs.out.len;
    r->text = rs.out.p;
    return 0;
}

/* Reads the whole file into the worker's buffer (as nc_fs_read_all, without an allocation
 * per file): 0 and *data, *len; -EFBIG when it holds more than GREP_MAX_FILE bytes (it may
 * have grown since fstat); -ENOMEM; another negative errno when it cannot be read. */
static int read_file(struct worker *w, int fd, const struct stat *st, const char **data,
                     size_t *len)
{
    size_t want = (st->st_size > 0 ? (size_t)st->st_size : 4096u) + 1u, used = 0;
    struct nc_err e;
    if (want > GREP_MAX_FILE + 1u)
        want = GREP_MAX_FILE + 1u;
    for (;;) {
        if (w->cap < want) {
            char *nb = realloc(w->buf, want);
            if (nb == NULL)
                return -ENOMEM;
            w->buf = nb;
            w->cap = want;
        }
        if (w->buf == NULL)
            return -ENOMEM; /* never: want >= 1 (gcc cannot tell) */
        ssize_t n = nc_fs_read_full(fd, w->buf + used, want - used, &e);
        if (n < 0)
            return -(e.code != 0 ? e.code : EIO);
        used += (size_t)n;
        if (used > GREP_MAX_FILE)
            return -EFBIG;
        if (used < want)
            break; /* end of file */
        want = want * 2u > GREP_MAX_FILE + 1u ? GREP_MAX_FILE + 1u : want * 2u;
    }
    *data = w->buf;
    *len = used;
    return 0;
}

static int search_file(struct worker *w, size_t idx)
{
    struct search *s = w->s;
    struct file_result *r = &s->res[idx];
    struct stat st;
    struct nc_err e;
    _cleanup_close_ int fd = -1;
    const char *data = NULL;
    size_t len = 0;
    int rc;

    fd = nc_fs_open_file(&s->fs, s->files[idx], NC_FS_NOFOLLOW, &st, NULL, 0, &e);
    if (fd < 0) {
        r->status = FS_UNREADABLE;
        return 0;
    }
    if ((uint64_t)st.st_size > GREP_MAX_FILE) {
        r->status = FS_LARGE;
        return 0;
    }
    rc = read_file(w, fd, &st, &data, &len);
    if (rc < 0) {
        if (rc == -ENOMEM)
            return -ENOMEM;
        r->status = rc == -EFBIG ? FS_LARGE : FS_UNREADABLE;
        return 0;
    }
    if (nc_tool_is_binary(data, len)) {
        r->status = FS_BINARY;
        return 0;
    }
    return render_file(w, s->files[idx], data, len, r);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct search *s = w->s;
    for (;;) {
        size_t i;
        int rc;
        pthread_mutex_lock(&s->mu);
        if (stopped(s) || s->next >= s->nfiles || s->next >= s->limit_index) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        i = s->next++;
        pthread_mutex_unlock(&s->mu);

        rc = search_file(w, i);

        pthread_mutex_lock(&s->mu);
        if (rc < 0 || s->res[i].status == FS_LIMIT)
            atomic_store(&s->stop, true);
        if (rc < 0) {
            s->res[i].status = FS_STOPPED;
            atomic_store(&s->failed, true);
        }
        s->res[i].done = true;
        s->done_count++;
        /* Once the files in path order up to some point hold more than max matches, later
         * files cannot change the answer: stop claiming them. */
        while (s->prefix < s->nfiles && s->res[s->prefix].done) {
            s->prefix_matches += s->res[s->prefix].nmatch;
            s->prefix++;
            if (s->prefix_matches > s->max && s->prefix < s->limit_index)
                s->limit_index = s->prefix;
        }
        /* Wake the calling thread for progress after the first file and then every 64, not
         * after each: a wake-up per file costs a context switch per file (it polls every
         * 50 ms anyway, and is woken when the last worker ends). */
        if (s->done_count == 1u || s->done_count % 64u == 0)
            pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_lock(&s->mu);
    s->running--;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static unsigned worker_count(size_t nfiles)
{
    unsigned n = atomic_load(&grep_workers);
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 2 ? 2u : cpus > 4 ? 4u : (unsigned)cpus;
    }
    if (n > 16)
        n = 16;
    if ((size_t)n > nfiles)
        n = nfiles == 0 ? 1u : (unsigned)nfiles;
    return n;
}

static void worker_free(struct worker *w)
{
    free(w->buf);
    pcre2_match_data_free(w->smd);
    pcre2_match_data_free(w->md);
    pcre2_match_context_free(w->mctx);
    pcre2_jit_stack_free(w->jit_stack);
}

static int worker_init(struct worker *w, struct search *s, bool jit)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    w->md = pcre2_match_data_create_from_pattern(s->code, NULL);
    w->mctx = pcre2_match_context_create(NULL);
    if (w->md == NULL || w->mctx == NULL)
        return -ENOMEM;
    if (s->scan != NULL) {
        w->smd = pcre2_match_data_create(1, NULL);
        if (w->smd == NULL)
            return -ENOMEM;
    }
    (void)pcre2_set_match_limit(w->mctx, GREP_MATCH_LIMIT);
    (void)pcre2_set_depth_limit(w->mctx, GREP_DEPTH_LIMIT);
    (void)pcre2_set_heap_limit(w->mctx, GREP_HEAP_LIMIT_KIB);
    if (jit) {
        w->jit_stack = pcre2_jit_stack_create((size_t)32 << 10, GREP_JIT_STACK_MAX, NULL);
        if (w->jit_stack != NULL)
            pcre2_jit_stack_assign(w->mctx, NULL, w->jit_stack);
    }
    return 0;
}

/* Runs the workers; the calling thread polls cancellation and reports progress. */
static int run_search(struct search *s, bool jit)
{
    unsigned n = worker_count(s->nfiles);
    struct worker *ws = calloc(n, sizeof(*ws));
    pthread_t *th = calloc(n, sizeof(*th));
    unsigned started = 0;
    int rc = 0;

    if (ws == NULL || th == NULL) {
        free(ws);
        free(th);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        if (worker_init(&ws[i], s, jit) < 0)
            rc = -ENOMEM;
    if (rc == 0) {
        pthread_mutex_lock(&s->mu);
        for (unsigned i = 0; i < n; i++) {
            if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0)
                break;
            started++;
            s->running++;
        }
        if (started == 0)
            rc = -EAGAIN;
        while (s->running > 0) {
            struct timespec ts;
            size_t done, total;
            (void)clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50000000L; /* 50 ms */
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            (void)pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            if (s->env->cancelled != NULL && atomic_load(s->env->cancelled))
                atomic_store(&s->stop, true);
            done = s->done_count;
            total = s->nfiles;
            if (s->env->progress != NULL) {
                pthread_mutex_unlock(&s->mu);
                s->env->progress(s->env->progress_arg, done, total, "searching files");
                pthread_mutex_lock(&s->mu);
            }
        }
        pthread_mutex_unlock(&s->mu);
        for (unsigned i = 0; i < started; i++)
            pthread_join(th[i], NULL);
    }
    for (unsigned i = 0; i < n; i++)
        worker_free(&ws[i]);
    free(ws);
    free(th);
    return rc;
}

/* ---- exec ------------------------------------------------------------------------------ */

static void collect_free(struct collect *c)
{
    while (c->nlv > 0)
        pop_level(c);
    free(c->lv);
    free(c->files);
    free(c->offs);
    nc_buf_free(&c->names);
}

/* Points files[] into the names buffer, which no longer moves. */
static int collect_finish(struct collect *c)
{
    c->files = calloc(c->nfiles > 0 ? c->nfiles : 1u, sizeof(*c->files));
    if (c->files == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < c->nfiles; i++)
        c->files[i] = c->names.p + c->offs[i];
    return 0;
}

static void results_free(struct file_result *res, size_t n)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(res[i].text);
        free(res[i].ends);
    }
    free(res);
}

static const char *limit_name(int code)
{
    switch (code) {
    case PCRE2_ERROR_MATCHLIMIT:
        return "match limit";
    case PCRE2_ERROR_DEPTHLIMIT:
        return "depth limit";
    case PCRE2_ERROR_HEAPLIMIT:
        return "heap limit";
    case PCRE2_ERROR_JIT_STACKLIMIT:
        return "JIT stack limit";
    default:
        return "memory limit";
    }
}

static int grep_exec(const struct nc_tool_env *env, struct nc_tool_plan *plan,
                     struct nc_tool_output *out, struct nc_err *err)
{
    struct grep_priv *gp = plan->priv;
    struct nc_fs fs = nc_tool_fs(env);
    struct nc_arg v[NARGS];
    struct nc_err ferr;
    struct stat st;
    char real[NC_FS_PATH_MAX];
    _cleanup_close_ int fd = -1;
    struct collect c;
    struct search s;
    struct nc_buf text = {.max = 0};
    struct nc_fs_walk_stats stats;
    size_t total = 0, nfiles_matched = 0, binary = 0, large = 0, unreadable = 0;
    bool truncated = false, untrusted = false, lossy = false;
    int rc;

    if (nc_tool_args_decode(plan->args, grep_args, NARGS, v, err) < 0)
        return -1;
    if (gp == NULL || gp->code == NULL)
        return nc_err_set(err, EINVAL, "grep: the plan holds no compiled pattern");
    memset(&c, 0, sizeof(c));
    memset(&stats, 0, sizeof(stats));

    fd = nc_fs_open(&fs, plan->decided_path, O_PATH, 0, real, sizeof(real), &ferr);
    if (fd < 0)
        return nc_tool_fail_fs(out, &ferr);
    if (!nc_tool_check_real(env, NC_OP_GREP_SEARCH, plan->decided_path, real, out))
        return 0;
    if (fstat(fd, &st) < 0)
        return nc_tool_fail(out, "io_error", "'%s': %s", plan->decided_path, strerror(errno));

    c.env = env;
    c.glob = v[A_GLOB].present ? v[A_GLOB].s : NULL;
    if (S_ISDIR(st.st_mode)) {
        struct nc_fs_walk_ops ops = {.entry = on_entry, .enter = on_enter, .leave = on_leave,
                                     .cancelled = env->cancelled};
        c.start_len = strcmp(real, ".") == 0 ? 0 : strlen(real) + 1u;
        c.enter_git = nc_tool_has_component(real, ".git");
        if (load_ancestors(&c, &fs, real) < 0) {
            collect_free(&c);
            return nc_err_set(err, ENOMEM, "out of memory");
        }
        rc = nc_fs_walk(&fs, real, &ops, &c, &stats, &ferr);
        if (rc < 0) {
            collect_free(&c);
            if (ferr.code == ENOMEM)
                return nc_err_set(err, ENOMEM, "out of memory");
            return nc_tool_fail_fs(out, &ferr);
        }
    } else if (S_ISREG(st.st_mode)) {
        c.offs = calloc(1, sizeof(*c.offs));
        if (c.offs == NULL || nc_buf_put(&c.names, real, strlen(real) + 1u) != 0) {
            collect_free(&c);
            return nc_err_set(err, ENOMEM, "out of memory");
        }
        c.nfiles = 1;
    } else {
        return nc_tool_fail(out, "not_regular", "'%s': not a regular file or directory",
                            plan->decided_path);
    }

    if (collect_finish(&c) < 0) {
        collect_free(&c);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    if (c.nfiles > 1)
        qsort(c.files, c.nfiles, sizeof(*c.files), str_cmp);

    memset(&s, 0, sizeof(s));
    s.env = env;
    s.fs = fs;
    s.code = gp->code;
    s.scan = gp->scan;
    s.lit = gp->lit_len > 0 ? gp->lit : NULL;
    s.lit_len = gp->lit_len;
    s.files = (const char *const *)c.files;
    s.nfiles = c.nfiles;
    s.context = (unsigned)v[A_CONTEXT].i;
    s.max = (size_t)v[A_MAX].i;
    s.single = !S_ISDIR(st.st_mode);
    s.limit_index = SIZE_MAX;
    s.res = calloc(c.nfiles > 0 ? c.nfiles : 1u, sizeof(*s.res));
    if (s.res == NULL || pthread_mutex_init(&s.mu, NULL) != 0) {
        free(s.res);
        collect_free(&c);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    if (pthread_cond_init(&s.cv, NULL) != 0) {
        pthread_mutex_destroy(&s.mu);
        free(s.res);
        collect_free(&c);
        return nc_err_set(err, ENOMEM, "out of memory");
    }
    rc = c.nfiles > 0 ? run_search(&s, gp->jit) : 0;
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    if (rc == 0 && atomic_load(&s.failed))
        rc = -ENOMEM;
    if (rc < 0) {
        results_free(s.res, c.nfiles);
        collect_free(&c);
        return nc_err_set(err, -rc, "grep: %s", strerror(-rc));
    }

    /* Outcomes that end the call. */
    if (env->cancelled != NULL && atomic_load(env->cancelled)) {
        results_free(s.res, c.nfiles);
        collect_free(&c);
        return nc_tool_fail(out, "cancelled", "cancelled");
    }
    for (size_t i = 0; i < c.nfiles; i++) {
        if (s.res[i].status == FS_LIMIT) {
            struct nc_buf name = {.max = 0};
            (void)nc_buf_put_name(&name, c.files[i], strlen(c.files[i]));
            nc_tool_fail(out, "regex_limit",
                         "the pattern hit the PCRE2 %s on %s line %zu; simplify it (avoid "
                         "several unbounded repeats that can match the same text)",
                         limit_name(s.res[i].limit_code), name.p != NULL ? name.p : "?",
                         s.res[i].limit_line);
            nc_buf_free(&name);
            results_free(s.res, c.nfiles);
            collect_free(&c);
            return 0;
        }
    }
    if (s.single && s.res[0].status == FS_BINARY) {
        results_free(s.res, c.nfiles);
        collect_free(&c);
        return nc_tool_fail(out, "binary_file",
                            "'%s' looks like a binary file (a NUL byte in its first %u bytes)",
                            plan->decided_path, NC_TOOL_BINARY_PROBE);
    }
    if (s.single && s.res[0].status == FS_LARGE) {
        results_free(s.res, c.nfiles);
        collect_free(&c);
        return nc_tool_fail(out, "too_large", "'%s' is larger than %zu MiB; grep skips it",
                            plan->decided_path, GREP_MAX_FILE >> 20);
    }

    /* Join in path order, up to max matches and the output cap.  A file is cut after a match
     * line, never in the middle of one. */
    for (size_t i = 0; i < c.nfiles; i++) {
        struct file_result *r = &s.res[i];
        size_t take, bytes;
        if (r->status == FS_BINARY)
            binary++;
        else if (r->status == FS_LARGE)
            large++;
        else if (r->status == FS_UNREADABLE)
            unreadable++;
        if (!r->done || r->nmatch == 0)
            continue;
        if (total >= s.max) {
            truncated = true;
            break;
        }
        take = r->nmatch;
        if (take > s.max - total)
            take = s.max - total;
        bytes = take == r->nmatch ? r->len : r->ends[take - 1u];
        if (s.context > 0 && text.len > 0)
            bytes += 3u; /* the separator */
        while (take > 0 && text.len + bytes > GREP_MAX_OUTPUT) {
            take--;
            bytes = take == 0 ? 0 : r->ends[take - 1u] + (s.context > 0 && text.len > 0 ? 3u : 0u);
        }
        if (take == 0) {
            truncated = true;
            break;
        }
        if (take < r->nmatch)
            truncated = true;
        if ((s.context > 0 && text.len > 0 && nc_buf_put(&text, "--\n", 3) < 0) ||
            nc_buf_put(&text, r->text, take == r->nmatch ? r->len : r->ends[take - 1u]) < 0)
            goto oom;
        total += take;
        nfiles_matched++;
        lossy = lossy || r->lossy;
        if (nc_policy_path_untrusted(env->policy, c.files[i]))
            untrusted = true;
        if (truncated)
            break;
    }
    if (!truncated && c.capped)
        truncated = true;
    if (total == 0 && nc_buf_printf(&text, "no matches\n") < 0)
        goto oom;
    if (truncated &&
        nc_buf_printf(&text, "[truncated: %zu matching lines shown (max_matches %zu)]\n", total,
                      s.max) < 0)
        goto oom;
    unreadable += stats.unreadable;
    out->structured = json_pack("{s:I,s:I,s:I,s:b,s:b,s:{s:I,s:I,s:I,s:I,s:I}}", "matches",
                                (json_int_t)total, "files_matched", (json_int_t)nfiles_matched,
                                "files_searched", (json_int_t)c.nfiles, "truncated", truncated,
                                "lossy", lossy, "skipped", "binary", (json_int_t)binary,
                                "too_large", (json_int_t)large, "unreadable",
                                (json_int_t)unreadable, "not_followed",
                                (json_int_t)c.skipped_other, "too_deep",
                                (json_int_t)stats.too_deep);
    if (out->structured == NULL)
        goto oom;
    out->text = nc_buf_steal(&text);
    if (out->text == NULL)
        goto oom;
    out->quantity = total;
    out->read_private = total > 0;
    out->untrusted = untrusted;
    results_free(s.res, c.nfiles);
    collect_free(&c);
    return 0;
oom:
    nc_buf_free(&text);
    results_free(s.res, c.nfiles);
    collect_free(&c);
    return nc_err_set(err, ENOMEM, "out of memory");
}

const struct nc_tool nc_tool_grep = {
    .name = "grep",
    .title = "Search file contents",
    .description = "Searches text files for lines matching a PCRE2 regular expression.  Output "
                   "lines are `path:line:text` (context lines `path-line-text`), in path then "
                   "line order, at most max_matches (default 200).  Honours .gitignore files; "
                   "skips binary files, files over 16 MiB, symlinks and .git; never reads a "
                   "file the policy hides.",
    .input_schema = grep_schema,
    .op = NC_OP_GREP_SEARCH,
    .plan = grep_plan,
    .exec = grep_exec,
    .cleanup = grep_cleanup,
};
