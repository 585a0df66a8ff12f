#pragma once
// Data movement around the cuBLASLt products. Work is enqueued on `stream`.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// dst[r][c] = scale * src[r * row_stride + c * col_stride] for a rows x cols dst of `type`
// (kFloat or kHalf): Gemm's C broadcast to [M, N] (strides 0 where C has size 1).
struct MatrixBroadcast {
  NumType type = NumType::kFloat;
  const void* src = nullptr;
  int64_t row_stride = 0, col_stride = 0;
  void* dst = nullptr;
  int64_t rows = 0, cols = 0;
  float scale = 1.0f;
};

cudaError_t broadcast_matrix(const MatrixBroadcast& b, cudaStream_t stream);

}  // namespace graft::cuda
