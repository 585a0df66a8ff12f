#include <cuda_fp16.h>

#include <type_traits>

#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pointwise_ops.cuh"

namespace graft::cuda::pointwise {
namespace {

constexpr int kThreads = 256;

// Registers: float values in one file, double/int64/uint64 bit patterns in the other.
// Indexed at run time, so they live in (L1-cached) local memory.
struct Regs {
  float f[kMaxRegs][kLanes];
  uint64_t w[kMaxRegs][kLanes];
};

template <typename C>
__device__ __forceinline__ C get(const Regs& r, int reg, int lane) {
  if constexpr (std::is_same_v<C, float>) {
    return r.f[reg][lane];
  } else if constexpr (std::is_same_v<C, double>) {
    return __longlong_as_double(static_cast<long long>(r.w[reg][lane]));
  } else {
    return static_cast<C>(r.w[reg][lane]);
  }
}

template <typename C>
__device__ __forceinline__ void set(Regs& r, int reg, int lane, C v) {
  if constexpr (std::is_same_v<C, float>) {
    r.f[reg][lane] = v;
  } else if constexpr (std::is_same_v<C, double>) {
    r.w[reg][lane] = static_cast<uint64_t>(__double_as_longlong(v));
  } else {
    r.w[reg][lane] = static_cast<uint64_t>(v);
  }
}

// Where an op's lanes come from and go to. The interpreter's: registers a, b -> dst.
template <typename C>
struct RegIo {
  static constexpr int kLanes = pointwise::kLanes;
  Regs& r;
  const Instr& in;
  __device__ __forceinline__ C arg(int k, int l) const { return get<C>(r, k == 0 ? in.a : in.b, l); }
  __device__ __forceinline__ void out(int l, C v) const { set(r, in.dst, l, v); }
};

// The chain kernel's: operand arrays a, b -> the accumulator (all in registers).
struct ChainIo {
  static constexpr int kLanes = kChainLanes;
  const float (&a)[kChainLanes];
  const float (&b)[kChainLanes];
  float (&acc)[kChainLanes];
  __device__ __forceinline__ float arg(int k, int l) const { return k == 0 ? a[l] : b[l]; }
  __device__ __forceinline__ void out(int l, float v) const { acc[l] = v; }
};

template <typename C, typename Io, typename F>
__device__ __forceinline__ void map1(const Io& io, F f) {
#pragma unroll
  for (int l = 0; l < Io::kLanes; ++l) io.out(l, f(io.arg(0, l)));
}

template <typename C, typename Io, typename F>
__device__ __forceinline__ void map2(const Io& io, F f) {
#pragma unroll
  for (int l = 0; l < Io::kLanes; ++l) io.out(l, f(io.arg(0, l), io.arg(1, l)));
}

// Ops on float or double.
template <typename C, typename Io>
__device__ __forceinline__ void exec_float(const Instr& in, const Io& io) {
  const C p0 = static_cast<C>(in.p0), p1 = static_cast<C>(in.p1);
  switch (in.op) {
    case Op::kConst: map1<C>(io, [&](C) { return p0; }); return;
    case Op::kAbs: map1<C>(io, [](C x) { return f_abs(x); }); return;
    case Op::kNeg: map1<C>(io, [](C x) { return f_neg(x); }); return;
    case Op::kSign: map1<C>(io, [](C x) { return f_sign(x); }); return;
    case Op::kReciprocal: map1<C>(io, [](C x) { return f_reciprocal(x); }); return;
    case Op::kSqrt: map1<C>(io, [](C x) { return f_sqrt(x); }); return;
    case Op::kExp: map1<C>(io, [](C x) { return f_exp(x); }); return;
    case Op::kLog: map1<C>(io, [](C x) { return f_log(x); }); return;
    case Op::kErf: map1<C>(io, [](C x) { return f_erf(x); }); return;
    case Op::kCeil: map1<C>(io, [](C x) { return f_ceil(x); }); return;
    case Op::kFloor: map1<C>(io, [](C x) { return f_floor(x); }); return;
    case Op::kRound: map1<C>(io, [](C x) { return f_round(x); }); return;
    case Op::kSin: map1<C>(io, [](C x) { return f_sin(x); }); return;
    case Op::kCos: map1<C>(io, [](C x) { return f_cos(x); }); return;
    case Op::kTan: map1<C>(io, [](C x) { return f_tan(x); }); return;
    case Op::kAsin: map1<C>(io, [](C x) { return f_asin(x); }); return;
    case Op::kAcos: map1<C>(io, [](C x) { return f_acos(x); }); return;
    case Op::kAtan: map1<C>(io, [](C x) { return f_atan(x); }); return;
    case Op::kSinh: map1<C>(io, [](C x) { return f_sinh(x); }); return;
    case Op::kCosh: map1<C>(io, [](C x) { return f_cosh(x); }); return;
    case Op::kTanh: map1<C>(io, [](C x) { return f_tanh(x); }); return;
    case Op::kAsinh: map1<C>(io, [](C x) { return f_asinh(x); }); return;
    case Op::kAcosh: map1<C>(io, [](C x) { return f_acosh(x); }); return;
    case Op::kAtanh: map1<C>(io, [](C x) { return f_atanh(x); }); return;
    case Op::kRelu: map1<C>(io, [](C x) { return f_relu(x); }); return;
    case Op::kLeakyRelu: map1<C>(io, [&](C x) { return f_leaky_relu(x, p0); }); return;
    case Op::kElu: map1<C>(io, [&](C x) { return f_elu(x, p0); }); return;
    case Op::kSelu: map1<C>(io, [&](C x) { return f_selu(x, p0, p1); }); return;
    case Op::kCelu: map1<C>(io, [&](C x) { return f_celu(x, p0); }); return;
    case Op::kHardSigmoid: map1<C>(io, [&](C x) { return f_hard_sigmoid(x, p0, p1); }); return;
    case Op::kHardSwish: map1<C>(io, [](C x) { return f_hard_swish(x); }); return;
    case Op::kSigmoid: map1<C>(io, [](C x) { return f_sigmoid(x); }); return;
    case Op::kSoftplus: map1<C>(io, [](C x) { return f_softplus(x); }); return;
    case Op::kSoftsign: map1<C>(io, [](C x) { return f_softsign(x); }); return;
    case Op::kMish: map1<C>(io, [](C x) { return f_mish(x); }); return;
    case Op::kGelu: map1<C>(io, [](C x) { return f_gelu(x); }); return;
    case Op::kGeluTanh: map1<C>(io, [](C x) { return f_gelu_tanh(x); }); return;
    case Op::kGeluErf: map1<C>(io, [&](C x) { return f_gelu_erf(x, p0, p1); }); return;
    case Op::kThresholdedRelu: map1<C>(io, [&](C x) { return f_thresholded_relu(x, p0); }); return;
    case Op::kShrink: map1<C>(io, [&](C x) { return f_shrink(x, p0, p1); }); return;
    case Op::kAdd: map2<C>(io, [](C a, C b) { return f_add(a, b); }); return;
    case Op::kSub: map2<C>(io, [](C a, C b) { return f_sub(a, b); }); return;
    case Op::kMul: map2<C>(io, [](C a, C b) { return f_mul(a, b); }); return;
    case Op::kDiv: map2<C>(io, [](C a, C b) { return f_div(a, b); }); return;
    case Op::kFmod: map2<C>(io, [](C a, C b) { return f_fmod(a, b); }); return;
    case Op::kMod: map2<C>(io, [](C a, C b) { return f_mod(a, b); }); return;
    case Op::kPow: map2<C>(io, [](C a, C b) { return f_pow(a, b); }); return;
    case Op::kMax: map2<C>(io, [](C a, C b) { return f_max(a, b); }); return;
    case Op::kMin: map2<C>(io, [](C a, C b) { return f_min(a, b); }); return;
    case Op::kPRelu: map2<C>(io, [](C x, C s) { return f_prelu(x, s); }); return;
    case Op::kClipLo: map2<C>(io, [](C x, C lo) { return f_clip_lo(x, lo); }); return;
    case Op::kClipHi: map2<C>(io, [](C x, C hi) { return f_clip_hi(x, hi); }); return;
    default: return;
  }
}

// Ops on int64 (every narrower integer type and bool) or uint64.
template <typename C, typename Io>
__device__ __forceinline__ void exec_int(const Instr& in, const Io& io) {
  switch (in.op) {
    case Op::kConst: map1<C>(io, [&](C) { return static_cast<C>(in.p0); }); return;
    case Op::kAbs: map1<C>(io, [](C x) { return i_abs(x); }); return;
    case Op::kNeg: map1<C>(io, [](C x) { return i_neg(x); }); return;
    case Op::kSign: map1<C>(io, [](C x) { return i_sign(x); }); return;
    case Op::kRelu: map1<C>(io, [](C x) { return i_relu(x); }); return;
    case Op::kShrink: map1<C>(io, [&](C x) { return i_shrink(x, in.p0, in.p1); }); return;
    case Op::kNot: map1<C>(io, [](C x) { return i_not(x); }); return;
    case Op::kBitNot: map1<C>(io, [](C x) { return i_bit_not(x); }); return;
    case Op::kAdd: map2<C>(io, [](C a, C b) { return i_add(a, b); }); return;
    case Op::kSub: map2<C>(io, [](C a, C b) { return i_sub(a, b); }); return;
    case Op::kMul: map2<C>(io, [](C a, C b) { return i_mul(a, b); }); return;
    case Op::kDiv: map2<C>(io, [](C a, C b) { return i_div(a, b); }); return;
    case Op::kMod: map2<C>(io, [](C a, C b) { return i_mod(a, b); }); return;
    case Op::kFmod: map2<C>(io, [](C a, C b) { return i_fmod(a, b); }); return;
    case Op::kPow: map2<C>(io, [](C x, C e) { return i_pow(x, e); }); return;
    case Op::kMax: map2<C>(io, [](C a, C b) { return i_max(a, b); }); return;
    case Op::kMin: map2<C>(io, [](C a, C b) { return i_min(a, b); }); return;
    case Op::kPRelu: map2<C>(io, [](C x, C s) { return i_prelu(x, s); }); return;
    case Op::kClipLo: map2<C>(io, [](C x, C lo) { return i_clip_lo(x, lo); }); return;
    case Op::kClipHi: map2<C>(io, [](C x, C hi) { return i_clip_hi(x, hi); }); return;
    case Op::kAnd: map2<C>(io, [](C a, C b) { return i_and(a, b); }); return;
    case Op::kOr: map2<C>(io, [](C a, C b) { return i_or(a, b); }); return;
    case Op::kXor: map2<C>(io, [](C a, C b) { return i_xor(a, b); }); return;
    case Op::kBitAnd: map2<C>(io, [](C a, C b) { return i_bit_and(a, b); }); return;
    case Op::kBitOr: map2<C>(io, [](C a, C b) { return i_bit_or(a, b); }); return;
    case Op::kBitXor: map2<C>(io, [](C a, C b) { return i_bit_xor(a, b); }); return;
    case Op::kShiftLeft: map2<C>(io, [&](C a, C b) { return i_shift_left(a, b, in.p0); }); return;
    case Op::kShiftRight: map2<C>(io, [&](C a, C b) { return i_shift_right(a, b, in.p0); }); return;
    default: return;
  }
}

template <typename C>
__device__ void compare(const Instr& in, Regs& r) {
#pragma unroll
  for (int l = 0; l < kLanes; ++l) {
    const C a = get<C>(r, in.a, l), b = get<C>(r, in.b, l);
    bool v = false;
    switch (in.op) {
      case Op::kEqual: v = cmp_equal(a, b); break;
      case Op::kLess: v = cmp_less(a, b); break;
      case Op::kGreater: v = cmp_greater(a, b); break;
      case Op::kLessOrEqual: v = cmp_less_or_equal(a, b); break;
      default: v = cmp_greater_or_equal(a, b); break;
    }
    set<int64_t>(r, in.dst, l, v);
  }
}

template <typename C>
__device__ void float_predicate(const Instr& in, Regs& r) {
  const bool negative = in.p0 != 0, positive = in.p1 != 0;
#pragma unroll
  for (int l = 0; l < kLanes; ++l) {
    const C x = get<C>(r, in.a, l);
    set<int64_t>(r, in.dst, l, in.op == Op::kIsNaN ? is_nan(x) : is_inf(x, negative, positive));
  }
}

template <typename C>
__device__ void select(const Instr& in, Regs& r) {
#pragma unroll
  for (int l = 0; l < kLanes; ++l) {
    set(r, in.dst, l, select_where(get<int64_t>(r, in.a, l), get<C>(r, in.b, l), get<C>(r, in.c, l)));
  }
}

// Calls f(C{}) with the C++ type of kind k.
template <typename F>
__device__ __forceinline__ void with_kind(Kind k, F&& f) {
  switch (k) {
    case Kind::kF32: f(float{}); return;
    case Kind::kF64: f(double{}); return;
    case Kind::kI64: f(int64_t{}); return;
    case Kind::kU64: f(uint64_t{}); return;
  }
}

__device__ void cast(const Instr& in, Regs& r) {
  with_kind(in.kind, [&](auto from) {
    using From = decltype(from);
    with_kind(in.to, [&](auto to) {
      using To = decltype(to);
#pragma unroll
      for (int l = 0; l < kLanes; ++l) {
        set(r, in.dst, l, cast_to<To>(get<From>(r, in.a, l), in.wrap == Wrap::kBool));
      }
    });
  });
}

// Narrows register dst to the model dtype of the op's result.
__device__ void narrow(const Instr& in, Regs& r) {
  const int d = in.dst;
  if (in.wrap == Wrap::kHalf) {
#pragma unroll
    for (int l = 0; l < kLanes; ++l) r.f[d][l] = round_to_half(r.f[d][l]);
    return;
  }
#pragma unroll
  for (int l = 0; l < kLanes; ++l) {
    const int64_t v = static_cast<int64_t>(r.w[d][l]);
    int64_t w = v;
    switch (in.wrap) {
      case Wrap::kInt8: w = wrap_int8(v); break;
      case Wrap::kUint8: w = wrap_uint8(v); break;
      case Wrap::kInt16: w = wrap_int16(v); break;
      case Wrap::kUint16: w = wrap_uint16(v); break;
      case Wrap::kInt32: w = wrap_int32(v); break;
      case Wrap::kUint32: w = wrap_uint32(v); break;
      case Wrap::kBool: w = wrap_bool(v); break;
      default: break;
    }
    r.w[d][l] = static_cast<uint64_t>(w);
  }
}

// ---- memory ----

template <typename T, int L>
struct alignas(sizeof(T) * L) Pack {
  T v[L];
};

template <typename T>
__device__ __forceinline__ auto from_memory(T v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __half2float(v);
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, uint64_t>) {
    return v;
  } else {
    return static_cast<int64_t>(v);
  }
}

template <typename T, typename C>
__device__ __forceinline__ T to_memory(C v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != C(0);
  } else {
    return static_cast<T>(v);
  }
}

