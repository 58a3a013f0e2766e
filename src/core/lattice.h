/* SPDX-License-Identifier: Apache-2.0 */
/* The capability lattice: 11 dimensions of three ordered levels, obligation sets, and the
 * uninhabitable-state rule with its normalizer.  Pure: no allocation, no system calls. */
#ifndef NC_CORE_LATTICE_H
#define NC_CORE_LATTICE_H

#include <stdbool.h>
#include <stdint.h>

/* Levels are totally ordered: Never < LowRisk < Always.  "Autonomous" means >= LowRisk. */
enum nc_level {
    NC_NEVER = 0,
    NC_LOW_RISK = 1,
    NC_ALWAYS = 2,
};
#define NC_LEVEL_COUNT 3

/* The 11 capability dimensions.  The order is the bit order of nc_opset and the order in which
 * every rendering lists them; never reorder. */
enum nc_op {
    NC_OP_READ_FILES = 0,
    NC_OP_WRITE_FILES,
    NC_OP_EDIT_FILES,
    NC_OP_RUN_BASH,
    NC_OP_GLOB_SEARCH,
    NC_OP_GREP_SEARCH,
    NC_OP_WEB_SEARCH,
    NC_OP_WEB_FETCH,
    NC_OP_GIT_COMMIT,
    NC_OP_GIT_PUSH,
    NC_OP_CREATE_PR,
};
#define NC_OP_COUNT 11

/* A set of operations, bit i = operation i.  Only the low NC_OP_COUNT bits are ever set. */
typedef uint16_t nc_opset;
#define NC_OPSET_ALL ((nc_opset)((1u << NC_OP_COUNT) - 1u))
#define NC_OPSET_BIT(op) ((nc_opset)(1u << (unsigned)(op)))

/* The three legs of the uninhabitable state. */
#define NC_OPSET_PRIVATE                                                                     \
    ((nc_opset)(NC_OPSET_BIT(NC_OP_READ_FILES) | NC_OPSET_BIT(NC_OP_GLOB_SEARCH) |          \
                NC_OPSET_BIT(NC_OP_GREP_SEARCH)))
#define NC_OPSET_UNTRUSTED                                                                   \
    ((nc_opset)(NC_OPSET_BIT(NC_OP_WEB_SEARCH) | NC_OPSET_BIT(NC_OP_WEB_FETCH)))
#define NC_OPSET_EXFIL                                                                       \
    ((nc_opset)(NC_OPSET_BIT(NC_OP_RUN_BASH) | NC_OPSET_BIT(NC_OP_GIT_PUSH) |               \
                NC_OPSET_BIT(NC_OP_CREATE_PR)))

struct nc_caps {
    uint8_t level[NC_OP_COUNT]; /* each an enum nc_level */
};

#ifdef __FRAMAC__
/* ---- ACSL vocabulary for the contracts below (Frama-C only; see proofs/README.md) ----------
 * Opsets are specified bit by bit with the bit positions spelled out, so that WP's simplifier
 * works on concrete positions and the provers never have to reason about a symbolic bit. */
#define NC_ACSL_BIT(s, k) (((s) & (1 << (k))) != 0)
#define NC_ACSL_OPS(M, ...)                                                                  \
    (M(__VA_ARGS__, 0) && M(__VA_ARGS__, 1) && M(__VA_ARGS__, 2) && M(__VA_ARGS__, 3) &&     \
     M(__VA_ARGS__, 4) && M(__VA_ARGS__, 5) && M(__VA_ARGS__, 6) && M(__VA_ARGS__, 7) &&     \
     M(__VA_ARGS__, 8) && M(__VA_ARGS__, 9) && M(__VA_ARGS__, 10))
#define NC_ACSL_BITS16(M, ...)                                                               \
    (NC_ACSL_OPS(M, __VA_ARGS__) && M(__VA_ARGS__, 11) && M(__VA_ARGS__, 12) &&             \
     M(__VA_ARGS__, 13) && M(__VA_ARGS__, 14) && M(__VA_ARGS__, 15))
/* Only the low NC_OP_COUNT bits are set. */
#define NC_ACSL_OPSET_OK(s)                                                                  \
    (!NC_ACSL_BIT(s, 11) && !NC_ACSL_BIT(s, 12) && !NC_ACSL_BIT(s, 13) &&                   \
     !NC_ACSL_BIT(s, 14) && !NC_ACSL_BIT(s, 15))
#define NC_ACSL_SUB1(x, y, k) (NC_ACSL_BIT(x, k) ==> NC_ACSL_BIT(y, k))
#define NC_ACSL_SUBSET(x, y) NC_ACSL_BITS16(NC_ACSL_SUB1, x, y) /* x is a subset of y */
#define NC_ACSL_LEVEL_OK(l) (NC_NEVER <= (l) && (l) <= NC_ALWAYS)
/* Operation k is enabled (at least LowRisk) in the caps c. */
#define NC_ACSL_EN(c, k) ((c)->level[k] >= NC_LOW_RISK)
#define NC_ACSL_EN_BIT(s, c, k) (NC_ACSL_BIT(s, k) <==> NC_ACSL_EN(c, k))
/* The three legs, over an opset e and over caps c. */
#define NC_ACSL_LEG_PRIVATE(e)                                                               \
    (NC_ACSL_BIT(e, NC_OP_READ_FILES) || NC_ACSL_BIT(e, NC_OP_GLOB_SEARCH) ||                \
     NC_ACSL_BIT(e, NC_OP_GREP_SEARCH))
