#include "kernels/cuda/matmul.h"

#include <cuda_fp16.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"

namespace graft::cuda {
namespace {

template <typename T>
__global__ void broadcast_matrix_kernel(const T* src, int64_t row_stride, int64_t col_stride, T* dst, int64_t cols,
                                        int64_t n, float scale) {
  for (int64_t i = grid_first<int64_t>(); i < n; i += grid_step<int64_t>()) {
    dst[i] = from_acc<T>(scale * to_acc<float>(src[i / cols * row_stride + i % cols * col_stride]));
  }
}

template <typename T>
cudaError_t launch(const MatrixBroadcast& b, cudaStream_t stream) {
  const int64_t n = b.rows * b.cols;
  if (n == 0) return cudaSuccess;
  broadcast_matrix_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<const T*>(b.src), b.row_stride, b.col_stride,
                                                              static_cast<T*>(b.dst), b.cols, n, b.scale);
  return cudaGetLastError();
}

}  // namespace

cudaError_t broadcast_matrix(const MatrixBroadcast& b, cudaStream_t stream) {
  switch (b.type) {
    case NumType::kFloat: return launch<float>(b, stream);
    case NumType::kHalf: return launch<__half>(b, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace graft::cuda
