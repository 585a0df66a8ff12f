// Data-movement kernels (movement.h): one thread per output element, grid-stride, on the
// unsigned type of the element size; 32-bit index math where the sizes allow it.
#include <cuda_fp16.h>

#include <algorithm>
#include <cstring>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/movement.h"
#include "kernels/cuda/num_type.cuh"

namespace graft::cuda {
namespace {

constexpr int kMaxRank = 8;
// Below this many elements (and offsets) index math runs in int32.
constexpr int64_t kInt32Limit = int64_t{1} << 30;

// Calls f(U{}) with the unsigned type of an element size (uint4 for 16 bytes).
template <typename F>
cudaError_t dispatch_size(size_t elem_size, F&& f) {
  switch (elem_size) {
    case 1: return f(uint8_t{});
    case 2: return f(uint16_t{});
    case 4: return f(uint32_t{});
    case 8: return f(uint64_t{});
    case 16: return f(uint4{});
  }
  return cudaErrorNotSupported;
}

cudaError_t launched() { return cudaGetLastError(); }

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// The widest unit (bytes, at most 16) that is a multiple of elem_size and divides every
// one of `sizes` (in elements) times elem_size and the address of every pointer.
size_t widest_unit(size_t elem_size, const std::vector<int64_t>& sizes, const std::vector<const void*>& ptrs) {
  for (size_t unit = 16; unit > elem_size; unit /= 2) {
    if (unit % elem_size != 0) continue;
    bool ok = true;
    for (int64_t s : sizes) ok = ok && (s * static_cast<int64_t>(elem_size)) % static_cast<int64_t>(unit) == 0;
    for (const void* p : ptrs) ok = ok && aligned(p, unit);
    if (ok) return unit;
  }
  return elem_size;
}

// ---- strided copies ----

struct Walk {
  int rank = 0;
  int64_t dims[kMaxWalkDims];
  int64_t src[kMaxWalkDims];
};

template <typename T, typename I>
__global__ void strided_kernel(const T* src, I offset, Walk w, T* dst, I n) {
  for (I i = grid_first<I>(); i < n; i += grid_step<I>()) {
    I rest = i, s = offset;
    for (int d = w.rank - 1; d > 0; --d) {
      const I dim = static_cast<I>(w.dims[d]);
      s += (rest % dim) * static_cast<I>(w.src[d]);
      rest /= dim;
    }
    dst[i] = src[s + rest * static_cast<I>(w.src[0])];
  }
}

// A batch of rows x cols planes whose rows are contiguous in the source and whose columns
// are contiguous in the destination: each 32 x 32 tile is read along rows and written
// along columns through shared memory.
struct TileWalk {
  int batch_rank = 0;
  int64_t batch_dims[kMaxWalkDims];
  int64_t batch_src[kMaxWalkDims];
  int64_t batch_dst[kMaxWalkDims];
  int64_t rows = 0, cols = 0, src_col_stride = 0, dst_row_stride = 0;
  int64_t row_tiles = 0, col_tiles = 0, tiles = 0;
};

constexpr int kTile = 32, kTileRows = 8;

template <typename T>
__global__ void tiled_kernel(const T* src, int64_t offset, TileWalk w, T* dst) {
  __shared__ T tile[kTile][kTile + 1];
  for (int64_t t = blockIdx.x; t < w.tiles; t += gridDim.x) {
    const int64_t c0 = (t % w.col_tiles) * kTile;
    const int64_t r0 = (t / w.col_tiles % w.row_tiles) * kTile;
    int64_t rest = t / (w.col_tiles * w.row_tiles), so = offset, dso = 0;
    for (int d = w.batch_rank - 1; d >= 0; --d) {
      const int64_t i = rest % w.batch_dims[d];
      rest /= w.batch_dims[d];
      so += i * w.batch_src[d];
      dso += i * w.batch_dst[d];
    }
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      const int64_t r = r0 + threadIdx.x, c = c0 + j;
      if (r < w.rows && c < w.cols) tile[j][threadIdx.x] = src[so + r + c * w.src_col_stride];
    }
    __syncthreads();
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      const int64_t r = r0 + j, c = c0 + threadIdx.x;
      if (r < w.rows && c < w.cols) dst[dso + r * w.dst_row_stride + c] = tile[threadIdx.x][j];
    }
    __syncthreads();
  }
}

