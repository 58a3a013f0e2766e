/* SPDX-License-Identifier: Apache-2.0 */
/* WP harness: the lattice laws of src/core/lattice.c, stated as ACSL assertions over calls to
 * the real functions.  Each function below is a theorem: WP proves every `assert` from the
 * contracts in lattice.h, and proves those contracts against the code in lattice.c.  Nothing
 * here is assumed (no `admit`, no axioms); the only hypotheses are the `requires` clauses,
 * which say that levels and opsets are well formed.  Run by scripts/proofs.sh; see
 * proofs/README.md for the list of laws and for the law that does NOT hold (monotonicity of
 * the normalizer). */
#include "core/lattice.h"

#include <stdbool.h>

/* Bitwise extensionality for opsets.  An equality between two results the provers only know
 * bit by bit is decomposed by WP's "Bitwise Eq." tactic (-wp-auto wp:bitwised), which applies
 * to an equation with a bitwise operator on one side; masking an nc_opset with 0xFFFF changes
 * nothing and supplies that operator.  The `..._bits` assertions below are these steps; the
 * assertion after each one is the law. */

/* ---- the 3-chain Never < LowRisk < Always ------------------------------------------------ */

/*@ requires NC_ACSL_LEVEL_OK(a) && NC_ACSL_LEVEL_OK(b) && NC_ACSL_LEVEL_OK(c); */
void law_level_lattice(enum nc_level a, enum nc_level b, enum nc_level c)
{
    enum nc_level mab = nc_level_meet(a, b), mba = nc_level_meet(b, a);
    enum nc_level jab = nc_level_join(a, b), jba = nc_level_join(b, a);
    //@ assert meet_commutative: mab == mba;
    //@ assert join_commutative: jab == jba;

    enum nc_level m1 = nc_level_meet(a, nc_level_meet(b, c));
    enum nc_level m2 = nc_level_meet(nc_level_meet(a, b), c);
    enum nc_level j1 = nc_level_join(a, nc_level_join(b, c));
    enum nc_level j2 = nc_level_join(nc_level_join(a, b), c);
    //@ assert meet_associative: m1 == m2;
    //@ assert join_associative: j1 == j2;

    enum nc_level maa = nc_level_meet(a, a), jaa = nc_level_join(a, a);
    //@ assert meet_idempotent: maa == a;
    //@ assert join_idempotent: jaa == a;

    enum nc_level abs1 = nc_level_meet(a, nc_level_join(a, b));
    enum nc_level abs2 = nc_level_join(a, nc_level_meet(a, b));
    //@ assert absorption_meet_join: abs1 == a;
    //@ assert absorption_join_meet: abs2 == a;

    enum nc_level d1 = nc_level_meet(a, nc_level_join(b, c));
    enum nc_level d2 = nc_level_join(nc_level_meet(a, b), nc_level_meet(a, c));
    enum nc_level d3 = nc_level_join(a, nc_level_meet(b, c));
    enum nc_level d4 = nc_level_meet(nc_level_join(a, b), nc_level_join(a, c));
    //@ assert distributive_meet_over_join: d1 == d2;
    //@ assert distributive_join_over_meet: d3 == d4;

    enum nc_level bot = nc_level_meet(NC_NEVER, a), top = nc_level_join(NC_ALWAYS, a);
    enum nc_level unit_m = nc_level_meet(NC_ALWAYS, a), unit_j = nc_level_join(NC_NEVER, a);
    //@ assert bounded: bot == NC_NEVER && top == NC_ALWAYS;
    //@ assert units: unit_m == a && unit_j == a;
    //@ assert closed: NC_ACSL_LEVEL_OK(mab) && NC_ACSL_LEVEL_OK(jab);
}

