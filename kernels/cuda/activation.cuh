#pragma once
// The fusable activations (epilogue.h's Activation) on the device, computed in float; shared
// by the epilogue pass and the kernels that apply their own epilogue (depthwise conv).
#include <cuda_runtime.h>

#include <type_traits>

#include "kernels/cuda/epilogue.h"

namespace graft::cuda {

template <Activation A>
__device__ __forceinline__ float activate(float x, const ActivationParams& p) {
  if constexpr (A == Activation::kRelu) return x > 0.0f ? x : 0.0f;
  if constexpr (A == Activation::kClip) {
    const float t = x < p.alpha ? p.alpha : x;
    return t > p.beta ? p.beta : t;  // min > max gives max, as the CPU kernel does
  }
  if constexpr (A == Activation::kLeakyRelu) return x >= 0.0f ? x : p.alpha * x;
  if constexpr (A == Activation::kSigmoid) return 1.0f / (1.0f + expf(-x));
  if constexpr (A == Activation::kHardSwish) return x * fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f);
  if constexpr (A == Activation::kTanh) return tanhf(x);
  if constexpr (A == Activation::kGelu) return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  if constexpr (A == Activation::kGeluTanh) {
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

// Calls f(std::integral_constant<Activation, kind>{}) and returns what it returns.
template <typename F>
cudaError_t dispatch_activation_kind(Activation kind, F&& f) {
  switch (kind) {
    case Activation::kNone: return f(std::integral_constant<Activation, Activation::kNone>{});
    case Activation::kRelu: return f(std::integral_constant<Activation, Activation::kRelu>{});
    case Activation::kClip: return f(std::integral_constant<Activation, Activation::kClip>{});
    case Activation::kLeakyRelu: return f(std::integral_constant<Activation, Activation::kLeakyRelu>{});
    case Activation::kSigmoid: return f(std::integral_constant<Activation, Activation::kSigmoid>{});
    case Activation::kHardSwish: return f(std::integral_constant<Activation, Activation::kHardSwish>{});
    case Activation::kTanh: return f(std::integral_constant<Activation, Activation::kTanh>{});
    case Activation::kGelu: return f(std::integral_constant<Activation, Activation::kGelu>{});
    case Activation::kGeluTanh: return f(std::integral_constant<Activation, Activation::kGeluTanh>{});
  }
  return cudaErrorInvalidValue;
}

}  // namespace graft::cuda
