#pragma once
// Rows reduced by groups of threads, for the reductions, softmax and normalizations: a
// group of G threads (a power of two up to 1024) per row. Groups of up to 32 threads share
// the warps of a kRowBlock-thread block; a larger group is the whole block. Rows past the
// end are walked as empty rows so that every thread reaches the group's shuffles.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cuda/num_type.cuh"

namespace graft::cuda {

// What rows of T are computed in: float, double for double.
template <typename T>
using compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// exp, log and sqrt in float for float, else through double.
template <typename A>
__device__ __forceinline__ A exp_of(A v) {
  if constexpr (std::is_same_v<A, float>) return expf(v);
  else return A(exp(double(v)));
}
template <typename A>
__device__ __forceinline__ A log_of(A v) {
  if constexpr (std::is_same_v<A, float>) return logf(v);
  else return A(log(double(v)));
}
template <typename A>
__device__ __forceinline__ A sqrt_of(A v) {
  if constexpr (std::is_same_v<A, float>) return sqrtf(v);
  else return A(sqrt(double(v)));
}

// Calls f(T{}) for float, half or double; cudaErrorNotSupported for other types.
template <typename F>
cudaError_t dispatch_float_num(NumType type, F&& f) {
  switch (type) {
    case NumType::kFloat: return f(float{});
    case NumType::kHalf: return f(__half{});
    case NumType::kDouble: return f(double{});
    default: return cudaErrorNotSupported;
  }
}

constexpr int kRowBlock = 128;
constexpr int kMaxGroup = 1024;
// Groups of the register-caching row kernels (compiled for 128 registers per thread).
constexpr int kMaxRowGroup = 512;

inline int row_block_threads(int group) { return group > 32 ? group : kRowBlock; }
inline int rows_per_block(int group) { return row_block_threads(group) / group; }

// Exchange with the lane `mask` away; structs (value and index pairs) go word by word.
template <typename V>
__device__ __forceinline__ V shfl_xor(V v, int mask) {
  if constexpr (std::is_arithmetic_v<V>) {
    return __shfl_xor_sync(0xffffffffu, v, mask);
  } else {
    static_assert(sizeof(V) % 4 == 0, "shuffled structs must be whole words");
    int words[sizeof(V) / 4];
    memcpy(words, &v, sizeof(V));
    for (int& w : words) w = __shfl_xor_sync(0xffffffffu, w, mask);
    memcpy(&v, words, sizeof(V));
    return v;
  }
}

// Folds v over the group with `fold`; every thread of the group gets the result. Every
// thread of the block must call it (it synchronizes the block for groups over 32).
template <typename V, typename Fold>
__device__ V group_reduce(V v, int group, Fold fold) {
  for (int mask = (group < 32 ? group : 32) / 2; mask > 0; mask /= 2) v = fold(v, shfl_xor(v, mask));
  if (group <= 32) return v;
  __shared__ V warp_values[kMaxGroup / 32];
  __syncthreads();  // the previous call's readers are done
  if (threadIdx.x % 32 == 0) warp_values[threadIdx.x / 32] = v;
  __syncthreads();
  v = warp_values[0];
  for (int w = 1; w < group / 32; ++w) v = fold(v, warp_values[w]);
  return v;
}

struct Plus {
  template <typename V>
  __device__ V operator()(V a, V b) const { return a + b; }
};

// kVec elements moved as one aligned load or store.
template <typename T, int kVec>
struct alignas(sizeof(T) * kVec) Pack {
  T v[kVec];
};

template <typename T, typename C, int kVec>
__device__ __forceinline__ void load_pack(const T* p, C* out) {
  const Pack<T, kVec> pack = *reinterpret_cast<const Pack<T, kVec>*>(p);
  for (int k = 0; k < kVec; ++k) out[k] = convert<C>(pack.v[k]);
}

// Converted in registers and written with one 16-byte store (the compiler splits plain
// vector stores into words in some unrolled iterations).
template <typename T, typename C, int kVec>
__device__ __forceinline__ void store_pack(T* p, const C* in) {
  static_assert(sizeof(T) * kVec == 16, "packs are 16 bytes");
  uint32_t w[4];
  if constexpr (std::is_same_v<T, __half>) {
    for (int k = 0; k < 4; ++k) {
      const __half2 h = __floats2half2_rn(float(in[2 * k]), float(in[2 * k + 1]));
      memcpy(&w[k], &h, sizeof(h));
    }
  } else {
    T v[kVec];
    for (int k = 0; k < kVec; ++k) v[k] = T(in[k]);
    memcpy(w, v, sizeof(w));
  }
  asm volatile("st.global.v4.u32 [%0], {%1, %2, %3, %4};" ::"l"(p), "r"(w[0]), "r"(w[1]), "r"(w[2]), "r"(w[3])
               : "memory");
}

// What one thread of a row's group holds of the row: vectors of kVec elements at
// (k * group + lane) * kVec. With kIters > 0 they are loaded once into registers (the row
// has at most group * kIters * kVec elements); with kIters == 0 every pass reads memory.
// Elements lie `stride` apart (1 when kVec > 1). An empty row (n = 0) holds nothing.
template <typename T, typename C, int kVec_, int kIters>
class RowSlice {
 public:
  using Value = C;
  static constexpr int kVec = kVec_;
  static constexpr bool kCached = kIters > 0;

