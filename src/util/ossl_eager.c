/* SPDX-License-Identifier: Apache-2.0 */
/* Loads OpenSSL before main() in the test and fuzz programs, which call the identity, audit and
 * approval code directly, without nucleus's main() and its nc_ossl_load() (ossl.h).  Never
 * linked into nucleus: there, each command decides (src/cli/main.c). */
#include "util/ossl.h"

#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void eager_load(void)
{
    struct nc_err err = {0};
    if (nc_ossl_load(&err) < 0) {
        fprintf(stderr, "ossl_eager: %s\n", err.msg);
        abort();
    }
}
