/* SPDX-License-Identifier: Apache-2.0 */
/* Allowlists and denylists (see list.h). */
#include "list.h"

#include "glob.h"

#include <string.h>

void nc_list_init(struct nc_list *l, enum nc_list_kind kind, bool unrestricted)
{
    memset(l, 0, sizeof(*l));
    l->kind = (uint8_t)kind;
    l->unrestricted = unrestricted;
}

const char *nc_list_item(const struct nc_list *l, size_t i)
{
    if (i >= l->count || l->off[i] >= NC_LIST_MAX_BYTES)
        return "";
    return l->buf + l->off[i];
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static const char *check_command(const char *s)
{
    size_t n = strnlen(s, NC_ITEM_MAX + 1);
    if (n == 0)
        return "command entry is empty";
    if (n > NC_ITEM_MAX)
        return "command entry is longer than 1024 bytes";
    if (s[0] == ' ' || s[n - 1] == ' ')
        return "command entry has leading or trailing spaces";
    for (size_t i = 0; i < n; i++) {
        if (is_ctl((unsigned char)s[i]))
            return "command entry contains a control character";
        if (s[i] == ' ' && s[i + 1] == ' ')
            return "command entry words must be separated by single spaces";
    }
    return NULL;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* s[0..n) ends in a label that starts with a digit.  No top-level domain does: such a name is
 * an IPv4 address (or one of the other spellings resolvers read as one, "127.1"). */
static bool numeric_tail(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && s[i - 1] != '.')
        i--;
    return i < n && is_digit(s[i]);
}

/* s[0..n) is four decimal numbers 0..255 without leading zeros, separated by dots. */
static bool dotted_quad(const char *s, size_t n)
{
    size_t i = 0;
    for (unsigned part = 0; part < 4u; part++) {
        size_t start;
        unsigned v = 0;
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        start = i;
        while (i < n && is_digit(s[i]) && i - start < 3u) {
            v = v * 10u + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start || v > 255u || (i - start > 1u && s[start] == '0'))
            return false;
    }
    return i == n;
}

static const char *check_domain(const char *s)
{
    size_t n = strnlen(s, NC_DOMAIN_MAX + 3);
    size_t i = 0, label = 0;
    if (n == 0)
        return "domain is empty";
    if (s[0] == '*') {
        if (s[1] != '.')
            return "a wildcard domain must start with \"*.\"";
        i = 2;
    }
    if (n - i > NC_DOMAIN_MAX)
        return "domain is longer than 253 bytes";
    if (i >= n)
        return "wildcard domain has no suffix";
    for (; i < n; i++) {
        char c = lower(s[i]);
        if (c == '.') {
            if (label == 0)
                return "domain has an empty label";
            if (s[i - 1] == '-')
                return "domain label ends with '-'";
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if (c == '-' && label == 0)
                return "domain label starts with '-'";
            if (++label > 63)
                return "domain label is longer than 63 bytes";
        } else {
            return "domain may contain only letters, digits, '-' and '.' (and a leading \"*.\")";
        }
    }
    if (label == 0)
        return "domain ends with '.'";
    if (s[n - 1] == '-')
        return "domain label ends with '-'";
    /* An address is one host: "*.0.0.1" would cover 127.0.0.1 and 10.0.0.1 by a suffix test
     * that means nothing for addresses, and "127.1" is a second spelling of 127.0.0.1. */
    if (numeric_tail(s, n)) {
        if (s[0] == '*')
            return "a wildcard domain cannot cover IP addresses (its last label starts with a digit)";
        if (!dotted_quad(s, n))
            return "a numeric domain must be a dotted-quad IPv4 address";
    }
    return NULL;
}

/* The authority of a URL entry s[0..len): [s, host_len) is the host, [s, auth_len) host and
 * port. */
static const char *url_authority(const char *s, size_t len, size_t *host_len, size_t *auth_len)
{
    size_t i = 0, hl;
    while (i < len && s[i] != '/' && s[i] != ':')
        i++;
    hl = i;
    if (i < len && s[i] == ':') {
        unsigned long port = 0;
        size_t start = ++i;
        while (i < len && is_digit(s[i]) && i - start < 6) {
            port = port * 10u + (unsigned long)(s[i] - '0');
            i++;
        }
        if (i == start || s[start] == '0' || port > 65535u || (i < len && is_digit(s[i])))
            return "remote URL has an invalid port (1-65535, no leading zero)";
    }
    if (i >= len || s[i] != '/')
        return "remote URL needs a path after the host (https://host/owner/repo.git)";
    *host_len = hl;
    *auth_len = i;
    return NULL;
}

/* Remote URLs are compared as bytes, so only one spelling of each is accepted: a lowercase
 * http or https scheme, a lowercase host name (no address literal with brackets, no
 * userinfo: "https://good@evil" hides the real host), an optional port, and a path of
 * segments made of letters, digits and ._~+- with no empty (except a final '/': a prefix),
 * '.' or '..' segment, and no '%', '?' or '#': a prefix test over "o/../x" or "o/%2e%2e/x"
 * would mean something else to the server. */
static const char *check_url(const char *s)
{
    size_t n = strnlen(s, NC_ITEM_MAX + 1), off, hl = 0, al = 0, seg = 0;
    char host[NC_DOMAIN_MAX + 1];
    const char *bad;

    if (n == 0)
        return "remote URL is empty";
    if (n > NC_ITEM_MAX)
        return "remote URL is longer than 1024 bytes";
    if (strncmp(s, "https://", 8) == 0)
        off = 8;
    else if (strncmp(s, "http://", 7) == 0)
        off = 7;
    else
        return "remote URL must start with https:// or http:// (lowercase)";
    if (n <= off)
        return "remote URL has no valid host";
    bad = url_authority(s + off, n - off, &hl, &al);
    if (bad != NULL)
        return bad;
    if (hl == 0 || hl > NC_DOMAIN_MAX)
        return "remote URL has no valid host";
    for (size_t i = 0; i < hl; i++) {
        if (s[off + i] >= 'A' && s[off + i] <= 'Z')
            return "remote URL host must be lowercase";
        host[i] = s[off + i];
    }
    host[hl] = '\0';
    if (host[0] == '*' || check_domain(host) != NULL)
        return "remote URL host must be a host name or a dotted-quad address";
    for (size_t i = off + al + 1; i <= n; i++) {
        char c = s[i];
        if (c == '/' || c == '\0') {
            size_t st = i - seg;
            if (seg == 0 && c == '/')
                return "remote URL path has an empty segment";
            if ((seg == 1 && s[st] == '.') || (seg == 2 && s[st] == '.' && s[st + 1] == '.'))
                return "remote URL path has a '.' or '..' segment";
            seg = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                   c == '.' || c == '_' || c == '~' || c == '+' || c == '-') {
            seg++;
        } else {
            return "remote URL path may contain only letters, digits, '/' and ._~+-";
        }
    }
    return NULL;
}

int nc_url_entry_host(const char *url, char *out, size_t outsz)
{
    size_t off, hl = 0, al = 0, n;
    if (check_url(url) != NULL)
        return -1;
    off = url[4] == 's' ? 8u : 7u;
    n = strnlen(url, NC_ITEM_MAX + 1);
    if (n <= off) /* never, once check_url accepted it: says so to the reader and to EVA */
        return -1;
    (void)url_authority(url + off, n - off, &hl, &al);
    if (hl + 1 > outsz)
        return -1;
    memcpy(out, url + off, hl);
    out[hl] = '\0';
    return 0;
}

const char *nc_list_check_item(enum nc_list_kind kind, const char *item)
{
    switch (kind) {
    case NC_LIST_PATHS:
        return nc_glob_check(item);
    case NC_LIST_COMMANDS:
        return check_command(item);
    case NC_LIST_DOMAINS:
        return check_domain(item);
    case NC_LIST_URLS:
        return check_url(item);
    }
    return "unknown list kind";
}

/* Index of the entry equal to item, or the insertion point as -(pos)-1. */
static int find(const struct nc_list *l, const char *item)
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(nc_list_item(l, mid), item);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(int)lo - 1;
}