template <typename F>
__device__ __forceinline__ void with_elem(Elem e, F&& f) {
  switch (e) {
    case Elem::kFloat: f(float{}); return;
    case Elem::kHalf: f(__half{}); return;
    case Elem::kDouble: f(double{}); return;
    case Elem::kInt8: f(int8_t{}); return;
    case Elem::kInt16: f(int16_t{}); return;
    case Elem::kInt32: f(int32_t{}); return;
    case Elem::kInt64: f(int64_t{}); return;
    case Elem::kUint8: f(uint8_t{}); return;
    case Elem::kUint16: f(uint16_t{}); return;
    case Elem::kUint32: f(uint32_t{}); return;
    case Elem::kUint64: f(uint64_t{}); return;
    case Elem::kBool: f(bool{}); return;
  }
}

// i / inner[d] for the element indices of this launch (below 2^31 unless I is int64_t).
template <typename I>
__device__ __forceinline__ I quotient(const Geometry& g, int d, I i) {
  if constexpr (std::is_same_v<I, uint32_t>) {
    return divide_fast(i, g.magic[d], g.shift[d]);
  } else {
    return i / g.inner[d];
  }
}

template <typename I>
__device__ __forceinline__ int64_t strided_offset(const Geometry& g, const int64_t* strides, I i) {
  int64_t offset = 0;
  I outer = 0;
  for (int d = 0; d < g.rank; ++d) {
    const I q = quotient(g, d, i);
    offset += static_cast<int64_t>(q - outer * static_cast<I>(g.dims[d])) * strides[d];
    outer = q;
  }
  return offset;
}

