/* SPDX-License-Identifier: Apache-2.0 */
/* Calls an OpenSSL function through the table without nc_ossl_load(), as a command left out of
 * the load by mistake would: it must abort naming the function (ossl.sh), not call NULL. */
#include "util/ossl.h"

#include <stdio.h>

int main(void)
{
    unsigned char buf[8];
    int rc = RAND_bytes(buf, (int)sizeof(buf));
    printf("RAND_bytes returned %d: the stub did not stop the call\n", rc);
    return 0;
}
