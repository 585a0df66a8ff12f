// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare, ArgMax, ArgMin.
#include <cmath>
#include <limits>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"
#include "kernels/cpu/reduce_util.h"

namespace graft::cpu {
namespace {

// Each reduction: the accumulator's start value, how an element is folded in, and the
// final value from the accumulator and the number of elements folded.
struct SumOp {
  template <typename T, typename A> static A init() { return A(0); }
  template <typename A> static A add(A a, A x) { return a + x; }
  template <typename A> static A finish(A a, int64_t) { return a; }
};
struct MeanOp : SumOp {
  template <typename A> static A finish(A a, int64_t n) {
    if constexpr (std::is_integral_v<A>) return n ? A(a / A(n)) : A(0);
    else return a / A(n);  // NaN for an empty set
  }
};
struct ProdOp : SumOp {
  template <typename T, typename A> static A init() { return A(1); }
  template <typename A> static A add(A a, A x) { return a * x; }
};
struct L1Op : SumOp {
  template <typename A> static A add(A a, A x) { return a + (x < 0 ? A(-x) : x); }
};
struct SumSquareOp : SumOp {
  template <typename A> static A add(A a, A x) { return a + x * x; }
};
struct L2Op : SumSquareOp {
  template <typename A> static A finish(A a, int64_t) { return A(std::sqrt(double(a))); }
};
struct LogSumOp : SumOp {
  template <typename A> static A finish(A a, int64_t) { return A(std::log(double(a))); }
};
struct MaxOp : SumOp {
  template <typename T, typename A> static A init() {
    if constexpr (std::is_integral_v<T>) return A(std::numeric_limits<T>::lowest());
    else return -std::numeric_limits<A>::infinity();
  }
  template <typename A> static A add(A a, A x) { return (a != a || a >= x) ? a : x; }  // NaN wins
};
struct MinOp : SumOp {
  template <typename T, typename A> static A init() {
    if constexpr (std::is_integral_v<T>) return A(std::numeric_limits<T>::max());
    else return std::numeric_limits<A>::infinity();
  }
  template <typename A> static A add(A a, A x) { return (a != a || a <= x) ? a : x; }
};

// The reduced axes as flags per input dim. Axes come from the 'axes' attribute (older
// opsets) or the optional second input (ReduceSum 13+, the others 18+); none means all,
// unless noop_with_empty_axes asks for no reduction at all.
std::vector<bool> reduced_axes(const KernelContext& ctx, int64_t rank) {
  std::vector<int64_t> axes;
  if (ctx.has_attr("axes")) {
    axes = ctx.attr_ints("axes");
  } else if (ctx.has_input(1)) {
    const HostTensor& t = ctx.input(1);
    if (t.dtype() != DataType::kInt64) ctx.fail("input 'axes' must be int64, got " + t.describe());
    axes = t.to_int64s();
  }
  const bool noop = ctx.attr_int("noop_with_empty_axes", 0) != 0;
  std::vector<bool> flags(rank, axes.empty() && !noop);
  for (int64_t a : axes) flags[normalize_axis(ctx, a, rank)] = true;
  return flags;
}

Dims reduced_dims(const Dims& dims, const std::vector<bool>& flags, bool keepdims) {
  Dims out;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (!flags[d]) out.push_back(dims[d]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

// Folds every element of x into acc[o] with Op, after mapping it with `pre`. A run that
// reduces into one element accumulates in a local.
template <typename Op, typename A, typename Pre>
void accumulate(const ReducePlan& plan, Pre pre, std::vector<A>& acc) {
  A* a = acc.data();
  for_each_reduce_run(plan, [&](int64_t o, int64_t i, int64_t n, bool reduced) {
    if (reduced) {
      A s = a[o];
      for (int64_t k = 0; k < n; ++k) s = Op::add(s, pre(o, i + k));
      a[o] = s;
    } else {
      for (int64_t k = 0; k < n; ++k) a[o + k] = Op::add(a[o + k], pre(o + k, i + k));
    }
  });
}

// Reduces input 0 with Op. LogSumExp is SumOp over exp(x - max), then log(sum) + max.
template <typename Op, bool kAllowBool = false, bool kLogSumExp = false>
void reduce(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const std::vector<bool> flags = reduced_axes(ctx, rank);
  const bool keepdims = ctx.attr_int("keepdims", 1) != 0;
  const ReducePlan plan = make_reduce_plan(x.dims(), flags);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), reduced_dims(x.dims(), flags, keepdims));
  auto body = [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    std::vector<A> shift;
    if constexpr (kLogSumExp) {
      shift.assign(plan.out_numel, MaxOp::init<T, A>());
      accumulate<MaxOp>(plan, [&](int64_t, int64_t i) { return widen(px[i]); }, shift);
      for (A& s : shift) {
        if (!std::isfinite(double(s))) s = A(0);  // empty or infinite: no shift
      }
    }
    std::vector<A> acc(plan.out_numel, Op::template init<T, A>());
    if constexpr (kLogSumExp) {
      accumulate<Op>(plan, [&](int64_t o, int64_t i) { return A(std::exp(widen(px[i]) - shift[o])); }, acc);
    } else {
      accumulate<Op>(plan, [&](int64_t, int64_t i) { return widen(px[i]); }, acc);
    }
    for (int64_t o = 0; o < plan.out_numel; ++o) {
      A r = Op::finish(acc[o], plan.count);
      if constexpr (kLogSumExp) r = A(std::log(double(r)) + double(shift[o]));
      py[o] = narrow<T>(r);
    }
  };
  if constexpr (kAllowBool) dispatch_numeric_or_bool(x.dtype(), ctx.node().op_type.c_str(), body);
  else dispatch_numeric(x.dtype(), ctx.node().op_type.c_str(), body);
}

// ArgMax (kMax) and ArgMin along one axis; ties go to the first index unless
// select_last_index.
template <bool kMax>
void arg_reduce(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 0), std::max<int64_t>(rank, 1));
  const bool keepdims = ctx.attr_int("keepdims", 1) != 0;
  const bool last = ctx.attr_int("select_last_index", 0) != 0;
  const Dims& dims = x.dims();
  int64_t outer = 1, inner = 1;
  const int64_t n = rank ? dims[axis] : 1;
  for (int64_t d = 0; d < axis; ++d) outer *= dims[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= dims[d];
  if (n == 0) ctx.fail("cannot take " + ctx.node().op_type + " over empty axis " + std::to_string(axis) + " of " + x.describe());
  std::vector<bool> flags(rank, false);
  if (rank) flags[axis] = true;
  HostTensor& y = ctx.allocate_output(0, DataType::kInt64, reduced_dims(dims, flags, keepdims));
  int64_t* py = y.mutable_data<int64_t>();
  dispatch_numeric(x.dtype(), ctx.node().op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    for (int64_t b = 0; b < outer; ++b) {
      for (int64_t j = 0; j < inner; ++j) {
        const T* p = px + b * n * inner + j;
        auto best = widen(p[0]);
        int64_t at = 0;
        for (int64_t k = 1; k < n; ++k) {
          const auto v = widen(p[k * inner]);
          // NaN beats everything, as in numpy; among NaNs the first (or last) wins.
          const bool v_nan = v != v, best_nan = best != best;
          const bool beats = kMax ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
          const bool better = best_nan ? last && v_nan : v_nan || beats;
          if (better) best = v, at = k;
        }
        py[b * inner + j] = at;
      }
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", ReduceSum, 1, (reduce<SumOp>));
GRAFT_CPU_KERNEL("", ReduceMean, 1, (reduce<MeanOp>));
GRAFT_CPU_KERNEL("", ReduceProd, 1, (reduce<ProdOp>));
GRAFT_CPU_KERNEL("", ReduceL1, 1, (reduce<L1Op>));
GRAFT_CPU_KERNEL("", ReduceL2, 1, (reduce<L2Op>));
GRAFT_CPU_KERNEL("", ReduceSumSquare, 1, (reduce<SumSquareOp>));
GRAFT_CPU_KERNEL("", ReduceLogSum, 1, (reduce<LogSumOp>));
GRAFT_CPU_KERNEL("", ReduceLogSumExp, 1, (reduce<SumOp, false, true>));
GRAFT_CPU_KERNEL("", ReduceMax, 1, (reduce<MaxOp, true>));
GRAFT_CPU_KERNEL("", ReduceMin, 1, (reduce<MinOp, true>));
GRAFT_CPU_KERNEL("", ArgMax, 1, arg_reduce<true>);
GRAFT_CPU_KERNEL("", ArgMin, 1, arg_reduce<false>);

}  // namespace graft::cpu
