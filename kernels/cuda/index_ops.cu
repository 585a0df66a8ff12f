// CumSum and TopK kernels (index_ops.h).
//
// CumSum: lines along a strided axis, and short rows, take a thread each and add in the
// CPU kernel's order; longer rows are scanned by a warp or a block, tile by tile, with a
// running carry.
//
// TopK: every element gets an unsigned sort key whose order is the comparator's (for
// `largest` the key's bits are flipped), and ties go to the lower position. Lines of up to
// 2048 elements are sorted as (key, position) pairs in shared memory (bitonic, one block a
// line); longer ones by CUB's stable radix sort of keys with positions as values, all lines
// in one sort with the line number above a 32-bit key, or segmented for 64-bit keys.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>
#include <cuda_fp16.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <type_traits>

#include "kernels/cuda/index_ops.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"

namespace graft::cuda {
namespace {

// ---- CumSum ----

constexpr int kScanThreads = 256;
constexpr int kScanItems = 4;      // consecutive elements per thread and tile
constexpr int64_t kThreadRow = 16;  // rows up to this long take a thread each
constexpr int64_t kWarpRow = 4096;  // rows up to this long take a warp each

// What a line of T is summed in: float for half, else T itself (as the CPU kernel).
template <typename T>
using sum_t = std::conditional_t<std::is_same_v<T, __half>, float, T>;

template <typename A>
__device__ A warp_inclusive_scan(A v) {
  const int lane = threadIdx.x % 32;
  for (int d = 1; d < 32; d *= 2) {
    const A u = __shfl_up_sync(0xffffffffu, v, d);
    if (lane >= d) v += u;
  }
  return v;
}

// The sum of `v` over the group's threads before this one; `total` gets the group's sum.
// A group is a warp (kGroup 32) or the whole block; every thread of the block calls it.
template <int kGroup, typename A>
__device__ A group_exclusive_scan(A v, A& total) {
  const int lane = threadIdx.x % 32;
  const A inclusive = warp_inclusive_scan(v);
  A before = __shfl_up_sync(0xffffffffu, inclusive, 1);
  if (lane == 0) before = A(0);
  if constexpr (kGroup == 32) {
    total = __shfl_sync(0xffffffffu, inclusive, 31);
    return before;
  } else {
    constexpr int kWarps = kGroup / 32;
    __shared__ A warp_totals[kWarps];
    __syncthreads();  // the previous tile's readers are done
    if (lane == 31) warp_totals[threadIdx.x / 32] = inclusive;
    __syncthreads();
    const int warp = static_cast<int>(threadIdx.x / 32);
    A prefix = 0;
    total = 0;
    for (int w = 0; w < kWarps; ++w) {
      if (w < warp) prefix += warp_totals[w];
      total += warp_totals[w];
    }
    return prefix + before;
  }
}

// A thread per line (outer * inner lines of n elements, `inner` apart), in the CPU's order.
template <typename T>
__global__ void scan_lines_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool exclusive,
                                  bool reverse) {
  using A = sum_t<T>;
  const int64_t lines = outer * inner;
  for (int64_t line = grid_first<int64_t>(); line < lines; line += grid_step<int64_t>()) {
    const int64_t base = line / inner * n * inner + line % inner;
    A acc = 0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t at = base + (reverse ? n - 1 - s : s) * inner;
      const A v = to_acc<A>(x[at]);
      if (exclusive) y[at] = convert<T>(acc);
      acc += v;
      if (!exclusive) y[at] = convert<T>(acc);
    }
  }
}

// Contiguous rows, kGroup threads (a warp or the block) per row.
template <typename T, int kGroup>
__global__ void __launch_bounds__(kScanThreads)
    scan_rows_kernel(const T* x, T* y, int64_t rows, int64_t n, bool exclusive, bool reverse) {
  using A = sum_t<T>;
  constexpr int kRowsPerBlock = kScanThreads / kGroup;
  const int lane = threadIdx.x % kGroup;
  for (int64_t first = int64_t(blockIdx.x) * kRowsPerBlock; first < rows; first += int64_t(gridDim.x) * kRowsPerBlock) {
    const int64_t row = first + threadIdx.x / kGroup;
    // Rows past the end scan zeros, so that every thread reaches the group's shuffles.
    const bool valid = row < rows;
    const T* in = x + (valid ? row * n : 0);
    T* out = y + (valid ? row * n : 0);
    A carry = 0;
    for (int64_t tile = 0; tile < n; tile += int64_t(kGroup) * kScanItems) {
      const int64_t s0 = tile + int64_t(lane) * kScanItems;
      A v[kScanItems];
      A own = 0;
      for (int k = 0; k < kScanItems; ++k) {
        const int64_t s = s0 + k;
        v[k] = valid && s < n ? to_acc<A>(in[reverse ? n - 1 - s : s]) : A(0);
        own += v[k];
      }
      A total;
      A run = carry + group_exclusive_scan<kGroup>(own, total);
      for (int k = 0; k < kScanItems && valid && s0 + k < n; ++k) {
        const int64_t at = reverse ? n - 1 - (s0 + k) : s0 + k;
        if (exclusive) out[at] = convert<T>(run);
        run += v[k];
        if (!exclusive) out[at] = convert<T>(run);
      }
      carry += total;
    }
  }
}