// Drops size-1 dims and merges neighbours that are contiguous in the source (the
// destination is contiguous); a scalar walk becomes one dim of 1.
void collapse(std::vector<int64_t>& dims, std::vector<int64_t>& src) {
  std::vector<int64_t> nd, ns;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;
    if (!nd.empty() && ns.back() == src[i] * dims[i]) {
      nd.back() *= dims[i];
      ns.back() = src[i];
      continue;
    }
    nd.push_back(dims[i]);
    ns.push_back(src[i]);
  }
  if (nd.empty()) nd = {1}, ns = {0};
  dims = std::move(nd);
  src = std::move(ns);
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

// The dim (not the last) along which the source is contiguous, when the last one is not
// and the plane is big enough for tiles to pay; -1 otherwise.
int tiled_dim(const std::vector<int64_t>& dims, const std::vector<int64_t>& src) {
  const size_t last = dims.size() - 1;
  if (dims.size() < 2 || src[last] == 1 || dims[last] < 8) return -1;
  for (size_t d = 0; d < last; ++d) {
    if (src[d] == 1 && dims[d] >= 8) return static_cast<int>(d);
  }
  return -1;
}

cudaError_t copy_tiled(const void* src, int64_t offset, const std::vector<int64_t>& strides, void* dst,
                       const std::vector<int64_t>& dims, int row_dim, size_t elem_size, cudaStream_t stream) {
  const std::vector<int64_t> dst_strides = contiguous_strides(dims);
  const size_t last = dims.size() - 1;
  TileWalk w;
  for (size_t d = 0; d < last; ++d) {
    if (static_cast<int>(d) == row_dim) continue;
    w.batch_dims[w.batch_rank] = dims[d];
    w.batch_src[w.batch_rank] = strides[d];
    w.batch_dst[w.batch_rank] = dst_strides[d];
    ++w.batch_rank;
  }
  w.rows = dims[row_dim];
  w.cols = dims[last];
  w.src_col_stride = strides[last];
  w.dst_row_stride = dst_strides[row_dim];
  w.row_tiles = (w.rows + kTile - 1) / kTile;
  w.col_tiles = (w.cols + kTile - 1) / kTile;
  int64_t batches = 1;
  for (int d = 0; d < w.batch_rank; ++d) batches *= w.batch_dims[d];
  w.tiles = batches * w.row_tiles * w.col_tiles;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(w.tiles, int64_t{1} << 20));
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    tiled_kernel<T><<<blocks, dim3(kTile, kTileRows), 0, stream>>>(static_cast<const T*>(src), offset, w,
                                                                    static_cast<T*>(dst));
    return launched();
  });
}

// Moves whole units of several elements when the innermost dim is contiguous in both
// tensors and everything lines up.
void widen(const void* src, int64_t& offset, std::vector<int64_t>& strides, const void* dst,
           std::vector<int64_t>& dims, size_t& elem_size) {
  if (strides.back() != 1) return;
  std::vector<int64_t> sizes(strides.begin(), strides.end() - 1);
  sizes.push_back(dims.back());
  sizes.push_back(offset);
  const size_t unit = widest_unit(elem_size, sizes, {src, dst});
  const int64_t k = static_cast<int64_t>(unit / elem_size);
  if (k == 1) return;
  for (size_t d = 0; d + 1 < strides.size(); ++d) strides[d] /= k;
  dims.back() /= k;
  offset /= k;
  elem_size = unit;
}

int64_t max_offset(int64_t offset, const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  int64_t hi = std::abs(offset);
  for (size_t d = 0; d < dims.size(); ++d) hi += (dims[d] - 1) * std::abs(strides[d]);
  return hi;
}

// ---- Concat / Split ----

constexpr int kMaxParts = 32;

