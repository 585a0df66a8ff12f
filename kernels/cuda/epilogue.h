#pragma once
// The epilogue that the cuDNN convolutions and cuBLASLt products apply when their library
// cannot: a per-channel bias, a same-shape residual and one activation, in place, in one
// pass over the output. Work is enqueued on `stream`.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

enum class Activation : uint8_t { kNone, kRelu, kClip, kLeakyRelu, kSigmoid, kHardSwish, kTanh, kGelu, kGeluTanh };

struct ActivationParams {
  Activation kind = Activation::kNone;
  float alpha = 0.0f;  // LeakyRelu's slope; Clip's lower bound
  float beta = 0.0f;   // Clip's upper bound
};

// The output y (n elements of `type`, kFloat or kHalf) seen as [outer, channels, inner]
// (NCHW: inner H * W; NHWC and matrices: inner 1).
struct EpilogueArgs {
  NumType type = NumType::kFloat;
  void* y = nullptr;
  int64_t n = 0;
  int64_t channels = 1, inner = 1;
  const void* bias = nullptr;      // [channels] of `type`, or null
  const void* residual = nullptr;  // like y, or null; must not alias y
  ActivationParams act;
};

// y[i] = act(y[i] + bias[(i / inner) % channels] + residual[i]), computed in float.
cudaError_t apply_epilogue(const EpilogueArgs& args, cudaStream_t stream);

}  // namespace graft::cuda
