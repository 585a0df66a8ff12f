#include "kernels/cuda/elementwise.h"

namespace graft::cuda {
namespace {

__global__ void add_f32_kernel(const float* a, const float* b, float* c, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    c[i] = a[i] + b[i];
  }
}

}  // namespace

cudaError_t add_f32(const float* a, const float* b, float* c, size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const size_t blocks = (n + kThreads - 1) / kThreads;
  const int grid = static_cast<int>(blocks < 65535 * 8 ? blocks : 65535 * 8);
  add_f32_kernel<<<grid, kThreads, 0, stream>>>(a, b, c, n);
  return cudaGetLastError();
}

}  // namespace graft::cuda