struct Parts {
  int count = 0;
  int64_t begin[kMaxParts];  // first column of each part in the wide view
  int64_t width[kMaxParts];
  void* ptr[kMaxParts];
};

template <typename T, bool kConcat>
__global__ void rows_kernel(T* wide, int64_t wide_width, int64_t col0, int64_t cols, Parts p, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    const int64_t o = e / cols, c = col0 + e % cols;
    int lo = 0, hi = p.count - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (p.begin[mid] <= c) lo = mid;
      else hi = mid - 1;
    }
    const int64_t k = c - p.begin[lo];
    if (k >= p.width[lo]) continue;
    T* part = static_cast<T*>(p.ptr[lo]) + o * p.width[lo] + k;
    if constexpr (kConcat) {
      wide[o * wide_width + c] = *part;
    } else {
      *part = wide[o * wide_width + c];
    }
  }
}

template <bool kConcat>
cudaError_t copy_rows(void* wide, const std::vector<void*>& parts, std::vector<int64_t> widths, int64_t outer,
                      size_t elem_size, cudaStream_t stream) {
  int64_t total = 0;
  for (int64_t w : widths) total += w;
  if (outer == 0 || total == 0) return cudaSuccess;
  std::vector<int64_t> sizes = widths;
  sizes.push_back(total);
  std::vector<const void*> ptrs(parts.begin(), parts.end());
  ptrs.push_back(wide);
  const size_t unit = widest_unit(elem_size, sizes, ptrs);
  const int64_t k = static_cast<int64_t>(unit / elem_size);
  for (int64_t& w : widths) w /= k;
  total /= k;
  int64_t at = 0;
  Parts chunk;
  auto flush = [&](int64_t end) -> cudaError_t {
    if (chunk.count == 0) return cudaSuccess;
    const int64_t col0 = chunk.begin[0], cols = end - col0, n = outer * cols;
    cudaError_t err = dispatch_size(unit, [&](auto tag) {
      using T = decltype(tag);
      rows_kernel<T, kConcat><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<T*>(wide), total, col0, cols,
                                                                           chunk, n);
      return launched();
    });
    chunk.count = 0;
    return err;
  };
  for (size_t i = 0; i < parts.size(); ++i) {
    if (widths[i] > 0 && parts[i]) {
      if (chunk.count == kMaxParts) {
        if (cudaError_t err = flush(at); err != cudaSuccess) return err;
      }
      chunk.begin[chunk.count] = at;
      chunk.width[chunk.count] = widths[i];
      chunk.ptr[chunk.count] = parts[i];
      ++chunk.count;
    }
    at += widths[i];
  }
  return flush(at);
}

// ---- Pad ----

struct PadGeom {
  int rank = 0;
  int64_t out[kMaxRank], in[kMaxRank], before[kMaxRank], in_strides[kMaxRank];
};

// Where output position o of a padded dim reads the input (size n, `before` padded in
// front), or -1 for the constant (as the CPU kernel's pad_source).
__device__ int64_t pad_source(int64_t o, int64_t before, int64_t n, PadMode mode) {
  int64_t i = o - before;
  if (i >= 0 && i < n) return i;
  if (mode == PadMode::kConstant || n == 0) return -1;
  if (mode == PadMode::kEdge) return i < 0 ? 0 : n - 1;
  if (mode == PadMode::kWrap) return (i % n + n) % n;
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i = (i % period + period) % period;
  return i < n ? i : period - i;
}

template <typename T>
__global__ void pad_kernel(const T* src, PadGeom g, PadMode mode, const T* value, T bits, T* dst, int64_t n) {
  const T fill = value ? *value : bits;
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    int64_t rest = e, s = 0;
    bool inside = true;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int64_t sd = pad_source(rest % g.out[d], g.before[d], g.in[d], mode);
      rest /= g.out[d];
      inside = inside && sd >= 0;
      s += sd * g.in_strides[d];
    }
    dst[e] = inside ? src[s] : fill;
  }
}

// ---- Gather family ----

