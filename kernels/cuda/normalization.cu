#include "kernels/cuda/normalization.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <type_traits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/row_group.cuh"
#include "kernels/cuda/strided_index.cuh"

namespace graft::cuda {
namespace {

struct RowNormGeometry {
  int64_t rows = 0, cols = 0, groups = 1;
  int64_t scale_span = 1, bias_span = 1;
  double epsilon = 0;
  int group = 1;
  int64_t tiles = 0;
};

// kVec values of parameter p for row elements first .. first + kVec - 1 (see NormParam).
template <typename T, typename C, int kVec>
__device__ void load_param(const T* p, int64_t span, int64_t first, C* out) {
  if (!p) {
    for (int k = 0; k < kVec; ++k) out[k] = C(0);
  } else if (span == 1) {
    if constexpr (kVec > 1) load_pack<T, C, kVec>(p + first, out);
    else out[0] = convert<C>(p[first]);
  } else if (span % kVec == 0) {
    const C v = convert<C>(p[first / span]);
    for (int k = 0; k < kVec; ++k) out[k] = v;
  } else {
    for (int k = 0; k < kVec; ++k) out[k] = convert<C>(p[(first + k) / span]);
  }
}

__device__ void store_stat(void* p, NumType type, int64_t i, double v) {
  switch (type) {
    case NumType::kHalf: static_cast<__half*>(p)[i] = __float2half_rn(float(v)); break;
    case NumType::kDouble: static_cast<double*>(p)[i] = v; break;
    default: static_cast<float*>(p)[i] = float(v); break;
  }
}

// Mean and variance in two passes over the row (registers when cached).
template <typename T, int kVec, int kIters>
__global__ void __launch_bounds__(kMaxRowGroup) normalize_rows_kernel(const T* x, const T* scale, const T* bias, T* y, RowNormGeometry g, void* mean_out,
                                      void* inv_std_out, NumType stats_type) {
  using C = compute_t<T>;
  const int lane = threadIdx.x % g.group;
  const int rows = blockDim.x / g.group;
  for (int64_t tile = blockIdx.x; tile < g.tiles; tile += gridDim.x) {
    const int64_t row = tile * rows + threadIdx.x / g.group;
    const bool valid = row < g.rows;
    RowSlice<T, C, kVec, kIters> s(x + (valid ? row * g.cols : 0), valid ? g.cols : 0, 1, lane, g.group);
    C sum = 0;
    s.for_each([&](C* v, int64_t) {
      for (int k = 0; k < kVec; ++k) sum += v[k];
    });
    const C mean = group_reduce(sum, g.group, Plus{}) / C(g.cols);
    C squares = 0;
    s.for_each([&](C* v, int64_t) {
      for (int k = 0; k < kVec; ++k) squares += (v[k] - mean) * (v[k] - mean);
    });
    const C var = group_reduce(squares, g.group, Plus{}) / C(g.cols);
    const C inv_std = C(1) / sqrt_of(C(var + C(g.epsilon)));
    if (valid && lane == 0) {
      if (mean_out) store_stat(mean_out, stats_type, row, mean);
      if (inv_std_out) store_stat(inv_std_out, stats_type, row, inv_std);
    }
    const int64_t first = row % g.groups * g.cols;
    T* out = y + row * g.cols;
    s.for_each([&](C* v, int64_t j) {
      C a[kVec], b[kVec], o[kVec];
      load_param<T, C, kVec>(scale, g.scale_span, first + j, a);
      load_param<T, C, kVec>(bias, g.bias_span, first + j, b);
      for (int k = 0; k < kVec; ++k) o[k] = (v[k] - mean) * inv_std * a[k] + b[k];
      s.store(out, j, o);
    });
  }
}

template <typename T>
cudaError_t normalize_rows_typed(const RowNorm& a, cudaStream_t stream) {
  if (a.rows == 0 || a.cols == 0) return cudaSuccess;
  constexpr int kPack = 16 / sizeof(T);
  const bool packed = a.cols % kPack == 0 && pack_aligned<T, kPack>(a.x) && pack_aligned<T, kPack>(a.y) &&
                      (a.scale.span != 1 || pack_aligned<T, kPack>(a.scale.data)) &&
                      (a.bias.span != 1 || pack_aligned<T, kPack>(a.bias.data));
  const RowGeometry rg = row_geometry(a.cols, packed ? kPack : 1);
  RowNormGeometry g{a.rows, a.cols, a.groups, a.scale.span, a.bias.span, a.epsilon, rg.group, 0};
  g.tiles = (a.rows + rows_per_block(rg.group) - 1) / rows_per_block(rg.group);
  const T* x = static_cast<const T*>(a.x);
  const T* scale = static_cast<const T*>(a.scale.data);
  const T* bias = static_cast<const T*>(a.bias.data);
  T* y = static_cast<T*>(a.y);
  auto launch = [&](auto vec) {
    return dispatch_iters(rg.iters, [&](auto iters) {
      normalize_rows_kernel<T, decltype(vec)::value, decltype(iters)::value>
          <<<row_grid(g.tiles), row_block_threads(g.group), 0, stream>>>(x, scale, bias, y, g, a.mean, a.inv_std,
                                                                          a.stats_type);
      return cudaGetLastError();
    });
  };
  if (packed) return launch(std::integral_constant<int, kPack>{});
  return launch(std::integral_constant<int, 1>{});
}

template <typename T, typename A, int kVec>
__global__ void normalize_slots_kernel(const T* x, T* y, int64_t vectors, StridedIndex slots, const A* mean,
                                       const A* scale, const A* bias) {
  for (int64_t v = grid_first<int64_t>(); v < vectors; v += grid_step<int64_t>()) {
    const int64_t i = v * kVec;
    const int64_t k = slots.offset(i);
    const A m = mean[k], s = scale[k], b = bias ? bias[k] : A(0);
    A in[kVec], out[kVec];
    if constexpr (kVec > 1) load_pack<T, A, kVec>(x + i, in);
    else in[0] = convert<A>(x[i]);
    for (int j = 0; j < kVec; ++j) out[j] = (in[j] - m) * s + b;
    if constexpr (kVec > 1) store_pack<T, A, kVec>(y + i, out);
    else y[i] = convert<T>(out[0]);
  }
}

template <typename T>
cudaError_t normalize_slots_typed(const SlotNorm& a, cudaStream_t stream) {
  using A = compute_t<T>;
  int64_t numel = 1;
  for (int64_t d : a.dims) numel *= d;
  if (numel == 0) return cudaSuccess;
  const StridedIndex slots = make_strided_index(a.dims, a.slot_strides);
  // A pack shares one slot when it lies inside a run of elements that do.
  const int64_t run = slots.rank == 0 ? numel : slots.same_offset_run();
  constexpr int kPack = 16 / sizeof(T);
  const bool packed = run % kPack == 0 && pack_aligned<T, kPack>(a.x) && pack_aligned<T, kPack>(a.y);
  auto launch = [&](auto vec) {
    constexpr int kVec = decltype(vec)::value;
    const int64_t vectors = numel / kVec;
    normalize_slots_kernel<T, A, kVec><<<grid_blocks(vectors), kBlockThreads, 0, stream>>>(
        static_cast<const T*>(a.x), static_cast<T*>(a.y), vectors, slots, static_cast<const A*>(a.mean),
        static_cast<const A*>(a.scale), static_cast<const A*>(a.bias));
    return cudaGetLastError();
  };
  if (packed) return launch(std::integral_constant<int, kPack>{});
  return launch(std::integral_constant<int, 1>{});
}

template <typename A>
__device__ __forceinline__ A pow_of(A base, A exponent) {
  if constexpr (std::is_same_v<A, float>) return powf(base, exponent);
  else return A(pow(double(base), double(exponent)));
}

// A thread per element, summing the squares of its channel window (a handful of channels).
template <typename T>
__global__ void local_response_norm_kernel(const T* x, T* y, int64_t channels, int64_t spatial, int64_t before,
                                           int64_t after, compute_t<T> scale, compute_t<T> beta, compute_t<T> bias,
                                           int64_t total) {
  using C = compute_t<T>;
  for (int64_t e = grid_first<int64_t>(); e < total; e += grid_step<int64_t>()) {
    const int64_t c = e / spatial % channels;
    const T* channel0 = x + (e - c * spatial);
    const int64_t lo = c - before > 0 ? c - before : 0, hi = c + after < channels ? c + after : channels - 1;
    C squares = 0;
    for (int64_t k = lo; k <= hi; ++k) {
      const C v = convert<C>(channel0[k * spatial]);
      squares += v * v;
    }
    y[e] = convert<T>(convert<C>(x[e]) / pow_of(C(bias + scale * squares), beta));
  }
}

template <typename T>
cudaError_t local_response_norm_typed(const LocalResponseNorm& a, cudaStream_t stream) {
  using C = compute_t<T>;
  const int64_t total = a.n * a.c * a.s;
  if (total == 0) return cudaSuccess;
  const int64_t before = (a.size - 1) / 2, after = a.size - 1 - before;
  local_response_norm_kernel<T><<<grid_blocks(total), kBlockThreads, 0, stream>>>(
      static_cast<const T*>(a.x), static_cast<T*>(a.y), a.c, a.s, before, after, C(a.alpha / double(a.size)),
      C(a.beta), C(a.bias), total);
  return cudaGetLastError();
}

}  // namespace

cudaError_t normalize_rows(const RowNorm& args, cudaStream_t stream) {
  return dispatch_float_num(args.type, [&](auto tag) { return normalize_rows_typed<decltype(tag)>(args, stream); });
}

cudaError_t normalize_slots(const SlotNorm& args, cudaStream_t stream) {
  return dispatch_float_num(args.type, [&](auto tag) { return normalize_slots_typed<decltype(tag)>(args, stream); });
}

cudaError_t local_response_norm(const LocalResponseNorm& args, cudaStream_t stream) {
  return dispatch_float_num(args.type,
                            [&](auto tag) { return local_response_norm_typed<decltype(tag)>(args, stream); });
}

}  // namespace graft::cuda
