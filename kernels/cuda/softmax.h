#pragma once
// Softmax, LogSoftmax and Hardmax along the middle dim of an [outer, n, inner] view of a
// contiguous tensor of float, half or double (computed in float; double in double). Work
// is enqueued on `stream`; the launcher returns the launch error.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

enum class SoftmaxKind : uint8_t { kSoftmax, kLogSoftmax, kHardmax };

// Hardmax marks the first greatest element of each line (NaNs never; element 0 when none
// is greater than -inf).
cudaError_t softmax(SoftmaxKind kind, NumType type, const void* x, void* y, int64_t outer, int64_t n, int64_t inner,
                    cudaStream_t stream);

}  // namespace graft::cuda
