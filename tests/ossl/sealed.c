/* SPDX-License-Identifier: Apache-2.0 */
/* The tables of function pointers that nucleus fills with dlsym (OpenSSL: util/ossl.c,
 * libcurl: net/fetch.c) are read-only once loaded, like the GOT of a library linked with
 * `-z relro -z now` (util/seal.h, docs/design/0013-lazy-openssl.md).  Checked from both sides:
 *   - the kernel's view: the permissions of the table's pages in /proc/self/maps, writable
 *     before the load (so the probe can tell) and read-only after it;
 *   - the attacker's: a plain store into the loaded table, in a child, must die of SIGSEGV,
 *     and a read(2) into it must fail with EFAULT (the kernel will not write it either);
 *   - the tables still work after sealing (SHA-256 of "abc", RAND_bytes; a fetch);
 *   - fail closed: with mprotect made to fail on the table's address (a seccomp filter, in a
 *     child), the load fails with a message saying so and the table cannot be used: OpenSSL's
 *     holds the stubs again (a call aborts), libcurl's is cleared and every fetch fails.
 * TAP output.  Linked with the table itself, not with ossl_eager (the load is the test's). */
#include "net/fetch.h"
#include "util/ossl.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int n_case;
static int n_failed;

static void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    printf("%sok %d - ", cond ? "" : "not ", ++n_case);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    if (!cond)
        n_failed++;
}

static void skip(const char *what, const char *why)
{
    printf("ok %d - %s # SKIP %s\n", ++n_case, what, why);
    fflush(stdout);
}

/* The permissions /proc/self/maps gives the page holding addr ("rw-p", "r--p"...), or "" if
 * no mapping holds it. */
static void perms_of(uintptr_t addr, char out[5])
{
    char line[512];
    out[0] = '\0';
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        /* "lo-hi perms offset dev inode path", lo and hi in hex */
        char *end;
        uintptr_t lo = (uintptr_t)strtoull(line, &end, 16), hi;
        if (*end != '-')
            continue;
        hi = (uintptr_t)strtoull(end + 1, &end, 16);
        if (*end != ' ' || strlen(end + 1) < 4 || addr < lo || addr >= hi)
            continue;
        memcpy(out, end + 1, 4);
        out[4] = '\0';
        break;
    }
    fclose(f);
}

/* Every page of [p, p + len) readable, and writable or not as asked. */
static bool pages_are(const void *p, size_t len, bool writable, char bad[5])
{
    long page = sysconf(_SC_PAGESIZE);
    for (uintptr_t a = (uintptr_t)p; a < (uintptr_t)p + len; a += (uintptr_t)page) {
        perms_of(a, bad);
        if (bad[0] != 'r' || (bad[1] == 'w') != writable)
            return false;
    }
    return true;
}

static bool whole_pages(const void *p, size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 && (uintptr_t)p % (uintptr_t)page == 0 && len > 0 &&
           len % (size_t)page == 0;
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(const void *), const void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return st;
}

static void describe(int st, char *buf, size_t n)
{
    if (st < 0)
        snprintf(buf, n, "fork/wait failed");
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, n, "exit %d", WEXITSTATUS(st));
}

/* The attacker's store: one pointer of the table replaced.  ASan (and UBSan) catch SIGSEGV to
 * print a report and exit 1; the default action is what must happen here. */
static void store_into(const void *table)
{
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    void *volatile *slot = (void *volatile *)(uintptr_t)table;
    *slot = (void *)(uintptr_t)0x41414141;
    _exit(0); /* the store went through */
}

/* The kernel's copy to the table (read(2) from a pipe): EFAULT when read-only.  The bytes
 * written are those already there, so a writable table is left as it was. */
static void read_into(const void *table)
{
    int fds[2];
    if (pipe(fds) < 0)
        _exit(3);
    if (write(fds[1], table, sizeof(void *)) != (ssize_t)sizeof(void *))
        _exit(3);
    ssize_t n = read(fds[0], (void *)(uintptr_t)table, sizeof(void *));
    _exit(n < 0 && errno == EFAULT ? 0 : 1);
}

/* A seccomp filter under which mprotect(2) of the page at `addr` fails with EPERM (and
 * everything else is allowed): the one way to see the loaders' failure path.  Exit 77 if the
 * filter cannot be installed. */
static void deny_mprotect_of(const void *addr)
{
    /* All fields named: SCMP_A0() leaves datum_b to the compiler (clang warns). */
    struct scmp_arg_cmp cmp = {.arg = 0, .op = SCMP_CMP_EQ,
                               .datum_a = (scmp_datum_t)(uintptr_t)addr, .datum_b = 0};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mprotect), 1, &cmp) < 0 ||
        seccomp_load(ctx) < 0)
        _exit(77);
    seccomp_release(ctx);
}

/* Fail closed, OpenSSL: the load fails and says why, the table is still writable (mprotect
 * did nothing) but holds the stubs, so a call aborts (SIGABRT is the expected end). */
