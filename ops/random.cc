// Shapes of RandomUniform, RandomNormal (the `shape` attribute), RandomUniformLike,
// RandomNormalLike and Bernoulli (the input's shape); the dtype attribute, when given,
// overrides the default (float, or the input's type).
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

DataType dtype_or(const ShapeContext& ctx, DataType def) {
  return ctx.attrs().has("dtype") ? static_cast<DataType>(ctx.attrs().get_int("dtype", 1)) : def;
}

void random_of_shape(ShapeContext& ctx) {
  if (!ctx.attrs().has("shape")) ctx.fail("attribute 'shape' is required");
  const std::vector<int64_t> dims = ctx.attrs().get_ints("shape");
  for (int64_t d : dims) {
    if (d < 0) ctx.fail("attribute 'shape' has a negative dim: " + Shape::of(dims).str());
  }
  ctx.set_output(0, dtype_or(ctx, DataType::kFloat), Shape::of(dims));
}

void random_like(ShapeContext& ctx) { ctx.set_output(0, dtype_or(ctx, ctx.input_dtype(0)), ctx.input_shape(0)); }

}  // namespace

GRAFT_SHAPE_FN("", RandomUniform, 1, random_of_shape);
GRAFT_SHAPE_FN("", RandomNormal, 1, random_of_shape);
GRAFT_SHAPE_FN("", RandomUniformLike, 1, random_like);
GRAFT_SHAPE_FN("", RandomNormalLike, 1, random_like);
GRAFT_SHAPE_FN("", Bernoulli, 15, random_like);

}  // namespace graft::ops