// Calls set(l, value) for the valid lanes of load `ld` at elements base, base + 1, ...
template <typename I, int L, typename Set>
__device__ __forceinline__ void load_lanes(const Geometry& g, const Load& ld, int64_t base, int valid, Set set) {
  with_elem(ld.elem, [&](auto tag) {
    using T = decltype(tag);
    const T* data = static_cast<const T*>(ld.data);
    switch (ld.access) {
      case Access::kScalar: {
        const auto v = from_memory(data[0]);
#pragma unroll
        for (int l = 0; l < L; ++l) set(l, v);
        return;
      }
      case Access::kFull:
        if (ld.vector && valid == L) {
          const Pack<T, L> pack = *reinterpret_cast<const Pack<T, L>*>(data + base);
#pragma unroll
          for (int l = 0; l < L; ++l) set(l, from_memory(pack.v[l]));
          return;
        }
#pragma unroll
        for (int l = 0; l < L; ++l) {
          if (l < valid) set(l, from_memory(data[base + l]));
        }
        return;
      case Access::kStrided:
#pragma unroll
        for (int l = 0; l < L; ++l) {
          if (l < valid) set(l, from_memory(data[strided_offset(g, ld.strides, static_cast<I>(base + l))]));
        }
        return;
    }
  });
}

// Writes get(l) (a C) to the valid lanes of output `st` at elements base, base + 1, ...
template <typename C, int L, typename Get>
__device__ __forceinline__ void store_lanes(const Store& st, int64_t base, int valid, Get get) {
  with_elem(st.elem, [&](auto tag) {
    using T = decltype(tag);
    T* data = static_cast<T*>(st.data);
    if (st.vector && valid == L) {
      Pack<T, L> pack;
#pragma unroll
      for (int l = 0; l < L; ++l) pack.v[l] = to_memory<T, C>(get(l));
      *reinterpret_cast<Pack<T, L>*>(data + base) = pack;
      return;
    }
#pragma unroll
    for (int l = 0; l < L; ++l) {
      if (l < valid) data[base + l] = to_memory<T, C>(get(l));
    }
  });
}

