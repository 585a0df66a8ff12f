#include "kernels/cuda/softmax.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <limits>
#include <type_traits>

#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/row_group.cuh"

namespace graft::cuda {
namespace {

// outer * inner lines of n elements, `inner` apart; `group` threads per line.
struct Lines {
  int64_t count = 0;
  int64_t n = 0, inner = 1;
  int group = 1;
  int64_t tiles = 0;
};

template <typename C>
struct Top {
  C value;
  int64_t index;  // n: no element above -inf
};

// The greater value; among equals, the first.
struct HigherFirst {
  template <typename C>
  __device__ Top<C> operator()(Top<C> a, Top<C> b) const {
    return b.value > a.value || (b.value == a.value && b.index < a.index) ? b : a;
  }
};

struct MaxFold {
  template <typename C>
  __device__ C operator()(C a, C b) const { return b > a ? b : a; }
};

// Hardmax: a one-hot at the first greatest element (NaNs skipped, as the CPU's `v > top`).
template <typename Slice, typename T>
__device__ void hardmax_line(Slice& row, T* out, int64_t n, int group) {
  using C = typename Slice::Value;
  Top<C> top{-std::numeric_limits<C>::infinity(), n};
  row.for_each([&](C* v, int64_t j) {
    for (int k = 0; k < Slice::kVec; ++k) {
      if (v[k] > top.value) top = {v[k], j + k};
    }
  });
  top = group_reduce(top, group, HigherFirst{});
  const int64_t at = top.index == n ? 0 : top.index;
  row.for_each([&](C*, int64_t j) {
    C h[Slice::kVec];
    for (int k = 0; k < Slice::kVec; ++k) h[k] = j + k == at ? C(1) : C(0);
    row.store(out, j, h);
  });
}

// Softmax sums exp(x - max) and scales (the exponentials kept when the row is cached),
// LogSoftmax subtracts max + log(sum). NaNs are skipped in the max, as the CPU's `v > top`.
template <typename T, int kVec, int kIters>
__global__ void __launch_bounds__(kMaxRowGroup) softmax_kernel(const T* x, T* y, Lines lines, SoftmaxKind kind) {
  using C = compute_t<T>;
  using Slice = RowSlice<T, C, kVec, kIters>;
  const int lane = threadIdx.x % lines.group;
  const int rows = blockDim.x / lines.group;
  for (int64_t tile = blockIdx.x; tile < lines.tiles; tile += gridDim.x) {
    const int64_t line = tile * rows + threadIdx.x / lines.group;
    const bool valid = line < lines.count;
    const int64_t base = !valid ? 0 : lines.inner == 1 ? line * lines.n
                                                       : line / lines.inner * lines.n * lines.inner + line % lines.inner;
    Slice row(x + base, valid ? lines.n : 0, lines.inner, lane, lines.group);
    T* out = y + base;
    if (kind == SoftmaxKind::kHardmax) {
      hardmax_line(row, out, lines.n, lines.group);
      continue;
    }
    C m = -std::numeric_limits<C>::infinity();
    row.for_each([&](C* v, int64_t) {
      for (int k = 0; k < kVec; ++k) m = v[k] > m ? v[k] : m;
    });
    m = group_reduce(m, lines.group, MaxFold{});
    C sum = 0;
    row.for_each([&](C* v, int64_t) {
      for (int k = 0; k < kVec; ++k) {
        const C e = exp_of(v[k] - m);
        sum += e;
        if constexpr (Slice::kCached) {
          if (kind == SoftmaxKind::kSoftmax) v[k] = e;
        }
      }
    });
    sum = group_reduce(sum, lines.group, Plus{});
    if (kind == SoftmaxKind::kSoftmax) {
      const C scale = C(1) / sum;
      row.for_each([&](C* v, int64_t j) {
        C o[kVec];
        for (int k = 0; k < kVec; ++k) o[k] = (Slice::kCached ? v[k] : exp_of(v[k] - m)) * scale;
        row.store(out, j, o);
      });
    } else {
      const C shift = m + log_of(sum);
      row.for_each([&](C* v, int64_t j) {
        C o[kVec];
        for (int k = 0; k < kVec; ++k) o[k] = v[k] - shift;
        row.store(out, j, o);
      });
    }
  }
}

template <typename T, int kVec>
cudaError_t launch(SoftmaxKind kind, const T* x, T* y, Lines lines, int iters, cudaStream_t stream) {
  return dispatch_iters(iters, [&](auto kIters) {
    softmax_kernel<T, kVec, decltype(kIters)::value>
        <<<row_grid(lines.tiles), row_block_threads(lines.group), 0, stream>>>(x, y, lines, kind);
    return cudaGetLastError();
  });
}

template <typename T>
cudaError_t softmax_typed(SoftmaxKind kind, const T* x, T* y, int64_t outer, int64_t n, int64_t inner,
                          cudaStream_t stream) {
  if (outer == 0 || n == 0 || inner == 0) return cudaSuccess;
  constexpr int kPack = 16 / sizeof(T);
  const bool packed = inner == 1 && n % kPack == 0 && pack_aligned<T, kPack>(x) && pack_aligned<T, kPack>(y);
  // Lines along a strided axis take a thread each, so that neighbouring threads read
  // neighbouring elements.
  const RowGeometry g = row_geometry(n, packed ? kPack : 1, inner == 1 ? kMaxRowGroup : 1);
  Lines lines{outer * inner, n, inner, g.group, 0};
  lines.tiles = (lines.count + rows_per_block(g.group) - 1) / rows_per_block(g.group);
  if (packed) return launch<T, kPack>(kind, x, y, lines, g.iters, stream);
  return launch<T, 1>(kind, x, y, lines, g.iters, stream);
}

}  // namespace

cudaError_t softmax(SoftmaxKind kind, NumType type, const void* x, void* y, int64_t outer, int64_t n, int64_t inner,
                    cudaStream_t stream) {
  return dispatch_float_num(type, [&](auto tag) {
    using T = decltype(tag);
    return softmax_typed(kind, static_cast<const T*>(x), static_cast<T*>(y), outer, n, inner, stream);
  });
}

}  // namespace graft::cuda