template <typename Idx>
__device__ __forceinline__ bool within(Idx raw, int64_t n, int64_t& i) {
  i = static_cast<int64_t>(raw);
  if (i < 0) i += n;
  return i >= 0 && i < n;
}

template <typename F>
cudaError_t dispatch_index(bool int64_indices, F&& f) {
  return int64_indices ? f(int64_t{}) : f(int32_t{});
}

template <typename T, typename Idx>
__global__ void gather_kernel(const T* x, int64_t n, int64_t inner, const Idx* idx, int64_t m, T* y, int64_t total) {
  for (int64_t e = grid_first<int64_t>(); e < total; e += grid_step<int64_t>()) {
    const int64_t i = e % inner, t = e / inner, j = t % m, o = t / m;
    int64_t k;
    y[e] = within(idx[j], n, k) ? x[(o * n + k) * inner + i] : T{};
  }
}

struct ElemGeom {
  int rank = 0, axis = 0;
  int64_t idx_dims[kMaxRank], x_strides[kMaxRank];
  int64_t axis_len = 0;
};

template <typename T, typename Idx>
__global__ void gather_elements_kernel(const T* x, ElemGeom g, const Idx* idx, T* y, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    int64_t rest = e, off = 0;
    for (int d = g.rank - 1; d >= 0; --d) {
      if (d != g.axis) off += (rest % g.idx_dims[d]) * g.x_strides[d];
      rest /= g.idx_dims[d];
    }
    int64_t k;
    y[e] = within(idx[e], g.axis_len, k) ? x[off + k * g.x_strides[g.axis]] : T{};
  }
}

// GatherND / ScatterND addressing: tuple t (of k indices) starts at data offset
// (t / per_batch) * batch_stride + sum_j idx[t * k + j] * strides[j]; slices of `slice`.
struct NdGeom {
  int k = 0;
  int64_t slice = 1, per_batch = 1, batch_stride = 0, tuples = 0;
  int64_t dims[kMaxRank], strides[kMaxRank];
};

template <typename Idx>
__device__ bool nd_offset(const Idx* idx, int64_t t, const NdGeom& g, int64_t& off) {
  off = (t / g.per_batch) * g.batch_stride;
  for (int j = 0; j < g.k; ++j) {
    int64_t i;
    if (!within(idx[t * g.k + j], g.dims[j], i)) return false;
    off += i * g.strides[j];
  }
  return true;
}

template <typename T, typename Idx>
__global__ void gather_nd_kernel(const T* x, NdGeom g, const Idx* idx, T* y) {
  const int64_t n = g.tuples * g.slice;
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    int64_t off;
    y[e] = nd_offset(idx, e / g.slice, g, off) ? x[off + e % g.slice] : T{};
  }
}

// The NdGeom of data x_dims indexed by idx_dims with b batch dims; false if they do not fit.
bool nd_geometry(const std::vector<int64_t>& x_dims, const std::vector<int64_t>& idx_dims, int b, NdGeom& g) {
  const int r = static_cast<int>(x_dims.size()), q = static_cast<int>(idx_dims.size());
  if (q < 1 || b < 0 || b >= q) return false;
  g.k = static_cast<int>(idx_dims[q - 1]);
  if (b + g.k > r || g.k > kMaxRank) return false;
  const std::vector<int64_t> strides = contiguous_strides(x_dims);
  g.slice = 1;
  for (int d = b + g.k; d < r; ++d) g.slice *= x_dims[d];
  g.batch_stride = 1;
  for (int d = b; d < r; ++d) g.batch_stride *= x_dims[d];
  g.per_batch = 1;
  for (int d = b; d < q - 1; ++d) g.per_batch *= idx_dims[d];
  g.tuples = g.per_batch;
  for (int d = 0; d < b; ++d) g.tuples *= idx_dims[d];
  for (int j = 0; j < g.k; ++j) {
    g.dims[j] = x_dims[b + j];
    g.strides[j] = strides[b + j];
  }
  return true;
}

// ---- ScatterND ----

