#include "kernels/cuda/reduce.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/num_type.cuh"
#include "kernels/cuda/row_group.cuh"
#include "kernels/cuda/strided_index.cuh"

namespace graft::cuda {
namespace {

// Integers accumulate in int64 (so int32 sums wrap as the CPU's do), floats in float,
// double in double.
template <typename T>
using reduce_acc_t = std::conditional_t<std::is_integral_v<T>, int64_t,
                                        std::conditional_t<std::is_same_v<T, double>, double, float>>;

// How an element enters the accumulator, and how the accumulator becomes the result.
enum class Pre : uint8_t { kValue, kAbs, kSquare, kExpShift, kCenteredSquare };
enum class Finish : uint8_t { kValue, kMean, kSqrt, kLog, kLogShift, kFiniteOrZero, kInvStd };

struct SumFold {
  template <typename T, typename A>
  __device__ static A init() { return A(0); }
  template <typename A>
  __device__ static A fold(A a, A b) { return a + b; }
};
struct ProdFold {
  template <typename T, typename A>
  __device__ static A init() { return A(1); }
  template <typename A>
  __device__ static A fold(A a, A b) { return a * b; }
};
struct MaxFold {
  template <typename T, typename A>
  __device__ static A init() {
    if constexpr (std::is_integral_v<T>) return A(std::numeric_limits<T>::lowest());
    else return -std::numeric_limits<A>::infinity();
  }
  template <typename A>
  __device__ static A fold(A a, A b) { return (a != a || a >= b) ? a : b; }  // NaN wins
};
struct MinFold {
  template <typename T, typename A>
  __device__ static A init() {
    if constexpr (std::is_integral_v<T>) return A(std::numeric_limits<T>::max());
    else return std::numeric_limits<A>::infinity();
  }
  template <typename A>
  __device__ static A fold(A a, A b) { return (a != a || a <= b) ? a : b; }
};

// A reduction of T elements folded with Fold, its result written as Y.
template <typename T, typename Fold, typename Y>
struct ValueReduce {
  using Acc = reduce_acc_t<T>;
  Pre pre = Pre::kValue;
  Finish finish_as = Finish::kValue;
  int64_t count = 1;            // elements per result
  const Acc* shift = nullptr;   // per result: LogSumExp's max, or the mean

  __device__ Acc init() const { return Fold::template init<T, Acc>(); }
  __device__ Acc fold(Acc a, Acc b) const { return Fold::fold(a, b); }
  __device__ Acc load(T x, int64_t o, int64_t) const {
    const Acc v = convert<Acc>(x);
    switch (pre) {
      case Pre::kValue: return v;
      case Pre::kAbs: return v < Acc(0) ? Acc(-v) : v;
      case Pre::kSquare: return v * v;
      case Pre::kExpShift: return exp_of(Acc(v - shift[o]));
      case Pre::kCenteredSquare: {
        const Acc d = v - shift[o];
        return d * d;
      }
    }
    return v;
  }
  __device__ Y finish(Acc a, int64_t o) const {
    switch (finish_as) {
      case Finish::kValue: break;
      case Finish::kMean:
        if constexpr (std::is_integral_v<Acc>) a = count ? a / count : Acc(0);
        else a = a / Acc(count);  // NaN for an empty set
        break;
      case Finish::kSqrt: a = sqrt_of(a); break;
      case Finish::kLog: a = log_of(a); break;
      case Finish::kLogShift: a = log_of(a) + shift[o]; break;
      case Finish::kFiniteOrZero: a = isfinite(double(a)) ? a : Acc(0); break;
      case Finish::kInvStd: a = Acc(1) / (sqrt_of(Acc(a / Acc(count))) + Acc(1e-9)); break;
    }
    return convert<Y>(a);
  }
};

template <typename V>
struct ValueAt {
  V value;
  int64_t index;  // -1: no element yet
};

// ArgMax / ArgMin: the fold is a total order (NaN first, then value, then index), so
// partial results combine in any order.
template <typename T>
struct ArgReduce {
  using V = reduce_acc_t<T>;
  using Acc = ValueAt<V>;
  bool max = true;
  bool last = false;

