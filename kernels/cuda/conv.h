#pragma once
// Data movement around the cuDNN convolutions. Work is enqueued on `stream`.
#include <array>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// `planes` planes of up to 3 spatial dims (fewer: leading 1s), elements of `type` (kFloat
// or kHalf): dst[p][i] = src[p][i + offset] where that lies inside src, else 0. Pads a
// convolution's input (negative offsets) and crops a transposed one's output (positive).
struct WindowCopy {
  NumType type = NumType::kFloat;
  int64_t planes = 0;
  const void* src = nullptr;
  std::array<int64_t, 3> src_dims{1, 1, 1};
  void* dst = nullptr;
  std::array<int64_t, 3> dst_dims{1, 1, 1};
  std::array<int64_t, 3> offset{0, 0, 0};
};

cudaError_t copy_window(const WindowCopy& w, cudaStream_t stream);

}  // namespace graft::cuda
