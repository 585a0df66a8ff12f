#include "kernels/cuda/epilogue.h"

#include <cuda_fp16.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"

namespace graft::cuda {
namespace {

template <Activation A>
__device__ float activate(float x, const ActivationParams& p) {
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

// V consecutive elements, loaded and stored as one access.
template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

template <typename T, int V, Activation A, typename Index>
__global__ void epilogue_kernel(T* y, Index n, Index channels, Index inner, const T* bias, const T* residual,
                                ActivationParams p) {
  const Index step = grid_step<Index>() * V;
  for (Index i = grid_first<Index>() * V; i < n; i += step) {
    Pack<T, V> out = *reinterpret_cast<const Pack<T, V>*>(y + i);
    Pack<T, V> res;
    if (residual) res = *reinterpret_cast<const Pack<T, V>*>(residual + i);
#pragma unroll
    for (int k = 0; k < V; ++k) {
      float x = to_acc<float>(out.v[k]);
      if (bias) x += to_acc<float>(bias[((i + k) / inner) % channels]);
      if (residual) x += to_acc<float>(res.v[k]);
      out.v[k] = from_acc<T>(activate<A>(x, p));
    }
    *reinterpret_cast<Pack<T, V>*>(y + i) = out;
  }
}

template <typename T, int V, Activation A>
cudaError_t launch(const EpilogueArgs& a, cudaStream_t stream) {
  const unsigned blocks = grid_blocks(a.n / V);
  T* y = static_cast<T*>(a.y);
  const T* bias = static_cast<const T*>(a.bias);
  const T* res = static_cast<const T*>(a.residual);
  // 32-bit indices while i + step (below 2n) stays in range.
  if (a.n < (int64_t(1) << 30)) {
    epilogue_kernel<T, V, A, int32_t><<<blocks, kBlockThreads, 0, stream>>>(y, int32_t(a.n), int32_t(a.channels),
                                                                        int32_t(a.inner), bias, res, a.act);
  } else {
    epilogue_kernel<T, V, A, int64_t><<<blocks, kBlockThreads, 0, stream>>>(y, a.n, a.channels, a.inner, bias, res, a.act);
  }
  return cudaGetLastError();
}

template <typename T, int V>
cudaError_t dispatch_activation(const EpilogueArgs& a, cudaStream_t stream) {
  switch (a.act.kind) {
    case Activation::kNone: return launch<T, V, Activation::kNone>(a, stream);
    case Activation::kRelu: return launch<T, V, Activation::kRelu>(a, stream);
    case Activation::kClip: return launch<T, V, Activation::kClip>(a, stream);
    case Activation::kLeakyRelu: return launch<T, V, Activation::kLeakyRelu>(a, stream);
    case Activation::kSigmoid: return launch<T, V, Activation::kSigmoid>(a, stream);
    case Activation::kHardSwish: return launch<T, V, Activation::kHardSwish>(a, stream);
    case Activation::kTanh: return launch<T, V, Activation::kTanh>(a, stream);
    case Activation::kGelu: return launch<T, V, Activation::kGelu>(a, stream);
    case Activation::kGeluTanh: return launch<T, V, Activation::kGeluTanh>(a, stream);
  }
  return cudaErrorInvalidValue;
}

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// 16-byte accesses where the size and the pointers allow, else one element at a time.
template <typename T>
cudaError_t dispatch_width(const EpilogueArgs& a, cudaStream_t stream) {
  constexpr int kWide = 16 / sizeof(T);
  const bool wide = a.n % kWide == 0 && aligned(a.y, 16) && (!a.residual || aligned(a.residual, 16));
  return wide ? dispatch_activation<T, kWide>(a, stream) : dispatch_activation<T, 1>(a, stream);
}

}  // namespace

cudaError_t apply_epilogue(const EpilogueArgs& args, cudaStream_t stream) {
  if (args.n == 0) return cudaSuccess;
  switch (args.type) {
    case NumType::kFloat: return dispatch_width<float>(args, stream);
    case NumType::kHalf: return dispatch_width<__half>(args, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace graft::cuda