template <typename I>
__device__ void load(const Program& p, const Instr& in, Regs& r, int64_t base, int valid) {
  load_lanes<I, kLanes>(p.geometry, p.loads[in.a], base, valid, [&](int l, auto v) { set(r, in.dst, l, v); });
}

__device__ void store(const Program& p, const Instr& in, const Regs& r, int64_t base, int valid) {
  with_kind(in.kind, [&](auto kind) {
    using C = decltype(kind);
    store_lanes<C, kLanes>(p.outputs[in.b], base, valid, [&](int l) { return get<C>(r, in.a, l); });
  });
}

template <typename I>
__device__ void exec(const Program& p, const Instr& in, Regs& r, int64_t base, int valid) {
  switch (in.op) {
    case Op::kLoad: load<I>(p, in, r, base, valid); return;
    case Op::kStore: store(p, in, r, base, valid); return;
    case Op::kCast: cast(in, r); break;
    case Op::kIsNaN:
    case Op::kIsInf: with_kind(in.kind, [&](auto k) {
        if constexpr (std::is_floating_point_v<decltype(k)>) float_predicate<decltype(k)>(in, r);
      });
      return;
    case Op::kEqual:
    case Op::kLess:
    case Op::kGreater:
    case Op::kLessOrEqual:
    case Op::kGreaterOrEqual: with_kind(in.kind, [&](auto k) { compare<decltype(k)>(in, r); }); return;
    case Op::kWhere: with_kind(in.kind, [&](auto k) { select<decltype(k)>(in, r); }); return;
    default:
      switch (in.kind) {
        case Kind::kF32: exec_float<float>(in, RegIo<float>{r, in}); break;
        case Kind::kF64: exec_float<double>(in, RegIo<double>{r, in}); break;
        case Kind::kI64: exec_int<int64_t>(in, RegIo<int64_t>{r, in}); break;
        case Kind::kU64: exec_int<uint64_t>(in, RegIo<uint64_t>{r, in}); break;
      }
  }
  if (in.wrap != Wrap::kNone) narrow(in, r);
}

