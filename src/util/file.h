/* SPDX-License-Identifier: Apache-2.0 */
/* Reading small files whole, with a size cap. */
#ifndef NC_UTIL_FILE_H
#define NC_UTIL_FILE_H

#include "err.h"

#include <stddef.h>

/* Reads the regular file at path (at most max bytes) into a new NUL-terminated buffer.
 * Returns the buffer (free() it) and sets *len, or NULL with err filled: ENOENT, EISDIR,
 * EFBIG (larger than max), ... */
char *nc_read_file(const char *path, size_t max, size_t *len, struct nc_err *err);

#endif