// The CPU kernel's reductions in the element type (half through float).
template <typename T>
__device__ T reduce(ScatterReduction r, T a, T b) {
  using A = std::conditional_t<std::is_same_v<T, __half>, float, T>;
  const A x = to_acc<A>(a), y = to_acc<A>(b);
  A v = y;
  switch (r) {
    case ScatterReduction::kAdd: v = x + y; break;
    case ScatterReduction::kMul: v = x * y; break;
    case ScatterReduction::kMax: v = y > x ? y : x; break;
    case ScatterReduction::kMin: v = y < x ? y : x; break;
    default: break;
  }
  return convert<T>(v);
}

template <size_t kBytes>
struct AtomicWord;
template <>
struct AtomicWord<2> {
  using type = unsigned short;
};
template <>
struct AtomicWord<4> {
  using type = unsigned int;
};
template <>
struct AtomicWord<8> {
  using type = unsigned long long;
};

template <typename T>
__device__ void atomic_reduce(T* where, T v, ScatterReduction r) {
  using U = typename AtomicWord<sizeof(T)>::type;
  U* word = reinterpret_cast<U*>(where);
  U old = *word, assumed;
  do {
    assumed = old;
    T cur;
    memcpy(&cur, &assumed, sizeof(T));
    const T next = reduce(r, cur, v);
    U bits;
    memcpy(&bits, &next, sizeof(T));
    old = atomicCAS(word, assumed, bits);
  } while (assumed != old);
}

template <typename T, typename Idx>
__global__ void scatter_nd_kernel(T* y, NdGeom g, const Idx* idx, const T* updates, ScatterReduction r) {
  const int64_t n = g.tuples * g.slice;
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    int64_t off;
    if (!nd_offset(idx, e / g.slice, g, off)) continue;
    if (r == ScatterReduction::kNone) {
      y[off + e % g.slice] = updates[e];
    } else if constexpr (sizeof(T) >= 2 && sizeof(T) <= 8) {
      atomic_reduce(y + off + e % g.slice, updates[e], r);
    }
  }
}

// ---- Trilu, fill, EyeLike, ReverseSequence, Range, OneHot ----

template <typename T>
__global__ void trilu_kernel(const T* x, T* y, int64_t rows, int64_t cols, const int64_t* k_device, bool upper,
                             int64_t n) {
  const int64_t k = k_device ? *k_device : 0;
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    const int64_t c = e % cols, r = e / cols % rows;
    const bool keep = upper ? c - r >= k : c - r <= k;
    y[e] = keep ? x[e] : T{};
  }
}

template <typename T>
__global__ void fill_kernel(T* y, T v, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) y[e] = v;
}

template <typename T>
__global__ void eye_kernel(T* y, int64_t cols, int64_t k, T one, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) y[e] = e % cols - e / cols == k ? one : T{};
}

template <typename T, typename Len>
__global__ void reverse_sequence_kernel(const T* x, T* y, int64_t steps, int64_t time_stride, int64_t batch,
                                        int64_t batch_stride, const Len* lens, int64_t n) {
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    const int64_t t = e / time_stride % steps, b = e / batch_stride % batch;
    const int64_t raw = static_cast<int64_t>(lens[b]);
    const int64_t len = raw < 0 ? 0 : (raw > steps ? steps : raw);
    // Position t of the first len steps reads position len - 1 - t.
    y[e] = x[t < len ? e + (len - 1 - 2 * t) * time_stride : e];
  }
}

template <typename In, typename Out>
__global__ void range_kernel(const In* start, const In* delta, Out* y, int64_t n) {
  const In s = *start, d = *delta;
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    y[e] = convert<Out>(static_cast<In>(s + static_cast<In>(e) * d));
  }
}

template <typename T, typename Idx>
__global__ void one_hot_kernel(const Idx* idx, int64_t depth, int64_t inner, const T* values, T* y, int64_t n) {
  const T off = values[0], on = values[1];
  for (int64_t e = grid_first<int64_t>(); e < n; e += grid_step<int64_t>()) {
    const int64_t i = e % inner, t = e / inner, v = t % depth, o = t / depth;
    int64_t k = convert<int64_t>(idx[o * inner + i]);
    if (k < 0) k += depth;
    y[e] = k == v ? on : off;
  }
}

}  // namespace