template <typename T>
cudaError_t cum_sum_typed(const CumSumArgs& a, cudaStream_t stream) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  if (a.inner > 1 || a.n <= kThreadRow) {
    const int64_t lines = a.outer * a.inner;
    scan_lines_kernel<T><<<grid_blocks(lines), kBlockThreads, 0, stream>>>(x, y, a.outer, a.n, a.inner, a.exclusive,
                                                                           a.reverse);
  } else if (a.n <= kWarpRow) {
    constexpr int kRowsPerBlock = kScanThreads / 32;
    scan_rows_kernel<T, 32><<<grid_blocks(a.outer, kRowsPerBlock), kScanThreads, 0, stream>>>(x, y, a.outer, a.n,
                                                                                              a.exclusive, a.reverse);
  } else {
    scan_rows_kernel<T, kScanThreads><<<grid_blocks(a.outer, 1), kScanThreads, 0, stream>>>(x, y, a.outer, a.n,
                                                                                            a.exclusive, a.reverse);
  }
  return cudaGetLastError();
}

// ---- TopK ----

constexpr int64_t kSharedSortMax = 2048;
constexpr int kSortThreads = 256;

struct LineGeom {
  int64_t outer = 0, n = 0, inner = 1, k = 0;

  __host__ __device__ int64_t lines() const { return outer * inner; }
  // Offsets of element 0 of a line in x and in the outputs.
  __device__ int64_t in_base(int64_t line) const { return line / inner * n * inner + line % inner; }
  __device__ int64_t out_base(int64_t line) const { return line / inner * k * inner + line % inner; }
};

template <typename T>
inline constexpr bool wide_key_v = sizeof(T) == 8;  // double and int64 need 64-bit keys

// An unsigned key in the value's ascending order (-0.0 as +0.0; NaNs above +inf, or
// below -inf with the sign bit set).
template <typename T>
__device__ uint64_t ascending_key(T v) {
  if constexpr (std::is_same_v<T, double>) {
    const uint64_t u = static_cast<uint64_t>(__double_as_longlong(v == 0.0 ? 0.0 : v));
    return u >> 63 ? ~u : u | (uint64_t{1} << 63);
  } else if constexpr (is_float_num_v<T>) {
    const float f = to_acc<float>(v);
    const uint32_t u = __float_as_uint(f == 0.0f ? 0.0f : f);
    return u >> 31 ? ~u : u | 0x80000000u;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<uint32_t>(static_cast<int32_t>(v)) ^ 0x80000000u;
  } else {
    return static_cast<uint32_t>(v);
  }
}

// Ascending keys order the picks: flipped for the largest.
template <typename T>
__device__ uint64_t sort_key(T v, bool largest) {
  constexpr uint64_t kMask = wide_key_v<T> ? ~uint64_t{0} : uint64_t{0xffffffffu};
  const uint64_t key = ascending_key(v);
  return largest ? key ^ kMask : key;
}

__device__ __forceinline__ bool before(uint64_t ka, int pa, uint64_t kb, int pb) {
  return ka < kb || (ka == kb && pa < pb);
}

// Sorts `width` (a power of two) pairs in shared memory by (key, position).
__device__ void bitonic_sort(uint64_t* keys, int* pos, int width) {
  for (int size = 2; size <= width; size *= 2) {
    for (int stride = size / 2; stride > 0; stride /= 2) {
      __syncthreads();
      for (int t = threadIdx.x; t < width / 2; t += blockDim.x) {
        const int a = 2 * t - (t & (stride - 1)), b = a + stride;
        const bool ascending = (a & size) == 0;
        if (before(keys[b], pos[b], keys[a], pos[a]) == ascending) {
          const uint64_t k = keys[a];
          keys[a] = keys[b];
          keys[b] = k;
          const int p = pos[a];
          pos[a] = pos[b];
          pos[b] = p;
        }
      }
    }
  }
  __syncthreads();
}

template <typename T>
__device__ void write_pick(const T* x, const LineGeom& g, int64_t line, int64_t j, int64_t p, T* values,
                           int64_t* indices) {
  const int64_t at = g.out_base(line) + j * g.inner;
  if (values) values[at] = x[g.in_base(line) + p * g.inner];
  if (indices) indices[at] = p;
}

