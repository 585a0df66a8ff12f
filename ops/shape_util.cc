#include "ops/shape_util.h"

#include <algorithm>
#include <memory>

#include "ops/dim_expr.h"
#include "surgeon/error.h"

namespace graft::ops {

int64_t normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    throw Error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

namespace {

Dim broadcast_dim(const Dim& a, const Dim& b, const Shape& sa, const Shape& sb) {
  if (a.is_fixed() && a.value == 1) return b;
  if (b.is_fixed() && b.value == 1) return a;
  if (a.is_fixed() && b.is_fixed()) {
    if (a.value != b.value) throw Error("cannot broadcast " + sa.str() + " with " + sb.str());
    return a;
  }
  if (same_dim(a, b)) return a;
  // A fixed size other than 1 decides (the symbolic side must equal it, or be 1).
  if (a.is_fixed()) return a;
  if (b.is_fixed()) return b;
  return Dim::unknown();
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank()) return Shape();
  size_t rank = std::max(a.rank(), b.rank());
  std::vector<Dim> dims(rank);
  for (size_t i = 0; i < rank; ++i) {
    Dim da = i < rank - a.rank() ? Dim::fixed(1) : a[i - (rank - a.rank())];
    Dim db = i < rank - b.rank() ? Dim::fixed(1) : b[i - (rank - b.rank())];
    dims[i] = broadcast_dim(da, db, a, b);
  }
  return Shape(std::move(dims));
}

Shape broadcast_shapes(const std::vector<Shape>& shapes) {
  if (shapes.empty()) return Shape::scalar();
  Shape s = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) s = broadcast_shapes(s, shapes[i]);
  return s;
}

std::optional<Dim> merge_dim(const Dim& a, const Dim& b) {
  if (a.is_fixed() && b.is_fixed()) return a.value == b.value ? std::optional<Dim>(a) : std::nullopt;
  if (a.is_fixed()) return a;
  if (b.is_fixed()) return b;
  if (a.is_symbolic()) return a;
  return b;
}

std::optional<Shape> merge_shapes(const Shape& a, const Shape& b) {
  if (!a.has_rank()) return b;
  if (!b.has_rank()) return a;
  if (a.rank() != b.rank()) return std::nullopt;
  std::vector<Dim> dims;
  for (size_t i = 0; i < a.rank(); ++i) {
    auto d = merge_dim(a[i], b[i]);
    if (!d) return std::nullopt;
    dims.push_back(*d);
  }
  return Shape(std::move(dims));
}

Dim merge_dim_or_fail(const ShapeContext& ctx, const Dim& a, const Dim& b, const std::string& message) {
  auto d = merge_dim(a, b);
  if (!d) ctx.fail(message);
  return *d;
}

Shape unknown_dims(size_t rank) { return Shape(std::vector<Dim>(rank)); }

Dim window_out_dim(const Dim& in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pads, bool ceil_mode) {
  Dim span = dim_sub(dim_add(in, Dim::fixed(pads)), Dim::fixed(dilation * (kernel - 1) + 1));
  Dim steps = ceil_mode ? dim_ceil_div(span, Dim::fixed(stride)) : dim_div(span, Dim::fixed(stride));
  Dim out = dim_add(steps, Dim::fixed(1));
  if (out.is_fixed() && out.value < 0) {
    throw Error("window of " + std::to_string(kernel) + " (dilation " + std::to_string(dilation) +
                ") does not fit an input of " + in.str() + " with " + std::to_string(pads) + " padding");
  }
  return out;
}

std::vector<int64_t> spatial_ints(const ShapeContext& ctx, const char* name, size_t n, int64_t fill) {
  std::vector<int64_t> v = ctx.attrs().get_ints(name, std::vector<int64_t>(n, fill));
  if (v.size() != n) {
    ctx.fail(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(n));
  }
  return v;
}

namespace {

// floor (or ceil) of a / s for a stride s > 0. A symbolic `a` gives a symbolic result when
// a - r is a multiple of s for some 0 <= r < s (symbols stand for integers), as "2*h + 1" / 2.
Dim divide_by_stride(const Dim& a, int64_t s, bool ceil) {
  if (!a.is_symbolic()) return ceil ? dim_ceil_div(a, Dim::fixed(s)) : dim_div(a, Dim::fixed(s));
  for (int64_t r = 0; r < s; ++r) {
    const Dim q = dim_div(dim_sub(a, Dim::fixed(r)), Dim::fixed(s));
    if (q.is_fixed() || q.is_symbolic()) return ceil && r > 0 ? dim_add(q, Dim::fixed(1)) : q;
  }
  return Dim::unknown();
}

// One spatial dim of a sliding window: (in + pads - dilated kernel) / stride + 1, rounded
// down or (ceil_mode) up; with ceil_mode the last window must start inside the input or
// its leading padding.
Dim window_dim(const ShapeContext& ctx, const Dim& in, int64_t k, int64_t s, int64_t dilation, int64_t pad_begin,
               int64_t pad_end, bool ceil_mode) {
  const Dim room = dim_sub(dim_add(in, Dim::fixed(pad_begin + pad_end)), Dim::fixed(dilation * (k - 1) + 1));
  Dim out = dim_add(divide_by_stride(room, s, ceil_mode), Dim::fixed(1));
  if (out.is_fixed() && out.value < 0) {
    ctx.fail("window of " + std::to_string(k) + " (dilation " + std::to_string(dilation) + ") does not fit an input of " +
             in.str() + " with " + std::to_string(pad_begin + pad_end) + " padding");
  }
  if (!ceil_mode) return out;
  const Dim excess = dim_sub(dim_mul(dim_sub(out, Dim::fixed(1)), Dim::fixed(s)), dim_add(in, Dim::fixed(pad_begin)));
  if (!excess.is_fixed()) return Dim::unknown();
  return excess.value >= 0 ? dim_sub(out, Dim::fixed(1)) : out;
}

}  // namespace

