// Shapes of the ai.onnx.preview.training optimizers Adagrad, Momentum and Adam. Inputs are
// R, T, then `groups` groups of n tensors (X..., G..., and the optimizer's state); outputs
// are the new X... followed by the new state, each shaped like its X.
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void optimizer(ShapeContext& ctx, int64_t groups) {
  const int64_t rest = static_cast<int64_t>(ctx.num_inputs()) - 2;
  if (rest <= 0 || rest % groups != 0) {
    ctx.fail("expected R, T and " + std::to_string(groups) + " groups of n tensors, got " +
             std::to_string(ctx.num_inputs()) + " inputs");
  }
  const int64_t n = rest / groups;
  if (static_cast<int64_t>(ctx.num_outputs()) > n * (groups - 1)) ctx.fail("too many outputs for " + std::to_string(n) + " tensors");
  for (int64_t i = 0; i < n; ++i) {
    // X_i, its gradient and its state tensors all have one shape: merge what each says.
    DataType dtype = DataType::kUndefined;
    Shape shape;
    for (int64_t g = 0; g < groups; ++g) {
      const size_t in = static_cast<size_t>(2 + g * n + i);
      if (dtype == DataType::kUndefined) dtype = ctx.input_dtype(in);
      auto merged = merge_shapes(shape, ctx.input_shape(in));
      if (!merged) ctx.fail("input " + std::to_string(in) + " " + ctx.input_shape(in).str() + " does not match X " + shape.str());
      shape = *merged;
    }
    for (int64_t o = 0; o < groups - 1; ++o) ctx.set_output(static_cast<size_t>(o * n + i), dtype, shape);
  }
}

// Adagrad keeps H, Momentum V: X, G and one state group. Adam keeps V and H.
void one_state(ShapeContext& ctx) { optimizer(ctx, 3); }
void two_states(ShapeContext& ctx) { optimizer(ctx, 4); }

}  // namespace

GRAFT_SHAPE_FN("ai.onnx.preview.training", Adagrad, 1, one_state);
GRAFT_SHAPE_FN("ai.onnx.preview.training", Momentum, 1, one_state);
GRAFT_SHAPE_FN("ai.onnx.preview.training", Adam, 1, two_states);

}  // namespace graft::ops
