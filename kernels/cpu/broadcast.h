#pragma once
// Numpy-style multidirectional broadcasting, walked in runs along the innermost
// dimension so elementwise loops stay tight:
//
//   Dims out = broadcast_dims({&a.dims(), &b.dims()});
//   for_each_broadcast(out, {&a.dims(), &b.dims()},
//       [&](int64_t o, const int64_t* in, const int64_t* step, int64_t n) {
//         for (int64_t k = 0; k < n; ++k) y[o + k] = x0[in[0] + k * step[0]] + x1[in[1] + k * step[1]];
//       });
#include <array>
#include <vector>

#include "kernels/cpu/host_tensor.h"

namespace graft::cpu {

// The broadcast of all shapes; throws an Error naming the shapes if they do not broadcast.
Dims broadcast_dims(const std::vector<const Dims*>& shapes);

// Up to 8 inputs. `run(out_offset, in_offsets, in_steps, count)` covers `count` consecutive
// output elements; input k advances by in_steps[k] (0 or 1) per element.
template <typename Run>
void for_each_broadcast(const Dims& out, const std::vector<const Dims*>& ins, Run&& run) {
  const size_t n_in = ins.size();
  const size_t rank = out.size();
  const int64_t total = num_elements(out);
  if (total == 0) return;
  // strides[k][d]: input k's element stride for output dim d (0 where broadcast).
  std::vector<std::array<int64_t, 8>> strides(rank);
  for (size_t k = 0; k < n_in; ++k) {
    const Dims& in = *ins[k];
    int64_t stride = 1;
    for (size_t i = 0; i < rank; ++i) {
      const size_t d = rank - 1 - i;
      const bool has = i < in.size();
      const int64_t size = has ? in[in.size() - 1 - i] : 1;
      strides[d][k] = size == 1 ? 0 : stride;
      stride *= size;
    }
  }
  const int64_t inner = rank ? out[rank - 1] : 1;
  std::array<int64_t, 8> steps{}, offs{};
  for (size_t k = 0; k < n_in; ++k) steps[k] = rank ? strides[rank - 1][k] : 0;
  std::vector<int64_t> index(rank, 0);
  for (int64_t o = 0; o < total; o += inner) {
    run(o, offs.data(), steps.data(), inner);
    // Advance the outer index (all dims but the innermost) by one.
    for (size_t d = rank > 1 ? rank - 1 : 0; d-- > 0;) {
      ++index[d];
      for (size_t k = 0; k < n_in; ++k) offs[k] += strides[d][k];
      if (index[d] < out[d]) break;
      for (size_t k = 0; k < n_in; ++k) offs[k] -= strides[d][k] * out[d];
      index[d] = 0;
    }
  }
}

}  // namespace graft::cpu
