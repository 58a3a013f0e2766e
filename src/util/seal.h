/* SPDX-License-Identifier: Apache-2.0 */
/* Tables of function pointers made read-only once filled: for the libraries nucleus loads
 * with dlopen (OpenSSL in util/ossl.c, libcurl in net/fetch.c), what `-z relro -z now` does
 * for the GOT of a linked library.
 *
 * A table that an attacker with a memory-write bug can overwrite turns that bug into a call of
 * the attacker's choosing at the next TLS handshake or signature.  So each table lives alone in
 * whole pages of static storage (aligned to NC_SEAL_PAGE and padded to a multiple of it, so
 * that no other variable shares a page that must stay writable), is filled once, then
 * nc_seal() makes it read-only before any of its pointers is used.  Static storage rather than
 * an mmap'd page: the address of the table is then a link-time constant, not a pointer that
 * would itself be a writable target. */
#ifndef NC_UTIL_SEAL_H
#define NC_UTIL_SEAL_H

#include "util/err.h"

#include <stddef.h>

/* The largest page size the target's kernels use: the alignment and the size granule of a
 * sealable table.  nc_seal() checks the real page size divides it (fail closed elsewhere). */
#if defined(__x86_64__) || defined(__i386__)
#define NC_SEAL_PAGE 4096
#else
#define NC_SEAL_PAGE 65536 /* arm64, ppc64 and others may run with 16 or 64 KiB pages */
#endif

/* The size of whole pages holding n bytes. */
#define NC_SEAL_SIZE(n) ((((n) + NC_SEAL_PAGE - 1) / NC_SEAL_PAGE) * NC_SEAL_PAGE)

/* Makes [p, p + len) read-only (mprotect PROT_READ).  p must be aligned to NC_SEAL_PAGE and len
 * a non-zero multiple of it; both are also checked against the run-time page size.  Returns 0,
 * or -1 with err (EINVAL for a misplaced table, or mprotect's errno) and the memory as it was:
 * the caller must then not use the table (fail closed). */
int nc_seal(void *p, size_t len, struct nc_err *err);

#endif
