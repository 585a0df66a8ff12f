#include "kernels/cuda/convert.h"

#include <cuda_fp16.h>

namespace graft::cuda {
namespace {

constexpr int kThreads = 256;

int blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<int>(b < 65535 * 8 ? b : 65535 * 8);
}

__global__ void f32_to_f16(const float* in, __half* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = __float2half_rn(in[i]);
  }
}

__global__ void f16_to_f32(const __half* in, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = __half2float(in[i]);
  }
}

}  // namespace

cudaError_t convert_f32_to_f16(const float* in, void* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  f32_to_f16<<<blocks_for(n), kThreads, 0, stream>>>(in, static_cast<__half*>(out), n);
  return cudaGetLastError();
}

cudaError_t convert_f16_to_f32(const void* in, float* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  f16_to_f32<<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const __half*>(in), out, n);
  return cudaGetLastError();
}

}  // namespace graft::cuda
