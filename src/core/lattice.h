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

/* Level order. */
enum nc_level nc_level_meet(enum nc_level a, enum nc_level b);
enum nc_level nc_level_join(enum nc_level a, enum nc_level b);
bool nc_level_leq(enum nc_level a, enum nc_level b);
/* Heyting implication on the 3-chain: Always when a <= b, otherwise b. */
enum nc_level nc_level_implies(enum nc_level a, enum nc_level b);
bool nc_level_valid(int v);

/* Product lattice, pointwise.  Out-parameters may alias inputs. */
void nc_caps_fill(struct nc_caps *c, enum nc_level l);
void nc_caps_meet(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out);
void nc_caps_join(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out);
void nc_caps_implies(const struct nc_caps *a, const struct nc_caps *b, struct nc_caps *out);
bool nc_caps_leq(const struct nc_caps *a, const struct nc_caps *b);
bool nc_caps_eq(const struct nc_caps *a, const struct nc_caps *b);
bool nc_caps_valid(const struct nc_caps *c);
/* The operations whose level is at least LowRisk. */
nc_opset nc_caps_enabled(const struct nc_caps *c);

/* Obligations (operations that need approval) are ordered in reverse: more obligations is
 * tighter, so meet is union and leq is superset. */
nc_opset nc_oblig_meet(nc_opset a, nc_opset b);
nc_opset nc_oblig_join(nc_opset a, nc_opset b);
bool nc_oblig_leq(nc_opset a, nc_opset b);

/* The uninhabitable state over an enabled-operation set: private, untrusted and exfiltration
 * legs are all present.  nc_uninhabitable_gates returns the exfiltration operations that the
 * rule gates (empty when the state is not complete). */
bool nc_uninhabitable(nc_opset enabled);
unsigned nc_uninhabitable_legs(nc_opset enabled); /* 0..3 */
nc_opset nc_uninhabitable_gates(const struct nc_caps *c);

/* The normalizer nu on (caps, obligations): obligations |= gates(caps).  Idempotent and
 * deflationary; NOT monotone (see docs/design/0002-normalizer.md). */
nc_opset nc_normalize_oblig(const struct nc_caps *c, nc_opset oblig);
/* A fixed point of nu ("safe"): every gated operation is already obligated. */
bool nc_is_safe(const struct nc_caps *c, nc_opset oblig);

const char *nc_level_name(enum nc_level l);
const char *nc_op_name(enum nc_op op);
/* Returns 0 and sets *out on a known name, -1 otherwise.  Names are the snake_case forms. */
int nc_level_parse(const char *s, enum nc_level *out);
int nc_op_parse(const char *s, enum nc_op *out);

#endif
