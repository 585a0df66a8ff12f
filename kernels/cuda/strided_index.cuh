#pragma once
// A linear index over row-major dims mapped to an offset through per-dim strides: the input
// element of an output index, or the statistics slot of an input element. Built on the
// host (size-1 dims dropped, neighbours that step evenly merged), passed to kernels by value.
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

namespace graft::cuda {

struct StridedIndex {
  static constexpr int kMaxRank = 8;
  int rank = 0;
  int64_t size[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};

  __host__ __device__ int64_t offset(int64_t i) const {
    if (rank == 1) return i * stride[0];
    int64_t off = 0;
    for (int d = rank - 1; d >= 0; --d) {
      off += (i % size[d]) * stride[d];
      i /= size[d];
    }
    return off;
  }

  // Elements at the end of the walk that share one offset (a run of stride-0 dims).
  int64_t same_offset_run() const {
    int64_t run = 1;
    for (int d = rank - 1; d >= 0 && stride[d] == 0; --d) run *= size[d];
    return run;
  }

  // Appends a dim, merging it into the last one when the walk stays the same.
  void push(int64_t n, int64_t s) {
    if (n == 1) return;
    if (rank > 0 && stride[rank - 1] == s * n) {
      size[rank - 1] *= n;
      stride[rank - 1] = s;
      return;
    }
    size[rank] = n;
    stride[rank] = s;
    ++rank;
  }
};

inline StridedIndex make_strided_index(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  StridedIndex index;
  for (size_t d = 0; d < dims.size(); ++d) index.push(dims[d], strides[d]);
  return index;
}

}  // namespace graft::cuda
