#pragma once
// Storage conversions the engine inserts between layers that store a tensor differently
// (float32 <-> float16), and plain copies. Work is enqueued on `stream`.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace graft::cuda {

cudaError_t convert_f32_to_f16(const float* in, void* out, int64_t n, cudaStream_t stream);
cudaError_t convert_f16_to_f32(const void* in, float* out, int64_t n, cudaStream_t stream);

// Reorders n images of [c, hw] (NCHW) into [hw, c] (NHWC), or back with to_channels_last
// false, converting float32 <-> float16 on the way when the flags differ.
cudaError_t reorder_channels(const void* in, bool in_half, void* out, bool out_half, int64_t n, int64_t c, int64_t hw,
                             bool to_channels_last, cudaStream_t stream);

}  // namespace graft::cuda
