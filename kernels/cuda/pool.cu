// Pooling kernels (pool.h).
#include <cuda_fp16.h>

#include <cfloat>
#include <limits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/pool.h"

namespace graft::cuda {
namespace {

// Window taps k along one dim whose input index start + k * dil lies in [0, in): [lo, hi);
// `padded` counts the taps before the end padding (for count_include_pad).
struct TapRange {
  int64_t lo, hi, padded;
};

// Taps j in [0, k) with start + j * dil < limit.
__device__ __forceinline__ int64_t taps_below(int64_t start, int64_t dil, int64_t k, int64_t limit) {
  if (limit <= start) return 0;
  const int64_t n = (limit - start + dil - 1) / dil;
  return n < k ? n : k;
}

__device__ TapRange tap_range(const PoolWindow& w, int d, int64_t o) {
  const int64_t start = o * w.stride[d] - w.pad[d], k = w.kernel[d], dil = w.dil[d];
  TapRange r;
  r.lo = taps_below(start, dil, k, 0);
  r.hi = taps_below(start, dil, k, w.in[d]);
  r.padded = taps_below(start, dil, k, w.in[d] + w.pad_end[d]);
  r.hi = r.hi > r.lo ? r.hi : r.lo;
  return r;
}

// Max compares in float for half, else in T (as the CPU compares the values it reads).
template <typename T>
using max_acc_t = std::conditional_t<std::is_same_v<T, __half>, float, T>;
template <typename T>
using sum_acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T, PoolKind K, bool kIndices>
__global__ void pool_kernel(const T* x, T* y, int64_t* indices, PoolWindow w, PoolParams p, int64_t n) {
  using A = std::conditional_t<K == PoolKind::kMax, max_acc_t<T>, sum_acc_t<T>>;
  const int64_t in_size = w.in[0] * w.in[1] * w.in[2];
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    const int64_t o2 = e % w.out[2], o1 = e / w.out[2] % w.out[1], o0 = e / (w.out[2] * w.out[1]) % w.out[0];
    const int64_t plane = e / (w.out[2] * w.out[1] * w.out[0]);
    const TapRange r0 = tap_range(w, 0, o0), r1 = tap_range(w, 1, o1), r2 = tap_range(w, 2, o2);
    const int64_t s0 = o0 * w.stride[0] - w.pad[0], s1 = o1 * w.stride[1] - w.pad[1], s2 = o2 * w.stride[2] - w.pad[2];
    const T* px = x + plane * in_size;
    A acc = K == PoolKind::kMax ? std::numeric_limits<A>::lowest() : A(0);
    int64_t best = -1;
    for (int64_t k0 = r0.lo; k0 < r0.hi; ++k0) {
      const int64_t i0 = s0 + k0 * w.dil[0];
      for (int64_t k1 = r1.lo; k1 < r1.hi; ++k1) {
        const int64_t i1 = s1 + k1 * w.dil[1];
        const T* row = px + (i0 * w.in[1] + i1) * w.in[2];
        for (int64_t k2 = r2.lo; k2 < r2.hi; ++k2) {
          const int64_t i2 = s2 + k2 * w.dil[2];
          const A v = to_acc<A>(row[i2]);
          if constexpr (K == PoolKind::kMax) {
            if constexpr (kIndices) {
              if (v > acc || best < 0) {
                acc = v;
                best = p.col_major_indices ? (i2 * w.in[1] + i1) * w.in[0] + i0 : (i0 * w.in[1] + i1) * w.in[2] + i2;
              }
            } else {
              acc = v > acc ? v : acc;
            }
          } else if constexpr (K == PoolKind::kAvg) {
            acc += v;
          } else {
            acc += pow(fabs(v), static_cast<A>(p.p));
          }
        }
      }
    }
    if constexpr (K == PoolKind::kAvg) {
      const int64_t count = p.count_include_pad ? r0.padded * r1.padded * r2.padded
                                                : (r0.hi - r0.lo) * (r1.hi - r1.lo) * (r2.hi - r2.lo);
      acc = count > 0 ? acc / static_cast<A>(count) : A(0);
    } else if constexpr (K == PoolKind::kLp) {
      acc = pow(acc, static_cast<A>(1.0 / p.p));
    }
    y[e] = convert<T>(acc);
    if constexpr (kIndices) indices[e] = plane * in_size + best;
  }
}

template <typename T, PoolKind K>
__device__ __forceinline__ sum_acc_t<T> global_combine(sum_acc_t<T> a, sum_acc_t<T> b) {
  if constexpr (K == PoolKind::kMax) {
    return a < b ? b : a;  // std::max: a NaN b is dropped
  } else {
    return a + b;
  }
}

// One block per plane: strided partial results, then warp shuffles and one warp over the
// warps' results.
template <typename T, PoolKind K>
__global__ void global_kernel(const T* x, T* y, int64_t planes, int64_t size, double p) {
  using A = sum_acc_t<T>;
  __shared__ A partial[32];
  const A init = K == PoolKind::kMax ? -std::numeric_limits<A>::infinity() : A(0);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (int64_t plane = blockIdx.x; plane < planes; plane += gridDim.x) {
    const T* v = x + plane * size;
    A acc = init;
    for (int64_t i = threadIdx.x; i < size; i += blockDim.x) {
      const A e = to_acc<A>(v[i]);
      acc = global_combine<T, K>(acc, K == PoolKind::kLp ? pow(fabs(e), static_cast<A>(p)) : e);
    }
    for (int off = 16; off > 0; off /= 2) acc = global_combine<T, K>(acc, __shfl_down_sync(0xffffffffu, acc, off));
    if (lane == 0) partial[warp] = acc;
    __syncthreads();
    if (warp == 0) {
      acc = lane < warps ? partial[lane] : init;
      for (int off = 16; off > 0; off /= 2) acc = global_combine<T, K>(acc, __shfl_down_sync(0xffffffffu, acc, off));
      if (lane == 0) {
        if constexpr (K == PoolKind::kAvg) acc /= static_cast<A>(size);
        if constexpr (K == PoolKind::kLp) acc = pow(acc, static_cast<A>(1.0 / p));
        y[plane] = convert<T>(acc);
      }
    }
    __syncthreads();
  }
}

template <typename T, PoolKind K, bool kIndices>
cudaError_t launch_pool(const void* x, void* y, int64_t* indices, int64_t n, const PoolWindow& w, const PoolParams& p,
                        cudaStream_t stream) {
  pool_kernel<T, K, kIndices><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                            static_cast<T*>(y), indices, w, p, n);
  return cudaGetLastError();
}