/*@ requires NC_ACSL_LEVEL_OK(a) && NC_ACSL_LEVEL_OK(b) && NC_ACSL_LEVEL_OK(c); */
void law_level_order(enum nc_level a, enum nc_level b, enum nc_level c)
{
    bool ab = nc_level_leq(a, b), ba = nc_level_leq(b, a), bc = nc_level_leq(b, c);
    bool ac = nc_level_leq(a, c), aa = nc_level_leq(a, a);
    //@ assert leq_reflexive: aa;
    //@ assert leq_antisymmetric: ab && ba ==> a == b;
    //@ assert leq_transitive: ab && bc ==> ac;
    //@ assert leq_total: ab || ba;

    enum nc_level m = nc_level_meet(a, b), j = nc_level_join(a, b);
    //@ assert leq_iff_meet: ab <==> m == a;
    //@ assert leq_iff_join: ab <==> j == b;
    bool ma = nc_level_leq(m, a), mb = nc_level_leq(m, b), cm = nc_level_leq(c, m);
    bool ca = nc_level_leq(c, a), cb = nc_level_leq(c, b);
    //@ assert meet_is_lower_bound: ma && mb;
    //@ assert meet_is_greatest: ca && cb ==> cm;
    bool aj = nc_level_leq(a, j), bj = nc_level_leq(b, j), jc = nc_level_leq(j, c);
    bool bc2 = nc_level_leq(b, c);
    //@ assert join_is_upper_bound: aj && bj;
    //@ assert join_is_least: ac && bc2 ==> jc;
}

/*@ requires NC_ACSL_LEVEL_OK(a) && NC_ACSL_LEVEL_OK(b) && NC_ACSL_LEVEL_OK(c); */
void law_level_heyting(enum nc_level a, enum nc_level b, enum nc_level c)
{
    /* The residuation (Heyting adjunction): meet(c, a) <= b  iff  c <= (a -> b). */
    bool lhs = nc_level_leq(nc_level_meet(c, a), b);
    bool rhs = nc_level_leq(c, nc_level_implies(a, b));
    //@ assert heyting_adjunction: lhs <==> rhs;

    enum nc_level aa = nc_level_implies(a, a);
    enum nc_level ta = nc_level_implies(NC_ALWAYS, a);
    enum nc_level na = nc_level_implies(NC_NEVER, a);
    //@ assert implies_self: aa == NC_ALWAYS;
    //@ assert implies_from_top: ta == a;
    //@ assert implies_from_bottom: na == NC_ALWAYS;

    /* modus ponens: meet(a, a -> b) <= b */
    bool mp = nc_level_leq(nc_level_meet(a, nc_level_implies(a, b)), b);
    //@ assert modus_ponens: mp;
    enum nc_level ab = nc_level_implies(a, b);
    //@ assert implies_closed: NC_ACSL_LEVEL_OK(ab);
}

void law_level_valid(int v)
{
    bool ok = nc_level_valid(v);
    //@ assert valid_iff_level: ok <==> (v == NC_NEVER || v == NC_LOW_RISK || v == NC_ALWAYS);
}

/* ---- the product lattice of 11 dimensions ------------------------------------------------- */

/* One theorem per function keeps each prover context small. */
/* The inputs are passed by value: WP then knows they are distinct from each other and from
 * the locals without separation hypotheses. */
#define CAPS2 struct nc_caps a_, struct nc_caps b_
#define CAPS3 struct nc_caps a_, struct nc_caps b_, struct nc_caps c_
#define INPUTS2 const struct nc_caps *a = &a_, *b = &b_
#define INPUTS3 const struct nc_caps *a = &a_, *b = &b_, *c = &c_

void law_caps_commutative(CAPS2)
{
    INPUTS2;
    struct nc_caps x, y;
    nc_caps_meet(a, b, &x);
    nc_caps_meet(b, a, &y);
    bool e1 = nc_caps_eq(&x, &y);
    //@ assert meet_commutative: e1;
    nc_caps_join(a, b, &x);
    nc_caps_join(b, a, &y);
    bool e2 = nc_caps_eq(&x, &y);
    //@ assert join_commutative: e2;
}

