/* SPDX-License-Identifier: Apache-2.0 */
/* Error sanitization: host paths never reach a client.  Pure. */
#ifndef NC_CORE_SANITIZE_H
#define NC_CORE_SANITIZE_H

#include <stddef.h>

/* Copies msg into out (always NUL-terminated when outsz > 0) with:
 *   the sandbox root (and anything beneath it)  -> "[sandbox]" + the part beneath it
 *   the home directory (and anything beneath it) -> "[home]" + the part beneath it
 *   any other absolute path                      -> "[path]"
 * A root or home only matches at a path boundary: with root /var/sb, "/var/sbx/f" is another
 * absolute path and becomes "[path]", never "[sandbox]x/f".  sandbox_root and home may be NULL
 * or empty (then only the generic rule applies).  Returns the length of the full result (like
 * snprintf); a result >= outsz was truncated. */
size_t nc_sanitize(const char *msg, const char *sandbox_root, const char *home, char *out,
                   size_t outsz);

#endif
