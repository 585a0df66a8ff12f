#pragma once
// Loops shared by the elementwise kernels (binary_arith, unary_math, activations,
// compare_logic, cast): same-shape and scalar fast paths, broadcasting over coalesced
// dims, float16/bfloat16 computed in float, and the pre-opset-7 `broadcast`/`axis` form.
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {

template <typename T>
inline constexpr bool is_float_v =
    std::is_floating_point_v<T> || std::is_same_v<T, half> || std::is_same_v<T, bfloat16>;

// The type arithmetic on a float element runs in: double for double, float otherwise.
template <typename T>
using compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Arithmetic type for an element: compute_t for floats, the type itself otherwise.
template <typename T>
using arith_t = std::conditional_t<is_float_v<T>, compute_t<T>, T>;

// Dispatchers over element-type groups, to pass to unary_op/binary_op.
inline auto float_types(const char* what) {
  return [what](DataType t, auto&& f) { dispatch_float(t, what, f); };
}
inline auto numeric_types(const char* what) {
  return [what](DataType t, auto&& f) { dispatch_numeric(t, what, f); };
}

// f(a, b) computed in arith_t<T> (float for float16/bfloat16), its result converted to R.
template <typename T, typename R = T, typename F>
auto in_arith(F f) {
  return [f](T a, T b) {
    using C = arith_t<T>;
    return static_cast<R>(f(static_cast<C>(a), static_cast<C>(b)));
  };
}

// body(i) for i in [0, n). Iterations must be independent (an output may alias an input
// at the same index). The fixed-size inner blocks are what GCC's -O2 vectorizer (the
// "very cheap" cost model: no epilogues, no alias checks) accepts.
template <typename Body>
inline void for_n(int64_t n, Body&& body) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
#pragma GCC ivdep
    for (int j = 0; j < 16; ++j) body(i + j);
  }
  for (; i < n; ++i) body(i);
}

// y[i] = f(x[i]).
template <typename In, typename Out, typename F>
inline void map_n(const In* x, Out* y, int64_t n, F&& f) {
  for_n(n, [&](int64_t i) { y[i] = f(x[i]); });
}

// The dims of input 1 of a binary op, honouring the legacy (opset < 7) attributes:
// with broadcast=1, b's dims line up with a's starting at `axis` (default: trailing),
// so ones are appended after them for numpy-style broadcasting.
inline Dims binary_rhs_dims(const KernelContext& ctx, const Dims& a, const Dims& b) {
  if (ctx.opset() >= 7 || ctx.attr_int("broadcast", 0) == 0) return b;
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  int64_t axis = ctx.attr_int("axis", ra - rb);
  if (axis < 0) axis += ra;
  if (axis < 0 || axis + rb > ra) {
    ctx.fail("legacy broadcast: input B " + dims_str(b) + " does not fit input A " + dims_str(a) +
             " at axis " + std::to_string(axis));
  }
  Dims out = b;
  out.resize(static_cast<size_t>(ra - axis), 1);
  return out;
}

// Drops output dims of size 1 and merges neighbours that every input either spans or
// broadcasts alike, so broadcast runs are as long as possible. Rewrites `out` and `ins`
// (each padded to out's rank).
inline void coalesce_broadcast(Dims& out, std::vector<Dims>& ins) {
  const size_t rank = out.size();
  for (Dims& d : ins) d.insert(d.begin(), rank - d.size(), 1);
  Dims o;
  std::vector<Dims> r(ins.size());
  for (size_t i = 0; i < rank; ++i) {
    if (out[i] == 1) continue;
    bool merge = !o.empty();
    for (size_t k = 0; k < ins.size() && merge; ++k) merge = (ins[k][i] == 1) == (r[k].back() == 1);
    if (merge) {
      o.back() *= out[i];
      for (size_t k = 0; k < ins.size(); ++k) r[k].back() *= ins[k][i];
    } else {
      o.push_back(out[i]);
      for (size_t k = 0; k < ins.size(); ++k) r[k].push_back(ins[k][i]);
    }
  }
  out = std::move(o);
  ins = std::move(r);
}

