#pragma once
// Elementwise CUDA kernels. Pointers are device pointers; work is enqueued on `stream`.
#include <cstddef>

#ifdef GRAFT_WITH_CUDA
#include <cuda_runtime_api.h>

namespace graft::cuda {

// c[i] = a[i] + b[i] for i < n.
cudaError_t add_f32(const float* a, const float* b, float* c, size_t n, cudaStream_t stream);

}  // namespace graft::cuda
#endif
