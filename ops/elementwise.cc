// Shapes of element-wise ops: unary ops keep their input's type; binary and variadic ops
// broadcast; comparisons and logic give bool; Cast changes the dtype. Add/Sub/Mul/Div on
// tracked shape values compute the values (symbolically), as exporters' shape arithmetic needs.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void unary(ShapeContext& ctx) { ctx.set_output_type(0, ctx.input_type(0)); }

std::vector<Shape> input_shapes(const ShapeContext& ctx) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i)) shapes.push_back(ctx.input_shape(i));
  }
  return shapes;
}

void broadcast_to(ShapeContext& ctx, DataType dtype) {
  ctx.set_output(0, dtype, broadcast_shapes(input_shapes(ctx)));
}

void broadcast(ShapeContext& ctx) { broadcast_to(ctx, ctx.input_dtype(0)); }
void broadcast_bool(ShapeContext& ctx) { broadcast_to(ctx, DataType::kBool); }

using DimOp = Dim (*)(const Dim&, const Dim&);

// Element-wise `op` on tracked values (a scalar or 1-D operand broadcasts).
void combine_values(ShapeContext& ctx, DimOp op) {
  auto a = ctx.input_elements(0), b = ctx.input_elements(1);
  if (!a || !b || ctx.input_shape(0).rank() > 1 || ctx.input_shape(1).rank() > 1) return;
  if (a->size() != b->size() && a->size() != 1 && b->size() != 1) return;
  size_t n = std::max(a->size(), b->size());
  std::vector<Dim> out;
  for (size_t i = 0; i < n; ++i) out.push_back(op((*a)[a->size() == 1 ? 0 : i], (*b)[b->size() == 1 ? 0 : i]));
  ctx.set_output_elements(0, std::move(out));
}

void arithmetic(ShapeContext& ctx, DimOp op) {
  broadcast(ctx);
  combine_values(ctx, op);
}

// Comparisons and logic on tracked values give 0/1 where the answer is certain, so an If on
// a shape test (`if x.shape[1] == 1`) can pick its branch.
Dim truth(std::optional<bool> b) { return b ? Dim::fixed(*b ? 1 : 0) : Dim::unknown(); }
std::optional<bool> sign_of_difference_below_zero(const Dim& a, const Dim& b) {
  Dim d = dim_sub(a, b);
  return d.is_fixed() ? std::optional<bool>(d.value < 0) : std::nullopt;
}
Dim equal_dims(const Dim& a, const Dim& b) {
  if (same_dim(a, b)) return Dim::fixed(1);
  Dim d = dim_sub(a, b);
  return d.is_fixed() ? Dim::fixed(d.value == 0) : Dim::unknown();
}
Dim less_dims(const Dim& a, const Dim& b) { return truth(sign_of_difference_below_zero(a, b)); }
Dim greater_dims(const Dim& a, const Dim& b) { return truth(sign_of_difference_below_zero(b, a)); }
Dim less_equal_dims(const Dim& a, const Dim& b) {
  Dim g = greater_dims(a, b);
  return g.is_fixed() ? Dim::fixed(1 - g.value) : g;
}
Dim greater_equal_dims(const Dim& a, const Dim& b) { return less_equal_dims(b, a); }
Dim and_dims(const Dim& a, const Dim& b) {
  if ((a.is_fixed() && a.value == 0) || (b.is_fixed() && b.value == 0)) return Dim::fixed(0);
  return a.is_fixed() && b.is_fixed() ? Dim::fixed(1) : Dim::unknown();
}
Dim or_dims(const Dim& a, const Dim& b) {
  if ((a.is_fixed() && a.value != 0) || (b.is_fixed() && b.value != 0)) return Dim::fixed(1);
  return a.is_fixed() && b.is_fixed() ? Dim::fixed(0) : Dim::unknown();
}

template <DimOp op>
void logic(ShapeContext& ctx) {
  broadcast_bool(ctx);
  combine_values(ctx, op);
}

void logical_not(ShapeContext& ctx) {
  unary(ctx);
  auto values = ctx.input_elements(0);
  if (!values) return;
  for (Dim& d : *values) d = d.is_fixed() ? Dim::fixed(d.value == 0) : Dim::unknown();
  ctx.set_output_elements(0, std::move(*values));
}

void add(ShapeContext& ctx) { arithmetic(ctx, dim_add); }
void sub(ShapeContext& ctx) { arithmetic(ctx, dim_sub); }
void mul(ShapeContext& ctx) { arithmetic(ctx, dim_mul); }
void div(ShapeContext& ctx) {
  // Integer division only: on floats the values are not shape arithmetic.
  DataType t = ctx.input_dtype(0);
  if (t == DataType::kInt64 || t == DataType::kInt32) arithmetic(ctx, dim_div);
  else broadcast(ctx);
}

void where(ShapeContext& ctx) { broadcast_to(ctx, ctx.input_dtype(1)); }

// Neg of a tracked value negates it (exporters write Neg([-1]) into shape arithmetic).
void neg(ShapeContext& ctx) {
  unary(ctx);
  auto values = ctx.input_elements(0);
  if (!values) return;
  for (Dim& d : *values) d = dim_sub(Dim::fixed(0), d);
  ctx.set_output_elements(0, std::move(*values));
}

// PRelu broadcasts its slope to X (unidirectionally): the output is X's shape.
void prelu(ShapeContext& ctx) { unary(ctx); }

