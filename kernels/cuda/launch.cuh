#pragma once
// Launch geometry shared by the grid-stride kernels.
#include <cuda_runtime.h>

#include <cstdint>

namespace graft::cuda {

constexpr int kBlockThreads = 256;

// Blocks for n elements at `threads` per block, capped: kernels loop (grid-stride) past it.
inline unsigned grid_blocks(int64_t n, int threads = kBlockThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < (int64_t{1} << 20) ? blocks : (int64_t{1} << 20));
}

// The first element of this thread and the grid's stride, for `for (I i = first; i < n; i += step)`.
template <typename I>
__device__ __forceinline__ I grid_first() {
  return static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x;
}
template <typename I>
__device__ __forceinline__ I grid_step() {
  return static_cast<I>(gridDim.x) * blockDim.x;
}

}  // namespace graft::cuda