  __device__ Acc init() const { return {V(0), -1}; }
  __device__ Acc load(T x, int64_t, int64_t r) const { return {convert<V>(x), r}; }
  __device__ Acc fold(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
    bool a_wins;
    if (a_nan != b_nan) a_wins = a_nan;
    else if (a_nan || a.value == b.value) a_wins = last ? a.index > b.index : a.index < b.index;
    else a_wins = max ? a.value > b.value : a.value < b.value;
    return a_wins ? a : b;
  }
  __device__ int64_t finish(Acc a, int64_t) const { return a.index; }
};

// The reduction seen as `out_numel` results of `count` elements each. Rows: the innermost
// dim is reduced; `lanes` threads share a result. Columns: the innermost dim is kept; a
// block holds `width` neighbouring results (coalesced) times `lanes` threads along the
// reduction. With splits > 1, blockIdx.y takes a chunk of each reduction and a second
// kernel folds the partial results.
struct ReducePlan {
  StridedIndex outer;    // result (rows) or result / inner (columns) -> input offset
  StridedIndex reduced;  // reduction index -> input offset
  int64_t out_numel = 1, count = 1;
  int64_t inner = 1;     // columns: the innermost dim's size (stride 1)
  bool columns = false;
  int lanes = 1, width = 1;
  int64_t tiles = 0;     // blocks of results
  int splits = 1;
  int64_t chunk = 1;     // reduction elements per split
};

constexpr int kColumnThreads = 256;
constexpr int kMaxSplits = 1024;
constexpr int64_t kMinPerThread = 16;  // elements a thread folds at least before splitting pays

int64_t pow2_at_least(int64_t n) {
  int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

int sm_count() {
  static const int count = [] {
    int device = 0, n = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
      n = 0;
    }
    return n > 0 ? n : 132;
  }();
  return count;
}

ReducePlan make_plan(const ReduceShape& shape) {
  // Size-1 dims dropped; neighbours of the same kind merged.
  std::vector<int64_t> sizes;
  std::vector<bool> kinds;
  for (size_t d = 0; d < shape.dims.size(); ++d) {
    if (shape.dims[d] == 1) continue;
    if (!kinds.empty() && kinds.back() == shape.reduced[d]) {
      sizes.back() *= shape.dims[d];
    } else {
      sizes.push_back(shape.dims[d]);
      kinds.push_back(shape.reduced[d]);
    }
  }
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t d = sizes.size(); d-- > 1;) strides[d - 1] = strides[d] * sizes[d];

  ReducePlan p;
  p.columns = !kinds.empty() && !kinds.back();
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (kinds[d]) {
      p.reduced.push(sizes[d], strides[d]);
      p.count *= sizes[d];
    } else {
      p.out_numel *= sizes[d];
      if (!(p.columns && d + 1 == sizes.size())) p.outer.push(sizes[d], strides[d]);
    }
  }
  if (p.columns) {
    p.inner = sizes.back();
    p.width = static_cast<int>(std::min<int64_t>(32, pow2_at_least(p.inner)));
    p.lanes = static_cast<int>(std::min<int64_t>(kColumnThreads / p.width, pow2_at_least(p.count)));
    p.tiles = p.out_numel / p.inner * ((p.inner + p.width - 1) / p.width);
  } else {
    p.lanes = static_cast<int>(std::min<int64_t>(kMaxGroup, pow2_at_least((p.count + 3) / 4)));
    p.tiles = (p.out_numel + rows_per_block(p.lanes) - 1) / rows_per_block(p.lanes);
  }
  p.chunk = std::max<int64_t>(p.count, 1);
  const int64_t target = 2 * int64_t(sm_count());
  const int64_t per_split = p.lanes * kMinPerThread;
  if (p.tiles > 0 && p.tiles < target && p.count >= 2 * per_split) {
    const int64_t splits = std::min<int64_t>({(target + p.tiles - 1) / p.tiles, p.count / per_split, kMaxSplits});
    p.chunk = (p.count + splits - 1) / splits;
    p.splits = static_cast<int>((p.count + p.chunk - 1) / p.chunk);
  }
  return p;
}

