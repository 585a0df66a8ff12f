// Shapes of ConstantOfShape, EyeLike, OneHot and Range: tensors generated from shapes
// and scalars. A shape or a scalar known only symbolically (a tracked shape value) gives
// a symbolic dim, and small integer results are tracked values themselves
// (ConstantOfShape([n], 1), Range(0, n, 1) in exporters' index arithmetic).
#include <cmath>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

bool is_shape_int(DataType t) { return t == DataType::kInt64 || t == DataType::kInt32; }

// The single value of an int64 or int32 constant.
std::optional<int64_t> int_scalar(const TensorData& t) {
  auto n = t.num_elements();
  if (!n || *n != 1 || t.bytes.size() < dtype_bits(t.dtype) / 8) return std::nullopt;
  if (t.dtype == DataType::kInt64) return t.at<int64_t>(0);
  if (t.dtype == DataType::kInt32) return t.at<int32_t>(0);
  return std::nullopt;
}

// A 1-D input's values as dims; when only its length is known, that many unknown dims.
std::optional<std::vector<Dim>> dims_input(const ShapeContext& ctx, size_t i) {
  if (auto e = ctx.input_elements(i)) return e;
  const Shape& s = ctx.input_shape(i);
  if (s.has_rank() && s.rank() == 1 && s[0].is_fixed()) return std::vector<Dim>(s[0].value);
  return std::nullopt;
}

void constant_of_shape(ShapeContext& ctx) {
  const TensorData* value = ctx.attrs().get_tensor("value");
  const DataType dtype = value ? value->dtype : DataType::kFloat;
  auto dims = dims_input(ctx, 0);
  if (!dims) return ctx.set_output(0, dtype, Shape());
  for (const Dim& d : *dims) {
    if (d.is_fixed() && d.value < 0) ctx.fail("shape " + Shape(*dims).str() + " has a negative dim");
  }
  ctx.set_output(0, dtype, Shape(*dims));
  const std::optional<int64_t> fill = value ? int_scalar(*value) : std::nullopt;
  if (!fill || dims->size() > 1) return;
  const Dim n = dims->empty() ? Dim::fixed(1) : (*dims)[0];
  if (n.is_fixed() && n.value <= static_cast<int64_t>(kMaxTrackedElements)) {
    ctx.set_output_elements(0, std::vector<Dim>(n.value, Dim::fixed(*fill)));
  }
}

void eye_like(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank() && x.rank() != 2) ctx.fail("input must be 2-D, got " + x.str());
  const NodeAttrs& a = ctx.attrs();
  const DataType dtype = a.has("dtype") ? static_cast<DataType>(a.get_int("dtype", 1)) : ctx.input_dtype(0);
  ctx.set_output(0, dtype, x.has_rank() ? x : unknown_dims(2));
}

// OneHot's depth: a scalar of any numeric type, possibly a tracked (symbolic) value.
Dim one_hot_depth(const ShapeContext& ctx) {
  if (auto e = ctx.input_elements(1); e && e->size() == 1) return (*e)[0];
  if (auto v = ctx.input_doubles(1); v && v->size() == 1) return Dim::fixed(static_cast<int64_t>((*v)[0]));
  return Dim::unknown();
}

void one_hot(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(2);
  const Shape& indices = ctx.input_shape(0);
  if (!indices.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t rank = static_cast<int64_t>(indices.rank()) + 1;
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", -1), rank);
  const Dim depth = one_hot_depth(ctx);
  if (depth.is_fixed() && depth.value <= 0) ctx.fail("depth " + depth.str() + " must be positive");
  std::vector<Dim> dims = indices.dims();
  dims.insert(dims.begin() + axis, depth);
  ctx.set_output(0, dtype, Shape(dims));
}

// max(0, ceil((limit - start) / delta)), in integers as the kernel counts.
int64_t range_count(int64_t start, int64_t limit, int64_t delta) {
  const int64_t diff = limit - start;
  return std::max<int64_t>(0, diff / delta + (diff % delta != 0 && (diff > 0) == (delta > 0) ? 1 : 0));
}

// Range's element count from tracked (possibly symbolic) integer scalars, or from
// floating-point constants.
Dim range_length(const ShapeContext& ctx) {
  auto s = ctx.input_elements(0), l = ctx.input_elements(1), d = ctx.input_elements(2);
  if (s && l && d && s->size() == 1 && l->size() == 1 && d->size() == 1) {
    const Dim &start = (*s)[0], &limit = (*l)[0], &delta = (*d)[0];
    if (delta.is_fixed() && delta.value == 0) ctx.fail("delta must not be zero");
    if (start.is_fixed() && limit.is_fixed() && delta.is_fixed()) {
      return Dim::fixed(range_count(start.value, limit.value, delta.value));
    }
    // Dividing by a positive step keeps the span a non-negative expression.
    const bool down = delta.is_fixed() && delta.value < 0;
    const Dim count = down ? dim_ceil_div(dim_sub(start, limit), Dim::fixed(-delta.value))
                           : dim_ceil_div(dim_sub(limit, start), delta);
    return count.is_fixed() && count.value < 0 ? Dim::fixed(0) : count;
  }
  auto fs = ctx.input_doubles(0), fl = ctx.input_doubles(1), fd = ctx.input_doubles(2);
  if (!fs || !fl || !fd || fs->size() != 1 || fl->size() != 1 || fd->size() != 1) return Dim::unknown();
  if ((*fd)[0] == 0) ctx.fail("delta must not be zero");
  return Dim::fixed(std::max<int64_t>(0, static_cast<int64_t>(std::ceil(((*fl)[0] - (*fs)[0]) / (*fd)[0]))));
}

void range(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Dim n = range_length(ctx);
  ctx.set_output(0, dtype, Shape({n}));
  auto s = ctx.input_elements(0), d = ctx.input_elements(2);
  if (!is_shape_int(dtype) || !n.is_fixed() || n.value > static_cast<int64_t>(kMaxTrackedElements) || !s || !d ||
      s->size() != 1 || d->size() != 1) {
    return;
  }
  std::vector<Dim> values;
  for (int64_t i = 0; i < n.value; ++i) values.push_back(dim_add((*s)[0], dim_mul(Dim::fixed(i), (*d)[0])));
  ctx.set_output_elements(0, std::move(values));
}

}  // namespace

GRAFT_SHAPE_FN("", ConstantOfShape, 9, constant_of_shape);
GRAFT_SHAPE_FN("", EyeLike, 9, eye_like);
GRAFT_SHAPE_FN("", OneHot, 9, one_hot);
GRAFT_SHAPE_FN("", Range, 11, range);

}  // namespace graft::ops
