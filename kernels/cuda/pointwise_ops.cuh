#pragma once
// The math of every pointwise op on one element: ONE definition, used by the interpreter
// (pointwise.cu) and, as text, by the kernels generated for each group and compiled with
// NVRTC (pointwise_jit.cc), so every tactic computes the same values.
//   f_*: float or double (C); i_*: int64 (every narrower integer type and bool, as 0/1)
//   or uint64, wrapping like the CPU's typed results; the rest: any of them.
// No includes under NVRTC: the generated source defines the fixed-width integer types.
#ifndef __CUDACC_RTC__
#include <cstdint>
#endif

#define GRAFT_PW_FN __device__ __forceinline__

namespace graft::cuda::pointwise {

// ---- float and double ----

template <typename C>
GRAFT_PW_FN C f_clamp01(C x) {
  return x < C(0) ? C(0) : x > C(1) ? C(1) : x;
}

template <typename C>
GRAFT_PW_FN C f_softplus(C x) {  // log(1 + exp(x)) without overflow
  return x > C(0) ? x + log1p(exp(-x)) : log1p(exp(x));
}

template <typename C> GRAFT_PW_FN C f_abs(C x) { return x < C(0) ? -x : x; }
template <typename C> GRAFT_PW_FN C f_neg(C x) { return -x; }
template <typename C> GRAFT_PW_FN C f_sign(C x) { return x > C(0) ? C(1) : x < C(0) ? C(-1) : x; }
template <typename C> GRAFT_PW_FN C f_reciprocal(C x) { return C(1) / x; }
template <typename C> GRAFT_PW_FN C f_sqrt(C x) { return sqrt(x); }
template <typename C> GRAFT_PW_FN C f_exp(C x) { return exp(x); }
template <typename C> GRAFT_PW_FN C f_log(C x) { return log(x); }
template <typename C> GRAFT_PW_FN C f_erf(C x) { return erf(x); }
template <typename C> GRAFT_PW_FN C f_ceil(C x) { return ceil(x); }
template <typename C> GRAFT_PW_FN C f_floor(C x) { return floor(x); }
template <typename C> GRAFT_PW_FN C f_round(C x) { return rint(x); }  // half to even
template <typename C> GRAFT_PW_FN C f_sin(C x) { return sin(x); }
template <typename C> GRAFT_PW_FN C f_cos(C x) { return cos(x); }
template <typename C> GRAFT_PW_FN C f_tan(C x) { return tan(x); }
template <typename C> GRAFT_PW_FN C f_asin(C x) { return asin(x); }
template <typename C> GRAFT_PW_FN C f_acos(C x) { return acos(x); }
template <typename C> GRAFT_PW_FN C f_atan(C x) { return atan(x); }
template <typename C> GRAFT_PW_FN C f_sinh(C x) { return sinh(x); }
template <typename C> GRAFT_PW_FN C f_cosh(C x) { return cosh(x); }
template <typename C> GRAFT_PW_FN C f_tanh(C x) { return tanh(x); }
template <typename C> GRAFT_PW_FN C f_asinh(C x) { return asinh(x); }
template <typename C> GRAFT_PW_FN C f_acosh(C x) { return acosh(x); }
template <typename C> GRAFT_PW_FN C f_atanh(C x) { return atanh(x); }
template <typename C> GRAFT_PW_FN C f_relu(C x) { return x > C(0) ? x : C(0); }
template <typename C> GRAFT_PW_FN C f_leaky_relu(C x, C alpha) { return x * (x < C(0) ? alpha : C(1)); }
template <typename C> GRAFT_PW_FN C f_elu(C x, C alpha) { return x < C(0) ? alpha * expm1(x) : x; }
template <typename C> GRAFT_PW_FN C f_selu(C x, C alpha, C gamma) { return gamma * (x > C(0) ? x : alpha * expm1(x)); }
template <typename C> GRAFT_PW_FN C f_celu(C x, C alpha) { return x > C(0) ? x : alpha * expm1(x / alpha); }
template <typename C> GRAFT_PW_FN C f_hard_sigmoid(C x, C alpha, C beta) { return f_clamp01(alpha * x + beta); }
template <typename C> GRAFT_PW_FN C f_hard_swish(C x) { return x * f_clamp01(x / C(6) + C(0.5)); }
template <typename C> GRAFT_PW_FN C f_sigmoid(C x) { return C(1) / (C(1) + exp(-x)); }
template <typename C> GRAFT_PW_FN C f_softsign(C x) { return x / (C(1) + (x < C(0) ? -x : x)); }
template <typename C> GRAFT_PW_FN C f_mish(C x) { return x * tanh(f_softplus(x)); }
template <typename C> GRAFT_PW_FN C f_gelu(C x) { return C(0.5) * x * (C(1) + erf(x * C(0.7071067811865476))); }
template <typename C>
GRAFT_PW_FN C f_gelu_tanh(C x) {
  return C(0.5) * x * (C(1) + tanh(C(0.7978845608028654) * (x + C(0.044715) * x * x * x)));
}
// Gelu as exporters decompose it, each step rounded as its node's: (x * (1 + erf(x / s))) * 0.5,
// or x * s inside erf when `divide` is 0 (s: the model's constant, about sqrt(2) or its inverse).
template <typename C>
GRAFT_PW_FN C f_gelu_erf(C x, C s, C divide) {
  return x * (C(1) + erf(divide != C(0) ? x / s : x * s)) * C(0.5);
}
template <typename C> GRAFT_PW_FN C f_thresholded_relu(C x, C alpha) { return x > alpha ? x : C(0); }
template <typename C>
GRAFT_PW_FN C f_shrink(C x, C bias, C lambd) {
  return x < -lambd ? x + bias : x > lambd ? x - bias : C(0);
}

template <typename C> GRAFT_PW_FN C f_add(C a, C b) { return a + b; }
template <typename C> GRAFT_PW_FN C f_sub(C a, C b) { return a - b; }
template <typename C> GRAFT_PW_FN C f_mul(C a, C b) { return a * b; }
template <typename C> GRAFT_PW_FN C f_div(C a, C b) { return a / b; }
template <typename C> GRAFT_PW_FN C f_fmod(C a, C b) { return fmod(a, b); }
template <typename C>
GRAFT_PW_FN C f_mod(C a, C b) {  // the divisor's sign
  const C m = fmod(a, b);
  return m != C(0) && (m < C(0)) != (b < C(0)) ? m + b : m;
}
template <typename C> GRAFT_PW_FN C f_pow(C a, C b) { return pow(a, b); }
template <typename C> GRAFT_PW_FN C f_max(C a, C b) { return a > b || a != a ? a : b; }  // NaN wins
template <typename C> GRAFT_PW_FN C f_min(C a, C b) { return a < b || a != a ? a : b; }
template <typename C> GRAFT_PW_FN C f_prelu(C x, C slope) { return x * (x < C(0) ? slope : C(1)); }
template <typename C> GRAFT_PW_FN C f_clip_lo(C x, C lo) { return x < lo ? lo : x; }
template <typename C> GRAFT_PW_FN C f_clip_hi(C x, C hi) { return x > hi ? hi : x; }

template <typename C> GRAFT_PW_FN bool is_nan(C x) { return isnan(x); }
template <typename C>
GRAFT_PW_FN bool is_inf(C x, bool negative, bool positive) {
  return isinf(x) && (x > C(0) ? positive : negative);
}

// ---- int64 and uint64 ----

template <typename C>
GRAFT_PW_FN constexpr bool i_signed() {
  return C(-1) < C(0);
}

template <typename C>
GRAFT_PW_FN bool i_negative(C x) {
  if constexpr (i_signed<C>()) {
    return x < C(0);
  } else {
    return false;
  }
}

// Integer arithmetic wraps around (through uint64) instead of overflowing into UB.
template <typename C>
GRAFT_PW_FN C i_wrapped(uint64_t v) {
  return static_cast<C>(v);
}

template <typename C> GRAFT_PW_FN C i_abs(C x) { return i_negative(x) ? i_wrapped<C>(uint64_t(0) - uint64_t(x)) : x; }
template <typename C> GRAFT_PW_FN C i_neg(C x) { return i_wrapped<C>(uint64_t(0) - uint64_t(x)); }
template <typename C> GRAFT_PW_FN C i_sign(C x) { return C((x > C(0)) - i_negative(x)); }
template <typename C> GRAFT_PW_FN C i_relu(C x) { return x > C(0) ? x : C(0); }
template <typename C>
GRAFT_PW_FN C i_shrink(C x, float bias, float lambd) {  // compared and shifted in float, as C++ promotes
  const float v = static_cast<float>(x);
  return v < -lambd ? static_cast<C>(v + bias) : v > lambd ? static_cast<C>(v - bias) : C(0);
}
template <typename C> GRAFT_PW_FN C i_not(C x) { return C(x == C(0)); }
template <typename C> GRAFT_PW_FN C i_bit_not(C x) { return C(~x); }
template <typename C> GRAFT_PW_FN C i_add(C a, C b) { return i_wrapped<C>(uint64_t(a) + uint64_t(b)); }
template <typename C> GRAFT_PW_FN C i_sub(C a, C b) { return i_wrapped<C>(uint64_t(a) - uint64_t(b)); }
template <typename C> GRAFT_PW_FN C i_mul(C a, C b) { return i_wrapped<C>(uint64_t(a) * uint64_t(b)); }
template <typename C>
GRAFT_PW_FN C i_div(C a, C b) {  // x / 0 is 0 (undefined in ONNX; no trap), lowest / -1 wraps
  return b == C(0) ? C(0) : i_signed<C>() && b == C(-1) ? i_neg(a) : C(a / b);
}
template <typename C>
GRAFT_PW_FN C i_remainder(C a, C b, bool divisor_sign) {
  if (b == C(0) || (i_signed<C>() && b == C(-1))) return C(0);
  const C m = a % b;
  return divisor_sign && m != C(0) && i_negative(m) != i_negative(b) ? C(m + b) : m;
}
template <typename C> GRAFT_PW_FN C i_mod(C a, C b) { return i_remainder(a, b, true); }
template <typename C> GRAFT_PW_FN C i_fmod(C a, C b) { return i_remainder(a, b, false); }
template <typename C>
GRAFT_PW_FN C i_pow(C x, C e) {  // numpy's wrapping integer power; negative exponents through double
  if (i_negative(e)) return static_cast<C>(pow(static_cast<double>(x), static_cast<double>(e)));
  uint64_t result = 1, base = uint64_t(x);
  for (uint64_t k = uint64_t(e); k; k >>= 1) {
    if (k & 1) result *= base;
    base *= base;
  }
  return i_wrapped<C>(result);
}
template <typename C> GRAFT_PW_FN C i_max(C a, C b) { return a > b ? a : b; }
template <typename C> GRAFT_PW_FN C i_min(C a, C b) { return a < b ? a : b; }
template <typename C> GRAFT_PW_FN C i_prelu(C x, C s) { return i_negative(x) ? i_mul(x, s) : x; }
template <typename C> GRAFT_PW_FN C i_clip_lo(C x, C lo) { return x < lo ? lo : x; }
template <typename C> GRAFT_PW_FN C i_clip_hi(C x, C hi) { return x > hi ? hi : x; }
template <typename C> GRAFT_PW_FN C i_and(C a, C b) { return C(a != C(0) && b != C(0)); }
template <typename C> GRAFT_PW_FN C i_or(C a, C b) { return C(a != C(0) || b != C(0)); }
template <typename C> GRAFT_PW_FN C i_xor(C a, C b) { return C((a != C(0)) != (b != C(0))); }
template <typename C> GRAFT_PW_FN C i_bit_and(C a, C b) { return C(a & b); }
template <typename C> GRAFT_PW_FN C i_bit_or(C a, C b) { return C(a | b); }
template <typename C> GRAFT_PW_FN C i_bit_xor(C a, C b) { return C(a ^ b); }
// Unsigned values; shifting out every bit gives 0 (width: the type's bits).
template <typename C>
GRAFT_PW_FN C i_shift_left(C a, C b, float width) {
  return uint64_t(b) >= static_cast<uint64_t>(width) ? C(0) : i_wrapped<C>(uint64_t(a) << uint64_t(b));
}
template <typename C>
GRAFT_PW_FN C i_shift_right(C a, C b, float width) {
  return uint64_t(b) >= static_cast<uint64_t>(width) ? C(0) : i_wrapped<C>(uint64_t(a) >> uint64_t(b));
}

// ---- any kind ----

template <typename C> GRAFT_PW_FN bool cmp_equal(C a, C b) { return a == b; }
template <typename C> GRAFT_PW_FN bool cmp_less(C a, C b) { return a < b; }
template <typename C> GRAFT_PW_FN bool cmp_greater(C a, C b) { return a > b; }
template <typename C> GRAFT_PW_FN bool cmp_less_or_equal(C a, C b) { return a <= b; }
template <typename C> GRAFT_PW_FN bool cmp_greater_or_equal(C a, C b) { return a >= b; }

template <typename C> GRAFT_PW_FN C select_where(int64_t cond, C a, C b) { return cond != 0 ? a : b; }

// Cast (floats truncate toward zero); to bool, any nonzero value is 1.
template <typename To, typename From>
GRAFT_PW_FN To cast_to(From v, bool to_bool) {
  return to_bool ? To(v != From(0)) : static_cast<To>(v);
}

// float16 <-> float, round to nearest even (the instructions cuda_fp16.h's conversions use).
GRAFT_PW_FN float half_bits_to_float(unsigned short h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
}
GRAFT_PW_FN unsigned short float_to_half_bits(float f) {
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
}

// Narrowing an op's result to its node's dtype (integers held as int64).
GRAFT_PW_FN float round_to_half(float x) { return half_bits_to_float(float_to_half_bits(x)); }
GRAFT_PW_FN int64_t wrap_int8(int64_t v) { return static_cast<int8_t>(v); }
GRAFT_PW_FN int64_t wrap_uint8(int64_t v) { return static_cast<uint8_t>(v); }
GRAFT_PW_FN int64_t wrap_int16(int64_t v) { return static_cast<int16_t>(v); }
GRAFT_PW_FN int64_t wrap_uint16(int64_t v) { return static_cast<uint16_t>(v); }
GRAFT_PW_FN int64_t wrap_int32(int64_t v) { return static_cast<int32_t>(v); }
GRAFT_PW_FN int64_t wrap_uint32(int64_t v) { return static_cast<uint32_t>(v); }
GRAFT_PW_FN int64_t wrap_bool(int64_t v) { return v != 0; }

// i / d for i < 2^31, with magic and shift from pointwise::set_geometry's rule.
GRAFT_PW_FN uint32_t divide_fast(uint32_t i, uint32_t magic, uint32_t shift) { return (__umulhi(i, magic) + i) >> shift; }

}  // namespace graft::cuda::pointwise