  __device__ RowSlice(const T* row, int64_t n, int64_t stride, int lane, int group)
      : row_(row), n_(n), stride_(stride), lane_(lane), group_(group) {
    if constexpr (kCached) {
      for (int k = 0; k < kIters; ++k) {
        const int64_t j = (int64_t(k) * group + lane) * kVec;
        if (j < n) load(j, values_ + k * kVec);
      }
    }
  }

  // Calls f(v, j) for each of this thread's vectors: v[kVec] the values (registers that f
  // may overwrite when cached), j the row index of v[0].
  template <typename F>
  __device__ void for_each(F&& f) {
    if constexpr (kCached) {
      for (int k = 0; k < kIters; ++k) {
        const int64_t j = (int64_t(k) * group_ + lane_) * kVec;
        if (j < n_) f(values_ + k * kVec, j);
      }
    } else {
      for (int64_t j = int64_t(lane_) * kVec; j < n_; j += int64_t(group_) * kVec) {
        C v[kVec];
        load(j, v);
        f(v, j);
      }
    }
  }

  // Writes v (kVec values, row index j) to the row at `out` laid out like the input.
  __device__ void store(T* out, int64_t j, const C* v) const {
    if constexpr (kVec > 1) {
      store_pack<T, C, kVec>(out + j, v);
    } else {
      out[j * stride_] = convert<T>(v[0]);
    }
  }

 private:
  __device__ void load(int64_t j, C* out) const {
    if constexpr (kVec > 1) {
      load_pack<T, C, kVec>(row_ + j, out);
    } else {
      out[0] = convert<C>(row_[j * stride_]);
    }
  }

  const T* row_;
  int64_t n_, stride_;
  int lane_, group_;
  C values_[kCached ? kIters * kVec : 1];
};

// How a row of n elements is spread over a group: `group` threads, `iters` vectors of
// `vec` elements each (0: not cached).
struct RowGeometry {
  int group = 1;
  int iters = 0;
  int vec = 1;
};

// Iteration counts the row kernels are compiled for, in order of preference (the least
// padding wins; among equals, the earlier count).
constexpr int kRowIters[] = {4, 2, 3, 6, 8, 1};

inline RowGeometry row_geometry(int64_t n, int vec, int max_group = kMaxRowGroup) {
  const int64_t vectors = (n + vec - 1) / vec;
  RowGeometry best{max_group, 0, vec};
  int64_t best_waste = -1;
  for (int iters : kRowIters) {
    for (int group = 1; group <= max_group; group *= 2) {
      const int64_t waste = int64_t(group) * iters - vectors;
      if (waste >= 0 && (best_waste < 0 || waste < best_waste)) {
        best = {group, iters, vec};
        best_waste = waste;
      }
    }
  }
  return best;
}

// Calls f(std::integral_constant<int, kIters>) for a RowGeometry's iteration count.
template <typename F>
auto dispatch_iters(int iters, F&& f) {
  switch (iters) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
    case 6: return f(std::integral_constant<int, 6>{});
    case 8: return f(std::integral_constant<int, 8>{});
    default: return f(std::integral_constant<int, 0>{});
  }
}

// Row tiles of a grid: `tiles` groups of rows_per_block rows, walked block by block.
inline unsigned row_grid(int64_t tiles) {
  return static_cast<unsigned>(tiles < (int64_t{1} << 20) ? tiles : (int64_t{1} << 20));
}

// Whether kVec-element packs of T can be used at p (aligned to the pack).
template <typename T, int kVec>
inline bool pack_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % (sizeof(T) * kVec) == 0;
}

}  // namespace graft::cuda
