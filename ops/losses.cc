// Shapes of NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: scores [N, C, d1, ...],
// target [N, d1, ...]. The loss has the target's shape with reduction 'none', else it is a
// scalar; SoftmaxCrossEntropyLoss's log_prob has the scores' shape.
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void loss(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const Shape& target = ctx.input_shape(1);
  Shape expected;
  if (x.has_rank()) {
    if (x.rank() < 2) ctx.fail("input " + x.str() + " must be [N, C, ...]");
    std::vector<Dim> dims = x.dims();
    dims.erase(dims.begin() + 1);
    expected = Shape(std::move(dims));
  }
  const auto merged = merge_shapes(expected, target);
  if (!merged) ctx.fail("target " + target.str() + " must have shape " + expected.str() + " to match input " + x.str());
  const Shape& weight = ctx.input_shape(2);
  if (ctx.has_input(2) && weight.has_rank() && x.has_rank()) {
    if (weight.rank() != 1) ctx.fail("weight " + weight.str() + " must hold one value per class of input " + x.str());
    merge_dim_or_fail(ctx, weight[0], x[1], "weight " + weight.str() + " must hold one value per class of input " + x.str());
  }
  const std::string reduction = ctx.attrs().get_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    ctx.fail("reduction must be none, sum or mean, got '" + reduction + "'");
  }
  const DataType dtype = ctx.input_dtype(0);
  ctx.set_output(0, dtype, reduction == "none" ? *merged : Shape::scalar());
  if (ctx.num_outputs() < 2) return;
  // SoftmaxCrossEntropyLoss's log_prob: the scores' shape, its dims refined by the target's.
  Shape log_prob = x;
  if (x.has_rank()) {
    log_prob = *merged;
    log_prob.dims().insert(log_prob.dims().begin() + 1, x[1]);
  }
  ctx.set_output(1, dtype, log_prob);
}

}  // namespace

GRAFT_SHAPE_FN("", NegativeLogLikelihoodLoss, 12, loss);
GRAFT_SHAPE_FN("", SoftmaxCrossEntropyLoss, 12, loss);

}  // namespace graft::ops