// I: the type element indices are divided in (uint32_t when n < 2^31).
template <typename I>
__global__ void __launch_bounds__(kThreads, 4) program_kernel(const __grid_constant__ Program p) {
  Regs r;
  const int64_t n = p.geometry.n;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x * kLanes;
  for (int64_t base = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kLanes; base < n; base += step) {
    const int valid = n - base < kLanes ? static_cast<int>(n - base) : kLanes;
    for (int pc = 0; pc < p.code_size; ++pc) exec<I>(p, p.code[pc], r, base, valid);
  }
}

// ---- the chain kernel ----

// Operand `source` of a chain instruction into `out`.
template <typename I>
__device__ __forceinline__ void chain_operand(const Program& p, uint8_t source, float p0, const float (&acc)[kChainLanes],
                                              float (&out)[kChainLanes], int64_t base, int valid) {
  if (source == kFromAcc) {
#pragma unroll
    for (int l = 0; l < kChainLanes; ++l) out[l] = acc[l];
  } else if (source == kFromP0) {
#pragma unroll
    for (int l = 0; l < kChainLanes; ++l) out[l] = p0;
  } else if (source != kNoOperand) {
    load_lanes<I, kChainLanes>(p.geometry, p.loads[source], base, valid, [&](int l, auto v) { out[l] = static_cast<float>(v); });
  }
}

