#include "kernels/cuda/epilogue.h"

#include <cuda_fp16.h>

#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/pack.cuh"

namespace graft::cuda {
namespace {

template <typename T, int V, Activation A, typename Index>
__global__ void epilogue_kernel(T* y, Index n, Index channels, Index inner, const T* bias, const T* residual,
                                ActivationParams p) {
  const Index step = grid_step<Index>() * V;
  for (Index i = grid_first<Index>() * V; i < n; i += step) {
    Pack<T, V> out = *reinterpret_cast<const Pack<T, V>*>(y + i);
    Pack<T, V> res;
    if (residual) res = *reinterpret_cast<const Pack<T, V>*>(residual + i);
    // The channel of element i and how many elements of it remain from i on; stepped
    // along the pack rather than divided out per element.
    Index c = (i / inner) % channels, left = inner - i % inner;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      float x = to_acc<float>(out.v[k]);
      if (bias) x += to_acc<float>(bias[c]);
      if (residual) x += to_acc<float>(res.v[k]);
      out.v[k] = from_acc<T>(activate<A>(x, p));
      if (--left == 0) {
        left = inner;
        if (++c == channels) c = 0;
      }
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
  return dispatch_activation_kind(a.act.kind, [&](auto kind) { return launch<T, V, decltype(kind)::value>(a, stream); });
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
