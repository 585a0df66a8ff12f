#pragma once
// The element types that CUDA kernels compute with (as opposed to merely move), named
// without graft's IR types so launcher headers can take them. float32 tensors stored as
// float16 at FP16 arrive as kHalf.
#include <cstdint>

namespace graft::cuda {

enum class NumType : uint8_t { kFloat, kHalf, kDouble, kInt8, kUint8, kInt16, kInt32, kInt64, kBool };

}  // namespace graft::cuda
