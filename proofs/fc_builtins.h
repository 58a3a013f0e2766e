/* SPDX-License-Identifier: Apache-2.0 */
/* Models of the GCC checked-arithmetic builtins for Frama-C 25, which knows only the typed
 * variants (__builtin_uaddl_overflow, ...) and not the type-generic __builtin_add_overflow /
 * __builtin_mul_overflow / __builtin_sub_overflow that src/core/ uses.  Force-included by
 * scripts/proofs.sh (-include); never part of the build.
 *
 * Semantics (GCC manual): compute the mathematically exact result, store it converted to the
 * type of *res, and return true when it does not fit.  The model covers what the core needs:
 * unsigned results of at most 64 bits and operands that are unsigned or non-negative.  Anything
 * else is an ALARM, not a silent approximation: a negative operand breaks the `requires` of
 * nc_fc_nonneg, and a signed result type reaches nc_fc_unsupported (`requires \false`).
 * The arithmetic below never wraps: overflow is decided before adding or subtracting.  Only the
 * value stored after a multiplication overflow wraps (as GCC's does). */
#ifndef NC_PROOFS_FC_BUILTINS_H
#define NC_PROOFS_FC_BUILTINS_H

/*@ requires nonneg: v >= 0;
    assigns \nothing;
    ensures \result == v; */
static inline unsigned long long nc_fc_nonneg(long long v)
{
    return (unsigned long long)v;
}

/*@ requires signed_result_not_modelled: \false;
    assigns \nothing; */
static inline int nc_fc_unsupported(void)
{
    return 1;
}

#define NC_FC_SIGNED(x) ((__typeof__(x))-1 < 0)
#define NC_FC_U(x) (NC_FC_SIGNED(x) ? nc_fc_nonneg((long long)(x)) : (unsigned long long)(x))
#define NC_FC_MAX(r) ((unsigned long long)(__typeof__(*(r)))-1)
#define NC_FC_CHECK(r) (NC_FC_SIGNED(*(r)) ? nc_fc_unsupported() : 0)

#define __builtin_add_overflow(a, b, r)                                                      \
    ({                                                                                       \
        unsigned long long nc_a_ = NC_FC_U(a), nc_b_ = NC_FC_U(b);                           \
        int nc_o_ = NC_FC_CHECK(r) || nc_b_ > NC_FC_MAX(r) || nc_a_ > NC_FC_MAX(r) - nc_b_;  \
        *(r) = (__typeof__(*(r)))(nc_a_ <= ~0ULL - nc_b_ ? nc_a_ + nc_b_                     \
                                                         : nc_a_ - (~0ULL - nc_b_) - 1);     \
        nc_o_;                                                                               \
    })

#define __builtin_sub_overflow(a, b, r)                                                      \
    ({                                                                                       \
        unsigned long long nc_a_ = NC_FC_U(a), nc_b_ = NC_FC_U(b);                           \
        int nc_o_ = NC_FC_CHECK(r) || nc_a_ < nc_b_ || nc_a_ - nc_b_ > NC_FC_MAX(r);         \
        *(r) = (__typeof__(*(r)))(nc_a_ >= nc_b_ ? nc_a_ - nc_b_ : ~0ULL - (nc_b_ - nc_a_) + 1); \
        nc_o_;                                                                               \
    })

#define __builtin_mul_overflow(a, b, r)                                                      \
    ({                                                                                       \
        unsigned long long nc_a_ = NC_FC_U(a), nc_b_ = NC_FC_U(b);                           \
        int nc_o_ = NC_FC_CHECK(r) || (nc_b_ != 0 && nc_a_ > NC_FC_MAX(r) / nc_b_);          \
        *(r) = (__typeof__(*(r)))(nc_a_ * nc_b_);                                            \
        nc_o_;                                                                               \
    })

#endif
