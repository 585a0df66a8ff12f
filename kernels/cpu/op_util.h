#pragma once
// Small helpers shared by the CPU kernels of several op families.
#include <string>
#include <vector>

#include "kernels/cpu/kernel.h"

namespace graft::cpu {

// A possibly negative axis in [-rank, rank) made non-negative; fails naming the node.
inline int64_t normalize_axis(const KernelContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// Row-major element strides of `dims`.
inline std::vector<int64_t> strides_of(const Dims& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

}  // namespace graft::cpu