void law_caps_idempotent(struct nc_caps a_)
{
    const struct nc_caps *a = &a_;
    struct nc_caps x, y;
    nc_caps_meet(a, a, &x);
    nc_caps_join(a, a, &y);
    bool e1 = nc_caps_eq(&x, a), e2 = nc_caps_eq(&y, a);
    //@ assert meet_idempotent: e1;
    //@ assert join_idempotent: e2;
}

void law_caps_absorption(CAPS2)
{
    INPUTS2;
    struct nc_caps x, y;
    nc_caps_join(a, b, &x);
    nc_caps_meet(a, &x, &y);
    bool e1 = nc_caps_eq(&y, a);
    //@ assert absorption_meet_join: e1;
    nc_caps_meet(a, b, &x);
    nc_caps_join(a, &x, &y);
    bool e2 = nc_caps_eq(&y, a);
    //@ assert absorption_join_meet: e2;
}

void law_caps_meet_associative(CAPS3)
{
    INPUTS3;
    struct nc_caps x, y, z, w;
    nc_caps_meet(b, c, &x);
    nc_caps_meet(a, &x, &y);
    /*@ assert left: \forall integer i; 0 <= i < NC_OP_COUNT ==>
            y.level[i] == \min(a->level[i], \min(b->level[i], c->level[i])); */
    nc_caps_meet(a, b, &z);
    nc_caps_meet(&z, c, &w);
    /*@ assert right: \forall integer i; 0 <= i < NC_OP_COUNT ==>
            w.level[i] == \min(\min(a->level[i], b->level[i]), c->level[i]); */
    bool e = nc_caps_eq(&y, &w);
    //@ assert meet_associative: e;
}

void law_caps_join_associative(CAPS3)
{
    INPUTS3;
    struct nc_caps x, y, z, w;
    nc_caps_join(b, c, &x);
    nc_caps_join(a, &x, &y);
    /*@ assert left: \forall integer i; 0 <= i < NC_OP_COUNT ==>
            y.level[i] == \max(a->level[i], \max(b->level[i], c->level[i])); */
    nc_caps_join(a, b, &z);
    nc_caps_join(&z, c, &w);
    /*@ assert right: \forall integer i; 0 <= i < NC_OP_COUNT ==>
            w.level[i] == \max(\max(a->level[i], b->level[i]), c->level[i]); */
    bool e = nc_caps_eq(&y, &w);
    //@ assert join_associative: e;
}

void law_caps_distributive(CAPS3)
{
    INPUTS3;
    struct nc_caps x, y, z, w, v;
    nc_caps_join(b, c, &x);
    nc_caps_meet(a, &x, &y);
    /*@ assert left: \forall integer i; 0 <= i < NC_OP_COUNT ==>
            y.level[i] == \min(a->level[i], \max(b->level[i], c->level[i])); */
    nc_caps_meet(a, b, &z);
    nc_caps_meet(a, c, &w);
    nc_caps_join(&z, &w, &v);
    /*@ assert right: \forall integer i; 0 <= i < NC_OP_COUNT ==>
            v.level[i] == \max(\min(a->level[i], b->level[i]), \min(a->level[i], c->level[i])); */
    bool e = nc_caps_eq(&y, &v);
    //@ assert distributive: e;
}

/*@ requires nc_caps_ok(&a_) && nc_caps_ok(&b_); */
void law_caps_closed(CAPS2)
{
    INPUTS2;
    struct nc_caps m, j;
    nc_caps_meet(a, b, &m);
    nc_caps_join(a, b, &j);
    bool ok1 = nc_caps_valid(&m), ok2 = nc_caps_valid(&j);
    //@ assert meet_closed: ok1;
    //@ assert join_closed: ok2;
}

