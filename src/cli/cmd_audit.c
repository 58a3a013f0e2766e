/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus audit verify|show: check the integrity of an audit log, or render it for people. */
#include "common.h"

#include "audit/audit.h"
#include "util/cleanup.h"
#include "util/file.h"
#include "util/ossl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: nucleus audit verify [--key FILE] [--open] [--json] LOG\n"
    "       nucleus audit show [--json] LOG\n"
    "\n"
    "verify recomputes the SHA-256 chain of an audit log (JSON Lines) and reports the first\n"
    "problem: a modified, deleted, inserted or reordered record, a gap in seq, malformed JSON,\n"
    "a duplicate key, a torn last line, or a log that does not end with its closing checkpoint\n"
    "(tail truncation).  With --key it also checks every checkpoint's HMAC-SHA256; without it,\n"
    "an attacker who rewrites the whole tail consistently is not detected (see docs/audit.md).\n"
    "\n"
    "  --key FILE   the checkpoint key: 32 raw bytes, or 64 hex digits (a newline may follow)\n"
    "  --open       the log may still be open: a missing closing checkpoint is not a problem\n"
    "  --json       machine-readable result\n"
    "\n"
    "show renders each record as time, seq, principal, operation, outcome and reason (colour on\n"
    "a terminal).  It does not verify; control characters in records are escaped.\n"
    "\n"
    "  --json       the records as a JSON array\n"
    "\n"
    "Exit codes: 0 intact (verify) or rendered (show), 1 verification failed,\n"
    "2 usage error or unreadable log or key.\n";

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads a key file: exactly 32 bytes (raw), or 64 hex digits followed by optional whitespace. */
static int load_key(const char *path, uint8_t key[NC_AUDIT_KEY_LEN])
{
    struct nc_err err = {0};
    size_t len = 0;
    _cleanup_free_ char *buf = nc_read_file(path, 256, &len, &err);
    int rc = -1;

    if (buf == NULL) {
        nc_cli_error("cannot read key file: %s", err.msg);
        return -1;
    }
    if (len == NC_AUDIT_KEY_LEN) {
        memcpy(key, buf, NC_AUDIT_KEY_LEN);
        rc = 0;
    } else {
        while (len > 0 && strchr(" \t\r\n", buf[len - 1]) != NULL)
            len--;
        if (len == (size_t)2 * NC_AUDIT_KEY_LEN) {
            rc = 0;
            for (size_t i = 0; i < NC_AUDIT_KEY_LEN; i++) {
                int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                    rc = -1;
                    break;
                }
                key[i] = (uint8_t)(hi * 16 + lo);
            }
        }
    }
    OPENSSL_cleanse(buf, len);
    if (rc < 0)
        nc_cli_error("key file must hold %d raw bytes or %d hex digits", NC_AUDIT_KEY_LEN,
                     2 * NC_AUDIT_KEY_LEN);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    const char *keyfile = NULL, *log = NULL;
    bool json = false;
    unsigned flags = 0;
    uint8_t key[NC_AUDIT_KEY_LEN];
    struct nc_audit_report rep;
    struct nc_err err = {0};
    int rc;

    for (int i = 1; i < argc; i++) {
        if (nc_cli_is_help(argv[i])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--open") == 0)
            flags |= NC_AUDIT_VERIFY_OPEN;
        else if (strcmp(argv[i], "--key") == 0) {
            if (++i >= argc)
                return nc_cli_usage("audit verify", "--key needs a file");
            keyfile = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return nc_cli_usage("audit verify", "unknown option '%s'", argv[i]);
        else if (log != NULL)
            return nc_cli_usage("audit verify", "one log at a time");
        else
            log = argv[i];
    }
    if (log == NULL)
        return nc_cli_usage("audit verify", "which log?");
    if (keyfile != NULL && load_key(keyfile, key) < 0)
        return NC_EXIT_USAGE;

    rc = nc_audit_verify_file(log, keyfile != NULL ? key : NULL, sizeof(key), flags, &rep, &err);
    OPENSSL_cleanse(key, sizeof(key));
    if (rc < 0) {
        nc_cli_error("%s: %s", log, err.msg);
        return NC_EXIT_USAGE;
    }
    if (json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:b, s:b, s:s}", "ok", rc == 0, "records",
                              (json_int_t)rep.records, "checkpoints", (json_int_t)rep.checkpoints,
                              "last_seq", (json_int_t)rep.last_seq, "closed", rep.closed,
                              "macs_checked", rep.macs_checked, "last_hash", rep.last_hash);
        if (o != NULL && rc > 0)
            json_object_set_new(o, "problem",
                                json_pack("{s:s, s:I, s:I, s:s}", "kind",
                                          nc_audit_problem_name(rep.problem), "line",
                                          (json_int_t)rep.line, "seq", (json_int_t)rep.seq,
                                          "message", rep.message));
        int prc = nc_cli_print_json(o);
        return prc != NC_EXIT_OK ? prc : rc == 0 ? NC_EXIT_OK : NC_EXIT_FAIL;
    }
    const char *red = nc_cli_sgr(stdout, "\033[31m"), *green = nc_cli_sgr(stdout, "\033[32m"),
               *off = nc_cli_sgr(stdout, "\033[0m");
    if (rc > 0) {
        printf("%sFAILED%s: %s\n", red, off, rep.message);
        printf("(%llu records before it verified)\n", (unsigned long long)rep.records);
        return NC_EXIT_FAIL;
    }
    printf("%sOK%s: %llu records, %llu checkpoints, last seq %llu%s\n", green, off,
           (unsigned long long)rep.records, (unsigned long long)rep.checkpoints,
           (unsigned long long)rep.last_seq, rep.closed ? ", closed" : ", still open");
    printf("%s\n", rep.macs_checked ? "checkpoint MACs verified with the key"
                                    : "checkpoint MACs NOT checked (no --key): a consistent "
                                      "rewrite of the tail would not be detected");
    return NC_EXIT_OK;
}