void cast_to(ShapeContext& ctx, DataType to) {
  ctx.set_output(0, to, ctx.input_shape(0));
  auto values = ctx.input_elements(0);
  if (!values) return;
  if (to == DataType::kBool) {
    for (Dim& d : *values) d = d.is_fixed() ? Dim::fixed(d.value != 0) : Dim::unknown();
  }
  if (to == DataType::kInt64 || to == DataType::kInt32 || to == DataType::kBool) ctx.set_output_elements(0, *values);
}

void cast(ShapeContext& ctx) { cast_to(ctx, static_cast<DataType>(ctx.attrs().required_int("to"))); }
void cast_like(ShapeContext& ctx) { cast_to(ctx, ctx.input_dtype(1)); }

}  // namespace

// Unary ops whose output has the input's type and shape.
GRAFT_SHAPE_FN("", Abs, 1, unary);
GRAFT_SHAPE_FN("", Acos, 7, unary);
GRAFT_SHAPE_FN("", Acosh, 9, unary);
GRAFT_SHAPE_FN("", Asin, 7, unary);
GRAFT_SHAPE_FN("", Asinh, 9, unary);
GRAFT_SHAPE_FN("", Atan, 7, unary);
GRAFT_SHAPE_FN("", Atanh, 9, unary);
GRAFT_SHAPE_FN("", BitwiseNot, 18, unary);
GRAFT_SHAPE_FN("", Ceil, 1, unary);
GRAFT_SHAPE_FN("", Celu, 12, unary);
GRAFT_SHAPE_FN("", Clip, 1, unary);
GRAFT_SHAPE_FN("", Cos, 7, unary);
GRAFT_SHAPE_FN("", Cosh, 9, unary);
GRAFT_SHAPE_FN("", Elu, 1, unary);
GRAFT_SHAPE_FN("", Erf, 9, unary);
GRAFT_SHAPE_FN("", Exp, 1, unary);
GRAFT_SHAPE_FN("", Floor, 1, unary);
GRAFT_SHAPE_FN("", Gelu, 20, unary);
GRAFT_SHAPE_FN("", HardSigmoid, 1, unary);
GRAFT_SHAPE_FN("", HardSwish, 14, unary);
GRAFT_SHAPE_FN("", LeakyRelu, 1, unary);
GRAFT_SHAPE_FN("", Log, 1, unary);
GRAFT_SHAPE_FN("", Mish, 18, unary);
GRAFT_SHAPE_FN("", Neg, 1, neg);
GRAFT_SHAPE_FN("", Not, 1, logical_not);
GRAFT_SHAPE_FN("", Reciprocal, 1, unary);
GRAFT_SHAPE_FN("", Relu, 1, unary);
GRAFT_SHAPE_FN("", Round, 11, unary);
GRAFT_SHAPE_FN("", Selu, 1, unary);
GRAFT_SHAPE_FN("", Shrink, 9, unary);
GRAFT_SHAPE_FN("", Sigmoid, 1, unary);
GRAFT_SHAPE_FN("", Sign, 9, unary);
GRAFT_SHAPE_FN("", Sin, 7, unary);
GRAFT_SHAPE_FN("", Sinh, 9, unary);
GRAFT_SHAPE_FN("", Softplus, 1, unary);
GRAFT_SHAPE_FN("", Softsign, 1, unary);
GRAFT_SHAPE_FN("", Sqrt, 1, unary);
GRAFT_SHAPE_FN("", Tan, 7, unary);
GRAFT_SHAPE_FN("", Tanh, 1, unary);
GRAFT_SHAPE_FN("", ThresholdedRelu, 10, unary);
GRAFT_SHAPE_FN("", IsInf, 10, broadcast_bool);
GRAFT_SHAPE_FN("", IsNaN, 9, broadcast_bool);
GRAFT_SHAPE_FN("", PRelu, 1, prelu);

// Broadcasting binary and variadic ops.
GRAFT_SHAPE_FN("", Add, 1, add);
GRAFT_SHAPE_FN("", Sub, 1, sub);
GRAFT_SHAPE_FN("", Mul, 1, mul);
GRAFT_SHAPE_FN("", Div, 1, div);
GRAFT_SHAPE_FN("", Pow, 1, broadcast);
GRAFT_SHAPE_FN("", Mod, 10, broadcast);
GRAFT_SHAPE_FN("", BitShift, 11, broadcast);
GRAFT_SHAPE_FN("", BitwiseAnd, 18, broadcast);
GRAFT_SHAPE_FN("", BitwiseOr, 18, broadcast);
GRAFT_SHAPE_FN("", BitwiseXor, 18, broadcast);
GRAFT_SHAPE_FN("", Max, 1, broadcast);
GRAFT_SHAPE_FN("", Min, 1, broadcast);
GRAFT_SHAPE_FN("", Sum, 1, broadcast);
GRAFT_SHAPE_FN("", Mean, 1, broadcast);
GRAFT_SHAPE_FN("", And, 1, logic<and_dims>);
GRAFT_SHAPE_FN("", Or, 1, logic<or_dims>);
GRAFT_SHAPE_FN("", Xor, 1, broadcast_bool);
GRAFT_SHAPE_FN("", Equal, 1, logic<equal_dims>);
GRAFT_SHAPE_FN("", Greater, 1, logic<greater_dims>);
GRAFT_SHAPE_FN("", GreaterOrEqual, 12, logic<greater_equal_dims>);
GRAFT_SHAPE_FN("", Less, 1, logic<less_dims>);
GRAFT_SHAPE_FN("", LessOrEqual, 12, logic<less_equal_dims>);
GRAFT_SHAPE_FN("", Where, 9, where);

GRAFT_SHAPE_FN("", Cast, 1, cast);
GRAFT_SHAPE_FN("", CastLike, 15, cast_like);

}  // namespace graft::ops