void law_caps_order(CAPS3)
{
    INPUTS3;
    struct nc_caps m, j;
    nc_caps_meet(a, b, &m);
    bool ma = nc_caps_leq(&m, a), mb = nc_caps_leq(&m, b), cm = nc_caps_leq(c, &m);
    bool ca = nc_caps_leq(c, a), cb = nc_caps_leq(c, b);
    //@ assert meet_is_lower_bound: ma && mb;
    //@ assert meet_is_greatest: ca && cb ==> cm;

    nc_caps_join(a, b, &j);
    bool aj = nc_caps_leq(a, &j), bj = nc_caps_leq(b, &j), jc = nc_caps_leq(&j, c);
    bool ac = nc_caps_leq(a, c), bc = nc_caps_leq(b, c);
    //@ assert join_is_upper_bound: aj && bj;
    //@ assert join_is_least: ac && bc ==> jc;

    bool ab = nc_caps_leq(a, b), ba = nc_caps_leq(b, a), aa = nc_caps_leq(a, a);
    bool eqab = nc_caps_eq(a, b), mea = nc_caps_eq(&m, a);
    //@ assert leq_reflexive: aa;
    //@ assert leq_antisymmetric: ab && ba ==> eqab;
    //@ assert leq_iff_meet: ab <==> mea;
    bool bc2 = nc_caps_leq(b, c);
    //@ assert leq_transitive: ab && bc2 ==> ac;
}

/*@ requires nc_caps_ok(&a_) && nc_caps_ok(&b_) && nc_caps_ok(&c_); */
void law_caps_heyting(CAPS3)
{
    INPUTS3;
    struct nc_caps ca, ab;
    nc_caps_meet(c, a, &ca);
    nc_caps_implies(a, b, &ab);
    bool lhs = nc_caps_leq(&ca, b), rhs = nc_caps_leq(c, &ab);
    //@ assert heyting_adjunction: lhs <==> rhs;
}

void law_caps_in_place(CAPS2)
{
    struct nc_caps *a = &a_;
    const struct nc_caps *b = &b_;
    /* The out-parameter may alias an input (lattice.h). */
    struct nc_caps m;
    nc_caps_meet(a, b, &m);
    nc_caps_meet(a, b, a);
    bool e = nc_caps_eq(a, &m);
    //@ assert in_place_meet: e;
}

void law_caps_enabled(CAPS2)
{
    INPUTS2;
    /* The enabled set of a meet is the intersection of the enabled sets. */
    struct nc_caps m;
    nc_caps_meet(a, b, &m);
    nc_opset em = nc_caps_enabled(&m), ea = nc_caps_enabled(a), eb = nc_caps_enabled(b);
    //@ assert enabled_meet_bits: (em & 0xFFFF) == (nc_opset)(ea & eb);
    //@ assert enabled_meet: em == (ea & eb);
}

/* ---- obligations: sets ordered by reverse inclusion ---------------------------------------- */

/*@ requires NC_ACSL_OPSET_OK(a) && NC_ACSL_OPSET_OK(b) && NC_ACSL_OPSET_OK(c); */
void law_oblig_lattice(nc_opset a, nc_opset b, nc_opset c)
{
    nc_opset mab = nc_oblig_meet(a, b), mba = nc_oblig_meet(b, a);
    nc_opset jab = nc_oblig_join(a, b), jba = nc_oblig_join(b, a);
    //@ assert meet_commutative: mab == mba;
    //@ assert join_commutative: jab == jba;
    //@ assert meet_is_union: mab == (a | b);
    //@ assert join_is_intersection: jab == (a & b);

    nc_opset m1 = nc_oblig_meet(a, nc_oblig_meet(b, c));
    nc_opset m2 = nc_oblig_meet(nc_oblig_meet(a, b), c);
    nc_opset j1 = nc_oblig_join(a, nc_oblig_join(b, c));
    nc_opset j2 = nc_oblig_join(nc_oblig_join(a, b), c);
    //@ assert meet_associative: m1 == m2;
    //@ assert join_associative: j1 == j2;

    nc_opset maa = nc_oblig_meet(a, a), jaa = nc_oblig_join(a, a);
    //@ assert meet_idempotent: maa == a;
    //@ assert join_idempotent: jaa == a;

    nc_opset abs1 = nc_oblig_meet(a, nc_oblig_join(a, b));
    nc_opset abs2 = nc_oblig_join(a, nc_oblig_meet(a, b));
    //@ assert absorption_meet_join: abs1 == a;
    //@ assert absorption_join_meet: abs2 == a;

    nc_opset d1 = nc_oblig_meet(a, nc_oblig_join(b, c));
    nc_opset d2 = nc_oblig_join(nc_oblig_meet(a, b), nc_oblig_meet(a, c));
    nc_opset d3 = nc_oblig_join(a, nc_oblig_meet(b, c));
    nc_opset d4 = nc_oblig_meet(nc_oblig_join(a, b), nc_oblig_join(a, c));
    //@ assert distributive_meet_over_join: d1 == d2;
    //@ assert distributive_join_over_meet: d3 == d4;

    nc_opset bot = nc_oblig_meet(NC_OPSET_ALL, a), top = nc_oblig_join(0, a);
    //@ assert bounded: bot == NC_OPSET_ALL && top == 0;
}