template <typename I>
__global__ void __launch_bounds__(kThreads) chain_kernel(const __grid_constant__ Program p) {
  const int64_t n = p.geometry.n;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x * kChainLanes;
  for (int64_t base = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kChainLanes; base < n; base += step) {
    const int valid = n - base < kChainLanes ? static_cast<int>(n - base) : kChainLanes;
    float acc[kChainLanes] = {}, a[kChainLanes] = {}, b[kChainLanes] = {}, c[kChainLanes] = {};
    for (int pc = 0; pc < p.code_size; ++pc) {
      const Instr& in = p.code[pc];
      chain_operand<I>(p, in.a, in.p0, acc, a, base, valid);
      chain_operand<I>(p, in.b, in.p0, acc, b, base, valid);
      chain_operand<I>(p, in.c, in.p0, acc, c, base, valid);
      if (in.op == Op::kWhere) {
#pragma unroll
        for (int l = 0; l < kChainLanes; ++l) acc[l] = a[l] != 0.0f ? b[l] : c[l];
      } else if (in.op == Op::kCast) {
#pragma unroll
        for (int l = 0; l < kChainLanes; ++l) acc[l] = a[l];
      } else {
        exec_float<float>(in, ChainIo{a, b, acc});
      }
      if (in.wrap == Wrap::kHalf) {
#pragma unroll
        for (int l = 0; l < kChainLanes; ++l) acc[l] = round_to_half(acc[l]);
      }
    }
    store_lanes<float, kChainLanes>(p.outputs[0], base, valid, [&](int l) { return acc[l]; });
  }
}

// ---- the direct binary kernel ----

template <typename T, BinaryOp kOp>
__global__ void __launch_bounds__(kThreads)
    binary_kernel(const T* __restrict__ a, bool a_scalar, const T* __restrict__ b, bool b_scalar, T* __restrict__ y, int64_t n) {
  constexpr int kVec = 16 / sizeof(T);
  struct alignas(16) Vec {
    T v[kVec];
  };
  const float sa = from_memory(a[0]), sb = from_memory(b[0]);
  auto apply = [](float x, float z) {
    if constexpr (kOp == BinaryOp::kAdd) return x + z;
    else if constexpr (kOp == BinaryOp::kSub) return x - z;
    else if constexpr (kOp == BinaryOp::kMul) return x * z;
    else return x / z;
  };
  const int64_t vectors = n / kVec;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; v < vectors; v += step) {
    Vec va, vb, vy;
    if (!a_scalar) va = reinterpret_cast<const Vec*>(a)[v];
    if (!b_scalar) vb = reinterpret_cast<const Vec*>(b)[v];
#pragma unroll
    for (int k = 0; k < kVec; ++k) {
      const float x = a_scalar ? sa : from_memory(va.v[k]);
      const float z = b_scalar ? sb : from_memory(vb.v[k]);
      vy.v[k] = to_memory<T>(apply(x, z));
    }
    reinterpret_cast<Vec*>(y)[v] = vy;
  }
  for (int64_t i = vectors * kVec + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    y[i] = to_memory<T>(apply(a_scalar ? sa : from_memory(a[i]), b_scalar ? sb : from_memory(b[i])));
  }
}

