#include "kernels/cuda/conv.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/pack.cuh"

namespace graft::cuda {
namespace {

template <typename T>
__global__ void copy_window_kernel(const T* src, int64_t sd, int64_t sh, int64_t sw, T* dst, int64_t dd, int64_t dh,
                                   int64_t dw, int64_t od, int64_t oh, int64_t ow, int64_t inner, int64_t n) {
  for (int64_t i = grid_first<int64_t>(); i < n; i += grid_step<int64_t>()) {
    const int64_t c = i % inner, pos = i / inner;
    const int64_t x = pos % dw, y = pos / dw % dh, z = pos / (dw * dh) % dd, p = pos / (dw * dh * dd);
    const int64_t sx = x + ow, sy = y + oh, sz = z + od;
    const bool inside = sx >= 0 && sx < sw && sy >= 0 && sy < sh && sz >= 0 && sz < sd;
    dst[i] = inside ? src[(((p * sd + sz) * sh + sy) * sw + sx) * inner + c] : T(0.0f);
  }
}

template <typename T>
cudaError_t launch(const WindowCopy& w, cudaStream_t stream) {
  const int64_t n = w.planes * w.dst_dims[0] * w.dst_dims[1] * w.dst_dims[2] * w.inner;
  if (n == 0) return cudaSuccess;
  copy_window_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
      static_cast<const T*>(w.src), w.src_dims[0], w.src_dims[1], w.src_dims[2], static_cast<T*>(w.dst), w.dst_dims[0],
      w.dst_dims[1], w.dst_dims[2], w.offset[0], w.offset[1], w.offset[2], w.inner, n);
  return cudaGetLastError();
}

// The window geometry in the kernel's index type.
template <typename Index>
struct DepthwiseShape {
  Index packs, in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
};

// One thread per V channels of one output position: consecutive threads take consecutive
// channels, so each tap is one coalesced row read (the taps' overlap hits in cache).
template <typename T, int V, Activation A, typename Index>
__global__ void depthwise_nhwc_kernel(const T* x, const T* w, const T* bias, const T* residual, T* y,
                                      DepthwiseShape<Index> s, Index items, ActivationParams p) {
  const Index channels = s.packs * V;
  for (Index i = grid_first<Index>(); i < items; i += grid_step<Index>()) {
    const Index c = i % s.packs * V;
    Index pos = i / s.packs;
    const Index ox = pos % s.out_w;
    pos /= s.out_w;
    const Index oy = pos % s.out_h, b = pos / s.out_h;
    float acc[V] = {};
    const Index y0 = oy * s.stride_h - s.pad_h, x0 = ox * s.stride_w - s.pad_w;
    for (Index ky = 0; ky < s.kernel_h; ++ky) {
      const Index iy = y0 + ky * s.dil_h;
      if (iy < 0 || iy >= s.in_h) continue;
      const T* row = x + (b * s.in_h + iy) * s.in_w * channels + c;
      const T* taps = w + ky * s.kernel_w * channels + c;
      for (Index kx = 0; kx < s.kernel_w; ++kx) {
        const Index ix = x0 + kx * s.dil_w;
        if (ix < 0 || ix >= s.in_w) continue;
        const Pack<T, V> xv = *reinterpret_cast<const Pack<T, V>*>(row + ix * channels);
        const Pack<T, V> wv = *reinterpret_cast<const Pack<T, V>*>(taps + kx * channels);
#pragma unroll
        for (int k = 0; k < V; ++k) acc[k] += to_acc<float>(xv.v[k]) * to_acc<float>(wv.v[k]);
      }
    }
    // Output element offset: ((b * out_h + oy) * out_w + ox) * channels + c.
    const Index at = i * V;
    Pack<T, V> bv, rv, out;
    if (bias) bv = *reinterpret_cast<const Pack<T, V>*>(bias + c);
    if (residual) rv = *reinterpret_cast<const Pack<T, V>*>(residual + at);
#pragma unroll
    for (int k = 0; k < V; ++k) {
      float v = acc[k];
      if (bias) v += to_acc<float>(bv.v[k]);
      if (residual) v += to_acc<float>(rv.v[k]);
      out.v[k] = from_acc<T>(activate<A>(v, p));
    }
    *reinterpret_cast<Pack<T, V>*>(y + at) = out;
  }
}

template <typename T, int V, Activation A, typename Index>
cudaError_t launch_depthwise(const DepthwiseConv& d, cudaStream_t stream) {
  const DepthwiseShape<Index> s{Index(d.channels / V), Index(d.in_h),     Index(d.in_w),     Index(d.out_h),
                                Index(d.out_w),        Index(d.kernel_h), Index(d.kernel_w), Index(d.stride_h),
                                Index(d.stride_w),     Index(d.dil_h),    Index(d.dil_w),    Index(d.pad_h),
                                Index(d.pad_w)};
  const int64_t items = d.batch * d.out_h * d.out_w * (d.channels / V);
  depthwise_nhwc_kernel<T, V, A, Index><<<grid_blocks(items), kBlockThreads, 0, stream>>>(
      static_cast<const T*>(d.x), static_cast<const T*>(d.w), static_cast<const T*>(d.bias),
      static_cast<const T*>(d.residual), static_cast<T*>(d.y), s, Index(items), d.act);
  return cudaGetLastError();
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T>
cudaError_t dispatch_depthwise(const DepthwiseConv& d, cudaStream_t stream) {
  constexpr int kWide = 16 / sizeof(T);
  const bool wide = d.channels % kWide == 0 && aligned16(d.x) && aligned16(d.w) && aligned16(d.y) &&
                    (!d.bias || aligned16(d.bias)) && (!d.residual || aligned16(d.residual));
  // 32-bit indices while every offset (below the larger tensor's size, plus a grid step)
  // stays in range.
  const int64_t largest = std::max(d.in_h * d.in_w, d.out_h * d.out_w) * d.batch * d.channels;
  const bool small = largest < (int64_t(1) << 30);
  return dispatch_activation_kind(d.act.kind, [&](auto kind) {
    constexpr Activation A = decltype(kind)::value;
    if (wide) return small ? launch_depthwise<T, kWide, A, int32_t>(d, stream) : launch_depthwise<T, kWide, A, int64_t>(d, stream);
    return small ? launch_depthwise<T, 1, A, int32_t>(d, stream) : launch_depthwise<T, 1, A, int64_t>(d, stream);
  });
}

}  // namespace

cudaError_t depthwise_conv_nhwc(const DepthwiseConv& d, cudaStream_t stream) {
  if (d.batch * d.channels * d.out_h * d.out_w == 0) return cudaSuccess;
  switch (d.type) {
    case NumType::kFloat: return dispatch_depthwise<float>(d, stream);
    case NumType::kHalf: return dispatch_depthwise<__half>(d, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t copy_window(const WindowCopy& w, cudaStream_t stream) {
  switch (w.type) {
    case NumType::kFloat: return launch<float>(w, stream);
    case NumType::kHalf: return launch<__half>(w, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace graft::cuda
