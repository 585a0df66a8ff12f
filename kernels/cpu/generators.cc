// ConstantOfShape, Range, EyeLike, OneHot: tensors generated from shapes and scalars.
#include <cmath>

#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

void constant_of_shape(KernelContext& ctx) {
  const Dims dims = ctx.input_int64s(0);
  for (int64_t d : dims) {
    if (d < 0) ctx.fail("shape " + dims_str(dims) + " has a negative dim");
  }
  const std::optional<HostTensor> value = ctx.attr_tensor("value");
  if (value && value->numel() != 1) ctx.fail("value must hold one element, got " + value->describe());
  const HostTensor v = value ? *value : HostTensor(DataType::kFloat, {1});
  HostTensor& y = ctx.allocate_output(0, v.dtype(), dims);
  dispatch_elements(v.dtype(), "ConstantOfShape", [&](auto tag) {
    using T = decltype(tag);
    std::fill_n(mutable_elems<T>(y), y.numel(), elems<T>(v)[0]);
  });
}

template <typename T>
int64_t range_count(T start, T limit, T delta) {
  if constexpr (std::is_integral_v<T>) {
    const int64_t diff = int64_t(limit) - int64_t(start), d = int64_t(delta);
    return std::max<int64_t>(0, diff / d + (diff % d != 0 && (diff > 0) == (d > 0) ? 1 : 0));
  } else {
    return std::max<int64_t>(0, int64_t(std::ceil((double(limit) - double(start)) / double(delta))));
  }
}

void range(KernelContext& ctx) {
  const HostTensor& start = ctx.input(0);
  const HostTensor& limit = ctx.input(1);
  const HostTensor& delta = ctx.input(2);
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1 || limit.dtype() != start.dtype() ||
      delta.dtype() != start.dtype()) {
    ctx.fail("start, limit and delta must be scalars of one type, got " + start.describe() + ", " + limit.describe() +
             ", " + delta.describe());
  }
  dispatch_numeric(start.dtype(), "Range", [&](auto tag) {
    using T = decltype(tag);
    const T s = start.data<T>()[0], d = delta.data<T>()[0];
    if (d == T(0)) ctx.fail("delta must not be zero");
    const int64_t n = range_count(s, limit.data<T>()[0], d);
    T* y = ctx.allocate_output(0, start.dtype(), {n}).template mutable_data<T>();
    for (int64_t i = 0; i < n; ++i) y[i] = T(s + T(i) * d);
  });
}

void eye_like(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() != 2) ctx.fail("input must be 2-D, got " + x.describe());
  const DataType dtype = ctx.has_attr("dtype") ? static_cast<DataType>(ctx.attr_int("dtype", 1)) : x.dtype();
  const int64_t k = ctx.attr_int("k", 0);
  HostTensor& y = ctx.allocate_output(0, dtype, x.dims());
  dispatch_numeric_or_bool(dtype, "EyeLike", [&](auto tag) {
    using T = decltype(tag);
    T* p = y.mutable_data<T>();
    for (int64_t i = 0; i < x.dim(0); ++i) {
      if (i + k >= 0 && i + k < x.dim(1)) p[i * x.dim(1) + i + k] = T(1);
    }
  });
}

void one_hot(KernelContext& ctx) {
  const HostTensor& indices = ctx.input(0);
  const HostTensor& values = ctx.input(2);
  if (ctx.input(1).numel() != 1) ctx.fail("depth must be a scalar, got " + ctx.input(1).describe());
  if (values.numel() != 2) ctx.fail("values must hold [off_value, on_value], got " + values.describe());
  const int64_t depth = static_cast<int64_t>(ctx.input(1).to_doubles()[0]);
  if (depth <= 0) ctx.fail("depth " + std::to_string(depth) + " must be positive");
  const int64_t rank = static_cast<int64_t>(indices.rank()) + 1;
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", -1), rank);
  Dims dims = indices.dims();
  dims.insert(dims.begin() + axis, depth);
  HostTensor& y = ctx.allocate_output(0, values.dtype(), dims);
  const std::vector<double> idx = indices.to_doubles();
  const int64_t outer = dims_product(indices.dims(), 0, axis), inner = dims_product(indices.dims(), axis, rank - 1);
  dispatch_elements(values.dtype(), "OneHot", [&](auto tag) {
    using T = decltype(tag);
    const T off = elems<T>(values)[0], on = elems<T>(values)[1];
    T* p = mutable_elems<T>(y);
    std::fill_n(p, y.numel(), off);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t v = static_cast<int64_t>(idx[o * inner + i]);
        if (v < 0) v += depth;
        if (v >= 0 && v < depth) p[(o * depth + v) * inner + i] = on;
      }
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", ConstantOfShape, 1, constant_of_shape);
GRAFT_CPU_KERNEL("", Range, 1, range);
GRAFT_CPU_KERNEL("", EyeLike, 1, eye_like);
GRAFT_CPU_KERNEL("", OneHot, 1, one_hot);

}  // namespace graft::cpu
