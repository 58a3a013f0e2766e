/* SPDX-License-Identifier: Apache-2.0 */
/* The local authority: the registry, key and audit log of this process. */
#include "proxy/authority.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t now_s(void)
{
    return (uint64_t)time(NULL);
}

static int local_audit(void *ctx, const struct nc_audit_event *ev, struct nc_err *err)
{
    struct nc_authority_local *l = ctx;
    return nc_audit_append(l->audit, ev, err) < 0 ? -1 : 0;
}

static int local_park(void *ctx, enum nc_op op, const uint8_t digest[NC_APPROVAL_DIGEST_LEN],
                      const char *summary, uint64_t lapse_s, char id[NC_APPROVAL_ID_LEN + 1],
                      struct nc_err *err)
{
    struct nc_authority_local *l = ctx;
    return nc_approval_park(l->reg, l->pod_id, op, digest, summary, now_s(), lapse_s, id, err);
}

static int local_decision(void *ctx, const char *id, enum nc_approval_state *state,
                          char *token, size_t tokensz, struct nc_err *err)
{
    struct nc_authority_local *l = ctx;
    return nc_approval_decision(l->reg, id, now_s(), state, token, tokensz, err);
}

static enum nc_approval_verdict local_consume(void *ctx, const char *token, enum nc_op op,
                                              const uint8_t digest[NC_APPROVAL_DIGEST_LEN])
{
    struct nc_authority_local *l = ctx;
    return nc_approval_consume(l->reg, &l->key, token, strlen(token), l->pod_id, op, digest,
                               now_s());
}

static int local_spawn(void *ctx, const struct nc_spawn_opts *o, struct nc_spawn_result *r,
                       struct nc_err *err)
{
    (void)ctx;
    return nc_spawn_in_pod(o, r, err);
}

void nc_authority_local(struct nc_authority *a, struct nc_authority_local *l,
                        struct nc_approval_registry *reg, const struct nc_approval_key *key,
                        const char *pod_id, struct nc_audit *audit)
{
    l->reg = reg;
    l->key = *key;
    snprintf(l->pod_id, sizeof(l->pod_id), "%s", pod_id);
    l->audit = audit;
    a->ctx = l;
    a->audit = local_audit;
    a->park = local_park;
    a->decision = local_decision;
    a->consume = local_consume;
    a->spawn = local_spawn;
}

int nc_state_key(const char *state, const char *name, uint8_t out[NC_APPROVAL_KEY_LEN],
                 struct nc_err *err)
{
    char path[4096];
    struct nc_approval_key k;
    int rc = 0;
    if (snprintf(path, sizeof(path), "%s/%s", state, name) >= (int)sizeof(path))
        return nc_err_set(err, ENAMETOOLONG, "state directory name too long");
    if (nc_approval_key_load(path, &k, err) < 0) {
        if (err->code != ENOENT)
            return -1;
        if (nc_approval_key_generate(&k, err) < 0)
            return -1;
        if (nc_approval_key_save(path, &k, err) < 0) {
            /* another process may have created it in between */
            if (err->code != EEXIST || nc_approval_key_load(path, &k, err) < 0)
                rc = -1;
        }
    }
    if (rc == 0)
        memcpy(out, k.bytes, NC_APPROVAL_KEY_LEN);
    nc_approval_key_wipe(&k);
    return rc;
}
