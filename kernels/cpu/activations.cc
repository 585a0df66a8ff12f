// Activations and clamping: Relu, LeakyRelu, Elu, Selu, Celu, Sigmoid, HardSigmoid,
// HardSwish, Softplus, Softsign, ThresholdedRelu, Shrink, PRelu, Clip.
#include <cmath>
#include <limits>

#include "kernels/cpu/elementwise_util.h"

namespace graft::cpu {
namespace {

template <typename T>
T sigmoid(T x) {
  return 1 / (1 + std::exp(-x));
}

template <typename T>
T softplus(T x) {  // log(1 + exp(x)) without overflow
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

template <typename T>
T clamp01(T x) {
  return x < 0 ? T(0) : x > 1 ? T(1) : x;
}

void relu(KernelContext& ctx) {
  unary_op(ctx, numeric_types("Relu"), [](auto x) { return x > 0 ? x : decltype(x)(0); });
}

void leaky_relu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 0.01f);
  unary_op(ctx, float_types("LeakyRelu"), [alpha](auto x) {
    using C = decltype(x);
    return x * (x < 0 ? C(alpha) : C(1));  // a select, not a branch: vectorizes
  });
}

void elu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  unary_op(ctx, float_types("Elu"), [alpha](auto x) { return x < 0 ? alpha * std::expm1(x) : x; });
}

void selu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.67326319217681884765625f);
  const float gamma = ctx.attr_float("gamma", 1.05070102214813232421875f);
  unary_op(ctx, float_types("Selu"), [=](auto x) { return gamma * (x > 0 ? x : alpha * std::expm1(x)); });
}

void celu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  unary_op(ctx, float_types("Celu"), [alpha](auto x) { return x > 0 ? x : alpha * std::expm1(x / alpha); });
}

void hard_sigmoid(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 0.2f);
  const float beta = ctx.attr_float("beta", 0.5f);
  unary_op(ctx, float_types("HardSigmoid"), [=](auto x) { return clamp01(alpha * x + beta); });
}

void thresholded_relu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  unary_op(ctx, float_types("ThresholdedRelu"), [alpha](auto x) { return x > alpha ? x : decltype(x)(0); });
}

void shrink(KernelContext& ctx) {
  const float bias = ctx.attr_float("bias", 0.0f);
  const float lambd = ctx.attr_float("lambd", 0.5f);
  unary_op(ctx, numeric_types("Shrink"), [=](auto x) {
    using C = decltype(x);
    return x < -lambd ? C(x + bias) : x > lambd ? C(x - bias) : C(0);
  });
}

// Before opset 7 a 1-D slope of X's channel count applies per channel (axis 1).
Dims prelu_slope_dims(const KernelContext& ctx, const Dims& x, const Dims& slope) {
  if (ctx.opset() >= 7 || slope.size() != 1 || x.size() < 2 || slope[0] != x[1] || slope[0] == 1) return slope;
  Dims d(x.size() - 1, 1);
  d[0] = slope[0];
  return d;
}

void prelu(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& slope = ctx.input(1);
  if (x.dtype() != slope.dtype()) ctx.fail("X and slope have different types: " + x.describe() + " and " + slope.describe());
  const Dims ds = prelu_slope_dims(ctx, x.dims(), slope.dims());
  if (broadcast_dims({&x.dims(), &ds}) != x.dims()) {
    ctx.fail("slope " + slope.describe() + " does not broadcast to X " + x.describe());
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_numeric(x.dtype(), "PRelu", [&](auto tag) {
    using T = decltype(tag);
    auto op = in_arith<T>([](auto v, auto s) { return v * (v < 0 ? s : decltype(s)(1)); });
    broadcast_binary(x.data<T>(), x.dims(), slope.data<T>(), ds, y.mutable_data<T>(), x.dims(), op);
  });
}

// A Clip bound: input `i` (opset 11+) or attribute `name` (before), else `def`.
template <typename C>
C clip_bound(const KernelContext& ctx, size_t i, const char* name, C def) {
  if (ctx.opset() < 11) return ctx.has_attr(name) ? static_cast<C>(ctx.attr_float(name, 0)) : def;
  if (!ctx.has_input(i)) return def;
  const HostTensor& b = ctx.input(i);
  if (b.numel() != 1 || b.dtype() != ctx.input(0).dtype()) {
    ctx.fail(std::string("input '") + name + "' must be a scalar of the input's type, got " + b.describe());
  }
  double v = 0;
  dispatch_numeric(b.dtype(), "Clip", [&](auto tag) { v = static_cast<double>(static_cast<arith_t<decltype(tag)>>(b.data<decltype(tag)>()[0])); });
  return static_cast<C>(v);
}

void clip(KernelContext& ctx) {
  dispatch_numeric(ctx.input(0).dtype(), "Clip", [&](auto tag) {
    using C = arith_t<decltype(tag)>;
    const C lo = clip_bound<C>(ctx, 1, "min", std::numeric_limits<C>::lowest());
    const C hi = clip_bound<C>(ctx, 2, "max", std::numeric_limits<C>::max());
    unary_op(ctx, [](DataType, auto&& f) { f(decltype(tag){}); }, [=](C x) {
      const C t = x < lo ? lo : x;
      return t > hi ? hi : t;  // min > max gives max, as the spec says
    });
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", Relu, 1, relu);
GRAFT_CPU_KERNEL("", LeakyRelu, 1, leaky_relu);
GRAFT_CPU_KERNEL("", Elu, 1, elu);
GRAFT_CPU_KERNEL("", Selu, 1, selu);
GRAFT_CPU_KERNEL("", Celu, 1, celu);
GRAFT_CPU_KERNEL("", HardSigmoid, 1, hard_sigmoid);
GRAFT_CPU_KERNEL("", ThresholdedRelu, 1, thresholded_relu);
GRAFT_CPU_KERNEL("", Shrink, 1, shrink);
GRAFT_CPU_KERNEL("", PRelu, 1, prelu);
GRAFT_CPU_KERNEL("", Clip, 1, clip);
GRAFT_CPU_KERNEL("", Sigmoid, 1,
                 (float_map_vec<decltype([](auto x) { return sigmoid(x); }), decltype([](const auto& a) { return a.logistic(); })>));
GRAFT_CPU_KERNEL("", Softplus, 1, float_map<decltype([](auto x) { return softplus(x); })>);
GRAFT_CPU_KERNEL("", Softsign, 1, float_map<decltype([](auto x) { return x / (1 + std::abs(x)); })>);
GRAFT_CPU_KERNEL("", HardSwish, 1, float_map<decltype([](auto x) { return x * clamp01(x / 6 + decltype(x)(0.5)); })>);

}  // namespace graft::cpu