size_t partials_bytes(const ReducePlan& p, size_t acc_bytes) {
  return p.splits > 1 ? static_cast<size_t>(p.out_numel) * p.splits * acc_bytes : 0;
}

size_t align_up(size_t n) { return (n + 255) / 256 * 256; }

// Folds elements begin, begin + step, ... (< end) of one result, four loads in flight.
template <typename T, typename Op>
__device__ typename Op::Acc fold_range(const Op& op, const T* x, const StridedIndex& reduced, int64_t r, int64_t end,
                                       int64_t step, int64_t o) {
  typename Op::Acc acc = op.init();
  for (; r + 3 * step < end; r += 4 * step) {
    const T v0 = x[reduced.offset(r)], v1 = x[reduced.offset(r + step)];
    const T v2 = x[reduced.offset(r + 2 * step)], v3 = x[reduced.offset(r + 3 * step)];
    acc = op.fold(acc, op.load(v0, o, r));
    acc = op.fold(acc, op.load(v1, o, r + step));
    acc = op.fold(acc, op.load(v2, o, r + 2 * step));
    acc = op.fold(acc, op.load(v3, o, r + 3 * step));
  }
  for (; r < end; r += step) acc = op.fold(acc, op.load(x[reduced.offset(r)], o, r));
  return acc;
}

template <typename Y, typename Op>
__device__ void store_result(const ReducePlan& p, const Op& op, Y* y, typename Op::Acc* partial, int64_t o,
                             typename Op::Acc acc) {
  if (p.splits == 1) y[o] = op.finish(acc, o);
  else partial[o * p.splits + blockIdx.y] = acc;
}

template <typename T, typename Y, typename Op>
__global__ void __launch_bounds__(kMaxGroup) reduce_rows_kernel(const T* x, Y* y, typename Op::Acc* partial, ReducePlan p, Op op) {
  using Acc = typename Op::Acc;
  const int lane = threadIdx.x % p.lanes;
  const int rows = blockDim.x / p.lanes;
  const int64_t begin = blockIdx.y * p.chunk, end = min(p.count, begin + p.chunk);
  for (int64_t tile = blockIdx.x; tile < p.tiles; tile += gridDim.x) {
    const int64_t o = tile * rows + threadIdx.x / p.lanes;
    Acc acc = op.init();
    if (o < p.out_numel) acc = fold_range(op, x + p.outer.offset(o), p.reduced, begin + lane, end, p.lanes, o);
    acc = group_reduce(acc, p.lanes, [&](Acc a, Acc b) { return op.fold(a, b); });
    if (o < p.out_numel && lane == 0) store_result(p, op, y, partial, o, acc);
  }
}

template <typename T, typename Y, typename Op>
__global__ void reduce_columns_kernel(const T* x, Y* y, typename Op::Acc* partial, ReducePlan p, Op op) {
  using Acc = typename Op::Acc;
  __shared__ Acc lane_acc[kColumnThreads];
  const int slot = threadIdx.y * p.width + threadIdx.x;
  const int64_t column_tiles = (p.inner + p.width - 1) / p.width;
  const int64_t begin = blockIdx.y * p.chunk, end = min(p.count, begin + p.chunk);
  for (int64_t tile = blockIdx.x; tile < p.tiles; tile += gridDim.x) {
    const int64_t outer = tile / column_tiles;
    const int64_t i = tile % column_tiles * p.width + threadIdx.x;
    const int64_t o = outer * p.inner + i;
    Acc acc = op.init();
    if (i < p.inner) acc = fold_range(op, x + p.outer.offset(outer) + i, p.reduced, begin + threadIdx.y, end, p.lanes, o);
    lane_acc[slot] = acc;
    __syncthreads();
    for (int half = p.lanes / 2; half > 0; half /= 2) {
      if (int(threadIdx.y) < half) lane_acc[slot] = op.fold(lane_acc[slot], lane_acc[slot + half * p.width]);
      __syncthreads();
    }
    if (i < p.inner && threadIdx.y == 0) store_result(p, op, y, partial, o, lane_acc[threadIdx.x]);
    __syncthreads();  // lane_acc is reused by the next tile
  }
}

