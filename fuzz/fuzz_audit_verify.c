/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the audit verifier on arbitrary bytes, with and without the key.  It must never
 * crash or leak, must fill a consistent report, and the two runs must agree on everything the
 * key does not decide (a keyed run may stop earlier, at a bad MAC, never later).  The seeds'
 * checkpoints are signed with the key below, so mutations reach the MAC path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static const uint8_t key[NC_AUDIT_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static void check_report(const struct nc_audit_report *r, int rc)
{
    CHECK(rc == 0 || rc == 1);
    CHECK((rc == 0) == (r->problem == NC_AUDIT_OK));
    CHECK(memchr(r->message, '\0', sizeof(r->message)) != NULL);
    CHECK(strlen(r->last_hash) == 64);
    CHECK(r->checkpoints <= r->records);
    CHECK(r->records == 0 || r->last_seq >= r->records);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nc_audit_report with, without, open;
    struct nc_err err = {0};
    int rk, rn, ro;

    /* An exact-size heap copy: ASan sees any read past the end (no NUL terminator either). */
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    rk = nc_audit_verify_buf(buf, size, key, sizeof(key), 0, &with, &err);
    rn = nc_audit_verify_buf(buf, size, NULL, 0, 0, &without, &err);
    ro = nc_audit_verify_buf(buf, size, NULL, 0, NC_AUDIT_VERIFY_OPEN, &open, &err);
    check_report(&with, rk);
    check_report(&without, rn);
    check_report(&open, ro);
    CHECK(with.macs_checked && !without.macs_checked);
    /* The key only adds checks: it accepts a subset. */
    if (rk == 0)
        CHECK(rn == 0 && without.records == with.records &&
              strcmp(without.last_hash, with.last_hash) == 0);
    if (with.problem != NC_AUDIT_P_MAC) {
        CHECK(with.problem == without.problem && with.line == without.line);
        CHECK(strcmp(with.message, without.message) == 0);
    } else {
        CHECK(with.records <= without.records);
    }
    /* --open forgives only the missing closing checkpoint and an empty log. */
    if (rn == 0)
        CHECK(ro == 0);
    if (ro == 0 && rn == 1)
        CHECK(without.problem == NC_AUDIT_P_TRUNCATED || without.problem == NC_AUDIT_P_EMPTY);
    free(buf);
    return 0;
}
