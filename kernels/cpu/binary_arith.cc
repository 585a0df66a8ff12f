// Arithmetic with broadcasting: Add, Sub, Mul, Div (with the pre-opset-7 broadcast/axis
// attributes), Pow (mixed base/exponent types), Mod, BitShift, and the variadic Max, Min,
// Sum, Mean.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "kernels/cpu/elementwise_util.h"

namespace graft::cpu {
namespace {

template <typename T>
T divide(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) return T(0);  // integer division by zero is undefined in ONNX; no trap
    if constexpr (std::is_signed_v<T>) {
      if (y == -1) return T(0) - x;  // no trap on lowest / -1
    }
    return T(x / y);
  } else {
    return T(x / y);
  }
}

// a op b; integers wrap around (as in numpy) instead of overflowing into UB.
template <typename T, typename Op>
T wrapping(T a, T b, Op op) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<decltype(a + b)>;
    return static_cast<T>(op(static_cast<U>(a), static_cast<U>(b)));
  } else {
    return op(a, b);
  }
}

const auto plus = [](auto x, auto y) { return wrapping(x, y, std::plus<>{}); };

void add(KernelContext& ctx) { arith_binary_op(ctx, numeric_types("Add"), plus); }
void sub(KernelContext& ctx) {
  arith_binary_op(ctx, numeric_types("Sub"), [](auto x, auto y) { return wrapping(x, y, std::minus<>{}); });
}
void mul(KernelContext& ctx) {
  arith_binary_op(ctx, numeric_types("Mul"), [](auto x, auto y) { return wrapping(x, y, std::multiplies<>{}); });
}
void div(KernelContext& ctx) { arith_binary_op(ctx, numeric_types("Div"), [](auto x, auto y) { return divide(x, y); }); }

// x^e for integer x and e, as numpy computes it (wrapping); negative e through floats.
template <typename B, typename E>
B int_pow(B x, E e) {
  if constexpr (std::is_signed_v<E>) {
    if (e < 0) return static_cast<B>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  }
  using U = std::make_unsigned_t<B>;
  U r = 1, b = static_cast<U>(x);
  for (auto k = static_cast<std::make_unsigned_t<E>>(e); k; k >>= 1) {
    if (k & 1) r = static_cast<U>(r * b);
    b = static_cast<U>(b * b);
  }
  return static_cast<B>(r);
}

template <typename B, typename E>
B pow_of(B x, E e) {
  if constexpr (std::is_integral_v<B> && std::is_integral_v<E>) {
    return int_pow(x, e);
  } else {
    const double r = std::pow(static_cast<double>(static_cast<arith_t<B>>(x)), static_cast<double>(static_cast<arith_t<E>>(e)));
    return static_cast<B>(static_cast<arith_t<B>>(r));
  }
}

// Pow(x, 2) and Pow(x, 0.5) with a scalar exponent are common in models; keep them vectorizable.
template <typename B>
bool pow_fast_path(const HostTensor& x, const HostTensor& e, HostTensor& y) {
  if constexpr (!std::is_floating_point_v<B>) {
    return false;
  } else {
    if (e.numel() != 1 || e.dtype() != x.dtype() || y.numel() != x.numel()) return false;
    const B v = e.data<B>()[0];
    const B* px = x.data<B>();
    if (v == 2) map_n(px, y.mutable_data<B>(), x.numel(), [](B a) { return a * a; });
    else if (v == 0.5) map_n(px, y.mutable_data<B>(), x.numel(), [](B a) { return std::sqrt(a); });
    else return false;
    return true;
  }
}

void pow(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& e = ctx.input(1);
  const Dims de = binary_rhs_dims(ctx, x.dims(), e.dims());
  const Dims dy = broadcast_dims({&x.dims(), &de});
  HostTensor& y = ctx.allocate_output(0, x.dtype(), dy);
  dispatch_numeric(x.dtype(), "Pow", [&](auto xt) {
    using B = decltype(xt);
    if (pow_fast_path<B>(x, e, y)) return;
    dispatch_numeric(e.dtype(), "Pow", [&](auto et) {
      using E = decltype(et);
      broadcast_binary(x.data<B>(), x.dims(), e.data<E>(), de, y.mutable_data<B>(), dy, [](B a, E b) { return pow_of(a, b); });
    });
  });
}

