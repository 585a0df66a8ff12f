// Shape of GridSample: X [N, C, D1, ..., Dr] sampled at grid [N, H1, ..., Hr, r] gives
// [N, C, H1, ..., Hr] (r = 2 before opset 20).
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void grid_sample(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const Shape& grid = ctx.input_shape(1);
  const DataType dtype = ctx.input_dtype(0);
  if (!x.has_rank() && !grid.has_rank()) return ctx.set_output(0, dtype, Shape());
  const size_t rank = x.has_rank() ? x.rank() : grid.rank();
  const Shape xs = x.has_rank() ? x : unknown_dims(rank), gs = grid.has_rank() ? grid : unknown_dims(rank);
  const std::string both = "grid " + gs.str() + " does not match X " + xs.str();
  if (rank < 3 || gs.rank() != rank || (ctx.opset() < 20 && rank != 4)) ctx.fail(both);
  merge_dim_or_fail(ctx, gs[rank - 1], Dim::fixed(static_cast<int64_t>(rank) - 2), both);
  std::vector<Dim> dims{merge_dim_or_fail(ctx, xs[0], gs[0], both), xs[1]};
  dims.insert(dims.end(), gs.dims().begin() + 1, gs.dims().end() - 1);
  ctx.set_output(0, dtype, Shape(std::move(dims)));
}

}  // namespace

GRAFT_SHAPE_FN("", GridSample, 16, grid_sample);

}  // namespace graft::ops