// One block per line; `width` is the power of two at or above n, padded with pairs that
// sort last.
template <typename T>
__global__ void __launch_bounds__(kSortThreads)
    top_k_shared_kernel(const T* x, LineGeom g, int width, bool largest, T* values, int64_t* indices) {
  extern __shared__ uint64_t shared_keys[];
  uint64_t* keys = shared_keys;
  int* pos = reinterpret_cast<int*>(keys + width);
  for (int64_t line = blockIdx.x; line < g.lines(); line += gridDim.x) {
    const T* in = x + g.in_base(line);
    __syncthreads();  // the previous line's readers are done
    for (int j = threadIdx.x; j < width; j += blockDim.x) {
      keys[j] = j < g.n ? sort_key(in[j * g.inner], largest) : ~uint64_t{0};
      pos[j] = j < g.n ? j : INT_MAX;
    }
    bitonic_sort(keys, pos, width);
    for (int j = threadIdx.x; j < g.k; j += blockDim.x) write_pick(x, g, line, j, pos[j], values, indices);
  }
}

// Keys (the line number above bit `line_shift` when it is positive) and positions of every
// element, line after line.
template <typename T>
__global__ void sort_keys_kernel(const T* x, LineGeom g, bool largest, int line_shift, uint64_t* keys, int* pos,
                                 int64_t total) {
  for (int64_t e = grid_first<int64_t>(); e < total; e += grid_step<int64_t>()) {
    const int64_t line = e / g.n, j = e % g.n;
    uint64_t key = sort_key(x[g.in_base(line) + j * g.inner], largest);
    if (line_shift > 0) key |= static_cast<uint64_t>(line) << line_shift;
    keys[e] = key;
    pos[e] = static_cast<int>(j);
  }
}

__global__ void line_offsets_kernel(int* offsets, int n, int lines) {
  for (int l = grid_first<int>(); l <= lines; l += grid_step<int>()) offsets[l] = l * n;
}

template <typename T>
__global__ void gather_picks_kernel(const T* x, const int* sorted_pos, LineGeom g, T* values, int64_t* indices) {
  const int64_t total = g.lines() * g.k;
  for (int64_t e = grid_first<int64_t>(); e < total; e += grid_step<int64_t>()) {
    const int64_t line = e / g.k, j = e % g.k;
    write_pick(x, g, line, j, sorted_pos[line * g.n + j], values, indices);
  }
}

LineGeom geom_of(const TopKArgs& a) { return LineGeom{a.outer, a.n, a.inner, a.k}; }

bool shared_sort(const TopKArgs& a) { return a.n <= kSharedSortMax; }

int shared_width(int64_t n) { return static_cast<int>(std::bit_ceil(static_cast<uint64_t>(n < 1 ? 1 : n))); }

bool wide_keys(NumType t) { return t == NumType::kDouble || t == NumType::kInt64; }

constexpr size_t kAlign = 256;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// The radix sort's plan and its pieces of the workspace (in this order).
struct RadixPlan {
  int items = 0, lines = 0;
  bool segmented = false;  // 64-bit keys of several lines
  int line_shift = 0;      // where the line number goes in a key (0: not in it)
  int end_bit = 0;
  size_t keys = 0, pos = 0, offsets = 0, temp = 0;

  size_t total() const { return 2 * keys + 2 * pos + offsets + temp; }
};

RadixPlan radix_plan(const TopKArgs& a) {
  RadixPlan p;
  p.items = static_cast<int>(a.outer * a.inner * a.n);
  p.lines = static_cast<int>(a.outer * a.inner);
  const int bits = wide_keys(a.type) ? 64 : 32;
  p.segmented = bits == 64 && p.lines > 1;
  p.line_shift = !p.segmented && p.lines > 1 ? bits : 0;
  p.end_bit = bits + (p.line_shift ? static_cast<int>(std::bit_width(static_cast<uint32_t>(p.lines - 1))) : 0);
  p.keys = aligned(sizeof(uint64_t) * p.items);
  p.pos = aligned(sizeof(int) * p.items);
  p.offsets = p.segmented ? aligned(sizeof(int) * (p.lines + 1)) : 0;
  return p;
}

// Sorts the pairs (a size query when temp is null); `keys` and `pos` name the buffers that
// hold the result afterwards.
cudaError_t radix_sort(const RadixPlan& p, void* temp, size_t& temp_bytes, cub::DoubleBuffer<uint64_t>& keys,
                       cub::DoubleBuffer<int>& pos, const int* offsets, cudaStream_t stream) {
  if (p.segmented) {
    return cub::DeviceSegmentedRadixSort::SortPairs(temp, temp_bytes, keys, pos, p.items, p.lines, offsets, offsets + 1,
                                                    0, p.end_bit, stream);
  }
  return cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys, pos, p.items, 0, p.end_bit, stream);
}

