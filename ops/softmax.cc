// Shapes of Softmax, LogSoftmax and Hardmax: the output has the input's type; `axis`
// must lie within its rank (default 1 before opset 13, -1 from 13 on).
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void softmax(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank()) {
    const int64_t rank = static_cast<int64_t>(x.rank());
    const int64_t axis = ctx.attrs().get_int("axis", ctx.opset() < 13 ? 1 : -1);
    // Before opset 13 the input is coerced to 2-D at axis, which may equal the rank.
    if (!(ctx.opset() < 13 && axis == rank)) normalize_axis(axis, rank);
  }
  ctx.set_output_type(0, ctx.input_type(0));
}

}  // namespace

GRAFT_SHAPE_FN("", Softmax, 1, softmax);
GRAFT_SHAPE_FN("", LogSoftmax, 1, softmax);
GRAFT_SHAPE_FN("", Hardmax, 1, softmax);

}  // namespace graft::ops
