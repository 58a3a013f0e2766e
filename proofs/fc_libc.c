/* SPDX-License-Identifier: Apache-2.0 */
/* C definitions, for EVA, of the libc functions that src/core/ calls and that Frama-C 25's
 * libc only specifies (its share/libc/string.c defines the others and is analysed too).  EVA
 * interprets a specification much less precisely than code: with only the spec, strpbrk
 * returns "NULL or some pointer into s", which is enough to raise a false alarm at the
 * caller.  These are the textbook definitions (C11 7.24.5.4); scripts/proofs.sh adds this file
 * to the EVA run only. */
#include <string.h>

char *strpbrk(const char *s, const char *accept)
{
    for (; *s != '\0'; s++)
        for (const char *a = accept; *a != '\0'; a++)
            if (*s == *a)
                return (char *)s;
    return NULL;
}