template <typename Y, typename Op>
__global__ void finish_partials_kernel(const typename Op::Acc* partial, Y* y, int64_t out_numel, int splits, Op op) {
  for (int64_t o = grid_first<int64_t>(); o < out_numel; o += grid_step<int64_t>()) {
    typename Op::Acc acc = partial[o * splits];
    for (int s = 1; s < splits; ++s) acc = op.fold(acc, partial[o * splits + s]);
    y[o] = op.finish(acc, o);
  }
}

// `partials`: partials_bytes(p, sizeof(Op::Acc)) of workspace.
template <typename T, typename Y, typename Op>
cudaError_t run_reduce(const ReducePlan& p, const T* x, Y* y, void* partials, const Op& op, cudaStream_t stream) {
  if (p.out_numel == 0) return cudaSuccess;
  using Acc = typename Op::Acc;
  Acc* partial = static_cast<Acc*>(partials);
  const dim3 grid(row_grid(p.tiles), p.splits);
  if (p.columns) {
    reduce_columns_kernel<T, Y, Op><<<grid, dim3(p.width, p.lanes), 0, stream>>>(x, y, partial, p, op);
  } else {
    reduce_rows_kernel<T, Y, Op><<<grid, row_block_threads(p.lanes), 0, stream>>>(x, y, partial, p, op);
  }
  if (p.splits > 1) {
    finish_partials_kernel<Y, Op><<<grid_blocks(p.out_numel), kBlockThreads, 0, stream>>>(partial, y, p.out_numel,
                                                                                         p.splits, op);
  }
  return cudaGetLastError();
}

template <typename F>
cudaError_t dispatch_numeric(NumType type, F&& f) {
  switch (type) {
    case NumType::kInt32: return f(int32_t{});
    case NumType::kInt64: return f(int64_t{});
    default: return dispatch_float_num(type, f);
  }
}

bool is_float(NumType t) { return t == NumType::kFloat || t == NumType::kHalf || t == NumType::kDouble; }
size_t acc_bytes(NumType t) { return t == NumType::kFloat || t == NumType::kHalf ? 4 : 8; }

template <typename T>
cudaError_t reduce_typed(ReduceKind kind, const T* x, T* y, const ReduceShape& shape, void* workspace,
                         cudaStream_t stream) {
  using A = reduce_acc_t<T>;
  const ReducePlan p = make_plan(shape);
  auto value = [&](auto fold, Pre pre, Finish finish) {
    return run_reduce(p, x, y, workspace, ValueReduce<T, decltype(fold), T>{pre, finish, p.count, nullptr}, stream);
  };
  switch (kind) {
    case ReduceKind::kSum: return value(SumFold{}, Pre::kValue, Finish::kValue);
    case ReduceKind::kMean: return value(SumFold{}, Pre::kValue, Finish::kMean);
    case ReduceKind::kProd: return value(ProdFold{}, Pre::kValue, Finish::kValue);
    case ReduceKind::kMax: return value(MaxFold{}, Pre::kValue, Finish::kValue);
    case ReduceKind::kMin: return value(MinFold{}, Pre::kValue, Finish::kValue);
    case ReduceKind::kL1: return value(SumFold{}, Pre::kAbs, Finish::kValue);
    case ReduceKind::kL2: return value(SumFold{}, Pre::kSquare, Finish::kSqrt);
    case ReduceKind::kLogSum: return value(SumFold{}, Pre::kValue, Finish::kLog);
    case ReduceKind::kSumSquare: return value(SumFold{}, Pre::kSquare, Finish::kValue);
    case ReduceKind::kLogSumExp:
      if constexpr (std::is_integral_v<T>) {
        return cudaErrorNotSupported;
      } else {
        // log(sum(exp(x - max))) + max, the max replaced by 0 where it is not finite.
        A* shift = static_cast<A*>(workspace);
        void* partials = static_cast<char*>(workspace) + align_up(p.out_numel * sizeof(A));
        const cudaError_t err =
            run_reduce(p, x, shift, partials, ValueReduce<T, MaxFold, A>{Pre::kValue, Finish::kFiniteOrZero, p.count, nullptr}, stream);
        if (err != cudaSuccess) return err;
        return run_reduce(p, x, y, partials, ValueReduce<T, SumFold, T>{Pre::kExpShift, Finish::kLogShift, p.count, shift},
                          stream);
      }
  }
  return cudaErrorNotSupported;
}

}  // namespace

