// Shapes of Resize and Upsample: each resized axis becomes floor(in * scale), or the given
// size (with keep_aspect_ratio_policy, opset 18 on, round(in * the common scale)). Scales
// come from an input (Resize; Upsample opset 9) or attributes (Upsample 1 and 7); Resize
// from opset 11 takes roi, scales, sizes and, from opset 18, resizes only `axes`.
#include <cmath>
#include <numeric>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// floor(in * scale); symbolic when the scale or its reciprocal is a whole number.
Dim scaled_dim(const Dim& in, double scale) {
  if (in.is_fixed()) return Dim::fixed(static_cast<int64_t>(std::floor(static_cast<double>(in.value) * scale)));
  if (scale == 1) return in;
  if (scale == std::floor(scale)) return dim_mul(in, Dim::fixed(static_cast<int64_t>(scale)));
  const double inverse = 1 / scale;
  if (inverse == std::floor(inverse)) return dim_div(in, Dim::fixed(static_cast<int64_t>(inverse)));  // only when exact
  return Dim::unknown();
}

void check_count(const ShapeContext& ctx, const char* what, size_t got, const std::vector<int64_t>& axes, const Shape& x) {
  if (got != axes.size()) {
    ctx.fail(std::string(what) + " has " + std::to_string(got) + " values, expected " + std::to_string(axes.size()) +
             " for X " + x.str());
  }
}

// x with each of `axes` scaled; those dims unknown when the scales are not known.
Shape scale_axes(const ShapeContext& ctx, const Shape& x, const std::vector<int64_t>& axes,
                 const std::optional<std::vector<double>>& scales) {
  std::vector<Dim> dims = x.dims();
  if (scales) check_count(ctx, "scales", scales->size(), axes, x);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (scales && !((*scales)[i] > 0)) ctx.fail("scales[" + std::to_string(i) + "] = " + std::to_string((*scales)[i]) + " is not positive");
    dims[axes[i]] = scales ? scaled_dim(x[axes[i]], (*scales)[i]) : Dim::unknown();
  }
  return Shape(std::move(dims));
}

// x with `axes` resized to the given sizes, keeping the aspect ratio under the policy.
Shape size_axes(const ShapeContext& ctx, const Shape& x, const std::vector<int64_t>& axes,
                const std::optional<std::vector<Dim>>& sizes) {
  std::vector<Dim> dims = x.dims();
  if (sizes) check_count(ctx, "sizes", sizes->size(), axes, x);
  const std::string policy = ctx.opset() >= 18 ? ctx.attrs().get_string("keep_aspect_ratio_policy", "stretch") : "stretch";
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
    ctx.fail("unsupported keep_aspect_ratio_policy '" + policy + "'");
  }
  for (size_t i = 0; i < axes.size(); ++i) dims[axes[i]] = sizes && policy == "stretch" ? (*sizes)[i] : Dim::unknown();
  if (!sizes || policy == "stretch") return Shape(std::move(dims));
  std::optional<double> common;
  for (size_t i = 0; i < axes.size(); ++i) {
    const Dim& in = x[axes[i]];
    const Dim& size = (*sizes)[i];
    if (!in.is_fixed() || !size.is_fixed() || in.value == 0) return Shape(std::move(dims));
    const double s = static_cast<double>(size.value) / static_cast<double>(in.value);
    common = !common ? s : policy == "not_larger" ? std::min(*common, s) : std::max(*common, s);
  }
  for (int64_t a : axes) {
    dims[a] = Dim::fixed(static_cast<int64_t>(*common * static_cast<double>(x[a].value) + 0.5));
  }
  return Shape(std::move(dims));
}

// Whether input i is known to hold no values (an empty scales or sizes).
bool known_empty(const ShapeContext& ctx, size_t i) {
  const Shape& s = ctx.input_shape(i);
  if (s.has_rank() && s.rank() == 1 && s[0].is_fixed() && s[0].value == 0) return true;
  const TensorData* c = ctx.input(i).constant;
  return c && c->num_elements() == 0;
}

// The resized axes: opset 18's `axes`, else all of them.
std::vector<int64_t> resize_axes(const ShapeContext& ctx, size_t rank) {
  std::vector<int64_t> axes = ctx.opset() >= 18 ? ctx.attrs().get_ints("axes") : std::vector<int64_t>{};
  for (int64_t& a : axes) a = normalize_axis(a, static_cast<int64_t>(rank));
  if (axes.empty()) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  return axes;
}

// X's shape; when its rank is unknown, as many unknown dims as input i has values.
Shape resized_input(const ShapeContext& ctx, size_t i) {
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank() || (ctx.opset() >= 18 && ctx.attrs().has("axes"))) return x;
  const Shape& s = ctx.input_shape(i);
  return s.has_rank() && s.rank() == 1 && s[0].is_fixed() ? unknown_dims(s[0].value) : x;
}

void resize(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const size_t scales_input = ctx.opset() < 11 ? 1 : 2;
  const bool by_sizes = ctx.opset() >= 11 && ctx.has_input(3) && !known_empty(ctx, 3);
  const Shape x = resized_input(ctx, by_sizes ? 3 : scales_input);
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  const std::vector<int64_t> axes = resize_axes(ctx, x.rank());
  if (by_sizes) return ctx.set_output(0, dtype, size_axes(ctx, x, axes, ctx.input_elements(3)));
  if (known_empty(ctx, scales_input)) ctx.fail("Resize needs non-empty scales or sizes");
  ctx.set_output(0, dtype, scale_axes(ctx, x, axes, ctx.input_doubles(scales_input)));
}

// Upsample-1 scales H and W of [N, C, H, W]; Upsample-7 takes every axis's scale from the
// `scales` attribute, Upsample-9 from its second input.
void upsample(ShapeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  const Shape x = ctx.opset() >= 9 ? resized_input(ctx, 1) : ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, dtype, Shape());
  std::optional<std::vector<double>> scales;
  if (ctx.opset() >= 9) {
    scales = ctx.input_doubles(1);
  } else if (ctx.opset() >= 7) {
    const std::vector<float> f = ctx.attrs().get_floats("scales");
    scales = std::vector<double>(f.begin(), f.end());
  } else {
    if (x.rank() != 4) ctx.fail("Upsample-1 needs a 4-D X, got " + x.str());
    scales = {1.0, 1.0, ctx.attrs().get_float("height_scale", 1), ctx.attrs().get_float("width_scale", 1)};
  }
  std::vector<int64_t> axes(x.rank());
  std::iota(axes.begin(), axes.end(), 0);
  ctx.set_output(0, dtype, scale_axes(ctx, x, axes, scales));
}

}  // namespace

GRAFT_SHAPE_FN("", Resize, 10, resize);
GRAFT_SHAPE_FN("", Upsample, 1, upsample);

}  // namespace graft::ops
