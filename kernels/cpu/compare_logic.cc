// Comparisons (Equal, Greater, Less, GreaterOrEqual, LessOrEqual), boolean logic (And, Or,
// Xor, Not) and Where, all with broadcasting.
#include "kernels/cpu/elementwise_util.h"

namespace graft::cpu {
namespace {

auto numeric_or_bool_types(const char* what) {
  return [what](DataType t, auto&& f) { dispatch_numeric_or_bool(t, what, f); };
}

auto bool_type(const char* what) {
  return [what](DataType t, auto&& f) {
    if (t != DataType::kBool) unsupported_dtype(t, what);
    f(bool{});
  };
}

// A comparison or logic op: f(a, b) in arith_t<T>, bool output.
template <typename F>
void predicate(KernelContext& ctx, bool bools_only, F f) {
  const char* what = ctx.node().op_type.c_str();
  if (bools_only) {
    arith_binary_op<bool>(ctx, bool_type(what), f);
  } else {
    arith_binary_op<bool>(ctx, numeric_or_bool_types(what), f);
  }
}

void equal(KernelContext& ctx) { predicate(ctx, false, [](auto a, auto b) { return a == b; }); }
void greater(KernelContext& ctx) { predicate(ctx, false, [](auto a, auto b) { return a > b; }); }
void less(KernelContext& ctx) { predicate(ctx, false, [](auto a, auto b) { return a < b; }); }
void greater_or_equal(KernelContext& ctx) { predicate(ctx, false, [](auto a, auto b) { return a >= b; }); }
void less_or_equal(KernelContext& ctx) { predicate(ctx, false, [](auto a, auto b) { return a <= b; }); }
void logical_and(KernelContext& ctx) { predicate(ctx, true, [](bool a, bool b) { return a && b; }); }
void logical_or(KernelContext& ctx) { predicate(ctx, true, [](bool a, bool b) { return a || b; }); }
void logical_xor(KernelContext& ctx) { predicate(ctx, true, [](bool a, bool b) { return a != b; }); }
void logical_not(KernelContext& ctx) { unary_op(ctx, bool_type("Not"), [](bool a) { return !a; }); }

// out = cond ? x : y over the broadcast of the three shapes.
template <typename T>
void select(const bool* c, const T* x, const T* y, T* out, const Dims& dc, const Dims& dx, const Dims& dy,
            const Dims& dout) {
  const int64_t n = num_elements(dout);
  if (num_elements(dc) == n && num_elements(dx) == n && num_elements(dy) == n) {
    for_n(n, [&](int64_t i) { out[i] = c[i] ? x[i] : y[i]; });
    return;
  }
  Dims o = dout;
  std::vector<Dims> ins{dc, dx, dy};
  coalesce_broadcast(o, ins);
  for_each_broadcast(o, {&ins[0], &ins[1], &ins[2]}, [&](int64_t off, const int64_t* in, const int64_t* st, int64_t k) {
    for (int64_t i = 0; i < k; ++i) {
      out[off + i] = c[in[0] + i * st[0]] ? x[in[1] + i * st[1]] : y[in[2] + i * st[2]];
    }
  });
}

void where(KernelContext& ctx) {
  const HostTensor& c = ctx.input(0);
  const HostTensor& x = ctx.input(1);
  const HostTensor& y = ctx.input(2);
  if (c.dtype() != DataType::kBool) ctx.fail("condition must be bool, got " + c.describe());
  if (x.dtype() != y.dtype()) ctx.fail("X and Y have different types: " + x.describe() + " and " + y.describe());
  const Dims dout = broadcast_dims({&c.dims(), &x.dims(), &y.dims()});
  HostTensor& out = ctx.allocate_output(0, x.dtype(), dout);
  if (x.dtype() == DataType::kString) {
    select(c.data<bool>(), x.strings().data(), y.strings().data(), out.mutable_strings().data(), c.dims(), x.dims(),
           y.dims(), dout);
    return;
  }
  dispatch_by_size(x.dtype(), "Where", [&](auto tag) {
    using T = decltype(tag);
    select(c.data<bool>(), x.data<T>(), y.data<T>(), out.mutable_data<T>(), c.dims(), x.dims(), y.dims(), dout);
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", Equal, 1, equal);
GRAFT_CPU_KERNEL("", Greater, 1, greater);
GRAFT_CPU_KERNEL("", Less, 1, less);
GRAFT_CPU_KERNEL("", GreaterOrEqual, 1, greater_or_equal);
GRAFT_CPU_KERNEL("", LessOrEqual, 1, less_or_equal);
GRAFT_CPU_KERNEL("", And, 1, logical_and);
GRAFT_CPU_KERNEL("", Or, 1, logical_or);
GRAFT_CPU_KERNEL("", Xor, 1, logical_xor);
GRAFT_CPU_KERNEL("", Not, 1, logical_not);
GRAFT_CPU_KERNEL("", Where, 1, where);

}  // namespace graft::cpu