bool nc_list_has(const struct nc_list *l, const char *item)
{
    return find(l, item) >= 0;
}

/* Inserts an entry known to be well formed. */
static int insert(struct nc_list *l, const char *item, const char **why)
{
    size_t n = strnlen(item, NC_ITEM_MAX + 1);
    int pos = find(l, item);
    size_t at;

    if (pos >= 0)
        return 0;
    if (l->count >= NC_LIST_MAX_ITEMS) {
        *why = "list has more than 64 entries";
        return -1;
    }
    if (n > NC_ITEM_MAX || (size_t)l->used + n + 1 > NC_LIST_MAX_BYTES) {
        *why = "list entries exceed 8192 bytes in total";
        return -1;
    }
    at = (size_t)(-(pos + 1));
    memcpy(l->buf + l->used, item, n);
    l->buf[l->used + n] = '\0';
    memmove(&l->off[at + 1], &l->off[at], (l->count - at) * sizeof(l->off[0]));
    l->off[at] = l->used;
    l->used = (uint16_t)(l->used + n + 1);
    l->count++;
    return 0;
}

int nc_list_add(struct nc_list *l, const char *item, const char **why)
{
    char tmp[NC_ITEM_MAX + 1];
    const char *bad;

    if (l->unrestricted) {
        *why = "an unrestricted list cannot also have entries";
        return -1;
    }
    bad = nc_list_check_item((enum nc_list_kind)l->kind, item);
    if (bad != NULL) {
        *why = bad;
        return -1;
    }
    if (l->kind == NC_LIST_DOMAINS) {
        size_t n = strnlen(item, NC_ITEM_MAX);
        for (size_t i = 0; i < n; i++)
            tmp[i] = lower(item[i]);
        tmp[n] = '\0';
        item = tmp;
    }
    return insert(l, item, why);
}

