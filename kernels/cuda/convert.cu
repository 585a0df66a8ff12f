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

constexpr int kTile = 32;

__device__ float to_float(float x) { return x; }
__device__ float to_float(__half x) { return __half2float(x); }
template <typename T>
__device__ T from_float(float x);
template <>
__device__ float from_float<float>(float x) { return x; }
template <>
__device__ __half from_float<__half>(float x) { return __float2half_rn(x); }

// One 32x32 tile of each image's [rows, cols] matrix, transposed into [cols, rows]
// through shared memory so both the reads and the writes are coalesced.
template <typename In, typename Out>
__global__ void transpose_tiles(const In* in, Out* out, int64_t rows, int64_t cols) {
  __shared__ float tile[kTile][kTile + 1];
  const int64_t image = blockIdx.z;
  const In* src = in + image * rows * cols;
  Out* dst = out + image * rows * cols;
  const int64_t r0 = int64_t(blockIdx.y) * kTile, c0 = int64_t(blockIdx.x) * kTile;
  for (int dy = threadIdx.y; dy < kTile; dy += blockDim.y) {
    const int64_t r = r0 + dy, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[dy][threadIdx.x] = to_float(src[r * cols + c]);
  }
  __syncthreads();
  for (int dy = threadIdx.y; dy < kTile; dy += blockDim.y) {
    const int64_t c = c0 + dy, r = r0 + threadIdx.x;
    if (r < rows && c < cols) dst[c * rows + r] = from_float<Out>(tile[threadIdx.x][dy]);
  }
}

template <typename In, typename Out>
cudaError_t launch_transpose(const void* in, void* out, int64_t n, int64_t rows, int64_t cols, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((cols + kTile - 1) / kTile), static_cast<unsigned>((rows + kTile - 1) / kTile),
                  static_cast<unsigned>(n));
  transpose_tiles<In, Out><<<grid, dim3(kTile, 8), 0, stream>>>(static_cast<const In*>(in), static_cast<Out*>(out), rows,
                                                                cols);
  return cudaGetLastError();
}

}  // namespace

cudaError_t reorder_channels(const void* in, bool in_half, void* out, bool out_half, int64_t n, int64_t c, int64_t hw,
                             bool to_channels_last, cudaStream_t stream) {
  if (n * c * hw == 0) return cudaSuccess;
  if (n > 65535) return cudaErrorInvalidValue;
  const int64_t rows = to_channels_last ? c : hw, cols = to_channels_last ? hw : c;
  if (in_half && out_half) return launch_transpose<__half, __half>(in, out, n, rows, cols, stream);
  if (in_half) return launch_transpose<__half, float>(in, out, n, rows, cols, stream);
  if (out_half) return launch_transpose<float, __half>(in, out, n, rows, cols, stream);
  return launch_transpose<float, float>(in, out, n, rows, cols, stream);
}

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
