// Shapes of reductions (ReduceSum, ReduceMean, ... , ArgMax, ArgMin): the reduced axes
// are dropped, or kept as 1 with keepdims. ReduceSum and ReduceProd of a tracked shape
// value compute it (exporters take a tensor's element count as ReduceProd(Shape(x))).
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// The reduced axes: the 'axes' attribute (before opset 18; 13 for ReduceSum) or the
// optional second input (later); empty when neither is given. std::nullopt when the
// input's values are not known.
std::optional<std::vector<int64_t>> reduce_axes(const ShapeContext& ctx) {
  if (ctx.attrs().has("axes")) return ctx.attrs().get_ints("axes");
  if (ctx.has_input(1)) return ctx.input_int64s(1);
  return std::vector<int64_t>{};
}

// Which dims are reduced; std::nullopt when the axes are not known.
std::optional<std::vector<bool>> reduced_flags(const ShapeContext& ctx, int64_t rank) {
  auto axes = reduce_axes(ctx);
  if (!axes) return std::nullopt;
  const bool noop = ctx.attrs().get_int("noop_with_empty_axes", 0) != 0;
  std::vector<bool> reduced(rank, axes->empty() && !noop);
  for (int64_t a : *axes) reduced[normalize_axis(a, rank)] = true;
  return reduced;
}

std::vector<Dim> reduced_dims(const Shape& x, const std::vector<bool>& reduced, bool keepdims) {
  std::vector<Dim> dims;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (!reduced[d]) dims.push_back(x[d]);
    else if (keepdims) dims.push_back(Dim::fixed(1));
  }
  return dims;
}

// The reduction of a tracked 1-D value to one element, when `fold` is given.
using DimFold = Dim (*)(const Dim&, const Dim&);

void reduce_with(ShapeContext& ctx, DimFold fold) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  const bool keepdims = ctx.attrs().get_int("keepdims", 1) != 0;
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  auto reduced = reduced_flags(ctx, static_cast<int64_t>(x.rank()));
  if (!reduced) {
    if (!keepdims) return ctx.set_output(0, dtype, Shape());
    // Which dims become 1 is unknown, but those that are 1 already stay 1.
    std::vector<Dim> dims = x.dims();
    for (Dim& d : dims) d = d.is_fixed() && d.value == 1 ? d : Dim::unknown();
    return ctx.set_output(0, dtype, Shape(dims));
  }
  ctx.set_output(0, dtype, Shape(reduced_dims(x, *reduced, keepdims)));
  auto values = ctx.input_elements(0);
  if (!fold || !values || x.rank() != 1 || !(*reduced)[0] || values->empty()) return;
  Dim acc = (*values)[0];
  for (size_t i = 1; i < values->size(); ++i) acc = fold(acc, (*values)[i]);
  ctx.set_output_elements(0, {acc});
}

void reduce(ShapeContext& ctx) { reduce_with(ctx, nullptr); }
void reduce_sum(ShapeContext& ctx) { reduce_with(ctx, dim_add); }
void reduce_prod(ShapeContext& ctx) { reduce_with(ctx, dim_mul); }

void arg_reduce(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, DataType::kInt64, Shape());
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", 0), std::max<int64_t>(rank, 1));
  std::vector<bool> reduced(rank, false);
  if (rank) reduced[axis] = true;
  const bool keepdims = ctx.attrs().get_int("keepdims", 1) != 0;
  ctx.set_output(0, DataType::kInt64, Shape(reduced_dims(x, reduced, keepdims)));
}

}  // namespace

GRAFT_SHAPE_FN("", ReduceSum, 1, reduce_sum);
GRAFT_SHAPE_FN("", ReduceProd, 1, reduce_prod);
GRAFT_SHAPE_FN("", ReduceMean, 1, reduce);
GRAFT_SHAPE_FN("", ReduceMax, 1, reduce);
GRAFT_SHAPE_FN("", ReduceMin, 1, reduce);
GRAFT_SHAPE_FN("", ReduceL1, 1, reduce);
GRAFT_SHAPE_FN("", ReduceL2, 1, reduce);
GRAFT_SHAPE_FN("", ReduceLogSum, 1, reduce);
GRAFT_SHAPE_FN("", ReduceLogSumExp, 1, reduce);
GRAFT_SHAPE_FN("", ReduceSumSquare, 1, reduce);
GRAFT_SHAPE_FN("", ArgMax, 1, arg_reduce);
GRAFT_SHAPE_FN("", ArgMin, 1, arg_reduce);

}  // namespace graft::ops
