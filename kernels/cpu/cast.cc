// Cast and CastLike: between every numeric type, bool, float16, bfloat16 and string.
// Strings are read like strtod/strtoll ("NaN", "INF", "-inf" included) and written as
// numpy's str() writes them, which is how the ONNX reference produces them.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/cpu/elementwise_util.h"

namespace graft::cpu {
namespace {

// float -> bfloat16 by truncation, as the ONNX 1.12 test data (and older runtimes) do;
// NaN stays a quiet NaN.
bfloat16 truncate_to_bfloat16(float f) {
  if (std::isnan(f)) return Eigen::numext::bit_cast<bfloat16>(uint16_t{0x7FC0});
  return Eigen::numext::bit_cast<bfloat16>(static_cast<uint16_t>(Eigen::numext::bit_cast<uint32_t>(f) >> 16));
}

template <typename D, typename S>
D convert(S s) {
  const arith_t<S> v = static_cast<arith_t<S>>(s);
  if constexpr (std::is_same_v<D, bool>) {
    return v != 0;
  } else if constexpr (std::is_same_v<D, bfloat16>) {
    return truncate_to_bfloat16(static_cast<float>(v));
  } else {
    return static_cast<D>(static_cast<arith_t<D>>(v));
  }
}

template <typename D>
D parse(const std::string& s) {
  const char* p = s.c_str();
  if constexpr (std::is_same_v<D, bool>) {
    return s == "true" || s == "True" || std::strtod(p, nullptr) != 0;
  } else if constexpr (std::is_same_v<D, float>) {
    return std::strtof(p, nullptr);
  } else if constexpr (is_float_v<D>) {
    return convert<D>(std::strtod(p, nullptr));
  } else {
    char* end = nullptr;
    const auto v = std::is_signed_v<D> ? static_cast<D>(std::strtoll(p, &end, 10)) : static_cast<D>(std::strtoull(p, &end, 10));
    return *end == '\0' || end == p ? v : convert<D>(std::strtod(p, nullptr));  // "1.5", "1e3"
  }
}

// The shortest decimal that reads back as the same float16/bfloat16, as a double.
template <typename T>
double shortest_narrow(T v) {
  const double d = static_cast<double>(static_cast<float>(v));
  char buf[32];
  for (int digits = 1; digits < 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, d);
    const double back = std::strtod(buf, nullptr);
    if (static_cast<T>(static_cast<float>(back)) == v) return back;
  }
  return d;
}

// numpy's str() of a float: shortest round-trip digits, positional (with ".0" when
// integral) for 1e-4 <= |x| < a per-type limit, scientific otherwise.
template <typename T>
std::string float_to_string(T v) {
  const double d = static_cast<double>(static_cast<compute_t<T>>(v));
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  const double limit = std::is_same_v<T, double> ? 1e16 : std::is_same_v<T, float> ? 1e6 : 1e3;
  const double a = std::fabs(d);
  const auto fmt = a != 0 && (a < 1e-4 || a >= limit) ? std::chars_format::scientific : std::chars_format::fixed;
  char buf[400];
  std::to_chars_result r;
  if constexpr (std::is_floating_point_v<T>) {
    r = std::to_chars(buf, buf + sizeof buf, v, fmt);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, shortest_narrow(v), fmt);
  }
  std::string s(buf, r.ptr);
  if (fmt == std::chars_format::fixed && s.find('.') == std::string::npos) s += ".0";
  return s;
}

template <typename S>
std::string to_string_of(S v) {
  if constexpr (std::is_same_v<S, bool>) {
    return v ? "True" : "False";
  } else if constexpr (is_float_v<S>) {
    return float_to_string(v);
  } else {
    return std::to_string(v);
  }
}

void cast_to(KernelContext& ctx, DataType to) {
  const HostTensor& x = ctx.input(0);
  if (x.dtype() == to) {
    ctx.set_output(0, x);
    return;
  }
  HostTensor& y = ctx.allocate_output(0, to, x.dims());
  const int64_t n = x.numel();
  if (x.dtype() == DataType::kString) {
    dispatch_numeric_or_bool(to, "Cast", [&](auto dt) {
      using D = decltype(dt);
      map_n(x.strings().data(), y.mutable_data<D>(), n, [](const std::string& s) { return parse<D>(s); });
    });
    return;
  }
  dispatch_numeric_or_bool(x.dtype(), "Cast", [&](auto st) {
    using S = decltype(st);
    if (to == DataType::kString) {
      map_n(x.data<S>(), y.mutable_strings().data(), n, [](S v) { return to_string_of(v); });
      return;
    }
    dispatch_numeric_or_bool(to, "Cast", [&](auto dt) {
      using D = decltype(dt);
      map_n(x.data<S>(), y.mutable_data<D>(), n, [](S v) { return convert<D>(v); });
    });
  });
}

void cast(KernelContext& ctx) {
  const Attribute* to = ctx.node().attr("to");
  if (to && to->type == AttrType::kString) {  // opset 1: the type's name
    const auto t = dtype_from_name(to->s);
    if (!t) ctx.fail("attribute 'to' names an unknown type '" + to->s + "'");
    cast_to(ctx, *t);
    return;
  }
  cast_to(ctx, static_cast<DataType>(ctx.required_attr_int("to")));
}
void cast_like(KernelContext& ctx) { cast_to(ctx, ctx.input(1).dtype()); }

}  // namespace

GRAFT_CPU_KERNEL("", Cast, 1, cast);
GRAFT_CPU_KERNEL("", CastLike, 1, cast_like);

}  // namespace graft::cpu