// Remainder with the sign of the divisor (Python/numpy) or of the dividend (C fmod).
template <typename T>
T mod_of(T a, T b, bool fmod) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    if (!fmod && r != 0 && (r < 0) != (b < 0)) r += b;
    return r;
  } else {
    if (b == 0) return T(0);
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return T(0);
    }
    T r = static_cast<T>(a % b);
    if constexpr (std::is_signed_v<T>) {
      if (!fmod && r != 0 && (r < 0) != (b < 0)) r = static_cast<T>(r + b);
    }
    return r;
  }
}

void mod(KernelContext& ctx) {
  const bool fmod = ctx.attr_int("fmod", 0) != 0;
  arith_binary_op(ctx, numeric_types("Mod"), [fmod](auto a, auto b) { return mod_of(a, b, fmod); });
}

void bit_shift(KernelContext& ctx) {
  const std::string dir = ctx.attr_string("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") ctx.fail("attribute 'direction' must be LEFT or RIGHT, got '" + dir + "'");
  const bool left = dir == "LEFT";
  auto unsigned_types = [](DataType t, auto&& f) {
    switch (t) {
      case DataType::kUint8: f(uint8_t{}); return;
      case DataType::kUint16: f(uint16_t{}); return;
      case DataType::kUint32: f(uint32_t{}); return;
      case DataType::kUint64: f(uint64_t{}); return;
      default: unsupported_dtype(t, "BitShift");
    }
  };
  arith_binary_op(ctx, unsigned_types, [left](auto a, auto b) {
    using T = decltype(a);
    if (b >= sizeof(T) * 8) return T(0);  // shifting out every bit; not UB
    return T(left ? a << b : a >> b);
  });
}

// Folds the inputs left to right into the output (broadcast over all of them); Mean
// divides by the count at the end.
template <typename F>
void variadic(KernelContext& ctx, const char* what, bool mean, F f) {
  const size_t n = ctx.num_inputs();
  if (n == 0) ctx.fail("needs at least one input");
  std::vector<const Dims*> shapes;
  for (size_t i = 0; i < n; ++i) {
    if (ctx.input(i).dtype() != ctx.input(0).dtype()) {
      ctx.fail("inputs have different types: " + ctx.input(0).describe() + " and " + ctx.input(i).describe());
    }
    shapes.push_back(&ctx.input(i).dims());
  }
  const Dims dy = broadcast_dims(shapes);
  HostTensor& y = ctx.allocate_output(0, ctx.input(0).dtype(), dy);
  dispatch_numeric(y.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    auto op = in_arith<T>(f);
    T* py = y.mutable_data<T>();
    const HostTensor& x0 = ctx.input(0);
    if (n == 1) {
      std::memcpy(py, x0.data<T>(), x0.nbytes());
    } else {
      broadcast_binary(x0.data<T>(), x0.dims(), ctx.input(1).data<T>(), ctx.input(1).dims(), py, dy, op);
    }
    for (size_t i = 2; i < n; ++i) broadcast_binary(py, dy, ctx.input(i).data<T>(), ctx.input(i).dims(), py, dy, op);
    if (mean) {
      const arith_t<T> count = static_cast<arith_t<T>>(n);
      for_n(y.numel(), [&](int64_t i) { py[i] = static_cast<T>(static_cast<arith_t<T>>(py[i]) / count); });
    }
  });
}

// NaN wins in Max and Min, as in numpy.
void max(KernelContext& ctx) {
  variadic(ctx, "Max", false, [](auto a, auto b) { return (a > b || a != a) ? a : b; });
}
void min(KernelContext& ctx) {
  variadic(ctx, "Min", false, [](auto a, auto b) { return (a < b || a != a) ? a : b; });
}
void sum(KernelContext& ctx) { variadic(ctx, "Sum", false, plus); }
void mean(KernelContext& ctx) { variadic(ctx, "Mean", true, plus); }

}  // namespace

GRAFT_CPU_KERNEL("", Add, 1, add);
GRAFT_CPU_KERNEL("", Sub, 1, sub);
GRAFT_CPU_KERNEL("", Mul, 1, mul);
GRAFT_CPU_KERNEL("", Div, 1, div);
GRAFT_CPU_KERNEL("", Pow, 1, pow);
GRAFT_CPU_KERNEL("", Mod, 1, mod);
GRAFT_CPU_KERNEL("", BitShift, 1, bit_shift);
GRAFT_CPU_KERNEL("", Max, 1, max);
GRAFT_CPU_KERNEL("", Min, 1, min);
GRAFT_CPU_KERNEL("", Sum, 1, sum);
GRAFT_CPU_KERNEL("", Mean, 1, mean);

}  // namespace graft::cpu
