/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL loaded on first use: the table of function pointers and its loader (see ossl.h). */
/* The table itself: the pointers are declared, the names are not redirected here (so that the
 * X-macros below see plain names; ossl.h checks the redirections). */
#define NC_OSSL_TABLE 1
#include "util/ossl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef NC_OSSL_DIRECT
#error "ossl.c defines the table: it is never compiled with NC_OSSL_DIRECT"
#endif

/* dlsym(3) returns function addresses as data pointers; POSIX makes them the same size. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function and data pointers differ");

/* A call before nc_ossl_load() succeeded is a bug of the caller (a command that skips the load
 * but reaches OpenSSL): stop at once and say which function, rather than jump to NULL or limp
 * on.  write(2) and abort(3) only: this may run in any state. */
static _Noreturn void unloaded(const char *name)
{
    static const char pre[] = "nucleus: internal error: OpenSSL function ";
    static const char post[] = " called before nc_ossl_load() succeeded\n";
    (void)!write(STDERR_FILENO, pre, sizeof(pre) - 1);
    (void)!write(STDERR_FILENO, name, strlen(name));
    (void)!write(STDERR_FILENO, post, sizeof(post) - 1);
    abort();
}

/* One stub per function, reached through a cast: never with the function's real arguments,
 * which it ignores before aborting. */
#define NC_OSSL_STUB(f)                                                                        \
    static void stub_##f(void)                                                                 \
    {                                                                                          \
        unloaded(#f);                                                                          \
    }
NC_OSSL_CRYPTO_FUNCS(NC_OSSL_STUB)
NC_OSSL_SSL_FUNCS(NC_OSSL_STUB)

#define NC_OSSL_STUB_INIT(f) .f = (__typeof__(f) *)(void (*)(void))stub_##f,
#define NC_OSSL_STUBS {NC_OSSL_CRYPTO_FUNCS(NC_OSSL_STUB_INIT) NC_OSSL_SSL_FUNCS(NC_OSSL_STUB_INIT)}

/* The table, in pages of its own (the union's type is page-aligned and page-sized): writable
 * until nc_ossl_load() succeeds, read-only from then on.  Ordinary static data, so its address
 * is fixed at link time (no pointer to it that could itself be overwritten). */
union nc_ossl_table nc_ossl = {.fn = NC_OSSL_STUBS};
/* The same stubs, for putting them back if the table cannot be made read-only (read-only
 * themselves: .data.rel.ro, covered by the binary's own RELRO). */
static const struct nc_ossl_fns stubs = NC_OSSL_STUBS;

#define NC_OSSL_NAME(f) #f,
static const char *const crypto_names[] = {NC_OSSL_CRYPTO_FUNCS(NC_OSSL_NAME)};
static const char *const ssl_names[] = {NC_OSSL_SSL_FUNCS(NC_OSSL_NAME)};
#define N_CRYPTO (sizeof(crypto_names) / sizeof(crypto_names[0]))
#define N_SSL (sizeof(ssl_names) / sizeof(ssl_names[0]))

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_rc = -1;
static char load_error[256];

/* Opens a library by soname: the dynamic linker's own search (ld.so.cache, then the default
 * directories), as for a library nucleus were linked with.  RTLD_NOW: a library that lacks a
 * symbol it needs fails here, not in the middle of a handshake. */
static void *open_lib(const char *soname)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *e = dlerror();
        snprintf(load_error, sizeof(load_error), "cannot load OpenSSL: %s",
                 e != NULL ? e : soname);
    }
    return lib;
}

static bool resolve(void *lib, const char *soname, const char *const *names, size_t n,
                    void **found)
{
    for (size_t i = 0; i < n; i++) {
        found[i] = dlsym(lib, names[i]);
        if (found[i] == NULL) {
            snprintf(load_error, sizeof(load_error), "cannot load OpenSSL: %s has no %s", soname,
                     names[i]);
            return false;
        }
    }
    return true;
}

static void load(void)
{
    void *found[N_CRYPTO + N_SSL];
    unsigned long (*version)(void) = NULL;
    size_t k = 0;
    /* The libraries stay loaded for the life of the process, as linked ones would (no dlclose:
     * OpenSSL registers atexit handlers and thread-local state). */
    void *crypto = open_lib(NC_OSSL_CRYPTO_SONAME);
    if (crypto == NULL || !resolve(crypto, NC_OSSL_CRYPTO_SONAME, crypto_names, N_CRYPTO, found))
        return;
    /* The soname promises the 3.x ABI; a library that says otherwise is not used at all (and
     * libssl is not even opened). */
    for (size_t i = 0; i < N_CRYPTO; i++)
        if (strcmp(crypto_names[i], "OpenSSL_version_num") == 0)
            memcpy(&version, &found[i], sizeof(version));
    unsigned long v = version != NULL ? version() : 0;
    if (v < 0x30000000UL) {
        snprintf(load_error, sizeof(load_error),
                 "cannot load OpenSSL: %s is version %#lx; nucleus needs 3.0 or later",
                 NC_OSSL_CRYPTO_SONAME, v);
        return;
    }
    void *ssl = open_lib(NC_OSSL_SSL_SONAME);
    if (ssl == NULL || !resolve(ssl, NC_OSSL_SSL_SONAME, ssl_names, N_SSL, found + N_CRYPTO))
        return;
    /* All or nothing: the table changes only once every function was found. */
#define NC_OSSL_COMMIT(f) memcpy(&nc_ossl.fn.f, &found[k++], sizeof(nc_ossl.fn.f));
    NC_OSSL_CRYPTO_FUNCS(NC_OSSL_COMMIT)
    NC_OSSL_SSL_FUNCS(NC_OSSL_COMMIT)
#undef NC_OSSL_COMMIT
    /* Then read-only, before nc_ossl_load() returns and so before any pointer is used (every
     * caller waits in pthread_once until this function returns): a memory-write bug elsewhere
     * cannot turn the next TLS handshake or signature into a call of the attacker's choosing.
     * If that fails, fail closed: the stubs go back (the page is still writable, since
     * mprotect changed nothing) and the load fails, so the command stops with the reason
     * rather than run with a writable table. */
    struct nc_err e = {0};
    if (nc_seal(&nc_ossl, sizeof(nc_ossl), &e) < 0) {
        memcpy(&nc_ossl.fn, &stubs, sizeof(stubs));
        snprintf(load_error, sizeof(load_error),
                 "cannot make OpenSSL's function table read-only: %.160s", e.msg);
        return;
    }
    load_rc = 0;
}

int nc_ossl_load(struct nc_err *err)
{
    pthread_once(&load_once, load);
    if (load_rc < 0)
        return nc_err_set(err, ENOENT, "%s", load_error[0] != '\0' ? load_error
                                                                   : "cannot load OpenSSL");
    return 0;
}