// y = f(a, b) with numpy broadcasting of a (dims da) and b (dims db) to dy. y may be a
// itself when da == dy (in-place folds over several inputs).
template <typename A, typename B, typename Out, typename F>
void broadcast_binary(const A* pa, const Dims& da, const B* pb, const Dims& db, Out* py, const Dims& dy, F&& f) {
  const int64_t n = num_elements(dy), na = num_elements(da), nb = num_elements(db);
  if (n == 0) return;
  if (na == n && nb == n) {
    for_n(n, [&](int64_t i) { py[i] = f(pa[i], pb[i]); });
    return;
  }
  if (na == n && nb == 1) {
    const B s = pb[0];
    for_n(n, [&](int64_t i) { py[i] = f(pa[i], s); });
    return;
  }
  if (na == 1 && nb == n) {
    const A s = pa[0];
    for_n(n, [&](int64_t i) { py[i] = f(s, pb[i]); });
    return;
  }
  Dims out = dy;
  std::vector<Dims> ins{da, db};
  coalesce_broadcast(out, ins);
  for_each_broadcast(out, {&ins[0], &ins[1]}, [&](int64_t o, const int64_t* in, const int64_t* step, int64_t k) {
    const A* xa = pa + in[0];
    const B* xb = pb + in[1];
    Out* yo = py + o;
    if (step[0] && step[1]) {
      for_n(k, [&](int64_t i) { yo[i] = f(xa[i], xb[i]); });
    } else if (step[0]) {
      const B s = *xb;
      for_n(k, [&](int64_t i) { yo[i] = f(xa[i], s); });
    } else if (step[1]) {
      const A s = *xa;
      for_n(k, [&](int64_t i) { yo[i] = f(s, xb[i]); });
    } else {
      const Out v = f(*xa, *xb);
      for_n(k, [&](int64_t i) { yo[i] = v; });
    }
  });
}

// A binary op on inputs 0 and 1 (legacy attributes honoured). `dispatch` picks the
// element type of input 0 and calls its functor with a tag; `body(tag)` returns the
// elementwise functor and `out_dtype` the output type (same as the input for arithmetic,
// bool for comparisons). Both inputs must have the same type.
template <typename Dispatch, typename MakeOp>
void binary_op(KernelContext& ctx, DataType out_dtype, Dispatch&& dispatch, MakeOp&& make_op) {
  const HostTensor& a = ctx.input(0);
  const HostTensor& b = ctx.input(1);
  if (a.dtype() != b.dtype()) ctx.fail("inputs have different types: " + a.describe() + " and " + b.describe());
  const Dims db = binary_rhs_dims(ctx, a.dims(), b.dims());
  const Dims dy = broadcast_dims({&a.dims(), &db});
  if (out_dtype == DataType::kUndefined) out_dtype = a.dtype();
  HostTensor& y = ctx.allocate_output(0, out_dtype, dy);
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto op = make_op(tag);
    using Out = decltype(op(T{}, T{}));
    broadcast_binary(a.data<T>(), a.dims(), b.data<T>(), db, y.mutable_data<Out>(), dy, op);
  });
}

// Output 0 = f(input 0) elementwise, same type and shape; f works on arith_t<T>.
template <typename Dispatch, typename F>
void unary_op(KernelContext& ctx, Dispatch&& dispatch, F&& f) {
  const HostTensor& x = ctx.input(0);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = arith_t<T>;
    map_n(x.data<T>(), y.mutable_data<T>(), x.numel(), [&](T v) { return static_cast<T>(f(static_cast<C>(v))); });
  });
}

// binary_op whose functor f works in arith_t<T>; the output has the type of the inputs,
// or bool when `R` is bool (comparisons).
template <typename R = void, typename Dispatch, typename F>
void arith_binary_op(KernelContext& ctx, Dispatch&& dispatch, F f) {
  constexpr bool to_bool = std::is_same_v<R, bool>;
  binary_op(ctx, to_bool ? DataType::kBool : DataType::kUndefined, dispatch, [&](auto tag) {
    using T = decltype(tag);
    return in_arith<T, std::conditional_t<to_bool, bool, T>>(f);
  });
}

// unary_op, with float32 done by an Eigen array expression `vec(array)` instead (SIMD
// exp, tanh, erf, ...: GCC at -O2 leaves libm calls scalar).
template <typename Dispatch, typename F, typename Vec>
void unary_op_vec(KernelContext& ctx, Dispatch&& dispatch, F&& f, Vec&& vec) {
  const HostTensor& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat) {
    unary_op(ctx, dispatch, f);
    return;
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  const Eigen::Map<const Eigen::ArrayXf> xa(x.data<float>(), x.numel());
  Eigen::Map<Eigen::ArrayXf>(y.mutable_data<float>(), y.numel()) = vec(xa);
}

// Kernels whose body is one stateless functor F applied in arith_t<T> (and Vec, an Eigen
// array expression, for float32), registered as e.g.
//   GRAFT_CPU_KERNEL("", Exp, 1, float_map<decltype([](auto x) { return std::exp(x); })>);
template <typename F>
void float_map(KernelContext& ctx) {
  unary_op(ctx, float_types(ctx.node().op_type.c_str()), F{});
}
template <typename F>
void numeric_map(KernelContext& ctx) {
  unary_op(ctx, numeric_types(ctx.node().op_type.c_str()), F{});
}
template <typename F, typename Vec>
void float_map_vec(KernelContext& ctx) {
  unary_op_vec(ctx, float_types(ctx.node().op_type.c_str()), F{}, Vec{});
}

}  // namespace graft::cpu