#define NC_ACSL_LEG_UNTRUSTED(e)                                                             \
    (NC_ACSL_BIT(e, NC_OP_WEB_SEARCH) || NC_ACSL_BIT(e, NC_OP_WEB_FETCH))
#define NC_ACSL_LEG_EXFIL(e)                                                                 \
    (NC_ACSL_BIT(e, NC_OP_RUN_BASH) || NC_ACSL_BIT(e, NC_OP_GIT_PUSH) ||                     \
     NC_ACSL_BIT(e, NC_OP_CREATE_PR))
#define NC_ACSL_UNINHABITABLE(e)                                                             \
    (NC_ACSL_LEG_PRIVATE(e) && NC_ACSL_LEG_UNTRUSTED(e) && NC_ACSL_LEG_EXFIL(e))
#define NC_ACSL_CAPS_PRIVATE(c)                                                              \
    (NC_ACSL_EN(c, NC_OP_READ_FILES) || NC_ACSL_EN(c, NC_OP_GLOB_SEARCH) ||                  \
     NC_ACSL_EN(c, NC_OP_GREP_SEARCH))
#define NC_ACSL_CAPS_UNTRUSTED(c)                                                            \
    (NC_ACSL_EN(c, NC_OP_WEB_SEARCH) || NC_ACSL_EN(c, NC_OP_WEB_FETCH))
#define NC_ACSL_CAPS_EXFIL(c)                                                                \
    (NC_ACSL_EN(c, NC_OP_RUN_BASH) || NC_ACSL_EN(c, NC_OP_GIT_PUSH) ||                       \
     NC_ACSL_EN(c, NC_OP_CREATE_PR))
#define NC_ACSL_CAPS_UNINHABITABLE(c)                                                        \
    (NC_ACSL_CAPS_PRIVATE(c) && NC_ACSL_CAPS_UNTRUSTED(c) && NC_ACSL_CAPS_EXFIL(c))
/* Operation k is gated by the uninhabitable-state rule in the caps c. */
#define NC_ACSL_GATED(c, k)                                                                  \
    (NC_ACSL_CAPS_UNINHABITABLE(c) && NC_ACSL_EN(c, k) && NC_ACSL_BIT(NC_OPSET_EXFIL, k))
#define NC_ACSL_GATE_BIT(s, c, k) (NC_ACSL_BIT(s, k) <==> NC_ACSL_GATED(c, k))
#define NC_ACSL_NORM_BIT(s, c, o, k)                                                         \
    (NC_ACSL_BIT(s, k) <==> (NC_ACSL_BIT(o, k) || NC_ACSL_GATED(c, k)))
#define NC_ACSL_SAFE_BIT(c, o, k) (NC_ACSL_GATED(c, k) ==> NC_ACSL_BIT(o, k))
/*@ predicate nc_caps_ok{L}(struct nc_caps *c) =
        \forall integer i; 0 <= i < NC_OP_COUNT ==> c->level[i] <= NC_ALWAYS;
 */
#endif

/* Level order. */
/*@ assigns \nothing;
    ensures \result == \min(a, b); */
enum nc_level nc_level_meet(enum nc_level a, enum nc_level b);
/*@ assigns \nothing;
    ensures \result == \max(a, b); */
enum nc_level nc_level_join(enum nc_level a, enum nc_level b);
/*@ assigns \nothing;
    ensures \result <==> a <= b; */
bool nc_level_leq(enum nc_level a, enum nc_level b);
/* Heyting implication on the 3-chain: Always when a <= b, otherwise b. */
/*@ assigns \nothing;
    ensures \result == (a <= b ? NC_ALWAYS : b); */
enum nc_level nc_level_implies(enum nc_level a, enum nc_level b);
/*@ assigns \nothing;
    ensures \result <==> NC_ACSL_LEVEL_OK(v); */
bool nc_level_valid(int v);

/* Product lattice, pointwise.  Out-parameters may alias inputs. */
/*@ requires \valid(c);
    assigns c->level[0 .. NC_OP_COUNT - 1];
    ensures \forall integer i; 0 <= i < NC_OP_COUNT ==> c->level[i] == (uint8_t)l; */
void nc_caps_fill(struct nc_caps *c, enum nc_level l);
/*@ requires \valid_read(a) && \valid_read(b) && \valid(out);
    requires out == a || \separated(out, a);
    requires out == b || \separated(out, b);
    assigns out->level[0 .. NC_OP_COUNT - 1];
    ensures \forall integer i; 0 <= i < NC_OP_COUNT ==>
        out->level[i] == \min(\old(a->level[i]), \old(b->level[i])); */
