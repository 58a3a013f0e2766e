/* SPDX-License-Identifier: Apache-2.0 */
/* The capability lattice and the uninhabitable-state normalizer (see lattice.h). */
#include "lattice.h"

#include <string.h>

static const char *const level_names[NC_LEVEL_COUNT] = {"never", "low_risk", "always"};

static const char *const op_names[NC_OP_COUNT] = {
    "read_files", "write_files", "edit_files", "run_bash",   "glob_search", "grep_search",
    "web_search", "web_fetch",   "git_commit", "git_push",   "create_pr",
};

enum nc_level nc_level_meet(enum nc_level a, enum nc_level b)
{
    return a < b ? a : b;
}

enum nc_level nc_level_join(enum nc_level a, enum nc_level b)
{
    return a < b ? b : a;
}

bool nc_level_leq(enum nc_level a, enum nc_level b)
{
    return a <= b;
}

enum nc_level nc_level_implies(enum nc_level a, enum nc_level b)
{
    return a <= b ? NC_ALWAYS : b;
}

bool nc_level_valid(int v)
{
    return v >= (int)NC_NEVER && v <= (int)NC_ALWAYS;
}

void nc_caps_fill(struct nc_caps *c, enum nc_level l)
{
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant \forall integer j; 0 <= j < i ==> c->level[j] == (uint8_t)l;
        loop assigns i, c->level[0 .. NC_OP_COUNT - 1];
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        c->level[i] = (uint8_t)l;
}

void nc_caps_meet(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out)
{
    /* out may alias a or b: position i is read before it is written, and only once. */
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant done: \forall integer j; 0 <= j < i ==>
            out->level[j] == \min(\at(a->level[j], Pre), \at(b->level[j], Pre));
        loop invariant rest_a: \forall integer j; i <= j < NC_OP_COUNT ==>
            a->level[j] == \at(a->level[j], Pre);
        loop invariant rest_b: \forall integer j; i <= j < NC_OP_COUNT ==>
            b->level[j] == \at(b->level[j], Pre);
        loop assigns i, out->level[0 .. NC_OP_COUNT - 1];
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out->level[i] = (uint8_t)nc_level_meet((enum nc_level)a->level[i], (enum nc_level)b->level[i]);
}

void nc_caps_join(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out)
{
    /* out may alias a or b: position i is read before it is written, and only once. */
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant done: \forall integer j; 0 <= j < i ==>
            out->level[j] == \max(\at(a->level[j], Pre), \at(b->level[j], Pre));
        loop invariant rest_a: \forall integer j; i <= j < NC_OP_COUNT ==>
            a->level[j] == \at(a->level[j], Pre);
        loop invariant rest_b: \forall integer j; i <= j < NC_OP_COUNT ==>
            b->level[j] == \at(b->level[j], Pre);
        loop assigns i, out->level[0 .. NC_OP_COUNT - 1];
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out->level[i] = (uint8_t)nc_level_join((enum nc_level)a->level[i], (enum nc_level)b->level[i]);
}

void nc_caps_implies(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out)
{
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant done: \forall integer j; 0 <= j < i ==> out->level[j] ==
            (\at(a->level[j], Pre) <= \at(b->level[j], Pre) ? NC_ALWAYS : \at(b->level[j], Pre));
        loop invariant rest_a: \forall integer j; i <= j < NC_OP_COUNT ==>
            a->level[j] == \at(a->level[j], Pre);
        loop invariant rest_b: \forall integer j; i <= j < NC_OP_COUNT ==>
            b->level[j] == \at(b->level[j], Pre);
        loop assigns i, out->level[0 .. NC_OP_COUNT - 1];
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out->level[i] =
            (uint8_t)nc_level_implies((enum nc_level)a->level[i], (enum nc_level)b->level[i]);
}

bool nc_caps_leq(const struct nc_caps *a, const struct nc_caps *b)
{
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant \forall integer j; 0 <= j < i ==> a->level[j] <= b->level[j];
        loop assigns i;
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (a->level[i] > b->level[i])
            return false;
    return true;
}

bool nc_caps_eq(const struct nc_caps *a, const struct nc_caps *b)
{
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant \forall integer j; 0 <= j < i ==> a->level[j] == b->level[j];
        loop assigns i;
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (a->level[i] != b->level[i])
            return false;
    return true;
}

