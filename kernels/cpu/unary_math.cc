// Elementwise math on one input: Abs, Neg, Sign, Reciprocal, Sqrt, Exp, Log, Erf, Ceil,
// Floor, Round, trigonometric and hyperbolic functions; IsNaN and IsInf.
#include <cmath>

#include <unsupported/Eigen/SpecialFunctions>  // Array::erf

#include "kernels/cpu/elementwise_util.h"

namespace graft::cpu {
namespace {

template <typename T>
T abs_of(T x) {
  if constexpr (std::is_unsigned_v<T>) {
    return x;
  } else {
    return x < 0 ? T(-x) : x;
  }
}

template <typename T>
T sign_of(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x > 0 ? T(1) : x < 0 ? T(-1) : x;  // keeps NaN and zero
  } else {
    return T((x > 0) - (x < 0));
  }
}

// Output bool[x.dims] = pred(x) over a float input.
template <typename Pred>
void float_predicate(KernelContext& ctx, Pred pred) {
  const HostTensor& x = ctx.input(0);
  HostTensor& y = ctx.allocate_output(0, DataType::kBool, x.dims());
  dispatch_float(x.dtype(), ctx.node().op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    map_n(x.data<T>(), y.mutable_data<bool>(), x.numel(), [&](T v) { return pred(static_cast<compute_t<T>>(v)); });
  });
}

void is_nan(KernelContext& ctx) {
  float_predicate(ctx, [](auto v) { return std::isnan(v); });
}

void is_inf(KernelContext& ctx) {
  const bool neg = ctx.attr_int("detect_negative", 1) != 0;
  const bool pos = ctx.attr_int("detect_positive", 1) != 0;
  float_predicate(ctx, [&](auto v) { return std::isinf(v) && (v > 0 ? pos : neg); });
}

}  // namespace

GRAFT_CPU_KERNEL("", Abs, 1, numeric_map<decltype([](auto x) { return abs_of(x); })>);
GRAFT_CPU_KERNEL("", Neg, 1, numeric_map<decltype([](auto x) { return -x; })>);
GRAFT_CPU_KERNEL("", Sign, 1, numeric_map<decltype([](auto x) { return sign_of(x); })>);
GRAFT_CPU_KERNEL("", Reciprocal, 1, float_map<decltype([](auto x) { return 1 / x; })>);
GRAFT_CPU_KERNEL("", Sqrt, 1,
                 (float_map_vec<decltype([](auto x) { return std::sqrt(x); }), decltype([](const auto& a) { return a.sqrt(); })>));
GRAFT_CPU_KERNEL("", Exp, 1, float_map<decltype([](auto x) { return std::exp(x); })>);  // glibc expf beats Eigen's SSE2 exp
GRAFT_CPU_KERNEL("", Log, 1,
                 (float_map_vec<decltype([](auto x) { return std::log(x); }), decltype([](const auto& a) { return a.log(); })>));
GRAFT_CPU_KERNEL("", Erf, 1,
                 (float_map_vec<decltype([](auto x) { return std::erf(x); }), decltype([](const auto& a) { return a.erf(); })>));
GRAFT_CPU_KERNEL("", Ceil, 1, float_map<decltype([](auto x) { return std::ceil(x); })>);
GRAFT_CPU_KERNEL("", Floor, 1, float_map<decltype([](auto x) { return std::floor(x); })>);
GRAFT_CPU_KERNEL("", Round, 1, float_map<decltype([](auto x) { return std::nearbyint(x); })>);  // half to even
GRAFT_CPU_KERNEL("", Sin, 1, float_map<decltype([](auto x) { return std::sin(x); })>);
GRAFT_CPU_KERNEL("", Cos, 1, float_map<decltype([](auto x) { return std::cos(x); })>);
GRAFT_CPU_KERNEL("", Tan, 1, float_map<decltype([](auto x) { return std::tan(x); })>);
GRAFT_CPU_KERNEL("", Asin, 1, float_map<decltype([](auto x) { return std::asin(x); })>);
GRAFT_CPU_KERNEL("", Acos, 1, float_map<decltype([](auto x) { return std::acos(x); })>);
GRAFT_CPU_KERNEL("", Atan, 1, float_map<decltype([](auto x) { return std::atan(x); })>);
GRAFT_CPU_KERNEL("", Sinh, 1, float_map<decltype([](auto x) { return std::sinh(x); })>);
GRAFT_CPU_KERNEL("", Cosh, 1, float_map<decltype([](auto x) { return std::cosh(x); })>);
GRAFT_CPU_KERNEL("", Tanh, 1,
                 (float_map_vec<decltype([](auto x) { return std::tanh(x); }), decltype([](const auto& a) { return a.tanh(); })>));
GRAFT_CPU_KERNEL("", Asinh, 1, float_map<decltype([](auto x) { return std::asinh(x); })>);
GRAFT_CPU_KERNEL("", Acosh, 1, float_map<decltype([](auto x) { return std::acosh(x); })>);
GRAFT_CPU_KERNEL("", Atanh, 1, float_map<decltype([](auto x) { return std::atanh(x); })>);
GRAFT_CPU_KERNEL("", IsNaN, 1, is_nan);
GRAFT_CPU_KERNEL("", IsInf, 1, is_inf);

}  // namespace graft::cpu