cudaError_t copy_strided(const void* src, int64_t src_offset, std::vector<int64_t> src_strides, void* dst,
                         std::vector<int64_t> dims, size_t elem_size, cudaStream_t stream) {
  if (dims.size() != src_strides.size()) return cudaErrorInvalidValue;
  for (int64_t d : dims) {
    if (d == 0) return cudaSuccess;
  }
  collapse(dims, src_strides);
  if (dims.size() > static_cast<size_t>(kMaxWalkDims)) return cudaErrorNotSupported;
  const char* from = static_cast<const char*>(src);
  if (dims.size() == 1 && src_strides[0] == 1) {
    return cudaMemcpyAsync(dst, from + src_offset * static_cast<int64_t>(elem_size),
                           static_cast<size_t>(dims[0]) * elem_size, cudaMemcpyDeviceToDevice, stream);
  }
  if (const int row_dim = tiled_dim(dims, src_strides); row_dim >= 0) {
    return copy_tiled(src, src_offset, src_strides, dst, dims, row_dim, elem_size, stream);
  }
  widen(from + src_offset * static_cast<int64_t>(elem_size), src_offset, src_strides, dst, dims, elem_size);
  Walk w;
  w.rank = static_cast<int>(dims.size());
  int64_t n = 1;
  for (int d = 0; d < w.rank; ++d) {
    w.dims[d] = dims[d];
    w.src[d] = src_strides[d];
    n *= dims[d];
  }
  const bool small = n < kInt32Limit && max_offset(src_offset, dims, src_strides) < kInt32Limit;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    const T* s = static_cast<const T*>(src);
    T* t = static_cast<T*>(dst);
    if (small) {
      strided_kernel<T, int32_t><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
          s, static_cast<int32_t>(src_offset), w, t, static_cast<int32_t>(n));
    } else {
      strided_kernel<T, int64_t><<<grid_blocks(n), kBlockThreads, 0, stream>>>(s, src_offset, w, t, n);
    }
    return launched();
  });
}

cudaError_t concat_rows(const std::vector<const void*>& parts, const std::vector<int64_t>& widths, void* dst,
                        int64_t outer, size_t elem_size, cudaStream_t stream) {
  std::vector<void*> ptrs;
  for (const void* p : parts) ptrs.push_back(const_cast<void*>(p));
  return copy_rows<true>(dst, ptrs, widths, outer, elem_size, stream);
}

cudaError_t split_rows(const void* src, const std::vector<void*>& parts, const std::vector<int64_t>& widths,
                       int64_t outer, size_t elem_size, cudaStream_t stream) {
  return copy_rows<false>(const_cast<void*>(src), parts, widths, outer, elem_size, stream);
}

cudaError_t pad(const void* src, const std::vector<int64_t>& in_dims, void* dst, const std::vector<int64_t>& out_dims,
                const std::vector<int64_t>& before, PadMode mode, const void* value, uint64_t value_bits,
                size_t elem_size, cudaStream_t stream) {
  if (in_dims.size() > static_cast<size_t>(kMaxRank)) return cudaErrorNotSupported;
  PadGeom g;
  g.rank = static_cast<int>(in_dims.size());
  const std::vector<int64_t> strides = contiguous_strides(in_dims);
  int64_t n = 1;
  for (int d = 0; d < g.rank; ++d) {
    g.out[d] = out_dims[d];
    g.in[d] = in_dims[d];
    g.before[d] = before[d];
    g.in_strides[d] = strides[d];
    n *= out_dims[d];
  }
  if (n == 0) return cudaSuccess;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    T bits{};
    std::memcpy(&bits, &value_bits, std::min(sizeof(T), sizeof(value_bits)));
    pad_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<const T*>(src), g, mode,
                                                                  static_cast<const T*>(value), bits,
                                                                  static_cast<T*>(dst), n);
    return launched();
  });
}

