/* SPDX-License-Identifier: Apache-2.0 */
/* Stand-ins for libcrypto.so.3, to test how nc_ossl_load() refuses a library it cannot use
 * (ossl.sh puts one first on LD_LIBRARY_PATH under the soname).  Built twice:
 *   FAKE_OLD: every function nucleus resolves is present (each aborts if called), and
 *     OpenSSL_version_num says 1.1.1: the loader must refuse the version;
 *   otherwise: only OpenSSL_version_num (3.0): the loader must name the first missing function.
 * The names come from the loader's own list (util/ossl_list.h), so the two cannot drift. */
#include "util/ossl_list.h"

#include <stdlib.h>

#ifdef FAKE_OLD
#define OpenSSL_version_num fake_version_num_listed
#define FAKE_FUNC(f)                                                                           \
    void f(void);                                                                              \
    void f(void)                                                                               \
    {                                                                                          \
        abort();                                                                               \
    }
NC_OSSL_CRYPTO_FUNCS(FAKE_FUNC)
#undef OpenSSL_version_num
#define FAKE_VERSION 0x1010117fUL
#else
#define FAKE_VERSION 0x30000000UL
#endif

unsigned long OpenSSL_version_num(void);
unsigned long OpenSSL_version_num(void)
{
    return FAKE_VERSION;
}