/* Writes s with control characters escaped: a tampered log must not drive the terminal. */
static void put_safe(const char *s, int width)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            printf("\\x%02x", *p);
            n += 4;
        } else {
            putchar(*p);
            if ((*p & 0xc0) != 0x80)
                n++;
        }
    }
    for (; n < width; n++)
        putchar(' ');
}

static const char *str_field(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL && s[0] != '\0' ? s : "-";
}

static const char *outcome_colour(const char *outcome)
{
    if (strcmp(outcome, "allowed") == 0 || strcmp(outcome, "approved") == 0)
        return "\033[32m";
    if (strcmp(outcome, "needs_approval") == 0)
        return "\033[33m";
    if (strcmp(outcome, "info") == 0)
        return "\033[36m";
    return "\033[31m";
}

static void show_record(const json_t *o, unsigned long long line)
{
    const char *dim = nc_cli_sgr(stdout, "\033[2m"), *off = nc_cli_sgr(stdout, "\033[0m");
    const json_t *seq = json_object_get(o, "seq");
    const char *type = str_field(o, "type");

    put_safe(str_field(o, "ts_wall"), 24);
    if (json_is_integer(seq))
        printf("  #%-6lld ", (long long)json_integer_value(seq));
    else
        printf("  line %-4llu ", line);
    if (strcmp(type, "checkpoint") == 0) {
        const json_t *count = json_object_get(o, "count");
        printf("%s-- checkpoint (%lld records%s)%s\n", dim,
               json_is_integer(count) ? (long long)json_integer_value(count) : -1LL,
               json_is_true(json_object_get(o, "closed")) ? ", log closed" : "", off);
        return;
    }
    const char *outcome = str_field(o, "outcome");
    put_safe(str_field(o, "principal"), 0);
    putchar(' ');
    put_safe(str_field(o, "operation"), 0);
    printf(" %s", nc_cli_sgr(stdout, outcome_colour(outcome)));
    put_safe(outcome, 0);
    printf("%s", off);
    const char *reason = json_string_value(json_object_get(o, "reason"));
    if (reason != NULL && reason[0] != '\0') {
        fputs(" : ", stdout);
        put_safe(reason, 0);
    }
    putchar('\n');
}

static int cmd_show(int argc, char **argv)
{
    const char *log = NULL;
    bool json = false;
    _cleanup_fclose_ FILE *f = NULL;
    _cleanup_free_ char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long line = 0;
    json_t *arr = NULL;

    for (int i = 1; i < argc; i++) {
        if (nc_cli_is_help(argv[i])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return nc_cli_usage("audit show", "unknown option '%s'", argv[i]);
        else if (log != NULL)
            return nc_cli_usage("audit show", "one log at a time");
        else
            log = argv[i];
    }
    if (log == NULL)
        return nc_cli_usage("audit show", "which log?");
    f = fopen(log, "re");
    if (f == NULL) {
        nc_cli_error("%s: %s", log, strerror(errno));
        return NC_EXIT_USAGE;
    }
    if (json && (arr = json_array()) == NULL) {
        nc_cli_error("out of memory");
        return NC_EXIT_USAGE;
    }
    while ((n = getline(&buf, &cap, f)) > 0) {
        line++;
        size_t len = (size_t)n;
        if (buf[len - 1] == '\n')
            len--;
        json_t *o = len <= NC_AUDIT_LINE_MAX ? json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL)
                                             : NULL;
        if (!json_is_object(o)) {
            json_decref(o);
            if (json)
                json_array_append_new(arr, json_pack("{s:I, s:b}", "line", (json_int_t)line,
                                                     "malformed", 1));
            else
                printf("line %llu: malformed record (run 'nucleus audit verify')\n", line);
            continue;
        }
        if (json)
            json_array_append_new(arr, o);
        else {
            show_record(o, line);
            json_decref(o);
        }
    }
    if (ferror(f)) {
        json_decref(arr);
        nc_cli_error("%s: read error", log);
        return NC_EXIT_USAGE;
    }
    return json ? nc_cli_print_json(arr) : NC_EXIT_OK;
}

int nc_cmd_audit(int argc, char **argv)
{
    if (argc < 2)
        return nc_cli_usage("audit", "verify or show?");
    if (nc_cli_is_help(argv[1])) {
        fputs(help, stdout);
        return NC_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return cmd_show(argc - 1, argv + 1);
    return nc_cli_usage("audit", "unknown subcommand '%s'", argv[1]);
}