unsigned blocks_for(int64_t work_items) {
  const int64_t blocks = (work_items + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < (int64_t{1} << 20) ? blocks : (int64_t{1} << 20));
}

template <typename T>
cudaError_t launch_binary(BinaryOp op, const void* a, bool a_scalar, const void* b, bool b_scalar, void* y, int64_t n,
                          cudaStream_t stream) {
  const unsigned blocks = blocks_for((n + 16 / sizeof(T) - 1) / (16 / sizeof(T)));
  const auto* pa = static_cast<const T*>(a);
  const auto* pb = static_cast<const T*>(b);
  auto* py = static_cast<T*>(y);
  switch (op) {
    case BinaryOp::kAdd: binary_kernel<T, BinaryOp::kAdd><<<blocks, kThreads, 0, stream>>>(pa, a_scalar, pb, b_scalar, py, n); break;
    case BinaryOp::kSub: binary_kernel<T, BinaryOp::kSub><<<blocks, kThreads, 0, stream>>>(pa, a_scalar, pb, b_scalar, py, n); break;
    case BinaryOp::kMul: binary_kernel<T, BinaryOp::kMul><<<blocks, kThreads, 0, stream>>>(pa, a_scalar, pb, b_scalar, py, n); break;
    case BinaryOp::kDiv: binary_kernel<T, BinaryOp::kDiv><<<blocks, kThreads, 0, stream>>>(pa, a_scalar, pb, b_scalar, py, n); break;
  }
  return cudaGetLastError();
}

}  // namespace

size_t elem_size(Elem e) {
  switch (e) {
    case Elem::kDouble:
    case Elem::kInt64:
    case Elem::kUint64: return 8;
    case Elem::kFloat:
    case Elem::kInt32:
    case Elem::kUint32: return 4;
    case Elem::kHalf:
    case Elem::kInt16:
    case Elem::kUint16: return 2;
    default: return 1;
  }
}

void fast_divisor(int64_t divisor, uint32_t& magic, uint32_t& shift) {
  shift = 0;
  while (shift < 32 && (int64_t{1} << shift) < divisor) ++shift;
  if (divisor > 0 && divisor < (int64_t{1} << 31)) {  // the 32-bit division runs only then
    const uint64_t d = static_cast<uint64_t>(divisor);
    magic = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << shift) - d)) / d + 1);
  }
}

void set_geometry(Geometry& g, const int64_t* dims, int rank) {
  g.rank = rank;
  int64_t inner = 1;
  for (int d = rank - 1; d >= 0; --d) {
    g.dims[d] = dims[d];
    g.inner[d] = inner;
    fast_divisor(inner, g.magic[d], g.shift[d]);
    inner *= dims[d];
  }
  g.n = inner;
}

cudaError_t run_program(const Program& program, cudaStream_t stream) {
  const int64_t n = program.geometry.n;
  if (n == 0) return cudaSuccess;
  const unsigned blocks = blocks_for((n + kLanes - 1) / kLanes);
  if (n < (int64_t{1} << 31)) {
    program_kernel<uint32_t><<<blocks, kThreads, 0, stream>>>(program);
  } else {
    program_kernel<int64_t><<<blocks, kThreads, 0, stream>>>(program);
  }
  return cudaGetLastError();
}

cudaError_t run_chain(const Program& chain, cudaStream_t stream) {
  const int64_t n = chain.geometry.n;
  if (n == 0) return cudaSuccess;
  const unsigned blocks = blocks_for((n + kChainLanes - 1) / kChainLanes);
  if (n < (int64_t{1} << 31)) {
    chain_kernel<uint32_t><<<blocks, kThreads, 0, stream>>>(chain);
  } else {
    chain_kernel<int64_t><<<blocks, kThreads, 0, stream>>>(chain);
  }
  return cudaGetLastError();
}

cudaError_t run_binary(BinaryOp op, Elem elem, const void* a, bool a_scalar, const void* b, bool b_scalar, void* y,
                       int64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  if (elem == Elem::kHalf) return launch_binary<__half>(op, a, a_scalar, b, b_scalar, y, n, stream);
  return launch_binary<float>(op, a, a_scalar, b, b_scalar, y, n, stream);
}

}  // namespace graft::cuda::pointwise