static void ossl_seal_denied(const void *unused)
{
    (void)unused;
    struct nc_err err = {0};
    unsigned char b[4];
    char p[5];
    deny_mprotect_of(&nc_ossl);
    if (nc_ossl_load(&err) == 0) {
        fprintf(stderr, "# nc_ossl_load succeeded although mprotect failed\n");
        _exit(1);
    }
    fprintf(stderr, "# nc_ossl_load: %s\n", err.msg);
    if (strstr(err.msg, "cannot make OpenSSL's function table read-only") == NULL ||
        strstr(err.msg, "Operation not permitted") == NULL)
        _exit(2);
    if (nc_ossl_load(&err) == 0) /* and it stays failed */
        _exit(4);
    if (!pages_are(&nc_ossl, sizeof(nc_ossl), true, p))
        _exit(5);
    (void)RAND_bytes(b, (int)sizeof(b)); /* must abort in its stub */
    _exit(3);
}

/* Fail closed, libcurl: every fetch fails with the reason, and the table holds no pointer. */
static void curl_seal_denied(const void *unused)
{
    (void)unused;
    size_t len;
    const unsigned char *t = nc_fetch_curl_table(&len);
    struct nc_fetch_opts o = {0};
    struct nc_fetch_result r;
    struct nc_err err = {0};
    deny_mprotect_of(t);
    for (int i = 0; i < 2; i++) {
        if (nc_fetch("gopher://example.com/", &o, &r, &err) == 0) {
            fprintf(stderr, "# nc_fetch went on although mprotect failed\n");
            nc_fetch_result_free(&r);
            _exit(1);
        }
        fprintf(stderr, "# nc_fetch: %s\n", err.msg);
        if (strstr(err.msg, "cannot make libcurl's function table read-only") == NULL)
            _exit(2);
    }
    for (size_t i = 0; i < len; i++)
        if (t[i] != 0)
            _exit(4);
    _exit(0);
}

static void check_sealed(const char *name, const void *table, size_t len)
{
    char p[5], how[64];
    int st;
    ok(pages_are(table, len, false, p), "%s: the table's pages are read-only after the load (%s)",
       name, p);
    st = in_child(store_into, table);
    describe(st, how, sizeof(how));
    ok(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
       "%s: a store into the loaded table faults (child: %s)", name, how);
    st = in_child(read_into, table);
    describe(st, how, sizeof(how));
    ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
       "%s: read(2) into the loaded table fails with EFAULT (child: %s)", name, how);
}

static void test_openssl(void)
{
    char p[5], how[64];
    struct nc_err err = {0};
    int st;

    ok(whole_pages(&nc_ossl, sizeof(nc_ossl)),
       "OpenSSL: the table fills whole pages of its own (%p, %zu bytes)", (void *)&nc_ossl,
       sizeof(nc_ossl));
    ok(pages_are(&nc_ossl, sizeof(nc_ossl), true, p),
       "OpenSSL: before the load the table is writable (%s): the probe can tell", p);

    st = in_child(ossl_seal_denied, NULL);
    describe(st, how, sizeof(how));
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 77)
        skip("OpenSSL: mprotect refused: the load fails and the stubs stay",
             "cannot install a seccomp filter here");
    else
        ok(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
           "OpenSSL: mprotect refused: the load fails, saying so, and a call aborts in its "
           "stub (child: %s)", how);

    if (nc_ossl_load(&err) < 0) {
        ok(false, "OpenSSL: nc_ossl_load: %s", err.msg);
        return;
    }
    ok(true, "OpenSSL: nc_ossl_load succeeded");
    check_sealed("OpenSSL", &nc_ossl, sizeof(nc_ossl));

    static const unsigned char abc_sha256[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    unsigned char md[32], rnd[16];
    ok(SHA256((const unsigned char *)"abc", 3, md) != NULL && memcmp(md, abc_sha256, 32) == 0 &&
           RAND_bytes(rnd, (int)sizeof(rnd)) == 1,
       "OpenSSL: calls through the sealed table work (SHA-256 of \"abc\", RAND_bytes)");
}

static void test_curl(void)
{
    char p[5], how[64];
    size_t len;
    const void *t = nc_fetch_curl_table(&len);
    struct nc_fetch_opts o = {0};
    struct nc_fetch_result r;
    struct nc_err err = {0};
    int st;

    ok(whole_pages(t, len), "libcurl: the table fills whole pages of its own (%p, %zu bytes)", t,
       len);
    ok(pages_are(t, len, true, p), "libcurl: before the first fetch the table is writable (%s)",
       p);

    st = in_child(curl_seal_denied, NULL);
    describe(st, how, sizeof(how));
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 77)
        skip("libcurl: mprotect refused: every fetch fails and the table is cleared",
             "cannot install a seccomp filter here");
    else
        ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "libcurl: mprotect refused: every fetch fails, saying so, and the table is cleared "
           "(child: %s)", how);

    /* An unacceptable URL: libcurl is loaded (and curl_global_init called through the sealed
     * table), then the URL is refused before any connection. */
    if (nc_fetch("gopher://example.com/", &o, &r, &err) < 0) {
        if (strstr(err.msg, "libcurl.so") != NULL) {
            skip("libcurl: the table is read-only after the first fetch", err.msg);
            return;
        }
        ok(false, "libcurl: nc_fetch: %s", err.msg);
        return;
    }
    ok(r.kind != NULL && strcmp(r.kind, "invalid_url") == 0,
       "libcurl: the first fetch loaded libcurl and ran (%s)", r.kind != NULL ? r.kind : "no error");
    nc_fetch_result_free(&r);
    check_sealed("libcurl", t, len);
}

int main(void)
{
    test_openssl();
    test_curl();
    printf("1..%d\n", n_case);
    return n_failed == 0 ? 0 : 1;
}
