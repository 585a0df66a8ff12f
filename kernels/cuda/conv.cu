#include "kernels/cuda/conv.h"

#include <cuda_fp16.h>

#include "kernels/cuda/launch.cuh"

namespace graft::cuda {
namespace {

template <typename T>
__global__ void copy_window_kernel(const T* src, int64_t sd, int64_t sh, int64_t sw, T* dst, int64_t dd, int64_t dh,
                                   int64_t dw, int64_t od, int64_t oh, int64_t ow, int64_t n) {
  for (int64_t i = grid_first<int64_t>(); i < n; i += grid_step<int64_t>()) {
    const int64_t x = i % dw, y = i / dw % dh, z = i / (dw * dh) % dd, p = i / (dw * dh * dd);
    const int64_t sx = x + ow, sy = y + oh, sz = z + od;
    const bool inside = sx >= 0 && sx < sw && sy >= 0 && sy < sh && sz >= 0 && sz < sd;
    dst[i] = inside ? src[((p * sd + sz) * sh + sy) * sw + sx] : T(0.0f);
  }
}

template <typename T>
cudaError_t launch(const WindowCopy& w, cudaStream_t stream) {
  const int64_t n = w.planes * w.dst_dims[0] * w.dst_dims[1] * w.dst_dims[2];
  if (n == 0) return cudaSuccess;
  copy_window_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
      static_cast<const T*>(w.src), w.src_dims[0], w.src_dims[1], w.src_dims[2], static_cast<T*>(w.dst), w.dst_dims[0],
      w.dst_dims[1], w.dst_dims[2], w.offset[0], w.offset[1], w.offset[2], n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t copy_window(const WindowCopy& w, cudaStream_t stream) {
  switch (w.type) {
    case NumType::kFloat: return launch<float>(w, stream);
    case NumType::kHalf: return launch<__half>(w, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace graft::cuda