cudaError_t gather(const void* x, int64_t outer, int64_t n, int64_t inner, const void* indices, bool int64_indices,
                   int64_t m, void* y, size_t elem_size, cudaStream_t stream) {
  const int64_t total = outer * m * inner;
  if (total == 0) return cudaSuccess;
  const size_t unit = widest_unit(elem_size, {inner}, {x, y});
  inner /= static_cast<int64_t>(unit / elem_size);
  const int64_t count = outer * m * inner;
  return dispatch_size(unit, [&](auto tag) {
    using T = decltype(tag);
    return dispatch_index(int64_indices, [&](auto itag) {
      using Idx = decltype(itag);
      gather_kernel<T, Idx><<<grid_blocks(count), kBlockThreads, 0, stream>>>(
          static_cast<const T*>(x), n, inner, static_cast<const Idx*>(indices), m, static_cast<T*>(y), count);
      return launched();
    });
  });
}

cudaError_t gather_elements(const void* x, const std::vector<int64_t>& x_dims, const void* indices,
                            bool int64_indices, const std::vector<int64_t>& idx_dims, int axis, void* y,
                            size_t elem_size, cudaStream_t stream) {
  if (x_dims.size() > static_cast<size_t>(kMaxRank) || idx_dims.size() != x_dims.size()) return cudaErrorNotSupported;
  ElemGeom g;
  g.rank = static_cast<int>(x_dims.size());
  g.axis = axis;
  g.axis_len = x_dims[axis];
  const std::vector<int64_t> strides = contiguous_strides(x_dims);
  int64_t n = 1;
  for (int d = 0; d < g.rank; ++d) {
    g.idx_dims[d] = idx_dims[d];
    g.x_strides[d] = strides[d];
    n *= idx_dims[d];
  }
  if (n == 0) return cudaSuccess;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    return dispatch_index(int64_indices, [&](auto itag) {
      using Idx = decltype(itag);
      gather_elements_kernel<T, Idx><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
          static_cast<const T*>(x), g, static_cast<const Idx*>(indices), static_cast<T*>(y), n);
      return launched();
    });
  });
}

cudaError_t gather_nd(const void* x, const std::vector<int64_t>& x_dims, const void* indices, bool int64_indices,
                      const std::vector<int64_t>& idx_dims, int batch_dims, void* y, size_t elem_size,
                      cudaStream_t stream) {
  NdGeom g;
  if (!nd_geometry(x_dims, idx_dims, batch_dims, g)) return cudaErrorNotSupported;
  const int64_t n = g.tuples * g.slice;
  if (n == 0) return cudaSuccess;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    return dispatch_index(int64_indices, [&](auto itag) {
      using Idx = decltype(itag);
      gather_nd_kernel<T, Idx><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
          static_cast<const T*>(x), g, static_cast<const Idx*>(indices), static_cast<T*>(y));
      return launched();
    });
  });
}

cudaError_t scatter_nd(const void* x, const std::vector<int64_t>& x_dims, const void* indices, bool int64_indices,
                       const std::vector<int64_t>& idx_dims, const void* updates, void* y, NumType type,
                       size_t elem_size, ScatterReduction reduction, cudaStream_t stream) {
  NdGeom g;
  if (!nd_geometry(x_dims, idx_dims, 0, g)) return cudaErrorNotSupported;
  int64_t numel = 1;
  for (int64_t d : x_dims) numel *= d;
  if (numel > 0 && x != y) {
    const cudaError_t err = cudaMemcpyAsync(y, x, static_cast<size_t>(numel) * elem_size, cudaMemcpyDeviceToDevice, stream);
    if (err != cudaSuccess) return err;
  }
  const int64_t n = g.tuples * g.slice;
  if (n == 0) return cudaSuccess;
  auto launch = [&](auto tag) {
    using T = decltype(tag);
    return dispatch_index(int64_indices, [&](auto itag) {
      using Idx = decltype(itag);
      scatter_nd_kernel<T, Idx><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
          static_cast<T*>(y), g, static_cast<const Idx*>(indices), static_cast<const T*>(updates), reduction);
      return launched();
    });
  };
  if (reduction == ScatterReduction::kNone) return dispatch_size(elem_size, launch);
  switch (type) {
    case NumType::kFloat: return launch(float{});
    case NumType::kHalf: return launch(__half{});
    case NumType::kDouble: return launch(double{});
    case NumType::kInt32: return launch(int32_t{});
    case NumType::kInt64: return launch(int64_t{});
    default: return cudaErrorNotSupported;
  }
}