void nc_caps_meet(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out);
/*@ requires \valid_read(a) && \valid_read(b) && \valid(out);
    requires out == a || \separated(out, a);
    requires out == b || \separated(out, b);
    assigns out->level[0 .. NC_OP_COUNT - 1];
    ensures \forall integer i; 0 <= i < NC_OP_COUNT ==>
        out->level[i] == \max(\old(a->level[i]), \old(b->level[i])); */
void nc_caps_join(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out);
/*@ requires \valid_read(a) && \valid_read(b) && \valid(out);
    requires out == a || \separated(out, a);
    requires out == b || \separated(out, b);
    assigns out->level[0 .. NC_OP_COUNT - 1];
    ensures \forall integer i; 0 <= i < NC_OP_COUNT ==>
        out->level[i] ==
            (\old(a->level[i]) <= \old(b->level[i]) ? NC_ALWAYS : \old(b->level[i])); */
void nc_caps_implies(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out);
/*@ requires \valid_read(a) && \valid_read(b);
    assigns \nothing;
    ensures \result <==>
        (\forall integer i; 0 <= i < NC_OP_COUNT ==> a->level[i] <= b->level[i]); */
bool nc_caps_leq(const struct nc_caps *a, const struct nc_caps *b);
/*@ requires \valid_read(a) && \valid_read(b);
    assigns \nothing;
    ensures \result <==>
        (\forall integer i; 0 <= i < NC_OP_COUNT ==> a->level[i] == b->level[i]); */
bool nc_caps_eq(const struct nc_caps *a, const struct nc_caps *b);
/*@ requires \valid_read(c);
    assigns \nothing;
    ensures \result <==> nc_caps_ok(c); */
bool nc_caps_valid(const struct nc_caps *c);
/* The operations whose level is at least LowRisk. */
/*@ requires \valid_read(c);
    assigns \nothing;
    ensures enabled: NC_ACSL_OPS(NC_ACSL_EN_BIT, \result, c);
    ensures only_ops: NC_ACSL_OPSET_OK(\result); */
nc_opset nc_caps_enabled(const struct nc_caps *c);

/* Obligations (operations that need approval) are ordered in reverse: more obligations is
 * tighter, so meet is union and leq is superset. */
/*@ assigns \nothing;
    ensures \result == ((a | b) & NC_OPSET_ALL); */
nc_opset nc_oblig_meet(nc_opset a, nc_opset b);
/*@ assigns \nothing;
    ensures \result == (a & b & NC_OPSET_ALL); */
nc_opset nc_oblig_join(nc_opset a, nc_opset b);
/*@ assigns \nothing;
    ensures \result <==> NC_ACSL_SUBSET(b, a); */
bool nc_oblig_leq(nc_opset a, nc_opset b);

/* The uninhabitable state over an enabled-operation set: private, untrusted and exfiltration
 * legs are all present.  nc_uninhabitable_gates returns the exfiltration operations that the
 * rule gates (empty when the state is not complete). */
/*@ assigns \nothing;
    ensures \result <==> NC_ACSL_UNINHABITABLE(enabled); */
bool nc_uninhabitable(nc_opset enabled);
/*@ assigns \nothing;
    ensures \result == (NC_ACSL_LEG_PRIVATE(enabled) ? 1 : 0) +
                       (NC_ACSL_LEG_UNTRUSTED(enabled) ? 1 : 0) +
                       (NC_ACSL_LEG_EXFIL(enabled) ? 1 : 0); */
unsigned nc_uninhabitable_legs(nc_opset enabled); /* 0..3 */
/*@ requires \valid_read(c);
    assigns \nothing;
    ensures gates: NC_ACSL_OPS(NC_ACSL_GATE_BIT, \result, c);
    ensures only_ops: NC_ACSL_OPSET_OK(\result); */
nc_opset nc_uninhabitable_gates(const struct nc_caps *c);

/* The normalizer nu on (caps, obligations): obligations |= gates(caps).  Idempotent and
 * deflationary; NOT monotone (see docs/design/0002-normalizer.md). */
/*@ requires \valid_read(c);
    assigns \nothing;
    ensures normalized: NC_ACSL_OPS(NC_ACSL_NORM_BIT, \result, c, oblig);
    ensures only_ops: NC_ACSL_OPSET_OK(\result); */
nc_opset nc_normalize_oblig(const struct nc_caps *c, nc_opset oblig);
/* A fixed point of nu ("safe"): every gated operation is already obligated. */
/*@ requires \valid_read(c);
    assigns \nothing;
    ensures \result <==> NC_ACSL_OPS(NC_ACSL_SAFE_BIT, c, oblig); */
bool nc_is_safe(const struct nc_caps *c, nc_opset oblig);

const char *nc_level_name(enum nc_level l);
const char *nc_op_name(enum nc_op op);
/* Returns 0 and sets *out on a known name, -1 otherwise.  Names are the snake_case forms. */
int nc_level_parse(const char *s, enum nc_level *out);
int nc_op_parse(const char *s, enum nc_op *out);

#endif