std::vector<Dim> window_output_dims(const ShapeContext& ctx, const std::vector<Dim>& in, const std::vector<Dim>& kernel,
                                    bool ceil_mode) {
  const size_t nd = in.size();
  if (kernel.size() != nd) ctx.fail("kernel " + Shape(kernel).str() + " does not match the spatial dims " + Shape(in).str());
  const std::vector<int64_t> strides = spatial_ints(ctx, "strides", nd, 1);
  const std::vector<int64_t> dilations = spatial_ints(ctx, "dilations", nd, 1);
  const std::string auto_pad = ctx.attrs().get_string("auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "VALID" && auto_pad != "NOTSET" && !auto_pad.empty()) {
    ctx.fail("unknown auto_pad '" + auto_pad + "'");
  }
  const std::vector<int64_t> pads =
      same || auto_pad == "VALID" ? std::vector<int64_t>(2 * nd, 0) : spatial_ints(ctx, "pads", 2 * nd, 0);
  std::vector<Dim> out;
  for (size_t i = 0; i < nd; ++i) {
    const int64_t s = strides[i], k = kernel[i].is_fixed() ? kernel[i].value : 1;
    if (s <= 0 || dilations[i] <= 0 || k <= 0) ctx.fail("strides, dilations and kernel_shape must be positive");
    if (!kernel[i].is_fixed()) out.push_back(Dim::unknown());
    else if (same) out.push_back(divide_by_stride(in[i], s, true));
    else out.push_back(window_dim(ctx, in[i], k, s, dilations[i], pads[i], pads[nd + i], ceil_mode));
  }
  return out;
}

void same_as_input(ShapeContext& ctx) {
  ctx.set_output_type(0, ctx.input_type(0));
  if (ctx.input(0).elements) ctx.set_output_elements(0, *ctx.input(0).elements);
}

namespace {

bool unknown_kind(const ValueType& t) { return t.kind == ValueType::Kind::kNone || t.kind == ValueType::Kind::kEmpty; }

// `t` with every shape in it forgotten (the kind and dtypes stay).
ValueType without_shapes(const ValueType& t) {
  ValueType out = t;
  out.shape = Shape();
  if (t.inner) out.inner = std::make_shared<ValueType>(without_shapes(*t.inner));
  return out;
}

Shape join_shapes(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank() || a.rank() != b.rank()) return Shape();
  std::vector<Dim> dims;
  for (size_t i = 0; i < a.rank(); ++i) dims.push_back(same_dim(a[i], b[i]) ? a[i] : Dim::unknown());
  return Shape(std::move(dims));
}

std::shared_ptr<ValueType> join_inner(const std::shared_ptr<ValueType>& a, const std::shared_ptr<ValueType>& b) {
  if (!a && !b) return nullptr;
  return std::make_shared<ValueType>(join_types(a ? *a : ValueType{}, b ? *b : ValueType{}));
}

}  // namespace

ValueType join_types(const ValueType& a, const ValueType& b) {
  using K = ValueType::Kind;
  if (unknown_kind(a)) return unknown_kind(b) ? ValueType{} : without_shapes(b);
  if (unknown_kind(b)) return without_shapes(a);
  if ((a.kind == K::kOptional) != (b.kind == K::kOptional)) {
    // One side is a present optional's value: the result may be either, so it is optional.
    const ValueType& opt = a.kind == K::kOptional ? a : b;
    ValueType out = opt;
    out.inner = std::make_shared<ValueType>(join_types(opt.inner ? *opt.inner : ValueType{}, a.kind == K::kOptional ? b : a));
    return out;
  }
  if (a.kind != b.kind) return ValueType{};
  ValueType out = a;
  if (a.elem == DataType::kUndefined || b.elem == DataType::kUndefined) out.elem = a.elem == DataType::kUndefined ? b.elem : a.elem;
  else if (a.elem != b.elem) out.elem = DataType::kUndefined;
  if (a.kind == K::kTensor || a.kind == K::kSparseTensor) out.shape = join_shapes(a.shape, b.shape);
  out.inner = join_inner(a.inner, b.inner);
  return out;
}

std::optional<TrackedValue> tracked_value(const ShapeContext& ctx, size_t i) {
  auto values = ctx.input_elements(i);
  const Shape& s = ctx.input_shape(i);
  auto n = s.has_rank() ? s.num_elements() : std::nullopt;
  if (!values || !n || static_cast<size_t>(*n) != values->size()) return std::nullopt;
  TrackedValue t{std::move(*values), {}};
  for (const Dim& d : s.dims()) t.dims.push_back(d.value);
  return t;
}

std::vector<int64_t> row_major_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return strides;
}

std::vector<Dim> strided_elements(const std::vector<Dim>& values, int64_t offset, const std::vector<int64_t>& strides,
                                  const std::vector<int64_t>& dims) {
  std::vector<Dim> out;
  for (int64_t d : dims) {
    if (d == 0) return out;
  }
  std::vector<int64_t> index(dims.size(), 0);
  while (true) {
    int64_t at = offset;
    for (size_t d = 0; d < dims.size(); ++d) at += index[d] * strides[d];
    out.push_back(values.at(at));
    size_t d = dims.size();
    while (d-- > 0 && ++index[d] == dims[d]) index[d] = 0;
    if (d == static_cast<size_t>(-1)) return out;
  }
}

}  // namespace graft::ops