/*@ requires NC_ACSL_OPSET_OK(a) && NC_ACSL_OPSET_OK(b) && NC_ACSL_OPSET_OK(c); */
void law_oblig_order(nc_opset a, nc_opset b, nc_opset c)
{
    bool ab = nc_oblig_leq(a, b), ba = nc_oblig_leq(b, a), bc = nc_oblig_leq(b, c);
    bool ac = nc_oblig_leq(a, c), aa = nc_oblig_leq(a, a);
    //@ assert leq_reflexive: aa;
    //@ assert leq_transitive: ab && bc ==> ac;
    //@ assert leq_antisymmetric_bits: ab && ba ==> (a & 0xFFFF) == b;
    //@ assert leq_antisymmetric: ab && ba ==> a == b;

    nc_opset m = nc_oblig_meet(a, b), j = nc_oblig_join(a, b);
    //@ assert leq_iff_meet: ab <==> m == a;
    //@ assert leq_iff_join: ab <==> j == b;
    //@ assert leq_is_superset: ab <==> (b & ~a) == 0;
    bool ma = nc_oblig_leq(m, a), mb = nc_oblig_leq(m, b), cm = nc_oblig_leq(c, m);
    bool ca = nc_oblig_leq(c, a), cb = nc_oblig_leq(c, b);
    //@ assert meet_is_lower_bound: ma && mb;
    //@ assert meet_is_greatest: ca && cb ==> cm;
    bool aj = nc_oblig_leq(a, j), bj = nc_oblig_leq(b, j), jc = nc_oblig_leq(j, c);
    bool bc2 = nc_oblig_leq(b, c);
    //@ assert join_is_upper_bound: aj && bj;
    //@ assert join_is_least: ac && bc2 ==> jc;
}

/* ---- the uninhabitable state and the normalizer nu(c, o) = (c, o | gates(c)) ---------------- */

void law_uninhabitable(nc_opset e)
{
    unsigned legs = nc_uninhabitable_legs(e);
    bool u = nc_uninhabitable(e);
    //@ assert legs_range: legs <= 3;
    //@ assert uninhabitable_iff_three_legs: u <==> legs == 3;
}

void law_gates(struct nc_caps c_)
{
    const struct nc_caps *c = &c_;
    nc_opset g = nc_uninhabitable_gates(c), en = nc_caps_enabled(c);
    bool u = nc_uninhabitable(en);
    //@ assert gates_are_exfiltration: (g & ~NC_OPSET_EXFIL) == 0;
    //@ assert gates_complete_bits: u ==> (g & 0xFFFF) == (en & NC_OPSET_EXFIL);
    //@ assert gates_complete: u ==> g == (en & NC_OPSET_EXFIL);
    //@ assert gates_incomplete_bits: !u ==> (g & 0xFFFF) == 0;
    //@ assert gates_incomplete: !u ==> g == 0;
}