bool nc_caps_valid(const struct nc_caps *c)
{
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant \forall integer j; 0 <= j < i ==> c->level[j] <= NC_ALWAYS;
        loop assigns i;
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (c->level[i] > (uint8_t)NC_ALWAYS)
            return false;
    return true;
}

nc_opset nc_caps_enabled(const struct nc_caps *c)
{
    nc_opset s = 0;
    /*@ loop invariant 0 <= i <= NC_OP_COUNT;
        loop invariant low: \forall integer j; 0 <= j < i ==> NC_ACSL_EN_BIT(s, c, j);
        loop invariant high: \forall integer j; i <= j < 16 ==> !NC_ACSL_BIT(s, j);
        loop assigns i, s;
        loop variant NC_OP_COUNT - i; */
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (c->level[i] >= (uint8_t)NC_LOW_RISK)
            s = (nc_opset)(s | NC_OPSET_BIT(i));
    return s;
}

nc_opset nc_oblig_meet(nc_opset a, nc_opset b)
{
    return (nc_opset)((a | b) & NC_OPSET_ALL);
}

nc_opset nc_oblig_join(nc_opset a, nc_opset b)
{
    return (nc_opset)(a & b & NC_OPSET_ALL);
}

bool nc_oblig_leq(nc_opset a, nc_opset b)
{
    /* a is at most b when a demands every approval b demands. */
    return (nc_opset)(b & (nc_opset)~a) == 0;
}

unsigned nc_uninhabitable_legs(nc_opset enabled)
{
    /* Each leg is a mask test; these steps state it bit by bit (proofs/README.md). */
    //@ assert private_0: (enabled & NC_OPSET_PRIVATE) == 0 ==> !NC_ACSL_LEG_PRIVATE(enabled);
    //@ assert private_1: !NC_ACSL_LEG_PRIVATE(enabled) ==> (enabled & NC_OPSET_PRIVATE) == 0;
    //@ assert untrusted_0: (enabled & NC_OPSET_UNTRUSTED) == 0 ==> !NC_ACSL_LEG_UNTRUSTED(enabled);
    //@ assert untrusted_1: !NC_ACSL_LEG_UNTRUSTED(enabled) ==> (enabled & NC_OPSET_UNTRUSTED) == 0;
    //@ assert exfil_0: (enabled & NC_OPSET_EXFIL) == 0 ==> !NC_ACSL_LEG_EXFIL(enabled);
    //@ assert exfil_1: !NC_ACSL_LEG_EXFIL(enabled) ==> (enabled & NC_OPSET_EXFIL) == 0;
    return (unsigned)((enabled & NC_OPSET_PRIVATE) != 0) +
           (unsigned)((enabled & NC_OPSET_UNTRUSTED) != 0) +
           (unsigned)((enabled & NC_OPSET_EXFIL) != 0);
}

bool nc_uninhabitable(nc_opset enabled)
{
    return nc_uninhabitable_legs(enabled) == 3;
}

nc_opset nc_uninhabitable_gates(const struct nc_caps *c)
{
    nc_opset enabled = nc_caps_enabled(c);
    if (!nc_uninhabitable(enabled))
        return 0;
    return (nc_opset)(enabled & NC_OPSET_EXFIL);
}

nc_opset nc_normalize_oblig(const struct nc_caps *c, nc_opset oblig)
{
    return (nc_opset)((oblig | nc_uninhabitable_gates(c)) & NC_OPSET_ALL);
}

bool nc_is_safe(const struct nc_caps *c, nc_opset oblig)
{
    nc_opset g = nc_uninhabitable_gates(c);
    return (nc_opset)(g & (nc_opset)~oblig) == 0;
}

const char *nc_level_name(enum nc_level l)
{
    if ((unsigned)l >= NC_LEVEL_COUNT)
        return "invalid";
    return level_names[l];
}

const char *nc_op_name(enum nc_op op)
{
    if ((unsigned)op >= NC_OP_COUNT)
        return "invalid";
    return op_names[op];
}

int nc_level_parse(const char *s, enum nc_level *out)
{
    for (unsigned i = 0; i < NC_LEVEL_COUNT; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum nc_level)i;
            return 0;
        }
    }
    return -1;
}

int nc_op_parse(const char *s, enum nc_op *out)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++) {
        if (strcmp(s, op_names[i]) == 0) {
            *out = (enum nc_op)i;
            return 0;
        }
    }
    return -1;
}
