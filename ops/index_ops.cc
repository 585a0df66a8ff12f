// Shapes of NonZero, Unique, TopK, CumSum and Trilu. How many elements NonZero and Unique
// find depends on the data: that dim is unknown, but the rank and dtype are not.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void same_type(ShapeContext& ctx) { ctx.set_output_type(0, ctx.input_type(0)); }

void non_zero(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, DataType::kInt64, unknown_dims(2));
  const Dim n = dim_product(x.dims());
  const Dim hits = n.is_fixed() && n.value == 0 ? n : Dim::unknown();
  ctx.set_output(0, DataType::kInt64, Shape({Dim::fixed(static_cast<int64_t>(x.rank())), hits}));
}

// Y holds the distinct elements (or slices along `axis`); indices and counts one per
// distinct value; inverse_indices one per input element (or slice).
void unique(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  Shape y;
  Dim n;
  int64_t axis = 0;
  if (!ctx.attrs().has("axis")) {
    n = x.has_rank() ? dim_product(x.dims()) : Dim::unknown();
    y = Shape({n});
  } else if (x.has_rank()) {
    axis = normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()));
    n = x[axis];
    y = x;
  }
  // At most one element (or slice) is its own unique set.
  const Dim distinct = n.is_fixed() && n.value <= 1 ? n : Dim::unknown();
  if (y.has_rank()) y[axis] = distinct;
  ctx.set_output(0, ctx.input_dtype(0), y);
  ctx.set_output(1, DataType::kInt64, Shape({distinct}));
  ctx.set_output(2, DataType::kInt64, Shape({n}));
  ctx.set_output(3, DataType::kInt64, Shape({distinct}));
}

// TopK's k: an attribute before opset 10, then a one-element input (maybe a tracked value).
Dim top_k_count(const ShapeContext& ctx) {
  if (ctx.opset() < 10) return Dim::fixed(ctx.attrs().required_int("k"));
  auto k = ctx.input_elements(1);
  return k && k->size() == 1 ? (*k)[0] : Dim::unknown();
}

void top_k(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) {
    ctx.set_output(0, dtype, Shape());
    return ctx.set_output(1, DataType::kInt64, Shape());
  }
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", -1), static_cast<int64_t>(x.rank()));
  const Dim k = top_k_count(ctx);
  if (k.is_fixed() && (k.value < 0 || (x[axis].is_fixed() && k.value > x[axis].value))) {
    ctx.fail("k " + k.str() + " is out of range for axis " + std::to_string(axis) + " of " + x.str());
  }
  std::vector<Dim> dims = x.dims();
  dims[axis] = k;
  ctx.set_output(0, dtype, Shape(dims));
  ctx.set_output(1, DataType::kInt64, Shape(dims));
}

void trilu(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank() && x.rank() < 2) ctx.fail("input must have rank >= 2, got " + x.str());
  same_type(ctx);
}

}  // namespace

GRAFT_SHAPE_FN("", NonZero, 9, non_zero);
GRAFT_SHAPE_FN("", Unique, 11, unique);
GRAFT_SHAPE_FN("", TopK, 1, top_k);
GRAFT_SHAPE_FN("", CumSum, 11, same_type);
GRAFT_SHAPE_FN("", Trilu, 14, trilu);

}  // namespace graft::ops