/*@ requires NC_ACSL_OPSET_OK(o); */
void law_normalize(struct nc_caps c_, nc_opset o)
{
    const struct nc_caps *c = &c_;
    nc_opset n1 = nc_normalize_oblig(c, o);
    nc_opset n2 = nc_normalize_oblig(c, n1);
    //@ assert idempotent_bits: (n2 & 0xFFFF) == n1;
    //@ assert idempotent: n2 == n1;

    bool defl = nc_oblig_leq(n1, o);
    //@ assert deflationary: defl;

    bool fixed = nc_is_safe(c, n1);
    //@ assert result_is_safe: fixed;

    bool safe = nc_is_safe(c, o);
    //@ assert fixed_point_is_safe: n1 == o ==> safe;

    nc_opset g = nc_uninhabitable_gates(c);
    //@ assert adds_exactly_the_gates_bits: (n1 & 0xFFFF) == (nc_opset)(o | g);
    //@ assert adds_exactly_the_gates: n1 == (o | g);
}

/*@ requires NC_ACSL_OPSET_OK(o); */
void law_safe_is_fixed_point(struct nc_caps c_, nc_opset o)
{
    const struct nc_caps *c = &c_;
    if (nc_is_safe(c, o)) {
        nc_opset n = nc_normalize_oblig(c, o);
        //@ assert safe_fixed_bits: (n & 0xFFFF) == o;
        //@ assert safe_is_fixed_point: n == o;
    }
}

void law_normalize_any(struct nc_caps c_, nc_opset o)
{
    const struct nc_caps *c = &c_;
    /* Without the well-formedness hypothesis on o the normalizer is still idempotent and its
     * result is still a fixed point (it drops the unknown bits 11..15). */
    nc_opset n1 = nc_normalize_oblig(c, o);
    nc_opset n2 = nc_normalize_oblig(c, n1);
    //@ assert idempotent_bits: (n2 & 0xFFFF) == n1;
    //@ assert idempotent: n2 == n1;
    bool fixed = nc_is_safe(c, n1);
    //@ assert result_is_safe: fixed;
}

void law_safe_meet_closed(struct nc_caps a_, nc_opset oa, struct nc_caps b_, nc_opset ob)
{
    INPUTS2;
    /* Safe states are closed under meet: composing two safe policies never needs a new
     * normalization step. */
    struct nc_caps m;
    bool sa = nc_is_safe(a, oa), sb = nc_is_safe(b, ob);
    nc_caps_meet(a, b, &m);
    nc_opset om = nc_oblig_meet(oa, ob);
    bool sm = nc_is_safe(&m, om);
    //@ assert safe_meet_closed: sa && sb ==> sm;
}

void law_normalize_not_monotone(void)
{
    /* The counterexample of proofs/README.md: x = all Never, y = all LowRisk, no obligations.
     * (x, {}) <= (y, {}) but nu(x, {}) = (x, {}) is not below nu(y, {}) = (y, EXFIL). */
    struct nc_caps x, y;
    nc_caps_fill(&x, NC_NEVER);
    nc_caps_fill(&y, NC_LOW_RISK);
    bool caps_below = nc_caps_leq(&x, &y);
    bool oblig_below = nc_oblig_leq(0, 0);
    //@ assert input_ordered: caps_below && oblig_below;

    nc_opset nx = nc_normalize_oblig(&x, 0), ny = nc_normalize_oblig(&y, 0);
    //@ assert nx_bits: (nx & 0xFFFF) == 0;
    //@ assert ny_bits: (ny & 0xFFFF) == NC_OPSET_EXFIL;
    //@ assert nx_empty: nx == 0;
    //@ assert ny_exfil: ny == NC_OPSET_EXFIL;
    bool out_below = nc_oblig_leq(nx, ny);
    //@ assert not_monotone: !out_below;
}
