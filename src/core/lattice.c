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
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        c->level[i] = (uint8_t)l;
}

void nc_caps_meet(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out->level[i] = (uint8_t)nc_level_meet((enum nc_level)a->level[i], (enum nc_level)b->level[i]);
}

void nc_caps_join(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out->level[i] = (uint8_t)nc_level_join((enum nc_level)a->level[i], (enum nc_level)b->level[i]);
}

void nc_caps_implies(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        out->level[i] =
            (uint8_t)nc_level_implies((enum nc_level)a->level[i], (enum nc_level)b->level[i]);
}

bool nc_caps_leq(const struct nc_caps *a, const struct nc_caps *b)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (a->level[i] > b->level[i])
            return false;
    return true;
}

bool nc_caps_eq(const struct nc_caps *a, const struct nc_caps *b)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (a->level[i] != b->level[i])
            return false;
    return true;
}

bool nc_caps_valid(const struct nc_caps *c)
{
    for (unsigned i = 0; i < NC_OP_COUNT; i++)
        if (c->level[i] > (uint8_t)NC_ALWAYS)
            return false;
    return true;
}

nc_opset nc_caps_enabled(const struct nc_caps *c)
{
    nc_opset s = 0;
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