bool nc_list_eq(const struct nc_list *a, const struct nc_list *b)
{
    if (a->kind != b->kind || a->unrestricted != b->unrestricted || a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(nc_list_item(a, i), nc_list_item(b, i)) != 0)
            return false;
    return true;
}

/* Word iteration over a command entry: words are separated by single spaces. */
static size_t word_end(const char *s, size_t i)
{
    while (s[i] != '\0' && s[i] != ' ')
        i++;
    return i;
}

static bool word_eq(const char *w, size_t len, const char *arg)
{
    return strlen(arg) == len && memcmp(w, arg, len) == 0;
}

static const char *basename_of(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash != NULL ? slash + 1 : s;
}

/* The words of `prefix` are the first words of `entry`. */
static bool words_prefix(const char *prefix, const char *entry)
{
    size_t n = strlen(prefix);
    return strncmp(prefix, entry, n) == 0 && (entry[n] == '\0' || entry[n] == ' ');
}

static bool domain_suffix_of(const char *suffix, const char *host)
{
    size_t sl = strlen(suffix), hl = strlen(host);
    if (hl <= sl + 1)
        return false;
    if (host[hl - sl - 1] != '.')
        return false;
    for (size_t i = 0; i < sl; i++)
        if (lower(host[hl - sl + i]) != suffix[i])
            return false;
    return true;
}

static bool domain_eq(const char *entry, const char *host)
{
    size_t n = strlen(entry);
    if (strlen(host) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(host[i]) != entry[i])
            return false;
    return true;
}

/* An entry ending in '/' admits every URL it is a byte prefix of (segments are canonical:
 * check_url refuses '.', '..' and '%'). */
static bool url_prefix_of(const char *entry, const char *url)
{
    size_t n = strlen(entry);
    return n > 0 && entry[n - 1] == '/' && strncmp(entry, url, n) == 0;
}

static bool covers_one(enum nc_list_kind kind, const char *b, const char *item)
{
    if (strcmp(b, item) == 0)
        return true;
    switch (kind) {
    case NC_LIST_PATHS:
        if (strcmp(b, "**") == 0)
            return true;
        if (!nc_glob_is_literal(item))
            return false;
        /* A literal unanchored item names a component at any depth: only an unanchored entry
         * that matches that component covers every place it can occur. */
        if (nc_glob_is_unanchored(item))
            return nc_glob_is_unanchored(b) && nc_glob_match(b, item);
        /* A literal anchored item admits itself and its descendants; an entry that matches it
         * (or an ancestor) admits all of those. */
        return nc_glob_match(b, item);
    case NC_LIST_COMMANDS:
        return words_prefix(b, item);
    case NC_LIST_DOMAINS:
        if (b[0] == '*' && b[1] == '.') {
            const char *it = item[0] == '*' && item[1] == '.' ? item + 2 : item;
            /* "*.a.example.com" and "a.example.com" both lie under "*.example.com" */
            if (it != item)
                return strcmp(it, b + 2) == 0 || domain_suffix_of(b + 2, it);
            return domain_suffix_of(b + 2, it);
        }
        return false;
    case NC_LIST_URLS:
        return url_prefix_of(b, item);
    }
    return false;
}