cudaError_t trilu(const void* x, void* y, int64_t mats, int64_t rows, int64_t cols, const int64_t* k_device,
                  bool upper, size_t elem_size, cudaStream_t stream) {
  const int64_t n = mats * rows * cols;
  if (n == 0) return cudaSuccess;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    trilu_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), rows,
                                                                    cols, k_device, upper, n);
    return launched();
  });
}

cudaError_t fill(void* y, int64_t n, uint64_t bits, size_t elem_size, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  if (elem_size > sizeof(bits)) return cudaErrorNotSupported;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    T v;
    std::memcpy(&v, &bits, sizeof(T));
    fill_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<T*>(y), v, n);
    return launched();
  });
}

cudaError_t eye(void* y, int64_t rows, int64_t cols, int64_t k, uint64_t one_bits, size_t elem_size,
                cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n == 0) return cudaSuccess;
  if (elem_size > sizeof(one_bits)) return cudaErrorNotSupported;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    T one;
    std::memcpy(&one, &one_bits, sizeof(T));
    eye_kernel<T><<<grid_blocks(n), kBlockThreads, 0, stream>>>(static_cast<T*>(y), cols, k, one, n);
    return launched();
  });
}

cudaError_t reverse_sequence(const void* x, void* y, int64_t n, int64_t steps, int64_t time_stride, int64_t batch,
                             int64_t batch_stride, const void* lens, bool int64_lens, size_t elem_size,
                             cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    return dispatch_index(int64_lens, [&](auto ltag) {
      using Len = decltype(ltag);
      reverse_sequence_kernel<T, Len><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
          static_cast<const T*>(x), static_cast<T*>(y), steps, time_stride, batch, batch_stride,
          static_cast<const Len*>(lens), n);
      return launched();
    });
  });
}

cudaError_t range(const void* start, const void* delta, NumType in, void* y, NumType out, int64_t n,
                  cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  if (out != in && !(in == NumType::kFloat && out == NumType::kHalf)) return cudaErrorNotSupported;
  auto launch = [&](auto in_tag, auto out_tag) {
    using In = decltype(in_tag);
    using Out = decltype(out_tag);
    range_kernel<In, Out><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
        static_cast<const In*>(start), static_cast<const In*>(delta), static_cast<Out*>(y), n);
    return launched();
  };
  switch (in) {
    case NumType::kFloat: return out == NumType::kHalf ? launch(float{}, __half{}) : launch(float{}, float{});
    case NumType::kDouble: return launch(double{}, double{});
    case NumType::kInt16: return launch(int16_t{}, int16_t{});
    case NumType::kInt32: return launch(int32_t{}, int32_t{});
    case NumType::kInt64: return launch(int64_t{}, int64_t{});
    default: return cudaErrorNotSupported;
  }
}

cudaError_t one_hot(const void* indices, NumType index_type, int64_t outer, int64_t depth, int64_t inner,
                    const void* values, void* y, size_t elem_size, cudaStream_t stream) {
  const int64_t n = outer * depth * inner;
  if (n == 0) return cudaSuccess;
  return dispatch_size(elem_size, [&](auto tag) {
    using T = decltype(tag);
    return dispatch_num(index_type, [&](auto itag) {
      using Idx = decltype(itag);
      one_hot_kernel<T, Idx><<<grid_blocks(n), kBlockThreads, 0, stream>>>(
          static_cast<const Idx*>(indices), depth, inner, static_cast<const T*>(values), static_cast<T*>(y), n);
      return launched();
    });
  });
}

}  // namespace graft::cuda
