// Shapes of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: y has x's shape.
// QuantizeLinear's type is output_dtype (opset 21 on), else the zero point's, else uint8;
// DequantizeLinear's is float32 before opset 19, then the scale's (or output_dtype, opset
// 23 on). A per-axis scale must hold one value per element of x along `axis`.
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void check_scale(const ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const Shape& scale = ctx.input_shape(1);
  if (!x.has_rank() || !scale.has_rank() || ctx.attrs().get_int("block_size", 0) > 0) return;
  if (scale.rank() > 1) ctx.fail("scale " + scale.str() + " must be a scalar or 1-D for x " + x.str());
  if (scale.rank() == 0 || !scale[0].is_fixed() || scale[0].value == 1) return;
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", 1), static_cast<int64_t>(x.rank()));
  merge_dim_or_fail(ctx, scale[0], x[axis], "scale " + scale.str() + " must hold one value per element of x " + x.str() +
                                                " along axis " + std::to_string(axis));
}

// The output_dtype attribute, when the opset has it and it is set.
std::optional<DataType> output_dtype(const ShapeContext& ctx, int64_t since) {
  const int64_t t = ctx.opset() >= since ? ctx.attrs().get_int("output_dtype", 0) : 0;
  return t ? std::optional<DataType>(static_cast<DataType>(t)) : std::nullopt;
}

void quantize_linear(ShapeContext& ctx) {
  check_scale(ctx);
  const DataType zero_point = ctx.has_input(2) ? ctx.input_dtype(2) : DataType::kUint8;
  ctx.set_output(0, output_dtype(ctx, 21).value_or(zero_point), ctx.input_shape(0));
}

void dequantize_linear(ShapeContext& ctx) {
  check_scale(ctx);
  const DataType scale = ctx.opset() >= 19 ? ctx.input_dtype(1) : DataType::kFloat;
  ctx.set_output(0, output_dtype(ctx, 23).value_or(scale), ctx.input_shape(0));
}

void dynamic_quantize_linear(ShapeContext& ctx) {
  ctx.set_output(0, DataType::kUint8, ctx.input_shape(0));
  ctx.set_output(1, DataType::kFloat, Shape::scalar());
  ctx.set_output(2, DataType::kUint8, Shape::scalar());
}

}  // namespace

GRAFT_SHAPE_FN("", QuantizeLinear, 10, quantize_linear);
GRAFT_SHAPE_FN("", DequantizeLinear, 10, dequantize_linear);
GRAFT_SHAPE_FN("", DynamicQuantizeLinear, 11, dynamic_quantize_linear);

}  // namespace graft::ops
