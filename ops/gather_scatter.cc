// Shapes of GatherElements, GatherND, Scatter, ScatterElements, ScatterND and Compress
// (Gather is in shape_ops.cc, as it carries tracked shape values). Scatters give the
// data's type; gathers the index tensor's dims (and the data's trailing ones for GatherND).
#include <algorithm>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void gather_elements(ShapeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  if (data.has_rank() && indices.has_rank() && data.rank() != indices.rank()) {
    ctx.fail("indices " + indices.str() + " must have the rank of data " + data.str());
  }
  if (data.has_rank()) normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(data.rank()));
  ctx.set_output(0, ctx.input_dtype(0), indices.has_rank() || !data.has_rank() ? indices : unknown_dims(data.rank()));
}

// [indices' dims but the last] + data's dims after the batch dims and the indexed ones.
void gather_nd(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  if (!data.has_rank() || !indices.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t r = static_cast<int64_t>(data.rank()), q = static_cast<int64_t>(indices.rank());
  const int64_t b = ctx.attrs().get_int("batch_dims", 0);
  if (q < 1 || b < 0 || b >= q) {
    ctx.fail("indices " + indices.str() + " with batch_dims " + std::to_string(b) + " do not fit data " + data.str());
  }
  const Dim& k = indices[q - 1];
  if (!k.is_fixed()) return ctx.set_output(0, dtype, Shape());
  if (b + k.value > r) {
    ctx.fail("indices " + indices.str() + " with batch_dims " + std::to_string(b) + " index more dims than data " +
             data.str() + " has");
  }
  std::vector<Dim> dims(indices.dims().begin(), indices.dims().end() - 1);
  for (int64_t d = 0; d < b; ++d) {
    auto merged = merge_dim(dims[d], data[d]);
    if (!merged) ctx.fail("batch dims of indices " + indices.str() + " and data " + data.str() + " differ");
    dims[d] = *merged;
  }
  dims.insert(dims.end(), data.dims().begin() + b + k.value, data.dims().end());
  ctx.set_output(0, dtype, Shape(dims));
}

// The output is the data with some elements replaced: the data's type.
void scatter_into(ShapeContext& ctx, const Shape& updates, const Shape& expected) {
  if (!merge_shapes(updates, expected)) {
    ctx.fail("updates " + updates.str() + " must be " + expected.str() + " for indices " + ctx.input_shape(1).str() +
             " and data " + ctx.input_shape(0).str());
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
}

void scatter_elements(ShapeContext& ctx) { scatter_into(ctx, ctx.input_shape(2), ctx.input_shape(1)); }

// ScatterND updates are [indices' dims but the last] + data's dims after the indexed ones.
void scatter_nd(ShapeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  Shape expected;
  if (data.has_rank() && indices.has_rank() && indices.rank() >= 1 && indices.dims().back().is_fixed()) {
    const int64_t k = indices.dims().back().value;
    if (k > static_cast<int64_t>(data.rank())) ctx.fail("indices " + indices.str() + " index more dims than data " + data.str() + " has");
    std::vector<Dim> dims(indices.dims().begin(), indices.dims().end() - 1);
    dims.insert(dims.end(), data.dims().begin() + k, data.dims().end());
    expected = Shape(dims);
  }
  scatter_into(ctx, ctx.input_shape(2), expected);
}

// The number of true values among the first n of a constant condition.
std::optional<int64_t> selected_count(const ShapeContext& ctx, const Dim& n) {
  const TensorData* c = ctx.input(1).constant;
  auto total = c ? c->num_elements() : std::nullopt;
  if (!n.is_fixed() || !total || c->dtype != DataType::kBool || c->bytes.size() < static_cast<size_t>(*total)) {
    return std::nullopt;
  }
  int64_t count = 0;
  for (int64_t i = 0; i < std::min(*total, n.value); ++i) count += c->at<uint8_t>(i) != 0;
  return count;
}

// Compress keeps the slices (or, without an axis, the flattened elements) whose condition
// is true: a count known only from a constant condition.
void compress(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (!ctx.attrs().has("axis")) {
    const Dim n = x.has_rank() ? dim_product(x.dims()) : Dim::unknown();
    auto count = selected_count(ctx, n);
    return ctx.set_output(0, dtype, Shape({count ? Dim::fixed(*count) : Dim::unknown()}));
  }
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()));
  std::vector<Dim> dims = x.dims();
  auto count = selected_count(ctx, dims[axis]);
  dims[axis] = count ? Dim::fixed(*count) : Dim::unknown();
  ctx.set_output(0, dtype, Shape(dims));
}

}  // namespace

GRAFT_SHAPE_FN("", GatherElements, 11, gather_elements);
GRAFT_SHAPE_FN("", GatherND, 11, gather_nd);
GRAFT_SHAPE_FN("", Scatter, 9, scatter_elements);
GRAFT_SHAPE_FN("", ScatterElements, 11, scatter_elements);
GRAFT_SHAPE_FN("", ScatterND, 11, scatter_nd);
GRAFT_SHAPE_FN("", Compress, 9, compress);

}  // namespace graft::ops
