// Shapes of the pools: MaxPool (and its int64 Indices), AveragePool and LpPool give
// [N, C, window outputs...]; the global pools give [N, C, 1, ...]; MaxUnpool gives its
// output_shape input, or the unpooled size (in - 1) * stride + kernel - pads.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// X's shape, of `rank` unknown dims when its rank is unknown; an Error unless it is
// [N, C, spatial...] with `rank` dims.
Shape pooled_input(const ShapeContext& ctx, size_t rank, const std::vector<int64_t>& kernel) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return unknown_dims(rank);
  if (x.rank() != rank) ctx.fail("X " + x.str() + " does not match kernel_shape " + Shape::of(kernel).str());
  return x;
}

std::vector<int64_t> required_kernel(const ShapeContext& ctx) {
  std::vector<int64_t> kernel = ctx.attrs().get_ints("kernel_shape");
  if (kernel.empty()) ctx.fail("kernel_shape is required");
  return kernel;
}

void pool(ShapeContext& ctx) {
  const std::vector<int64_t> kernel = required_kernel(ctx);
  const Shape x = pooled_input(ctx, kernel.size() + 2, kernel);
  std::vector<Dim> k;
  for (int64_t v : kernel) k.push_back(Dim::fixed(v));
  const std::vector<Dim> in(x.dims().begin() + 2, x.dims().end());
  std::vector<Dim> dims{x[0], x[1]};
  for (Dim& d : window_output_dims(ctx, in, k, ctx.attrs().get_int("ceil_mode", 0) != 0)) dims.push_back(std::move(d));
  ctx.set_output(0, ctx.input_dtype(0), Shape(dims));
  if (ctx.num_outputs() > 1) ctx.set_output(1, DataType::kInt64, Shape(dims));  // MaxPool's Indices
}

void global_pool(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, ctx.input_dtype(0), Shape());
  if (x.rank() < 2) ctx.fail("X " + x.str() + " must be [N, C, ...]");
  std::vector<Dim> dims(x.rank(), Dim::fixed(1));
  dims[0] = x[0];
  dims[1] = x[1];
  ctx.set_output(0, ctx.input_dtype(0), Shape(std::move(dims)));
}

// The output when output_shape is not given: (in - 1) * stride + kernel - pads per spatial dim.
std::vector<Dim> unpooled_dims(const ShapeContext& ctx, const Shape& x, const std::vector<int64_t>& kernel) {
  const size_t nd = kernel.size();
  const std::vector<int64_t> strides = spatial_ints(ctx, "strides", nd, 1);
  const std::vector<int64_t> pads = spatial_ints(ctx, "pads", 2 * nd, 0);
  std::vector<Dim> dims{x[0], x[1]};
  for (size_t i = 0; i < nd; ++i) {
    const Dim grown = dim_mul(dim_sub(x[2 + i], Dim::fixed(1)), Dim::fixed(strides[i]));
    dims.push_back(dim_add(grown, Dim::fixed(kernel[i] - pads[i] - pads[nd + i])));
  }
  return dims;
}

void max_unpool(ShapeContext& ctx) {
  const std::vector<int64_t> kernel = required_kernel(ctx);
  const size_t rank = kernel.size() + 2;
  const Shape x = pooled_input(ctx, rank, kernel);
  const Shape& indices = ctx.input_shape(1);
  if (!merge_shapes(x, indices)) ctx.fail("X " + x.str() + " and I " + indices.str() + " must have one shape");
  const std::vector<Dim> inferred = unpooled_dims(ctx, x, kernel);
  if (!ctx.has_input(2)) return ctx.set_output(0, ctx.input_dtype(0), Shape(inferred));
  std::vector<Dim> dims = ctx.input_elements(2).value_or(std::vector<Dim>(rank));
  if (dims.size() != rank) ctx.fail("output_shape " + Shape(dims).str() + " must have rank " + std::to_string(rank));
  for (size_t d = 0; d < rank; ++d) {
    if (dims[d].is_fixed() && inferred[d].is_fixed() && dims[d].value < inferred[d].value) {
      ctx.fail("output_shape " + Shape(dims).str() + " is smaller than the unpooled " + Shape(inferred).str());
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), Shape(std::move(dims)));
}

}  // namespace

GRAFT_SHAPE_FN("", MaxPool, 1, pool);
GRAFT_SHAPE_FN("", AveragePool, 1, pool);
GRAFT_SHAPE_FN("", LpPool, 1, pool);
GRAFT_SHAPE_FN("", GlobalMaxPool, 1, global_pool);
GRAFT_SHAPE_FN("", GlobalAveragePool, 1, global_pool);
GRAFT_SHAPE_FN("", GlobalLpPool, 1, global_pool);
GRAFT_SHAPE_FN("", MaxUnpool, 9, max_unpool);

}  // namespace graft::ops
