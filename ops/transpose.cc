// Shapes of Transpose, DepthToSpace and SpaceToDepth: permutations of a (reshaped) tensor.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void transpose(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape& x = ctx.input_shape(0);
  std::vector<int64_t> perm = ctx.attrs().get_ints("perm");
  if (!x.has_rank()) return ctx.set_output(0, dtype, perm.empty() ? Shape() : unknown_dims(perm.size()));
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (perm.empty()) {
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    ctx.fail("perm " + Shape::of(perm).str() + " does not match input " + x.str());
  }
  std::vector<bool> seen(rank, false);
  std::vector<Dim> dims;
  for (int64_t p : perm) {
    const int64_t axis = normalize_axis(p, rank);
    if (seen[axis]) ctx.fail("perm " + Shape::of(perm).str() + " is not a permutation");
    seen[axis] = true;
    dims.push_back(x[axis]);
  }
  ctx.set_output(0, dtype, Shape(dims));
  if (auto t = tracked_value(ctx, 0)) {
    const std::vector<int64_t> in_strides = row_major_strides(t->dims);
    std::vector<int64_t> strides, out;
    for (int64_t p : perm) {
      const int64_t axis = p < 0 ? p + rank : p;
      strides.push_back(in_strides[axis]);
      out.push_back(t->dims[axis]);
    }
    ctx.set_output_elements(0, strided_elements(t->values, 0, strides, out));
  }
}

// The 4-D [N, C, H, W] input of DepthToSpace / SpaceToDepth and its blocksize; std::nullopt
// when the rank is unknown.
std::optional<Shape> blocked_input(const ShapeContext& ctx, int64_t& b) {
  const Shape& x = ctx.input_shape(0);
  b = ctx.attrs().required_int("blocksize");
  if (b <= 0) ctx.fail("blocksize " + std::to_string(b) + " must be positive");
  if (!x.has_rank()) return std::nullopt;
  if (x.rank() != 4) ctx.fail("input must be 4-D [N, C, H, W], got " + x.str());
  return x;
}

// d / k, which must divide; unknown when that cannot be told.
Dim exact_div(const ShapeContext& ctx, const Dim& d, int64_t k, const Shape& x, const char* what) {
  if (d.is_fixed() && d.value % k != 0) {
    ctx.fail(std::string(what) + " of " + x.str() + " are not divisible by " + std::to_string(k));
  }
  return dim_div(d, Dim::fixed(k));
}

void depth_to_space(ShapeContext& ctx) {
  int64_t b = 0;
  auto x = blocked_input(ctx, b);
  if (!x) return ctx.set_output(0, ctx.input_dtype(0), unknown_dims(4));
  const Dim bd = Dim::fixed(b);
  const Dim c = exact_div(ctx, (*x)[1], b * b, *x, "channels");
  ctx.set_output(0, ctx.input_dtype(0), Shape({(*x)[0], c, dim_mul((*x)[2], bd), dim_mul((*x)[3], bd)}));
}

void space_to_depth(ShapeContext& ctx) {
  int64_t b = 0;
  auto x = blocked_input(ctx, b);
  if (!x) return ctx.set_output(0, ctx.input_dtype(0), unknown_dims(4));
  const Dim h = exact_div(ctx, (*x)[2], b, *x, "height"), w = exact_div(ctx, (*x)[3], b, *x, "width");
  ctx.set_output(0, ctx.input_dtype(0), Shape({(*x)[0], dim_mul((*x)[1], Dim::fixed(b * b)), h, w}));
}

}  // namespace

GRAFT_SHAPE_FN("", Transpose, 1, transpose);
GRAFT_SHAPE_FN("", DepthToSpace, 1, depth_to_space);
GRAFT_SHAPE_FN("", SpaceToDepth, 1, space_to_depth);

}  // namespace graft::ops
