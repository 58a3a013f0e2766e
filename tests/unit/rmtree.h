/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: removes a temporary directory tree the test created (depth first, symlinks
 * removed, never followed).  Header-only, so every unit test can include it. */
#ifndef NC_TEST_RMTREE_H
#define NC_TEST_RMTREE_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int nc_test_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

/* 0 when the whole tree is gone (or was never there), -1 otherwise. */
static inline int nc_test_rm_tree(const char *dir)
{
    return nftw(dir, nc_test_rm_one, 32, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT ? 0 : -1;
}

#endif
