// Shape of Split (Concat is in shape_ops.cc, as it carries tracked shape values). Split
// sizes may be tracked symbolic values; a split of a tracked value splits the values.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// The `split` sizes: an attribute (opsets 2-12; opset 1 also took an input) or input 1
// (13 on); empty when neither is given. std::nullopt when the input's values are unknown.
std::optional<std::vector<Dim>> split_given(const ShapeContext& ctx) {
  if (ctx.attrs().has("split")) {
    std::vector<Dim> sizes;
    for (int64_t s : ctx.attrs().get_ints("split")) sizes.push_back(Dim::fixed(s));
    return sizes;
  }
  if (ctx.has_input(1)) return ctx.input_elements(1);
  return std::vector<Dim>{};
}

// Equal parts of `dim`, the last one smaller when they do not divide it (opset 18).
std::vector<Dim> equal_parts(const ShapeContext& ctx, const Dim& dim) {
  const int64_t parts = static_cast<int64_t>(ctx.num_outputs());
  const int64_t n = ctx.attrs().get_int("num_outputs", parts);
  if (n <= 0 || n != parts) ctx.fail("num_outputs " + std::to_string(n) + " must equal the number of outputs, " + std::to_string(parts));
  if (!dim.is_fixed()) return std::vector<Dim>(n, dim_div(dim, Dim::fixed(n)));  // symbolic only when exact
  const int64_t each = (dim.value + n - 1) / n;
  std::vector<Dim> sizes;
  for (int64_t i = 0; i < n; ++i) sizes.push_back(Dim::fixed(std::max<int64_t>(0, std::min(each, dim.value - i * each))));
  return sizes;
}

void check_sizes(const ShapeContext& ctx, const std::vector<Dim>& sizes, const Dim& dim, const Shape& x) {
  Dim total = Dim::fixed(0);
  for (const Dim& s : sizes) {
    if (s.is_fixed() && s.value < 0) ctx.fail("split " + Shape(sizes).str() + " has a negative size");
    total = dim_add(total, s);
  }
  const bool sum_differs = total.is_fixed() && dim.is_fixed() && total.value != dim.value;
  if (sum_differs || sizes.size() != ctx.num_outputs()) {
    ctx.fail("split " + Shape(sizes).str() + " must have one size per output (" + std::to_string(ctx.num_outputs()) +
             ") and sum to the axis size of " + x.str());
  }
}

// Output i's tracked values: elements [at, at + size) of a split 1-D value.
void split_elements(ShapeContext& ctx, const std::vector<Dim>& sizes) {
  auto values = ctx.input_elements(0);
  if (!values) return;
  size_t at = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!sizes[i].is_fixed() || at + sizes[i].value > values->size()) return;
    ctx.set_output_elements(i, std::vector<Dim>(values->begin() + at, values->begin() + at + sizes[i].value));
    at += sizes[i].value;
  }
}

void split(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) {
    for (size_t i = 0; i < ctx.num_outputs(); ++i) ctx.set_output(i, dtype, Shape());
    return;
  }
  const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()));
  auto sizes = split_given(ctx);
  if (sizes && sizes->empty()) sizes = equal_parts(ctx, x[axis]);
  else if (sizes) check_sizes(ctx, *sizes, x[axis], x);
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    Shape y = x;
    y[axis] = sizes ? (*sizes)[i] : Dim::unknown();
    ctx.set_output(i, dtype, y);
  }
  if (sizes && x.rank() == 1) split_elements(ctx, *sizes);
}

}  // namespace

GRAFT_SHAPE_FN("", Split, 1, split);

}  // namespace graft::ops
