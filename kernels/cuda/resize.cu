// Resize kernels (resize.h): one thread per output element; taps from resize_math.h.
#include <cuda_fp16.h>

#include <cstring>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/resize.h"
#include "kernels/cuda/resize_math.h"

namespace graft::cuda {
namespace {

namespace rm = resize_math;

struct NearestAxes {
  int rank = 0;
  ResizeAxis axis[kMaxResizeRank];
  int64_t in_stride[kMaxResizeRank];
};

template <typename T>
__global__ void nearest_kernel(const T* x, T* y, NearestAxes g, ResizeParams p, T extrapolation, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    int64_t rest = e, off = 0;
    bool out = false;
    for (int d = g.rank - 1; d >= 0; --d) {
      const ResizeAxis& a = g.axis[d];
      const int64_t j = rest % a.out;
      rest /= a.out;
      if (a.identity) {
        off += j * g.in_stride[d];
        continue;
      }
      const double xc = rm::source_coord(p, a, static_cast<double>(j));
      out = out || rm::outside(p, a, xc);
      off += rm::nearest_index(p, a, xc) * g.in_stride[d];
    }
    y[e] = out ? extrapolation : x[off];
  }
}

// One separable pass: src [outer, a.in, inner] -> dst [outer, a.out, inner], weights in
// double cast to A, accumulated in A in tap order (zero weights skipped), as the CPU does.
template <typename In, typename Out, typename A>
__global__ void filter_kernel(const In* src, Out* dst, ResizeAxis a, ResizeParams p, int64_t inner, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    const int64_t i = e % inner, t = e / inner, j = t % a.out, o = t / a.out;
    const rm::Taps taps = rm::taps(p, a, j);
    if (taps.extrapolate) {
      dst[e] = from_acc<Out>(static_cast<A>(p.extrapolation));
      continue;
    }
    const In* s = src + o * a.in * inner + i;
    A acc = 0;
    for (int k = 0; k < taps.n; ++k) {
      const A w = static_cast<A>(rm::weight(p, taps, k, a.in));
      if (w == A(0)) continue;
      acc += w * to_acc<A>(s[rm::tap_index(taps, k, a.in) * inner]);
    }
    dst[e] = from_acc<Out>(acc);
  }
}

template <typename F>
cudaError_t dispatch_size(size_t elem_size, F&& f) {
  switch (elem_size) {
    case 1: return f(uint8_t{});
    case 2: return f(uint16_t{});
    case 4: return f(uint32_t{});
    case 8: return f(uint64_t{});
  }
  return cudaErrorNotSupported;
}

int64_t numel(const std::vector<ResizeAxis>& axes, bool out) {
  int64_t n = 1;
  for (const ResizeAxis& a : axes) n *= out ? a.out : a.in;
  return n;
}

// Elements of the largest intermediate result (after every pass but the last).
int64_t largest_intermediate(const std::vector<ResizeAxis>& axes, const std::vector<int>& order) {
  std::vector<int64_t> dims;
  for (const ResizeAxis& a : axes) dims.push_back(a.in);
  int64_t largest = 0;
  for (size_t k = 0; k + 1 < order.size(); ++k) {
    dims[order[k]] = axes[order[k]].out;
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    largest = n > largest ? n : largest;
  }
  return largest;
}

constexpr size_t kAlign = 256;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

size_t acc_size(NumType type) {
  return type == NumType::kDouble || type == NumType::kInt32 || type == NumType::kInt64 ? sizeof(double) : sizeof(float);
}

template <typename T>
cudaError_t run_passes(const T* x, T* y, const std::vector<ResizeAxis>& axes, const std::vector<int>& order,
                       const ResizeParams& p, void* workspace, cudaStream_t stream) {
  using A = acc_t<T>;
  const size_t buffer = aligned(static_cast<size_t>(largest_intermediate(axes, order)) * sizeof(A));
  A* buffers[2] = {static_cast<A*>(workspace), reinterpret_cast<A*>(static_cast<char*>(workspace) + buffer)};
  std::vector<int64_t> dims;
  for (const ResizeAxis& a : axes) dims.push_back(a.in);
  for (size_t k = 0; k < order.size(); ++k) {
    const int axis = order[k];
    const ResizeAxis& a = axes[axis];
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= dims[d];
    for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
    const int64_t n = outer * a.out * inner;
    const bool first = k == 0, last = k + 1 == order.size();
    const A* from = first ? nullptr : buffers[(k - 1) % 2];
    A* to = last ? nullptr : buffers[k % 2];
    const unsigned blocks = grid_blocks(n);
    if (first && last) filter_kernel<T, T, A><<<blocks, kBlockThreads, 0, stream>>>(x, y, a, p, inner, n);
    else if (first) filter_kernel<T, A, A><<<blocks, kBlockThreads, 0, stream>>>(x, to, a, p, inner, n);
    else if (last) filter_kernel<A, T, A><<<blocks, kBlockThreads, 0, stream>>>(from, y, a, p, inner, n);
    else filter_kernel<A, A, A><<<blocks, kBlockThreads, 0, stream>>>(from, to, a, p, inner, n);
    if (const cudaError_t err = cudaGetLastError(); err != cudaSuccess) return err;
    dims[axis] = a.out;
  }
  return cudaSuccess;
}

}  // namespace

cudaError_t resize_nearest(const void* x, void* y, const std::vector<ResizeAxis>& axes, const ResizeParams& p,
                           uint64_t extrapolation_bits, size_t elem_size, cudaStream_t stream) {
  if (axes.size() > static_cast<size_t>(kMaxResizeRank)) return cudaErrorNotSupported;
  const int64_t n = numel(axes, true);
  if (n == 0) return cudaSuccess;
  NearestAxes g;
  g.rank = static_cast<int>(axes.size());
  int64_t stride = 1;
  for (int d = g.rank - 1; d >= 0; --d) {
    g.axis[d] = axes[d];
    g.in_stride[d] = stride;
    stride *= axes[d].in;
  }
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    T extrapolation;
    std::memcpy(&extrapolation, &extrapolation_bits, sizeof(T));
    nearest_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), g, p,
                                                                      extrapolation, n);
    return cudaGetLastError();
  });
}

size_t resize_filter_workspace(NumType type, const std::vector<ResizeAxis>& axes, const std::vector<int>& order) {
  const size_t buffers = order.size() > 2 ? 2 : (order.size() == 2 ? 1 : 0);
  return buffers * aligned(static_cast<size_t>(largest_intermediate(axes, order)) * acc_size(type));
}

cudaError_t resize_filter(const void* x, NumType type, void* y, const std::vector<ResizeAxis>& axes,
                          const std::vector<int>& order, const ResizeParams& p, void* workspace, cudaStream_t stream) {
  const int64_t n = numel(axes, true);
  if (n == 0) return cudaSuccess;
  return dispatch_num(type, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return cudaErrorNotSupported;
    } else if (order.empty()) {
      return cudaMemcpyAsync(y, x, static_cast<size_t>(n) * sizeof(T), cudaMemcpyDeviceToDevice, stream);
    } else {
      return run_passes<T>(static_cast<const T*>(x), static_cast<T*>(y), axes, order, p, workspace, stream);
    }
  });
}

}  // namespace graft::cuda