RadixPlan sized_radix_plan(const TopKArgs& a) {
  static const int kNoOffsets[2] = {0, 0};  // the size query reads no offsets
  RadixPlan p = radix_plan(a);
  cub::DoubleBuffer<uint64_t> keys;
  cub::DoubleBuffer<int> pos;
  size_t temp = 0;
  if (radix_sort(p, nullptr, temp, keys, pos, kNoOffsets, nullptr) == cudaSuccess) p.temp = aligned(temp);
  return p;
}

template <typename T>
cudaError_t top_k_typed(const TopKArgs& a, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  const T* x = static_cast<const T*>(a.x);
  T* values = static_cast<T*>(a.values);
  const LineGeom g = geom_of(a);
  if (shared_sort(a)) {
    const int width = shared_width(a.n);
    const int threads = std::min(kSortThreads, std::max(32, width / 2));
    const size_t shared = static_cast<size_t>(width) * (sizeof(uint64_t) + sizeof(int));
    top_k_shared_kernel<T><<<grid_blocks(g.lines(), 1), threads, shared, stream>>>(x, g, width, a.largest, values,
                                                                                  a.indices);
    return cudaGetLastError();
  }
  RadixPlan p = radix_plan(a);
  if (workspace_bytes < p.total()) return cudaErrorInvalidValue;
  p.temp = workspace_bytes - p.total();
  char* w = static_cast<char*>(workspace);
  uint64_t* keys = reinterpret_cast<uint64_t*>(w);
  int* pos = reinterpret_cast<int*>(w + 2 * p.keys);
  int* offsets = reinterpret_cast<int*>(w + 2 * p.keys + 2 * p.pos);
  void* temp = w + 2 * p.keys + 2 * p.pos + p.offsets;
  sort_keys_kernel<T><<<grid_blocks(p.items), kBlockThreads, 0, stream>>>(x, g, a.largest, p.line_shift, keys, pos,
                                                                          p.items);
  if (p.segmented) line_offsets_kernel<<<grid_blocks(p.lines + 1), kBlockThreads, 0, stream>>>(offsets, a.n, p.lines);
  if (const cudaError_t err = cudaGetLastError(); err != cudaSuccess) return err;
  cub::DoubleBuffer<uint64_t> key_buffers(keys, reinterpret_cast<uint64_t*>(w + p.keys));
  cub::DoubleBuffer<int> pos_buffers(pos, reinterpret_cast<int*>(w + 2 * p.keys + p.pos));
  size_t temp_bytes = p.temp;
  if (const cudaError_t err = radix_sort(p, temp, temp_bytes, key_buffers, pos_buffers, offsets, stream);
      err != cudaSuccess) {
    return err;
  }
  gather_picks_kernel<T><<<grid_blocks(g.lines() * a.k), kBlockThreads, 0, stream>>>(x, pos_buffers.Current(), g,
                                                                                     values, a.indices);
  return cudaGetLastError();
}

}  // namespace

cudaError_t cum_sum(const CumSumArgs& a, cudaStream_t stream) {
  if (a.outer * a.n * a.inner == 0) return cudaSuccess;
  switch (a.type) {
    case NumType::kFloat: return cum_sum_typed<float>(a, stream);
    case NumType::kHalf: return cum_sum_typed<__half>(a, stream);
    case NumType::kDouble: return cum_sum_typed<double>(a, stream);
    case NumType::kInt32: return cum_sum_typed<int32_t>(a, stream);
    case NumType::kInt64: return cum_sum_typed<int64_t>(a, stream);
    default: return cudaErrorNotSupported;
  }
}

bool top_k_fits(const TopKArgs& a) { return shared_sort(a) || a.outer * a.inner * a.n < (int64_t{1} << 31); }

size_t top_k_workspace_bytes(const TopKArgs& a) {
  if (shared_sort(a) || a.outer * a.inner * a.k == 0 || !top_k_fits(a)) return 0;
  return sized_radix_plan(a).total();
}

cudaError_t top_k(const TopKArgs& a, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  if (a.outer * a.inner * a.k == 0) return cudaSuccess;
  if (!top_k_fits(a)) return cudaErrorNotSupported;
  return dispatch_num(a.type, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      return cudaErrorNotSupported;
    } else {
      return top_k_typed<T>(a, workspace, workspace_bytes, stream);
    }
  });
}

}  // namespace graft::cuda