bool nc_list_covers(const struct nc_list *l, const char *item)
{
    if (l->unrestricted)
        return true;
    for (size_t i = 0; i < l->count; i++)
        if (covers_one((enum nc_list_kind)l->kind, nc_list_item(l, i), item))
            return true;
    return false;
}

bool nc_allow_leq(const struct nc_list *a, const struct nc_list *b)
{
    if (b->unrestricted)
        return true;
    if (a->unrestricted)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!nc_list_covers(b, nc_list_item(a, i)))
            return false;
    return true;
}

static void copy_list(const struct nc_list *src, struct nc_list *dst)
{
    if (src != dst)
        memcpy(dst, src, sizeof(*dst));
}

int nc_allow_meet(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                  const char **why)
{
    if (a->unrestricted) {
        copy_list(b, out);
        return 0;
    }
    if (b->unrestricted) {
        copy_list(a, out);
        return 0;
    }
    nc_list_init(out, (enum nc_list_kind)a->kind, false);
    for (size_t i = 0; i < a->count; i++)
        if (nc_list_covers(b, nc_list_item(a, i)) && insert(out, nc_list_item(a, i), why) < 0)
            return -1;
    for (size_t i = 0; i < b->count; i++)
        if (nc_list_covers(a, nc_list_item(b, i)) && insert(out, nc_list_item(b, i), why) < 0)
            return -1;
    return 0;
}

int nc_allow_join(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                  const char **why)
{
    if (a->unrestricted || b->unrestricted) {
        nc_list_init(out, (enum nc_list_kind)a->kind, true);
        return 0;
    }
    return nc_deny_meet(a, b, out, why); /* plain union */
}

bool nc_deny_leq(const struct nc_list *a, const struct nc_list *b)
{
    for (size_t i = 0; i < b->count; i++)
        if (!nc_list_has(a, nc_list_item(b, i)))
            return false;
    return true;
}

int nc_deny_meet(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                 const char **why)
{
    nc_list_init(out, (enum nc_list_kind)a->kind, false);
    for (size_t i = 0; i < a->count; i++)
        if (insert(out, nc_list_item(a, i), why) < 0)
            return -1;
    for (size_t i = 0; i < b->count; i++)
        if (insert(out, nc_list_item(b, i), why) < 0)
            return -1;
    return 0;
}

int nc_deny_join(const struct nc_list *a, const struct nc_list *b, struct nc_list *out,
                 const char **why)
{
    nc_list_init(out, (enum nc_list_kind)a->kind, false);
    for (size_t i = 0; i < a->count; i++)
        if (nc_list_has(b, nc_list_item(a, i)) && insert(out, nc_list_item(a, i), why) < 0)
            return -1;
    return 0;
}

int nc_list_match_path(const struct nc_list *l, const char *path)
{
    if (l->unrestricted)
        return NC_LIST_MATCH_ALL;
    for (size_t i = 0; i < l->count; i++)
        if (nc_glob_match(nc_list_item(l, i), path))
            return (int)i;
    return -1;
}

static bool argv_prefix(const char *entry, const char *const *argv, size_t argc)
{
    size_t i = 0, w = 0;
    while (entry[i] != '\0') {
        size_t e = word_end(entry, i);
        if (w >= argc || argv[w] == NULL)
            return false;
        if (w == 0 && memchr(entry, '/', e) == NULL && strchr(argv[0], '/') != NULL)
            return false; /* "git" does not admit "./git" or "/tmp/x/git" */
        if (!word_eq(entry + i, e - i, argv[w]))
            return false;
        w++;
        i = entry[e] == ' ' ? e + 1 : e;
    }
    return w > 0;
}

