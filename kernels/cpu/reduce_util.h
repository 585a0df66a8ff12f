#pragma once
// Helpers shared by the reduction, softmax, normalization and loss kernels: a walk over
// an input tensor that names, for every element, the output element it reduces into, and
// the accumulator type used for each element type.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/host_tensor.h"

namespace graft::cpu {

// Floats (half and bfloat16 included) accumulate in double, integers in 64 bits.
template <typename T>
using acc_t = std::conditional_t<std::is_integral_v<T>,
                                 std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>, double>;

// A reduction of a tensor over a set of axes. Adjacent dims that are both reduced or
// both kept are merged, so the walk runs in long contiguous stretches.
struct ReducePlan {
  Dims dims;                 // merged input dims (at least one)
  std::vector<int64_t> out_strides;  // output stride per merged dim; 0 where reduced
  int64_t in_numel = 0;
  int64_t out_numel = 1;
  int64_t count = 1;  // input elements per output element
};

// `reduce[d]` says whether input dim d is reduced.
inline ReducePlan make_reduce_plan(const Dims& dims, const std::vector<bool>& reduce) {
  ReducePlan p;
  std::vector<bool> kinds;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (reduce[d]) p.count *= dims[d];
    else p.out_numel *= dims[d];
    if (dims[d] == 1) continue;  // size-1 dims never change the walk
    if (!kinds.empty() && kinds.back() == reduce[d]) {
      p.dims.back() *= dims[d];
    } else {
      p.dims.push_back(dims[d]);
      kinds.push_back(reduce[d]);
    }
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    kinds.push_back(false);
  }
  p.out_strides.assign(p.dims.size(), 0);
  int64_t stride = 1;
  for (size_t d = p.dims.size(); d-- > 0;) {
    if (kinds[d]) continue;
    p.out_strides[d] = stride;
    stride *= p.dims[d];
  }
  p.in_numel = p.count * p.out_numel;
  return p;
}

// Walks the input in memory order in runs along the innermost merged dim: calls
// run(o, i, n, reduced) for input elements i..i+n-1, which all reduce into output element
// o when `reduced`, else into o..o+n-1.
template <typename F>
void for_each_reduce_run(const ReducePlan& p, F&& run) {
  if (p.in_numel == 0) return;
  const size_t rank = p.dims.size();
  const int64_t inner = p.dims[rank - 1];
  const bool reduced = p.out_strides[rank - 1] == 0;
  std::vector<int64_t> index(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < p.in_numel; i += inner) {
    run(o, i, inner, reduced);
    for (size_t d = rank - 1; d-- > 0;) {  // advance the outer dims by one
      o += p.out_strides[d];
      if (++index[d] < p.dims[d]) break;
      o -= p.out_strides[d] * p.dims[d];
      index[d] = 0;
    }
  }
}

// Calls f(out_index, in_index) for every input element, in memory order.
template <typename F>
void for_each_reduced(const ReducePlan& p, F&& f) {
  for_each_reduce_run(p, [&](int64_t o, int64_t i, int64_t n, bool reduced) {
    if (reduced) {
      for (int64_t k = 0; k < n; ++k) f(o, i + k);
    } else {
      for (int64_t k = 0; k < n; ++k) f(o + k, i + k);
    }
  });
}

// Input values widened to their accumulator type (float for half/bfloat16 goes through float).
template <typename T>
inline acc_t<T> widen(T x) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
    return static_cast<double>(static_cast<float>(x));
  } else {
    return static_cast<acc_t<T>>(x);
  }
}

template <typename T, typename A>
inline T narrow(A x) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
    return T(static_cast<float>(x));
  } else {
    return static_cast<T>(x);
  }
}

}  // namespace graft::cpu
