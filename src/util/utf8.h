/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 checks and lossy repair, so that command output and file contents can travel in JSON
 * strings (which must be valid UTF-8) without losing the valid parts. */
#ifndef NC_UTIL_UTF8_H
#define NC_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s[0..len) does not start one
 * (overlong forms, surrogates, code points above U+10FFFF, truncated sequences, len 0). */
size_t nc_utf8_seq(const unsigned char *s, size_t len);
bool nc_utf8_valid(const char *s, size_t len);
/* A new NUL-terminated copy of s[0..len) in which every byte that does not start a valid
 * sequence (and every NUL) is replaced by U+FFFD.  *outlen gets its length.  NULL on ENOMEM. */
char *nc_utf8_lossy(const char *s, size_t len, size_t *outlen);

#endif