int nc_list_match_argv_prefix(const struct nc_list *l, const char *const *argv, size_t argc)
{
    if (l->unrestricted)
        return NC_LIST_MATCH_ALL;
    for (size_t i = 0; i < l->count; i++)
        if (argv_prefix(nc_list_item(l, i), argv, argc))
            return (int)i;
    return -1;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Letters and digits after the single '-' of a short-option argument ("-lc" -> 2,
 * "-cimport os" -> 7); 0 when arg is not one ("--x", "-", "x"). */
static size_t short_option_run(const char *arg)
{
    size_t n = 0;
    if (arg[0] != '-' || arg[1] == '-')
        return 0;
    while (is_alnum(arg[1 + n]))
        n++;
    return n;
}

/* Deny-side word match, wider than equality so that other spellings of an option do not
 * slip past the denylist (exact equality let `bash -lc CODE`, `python3 -cCODE`,
 * `node --eval=CODE` and `rm -fr /` through):
 *   "--name" also matches "--name=value";
 *   "-xy" (a short-option cluster) matches any short-option argument whose leading letters
 *   include x and y: "bash -c" denies `bash -lc`, "rm -rf" denies `rm -fr` and `rm -rfv`,
 *   "python3 -c" denies `python3 -Ic` and the attached `python3 -cCODE`. */
static bool deny_word_match(const char *w, size_t len, const char *arg)
{
    if (word_eq(w, len, arg))
        return true;
    if (len > 2 && w[0] == '-' && w[1] == '-')
        return strncmp(arg, w, len) == 0 && arg[len] == '=';
    if (len >= 2 && w[0] == '-' && w[1] != '-') {
        size_t run = short_option_run(arg);
        if (run == 0)
            return false;
        for (size_t k = 1; k < len; k++)
            if (!is_alnum(w[k]) || memchr(arg + 1, w[k], run) == NULL)
                return false;
        return true;
    }
    return false;
}

static bool argv_deny(const char *entry, const char *const *argv, size_t argc)
{
    size_t e0 = word_end(entry, 0);
    bool first_has_slash = memchr(entry, '/', e0) != NULL;

    for (size_t start = 0; start < argc && argv[start] != NULL; start++) {
        const char *cand = first_has_slash ? argv[start] : basename_of(argv[start]);
        if (!word_eq(entry, e0, cand))
            continue;
        /* the remaining words must follow, in order */
        size_t i = entry[e0] == ' ' ? e0 + 1 : e0, a = start + 1;
        while (entry[i] != '\0') {
            size_t e = word_end(entry, i);
            while (a < argc && argv[a] != NULL && !deny_word_match(entry + i, e - i, argv[a]))
                a++;
            if (a >= argc || argv[a] == NULL)
                break;
            a++;
            i = entry[e] == ' ' ? e + 1 : e;
        }
        if (entry[i] == '\0')
            return true;
    }
    return false;
}

int nc_list_match_argv_deny(const struct nc_list *l, const char *const *argv, size_t argc)
{
    if (l->unrestricted)
        return NC_LIST_MATCH_ALL; /* as for paths: an unrestricted denylist denies all */
    for (size_t i = 0; i < l->count; i++)
        if (argv_deny(nc_list_item(l, i), argv, argc))
            return (int)i;
    return -1;
}

int nc_list_match_domain(const struct nc_list *l, const char *host)
{
    if (l->unrestricted)
        return NC_LIST_MATCH_ALL;
    /* Only a well-formed host name can match an entry: the suffix test of "*.example.com"
     * would otherwise admit "evil.com/.example.com" or "evil.com\.example.com" from a sloppy
     * URL parser upstream.  A wildcard is an entry form, never a host. */
    if (host[0] == '*' || check_domain(host) != NULL)
        return -1;
    /* check_domain admits a numeric host only as a dotted quad: an address matches an entry
     * equal to it, never a wildcard (no wildcard entry can end in a number either). */
    bool numeric = numeric_tail(host, strlen(host));
    for (size_t i = 0; i < l->count; i++) {
        const char *e = nc_list_item(l, i);
        if (e[0] == '*' && e[1] == '.' ? !numeric && domain_suffix_of(e + 2, host)
                                       : domain_eq(e, host))
            return (int)i;
    }
    return -1;
}

int nc_list_match_url(const struct nc_list *l, const char *url)
{
    if (l->unrestricted)
        return NC_LIST_MATCH_ALL;
    if (check_url(url) != NULL)
        return -1;
    for (size_t i = 0; i < l->count; i++) {
        const char *e = nc_list_item(l, i);
        if (strcmp(e, url) == 0 || url_prefix_of(e, url))
            return (int)i;
    }
    return -1;
}