bool reduce_supports(ReduceKind kind, NumType type) {
  if (is_float(type)) return true;
  return (type == NumType::kInt32 || type == NumType::kInt64) && kind != ReduceKind::kLogSumExp;
}

size_t reduce_workspace_bytes(ReduceKind kind, NumType type, const ReduceShape& shape) {
  const ReducePlan p = make_plan(shape);
  const size_t shift = kind == ReduceKind::kLogSumExp ? align_up(p.out_numel * acc_bytes(type)) : 0;
  return shift + partials_bytes(p, acc_bytes(type));
}

cudaError_t reduce(ReduceKind kind, NumType type, const void* x, void* y, const ReduceShape& shape, void* workspace,
                   cudaStream_t stream) {
  return dispatch_numeric(type, [&](auto tag) {
    using T = decltype(tag);
    return reduce_typed(kind, static_cast<const T*>(x), static_cast<T*>(y), shape, workspace, stream);
  });
}

namespace {
ReduceShape arg_shape(int64_t outer, int64_t n, int64_t inner) { return {{outer, n, inner}, {false, true, false}}; }
}  // namespace

size_t arg_reduce_workspace_bytes(NumType, int64_t outer, int64_t n, int64_t inner) {
  static_assert(sizeof(ValueAt<float>) == sizeof(ValueAt<double>), "one size for every type");
  return partials_bytes(make_plan(arg_shape(outer, n, inner)), sizeof(ValueAt<double>));
}

cudaError_t arg_reduce(bool max, bool select_last, NumType type, const void* x, int64_t* y, int64_t outer, int64_t n,
                       int64_t inner, void* workspace, cudaStream_t stream) {
  const ReducePlan p = make_plan(arg_shape(outer, n, inner));
  return dispatch_numeric(type, [&](auto tag) {
    using T = decltype(tag);
    return run_reduce(p, static_cast<const T*>(x), y, workspace, ArgReduce<T>{max, select_last}, stream);
  });
}

size_t mvn_statistics_workspace_bytes(NumType type, const ReduceShape& shape) {
  return partials_bytes(make_plan(shape), acc_bytes(type));
}

cudaError_t mvn_statistics(NumType type, const void* x, const ReduceShape& shape, void* mean, void* inv_std,
                           void* workspace, cudaStream_t stream) {
  const ReducePlan p = make_plan(shape);
  return dispatch_float_num(type, [&](auto tag) {
    using T = decltype(tag);
    using A = reduce_acc_t<T>;
    A* m = static_cast<A*>(mean);
    const T* xt = static_cast<const T*>(x);
    const cudaError_t err =
        run_reduce(p, xt, m, workspace, ValueReduce<T, SumFold, A>{Pre::kValue, Finish::kMean, p.count, nullptr}, stream);
    if (err != cudaSuccess) return err;
    return run_reduce(p, xt, static_cast<A*>(inv_std), workspace,
                      ValueReduce<T, SumFold, A>{Pre::kCenteredSquare, Finish::kInvStd, p.count, m}, stream);
  });
}

}  // namespace graft::cuda