template <typename T>
cudaError_t pool_of(const void* x, void* y, int64_t* indices, int64_t n, const PoolWindow& w, const PoolParams& p,
                    cudaStream_t stream) {
  if (p.kind == PoolKind::kMax) {
    return indices ? launch_pool<T, PoolKind::kMax, true>(x, y, indices, n, w, p, stream)
                   : launch_pool<T, PoolKind::kMax, false>(x, y, nullptr, n, w, p, stream);
  }
  if constexpr (is_float_num_v<T>) {
    if (p.kind == PoolKind::kAvg) return launch_pool<T, PoolKind::kAvg, false>(x, y, nullptr, n, w, p, stream);
    return launch_pool<T, PoolKind::kLp, false>(x, y, nullptr, n, w, p, stream);
  }
  return cudaErrorNotSupported;
}

template <typename F>
cudaError_t dispatch_float(NumType type, F&& f) {
  switch (type) {
    case NumType::kFloat: return f(float{});
    case NumType::kHalf: return f(__half{});
    case NumType::kDouble: return f(double{});
    default: return cudaErrorNotSupported;
  }
}

}  // namespace

cudaError_t pool(const void* x, NumType type, void* y, int64_t* indices, int64_t planes, const PoolWindow& w,
                 const PoolParams& p, cudaStream_t stream) {
  const int64_t n = planes * w.out[0] * w.out[1] * w.out[2];
  if (n == 0) return cudaSuccess;
  switch (type) {
    case NumType::kInt8: return pool_of<int8_t>(x, y, indices, n, w, p, stream);
    case NumType::kUint8: return pool_of<uint8_t>(x, y, indices, n, w, p, stream);
    case NumType::kInt32: return pool_of<int32_t>(x, y, indices, n, w, p, stream);
    case NumType::kInt64: return pool_of<int64_t>(x, y, indices, n, w, p, stream);
    default: return dispatch_float(type, [&](auto tag) { return pool_of<decltype(tag)>(x, y, indices, n, w, p, stream); });
  }
}

cudaError_t global_pool(const void* x, NumType type, void* y, int64_t planes, int64_t size, PoolKind kind, double p,
                        cudaStream_t stream) {
  if (planes == 0) return cudaSuccess;
  int threads = 32;
  while (threads < 256 && threads < size) threads *= 2;
  const unsigned blocks = static_cast<unsigned>(planes < (int64_t{1} << 20) ? planes : (int64_t{1} << 20));
  return dispatch_float(type, [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* py = static_cast<T*>(y);
    switch (kind) {
      case PoolKind::kMax: global_kernel<T, PoolKind::kMax><<<blocks, threads, 0, stream>>>(px, py, planes, size, p); break;
      case PoolKind::kAvg: global_kernel<T, PoolKind::kAvg><<<blocks, threads, 0, stream>>>(px, py, planes, size, p); break;
      case PoolKind::kLp: global_kernel<T, PoolKind::kLp><<<blocks, threads, 0, stream>>>(px, py, planes, size, p); break;
    }
    return cudaGetLastError();
  });
}

}  // namespace graft::cuda
